-- Rules that say what users wrote: names resolved where the user wrote them,
-- dbt's spellings, and no internal noise.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\pset null '(null)'

-- foreign_key: params.ref_table is resolved in the caller's search_path
-- when the rule is added (it was resolved with search_path pinned to
-- pg_catalog, so no table of the user's schemas was ever found), and stored
-- qualified, so the rule keeps naming that table whatever search_path
-- validate() runs with.
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id int PRIMARY KEY, name text);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int, amount numeric);
INSERT INTO shop.customers VALUES (1, 'ada'), (2, 'bob');
INSERT INTO shop.orders VALUES (10, 1, 5), (11, 2, 7), (12, 3, 9), (13, NULL, 1), (14, 4, 2);
SET search_path = shop, public;
SELECT dataeng.rule_add('orders', 'customer exists', 'foreign_key', 'customer_id',
                        '{"ref_table": "customers", "ref_column": "id"}') IS NOT NULL AS added;
SELECT params->>'ref_table' AS stored_ref_table FROM dataeng.rules WHERE rule_name = 'customer exists';
RESET search_path;
-- the orphans 3 and 4 are found (NULL is not checked)
SELECT rule_name, kind, checked, failed, passed, sample FROM dataeng.validate('shop.orders');
-- a name that is not visible in the caller's search_path is refused
SELECT dataeng.rule_add('shop.orders', 'x', 'foreign_key', 'customer_id',
                        '{"ref_table": "customers", "ref_column": "id"}');
-- a quoted, mixed-case name is stored quoted
CREATE TABLE shop."Accounts" (id int PRIMARY KEY);
INSERT INTO shop."Accounts" VALUES (1);
SELECT dataeng.rule_add('shop.orders', 'account exists', 'foreign_key', 'customer_id',
                        '{"ref_table": "shop.\"Accounts\"", "ref_column": "id"}') IS NOT NULL AS added;
SELECT params->>'ref_table' AS stored_ref_table FROM dataeng.rules WHERE rule_name = 'account exists';
SELECT rule_name, failed, sample FROM dataeng.validate('shop.orders') WHERE rule_name = 'account exists';


-- dbt's spellings: kind relationships (stored as foreign_key), severity
-- warn (stored as warning); a failing warning raises no alert
SET search_path = shop, public;
SELECT dataeng.rule_add('orders', 'customer exists (dbt)', 'relationships', 'customer_id',
                        '{"ref_table": "customers", "ref_column": "id"}', severity => 'warn') IS NOT NULL AS added;
RESET search_path;
SELECT kind, severity, params->>'ref_table' AS ref_table FROM dataeng.rules WHERE rule_name = 'customer exists (dbt)';
SELECT count(*) AS alerts_before FROM dataeng.alerts WHERE rule_name = 'customer exists (dbt)';
SELECT rule_name, kind, failed, passed FROM dataeng.validate('shop.orders') WHERE rule_name = 'customer exists (dbt)';
SELECT count(*) AS alerts_after FROM dataeng.alerts WHERE rule_name = 'customer exists (dbt)';
SELECT dataeng.rule_add('shop.orders', 'x', 'not_null', 'amount', severity => 'warnings');


-- mostly: a rule that passes thanks to params.mostly keeps its failing rows
-- in the table (it passed: the table is acceptable as it is) unless
-- params.quarantine_when_mostly_passes is true; a rule that fails
-- quarantines its failing rows either way.
CREATE TABLE shop.codes (id int PRIMARY KEY, code text);
INSERT INTO shop.codes SELECT g, CASE WHEN g = 10 THEN 'bad' ELSE 'ok' END FROM generate_series(1, 10) g;
SELECT dataeng.rule_add('shop.codes', 'codes', 'accepted_values', 'code', '{"values": ["ok"], "mostly": 0.8}') IS NOT NULL AS added;
SELECT rule_name, failed, passed FROM dataeng.validate('shop.codes', quarantine => true);
SELECT count(*) AS rows_kept FROM shop.codes;
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'shop.codes'::regclass;
SELECT dataeng.rule_drop('shop.codes', 'codes');
SELECT dataeng.rule_add('shop.codes', 'codes', 'accepted_values', 'code',
                        '{"values": ["ok"], "mostly": 0.8, "quarantine_when_mostly_passes": true}') IS NOT NULL AS added;
