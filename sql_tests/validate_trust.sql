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

DROP SCHEMA shop CASCADE;
DROP EXTENSION dataeng;
