-- min/max reserves: per group a fact keeps its 16 least values (for a min)
-- or greatest (for a max), and a refresh takes the new extreme from them
-- when one goes.  A group is recomputed from the source only when its
-- reserve runs out while it still has values (or is unknown).  After
-- every step the fact equals its GROUP BY, and dataeng.facts tells how
-- many groups were recomputed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';

-- 2 days x 2 groups x 50 rows; v distinct 1..200; t in the "C" collation
CREATE TABLE rs_src (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL, h int,
                     v numeric, t text COLLATE "C");
INSERT INTO rs_src
SELECT i, timestamptz '2026-01-01' + (i % 2) * interval '1 day', (i / 2) % 2, CASE WHEN i % 5 > 0 THEN i % 3 END,
       i, 'k' || lpad(i::text, 3, '0')
  FROM generate_series(1, 200) i;
SELECT dataeng.fact_create('rs_fact', 'rs_src', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'min(v)', 'max(v)', 'min(t)', 'max(t) AS max_t',
                                 'max(v) FILTER (WHERE t < ''k150'') AS max_v150'],
                           schedule => NULL) IS NOT NULL AS created;
-- the same with a nullable dimension (the refresh then upserts through
-- the key that treats NULLs as equal)
SELECT dataeng.fact_create('rs_nfact', 'rs_src', 'at', 'day', ARRAY['h'],
                           ARRAY['count(*)', 'min(v)', 'max(t) AS max_t'],
                           schedule => NULL) IS NOT NULL AS created;

-- rows of each fact not in its GROUP BY and the other way round (0: equal)
CREATE FUNCTION rs_diff() RETURNS TABLE (fact text, diff bigint) LANGUAGE sql AS $$
  SELECT 'rs_fact', count(*) FROM (
    (SELECT bucket, g, count, min_v, max_v, min_t, max_t, max_v150 FROM rs_fact
     EXCEPT ALL
     SELECT date_trunc('day', at, 'UTC'), g, count(*), min(v), max(v), min(t), max(t),
            max(v) FILTER (WHERE t < 'k150') FROM rs_src GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), g, count(*), min(v), max(v), min(t), max(t),
            max(v) FILTER (WHERE t < 'k150') FROM rs_src GROUP BY 1, 2
     EXCEPT ALL
     SELECT bucket, g, count, min_v, max_v, min_t, max_t, max_v150 FROM rs_fact)) x
  UNION ALL
  SELECT 'rs_nfact', count(*) FROM (
    (SELECT bucket, h, count, min_v, max_t FROM rs_nfact
     EXCEPT ALL
     SELECT date_trunc('day', at, 'UTC'), h, count(*), min(v), max(t) FROM rs_src GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at, 'UTC'), h, count(*), min(v), max(t) FROM rs_src GROUP BY 1, 2
     EXCEPT ALL
     SELECT bucket, h, count, min_v, max_t FROM rs_nfact)) x
$$;
CREATE FUNCTION rs_refresh() RETURNS TABLE (fact text, changes bigint, path text) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY ARRAY['rs_fact', 'rs_nfact'] LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    RETURN NEXT;
  END LOOP;
END $$;
-- what the reserves of rs_fact hold (in its storage table)
CREATE VIEW rs_reserves AS
  SELECT bucket::date AS day, g, __nn_min_v AS nn, cardinality(__x_min_v) AS lo_n, __x_min_v[1:3] AS lo_first,
         cardinality(__x_max_v) AS hi_n, __x_max_v[1:3] AS hi_first, __x_min_t[1:2] AS t_first
    FROM rs_fact_data ORDER BY 1, 2;

SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 1. each group's min and max deleted: taken from the reserves, nothing
-- recomputed
DELETE FROM rs_src s USING (SELECT DISTINCT ON (at, g) id FROM rs_src ORDER BY at, g, v) x WHERE s.id = x.id;
DELETE FROM rs_src s USING (SELECT DISTINCT ON (at, g) id FROM rs_src ORDER BY at, g, v DESC) x WHERE s.id = x.id;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 2. inserts never empty a reserve: a new least value joins it (and the
-- greatest of it drops out), a value beyond it leaves it as it is
INSERT INTO rs_src VALUES (1001, '2026-01-01', 0, NULL, -5, 'a'), (1002, '2026-01-01', 0, NULL, 500, 'k500');
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 3. values between the reserves updated and deleted: nothing moves
UPDATE rs_src SET v = v + 0.5 WHERE v BETWEEN 80 AND 120;
DELETE FROM rs_src WHERE v BETWEEN 60 AND 70;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 4. a reserve runs out: the 16 least values of one group deleted (over
-- two refreshes) and only that group is recomputed, its reserve refilled
DELETE FROM rs_src s USING (SELECT id FROM rs_src WHERE at = '2026-01-02' AND g = 1 ORDER BY v LIMIT 10) x
 WHERE s.id = x.id;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
