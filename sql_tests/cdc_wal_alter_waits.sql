-- CDC from the WAL: an ALTER TABLE that changes a column's type, renames
-- a column, drops one or makes a generated column a plain one, on a table
-- captured from the WAL, first waits for the worker to record the changes
-- committed before it (writers held off meanwhile).  The worker decodes a
-- change a round after its commit, with the table's columns as they are
-- then: a change still waiting in the WAL when the column's type changed
-- (int to bigint, the usual widening) or its name changed stopped the
-- table, and its changes from then on were lost until cdc_enable(); a
-- change waiting for a column then dropped lost that column's value.
-- The worker is held in its round by a table whose generated column takes
-- a second to compute, so that the ALTER comes while the change waits.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE FUNCTION aw_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN x * 2; END $$;
-- (each insert into aw_slow holds the worker's round for a second)
CREATE TABLE aw_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.aw_slow(id)) STORED);
CREATE TABLE aw (id int PRIMARY KEY, n int, a text, gone text, g int GENERATED ALWAYS AS (id * 10) STORED);
SELECT dataeng.cdc_enable('aw_slow', method => 'wal');
SELECT dataeng.cdc_enable('aw', method => 'wal');
SELECT dataeng.cdc_consumer_create('aw_c', '{aw}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- 1. a column's type changes while a change of it waits: recorded with
-- the type of its time, and the table goes on
INSERT INTO aw_slow (id) VALUES (1);
INSERT INTO aw (id, n, a, gone) VALUES (1, 10, 'x', 'g1');
ALTER TABLE aw ALTER COLUMN n TYPE bigint;
INSERT INTO aw (id, n, a, gone) VALUES (2, 3000000000, 'y', 'g2');

-- 2. a column renamed while a change of it waits
INSERT INTO aw_slow (id) VALUES (2);
UPDATE aw SET a = 'x2' WHERE id = 1;
ALTER TABLE aw RENAME COLUMN a TO label;
INSERT INTO aw (id, n, label, gone) VALUES (3, 3, 'z', 'g3');

-- 3. a column dropped while a change of it waits: its value is recorded
INSERT INTO aw_slow (id) VALUES (3);
UPDATE aw SET gone = 'g1b' WHERE id = 1;
ALTER TABLE aw DROP COLUMN gone;

-- 4. a generated column made a plain one while a change waits
INSERT INTO aw_slow (id) VALUES (4);
INSERT INTO aw (id, n, label) VALUES (4, 4, 'w');
ALTER TABLE aw ALTER COLUMN g DROP EXPRESSION;
INSERT INTO aw (id, n, label, g) VALUES (5, 5, 'v', 55);

SELECT dataeng.cdc_wal_sync();
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'aw'::regclass;
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('aw_c') ORDER BY position;

-- 5. a partition of a partitioned table captured from the WAL: the
-- partitioned table's ALTER waits the same way
SET client_min_messages = warning;
CREATE TABLE awp (id int, region text, n int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE awp_eu PARTITION OF awp FOR VALUES IN ('eu');
SELECT dataeng.cdc_enable('awp', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO aw_slow (id) VALUES (5);
INSERT INTO awp VALUES (1, 'eu', 7);
ALTER TABLE awp ALTER COLUMN n TYPE numeric;
INSERT INTO awp VALUES (2, 'eu', 8.5);
SELECT dataeng.cdc_wal_sync();
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'awp'::regclass;
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'awp'::regclass ORDER BY change_id;

-- 6. an added column waits too (nothing is pending here: see
-- cdc_wal_alter_adds.sql); an ALTER of a table captured by its trigger
-- does not wait
ALTER TABLE aw ADD COLUMN extra int;
CREATE TABLE awt (id int PRIMARY KEY, n int);
SELECT dataeng.cdc_enable('awt');
INSERT INTO awt VALUES (1, 1);
ALTER TABLE awt ALTER COLUMN n TYPE bigint;
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'awt'::regclass ORDER BY change_id;

-- 7. no worker runs rounds (dataeng.enabled off): the ALTER says that the
-- changes not recorded yet may stop the table, and goes on
SET client_min_messages = warning;
DROP FUNCTION IF EXISTS wait_for(text, float8);
RESET client_min_messages;
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
INSERT INTO aw (id, n, label) VALUES (6, 6, 'u');
\set VERBOSITY default
ALTER TABLE aw RENAME COLUMN extra TO extra2;
\set VERBOSITY terse
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_running;
SELECT dataeng.cdc_wal_sync();
-- (as the warning said: the change of id 6 named column "extra")
SELECT capture_error IS NOT NULL AS stopped FROM dataeng.cdc_status WHERE table_name = 'aw'::regclass;

SET client_min_messages = warning;
DROP TABLE aw, aw_slow, awp, awt;
DROP FUNCTION aw_slow(int);
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
