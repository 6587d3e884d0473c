-- quarantine_release_all(): the quarantined rows of a table put back at
-- once (by ids, run_id, rule_name, with corrections for every row), with
-- quarantine_release()'s semantics row by row: rights, corrections, the
-- rules, the versions of an UPDATE's row (the latest wins), the row an
-- UPDATE was to replace, FORCE ROW LEVEL SECURITY.  Each row that cannot
-- go back is counted among the refused, by SQLSTATE and reason, and stays
-- quarantined; the others go back.  Before, rows went back one call each
-- (a few ms a row; a table without an index on the columns of a row an
-- UPDATE replaced was read whole for each).
-- Also: validate() and find_duplicates() say so as they begin on a large
-- table (its size estimated from the catalogs, faked here).
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

-- rows validate() quarantined, for two rules and two runs
CREATE TABLE ra_c (id int PRIMARY KEY, email text, country text);
INSERT INTO ra_c SELECT i, CASE WHEN i % 10 = 0 THEN 'bad@@example.com' ELSE 'ok@example.com' END,
                       CASE WHEN i % 20 = 0 THEN 'XX' ELSE 'US' END
  FROM generate_series(1, 100) i;
SELECT dataeng.rule_add('ra_c', 'email valid', 'validator', 'email', '{"function": "email"}');
SELECT dataeng.rule_add('ra_c', 'known country', 'accepted_values', 'country', '{"values": ["US", "GB"]}');
SELECT rule_name, failed FROM dataeng.validate('ra_c', quarantine => true);
INSERT INTO ra_c VALUES (101, 'x@@y', 'US'), (102, 'ok@example.com', 'ZZ');
SELECT rule_name, failed FROM dataeng.validate('ra_c', quarantine => true);
SELECT min(quarantine_id) - 1 AS base, min(run_id) AS run1, max(run_id) AS run2
  FROM dataeng.quarantine WHERE table_name = 'ra_c'::regclass \gset
SELECT quarantine_id - :base AS n, run_id = :run1 AS first_run, failed_rules, row_data->>'id' AS id
  FROM dataeng.quarantine WHERE table_name = 'ra_c'::regclass ORDER BY quarantine_id;

-- by run and rule: the rows of the first run failing the email rule alone
-- go back corrected; those failing the country rule too are refused
-- (23514, the rules they still fail), and stay
SELECT released, refused, superseded, jsonb_pretty(refusals) AS refusals
  FROM dataeng.quarantine_release_all('ra_c', run_id => :run1, rule_name => 'email valid',
                                      corrected => '{"email": "fixed@example.com"}');
SELECT id FROM ra_c WHERE email = 'fixed@example.com' ORDER BY id;
SELECT quarantine_id - :base AS n FROM dataeng.quarantine WHERE table_name = 'ra_c'::regclass ORDER BY 1;
-- by ids: one released already and one that does not exist are refused
-- as not found (42704); the rest go back
SELECT released, refused, jsonb_pretty(refusals) AS refusals
  FROM dataeng.quarantine_release_all('ra_c', ids => ARRAY[:base + 1, :base + 2, :base + 11, :base + 9999]::bigint[],
                                      corrected => '{"email": "fixed@example.com", "country": "GB"}');
SELECT id, email, country FROM ra_c WHERE id IN (10, 20, 101) ORDER BY id;
-- everything left of the table
SELECT released, refused FROM dataeng.quarantine_release_all('ra_c', corrected => '{"email": "fixed@example.com", "country": "GB"}');
SELECT count(*) AS left_quarantined FROM dataeng.quarantine WHERE table_name = 'ra_c'::regclass;
SELECT count(*) AS rows_back FROM ra_c;
-- nothing to release: zeros
SELECT * FROM dataeng.quarantine_release_all('ra_c');

-- bad arguments: errors, nothing released
SELECT dataeng.quarantine_release_all(NULL);
SELECT dataeng.quarantine_release_all('ra_c', ids => ARRAY[1, NULL]::bigint[]);
SELECT dataeng.quarantine_release_all('ra_c', corrected => '[1]');
SELECT dataeng.quarantine_release_all('ra_c', corrected => '{"emial": "x"}');

-- rights: the caller must read the rows and INSERT into the table; the
-- rules are checked and the rows inserted as the table's owner
CREATE ROLE ra_owner;
CREATE ROLE ra_reader;
CREATE TABLE ra_r (id int, v int, inserted_by name);
CREATE FUNCTION ra_r_by() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.inserted_by := current_user;
  RETURN NEW;
