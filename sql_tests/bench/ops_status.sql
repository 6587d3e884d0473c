-- Benchmark: reading dataeng.pipeline_status on a database with many
-- pipeline objects (200 captured tables, 50 consumers, 50 facts and their
-- consumers, 40 tables with rules and a validation run each, 50 jobs, 20
-- monitors with checks, a replication slot of dataeng) and changes
-- pending, against the anchor of reading what it summarizes:
-- dataeng.jobs, cdc_consumers, facts and the latest validation run of
-- each ruled table.  Target: a read under 100 ms, so that polling it
-- every few seconds costs nothing noticeable.  Also the time of one
-- dataeng.maintain() (what each round of maintenance runs) there.  Last,
-- the lag of every consumer with a larger change log, counted from the
-- batches against the count change by change (BENCH_VARS="lag_rows=N").
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET jit = off;

\o /dev/null
DO $$
BEGIN
  FOR i IN 1 .. 200 LOOP
    EXECUTE format('CREATE TABLE bench_src%s (id int PRIMARY KEY, k text, amount numeric, at timestamptz NOT NULL DEFAULT now())', i);
    PERFORM dataeng.cdc_enable(format('bench_src%s', i)::regclass);
  END LOOP;
  FOR i IN 1 .. 50 LOOP
    PERFORM dataeng.cdc_consumer_create(format('bench_c%s', i), ARRAY[format('bench_src%s', i)::regclass]);
    PERFORM dataeng.schedule(format('bench_job%s', i), '@yearly', 'SELECT 1');
    PERFORM dataeng.fact_create(format('bench_fact%s', i), format('bench_src%s', 50 + i)::regclass, 'at', 'day',
                                '{k}', '{count(*), sum(amount)}', schedule => NULL);
  END LOOP;
  FOR i IN 1 .. 40 LOOP
    PERFORM dataeng.rule_add(format('bench_src%s', 100 + i)::regclass, 'positive', 'range', 'amount', '{"min": 0}');
  END LOOP;
  FOR i IN 1 .. 20 LOOP
    PERFORM dataeng.monitor_create(format('bench_mon%s', i), format('bench_src%s', 140 + i)::regclass, 'at',
                                   max_silence => '1 hour', schedule => '@yearly');
  END LOOP;
END $$;
SELECT 'init' FROM pg_create_logical_replication_slot('bench_ops_slot', 'dataeng');
-- changes pending for every consumer: :rows / 20 rows over the 200 tables
SELECT set_config('bench.rows', :'rows', false);
DO $$
DECLARE n int := greatest(current_setting('bench.rows')::int / 20 / 200, 10);
BEGIN
  FOR i IN 1 .. 200 LOOP
    EXECUTE format('INSERT INTO bench_src%s SELECT g, ''k'' || g %% 7, g, now() FROM generate_series(1, %s) g', i, n);
  END LOOP;
END $$;
SELECT count(*) FROM (SELECT dataeng.validate(format('bench_src%s', 100 + i)::regclass) FROM generate_series(1, 40) i) v;
SELECT dataeng.monitor_check(format('bench_mon%s', i)) FROM generate_series(1, 20) i;
SELECT dataeng.maintain();
\o

