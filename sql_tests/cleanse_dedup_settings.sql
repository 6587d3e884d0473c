-- dedupe() logs whole rows and dedupe_undo() reads them back: the values
-- come back the same whatever the settings of the sessions that ran the
-- two (the log was written by to_jsonb(), in the session's forms).
CREATE EXTENSION dataeng;

CREATE TABLE dds_people (id int PRIMARY KEY, name text, email text, wait interval,
                         score float8, slots int[], seen timestamptz, note text);
INSERT INTO dds_people VALUES
  (1, 'Ada Lovelace', 'ada@example.com', '-1 day -2 hours', 0.1::float8 + 0.2::float8, '[0:1]={7,8}', '2026-03-01 10:00+01', NULL),
  (2, 'ADA  LOVELACE', 'ada@example.com', '-3 days -4 hours', 1::float8 / 3, '[0:2]={1,2,3}', '2026-03-02 11:00+01', 'kept'),
  (3, 'Bob Jones', 'bob@example.org', '5 days -6 hours', 2::float8 / 3, '[-1:0]={4,5}', '2026-03-03 12:00+01', NULL),
  (4, 'bob jones', 'bob@example.org', '-7 days', 1e-310::float8, '{9}', NULL, 'also kept');
CREATE TABLE dds_before AS SELECT * FROM dds_people;

-- the run: IntervalStyle sql_standard writes -3 days -4 hours as '-3 4:00:00',
-- extra_float_digits 0 writes 1/3 as 0.333333333333333, to_jsonb() drops
-- an array's bounds; the survivors 1 and 3 take the notes of 2 and 4
SET IntervalStyle = sql_standard;
SET extra_float_digits = 0;
SET DateStyle = 'SQL, DMY';
SET TimeZone = 'Asia/Kolkata';
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('dds_people', '{name,email}', keep => 'first', order_by => 'id', fill_nulls => true);
RESET IntervalStyle;
RESET extra_float_digits;
RESET DateStyle;
RESET TimeZone;
SELECT id, note, slots FROM dds_people ORDER BY id;

-- the undo, in the default settings: every row as it was, every digit
SELECT dataeng.dedupe_undo(run_id) AS restored FROM dataeng.dedupe_runs WHERE table_name = 'dds_people'::regclass;
SELECT b.id, p.wait, p.score::text, p.slots, array_lower(p.slots, 1) AS lower_bound
  FROM dds_before b LEFT JOIN dds_people p ON p.id = b.id
 WHERE (b.*) IS DISTINCT FROM (p.*) OR array_lower(b.slots, 1) IS DISTINCT FROM array_lower(p.slots, 1)
 ORDER BY b.id;
SELECT count(*) AS rows_now FROM dds_people;

-- and the other way round: run in the default settings, undo in others
-- (the survivor 4 takes the timestamptz of 3: found again by its logged
-- row, which carried the run's offset, it was "changed since" in another
-- time zone)
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('dds_people', '{name,email}', keep => 'last', order_by => 'id', fill_nulls => true);
SET IntervalStyle = sql_standard;
SET extra_float_digits = -15;
SET DateStyle = 'German';
SET TimeZone = 'America/St_Johns';
SELECT dataeng.dedupe_undo(run_id) AS restored
  FROM dataeng.dedupe_runs WHERE table_name = 'dds_people'::regclass AND undone_at IS NULL;
RESET IntervalStyle;
RESET extra_float_digits;
RESET DateStyle;
RESET TimeZone;
SELECT b.id, p.wait, p.score::text, p.slots, array_lower(p.slots, 1) AS lower_bound
  FROM dds_before b LEFT JOIN dds_people p ON p.id = b.id
 WHERE (b.*) IS DISTINCT FROM (p.*) OR array_lower(b.slots, 1) IS DISTINCT FROM array_lower(p.slots, 1)
 ORDER BY b.id;
SELECT count(*) AS rows_now FROM dds_people;

SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs WHERE table_name = 'dds_people'::regclass;
DROP TABLE dds_people, dds_before;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
