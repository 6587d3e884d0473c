-- Operations of on_change triggers: a handler failing into dead letters,
-- or a trigger paused by a failure, is failing in pipeline_status and
-- raises an on_change_failed alert, resolved once no batch it failed on
-- waits in dataeng.dead_letters; a trigger paused by hand is paused; the
-- lineage draws the trigger.  (They were in neither: a handler failing for
-- days showed nothing, and its dead letters were trimmed after
-- dead_letters_keep without any alert.)
\pset null '(null)'
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
ALTER SYSTEM SET dataeng.on_change_retries = 0;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();

CREATE TABLE oc (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('oc', method => 'wal');
CREATE TABLE sink_down (down boolean);
INSERT INTO sink_down VALUES (true);
CREATE TABLE sunk (trg text, id int);
CREATE FUNCTION sink_dl(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT s.down FROM public.sink_down s) THEN RAISE EXCEPTION 'the sink is down'; END IF;
  INSERT INTO public.sunk SELECT 'dl', (c.new_row->>'id')::int FROM unnest(changes) c;
END $$;
CREATE FUNCTION sink_ps(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT s.down FROM public.sink_down s) THEN RAISE EXCEPTION 'the sink is down'; END IF;
  INSERT INTO public.sunk SELECT 'ps', (c.new_row->>'id')::int FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('dl', 'oc', 'sink_dl(dataeng.change[])');
SELECT dataeng.on_change('ps', 'oc', 'sink_ps(dataeng.change[])', on_error => 'pause');
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT kind, name, state, reason FROM dataeng.pipeline_status WHERE kind = 'on_change' ORDER BY name;

-- the sink is down: dl fails into a dead letter and goes on; ps pauses
INSERT INTO oc VALUES (1, 'a');
SELECT dataeng.cdc_wal_sync();
INSERT INTO oc VALUES (2, 'b');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, error FROM dataeng.on_change_dead_letters ORDER BY id;
SELECT kind, name, state,
       regexp_replace(reason, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}', 'T', 'g') AS reason, last_error, since IS NOT NULL AS since
  FROM dataeng.pipeline_status WHERE kind = 'on_change' ORDER BY name;
SELECT (dataeng.alert_check()).raised >= 0 AS checked;
SELECT kind, object, severity FROM dataeng.alerts_open ORDER BY object;
-- the alert holds the handler's error: the trigger's owner's alone, not
-- every reader's of the table
CREATE ROLE regress_ops_oc_reader;
GRANT SELECT ON oc TO regress_ops_oc_reader;
SET ROLE regress_ops_oc_reader;
SELECT count(*) AS others_see FROM dataeng.alerts_open WHERE kind = 'on_change_failed';
SELECT count(*) AS others_see FROM dataeng.alerts WHERE kind = 'on_change_failed';
RESET ROLE;
REVOKE SELECT ON oc FROM regress_ops_oc_reader;
DROP ROLE regress_ops_oc_reader;
SELECT from_object, from_kind, to_object, to_kind, relation
  FROM dataeng.lineage WHERE to_kind = 'on_change' ORDER BY to_object;
SELECT dataeng.lineage_dot('oc') ~ 'on_change' AS drawn;

-- the sink is back: ps resumed handles the batches it set aside; dl's
-- dead letters are replayed by hand and deleted
UPDATE sink_down SET down = false;
SELECT dataeng.on_change_resume('ps');
SELECT dataeng.cdc_wal_sync();
SELECT sink_dl(d.changes) FROM dataeng.on_change_dead_letters d WHERE d.trigger_name = 'dl' ORDER BY d.id;
DELETE FROM dataeng.dead_letters WHERE trigger_name = 'dl';
SELECT trg, id FROM sunk ORDER BY trg, id;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change' ORDER BY name;
SELECT (dataeng.alert_check()).resolved >= 0 AS checked;
SELECT count(*) AS open FROM dataeng.alerts_open;
SELECT count(*) AS resolved FROM dataeng.alerts WHERE kind = 'on_change_failed' AND resolved_at IS NOT NULL;

-- paused by hand: paused, no alert
SELECT dataeng.on_change_pause('dl');
INSERT INTO oc VALUES (3, 'c');
SELECT dataeng.cdc_wal_sync();
SELECT name, state, regexp_replace(reason, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}', 'T', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change' ORDER BY name;
SELECT (dataeng.alert_check()).raised >= 0 AS checked;
SELECT count(*) AS open FROM dataeng.alerts_open;
-- alerts off for one trigger (set by its owner)
SELECT dataeng.on_change_resume('dl');
SELECT dataeng.alert_set('on_change:dl', 'alerts', 'off');
UPDATE sink_down SET down = true;
INSERT INTO oc VALUES (4, 'd');
SELECT dataeng.cdc_wal_sync();
SELECT (dataeng.alert_check()).raised >= 0 AS checked;
SELECT kind, object FROM dataeng.alerts_open ORDER BY object;

ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
