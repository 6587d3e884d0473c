-- CDC: a consumer created with snapshot => true first receives the rows of
-- its tables as op 'R', at the tick its change stream starts after, in
-- batches acknowledged like changes; then the changes.
CREATE EXTENSION dataeng;
CREATE EXTENSION dblink;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';

CREATE TABLE s_src (id int PRIMARY KEY, name text, secret text, at timestamptz);
CREATE TABLE s_other (k text PRIMARY KEY, v int);
CREATE TABLE s_nokey (x int, y text);
CREATE TABLE s_plain (id int PRIMARY KEY);
INSERT INTO s_src SELECT g, 'n' || g, 's' || g, '2026-01-01 00:00+00'::timestamptz + g * interval '1 h'
  FROM generate_series(1, 10) g;
INSERT INTO s_other VALUES ('a', 1), ('b', 2);
INSERT INTO s_nokey VALUES (1, 'one'), (1, 'one'), (NULL, 'null');
SELECT dataeng.cdc_enable('s_src', exclude_columns => '{secret}');
SELECT dataeng.cdc_enable('s_other', columns => '{k}', changed_only => true);
SELECT dataeng.cdc_enable('s_nokey');

-- errors: a table not captured; NULL; not in READ COMMITTED
SELECT dataeng.cdc_consumer_create('bad', '{s_plain}', snapshot => true);
SELECT dataeng.cdc_consumer_create('bad', '{s_src}', snapshot => NULL);
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.cdc_consumer_create('bad', '{s_src}', snapshot => true);
ROLLBACK;
SELECT count(*) AS no_consumer FROM dataeng.cdc_consumers WHERE name = 'bad';
-- without a snapshot: as before (only changes from now on)
SELECT dataeng.cdc_consumer_create('plain', '{s_src}');
SELECT dataeng.cdc_consumer_create('plain2', '{s_src}', false);

-- The snapshot: every row, with capture's columns (secret left out, only
-- k of s_other), keys (NULL without one), as op R; change_id -n for row n,
-- position (tick, 0, n).
SELECT dataeng.cdc_consumer_create('snap', '{s_src,s_other,s_nokey}', snapshot => true);
-- changes after the creation come after the snapshot
INSERT INTO s_src VALUES (11, 'n11', 's11', '2026-02-01 00:00+00');
UPDATE s_src SET name = 'changed' WHERE id = 1;
DELETE FROM s_other WHERE k = 'b';
SELECT name, pending_changes, acked_change_id FROM dataeng.cdc_consumers WHERE name = 'snap';

BEGIN;
SELECT change_id, xid, lsn, table_name, op, pk, old_row, new_row,
       (position).ord_txn, (position).change_id AS pos_change
  FROM dataeng.cdc_poll('snap', 4) ORDER BY position;
-- polled again before acknowledging: the same rows
SELECT array_agg(change_id ORDER BY position) FROM dataeng.cdc_poll('snap', 4);
SELECT dataeng.cdc_ack('snap');
COMMIT;
SELECT name, pending_changes, acked_change_id FROM dataeng.cdc_consumers WHERE name = 'snap';

-- acknowledging by change_id: errors, then the last one delivered
BEGIN;
SELECT change_id, table_name, op, pk, new_row FROM dataeng.cdc_poll('snap', 6) ORDER BY position;
COMMIT;
SELECT dataeng.cdc_ack('snap', -3);          -- already acknowledged
SELECT dataeng.cdc_ack('snap', -4);          -- the same again: nothing
SELECT dataeng.cdc_ack('snap', -11);         -- not delivered yet
SELECT dataeng.cdc_ack('snap', -100);        -- no such row
SELECT dataeng.cdc_ack('snap', 1);           -- a change: not delivered before the snapshot
SELECT dataeng.cdc_ack('snap', -8);          -- part of what was delivered
-- the rest comes again from row 9
SELECT change_id, table_name, op, pk, new_row FROM dataeng.cdc_poll('snap', 100) ORDER BY position;
SELECT dataeng.cdc_ack('snap', (SELECT change_id FROM dataeng.cdc_poll('snap', 100)
                                 ORDER BY position DESC LIMIT 1));
-- acknowledged rows are gone from the staging table
SELECT count(*) AS staged FROM dataeng_internal.cdc_snapshot_rows WHERE consumer = 'snap';
-- then the changes committed after the creation, and nothing of before
SELECT op, table_name, pk, old_row, new_row FROM dataeng.cdc_poll('snap') ORDER BY position;
SELECT op, table_name, pk FROM dataeng.cdc_poll('plain') ORDER BY position;

