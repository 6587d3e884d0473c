-- Scheduling: schedules, the scheduler running jobs, errors and rights.
-- The cluster preloads dataeng, so this database has a scheduler.
\set VERBOSITY terse
CREATE EXTENSION dataeng;

-- wait (at most 30 s) until a condition holds; returns whether it did
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql

-- creating the extension woke the launcher, which starts a scheduler here
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

-------------------------------------------------------------------------------
-- Schedules: when is a schedule next due (UTC)
-------------------------------------------------------------------------------
SET TimeZone = 'UTC';
SELECT s, dataeng_internal._schedule_next(s, '2026-12-02 10:07:30+00') AS next
  FROM unnest(ARRAY[
    '* * * * *',                 -- next minute
    '*/5 * * * *',               -- step
    '7 * * * *',                 -- this minute already started: next hour
    '0 9-17/4 * * *',            -- range with step: 13:00
    '15,45 10 * * *',            -- list
    '5/20 * * * *',              -- start/step: 5, 25, 45
    '0 0 1 * *',                 -- monthly
    '0 0 1 jan *',               -- month name: next year
    '0 12 * * sun',              -- 2026-12-02 is a Wednesday
    '0 12 * * 7',                -- 7 is Sunday too
    '0 0 13 * fri',              -- both days restricted: the 13th OR a Friday
    '0 0 31 * *',                -- skips months without a 31st
    '0 0 29 2 *',                -- leap day
    '59 23 31 12 *',             -- year end
    '0 8 * * mon-fri',
    -- "sun" ending a range of days is 7: Friday to Sunday (it was refused,
    -- "Range 5-0 ... is backwards")
    '0 12 * * fri-sun',
    '0 12 * * mon-sun',
    -- a/n is a-max/n, the day of week's max 7 as in a range: "7/1" is
    -- Sunday (it was refused: never matches), "6/1" Saturday and Sunday
    -- (it was Saturday only)
    '0 12 * * 7/1',
    '0 12 * * 6/1',
    -- a day field starting with "*" is not restricted, as in Vixie cron and
    -- pg_cron: an odd day AND a Monday, 2026-12-07 (it was an odd day OR a
    -- Monday, 2026-12-03); "1-31/2" is restricted: the 3rd
    '0 0 */2 * mon',
    '0 0 1-31/2 * mon',
    '0 0 13 * */2',
    -- "sun-sun" and "0-sun" are Sunday (they matched every day)
    '0 12 * * sun-sun',
    '0 12 * * 0-sun',
    '@hourly', '@daily', '@midnight', '@weekly', '@monthly', '@yearly', '@annually',
    '30 seconds', '1 minute', '1 day 2 hours', '  @DAILY  '
  ]) AS s;
-- days and time mix: a day is 24 hours in UTC
SELECT dataeng_internal._schedule_next('1 day -1 hour', '2026-03-28 12:00+00') AT TIME ZONE 'UTC' AS day_less_an_hour;
-- "6/1" from a Saturday noon: the Sunday after (it was the next Saturday)
SELECT dataeng_internal._schedule_next('0 12 * * 6/1', '2026-12-05 12:00+00') AS six_on;
-- an interval is added in UTC whatever the session's TimeZone (in Paris,
-- "1 day" across the change to summer time was 23 hours, in UTC 24: the
-- first run, computed by schedule() in the caller's zone, and the next
-- ones, by the scheduler in the server's, disagreed)
SET TimeZone = 'Europe/Paris';
SELECT dataeng_internal._schedule_next('1 day', '2026-03-28 12:00+00') AT TIME ZONE 'UTC' AS one_day,
       dataeng_internal._schedule_next('1 month', '2026-10-15 12:00+00') AT TIME ZONE 'UTC' AS one_month;
SET TimeZone = 'America/New_York';
SELECT dataeng_internal._schedule_next('1 day', '2026-03-08 12:00+00') AT TIME ZONE 'UTC' AS one_day;
SET TimeZone = 'UTC';
SELECT dataeng_internal._schedule_next('1 day', '2026-03-28 12:00+00') AT TIME ZONE 'UTC' AS one_day;

