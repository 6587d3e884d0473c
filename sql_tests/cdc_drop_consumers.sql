-- A captured table dropped while consumers had changes of it to read:
-- they still get them.  The rights on a table go with it, so just before
-- the DROP dataeng records which owners of the consumers reading it could
-- read it whole then (dataeng_internal.cdc_dropped_readers); after it, the
-- consumers of those roles get the changes captured before the DROP, by
-- trigger or from the WAL, a consumer listing the table and one of all
-- tables alike.  Before, the consumer listing the table failed with 42P01
-- (it had to be dropped, losing every change it had not read), and one of
-- all tables silently skipped them.  A role that could not read the table
-- at the DROP (the REVOKE before it stands) gets none of them.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE regress_dc_reader;
CREATE ROLE regress_dc_revoked;
CREATE ROLE regress_dc_none;
CREATE TABLE dc_trg (id int PRIMARY KEY, v text);
CREATE TABLE dc_wal (id int PRIMARY KEY, v numeric);
CREATE TABLE dc_kept (id int PRIMARY KEY);
GRANT SELECT ON dc_trg, dc_wal, dc_kept TO regress_dc_reader, regress_dc_revoked;
SELECT dataeng.cdc_enable('dc_trg');
SELECT dataeng.cdc_enable('dc_wal', method => 'wal');
SELECT dataeng.cdc_enable('dc_kept');
SELECT dataeng.cdc_wal_sync();
SET ROLE regress_dc_reader;
SELECT dataeng.cdc_consumer_create('dc_list', '{dc_trg,dc_wal,dc_kept}');
SELECT dataeng.cdc_consumer_create('dc_all');
RESET ROLE;
SET ROLE regress_dc_revoked;
SELECT dataeng.cdc_consumer_create('dc_revoked');
RESET ROLE;
SET ROLE regress_dc_none;
SELECT dataeng.cdc_consumer_create('dc_none');
RESET ROLE;
RESET client_min_messages;
SELECT 'dc_trg'::regclass::oid AS trg_oid, 'dc_wal'::regclass::oid AS wal_oid \gset

INSERT INTO dc_trg VALUES (1, 'a'), (2, 'b');
UPDATE dc_trg SET v = 'c' WHERE id = 1;
INSERT INTO dc_wal VALUES (1, 1.5);
DELETE FROM dc_wal WHERE id = 1;
INSERT INTO dc_kept VALUES (1);
SELECT dataeng.cdc_wal_sync();
REVOKE SELECT ON dc_trg, dc_wal FROM regress_dc_revoked;
-- (a DROP that fails records nothing)
BEGIN;
SET LOCAL ROLE regress_dc_none;
DROP TABLE dc_trg;
ROLLBACK;
SELECT count(*) AS recorded FROM dataeng_internal.cdc_dropped_readers;
SET client_min_messages = warning;
DROP TABLE dc_trg, dc_wal;
RESET client_min_messages;
SELECT table_oid = :trg_oid AS trg, reader::regrole, table_ident
  FROM dataeng_internal.cdc_dropped_readers ORDER BY 1, 2;

-- the consumer listing the tables gets their changes, in order, and acks them
SET ROLE regress_dc_reader;
BEGIN;
SELECT CASE table_name::oid WHEN :trg_oid THEN 'dc_trg' WHEN :wal_oid THEN 'dc_wal' ELSE table_name::text END AS tbl,
       op, pk, new_row
  FROM dataeng.cdc_poll('dc_list');
SELECT dataeng.cdc_ack('dc_list');
COMMIT;
SELECT count(*) AS left_after_ack FROM dataeng.cdc_poll('dc_list');
-- the consumer of all tables too
BEGIN;
SELECT CASE table_name::oid WHEN :trg_oid THEN 'dc_trg' WHEN :wal_oid THEN 'dc_wal' ELSE table_name::text END AS tbl,
       op, pk
  FROM dataeng.cdc_poll('dc_all');
SELECT dataeng.cdc_ack('dc_all');
COMMIT;
SELECT name, pending_changes FROM dataeng.cdc_consumers WHERE name IN ('dc_list', 'dc_all') ORDER BY name;
RESET ROLE;
-- a role whose SELECT was revoked before the DROP, and one that never had it
SET ROLE regress_dc_revoked;
SELECT table_name, op, pk FROM dataeng.cdc_poll('dc_revoked');
RESET ROLE;
SET ROLE regress_dc_none;
SELECT table_name, op, pk FROM dataeng.cdc_poll('dc_none');
RESET ROLE;

SET client_min_messages = warning;
SELECT dataeng.cdc_consumer_drop(c) FROM unnest('{dc_list,dc_all,dc_revoked,dc_none}'::text[]) c;
DROP TABLE dc_kept;
DROP ROLE regress_dc_reader;
DROP ROLE regress_dc_revoked;
DROP ROLE regress_dc_none;
DROP EXTENSION dataeng CASCADE;
