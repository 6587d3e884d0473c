-- Edges of the fold and of the MERGE's reserves, each fact compared with
-- the GROUP BY of its source after every refresh:
--  - dimensions at the ends of their types (int2, int4, int8, oid past
--    2^31, dates and timestamps of both infinities and of their first and
--    last days), NULL among them and in the bucket (whose column holds both
--    infinities too): the fold sorts such groups by keys made unsigned
--    integers; with a bool, text or numeric dimension it does not sort;
--  - numeric sums that turn NaN or infinite and back, with other value
--    columns (min/max, count(DISTINCT)) before them in the fold's row: the
--    fold's total row marks the sum, also when it writes its groups out in
--    parts;
--  - reserves of min/max stored out of line or compressed, of types passed
--    by value (kept as they are where they lie) and of text values past
--    2 kB.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET TimeZone = 'UTC';
\pset null '(null)'
\i sql_tests/lib/fact_diff.sql

CREATE FUNCTION fe_check(facts text[]) RETURNS TABLE (fact text, changes bigint, path text, diff bigint)
LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY facts LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    path := regexp_replace(path, ' \(changes folded in [0-9]+ parts, within work_mem\)$', ' (in parts)');
    diff := fact_diff(fact::regclass, (SELECT truth FROM fe_truth t WHERE t.fact = fe_check.fact));
    RETURN NEXT;
  END LOOP;
END $$;
CREATE TABLE fe_truth (fact text PRIMARY KEY, truth text NOT NULL);

-- 1. dimensions at the ends of their types
CREATE TABLE fe_src (id int PRIMARY KEY, at timestamptz, k2 int2, k4 int4, k8 int8, kd date, kt timestamp,
                     ktz timestamptz, ko oid, kb boolean, ktx text, kn numeric, v int8, w numeric, x text);
CREATE FUNCTION fe_row(i int) RETURNS fe_src LANGUAGE sql AS $$
  SELECT i,
         (ARRAY['2026-01-01', '2026-01-02', '-infinity', '2026-01-03', 'infinity', NULL, '2026-01-04'])[1 + i % 7]::timestamptz,
         (ARRAY[-32768, -1, 0, 1, 32767, NULL])[1 + i % 6]::int2,
         (ARRAY[-2147483648, -2, 0, 2, 2147483647, NULL, -1])[1 + i % 7]::int4,
         (ARRAY[-9223372036854775808, -4611686018427387904, -1, 0, 1, 4611686018427387904,
                9223372036854775807, NULL])[1 + i % 8]::int8,
         (ARRAY['-infinity', '4713-01-01 BC', '1999-12-31', '2000-01-01', '5874897-12-31', 'infinity',
                NULL])[1 + i % 7]::date,
         (ARRAY['-infinity', '4713-01-01 BC', '1999-12-31 23:59:59.999999', '2000-01-01', '294276-12-31',
                'infinity', NULL])[1 + i % 7]::timestamp,
         (ARRAY['-infinity', '1969-12-31 23:59:59.999999+00', '2000-01-01', 'infinity', NULL])[1 + i % 5]::timestamptz,
         (ARRAY[0, 1, 2147483647, 2147483648, 4294967295, NULL])[1 + i % 6]::oid,
         (ARRAY[true, false, NULL])[1 + i % 3],
         (ARRAY['a', 'B', 'b', '', NULL])[1 + i % 5],
         (ARRAY[-1e30, -1, 0, 1.0, 1.00, NULL])[1 + i % 6]::numeric,
         (i * 7919 % 100000 - 50000)::int8,
         CASE WHEN i % 97 = 0 THEN 'NaN'::numeric WHEN i % 89 = 0 THEN 'Infinity' ELSE i / 7.0 END,
         md5(i::text)
