-- Acknowledging by position: the column position of cdc_poll() names the
-- change to acknowledge, so "the last row delivered" is written as the
-- docs write it (ORDER BY position DESC LIMIT 1) and acknowledged as is.
-- A position cdc_poll() did not return is refused, not read as its
-- change_id alone; the other errors are those of cdc_ack(consumer, change_id).
CREATE EXTENSION dataeng;
\set VERBOSITY default
\pset null '(null)'

CREATE TABLE tc_a (id int PRIMARY KEY, v text);
CREATE TABLE tc_b (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('tc_a'), dataeng.cdc_enable('tc_b');
SELECT dataeng.cdc_consumer_create('tc', '{tc_a,tc_b}');

-- a transaction takes change_ids 1-2 and commits after another took 3-4
-- and committed: the first comes last in delivery order
CREATE EXTENSION dblink;
SELECT dblink_connect('early', format('host=%s port=%s dbname=%s',
                                      split_part(current_setting('unix_socket_directories'), ',', 1),
                                      current_setting('port'), current_database()));
SELECT dblink_exec('early', 'BEGIN');
SELECT dblink_exec('early', 'INSERT INTO tc_a VALUES (1, ''early''), (2, ''early'')');
INSERT INTO tc_b VALUES (1, 'late'), (2, 'late');
SELECT count(*) AS cut FROM dataeng.cdc_poll('tc');
SELECT dblink_exec('early', 'COMMIT');
SELECT dblink_disconnect('early');
DROP EXTENSION dblink;
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS SELECT * FROM dataeng.cdc_poll('tc');
SELECT change_id, op, new_row->>'v' AS v, position FROM batch ORDER BY position;
-- the last row delivered is change 2, not change 4
SELECT change_id AS last_change FROM batch ORDER BY position DESC LIMIT 1;
SELECT dataeng.cdc_ack('tc', position) FROM batch ORDER BY position DESC LIMIT 1;
COMMIT;
SELECT count(*) AS redelivered FROM dataeng.cdc_poll('tc');
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'tc';

-- acknowledging the position of a row in the middle acknowledges up to it
INSERT INTO tc_a VALUES (3, 'x'), (4, 'y');
INSERT INTO tc_a VALUES (5, 'z');
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS SELECT * FROM dataeng.cdc_poll('tc');
SELECT change_id, position FROM batch ORDER BY position;
SELECT dataeng.cdc_ack('tc', position) FROM batch WHERE change_id = 5;
COMMIT;
SELECT change_id, new_row->>'v' AS v FROM dataeng.cdc_poll('tc') ORDER BY position;

-- misuse: a position with a change of another place, a made-up one, a
-- NULL field, an already acknowledged one, an unknown consumer
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS SELECT * FROM dataeng.cdc_poll('tc');
SELECT dataeng.cdc_ack('tc', ROW((position).tick_id, (position).ord_txn + 1, change_id)::dataeng.cdc_position)
  FROM batch ORDER BY position DESC LIMIT 1;
ROLLBACK;
SELECT dataeng.cdc_ack('tc', ROW(1, 1, 999)::dataeng.cdc_position);
SELECT dataeng.cdc_ack('tc', ROW(1, NULL, 1)::dataeng.cdc_position);
SELECT dataeng.cdc_ack('tc', ROW(2, 4, 3)::dataeng.cdc_position);
SELECT dataeng.cdc_ack('nobody', ROW(1, 1, 1)::dataeng.cdc_position);
-- an untyped NULL names neither form; a typed one acknowledges nothing
SELECT dataeng.cdc_ack('tc', NULL);
SELECT dataeng.cdc_ack('tc', NULL::dataeng.cdc_position);

-- the rows of an initial snapshot: position (tick, 0, n), change -n
SELECT dataeng.cdc_consumer_create('tc_snap', '{tc_b}', snapshot => true);
BEGIN;
CREATE TEMP TABLE batch ON COMMIT DROP AS SELECT * FROM dataeng.cdc_poll('tc_snap', 1);
SELECT change_id, op, (position).ord_txn, (position).change_id AS n FROM batch;
SELECT dataeng.cdc_ack('tc_snap', position) FROM batch ORDER BY position DESC LIMIT 1;
COMMIT;
SELECT change_id, op FROM dataeng.cdc_poll('tc_snap') ORDER BY position;

SELECT dataeng.cdc_consumer_drop('tc'), dataeng.cdc_consumer_drop('tc_snap');
DROP TABLE tc_a, tc_b;
DROP EXTENSION dataeng;
