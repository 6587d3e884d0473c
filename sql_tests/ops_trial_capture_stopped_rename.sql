-- The capture_stopped alert of a table renamed while its capture from the
-- WAL stays stopped: the alert stays open, one, taking the new name.  Its
-- condition was the table's name: alert_check() after the rename resolved
-- it (a "resolved" sent to handlers and listeners while capture was still
-- stopped) and raised a new one.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE cr_t (id int PRIMARY KEY, v text);
CREATE SCHEMA cr_s;
SELECT dataeng.cdc_enable('cr_t', method => 'wal');
SELECT dataeng.cdc_wal_sync();
CREATE TABLE cr_sent (event text, kind text, object text);
CREATE FUNCTION cr_pager(alert jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.cr_sent VALUES (alert->>'event', alert->>'kind', alert->>'object') $$;
SELECT dataeng.alert_handler_add('cr_pager(jsonb)', kinds => '{capture_stopped}');
-- a change written in the transaction that changes its column's type:
-- decoded after it, it cannot be, and the table stops
SET client_min_messages = error;
BEGIN;
INSERT INTO cr_t VALUES (1, 'a');
ALTER TABLE cr_t ALTER COLUMN v TYPE varchar;
COMMIT;
SET client_min_messages = warning;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT alert_id, kind, object, resolved_at IS NULL AS open FROM dataeng.alerts ORDER BY alert_id;
ALTER TABLE cr_t RENAME TO cr_t2;
SELECT dataeng.maintain()->'alerts_raised' AS raised, dataeng.maintain()->'alerts_resolved' AS resolved;
ALTER TABLE cr_t2 SET SCHEMA cr_s;
SELECT dataeng.maintain()->'alerts_raised' AS raised, dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT alert_id, kind, object, resolved_at IS NULL AS open, seen_count,
       message LIKE 'captured table cr_s.cr_t2: %' AS message_new_name
  FROM dataeng.alerts ORDER BY alert_id;
SELECT kind, object FROM dataeng.alerts_open;
SELECT * FROM cr_sent;
-- enabled again: resolved, once
SELECT dataeng.cdc_enable('cr_s.cr_t2', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT * FROM cr_sent;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE cr_s.cr_t2, cr_sent;
DROP SCHEMA cr_s;
DROP FUNCTION cr_pager(jsonb);
