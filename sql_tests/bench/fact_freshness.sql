-- Benchmark: freshness of a fact refreshed by the scheduler under a
-- steady stream of writes (docs/facts.md, "Cost model").
--
-- A source of :fact_rows rows (default make bench's BENCH_ROWS, else
-- 200,000) over 60 days with int dimensions (about 6,000 groups), a fact
-- with count, sum, min and max scheduled every second, then :secs seconds
-- (default 20) of writes: every 100 ms a transaction updating, deleting and
-- inserting :batch rows each (default 20; a fifth of the updates move a row
-- to the next day).  Twice a second the fact's lag is sampled
-- (dataeng.facts.lag_seconds: the age of the oldest change not yet
-- applied).  Prints the median and greatest lag, then waits for the fact
-- to catch up and compares it with its GROUP BY row for row.
-- Target: the lag stays within a few seconds.
\if :{?fact_rows}
\elif :{?rows}
\set fact_rows :rows
\else
\set fact_rows 200000
\endif
\if :{?secs} \else \set secs 20 \endif
\if :{?batch} \else \set batch 20 \endif
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS dataeng;
SELECT dataeng.fact_drop('bench_fresh') FROM dataeng.facts WHERE name = 'bench_fresh';
DROP TABLE IF EXISTS bench_fsrc, bench_fresh, bench_lag CASCADE;
DROP PROCEDURE IF EXISTS bench_stream;
CREATE TABLE bench_lag (at timestamptz, lag numeric, pending bigint);

CREATE TABLE bench_fsrc (id bigint PRIMARY KEY, at timestamptz NOT NULL, d1 int NOT NULL, d2 int NOT NULL,
                         a int, b numeric(12,2));
INSERT INTO bench_fsrc
SELECT g, timestamptz '2025-01-01 00:00+00' + (hashint8(g) & 8388607) * 0.618 * interval '1 second',
       (hashint8(g * 7) & 1023) % 10, (hashint8(g * 13) & 1023) % 10,
       hashint8(g * 17) & 65535, ((hashint8(g * 19) & 65535) / 100.0)::numeric(12,2)
  FROM generate_series(1, :fact_rows) g;
ANALYZE bench_fsrc;
SELECT dataeng.fact_create('bench_fresh', 'bench_fsrc', 'at', 'day', ARRAY['d1', 'd2'],
                           ARRAY['count(*)', 'sum(a)', 'sum(b)', 'min(a)', 'max(a)'],
                           schedule => '1 second') IS NOT NULL AS created;

CREATE PROCEDURE bench_stream(secs int, batch int) LANGUAGE plpgsql AS $$
DECLARE
  t_end timestamptz := clock_timestamp() + secs * interval '1 second';
  next_sample timestamptz := clock_timestamp();
  top bigint;
  i bigint := 0;
BEGIN
  SELECT max(id) INTO top FROM bench_fsrc;
  WHILE clock_timestamp() < t_end LOOP
    i := i + 1;
    UPDATE bench_fsrc SET a = hashint8(id + i) & 65535,
           at = CASE WHEN id % 5 = 0 THEN at + interval '1 day' ELSE at END
     WHERE id IN (SELECT (hashint8(i * 1000003 + g) & 9223372036854775807) % top + 1
                    FROM generate_series(1, batch) g);
    DELETE FROM bench_fsrc
     WHERE id IN (SELECT (hashint8(i * 2000003 + g) & 9223372036854775807) % top + 1
                    FROM generate_series(1, batch) g);
    INSERT INTO bench_fsrc
    SELECT top + i * batch + g, timestamptz '2025-01-01 00:00+00' + (hashint8(i * 3000003 + g) & 8388607) * 0.618 * interval '1 second',
           g % 10, (g * 3) % 10, hashint8(i * 4000003 + g) & 65535, g
      FROM generate_series(1, batch) g;
    COMMIT;
    IF clock_timestamp() >= next_sample THEN
      INSERT INTO bench_lag SELECT clock_timestamp(), f.lag_seconds, f.pending_changes
        FROM dataeng.facts f WHERE f.name = 'bench_fresh';
      COMMIT;
      next_sample := next_sample + interval '500 ms';
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;

\echo '== a stream of writes for' :secs 's, the fact refreshed every second by the scheduler'
CALL bench_stream(:secs, :batch);

-- catch up (at most a minute), then the same answer as the GROUP BY
DO $$
DECLARE
  t_end timestamptz := clock_timestamp() + interval '60 s';
BEGIN
  WHILE clock_timestamp() < t_end
        AND (SELECT coalesce(pending_changes, 1) FROM dataeng.facts WHERE name = 'bench_fresh') > 0 LOOP
    PERFORM pg_sleep(0.2);
  END LOOP;
END $$;
SELECT count(*) AS samples, round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 2) AS median_lag_s,
       max(lag) AS max_lag_s, max(pending) AS max_pending_changes
  FROM bench_lag;
SELECT f.last_refresh_path, f.pending_changes,
       (SELECT count(*) FROM (
          (SELECT bucket, d1, d2, count, sum_a, sum_b, min_a, max_a FROM bench_fresh
           EXCEPT ALL
           SELECT date_trunc('day', at, f.time_zone), d1, d2, count(*), sum(a), sum(b), min(a), max(a)
             FROM bench_fsrc GROUP BY 1, 2, 3)
          UNION ALL
          (SELECT date_trunc('day', at, f.time_zone), d1, d2, count(*), sum(a), sum(b), min(a), max(a)
             FROM bench_fsrc GROUP BY 1, 2, 3
           EXCEPT ALL
           SELECT bucket, d1, d2, count, sum_a, sum_b, min_a, max_a FROM bench_fresh)) x) AS rows_differing
  FROM dataeng.facts f WHERE f.name = 'bench_fresh';
SELECT status, count(*) AS runs, round(avg(extract(epoch FROM finished_at - started_at))::numeric, 3) AS avg_run_s,
       round(max(extract(epoch FROM finished_at - started_at))::numeric, 3) AS max_run_s
  FROM dataeng.job_runs r JOIN dataeng.jobs j ON j.job_id = r.job_id
 WHERE j.job_name = 'fact_refresh:bench_fresh' GROUP BY status;

SELECT dataeng.fact_drop('bench_fresh');
DROP TABLE bench_fsrc, bench_lag;
DROP PROCEDURE bench_stream;
