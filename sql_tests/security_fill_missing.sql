-- dataeng.fill_missing() fills a column as the table's owner, like
-- dedupe() and REFRESH MATERIALIZED VIEW: the table's triggers, index
-- expressions and its column type's functions are the owner's code.  It
-- was invoker rights: a superuser filling a plain role's table ran that
-- role's trigger as a superuser, which made the role a superuser.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_fm_owner;
CREATE ROLE regress_fm_writer;
CREATE ROLE regress_fm_nobody;
CREATE ROLE regress_fm_member IN ROLE regress_fm_owner;
CREATE SCHEMA fm AUTHORIZATION regress_fm_owner;
GRANT USAGE ON SCHEMA fm TO regress_fm_writer, regress_fm_nobody;

SET ROLE regress_fm_owner;
CREATE TABLE fm.log (who name, super boolean);
GRANT INSERT ON fm.log TO PUBLIC;
CREATE TABLE fm.prices (id int, day int, price numeric);
INSERT INTO fm.prices VALUES (1, 1, 10), (2, 2, NULL), (3, 3, 20), (4, 4, NULL);
GRANT SELECT, UPDATE ON fm.prices TO regress_fm_writer;
GRANT SELECT ON fm.prices TO regress_fm_nobody;
CREATE FUNCTION fm.grab() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO fm.log SELECT current_user, r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user;
  BEGIN
    ALTER ROLE regress_fm_owner SUPERUSER;
  EXCEPTION WHEN insufficient_privilege THEN
    NULL;
  END;
  RETURN NEW;
END $$;
CREATE TRIGGER grab BEFORE UPDATE ON fm.prices FOR EACH STATEMENT EXECUTE FUNCTION fm.grab();
RESET ROLE;

-- FM-1: a superuser fills the plain role's table: the trigger runs as the owner
SELECT dataeng.fill_missing('fm.prices', 'price', 'constant', '0');
SELECT who, super FROM fm.log;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'regress_fm_owner';
SELECT id, price FROM fm.prices ORDER BY id;

-- FM-2: a role with UPDATE and SELECT alone is refused (42501): the fill
-- runs as the owner, whose triggers and CHECK constraints would take the
-- role's write for the owner's (sql_tests/security_r9.sql); a member of
-- the owner's role fills it, as the owner too (the test's own UPDATEs run
-- as the owner: a superuser's would fire the trigger as a superuser, as any
-- UPDATE does)
SET ROLE regress_fm_owner;
UPDATE fm.prices SET price = NULL WHERE id IN (2, 4);
TRUNCATE fm.log;
RESET ROLE;
SET ROLE regress_fm_writer;
SELECT dataeng.fill_missing('fm.prices', 'price', 'mean');
RESET ROLE;
SET ROLE regress_fm_member;
SELECT dataeng.fill_missing('fm.prices', 'price', 'mean');
SELECT dataeng.fill_missing('fm.prices', 'price', 'locf', order_by => 'day');
RESET ROLE;
SELECT who, super FROM fm.log;
SELECT id, price FROM fm.prices ORDER BY id;
SET ROLE regress_fm_owner;
UPDATE fm.prices SET price = NULL WHERE id IN (2, 4);
RESET ROLE;
SET ROLE regress_fm_member;
SELECT dataeng.fill_missing('fm.prices', 'price', 'locf', order_by => 'day');
SELECT id, price FROM fm.prices ORDER BY id;
RESET ROLE;

-- FM-3: without UPDATE, refused (42501), nothing changed
SET ROLE regress_fm_owner;
UPDATE fm.prices SET price = NULL WHERE id = 4;
RESET ROLE;
SET ROLE regress_fm_nobody;
\set VERBOSITY default
SELECT dataeng.fill_missing('fm.prices', 'price', 'constant', '1');
\set VERBOSITY terse
RESET ROLE;

-- FM-4: with row-level security hiding rows from the caller, refused
-- (the owner's UPDATE would fill the rows the caller may not see)
SET ROLE regress_fm_owner;
ALTER TABLE fm.prices ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON fm.prices TO regress_fm_writer USING (id < 4);
RESET ROLE;
SET ROLE regress_fm_writer;
SELECT dataeng.fill_missing('fm.prices', 'price', 'constant', '1');
RESET ROLE;
SELECT id, price FROM fm.prices ORDER BY id;
SELECT DISTINCT who, super FROM fm.log;
SELECT rolsuper AS owner_became_superuser FROM pg_roles WHERE rolname = 'regress_fm_owner';

-- FM-5: NULL arguments and an unknown strategy are errors, as before
SELECT dataeng.fill_missing(NULL, 'price', 'mean');
SELECT dataeng.fill_missing('fm.prices', 'price', 'nope');
SELECT dataeng.fill_missing('fm.prices', 'nope', 'mean');

DROP SCHEMA fm CASCADE;
DROP ROLE regress_fm_owner;
DROP ROLE regress_fm_writer;
DROP ROLE regress_fm_nobody;
DROP ROLE regress_fm_member;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
