-- quarantine_release() after a column was added to the table.  The row
-- went back with NULL in the new column: a NOT NULL one refused the release
-- (23502), another lost its default.  Now it takes the column's default,
-- as the table's rows did, and is checked as inserted (a rule on the new
-- column judges the default, or the corrected value).
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

CREATE TABLE q1 (id int PRIMARY KEY, email text);
INSERT INTO q1 VALUES (1, 'ada@@example.com'), (2, 'grace@example.com'), (3, 'bob@@example.com');
SELECT dataeng.rule_add('q1', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT rule_name, failed FROM dataeng.validate('q1', quarantine => true);
ALTER TABLE q1 ADD COLUMN tier int NOT NULL DEFAULT 7, ADD COLUMN note text DEFAULT 'x';
SELECT dataeng.rule_add('q1', 'tier small', 'range', 'tier', '{"max": 5}');
-- the default fails the new rule: the row stays in quarantine
SELECT dataeng.quarantine_release(quarantine_id, '{"email": "ada@example.com"}')
  FROM dataeng.quarantine WHERE row_data->>'id' = '1';
SELECT dataeng.quarantine_release(quarantine_id, '{"email": "bob@example.com", "tier": 2}')
  FROM dataeng.quarantine WHERE row_data->>'id' = '3';
SELECT dataeng.rule_drop('q1', 'tier small');
SELECT dataeng.quarantine_release(quarantine_id, '{"email": "ada@example.com"}')
  FROM dataeng.quarantine WHERE row_data->>'id' = '1';
SELECT * FROM q1 ORDER BY id;
SELECT count(*) AS still_quarantined FROM dataeng.quarantine;

DROP TABLE q1;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
