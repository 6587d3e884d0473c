-- The jobs of facts, dimensions and monitors: their owner may change their
-- schedule with dataeng.schedule(), and wrap their call, but their command
-- must call it (another command left the fact without refreshes while its
-- job succeeded and its status said it was up to date); and dataeng.facts,
-- dataeng.dimensions and dataeng.monitors show the schedule the job has
-- (they kept the one it was created with).
CREATE EXTENSION dataeng;
CREATE TABLE own_src (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), v int);
INSERT INTO own_src (id, v) VALUES (1, 10), (2, 20);
SELECT dataeng.fact_create('own_f', 'own_src', 'at', 'day', '{}', '{count(*), sum(v)}', schedule => '1 minute');
SELECT dataeng.dimension_create('own_d', 'own_src', 'id', '{v}', schedule => '1 minute');
SELECT dataeng.monitor_create('own_m', 'own_src', 'at', max_silence => '1 day', schedule => '5 minutes');

-- another command is refused, the job left as it was
\set SHOW_CONTEXT never
SELECT dataeng.schedule('fact_refresh:own_f', '1 hour', 'SELECT 1');
SELECT dataeng.schedule('dimension_refresh:own_d', '1 hour', $$SELECT dataeng.dimension_refresh('other')$$);
SELECT dataeng.schedule('monitor:own_m', '1 hour', 'VACUUM own_src');
SELECT job_name, schedule, command FROM dataeng.jobs ORDER BY job_name;

-- its own command (wrapped: a SET before it) with another schedule: the
-- job and the definition take it
\set VERBOSITY terse
SELECT dataeng.schedule('fact_refresh:own_f', '1 hour', $$SET work_mem = '64MB'; SELECT dataeng.fact_refresh('own_f');$$) > 0 AS rescheduled;
SELECT dataeng.schedule('dimension_refresh:own_d', '2 hours', $$SELECT dataeng.dimension_refresh('own_d')$$,
                        max_retries => 2) > 0 AS rescheduled;
SELECT dataeng.schedule('monitor:own_m', '3 hours', $$SELECT dataeng.monitor_check('own_m')$$) > 0 AS rescheduled;
SELECT job_name, schedule, max_retries FROM dataeng.jobs ORDER BY job_name;
SELECT name, schedule FROM dataeng.facts;
SELECT name, schedule FROM dataeng.dimensions;
SELECT name, schedule FROM dataeng.monitors;
-- the refresh still refreshes
INSERT INTO own_src (id, v) VALUES (3, 30);
SELECT dataeng.fact_refresh('own_f');
SELECT count, sum_v FROM own_f;

-- a job of another name takes any command
SELECT dataeng.schedule('own_other', '1 hour', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.unschedule('own_other');

SELECT dataeng.monitor_drop('own_m');
SELECT dataeng.dimension_drop('own_d');
SELECT dataeng.fact_drop('own_f');
DROP TABLE own_src;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
