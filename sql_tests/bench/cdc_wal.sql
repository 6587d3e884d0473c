-- Benchmark: WAL-mode capture.
--
-- 1. (part "writer") Writer overhead per changed row of INSERT, UPDATE and
--    DELETE of :rows rows in a six-column table, (time with capture - time
--    without) / rows, for capture from the WAL (the worker decoding during
--    the writes) and, in the same run, the anchor: a PL/pgSQL audit trigger.
--    Target: WAL mode <= 1/10 of the PL/pgSQL trigger's overhead.
-- 2. (part "e2e") End to end, on several shapes of workload (psql variable
--    shapes, a comma-separated list; default all).  Each shape inserts,
--    updates and deletes its rows (every row once each: 3 changes a row):
--
--      txn1000     :rows rows of a six-column table, transactions of 1000
--                  rows (the shape the figure was first measured on)
--      txn10       :rows / 5 rows of that table, transactions of 10 rows
--      bigtxn      :rows rows of that table, each statement (INSERT,
--                  UPDATE, DELETE of every row) one transaction
--      wide_toast  :rows / 10 rows with a 2.7 kB TOASTed text column the
--                  UPDATE leaves unchanged (its value comes from the old
--                  row), transactions of 1000 rows
--      interleaved :rows / 2 rows in each of two tables of different
--                  columns, transactions of 1000 rows made of statements
--                  of 100 rows alternating between the tables
--
--    Each shape runs twice per round:
--    live    the worker captures while the writers write: the writers'
--            rate, the changes not yet in the change log when they finish
--            (lag) and how long it then takes to catch up, and end to end:
--            changes per second from the first write until the worker has
--            them all in the change log;
--    paused  the worker is paused (dataeng.enabled = off) while the same
--            writes run, then resumed: capture: changes per second from
--            the resume until it has them all in the change log, what the
--            worker drains whatever the writers' speed (with synchronous
--            commits, writers of 10-row transactions are slower than that).
--    Target: capture at least 100000 changes per second into the change
--    log, on every shape.  The change log must hold exactly the changes
--    written (logged = changes).
-- Each configuration runs :reps times, round robin; medians are reported.
-- parts=writer or parts=e2e runs one part only.
\if :{?reps} \else \set reps 3 \endif
\if :{?parts} \else \set parts 'writer,e2e' \endif
\if :{?shapes} \else \set shapes 'txn1000,txn10,bigtxn,wide_toast,interleaved' \endif
SET client_min_messages = warning;
SELECT 'writer' = ANY (string_to_array(:'parts', ',')) AS part_writer,
       'e2e' = ANY (string_to_array(:'parts', ',')) AS part_e2e \gset

CREATE EXTENSION IF NOT EXISTS dataeng;

CREATE TABLE wbench_audit (
  id bigserial PRIMARY KEY, tbl text, op text, xid xid8 DEFAULT pg_current_xact_id(),
  at timestamptz DEFAULT clock_timestamp(), old_row jsonb, new_row jsonb);

CREATE FUNCTION wbench_audit_trigger() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO wbench_audit (tbl, op, new_row) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(NEW));
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO wbench_audit (tbl, op, old_row, new_row) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(OLD), to_jsonb(NEW));
  ELSE
    INSERT INTO wbench_audit (tbl, op, old_row) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(OLD));
  END IF;
  RETURN NULL;
END $$;

CREATE TABLE wbench_results (config text, op text, rep int, secs float8);

