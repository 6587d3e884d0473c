-- Dimensions: the key column made nullable after dimension_create (which
-- asks for NOT NULL).  ALTER TABLE ... ALTER COLUMN ... DROP NOT NULL
-- went through; a row inserted then without a key made every refresh of
-- the dimension fail ("a change of the source has no value of key column",
-- whose detail said the column was NOT NULL), even once the row was
-- deleted, as the change log still held it.  The DROP NOT NULL is
-- refused now, with what to do.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE kn_src (id int NOT NULL UNIQUE, a text);
INSERT INTO kn_src VALUES (1, 'x'), (2, 'y');
SELECT dataeng.dimension_create('kn1', 'kn_src', 'id', '{a}', 1, schedule => NULL),
       dataeng.dimension_create('kn2', 'kn_src', 'id', '{a}', 2, schedule => NULL);
\set VERBOSITY default
\set SHOW_CONTEXT never
ALTER TABLE kn_src ALTER COLUMN id DROP NOT NULL;
\set VERBOSITY terse
INSERT INTO kn_src VALUES (NULL, 'n');
INSERT INTO kn_src VALUES (3, 'z');
SELECT dataeng.dimension_refresh('kn1'), dataeng.dimension_refresh('kn2');
SELECT id, a FROM kn1 ORDER BY id;
-- the other columns, and other tables' keys, may still be made nullable
ALTER TABLE kn_src ALTER COLUMN a SET NOT NULL;
ALTER TABLE kn_src ALTER COLUMN a DROP NOT NULL;
CREATE TABLE kn_other (id int NOT NULL UNIQUE);
ALTER TABLE kn_other ALTER COLUMN id DROP NOT NULL;
-- once the dimensions are dropped, so may the key
SELECT dataeng.dimension_drop('kn1'), dataeng.dimension_drop('kn2');
ALTER TABLE kn_src ALTER COLUMN id DROP NOT NULL;
DROP TABLE kn_src, kn_other;
DROP EXTENSION dataeng CASCADE;
