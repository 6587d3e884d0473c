-- Dimensions: the apply path in C (dataeng_internal._dim_apply(),
-- src/aggregate/dimension.c) against the SQL path of dimension_refresh on
-- the awkward inputs, and the choice between them.  Each dimension has an
-- SQL twin over the same source: the same definition with a trigger on its
-- table that changes nothing (a table with triggers is applied by the
-- SQL).  After every refresh the twins are equal row for row, surrogate
-- keys and validity times included, and the current rows equal the source.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
\pset null '(null)'
CREATE COLLATION fp_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE ROLE fp_owner;
GRANT CREATE ON SCHEMA public TO fp_owner;
SET ROLE fp_owner;

CREATE TABLE fp_src (id int PRIMARY KEY, code text COLLATE fp_ci, city text, amount numeric, notes text);
INSERT INTO fp_src SELECT g, 'code' || g, 'c' || g, g, 'n' FROM generate_series(1, 14) g;
UPDATE fp_src SET city = NULL WHERE id IN (7, 8);
CREATE TABLE fp_tsrc (k text COLLATE fp_ci PRIMARY KEY, v text);
INSERT INTO fp_tsrc VALUES ('abc', 'x'), ('def', 'y'), ('ghi', 'z');

CREATE FUNCTION fp_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN coalesce(NEW, OLD); END $$;
CREATE FUNCTION fp_make(nm text, src regclass, k text, a text[], scd int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng.dimension_create(nm, src, k, a, scd, schedule => NULL);
  PERFORM dataeng.dimension_create(nm || '_sql', src, k, a, scd, schedule => NULL);
  EXECUTE format('CREATE TRIGGER noop BEFORE INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION fp_noop()',
                 nm || '_sql');
  IF scd = 2 THEN   -- (the initial versions start when each was created)
    EXECUTE format('UPDATE %I SET valid_from = (SELECT min(valid_from) FROM %I)', nm || '_sql', nm);
  END IF;
END $$;
SELECT fp_make('fp2', 'fp_src', 'id', ARRAY['code', 'city', 'amount'], 2);
SELECT fp_make('fp1', 'fp_src', 'id', ARRAY['code', 'city', 'amount'], 1);
SELECT fp_make('fpt2', 'fp_tsrc', 'k', ARRAY['v'], 2);
SELECT fp_make('fpt1', 'fp_tsrc', 'k', ARRAY['v'], 1);

-- the path each dimension's refresh takes (NULL consumer: nothing read)
CREATE FUNCTION fp_path(nm text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(a.path, 'C')
    FROM dataeng.dimensions d
    CROSS JOIN LATERAL dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
             ARRAY(SELECT dataeng_internal._dim_differ(d.source, c.name, 'a', 'b') <> '(a IS DISTINCT FROM b)'
                     FROM unnest(d.key_column || d.attributes) WITH ORDINALITY c(name, o) ORDER BY c.o)) a
   WHERE d.name = nm $$;
SELECT d.name, fp_path(d.name) FROM dataeng.dimensions d ORDER BY 1;

-- refresh every dimension; then rows differing between the twins, and
-- current rows differing from the source
CREATE FUNCTION fp_round() RETURNS TABLE (dim text, changes bigint, twin_diff bigint, source_diff bigint)
LANGUAGE plpgsql AS $$
DECLARE
  nm text;
  cur text;
  src text;
BEGIN
  FOREACH nm IN ARRAY ARRAY['fp2', 'fp1', 'fpt2', 'fpt1'] LOOP
    dim := nm;
    changes := dataeng.dimension_refresh(nm);
    IF dataeng.dimension_refresh(nm || '_sql') <> changes THEN
      RAISE EXCEPTION 'the twins read different changes';
    END IF;
    EXECUTE format('SELECT count(*) FROM ((TABLE %1$I EXCEPT ALL TABLE %2$I) UNION ALL (TABLE %2$I EXCEPT ALL TABLE %1$I)) x',
                   nm, nm || '_sql') INTO twin_diff;
    IF nm LIKE 'fpt%' THEN
      cur := 'k::text, v';
      src := 'fp_tsrc';
    ELSE
      cur := 'id, code::text, city, amount::text';
      src := 'fp_src';
    END IF;
    EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$I %3$s EXCEPT ALL SELECT %1$s FROM %4$s) '
                   'UNION ALL (SELECT %1$s FROM %4$s EXCEPT ALL SELECT %1$s FROM %2$I %3$s)) x',
                   cur, nm, CASE WHEN nm LIKE '%2' THEN 'WHERE is_current' ELSE '' END, src) INTO source_diff;
    RETURN NEXT;
  END LOOP;
