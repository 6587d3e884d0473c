-- Facts against their GROUP BY, row for row, after random batches of
-- changes: a differential check of every measure (count, count(col), sum
-- and avg of int, bigint, numeric and float8, min/max of int, text, date,
-- timestamptz and numeric, count(DISTINCT) of text and numeric, FILTER
-- and expression measures) and dimension kind (int, text in "C", text in
-- a case-insensitive nondeterministic collation, NULL dimensions and NULL
-- time values, day/hour/week/month grains of timestamptz in zones with
-- DST (30 minutes in Lord Howe), date and timestamp columns).  Each round
-- commits a random batch (inserts, updates moving rows between groups and
-- buckets, deletes, a rolled-back subtransaction, a key moved away and
-- back in one transaction, now and then a TRUNCATE), refreshes every fact
-- (refresh path auto, delta or buckets, in another session time zone
-- than the facts'), and compares each fact with its GROUP BY by the text
-- of its rows (so numeric 1.10 and 1.1 differ, and float sums must be
-- the GROUP BY's to the last bit); values under the case-insensitive
-- collation are compared lower-cased (which of 'a' and 'A' a group shows
-- is the order's choice in GROUP BY as well).  Differences are recorded
-- with the round and shown: none expected.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';
CREATE SCHEMA rd;
CREATE COLLATION rd.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE rd.src (
  id int PRIMARY KEY,
  ts timestamptz,            -- nullable: the NULL bucket
  d date NOT NULL,
  tl timestamp NOT NULL,
  gi int,                    -- nullable int dimension
  gt text COLLATE "C",       -- nullable text dimension
  gc text COLLATE rd.ci,     -- nondeterministic dimension
  vi int, vb bigint, vn numeric, vf float8,
  vt text COLLATE "C", vc text COLLATE rd.ci, vd date, vz timestamptz,
  t2 timestamptz NOT NULL, gn int NOT NULL, gk text COLLATE rd.ci NOT NULL);  -- the C apply's key
CREATE TABLE rd.bad (round int, fact text, side text, row text);
CREATE TABLE rd.paths (round int, fact text, path text);

-- a random row for id i: times near DST changes (New York 2026-03-08 and
-- 2026-11-01, Lord Howe 2026-04-05 and 2026-10-04, London 2026-03-29)
CREATE FUNCTION rd.rand_row(i int) RETURNS rd.src LANGUAGE sql VOLATILE AS $$
  SELECT ROW(i,
    CASE WHEN random() < 0.05 THEN NULL ELSE
      (ARRAY[timestamptz '2026-03-08 07:00+00', '2026-11-01 06:00+00', '2026-04-04 15:00+00',
             '2026-10-03 15:30+00', '2026-03-29 01:00+00'])[1 + floor(random() * 5)::int]
      + (floor(random() * 48 * 4) - 96) * interval '15 minutes' END,
    date '2026-02-20' + floor(random() * 30)::int,
    timestamp '2026-01-25' + floor(random() * 24 * 70) * interval '1 hour',
    CASE WHEN random() < 0.1 THEN NULL ELSE floor(random() * 3)::int END,
    CASE WHEN random() < 0.1 THEN NULL ELSE (ARRAY['a', 'b', 'B'])[1 + floor(random() * 3)::int] END,
    (ARRAY['x', 'X', 'y', 'Y', 'z'])[1 + floor(random() * 5)::int],
    CASE WHEN random() < 0.15 THEN NULL ELSE floor(random() * 200 - 100)::int END,
    CASE WHEN random() < 0.15 THEN NULL ELSE floor(random() * 1e12)::bigint * 1000 END,
    CASE WHEN random() < 0.15 THEN NULL
         ELSE (ARRAY[1.1, 1.10, 2.250, 0.001, -3, 7.5000, 0.00000001])[1 + floor(random() * 7)::int] END,
    CASE WHEN random() < 0.15 THEN NULL ELSE round((random() * 200 - 100)::numeric, 2)::float8 END,
    CASE WHEN random() < 0.15 THEN NULL ELSE (ARRAY['k', 'K', 'l', 'm', 'mm', ''])[1 + floor(random() * 6)::int] END,
    CASE WHEN random() < 0.15 THEN NULL ELSE (ARRAY['p', 'P', 'q', 'Q', 'r'])[1 + floor(random() * 5)::int] END,
    CASE WHEN random() < 0.15 THEN NULL ELSE date '2000-01-01' + floor(random() * 40)::int END,
    CASE WHEN random() < 0.15 THEN NULL ELSE timestamptz '2020-01-01 00:00+00' + floor(random() * 40) * interval '1 hour' END,
    timestamptz '2026-03-07 12:00+00' + floor(random() * 6 * 24) * interval '1 hour',
    floor(random() * 3)::int,
    (ARRAY['u', 'U', 'v'])[1 + floor(random() * 3)::int]
  )::rd.src $$;

SELECT setseed(0.4242);
INSERT INTO rd.src SELECT (rd.rand_row(g)).* FROM generate_series(1, 300) g;

-- the facts, created in other zones
SET TimeZone = 'America/New_York';
SELECT dataeng.fact_create('rd.f1', 'rd.src', 'ts', 'day', ARRAY['gi', 'gt'],
  ARRAY['count(*)', 'count(vi)', 'sum(vi)', 'sum(vb)', 'sum(vn)', 'sum(vf)', 'avg(vi)', 'avg(vb)',
        'avg(vn)', 'avg(vf)', 'min(vi)', 'max(vi)', 'min(vt)', 'max(vt)', 'min(vd)', 'max(vd)',
        'min(vz)', 'max(vz)', 'min(vn)', 'max(vn)'], schedule => NULL) IS NOT NULL AS f1;
-- the fact the C apply takes (no nullable key, every measure kept as a delta)
SELECT dataeng.fact_create('rd.f2', 'rd.src', 'd', 'week', ARRAY['gc'],
  ARRAY['count(*)', 'sum(vi)', 'sum(vn)', 'avg(vn)', 'min(vi)', 'max(vn)', 'min(vz)', 'max(vd)',
        'count(DISTINCT vt)', 'count(DISTINCT vn)', 'count(DISTINCT vc)'],
  schedule => NULL) IS NOT NULL AS f2;
SET TimeZone = 'Australia/Lord_Howe';
SELECT dataeng.fact_create('rd.f3', 'rd.src', 'ts', 'hour', ARRAY['gc', 'gi'],
  ARRAY['count(*)', 'min(vc)', 'max(vc)', 'count(DISTINCT vc)', 'sum(vf)', 'max(vt)'],
  schedule => NULL) IS NOT NULL AS f3;
SET TimeZone = 'Europe/London';
SELECT dataeng.fact_create('rd.f4', 'rd.src', 'tl', 'month', ARRAY['gt'],
  ARRAY['count(*) FILTER (WHERE vi > 0) AS pos', 'sum(vn * vi) AS nvi',
        'sum(vi) FILTER (WHERE gc = ''x'') AS xs', 'min(vn + 0) AS mn', 'max(vt || ''z'') AS tc',
        'count(DISTINCT vn * 2) AS dn', 'avg(vb) AS ab'],
  schedule => NULL) IS NOT NULL AS f4;
SELECT dataeng.fact_create('rd.f5', 'rd.src', 'ts', 'month', ARRAY[]::text[],
  ARRAY['count(*)', 'sum(vn)', 'min(vn)', 'max(vt)', 'count(DISTINCT vt)'],
  schedule => NULL) IS NOT NULL AS f5;
SET TimeZone = 'America/Chicago';
SELECT dataeng.fact_create('rd.f6', 'rd.src', 't2', 'day', ARRAY['gn', 'gk'],
  ARRAY['count(*)', 'count(vi)', 'sum(vi)', 'sum(vb)', 'sum(vn)', 'avg(vi)', 'avg(vn)', 'min(vi)', 'max(vi)',
        'min(vt)', 'max(vt)', 'min(vc)', 'max(vc)', 'min(vd)', 'max(vd)', 'min(vz)', 'max(vz)', 'min(vn)',
        'max(vn)', 'sum(vi * 2) FILTER (WHERE vt > ''k'') AS sk'],
  schedule => NULL) IS NOT NULL AS f6;
SELECT dataeng.fact_create('rd.f7', 'rd.src', 't2', 'hour', ARRAY['gk'],
  ARRAY['count(*)', 'sum(vn)', 'min(vi)', 'max(vc)', 'count(DISTINCT vc)', 'count(DISTINCT vt)'],
  schedule => NULL) IS NOT NULL AS f7;
SET TimeZone = 'UTC';

-- the GROUP BY of each fact, and its own rows, as text (lower-cased where
-- the collation is case-insensitive)
CREATE FUNCTION rd.fl(float8) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT round($1::numeric, 8)';
CREATE FUNCTION rd.nm(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT trim_scale($1)';
CREATE FUNCTION rd.na(numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS 'SELECT round($1, 12)';
CREATE VIEW rd.q1 AS
  SELECT ROW(date_trunc('day', ts, 'America/New_York'), gi, gt, count(*), count(vi), sum(vi), sum(vb),
             rd.nm(sum(vn)), rd.fl(sum(vf)), avg(vi), avg(vb), rd.na(avg(vn)), rd.fl(avg(vf)), min(vi), max(vi),
             min(vt), max(vt), min(vd), max(vd), min(vz), max(vz), rd.nm(min(vn)), rd.nm(max(vn)))::text AS r
    FROM rd.src GROUP BY date_trunc('day', ts, 'America/New_York'), gi, gt;
CREATE VIEW rd.v1 AS
  SELECT ROW(bucket, gi, gt, count, count_vi, sum_vi, sum_vb, rd.nm(sum_vn), rd.fl(sum_vf), avg_vi, avg_vb,
             rd.na(avg_vn), rd.fl(avg_vf), min_vi, max_vi, min_vt, max_vt, min_vd, max_vd, min_vz, max_vz,
             rd.nm(min_vn), rd.nm(max_vn))::text AS r FROM rd.f1;
CREATE VIEW rd.q2 AS
  SELECT ROW(date_trunc('week', d)::date, lower(gc), count(*), sum(vi), rd.nm(sum(vn)), rd.na(avg(vn)), min(vi),
             rd.nm(max(vn)), min(vz), max(vd), count(DISTINCT vt), count(DISTINCT vn), count(DISTINCT vc))::text AS r
    FROM rd.src GROUP BY date_trunc('week', d)::date, gc;
CREATE VIEW rd.v2 AS
  SELECT ROW(bucket, lower(gc), count, sum_vi, rd.nm(sum_vn), rd.na(avg_vn), min_vi, rd.nm(max_vn), min_vz,
             max_vd, count_distinct_vt, count_distinct_vn, count_distinct_vc)::text AS r FROM rd.f2;
CREATE VIEW rd.q3 AS
  SELECT ROW(date_trunc('hour', ts, 'Australia/Lord_Howe'), lower(gc), gi, count(*), lower(min(vc)),
             lower(max(vc)), count(DISTINCT vc), rd.fl(sum(vf)), max(vt))::text AS r
    FROM rd.src GROUP BY date_trunc('hour', ts, 'Australia/Lord_Howe'), gc, gi;
CREATE VIEW rd.v3 AS
  SELECT ROW(bucket, lower(gc), gi, count, lower(min_vc), lower(max_vc), count_distinct_vc, rd.fl(sum_vf),
             max_vt)::text AS r FROM rd.f3;
CREATE VIEW rd.q4 AS
  SELECT ROW(date_trunc('month', tl), gt, count(*) FILTER (WHERE vi > 0), rd.nm(sum(vn * vi)),
             sum(vi) FILTER (WHERE gc = 'x'), rd.nm(min(vn + 0)), max(vt || 'z'), count(DISTINCT vn * 2),
             avg(vb))::text AS r
    FROM rd.src GROUP BY date_trunc('month', tl), gt;
CREATE VIEW rd.v4 AS SELECT ROW(bucket, gt, pos, rd.nm(nvi), xs, rd.nm(mn), tc, dn, ab)::text AS r FROM rd.f4;
CREATE VIEW rd.q5 AS
  SELECT ROW(date_trunc('month', ts, 'Europe/London'), count(*), rd.nm(sum(vn)), rd.nm(min(vn)), max(vt),
             count(DISTINCT vt))::text AS r
    FROM rd.src GROUP BY date_trunc('month', ts, 'Europe/London');
CREATE VIEW rd.v5 AS SELECT ROW(bucket, count, rd.nm(sum_vn), rd.nm(min_vn), max_vt, count_distinct_vt)::text AS r
  FROM rd.f5;
CREATE VIEW rd.q6 AS
  SELECT ROW(date_trunc('day', t2, 'America/Chicago'), gn, lower(gk), count(*), count(vi), sum(vi), sum(vb),
             rd.nm(sum(vn)), avg(vi), rd.na(avg(vn)), min(vi), max(vi), min(vt), max(vt), lower(min(vc)),
             lower(max(vc)), min(vd), max(vd), min(vz), max(vz), rd.nm(min(vn)), rd.nm(max(vn)),
             sum(vi * 2) FILTER (WHERE vt > 'k'))::text AS r
    FROM rd.src GROUP BY date_trunc('day', t2, 'America/Chicago'), gn, gk;
CREATE VIEW rd.v6 AS
  SELECT ROW(bucket, gn, lower(gk), count, count_vi, sum_vi, sum_vb, rd.nm(sum_vn), avg_vi, rd.na(avg_vn),
             min_vi, max_vi, min_vt, max_vt, lower(min_vc), lower(max_vc), min_vd, max_vd, min_vz, max_vz,
             rd.nm(min_vn), rd.nm(max_vn), sk)::text AS r FROM rd.f6;
CREATE VIEW rd.q7 AS
  SELECT ROW(date_trunc('hour', t2, 'America/Chicago'), lower(gk), count(*), rd.nm(sum(vn)), min(vi),
             lower(max(vc)), count(DISTINCT vc), count(DISTINCT vt))::text AS r
    FROM rd.src GROUP BY date_trunc('hour', t2, 'America/Chicago'), gk;
CREATE VIEW rd.v7 AS
  SELECT ROW(bucket, lower(gk), count, rd.nm(sum_vn), min_vi, lower(max_vc), count_distinct_vc,
             count_distinct_vt)::text AS r FROM rd.f7;

-- records the rows of fact n not in its GROUP BY and the other way round
CREATE PROCEDURE rd.check(round int) LANGUAGE plpgsql AS $$
DECLARE n int;
BEGIN
  FOR n IN 1..7 LOOP
    EXECUTE format('INSERT INTO rd.bad SELECT $1, %L, ''fact'', r FROM (TABLE rd.v%s EXCEPT ALL TABLE rd.q%s) x', 'f' || n, n, n)
      USING round;
    EXECUTE format('INSERT INTO rd.bad SELECT $1, %L, ''group by'', r FROM (TABLE rd.q%s EXCEPT ALL TABLE rd.v%s) x', 'f' || n, n, n)
      USING round;
  END LOOP;
END $$;

-- one random batch of changes, committed in several transactions
CREATE PROCEDURE rd.batch(round int) LANGUAGE plpgsql AS $$
DECLARE
  i int;
  k int;
  r rd.src;
BEGIN
  IF round % 9 = 8 THEN
    TRUNCATE rd.src;
    INSERT INTO rd.src SELECT (rd.rand_row(g)).* FROM generate_series(1, 100 + floor(random() * 100)::int) g;
    COMMIT;
  END IF;
  FOR i IN 1..(10 + floor(random() * 30)::int) LOOP
    k := 1 + floor(random() * 400)::int;
    r := rd.rand_row(k);
    CASE floor(random() * 8)::int
    WHEN 0, 1 THEN   -- insert (or replace)
      DELETE FROM rd.src WHERE id = k;
      INSERT INTO rd.src SELECT (r).*;
    WHEN 2 THEN      -- delete
      DELETE FROM rd.src WHERE id = k;
    WHEN 3 THEN      -- move to another group and bucket
      UPDATE rd.src SET ts = r.ts, gi = r.gi, gt = r.gt, gc = r.gc, d = r.d, tl = r.tl, t2 = r.t2, gn = r.gn, gk = r.gk
       WHERE id = k;
    WHEN 4 THEN      -- change measures only
      UPDATE rd.src SET vi = r.vi, vb = r.vb, vn = r.vn, vf = r.vf, vt = r.vt, vc = r.vc, vd = r.vd, vz = r.vz
       WHERE id = k;
    WHEN 5 THEN      -- a rolled-back subtransaction
      BEGIN
        UPDATE rd.src SET vi = r.vi, gi = r.gi, vn = r.vn WHERE id = k;
        DELETE FROM rd.src WHERE id = k + 1;
        INSERT INTO rd.src SELECT (rd.rand_row(1000 + k)).*;
        RAISE EXCEPTION 'undo';
      EXCEPTION WHEN raise_exception THEN NULL;
      END;
    WHEN 6 THEN      -- the key moved away and back in one transaction, values changed on the way
      UPDATE rd.src SET id = id + 5000, vn = r.vn, gc = upper(gc) WHERE id = k;
      UPDATE rd.src SET id = id - 5000, vt = r.vt WHERE id = k + 5000;
    ELSE             -- a whole range updated: equal-but-not-same values
      UPDATE rd.src SET vn = vn * 1.0, gc = upper(gc), vc = lower(vc), gk = upper(gk) WHERE id BETWEEN k AND k + 10;
    END CASE;
    IF random() < 0.3 THEN
      COMMIT;
    END IF;
  END LOOP;
  COMMIT;
END $$;

CREATE PROCEDURE rd.run(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  round int;
  n int;
BEGIN
  FOR round IN 1..rounds LOOP
    CALL rd.batch(round);
    PERFORM set_config('TimeZone', (ARRAY['UTC', 'Asia/Kolkata', 'America/Los_Angeles'])[1 + round % 3], false);
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + (round / 3) % 3], false);
    FOR n IN 1..7 LOOP
      PERFORM dataeng.fact_refresh('rd.f' || n);
      INSERT INTO rd.paths SELECT round, 'f' || n, last_refresh_path FROM dataeng.facts WHERE name = 'rd.f' || n;
    END LOOP;
    COMMIT;
    CALL rd.check(round);
    COMMIT;
  END LOOP;
  PERFORM set_config('TimeZone', 'UTC', false);
  PERFORM set_config('dataeng.fact_refresh_path', 'auto', false);
END $$;

CALL rd.check(0);
CALL rd.run(18);
SELECT count(*) AS differences FROM rd.bad;
SELECT * FROM rd.bad ORDER BY round, fact, side, row LIMIT 20;
-- the paths the refreshes took: delta, recomputing groups, re-aggregating
-- buckets, the rebuild after a TRUNCATE
SELECT fact, bool_or(path LIKE 'delta%') AS delta, bool_or(path LIKE '%recomputed%') AS recomputed,
       bool_or(path LIKE 'buckets%') AS buckets, bool_or(path LIKE 'rebuild%') AS rebuild
  FROM rd.paths GROUP BY fact ORDER BY fact;
-- f6 and f7 (no nullable key column, timestamptz buckets) are applied in C
INSERT INTO rd.src SELECT (r).id, (r).ts, (r).d, (r).tl, (r).gi, (r).gt, (r).gc, (r).vi, (r).vb, (r).vn, (r).vf,
                          (r).vt, (r).vc, (r).vd, (r).vz, '2026-06-01 00:00+00', 9, 'w'
  FROM rd.rand_row(999) r;
SELECT dataeng.fact_refresh('rd.f6') AS f6, dataeng_internal._fact_apply_last();
DELETE FROM rd.src WHERE id = 999;
SELECT dataeng.fact_refresh('rd.f6') AS f6, dataeng.fact_refresh('rd.f7') AS f7, dataeng_internal._fact_apply_last();
CALL rd.check(100);
SELECT count(*) AS differences FROM rd.bad;

DROP VIEW rd.q1, rd.v1, rd.q2, rd.v2, rd.q3, rd.v3, rd.q4, rd.v4, rd.q5, rd.v5, rd.q6, rd.v6, rd.q7, rd.v7;
SELECT dataeng.fact_drop('rd.f' || n) FROM generate_series(1, 7) n;
DROP SCHEMA rd CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
