-- min/max measures: a refresh keeps, per group, a reserve of its 16 least
-- (greatest) values, and takes the new extreme from it when one goes.  The
-- groups here hold 10 values each, so their reserves hold them all and
-- nothing is recomputed for min/max (facts_reserve shows reserves running
-- out); a measure with no delta (count(DISTINCT)) recomputes every group
-- it touches, in one statement, or the touched buckets are re-aggregated
-- when that is less work.  After every step the fact equals its GROUP BY,
-- and dataeng.facts tells which path ran.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';

CREATE TABLE mm_src (id int PRIMARY KEY, at timestamptz, region int, v int, w text, f float8);
INSERT INTO mm_src
SELECT g, timestamptz '2025-03-01' + (g % 4) * interval '1 day' + g * interval '1 minute',
       g % 3, g, 'w' || lpad(g::text, 3, '0'), g / 4.0
  FROM generate_series(1, 120) g;
SELECT dataeng.fact_create('mm_fact', 'mm_src', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'min(v)', 'max(v)', 'min(w)', 'max(w) AS last_w'],
                           schedule => NULL) IS NOT NULL AS created;
-- the same over a source with an index on its time column, and with a
-- measure that has no delta (every touched group recomputed)
CREATE TABLE mm_idx (LIKE mm_src INCLUDING ALL);
CREATE INDEX ON mm_idx (at);
INSERT INTO mm_idx SELECT * FROM mm_src;
SELECT dataeng.fact_create('mm_ifact', 'mm_idx', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'min(v)', 'max(v)', 'count(DISTINCT w)', 'sum(f)'],
                           schedule => NULL) IS NOT NULL AS created;

-- rows of the fact not in its GROUP BY and the other way round (0: equal)
CREATE FUNCTION mm_diff() RETURNS TABLE (fact text, diff bigint) LANGUAGE sql AS $$
  SELECT 'mm_fact', count(*) FROM (
    (SELECT bucket, region, count, min_v, max_v, min_w, last_w FROM mm_fact
     EXCEPT ALL
     SELECT date_trunc('day', at, 'UTC'), region, count(*), min(v), max(v), min(w), max(w) FROM mm_src GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), region, count(*), min(v), max(v), min(w), max(w) FROM mm_src GROUP BY 1, 2
     EXCEPT ALL
     SELECT bucket, region, count, min_v, max_v, min_w, last_w FROM mm_fact)) x
  UNION ALL
  SELECT 'mm_ifact', count(*) FROM (
    (SELECT bucket, region, count, min_v, max_v, count_distinct_w, sum_f FROM mm_ifact
     EXCEPT ALL
     SELECT date_trunc('day', at, 'UTC'), region, count(*), min(v), max(v), count(DISTINCT w), sum(f) FROM mm_idx GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), region, count(*), min(v), max(v), count(DISTINCT w), sum(f) FROM mm_idx GROUP BY 1, 2
     EXCEPT ALL
     SELECT bucket, region, count, min_v, max_v, count_distinct_w, sum_f FROM mm_ifact)) x
$$;
-- the same statements on both sources, then both refreshed
CREATE PROCEDURE mm_run(stmt text) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  EXECUTE replace(stmt, 'mm_src', 'mm_idx');
END $$;
CREATE FUNCTION mm_refresh() RETURNS TABLE (fact text, changes bigint, path text) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY ARRAY['mm_fact', 'mm_ifact'] LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    RETURN NEXT;
  END LOOP;
END $$;
SELECT * FROM mm_diff();
SELECT name, last_refresh_path FROM dataeng.facts WHERE name LIKE 'mm%' ORDER BY 1;

