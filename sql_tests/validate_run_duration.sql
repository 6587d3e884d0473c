-- validation_runs.finished_at and duration of a run with quarantine
-- (docs/validate.md, validate()): the run ends once its failing rows are
-- in the quarantine.  They used to be written before the rows were moved:
-- a run whose checks took 16 s and whose move of 30,000 rows took 34 s
-- more was recorded as 16 s long.  An AFTER DELETE trigger notes when the
-- move's DELETE ended; the run must finish after it.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE TABLE rd_moved_at (at timestamptz);
CREATE TABLE rd_people (id int PRIMARY KEY, email text);
CREATE FUNCTION rd_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.rd_moved_at VALUES (clock_timestamp());
  RETURN NULL;
END;
$$;
CREATE TRIGGER rd_note AFTER DELETE ON rd_people FOR EACH STATEMENT EXECUTE FUNCTION rd_note();
INSERT INTO rd_people SELECT g, CASE WHEN g % 3 = 0 THEN 'bad' ELSE 'p' || g || '@example.com' END
  FROM generate_series(1, 300) g;
SELECT dataeng.rule_add('rd_people', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT rule_name, checked, failed FROM dataeng.validate('rd_people', quarantine => true);
SELECT count(*) AS moved_at FROM rd_moved_at;
SELECT vr.quarantined,
       vr.finished_at >= (SELECT max(at) FROM rd_moved_at) AS finished_after_move,
       vr.duration = vr.finished_at - vr.started_at AS duration_consistent
  FROM dataeng.validation_runs vr WHERE vr.table_name = 'rd_people'::regclass;
-- a run without quarantine is as before
SELECT rule_name, failed FROM dataeng.validate('rd_people');
SELECT quarantined, duration = finished_at - started_at AS duration_consistent
  FROM dataeng.validation_runs WHERE table_name = 'rd_people'::regclass ORDER BY run_id;

DROP TABLE rd_people;
DROP TABLE rd_moved_at;
DROP FUNCTION rd_note();
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
