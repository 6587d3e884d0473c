-- A database still at 0.1.0 (the library upgraded, ALTER EXTENSION dataeng
-- UPDATE not run yet) keeps the internals in schema dataeng.  A schema
-- named dataeng_internal that a role with CREATE on the database makes
-- there is not the extension's: the library must neither call its
-- functions nor write its tables in place of the internals.  (The event
-- trigger following ALTER TABLE runs as a superuser: it once called the
-- role's dataeng_internal._cdc_rename_column() so, and made the role a
-- superuser.)
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dataeng VERSION '0.1.0';
CREATE ROLE regress_is_squatter;
SELECT format('GRANT CREATE ON DATABASE %I TO regress_is_squatter', current_database()) \gexec
CREATE TABLE is_seen (fn text, who text, superuser boolean);
GRANT INSERT ON is_seen TO PUBLIC;

SET ROLE regress_is_squatter;
CREATE SCHEMA dataeng_internal;
-- what the library would call in the internals' place: each notes who ran
-- it, and tries to make the role a superuser
CREATE FUNCTION dataeng_internal.is_trap(fn text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.is_seen
    SELECT fn, current_user, r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user;
  IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
    ALTER ROLE regress_is_squatter SUPERUSER;
  END IF;
END $$;
CREATE FUNCTION dataeng_internal._cdc_rename_column(o oid, a text, b text, inh boolean) RETURNS void
  LANGUAGE sql AS $$ SELECT dataeng_internal.is_trap('_cdc_rename_column') $$;
CREATE FUNCTION dataeng_internal._cdc_sync_triggers() RETURNS void
  LANGUAGE sql AS $$ SELECT dataeng_internal.is_trap('_cdc_sync_triggers') $$;
CREATE FUNCTION dataeng_internal._cdc_ack(caller regrole, consumer text, upto bigint) RETURNS void
  LANGUAGE sql AS $$ SELECT dataeng_internal.is_trap('_cdc_ack') $$;
CREATE FUNCTION dataeng_internal._cdc_consumer_create(caller regrole, consumer text, tables regclass[])
  RETURNS void
  LANGUAGE sql AS $$ SELECT dataeng_internal.is_trap('_cdc_consumer_create') $$;
-- (a change log of its own, for the capture trigger to write into)
CREATE TABLE dataeng_internal.change_log (change_id bigint, table_oid oid, op "char", pk jsonb, old_row jsonb, new_row jsonb);
-- its own table: a rename and a new partition fire the event trigger
CREATE TABLE dataeng_internal.is_t (a int) PARTITION BY LIST (a);
ALTER TABLE dataeng_internal.is_t RENAME COLUMN a TO b;
CREATE TABLE dataeng_internal.is_t1 PARTITION OF dataeng_internal.is_t FOR VALUES IN (1);
RESET ROLE;

-- the superuser works with dataeng: the extension's own functions serve it
CREATE TABLE is_src (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('is_src');
SELECT dataeng.cdc_consumer_create('is_c', ARRAY['is_src'::regclass]);
INSERT INTO is_src VALUES (1, 'x');
ALTER TABLE is_src RENAME COLUMN v TO w;
SELECT table_name, op, new_row FROM dataeng.cdc_poll('is_c', 10);
SELECT dataeng.cdc_ack('is_c', (SELECT max(change_id) FROM dataeng.changes));

-- nothing of the role's ran, its change log holds nothing, it is no superuser
SELECT fn, who, superuser FROM is_seen ORDER BY fn;
SELECT count(*) AS squatter_log_rows FROM dataeng_internal.change_log;
SELECT rolsuper FROM pg_roles WHERE rolname = 'regress_is_squatter';

-- the upgrade refuses to adopt the role's schema
ALTER EXTENSION dataeng UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'dataeng';

-- clean up
DROP SCHEMA dataeng_internal CASCADE;
DROP TABLE is_src, is_seen;
SELECT format('REVOKE CREATE ON DATABASE %I FROM regress_is_squatter', current_database()) \gexec
DROP ROLE regress_is_squatter;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
