-- Dimensions: two source columns the dimension copies swap names
-- (ALTER TABLE ... RENAME, as a migration that fixes two mislabelled
-- columns does), or a column is renamed to the name of one the dimension
-- copies.  The changes captured before the rename hold the columns under
-- their old names: read one by one, the dimension mixed the two columns'
-- values.  The rename marks the dimension to be made equal to its source
-- at its next refresh (as a change of a column's type does), for type 1
-- and type 2: after it, the current rows equal the source's, row for row.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;

CREATE TABLE sw_src (id int PRIMARY KEY, a text, b text, c text);
INSERT INTO sw_src SELECT g, 'a' || g, 'b' || g, 'c' || g FROM generate_series(1, 50) g;
SELECT dataeng.dimension_create('sw1', 'sw_src', 'id', '{a,b}', 1, schedule => NULL);
SELECT dataeng.dimension_create('sw2', 'sw_src', 'id', '{a,b}', 2, schedule => NULL);

-- 1. changes pending, then a and b swap names in one transaction
UPDATE sw_src SET a = 'A' || id WHERE id <= 10;
DELETE FROM sw_src WHERE id BETWEEN 41 AND 45;
BEGIN;
ALTER TABLE sw_src RENAME a TO tmp;
ALTER TABLE sw_src RENAME b TO a;
ALTER TABLE sw_src RENAME tmp TO b;
COMMIT;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('sw1', 'sw2') ORDER BY 1;
UPDATE sw_src SET b = 'B' || id WHERE id BETWEEN 11 AND 20;
SELECT dataeng.dimension_refresh('sw1') >= 0 AS refreshed, dataeng.dimension_refresh('sw2') >= 0 AS refreshed;
-- current rows equal the source's, both ways
SELECT (SELECT count(*) FROM (SELECT id, a, b FROM sw_src EXCEPT ALL SELECT id, a, b FROM sw1) x) AS src_not_in_sw1,
       (SELECT count(*) FROM (SELECT id, a, b FROM sw1 EXCEPT ALL SELECT id, a, b FROM sw_src) x) AS sw1_not_in_src,
       (SELECT count(*) FROM (SELECT id, a, b FROM sw_src EXCEPT ALL SELECT id, a, b FROM sw2 WHERE is_current) x) AS src_not_in_sw2,
       (SELECT count(*) FROM (SELECT id, a, b FROM sw2 WHERE is_current EXCEPT ALL SELECT id, a, b FROM sw_src) x) AS sw2_not_in_src;
SELECT id, a, b FROM sw1 WHERE id IN (1, 15, 30) ORDER BY id;
-- the changes after it are applied one by one again
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('sw1', 'sw2') ORDER BY 1;
UPDATE sw_src SET a = 'x' WHERE id = 30;
SELECT dataeng.dimension_refresh('sw1'), dataeng.dimension_refresh('sw2');
SELECT a, b FROM sw1 WHERE id = 30;
SELECT a, b, is_current FROM sw2 WHERE id = 30 ORDER BY sw2_sk;

-- 2. a column the dimension does not copy renamed to one it copies, the
-- copied one renamed away first
UPDATE sw_src SET a = 'z' || id WHERE id <= 5;
BEGIN;
ALTER TABLE sw_src RENAME a TO a_old;
ALTER TABLE sw_src RENAME c TO a;
COMMIT;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('sw1', 'sw2') ORDER BY 1;
SELECT dataeng.dimension_refresh('sw1') >= 0 AS refreshed, dataeng.dimension_refresh('sw2') >= 0 AS refreshed;
SELECT (SELECT count(*) FROM (SELECT id, a, b FROM sw_src EXCEPT ALL SELECT id, a, b FROM sw1) x) AS src_not_in_sw1,
       (SELECT count(*) FROM (SELECT id, a, b FROM sw_src EXCEPT ALL SELECT id, a, b FROM sw2 WHERE is_current) x) AS src_not_in_sw2;

-- 3. renames of columns the dimension does not read, and of other tables,
-- leave it alone
ALTER TABLE sw_src RENAME a_old TO d;
CREATE TABLE sw_other (id int, a text, b text);
ALTER TABLE sw_other RENAME a TO e;
ALTER TABLE sw_other RENAME b TO a;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('sw1', 'sw2') ORDER BY 1;

-- 4. a copied column dropped, and another added under its name
ALTER TABLE sw_src DROP COLUMN b;
ALTER TABLE sw_src ADD COLUMN b text DEFAULT 'new';
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('sw1', 'sw2') ORDER BY 1;
SELECT dataeng.dimension_refresh('sw1') >= 0 AS refreshed, dataeng.dimension_refresh('sw2') >= 0 AS refreshed;
SELECT (SELECT count(*) FROM (SELECT id, a, b FROM sw_src EXCEPT ALL SELECT id, a, b FROM sw1) x) AS src_not_in_sw1,
       (SELECT count(*) FROM (SELECT id, a, b FROM sw_src EXCEPT ALL SELECT id, a, b FROM sw2 WHERE is_current) x) AS src_not_in_sw2;

-- 5. a copied column renamed and given its name back is the same column:
-- no resync (the changes made meanwhile: sql_tests/factcheck_dimensions.sql)
ALTER TABLE sw_src RENAME a TO a2;
ALTER TABLE sw_src RENAME a2 TO a;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('sw1', 'sw2') ORDER BY 1;

SELECT dataeng.dimension_drop('sw1'), dataeng.dimension_drop('sw2');
DROP TABLE sw_src, sw_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
