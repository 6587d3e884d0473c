-- A fact reads its source's columns by name: a column the fact reads
-- renamed and another column given its name (two columns' names swapped,
-- or a column dropped or renamed and a new one added with its name) is
-- not the column the fact was made of.  The refresh read the other
-- column's values into the fact (sum(a) -97 where the GROUP BY says 200,
-- max(a) 2); now it stops with 42703 and says what to do, as for a
-- renamed column, and goes on once the names are back.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';

CREATE TABLE fsc_src (id int PRIMARY KEY, ts timestamptz NOT NULL, g text, a int, b int);
INSERT INTO fsc_src VALUES (1, '2026-03-01', 'x', 1, 100), (2, '2026-03-01', 'x', 2, 200);
SELECT dataeng.fact_create('fsc_f', 'fsc_src', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(a)', 'max(a)'], schedule => NULL);

-- a and b swap names: "a" is now the column of b's values
ALTER TABLE fsc_src RENAME a TO tmp;
ALTER TABLE fsc_src RENAME b TO a;
ALTER TABLE fsc_src RENAME tmp TO b;
\set VERBOSITY default
SELECT dataeng.fact_refresh('fsc_f');
SELECT dataeng.fact_rebuild('fsc_f');
\set VERBOSITY terse
-- back
ALTER TABLE fsc_src RENAME a TO tmp;
ALTER TABLE fsc_src RENAME b TO a;
ALTER TABLE fsc_src RENAME tmp TO b;
DELETE FROM fsc_src WHERE id = 1;
SELECT dataeng.fact_refresh('fsc_f');
SELECT bucket, g, count, sum_a, max_a FROM fsc_f;
SELECT count(*), sum(a), max(a) FROM fsc_src;

-- a dimension dropped and added again under its name
ALTER TABLE fsc_src DROP COLUMN g;
ALTER TABLE fsc_src ADD COLUMN g text;
INSERT INTO fsc_src VALUES (3, '2026-03-01', 5, 0, 'y');
SELECT dataeng.fact_refresh('fsc_f');
SELECT dataeng.fact_drop('fsc_f');

-- a column the fact does not read may come and go
CREATE TABLE fsc_src2 (id int PRIMARY KEY, ts timestamptz NOT NULL, ts2 timestamptz, v int);
INSERT INTO fsc_src2 VALUES (1, '2026-03-01', '2026-05-01', 1);
SELECT dataeng.fact_create('fsc_f2', 'fsc_src2', 'ts', 'month', '{}', ARRAY['count(*)', 'sum(v)'], schedule => NULL);
ALTER TABLE fsc_src2 DROP COLUMN ts2;
ALTER TABLE fsc_src2 ADD COLUMN note text;
INSERT INTO fsc_src2 VALUES (2, '2026-03-02', 2, 'n');
SELECT dataeng.fact_refresh('fsc_f2');
SELECT bucket, count, sum_v FROM fsc_f2;
-- the time column renamed and another column given its name
ALTER TABLE fsc_src2 RENAME ts TO ts_old;
ALTER TABLE fsc_src2 ADD COLUMN ts timestamptz;
INSERT INTO fsc_src2 VALUES (3, '2026-03-03', 3, 'n', '2026-07-01');
SELECT dataeng.fact_refresh('fsc_f2');
SELECT dataeng.fact_drop('fsc_f2');

DROP TABLE fsc_src, fsc_src2;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
