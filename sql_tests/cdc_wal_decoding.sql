-- Capture from the WAL: the worker decodes its slot in its own process, with
-- one decoding context for its life (src/cdc/wal_decode.c).  It holds the
-- slot between rounds, goes on from where the last round stopped (rounds
-- bounded by dataeng.wal_batch_changes, a transaction never cut), keeps the
-- relation messages of earlier rounds, and confirms the slot's position
-- after each round.
\pset null '(null)'
SET client_min_messages = notice;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;

-- small rounds: about 100 messages (whole transactions all the same); the
-- messages of a round past 64 kB spill to a temporary file, as the
-- reorder buffer's changes do
ALTER SYSTEM SET dataeng.wal_batch_changes = 100;
ALTER SYSTEM SET logical_decoding_work_mem = '64kB';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();

CREATE TABLE wd (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('wd', method => 'wal');
SELECT dataeng.cdc_wal_sync('1 min');

-- the worker holds its slot while it runs, between rounds too (the SQL
-- functions held it only while a round read it)
CREATE FUNCTION wd_slot_holder() RETURNS int LANGUAGE sql AS $$
  SELECT s.active_pid FROM pg_replication_slots s
   WHERE s.slot_name = 'dataeng_wal_' || (SELECT oid FROM pg_database WHERE datname = current_database())
$$;
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT wait_for('SELECT wd_slot_holder() IS NOT NULL') AS slot_held;
SELECT pg_sleep(0.5);
SELECT wd_slot_holder() = a.pid AS held_by_worker
  FROM pg_stat_activity a
 WHERE a.backend_type = 'dataeng wal capture' AND a.datname = current_database();

-- a transaction larger than a round, then small ones, in several rounds
INSERT INTO wd SELECT g, 'v' || g FROM generate_series(1, 300) g;
SELECT dataeng.cdc_wal_sync('1 min');
DO $$
BEGIN
  FOR i IN 1..40 LOOP
    UPDATE wd SET v = v || '+' WHERE id = i;
    COMMIT;
  END LOOP;
END $$;
SELECT dataeng.cdc_wal_sync('1 min');
-- transactions of large values (about 400 kB of messages), read back from
-- the spill file
INSERT INTO wd SELECT g, repeat(md5(g::text), 300) FROM generate_series(1001, 1040) g;
UPDATE wd SET v = v || 'x' WHERE id BETWEEN 1001 AND 1040;
DELETE FROM wd WHERE id BETWEEN 1001 AND 1020;
SELECT dataeng.cdc_wal_sync('1 min');
SELECT op, count(*), bool_and(coalesce(new_row ->> 'v', old_row ->> 'v') LIKE repeat(md5((pk ->> 'id')), 300) || '%') AS values_whole,
       bool_and(op <> 'U' OR new_row ->> 'v' = old_row ->> 'v' || 'x') AS updated
  FROM dataeng_internal.change_log WHERE table_oid = 'wd'::regclass AND (pk ->> 'id')::int > 1000
 GROUP BY op ORDER BY op;
-- a later round after the table changed: pgoutput sends its relation again
ALTER TABLE wd ADD COLUMN w int DEFAULT 7;
UPDATE wd SET w = id WHERE id <= 3;
DELETE FROM wd WHERE id > 290;
SELECT dataeng.cdc_wal_sync('1 min');

SELECT op, count(*), count(DISTINCT captured_at) AS commits
  FROM dataeng_internal.change_log WHERE table_oid = 'wd'::regclass GROUP BY op ORDER BY op;
-- in commit order: change_id follows the source transactions' commits
SELECT bool_and(ok) AS in_commit_order FROM (
  SELECT captured_at >= lag(captured_at) OVER (ORDER BY change_id) AS ok
    FROM dataeng_internal.change_log WHERE table_oid = 'wd'::regclass) x;
SELECT pk, new_row FROM dataeng_internal.change_log
 WHERE table_oid = 'wd'::regclass AND op = 'U' AND new_row ? 'w' ORDER BY pk ->> 'id';
-- the last update of row 40 of the loop
SELECT new_row ->> 'v' AS v FROM dataeng_internal.change_log
 WHERE table_oid = 'wd'::regclass AND op = 'U' AND pk = '{"id": 40}' ORDER BY change_id LIMIT 1;
-- the slot's position was confirmed past every change
SELECT s.confirmed_flush_lsn >= (SELECT max(lsn) FROM dataeng_internal.change_log
                                  WHERE table_oid = 'wd'::regclass) AS confirmed
  FROM pg_replication_slots s
 WHERE s.slot_name = 'dataeng_wal_' || (SELECT oid FROM pg_database WHERE datname = current_database());

ALTER SYSTEM RESET dataeng.wal_batch_changes;
ALTER SYSTEM RESET logical_decoding_work_mem;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- the last table disabled: the worker lets go of its slot and drops it
SELECT dataeng.cdc_disable('wd');
SELECT dataeng.cdc_wal_sync();
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots
                                      WHERE slot_name LIKE 'dataeng_wal_%' AND database = current_database())$$) AS slot_dropped;

DROP TABLE wd;
DROP FUNCTION wd_slot_holder();
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
