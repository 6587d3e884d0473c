-- Benchmark: reading dataeng.pipeline_status with a chain of jobs, each
-- depending on the one before, the first paused: every job below it
-- waits for it, at any depth, and says so.  The chains are followed in
-- one recursive query for all jobs (a walk from each job took seconds for
-- a chain of 100), the jobs in cycles found by Tarjan's algorithm (the
-- reach of each job, followed in a recursive query, was quadratic).
-- Against the anchor of reading dataeng.jobs.  Target: a read well under a
-- second for a chain of 100 jobs (BENCH_VARS="jobs=N": a chain of 1,000
-- jobs; its read took 6.0 s, 0.16 s now, best of 5 at a load of 15 to 19
-- on 2 cores, the two builds run one after the other).
-- Also the setup: schedule() of each job of the chain, each depending on
-- the one before, against inserting the same rows into a plain table.  Its
-- cycle check walked every job upstream at each call (a recursive query
-- whose every step scanned the jobs): 1.4 s for 100 jobs, 136 s for 400,
-- cubic; it walks the jobs downstream now (none, for the chain's newest):
-- 0.42 s, 1.0 s, and 3.7 s for 1,000, at a load of 8 to 10 on 2 cores
-- (through run.sh, durable: 1.5 s for 1,000 against 0.07 s for the plain
-- inserts, at a load of 12 to 17).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET jit = off;
\if :{?jobs}
\else
\set jobs 100
\endif
SELECT set_config('bench.jobs', :'jobs', false);
CREATE TEMP TABLE bench_t (what text, ms numeric);
\o /dev/null
SELECT dataeng_internal._scheduler_test_now('2030-01-01 00:00:00+00');
DO $$
DECLARE
  t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  PERFORM dataeng.schedule('bench_chain1', '@yearly', 'SELECT 1');
  FOR i IN 2 .. current_setting('bench.jobs')::int LOOP
    PERFORM dataeng.schedule(format('bench_chain%s', i), '@yearly', 'SELECT 1',
                             depends_on => ARRAY[format('bench_chain%s', i - 1)]);
  END LOOP;
  INSERT INTO bench_t VALUES ('setup: schedule() of the chain', extract(epoch FROM clock_timestamp() - t0) * 1000);
  PERFORM dataeng.job_pause('bench_chain1');
  CREATE TEMP TABLE bench_plain (LIKE dataeng.jobs INCLUDING DEFAULTS);
  t0 := clock_timestamp();
  FOR i IN 1 .. current_setting('bench.jobs')::int LOOP
    INSERT INTO bench_plain (job_id, job_name, schedule, command, depends_on)
    VALUES (i, format('bench_chain%s', i), '@yearly', 'SELECT 1',
            CASE WHEN i > 1 THEN ARRAY[format('bench_chain%s', i - 1)] END);
  END LOOP;
  INSERT INTO bench_t VALUES ('setup anchor: the same rows into a plain table', extract(epoch FROM clock_timestamp() - t0) * 1000);
END $$;
\o
DO $$
DECLARE
  t0 timestamptz;
  n bigint;
BEGIN
  FOR r IN 1 .. 5 LOOP
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM dataeng.pipeline_status WHERE kind = 'job' AND state = 'warning';
    INSERT INTO bench_t VALUES ('pipeline_status', extract(epoch FROM clock_timestamp() - t0) * 1000);
    IF n <> current_setting('bench.jobs')::int - 1 THEN
      RAISE EXCEPTION 'expected % jobs warning, got %', current_setting('bench.jobs')::int - 1, n;
    END IF;
    t0 := clock_timestamp();
    PERFORM count(*) FROM dataeng.jobs;
    INSERT INTO bench_t VALUES ('anchor: dataeng.jobs', extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
END $$;
SELECT :'jobs' AS jobs, what, round(min(ms), 2) AS best_ms, round(avg(ms), 2) AS avg_ms FROM bench_t GROUP BY what ORDER BY what;
SELECT dataeng_internal._scheduler_test_now(NULL);
