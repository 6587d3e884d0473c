-- CDC capture: what the trigger records, for every kind of value and change,
-- and what a consumer can rebuild from it.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, MDY';                    -- the server's defaults
SET intervalstyle = 'postgres';
SET bytea_output = 'hex';
-- (extra_float_digits stays at its default, 1: shortest exact floats)

-- The columns whose text differs between two rows of the same type.
CREATE FUNCTION differing_columns(a anyelement, b anyelement) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
  col name;
  differs boolean;
  res text[] := '{}';
BEGIN
  FOR col IN SELECT at.attname FROM pg_attribute at JOIN pg_type t ON t.typrelid = at.attrelid
              WHERE t.oid = pg_typeof(a) AND at.attnum > 0 AND NOT at.attisdropped
              ORDER BY at.attnum LOOP
    EXECUTE format('SELECT ($1).%I::text IS DISTINCT FROM ($2).%I::text', col, col)
      INTO differs USING a, b;
    IF differs THEN
      res := res || col::text;
    END IF;
  END LOOP;
  RETURN res;
END $$;

-- Whether a row rebuilt from a captured jsonb has the text of the source
-- row (false, not an error, when it cannot even be rebuilt).
CREATE FUNCTION rebuilds_to(j jsonb, src anyelement) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
  RETURN jsonb_populate_record(CASE WHEN false THEN src END, j)::text = src::text;
EXCEPTION WHEN others THEN
  RETURN false;
END $$;

-- Invariant checked along the way: every table dataeng.cdc_tables lists
-- has its four capture triggers, and no other table has any.
CREATE VIEW capture_consistent AS
  SELECT coalesce(bool_and(n = 4), true) AS listed_tables_captured,
         NOT EXISTS (SELECT 1 FROM pg_trigger tg
                      WHERE tg.tgfoid = 'dataeng_internal.capture()'::regprocedure
                        AND NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct
                                         WHERE ct.table_name = tg.tgrelid
                                            OR ct.table_name IN (SELECT relid FROM pg_partition_ancestors(tg.tgrelid))))
           AS no_stray_triggers
    FROM (SELECT ct.table_name,
                 (SELECT count(*) FROM pg_trigger tg
                   WHERE tg.tgrelid = ct.table_name
                     AND tg.tgfoid = 'dataeng_internal.capture()'::regprocedure) AS n
            FROM dataeng.cdc_tables ct) s;

-- The API's shape: the view and the type consumers receive.
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       format_type(b.atttypid, b.atttypmod) AS type_in_dataeng_change
  FROM pg_attribute a
  LEFT JOIN pg_attribute b ON b.attrelid = (SELECT typrelid FROM pg_type
                                             WHERE oid = 'dataeng.change'::regtype)
                           AND b.attnum = a.attnum AND b.attname = a.attname
 WHERE a.attrelid = 'dataeng.changes'::regclass AND a.attnum > 0
 ORDER BY a.attnum;

-------------------------------------------------------------------------------
-- The shape of each operation: op, pk, old_row, new_row
-------------------------------------------------------------------------------
CREATE TABLE t_ops (id int PRIMARY KEY, name text, qty int);
SELECT coalesce(max(change_id), 0) AS base FROM dataeng.changes \gset
SELECT dataeng.cdc_enable('t_ops');
SELECT * FROM capture_consistent;
BEGIN;
INSERT INTO t_ops VALUES (1, 'a', 10), (2, 'b', NULL);
UPDATE t_ops SET qty = 11 WHERE id = 1;
UPDATE t_ops SET id = 3 WHERE id = 2;          -- key change: pk is the old key
DELETE FROM t_ops WHERE id = 1;
COMMIT;
UPDATE t_ops SET qty = qty;                    -- an UPDATE that changes nothing is still an U
UPDATE t_ops SET qty = 0 WHERE false;          -- no row: no change
TRUNCATE t_ops;
INSERT INTO t_ops VALUES (4, 'after truncate', 4);
SELECT change_id - :base AS n, table_name, op, pk, old_row, new_row
  FROM dataeng.changes WHERE change_id > :base ORDER BY change_id;
-- one transaction, one xid; others get later xids; the lsn grows with
-- change_id; captured_at is the capture time
SELECT count(DISTINCT xid) FILTER (WHERE change_id <= :base + 5) AS xids_of_first_txn,
       count(DISTINCT xid) AS xids,
       bool_and(lsn > '0/0') AS lsn_set,
       bool_and(captured_at BETWEEN now() - interval '1 hour' AND clock_timestamp()) AS time_set
  FROM dataeng.changes WHERE change_id > :base;
SELECT bool_and(xid >= lag_xid AND lsn >= lag_lsn) AS ordered
  FROM (SELECT xid, lsn, lag(xid, 1, xid) OVER w AS lag_xid, lag(lsn, 1, lsn) OVER w AS lag_lsn
          FROM dataeng.changes WINDOW w AS (ORDER BY change_id)) s;
-- the captured row is what the table held
SELECT (SELECT new_row FROM dataeng.changes ORDER BY change_id DESC LIMIT 1) = to_jsonb(t) AS same
  FROM t_ops t;

-------------------------------------------------------------------------------
-- cdc_enable is idempotent, cdc_enable with other options updates them,
-- cdc_disable stops capture and keeps the log
-------------------------------------------------------------------------------
SELECT array_agg(oid ORDER BY oid) AS trigger_oids FROM pg_trigger WHERE tgrelid = 't_ops'::regclass \gset
SELECT enabled_at AS enabled_at FROM dataeng.cdc_tables WHERE table_name = 't_ops'::regclass \gset
SELECT dataeng.cdc_enable('t_ops');
SELECT dataeng.cdc_enable('t_ops', NULL, NULL, false);
SELECT array_agg(oid ORDER BY oid) = :'trigger_oids' AS same_triggers,
       count(*) AS capture_triggers,
       array_agg(tgname::text ORDER BY tgname) AS names
  FROM pg_trigger WHERE tgrelid = 't_ops'::regclass;
SELECT enabled_at = :'enabled_at' AS untouched, columns, exclude_columns, changed_only, enabled_by
  FROM dataeng.cdc_tables WHERE table_name = 't_ops'::regclass;
SELECT max(change_id) AS last FROM dataeng.changes \gset
INSERT INTO t_ops VALUES (5, 'once', 5);       -- captured once, not twice
SELECT count(*) AS captured FROM dataeng.changes WHERE change_id > :last;
-- other options: the triggers are replaced, the row is updated
SELECT dataeng.cdc_enable('t_ops', changed_only => true);
SELECT array_agg(oid ORDER BY oid) = :'trigger_oids' AS same_triggers, count(*) AS capture_triggers
  FROM pg_trigger WHERE tgrelid = 't_ops'::regclass;
SELECT columns, exclude_columns, changed_only FROM dataeng.cdc_tables WHERE table_name = 't_ops'::regclass;
UPDATE t_ops SET qty = 6 WHERE id = 5;
SELECT op, pk, old_row, new_row FROM dataeng.changes WHERE change_id > :last ORDER BY change_id;
SELECT * FROM capture_consistent;
SELECT dataeng.cdc_disable('t_ops');
SELECT dataeng.cdc_disable('t_ops');           -- not captured any more: false
SELECT max(change_id) AS last FROM dataeng.changes \gset
INSERT INTO t_ops VALUES (9, 'not captured', 0);
TRUNCATE t_ops;
SELECT count(*) AS new_changes FROM dataeng.changes WHERE change_id > :last;
SELECT count(*) AS kept_changes FROM dataeng.changes WHERE table_name = 't_ops'::regclass;
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 't_ops'::regclass;
SELECT count(*) AS listed FROM dataeng.cdc_tables WHERE table_name = 't_ops'::regclass;
SELECT * FROM capture_consistent;

