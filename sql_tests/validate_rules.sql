-- Table rules: one scan, run history, quarantine.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE customers (id int PRIMARY KEY, email text, country text, age int, phone text,
                        signup text, parent int, updated_at timestamptz);
INSERT INTO customers VALUES
  (1, 'ada@example.com', 'GB', 36, '+44 20 7946 0958', '2026-01-02', NULL, now()),
  (2, 'bob@example', 'US', 17, '(415) 555-0100', '2026-02-30', 1, now()),
  (3, NULL, 'XX', 130, 'call me', 'soon', 99, now()),
  (4, 'cy@example.com', 'DE', NULL, NULL, NULL, 1, now()),
  (5, 'cy@example.com', 'FR', 44, '+33 1 23 45 67 89', '2026-03-04', 2, now());

SELECT dataeng.rule_add('customers', 'email required', 'not_null', 'email') IS NOT NULL AS added;
SELECT dataeng.rule_add('customers', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT dataeng.rule_add('customers', 'email unique', 'unique', 'email');
SELECT dataeng.rule_add('customers', 'known country', 'accepted_values', 'country', '{"values": ["GB", "US", "DE", "FR"]}');
SELECT dataeng.rule_add('customers', 'adult', 'range', 'age', '{"min": 18, "max": 120}', 'warning');
SELECT dataeng.rule_add('customers', 'phone', 'validator', 'phone', '{"function": "phone", "region": "US", "mostly": 0.5}', 'warning');
SELECT dataeng.rule_add('customers', 'signup date', 'validator', 'signup', '{"function": "date", "format": "YYYY-MM-DD"}');
SELECT dataeng.rule_add('customers', 'parent exists', 'foreign_key', 'parent', '{"ref_table": "customers", "ref_column": "id"}');
SELECT dataeng.rule_add('customers', 'some rows', 'row_count', params => '{"min": 1, "max": 1000}');
SELECT dataeng.rule_add('customers', 'fresh', 'freshness', 'updated_at', '{"max_age": "1 day"}');
SELECT dataeng.rule_add('customers', 'no sudden drop', 'volume_change', params => '{"max_drop_pct": 30}');
-- (a freshness whose max_age is not positive, a volume_change whose
-- max_drop_pct is no percentage: failed every run, or none)
SELECT dataeng.rule_add('customers', 'bad', 'freshness', 'updated_at', '{"max_age": "-1 hour"}');
SELECT dataeng.rule_add('customers', 'bad', 'freshness', 'updated_at', '{"max_age": "0"}');
SELECT dataeng.rule_add('customers', 'bad', 'freshness', 'updated_at', '{"max_age": "100000000 years"}');
-- (a max_age that is a bare number, read as seconds, or no interval at
-- all, which failed with the cast's error naming no parameter)
SELECT dataeng.rule_add('customers', 'bad', 'freshness', 'updated_at', '{"max_age": 5}');
SELECT dataeng.rule_add('customers', 'bad', 'freshness', 'updated_at', '{"max_age": "banana"}');
SELECT dataeng.rule_add('customers', 'bad', 'volume_change', params => '{"max_drop_pct": -5}');
SELECT dataeng.rule_add('customers', 'bad', 'volume_change', params => '{"max_drop_pct": 150}');
SELECT dataeng.rule_add('customers', 'short emails', 'length', 'email', '{"max": 40}');
SELECT dataeng.rule_add('customers', 'gb phones', 'expression', params => '{"expression": "country <> ''GB'' OR phone LIKE ''+44%''"}');
SELECT dataeng.rule_add('customers', 'lower-case emails', 'regex', 'email', '{"pattern": "^[^A-Z]*$"}');

SELECT now() AS before_run \gset
SELECT rule_name, kind, checked, failed, failed_pct, passed, sample FROM dataeng.validate('customers');
SELECT rows_checked, rules, failed_rules, quarantined,
       started_at >= :'before_run' AND finished_at >= started_at AND duration = finished_at - started_at
         AND finished_at <= clock_timestamp() AS timed
  FROM dataeng.validation_runs;
SELECT rule_name, failed, passed FROM dataeng.validation_results ORDER BY rule_name;
-- failed error rules raise alerts (warnings do not)
SELECT rule_name, kind, failed, payload->>'rule' = rule_name AS payload_ok FROM dataeng.alerts ORDER BY alert_id;

-- quarantine: rows failing an error rule move out, together
SELECT rule_name, failed FROM dataeng.validate('customers', quarantine => true) WHERE failed > 0;
SELECT id FROM customers ORDER BY id;
SELECT quarantine_id, failed_rules, row_data->>'id' AS id FROM dataeng.quarantine ORDER BY quarantine_id;
SELECT (SELECT count(*) FROM customers) + (SELECT count(*) FROM dataeng.quarantine) AS nothing_lost;
-- 5 rows, then 3: the drop in volume is noticed by the next run
SELECT rule_name, failed, passed, sample FROM dataeng.validate('customers') WHERE rule_name = 'no sudden drop';
-- releasing: refused while it still fails, accepted once corrected
SELECT dataeng.quarantine_release((SELECT min(quarantine_id) FROM dataeng.quarantine));
SELECT dataeng.quarantine_release((SELECT quarantine_id FROM dataeng.quarantine WHERE row_data->>'id' = '2'),
                                  '{"email": "bob@example.com", "signup": "2026-02-28"}');
SELECT id, email, signup FROM customers ORDER BY id;
SELECT count(*) AS runs, sum(quarantined) AS quarantined FROM dataeng.validation_runs;

-- bad rules
SELECT dataeng.rule_add('customers', 'x', 'telepathy');
SELECT dataeng.rule_add('customers', 'x', 'not_null');
SELECT dataeng.rule_add('customers', 'x', 'not_null', 'nope');
SELECT dataeng.rule_add('customers', 'x', 'regex', 'email', '{"pattern": "(("}');
SELECT dataeng.rule_add('customers', 'x', 'range', 'age', '{"min": "old"}');
SELECT dataeng.rule_add('customers', 'x', 'expression', params => '{"expression": "true; DROP TABLE customers"}');
SELECT dataeng.rule_add('customers', 'x', 'expression', params => '{"expression": "(SELECT true)"}');
SELECT dataeng.rule_add('customers', 'x', 'expression', params => '{"expression": "no_such_column > 1"}');
SELECT dataeng.rule_add('customers', 'x', 'validator', 'email', '{"function": "horoscope"}');
SELECT dataeng.rule_add('customers', 'x', 'not_null', 'email', '{"mostly": 2}');
SELECT dataeng.rule_add('customers', 'email required', 'not_null', 'email');
SELECT dataeng.rule_drop('customers', 'email required'), dataeng.rule_drop('customers', 'email required');
CREATE TABLE empty_rules (id int);
SELECT * FROM dataeng.validate('empty_rules');

SET client_min_messages = warning;
DROP TABLE customers, empty_rules;
DROP EXTENSION dataeng;