DELETE FROM rs_src s USING (SELECT id FROM rs_src WHERE at = '2026-01-02' AND g = 1 ORDER BY v LIMIT 10) x
 WHERE s.id = x.id;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 5. ties: 20 equal least values come (the reserve takes 16 of them, no
-- recompute); 17 of them deleted: whether some are left is not provable
-- from the reserve (it holds 16 at most), so that group is recomputed
INSERT INTO rs_src SELECT 2000 + i, '2026-01-01', 1, 1, -7, 'a' FROM generate_series(1, 20) i;
SELECT * FROM rs_refresh();
DELETE FROM rs_src WHERE id BETWEEN 2001 AND 2017;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();
DELETE FROM rs_src WHERE id BETWEEN 2018 AND 2020;
SELECT * FROM rs_refresh();
SELECT * FROM rs_diff();

-- 6. the collation of the column: in "C", 'B' sorts before 'a'
INSERT INTO rs_src VALUES (1003, '2026-01-02', 0, 2, 3, 'B'), (1004, '2026-01-02', 0, 2, 4, 'a');
SELECT * FROM rs_refresh();
SELECT day, g, t_first FROM rs_reserves;
SELECT * FROM rs_diff();

-- 7. a group whose values all become NULL: NULL min and max, an empty and
-- complete reserve, nothing recomputed; values coming back refill it
UPDATE rs_src SET v = NULL WHERE at = '2026-01-01' AND g = 0;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
UPDATE rs_src SET v = id WHERE at = '2026-01-01' AND g = 0 AND id % 2 = 0;
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 8. a reserve unknown (as in a fact made before reserves, after an
-- upgrade): the first refresh that touches the group recomputes it once
UPDATE rs_fact_data SET __nn_min_v = NULL, __x_min_v = NULL WHERE g = 0;
UPDATE rs_src SET v = v + 1 WHERE id = (SELECT min(id) FROM rs_src WHERE at = '2026-01-02' AND g = 0 AND v IS NOT NULL);
SELECT * FROM rs_refresh();
SELECT * FROM rs_reserves;
SELECT * FROM rs_diff();

-- 9. random rounds, deletes aimed at the extremes, on each path
CREATE PROCEDURE rs_random(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  r int;
  bad bigint;
  recomputed int := 0;
BEGIN
  PERFORM setseed(0.42);
  FOR r IN 1 .. rounds LOOP
    PERFORM set_config('dataeng.fact_refresh_path', (ARRAY['auto', 'delta', 'buckets'])[1 + r % 3], false);
    DELETE FROM rs_src s USING (SELECT DISTINCT ON (at, g) id FROM rs_src WHERE random() < 0.7
                                 ORDER BY at, g, v NULLS LAST) x WHERE s.id = x.id;
    DELETE FROM rs_src s USING (SELECT DISTINCT ON (at, g) id FROM rs_src WHERE random() < 0.7
                                 ORDER BY at, g, v DESC NULLS LAST) x WHERE s.id = x.id;
    UPDATE rs_src SET v = CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 400)::numeric, 1) END,
                      g = CASE WHEN random() < 0.2 THEN 1 - g ELSE g END,
                      h = CASE WHEN random() < 0.2 THEN NULL ELSE h END,
                      t = CASE WHEN random() < 0.3 THEN 'k' || (random() * 999)::int ELSE t END
     WHERE random() < 0.15;
    INSERT INTO rs_src SELECT 10000 * r + i, timestamptz '2026-01-01' + (i % 3) * interval '1 day', i % 2,
                              CASE WHEN i % 4 > 0 THEN i % 3 END, round((random() * 400)::numeric, 1),
                              'k' || (random() * 999)::int
                         FROM generate_series(1, 15) i;
    COMMIT;                      -- (a refresh reads committed changes)
    recomputed := recomputed + (SELECT count(*) FROM rs_refresh() x WHERE x.path LIKE '%recomputed%');
    SELECT sum(x.diff) INTO bad FROM rs_diff() x;
    IF bad <> 0 THEN
      RAISE EXCEPTION 'round %: the facts differ from their GROUP BY in % rows', r, bad;
    END IF;
  END LOOP;
  RESET dataeng.fact_refresh_path;
  RAISE NOTICE 'refreshes that recomputed groups: %', recomputed;
