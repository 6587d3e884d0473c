-- Scheduling: a job's command runs as top-level statements, as psql runs a
-- script: several statements each in its own transaction unless inside
-- BEGIN ... COMMIT; VACUUM, CALL of a procedure that commits, CREATE INDEX
-- CONCURRENTLY, REFRESH MATERIALIZED VIEW CONCURRENTLY.  Each run records
-- its statements' completion tags.  A command that does not parse is refused.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql

-- schedule a job, run it now and wait for the run to end, committing
-- between looks (CREATE INDEX CONCURRENTLY waits for older snapshots)
CREATE PROCEDURE run_job(name text, command text)
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '180 seconds';
BEGIN
  PERFORM dataeng.schedule(name, '@yearly', command);
  PERFORM dataeng.job_run_now(name);
  COMMIT;
  LOOP
    EXIT WHEN EXISTS (SELECT FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
                       WHERE j.job_name = name AND r.status <> 'running')
           OR clock_timestamp() > deadline;
    COMMIT;
    PERFORM pg_sleep(0.05);
  END LOOP;
END;
$$;
CREATE FUNCTION last_run(name text) RETURNS TABLE (status text, command_tags text[], error_message text)
LANGUAGE sql AS $$
  SELECT r.status, r.command_tags, r.error_message
    FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
   WHERE j.job_name = name ORDER BY r.run_id DESC LIMIT 1
$$;

-------------------------------------------------------------------------------
-- Refused at schedule(): the parser's error, and where it is
-------------------------------------------------------------------------------
\set VERBOSITY default
SELECT dataeng.schedule('typo', '@daily', 'VACUUM t; SELEC 1');
SELECT dataeng.schedule('unterminated', '@daily', $$SELECT 'abc$$);
\set VERBOSITY terse
SELECT dataeng.schedule('nothing', '@daily', '-- just a comment');
SELECT dataeng.schedule('copy_in', '@daily', 'COPY sched_t FROM STDIN');
SELECT dataeng.schedule('copy_out', '@daily', 'SELECT 1; COPY (SELECT 1) TO STDOUT');
-- PREPARE TRANSACTION left a prepared transaction holding its locks
-- after the run
\set VERBOSITY default
SELECT dataeng.schedule('prepare', '@daily', $$BEGIN; SELECT 1; PREPARE TRANSACTION 'dataeng_job_prepared'$$);
\set VERBOSITY terse
SELECT count(*) AS jobs FROM dataeng.jobs;

-------------------------------------------------------------------------------
-- What pg_cron users schedule most
-------------------------------------------------------------------------------
CREATE TABLE sched_t (id int PRIMARY KEY, v text);
INSERT INTO sched_t SELECT g, 'v' || g FROM generate_series(1, 100) g;
CREATE MATERIALIZED VIEW sched_mv AS SELECT id, v FROM sched_t;
CREATE UNIQUE INDEX ON sched_mv (id);
CREATE TABLE sched_log (step text, at timestamptz DEFAULT clock_timestamp());
-- a batch procedure that commits as it goes, and rolls its last part back
CREATE PROCEDURE sched_batch() LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sched_log (step) VALUES ('batch 1');
  COMMIT;
  INSERT INTO sched_log (step) VALUES ('batch 2');
  COMMIT;
  INSERT INTO sched_log (step) VALUES ('batch 3');
  ROLLBACK;
END;
$$;

CALL run_job('vacuum', 'VACUUM ANALYZE sched_t');
SELECT * FROM last_run('vacuum');
SELECT wait_for($$SELECT last_vacuum IS NOT NULL AND last_analyze IS NOT NULL
                    FROM pg_stat_user_tables WHERE relname = 'sched_t'$$) AS vacuumed_and_analyzed;

CALL run_job('batch', 'CALL sched_batch()');
SELECT * FROM last_run('batch');
SELECT step FROM sched_log ORDER BY at;
TRUNCATE sched_log;

-- a maintenance script: each statement in its own transaction, so that
-- CREATE INDEX CONCURRENTLY and VACUUM may follow other statements
CALL run_job('script', $$
  INSERT INTO sched_t SELECT g, 'w' || g FROM generate_series(101, 103) g;
  UPDATE sched_t SET v = upper(v) WHERE id <= 5;
  DELETE FROM sched_t WHERE id > 102;
  CREATE INDEX CONCURRENTLY sched_t_v ON sched_t (v);
  REFRESH MATERIALIZED VIEW CONCURRENTLY sched_mv;
  SELECT * FROM sched_t WHERE id <= 10;
  VACUUM sched_t;
$$);
SELECT * FROM last_run('script');
SELECT count(*) AS rows, count(*) FILTER (WHERE v = upper(v)) AS upper FROM sched_t;
SELECT count(*) AS mv_rows FROM sched_mv;
SELECT indisvalid FROM pg_index WHERE indexrelid = 'sched_t_v'::regclass;

-- an explicit transaction block commits as one
CALL run_job('block', $$
  BEGIN;
  INSERT INTO sched_log (step) VALUES ('in block 1');
  INSERT INTO sched_log (step) VALUES ('in block 2');
  COMMIT;
  INSERT INTO sched_log (step) VALUES ('after block')
$$);
SELECT * FROM last_run('block');
SELECT step FROM sched_log ORDER BY at;
TRUNCATE sched_log;

-------------------------------------------------------------------------------
-- Errors: the first one ends the run; what committed before it stays
-------------------------------------------------------------------------------
CALL run_job('midway', $$
  INSERT INTO sched_log (step) VALUES ('before');
  BEGIN;
  INSERT INTO sched_log (step) VALUES ('in the failing block');
  SELECT 1/0;
  COMMIT;
  INSERT INTO sched_log (step) VALUES ('never')
$$);
SELECT * FROM last_run('midway');
SELECT step FROM sched_log ORDER BY at;
TRUNCATE sched_log;

-- a command that leaves its transaction block open commits nothing of it
CALL run_job('open_block', $$BEGIN; INSERT INTO sched_log (step) VALUES ('open')$$);
SELECT * FROM last_run('open_block');
SELECT count(*) AS open_rows FROM sched_log;

-- VACUUM inside a transaction block fails as it does in psql
CALL run_job('vacuum_in_block', 'BEGIN; VACUUM sched_t; COMMIT');
SELECT * FROM last_run('vacuum_in_block');

-- a command written directly into dataeng.jobs is parsed by the run: its
-- error is the run's
UPDATE dataeng.jobs SET command = 'SELEC 1' WHERE job_name = 'vacuum';
SELECT dataeng.job_run_now('vacuum');
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'vacuum' AND r.status <> 'running'$$);
SELECT * FROM last_run('vacuum');
-- PREPARE TRANSACTION written directly into dataeng.jobs (or stored
-- before it was refused): the run fails with that error, and no prepared
-- transaction is left holding sched_log (it was: the run succeeded)
UPDATE dataeng.jobs SET command = $$BEGIN; INSERT INTO sched_log (step) VALUES ('prepared'); PREPARE TRANSACTION 'dataeng_job_prepared'$$
 WHERE job_name = 'vacuum';
