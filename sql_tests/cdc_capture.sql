-- CDC capture: what the trigger records, for every kind of value and change.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;

-------------------------------------------------------------------------------
-- The shape of each operation
-------------------------------------------------------------------------------
CREATE TABLE t_ops (id int PRIMARY KEY, name text, qty int);
SELECT dataeng.cdc_enable('t_ops');
INSERT INTO t_ops VALUES (1, 'a', 10), (2, 'b', NULL);
UPDATE t_ops SET qty = 11 WHERE id = 1;
UPDATE t_ops SET id = 3 WHERE id = 2;          -- key change: pk is the old key
DELETE FROM t_ops WHERE id = 1;
TRUNCATE t_ops;
SELECT change_id, table_name, op, pk, old_row, new_row
  FROM dataeng.changes ORDER BY change_id;
-- one transaction, one xid; change_ids increase; lsn and time are filled
SELECT count(DISTINCT xid) AS xids, bool_and(lsn > '0/0') AS lsn_set,
       bool_and(captured_at <= now() + interval '1 minute') AS time_set
  FROM dataeng.changes WHERE change_id <= 2;

-- enabling twice is harmless; disabling stops capture, keeps the log
SELECT dataeng.cdc_enable('t_ops');
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 't_ops'::regclass;
SELECT dataeng.cdc_disable('t_ops');
SELECT dataeng.cdc_disable('t_ops');
INSERT INTO t_ops VALUES (9, 'not captured', 0);
SELECT count(*) AS changes FROM dataeng.changes WHERE table_name = 't_ops'::regclass;
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 't_ops'::regclass;
SELECT * FROM dataeng.cdc_tables WHERE table_name = 't_ops'::regclass;

-------------------------------------------------------------------------------
-- Every built-in type round-trips: jsonb_populate_record(new_row) = the row
-------------------------------------------------------------------------------
CREATE TYPE t_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE t_pair AS (a int, b text);
CREATE DOMAIN t_posint AS int CHECK (VALUE > 0);
CREATE DOMAIN t_email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE t_types (
  id int PRIMARY KEY,
  c_int2 int2, c_int4 int4, c_int8 int8, c_num numeric, c_num_s numeric(10,3),
  c_f4 float4, c_f8 float8, c_money money,
  c_text text, c_varchar varchar(10), c_char char(5), c_name name, c_bytea bytea,
  c_bool bool, c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz,
  c_interval interval, c_uuid uuid, c_inet inet, c_cidr cidr, c_mac macaddr, c_mac8 macaddr8,
  c_json json, c_jsonb jsonb, c_xml xml, c_bit bit(4), c_varbit varbit,
  c_point point, c_box box, c_circle circle, c_range int4range, c_tsrange tstzrange,
  c_tsv tsvector, c_tsq tsquery, c_oid oid, c_regclass regclass, c_pg_lsn pg_lsn,
  c_int_arr int[], c_text_arr text[], c_2d int[][], c_null_arr int[],
  c_enum t_mood, c_enum_arr t_mood[], c_comp t_pair, c_comp_arr t_pair[],
  c_dom t_posint, c_dom2 t_email,
  c_gen int GENERATED ALWAYS AS (c_int2 * 2) STORED
);
SELECT dataeng.cdc_enable('t_types');
INSERT INTO t_types (id, c_int2, c_int4, c_int8, c_num, c_num_s, c_f4, c_f8, c_money,
  c_text, c_varchar, c_char, c_name, c_bytea, c_bool, c_date, c_time, c_timetz, c_ts, c_tstz,
  c_interval, c_uuid, c_inet, c_cidr, c_mac, c_mac8, c_json, c_jsonb, c_xml, c_bit, c_varbit,
  c_point, c_box, c_circle, c_range, c_tsrange, c_tsv, c_tsq, c_oid, c_regclass, c_pg_lsn,
  c_int_arr, c_text_arr, c_2d, c_null_arr, c_enum, c_enum_arr, c_comp, c_comp_arr, c_dom, c_dom2)