-- A consumer of all tables: the captured tables its owner may read whole.
SELECT dataeng.cdc_consumer_create('snap_all', snapshot => true);
SELECT table_name, count(*) FROM dataeng.cdc_poll('snap_all', 1000) GROUP BY 1 ORDER BY 1;

-- Resume after a partial acknowledgement, across sessions: a poll whose
-- transaction rolled back acknowledges nothing.
SELECT dataeng.cdc_consumer_create('resume', '{s_src}', snapshot => true);
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('resume', 5);
SELECT dataeng.cdc_ack('resume');
ROLLBACK;
SELECT array_agg(-change_id ORDER BY position) AS rows FROM dataeng.cdc_poll('resume', 5);
SELECT dataeng.cdc_ack('resume', -5);
\c
\pset null '(null)'
SELECT array_agg(-change_id ORDER BY position) AS rows FROM dataeng.cdc_poll('resume', 5);
SELECT dataeng.cdc_consumer_drop('resume');
SELECT count(*) AS staged FROM dataeng_internal.cdc_snapshot_rows WHERE consumer = 'resume';

-- An empty table: nothing to deliver, the changes at once.
CREATE TABLE s_empty (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('s_empty');
SELECT dataeng.cdc_consumer_create('empty', '{s_empty}', snapshot => true);
INSERT INTO s_empty VALUES (1);
SELECT op, pk FROM dataeng.cdc_poll('empty');

-- The consumer's own transaction: rows it wrote before creating the
-- consumer are changes it receives later, not snapshot rows (they are not
-- in the tick it starts after).
BEGIN;
INSERT INTO s_empty VALUES (2);
UPDATE s_empty SET id = 3 WHERE id = 1;
SELECT dataeng.cdc_consumer_create('own', '{s_empty}', snapshot => true);
COMMIT;
BEGIN;
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('own') ORDER BY position;
SELECT dataeng.cdc_ack('own');
COMMIT;
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('own') ORDER BY position;

-- A transaction running while the consumer is created (its writes
-- uncommitted) is in the changes, not in the snapshot; one that committed
-- before is in the snapshot only.
CREATE TABLE s_conc (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('s_conc');
INSERT INTO s_conc VALUES (1, 'before');
SELECT dblink_connect('w', format('host=%s port=%s dbname=%s',
                                  split_part(current_setting('unix_socket_directories'), ',', 1),
                                  current_setting('port'), current_database()));
SELECT dblink_exec('w', 'BEGIN');
SELECT dblink_exec('w', 'INSERT INTO s_conc VALUES (2, ''running'')');
SELECT dblink_exec('w', 'UPDATE s_conc SET v = ''updated'' WHERE id = 1');
SELECT dataeng.cdc_consumer_create('conc', '{s_conc}', snapshot => true);
SELECT dblink_exec('w', 'COMMIT');
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('conc') ORDER BY position;
SELECT dataeng.cdc_ack('conc', (SELECT change_id FROM dataeng.cdc_poll('conc') ORDER BY position DESC LIMIT 1));
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('conc') ORDER BY position;
SELECT dblink_disconnect('w');

-- A partitioned table: the rows of its partitions, under its name.
CREATE TABLE s_part (id int, region text, v int, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE s_part_eu PARTITION OF s_part FOR VALUES IN ('eu');
CREATE TABLE s_part_us (v int, region text NOT NULL, id int NOT NULL);
ALTER TABLE s_part ATTACH PARTITION s_part_us FOR VALUES IN ('us');
INSERT INTO s_part VALUES (1, 'eu', 10), (2, 'us', 20);
SELECT dataeng.cdc_enable('s_part');
SELECT dataeng.cdc_consumer_create('part', '{s_part}', snapshot => true);
SELECT table_name, op, pk, new_row FROM dataeng.cdc_poll('part') ORDER BY position;

-- Rights: the owner must read the tables whole; the rows are rendered as
-- the owner (restricted), and a role's poll sees only what it may read.
CREATE ROLE regress_s_reader;
CREATE ROLE regress_s_nobody;
GRANT USAGE ON SCHEMA public TO regress_s_reader, regress_s_nobody;
GRANT SELECT ON s_src TO regress_s_reader;
SET ROLE regress_s_nobody;
SELECT dataeng.cdc_consumer_create('nobody', '{s_src}', snapshot => true);
RESET ROLE;
SET ROLE regress_s_reader;
SELECT dataeng.cdc_consumer_create('reader', '{s_src}', snapshot => true);
SELECT count(*) FROM dataeng.cdc_poll('reader', 1000);
-- PUBLIC cannot read the staging table
SELECT count(*) FROM dataeng_internal.cdc_snapshot_rows;
RESET ROLE;
-- row-level security limiting the owner: refused, as for changes
ALTER TABLE s_src ENABLE ROW LEVEL SECURITY;
SET ROLE regress_s_reader;
SELECT dataeng.cdc_consumer_create('reader_rls', '{s_src}', snapshot => true);
-- and the poll of the existing consumer fails, as for changes
SELECT count(*) FROM dataeng.cdc_poll('reader', 1000);
RESET ROLE;
ALTER TABLE s_src DISABLE ROW LEVEL SECURITY;
SET ROLE regress_s_reader;
SELECT dataeng.cdc_consumer_drop('reader');
RESET ROLE;

-- A fact's reader refuses a consumer whose snapshot is pending.
SELECT dataeng.cdc_consumer_create('pending', '{s_src}', snapshot => true);
SELECT count(*) FROM dataeng_internal._cdc_poll_ranges(
  (SELECT c FROM dataeng_internal.cdc_consumer_state c WHERE c.name = 'pending'), current_user::regrole, 10, true);

-- The replica built from the snapshot and the changes equals the source.
CREATE TABLE s_rep (id int PRIMARY KEY, v text);
INSERT INTO s_rep SELECT g, 'v' || g FROM generate_series(1, 500) g;
SELECT dataeng.cdc_enable('s_rep');
SELECT dataeng.cdc_consumer_create('rep', '{s_rep}', snapshot => true);
UPDATE s_rep SET v = v || '!' WHERE id % 7 = 0;
DELETE FROM s_rep WHERE id % 11 = 0;
INSERT INTO s_rep SELECT g, 'new' || g FROM generate_series(501, 520) g;
CREATE TABLE s_replica (id int PRIMARY KEY, v text);
CREATE FUNCTION s_apply(c text, n int) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  ch record;
  k bigint := 0;
BEGIN
  FOR ch IN SELECT * FROM dataeng.cdc_poll(c, n) ORDER BY position LOOP
    k := k + 1;
    IF ch.op IN ('R', 'I') THEN
      INSERT INTO s_replica SELECT * FROM jsonb_populate_record(NULL::s_replica, ch.new_row);
    ELSIF ch.op = 'U' THEN
      UPDATE s_replica r SET v = x.v FROM jsonb_populate_record(NULL::s_replica, ch.new_row) x
       WHERE r.id = (ch.pk->>'id')::int;
    ELSIF ch.op = 'D' THEN
      DELETE FROM s_replica r WHERE r.id = (ch.pk->>'id')::int;
    END IF;
  END LOOP;
  PERFORM dataeng.cdc_ack(c);
  RETURN k;
END;
$$;
SELECT s_apply('rep', 64) AS applied FROM generate_series(1, 12);
SELECT count(*) AS source, (SELECT count(*) FROM s_replica) AS replica,
       (SELECT count(*) FROM (SELECT * FROM s_rep EXCEPT SELECT * FROM s_replica
                              UNION ALL
                              SELECT * FROM s_replica EXCEPT SELECT * FROM s_rep) d) AS differ
  FROM s_rep;

-- A table captured from the WAL: the records of changes committed before
-- the creation reach the log later, in the worker's transactions; the
-- creation keeps writers out and waits for the worker, so that they are in
-- the snapshot and not delivered again as changes.
CREATE TABLE s_wal (id int PRIMARY KEY, v text);
INSERT INTO s_wal VALUES (1, 'a'), (2, 'b');
SELECT dataeng.cdc_enable('s_wal', method => 'wal');
SELECT dataeng.cdc_wal_sync();
UPDATE s_wal SET v = 'before' WHERE id = 1;
INSERT INTO s_wal VALUES (4, 'before');
SELECT dataeng.cdc_consumer_create('wal', '{s_wal}', snapshot => true);
INSERT INTO s_wal VALUES (3, 'after');
DELETE FROM s_wal WHERE id = 2;
SELECT dataeng.cdc_wal_sync();
BEGIN;
SELECT op, pk, new_row FROM dataeng.cdc_poll('wal') ORDER BY position;
SELECT dataeng.cdc_ack('wal');
COMMIT;
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('wal') ORDER BY position;
-- keeping writers out takes what LOCK TABLE ... IN SHARE MODE takes
GRANT SELECT ON s_wal TO regress_s_reader;
SET ROLE regress_s_reader;
SELECT dataeng.cdc_consumer_create('wal_reader', '{s_wal}', snapshot => true);
RESET ROLE;

DROP TABLE s_src, s_other, s_nokey, s_plain, s_empty, s_conc, s_part, s_rep, s_replica, s_wal;
DROP FUNCTION s_apply(text, int);
REVOKE USAGE ON SCHEMA public FROM regress_s_reader, regress_s_nobody;
DROP ROLE regress_s_reader, regress_s_nobody;
DROP EXTENSION dblink;
DROP EXTENSION dataeng CASCADE;
