-- The dataeng logical decoding output plugin (src/cdc/decoder*.c): one JSON
-- object per change with typed values, unchanged TOAST reported as such,
-- REPLICA IDENTITY FULL, the table filters and options, Debezium's
-- envelope, streaming of big transactions, and errors for bad options.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
-- the SQL decoding functions read only WAL that is flushed
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dec_slot', 'dataeng');

-- The records without what changes from run to run
CREATE FUNCTION dec_get(VARIADIC opts text[] DEFAULT '{}')
RETURNS SETOF jsonb LANGUAGE sql AS $$
  SELECT data::jsonb - 'xid' - 'lsn' - 'commit_lsn' - 'commit_time'
    FROM pg_logical_slot_get_changes('dec_slot', NULL, NULL, VARIADIC opts)
   WHERE data::jsonb->>'op' <> 'DDL'  -- DDL records: decoding_ddl.sql
$$;
-- The error a call raises, with its SQLSTATE
CREATE FUNCTION dec_error(VARIADIC opts text[])
RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, VARIADIC opts);
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE TABLE dec_types (
  id int PRIMARY KEY, i2 smallint, i8 bigint, o oid, b boolean, n numeric, f4 real,
  f8 float8, t text, vc varchar(10), bp char(3), nm name, d date, ts timestamp,
  tz timestamptz, by bytea, j jsonb, arr int[], u uuid, iv interval);
CREATE TABLE dec_xids (xid xid8);

-- Types: numbers, booleans, strings, nulls; NaN and infinities are strings
BEGIN;
INSERT INTO dec_xids VALUES (pg_current_xact_id());
INSERT INTO dec_types VALUES
  (1, -32768, 9007199254740993, 4294967295, true, 12345678901234567890.123456789, 1.5,
   -2.25e-10, E'he said "hi"\n\t\\ \x01 é €', 'ab', 'x', 'nm', '2026-01-02',
   '2026-01-02 03:04:05.678901', '2026-01-02 03:04:05+02', '\x00ff', '{"k": [1, null]}',
   '{1,NULL,3}', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1 day 02:00:00'),
  (2, NULL, NULL, NULL, false, 'NaN', 'Infinity', '-Infinity', '', NULL, NULL, NULL,
   'infinity', '-infinity', NULL, NULL, 'null', '{}', NULL, NULL),
  (3, 0, 0, 0, NULL, 'Infinity', '-0', 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
   NULL, NULL, NULL, NULL, NULL);
COMMIT;

-- Every record carries the xid, its own lsn, the commit's lsn and time
SELECT count(*) AS records,
       bool_and((r->>'xid')::xid8 = (SELECT xid FROM dec_xids)) AS xid_is_the_writer,
       bool_and(jsonb_typeof(r->'xid') = 'number') AS xid_is_a_number,
       bool_and((r->>'lsn')::pg_lsn < (r->>'commit_lsn')::pg_lsn) AS lsn_before_commit,
       count(DISTINCT r->>'commit_lsn') AS commit_lsns,
       bool_and((r->>'commit_time')::timestamptz BETWEEN now() - interval '1 hour' AND clock_timestamp()) AS commit_time,
       bool_and(r->>'commit_time' LIKE '%Z') AS commit_time_in_utc
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL)) q
 WHERE r->>'table' = 'dec_types' AND r->>'op' <> 'DDL';

CREATE TEMP TABLE dec_rows AS SELECT r FROM dec_get() r WHERE r->>'table' = 'dec_types';
SELECT r->>'schema' AS schema, r->>'table' AS tbl, r->>'op' AS op, r->'pk' AS pk,
       r->'old' AS old, r->'unchanged' AS unchanged
  FROM dec_rows ORDER BY r->'pk'->>'id';
SELECT (r->'pk'->>'id')::int AS id, e.key, jsonb_typeof(e.value) AS type, e.value
  FROM dec_rows, jsonb_each(r->'new') e
 WHERE r->>'op' = 'I'
 ORDER BY 1, (SELECT attnum FROM pg_attribute WHERE attrelid = 'dec_types'::regclass AND attname = e.key);
-- the text came through unchanged, escapes and all
SELECT r->'new'->>'t' = E'he said "hi"\n\t\\ \x01 é €' AS text_round_trips
  FROM dec_rows WHERE r->'pk'->>'id' = '1';
-- and the raw output escapes control characters as JSON requires
INSERT INTO dec_types (id, t) VALUES (4, E'a\nb\x1fc"d\\e');
SELECT position(E'"a\\nb\\u001fc\\"d\\\\e"' IN data) > 0 AS escaped_as_json
  FROM pg_logical_slot_get_changes('dec_slot', NULL, NULL);

-- Updates and deletes: old images hold the key (REPLICA IDENTITY DEFAULT)
UPDATE dec_types SET i2 = 7 WHERE id = 3;
UPDATE dec_types SET id = 30 WHERE id = 3;
DELETE FROM dec_types WHERE id = 30;
SELECT r->>'op' AS op, r->'pk' AS pk, r->'old' AS old, r->'new'->'id' AS new_id,
       r->'new'->'i2' AS new_i2
  FROM dec_get() r;