END $$;
SET client_min_messages = notice;
CALL rs_random(24);
SET client_min_messages = warning;
SELECT * FROM rs_diff();

-- a new group whose least values go in the refresh that brings it: the
-- reserve the MERGE inserts for it has run out (the 16 least that came
-- all went, and what lies beyond them is not known), so the MERGE counts
-- it and the group is recomputed
INSERT INTO rs_src SELECT 2000 + i, '2026-01-05', 0, 7, i, 'n' || lpad(i::text, 3, '0') FROM generate_series(1, 40) i;
DELETE FROM rs_src WHERE id BETWEEN 2001 AND 2020;
SELECT * FROM rs_refresh();
SELECT day, g, nn, lo_n, lo_first, hi_n, hi_first FROM rs_reserves WHERE day = '2026-01-05';
SELECT * FROM rs_diff();

-- the reserve's own checks
SELECT dataeng_internal._fact_reserve('{1,2}'::int[], 2, '{0}'::int[], '{2}'::int[], 17, false);
-- greatest first; 3 may not be the group's second greatest (5 of its 9
-- values are unknown): left out
SELECT dataeng_internal._fact_reserve('{5,4}'::int[], 9, '{3}'::int[], '{5}'::int[], 16, true) AS greatest_first;
-- a complete reserve takes every value that comes and goes
SELECT dataeng_internal._fact_reserve('{5,4}'::int[], 2, '{3,9}'::int[], '{5}'::int[], 16, true) AS complete;
-- a new group (no stored values), NULL lists, an unknown reserve
SELECT dataeng_internal._fact_reserve(NULL::int[], 0, '{3,1,2}'::int[], NULL, 2, false) AS new_group,
       dataeng_internal._fact_reserve('{1}'::int[], NULL, '{0}'::int[], NULL, 2, false) AS unknown;
-- the same call again, and again with one argument differing: the second
-- and third calls of a row may find a result made a moment ago (reserve.c)
SELECT dataeng_internal._fact_reserve('{5,4}'::int[], 9, '{3}'::int[], '{5}'::int[], 16, true) AS again,
       dataeng_internal._fact_reserve('{5,4}'::int[], 9, '{3}'::int[], '{5}'::int[], 16, false) AS other_order,
       dataeng_internal._fact_reserve('{5,4}'::int[], 2, '{3}'::int[], '{5}'::int[], 16, true) AS other_count,
       dataeng_internal._fact_reserve('{5,4}'::int[], 9, '{3}'::int[], '{4}'::int[], 16, true) AS other_went;
-- the count of reserves run out while their group has values (the MERGE
-- of a refresh looks for groups to recompute only when it is not 0): an
-- empty reserve of a group with values, or of unknown count, is counted;
-- one of a group with none, or one with values, is not
SELECT dataeng_internal._fact_reserve_ran_out() AS before;
SELECT dataeng_internal._fact_reserve_checked('{4}'::int[], 4, NULL, '{4}'::int[], 2, false, 3) AS ran_out,
       dataeng_internal._fact_reserve_checked('{4}'::int[], 1, NULL, '{4}'::int[], 2, false, 0) AS emptied,
       dataeng_internal._fact_reserve_checked('{4}'::int[], 1, '{5}'::int[], NULL, 2, false, 2) AS kept,
       dataeng_internal._fact_reserve_checked('{4}'::int[], 4, NULL, '{4}'::int[], 2, false, NULL) AS unknown;
SELECT dataeng_internal._fact_reserve_ran_out() AS counted, dataeng_internal._fact_reserve_ran_out() AS again;

