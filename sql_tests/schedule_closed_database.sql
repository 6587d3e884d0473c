-- Scheduling: a database closed to connections (ALTER DATABASE ...
-- ALLOW_CONNECTIONS false) while a run goes on there keeps its scheduler
-- until the run ends, but starts no run meanwhile: a job worker cannot
-- connect to it.  The runs it started failed ("the job worker stopped
-- without recording a result"), each time a job was due.  Due jobs run
-- once the database is open again.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
SELECT current_database() AS regress_db \gset
CREATE DATABASE sched_closed;
\c sched_closed
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;
-- a run of 4 s keeps the database's scheduler; a job due every second
-- waits for it to succeed, so that it becomes startable only once the
-- database is closed (no worker of it is on its way when it closes)
SELECT dataeng.schedule('cl_slow', '@yearly', 'SELECT pg_sleep(4)') > 0 AS scheduled;
SELECT dataeng.schedule('cl_fast', '1 second', 'SELECT 1', depends_on => '{cl_slow}') > 0 AS scheduled;
SELECT dataeng.job_run_now('cl_slow');
SELECT wait_for($$SELECT last_status = 'running' FROM dataeng.jobs WHERE job_name = 'cl_slow'$$) AS slow_running;
SELECT now() AS closed_at \gset
\c :regress_db
ALTER DATABASE sched_closed ALLOW_CONNECTIONS false;
-- (the slow run ends meanwhile)
SELECT pg_sleep(6);
ALTER DATABASE sched_closed ALLOW_CONNECTIONS true;
\c sched_closed
\set VERBOSITY terse
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'cl_slow'$$) AS slow_ended;
-- no run failed while the database was closed
SELECT count(*) AS failed_runs FROM dataeng.job_runs
 WHERE status <> 'succeeded' AND started_at >= :'closed_at';
-- and the job due every second runs once it is open again
SELECT now() AS opened_at \gset
SELECT wait_for(format($$SELECT last_status = 'succeeded' AND last_started_at > %L
                          FROM dataeng.jobs WHERE job_name = 'cl_fast'$$, :'opened_at')) AS runs_again;
SELECT dataeng.unschedule('cl_fast'), dataeng.unschedule('cl_slow');
\c :regress_db
\set VERBOSITY terse
DROP DATABASE sched_closed;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
