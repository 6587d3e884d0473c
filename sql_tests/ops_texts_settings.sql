-- The texts of checks, statuses and alerts are the same whatever the
-- session's IntervalStyle, DateStyle and TimeZone (they are stored, and
-- sent to handlers): a monitor's problems, its alert's message and the
-- reasons of dataeng.pipeline_status said intervals and moments in the
-- session's styles ('@ 1 hour', '01:00:00', 'PT1H'...).  Counts of rows
-- agree with their noun ('1 row', not '1 rows'), and failed_pct has two
-- decimal places whatever a rule checked (0 of a rule that checked
-- nothing, 0.00 of one that checked rows).
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
\pset null '(null)'

CREATE TABLE ots (id int PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO ots VALUES (1, '2026-03-01 10:00:00+00');
SELECT dataeng.monitor_create('ots_m', 'ots', 'at', max_silence => '1 hour 30 minutes', min_rows => 5, per => '2 days');
-- the same check in two sessions' styles: the same problems and message
SET IntervalStyle = 'postgres_verbose';
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Asia/Kolkata';
SELECT ok, problems FROM dataeng.monitor_check('ots_m');
SELECT message FROM dataeng.alerts_open WHERE kind = 'monitor_silence';
CREATE TEMP TABLE first_texts AS
  SELECT (SELECT problems FROM dataeng.monitor_checks ORDER BY check_id DESC LIMIT 1) AS problems,
         (SELECT message FROM dataeng.alerts WHERE kind = 'monitor_silence' AND resolved_at IS NULL) AS message;
SET IntervalStyle = 'iso_8601';
SET DateStyle = 'German';
SET TimeZone = 'America/Los_Angeles';
SELECT ok, problems = (SELECT problems FROM first_texts) AS same_problems FROM dataeng.monitor_check('ots_m');
SELECT message = (SELECT message FROM first_texts) AS same_message
  FROM dataeng.alerts WHERE kind = 'monitor_silence' AND resolved_at IS NULL;
-- an ok check: its status says the period, the count and the newest row
DELETE FROM ots;
INSERT INTO ots SELECT g, now() - g * interval '1 minute' FROM generate_series(1, 5) g;
SELECT ok FROM dataeng.monitor_check('ots_m');
SELECT regexp_replace(reason, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', 'T') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'monitor';
SET IntervalStyle = 'sql_standard';
SELECT regexp_replace(reason, '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC', 'T') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'monitor';
DELETE FROM ots WHERE id > 1;
SELECT ok, problems FROM dataeng.monitor_check('ots_m');
RESET IntervalStyle;
RESET DateStyle;
RESET TimeZone;
SELECT dataeng.monitor_drop('ots_m');

-- a rule's alert: 1 row, 2 rows; failed_pct with two decimal places
CREATE TABLE otr (id int PRIMARY KEY, v int);
SELECT dataeng.rule_add('otr', 'positive', 'range', 'v', '{"min": 0}');
SELECT rule_name, checked, failed, failed_pct, passed FROM dataeng.validate('otr');
INSERT INTO otr VALUES (1, 5), (2, 7);
SELECT rule_name, checked, failed, failed_pct, passed FROM dataeng.validate('otr');
INSERT INTO otr VALUES (3, -1);
SELECT rule_name, checked, failed, failed_pct, passed FROM dataeng.validate('otr');
SELECT message FROM dataeng.alerts_open WHERE object = 'public.otr';
CREATE TABLE otr2 (id int PRIMARY KEY, v int);
INSERT INTO otr2 VALUES (1, -1), (2, -2), (3, 3);
SELECT dataeng.rule_add('otr2', 'positive2', 'range', 'v', '{"min": 0}');
SELECT rule_name, checked, failed, failed_pct, passed FROM dataeng.validate('otr2');
SELECT message FROM dataeng.alerts_open WHERE object = 'public.otr2';
-- a table of one rule, and of two
SELECT dataeng.rule_add('otr2', 'small', 'range', 'v', '{"max": 100}');
SELECT rule_name, failed FROM dataeng.validate('otr2') ORDER BY 1;
-- a table of one rule never validated, one passing
CREATE TABLE otr3 (id int PRIMARY KEY, v int);
SELECT dataeng.rule_add('otr3', 'positive3', 'range', 'v', '{"min": 0}');
DELETE FROM otr WHERE v < 0;
SELECT rule_name, failed FROM dataeng.validate('otr');
SELECT name, reason FROM dataeng.pipeline_status WHERE kind = 'table with rules' ORDER BY name;

-- a moment before the year 1 says BC (it was written as the year 44 AD)
SELECT dataeng_internal._text_time('0044-03-15 12:00:00+00 BC') AS bc,
       dataeng_internal._text_time('0001-01-01 00:00:00+00') AS ad;

DROP TABLE ots, otr, otr2, otr3;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