-- bad schedules: the error names the offending part
CREATE FUNCTION schedule_error(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  d text;
BEGIN
  PERFORM dataeng_internal._schedule_next(s, now());
  RETURN 'accepted';
EXCEPTION WHEN invalid_parameter_value THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN d;
END;
$$;
SELECT s, schedule_error(s) AS detail FROM unnest(ARRAY[
    '61 * * * *',
    '4294967296 * * * *',        -- named as written (it was "Value 4294")
    '* 24 * * *',
    '* * 0 * *',
    '* * * 13 *',
    '* * * * 8',
    '5-1 * * * *',
    '* * * * sat-mon',           -- named as written (it was "Range 6-1")
    '1- * * * *',                -- (it was: Unexpected "")
    '1, * * * *',
    '*/0 * * * *',
    '1-5/0 * * * *',
    '*/100000000000 * * * *',    -- named as written (it was "Step 10000")
    '* * * * 1/8',
    '*/x * * * *',
    '* * * foo *',
    '1,,2 * * * *',
    '* * * *',
    -- a cron expression missing a field: PostgreSQL's interval input read
    -- '*/5 * * *' and '*/5' as 5 seconds, and the job ran every 5 seconds
    '*/5 * * *',
    '*/5',
    '0,30 * * *',
    '* * * * * *',
    '0 0 30 2 *',
    '@fortnightly',
    '-5 seconds',
    '0 seconds',
    -- shorter than a second: '1 microsecond' started runs back to back
    -- (895 in 3 s)
    '1 microsecond',
    '999 milliseconds',
    '0.5 seconds',
    '1 minute -59.5 seconds',
    -- months forward, days back: from February 1, '1 month -29 days' was
    -- January 31, a job due again at once (refused, whatever the date)
    '1 month -29 days',
    '-1 month 40 days',
    '1 second',
    'every minute',
    '']) AS s;
\set VERBOSITY default
SELECT dataeng_internal._schedule_next('*/5 * * * mon-frx', now());
SELECT dataeng.schedule('too_often', '1 microsecond', 'SELECT 1');
\set VERBOSITY terse
SELECT s, dataeng_internal._schedule_valid(s) FROM unnest(ARRAY['* * * * *', '1 hour', 'nope', '0 0 30 2 *', '-1 hour',
                                                        '99 * * * *', '* 24 * * *', '@fortnightly', '1 day 2 hours',
                                                        '*/5 * * *', '*/5',
                                                        -- (a comma may separate an interval's parts)
                                                        '1 hour, 30 minutes']) s;

-------------------------------------------------------------------------------
-- Bad arguments
-------------------------------------------------------------------------------
SELECT dataeng.schedule('', '1 hour', 'SELECT 1');
SELECT dataeng.schedule(NULL, '1 hour', 'SELECT 1');
-- a name past 1000 bytes: refused (one past what the unique index holds
-- failed with "index row requires 9616 bytes"); 1000 bytes are taken
\set VERBOSITY default
SELECT dataeng.schedule(string_agg(md5(i::text), ''), '1 hour', 'SELECT 1') FROM generate_series(1, 300) i;
\set VERBOSITY terse
SELECT dataeng.schedule(repeat('n', 1001), '1 hour', 'SELECT 1');
SELECT dataeng.schedule(repeat('n', 1000), '1 hour', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.unschedule(repeat('n', 1000));
SELECT dataeng.schedule('j', NULL, 'SELECT 1');
SELECT dataeng.schedule('j', '1 hour', NULL);
SELECT dataeng.schedule('j', '1 hour', ' ');
SELECT dataeng.schedule('j', 'nonsense', 'SELECT 1');
SELECT dataeng.schedule('j', '1 hour', 'SELECT 1', timeout => '-1 second');
SELECT dataeng.schedule('j', '1 hour', 'SELECT 1', max_retries => -1);
-- an interval past the range of timestamptz failed with a bare 22008, and
-- a timeout past 24 days was stored and cut to 24.8 days when run
\set VERBOSITY default
SELECT dataeng.schedule('j', '100000000 years', 'SELECT 1');
SELECT dataeng.schedule('j', '1 hour', 'SELECT 1', timeout => '100000000 years');
SELECT dataeng.schedule('j', '1 hour', 'SELECT 1', timeout => '25 days');
\set VERBOSITY terse
SELECT count(*) AS stored FROM dataeng.jobs WHERE job_name = 'j';
SELECT dataeng.schedule('j', '1 hour', 'SELECT 1', depends_on => '{nosuchjob}');
SELECT dataeng.schedule('j', '1 hour', 'SELECT 1', depends_on => '{j}');
-- with the hint, and no CONTEXT lines of dataeng's internal functions
-- (job_pause, job_resume and job_run_now showed two)
\set VERBOSITY default
SELECT dataeng.job_pause('nosuchjob');
SELECT dataeng.job_resume('nosuchjob');
SELECT dataeng.job_run_now('nosuchjob');
\set VERBOSITY terse
SELECT dataeng.unschedule('nosuchjob');
-- a direct write is checked too
-- (a cron field out of range is an error, never read as an interval)
INSERT INTO dataeng.jobs (job_name, schedule, command) VALUES ('direct', '99 * * * *', 'SELECT 1');
INSERT INTO dataeng.jobs (job_name, schedule, command) VALUES ('direct', '@sometimes', 'SELECT 1');
SELECT count(*) AS jobs FROM dataeng.jobs;

-------------------------------------------------------------------------------
-- The test clock: the scheduler sees the time a superuser sets, frozen, so
-- the tests below make jobs due by moving it instead of waiting
-------------------------------------------------------------------------------
SELECT dataeng_internal._scheduler_test_now('2030-01-01 00:00:00+00');
SELECT dataeng_internal._scheduler_now() AS clock;
-- move the test clock forward
CREATE FUNCTION tick(step interval) RETURNS void LANGUAGE sql AS $$
  SELECT dataeng_internal._scheduler_test_now(dataeng_internal._scheduler_now() + step)
$$;
-- a pass of the scheduler that saw the clock: a run now of a marker job
-- is started in the same pass as every job due then (call after
-- SELECT dataeng.job_run_now('marker') has committed)
CREATE FUNCTION marker_ran() RETURNS boolean LANGUAGE sql AS $$
  SELECT wait_for($q$SELECT NOT run_now AND last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'marker'$q$)
$$;
SELECT dataeng.schedule('marker', '@yearly', 'SELECT 1') > 0 AS scheduled;

-------------------------------------------------------------------------------
-- Jobs run on schedule, as their owner, and are recorded
-------------------------------------------------------------------------------
CREATE TABLE sched_ticks (job text, run_at timestamptz DEFAULT clock_timestamp(),
                          cur name DEFAULT current_user, sess name DEFAULT session_user);
SELECT dataeng.schedule('every_second', '1 second', $$INSERT INTO sched_ticks (job) VALUES ('every_second')$$) > 0 AS scheduled;
-- the first run is one interval after the clock's now
SELECT next_run_at FROM dataeng.jobs WHERE job_name = 'every_second';
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT count(*) AS runs_before_due FROM sched_ticks WHERE job = 'every_second';
-- each second of the clock runs it once
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 1 FROM sched_ticks WHERE job = 'every_second'$$);
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'every_second'$$);
SELECT next_run_at FROM dataeng.jobs WHERE job_name = 'every_second';
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 2 FROM sched_ticks WHERE job = 'every_second'$$);
SELECT wait_for($$SELECT last_status = 'succeeded' AND next_run_at = '2030-01-01 00:00:03+00'
                    FROM dataeng.jobs WHERE job_name = 'every_second'$$);
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 3 FROM sched_ticks WHERE job = 'every_second'$$);
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'every_second'$$);
SELECT dataeng.job_pause('every_second');
-- an hour of the clock later, a paused job has not run
SELECT tick('1 hour');
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT count(*) AS paused_job_runs FROM sched_ticks WHERE job = 'every_second';
SELECT DISTINCT cur, sess FROM sched_ticks;
SELECT status, r.attempt, error_message, finished_at >= started_at AS finished
  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name = 'every_second' GROUP BY 1, 2, 3, 4;
