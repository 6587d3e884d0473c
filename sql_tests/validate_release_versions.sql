-- quarantine_release() of rows the guard diverted from UPDATEs, when
-- several versions of one row are quarantined and when row-level security
-- could hide the row an UPDATE was to replace.
--  * Two diverted UPDATEs of a row both leave it in the table; once it was
--    deleted, each version went back: one row become two.  The latest
--    version wins: an earlier one is refused (23505) while a later one is
--    quarantined, and the latest's release takes the earlier ones out.
--  * The check for the replaced row runs as the table's owner: a table that
--    forces row-level security on its owner hid the row from it, and the
--    release put a second copy of the row in.  Now refused (42501).
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

-- two diverted UPDATEs of one row, then the row deleted
CREATE TABLE rv_twice (name text, v int, at timestamptz);
INSERT INTO rv_twice VALUES ('a', 1, '2026-01-01 10:00+00'), ('b', 2, NULL);
SELECT dataeng.rule_add('rv_twice', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('rv_twice', 'quarantine');
UPDATE rv_twice SET v = -1 WHERE name = 'a';
-- (written in another time zone: the versions are compared in their types)
SET TimeZone = 'Asia/Tokyo';
UPDATE rv_twice SET v = -2 WHERE name = 'a';
RESET TimeZone;
-- a diverted UPDATE of another row is no version of it
UPDATE rv_twice SET v = -3 WHERE name = 'b';
SELECT quarantine_id - min(quarantine_id) OVER () + 1 AS n, row_data->>'name' AS name, row_data->>'v' AS v
  FROM dataeng.quarantine WHERE table_name = 'rv_twice'::regclass ORDER BY quarantine_id;
SELECT min(quarantine_id) - 1 AS base FROM dataeng.quarantine WHERE table_name = 'rv_twice'::regclass \gset
-- the row is still there: refused as before
SELECT dataeng.quarantine_release(:base + 2, '{"v": 20}');
DELETE FROM rv_twice WHERE name = 'a';
-- the earlier version is refused: a later one is quarantined
SELECT dataeng.quarantine_release(:base + 1, '{"v": 10}');
-- the latest goes back and takes the earlier one out
SELECT dataeng.quarantine_release(:base + 2, '{"v": 20}');
SELECT name, v FROM rv_twice ORDER BY name, v;
SELECT quarantine_id - :base AS n, row_data->>'name' AS name
  FROM dataeng.quarantine WHERE table_name = 'rv_twice'::regclass ORDER BY quarantine_id;
-- the other row's version still needs its row gone
DELETE FROM rv_twice WHERE name = 'b';
SELECT dataeng.quarantine_release(:base + 3, '{"v": 30}');
SELECT name, v FROM rv_twice ORDER BY name, v;

-- three versions, released in order: only the latest goes back
CREATE TABLE rv_three (id int, v int);
INSERT INTO rv_three VALUES (1, 1);
SELECT dataeng.rule_add('rv_three', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('rv_three', 'quarantine');
UPDATE rv_three SET v = -1;
UPDATE rv_three SET v = -2;
UPDATE rv_three SET v = -3;
DELETE FROM rv_three;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 5}')
  FROM dataeng.quarantine WHERE table_name = 'rv_three'::regclass ORDER BY quarantine_id LIMIT 1;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 5}')
  FROM dataeng.quarantine WHERE table_name = 'rv_three'::regclass ORDER BY quarantine_id DESC LIMIT 1;
SELECT * FROM rv_three;
SELECT count(*) AS left_quarantined FROM dataeng.quarantine WHERE table_name = 'rv_three'::regclass;

