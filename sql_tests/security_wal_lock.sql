-- The WAL capture worker of a database is every role's.  To write the
-- changes of a table it opens the table (ACCESS SHARE), and it waited for
-- that lock as long as it took: the owner of a table captured from the WAL
-- (or any role that may lock it) holding an ACCESS EXCLUSIVE lock on it (a
-- LOCK TABLE in an open or prepared transaction, a long ALTER TABLE or
-- VACUUM FULL) while a change of it waited to be captured held the worker,
-- and so capture of every table of the database, every other role's too,
-- for as long as that transaction lasted (and the slot kept the WAL).
-- With dataeng.wal_lock_timeout set, the worker waits at most that long for
-- the lock; past it, that table stops (cdc_tables.capture_error, as a change
-- that cannot be decoded) and capture of the others goes on.  (By default
-- it waits, losing nothing: the last part.)  Nor does it wait for the
-- table's row of dataeng.cdc_tables, where it records the stop, nor for an
-- on_change trigger's row, where it records the trigger's progress.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
ALTER SYSTEM SET dataeng.wal_lock_timeout = '1s';
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE ROLE swl_victim;
CREATE ROLE swl_mallory;
CREATE SCHEMA swl_v AUTHORIZATION swl_victim;
CREATE SCHEMA swl_m AUTHORIZATION swl_mallory;

