-- Duplicate records as a new user tries them first: a few rows, a column
-- name needing quotes, NULLs, a view, an empty table.  Where nothing is
-- found because no two rows are near-certain matches, a NOTICE says why;
-- a column name typed with SQL quotes or in another case gets a hint; a
-- view is refused with a reason instead of an internal error.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

-- a column name needing quotes, beside an email: the obvious pair is found
-- on both columns as on the email alone
CREATE TABLE people (id int PRIMARY KEY, "Full Name" text, email text);
INSERT INTO people VALUES (1, 'Jane Smith', 'jane@example.com'), (2, 'Jane  Smith', 'JANE@example.com'),
                          (3, 'Bob Jones', 'bob@example.org');
SELECT cluster_id, row_key, round(score::numeric, 4) AS score
  FROM dataeng.find_duplicates('people', '{email}', key_column => 'id');
SELECT cluster_id, row_key, round(score::numeric, 4) AS score
  FROM dataeng.find_duplicates('people', '{"Full Name",email}', key_column => 'id');
SELECT cluster_id, row_key, round(score::numeric, 4) AS score
  FROM dataeng.find_duplicates('people', ARRAY['Full Name', 'email']);
-- the same without quotes, with more rows
ALTER TABLE people RENAME "Full Name" TO full_name;
INSERT INTO people VALUES (4, 'Ann Lee', 'ann@example.net'), (5, 'Carl Wu', 'carl@example.net'),
                          (6, 'Bob Jones', 'bob@example.org');
SELECT cluster_id, row_key, round(score::numeric, 4) AS score
  FROM dataeng.find_duplicates('people', '{full_name,email}', key_column => 'id');
ALTER TABLE people RENAME full_name TO "Full Name";
DELETE FROM people WHERE id > 3;

-- a column name typed with SQL quotes, or in another case, is another
-- name: the hint names the column meant
SELECT * FROM dataeng.find_duplicates('people', ARRAY['"Full Name"', 'email']);
SELECT * FROM dataeng.find_duplicates('people', ARRAY['full name', 'Email']);
SELECT * FROM dataeng.find_duplicates('people', ARRAY['phone', 'email']);
SELECT * FROM dataeng.find_duplicates('people', ARRAY['email'], key_column => 'ID');
SELECT * FROM dataeng.dedupe('people', ARRAY['email'], keep => 'first', order_by => 'Id');

-- no two rows equal on more than half of the columns both fill (with two
-- columns: on both): nothing to learn what a duplicate looks like from, so
-- nothing is found whatever the threshold, and a NOTICE says why
CREATE TABLE few (id int PRIMARY KEY, full_name text, email text);
INSERT INTO few VALUES (1, 'Jane Smith', 'jane@example.com'), (2, 'Jane Smyth', 'jane@example.com'),
                       (3, 'Bob Jones', 'bob@example.org');
SELECT * FROM dataeng.find_duplicates('few', '{full_name,email}', key_column => 'id');
SELECT * FROM dataeng.find_duplicates('few', '{full_name,email}', 0.01, key_column => 'id');
SELECT clusters, rows_deleted FROM dataeng.dedupe('few', '{full_name,email}');
-- what the NOTICE suggests: the one column they share exactly
SELECT cluster_id, row_key, score FROM dataeng.find_duplicates('few', '{email}', key_column => 'id');
-- the same name, one email missing: equal on the one column both fill is
-- no near-certain match
UPDATE few SET full_name = 'Jane Smith', email = NULL WHERE id = 2;
SELECT * FROM dataeng.find_duplicates('few', '{full_name,email}', key_column => 'id');
-- identical rows are found, without a NOTICE
UPDATE few SET email = 'jane@example.com' WHERE id = 2;
SELECT cluster_id, row_key FROM dataeng.find_duplicates('few', '{full_name,email}', key_column => 'id');
-- a handful of rows with a near-certain match: the best pair scores below
-- the threshold, and the NOTICE says by how much
INSERT INTO few VALUES (4, 'Bob Jones', 'bob@example.org');
UPDATE few SET full_name = 'Jane Smyth' WHERE id = 2;
SELECT * FROM dataeng.find_duplicates('few', '{full_name,email}', key_column => 'id');
SELECT cluster_id, row_key, round(score::numeric, 4) AS score
  FROM dataeng.find_duplicates('few', '{full_name,email}', 0.8, key_column => 'id');
DELETE FROM few WHERE id = 4;
-- no rows sharing any value: nothing to say
UPDATE few SET full_name = 'Joan Smith', email = 'joan@example.com' WHERE id = 2;
SELECT * FROM dataeng.find_duplicates('few', '{full_name,email}', key_column => 'id');

-- empty table, one row, an all-NULL column, a column name with a dot or a
-- quote: no error, and the duplicates a column shares are found (a key
-- column that names no one row, as "q""x" here, is refused: see
-- cleanse_dedup_key_column)
CREATE TABLE odd (id int, "a.b" text, "q""x" text, nothing text);
SELECT * FROM dataeng.find_duplicates('odd', ARRAY['a.b', 'q"x']);
INSERT INTO odd VALUES (1, 'x', 'y', NULL);
SELECT * FROM dataeng.find_duplicates('odd', ARRAY['a.b', 'q"x']);
INSERT INTO odd VALUES (2, 'x', 'y', NULL), (3, 'z', 'k', NULL);
SELECT * FROM dataeng.find_duplicates('odd', ARRAY['nothing']);
SELECT cluster_id, row_key FROM dataeng.find_duplicates('odd', ARRAY['a.b', 'q"x', 'nothing']);
SELECT cluster_id, row_key FROM dataeng.find_duplicates('odd', ARRAY['a.b', 'q"x'], key_column => 'q"x');
SELECT run_id AS run, clusters, rows_deleted FROM dataeng.dedupe('odd', ARRAY['a.b', 'q"x'], keep => 'first', order_by => 'id') \gset
SELECT :clusters AS clusters, :rows_deleted AS rows_deleted, array_agg(id ORDER BY id) AS kept FROM odd;
SELECT dataeng.dedupe_undo(:run) AS restored;
SELECT array_agg(id ORDER BY id) AS ids FROM odd;

-- a view: its rows have no location, so they are named by a key column,
-- and it cannot be deduplicated (nor a materialized view)
CREATE VIEW odd_v AS SELECT * FROM odd;
SELECT * FROM dataeng.find_duplicates('odd_v', ARRAY['a.b', 'q"x']);
SELECT cluster_id, row_key FROM dataeng.find_duplicates('odd_v', ARRAY['a.b', 'q"x'], key_column => 'id');
SELECT * FROM dataeng.dedupe('odd_v', ARRAY['a.b', 'q"x']);
CREATE MATERIALIZED VIEW odd_m AS SELECT * FROM odd ORDER BY id;
SELECT cluster_id, row_key FROM dataeng.find_duplicates('odd_m', ARRAY['a.b', 'q"x']);
SELECT * FROM dataeng.dedupe('odd_m', ARRAY['a.b', 'q"x']);
SELECT count(*) AS runs_refused FROM dataeng.dedupe_runs WHERE table_name IN ('odd_v'::regclass, 'odd_m'::regclass);

SET client_min_messages = warning;
-- (the tables go too: later tests of the suite, in the same database, use such names)
DROP VIEW odd_v;
DROP MATERIALIZED VIEW odd_m;
DROP TABLE people, few, odd;
DROP EXTENSION dataeng CASCADE;
