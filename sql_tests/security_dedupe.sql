-- Dedupe security: whose rights find_duplicates, dedupe and dedupe_undo
-- use, who may write dataeng.dedupe_runs / dedupe_log and who may read them.
CREATE EXTENSION dataeng;
\set VERBOSITY terse
\set SHOW_CONTEXT never

CREATE ROLE sd_attacker;
CREATE ROLE sd_victim;
CREATE SCHEMA sd_attacker AUTHORIZATION sd_attacker;
CREATE SCHEMA sd_victim AUTHORIZATION sd_victim;
CREATE SCHEMA sd_vault AUTHORIZATION sd_victim;

-- three people recorded twice (Ann three times), and forty others
CREATE FUNCTION pg_temp.people(OUT id int, OUT name text, OUT email text, OUT city text)
RETURNS SETOF record LANGUAGE sql AS $$
  SELECT * FROM (VALUES
    (1, 'Ann Lee', 'ann@example.com', 'Leeds'), (2, 'Ann  Lee', 'ann@example.com', 'Leeds'),
    (3, 'Bob Roe', 'bob@example.com', 'York'), (4, 'Bob Roe', 'bob@example.com', 'York'),
    (5, 'Cy Dunn', 'cy@example.com', 'Bath'), (6, 'Cy Dunn', 'cy@example.com', 'Bath'),
    (7, 'ann lee', 'ann@example.com', 'Leeds')) v
  UNION ALL
  SELECT 100 + g, 'Person ' || g, 'p' || g || '@example.com', 'Town ' || g FROM generate_series(1, 40) g
$$;

SET ROLE sd_victim;
GRANT USAGE ON SCHEMA sd_victim TO sd_attacker;
-- staff: readable by the attacker, except the rows row-level security hides
CREATE TABLE sd_victim.staff (id int PRIMARY KEY, name text, email text, city text, salary int,
                              hidden boolean NOT NULL DEFAULT false);
INSERT INTO sd_victim.staff SELECT p.*, 1000, p.id IN (2, 4, 7) FROM pg_temp.people() p;
ALTER TABLE sd_victim.staff ENABLE ROW LEVEL SECURITY;
CREATE POLICY shown ON sd_victim.staff FOR SELECT USING (NOT hidden);
GRANT SELECT ON sd_victim.staff TO sd_attacker;
-- plain: readable by the attacker, nothing hidden, nothing else granted
CREATE TABLE sd_victim.plain (id int PRIMARY KEY, name text, email text, city text, salary int);
INSERT INTO sd_victim.plain SELECT p.*, 1000 FROM pg_temp.people() p;
GRANT SELECT ON sd_victim.plain TO sd_attacker;
-- open: readable whole by the attacker
CREATE TABLE sd_victim.open (id int PRIMARY KEY, name text, email text, city text);
INSERT INTO sd_victim.open SELECT * FROM pg_temp.people();
GRANT SELECT ON sd_victim.open TO sd_attacker;
-- vault: SELECT granted, but no USAGE on its schema
CREATE TABLE sd_vault.notes (id int PRIMARY KEY, name text, email text, city text);
INSERT INTO sd_vault.notes SELECT * FROM pg_temp.people();
GRANT SELECT ON sd_vault.notes TO sd_attacker;
-- the owner dedupes its tables
SELECT clusters, rows_deleted FROM dataeng.dedupe('sd_victim.staff', '{name,email,city}');
SELECT clusters, rows_deleted FROM dataeng.dedupe('sd_vault.notes', '{name,email,city}');
SELECT clusters, rows_deleted FROM dataeng.dedupe('sd_victim.open', '{name,email,city}');
SELECT count(*) AS own_runs, sum(rows_deleted) AS deleted FROM dataeng.dedupe_runs;
SELECT count(*) AS own_log_rows FROM dataeng.dedupe_log;
RESET ROLE;
SELECT 'sd_vault.notes'::regclass::oid AS vault_oid, 'sd_victim.staff'::regclass::oid AS staff_oid \gset

