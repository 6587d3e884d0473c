-- Benchmark: a burst of due jobs of one role in two databases, under
-- dataeng.max_parallel_jobs_per_role (a role's runs in every database
-- together).  BENCH_VARS="jobs=N" jobs per database (default 12), each
-- sleeping 0.2 s, at most 3 of the role's at once.  Figure: the time from
-- the first start to the last; anchor: what the cap and the jobs' length
-- alone take (one batch of 3 every 0.2 s).  A run's end used to wake its
-- own database's scheduler alone: the other database's, whose jobs the cap
-- held back, took the freed places at its next look, a second later, and
-- the burst started a few runs a second whatever the cap allowed.
SET client_min_messages = warning;
\if :{?jobs}
\else
\set jobs 12
\endif
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE DATABASE bench_burst2;
CREATE ROLE bench_burst LOGIN;
ALTER SYSTEM SET dataeng.max_parallel_jobs_per_role = 3;
ALTER SYSTEM SET dataeng.max_parallel_jobs = 8;
SELECT pg_reload_conf() \gset
\o /dev/null
CREATE TABLE public.bench_burst_log (job text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON public.bench_burst_log TO bench_burst;
SET ROLE bench_burst;
SELECT count(dataeng.schedule('a' || g, '@yearly', format('INSERT INTO public.bench_burst_log (job) VALUES (%L); SELECT pg_sleep(0.2)', 'a' || g)))
  FROM generate_series(1, :jobs) g;
RESET ROLE;
\c bench_burst2
CREATE EXTENSION dataeng;
CREATE TABLE public.bench_burst_log (job text, at timestamptz DEFAULT clock_timestamp());
GRANT INSERT ON public.bench_burst_log TO bench_burst;
SET ROLE bench_burst;
SELECT count(dataeng.schedule('b' || g, '@yearly', format('INSERT INTO public.bench_burst_log (job) VALUES (%L); SELECT pg_sleep(0.2)', 'b' || g)))
  FROM generate_series(1, :jobs) g;
RESET ROLE;
\o
-- both bursts asked for at once (the second database's a few ms later)
\c postgres
SET ROLE bench_burst;
SELECT count(dataeng.job_run_now('a' || g)) FROM generate_series(1, :jobs) g \gset
\c bench_burst2
SET ROLE bench_burst;
SELECT count(dataeng.job_run_now('b' || g)) FROM generate_series(1, :jobs) g \gset
RESET ROLE;
SELECT set_config('bench.jobs', :'jobs', false) \gset
DO $$
BEGIN
  WHILE (SELECT count(*) FROM public.bench_burst_log) < current_setting('bench.jobs')::int LOOP
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT min(at) AS b_first, max(at) AS b_last FROM public.bench_burst_log \gset
\c postgres
SELECT set_config('bench.jobs', :'jobs', false) \gset
DO $$
BEGIN
  WHILE (SELECT count(*) FROM public.bench_burst_log) < current_setting('bench.jobs')::int LOOP
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT round(extract(epoch FROM greatest(max(at), :'b_last'::timestamptz) - least(min(at), :'b_first'::timestamptz))::numeric, 2) AS spread,
       round((ceil(2 * :jobs / 3.0) - 1) * 0.2, 2) AS anchor
  FROM public.bench_burst_log \gset
SELECT format('burst of %s due jobs of one role in 2 databases, max_parallel_jobs_per_role 3, 0.2 s each: '
              'first to last start %s s; anchor (the cap and the jobs alone) %s s; ratio %s',
              2 * :jobs, :'spread', :'anchor', round(:'spread'::numeric / :'anchor'::numeric, 2)) AS result;
ALTER SYSTEM RESET dataeng.max_parallel_jobs_per_role;
ALTER SYSTEM RESET dataeng.max_parallel_jobs;
SELECT pg_reload_conf() \gset
\o /dev/null
SET ROLE bench_burst;
SELECT dataeng.unschedule('a' || g) FROM generate_series(1, :jobs) g;
RESET ROLE;
DROP TABLE public.bench_burst_log;
\c bench_burst2
SET ROLE bench_burst;
SELECT dataeng.unschedule('b' || g) FROM generate_series(1, :jobs) g;
RESET ROLE;
\c postgres
\o
DROP DATABASE bench_burst2 WITH (FORCE);
DROP OWNED BY bench_burst;
DROP ROLE bench_burst;
