-- A consumer reading a table whose capture from the WAL the worker
-- stopped (a change it could not decode) got the other changes with no
-- word that this table's were missing from then on.  cdc_poll() and the
-- fact reader now warn (SQLSTATE 55000) naming the table, why and since
-- which commit, and the way back; a consumer of other tables is not
-- warned, nor anyone once capture runs again.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE gw_sales (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', amount int);
CREATE TABLE gw_fine (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('gw_sales', method => 'wal');
SELECT dataeng.cdc_enable('gw_fine', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_create('gw_f', 'gw_sales', 'at', 'day', '{}', '{count(*) AS n}', NULL);
SELECT dataeng.cdc_consumer_create('gw_c', '{gw_sales}');
SELECT dataeng.cdc_consumer_create('gw_fine_c', '{gw_fine}');
SELECT dataeng.cdc_consumer_create('gw_all');
-- nothing stopped: no warning
SELECT count(*) FROM dataeng.cdc_poll('gw_c');
-- a change written in the transaction that changes its column's type:
-- decoded after it, it cannot be, and the table stops
BEGIN;
INSERT INTO gw_sales VALUES (1, DEFAULT, 5);
ALTER TABLE gw_sales ALTER COLUMN amount TYPE bigint;
COMMIT;
INSERT INTO gw_sales VALUES (2, DEFAULT, 7);
INSERT INTO gw_fine VALUES (1);
SELECT dataeng.cdc_wal_sync();
-- (its detail names the commit's LSN, which varies: the message and
-- SQLSTATE alone here)
\set VERBOSITY sqlstate
SELECT count(*) FROM dataeng.cdc_poll('gw_c');
\set VERBOSITY terse
SELECT table_name, op FROM dataeng.cdc_poll('gw_all');
-- a consumer of a table still captured: no warning
SELECT table_name, op FROM dataeng.cdc_poll('gw_fine_c');
-- the fact reader warns too
SELECT dataeng.fact_refresh('gw_f') IS NOT NULL AS refreshed;
\set VERBOSITY default

-- enabled again: no warning any more
SELECT dataeng.cdc_enable('gw_sales', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO gw_sales VALUES (3, DEFAULT, 9);
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row->>'id' AS id FROM dataeng.cdc_poll('gw_c');
SELECT dataeng.fact_refresh('gw_f') IS NOT NULL AS refreshed;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE gw_sales, gw_fine;
