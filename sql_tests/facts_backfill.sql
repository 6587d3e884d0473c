-- Facts backfilled later, in batches: fact_create(..., backfill => 'later')
-- then CALL dataeng.fact_backfill(); writes between batches (in backfilled
-- and not yet backfilled buckets, rows moving across the watermark, a
-- TRUNCATE), refreshes meanwhile, interrupted batches resumed, progress in
-- notices and in dataeng.facts, errors.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

CREATE TABLE bf_src (
  id int PRIMARY KEY,
  ts timestamptz,
  d date NOT NULL,
  region text NOT NULL,
  amount numeric(10,2),
  price float8
);
CREATE INDEX ON bf_src (ts);
INSERT INTO bf_src
SELECT g, CASE WHEN g % 50 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00+00' + g * interval '2 hours 11 minutes' END,
       date '2026-01-01' + g % 37, 'r' || g % 3,
       CASE WHEN g % 7 = 0 THEN NULL ELSE g * 0.25 END, (g % 9) * 0.5
  FROM generate_series(1, 1000) g;

\i sql_tests/lib/fact_diff.sql

CREATE VIEW bf_truth AS
  SELECT date_trunc('day', ts, 'UTC') AS bucket, region, count(*) AS count, sum(amount) AS sum_amount,
         avg(amount) AS avg_amount, max(price) AS max_price, count(DISTINCT amount) AS count_distinct_amount
    FROM bf_src GROUP BY 1, 2;

-- A batch is interrupted when it reaches the bucket bf.stop_at names.
CREATE FUNCTION bf_stop() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.bucket >= current_setting('bf.stop_at')::timestamptz THEN
    RAISE EXCEPTION 'interrupted at bucket %', NEW.bucket;
  END IF;
  RETURN NEW;
END $$;

-- created empty, with nothing backfilled yet
SELECT dataeng.fact_create('bf_daily', 'bf_src', 'ts', 'day', ARRAY['region'],
  ARRAY['count(*)', 'sum(amount)', 'avg(amount)', 'max(price)', 'count(DISTINCT amount)'],
  schedule => NULL, backfill => 'later');
SELECT count(*) AS fact_rows FROM bf_daily;
-- the fact, below the watermark, against the truth
CREATE FUNCTION bf_check() RETURNS TABLE (backfilled_upto timestamptz, backfill_percent numeric, diff bigint)
LANGUAGE sql AS $$
  SELECT f.backfilled_upto, f.backfill_percent,
         fact_diff('bf_daily', format('SELECT * FROM bf_truth WHERE %s',
                                    CASE WHEN f.backfilled_upto IS NULL THEN 'true'
                                         ELSE format('bucket < %L', f.backfilled_upto) END))
    FROM dataeng.facts f WHERE f.name = 'bf_daily'
$$;
SELECT * FROM bf_check();
SELECT backfill_from, backfill_to FROM dataeng_internal.fact_defs WHERE name = 'bf_daily';
CREATE TRIGGER bf_stop BEFORE INSERT ON bf_daily_data FOR EACH ROW EXECUTE FUNCTION bf_stop();

-- writes before any batch; a refresh applies none of them
UPDATE bf_src SET amount = amount + 1 WHERE id % 10 = 1;
INSERT INTO bf_src VALUES (1001, '2025-12-25 10:00+00', '2026-01-01', 'r0', 5, 1.5);
SELECT dataeng.fact_refresh('bf_daily') AS changes;
SELECT * FROM bf_check();

-- batches of a week: interrupted at the batch reaching 2026-01-20, the
-- batches before it stay
SET bf.stop_at = '2026-01-20 00:00+00';
CALL dataeng.fact_backfill('bf_daily', '7 days');
SELECT * FROM bf_check();

-- writes: in backfilled buckets, in buckets not backfilled yet, rows moving
-- both ways across the watermark, new and emptied groups
UPDATE bf_src SET amount = amount * 2, price = price + 10 WHERE id % 9 = 0;
DELETE FROM bf_src WHERE id % 13 = 0;
INSERT INTO bf_src SELECT 2000 + g, timestamptz '2025-12-20 00:00+00' + g * interval '1 day', '2026-01-02',
                          'r' || g % 4, g, g FROM generate_series(1, 60) g;
