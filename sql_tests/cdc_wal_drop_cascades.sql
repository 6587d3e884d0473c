-- CDC from the WAL: a DROP that takes a captured table with it through a
-- dependency waits for the worker to record the changes committed before
-- it, as DROP TABLE does (cdc_wal_drop_waits.sql): DROP OWNED ... CASCADE
-- of the role owning the schema another role's captured table is in, and
-- DROP SCHEMA ... CASCADE of the schema holding the type of a typed
-- captured table in another schema, and a DROP DOMAIN or TYPE ... CASCADE
-- that drops a column of a captured table.  None waited: the changes still
-- waiting in the WAL were lost.  The worker is held in its round by a
-- table whose generated column takes a second to compute, so that the
-- DROP comes while the changes wait.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE FUNCTION dc_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN x * 2; END $$;
CREATE TABLE dc_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.dc_slow(id)) STORED);
SELECT dataeng.cdc_enable('dc_slow', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- 1. DROP OWNED BY the owner of a schema, CASCADE: another role's table in
-- that schema goes with it
SET client_min_messages = warning;
CREATE ROLE dc_schema_owner;
CREATE ROLE dc_table_owner;
CREATE SCHEMA dc_s AUTHORIZATION dc_schema_owner;
GRANT USAGE, CREATE ON SCHEMA dc_s TO dc_table_owner;
SET ROLE dc_table_owner;
CREATE TABLE dc_s.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dc_s.t', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'dc_s.t'::regclass::oid AS dco_oid \gset
INSERT INTO dc_slow (id) VALUES (1);
INSERT INTO dc_s.t VALUES (1), (2);
SET client_min_messages = warning;
DROP OWNED BY dc_schema_owner CASCADE;
RESET client_min_messages;
SELECT to_regclass('dc_s.t') AS table_left;
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = :dco_oid ORDER BY change_id;

-- 2. DROP SCHEMA ... CASCADE of the schema holding the type of a typed
-- table in another schema
SET client_min_messages = warning;
CREATE SCHEMA dc_types;
CREATE TYPE dc_types.row_t AS (id int, v text);
CREATE TABLE dc_typed OF dc_types.row_t (PRIMARY KEY (id));
SELECT dataeng.cdc_enable('dc_typed', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'dc_typed'::regclass::oid AS dct_oid \gset
INSERT INTO dc_slow (id) VALUES (2);
INSERT INTO dc_typed VALUES (1, 'a');
SET client_min_messages = warning;
DROP SCHEMA dc_types CASCADE;
RESET client_min_messages;
SELECT to_regclass('dc_typed') AS table_left;
SELECT op, pk, new_row FROM dataeng_internal.change_log WHERE table_oid = :dct_oid ORDER BY change_id;

-- 3. DROP DOMAIN or TYPE ... CASCADE that drops a column of a table (the
-- table stays): the changes waiting kept the column's value (they lost it,
-- where the capture trigger had recorded it, and ALTER TABLE ... DROP
-- COLUMN waited)
SET client_min_messages = warning;
CREATE DOMAIN dc_pos AS int CHECK (VALUE > 0);
CREATE TYPE dc_mood AS ENUM ('ok', 'sad');
CREATE TABLE dc_cols (id int PRIMARY KEY, p dc_pos, m dc_mood, v text);
SELECT dataeng.cdc_enable('dc_cols', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO dc_slow (id) VALUES (3);
INSERT INTO dc_cols VALUES (1, 5, 'sad', 'a');
SET client_min_messages = warning;
DROP DOMAIN dc_pos CASCADE;
INSERT INTO dc_slow (id) VALUES (4);
INSERT INTO dc_cols VALUES (2, 'ok', 'b');
DROP TYPE dc_mood CASCADE;
RESET client_min_messages;
SELECT dataeng.cdc_wal_sync();
SELECT op, pk, new_row FROM dataeng.changes WHERE table_name = 'dc_cols'::regclass ORDER BY change_id;
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'dc_cols'::regclass;

SELECT dataeng.cdc_wal_sync();
SET client_min_messages = warning;
DROP TABLE dc_cols;
DROP TABLE dc_slow;
DROP FUNCTION dc_slow(int);
DROP ROLE dc_schema_owner;
DROP ROLE dc_table_owner;
DROP EXTENSION dataeng CASCADE;
