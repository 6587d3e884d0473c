-- sum(numeric) measures folded as scaled integers (src/aggregate/numsum.c):
-- values of every display scale, negative values, zero sums, values the
-- scaled integer cannot hold (NaN, infinity, more than 30 decimals, sums
-- past 10^36) that make a group add up in numeric from then on, a numeric
-- with a typmod and a domain over numeric, each refresh compared with the
-- GROUP BY, value for value and display scale for display scale.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

CREATE DOMAIN ns_pos AS numeric CHECK (VALUE >= 0);
CREATE TABLE ns (id int PRIMARY KEY, at timestamptz NOT NULL, d int NOT NULL,
                 a numeric, b numeric(10,3), c ns_pos);
INSERT INTO ns SELECT g, '2025-01-01'::timestamptz + g * interval '1 hour', g % 3,
                      (g % 7) * 1.5, g / 7.0, g % 5
  FROM generate_series(1, 200) g;
SELECT dataeng.fact_create('ns_f', 'ns', 'at', 'day', ARRAY['d'],
                           ARRAY['count(*)', 'sum(a)', 'sum(b)', 'sum(c)'], schedule => NULL) IS NOT NULL AS made;

-- rows of the fact that differ from the GROUP BY, as values; and as text
-- (the display scale of each sum): a group whose sum lost a value of a
-- larger scale than the others keeps that scale, as numeric_add does (and
-- as the fold did before it kept scaled integers), the only difference
-- shown here
CREATE VIEW ns_diff AS
  SELECT 'fact' AS side, * FROM (SELECT bucket, d, count, sum_a, sum_b, sum_c FROM ns_f
                                 EXCEPT ALL
                                 SELECT date_trunc('day', at), d, count(*), sum(a), sum(b), sum(c) FROM ns GROUP BY 1, 2) x
  UNION ALL
  SELECT 'view', * FROM (SELECT date_trunc('day', at), d, count(*), sum(a), sum(b), sum(c) FROM ns GROUP BY 1, 2
                         EXCEPT ALL
                         SELECT bucket, d, count, sum_a, sum_b, sum_c FROM ns_f) y;
CREATE VIEW ns_text_diff AS
  SELECT 'fact' AS side, * FROM (SELECT bucket, d, sum_a::text, sum_b::text, sum_c::text FROM ns_f
                                 EXCEPT ALL
                                 SELECT date_trunc('day', at), d, sum(a)::text, sum(b)::text, sum(c)::text FROM ns GROUP BY 1, 2) x
  UNION ALL
  SELECT 'view', * FROM (SELECT date_trunc('day', at), d, sum(a)::text, sum(b)::text, sum(c)::text FROM ns GROUP BY 1, 2
                         EXCEPT ALL
                         SELECT bucket, d, sum_a::text, sum_b::text, sum_c::text FROM ns_f) y
  ORDER BY 2, 3, 1;

-- values of larger scales come in, negative values, inserts and deletes
UPDATE ns SET a = a * 1.25 WHERE id % 5 = 0;
UPDATE ns SET b = -b + 0.001 WHERE id % 3 = 0;
DELETE FROM ns WHERE id % 11 = 0;
INSERT INTO ns SELECT g, '2025-01-01'::timestamptz + g * interval '1 hour', g % 3, 1.00, 2, 0.5
  FROM generate_series(201, 260) g;
-- a sum that comes back to zero (0.00 keeps its scale)
UPDATE ns SET a = -1.00 WHERE id IN (201, 204);
UPDATE ns SET a = 1.00 WHERE id IN (207, 210);
SELECT dataeng.fact_refresh('ns_f') > 0 AS refreshed;
SELECT * FROM ns_diff;
SELECT * FROM ns_text_diff;

-- values the scaled integer cannot hold: NaN, more than 30 decimals, a sum
-- past 10^36, infinity; and ordinary values after them in the same group
UPDATE ns SET a = 'NaN' WHERE id = 17;
UPDATE ns SET a = 0.0000000000000000000000000000001 WHERE id = 2;
UPDATE ns SET a = 999999999999999999999999999999999999.5 WHERE id = 26;
UPDATE ns SET a = 999999999999999999999999999999999999.5 WHERE id = 29;
UPDATE ns SET a = 'Infinity' WHERE id = 50;
UPDATE ns SET a = a + 0.5 WHERE id BETWEEN 1 AND 60 AND id NOT IN (2, 17, 26, 29, 50);
SELECT dataeng.fact_refresh('ns_f') > 0 AS refreshed;
SELECT * FROM ns_diff;
SELECT * FROM ns_text_diff;
\pset null '(null)'
SELECT bucket, d, sum_a FROM ns_f WHERE bucket < '2025-01-04' ORDER BY 1, 2;

-- and back: the tiny and huge values leave (NaN and infinity stay: a
-- delta cannot take them out of a sum), a group emptied of its values has
-- a NULL sum
UPDATE ns SET a = 1 WHERE id IN (2, 26, 29);
UPDATE ns SET a = NULL WHERE at >= '2025-01-03' AND at < '2025-01-04' AND d = 1;
SELECT dataeng.fact_refresh('ns_f') > 0 AS refreshed;
SELECT * FROM ns_diff;
SELECT bucket, d, sum_a FROM ns_f WHERE bucket < '2025-01-04' ORDER BY 1, 2;

DROP VIEW ns_diff, ns_text_diff;
SELECT dataeng.fact_drop('ns_f');
DROP TABLE ns;
DROP DOMAIN ns_pos;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