-- TOAST: a value an UPDATE did not change is not in the WAL; it is named in
-- "unchanged", never made up or dropped silently
CREATE TABLE dec_toast (id int PRIMARY KEY, note text, big text);
ALTER TABLE dec_toast ALTER COLUMN big SET STORAGE EXTERNAL;
INSERT INTO dec_toast VALUES (1, 'a', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g));
UPDATE dec_toast SET note = 'b' WHERE id = 1;
UPDATE dec_toast SET big = 'small now' WHERE id = 1;
SELECT r->>'op' AS op, r->'new'->>'note' AS note, length(r->'new'->>'big') AS big_length,
       r->'new' ? 'big' AS has_big, r->'unchanged' AS unchanged
  FROM dec_get() r;
-- the same with REPLICA IDENTITY FULL: the old image carries the value
ALTER TABLE dec_toast REPLICA IDENTITY FULL;
UPDATE dec_toast SET big = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g) WHERE id = 1;
UPDATE dec_toast SET note = 'c' WHERE id = 1;
DELETE FROM dec_toast;
SELECT r->>'op' AS op, r->'pk' AS pk, r->'old'->>'note' AS old_note,
       length(r->'old'->>'big') AS old_big_length, length(r->'new'->>'big') AS new_big_length,
       r->'new'->>'big' = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g) AS new_big_right,
       r->'unchanged' AS unchanged
  FROM dec_get() r;
ALTER TABLE dec_toast REPLICA IDENTITY DEFAULT;

-- TRUNCATE, and a table without a key
CREATE TABLE dec_nokey (a int, b text);
INSERT INTO dec_nokey VALUES (1, 'x');
DELETE FROM dec_nokey;
TRUNCATE dec_nokey, dec_toast;
SELECT r->>'table' AS tbl, r->>'op' AS op, r->'pk' AS pk, r->'old' AS old, r->'new' AS new
  FROM dec_get() r ORDER BY 1, 2;

-- Options: include_tables / exclude_tables (patterns), include_xids,
-- include_timestamp, include_begin_commit
CREATE SCHEMA dec_s;
CREATE TABLE dec_s.orders (id int PRIMARY KEY);
CREATE TABLE dec_s.order_lines (id int PRIMARY KEY);
CREATE TABLE dec_s."we,ird*" (id int PRIMARY KEY);
INSERT INTO dec_s.orders VALUES (1);
INSERT INTO dec_s.order_lines VALUES (1);
INSERT INTO dec_s."we,ird*" VALUES (1);
INSERT INTO dec_nokey VALUES (2, 'y');
SELECT 'include dec_s.*' AS filter, string_agg(DISTINCT data::jsonb->>'table', ', ') AS tables
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'include_tables', 'dec_s.*')
UNION ALL
SELECT 'include order*', string_agg(DISTINCT data::jsonb->>'table', ', ')
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'include_tables', 'order*')
UNION ALL
SELECT 'include dec_s.orders, dec_nokey', string_agg(DISTINCT data::jsonb->>'table', ', ')
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'include_tables', 'dec_s.orders, dec_nokey')
UNION ALL
SELECT 'exclude dec_s.order*', string_agg(DISTINCT data::jsonb->>'table', ', ')
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'exclude_tables', 'dec_s.order*')
UNION ALL
SELECT 'include dec_s.* exclude *lines', string_agg(DISTINCT data::jsonb->>'table', ', ')
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'include_tables', 'dec_s.*',
                                    'exclude_tables', '*lines')
UNION ALL
SELECT 'include we\,ird\*', string_agg(DISTINCT data::jsonb->>'table', ', ')
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'include_tables', E'we\\,ird\\*')
UNION ALL
SELECT 'include nothing*', coalesce(string_agg(DISTINCT data::jsonb->>'table', ', '), '(none)')
  FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'include_tables', 'nothing*');
SELECT string_agg(k, ', ' ORDER BY k) AS keys_without_xids_and_timestamp
  FROM (SELECT DISTINCT jsonb_object_keys(data::jsonb) AS k
          FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL,
                 'include_xids', 'false', 'include_timestamp', 'off')) q;
-- BEGIN and COMMIT around each transaction that has a record, with its xid
SELECT op, tbl, prev_op, next_op, same_xid
  FROM (SELECT data::jsonb->>'op' AS op, data::jsonb->>'table' AS tbl,
               lag(data::jsonb->>'op') OVER w AS prev_op, lead(data::jsonb->>'op') OVER w AS next_op,
               data::jsonb->'xid' = lag(data::jsonb->'xid') OVER w
                 AND data::jsonb->'xid' = lead(data::jsonb->'xid') OVER w AS same_xid
          FROM pg_logical_slot_get_changes('dec_slot', NULL, NULL, 'include_begin_commit', 'true',
                                           'include_tables', 'dec_s.orders', 'include_ddl', 'off')
        WINDOW w AS ()) q
 WHERE op NOT IN ('BEGIN', 'COMMIT');

