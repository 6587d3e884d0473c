-- Facts tried as a new user would, each refresh checked against the
-- GROUP BY of the source: a source in a schema with odd identifiers, a
-- timestamptz time column bucketed by hour across both DST changes of
-- Europe/Paris, sums of int4 and int8 beyond their types, averages of
-- integers, numeric NaN, float NaN and infinities in sums, min and max,
-- FILTER and expression measures, count(DISTINCT), min/max of text, rows
-- moved between buckets and groups, a group emptied.  Then a dimension
-- column and a measure's column of the source renamed: the refresh says so
-- (42703, with what to do) instead of failing inside a statement it
-- builds, and applies the changes once the column has its name back.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'Europe/Paris';
\pset null '(null)'

CREATE SCHEMA "My Mart";
CREATE TABLE "My Mart"."Src ""x""" (id int PRIMARY KEY, "At" timestamptz NOT NULL, "Region" text,
                                    i4 int, i8 bigint, n numeric, f float8, r real, st text);
SELECT dataeng.fact_create('"My Mart"."F h"', '"My Mart"."Src ""x"""', 'At', 'hour', ARRAY['Region'],
  ARRAY['count(*)', 'sum(i4)', 'sum(i8)', 'avg(i4)', 'avg(i8)', 'sum(n)', 'avg(n)', 'min(n)', 'max(n)',
        'sum(f)', 'min(f)', 'max(f)', 'avg(f)', 'sum(r)', 'max(r)',
        'count(*) FILTER (WHERE st = ''paid'') AS paid', 'sum(n * i4) FILTER (WHERE st IS NOT NULL) AS rev',
        'count(DISTINCT st)', 'min(st)', 'max(st)'], schedule => NULL);
CREATE VIEW truth AS
  SELECT date_trunc('hour', "At", 'Europe/Paris') AS bucket, "Region", count(*) AS count, sum(i4) sum_i4,
         sum(i8) sum_i8, avg(i4) avg_i4, avg(i8) avg_i8, sum(n) sum_n, avg(n) avg_n, min(n) min_n, max(n) max_n,
         sum(f) sum_f, min(f) min_f, max(f) max_f, avg(f) avg_f, sum(r) sum_r, max(r) max_r,
         count(*) FILTER (WHERE st = 'paid') paid, sum(n * i4) FILTER (WHERE st IS NOT NULL) rev,
         count(DISTINCT st) count_distinct_st, min(st) min_st, max(st) max_st
    FROM "My Mart"."Src ""x""" GROUP BY 1, 2;
-- rows of the fact that are not the truth's, and the other way round
CREATE FUNCTION check_fact() RETURNS TABLE (side text, r text) LANGUAGE sql AS $$
  (SELECT 'fact only', t::text FROM (SELECT * FROM "My Mart"."F h" EXCEPT ALL SELECT * FROM truth) t)
  UNION ALL (SELECT 'truth only', t::text FROM (SELECT * FROM truth EXCEPT ALL SELECT * FROM "My Mart"."F h") t)
$$;

-- Paris: 2026-03-29 02:00 -> 03:00, 2026-10-25 03:00 -> 02:00
INSERT INTO "My Mart"."Src ""x""" VALUES
 (1, '2026-03-29 00:30+00', 'EU', 2147483647, 9223372036854775807, 'NaN', 'Infinity', 'NaN', 'paid'),
 (2, '2026-03-29 00:45+00', 'EU', 2147483647, 9223372036854775807, 1, '-Infinity', 1, 'open'),
 (3, '2026-03-29 01:10+00', 'EU', 1, 1, 2, 'NaN', 2, NULL),
 (4, '2026-10-25 00:30+00', NULL, 1, 2, 3, 1.5, 3, 'paid'),
 (5, '2026-10-25 01:30+00', NULL, 2, 3, NULL, NULL, NULL, 'x');
SELECT dataeng.fact_refresh('"My Mart"."F h"') AS changes;
SELECT * FROM check_fact();
SELECT bucket, "Region", count, sum_i4, sum_i8, avg_i4, sum_n, min_f, max_f, sum_f, max_r, paid, rev
  FROM "My Mart"."F h" ORDER BY 1, 2;
