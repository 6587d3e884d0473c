-- validate() runs a table's rules as the table's owner, in the session of
-- whoever calls it (any role that may read the whole table), and records
-- the results as the table's (a pass resolves its rules' alerts).  A
-- rule's function that sets its own search_path leaving pg_temp out has
-- PostgreSQL search pg_temp first: a temporary table the caller made
-- under the name of a table the function reads was read in its place, as
-- the owner, and a failing rule was recorded as passed.  validate() (and
-- quarantine_release() and quarantine_release_all(), which check the rules and inserts the row as the
-- owner) now refuse a session holding temporary objects of a role without
-- the owner's privileges (55000, saying whose); the owner's own do not
-- count.  (The releases are since for a role with the owner's rights
-- alone, sql_tests/security_r9.sql: the caller below that releases is a
-- member of the owner's role, in a session where the reader left its
-- temporary objects.)
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
CREATE ROLE svt_owner;
CREATE ROLE svt_reader;
CREATE ROLE svt_member IN ROLE svt_owner;
CREATE SCHEMA svt AUTHORIZATION svt_owner;

SET ROLE svt_owner;
CREATE TABLE svt.allowed (code text);
INSERT INTO svt.allowed VALUES ('A');
CREATE FUNCTION svt.code_ok(c text) RETURNS boolean LANGUAGE sql STABLE SET search_path = svt
  AS $$ SELECT c IN (SELECT code FROM allowed) $$;
CREATE TABLE svt.t (id int PRIMARY KEY, code text);
INSERT INTO svt.t VALUES (1, 'A'), (2, 'B');
SELECT dataeng.rule_add('svt.t', 'known_code', 'expression', params => '{"expression": "svt.code_ok(code)"}') > 0 AS added;
GRANT USAGE ON SCHEMA svt TO svt_reader;
GRANT SELECT ON svt.t TO svt_reader;
SELECT rule_name, failed, passed FROM dataeng.validate('svt.t');
-- the owner's own temporary objects change nothing
CREATE TEMP TABLE scratch (x int);
SELECT rule_name, failed, passed FROM dataeng.validate('svt.t');
RESET ROLE;
DISCARD TEMP;

-- the reader's temporary table named as the one the rule reads
SET ROLE svt_reader;
CREATE TEMP TABLE allowed (code text);
INSERT INTO allowed VALUES ('A'), ('B');
GRANT SELECT ON allowed TO PUBLIC;
SELECT rule_name, failed, passed FROM dataeng.validate('svt.t');
RESET ROLE;
DISCARD TEMP;
-- in a session without them, the rule fails as it should
SET ROLE svt_reader;
SELECT rule_name, failed, passed FROM dataeng.validate('svt.t');
RESET ROLE;
SELECT v.rule_name, v.failed, v.passed, r.run_by
  FROM dataeng.validation_results v JOIN dataeng.validation_runs r USING (run_id) ORDER BY run_id;

-- quarantine_release() checks the rules and inserts the row as the
-- owner: it refuses such a session too
SET ROLE svt_owner;
SELECT count(*) AS moved FROM dataeng.validate('svt.t', quarantine => true);
GRANT INSERT ON svt.t TO svt_reader;
RESET ROLE;
SET ROLE svt_reader;
CREATE TEMP TABLE allowed (code text);
INSERT INTO allowed VALUES ('A'), ('B');
GRANT SELECT ON allowed TO PUBLIC;
RESET ROLE;
SET ROLE svt_member;
SELECT dataeng.quarantine_release((SELECT quarantine_id FROM dataeng.quarantine));
-- and so does the bulk release
SELECT released, refused FROM dataeng.quarantine_release_all('svt.t');
RESET ROLE;
DISCARD TEMP;
-- (the reader, with INSERT alone, may not release: 42501)
SET ROLE svt_reader;
SELECT dataeng.quarantine_release((SELECT quarantine_id FROM dataeng.quarantine), '{"code": "A"}');
RESET ROLE;
SET ROLE svt_member;
SELECT dataeng.quarantine_release((SELECT quarantine_id FROM dataeng.quarantine), '{"code": "A"}');
RESET ROLE;
SELECT id, code FROM svt.t ORDER BY id;

DROP SCHEMA svt CASCADE;
DROP ROLE svt_owner, svt_reader, svt_member;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
