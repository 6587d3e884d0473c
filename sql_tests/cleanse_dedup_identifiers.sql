-- Duplicate records: strong identifiers (email, phone, national id, birth
-- date) weigh against a match when they conflict, and a single column
-- finds its exact duplicates.
\set VERBOSITY terse
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

-------------------------------------------------------------------------------
-- Which columns are strong identifiers: by the words of the column's name
-- (or of its type's name)
-------------------------------------------------------------------------------
CREATE TABLE idcols ("email" text, "E_Mail" text, "contactEmail" text, "mail" text,
                     "phone_e164" text, "mobile" text, "homePhone" text, "tel" text,
                     "ssn" text, "soc_sec_id" text, "passport_no" text, "national_id" text,
                     "date_of_birth" date, "dob" text, "birthDate" date,
                     "name" text, "city" text, "telescope" text, "emailed_at" timestamptz,
                     "cellar" text, "signed_up" date, "country" text);
SELECT a.attname AS column_name, dataeng_internal._dedup_identifier('idcols', a.attname) AS identifier
  FROM pg_attribute a WHERE a.attrelid = 'idcols'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT dataeng_internal._dedup_identifier('idcols', 'no_such_column') AS missing_column;

-------------------------------------------------------------------------------
-- Namesakes: distinct customers who share a name and a country but not an
-- email; true duplicates share the email (typed differently: case, spaces)
-------------------------------------------------------------------------------
CREATE TABLE customers (id int PRIMARY KEY, name text, email text, country text, person int NOT NULL);
-- 600 people with names of their own
INSERT INTO customers
  SELECT g, 'Customer ' || substr(md5('f' || g), 1, 5) || ' ' || substr(md5('l' || g), 1, 7),
         'c' || g || '.' || substr(md5('e' || g), 1, 6) || '@example.net',
         (ARRAY['US','GB','DE','FR','ES','JP'])[1 + g % 6], g
    FROM generate_series(1, 600) g;
-- 80 of them have a namesake in their country, another person, with an
-- email unlike theirs (40) or like theirs but not the same (40)
INSERT INTO customers
  SELECT 1000 + g, c.name,
         CASE WHEN g % 2 = 0 THEN 'other' || g || '@mail.example.org'
              ELSE replace(c.email, '@example.net', '@example.org') END,
         c.country, 1000 + g
    FROM generate_series(1, 80) g JOIN customers c ON c.id = g * 7;
-- 60 of them were entered twice: the same email, the name typed otherwise
INSERT INTO customers
  SELECT 2000 + g, CASE WHEN g % 3 = 0 THEN upper(c.name) WHEN g % 3 = 1 THEN '  ' || c.name ELSE lower(c.name) END,
         CASE WHEN g % 2 = 0 THEN upper(c.email) ELSE ' ' || c.email END,
         c.country, c.person
    FROM generate_series(1, 60) g JOIN customers c ON c.id = g * 9 + 1;

-- the pairs found, judged against person
CREATE TABLE found AS
  SELECT * FROM dataeng.find_duplicates('customers', '{name,email,country}', key_column => 'id');
CREATE VIEW found_pairs AS
  SELECT x.cluster_id, a.id AS a, b.id AS b, a.person = b.person AS same_person,
         lower(btrim(a.email)) = lower(btrim(b.email)) AS same_email
    FROM found x JOIN found y ON x.cluster_id = y.cluster_id
                             AND (x.row_key->>'id')::int < (y.row_key->>'id')::int
    JOIN customers a ON a.id = (x.row_key->>'id')::int
    JOIN customers b ON b.id = (y.row_key->>'id')::int;
SELECT count(*) AS pairs_found,
       count(*) FILTER (WHERE same_person) AS true_pairs_found,
       count(*) FILTER (WHERE NOT same_email) AS pairs_with_different_emails
  FROM found_pairs;

-- dedupe at its defaults deletes exactly the 60 second entries, no namesake
SELECT clusters, rows_deleted FROM dataeng.dedupe('customers', '{name,email,country}');
SELECT count(*) AS customers_left, count(DISTINCT person) AS people,
       count(*) FILTER (WHERE id BETWEEN 1001 AND 1080) AS namesakes_kept
  FROM customers;

-------------------------------------------------------------------------------
-- A single column: rows whose normalized values are equal, however many
-------------------------------------------------------------------------------
CREATE TABLE signups (id int PRIMARY KEY, email text);
INSERT INTO signups SELECT g, 'user' || g || '@example.com' FROM generate_series(1, 200) g;
INSERT INTO signups VALUES (201, 'USER7@example.com'), (202, ' user7@example.com '),
                           (203, 'user42@example.com'), (204, NULL), (205, NULL), (206, '');
-- 25 sign-ups of one address: more than a block of the fuzzy search holds
INSERT INTO signups SELECT 300 + g, 'bot@example.com' FROM generate_series(1, 25) g;
SELECT cluster_id, count(*) AS members, min((row_key->>'id')::int) AS first_id,
       max((row_key->>'id')::int) AS last_id, min(score) AS score
  FROM dataeng.find_duplicates('signups', '{email}', key_column => 'id')
 GROUP BY cluster_id ORDER BY cluster_id;
SELECT clusters, rows_deleted FROM dataeng.dedupe('signups', '{email}', keep => 'first', order_by => 'id');
SELECT count(*) AS rows_left, count(DISTINCT lower(btrim(email))) AS distinct_emails FROM signups;

-------------------------------------------------------------------------------
-- dedupe_undo of a run that filled a survivor of a table with an identity
-- column GENERATED ALWAYS puts the survivor back (it failed: "column "ID"
-- can only be updated to DEFAULT"), and a run whose logged rows have a
-- column renamed or dropped since is refused, never undone without their
-- values
-------------------------------------------------------------------------------
CREATE TABLE "Undo Me" ("ID" int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text, phone text, nick text);
INSERT INTO "Undo Me" (email, phone, nick) VALUES ('a@x.org', NULL, 'z'), ('a@x.org', '1', NULL), ('b@x.org', '2', 'b');
SELECT clusters, rows_deleted, rows_filled FROM dataeng.dedupe('"Undo Me"', '{email}', fill_nulls => true);
SELECT * FROM "Undo Me" ORDER BY "ID";
SELECT dataeng.dedupe_undo(max(run_id)) AS reinserted FROM dataeng.dedupe_runs WHERE table_name = '"Undo Me"'::regclass;
SELECT * FROM "Undo Me" ORDER BY "ID";
CREATE TABLE undo_renamed (id int PRIMARY KEY, email text, phone text);
INSERT INTO undo_renamed VALUES (1, 'a@x.org', '9'), (2, 'a@x.org', '1');
SELECT rows_deleted FROM dataeng.dedupe('undo_renamed', '{email}', keep => 'last', order_by => 'id');
ALTER TABLE undo_renamed RENAME COLUMN phone TO tel;
SELECT dataeng.dedupe_undo(max(run_id)) FROM dataeng.dedupe_runs WHERE table_name = 'undo_renamed'::regclass;
SELECT * FROM undo_renamed ORDER BY id;
ALTER TABLE undo_renamed RENAME COLUMN tel TO phone;
SELECT dataeng.dedupe_undo(max(run_id)) AS reinserted FROM dataeng.dedupe_runs WHERE table_name = 'undo_renamed'::regclass;
SELECT * FROM undo_renamed ORDER BY id;

-------------------------------------------------------------------------------
-- A partitioned (or inherited) table: a row is its partition and its ctid.
-- Two rows at the same ctid of two partitions were one row to dedupe(): the
-- survivor was deleted with its duplicate, and dedupe_undo() then failed.
-------------------------------------------------------------------------------
CREATE TABLE parted (id int, region text, email text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE parted_a PARTITION OF parted FOR VALUES IN ('a');
CREATE TABLE parted_b PARTITION OF parted FOR VALUES IN ('b');
INSERT INTO parted VALUES (1, 'a', 'x@y.org'), (2, 'b', 'x@y.org'), (3, 'a', 'z@y.org');
SELECT clusters, rows_deleted FROM dataeng.dedupe('parted', '{email}', keep => 'first', order_by => 'id');
SELECT * FROM parted ORDER BY id;
SELECT dataeng.dedupe_undo(max(run_id)) AS reinserted FROM dataeng.dedupe_runs WHERE table_name = 'parted'::regclass;
SELECT * FROM parted ORDER BY id;
UPDATE parted SET email = NULL WHERE id = 1;
SELECT clusters, rows_deleted, rows_filled FROM dataeng.dedupe('parted', '{region}', fill_nulls => true, keep => 'first', order_by => 'id');
SELECT * FROM parted ORDER BY id;
-- without a key column, find_duplicates names the partition with the ctid
CREATE TABLE inherited (id int, email text);
CREATE TABLE inherited_child () INHERITS (inherited);
INSERT INTO inherited VALUES (1, 'q@y.org');
INSERT INTO inherited_child VALUES (2, 'q@y.org');
SELECT cluster_id, row_key FROM dataeng.find_duplicates('inherited', '{email}') ORDER BY row_key->>'partition';
SELECT rows_deleted FROM dataeng.dedupe('inherited', '{email}', keep => 'last', order_by => 'id');
SELECT tableoid::regclass AS part, * FROM inherited;
-- a duplicate to delete in a table that inherits it is refused: only the
-- parent's columns would be logged, and dedupe_undo() would put the row
-- back into the parent (its note lost, the row in the wrong table)
CREATE TABLE inherited_noted (note text NOT NULL) INHERITS (inherited);
INSERT INTO inherited_noted VALUES (3, 'q@y.org', 'keep me');
\set VERBOSITY default
SELECT rows_deleted FROM dataeng.dedupe('inherited', '{email}', keep => 'first', order_by => 'id');
\set VERBOSITY terse
SELECT tableoid::regclass AS part, * FROM inherited ORDER BY id;

DROP VIEW found_pairs;
DROP TABLE idcols, customers, found, signups, "Undo Me", undo_renamed, parted, inherited CASCADE;
DROP EXTENSION dataeng;
