-- One run of a job at a time, also across a reschedule during its run:
-- a job unscheduled while it runs and scheduled again under the same name
-- is another row (another job_id), and its first run started beside the
-- old job's run of the same command (one second later, while that one
-- still had seconds to go).  It now waits for that run to end, as a job
-- rescheduled with schedule() (the same row) waits for its own run.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;
SELECT dataeng_internal._scheduler_test_now(NULL);

-- each run: a span from its start to its end (each statement commits)
CREATE TABLE sn_spans (pid int, t0 timestamptz, t1 timestamptz);
\set sn_command 'INSERT INTO sn_spans SELECT pg_backend_pid(), clock_timestamp(); SELECT pg_sleep(2.5); UPDATE sn_spans SET t1 = clock_timestamp() WHERE pid = pg_backend_pid() AND t1 IS NULL'
-- runs that overlapped
CREATE FUNCTION sn_overlaps() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM sn_spans a JOIN sn_spans b ON a.ctid < b.ctid
   WHERE tstzrange(a.t0, coalesce(a.t1, 'infinity')) && tstzrange(b.t0, coalesce(b.t1, 'infinity'))
$$;

-- 1. unscheduled and scheduled again during its run
SELECT dataeng.schedule('sn_job', '1 second', :'sn_command') AS old_id \gset
SELECT wait_for($$SELECT count(*) = 1 FROM sn_spans$$) AS first_run_started;
SELECT dataeng.unschedule('sn_job');
SELECT dataeng.schedule('sn_job', '1 second', :'sn_command') <> :old_id AS another_job_id;
SELECT wait_for($$SELECT count(t1) >= 2 FROM sn_spans$$) AS two_runs_ended;
SELECT sn_overlaps() AS overlapping_runs;
-- the run of the new job started once the old job's run had ended
SELECT min(t0) FILTER (WHERE t0 > (SELECT min(t0) FROM sn_spans)) >= min(t1) AS new_run_after_old
  FROM sn_spans;

-- 2. scheduled again (the same row) during its run: the same
SELECT wait_for($$SELECT count(*) > count(t1) FROM sn_spans$$) AS a_run_in_progress;
SELECT dataeng.schedule('sn_job', '1 second', :'sn_command') = job_id AS same_job_id
  FROM dataeng.jobs WHERE job_name = 'sn_job';
SELECT count(*) AS spans_before FROM sn_spans \gset
SELECT wait_for(format($$SELECT count(t1) >= %s FROM sn_spans$$, :spans_before + 1)) AS next_run_ended;
SELECT dataeng.unschedule('sn_job');
SELECT wait_for($$SELECT count(*) = count(t1) FROM sn_spans$$) AS runs_ended;
SELECT sn_overlaps() AS overlapping_runs;

DROP TABLE sn_spans;
DROP FUNCTION sn_overlaps(), wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
