-- cdc_disable of a table that a fact or a dimension reads is refused: with
-- capture stopped, its refreshes received none of the table's changes, so
-- it fell behind its source while dataeng.pipeline_status said it was up
-- to date with it.  Once it is dropped, the table's capture can stop.  A
-- consumer of a table not captured is warned about in its status.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE cdr (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01 10:00+00', amt numeric, g text);
INSERT INTO cdr VALUES (1, DEFAULT, 5, 'a');
SELECT dataeng.cdc_enable('cdr');
SELECT dataeng.fact_create('cdr_daily', 'cdr', 'at', 'day', '{}', '{sum(amt) AS s}', schedule => NULL) IS NOT NULL AS fact;
SELECT dataeng.dimension_create('cdr_dim', 'cdr', 'id', ARRAY['g'], 1, schedule => NULL) IS NOT NULL AS dim;
RESET client_min_messages;

\set VERBOSITY default
SELECT dataeng.cdc_disable('cdr');
\set VERBOSITY terse
-- (still captured: the fact follows its source)
INSERT INTO cdr VALUES (2, DEFAULT, 7, 'b');
SELECT dataeng.fact_refresh('cdr_daily');
SELECT s FROM cdr_daily;
SELECT table_name FROM dataeng.cdc_tables;

SELECT dataeng.fact_drop('cdr_daily');
\set VERBOSITY default
SELECT dataeng.cdc_disable('cdr');
\set VERBOSITY terse
SELECT dataeng.dimension_drop('cdr_dim');
SELECT dataeng.cdc_consumer_create('cdr_c', '{cdr}');
SELECT dataeng.cdc_disable('cdr');
SELECT count(*) FROM dataeng.cdc_tables;

-- a consumer of the table is allowed to stay (as one created on a table
-- not captured, with a warning), but its status says that it receives
-- none of the table's changes (it said ok)
INSERT INTO cdr VALUES (3, DEFAULT, 1, 'c');
SELECT count(*) FROM dataeng.cdc_poll('cdr_c');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, regexp_replace(reason, 'measured .*', 'measured ...') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'consumer';
SELECT dataeng.cdc_enable('cdr');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state FROM dataeng.pipeline_status WHERE kind = 'consumer';

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
