-- The WAL capture worker asks pgoutput for logical messages, for the one a
-- DROP writes after its transaction wrote the table dropped
-- (CDC_WAL_DROP_PREFIX, src/cdc/ddl.c).  Any role may write logical
-- messages (pg_logical_emit_message), of any prefix, up to 1 GB, in a
-- transaction or outside one: each was copied to the worker's store, and a
-- transaction with such a message and no change made the worker record a
-- transaction of its own.  Only the DROP's message, without its content,
-- goes to the worker now (src/cdc/wal_decode.c, wal_message_cb).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE swm_role;
CREATE SCHEMA swm AUTHORIZATION swm_role;
SET ROLE swm_role;
CREATE TABLE swm.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('swm.t', method => 'wal') IS NOT NULL AS enabled;
INSERT INTO swm.t VALUES (1);
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
CREATE TEMP TABLE swm_before AS
  SELECT (SELECT last_commit_lsn FROM dataeng_internal.cdc_wal_state) AS lsn;

-- messages of a plain role, of another prefix, in transactions of their
-- own and outside one: the worker records nothing for them
SET ROLE swm_role;
SELECT pg_logical_emit_message(true, 'swm', repeat('x', 100000)) IS NOT NULL AS emitted;
SELECT pg_logical_emit_message(false, 'swm', repeat('x', 100000)) IS NOT NULL AS emitted;
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT (SELECT last_commit_lsn FROM dataeng_internal.cdc_wal_state) IS NOT DISTINCT FROM b.lsn
         AS no_transaction_recorded
  FROM swm_before b;

-- the table's changes are captured as before
SET ROLE swm_role;
INSERT INTO swm.t VALUES (2);
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT (new_row->>'id')::int AS id FROM dataeng.changes
 WHERE table_name = 'swm.t'::regclass ORDER BY change_id;

SET client_min_messages = warning;
DROP TABLE swm.t, swm_before;
DROP SCHEMA swm;
DROP ROLE swm_role;
DROP EXTENSION dataeng CASCADE;
