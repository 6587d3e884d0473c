-- Dimensions: the source's unique index on the key column dropped after
-- dimension_create (which asks for one).  ALTER TABLE ... DROP CONSTRAINT
-- of the primary key, or DROP INDEX of a unique index, went through; two
-- source rows could then have one key, and the refresh applied both rows'
-- changes to one dimension row: the second row's insert overwrote the
-- first's (type 1) or closed its version (type 2), and a delete of the
-- second took the key out of the dimension while the first row was still
-- in the source.  Dropping the last such index is refused now, whatever
-- drops it, unless another one stays.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE ku_src (id int NOT NULL, a text, CONSTRAINT ku_src_pkey PRIMARY KEY (id));
INSERT INTO ku_src VALUES (1, 'x'), (2, 'y');
SELECT dataeng.dimension_create('ku1', 'ku_src', 'id', '{a}', 1, schedule => NULL),
       dataeng.dimension_create('ku2', 'ku_src', 'id', '{a}', 2, schedule => NULL);
\set VERBOSITY default
\set SHOW_CONTEXT never
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
\set VERBOSITY terse
ALTER TABLE ku_src DROP CONSTRAINT IF EXISTS ku_src_pkey CASCADE;
-- the key stays unique: a second row of key 1 is refused, and the
-- dimensions stay equal to the source (before, they took the second row's
-- insert, and its delete took key 1 out of them while the first row was
-- still in the source)
INSERT INTO ku_src VALUES (1, 'dup');
DELETE FROM ku_src WHERE a = 'dup';
SELECT dataeng.dimension_refresh('ku1'), dataeng.dimension_refresh('ku2');
SELECT id, a FROM ku_src ORDER BY id;
SELECT id, a FROM ku1 ORDER BY id;
SELECT id, a, is_current FROM ku2 ORDER BY ku2_sk;
-- a unique index of the key, the only one: DROP INDEX (also CONCURRENTLY,
-- refused before it begins: the index stays valid)
CREATE UNIQUE INDEX ku_src_id_idx ON ku_src (id);
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
DROP INDEX ku_src_id_idx;
DROP INDEX IF EXISTS ku_missing, ku_src_id_idx;
DROP INDEX CONCURRENTLY ku_src_id_idx;
SELECT indexrelid::regclass, indisvalid, indisready FROM pg_index WHERE indrelid = 'ku_src'::regclass;
-- what does not leave the key: another one made first, a primary key
-- replaced in one statement, a deferrable, partial or two-column unique
-- key does not count
ALTER TABLE ku_src ADD CONSTRAINT ku_src_pkey PRIMARY KEY (id);
DROP INDEX ku_src_id_idx;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey, ADD CONSTRAINT ku_src_pkey PRIMARY KEY (id);
ALTER TABLE ku_src ADD CONSTRAINT ku_src_def UNIQUE (id) DEFERRABLE,
                   ADD CONSTRAINT ku_src_two UNIQUE (id, a);
CREATE UNIQUE INDEX ku_src_part ON ku_src (id) WHERE id > 0;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey, ADD CONSTRAINT ku_src_uniq UNIQUE (id);
ALTER TABLE ku_src DROP CONSTRAINT ku_src_uniq;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_def, DROP CONSTRAINT ku_src_two;
DROP INDEX ku_src_part;
-- REINDEX and a type change rebuild it
REINDEX TABLE ku_src;
REINDEX INDEX CONCURRENTLY ku_src_uniq;
ALTER TABLE ku_src ALTER COLUMN id TYPE bigint;
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'ku_src'::regclass;
-- an index dropped with what it depends on (its collation, DROP SCHEMA
-- ... CASCADE of the schema holding it)
CREATE SCHEMA ku_coll;
CREATE COLLATION ku_coll.c (locale = 'C');
CREATE TABLE ku_src2 (code text NOT NULL, a text);
CREATE UNIQUE INDEX ku_src2_code ON ku_src2 (code COLLATE ku_coll.c);
SELECT dataeng.dimension_create('ku3', 'ku_src2', 'code', '{a}', 1, schedule => NULL);
DROP COLLATION ku_coll.c CASCADE;
DROP SCHEMA ku_coll CASCADE;
SELECT count(*) FROM pg_index WHERE indrelid = 'ku_src2'::regclass;
-- other tables' unique indexes, the dimension's own: as before
CREATE TABLE ku_other (id int PRIMARY KEY);
ALTER TABLE ku_other DROP CONSTRAINT ku_other_pkey;
DROP INDEX ku2_id_idx;
-- once the dimensions are dropped (or their source), so may the key be
SELECT dataeng.dimension_drop('ku1'), dataeng.dimension_drop('ku2');
ALTER TABLE ku_src DROP CONSTRAINT ku_src_uniq;
DROP TABLE ku_src2;
SELECT dataeng.dimension_drop('ku3');
DROP TABLE ku_src, ku_other;
DROP SCHEMA ku_coll CASCADE;
DROP EXTENSION dataeng CASCADE;
