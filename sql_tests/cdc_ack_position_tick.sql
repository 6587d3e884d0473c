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
-- A row of an initial snapshot is at (tick, 0, n), n from 1, the tick
-- the snapshot was taken at.  (tick, 0, -k) was read as change k, and
-- acknowledged it though no poll returned it at that place; a consumer
-- without a snapshot has no such position.
INSERT INTO apt VALUES (3);
CREATE TEMP TABLE polled2 AS SELECT change_id, position FROM dataeng.cdc_poll('apt_c');
SELECT dataeng.cdc_ack('apt_c', ROW((p.position).tick_id, 0, -p.change_id)::dataeng.cdc_position)
  FROM polled2 p;
SELECT dataeng.cdc_ack('apt_c', ROW((p.position).tick_id, 0, p.change_id)::dataeng.cdc_position)
  FROM polled2 p;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'apt_c';
CREATE TABLE apt_s (id int PRIMARY KEY);
INSERT INTO apt_s VALUES (1), (2);
SELECT dataeng.cdc_enable('apt_s') IS NOT NULL AS enabled;
SELECT dataeng.cdc_consumer_create('apt_sc', ARRAY['apt_s'::regclass], snapshot => true);
CREATE TEMP TABLE polled3 AS SELECT change_id, position FROM dataeng.cdc_poll('apt_sc');
SELECT change_id, (position).ord_txn, (position).change_id AS n FROM polled3 ORDER BY position;
SELECT dataeng.cdc_ack('apt_sc', ROW((p.position).tick_id, 0, 0)::dataeng.cdc_position)
  FROM polled3 p ORDER BY position LIMIT 1;
SELECT dataeng.cdc_ack('apt_sc', ROW((p.position).tick_id + 1, 0, 1)::dataeng.cdc_position)
  FROM polled3 p ORDER BY position LIMIT 1;
SELECT acked_change_id IS NULL AS nothing_acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'apt_sc';
SELECT dataeng.cdc_ack('apt_sc', position) FROM polled3 ORDER BY position LIMIT 1;
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'apt_sc';
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
