-- dedupe(fill_nulls => true) on a table with a UNIQUE column: the survivor
-- takes the duplicate's value of it.  The survivor was filled while the
-- duplicate was still in the table, so the value was there twice and the
-- run failed (23505, duplicate key value violates unique constraint); the
-- duplicates are deleted first now, and the fill reads their logged rows.
CREATE EXTENSION dataeng;

CREATE TABLE ddu_people (id int PRIMARY KEY, name text, city text, email text UNIQUE,
                         slots int[], wait interval, seen timestamptz);
CREATE UNIQUE INDEX ddu_people_lower_email ON ddu_people (lower(email));
INSERT INTO ddu_people VALUES
  (1, 'Ada Lovelace', 'London', NULL, NULL, NULL, '2026-03-01 10:00+00'),
  (2, 'ADA  LOVELACE', 'London', 'ada@example.com', '[0:1]={7,8}', '-1 day -2 hours', NULL),
  (3, 'Ada Lovelace', 'london', 'Ada@Example.org', '{9}', '3 hours', '2026-03-02 10:00+00'),
  (4, 'Bob Jones', 'Paris', NULL, NULL, NULL, NULL),
  (5, 'bob jones', 'Paris', 'bob@example.org', NULL, '-7 days', '2026-03-04 10:00+00'),
  (6, 'Carol King', 'Rome', 'carol@example.org', NULL, NULL, NULL);
CREATE TABLE ddu_before AS SELECT * FROM ddu_people;

-- the survivors 1 and 4 take the values of their best-ranked duplicate
-- having one (2's email, bounds and interval; 5's email and interval)
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('ddu_people', '{name,city}', keep => 'first', order_by => 'id', fill_nulls => true);
SELECT id, email, slots, array_lower(slots, 1) AS lower_bound, wait, seen AT TIME ZONE 'UTC' AS seen_utc
  FROM ddu_people ORDER BY id;

-- undone exactly
SELECT dataeng.dedupe_undo(run_id) AS restored FROM dataeng.dedupe_runs WHERE table_name = 'ddu_people'::regclass;
SELECT b.id FROM ddu_before b FULL JOIN ddu_people p ON p.id = b.id
 WHERE (b.*) IS DISTINCT FROM (p.*) OR array_lower(b.slots, 1) IS DISTINCT FROM array_lower(p.slots, 1);
SELECT count(*) AS rows_now FROM ddu_people;

SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs WHERE table_name = 'ddu_people'::regclass;
DROP TABLE ddu_people, ddu_before;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
