-- A new user's first tries of table rules: odd but valid inputs.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE TABLE vn (id int PRIMARY KEY, "Code" text, at date);
INSERT INTO vn VALUES (1, 'A', '2026-01-01'), (2, 'B', NULL), (3, NULL, '2026-01-02'), (4, 'a', '2026-01-03');
-- a null among the accepted values changes nothing: a value not listed
-- fails ('a' compared with NULL gave NULL, which passed), and a NULL is
-- what null_is says
SELECT dataeng.rule_add('vn', 'listed', 'accepted_values', 'Code', '{"values": ["A", "B", null]}');
SELECT dataeng.rule_add('vn', 'listed day', 'accepted_values', 'at', '{"values": ["2026-01-01", null]}');
-- an empty list: every value fails, a NULL passes (it failed too, and
-- the rule had more failures than checked values)
SELECT dataeng.rule_add('vn', 'none listed', 'accepted_values', 'Code', '{"values": []}');
SELECT rule_name, checked, failed, failed_pct, passed, sample FROM dataeng.validate('vn') ORDER BY rule_name;
-- with null_is fail, NULLs fail whatever the list
SELECT dataeng.rule_drop('vn', 'listed');
SELECT dataeng.rule_add('vn', 'listed', 'accepted_values', 'Code', '{"values": ["A", "B", null], "null_is": "fail"}');
SELECT rule_name, checked, failed, passed FROM dataeng.validate('vn') WHERE rule_name = 'listed';
-- the guard judges a row as validate() does
SELECT dataeng.rule_drop('vn', 'none listed');
SELECT dataeng.rule_drop('vn', 'listed day');
SELECT dataeng.rule_drop('vn', 'listed');
SELECT dataeng.rule_add('vn', 'listed', 'accepted_values', 'Code', '{"values": ["A", "B", null]}');
DELETE FROM vn WHERE id = 4;
SELECT dataeng.guard_enable('vn');
INSERT INTO vn VALUES (5, 'c', NULL);
INSERT INTO vn VALUES (6, NULL, NULL);
SELECT id, "Code" FROM vn ORDER BY id;
-- an empty rule name is refused as rule_add's own error, not as a
-- violation of dataeng.rules' constraint
SELECT dataeng.rule_add('vn', '', 'not_null', 'Code');
-- freshness checks a time column (or a domain over one): a rule on
-- another column was added, and every validate() of the table then failed
-- with "cannot cast type integer to timestamp with time zone"
CREATE DOMAIN vn_time AS timestamptz;
CREATE TABLE vn_fresh (id int, at vn_time, day date, label text);
INSERT INTO vn_fresh VALUES (1, now(), current_date, 'x');
SELECT dataeng.rule_add('vn_fresh', 'by id', 'freshness', 'id', '{"max_age": "1 hour"}');
SELECT dataeng.rule_add('vn_fresh', 'by label', 'freshness', 'label', '{"max_age": "1 hour"}');
SELECT dataeng.rule_add('vn_fresh', 'by at', 'freshness', 'at', '{"max_age": "1 hour"}');
SELECT dataeng.rule_add('vn_fresh', 'by day', 'freshness', 'day', '{"max_age": "2 days"}');
SELECT rule_name, checked, failed, passed FROM dataeng.validate('vn_fresh') ORDER BY rule_name;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
