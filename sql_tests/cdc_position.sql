-- CDC: cdc_poll() says where each change is in delivery order (position),
-- which is commit order and not change_id order; cdc_ack(consumer)
-- acknowledges what the transaction's last poll delivered.
CREATE EXTENSION dataeng;
CREATE EXTENSION dblink;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE p_src (id int PRIMARY KEY);
CREATE TABLE p_other (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('p_src');
SELECT dataeng.cdc_enable('p_other');
SELECT dataeng.cdc_consumer_create('p_pos');
SELECT dataeng.cdc_consumer_create('p_byid');
SELECT dataeng.cdc_consumer_create('p_all');
SELECT dataeng.cdc_consumer_create('p_cut');

-- A transaction takes change_id first and commits last: a tick is cut
-- while it runs (the poll of p_cut), so its change comes in a later batch
-- than the changes after it.
SELECT dblink_connect('late', format('host=%s port=%s dbname=%s',
                                     split_part(current_setting('unix_socket_directories'), ',', 1),
                                     current_setting('port'), current_database()));
SELECT dblink_exec('late', 'BEGIN');
SELECT dblink_exec('late', 'INSERT INTO p_src VALUES (1)');
INSERT INTO p_src VALUES (2);
INSERT INTO p_src VALUES (3);
SELECT count(*) AS cut FROM dataeng.cdc_poll('p_cut');
SELECT dblink_exec('late', 'COMMIT');

-- delivered 2, 3, then 1; position says so, change_id does not
CREATE TEMP TABLE seen AS SELECT * FROM dataeng.cdc_poll('p_pos');
SELECT string_agg(new_row->>'id', ',' ORDER BY position) AS by_position,
       string_agg(new_row->>'id', ',' ORDER BY change_id) AS by_change_id,
       bool_and((position).change_id = change_id) AS position_names_the_change
  FROM seen;
-- the positions of one poll are strictly increasing in delivery order
SELECT count(*) = count(DISTINCT position) AS distinct_positions,
       (SELECT array_agg(new_row->>'id') FROM dataeng.cdc_poll('p_pos'))
         = (SELECT array_agg(new_row->>'id' ORDER BY position) FROM seen) AS poll_order_is_position_order
  FROM seen;

-- the exactly-once pattern of docs/cdc.md: acknowledge the change of the
-- last position
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS SELECT * FROM dataeng.cdc_poll('p_pos');
SELECT dataeng.cdc_ack('p_pos', change_id) FROM batch ORDER BY position DESC LIMIT 1;
COMMIT;
SELECT count(*) AS delivered_again FROM dataeng.cdc_poll('p_pos');
SELECT acked_change_id = (SELECT change_id FROM seen WHERE new_row->>'id' = '1') AS acked_the_last
  FROM dataeng.cdc_consumers WHERE name = 'p_pos';

-- what the largest change_id acknowledges: only the batch it is in; the
-- change delivered after it comes again (why position exists)
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS SELECT * FROM dataeng.cdc_poll('p_byid');
SELECT dataeng.cdc_ack('p_byid', change_id) FROM batch ORDER BY change_id DESC LIMIT 1;
COMMIT;
SELECT string_agg(new_row->>'id', ',') AS delivered_again FROM dataeng.cdc_poll('p_byid');

-- cdc_ack(consumer): everything the last poll of this transaction delivered
INSERT INTO p_other VALUES (10);
BEGIN;
SELECT string_agg(new_row->>'id', ',' ORDER BY position) AS got FROM dataeng.cdc_poll('p_all');
SELECT dataeng.cdc_ack('p_all');
SELECT dataeng.cdc_ack('p_all');          -- again: nothing more
COMMIT;
SELECT count(*) AS delivered_again FROM dataeng.cdc_poll('p_all');

-- ... only what this transaction's last poll delivered: a poll of 4
-- changes committed unacknowledged, then a poll of 1 and cdc_ack(consumer)
-- acknowledge 1 change
INSERT INTO p_src SELECT generate_series(20, 24);
SELECT count(*) AS first_poll FROM dataeng.cdc_poll('p_all', 4, false);
BEGIN;
SELECT string_agg(new_row->>'id', ',') AS second_poll FROM dataeng.cdc_poll('p_all', 1, false);
SELECT dataeng.cdc_ack('p_all');
COMMIT;
SELECT string_agg(new_row->>'id', ',' ORDER BY position) AS left_over FROM dataeng.cdc_poll('p_all');

-- a poll that delivers nothing: acknowledging it does nothing
BEGIN;
SELECT dataeng.cdc_ack('p_all', change_id) FROM dataeng.cdc_poll('p_all') ORDER BY position DESC LIMIT 1;
SELECT count(*) AS nothing FROM dataeng.cdc_poll('p_all');
SELECT dataeng.cdc_ack('p_all');
COMMIT;

-- errors, which change nothing
-- not polled in this transaction
SELECT dataeng.cdc_ack('p_all');
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('p_pos');
SELECT dataeng.cdc_ack('p_all');
ROLLBACK;
-- the old form still takes a NULL position (nothing to acknowledge)
SELECT dataeng.cdc_ack('p_all', NULL::bigint);
-- a consumer of p_src alone: cdc_ack(consumer) acknowledges its last
-- change (another table's transaction between is passed over)
SELECT dataeng.cdc_consumer_create('p_only', ARRAY['p_src'::regclass]);
INSERT INTO p_src VALUES (30);
INSERT INTO p_other VALUES (11);
INSERT INTO p_src VALUES (31);
BEGIN;
SELECT string_agg(new_row->>'id', ',' ORDER BY position) AS only_got FROM dataeng.cdc_poll('p_only');
SELECT dataeng.cdc_ack('p_only');
COMMIT;
SELECT count(*) AS only_again FROM dataeng.cdc_poll('p_only');
SELECT acked_change_id = (SELECT max(change_id) FROM dataeng.changes WHERE new_row->>'id' = '31') AS acked_31
  FROM dataeng.cdc_consumers WHERE name = 'p_only';
-- after a rolled-back poll, the transaction has not polled
BEGIN;
SAVEPOINT s;
SELECT count(*) FROM dataeng.cdc_poll('p_pos');
ROLLBACK TO SAVEPOINT s;
SELECT dataeng.cdc_ack('p_pos');
ROLLBACK;

SELECT dblink_disconnect('late');
DROP EXTENSION dblink;
DROP TABLE seen;
DROP TABLE p_src, p_other;
DROP EXTENSION dataeng CASCADE;
