-- Benchmark: dedupe() and its undo at scale, whole and in part.  200,000
-- generated customers (BENCH_ROWS, psql variable rows) of which a tenth
-- are copies of another (the name in capitals, a phone the original lacks
-- half of the time): as many clusters of two, half of whose survivors are
-- filled.  Then 100 deleted rows' keys are taken again and 100 filled
-- survivors changed, and dedupe_undo_clusters() undoes every other
-- cluster, reporting those 200; they are freed and undone in a second
-- call; a single cluster is undone alone (dedupe_undo(run, '{n}')) on a
-- second run, then the rest; a third run is undone whole in one pass
-- (dedupe_undo(run_id), no cluster undone before).  The anchor: the
-- deleted rows inserted back from the log by plain SQL (INSERT ... SELECT
-- jsonb_populate_record), without any check.
--
-- Then the unique index shapes, side by side on a fourth run (each row
-- given a code of its own and an active flag, 4 in 5 of the originals
-- active): dedupe_undo_clusters() with 100 deleted rows' keys taken again
-- through the index, spread among the clusters (every 200th), and 100
-- filled survivors changed, for each shape of unique index on code:
--   plain    UNIQUE (code)
--   lower    UNIQUE (lower(code)), the keys taken in capitals
--   partial  UNIQUE (code) WHERE active
-- each round rolled back and the table vacuumed before the next, the
-- shapes in turn and in reverse the next round (-v reps=N rounds, default
-- 2; -v undo_shapes=plain,lower), the backend's CPU time beside the
-- elapsed time (from /proc/self/schedstat; NULL elsewhere), and each
-- shape's CPU time as a multiple of the plain index's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET jit = off;
\if :{?rows}
\else
\set rows 200000
\endif
SELECT (:rows * 9 / 10) AS originals \gset

CREATE TABLE bu (id int PRIMARY KEY, name text, email text, phone text, city text, birth_date date);
INSERT INTO bu
SELECT g, initcap(substr(md5('f' || g), 1, 6)) || ' ' || initcap(substr(md5('l' || g), 1, 9)),
       substr(md5('e' || g), 1, 10) || '@example.com',
       CASE WHEN g % 2 = 0 THEN NULL ELSE '+1 555 ' || lpad(g::text, 7, '0') END,
       (ARRAY['Boston', 'Denver', 'Austin', 'Miami', 'Omaha', 'Tucson', 'Fresno', 'Dallas'])[1 + g % 8],
       date '1940-01-01' + (g * 37) % 25000
  FROM generate_series(1, :originals) g;
INSERT INTO bu
SELECT 10000000 + id, upper(name), email, coalesce(phone, '+1 555 ' || lpad(id::text, 7, '0')), city, birth_date
  FROM bu WHERE id % 9 = 1;
VACUUM ANALYZE bu;
SELECT count(*) AS rows, count(*) FILTER (WHERE id >= 10000000) AS copies FROM bu;

-- dedupe
SELECT clock_timestamp() AS t0 \gset
SELECT run_id, clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('bu', '{name,email,phone,city,birth_date}', keep => 'first', order_by => 'id', fill_nulls => true) \gset
SELECT :run_id AS run_id, :clusters AS clusters, :rows_deleted AS rows_deleted, :rows_filled AS rows_filled,
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2) AS dedupe_s;

-- anchor: the deleted rows inserted back by plain SQL into an empty copy
CREATE TABLE bu_anchor (LIKE bu INCLUDING ALL);
SELECT clock_timestamp() AS t0 \gset
INSERT INTO bu_anchor SELECT p.* FROM dataeng.dedupe_log l, jsonb_populate_record(NULL::bu, l.old_row) p
 WHERE l.run_id = :run_id AND l.action = 'deleted';
SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 3) AS anchor_s \gset
DROP TABLE bu_anchor;

-- 100 keys taken again, 100 filled survivors changed
INSERT INTO bu (id, name)
SELECT (l.old_row->>'id')::int, 'someone else' FROM dataeng.dedupe_log l
 WHERE l.run_id = :run_id AND l.action = 'deleted' ORDER BY l.cluster_id LIMIT 100;
UPDATE bu SET city = 'Rome' WHERE id IN (
  SELECT (l.new_row->>'id')::int FROM dataeng.dedupe_log l
   WHERE l.run_id = :run_id AND l.action = 'filled' ORDER BY l.cluster_id DESC LIMIT 100);

-- every cluster that can be undone, the 200 others reported
SELECT clock_timestamp() AS t0 \gset
CREATE TEMP TABLE report AS SELECT * FROM dataeng.dedupe_undo_clusters(:run_id);
SELECT count(*) FILTER (WHERE undone) AS undone, count(*) FILTER (WHERE NOT undone) AS reported,
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2) AS undo_s,
       round((extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) / :anchor_s)::numeric, 1) AS x_anchor
  FROM report;
SELECT sqlstate, count(*) FROM report WHERE NOT undone GROUP BY 1 ORDER BY 1;

-- freed, the rest undone
DELETE FROM bu WHERE name = 'someone else';
UPDATE bu t SET city = (l.new_row->>'city') FROM dataeng.dedupe_log l
 WHERE l.run_id = :run_id AND l.action = 'filled' AND t.id = (l.new_row->>'id')::int AND t.city = 'Rome';
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FILTER (WHERE undone) AS undone, count(*) FILTER (WHERE NOT undone) AS reported,
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2) AS rest_s
  FROM dataeng.dedupe_undo_clusters(:run_id);
