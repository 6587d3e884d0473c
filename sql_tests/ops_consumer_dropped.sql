-- pipeline_status reads the consumers' lag as the last alert_check()
-- measured it (dataeng_internal.consumer_lag).  A consumer dropped since
-- is gone from the status at once: it used to stay listed until the next
-- round of maintenance, still "warning" and telling to poll or drop it.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
SELECT dataeng.alert_set('*', 'lag_changes', '0');
CREATE TABLE ocd (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('ocd', method => 'trigger') IS NOT NULL AS enabled;
SELECT dataeng.cdc_consumer_create('Gone Soon', ARRAY['ocd'::regclass]);
SELECT dataeng.cdc_consumer_create('stays', ARRAY['ocd'::regclass]);
INSERT INTO ocd VALUES (1), (2);
SELECT * FROM dataeng.alert_check();
SELECT name, state, lag_changes FROM dataeng.pipeline_status WHERE kind = 'consumer' ORDER BY name;
SELECT dataeng.cdc_consumer_drop('Gone Soon');
-- gone from the status before any check
SELECT name, state, lag_changes FROM dataeng.pipeline_status WHERE kind = 'consumer' ORDER BY name;
-- a new consumer of the same name is not shown with the old one's figures
SELECT dataeng.cdc_consumer_create('Gone Soon', ARRAY['ocd'::regclass]);
SELECT name, state, lag_changes FROM dataeng.pipeline_status WHERE kind = 'consumer' ORDER BY name;
SELECT * FROM dataeng.alert_check();
SELECT name, state, lag_changes FROM dataeng.pipeline_status WHERE kind = 'consumer' ORDER BY name;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
