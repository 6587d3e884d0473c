-- Benchmark: per-row write overhead of change capture, and poll throughput.
--
-- For INSERT, UPDATE and DELETE of :rows rows in a six-column table, the
-- overhead of a capture trigger is (time with it - time without) / rows.
-- Ours is compared with two anchors measured in the same run:
--   plpgsql  an audit trigger writing to_jsonb(OLD)/to_jsonb(NEW) to a table
--   pgq      PgQ's C trigger pgq.logutriga
-- Target: ours <= 1/5 of plpgsql's, and below pgq's.
-- Each configuration runs :reps times, round robin; medians are reported.
\if :{?reps} \else \set reps 3 \endif
SET client_min_messages = warning;

CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE EXTENSION IF NOT EXISTS pgq;

CREATE TABLE bench_audit (
  id bigserial PRIMARY KEY, tbl text, op text, xid xid8 DEFAULT pg_current_xact_id(),
  at timestamptz DEFAULT clock_timestamp(), old_row jsonb, new_row jsonb);

CREATE FUNCTION bench_audit_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO bench_audit (tbl, op, new_row) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(NEW));
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO bench_audit (tbl, op, old_row, new_row) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(OLD), to_jsonb(NEW));
  ELSE
    INSERT INTO bench_audit (tbl, op, old_row) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(OLD));
  END IF;
  RETURN NULL;
END $$;

CREATE TABLE bench_results (config text, op text, rep int, secs float8);

CREATE PROCEDURE bench_one(config text, nrows int, rep int) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
BEGIN
  DROP TABLE IF EXISTS bench_t;
  CREATE TABLE bench_t (id int PRIMARY KEY, customer_id int, amount numeric(12,2),
                        status text, note text, created_at timestamptz);
  TRUNCATE bench_audit;
  TRUNCATE dataeng_internal.change_log;
  IF config = 'dataeng' THEN
    PERFORM dataeng.cdc_enable('bench_t');
  ELSIF config = 'plpgsql' THEN
    CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bench_t
      FOR EACH ROW EXECUTE FUNCTION bench_audit_trigger();
  ELSIF config = 'pgq' THEN
    PERFORM pgq.drop_queue('bench_q') FROM pgq.queue WHERE queue_name = 'bench_q';
    PERFORM pgq.create_queue('bench_q');
    CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON bench_t
      FOR EACH ROW EXECUTE FUNCTION pgq.logutriga('bench_q');
  END IF;
  COMMIT;
  CHECKPOINT;

  t0 := clock_timestamp();
  INSERT INTO bench_t
    SELECT g, g % 997, (g % 100000) / 100.0, 'new', 'order number ' || g,
           timestamptz '2026-01-01' + g * interval '1 second'
      FROM generate_series(1, nrows) g;
  COMMIT;
  INSERT INTO bench_results VALUES (config, 'INSERT', rep, extract(epoch FROM clock_timestamp() - t0));
  COMMIT;

  t0 := clock_timestamp();
  UPDATE bench_t SET amount = amount + 1, status = 'paid';
  COMMIT;
  INSERT INTO bench_results VALUES (config, 'UPDATE', rep, extract(epoch FROM clock_timestamp() - t0));
  COMMIT;

  t0 := clock_timestamp();
  DELETE FROM bench_t;
  COMMIT;
  INSERT INTO bench_results VALUES (config, 'DELETE', rep, extract(epoch FROM clock_timestamp() - t0));
  COMMIT;
END $$;

SELECT format('CALL bench_one(%L, %s, %s)', c, :rows, r)
  FROM generate_series(1, :reps) r, unnest(ARRAY['none', 'dataeng', 'plpgsql', 'pgq']) c
 ORDER BY r, array_position(ARRAY['none', 'dataeng', 'plpgsql', 'pgq'], c) \gexec

\echo
\echo 'Capture overhead per changed row (median of runs), microseconds'
WITH med AS (
  SELECT config, op, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs
    FROM bench_results GROUP BY config, op
), o AS (
  SELECT m.op, m.config, (m.secs - b.secs) * 1e6 / :rows AS us, b.secs * 1e6 / :rows AS base_us
    FROM med m JOIN med b ON b.op = m.op AND b.config = 'none'
   WHERE m.config <> 'none'
)
SELECT d.op,
       round(d.base_us::numeric, 2) AS base_us,
       round(d.us::numeric, 2) AS dataeng_us,
       round(p.us::numeric, 2) AS plpgsql_us,
       round(q.us::numeric, 2) AS pgq_us,
       round((d.us / p.us)::numeric, 3) AS vs_plpgsql,
       CASE WHEN d.us <= p.us / 5 THEN 'met' ELSE 'MISSED' END AS target_le_0_2,
       round((d.us / q.us)::numeric, 3) AS vs_pgq,
       CASE WHEN d.us < q.us THEN 'met' ELSE 'MISSED' END AS target_lt_1
  FROM o d JOIN o p ON p.op = d.op AND p.config = 'plpgsql'
           JOIN o q ON q.op = d.op AND q.config = 'pgq'
 WHERE d.config = 'dataeng'
 ORDER BY array_position(ARRAY['INSERT', 'UPDATE', 'DELETE'], d.op);

