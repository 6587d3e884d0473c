-- Monitors: a row of a time to come (a clock ahead, a typo, 'infinity')
-- is no sign of life now.  It was the newest row, and the table was never
-- silent again while it was there (for ten years, for ever); the check's
-- newest is now the newest row up to the check, for a timestamptz, a
-- timestamp and a date column.  NULL times are no rows with a time.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
SET TimeZone = 'UTC';
CREATE TABLE omf (id int, at timestamptz);
CREATE INDEX ON omf (at);
SELECT dataeng.monitor_create('omf_fresh', 'omf', 'at', max_silence => '1 hour', schedule => '@yearly');
INSERT INTO omf VALUES (1, NULL);
SELECT ok, newest, problems FROM dataeng.monitor_check('omf_fresh');
INSERT INTO omf VALUES (2, '2020-01-01 10:00+00');
SELECT ok, newest, problems FROM dataeng.monitor_check('omf_fresh');
-- rows to come: still silent, the newest is the 2020 one
INSERT INTO omf VALUES (3, now() + interval '10 years'), (4, 'infinity');
SELECT ok, newest, problems FROM dataeng.monitor_check('omf_fresh');
SELECT kind, object FROM dataeng.alerts_open;
-- a row written now: fresh, the alert resolved
INSERT INTO omf VALUES (5, now() - interval '1 minute');
SELECT ok, newest < checked_at AS newest_past, problems FROM dataeng.monitor_check('omf_fresh');
SELECT count(*) AS open FROM dataeng.alerts_open;

-- a timestamp column of a zone, and a date column
CREATE TABLE omf_local (at timestamp, d date);
SELECT dataeng.monitor_create('omf_local', 'omf_local', 'at', max_silence => '1 hour', schedule => '@yearly',
                              time_zone => 'Asia/Tokyo');
SELECT dataeng.monitor_create('omf_day', 'omf_local', 'd', max_silence => '3 days', schedule => '@yearly');
INSERT INTO omf_local VALUES ('2020-01-01 19:00', '2020-01-01'), ('2999-01-01 00:00', '2999-01-01');
SELECT ok, newest, problems FROM dataeng.monitor_check('omf_local');
SELECT ok, newest, problems FROM dataeng.monitor_check('omf_day');

-- a newest row at -infinity (or at infinity, as a check took it before):
-- the status has no age for it; reading it failed (cannot subtract
-- infinite timestamps), and every maintain() with it
CREATE TABLE omf_past (at timestamptz);
INSERT INTO omf_past VALUES ('-infinity');
SELECT dataeng.monitor_create('omf_past', 'omf_past', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT ok, newest, problems FROM dataeng.monitor_check('omf_past');
SELECT name, state, lag_seconds IS NULL AS no_age FROM dataeng.pipeline_status WHERE kind = 'monitor' ORDER BY name;
UPDATE dataeng.monitor_checks SET newest = 'infinity' WHERE monitor = 'omf_past';
SELECT name, state, lag_seconds IS NULL AS no_age FROM dataeng.pipeline_status WHERE name = 'omf_past';
SELECT dataeng.maintain() IS NOT NULL AS maintained;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE omf, omf_local, omf_past;
