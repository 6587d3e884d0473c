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
SET client_min_messages = warning;
DROP TABLE sw;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
