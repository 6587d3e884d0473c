-- Capture from the WAL: cdc_enable(..., method => 'wal'), the records it
-- writes (the same as the capture trigger's), switching methods, status.
\pset null '(null)'
SET client_min_messages = notice;
-- (the worker renders timestamptz values in UTC; the trigger in the
-- writer's TimeZone: the same instants, written alike only in UTC)
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;

-- errors
CREATE TABLE w_err (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('w_err', method => 'logical');
SELECT dataeng.cdc_enable('w_err', method => '');
SELECT count(*) FROM dataeng.cdc_tables WHERE table_name = 'w_err'::regclass;

-- The same statements on a table captured by trigger and on one captured
-- from the WAL, with each kind of option: the records are the same.
CREATE TABLE w_trg (id int PRIMARY KEY, a text, b numeric, c timestamptz, d jsonb,
                    e int[], f bytea, g float8, h interval, big text);
CREATE TABLE w_wal (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_trg_cols (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_wal_cols (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_trg_excl (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_wal_excl (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_trg_chg (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_wal_chg (LIKE w_trg INCLUDING ALL);
CREATE TABLE w_trg_nokey (x int, y text);
CREATE TABLE w_wal_nokey (x int, y text);
SELECT dataeng.cdc_enable('w_trg');
SELECT dataeng.cdc_enable('w_wal', method => 'wal');
SELECT dataeng.cdc_enable('w_trg_cols', columns => '{id,a,big}');
SELECT dataeng.cdc_enable('w_wal_cols', columns => '{id,a,big}', method => 'wal');
SELECT dataeng.cdc_enable('w_trg_excl', exclude_columns => '{b,c}');
SELECT dataeng.cdc_enable('w_wal_excl', exclude_columns => '{b,c}', method => 'wal');
SELECT dataeng.cdc_enable('w_trg_chg', changed_only => true);
SELECT dataeng.cdc_enable('w_wal_chg', changed_only => true, method => 'wal');
SELECT dataeng.cdc_enable('w_trg_nokey');
SELECT dataeng.cdc_enable('w_wal_nokey', method => 'wal');
-- idempotent: nothing to say the second time
SELECT dataeng.cdc_enable('w_wal', method => 'wal');
SELECT relname, relreplident FROM pg_class WHERE relname LIKE 'w\_%' AND relkind = 'r' ORDER BY 1;

SELECT dataeng.cdc_wal_sync();
SELECT table_name, method, active_method FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'w\_%' ORDER BY 1;
-- no trigger on the tables captured from the WAL
SELECT tgrelid::regclass, count(*) FROM pg_trigger
 WHERE tgrelid::regclass::text LIKE 'w\_%' AND NOT tgisinternal GROUP BY 1 ORDER BY 1;

CREATE FUNCTION pg_temp.w_write(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO %1$s VALUES
      (1, 'one', 1.50, '2024-02-29 12:34:56.789+01', '{"k": [1, "x", null]}', '{1,2,NULL}',
       '\x00ff', 1.0e-7, '1 day 02:03:04', NULL),
      (2, 'two', -2, NULL, 'null', '{}', '', 'NaN', '-3 months', repeat('big', 50000)),
      (3, 'three', 1e20, 'infinity', '"s"', NULL, NULL, '-Infinity', NULL, 'x');
    UPDATE %1$s SET a = 'uno', b = b + 1 WHERE id = 1;
    UPDATE %1$s SET a = 'dos' WHERE id = 2;          -- big is TOASTed, unchanged
    UPDATE %1$s SET big = repeat('new', 40000) WHERE id = 3;
    UPDATE %1$s SET a = a WHERE id = 3;              -- changes nothing
    DELETE FROM %1$s WHERE id = 2;
  $q$, t);
END $$;
SELECT pg_temp.w_write(t) FROM unnest('{w_trg,w_wal,w_trg_cols,w_wal_cols,w_trg_excl,w_wal_excl,w_trg_chg,w_wal_chg}'::regclass[]) t;
BEGIN;
INSERT INTO w_wal VALUES (100, 'rolled back');
INSERT INTO w_trg VALUES (100, 'rolled back');
ROLLBACK;
INSERT INTO w_trg_nokey VALUES (1, 'a'), (1, 'a'), (2, NULL);
INSERT INTO w_wal_nokey VALUES (1, 'a'), (1, 'a'), (2, NULL);
UPDATE w_trg_nokey SET y = 'b' WHERE x = 1;
UPDATE w_wal_nokey SET y = 'b' WHERE x = 1;
DELETE FROM w_trg_nokey WHERE x = 2;
DELETE FROM w_wal_nokey WHERE x = 2;
TRUNCATE w_trg, w_trg_nokey;
TRUNCATE w_wal, w_wal_nokey;
SELECT dataeng.cdc_wal_sync();

-- each pair: the same records in the same order
CREATE FUNCTION pg_temp.w_log(t regclass)
RETURNS TABLE (n bigint, op "char", pk jsonb, old_row jsonb, new_row jsonb)
LANGUAGE sql AS $$
  SELECT row_number() OVER (ORDER BY change_id), op, pk, old_row, new_row
    FROM dataeng.changes WHERE table_name = t ORDER BY change_id
$$;
SELECT p.trg, p.wal, count(*) AS changes,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.w_log(p.trg) EXCEPT ALL
                              SELECT * FROM pg_temp.w_log(p.wal)) x) AS only_trigger,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.w_log(p.wal) EXCEPT ALL
                              SELECT * FROM pg_temp.w_log(p.trg)) x) AS only_wal
  FROM (VALUES ('w_trg'::regclass, 'w_wal'::regclass), ('w_trg_cols', 'w_wal_cols'),
               ('w_trg_excl', 'w_wal_excl'), ('w_trg_chg', 'w_wal_chg'),
               ('w_trg_nokey', 'w_wal_nokey')) p(trg, wal)
  CROSS JOIN LATERAL pg_temp.w_log(p.wal) l
 GROUP BY 1, 2 ORDER BY 1;
-- what they are, shortened
SELECT n, op, pk, left(old_row::text, 60) AS old_row, left(new_row::text, 60) AS new_row
  FROM pg_temp.w_log('w_wal_chg');
SELECT n, op, pk, length(new_row->>'big') AS big FROM pg_temp.w_log('w_wal') WHERE op <> 'D';

-- captured_at is the source transaction's commit time
SELECT count(DISTINCT captured_at) AS commits FROM dataeng.changes WHERE table_name = 'w_wal'::regclass;

-- Switching: from the WAL to a trigger and back, writing all along; a
-- consumer sees each change once, in commit order.
CREATE TABLE w_sw (id int PRIMARY KEY, v int);
SELECT dataeng.cdc_enable('w_sw', method => 'wal');
SELECT dataeng.cdc_consumer_create('w_sw_c', '{w_sw}');
SELECT dataeng.cdc_wal_sync();
INSERT INTO w_sw SELECT g, 0 FROM generate_series(1, 5) g;
SELECT dataeng.cdc_enable('w_sw', method => 'trigger');
UPDATE w_sw SET v = 1 WHERE id = 1;
SELECT dataeng.cdc_wal_sync();
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'w_sw'::regclass;
UPDATE w_sw SET v = 2 WHERE id = 2;
SELECT dataeng.cdc_enable('w_sw', method => 'wal');
UPDATE w_sw SET v = 3 WHERE id = 3;
SELECT dataeng.cdc_wal_sync();
UPDATE w_sw SET v = 4 WHERE id = 4;
SELECT dataeng.cdc_wal_sync();
SELECT op, pk->>'id' AS id, new_row->>'v' AS v FROM dataeng.cdc_poll('w_sw_c');

-- status: per table, the method, the slot and its lag, the last commit
SELECT table_name, method, active_method, slot_name LIKE 'dataeng_wal_%' AS slot,
       wal_bytes_behind IS NOT NULL AS lag_known, last_commit_time IS NOT NULL AS decoded,
       worker_pid IS NOT NULL AS worker
  FROM dataeng.cdc_status WHERE table_name::text LIKE 'w\_%' ORDER BY 1;
-- a slot further behind than dataeng.max_slot_lag is reported
-- (the worker waits for the lock on its position meanwhile)
SET dataeng.max_slot_lag = 1;
BEGIN;
LOCK dataeng_internal.cdc_wal_state;
CREATE TABLE w_noise AS SELECT g FROM generate_series(1, 1000) g;
\set VERBOSITY terse
SELECT count(*) > 0 FROM dataeng.cdc_status WHERE method = 'wal';
\set VERBOSITY default
COMMIT;
RESET dataeng.max_slot_lag;

-- PUBLIC sees only the tables it may read
CREATE ROLE w_reader;
GRANT SELECT ON w_wal TO w_reader;
SET ROLE w_reader;
SELECT table_name, method FROM dataeng.cdc_status;
SELECT count(*) FROM dataeng_internal.cdc_wal_state;
RESET ROLE;

-- disabling the last table: the worker drops its slot and exits
SELECT dataeng.cdc_consumer_drop('w_sw_c');
SELECT dataeng.cdc_disable(t) FROM unnest('{w_wal,w_wal_cols,w_wal_excl,w_wal_chg,w_wal_nokey,w_sw}'::regclass[]) t;
SELECT dataeng.cdc_wal_sync();
\i sql_tests/lib/wait_for.sql
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots
                                      WHERE slot_name LIKE 'dataeng_wal_%' AND database = current_database())$$) AS slot_dropped;
SELECT count(*) AS published FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
 WHERE p.pubname = 'dataeng_wal';

DROP TABLE w_err, w_trg, w_wal, w_trg_cols, w_wal_cols, w_trg_excl, w_wal_excl, w_trg_chg,
  w_wal_chg, w_trg_nokey, w_wal_nokey, w_sw, w_noise;
DROP ROLE w_reader;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
