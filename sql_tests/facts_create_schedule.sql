-- fact_create() and dimension_create() check the refresh job's schedule
-- before they load anything.  A misspelt schedule failed only at the end,
-- once the backfill (under a SHARE lock that holds writers off) was done,
-- with the error of dataeng.schedule(); here a backfill that fails on the
-- data shows which check comes first.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE TABLE fcs_src (id int PRIMARY KEY, at timestamptz NOT NULL, n int);
INSERT INTO fcs_src VALUES (1, '2026-03-01', 0);
-- the schedule is refused before the backfill divides by zero
SELECT dataeng.fact_create('fcs_fact', 'fcs_src', 'at', 'day', '{}', '{sum(1 / n) AS inv}',
                           schedule => '*/5 * * *');
SELECT dataeng.fact_create('fcs_fact', 'fcs_src', 'at', 'day', '{}', '{sum(1 / n) AS inv}',
                           schedule => 'every minute');
-- with a good schedule the backfill runs (and fails on the data)
SELECT dataeng.fact_create('fcs_fact', 'fcs_src', 'at', 'day', '{}', '{sum(1 / n) AS inv}',
                           schedule => '1 minute');
SELECT to_regclass('fcs_fact') AS fact, to_regclass('fcs_fact_data') AS storage,
       (SELECT count(*) FROM dataeng.jobs) AS jobs;
-- schedule => NULL: a fact refreshed by hand
SELECT dataeng.fact_create('fcs_fact', 'fcs_src', 'at', 'day', '{}', '{count(*)}', schedule => NULL);
SELECT * FROM fcs_fact;

-- a dimension: the schedule is refused before its table is made
SELECT dataeng.dimension_create('fcs_dim', 'fcs_src', 'id', '{n}', schedule => '0 0 30 2 *');
SELECT to_regclass('fcs_dim') AS dimension, (SELECT count(*) FROM dataeng.jobs) AS jobs;
SELECT dataeng.dimension_create('fcs_dim', 'fcs_src', 'id', '{n}', schedule => '@daily');
SELECT job_name, schedule FROM dataeng.jobs ORDER BY job_name;

SELECT dataeng.dimension_drop('fcs_dim');
SELECT dataeng.fact_drop('fcs_fact');
DROP TABLE fcs_src;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
