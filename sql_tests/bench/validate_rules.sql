-- Benchmark: dataeng.validate() with 10 row-level rules over :rows x 5
-- rows (at least 1M), against the anchor of the same 10 rules run as 10
-- separate SELECT count(*) ... WHERE NOT (...) queries.  Target: validate
-- costs less than half.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

CREATE TABLE bench_people AS
SELECT g AS id, 'user' || g || CASE WHEN g % 50 = 0 THEN '@bad' ELSE '@example.com' END AS email,
       (g % 90) AS age, CASE WHEN g % 7 = 0 THEN NULL ELSE 'name ' || g END AS name,
       (ARRAY['GB', 'US', 'DE', 'FR', 'XX'])[1 + g % 5] AS country,
       CASE WHEN g % 33 = 0 THEN 'n/a' ELSE '2026-01-' || lpad((1 + g % 28)::text, 2, '0') END AS signup,
       (g % 1000)::numeric / 10 AS score
  FROM generate_series(1, greatest(:rows * 5, 1000000)) g;
ALTER TABLE bench_people ADD PRIMARY KEY (id);
VACUUM ANALYZE bench_people;

\o /dev/null
SELECT dataeng.rule_add('bench_people', 'r1', 'not_null', 'name');
SELECT dataeng.rule_add('bench_people', 'r2', 'range', 'age', '{"min": 18, "max": 80}');
SELECT dataeng.rule_add('bench_people', 'r3', 'accepted_values', 'country', '{"values": ["GB", "US", "DE", "FR"]}');
SELECT dataeng.rule_add('bench_people', 'r4', 'regex', 'email', '{"pattern": "^[^@]+@[^@]+\\.[a-z]+$"}');
SELECT dataeng.rule_add('bench_people', 'r5', 'length', 'name', '{"max": 12}');
SELECT dataeng.rule_add('bench_people', 'r6', 'range', 'score', '{"min": 0, "max": 99}');
SELECT dataeng.rule_add('bench_people', 'r7', 'validator', 'email', '{"function": "email"}');
SELECT dataeng.rule_add('bench_people', 'r8', 'validator', 'signup', '{"function": "date", "format": "YYYY-MM-DD"}');
SELECT dataeng.rule_add('bench_people', 'r9', 'expression', params => '{"expression": "age < 60 OR score > 10"}');
SELECT dataeng.rule_add('bench_people', 'r10', 'not_null', 'signup');
\o

CREATE TEMP TABLE t (what text, secs float8);
CREATE PROCEDURE bench_validate_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
  r record;
BEGIN
  FOR rep IN 1..3 LOOP
    t0 := clock_timestamp();
    PERFORM * FROM dataeng.validate('bench_people');
    INSERT INTO t VALUES ('validate', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    FOR r IN SELECT x FROM dataeng.rules x WHERE table_name = 'bench_people'::regclass LOOP
      EXECUTE format('SELECT count(*) FROM bench_people t WHERE NOT %s', dataeng_internal._rule_condition(r.x)) INTO n;
    END LOOP;
    INSERT INTO t VALUES ('separate queries', extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
CALL bench_validate_run();

\echo 'Table rules: 10 row-level rules, seconds (median of 3)'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs FROM t GROUP BY what)
SELECT (SELECT count(*) FROM bench_people) AS rows,
       round(v.secs::numeric, 3) AS validate_s, round(q.secs::numeric, 3) AS separate_queries_s,
       round((v.secs / q.secs)::numeric, 2) AS ratio,
       CASE WHEN v.secs < q.secs / 2 THEN 'met' ELSE 'MISSED' END AS target_lt_half
  FROM m v, m q WHERE v.what = 'validate' AND q.what = 'separate queries';

DROP PROCEDURE bench_validate_run;
DROP TABLE bench_people;
DROP EXTENSION dataeng;
