-- Rows go through the quarantine and back as the same values, whatever
-- the settings of the session that quarantined them and of the one that
-- releases them, and whatever arrays they hold.  The quarantine wrote a
-- row with to_jsonb() in the writer's session: an interval under
-- IntervalStyle sql_standard ('-1 2:00:00', minus one day and two hours)
-- came back as minus one day plus two hours, a float under
-- extra_float_digits 0 lost digits, a range of dates under DateStyle
-- 'SQL, DMY' swapped days and months; a json[] holding a JSON array could
-- not be released at all, its 'null' came back as NULL, and an array's
-- lower bounds were lost.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

CREATE TYPE rvl_pair AS (span interval, docs json[]);
CREATE TABLE rvl (id int, v int, iv interval, ivs interval[], days daterange, span tstzrange,
                  f8 float8, f4 real, b bytea, at timestamptz, j json[], jb jsonb[], arr int[],
                  pair rvl_pair, doc json);
SET IntervalStyle = sql_standard;
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = 0;
SET bytea_output = escape;
SET TimeZone = 'Asia/Kolkata';
INSERT INTO rvl VALUES
  (1, 1, '-1 day -2 hours', ARRAY['-1 day -2 hours', '1 year -1 month']::interval[],
   '[2026-01-02,2026-03-04)', '[2026-01-02 10:00+00,2026-01-02 11:30+00)',
   0.1::float8 + 0.2::float8, '1.00000012'::real, '\x00ff5c27'::bytea, '2026-05-06 07:08:09.123456+00',
   ARRAY['[]', '{"a" :1}', 'null', NULL, '"s"']::json[], ARRAY['[1, 2]', '{}']::jsonb[],
   '[0:2]={1,2,3}', ROW('-3 days -4 hours', ARRAY['[1]']::json[]), '{"k" : [1,2]}');
-- each row a copy: 2 diverted by the guard's INSERT, 3 by its UPDATE
-- (then deleted), 4 quarantined by validate()
CREATE TABLE rvl_orig AS SELECT * FROM rvl;
INSERT INTO rvl_orig SELECT 2, -v, iv, ivs, days, span, f8, f4, b, at, j, jb, arr, pair, doc FROM rvl WHERE id = 1;
INSERT INTO rvl_orig SELECT 3, -v, iv, ivs, days, span, f8, f4, b, at, j, jb, arr, pair, doc FROM rvl WHERE id = 1;
INSERT INTO rvl_orig SELECT 4, -v, iv, ivs, days, span, f8, f4, b, at, j, jb, arr, pair, doc FROM rvl WHERE id = 1;
DELETE FROM rvl;
INSERT INTO rvl SELECT * FROM rvl_orig WHERE id = 4;
SELECT dataeng.rule_add('rvl', 'v positive', 'range', 'v', '{"min": 0}');
SELECT rule_name, failed FROM dataeng.validate('rvl', quarantine => true);
SELECT dataeng.guard_enable('rvl', 'quarantine');
INSERT INTO rvl SELECT * FROM rvl_orig WHERE id = 2;
INSERT INTO rvl SELECT id, 1, iv, ivs, days, span, f8, f4, b, at, j, jb, arr, pair, doc FROM rvl_orig WHERE id = 3;
UPDATE rvl SET v = -1 WHERE id = 3;
DELETE FROM rvl WHERE id = 3;
SELECT row_data->>'id' AS id, replaces IS NOT NULL AS replaces
  FROM dataeng.quarantine WHERE table_name = 'rvl'::regclass ORDER BY quarantine_id;

-- released under other settings
RESET IntervalStyle;
RESET DateStyle;
RESET extra_float_digits;
RESET bytea_output;
SET TimeZone = 'America/New_York';
SELECT row_data->>'id' AS id, dataeng.quarantine_release(quarantine_id, '{"v": 9}') AS released
  FROM dataeng.quarantine WHERE table_name = 'rvl'::regclass AND row_data->>'id' IN ('2', '3')
 ORDER BY quarantine_id;
-- and under the writer's
SET IntervalStyle = sql_standard;
SET DateStyle = 'SQL, DMY';
SET extra_float_digits = 0;
SELECT row_data->>'id' AS id, dataeng.quarantine_release(quarantine_id, '{"v": 9}') AS released
  FROM dataeng.quarantine WHERE table_name = 'rvl'::regclass ORDER BY quarantine_id;
RESET ALL;
-- every value as it was (v aside): compared as text in one session
SELECT o.id,
       r.iv::text = o.iv::text AS iv, r.ivs::text = o.ivs::text AS ivs, r.days = o.days AS days,
       r.span = o.span AS span, r.f8 = o.f8 AS f8, r.f4 = o.f4 AS f4, r.b = o.b AS b, r.at = o.at AS at,
       r.j::text = o.j::text AS j, r.jb::text = o.jb::text AS jb, r.arr::text = o.arr::text AS arr,
       r.pair::text = o.pair::text AS pair, r.doc::jsonb = o.doc::jsonb AS doc
  FROM rvl_orig o LEFT JOIN rvl r USING (id) WHERE o.id > 1 ORDER BY o.id;
SELECT id, v, iv, ivs, days, f8, f4, b, j, jb, arr, array_lower(arr, 1) AS arr_lower, pair FROM rvl ORDER BY id;
-- what the quarantine keeps, for the record: arrays a JSON array cannot
-- carry as their text
INSERT INTO rvl SELECT * FROM rvl_orig WHERE id = 2;
SELECT jsonb_pretty(row_data - 'span' - 'at') FROM dataeng.quarantine WHERE table_name = 'rvl'::regclass;

DROP TABLE rvl, rvl_orig;
DROP TYPE rvl_pair;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