-------------------------------------------------------------------------------
-- Every built-in type round-trips: jsonb_populate_record(NULL::tbl, new_row)
-- is the source row
-------------------------------------------------------------------------------
CREATE TYPE t_mood AS ENUM ('sad', 'o''k', 'happy "x"');
CREATE TYPE t_pair AS (a int, b text);
CREATE TYPE t_nested AS (d date, f float8, p t_pair, ps t_pair[], j jsonb);
CREATE DOMAIN t_posint AS int CHECK (VALUE > 0);
CREATE DOMAIN t_email AS text CHECK (VALUE LIKE '%@%');
CREATE DOMAIN t_day AS date;
CREATE DOMAIN t_doc AS jsonb;
CREATE DOMAIN t_pair_d AS t_pair;
CREATE DOMAIN t_ints AS int[] CHECK (cardinality(VALUE) < 10);
CREATE TABLE t_types (
  id int PRIMARY KEY,
  c_int2 int2, c_int4 int4, c_int8 int8, c_num numeric, c_num_s numeric(10,3),
  c_f4 float4, c_f8 float8, c_money money,
  c_text text, c_varchar varchar(10), c_char char(5), c_name name, c_qchar "char", c_bytea bytea,
  c_bool bool, c_date date, c_time time, c_time3 time(3), c_timetz timetz, c_ts timestamp,
  c_tstz timestamptz,
  c_interval interval, c_uuid uuid, c_inet inet, c_cidr cidr, c_mac macaddr, c_mac8 macaddr8,
  c_json json, c_jsonb jsonb, c_xml xml, c_bit bit(4), c_varbit varbit,
  c_point point, c_line line, c_lseg lseg, c_box box, c_path path, c_polygon polygon,
  c_circle circle,
  c_range int4range, c_i8range int8range, c_numrange numrange, c_daterange daterange,
  c_tsrange tsrange, c_tstzrange tstzrange, c_multirange int4multirange,
  c_tsv tsvector, c_tsq tsquery, c_oid oid, c_regclass regclass, c_pg_lsn pg_lsn,
  c_int_arr int[], c_text_arr text[], c_2d int[], c_3d int[], c_null_arr int[],
  c_date_arr date[], c_f8_arr float8[], c_num_arr numeric[], c_jsonb_arr jsonb[],
  c_enum t_mood, c_enum_arr t_mood[], c_comp t_pair, c_comp_arr t_pair[], c_nested t_nested,
  c_dom t_posint, c_dom2 t_email, c_dom_date t_day, c_dom_jsonb t_doc, c_dom_comp t_pair_d,
  c_dom_arr t_ints,
  c_gen int GENERATED ALWAYS AS (c_int2 * 2) STORED,
  c_ident bigint GENERATED ALWAYS AS IDENTITY
);
SELECT dataeng.cdc_enable('t_types');
INSERT INTO t_types (id, c_int2, c_int4, c_int8, c_num, c_num_s, c_f4, c_f8, c_money,
  c_text, c_varchar, c_char, c_name, c_qchar, c_bytea, c_bool, c_date, c_time, c_time3, c_timetz,
  c_ts, c_tstz,
  c_interval, c_uuid, c_inet, c_cidr, c_mac, c_mac8, c_json, c_jsonb, c_xml, c_bit, c_varbit,
  c_point, c_line, c_lseg, c_box, c_path, c_polygon, c_circle,
  c_range, c_i8range, c_numrange, c_daterange, c_tsrange, c_tstzrange, c_multirange,
  c_tsv, c_tsq, c_oid, c_regclass, c_pg_lsn,
  c_int_arr, c_text_arr, c_2d, c_3d, c_null_arr, c_date_arr, c_f8_arr, c_num_arr, c_jsonb_arr,
  c_enum, c_enum_arr, c_comp, c_comp_arr, c_nested,
  c_dom, c_dom2, c_dom_date, c_dom_jsonb, c_dom_comp, c_dom_arr)
VALUES
 -- ordinary values, and the largest/most awkward ones
 (1, -32768, 2147483647, -9223372036854775808, 12345678901234567890.123456789012345678901234567890,
  3.140, 0.1::float4 * 3, 0.1::float8 + 0.2::float8, 12.34,
  E'line\nbreak\ttab "quoted" \\ back ü € 😀 \u2028 \u0001', 'varchar', 'ab', 'a name', 'x',
  '\xdeadbeef00ff', true, '2026-11-24', '13:14:15.123456', '13:14:15.123', '13:14:15.5+02:30',
  '2026-11-24 13:14:15.5', '2026-11-24 13:14:15.123456+01',
  '1 year 2 mons -3 days 04:05:06.789', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24',
  '2001:db8::/32', '08:00:2b:01:02:03', '08:00:2b:01:02:03:04:05', '{"a": [1, 2.5, null], "b": "x"}',
  '{"nested": {"deep": [true, false, null]}, "n": 1e3, "s": "\u00e9\n", "big": 123456789012345678901234567890}',
  '<a href="x">t &amp; u</a>', B'1010', B'101',
  '(1.5,-2.25)', '{1,-1,0}', '[(0,0),(1,1)]', '((0,0),(1,1))', '[(0,0),(1,1),(2,0)]',
  '((0,0),(1,1),(2,0))', '<(0,0),2>',
  '[1,10)', '[-9223372036854775808,9223372036854775807)', '(1.5,2.5]', '[2026-02-01,2026-03-05)',
  '[2026-02-01 10:00,2026-03-05 11:00)', '[2026-01-01 00:00+00,infinity)', '{[1,3),[5,7)}',
  'fat:1A cat:2 sat', 'fat & (rat | !cat)', 4294967295, 't_types', '16/B374D848',
  '{1,2,3}', '{"a b","c,d",NULL,"\"","NULL",""}', '{{1,2},{3,4}}', '{{{1,2},{3,NULL}},{{5,6},{7,8}}}',
  '{NULL,1,NULL}', '{2026-01-01,NULL,infinity}', '{1.5,NaN,-Infinity,1e300}', '{1.10,NaN,Infinity}',
  ARRAY['{"a": 1}'::jsonb, '[1, "x"]'::jsonb, '3'::jsonb],
  'o''k', '{sad,"happy \"x\""}', '(7,"seven")', ARRAY['(1,one)'::t_pair, '(2,)'::t_pair, NULL],
  ROW('2026-01-02', -1.5e-7, ROW(1, 'p'), ARRAY[ROW(2, 'q')::t_pair], '{"k": [null]}'),
  5, 'x@y', '2026-12-31', '{"d": "omain"}', '(3,three)', '{9,8}'),
 -- zeros, empties and the special values
 (2, 0, 0, 0, 'NaN', 0.000, 'Infinity', '-Infinity', 0,
  '', '', '', '', ' ', '\x', false, 'infinity', '00:00', '24:00', '00:00+00', '-infinity', 'infinity',
  '0', '00000000-0000-0000-0000-000000000000', '::1', '0.0.0.0/0', '00:00:00:00:00:00',
  '00:00:00:00:00:00:00:00', '[]', '{}', '<x/>', B'0000', B'', '(0,0)', '{0,1,0}', '[(0,0),(0,0)]',
  '((0,0),(0,0))', '((0,0))', '((0,0))', '<(0,0),0>',
  'empty', 'empty', 'empty', 'empty', 'empty', 'empty', '{}',
  '', 'a <-> b', 0, 'pg_class', '0/0',
  '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}',
  'sad', '{}', '(,)', '{}', ROW(NULL, NULL, NULL, '{}', '[]'),
  1, '@', '-infinity', '[]', '(,)', '{}'),
 -- more special values
 (3, 32767, -2147483648, 9223372036854775807, '-Infinity', -9999999.999, '-Infinity', 'NaN', -92233720368547758.08,
  repeat('x', 1000), 'ten chars!', 'abcde', repeat('n', 63), E'\\', '\x00', NULL, '-infinity', '23:59:59.999999',
  '23:59:59.999', '23:59:59.999999-15:59', 'infinity', '-infinity',
  '-178000000 years', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128',
  '255.255.255.255/32', 'ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff:ff:ff', '"just a string"', '"s"', 'text only',
  B'1111', B'1', '(NaN,Infinity)', '{0,-1,5}', '[(1e300,-1e300),(0,0)]', '((1,1),(0,0))', '[(0,0)]',
  '((0,0),(1,0),(1,1))', '<(1,1),1e-300>',
  '(,5]', '(,)', '[-Infinity,Infinity]', '[2026-01-01,infinity)', '(,2026-01-01 00:00)', '(-infinity,)',
  '{[1,2),(,0)}',
  'a:1,2,3 b:4D', '!x', 1, '-', 'FFFFFFFF/FFFFFFFF',
  '{7,8,9}', ARRAY[NULL]::text[], '{{NULL,NULL}}', '{{{NULL}}}', ARRAY[NULL, NULL]::int[],
  '{-infinity}', '{-1.5,0.1}', '{0}', ARRAY[NULL]::jsonb[],
  'happy "x"', '{NULL}', '(-1,"")', ARRAY[NULL]::t_pair[], ROW('0044-03-15 BC', 'NaN', NULL, NULL, NULL),
  2147483647, E'a\\@"b', '0044-03-15 BC', '{"a": {"b": {"c": {"d": [[[]]]}}}}', '(,"")', '{NULL}'),
 -- every column NULL but the key (and the generated columns)
 (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  NULL, NULL, NULL, NULL, NULL, NULL, NULL);