SELECT last_status, attempt, last_success_at IS NOT NULL AS succeeded_once, paused, next_run_at
  FROM dataeng.jobs WHERE job_name = 'every_second';
-- resumed: the runs missed while paused are not made up
SELECT dataeng.job_resume('every_second');
SELECT next_run_at FROM dataeng.jobs WHERE job_name = 'every_second';
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 4 FROM sched_ticks WHERE job = 'every_second'$$);
SELECT dataeng.unschedule('every_second');

-- run_now: a job due in months runs at once, and once
SELECT dataeng.schedule('yearly', '@yearly', $$INSERT INTO sched_ticks (job) VALUES ('yearly')$$) > 0 AS scheduled;
SELECT dataeng.job_run_now('yearly');
SELECT wait_for($$SELECT count(*) = 1 FROM sched_ticks WHERE job = 'yearly'$$);
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'yearly'$$);
SELECT run_now, next_run_at FROM dataeng.jobs WHERE job_name = 'yearly';

-- a job missed for a day runs once, then waits for its schedule
UPDATE dataeng.jobs SET next_run_at = dataeng_internal._scheduler_now() - interval '1 day' WHERE job_name = 'yearly';
SELECT wait_for($$SELECT count(*) = 2 FROM sched_ticks WHERE job = 'yearly'$$);
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT count(*) AS yearly_runs FROM sched_ticks WHERE job = 'yearly';
SELECT next_run_at FROM dataeng.jobs WHERE job_name = 'yearly';

