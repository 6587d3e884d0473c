-- format=debezium of the dataeng output plugin: source.sequence, the
-- ordering token of Debezium's PostgreSQL connector, a string holding
-- [last commit LSN, event LSN] as decimal strings.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('ddbz_slot', 'dataeng');
CREATE TABLE ddbz (id int PRIMARY KEY);
INSERT INTO ddbz VALUES (1);
INSERT INTO ddbz VALUES (2), (3);

CREATE TEMP TABLE ddbz_native AS
  SELECT data::jsonb AS r, row_number() OVER () AS ord
    FROM pg_logical_slot_peek_changes('ddbz_slot', NULL, NULL);
CREATE TEMP TABLE ddbz_dbz AS
  SELECT data::jsonb AS r, row_number() OVER () AS ord
    FROM pg_logical_slot_peek_changes('ddbz_slot', NULL, NULL, 'format', 'debezium');
-- per record: the sequence's second element is the record's own LSN, its
-- first the commit LSN of the transaction before (null for the first
-- transaction the session decodes)
SELECT n.r->'new'->'id' AS id,
       jsonb_typeof(d.r->'source'->'sequence') AS seq_type,
       (d.r->'source'->>'sequence')::jsonb->>1 = ((n.r->>'lsn')::pg_lsn - '0/0')::text AS own_lsn,
       (d.r->'source'->>'sequence')::jsonb->>0 =
         ((SELECT p.r->>'commit_lsn' FROM ddbz_native p
            WHERE p.ord < n.ord AND p.r->>'commit_lsn' <> n.r->>'commit_lsn'
            ORDER BY p.ord DESC LIMIT 1)::pg_lsn - '0/0')::text AS last_commit_before,
       d.r->'source'->'lsn' = to_jsonb(((n.r->>'lsn')::pg_lsn - '0/0')) AS lsn_matches
  FROM ddbz_native n JOIN ddbz_dbz d USING (ord)
 WHERE n.r->>'op' = 'I'
 ORDER BY n.ord;
-- the first transaction of a session: [null, lsn]
SELECT (d.r->'source'->>'sequence')::jsonb->0 AS first_last_commit
  FROM ddbz_dbz d ORDER BY ord LIMIT 1;

SELECT pg_drop_replication_slot('ddbz_slot');
DROP TABLE ddbz;
DROP EXTENSION dataeng CASCADE;
