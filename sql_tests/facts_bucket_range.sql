-- Facts at the ends of the timestamps.
--
-- 1. The last bucket, 294276-12-31.  fact_create(..., backfill => 'later')
-- recorded the end of the range as the last bucket's start plus the grain,
-- past the last timestamp: it failed with a bare "timestamp out of range"
-- (the facts created with backfill => 'now' and their refreshes were
-- right); a batch reaching the last bucket failed the same way, and a
-- date fact finer than a day in the batch before (its range rounded up a
-- day).  Now the range ends at the last bucket's start, and the batch
-- that gets there takes every bucket from the watermark on.
SET client_min_messages = warning;
SET DateStyle = ISO;
CREATE EXTENSION dataeng CASCADE;
\i sql_tests/lib/fact_diff.sql
SET TimeZone = 'Asia/Tokyo';
CREATE TABLE br_src (id int PRIMARY KEY, at timestamptz, ts timestamp, d date, f float8);
CREATE INDEX ON br_src (at);
INSERT INTO br_src VALUES
  (1, '294276-12-31 10:00+00', '294276-12-31 10:00', '294276-12-31', 1),
  (2, '294276-12-31 23:59:59.999999+00', '294276-12-31 23:59:59.999999', '294276-12-31', 2),
  (3, '294276-12-30 20:00+00', '294276-12-30 20:00', '294276-12-30', 4),
  (4, 'infinity', 'infinity', 'infinity', 8), (5, '-infinity', '-infinity', '-infinity', 16),
  (6, '2026-01-01 00:00+00', '2026-01-01 00:00', '2026-01-01', 32), (7, NULL, NULL, NULL, 64);
SELECT dataeng.fact_create('br_tz_day', 'br_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(f)'],
                           schedule => NULL, backfill => 'later'),
       dataeng.fact_create('br_tz_month', 'br_src', 'at', 'month', '{}', ARRAY['count(*)', 'sum(f)'],
                           schedule => NULL, backfill => 'later'),
       dataeng.fact_create('br_ts_week', 'br_src', 'ts', 'week', '{}', ARRAY['count(*)', 'sum(f)'],
                           schedule => NULL, backfill => 'later'),
       dataeng.fact_create('br_d_hour', 'br_src', 'd', 'hour', '{}', ARRAY['count(*)', 'sum(f)'],
                           schedule => NULL, backfill => 'later');
SELECT name, backfill_from, backfill_to FROM dataeng_internal.fact_defs WHERE name LIKE 'br\_%' ORDER BY name;
-- (changes before the backfill, applied by its first batch)
UPDATE br_src SET f = f + 100 WHERE id IN (2, 4);
CALL dataeng.fact_backfill('br_tz_day');
CALL dataeng.fact_backfill('br_tz_month');
CALL dataeng.fact_backfill('br_ts_week', '100000 years');
CALL dataeng.fact_backfill('br_d_hour');
CREATE VIEW br_check AS
SELECT name, backfill_percent,
       fact_diff(name::regclass, CASE name
         WHEN 'br_tz_day' THEN 'SELECT date_trunc(''day'', at, ''Asia/Tokyo''), count(*), sum(f) FROM br_src GROUP BY 1'
         WHEN 'br_tz_month' THEN 'SELECT date_trunc(''month'', at, ''Asia/Tokyo''), count(*), sum(f) FROM br_src GROUP BY 1'
         WHEN 'br_ts_week' THEN 'SELECT date_trunc(''week'', ts), count(*), sum(f) FROM br_src GROUP BY 1'
         ELSE 'SELECT d, count(*), sum(f) FROM br_src GROUP BY 1' END) AS diff
  FROM dataeng.facts WHERE name LIKE 'br\_%' ORDER BY name;
SELECT * FROM br_check;
SELECT * FROM br_tz_day ORDER BY bucket;
-- refreshes: the delta path, then the buckets path, in the last bucket
UPDATE br_src SET f = f + 1000 WHERE id = 1;
SELECT dataeng.fact_refresh(name) FROM dataeng.facts WHERE name LIKE 'br\_%' ORDER BY name;
SET dataeng.fact_refresh_path = 'buckets';
UPDATE br_src SET f = f + 10000, at = at - interval '1 hour', ts = ts - interval '1 hour' WHERE id = 2;
SELECT dataeng.fact_refresh(name) FROM dataeng.facts WHERE name LIKE 'br\_%' ORDER BY name;
RESET dataeng.fact_refresh_path;
SELECT name, last_refresh_path FROM dataeng.facts WHERE name LIKE 'br\_%' ORDER BY name;
SELECT * FROM br_check;
SELECT dataeng.fact_drop(name) FROM dataeng.facts WHERE name LIKE 'br\_%' ORDER BY name;

-- 2. A range of more than 292471 years, from the first day to the last:
-- its twentieth, the default batch, overflowed to a negative interval
-- (batches of one bucket: some 108 million), and so did the share done.
-- Now 20 batches.
SET TimeZone = 'UTC';
INSERT INTO br_src VALUES (8, '4714-11-24 00:00+00 BC', '4714-11-24 00:00 BC', '4714-11-24 BC', 128);
SELECT dataeng.fact_create('br_all', 'br_src', 'ts', 'day', '{}', ARRAY['count(*)', 'sum(f)'],
                           schedule => NULL, backfill => 'later');
