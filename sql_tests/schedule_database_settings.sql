-- The database's settings (ALTER DATABASE ... SET) are its sessions'
-- defaults, the jobs' commands' too, as in psql; the workers of the
-- extension keep the transactions their own code needs.  Under
-- default_transaction_read_only the scheduler's first write failed: it
-- ended, was started again and failed again every second, and no job of
-- the database ever ran (nor did a job's worker record its run).
\set VERBOSITY terse
SELECT current_database() AS regress_db \gset
CREATE DATABASE dataeng_dbset;
ALTER DATABASE dataeng_dbset SET default_transaction_read_only = on;
ALTER DATABASE dataeng_dbset SET default_transaction_isolation = 'repeatable read';
\c dataeng_dbset
SET default_transaction_read_only = off;
SET default_transaction_isolation = 'read committed';
CREATE EXTENSION dataeng;
\pset null '(null)'
CREATE TABLE ds_log (job text);
CREATE PROCEDURE run_job(name text, command text)
LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 seconds';
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
-- the command runs under the database's settings: read-only, repeatable read
CALL run_job('ds_show', $$SELECT current_setting('transaction_read_only') = 'on' AS read_only;
                          BEGIN READ WRITE;
                          INSERT INTO ds_log VALUES (current_setting('transaction_isolation')); COMMIT$$);
SELECT * FROM last_run('ds_show');
CALL run_job('ds_write', $$INSERT INTO ds_log VALUES ('ds_write')$$);
SELECT * FROM last_run('ds_write');
CALL run_job('ds_rw', $$BEGIN READ WRITE; INSERT INTO ds_log VALUES ('ds_rw'); COMMIT$$);
SELECT * FROM last_run('ds_rw');
SELECT job FROM ds_log ORDER BY job;
SELECT job_name, last_status FROM dataeng.jobs ORDER BY job_name;
SELECT dataeng.unschedule(job_name) FROM dataeng.jobs ORDER BY job_name;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
\c :regress_db
DROP DATABASE dataeng_dbset WITH (FORCE);
