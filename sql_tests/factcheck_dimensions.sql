-- Dimensions: a change whose row image lacks a tracked column is never read
-- as NULL.  Row images are keyed by column name at capture: a change made
-- while an attribute was renamed carries the other name.  Before this test,
-- refreshing after the column was renamed back wrote NULL for every key it
-- touched (type 1: the row; type 2: a new version), and refreshing while it
-- was renamed failed with a syntax error of internal SQL.  Now: while a
-- column is missing the refresh raises 42703 naming it; once it is back,
-- the changes from the first image lacking it on are applied as a
-- comparison with the source (as after a TRUNCATE).  The same for the key
-- column (was: an error "a change of the source has no value of key column").
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset null '(null)'
CREATE TABLE fcd_src (id int PRIMARY KEY, g text, a int, note text);
INSERT INTO fcd_src VALUES (1, 'x', 1, 'n'), (2, 'y', 2, 'n'), (3, 'z', NULL, 'n');
SELECT dataeng.dimension_create('fcd_t1', 'fcd_src', 'id', ARRAY['g', 'a'], scd_type => 1, schedule => NULL);
SELECT dataeng.dimension_create('fcd_t2', 'fcd_src', 'id', ARRAY['g', 'a'], scd_type => 2, schedule => NULL);
-- a change before the rename is applied as usual
UPDATE fcd_src SET a = 10 WHERE id = 1;
ALTER TABLE fcd_src RENAME COLUMN a TO amount;
INSERT INTO fcd_src VALUES (4, 'w', 4, 'n');
UPDATE fcd_src SET amount = 20 WHERE id = 2;
UPDATE fcd_src SET note = 'm' WHERE id = 3;        -- untracked only: amount stays NULL
-- while the column is renamed: an error naming it, nothing applied
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.dimension_refresh('fcd_t1');
\set VERBOSITY terse
SELECT pending_changes FROM dataeng.dimensions WHERE name = 'fcd_t1';
ALTER TABLE fcd_src RENAME COLUMN amount TO a;
UPDATE fcd_src SET g = 'x2' WHERE id = 1;
SELECT dataeng.dimension_refresh('fcd_t1') AS t1_applied, dataeng.dimension_refresh('fcd_t2') AS t2_applied;
SELECT * FROM fcd_t1 ORDER BY id;
SELECT id, g, a, is_current FROM fcd_t2 ORDER BY id, fcd_t2_sk;
-- type 1 equals the source, type 2's current rows too
SELECT count(*) AS t1_diff FROM ((SELECT id, g, a FROM fcd_t1 EXCEPT SELECT id, g, a FROM fcd_src)
                                 UNION ALL (SELECT id, g, a FROM fcd_src EXCEPT SELECT id, g, a FROM fcd_t1)) x;
SELECT count(*) AS t2_diff FROM ((SELECT id, g, a FROM fcd_t2 WHERE is_current EXCEPT SELECT id, g, a FROM fcd_src)
                                 UNION ALL (SELECT id, g, a FROM fcd_src EXCEPT SELECT id, g, a FROM fcd_t2 WHERE is_current)) x;
-- later changes are applied change by change again
UPDATE fcd_src SET a = 30 WHERE id = 3;
UPDATE fcd_src SET a = 31 WHERE id = 3;
SELECT dataeng.dimension_refresh('fcd_t1') AS t1_applied, dataeng.dimension_refresh('fcd_t2') AS t2_applied;
SELECT * FROM fcd_t1 WHERE id = 3;
SELECT id, g, a, is_current FROM fcd_t2 WHERE id = 3 ORDER BY fcd_t2_sk;
-- the key column renamed and back: a delete and a key change made meanwhile
ALTER TABLE fcd_src RENAME COLUMN id TO ident;
DELETE FROM fcd_src WHERE ident = 4;
UPDATE fcd_src SET ident = 5 WHERE ident = 2;
ALTER TABLE fcd_src RENAME COLUMN ident TO id;
SELECT dataeng.dimension_refresh('fcd_t1') AS t1_applied, dataeng.dimension_refresh('fcd_t2') AS t2_applied;
SELECT * FROM fcd_t1 ORDER BY id;
SELECT id, g, a, is_current FROM fcd_t2 WHERE is_current ORDER BY id;
-- a column dropped: the same error
ALTER TABLE fcd_src DROP COLUMN note;
ALTER TABLE fcd_src DROP COLUMN g;
\set VERBOSITY default
SELECT dataeng.dimension_refresh('fcd_t2');
\set VERBOSITY terse
SELECT dataeng.dimension_drop('fcd_t1');
SELECT dataeng.dimension_drop('fcd_t2');
DROP TABLE fcd_src;
DROP EXTENSION dataeng CASCADE;
