-- The apply of a refresh's group deltas in C (src/aggregate/fact_apply.c,
-- dataeng_internal._fact_apply()) for facts of counts, sums, min and max: groups
-- updated (HOT, and not HOT when an index covers a measure), new groups
-- inserted, emptied groups deleted, sums of no value left NULL, the
-- generated column of an avg computed again; each refresh compared with
-- the GROUP BY.  And the conditions under which the MERGE applies them
-- instead (triggers, row security, a default, a column it does not know),
-- with the same result; min/max kept with reserves, applied in C too.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

\i sql_tests/lib/fact_diff.sql

CREATE TABLE fa (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int, b numeric);
INSERT INTO fa SELECT i, timestamptz '2025-01-01' + (i % 3) * interval '1 day', i % 4, i, i / 10.0
  FROM generate_series(1, 40) i;
SELECT dataeng.fact_create('fa_f', 'fa', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(a)', 'sum(b)', 'avg(b)'], schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fa_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, count(*) AS count, sum(a) AS sum_a, sum(b) AS sum_b, avg(b) AS avg_b
    FROM fa GROUP BY 1, 2;
CREATE FUNCTION fa_check(fact text, truth text) RETURNS TABLE (diff bigint, path text, apply text)
LANGUAGE sql AS $$
  SELECT fact_diff(fact::regclass, 'SELECT * FROM ' || truth), f.last_refresh_path, dataeng_internal._fact_apply_last()
    FROM dataeng.facts f WHERE f.name = fact
$$;

-- updates only, in place (HOT: the fact's pages have room)
UPDATE fa SET a = a + 1, b = b * 2 WHERE id % 5 = 0;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');

-- a new group (bucket 2025-01-09, g 7), a group emptied (every row of
-- g 3 on 2025-01-01 gone: deleted), a group whose values all became NULL
-- (its sums NULL, its avg NULL), and a new group of NULL values only
DELETE FROM fa WHERE g = 3 AND ts = '2025-01-01';
UPDATE fa SET a = NULL, b = NULL WHERE g = 2 AND ts = '2025-01-02';
INSERT INTO fa VALUES (100, '2025-01-09', 7, 5, 1.5), (101, '2025-01-09', 7, 6, NULL),
                      (102, '2025-01-10', 8, NULL, NULL);
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');
SELECT bucket, g, count, sum_a, sum_b, avg_b FROM fa_f
 WHERE (g = 2 AND bucket = '2025-01-02') OR g IN (3, 7, 8) ORDER BY 1, 2;

-- a group emptied and filled again within one refresh: updated
DELETE FROM fa WHERE id = 100;
INSERT INTO fa VALUES (103, '2025-01-09', 7, 50, 5);
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');

-- an index on a measure: its updates are not HOT, and the index gets the
-- new versions' entries (read through it below)
CREATE INDEX fa_f_count ON fa_f_data (count);
UPDATE fa SET ts = ts + interval '1 day' WHERE id % 7 = 0;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SELECT count(*) AS by_index, (SELECT count(*) FROM fa_f_data) AS rows
  FROM fa_f_data WHERE count >= 0;
SELECT bucket, g, count FROM fa_f_data WHERE count = 4 ORDER BY 1, 2;
SELECT bucket, g, count FROM fa_truth WHERE count = 4 ORDER BY 1, 2;
RESET enable_seqscan;
RESET enable_bitmapscan;
DROP INDEX fa_f_count;

-- where the C apply would skip what the table asks for: the MERGE
-- a trigger on the fact's table
CREATE TABLE fa_log (n int);
CREATE FUNCTION fa_trig() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.fa_log VALUES (1); RETURN NEW; END $$;
CREATE TRIGGER fa_t BEFORE UPDATE ON fa_f_data FOR EACH ROW EXECUTE FUNCTION fa_trig();
UPDATE fa SET a = a + 1 WHERE id < 10;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');
SELECT count(*) > 0 AS trigger_fired FROM fa_log;
DROP TRIGGER fa_t ON fa_f_data;
-- row security on it
ALTER TABLE fa_f_data ENABLE ROW LEVEL SECURITY;
UPDATE fa SET a = a + 1 WHERE id < 10;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');
ALTER TABLE fa_f_data DISABLE ROW LEVEL SECURITY;
-- a column of its own, with a default (the MERGE's insert writes it)
ALTER TABLE fa_f_data ADD COLUMN note text DEFAULT 'new';
UPDATE fa SET a = a + 1 WHERE id < 10;
INSERT INTO fa VALUES (104, '2025-01-12', 9, 1, 1);
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');
SELECT note FROM fa_f_data WHERE g = 9;
ALTER TABLE fa_f_data DROP COLUMN note;
-- back to C once the table is as the fact made it (a dropped column is skipped)
UPDATE fa SET a = a + 1 WHERE id < 10;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');

-- a rule on it: left to the MERGE, which PostgreSQL refuses on a table
-- with rules (the refresh fails, as it did before the C apply)
CREATE RULE fa_r AS ON INSERT TO fa_f_data WHERE NEW.g = 99 DO INSTEAD NOTHING;
UPDATE fa SET a = a + 1 WHERE id < 10;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');
DROP RULE fa_r ON fa_f_data;
UPDATE fa SET a = a + 1 WHERE id < 10;
SELECT dataeng.fact_refresh('fa_f');
SELECT * FROM fa_check('fa_f', 'fa_truth');

-- called directly: only by the owner of the fact's table
CREATE ROLE fa_other;
GRANT USAGE ON SCHEMA dataeng_internal TO fa_other;
SET ROLE fa_other;
SELECT dataeng_internal._fact_apply('fa_f_data', 'fa', ARRAY['bucket', 'g'], ARRAY['ts', 'g'], '{}', '{}', '{}', '{}', '{}', '{}');
RESET ROLE;

-- min/max kept with reserves: applied in C too, each group's new reserve
-- made there (src/aggregate/reserve.c, as the MERGE's calls make it);
-- groups of about 33 rows, larger than their reserves (16 values), so
-- that removing a group's least values runs its reserve out and the
-- refresh recomputes it; an int and a text column (of collation "C")
CREATE TABLE fb (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int, t text COLLATE "C");
INSERT INTO fb SELECT i, timestamptz '2025-01-01' + (i % 2) * interval '1 day', i % 3, i, 'v' || lpad(i::text, 3, '0')
  FROM generate_series(1, 200) i;
SELECT dataeng.fact_create('fb_f', 'fb', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'min(a)', 'max(a)', 'sum(a)', 'min(t)', 'max(t)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fb_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, count(*) AS count, min(a) AS min_a, max(a) AS max_a, sum(a) AS sum_a,
         min(t) AS min_t, max(t) AS max_t FROM fb GROUP BY 1, 2;
-- values changed, an extreme deleted (id 1: the least of its group) and
-- one updated away; the reserves tell the new extremes
UPDATE fb SET a = a * 3, t = t || 'x' WHERE id % 4 = 0;
UPDATE fb SET a = 1000, t = 'zzz' WHERE id = 2;
DELETE FROM fb WHERE id = 1;
SELECT dataeng.fact_refresh('fb_f');
SELECT * FROM fa_check('fb_f', 'fb_truth');
-- the 20 least values of one group (day 2025-01-01, g 0) deleted: its
-- reserves run out and it is recomputed after the apply
DELETE FROM fb WHERE id IN (SELECT id FROM fb WHERE g = 0 AND ts = '2025-01-01' ORDER BY a LIMIT 20);
SELECT dataeng.fact_refresh('fb_f');
SELECT * FROM fa_check('fb_f', 'fb_truth');
SELECT count, min_a, __nn_min_a, cardinality(__x_min_a) AS kept_min_a, cardinality(__x_max_t) AS kept_max_t
  FROM fb_f_data WHERE bucket = '2025-01-01' AND g = 0;
-- a new group, a group emptied, a group of NULL values only (its min and
-- max NULL, its reserves empty: not run out, nothing to recompute)
INSERT INTO fb VALUES (300, '2025-01-05', 7, 5, 'b'), (301, '2025-01-05', 7, 3, 'a'), (302, '2025-01-05', 8, NULL, NULL);
DELETE FROM fb WHERE g = 2 AND ts = '2025-01-02';
SELECT dataeng.fact_refresh('fb_f');
SELECT * FROM fa_check('fb_f', 'fb_truth');
SELECT g, count, min_a, max_a, min_t, max_t, __nn_min_a, __x_min_a, __x_max_t
  FROM fb_f_data WHERE bucket = '2025-01-05' ORDER BY g;
-- with a trigger on the fact's table: the MERGE, the same result
CREATE TRIGGER fb_t BEFORE UPDATE ON fb_f_data FOR EACH ROW EXECUTE FUNCTION fa_trig();
UPDATE fb SET a = a - 500, t = 'a' || t WHERE id % 7 = 0;
SELECT dataeng.fact_refresh('fb_f');
SELECT * FROM fa_check('fb_f', 'fb_truth');
DROP TRIGGER fb_t ON fb_f_data;

-- keys of int2, int8 and date, negative values among them: looked up in
-- the key index by their integers (btwalk.c), across several leaves
CREATE TABLE fc (id int PRIMARY KEY, ts timestamptz NOT NULL, s int2 NOT NULL, l int8 NOT NULL, d date NOT NULL, a int);
INSERT INTO fc SELECT i, timestamptz '2025-01-01' + (i % 3) * interval '1 day', (i % 41) - 20,
                      ((i % 37) - 18) * 4000000000, date '2000-01-01' + (i % 5) - 2, i
  FROM generate_series(1, 6000) i;
SELECT dataeng.fact_create('fc_f', 'fc', 'ts', 'day', ARRAY['s', 'l', 'd'], ARRAY['count(*)', 'sum(a)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW fc_truth AS
  SELECT date_trunc('day', ts) AS bucket, s, l, d, count(*) AS count, sum(a) AS sum_a FROM fc GROUP BY 1, 2, 3, 4;
UPDATE fc SET a = a + 1 WHERE id % 7 = 0;
DELETE FROM fc WHERE id % 11 = 0;
INSERT INTO fc VALUES (7001, '2025-01-01', -32768, -9223372036854775807, '1999-12-01', 1),
                      (7002, '2025-01-01', 32767, 9223372036854775807, '2001-01-01', 2);
SELECT dataeng.fact_refresh('fc_f');
SELECT * FROM fa_check('fc_f', 'fc_truth');

SELECT dataeng.fact_drop('fa_f'), dataeng.fact_drop('fb_f'), dataeng.fact_drop('fc_f');
DROP VIEW fa_truth, fb_truth, fc_truth;
DROP TABLE fa, fb, fc, fa_log;
DROP FUNCTION fa_check(text, text), fa_trig(), fact_diff(regclass, text);
REVOKE USAGE ON SCHEMA dataeng_internal FROM fa_other;
DROP ROLE fa_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
