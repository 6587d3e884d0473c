-- A prepared transaction (PREPARE TRANSACTION) holding a lock that capture
-- from the WAL waits for is named by its gid: it has no process, outlives
-- its session and a server restart, and only COMMIT PREPARED or ROLLBACK
-- PREPARED ends it.  cdc_wal_sync()'s error about a switch of capture
-- method held off said "the transaction of process  holds a lock" (naming
-- nothing), and the capture slot's row of dataeng.pipeline_status, with
-- the worker waiting for a table's lock, "held by process 0".
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE pl (id int PRIMARY KEY, v text);
CREATE TABLE pl_other (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('pl', method => 'wal');
SELECT dataeng.cdc_enable('pl_other', method => 'wal');
SELECT dataeng.cdc_consumer_create('pl_c', '{pl,pl_other}');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.cdc_enable('pl', method => 'trigger');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- 1. a prepared transaction that wrote the table holds its switch back
-- to the WAL off
BEGIN;
INSERT INTO pl VALUES (1, 'prepared');
PREPARE TRANSACTION 'pl_write';
SELECT dataeng.cdc_enable('pl', method => 'wal');
\set VERBOSITY default
SELECT dataeng.cdc_wal_sync('1 s', tables => '{pl}');
\set VERBOSITY terse
COMMIT PREPARED 'pl_write';
SELECT dataeng.cdc_wal_sync();
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'pl'::regclass;

-- 2. a prepared transaction holding the table locked while a change of it
-- waits in the WAL: the worker waits for it, and the slot's row says who
INSERT INTO pl VALUES (2, 'waits');
BEGIN;
LOCK TABLE pl IN ACCESS EXCLUSIVE MODE;
PREPARE TRANSACTION 'pl_lock';
INSERT INTO pl_other VALUES (1);
SELECT wait_for($$SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_replication_slots s ON s.active_pid = l.pid
                                 WHERE s.slot_name LIKE 'dataeng_wal_%' AND NOT l.granted
                                   AND l.relation = 'pl'::regclass)$$) AS worker_waits;
-- (the slot's row says so once the worker has waited 5 s)
SELECT pg_sleep(5.5);
SELECT state, regexp_replace(regexp_replace(reason, 'is .* behind', 'is ... behind'),
                             'waited [0-9]+ s', 'waited N s') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'slot';
COMMIT PREPARED 'pl_lock';
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, pk FROM dataeng.cdc_poll('pl_c') ORDER BY position;

SET client_min_messages = warning;
DROP TABLE pl, pl_other;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