VALUES
 (1, -32768, 2147483646, -9223372036854775808, 12345678901234567890.123456789, 3.142,
  1.5, -2.25e-10, 12.34,
  E'line\nbreak "quoted" \\ back ü €', 'varchar', 'ab', 'a name', '\xdeadbeef', true,
  '2026-11-24', '13:14:15.123456', '13:14:15+02', '2026-11-24 13:14:15.5', '2026-11-24 13:14:15.5+01',
  '1 year 2 mons 3 days 04:05:06', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24',
  '10.0.0.0/8', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '{"a": [1, 2.5, null], "b": "x"}',
  '{"nested": {"deep": [true, false]}, "n": 1e3}', '<a href="x">t</a>', B'1010', B'101',
  '(1.5,2)', '((0,0),(1,1))', '<(0,0),2>', '[1,10)', '[2026-01-01 00:00+00,2026-02-01 00:00+00)',
  'fat cat sat', 'fat & cat', 42, 't_types', '16/B374D848',
  '{1,2,3}', '{"a b","c,d",NULL,"\""}', '{{1,2},{3,4}}', '{NULL,1}', 'happy', '{sad,ok}',
  '(7,"seven")', ARRAY['(1,one)'::t_pair, '(2,)'::t_pair], 5, 'x@y'),
 (2, 0, 0, 0, 'NaN', NULL, 'Infinity', '-Infinity', 0,
  '', '', '', '', '\x', false, 'infinity', '00:00', '00:00+00', '-infinity', 'infinity',
  '0', '00000000-0000-0000-0000-000000000000', '::1', '::/0', '00:00:00:00:00:00',
  '00:00:00:00:00:00:00:00', '[]', '{}', '<x/>', B'0000', B'', '(0,0)', '((0,0),(0,0))',
  '<(0,0),0>', 'empty', 'empty', '', 'a', 0, 'pg_class', '0/0',
  '{}', '{}', '{}', '{}', 'sad', '{}', '(,)', '{}', 1, '@'),
 (3, NULL, NULL, NULL, NULL, NULL, 'NaN', 'NaN', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL);

-- the row rebuilt from the log is the row
SELECT t.id, jsonb_populate_record(NULL::t_types, c.new_row)::text = t::text AS round_trips
  FROM dataeng.changes c JOIN t_types t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass ORDER BY t.id;
-- and is what to_jsonb() makes of it
SELECT t.id, c.new_row = to_jsonb(t) AS same_as_to_jsonb
  FROM dataeng.changes c JOIN t_types t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass ORDER BY t.id;
-- a few values, as stored
SELECT new_row->'c_num' AS num, new_row->'c_f8' AS f8, new_row->'c_tstz' AS tstz,
       new_row->'c_int_arr' AS arr, new_row->'c_2d' AS arr2d, new_row->'c_comp' AS comp,
       new_row->'c_jsonb'->'nested' AS nested, new_row->'c_dom' AS dom, new_row->'c_gen' AS generated
  FROM dataeng.changes WHERE table_name = 't_types'::regclass ORDER BY change_id;
-- SQL NULL is JSON null (so, as with to_jsonb, a jsonb column holding the
-- JSON value null reads back as SQL NULL)
SELECT new_row->'c_text' AS sql_null, jsonb_typeof(new_row->'c_text') AS json_type,
       new_row ? 'c_text' AS key_present
  FROM dataeng.changes WHERE table_name = 't_types'::regclass AND (pk->>'id')::int = 3;

-- UPDATE and DELETE carry the old row; both round-trip too
UPDATE t_types SET c_text = c_text || '!', c_int4 = coalesce(c_int4, 0) + 1;
DELETE FROM t_types WHERE id = 2;
SELECT op, (pk->>'id')::int AS id,
       (jsonb_populate_record(NULL::t_types, old_row)).id AS old_id,
       (jsonb_populate_record(NULL::t_types, new_row)).c_text IS NOT DISTINCT FROM
         (jsonb_populate_record(NULL::t_types, old_row)).c_text || '!' AS text_updated,
       new_row->'c_gen' AS generated
  FROM dataeng.changes WHERE table_name = 't_types'::regclass AND op <> 'I'
 ORDER BY change_id;

-------------------------------------------------------------------------------
-- TOASTed values
-------------------------------------------------------------------------------
CREATE TABLE t_toast (id int PRIMARY KEY, big text, other int);
SELECT dataeng.cdc_enable('t_toast');
-- 200 kB of incompressible text: stored out of line
INSERT INTO t_toast
SELECT 1, string_agg(md5(g::text), ''), 0 FROM generate_series(1, 6250) g;
SELECT pg_column_size(big) > 100000 AS big_value FROM t_toast;
UPDATE t_toast SET other = 1;                   -- the big value is unchanged
DELETE FROM t_toast;
SELECT op, length(old_row->>'big') AS old_len, length(new_row->>'big') AS new_len,
       md5(coalesce(new_row->>'big', old_row->>'big')) =
         (SELECT md5(string_agg(md5(g::text), '')) FROM generate_series(1, 6250) g) AS intact
  FROM dataeng.changes WHERE table_name = 't_toast'::regclass ORDER BY change_id;

-------------------------------------------------------------------------------
-- Tables without a primary key: pk is NULL and the whole old row identifies
-- the row; a replica identity index is used as the key
-------------------------------------------------------------------------------
CREATE TABLE t_nokey (a int, b text);
SELECT dataeng.cdc_enable('t_nokey');
INSERT INTO t_nokey VALUES (1, 'x'), (1, 'x');
UPDATE t_nokey SET b = 'y' WHERE ctid = (SELECT min(ctid) FROM t_nokey);
DELETE FROM t_nokey WHERE b = 'x';
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 't_nokey'::regclass ORDER BY change_id;

