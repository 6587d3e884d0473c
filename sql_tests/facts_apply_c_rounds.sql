-- The C apply of fact refreshes (dataeng_internal._fact_apply()) over many
-- rounds of random changes (a fixed seed), each refresh compared with the
-- GROUP BY row for row and said to run in C: keys of four types at once
-- (integer, text under a case-insensitive nondeterministic collation,
-- numeric of several scales, float8 with -0 and NaN), sums crossing zero,
-- NULL measures, numeric measures of several scales, averages, groups
-- emptied and created, rows moved between buckets; the fact's table with an
-- expression index, a partial index, an index on a measure (updates not
-- HOT) and a CHECK constraint, each index read through at the end.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

\i sql_tests/lib/fact_diff.sql

CREATE COLLATION far_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE far (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, t text COLLATE far_ci NOT NULL,
                  n numeric NOT NULL, f float8 NOT NULL, a int, b numeric, c bigint);
CREATE FUNCTION far_rows(first int, cnt int) RETURNS SETOF far LANGUAGE sql AS $$
  SELECT i, timestamptz '2025-01-01' + (floor(random() * 6))::int * interval '1 day', (floor(random() * 3))::int,
         (ARRAY['x', 'X', 'y', 'Y'])[1 + floor(random() * 4)::int],
         (ARRAY[1, 1.0, 1.00, 2.5, 2.50])[1 + floor(random() * 5)::int],
         (ARRAY[0, '-0', 'NaN', 1.5])[1 + floor(random() * 4)::int]::float8,
         CASE WHEN random() < 0.2 THEN NULL ELSE floor(random() * 21)::int - 10 END,
         CASE WHEN random() < 0.3 THEN NULL ELSE round((random() * 20 - 10)::numeric, floor(random() * 4)::int) END,
         CASE WHEN random() < 0.5 THEN NULL ELSE floor(random() * 2001)::bigint - 1000 END
    FROM generate_series(first, first + cnt - 1) i
