-- quarantine_release_all() on a table with names needing quotes (a
-- quote, an apostrophe, a space, upper case, the names the release's own
-- queries give their columns), an identity column GENERATED ALWAYS, a
-- dropped column, a default, a generated column and a trigger that raises:
-- the rows go back as quarantine_release() puts them back one by one (the
-- trigger's refusal counted for each); a key of corrected that names no
-- column is refused, never run; a role that row-level security hides rows
-- from releases none.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;
CREATE TABLE "Odd T" ("Id" int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "My Col" text, "q""u'te" text,
                      "dataeng row" int, u int, p int, dropme int, d text DEFAULT 'dflt',
                      g text GENERATED ALWAYS AS ("My Col" || '!') STORED);
ALTER TABLE "Odd T" DROP COLUMN dropme;
CREATE FUNCTION odd_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW."My Col" = 'boom' THEN RAISE EXCEPTION 'boom row'; END IF; RETURN NEW; END $$;
CREATE TRIGGER odd_trg BEFORE INSERT ON "Odd T" FOR EACH ROW EXECUTE FUNCTION odd_trg();
INSERT INTO "Odd T" ("My Col", "q""u'te", "dataeng row", u, p)
  SELECT CASE WHEN i % 2 = 0 THEN NULL ELSE 'v' || i END, 'x''y', i, i, i FROM generate_series(1, 10) i;
SELECT dataeng.rule_add('"Odd T"', 'col set', 'not_null', 'My Col');
SELECT dataeng.rule_add('"Odd T"', 'u small', 'range', 'u', '{"max": 8}');
SELECT rule_name, failed FROM dataeng.validate('"Odd T"', quarantine => true);
SELECT quarantine_id, failed_rules, row_data FROM dataeng.quarantine ORDER BY 1;
SELECT * FROM dataeng.quarantine_release_all('"Odd T"', corrected => '{"My Col": "boom"}');
SELECT * FROM dataeng.quarantine_release_all('"Odd T"', corrected => '{"My Col": "fixed", "u": 1}');
SELECT * FROM "Odd T" ORDER BY 1;
SELECT * FROM dataeng.quarantine_release_all('"Odd T"', corrected => '{"x\"); DROP TABLE \"Odd T\"; --": 1}');
-- RLS
CREATE ROLE odd_m;
CREATE TABLE odd_r (id int PRIMARY KEY, owner_ name, v int);
INSERT INTO odd_r VALUES (1, 'odd_m', NULL), (2, 'other', NULL);
GRANT SELECT, INSERT ON odd_r TO odd_m;
ALTER TABLE odd_r ENABLE ROW LEVEL SECURITY;
CREATE POLICY p ON odd_r USING (owner_ = current_user) WITH CHECK (true);
SELECT dataeng.rule_add('odd_r', 'v set', 'not_null', 'v');
SELECT rule_name, failed FROM dataeng.validate('odd_r', quarantine => true);
GRANT USAGE ON SCHEMA dataeng TO odd_m;
SET ROLE odd_m;
SELECT count(*) FROM dataeng.quarantine;
SELECT * FROM dataeng.quarantine_release_all('odd_r', corrected => '{"v": 1}');
SELECT quarantine_id, dataeng.quarantine_release(quarantine_id, '{"v": 1}') FROM dataeng.quarantine ORDER BY 1;
RESET ROLE;
SELECT * FROM odd_r;
SET client_min_messages = warning;
DROP TABLE odd_r;
REVOKE USAGE ON SCHEMA dataeng FROM odd_m;
DROP ROLE odd_m;
DROP EXTENSION dataeng CASCADE;
