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
-- (the scheduler's next pass marks it broken, whether or not a run is
-- asked: woken here, rather than by job_run_now, which refuses a job it
-- finds broken and so raced that pass)
SELECT dataeng_internal._scheduler_wake_now();
SELECT wait_for($$SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'st_gone'$$) AS broken;
SELECT regexp_replace(broken, '\d+', 'N') AS broken, run_now, last_status FROM dataeng.jobs WHERE job_name = 'st_gone';
-- a run asked now is refused
DO $$
BEGIN
  PERFORM dataeng.job_run_now('st_gone');
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE '%: %', SQLSTATE, regexp_replace(SQLERRM, '\d+', 'N');
END $$;
SELECT state, regexp_replace(reason, '\d+', 'N') AS reason FROM dataeng.pipeline_status WHERE name = 'st_gone';
SELECT count(*) AS runs FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'st_gone';
SELECT dataeng.unschedule('st_gone');
-- a job keeps its owner's name beside the oid: a dump writes a dropped
-- owner as a bare oid, which a restore in another cluster gives to
-- whichever role has it there.  Simulated: the oid becomes another role's,
-- and the cluster another (owner_system); the job is marked broken, never
-- run as that role.
CREATE ROLE regress_st_alice LOGIN;
CREATE ROLE regress_st_bob LOGIN;
SET ROLE regress_st_alice;
SELECT dataeng.schedule('st_moved', '@yearly', 'SELECT 1') > 0 AS scheduled;
RESET ROLE;
SELECT owner_name, owner_system = (pg_control_system()).system_identifier AS this_cluster
  FROM dataeng.jobs WHERE job_name = 'st_moved';
BEGIN;
UPDATE dataeng.jobs SET owner = 'regress_st_bob', owner_system = 0 WHERE job_name = 'st_moved';
SELECT dataeng.job_run_now('st_moved');
COMMIT;
SELECT wait_for($$SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'st_moved'$$) AS broken;
SELECT regexp_replace(broken, '\d+', 'N') AS broken, run_now, last_status FROM dataeng.jobs WHERE job_name = 'st_moved';
SELECT count(*) AS runs FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'st_moved';
-- restored where the oid is a role of the owner's name (a live owner is
-- dumped by name): it runs, and the job takes this cluster's identifier
BEGIN;
UPDATE dataeng.jobs SET owner = 'regress_st_alice', owner_system = 0, broken = NULL WHERE job_name = 'st_moved';
SELECT dataeng.job_run_now('st_moved');
COMMIT;
SELECT wait_for($$SELECT count(*) = 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'st_moved' AND r.status = 'succeeded'$$) AS ran;
SELECT owner::text, owner_name, owner_system = (pg_control_system()).system_identifier AS this_cluster, broken
  FROM dataeng.jobs WHERE job_name = 'st_moved';
-- a rename of the owner in its cluster is followed: the job runs on
ALTER ROLE regress_st_alice RENAME TO regress_st_carol;
SELECT dataeng.job_run_now('st_moved');
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'st_moved' AND r.status = 'succeeded'$$) AS ran_again;
SELECT owner::text, owner_name, broken FROM dataeng.jobs WHERE job_name = 'st_moved';
-- but a rename not seen before the dump, found in another cluster, is not
-- taken on trust (the name is the only tie between clusters)
BEGIN;
UPDATE dataeng.jobs SET owner_name = 'regress_st_alice', owner_system = 0 WHERE job_name = 'st_moved';
SELECT dataeng.job_run_now('st_moved');
COMMIT;
SELECT wait_for($$SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'st_moved'$$) AS broken;
SELECT regexp_replace(broken, '\d+', 'N') AS broken FROM dataeng.jobs WHERE job_name = 'st_moved';
-- the role that has the oid may take the job knowingly, by scheduling it again
SET ROLE regress_st_carol;
SELECT dataeng.schedule('st_moved', '@yearly', 'SELECT 2') > 0 AS rescheduled;
RESET ROLE;
SELECT owner_name, owner_system = (pg_control_system()).system_identifier AS this_cluster, broken
  FROM dataeng.jobs WHERE job_name = 'st_moved';