-- the row rebuilt from the log is the row: same text (every type), and
-- no column differs
SELECT t.id, jsonb_populate_record(NULL::t_types, c.new_row)::text = t::text AS round_trips,
       differing_columns(jsonb_populate_record(NULL::t_types, c.new_row), t) AS differing
  FROM dataeng.changes c JOIN t_types t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass ORDER BY t.id;
-- ... the same JSON text ...
SELECT t.id, row_to_json(jsonb_populate_record(NULL::t_types, c.new_row))::text = row_to_json(t)::text
         AS same_json
  FROM dataeng.changes c JOIN t_types t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass ORDER BY t.id;
-- ... and what to_jsonb() makes of the row
SELECT t.id, c.new_row = to_jsonb(t) AS same_as_to_jsonb
  FROM dataeng.changes c JOIN t_types t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass ORDER BY t.id;
-- every column is in new_row, NULLs as JSON null
SELECT (SELECT count(*) FROM jsonb_object_keys(c.new_row)) AS keys,
       (SELECT count(*) FROM pg_attribute WHERE attrelid = 't_types'::regclass AND attnum > 0
           AND NOT attisdropped) AS columns,
       (SELECT count(*) FROM jsonb_each(c.new_row) WHERE jsonb_typeof(value) = 'null') AS json_nulls
  FROM dataeng.changes c WHERE c.table_name = 't_types'::regclass AND c.pk = '{"id": 4}';

-- Whole-row equality (IS NOT DISTINCT FROM) where every column has an
-- equality operator (not xml, json, point, line, lseg, box, path, polygon,
-- circle: those are compared as text above)
CREATE TABLE t_eq AS
  SELECT id, c_int2, c_int4, c_int8, c_num, c_num_s, c_f4, c_f8, c_money, c_text, c_varchar, c_char,
         c_name, c_qchar, c_bytea, c_bool, c_date, c_time, c_time3, c_timetz, c_ts, c_tstz, c_interval,
         c_uuid, c_inet, c_cidr, c_mac, c_mac8, c_jsonb, c_bit, c_varbit, c_range, c_i8range,
         c_numrange, c_daterange, c_tsrange, c_tstzrange, c_multirange, c_tsv, c_tsq, c_oid, c_pg_lsn,
         c_int_arr, c_text_arr, c_2d, c_3d, c_null_arr, c_date_arr, c_f8_arr, c_num_arr, c_jsonb_arr,
         c_enum, c_enum_arr, c_comp, c_comp_arr, c_nested, c_dom, c_dom2, c_dom_date, c_dom_jsonb,
         c_dom_comp, c_dom_arr
    FROM t_types WITH NO DATA;
ALTER TABLE t_eq ADD PRIMARY KEY (id);
SELECT dataeng.cdc_enable('t_eq');
INSERT INTO t_eq SELECT id, c_int2, c_int4, c_int8, c_num, c_num_s, c_f4, c_f8, c_money, c_text,
  c_varchar, c_char, c_name, c_qchar, c_bytea, c_bool, c_date, c_time, c_time3, c_timetz, c_ts, c_tstz,
  c_interval, c_uuid, c_inet, c_cidr, c_mac, c_mac8, c_jsonb, c_bit, c_varbit, c_range, c_i8range,
  c_numrange, c_daterange, c_tsrange, c_tstzrange, c_multirange, c_tsv, c_tsq, c_oid, c_pg_lsn,
  c_int_arr, c_text_arr, c_2d, c_3d, c_null_arr, c_date_arr, c_f8_arr, c_num_arr, c_jsonb_arr,
  c_enum, c_enum_arr, c_comp, c_comp_arr, c_nested, c_dom, c_dom2, c_dom_date, c_dom_jsonb,
  c_dom_comp, c_dom_arr
  FROM t_types;
SELECT t.id, jsonb_populate_record(NULL::t_eq, c.new_row) IS NOT DISTINCT FROM t AS same_row
  FROM dataeng.changes c JOIN t_eq t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_eq'::regclass ORDER BY t.id;

-- a few values, as stored
SELECT new_row->'c_num' AS num, new_row->'c_f4' AS f4, new_row->'c_f8' AS f8, new_row->'c_money' AS money
  FROM dataeng.changes WHERE table_name = 't_types'::regclass ORDER BY change_id;
SELECT new_row->'c_date' AS date, new_row->'c_ts' AS ts, new_row->'c_tstz' AS tstz,
       new_row->'c_timetz' AS timetz, new_row->'c_interval' AS interval
  FROM dataeng.changes WHERE table_name = 't_types'::regclass ORDER BY change_id;
SELECT new_row->'c_bytea' AS bytea, new_row->'c_char' AS char5, new_row->'c_bit' AS bit,
       new_row->'c_point' AS point, new_row->'c_range' AS range, new_row->'c_tsv' AS tsv
  FROM dataeng.changes WHERE table_name = 't_types'::regclass ORDER BY change_id;
SELECT new_row->'c_2d' AS arr2d, new_row->'c_3d' AS arr3d, new_row->'c_text_arr' AS text_arr,
       new_row->'c_comp' AS comp, new_row->'c_enum' AS enum
  FROM dataeng.changes WHERE table_name = 't_types'::regclass ORDER BY change_id;