-- the two calls the MERGE of a refresh makes per group and min/max: the
-- first value of the new reserve and the new reserve counted when it ran
-- out, against _fact_reserve(); random stored reserves (complete and
-- bounded), values that came and went (up to 16: lists that may have
-- dropped some), int, bigint and text, min and max, calls in both orders
-- (the second of a row may find the first one's result) and one after the
-- other with arguments differing; 0 rows differing
SELECT setseed(0.5);
CREATE TEMP TABLE rs_cases AS
SELECT c, descending, s AS stored, ns + (CASE WHEN c % 3 = 0 THEN (random() * 5)::int ELSE 0 END) AS nn,
       came, went
  FROM (SELECT c, c % 2 = 0 AS descending, ns,
               ARRAY(SELECT v FROM (SELECT (random() * 40)::int AS v FROM generate_series(1, ns)) x
                     ORDER BY CASE WHEN c % 2 = 0 THEN -v ELSE v END) AS s,
               CASE WHEN c % 7 = 0 THEN NULL ELSE
               ARRAY(SELECT v FROM (SELECT (random() * 40)::int AS v FROM generate_series(1, (random() * 16)::int)) x
                     ORDER BY CASE WHEN c % 2 = 0 THEN -v ELSE v END) END AS came,
               CASE WHEN c % 5 = 0 THEN NULL ELSE
               ARRAY(SELECT v FROM (SELECT (random() * 40)::int AS v FROM generate_series(1, (random() * 16)::int)) x
                     ORDER BY CASE WHEN c % 2 = 0 THEN -v ELSE v END) END AS went
          FROM (SELECT c, (random() * 16)::int AS ns FROM generate_series(1, 400) c) n) y;
SELECT dataeng_internal._fact_reserve_ran_out() >= 0 AS reset;
SELECT count(*) FILTER (WHERE f IS DISTINCT FROM r[1]) AS first_differs,
       count(*) FILTER (WHERE ck IS DISTINCT FROM r) AS checked_differs,
       count(*) FILTER (WHERE f8 IS DISTINCT FROM r8[1] OR ck8 IS DISTINCT FROM r8) AS bigint_differs,
       count(*) FILTER (WHERE ft IS DISTINCT FROM rt[1] OR ckt IS DISTINCT FROM rt) AS text_differs
  FROM (SELECT
               dataeng_internal._fact_reserve(stored, nn, came, went, 16, descending) AS r,
               dataeng_internal._fact_reserve_first(stored, nn, came, went, 16, descending) AS f,
               dataeng_internal._fact_reserve_checked(stored, nn, came, went, 16, descending, nn + 1) AS ck,
               dataeng_internal._fact_reserve_first(stored::bigint[], nn, came::bigint[], went::bigint[], 16, descending) AS f8,
               dataeng_internal._fact_reserve_checked(stored::bigint[], nn, came::bigint[], went::bigint[], 16, descending, nn) AS ck8,
               dataeng_internal._fact_reserve(stored::bigint[], nn, came::bigint[], went::bigint[], 16, descending) AS r8,
               dataeng_internal._fact_reserve_first(ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(stored) v),
                 nn, ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(came) v),
                 ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(went) v), 16, descending) AS ft,
               dataeng_internal._fact_reserve(ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(stored) v),
                 nn, ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(came) v),
                 ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(went) v), 16, descending) AS rt,
               dataeng_internal._fact_reserve_checked(ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(stored) v),
                 nn, ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(came) v),
                 ARRAY(SELECT lpad(v::text, 3, '0') FROM unnest(went) v), 16, descending, nn) AS ckt
          FROM rs_cases ORDER BY c) x;
-- (counted: each empty new reserve of the int calls, whose new count
-- nn + 1 is never 0, and of the bigint and text ones where nn is not 0)
SELECT dataeng_internal._fact_reserve_ran_out() =
       (SELECT count(*) FROM rs_cases WHERE cardinality(dataeng_internal._fact_reserve(stored, nn, came, went, 16, descending)) = 0)
       + 2 * (SELECT count(*) FROM rs_cases
               WHERE nn <> 0 AND cardinality(dataeng_internal._fact_reserve(stored, nn, came, went, 16, descending)) = 0)
       AS counted_all;
-- kept as it is, made anew, bounded and emptied: all of them occur
SELECT count(*) FILTER (WHERE r = stored AND cardinality(r) > 0) > 0 AS kept,
       count(*) FILTER (WHERE r <> stored) > 0 AS made,
       count(*) FILTER (WHERE cardinality(r) = 0) > 0 AS emptied
  FROM (SELECT stored, dataeng_internal._fact_reserve(stored, nn, came, went, 16, descending) AS r FROM rs_cases) x;

DROP VIEW rs_reserves;
SELECT dataeng.fact_drop('rs_fact'), dataeng.fact_drop('rs_nfact');
DROP TABLE rs_src;
DROP FUNCTION rs_diff, rs_refresh;
DROP PROCEDURE rs_random;
DROP EXTENSION dataeng CASCADE;
