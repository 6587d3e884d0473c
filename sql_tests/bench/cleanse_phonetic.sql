-- Benchmark: dataeng.double_metaphone() and dataeng.metaphone_key() against
-- lower(text), over :rows names (x5, at least 1M): the whole query time of
-- each, median of 3.  Target: each at most 3x lower().
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

CREATE TABLE bench_names AS
SELECT (ARRAY['Smith', 'Schmidt', 'Thompson', 'Mitchell', 'McCarthy', 'Gallegos',
              'Xavier', 'Wright', 'Nguyen', 'Müller', 'O''Brien', 'van der Berg'])[1 + g % 12]
       || CASE WHEN g % 3 = 0 THEN '' ELSE 'son' END AS name
  FROM generate_series(1, greatest(:rows * 5, 1000000)) g;
VACUUM ANALYZE bench_names;

CREATE TEMP TABLE t (what text, secs float8);
CREATE PROCEDURE bench_phonetic_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
BEGIN
  FOR rep IN 1..3 LOOP
    t0 := clock_timestamp();
    SELECT count(lower(name)) INTO n FROM bench_names;
    INSERT INTO t VALUES ('lower', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT count(dataeng.double_metaphone(name)) INTO n FROM bench_names;
    INSERT INTO t VALUES ('double_metaphone', extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT count(dataeng.metaphone_key(name)) INTO n FROM bench_names;
    INSERT INTO t VALUES ('metaphone_key', extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
CALL bench_phonetic_run();

\echo 'Phonetic codes: query time (median of 3), seconds, against lower(text)'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs FROM t GROUP BY what)
SELECT (SELECT count(*) FROM bench_names) AS rows,
       round(l.secs::numeric, 3) AS lower_s,
       round(d.secs::numeric, 3) AS double_metaphone_s,
       round(k.secs::numeric, 3) AS metaphone_key_s,
       round((d.secs / l.secs)::numeric, 2) AS double_metaphone_over_lower,
       round((k.secs / l.secs)::numeric, 2) AS metaphone_key_over_lower,
       CASE WHEN greatest(d.secs, k.secs) <= 3 * l.secs THEN 'met' ELSE 'MISSED' END AS target_3x
  FROM m l, m d, m k
 WHERE l.what = 'lower' AND d.what = 'double_metaphone' AND k.what = 'metaphone_key';

DROP PROCEDURE bench_phonetic_run;
DROP TABLE bench_names;
DROP EXTENSION dataeng;
