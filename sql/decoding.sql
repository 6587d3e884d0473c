-----------------------------------------------------------------------------
-- The dataeng output plugin (src/cdc/decoder*.c, docs/decoding.md): DDL in
-- the decoded stream.
--
-- After CREATE TABLE, ALTER TABLE and DROP TABLE (and the drops of DROP
-- SCHEMA and DROP OWNED), these event triggers write a transactional
-- logical message with prefix @DECODER_DDL_PREFIX@ whose content is a JSON
-- object; the plugin outputs it as a schema-change record in the same
-- ordered stream, where the change records that follow use the new columns.
-- They write only when wal_level is logical and a logical slot of this
-- database uses the dataeng plugin: otherwise nothing could read the
-- message.  They report every permanent table (the plugin's
-- include_tables / exclude_tables filter them like changes).
--
-- Rights: plain invoker-rights PL/pgSQL with a pinned search_path: they run
-- as the role that ran the DDL and read only catalogs that role may read.
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng_internal._decoding_on_ddl()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  -- nothing could read the message without wal_level logical and a dataeng slot
  IF current_setting('wal_level') OPERATOR(pg_catalog.<>) 'logical'
     OR NOT EXISTS (SELECT FROM pg_replication_slots s
                     WHERE s.plugin OPERATOR(pg_catalog.=) 'dataeng'
                       AND s.database OPERATOR(pg_catalog.=) current_database()) THEN
    RETURN;
  END IF;
  FOR r IN
    SELECT DISTINCT ON (c.oid) d.command_tag, c.oid, n.nspname, c.relname
      FROM pg_event_trigger_ddl_commands() d
      JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid
      JOIN pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE d.classid OPERATOR(pg_catalog.=) 'pg_class'::regclass
       AND c.relkind IN ('r', 'p') AND c.relpersistence OPERATOR(pg_catalog.=) 'p'
     ORDER BY c.oid
  LOOP
    -- the table's columns after the change; key: in the replica identity
    -- index, else the primary key
    PERFORM pg_logical_emit_message(true, '@DECODER_DDL_PREFIX@',
      jsonb_build_object(
        'command_tag', r.command_tag, 'schema', r.nspname, 'table', r.relname,
        'query', current_query(), 'role', current_user,
        'columns', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                             'name', a.attname,
                             'type', format_type(a.atttypid, a.atttypmod),
                             'not_null', a.attnotnull,
                             'key', coalesce(a.attnum OPERATOR(pg_catalog.=) ANY (i.indkey::int2[]), false))
                           ORDER BY a.attnum), '[]'::jsonb)
                      FROM pg_attribute a
                      LEFT JOIN pg_index i
                        ON i.indrelid OPERATOR(pg_catalog.=) a.attrelid
                       AND (i.indisreplident OR (i.indisprimary AND NOT EXISTS (
                              SELECT FROM pg_index ri
                               WHERE ri.indrelid OPERATOR(pg_catalog.=) a.attrelid AND ri.indisreplident)))
                     WHERE a.attrelid OPERATOR(pg_catalog.=) r.oid AND a.attnum OPERATOR(pg_catalog.>) 0
                       AND NOT a.attisdropped))::text);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._decoding_on_ddl() FROM PUBLIC;

CREATE FUNCTION dataeng_internal._decoding_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  -- nothing could read the message without wal_level logical and a dataeng slot
  IF current_setting('wal_level') OPERATOR(pg_catalog.<>) 'logical'
     OR NOT EXISTS (SELECT FROM pg_replication_slots s
                     WHERE s.plugin OPERATOR(pg_catalog.=) 'dataeng'
                       AND s.database OPERATOR(pg_catalog.=) current_database()) THEN
    RETURN;
  END IF;
  FOR r IN
    SELECT d.schema_name, d.object_name
      FROM pg_event_trigger_dropped_objects() d
     WHERE d.object_type OPERATOR(pg_catalog.=) 'table' AND NOT d.is_temporary
  LOOP
    PERFORM pg_logical_emit_message(true, '@DECODER_DDL_PREFIX@',
              jsonb_build_object('command_tag', 'DROP TABLE', 'schema', r.schema_name,
                                'table', r.object_name, 'query', current_query(),
                                'role', current_user, 'columns', NULL)::text);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._decoding_on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER dataeng_decoding_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
  EXECUTE FUNCTION dataeng_internal._decoding_on_ddl();
CREATE EVENT TRIGGER dataeng_decoding_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._decoding_on_drop();