SELECT new_row->'c_nested' AS nested, new_row->'c_dom_comp' AS dom_comp, new_row->'c_dom' AS dom,
       new_row->'c_gen' AS generated, new_row->'c_ident' AS ident
  FROM dataeng.changes WHERE table_name = 't_types'::regclass ORDER BY change_id;
SELECT new_row->'c_text' = to_jsonb(c_text) AS text_exact, new_row->'c_jsonb' = c_jsonb AS jsonb_exact,
       new_row->'c_xml' AS xml
  FROM dataeng.changes JOIN t_types ON id = (pk->>'id')::int
 WHERE table_name = 't_types'::regclass ORDER BY change_id;

-- UPDATE and DELETE carry the old row; old and new rows round-trip too
UPDATE t_types SET c_text = c_text || '!', c_int4 = coalesce(c_int4, 0) - 1, c_int2 = 1 WHERE id <> 3;
SELECT c.op, t.id, rebuilds_to(c.new_row, t) AS new_round_trips,
       (jsonb_populate_record(NULL::t_types, c.old_row)).c_text || '!' IS NOT DISTINCT FROM t.c_text
         AS old_text_before,
       c.new_row->'c_gen' AS generated
  FROM dataeng.changes c JOIN t_types t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass AND c.op = 'U' ORDER BY c.change_id;
CREATE TEMP TABLE t_types_before AS SELECT * FROM t_types;
DELETE FROM t_types WHERE id IN (1, 2);
SELECT c.op, b.id, rebuilds_to(c.old_row, b) AS old_round_trips,
       c.new_row IS NULL AS no_new_row
  FROM dataeng.changes c JOIN t_types_before b ON b.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_types'::regclass AND c.op = 'D' ORDER BY c.change_id;

-------------------------------------------------------------------------------
-- What cannot round-trip through jsonb (to_jsonb()'s representation): the
-- exact jsonb is asserted instead
--   json        whitespace, key order and duplicate keys (json becomes jsonb)
--   float -0    becomes 0
--   arrays      lower bounds other than 1 are lost
--   jsonb[]     a JSON null element reads back as SQL NULL
--   jsonb       a column holding JSON null reads back as SQL NULL
-------------------------------------------------------------------------------
CREATE TABLE t_lossy (id int PRIMARY KEY, j json, negzero float8, bounds int[], jarr jsonb[], jnull jsonb);
SELECT dataeng.cdc_enable('t_lossy');
INSERT INTO t_lossy VALUES (1, '{"b": 1,   "a": [1,2], "a": 3}', '-0', '[0:2]={7,8,9}',
                            ARRAY['null'::jsonb, NULL], 'null');
SELECT new_row FROM dataeng.changes WHERE table_name = 't_lossy'::regclass;
SELECT new_row = '{"id": 1, "j": {"a": 3, "b": 1}, "jarr": [null, null], "jnull": null,
                   "bounds": [7, 8, 9], "negzero": 0}' AS exact_jsonb
  FROM dataeng.changes WHERE table_name = 't_lossy'::regclass;
SELECT t.j::text AS source_json, r.j::text AS rebuilt_json, t.negzero, r.negzero AS rebuilt_negzero,
       t.bounds, r.bounds AS rebuilt_bounds, t.jarr, r.jarr AS rebuilt_jarr,
       t.jnull, r.jnull AS rebuilt_jnull
  FROM dataeng.changes c, t_lossy t, jsonb_populate_record(NULL::t_lossy, c.new_row) r
 WHERE c.table_name = 't_lossy'::regclass;

-------------------------------------------------------------------------------
-- The log does not depend on the writer's session settings: a row written
-- under other DateStyle, IntervalStyle, extra_float_digits or bytea_output
-- is logged as under the defaults, and rebuilds to the same row
-------------------------------------------------------------------------------
CREATE TABLE t_fmt (id int PRIMARY KEY, f8 float8, f4 float4, pt point, f8s float8[],
                    dr daterange, tr tsrange, iv interval, b bytea, d date, ts timestamp);
SELECT dataeng.cdc_enable('t_fmt');
CREATE FUNCTION fmt_row(id int) RETURNS t_fmt LANGUAGE sql AS $$
  SELECT id, 0.1::float8 + 0.2::float8, 1::float4 / 3, point(1::float8 / 3, 0.1::float8 + 0.2::float8),
         ARRAY[0.1::float8 + 0.2::float8], '[2026-02-01,2026-03-05)'::daterange,
         '[2026-02-01 10:00,2026-03-05 11:00)'::tsrange, '1 year 2 mons 3 days 04:05:06.5'::interval,
         '\xdeadbeef'::bytea, '2026-02-01'::date, '2026-02-01 10:00'::timestamp
$$;
INSERT INTO t_fmt SELECT (fmt_row(1)).*;
SET extra_float_digits = 0;
INSERT INTO t_fmt SELECT (fmt_row(2)).*;
RESET extra_float_digits;
SET datestyle = 'SQL, DMY';
INSERT INTO t_fmt SELECT (fmt_row(3)).*;
SET datestyle = 'German';
INSERT INTO t_fmt SELECT (fmt_row(4)).*;
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'sql_standard';
INSERT INTO t_fmt SELECT (fmt_row(5)).*;
SET intervalstyle = 'postgres';
SET bytea_output = 'escape';
INSERT INTO t_fmt SELECT (fmt_row(6)).*;
SET bytea_output = 'hex';
SELECT t.id, CASE t.id WHEN 1 THEN 'defaults' WHEN 2 THEN 'extra_float_digits 0'
                       WHEN 3 THEN 'DateStyle SQL, DMY' WHEN 4 THEN 'DateStyle German'
                       WHEN 5 THEN 'IntervalStyle sql_standard' ELSE 'bytea_output escape' END AS writer,
       rebuilds_to(c.new_row, t) AS round_trips,
       c.new_row - 'id' = (SELECT new_row - 'id' FROM dataeng.changes
                            WHERE table_name = 't_fmt'::regclass AND pk = '{"id": 1}') AS same_jsonb
  FROM dataeng.changes c JOIN t_fmt t ON t.id = (c.pk->>'id')::int
 WHERE c.table_name = 't_fmt'::regclass ORDER BY t.id;
SELECT new_row - 'id' AS logged_under_defaults FROM dataeng.changes
 WHERE table_name = 't_fmt'::regclass AND pk = '{"id": 1}';

-------------------------------------------------------------------------------
-- TOASTed values: out of line, compressed, in generic and jsonb columns
-------------------------------------------------------------------------------
CREATE TABLE t_toast (id int PRIMARY KEY, big text, doc jsonb, arr text[], raw bytea, other int);
SELECT dataeng.cdc_enable('t_toast');
-- about 100 kB of text that does not compress (hex digits of md5 hashes),
-- and 300 kB that compresses well
INSERT INTO t_toast
SELECT 1, string_agg(md5(g::text), ''), jsonb_build_object('k', string_agg(md5(g::text), '')),
       array_agg(md5(g::text)), decode(string_agg(md5(g::text), ''), 'hex'), 0
  FROM generate_series(1, 3200) g;
INSERT INTO t_toast VALUES (2, repeat('abc', 100000), NULL, NULL, NULL, 0);
SELECT id, octet_length(big) AS bytes, pg_column_size(big) < octet_length(big) AS compressed
  FROM t_toast ORDER BY id;
SELECT pg_relation_size(reltoastrelid) > 100000 AS stored_out_of_line
  FROM pg_class WHERE oid = 't_toast'::regclass;
