-- A load from a large table says so as it begins (a NOTICE with about how
-- many rows it reads): fact_create's backfill, fact_rebuild,
-- dimension_create and a consumer's initial snapshot ran silently for
-- minutes, writers of the table waiting.  The size is the catalogs'
-- estimate (dataeng_internal._rows_estimate()), faked here past the
-- threshold (1,000,000 rows) on a small table.
CREATE EXTENSION dataeng;

CREATE TABLE ll_small (id int PRIMARY KEY, at timestamptz NOT NULL, g text, v int);
INSERT INTO ll_small SELECT i, '2026-01-01'::timestamptz + i * interval '1 hour', 'g' || i % 3, i
  FROM generate_series(1, 100) i;
CREATE TABLE ll_big (LIKE ll_small INCLUDING ALL);
INSERT INTO ll_big SELECT * FROM ll_small;
ANALYZE ll_small, ll_big;
-- ll_big: as many rows per page as 2,500,000 rows in its one page
UPDATE pg_class SET reltuples = 2500000 * relpages WHERE oid = 'll_big'::regclass;
SELECT dataeng_internal._rows_estimate('ll_small') AS small, dataeng_internal._rows_estimate('ll_big') AS big;

-- a small source: nothing said
SELECT dataeng.fact_create('ll_small_f', 'll_small', 'at', 'day', '{g}', '{count(*), sum(v)}', schedule => NULL);
SELECT dataeng.dimension_create('ll_small_d', 'll_small', 'id', '{g}', schedule => NULL);
SELECT dataeng.cdc_consumer_create('ll_small_c', '{ll_small}', snapshot => true);
SELECT dataeng.fact_rebuild('ll_small_f');

-- a large one: each load says what it reads, and what writers do meanwhile
SELECT dataeng.fact_create('ll_big_f', 'll_big', 'at', 'day', '{g}', '{count(*), sum(v)}', schedule => NULL);
SELECT dataeng.fact_rebuild('ll_big_f');
SELECT dataeng.dimension_create('ll_big_d', 'll_big', 'id', '{g}', scd_type => 2, schedule => NULL);
SELECT dataeng.cdc_consumer_create('ll_big_c', '{ll_small,ll_big}', snapshot => true);
-- backfill => 'later' loads nothing now
SELECT dataeng.fact_create('ll_big_later', 'll_big', 'at', 'day', '{g}', '{count(*)}', schedule => NULL,
                           backfill => 'later');
-- what was loaded is the same either way
SELECT (SELECT sum(count) FROM ll_big_f) AS fact_rows, (SELECT count(*) FROM ll_big_d) AS dim_rows,
       (SELECT count(*) FROM dataeng.cdc_poll('ll_big_c', 1000)) AS snapshot_rows;

-- a table never analyzed: its pages and the width of its columns
CREATE TABLE ll_fresh (a int, b bigint);
SELECT dataeng_internal._rows_estimate('ll_fresh') AS empty;
INSERT INTO ll_fresh SELECT i, i FROM generate_series(1, 20000) i;
SELECT dataeng_internal._rows_estimate('ll_fresh') BETWEEN 10000 AND 40000 AS about_right;
-- a partitioned table: its partitions together
CREATE TABLE ll_parts (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE ll_parts_1 PARTITION OF ll_parts FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE ll_parts_2 PARTITION OF ll_parts FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
INSERT INTO ll_parts SELECT i, '2026-01-01'::date + i % 50 FROM generate_series(1, 10000) i;
ANALYZE ll_parts;
SELECT dataeng_internal._rows_estimate('ll_parts') AS parts, dataeng_internal._rows_estimate('ll_parts_1') AS part_1;
-- a view has no rows of its own
CREATE VIEW ll_view AS SELECT * FROM ll_small;
SELECT dataeng_internal._rows_estimate('ll_view') AS view_rows;

SELECT dataeng.cdc_consumer_drop(c) FROM unnest('{ll_small_c,ll_big_c}'::text[]) c;
SELECT dataeng.fact_drop(f) FROM unnest('{ll_small_f,ll_big_f,ll_big_later}'::text[]) f;
SELECT dataeng.dimension_drop(d) FROM unnest('{ll_small_d,ll_big_d}'::text[]) d;
DROP VIEW ll_view;
DROP TABLE ll_small, ll_big, ll_fresh, ll_parts;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
