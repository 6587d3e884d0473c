-- Capture from the WAL renders a row (a cast to json of a role's type, a
-- type's output function) as the table's owner, restricted, never as the
-- worker's superuser: keys, old rows and new rows alike.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE regress_wr_a;
GRANT CREATE ON SCHEMA public TO regress_wr_a;
CREATE TABLE wr_seen (who text, superuser boolean);
GRANT INSERT ON wr_seen TO regress_wr_a;
SET ROLE regress_wr_a;
CREATE TYPE wr_mood AS ENUM ('ok', 'sad');
-- (VOLATILE: it writes down who runs it)
CREATE FUNCTION wr_mood_json(m wr_mood) RETURNS json LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO public.wr_seen
    SELECT current_user, r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user;
  RETURN pg_catalog.to_json(m::text);
END $$;
CREATE CAST (wr_mood AS json) WITH FUNCTION wr_mood_json(wr_mood);
CREATE TABLE wr_t (k wr_mood PRIMARY KEY, m wr_mood);
SELECT dataeng.cdc_enable('wr_t', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SET ROLE regress_wr_a;
INSERT INTO wr_t VALUES ('ok', 'sad');
UPDATE wr_t SET m = 'ok';
DELETE FROM wr_t;
RESET ROLE;
DELETE FROM wr_seen;  -- (the writer's own casts, if any)
SELECT dataeng.cdc_wal_sync();
-- the rows were rendered through the role's cast
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 'wr_t'::regclass ORDER BY change_id;
-- ... run as the table's owner, never as a superuser
SELECT who, superuser, count(*) > 0 AS ran FROM wr_seen GROUP BY who, superuser ORDER BY who;
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'wr_t'::regclass;

-- clean up
DROP EXTENSION dataeng CASCADE;
DROP TABLE wr_t, wr_seen;
DROP CAST (wr_mood AS json);
DROP FUNCTION wr_mood_json(wr_mood);
DROP TYPE wr_mood;
REVOKE CREATE ON SCHEMA public FROM regress_wr_a;
DROP ROLE regress_wr_a;
