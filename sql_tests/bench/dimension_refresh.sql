-- Benchmark: dimension_refresh against a full compare of source and
-- dimension, done as a dbt snapshot does it (one set of statements
-- comparing every row: a staging table of the rows new, changed or gone,
-- then the versions closed and opened, or the rows overwritten).
--
-- A customer table of :dim_rows rows (default make bench's BENCH_ROWS,
-- 200,000; BENCH=dimension_refresh BENCH_ROWS=1000000 make bench for the
-- issue's 1M rows), then per round 3% of the rows change, each kind in its
-- own statement as an application batch would: 1% updated in a tracked
-- attribute (city), 1% in untracked columns only (notes, updated_at),
-- 0.5% deleted, 0.5% inserted.  Both sides apply the same changes to
-- their own table; dataeng.dimension_refresh() and the full compare are
-- timed (median of :reps rounds) and their tables compared row for row:
-- every version's key, attributes and currency (type 2), every row
-- (type 1); the times differ by construction and are not compared.
-- For type 2 the same changes are also applied to a third table as a dbt
-- snapshot keeps it (dbt_snapshot_s, dbt_ratio): the layout dbt creates
-- (the selected columns, then dbt_scd_id, dbt_updated_at, dbt_valid_from,
-- dbt_valid_to; created by CREATE TABLE AS, so no index), and the statements
-- a snapshot with the check strategy on the four attributes and hard
-- deletes invalidated runs: a temporary staging table of the insertions
-- (source rows new or changed: a LEFT JOIN of the source to the current
-- rows), the updates (changed rows: a JOIN) and the deletes (current rows
-- gone: a LEFT JOIN of the current rows to the source), each source row
-- given an md5() version id, then the UPDATE closing the current rows
-- found by that id and the INSERT of the new versions.  Written here from
-- the documented behaviour, in this benchmark's own SQL; it too is checked
-- row for row against the dimension (key, attributes, currency).  The
-- lean compare above is the anchor of the 10x target: it joins the two
-- tables once, where the dbt snapshot joins them three times.
-- Beside each elapsed time, the backend's own CPU time (refresh_cpu_s,
-- compare_cpu_s: from Linux's /proc/self/schedstat, without the time it
-- waited for a CPU or for the disk; NULL elsewhere), which other work on
-- a shared machine moves far less.
--
--   scd2_int      type 2, bigint key (the issue's shape)
--   scd1_text     type 1, text key
--   scd2_int_low  type 2, bigint key, 0.3% of the rows changed (a tenth)
--
-- and, when BENCH_DIM_SHAPES names them, scd2_int_inplace and
-- scd2_int_inplace_low: the same with versions closed in place (the
-- dimension's unique index on current versions dropped, fillfactor 90 and
-- the table rewritten to it: closing a version is then a HOT update, see
-- docs/facts.md); the twin, made LIKE the dimension, has that layout too.
--
-- Target: dimension_refresh at least 10x faster than the full compare.
\if :{?dim_rows}
\elif :{?rows}
\set dim_rows :rows
\else
\set dim_rows 200000
\endif
-- (BENCH_DIM_SHAPES=scd2_int and BENCH_DIM_REPS=1 run less of it)
\getenv reps BENCH_DIM_REPS
\getenv shapes BENCH_DIM_SHAPES
\if :{?reps} \else \set reps 2 \endif
\if :{?shapes} \else \set shapes 'scd2_int,scd1_text,scd2_int_low' \endif
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 0;   -- both sides single-process

CREATE EXTENSION IF NOT EXISTS dataeng;
SELECT dataeng.dimension_drop('bench_customer_dim') FROM dataeng.dimensions WHERE name = 'bench_customer_dim';
DROP TABLE IF EXISTS bench_customers, bench_customer_snap, bench_customer_dbt, bench_dim_results CASCADE;
DROP PROCEDURE IF EXISTS bench_dim_setup, bench_dim_round, bench_dim_snapshot, bench_dim_dbt;
DROP FUNCTION IF EXISTS bench_dim_cpu_ns();
-- The backend's time on a CPU so far (ns), from Linux's /proc/self/schedstat
-- (not the time it waited for one: the machine may be shared); NULL elsewhere.
CREATE FUNCTION bench_dim_cpu_ns() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT nullif(split_part(coalesce(pg_read_file('/proc/self/schedstat', 0, 200, true), ''), ' ', 1), '')::bigint
$$;
CREATE TABLE bench_dim_results (shape text, size bigint, rep int, what text, secs float8, cpu_s float8,
                                changes bigint, diff bigint, dbt_diff bigint);

-- The customers, and the dimension and its dbt-style twin over them.
CREATE PROCEDURE bench_dim_setup(shape text, size bigint) LANGUAGE plpgsql AS $$
DECLARE
  scd int := CASE WHEN shape LIKE 'scd1%' THEN 1 ELSE 2 END;
  keytype text := CASE WHEN shape LIKE '%text%' THEN 'text' ELSE 'bigint' END;
BEGIN
  PERFORM dataeng.dimension_drop('bench_customer_dim') FROM dataeng.dimensions WHERE name = 'bench_customer_dim';
  DROP TABLE IF EXISTS bench_customers, bench_customer_snap, bench_customer_dbt CASCADE;
  EXECUTE format('CREATE TABLE bench_customers (id %s PRIMARY KEY, name text, email text, city text, '
                 'segment text, notes text, updated_at timestamptz)', keytype);
  EXECUTE format('INSERT INTO bench_customers SELECT %s, ''customer '' || g, ''c'' || g || ''@example.com'', '
                 '''city '' || (hashint8(g) & 1023), ''segment '' || (hashint8(g * 7) & 7), '
                 '''note '' || g, timestamptz ''2025-01-01 00:00+00'' FROM generate_series(1, %s) g',
                 CASE keytype WHEN 'text' THEN '''C'' || lpad(g::text, 9, ''0'')' ELSE 'g' END, size);
  COMMIT;
  PERFORM dataeng.dimension_create('bench_customer_dim', 'bench_customers', 'id',
                                   ARRAY['name', 'email', 'city', 'segment'], scd, schedule => NULL);
  COMMIT;
  IF shape LIKE '%inplace%' THEN
    EXECUTE (SELECT format('DROP INDEX %s', i.indexrelid::regclass) FROM pg_index i
              WHERE i.indrelid = 'bench_customer_dim'::regclass AND i.indpred IS NOT NULL);
    ALTER TABLE bench_customer_dim SET (fillfactor = 90);
    EXECUTE (SELECT format('CLUSTER bench_customer_dim USING %s', i.indexrelid::regclass) FROM pg_index i
              WHERE i.indrelid = 'bench_customer_dim'::regclass AND i.indisprimary);
    COMMIT;
  END IF;
  -- the twin: the same table, loaded the same way
  CREATE TABLE bench_customer_snap (LIKE bench_customer_dim INCLUDING ALL);
  -- (LIKE copies no storage parameters: the dimension's too, its fillfactor)
  PERFORM 1 FROM pg_class c WHERE c.oid = 'bench_customer_dim'::regclass AND c.reloptions IS NOT NULL;
  IF FOUND THEN
    EXECUTE format('ALTER TABLE bench_customer_snap SET (%s)',
                   (SELECT array_to_string(c.reloptions, ', ') FROM pg_class c WHERE c.oid = 'bench_customer_dim'::regclass));
  END IF;
  IF scd = 1 THEN
    INSERT INTO bench_customer_snap SELECT id, name, email, city, segment FROM bench_customers;
  ELSE
    INSERT INTO bench_customer_snap (id, name, email, city, segment, valid_from, valid_to, is_current)
    SELECT id, name, email, city, segment, now(), NULL, true FROM bench_customers;
  END IF;
  COMMIT;
  IF scd = 2 THEN
    -- dbt's first run of a snapshot: CREATE TABLE AS of the source's rows
    CREATE TABLE bench_customer_dbt AS
    SELECT id, name, email, city, segment,
           md5(coalesce(id::text, '') || '|' || coalesce(now()::text, '')) AS dbt_scd_id,
           now() AS dbt_updated_at, now() AS dbt_valid_from, NULL::timestamptz AS dbt_valid_to
      FROM bench_customers;
  ELSE
    CREATE TABLE bench_customer_dbt ();   -- (type 1: not used)
  END IF;
  COMMIT;
  ANALYZE bench_customers;
  ANALYZE bench_customer_dim;
  ANALYZE bench_customer_snap;
  ANALYZE bench_customer_dbt;
END $$;

-- The full compare, as a dbt snapshot (check strategy on every attribute,
-- hard deletes invalidated) or a dbt incremental model (type 1) runs it.
CREATE PROCEDURE bench_dim_snapshot(scd int) LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp.bench_stage;
  EXECUTE format(
   'CREATE TEMP TABLE bench_stage AS
    SELECT coalesce(s.id, x.id) AS id, s.name, s.email, s.city, s.segment,
           CASE WHEN x.id IS NULL THEN ''insert'' WHEN s.id IS NULL THEN ''delete'' ELSE ''update'' END AS kind
      FROM bench_customers s
      FULL JOIN (SELECT id, name, email, city, segment FROM bench_customer_snap %s) x ON x.id = s.id
     WHERE x.id IS NULL OR s.id IS NULL
        OR (s.name, s.email, s.city, s.segment) IS DISTINCT FROM (x.name, x.email, x.city, x.segment)',
   CASE WHEN scd = 2 THEN 'WHERE is_current' ELSE '' END);
  IF scd = 1 THEN
    DELETE FROM bench_customer_snap x USING bench_stage g WHERE g.kind = 'delete' AND x.id = g.id;
    UPDATE bench_customer_snap x SET name = g.name, email = g.email, city = g.city, segment = g.segment
      FROM bench_stage g WHERE g.kind = 'update' AND x.id = g.id;
    INSERT INTO bench_customer_snap SELECT id, name, email, city, segment FROM bench_stage WHERE kind = 'insert';
  ELSE
    UPDATE bench_customer_snap x SET valid_to = now(), is_current = false
      FROM bench_stage g WHERE g.kind IN ('update', 'delete') AND x.id = g.id AND x.is_current;
    INSERT INTO bench_customer_snap (id, name, email, city, segment, valid_from, valid_to, is_current)
    SELECT id, name, email, city, segment, now(), NULL, true FROM bench_stage WHERE kind IN ('insert', 'update');
  END IF;
END $$;

-- The same, as a dbt snapshot (check strategy on the four attributes, hard
-- deletes invalidated) runs it on its own table (see the top).
CREATE PROCEDURE bench_dim_dbt() LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp.bench_dbt_stage;
  CREATE TEMP TABLE bench_dbt_stage AS
  WITH src AS (SELECT id, name, email, city, segment FROM bench_customers),
  cur AS (SELECT *, id AS dbt_unique_key FROM bench_customer_dbt WHERE dbt_valid_to IS NULL),
  ins_src AS (SELECT s.*, s.id AS dbt_unique_key, now() AS dbt_updated_at, now() AS dbt_valid_from,
                     NULL::timestamptz AS dbt_valid_to,
                     md5(coalesce(s.id::text, '') || '|' || coalesce(now()::text, '')) AS dbt_scd_id
                FROM src s),
  upd_src AS (SELECT s.*, s.id AS dbt_unique_key, now() AS dbt_updated_at, now() AS dbt_valid_from,
                     now() AS dbt_valid_to
                FROM src s),
  del_src AS (SELECT s.*, s.id AS dbt_unique_key FROM src s),
  insertions AS (
    SELECT 'insert'::text AS dbt_change_type, n.*
      FROM ins_src n LEFT JOIN cur c ON c.dbt_unique_key = n.dbt_unique_key
     WHERE c.dbt_unique_key IS NULL
        OR (c.name IS DISTINCT FROM n.name OR c.email IS DISTINCT FROM n.email
            OR c.city IS DISTINCT FROM n.city OR c.segment IS DISTINCT FROM n.segment)),
  updates AS (
    SELECT 'update'::text AS dbt_change_type, u.*, c.dbt_scd_id
      FROM upd_src u JOIN cur c ON c.dbt_unique_key = u.dbt_unique_key
     WHERE c.name IS DISTINCT FROM u.name OR c.email IS DISTINCT FROM u.email
        OR c.city IS DISTINCT FROM u.city OR c.segment IS DISTINCT FROM u.segment),
  deletes AS (
    SELECT 'delete'::text AS dbt_change_type, d.id, d.name, d.email, d.city, d.segment,
           c.dbt_unique_key, now() AS dbt_updated_at, now() AS dbt_valid_from, now() AS dbt_valid_to,
           c.dbt_scd_id
      FROM cur c LEFT JOIN del_src d ON d.dbt_unique_key = c.dbt_unique_key
     WHERE d.dbt_unique_key IS NULL)
  SELECT dbt_change_type, id, name, email, city, segment, dbt_unique_key, dbt_updated_at,
         dbt_valid_from, dbt_valid_to, dbt_scd_id FROM insertions
  UNION ALL
  SELECT dbt_change_type, id, name, email, city, segment, dbt_unique_key, dbt_updated_at,
         dbt_valid_from, dbt_valid_to, dbt_scd_id FROM updates
  UNION ALL
  SELECT dbt_change_type, id, name, email, city, segment, dbt_unique_key, dbt_updated_at,
         dbt_valid_from, dbt_valid_to, dbt_scd_id FROM deletes;
  UPDATE bench_customer_dbt t SET dbt_valid_to = g.dbt_valid_to
    FROM bench_dbt_stage g
   WHERE g.dbt_scd_id::text = t.dbt_scd_id::text
     AND g.dbt_change_type::text IN ('update'::text, 'delete'::text)
     AND t.dbt_valid_to IS NULL;
  INSERT INTO bench_customer_dbt (id, name, email, city, segment, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to)
  SELECT id, name, email, city, segment, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to
    FROM bench_dbt_stage WHERE dbt_change_type::text = 'insert'::text;
END $$;

-- One round: 3% of the rows change, then both sides, timed, compared.
CREATE PROCEDURE bench_dim_round(shape text, size bigint, rep int) LANGUAGE plpgsql AS $$
DECLARE
  scd int := CASE WHEN shape LIKE 'scd1%' THEN 1 ELSE 2 END;
  low int := CASE WHEN shape LIKE '%\_low' THEN 10 ELSE 1 END;
  key text := CASE WHEN shape LIKE '%text' THEN '''C'' || lpad(%s::text, 9, ''0'')' ELSE '%s' END;
  -- keys of one kind: k = 4i + kind for random i, so that the kinds never
  -- share a key in one round (a key changed twice between two refreshes
  -- has a version the full compare never sees)
  pick text := '(SELECT %s FROM (SELECT (hashint8(%s * 1000003 + g) & 9223372036854775807) %% (%s / 4) * 4 + %s AS k '
               'FROM generate_series(1, %s) g) p)';
  t0 timestamptz;
  c0 bigint;
  n bigint;
  ndiff bigint;
  cols text := CASE WHEN scd = 1 THEN 'id, name, email, city, segment'
                    ELSE 'id, name, email, city, segment, is_current' END;
BEGIN
  -- 1% tracked, 1% untracked only, 0.5% deleted, 0.5% inserted (past the top)
  EXECUTE format('UPDATE bench_customers SET city = city || '' r%s'' WHERE id IN ' || pick,
                 rep, format(key, 'k'), rep, size, 1, size / 100 / low);
  COMMIT;
  EXECUTE format('UPDATE bench_customers SET notes = notes || '' r%s'', updated_at = now() WHERE id IN ' || pick,
                 rep, format(key, 'k'), rep, size, 2, size / 100 / low);
  COMMIT;
  EXECUTE format('DELETE FROM bench_customers WHERE id IN ' || pick,
                 format(key, 'k'), rep, size, 3, size / 200 / low);
  COMMIT;
  EXECUTE format('INSERT INTO bench_customers SELECT %s, ''customer '' || g, ''c'' || g || ''@example.com'', '
                 '''city '' || (hashint8(g) & 1023), ''segment '' || (hashint8(g * 7) & 7), '
                 '''note '' || g, now() FROM generate_series(%s, %s) g',
                 format(key, 'g'), size * (rep + 1) + 1, size * (rep + 1) + size / 200 / low);
  COMMIT;

  c0 := bench_dim_cpu_ns();
  t0 := clock_timestamp();
  n := dataeng.dimension_refresh('bench_customer_dim');
  COMMIT;
  INSERT INTO bench_dim_results (shape, size, rep, what, secs, cpu_s, changes)
  VALUES (shape, size, rep, 'dimension_refresh', extract(epoch FROM clock_timestamp() - t0),
          (bench_dim_cpu_ns() - c0) / 1e9, n);
  COMMIT;

  c0 := bench_dim_cpu_ns();
  t0 := clock_timestamp();
  CALL bench_dim_snapshot(scd);
  COMMIT;
  INSERT INTO bench_dim_results (shape, size, rep, what, secs, cpu_s)
  VALUES (shape, size, rep, 'full_compare', extract(epoch FROM clock_timestamp() - t0),
          (bench_dim_cpu_ns() - c0) / 1e9);

  IF scd = 2 THEN
    c0 := bench_dim_cpu_ns();
    t0 := clock_timestamp();
    CALL bench_dim_dbt();
    COMMIT;
    INSERT INTO bench_dim_results (shape, size, rep, what, secs, cpu_s)
    VALUES (shape, size, rep, 'dbt_snapshot', extract(epoch FROM clock_timestamp() - t0),
            (bench_dim_cpu_ns() - c0) / 1e9);
    SELECT count(*) INTO ndiff
      FROM ((SELECT id, name, email, city, segment, is_current FROM bench_customer_dim
             EXCEPT ALL SELECT id, name, email, city, segment, dbt_valid_to IS NULL FROM bench_customer_dbt)
            UNION ALL (SELECT id, name, email, city, segment, dbt_valid_to IS NULL FROM bench_customer_dbt
                       EXCEPT ALL SELECT id, name, email, city, segment, is_current FROM bench_customer_dim)) x;
    UPDATE bench_dim_results r SET dbt_diff = ndiff
     WHERE r.shape = bench_dim_round.shape AND r.rep = bench_dim_round.rep AND r.what = 'dimension_refresh';
    COMMIT;
  END IF;

  EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM bench_customer_dim EXCEPT ALL SELECT %1$s FROM bench_customer_snap) '
                 'UNION ALL (SELECT %1$s FROM bench_customer_snap EXCEPT ALL SELECT %1$s FROM bench_customer_dim)) x', cols)
    INTO ndiff;
  UPDATE bench_dim_results r SET diff = ndiff
   WHERE r.shape = bench_dim_round.shape AND r.rep = bench_dim_round.rep AND r.what = 'dimension_refresh';
  COMMIT;
