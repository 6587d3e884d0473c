-- Message content is untrusted: pg_logical_emit_message is executable by
-- PUBLIC, so any role can write a 'dataeng.ddl' message.  Whatever its
-- content, the dataeng output plugin never raises an error on it (an error
-- would stop every read of the slot at that LSN) and never spends more than
-- linear time on it.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('untrusted_slot', 'dataeng');
CREATE ROLE untrusted_user;
SET ROLE untrusted_user;
-- nested 200000 levels deep: not parsed (past 64 levels), written as a string
SELECT pg_logical_emit_message(true, 'dataeng.ddl', repeat('[', 200000)) IS NOT NULL AS deep;
-- 64 levels parse; 65 do not
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"table": "t64", "x": ' || repeat('[', 63) || repeat(']', 63) || '}') IS NOT NULL AS depth_64;
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"table": "t65", "x": ' || repeat('[', 64) || repeat(']', 64) || '}') IS NOT NULL AS depth_65;
-- brackets inside strings are not nesting
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"table": "tstr", "x": "' || repeat('[', 1000) || '\"{"}') IS NOT NULL AS in_string;
-- over 1 MB: left out, with a marker
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"table": "big", "x": "' || repeat('x', 1024 * 1024) || '"}') IS NOT NULL AS big;
-- a table name longer than a name can be is not valid
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"table": "' || repeat('n', 64) || '"}') IS NOT NULL AS long_name;
RESET ROLE;
CREATE TABLE untrusted_t (id int PRIMARY KEY);
INSERT INTO untrusted_t VALUES (1);

-- every record is read, and the change after them too
SELECT r->>'op' AS op, r->>'table' AS tbl, jsonb_typeof(r->'ddl') AS ddl_type,
       CASE WHEN jsonb_typeof(r->'ddl') = 'string' THEN left(r->>'ddl', 70) END AS ddl_start,
       length(r->>'ddl') AS ddl_length
  FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
          FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL)) q
 WHERE r->>'table' IS DISTINCT FROM 'untrusted_t' OR r->>'op' <> 'DDL'
 ORDER BY ord;
-- the same in format=debezium
SELECT jsonb_typeof(r->'dataeng') AS dataeng_type, r->'source'->>'table' AS tbl
  FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
          FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL, 'format', 'debezium')) q
 ORDER BY ord;

-- Table patterns are matched in linear time, whatever the name: a pattern
-- of many stars against a long name that almost matches
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"schema": "' || repeat('a', 63) || '", "table": "' || repeat('a', 63) || '"}') IS NOT NULL AS long_names;
SET statement_timeout = '20s';
SELECT count(*) AS records
  FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL,
         'include_tables', repeat('*a', 30) || '*b.*', 'exclude_tables', repeat('a*', 40) || 'b');
RESET statement_timeout;
-- glob semantics kept: stars, escapes, qualified patterns
CREATE TABLE "un*trusted" (id int);
INSERT INTO "un*trusted" VALUES (1);
SELECT string_agg(DISTINCT r->>'table', ', ' ORDER BY r->>'table') AS tables
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL,
          'include_tables', 'un*t*ed*', 'include_ddl', 'off')) q;
SELECT string_agg(DISTINCT r->>'table', ', ' ORDER BY r->>'table') AS tables
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL,
          'include_tables', 'public.un\*tr*', 'include_ddl', 'off')) q;
SELECT string_agg(DISTINCT r->>'table', ', ' ORDER BY r->>'table') AS tables
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL,
          'include_tables', '*.*_t', 'include_ddl', 'off')) q;
SELECT string_agg(DISTINCT r->>'table', ', ' ORDER BY r->>'table') AS tables
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('untrusted_slot', NULL, NULL,
          'include_tables', 'untrusted_', 'include_ddl', 'off')) q;

SELECT pg_drop_replication_slot('untrusted_slot');
DROP TABLE untrusted_t, "un*trusted";
DROP ROLE untrusted_user;
DROP EXTENSION dataeng CASCADE;
