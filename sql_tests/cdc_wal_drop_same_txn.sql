-- A limit of WAL capture (docs/cdc.md, Limits): the changes a transaction
-- writes to a table captured from the WAL and then drops in the same
-- transaction are not captured.  The worker decodes them after the commit,
-- when the table's capture options (its row of dataeng.cdc_tables), its
-- key and the types of its columns are gone: it has nothing to turn
-- pgoutput's text values into records with.  The DROP warns at once,
-- while it can be rolled back.  What this pins: nothing of the dropped
-- table is recorded, the rest of that transaction (another captured
-- table's changes, before and after the DROP) is, and capture of the
-- other table goes on (no capture_error, later changes captured).
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE wst_drop (id int PRIMARY KEY, v text);
CREATE TABLE wst_kept (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('wst_drop', method => 'wal');
SELECT dataeng.cdc_enable('wst_kept', method => 'wal');
SELECT dataeng.cdc_consumer_create('wst_c');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'wst_drop'::regclass::oid AS drop_oid \gset

INSERT INTO wst_drop VALUES (1, 'before');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO wst_kept VALUES (1);
INSERT INTO wst_drop VALUES (2, 'same transaction');
UPDATE wst_drop SET v = 'updated' WHERE id = 1;
DROP TABLE wst_drop;
INSERT INTO wst_kept VALUES (2);
COMMIT;
INSERT INTO wst_kept VALUES (3);
SELECT dataeng.cdc_wal_sync();

-- the change committed before that transaction is there; the two of the
-- dropping transaction are not
SELECT op, pk, new_row FROM dataeng_internal.change_log
 WHERE table_oid = :drop_oid ORDER BY change_id;
BEGIN;
SELECT CASE WHEN table_name::oid = :drop_oid THEN 'wst_drop' ELSE table_name::text END AS tbl, op, pk
  FROM dataeng.cdc_poll('wst_c') ORDER BY position;
SELECT dataeng.cdc_ack('wst_c');
COMMIT;
SELECT table_name, capture_error FROM dataeng.cdc_status WHERE table_name = 'wst_kept'::regclass;

SET client_min_messages = warning;
SELECT dataeng.cdc_consumer_drop('wst_c');
DROP TABLE wst_kept;
DROP EXTENSION dataeng CASCADE;
