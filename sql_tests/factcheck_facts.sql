-- Facts: a change whose row image lacks a measured column must not be read
-- as NULL.  Row images are keyed by column name at capture: changes made
-- while a measured column was renamed carry the other name.  Expected (the
-- correct answer): after the column has its name back, the refresh makes
-- the fact equal to its GROUP BY.  On the code this test was written
-- against, _fact_deltas() reads the missing key as a NULL value: the
-- insert of 5 and the update of 1 to 7 count as rows with no amount, and
-- the fact shows sum 1 and max 1 where the GROUP BY gives 12 and 7.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset null '(null)'
CREATE TABLE fcf_src (id int PRIMARY KEY, ts timestamptz NOT NULL, g text, a int);
INSERT INTO fcf_src VALUES (1, '2026-03-01 10:00+00', 'x', 1);
SELECT dataeng.fact_create('fcf_fact', 'fcf_src', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'count(a)', 'sum(a)', 'max(a)'], schedule => NULL);
ALTER TABLE fcf_src RENAME COLUMN a TO amount;
INSERT INTO fcf_src VALUES (2, '2026-03-01 11:00+00', 'x', 5);
UPDATE fcf_src SET amount = 7 WHERE id = 1;
ALTER TABLE fcf_src RENAME COLUMN amount TO a;
SELECT dataeng.fact_refresh('fcf_fact') AS applied;
SELECT * FROM fcf_fact ORDER BY g;
SELECT date_trunc('day', ts, 'UTC') AS bucket, g, count(*), count(a), sum(a), max(a) FROM fcf_src GROUP BY 1, 2 ORDER BY g;
SELECT count(*) AS diff FROM (
  (SELECT * FROM fcf_fact EXCEPT ALL SELECT date_trunc('day', ts, 'UTC'), g, count(*), count(a), sum(a), max(a) FROM fcf_src GROUP BY 1, 2)
  UNION ALL
  (SELECT date_trunc('day', ts, 'UTC'), g, count(*), count(a), sum(a), max(a) FROM fcf_src GROUP BY 1, 2 EXCEPT ALL SELECT * FROM fcf_fact)) x;
SELECT dataeng.fact_drop('fcf_fact');
DROP TABLE fcf_src;
DROP EXTENSION dataeng CASCADE;