UPDATE bf_src SET ts = ts + interval '30 days' WHERE id BETWEEN 30 AND 60;
UPDATE bf_src SET ts = ts - interval '40 days' WHERE id BETWEEN 700 AND 730;
UPDATE bf_src SET ts = NULL WHERE id BETWEEN 100 AND 105;
UPDATE bf_src SET ts = '2026-01-03 12:00+00' WHERE ts IS NULL AND id < 500;
SELECT dataeng.fact_refresh('bf_daily') > 0 AS applied;
SELECT * FROM bf_check();

-- resumed with the default batch, with its progress shown, interrupted again
SET bf.stop_at = '2026-03-01 00:00+00';
SET client_min_messages = notice;
CALL dataeng.fact_backfill('bf_daily');
SET client_min_messages = warning;
SELECT * FROM bf_check();

-- writes again (left to the next batch's own refresh), a TRUNCATE: the
-- rebuild recomputes only what is backfilled
UPDATE bf_src SET region = 'r9' WHERE id % 5 = 0;
SELECT * FROM bf_check() WHERE diff = 0;
SELECT dataeng.fact_refresh('bf_daily') > 0 AS applied;
SELECT * FROM bf_check();
CREATE TEMP TABLE bf_keep AS SELECT * FROM bf_src;
TRUNCATE bf_src;
INSERT INTO bf_src SELECT * FROM bf_keep WHERE id % 4 <> 0;
SELECT dataeng.fact_refresh('bf_daily') > 0 AS applied;
SELECT * FROM bf_check();

-- to the end: the NULL bucket and rows past the range at creation included
INSERT INTO bf_src VALUES (3001, '2027-06-01 00:00+00', '2026-01-01', 'r1', 1, 1), (3002, NULL, '2026-01-01', 'r2', 2, 2);
RESET bf.stop_at;
DROP TRIGGER bf_stop ON bf_daily_data;
SET client_min_messages = notice;
CALL dataeng.fact_backfill('bf_daily', '20 days');
SET client_min_messages = warning;
SELECT * FROM bf_check();
SELECT count(*) > 0 AS has_null_bucket FROM bf_daily WHERE bucket IS NULL;
-- done: calling again does nothing; refreshes apply everything again
CALL dataeng.fact_backfill('bf_daily');
UPDATE bf_src SET amount = 1, ts = ts + interval '3 days' WHERE id % 11 = 0;
DELETE FROM bf_src WHERE ts IS NULL;
SELECT dataeng.fact_refresh('bf_daily') > 0 AS applied;
SELECT * FROM bf_check();

-- a date column at hour grain, one batch per 11 hours: batches end inside
-- a day, whose rows belong to one bucket (taken exactly once)
SELECT dataeng.fact_create('bf_hourly', 'bf_src', 'd', 'hour', ARRAY[]::text[], ARRAY['count(*)', 'max(amount)'],
                           schedule => NULL, backfill => 'later');
UPDATE bf_src SET d = d + 3 WHERE id % 6 = 0;
CALL dataeng.fact_backfill('bf_hourly', '11 hours');
SELECT fact_diff('bf_hourly', $$SELECT date_trunc('hour', d::timestamp AT TIME ZONE 'UTC', 'UTC') AS bucket,
                                     count(*) AS count, max(amount) AS max_amount FROM bf_src GROUP BY 1$$) AS diff,
       (SELECT backfill_percent FROM dataeng.facts WHERE name = 'bf_hourly') AS pct;

-- backfill => 'now' (the default) and an empty source: nothing to backfill
CREATE TABLE bf_empty (ts timestamptz NOT NULL);
SELECT dataeng.fact_create('bf_now', 'bf_src', 'ts', 'month', ARRAY[]::text[], ARRAY['count(*)'], schedule => NULL);
SELECT dataeng.fact_create('bf_none', 'bf_empty', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL, backfill => 'later');
SELECT name, backfilled_upto, backfill_percent FROM dataeng.facts WHERE name IN ('bf_now', 'bf_none') ORDER BY 1;

-- errors
SELECT dataeng.fact_create('bf_bad', 'bf_src', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL, backfill => 'soon');
SELECT dataeng.fact_create('bf_bad', 'bf_src', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL, backfill => NULL);
CALL dataeng.fact_backfill('bf_daily', '0');
CALL dataeng.fact_backfill('bf_daily', '-1 day');
CALL dataeng.fact_backfill('no_such_fact');
BEGIN;
CALL dataeng.fact_backfill('bf_daily');
ROLLBACK;
SELECT to_regclass('bf_bad') AS not_created;

-- The watermark in the NOTICE of a date or timestamp fact is a bucket of
-- the fact, whatever the session's zone (it said "2026-01-04 19:00:00-05"
-- for the date 2026-01-05 in New York)
CREATE TABLE bf_days (id int PRIMARY KEY, day date NOT NULL, at timestamp NOT NULL);
INSERT INTO bf_days SELECT i, '2026-01-01'::date + i, '2026-01-01'::timestamp + i * interval '1 day'
  FROM generate_series(0, 13) i;
