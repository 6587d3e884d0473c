-- CDC from the WAL: a TRUNCATE naming a partition of a partitioned table
-- captured from the WAL, and not the table, is refused (0A000): pgoutput
-- leaves the truncation of a partition alone out, so the change log would
-- keep its rows.  TRUNCATE of the table itself, of a partition under a
-- table captured by its trigger, or of a table and its partition together
-- go on as usual.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE TABLE tw (id int, region text, amount numeric, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE tw_r1 PARTITION OF tw FOR VALUES IN ('r1');
CREATE TABLE tw_r2 PARTITION OF tw FOR VALUES IN ('r2', 'r3') PARTITION BY LIST (region);
CREATE TABLE tw_r3 PARTITION OF tw_r2 FOR VALUES IN ('r3');
INSERT INTO tw VALUES (1, 'r1', 10), (2, 'r3', 20);
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('tw', method => 'wal');
RESET client_min_messages;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.cdc_consumer_create('tw_c', '{tw}');
INSERT INTO tw VALUES (3, 'r1', 30);

-- a partition alone, a sub-partition, ONLY: refused, nothing truncated
TRUNCATE tw_r1;
TRUNCATE tw_r3;
TRUNCATE ONLY tw_r1;
TRUNCATE tw_r2;
DO $$
BEGIN
  TRUNCATE tw_r1;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END $$;
SELECT count(*) AS rows_kept FROM tw;

-- the consumer receives the changes made, in order
SELECT dataeng.cdc_wal_sync();
BEGIN;
SELECT op, new_row ->> 'id' AS id FROM dataeng.cdc_poll('tw_c') ORDER BY change_id;
SELECT dataeng.cdc_ack('tw_c');
COMMIT;

-- the table with its partition: published as the table's truncation
TRUNCATE tw, tw_r1;
SELECT count(*) AS rows_left FROM tw;
SELECT dataeng.cdc_wal_sync();
BEGIN;
SELECT op FROM dataeng.cdc_poll('tw_c') ORDER BY change_id;
SELECT dataeng.cdc_ack('tw_c');
COMMIT;

-- under trigger capture a partition's TRUNCATE is recorded: allowed
INSERT INTO tw VALUES (4, 'r1', 40), (5, 'r3', 50);
SELECT dataeng.cdc_enable('tw', method => 'trigger');
SELECT dataeng.cdc_wal_sync();
TRUNCATE tw_r1;
SELECT count(*) AS rows_after_trigger_truncate FROM tw;

-- a table not captured at all: untouched by the check
CREATE TABLE other (id int, r text) PARTITION BY LIST (r);
CREATE TABLE other_a PARTITION OF other FOR VALUES IN ('a');
INSERT INTO other VALUES (1, 'a');
TRUNCATE other_a;
SELECT count(*) AS other_rows FROM other;

-- clean up
SELECT dataeng.cdc_wal_sync();
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE tw, other;