SELECT rule_name, failed, passed FROM dataeng.validate('shop.codes', quarantine => true);
SELECT count(*) AS rows_kept FROM shop.codes;
SELECT row_data->>'id' AS quarantined_id FROM dataeng.quarantine WHERE table_name = 'shop.codes'::regclass;
SELECT dataeng.rule_drop('shop.codes', 'codes');
INSERT INTO shop.codes SELECT g, 'bad' FROM generate_series(11, 13) g;
SELECT dataeng.rule_add('shop.codes', 'codes', 'accepted_values', 'code', '{"values": ["ok"], "mostly": 0.8}') IS NOT NULL AS added;
SELECT rule_name, failed, passed FROM dataeng.validate('shop.codes', quarantine => true);
SELECT string_agg(row_data->>'id', ',' ORDER BY quarantine_id) AS quarantined_ids
  FROM dataeng.quarantine WHERE table_name = 'shop.codes'::regclass;
SELECT dataeng.rule_add('shop.codes', 'x', 'accepted_values', 'code', '{"values": ["ok"], "quarantine_when_mostly_passes": "yes"}');

-- null_is: what a NULL value, or an expression giving NULL, is.  'pass'
-- (the default, as a CHECK constraint, dbt and Great Expectations treat
-- it) or 'fail'.  dataeng.parse_number('') is NULL, so an empty amount
-- passes "parse_number(amount) > 0" unless the rule says null_is fail.
CREATE TABLE shop.amounts (id int PRIMARY KEY, amount text);
INSERT INTO shop.amounts VALUES (1, '12.50'), (2, ''), (3, NULL), (4, '-3');
SELECT dataeng.rule_add('shop.amounts', 'positive', 'expression',
                        params => '{"expression": "dataeng.parse_number(amount) > 0"}') IS NOT NULL AS added;
SELECT rule_name, checked, failed, sample FROM dataeng.validate('shop.amounts');
SELECT dataeng.rule_drop('shop.amounts', 'positive');
SELECT dataeng.rule_add('shop.amounts', 'positive', 'expression',
                        params => '{"expression": "dataeng.parse_number(amount) > 0", "null_is": "fail"}') IS NOT NULL AS added;
SELECT rule_name, checked, failed, sample FROM dataeng.validate('shop.amounts');
-- a column rule with null_is fail checks every row, NULLs failing
SELECT dataeng.rule_add('shop.amounts', 'digits', 'regex', 'amount', '{"pattern": "^-?[0-9.]+$", "null_is": "fail"}') IS NOT NULL AS added;
SELECT dataeng.rule_add('shop.amounts', 'digits or null', 'regex', 'amount', '{"pattern": "^-?[0-9.]+$"}') IS NOT NULL AS added;
SELECT rule_name, checked, failed, sample FROM dataeng.validate('shop.amounts') WHERE kind = 'regex';
-- the guard and quarantine_release judge rows the same way
SELECT dataeng.rule_drop('shop.amounts', 'digits or null');
SELECT dataeng.guard_enable('shop.amounts');
INSERT INTO shop.amounts VALUES (5, NULL);
INSERT INTO shop.amounts VALUES (6, '7');
SELECT dataeng.guard_disable('shop.amounts');
SELECT rule_name, failed FROM dataeng.validate('shop.amounts', quarantine => true) WHERE failed > 0;
SELECT dataeng.quarantine_release((SELECT quarantine_id FROM dataeng.quarantine WHERE row_data->>'id' = '3'));
SELECT dataeng.quarantine_release((SELECT quarantine_id FROM dataeng.quarantine WHERE row_data->>'id' = '3'), '{"amount": "3"}');
SELECT id, amount FROM shop.amounts ORDER BY id;
-- bad values
SELECT dataeng.rule_add('shop.amounts', 'x', 'expression', params => '{"expression": "true", "null_is": "maybe"}');
SELECT dataeng.rule_add('shop.amounts', 'x', 'not_null', 'amount', '{"null_is": "fail"}');