SELECT count(*) AS rows, (SELECT undone_at IS NOT NULL FROM dataeng.dedupe_runs WHERE run_id = :run_id) AS run_undone FROM bu;

-- a second run: one cluster undone alone, then the rest all or nothing
SELECT run_id FROM dataeng.dedupe('bu', '{name,email,phone,city,birth_date}', keep => 'first', order_by => 'id', fill_nulls => true) \gset
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.dedupe_undo(:run_id, '{2}') AS restored,
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 3) AS one_cluster_s;
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.dedupe_undo(:run_id) AS restored,
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2) AS undo_rest_s;
SELECT round(:anchor_s, 3) AS anchor_s, count(*) AS rows FROM bu;

-- a third run undone whole by dedupe_undo(run_id), none of its clusters
-- undone before: the one pass
SELECT run_id FROM dataeng.dedupe('bu', '{name,email,phone,city,birth_date}', keep => 'first', order_by => 'id', fill_nulls => true) \gset
SELECT clock_timestamp() AS t0 \gset
SELECT dataeng.dedupe_undo(:run_id) AS restored,
       round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2) AS whole_undo_s;
SELECT count(*) AS rows FROM bu;

-- the unique index shapes, on a fourth run
\if :{?reps} \else \set reps 2 \endif
\if :{?undo_shapes} \else \set undo_shapes 'plain,lower,partial' \endif
ALTER TABLE bu ADD COLUMN code text, ADD COLUMN active boolean;
UPDATE bu SET code = 'c' || id, active = id % 5 <> 0 OR id >= 10000000;
VACUUM ANALYZE bu;
SELECT run_id AS shape_run FROM dataeng.dedupe('bu', '{name,email,phone,city,birth_date}', keep => 'first', order_by => 'id', fill_nulls => true) \gset
CREATE TABLE bu_shape_results (shape text, rep int, undone bigint, reported bigint, taken bigint, secs float8, cpu_s float8);
CREATE PROCEDURE bu_shape_round(shape text, run bigint, rep int) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  c0 bigint;
  secs float8;
  cpu float8;
  u bigint;
  rp bigint;
  tk bigint;
BEGIN
  EXECUTE CASE shape WHEN 'plain' THEN 'CREATE UNIQUE INDEX bu_code ON bu (code)'
                     WHEN 'lower' THEN 'CREATE UNIQUE INDEX bu_code ON bu (lower(code))'
                     WHEN 'partial' THEN 'CREATE UNIQUE INDEX bu_code ON bu (code) WHERE active' END;
  INSERT INTO bu (id, name, code, active)
  SELECT 20000000 + l.cluster_id::int, 'someone else',
         CASE WHEN shape = 'lower' THEN upper(l.old_row->>'code') ELSE l.old_row->>'code' END, true
    FROM dataeng.dedupe_log l
   WHERE l.run_id = run AND l.action = 'deleted' AND l.cluster_id % 200 = 7;
  UPDATE bu SET city = 'Rome' WHERE id IN (
    SELECT (l.new_row->>'id')::int FROM dataeng.dedupe_log l
     WHERE l.run_id = run AND l.action = 'filled' ORDER BY l.cluster_id DESC LIMIT 100);
  c0 := split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint;
  t0 := clock_timestamp();
  SELECT count(*) FILTER (WHERE x.undone), count(*) FILTER (WHERE NOT x.undone), count(*) FILTER (WHERE x.sqlstate = '23505')
    INTO u, rp, tk FROM dataeng.dedupe_undo_clusters(run) x;
  secs := extract(epoch FROM clock_timestamp() - t0);
  cpu := (split_part(pg_read_file('/proc/self/schedstat', 0, 200, true), ' ', 1)::bigint - c0) / 1e9;
  ROLLBACK;  -- (the run, the table and the log as they were, for the next)
  INSERT INTO bu_shape_results VALUES (shape, rep, u, rp, tk, secs, cpu);
  COMMIT;
END $$;
SELECT stmt FROM generate_series(1, :reps) r,
     LATERAL unnest(string_to_array(:'undo_shapes', ',')) WITH ORDINALITY u(s, o),
     LATERAL (SELECT 1 AS k, format('CALL bu_shape_round(%L, %s, %s)', s, :shape_run, r) AS stmt
              UNION ALL SELECT 2, 'VACUUM bu') x
 ORDER BY r, CASE WHEN r % 2 = 1 THEN o ELSE -o END, k \gexec
\echo '== dedupe_undo_clusters() by shape of unique index (the keys of every 200th cluster taken through it, 100 survivors changed; mean of the rounds)'
SELECT shape, min(undone) AS undone, min(reported) AS reported, min(taken) AS taken, count(*) AS rounds,
       round(avg(secs)::numeric, 2) AS undo_s, round(avg(cpu_s)::numeric, 2) AS cpu_s,
       round((avg(cpu_s) / (SELECT avg(p.cpu_s) FROM bu_shape_results p WHERE p.shape = 'plain'))::numeric, 2) AS x_plain_cpu
  FROM bu_shape_results GROUP BY shape ORDER BY min(ctid);
DROP PROCEDURE bu_shape_round;
DROP TABLE bu_shape_results;
DROP TABLE bu;
