-- DDL on a fact's source while changes are pending.
--   * A column's type changed so that the fact cannot take the changes
--     captured before (they hold values of the old type) or the fact's
--     columns cannot hold what the source now gives: a dimension of
--     another type (text to int USING length(...): 'Oslo' read as an int
--     made every refresh, and fact_rebuild, fail; the fact's text column
--     then met int values), count(DISTINCT) of another type (its side
--     table), a sum of int made numeric (the fact keeps it as bigint).
--     fact_refresh and fact_rebuild stop with 42804 naming the column and
--     the way out (drop the fact and create it again), which works.
--   * A change that reads the changes captured before as they were (sum
--     of int made bigint): they apply, the fact equal to its GROUP BY.
--   * DDL that changes nothing the fact reads: a column it does not read
--     dropped, the table renamed or moved to another schema, its key's
--     type widened (a dimension over it follows as its hint says): the
--     refreshes go on, the fact and the dimension equal to the source.
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE fd_src (id int PRIMARY KEY, ts timestamptz NOT NULL, city text, a int, v varchar(5));
INSERT INTO fd_src VALUES (1, '2026-03-01 10:00+00', 'Paris', 1, 'ab'), (2, '2026-03-01 10:00+00', 'Rome', 2, 'cd');
SELECT dataeng.fact_create('fd_city', 'fd_src', 'ts', 'day', ARRAY['city'], ARRAY['count(*)', 'sum(a)'], schedule => NULL);
SELECT dataeng.fact_create('fd_dist', 'fd_src', 'ts', 'day', '{}', ARRAY['count(*)', 'count(DISTINCT v)'], schedule => NULL);
SELECT dataeng.fact_create('fd_sum', 'fd_src', 'ts', 'day', '{}', ARRAY['count(*)', 'sum(a)'], schedule => NULL);

-- 1. a dimension's column text to int, with a change pending
INSERT INTO fd_src VALUES (3, '2026-03-01 11:00+00', 'Oslo', 3, 'ef');
ALTER TABLE fd_src ALTER COLUMN city TYPE int USING length(city);
SELECT dataeng.fact_refresh('fd_city');
SELECT dataeng.fact_rebuild('fd_city');
-- the way out the hint gives
SELECT dataeng.fact_drop('fd_city');
SELECT dataeng.fact_create('fd_city', 'fd_src', 'ts', 'day', ARRAY['city'], ARRAY['count(*)', 'sum(a)'], schedule => NULL);
INSERT INTO fd_src VALUES (4, '2026-03-01 12:00+00', 9, 4, 'gh');
SELECT dataeng.fact_refresh('fd_city') AS applied;
SELECT bucket, city, count, sum_a FROM fd_city
EXCEPT SELECT date_trunc('day', ts), city, count(*), sum(a) FROM fd_src GROUP BY 1, 2;

-- 2. a sum of int made bigint, with changes pending captured as int: they
-- apply
UPDATE fd_src SET a = 10 WHERE id = 1;
ALTER TABLE fd_src ALTER COLUMN a TYPE bigint;
INSERT INTO fd_src VALUES (5, '2026-03-01 12:00+00', 5, 5000000000, 'ij');
SELECT dataeng.fact_refresh('fd_sum') AS applied;
SELECT count, sum_a, (SELECT sum(a) FROM fd_src) AS source_sum FROM fd_sum;

-- 3. count(DISTINCT) of varchar(5) made text: its side table keeps varchar
ALTER TABLE fd_src ALTER COLUMN v TYPE text;
SELECT dataeng.fact_refresh('fd_dist');
SELECT dataeng.fact_drop('fd_dist');
SELECT dataeng.fact_create('fd_dist', 'fd_src', 'ts', 'day', '{}', ARRAY['count(*)', 'count(DISTINCT v)'], schedule => NULL);
SELECT count, count_distinct_v FROM fd_dist;

-- 4. a sum of int made numeric: the fact keeps its sums as bigint, which
-- would round the new values: stops
CREATE TABLE fd_src2 (id int PRIMARY KEY, ts timestamptz NOT NULL, a int);
INSERT INTO fd_src2 VALUES (1, '2026-03-01 10:00+00', 1);
SELECT dataeng.fact_create('fd_sum2', 'fd_src2', 'ts', 'day', '{}', ARRAY['count(*)', 'sum(a)'], schedule => NULL);
UPDATE fd_src2 SET a = 2;
ALTER TABLE fd_src2 ALTER COLUMN a TYPE numeric;
SELECT dataeng.fact_refresh('fd_sum2');

-- 5. DDL that changes nothing the fact reads: a column dropped, the table
-- renamed, moved to another schema, its key widened (the dimension over it
-- follows as its hint says)
CREATE TABLE fd_p (id int PRIMARY KEY, ts timestamptz NOT NULL, g text, a int, junk text);
INSERT INTO fd_p VALUES (1, '2026-03-01 10:00+00', 'x', 1, 'j');
SELECT dataeng.fact_create('fd_pf', 'fd_p', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'sum(a)', 'max(a)'], schedule => NULL);
SELECT dataeng.dimension_create('fd_pd', 'fd_p', 'id', ARRAY['g', 'a'], 2, NULL);
CREATE SCHEMA fd_s2;
CREATE FUNCTION fd_check() RETURNS TABLE (what text, n bigint) LANGUAGE plpgsql AS $$
DECLARE src regclass := (SELECT source FROM dataeng.facts WHERE name = 'fd_pf');
BEGIN
  RETURN QUERY EXECUTE format(
    'SELECT ''fact rows not in the GROUP BY'', count(*) FROM (SELECT bucket, g, count, sum_a, max_a FROM fd_pf
       EXCEPT SELECT date_trunc(''day'', ts), g, count(*), sum(a), max(a) FROM %1$s GROUP BY 1, 2) x
     UNION ALL SELECT ''source rows not current in the dimension'', count(*) FROM (SELECT id, g, a FROM %1$s
       EXCEPT SELECT id, g, a FROM fd_pd WHERE is_current) y', src);
