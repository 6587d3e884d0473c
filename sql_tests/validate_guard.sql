-- The ingestion guard.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE signups (id int PRIMARY KEY, email text, age int);
SELECT dataeng.rule_add('signups', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT dataeng.rule_add('signups', 'adult', 'range', 'age', '{"min": 18}');
SELECT dataeng.rule_add('signups', 'age known', 'not_null', 'age', severity => 'warning');
SELECT dataeng.guard_enable('signups');

INSERT INTO signups VALUES (1, 'ada@example.com', 36);
INSERT INTO signups VALUES (2, 'not an email', 12);
INSERT INTO signups VALUES (3, 'bob@example.com', NULL);          -- warnings do not block
UPDATE signups SET age = 10 WHERE id = 1;
SELECT * FROM signups ORDER BY id;

-- a new rule applies at once
SELECT dataeng.rule_add('signups', 'no example.org', 'expression', params => '{"expression": "email NOT LIKE ''%@example.org''"}');
INSERT INTO signups VALUES (4, 'cy@example.org', 40);
SELECT dataeng.rule_drop('signups', 'no example.org');
INSERT INTO signups VALUES (4, 'cy@example.org', 40);

-- quarantine instead of rejecting: the row is diverted, the others go in
SELECT dataeng.guard_enable('signups', 'quarantine');
INSERT INTO signups VALUES (5, 'dee@example.com', 50), (6, 'bad@', 30), (7, 'eve@example.com', 5);
SELECT id FROM signups ORDER BY id;
SELECT failed_rules, row_data->>'id' AS id, NOT EXISTS (SELECT 1 FROM dataeng.validation_runs r WHERE r.run_id = quarantine.run_id) AS from_guard FROM dataeng.quarantine ORDER BY quarantine_id;

SELECT dataeng.guard_enable('signups', 'shrug');
SELECT dataeng.guard_disable('signups'), dataeng.guard_disable('signups');
INSERT INTO signups VALUES (8, 'unchecked', 1);
SELECT count(*) AS rows FROM signups;

-- a guard with no rule to check says so (a warning rule and a table-level
-- rule are not checked by it); a rule added later is checked
CREATE TABLE unruled (id int, code text);
SELECT dataeng.rule_add('unruled', 'enough', 'row_count', params => '{"min": 1}');
SELECT dataeng.rule_add('unruled', 'short', 'length', 'code', '{"max": 3}', severity => 'warning');
SELECT dataeng.guard_enable('unruled');
SELECT dataeng.rule_add('unruled', 'code_set', 'not_null', 'code');
INSERT INTO unruled VALUES (1, NULL);
SELECT dataeng.guard_enable('unruled', 'reject');
DROP TABLE unruled;

SET client_min_messages = warning;
DROP TABLE signups;
DROP EXTENSION dataeng;
