-- A wait for the WAL worker (a fact's rebuild, a dimension's compare, a
-- consumer's creation, with a snapshot too, new capture options,
-- cdc_disable) when no worker
-- runs rounds in the database: refused within a short grace with 55000
-- saying why and how to start it, not after 30 s with the table's
-- writers held off (SHARE) all along.  cdc_disable warns and disables all
-- the same.  A creation of a fact or dimension waits once, when its
-- consumer is created (not also before its load).
SET client_min_messages = warning;
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;
CREATE TABLE wd (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', v int, k text);
INSERT INTO wd (id, v, k) VALUES (1, 10, 'a'), (2, 20, 'b');
SELECT dataeng.cdc_enable('wd', method => 'wal');
SELECT dataeng.cdc_wal_sync();
CREATE TABLE wd2 (LIKE wd INCLUDING ALL);
SELECT dataeng.cdc_enable('wd2', method => 'wal');
CREATE TABLE wd3 (LIKE wd INCLUDING ALL);
INSERT INTO wd3 SELECT * FROM wd;
SELECT dataeng.cdc_enable('wd3', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_create('wd_f', 'wd', 'at', 'day', '{}', '{sum(v)}', NULL);
SELECT dataeng.dimension_create('wd_d', 'wd3', 'id', '{k}', 1, NULL);
SELECT dataeng_internal._cdc_wal_worker();

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql

-- dataeng.enabled = off: the worker runs no round
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
INSERT INTO wd (id, v, k) VALUES (3, 30, 'c');
\set VERBOSITY default
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.fact_rebuild('wd_f');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_consumer_create('wd_c', '{wd}');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
-- with a snapshot (it waits for the switches asked for too)
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_consumer_create('wd_s', '{wd}', snapshot => true);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_enable('wd', exclude_columns => '{k}');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
-- a creation: the consumer's wait is the one that refuses
INSERT INTO wd2 (id, v, k) VALUES (1, 1, 'x');
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.fact_create('wd2_f', 'wd2', 'at', 'day', '{}', '{sum(v)}', NULL);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_disable('wd2');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS at_once;
SELECT count(*) AS still_captured FROM dataeng.cdc_tables t WHERE t.table_name = 'wd2'::regclass;
\set VERBOSITY terse

ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_running;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_rebuild('wd_f');
-- a TRUNCATE makes the dimension's next refresh compare it with its source
TRUNCATE wd3;
INSERT INTO wd3 (id, v, k) VALUES (1, 1, 'z');
SELECT dataeng.cdc_wal_sync();

-- no worker in the database, for as long as the steps below take: a
-- command that needs the database empty (ALTER DATABASE ... RENAME, from
-- another database) makes the worker leave until the command's
-- transaction ends, and that command waits for the database's lock, held
-- by a third session (COMMENT ON DATABASE in an open transaction).  (A
-- worker ended by an error would start again after 10 s, maybe before
-- these steps are done on a busy machine.)  No parallel worker is started
-- meanwhile: it would wait for that lock too as it connects.
SET max_parallel_workers_per_gather = 0;
CREATE EXTENSION dblink;
SELECT format('host=%s port=%s dbname=postgres', split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port')) AS other_db \gset
SELECT dblink_connect('wd_lock', :'other_db');
SELECT dblink_connect('wd_rename', :'other_db');
SELECT pid AS rename_pid FROM dblink('wd_rename', 'SELECT pg_backend_pid()') AS t(pid int) \gset
SELECT dblink_exec('wd_lock', 'BEGIN');
SELECT dblink_exec('wd_lock', format('COMMENT ON DATABASE %I IS ''held''', current_database()));
SELECT dblink_send_query('wd_rename', format('ALTER DATABASE %I RENAME TO wd_renamed', current_database()));
SELECT wait_for(format('SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = %s AND NOT granted)', :rename_pid)) AS rename_waits;
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'none'$$) AS worker_none;
INSERT INTO wd (id, v, k) VALUES (4, 40, 'd');
-- (the tick worker is kept out of the database too: a poll cuts its tick
-- itself, with a WARNING not shown here)
SET client_min_messages = error;
\set VERBOSITY default
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.dimension_refresh('wd_d');
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.cdc_consumer_create('wd_s', '{wd}', snapshot => true);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
SELECT count(*) AS no_consumer FROM dataeng.cdc_consumers WHERE name = 'wd_s';
\set VERBOSITY terse
SET client_min_messages = warning;
-- the command cancelled: the worker comes back at the end of its transaction
SELECT pg_cancel_backend(:rename_pid);
SELECT count(*) AS rename_result FROM dblink_get_result('wd_rename', false) AS t(r text);
SELECT dblink_exec('wd_lock', 'ROLLBACK');
SELECT dblink_disconnect('wd_lock');
SELECT dblink_disconnect('wd_rename');
DROP EXTENSION dblink;
RESET max_parallel_workers_per_gather;
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_running;
SELECT dataeng.cdc_wal_sync('60 s');
SELECT dataeng.fact_refresh('wd_f');
SELECT * FROM wd_f;
SELECT dataeng.dimension_refresh('wd_d');
SELECT id, k FROM wd_d ORDER BY id;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
