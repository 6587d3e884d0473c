-- BEGIN / COMMIT records of the dataeng output plugin: COMMIT carries
-- end_lsn, the end of the commit record: the position a consumer confirms
-- (confirming commit_lsn, where the commit record starts, gets the
-- transaction sent again).
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dcom_slot', 'dataeng');
CREATE TABLE dcom (id int PRIMARY KEY);
SELECT count(*) > 0 AS consumed FROM pg_logical_slot_get_changes('dcom_slot', NULL, NULL);
INSERT INTO dcom VALUES (1);
INSERT INTO dcom VALUES (2);

CREATE TEMP TABLE dcom_out AS
  SELECT lsn, data::jsonb AS r, row_number() OVER () AS ord
    FROM pg_logical_slot_peek_changes('dcom_slot', NULL, NULL, 'include_begin_commit', 'on');
SELECT r->>'op' AS op,
       r ? 'end_lsn' AS has_end_lsn,
       (r->>'end_lsn')::pg_lsn > (r->>'commit_lsn')::pg_lsn AS after_commit_start,
       (r->>'end_lsn')::pg_lsn = lsn AS is_the_record_position
  FROM dcom_out ORDER BY ord;
-- confirming the first COMMIT's end_lsn: only the second transaction is sent again
SELECT 'confirmed' FROM pg_replication_slot_advance('dcom_slot',
  (SELECT (r->>'end_lsn')::pg_lsn FROM dcom_out WHERE r->>'op' = 'COMMIT' ORDER BY ord LIMIT 1));
SELECT r->>'op' AS op, r->'new' AS new
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_get_changes('dcom_slot', NULL, NULL, 'include_begin_commit', 'on')) q;

SELECT pg_drop_replication_slot('dcom_slot');
DROP TABLE dcom;
DROP EXTENSION dataeng CASCADE;
