-- CDC from the WAL: the first cdc_enable(..., method => 'wal') of a
-- database while a prepared transaction (of any database) runs.  The
-- worker's slot creation waits for every transaction running when it
-- began, and the table's switch to the WAL with it, as long as the
-- prepared transaction lasts: an orphaned one, for ever.  cdc_wal_sync()
-- names it (55P03); before, it returned false after its timeout, saying
-- nothing, and dataeng.pipeline_status said ok: the capture slot's row is
-- a warning naming it once the worker has waited 5 s.  The table is
-- captured by its trigger meanwhile: nothing is lost.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE scp (id int PRIMARY KEY);
CREATE TABLE scp_other (id int);
RESET client_min_messages;
-- (no slot in this database yet: cdc_enable's commit starts its worker,
-- which makes it)
SELECT count(*) AS slots FROM pg_replication_slots WHERE database = current_database();
BEGIN;
INSERT INTO scp_other VALUES (1);
PREPARE TRANSACTION 'scp_orphan';
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('scp', method => 'wal');
RESET client_min_messages;
INSERT INTO scp VALUES (1);
-- the worker, making its slot, waits for the prepared transaction
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM pg_replication_slots s JOIN pg_locks l ON l.pid = s.active_pid
                   WHERE s.database = current_database() AND s.confirmed_flush_lsn IS NULL
                     AND l.locktype = 'transactionid' AND NOT l.granted
                     AND l.transactionid = (SELECT px.transaction FROM pg_prepared_xacts px WHERE px.gid = 'scp_orphan'))$$) AS slot_waits;
\set VERBOSITY terse
SELECT dataeng.cdc_wal_sync('1 s');
\set VERBOSITY default
-- its detail and hint
DO $$
DECLARE
  d text;
  h text;
BEGIN
  PERFORM dataeng.cdc_wal_sync('1 s');
EXCEPTION WHEN lock_not_available THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RAISE NOTICE 'detail: %', regexp_replace(regexp_replace(d, 'dataeng_wal_[0-9]+', 'dataeng_wal_N'), 'transaction [0-9]+ now, of database [a-z_]+', 'transaction X now, of database D');
  RAISE NOTICE 'hint: %', h;
END $$;
-- a wait for no switch is not held
SELECT dataeng.cdc_wal_sync('1 s', tables => '{}') AS synced;
-- the trigger captures the table meanwhile
SELECT active_method FROM dataeng.cdc_status WHERE table_name = 'scp'::regclass;
SELECT op, pk FROM dataeng.changes WHERE table_name = 'scp'::regclass ORDER BY change_id;
-- pipeline_status: the capture slot's row is a warning naming the
-- prepared transaction, once the worker has waited 5 s (it said ok)
SELECT pg_sleep(5.5);
SELECT kind, state,
       regexp_replace(regexp_replace(regexp_replace(reason, 'dataeng_wal_[0-9]+', 'dataeng_wal_N'),
                                     'waited [0-9]+ s', 'waited N s'),
                      'transaction [0-9]+, of database [a-z_]+', 'transaction X, of database D') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'slot';
-- (no alert: a warning of the status only)
SELECT count(*) AS alerts FROM dataeng_internal._status_rows() WHERE kind = 'slot' AND alert_kind IS NOT NULL;
ROLLBACK PREPARED 'scp_orphan';
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT active_method FROM dataeng.cdc_status WHERE table_name = 'scp'::regclass;
-- the warning is gone with the prepared transaction
SELECT kind, state FROM dataeng.pipeline_status WHERE kind = 'slot';
INSERT INTO scp VALUES (2);
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT op, pk FROM dataeng.changes WHERE table_name = 'scp'::regclass ORDER BY change_id;

SET client_min_messages = warning;
SELECT dataeng.cdc_disable('scp');
DROP TABLE scp, scp_other;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
