-- Security review of the database hook (src/schedule/dbhook.c) and of alert
-- handlers' timeouts (src/ops/handler.c), as an ordinary role:
--  1. DROP DATABASE, ALTER DATABASE ... RENAME TO and CREATE DATABASE ...
--     TEMPLATE that PostgreSQL refuses to the role do not first cancel the
--     database's job runs;
--  2. a hold taken by a command rolled back to a savepoint is released at
--     once, not when the transaction ends, and a command cancelled while it
--     waits for the scheduler to leave leaves no hold behind;
--  3. an alert handler that catches its timeout's query_canceled does not
--     run on past it;
--  4. an alert handler that sends alerts (monitor_check() inside it) does
--     not lift its own timeout by the nested handler calls.
-- The cluster preloads dataeng, so this database has a scheduler.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

CREATE ROLE r4_mallory CREATEDB;
CREATE ROLE r4_alice;

-------------------------------------------------------------------------------
-- 1. Another role's refused command on the database cancels no job run.
-------------------------------------------------------------------------------
SELECT dataeng.schedule('r4_long', '@yearly', 'SELECT pg_sleep(60) /* r4_long */') > 0 AS scheduled;
SELECT dataeng.job_run_now('r4_long');
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                                  WHERE j.job_name = 'r4_long' AND r.status = 'running')$$) AS run_started;
SET ROLE r4_mallory;
SELECT format('DROP DATABASE %I', current_database()) \gexec
SELECT format('ALTER DATABASE %I RENAME TO r4_renamed', current_database()) \gexec
SELECT format('CREATE DATABASE r4_copy TEMPLATE %I', current_database()) \gexec
-- and from a savepoint, in a transaction left open
BEGIN;
SAVEPOINT s;
SELECT format('ALTER DATABASE %I RENAME TO r4_renamed', current_database()) \gexec
ROLLBACK TO s;
COMMIT;
RESET ROLE;
-- the run goes on, never cancelled
SELECT r.status, r.error_message
  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'r4_long';

-------------------------------------------------------------------------------
-- 2. The owner's command rolled back to a savepoint releases its hold at
-- once: the scheduler comes back while the transaction goes on; so does a
-- command cancelled while it waits.
-------------------------------------------------------------------------------
-- (an every-second job shows when the database's jobs run again)
CREATE TABLE r4_ticks (at timestamptz DEFAULT clock_timestamp());
SELECT dataeng.schedule('r4_tick', '1 second', 'INSERT INTO r4_ticks DEFAULT VALUES') > 0 AS scheduled;
SELECT wait_for($$SELECT count(*) > 0 FROM r4_ticks$$) AS ticking;
BEGIN;
SAVEPOINT s;
-- (the current database cannot be renamed: refused after the hook)
SELECT format('ALTER DATABASE %I RENAME TO r4_renamed', current_database()) \gexec
ROLLBACK TO s;
SELECT clock_timestamp() AS released \gset
SELECT wait_for(format($$SELECT count(*) > 0 FROM r4_ticks WHERE at > %L$$, :'released'),
                60) AS jobs_run_again_in_transaction;
COMMIT;
-- the run the owner's command cancelled is recorded so
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                                  WHERE j.job_name = 'r4_long' AND r.status = 'failed')$$) AS run_recorded;
SELECT dataeng.unschedule('r4_long');
-- A command cancelled while it waits for the scheduler to leave (here by
-- its statement_timeout, while the scheduler cannot record the run it
-- cancelled because this transaction locks dataeng.job_runs) leaves no
-- hold behind: the scheduler comes back.
SELECT dataeng.schedule('r4_busy', '@yearly', 'SELECT pg_sleep(60) /* r4_busy */') > 0 AS scheduled;
SELECT dataeng.job_run_now('r4_busy');
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                                  WHERE j.job_name = 'r4_busy' AND r.status = 'running')$$) AS run_started;
SELECT current_database() AS db, dataeng_internal._scheduler_pid() AS old_scheduler \gset
BEGIN;
LOCK TABLE dataeng.job_runs IN ACCESS EXCLUSIVE MODE;
SET LOCAL statement_timeout = '500ms';
ALTER DATABASE :"db" RENAME TO r4_renamed;
ROLLBACK;
SELECT clock_timestamp() AS released \gset
SELECT wait_for(format($$SELECT count(*) > 0 FROM r4_ticks WHERE at > %L$$, :'released'),
                60) AS jobs_run_again_after_cancel;
SELECT dataeng.unschedule('r4_busy');
SELECT dataeng.unschedule('r4_tick');
DROP TABLE r4_ticks;

-------------------------------------------------------------------------------
-- 3. A handler that catches query_canceled meets it again at its next
-- statement: its call ends at the timeout, recorded as timed out, and the
-- check that sent the alert goes on.
-------------------------------------------------------------------------------
CREATE SCHEMA r4;
GRANT USAGE, CREATE ON SCHEMA r4 TO r4_mallory, r4_alice;
CREATE TABLE r4.handler_log (who text, event text, object text);
GRANT INSERT ON r4.handler_log TO PUBLIC;
CREATE TABLE r4.feed (at timestamptz);
CREATE TABLE r4.feed2 (at timestamptz);
ALTER TABLE r4.feed OWNER TO r4_mallory;
ALTER TABLE r4.feed2 OWNER TO r4_mallory;
SELECT dataeng.alert_set('*', 'handler_timeout', '300 milliseconds');

