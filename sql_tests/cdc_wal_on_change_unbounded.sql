-- With dataeng.on_change_timeout = 0 (no time limit of a handler's own),
-- a handler call may take what is left of its role's budget of the round
-- (dataeng.on_change_role_budget), its lock waits too: a handler blocked
-- on a lock no longer holds the WAL capture worker, and the capture of
-- every table of the database, until the lock is released.  Its batches
-- wait in the backlog, with no call counted (a lock wait with no limit is
-- no failure), and are handled once, in commit order, once the lock is
-- free.  And dataeng.on_change_max_backlog bounds a trigger's backlog: past
-- it the trigger pauses (on_changes.pause_reason says why), its backlog is
-- set aside in dataeng.dead_letters in commit order, and on_change_resume()
-- hands every batch to the handler once.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_timeout = 0;
ALTER SYSTEM SET dataeng.on_change_role_budget = '100ms';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE ROLE ocu_victim;
CREATE ROLE ocu_slow;
CREATE SCHEMA ocu_v AUTHORIZATION ocu_victim;
CREATE SCHEMA ocu_s AUTHORIZATION ocu_slow;

SET ROLE ocu_victim;
CREATE TABLE ocu_v.orders (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('ocu_v.orders', method => 'wal');
SET ROLE ocu_slow;
CREATE TABLE ocu_s.t (id int PRIMARY KEY);
CREATE TABLE ocu_s.calls (call_no int GENERATED ALWAYS AS IDENTITY, trigger_name text, ids text);
SELECT dataeng.cdc_enable('ocu_s.t', method => 'wal');
-- waits for the advisory lock the test holds
CREATE FUNCTION ocu_s.blocked(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(4343);
  INSERT INTO ocu_s.calls (trigger_name, ids)
    SELECT 'blocked', string_agg(x.pk->>'id', ',' ORDER BY x.change_id) FROM unnest(c) x;
END $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.cdc_consumer_create('ocu_reader', '{ocu_v.orders}');

-- 1. A handler blocked on a lock, with no time limit: the other role's
-- table is captured, and read by a consumer, while the handler waits
SET ROLE ocu_slow;
SELECT dataeng.on_change('ocu_blocked', 'ocu_s.t', 'ocu_s.blocked(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT pg_advisory_lock(4343);
SET ROLE ocu_slow;
INSERT INTO ocu_s.t VALUES (1);
INSERT INTO ocu_s.t VALUES (2);
SET ROLE ocu_victim;
INSERT INTO ocu_v.orders VALUES (10);
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.changes c
                                  WHERE c.table_name = 'ocu_v.orders'::regclass)$$) AS victim_captured;
SELECT op, pk FROM dataeng.cdc_poll('ocu_reader', 100);
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng_internal.on_change_backlog$$) AS deferred;
-- (the handler has not got past the lock; its waits are no failed calls)
SELECT count(*) AS calls FROM ocu_s.calls;
SELECT max(attempts) AS attempts FROM dataeng_internal.on_change_backlog;
SET ROLE ocu_victim;
INSERT INTO ocu_v.orders VALUES (11);
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.changes c
                                  WHERE c.table_name = 'ocu_v.orders'::regclass AND c.pk->>'id' = '11')$$)
  AS victim_captured_again;
SELECT op, pk FROM dataeng.cdc_poll('ocu_reader', 100);
-- the lock free, the handler gets each batch once, in commit order
SELECT pg_advisory_unlock(4343);
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT trigger_name, ids FROM ocu_s.calls ORDER BY call_no;
SELECT count(*) AS backlog FROM dataeng_internal.on_change_backlog;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SET ROLE ocu_slow;
SELECT dataeng.on_change_drop('ocu_blocked');
RESET ROLE;
TRUNCATE ocu_s.calls;

