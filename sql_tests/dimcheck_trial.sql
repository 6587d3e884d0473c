-- Dimensions tried as a new user would, each checked against the truth: a
-- history of the source kept by a trigger of our own (the states of each
-- key, in order) and the source itself (the current rows).  A source in a
-- schema with odd identifiers and a text key; NULLs in tracked columns; a
-- key updated; a row deleted and inserted again in one batch; many
-- updates of one key in one batch; a TRUNCATE; a column added, dropped,
-- renamed and renamed back.  Then values that the type's equality calls
-- equal but that are not the same value (a key or a name changing case in
-- a case-insensitive collation, 1.0 becoming 1.00): a dimension is a copy
-- of the source, so it takes the new value (type 1) or a new version
-- (type 2), as the source shows it.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
\pset null '(null)'

CREATE SCHEMA "Odd Schema";
CREATE TABLE "Odd Schema"."Cust ""T""" ("Code" text PRIMARY KEY, "Full Name" text, "e-mail" text, other int);
-- the truth: every state of every key, in commit order
CREATE TABLE hist (seq bigserial, k text, name text, email text, present boolean);
CREATE FUNCTION hist_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE o jsonb; n jsonb;
BEGIN
  IF TG_OP IN ('DELETE', 'UPDATE') THEN o := to_jsonb(OLD); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN n := to_jsonb(NEW); END IF;
  IF o IS NOT NULL AND (n IS NULL OR o->>'Code' IS DISTINCT FROM n->>'Code') THEN
    INSERT INTO hist (k, present) VALUES (o->>'Code', false);
  END IF;
  IF n IS NOT NULL THEN
    -- ("e-mail" is renamed email for a while below)
    INSERT INTO hist (k, name, email, present)
      VALUES (n->>'Code', n->>'Full Name', coalesce(n->>'e-mail', n->>'email'), true);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER h AFTER INSERT OR UPDATE OR DELETE ON "Odd Schema"."Cust ""T"""
  FOR EACH ROW EXECUTE FUNCTION hist_trg();
CREATE FUNCTION hist_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO hist (k, present) SELECT DISTINCT h.k, false FROM hist h;
  RETURN NULL;
END $$;
CREATE TRIGGER ht AFTER TRUNCATE ON "Odd Schema"."Cust ""T""" EXECUTE FUNCTION hist_truncate();
INSERT INTO "Odd Schema"."Cust ""T""" VALUES ('a', 'Ann', NULL, 1), ('b', NULL, NULL, 2), ('c', 'Cy', 'c@x', 3),
                                              ('Ä é', 'Uni', 'u@x', 4);
SELECT dataeng.dimension_create('"Odd Schema"."Dim 2"', '"Odd Schema"."Cust ""T"""', 'Code',
                                ARRAY['Full Name', 'e-mail'], 2, NULL);
SELECT dataeng.dimension_create('"Odd Schema"."Dim 1"', '"Odd Schema"."Cust ""T"""', 'Code',
                                ARRAY['Full Name', 'e-mail'], 1, NULL);

-- the versions the history asks for: the states of a key that differ from
-- the state before them (a deleted key has no state), in order
CREATE VIEW truth_versions AS
  SELECT k, name, email, row_number() OVER (PARTITION BY k ORDER BY seq) AS version
    FROM (SELECT h.*, lag(ROW(h.present, h.name, h.email)) OVER (PARTITION BY h.k ORDER BY h.seq) AS prev
            FROM hist h) x
   WHERE present AND prev IS DISTINCT FROM ROW(present, name, email);
CREATE VIEW dim_versions AS
  SELECT "Code" AS k, "Full Name" AS name, "e-mail" AS email,
         row_number() OVER (PARTITION BY "Code" ORDER BY "Dim 2_sk") AS version
    FROM "Odd Schema"."Dim 2";