-- format=debezium: Debezium's PostgreSQL connector envelope
UPDATE dec_s.orders SET id = 2;
DELETE FROM dec_s.orders;
INSERT INTO dec_types (id, d, ts, tz, by, n) VALUES (5, '1970-01-02', '1970-01-01 00:00:01.5', '2026-01-01 00:00:00+00', '\x0102ff', 2.5);
TRUNCATE dec_s.orders;
SELECT r - 'ts_ms' #- '{source,ts_ms}' #- '{source,txId}' #- '{source,lsn}' #- '{source,sequence}' #- '{source,db}' AS envelope,
       r->'source'->>'db' = current_database() AS db
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'format', 'debezium',
                                            'include_tables', 'dec_s.orders, dec_types')) q;
SELECT bool_and(jsonb_typeof(r->'ts_ms') = 'number' AND jsonb_typeof(r->'source'->'ts_ms') = 'number'
                AND (r->>'ts_ms')::bigint >= (r->'source'->>'ts_ms')::bigint) AS ts_ms_numbers,
       bool_and(to_timestamp((r->'source'->>'ts_ms')::bigint / 1000.0) BETWEEN now() - interval '1 hour' AND clock_timestamp()) AS source_ts_is_commit_time,
       bool_and(jsonb_typeof(r->'source'->'txId') = 'number' AND jsonb_typeof(r->'source'->'lsn') = 'number') AS txid_lsn_numbers,
       bool_and((r->'source'->>'lsn')::numeric <= pg_current_wal_lsn() - '0/0') AS lsn_is_a_wal_position
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_get_changes('dec_slot', NULL, NULL, 'format', 'debezium', 'name', 'shop')) q;
-- an unchanged TOASTed value is Debezium's placeholder
INSERT INTO dec_toast VALUES (2, 'a', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 400) g));
UPDATE dec_toast SET note = 'b';
SELECT r->>'op' AS op, r->'after'->>'note' AS note, left(r->'after'->>'big', 40) AS big
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_get_changes('dec_slot', NULL, NULL, 'format', 'debezium')) q;

-- Big transactions: one record per change; with stream_changes the
-- transaction is sent while in progress, and STREAM ABORT / STREAM COMMIT
-- say what became of it
SET logical_decoding_work_mem = '64kB';
INSERT INTO dec_nokey SELECT g, repeat('x', 100) FROM generate_series(1, 3000) g;
BEGIN;
SAVEPOINT a;
INSERT INTO dec_nokey SELECT g, repeat('y', 100) FROM generate_series(1, 3000) g;
ROLLBACK TO a;
INSERT INTO dec_nokey SELECT g, 'z' FROM generate_series(1, 10) g;
COMMIT;
CREATE TEMP TABLE dec_stream AS
  SELECT data::jsonb AS r, row_number() OVER () AS ord
    FROM pg_logical_slot_peek_changes('dec_slot', NULL, NULL, 'stream_changes', 'on',
                                      'include_begin_commit', 'on', 'include_ddl', 'off');
SELECT r->>'op' AS op,
       CASE WHEN r->>'op' LIKE 'STREAM %' AND r->>'op' NOT LIKE '% ST%'
            THEN count(*)::text ELSE 'several' END AS records,
       count(*) FILTER (WHERE left(r->'new'->>'b', 1) = 'x') AS x_rows,
       count(*) FILTER (WHERE left(r->'new'->>'b', 1) = 'z') AS z_rows,
       bool_and(r->'commit_lsn' = 'null') FILTER (WHERE r->>'op' = 'I') AS commit_lsn_null
  FROM dec_stream GROUP BY 1 ORDER BY 1;
-- the rolled-back subtransaction's changes were sent, then its STREAM ABORT
SELECT count(*) > 0 AS some_sent,
       bool_and(ord < (SELECT ord FROM dec_stream WHERE r->>'op' = 'STREAM ABORT')) AS all_before_abort,
       (SELECT r->'subxid' <> r->'xid' FROM dec_stream WHERE r->>'op' = 'STREAM ABORT') AS abort_names_subxact
  FROM dec_stream WHERE left(r->'new'->>'b', 1) = 'y';
-- without stream_changes: only committed changes, at commit
SELECT left(data::jsonb->'new'->>'b', 1) AS b, count(*)
  FROM pg_logical_slot_get_changes('dec_slot', NULL, NULL, 'include_ddl', 'off') GROUP BY 1 ORDER BY 1;
RESET logical_decoding_work_mem;

-- Bad options: a clear error with SQLSTATE 22023
SELECT dec_error('frmat', 'json');
SELECT dec_error('format', 'avro');
SELECT dec_error('include_xids', 'maybe');
SELECT dec_error('include_tables', '');
SELECT dec_error('include_tables', 'a, ,b');
SELECT dec_error('exclude_tables', E'abc\\');
SELECT dec_error('format', 'debezium', 'stream_changes', 'true');
SELECT dec_error('format', 'debezium', 'stream_changes', 'false');

SELECT pg_drop_replication_slot('dec_slot');
DROP SCHEMA dec_s CASCADE;
DROP TABLE dec_types, dec_xids, dec_toast, dec_nokey;
DROP FUNCTION dec_get, dec_error;
DROP EXTENSION dataeng CASCADE;
