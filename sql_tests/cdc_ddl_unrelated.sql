-- CREATE TABLE and ALTER TABLE of tables dataeng does not track run none
-- of its PL/pgSQL (src/cdc/ddl_gate.c: the event triggers' functions look
-- first, in memory or in the few rows of the definitions; src/cdc/ddl.c:
-- with no table captured, the capture trigger looks at dataeng.cdc_tables
-- and stops): before, each ran the output plugin's recorder trigger, the
-- dimensions' ALTER trigger, the facts' and dimensions' rename trigger
-- (before and after), and, with no table captured, the capture's partition
-- and rename work.  The same statements on a dimension's source still do
-- their work.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;
CREATE VIEW ddu_plpgsql_calls AS
  SELECT coalesce(sum(s.calls), 0) AS plpgsql_calls,
         string_agg(DISTINCT s.funcname, ', ') AS functions
    FROM pg_stat_xact_user_functions s
    JOIN pg_proc p ON p.oid = s.funcid
    JOIN pg_language l ON l.oid = p.prolang
   WHERE l.lanname = 'plpgsql' AND s.schemaname IN ('dataeng', 'dataeng_internal');
SET track_functions = 'all';
-- (each count is of its own transaction: the counts of those before are
-- flushed first)
-- nothing captured, no fact or dimension
SELECT pg_stat_force_next_flush();
BEGIN;
CREATE TABLE ddu_plain (id int, v text);
CREATE TABLE ddu_parted (id int) PARTITION BY LIST (id);
CREATE TABLE ddu_part PARTITION OF ddu_parted FOR VALUES IN (1);
ALTER TABLE ddu_plain ADD COLUMN w int;
ALTER TABLE ddu_plain ALTER COLUMN v TYPE varchar(20);
ALTER TABLE ddu_plain RENAME COLUMN w TO w2;
ALTER TABLE IF EXISTS ddu_missing ADD COLUMN x int;
SELECT * FROM ddu_plpgsql_calls;
COMMIT;
-- a dimension (its source captured): other tables' CREATE and ALTER
CREATE TABLE ddu_src (id int PRIMARY KEY, name varchar(10));
INSERT INTO ddu_src VALUES (1, 'a');
SELECT dataeng.dimension_create('ddu_dim', 'ddu_src', 'id', ARRAY['name'], 1, schedule => NULL);
SELECT pg_stat_force_next_flush();
BEGIN;
CREATE TABLE ddu_plain2 (id int, v text);
ALTER TABLE ddu_plain2 ADD COLUMN w int;
ALTER TABLE ddu_plain2 ALTER COLUMN v TYPE varchar(20);
ALTER TABLE ddu_plain2 OWNER TO CURRENT_USER;
SELECT * FROM ddu_plpgsql_calls;
COMMIT;
-- the dimension's source: its work runs
SELECT pg_stat_force_next_flush();
BEGIN;
ALTER TABLE ddu_src ADD COLUMN extra int;
SELECT * FROM ddu_plpgsql_calls;
COMMIT;
SELECT pg_stat_force_next_flush();
BEGIN;
ALTER TABLE ddu_src RENAME TO ddu_src2;
SELECT * FROM ddu_plpgsql_calls;
SELECT source_table FROM dataeng_internal.dimension_defs WHERE name = 'ddu_dim';
COMMIT;
UPDATE ddu_src2 SET name = 'b';
SELECT dataeng.dimension_refresh('ddu_dim');
SELECT id, name FROM ddu_dim;
RESET track_functions;

SET client_min_messages = warning;
SELECT dataeng.dimension_drop('ddu_dim');
DROP VIEW ddu_plpgsql_calls;
DROP TABLE ddu_src2, ddu_plain, ddu_plain2, ddu_parted;
DROP EXTENSION dataeng CASCADE;