-- what differs from the truth (nothing, when the dimensions are right)
CREATE FUNCTION check_dims() RETURNS TABLE (what text, r text) LANGUAGE sql AS $$
  (SELECT 'type 2 version missing', t::text FROM (TABLE truth_versions EXCEPT ALL TABLE dim_versions) t)
  UNION ALL (SELECT 'type 2 version extra', t::text FROM (TABLE dim_versions EXCEPT ALL TABLE truth_versions) t)
  UNION ALL (SELECT 'type 2 current differs', t::text
               FROM ((SELECT "Code", "Full Name", "e-mail" FROM "Odd Schema"."Dim 2" WHERE is_current
                      EXCEPT ALL SELECT "Code", "Full Name", "e-mail" FROM "Odd Schema"."Cust ""T""")
                     UNION ALL
                     (SELECT "Code", "Full Name", "e-mail" FROM "Odd Schema"."Cust ""T"""
                      EXCEPT ALL SELECT "Code", "Full Name", "e-mail" FROM "Odd Schema"."Dim 2" WHERE is_current)) t)
  UNION ALL (SELECT 'type 2 validity broken', t::text
               FROM (SELECT "Code", valid_from, valid_to,
                            lead(valid_from) OVER (PARTITION BY "Code" ORDER BY "Dim 2_sk") AS next_from
                       FROM "Odd Schema"."Dim 2") t
              WHERE t.valid_to < t.valid_from OR t.next_from < t.valid_to)
  UNION ALL (SELECT 'type 1 differs', t::text
               FROM ((SELECT * FROM "Odd Schema"."Dim 1"
                      EXCEPT ALL SELECT "Code", "Full Name", "e-mail" FROM "Odd Schema"."Cust ""T""")
                     UNION ALL
                     (SELECT "Code", "Full Name", "e-mail" FROM "Odd Schema"."Cust ""T"""
                      EXCEPT ALL SELECT * FROM "Odd Schema"."Dim 1")) t)
$$;
CREATE FUNCTION refresh_both() RETURNS text LANGUAGE sql AS $$
  SELECT dataeng.dimension_refresh('"Odd Schema"."Dim 2"') || ' / ' || dataeng.dimension_refresh('"Odd Schema"."Dim 1"')
$$;

-- one batch: a key updated many times (NULL and back), an update of an
-- untracked column, a delete and re-insert as it was, in one transaction
BEGIN;
UPDATE "Odd Schema"."Cust ""T""" SET "Full Name" = NULL WHERE "Code" = 'a';
UPDATE "Odd Schema"."Cust ""T""" SET "Full Name" = 'Ann' WHERE "Code" = 'a';
UPDATE "Odd Schema"."Cust ""T""" SET "Full Name" = 'Ann2' WHERE "Code" = 'a';
UPDATE "Odd Schema"."Cust ""T""" SET other = 9 WHERE "Code" = 'b';
UPDATE "Odd Schema"."Cust ""T""" SET "e-mail" = 'b@x' WHERE "Code" = 'b';
DELETE FROM "Odd Schema"."Cust ""T""" WHERE "Code" = 'c';
INSERT INTO "Odd Schema"."Cust ""T""" VALUES ('c', 'Cy', 'c@x', 3);
COMMIT;
-- keys updated (one onto a key freed just before), a key deleted and re-inserted
UPDATE "Odd Schema"."Cust ""T""" SET "Code" = 'd' WHERE "Code" = 'c';
UPDATE "Odd Schema"."Cust ""T""" SET "Code" = 'c' WHERE "Code" = 'Ä é';
DELETE FROM "Odd Schema"."Cust ""T""" WHERE "Code" = 'b';
INSERT INTO "Odd Schema"."Cust ""T""" VALUES ('b', NULL, NULL, 5);
SELECT refresh_both() AS changes;
SELECT * FROM check_dims();
SELECT k, name, email, version FROM dim_versions ORDER BY k, version;

-- columns added and dropped (untracked), a tracked one renamed: the
-- refresh refuses until it is renamed back, then applies what came meanwhile
ALTER TABLE "Odd Schema"."Cust ""T""" ADD COLUMN newcol int DEFAULT 7;
UPDATE "Odd Schema"."Cust ""T""" SET "Full Name" = 'Ann3', newcol = 8 WHERE "Code" = 'a';
ALTER TABLE "Odd Schema"."Cust ""T""" DROP COLUMN other;
UPDATE "Odd Schema"."Cust ""T""" SET "Full Name" = 'Ann4' WHERE "Code" = 'a';
SELECT refresh_both() AS changes;
ALTER TABLE "Odd Schema"."Cust ""T""" RENAME COLUMN "e-mail" TO email;
UPDATE "Odd Schema"."Cust ""T""" SET email = 'a@x' WHERE "Code" = 'a';
SELECT refresh_both() AS changes;
ALTER TABLE "Odd Schema"."Cust ""T""" RENAME COLUMN email TO "e-mail";
UPDATE "Odd Schema"."Cust ""T""" SET "e-mail" = 'a2@x' WHERE "Code" = 'd';
SELECT refresh_both() AS changes;
SELECT * FROM check_dims();