CREATE TABLE t_ident (a int NOT NULL, b text NOT NULL, c int);
CREATE UNIQUE INDEX t_ident_ab ON t_ident (b, a);
ALTER TABLE t_ident REPLICA IDENTITY USING INDEX t_ident_ab;
SELECT dataeng.cdc_enable('t_ident');
INSERT INTO t_ident VALUES (1, 'k', 0);
DELETE FROM t_ident;
SELECT op, pk FROM dataeng.changes WHERE table_name = 't_ident'::regclass ORDER BY change_id;

-------------------------------------------------------------------------------
-- Options: columns, exclude_columns, changed_only
-------------------------------------------------------------------------------
CREATE TABLE t_opts (id int PRIMARY KEY, a int, b text, secret text);
SELECT dataeng.cdc_enable('t_opts', exclude_columns => '{secret}');
INSERT INTO t_opts VALUES (1, 1, 'one', 'pw');
SELECT dataeng.cdc_enable('t_opts', columns => '{id,a}');
INSERT INTO t_opts VALUES (2, 2, 'two', 'pw');
SELECT dataeng.cdc_enable('t_opts', changed_only => true);
UPDATE t_opts SET b = 'uno' WHERE id = 1;
UPDATE t_opts SET b = b WHERE id = 2;          -- nothing changed: {}
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 't_opts'::regclass ORDER BY change_id;
SELECT table_name, columns, exclude_columns, changed_only FROM dataeng.cdc_tables
 WHERE table_name = 't_opts'::regclass;

-------------------------------------------------------------------------------
-- ALTER TABLE after enabling
-------------------------------------------------------------------------------
CREATE TABLE t_alter (id int PRIMARY KEY, a int, b text);
SELECT dataeng.cdc_enable('t_alter');
INSERT INTO t_alter VALUES (1, 1, 'x');
ALTER TABLE t_alter ADD COLUMN c numeric DEFAULT 1.5;
INSERT INTO t_alter VALUES (2, 2, 'y', 2.5);
ALTER TABLE t_alter DROP COLUMN a;
INSERT INTO t_alter VALUES (3, 'z', 3.5);
UPDATE t_alter SET b = b || '!' WHERE id = 1;
ALTER TABLE t_alter ALTER COLUMN c TYPE text;
INSERT INTO t_alter VALUES (4, 'w', 'four');
SELECT op, new_row FROM dataeng.changes WHERE table_name = 't_alter'::regclass ORDER BY change_id;