-- 1. extremes untouched: values between a group's min and max updated and
-- deleted, values inside the range inserted: nothing recomputed for
-- min/max (the fact with count(DISTINCT) recomputes what it touched)
SET dataeng.fact_refresh_path = 'delta';
CALL mm_run($$UPDATE mm_src SET v = v + 1, w = w || 'x' WHERE id IN (40, 41, 42)$$);
CALL mm_run($$DELETE FROM mm_src WHERE id IN (50, 51)$$);
CALL mm_run($$INSERT INTO mm_src VALUES (500, '2025-03-02 12:00', 1, 60, 'w060', 1.5)$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();

-- 2. extremes removed: the row holding a group's min deleted, another
-- group's max updated downwards, a third group's min updated upwards: the
-- new extremes come from the reserves (mm_ifact recomputes the groups
-- touched, for its count(DISTINCT))
SELECT bucket, region, min_v, max_v FROM mm_fact WHERE bucket = '2025-03-01' ORDER BY region;
CALL mm_run($$DELETE FROM mm_src WHERE id = 4$$);          -- min of (03-01, 1)
CALL mm_run($$UPDATE mm_src SET v = 0 WHERE id = 116$$);   -- max of (03-01, 2) down
CALL mm_run($$UPDATE mm_src SET v = 999, w = 'a' WHERE id = 12$$); -- min of (03-01, 0) up; its min(w) down
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();
SELECT bucket, region, min_v, max_v, min_w FROM mm_fact WHERE bucket = '2025-03-01' ORDER BY region;

-- an extreme removed and a lesser value inserted in the same group: the
-- new value is the min, nothing to recompute
CALL mm_run($$DELETE FROM mm_src WHERE id = 8$$);
CALL mm_run($$INSERT INTO mm_src VALUES (501, '2025-03-01 06:00', 2, -7, 'a0', 0)$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();

-- 3. a group emptied (and one emptied and refilled in one refresh)
CALL mm_run($$DELETE FROM mm_src WHERE date_trunc('day', at, 'UTC') = '2025-03-03' AND region = 0$$);
CALL mm_run($$DELETE FROM mm_src WHERE date_trunc('day', at, 'UTC') = '2025-03-03' AND region = 1$$);
CALL mm_run($$INSERT INTO mm_src VALUES (502, '2025-03-03 01:00', 1, 5000, 'zz', 2)$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();
SELECT count(*) AS groups_0303 FROM mm_fact WHERE bucket = '2025-03-03';

-- 4. NULL extremes: a group whose values become all NULL has NULL min/max;
-- a NULL that comes or goes changes no extreme
CALL mm_run($$UPDATE mm_src SET v = NULL, w = NULL WHERE date_trunc('day', at, 'UTC') = '2025-03-04' AND region = 2$$);
CALL mm_run($$INSERT INTO mm_src VALUES (503, '2025-03-04 02:00', 0, NULL, NULL, NULL)$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();
SELECT bucket, region, count, min_v, max_v, min_w, last_w FROM mm_fact
 WHERE bucket = '2025-03-04' ORDER BY region;
CALL mm_run($$INSERT INTO mm_src VALUES (504, '2025-03-04 03:00', 2, 7, 'q', 1)$$);
CALL mm_run($$DELETE FROM mm_src WHERE id = 503$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();

-- 5. a bucket moved: a value moved into a day where it is the new min,
-- the min of a group moved to another day (into a new group), a max moved
-- into a day where it is the new max
SELECT bucket, region, min_v, max_v FROM mm_fact WHERE region = 1 ORDER BY bucket;
CALL mm_run($$UPDATE mm_src SET at = at + interval '1 day' WHERE id = 13$$);
CALL mm_run($$UPDATE mm_src SET at = '2025-03-10 00:00' WHERE id = 1$$);
CALL mm_run($$UPDATE mm_src SET at = at - interval '1 day', v = 10000 WHERE id = 25$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();
SELECT bucket, region, min_v, max_v FROM mm_fact WHERE region = 1 ORDER BY bucket;

-- 6. NULL keys: rows with no time (the NULL bucket) and no region, their
-- extremes removed (the groups are matched through a sentinel key)
CALL mm_run($$INSERT INTO mm_src VALUES (505, NULL, NULL, 3, 'n1', 1), (506, NULL, NULL, 9, 'n2', 1),
                                        (507, '2025-03-02', NULL, 4, 'n3', 1)$$);
SELECT * FROM mm_refresh();
CALL mm_run($$DELETE FROM mm_src WHERE id IN (505, 507)$$);
CALL mm_run($$UPDATE mm_src SET v = 1 WHERE id = 2$$);  -- min(v) folded; w002 stays: not recomputed
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();
SELECT bucket, region, count, min_v, max_v FROM mm_fact WHERE bucket IS NULL OR region IS NULL ORDER BY 1, 2;

-- 7. the touched buckets re-aggregated (forced; then every group's min
-- removed: mm_ifact recomputes every group, and re-aggregating the
-- touched buckets is the same work)
SET dataeng.fact_refresh_path = 'buckets';
CALL mm_run($$DELETE FROM mm_src WHERE id IN (20, 21)$$);
CALL mm_run($$INSERT INTO mm_src VALUES (508, '2025-03-05', 1, 1, 'b', 1)$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();
RESET dataeng.fact_refresh_path;
CALL mm_run($$DELETE FROM mm_src s USING (SELECT DISTINCT ON (date_trunc('day', at, 'UTC'), region) id FROM mm_src
                                           ORDER BY date_trunc('day', at, 'UTC'), region, v) x WHERE s.id = x.id$$);
SELECT fact, changes, split_part(path, ':', 1) AS path FROM mm_refresh();
SELECT * FROM mm_diff();
-- and a small change again takes the delta
CALL mm_run($$INSERT INTO mm_src VALUES (509, '2025-03-02 05:00', 2, 50, 'm', 1)$$);
SELECT * FROM mm_refresh();
SELECT * FROM mm_diff();

-- 8. random rounds on both facts, each path
CREATE PROCEDURE mm_random(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  r int;
  bad bigint;
BEGIN
  PERFORM setseed(0.15);
  FOR r IN 1 .. rounds LOOP
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + r % 3], false);
    CALL mm_run(format($q$UPDATE mm_src SET v = CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 300)::int END,
                         at = CASE WHEN random() < 0.2 THEN at + interval '1 day' ELSE at END
                   WHERE id %% 17 = %s$q$, r % 17));
    CALL mm_run(format($q$DELETE FROM mm_src WHERE id %% 23 = %s$q$, r % 23));
    CALL mm_run(format($q$INSERT INTO mm_src SELECT 1000 * %1$s + g, timestamptz '2025-03-01' + g * interval '3 hours',
                                              g %% 4, (g * 37 + %1$s) %% 301, 'r' || g, g / 8.0
                                         FROM generate_series(1, 12) g$q$, r));
    COMMIT;                      -- (a refresh reads committed changes)
    PERFORM * FROM mm_refresh();
    SELECT sum(x.diff) INTO bad FROM mm_diff() x;
    IF bad <> 0 THEN
      RAISE EXCEPTION 'round %: the facts differ from their GROUP BY in % rows', r, bad;
    END IF;
  END LOOP;
  RESET dataeng.fact_refresh_path;
END $$;
CALL mm_random(12);
SELECT * FROM mm_diff();

SELECT dataeng.fact_drop('mm_fact'), dataeng.fact_drop('mm_ifact');
DROP TABLE mm_src, mm_idx;
DROP FUNCTION mm_diff, mm_refresh;
DROP PROCEDURE mm_run, mm_random;
DROP EXTENSION dataeng CASCADE;
