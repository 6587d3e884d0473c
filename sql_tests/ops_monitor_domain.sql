-- A monitor's time column may be of a domain over timestamptz, timestamp
-- or date (it was refused as "not a time"), and its check compares in
-- the domain's base type.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE DOMAIN event_time AS timestamptz NOT NULL;
CREATE DOMAIN event_time2 AS event_time;
CREATE DOMAIN event_day AS date CHECK (VALUE > '2000-01-01');
CREATE DOMAIN not_time AS int;
CREATE TABLE omd (id int, at event_time2, day event_day, n not_time);
INSERT INTO omd SELECT g, now() - g * interval '1 minute', current_date, g FROM generate_series(1, 30) g;
SELECT dataeng.monitor_create('omd_at', 'omd', 'at', max_silence => '1 hour', min_rows => 10, per => '1 hour');
SELECT dataeng.monitor_create('omd_day', 'omd', 'day', min_rows => 100, per => '2 days');
SELECT dataeng.monitor_create('omd_n', 'omd', 'n', max_silence => '1 hour');
SELECT monitor, rows_in_period, ok, problems FROM dataeng.monitor_check('omd_at');
SELECT monitor, rows_in_period, ok, problems FROM dataeng.monitor_check('omd_day');
SELECT name, tbl, time_column FROM dataeng.monitors ORDER BY name;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
