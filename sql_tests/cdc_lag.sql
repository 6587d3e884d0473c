-- A consumer's lag (dataeng.cdc_consumers, dataeng.facts): the changes
-- after its position, counted from each batch's counts by table
-- (cdc_batch_tables, made when the tick is cut) rather than change by
-- change.  Checked against a count change by change (the definition) for
-- consumers at the end of a batch, inside one, of one table, of several,
-- of every table, with changes committed since the newest tick, a table
-- the viewer may no longer read, after a purge; and the cost: the lag of a
-- consumer reads no change of the batches after its position.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;

CREATE TABLE lag_a (id int PRIMARY KEY, v int);
CREATE TABLE lag_b (id int PRIMARY KEY, v int);
CREATE TABLE lag_c (id int PRIMARY KEY, v int);
SELECT dataeng.cdc_enable(t) FROM unnest('{lag_a,lag_b,lag_c}'::regclass[]) t;
SELECT dataeng.cdc_consumer_create('lag_a', ARRAY['lag_a'::regclass]);
SELECT dataeng.cdc_consumer_create('lag_b', ARRAY['lag_b'::regclass]);
SELECT dataeng.cdc_consumer_create('lag_ab', ARRAY['lag_a', 'lag_b']::regclass[]);
SELECT dataeng.cdc_consumer_create('lag_all');
SELECT dataeng.cdc_consumer_create('lag_mid', ARRAY['lag_a', 'lag_c']::regclass[]);

-- the definition: every pending change, one by one
CREATE FUNCTION lag_by_change(consumer text, viewer regrole, OUT pending bigint, OUT oldest timestamptz)
LANGUAGE sql STABLE AS $$
  WITH r AS (SELECT * FROM dataeng_internal.cdc_consumer_state WHERE name = consumer),
  newest AS (SELECT snap FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1),
  p AS (
    SELECT l.captured_at
      FROM r, dataeng_internal.cdc_batch_txns bt
      JOIN dataeng_internal.change_log l ON l.xid = bt.xid
     WHERE (bt.tick_id, bt.ord_txn, l.change_id) > (r.ack_tick, r.ack_txn, r.ack_change)
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid)
    UNION ALL
    SELECT l.captured_at
      FROM r, newest, dataeng_internal.change_log l
     WHERE l.xid >= pg_snapshot_xmin(newest.snap)
       AND NOT pg_visible_in_snapshot(l.xid, newest.snap)
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid))
  SELECT count(*), min(captured_at) FROM p
$$;
-- each consumer: its lag as counted, as defined, whether both agree
CREATE FUNCTION lag_check(viewer regrole DEFAULT current_user::regrole)
RETURNS TABLE (consumer text, pending bigint, same_pending boolean, same_oldest boolean)
LANGUAGE sql STABLE AS $$
  SELECT c.name, g.pending, g.pending = d.pending, g.oldest IS NOT DISTINCT FROM d.oldest
    FROM dataeng_internal.cdc_consumer_state c,
         LATERAL dataeng_internal._cdc_lag(c, viewer) g,
         LATERAL lag_by_change(c.name, viewer) d
   WHERE c.name LIKE 'lag\_%'
   ORDER BY 1
$$;