-------------------------------------------------------------------------------
-- Row-level security and schema USAGE: the log holds whole rows, so it is
-- shown only to roles that may read the whole table
-------------------------------------------------------------------------------
SET ROLE sd_attacker;
SELECT count(*) AS staff_rows_seen FROM sd_victim.staff;
-- the run on open is shown with its log; the run on staff is not: its log
-- holds the rows that row-level security hides from the attacker
SELECT table_name, rows_deleted FROM dataeng.dedupe_runs ORDER BY run_id;
SELECT count(*) AS log_rows_seen FROM dataeng.dedupe_log;
SELECT count(*) AS staff_runs FROM dataeng.dedupe_runs WHERE table_name::oid = :staff_oid;
SELECT count(*) AS hidden_rows FROM dataeng.dedupe_log WHERE old_row ? 'hidden';
-- no USAGE on sd_vault: its runs and log stay hidden although SELECT is granted
SELECT count(*) AS vault_runs FROM dataeng.dedupe_runs WHERE table_name::oid = :vault_oid;
-- nor may the attacker find the duplicates of staff (found as the owner, they
-- would show the hidden rows) or of the vault
SELECT * FROM dataeng.find_duplicates('sd_victim.staff', '{name,email,city}');
SELECT * FROM dataeng.find_duplicates('sd_vault.notes', '{name,email,city}');
-- nor through a security_invoker view on staff (read as the view's owner,
-- staff's policies would not hide the rows)
RESET ROLE;
SET ROLE sd_victim;
CREATE VIEW sd_victim.staff_view WITH (security_invoker = on) AS SELECT id, name, email, city FROM sd_victim.staff;
GRANT SELECT ON sd_victim.staff_view TO sd_attacker;
SET ROLE sd_attacker;
SELECT count(*) AS staff_view_rows FROM sd_victim.staff_view;
SELECT * FROM dataeng.find_duplicates('sd_victim.staff_view', '{name,email,city}', key_column => 'id');
RESET ROLE;
SELECT count(DISTINCT cluster_id) AS clusters_for_superuser
  FROM dataeng.find_duplicates('sd_victim.staff_view', '{name,email,city}', key_column => 'id');
SET ROLE sd_attacker;
-- plain: readable whole, so its duplicates may be found, not removed
SELECT count(DISTINCT cluster_id) AS plain_clusters FROM dataeng.find_duplicates('sd_victim.plain', '{name,email,city}');
SELECT * FROM dataeng.dedupe('sd_victim.plain', '{name,email,city}');
RESET ROLE;

-------------------------------------------------------------------------------
-- Only the dedupe functions write dedupe_runs and dedupe_log: no forged run
-------------------------------------------------------------------------------
SET ROLE sd_attacker;
INSERT INTO dataeng.dedupe_runs (table_name, run_by, columns, threshold, keep, fill_nulls)
  VALUES ('sd_victim.plain', 'sd_attacker', '{name}', 0.9, 'first', false);
INSERT INTO dataeng.dedupe_runs (table_name, run_by, columns, threshold, keep, fill_nulls)
  VALUES ('sd_victim.plain', 'sd_victim', '{name}', 0.9, 'first', false);
INSERT INTO dataeng.dedupe_log (run_id, cluster_id, action, old_row) VALUES (1, 1, 'deleted', '{"id": 99}');
UPDATE dataeng.dedupe_runs SET undone_at = NULL;
DELETE FROM dataeng.dedupe_runs;
SELECT nextval('dataeng.dedupe_runs_run_id_seq');
-- nor can the attacker undo or forget the victim's runs
SELECT dataeng.dedupe_undo(run_id) FROM dataeng.dedupe_runs;
RESET ROLE;
SELECT run_id AS staff_run FROM dataeng.dedupe_runs WHERE table_name = 'sd_victim.staff'::regclass \gset
SET ROLE sd_attacker;
SELECT dataeng.dedupe_undo(:staff_run);
SELECT dataeng.dedupe_forget(:staff_run);
RESET ROLE;
SELECT count(*) AS victim_runs_left FROM dataeng.dedupe_runs WHERE run_by = 'sd_victim'::regrole;

-------------------------------------------------------------------------------
-- A forged undo is refused even when a run row got in some other way: the
-- run must have been made by a role with the rights dedupe needs.  (Here a
-- superuser writes the forged rows; PUBLIC no longer can.)
-------------------------------------------------------------------------------
INSERT INTO dataeng.dedupe_runs (table_name, run_by, run_by_name, columns, threshold, keep, fill_nulls)
  VALUES ('sd_victim.plain', 'sd_attacker', 'sd_attacker', '{name}', 0.9, 'first', true)
  RETURNING run_id AS forged \gset
INSERT INTO dataeng.dedupe_log (run_id, cluster_id, action, old_row, new_row) VALUES
  (:forged, 1, 'deleted', '{"id": 666, "name": "Mallory", "salary": 1}', NULL),
  (:forged, 1, 'filled', '{"id": 101, "name": "Person 1", "email": "p1@example.com", "city": "Town 1", "salary": 999999}',
                         (SELECT to_jsonb(p) FROM sd_victim.plain p WHERE id = 101));
-- the superuser's undo: refused, nothing written
SELECT dataeng.dedupe_undo(:forged);
SET ROLE sd_attacker;
SELECT dataeng.dedupe_undo(:forged);
RESET ROLE;
SELECT count(*) FILTER (WHERE id = 666) AS mallory_rows, max(salary) AS top_salary
  FROM sd_victim.plain WHERE id IN (101, 666);
SELECT dataeng.dedupe_forget(:forged);

-------------------------------------------------------------------------------
-- A superuser's find_duplicates / dedupe / dedupe_undo on another role's
-- table run that role's code (a cast of its type, its triggers) as that
-- role, security-restricted, with no lasting change of settings
-------------------------------------------------------------------------------
SET ROLE sd_attacker;
CREATE TABLE sd_attacker.seen (who text, what text);
CREATE TYPE sd_attacker.mood AS ENUM ('happy', 'sad');
CREATE FUNCTION sd_attacker.mood_text(m sd_attacker.mood) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sd_attacker.seen VALUES (current_user, 'cast');
  PERFORM set_config('search_path', 'sd_attacker, pg_catalog, pg_temp', false);
  RETURN format('%s', m);
END;
$$;
CREATE CAST (sd_attacker.mood AS text) WITH FUNCTION sd_attacker.mood_text(sd_attacker.mood);
CREATE FUNCTION sd_attacker.note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sd_attacker.seen VALUES (current_user, lower(TG_OP));
  RETURN coalesce(NEW, OLD);
END;
$$;
CREATE TABLE sd_attacker.pets (id int, name text, email text, city text, mood sd_attacker.mood);
CREATE TRIGGER note BEFORE INSERT OR UPDATE OR DELETE ON sd_attacker.pets
  FOR EACH ROW EXECUTE FUNCTION sd_attacker.note();
RESET ROLE;
INSERT INTO sd_attacker.pets SELECT p.*, 'happy' FROM pg_temp.people() p;
SET ROLE sd_attacker;
TRUNCATE sd_attacker.seen;
RESET ROLE;
SHOW search_path;
SELECT count(DISTINCT cluster_id) AS pet_clusters FROM dataeng.find_duplicates('sd_attacker.pets', '{name,email,city,mood}');
SHOW search_path;
SELECT rows_deleted FROM dataeng.dedupe('sd_attacker.pets', '{name,email,city,mood}') \gset
SELECT :rows_deleted AS pets_deleted;
SELECT run_id AS pets_run FROM dataeng.dedupe_runs WHERE table_name = 'sd_attacker.pets'::regclass \gset
SELECT count(*) AS pets_left FROM sd_attacker.pets;
SELECT dataeng.dedupe_undo(:pets_run) AS pets_restored;
SHOW search_path;
-- everything the attacker's code did, it did as the attacker
SELECT what, who, count(*) > 0 AS ran FROM sd_attacker.seen GROUP BY what, who ORDER BY what, who;
SELECT count(*) AS pets FROM sd_attacker.pets;

-------------------------------------------------------------------------------
-- A role the owner granted the table privileges may not dedupe it: the
-- work runs as the owner, whose triggers and CHECK constraints would take
-- it for the owner (42501, sql_tests/security_r9.sql).  A member of the
-- owner's role may dedupe (filling NULLs) and undo; the work, done as the
-- owner, restores the table exactly
-------------------------------------------------------------------------------
CREATE ROLE sd_member IN ROLE sd_victim;
SET ROLE sd_victim;
CREATE TABLE sd_victim.shared (id int PRIMARY KEY, name text, email text, city text, phone text);
INSERT INTO sd_victim.shared SELECT p.*, CASE WHEN p.id IN (2, 4) THEN '555-01' || p.id END FROM pg_temp.people() p;
CREATE TABLE sd_victim.shared_before AS TABLE sd_victim.shared;
GRANT SELECT, INSERT, UPDATE, DELETE ON sd_victim.shared TO sd_attacker;
SET ROLE sd_attacker;
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('sd_victim.shared', '{name,email,city}', keep => 'first', order_by => 'id', fill_nulls => true);
RESET ROLE;
SET ROLE sd_member;
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('sd_victim.shared', '{name,email,city}', keep => 'first', order_by => 'id', fill_nulls => true);
SELECT id, phone FROM sd_victim.shared WHERE id < 10 ORDER BY id;
SELECT run_id AS shared_run FROM dataeng.dedupe_runs WHERE run_by = 'sd_member'::regrole \gset
SELECT dataeng.dedupe_undo(:shared_run) AS shared_restored;
RESET ROLE;
SELECT count(*) AS differences
  FROM ((TABLE sd_victim.shared EXCEPT ALL TABLE sd_victim.shared_before)
        UNION ALL (TABLE sd_victim.shared_before EXCEPT ALL TABLE sd_victim.shared)) d;

-------------------------------------------------------------------------------
-- Internal functions are not executable by PUBLIC; _dedup_centers sizes its
-- memory by the rows its pairs name, not by their row numbers
-------------------------------------------------------------------------------
SET ROLE sd_attacker;
SELECT * FROM dataeng_internal._dedup_centers('pg_class');
SELECT * FROM dataeng_internal._dedup_as('sd_victim', 'DELETE FROM sd_victim.plain RETURNING 1') AS t(x int);
SELECT dataeng_internal._dedup_pattern('{a}', '{a}');
RESET ROLE;
CREATE TEMP TABLE sd_pairs (a bigint, b bigint, prob float8);
SELECT count(*) AS no_rows FROM dataeng_internal._dedup_centers('sd_pairs');
INSERT INTO sd_pairs VALUES (1, 2, 0.9), (134217726, 3, 0.8), (2, 3, 0.95);
SELECT * FROM dataeng_internal._dedup_centers('sd_pairs');
INSERT INTO sd_pairs VALUES (5, 5, 0.99);
SELECT * FROM dataeng_internal._dedup_centers('sd_pairs');
DROP TABLE sd_pairs;
-- what PUBLIC may do here: the entry points (which check their caller), and
-- _dedup_may_read (used by the policies; it says what the catalogs and
-- has_table_privilege say); PUBLIC writes neither table
SELECT p.oid::regprocedure AS executable_by_public
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND (p.proname LIKE '%dedup%' OR p.proname IN ('find_duplicates', '_find_duplicates', '_insertable_columns'))
   AND has_function_privilege('public', p.oid, 'EXECUTE')
 ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT c.relname, has_table_privilege('public', c.oid, 'SELECT') AS sel,
       has_table_privilege('public', c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE') AS write
  FROM pg_class c WHERE c.oid IN ('dataeng.dedupe_runs'::regclass, 'dataeng.dedupe_log'::regclass) ORDER BY 1;

DROP SCHEMA sd_attacker, sd_victim, sd_vault CASCADE;
SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs ORDER BY run_id;
DROP ROLE sd_attacker, sd_victim, sd_member;
DROP EXTENSION dataeng;
