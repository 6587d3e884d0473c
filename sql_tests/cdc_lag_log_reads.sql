-- The lag of consumers (dataeng.facts, dataeng.cdc_consumers) reads the
-- change log only through its index on (xid, change_id), whatever its
-- statistics say.  A log holding a large transaction of another table
-- (analyzed: a transaction's changes then look like a third of a
-- segment) made the planner scan whole segments of the log to count a
-- consumer's few pending changes, and, for the rest of the batch a
-- consumer acknowledged, the whole log until the first change of its
-- tables: reading dataeng.facts took 0.1 to 0.8 s over 1.5 million
-- changes of other tables with one change pending.  The segments' scans
-- are counted here (pg_stat_all_tables.seq_scan): none now; the lag
-- itself as before.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE llr_other (id bigint PRIMARY KEY, v int);
SELECT dataeng.cdc_enable('llr_other');
INSERT INTO llr_other SELECT g, g FROM generate_series(1, 5000) g;
CREATE TABLE llr_src (id bigint PRIMARY KEY, at timestamptz NOT NULL, d int, a int);
SELECT dataeng.fact_create('llr_f', 'llr_src', 'at', 'day', ARRAY['d'], ARRAY['count(*)', 'sum(a)'], schedule => NULL);
SELECT dataeng.cdc_consumer_create('llr_mid', '{llr_src}');
SELECT dataeng.cdc_consumer_create('llr_all');
INSERT INTO llr_src SELECT g, '2025-01-01'::timestamptz + g * interval '1 hour', g % 3, g FROM generate_series(1, 10) g;
INSERT INTO llr_src SELECT g, '2025-01-01'::timestamptz + g * interval '1 hour', g % 3, g FROM generate_series(11, 20) g;
SELECT dataeng.fact_refresh('llr_f');
-- llr_mid acknowledges 4 changes of the batch: it stops inside it
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('llr_mid', 4, whole_transactions => false);
SELECT dataeng.cdc_ack('llr_mid');
COMMIT;
-- one change in a batch not counted, one committed since the newest tick
INSERT INTO llr_src VALUES (1000, '2025-01-02', 1, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
INSERT INTO llr_src VALUES (1001, '2025-01-02', 1, 1);
ANALYZE dataeng_internal.change_log;
SELECT pg_stat_force_next_flush();
SELECT sum(seq_scan) AS scans_before FROM pg_stat_all_tables
 WHERE schemaname = 'dataeng_internal' AND relname LIKE 'change\_log\__' \gset
SELECT name, pending_changes FROM dataeng.facts;
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT sum(seq_scan) - :scans_before AS log_segments_scanned FROM pg_stat_all_tables
 WHERE schemaname = 'dataeng_internal' AND relname LIKE 'change\_log\__';

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE llr_other, llr_src;