-- writes in many small transactions and a large one, over three tables
CREATE PROCEDURE lag_writes(first int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN first .. first + 39 LOOP
    INSERT INTO lag_a VALUES (i, i);
    IF i % 3 = 0 THEN INSERT INTO lag_b VALUES (i, i); END IF;
    IF i % 4 = 0 THEN UPDATE lag_a SET v = v + 1 WHERE id = i; END IF;
    COMMIT;
  END LOOP;
  INSERT INTO lag_c SELECT g, g FROM generate_series(first, first + 99) g;
  INSERT INTO lag_b SELECT g, g FROM generate_series(first + 1000, first + 1049) g;
  COMMIT;
  DELETE FROM lag_a WHERE id % 5 = 0 AND id >= first;
  COMMIT;
END $$;

CALL lag_writes(1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
SELECT * FROM lag_check();
CALL lag_writes(101);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
-- lag_mid stops inside a batch: it polls 30 changes and acknowledges them
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('lag_mid', 30);
SELECT dataeng.cdc_ack('lag_mid');
COMMIT;
SELECT ack_txn <> (SELECT max(ack_txn) FROM dataeng_internal.cdc_consumer_state) AS inside_a_batch
  FROM dataeng_internal.cdc_consumer_state WHERE name = 'lag_mid';
-- lag_b reads everything: at the end of the newest batch
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('lag_b', 100000);
SELECT dataeng.cdc_ack('lag_b');
COMMIT;
-- committed since the newest tick (no tick cut)
INSERT INTO lag_a VALUES (5000, 1), (5001, 2);
INSERT INTO lag_c VALUES (5000, 1);
SELECT * FROM lag_check();
SELECT name, pending_changes, lag_seconds > 0 AS has_lag FROM dataeng.cdc_consumers WHERE name LIKE 'lag\_%' ORDER BY 1;

-- a viewer that may not read lag_b: its changes count for nothing
CREATE ROLE regress_lag_viewer;
GRANT SELECT ON lag_a, lag_c TO regress_lag_viewer;
SELECT * FROM lag_check('regress_lag_viewer');

-- the cost: lag_b is at the end of a batch, and the batches after it hold
-- thousands of changes of lag_a and a few of lag_b; its lag reads none of
-- them (counted from the batches' counts), where the count change by change
-- reads every one
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('lag_b', 100000);
SELECT dataeng.cdc_ack('lag_b');
COMMIT;
INSERT INTO lag_a SELECT g, g FROM generate_series(10000, 14999) g;
UPDATE lag_a SET v = v + 1 WHERE id >= 10000;
UPDATE lag_b SET v = v + 1 WHERE id < 5;
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
-- (rows of the change log read so far in this transaction)
CREATE FUNCTION lag_log_reads() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT sum(coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0))::bigint
    FROM pg_stat_xact_all_tables WHERE schemaname = 'dataeng_internal' AND relname LIKE 'change\_log\_%'
$$;
BEGIN;
CREATE TEMP TABLE lag_reads (what text, n bigint);
INSERT INTO lag_reads VALUES ('start', lag_log_reads());
SELECT (dataeng_internal._cdc_lag(c, current_user::regrole)).pending
  FROM dataeng_internal.cdc_consumer_state c WHERE c.name = 'lag_b';
INSERT INTO lag_reads VALUES ('counted', lag_log_reads());
SELECT pending FROM lag_by_change('lag_b', current_user::regrole);
INSERT INTO lag_reads VALUES ('defined', lag_log_reads());
SELECT (SELECT n FROM lag_reads WHERE what = 'counted') - (SELECT n FROM lag_reads WHERE what = 'start') AS counted_reads,
       (SELECT n FROM lag_reads WHERE what = 'defined') - (SELECT n FROM lag_reads WHERE what = 'counted') >= 10000
         AS by_change_reads_every_change;
COMMIT;
SELECT * FROM lag_check();

-- after everyone acknowledged up to the newest tick but lag_a and a purge
BEGIN;
SELECT count(*) >= 0 FROM (SELECT dataeng.cdc_poll(n, 100000) FROM unnest('{lag_b,lag_ab,lag_all,lag_mid}'::text[]) n) p;
SELECT dataeng.cdc_ack(n) FROM unnest('{lag_b,lag_ab,lag_all,lag_mid}'::text[]) n;
COMMIT;
SELECT count(*) >= 0 FROM dataeng.cdc_purge();
SELECT * FROM lag_check();
-- the counts of batches every consumer is past are purged with them
SELECT count(*) AS batch_counts_left_behind
  FROM dataeng_internal.cdc_batch_tables b
 WHERE b.tick_id <= (SELECT min(ack_tick) FROM dataeng_internal.cdc_consumer_state);

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE lag_a, lag_b, lag_c;
DROP ROLE regress_lag_viewer;
