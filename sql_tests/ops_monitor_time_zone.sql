-- A monitor of a timestamp (without time zone) column reads its values as
-- times of the zone recorded when it was created (monitor_create's
-- time_zone, else the creating session's TimeZone), whatever the TimeZone
-- of the session that checks it: its job (the server's zone, or its
-- owner's ALTER ROLE ... SET) and a check by hand in another zone
-- disagreed by hours (a row written 30 minutes ago in UTC was 9.5 hours
-- old to a check in Asia/Tokyo, and in the future to one in
-- America/Los_Angeles).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;
SELECT dataeng_internal._scheduler_test_now(NULL);
SET TimeZone = 'UTC';

-- rows written 30 minutes ago by writers in UTC
CREATE TABLE mtz_events (at timestamp NOT NULL);
INSERT INTO mtz_events SELECT (now() AT TIME ZONE 'UTC') - interval '30 minutes';
SELECT dataeng.monitor_create('mtz_flow', 'mtz_events', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT time_zone FROM dataeng.monitors WHERE name = 'mtz_flow';
-- checked in other zones: fresh, its newest row the same moment
SET TimeZone = 'Asia/Tokyo';
SELECT ok, problems FROM dataeng.monitor_check('mtz_flow');
SET TimeZone = 'America/Los_Angeles';
SELECT ok, problems, newest = (SELECT max(at) AT TIME ZONE 'UTC' FROM mtz_events) AS newest_read_in_utc
  FROM dataeng.monitor_check('mtz_flow');
-- older than max_silence: silent in every zone
UPDATE mtz_events SET at = at - interval '2 hours';
SET TimeZone = 'Pacific/Kiritimati';
SELECT ok, regexp_replace(problems[1], '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', 'T') AS problem
  FROM dataeng.monitor_check('mtz_flow');
SET TimeZone = 'UTC';
SELECT ok, regexp_replace(problems[1], '\d{4}-\d\d-\d\d \d\d:\d\d:\d\d', 'T') AS problem
  FROM dataeng.monitor_check('mtz_flow');
SELECT dataeng.monitor_drop('mtz_flow');

-- time_zone given: a table written in Tokyo's local time, checked from UTC;
-- volume too (the periods' bounds are times of that zone)
CREATE TABLE mtz_tokyo (at timestamp NOT NULL);
INSERT INTO mtz_tokyo SELECT (now() AT TIME ZONE 'Asia/Tokyo') - g * interval '10 minutes' FROM generate_series(1, 5) g;
SELECT dataeng.monitor_create('mtz_tk', 'mtz_tokyo', 'at', max_silence => '1 hour', min_rows => 5,
                              per => '1 hour', schedule => '@yearly', time_zone => 'Asia/Tokyo');
SELECT time_zone FROM dataeng.monitors WHERE name = 'mtz_tk';
SELECT ok, rows_in_period, problems FROM dataeng.monitor_check('mtz_tk');
SET TimeZone = 'America/Los_Angeles';
SELECT ok, rows_in_period, problems FROM dataeng.monitor_check('mtz_tk');
SET TimeZone = 'UTC';
SELECT dataeng.monitor_drop('mtz_tk');

-- an unknown zone is refused
SELECT dataeng.monitor_create('mtz_bad', 'mtz_tokyo', 'at', max_silence => '1 hour', time_zone => 'Mars/Olympus_Mons');

-- checked by its job, in its owner's zone (ALTER ROLE ... SET TimeZone):
-- the same answer as the creating session's
CREATE ROLE mtz_owner LOGIN;
ALTER ROLE mtz_owner SET TimeZone = 'Pacific/Kiritimati';
GRANT SELECT ON mtz_events TO mtz_owner;
UPDATE mtz_events SET at = (now() AT TIME ZONE 'UTC') - interval '30 minutes';
SET ROLE mtz_owner;
SELECT dataeng.monitor_create('mtz_job', 'mtz_events', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT dataeng.job_run_now('monitor:mtz_job');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'monitor:mtz_job'$$) AS job_ran;
SELECT ok, problems FROM dataeng.monitor_checks WHERE monitor = 'mtz_job';
SELECT dataeng.monitor_drop('mtz_job');

-- the zone is read as SET TimeZone reads it, as the writers' sessions and
-- the creating session did, not as timezone() does (an abbreviation
-- first, an offset as POSIX): a session in CET (summer time) writes
-- 14:00 at 12:00 UTC; timezone('CET', ...) read it as +01 all year
CREATE TABLE mtz_cet (at timestamp NOT NULL);
INSERT INTO mtz_cet VALUES ('2026-07-01 14:00');
SET TimeZone = 'CET';
SELECT dataeng.monitor_create('mtz_cet', 'mtz_cet', 'at', max_silence => '1 hour', schedule => '@yearly');
SET TimeZone = 'UTC';
SELECT time_zone, (SELECT newest FROM dataeng.monitor_check('mtz_cet')) AS newest
  FROM dataeng.monitors WHERE name = 'mtz_cet';
SELECT dataeng.monitor_drop('mtz_cet');
-- an offset: '-02' is two hours west of Greenwich, as in SET TimeZone
-- ('+02' east); timezone() read it as POSIX, the other way: a row written
-- 30 minutes ago was 4.5 hours old
UPDATE mtz_events SET at = (now() AT TIME ZONE 'UTC') - interval '2 hours 30 minutes';
SELECT dataeng.monitor_create('mtz_off', 'mtz_events', 'at', max_silence => '1 hour', schedule => '@yearly',
                              time_zone => '-02');
SELECT ok, problems FROM dataeng.monitor_check('mtz_off');
SELECT dataeng.monitor_drop('mtz_off');
-- an abbreviation is no zone: 'IST' meant +02 or +05:30 by the checking
-- session's timezone_abbreviations
SELECT dataeng.monitor_create('mtz_ist', 'mtz_events', 'at', max_silence => '1 hour', time_zone => 'IST');
SELECT count(*) AS monitors_left FROM dataeng.monitors WHERE name LIKE 'mtz%';
DROP TABLE mtz_cet;

DROP TABLE mtz_events, mtz_tokyo;
DROP ROLE mtz_owner;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
