-- count(DISTINCT) measures kept incrementally: a fact keeps, per group and
-- value, the number of rows with that value in its side table
-- <fact>_distinct; a refresh adds the values that came and went to those
-- counts and changes a group's count(DISTINCT) by the values whose count
-- went from zero to positive or back.  No group is recomputed from the
-- source for them (dataeng.facts.last_refresh_path says 'delta', not
-- 'delta, N groups recomputed').  After every step the fact equals its
-- GROUP BY and the side table equals the per-value counts of the source.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';
CREATE COLLATION cd_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE ROLE cd_owner;
CREATE ROLE cd_other;
CREATE SCHEMA cd AUTHORIZATION cd_owner;
GRANT USAGE ON SCHEMA cd TO cd_other;
SET ROLE cd_owner;

-- nullable time and dimension (the NULL bucket and NULL groups), an int
-- value, a text value under a case-insensitive collation ('a' and 'A' are
-- one value), a numeric expression with a filter (1.0 and 1.00 are one
-- value), and a sum beside them
CREATE TABLE cd.src (id int PRIMARY KEY, at timestamptz, region int, v int, w text COLLATE cd_ci, x numeric);
INSERT INTO cd.src
SELECT g, timestamptz '2025-03-01' + (g % 4) * interval '1 day' + g * interval '1 minute',
       g % 3, g % 7, (ARRAY['a', 'A', 'b', 'B', 'c'])[1 + g % 5], (g % 4)::numeric
  FROM generate_series(1, 120) g;
SELECT dataeng.fact_create('cd.fact', 'cd.src', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'count(DISTINCT v)', 'count(DISTINCT w)',
                                 'count(DISTINCT x * 1.0) FILTER (WHERE v > 2) AS big_x', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS created;
-- NOT NULL keys, an index on the time column, with min and max (the MERGE
-- of the delta path folds them itself)
-- (a trigger puts the rows with no time or region of cd.src elsewhere)
CREATE TABLE cd.isrc (id int PRIMARY KEY, at timestamptz NOT NULL, region int NOT NULL, v int, w text, x numeric);
CREATE INDEX ON cd.isrc (at);
CREATE FUNCTION cd.no_nulls() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.at := coalesce(NEW.at, '2025-03-09');
  NEW.region := coalesce(NEW.region, 0);
  RETURN NEW;
END $$;
CREATE TRIGGER no_nulls BEFORE INSERT OR UPDATE ON cd.isrc FOR EACH ROW EXECUTE FUNCTION cd.no_nulls();
INSERT INTO cd.isrc SELECT * FROM cd.src;
SELECT dataeng.fact_create('cd.ifact', 'cd.isrc', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'min(v)', 'max(v)', 'count(DISTINCT v)', 'count(DISTINCT w)'],
                           schedule => NULL) IS NOT NULL AS created;

-- the measures' modes, and the side tables: the owner's, private
SELECT name, e->>'name' AS measure, e->>'mode' AS mode
  FROM dataeng_internal.fact_defs, jsonb_array_elements(spec) e
 WHERE name LIKE 'cd.%' AND e->>'agg' = 'count_distinct' ORDER BY 1, 2;
SELECT c.oid::regclass AS side, pg_get_userbyid(c.relowner) AS owner,
       has_table_privilege('cd_other', c.oid, 'SELECT') AS other_reads
  FROM pg_class c WHERE c.relname LIKE '%\_distinct' AND c.relnamespace = 'cd'::regnamespace ORDER BY 1;
\d cd.fact_distinct

