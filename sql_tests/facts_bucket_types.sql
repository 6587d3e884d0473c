-- The bucket of a fact has the type of its time column: a date column
-- gives date buckets and a timestamp column timestamp buckets, whatever the
-- session's time zone (a New York session once saw day 2026-12-04 as
-- 2026-12-03 19:00:00-05); a timestamptz column gives timestamptz buckets
-- in the zone of fact_create.  Every path of a refresh (delta, the
-- recompute of min/max, the touched buckets re-aggregated), a backfill in
-- batches and a rebuild keep the fact equal to its GROUP BY.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
\i sql_tests/lib/fact_diff.sql
SET TimeZone = 'America/New_York';
SET DateStyle = 'ISO, YMD';

CREATE TABLE bt_src (id int PRIMARY KEY, day date, wall timestamp, at timestamptz,
                     region text, amount numeric, qty int);
CREATE INDEX ON bt_src (day);
INSERT INTO bt_src
SELECT g, date '2026-11-20' + g % 30, timestamp '2026-11-20 00:00' + g * interval '7 hours 13 minutes',
       timestamptz '2026-11-20 00:00+00' + g * interval '7 hours 13 minutes',
       'r' || g % 3, g * 1.5, g % 7
  FROM generate_series(1, 300) g;
INSERT INTO bt_src VALUES (1000, '2026-12-04', '2026-12-04 23:30', '2026-12-04 23:30-05', 'ny', 10, 1);

