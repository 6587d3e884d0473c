-- Dimensions: the source's unique index on the key column dropped after
-- dimension_create (which asks for one).  ALTER TABLE ... DROP CONSTRAINT
-- of the primary key, or DROP INDEX of a unique index, went through
-- unnoticed; two source rows could then have one key, and the refresh
-- applied both rows' changes to one dimension row: the second row's insert
-- overwrote the first's (type 1) or closed its version (type 2), and a
-- delete of the second took the key out of the dimension while the first
-- row was still in the source.  Refusing the statement broke pg_dump
-- --clean scripts (they drop a source's primary key before the source).
-- Now the statement goes through with a WARNING and marks the dimension;
-- dimension_refresh refuses (55000) while the key has no unique index of
-- its own, and once it has one again, the next refresh makes the
-- dimension's current rows equal to the source, as after a TRUNCATE.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE ku_src (id int NOT NULL, a text, CONSTRAINT ku_src_pkey PRIMARY KEY (id));
INSERT INTO ku_src VALUES (1, 'x'), (2, 'y');
SELECT dataeng.dimension_create('ku1', 'ku_src', 'id', '{a}', 1, schedule => NULL),
       dataeng.dimension_create('ku2', 'ku_src', 'id', '{a}', 2, schedule => NULL);
\set VERBOSITY default
\set SHOW_CONTEXT never
-- one WARNING per dimension; both marked
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs ORDER BY name;
-- the refresh refuses while the key has no unique index
SELECT dataeng.dimension_refresh('ku1');
\set VERBOSITY terse
SELECT dataeng.dimension_refresh('ku2');
-- meanwhile a second row of key 1 comes and goes (applied one by one, its
-- delete would take key 1 out of the dimensions), key 2 changes, key 3
-- comes
INSERT INTO ku_src VALUES (1, 'dup');
UPDATE ku_src SET a = 'y2' WHERE id = 2;
DELETE FROM ku_src WHERE a = 'dup';
INSERT INTO ku_src VALUES (3, 'z');
-- other drops warn no more: in the schema, or of the key's table
CREATE TABLE ku_other (id int PRIMARY KEY);
DROP TABLE ku_other;
ALTER TABLE ku_src DROP CONSTRAINT IF EXISTS ku_src_pkey;
-- the key back: the next refresh compares with the whole source, and the
-- dimensions equal it
ALTER TABLE ku_src ADD CONSTRAINT ku_src_pkey PRIMARY KEY (id);
SELECT dataeng.dimension_refresh('ku1'), dataeng.dimension_refresh('ku2');
SELECT name, resync_pending FROM dataeng_internal.dimension_defs ORDER BY name;
SELECT id, a FROM ku_src ORDER BY id;
SELECT id, a FROM ku1 ORDER BY id;
SELECT id, a, is_current, valid_to IS NULL AS open FROM ku2 ORDER BY ku2_sk;
-- then incrementally again
UPDATE ku_src SET a = 'x2' WHERE id = 1;
SELECT dataeng.dimension_refresh('ku1'), dataeng.dimension_refresh('ku2');
SELECT id, a FROM ku1 ORDER BY id;
SELECT id, a, is_current FROM ku2 ORDER BY ku2_sk;
-- a unique index of the key, the only one: DROP INDEX, also
-- CONCURRENTLY, warns (the index is dropped)
CREATE UNIQUE INDEX ku_src_id_idx ON ku_src (id);
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
DROP INDEX ku_src_id_idx;
CREATE UNIQUE INDEX ku_src_id_idx ON ku_src (id);
SELECT dataeng.dimension_refresh('ku1'), dataeng.dimension_refresh('ku2');
SELECT name, resync_pending FROM dataeng_internal.dimension_defs ORDER BY name;
DROP INDEX CONCURRENTLY ku_src_id_idx;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs ORDER BY name;
SELECT count(*) FROM pg_index WHERE indrelid = 'ku_src'::regclass;
-- in one transaction: the drop warns, a later statement of it does not
BEGIN;
CREATE UNIQUE INDEX ku_src_id_idx ON ku_src (id);
DROP INDEX ku_src_id_idx;
CREATE TABLE ku_other (id int PRIMARY KEY);
DROP TABLE ku_other;
COMMIT;
-- what does not leave the key: another one made first, a primary key
-- replaced in one statement, REINDEX (a type change: below); a deferrable,
-- partial or two-column unique key does not count
ALTER TABLE ku_src ADD CONSTRAINT ku_src_pkey PRIMARY KEY (id);
CREATE UNIQUE INDEX ku_src_id_idx ON ku_src (id);
DROP INDEX ku_src_id_idx;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey, ADD CONSTRAINT ku_src_pkey PRIMARY KEY (id);
REINDEX TABLE ku_src;
REINDEX INDEX CONCURRENTLY ku_src_pkey;
ALTER TABLE ku_src ADD CONSTRAINT ku_src_def UNIQUE (id) DEFERRABLE,
                   ADD CONSTRAINT ku_src_two UNIQUE (id, a);
CREATE UNIQUE INDEX ku_src_part ON ku_src (id) WHERE id > 0;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
ALTER TABLE ku_src ADD CONSTRAINT ku_src_uniq UNIQUE (id);
ALTER TABLE ku_src DROP CONSTRAINT ku_src_def, DROP CONSTRAINT ku_src_two;
DROP INDEX ku_src_part;
SELECT dataeng.dimension_refresh('ku1'), dataeng.dimension_refresh('ku2');
SELECT id, a FROM ku1 ORDER BY id;
SELECT id, a, is_current FROM ku2 WHERE is_current ORDER BY ku2_sk;
-- a scheduled refresh fails the same way (job_runs, jobs.last_status)
SELECT dataeng.dimension_create('ku4', 'ku_src', 'id', '{a}', 1, schedule => '1 hour') IS NOT NULL AS created;
ALTER TABLE ku_src DROP CONSTRAINT ku_src_uniq;
SELECT dataeng.job_run_now('dimension_refresh:ku4');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'dimension_refresh:ku4'$$);
SELECT r.status, r.error_message FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
 WHERE j.job_name = 'dimension_refresh:ku4' ORDER BY r.run_id;
