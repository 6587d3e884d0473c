-- Benchmark: reading dataeng.pipeline_status on a database with many
-- pipeline objects (200 captured tables, 50 consumers, 50 facts and their
-- consumers, 40 tables with rules and a validation run each, 50 jobs, 20
-- monitors with checks, a replication slot of dataeng) and changes
-- pending, against the anchor of reading what it summarizes:
-- dataeng.jobs, cdc_consumers, facts and the latest validation run of
-- each ruled table.  Target: a read under 100 ms, so that polling it
-- every few seconds costs nothing noticeable.  Also the time of one
-- dataeng.maintain() (what each round of maintenance runs) there.
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
SELECT pg_drop_replication_slot('bench_ops_slot');