UPDATE t_toast SET other = 1;                  -- the big values are unchanged
UPDATE t_toast SET big = big || '!' WHERE id = 1;
DELETE FROM t_toast;
SELECT op, (pk->>'id')::int AS id, length(old_row->>'big') AS old_len, length(new_row->>'big') AS new_len,
       md5(coalesce(new_row->>'big', old_row->>'big')) = CASE (pk->>'id')::int
         WHEN 2 THEN md5(repeat('abc', 100000))
         ELSE (SELECT md5(string_agg(md5(g::text), '') || CASE WHEN op = 'U' AND (new_row->>'big') LIKE '%!'
                                                               OR op = 'D' THEN '!' ELSE '' END)
                 FROM generate_series(1, 3200) g) END AS big_intact,
       coalesce(new_row, old_row)->'doc'->>'k' IS NOT DISTINCT FROM
         (SELECT CASE (pk->>'id')::int WHEN 1 THEN string_agg(md5(g::text), '') END
            FROM generate_series(1, 3200) g) AS doc_intact,
       CASE jsonb_typeof(coalesce(new_row, old_row)->'arr')
         WHEN 'array' THEN jsonb_array_length(coalesce(new_row, old_row)->'arr') END AS arr_len,
       md5(decode(substr(coalesce(new_row, old_row)->>'raw', 3), 'hex')) IS NOT DISTINCT FROM
         (SELECT CASE (pk->>'id')::int WHEN 1 THEN md5(decode(string_agg(md5(g::text), ''), 'hex')) END
            FROM generate_series(1, 3200) g) AS raw_intact
  FROM dataeng.changes WHERE table_name = 't_toast'::regclass ORDER BY change_id;
-- with changed_only, an unchanged TOASTed value is left out of new_row
SELECT dataeng.cdc_enable('t_toast', changed_only => true);
INSERT INTO t_toast SELECT 3, string_agg(md5(g::text), ''), NULL, NULL, NULL, 0 FROM generate_series(1, 3200) g;
SELECT max(change_id) AS last FROM dataeng.changes \gset
UPDATE t_toast SET other = 2;
UPDATE t_toast SET big = big || '?';
SELECT op, new_row ? 'big' AS big_in_new_row, length(new_row->>'big') AS new_len,
       length(old_row->>'big') AS old_len, new_row - 'big' AS rest
  FROM dataeng.changes WHERE change_id > :last ORDER BY change_id;

-------------------------------------------------------------------------------
-- Keys: primary key, replica identity index, none (pk NULL, the whole old
-- row identifies the row), and keys added or dropped after enabling
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
UPDATE t_ident SET c = 1;
UPDATE t_ident SET b = 'l';
DELETE FROM t_ident;
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 't_ident'::regclass ORDER BY change_id;

CREATE TABLE t_keys (a int NOT NULL, b text, c int);
ALTER TABLE t_keys REPLICA IDENTITY FULL;
SELECT dataeng.cdc_enable('t_keys');
INSERT INTO t_keys VALUES (1, 'x', 0);
ALTER TABLE t_keys ADD PRIMARY KEY (a, c);
UPDATE t_keys SET b = 'y';
ALTER TABLE t_keys DROP CONSTRAINT t_keys_pkey;
DELETE FROM t_keys;
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 't_keys'::regclass ORDER BY change_id;

-------------------------------------------------------------------------------
-- Options: columns, exclude_columns, changed_only
-------------------------------------------------------------------------------
CREATE TABLE t_opts (id int PRIMARY KEY, a int, b text, secret text);
SELECT max(change_id) AS last FROM dataeng.changes \gset
SELECT dataeng.cdc_enable('t_opts', exclude_columns => '{secret}');
INSERT INTO t_opts VALUES (1, 1, 'one', 'pw');
UPDATE t_opts SET secret = 'pw2' WHERE id = 1; -- only an excluded column changes
-- the key column can be left out of the rows: pk still carries it
SELECT dataeng.cdc_enable('t_opts', columns => '{a,b}');
INSERT INTO t_opts VALUES (2, 2, 'two', 'pw');
SELECT dataeng.cdc_enable('t_opts', columns => '{id,a}');
INSERT INTO t_opts VALUES (3, 3, 'three', 'pw');
DELETE FROM t_opts WHERE id = 3;
-- changed_only (of every column again): only changed columns in new_row,
-- old_row complete
SELECT dataeng.cdc_enable('t_opts', exclude_columns => '{}', changed_only => true);
UPDATE t_opts SET b = 'uno' WHERE id = 1;
UPDATE t_opts SET b = b WHERE id = 2;          -- nothing changed: {}
UPDATE t_opts SET b = NULL, a = 20 WHERE id = 2;
UPDATE t_opts SET b = 'back' WHERE id = 2;     -- NULL to a value
UPDATE t_opts SET id = 22 WHERE id = 2;        -- key change: the new key in new_row
INSERT INTO t_opts VALUES (4, 4, 'four', 'pw'); -- INSERT and DELETE are whole rows
DELETE FROM t_opts WHERE id = 4;
-- changed_only with a column list
SELECT dataeng.cdc_enable('t_opts', columns => '{id,b}', changed_only => true);
UPDATE t_opts SET a = a + 1, b = b || '+' WHERE id = 1;
UPDATE t_opts SET a = a + 1 WHERE id = 1;      -- only an uncaptured column changed: {}
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE change_id > :last ORDER BY change_id;
SELECT table_name, columns, exclude_columns, changed_only FROM dataeng.cdc_tables
 WHERE table_name = 't_opts'::regclass;
SELECT * FROM capture_consistent;

-- An excluded column stays excluded when it is renamed, and a listed
-- column stays captured
CREATE TABLE t_rename (id int PRIMARY KEY, a int, secret text);
SELECT dataeng.cdc_enable('t_rename', exclude_columns => '{secret}');
CREATE TABLE t_rename2 (id int PRIMARY KEY, a int, b text);
SELECT dataeng.cdc_enable('t_rename2', columns => '{id,a}');
SELECT max(change_id) AS last FROM dataeng.changes \gset
ALTER TABLE t_rename RENAME COLUMN secret TO password;
INSERT INTO t_rename VALUES (1, 1, 'hunter2');
ALTER TABLE t_rename2 RENAME COLUMN a TO amount;
INSERT INTO t_rename2 VALUES (1, 10, 'not captured');
SELECT table_name, new_row ? 'password' AS excluded_column_leaked, new_row FROM dataeng.changes
 WHERE change_id > :last AND table_name = 't_rename'::regclass ORDER BY change_id;
SELECT table_name, new_row ? 'amount' AS listed_column_kept, new_row FROM dataeng.changes
 WHERE change_id > :last AND table_name = 't_rename2'::regclass ORDER BY change_id;

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
ALTER TABLE t_alter RENAME COLUMN b TO "B b";
ALTER TABLE t_alter ADD COLUMN d date[] DEFAULT '{2026-01-01}', ADD COLUMN e int GENERATED ALWAYS AS (id * 10) STORED;
UPDATE t_alter SET c = 'five' WHERE id = 2;
DELETE FROM t_alter WHERE id = 3;
SELECT op, old_row, new_row FROM dataeng.changes WHERE table_name = 't_alter'::regclass ORDER BY change_id;
-- rows rebuilt from the latest changes are the table's rows
UPDATE t_alter SET c = c || '.';
SELECT t.id, rebuilds_to(c.new_row, t) AS round_trips, c.new_row
  FROM t_alter t JOIN LATERAL (SELECT new_row FROM dataeng.changes
                                WHERE table_name = 't_alter'::regclass AND (pk->>'id')::int = t.id
                                ORDER BY change_id DESC LIMIT 1) c ON true
 ORDER BY t.id;

