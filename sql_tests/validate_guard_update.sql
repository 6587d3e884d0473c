-- quarantine_release() of a row the guard diverted from an UPDATE.  The
-- table keeps the row the UPDATE was to replace; the release inserted the
-- new row beside it whenever no unique index refused it: a table without
-- a primary key, or an UPDATE of the key (a partitioned table's row that
-- moves to another partition too), then held both, one row become two.
-- Now the release is refused (23505) while the table has that row as it
-- was; once it is gone, the row goes back.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

-- a table without a primary key
CREATE TABLE gu_nokey (name text, v int, at timestamptz, doc json);
INSERT INTO gu_nokey VALUES ('a', 1, '2026-01-01 10:00+00', '{"x": [1, 2]}'), ('b', 2, NULL, NULL);
SELECT dataeng.rule_add('gu_nokey', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('gu_nokey', 'quarantine');
SET TimeZone = 'Asia/Tokyo';
UPDATE gu_nokey SET v = -1 WHERE name = 'a';
RESET TimeZone;
-- refused in another time zone too (the values compared in their types)
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_nokey'::regclass;
SELECT name, v FROM gu_nokey ORDER BY name, v;
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'gu_nokey'::regclass;
-- a row diverted from an INSERT goes back as before
INSERT INTO gu_nokey VALUES ('c', -3, NULL, NULL);
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_nokey'::regclass AND row_data->>'name' = 'c';
-- once the row the UPDATE was to replace is gone, the new row goes back
DELETE FROM gu_nokey WHERE name = 'a';
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_nokey'::regclass;
SELECT name, v, doc FROM gu_nokey ORDER BY name, v;

-- a json column as written (not as jsonb writes it) and a composite
-- holding one: the row to replace is found all the same
CREATE TYPE gu_pair AS (k int, doc json);
CREATE TABLE gu_json (name text, v int, doc json, docs json[], pair gu_pair);
INSERT INTO gu_json VALUES ('a', 1, '{"x":[1,2],  "y" : null}', ARRAY['{"z":1}', '{"w" :2}']::json[], ROW(1, '{"k":1}'));
SELECT dataeng.rule_add('gu_json', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('gu_json', 'quarantine');
UPDATE gu_json SET v = -1 WHERE name = 'a';
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_json'::regclass;
SELECT name, v, doc FROM gu_json ORDER BY name, v;

-- a table without a primary key but with an index: the row to replace
-- is looked up through it (the table was read whole), NULLs and
-- duplicates compared as before
CREATE TABLE gu_idx (id int, name text, v int);
INSERT INTO gu_idx SELECT g, 'n' || g, 1 FROM generate_series(1, 2000) g;
INSERT INTO gu_idx VALUES (5, NULL, 1), (5, NULL, 1);
CREATE INDEX ON gu_idx (id);
CREATE INDEX ON gu_idx (name);
ANALYZE gu_idx;
SELECT dataeng.rule_add('gu_idx', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('gu_idx', 'quarantine');
UPDATE gu_idx SET v = -1 WHERE id IN (5, 7) AND name IS DISTINCT FROM 'n5';
SELECT row_data->>'id' AS id, row_data->>'name' AS name, replaces IS NOT NULL AS replaces
  FROM dataeng.quarantine WHERE table_name = 'gu_idx'::regclass ORDER BY quarantine_id;
-- refused: the table has each row still
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_idx'::regclass AND row_data->>'id' = '7';
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_idx'::regclass AND row_data->>'id' = '5' LIMIT 1;
-- two copies of the row with a NULL: one gone, the other still refuses
DELETE FROM gu_idx WHERE ctid = (SELECT min(ctid) FROM gu_idx WHERE id = 5 AND name IS NULL);
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_idx'::regclass AND row_data->>'id' = '5' LIMIT 1;
-- both gone: each goes back
DELETE FROM gu_idx WHERE id IN (5, 7) AND name IS DISTINCT FROM 'n5';
-- (looked up by index: none of the releases reads the table whole)
BEGIN;
SELECT seq_scan AS seq_before FROM pg_stat_xact_user_tables WHERE relid = 'gu_idx'::regclass \gset
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3}')
  FROM dataeng.quarantine WHERE table_name = 'gu_idx'::regclass ORDER BY quarantine_id;
SELECT seq_scan - :seq_before AS seq_scans FROM pg_stat_xact_user_tables WHERE relid = 'gu_idx'::regclass;
COMMIT;
SELECT id, name, v FROM gu_idx WHERE id IN (5, 7) ORDER BY id, name, v;

-- an UPDATE of the primary key
CREATE TABLE gu_key (id int PRIMARY KEY, v int);
INSERT INTO gu_key VALUES (1, 1), (2, 2);
SELECT dataeng.rule_add('gu_key', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('gu_key', 'quarantine');
UPDATE gu_key SET id = 10, v = -1 WHERE id = 1;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 1}')
  FROM dataeng.quarantine WHERE table_name = 'gu_key'::regclass;
-- the key kept: refused as before, by the same check
UPDATE gu_key SET v = -2 WHERE id = 2;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 2}')
  FROM dataeng.quarantine WHERE table_name = 'gu_key'::regclass AND row_data->>'id' = '2';
SELECT * FROM gu_key ORDER BY id;

-- a partitioned table whose UPDATE moves the row to another partition
CREATE TABLE gu_part (id int, at date, v int, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE gu_part_1 PARTITION OF gu_part FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE gu_part_2 PARTITION OF gu_part FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
INSERT INTO gu_part VALUES (1, '2026-02-01', 1);
SELECT dataeng.rule_add('gu_part', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('gu_part', 'quarantine');
UPDATE gu_part SET at = '2026-09-01', v = -1 WHERE id = 1;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 1}')
  FROM dataeng.quarantine WHERE table_name = 'gu_part'::regclass;
SELECT tableoid::regclass, * FROM gu_part ORDER BY id, at;

DROP TABLE gu_nokey, gu_json, gu_idx, gu_key, gu_part;
DROP TYPE gu_pair;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