SET ROLE r4_mallory;
CREATE FUNCTION r4.stubborn(a jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..4 LOOP
    BEGIN
      PERFORM pg_sleep(1);
    EXCEPTION WHEN query_canceled THEN
      -- caught: carry on past the timeout
    END;
  END LOOP;
  INSERT INTO r4.handler_log VALUES ('stubborn', a->>'event', a->>'object');
END $$;
SELECT dataeng.alert_handler_add('r4.stubborn(jsonb)', kinds => '{monitor_silence}');
SELECT dataeng.monitor_create('r4_feed', 'r4.feed', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('r4_feed')).ok;     -- raised: the handler is called
RESET ROLE;
SELECT * FROM r4.handler_log;
SELECT handler, calls, failures, regexp_replace(last_error, '^alert \d+', 'alert N') AS last_error
  FROM dataeng.alert_handlers ORDER BY handler::text;
SELECT dataeng.alert_handler_drop('r4.stubborn(jsonb)');
SELECT dataeng.monitor_drop('r4_feed');
TRUNCATE r4.handler_log;

-------------------------------------------------------------------------------
-- 4. A handler that sends alerts itself: the nested handler calls end in
-- time and give the outer call its deadline back.
-------------------------------------------------------------------------------
SET ROLE r4_mallory;
CREATE FUNCTION r4.nester(a jsonb) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF a->>'object' = 'r4_outer' AND a->>'event' = 'raised' THEN
    PERFORM dataeng.monitor_check('r4_inner');    -- raises r4_inner's alert: handlers run inside this one
    PERFORM pg_sleep(1.5);
    INSERT INTO r4.handler_log VALUES ('outer survived', a->>'event', a->>'object');
  ELSE
    INSERT INTO r4.handler_log VALUES ('other alert', a->>'event', a->>'object');
  END IF;
END $$;
SELECT dataeng.alert_handler_add('r4.nester(jsonb)', kinds => '{monitor_silence}');
SELECT dataeng.monitor_create('r4_outer', 'r4.feed', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT dataeng.monitor_create('r4_inner', 'r4.feed2', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('r4_outer')).ok;    -- raised: the handler is called, and times out
RESET ROLE;
SELECT * FROM r4.handler_log ORDER BY who;
SELECT handler, calls, failures, regexp_replace(last_error, '^alert \d+', 'alert N') AS last_error
  FROM dataeng.alert_handlers ORDER BY handler::text;
-- a handler in time still works, nested or not
SELECT dataeng.alert_set('*', 'handler_timeout', '1 minute');
TRUNCATE r4.handler_log;
SET ROLE r4_mallory;
SELECT dataeng.monitor_drop('r4_outer'), dataeng.monitor_drop('r4_inner');   -- r4_outer's alert resolved
SELECT dataeng.monitor_create('r4_outer', 'r4.feed', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT dataeng.monitor_create('r4_inner', 'r4.feed2', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('r4_outer')).ok;
RESET ROLE;
SELECT * FROM r4.handler_log ORDER BY who, object;
SELECT handler, calls, failures FROM dataeng.alert_handlers ORDER BY handler::text;

-- 5. A role cannot register handlers without end (each costs the sender
-- of an alert up to its timeout): dataeng.max_alert_handlers_per_role
SET dataeng.max_alert_handlers_per_role = 3;
SET ROLE r4_mallory;
CREATE FUNCTION r4.h1(a jsonb) RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION r4.h2(a jsonb) RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION r4.h3(a jsonb) RETURNS void LANGUAGE sql AS 'SELECT';
SELECT dataeng.alert_handler_add('r4.h1(jsonb)'), dataeng.alert_handler_add('r4.h2(jsonb)');
-- the third is one too many (r4.nester is the first)
SELECT dataeng.alert_handler_add('r4.h3(jsonb)');
-- a role's limit: configuration_limit_exceeded, as every role's limit
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
-- changing the kinds of one it has is not a new handler
SELECT dataeng.alert_handler_add('r4.h2(jsonb)', kinds => '{job_failed}');
SELECT count(*) AS mallory_handlers FROM dataeng.alert_handlers WHERE owner = 'r4_mallory'::regrole;
SELECT dataeng.alert_handler_drop('r4.h1(jsonb)'), dataeng.alert_handler_drop('r4.h2(jsonb)');
RESET ROLE;
RESET dataeng.max_alert_handlers_per_role;
-- only a superuser sets it
SET ROLE r4_mallory;
SET dataeng.max_alert_handlers_per_role = 1000;
RESET ROLE;

-- clean up
SET ROLE r4_mallory;
SELECT dataeng.alert_handler_drop('r4.nester(jsonb)');
SELECT dataeng.monitor_drop('r4_outer'), dataeng.monitor_drop('r4_inner');
RESET ROLE;
DROP SCHEMA r4 CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng;
DROP ROLE r4_mallory, r4_alice;