-- 2. The backlog's bound: a trigger whose backlog would hold more than
-- dataeng.on_change_max_backlog batches pauses; its batches are set aside
-- in dataeng.dead_letters, in commit order, none dropped
ALTER SYSTEM SET dataeng.on_change_max_backlog = 2;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE ocu_slow;
SELECT dataeng.on_change('ocu_bounded', 'ocu_s.t', 'ocu_s.blocked(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT pg_advisory_lock(4343);
INSERT INTO ocu_s.t VALUES (3);
INSERT INTO ocu_s.t VALUES (4), (5);
INSERT INTO ocu_s.t VALUES (6);
INSERT INTO ocu_s.t VALUES (7);
SELECT wait_for($$SELECT count(*) = 4 FROM dataeng.dead_letters$$) AS set_aside;
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog)$$) AS backlog_empty;
SELECT trigger_name, paused_at IS NOT NULL AS paused, pause_reason, backlog_batches FROM dataeng.on_changes;
SELECT string_agg((SELECT string_agg(x.pk->>'id', ',' ORDER BY x.change_id) FROM unnest(d.changes) x), ' '
                  ORDER BY d.commit_lsn) AS set_aside_ids,
       bool_and(d.error = 'not handled: the trigger is paused') AS not_failed
  FROM dataeng.dead_letters d;
-- failing in pipeline_status, with an alert
SELECT name, state, regexp_replace(reason, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}', 'T', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).raised >= 1 AS raised;
SELECT kind, object FROM dataeng.alerts_open WHERE kind = 'on_change_failed';
-- capture went on
SET ROLE ocu_victim;
INSERT INTO ocu_v.orders VALUES (12);
RESET ROLE;
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.changes c
                                  WHERE c.table_name = 'ocu_v.orders'::regclass AND c.pk->>'id' = '12')$$)
  AS victim_captured_paused;
-- a later batch joins them while the trigger is paused
INSERT INTO ocu_s.t VALUES (8);
SELECT wait_for($$SELECT count(*) = 5 FROM dataeng.dead_letters$$) AS set_aside_later;
SELECT count(*) AS calls FROM ocu_s.calls;
-- resumed: every batch handled once, in commit order
SELECT pg_advisory_unlock(4343);
SET ROLE ocu_slow;
SELECT dataeng.on_change_resume('ocu_bounded');
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM dataeng.on_changes WHERE resume_requested OR paused_at IS NOT NULL)$$)
  AS resumed;
INSERT INTO ocu_s.t VALUES (9);
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT string_agg(ids, ' ' ORDER BY call_no) AS ids FROM ocu_s.calls;
SELECT trigger_name, paused_at IS NOT NULL AS paused, pause_reason, backlog_batches FROM dataeng.on_changes;
RESET ROLE;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).resolved >= 1 AS resolved;
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind = 'on_change_failed';
-- a pause asked for says so
SET ROLE ocu_slow;
SELECT dataeng.on_change_pause('ocu_bounded');
SELECT trigger_name, pause_reason FROM dataeng.on_changes;
SELECT dataeng.on_change_drop('ocu_bounded');
RESET ROLE;

-- 3. A lock_timeout shorter than the budget that the handler sets itself
-- is its own: reaching it is a failure (retried, then a dead letter)
ALTER SYSTEM SET dataeng.on_change_role_budget = '10s';
ALTER SYSTEM SET dataeng.on_change_retries = 0;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE ocu_slow;
CREATE FUNCTION ocu_s.impatient(c dataeng.change[]) RETURNS void LANGUAGE plpgsql
SET lock_timeout = '50ms' AS $$
BEGIN
  PERFORM pg_advisory_xact_lock_shared(4343);
END $$;
SELECT dataeng.on_change('ocu_impatient', 'ocu_s.t', 'ocu_s.impatient(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT pg_advisory_lock(4343);
INSERT INTO ocu_s.t VALUES (10);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.dead_letters)$$) AS failed;
SELECT pg_advisory_unlock(4343);
SELECT trigger_name, sqlstate, error, attempts FROM dataeng.dead_letters;
SELECT count(*) AS backlog FROM dataeng_internal.on_change_backlog;
SET ROLE ocu_slow;
SELECT dataeng.on_change_drop('ocu_impatient');
RESET ROLE;

