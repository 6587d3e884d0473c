-- min/max reserves and values that are equal in their type's ordering but
-- not the same value (numeric 1.0 and 1.00, text 'Apple'
-- and 'apple' under a case-insensitive collation): when a row goes, the
-- reserve must lose that row's value, not another one equal to it, or the
-- fact shows a value no row of the group has any more.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';
CREATE COLLATION rt_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE rt_src (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL,
                     v numeric, t text COLLATE rt_ci);
INSERT INTO rt_src VALUES (1, '2026-01-01', 1, 1.00, 'apple'),
                          (2, '2026-01-01', 1, 1.0, 'Apple'),
                          (3, '2026-01-01', 1, 5, 'zebra');
SELECT dataeng.fact_create('rt_fact', 'rt_src', 'at', 'day', ARRAY['g'],
                           ARRAY['min(v)', 'max(v)', 'min(t)'],
                           schedule => NULL) IS NOT NULL AS created;

-- the row of 1.0 and 'Apple' goes: 1.00 and 'apple' are left
DELETE FROM rt_src WHERE id = 2;
SELECT dataeng.fact_refresh('rt_fact');
SELECT g, min_v::text, max_v::text, min_t::text FROM rt_fact;
SELECT g, min(v)::text AS min_v, max(v)::text AS max_v, min(t)::text AS min_t
  FROM rt_src GROUP BY g;

-- and the other way round, with a new row of the other spelling
INSERT INTO rt_src VALUES (4, '2026-01-01', 1, 1.000, 'APPLE');
SELECT dataeng.fact_refresh('rt_fact');
DELETE FROM rt_src WHERE id = 1;
SELECT dataeng.fact_refresh('rt_fact');
SELECT g, min_v::text, max_v::text, min_t::text FROM rt_fact;
SELECT g, min(v)::text AS min_v, max(v)::text AS max_v, min(t)::text AS min_t
  FROM rt_src GROUP BY g;

SELECT dataeng.fact_drop('rt_fact');
DROP TABLE rt_src;
DROP COLLATION rt_ci;

-- The fold keeps, per group, the least and the greatest values that came
-- and went; while fewer than 16 came (or went) the greatest are made from
-- the least when the group is written out, past 16 as the values come
-- (src/aggregate/delta.c, fold_extreme()).  Either way values alike keep
-- the order they came in: the reserves and the min/max show the same
-- spellings as when both lists were kept value by value.
CREATE TABLE lt_src (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL, v numeric);
INSERT INTO lt_src SELECT i, '2026-01-01', 1, i FROM generate_series(1, 40) i;
INSERT INTO lt_src SELECT 100 + i, '2026-01-01', 2, i FROM generate_series(1, 3) i;
SELECT dataeng.fact_create('lt_fact', 'lt_src', 'at', 'day', ARRAY['g'], ARRAY['min(v)', 'max(v)'],
                           schedule => NULL) IS NOT NULL AS created;
-- group 2: a few values alike at the top and at the bottom come (fewer
-- than 16); group 3, new: 35 values, alike among the greatest and least
INSERT INTO lt_src VALUES (201, '2026-01-01', 2, 9.0), (202, '2026-01-01', 2, 9.00), (203, '2026-01-01', 2, 9),
                          (204, '2026-01-01', 2, 0.0), (205, '2026-01-01', 2, 0.00);
INSERT INTO lt_src SELECT 300 + i, '2026-01-01', 3, CASE WHEN i % 3 = 0 THEN 50.0 WHEN i % 3 = 1 THEN 50.00 ELSE i END
                     FROM generate_series(1, 30) i;
INSERT INTO lt_src SELECT 400 + i, '2026-01-01', 3, CASE WHEN i % 2 = 0 THEN -1.0 ELSE -1.00 END
                     FROM generate_series(1, 5) i;
SELECT dataeng.fact_refresh('lt_fact');
SELECT g, min_v::text, max_v::text, __x_min_v::text, __x_max_v::text FROM lt_fact_data ORDER BY g;
-- then some of those rows go, and others take a new greatest value
DELETE FROM lt_src WHERE id IN (201, 204, 303, 401);
UPDATE lt_src SET v = 60 WHERE id IN (1, 2, 302);
SELECT dataeng.fact_refresh('lt_fact');
SELECT g, min_v::text, max_v::text, __x_min_v::text, __x_max_v::text FROM lt_fact_data ORDER BY g;
SELECT count(*) AS differing
  FROM ((SELECT g, min_v, max_v FROM lt_fact EXCEPT SELECT g, min(v), max(v) FROM lt_src GROUP BY g)
        UNION ALL (SELECT g, min(v), max(v) FROM lt_src GROUP BY g EXCEPT SELECT g, min_v, max_v FROM lt_fact)) x;

-- A reserve that no value that came or went reaches (each strictly
-- beyond its last value) is the stored one as it is (reserve.c,
-- unchanged_reserve()): full, or bounded (fewer values than the group
-- has).  A value alike to the last one, or a complete reserve, takes the
-- general way.
SELECT dataeng_internal._fact_reserve('{1,2,3}'::int[], 9, '{4,7}'::int[], '{5}'::int[], 3, false) AS full_kept,
       dataeng_internal._fact_reserve('{9,8}'::int[], 9, '{1}'::int[], '{7,2}'::int[], 16, true) AS bounded_kept,
       dataeng_internal._fact_reserve('{1,2,3}'::int[], 9, '{3}'::int[], NULL, 3, false) AS alike_came,
       dataeng_internal._fact_reserve('{1,2,3}'::int[], 9, NULL, '{3}'::int[], 3, false) AS alike_went,
       dataeng_internal._fact_reserve('{1,2}'::int[], 2, '{4}'::int[], NULL, 16, false) AS complete;
SELECT dataeng_internal._fact_reserve('{a,b}'::text[], 5, '{c}'::text[], '{d}'::text[], 16, false) AS text_kept,
       dataeng_internal._fact_reserve('{b,a}'::text[], 5, '{c}'::text[], NULL, 16, false) AS not_in_order;

SELECT dataeng.fact_drop('lt_fact');
DROP TABLE lt_src;
DROP EXTENSION dataeng CASCADE;
