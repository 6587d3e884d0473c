-- Scheduling: the job worker's own waits do not run under its owner's
-- lock_timeout, its command does.  A run's worker first waits for the
-- scheduler's transaction that started it; under a lock_timeout of the
-- owner's (ALTER ROLE ... SET) shorter than that transaction, the worker
-- failed before it began, and the run ended failed without its command.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

CREATE ROLE regress_olt LOGIN;
ALTER ROLE regress_olt SET lock_timeout = '1ms';
CREATE TABLE olt_log (job text, lock_timeout text);
GRANT INSERT ON olt_log TO regress_olt;
SELECT dataeng_internal._scheduler_test_now('2030-01-01 00:00:00+00');
SET ROLE regress_olt;
SELECT dataeng.schedule('olt_1', '@yearly', $$INSERT INTO public.olt_log SELECT 'olt_1', current_setting('lock_timeout')$$) > 0 AS scheduled;
SELECT dataeng.schedule('olt_2', '@yearly', $$INSERT INTO public.olt_log SELECT 'olt_2', current_setting('lock_timeout')$$) > 0 AS scheduled;
RESET ROLE;

-- The scheduler's pass starts olt_1's worker, then waits to record the
-- run of olt_2 behind a row this transaction holds (the run id it will
-- take): olt_1's worker waits for that pass to end.
BEGIN;
SELECT last_value + CASE WHEN is_called THEN 2 ELSE 1 END AS olt_2_run
  FROM dataeng.job_runs_run_id_seq \gset
INSERT INTO dataeng.job_runs (run_id, job_id, owner, started_at, status, attempt)
SELECT :olt_2_run, job_id, owner, now(), 'failed', 1 FROM dataeng.jobs WHERE job_name = 'olt_2';
SELECT dataeng_internal._scheduler_test_now('2031-06-01 00:00:00+00');
-- a worker waits for the transaction of another (the scheduler's pass)
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM pg_locks l
                   WHERE NOT l.granted AND l.locktype = 'transactionid'
                     AND l.transactionid OPERATOR(pg_catalog.<>) pg_current_xact_id()::xid)$$, 60) AS worker_waits;
ROLLBACK;
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.jobs
                   WHERE job_name LIKE 'olt_%' AND last_status IN ('succeeded', 'failed')$$) AS ended;
-- both ran, their commands under their owner's lock_timeout
SELECT j.job_name, j.last_status, r.error_message
  FROM dataeng.jobs j LEFT JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
 WHERE j.job_name LIKE 'olt_%' ORDER BY j.job_name;
SELECT * FROM olt_log ORDER BY job;

SELECT dataeng_internal._scheduler_test_now(NULL);
SET ROLE regress_olt;
SELECT dataeng.unschedule('olt_1'), dataeng.unschedule('olt_2');
RESET ROLE;
DROP TABLE olt_log;
DROP ROLE regress_olt;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
