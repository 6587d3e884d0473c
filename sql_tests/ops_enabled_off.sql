-- dataeng.enabled off stops the background workers: the WAL capture's slot
-- and the jobs say so in pipeline_status (they said "ok" and "changes are
-- captured" while nothing was captured from the WAL nor run).
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE eo (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('eo', method => 'wal');
CREATE FUNCTION eo_sink(changes dataeng.change[]) RETURNS void LANGUAGE sql AS 'SELECT';
SELECT dataeng.on_change('eo_trg', 'eo', 'eo_sink(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.schedule('idle_job', '1 hour', 'SELECT 1') > 0 AS scheduled;
SELECT kind, state FROM dataeng.pipeline_status WHERE kind IN ('slot', 'job', 'on_change') ORDER BY kind;
-- (a session reads the new setting when it is signalled, some time after
-- pg_reload_conf(): once the WAL worker has read it, a new session does)
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
\c
\pset null '(null)'
SET client_min_messages = warning;
SELECT kind, state, regexp_replace(reason, 'is [0-9]+ [a-zA-Z]+ behind', 'is N behind') AS reason
  FROM dataeng.pipeline_status WHERE kind IN ('slot', 'job', 'on_change') ORDER BY kind;
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_on;
\c
\pset null '(null)'
SET client_min_messages = warning;
SELECT kind, state FROM dataeng.pipeline_status WHERE kind IN ('slot', 'job', 'on_change') ORDER BY kind;
SELECT dataeng.unschedule('idle_job');
SELECT dataeng.on_change_drop('eo_trg');
SELECT dataeng.cdc_disable('eo');
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
