-- A monitor whose check cannot run (its time column renamed) is failing,
-- its reason giving its job's error; its last_error was NULL and its
-- since the monitor's creation, long before the failure.  They are the
-- job's error and its first failed run since the latest check.
-- The cluster preloads dataeng, so this database has a scheduler.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;
CREATE TABLE mj_t (at timestamptz);
INSERT INTO mj_t VALUES (now());
SELECT dataeng.monitor_create('mj_m', 'mj_t', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('mj_m')).ok;
SELECT kind, name, state, last_error, since = (SELECT created_at FROM dataeng.monitors WHERE name = 'mj_m') AS since_created
  FROM dataeng.pipeline_status WHERE kind = 'monitor';
SELECT pg_sleep(0.1);
ALTER TABLE mj_t RENAME COLUMN at TO at2;
SELECT dataeng.job_run_now('monitor:mj_m');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'monitor:mj_m'$$) AS check_failed;
SELECT kind, name, state, reason, last_error,
       since = (SELECT r.finished_at FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                 WHERE j.job_name = 'monitor:mj_m' AND r.status = 'failed') AS since_failed,
       since > (SELECT created_at FROM dataeng.monitors WHERE name = 'mj_m') AS since_after_creation
  FROM dataeng.pipeline_status WHERE kind = 'monitor';
-- the column back and checked: ok, since the monitor's creation as before
ALTER TABLE mj_t RENAME COLUMN at2 TO at;
SELECT (dataeng.monitor_check('mj_m')).ok;
SELECT kind, name, state, last_error, since = (SELECT created_at FROM dataeng.monitors WHERE name = 'mj_m') AS since_created
  FROM dataeng.pipeline_status WHERE kind = 'monitor';

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE mj_t;
DROP FUNCTION wait_for(text, float8);
