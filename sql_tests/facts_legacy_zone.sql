-- A fact of 0.1.0 over a timestamp column keeps its buckets as 0.1.0 cut
-- them: the value read as local time in the zone of its creation
-- (timestamptz buckets).  Where that zone's offset changes by less than
-- the grain (Lord Howe springs forward half an hour, 4 October 2026, 02:00
-- to 02:30), a value of the skipped half hour, 02:40, is the instant of
-- 03:10 (+11) and in the bucket of 02:00 (+11, 15:30 UTC), which the
-- zone shows as 01:30 (+10:30): a backfill batch or a re-read of buckets
-- bounding the column by the buckets' starts read in the zone (from 01:30
-- to 03:00) got the row of 02:40 in the wrong range and lost it.
SET client_min_messages = warning;
CREATE EXTENSION dataeng VERSION '0.1.0';
CREATE TABLE lz_src (id int PRIMARY KEY, ts timestamp NOT NULL);
CREATE INDEX ON lz_src (ts);
INSERT INTO lz_src VALUES (1, '2026-10-04 00:45'), (2, '2026-10-04 01:10'), (3, '2026-10-04 01:45'),
  (4, '2026-10-04 02:10'), (5, '2026-10-04 02:40'), (6, '2026-10-04 03:10');
SET TimeZone = 'Australia/Lord_Howe';
SELECT dataeng.fact_create('lz_hourly', 'lz_src', 'ts', 'hour', ARRAY[]::text[], ARRAY['count(*)', 'max(id)'],
                           schedule => NULL, backfill => 'later');
ALTER EXTENSION dataeng UPDATE;
-- (still timestamptz buckets in Lord Howe)
SELECT f.time_zone, format_type(a.atttypid, a.atttypmod) AS bucket_type
  FROM dataeng.facts f, pg_attribute a WHERE f.name = 'lz_hourly' AND a.attrelid = f.table AND a.attname = 'bucket';
CREATE FUNCTION lz_diff() RETURNS bigint LANGUAGE sql AS $$
  WITH truth AS (SELECT date_trunc('hour', ts AT TIME ZONE 'Australia/Lord_Howe', 'Australia/Lord_Howe') AS bucket,
                        count(*) AS count, max(id) AS max_id FROM lz_src GROUP BY 1)
  SELECT (SELECT count(*) FROM (TABLE lz_hourly EXCEPT ALL TABLE truth) a)
       + (SELECT count(*) FROM (TABLE truth EXCEPT ALL TABLE lz_hourly) b)
$$;
CALL dataeng.fact_backfill('lz_hourly', '30 minutes');
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_id FROM lz_hourly WHERE bucket > '2026-10-01' ORDER BY 1;
SELECT lz_diff() AS diff_backfilled;
-- (rows in other buckets, for the index to serve a bucket)
INSERT INTO lz_src SELECT 100 + i, '2026-01-01'::timestamp + i * interval '1 hour' FROM generate_series(1, 2000) i;
ANALYZE lz_src;
SELECT dataeng.fact_refresh('lz_hourly');
-- the buckets path reads the bucket of 02:40 again through the index
DELETE FROM lz_src WHERE id = 4;
SET dataeng.fact_refresh_path = 'buckets';
SELECT dataeng.fact_refresh('lz_hourly');
RESET dataeng.fact_refresh_path;
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_id FROM lz_hourly WHERE bucket > '2026-10-01' ORDER BY 1;
SELECT lz_diff() AS diff_refreshed;
SELECT dataeng.fact_rebuild('lz_hourly') >= 0 AS rebuilt;
SELECT lz_diff() AS diff_rebuilt;
RESET TimeZone;
SELECT dataeng.fact_drop('lz_hourly');
DROP FUNCTION lz_diff();
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE lz_src;