SET TimeZone = 'America/New_York';
SELECT dataeng.fact_create('bf_bydate', 'bf_days', 'day', 'week', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL, backfill => 'later');
SELECT dataeng.fact_create('bf_bytime', 'bf_days', 'at', 'week', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL, backfill => 'later');
SET client_min_messages = notice;
CALL dataeng.fact_backfill('bf_bydate', '7 days');
CALL dataeng.fact_backfill('bf_bytime', '7 days');
SET client_min_messages = warning;
SELECT bucket, count FROM bf_bydate ORDER BY 1;
SELECT bucket, count FROM bf_bytime ORDER BY 1;
RESET TimeZone;

-- A zone whose offset falls back by half an hour (Lord Howe, 5 April 2026,
-- 02:00 back to 01:30): 01:00 at the new offset (14:30 UTC) starts inside
-- 01:00 at the old one (14:00 UTC), whose rows go on to 15:00 UTC.  A batch
-- of two hours from 13:00 UTC ended at 14:30 UTC and lost the row of 14:45:
-- its bucket before the watermark, its time after it.
CREATE TABLE bf_lh (id int PRIMARY KEY, ts timestamptz NOT NULL);
INSERT INTO bf_lh VALUES (1, '2026-04-04 13:45+00'), (2, '2026-04-04 14:15+00'), (3, '2026-04-04 14:45+00'),
  (4, '2026-04-04 15:10+00'), (5, '2026-04-04 15:40+00'), (6, '2026-04-04 17:20+00'), (7, '2026-04-04 14:50+00');
SET TimeZone = 'Australia/Lord_Howe';
SELECT dataeng.fact_create('bf_lh_f', 'bf_lh', 'ts', 'hour', ARRAY[]::text[], ARRAY['count(*)', 'max(id)'],
                           schedule => NULL, backfill => 'later');
CALL dataeng.fact_backfill('bf_lh_f', '2 hours');
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_id FROM bf_lh_f ORDER BY 1;
SELECT count(*) AS differing
  FROM ((TABLE bf_lh_f EXCEPT SELECT date_trunc('hour', ts, 'Australia/Lord_Howe'), count(*), max(id) FROM bf_lh GROUP BY 1)
        UNION ALL
        (SELECT date_trunc('hour', ts, 'Australia/Lord_Howe'), count(*), max(id) FROM bf_lh GROUP BY 1 EXCEPT TABLE bf_lh_f)) x;
-- changes after the backfill land in the same groups
INSERT INTO bf_lh VALUES (8, '2026-04-04 14:55+00'), (9, '2026-04-04 15:05+00');
DELETE FROM bf_lh WHERE id = 3;
SELECT dataeng.fact_refresh('bf_lh_f');
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_id FROM bf_lh_f ORDER BY 1;
RESET TimeZone;
SELECT dataeng.fact_drop('bf_lh_f');
DROP TABLE bf_lh;