-- differences with the truth (0: equal): the facts against their GROUP BY,
-- the side tables against the per-value counts of their sources
CREATE FUNCTION cd.diff() RETURNS TABLE (what text, diff bigint) LANGUAGE sql AS $$
  SELECT 'fact', count(*) FROM (
    (SELECT bucket, region, count, count_distinct_v, count_distinct_w, big_x, sum_v FROM cd.fact
     EXCEPT ALL
     SELECT date_trunc('day', at, 'UTC'), region, count(*), count(DISTINCT v), count(DISTINCT w),
            count(DISTINCT x * 1.0) FILTER (WHERE v > 2), sum(v) FROM cd.src GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), region, count(*), count(DISTINCT v), count(DISTINCT w),
            count(DISTINCT x * 1.0) FILTER (WHERE v > 2), sum(v) FROM cd.src GROUP BY 1, 2
     EXCEPT ALL
     SELECT bucket, region, count, count_distinct_v, count_distinct_w, big_x, sum_v FROM cd.fact)) x
  UNION ALL
  SELECT 'ifact', count(*) FROM (
    (SELECT bucket, region, count, min_v, max_v, count_distinct_v, count_distinct_w FROM cd.ifact
     EXCEPT ALL
     SELECT date_trunc('day', at, 'UTC'), region, count(*), min(v), max(v), count(DISTINCT v), count(DISTINCT w)
       FROM cd.isrc GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), region, count(*), min(v), max(v), count(DISTINCT v), count(DISTINCT w)
       FROM cd.isrc GROUP BY 1, 2
     EXCEPT ALL
     SELECT bucket, region, count, min_v, max_v, count_distinct_v, count_distinct_w FROM cd.ifact)) x
  UNION ALL
  -- (the side table's per-value counts of v; of w, counted under its
  -- collation; every count positive)
  SELECT 'fact side', count(*) FROM (
    (SELECT bucket, region, u.v::text, u.n FROM cd.fact_distinct, unnest(__a2, dataeng_internal._fact_side_counts(__n)) u(v, n) WHERE __m = 2
     UNION ALL SELECT bucket, region, lower(u.v) COLLATE "default", u.n FROM cd.fact_distinct, unnest(__a3, dataeng_internal._fact_side_counts(__n)) u(v, n) WHERE __m = 3
     EXCEPT ALL
     (SELECT date_trunc('day', at, 'UTC'), region, v::text, count(*) FROM cd.src WHERE v IS NOT NULL GROUP BY 1, 2, 3
      UNION ALL
      SELECT date_trunc('day', at, 'UTC'), region, lower(w) COLLATE "default", count(*) FROM cd.src WHERE w IS NOT NULL GROUP BY 1, 2, 3))
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), region, v::text, count(*) FROM cd.src WHERE v IS NOT NULL GROUP BY 1, 2, 3
     UNION ALL
     SELECT date_trunc('day', at, 'UTC'), region, lower(w) COLLATE "default", count(*) FROM cd.src WHERE w IS NOT NULL GROUP BY 1, 2, 3
     EXCEPT ALL
     (SELECT bucket, region, u.v::text, u.n FROM cd.fact_distinct, unnest(__a2, dataeng_internal._fact_side_counts(__n)) u(v, n) WHERE __m = 2
      UNION ALL SELECT bucket, region, lower(u.v) COLLATE "default", u.n FROM cd.fact_distinct, unnest(__a3, dataeng_internal._fact_side_counts(__n)) u(v, n) WHERE __m = 3))) x
  UNION ALL
  SELECT 'side counts not positive', count(*) FROM cd.fact_distinct, unnest(dataeng_internal._fact_side_counts(__n)) c WHERE c <= 0
  UNION ALL
  -- (each chunk: its first value, as many counts as values, the values
  -- sorted and distinct under their collation, no chunk empty)
  SELECT 'side chunks malformed', count(*) FROM cd.fact_distinct f
   WHERE cardinality(dataeng_internal._fact_side_counts(__n)) = 0
      OR CASE __m WHEN 2 THEN cardinality(__a2) <> cardinality(dataeng_internal._fact_side_counts(__n)) OR __v2 IS DISTINCT FROM __a2[1]
                              OR EXISTS (SELECT FROM unnest(__a2) WITH ORDINALITY a(v, i)
                                         JOIN unnest(__a2) WITH ORDINALITY b(v, j) ON j = i + 1 WHERE a.v >= b.v)
                  WHEN 3 THEN cardinality(__a3) <> cardinality(dataeng_internal._fact_side_counts(__n)) OR __v3 IS DISTINCT FROM __a3[1]
                              OR EXISTS (SELECT FROM unnest(__a3) WITH ORDINALITY a(v, i)
                                         JOIN unnest(__a3) WITH ORDINALITY b(v, j) ON j = i + 1 WHERE a.v >= b.v)
                  ELSE cardinality(__a4) <> cardinality(dataeng_internal._fact_side_counts(__n)) OR __v4 IS DISTINCT FROM __a4[1]
                       OR EXISTS (SELECT FROM unnest(__a4) WITH ORDINALITY a(v, i)
                                  JOIN unnest(__a4) WITH ORDINALITY b(v, j) ON j = i + 1 WHERE a.v >= b.v) END
  UNION ALL
  -- (a group's chunks by value range: no value in two of them)
  SELECT 'side chunks overlapping', count(*) FROM (
    SELECT bucket, region, __m, coalesce(u2.v::text, lower(u3.v), u4.v::text) AS v
      FROM cd.fact_distinct
      LEFT JOIN LATERAL unnest(__a2) u2(v) ON __m = 2
      LEFT JOIN LATERAL unnest(__a3) u3(v) ON __m = 3
      LEFT JOIN LATERAL unnest(__a4) u4(v) ON __m = 4
     GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) x
$$;
-- the same statements on both sources, then both refreshed
CREATE PROCEDURE cd.run(stmt text) LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE stmt;
  EXECUTE replace(stmt, 'cd.src', 'cd.isrc');
END $$;
CREATE FUNCTION cd.refresh() RETURNS TABLE (fact text, changes bigint, path text) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY ARRAY['cd.fact', 'cd.ifact'] LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    RETURN NEXT;
  END LOOP;
END $$;
SELECT * FROM cd.diff();
SELECT bucket, region, count, count_distinct_v, count_distinct_w, big_x FROM cd.fact
 WHERE bucket = '2025-03-01' ORDER BY region;

-- 1. values coming and going on the delta path: a value inserted that the
-- group has (no change), one it had not, an update leaving a value as it
-- was, the last row of a value deleted (one less), a value equal under
-- the collation ('C' beside 'c') and a numeric equal to another (2.00)
SET dataeng.fact_refresh_path = 'delta';
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (500, '2025-03-01 12:00', 0, 3, 'C', 2.00),
                                                              (501, '2025-03-01 13:00', 0, 100, 'zz', 50)$$);
