-- The choices a refresh makes for min/max measures, each case on its own
-- and with groups larger than their reserve (40 rows, 16 kept), so that a
-- group is recomputed exactly when its reserve cannot tell the new
-- extreme: extremes untouched, an extreme removed (deleted, updated away),
-- extremes removed until the reserve runs out, a group emptied (and
-- emptied and refilled), NULL extremes, a row moved to another time
-- bucket, to another dimension group, to both at once, to and from a NULL
-- dimension.  Each step prints the path the refresh took (how many groups
-- it recomputed) and the fact's difference from its GROUP BY, row for row
-- (0: equal).  (facts_minmax runs the same cases on groups whose reserves
-- hold every value, so nothing is recomputed there; facts_reserve runs out
-- reserves by deletes, ties and unknown reserves.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';
\i sql_tests/lib/fact_diff.sql

-- 2 days x 2 groups x 40 rows, v = id; h a nullable dimension
CREATE TABLE ch_src (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL, h int, v int, t text COLLATE "C");
INSERT INTO ch_src
SELECT i, timestamptz '2026-01-01' + (i % 2) * interval '1 day', (i / 2) % 2, CASE WHEN i % 5 > 0 THEN i % 3 END,
       i, 't' || lpad(i::text, 3, '0')
  FROM generate_series(1, 160) i;
SELECT dataeng.fact_create('ch_fact', 'ch_src', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'min(v)', 'max(v)', 'max(t)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('ch_hfact', 'ch_src', 'at', 'day', ARRAY['h'],
                           ARRAY['count(*)', 'min(v)', 'max(v)'],
                           schedule => NULL) IS NOT NULL AS created;

-- refresh both facts: changes applied, path, difference from the GROUP BY
CREATE FUNCTION ch_step() RETURNS TABLE (fact text, changes bigint, path text, diff bigint) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY ARRAY['ch_fact', 'ch_hfact'] LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    diff := CASE fact
              WHEN 'ch_fact' THEN fact_diff('ch_fact', $q$SELECT date_trunc('day', at, 'UTC'), g, count(*), min(v), max(v),
                                                                 max(t), sum(v) FROM ch_src GROUP BY 1, 2$q$)
              ELSE fact_diff('ch_hfact', $q$SELECT date_trunc('day', at, 'UTC'), h, count(*), min(v), max(v)
                                              FROM ch_src GROUP BY 1, 2$q$) END;
    RETURN NEXT;
  END LOOP;
END $$;
-- a group of ch_fact: its extremes and how many values its reserves hold
CREATE FUNCTION ch_group(day date, grp int)
RETURNS TABLE (count bigint, min_v int, max_v int, nn bigint, lo_kept int, hi_kept int) LANGUAGE sql AS $$
  SELECT count, min_v, max_v, __nn_min_v, cardinality(__x_min_v), cardinality(__x_max_v)
    FROM ch_fact_data WHERE bucket = day AND g = grp
$$;
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-01', 0);
SET dataeng.fact_refresh_path = 'delta';

-- 1. extremes untouched: values between the reserves updated and deleted,
-- values inside the range inserted: nothing recomputed
UPDATE ch_src SET v = v + 1 WHERE id IN (60, 61, 62, 63);
DELETE FROM ch_src WHERE id IN (70, 71, 72, 73);
INSERT INTO ch_src VALUES (1001, '2026-01-01 05:00', 0, 1, 80, 't080b'), (1002, '2026-01-02 05:00', 1, NULL, 81, 't081b');
SELECT * FROM ch_step();

-- 2. an extreme removed: the min of (01-02, 0) deleted, the max of
-- (01-01, 1) updated away (downwards): the reserves give the new ones
SELECT * FROM ch_group('2026-01-02', 0);
DELETE FROM ch_src WHERE id = (SELECT min(id) FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0);
UPDATE ch_src SET v = 90 WHERE id = (SELECT max(v) FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-01' AND g = 1);
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-02', 0);

-- 3. extremes removed until the reserve runs out: the 16 least values of
-- (01-01, 0) updated away (to values past the reserve) in one refresh:
-- that group alone is recomputed (its reserve refilled); the 16 greatest
-- of (01-02, 1) deleted: that one too
SELECT * FROM ch_group('2026-01-01', 0);
UPDATE ch_src s SET v = s.v + 1000 FROM (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-01' AND g = 0 ORDER BY v LIMIT 16) x
 WHERE s.id = x.id;
DELETE FROM ch_src s USING (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 1 ORDER BY v DESC LIMIT 16) x
 WHERE s.id = x.id;
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-01', 0);

-- 4. a group emptied though its reserve held only part of it: the group
-- goes, nothing recomputed; another emptied and refilled in one refresh
DELETE FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 1;
DELETE FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-01' AND g = 1;
INSERT INTO ch_src VALUES (1003, '2026-01-01 07:00', 1, 2, 500, 'x'), (1004, '2026-01-01 08:00', 1, NULL, 400, 'y');
SELECT * FROM ch_step();
SELECT count(*) AS groups_left FROM ch_fact WHERE bucket = '2026-01-02' AND g = 1;
SELECT * FROM ch_group('2026-01-01', 1);

-- 5. NULL extremes: the min of a group set to NULL (an extreme removed, a
-- NULL that counts for nothing), NULLs inserted (nothing changes); then
-- the 16 least of a group set to NULL while values remain (recomputed);
-- then every value of a group NULL: NULL min and max, nothing recomputed
UPDATE ch_src SET v = NULL WHERE id = (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0 ORDER BY v LIMIT 1);
INSERT INTO ch_src VALUES (1005, '2026-01-02 01:00', 0, 1, NULL, NULL), (1006, '2026-01-01 01:00', 0, NULL, NULL, NULL);
SELECT * FROM ch_step();
UPDATE ch_src s SET v = NULL FROM (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0 AND v IS NOT NULL
                                    ORDER BY v LIMIT 16) x WHERE s.id = x.id;
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-02', 0);
UPDATE ch_src SET v = NULL WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0;
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-02', 0);
-- values come back
UPDATE ch_src SET v = id WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0 AND id % 3 = 0;
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-02', 0);

-- 6. a bucket moved: the min of (01-01, 0) moved to the next day, where it
-- is the new min of (01-02, 0); then the 16 greatest of (01-01, 0) moved
-- there: (01-01, 0) alone is recomputed, (01-02, 0) folds them
SELECT * FROM ch_group('2026-01-01', 0);
UPDATE ch_src SET at = at + interval '1 day'
 WHERE id = (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-01' AND g = 0 ORDER BY v NULLS LAST LIMIT 1);
SELECT * FROM ch_step();
UPDATE ch_src s SET at = s.at + interval '1 day'
  FROM (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-01' AND g = 0 ORDER BY v DESC NULLS LAST LIMIT 16) x
 WHERE s.id = x.id;
SELECT * FROM ch_step();
SELECT * FROM ch_group('2026-01-01', 0);
SELECT * FROM ch_group('2026-01-02', 0);

-- 7. a dimension group moved: the max of (01-02, 0) moved to group 1; the
-- min of (01-02, 0) moved to (01-01, 1), day and group at once; rows
-- holding the extremes of a value of h moved to a NULL h and back
UPDATE ch_src SET g = 1 WHERE id = (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0 ORDER BY v DESC NULLS LAST LIMIT 1);
UPDATE ch_src SET g = 1, at = '2026-01-01 12:00'
 WHERE id = (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0 ORDER BY v NULLS LAST LIMIT 1);
UPDATE ch_src SET h = NULL WHERE id = (SELECT id FROM ch_src WHERE h = 1 AND v IS NOT NULL ORDER BY v LIMIT 1);
UPDATE ch_src SET h = 2 WHERE id = (SELECT id FROM ch_src WHERE h IS NULL AND v IS NOT NULL ORDER BY v DESC LIMIT 1);
SELECT * FROM ch_step();
-- and 17 rows of one group moved to another group and day at once
UPDATE ch_src s SET g = 1 - s.g, at = s.at - interval '1 day'
  FROM (SELECT id FROM ch_src WHERE date_trunc('day', at, 'UTC') = '2026-01-02' AND g = 0 AND v IS NOT NULL ORDER BY v LIMIT 17) x
 WHERE s.id = x.id;
SELECT * FROM ch_step();

-- 8. the path chosen by the size of the work: the 17 least values of
-- every group deleted: the reserves of the groups larger than that run
-- out (the smaller ones hold all their values)
RESET dataeng.fact_refresh_path;
DELETE FROM ch_src s USING (SELECT id, row_number() OVER (PARTITION BY date_trunc('day', at, 'UTC'), g ORDER BY v) AS n
                              FROM ch_src WHERE v IS NOT NULL) x
 WHERE s.id = x.id AND x.n <= 17;
SELECT fact, changes, split_part(path, ':', 1) AS path, diff FROM ch_step();

SELECT dataeng.fact_drop('ch_fact'), dataeng.fact_drop('ch_hfact');
DROP TABLE ch_src;
DROP FUNCTION ch_step, ch_group, fact_diff;
DROP EXTENSION dataeng CASCADE;
