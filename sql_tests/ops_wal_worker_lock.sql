-- The WAL capture worker waits for a lock on a captured table that a
-- transaction holds (a LOCK TABLE left open, a long VACUUM FULL or table
-- rewrite) before it can record that table's changes: it decodes nothing
-- meanwhile, for any table.  The capture slot's row of
-- dataeng.pipeline_status is a warning naming the table, how long and the
-- process holding it (it said ok: only the bytes behind grew).  And with
-- dataeng.enabled off, the rows of the tables captured from the WAL say
-- that their changes wait.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE wl (id int PRIMARY KEY);
CREATE TABLE wl_other (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('wl', method => 'wal');
SELECT dataeng.cdc_enable('wl_other', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT state FROM dataeng.pipeline_status WHERE kind = 'slot';

-- a change of wl waits in the WAL while the worker is off
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
INSERT INTO wl VALUES (1);
-- (and the tables' own rows say that nothing records their changes: they
-- said "changes are captured", which only the slot's row, a superuser's,
-- contradicted)
SELECT name, state, reason FROM dataeng.pipeline_status WHERE kind = 'captured table' ORDER BY name;
ALTER SYSTEM RESET dataeng.enabled;
-- this transaction holds wl: the worker, back on, waits for it
BEGIN;
LOCK TABLE wl IN ACCESS EXCLUSIVE MODE;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT EXISTS (SELECT FROM pg_locks l JOIN pg_replication_slots s ON s.active_pid = l.pid
                                 WHERE s.slot_name LIKE 'dataeng_wal_%' AND NOT l.granted
                                   AND l.relation = 'wl'::regclass)$$) AS worker_waits;
INSERT INTO wl_other VALUES (1);
SELECT pg_sleep(5.5);
SELECT state, regexp_replace(regexp_replace(reason, 'is .* behind', 'is ... behind'),
                             'waited [0-9]+ s for a lock on public.wl, held by process [0-9]+',
                             'waited N s for a lock on public.wl, held by process P') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'slot';
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT state FROM dataeng.pipeline_status WHERE kind = 'slot';
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'captured table' ORDER BY name;
SELECT count(*) FROM dataeng.changes;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