END $$;
CREATE TRIGGER by_whom BEFORE INSERT ON ra_r FOR EACH ROW EXECUTE FUNCTION ra_r_by();
ALTER TABLE ra_r OWNER TO ra_owner;
INSERT INTO ra_r (id, v) VALUES (1, -1), (2, -2), (3, 3);
SELECT dataeng.rule_add('ra_r', 'v positive', 'range', 'v', '{"min": 0}');
SELECT rule_name, failed FROM dataeng.validate('ra_r', quarantine => true);
GRANT SELECT ON ra_r TO ra_reader;
SET ROLE ra_reader;
SELECT dataeng.quarantine_release_all('ra_r', corrected => '{"v": 1}');
RESET ROLE;
SET ROLE ra_owner;
REVOKE SELECT ON ra_r FROM ra_owner;
SELECT dataeng.quarantine_release_all('ra_r', corrected => '{"v": 1}');
RESET ROLE;
GRANT SELECT ON ra_r TO ra_owner;
-- a superuser's release: the table's code runs as its owner
SELECT released, refused FROM dataeng.quarantine_release_all('ra_r', corrected => '{"v": 1}');
SELECT id, v, inserted_by FROM ra_r ORDER BY id;

-- generated columns and a column added since: checked as inserted (a
-- row whose generated column fails is refused, 23514); a column added
-- takes its default; a dropped column's value is refused (55000)
CREATE TABLE ra_g (id int PRIMARY KEY, net int, gross int GENERATED ALWAYS AS (net * 2) STORED, note text);
INSERT INTO ra_g (id, net, note) VALUES (1, -1, 'a'), (2, -2, 'b'), (3, -3, 'c'), (4, 4, 'd');
SELECT dataeng.rule_add('ra_g', 'gross positive', 'range', 'gross', '{"min": 0}');
SELECT rule_name, failed FROM dataeng.validate('ra_g', quarantine => true);
SELECT dataeng.quarantine_release_all('ra_g', corrected => '{"gross": 5}');
ALTER TABLE ra_g ADD COLUMN tag text DEFAULT 'added';
SELECT released, refused, jsonb_pretty(refusals) AS refusals
  FROM dataeng.quarantine_release_all('ra_g', ids => ARRAY(SELECT quarantine_id FROM dataeng.quarantine
                                                           WHERE table_name = 'ra_g'::regclass AND row_data->>'id' IN ('1', '2')));
SELECT quarantine_id FROM dataeng.quarantine WHERE table_name = 'ra_g'::regclass AND row_data->>'id' = '2' \gset
SELECT released, refused FROM dataeng.quarantine_release_all('ra_g', ids => ARRAY[:quarantine_id]::bigint[], corrected => '{"net": 20}');
ALTER TABLE ra_g DROP COLUMN note;
SELECT released, refused, jsonb_pretty(refusals) AS refusals FROM dataeng.quarantine_release_all('ra_g', corrected => '{"net": 30}');
SELECT * FROM ra_g ORDER BY id;

-- a value a column no longer reads (its type changed since the row was
-- quarantined): that row is refused with the error (22P02), the others go
-- back
CREATE TABLE ra_t (id int, qty text, ok boolean);
INSERT INTO ra_t VALUES (1, 'abc', false), (2, '5', false), (3, '7', true);
SELECT dataeng.rule_add('ra_t', 'ok', 'expression', params => '{"expression": "ok"}');
SELECT rule_name, failed FROM dataeng.validate('ra_t', quarantine => true);
ALTER TABLE ra_t ALTER qty TYPE int USING qty::int;
SELECT released, refused, jsonb_pretty(refusals) AS refusals FROM dataeng.quarantine_release_all('ra_t', corrected => '{"ok": true}');
SELECT * FROM ra_t ORDER BY id;

