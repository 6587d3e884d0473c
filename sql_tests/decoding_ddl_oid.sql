-- Schema-change records of the dataeng output plugin carry the table's OID,
-- which stays the same across ALTER TABLE ... RENAME and SET SCHEMA (the
-- records name the table only by its new name) and is in the DROP record:
-- what lets a consumer tie a table's records together.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('doid_slot', 'dataeng');
CREATE SCHEMA doid_s;
CREATE TABLE doid_a (id int PRIMARY KEY);
CREATE TEMP TABLE doid_oid AS SELECT 'doid_a'::regclass::oid AS oid;
ALTER TABLE doid_a RENAME TO doid_b;
ALTER TABLE doid_b SET SCHEMA doid_s;
CREATE TABLE doid_other (id int);
DROP TABLE doid_s.doid_b, doid_other;

SELECT r->>'schema' AS schema, r->>'table' AS tbl, r->'ddl'->>'command_tag' AS tag,
       jsonb_typeof(r->'ddl'->'oid') AS oid_type,
       (r->'ddl'->>'oid')::oid = (SELECT oid FROM doid_oid) AS same_table
  FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
          FROM pg_logical_slot_get_changes('doid_slot', NULL, NULL)) q
 WHERE r->>'op' = 'DDL' AND r->>'table' LIKE 'doid%'
 ORDER BY ord;

-- An ALTER TABLE that reaches partitions and inheritance children (their
-- columns change too) gives a record for each of them: their change
-- records name them
CREATE TABLE doid_part (id int, d int) PARTITION BY RANGE (d);
CREATE TABLE doid_part1 PARTITION OF doid_part FOR VALUES FROM (0) TO (10)
  PARTITION BY RANGE (id);
CREATE TABLE doid_part11 PARTITION OF doid_part1 FOR VALUES FROM (0) TO (10);
CREATE TABLE doid_inh (id int);
CREATE TABLE doid_inh_child () INHERITS (doid_inh);
SELECT count(*) > 0 AS consumed FROM pg_logical_slot_get_changes('doid_slot', NULL, NULL);
ALTER TABLE doid_part ADD COLUMN x text;
ALTER TABLE doid_inh ADD COLUMN y int;
ALTER TABLE doid_inh_child ADD COLUMN z int;
SELECT r->>'table' AS tbl, r->'ddl'->>'command_tag' AS tag,
       (SELECT string_agg(c->>'name', ',') FROM jsonb_array_elements(r->'ddl'->'columns') c) AS columns
  FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
          FROM pg_logical_slot_get_changes('doid_slot', NULL, NULL)) q
 WHERE r->>'op' = 'DDL'
 ORDER BY ord;

SELECT pg_drop_replication_slot('doid_slot');
DROP TABLE doid_part, doid_inh CASCADE;
DROP SCHEMA doid_s;
DROP EXTENSION dataeng CASCADE;
