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

SELECT pg_drop_replication_slot('doid_slot');
DROP SCHEMA doid_s;
DROP EXTENSION dataeng CASCADE;
