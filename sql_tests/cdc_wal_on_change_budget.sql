-- The WAL capture worker is every role's: one role's on_change handlers
-- take at most dataeng.on_change_role_budget of a round.  Past it, that
-- role's batches wait in a backlog, handled in commit order in later
-- rounds, and capture goes on.  (A handler blocked, or slow, held every
-- table of the database: with the default settings up to about 800 s per
-- source transaction of its table.)
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_role_budget = '100ms';
ALTER SYSTEM SET dataeng.on_change_timeout = '1s';
ALTER SYSTEM SET dataeng.on_change_retries = 100;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE ROLE ocb_victim;
CREATE ROLE ocb_slow;
CREATE SCHEMA ocb_v AUTHORIZATION ocb_victim;
CREATE SCHEMA ocb_s AUTHORIZATION ocb_slow;

SET ROLE ocb_victim;
CREATE TABLE ocb_v.orders (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('ocb_v.orders', method => 'wal');
SET ROLE ocb_slow;
CREATE TABLE ocb_s.t (id int PRIMARY KEY);
CREATE TABLE ocb_s.calls (call_no int GENERATED ALWAYS AS IDENTITY, trigger_name text, ids text,
                          worker_xact xid8);
SELECT dataeng.cdc_enable('ocb_s.t', method => 'wal');
-- waits for the advisory lock the test holds (its lock_timeout is
-- dataeng.on_change_timeout: each call fails until the lock is free)
CREATE FUNCTION ocb_s.blocked(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(4242);
  INSERT INTO ocb_s.calls (trigger_name, ids, worker_xact)
    SELECT 'blocked', string_agg(x.pk->>'id', ',' ORDER BY x.change_id), pg_current_xact_id() FROM unnest(c) x;
END $$;
-- slower than the budget
CREATE FUNCTION ocb_s.slow(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.3);
  INSERT INTO ocb_s.calls (trigger_name, ids, worker_xact)
    SELECT 'slow', string_agg(x.pk->>'id', ',' ORDER BY x.change_id), pg_current_xact_id() FROM unnest(c) x;
END $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.cdc_consumer_create('ocb_reader', '{ocb_v.orders}');

-- 1. A handler blocked: capture of the other role's table goes on, and a
-- consumer reads it, while the handler waits
SET ROLE ocb_slow;
SELECT dataeng.on_change('ocb_blocked', 'ocb_s.t', 'ocb_s.blocked(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT pg_advisory_lock(4242);
SET ROLE ocb_slow;
INSERT INTO ocb_s.t VALUES (1);
INSERT INTO ocb_s.t VALUES (2);
SET ROLE ocb_victim;
INSERT INTO ocb_v.orders VALUES (10);
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.changes c
                                  WHERE c.table_name = 'ocb_v.orders'::regclass)$$) AS victim_captured;
SELECT op, pk FROM dataeng.cdc_poll('ocb_reader', 100);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog)$$) AS deferred;
-- (the handler has not got past the lock)
SELECT count(*) AS calls FROM ocb_s.calls;
SET ROLE ocb_victim;
INSERT INTO ocb_v.orders VALUES (11);
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.changes c
                                  WHERE c.table_name = 'ocb_v.orders'::regclass AND c.pk->>'id' = '11')$$)
  AS victim_captured_again;
SELECT op, pk FROM dataeng.cdc_poll('ocb_reader', 100);
-- the lock free, the handler gets each batch once, in commit order
SELECT pg_advisory_unlock(4242);
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT trigger_name, ids FROM ocb_s.calls ORDER BY call_no;
SELECT count(*) AS backlog FROM dataeng_internal.on_change_backlog;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SELECT trigger_name, handled_lsn >= from_lsn AS handled FROM dataeng.on_changes;
SET ROLE ocb_slow;
SELECT dataeng.on_change_drop('ocb_blocked');
RESET ROLE;

-- 2. A handler slower than the budget, three transactions in one round
-- (committed while the worker is paused): the first batch is handled in
-- the round, the others deferred, each to its own later round, in order
SET ROLE ocb_slow;
SELECT dataeng.on_change('ocb_slow', 'ocb_s.t', 'ocb_s.slow(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_paused;
INSERT INTO ocb_s.t VALUES (3);
INSERT INTO ocb_s.t VALUES (4), (5);
INSERT INTO ocb_s.t VALUES (6);
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
-- (the caller's roles' deferred batches are waited for)
SET ROLE ocb_slow;
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT string_agg(ids, ' ' ORDER BY call_no) AS ids, count(*) AS calls,
       count(DISTINCT worker_xact) AS worker_transactions
  FROM ocb_s.calls WHERE trigger_name = 'slow';
RESET ROLE;
SELECT count(*) AS backlog FROM dataeng_internal.on_change_backlog;

-- 3. A dropped trigger's backlog goes
SELECT pg_advisory_lock(4242);
SET ROLE ocb_slow;
SELECT dataeng.on_change_drop('ocb_slow');
SELECT dataeng.on_change('ocb_blocked2', 'ocb_s.t', 'ocb_s.blocked(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
INSERT INTO ocb_s.t VALUES (7);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog)$$) AS deferred;
SET ROLE ocb_slow;
SELECT dataeng.on_change_drop('ocb_blocked2');
RESET ROLE;
INSERT INTO ocb_s.t VALUES (8);
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog)$$) AS backlog_gone;
SELECT pg_advisory_unlock(4242);
SELECT count(*) AS calls FROM ocb_s.calls WHERE trigger_name = 'blocked' AND ids IN ('7', '8');

-- 4. Every role's handlers together take at most
-- dataeng.on_change_round_budget of a round: past it, another role's
-- handler waits for a later round too (however many roles have triggers)
ALTER SYSTEM SET dataeng.on_change_role_budget = '10s';
ALTER SYSTEM SET dataeng.on_change_round_budget = '100ms';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE ocb_victim;
CREATE TABLE ocb_v.calls (ids text, worker_xact xid8);
CREATE FUNCTION ocb_v.slow(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.3);
  INSERT INTO ocb_v.calls SELECT string_agg(x.pk->>'id', ','), pg_current_xact_id() FROM unnest(c) x;
END $$;
SELECT dataeng.on_change('ocb_r_victim', 'ocb_v.orders', 'ocb_v.slow(dataeng.change[])');
SET ROLE ocb_slow;
SELECT dataeng.on_change('ocb_r_slow', 'ocb_s.t', 'ocb_s.slow(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_paused;
INSERT INTO ocb_s.t VALUES (9);
INSERT INTO ocb_v.orders VALUES (12);
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT (SELECT string_agg(ids, ' ') FROM ocb_s.calls WHERE trigger_name = 'slow' AND ids = '9') AS slow,
       (SELECT string_agg(ids, ' ') FROM ocb_v.calls) AS victim,
       (SELECT count(DISTINCT x) FROM (SELECT worker_xact FROM ocb_s.calls WHERE ids = '9'
                                       UNION ALL SELECT worker_xact FROM ocb_v.calls) c(x)) AS worker_transactions;

ALTER SYSTEM RESET dataeng.on_change_role_budget;
ALTER SYSTEM RESET dataeng.on_change_round_budget;
ALTER SYSTEM RESET dataeng.on_change_timeout;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.cdc_consumer_drop('ocb_reader');
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP SCHEMA ocb_v CASCADE;
DROP SCHEMA ocb_s CASCADE;
DROP ROLE ocb_victim;
DROP ROLE ocb_slow;
