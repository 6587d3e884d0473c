-- Scheduling: a run whose job worker stops without recording a result
-- (terminated here; killed or FATAL alike) ends failed, in its row of
-- dataeng.job_runs and in its job's last_status (the scheduler's
-- transition sched_run_crashed, src/schedule/states.c).
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

SELECT dataeng.schedule('st_stopped', '@yearly', 'SELECT pg_sleep(60)') > 0 AS scheduled;
SELECT dataeng.job_run_now('st_stopped');
SELECT wait_for($$SELECT count(*) = 1 FROM pg_stat_activity
                   WHERE backend_type = 'dataeng job' AND query = 'SELECT pg_sleep(60)'$$) AS running;
SELECT count(*) = count(*) FILTER (WHERE stopped) AS signalled
  FROM (SELECT pg_terminate_backend(pid) AS stopped FROM pg_stat_activity
         WHERE backend_type = 'dataeng job' AND query = 'SELECT pg_sleep(60)') t;
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'st_stopped'$$) AS failed;
SELECT r.status, r.error_message, r.finished_at >= r.started_at AS finished,
       j.last_finished_at >= r.started_at AS job_finished
  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'st_stopped';
SELECT dataeng.unschedule('st_stopped');

-- a job whose owner role was dropped is marked broken when due, with the
-- reason (it was silently never started, shown due and ok: the due jobs
-- are read joined with their owner's role)
CREATE ROLE regress_st_gone LOGIN;
SET ROLE regress_st_gone;
SELECT dataeng.schedule('st_gone', '@yearly', 'SELECT 1') > 0 AS scheduled;
RESET ROLE;
DROP ROLE regress_st_gone;
SELECT dataeng.job_run_now('st_gone');
SELECT wait_for($$SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'st_gone'$$) AS broken;
SELECT regexp_replace(broken, '\d+', 'N') AS broken, run_now, last_status FROM dataeng.jobs WHERE job_name = 'st_gone';
SELECT state, regexp_replace(reason, '\d+', 'N') AS reason FROM dataeng.pipeline_status WHERE name = 'st_gone';
SELECT count(*) AS runs FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'st_gone';
SELECT dataeng.unschedule('st_gone');
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng;
