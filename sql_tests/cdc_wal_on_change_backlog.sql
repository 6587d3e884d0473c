-- The backlog of an on_change trigger (batches deferred past the time
-- budget of a round, dataeng_internal.on_change_backlog): the calls a
-- deferred batch was given are kept when the trigger pauses, and those of
-- a resume that the budget cut across a restart of the worker; a trigger's
-- creator sees its backlog in dataeng.on_changes; another role's
-- cdc_wal_sync() does not wait for a resume; a trigger dropped with a
-- backlog says so.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_role_budget = '100ms';
ALTER SYSTEM SET dataeng.on_change_timeout = '1s';
ALTER SYSTEM SET dataeng.on_change_retries = 100;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE ROLE ocl_owner;
CREATE ROLE ocl_other;
CREATE SCHEMA ocl AUTHORIZATION ocl_owner;
SET ROLE ocl_owner;
CREATE TABLE ocl.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('ocl.t', method => 'wal');
-- every call counted (a sequence is not rolled back with the call)
CREATE SEQUENCE ocl.calls;
CREATE FUNCTION ocl.failing(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('ocl.calls');
  RAISE EXCEPTION 'sink down' USING ERRCODE = 'connection_failure';
END $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- 1. A failing handler's batch deferred between its retries (the budget
-- is too short for the back-off), then the trigger paused: the batch is
-- set aside with the calls it was given (they were counted as none)
SET ROLE ocl_owner;
SELECT dataeng.on_change('ocl_fail', 'ocl.t', 'ocl.failing(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
INSERT INTO ocl.t VALUES (1);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog b WHERE b.attempts >= 2)$$)
  AS deferred_twice;
-- (a later batch joins the backlog, behind the first)
INSERT INTO ocl.t VALUES (2);
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng_internal.on_change_backlog$$) AS two_waiting;
-- the trigger's creator sees its backlog in dataeng.on_changes: the
-- batches waiting and the commit time of the oldest; another role sees
-- neither the trigger nor its backlog
SELECT min(b.commit_time) AS oldest, count(DISTINCT b.commit_time) AS commits
  FROM dataeng_internal.on_change_backlog b \gset
SELECT :commits AS commits;
SET ROLE ocl_owner;
SELECT trigger_name, backlog_batches, backlog_oldest_commit = :'oldest' AS oldest_commit
  FROM dataeng.on_changes;
SET ROLE ocl_other;
SELECT count(*) AS others_see FROM dataeng.on_changes;
SET ROLE ocl_owner;
SELECT dataeng.on_change_pause('ocl_fail');
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.dead_letters)
                    AND NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog)$$) AS set_aside;
SELECT (d.changes[1]).pk->>'id' AS id, d.error, d.attempts >= 2 AS calls_kept,
       d.attempts <= (SELECT last_value FROM ocl.calls) AS calls_made
  FROM dataeng.dead_letters d ORDER BY d.commit_lsn;
SET ROLE ocl_owner;
SELECT trigger_name, backlog_batches, backlog_oldest_commit FROM dataeng.on_changes;
RESET ROLE;

-- 2. A resume that the budget cuts between its retries goes on from the
-- calls made, after a restart of the worker too: the batch gets the
-- retries of dataeng.on_change_retries, not more (the calls were kept in
-- the worker's memory: a restart gave the batch every retry again)
ALTER SYSTEM SET dataeng.on_change_retries = 4;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT last_value AS calls_before FROM ocl.calls \gset
SET ROLE ocl_owner;
SELECT dataeng.on_change_resume('ocl_fail');
RESET ROLE;
-- (the third call is followed by a back-off of 1.6 s, longer than the
-- budget: the round that made it ends, keeping the calls made)
SELECT wait_for(format($$SELECT (SELECT last_value FROM ocl.calls) >= %s + 3$$, :calls_before)) AS three_calls;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_type = 'dataeng wal capture'
                                   AND a.datname = current_database() AND a.state = 'idle')$$) AS round_ended;
SELECT count(pg_terminate_backend(a.pid)) AS worker_stopped FROM pg_stat_activity a
 WHERE a.backend_type = 'dataeng wal capture' AND a.datname = current_database();
-- the worker started again hands the batch over until its retries are
-- spent: it stays set aside, the trigger paused
SELECT wait_for($$SELECT NOT t.resume_requested FROM dataeng_internal.on_change_triggers t$$) AS resume_ended;
SELECT (SELECT last_value FROM ocl.calls) - :calls_before AS calls_in_resume;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes;
SELECT (d.changes[1]).pk->>'id' AS id, d.error, d.sqlstate FROM dataeng.dead_letters d ORDER BY d.commit_lsn;
SELECT count(*) AS progress_left FROM dataeng_internal.on_change_resume_progress;

-- 3. A resume that the budget spreads over many rounds (its handler fails,
-- with long back-offs) makes its creator's cdc_wal_sync() wait, not
-- another role's (which waited for it, and gave up)
ALTER SYSTEM SET dataeng.on_change_retries = 100;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE ocl_owner;
SELECT dataeng.on_change_resume('ocl_fail');
RESET ROLE;
SELECT wait_for(format($$SELECT (SELECT last_value FROM ocl.calls) >= %s + 5 + 2$$, :calls_before)) AS resuming;
SET ROLE ocl_other;
SELECT dataeng.cdc_wal_sync('60 s') AS other_synced;
SET ROLE ocl_owner;
SELECT dataeng.cdc_wal_sync('0') AS owner_synced;
SELECT dataeng.on_change_pause('ocl_fail');
RESET ROLE;

-- 4. A trigger dropped with batches in its backlog says so (they were
-- deleted unseen)
SET ROLE ocl_owner;
SELECT dataeng.on_change('ocl_drop', 'ocl.t', 'ocl.failing(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
INSERT INTO ocl.t VALUES (3);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog b WHERE b.trigger_name = 'ocl_drop')$$)
  AS deferred;
SET ROLE ocl_owner;
SET client_min_messages = notice;
\set VERBOSITY terse
SELECT dataeng.on_change_drop('ocl_drop');
\set VERBOSITY default
SET client_min_messages = warning;
RESET ROLE;

-- 5. So does DROP TABLE of a table whose trigger has batches in its
-- backlog (they were deleted unseen by the worker's next round)
SET ROLE ocl_owner;
CREATE TABLE ocl.t2 (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('ocl.t2', method => 'wal');
SELECT dataeng.on_change('ocl_drop2', 'ocl.t2', 'ocl.failing(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
INSERT INTO ocl.t2 VALUES (1);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog b WHERE b.trigger_name = 'ocl_drop2')$$)
  AS deferred;
SET ROLE ocl_owner;
SET client_min_messages = notice;
\set VERBOSITY terse
DROP TABLE ocl.t2;
\set VERBOSITY default
SET client_min_messages = warning;
RESET ROLE;
SELECT count(*) AS triggers_left FROM dataeng_internal.on_change_triggers WHERE trigger_name = 'ocl_drop2';

ALTER SYSTEM RESET dataeng.on_change_role_budget;
ALTER SYSTEM RESET dataeng.on_change_timeout;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP SCHEMA ocl CASCADE;
DROP ROLE ocl_owner;
DROP ROLE ocl_other;