-------------------------------------------------------------------------------
-- Partitioned tables: changes are recorded under the partitioned table,
-- whichever table the statement names
-------------------------------------------------------------------------------
CREATE TABLE t_part (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE t_part_eu PARTITION OF t_part FOR VALUES IN ('eu');
SELECT dataeng.cdc_enable('t_part');
CREATE TABLE t_part_us PARTITION OF t_part FOR VALUES IN ('us');
INSERT INTO t_part VALUES (1, 'eu', 0), (2, 'us', 0);
INSERT INTO t_part_us VALUES (3, 'us', 0);
UPDATE t_part SET region = 'us' WHERE id = 1;  -- moves between partitions
DELETE FROM t_part_us WHERE id = 3;
SELECT table_name, op, pk, new_row->>'region' AS region FROM dataeng.changes
 WHERE table_name::text LIKE 't_part%' ORDER BY change_id;
SELECT tgrelid::regclass, count(*) AS capture_triggers FROM pg_trigger
 WHERE tgname LIKE 'dataeng_capture%' AND tgrelid::regclass::text LIKE 't_part%'
 GROUP BY 1 ORDER BY 1;

-------------------------------------------------------------------------------
-- Rolled-back changes are never in the log
-------------------------------------------------------------------------------
CREATE TABLE t_rb (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('t_rb');
BEGIN;
INSERT INTO t_rb VALUES (1);
SAVEPOINT s;
INSERT INTO t_rb VALUES (2);
ROLLBACK TO SAVEPOINT s;
INSERT INTO t_rb VALUES (3);
COMMIT;
BEGIN;
INSERT INTO t_rb VALUES (4);
ROLLBACK;
SELECT op, pk FROM dataeng.changes WHERE table_name = 't_rb'::regclass ORDER BY change_id;

-------------------------------------------------------------------------------
-- A consumer keeps a replica equal to the source
-------------------------------------------------------------------------------
CREATE TABLE t_src (id int PRIMARY KEY, v text, n numeric);
CREATE TABLE t_replica (LIKE t_src);
SELECT dataeng.cdc_enable('t_src');
SELECT dataeng.cdc_consumer_create('replica', ARRAY['t_src'::regclass]);

-- apply a poll to the replica and acknowledge it, in one transaction
CREATE FUNCTION apply_replica(max_changes int, whole boolean DEFAULT true) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  ch record;
  n int := 0;
  last bigint;
BEGIN
  FOR ch IN SELECT * FROM dataeng.cdc_poll('replica', max_changes, whole) LOOP
    IF ch.op IN ('U', 'D') THEN
      DELETE FROM t_replica WHERE id = (ch.pk->>'id')::int;
    END IF;
    IF ch.op IN ('I', 'U') THEN
      INSERT INTO t_replica SELECT * FROM jsonb_populate_record(NULL::t_replica, ch.new_row);
    END IF;
    IF ch.op = 'T' THEN
      TRUNCATE t_replica;
    END IF;
    n := n + 1;
    last := ch.change_id;
  END LOOP;
  IF last IS NOT NULL THEN
    PERFORM dataeng.cdc_ack('replica', last);
  END IF;
  RETURN n;
END $$;

INSERT INTO t_src SELECT g, 'v' || g, g / 3.0 FROM generate_series(1, 50) g;
UPDATE t_src SET v = v || '*' WHERE id % 5 = 0;
DELETE FROM t_src WHERE id % 7 = 0;
-- polling without acknowledging returns the same changes again
SELECT count(*) AS first_poll, min(change_id) AS first_id FROM dataeng.cdc_poll('replica', 10, false);
SELECT count(*) AS second_poll, min(change_id) AS first_id FROM dataeng.cdc_poll('replica', 10, false);
-- whole transactions: a 50-row insert is not split by max_changes 10
SELECT apply_replica(10) AS applied;
SELECT apply_replica(10, false) AS applied;    -- split on request
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'replica';
SELECT apply_replica(1000) AS applied;
SELECT apply_replica(1000) AS applied;
TRUNCATE t_src;
INSERT INTO t_src VALUES (100, 'after truncate', 1);
SELECT apply_replica(1000) AS applied;
SELECT (SELECT count(*) FROM (TABLE t_src EXCEPT TABLE t_replica) a) +
       (SELECT count(*) FROM (TABLE t_replica EXCEPT TABLE t_src) b) AS differences,
       (SELECT count(*) FROM t_replica) AS replica_rows;
SELECT name, tables, acked_change_id IS NOT NULL AS acked, pending_changes, lag_seconds
  FROM dataeng.cdc_consumers;

-------------------------------------------------------------------------------
-- A consumer of some tables is not held back by changes of others
-------------------------------------------------------------------------------
INSERT INTO t_ops VALUES (20, 'other table', 1);
SELECT dataeng.cdc_enable('t_ops');
INSERT INTO t_ops VALUES (21, 'other table', 1);
SELECT count(*) AS delivered FROM dataeng.cdc_poll('replica');
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'replica';

-------------------------------------------------------------------------------
-- Retention: purge truncates fully acknowledged segments only
-------------------------------------------------------------------------------
SELECT dataeng.cdc_consumer_drop('replica');
SET dataeng.cdc_segment_size = 5;
SELECT dataeng.cdc_consumer_create('slow', ARRAY['t_src'::regclass]);
INSERT INTO t_src SELECT g, 'p', 0 FROM generate_series(1000, 1029) g;
-- one statement's changes span every segment, and each is intact
SELECT count(*) AS logged, count(DISTINCT change_id / 5 % 4) AS segments_used,
       count(*) FILTER (WHERE new_row = jsonb_build_object('id', (pk->>'id')::int, 'v', 'p', 'n', 0)
                          AND (pk->>'id')::int BETWEEN 1000 AND 1029) AS intact
  FROM dataeng.changes WHERE table_name = 't_src'::regclass AND change_id > (
    SELECT max(change_id) - 30 FROM dataeng.changes);
-- nothing acknowledged: only the segments of changes older than the
-- consumer can go; its 30 changes must all survive
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT count(*) AS still_there FROM dataeng.cdc_poll('slow', 1000);
SELECT dataeng.cdc_ack('slow', max(change_id)) FROM dataeng.cdc_poll('slow', 1000);
SELECT sum(purged_changes) > 0 AS purged FROM dataeng.cdc_purge();
SELECT count(*) AS left_in_log FROM dataeng.change_log;
RESET dataeng.cdc_segment_size;
SELECT dataeng.cdc_consumer_drop('slow');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
RESET client_min_messages;
DROP TABLE t_ops, t_types, t_toast, t_nokey, t_ident, t_opts, t_alter, t_part, t_rb, t_src, t_replica;
DROP FUNCTION apply_replica;
DROP TYPE t_pair, t_mood;
DROP DOMAIN t_posint, t_email;
