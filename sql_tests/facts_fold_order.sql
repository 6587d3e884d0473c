-- The order in which the fold writes its groups out (the refresh's
-- pg_temp._dataeng_delta_raw, read in ctid order) is the order of the
-- fact's key index: bucket, then each dimension, NULLs last.  With
-- dimensions compared as integers and no NULL key the fold packs each
-- group's keys into one integer and sorts those by their bits; with a NULL
-- key, or keys too wide for 64 bits together, it sorts the keys as they
-- are.  Each case: the groups written out in key order, and the fact equal
-- to the GROUP BY of its source after the refresh.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET TimeZone = 'UTC';
\i sql_tests/lib/fact_diff.sql

-- out_of_order: groups whose place in the deltas (ctid order) is not their
-- place in the order of the keys (bucket, then the dimensions, NULLs last,
-- as the key index orders them; a group's keys are unique)
CREATE FUNCTION fo_refresh(fact text, truth text, OUT groups bigint, OUT out_of_order bigint, OUT diff bigint)
LANGUAGE plpgsql AS $$
DECLARE
  nd int := (SELECT cardinality(f.dimensions) FROM dataeng.facts f WHERE f.name = fact);
BEGIN
  PERFORM dataeng.fact_refresh(fact);
  -- (the groups the fold held in memory for the C apply, src/aggregate/held.c,
  -- written to the table in the order the fold made them)
  PERFORM dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass);
  EXECUTE format('SELECT count(*), count(*) FILTER (WHERE by_place <> by_key) '
                 '  FROM (SELECT row_number() OVER (ORDER BY ctid) AS by_place, row_number() OVER (ORDER BY %s) AS by_key '
                 '          FROM pg_temp._dataeng_delta_raw WHERE NOT is_total) x',
                 (SELECT string_agg(format('k%s', o), ', ') FROM generate_series(0, nd) o))
    INTO groups, out_of_order;
  diff := fact_diff(fact::regclass, truth);
END $$;

-- 1. small dimensions (int4, int2 of negative values), day buckets: packed
CREATE TABLE fo_small (id int PRIMARY KEY, at timestamptz NOT NULL, d1 int4 NOT NULL, d2 int2 NOT NULL, v int);
INSERT INTO fo_small SELECT g, '2026-03-01'::timestamptz + (g % 7) * interval '1 day' + (g % 5) * interval '1 hour',
                            (g * 7) % 10, (g * 13) % 11 - 5, g FROM generate_series(1, 500) g;
