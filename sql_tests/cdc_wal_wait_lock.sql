-- A wait for the WAL worker (new capture options, cdc_disable, a consumer's
-- creation, a whole read of a fact's source) while the worker waits for a
-- lock the waiting transaction holds: refused at once (40P01), not after
-- 30 s with the table's writers and the capture of the database held off.
SET client_min_messages = notice;
CREATE EXTENSION dataeng;
CREATE TABLE wl_a (id int PRIMARY KEY, v text);
CREATE TABLE wl_b (id int PRIMARY KEY, v text);
-- (the WAL capture worker is off until the trigger is made, so that it
-- has not switched wl_a to the WAL then, however slow the machine;
-- waited for until the worker runs no round, or, with none in the
-- database, until a new session reads the setting)
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
\c
SET client_min_messages = notice;
\i sql_tests/lib/wait_for.sql
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
SELECT dataeng.cdc_enable('wl_a', method => 'wal');
SELECT dataeng.cdc_enable('wl_b', method => 'wal');
-- a handler of wl_a's changes writes wl_b, once the statements below have
-- locked it (waited for, 60 s at most, however slow the machine is)
CREATE FUNCTION wl_copy(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..600 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                       WHERE l.relation = 'public.wl_b'::regclass AND l.granted
                         AND l.mode IN ('ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')
                         AND l.pid <> pg_catalog.pg_backend_pid());
    PERFORM pg_catalog.pg_sleep(0.1);
  END LOOP;
  INSERT INTO public.wl_b SELECT (c.pk->>'id')::int, 'copied' FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('wl_copy', 'wl_a', 'wl_copy(dataeng.change[])');
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
\c
SET client_min_messages = notice;
SELECT dataeng.cdc_wal_sync();

-- new options of wl_b hold its writers off (SHARE) and wait for the worker,
-- whose handler waits for that lock
INSERT INTO wl_a VALUES (1, 'x');
SELECT clock_timestamp() AS t0 \gset
\set VERBOSITY default
SELECT dataeng.cdc_enable('wl_b', exclude_columns => '{v}', method => 'wal');
\set VERBOSITY terse
SELECT clock_timestamp() - :'t0'::timestamptz < interval '20 s' AS refused_at_once;
-- the worker went on after the refusal: the handler wrote its row, and
-- the options change now
SELECT dataeng.cdc_wal_sync();
SELECT * FROM wl_b ORDER BY id;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SELECT dataeng.cdc_enable('wl_b', exclude_columns => '{v}', method => 'wal');
SELECT t.exclude_columns FROM dataeng.cdc_tables t WHERE t.table_name = 'wl_b'::regclass;

-- the same with cdc_disable, which would have gone on after 30 s
INSERT INTO wl_a VALUES (2, 'y');
SELECT dataeng.cdc_disable('wl_b');
SELECT dataeng.cdc_wal_sync();
SELECT * FROM wl_b ORDER BY id;
SELECT count(*) AS captured FROM dataeng.cdc_tables t WHERE t.table_name = 'wl_b'::regclass;
SELECT dataeng.cdc_disable('wl_b');

-- cdc_disable in a REPEATABLE READ transaction waits for the worker too:
-- a change committed just before it is captured (it was lost)
SELECT dataeng.cdc_enable('wl_b', method => 'wal');
SELECT dataeng.cdc_wal_sync();
ALTER SYSTEM SET dataeng.wal_naptime = 3000;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
-- (the worker has read the configuration files since: it sleeps 3 s
-- between rounds from now on)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
INSERT INTO wl_b VALUES (10, 'last');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.cdc_disable('wl_b');
COMMIT;
ALTER SYSTEM RESET dataeng.wal_naptime;
SELECT pg_reload_conf();
SELECT op, pk FROM dataeng.changes WHERE table_name = 'wl_b'::regclass AND pk = '{"id": 10}';

-- with nothing waiting for a lock, the wait returns
SELECT dataeng_internal._cdc_wal_caught_up(interval '30 s');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