-- rescheduling under the same name replaces the job
SELECT dataeng.schedule('yearly', '@daily', 'SELECT 2') = job_id AS same_job
  FROM dataeng.jobs WHERE job_name = 'yearly';
SELECT schedule, command, next_run_at FROM dataeng.jobs WHERE job_name = 'yearly';
SELECT dataeng.unschedule('yearly'), dataeng.unschedule('yearly');

-------------------------------------------------------------------------------
-- Failures, retries with back-off, time-outs
-------------------------------------------------------------------------------
SELECT dataeng.schedule('failing', '@yearly', $$BEGIN; INSERT INTO sched_ticks (job) VALUES ('failing'); SELECT 1/0; COMMIT$$,
                        max_retries => 2) > 0 AS scheduled;
SELECT dataeng.job_run_now('failing');
SELECT wait_for($$SELECT count(*) = 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'failing' AND r.status = 'failed'$$);
-- retried a second after the failure (on the clock), then two seconds
SELECT last_status, attempt, next_run_at - dataeng_internal._scheduler_now() AS retry_in
  FROM dataeng.jobs WHERE job_name = 'failing';
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'failing' AND r.status = 'failed'$$);
SELECT last_status, attempt, next_run_at - dataeng_internal._scheduler_now() AS retry_in
  FROM dataeng.jobs WHERE job_name = 'failing';
SELECT tick('2 seconds');
SELECT wait_for($$SELECT count(*) = 3 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'failing' AND r.status = 'failed'$$);
-- retries used up: back to the schedule, and no fourth attempt
SELECT last_status, attempt, next_run_at FROM dataeng.jobs WHERE job_name = 'failing';
SELECT tick('1 hour');
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT r.attempt, status, error_message
  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'failing' ORDER BY r.attempt;
-- the failed command's transaction block was rolled back
SELECT count(*) AS failing_rows FROM sched_ticks WHERE job = 'failing';
SELECT dataeng.unschedule('failing');

-- timeouts are on the real clock: the command runs in real time
SELECT dataeng.schedule('slow', '@yearly', 'SELECT pg_sleep(30)', timeout => '0.5 seconds') > 0 AS scheduled;
SELECT dataeng.job_run_now('slow');
SELECT wait_for($$SELECT last_status = 'timed_out' FROM dataeng.jobs WHERE job_name = 'slow'$$);
SELECT status, error_message, finished_at - started_at < interval '20 seconds' AS stopped_early
  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'slow';
SELECT dataeng.unschedule('slow');

-- a job never runs twice at the same time, even when due again meanwhile
SELECT dataeng.schedule('overlap', '1 second',
  $$INSERT INTO sched_ticks (job) VALUES ('overlap-start'); SELECT pg_sleep(1.5);
    INSERT INTO sched_ticks (job, run_at) VALUES ('overlap-end', clock_timestamp())$$) > 0 AS scheduled;
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 1 FROM sched_ticks WHERE job = 'overlap-start'$$);
-- due again while its run sleeps: it starts when that run has ended
SELECT tick('1 second');
SELECT wait_for($$SELECT count(*) = 2 FROM sched_ticks WHERE job = 'overlap-end'$$);
SELECT dataeng.unschedule('overlap');
-- each start comes after the previous run's end
SELECT bool_and(prev_job IS NULL OR prev_job = 'overlap-end') AS no_overlap, count(*) AS starts
  FROM (SELECT job, lag(job) OVER (ORDER BY run_at) AS prev_job FROM sched_ticks
         WHERE job LIKE 'overlap-%') s WHERE job = 'overlap-start';

