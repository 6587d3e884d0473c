-- The fold of a refresh keeps its memory within work_mem: when its groups
-- take more, it writes them out and starts again, and the refresh adds the
-- parts up.  The fact equals its GROUP BY whichever way the changes were
-- folded, for dimensions compared by their binary images (int) and by
-- their type's equality (numeric), with sums, counts, avg and min/max.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';

CREATE TABLE fm_src (id int PRIMARY KEY, at timestamptz NOT NULL, a int NOT NULL, b numeric NOT NULL,
                     v int, w numeric);
INSERT INTO fm_src SELECT i, timestamptz '2026-02-01' + (i % 20) * interval '1 day', i % 150, (i % 7) / 2.0,
                          CASE WHEN i % 11 > 0 THEN i % 997 END, i / 3.0
  FROM generate_series(1, 30000) i;
SELECT dataeng.fact_create('fm_int', 'fm_src', 'at', 'day', ARRAY['a'],
                           ARRAY['count(*)', 'sum(v)', 'avg(w)', 'min(v)', 'max(w)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('fm_num', 'fm_src', 'at', 'day', ARRAY['a', 'b'],
                           ARRAY['count(v)', 'sum(w)', 'max(v)'], schedule => NULL) IS NOT NULL AS created;

CREATE FUNCTION fm_diff() RETURNS TABLE (fact text, diff bigint) LANGUAGE sql AS $$
  SELECT 'fm_int', count(*) FROM (
    (SELECT bucket, a, count, sum_v, avg_w, min_v, max_w FROM fm_int
     EXCEPT ALL SELECT date_trunc('day', at), a, count(*), sum(v), avg(w), min(v), max(w) FROM fm_src GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', at), a, count(*), sum(v), avg(w), min(v), max(w) FROM fm_src GROUP BY 1, 2
     EXCEPT ALL SELECT bucket, a, count, sum_v, avg_w, min_v, max_w FROM fm_int)) x
  UNION ALL
  SELECT 'fm_num', count(*) FROM (
    (SELECT bucket, a, b, count_v, sum_w, max_v FROM fm_num
     EXCEPT ALL SELECT date_trunc('day', at), a, b, count(v), sum(w), max(v) FROM fm_src GROUP BY 1, 2, 3)
    UNION ALL
    (SELECT date_trunc('day', at), a, b, count(v), sum(w), max(v) FROM fm_src GROUP BY 1, 2, 3
     EXCEPT ALL SELECT bucket, a, b, count_v, sum_w, max_v FROM fm_num)) x
$$;
CREATE FUNCTION fm_refresh() RETURNS TABLE (fact text, changes bigint, path text) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY ARRAY['fm_int', 'fm_num'] LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    RETURN NEXT;
  END LOOP;
END $$;

-- changes touching every one of the 300 groups (and 1.0 / 1.00 of the
-- numeric dimension, equal but stored differently)
UPDATE fm_src SET v = v + 1, w = w * 2 WHERE id % 3 = 0;
UPDATE fm_src SET b = b::numeric(10, 2) WHERE id % 5 = 0;
DELETE FROM fm_src WHERE id % 13 = 0;
INSERT INTO fm_src SELECT 100000 + i, timestamptz '2026-02-01' + (i % 25) * interval '1 day', i % 160, (i % 7) / 2.0,
                          i % 1999, i / 7.0
  FROM generate_series(1, 5000) i;

-- with the default work_mem
SELECT fact, changes, split_part(path, ' (', 1) AS path FROM fm_refresh();
SELECT * FROM fm_diff();

-- with 64kB, the same kind of changes are folded in parts
SET work_mem = '64kB';
UPDATE fm_src SET v = v - 1, a = (a + 1) % 150 WHERE id % 4 = 0;
DELETE FROM fm_src WHERE id % 17 = 0;
INSERT INTO fm_src SELECT 200000 + i, timestamptz '2026-02-01' + (i % 25) * interval '1 day', i % 160, (i % 9) / 4.0,
                          i % 2999, i / 11.0
  FROM generate_series(1, 5000) i;
SELECT fact, changes, split_part(path, ' (', 1) AS path,
       path ~ '\(changes folded in [0-9]+ parts, within work_mem\)$' AS in_parts
  FROM fm_refresh();
SELECT * FROM fm_diff();
-- a NaN that comes, then goes, in a fold written out in parts (its group
-- in the first part): the fold's total row tells, the group is recomputed
UPDATE fm_src SET w = 'NaN' WHERE id = 1;
UPDATE fm_src SET v = v + 1 WHERE id % 4 = 1;
SELECT fact, changes, split_part(path, ' (', 1) AS path,
       path ~ '\(changes folded in [0-9]+ parts, within work_mem\)$' AS in_parts
  FROM fm_refresh();
SELECT * FROM fm_diff();
UPDATE fm_src SET w = 1 WHERE id = 1;
UPDATE fm_src SET v = v - 1 WHERE id % 4 = 1;
SELECT fact, changes, split_part(path, ' (', 1) AS path,
       path ~ '\(changes folded in [0-9]+ parts, within work_mem\)$' AS in_parts
  FROM fm_refresh();
SELECT * FROM fm_diff();
-- and on the buckets path
SET dataeng.fact_refresh_path = 'buckets';
UPDATE fm_src SET w = w + 1 WHERE id % 2 = 0;
SELECT fact, changes, split_part(path, ':', 1) AS path FROM fm_refresh();
SELECT * FROM fm_diff();
RESET dataeng.fact_refresh_path;
RESET work_mem;

SELECT dataeng.fact_drop('fm_int'), dataeng.fact_drop('fm_num');
DROP FUNCTION fm_diff, fm_refresh;
DROP TABLE fm_src;
DROP EXTENSION dataeng CASCADE;
