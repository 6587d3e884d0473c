-- An on_change trigger its creator can no longer run: the creator's right
-- to read the table revoked, the creator's role dropped (DROP OWNED leaves
-- the trigger, which names the role by oid), the handler dropped.  Each
-- batch fails into dataeng.dead_letters, hidden from the views while the
-- creator may not read the table; pipeline_status says the trigger is
-- failing and why, and an alert is raised once (it used to say ok,
-- "handles the changes", while every batch went to a hidden dead letter).
-- A dropped role's batch fails with 42704 naming the trigger (it was
-- "permission denied" for a role "(null)"), and neither a dropped role nor
-- a dropped handler is retried: it cannot come back under its oid (each
-- retry held capture up for nothing).
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
ALTER SYSTEM SET dataeng.on_change_retries = 2;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();

CREATE TABLE oco (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('oco', method => 'wal');
CREATE ROLE regress_oco_creator;
GRANT USAGE ON SCHEMA dataeng TO regress_oco_creator;
GRANT CREATE ON SCHEMA public TO regress_oco_creator;
GRANT SELECT ON oco TO regress_oco_creator;
CREATE TABLE oco_out (who text, n int);
GRANT INSERT ON oco_out TO regress_oco_creator;
SET ROLE regress_oco_creator;
CREATE FUNCTION public.oco_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.oco_out VALUES (current_user, cardinality(changes));
END $$;
SELECT dataeng.on_change('oco_t', 'oco', 'public.oco_h(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- runs as its creator
INSERT INTO oco VALUES (1, 'a');
SELECT dataeng.cdc_wal_sync();
SELECT who, n FROM oco_out;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';

-- the creator may no longer read the table: failing, with why
REVOKE SELECT ON oco FROM regress_oco_creator;
SELECT name, state, reason FROM dataeng.pipeline_status WHERE kind = 'on_change';
SET ROLE regress_oco_creator;
SELECT name, state, reason FROM dataeng.pipeline_status WHERE kind = 'on_change';
RESET ROLE;
INSERT INTO oco VALUES (2, 'b');
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS handled FROM oco_out;
SELECT trigger_name, error, sqlstate, attempts FROM dataeng.dead_letters ORDER BY id;
SELECT count(*) AS listed FROM dataeng.on_change_dead_letters;
SELECT (dataeng.alert_check()).raised AS raised;
SELECT (dataeng.alert_check()).raised AS raised_again;
SELECT kind, object FROM dataeng.alerts_open;

-- read again: ok once the dead letter is replayed and deleted, the alert
-- resolved
GRANT SELECT ON oco TO regress_oco_creator;
SET ROLE regress_oco_creator;
SELECT public.oco_h(d.changes) FROM dataeng.on_change_dead_letters d;
RESET ROLE;
DELETE FROM dataeng.dead_letters;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).resolved AS resolved;
SELECT count(*) AS open FROM dataeng.alerts_open;

-- the creator's role dropped: the trigger stays, failing; its batch is a
-- dead letter saying so, made at the first attempt
DROP OWNED BY regress_oco_creator;
DROP ROLE regress_oco_creator;
SELECT count(*) AS triggers FROM dataeng.on_changes;
SELECT name, state,
       regexp_replace(reason, 'oid [0-9]+', 'oid N', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
INSERT INTO oco VALUES (3, 'c');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, error, sqlstate, attempts FROM dataeng.dead_letters ORDER BY id;
SELECT dataeng.on_change_drop('oco_t');
DELETE FROM dataeng.dead_letters;

-- the creator dropped, and its oid given to a new role (as after a
-- wraparound of oids; simulated by pointing the row at a new role): the
-- worker marked the trigger when it saw the drop (owner_name NULL), and
-- never runs the handler as the new role (it did: the oid alone decided)
CREATE ROLE regress_oco_gone;
CREATE ROLE regress_oco_heir;
GRANT USAGE ON SCHEMA dataeng TO regress_oco_gone;
GRANT SELECT ON oco TO regress_oco_gone, regress_oco_heir;
GRANT INSERT ON oco_out TO regress_oco_gone, regress_oco_heir;
CREATE FUNCTION oco_h3(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.oco_out VALUES (current_user, cardinality(changes));
END $$;
SET ROLE regress_oco_gone;
SELECT dataeng.on_change('oco_t3', 'oco', 'oco_h3(dataeng.change[])');
RESET ROLE;
SELECT owner_name FROM dataeng_internal.on_change_triggers WHERE trigger_name = 'oco_t3';
-- a rename is followed
ALTER ROLE regress_oco_gone RENAME TO regress_oco_gone2;
SELECT dataeng.cdc_wal_sync();
SELECT wait_for($$SELECT owner_name = 'regress_oco_gone2' FROM dataeng_internal.on_change_triggers WHERE trigger_name = 'oco_t3'$$) AS rename_followed;
DELETE FROM oco_out;
INSERT INTO oco VALUES (5, 'e');
SELECT dataeng.cdc_wal_sync();
SELECT who, n FROM oco_out;
DROP OWNED BY regress_oco_gone2;
REVOKE ALL ON oco, oco_out FROM regress_oco_gone2;
REVOKE USAGE ON SCHEMA dataeng FROM regress_oco_gone2;
DROP ROLE regress_oco_gone2;
SELECT dataeng.cdc_wal_sync();
SELECT wait_for($$SELECT owner_name IS NULL FROM dataeng_internal.on_change_triggers WHERE trigger_name = 'oco_t3'$$) AS drop_seen;
UPDATE dataeng_internal.on_change_triggers SET owner = 'regress_oco_heir' WHERE trigger_name = 'oco_t3';
INSERT INTO oco VALUES (6, 'f');
SELECT dataeng.cdc_wal_sync();
SELECT who, n FROM oco_out;
SELECT trigger_name, error, sqlstate, attempts FROM dataeng.dead_letters ORDER BY id;
SELECT name, state, regexp_replace(reason, 'oid [0-9]+', 'oid N', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
-- not the new role's to see or drop
GRANT USAGE ON SCHEMA dataeng TO regress_oco_heir;
SET ROLE regress_oco_heir;
SELECT count(*) AS heir_sees FROM dataeng.on_changes;
SELECT dataeng.on_change_drop('oco_t3');
RESET ROLE;
REVOKE USAGE ON SCHEMA dataeng FROM regress_oco_heir;
SELECT dataeng.on_change_drop('oco_t3');
DELETE FROM dataeng.dead_letters;
DELETE FROM oco_out;
DROP FUNCTION oco_h3(dataeng.change[]);
REVOKE ALL ON oco, oco_out FROM regress_oco_heir;
DROP ROLE regress_oco_heir;

-- a handler dropped: failing before any batch, one attempt
CREATE FUNCTION oco_h2(changes dataeng.change[]) RETURNS void LANGUAGE sql AS $$ SELECT $$;
SELECT dataeng.on_change('oco_t2', 'oco', 'oco_h2(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
DROP FUNCTION oco_h2(dataeng.change[]);
SELECT name, state,
       regexp_replace(reason, 'oid [0-9]+', 'oid N', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
INSERT INTO oco VALUES (4, 'd');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, error, sqlstate, attempts FROM dataeng.on_change_dead_letters ORDER BY id;
SELECT dataeng.on_change_drop('oco_t2');

ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