-- The same boundaries when a refresh reads buckets again through an index
-- on the time column.  When Lord Howe springs forward (4 October 2026,
-- 02:00 to 02:30), 01:00 at the old offset (14:30 UTC) runs to 15:30 UTC,
-- past 02:00 (15:00 UTC at the new offset): the range scan of that bucket
-- ended at 15:00 and missed the rows after it.
CREATE TABLE bf_lh2 (id int PRIMARY KEY, ts timestamptz NOT NULL, v int NOT NULL);
CREATE INDEX ON bf_lh2 (ts);
INSERT INTO bf_lh2 VALUES (1, '2026-10-03 14:45+00', 10), (2, '2026-10-03 15:10+00', 5),
  (3, '2026-10-03 15:20+00', 7), (4, '2026-10-03 15:40+00', 1);
-- (rows in other buckets, for the index to serve two buckets)
INSERT INTO bf_lh2 SELECT 100 + i, '2026-01-01'::timestamptz + i * interval '1 hour', i FROM generate_series(1, 2000) i;
ANALYZE bf_lh2;
SET TimeZone = 'Australia/Lord_Howe';
SELECT dataeng.fact_create('bf_lh2_f', 'bf_lh2', 'ts', 'hour', ARRAY[]::text[], ARRAY['count(*)', 'max(v)', 'min(v)'],
                           schedule => NULL);
DELETE FROM bf_lh2 WHERE id = 1;
UPDATE bf_lh2 SET v = 2 WHERE id = 4;
SET dataeng.fact_refresh_path = 'buckets';
SELECT dataeng.fact_refresh('bf_lh2_f');
RESET dataeng.fact_refresh_path;
SELECT last_refresh_path FROM dataeng.facts WHERE name = 'bf_lh2_f';
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_v, min_v FROM bf_lh2_f WHERE bucket > '2026-10-01' ORDER BY 1;
SELECT count(*) AS differing
  FROM ((TABLE bf_lh2_f EXCEPT SELECT date_trunc('hour', ts, 'Australia/Lord_Howe'), count(*), max(v), min(v) FROM bf_lh2 GROUP BY 1)
        UNION ALL
        (SELECT date_trunc('hour', ts, 'Australia/Lord_Howe'), count(*), max(v), min(v) FROM bf_lh2 GROUP BY 1 EXCEPT TABLE bf_lh2_f)) x;
RESET TimeZone;
SELECT dataeng.fact_drop('bf_lh2_f');
DROP TABLE bf_lh2;

-- A zone where the bucket goes back in time: America/St_Johns fell back
-- at 00:01 until 2011 (7 November 2010, 00:01 NDT back to 23:01 NST), so
-- the first minute of 7 November (02:30 to 02:31 UTC, its bucket at 03:30
-- UTC, the second midnight) comes before the last hour of 6 November.  A
-- batch ending at 7 November took the rows before 03:30 UTC of 6 November
-- only, and the next one those from 03:30 UTC: the row of 02:30:30 was
-- lost.  A rebuild while the watermark is 7 November must not take it.
CREATE TABLE bf_sj (id int PRIMARY KEY, ts timestamptz NOT NULL);
CREATE INDEX ON bf_sj (ts);
INSERT INTO bf_sj VALUES (1, '2010-11-05 12:00+00'), (2, '2010-11-07 02:30:30+00'), (3, '2010-11-07 03:00+00'),
  (4, '2010-11-08 12:00+00'), (5, '2010-11-07 02:29:59+00');
SET TimeZone = 'America/St_Johns';
SELECT dataeng.fact_create('bf_sj_f', 'bf_sj', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)', 'max(id)'],
                           schedule => NULL, backfill => 'later');
