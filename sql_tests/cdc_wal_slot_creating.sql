-- CDC from the WAL: the waits for the worker to record the changes
-- committed before them (a consumer's or a fact's creation, cdc_disable,
-- an option changed) right after the first cdc_enable(..., method =>
-- 'wal') of a database, while its new worker is still making its slot.
-- The slot's creation waits for the transactions running when it began;
-- a wait for the slot to confirm the WAL written so far, in such a
-- transaction, waited for it in turn, and failed with 40P01 (the worker
-- waits for this transaction) or after 30 s.  A slot still being made
-- owes nothing: the table is captured by its trigger until the worker's
-- first round switches it.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE sc (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', v int);
INSERT INTO sc VALUES (1, DEFAULT, 10);
-- (no slot in this database yet: this commit starts its worker, which
-- makes it)
SELECT count(*) AS slots FROM pg_replication_slots WHERE database = current_database();
SELECT dataeng.cdc_enable('sc', method => 'wal');
BEGIN;
SELECT pg_current_xact_id() IS NOT NULL AS has_xid;   -- (a transaction id, at once)
SELECT dataeng.fact_create('sc_f', 'sc', 'at', 'day', '{}', '{count(*) AS n, sum(v) AS total}', NULL);
SELECT dataeng.cdc_consumer_create('sc_c', '{sc}');
COMMIT;
INSERT INTO sc VALUES (2, DEFAULT, 20), (3, DEFAULT, 30);
SELECT dataeng.cdc_wal_sync();
SELECT active_method FROM dataeng.cdc_status WHERE table_name = 'sc'::regclass;
SELECT dataeng.fact_refresh('sc_f');
SELECT n, total FROM sc_f;
SELECT op, new_row ->> 'id' AS id FROM dataeng.cdc_poll('sc_c') ORDER BY position;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE sc;
