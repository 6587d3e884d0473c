-- The bounds of a range of buckets' instants (_fact_bucket_split) where
-- they are not the buckets' starts.
SET client_min_messages = warning;
CREATE EXTENSION dataeng CASCADE;

-- 1. The last bucket of the timestamps.  The instant from which every
-- bucket is after the last one (the end of its rows) was looked for at
-- most a few centuries ahead, but none is within the timestamps' range:
-- the bound was the bucket's start itself, so a re-read of the bucket of
-- 31 December 294276 (or of the year 294276, of the century from 294201)
-- found only its rows of the first microsecond and the buckets path left
-- the fact with 1 row of 2 for the day and none for the year and the
-- century.  Now infinity bounds it.
SET TimeZone = 'UTC';
SELECT dataeng_internal._fact_bucket_split('294276-12-31 00:00:00.000001+00', 'day', 'UTC', true) AS day_end,
       dataeng_internal._fact_bucket_split('294276-01-01 00:00:00.000001+00', 'year', 'Asia/Kathmandu', false) AS year_first,
       dataeng_internal._fact_bucket_split('294276-12-30 00:00:00.000001+00', 'day', 'UTC', true) AS day_before_end;
CREATE TABLE se_end (id int PRIMARY KEY, at timestamptz NOT NULL, f float8);
CREATE INDEX ON se_end (at);
INSERT INTO se_end VALUES (1, '294276-12-31 10:00+00', 1), (2, '294276-12-31 00:00+00', 2), (3, '294276-06-01 00:00+00', 4);
-- (rows in other buckets, for the index to serve a bucket)
INSERT INTO se_end SELECT i, '2026-01-01'::timestamptz + i * interval '1 day', i FROM generate_series(4, 3000) i;
ANALYZE se_end;
SELECT dataeng.fact_create('se_day', 'se_end', 'at', 'day', '{}', ARRAY['count(*)', 'sum(f)'], schedule => NULL),
       dataeng.fact_create('se_year', 'se_end', 'at', 'year', '{}', ARRAY['count(*)', 'sum(f)'], schedule => NULL),
       dataeng.fact_create('se_century', 'se_end', 'at', 'century', '{}', ARRAY['count(*)', 'sum(f)'], schedule => NULL);
ANALYZE se_day_data, se_year_data, se_century_data;
UPDATE se_end SET f = 5 WHERE id = 2;
SELECT dataeng.fact_refresh(n) FROM unnest(ARRAY['se_century', 'se_day', 'se_year']) n;
SELECT name, last_refresh_path FROM dataeng.facts WHERE name LIKE 'se\_%' ORDER BY name;
SELECT 'day' AS fact, * FROM se_day WHERE bucket > '3000-01-01'
UNION ALL SELECT 'year', * FROM se_year WHERE bucket > '3000-01-01'
UNION ALL SELECT 'century', * FROM se_century WHERE bucket > '3000-01-01' ORDER BY 1, 2;
SELECT dataeng.fact_drop(n) FROM unnest(ARRAY['se_century', 'se_day', 'se_year']) n;
DROP TABLE se_end;

-- 2. Buckets going back at an offset going forward.  At hour (and minute)
-- grain date_trunc cuts a time at its own offset: when
-- America/Dominica's went from -4:05:36 to -4:00 at 00:01 local time on
-- 1 July 1911 (04:06:36 UTC), the instants of its first minute are in
-- the hour 00:00 at -4:05:36 (04:05:36 UTC) and the next ones in the hour
-- 00:00 at -4:00 (04:00 UTC), before it.  Only offsets going back were
-- looked at: a backfill batch ending at the bucket of 04:05:36 UTC ended
-- its rows there, the next one took the buckets from 04:05:36 on, and
-- the rows of 04:00 UTC (04:06:36 to 05:00) were in neither.
SET TimeZone = 'America/Dominica';
CREATE TABLE se_dm (id int PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO se_dm SELECT i, '1911-07-01 00:05:40+00'::timestamptz + i * interval '10 minutes' FROM generate_series(0, 60) i;
INSERT INTO se_dm VALUES (100, '1911-07-01 04:06:00+00');
SELECT dataeng.fact_create('se_dm_h', 'se_dm', 'at', 'hour', '{}', ARRAY['count(*)', 'min(id)', 'max(id)'],
                           schedule => NULL, backfill => 'later');
-- (batches of 4 hours: the first ends at the bucket of 04:05:36 UTC,
-- 00:00 at -4:05:36, the second at 08:00 UTC)
CALL dataeng.fact_backfill('se_dm_h', '4 hours');
SELECT b AT TIME ZONE 'UTC' AS bucket_utc, f.count AS fact_count, g.count AS group_by_count
  FROM (SELECT bucket AS b, count FROM se_dm_h) f FULL JOIN
       (SELECT date_trunc('hour', at, 'America/Dominica') AS b, count(*) FROM se_dm GROUP BY 1) g USING (b)
 WHERE b BETWEEN '1911-07-01 03:00+00' AND '1911-07-01 06:00+00'
 ORDER BY 1;
SELECT count(*) AS differing
  FROM ((SELECT bucket, count, min_id, max_id FROM se_dm_h
         EXCEPT SELECT date_trunc('hour', at, 'America/Dominica'), count(*), min(id), max(id) FROM se_dm GROUP BY 1)
        UNION ALL
        (SELECT date_trunc('hour', at, 'America/Dominica'), count(*), min(id), max(id) FROM se_dm GROUP BY 1
         EXCEPT SELECT bucket, count, min_id, max_id FROM se_dm_h)) x;
RESET TimeZone;
SELECT dataeng.fact_drop('se_dm_h');
DROP TABLE se_dm;
-- and in the zones where it happened (Montserrat in 1911, Athens in
-- 1916), and where offsets go back (Lord Howe's half hour, St Johns at
-- 00:01), at each minute of the 3 hours either side of the change and
-- each bucket w there: the minute t is from split(w, false) on when its
-- bucket is w or later, before split(w, true) when it is before w (the
-- bounds of a range of buckets ending or starting at w)
WITH t AS (
  SELECT z, g, t, dataeng_internal._fact_bucket(t, g, z) AS b
    FROM (VALUES ('America/Dominica', '1911-07-01 04:06:36+00'::timestamptz),
                 ('America/Montserrat', '1911-07-01 04:09:52+00'),
                 ('Europe/Athens', '1916-07-27 22:26:08+00'),
                 ('Australia/Lord_Howe', '2026-10-03 15:30+00'),
                 ('America/St_Johns', '2010-11-07 03:31+00')) v(z, t0),
         unnest(ARRAY['minute', 'hour', 'day']) g,
         generate_series(t0 - interval '3 hours', t0 + interval '3 hours', interval '1 minute') t),
w AS (
  SELECT z, g, w, dataeng_internal._fact_bucket_split(w, g, z, false) AS lo,
         dataeng_internal._fact_bucket_split(w, g, z, true) AS hi
    FROM (SELECT DISTINCT z, g, b AS w FROM t) x)
SELECT z, g, count(DISTINCT w.w) AS buckets,
       count(*) FILTER (WHERE (t.b >= w.w AND t.t < w.lo) OR (t.b < w.w AND t.t >= w.hi)) AS wrong
  FROM t JOIN w USING (z, g)
 GROUP BY z, g ORDER BY z, g;
DROP EXTENSION dataeng CASCADE;
