-- Benchmark: the lag of a consumer (dataeng.facts, dataeng.cdc_consumers)
-- over a large change log that is not purged, against the lag as it was
-- read before it kept to the log's index (bench_lag_before below, the
-- earlier body of dataeng_internal._cdc_lag).  The log: :lag_log_rows
-- changes (default 1,500,000) of a table no fact reads, in one
-- transaction, then 60,000 changes of a fact's source in two refreshed
-- batches, and one change pending; the log analyzed, as autovacuum does.
-- Before, the statistics (a transaction's changes a third of a segment)
-- made the planner scan whole segments of the log.  Each way 20 times,
-- alternated; the median, and whether both give the same lag.
--
--   BENCH=lag_log_reads bash sql_tests/bench/run.sh
--   BENCH=lag_log_reads BENCH_VARS="lag_log_rows=500000" bash sql_tests/bench/run.sh
\if :{?lag_log_rows}
\else
\set lag_log_rows 1500000
\endif
SET client_min_messages = warning;
SET jit = off;
CREATE EXTENSION IF NOT EXISTS dataeng;
\o /dev/null
CREATE TABLE bench_llr_other (id bigint PRIMARY KEY, v int);
SELECT dataeng.cdc_enable('bench_llr_other');
INSERT INTO bench_llr_other SELECT g, g FROM generate_series(1, :lag_log_rows) g;
CREATE TABLE bench_llr_src (id bigint PRIMARY KEY, at timestamptz NOT NULL, d int, a int);
SELECT dataeng.fact_create('bench_llr', 'bench_llr_src', 'at', 'day', ARRAY['d'], ARRAY['count(*)', 'sum(a)'],
                           schedule => NULL);
INSERT INTO bench_llr_src SELECT g, '2025-01-01'::timestamptz + g * interval '1 second', g % 10, g
  FROM generate_series(1, 30000) g;
SELECT dataeng.fact_refresh('bench_llr');
INSERT INTO bench_llr_src SELECT g, '2025-01-01'::timestamptz + g * interval '1 second', g % 10, g
  FROM generate_series(30001, 60000) g;
SELECT dataeng.fact_refresh('bench_llr');
SELECT dataeng.cdc_disable('bench_llr_other');
INSERT INTO bench_llr_src VALUES (1000000, now(), 1, 1);
ANALYZE dataeng_internal.change_log;
\o

-- the lag as it was read before
CREATE FUNCTION bench_lag_before(r dataeng_internal.cdc_consumer_state, viewer regrole,
                                 OUT pending bigint, OUT oldest timestamptz)
RETURNS record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
SET jit = off
AS $$
  WITH newest AS (SELECT snap FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1),
  pending AS (
    SELECT b.changes AS n, b.oldest AS captured_at
      FROM dataeng_internal.cdc_batch_tables b
     WHERE r.tables IS NOT NULL AND b.table_oid = ANY (r.tables::oid[]) AND b.tick_id > r.ack_tick
       AND dataeng_internal._cdc_can_read(viewer, b.table_oid)
    UNION ALL
    SELECT b.changes, b.oldest
      FROM dataeng_internal.cdc_batch_tables b
     WHERE r.tables IS NULL AND b.tick_id > r.ack_tick AND b.table_oid OPERATOR(pg_catalog.<>) 0
       AND dataeng_internal._cdc_can_read(viewer, b.table_oid)
    UNION ALL
    SELECT 1, l.captured_at
      FROM unnest(ARRAY(SELECT tk.tick_id FROM dataeng_internal.cdc_ticks tk
                         WHERE tk.tick_id > r.ack_tick
                           AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_tables m
                                            WHERE m.tick_id = tk.tick_id
                                              AND m.table_oid OPERATOR(pg_catalog.=) 0))) u(tick_id)
     CROSS JOIN LATERAL (SELECT bt.xid FROM dataeng_internal.cdc_batch_txns bt
                          WHERE bt.tick_id = u.tick_id OFFSET 0) bt
     CROSS JOIN LATERAL (SELECT l.captured_at FROM dataeng_internal.change_log l
                          WHERE l.xid = bt.xid
                            AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
                            AND dataeng_internal._cdc_can_read(viewer, l.table_oid) OFFSET 0) l
    UNION ALL
    SELECT 1, l.captured_at
      FROM dataeng_internal.cdc_batch_txns bt
      JOIN dataeng_internal.change_log l ON l.xid = bt.xid
     WHERE bt.tick_id = r.ack_tick AND bt.ord_txn >= r.ack_txn
       AND (bt.ord_txn, l.change_id) > (r.ack_txn, r.ack_change)
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid)
    UNION ALL
    SELECT 1, l.captured_at
      FROM dataeng_internal.change_log l
     WHERE l.xid >= (SELECT pg_snapshot_xmin(newest.snap) FROM newest)
       AND NOT pg_visible_in_snapshot(l.xid, (SELECT newest.snap FROM newest))
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid)),
  snap AS (SELECT coalesce(r.snapshot_rows - r.snapshot_acked, 0) AS rows_left)
  SELECT coalesce(sum(n), 0)::bigint + (SELECT rows_left FROM snap),
         least(min(captured_at), CASE WHEN (SELECT rows_left FROM snap) > 0 THEN r.created_at END)
    FROM pending
$$;


CREATE TEMP TABLE llr (what text, ms float8);
CREATE PROCEDURE bench_llr_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
BEGIN
  FOR rep IN 1 .. 20 LOOP
    t0 := clock_timestamp();
    SELECT sum(g.pending) INTO n FROM dataeng_internal.cdc_consumer_state c,
           LATERAL dataeng_internal._cdc_lag(c, current_user::regrole) g;
    INSERT INTO llr VALUES ('now', 1000 * extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT sum(g.pending) INTO n FROM dataeng_internal.cdc_consumer_state c,
           LATERAL bench_lag_before(c, current_user::regrole) g;
    INSERT INTO llr VALUES ('before', 1000 * extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT sum(f.pending_changes) INTO n FROM dataeng.facts f;
    INSERT INTO llr VALUES ('dataeng.facts', 1000 * extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
CALL bench_llr_run();
\echo 'a consumer''s lag over a large change log, one change pending, milliseconds (median of 20)'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM llr GROUP BY what)
SELECT (SELECT count(*) FROM dataeng_internal.change_log) AS change_log_rows,
       round(b.ms::numeric, 2) AS before_ms, round(n.ms::numeric, 2) AS now_ms,
       round((b.ms / n.ms)::numeric, 1) AS ratio, round(f.ms::numeric, 2) AS facts_view_ms,
       (SELECT bool_and(a.pending = o.pending AND a.oldest IS NOT DISTINCT FROM o.oldest)
          FROM dataeng_internal.cdc_consumer_state c,
               LATERAL dataeng_internal._cdc_lag(c, current_user::regrole) a,
               LATERAL bench_lag_before(c, current_user::regrole) o) AS same_lag
  FROM m b, m n, m f WHERE b.what = 'before' AND n.what = 'now' AND f.what = 'dataeng.facts';
\o /dev/null
SELECT dataeng.fact_drop('bench_llr');
\o
DROP PROCEDURE bench_llr_run();
DROP FUNCTION bench_lag_before(dataeng_internal.cdc_consumer_state, regrole);
DROP TABLE bench_llr_src, bench_llr_other;