CREATE PROCEDURE wbench_one(config text, nrows int, rep int) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
BEGIN
  DROP TABLE IF EXISTS wbench_t;
  CREATE TABLE wbench_t (id int PRIMARY KEY, customer_id int, amount numeric(12,2),
                         status text, note text, created_at timestamptz);
  TRUNCATE wbench_audit;
  TRUNCATE dataeng_internal.change_log;
  IF config = 'wal' THEN
    PERFORM dataeng.cdc_enable('wbench_t', method => 'wal');
  ELSIF config = 'plpgsql' THEN
    CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON wbench_t
      FOR EACH ROW EXECUTE FUNCTION wbench_audit_trigger();
  END IF;
  COMMIT;
  IF config = 'wal' THEN
    PERFORM dataeng.cdc_wal_sync('10 min');
  END IF;
  CHECKPOINT;

  t0 := clock_timestamp();
  INSERT INTO wbench_t
    SELECT g, g % 997, (g % 100000) / 100.0, 'new', 'order number ' || g,
           timestamptz '2026-01-01' + g * interval '1 second'
      FROM generate_series(1, nrows) g;
  COMMIT;
  INSERT INTO wbench_results VALUES (config, 'INSERT', rep, extract(epoch FROM clock_timestamp() - t0));
  COMMIT;

  t0 := clock_timestamp();
  UPDATE wbench_t SET amount = amount + 1, status = 'paid';
  COMMIT;
  INSERT INTO wbench_results VALUES (config, 'UPDATE', rep, extract(epoch FROM clock_timestamp() - t0));
  COMMIT;

  t0 := clock_timestamp();
  DELETE FROM wbench_t;
  COMMIT;
  INSERT INTO wbench_results VALUES (config, 'DELETE', rep, extract(epoch FROM clock_timestamp() - t0));
  COMMIT;
  IF config = 'wal' THEN
    -- (not timed: the worker catches up before the next configuration)
    PERFORM dataeng.cdc_wal_sync('10 min');
    PERFORM dataeng.cdc_disable('wbench_t');
    PERFORM dataeng.cdc_wal_sync('10 min');
  END IF;
END $$;

\if :part_writer
SELECT format('CALL wbench_one(%L, %s, %s)', c, :rows, r)
  FROM generate_series(1, :reps) r, unnest(ARRAY['none', 'wal', 'plpgsql']) c
 ORDER BY r, array_position(ARRAY['none', 'wal', 'plpgsql'], c) \gexec

\echo
\echo 'Writer overhead per changed row (median of runs), microseconds: WAL mode vs a PL/pgSQL audit trigger'
WITH med AS (
  SELECT config, op, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs
    FROM wbench_results GROUP BY config, op
), o AS (
  SELECT m.op, m.config, (m.secs - b.secs) * 1e6 / :rows AS us, b.secs * 1e6 / :rows AS base_us
    FROM med m JOIN med b ON b.op = m.op AND b.config = 'none'
   WHERE m.config <> 'none'
)
SELECT w.op,
       round(w.base_us::numeric, 2) AS base_us,
       round(w.us::numeric, 2) AS wal_us,
       round(p.us::numeric, 2) AS plpgsql_us,
       round((w.us / p.us)::numeric, 3) AS vs_plpgsql,
       CASE WHEN w.us <= p.us / 10 THEN 'met' ELSE 'MISSED' END AS target_le_0_1
  FROM o w JOIN o p ON p.op = w.op AND p.config = 'plpgsql'
 WHERE w.config = 'wal'
 ORDER BY array_position(ARRAY['INSERT', 'UPDATE', 'DELETE'], w.op);

\endif

\if :part_e2e
-- End to end
CREATE TABLE wbench_e2e (shape text, phase text, rep int, changes bigint, logged bigint,
                         writer_secs float8, lag bigint, catchup_secs float8, secs float8);

-- the rows each table of a shape gets, and its tables
CREATE FUNCTION wbench_e2e_rows(shape text, nrows int) RETURNS int LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE shape WHEN 'txn10' THEN nrows / 5 WHEN 'wide_toast' THEN nrows / 10
                    WHEN 'interleaved' THEN nrows / 2 ELSE nrows END
$$;
CREATE FUNCTION wbench_e2e_tables(shape text) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE shape WHEN 'wide_toast' THEN ARRAY['wbench_w']
                    WHEN 'interleaved' THEN ARRAY['wbench_t', 'wbench_u']
                    ELSE ARRAY['wbench_t'] END
