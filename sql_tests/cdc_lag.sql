-- A consumer's lag (dataeng.cdc_consumers, dataeng.facts): the changes
-- after its position, counted from each batch's counts by table
-- (cdc_batch_tables, made by the maintenance: _cdc_count_batches) rather
-- than change by change, and change by change for batches not counted yet.
-- Checked against a count change by change (the definition) for consumers
-- at the end of a batch, inside one, of one table, of several, of every
-- table, with batches not counted, counted, and both after the position,
-- with changes committed since the newest tick, a table the viewer may no
-- longer read, after a purge and after a count that raced with a purge;
-- the count itself (bounded, done once, not by the tick); and the cost:
-- the lag of a consumer reads no change of the counted batches after its
-- position.
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

-- the batches' counts and marks, by tick (marks: table_oid 0)
CREATE FUNCTION lag_counts() RETURNS TABLE (batches bigint, marks bigint, changes numeric)
LANGUAGE sql STABLE AS $$
  SELECT count(DISTINCT tick_id), count(*) FILTER (WHERE table_oid = 0), sum(changes)
    FROM dataeng_internal.cdc_batch_tables
$$;

CALL lag_writes(1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
-- cutting a tick counts nothing: every batch is read change by change
SELECT * FROM lag_counts();
SELECT * FROM lag_check();
-- the maintenance counts them (once: a second call finds nothing to count)
SELECT dataeng_internal._cdc_count_batches() > 0 AS counted;
SELECT * FROM lag_counts();
SELECT dataeng_internal._cdc_count_batches() AS counted_again;
SELECT * FROM lag_counts();
SELECT * FROM lag_check();
-- a batch not counted after a counted one
CALL lag_writes(101);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
SELECT * FROM lag_check();
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
-- counted, the same
SELECT dataeng_internal._cdc_count_batches() AS counted;
SELECT * FROM lag_check();
SELECT name, pending_changes, lag_seconds > 0 AS has_lag FROM dataeng.cdc_consumers WHERE name LIKE 'lag\_%' ORDER BY 1;

-- bounded: a call counts at most max_batches batches, oldest first, and
-- the lag is exact with counted and uncounted batches interleaved after a
-- position
INSERT INTO lag_a VALUES (6000, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
INSERT INTO lag_b VALUES (6000, 1), (6001, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
INSERT INTO lag_c VALUES (6000, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
SELECT dataeng_internal._cdc_count_batches(1) AS counted;
SELECT * FROM lag_check();
-- (the newest one counted, by hand, as a concurrent call could leave it:
-- counted, not counted, counted)
WITH t AS (SELECT max(tick_id) AS t FROM dataeng_internal.cdc_ticks)
INSERT INTO dataeng_internal.cdc_batch_tables (tick_id, table_oid, changes, oldest)
SELECT t, 0, 0, 'infinity' FROM t
UNION ALL
SELECT t, 'lag_c'::regclass, 1, (SELECT min(captured_at) FROM dataeng_internal.change_log WHERE table_oid = 'lag_c'::regclass AND (new_row->>'id')::int >= 6000) FROM t;
SELECT * FROM lag_check();
SELECT dataeng_internal._cdc_count_batches() AS counted;
SELECT * FROM lag_check();

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
SELECT dataeng_internal._cdc_count_batches() AS counted;
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
-- the same batches not counted: the lag reads their changes
BEGIN;
DELETE FROM dataeng_internal.cdc_batch_tables
 WHERE tick_id > (SELECT ack_tick FROM dataeng_internal.cdc_consumer_state WHERE name = 'lag_b');
TRUNCATE lag_reads;
INSERT INTO lag_reads VALUES ('start', lag_log_reads());
SELECT (dataeng_internal._cdc_lag(c, current_user::regrole)).pending
  FROM dataeng_internal.cdc_consumer_state c WHERE c.name = 'lag_b';
INSERT INTO lag_reads VALUES ('uncounted', lag_log_reads());
SELECT (SELECT n FROM lag_reads WHERE what = 'uncounted') - (SELECT n FROM lag_reads WHERE what = 'start') >= 10000
         AS uncounted_reads_every_change;
ROLLBACK;

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

-- a count that raced with a purge: its statement saw batches before the
-- purge deleted them, and committed after it (as a count in a transaction
-- open across the purge does): the counts it leaves are of batches below
-- every position, which no lag reads, and the next purge deletes them.
-- Everyone acknowledges everything (lag_a in two rounds: a poll stops at
-- a transaction's end after its limit), the counts are taken as such a
-- count took them (every batch uncounted), then the purge, then they are
-- written.
INSERT INTO lag_c VALUES (7000, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
BEGIN;
SELECT count(*) >= 0 FROM (SELECT dataeng.cdc_poll(n, 100000) FROM unnest('{lag_a,lag_b,lag_ab,lag_all,lag_mid}'::text[]) n) p;
SELECT dataeng.cdc_ack(n) FROM unnest('{lag_a,lag_b,lag_ab,lag_all,lag_mid}'::text[]) n;
COMMIT;
BEGIN;
SELECT count(*) >= 0 FROM dataeng.cdc_poll('lag_a', 100000);
SELECT dataeng.cdc_ack('lag_a');
COMMIT;
SELECT count(*) AS inside_a_batch FROM dataeng_internal.cdc_consumer_state
 WHERE name LIKE 'lag\_%' AND ack_txn <> (SELECT max(ack_txn) FROM dataeng_internal.cdc_consumer_state);
DELETE FROM dataeng_internal.cdc_batch_tables;
CREATE TEMP TABLE lag_raced AS
  SELECT bt.tick_id, l.table_oid, count(*) AS changes, min(l.captured_at) AS oldest
    FROM dataeng_internal.cdc_batch_txns bt JOIN dataeng_internal.change_log l ON l.xid = bt.xid
   GROUP BY 1, 2
  UNION ALL
  SELECT tk.tick_id, 0, 0, 'infinity' FROM dataeng_internal.cdc_ticks tk;
SELECT count(*) >= 0 FROM dataeng.cdc_purge();
INSERT INTO dataeng_internal.cdc_batch_tables (tick_id, table_oid, changes, oldest)
SELECT tick_id, table_oid, changes, oldest FROM lag_raced
ON CONFLICT DO NOTHING;
-- (counts of batches whose transactions the purge deleted)
CREATE FUNCTION lag_stale_counts() RETURNS bigint LANGUAGE sql STABLE AS $$
  SELECT count(*) FROM dataeng_internal.cdc_batch_tables b
   WHERE b.table_oid <> 0
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_txns bt WHERE bt.tick_id = b.tick_id)
$$;
SELECT lag_stale_counts() > 0 AS stale_counts,
       (SELECT max(tick_id) FROM dataeng_internal.cdc_batch_tables WHERE table_oid <> 0)
         <= (SELECT min(ack_tick) FROM dataeng_internal.cdc_consumer_state) AS all_below_every_position;
INSERT INTO lag_a VALUES (7001, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
INSERT INTO lag_a VALUES (7002, 1);
SELECT * FROM lag_check();
SELECT dataeng_internal._cdc_count_batches() AS counted;
SELECT * FROM lag_check();
SELECT count(*) >= 0 FROM dataeng.cdc_purge();
SELECT lag_stale_counts() AS stale_counts;

-- maintain() counts the batches cut since its last round
INSERT INTO lag_b VALUES (7000, 1);
SELECT dataeng_internal._cdc_tick() IS NOT NULL AS ticked;
SELECT count(*) AS batches_left_to_count FROM dataeng_internal.cdc_ticks tk
 WHERE NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_tables m WHERE m.tick_id = tk.tick_id AND m.table_oid = 0);
SELECT dataeng.maintain() ? 'change_log' AS maintained;
SELECT count(*) AS batches_left_to_count FROM dataeng_internal.cdc_ticks tk
 WHERE NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_tables m WHERE m.tick_id = tk.tick_id AND m.table_oid = 0);
SELECT * FROM lag_check();

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE lag_a, lag_b, lag_c;
DROP ROLE regress_lag_viewer;