-- a TRUNCATE in the middle of a batch (type 2 keeps the versions before
-- it; from it on, the state at the end: no intermediate version here)
INSERT INTO "Odd Schema"."Cust ""T""" VALUES ('e', 'Eve', NULL);
TRUNCATE "Odd Schema"."Cust ""T""";
INSERT INTO "Odd Schema"."Cust ""T""" ("Code", "Full Name") VALUES ('a', 'Ann4'), ('z', 'Zed');
SELECT refresh_both() AS changes;
SELECT * FROM check_dims();
SELECT "Code", "Full Name", "e-mail", is_current FROM "Odd Schema"."Dim 2"
 WHERE "Code" IN ('a', 'e', 'z') ORDER BY "Code", "Dim 2_sk";

-------------------------------------------------------------------------------
-- Equal but not the same value: the dimension follows the source
-------------------------------------------------------------------------------
CREATE COLLATION ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE ck (k text COLLATE ci PRIMARY KEY, name text COLLATE ci, amt numeric, span interval, doc jsonb, note text);
INSERT INTO ck VALUES ('abc', 'ann', 1.0, '1 day', '{"a": 1}', 'n'), ('def', 'dan', 2, '1 hour', NULL, 'n');
SELECT dataeng.dimension_create('ck1', 'ck', 'k', ARRAY['name', 'amt', 'span'], 1, NULL);
SELECT dataeng.dimension_create('ck2', 'ck', 'k', ARRAY['name', 'amt', 'span', 'doc'], 2, NULL);
SELECT dataeng.dimension_create('ck_keys', 'ck', 'k', '{}', 1, NULL);
UPDATE ck SET k = 'ABC' WHERE k = 'abc';
UPDATE ck SET name = 'Dan', amt = 2.00, span = '60 minutes' WHERE k = 'def';   -- (60 minutes is 1 hour)
UPDATE ck SET span = '24 hours' WHERE k = 'ABC';
SELECT dataeng.dimension_refresh('ck1') AS ck1, dataeng.dimension_refresh('ck2') AS ck2,
       dataeng.dimension_refresh('ck_keys') AS ck_keys;
SELECT * FROM ck1 ORDER BY k COLLATE "C";
SELECT * FROM ck_keys ORDER BY k COLLATE "C";
SELECT k, name, amt, span, is_current FROM ck2 ORDER BY ck2_sk;
-- the same values change nothing (a new jsonb text of the same document,
-- an update of an untracked column): no version, no write
CREATE TEMP TABLE before AS SELECT 'ck1' AS t, ctid AS tid, xmax::text AS x FROM ck1 UNION ALL SELECT 'ck2', ctid, xmax::text FROM ck2;
UPDATE ck SET doc = '{ "a" : 1 }', note = 'm' WHERE k = 'ABC';
SELECT dataeng.dimension_refresh('ck2') AS ck2, dataeng.dimension_refresh('ck1') AS ck1;
SELECT count(*) AS written
  FROM ((SELECT 'ck1' AS t, ctid AS tid, xmax::text AS x FROM ck1 UNION ALL SELECT 'ck2', ctid, xmax::text FROM ck2) EXCEPT TABLE before) w;
-- the same after a TRUNCATE (the whole compare)
TRUNCATE ck;
INSERT INTO ck VALUES ('ABC', 'ANN', 1.0, '1 day', NULL, 'n'), ('Def', 'Dan', 2.0, '1 hour', NULL, 'n');
SELECT dataeng.dimension_refresh('ck1') AS ck1, dataeng.dimension_refresh('ck2') AS ck2,
       dataeng.dimension_refresh('ck_keys') AS ck_keys;
