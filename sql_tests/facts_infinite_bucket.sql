-- The rows of an infinite bucket re-read through an index on the time
-- column.  A bucket's rows were read by a range from the bucket's first
-- instant to the next bucket's (_fact_bucket_rows): for the bucket
-- 'infinity' (or '-infinity') that range, from infinity to infinity,
-- holds no row, so the buckets path deleted the group and put nothing
-- back (a fact of 3 buckets left with 1 after an update of a float8 in
-- the infinite ones: "buckets: 2 re-aggregated, 0 groups"), and the
-- recompute of such a group found no row.  Now an infinite bucket is
-- read at its infinity.
SET client_min_messages = warning;
CREATE EXTENSION dataeng CASCADE;
SET TimeZone = 'America/St_Johns';
CREATE TABLE ib_src (id int PRIMARY KEY, at timestamptz, d date, ts timestamp, f float8, x text);
CREATE INDEX ON ib_src (at);
CREATE INDEX ON ib_src (d);
CREATE INDEX ON ib_src (ts);
INSERT INTO ib_src VALUES
  (1, 'infinity', 'infinity', 'infinity', 1, 'a'), (2, 'infinity', 'infinity', 'infinity', 2, 'b'),
  (3, '-infinity', '-infinity', '-infinity', 3, 'c'), (4, '-infinity', '-infinity', '-infinity', 4, 'd'),
  (5, NULL, NULL, NULL, 5, 'e');
-- (rows in other buckets, for the index to serve a bucket)
INSERT INTO ib_src SELECT i, '2026-01-01 00:00+00'::timestamptz + i * interval '1 hour',
                          '2026-01-01'::date + i / 24, '2026-01-01'::timestamp + i * interval '1 hour', i, md5(i::text)
  FROM generate_series(6, 3000) i;
ANALYZE ib_src;
SELECT dataeng.fact_create('ib_tz', 'ib_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(f)', 'max(x)'], schedule => NULL),
       dataeng.fact_create('ib_date', 'ib_src', 'd', 'month', '{}', ARRAY['count(*)', 'sum(f)', 'max(x)'], schedule => NULL),
       dataeng.fact_create('ib_ts', 'ib_src', 'ts', 'week', '{}', ARRAY['count(*)', 'sum(f)', 'max(x)'], schedule => NULL);
ANALYZE ib_tz_data, ib_date_data, ib_ts_data;
CREATE FUNCTION ib_diff(fact text, truth text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
BEGIN
  EXECUTE format('SELECT (SELECT count(*) FROM (SELECT * FROM %1$I EXCEPT ALL %2$s) a)
                       + (SELECT count(*) FROM (%2$s EXCEPT ALL SELECT * FROM %1$I) b)', fact, truth) INTO n;
  RETURN n;
END;
$$;
CREATE VIEW ib_check AS
SELECT f.name, f.last_refresh_path,
       ib_diff(f.name, CASE f.name
         WHEN 'ib_tz' THEN 'SELECT date_trunc(''day'', at, ''America/St_Johns''), count(*), sum(f), max(x) FROM ib_src GROUP BY 1'
         WHEN 'ib_date' THEN 'SELECT date_trunc(''month'', d)::date, count(*), sum(f), max(x) FROM ib_src GROUP BY 1'
         ELSE 'SELECT date_trunc(''week'', ts), count(*), sum(f), max(x) FROM ib_src GROUP BY 1' END) AS diff
  FROM dataeng.facts f WHERE f.name LIKE 'ib\_%' ORDER BY f.name;
SELECT name, diff FROM ib_check;
-- a float sum changed in both infinite buckets: they are aggregated again
UPDATE ib_src SET f = 10 WHERE id IN (2, 4);
SELECT dataeng.fact_refresh(n) FROM unnest(ARRAY['ib_date', 'ib_ts', 'ib_tz']) n;
SELECT * FROM ib_check;
SELECT bucket, count, sum_f, max_x FROM ib_tz WHERE NOT isfinite(bucket) ORDER BY bucket;
-- the groups recomputed from their rows
SET dataeng.fact_refresh_path = 'delta';
UPDATE ib_src SET f = 20, x = '' WHERE id IN (1, 3);
SELECT dataeng.fact_refresh(n) FROM unnest(ARRAY['ib_date', 'ib_ts', 'ib_tz']) n;
SELECT * FROM ib_check;
-- a row leaving an infinite bucket, another coming from a finite one
SET dataeng.fact_refresh_path = 'buckets';
UPDATE ib_src SET at = '2026-01-02', d = '2026-01-02', ts = '2026-01-02' WHERE id = 1;
UPDATE ib_src SET at = '-infinity', d = '-infinity', ts = '-infinity' WHERE id = 100;
SELECT dataeng.fact_refresh(n) FROM unnest(ARRAY['ib_date', 'ib_ts', 'ib_tz']) n;
SELECT * FROM ib_check;
RESET dataeng.fact_refresh_path;
SELECT bucket, count, sum_f, max_x FROM ib_date WHERE NOT isfinite(bucket) ORDER BY bucket;
-- (an index lookup of the infinity, not a scan of the source)
SELECT dataeng_internal._fact_bucket_rows(d, 'timestamptz', true, 'b') AS rows_sql
  FROM dataeng_internal.fact_defs d WHERE d.name = 'ib_tz' \gset
CREATE TEMP TABLE b (bucket timestamptz);
INSERT INTO b VALUES ('infinity');
ANALYZE b;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM :rows_sql;
RESET enable_seqscan;
SELECT count(*) AS infinity_rows FROM :rows_sql;
RESET TimeZone;
SELECT dataeng.fact_drop(n) FROM unnest(ARRAY['ib_date', 'ib_ts', 'ib_tz']) n;
DROP VIEW ib_check;
DROP FUNCTION ib_diff;
DROP TABLE ib_src, b;
DROP EXTENSION dataeng CASCADE;
