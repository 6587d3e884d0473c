-- A job with upstream jobs (depends_on) that are failing, paused or not run
-- yet: job_run_now() runs it all the same, and pipeline_status says that a
-- due run waits for them (it said ok, "next at" a time long past).
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;
SELECT dataeng_internal._scheduler_test_now(NULL);

CREATE TABLE dep_ticks (job text, run_at timestamptz DEFAULT clock_timestamp());
-- the status of a job, its times masked
CREATE FUNCTION job_status(j text) RETURNS TABLE (state text, reason text, last_error text)
LANGUAGE sql AS $$
  SELECT s.state, regexp_replace(s.reason, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', 'T', 'g'), s.last_error
    FROM dataeng.pipeline_status s WHERE s.kind = 'job' AND s.name = j
$$;

-- extract fails; transform (every second) and report depend on it
SELECT dataeng.schedule('dep_extract', '@yearly', $$SELECT 1/0$$) > 0 AS scheduled;
SELECT dataeng.schedule('dep_transform', '1 second', $$INSERT INTO dep_ticks (job) VALUES ('transform')$$,
                        depends_on => '{dep_extract}') > 0 AS scheduled;
SELECT dataeng.schedule('dep_audit', '@yearly', $$SELECT 1$$) > 0 AS scheduled;
SELECT dataeng.schedule('dep_report', '1 second', $$INSERT INTO dep_ticks (job) VALUES ('report')$$,
                        depends_on => '{dep_extract,dep_audit}') > 0 AS scheduled;
SELECT dataeng.schedule('dep_weekly', '1 second', $$INSERT INTO dep_ticks (job) VALUES ('weekly')$$,
                        depends_on => '{dep_audit}') > 0 AS scheduled;
SELECT dataeng.job_run_now('dep_extract');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'dep_extract'$$);
-- due, and waiting for its failing upstream job: a warning naming it
SELECT wait_for($$SELECT next_run_at < clock_timestamp() FROM dataeng.jobs WHERE job_name = 'dep_report'$$);
SELECT * FROM job_status('dep_extract');
SELECT * FROM job_status('dep_transform');
SELECT * FROM job_status('dep_report');
SELECT count(*) AS runs FROM dep_ticks;
-- an upstream job that is only not run yet is no problem: ok, and said
SELECT wait_for($$SELECT next_run_at < clock_timestamp() FROM dataeng.jobs WHERE job_name = 'dep_weekly'$$);
SELECT * FROM job_status('dep_weekly');
-- paused
SELECT dataeng.job_pause('dep_extract');
SELECT * FROM job_status('dep_transform');
SELECT dataeng.job_resume('dep_extract');
-- broken (a row written by hand with a timeout no timer holds)
UPDATE dataeng.jobs SET broken = 'a test' WHERE job_name = 'dep_extract';
SELECT * FROM job_status('dep_transform');
SELECT dataeng.schedule('dep_extract', '@yearly', $$SELECT 1/0$$) > 0 AS rescheduled;
SELECT dataeng.job_run_now('dep_extract');
SELECT wait_for($$SELECT last_status = 'failed' AND NOT run_now FROM dataeng.jobs WHERE job_name = 'dep_extract'$$);

-- job_run_now() of a job whose upstream job failed runs it, once (it was
-- held until the upstream job succeeded, silently)
SELECT dataeng.job_run_now('dep_transform');
SELECT wait_for($$SELECT count(*) = 1 FROM dep_ticks WHERE job = 'transform'$$) AS ran;
SELECT wait_for($$SELECT NOT run_now AND last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'dep_transform'$$);
SELECT count(*) AS transform_runs FROM dep_ticks WHERE job = 'transform';
-- its schedule goes on waiting for the upstream job
SELECT wait_for($$SELECT next_run_at < clock_timestamp() FROM dataeng.jobs WHERE job_name = 'dep_transform'$$);
SELECT * FROM job_status('dep_transform');
SELECT count(*) AS transform_runs FROM dep_ticks WHERE job = 'transform';
-- once the upstream job succeeds, it runs on schedule again
SELECT dataeng.schedule('dep_extract', '@yearly', $$SELECT 1$$) > 0 AS rescheduled;
SELECT dataeng.job_run_now('dep_extract');
SELECT wait_for($$SELECT count(*) = 2 FROM dep_ticks WHERE job = 'transform'$$) AS ran_again;

SELECT dataeng.unschedule(j) FROM unnest('{dep_weekly,dep_report,dep_transform,dep_audit,dep_extract}'::text[]) j;
DROP TABLE dep_ticks;
DROP FUNCTION job_status(text), wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
