-- Rules on a view and a materialized view (docs/validate.md, "Whose
-- rights": a view's rows count for its owner).  validate() of a view
-- failed on every run that had a failing row-level or unique rule, with
-- an internal query's "column t.ctid does not exist": a view's rows have
-- no ctid; their samples now have no key.  validate(quarantine => true) of
-- a materialized view failed with "cannot change materialized view";
-- now it says why, before anything is recorded.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE TABLE vw_src (id int PRIMARY KEY, email text, v int);
INSERT INTO vw_src VALUES (1, 'a@example.com', 1), (2, 'bad', -1), (3, 'bad', 2);
CREATE VIEW vw_view AS SELECT id, email, v FROM vw_src;
SELECT dataeng.rule_add('vw_view', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT dataeng.rule_add('vw_view', 'email unique', 'unique', 'email');
SELECT dataeng.rule_add('vw_view', 'v positive', 'range', 'v', '{"min": 0}');
SELECT rule_name, checked, failed, passed, sample FROM dataeng.validate('vw_view');
-- an updatable view: its failing rows move out through it
SELECT rule_name, failed FROM dataeng.validate('vw_view', quarantine => true);
SELECT id FROM vw_src ORDER BY id;
SELECT table_name, row_data FROM dataeng.quarantine ORDER BY quarantine_id;
SELECT dataeng.quarantine_release(quarantine_id, '{"email": "c@example.com", "v": 3}')
  FROM dataeng.quarantine WHERE row_data->>'id' = '3';
SELECT * FROM vw_src ORDER BY id;

CREATE MATERIALIZED VIEW vw_mat AS SELECT id, email, v FROM vw_src;
SELECT dataeng.rule_add('vw_mat', 'v positive', 'range', 'v', '{"min": 0}');
INSERT INTO vw_src VALUES (4, 'd@example.com', -4);
REFRESH MATERIALIZED VIEW vw_mat;
SELECT rule_name, failed, sample FROM dataeng.validate('vw_mat');
SELECT count(*) AS runs_before FROM dataeng.validation_runs WHERE table_name = 'vw_mat'::regclass;
SELECT rule_name, failed FROM dataeng.validate('vw_mat', quarantine => true);
SELECT count(*) AS runs_after FROM dataeng.validation_runs WHERE table_name = 'vw_mat'::regclass;

DROP MATERIALIZED VIEW vw_mat;
DROP VIEW vw_view;
DROP TABLE vw_src;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
