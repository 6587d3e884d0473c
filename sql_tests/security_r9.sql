-- The work dataeng does on a table as the table's owner (fill_missing's
-- UPDATE, quarantine_release's INSERT, dedupe's DELETE, dedupe_undo's
-- INSERT, validate's quarantine DELETE) is for a role with the owner's
-- rights, as REFRESH MATERIALIZED VIEW is: the owner, a member of the
-- owner's role (with its privileges), a superuser.  It took only a table
-- privilege: the owner's triggers and CHECK constraints then saw the owner
-- as current_user, and a role granted that privilege wrote through dataeng
-- what those checks refused it when it wrote itself.  Each such write by a
-- role holding only the privilege (marked BYPASS: it succeeded) is now
-- refused with 42501 (the SQLSTATE echoed after it); the owner and a
-- member still do the work; the work that only reads (validate without
-- quarantine, find_duplicates) stays open to a role that may read the
-- table.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_r9_owner;
CREATE ROLE regress_r9_other;
CREATE ROLE regress_r9_member IN ROLE regress_r9_owner;
CREATE ROLE regress_r9_noinherit NOINHERIT IN ROLE regress_r9_owner;
CREATE ROLE regress_r9_former IN ROLE regress_r9_owner;
CREATE SCHEMA r9 AUTHORIZATION regress_r9_owner;
GRANT USAGE ON SCHEMA r9 TO regress_r9_other, regress_r9_noinherit, regress_r9_former;
SET ROLE regress_r9_owner;
-- (1) fill_missing: a trigger keeps column tier for the owner
CREATE TABLE r9.acct (id int PRIMARY KEY, tier text);
INSERT INTO r9.acct VALUES (1, NULL);
CREATE FUNCTION r9.acct_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tier IS DISTINCT FROM OLD.tier AND current_user <> 'regress_r9_owner' THEN
    RAISE EXCEPTION 'only the owner sets tier';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER acct_guard BEFORE UPDATE ON r9.acct FOR EACH ROW EXECUTE FUNCTION r9.acct_guard();
GRANT SELECT, UPDATE ON r9.acct TO regress_r9_other, regress_r9_noinherit;
-- (2) quarantine_release: CHECK (created_by = current_user)
CREATE TABLE r9.notes (id int PRIMARY KEY, body text,
                       created_by name NOT NULL DEFAULT current_user CHECK (created_by = current_user));
SELECT dataeng.rule_add('r9.notes', 'short', 'length', 'body', '{"max": 10}') > 0 AS added;
SELECT dataeng.guard_enable('r9.notes', 'quarantine');
GRANT SELECT, INSERT ON r9.notes TO regress_r9_other;
-- (3) dedupe, dedupe_undo, validate(quarantine): locked rows only the owner deletes
CREATE TABLE r9.keep (id int PRIMARY KEY, name text, locked boolean);
INSERT INTO r9.keep VALUES (1, 'acme', true), (2, 'acme', true), (3, 'beta', false);
CREATE FUNCTION r9.keep_locked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.locked AND current_user <> 'regress_r9_owner' THEN
    RAISE EXCEPTION 'locked rows are the owner''s to delete';
  END IF;
  RETURN OLD;
