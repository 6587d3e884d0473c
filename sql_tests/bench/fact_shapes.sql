-- Benchmark: fact_refresh against REFRESH MATERIALIZED VIEW of the same
-- GROUP BY on several shapes of source (docs/facts.md, "Cost model").
--
-- Each shape: a source of :fact_rows rows (default 2,000,000) over 60
-- days, a fact at day grain by two dimensions with 10 x 10 values (about
-- 6,000 groups; the _few and _many shapes other counts), and a
-- materialized view of the same GROUP BY.  Then 1.5%
-- of the rows change (0.5% updated, a fifth of them moved to the next
-- day; 0.5% deleted; 0.5% inserted), each in its own statement, and
-- dataeng.fact_refresh() and REFRESH MATERIALIZED VIEW are timed (median
-- of :reps rounds), their results compared row for row, and the path the
-- refresh took shown.  Beside the elapsed times, the backend's CPU time
-- of each (refresh_cpu_s, mv_cpu_s: its time on a CPU from Linux's
-- /proc/self/schedstat, not the time it waited for one; NULL elsewhere):
-- a loaded machine moves these far less than the elapsed times.
--
--   int           int dimensions, no index on the time column, count and sums
--   int_minmax    the same with min and max
--   text_minmax   text dimensions, min and max
--   int_minmax_ix int dimensions, min and max, an index on the time column
--   int_distinct  int dimensions, count and sums and count(DISTINCT c) of a
--                 column of 4,096 values (about as many distinct values per
--                 group as rows), no index on the time column
--   int_few       int dimensions of 2 x 2 values (about 240 groups), count
--                 and sums, no index on the time column
--   int_many      int dimensions of 100 x 100 values (about 600,000 groups
--                 at 2,000,000 rows), count and sums, no time index
--
-- Target: fact_refresh at least 20x faster than the full refresh on every
-- shape.  The size: -v fact_rows=N, else make bench's BENCH_ROWS
-- (BENCH=fact_shapes BENCH_ROWS=2000000 make bench for the issue's size).
\if :{?fact_rows}
\elif :{?rows}
\set fact_rows :rows
\else
\set fact_rows 2000000
\endif
\if :{?reps} \else \set reps 3 \endif
\if :{?shapes} \else \set shapes 'int,int_minmax,text_minmax,int_minmax_ix,int_distinct,int_few,int_many' \endif
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;   -- both sides single-process

CREATE EXTENSION IF NOT EXISTS dataeng;
SELECT dataeng.fact_drop('bench_shape') FROM dataeng.facts WHERE name = 'bench_shape';
DROP TABLE IF EXISTS bench_src, bench_shape CASCADE;
DROP TABLE IF EXISTS bench_shape_results;
DROP PROCEDURE IF EXISTS bench_shape_setup, bench_shape_round;
CREATE TABLE bench_shape_results (shape text, size bigint, rep int, what text, secs float8, cpu_s float8,
                                  changes bigint, path text, diff bigint);

CREATE PROCEDURE bench_shape_setup(shape text, size bigint) LANGUAGE plpgsql AS $$
DECLARE
  dim text := CASE WHEN shape LIKE 'text%' THEN 'text' ELSE 'int' END;
  minmax boolean := shape LIKE '%minmax%';
  dist boolean := shape LIKE '%distinct%';
  -- values per dimension: few, many, or the default 10
  nd int := CASE WHEN shape LIKE '%\_few' THEN 2 WHEN shape LIKE '%\_many' THEN 100 ELSE 10 END;
  measures text[] := ARRAY['count(*)', 'sum(a)', 'sum(b)']
                     || CASE WHEN minmax THEN ARRAY['min(a)', 'max(a)'] ELSE '{}' END
                     || CASE WHEN dist THEN ARRAY['count(DISTINCT c)'] ELSE '{}' END;
BEGIN
  PERFORM dataeng.fact_drop('bench_shape') FROM dataeng.facts WHERE name = 'bench_shape';
  DROP TABLE IF EXISTS bench_src CASCADE;
  EXECUTE format('CREATE TABLE bench_src (id bigint PRIMARY KEY, at timestamptz NOT NULL, '
                 'd1 %1$s NOT NULL, d2 %1$s NOT NULL, a int, b numeric(12,2)%2$s)', dim,
                 CASE WHEN dist THEN ', c int' ELSE '' END);
  IF shape LIKE '%\_ix' THEN
    CREATE INDEX ON bench_src (at);
  END IF;
  EXECUTE format('INSERT INTO bench_src SELECT g, timestamptz ''2025-01-01 00:00+00'' + (hashint8(g) & 8388607) * 0.618 * interval ''1 second'', '
                 '%1$s, %2$s, hashint8(g * 17) & 65535, ((hashint8(g * 19) & 65535) / 100.0)::numeric(12,2)%4$s '
                 'FROM generate_series(1, %3$s) g',
                 format(CASE dim WHEN 'text' THEN '''region '' || (hashint8(g * 7) & 1023) %% %s' ELSE '(hashint8(g * 7) & 1023) %% %s' END, nd),
                 format(CASE dim WHEN 'text' THEN '''category '' || (hashint8(g * 13) & 1023) %% %s' ELSE '(hashint8(g * 13) & 1023) %% %s' END, nd),
                 size, CASE WHEN dist THEN ', hashint8(g * 29) & 4095' ELSE '' END);
  COMMIT;
  PERFORM dataeng.fact_create('bench_shape', 'bench_src', 'at', 'day', ARRAY['d1', 'd2'], measures,
                              schedule => NULL);
  COMMIT;
  EXECUTE format('CREATE MATERIALIZED VIEW bench_shape_mv AS '
                 'SELECT date_trunc(''day'', at, current_setting(''TimeZone'')) AS bucket, d1, d2, '
                 'count(*) AS count, sum(a) AS sum_a, sum(b) AS sum_b%s%s FROM bench_src GROUP BY 1, 2, 3',
                 CASE WHEN minmax THEN ', min(a) AS min_a, max(a) AS max_a' ELSE '' END,
                 CASE WHEN dist THEN ', count(DISTINCT c) AS count_distinct_c' ELSE '' END);
  COMMIT;
  ANALYZE bench_src;
  ANALYZE bench_shape_data;
END $$;

CREATE PROCEDURE bench_shape_round(shape text, size bigint, rep int, nchg bigint) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  c0 bigint;
  r_secs float8;
  r_cpu float8;
  n bigint;
  top bigint;
  ndiff bigint;
  dist boolean := shape LIKE '%distinct%';
  cols text := 'bucket, d1, d2, count, sum_a, sum_b' || CASE WHEN shape LIKE '%minmax%' THEN ', min_a, max_a' ELSE '' END
               || CASE WHEN dist THEN ', count_distinct_c' ELSE '' END;
BEGIN
  SELECT max(id) INTO top FROM bench_src;
  EXECUTE format('UPDATE bench_src SET a = hashint8(id + $1) & 65535, b = b + 1, '
                 'at = CASE WHEN id %% 5 = 0 THEN at + interval ''1 day'' ELSE at END%s '
                 'WHERE id IN (SELECT (hashint8($1 * 1000003 + g) & 9223372036854775807) %% $2 + 1 '
                 '               FROM generate_series(1, $3) g)',
                 CASE WHEN dist THEN ', c = hashint8(id * 31 + $1) & 4095' ELSE '' END)
    USING rep, top, nchg;
  COMMIT;
  DELETE FROM bench_src
   WHERE id IN (SELECT (hashint8(rep * 2000003 + g) & 9223372036854775807) % top + 1
                  FROM generate_series(1, nchg) g);
  COMMIT;
  -- inserts: copies of existing rows' time and dimensions, new values
  EXECUTE format('INSERT INTO bench_src '
                 'SELECT $2 + row_number() OVER (ORDER BY id), at, d1, d2, hashint8(id * 23 + $1) & 65535, b%s '
                 '  FROM bench_src WHERE id IN (SELECT (hashint8($1 * 3000003 + g) & 9223372036854775807) %% $2 + 1 '
                 '                                FROM generate_series(1, $3) g)',
                 CASE WHEN dist THEN ', hashint8(id * 37 + $1) & 4095' ELSE '' END)
    USING rep, top, nchg;
  COMMIT;

  c0 := split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint;
  t0 := clock_timestamp();
  n := dataeng.fact_refresh('bench_shape');
  COMMIT;
  -- (both times read before the path is read from dataeng.facts, whose
  -- lag columns, counted from the change log, are no part of a refresh)
  r_secs := extract(epoch FROM clock_timestamp() - t0);
  r_cpu := (split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint - c0) / 1e9;
  INSERT INTO bench_shape_results (shape, size, rep, what, secs, cpu_s, changes, path)
  SELECT shape, size, rep, 'fact_refresh', r_secs, r_cpu, n, f.last_refresh_path
    FROM dataeng.facts f WHERE f.name = 'bench_shape';
  COMMIT;

  c0 := split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint;
  t0 := clock_timestamp();
  REFRESH MATERIALIZED VIEW bench_shape_mv;
  COMMIT;
  INSERT INTO bench_shape_results (shape, size, rep, what, secs, cpu_s)
  VALUES (shape, size, rep, 'refresh_mv', extract(epoch FROM clock_timestamp() - t0),
          (split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint - c0) / 1e9);

  EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM bench_shape EXCEPT ALL SELECT %1$s FROM bench_shape_mv) '
                 'UNION ALL (SELECT %1$s FROM bench_shape_mv EXCEPT ALL SELECT %1$s FROM bench_shape)) x', cols)
    INTO ndiff;
  UPDATE bench_shape_results r SET diff = ndiff
   WHERE r.shape = bench_shape_round.shape AND r.rep = bench_shape_round.rep AND r.what = 'fact_refresh';
  COMMIT;
