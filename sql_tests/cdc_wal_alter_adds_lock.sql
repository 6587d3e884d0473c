-- CDC from the WAL: ALTER TABLE ... ADD COLUMN in a transaction that holds
-- another captured table in ACCESS EXCLUSIVE mode (LOCK TABLE b first,
-- then ALTER TABLE a ADD COLUMN, as migrations do).  The worker, recording
-- a change of b committed before, waits for that lock: it cannot record
-- the changes before the ALTER until the transaction ends, as when the
-- table altered is the one locked (cdc_wal_alter_adds.sql, 4.), so the
-- column is added without the wait, the changes of a waiting then
-- recorded with it.  It failed with 40P01, the migration rolled back.
-- The worker is held in its round by a table whose generated column takes
-- a second to compute, so that the ALTER comes while the changes wait.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE FUNCTION al_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN x * 2; END $$;
CREATE TABLE al_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.al_slow(id)) STORED);
CREATE TABLE al_a (id int PRIMARY KEY, n int);
CREATE TABLE al_b (id int PRIMARY KEY, n int);
SELECT dataeng.cdc_enable('al_slow', method => 'wal');
SELECT dataeng.cdc_enable('al_a', method => 'wal');
SELECT dataeng.cdc_enable('al_b', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

INSERT INTO al_slow (id) VALUES (1), (2);
INSERT INTO al_b VALUES (1, 1);
INSERT INTO al_a VALUES (1, 1);
BEGIN;
LOCK TABLE al_b IN ACCESS EXCLUSIVE MODE;
ALTER TABLE al_a ADD COLUMN late int;
ALTER TABLE al_b ADD COLUMN late int;
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT table_name, capture_error FROM dataeng.cdc_status
 WHERE table_name IN ('al_a'::regclass, 'al_b'::regclass) ORDER BY 1::text;
SELECT table_name, op, pk, new_row FROM dataeng.changes
 WHERE table_name IN ('al_a'::regclass, 'al_b'::regclass) ORDER BY change_id;

-- another ALTER there still fails (40P01): the changes waiting would not
-- be decoded with the table's columns as it leaves them
INSERT INTO al_slow (id) VALUES (3), (4);
INSERT INTO al_b VALUES (2, 1);
BEGIN;
LOCK TABLE al_b IN ACCESS EXCLUSIVE MODE;
\set VERBOSITY terse
ALTER TABLE al_a ALTER COLUMN n TYPE bigint;
\set VERBOSITY default
ROLLBACK;
SELECT dataeng.cdc_wal_sync();
SELECT table_name, capture_error FROM dataeng.cdc_status
 WHERE table_name IN ('al_a'::regclass, 'al_b'::regclass) ORDER BY 1::text;

SET client_min_messages = warning;
DROP TABLE al_a, al_b, al_slow;
DROP FUNCTION al_slow(int);
DROP EXTENSION dataeng CASCADE;