-------------------------------------------------------------------------------
-- Partitioned tables: changes are recorded under the partitioned table,
-- whichever table the statement names
-------------------------------------------------------------------------------
CREATE TABLE t_part (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE t_part_eu PARTITION OF t_part FOR VALUES IN ('eu');
SELECT dataeng.cdc_enable('t_part');
-- partitions created or attached later, one with another column order and
-- a dropped column, one partitioned itself
CREATE TABLE t_part_us PARTITION OF t_part FOR VALUES IN ('us');
CREATE TABLE t_part_ap (v int, dropped int, region text NOT NULL, id int NOT NULL);
ALTER TABLE t_part_ap DROP COLUMN dropped;
ALTER TABLE t_part ATTACH PARTITION t_part_ap FOR VALUES IN ('ap');
CREATE TABLE t_part_sa PARTITION OF t_part FOR VALUES IN ('sa') PARTITION BY RANGE (id);
CREATE TABLE t_part_sa_low PARTITION OF t_part_sa FOR VALUES FROM (0) TO (100);
SELECT tgrelid::regclass, count(*) AS capture_triggers FROM pg_trigger
 WHERE tgfoid = 'dataeng_internal.capture()'::regprocedure AND tgrelid::regclass::text LIKE 't_part%'
 GROUP BY 1 ORDER BY 1;
SELECT max(change_id) AS last FROM dataeng.changes \gset
INSERT INTO t_part VALUES (1, 'eu', 0), (2, 'us', 0), (3, 'ap', 0), (4, 'sa', 0);
INSERT INTO t_part_us VALUES (5, 'us', 0);
INSERT INTO t_part_ap VALUES (6, 'ap', 0);     -- (column order of t_part_ap)
INSERT INTO t_part_sa VALUES (7, 'sa', 0);
INSERT INTO t_part_sa_low VALUES (8, 'sa', 0);
UPDATE t_part SET region = 'us' WHERE id = 1;  -- moves between partitions
UPDATE t_part SET v = v + 1 WHERE id IN (2, 3, 4);
UPDATE t_part_ap SET v = 10;
INSERT INTO t_part_sa_low VALUES (8, 'sa', 0) ON CONFLICT (id, region) DO UPDATE SET v = 80;
DELETE FROM t_part_us WHERE id = 5;
DELETE FROM t_part WHERE id = 7;
SELECT table_name, op, pk, old_row, new_row FROM dataeng.changes
 WHERE change_id > :last ORDER BY change_id;
-- TRUNCATE of the partitioned table is one T; a partition's TRUNCATE
-- empties part of the table, and a consumer must learn of it
SELECT max(change_id) AS last FROM dataeng.changes \gset
TRUNCATE t_part_eu;
SELECT table_name, op, pk, old_row FROM dataeng.changes WHERE change_id > :last ORDER BY change_id;
SELECT max(change_id) AS last FROM dataeng.changes \gset
TRUNCATE t_part;
SELECT table_name, op, pk FROM dataeng.changes WHERE change_id > :last ORDER BY change_id;
-- a detached partition is a table of its own again: no capture
ALTER TABLE t_part DETACH PARTITION t_part_ap;
SELECT count(*) AS capture_triggers FROM pg_trigger
 WHERE tgrelid = 't_part_ap'::regclass AND tgfoid = 'dataeng_internal.capture()'::regprocedure;
SELECT max(change_id) AS last FROM dataeng.changes \gset
INSERT INTO t_part_ap VALUES (0, 'ap', 9);
SELECT count(*) AS captured FROM dataeng.changes WHERE change_id > :last;
SELECT * FROM capture_consistent;
-- a partition enabled on its own while its parent is captured: either way,
-- what dataeng.cdc_tables says is what is captured
CREATE TABLE t_part2 (id int PRIMARY KEY, a int, b int) PARTITION BY RANGE (id);
CREATE TABLE t_part2_low PARTITION OF t_part2 FOR VALUES FROM (0) TO (100);
SELECT dataeng.cdc_enable('t_part2');
SELECT dataeng.cdc_enable('t_part2_low', columns => '{id}');
SELECT max(change_id) AS last FROM dataeng.changes \gset
INSERT INTO t_part2 VALUES (1, 1, 1);
INSERT INTO t_part2_low VALUES (2, 2, 2);
SELECT table_name, new_row FROM dataeng.changes WHERE change_id > :last ORDER BY change_id;
SELECT dataeng.cdc_disable('t_part2');
SELECT table_name, columns FROM dataeng.cdc_tables WHERE table_name::text LIKE 't_part2%';
SELECT * FROM capture_consistent;
SELECT max(change_id) AS last FROM dataeng.changes \gset
INSERT INTO t_part2_low VALUES (3, 3, 3);
SELECT (SELECT count(*) FROM dataeng.cdc_tables WHERE table_name = 't_part2_low'::regclass) =
       (SELECT count(*) FROM dataeng.changes WHERE change_id > :last) AS captured_as_listed;
SELECT count(*) AS ignored FROM (SELECT dataeng.cdc_disable(table_name) FROM dataeng.cdc_tables
                                  WHERE table_name = 't_part2_low'::regclass) d \gset
SELECT * FROM capture_consistent;
-- disabling the partitioned table removes every capture trigger of its tree
SELECT dataeng.cdc_disable('t_part');
SELECT count(*) AS capture_triggers FROM pg_trigger
 WHERE tgfoid = 'dataeng_internal.capture()'::regprocedure AND tgrelid::regclass::text LIKE 't_part%';
SELECT * FROM capture_consistent;

-------------------------------------------------------------------------------
-- Other ways to write: rolled-back changes, MERGE, ON CONFLICT, writable
-- CTEs, COPY
-------------------------------------------------------------------------------
CREATE TABLE t_rb (id int PRIMARY KEY, v int);
SELECT dataeng.cdc_enable('t_rb');
BEGIN;
INSERT INTO t_rb VALUES (1, 1);
SAVEPOINT s;
INSERT INTO t_rb VALUES (2, 2);
ROLLBACK TO SAVEPOINT s;
INSERT INTO t_rb VALUES (3, 3);
COMMIT;
BEGIN;
INSERT INTO t_rb VALUES (4, 4);
ROLLBACK;
INSERT INTO t_rb VALUES (3, 0);                -- fails: nothing recorded
SELECT op, pk FROM dataeng.changes WHERE table_name = 't_rb'::regclass ORDER BY change_id;
-- (changes of a subtransaction carry the top-level xid)
SELECT count(DISTINCT xid) AS xids FROM dataeng.changes WHERE table_name = 't_rb'::regclass;
SELECT max(change_id) AS last FROM dataeng.changes \gset
MERGE INTO t_rb USING (VALUES (1, 10), (5, 50)) s(id, v) ON t_rb.id = s.id
  WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT VALUES (s.id, s.v);
MERGE INTO t_rb USING (VALUES (3)) s(id) ON t_rb.id = s.id WHEN MATCHED THEN DELETE;
INSERT INTO t_rb VALUES (5, 0), (6, 60) ON CONFLICT (id) DO UPDATE SET v = t_rb.v + 1;
INSERT INTO t_rb VALUES (6, 0) ON CONFLICT DO NOTHING;
WITH ins AS (INSERT INTO t_rb VALUES (7, 70) RETURNING id),
     upd AS (UPDATE t_rb SET v = -v WHERE id = 1 RETURNING id)
DELETE FROM t_rb WHERE id = 6;
COPY t_rb FROM STDIN;
8	80
9	\N
\.
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE change_id > :last ORDER BY op, pk->>'id', change_id;
-- TRUNCATE of several tables, and CASCADE: one T for each
CREATE TABLE t_fk (id int PRIMARY KEY, rb int REFERENCES t_rb);
SELECT dataeng.cdc_enable('t_fk');
INSERT INTO t_fk VALUES (1, 1);
SELECT max(change_id) AS last FROM dataeng.changes \gset
TRUNCATE t_rb CASCADE;
TRUNCATE t_fk, t_rb;
SELECT table_name, op FROM dataeng.changes WHERE change_id > :last ORDER BY change_id;

-------------------------------------------------------------------------------
-- A consumer applies its polled changes to a copy of the table, which ends
-- equal to the source
-------------------------------------------------------------------------------
CREATE TABLE t_src (id int PRIMARY KEY, v text, n numeric, f float8, d date, tags text[], big text);
CREATE TABLE t_copy (LIKE t_src INCLUDING ALL);
SELECT dataeng.cdc_enable('t_src');
SELECT dataeng.cdc_consumer_create('copier', ARRAY['t_src'::regclass]);
SELECT name, owner, tables, acked_change_id, acked_at, pending_changes, lag_seconds
  FROM dataeng.cdc_consumers;

-- apply one poll to the copy and acknowledge it, in one transaction
CREATE FUNCTION apply_copy(max_changes int DEFAULT 1000, whole boolean DEFAULT true) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
  ch dataeng.change;
  n int := 0;
  last bigint;
BEGIN
  FOR ch IN SELECT * FROM dataeng.cdc_poll('copier', max_changes, whole) LOOP
    CASE ch.op
      WHEN 'I' THEN
        INSERT INTO t_copy SELECT * FROM jsonb_populate_record(NULL::t_copy, ch.new_row);
      WHEN 'U', 'D' THEN
        DELETE FROM t_copy WHERE id = (ch.pk->>'id')::int;
        IF NOT FOUND THEN
          RAISE EXCEPTION 'change % is of a row the copy does not have', ch.change_id;
        END IF;
        IF ch.op = 'U' THEN
          INSERT INTO t_copy SELECT * FROM jsonb_populate_record(NULL::t_copy, ch.new_row);
        END IF;
      WHEN 'T' THEN
        TRUNCATE t_copy;
    END CASE;
    n := n + 1;
    last := ch.change_id;
  END LOOP;
  IF last IS NOT NULL THEN
    PERFORM dataeng.cdc_ack('copier', last);
  END IF;
  RETURN n;
END $$;
CREATE VIEW copy_differences AS
  SELECT (SELECT count(*) FROM (TABLE t_src EXCEPT ALL TABLE t_copy) a) +
         (SELECT count(*) FROM (TABLE t_copy EXCEPT ALL TABLE t_src) b) AS differences,
         (SELECT count(*) FROM t_src) AS source_rows, (SELECT count(*) FROM t_copy) AS copy_rows;

-- rows already there when the consumer was created are not delivered
INSERT INTO t_src SELECT g, 'v' || g, g / 3.0, g / 7.0, date '2026-01-01' + g, ARRAY['t' || g, NULL], NULL
  FROM generate_series(1, 50) g;
UPDATE t_src SET v = v || '*', f = -f WHERE id % 5 = 0;
DELETE FROM t_src WHERE id % 7 = 0;
BEGIN;
UPDATE t_src SET id = id + 1000 WHERE id BETWEEN 10 AND 12;   -- key changes
INSERT INTO t_src VALUES (500, 'short-lived', 0, 0, NULL, NULL, NULL);
UPDATE t_src SET v = 'changed twice' WHERE id = 500;
DELETE FROM t_src WHERE id = 500;
INSERT INTO t_src VALUES (500, 'again', NULL, 'NaN', 'infinity', '{}', NULL);
COMMIT;
UPDATE t_src SET big = (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 3200) g) WHERE id = 1;
-- a statement of more than a thousand rows, then a change of each
INSERT INTO t_src SELECT g, NULL, g, NULL, NULL, NULL, NULL FROM generate_series(2000, 3199) g;
UPDATE t_src SET v = 'bulk ' || id, n = -n WHERE id >= 2000;
DELETE FROM t_src WHERE id >= 3000;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'copier';
-- polling without acknowledging returns the same changes again
SELECT count(*) AS first_poll, min(change_id) AS first_id, max(change_id) AS last_id
  FROM dataeng.cdc_poll('copier', 10, false) \gset first_
