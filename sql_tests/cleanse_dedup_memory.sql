-- Duplicate records in bounded memory: center clustering keeps its labels in
-- memory up to work_mem and in a temporary file beyond, with the same
-- result; _dedup_as hands the rows a change returns to a tuplestore.
\set VERBOSITY terse
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

-- 30,000 pairs over 40,000 rows, best first along a chain (1-2, 2-3, ...),
-- then pairs linking the chain's rows to 10,000 others
CREATE TEMP TABLE mem_pairs (a bigint, b bigint, prob float8);
INSERT INTO mem_pairs SELECT g, g + 1, 1 - g * 1e-6 FROM generate_series(1, 20000) g;
INSERT INTO mem_pairs SELECT g, 30000 + g, 0.5 FROM generate_series(1, 10000) g;
SET work_mem = '4MB';
CREATE TEMP TABLE in_memory AS SELECT * FROM dataeng_internal._dedup_centers('mem_pairs');
-- 64 kB hold 8,192 labels: the 30,000 rows' labels spill to a file
SET work_mem = '64kB';
CREATE TEMP TABLE spilled AS SELECT * FROM dataeng_internal._dedup_centers('mem_pairs');
RESET work_mem;
SELECT (SELECT count(*) FROM in_memory) AS rows_clustered,
       (SELECT count(DISTINCT label) FROM in_memory) AS clusters,
       (SELECT count(*) FROM ((TABLE in_memory EXCEPT ALL TABLE spilled)
                              UNION ALL (TABLE spilled EXCEPT ALL TABLE in_memory)) d) AS differences;
-- the chain pairs up (1-2, 3-4, ...), each odd row its center; every other
-- row of the second set joins the center it is paired with
SELECT count(*) FILTER (WHERE id <= 20001 AND id % 2 = 1 AND label = id) AS chain_centers,
       count(*) FILTER (WHERE id <= 20001 AND id % 2 = 0 AND label = id - 1) AS chain_members,
       count(*) FILTER (WHERE id > 30000 AND label = id - 30000) AS joined
  FROM spilled;

-- dedupe of a table whose deleted rows outgrow work_mem, logged exactly
CREATE TABLE mem_people (id int PRIMARY KEY, email text, note text);
INSERT INTO mem_people SELECT g, 'p' || (g % 3000) || '@example.com', repeat('x', 200) FROM generate_series(1, 9000) g;
SET work_mem = '64kB';
SELECT clusters, rows_deleted FROM dataeng.dedupe('mem_people', '{email}', keep => 'first', order_by => 'id');
RESET work_mem;
SELECT count(*) AS rows_left, min(id), max(id) FROM mem_people;
SELECT count(*) AS logged, count(DISTINCT (old_row->>'id')::int) AS distinct_rows,
       bool_and((old_row->>'id')::int > 3000) AS all_later_copies
  FROM dataeng.dedupe_log;

DROP TABLE mem_pairs, in_memory, spilled, mem_people;
DROP EXTENSION dataeng;
