-- A dimension's source column changes type (ALTER TABLE ... ALTER COLUMN
-- ... TYPE) while changes are pending, captured under the old type.
--   * A change whose old values read back as the new type as ALTER
--     converted them (int to bigint, varchar(n) to text, a longer
--     varchar): once the dimension's column follows (the refresh's 42804
--     says how), the pending changes apply one by one (type 2 keeps each
--     version).
--   * Any other change (text to int USING length(...), int to text USING
--     'n' || n, char(n) to text, which trims): the pending images may not
--     read as the new type ('Rome' as int: every later refresh failed) or
--     read as another value ('2' as text where the source now has 'n2':
--     silently wrong).  The refresh says so (42804, its hint naming what
--     follows), and once the dimension's column follows it makes the
--     dimension's current rows equal to the source, as after a TRUNCATE;
--     the refreshes after it apply changes one by one again.
-- After each refresh the dimension's current rows equal the source.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
\pset null '(null)'

CREATE TABLE ts (id int PRIMARY KEY, city text, n int, v varchar(5), c char(4));
INSERT INTO ts VALUES (1, 'Paris', 1, 'ab', 'xy'), (2, 'Oslo', 2, 'cd', 'zz');
SELECT dataeng.dimension_create('td1', 'ts', 'id', ARRAY['city', 'n', 'v', 'c'], 1, NULL);
SELECT dataeng.dimension_create('td2', 'ts', 'id', ARRAY['city', 'n', 'v', 'c'], 2, NULL);

-- the current rows of both dimensions against the source, as text: rows
-- missing from or extra in a dimension
CREATE FUNCTION check_dims() RETURNS TABLE (dim text, problem text, id int, row_text text)
LANGUAGE sql AS $$
  WITH s AS (SELECT t.id, ROW(t.id, t.city, t.n, t.v, t.c)::text AS r FROM ts t),
       d1 AS (SELECT t.id, ROW(t.id, t.city, t.n, t.v, t.c)::text AS r FROM td1 t),
       d2 AS (SELECT t.id, ROW(t.id, t.city, t.n, t.v, t.c)::text AS r FROM td2 t WHERE t.is_current)
  SELECT 'td1', 'missing', s.id, s.r FROM s WHERE (s.id, s.r) NOT IN (SELECT * FROM d1)
  UNION ALL SELECT 'td1', 'extra', d1.id, d1.r FROM d1 WHERE (d1.id, d1.r) NOT IN (SELECT * FROM s)
  UNION ALL SELECT 'td2', 'missing', s.id, s.r FROM s WHERE (s.id, s.r) NOT IN (SELECT * FROM d2)
  UNION ALL SELECT 'td2', 'extra', d2.id, d2.r FROM d2 WHERE (d2.id, d2.r) NOT IN (SELECT * FROM s)
  ORDER BY 1, 2, 3
$$;

-------------------------------------------------------------------------------
-- 1. text to int USING length(city), with changes pending: 'Rome' and
-- 'Lyon' were captured as text
-------------------------------------------------------------------------------
INSERT INTO ts VALUES (3, 'Rome', 3, 'ef', 'ww');
UPDATE ts SET city = 'Lyon' WHERE id = 1;
ALTER TABLE ts ALTER COLUMN city TYPE int USING length(city);
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.dimension_refresh('td1');
\set VERBOSITY terse
-- (the ALTER the hint gives, with the USING of the source's)
ALTER TABLE td1 ALTER COLUMN city TYPE int USING length(city);
ALTER TABLE td2 ALTER COLUMN city TYPE int USING length(city);
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();
SELECT id, city, n, v, c FROM td1 ORDER BY id;
SELECT id, city, is_current FROM td2 ORDER BY td2_sk;
-- the refreshes after it apply changes one by one (type 2: each version)
UPDATE ts SET city = 7 WHERE id = 2;
UPDATE ts SET city = 8 WHERE id = 2;
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();
SELECT id, city, is_current FROM td2 WHERE id = 2 ORDER BY td2_sk;

-------------------------------------------------------------------------------
-- 2. int to text USING 'n' || n: the pending images (2, 30) would read as
-- text '2', '30' where the source has 'n2', 'n30'
-------------------------------------------------------------------------------
UPDATE ts SET n = 30 WHERE id = 3;
ALTER TABLE ts ALTER COLUMN n TYPE text USING 'n' || n;
ALTER TABLE td1 ALTER COLUMN n TYPE text USING 'n' || n;
ALTER TABLE td2 ALTER COLUMN n TYPE text USING 'n' || n;
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();
SELECT id, n FROM td1 ORDER BY id;

-------------------------------------------------------------------------------
-- 3. compatible changes: varchar(5) to text and a longer varchar, with
-- changes pending: they apply one by one (type 2 keeps the version in
-- between)
-------------------------------------------------------------------------------
UPDATE ts SET v = 'gh' WHERE id = 3;
UPDATE ts SET v = 'ij' WHERE id = 3;
ALTER TABLE ts ALTER COLUMN v TYPE text;
\set VERBOSITY default
SELECT dataeng.dimension_refresh('td2');
\set VERBOSITY terse
ALTER TABLE td1 ALTER COLUMN v TYPE text;
ALTER TABLE td2 ALTER COLUMN v TYPE text;
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();
SELECT id, n, v, is_current FROM td2 WHERE id = 3 ORDER BY td2_sk;

-------------------------------------------------------------------------------
-- 4. int to bigint on the key, with changes pending: one by one
-------------------------------------------------------------------------------
UPDATE ts SET v = 'kl' WHERE id = 3;
UPDATE ts SET v = 'mn' WHERE id = 3;
INSERT INTO ts VALUES (4, 4, 'n4', 'op', 'qq');
ALTER TABLE ts ALTER COLUMN id TYPE bigint;
ALTER TABLE td1 ALTER COLUMN id TYPE bigint;
ALTER TABLE td2 ALTER COLUMN id TYPE bigint;
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();
SELECT id, n, v, is_current FROM td2 WHERE id IN (3, 4) ORDER BY td2_sk;

-------------------------------------------------------------------------------
-- 5. char(4) to text trims: the pending image 'q   ' is not the source's
-- 'q'; the dimension's column changed first, then the source's
-------------------------------------------------------------------------------
UPDATE ts SET c = 'q' WHERE id = 4;
ALTER TABLE td1 ALTER COLUMN c TYPE text;
ALTER TABLE td2 ALTER COLUMN c TYPE text;
ALTER TABLE ts ALTER COLUMN c TYPE text;
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();
SELECT id, c, length(c) FROM td1 ORDER BY id;

-------------------------------------------------------------------------------
-- 6. an incompatible change with nothing pending, and one the dimension
-- never follows: the refresh keeps saying what to do, and applies
-- nothing
-------------------------------------------------------------------------------
ALTER TABLE ts ALTER COLUMN city TYPE numeric(4,1);
SELECT dataeng.dimension_refresh('td1');
UPDATE ts SET city = 2.5 WHERE id = 1;
SELECT dataeng.dimension_refresh('td1');
SELECT id, city FROM td1 WHERE id = 1;
ALTER TABLE td1 ALTER COLUMN city TYPE numeric(4,1);
ALTER TABLE td2 ALTER COLUMN city TYPE numeric(4,1);
SELECT dataeng.dimension_refresh('td1') AS td1, dataeng.dimension_refresh('td2') AS td2;
SELECT * FROM check_dims();

SELECT dataeng.dimension_drop('td1'), dataeng.dimension_drop('td2');
DROP FUNCTION check_dims;
DROP TABLE ts;

DROP EXTENSION dataeng CASCADE;
