-- A fact's measures, typed (dataeng_internal.fact_measure): fact_defs.spec
-- keeps them as jsonb, _fact_measures() reads them into the type every
-- builder of the fact's SQL takes, _fact_measure_json() writes one back.
-- fact_create writes each measure through the type: reading spec and
-- writing it back gives spec again, key for key (so facts of 0.1.0 and
-- dumps keep their form); a measure whose fields do not read as their
-- types, or that the builders cannot write SQL of, is refused, and its
-- text never becomes SQL.
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE TABLE fmt_src (id int PRIMARY KEY, ts timestamptz NOT NULL, g text, a int, f float8, t text);
INSERT INTO fmt_src SELECT i, '2026-03-01 10:00+00'::timestamptz + i * interval '1 hour', 'x', i, i / 2.0, 't' || i % 3
  FROM generate_series(1, 30) i;
SELECT dataeng.fact_create('fmt', 'fmt_src', 'ts', 'day', ARRAY['g'],
  ARRAY['count(*)', 'count(a)', 'sum(a)', 'avg(f)', 'sum(f) AS fsum', 'min(a)', 'max(t)', 'count(DISTINCT t)',
        'sum(a * 2) FILTER (WHERE t <> ''t1'') AS a2', 'count(DISTINCT f) AS df'], schedule => NULL) AS fact;

-- every measure, typed, in spec's order
SELECT m.measure, m.agg, m.name, m.col, m.expr, m.filter, m.cols, m.argtype, m.is_float, m.mode, m.reserve
  FROM dataeng_internal.fact_defs d, unnest(dataeng_internal._fact_measures(d.spec)) WITH ORDINALITY m
 WHERE d.name = 'fmt' ORDER BY m.ordinality;
-- written back, each is the object spec keeps
SELECT count(*) AS measures,
       count(*) FILTER (WHERE dataeng_internal._fact_measure_json(dataeng_internal._fact_measure_read(e)) = e) AS same
  FROM dataeng_internal.fact_defs d, jsonb_array_elements(d.spec) e WHERE d.name = 'fmt';
-- "col" is kept even when NULL (as dataeng 0.1.0 wrote it); NULL fields are not
SELECT dataeng_internal._fact_measure_json(dataeng_internal._fact_measure_read(
         '{"agg": "count_star", "name": "n", "col": null, "float": false, "mode": "delta"}'));

-- the fact works from its typed measures
UPDATE fmt_src SET a = a + 100, t = 'z' WHERE id % 4 = 0;
DELETE FROM fmt_src WHERE id % 5 = 0;
INSERT INTO fmt_src VALUES (100, '2026-03-01 23:00+00', 'x', -7, 0.25, 'q');
SELECT dataeng.fact_refresh('fmt') > 0 AS applied;
SELECT (SELECT count(*) FROM (
          SELECT bucket, g, count, count_a, sum_a, avg_f, fsum, min_a, max_t, count_distinct_t, a2, df FROM fmt
          EXCEPT
          SELECT date_trunc('day', ts), g, count(*), count(a), sum(a), avg(f), sum(f), min(a), max(t), count(DISTINCT t),
                 sum(a * 2) FILTER (WHERE t <> 't1'), count(DISTINCT f)
            FROM fmt_src GROUP BY 1, 2) x) AS rows_differing,
       (SELECT count(*) FROM fmt) AS groups;

-- malformed measures are refused, whatever field is wrong
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "s", "col": "a", "reserve": "16"}');
SELECT dataeng_internal._fact_measure_read('{"agg": "min", "name": "s", "col": "a", "reserve": 1.5}');
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "s", "col": "a", "float": 1}');
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "s", "expr": "s.a", "cols": "a"}');
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "s", "expr": "s.a", "cols": [1]}');
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "s", "col": "a", "type": "no_such_type"}');
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "", "col": "a"}');
SELECT dataeng_internal._fact_measure_read('{"agg": "count_star", "name": "n", "col": "a"}');
SELECT dataeng_internal._fact_measure_read('{"agg": "sum", "name": "s"}');
SELECT dataeng_internal._fact_measure_read('[1]');
SELECT dataeng_internal._fact_measures('[{"agg": "count_star", "name": "n"}, {"agg": "pg_sleep", "name": "x", "col": "a"}]');
-- a stored measure edited by hand stops the refresh, before any SQL of it
UPDATE dataeng_internal.fact_defs SET spec = jsonb_set(spec, '{5,reserve}', '"16"') WHERE name = 'fmt';
SELECT dataeng.fact_refresh('fmt');
SELECT dataeng.fact_drop('fmt');
DROP TABLE fmt_src;
DROP EXTENSION dataeng;