END $$;

SELECT stmt FROM unnest(string_to_array(:'shapes', ',')) WITH ORDINALITY u(s, o),
     LATERAL (SELECT 1 AS k, format('CALL bench_dim_setup(%L, %s)', s, :dim_rows) AS stmt
              UNION ALL SELECT 2, 'VACUUM bench_customers, bench_customer_dim, bench_customer_snap, bench_customer_dbt'
              UNION ALL SELECT 3, 'CHECKPOINT'
              UNION ALL SELECT 3 + r, format('CALL bench_dim_round(%L, %s, %s)', s, :dim_rows, r)
                          FROM generate_series(1, :reps) r) x
 ORDER BY o, k \gexec

\echo '== dimension_refresh vs full compare (dbt snapshot) per shape (median seconds; 3% of the rows changed each round, 0.3% for _low)'
SELECT shape, size AS source_rows, max(changes) AS changes,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'dimension_refresh')::numeric, 4) AS dimension_refresh_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'full_compare')::numeric, 4) AS full_compare_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'full_compare')
              / percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'dimension_refresh'))::numeric, 1) AS ratio,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'dimension_refresh')::numeric, 4) AS refresh_cpu_s,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'full_compare')::numeric, 4) AS compare_cpu_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'full_compare')
              / nullif(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'dimension_refresh'), 0))::numeric, 1) AS cpu_ratio,
       max(diff) AS rows_differing,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'dbt_snapshot')::numeric, 4) AS dbt_snapshot_s,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'dbt_snapshot')
              / percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) FILTER (WHERE what = 'dimension_refresh'))::numeric, 1) AS dbt_ratio,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'dbt_snapshot')
              / nullif(percentile_cont(0.5) WITHIN GROUP (ORDER BY cpu_s) FILTER (WHERE what = 'dimension_refresh'), 0))::numeric, 1) AS dbt_cpu_ratio,
       max(dbt_diff) AS dbt_rows_differing
  FROM bench_dim_results GROUP BY shape, size ORDER BY min(ctid);

SELECT dataeng.dimension_drop('bench_customer_dim');
DROP TABLE bench_customers, bench_customer_snap, bench_customer_dbt, bench_dim_results CASCADE;
DROP PROCEDURE bench_dim_setup, bench_dim_round, bench_dim_snapshot, bench_dim_dbt;
DROP FUNCTION bench_dim_cpu_ns();
