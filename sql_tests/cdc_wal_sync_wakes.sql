-- CDC from the WAL: the waits for the WAL capture worker wake it.  Between
-- rounds that found nothing the worker sleeps dataeng.wal_naptime;
-- cdc_wal_sync(), cdc_disable() (and the DROPs and ALTERs that wait for
-- it) set its latch, so they return as soon as it has decoded, not after
-- its naptime.  (They waited the naptime out: with a naptime of a minute,
-- cdc_wal_sync('20 s') returned false.)
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE sw (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('sw', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

ALTER SYSTEM SET dataeng.wal_naptime = '60s';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
-- (the worker sleeps on its latch: a minute from now on)
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_type = 'dataeng wal capture'
                    AND a.datname = current_database() AND a.wait_event = 'Extension')$$) AS worker_sleeps;

-- cdc_wal_sync()
INSERT INTO sw VALUES (1, 'a');
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_wal_sync('20 s') AS synced;
SELECT clock_timestamp() - :'t0' < interval '10 s' AS without_naptime;
SELECT op, pk FROM dataeng.changes WHERE table_name = 'sw'::regclass ORDER BY change_id;

-- cdc_disable(), which waits for the worker to record the changes before it
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_type = 'dataeng wal capture'
                    AND a.datname = current_database() AND a.wait_event = 'Extension')$$) AS worker_sleeps;
INSERT INTO sw VALUES (2, 'b');
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_disable('sw');
SELECT clock_timestamp() - :'t0' < interval '10 s' AS without_naptime;
SELECT op, pk FROM dataeng.changes WHERE table_name = 'sw'::regclass ORDER BY change_id;

ALTER SYSTEM RESET dataeng.wal_naptime;
SELECT pg_reload_conf();

-- the wake does not cut short the backoff between the retries of a
-- failing on_change handler (100 ms, then 400 ms): this one succeeds at
-- its third call, so the round that calls it lasts half a second at least
SET client_min_messages = warning;
CREATE TABLE sw2 (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('sw2', method => 'wal');
CREATE SEQUENCE sw_calls;
CREATE FUNCTION sw_flaky(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF nextval('public.sw_calls') < 3 THEN
    RAISE EXCEPTION 'not yet';
  END IF;
END $$;
SELECT dataeng.on_change('sw_flaky', 'sw2', 'sw_flaky(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO sw2 VALUES (1);
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_wal_sync();
SELECT clock_timestamp() - :'t0' >= interval '0.45 s' AS backoff_kept;
SELECT last_value AS calls FROM sw_calls;
SELECT (SELECT count(*) FROM dataeng.on_change_dead_letters) AS dead_letters;

SET client_min_messages = warning;
SELECT dataeng.on_change_drop('sw_flaky');
DROP TABLE sw2;
DROP FUNCTION sw_flaky(dataeng.change[]);
DROP SEQUENCE sw_calls;
DROP TABLE sw;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
