-- Benchmark: the peak memory of dataeng.dedupe() as its table grows 10x.
-- Two tables of generated customers (10% entered twice: the same email,
-- the name typed otherwise), of :small and 10 x :small rows; each is
-- deduplicated in a fresh backend, which then reads its own peak resident
-- memory (VmHWM) and the shared memory it mapped (RssShmem: shared buffers
-- it touched, which grow with the table and are not its own) from
-- /proc/self/status.  Private peak = VmHWM - RssShmem.  Target: the private
-- peak of the 10x table within 1.5x of the small one's (work grows, memory
-- does not: rows and pairs live in temporary tables, sorts and tuplestores
-- spill past work_mem, cluster labels spill to a temporary file).  JIT is
-- off: the first query a backend compiles loads LLVM (about 70 MB, once,
-- whatever the size), which only the larger table's costs trigger.  The
-- settings that bound the memory are set low (work_mem 1MB, temp_buffers
-- 1MB, default_statistics_target 10: ANALYZE of the temporary tables samples
-- 300 rows per unit) so that both tables reach them: below them, a smaller
-- table simply uses less.
--   BENCH=dedup_memory make bench          (small = 20,000 rows)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\if :{?small} \else \set small 20000 \endif

CREATE FUNCTION pg_temp.make_customers(tbl text, n int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, name text, email text, city text)', tbl);
  EXECUTE format($q$
    INSERT INTO %I
    SELECT g, initcap(substr(md5('f' || g), 1, 6)) || ' ' || initcap(substr(md5('l' || g), 1, 8)),
           substr(md5('e' || g), 1, 10) || '@example.com',
           (ARRAY['Paris','Lyon','Nice','Lille','Rennes','Brest','Nantes','Metz'])[1 + g %% 8]
      FROM generate_series(1, %s) g
    UNION ALL
    SELECT %s + g, upper(initcap(substr(md5('f' || g), 1, 6)) || ' ' || initcap(substr(md5('l' || g), 1, 8))),
           substr(md5('e' || g), 1, 10) || '@example.com',
           (ARRAY['Paris','Lyon','Nice','Lille','Rennes','Brest','Nantes','Metz'])[1 + g %% 8]
      FROM generate_series(1, %s / 10) g$q$, tbl, n - n / 10, n, n);
  EXECUTE format('ANALYZE %I', tbl);
END $$;
SELECT pg_temp.make_customers('mem_small', :small);
SELECT pg_temp.make_customers('mem_large', 10 * :small);
CREATE TABLE mem_results (rows bigint, seconds numeric, deleted bigint, peak_kb bigint, shared_kb bigint);

\connect
SET client_min_messages = warning;
SET jit = off;
SET work_mem = '1MB';
SET temp_buffers = '1MB';
SET default_statistics_target = 10;
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
CREATE TEMP TABLE d AS SELECT * FROM dataeng.dedupe('mem_small', '{name,email,city}');
INSERT INTO mem_results
  SELECT (SELECT count(*) FROM mem_small) + (SELECT rows_deleted FROM d),
         round(extract(epoch FROM clock_timestamp() - (SELECT t FROM t0))::numeric, 1),
         (SELECT rows_deleted FROM d),
         substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::bigint,
         substring(pg_read_file('/proc/self/status') FROM 'RssShmem:\s+(\d+)')::bigint;

\connect
SET client_min_messages = warning;
SET jit = off;
SET work_mem = '1MB';
SET temp_buffers = '1MB';
SET default_statistics_target = 10;
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
CREATE TEMP TABLE d AS SELECT * FROM dataeng.dedupe('mem_large', '{name,email,city}');
INSERT INTO mem_results
  SELECT (SELECT count(*) FROM mem_large) + (SELECT rows_deleted FROM d),
         round(extract(epoch FROM clock_timestamp() - (SELECT t FROM t0))::numeric, 1),
         (SELECT rows_deleted FROM d),
         substring(pg_read_file('/proc/self/status') FROM 'VmHWM:\s+(\d+)')::bigint,
         substring(pg_read_file('/proc/self/status') FROM 'RssShmem:\s+(\d+)')::bigint;

SELECT rows, seconds, deleted, peak_kb, shared_kb, peak_kb - shared_kb AS private_peak_kb,
       current_setting('work_mem') AS work_mem FROM mem_results ORDER BY rows;
SELECT round((max(peak_kb - shared_kb) FILTER (WHERE rows > :small))::numeric
             / (max(peak_kb - shared_kb) FILTER (WHERE rows <= :small)), 2) AS private_peak_ratio_10x,
       (max(peak_kb - shared_kb) FILTER (WHERE rows > :small))
         <= 1.5 * (max(peak_kb - shared_kb) FILTER (WHERE rows <= :small)) AS flat
  FROM mem_results;
SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs WHERE table_name::text IN ('mem_small', 'mem_large');
DROP TABLE mem_small, mem_large, mem_results;