CALL cd.run($$UPDATE cd.src SET id = id WHERE id = 12$$);
CALL cd.run($$DELETE FROM cd.src WHERE id IN (SELECT id FROM cd.src WHERE region = 1 AND v = 4
                                                AND date_trunc('day', at, 'UTC') = '2025-03-02')$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();
SELECT bucket, region, count, count_distinct_v, count_distinct_w, big_x FROM cd.fact
 WHERE bucket = '2025-03-01' ORDER BY region;

-- 2. NULL values are not counted: a group's values all become NULL (its
-- count(DISTINCT) 0), NULLs come and go
CALL cd.run($$UPDATE cd.src SET v = NULL, w = NULL WHERE date_trunc('day', at, 'UTC') = '2025-03-04' AND region = 2$$);
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (502, '2025-03-04 02:00', 0, NULL, NULL, NULL)$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();
SELECT bucket, region, count, count_distinct_v, count_distinct_w, big_x FROM cd.fact
 WHERE bucket = '2025-03-04' ORDER BY region;
CALL cd.run($$UPDATE cd.src SET v = 5, w = 'Q' WHERE id = (SELECT min(id) FROM cd.src WHERE v IS NULL AND region = 2)$$);
CALL cd.run($$DELETE FROM cd.src WHERE id = 502$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();

-- 3. NULL group keys: rows with no time (the NULL bucket) and no region
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (503, NULL::timestamptz, NULL, 3, 'n', 1),
                                                              (504, NULL::timestamptz, NULL, 3, 'N', 1),
                                                              (505, '2025-03-02', NULL, 4, 'n', 1)$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();
CALL cd.run($$DELETE FROM cd.src WHERE id IN (503, 505)$$);
CALL cd.run($$UPDATE cd.src SET v = 9 WHERE id = 504$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();
SELECT bucket, region, count, count_distinct_v, count_distinct_w FROM cd.fact
 WHERE bucket IS NULL OR region IS NULL ORDER BY 1, 2;

-- 4. buckets moved (a value leaves one group for another), a group emptied
-- and one emptied and refilled in one refresh: the emptied group's side
-- rows go with it
CALL cd.run($$UPDATE cd.src SET at = at + interval '1 day' WHERE id IN (13, 14)$$);
CALL cd.run($$DELETE FROM cd.src WHERE date_trunc('day', at, 'UTC') = '2025-03-03' AND region = 0$$);
CALL cd.run($$DELETE FROM cd.src WHERE date_trunc('day', at, 'UTC') = '2025-03-03' AND region = 1$$);
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (506, '2025-03-03 01:00', 1, 42, 'new', 5)$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();
SELECT region, count, count_distinct_v, count_distinct_w FROM cd.fact WHERE bucket = '2025-03-03' ORDER BY 1;
SELECT count(*) AS side_rows_0303_region_0 FROM cd.fact_distinct WHERE bucket = '2025-03-03' AND region = 0;

-- 5. a row inserted, updated and deleted in one transaction, another
-- inserted and updated twice: only what is left counts
BEGIN;
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (507, '2025-03-02', 2, 77, 'tx', 1),
                                                              (508, '2025-03-02', 2, 78, 'ty', 1)$$);
CALL cd.run($$UPDATE cd.src SET v = 79 WHERE id IN (507, 508)$$);
CALL cd.run($$UPDATE cd.src SET v = 80 WHERE id = 508$$);
CALL cd.run($$DELETE FROM cd.src WHERE id = 507$$);
COMMIT;
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();

-- 6. the touched buckets re-aggregated (forced): the side rows of those
-- buckets are made again from the source too; then the delta again
SET dataeng.fact_refresh_path = 'buckets';
CALL cd.run($$UPDATE cd.src SET v = v + 1, w = upper(w) WHERE id % 11 = 0$$);
CALL cd.run($$DELETE FROM cd.src WHERE id IN (20, 21)$$);
SELECT fact, changes, split_part(path, ':', 1) AS path FROM cd.refresh();
SELECT * FROM cd.diff();
SET dataeng.fact_refresh_path = 'delta';
CALL cd.run($$UPDATE cd.src SET v = v - 1 WHERE id % 11 = 0$$);
SELECT * FROM cd.refresh();
SELECT * FROM cd.diff();

-- 7. the fold within work_mem: many changes folded in parts (a group's
-- values then come in several rows, added up)
SET work_mem = '64kB';
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x)
              SELECT 10000 + g, timestamptz '2025-03-01' + (g % 40) * interval '1 day', g % 50, g % 13,
                     (ARRAY['a', 'A', 'b', 'B', 'c'])[1 + g % 5] || (g % 9), g % 3 FROM generate_series(1, 6000) g$$);
