-- The ingestion guard runs a table's rules as the table's owner in the
-- writer's session.  A function of the owner whose own search_path leaves
-- pg_temp out (SET search_path = gt) has PostgreSQL search the session's
-- temporary schema first, so a temporary view the writer made under the
-- name of a table the function reads was read in its place: the writer's
-- function in it ran as the owner (it copied a table the writer may not
-- read into one of its own), and the row the rule should have refused was
-- written.  A CHECK constraint would have run that function as the writer.
-- Now a rule that may run a role's code (an expression, a column of a type
-- not built in) is not checked, and the write refused (55000), in a
-- session holding temporary objects of a role without the owner's
-- privileges that the owner's code could find; a temporary table only
-- its owner may use, of built-in column types (rows staged for a load),
-- does not count.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_gt_owner;
CREATE ROLE regress_gt_writer;
CREATE SCHEMA gt AUTHORIZATION regress_gt_owner;
CREATE SCHEMA gtw AUTHORIZATION regress_gt_writer;
GRANT USAGE ON SCHEMA gt TO regress_gt_writer;

SET ROLE regress_gt_owner;
CREATE TABLE gt.customers (id int PRIMARY KEY);
INSERT INTO gt.customers VALUES (1), (2);
CREATE TABLE gt.payroll (name text, salary int);
INSERT INTO gt.payroll VALUES ('ceo', 1000000);
CREATE TABLE gt.orders (id int, customer_id int);
GRANT INSERT ON gt.orders TO regress_gt_writer;
CREATE FUNCTION gt.known_customer(c int) RETURNS boolean LANGUAGE sql STABLE
  SET search_path = gt
  AS $$ SELECT EXISTS (SELECT 1 FROM customers WHERE id = c) $$;
SELECT dataeng.rule_add('gt.orders', 'known_customer', 'expression',
                        params => '{"expression": "gt.known_customer(customer_id)"}') > 0 AS added;
SELECT dataeng.guard_enable('gt.orders');
-- a table whose rules are built-in checks only
CREATE TABLE gt.notes (id int, body text);
GRANT INSERT ON gt.notes TO regress_gt_writer;
SELECT dataeng.rule_add('gt.notes', 'body_set', 'not_null', 'body') > 0 AS added;
SELECT dataeng.guard_enable('gt.notes');
RESET ROLE;

SET ROLE regress_gt_writer;
-- the guard refuses an unknown customer
INSERT INTO gt.orders VALUES (1, 99);
INSERT INTO gt.orders VALUES (2, 1);
CREATE TABLE gtw.loot (name text, salary int, who name);
GRANT INSERT ON gtw.loot TO PUBLIC;
GRANT USAGE ON SCHEMA gtw TO PUBLIC;
CREATE FUNCTION gtw.steal() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gtw.loot SELECT p.*, current_user FROM gt.payroll p;
  RETURN true;
END $$;
SELECT * FROM gt.payroll;
-- GT-1: a temporary view in place of gt.customers, readable by the owner
CREATE TEMP VIEW customers AS SELECT 99 AS id WHERE gtw.steal();
GRANT SELECT ON customers TO PUBLIC;
INSERT INTO gt.orders VALUES (3, 99);
-- nothing ran as the owner: the writer's table holds nothing of payroll
SELECT * FROM gtw.loot;
-- also in quarantine mode
RESET ROLE;
SET ROLE regress_gt_owner;
SELECT dataeng.guard_enable('gt.orders', 'quarantine');
RESET ROLE;
SET ROLE regress_gt_writer;
INSERT INTO gt.orders VALUES (4, 99);
SELECT * FROM gtw.loot;
-- the built-in checks of another table run all the same
INSERT INTO gt.notes VALUES (1, 'hello');
DISCARD TEMP;

-- GT-2: a temporary table the owner may read, or of a type of the writer's
CREATE TEMP TABLE customers (id int);
GRANT SELECT ON customers TO regress_gt_owner;
INSERT INTO gt.orders VALUES (5, 99);
DISCARD TEMP;
CREATE DOMAIN gtw.evil AS int CHECK (gtw.steal());
CREATE TEMP TABLE customers (id gtw.evil);
INSERT INTO gt.orders VALUES (6, 1);
DISCARD TEMP;
SELECT * FROM gtw.loot;

-- GT-3: rows staged in a temporary table of the writer's own, of built-in
-- types and granted to no one, are written as before
CREATE TEMP TABLE stage (id int, customer_id int);
INSERT INTO stage VALUES (7, 1), (8, 2);
INSERT INTO gt.orders SELECT * FROM stage;
DISCARD TEMP;
RESET ROLE;

-- GT-4: the owner's own temporary objects do not count
SET ROLE regress_gt_owner;
CREATE TEMP VIEW customers AS SELECT 2 AS id;
INSERT INTO gt.orders VALUES (9, 2);
DISCARD TEMP;
SELECT id, customer_id FROM gt.orders ORDER BY id;
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'gt.orders'::regclass;
RESET ROLE;

DROP SCHEMA gt CASCADE;
DROP SCHEMA gtw CASCADE;
DROP ROLE regress_gt_owner;
DROP ROLE regress_gt_writer;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