$$;
SELECT setseed(0.25);
INSERT INTO far SELECT * FROM far_rows(1, 300);
SELECT dataeng.fact_create('far_f', 'far', 'ts', 'day', ARRAY['g', 't', 'n', 'f'],
                           ARRAY['count(*)', 'sum(a)', 'sum(b)', 'avg(b)', 'count(c)', 'sum(c)', 'avg(a)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW far_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, t, n, f, count(*) AS count, sum(a) AS sum_a, sum(b) AS sum_b,
         avg(b) AS avg_b, count(c) AS count_c, sum(c) AS sum_c, avg(a) AS avg_a
    FROM far GROUP BY 1, 2, 3, 4, 5;
SELECT fact_diff('far_f', 'SELECT * FROM far_truth') AS diff;
CREATE INDEX far_lower ON far_f_data (lower(t));
CREATE INDEX far_part ON far_f_data ((sum_a % 3)) WHERE count > 2;
CREATE INDEX far_cnt ON far_f_data (count);
ALTER TABLE far_f_data ADD CONSTRAINT far_rows_positive CHECK (__rows > 0);
CREATE TABLE far_log (diff bigint, apply text);

-- one round: values changed (sums crossing zero, NULLs), rows moved to
-- other groups and buckets, rows deleted (a whole key value at times:
-- groups emptied), rows added (new groups, some in new buckets)
\set round 'UPDATE far SET a = CASE WHEN random() < 0.2 THEN NULL ELSE floor(random() * 21)::int - 10 END, b = CASE WHEN random() < 0.3 THEN NULL ELSE round((random() * 20 - 10)::numeric, floor(random() * 4)::int) END, c = CASE WHEN random() < 0.5 THEN NULL ELSE floor(random() * 2001)::bigint - 1000 END WHERE random() < 0.15; UPDATE far SET g = floor(random() * 4)::int, ts = ts + interval \'1 day\' WHERE random() < 0.05; DELETE FROM far WHERE random() < 0.05 OR (g = floor(random() * 6)::int AND f = 1.5); INSERT INTO far SELECT * FROM far_rows((SELECT max(id) + 1 FROM far), floor(random() * 30)::int);'
\set refresh 'SELECT dataeng.fact_refresh(\'far_f\') >= 0 AS refreshed; INSERT INTO far_log SELECT fact_diff(\'far_f\', \'SELECT * FROM far_truth\'), dataeng_internal._fact_apply_last();'
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
:round
:refresh
-- every refresh equal to the GROUP BY, every one applied in C, with
-- updates (HOT and not), inserts and deletes among them
SELECT count(*) AS refreshes, count(*) FILTER (WHERE diff = 0) AS equal,
       count(*) FILTER (WHERE apply LIKE 'C:%') AS in_c FROM far_log;
SELECT bool_or(apply ~ '^C: [1-9][0-9]* updated') AS updated,
       bool_or(apply ~ '\([1-9][0-9]* HOT\)') AS hot,
       bool_or(apply ~ ' [1-9][0-9]* inserted') AS inserted,
       bool_or(apply ~ ' [1-9][0-9]* deleted') AS deleted FROM far_log;
-- each index of the fact's table holds every row it should
SET enable_seqscan = off;
SET enable_bitmapscan = off;
-- (the counts themselves follow the heap's order, which the rounds' random
-- choices read: compared, not shown)
CREATE TEMP TABLE far_ix AS
SELECT (SELECT count(*) FROM far_f_data WHERE lower(t) IN ('x', 'y')) AS by_lower,
       (SELECT count(*) FROM far_f_data WHERE count >= 0) AS by_count,
       (SELECT count(*) FROM far_f_data WHERE count > 2 AND sum_a % 3 IN (-2, -1, 0, 1, 2)) AS by_partial;
RESET enable_seqscan;
RESET enable_bitmapscan;
SELECT i.by_lower = s.lower_rows AS lower_index_whole, i.by_count = s.rows AS count_index_whole,
       i.by_partial = s.partial_rows AS partial_index_whole, s.rows > 100 AS many_rows, s.partial_rows > 0 AS some_partial
  FROM far_ix i,
       (SELECT count(*) AS rows, count(*) FILTER (WHERE lower(t) IN ('x', 'y')) AS lower_rows,
               count(*) FILTER (WHERE count > 2 AND sum_a IS NOT NULL) AS partial_rows FROM far_f_data) s;
DROP TABLE far_ix;
SELECT dataeng.fact_rebuild('far_f') >= 0 AS rebuilt;
SELECT fact_diff('far_f', 'SELECT * FROM far_truth') AS diff_after_rebuild;

-- the deltas read a part at a time when they take more memory than
-- maintenance_work_mem (or work_mem times hash_mem_multiplier if larger):
-- several parts, each sorted and walked from the index's root, the same
-- result
CREATE TABLE fam (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, t text NOT NULL, a int, b numeric);
INSERT INTO fam SELECT i, timestamptz '2025-01-01' + (i % 3) * interval '1 day', i % 5000, 'key ' || (i % 7), i, i / 3.0
  FROM generate_series(1, 20000) i;
SELECT dataeng.fact_create('fam_f', 'fam', 'ts', 'day', ARRAY['g', 't'], ARRAY['count(*)', 'sum(a)', 'avg(b)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fam_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, t, count(*) AS count, sum(a) AS sum_a, avg(b) AS avg_b FROM fam GROUP BY 1, 2, 3;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SET maintenance_work_mem = '1MB';
UPDATE fam SET a = -a, b = b + 1 WHERE id % 5 <> 0;
DELETE FROM fam WHERE id % 11 = 0;
INSERT INTO fam SELECT i, timestamptz '2025-01-05', i % 900, 'new', i, NULL FROM generate_series(30000, 31000) i;
SELECT dataeng.fact_refresh('fam_f') > 0 AS refreshed;
SELECT fact_diff('fam_f', 'SELECT * FROM fam_truth') AS diff,
       dataeng_internal._fact_apply_last() ~ '^C: .*, in [0-9]+ parts$' AS in_parts;
RESET work_mem;
RESET hash_mem_multiplier;
RESET maintenance_work_mem;
UPDATE fam SET a = a + 1 WHERE id % 3 = 0;
SELECT dataeng.fact_refresh('fam_f') > 0 AS refreshed;
SELECT fact_diff('fam_f', 'SELECT * FROM fam_truth') AS diff,
       dataeng_internal._fact_apply_last() ~ '^C: [0-9]+ updated \([0-9]+ HOT\), [0-9]+ inserted, [0-9]+ deleted$' AS in_one_part;
SELECT dataeng.fact_drop('fam_f');
DROP VIEW fam_truth;
DROP TABLE fam;

SELECT dataeng.fact_drop('far_f');
DROP VIEW far_truth;
DROP FUNCTION far_rows(int, int), fact_diff(regclass, text);
DROP TABLE far, far_log;
DROP COLLATION far_ci;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