SELECT fact, changes, path ~ '^delta \(changes folded in [0-9]+ parts, within work_mem\)$' AS delta_in_parts
  FROM cd.refresh();
SELECT * FROM cd.diff();
CALL cd.run($$UPDATE cd.src SET v = (v + id) % 17, w = lower(w) WHERE id > 10000 AND id % 3 = 0$$);
CALL cd.run($$DELETE FROM cd.src WHERE id > 10000 AND id % 5 = 0$$);
SELECT fact, changes, path ~ '^delta \(changes folded in [0-9]+ parts, within work_mem\)$' AS delta_in_parts
  FROM cd.refresh();
SELECT * FROM cd.diff();
RESET work_mem;

-- 8. random rounds on both facts, each path (several transactions per
-- refresh): equal to the GROUP BY after each, and on the delta path no
-- group ever recomputed from the source
CREATE TABLE cd.paths (round int, fact text, path text);
CREATE PROCEDURE cd.random(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  r int;
  bad bigint;
BEGIN
  PERFORM setseed(0.25);
  FOR r IN 1 .. rounds LOOP
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + r % 3], false);
    CALL cd.run(format($q$UPDATE cd.src SET v = CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 20)::int END,
                          w = CASE WHEN random() < 0.5 THEN upper(w) ELSE w END,
                          at = CASE WHEN random() < 0.2 THEN at + interval '1 day' ELSE at END
                    WHERE id %% 17 = %s$q$, r % 17));
    COMMIT;
    CALL cd.run(format($q$DELETE FROM cd.src WHERE id %% 23 = %s$q$, r % 23));
    COMMIT;
    CALL cd.run(format($q$INSERT INTO cd.src (id, at, region, v, w, x)
                          SELECT 100000 * %1$s + g, timestamptz '2025-03-01' + g * interval '3 hours',
                                 g %% 4, (g * 37 + %1$s) %% 21, (ARRAY['a', 'A', 'b', 'B', NULL])[1 + g %% 5], g %% 3
                            FROM generate_series(1, 12) g$q$, r));
    COMMIT;
    INSERT INTO cd.paths SELECT r, x.fact, x.path FROM cd.refresh() x;
    SELECT sum(x.diff) INTO bad FROM cd.diff() x;
    IF bad <> 0 THEN
      RAISE EXCEPTION 'round %: the facts differ from their GROUP BY in % rows', r, bad;
    END IF;
  END LOOP;
  RESET dataeng.fact_refresh_path;
END $$;
CALL cd.random(15);
SELECT * FROM cd.diff();
SELECT fact, count(*) FILTER (WHERE path = 'delta') AS delta, count(*) FILTER (WHERE path LIKE 'buckets%') AS buckets,
       count(*) FILTER (WHERE path LIKE '%recomputed%') AS recomputed
  FROM cd.paths GROUP BY 1 ORDER BY 1;