END $$;
CREATE TRIGGER keep_locked BEFORE DELETE ON r9.keep FOR EACH ROW EXECUTE FUNCTION r9.keep_locked();
SELECT dataeng.rule_add('r9.keep', 'unlocked', 'expression', NULL, '{"expression": "NOT locked"}') > 0 AS added;
GRANT SELECT, DELETE ON r9.keep TO regress_r9_other;
-- (a member that leaves the owner's role later, with privileges of its own)
GRANT SELECT, INSERT, DELETE ON r9.keep TO regress_r9_former;
RESET ROLE;

-- A role with the table privilege only: its own writes are refused by the
-- owner's checks, and so are dataeng's writes for it as the owner.
SET ROLE regress_r9_other;
UPDATE r9.acct SET tier = 'gold' WHERE id = 1;                          -- refused
\set VERBOSITY default
SELECT dataeng.fill_missing('r9.acct', 'tier', 'constant', 'gold');    -- BYPASS, now 42501
\echo :SQLSTATE
\set VERBOSITY terse
INSERT INTO r9.notes VALUES (1, 'hi', 'regress_r9_owner');              -- refused
SET client_min_messages = notice;
\set VERBOSITY default
INSERT INTO r9.notes (id, body) VALUES (1, 'far too long a body');      -- quarantined
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT dataeng.quarantine_release(q.quarantine_id, '{"body": "hi", "created_by": "regress_r9_owner"}')
  FROM dataeng.quarantine q WHERE q.table_name = 'r9.notes'::regclass; -- BYPASS, now 42501
\echo :SQLSTATE
SELECT * FROM dataeng.quarantine_release_all('r9.notes',
  corrected => '{"body": "hi", "created_by": "regress_r9_owner"}');     -- BYPASS, now 42501
\echo :SQLSTATE
DELETE FROM r9.keep WHERE id = 2;                                       -- refused
SELECT rows_deleted FROM dataeng.dedupe('r9.keep', ARRAY['name']);      -- BYPASS, now 42501
\echo :SQLSTATE
SELECT failed FROM dataeng.validate('r9.keep', true);                   -- BYPASS, now 42501
\echo :SQLSTATE
-- reading needs no more than before
SELECT rule_name, checked, failed FROM dataeng.validate('r9.keep');
SELECT count(*) AS duplicates FROM dataeng.find_duplicates('r9.keep', ARRAY['name'], key_column => 'id');
RESET ROLE;
-- nothing was written
SELECT * FROM r9.acct;
SELECT * FROM r9.notes;
SELECT * FROM r9.keep ORDER BY id;
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'r9.notes'::regclass;

-- A member of the owner's role without its privileges (NOINHERIT) may not
-- either; it may SET ROLE to the owner.
SET ROLE regress_r9_noinherit;
SELECT dataeng.fill_missing('r9.acct', 'tier', 'constant', 'gold');    -- 42501
\echo :SQLSTATE
RESET ROLE;

-- A member of the owner's role: the work runs as the owner, as before.
SET ROLE regress_r9_member;
SELECT dataeng.fill_missing('r9.acct', 'tier', 'constant', 'gold');
SELECT dataeng.quarantine_release(q.quarantine_id, '{"body": "hi", "created_by": "regress_r9_owner"}')
  FROM dataeng.quarantine q WHERE q.table_name = 'r9.notes'::regclass;
SELECT rows_deleted FROM dataeng.dedupe('r9.keep', ARRAY['name']);
SELECT dataeng.dedupe_undo(max(run_id)) AS rows_back FROM dataeng.dedupe_runs WHERE table_name = 'r9.keep'::regclass;
SELECT failed FROM dataeng.validate('r9.keep', true) WHERE failed > 0;
RESET ROLE;
SELECT * FROM r9.acct;
SELECT * FROM r9.notes;
SELECT * FROM r9.keep ORDER BY id;

-- The owner: puts the locked rows back unlocked, fills, dedupes.
SET ROLE regress_r9_owner;
SELECT released, refused FROM dataeng.quarantine_release_all('r9.keep', corrected => '{"locked": false}');
UPDATE r9.acct SET tier = NULL;
SELECT dataeng.fill_missing('r9.acct', 'tier', 'constant', 'silver');
INSERT INTO r9.notes (id, body) VALUES (2, 'again far too long');
SELECT dataeng.quarantine_release(q.quarantine_id, '{"body": "ok"}')
  FROM dataeng.quarantine q WHERE q.table_name = 'r9.notes'::regclass;
UPDATE r9.keep SET locked = true;
SELECT rows_deleted FROM dataeng.dedupe('r9.keep', ARRAY['name']);
RESET ROLE;
SELECT * FROM r9.acct;
SELECT * FROM r9.notes ORDER BY id;
SELECT * FROM r9.keep ORDER BY id;

-- dedupe_undo asks for the owner's rights at the undo: a run made by a
-- member that has left the owner's role since is not put back by it (it
-- holds INSERT and DELETE on the table), only by a superuser.
SET ROLE regress_r9_owner;
INSERT INTO r9.keep VALUES (4, 'beta', true);
RESET ROLE;
SET ROLE regress_r9_former;
SELECT rows_deleted FROM dataeng.dedupe('r9.keep', ARRAY['name']);
RESET ROLE;
REVOKE regress_r9_owner FROM regress_r9_former;
SET ROLE regress_r9_former;
SELECT dataeng.dedupe_undo(max(run_id)) FROM dataeng.dedupe_runs WHERE table_name = 'r9.keep'::regclass;  -- 42501
\echo :SQLSTATE
SELECT count(*) FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs
                                                    WHERE table_name = 'r9.keep'::regclass));             -- 42501
\echo :SQLSTATE
RESET ROLE;
SELECT id FROM r9.keep ORDER BY id;
SELECT dataeng.dedupe_undo(max(run_id)) AS rows_back FROM dataeng.dedupe_runs WHERE table_name = 'r9.keep'::regclass;
SELECT id FROM r9.keep ORDER BY id;

DROP SCHEMA r9 CASCADE;
DROP ROLE regress_r9_owner;
DROP ROLE regress_r9_other;
DROP ROLE regress_r9_member;
DROP ROLE regress_r9_noinherit;
DROP ROLE regress_r9_former;
DROP EXTENSION dataeng CASCADE;
