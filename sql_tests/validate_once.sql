-- validate() evaluates each row-level rule once per row and run
-- (docs/validate.md, validate()): one scan counts the failures, keeps the
-- samples and, with quarantine => true, records the failing rows, which
-- are then moved by their identity.  Before, a sample query per failing
-- rule and the quarantine's DELETE evaluated the rules again: a rule
-- calling a function that says which row it checks said it two or three
-- times for a row.  Also: a partitioned table's rows are told apart by
-- partition (their ctids repeat), a rule that passed with mostly keeps its
-- rows, and the progress NOTICE of dataeng.validate_progress_interval.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE TABLE vo_people (id int PRIMARY KEY, email text, age int);
INSERT INTO vo_people VALUES (1, 'a@example.com', 30), (2, 'b@', 40), (3, 'c@example.com', 300),
                             (4, 'd@example.com', 50), (5, NULL, 60), (6, 'f@', -1);
-- a rule's function that says which row it checks
CREATE FUNCTION vo_age_ok(id int, age int) RETURNS boolean LANGUAGE plpgsql STABLE AS $$
BEGIN
  RAISE NOTICE 'age rule checks row %', id;
  RETURN age BETWEEN 0 AND 150;
END;
$$;
SELECT dataeng.rule_add('vo_people', 'age ok', 'expression',
                        params => '{"expression": "public.vo_age_ok(id, age)"}') > 0 AS added;
SELECT dataeng.rule_add('vo_people', 'email ok', 'validator', 'email', '{"function": "email"}') > 0 AS added;
-- each row checked once, failing or not, samples and quarantine included
SELECT rule_name, checked, failed, passed, sample FROM dataeng.validate('vo_people', quarantine => true);
SELECT id FROM vo_people ORDER BY id;
SELECT failed_rules, row_data->>'id' AS id FROM dataeng.quarantine
 WHERE table_name = 'vo_people'::regclass ORDER BY quarantine_id;
SELECT rows_checked, failed_rules, quarantined FROM dataeng.validation_runs
 WHERE table_name = 'vo_people'::regclass;

-- a rule that passes thanks to mostly keeps its failing rows (unless
-- quarantine_when_mostly_passes); a warning rule keeps them too
INSERT INTO vo_people VALUES (7, 'g@', 70), (8, 'h@example.com', 200), (9, 'i@example.com', 20),
                             (10, 'j@example.com', 21), (11, 'k@example.com', 22);
SELECT dataeng.rule_drop('vo_people', 'email ok');
SELECT dataeng.rule_add('vo_people', 'email ok', 'validator', 'email', '{"function": "email", "mostly": 0.5}') > 0 AS added;
SELECT dataeng.rule_add('vo_people', 'small id', 'range', 'id', '{"max": 9}', 'warning') > 0 AS added;
SELECT rule_name, checked, failed, passed FROM dataeng.validate('vo_people', quarantine => true);
SELECT id FROM vo_people ORDER BY id;
SELECT failed_rules, row_data->>'id' AS id FROM dataeng.quarantine
 WHERE table_name = 'vo_people'::regclass ORDER BY quarantine_id;

-- a partitioned table: the first rows of both partitions have the same
-- ctid, only the failing one moves
CREATE TABLE vo_parts (id int, code text) PARTITION BY RANGE (id);
CREATE TABLE vo_parts_1 PARTITION OF vo_parts FOR VALUES FROM (0) TO (100);
CREATE TABLE vo_parts_2 PARTITION OF vo_parts FOR VALUES FROM (100) TO (200);
INSERT INTO vo_parts VALUES (1, 'bad'), (2, 'A1'), (101, 'B1'), (102, 'bad');
SELECT tableoid::regclass, ctid, id FROM vo_parts ORDER BY id;
SELECT dataeng.rule_add('vo_parts', 'code', 'regex', 'code', '{"pattern": "^[A-Z][0-9]$"}') > 0 AS added;
SELECT rule_name, checked, failed, sample FROM dataeng.validate('vo_parts', quarantine => true);
SELECT tableoid::regclass, id, code FROM vo_parts ORDER BY id;
SELECT row_data FROM dataeng.quarantine WHERE table_name = 'vo_parts'::regclass ORDER BY quarantine_id;

-- progress: a NOTICE once the run has taken
-- dataeng.validate_progress_interval, and again each interval (0: after
-- every batch of 1,000 rows, so this test does not hang on the clock)
CREATE TABLE vo_many (id int PRIMARY KEY, email text);
INSERT INTO vo_many SELECT g, CASE WHEN g % 2 = 0 THEN 'bad' ELSE 'p' || g || '@example.com' END
  FROM generate_series(1, 2500) g;
ANALYZE vo_many;
SELECT dataeng.rule_add('vo_many', 'email', 'validator', 'email', '{"function": "email"}') > 0 AS added;
SET dataeng.validate_progress_interval = 0;
SHOW dataeng.validate_progress_interval;
SELECT rule_name, checked, failed FROM dataeng.validate('vo_many', quarantine => true);
SELECT count(*) FROM vo_many;
SET dataeng.validate_progress_interval = -1;
SELECT rule_name, checked, failed FROM dataeng.validate('vo_many');
RESET dataeng.validate_progress_interval;
-- (the test cluster's configuration turns it off; its default)
SELECT boot_val, unit, context FROM pg_settings WHERE name = 'dataeng.validate_progress_interval';

DROP TABLE vo_people, vo_parts, vo_many;
DROP FUNCTION vo_age_ok(int, int);

-- The conditions are columns of the scan's subquery beside the table's own:
-- a table whose columns are named like them (and with no primary key: its
-- samples keyed by ctid) validates and quarantines all the same.
CREATE TABLE vo_names ("dataeng f1" int, "dataeng f_1" text, v int);
INSERT INTO vo_names VALUES (1, 'a', NULL), (2, NULL, 3), (3, 'c', NULL);
SELECT dataeng.rule_add('vo_names', 'v set', 'not_null', 'v');
SELECT dataeng.rule_add('vo_names', 'f_1 set', 'not_null', 'dataeng f_1', severity => 'warning');
SELECT rule_name, checked, failed, sample FROM dataeng.validate('vo_names', true) ORDER BY rule_name;
SELECT "dataeng f1", "dataeng f_1", v FROM vo_names ORDER BY 1;
SELECT failed_rules, row_data FROM dataeng.quarantine WHERE table_name = 'vo_names'::regclass ORDER BY quarantine_id;
DROP TABLE vo_names;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