-- The guard's loads: the rows one statement diverts are one load, whose
-- number (from the sequence of validation runs) the quarantined rows carry
-- as run_id; the statement ends with a NOTICE giving the count, and an
-- alert per broken rule.  Enabling the guard, again or not, prints nothing.
CREATE TABLE shop.loads (id int PRIMARY KEY, email text);
SELECT dataeng.rule_add('shop.loads', 'email valid', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT dataeng.rule_add('shop.loads', 'email present', 'not_null', 'email') IS NOT NULL AS added;
SELECT dataeng.guard_enable('shop.loads', 'reject');
SELECT dataeng.guard_enable('shop.loads', 'quarantine');
INSERT INTO shop.loads
SELECT g, CASE WHEN g % 4 = 0 THEN 'bad' WHEN g = 5 THEN NULL ELSE 'u' || g || '@example.com' END
  FROM generate_series(1, 10) g;
COPY shop.loads FROM stdin;
11	ok11@example.com
12	not an email
13	\N
14	ok14@example.com
\.
-- nothing diverted: no NOTICE, no alert
INSERT INTO shop.loads VALUES (15, 'ok15@example.com');
-- a statement that fails leaves nothing, and the next load starts afresh
INSERT INTO shop.loads VALUES (16, 'bad'), (1, 'duplicate@example.com');
UPDATE shop.loads SET email = 'bad' WHERE id = 15;
SELECT count(*) AS rows_kept FROM shop.loads;
SELECT dense_rank() OVER (ORDER BY q.run_id) AS load, q.row_data->>'id' AS id, q.failed_rules,
       NOT EXISTS (SELECT 1 FROM dataeng.validation_runs r WHERE r.run_id = q.run_id) AS not_a_run_id
  FROM dataeng.quarantine q WHERE q.table_name = 'shop.loads'::regclass ORDER BY q.run_id, q.quarantine_id;
SELECT dense_rank() OVER (ORDER BY a.run_id) AS load, a.rule_name, a.kind, a.failed, a.failed_pct,
       a.payload->>'rows_written' AS rows_written, a.payload->>'rows_quarantined' AS rows_quarantined,
       a.payload->>'guard' AS guard,
       a.run_id IN (SELECT q.run_id FROM dataeng.quarantine q) AS same_load
  FROM dataeng.alerts a WHERE a.table_name = 'shop.loads'::regclass ORDER BY a.run_id, a.rule_name;
-- the reject action diverts nothing, so it makes no load
SELECT dataeng.guard_enable('shop.loads', 'reject');
INSERT INTO shop.loads VALUES (17, 'bad');
SELECT count(*) AS alerts FROM dataeng.alerts WHERE table_name = 'shop.loads'::regclass;
SELECT dataeng.guard_disable('shop.loads');
SELECT tgname FROM pg_trigger WHERE tgrelid = 'shop.loads'::regclass;

-- Errors for bad input carry no CONTEXT of dataeng's internal functions
-- (above: no "PL/pgSQL function dataeng_internal._rule_add(...) line N at RAISE"),
-- and keep the context of the caller's own code.
SELECT dataeng.guard_enable('shop.loads', 'shrug');
SELECT * FROM dataeng.validate('shop.customers');
CREATE FUNCTION shop.add_bad_rule() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng.rule_add('shop.orders', 'x', 'telepathy');
END
$$;
SELECT shop.add_bad_rule();

DROP SCHEMA shop CASCADE;
DROP EXTENSION dataeng;