SELECT dataeng.job_run_now('vacuum');
SELECT wait_for($$SELECT count(*) = 3 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'vacuum' AND r.status <> 'running'$$);
SELECT * FROM last_run('vacuum');
SELECT count(*) AS prepared_left FROM pg_prepared_xacts WHERE gid = 'dataeng_job_prepared';
-- (one left would hold sched_log to the end of the test)
SELECT format('ROLLBACK PREPARED %L', gid) FROM pg_prepared_xacts WHERE gid = 'dataeng_job_prepared' \gexec
SELECT count(*) AS prepared_rows FROM sched_log WHERE step = 'prepared';

-- a job's statements run as its owner, each of them
CREATE ROLE regress_schedcmd_low LOGIN;
GRANT INSERT ON sched_log TO regress_schedcmd_low;
SET ROLE regress_schedcmd_low;
CALL run_job('low_script', $$
  INSERT INTO sched_log (step) VALUES (current_user);
  SET ROLE NONE;
  INSERT INTO sched_log (step) VALUES (session_user);
  VACUUM sched_t;
  DELETE FROM sched_t
$$);
RESET ROLE;
SELECT * FROM last_run('low_script');
SELECT step FROM sched_log ORDER BY at;
SELECT count(*) AS sched_t_rows FROM sched_t;

SELECT dataeng.unschedule(job_name) FROM dataeng.jobs ORDER BY job_name;
DROP TABLE sched_t, sched_log CASCADE;
DROP PROCEDURE sched_batch();
DROP ROLE regress_schedcmd_low;
DROP FUNCTION wait_for(text, float8), last_run(text);
DROP PROCEDURE run_job(text, text);
DROP EXTENSION dataeng;
