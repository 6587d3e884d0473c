-- find_duplicates' row_key names one row (helper 6's trial): a key column
-- with a repeated value or a NULL named a duplicate that another row, no
-- duplicate, shared ({"id": 3} of Jane Doe and of Bob: deleting the
-- duplicates by their keys deleted Bob), or none at all ({"id": null}).
CREATE EXTENSION dataeng;
CREATE TABLE fdk (id int, name text, city text, born date);
INSERT INTO fdk VALUES (1, 'John Smith', 'Paris', '1980-01-01'), (2, 'john smith', 'paris', '1980-01-01'),
                       (3, 'Jane Doe', 'Rome', '1990-01-01'), (4, 'Jane Doe', 'Rome', '1990-01-01'),
                       (3, 'Bob Stone', 'Oslo', '2000-01-01');
\set VERBOSITY default
SELECT * FROM dataeng.find_duplicates('fdk', '{name,city,born}', key_column => 'id');
UPDATE fdk SET id = NULL WHERE name = 'Bob Stone';
UPDATE fdk SET id = NULL WHERE id = 4;
SELECT * FROM dataeng.find_duplicates('fdk', '{name,city,born}', key_column => 'id');
\set VERBOSITY terse
-- a repeated key (or a NULL) of rows without duplicates names no row of
-- the result: the keys returned are unique, and they are returned
UPDATE fdk SET id = 4 WHERE id IS NULL AND name = 'Jane Doe';
INSERT INTO fdk VALUES (9, 'Ann Lee', 'Lima', '1970-05-05'), (9, 'Tom Hale', 'Kiev', '1960-06-06');
SELECT * FROM dataeng.find_duplicates('fdk', '{name,city,born}', key_column => 'id');
-- through a view, whose rows have no ctid, a column that repeats
CREATE VIEW fdk_v AS SELECT * FROM fdk;
SELECT * FROM dataeng.find_duplicates('fdk_v', '{name,city,born}', key_column => 'name');
SELECT * FROM dataeng.find_duplicates('fdk_v', '{name,city,born}', key_column => 'id');
-- a unique index on the key is trusted (no second read)
DELETE FROM fdk WHERE id = 9 OR id IS NULL;
CREATE UNIQUE INDEX ON fdk (id);
SELECT * FROM dataeng.find_duplicates('fdk', '{name,city,born}', key_column => 'id');
DROP VIEW fdk_v;
DROP TABLE fdk;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
