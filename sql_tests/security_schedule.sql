-- Security of the scheduler: attacks by a plain role on the scheduler, its
-- bookkeeping and its slots, each refused.  ss_attacker is a LOGIN role
-- without SUPERUSER or CREATEROLE that owns one schema; ss_victim is another
-- plain role with jobs of its own.
\set VERBOSITY terse
CREATE EXTENSION dataeng;

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

CREATE ROLE ss_attacker LOGIN;
CREATE ROLE ss_victim LOGIN;
CREATE SCHEMA ss_attacker AUTHORIZATION ss_attacker;
GRANT CREATE ON SCHEMA public TO ss_attacker;
CREATE TABLE ss_ticks (job text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON ss_ticks TO ss_attacker, ss_victim;

-- The attacker's trap: an equality operator that, when a superuser runs it,
-- makes the attacker superuser, and notes who ran it.
SET ROLE ss_attacker;
CREATE TABLE ss_attacker.ran_as (who name, at text);
GRANT INSERT ON ss_attacker.ran_as TO PUBLIC;
CREATE FUNCTION ss_attacker.trap(a bigint, b bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ss_attacker.ran_as VALUES (current_user, 'bigint =');
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE ss_attacker SUPERUSER';
  END IF;
  RETURN a OPERATOR(pg_catalog.=) b;
END $$;
CREATE OPERATOR ss_attacker.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = ss_attacker.trap);
CREATE FUNCTION ss_attacker.trap_role(a oid, b regrole) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ss_attacker.ran_as VALUES (current_user, 'oid = regrole');
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    EXECUTE 'ALTER ROLE ss_attacker SUPERUSER';
  END IF;
  RETURN a OPERATOR(pg_catalog.=) b::oid;
END $$;
-- 3. an operator in public, where the scheduler's own queries once looked
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = regrole, FUNCTION = ss_attacker.trap_role);
RESET ROLE;

-------------------------------------------------------------------------------
-- 1. The job's bookkeeping runs as superuser: neither the command's SET
--    search_path nor the role's ALTER ROLE ... SET decides what it resolves
-------------------------------------------------------------------------------
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_set_path', '@yearly',
  $$SET search_path = ss_attacker, pg_catalog; INSERT INTO public.ss_ticks (job) VALUES ('set_path')$$) > 0 AS scheduled;
SELECT dataeng.job_run_now('ss_set_path');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'ss_set_path'$$) AS ran;
-- the path of the role itself, and a failing command (recorded in a new transaction)
ALTER ROLE ss_attacker SET search_path = ss_attacker, pg_catalog;
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_role_path', '@yearly', $$INSERT INTO public.ss_ticks (job) VALUES ('role_path')$$) > 0 AS scheduled;
SELECT dataeng.schedule('ss_role_path_fails', '@yearly', 'SELECT 1/0') > 0 AS scheduled;
SELECT dataeng.job_run_now('ss_role_path');
SELECT dataeng.job_run_now('ss_role_path_fails');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'ss_role_path'$$) AS ran;
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'ss_role_path_fails'$$) AS failed;
SELECT job FROM ss_ticks ORDER BY job;
SELECT status, error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name = 'ss_role_path_fails';
-- the trap ran (if at all) as the attacker, never as a superuser
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'ss_attacker';
SELECT count(*) AS trap_ran_as_superuser
  FROM ss_attacker.ran_as a JOIN pg_roles r ON r.rolname = a.who WHERE r.rolsuper;
ALTER ROLE ss_attacker RESET search_path;

-------------------------------------------------------------------------------
-- 5 and 9. dataeng.jobs is written through the functions only
-------------------------------------------------------------------------------
SET ROLE ss_victim;
SELECT dataeng.schedule('ss_victim_job', '@yearly', $$INSERT INTO public.ss_ticks (job) VALUES ('victim')$$) > 0 AS scheduled;
SET ROLE ss_attacker;
INSERT INTO dataeng.jobs (job_name, schedule, command, next_run_at)
VALUES ('boom', '178000000 years', 'select 1', now());
INSERT INTO dataeng.jobs (job_name, schedule, command, depends_on)
VALUES ('leech', '@yearly', 'select 1', '{ss_victim_job}');
UPDATE dataeng.jobs SET next_run_at = now(), attempt = 0;
DELETE FROM dataeng.jobs;
SELECT nextval('dataeng.jobs_job_id_seq');
-- the functions refuse what the table once let through
SELECT dataeng.schedule('boom', '178000000 years', 'select 1');
SELECT dataeng.schedule('leech', '@yearly', 'select 1', depends_on => '{ss_victim_job}');
SELECT dataeng.job_run_now('ss_victim_job');
SELECT dataeng.job_pause('ss_victim_job');
SELECT dataeng.unschedule('ss_victim_job');
SELECT dataeng.schedule('ss_victim_job', '@daily', 'select 1');
SELECT job_name FROM dataeng.jobs ORDER BY 1;
RESET ROLE;