CREATE TEMP TABLE t (what text, ms float8);
CREATE PROCEDURE bench_status_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
BEGIN
  FOR rep IN 1 .. 20 LOOP
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM dataeng.pipeline_status;
    INSERT INTO t VALUES ('pipeline_status', 1000 * extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT (SELECT count(*) FROM dataeng.jobs) + (SELECT count(*) FROM dataeng.cdc_consumers)
         + (SELECT count(*) FROM dataeng.facts)
         + (SELECT count(*) FROM (SELECT DISTINCT ON (table_name) * FROM dataeng.validation_runs
                                   ORDER BY table_name, run_id DESC) v) INTO n;
    INSERT INTO t VALUES ('the views it summarizes', 1000 * extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
CALL bench_status_run();

\echo 'pipeline_status: one read, milliseconds (median of 20)'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM t GROUP BY what)
SELECT (SELECT count(*) FROM dataeng.pipeline_status) AS objects,
       (SELECT count(*) FROM dataeng_internal.change_log) AS pending_changes,
       round(s.ms::numeric, 1) AS pipeline_status_ms, round(a.ms::numeric, 1) AS anchor_ms,
       round((s.ms / a.ms)::numeric, 2) AS ratio,
       CASE WHEN s.ms < 100 THEN 'met' ELSE 'MISSED' END AS target_lt_100ms
  FROM m s, m a WHERE s.what = 'pipeline_status' AND a.what = 'the views it summarizes';
-- the first read in a new session (a poller that connects each time): its
-- plans are made then, and the catalogs it reads cached
CREATE TABLE bench_cold (ms float8);
\connect
DO $$ DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN SELECT count(*) INTO n FROM dataeng.pipeline_status; INSERT INTO bench_cold VALUES (1000 * extract(epoch FROM clock_timestamp() - t0)); END $$;
\connect
DO $$ DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN SELECT count(*) INTO n FROM dataeng.pipeline_status; INSERT INTO bench_cold VALUES (1000 * extract(epoch FROM clock_timestamp() - t0)); END $$;
\connect
DO $$ DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN SELECT count(*) INTO n FROM dataeng.pipeline_status; INSERT INTO bench_cold VALUES (1000 * extract(epoch FROM clock_timestamp() - t0)); END $$;
\connect
DO $$ DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN SELECT count(*) INTO n FROM dataeng.pipeline_status; INSERT INTO bench_cold VALUES (1000 * extract(epoch FROM clock_timestamp() - t0)); END $$;
\connect
DO $$ DECLARE t0 timestamptz := clock_timestamp(); n bigint;
BEGIN SELECT count(*) INTO n FROM dataeng.pipeline_status; INSERT INTO bench_cold VALUES (1000 * extract(epoch FROM clock_timestamp() - t0)); END $$;
SET client_min_messages = warning;
\echo 'pipeline_status: the first read in a new session, milliseconds (median of 5)'
SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 1) AS first_read_ms FROM bench_cold;
DROP TABLE bench_cold;
\echo 'by kind'
SELECT kind, count(*) FROM dataeng.pipeline_status GROUP BY 1 ORDER BY 1;

-- one round of maintenance on this database (median of 5)
CREATE TEMP TABLE mt (ms float8);
CREATE PROCEDURE bench_maintain_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
BEGIN
  FOR rep IN 1 .. 5 LOOP
    t0 := clock_timestamp();
    PERFORM dataeng.maintain();
    INSERT INTO mt VALUES (1000 * extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
CALL bench_maintain_run();
\echo 'dataeng.maintain(): one round of maintenance, milliseconds (median of 5)'
SELECT round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 1) AS maintain_ms FROM mt;

-- The lag of many consumers (what dataeng.facts and dataeng.cdc_consumers
-- show for each): counted from each batch's changes by table
-- (cdc_batch_tables, made once by the maintenance), against the count
-- change by change it replaced, which read every pending change of every
-- table once per consumer.  :lag_rows more changes (default 150,000) in
-- transactions of 1,000 rows over the 50 facts' sources, a tick cut after
-- every 10 transactions; then each consumer's lag both ways, and whether
-- they agree for every consumer.
\if :{?lag_rows}
\else
\set lag_rows 150000
\endif
\o /dev/null
SELECT set_config('bench.lag_rows', :'lag_rows', false);
\o
CREATE PROCEDURE bench_lag_writes() LANGUAGE plpgsql AS $$
DECLARE n int := current_setting('bench.lag_rows')::int / 1000;
BEGIN
  FOR i IN 1 .. n LOOP
    EXECUTE format('INSERT INTO bench_src%s SELECT 1000000 + %s * 1000 + g, ''k'' || g %% 7, g, now() FROM generate_series(1, 1000) g',
                   51 + i % 50, i);
    COMMIT;
    IF i % 10 = 0 THEN
      PERFORM dataeng_internal._cdc_tick();
      COMMIT;
    END IF;
  END LOOP;
  PERFORM dataeng_internal._cdc_tick();
