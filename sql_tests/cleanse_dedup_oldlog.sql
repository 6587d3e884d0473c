-- A dedupe run logged by the code before the rows were logged in fixed
-- forms (to_jsonb() in the session's settings: a timestamptz with the
-- session's offset) is undone by dedupe_undo(), which runs under TimeZone
-- UTC: its filled survivors are found again, every row comes back.
CREATE EXTENSION dataeng;

CREATE TABLE ddo_people (id int PRIMARY KEY, name text, seen timestamptz, note text,
                         born date, at timestamp, score float8);
INSERT INTO ddo_people VALUES
  (1, 'a', '2026-03-01 10:00+01', NULL, '1990-01-02', '2026-01-01 10:00', 0.1),
  (2, 'a', '2026-03-02 10:00+01', 'n2', NULL, NULL, NULL),
  (3, 'b', NULL, NULL, '1991-02-03', '2026-01-02 11:00', 1::float8 / 3),
  (4, 'b', '2026-03-04 10:00+01', 'n4', NULL, NULL, NULL);
CREATE TABLE ddo_before AS SELECT * FROM ddo_people;

SET TimeZone = 'Asia/Kolkata';
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('ddo_people', '{name}', keep => 'first', order_by => 'id', fill_nulls => true);
-- the log as the older code wrote it in this session: to_jsonb() of each row
UPDATE dataeng.dedupe_log l
   SET old_row = to_jsonb(jsonb_populate_record(NULL::ddo_people, l.old_row)),
       new_row = to_jsonb(jsonb_populate_record(NULL::ddo_people, l.new_row));
SELECT action, old_row->>'seen' AS old_seen, new_row->>'seen' AS new_seen
  FROM dataeng.dedupe_log ORDER BY action, old_row->>'id';

-- undone in that session, and the survivors found by their logged rows
SELECT dataeng.dedupe_undo(run_id) AS restored FROM dataeng.dedupe_runs WHERE table_name = 'ddo_people'::regclass;
RESET TimeZone;
SELECT b.id FROM ddo_before b FULL JOIN ddo_people p ON p.id = b.id
 WHERE (b.*) IS DISTINCT FROM (p.*) ORDER BY b.id;
SELECT count(*) AS rows_now FROM ddo_people;

-- a survivor changed since is still refused
SET TimeZone = 'Asia/Kolkata';
SELECT rows_deleted, rows_filled
  FROM dataeng.dedupe('ddo_people', '{name}', keep => 'first', order_by => 'id', fill_nulls => true);
UPDATE dataeng.dedupe_log l
   SET old_row = to_jsonb(jsonb_populate_record(NULL::ddo_people, l.old_row)),
       new_row = to_jsonb(jsonb_populate_record(NULL::ddo_people, l.new_row))
  FROM dataeng.dedupe_runs r WHERE r.run_id = l.run_id AND r.undone_at IS NULL;
UPDATE ddo_people SET seen = seen + interval '1 second' WHERE id = 1;
SELECT dataeng.dedupe_undo(run_id) AS restored
  FROM dataeng.dedupe_runs WHERE table_name = 'ddo_people'::regclass AND undone_at IS NULL;
RESET TimeZone;

SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs WHERE table_name = 'ddo_people'::regclass;
DROP TABLE ddo_people, ddo_before;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
