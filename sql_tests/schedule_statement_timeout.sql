-- statement_timeout in a job: set by the job's command (SET), by its
-- owner (ALTER ROLE ... SET) or by the database, it cancels a statement
-- that runs longer, as in psql; the job's own timeout still covers the
-- whole run.  The run's timer was armed once with the job's timeout, and
-- statement_timeout had no effect: pg_sleep(3) under statement_timeout =
-- '200ms' ran to its end and the run succeeded.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

CREATE PROCEDURE run_job(name text, command text, job_timeout interval DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '180 seconds';
BEGIN
  PERFORM dataeng.schedule(name, '@yearly', command, timeout => job_timeout);
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
CREATE TABLE st_log (job text);

-- SET in the command: the statement is cancelled, the run fails (not
-- timed_out: the job's timeout was not reached), what committed stays
CALL run_job('st_set', $$INSERT INTO st_log VALUES ('st_set'); SET statement_timeout = '200ms';
                         SELECT pg_sleep(3); INSERT INTO st_log VALUES ('st_set after')$$);
SELECT * FROM last_run('st_set');
-- the statements before it and after a RESET are not cut
CALL run_job('st_reset', $$SET statement_timeout = '200ms'; RESET statement_timeout;
                           SELECT pg_sleep(0.5); INSERT INTO st_log VALUES ('st_reset')$$);
SELECT * FROM last_run('st_reset');
-- each statement has its own statement_timeout: three short ones pass,
-- together longer than it (each well under it, however loaded the machine)
CALL run_job('st_each', $$SET statement_timeout = '2s'; SELECT pg_sleep(0.8); SELECT pg_sleep(0.8);
                          SELECT pg_sleep(0.8); INSERT INTO st_log VALUES ('st_each')$$);
SELECT * FROM last_run('st_each');
-- the owner's ALTER ROLE ... SET (read when the run's worker connects)
CREATE ROLE st_owner LOGIN;
GRANT INSERT ON st_log TO st_owner;
ALTER ROLE st_owner SET statement_timeout = '200ms';
SET ROLE st_owner;
CALL run_job('st_role', $$SELECT pg_sleep(3); INSERT INTO st_log VALUES ('st_role')$$);
SELECT * FROM last_run('st_role');
-- the owner's default_transaction_read_only is the command's, as in
-- psql; the run's records are written all the same (every run failed,
-- 'the job worker stopped without recording a result', its command never
-- run: the worker's own writes were refused)
ALTER ROLE st_owner RESET statement_timeout;
ALTER ROLE st_owner SET default_transaction_read_only = on;
CALL run_job('st_ro_read', $$SELECT 1$$);
SELECT * FROM last_run('st_ro_read');
CALL run_job('st_ro_write', $$INSERT INTO st_log VALUES ('st_ro_write')$$);
SELECT * FROM last_run('st_ro_write');
CALL run_job('st_ro_rw', $$BEGIN READ WRITE; INSERT INTO st_log VALUES ('st_ro_rw'); COMMIT$$);
SELECT * FROM last_run('st_ro_rw');
RESET ROLE;
-- and the command's own SET of them (the run's success was written in
-- the read-only transaction of its last statement, then its failure in
-- another one, read-only too: neither recorded)
CALL run_job('st_set_ro', $$SET default_transaction_read_only = on; SELECT 1$$);
SELECT * FROM last_run('st_set_ro');
CALL run_job('st_set_iso', $$SET default_transaction_isolation = 'serializable'; SELECT 1$$);
SELECT * FROM last_run('st_set_iso');
-- a statement_timeout longer than the job's timeout: the job's timeout wins
CALL run_job('st_job', $$SET statement_timeout = '1h'; SELECT pg_sleep(3)$$, job_timeout => '300ms');
SELECT * FROM last_run('st_job');
SELECT job FROM st_log ORDER BY job;

SELECT dataeng.unschedule(job_name) FROM dataeng.jobs ORDER BY job_name;
SET client_min_messages = warning;
DROP OWNED BY st_owner;
DROP ROLE st_owner;
DROP TABLE st_log;
DROP PROCEDURE run_job(text, text, interval);
DROP FUNCTION last_run(text);
DROP EXTENSION dataeng CASCADE;
