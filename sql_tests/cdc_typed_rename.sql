-- CDC of typed tables (CREATE TABLE ... OF a composite type) whose columns
-- ALTER TYPE ... CASCADE renames, drops or retypes.  The capture options
-- (columns, exclude_columns) name columns; ALTER TABLE ... RENAME COLUMN
-- was followed in them, ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE was
-- not: a listed column so renamed was no longer captured, an excluded one
-- was captured under its new name, by the trigger and from the WAL alike.
-- ALTER TYPE ... DROP ATTRIBUTE ... CASCADE left the column's name in
-- columns (a column of that name added later was captured unasked, and
-- dropping the last listed column was not refused).  From the WAL, a
-- change still waiting when the type's attributes were renamed or retyped
-- stopped the table (its changes lost until cdc_enable): the ALTER TYPE
-- did not wait for the worker as it does for tables with a column of the
-- type.
\pset null '(null)'
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
RESET client_min_messages;

-- 1. Trigger capture: a list of columns, a list of excluded columns, and a
-- partitioned typed table whose partition is captured on its own
CREATE TYPE ctr_t AS (id int, a text, b text, c int);
CREATE TABLE ctr_list OF ctr_t (PRIMARY KEY (id));
CREATE TABLE ctr_excl OF ctr_t (PRIMARY KEY (id));
CREATE TABLE ctr_parted OF ctr_t (PRIMARY KEY (id)) PARTITION BY RANGE (id);
CREATE TABLE ctr_parted_1 PARTITION OF ctr_parted FOR VALUES FROM (0) TO (100);
SELECT dataeng.cdc_enable('ctr_list', columns => '{id,a,c}');
SELECT dataeng.cdc_enable('ctr_excl', exclude_columns => '{b}');
SELECT dataeng.cdc_enable('ctr_parted', columns => '{id,a}');
SELECT dataeng.cdc_enable('ctr_parted_1', exclude_columns => '{a}');
INSERT INTO ctr_list VALUES (1, 'a1', 'b1', 1);
INSERT INTO ctr_excl VALUES (1, 'a1', 'b1', 1);
INSERT INTO ctr_parted VALUES (1, 'a1', 'b1', 1);
ALTER TYPE ctr_t RENAME ATTRIBUTE a TO a2 CASCADE;
ALTER TYPE ctr_t RENAME ATTRIBUTE b TO b2 CASCADE;
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctr\_%' ORDER BY table_name::text;
INSERT INTO ctr_list VALUES (2, 'a2', 'b2', 2);
INSERT INTO ctr_excl VALUES (2, 'a2', 'b2', 2);
INSERT INTO ctr_parted VALUES (2, 'a2', 'b2', 2);
-- two names swapped: the captured columns are the same columns
ALTER TYPE ctr_t RENAME ATTRIBUTE a2 TO tmp CASCADE;
ALTER TYPE ctr_t RENAME ATTRIBUTE c TO a2 CASCADE;
ALTER TYPE ctr_t RENAME ATTRIBUTE tmp TO c CASCADE;
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctr\_%' ORDER BY table_name::text;
INSERT INTO ctr_list (id, c, b2, a2) VALUES (3, 'a3', 'b3', 3);
INSERT INTO ctr_excl (id, c, b2, a2) VALUES (3, 'a3', 'b3', 3);
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name::text LIKE 'ctr\_%' ORDER BY table_name::text, change_id;

-- a retyped attribute: the same columns captured
ALTER TYPE ctr_t ALTER ATTRIBUTE c TYPE varchar(10) CASCADE;
INSERT INTO ctr_list VALUES (4, 'c4', 'b4', 4);
-- a dropped attribute leaves columns (of the partition too), and a column
-- of its name added later is not captured unasked; it stays excluded
ALTER TYPE ctr_t DROP ATTRIBUTE c CASCADE;
ALTER TYPE ctr_t DROP ATTRIBUTE b2 CASCADE;
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctr\_%' ORDER BY table_name::text;
ALTER TYPE ctr_t ADD ATTRIBUTE c text CASCADE;
ALTER TYPE ctr_t ADD ATTRIBUTE b2 text CASCADE;
INSERT INTO ctr_list VALUES (5, 5, 'c5', 'b5');
INSERT INTO ctr_excl VALUES (5, 5, 'c5', 'b5');
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name IN ('ctr_list'::regclass, 'ctr_excl'::regclass) AND pk->>'id' IN ('4', '5')
 ORDER BY table_name::text, change_id;
