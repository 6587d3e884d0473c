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

-- Types as Debezium's connector writes them by default (time.precision.mode
-- adaptive, interval.handling.mode numeric): time and timestamp in
-- milliseconds up to precision 3, else microseconds; timetz in UTC;
-- interval approximate microseconds; bit(1) boolean; one-dimensional
-- arrays JSON arrays.  What has no such form keeps its text.
SELECT count(*) > 0 AS consumed FROM pg_logical_slot_get_changes('ddbz_slot', NULL, NULL);
CREATE TABLE ddbz_types (id int PRIMARY KEY, t time, t3 time(3), tz timetz, iv interval,
  b1 bit(1), b3 bit(3), ia int[], ta text[], da date[], ba bytea[], m2 int[], ts3 timestamp(3),
  ts timestamp, e text[]);
INSERT INTO ddbz_types VALUES
  (1, '12:34:56.789012', '12:34:56.789', '12:34:56.5+02', '1 year 2 mons 3 days 04:05:06.7',
   B'1', B'101', '{1,NULL,3}', '{"a\"b",x}', '{2026-01-02,infinity}', '{"\\x00ff"}',
   '{{1,2},{3,4}}', '2026-01-02 03:04:05.678', '1969-12-31 23:59:59.9995', '{}'),
  (2, '24:00', '00:00', '00:00-14', '-178000000 years', B'0', NULL, NULL, NULL, NULL, NULL,
   NULL, '1969-12-31 23:59:59.9995', NULL, NULL);
SELECT regexp_replace(data, ',"source":.*', '') AS envelope
  FROM pg_logical_slot_peek_changes('ddbz_slot', NULL, NULL, 'format', 'debezium',
                                    'include_ddl', 'off');
-- the native format keeps the types' text
SELECT data::jsonb->'new' AS new
  FROM pg_logical_slot_peek_changes('ddbz_slot', NULL, NULL, 'include_ddl', 'off')
 ORDER BY data::jsonb->'new'->'id' LIMIT 1;

SELECT pg_drop_replication_slot('ddbz_slot');
DROP TABLE ddbz, ddbz_types;
DROP EXTENSION dataeng CASCADE;
