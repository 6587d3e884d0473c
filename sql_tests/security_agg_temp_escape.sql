-- A fact's refresh that a superuser runs acts as the fact's owner under
-- SECURITY_RESTRICTED_OPERATION, where PostgreSQL refuses CREATE TEMP
-- TABLE: the owner's code must not leave a temporary table in the
-- superuser's session.  dataeng_internal._agg_temp_table() makes the
-- refresh's scratch tables past that restriction, and any role may call
-- it: a trigger of the owner's fact table, run by the refresh as the owner,
-- made one, renamed it after a table of the superuser and gave it a
-- trigger; pg_temp comes first in every search_path, so the superuser's
-- next INSERT into that name in the same transaction ran the owner's
-- trigger as the superuser (which made the owner a superuser).  Every table
-- made so is dropped by oid when the operation ends, whatever its name.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

CREATE ROLE regress_ate_low;
GRANT CREATE ON SCHEMA public TO regress_ate_low;
-- the superuser's table, named without its schema in its session
CREATE TABLE ate_note (msg text);
-- what ran as whom
CREATE TABLE ate_log (who text, what text);
GRANT INSERT ON ate_log TO PUBLIC;

SET ROLE regress_ate_low;
CREATE TABLE ate_src (id int PRIMARY KEY, ts timestamptz NOT NULL, amt int);
INSERT INTO ate_src VALUES (1, '2026-01-01 10:00', 5);
SELECT dataeng.fact_create('ate_fact', 'ate_src', 'ts', 'day', '{}', ARRAY['sum(amt)'], backfill => 'now') IS NOT NULL AS created;
-- run in the superuser's session, as whoever writes ate_note
CREATE FUNCTION ate_esc() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ate_log VALUES (current_user, 'escalated');
  RETURN NEW;
END $$;
-- run by the refresh as the fact's owner, restricted
CREATE FUNCTION ate_plant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('pg_temp.ate_note') IS NULL THEN
    BEGIN
      CREATE TABLE pg_temp.ate_direct (msg text);
    EXCEPTION WHEN insufficient_privilege THEN
      INSERT INTO public.ate_log VALUES (current_user, 'CREATE TEMP TABLE refused');
    END;
    PERFORM dataeng_internal._agg_temp_table('_dataeng_ate', 'SELECT NULL::text AS msg');
    ALTER TABLE pg_temp._dataeng_ate RENAME TO ate_note;
    CREATE TRIGGER ate_esc BEFORE INSERT ON pg_temp.ate_note FOR EACH ROW EXECUTE FUNCTION public.ate_esc();
    INSERT INTO public.ate_log VALUES (current_user, 'planted');
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ate_plant AFTER INSERT OR UPDATE ON ate_fact_data
  FOR EACH STATEMENT EXECUTE FUNCTION ate_plant();
INSERT INTO ate_src VALUES (2, '2026-01-01 11:00', 7);
RESET ROLE;

BEGIN;
SELECT dataeng.fact_refresh('ate_fact') AS refreshed;
-- nothing of the owner's is left in the session
SELECT c.relname, c.relowner::regrole AS owner
  FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema() ORDER BY 1;
INSERT INTO ate_note VALUES ('the superuser''s note');
COMMIT;
SELECT who, what FROM ate_log ORDER BY what;
SELECT msg FROM ate_note;
SELECT bucket, sum_amt FROM ate_fact;

-- the owner's own refresh goes on as before
SET ROLE regress_ate_low;
DROP TRIGGER ate_plant ON ate_fact_data;
INSERT INTO ate_src VALUES (3, '2026-01-01 12:00', 1);
SELECT dataeng.fact_refresh('ate_fact') AS refreshed;
SELECT bucket, sum_amt FROM ate_fact;
RESET ROLE;

SELECT dataeng.fact_drop('ate_fact');
DROP TABLE ate_src, ate_note, ate_log;
DROP FUNCTION ate_esc(), ate_plant();
REVOKE CREATE ON SCHEMA public FROM regress_ate_low;
DROP ROLE regress_ate_low;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