$$;
-- (by name at run time: the tables are made anew for each run)
CREATE FUNCTION wbench_e2e_logged(shape text) RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT count(*) FROM dataeng_internal.change_log l
   WHERE l.table_oid = ANY (SELECT t::regclass::oid FROM unnest(wbench_e2e_tables(shape)) t)
$$;

-- 64 incompressible 2.7 kB strings (base64 of md5 digests) for wide_toast
CREATE TABLE wbench_docs AS
  SELECT k, string_agg(encode(decode(md5(k || ':' || j), 'hex') || decode(md5(j || ':' || k), 'hex'), 'base64'), '') AS doc
    FROM generate_series(1, 64) k, generate_series(1, 61) j GROUP BY k;

CREATE PROCEDURE wbench_e2e_setup(shape text) LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  DROP TABLE IF EXISTS wbench_t, wbench_u, wbench_w;
  CREATE TABLE wbench_t (id int PRIMARY KEY, customer_id int, amount numeric(12,2),
                         status text, note text, created_at timestamptz);
  CREATE TABLE wbench_u (id bigint PRIMARY KEY, sku text, qty int, price numeric(10,2),
                         tags jsonb, ok boolean, day date);
  CREATE TABLE wbench_w (id int PRIMARY KEY, customer_id int, amount numeric(12,2),
                         status text, doc text, created_at timestamptz);
  -- (out of line, uncompressed, whatever pglz would make of it)
  ALTER TABLE wbench_w ALTER doc SET STORAGE EXTERNAL;
  FOREACH t IN ARRAY wbench_e2e_tables(shape) LOOP
    PERFORM dataeng.cdc_enable(t::regclass, method => 'wal');
  END LOOP;
  COMMIT;
  PERFORM dataeng.cdc_wal_sync('10 min');
  TRUNCATE dataeng_internal.change_log;
  COMMIT;
  CHECKPOINT;
END $$;

-- the writes of a shape: insert, update, delete each of n rows (per table)
CREATE PROCEDURE wbench_e2e_write(shape text, n int) LANGUAGE plpgsql AS $$
DECLARE
  b int := CASE shape WHEN 'txn10' THEN 10 WHEN 'bigtxn' THEN greatest(n, 1) ELSE 1000 END;
  docs text[];
  tbl text := CASE WHEN shape = 'wide_toast' THEN 'wbench_w' ELSE 'wbench_t' END;
  lo int;
  hi int;
