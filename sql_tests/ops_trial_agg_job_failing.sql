-- A fact or dimension whose refresh job fails (a column of its source
-- renamed, the fact's time column here) said ok, "up to date with its
-- source", while every refresh failed: its job's row was failing, with an
-- alert, but the fact's own row said nothing until its changes waited
-- longer than max_lag (an hour).  It is failing, the reason giving the
-- job's error and what to do, since the first failed run; its alert is
-- the job's job_failed.  A refresh that succeeds ends it.
-- The cluster preloads dataeng, so this database has a scheduler.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;
CREATE TABLE aj_sales (id int PRIMARY KEY, at timestamptz NOT NULL, amount int);
CREATE TABLE aj_cust (id int PRIMARY KEY, name text);
SELECT dataeng.cdc_enable('aj_sales');
SELECT dataeng.cdc_enable('aj_cust');
SELECT dataeng.fact_create('aj_f', 'aj_sales', 'at', 'day', '{}', '{count(*) AS n, sum(amount) AS total}', '@yearly');
SELECT dataeng.dimension_create('aj_d', 'aj_cust', 'id', '{name}', schedule => '@yearly');
INSERT INTO aj_sales VALUES (1, '2026-01-01', 5);
INSERT INTO aj_cust VALUES (1, 'ann');
ALTER TABLE aj_sales RENAME COLUMN at TO sold_at;
ALTER TABLE aj_cust RENAME COLUMN name TO full_name;
SELECT dataeng.job_run_now('fact_refresh:aj_f');
SELECT dataeng.job_run_now('dimension_refresh:aj_d');
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.jobs WHERE job_name IN ('fact_refresh:aj_f', 'dimension_refresh:aj_d')
                   AND last_status = 'failed' AND attempt = 0$$) AS refreshes_failed;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state,
       regexp_replace(regexp_replace(reason, '(failed at) [0-9: -]+UTC', '\1 ...'), 'oldest [0-9]+ s', 'oldest N s') AS reason,
       last_error,
       since = (SELECT min(r.finished_at) FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                 WHERE j.job_name = p.kind || '_refresh:' || p.name) AS since_first_failure
  FROM dataeng.pipeline_status p WHERE kind IN ('fact', 'dimension') ORDER BY kind, name;
SELECT kind, object FROM dataeng.alerts_open ORDER BY kind, object;
-- drawn failing in the lineage
SELECT dataeng.lineage_dot() ~ '"fact:aj_f" \[[^]]*fillcolor="#f4a6a6"' AS drawn_failing;

-- the columns back: a refresh by hand ends it, before the job runs again
ALTER TABLE aj_sales RENAME COLUMN sold_at TO at;
ALTER TABLE aj_cust RENAME COLUMN full_name TO name;
SELECT dataeng.fact_refresh('aj_f') IS NOT NULL AS refreshed;
SELECT dataeng.dimension_refresh('aj_d') IS NOT NULL AS refreshed;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, reason, last_error FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension') ORDER BY kind, name;
SELECT n, total FROM aj_f;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP VIEW aj_f;
DROP TABLE aj_sales, aj_cust, aj_f_data, aj_d;
DROP FUNCTION wait_for(text, float8);
