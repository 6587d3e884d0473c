-- Benchmark: incremental refresh of a fact table against REFRESH
-- MATERIALIZED VIEW of the same GROUP BY.
--
-- A sales table of :fact_rows rows (default 2,000,000) over a year, a fact
-- at day grain by two dimensions (region, category) with three measures
-- (count(*), sum(amount), avg(quantity)), and a materialized view of the
-- same GROUP BY.  0.5% of the rows are updated (a fifth of them move to
-- another day or region), 0.5% deleted and 0.5% inserted; then
-- dataeng.fact_refresh() and REFRESH MATERIALIZED VIEW are timed (median
-- of :reps rounds) and their results compared.  Then the source grows 5x
-- and the same number of changes is applied again: the refresh time
-- should stay flat while the full refresh grows with the table.
-- Target: fact_refresh at least 20x faster than the full refresh.
\if :{?fact_rows} \else \set fact_rows 2000000 \endif
\if :{?reps} \else \set reps 3 \endif
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;   -- both sides single-process

CREATE EXTENSION IF NOT EXISTS dataeng;
DROP TABLE IF EXISTS bench_sales CASCADE;
DROP TABLE IF EXISTS bench_fact_results;
DROP PROCEDURE IF EXISTS bench_fill, bench_round, bench_setup;
CREATE TABLE bench_fact_results (size bigint, rep int, what text, secs float8, changes bigint);

CREATE TABLE bench_sales (
  id bigint PRIMARY KEY, sold_at timestamptz NOT NULL, region text NOT NULL,
  category text NOT NULL, amount numeric(12,2), quantity int);
CREATE INDEX ON bench_sales (sold_at);

-- rows first..last of the synthetic sales
CREATE PROCEDURE bench_fill(first bigint, last bigint) LANGUAGE sql AS $$
  INSERT INTO bench_sales
  SELECT g, timestamptz '2025-01-01 00:00+00' + (hashint8(g) & 31535999) * interval '1 second',
         'region ' || (hashint8(g * 7) & 7), 'category ' || (hashint8(g * 13) & 31),
         ((hashint8(g * 17) & 65535) / 100.0)::numeric(12,2), (hashint8(g * 19) & 15)::int
    FROM generate_series(first, last) g
$$;

-- One round: changes, then both refreshes timed, then compared.
CREATE PROCEDURE bench_round(size bigint, rep int, nchg bigint) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
  top bigint;
  diff bigint;
BEGIN
  SELECT max(id) INTO top FROM bench_sales;
  -- 0.5% updates (every fifth moves to another day and region), 0.5%
  -- deletes, 0.5% inserts, each one statement as an application batch would
  UPDATE bench_sales SET amount = amount + 1,
         sold_at = CASE WHEN id % 5 = 0 THEN sold_at + interval '1 day' ELSE sold_at END,
         region = CASE WHEN id % 5 = 0 THEN 'region 9' ELSE region END
   WHERE id IN (SELECT (hashint8(rep * 1000003 + g) & 9223372036854775807) % top + 1
                  FROM generate_series(1, nchg) g);
  COMMIT;
  DELETE FROM bench_sales
   WHERE id IN (SELECT (hashint8(rep * 2000003 + g) & 9223372036854775807) % top + 1
                  FROM generate_series(1, nchg) g);
  COMMIT;
  CALL bench_fill(top + 1, top + nchg);
  COMMIT;

  t0 := clock_timestamp();
  n := dataeng.fact_refresh('bench_fact');
  COMMIT;
  INSERT INTO bench_fact_results VALUES (size, rep, 'fact_refresh', extract(epoch FROM clock_timestamp() - t0), n);
  COMMIT;

  t0 := clock_timestamp();
  REFRESH MATERIALIZED VIEW bench_mv;
  COMMIT;
  INSERT INTO bench_fact_results VALUES (size, rep, 'refresh_mv', extract(epoch FROM clock_timestamp() - t0), NULL);

  SELECT count(*) INTO diff FROM (
    (SELECT bucket, region, category, count, sum_amount, avg_quantity FROM bench_fact
     EXCEPT ALL SELECT * FROM bench_mv)
    UNION ALL
    (SELECT * FROM bench_mv
     EXCEPT ALL SELECT bucket, region, category, count, sum_amount, avg_quantity FROM bench_fact)) x;
  IF diff <> 0 THEN
    RAISE EXCEPTION 'fact and materialized view differ in % rows', diff;
  END IF;
  COMMIT;
END $$;

CREATE PROCEDURE bench_setup(size bigint) LANGUAGE plpgsql AS $$
DECLARE
  top bigint := coalesce((SELECT max(id) FROM bench_sales), 0);
BEGIN
  PERFORM dataeng.fact_drop('bench_fact') FROM dataeng.facts WHERE name = 'bench_fact';
  PERFORM dataeng.cdc_disable('bench_sales');     -- grow without capturing
  COMMIT;
  CALL bench_fill(top + 1, size);
  COMMIT;
  PERFORM dataeng.cdc_purge();
  PERFORM dataeng.fact_create('bench_fact', 'bench_sales', 'sold_at', 'day',
                              ARRAY['region', 'category'],
                              ARRAY['count(*)', 'sum(amount)', 'avg(quantity)'], schedule => NULL);
  COMMIT;
  DROP MATERIALIZED VIEW IF EXISTS bench_mv;
  CREATE MATERIALIZED VIEW bench_mv AS
    SELECT date_trunc('day', sold_at, current_setting('TimeZone')) AS bucket, region, category,
           count(*) AS count, sum(amount) AS sum_amount, avg(quantity) AS avg_quantity
      FROM bench_sales GROUP BY 1, 2, 3;
  COMMIT;
  ANALYZE bench_sales;
  ANALYZE bench_fact_data;
END $$;

\echo '== building' :fact_rows 'rows'
SELECT format('CALL bench_setup(%s)', :fact_rows) \gexec
VACUUM bench_sales, bench_fact_data;
CHECKPOINT;
SELECT format('CALL bench_round(%s, %s, %s)', :fact_rows, r, :fact_rows / 200)
  FROM generate_series(1, :reps) r \gexec
\echo '== growing the source 5x'
SELECT format('CALL bench_setup(%s)', 5 * :fact_rows) \gexec
VACUUM bench_sales, bench_fact_data;
CHECKPOINT;
SELECT format('CALL bench_round(%s, %s, %s)', 5 * :fact_rows, r, :fact_rows / 200)
  FROM generate_series(100, 99 + :reps) r \gexec

\echo '== fact_refresh vs REFRESH MATERIALIZED VIEW (median seconds; same number of changes at both sizes)'
SELECT size AS source_rows,
       max(changes) AS changes,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'fact_refresh')::numeric, 4) AS fact_refresh_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'refresh_mv')::numeric, 4) AS refresh_mv_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'refresh_mv')
              / percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'fact_refresh'))::numeric, 1) AS ratio
  FROM bench_fact_results GROUP BY size ORDER BY size;

SELECT dataeng.fact_drop('bench_fact');
DROP TABLE bench_sales CASCADE;
DROP TABLE bench_fact_results;
DROP PROCEDURE bench_fill, bench_round, bench_setup;
