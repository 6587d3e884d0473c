-- Acknowledging the same change again does nothing (docs/cdc.md), also
-- once cdc_purge() has removed it from the change log: a client that
-- retries an acknowledgement whose commit it did not hear of got 22023
-- "change N does not exist" when a purge came in between.
CREATE EXTENSION dataeng;
CREATE TABLE arp_t (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('arp_t');
SELECT dataeng.cdc_consumer_create('arp_c', ARRAY['arp_t'::regclass]);
INSERT INTO arp_t VALUES (1, 'a'), (2, 'b');
SELECT max(change_id) AS last FROM dataeng.cdc_poll('arp_c') \gset
SELECT dataeng.cdc_ack('arp_c', :last);
-- again, the change still in the log
SELECT dataeng.cdc_ack('arp_c', :last);
SELECT purged_changes > 0 AS purged FROM dataeng.cdc_purge() WHERE purged_changes > 0;
SELECT count(*) AS left_in_log FROM dataeng.changes WHERE change_id <= :last;
-- again, the change purged: nothing to do, no error
SELECT dataeng.cdc_ack('arp_c', :last);
SELECT acked_change_id = :last AS same_position, pending_changes FROM dataeng.cdc_consumers WHERE name = 'arp_c';
-- an earlier change, or one that never was, is still refused
CREATE FUNCTION arp_try(q text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
  RETURN SQLSTATE;
END $$;
SELECT arp_try(format('SELECT dataeng.cdc_ack(%L, %s)', 'arp_c', :last - 1)) AS earlier,
       arp_try(format('SELECT dataeng.cdc_ack(%L, %s)', 'arp_c', :last + 1000)) AS never;
-- and the consumer goes on
INSERT INTO arp_t VALUES (3, 'c');
BEGIN;
SELECT op, new_row FROM dataeng.cdc_poll('arp_c');
SELECT dataeng.cdc_ack('arp_c');
COMMIT;
SELECT pending_changes FROM dataeng.cdc_consumers WHERE name = 'arp_c';

SELECT dataeng.cdc_consumer_drop('arp_c');
DROP TABLE arp_t;
DROP FUNCTION arp_try(text);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