SET ROLE swl_victim;
CREATE TABLE swl_v.orders (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('swl_v.orders', method => 'wal');
SET ROLE swl_mallory;
CREATE TABLE swl_m.held (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('swl_m.held', method => 'wal');
-- (a handler that keeps the worker busy until the lock below is held,
-- so that the worker comes to the change it waits for after that, however
-- slow the machine: 8 s at most, within dataeng.on_change_timeout)
CREATE TABLE swl_m.slow (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('swl_m.slow', method => 'wal');
CREATE TABLE swl_m.calls (id text);
CREATE FUNCTION swl_m.nap(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(c) x WHERE x.pk->>'id' IN ('1', '2')) THEN
    FOR i IN 1..80 LOOP
      EXIT WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_locks l
                         WHERE l.relation = 'swl_m.held'::regclass AND l.granted
                           AND l.mode = 'AccessExclusiveLock');
      PERFORM pg_catalog.pg_sleep(0.1);
    END LOOP;
  END IF;
  INSERT INTO swl_m.calls SELECT x.pk->>'id' FROM unnest(c) x;
END $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE swl_mallory;
SELECT dataeng.on_change('swl_nap', 'swl_m.slow', 'swl_m.nap(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_consumer_create('swl_reader', '{swl_v.orders}');
SELECT dataeng.cdc_wal_sync();

-- the attacker: a change of its table, then an ACCESS EXCLUSIVE lock on
-- it, kept by a prepared transaction
SET ROLE swl_mallory;
INSERT INTO swl_m.slow VALUES (1);
INSERT INTO swl_m.held VALUES (1);
BEGIN;
LOCK TABLE swl_m.held IN ACCESS EXCLUSIVE MODE;
PREPARE TRANSACTION 'swl_hold';
-- the victim's change is captured all the same
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (10);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT op, pk FROM dataeng.cdc_poll('swl_reader');
-- the locked table stopped, saying why; the others go on
SELECT table_name, capture_error IS NOT NULL AS stopped,
       capture_error LIKE 'commit %: the lock to read table held was not granted within dataeng.wal_lock_timeout (1000 ms) (another transaction held a lock on it %' AS error_says
  FROM dataeng.cdc_status ORDER BY table_name::text;
COMMIT PREPARED 'swl_hold';

-- its owner enables it again: captured as before
SET ROLE swl_mallory;
SELECT dataeng.cdc_enable('swl_m.held', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SET ROLE swl_mallory;
INSERT INTO swl_m.held VALUES (2);
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (11);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT op, pk FROM dataeng.cdc_poll('swl_reader');
SELECT table_name, capture_error FROM dataeng.cdc_status ORDER BY table_name::text;
SELECT table_name, pk FROM dataeng.changes WHERE table_name = 'swl_m.held'::regclass ORDER BY change_id;

-- the same, with the table's row of dataeng.cdc_tables held too (a
-- cdc_enable() in the transaction that holds the lock): the worker, which
-- records the stop in that row, waited for it as long as the transaction
-- lasted.  The stop is kept aside, shown by cdc_status, and recorded in the
-- row once it is free.
SET ROLE swl_mallory;
INSERT INTO swl_m.slow VALUES (2);
INSERT INTO swl_m.held VALUES (3);
BEGIN;
SELECT dataeng.cdc_enable('swl_m.held', method => 'wal');
LOCK TABLE swl_m.held IN ACCESS EXCLUSIVE MODE;
PREPARE TRANSACTION 'swl_hold_row';
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (12);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT op, pk FROM dataeng.cdc_poll('swl_reader') WHERE pk->>'id' = '12';
SELECT table_name, capture_error LIKE 'commit %: the lock to read table held was not granted within %' AS stopped
  FROM dataeng.cdc_status ORDER BY table_name::text;
SELECT count(*) AS kept_aside FROM dataeng_internal.cdc_wal_stops;
COMMIT PREPARED 'swl_hold_row';
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (13);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT ct.table_name, ct.capture_error LIKE 'commit %: the lock to read table held was not granted within %' AS stopped
  FROM dataeng.cdc_tables ct ORDER BY ct.table_name::text;
SELECT count(*) AS kept_aside FROM dataeng_internal.cdc_wal_stops;
-- enabled again, captured again
SET ROLE swl_mallory;
SELECT dataeng.cdc_enable('swl_m.held', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SET ROLE swl_mallory;
INSERT INTO swl_m.held VALUES (4);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT table_name, capture_error FROM dataeng.cdc_status ORDER BY table_name::text;
SELECT table_name, pk FROM dataeng.changes WHERE table_name = 'swl_m.held'::regclass ORDER BY change_id;

-- An on_change trigger's row held by its owner (on_change_pause() in an
-- open transaction): the worker, which records each trigger's progress in
-- its row, waited for that transaction as long as it lasted, and capture
-- of every table with it.  The trigger's batches now wait in its backlog.
SET ROLE swl_mallory;
BEGIN;
SELECT dataeng.on_change_pause('swl_nap');
PREPARE TRANSACTION 'swl_hold_trigger';
INSERT INTO swl_m.slow VALUES (3);
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (14);
-- (the victim's sync: a superuser's waits for every role's deferred batches)
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
RESET ROLE;
SELECT op, pk FROM dataeng.cdc_poll('swl_reader') WHERE pk->>'id' = '14';
SELECT trigger_name, count(*) AS waiting FROM dataeng_internal.on_change_backlog GROUP BY 1;
-- The pause commits while a round that read the trigger before it is
-- under way (decoding a large transaction committed just before): that
-- round read the trigger unpaused, locked its row once it was free, and
-- handed the backlog to the handler after on_change_pause() had returned.
-- The round now reads the row again when it locks it.
SET ROLE swl_victim;
INSERT INTO swl_v.orders SELECT g FROM generate_series(1000, 20999) g;
RESET ROLE;
SELECT set_config('swl.after_bulk', clock_timestamp()::text, false) IS NOT NULL AS marked;
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '120 s';
BEGIN
  WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                     WHERE a.backend_type = 'dataeng wal capture' AND a.datname = current_database()
                       AND a.xact_start > current_setting('swl.after_bulk')::timestamptz)
        AND clock_timestamp() < deadline LOOP
    PERFORM pg_sleep(0.01);
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
END $$;
COMMIT PREPARED 'swl_hold_trigger';
-- paused now: its backlog is set aside, then handed to the handler once
-- resumed, in commit order
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (15);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT count(*) AS waiting FROM dataeng_internal.on_change_backlog;
SET ROLE swl_mallory;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes;
SELECT trigger_name, changes[1].pk FROM dataeng.on_change_dead_letters;
SELECT dataeng.on_change_resume('swl_nap');
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (16);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SET ROLE swl_mallory;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes;
SELECT count(*) AS dead_letters FROM dataeng.on_change_dead_letters;
SELECT id FROM swl_m.calls ORDER BY id;
RESET ROLE;

SELECT dataeng.cdc_consumer_drop('swl_reader');
SET ROLE swl_mallory;
SELECT dataeng.on_change_drop('swl_nap');
RESET ROLE;
ALTER SYSTEM RESET dataeng.wal_lock_timeout;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- by default (dataeng.wal_lock_timeout = 0) the worker waits for the lock:
-- capture is held back while the lock is held, and nothing is lost.  (The
-- worker is off while the change and the lock are made, so that it comes
-- to the change with the lock held, and reads the setting before.)
SELECT dataeng.cdc_consumer_create('swl_reader2', '{swl_v.orders,swl_m.held}');
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
SET ROLE swl_mallory;
INSERT INTO swl_m.held VALUES (20);
BEGIN;
LOCK TABLE swl_m.held IN ACCESS EXCLUSIVE MODE;
PREPARE TRANSACTION 'swl_hold2';
SET ROLE swl_victim;
INSERT INTO swl_v.orders VALUES (21);
RESET ROLE;
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                                  WHERE a.backend_type = 'dataeng wal capture' AND NOT l.granted
                                    AND l.relation = 'swl_m.held'::regclass)$$) AS worker_waits;
SELECT dataeng.cdc_wal_sync('2 s') AS synced_while_held;
COMMIT PREPARED 'swl_hold2';
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT table_name, capture_error IS NOT NULL AS stopped FROM dataeng.cdc_status ORDER BY table_name::text;
SELECT table_name::text, op, pk FROM dataeng.cdc_poll('swl_reader2') ORDER BY table_name::text;
SELECT dataeng.cdc_consumer_drop('swl_reader2');
DROP SCHEMA swl_v CASCADE;
DROP SCHEMA swl_m CASCADE;
DROP ROLE swl_victim;
DROP ROLE swl_mallory;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
