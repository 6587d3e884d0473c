-- A dead letter replayed by hand is deleted with
-- dataeng.on_change_dead_letter_delete() by its trigger's creator.  The
-- status of a trigger with dead letters told it to "replay and delete
-- them", and its on_change_failed alert stayed open until then, but no role
-- other than a superuser could delete them (dataeng.dead_letters is no
-- role's to write, and on_change_dead_letters is a view of a function).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
CREATE ROLE dld_app;
CREATE ROLE dld_other;
CREATE SCHEMA dld AUTHORIZATION dld_app;
SET ROLE dld_app;
CREATE TABLE dld.t (id int PRIMARY KEY);
CREATE TABLE dld.sink (id int);
CREATE TABLE dld.sink_down (down boolean);
INSERT INTO dld.sink_down VALUES (true);
CREATE FUNCTION dld.h(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT s.down FROM dld.sink_down s) THEN
    RAISE EXCEPTION 'the sink is down' USING ERRCODE = 'connection_failure';
  END IF;
  INSERT INTO dld.sink SELECT (x.new_row->>'id')::int FROM unnest(c) x;
END $$;
SELECT dataeng.cdc_enable('dld.t', method => 'wal');
RESET ROLE;
ALTER SYSTEM SET dataeng.on_change_retries = 0;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE dld_app;
SELECT dataeng.on_change('dld_h', 'dld.t', 'dld.h(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SET ROLE dld_app;
INSERT INTO dld.t VALUES (1);
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.alert_check();
RESET client_min_messages;

SET ROLE dld_app;
SELECT trigger_name, error, sqlstate FROM dataeng.on_change_dead_letters;
SELECT state FROM dataeng.pipeline_status WHERE kind = 'on_change';
-- the creator replays the batch by hand (the sink is back)
UPDATE dld.sink_down SET down = false;
SELECT dld.h(changes) FROM dataeng.on_change_dead_letters WHERE trigger_name = 'dld_h';
SELECT id FROM dld.sink;
SELECT id AS dl_id FROM dataeng.on_change_dead_letters WHERE trigger_name = 'dld_h' \gset

-- another role may not delete it (it is not listed to it)
SET ROLE dld_other;
SELECT count(*) FROM dataeng.on_change_dead_letters;
\set VERBOSITY default
SELECT dataeng.on_change_dead_letter_delete(:dl_id);
\set VERBOSITY terse
-- nor write the table of dead letters
DELETE FROM dataeng.dead_letters;

-- the creator deletes it: true, then false (gone)
SET ROLE dld_app;
SELECT dataeng.on_change_dead_letter_delete(:dl_id);
SELECT dataeng.on_change_dead_letter_delete(:dl_id);
SELECT count(*) FROM dataeng.on_change_dead_letters;
SELECT state FROM dataeng.pipeline_status WHERE kind = 'on_change';
RESET ROLE;
SELECT dataeng.alert_check();
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind = 'on_change_failed';
SELECT dataeng.on_change_dead_letter_delete(NULL);

SET client_min_messages = warning;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP SCHEMA dld CASCADE;
DROP ROLE dld_app;
DROP ROLE dld_other;
