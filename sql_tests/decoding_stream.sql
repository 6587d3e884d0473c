-- The dataeng output plugin's streamed transactions (stream_changes): a
-- consumer must be able to discard exactly the changes of a subtransaction
-- that STREAM ABORT names, so each streamed change says which
-- (sub)transaction it belongs to.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dst_slot', 'dataeng');
CREATE TABLE dst_t (id int, b text);

SET logical_decoding_work_mem = '64kB';
BEGIN;
INSERT INTO dst_t SELECT g, 'top' FROM generate_series(1, 1500) g;
SAVEPOINT a;
INSERT INTO dst_t SELECT g, 'gone' FROM generate_series(1, 1500) g;
ROLLBACK TO a;
SAVEPOINT b;
INSERT INTO dst_t SELECT g, 'kept' FROM generate_series(1, 1500) g;
RELEASE b;
COMMIT;

CREATE TEMP TABLE dst_stream AS
  SELECT data::jsonb AS r, row_number() OVER () AS ord
    FROM pg_logical_slot_peek_changes('dst_slot', NULL, NULL, 'stream_changes', 'on',
                                      'include_ddl', 'off');
-- every streamed change names its transaction, and its subtransaction when
-- it has one; the aborted subtransaction is the one whose changes were 'gone'
SELECT r->>'b' AS b,
       CASE WHEN r->>'b' = 'gone' THEN 'some (sent before the abort)' ELSE count(*)::text END AS changes,
       bool_and(r ? 'xid') AS has_xid,
       count(DISTINCT r->'subxid') AS subxids,
       bool_and(r->'subxid' IS NULL) AS top_level
  FROM (SELECT r - 'new' || jsonb_build_object('b', r->'new'->'b') AS r
          FROM dst_stream WHERE r->>'op' = 'I') q
 GROUP BY 1 ORDER BY 1;
SELECT count(*) AS aborts,
       bool_and(a.r->'subxid' IN (SELECT DISTINCT c.r->'subxid' FROM dst_stream c
                                   WHERE c.r->'new'->>'b' = 'gone')) AS abort_names_gone,
       bool_and(a.r->'subxid' NOT IN (SELECT DISTINCT c.r->'subxid' FROM dst_stream c
                                       WHERE c.r->'new'->>'b' = 'kept')) AS not_kept
  FROM dst_stream a WHERE a.r->>'op' = 'STREAM ABORT';
-- what a consumer keeps after applying STREAM ABORT: the committed rows
SELECT c.r->'new'->>'b' AS b, count(*)
  FROM dst_stream c
 WHERE c.r->>'op' = 'I'
   AND NOT EXISTS (SELECT FROM dst_stream a
                    WHERE a.r->>'op' = 'STREAM ABORT' AND a.ord > c.ord
                      AND a.r->'xid' = c.r->'xid'
                      AND (a.r->'subxid' IS NULL OR a.r->'subxid' = c.r->'subxid'))
 GROUP BY 1 ORDER BY 1;
-- STREAM COMMIT follows include_timestamp
SELECT r ? 'commit_time' AS has_commit_time
  FROM pg_logical_slot_peek_changes('dst_slot', NULL, NULL, 'stream_changes', 'on',
                                    'include_ddl', 'off', 'include_timestamp', 'off') d,
       LATERAL (SELECT d.data::jsonb AS r) q
 WHERE r->>'op' = 'STREAM COMMIT';
RESET logical_decoding_work_mem;

-- without the xid a consumer cannot tell interleaved streamed transactions
-- apart: include_xids=false is refused with stream_changes
CREATE FUNCTION dst_error(VARIADIC opts text[])
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_logical_slot_peek_changes('dst_slot', NULL, NULL, VARIADIC opts);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT dst_error('stream_changes', 'on', 'include_xids', 'off');
SELECT dst_error('stream_changes', 'off', 'include_xids', 'off');

SELECT pg_drop_replication_slot('dst_slot');
DROP TABLE dst_t;
DROP FUNCTION dst_error;
DROP EXTENSION dataeng CASCADE;