END $$;
CALL bench_lag_writes();
-- the batches counted as a round of maintenance counts them
CREATE TEMP TABLE ct AS SELECT clock_timestamp() AS t0;
\o /dev/null
SELECT dataeng_internal._cdc_count_batches(100000);
\o
\echo 'counting the batches of those changes by table (what maintain() adds to its round), milliseconds'
SELECT round((1000 * extract(epoch FROM clock_timestamp() - t0))::numeric, 1) AS count_batches_ms,
       (SELECT sum(changes) FROM dataeng_internal.cdc_batch_tables) AS changes_counted FROM ct;
-- the count change by change (the lag before the batches were counted)
CREATE FUNCTION bench_lag_by_change(r dataeng_internal.cdc_consumer_state, viewer regrole,
                                    OUT pending bigint, OUT oldest timestamptz)
LANGUAGE sql STABLE AS $$
  WITH newest AS (SELECT snap FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1),
  pending AS (
    SELECT l.captured_at
      FROM dataeng_internal.cdc_batch_txns bt
      JOIN dataeng_internal.change_log l ON l.xid = bt.xid
     WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, r.ack_txn)
       AND (bt.tick_id, bt.ord_txn, l.change_id) > (r.ack_tick, r.ack_txn, r.ack_change)
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid)
    UNION ALL
    SELECT l.captured_at
      FROM newest, dataeng_internal.change_log l
     WHERE l.xid >= pg_snapshot_xmin(newest.snap)
       AND NOT pg_visible_in_snapshot(l.xid, newest.snap)
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid)),
  snap AS (SELECT coalesce(r.snapshot_rows - r.snapshot_acked, 0) AS rows_left)
  SELECT count(*) + (SELECT rows_left FROM snap),
         least(min(captured_at), CASE WHEN (SELECT rows_left FROM snap) > 0 THEN r.created_at END)
    FROM pending
$$;
CREATE TEMP TABLE lt (what text, ms float8);
CREATE PROCEDURE bench_lag_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
BEGIN
  FOR rep IN 1 .. 3 LOOP
    t0 := clock_timestamp();
    SELECT sum(g.pending) INTO n FROM dataeng_internal.cdc_consumer_state c,
           LATERAL dataeng_internal._cdc_lag(c, current_user::regrole) g;
    INSERT INTO lt VALUES ('counted', 1000 * extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT sum(g.pending) INTO n FROM dataeng_internal.cdc_consumer_state c,
           LATERAL bench_lag_by_change(c, current_user::regrole) g;
    INSERT INTO lt VALUES ('change by change', 1000 * extract(epoch FROM clock_timestamp() - t0));
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM dataeng.facts;
    INSERT INTO lt VALUES ('dataeng.facts', 1000 * extract(epoch FROM clock_timestamp() - t0));
  END LOOP;
END $$;
CALL bench_lag_run();
\echo 'consumers'' lag: all consumers, milliseconds (median of 3), counted from the batches vs change by change'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS ms FROM lt GROUP BY what)
SELECT (SELECT count(*) FROM dataeng_internal.cdc_consumer_state) AS consumers,
       (SELECT count(*) FROM dataeng_internal.change_log) AS change_log_rows,
       round(n.ms::numeric, 1) AS counted_ms, round(o.ms::numeric, 1) AS change_by_change_ms,
       round((o.ms / n.ms)::numeric, 1) AS ratio, round(f.ms::numeric, 1) AS facts_view_ms,
       (SELECT bool_and(a.pending = b.pending AND a.oldest IS NOT DISTINCT FROM b.oldest)
          FROM dataeng_internal.cdc_consumer_state c,
               LATERAL dataeng_internal._cdc_lag(c, current_user::regrole) a,
               LATERAL bench_lag_by_change(c, current_user::regrole) b) AS same_lag_every_consumer
  FROM m n, m o, m f WHERE n.what = 'counted' AND o.what = 'change by change' AND f.what = 'dataeng.facts';
SELECT pg_drop_replication_slot('bench_ops_slot');
