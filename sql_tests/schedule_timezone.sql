-- Scheduling: cron schedules read in dataeng.timezone, across the changes
-- of summer time, as Vixie cron runs them: a time the clock skips runs at
-- the change, once; a fixed time the clock shows twice runs once; a
-- wildcard minute or hour follows the clock.  Cron schedules used to be
-- read in UTC only (a job meant for 02:30 in New York moved by an hour
-- twice a year).  Intervals count elapsed time, whatever the zone.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

-- a zone PostgreSQL does not know is refused
ALTER SYSTEM SET dataeng.timezone = 'Mars/Olympus';
ALTER SYSTEM SET dataeng.timezone = 'America/New_York';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
-- (the reload reaches this session between two statements; the scheduler
-- before its next pass)
SELECT pg_sleep(1);
SHOW dataeng.timezone;
SELECT wait_for(format('SELECT dataeng_internal._scheduler_conf_read() > %L', :'conf_changed')) AS scheduler_read_conf;
SET TimeZone = 'America/New_York';
-- the first n runs of a schedule after a time
CREATE FUNCTION tz_runs(s text, a timestamptz, n int) RETURNS SETOF timestamptz LANGUAGE sql AS $$
  WITH RECURSIVE r(i, t) AS (SELECT 1, dataeng_internal._schedule_next(s, a)
                             UNION ALL
                             SELECT i + 1, dataeng_internal._schedule_next(s, t) FROM r WHERE i < n)
  SELECT t FROM r ORDER BY i $$;
-- 2026-03-08: 02:00 EST becomes 03:00 EDT.  02:30 does not happen: the
-- job runs at the change, once, then at 02:30 EDT
SELECT tz_runs('30 2 * * *', '2026-03-06 12:00 EST', 4) AS at_0230;
SELECT tz_runs('0 3 * * *', '2026-03-07 12:00 EST', 2) AS at_0300;
SELECT tz_runs('*/30 * * * *', '2026-03-08 01:00 EST', 3) AS every_30_min;
-- noon is noon, in winter and in summer
SELECT tz_runs('0 12 * * *', '2026-03-07 00:00 EST', 2) AS at_noon;
-- 2026-11-01: 02:00 EDT becomes 01:00 EST.  A fixed 01:30 runs once, at
-- its first occurrence (also when asked from inside the repeated hour);
-- a wildcard minute or hour runs through both hours
SELECT tz_runs('30 1 * * *', '2026-10-31 12:00 EDT', 3) AS at_0130;
SELECT dataeng_internal._schedule_next('30 1 * * *', '2026-11-01 01:10 EST') AS at_0130_from_repeated_hour;
SELECT tz_runs('*/30 * * * *', '2026-11-01 00:40 EDT', 5) AS every_30_min;
SELECT tz_runs('@hourly', '2026-11-01 00:10 EDT', 3) AS hourly;
-- the scheduler reads its schedules in the zone too: the first run
-- (computed by schedule()) at the change, the next one (computed by the
-- scheduler when the run starts) at 02:30 EDT, on the test clock
SELECT dataeng_internal._scheduler_test_now('2026-03-07 12:00 EST');
SELECT dataeng.schedule('tz_job', '30 2 * * *', 'SELECT 1') > 0 AS scheduled;
SELECT next_run_at AS first_run FROM dataeng.jobs WHERE job_name = 'tz_job';
SELECT dataeng_internal._scheduler_test_now('2026-03-08 03:00:30 EDT');
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'tz_job'$$) AS ran;
SELECT next_run_at AS second_run FROM dataeng.jobs WHERE job_name = 'tz_job';
SELECT dataeng.unschedule('tz_job');
SELECT dataeng_internal._scheduler_test_now(NULL);
-- the southern hemisphere: Sydney leaves summer time on 2026-04-05 (03:00
-- AEDT becomes 02:00 AEST) and takes it on 2026-10-04 (02:00 AEST becomes
-- 03:00 AEDT)
ALTER SYSTEM SET dataeng.timezone = 'Australia/Sydney';
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SET TimeZone = 'Australia/Sydney';
SELECT tz_runs('30 2 * * *', '2026-04-04 12:00+11', 2) AS sydney_autumn;
SELECT tz_runs('30 2 * * *', '2026-10-03 12:00+10', 2) AS sydney_spring;
-- an interval is elapsed time: a day is 24 hours
SELECT dataeng_internal._schedule_next('1 day', '2026-10-03 12:00+10') AS one_day;
-- a schedule that never matches is refused in any zone
SELECT dataeng_internal._schedule_valid('0 0 30 2 *') AS never, dataeng_internal._schedule_valid('30 2 * * *') AS valid;

ALTER SYSTEM RESET dataeng.timezone;
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SHOW dataeng.timezone;
RESET TimeZone;
DROP FUNCTION tz_runs(text, timestamptz, int);
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
