-- A job's run holds a session lock while it runs: one run of a job at a
-- time.  It was an advisory lock of USER_LOCKMETHOD: pg_advisory_unlock_all()
-- in the job's command released it, and the rest of the command ran
-- without it (another run of the job could start beside it; a later fix
-- took it again only after the statement).  The lock now is of
-- DEFAULT_LOCKMETHOD, which that function does not touch, and a ROLLBACK
-- inside a statement (a procedure's) gives it back at once: it is held
-- throughout the statement.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE sul_go (step int);
CREATE PROCEDURE sul_proc() LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_unlock_all();
  PERFORM set_config('application_name', 'sul unlocked', false);
  WHILE NOT EXISTS (SELECT FROM public.sul_go WHERE step = 1) LOOP PERFORM pg_sleep(0.05); END LOOP;
  ROLLBACK;
  PERFORM pg_advisory_unlock_all();
  PERFORM set_config('application_name', 'sul rolled back', false);
  WHILE NOT EXISTS (SELECT FROM public.sul_go WHERE step = 2) LOOP PERFORM pg_sleep(0.05); END LOOP;
END $$;
-- one statement: the lock is released and waited on inside it
SELECT dataeng.schedule('sul_job', '@yearly', 'CALL public.sul_proc()') > 0 AS scheduled;
SELECT dataeng.job_run_now('sul_job');
-- the run's lock: locktype advisory, (job_id >> 32, job_id, 25701)
CREATE FUNCTION sul_run_locked(app text) RETURNS boolean LANGUAGE sql AS $$
  SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE a.application_name = app AND a.backend_type = 'dataeng job'
                    AND l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock'
                    AND l.objsubid = 25701
                    AND l.objid = (SELECT job_id FROM dataeng.jobs WHERE job_name = 'sul_job')::oid)
$$;
-- inside the statement, after pg_advisory_unlock_all(): the lock is held
SELECT wait_for($$SELECT EXISTS (SELECT FROM pg_stat_activity
                                 WHERE application_name = 'sul unlocked'
                                   AND wait_event = 'PgSleep')$$) AS unlocked;
SELECT sul_run_locked('sul unlocked') AS run_locked;
INSERT INTO sul_go VALUES (1);
-- after the procedure's ROLLBACK, still inside the statement: held again
SELECT wait_for($$SELECT EXISTS (SELECT FROM pg_stat_activity
                                 WHERE application_name = 'sul rolled back'
                                   AND wait_event = 'PgSleep')$$) AS rolled_back;
SELECT sul_run_locked('sul rolled back') AS run_locked;
INSERT INTO sul_go VALUES (2);
SELECT wait_for($$SELECT EXISTS (SELECT FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
                                 WHERE j.job_name = 'sul_job' AND r.status <> 'running')$$) AS ended;
SELECT r.status, r.error_message FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
 WHERE j.job_name = 'sul_job';
-- and the worker left nothing behind in the lock table
SELECT wait_for($$SELECT NOT EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 25701)$$) AS released;
SELECT dataeng.unschedule('sul_job');
DROP FUNCTION sul_run_locked(text);
DROP PROCEDURE sul_proc();
DROP TABLE sul_go;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
