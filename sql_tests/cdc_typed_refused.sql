-- An ALTER TYPE of a composite type whose typed tables are captured from
-- the WAL, which PostgreSQL refuses because of those tables: without
-- CASCADE ("cannot alter type ... because it is the type of a typed
-- table"), or by a role that owns the type but not a typed table of it,
-- made by another role with USAGE on the type ("must be owner of table").
-- Before the statement, capture waits for the WAL worker with the tables
-- locked in SHARE ROW EXCLUSIVE mode.  For these statements, it did the
-- same: up to 30 s (the worker busy) with another role's table locked,
-- its writers blocked, by a role with no right on it, and every
-- non-CASCADE ALTER TYPE waited as long for its sure error.  Now the
-- refusal comes at once, with no wait for the worker (_cdc_wal_caught_up()
-- not called) and so no lock held meanwhile.  And a partition of a typed
-- table captured on its own, whose columns ALTER TYPE ... CASCADE changes
-- too, is waited for (it was not: its pending change stopped it).
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
CREATE ROLE regress_ctrr_alice;
CREATE ROLE regress_ctrr_bob;
RESET client_min_messages;
GRANT CREATE ON SCHEMA public TO regress_ctrr_alice, regress_ctrr_bob;

SET ROLE regress_ctrr_alice;
CREATE TYPE ctrr_t AS (id int, a text, b text);
GRANT USAGE ON TYPE ctrr_t TO regress_ctrr_bob;
CREATE TABLE ctrr_alice_tab OF ctrr_t (PRIMARY KEY (id));
SET ROLE regress_ctrr_bob;
CREATE TABLE ctrr_bob_tab OF ctrr_t (PRIMARY KEY (id));
RESET ROLE;
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('ctrr_alice_tab', columns => '{id,a}', method => 'wal');
SELECT dataeng.cdc_enable('ctrr_bob_tab', columns => '{id,a}', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

CREATE VIEW ctrr_waits AS
  SELECT coalesce(sum(s.calls), 0) AS waits
    FROM pg_stat_xact_user_functions s
   WHERE s.schemaname = 'dataeng_internal' AND s.funcname = '_cdc_wal_caught_up';
GRANT SELECT ON ctrr_waits TO regress_ctrr_alice;
SET track_functions = 'all';

-- the type's owner, who does not own ctrr_bob_tab
SET ROLE regress_ctrr_alice;
BEGIN;
SAVEPOINT s;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2 CASCADE;
ROLLBACK TO s;
ALTER TYPE ctrr_t ADD ATTRIBUTE c int CASCADE;
ROLLBACK TO s;
ALTER TYPE ctrr_t DROP ATTRIBUTE b CASCADE;
ROLLBACK TO s;
ALTER TYPE ctrr_t ALTER ATTRIBUTE b TYPE varchar(10) CASCADE;
ROLLBACK TO s;
SELECT * FROM ctrr_waits;
COMMIT;
RESET ROLE;

-- without CASCADE (or with it on one action only)
BEGIN;
SAVEPOINT s;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2;
ROLLBACK TO s;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2 RESTRICT;
ROLLBACK TO s;
ALTER TYPE ctrr_t ADD ATTRIBUTE c int, DROP ATTRIBUTE b CASCADE;
ROLLBACK TO s;
SELECT * FROM ctrr_waits;
COMMIT;

-- what PostgreSQL does not refuse still waits for the worker, and the
-- capture options follow it
BEGIN;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2 CASCADE;
SELECT waits > 0 AS waited FROM ctrr_waits;
COMMIT;
RESET track_functions;
SELECT table_name, columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctrr\_%' ORDER BY table_name::text;
SELECT table_name, capture_error FROM dataeng.cdc_status
 WHERE table_name::text LIKE 'ctrr\_%' ORDER BY table_name::text;

-- A partition of a partitioned typed table captured from the WAL on its
-- own (its parent not captured): ALTER TYPE ... CASCADE renames its columns
-- too, and waits for the worker as for the typed tables themselves.
-- (Before, no wait: the partition's change still waiting stopped its
-- capture, "cannot decode a change of table "ctrr_part_1" written before
-- its columns changed", and the change was lost.)  The worker is held in a
-- round by a table whose generated column takes it two seconds to compute
-- (this session, which sets ctrr.writer, none), the round begun within the
-- half second after the insert.
CREATE FUNCTION ctrr_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN
    IF current_setting('ctrr.writer', true) IS DISTINCT FROM 'on' THEN
      PERFORM pg_catalog.pg_sleep(2);
    END IF;
    RETURN x * 2;
  END $$;
SET ctrr.writer = 'on';
CREATE TABLE ctrr_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.ctrr_slow(id)) STORED);
CREATE TYPE ctrr_pt AS (id int, a text, b text);
CREATE TABLE ctrr_part OF ctrr_pt (PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE ctrr_part_1 PARTITION OF ctrr_part FOR VALUES FROM (0) TO (100);
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('ctrr_slow', method => 'wal');
SELECT dataeng.cdc_enable('ctrr_part_1', columns => '{id,a}', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO ctrr_slow (id) VALUES (1);
SELECT pg_sleep(0.5);
INSERT INTO ctrr_part VALUES (1, 'a1', 'b1');
ALTER TYPE ctrr_pt RENAME ATTRIBUTE a TO a2 CASCADE;
INSERT INTO ctrr_part VALUES (2, 'a2', 'b2');
SELECT dataeng.cdc_wal_sync();
SELECT s.table_name, t.columns, s.capture_error
  FROM dataeng.cdc_status s JOIN dataeng.cdc_tables t USING (table_name)
 WHERE s.table_name = 'ctrr_part_1'::regclass;
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name = 'ctrr_part_1'::regclass ORDER BY change_id;
RESET ctrr.writer;

SET client_min_messages = warning;
DROP VIEW ctrr_waits;
DROP TABLE ctrr_alice_tab, ctrr_bob_tab, ctrr_part, ctrr_slow;
DROP TYPE ctrr_t, ctrr_pt;
DROP FUNCTION ctrr_slow(int);
REVOKE CREATE ON SCHEMA public FROM regress_ctrr_alice, regress_ctrr_bob;
DROP ROLE regress_ctrr_alice;
DROP ROLE regress_ctrr_bob;
DROP EXTENSION dataeng CASCADE;
