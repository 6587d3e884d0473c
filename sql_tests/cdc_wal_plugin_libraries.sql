-- CDC from the WAL on PostgreSQL 15.19 and later, whose
-- output_plugin_libraries lists the only output plugins logical decoding
-- may load: without pgoutput (the worker's plugin), cdc_enable(...,
-- method => 'wal') and cdc_wal_sync() say so at once.  (Before, cdc_enable
-- succeeded, the worker failed at each start in the background with
-- `library "pgoutput" may not be used as an output plugin`, and
-- cdc_wal_sync() waited out its timeout and returned false.)  The setting
-- is changed in this session only: the server's worker keeps decoding.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
RESET client_min_messages;
SELECT count(*) = 1 AS has_setting FROM pg_settings WHERE name = 'output_plugin_libraries' \gset
\if :has_setting
CREATE TABLE pl_t (id int PRIMARY KEY);
CREATE TABLE pl_u (id int PRIMARY KEY);

-- cdc_enable(..., method => 'wal') refuses at once
SET output_plugin_libraries = test_decoding, dataeng;
SELECT dataeng.cdc_enable('pl_t', method => 'wal');
SELECT count(*) AS captured FROM dataeng.cdc_tables WHERE table_name = 'pl_t'::regclass;
-- trigger capture needs no output plugin
SELECT dataeng.cdc_enable('pl_u');

-- pgoutput quoted
SET output_plugin_libraries = test_decoding, "pgoutput";
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('pl_t', method => 'wal');
RESET client_min_messages;
RESET output_plugin_libraries;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT method, active_method FROM dataeng.cdc_status WHERE table_name = 'pl_t'::regclass;

-- cdc_wal_sync() with a change to wait for fails at once (the worker,
-- held off with dataeng.enabled = off, leaves it waiting)
ALTER SYSTEM SET dataeng.enabled = off;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
INSERT INTO pl_t VALUES (1);
SET output_plugin_libraries = test_decoding;
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_wal_sync('20 s');
SELECT clock_timestamp() - :'t0' < interval '10 s' AS at_once;
RESET output_plugin_libraries;
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT op, pk FROM dataeng.changes WHERE table_name = 'pl_t'::regclass ORDER BY change_id;

SET client_min_messages = warning;
SELECT dataeng.cdc_disable('pl_t');
SELECT dataeng.cdc_disable('pl_u');
DROP TABLE pl_t, pl_u;
RESET client_min_messages;
\else
\echo 'this server has no output_plugin_libraries'
\endif
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
