-- dataeng.pipeline_status of an on_change trigger whose table's capture
-- from the WAL the worker stopped (a change it could not decode): the
-- table's row was failing, but the trigger's said ok, "handles the changes
-- of public.oc_clicks", while its handler got none of the changes
-- committed from then on, nor after cdc_enable() those committed
-- meanwhile.  It is failing, saying so, since the stop; its alert is the
-- table's capture_stopped (as for a consumer reading the table).
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE oc_clicks (id int PRIMARY KEY, session text, url text);
CREATE TABLE oc_seen (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('oc_clicks', method => 'wal');
CREATE FUNCTION oc_handle(changes dataeng.change[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO public.oc_seen SELECT (c.new_row->>'id')::int FROM unnest(changes) c
$$;
SELECT dataeng.on_change('oc_trig', 'oc_clicks', 'oc_handle(dataeng.change[])', '{I}');
SELECT dataeng.cdc_wal_sync();
INSERT INTO oc_clicks VALUES (1, 's1', '/');
SELECT dataeng.cdc_wal_sync();
SELECT kind, name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';

-- a change written in the transaction that changes its column's type:
-- decoded after it, it cannot be, and the table stops
BEGIN;
INSERT INTO oc_clicks VALUES (2, 's2', '/a');
ALTER TABLE oc_clicks ALTER COLUMN url TYPE varchar;
COMMIT;
INSERT INTO oc_clicks VALUES (3, 's3', '/b');
SELECT dataeng.cdc_wal_sync();
SELECT id FROM oc_seen ORDER BY id;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state,
       CASE kind WHEN 'on_change'
            THEN regexp_replace(reason, '(stopped it at|last handled) [0-9: -]+UTC', '\1 ...', 'g') END AS reason,
       last_error IS NOT DISTINCT FROM (SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'oc_clicks'::regclass)
         AS last_error_is_capture_error,
       since = (SELECT capture_stopped_at FROM dataeng.cdc_status WHERE table_name = 'oc_clicks'::regclass) AS since_stopped
  FROM dataeng.pipeline_status WHERE kind IN ('on_change', 'captured table') ORDER BY kind;
-- the alert is the table's, one
SELECT kind, object FROM dataeng.alerts_open ORDER BY kind, object;
-- drawn failing in the lineage
SELECT dataeng.lineage_dot() ~ '"on_change:oc_trig" \[[^]]*fillcolor="#f4a6a6"' AS drawn_failing;

-- enabled again: ok, and the changes committed meanwhile never reached it
SELECT dataeng.cdc_enable('oc_clicks', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO oc_clicks VALUES (4, 's4', '/c');
SELECT dataeng.cdc_wal_sync();
SELECT id FROM oc_seen ORDER BY id;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state FROM dataeng.pipeline_status WHERE kind IN ('on_change', 'captured table') ORDER BY kind;
SELECT kind, object FROM dataeng.alerts_open ORDER BY kind, object;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE oc_clicks, oc_seen;