END $$;

SELECT stmt FROM unnest(string_to_array(:'shapes', ',')) WITH ORDINALITY u(s, o),
     LATERAL (SELECT 1 AS k, format('CALL bench_shape_setup(%L, %s)', s, :fact_rows) AS stmt
              UNION ALL SELECT 2, 'VACUUM bench_src'
              UNION ALL SELECT 3, 'VACUUM bench_shape_data'
              UNION ALL SELECT 4, 'CHECKPOINT'
              UNION ALL SELECT 4 + r, format('CALL bench_shape_round(%L, %s, %s, %s)', s, :fact_rows, r, :fact_rows / 200)
                          FROM generate_series(1, :reps) r) x
 ORDER BY o, k \gexec

\echo '== fact_refresh vs REFRESH MATERIALIZED VIEW per shape (median seconds; 1.5% of the rows changed each round)'
SELECT shape, size AS source_rows, max(changes) AS changes,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'fact_refresh')::numeric, 4) AS fact_refresh_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'refresh_mv')::numeric, 4) AS refresh_mv_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'refresh_mv')
              / percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'fact_refresh'))::numeric, 1) AS ratio,
       max(diff) AS rows_differing,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'fact_refresh')::numeric, 4) AS refresh_cpu_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'refresh_mv')::numeric, 4) AS mv_cpu_s,
       string_agg(DISTINCT path, '; ') AS paths
  FROM bench_shape_results GROUP BY shape, size ORDER BY min(ctid);

SELECT dataeng.fact_drop('bench_shape');
DROP TABLE bench_src CASCADE;
DROP TABLE bench_shape_results;
DROP PROCEDURE bench_shape_setup, bench_shape_round;