-- 4. A call that needs more than its role's whole budget is cut off in
-- every round, its batch never handled: after 5 cut-offs in a row of the
-- same batch, each with the whole budget, the trigger says so
-- (on_changes.calls_cut_off, pipeline_status's warning with an
-- on_change_stuck alert, a WARNING in the server log), long before the
-- backlog's bound would pause it; no call counted; so are the calls of a
-- resume; the lock free, each batch is handled once, in commit order, and
-- the signal ends
ALTER SYSTEM SET dataeng.on_change_role_budget = '100ms';
ALTER SYSTEM RESET dataeng.on_change_retries;
ALTER SYSTEM RESET dataeng.on_change_max_backlog;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
TRUNCATE ocu_s.calls;
SET ROLE ocu_slow;
SELECT dataeng.on_change('ocu_stuck', 'ocu_s.t', 'ocu_s.blocked(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT pg_advisory_lock(4343);
INSERT INTO ocu_s.t VALUES (11);
INSERT INTO ocu_s.t VALUES (12);
SELECT wait_for($$SELECT calls_cut_off >= 5 FROM dataeng.on_changes WHERE trigger_name = 'ocu_stuck'$$) AS cut_off_again;
SELECT trigger_name, paused_at IS NOT NULL AS paused, backlog_batches FROM dataeng.on_changes;
SELECT max(attempts) AS attempts FROM dataeng_internal.on_change_backlog;
SELECT name, state, reason ~ ('its handler ocu_s.blocked\(dataeng.change\[\]\) cannot complete a call within its role''s budget '
                              'of a round: the call with the batch it waits on was cut off [0-9]+ times in a row at '
                              'dataeng.on_change_role_budget \(dataeng.on_change_timeout is 0\), and 2 batches '
                              'of ocu_s.t wait behind it in its backlog; raise dataeng.on_change_role_budget') AS says
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).raised >= 1 AS raised;
SELECT kind, object, severity FROM dataeng.alerts_open WHERE kind LIKE 'on_change%';
-- paused by hand (its backlog set aside) and resumed while the lock is
-- still held: the resume's calls with the first set-aside batch are cut
-- off the same way, counted the same way
SET ROLE ocu_slow;
SELECT dataeng.on_change_pause('ocu_stuck');
RESET ROLE;
SELECT wait_for($$SELECT backlog_batches = 0 AND calls_cut_off = 0 FROM dataeng.on_changes$$) AS set_aside;
SET ROLE ocu_slow;
SELECT dataeng.on_change_resume('ocu_stuck');
RESET ROLE;
SELECT wait_for($$SELECT calls_cut_off >= 5 FROM dataeng.on_changes WHERE trigger_name = 'ocu_stuck'$$) AS resume_cut_off_again;
SELECT name, state, reason ~ ('cannot complete a call within its role''s budget of a round: the call with the batch it waits on '
                              'was cut off [0-9]+ times in a row at dataeng.on_change_role_budget \(dataeng.on_change_timeout is 0\), '
                              'in the resume of its set-aside batches; raise') AS says
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT pg_advisory_unlock(4343);
SELECT wait_for($$SELECT paused_at IS NULL AND NOT resume_requested FROM dataeng.on_changes$$) AS resumed;
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT string_agg(ids, ' ' ORDER BY call_no) AS ids FROM ocu_s.calls;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters WHERE trigger_name = 'ocu_stuck';
SELECT trigger_name, backlog_batches, calls_cut_off FROM dataeng.on_changes;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).resolved >= 1 AS resolved;
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind LIKE 'on_change%';
SET ROLE ocu_slow;
SELECT dataeng.on_change_drop('ocu_stuck');
RESET ROLE;

ALTER SYSTEM RESET dataeng.on_change_retries;
ALTER SYSTEM RESET dataeng.on_change_max_backlog;
ALTER SYSTEM RESET dataeng.on_change_role_budget;
ALTER SYSTEM RESET dataeng.on_change_timeout;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.cdc_consumer_drop('ocu_reader');
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP SCHEMA ocu_v CASCADE;
DROP SCHEMA ocu_s CASCADE;
DROP ROLE ocu_victim;
DROP ROLE ocu_slow;
