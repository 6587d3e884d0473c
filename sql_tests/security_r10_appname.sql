-- The scheduler holds a database's due jobs back while a restore is
-- connected, a session named pg_restore among them, when its role may
-- write dataeng.jobs.  A role's on_change handler, which runs in the WAL
-- capture worker (a session of the bootstrap superuser) as that role,
-- restricted, may still set application_name (rolled back when the call
-- ends): a handler naming the worker pg_restore and taking its time held
-- every job of the database back (a job of another role due every second
-- ran once in 30 s; the log blamed the worker's pid as a restore), round
-- after round, for as long as its role wrote its own table.  Now only a
-- client's session counts by its name: a background worker is never a
-- restore.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE ROLE regress_r10a_mallory;
CREATE ROLE regress_r10a_alice LOGIN;
CREATE SCHEMA r10m AUTHORIZATION regress_r10a_mallory;
CREATE SCHEMA r10a AUTHORIZATION regress_r10a_alice;
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

-- mallory's own table, captured from the WAL, and its handler: it names
-- the session it runs in pg_restore, then waits (at most 40 s, within
-- dataeng.on_change_timeout, raised for this test) until told to end
SET ROLE regress_r10a_mallory;
CREATE TABLE r10m.t (id int PRIMARY KEY);
CREATE TABLE r10m.done (x int);
SELECT dataeng.cdc_enable('r10m.t', method => 'wal');
CREATE FUNCTION r10m.h(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.set_config('application_name', 'pg_restore', false);
  FOR i IN 1 .. 800 LOOP
    EXIT WHEN EXISTS (SELECT FROM r10m.done);
    PERFORM pg_catalog.pg_sleep(0.05);
  END LOOP;
END $$;
SELECT dataeng.on_change('r10a_h', 'r10m.t', 'r10m.h(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
ALTER SYSTEM SET dataeng.on_change_timeout = '60s';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- alice's job, run at once
SET ROLE regress_r10a_alice;
CREATE TABLE r10a.ran (at timestamptz);
SELECT dataeng.schedule('r10a_job', '@yearly', 'INSERT INTO r10a.ran VALUES (now())') > 0 AS scheduled;
RESET ROLE;

-- the handler runs, the worker's session named pg_restore
INSERT INTO r10m.t VALUES (1);
SELECT wait_for($$SELECT EXISTS (SELECT FROM pg_stat_activity
                                  WHERE datname = current_database() AND backend_type = 'dataeng wal capture'
                                    AND application_name = 'pg_restore')$$, 10)
       AS worker_named_pg_restore;
SET ROLE regress_r10a_alice;
SELECT dataeng.job_run_now('r10a_job');
RESET ROLE;
-- alice's job runs meanwhile (it waited for the handler to end)
SELECT wait_for('SELECT EXISTS (SELECT FROM r10a.ran)', 20) AS job_ran_meanwhile;
SELECT EXISTS (SELECT FROM pg_stat_activity
                WHERE datname = current_database() AND backend_type = 'dataeng wal capture'
                  AND application_name = 'pg_restore')
       AS handler_still_running;
INSERT INTO r10m.done VALUES (1);
SELECT wait_for('SELECT EXISTS (SELECT FROM r10a.ran)') AS job_ran;
SELECT dataeng.cdc_wal_sync() AS synced;

SET ROLE regress_r10a_alice;
SELECT dataeng.unschedule('r10a_job');
SET ROLE regress_r10a_mallory;
SELECT dataeng.on_change_drop('r10a_h');
SELECT dataeng.cdc_disable('r10m.t');
RESET ROLE;
ALTER SYSTEM RESET dataeng.on_change_timeout;
SELECT pg_reload_conf();
DROP SCHEMA r10m CASCADE;
DROP SCHEMA r10a CASCADE;
DROP ROLE regress_r10a_mallory;
DROP ROLE regress_r10a_alice;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
