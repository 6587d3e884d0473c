-- Partitioned tables and the dataeng output plugin: changes come from the
-- partitions; with publish_via_partition_root the records name the
-- topmost partitioned table, in its columns, and include_tables /
-- exclude_tables match that name.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dpart_slot', 'dataeng');
CREATE TABLE dpart (id int, junk int, d date, v text, PRIMARY KEY (id, d)) PARTITION BY RANGE (d);
ALTER TABLE dpart DROP COLUMN junk;
-- a partition whose columns are in another order
CREATE TABLE dpart_a (v text, d date NOT NULL, id int NOT NULL);
ALTER TABLE dpart ATTACH PARTITION dpart_a FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
-- a sub-partitioned partition
CREATE TABLE dpart_b PARTITION OF dpart FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')
  PARTITION BY LIST (id);
CREATE TABLE dpart_b1 PARTITION OF dpart_b FOR VALUES IN (1, 2, 3);
INSERT INTO dpart VALUES (1, '2026-05-05', 'a'), (2, '2027-05-05', 'b');
UPDATE dpart SET v = v || '!';
DELETE FROM dpart WHERE id = 2;
ALTER TABLE dpart_a REPLICA IDENTITY FULL;
UPDATE dpart SET v = 'full' WHERE id = 1;
ALTER TABLE dpart RENAME TO dpart_renamed;
INSERT INTO dpart_renamed VALUES (3, '2027-06-06', 'after rename');
TRUNCATE dpart_renamed;

CREATE FUNCTION dpart_get(VARIADIC opts text[])
RETURNS SETOF text LANGUAGE sql AS $$
  SELECT regexp_replace(data, '^\{"xid":\d+,"lsn":"[^"]*","commit_lsn":"[^"]*","commit_time":"[^"]*",', '{')
    FROM pg_logical_slot_peek_changes('dpart_slot', NULL, NULL, VARIADIC ARRAY['include_ddl', 'off'] || opts)
$$;
-- by default each record names its partition (and the TRUNCATE lists the
-- partitioned table and every partition)
SELECT dpart_get('include_tables', 'dpart*');
-- so a pattern naming the partitioned table lets through only its TRUNCATE
SELECT dpart_get('include_tables', 'dpart_renamed');
-- via the root: every change, named by the root, in the root's columns,
-- with the key of the partition's replica identity; one TRUNCATE record
SELECT dpart_get('include_tables', 'dpart*', 'publish_via_partition_root', 'on');
-- the partitions' own names no longer match
SELECT count(*) AS records
  FROM dpart_get('include_tables', 'dpart_a, dpart_b1', 'publish_via_partition_root', 'on');
SELECT d->'after' AS after, d->'source'->>'table' AS "table"
  FROM dpart_get('publish_via_partition_root', 'on', 'format', 'debezium') r,
       LATERAL (SELECT r::jsonb AS d) q
 WHERE d->>'op' = 'c' AND d->'source'->>'schema' = 'public';
SELECT dpart_get('publish_via_partition_root', 'maybe');

SELECT pg_drop_replication_slot('dpart_slot');
DROP TABLE dpart_renamed;
DROP FUNCTION dpart_get;
DROP EXTENSION dataeng CASCADE;
