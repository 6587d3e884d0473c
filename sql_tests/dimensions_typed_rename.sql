-- Dimensions: the source is a typed table (CREATE TABLE ... OF type), whose
-- columns are renamed or change type only through ALTER TYPE ...
-- CASCADE of its type.  The statement names the type, not the table, yet
-- the source's columns changed as by an ALTER TABLE of it: two copied
-- columns that swap names, or a copied column whose values change type,
-- mark the dimension to be made equal to its source at its next refresh.
-- (Before, the event trigger looked at ALTER TABLE alone: after the swap
-- the refresh applied the changes pending under the old names, and the
-- dimension held a's values under b and b's under a.)
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;

CREATE TYPE dty_row AS (id int, a text, b text, n int);
CREATE TABLE dty_src OF dty_row (PRIMARY KEY (id));
INSERT INTO dty_src SELECT g, 'a' || g, 'b' || g, g FROM generate_series(1, 30) g;
SELECT dataeng.dimension_create('dty1', 'dty_src', 'id', '{a,b,n}', 1, schedule => NULL);
SELECT dataeng.dimension_create('dty2', 'dty_src', 'id', '{a,b}', 2, schedule => NULL);

-- 1. a and b swap names through the type, changes pending
UPDATE dty_src SET a = 'A' || id WHERE id <= 10;
BEGIN;
ALTER TYPE dty_row RENAME ATTRIBUTE a TO tmp CASCADE;
ALTER TYPE dty_row RENAME ATTRIBUTE b TO a CASCADE;
ALTER TYPE dty_row RENAME ATTRIBUTE tmp TO b CASCADE;
COMMIT;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('dty1', 'dty2') ORDER BY 1;
SELECT dataeng.dimension_refresh('dty1') >= 0 AS refreshed, dataeng.dimension_refresh('dty2') >= 0 AS refreshed;
SELECT (SELECT count(*) FROM (SELECT id, a, b FROM dty_src EXCEPT ALL SELECT id, a, b FROM dty1) x) AS src_not_in_dty1,
       (SELECT count(*) FROM (SELECT id, a, b FROM dty_src EXCEPT ALL SELECT id, a, b FROM dty2 WHERE is_current) x) AS src_not_in_dty2;
SELECT id, a, b FROM dty1 WHERE id IN (1, 20) ORDER BY id;

-- 2. an ALTER TYPE of another type, or of an attribute no dimension
-- copies, leaves them alone
CREATE TYPE dty_other AS (x int, y text);
ALTER TYPE dty_other RENAME ATTRIBUTE y TO z;
ALTER TYPE dty_row ADD ATTRIBUTE extra text CASCADE;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name IN ('dty1', 'dty2') ORDER BY 1;

-- 3. a copied column's type changed through the type (int to text: the
-- changes pending cannot be read one by one as the new type)
UPDATE dty_src SET n = n + 100 WHERE id <= 5;
ALTER TYPE dty_row ALTER ATTRIBUTE n TYPE text CASCADE;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name = 'dty1';

SELECT dataeng.dimension_drop('dty1'), dataeng.dimension_drop('dty2');
DROP TABLE dty_src;
DROP TYPE dty_row, dty_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