SELECT dataeng.unschedule('st_moved');
DROP ROLE regress_st_carol, regress_st_bob;
-- a job with a timeout over 24 days (written by hand, or restored from a
-- dump of 0.1.0: dataeng.schedule() refuses it) is marked broken with the
-- reason, instead of its runs being timed out silently at 24.8 days
SELECT dataeng.schedule('st_long', '@yearly', 'SELECT 1') > 0 AS scheduled;
UPDATE dataeng.jobs SET timeout = '30 days' WHERE job_name = 'st_long';
SELECT dataeng_internal._scheduler_wake_now();
SELECT wait_for($$SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'st_long'$$) AS broken;
SELECT broken, run_now, last_status FROM dataeng.jobs WHERE job_name = 'st_long';
DO $$
BEGIN
  PERFORM dataeng.job_run_now('st_long');
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE '%: %', SQLSTATE, SQLERRM;
END $$;
SELECT count(*) AS runs FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'st_long';
-- scheduled again with a timeout it accepts, it is no longer broken
SELECT dataeng.schedule('st_long', '@yearly', 'SELECT 1', timeout => '24 days') > 0 AS rescheduled;
SELECT broken FROM dataeng.jobs WHERE job_name = 'st_long';
SELECT dataeng.unschedule('st_long');
-- schedule() during a run starts the retries' count again: the failure of
-- that run is the first of the new schedule, whether its worker records it
-- or the scheduler finds its worker gone (the worker's record brought back
-- the run's own attempt number: 2 here, the scheduler's counted from 0).
-- The command fails once st_go has more rows than the job has failed runs.
CREATE TABLE public.st_go (n int);
CREATE FUNCTION pg_temp.st_again() RETURNS text LANGUAGE sql AS $f$
  SELECT dataeng.schedule('st_again', '@yearly', $c$DO $d$
BEGIN
  WHILE (SELECT count(*) FROM public.st_go) <= (SELECT count(*) FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                                                 WHERE j.job_name = 'st_again' AND r.status = 'failed') LOOP
    PERFORM pg_sleep(0.01);
  END LOOP;
  RAISE EXCEPTION 'st_again fails';
END $d$$c$, max_retries => 5)::text
$f$;
SELECT pg_temp.st_again() IS NOT NULL AS scheduled;
INSERT INTO public.st_go VALUES (1);
SELECT dataeng.job_run_now('st_again');
-- the first run fails at once, its retry (attempt 2) waits for st_go
SELECT wait_for($$SELECT count(*) = 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'st_again' AND r.status = 'running' AND r.attempt = 2$$) AS second_running;
SELECT pg_temp.st_again() IS NOT NULL AS rescheduled;
SELECT attempt FROM dataeng.jobs WHERE job_name = 'st_again';
INSERT INTO public.st_go VALUES (2);
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'st_again' AND r.status = 'failed'$$) AS second_failed;
-- recorded by its worker: the first failure since the reschedule
SELECT attempt FROM dataeng.jobs WHERE job_name = 'st_again';
-- its retry (attempt 2) runs; rescheduled, then its worker terminated
-- (and its worker runs the command: the run is recorded as running before
-- its worker starts, and one terminated too early was not found)
SELECT wait_for($$SELECT count(*) = 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'st_again' AND r.status = 'running' AND r.attempt = 2
                     AND EXISTS (SELECT FROM pg_stat_activity WHERE backend_type = 'dataeng job'
                                    AND query LIKE '%st_again fails%')$$) AS third_running;
SELECT pg_temp.st_again() IS NOT NULL AS rescheduled;
SELECT count(*) = count(*) FILTER (WHERE stopped) AS signalled
  FROM (SELECT pg_terminate_backend(pid) AS stopped FROM pg_stat_activity
         WHERE backend_type = 'dataeng job' AND query LIKE '%st_again fails%') t;
SELECT wait_for($$SELECT count(*) = 3 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'st_again' AND r.status = 'failed'$$) AS third_failed;
-- recorded by the scheduler: the same count
SELECT attempt FROM dataeng.jobs WHERE job_name = 'st_again';
SELECT r.attempt, r.status, r.error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name = 'st_again' AND r.status <> 'running' ORDER BY r.run_id;
SELECT dataeng.unschedule('st_again');
DROP TABLE public.st_go;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng;
