-- DDL in the decoded stream: the event triggers of sql/decoding.sql write
-- a logical message after CREATE/ALTER/DROP TABLE when a dataeng slot
-- exists, and the dataeng output plugin writes it as a schema-change record
-- in commit order, before the changes that use the new columns.  The
-- triggers run with the rights of the role that ran the DDL.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'
-- the records carry the query text only when a superuser turns it on
-- (off by default: decoding_verified.sql)
SET dataeng.ddl_include_query = on;

-- Without a dataeng slot nothing is written (a test_decoding slot shows
-- every logical message)
SELECT 'init' FROM pg_create_logical_replication_slot('ddl_td', 'test_decoding');
CREATE TABLE ddl_a (id int PRIMARY KEY);
SELECT count(*) FILTER (WHERE data LIKE 'message:%dataeng.ddl%') AS ddl_messages
  FROM pg_logical_slot_get_changes('ddl_td', NULL, NULL);

SELECT 'init' FROM pg_create_logical_replication_slot('ddl_slot', 'dataeng');
CREATE TABLE ddl_b (id int PRIMARY KEY, v text);
INSERT INTO ddl_b VALUES (1, 'a');
ALTER TABLE ddl_b ADD COLUMN w numeric NOT NULL DEFAULT 0;
INSERT INTO ddl_b VALUES (2, 'b', 2.5);
ALTER TABLE ddl_b RENAME COLUMN v TO vv;
UPDATE ddl_b SET vv = 'c' WHERE id = 2;
CREATE TEMP TABLE ddl_tmp (x int);
CREATE UNLOGGED TABLE ddl_unlogged (x int);
BEGIN;
CREATE TABLE ddl_rolled_back (x int);
ROLLBACK;
CREATE TABLE ddl_c AS SELECT 1 AS x;
DROP TABLE ddl_c;
CREATE SCHEMA ddl_s;
CREATE TABLE ddl_s.t1 (id int);
DROP SCHEMA ddl_s CASCADE;
CREATE TEMP TABLE ddl_out AS
  SELECT data::jsonb AS r, row_number() OVER () AS ord
    FROM pg_logical_slot_peek_changes('ddl_slot', NULL, NULL);
SELECT r->>'op' AS op, r->>'schema' AS schema, r->>'table' AS tbl,
       r->'ddl'->>'command_tag' AS tag, r->'ddl'->>'query' AS query, r->'new' AS new
  FROM ddl_out ORDER BY ord;
-- a schema-change record lists the columns after the change
SELECT r->'ddl'->'columns' AS columns, r->'ddl'->>'role' AS role
  FROM ddl_out WHERE r->'ddl'->>'query' LIKE 'ALTER TABLE ddl_b ADD%';
-- it carries the transaction's xid and commit, like a change
SELECT bool_and(jsonb_typeof(r->'xid') = 'number') AS ddl_has_xid,
       bool_and((r->>'lsn')::pg_lsn <= (r->>'commit_lsn')::pg_lsn) AS ddl_not_after_commit
  FROM ddl_out WHERE r->>'op' = 'DDL';
-- the table filters apply to DDL records; include_ddl=off leaves them out
SELECT string_agg(DISTINCT data::jsonb->>'op' || ' ' || (data::jsonb->>'table'), ', ') AS only_ddl_c
  FROM pg_logical_slot_peek_changes('ddl_slot', NULL, NULL, 'include_tables', 'public.ddl_c');
SELECT count(*) FILTER (WHERE data::jsonb->>'op' = 'DDL') AS ddl_records
  FROM pg_logical_slot_peek_changes('ddl_slot', NULL, NULL, 'include_ddl', 'off');
-- in format=debezium: Debezium's schema change event
SELECT (r - 'ts_ms' - 'dataeng' - 'databaseName') #- '{source,ts_ms}' #- '{source,txId}' #- '{source,lsn}' #- '{source,sequence}'
         #- '{source,db}' AS event,
       r->'dataeng'->>'command_tag' AS tag,
       r->>'databaseName' = current_database() AND r->'source'->>'db' = current_database() AS db
  FROM (SELECT data::jsonb AS r
          FROM pg_logical_slot_get_changes('ddl_slot', NULL, NULL, 'format', 'debezium',
                                           'include_tables', 'ddl_b', 'name', 'shop')) q
 WHERE r ? 'ddl';

-- Rights: the triggers are plain invoker-rights functions with a pinned
-- search_path, not executable by PUBLIC; the recording functions they call
-- are SECURITY DEFINER and work only inside an event trigger
-- (decoding_verified.sql); _decoding_put is not PUBLIC's
SELECT p.proname, p.prosecdef, p.proconfig, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND p.proname LIKE '\_decoding%'
 ORDER BY 1;
-- they run as the role that ran the DDL: a plain role's DDL is reported
-- under its name, and a search_path of its own does not reach them
CREATE ROLE ddl_user;
GRANT CREATE ON SCHEMA public TO ddl_user;
SET ROLE ddl_user;
CREATE FUNCTION public.pg_logical_emit_message(boolean, text, text) RETURNS pg_lsn
  LANGUAGE sql AS $$ SELECT '0/0'::pg_lsn $$;
SET search_path = public, pg_catalog;
CREATE TABLE ddl_user_t (id int);
RESET search_path;
RESET ROLE;
SELECT data::jsonb->'ddl'->>'role' AS role, data::jsonb->>'table' AS tbl
  FROM pg_logical_slot_get_changes('ddl_slot', NULL, NULL) WHERE data::jsonb->>'op' = 'DDL';
-- a message any role may write with the prefix is data: not valid JSON, it
-- comes out as a string
SELECT pg_logical_emit_message(true, 'dataeng.ddl', '{"table": "x", oops') IS NOT NULL AS written;
SELECT data::jsonb->'ddl' AS ddl FROM pg_logical_slot_get_changes('ddl_slot', NULL, NULL);

SELECT pg_drop_replication_slot('ddl_slot');
SELECT pg_drop_replication_slot('ddl_td');
DROP TABLE ddl_a, ddl_b, ddl_unlogged, ddl_user_t;
DROP FUNCTION public.pg_logical_emit_message(boolean, text, text);
REVOKE CREATE ON SCHEMA public FROM ddl_user;
DROP ROLE ddl_user;
DROP EXTENSION dataeng CASCADE;
