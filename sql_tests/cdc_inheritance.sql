-- Tables of an inheritance tree (INHERITS, not partitions) are not captured:
-- an UPDATE or DELETE naming the parent reaches the children's rows, which
-- the capture trigger's transition tables hold with the parent's own (the
-- trigger recorded them as the parent's, a replica then deleted its own row
-- of the same key), while the WAL publication sends them under the
-- children's names (the worker recorded none of them).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
SET client_min_messages = notice;
\set VERBOSITY default

CREATE TABLE ih_parent (id int PRIMARY KEY, v text);
CREATE TABLE ih_child (extra int) INHERITS (ih_parent);
INSERT INTO ih_parent VALUES (1, 'parent row');
INSERT INTO ih_child VALUES (1, 'child row, same id', 0);

-- refused, for either method, on the parent and on the child
SELECT dataeng.cdc_enable('ih_parent');
SELECT dataeng.cdc_enable('ih_parent', method => 'wal');
SELECT dataeng.cdc_enable('ih_child');
SELECT count(*) AS captured FROM dataeng.cdc_tables;

-- a captured table cannot gain a parent or a child afterwards
CREATE TABLE ih_plain (id int PRIMARY KEY, v text);
CREATE TABLE ih_other (id int NOT NULL, v text);
SELECT dataeng.cdc_enable('ih_plain');
CREATE TABLE ih_plain_child () INHERITS (ih_plain);
ALTER TABLE ih_other INHERIT ih_plain;
ALTER TABLE ih_plain INHERIT ih_other;
-- ... nor below a child of a captured table (none can exist), nor
-- through a grandparent: a table inheriting from an uncaptured one is fine
CREATE TABLE ih_free_child () INHERITS (ih_other);
SELECT count(*) AS inheritance_links FROM pg_inherits
 WHERE inhparent IN ('ih_plain'::regclass, 'ih_other'::regclass);

-- the captured table's changes are recorded as before
DELETE FROM ih_plain;
INSERT INTO ih_plain VALUES (1, 'a');
DELETE FROM ih_plain WHERE id = 1;
SELECT op, pk, old_row, new_row FROM dataeng.changes ORDER BY change_id;

-- after the inheritance is removed, the parent can be captured
ALTER TABLE ih_child NO INHERIT ih_parent;
SELECT dataeng.cdc_enable('ih_parent');
DELETE FROM ih_parent WHERE id = 1;
SELECT table_name, op, old_row FROM dataeng.changes WHERE op = 'D' ORDER BY change_id;

-- partitions (also in pg_inherits) are captured as before
CREATE TABLE ih_parted (id int, r int, PRIMARY KEY (id, r)) PARTITION BY LIST (r);
CREATE TABLE ih_parted_1 PARTITION OF ih_parted FOR VALUES IN (1);
SELECT dataeng.cdc_enable('ih_parted');
CREATE TABLE ih_parted_2 PARTITION OF ih_parted FOR VALUES IN (2);
SELECT dataeng.cdc_enable('ih_parted_2');
SELECT table_name FROM dataeng.cdc_tables ORDER BY 1;

-- tables created by CREATE SCHEMA are checked as by their own CREATE TABLE:
-- a child of a captured table refused, a new partition captured
CREATE SCHEMA ih_s CREATE TABLE ih_schema_child () INHERITS (public.ih_plain);
CREATE SCHEMA ih_s
  CREATE TABLE ih_parted_3 PARTITION OF public.ih_parted FOR VALUES IN (3)
  CREATE TABLE ih_free_child_2 () INHERITS (public.ih_other);
-- nor a foreign table (an FDW may update and delete its rows)
CREATE FOREIGN DATA WRAPPER ih_fdw;
CREATE SERVER ih_server FOREIGN DATA WRAPPER ih_fdw;
CREATE FOREIGN TABLE ih_foreign_child () INHERITS (ih_plain) SERVER ih_server;
CREATE FOREIGN TABLE ih_foreign (id int NOT NULL, v text) SERVER ih_server;
ALTER FOREIGN TABLE ih_foreign INHERIT ih_plain;
SELECT count(*) AS inheritance_links FROM pg_inherits WHERE inhparent = 'ih_plain'::regclass;
SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = 'ih_s'::regnamespace AND NOT t.tgisinternal ORDER BY 1, 2;

DROP FOREIGN DATA WRAPPER ih_fdw CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