RESET dataeng.fact_refresh_path;

-- 9. TRUNCATE of the source and fact_rebuild: the side table is made again
CALL cd.run($$DELETE FROM cd.src WHERE id % 2 = 0$$);
SELECT dataeng.fact_rebuild('cd.fact') >= 0 AS rebuilt, dataeng.fact_refresh('cd.ifact') > 0 AS refreshed;
SELECT * FROM cd.diff();
CALL cd.run('TRUNCATE cd.src');
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (1, '2025-03-01', 1, 1, 'a', 1), (2, '2025-03-01', 1, 2, 'A', 1)$$);
SELECT fact, changes, path FROM cd.refresh() WHERE fact = 'cd.fact';
SELECT * FROM cd.diff();

-- 10. the side table dropped by hand: the next refresh rebuilds the fact,
-- which makes it again (as a fact of dataeng 0.1.0 gets it)
DROP TABLE cd.fact_distinct;
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (3, '2025-03-01', 1, 2, 'b', 1)$$);
SELECT fact, changes, path FROM cd.refresh() WHERE fact = 'cd.fact';
SELECT * FROM cd.diff();
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (4, '2025-03-01', 1, 7, 'B', 1)$$);
SELECT fact, changes, path FROM cd.refresh() WHERE fact = 'cd.fact';
SELECT * FROM cd.diff();
SELECT region, count, count_distinct_v, count_distinct_w FROM cd.fact;

-- 11. a superuser's refresh runs as the owner: the side table stays the
-- owner's, and writes to it as the owner
RESET ROLE;
CALL cd.run($$INSERT INTO cd.src (id, at, region, v, w, x) VALUES (5, '2025-03-01', 1, 8, 'c', 1)$$);
SELECT fact, changes, path FROM cd.refresh() WHERE fact = 'cd.fact';
SELECT pg_get_userbyid(relowner) AS side_owner FROM pg_class WHERE oid = 'cd.fact_distinct'::regclass;
SET ROLE cd_owner;
SELECT * FROM cd.diff();

-- 12. backfill later: the side rows of each batch come with it
CREATE TABLE cd.bsrc (id int PRIMARY KEY, at timestamptz NOT NULL, v int);
INSERT INTO cd.bsrc SELECT g, timestamptz '2025-01-01' + g * interval '7 hours', g % 5 FROM generate_series(1, 200) g;
SELECT dataeng.fact_create('cd.bfact', 'cd.bsrc', 'at', 'week', '{}', ARRAY['count(DISTINCT v)'],
                           schedule => NULL, backfill => 'later') IS NOT NULL AS created;
INSERT INTO cd.bsrc VALUES (1000, '2025-01-02', 99), (1001, '2025-02-28', 98);
CALL dataeng.fact_backfill('cd.bfact', interval '3 weeks');
INSERT INTO cd.bsrc VALUES (1002, '2025-01-03', 97);
DELETE FROM cd.bsrc WHERE id = 1000;
SELECT dataeng.fact_refresh('cd.bfact');
SELECT count(*) AS diff FROM (
  (SELECT bucket, count_distinct_v FROM cd.bfact
   EXCEPT ALL SELECT date_trunc('week', at, 'UTC'), count(DISTINCT v) FROM cd.bsrc GROUP BY 1)
  UNION ALL
  (SELECT date_trunc('week', at, 'UTC'), count(DISTINCT v) FROM cd.bsrc GROUP BY 1
   EXCEPT ALL SELECT bucket, count_distinct_v FROM cd.bfact)) d;
SELECT last_refresh_path FROM dataeng.facts WHERE name = 'cd.bfact';

