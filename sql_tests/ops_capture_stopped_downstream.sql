-- dataeng.pipeline_status of what reads a table whose capture from the
-- WAL the worker stopped (a change it could not decode): the table's row
-- was failing, but the facts, dimensions and consumers reading it said
-- "up to date with its source" and "0 changes pending" while the changes
-- from then on were missing from them.  They are failing, the reason
-- naming the table and the way back.  Also: the reason of a dimension
-- whose consumer expired named dataeng.dimension_rebuild(), which does
-- not exist.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE st_sales (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', amount int);
CREATE TABLE st_cust (id int PRIMARY KEY, name text);
CREATE TABLE st_fine (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('st_sales', method => 'wal');
SELECT dataeng.cdc_enable('st_cust', method => 'wal');
SELECT dataeng.cdc_enable('st_fine', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_create('st_f', 'st_sales', 'at', 'day', '{}', '{count(*) AS n, sum(amount) AS total}', NULL);
SELECT dataeng.dimension_create('st_d', 'st_cust', 'id', '{name}', schedule => NULL);
SELECT dataeng.cdc_consumer_create('st_c', '{st_sales}');
SELECT dataeng.cdc_consumer_create('st_fine_c', '{st_fine}');
SELECT dataeng.cdc_consumer_create('st_all');
-- a change written in the transaction that changes its column's type:
-- decoded after it, it cannot be, and the table stops
BEGIN;
INSERT INTO st_sales VALUES (1, DEFAULT, 5);
ALTER TABLE st_sales ALTER COLUMN amount TYPE bigint;
COMMIT;
BEGIN;
INSERT INTO st_cust VALUES (1, 'ann');
ALTER TABLE st_cust ALTER COLUMN name TYPE varchar;
COMMIT;
INSERT INTO st_sales VALUES (2, DEFAULT, 7);
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, CASE WHEN state <> 'ok' THEN reason END AS reason FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension', 'consumer') ORDER BY kind, name;
SELECT table_name, capture_error IS NOT NULL AS stopped FROM dataeng.cdc_status ORDER BY 1;
-- since when: cdc_status shows capture_stopped_at, pipeline_status's since
-- is that moment for the table and for what reads it (it was NULL for the
-- table, the last acknowledgement or refresh for the others), and the
-- capture_stopped alert says it (payload stopped_at)
SELECT table_name, capture_stopped_at IS NOT DISTINCT FROM
         (SELECT ct.capture_stopped_at FROM dataeng.cdc_tables ct WHERE ct.table_name = s.table_name)
         AND (capture_stopped_at IS NOT NULL) = (capture_error IS NOT NULL) AS stopped_at_shown
  FROM dataeng.cdc_status s ORDER BY 1;
SELECT p.kind, p.name,
       p.since = CASE p.name WHEN 'st_all' THEN (SELECT min(ct.capture_stopped_at) FROM dataeng.cdc_tables ct)
                             WHEN 'st_d' THEN (SELECT ct.capture_stopped_at FROM dataeng.cdc_tables ct WHERE ct.table_name = 'st_cust'::regclass)
                             ELSE (SELECT ct.capture_stopped_at FROM dataeng.cdc_tables ct WHERE ct.table_name = 'st_sales'::regclass) END
         AS since_stopped
  FROM dataeng.pipeline_status p
 WHERE p.name IN ('public.st_sales', 'st_f', 'st_d', 'st_c', 'st_all') ORDER BY 1, 2;
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT a.object, (a.payload->>'stopped_at')::timestamptz = ct.capture_stopped_at AS payload_stopped_at
  FROM dataeng.alerts_open a JOIN dataeng.cdc_tables ct ON ct.table_name = a.object::regclass
 WHERE a.kind = 'capture_stopped' ORDER BY 1;

-- enabled again and the fact rebuilt: ok again, and right
SELECT dataeng.cdc_enable('st_sales', method => 'wal');
SELECT dataeng.cdc_enable('st_cust', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_rebuild('st_f');
SELECT n, total FROM st_f;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension', 'consumer') ORDER BY kind, name;

-- a dimension whose consumer expired: the reason names what exists
SELECT dataeng.cdc_consumer_drop('st_c');
SELECT dataeng.cdc_consumer_drop('st_fine_c');
SELECT dataeng.cdc_consumer_drop('st_all');
SET dataeng.consumer_max_lag_changes = 1;
INSERT INTO st_cust VALUES (2, 'bob'), (3, 'cy');
SELECT dataeng.cdc_wal_sync();
SELECT count(*) > 0 AS purged_or_expired FROM dataeng.cdc_purge();
RESET dataeng.consumer_max_lag_changes;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, regexp_replace(reason, 'expired: .*; ', 'expired: ...; ') AS reason
  FROM dataeng.pipeline_status WHERE kind IN ('fact', 'dimension') ORDER BY kind, name;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE st_sales, st_cust, st_fine;
