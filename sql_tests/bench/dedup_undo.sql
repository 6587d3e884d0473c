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
DROP TABLE bu;
