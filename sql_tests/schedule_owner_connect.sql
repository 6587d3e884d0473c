-- Scheduling: a job whose owner may not connect to the database (no
-- CONNECT privilege: REVOKE CONNECT ON DATABASE ... FROM PUBLIC) fails
-- each time it is due, saying why, as one whose owner cannot log in does.
-- Its worker used to fail to connect (FATAL: permission denied for
-- database, in the server log only): the run said "the job worker stopped
-- without recording a result", and was retried max_retries times.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

CREATE ROLE regress_oc LOGIN;
CREATE TABLE oc_log (at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON oc_log TO regress_oc;
SET ROLE regress_oc;
SELECT dataeng.schedule('oc_job', '@yearly', 'INSERT INTO public.oc_log DEFAULT VALUES',
                        max_retries => 2) > 0 AS scheduled;
RESET ROLE;
SELECT current_database() AS db \gset
REVOKE CONNECT ON DATABASE :"db" FROM PUBLIC;
SELECT dataeng.job_run_now('oc_job');
SELECT wait_for($$SELECT NOT run_now AND last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'oc_job'$$) AS failed;
-- one run, refused with the reason; no retry queued
SELECT pg_sleep(1.5);
SELECT r.status, r.attempt,
       replace(r.error_message, current_database(), 'DB') AS error_message
  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'oc_job' ORDER BY r.run_id;
SELECT attempt, run_now, next_run_at > now() + interval '1 hour' AS waits_for_schedule
  FROM dataeng.jobs WHERE job_name = 'oc_job';
SELECT count(*) AS ran FROM oc_log;

-- CONNECT given back (to the role itself): the job runs
GRANT CONNECT ON DATABASE :"db" TO regress_oc;
SELECT dataeng.job_run_now('oc_job');
SELECT wait_for($$SELECT NOT run_now AND last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'oc_job'$$) AS succeeded;
SELECT count(*) AS ran FROM oc_log;

GRANT CONNECT ON DATABASE :"db" TO PUBLIC;
REVOKE CONNECT ON DATABASE :"db" FROM regress_oc;
SELECT dataeng.unschedule('oc_job');
DROP TABLE oc_log;
DROP ROLE regress_oc;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