-- 13. a side table's name taken: fact_create refuses, naming it
CREATE TABLE cd.taken_distinct (x int);
SELECT dataeng.fact_create('cd.taken', 'cd.bsrc', 'at', 'week', '{}', ARRAY['count(DISTINCT v)'], schedule => NULL);
SELECT to_regclass('cd.taken') AS no_fact, to_regclass('cd.taken_data') AS no_storage;
DROP TABLE cd.taken_distinct;
-- a count(DISTINCT) of a type not read typed from the changes (an array)
-- is recomputed for the groups a refresh touches, with no side table
CREATE TABLE cd.asrc (id int PRIMARY KEY, at timestamptz NOT NULL, tags text[]);
INSERT INTO cd.asrc VALUES (1, '2025-01-01', '{a}'), (2, '2025-01-01', '{b}');
SELECT dataeng.fact_create('cd.afact', 'cd.asrc', 'at', 'day', '{}', ARRAY['count(DISTINCT tags)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT (spec->0)->>'mode' AS mode, to_regclass('cd.afact_distinct') AS side FROM dataeng_internal.fact_defs WHERE name = 'cd.afact';
INSERT INTO cd.asrc VALUES (3, '2025-01-01', '{a}'), (4, '2025-01-01', '{c}');
SELECT dataeng.fact_refresh('cd.afact');
SELECT bucket, count_distinct_tags, (SELECT last_refresh_path FROM dataeng.facts WHERE name = 'cd.afact') FROM cd.afact;

-- varchar (text's btree class), enum and range values are kept with
-- per-value counts too; a numeric dimension whose equal values are stored
-- differently (1.0, 1.00): the folded groups are merged by a GROUP BY,
-- their values that came and went with them
CREATE TYPE cd.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE cd.vsrc (id int PRIMARY KEY, at timestamptz NOT NULL, grp numeric, code varchar(10), mood cd.mood,
                      span int4range);
INSERT INTO cd.vsrc SELECT g, timestamptz '2025-01-01' + (g % 3) * interval '1 day',
                           (g % 2) + CASE WHEN g % 4 < 2 THEN 0.0 ELSE 0.00 END, 'c' || (g % 4),
                           (ARRAY['sad', 'ok', 'happy']::cd.mood[])[1 + g % 3], int4range(g % 2, 5)
                      FROM generate_series(1, 30) g;
SELECT dataeng.fact_create('cd.vfact', 'cd.vsrc', 'at', 'day', '{grp}',
                           ARRAY['count(DISTINCT code)', 'count(DISTINCT mood)', 'count(DISTINCT span)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT e->>'name' AS measure, e->>'mode' AS mode
  FROM dataeng_internal.fact_defs, jsonb_array_elements(spec) e WHERE name = 'cd.vfact' ORDER BY 1;
UPDATE cd.vsrc SET code = 'z', mood = 'ok', span = int4range(7, 9) WHERE id % 5 = 0;
DELETE FROM cd.vsrc WHERE id % 7 = 0;
INSERT INTO cd.vsrc VALUES (100, '2025-01-02', 1.000, 'C1', 'happy', int4range(1, 5)),
                           (101, '2025-01-02', 1.0, 'c1', 'sad', int4range(1, 5));
UPDATE cd.vsrc SET grp = grp + 0.000 WHERE id % 3 = 0;
SELECT dataeng.fact_refresh('cd.vfact');
SELECT count(*) AS diff, (SELECT last_refresh_path FROM dataeng.facts WHERE name = 'cd.vfact') AS path FROM (
  (SELECT bucket, grp, count_distinct_code, count_distinct_mood, count_distinct_span FROM cd.vfact
   EXCEPT ALL SELECT date_trunc('day', at, 'UTC'), grp, count(DISTINCT code), count(DISTINCT mood), count(DISTINCT span)
                FROM cd.vsrc GROUP BY 1, 2)
  UNION ALL
  (SELECT date_trunc('day', at, 'UTC'), grp, count(DISTINCT code), count(DISTINCT mood), count(DISTINCT span)
     FROM cd.vsrc GROUP BY 1, 2
   EXCEPT ALL SELECT bucket, grp, count_distinct_code, count_distinct_mood, count_distinct_span FROM cd.vfact)) d;
SELECT count(*) AS groups FROM cd.vfact;
SELECT dataeng.fact_drop('cd.vfact');

-- 14. fact_drop drops the side table; so does dropping the fact's view or
-- its storage table with CASCADE (the event trigger)
SELECT dataeng.fact_drop('cd.bfact');
SELECT to_regclass('cd.bfact_distinct') AS gone;
DROP VIEW cd.ifact;
SELECT to_regclass('cd.ifact_distinct') AS gone, to_regclass('cd.ifact_data') AS storage_gone;
DROP TABLE cd.fact_data CASCADE;
SELECT to_regclass('cd.fact_distinct') AS gone, count(*) AS facts_left FROM dataeng.facts WHERE name LIKE 'cd.%';

SELECT dataeng.fact_drop('cd.afact');
RESET ROLE;
DROP SCHEMA cd CASCADE;
DROP ROLE cd_owner;
DROP ROLE cd_other;
DROP COLLATION cd_ci;
DROP EXTENSION dataeng CASCADE;