SELECT count(*) AS second_poll, min(change_id) = :first_first_id AS same_first,
       max(change_id) = :first_last_id AS same_last
  FROM dataeng.cdc_poll('copier', 10, false);
SELECT :first_first_poll AS first_poll;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'copier';
-- whole transactions: the 50-row INSERT is not split by max_changes 10 ...
SELECT apply_copy(10) AS applied;
-- ... unless asked; the rest of a split transaction comes next
SELECT apply_copy(4, false) AS applied;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'copier';
SELECT apply_copy(3, false) AS applied;
-- apply the rest in small polls
SELECT apply_copy(5) AS applied;
SELECT apply_copy(5) AS applied;
SELECT apply_copy(5) AS applied;
SELECT apply_copy(5) AS applied;
SELECT apply_copy(5) AS applied;
SELECT * FROM copy_differences;
SELECT pending_changes, lag_seconds, acked_change_id = (SELECT max(change_id) FROM dataeng.changes
                                                          WHERE table_name = 't_src'::regclass) AS acked_all
  FROM dataeng.cdc_consumers WHERE name = 'copier';
-- TRUNCATE, then more
TRUNCATE t_src;
INSERT INTO t_src VALUES (100, 'after truncate', 1, 1, '2026-01-01', '{a}', NULL);
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'copier';
SELECT apply_copy() AS applied;
SELECT * FROM copy_differences;
SELECT apply_copy() AS applied;                -- nothing left
SELECT name, tables, acked_change_id IS NOT NULL AS acked, acked_at IS NOT NULL AS acked_at_set,
       pending_changes, lag_seconds, created_at <= now() AS created
  FROM dataeng.cdc_consumers;

