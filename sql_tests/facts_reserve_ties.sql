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
DROP EXTENSION dataeng CASCADE;
