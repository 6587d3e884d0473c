-- Benchmark: logical decoding throughput of the dataeng output plugin.
--
-- The same workload (INSERT, UPDATE, DELETE of :rows rows of a six-column
-- table: 3 x :rows changes, each statement one transaction) is decoded
-- through slots of test_decoding, wal2json (format-version 2), pgoutput and
-- dataeng (native JSON, and format=debezium), created before the workload.
-- Each slot is read with pg_logical_slot_peek_changes (pgoutput: the binary
-- variant), :reps times (default 5) round robin; medians are reported.
-- Target: dataeng's JSON at least 1.5x wal2json's throughput.
-- wal2json is skipped with a message when it is not installed (run.sh sets
-- :wal2json).
\if :{?reps} \else \set reps 5 \endif
\if :{?wal2json} \else \set wal2json off \endif
SET client_min_messages = warning;
SET synchronous_commit = on;

CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE TABLE bench_dec (id int PRIMARY KEY, customer_id int, amount numeric(12,2),
                        status text, note text, created_at timestamptz);
CREATE PUBLICATION bench_dec_pub FOR TABLE bench_dec;
CREATE TABLE bench_dec_results (plugin text, rep int, secs float8, records bigint, bytes bigint);
CREATE TABLE bench_dec_plugins (plugin text PRIMARY KEY, slot text, call text, ord int);
INSERT INTO bench_dec_plugins VALUES
  ('test_decoding', 'bench_dec_td', 'pg_logical_slot_peek_changes(%L, NULL, NULL)', 1),
  ('pgoutput', 'bench_dec_po',
   'pg_logical_slot_peek_binary_changes(%L, NULL, NULL, ''proto_version'', ''1'', ''publication_names'', ''bench_dec_pub'')', 3),
  ('dataeng', 'bench_dec_de', 'pg_logical_slot_peek_changes(%L, NULL, NULL)', 4),
  ('dataeng debezium', 'bench_dec_de', 'pg_logical_slot_peek_changes(%L, NULL, NULL, ''format'', ''debezium'')', 5);
\if :wal2json
INSERT INTO bench_dec_plugins VALUES
  ('wal2json', 'bench_dec_wj', 'pg_logical_slot_peek_changes(%L, NULL, NULL, ''format-version'', ''2'')', 2);
\else
\echo 'wal2json is not installed (Debian: postgresql-15-wal2json): skipped'
\endif
\o /dev/null
SELECT pg_create_logical_replication_slot(slot, CASE plugin WHEN 'dataeng debezium' THEN 'dataeng' ELSE plugin END)
  FROM (SELECT DISTINCT ON (slot) slot, plugin FROM bench_dec_plugins ORDER BY slot, ord) s;
\o

INSERT INTO bench_dec
  SELECT g, g % 997, (g % 100000) / 100.0, 'new', 'order number ' || g,
         timestamptz '2026-01-01' + g * interval '1 second'
    FROM generate_series(1, :rows) g;
UPDATE bench_dec SET amount = amount + 1, status = 'paid';
DELETE FROM bench_dec;
CHECKPOINT;

CREATE PROCEDURE bench_dec_one(p text, rep int) LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
  b bigint;
  q text;
BEGIN
  SELECT format('SELECT count(*), sum(octet_length(data)) FROM ' || call, slot) INTO q
    FROM bench_dec_plugins WHERE plugin = p;
  t0 := clock_timestamp();
  EXECUTE q INTO n, b;
  INSERT INTO bench_dec_results VALUES (p, rep, extract(epoch FROM clock_timestamp() - t0), n, b);
  COMMIT;
END $$;

-- the order rotates from run to run, so that no plugin always follows the same one
SELECT format('CALL bench_dec_one(%L, %s)', plugin, r)
  FROM generate_series(1, :reps) r, bench_dec_plugins
 ORDER BY r, (ord + r) % 5 \gexec

\echo
\echo 'Decoding' :rows 'inserts, updates and deletes (median of runs)'
WITH med AS (
  SELECT plugin, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs,
         max(records) AS records, max(bytes) AS bytes
    FROM bench_dec_results GROUP BY plugin
)
SELECT m.plugin, round(m.secs::numeric, 3) AS secs, m.records,
       round(m.bytes / 1048576.0, 1) AS mb,
       round(3 * :rows / m.secs) AS changes_per_s
  FROM med m JOIN bench_dec_plugins p USING (plugin)
 ORDER BY p.ord;
\if :wal2json
\echo 'dataeng vs wal2json format-version 2 (throughput ratio, target >= 1.5)'
WITH med AS (
  SELECT plugin, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs
    FROM bench_dec_results GROUP BY plugin
)
SELECT round((w.secs / d.secs)::numeric, 2) AS dataeng_vs_wal2json,
       round((w.secs / z.secs)::numeric, 2) AS debezium_vs_wal2json,
       CASE WHEN w.secs / d.secs >= 1.5 THEN 'met' ELSE 'MISSED' END AS target
  FROM med d, med w, med z
 WHERE d.plugin = 'dataeng' AND w.plugin = 'wal2json' AND z.plugin = 'dataeng debezium';
\endif

\o /dev/null
SELECT pg_drop_replication_slot(slot) FROM (SELECT DISTINCT slot FROM bench_dec_plugins) s;
DROP PUBLICATION bench_dec_pub;
DROP TABLE bench_dec, bench_dec_results, bench_dec_plugins;
DROP PROCEDURE bench_dec_one;
\o