-------------------------------------------------------------------------------
-- whole_transactions and max_changes, change by change
-------------------------------------------------------------------------------
CREATE TABLE t_wt (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('t_wt');
SELECT dataeng.cdc_consumer_create('wt', '{t_wt}');
SELECT max(change_id) AS base FROM dataeng.changes \gset
INSERT INTO t_wt SELECT generate_series(1, 3);  -- transaction A: changes 1-3
INSERT INTO t_wt SELECT generate_series(4, 8);  -- transaction B: changes 4-8
INSERT INTO t_wt VALUES (9);                    -- transaction C: change 9
CREATE FUNCTION wt_poll(n int, whole boolean) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(string_agg((change_id - current_setting('my.base')::bigint)::text, ',' ORDER BY change_id), '')
    FROM dataeng.cdc_poll('wt', n, whole)
$$;
SELECT set_config('my.base', :'base', false) IS NOT NULL AS base_set;
SELECT n, wt_poll(n, true) AS whole, wt_poll(n, false) AS split
  FROM generate_series(1, 10) n ORDER BY n;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'wt';
-- acknowledging inside a transaction: the rest of it comes next
SELECT dataeng.cdc_ack('wt', :base + 5);
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'wt';
SELECT wt_poll(1, false) AS split_1, wt_poll(1, true) AS whole_1, wt_poll(4, true) AS whole_4;
SELECT dataeng.cdc_ack('wt', :base + 8);
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'wt';
SELECT wt_poll(100, true) AS rest;
SELECT dataeng.cdc_ack('wt', :base + 9);
SELECT pending_changes, acked_change_id - :base AS acked FROM dataeng.cdc_consumers WHERE name = 'wt';
SELECT wt_poll(100, true) AS nothing;
-- transactions are delivered in commit order: a prepared transaction
-- when it commits
BEGIN;
INSERT INTO t_wt VALUES (100);
PREPARE TRANSACTION 'regress_dataeng_cdc';
INSERT INTO t_wt VALUES (101);
SELECT pk FROM dataeng.cdc_poll('wt') ORDER BY change_id;
COMMIT PREPARED 'regress_dataeng_cdc';
SELECT pk FROM dataeng.cdc_poll('wt');           -- (in delivery order)
SELECT dataeng.cdc_ack('wt', change_id) FROM dataeng.cdc_poll('wt') WHERE pk = '{"id": 100}';
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'wt';
DELETE FROM t_wt WHERE id >= 100;
SELECT dataeng.cdc_ack('wt', max(change_id)) FROM dataeng.cdc_poll('wt');

-------------------------------------------------------------------------------
-- pending_changes follows the consumer's tables only; a consumer of some
-- tables is not held back by changes of others
-------------------------------------------------------------------------------
SELECT dataeng.cdc_consumer_create('all_tables');
SELECT name, tables, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
INSERT INTO t_wt VALUES (10);
INSERT INTO t_rb VALUES (10, 10);
BEGIN;
INSERT INTO t_wt VALUES (11);
INSERT INTO t_rb VALUES (11, 11);
COMMIT;
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
SELECT count(*) AS delivered FROM dataeng.cdc_poll('copier');
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
SELECT table_name, op, pk FROM dataeng.cdc_poll('all_tables') ORDER BY change_id;
SELECT table_name, op, pk FROM dataeng.cdc_poll('wt') ORDER BY change_id;
SELECT dataeng.cdc_ack('all_tables', max(change_id)) FROM dataeng.cdc_poll('all_tables');
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
SELECT dataeng.cdc_consumer_drop('all_tables');
SELECT dataeng.cdc_consumer_drop('wt');
SELECT dataeng.cdc_consumer_drop('copier');
SELECT count(*) AS consumers FROM dataeng.cdc_consumers;

-------------------------------------------------------------------------------
-- Retention: purge truncates fully acknowledged segments, and only those
-------------------------------------------------------------------------------
-- with no consumer, everything committed can go
SELECT sum(purged_changes) > 0 AS purged FROM dataeng.cdc_purge();
SELECT count(*) AS left_in_log FROM dataeng_internal.change_log;
SET dataeng.cdc_segment_size = 5;
-- start at the first change_id of segment 0 (ids n*20 .. n*20+4), so that
-- the segments below are the same whatever ran before
SELECT setval('dataeng_internal.change_id_seq', (last_value / 20 + 1) * 20 - 1) + 1 AS seg_base
  FROM dataeng_internal.change_id_seq \gset
CREATE TABLE t_purge (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('t_purge');
SELECT dataeng.cdc_consumer_create('slow', '{t_purge}');
-- three transactions, each in a batch of its own (a poll cuts a batch)
INSERT INTO t_purge SELECT generate_series(1, 5);    -- ids +0..4:   segment 0
SELECT count(*) AS polled FROM dataeng.cdc_poll('slow');
INSERT INTO t_purge SELECT generate_series(6, 12);   -- ids +5..11:  segments 1, 2
SELECT count(*) AS polled FROM dataeng.cdc_poll('slow');
INSERT INTO t_purge SELECT generate_series(13, 20);  -- ids +12..19: segments 2, 3
SELECT count(*) AS polled FROM dataeng.cdc_poll('slow');
-- one statement's changes span segments, and each change is intact
SELECT segment, count(*) AS changes, min(change_id) - :seg_base AS first,
       max(change_id) - :seg_base AS last,
       bool_and(new_row = jsonb_build_object('id', (pk->>'id')::int)
                AND (pk->>'id')::int = change_id - :seg_base + 1) AS intact
  FROM dataeng_internal.change_log WHERE change_id >= :seg_base GROUP BY 1 ORDER BY 1;
-- nothing acknowledged: nothing purged
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT count(*) AS still_there FROM dataeng.cdc_poll('slow', 1000);
-- the first transaction acknowledged: segment 0 is done
SELECT dataeng.cdc_ack('slow', :seg_base + 4);
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;  -- again: nothing
-- half of the second: nothing more
SELECT dataeng.cdc_ack('slow', :seg_base + 7);
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'slow';
-- all of the second: segment 1 (segment 2 also holds the third)
SELECT dataeng.cdc_ack('slow', :seg_base + 11);
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT min(change_id) - :seg_base AS first_left, count(*) AS left_in_log FROM dataeng_internal.change_log;
-- the consumer still gets what it did not acknowledge
SELECT count(*) AS delivered, min(change_id) - :seg_base AS first FROM dataeng.cdc_poll('slow');
-- the ids wrap around into the purged segments
INSERT INTO t_purge SELECT generate_series(21, 30);  -- ids +20..29: segments 0, 1
SELECT segment, count(*) AS changes, min(change_id) - :seg_base AS first, max(change_id) - :seg_base AS last
  FROM dataeng_internal.change_log GROUP BY 1 ORDER BY 1;
SELECT dataeng.cdc_ack('slow', max(change_id)) FROM dataeng.cdc_poll('slow');
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'slow';
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT count(*) AS left_in_log FROM dataeng_internal.change_log;
SELECT count(*) AS delivered FROM dataeng.cdc_poll('slow');
-- a second consumer that is behind holds the purge back
SELECT dataeng.cdc_consumer_create('behind', '{t_purge}');
INSERT INTO t_purge SELECT generate_series(31, 40);
SELECT dataeng.cdc_ack('slow', max(change_id)) FROM dataeng.cdc_poll('slow');
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT count(*) AS behind_gets FROM dataeng.cdc_poll('behind');
SELECT dataeng.cdc_ack('behind', max(change_id)) FROM dataeng.cdc_poll('behind');
SELECT segment, purged_changes FROM dataeng.cdc_purge() ORDER BY segment;
SELECT count(*) AS left_in_log FROM dataeng_internal.change_log;
RESET dataeng.cdc_segment_size;
SELECT dataeng.cdc_consumer_drop('slow');
SELECT dataeng.cdc_consumer_drop('behind');

SELECT * FROM capture_consistent;
DROP VIEW capture_consistent, copy_differences;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
RESET client_min_messages;
DROP FUNCTION differing_columns(anyelement, anyelement), rebuilds_to(jsonb, anyelement), fmt_row(int),
  apply_copy(int, boolean), wt_poll(int, boolean);
DROP TABLE t_ops, t_types, t_types_before, t_eq, t_lossy, t_fmt, t_toast, t_nokey, t_ident, t_keys,
  t_opts, t_rename, t_rename2, t_alter, t_part, t_part_ap, t_part2, t_rb, t_fk, t_src, t_copy, t_wt,
  t_purge;
DROP DOMAIN t_posint, t_email, t_day, t_doc, t_pair_d, t_ints;
DROP TYPE t_nested, t_pair, t_mood;
