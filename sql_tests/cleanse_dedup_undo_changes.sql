-- dedupe_undo() after the table changed since the run.  A column added
-- since (ADD COLUMN ... DEFAULT, which the kept rows got) was set to NULL
-- in the re-inserted rows: a NOT NULL one refused the undo (23502), another
-- lost its default; and a filled survivor, which has the new column, was
-- taken for a row changed since the run.  Now the restored rows take the
-- column's default and the survivor gets its old values back.  A deleted
-- row's key taken again refuses the undo as a whole; undoing twice is
-- refused.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

CREATE TABLE c2 (id int PRIMARY KEY, name text, email text, city text);
INSERT INTO c2 VALUES (1, 'Ada Lovelace', 'ada@example.com', NULL), (2, 'Ada  LOVELACE', 'ada@example.com', 'London'),
                      (7, 'Ada  LOVELACE', 'ada@example.com', 'London'),
                      (3, 'Bob Jones', 'bob@example.org', 'Paris'), (4, 'Bob Jones', 'bob@example.org', 'Paris'),
                      (5, 'Carl Sagan', 'c@example.net', 'Ithaca'), (6, 'Dana Scully', 'dana@example.gov', 'DC');
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('c2', '{name,email}', keep => 'first', order_by => 'id', fill_nulls => true);
SELECT id, name, city FROM c2 ORDER BY id;
ALTER TABLE c2 ADD COLUMN tier int NOT NULL DEFAULT 7, ADD COLUMN note text DEFAULT 'x';
UPDATE c2 SET tier = 9 WHERE id = 3;
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT id, name, city, tier, note FROM c2 ORDER BY id;

-- a deleted row's key taken again: nothing is restored
SELECT clusters, rows_deleted FROM dataeng.dedupe('c2', '{name,email}', keep => 'first', order_by => 'id');
INSERT INTO c2 (id, name) VALUES (2, 'Zed');
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT count(*) AS rows FROM c2;
DELETE FROM c2 WHERE id = 2;
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
\set VERBOSITY terse
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
\set VERBOSITY default
SELECT count(*) AS rows FROM c2;

-- a run that found nothing is undone as nothing
CREATE TABLE e0 (id int PRIMARY KEY, a text, b text);
INSERT INTO e0 VALUES (1, 'x', 'y'), (2, 'z', 'w');
SELECT clusters, rows_deleted FROM dataeng.dedupe('e0', '{a,b}');
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
DROP TABLE e0;

DROP TABLE c2;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