-------------------------------------------------------------------------------
-- Dependencies: a downstream job waits for its upstream jobs
-------------------------------------------------------------------------------
SELECT dataeng.schedule('extract', '@yearly', $$INSERT INTO sched_ticks (job) VALUES ('extract')$$) > 0 AS scheduled;
SELECT dataeng.schedule('load', '@yearly', $$INSERT INTO sched_ticks (job) VALUES ('load')$$) > 0 AS scheduled;
SELECT dataeng.schedule('report', '1 second', $$INSERT INTO sched_ticks (job) VALUES ('report')$$,
                        depends_on => '{extract,load}') > 0 AS scheduled;
SELECT tick('1 second');
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT count(*) AS report_runs_before_upstream FROM sched_ticks WHERE job = 'report';
SELECT dataeng.job_run_now('extract');
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'extract'$$);
SELECT tick('1 second');
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT count(*) AS report_runs_with_one_upstream FROM sched_ticks WHERE job = 'report';
SELECT dataeng.job_run_now('load');
SELECT wait_for($$SELECT count(*) = 1 FROM sched_ticks WHERE job = 'report'$$);
SELECT tick('1 second');
SELECT dataeng.job_run_now('marker');
SELECT marker_ran();
SELECT count(*) AS report_runs_once_per_upstream_round FROM sched_ticks WHERE job = 'report';
SELECT dataeng.unschedule('extract');
SELECT dataeng.unschedule('report'), dataeng.unschedule('extract'), dataeng.unschedule('load');

-------------------------------------------------------------------------------
-- Rights: a job runs as its owner; roles see and change their own jobs only
-------------------------------------------------------------------------------
CREATE ROLE regress_sched_low LOGIN;
CREATE ROLE regress_sched_nologin NOLOGIN;
CREATE TABLE sched_secret (x int);
GRANT INSERT ON sched_ticks TO regress_sched_low;
SELECT dataeng.schedule('admin_job', '@yearly', 'SELECT 1') > 0 AS scheduled;
SET ROLE regress_sched_low;
SELECT job_name FROM dataeng.jobs;
SELECT dataeng.job_run_now('admin_job');
SELECT dataeng.unschedule('admin_job');
SELECT dataeng.schedule('admin_job', '@daily', 'SELECT 2');
UPDATE dataeng.jobs SET command = 'SELECT 3' WHERE job_name = 'admin_job';
INSERT INTO dataeng.jobs (job_name, schedule, command, owner) VALUES ('forged', '@daily', 'SELECT 1', 'postgres');
UPDATE dataeng.jobs SET last_status = 'succeeded';
DELETE FROM dataeng.job_runs;
SELECT dataeng.schedule('low_job', '@yearly',
  $$INSERT INTO sched_ticks (job) VALUES ('low'); INSERT INTO sched_secret VALUES (1)$$) > 0 AS scheduled;
SELECT dataeng.schedule('low_ok', '@yearly', $$INSERT INTO sched_ticks (job) VALUES ('low_ok')$$) > 0 AS scheduled;
SELECT dataeng.job_run_now('low_job');
SELECT dataeng.job_run_now('low_ok');
SELECT job_name, owner FROM dataeng.jobs ORDER BY 1;
-- only a superuser moves the scheduler's clock, even when granted the function
SELECT dataeng_internal._scheduler_test_now('2040-01-01 00:00:00+00');
RESET ROLE;
GRANT EXECUTE ON FUNCTION dataeng_internal._scheduler_test_now(timestamptz) TO regress_sched_low;
SET ROLE regress_sched_low;
SELECT dataeng_internal._scheduler_test_now('2040-01-01 00:00:00+00');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION dataeng_internal._scheduler_test_now(timestamptz) FROM regress_sched_low;
SELECT dataeng_internal._scheduler_now() AS clock_unchanged;
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.jobs WHERE job_name LIKE 'low%' AND last_status IN ('succeeded', 'failed')$$);
SELECT j.job_name, r.status, r.error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name LIKE 'low%' ORDER BY 1;
-- each statement runs in its own transaction: low_job's first insert
-- committed, its second was refused
SELECT job, cur, sess FROM sched_ticks WHERE job LIKE 'low%' ORDER BY 1;
SELECT count(*) AS secret_rows FROM sched_secret;
SET ROLE regress_sched_low;
SELECT job_name, status FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) ORDER BY 1;
SELECT dataeng.unschedule('low_job'), dataeng.unschedule('low_ok');
RESET ROLE;
-- the superuser may manage anyone's job
SELECT dataeng.schedule('nologin_job', '@yearly', 'SELECT 1') > 0 AS scheduled;
UPDATE dataeng.jobs SET owner = 'regress_sched_nologin' WHERE job_name = 'nologin_job';
SELECT dataeng.job_run_now('nologin_job');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'nologin_job'$$);
SELECT r.status, r.error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'nologin_job';
SELECT dataeng.unschedule('nologin_job'), dataeng.unschedule('admin_job');