END $$;
INSERT INTO fd_p VALUES (2, '2026-03-01 10:00+00', 'y', 2, 'k');
ALTER TABLE fd_p DROP COLUMN junk;
INSERT INTO fd_p VALUES (3, '2026-03-01 10:00+00', 'y', 3);
SELECT dataeng.fact_refresh('fd_pf') AS fact, dataeng.dimension_refresh('fd_pd') AS dim;
ALTER TABLE fd_p RENAME TO fd_p2;
INSERT INTO fd_p2 VALUES (4, '2026-03-01 10:00+00', 'y', 4);
SELECT dataeng.fact_refresh('fd_pf') AS fact, dataeng.dimension_refresh('fd_pd') AS dim;
ALTER TABLE fd_p2 SET SCHEMA fd_s2;
UPDATE fd_s2.fd_p2 SET a = 40 WHERE id = 4;
SELECT dataeng.fact_refresh('fd_pf') AS fact, dataeng.dimension_refresh('fd_pd') AS dim;
SELECT name, source FROM dataeng.facts WHERE name = 'fd_pf';
SELECT * FROM fd_check();
-- the source's names are recorded as the catalog holds them, unquoted (a
-- quoted spelling depends on the keywords the server reserves): followed
-- through renames to a reserved keyword and to a name with capitals
ALTER TABLE fd_s2.fd_p2 RENAME TO "select";
ALTER SCHEMA fd_s2 RENAME TO "Fd S2";
SELECT 'fact' AS kind, source_schema, source_table, source_dropped FROM dataeng_internal.fact_defs WHERE name = 'fd_pf'
UNION ALL SELECT 'dimension', source_schema, source_table, source_dropped FROM dataeng_internal.dimension_defs WHERE name = 'fd_pd';
SELECT dataeng.fact_refresh('fd_pf') AS fact, dataeng.dimension_refresh('fd_pd') AS dim;
ALTER SCHEMA "Fd S2" RENAME TO fd_s2;
ALTER TABLE fd_s2."select" RENAME TO fd_p2;
SELECT 'fact' AS kind, source_schema, source_table, source_dropped FROM dataeng_internal.fact_defs WHERE name = 'fd_pf'
UNION ALL SELECT 'dimension', source_schema, source_table, source_dropped FROM dataeng_internal.dimension_defs WHERE name = 'fd_pd';
INSERT INTO fd_s2.fd_p2 VALUES (5, '2026-03-01 10:00+00', 'y', 5);
UPDATE fd_s2.fd_p2 SET g = 'z' WHERE id = 1;
ALTER TABLE fd_s2.fd_p2 ALTER COLUMN id TYPE bigint;
SELECT dataeng.dimension_refresh('fd_pd');
ALTER TABLE fd_pd ALTER COLUMN id TYPE bigint;
SELECT dataeng.fact_refresh('fd_pf') AS fact, dataeng.dimension_refresh('fd_pd') AS dim;
SELECT * FROM fd_check();
SELECT id, g, a, is_current FROM fd_pd WHERE id IN (1, 4) ORDER BY fd_pd_sk;

-- The time column made text: fact_refresh and fact_rebuild stop with 42804
-- naming the column, its type and the way out (before: "time column "at"
-- is of type text" from inside the fold, and "a bucket is of a timestamptz,
-- timestamp or date, not of type text" from inside the rebuild's GROUP BY,
-- neither with detail or hint); the column made a timestamptz again, the
-- change captured meanwhile applies.
CREATE TABLE fd_tt (id int PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO fd_tt VALUES (1, '2026-01-01 10:00+00');
SELECT dataeng.fact_create('fd_ttf', 'fd_tt', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL);
ALTER TABLE fd_tt ALTER COLUMN at TYPE text;
INSERT INTO fd_tt VALUES (2, '2026-01-02 10:00+00');
SELECT dataeng.fact_refresh('fd_ttf');
SELECT dataeng.fact_rebuild('fd_ttf');
ALTER TABLE fd_tt ALTER COLUMN at TYPE timestamptz USING at::timestamptz;
SELECT dataeng.fact_refresh('fd_ttf');
SELECT bucket AT TIME ZONE 'UTC' AS bucket, count FROM fd_ttf ORDER BY 1;
-- and fact_create names the types a time column may have
SELECT dataeng.fact_create('fd_bad', 'fd_tt', 'id', 'day', '{}', ARRAY['count(*)'], schedule => NULL);

SELECT dataeng.fact_drop(name) FROM dataeng.facts ORDER BY name;
SELECT dataeng.dimension_drop('fd_pd');
DROP FUNCTION fd_check;
DROP TABLE fd_src, fd_src2, fd_s2.fd_p2, fd_tt;
DROP SCHEMA fd_s2;
DROP EXTENSION dataeng CASCADE;