BEGIN
  IF shape = 'interleaved' THEN
    -- transactions of 1000 rows: 100 of one table, 100 of the other, ...
    FOR i IN 0 .. (n - 1) / 500 LOOP
      FOR j IN 0 .. 4 LOOP
        lo := i * 500 + j * 100 + 1;
        hi := least(n, lo + 99);
        EXIT WHEN lo > n;
        INSERT INTO wbench_t
          SELECT g, g % 997, (g % 100000) / 100.0, 'new', 'order number ' || g,
                 timestamptz '2026-01-01' + g * interval '1 second'
            FROM generate_series(lo, hi) g;
        INSERT INTO wbench_u
          SELECT g, 'SKU-' || g, g % 50, (g % 1000) / 10.0, jsonb_build_object('c', g % 7, 'tag', 'x' || g % 13),
                 g % 2 = 0, date '2026-01-01' + g % 365
            FROM generate_series(lo, hi) g;
      END LOOP;
      COMMIT;
    END LOOP;
    FOR i IN 0 .. (n - 1) / 500 LOOP
      FOR j IN 0 .. 4 LOOP
        lo := i * 500 + j * 100 + 1;
        hi := least(n, lo + 99);
        EXIT WHEN lo > n;
        UPDATE wbench_t SET amount = amount + 1, status = 'paid' WHERE id BETWEEN lo AND hi;
        UPDATE wbench_u SET qty = qty + 1, ok = NOT ok WHERE id BETWEEN lo AND hi;
      END LOOP;
      COMMIT;
    END LOOP;
    FOR i IN 0 .. (n - 1) / 500 LOOP
      FOR j IN 0 .. 4 LOOP
        lo := i * 500 + j * 100 + 1;
        hi := least(n, lo + 99);
        EXIT WHEN lo > n;
        DELETE FROM wbench_t WHERE id BETWEEN lo AND hi;
        DELETE FROM wbench_u WHERE id BETWEEN lo AND hi;
      END LOOP;
      COMMIT;
    END LOOP;
  ELSE
    -- one table, each batch a transaction; wide_toast's rows carry a
    -- 2.7 kB document its update leaves unchanged (pgoutput sends it as
    -- unchanged, the old row has it)
    IF shape = 'wide_toast' THEN
      SELECT array_agg(doc ORDER BY k) INTO docs FROM wbench_docs;
    END IF;
    FOR i IN 0 .. (n - 1) / b LOOP
      EXECUTE format('INSERT INTO %I SELECT g, g %% 997, (g %% 100000) / 100.0, ''new'', %s, '
                     '       timestamptz ''2026-01-01'' + g * interval ''1 second'' '
                     '  FROM generate_series($1, $2) g',
                     tbl, CASE WHEN shape = 'wide_toast' THEN '($3)[1 + g % 64]' ELSE '''order number '' || g' END)
        USING i * b + 1, least(n, (i + 1) * b), docs;
      COMMIT;
    END LOOP;
    FOR i IN 0 .. (n - 1) / b LOOP
      EXECUTE format('UPDATE %I SET amount = amount + 1, status = ''paid'' WHERE id BETWEEN $1 AND $2', tbl)
        USING i * b + 1, (i + 1) * b;
      COMMIT;
    END LOOP;
    FOR i IN 0 .. (n - 1) / b LOOP
      EXECUTE format('DELETE FROM %I WHERE id BETWEEN $1 AND $2', tbl) USING i * b + 1, (i + 1) * b;
      COMMIT;
    END LOOP;
  END IF;
END $$;

-- live: the worker captures during the writes
CREATE PROCEDURE wbench_e2e_live(shape text, nrows int, rep int) LANGUAGE plpgsql AS $$
DECLARE
  n int := wbench_e2e_rows(shape, nrows);
  total bigint := 3::bigint * n * cardinality(wbench_e2e_tables(shape));
  t0 timestamptz;
  t1 timestamptz;
  t2 timestamptz;
  at_end bigint;
  logged bigint;
BEGIN
  t0 := clock_timestamp();
  CALL wbench_e2e_write(shape, n);
  t1 := clock_timestamp();
  at_end := wbench_e2e_logged(shape);
  PERFORM dataeng.cdc_wal_sync('10 min');
  t2 := clock_timestamp();
  logged := wbench_e2e_logged(shape);
  INSERT INTO wbench_e2e VALUES (shape, 'live', rep, total, logged, extract(epoch FROM t1 - t0),
                                 total - at_end, extract(epoch FROM t2 - t1), extract(epoch FROM t2 - t0));
  COMMIT;
  -- the paused run starts from an empty change log
  TRUNCATE dataeng_internal.change_log;
  COMMIT;
  CHECKPOINT;
END $$;

-- paused: the same writes while the worker is paused (dataeng.enabled = off)
CREATE PROCEDURE wbench_e2e_paused_write(shape text, nrows int, rep int) LANGUAGE plpgsql AS $$
DECLARE
  n int := wbench_e2e_rows(shape, nrows);
  total bigint := 3::bigint * n * cardinality(wbench_e2e_tables(shape));
  t0 timestamptz;
BEGIN
  t0 := clock_timestamp();
  CALL wbench_e2e_write(shape, n);
  -- lag: what the worker captured meanwhile (nothing: it is paused)
  INSERT INTO wbench_e2e VALUES (shape, 'paused', rep, total, NULL,
                                 extract(epoch FROM clock_timestamp() - t0),
                                 total - wbench_e2e_logged(shape), NULL, NULL);
  COMMIT;
END $$;

-- ... and the worker resumed at wbench.t0: until it has them all
CREATE PROCEDURE wbench_e2e_drain(shape text, rep int) LANGUAGE plpgsql AS $$
DECLARE
  t2 timestamptz;
  t text;
BEGIN
  PERFORM dataeng.cdc_wal_sync('10 min');
  t2 := clock_timestamp();
  UPDATE wbench_e2e e
     SET logged = wbench_e2e_logged(wbench_e2e_drain.shape),
         catchup_secs = extract(epoch FROM t2 - current_setting('wbench.t0')::timestamptz),
         secs = extract(epoch FROM t2 - current_setting('wbench.t0')::timestamptz)
   WHERE e.shape = wbench_e2e_drain.shape AND e.phase = 'paused' AND e.rep = wbench_e2e_drain.rep;
  COMMIT;
  FOREACH t IN ARRAY wbench_e2e_tables(shape) LOOP
    PERFORM dataeng.cdc_disable(t::regclass);
  END LOOP;
  COMMIT;
  PERFORM dataeng.cdc_wal_sync('10 min');
  TRUNCATE dataeng_internal.change_log;
END $$;

SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_before \gset
\o /dev/null
SELECT stmt
  FROM generate_series(1, :reps) r,
       unnest(string_to_array(:'shapes', ',')) WITH ORDINALITY u(s, o),
       unnest(ARRAY[
         format('CALL wbench_e2e_setup(%L)', s),
         format('CALL wbench_e2e_live(%L, %s, %s)', s, :rows, r),
         'ALTER SYSTEM SET dataeng.enabled = off',
         'SELECT pg_reload_conf()',
         'SELECT pg_sleep(0.5)',
         format('CALL wbench_e2e_paused_write(%L, %s, %s)', s, :rows, r),
         'SELECT set_config(''wbench.t0'', clock_timestamp()::text, false)',
         'ALTER SYSTEM RESET dataeng.enabled',
         'SELECT pg_reload_conf()',
         format('CALL wbench_e2e_drain(%L, %s)', s, r)]) WITH ORDINALITY x(stmt, k)
 ORDER BY r, o, k \gexec
\o
SELECT pg_catalog.pg_read_file('/proc/loadavg') AS load_after \gset

\echo
\echo 'End to end, WAL mode, by shape (median of runs): live = the worker capturing during the writes;'
\echo 'capture = the worker paused during the writes, then changes per second until all are in the change log.'
\echo 'Load average before:' :load_before
\echo 'Load average after: ' :load_after
WITH live AS (
  SELECT shape, min(changes) AS changes, min(logged) AS logged_min, max(logged) AS logged_max,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY writer_secs) AS writer_secs,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS lag,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY catchup_secs) AS catchup_secs,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs
    FROM wbench_e2e WHERE phase = 'live' GROUP BY shape
), paused AS (
  SELECT shape, min(logged) AS logged_min, max(logged) AS logged_max, max(changes - lag) AS while_paused,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs
    FROM wbench_e2e WHERE phase = 'paused' GROUP BY shape
)
SELECT l.shape, l.changes,
       CASE WHEN least(l.logged_min, p.logged_min) = l.changes AND greatest(l.logged_max, p.logged_max) = l.changes
            THEN l.changes::text ELSE format('DIFFER %s..%s', least(l.logged_min, p.logged_min), greatest(l.logged_max, p.logged_max)) END AS logged,
       round(l.changes / l.writer_secs) AS writer_per_s,
       round(l.lag) AS lag_at_end,
       round(l.catchup_secs::numeric, 2) AS catchup_s,
       round(l.changes / l.secs) AS e2e_per_s,
       round(l.changes / p.secs) AS capture_per_s,
       CASE WHEN p.while_paused <> 0 THEN 'NOT PAUSED'
            WHEN l.changes / p.secs >= 100000 THEN 'met' ELSE 'MISSED' END AS target_ge_100k
  FROM live l JOIN paused p USING (shape)
 ORDER BY array_position(string_to_array(:'shapes', ','), l.shape);
\endif
