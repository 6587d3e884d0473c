-- count(DISTINCT) kept with per-value counts, applied by the C apply of
-- fact refreshes (dataeng_internal._fact_apply(), its side table written
-- in the same pass): rounds of random changes (a fixed seed), each refresh
-- compared with the GROUP BY row for row and said to run in C.  Two
-- count(DISTINCT)s (an integer with counts past 127, a text with NULLs)
-- beside counts, sums, min and max; one group of a few thousand values
-- (its chunks split when values come, joined when most go), groups
-- emptied and created, rows moved between groups and buckets.  Then a fact
-- of count(DISTINCT) alone, the values of a group all gone and back, and a
-- side table with a trigger (the SQL apply, the same result).
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

\i sql_tests/lib/fact_diff.sql

CREATE TABLE fcd (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, t text NOT NULL,
                  v int, w text, a int);
-- (two rows in five of the big group: day 1, g 0, t 'x'; value 7 one row in ten)
CREATE FUNCTION fcd_rows(first int, cnt int, vmax int) RETURNS SETOF fcd LANGUAGE sql AS $$
  SELECT i, CASE WHEN big THEN timestamptz '2025-01-01' ELSE timestamptz '2025-01-01' + (floor(random() * 3))::int * interval '1 day' END,
         CASE WHEN big THEN 0 ELSE (floor(random() * 3))::int END,
         CASE WHEN big THEN 'x' ELSE (ARRAY['x', 'y'])[1 + floor(random() * 2)::int] END,
         CASE WHEN random() < 0.1 THEN 7 WHEN random() < 0.05 THEN NULL ELSE floor(random() * vmax)::int END,
         CASE WHEN random() < 0.2 THEN NULL ELSE 'w' || floor(random() * 40)::int END,
         CASE WHEN random() < 0.1 THEN NULL ELSE floor(random() * 1000)::int END
    FROM generate_series(first, first + cnt - 1) i, LATERAL (SELECT random() < 0.4 + 0 * i AS big OFFSET 0) b