$$;
INSERT INTO fe_src SELECT (fe_row(i)).* FROM generate_series(1, 3000) i;
SELECT dataeng.fact_create('fe_int', 'fe_src', 'at', 'day', ARRAY['k2', 'k4', 'k8'],
                           ARRAY['count(*)', 'sum(v)', 'min(v)', 'max(v)', 'sum(w)', 'avg(w)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('fe_time', 'fe_src', 'at', 'day', ARRAY['kd', 'kt', 'ktz', 'ko'],
                           ARRAY['count(*)', 'sum(v)', 'min(v)', 'max(x)', 'sum(w)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('fe_mixed', 'fe_src', 'at', 'day', ARRAY['k8', 'kb', 'ktx', 'kd'],
                           ARRAY['count(*)', 'sum(w)', 'min(x)', 'count(DISTINCT k4)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('fe_num', 'fe_src', 'at', 'day', ARRAY['kn', 'k4'],
                           ARRAY['count(*)', 'sum(w)', 'max(x)'], schedule => NULL) IS NOT NULL AS created;
INSERT INTO fe_truth VALUES
  ('fe_int', 'SELECT date_trunc(''day'', at), k2, k4, k8, count(*), sum(v), min(v), max(v), sum(w), avg(w) FROM fe_src GROUP BY 1, 2, 3, 4'),
  ('fe_time', 'SELECT date_trunc(''day'', at), kd, kt, ktz, ko, count(*), sum(v), min(v), max(x), sum(w) FROM fe_src GROUP BY 1, 2, 3, 4, 5'),
  ('fe_mixed', 'SELECT date_trunc(''day'', at), k8, kb, ktx, kd, count(*), sum(w), min(x), count(DISTINCT k4) FROM fe_src GROUP BY 1, 2, 3, 4, 5'),
  ('fe_num', 'SELECT date_trunc(''day'', at), kn, k4, count(*), sum(w), max(x) FROM fe_src GROUP BY 1, 2, 3');
SELECT fact, fact_diff(fact::regclass, truth) AS diff FROM fe_truth ORDER BY fact;
-- (every end of each type is a group key)
SELECT count(DISTINCT k8) AS k8s, count(DISTINCT kd) AS kds, count(DISTINCT ko) AS kos,
       count(*) FILTER (WHERE k8 IS NULL) > 0 AS null_k8, count(*) FILTER (WHERE bucket IS NULL) > 0 AS null_bucket,
       count(*) FILTER (WHERE bucket = 'infinity') > 0 AS inf_bucket
  FROM fe_int FULL JOIN fe_time USING (bucket, count);

-- keys moved from one end to the other, a few rows: the delta
UPDATE fe_src s SET k8 = r.k8, k2 = r.k2, kd = r.kd, kt = r.kt, ko = r.ko, at = r.at
  FROM (SELECT (fe_row(id + 3)).* FROM fe_src WHERE id % 100 = 0) r WHERE s.id = r.id - 3;
DELETE FROM fe_src WHERE id % 211 = 0;
INSERT INTO fe_src SELECT (fe_row(i)).* FROM generate_series(3001, 3020) i;
SELECT * FROM fe_check(ARRAY['fe_int', 'fe_time', 'fe_mixed', 'fe_num']);
-- many, in parts
SET work_mem = '64kB';
UPDATE fe_src s SET k8 = r.k8, k4 = r.k4, kd = r.kd, ktz = r.ktz, kb = r.kb, v = -s.v
  FROM (SELECT (fe_row(id + 1)).* FROM fe_src WHERE id % 3 = 0) r WHERE s.id = r.id - 1;
SELECT * FROM fe_check(ARRAY['fe_int', 'fe_time', 'fe_mixed', 'fe_num']);
RESET work_mem;

-- 2. numeric sums turning NaN or infinite and back, the sum after a
-- min/max and a count(DISTINCT) in the fold's row
CREATE TABLE fe_nan (id int PRIMARY KEY, at timestamptz NOT NULL, g int8 NOT NULL, h int2, x text, k int,
                     v int, w numeric, u numeric(12, 2));
INSERT INTO fe_nan SELECT i, timestamptz '2026-01-01' + (i % 3) * interval '1 day', (i % 40) - 20, (i % 5) - 2,
                          md5(i::text), i % 9, i, i / 4.0, i / 8.0
  FROM generate_series(1, 4000) i;
SELECT dataeng.fact_create('fe_nan_a', 'fe_nan', 'at', 'day', ARRAY['g', 'h'],
                           ARRAY['min(x)', 'count(DISTINCT k)', 'sum(v)', 'max(w)', 'sum(w)', 'avg(u)', 'sum(u)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('fe_nan_b', 'fe_nan', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(w)', 'avg(u)'], schedule => NULL) IS NOT NULL AS created;
INSERT INTO fe_truth VALUES
  ('fe_nan_a', 'SELECT date_trunc(''day'', at), g, h, min(x), count(DISTINCT k), sum(v), max(w), sum(w), avg(u), sum(u) FROM fe_nan GROUP BY 1, 2, 3'),
  ('fe_nan_b', 'SELECT date_trunc(''day'', at), g, count(*), sum(w), avg(u) FROM fe_nan GROUP BY 1, 2');
-- NaN comes, then goes
UPDATE fe_nan SET w = 'NaN', u = 'NaN' WHERE id = 7;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
UPDATE fe_nan SET w = 3, u = 3 WHERE id = 7;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
-- Infinity and -Infinity in one group, then each goes
UPDATE fe_nan SET w = 'Infinity' WHERE id = 8;
UPDATE fe_nan SET w = '-Infinity' WHERE id = 128;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
UPDATE fe_nan SET w = 0 WHERE id = 8;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
UPDATE fe_nan SET w = 0 WHERE id = 128;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
-- Infinity that comes and goes within one refresh
UPDATE fe_nan SET w = 'Infinity' WHERE id = 9;
UPDATE fe_nan SET w = 5 WHERE id = 9;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
-- many groups, folded in parts: NaN in one of them, then gone
INSERT INTO fe_nan SELECT i, timestamptz '2026-01-01' + (i % 3) * interval '1 day', i % 3000, i % 2,
                          md5(i::text), i % 9, i, i / 4.0, i / 8.0
  FROM generate_series(10001, 19000) i;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
SET work_mem = '64kB';
UPDATE fe_nan SET v = v + 1, w = w + 1 WHERE id > 10000 AND id % 2 = 0;
UPDATE fe_nan SET w = 'NaN' WHERE id = 18999;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
UPDATE fe_nan SET v = v - 1 WHERE id > 10000 AND id % 2 = 0;
UPDATE fe_nan SET w = 1 WHERE id = 18999;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
-- +Infinity and -Infinity of one group, in different parts
UPDATE fe_nan SET w = 'Infinity' WHERE id = 10002;
UPDATE fe_nan SET v = v + 1 WHERE id > 10000 AND id % 2 = 1;
UPDATE fe_nan SET w = '-Infinity' WHERE id = 10002 + 9000 - 6000;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
UPDATE fe_nan SET w = 1 WHERE id IN (10002, 13002);
UPDATE fe_nan SET v = v - 1 WHERE id > 10000 AND id % 2 = 1;
SELECT * FROM fe_check(ARRAY['fe_nan_a', 'fe_nan_b']);
RESET work_mem;

-- 3. reserves stored out of line (fe_rx) or compressed (fe_rc): of
-- types passed by value, kept as they are where they lie when the values
-- that came and went lie beyond them; of text values past 2 kB
CREATE FUNCTION fe_big(i int) RETURNS text LANGUAGE sql AS
  $$ SELECT string_agg(md5(i::text || ':' || j), '') FROM generate_series(1, 80) j $$;
CREATE TABLE fe_res (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL, h int,
                     a int4, b int8, c date, d timestamp, e float8, s int2, t text, n numeric, z int8);
INSERT INTO fe_res SELECT i, timestamptz '2026-01-01' + (i % 2) * interval '1 day', i % 6, i % 3,
                          i, -i::int8 * 1000000000000, date '2000-01-01' + i, timestamp '2000-01-01' + i * interval '1 hour',
                          i / 3.0, (i % 30000)::int2, lpad(i::text, 6, '0') || fe_big(i), i / 7.0,
                          CASE WHEN i <= 600 THEN 7 ELSE i END
  FROM generate_series(1, 1200) i;
SELECT dataeng.fact_create('fe_rx', 'fe_res', 'at', 'day', ARRAY['g'],
                           ARRAY['min(a)', 'max(a)', 'min(b)', 'max(b)', 'min(c)', 'max(c)', 'min(d)', 'max(d)',
                                 'min(e)', 'max(e)', 'min(s)', 'max(s)', 'min(t)', 'max(t)', 'min(n)', 'max(n)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('fe_rc', 'fe_res', 'at', 'day', ARRAY['g', 'h'],
                           ARRAY['min(z)', 'max(z)', 'min(a)', 'max(b)', 'min(t)', 'max(t)', 'sum(a)'],
                           schedule => NULL) IS NOT NULL AS created;
INSERT INTO fe_truth VALUES
  ('fe_rx', 'SELECT date_trunc(''day'', at), g, min(a), max(a), min(b), max(b), min(c), max(c), min(d), max(d), '
            'min(e), max(e), min(s), max(s), min(t), max(t), min(n), max(n) FROM fe_res GROUP BY 1, 2'),
  ('fe_rc', 'SELECT date_trunc(''day'', at), g, h, min(z), max(z), min(a), max(b), min(t), max(t), sum(a) FROM fe_res GROUP BY 1, 2, 3');
ALTER TABLE fe_rx_data SET (toast_tuple_target = 128);
ALTER TABLE fe_rc_data SET (toast_tuple_target = 128);
DO $$
DECLARE
  c text;
BEGIN
  FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'fe_rx_data'::regclass AND attname LIKE '\_\_x\_%' LOOP
    EXECUTE format('ALTER TABLE fe_rx_data ALTER COLUMN %I SET STORAGE EXTERNAL', c);
  END LOOP;
  FOR c IN SELECT attname FROM pg_attribute WHERE attrelid = 'fe_rc_data'::regclass AND attname LIKE '\_\_x\_%' LOOP
    EXECUTE format('ALTER TABLE fe_rc_data ALTER COLUMN %I SET STORAGE MAIN', c);
  END LOOP;
END $$;
UPDATE fe_rx_data SET __rows = __rows;
UPDATE fe_rc_data SET __rows = __rows;
-- (stored out of line: the whole array counted; compressed: smaller than
-- the 16 values of min(z), all 7)
SELECT count(*) AS groups, bool_and(pg_column_size(__x_min_b) = 148) AS int8_external,
       bool_and(pg_column_size(__x_min_t) > 2000 * 16) AS text_big
  FROM fe_rx_data;
SELECT count(*) AS groups, bool_and(pg_column_compression(__x_min_z) IS NOT NULL) AS z_compressed,
       bool_and(pg_column_size(__x_min_z) < 24 + 8 * 16) AS z_smaller
  FROM fe_rc_data;
-- values within the reserves' ranges, not among them: kept as they are
UPDATE fe_res SET a = a + 1, b = b + 1, c = c + 1, d = d + interval '1 s', e = e + 0.5, s = s + 1,
                  t = lpad(id::text, 6, '0') || fe_big(-id), n = n + 1, z = z + 1
  WHERE id BETWEEN 650 AND 750;
SELECT * FROM fe_check(ARRAY['fe_rx', 'fe_rc']);
SELECT count(*) AS groups, bool_and(pg_column_size(__x_min_b) = 148) AS int8_external FROM fe_rx_data;
SELECT count(*) AS groups, bool_and(pg_column_compression(__x_min_z) IS NOT NULL) AS z_compressed FROM fe_rc_data;
-- again (the reserves written by the refresh)
UPDATE fe_res SET a = a - 1, b = b - 1, z = 9 WHERE id BETWEEN 550 AND 800;
SELECT * FROM fe_check(ARRAY['fe_rx', 'fe_rc']);
-- the least and greatest go: the reserves shrink
DELETE FROM fe_res WHERE id < 30 OR id > 1170;
SELECT * FROM fe_check(ARRAY['fe_rx', 'fe_rc']);
-- new least and greatest
INSERT INTO fe_res SELECT i, timestamptz '2026-01-01' + (i % 2) * interval '1 day', i % 6, i % 3,
                          -i, i::int8 * 1000000000000, date '2000-01-01' - i, timestamp '2000-01-01' - i * interval '1 hour',
                          -i / 3.0, (-i)::int2, lpad(i::text, 6, '0') || fe_big(i), -i / 7.0, 6
  FROM generate_series(2000, 2100) i;
SELECT * FROM fe_check(ARRAY['fe_rx', 'fe_rc']);
-- every value of the reserves goes: the groups recomputed
DELETE FROM fe_res WHERE id >= 2000 OR id < 200 OR id > 1000;
SELECT * FROM fe_check(ARRAY['fe_rx', 'fe_rc']);
UPDATE fe_res SET a = a + 1, b = b - 1, t = t || 'x' WHERE id % 5 = 0 AND id BETWEEN 400 AND 800;
SELECT * FROM fe_check(ARRAY['fe_rx', 'fe_rc']);

SELECT count(dataeng.fact_drop(f)) AS dropped
  FROM unnest(ARRAY['fe_int', 'fe_time', 'fe_mixed', 'fe_num', 'fe_nan_a', 'fe_nan_b', 'fe_rx', 'fe_rc']) f;
DROP FUNCTION fe_check, fe_row, fe_big, fact_diff;
DROP TABLE fe_src, fe_nan, fe_res, fe_truth;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