SELECT dataeng.fact_create('bt_day', 'bt_src', 'day', 'day', ARRAY['region'],
  ARRAY['count(*)', 'sum(amount) AS total', 'min(qty)', 'max(amount)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('bt_month', 'bt_src', 'day', 'month', '{}',
  ARRAY['count(*)', 'avg(qty)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('bt_wall_hour', 'bt_src', 'wall', 'hour', '{}',
  ARRAY['count(*)', 'sum(qty)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('bt_at_day', 'bt_src', 'at', 'day', '{}',
  ARRAY['count(*)'], schedule => NULL) IS NOT NULL AS created;
-- a date fact at a grain finer than a day: a date's bucket is that day
SELECT dataeng.fact_create('bt_day_hour', 'bt_src', 'day', 'hour', '{}',
  ARRAY['count(*)'], schedule => NULL) IS NOT NULL AS created;
-- created empty, filled in batches
SELECT dataeng.fact_create('bt_week_later', 'bt_src', 'day', 'week', ARRAY['region'],
  ARRAY['count(*)', 'sum(qty)', 'max(qty)'], schedule => NULL, backfill => 'later') IS NOT NULL AS created;

-- the types of the bucket columns, and the zone dataeng.facts shows (none
-- for date and timestamp buckets)
SELECT f.name, format_type(a.atttypid, a.atttypmod) AS bucket_type, f.time_zone
  FROM dataeng.facts f JOIN pg_attribute a ON a.attrelid = f."table" AND a.attname = 'bucket'
 WHERE f.name LIKE 'bt\_%' ORDER BY f.name;
-- day 2026-12-04 is 2026-12-04, in New York as anywhere
SELECT bucket, count FROM bt_day WHERE region = 'ny';
SET TimeZone = 'Asia/Tokyo';
SELECT bucket, count FROM bt_day WHERE region = 'ny';
SELECT bucket, count FROM bt_day_hour WHERE bucket = '2026-12-04';
SELECT bucket, count FROM bt_wall_hour WHERE bucket = '2026-12-04 23:00';
SET TimeZone = 'America/New_York';
SELECT bucket, count FROM bt_at_day WHERE bucket = '2026-12-04 00:00-05';

CREATE FUNCTION bt_diffs() RETURNS TABLE (fact text, diff bigint) LANGUAGE sql AS $$
  SELECT 'bt_day', fact_diff('bt_day', $q$SELECT day, region, count(*), sum(amount), min(qty), max(amount)
                                        FROM bt_src GROUP BY 1, 2$q$)
  UNION ALL
  SELECT 'bt_month', fact_diff('bt_month', $q$SELECT date_trunc('month', day::timestamp)::date, count(*), avg(qty)
                                            FROM bt_src GROUP BY 1$q$)
  UNION ALL
  SELECT 'bt_wall_hour', fact_diff('bt_wall_hour', $q$SELECT date_trunc('hour', wall), count(*), sum(qty)
                                                    FROM bt_src GROUP BY 1$q$)
  UNION ALL
  SELECT 'bt_at_day', fact_diff('bt_at_day', $q$SELECT date_trunc('day', at, 'America/New_York'), count(*)
                                              FROM bt_src GROUP BY 1$q$)
  UNION ALL
  SELECT 'bt_day_hour', fact_diff('bt_day_hour', $q$SELECT day, count(*) FROM bt_src GROUP BY 1$q$)
  UNION ALL
  SELECT 'bt_week_later', fact_diff('bt_week_later', $q$SELECT date_trunc('week', day::timestamp)::date, region,
                                                      count(*), sum(qty), max(qty) FROM bt_src GROUP BY 1, 2$q$)
$$;
SELECT * FROM bt_diffs() WHERE fact <> 'bt_week_later' ORDER BY fact;

-- changes, applied from another zone, by every path
SET TimeZone = 'Pacific/Auckland';
CREATE PROCEDURE bt_round(r int, path text) LANGUAGE plpgsql AS $$
DECLARE
  f text;
BEGIN
  PERFORM set_config('dataeng.fact_refresh_path', path, false);
  INSERT INTO bt_src
  SELECT 2000 + r * 100 + g, date '2026-11-20' + (g * 7 + r) % 40, timestamp '2026-11-25 00:00' + g * interval '3 hours',
         timestamptz '2026-11-25 00:00+00' + g * interval '3 hours', 'r' || g % 4, g, g % 9
    FROM generate_series(1, 20) g;
  UPDATE bt_src SET day = day + (r % 3) - 1, wall = wall + interval '90 minutes', qty = qty + 3,
                    amount = amount - 2 WHERE id % 11 = r % 11;
  DELETE FROM bt_src WHERE id % 17 = r % 17;
  -- the greatest amount of a group goes: its max is recomputed
  DELETE FROM bt_src WHERE id = (SELECT id FROM bt_src WHERE region = 'r1' ORDER BY amount DESC, id LIMIT 1);
  COMMIT;
  FOR f IN SELECT unnest(ARRAY['bt_day', 'bt_month', 'bt_wall_hour', 'bt_at_day', 'bt_day_hour']) LOOP
    PERFORM dataeng.fact_refresh(f);
  END LOOP;
  COMMIT;
END $$;
CALL bt_round(1, 'delta');
SELECT * FROM bt_diffs() WHERE fact <> 'bt_week_later' ORDER BY fact;
SELECT name, last_refresh_path FROM dataeng.facts WHERE name = 'bt_day';
CALL bt_round(2, 'buckets');
SELECT * FROM bt_diffs() WHERE fact <> 'bt_week_later' ORDER BY fact;
SELECT name, last_refresh_path LIKE 'buckets:%' AS buckets FROM dataeng.facts WHERE name = 'bt_day';
CALL bt_round(3, 'auto');
SELECT * FROM bt_diffs() WHERE fact <> 'bt_week_later' ORDER BY fact;
RESET dataeng.fact_refresh_path;

-- the backfill in batches of two weeks, then changes
CALL dataeng.fact_backfill('bt_week_later', interval '14 days');
SELECT backfill_percent FROM dataeng.facts WHERE name = 'bt_week_later';
CALL bt_round(4, 'auto');
SELECT dataeng.fact_refresh('bt_week_later') > 0 AS applied;
SELECT * FROM bt_diffs() ORDER BY fact;
-- a rebuild
SELECT dataeng.fact_rebuild('bt_month') >= 0 AS rebuilt;
TRUNCATE bt_src;
INSERT INTO bt_src VALUES (1, '2026-12-04', '2026-12-04 23:30', '2026-12-04 23:30-05', 'ny', 10, 1);
SELECT dataeng.fact_refresh('bt_day') AS changes, dataeng.fact_refresh('bt_month') AS month_changes;
SELECT last_refresh_path FROM dataeng.facts WHERE name = 'bt_day';
SELECT * FROM bt_day;
SELECT * FROM bt_diffs() WHERE fact IN ('bt_day', 'bt_month') ORDER BY fact;

-- a definition whose date bucket is computed in another zone is refused
CREATE TABLE bt_forged (LIKE bt_day);
SELECT dataeng_internal._fact_def_write('insert',
  ROW('bt_forged', 'bt_forged'::regclass, current_user::regrole, 'bt_src'::regclass, 'day', 'day', 'America/New_York',
      '{}', '{count(*)}', '[{"agg": "count_star", "name": "count", "text": "count(*)", "mode": "delta", "float": false}]',
      'fact:bt_forged', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, 'bt_forged'::regclass, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);

SELECT dataeng.fact_drop(name) FROM dataeng.facts WHERE name LIKE 'bt\_%' ORDER BY name;
DROP TABLE bt_src, bt_forged;
DROP FUNCTION bt_diffs();
DROP PROCEDURE bt_round(int, text);
DROP FUNCTION fact_diff(regclass, text);
DROP EXTENSION dataeng CASCADE;