$$;
SELECT setseed(0.5);
INSERT INTO fcd SELECT * FROM fcd_rows(1, 6000, 3000);
SELECT dataeng.fact_create('fcd_f', 'fcd', 'ts', 'day', ARRAY['g', 't'],
                           ARRAY['count(*)', 'sum(a)', 'count(DISTINCT v)', 'min(a)', 'max(a)', 'count(DISTINCT w)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fcd_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, t, count(*) AS count, sum(a) AS sum_a, count(DISTINCT v) AS count_distinct_v,
         min(a) AS min_a, max(a) AS max_a, count(DISTINCT w) AS count_distinct_w
    FROM fcd GROUP BY 1, 2, 3;
SELECT fact_diff('fcd_f', 'SELECT * FROM fcd_truth') AS diff;
CREATE TABLE fcd_log (diff bigint, apply text);
-- the big group's values of v in several chunks, a count past 127
SELECT count(*) > 1 AS big_group_chunks FROM fcd_f_distinct WHERE __m = 3 AND g = 0 AND t = 'x'
   AND bucket = '2025-01-01';
SELECT max(c) > 127 AS count_past_127
  FROM fcd_f_distinct, unnest(dataeng_internal._fact_side_counts(__n)) c WHERE __m = 3;

-- one round: values changed (v, w and a, NULLs among them), rows moved to
-- other groups and buckets, rows deleted (a whole key value at times:
-- groups emptied), rows added (new groups, some in new buckets)
\set round 'UPDATE fcd SET v = CASE WHEN random() < 0.1 THEN 7 WHEN random() < 0.05 THEN NULL ELSE floor(random() * 3000)::int END, w = CASE WHEN random() < 0.2 THEN NULL ELSE \'w\' || floor(random() * 40)::int END, a = floor(random() * 1000)::int WHERE random() < 0.15; UPDATE fcd SET g = floor(random() * 4)::int, ts = ts + interval \'1 day\' WHERE random() < 0.05; DELETE FROM fcd WHERE random() < 0.05 OR (g = 3 AND random() < 0.5); INSERT INTO fcd SELECT * FROM fcd_rows((SELECT max(id) + 1 FROM fcd), floor(random() * 300)::int, 3000);'
\set refresh 'SELECT dataeng.fact_refresh(\'fcd_f\') >= 0 AS refreshed; INSERT INTO fcd_log SELECT fact_diff(\'fcd_f\', \'SELECT * FROM fcd_truth\'), dataeng_internal._fact_apply_last();'
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
-- most of the big group's rows gone (its chunks joined), then values it
-- never had (its chunks split again)
DELETE FROM fcd WHERE g = 0 AND t = 'x' AND ts = '2025-01-01' AND random() < 0.85;
:refresh
SELECT count(*) AS big_group_chunks_after_deletes FROM fcd_f_distinct WHERE __m = 3 AND g = 0 AND t = 'x'
   AND bucket = '2025-01-01';
INSERT INTO fcd SELECT i, '2025-01-01', 0, 'x', 3000 + (i % 1500), 'new' || (i % 7), i % 100
  FROM generate_series((SELECT max(id) + 1 FROM fcd), (SELECT max(id) + 3000 FROM fcd)) i;
:refresh
SELECT count(*) > 2 AS big_group_chunks_after_inserts FROM fcd_f_distinct WHERE __m = 3 AND g = 0 AND t = 'x'
   AND bucket = '2025-01-01';
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
-- every refresh equal to the GROUP BY, every one applied in C, with
-- updates, inserts and deletes among them
SELECT count(*) AS refreshes, count(*) FILTER (WHERE diff = 0) AS equal,
       count(*) FILTER (WHERE apply LIKE 'C:%') AS in_c FROM fcd_log;
SELECT bool_or(apply ~ '^C: [1-9][0-9]* updated') AS updated,
       bool_or(apply ~ ' [1-9][0-9]* inserted') AS inserted,
       bool_or(apply ~ ' [1-9][0-9]* deleted') AS deleted FROM fcd_log;
-- the side table holds each group's values and counts, sorted, no chunk
-- past its size, none empty
SELECT count(*) AS wrong_counts FROM (
  SELECT bucket, g, t, x.v, sum(x.n) AS n FROM fcd_f_distinct,
         unnest(__a3, dataeng_internal._fact_side_counts(__n)) x(v, n) WHERE __m = 3 GROUP BY 1, 2, 3, 4
  EXCEPT ALL
  SELECT date_trunc('day', ts), g, t, v, count(*) FROM fcd WHERE v IS NOT NULL GROUP BY 1, 2, 3, 4) e;
SELECT count(*) FILTER (WHERE __a3 <> ARRAY(SELECT u FROM unnest(__a3) u ORDER BY u)) AS unsorted,
       count(*) FILTER (WHERE __v3 <> __a3[1]) AS wrong_first,
       count(*) FILTER (WHERE cardinality(__a3) = 0) AS empty,
       count(*) FILTER (WHERE pg_column_size(__a3) + length(__n) > 5000) AS oversized
  FROM fcd_f_distinct WHERE __m = 3;

-- the unique index of one count(DISTINCT)'s values gone (w's): its side
-- is not written directly, so neither is the other's nor the fact's (the
-- apply writes nothing and says why: the SQL path, the same result); the
-- index made again, the C apply again
SELECT c.oid::regclass AS w_index FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'fcd_f_distinct'::regclass AND pg_get_indexdef(i.indexrelid) LIKE '%__v6%' \gset
DROP INDEX :w_index;
:round
:refresh
SELECT diff, apply FROM fcd_log ORDER BY ctid DESC LIMIT 1;
CREATE UNIQUE INDEX ON fcd_f_distinct (bucket, g, t, __v6) NULLS NOT DISTINCT WHERE __m = 6;
:round
:refresh
SELECT diff, apply LIKE 'C:%' AS in_c FROM fcd_log ORDER BY ctid DESC LIMIT 1;

-- count(DISTINCT) alone (no min/max): a group's values all gone, and back
CREATE TABLE fce (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, v int);
INSERT INTO fce SELECT i, '2025-02-01', i % 3, i % 50 FROM generate_series(1, 600) i;
SELECT dataeng.fact_create('fce_f', 'fce', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'count(DISTINCT v)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fce_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, count(*) AS count, count(DISTINCT v) AS count_distinct_v
    FROM fce GROUP BY 1, 2;
UPDATE fce SET v = NULL WHERE g = 1;
DELETE FROM fce WHERE g = 2;
INSERT INTO fce SELECT i, '2025-02-02', 5, i FROM generate_series(1000, 1200) i;
SELECT dataeng.fact_refresh('fce_f') > 0 AS refreshed;
SELECT fact_diff('fce_f', 'SELECT * FROM fce_truth') AS diff, dataeng_internal._fact_apply_last() LIKE 'C:%' AS in_c;
SELECT g, count(*) AS chunks FROM fce_f_distinct GROUP BY g ORDER BY g;
UPDATE fce SET v = id % 7 WHERE g = 1;
INSERT INTO fce SELECT i, '2025-02-01', 2, i % 3 FROM generate_series(2000, 2100) i;
SELECT dataeng.fact_refresh('fce_f') > 0 AS refreshed;
SELECT fact_diff('fce_f', 'SELECT * FROM fce_truth') AS diff, dataeng_internal._fact_apply_last() LIKE 'C:%' AS in_c;

-- a side table with a trigger: not written directly; the refresh applies
-- its per-value counts with SQL and the deltas with the MERGE, the same
-- result
CREATE FUNCTION fce_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER fce_side_noop BEFORE UPDATE ON fce_f_distinct FOR EACH ROW EXECUTE FUNCTION fce_noop();
UPDATE fce SET v = v + 100 WHERE id % 4 = 0;
DELETE FROM fce WHERE id % 9 = 0;
SELECT dataeng.fact_refresh('fce_f') > 0 AS refreshed;
SELECT fact_diff('fce_f', 'SELECT * FROM fce_truth') AS diff, dataeng_internal._fact_apply_last() AS apply;
-- (written directly again once the trigger is gone and the table vacuumed:
-- its relhastriggers stays set until then)
DROP TRIGGER fce_side_noop ON fce_f_distinct;
VACUUM fce_f_distinct;
UPDATE fce SET v = v - 100 WHERE id % 4 = 0;
SELECT dataeng.fact_refresh('fce_f') > 0 AS refreshed;
SELECT fact_diff('fce_f', 'SELECT * FROM fce_truth') AS diff, dataeng_internal._fact_apply_last() LIKE 'C:%' AS in_c;


-- the unique index of the values made again with another predicate (of no
-- measure): the rows the apply writes are not in it, so it is not the
-- measure's index (not written directly); the index made right, C again,
-- and no group's chunks written twice
SELECT c.oid::regclass AS v_index FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'fce_f_distinct'::regclass \gset
DROP INDEX :v_index;
CREATE UNIQUE INDEX fce_wrong_pred ON fce_f_distinct (bucket, g, __v2) NULLS NOT DISTINCT WHERE __m = 7;
SELECT dataeng_internal._fact_side_apply_reason('fce_f_distinct', 2) AS reason;
DROP INDEX fce_wrong_pred;
CREATE UNIQUE INDEX ON fce_f_distinct (bucket, g, __v2) NULLS NOT DISTINCT WHERE __m = 2;
INSERT INTO fce SELECT i, '2025-02-01', 1, i % 7 FROM generate_series(3000, 3050) i;
SELECT dataeng.fact_refresh('fce_f') > 0 AS refreshed;
SELECT fact_diff('fce_f', 'SELECT * FROM fce_truth') AS diff, dataeng_internal._fact_apply_last() LIKE 'C:%' AS in_c;
SELECT count(*) AS chunks_twice FROM (SELECT bucket, g, __v2 FROM fce_f_distinct GROUP BY 1, 2, 3 HAVING count(*) > 1) x;

SELECT dataeng.fact_drop('fce_f');
SELECT dataeng.fact_drop('fcd_f');
DROP VIEW fcd_truth, fce_truth;
DROP FUNCTION fcd_rows(int, int, int), fce_noop(), fact_diff(regclass, text);
DROP TABLE fcd, fce, fcd_log;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