-- the extremes taken out, a NaN replaced
UPDATE "My Mart"."Src ""x""" SET f = 3 WHERE id = 3;
UPDATE "My Mart"."Src ""x""" SET n = 5 WHERE id = 1;
DELETE FROM "My Mart"."Src ""x""" WHERE id = 2;
SELECT dataeng.fact_refresh('"My Mart"."F h"') AS changes;
SELECT * FROM check_fact();
UPDATE "My Mart"."Src ""x""" SET f = 1 WHERE id = 1;
SELECT dataeng.fact_refresh('"My Mart"."F h"') AS changes;
SELECT * FROM check_fact();
-- a row moved across the October fold and to the NULL region; a group emptied
UPDATE "My Mart"."Src ""x""" SET "At" = '2026-10-25 01:10+00', "Region" = NULL WHERE id = 3;
DELETE FROM "My Mart"."Src ""x""" WHERE id = 5;
SELECT dataeng.fact_refresh('"My Mart"."F h"') AS changes;
SELECT * FROM check_fact();
SELECT bucket, "Region", count, sum_i4 FROM "My Mart"."F h" ORDER BY 1, 2;

-- a dimension column renamed, then renamed back
ALTER TABLE "My Mart"."Src ""x""" RENAME COLUMN "Region" TO region;
INSERT INTO "My Mart"."Src ""x""" VALUES (6, '2026-10-25 01:20+00', 'US', 1, 1, 1, 1, 1, 'paid');
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.fact_refresh('"My Mart"."F h"');
\set VERBOSITY terse
ALTER TABLE "My Mart"."Src ""x""" RENAME COLUMN region TO "Region";
UPDATE "My Mart"."Src ""x""" SET i4 = 7 WHERE id = 6;
SELECT dataeng.fact_refresh('"My Mart"."F h"') AS changes;
SELECT * FROM check_fact();
SELECT pending_changes FROM dataeng.facts;

-- a measure's column renamed, then renamed back: the same
ALTER TABLE "My Mart"."Src ""x""" RENAME COLUMN i8 TO i8_renamed;
UPDATE "My Mart"."Src ""x""" SET i4 = 8 WHERE id = 6;
\set VERBOSITY default
SELECT dataeng.fact_refresh('"My Mart"."F h"');
\set VERBOSITY terse
ALTER TABLE "My Mart"."Src ""x""" RENAME COLUMN i8_renamed TO i8;
SELECT dataeng.fact_refresh('"My Mart"."F h"') AS changes;
SELECT * FROM check_fact();

-- the fact's owner may no longer read the source: 42501 saying whose
-- right is missing and how to give it back
CREATE ROLE regress_ft_owner;
CREATE TABLE ft_src (id int PRIMARY KEY, at date NOT NULL, v int);
INSERT INTO ft_src VALUES (1, '2026-01-01', 1);
SELECT dataeng.cdc_enable('ft_src');
GRANT SELECT, UPDATE ON ft_src TO regress_ft_owner;
GRANT CREATE ON SCHEMA public TO regress_ft_owner;
SET ROLE regress_ft_owner;
SELECT dataeng.fact_create('ft_f', 'ft_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(v)'], schedule => NULL);
RESET ROLE;
REVOKE SELECT ON ft_src FROM regress_ft_owner;
INSERT INTO ft_src VALUES (2, '2026-01-01', 2);
\set VERBOSITY default
SELECT dataeng.fact_refresh('ft_f');
\set VERBOSITY terse
GRANT SELECT ON ft_src TO regress_ft_owner;
SELECT dataeng.fact_refresh('ft_f') AS changes;
SELECT count, sum_v FROM ft_f;
SELECT dataeng.fact_drop('ft_f');
DROP TABLE ft_src;
REVOKE CREATE ON SCHEMA public FROM regress_ft_owner;
DROP ROLE regress_ft_owner;

DROP FUNCTION check_fact;
DROP VIEW truth;
SELECT dataeng.fact_drop('"My Mart"."F h"');
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA "My Mart" CASCADE;
