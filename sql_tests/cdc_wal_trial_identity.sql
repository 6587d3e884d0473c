-- Capture from the WAL against what a table's definition may hold: stored
-- generated columns (pgoutput does not send them), partitions (the WAL
-- holds a partition's old rows by the partition's own REPLICA IDENTITY),
-- and REPLICA IDENTITY changed after cdc_enable.  Each WAL-mode table has
-- a twin captured by trigger: the records must be the same.
\pset null '(null)'
SET client_min_messages = notice;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;

-- Stored generated columns: computed from the decoded row, as the writer's
-- statement computed them (also in the key, the old row and after an
-- UPDATE that leaves a TOASTed value unchanged).
CREATE FUNCTION public.gen_twice(x int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT x * 2';
CREATE TABLE g_trg (id int, code text GENERATED ALWAYS AS ('k' || id) STORED,
                    v int, twice int GENERATED ALWAYS AS (public.gen_twice(v)) STORED,
                    big text, PRIMARY KEY (code));
CREATE TABLE g_wal (LIKE g_trg INCLUDING ALL);
SELECT dataeng.cdc_enable('g_trg');
SELECT dataeng.cdc_enable('g_wal', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO g_trg (id, v, big) VALUES (1, 10, repeat(md5('x'), 4000)), (2, NULL, 'small');
INSERT INTO g_wal (id, v, big) VALUES (1, 10, repeat(md5('x'), 4000)), (2, NULL, 'small');
UPDATE g_trg SET v = 11 WHERE id = 1;   -- big: unchanged and TOASTed
UPDATE g_wal SET v = 11 WHERE id = 1;
UPDATE g_trg SET id = 3 WHERE id = 2;   -- the key (generated) changes
UPDATE g_wal SET id = 3 WHERE id = 2;
DELETE FROM g_trg WHERE id = 1;
DELETE FROM g_wal WHERE id = 1;
SELECT dataeng.cdc_wal_sync();
SELECT table_name, capture_error FROM dataeng.cdc_status WHERE table_name = 'g_wal'::regclass;
SELECT op, pk, old_row - 'big' AS old_row, new_row - 'big' AS new_row,
       length(old_row->>'big') AS old_big, length(new_row->>'big') AS new_big
  FROM dataeng.changes WHERE table_name = 'g_wal'::regclass ORDER BY change_id;
-- the same as the trigger's
SELECT count(*) AS records,
       count(*) FILTER (WHERE w.op = t.op AND w.pk IS NOT DISTINCT FROM t.pk
                          AND w.old_row IS NOT DISTINCT FROM t.old_row
                          AND w.new_row IS NOT DISTINCT FROM t.new_row) AS same
  FROM (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
         WHERE table_name = 'g_wal'::regclass) w
  FULL JOIN (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
              WHERE table_name = 'g_trg'::regclass) t USING (n);

-- A partitioned table: cdc_enable gives every partition REPLICA IDENTITY
-- FULL, and so does creating or attaching a partition later; an UPDATE
-- inside a partition and one that moves a row to another partition record
-- the whole old row (never NULLs where the WAL had no value).
CREATE TABLE p_trg (id int, region text, v int, note text, PRIMARY KEY (id, region))
  PARTITION BY LIST (region);
CREATE TABLE p_trg_eu PARTITION OF p_trg FOR VALUES IN ('eu');
CREATE TABLE p_trg_us PARTITION OF p_trg FOR VALUES IN ('us');
CREATE TABLE p_wal (id int, region text, v int, note text, PRIMARY KEY (id, region))
  PARTITION BY LIST (region);
CREATE TABLE p_wal_eu PARTITION OF p_wal FOR VALUES IN ('eu');
CREATE TABLE p_wal_us PARTITION OF p_wal FOR VALUES IN ('us');
SELECT dataeng.cdc_enable('p_trg');
SELECT dataeng.cdc_enable('p_wal', method => 'wal');
SELECT relname, relreplident FROM pg_class WHERE relname ~ '^p_wal' AND relkind IN ('r', 'p')
 ORDER BY relname;
-- later partitions: created, and attached (with a sub-partition)
CREATE TABLE p_wal_asia PARTITION OF p_wal FOR VALUES IN ('asia');
CREATE TABLE p_wal_sa (id int NOT NULL, region text NOT NULL, v int, note text)
  PARTITION BY LIST (id);
CREATE TABLE p_wal_sa_1 PARTITION OF p_wal_sa FOR VALUES IN (1);
ALTER TABLE p_wal ATTACH PARTITION p_wal_sa FOR VALUES IN ('sa');
CREATE TABLE p_trg_asia PARTITION OF p_trg FOR VALUES IN ('asia');
CREATE TABLE p_trg_sa (id int NOT NULL, region text NOT NULL, v int, note text)
  PARTITION BY LIST (id);
CREATE TABLE p_trg_sa_1 PARTITION OF p_trg_sa FOR VALUES IN (1);
ALTER TABLE p_trg ATTACH PARTITION p_trg_sa FOR VALUES IN ('sa');
SELECT relname, relreplident FROM pg_class WHERE relname ~ '^p_(trg|wal)' AND relkind IN ('r', 'p')
 ORDER BY relname;
SELECT dataeng.cdc_wal_sync();
INSERT INTO p_trg VALUES (1, 'eu', 1, 'a'), (2, 'us', 2, 'b'), (1, 'asia', 3, 'c'), (1, 'sa', 4, 'd');
INSERT INTO p_wal VALUES (1, 'eu', 1, 'a'), (2, 'us', 2, 'b'), (1, 'asia', 3, 'c'), (1, 'sa', 4, 'd');
UPDATE p_trg SET v = v + 10;
UPDATE p_wal SET v = v + 10;
UPDATE p_trg SET region = 'us' WHERE id = 1 AND region = 'eu';
UPDATE p_wal SET region = 'us' WHERE id = 1 AND region = 'eu';
DELETE FROM p_trg WHERE region = 'sa';
DELETE FROM p_wal WHERE region = 'sa';
SELECT dataeng.cdc_wal_sync();
SELECT table_name, capture_error FROM dataeng.cdc_status WHERE table_name = 'p_wal'::regclass;
SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'p_wal'::regclass
 ORDER BY change_id;
-- the same as the trigger's (one UPDATE's rows come in another order),
-- but for the row moved to another partition: PostgreSQL logs a DELETE
-- from one partition and an INSERT into the other, where the trigger
-- sees one UPDATE (docs/cdc.md)
SELECT 'wal' AS only_in, op, pk, old_row, new_row FROM (
  SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'p_wal'::regclass
  EXCEPT ALL
  SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'p_trg'::regclass) x
UNION ALL
SELECT 'trigger', op, pk, old_row, new_row FROM (
  SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'p_trg'::regclass
  EXCEPT ALL
  SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'p_wal'::regclass) y
ORDER BY 1, 2;

-- REPLICA IDENTITY other than FULL on a table captured from the WAL, or on
-- one of its partitions, is refused (the worker would have no old row, and
-- a table without a key would refuse its writers' UPDATE and DELETE);
-- FULL again is fine; a table captured by trigger is free.
CREATE TABLE n_wal (a int, b text);
SELECT dataeng.cdc_enable('n_wal', method => 'wal');
ALTER TABLE n_wal REPLICA IDENTITY DEFAULT;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE p_wal_us REPLICA IDENTITY NOTHING;
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE p_wal_sa_1 REPLICA IDENTITY DEFAULT;
ALTER TABLE g_wal REPLICA IDENTITY USING INDEX g_wal_pkey;
ALTER TABLE n_wal REPLICA IDENTITY FULL;
ALTER TABLE p_trg_us REPLICA IDENTITY DEFAULT;
SELECT relname, relreplident FROM pg_class
 WHERE relname IN ('n_wal', 'p_wal_us', 'p_wal_sa_1', 'g_wal', 'p_trg_us') ORDER BY relname;
SELECT dataeng.cdc_wal_sync();
INSERT INTO n_wal VALUES (1, 'x');
UPDATE n_wal SET b = 'y';
DELETE FROM n_wal;
SELECT dataeng.cdc_wal_sync();
SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'n_wal'::regclass
 ORDER BY change_id;
-- With event triggers off the refusal cannot see the ALTER: an old row
-- that the WAL holds as its key alone (a DELETE, an UPDATE of the key)
-- stops the table's capture, never recorded with NULLs for the rest.
CREATE TABLE k_wal (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('k_wal', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO k_wal VALUES (1, 'one'), (2, 'two');
SET session_replication_role = replica;
ALTER TABLE k_wal REPLICA IDENTITY DEFAULT;
RESET session_replication_role;
DELETE FROM k_wal WHERE id = 1;
SELECT dataeng.cdc_wal_sync();
SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'k_wal'::regclass
 ORDER BY change_id;
SELECT regexp_replace(capture_error, '0/[0-9A-F]+', '0/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'k_wal'::regclass;
-- enabled again: FULL again, captured again
SELECT dataeng.cdc_enable('k_wal', method => 'wal');
UPDATE k_wal SET v = 'zwei' WHERE id = 2;
SELECT dataeng.cdc_wal_sync();
SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE table_name = 'k_wal'::regclass
 ORDER BY change_id;
SELECT regexp_replace(capture_error, '0/[0-9A-F]+', '0/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'k_wal'::regclass;

-- switched to trigger capture (and the switch made), the identity is free
SELECT dataeng.cdc_enable('n_wal', method => 'trigger');
SELECT dataeng.cdc_wal_sync();
ALTER TABLE n_wal REPLICA IDENTITY DEFAULT;
SELECT relreplident FROM pg_class WHERE relname = 'n_wal';
SELECT table_name, active_method, capture_error FROM dataeng.cdc_status ORDER BY table_name::text;

-- disabling the last table: the worker drops its slot and exits
SELECT dataeng.cdc_disable(t) FROM unnest('{g_wal,p_wal,n_wal,k_wal}'::regclass[]) t;
SELECT dataeng.cdc_wal_sync();
\i sql_tests/lib/wait_for.sql
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM pg_replication_slots
                                      WHERE slot_name LIKE 'dataeng_wal_%' AND database = current_database())$$) AS slot_dropped;
DROP TABLE g_trg, g_wal, p_trg, p_wal, n_wal, k_wal;
DROP FUNCTION public.gen_twice(int);
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