-- a bad row a superuser writes by hand is marked broken; other jobs run on
INSERT INTO dataeng.jobs (job_name, owner, owner_name, schedule, command, next_run_at)
VALUES ('ss_boom', 'ss_attacker', 'ss_attacker', '178000000 years', 'select 1', now());
SELECT dataeng.job_run_now('ss_victim_job');
SELECT wait_for($$SELECT broken IS NOT NULL FROM dataeng.jobs WHERE job_name = 'ss_boom'$$) AS marked_broken;
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'ss_victim_job'$$) AS others_run;
SELECT broken FROM dataeng.jobs WHERE job_name = 'ss_boom';
SELECT count(*) AS boom_runs FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'ss_boom';
SELECT dataeng.job_run_now('ss_boom');
SELECT dataeng.job_resume('ss_boom');
-- rescheduling mends it (by its owner: a superuser acts as the owner)
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_boom', '@yearly', 'select 1') > 0 AS rescheduled;
RESET ROLE;
SELECT broken IS NULL AS mended FROM dataeng.jobs WHERE job_name = 'ss_boom';
SELECT dataeng.unschedule('ss_boom');

-- a superuser rescheduling a role's job cannot make it follow another role's job
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_attacker_job', '@yearly', 'select 1') > 0 AS scheduled;
SELECT dataeng.schedule('ss_attacker_job', '@yearly', 'select 1', depends_on => '{ss_victim_job}');
RESET ROLE;
SELECT dataeng.unschedule('ss_attacker_job');

-- A name squatted: the attacker schedules "nightly" first; a superuser's
-- schedule() of that name, meant for a job of its own, replaced the
-- attacker's job with the superuser's command, which then ran as the
-- attacker, who could read it (a password in it) and its runs.  Refused
-- (42710, naming the owner); the attacker's job is left as it was.
SET ROLE ss_attacker;
SELECT dataeng.schedule('nightly', '@yearly', 'select 1') > 0 AS squatted;
RESET ROLE;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.schedule('nightly', '@daily', $$ALTER ROLE ss_victim PASSWORD 'secret'$$);
\set VERBOSITY terse
\set SHOW_CONTEXT errors
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SET ROLE ss_attacker;
SELECT schedule, command FROM dataeng.jobs WHERE job_name = 'nightly';
RESET ROLE;
-- so is a call giving the job's own schedule and command
SELECT dataeng.schedule('nightly', '@yearly', 'select 1');
-- the superuser reschedules it knowingly, as its owner
SET ROLE ss_attacker;
SELECT dataeng.schedule('nightly', '@daily', 'select 2') > 0 AS rescheduled;
SELECT schedule, command FROM dataeng.jobs WHERE job_name = 'nightly';
SELECT dataeng.unschedule('nightly');
RESET ROLE;
-- pausing, resuming, running now and unscheduling another role's job
-- hand it no command: a superuser still may
SET ROLE ss_attacker;
SELECT dataeng.schedule('nightly', '@yearly', 'select 1') > 0 AS scheduled;
RESET ROLE;
SELECT dataeng.job_pause('nightly');
SELECT dataeng.unschedule('nightly');

-------------------------------------------------------------------------------
-- 22. One role cannot hold every slot, schedule without end, or run forever
-------------------------------------------------------------------------------
-- a limit on jobs per role (superusers are not limited)
SET dataeng.max_jobs_per_role = 5;
SET ROLE ss_attacker;
SELECT count(*) AS attacker_jobs FROM dataeng.jobs;
SELECT dataeng.schedule('ss_many_' || i, '@yearly', 'select 1') > 0 AS scheduled FROM generate_series(1, 2) i;
SELECT dataeng.schedule('ss_many_3', '@yearly', 'select 1');
-- a role's limit: configuration_limit_exceeded, as every role's limit
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- a superuser may raise it for itself only: the setting is not the attacker's to change
SET ROLE ss_attacker;
SET dataeng.max_jobs_per_role = 0;
-- rescheduling an existing job is not a new one
SELECT dataeng.schedule('ss_many_1', '@daily', 'select 1') > 0 AS rescheduled;
SELECT dataeng.unschedule('ss_many_' || i) FROM generate_series(1, 2) i;
RESET ROLE;
RESET dataeng.max_jobs_per_role;

