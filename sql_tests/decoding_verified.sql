-- Schema-change records come from the extension's table, not from messages
-- anyone can write: the event triggers insert each DDL event into
-- dataeng_internal._ddl_events (PUBLIC cannot write it) and the plugin outputs
-- decoded inserts into it as records with "verified": true; a 'dataeng.ddl'
-- logical message (pg_logical_emit_message is PUBLIC's) comes out with
-- "verified": false.  The query text is left out unless a superuser turns
-- dataeng.ddl_include_query on.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('ver_slot', 'dataeng');
CREATE ROLE ver_user;
GRANT CREATE ON SCHEMA public TO ver_user;
SET ROLE ver_user;
-- a forged record, exactly like a real one, claiming role postgres
SELECT pg_logical_emit_message(true, 'dataeng.ddl',
         '{"command_tag": "DROP TABLE", "schema": "public", "table": "ver_t", "role": "postgres", "columns": null}')
       IS NOT NULL AS forged;
-- the table is not PUBLIC's to write
INSERT INTO dataeng_internal._ddl_events (event) VALUES ('{"table": "ver_t"}');
-- the recording functions work only inside an event trigger
SELECT dataeng_internal._decoding_record_ddl('postgres');
SELECT dataeng_internal._decoding_record_drop('postgres');
SELECT dataeng_internal._decoding_put('postgres', '{}');
-- a real DDL of the role: verified, under its name, without the query text
-- (the query string holds more than the DDL)
CREATE TABLE ver_t (id int PRIMARY KEY); ALTER ROLE ver_user PASSWORD 'secret-pw';
INSERT INTO ver_t VALUES (1);
RESET ROLE;
-- the role named is one the session's role is a member of, else the
-- session's role: a session of ver_user running DDL inside a function owned
-- by a superuser is recorded under ver_user
CREATE FUNCTION ver_definer() RETURNS void LANGUAGE sql SECURITY DEFINER
  SET search_path = public, pg_catalog AS $$ ALTER TABLE public.ver_t ADD COLUMN v text $$;
ALTER TABLE ver_t OWNER TO CURRENT_USER;
SET SESSION AUTHORIZATION ver_user;
SELECT ver_definer();
RESET SESSION AUTHORIZATION;
-- the table stays empty
SELECT count(*) AS ddl_events_rows FROM dataeng_internal._ddl_events;

SELECT r->>'op' AS op, r->>'table' AS tbl, r->'verified' AS verified, r->'ddl'->>'role' AS role,
       r->'ddl'->>'command_tag' AS tag, r->'ddl' ? 'query' AS has_query,
       position('secret-pw' IN r::text) > 0 AS shows_password
  FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
          FROM pg_logical_slot_peek_changes('ver_slot', NULL, NULL)) q
 ORDER BY ord;
-- the events table's own changes are not output as changes, whatever the filters
SELECT count(*) FILTER (WHERE r->>'table' = '_ddl_events') AS events_table_records,
       count(*) FILTER (WHERE r->>'op' = 'DDL') AS ddl_records
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('ver_slot', NULL, NULL,
          'include_tables', 'dataeng.*,ver_t')) q;
-- format=debezium says it too
SELECT r->'verified' AS verified, r->'source'->>'table' AS tbl
  FROM (SELECT data::jsonb AS r, row_number() OVER () AS ord
          FROM pg_logical_slot_get_changes('ver_slot', NULL, NULL, 'format', 'debezium')) q
 WHERE r ? 'tableChanges' ORDER BY ord;

-- dataeng.ddl_include_query: only a superuser sets it; then the query is in
SET ROLE ver_user;
SET dataeng.ddl_include_query = on;
RESET ROLE;
SHOW dataeng.ddl_include_query;
SET dataeng.ddl_include_query = on;
ALTER TABLE ver_t ADD COLUMN w int;
RESET dataeng.ddl_include_query;
SELECT r->'ddl'->>'query' AS query
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_get_changes('ver_slot', NULL, NULL)) q
 WHERE r->>'op' = 'DDL';

SELECT pg_drop_replication_slot('ver_slot');
DROP TABLE ver_t;
DROP FUNCTION ver_definer();
REVOKE CREATE ON SCHEMA public FROM ver_user;
DROP ROLE ver_user;
DROP EXTENSION dataeng CASCADE;