END $$;

-- Round 1: a key changed twice, and changed and changed back; delete then
-- insert again as it was and changed; an update of the key, and onto a
-- key freed just before; NULL to a value, a value to NULL, NULL to NULL;
-- untracked columns only; an insert deleted again; values equal but not
-- the same (case-insensitive collation, numeric scale), of an attribute
-- and of a key.
UPDATE fp_src SET city = 'x' WHERE id = 1;
UPDATE fp_src SET city = 'y' WHERE id = 1;
UPDATE fp_src SET city = 'x' WHERE id = 2;
UPDATE fp_src SET city = 'c2' WHERE id = 2;
DELETE FROM fp_src WHERE id IN (3, 4);
INSERT INTO fp_src VALUES (3, 'code3', 'c3', 3, 'n'), (4, 'code4', 'other', 4, 'n');
UPDATE fp_src SET id = 50 WHERE id = 5;
DELETE FROM fp_src WHERE id = 11;
UPDATE fp_src SET id = 11 WHERE id = 12;
UPDATE fp_src SET city = NULL WHERE id = 6;
UPDATE fp_src SET city = 'now' WHERE id = 7;
UPDATE fp_src SET city = NULL, notes = 'untracked' WHERE id = 8;
UPDATE fp_src SET notes = 'untracked' WHERE id = 13;
INSERT INTO fp_src VALUES (20, 'code20', 'c20', 20, 'n');
DELETE FROM fp_src WHERE id = 20;
UPDATE fp_src SET code = 'CODE9' WHERE id = 9;
UPDATE fp_src SET amount = 10.00 WHERE id = 10;
UPDATE fp_tsrc SET k = 'ABC' WHERE k = 'abc';
UPDATE fp_tsrc SET v = 'Y' WHERE k = 'def';
UPDATE fp_tsrc SET v = 'y' WHERE k = 'def';
BEGIN;
DELETE FROM fp_tsrc WHERE k = 'ghi';
INSERT INTO fp_tsrc VALUES ('GHI', 'z');
COMMIT;
SELECT * FROM fp_round();
-- what the C path wrote for the awkward keys
SELECT fp2_sk, id, code, city, amount, valid_to IS NULL AS open, is_current
  FROM fp2 WHERE id IN (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 20, 50) ORDER BY fp2_sk;
SELECT id, code, city, amount FROM fp1 ORDER BY id;
SELECT fpt2_sk, k, v, is_current FROM fpt2 ORDER BY fpt2_sk;
SELECT k, v FROM fpt1 ORDER BY k;
-- (versions close where the next opens; rows not changed were not written)
SELECT count(*) AS overlapping FROM fp2 a JOIN fp2 b ON a.id = b.id AND a.fp2_sk < b.fp2_sk
 WHERE a.valid_to IS NULL OR a.valid_to > b.valid_from;
SELECT id FROM fp1 WHERE xmin <> (SELECT xmin FROM fp1 WHERE id = 14) ORDER BY id;

-- A row changed or deleted by hand in the dimension is repaired by the
-- next change of its key, an update of untracked columns only included,
-- on both paths alike
UPDATE fp1 SET city = 'tampered' WHERE id = 14;
UPDATE fp1_sql SET city = 'tampered' WHERE id = 14;
DELETE FROM fp1 WHERE id = 13;
DELETE FROM fp1_sql WHERE id = 13;
UPDATE fp2 SET city = 'tampered' WHERE id = 14 AND is_current;
UPDATE fp2_sql SET city = 'tampered' WHERE id = 14 AND is_current;
UPDATE fp_src SET notes = 'by hand' WHERE id IN (13, 14);
SELECT * FROM fp_round();
SELECT id, city FROM fp1 WHERE id IN (13, 14) ORDER BY id;
SELECT id, city, is_current FROM fp2 WHERE id = 14 ORDER BY fp2_sk;

-- Round 2: changes before a TRUNCATE are applied, the rest compared
UPDATE fp_src SET city = 'before' WHERE id = 1;
INSERT INTO fp_src VALUES (30, 'code30', 'c30', 30, 'n');
TRUNCATE fp_src;
INSERT INTO fp_src VALUES (1, 'CODE1', 'after', 1, 'n'), (31, 'code31', 'c31', 31, 'n');
UPDATE fp_src SET city = 'after2' WHERE id = 31;
SELECT * FROM fp_round();
SELECT id, city, is_current FROM fp2 WHERE id IN (1, 30, 31) ORDER BY fp2_sk;