-- dropping the last listed column is refused, as with ALTER TABLE
SELECT dataeng.cdc_enable('ctr_list', columns => '{a2}');
ALTER TYPE ctr_t DROP ATTRIBUTE a2 CASCADE;
SELECT columns FROM dataeng.cdc_tables WHERE table_name = 'ctr_list'::regclass;

-- 2. The DDL gate: with tables captured, an ALTER TYPE of a type none of
-- whose typed tables is captured runs none of capture's PL/pgSQL; the
-- rename of an attribute of a captured typed table's type does
CREATE TYPE ctr_other AS (x int, y text);
CREATE TYPE ctr_uncaptured AS (x int, y text);
CREATE TABLE ctr_plain_typed OF ctr_uncaptured;
CREATE TYPE ctr_mood AS ENUM ('sad', 'ok');
CREATE VIEW ctr_cdc_calls AS
  SELECT coalesce(sum(s.calls), 0) AS cdc_plpgsql_calls,
         string_agg(DISTINCT s.funcname, ', ') AS functions
    FROM pg_stat_xact_user_functions s
    JOIN pg_proc p ON p.oid = s.funcid
    JOIN pg_language l ON l.oid = p.prolang
   WHERE l.lanname = 'plpgsql' AND s.schemaname = 'dataeng_internal'
     AND s.funcname LIKE '\_cdc%';
SET track_functions = 'all';
SELECT pg_stat_force_next_flush();
BEGIN;
ALTER TYPE ctr_other RENAME ATTRIBUTE y TO y2;
ALTER TYPE ctr_other ADD ATTRIBUTE z int;
ALTER TYPE ctr_other ALTER ATTRIBUTE z TYPE bigint;
ALTER TYPE ctr_uncaptured RENAME ATTRIBUTE y TO y2 CASCADE;
ALTER TYPE ctr_uncaptured ADD ATTRIBUTE z int CASCADE;
ALTER TYPE ctr_mood RENAME VALUE 'ok' TO 'fine';
ALTER TYPE ctr_mood ADD VALUE 'glad';
SELECT * FROM ctr_cdc_calls;
COMMIT;
SELECT pg_stat_force_next_flush();
BEGIN;
ALTER TYPE ctr_t RENAME ATTRIBUTE id TO ident CASCADE;
-- (once for each typed table: ctr_list, ctr_excl, ctr_parted)
SELECT s.calls FROM pg_stat_xact_user_functions s
 WHERE s.schemaname = 'dataeng_internal' AND s.funcname = '_cdc_rename_column';
COMMIT;
RESET track_functions;
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctr\_%' ORDER BY table_name::text;