SELECT backfill_percent FROM dataeng.facts WHERE name = 'br_all';
DO $$
DECLARE
  r record;
  n int := 0;
BEGIN
  LOOP
    SELECT * INTO r FROM dataeng_internal._fact_backfill_batch('br_all', NULL, clock_timestamp(), 0);
    n := n + 1;
    EXIT WHEN r.done OR n > 25;
  END LOOP;
  RAISE WARNING '% batches', n;
END $$;
SELECT fact_diff('br_all', 'SELECT date_trunc(''day'', ts), count(*), sum(f) FROM br_src GROUP BY 1') AS diff;
SELECT dataeng.fact_drop('br_all');

-- 3. A bucket that starts before the first timestamp (4714-11-24 00:00
-- UTC BC: the month of that day, its day or week in a zone off UTC), or a date
-- past the last one (dates go on to 5874897), has no bucket: the error
-- was a bare "timestamp out of range" (or "date out of range for
-- timestamp"), and in a zone of one offset the bucket was computed out of
-- range (an invalid timestamp, failing only when shown).  It says so now, and how to
-- get the fact going again: the changes pending hold the value, even
-- once the row is deleted, until fact_rebuild.
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.fact_create('br_month', 'br_src', 'ts', 'month', '{}', ARRAY['count(*)'], schedule => NULL);
SELECT dataeng_internal._fact_bucket('4714-11-24 00:00+00 BC'::timestamptz, 'day', 'America/New_York');
SELECT dataeng_internal._fact_bucket('4714-11-24 00:00+00 BC'::timestamptz, 'month', 'Etc/GMT-1');
SELECT dataeng_internal._fact_bucket('4714-11-24 00:00+00 BC'::timestamptz, 'week', 'Etc/GMT-1');
SELECT dataeng_internal._fact_bucket('4714-11-24 00:00+00 BC'::timestamptz, 'week', 'UTC') AS first_week;
SELECT dataeng_internal._fact_bucket('294276-12-31'::date, 'month', 'UTC') AS last_month,
       dataeng_internal._fact_bucket('294276-12-31 23:59:59.999999+00'::timestamptz, 'hour', 'Etc/GMT-1') AS last_hour;
DELETE FROM br_src WHERE id = 8;
SELECT dataeng.fact_create('br_d', 'br_src', 'd', 'day', '{}', ARRAY['count(*)', 'sum(f)'], schedule => NULL);
INSERT INTO br_src VALUES (9, NULL, NULL, '300000-01-01', 256);
SELECT dataeng.fact_refresh('br_d');
DELETE FROM br_src WHERE id = 9;
SELECT dataeng.fact_refresh('br_d');
\set VERBOSITY terse
SELECT dataeng.fact_rebuild('br_d');
INSERT INTO br_src VALUES (10, NULL, NULL, '2026-01-02', 512);
SELECT dataeng.fact_refresh('br_d');
SELECT fact_diff('br_d', 'SELECT d, count(*), sum(f) FROM br_src GROUP BY 1') AS diff;
SELECT dataeng.fact_drop('br_d');

-- 4. The first bucket of the timestamps, the day 4714-11-24 BC in UTC: a
-- re-read of its rows (the buckets path) bounded them by the instant
-- before it, out of range: "timestamp out of range", and the refresh
-- failed.  Nothing is before it now.
\set VERBOSITY terse
SET TimeZone = 'UTC';
INSERT INTO br_src VALUES (11, '4714-11-24 00:00+00 BC', NULL, NULL, 1024), (12, '4714-11-24 10:00+00 BC', NULL, NULL, 2048);
SELECT dataeng.fact_create('br_first', 'br_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(f)'], schedule => NULL),
       dataeng.fact_create('br_first_later', 'br_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(f)'],
                           schedule => NULL, backfill => 'later');
CALL dataeng.fact_backfill('br_first_later', '1000 years');
SET dataeng.fact_refresh_path = 'buckets';
UPDATE br_src SET f = f + 1 WHERE id = 12;
SELECT dataeng.fact_refresh('br_first'), dataeng.fact_refresh('br_first_later');
RESET dataeng.fact_refresh_path;
SELECT name, last_refresh_path,
       fact_diff(name::regclass, 'SELECT date_trunc(''day'', at, ''UTC''), count(*), sum(f) FROM br_src GROUP BY 1') AS diff
  FROM dataeng.facts WHERE name LIKE 'br\_first%' ORDER BY name;
SELECT * FROM br_first WHERE bucket < '0001-01-01';
SELECT dataeng.fact_drop('br_first'), dataeng.fact_drop('br_first_later');
DROP VIEW br_check;
DROP TABLE br_src;
DROP FUNCTION fact_diff;
RESET TimeZone;
RESET DateStyle;
DROP EXTENSION dataeng CASCADE;
