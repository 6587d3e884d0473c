-- on_change triggers of a table that leaves capture from the WAL (switched
-- to trigger capture, or cdc_disable()): the WAL capture worker, which
-- calls their handlers, decodes none of its changes, so the changes
-- committed meanwhile never reach them.  The switch names each such
-- trigger in a WARNING, and dataeng.pipeline_status shows it failing with
-- an on_change_failed alert until the table is captured from the WAL
-- again.  (Before, nothing said so: the status said the trigger handled
-- the changes of the table, and a switch there and back lost the changes
-- between for the handler.)
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE uf (id int PRIMARY KEY, v text);
CREATE TABLE uf_seen (id int);
CREATE FUNCTION uf_h(changes dataeng.change[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO public.uf_seen SELECT (c.new_row->>'id')::int FROM unnest(changes) c $$;
SELECT dataeng.cdc_enable('uf', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change('uf_t', 'uf', 'uf_h(dataeng.change[])', '{I}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

INSERT INTO uf VALUES (1, 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, table_method FROM dataeng.on_changes;
SELECT state FROM dataeng.pipeline_status WHERE kind = 'on_change';

-- 1. switched to trigger capture: a WARNING names the trigger
\set VERBOSITY default
SELECT dataeng.cdc_enable('uf', method => 'trigger');
\set VERBOSITY terse
SELECT dataeng.cdc_wal_sync();
INSERT INTO uf VALUES (2, 'trigger');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, table_method FROM dataeng.on_changes;
SELECT state, regexp_replace(reason, 'last handled .*', 'last handled ...') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT dataeng.alert_check();
SELECT kind, object, severity FROM dataeng.alerts_open WHERE kind = 'on_change_failed';

-- 2. back to the WAL: handled again, the alert resolved (row 2 never
-- reached the handler: it is in the change log)
SELECT dataeng.cdc_enable('uf', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO uf VALUES (3, 'wal again');
SELECT dataeng.cdc_wal_sync();
SELECT id FROM uf_seen ORDER BY id;
SELECT state FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT dataeng.alert_check();
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind = 'on_change_failed';

-- 3. capture disabled: the same
\set VERBOSITY default
SELECT dataeng.cdc_disable('uf');
\set VERBOSITY terse
SELECT trigger_name, table_method FROM dataeng.on_changes;
SELECT state, regexp_replace(reason, 'last handled .*', 'last handled ...') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';

-- 4. a switch of a table without on_change triggers says nothing
CREATE TABLE uf2 (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('uf2', method => 'wal');
SELECT dataeng.cdc_enable('uf2', method => 'trigger');
SELECT dataeng.cdc_disable('uf2');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