SELECT done FROM dataeng_internal._fact_backfill_batch('bf_sj_f', '1 day', now(), 0);
SELECT done FROM dataeng_internal._fact_backfill_batch('bf_sj_f', '1 day', now(), 0);
SELECT backfilled_upto AT TIME ZONE 'UTC' AS backfilled_upto_utc FROM dataeng.facts WHERE name = 'bf_sj_f';
SELECT dataeng.fact_rebuild('bf_sj_f');
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_id FROM bf_sj_f ORDER BY 1;
CALL dataeng.fact_backfill('bf_sj_f', '1 day');
SELECT bucket AT TIME ZONE 'UTC' AS bucket_utc, count, max_id FROM bf_sj_f ORDER BY 1;
-- the buckets path reads 7 November again through the index
DELETE FROM bf_sj WHERE id = 4;
UPDATE bf_sj SET id = 6 WHERE id = 5;
SET dataeng.fact_refresh_path = 'buckets';
SELECT dataeng.fact_refresh('bf_sj_f');
RESET dataeng.fact_refresh_path;
SELECT count(*) AS differing
  FROM ((TABLE bf_sj_f EXCEPT SELECT date_trunc('day', ts, 'America/St_Johns'), count(*), max(id) FROM bf_sj GROUP BY 1)
        UNION ALL
        (SELECT date_trunc('day', ts, 'America/St_Johns'), count(*), max(id) FROM bf_sj GROUP BY 1 EXCEPT TABLE bf_sj_f)) x;
RESET TimeZone;
SELECT dataeng.fact_drop('bf_sj_f');
DROP TABLE bf_sj;

-- The bounds of a bucket's instants (_fact_bucket_split) around the
-- changes of offset that make them differ from the bucket's start (half
-- an hour in Lord Howe at hour grain; midnight repeated in Havana and the
-- Azores at day grain; St Johns and Goose Bay falling back at 00:01) and in
-- zones where they do not: each instant t lies in [split(bucket(t), false),
-- split(bucket(t) + 1 microsecond, true)), the instant before the first
-- is in an earlier bucket, and the one before the second in no later one.
SELECT z, g, count(*) AS instants, count(*) FILTER (WHERE split_b <> b) AS split_not_start,
       count(*) FILTER (WHERE split_next <> dataeng_internal._fact_bucket_split(b + interval '1 microsecond', g, z, false))
         AS bucket_goes_back,
       count(*) FILTER (WHERE NOT (split_b <= t AND t < split_next
                                   AND dataeng_internal._fact_bucket(split_b - interval '1 microsecond', g, z) < b
                                   AND dataeng_internal._fact_bucket(split_next - interval '1 microsecond', g, z) <= b)) AS wrong
  FROM (VALUES ('Australia/Lord_Howe', 'hour', '2026-04-04 12:00+00'::timestamptz),
               ('Australia/Lord_Howe', 'hour', '2026-10-03 12:00+00'),
               ('Australia/Lord_Howe', 'day', '2026-04-04 00:00+00'),
               ('America/Havana', 'day', '2026-10-31 00:00+00'),
               ('America/Havana', 'hour', '2026-10-31 22:00+00'),
               ('Atlantic/Azores', 'day', '2026-10-24 00:00+00'),
               ('America/St_Johns', 'day', '2010-11-05 12:00+00'),
               ('America/St_Johns', 'week', '2010-11-05 12:00+00'),
               ('America/Goose_Bay', 'month', '2009-10-30 12:00+00'),
               ('America/New_York', 'hour', '2026-11-01 03:00+00'),
               ('America/New_York', 'day', '2026-03-07 00:00+00'),
               ('Asia/Kathmandu', 'hour', '2026-06-01 00:00+00'),
               ('UTC', 'week', '2026-06-01 00:00+00')) v(z, g, t0),
       generate_series(t0, t0 + interval '3 days', interval '5 minutes') t,
       LATERAL (SELECT dataeng_internal._fact_bucket(t, g, z) AS b) bb,
       LATERAL (SELECT dataeng_internal._fact_bucket_split(b, g, z, false) AS split_b,
                       dataeng_internal._fact_bucket_split(b + interval '1 microsecond', g, z, true) AS split_next) s
 GROUP BY z, g ORDER BY z, g;

SELECT dataeng.fact_drop(n) FROM unnest(ARRAY['bf_daily', 'bf_hourly', 'bf_now', 'bf_none', 'bf_bydate', 'bf_bytime']) n;
DROP FUNCTION bf_check, fact_diff, bf_stop;
DROP VIEW bf_truth;
DROP TABLE bf_src, bf_empty, bf_days;
DROP EXTENSION dataeng CASCADE;