-- a batch whose insert fails goes back row by row: two quarantined rows
-- with one key (the second refused, 23505), a row the table's trigger
-- makes fail (23514); the others go back
CREATE TABLE ra_k (id int PRIMARY KEY, v int);
SELECT dataeng.rule_add('ra_k', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('ra_k', 'quarantine');
INSERT INTO ra_k VALUES (1, -1), (2, -2), (3, -3), (4, -4);
INSERT INTO ra_k VALUES (1, -10);
SELECT dataeng.guard_disable('ra_k');
CREATE FUNCTION ra_k_flip() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id = 3 THEN NEW.v := -NEW.v; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER flip BEFORE INSERT ON ra_k FOR EACH ROW EXECUTE FUNCTION ra_k_flip();
SELECT released, refused, jsonb_pretty(refusals) AS refusals FROM dataeng.quarantine_release_all('ra_k', corrected => '{"v": 7}');
SELECT * FROM ra_k ORDER BY id;
SELECT row_data FROM dataeng.quarantine WHERE table_name = 'ra_k'::regclass ORDER BY quarantine_id;

-- rows the guard diverted from UPDATEs: the latest version of a row wins
-- (an earlier one goes with it, or is refused while the latest stays
-- quarantined, 23505), a row whose old row is still in the table is
-- refused (23505), with an index on the table or without one
CREATE TABLE ra_u (name text, v int);
INSERT INTO ra_u VALUES ('a', 1), ('b', 2), ('c', 3), ('d', 4);
SELECT dataeng.rule_add('ra_u', 'v positive', 'range', 'v', '{"min": 0}');
SELECT dataeng.guard_enable('ra_u', 'quarantine');
SET client_min_messages = warning;
UPDATE ra_u SET v = -1 WHERE name = 'a';
UPDATE ra_u SET v = -2 WHERE name = 'a';
UPDATE ra_u SET v = -3 WHERE name IN ('b', 'c');
UPDATE ra_u SET v = -4 WHERE name = 'c';
UPDATE ra_u SET v = -5 WHERE name = 'd';
RESET client_min_messages;
DELETE FROM ra_u WHERE name IN ('a', 'b', 'c');
SELECT min(quarantine_id) - 1 AS ubase FROM dataeng.quarantine WHERE table_name = 'ra_u'::regclass \gset
SELECT quarantine_id - :ubase AS n, row_data FROM dataeng.quarantine WHERE table_name = 'ra_u'::regclass ORDER BY 1;
BEGIN;
-- a's two versions (the latest goes back, the earlier with it), b's one,
-- c's earlier one alone (refused: its latest stays), d's (its row is there)
SELECT released, refused, superseded, jsonb_pretty(refusals) AS refusals
  FROM dataeng.quarantine_release_all('ra_u', ids => ARRAY[:ubase + 1, :ubase + 2, :ubase + 3, :ubase + 4, :ubase + 6]::bigint[],
                                      corrected => '{"v": 10}');
SELECT * FROM ra_u ORDER BY name;
SELECT quarantine_id - :ubase AS n FROM dataeng.quarantine WHERE table_name = 'ra_u'::regclass ORDER BY 1;
-- then the rest: c's latest takes its earlier one out
SELECT released, refused, superseded FROM dataeng.quarantine_release_all('ra_u', corrected => '{"v": 11}');
SELECT * FROM ra_u ORDER BY name;
ROLLBACK;
-- the same with an index on the table: the same outcome
CREATE INDEX ON ra_u (name);
BEGIN;
SELECT released, refused, superseded
  FROM dataeng.quarantine_release_all('ra_u', ids => ARRAY[:ubase + 1, :ubase + 2, :ubase + 3, :ubase + 4, :ubase + 6]::bigint[],
                                      corrected => '{"v": 10}');
SELECT released, refused, superseded FROM dataeng.quarantine_release_all('ra_u', corrected => '{"v": 11}');
SELECT * FROM ra_u ORDER BY name;
ROLLBACK;
-- a table that forces row-level security on its owner: the rows of
-- UPDATEs are refused (42501), the others go back
CREATE ROLE ra_rls_owner;
ALTER TABLE ra_u OWNER TO ra_rls_owner;
ALTER TABLE ra_u ENABLE ROW LEVEL SECURITY;
ALTER TABLE ra_u FORCE ROW LEVEL SECURITY;
CREATE POLICY everything ON ra_u USING (true);
SET client_min_messages = warning;
INSERT INTO ra_u VALUES ('e', -6);
RESET client_min_messages;
SELECT released, refused, superseded, jsonb_pretty(refusals) AS refusals
  FROM dataeng.quarantine_release_all('ra_u', corrected => '{"v": 12}');
SELECT * FROM ra_u ORDER BY name;

-- many rows: a NOTICE as the release begins and one per batch of 5,000
CREATE TABLE ra_big (id int PRIMARY KEY, v int);
INSERT INTO ra_big SELECT i, CASE WHEN i <= 10000 THEN -i ELSE i END FROM generate_series(1, 10010) i;
SELECT dataeng.rule_add('ra_big', 'v positive', 'range', 'v', '{"min": 0}');
SELECT rule_name, failed FROM dataeng.validate('ra_big', quarantine => true);
SELECT released, refused FROM dataeng.quarantine_release_all('ra_big', corrected => '{"v": 1}');
SELECT count(*) AS back, count(*) FILTER (WHERE v = 1) AS corrected FROM ra_big;

-- validate() and find_duplicates() on a large table say so as they begin
-- (the size estimated from the catalogs: 2,500,000 rows faked here), and
-- validate() as each further read of the table begins (a unique or
-- foreign_key rule, the quarantine)
CREATE TABLE ra_large (id int PRIMARY KEY, name text, ref int);
INSERT INTO ra_large SELECT i, CASE WHEN i < 100 THEN 'name ' || (i % 50) END, i FROM generate_series(1, 100) i;
ANALYZE ra_large;
UPDATE pg_class SET reltuples = 2500000 * relpages WHERE oid = 'ra_large'::regclass;
SELECT dataeng.rule_add('ra_large', 'name set', 'not_null', 'name');
SELECT dataeng.rule_add('ra_large', 'id unique', 'unique', 'id');
SELECT dataeng.rule_add('ra_large', 'ref known', 'foreign_key', 'ref', '{"ref_table": "ra_large", "ref_column": "id"}');
SELECT rule_name, failed FROM dataeng.validate('ra_large', quarantine => true);
SELECT count(*) AS pairs FROM dataeng.find_duplicates('ra_large', '{name}');
-- a small table: nothing said
SELECT rule_name, failed FROM dataeng.validate('ra_c');

DROP TABLE ra_c, ra_r, ra_g, ra_t, ra_k, ra_u, ra_big, ra_large;
DROP FUNCTION ra_k_flip(), ra_r_by();
DROP ROLE ra_owner, ra_reader, ra_rls_owner;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
