-- pipeline_status of an on_change trigger whose handler is behind: the
-- batches deferred past its role's time budget wait in its backlog.  Its
-- row says how many wait and since when (lag_seconds: the age of the
-- oldest), and is a warning once the oldest is older than max_lag.  (It
-- said ok, "handles the changes of" the table, whatever the backlog.)
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_role_budget = '100ms';
ALTER SYSTEM SET dataeng.on_change_timeout = '1s';
ALTER SYSTEM SET dataeng.on_change_retries = 100;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE TABLE ocl (id int PRIMARY KEY);
CREATE TABLE ocl_calls (ids text);
-- waits for the advisory lock the test holds (each call fails at its
-- lock_timeout, dataeng.on_change_timeout, until the lock is free)
CREATE FUNCTION ocl_h(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(4343);
  INSERT INTO public.ocl_calls SELECT string_agg(x.pk->>'id', ',' ORDER BY x.change_id) FROM unnest(c) x;
END $$;
SELECT dataeng.cdc_enable('ocl', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.on_change('ocl_t', 'ocl', 'ocl_h(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

SELECT pg_advisory_lock(4343);
INSERT INTO ocl VALUES (1);
INSERT INTO ocl VALUES (2);
SELECT wait_for($$SELECT backlog_batches = 2 FROM dataeng.on_changes$$) AS backlog;
SELECT state, lag_seconds IS NOT NULL AS lag,
       regexp_replace(regexp_replace(reason, 'committed .* \(its', 'committed ... (its'), 'last handled .*', 'last handled ...') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';

-- past max_lag: a warning
SELECT dataeng.alert_set('*', 'max_lag', '1 second');
SELECT pg_sleep(1.2);
SELECT state, lag_seconds >= 1 AS lag,
       regexp_replace(regexp_replace(reason, 'committed .* \(its', 'committed ... (its'), 'last handled .*', 'last handled ...') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';

-- the handler catches up: ok again, in commit order
SELECT pg_advisory_unlock(4343);
SELECT wait_for($$SELECT backlog_batches = 0 FROM dataeng.on_changes$$) AS caught_up;
SELECT ids FROM ocl_calls;
SELECT state, lag_seconds FROM dataeng.pipeline_status WHERE kind = 'on_change';

SET client_min_messages = warning;
SELECT dataeng.alert_set('*', 'max_lag', NULL);
ALTER SYSTEM RESET dataeng.on_change_role_budget;
ALTER SYSTEM RESET dataeng.on_change_timeout;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