-- Poll throughput: a consumer drains :rows committed changes (transactions
-- of 100 rows) with cdc_poll(max_changes => 10000) and cdc_ack, against the
-- anchor of reading the same rows straight from the change log.
DROP TABLE bench_t;
TRUNCATE dataeng_internal.change_log;
CREATE TABLE bench_t (id int PRIMARY KEY, customer_id int, amount numeric(12,2),
                      status text, note text, created_at timestamptz);
\o /dev/null
SELECT dataeng.cdc_enable('bench_t');
SELECT dataeng.cdc_consumer_create('bench');
SELECT dataeng.cdc_consumer_create('bench_client');
\o
CREATE PROCEDURE bench_fill(nrows int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 0 .. nrows / 100 - 1 LOOP
    INSERT INTO bench_t
      SELECT g, g % 997, (g % 100000) / 100.0, 'new', 'order number ' || g,
             timestamptz '2026-01-01' + g * interval '1 second'
        FROM generate_series(i * 100 + 1, i * 100 + 100) g;
    COMMIT;
  END LOOP;
END $$;
CALL bench_fill(:rows);
VACUUM ANALYZE dataeng_internal.change_log;

CREATE TEMP TABLE poll_results (what text, secs float8, n bigint);
DO $$
DECLARE
  t0 timestamptz;
  n bigint;
  total bigint := 0;
  last bigint;
BEGIN
  t0 := clock_timestamp();
  SELECT count(*) INTO n FROM (SELECT * FROM dataeng_internal.change_log) s
   WHERE s.new_row::text IS NOT NULL OR s.old_row IS NOT NULL;
  INSERT INTO poll_results VALUES ('read change_log', extract(epoch FROM clock_timestamp() - t0), n);
  t0 := clock_timestamp();
  LOOP
    SELECT count(*), max(change_id) INTO n, last
      FROM dataeng.cdc_poll('bench', 10000) s
     WHERE s.new_row::text IS NOT NULL OR s.old_row IS NOT NULL;
    EXIT WHEN n = 0;
    PERFORM dataeng.cdc_ack('bench', last);
    total := total + n;
  END LOOP;
  INSERT INTO poll_results VALUES ('cdc_poll', extract(epoch FROM clock_timestamp() - t0), total);
END $$;
\echo 'Poll throughput: poll 10000 + ack, until drained (target >= 200000 changes/s)'
SELECT p.n AS changes, round(p.n / p.secs) AS poll_changes_per_s,
       round(a.n / a.secs) AS raw_read_changes_per_s,
       round((p.secs / a.secs)::numeric, 2) AS cost_vs_raw_read,
       CASE WHEN p.n / p.secs >= 200000 THEN 'met' ELSE 'MISSED' END AS target
  FROM poll_results p, poll_results a
 WHERE p.what = 'cdc_poll' AND a.what = 'read change_log';

-- The same, received by this client (psql, unaligned output to /dev/null):
-- one poll of everything, timed around the round trip.
SELECT extract(epoch FROM clock_timestamp()) AS client_t0 \gset
\pset format unaligned
\o /dev/null
SELECT * FROM dataeng.cdc_poll('bench_client', 1000000000);
\o
\pset format aligned
SELECT extract(epoch FROM clock_timestamp()) AS client_t1 \gset
\echo 'Poll throughput to a client (psql receiving every row of one cdc_poll)'
SELECT :rows AS changes, round(:rows / (:client_t1 - :client_t0)) AS client_changes_per_s,
       CASE WHEN :rows / (:client_t1 - :client_t0) >= 200000 THEN 'met' ELSE 'MISSED' END AS target;

\o /dev/null
SELECT dataeng.cdc_consumer_drop('bench_client');
SELECT dataeng.cdc_consumer_drop('bench');
DROP TABLE bench_t, bench_audit, bench_results;
DROP PROCEDURE bench_one;
DROP PROCEDURE bench_fill;
DROP FUNCTION bench_audit_trigger;
SELECT pgq.drop_queue('bench_q');
DROP EXTENSION pgq;
DROP EXTENSION dataeng;
\o