-- two copies of a row in a table without a key, each updated on its own:
-- two rows, not two versions of one; both go back
CREATE TABLE rv_copies (name text, v int);
INSERT INTO rv_copies VALUES ('a', 1), ('a', 1);
SELECT dataeng.rule_add('rv_copies', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('rv_copies', 'quarantine');
UPDATE rv_copies SET v = -1 WHERE ctid = '(0,1)';
UPDATE rv_copies SET v = -2 WHERE ctid = '(0,2)';
DELETE FROM rv_copies;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 5}')
  FROM dataeng.quarantine WHERE table_name = 'rv_copies'::regclass ORDER BY quarantine_id;
SELECT * FROM rv_copies;

-- a table that forces row-level security on its owner
CREATE ROLE rv_owner;
CREATE TABLE rv_rls (name text, v int, hidden boolean DEFAULT false);
ALTER TABLE rv_rls OWNER TO rv_owner;
INSERT INTO rv_rls VALUES ('a', 1, true);
SELECT dataeng.rule_add('rv_rls', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('rv_rls', 'quarantine');
UPDATE rv_rls SET v = -1;
ALTER TABLE rv_rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE rv_rls FORCE ROW LEVEL SECURITY;
CREATE POLICY shown ON rv_rls USING (NOT hidden);
-- the owner cannot see the row (the corrected one it could): refused,
-- the table unchanged
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3, "hidden": false}')
  FROM dataeng.quarantine WHERE table_name = 'rv_rls'::regclass;
SELECT name, v, hidden FROM rv_rls ORDER BY name, v;
-- as the hint says: the owner lifts FORCE for the release (the row is
-- then found, and the release refused as for any table)
BEGIN;
ALTER TABLE rv_rls NO FORCE ROW LEVEL SECURITY;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3, "hidden": false}')
  FROM dataeng.quarantine WHERE table_name = 'rv_rls'::regclass;
ROLLBACK;
-- an owner that bypasses row-level security sees every row: checked
ALTER ROLE rv_owner BYPASSRLS;
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 3, "hidden": false}')
  FROM dataeng.quarantine WHERE table_name = 'rv_rls'::regclass;
ALTER ROLE rv_owner NOBYPASSRLS;
-- rows diverted from an INSERT are released as before
INSERT INTO rv_rls VALUES ('c', -5);
SELECT dataeng.quarantine_release(quarantine_id, '{"v": 5}')
  FROM dataeng.quarantine WHERE table_name = 'rv_rls'::regclass AND replaces IS NULL;
ALTER TABLE rv_rls NO FORCE ROW LEVEL SECURITY;
SELECT name, v, hidden FROM rv_rls ORDER BY name, v;

-- a row deleted, another with the same values put at its place (its
-- ctid, after a TRUNCATE here, or a VACUUM): the diverted UPDATEs of the
-- two rows are no versions of one row (their xmin differs), each goes back
-- (the release of the second took the first out of the quarantine)
CREATE TABLE rv_reused (v int);
SELECT dataeng.rule_add('rv_reused', 'v positive', 'range', 'v', '{"min": 0}') > 0 AS added;
SELECT dataeng.guard_enable('rv_reused', 'quarantine');
INSERT INTO rv_reused VALUES (1);
UPDATE rv_reused SET v = -1;
SELECT ctid AS first_ctid FROM rv_reused \gset
TRUNCATE rv_reused;
INSERT INTO rv_reused VALUES (1);
SELECT ctid = :'first_ctid' AS same_place FROM rv_reused;
UPDATE rv_reused SET v = -2;
DELETE FROM rv_reused;
SELECT dataeng.quarantine_release(quarantine_id, jsonb_build_object('v', -(row_data->>'v')::int * 10))
  FROM dataeng.quarantine WHERE table_name = 'rv_reused'::regclass ORDER BY quarantine_id DESC;
SELECT v FROM rv_reused ORDER BY v;
SELECT count(*) AS still_quarantined FROM dataeng.quarantine WHERE table_name = 'rv_reused'::regclass;

DROP TABLE rv_twice, rv_three, rv_copies, rv_rls, rv_reused;
DROP ROLE rv_owner;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