-------------------------------------------------------------------------------
-- History: with dataeng.log_successful_runs off only failures are kept
-------------------------------------------------------------------------------
ALTER SYSTEM SET dataeng.log_successful_runs = off;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
-- (waited for until the launcher and this database's scheduler have read
-- the configuration files since the change: every run from then on sees
-- the new value.  A new session only told that the postmaster had, and
-- runs were asked for until one left no row.)
SELECT wait_for(format('SELECT dataeng_internal._scheduler_conf_read() > %L', :'conf_changed')) AS scheduler_read_conf;
SELECT dataeng.schedule('quiet', '@yearly', $$INSERT INTO sched_ticks (job) VALUES ('quiet')$$) > 0 AS scheduled;
SELECT count(*) AS quiet_history_before FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'quiet' \gset
SELECT count(*) AS quiet_ran_before FROM sched_ticks WHERE job = 'quiet' \gset
SELECT dataeng.job_run_now('quiet');
SELECT wait_for($$SELECT NOT run_now AND last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'quiet'$$);
SELECT count(*) = :quiet_ran_before + 1 AS quiet_ran FROM sched_ticks WHERE job = 'quiet';
SELECT count(*) = :quiet_history_before AS no_row_for_its_success FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'quiet';
UPDATE dataeng.jobs SET command = 'SELECT 1/0' WHERE job_name = 'quiet';
SELECT dataeng.job_run_now('quiet');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'quiet'$$);
SELECT status, error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name = 'quiet' AND r.run_id = j.last_run_id;
SELECT dataeng.unschedule('quiet');
ALTER SYSTEM RESET dataeng.log_successful_runs;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._scheduler_conf_read() > %L', :'conf_changed')) AS scheduler_read_conf;

-- back to the real clock
SELECT dataeng.unschedule('marker');
SELECT dataeng_internal._scheduler_test_now(NULL);
SELECT dataeng_internal._scheduler_now() BETWEEN now() AND clock_timestamp() AS real_clock;

-- a job stored with an interval under a second (a database upgraded from
-- 0.1.0, which took one, or a row written by hand) runs on, once a second:
-- its next run is 1 second after its start, not back to back
SELECT dataeng.schedule('sub_second', '1 hour', $$SELECT 1$$) IS NOT NULL AS scheduled;
UPDATE dataeng.jobs SET schedule = '1 microsecond' WHERE job_name = 'sub_second';
SELECT dataeng.job_run_now('sub_second');
-- (its starts waited for: the first, then the next one on its schedule,
-- which starts once the first has ended.  Waiting for a status of
-- 'succeeded' in between missed it on a loaded machine, where a run's
-- worker takes about a second to start: the next run began as soon as
-- one ended, for three minutes.)
SELECT wait_for($$SELECT last_started_at IS NOT NULL FROM dataeng.jobs WHERE job_name = 'sub_second'$$) AS ran;
SELECT last_started_at AS sub_second_first FROM dataeng.jobs WHERE job_name = 'sub_second' \gset
SELECT wait_for($$SELECT last_started_at > '$$ || :'sub_second_first' || $$' FROM dataeng.jobs WHERE job_name = 'sub_second'$$) AS ran_again;
SELECT count(*) AS failed_runs FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name = 'sub_second' AND r.status IN ('failed', 'timed_out');
-- (counted from when the pass saw it due, after the start recorded (the
-- pass's transaction start): at least a second after it, not back to back;
-- the pass's work before it reads the clock may take seconds on a loaded
-- machine: a run on one, 3 s at most, failed)
SELECT broken, next_run_at - last_started_at BETWEEN interval '1 s' AND interval '1 min' AS next_a_second_after_start FROM dataeng.jobs WHERE job_name = 'sub_second';
SELECT dataeng.unschedule('sub_second');

DROP TABLE sched_ticks, sched_secret;
DROP ROLE regress_sched_low, regress_sched_nologin;
DROP FUNCTION marker_ran(), tick(interval), wait_for(text, float8), schedule_error(text);
DROP EXTENSION dataeng;
