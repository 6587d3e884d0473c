-- cdc_ack(consumer, position) refuses a position cdc_poll() did not
-- return also when its tick names no batch (one purged, or none cut yet):
-- such a position was read as its change_id alone, and acknowledged a
-- change delivered at another place.
CREATE EXTENSION dataeng;
\set VERBOSITY default
CREATE TABLE apt (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('apt', method => 'trigger') IS NOT NULL AS enabled;
SELECT dataeng.cdc_consumer_create('apt_c', ARRAY['apt'::regclass]);
INSERT INTO apt VALUES (1);
INSERT INTO apt VALUES (2);
CREATE TEMP TABLE polled AS SELECT change_id, position FROM dataeng.cdc_poll('apt_c');
SELECT count(*) AS polled FROM polled;
-- the first change, at a tick before any batch and one after all of them
SELECT dataeng.cdc_ack('apt_c', ROW(0, (p.position).ord_txn, p.change_id)::dataeng.cdc_position)
  FROM polled p ORDER BY position LIMIT 1;
SELECT dataeng.cdc_ack('apt_c', ROW((p.position).tick_id + 1000, (p.position).ord_txn, p.change_id)::dataeng.cdc_position)
  FROM polled p ORDER BY position LIMIT 1;
SELECT acked_change_id IS NULL AS nothing_acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'apt_c';
-- the position as returned works, and again does nothing
SELECT dataeng.cdc_ack('apt_c', position) FROM polled ORDER BY position LIMIT 1;
SELECT dataeng.cdc_ack('apt_c', position) FROM polled ORDER BY position LIMIT 1;
SELECT acked_change_id = (SELECT min(change_id) FROM polled) AS first_acked, pending_changes
  FROM dataeng.cdc_consumers WHERE name = 'apt_c';
-- the acknowledged change at another place is refused too
SELECT dataeng.cdc_ack('apt_c', ROW(0, (p.position).ord_txn, p.change_id)::dataeng.cdc_position)
  FROM polled p ORDER BY position LIMIT 1;
SELECT dataeng.cdc_ack('apt_c', position) FROM polled ORDER BY position DESC LIMIT 1;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'apt_c';
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
