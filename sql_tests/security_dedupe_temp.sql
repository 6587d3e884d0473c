-- find_duplicates(), dedupe() and dedupe_undo() work on a table as its
-- owner, in the session of whoever calls them (a role that may read, and
-- delete from, the whole table), and run the owner's code there: a
-- DELETE trigger of the owner's that sets its own search_path leaving
-- pg_temp out has PostgreSQL search pg_temp first.  A temporary table the
-- caller made under the name of a table the trigger reads was read in
-- its place, and the trigger wrote another table of the owner's, which
-- the caller may not write, as the owner, with what the caller chose (a
-- DELETE of the caller's own runs the trigger as the caller, refused).
-- They now refuse a session holding temporary objects of a role without
-- the owner's privileges (55000, saying whose); the owner's own do not
-- count.  (dedupe() and dedupe_undo() are since for a role with the
-- owner's rights alone, sql_tests/security_r9.sql: the caller below that
-- deletes is a member of the owner's role, in a session where the other
-- role left its temporary objects.)
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
CREATE ROLE sdt_owner;
CREATE ROLE sdt_mallory;
CREATE ROLE sdt_member IN ROLE sdt_owner;
CREATE SCHEMA sdt AUTHORIZATION sdt_owner;

SET ROLE sdt_owner;
CREATE TABLE sdt.notes (note text);
INSERT INTO sdt.notes VALUES ('a duplicate deleted');
CREATE TABLE sdt.ledger (note text, by name);
CREATE FUNCTION sdt.on_delete() RETURNS trigger LANGUAGE plpgsql SET search_path = sdt AS $$
BEGIN
  INSERT INTO ledger SELECT n.note, current_user FROM notes n;
  RETURN OLD;
END $$;
CREATE TABLE sdt.people (id int PRIMARY KEY, name text, city text);
INSERT INTO sdt.people VALUES (1, 'Ann Lee', 'Oslo'), (2, 'Ann Lee', 'Oslo'), (3, 'Bob Stone', 'Rome');
CREATE TRIGGER on_delete AFTER DELETE ON sdt.people FOR EACH ROW EXECUTE FUNCTION sdt.on_delete();
GRANT USAGE ON SCHEMA sdt TO sdt_mallory;
GRANT SELECT, DELETE, INSERT ON sdt.people TO sdt_mallory;
-- the owner's own temporary objects change nothing
CREATE TEMP TABLE scratch (x int);
SELECT count(*) AS rows_in_clusters FROM dataeng.find_duplicates('sdt.people', '{name,city}');
RESET ROLE;
DISCARD TEMP;

-- mallory's temporary table named as the one the trigger reads
SET ROLE sdt_mallory;
CREATE TEMP TABLE notes (note text);
INSERT INTO notes VALUES ('forged by mallory');
GRANT SELECT ON notes TO PUBLIC;
SELECT count(*) AS rows_in_clusters FROM dataeng.find_duplicates('sdt.people', '{name,city}');
SELECT rows_deleted FROM dataeng.dedupe('sdt.people', '{name,city}');
RESET ROLE;
-- nor may a member of the owner's role dedupe it in this session
SET ROLE sdt_member;
SELECT rows_deleted FROM dataeng.dedupe('sdt.people', '{name,city}');
RESET ROLE;
SELECT note, by FROM sdt.ledger;
SELECT id FROM sdt.people ORDER BY id;
DISCARD TEMP;

-- in a session without them, the trigger reads the owner's table (mallory,
-- with DELETE alone, may not dedupe it: 42501)
SET ROLE sdt_mallory;
SELECT rows_deleted FROM dataeng.dedupe('sdt.people', '{name,city}');
RESET ROLE;
SET ROLE sdt_member;
SELECT rows_deleted FROM dataeng.dedupe('sdt.people', '{name,city}');
RESET ROLE;
SELECT note, by FROM sdt.ledger;
-- and the undo, too, refuses them
SET ROLE sdt_mallory;
CREATE TEMP TABLE other (x int);
RESET ROLE;
SET ROLE sdt_member;
SELECT dataeng.dedupe_undo((SELECT max(run_id) FROM dataeng.dedupe_runs));
RESET ROLE;
DISCARD TEMP;
SET ROLE sdt_member;
SELECT dataeng.dedupe_undo((SELECT max(run_id) FROM dataeng.dedupe_runs));
RESET ROLE;
SELECT id FROM sdt.people ORDER BY id;

DROP SCHEMA sdt CASCADE;
DROP ROLE sdt_owner, sdt_mallory, sdt_member;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
