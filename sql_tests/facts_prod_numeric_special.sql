-- numeric NaN and infinities in sum/avg measures: once such a value went
-- from a group (deleted, updated away, moved to another group), the
-- group's sum must be the sum of the values left.  Kept as a delta, it
-- stayed NaN for good (NaN - NaN, Infinity - Infinity are NaN) until
-- fact_rebuild.  Checked on each path: plain delta, min/max folded in the
-- MERGE, a nullable key (the upsert), a float sum beside (every touched
-- group recomputed), the touched buckets forced.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
CREATE SCHEMA fpns;
CREATE TABLE fpns.t (id int PRIMARY KEY, at date NOT NULL, g text NOT NULL, gn text, v numeric, x float8);
INSERT INTO fpns.t SELECT i, date '2026-01-01' + i % 3, 'g' || i % 2, CASE WHEN i % 5 > 0 THEN 'n' || i % 2 END, i, i
  FROM generate_series(1, 40) i;
SELECT dataeng.fact_create('fpns.plain', 'fpns.t', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(v)', 'avg(v)'], schedule => NULL) IS NOT NULL AS plain,
       dataeng.fact_create('fpns.mm', 'fpns.t', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(v)', 'avg(v)', 'min(v)', 'max(v)'], schedule => NULL) IS NOT NULL AS mm,
       dataeng.fact_create('fpns.nullkey', 'fpns.t', 'at', 'day', ARRAY['gn'],
                           ARRAY['count(*)', 'sum(v)', 'avg(v)', 'max(v)'], schedule => NULL) IS NOT NULL AS nullkey,
       dataeng.fact_create('fpns.withfloat', 'fpns.t', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(v)', 'sum(x)'], schedule => NULL) IS NOT NULL AS withfloat,
       dataeng.fact_create('fpns.expr', 'fpns.t', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(v * 2) AS dbl'], schedule => NULL) IS NOT NULL AS expr;
-- each fact against its GROUP BY (rows differing), refreshing first
CREATE FUNCTION fpns.check(label text) RETURNS TABLE (step text, plain bigint, mm bigint, nullkey bigint,
                                                     withfloat bigint, expr bigint)
LANGUAGE plpgsql AS $$
DECLARE
  q text[] := ARRAY[
    'SELECT bucket, g, count, sum_v, avg_v FROM fpns.plain',
    'SELECT at, g, count(*), sum(v), avg(v) FROM fpns.t GROUP BY 1, 2',
    'SELECT bucket, g, count, sum_v, avg_v, min_v, max_v FROM fpns.mm',
    'SELECT at, g, count(*), sum(v), avg(v), min(v), max(v) FROM fpns.t GROUP BY 1, 2',
    'SELECT bucket, gn, count, sum_v, avg_v, max_v FROM fpns.nullkey',
    'SELECT at, gn, count(*), sum(v), avg(v), max(v) FROM fpns.t GROUP BY 1, 2',
    'SELECT bucket, g, count, sum_v, sum_x FROM fpns.withfloat',
    'SELECT at, g, count(*), sum(v), sum(x) FROM fpns.t GROUP BY 1, 2',
    'SELECT bucket, g, count, dbl FROM fpns.expr',
    'SELECT at, g, count(*), sum(v * 2) FROM fpns.t GROUP BY 1, 2'];
  n bigint[] := '{}';
  c bigint;
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['fpns.plain', 'fpns.mm', 'fpns.nullkey', 'fpns.withfloat', 'fpns.expr'] LOOP
    PERFORM dataeng.fact_refresh(f);
  END LOOP;
  FOR i IN 1 .. 5 LOOP
    EXECUTE format('SELECT count(*) FROM ((%1$s EXCEPT ALL %2$s) UNION ALL (%2$s EXCEPT ALL %1$s)) x',
                   q[2 * i - 1], q[2 * i]) INTO c;
    n := n || c;
  END LOOP;
  RETURN QUERY SELECT label, n[1], n[2], n[3], n[4], n[5];
END $$;
SELECT * FROM fpns.check('created');
INSERT INTO fpns.t VALUES (101, '2026-01-01', 'g0', 'n0', 'NaN', 1), (102, '2026-01-02', 'g1', NULL, 'Infinity', 1),
                          (103, '2026-01-02', 'g1', NULL, '-Infinity', 1), (104, '2026-01-03', 'g0', 'n1', 'Infinity', 1);
SELECT * FROM fpns.check('NaN and infinities came');
SELECT bucket, g, count, sum_v, avg_v FROM fpns.plain WHERE sum_v IN ('NaN', 'Infinity', '-Infinity') ORDER BY 1, 2;
DELETE FROM fpns.t WHERE id = 101;
SELECT * FROM fpns.check('NaN deleted');
-- (the one group the NaN left recomputed, on the delta paths)
SELECT name, last_refresh_path FROM dataeng.facts WHERE name LIKE 'fpns.%' ORDER BY name;
UPDATE fpns.t SET v = 7 WHERE id = 102;
SELECT * FROM fpns.check('Infinity updated away');
UPDATE fpns.t SET at = '2026-01-01' WHERE id = 104;
SELECT * FROM fpns.check('Infinity moved to another bucket');
UPDATE fpns.t SET v = 'NaN' WHERE id = 1;
UPDATE fpns.t SET v = 1 WHERE id = 1;
SELECT * FROM fpns.check('NaN came and went in one refresh');
SET dataeng.fact_refresh_path = 'buckets';
UPDATE fpns.t SET v = 'Infinity' WHERE id = 2;
SELECT * FROM fpns.check('buckets path: Infinity came');
UPDATE fpns.t SET v = 2 WHERE id = 2;
SELECT * FROM fpns.check('buckets path: Infinity went');
RESET dataeng.fact_refresh_path;
DELETE FROM fpns.t WHERE v IN ('NaN', 'Infinity', '-Infinity');
SELECT * FROM fpns.check('all gone');
SELECT bucket, g, count, sum_v, avg_v FROM fpns.plain ORDER BY 1, 2;
-- a refresh with finite values only recomputes nothing
UPDATE fpns.t SET v = v + 1 WHERE id <= 10;
SELECT * FROM fpns.check('finite changes');
SELECT name, last_refresh_path FROM dataeng.facts WHERE name LIKE 'fpns.%' ORDER BY name;
SELECT dataeng.fact_drop(name) FROM dataeng.facts WHERE name LIKE 'fpns.%' ORDER BY name;
DROP SCHEMA fpns CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
