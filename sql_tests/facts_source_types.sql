-- A source column of a min or max measure that changed type after the fact
-- was made (ALTER TABLE ... TYPE): the refresh and fact_rebuild stop with a
-- clear error (42804) naming the way back, instead of failing inside the
-- refresh on the reserves kept in the old type.  Other measures are not
-- concerned (a sum of a column made bigint goes on).
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE TABLE fst_src (id int PRIMARY KEY, ts timestamptz NOT NULL, g text, a int, b int);
INSERT INTO fst_src SELECT i, '2026-03-01 10:00+00', 'x', i, i FROM generate_series(1, 5) i;
SELECT dataeng.fact_create('fst_max', 'fst_src', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'max(a)'], schedule => NULL);
SELECT dataeng.fact_create('fst_sum', 'fst_src', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'sum(b)'], schedule => NULL);
ALTER TABLE fst_src ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE bigint;
INSERT INTO fst_src VALUES (6, '2026-03-01 11:00+00', 'x', 5000000000, 6);
SELECT dataeng.fact_refresh('fst_max');
SELECT dataeng.fact_rebuild('fst_max');
-- the sum goes on
SELECT dataeng.fact_refresh('fst_sum') AS applied;
SELECT bucket, g, count, sum_b FROM fst_sum;
-- the way back: drop and create again
SELECT dataeng.fact_drop('fst_max');
SELECT dataeng.fact_create('fst_max', 'fst_src', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'max(a)'], schedule => NULL);
SELECT bucket, g, count, max_a FROM fst_max;
SELECT dataeng.fact_drop('fst_max');
SELECT dataeng.fact_drop('fst_sum');
DROP TABLE fst_src;
DROP EXTENSION dataeng;
