-- A job's run holds a session advisory lock while it runs: one run of a
-- job at a time.  pg_advisory_unlock_all() in the job's command released
-- it, and the rest of the command ran without it (another run of the job
-- could start beside it).  The run now takes it again after each statement
-- of the command (or fails, when another run of the job took it meanwhile).
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE sul_go (go boolean);
SELECT dataeng.schedule('sul_job', '@yearly',
  $c$SELECT pg_advisory_unlock_all();
    DO $d$ BEGIN
      WHILE NOT EXISTS (SELECT FROM public.sul_go) LOOP PERFORM pg_sleep(0.05); END LOOP;
    END $d$$c$) > 0 AS scheduled;
SELECT dataeng.job_run_now('sul_job');
-- the run's lock: locktype advisory, (job_id >> 32, job_id, 25701)
CREATE FUNCTION sul_run_locked() RETURNS boolean LANGUAGE sql AS $$
  SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE a.application_name = 'dataeng job sul_job' AND a.query LIKE '%DO $d$%'
                    AND l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock'
                    AND l.objsubid = 25701
                    AND l.objid = (SELECT job_id FROM dataeng.jobs WHERE job_name = 'sul_job')::oid)
$$;
-- the second statement runs, after pg_advisory_unlock_all(): the lock is held
SELECT wait_for($$SELECT EXISTS (SELECT FROM pg_stat_activity
                                 WHERE application_name = 'dataeng job sul_job'
                                   AND wait_event = 'PgSleep')$$) AS in_second_statement;
SELECT sul_run_locked() AS run_locked;
INSERT INTO sul_go VALUES (true);
SELECT wait_for($$SELECT EXISTS (SELECT FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
                                 WHERE j.job_name = 'sul_job' AND r.status <> 'running')$$) AS ended;
SELECT r.status, r.error_message FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
 WHERE j.job_name = 'sul_job';
SELECT dataeng.unschedule('sul_job');
DROP FUNCTION sul_run_locked();
DROP TABLE sul_go;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
