-- The ingestion guard's look at the session's temporary objects
-- (src/validate/guard.c, guard_temp_check) read the catalogs with the
-- snapshot of the writing statement: a temporary view made by a function
-- the statement itself ran (in its SELECT, before the row reached the
-- guard) was not seen, the session was said to hold none, and that answer
-- was kept until a catalog changed again.  The table's rule then ran as
-- its owner with the writer's temporary view in place of the owner's
-- table, in that row and in every later statement of the session: the
-- writer's function in the view ran as the owner (it copied a table the
-- writer may not read).  Now the look reads the catalogs as they are.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_gs_owner;
CREATE ROLE regress_gs_writer;
CREATE SCHEMA gs AUTHORIZATION regress_gs_owner;
CREATE SCHEMA gsw AUTHORIZATION regress_gs_writer;
GRANT USAGE ON SCHEMA gs TO regress_gs_writer;

SET ROLE regress_gs_owner;
CREATE TABLE gs.customers (id int PRIMARY KEY);
INSERT INTO gs.customers VALUES (1), (2);
CREATE TABLE gs.payroll (name text, salary int);
INSERT INTO gs.payroll VALUES ('ceo', 1000000);
CREATE TABLE gs.orders (id int, customer_id int);
GRANT INSERT ON gs.orders TO regress_gs_writer;
CREATE FUNCTION gs.known_customer(c int) RETURNS boolean LANGUAGE sql STABLE
  SET search_path = gs
  AS $$ SELECT EXISTS (SELECT 1 FROM customers WHERE id = c) $$;
SELECT dataeng.rule_add('gs.orders', 'known_customer', 'expression',
                        params => '{"expression": "gs.known_customer(customer_id)"}') > 0 AS added;
SELECT dataeng.guard_enable('gs.orders');
RESET ROLE;

SET ROLE regress_gs_writer;
CREATE TABLE gsw.loot (name text, salary int, who name);
GRANT INSERT ON gsw.loot TO PUBLIC;
GRANT USAGE ON SCHEMA gsw TO PUBLIC;
CREATE FUNCTION gsw.steal() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO gsw.loot SELECT p.*, current_user FROM gs.payroll p;
  RETURN true;
END $$;
-- makes the temporary view in place of gs.customers when called; the
-- unknown customer 99 it returns passes the rule only through the view
CREATE FUNCTION gsw.plant() RETURNS int LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  EXECUTE 'CREATE TEMP VIEW customers AS SELECT 99 AS id WHERE gsw.steal()';
  EXECUTE 'GRANT SELECT ON pg_temp.customers TO PUBLIC';
  RETURN 99;
END $$;
-- GS-1: the view made by the writing statement itself: refused
INSERT INTO gs.orders SELECT 1, gsw.plant();
DISCARD TEMP;
-- GS-2: in a transaction, made in one row, the next row's check
BEGIN;
INSERT INTO gs.orders SELECT i, CASE WHEN i = 2 THEN gsw.plant() ELSE 1 END FROM generate_series(1, 2) i;
ROLLBACK;
-- GS-3: the answer is not kept past a statement that made the view
INSERT INTO gs.orders VALUES (3, 1);
CREATE TEMP TABLE stage (id int, customer_id int);
BEGIN;
SAVEPOINT s;
INSERT INTO gs.orders SELECT 4, gsw.plant();
ROLLBACK TO s;
SELECT gsw.plant();
INSERT INTO gs.orders VALUES (5, 99);
COMMIT;
DISCARD TEMP;
-- nothing ran as the owner
SELECT * FROM gsw.loot;
RESET ROLE;

-- GS-4: a temporary table granted to no one still counts when the owner
-- may read it all the same (a member of pg_read_all_data, a superuser):
-- the owner's function read the writer's table in place of its own, and
-- the writer's row-level security policy on it ran as the owner.
GRANT pg_read_all_data TO regress_gs_owner;
SET ROLE regress_gs_writer;
CREATE TEMP TABLE customers (id int);
INSERT INTO customers VALUES (99);
ALTER TABLE customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON customers USING (gsw.steal());
INSERT INTO gs.orders VALUES (6, 99);
DISCARD TEMP;
SELECT * FROM gsw.loot;
RESET ROLE;
REVOKE pg_read_all_data FROM regress_gs_owner;
-- GS-5: once the owner may not read it, rows staged in it load as before
SET ROLE regress_gs_writer;
CREATE TEMP TABLE stage (id int, customer_id int);
INSERT INTO stage VALUES (7, 1), (8, 2);
INSERT INTO gs.orders SELECT * FROM stage;
DISCARD TEMP;
RESET ROLE;
SELECT id, customer_id FROM gs.orders ORDER BY id;

DROP SCHEMA gs CASCADE;
DROP SCHEMA gsw CASCADE;
DROP ROLE regress_gs_owner;
DROP ROLE regress_gs_writer;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
