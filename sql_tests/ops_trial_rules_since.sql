-- pipeline_status.since of a table with rules is when its current state
-- began: the first run of the current spell of failing (or passing)
-- validations.  It was the latest run's end, which moved at each
-- validate() of a table failing for days.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE rs_t (id int PRIMARY KEY, v int);
INSERT INTO rs_t VALUES (1, -1), (2, 5);
SELECT dataeng.rule_add('rs_t', 'positive', 'range', 'v', '{"min": 0}');
SELECT kind, name, state, since FROM dataeng.pipeline_status WHERE kind = 'table with rules';
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT state, since = (SELECT min(finished_at) FROM dataeng.validation_runs) AS since_first_failed_run,
       since < (SELECT max(finished_at) FROM dataeng.validation_runs) AS before_latest_run
  FROM dataeng.pipeline_status WHERE kind = 'table with rules';
-- fixed: ok since the first run that passed, for as long as they pass
UPDATE rs_t SET v = 1 WHERE id = 1;
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT state, since = (SELECT finished_at FROM dataeng.validation_runs ORDER BY run_id OFFSET 3 LIMIT 1) AS since_first_passing_run
  FROM dataeng.pipeline_status WHERE kind = 'table with rules';
-- failing again: since the first run of that spell
UPDATE rs_t SET v = -2 WHERE id = 2;
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT count(*) FROM dataeng.validate('rs_t');
SELECT state, since = (SELECT finished_at FROM dataeng.validation_runs ORDER BY run_id OFFSET 5 LIMIT 1) AS since_first_failed_again
  FROM dataeng.pipeline_status WHERE kind = 'table with rules';

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE rs_t;