-- four long jobs of one role: with dataeng.max_parallel_jobs = 4 it gets at
-- most two slots (dataeng.max_parallel_jobs_per_role = 0: half), so another
-- role's job still runs every second
-- (three runs waited for 45 s: a hog holds its slot 60 s)
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_hog_' || i, '1 second', 'SELECT pg_sleep(60)') > 0 AS scheduled FROM generate_series(1, 4) i;
SET ROLE ss_victim;
SELECT dataeng.schedule('ss_victim_tick', '1 second', $$INSERT INTO public.ss_ticks (job) VALUES ('tick')$$) > 0 AS scheduled;
RESET ROLE;
SELECT wait_for($$SELECT count(*) = 2 FROM pg_stat_activity WHERE usename = 'ss_attacker' AND query LIKE 'SELECT pg_sleep%'$$) AS two_hogs_run;
SELECT wait_for($$SELECT count(*) >= 3 FROM ss_ticks WHERE job = 'tick'$$, 45) AS victim_runs_meanwhile;
SELECT count(*) AS hogs_running FROM pg_stat_activity WHERE usename = 'ss_attacker' AND query LIKE 'SELECT pg_sleep%';
SET ROLE ss_attacker;
SELECT dataeng.unschedule('ss_hog_' || i) FROM generate_series(1, 4) i;
SET ROLE ss_victim;
SELECT dataeng.unschedule('ss_victim_tick');
RESET ROLE;
-- (cleanup: stop the hogs still sleeping, and see them gone)
SELECT count(*) = count(*) FILTER (WHERE stopped) AS all_signalled
  FROM (SELECT pg_terminate_backend(pid) AS stopped FROM pg_stat_activity
         WHERE usename = 'ss_attacker' AND backend_type = 'dataeng job') t;
SELECT wait_for($$SELECT count(*) = 0 FROM pg_stat_activity
                   WHERE usename = 'ss_attacker' AND backend_type = 'dataeng job'$$) AS hogs_gone;

-- a job with no timeout of its own runs under dataeng.job_timeout
ALTER SYSTEM SET dataeng.job_timeout = '1s';
SELECT pg_reload_conf();
-- (a new session: the server has read the setting and signalled the
-- scheduler, which reads it before its next pass)
\c
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_forever', '@yearly', 'SELECT pg_sleep(600)') > 0 AS scheduled;
SELECT dataeng.job_run_now('ss_forever');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'timed_out' FROM dataeng.jobs WHERE job_name = 'ss_forever'$$) AS timed_out;
SELECT status FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'ss_forever';
ALTER SYSTEM RESET dataeng.job_timeout;
SELECT pg_reload_conf();
-- a command that catches the cancel of its timeout is terminated 5 s later
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_stubborn', '@yearly', $cmd$DO $d$BEGIN LOOP BEGIN PERFORM pg_sleep(100);
  EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END$d$$cmd$, timeout => '1 second') > 0 AS scheduled;
SELECT dataeng.job_run_now('ss_stubborn');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'timed_out' FROM dataeng.jobs WHERE job_name = 'ss_stubborn'$$) AS terminated;
SELECT status, error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'ss_stubborn';
-- a timeout below a millisecond is a millisecond, not none
SET ROLE ss_attacker;
SELECT dataeng.schedule('ss_tiny_timeout', '@yearly', 'SELECT pg_sleep(600)', timeout => '0.0004 seconds') > 0 AS scheduled;
SELECT dataeng.job_run_now('ss_tiny_timeout');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'timed_out' FROM dataeng.jobs WHERE job_name = 'ss_tiny_timeout'$$) AS timed_out;

-- after all of it: the attacker is still a plain role
SELECT rolsuper AS attacker_is_superuser FROM pg_roles WHERE rolname = 'ss_attacker';
SELECT count(*) AS trap_ran_as_superuser
  FROM ss_attacker.ran_as a JOIN pg_roles r ON r.rolname = a.who WHERE r.rolsuper;

-- clean up
SET ROLE ss_attacker;
SELECT dataeng.unschedule(job_name) FROM dataeng.jobs ORDER BY job_name;
RESET ROLE;
SET ROLE ss_victim;
SELECT dataeng.unschedule(job_name) FROM dataeng.jobs ORDER BY job_name;
RESET ROLE;
DROP OPERATOR public.= (oid, regrole);
DROP SCHEMA ss_attacker CASCADE;
REVOKE CREATE ON SCHEMA public FROM ss_attacker;
DROP TABLE ss_ticks;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng;
DROP ROLE ss_attacker, ss_victim;
