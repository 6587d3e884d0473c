-- The C apply of fact refreshes (dataeng_internal._fact_apply()) for min
-- and max kept with reserves, over many rounds of random changes (a fixed
-- seed), each refresh compared with the GROUP BY row for row and said to
-- run in C: min and max of int, numeric, date, text of collation "C" and
-- text of the default collation (values of types fixed in length and of
-- varying length), NULL values, groups of about 40 rows (more than a
-- reserve's 16 values) whose least values are deleted so that reserves
-- run out and groups are recomputed after the apply, groups emptied and
-- created, rows moved between groups and buckets; then the deltas read a
-- part at a time, the same result.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

\i sql_tests/lib/fact_diff.sql

CREATE TABLE fx (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int, n numeric(8,2), d date,
                 t text COLLATE "C", u text);
CREATE FUNCTION fx_rows(first int, cnt int, groups int) RETURNS SETOF fx LANGUAGE sql AS $$
  SELECT i, timestamptz '2025-01-01' + (floor(random() * 2))::int * interval '1 day', (floor(random() * groups))::int,
         CASE WHEN random() < 0.1 THEN NULL ELSE floor(random() * 2001)::int - 1000 END,
         CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 200 - 100)::numeric, 2) END,
         CASE WHEN random() < 0.1 THEN NULL ELSE date '2020-01-01' + floor(random() * 3000)::int END,
         CASE WHEN random() < 0.1 THEN NULL ELSE (ARRAY['a', 'B', 'c', 'D', ''])[1 + floor(random() * 5)::int]
                                                 || floor(random() * 1000)::int END,
         CASE WHEN random() < 0.1 THEN NULL ELSE 'v' || lpad(floor(random() * 100000)::int::text, 6, '0') END
    FROM generate_series(first, first + cnt - 1) i
$$;
SELECT setseed(0.5);
INSERT INTO fx SELECT * FROM fx_rows(1, 240, 3);
SELECT dataeng.fact_create('fx_f', 'fx', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'min(a)', 'max(a)', 'sum(a)', 'min(n)', 'max(n)', 'min(d)', 'max(d)',
                                 'min(t)', 'max(t)', 'min(u)', 'max(u)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fx_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, count(*) AS count, min(a) AS min_a, max(a) AS max_a, sum(a) AS sum_a,
         min(n) AS min_n, max(n) AS max_n, min(d) AS min_d, max(d) AS max_d, min(t) AS min_t, max(t) AS max_t,
         min(u) AS min_u, max(u) AS max_u
    FROM fx GROUP BY 1, 2;
SELECT fact_diff('fx_f', 'SELECT * FROM fx_truth') AS diff;
CREATE TABLE fx_log (diff bigint, apply text, path text);

-- one round: values changed (NULLs among them), rows moved to other groups
-- and buckets, rows deleted (the least and greatest values of a group
-- among them: its reserves run out at times), rows added (new groups)
\set round 'UPDATE fx SET a = CASE WHEN random() < 0.1 THEN NULL ELSE floor(random() * 2001)::int - 1000 END, n = round((random() * 200 - 100)::numeric, 2), u = \'w\' || floor(random() * 1000)::int WHERE random() < 0.1; UPDATE fx SET g = floor(random() * 4)::int, ts = ts + interval \'1 day\' WHERE random() < 0.04; DELETE FROM fx WHERE id IN (SELECT id FROM fx WHERE g = floor(random() * 3)::int ORDER BY a NULLS LAST LIMIT 6) OR id IN (SELECT id FROM fx WHERE g = floor(random() * 3)::int ORDER BY t DESC NULLS LAST LIMIT 6) OR random() < 0.03; INSERT INTO fx SELECT * FROM fx_rows((SELECT max(id) + 1 FROM fx), 5 + floor(random() * 20)::int, 4);'
\set refresh 'SELECT dataeng.fact_refresh(\'fx_f\') >= 0 AS refreshed; INSERT INTO fx_log SELECT fact_diff(\'fx_f\', \'SELECT * FROM fx_truth\'), dataeng_internal._fact_apply_last(), f.last_refresh_path FROM dataeng.facts f WHERE f.name = \'fx_f\';'
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
-- every refresh equal to the GROUP BY, every one applied in C, with groups
-- recomputed after some (their reserves ran out), updates, inserts and
-- deletes among them
SELECT count(*) AS refreshes, count(*) FILTER (WHERE diff = 0) AS equal,
       count(*) FILTER (WHERE apply LIKE 'C:%') AS in_c,
       count(*) FILTER (WHERE path ~ 'recomputed') > 0 AS some_recomputed FROM fx_log;
SELECT bool_or(apply ~ '^C: [1-9][0-9]* updated') AS updated,
       bool_or(apply ~ ' [1-9][0-9]* inserted') AS inserted,
       bool_or(apply ~ ' [1-9][0-9]* deleted') AS deleted FROM fx_log;
SELECT dataeng.fact_rebuild('fx_f') >= 0 AS rebuilt;
SELECT fact_diff('fx_f', 'SELECT * FROM fx_truth') AS diff_after_rebuild;

-- the deltas (with their lists of values) read a part at a time when they
-- take more memory than maintenance_work_mem (or work_mem times
-- hash_mem_multiplier if larger): the same result
TRUNCATE fx_log;
INSERT INTO fx SELECT * FROM fx_rows((SELECT max(id) + 1 FROM fx), 20000, 5000);
SELECT dataeng.fact_refresh('fx_f') > 0 AS refreshed;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SET maintenance_work_mem = '1MB';
UPDATE fx SET a = -a, t = t || 'x' WHERE id % 5 <> 0;
DELETE FROM fx WHERE id % 11 = 0;
SELECT dataeng.fact_refresh('fx_f') > 0 AS refreshed;
SELECT fact_diff('fx_f', 'SELECT * FROM fx_truth') AS diff,
       dataeng_internal._fact_apply_last() ~ '^C: .*, in [0-9]+ parts$' AS in_parts;
RESET work_mem;
RESET hash_mem_multiplier;
RESET maintenance_work_mem;

SELECT dataeng.fact_drop('fx_f');
DROP VIEW fx_truth;
DROP FUNCTION fx_rows(int, int, int), fact_diff(regclass, text);
DROP TABLE fx, fx_log;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