-- Round 3: nothing pending
SELECT * FROM fp_round();

-- The choice of path: row-level security that applies to the owner, a
-- right missing at the table level, triggers (above) take the SQL path
ALTER TABLE fp1 ENABLE ROW LEVEL SECURITY;
SELECT fp_path('fp1');                 -- (the owner is exempt)
ALTER TABLE fp1 FORCE ROW LEVEL SECURITY;
CREATE POLICY fp_all ON fp1 USING (true) WITH CHECK (true);
SELECT fp_path('fp1');
UPDATE fp_src SET city = 'rls' WHERE id = 1;
SELECT * FROM fp_round();
ALTER TABLE fp1 NO FORCE ROW LEVEL SECURITY;
ALTER TABLE fp1 DISABLE ROW LEVEL SECURITY;
REVOKE DELETE ON fp1 FROM fp_owner;
SELECT fp_path('fp1');
GRANT DELETE ON fp1 TO fp_owner;
SELECT fp_path('fp1');
-- a dimension table whose unique index on the key is gone
ALTER TABLE fp1 DROP CONSTRAINT fp1_pkey;
SELECT fp_path('fp1');
ALTER TABLE fp1 ADD PRIMARY KEY (id);
-- defaults of columns the dimension does not write are filled in, and
-- its constraints checked
ALTER TABLE fp2 ADD COLUMN loaded_by text DEFAULT 'refresh' CHECK (loaded_by <> 'bad');
ALTER TABLE fp2_sql ADD COLUMN loaded_by text DEFAULT 'refresh' CHECK (loaded_by <> 'bad');
UPDATE fp_src SET city = 'default' WHERE id = 1;
SELECT * FROM fp_round() WHERE dim = 'fp2';
SELECT id, city, loaded_by FROM fp2 WHERE id = 1 ORDER BY fp2_sk;
ALTER TABLE fp2 ALTER COLUMN loaded_by SET DEFAULT 'bad';
UPDATE fp_src SET city = 'refused' WHERE id = 1;
\set VERBOSITY terse
SELECT dataeng.dimension_refresh('fp2');
\set VERBOSITY default
SELECT city FROM fp2 WHERE id = 1 AND is_current;
-- (the refused refresh left its changes pending)
ALTER TABLE fp2 ALTER COLUMN loaded_by SET DEFAULT 'refresh';
SELECT dataeng.dimension_refresh('fp2');
SELECT city, loaded_by FROM fp2 WHERE id = 1 AND is_current;
-- a closing update's index entries: an index of the owner's on valid_to
-- (or with a predicate) is checked as the executor checks it, two versions
-- closed by one statement sharing their valid_to; the surrogate key,
-- unchanged by a closing, is not checked again (and stays unique)
SELECT clock_timestamp() AS fp_t0 \gset
CREATE UNIQUE INDEX fp2_closed_at ON fp2 (valid_to) WHERE valid_to > :'fp_t0';
SELECT min(id) AS fp_a, max(id) AS fp_b FROM fp_src WHERE city IS NOT NULL \gset
UPDATE fp_src SET city = city || '+' WHERE id IN (:fp_a, :fp_b);
\set VERBOSITY terse
SELECT dataeng.dimension_refresh('fp2');
\set VERBOSITY default
DROP INDEX fp2_closed_at;
SELECT dataeng.dimension_refresh('fp2');
SELECT city, valid_to > :'fp_t0' AS closed_now, is_current FROM fp2
 WHERE id IN (:fp_a, :fp_b) AND (is_current OR valid_to > :'fp_t0') ORDER BY fp2_sk;
SELECT count(*) = count(DISTINCT fp2_sk) AS sk_unique,
       count(*) FILTER (WHERE is_current) = count(DISTINCT id) FILTER (WHERE is_current) AS one_current FROM fp2;

RESET ROLE;
SET client_min_messages = warning;
SELECT dataeng.dimension_drop(name) FROM dataeng.dimensions WHERE name LIKE 'fp%' ORDER BY name;
DROP TABLE fp_src, fp_tsrc;
DROP FUNCTION fp_noop, fp_make, fp_path, fp_round;
REVOKE CREATE ON SCHEMA public FROM fp_owner;
DROP ROLE fp_owner;
DROP COLLATION fp_ci;
DROP EXTENSION dataeng CASCADE;