SELECT dataeng.fact_create('fo_small_f', 'fo_small', 'at', 'day', ARRAY['d1', 'd2'], ARRAY['count(*)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS made;
UPDATE fo_small SET v = v + 1, d2 = -d2 WHERE id % 3 = 0;
DELETE FROM fo_small WHERE id % 11 = 0;
INSERT INTO fo_small SELECT g, '2026-02-20'::timestamptz + (g % 20) * interval '1 day', g % 10, -(g % 6), g
  FROM generate_series(501, 700) g;
BEGIN;
SELECT * FROM fo_refresh('fo_small_f', 'SELECT date_trunc(''day'', at) AS bucket, d1, d2, count(*) AS count, sum(v) AS sum_v FROM fo_small GROUP BY 1, 2, 3');
COMMIT;

-- 2. an int8 dimension from one end of its type to the other, with an
--    int4 one: more than 64 bits together, sorted as they are
CREATE TABLE fo_wide (id int PRIMARY KEY, at timestamptz NOT NULL, d1 int8 NOT NULL, d2 int4 NOT NULL, v int);
INSERT INTO fo_wide SELECT g, '2026-03-01'::timestamptz + (g % 3) * interval '1 day',
                           (ARRAY[-9223372036854775808, -4611686018427387904, -1, 0, 1, 4611686018427387904,
                                  9223372036854775807])[1 + g % 7], (ARRAY[-2147483648, 0, 2147483647])[1 + g % 3], g
  FROM generate_series(1, 200) g;
SELECT dataeng.fact_create('fo_wide_f', 'fo_wide', 'at', 'day', ARRAY['d1', 'd2'], ARRAY['count(*)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS made;
UPDATE fo_wide SET v = v * 2 WHERE id % 2 = 0;
INSERT INTO fo_wide SELECT g, '2026-03-05'::timestamptz, -g, g, g FROM generate_series(201, 230) g;
BEGIN;
SELECT * FROM fo_refresh('fo_wide_f', 'SELECT date_trunc(''day'', at) AS bucket, d1, d2, count(*) AS count, sum(v) AS sum_v FROM fo_wide GROUP BY 1, 2, 3');
COMMIT;

-- 3. a NULL dimension and a NULL bucket: sorted as they are, NULLs last
CREATE TABLE fo_null (id int PRIMARY KEY, at timestamptz, d1 int4, v int);
INSERT INTO fo_null SELECT g, CASE WHEN g % 9 = 0 THEN NULL ELSE '2026-03-01'::timestamptz + (g % 4) * interval '1 day' END,
                           CASE WHEN g % 5 = 0 THEN NULL ELSE g % 6 END, g FROM generate_series(1, 200) g;
SELECT dataeng.fact_create('fo_null_f', 'fo_null', 'at', 'day', ARRAY['d1'], ARRAY['count(*)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS made;
UPDATE fo_null SET v = v + 3 WHERE id % 4 = 0;
BEGIN;
SELECT * FROM fo_refresh('fo_null_f', 'SELECT date_trunc(''day'', at) AS bucket, d1, count(*) AS count, sum(v) AS sum_v FROM fo_null GROUP BY 1, 2');
COMMIT;

-- 4. no dimension; buckets of hours, and both infinities among them: the
--    bucket alone, divided by the greatest common divisor of its steps
CREATE TABLE fo_bucket (id int PRIMARY KEY, at timestamptz NOT NULL, v int);
INSERT INTO fo_bucket SELECT g, CASE g % 13 WHEN 0 THEN '-infinity' WHEN 1 THEN 'infinity'
                                 ELSE '2026-03-01'::timestamptz + (g % 40) * interval '1 hour' END, g
  FROM generate_series(1, 300) g;
SELECT dataeng.fact_create('fo_bucket_f', 'fo_bucket', 'at', 'hour', '{}', ARRAY['count(*)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS made;
UPDATE fo_bucket SET v = v + 1 WHERE id % 2 = 1;
BEGIN;
SELECT * FROM fo_refresh('fo_bucket_f', 'SELECT date_trunc(''hour'', at) AS bucket, count(*) AS count, sum(v) AS sum_v FROM fo_bucket GROUP BY 1');
COMMIT;
-- the same without the infinities: hours apart
DELETE FROM fo_bucket WHERE id % 13 IN (0, 1);
UPDATE fo_bucket SET v = v - 1 WHERE id % 5 = 0;
BEGIN;
SELECT * FROM fo_refresh('fo_bucket_f', 'SELECT date_trunc(''hour'', at) AS bucket, count(*) AS count, sum(v) AS sum_v FROM fo_bucket GROUP BY 1');
COMMIT;

-- 5. one group
UPDATE fo_small SET v = v + 1 WHERE id = 1;
BEGIN;
SELECT * FROM fo_refresh('fo_small_f', 'SELECT date_trunc(''day'', at) AS bucket, d1, d2, count(*) AS count, sum(v) AS sum_v FROM fo_small GROUP BY 1, 2, 3');
COMMIT;

SELECT count(dataeng.fact_drop(f)) AS dropped
  FROM unnest(ARRAY['fo_small_f', 'fo_wide_f', 'fo_null_f', 'fo_bucket_f']) f;
DROP FUNCTION fo_refresh, fact_diff;
DROP TABLE fo_small, fo_wide, fo_null, fo_bucket;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
