-- Benchmark: putting :release_rows quarantined rows back (default 50,000)
-- with dataeng.quarantine_release_all(), against the anchor of
-- dataeng.quarantine_release() called row by row (timed on a sample of
-- :one_rows rows, :one_rows_scan for rows of UPDATEs in a table without an
-- index, and scaled to all of them), in a table of twice as many rows:
--   validated   rows validate(quarantine => true) moved out
--   updates     rows the guard diverted from UPDATEs (the old rows deleted
--               since), the table without an index
--   updates_idx the same, the table with an index on its key column
-- Each figure is taken in a subtransaction rolled back, so that each
-- release starts from the same quarantine.  Target: release_all costs
-- less than a tenth of the calls one by one.
--   BENCH=quarantine_release BENCH_VARS="release_rows=50000 one_rows=500 one_rows_scan=50" make bench
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET max_parallel_workers_per_gather = 0;
SET jit = off;
\if :{?release_rows}
\else
\set release_rows 50000
\endif
\if :{?one_rows}
\else
\set one_rows 500
\endif
\if :{?one_rows_scan}
\else
\set one_rows_scan 50
\endif

-- seconds a statement takes, its work rolled back
CREATE FUNCTION bench_qr_time(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  secs float8;
BEGIN
  BEGIN
    t0 := clock_timestamp();
    EXECUTE q;
    secs := extract(epoch FROM clock_timestamp() - t0);
    RAISE EXCEPTION 'bench rollback';
  EXCEPTION WHEN raise_exception THEN
    IF SQLERRM <> 'bench rollback' THEN
      RAISE;
    END IF;
  END;
  RETURN secs;
END $$;

CREATE TABLE bench_qv (id int PRIMARY KEY, email text, pad text);
INSERT INTO bench_qv SELECT g, CASE WHEN g % 2 = 0 THEN 'user' || g || '@@example.com' ELSE 'user' || g || '@example.com' END,
                            repeat('x', 40)
  FROM generate_series(1, 2 * :release_rows) g;
CREATE TABLE bench_qu (id int, v int, pad text);
INSERT INTO bench_qu SELECT g, g, repeat('x', 40) FROM generate_series(1, 2 * :release_rows) g;
CREATE TABLE bench_qi (id int, v int, pad text);
INSERT INTO bench_qi SELECT g, g, repeat('x', 40) FROM generate_series(1, 2 * :release_rows) g;
CREATE INDEX ON bench_qi (id);
\o /dev/null
SELECT dataeng.rule_add('bench_qv', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT dataeng.rule_add('bench_qu', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.rule_add('bench_qi', 'v positive', 'range', 'v', '{"min": 0}');
SELECT * FROM dataeng.validate('bench_qv', quarantine => true);
SELECT dataeng.guard_enable('bench_qu', 'quarantine');
SELECT dataeng.guard_enable('bench_qi', 'quarantine');
\o
UPDATE bench_qu SET v = -v WHERE id % 2 = 0;
UPDATE bench_qi SET v = -v WHERE id % 2 = 0;
DELETE FROM bench_qu WHERE id % 2 = 0;
DELETE FROM bench_qi WHERE id % 2 = 0;
VACUUM ANALYZE bench_qv, bench_qu, bench_qi, dataeng.quarantine;

CREATE TEMP TABLE t (shape text, what text, n int, secs float8);
INSERT INTO t
SELECT s.shape, 'one by one', s.n,
       bench_qr_time(format('SELECT count(dataeng.quarantine_release(quarantine_id, %L)) FROM '
                            '(SELECT quarantine_id FROM dataeng.quarantine WHERE table_name = %L::regclass '
                            'ORDER BY quarantine_id LIMIT %s) s', s.fix, s.tbl, s.n))
  FROM (VALUES ('validated', 'bench_qv', '{"email": "fixed@example.com"}', :one_rows),
               ('updates', 'bench_qu', '{"v": 1}', :one_rows_scan),
               ('updates_idx', 'bench_qi', '{"v": 1}', :one_rows)) s(shape, tbl, fix, n);
INSERT INTO t
SELECT s.shape, 'release_all', :release_rows,
       bench_qr_time(format('SELECT * FROM dataeng.quarantine_release_all(%L, corrected => %L)', s.tbl, s.fix))
  FROM (VALUES ('validated', 'bench_qv', '{"email": "fixed@example.com"}'),
               ('updates', 'bench_qu', '{"v": 1}'),
               ('updates_idx', 'bench_qi', '{"v": 1}')) s(shape, tbl, fix);

\echo 'Quarantine release: seconds for all the rows (one by one: a sample, scaled)'
SELECT a.shape, a.n AS rows, round(a.secs::numeric, 2) AS release_all_s,
       o.n AS sample, round((o.secs * a.n / o.n)::numeric, 1) AS one_by_one_s,
       round((a.secs / (o.secs * a.n / o.n))::numeric, 4) AS ratio,
       CASE WHEN a.secs < o.secs * a.n / o.n / 10 THEN 'met' ELSE 'MISSED' END AS target_lt_tenth
  FROM t a JOIN t o ON o.shape = a.shape AND o.what = 'one by one'
 WHERE a.what = 'release_all'
 ORDER BY a.shape;

DROP FUNCTION bench_qr_time(text);
DROP TABLE bench_qv, bench_qu, bench_qi;
DROP EXTENSION dataeng;