SELECT * FROM ck1 ORDER BY k COLLATE "C";
SELECT * FROM ck_keys ORDER BY k COLLATE "C";
SELECT k, name, amt, span, is_current FROM ck2 ORDER BY ck2_sk;

-------------------------------------------------------------------------------
-- A source column's type changed: the refresh says which and how to follow
-- (42804, with the ALTER TABLE of the dimension), instead of failing deep
-- in a statement or rounding values; once followed, the changes apply (text
-- to int with a change pending: as a compare with the source, see
-- dimcheck_types)
-------------------------------------------------------------------------------
CREATE TABLE tc (id int PRIMARY KEY, code varchar(3), lvl text);
INSERT INTO tc VALUES (1, 'abc', '1');
SELECT dataeng.dimension_create('tcd', 'tc', 'id', ARRAY['code', 'lvl'], 2, NULL);
ALTER TABLE tc ALTER COLUMN code TYPE varchar(10);
UPDATE tc SET code = 'abcdefg';
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.dimension_refresh('tcd');
ALTER TABLE tcd ALTER COLUMN code TYPE character varying(10) USING code::character varying(10);
ALTER TABLE tc ALTER COLUMN lvl TYPE int USING lvl::int;
UPDATE tc SET lvl = 2;
SELECT dataeng.dimension_refresh('tcd');
ALTER TABLE tcd ALTER COLUMN lvl TYPE integer USING lvl::integer;
ALTER TABLE tc ALTER COLUMN code TYPE text COLLATE ci;
UPDATE tc SET code = 'X';
SELECT dataeng.dimension_refresh('tcd');
ALTER TABLE tcd ALTER COLUMN code TYPE text COLLATE ci USING code::text;
ALTER TABLE tc ALTER COLUMN id TYPE bigint;
UPDATE tc SET id = 5000000000;
SELECT dataeng.dimension_refresh('tcd');
\set VERBOSITY terse
ALTER TABLE tcd ALTER COLUMN id TYPE bigint USING id::bigint;
SELECT dataeng.dimension_refresh('tcd') AS changes;
SELECT id, code, lvl, is_current FROM tcd ORDER BY tcd_sk;
-- a type its dimension's column takes as it is (varchar to text) needs nothing
ALTER TABLE tc ALTER COLUMN lvl TYPE int;   -- (the same)
ALTER TABLE tcd ALTER COLUMN code TYPE text;
ALTER TABLE tc ALTER COLUMN code TYPE varchar(20) COLLATE "default";
UPDATE tc SET code = 'Y';
SELECT dataeng.dimension_refresh('tcd') AS changes;
SELECT id, code, lvl FROM tcd WHERE is_current;

-------------------------------------------------------------------------------
-- A key that is not one: the hint fits the table (a composite primary key
-- is named and not added again; a unique column needs NOT NULL only)
-------------------------------------------------------------------------------
CREATE TABLE ka (id int, region text, name text, PRIMARY KEY (id, region));
CREATE TABLE kb (id int UNIQUE, name text);
CREATE TABLE kc (id int, code text PRIMARY KEY, name text);
CREATE TABLE kd (id int, name text);
\set VERBOSITY default
SELECT dataeng.dimension_create('kad', 'ka', 'id', ARRAY['name'], 2, NULL);
SELECT dataeng.dimension_create('kbd', 'kb', 'id', ARRAY['name'], 2, NULL);
SELECT dataeng.dimension_create('kcd', 'kc', 'id', ARRAY['name'], 2, NULL);
SELECT dataeng.dimension_create('kdd', 'kd', 'id', ARRAY['name'], 2, NULL);
\set VERBOSITY terse
ALTER TABLE ka ADD UNIQUE (id);   -- (as the hint says)
SELECT dataeng.dimension_create('kad', 'ka', 'id', ARRAY['name'], 2, NULL);

DROP FUNCTION check_dims, refresh_both;
DROP VIEW dim_versions, truth_versions;
SELECT dataeng.dimension_drop(name) FROM dataeng.dimensions ORDER BY name;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA "Odd Schema" CASCADE;
DROP TABLE hist, ck, tc, ka, kb, kc, kd;
DROP FUNCTION hist_trg, hist_truncate;
DROP COLLATION ci;
