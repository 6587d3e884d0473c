-- Capture from the WAL of changes written before a column was renamed:
-- pgoutput names a change's columns as they were named when it was
-- written; mapped by name to the table's columns now, a renamed column's
-- value was recorded as NULL, and two columns whose names were swapped had
-- each other's values, without a word.  Such a change stops its table (as
-- one written before a column's type changed); a column dropped or added
-- since does not.
\pset null '(null)'
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
CREATE TABLE rn_other (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('rn_other', method => 'wal');

-- 1. A column renamed after a change was written (same transaction, so
-- that the worker decodes it after the rename)
CREATE TABLE rn1 (id int PRIMARY KEY, a text, b int);
SELECT dataeng.cdc_enable('rn1', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO rn1 VALUES (1, 'x', 1);
INSERT INTO rn_other VALUES (1, 'same transaction');
ALTER TABLE rn1 RENAME COLUMN a TO a2;
COMMIT;
INSERT INTO rn_other VALUES (2, 'after');
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name IN ('rn1'::regclass, 'rn_other'::regclass) ORDER BY change_id;
SELECT table_name, regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name IN ('rn1'::regclass, 'rn_other'::regclass) ORDER BY 1;
-- enabled again, it captures from then on, with the new name
SELECT dataeng.cdc_enable('rn1', method => 'wal');
INSERT INTO rn1 VALUES (2, 'y', 2);
SELECT dataeng.cdc_wal_sync();
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'rn1'::regclass ORDER BY change_id;
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'rn1'::regclass;

-- 2. Two columns' names swapped after a change was written
CREATE TABLE rn2 (id int PRIMARY KEY, a text, b text);
SELECT dataeng.cdc_enable('rn2', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO rn2 VALUES (1, 'A', 'B');
ALTER TABLE rn2 RENAME COLUMN a TO tmp;
ALTER TABLE rn2 RENAME COLUMN b TO a;
ALTER TABLE rn2 RENAME COLUMN tmp TO b;
COMMIT;
SELECT dataeng.cdc_wal_sync();
TABLE rn2;
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'rn2'::regclass ORDER BY change_id;
SELECT regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'rn2'::regclass;

-- 3. The last column renamed (nothing mapped after it)
CREATE TABLE rn3 (id int PRIMARY KEY, a text);
SELECT dataeng.cdc_enable('rn3', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO rn3 VALUES (1, 'x');
ALTER TABLE rn3 RENAME COLUMN a TO z;
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS rn3_changes FROM dataeng.changes WHERE table_name = 'rn3'::regclass;
SELECT regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'rn3'::regclass;

-- 4. Columns dropped and added since the change was written: captured
-- (the dropped column's value left out), the table goes on
CREATE TABLE rn4 (id int PRIMARY KEY, a text, b int, c text);
ALTER TABLE rn4 DROP COLUMN c;    -- dropped before the change
SELECT dataeng.cdc_enable('rn4', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO rn4 VALUES (1, 'x', 1);
ALTER TABLE rn4 DROP COLUMN a;
ALTER TABLE rn4 ADD COLUMN d int;
ALTER TABLE rn4 ADD COLUMN e text GENERATED ALWAYS AS ('k' || id) STORED;
INSERT INTO rn4 (id, b, d) VALUES (2, 2, 2);
ALTER TABLE rn4 DROP COLUMN b;
COMMIT;
INSERT INTO rn4 (id, d) VALUES (3, 3);
SELECT dataeng.cdc_wal_sync();
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'rn4'::regclass ORDER BY change_id;
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'rn4'::regclass;

-- 5. A rename with no change pending: nothing stops
CREATE TABLE rn5 (id int PRIMARY KEY, a text);
SELECT dataeng.cdc_enable('rn5', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO rn5 VALUES (1, 'x');
SELECT dataeng.cdc_wal_sync();
ALTER TABLE rn5 RENAME COLUMN a TO b;
INSERT INTO rn5 VALUES (2, 'y');
UPDATE rn5 SET b = 'z' WHERE id = 1;
SELECT dataeng.cdc_wal_sync();
SELECT op, old_row, new_row FROM dataeng.changes WHERE table_name = 'rn5'::regclass ORDER BY change_id;
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'rn5'::regclass;

-- 6. A stored generated column made a plain one (DROP EXPRESSION) after a
-- change was written: pgoutput left its value out, so the change cannot
-- be recorded; the table stops, and the reason says what may have
-- happened (no rename here)
CREATE TABLE rn6 (id int PRIMARY KEY, g int GENERATED ALWAYS AS (id * 10) STORED, a text);
SELECT dataeng.cdc_enable('rn6', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN;
INSERT INTO rn6 (id, a) VALUES (1, 'x');
ALTER TABLE rn6 ALTER COLUMN g DROP EXPRESSION;
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS rn6_changes FROM dataeng.changes WHERE table_name = 'rn6'::regclass;
SELECT regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status WHERE table_name = 'rn6'::regclass;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
