-- The dataeng output plugin never stops at a value too large for one
-- output record (PostgreSQL cannot build one past 1 GB, and an error would
-- stop the slot at that change for good): max_record_size (default and
-- most 1 GB less 1 MB) caps a record; a value that would pass it is left
-- out and named in "omitted" / "old_omitted" (native), or written as
-- "__dataeng_omitted_value" (Debezium).  Never truncated, never dropped
-- silently.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('drs_slot', 'dataeng');
CREATE TABLE drs (id int PRIMARY KEY, small text, big text, b bytea, j jsonb, a text[]);
ALTER TABLE drs REPLICA IDENTITY FULL;
-- control characters take 6 bytes each once escaped: 300 of them need 1802
INSERT INTO drs VALUES (1, 'x', repeat(chr(1), 300), decode(repeat('ab', 600), 'hex'),
                        '{"k": "v"}', ARRAY[repeat('y', 2000)]);
UPDATE drs SET small = 'z';
DELETE FROM drs;

SELECT r->>'op' AS op, r->'new' AS new, r->'omitted' AS omitted,
       r->'old' AS old, r->'old_omitted' AS old_omitted, length(d) <= 1024 AS within_limit
  FROM (SELECT data AS d, data::jsonb AS r
          FROM pg_logical_slot_peek_changes('drs_slot', NULL, NULL, 'include_ddl', 'off',
                                            'max_record_size', '1024')) q;
SELECT r->>'op' AS op, r->'after'->'big' AS after_big, r->'after'->'a' AS after_a,
       length(r->'after'->>'b') AS after_b_len, r->'before'->'big' AS before_big
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_peek_changes('drs_slot', NULL, NULL, 'include_ddl', 'off',
                                            'max_record_size', '1024', 'format', 'debezium')) q;
-- by default everything fits
SELECT r->>'op' AS op, r ? 'omitted' AS has_omitted, length(r->'new'->>'big') AS big
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_peek_changes('drs_slot', NULL, NULL, 'include_ddl', 'off')) q;

CREATE FUNCTION drs_error(VARIADIC opts text[])
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_logical_slot_peek_changes('drs_slot', NULL, NULL, VARIADIC opts);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT drs_error('max_record_size', '1023');
SELECT drs_error('max_record_size', '1073741824');
SELECT drs_error('max_record_size', '1kB');

SELECT pg_drop_replication_slot('drs_slot');
DROP TABLE drs;
DROP FUNCTION drs_error;
DROP EXTENSION dataeng CASCADE;
