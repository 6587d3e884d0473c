-- Capture from the WAL against a role that tries to stop it for everyone:
-- a change that cannot be decoded any more, the owner's code in a type's
-- input, a handler that never returns, a cancel of the worker, a
-- publication changed under it, a role's share of handlers, dead letters.
\pset null '(null)'
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
CREATE ROLE regress_walsec_a;
CREATE ROLE regress_walsec_b;
GRANT CREATE ON SCHEMA public TO regress_walsec_a, regress_walsec_b;
-- (quick retries and a short limit for handlers: the worker reloads them)
ALTER SYSTEM SET dataeng.on_change_retries = 0;
ALTER SYSTEM SET dataeng.on_change_timeout = '1s';
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();

-- a table of another role, captured all along
CREATE TABLE ws_other (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('ws_other', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- 1. A value written as text, its column an int by the time the worker
-- reads the WAL: the table stops (with the reason), the others go on.
CREATE TABLE m5 (id int PRIMARY KEY, t text);
SELECT dataeng.cdc_enable('m5', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO m5 VALUES (1, 'not a number');
INSERT INTO ws_other VALUES (1, 'same transaction');
ALTER TABLE m5 ALTER COLUMN t TYPE int USING 0;
COMMIT;
INSERT INTO ws_other VALUES (2, 'after');
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name IN ('m5'::regclass, 'ws_other'::regclass) ORDER BY change_id;
SELECT table_name,
       regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status
 WHERE table_name IN ('m5'::regclass, 'ws_other'::regclass) ORDER BY 1;
-- stopped: its changes are not captured until it is enabled again
INSERT INTO m5 VALUES (2, 2);
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS m5_changes FROM dataeng.changes WHERE table_name = 'm5'::regclass;
-- and the status says so, with an alert (it said "ok: changes are
-- captured", and no alert was raised)
SELECT kind, name, state, regexp_replace(reason, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS reason
  FROM dataeng.pipeline_status WHERE name IN ('public.m5', 'public.ws_other') ORDER BY name;
SELECT (dataeng.alert_check()).raised > 0 AS raised;
SELECT kind, object, severity FROM dataeng.alerts_open WHERE kind = 'capture_stopped';
SELECT dataeng.cdc_enable('m5', method => 'wal');
INSERT INTO m5 VALUES (3, 3);
SELECT dataeng.cdc_wal_sync();
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'm5'::regclass ORDER BY change_id;
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'm5'::regclass;
SELECT kind, name, state FROM dataeng.pipeline_status WHERE name = 'public.m5';
SELECT (dataeng.alert_check()).resolved > 0 AS resolved;
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind = 'capture_stopped';

-- 2. A domain array's check is its owner's code: it runs in the worker as
-- the table's owner, and its error stops that table only.
SET ROLE regress_walsec_a;
CREATE FUNCTION ws_check(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('application_name') = 'dataeng wal capture' THEN
    RAISE EXCEPTION 'checked in the worker as % with search_path %', current_user,
      current_setting('search_path');
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN ws_dom AS int CHECK (ws_check(VALUE));
CREATE TABLE ws_arr (id int PRIMARY KEY, a ws_dom[]);
SELECT dataeng.cdc_enable('ws_arr', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
INSERT INTO ws_arr VALUES (1, '{1,2}');
INSERT INTO ws_other VALUES (3, 'after the domain');
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name IN ('ws_arr'::regclass, 'ws_other'::regclass) AND change_id >
       (SELECT max(change_id) FROM dataeng.changes WHERE new_row->>'v' = 'after')
 ORDER BY change_id;
SELECT table_name,
       regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'ws_arr'::regclass;
-- the owner's code in the worker is bounded in time: a check that takes
-- too long stops its table
SET ROLE regress_walsec_a;
CREATE FUNCTION ws_slow_check(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('application_name') = 'dataeng wal capture' THEN
    PERFORM pg_catalog.pg_sleep(3600);
  END IF;
  RETURN true;
END $$;
CREATE DOMAIN ws_slow AS int CHECK (ws_slow_check(VALUE));
CREATE TABLE ws_slow_arr (id int PRIMARY KEY, a ws_slow[]);
SELECT dataeng.cdc_enable('ws_slow_arr', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
INSERT INTO ws_slow_arr VALUES (1, '{1}');
SELECT dataeng.cdc_wal_sync();
SELECT table_name,
       regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'ws_slow_arr'::regclass;

-- 3. A handler that never returns runs out of time (a failure: dead
-- letter); capture and the other handlers go on.
CREATE TABLE ws_seen (trigger_name text, ids text);
GRANT INSERT ON ws_seen TO regress_walsec_a, regress_walsec_b;
GRANT SELECT ON ws_other TO regress_walsec_a, regress_walsec_b;
SET ROLE regress_walsec_a;
CREATE FUNCTION ws_forever(changes dataeng.change[]) RETURNS void LANGUAGE sql AS
  'SELECT pg_catalog.pg_sleep(3600)';
CREATE FUNCTION ws_record(changes dataeng.change[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO public.ws_seen SELECT 'record', string_agg(c.pk->>'id', ',') FROM unnest(changes) c
$$;
SELECT dataeng.on_change('ws_forever', 'ws_other', 'ws_forever(dataeng.change[])');
SELECT dataeng.on_change('ws_record', 'ws_other', 'ws_record(dataeng.change[])');
RESET ROLE;
INSERT INTO ws_other VALUES (4, 'handled');
SELECT dataeng.cdc_wal_sync();
SELECT * FROM ws_seen;
SELECT trigger_name, error, sqlstate, attempts, changes[1].pk
  FROM dataeng.dead_letters ORDER BY id;

-- 4. A cancel of the worker while a handler runs is not the handler's
-- failure: the round ends, and after the worker's restart the batch is
-- handled again (no dead letter).
ALTER SYSTEM SET dataeng.on_change_timeout = '60s';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.on_change_drop('ws_forever');
CREATE TABLE ws_gate (open boolean);
GRANT SELECT ON ws_gate TO regress_walsec_a;
INSERT INTO ws_gate VALUES (false);
SET ROLE regress_walsec_a;
CREATE FUNCTION ws_gated(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  WHILE NOT (SELECT g.open FROM public.ws_gate g) LOOP
    PERFORM pg_catalog.pg_sleep(0.05);
  END LOOP;
  INSERT INTO public.ws_seen SELECT 'gated', string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('ws_gated', 'ws_other', 'ws_gated(dataeng.change[])', '{I}');
RESET ROLE;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
INSERT INTO ws_other VALUES (5, 'cancelled once');
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '120 s';
BEGIN
  -- the worker is in the handler (pg_stat_activity read anew each time:
  -- a transaction reads it once)
  WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.backend_type = 'dataeng wal capture'
                     AND a.wait_event = 'PgSleep') AND clock_timestamp() < deadline LOOP
    PERFORM pg_sleep(0.05);
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
END $$;
SELECT count(pg_cancel_backend(a.pid)) AS cancelled FROM pg_stat_activity a
 WHERE a.backend_type = 'dataeng wal capture' AND a.datname = current_database();
UPDATE ws_gate SET open = true;
SELECT dataeng.cdc_wal_sync('60 s');
SELECT * FROM ws_seen ORDER BY trigger_name, ids;
SELECT trigger_name, sqlstate FROM dataeng.dead_letters ORDER BY id;

-- 5. A role's share of on_change triggers
SET dataeng.max_on_change_per_role = 2;
SET ROLE regress_walsec_a;
SELECT dataeng.on_change('ws_third', 'ws_other', 'ws_record(dataeng.change[])');
-- a role's limit: configuration_limit_exceeded, as every role's limit
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
RESET ROLE;
RESET dataeng.max_on_change_per_role;

-- 6. The publication must be the extension's and publish everything:
-- while it is not, capture stops (and goes on, nothing lost, after).
ALTER PUBLICATION dataeng_wal OWNER TO regress_walsec_b;
-- (a round that began before the ALTER may still apply; the worker's
-- rounds after it stop: the sync times out, then the insert waits)
SELECT dataeng.cdc_wal_sync('3 s') AS synced;
INSERT INTO ws_other VALUES (6, 'while squatted');
SELECT dataeng.cdc_wal_sync('3 s') AS synced;
SELECT count(*) AS captured FROM dataeng.changes WHERE new_row->>'v' = 'while squatted';
ALTER PUBLICATION dataeng_wal OWNER TO CURRENT_USER;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT count(*) AS captured FROM dataeng.changes WHERE new_row->>'v' = 'while squatted';
ALTER PUBLICATION dataeng_wal SET (publish = 'insert');
SELECT dataeng.cdc_wal_sync('3 s') AS synced;
INSERT INTO ws_other VALUES (7, 'while insert only');
SELECT dataeng.cdc_wal_sync('3 s') AS synced;
SELECT count(*) AS captured FROM dataeng.changes WHERE new_row->>'v' = 'while insert only';
ALTER PUBLICATION dataeng_wal SET (publish = 'insert, update, delete, truncate');
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT count(*) AS captured FROM dataeng.changes WHERE new_row->>'v' = 'while insert only';

-- 7. Dead letters are listed only while their owner may read the table
SET ROLE regress_walsec_a;
SELECT count(*) AS dead_letters FROM dataeng.on_change_dead_letters;
RESET ROLE;
REVOKE SELECT ON ws_other FROM regress_walsec_a;
SET ROLE regress_walsec_a;
SELECT count(*) AS dead_letters FROM dataeng.on_change_dead_letters;
RESET ROLE;

-- clean up
ALTER SYSTEM RESET dataeng.on_change_retries;
ALTER SYSTEM RESET dataeng.on_change_timeout;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP TABLE ws_other, m5, ws_arr, ws_slow_arr, ws_seen, ws_gate;
-- (the handlers went with the extension: their argument is its type)
DROP DOMAIN ws_dom, ws_slow;
DROP FUNCTION ws_check, ws_slow_check;
REVOKE CREATE ON SCHEMA public FROM regress_walsec_a, regress_walsec_b;
DROP ROLE regress_walsec_a, regress_walsec_b;
