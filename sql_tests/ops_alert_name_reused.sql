-- An open alert of a condition is updated when the condition is found
-- again (_alert_raise), but only for the same owner and table: a consumer
-- (job, fact, ...) dropped and a new one of the same name made by another
-- role before the next alert_check() raise a new alert for the new owner
-- and resolve the old one.  Taken over, the old owner's alert showed that
-- role the new consumer's figures, and its owner got no alert.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_anr_first;
CREATE ROLE regress_anr_second;
CREATE SCHEMA anr_first AUTHORIZATION regress_anr_first;
CREATE SCHEMA anr_second AUTHORIZATION regress_anr_second;
SELECT dataeng.alert_set('*', 'lag_changes', '0');
SET ROLE regress_anr_first;
CREATE TABLE anr_first.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('anr_first.t', method => 'trigger') IS NOT NULL AS enabled;
SELECT dataeng.cdc_consumer_create('reader', ARRAY['anr_first.t'::regclass]);
INSERT INTO anr_first.t VALUES (1);
RESET ROLE;
SELECT * FROM dataeng.alert_check();
SET ROLE regress_anr_first;
SELECT object, payload->>'lag_changes' AS lag_changes FROM dataeng.alerts_open;
SELECT dataeng.cdc_consumer_drop('reader');
RESET ROLE;
-- another role's consumer of that name, before the next check
SET ROLE regress_anr_second;
CREATE TABLE anr_second.secret (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('anr_second.secret', method => 'trigger') IS NOT NULL AS enabled;
SELECT dataeng.cdc_consumer_create('reader', ARRAY['anr_second.secret'::regclass]);
INSERT INTO anr_second.secret SELECT generate_series(1, 42);
RESET ROLE;
SELECT * FROM dataeng.alert_check();
-- the first role sees no figure of the second one's consumer
SET ROLE regress_anr_first;
SELECT object, message ~ '42' AS says_42, payload->>'lag_changes' AS lag_changes FROM dataeng.alerts_open;
-- the second role has its alert
SET ROLE regress_anr_second;
SELECT object, message ~ '42 changes pending' AS says_42, payload->>'lag_changes' AS lag_changes, seen_count FROM dataeng.alerts_open;
RESET ROLE;
SELECT owner, resolved_at IS NOT NULL AS resolved, payload->>'lag_changes' AS lag_changes
  FROM dataeng.alerts ORDER BY alert_id;
-- found again for the same owner: the open alert is updated
SET ROLE regress_anr_second;
INSERT INTO anr_second.secret VALUES (43);
RESET ROLE;
SELECT * FROM dataeng.alert_check();
SELECT owner, resolved_at IS NOT NULL AS resolved, payload->>'lag_changes' AS lag_changes, seen_count
  FROM dataeng.alerts ORDER BY alert_id;
SET ROLE regress_anr_second;
SELECT dataeng.cdc_consumer_drop('reader');
RESET ROLE;
SET client_min_messages = warning;
DROP SCHEMA anr_first CASCADE;
DROP SCHEMA anr_second CASCADE;
DROP ROLE regress_anr_first;
DROP ROLE regress_anr_second;
DROP EXTENSION dataeng CASCADE;