SELECT dataeng.dimension_drop('ku4');
ALTER TABLE ku_src ADD PRIMARY KEY (id);
ALTER TABLE ku_src ALTER COLUMN id TYPE bigint;
-- an index dropped with what it depends on (its collation, DROP SCHEMA
-- ... CASCADE of the schema holding it)
CREATE SCHEMA ku_coll;
CREATE COLLATION ku_coll.c (locale = 'C');
CREATE TABLE ku_src2 (code text NOT NULL, a text);
CREATE UNIQUE INDEX ku_src2_code ON ku_src2 (code COLLATE ku_coll.c);
INSERT INTO ku_src2 VALUES ('a', 'x');
SELECT dataeng.dimension_create('ku3', 'ku_src2', 'code', '{a}', 1, schedule => NULL);
DROP COLLATION ku_coll.c CASCADE;
CREATE COLLATION ku_coll.c (locale = 'C');
CREATE UNIQUE INDEX ku_src2_code ON ku_src2 (code COLLATE ku_coll.c);
DROP SCHEMA ku_coll CASCADE;
SELECT count(*) FROM pg_index WHERE indrelid = 'ku_src2'::regclass;
SELECT dataeng.dimension_refresh('ku3');
-- other tables' unique indexes, the dimension's own: as before
CREATE TABLE ku_other (id int PRIMARY KEY);
ALTER TABLE ku_other DROP CONSTRAINT ku_other_pkey;
DROP INDEX ku2_id_idx;
-- the source dropped: as before (no warning; the refresh says so)
DROP TABLE ku_src2;
SELECT dataeng.dimension_refresh('ku3');
SELECT dataeng.dimension_drop('ku1'), dataeng.dimension_drop('ku2'), dataeng.dimension_drop('ku3');
ALTER TABLE ku_src DROP CONSTRAINT ku_src_pkey;
DROP TABLE ku_src, ku_other;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
