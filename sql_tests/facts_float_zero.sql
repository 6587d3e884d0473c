-- Float 0 and -0 in a fact: equal, as GROUP BY takes them (float
-- equality), so one group, never two: dimensions of float8 and float4
-- holding both, count(DISTINCT) of a float counting them as one value,
-- min/max and sums of them, through inserts, updates between the two,
-- deletes and a rebuild; each step equal to the GROUP BY row for row (the
-- same groups, the same measures, compared by the types' equality).  The
-- sign a fact shows is another matter: the change log holds 0 for -0
-- (jsonb numbers have no -0, docs/cdc.md, Limits).  A fact whose refresh
-- recomputes the groups it touches from the table (a float sum among its
-- measures) shows the sign the GROUP BY shows; one that applies the
-- log's values (counts, min/max kept with a reserve) shows a group it
-- made from the log with its float dimension 0, and may show a min/max 0
-- where the GROUP BY shows -0, until a rebuild reads the table.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
\i sql_tests/lib/fact_diff.sql

CREATE TABLE fz (id int PRIMARY KEY, at timestamptz NOT NULL, f float8, r float4, v float8, n int);
INSERT INTO fz VALUES (1, '2026-01-01', 0, 0, 0, 1), (2, '2026-01-01', '-0', '-0', '-0', 2),
                      (3, '2026-01-01', 1, '-0', 1, 3), (4, '2026-01-02', '-0', 0, '-0', 4);
SELECT dataeng.fact_create('fz_f', 'fz', 'at', 'day', ARRAY['f', 'r'],
                           ARRAY['count(*)', 'sum(n)', 'count(DISTINCT v)', 'min(v)', 'max(v)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fz_truth AS
  SELECT date_trunc('day', at) AS bucket, f, r, count(*) AS count, sum(n) AS sum_n,
         count(DISTINCT v) AS count_distinct_v, min(v) AS min_v, max(v) AS max_v, sum(v) AS sum_v
    FROM fz GROUP BY 1, 2, 3;
-- one group per bucket and zero, as GROUP BY has
SELECT bucket, f = 0 AS f_zero, r = 0 AS r_zero, count, sum_n, count_distinct_v FROM fz_f ORDER BY 1, 2, 3;
SELECT fact_diff('fz_f', 'SELECT * FROM fz_truth') AS diff;
-- rows coming with the other zero, moving between them, going
INSERT INTO fz VALUES (5, '2026-01-01', '-0', 0, 0, 5), (6, '2026-01-02', 0, '-0', 0, 6),
                      (7, '2026-01-03', '-0', '-0', '-0', 7);
SELECT dataeng.fact_refresh('fz_f') > 0 AS refreshed, fact_diff('fz_f', 'SELECT * FROM fz_truth') AS diff;
UPDATE fz SET f = -f, r = -r, v = -v WHERE id IN (1, 2, 4);
SELECT dataeng.fact_refresh('fz_f') > 0 AS refreshed, fact_diff('fz_f', 'SELECT * FROM fz_truth') AS diff;
DELETE FROM fz WHERE id IN (1, 6);
SELECT dataeng.fact_refresh('fz_f') > 0 AS refreshed, fact_diff('fz_f', 'SELECT * FROM fz_truth') AS diff;
SELECT bucket, f = 0 AS f_zero, r = 0 AS r_zero, count, sum_n, count_distinct_v FROM fz_f ORDER BY 1, 2, 3;
SELECT count(*) AS groups, count(DISTINCT (bucket, f, r)) AS distinct_keys FROM fz_f;
-- the sign shown: the group made from the log (bucket 2026-01-03, every
-- row -0) shows 0, where the GROUP BY shows -0; a rebuild reads the table
SELECT bucket, f::text, r::text, min_v::text, max_v::text FROM fz_f WHERE bucket = '2026-01-03';
SELECT bucket, f::text, r::text, min_v::text, max_v::text FROM fz_truth WHERE bucket = '2026-01-03';
SELECT dataeng.fact_rebuild('fz_f') > 0 AS rebuilt, fact_diff('fz_f', 'SELECT * FROM fz_truth') AS diff;
SELECT bucket, f::text, r::text, min_v::text, max_v::text FROM fz_f WHERE bucket = '2026-01-03';


-- counts and min/max only: the log's 0 for -0
CREATE TABLE fy (id int PRIMARY KEY, at timestamptz NOT NULL, f float8, v float8);
INSERT INTO fy VALUES (1, '2026-01-01', 0, 0), (2, '2026-01-01', '-0', 1);
SELECT dataeng.fact_create('fy_f', 'fy', 'at', 'day', ARRAY['f'], ARRAY['count(*)', 'min(v)', 'max(v)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fy_truth AS
  SELECT date_trunc('day', at) AS bucket, f, count(*) AS count, min(v) AS min_v, max(v) AS max_v
    FROM fy GROUP BY 1, 2;
INSERT INTO fy VALUES (3, '2026-01-01', '-0', '-0'), (4, '2026-01-02', '-0', '-0');
DELETE FROM fy WHERE id = 1;
SELECT dataeng.fact_refresh('fy_f') > 0 AS refreshed, fact_diff('fy_f', 'SELECT * FROM fy_truth') AS diff;
SELECT bucket, f::text, count, min_v::text, max_v::text FROM fy_f ORDER BY 1;
SELECT bucket, f::text, count, min_v::text, max_v::text FROM fy_truth ORDER BY 1;
SELECT dataeng.fact_rebuild('fy_f') > 0 AS rebuilt, fact_diff('fy_f', 'SELECT * FROM fy_truth') AS diff;
SELECT bucket, f::text, count, min_v::text, max_v::text FROM fy_f ORDER BY 1;

-- the other way: the fact shows -0 where the GROUP BY shows 0.  Its
-- group holds -0 and 0 (the dimension shows the first row's -0, min(v)
-- keeps both in its reserve); the -0 row deleted, the log says 0 went, so
-- the reserve lets a 0 go and keeps -0: the fact shows -0 for f and
-- min(v), the GROUP BY 0 for both, equal as numbers, until a rebuild
CREATE TABLE fx (id int PRIMARY KEY, at timestamptz NOT NULL, f float8, v float8);
INSERT INTO fx VALUES (1, '2026-01-01', '-0', '-0'), (2, '2026-01-01', 0, 0), (3, '2026-01-01', 0, 5);
SELECT dataeng.fact_create('fx_f', 'fx', 'at', 'day', ARRAY['f'], ARRAY['count(*)', 'min(v)', 'max(v)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fx_truth AS
  SELECT date_trunc('day', at) AS bucket, f, count(*) AS count, min(v) AS min_v, max(v) AS max_v
    FROM fx GROUP BY 1, 2;
DELETE FROM fx WHERE id = 1;
SELECT dataeng.fact_refresh('fx_f') > 0 AS refreshed, fact_diff('fx_f', 'SELECT * FROM fx_truth') AS diff;
SELECT bucket, f::text, count, min_v::text, max_v::text FROM fx_f ORDER BY 1;
SELECT bucket, f::text, count, min_v::text, max_v::text FROM fx_truth ORDER BY 1;
SELECT dataeng.fact_rebuild('fx_f') >= 0 AS rebuilt, fact_diff('fx_f', 'SELECT * FROM fx_truth') AS diff;
SELECT bucket, f::text, count, min_v::text, max_v::text FROM fx_f ORDER BY 1;

SELECT dataeng.fact_drop('fz_f'), dataeng.fact_drop('fy_f'), dataeng.fact_drop('fx_f');
DROP VIEW fz_truth, fy_truth, fx_truth;
DROP TABLE fz, fy, fx;
DROP FUNCTION fact_diff(regclass, text);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
