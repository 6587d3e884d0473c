-- The backlog of an on_change trigger (batches deferred past the time
-- budget of a round, dataeng_internal.on_change_backlog): the calls a
-- deferred batch was given are kept when the trigger pauses.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_role_budget = '100ms';
ALTER SYSTEM SET dataeng.on_change_timeout = '1s';
ALTER SYSTEM SET dataeng.on_change_retries = 100;
SELECT pg_reload_conf();
CREATE ROLE ocl_owner;
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
SET ROLE ocl_owner;
SELECT dataeng.on_change_pause('ocl_fail');
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.dead_letters)
                    AND NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog)$$) AS set_aside;
SELECT d.trigger_name, d.error, d.attempts >= 2 AS calls_kept,
       d.attempts <= (SELECT last_value FROM ocl.calls) AS calls_made
  FROM dataeng.dead_letters d;

ALTER SYSTEM RESET dataeng.on_change_role_budget;
ALTER SYSTEM RESET dataeng.on_change_timeout;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT pg_reload_conf();
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP SCHEMA ocl CASCADE;
DROP ROLE ocl_owner;