-- 3. WAL capture, beside a typed table of the same type captured by its
-- trigger.  The worker is held in a round by a table whose generated
-- column takes it two seconds to compute (this session, which sets
-- ctr.writer, none), the round begun within the half second after the
-- insert, so that each ALTER TYPE comes while a change written after that
-- insert waits: the ALTER waits for the worker, the change is recorded
-- with the columns of its time, as the trigger records it, and the table
-- goes on.  (Before, such a change stopped the table, capture_error
-- "cannot decode a change of table ... written before its columns
-- changed".)
CREATE FUNCTION ctr_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN
    IF current_setting('ctr.writer', true) IS DISTINCT FROM 'on' THEN
      PERFORM pg_catalog.pg_sleep(2);
    END IF;
    RETURN x * 2;
  END $$;
SET ctr.writer = 'on';
CREATE TABLE ctr_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.ctr_slow(id)) STORED);
CREATE TYPE ctr_w AS (id int, a text, b text, c int, d int);
CREATE TABLE ctr_w_wal OF ctr_w (PRIMARY KEY (id));
CREATE TABLE ctr_w_trg OF ctr_w (PRIMARY KEY (id));
CREATE TABLE ctr_wx_wal OF ctr_w (PRIMARY KEY (id));
CREATE TABLE ctr_wx_trg OF ctr_w (PRIMARY KEY (id));
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('ctr_slow', method => 'wal');
SELECT dataeng.cdc_enable('ctr_w_wal', columns => '{id,a,c,d}', method => 'wal');
SELECT dataeng.cdc_enable('ctr_w_trg', columns => '{id,a,c,d}');
SELECT dataeng.cdc_enable('ctr_wx_wal', exclude_columns => '{b}', method => 'wal');
SELECT dataeng.cdc_enable('ctr_wx_trg', exclude_columns => '{b}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO ctr_slow (id) VALUES (1);
SELECT pg_sleep(0.5);
INSERT INTO ctr_w_wal VALUES (1, 'a1', 'b1', 1, 1);
INSERT INTO ctr_w_trg VALUES (1, 'a1', 'b1', 1, 1);
INSERT INTO ctr_wx_wal VALUES (1, 'a1', 'b1', 1, 1);
INSERT INTO ctr_wx_trg VALUES (1, 'a1', 'b1', 1, 1);
ALTER TYPE ctr_w RENAME ATTRIBUTE a TO a2 CASCADE;
ALTER TYPE ctr_w RENAME ATTRIBUTE b TO b2 CASCADE;
INSERT INTO ctr_w_wal VALUES (2, 'a2', 'b2', 2, 2);
INSERT INTO ctr_w_trg VALUES (2, 'a2', 'b2', 2, 2);
INSERT INTO ctr_wx_wal VALUES (2, 'a2', 'b2', 2, 2);
INSERT INTO ctr_wx_trg VALUES (2, 'a2', 'b2', 2, 2);
INSERT INTO ctr_slow (id) VALUES (2);
SELECT pg_sleep(0.5);
UPDATE ctr_w_wal SET c = 3 WHERE id = 2;
UPDATE ctr_w_trg SET c = 3 WHERE id = 2;
UPDATE ctr_wx_wal SET c = 3 WHERE id = 2;
UPDATE ctr_wx_trg SET c = 3 WHERE id = 2;
ALTER TYPE ctr_w ALTER ATTRIBUTE c TYPE bigint CASCADE;
INSERT INTO ctr_slow (id) VALUES (3);
SELECT pg_sleep(0.5);
UPDATE ctr_w_wal SET d = 4 WHERE id = 2;
UPDATE ctr_w_trg SET d = 4 WHERE id = 2;
UPDATE ctr_wx_wal SET d = 4 WHERE id = 2;
UPDATE ctr_wx_trg SET d = 4 WHERE id = 2;
ALTER TYPE ctr_w DROP ATTRIBUTE d CASCADE;
INSERT INTO ctr_w_wal VALUES (3, 'a3', 'b3', 3);
INSERT INTO ctr_w_trg VALUES (3, 'a3', 'b3', 3);
INSERT INTO ctr_wx_wal VALUES (3, 'a3', 'b3', 3);
INSERT INTO ctr_wx_trg VALUES (3, 'a3', 'b3', 3);
SELECT dataeng.cdc_wal_sync();
SELECT table_name, capture_error FROM dataeng.cdc_status
 WHERE table_name::text LIKE 'ctr\_w%' ORDER BY table_name::text;
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctr\_w%' ORDER BY table_name::text;
SELECT table_name, op, old_row, new_row FROM dataeng.changes
 WHERE table_name IN ('ctr_w_wal'::regclass, 'ctr_wx_wal'::regclass) ORDER BY table_name::text, change_id;
-- the same records as the trigger's
SELECT (SELECT array_agg(row(op, pk, old_row, new_row)::text ORDER BY change_id)
          FROM dataeng.changes WHERE table_name = 'ctr_w_wal'::regclass)
     = (SELECT array_agg(row(op, pk, old_row, new_row)::text ORDER BY change_id)
          FROM dataeng.changes WHERE table_name = 'ctr_w_trg'::regclass) AS list_same_as_trigger,
       (SELECT array_agg(row(op, pk, old_row, new_row)::text ORDER BY change_id)
          FROM dataeng.changes WHERE table_name = 'ctr_wx_wal'::regclass)
     = (SELECT array_agg(row(op, pk, old_row, new_row)::text ORDER BY change_id)
          FROM dataeng.changes WHERE table_name = 'ctr_wx_trg'::regclass) AS excl_same_as_trigger;
-- attributes added only, in a transaction that locked a typed table first
-- (as migrations do): as ALTER TABLE ... ADD COLUMN, no wait for the
-- worker, which could not record that table's changes before the commit
BEGIN;
LOCK TABLE ctr_w_wal IN ACCESS EXCLUSIVE MODE;
ALTER TYPE ctr_w ADD ATTRIBUTE e int CASCADE;
COMMIT;

RESET ctr.writer;
SET client_min_messages = warning;
DROP VIEW ctr_cdc_calls;
DROP TABLE ctr_list, ctr_excl, ctr_parted, ctr_plain_typed, ctr_slow,
  ctr_w_wal, ctr_w_trg, ctr_wx_wal, ctr_wx_trg;
DROP TYPE ctr_t, ctr_other, ctr_uncaptured, ctr_mood, ctr_w;
DROP FUNCTION ctr_slow(int);
DROP EXTENSION dataeng CASCADE;
