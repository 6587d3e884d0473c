-----------------------------------------------------------------------------
-- The dataeng output plugin (src/cdc/decoder*.c, docs/decoding.md): DDL in
-- the decoded stream.
--
-- After CREATE TABLE, ALTER TABLE and DROP TABLE (and the drops of DROP
-- SCHEMA and DROP OWNED), these event triggers record each table's change
-- as a JSON object in a row of dataeng_internal.@DECODER_DDL_TABLE@, inserted and
-- deleted again in the same transaction (the table stays empty); the
-- plugin outputs each decoded insert into it as a schema-change record
-- ("verified": true) in the same ordered stream, where the change records
-- that follow use the new columns.  PUBLIC cannot write that table, so a
-- verified record is one these triggers wrote.  A logical message with
-- prefix @DECODER_DDL_PREFIX@ (which any role may write with
-- pg_logical_emit_message) is output with "verified": false.
--
-- They record only when wal_level is logical and a logical slot of this
-- database uses the dataeng plugin: otherwise nothing could read the
-- record.  They report every permanent table (the plugin's include_tables
-- / exclude_tables filter them like changes).  The query text is recorded
-- only when the superuser-only setting dataeng.ddl_include_query is on.
--
-- Rights: the event trigger functions are plain invoker-rights PL/pgSQL
-- with a pinned search_path: they run as the role that ran the DDL and
-- read only catalogs that role may read.  They call _decoding_record_ddl()
-- and _decoding_record_drop(), the only SECURITY DEFINER functions here:
-- they take nothing from the caller but its role name (kept only when the
-- session's role is a member of it, else the session's role is recorded),
-- work only inside an event trigger (pg_event_trigger_ddl_commands() and
-- pg_event_trigger_dropped_objects() raise an error elsewhere), and
-- describe the tables from the catalogs themselves.
-----------------------------------------------------------------------------

CREATE TABLE dataeng_internal.@DECODER_DDL_TABLE@ (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  @DECODER_DDL_COLUMN@ text NOT NULL
);
REVOKE ALL ON dataeng_internal.@DECODER_DDL_TABLE@ FROM PUBLIC;
COMMENT ON TABLE dataeng_internal.@DECODER_DDL_TABLE@ IS
  'DDL events for the dataeng output plugin: each row is inserted and deleted in the transaction of its DDL';

-- The role recorded for the DDL, whether the query text is recorded, and
-- the row itself (decoding sees the insert; the delete keeps the table empty)
CREATE FUNCTION dataeng_internal._decoding_put(caller name, event jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  row_id bigint;
BEGIN
  event := event OPERATOR(pg_catalog.||) jsonb_build_object('role',
             CASE WHEN pg_has_role(session_user, caller, 'MEMBER') THEN caller ELSE session_user END);
  -- the query text only when a superuser said so (the setting is superuser-only)
  IF EXISTS (SELECT FROM pg_settings s
              WHERE s.name OPERATOR(pg_catalog.=) 'dataeng.ddl_include_query'
                AND s.context OPERATOR(pg_catalog.=) 'superuser'
                AND s.setting OPERATOR(pg_catalog.=) 'on') THEN
    event := event OPERATOR(pg_catalog.||) jsonb_build_object('query', current_query());
  END IF;
  INSERT INTO dataeng_internal.@DECODER_DDL_TABLE@ (@DECODER_DDL_COLUMN@) VALUES (event::text) RETURNING id INTO row_id;
  DELETE FROM dataeng_internal.@DECODER_DDL_TABLE@ WHERE id OPERATOR(pg_catalog.=) row_id;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._decoding_put(name, jsonb) IS
  'internal: record one DDL event for the dataeng output plugin (inserted and deleted in the DDL''s transaction)';
REVOKE ALL ON FUNCTION dataeng_internal._decoding_put(name, jsonb) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._decoding_record_ddl(caller name)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  -- raises an error outside an event trigger.  An ALTER TABLE reaches the
  -- partitions and inheritance children of the table it names (ADD COLUMN,
  -- ALTER TYPE, ...) but reports only that table: their records name them,
  -- so they are reported too.
  FOR r IN
    WITH RECURSIVE tree(command_tag, oid) AS (
      SELECT d.command_tag, d.objid
        FROM pg_event_trigger_ddl_commands() d
       WHERE d.classid OPERATOR(pg_catalog.=) 'pg_class'::regclass
      UNION
      SELECT t.command_tag, i.inhrelid
        FROM tree t
        JOIN pg_inherits i ON i.inhparent OPERATOR(pg_catalog.=) t.oid
       WHERE t.command_tag OPERATOR(pg_catalog.=) 'ALTER TABLE'
    )
    SELECT DISTINCT ON (c.oid) t.command_tag, c.oid, n.nspname, c.relname
      FROM tree t
      JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) t.oid
      JOIN pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND c.relpersistence OPERATOR(pg_catalog.=) 'p'
     ORDER BY c.oid
  LOOP
    -- the table's columns after the change; key: in the replica identity
    -- index, else the primary key
    PERFORM dataeng_internal._decoding_put(caller,
      jsonb_build_object(
        'command_tag', r.command_tag, 'schema', r.nspname, 'table', r.relname,
        -- the same across RENAME and SET SCHEMA: what ties the names together
        'oid', r.oid::bigint,
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
                       AND NOT a.attisdropped)));
  END LOOP;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._decoding_record_ddl(name) IS
  'internal: record the DDL commands of the current statement for the dataeng output plugin';

CREATE FUNCTION dataeng_internal._decoding_record_drop(caller name)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  -- raises an error outside a sql_drop event trigger
  FOR r IN
    SELECT d.objid, d.schema_name, d.object_name
      FROM pg_event_trigger_dropped_objects() d
     WHERE d.object_type OPERATOR(pg_catalog.=) 'table' AND NOT d.is_temporary
  LOOP
    PERFORM dataeng_internal._decoding_put(caller,
              jsonb_build_object('command_tag', 'DROP TABLE', 'schema', r.schema_name,
                                 'table', r.object_name, 'oid', r.objid::bigint,
                                 'columns', NULL));
  END LOOP;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._decoding_record_drop(name) IS
  'internal: record the tables the current statement dropped for the dataeng output plugin';

-- (C: src/cdc/ddl_gate.c.  Nothing could read the record without
-- wal_level logical and a dataeng slot of this database: only then does
-- it call _decoding_record_ddl(current_user), as the role that ran the DDL)
CREATE FUNCTION dataeng_internal._decoding_on_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_decoding_on_ddl'
LANGUAGE C;
COMMENT ON FUNCTION dataeng_internal._decoding_on_ddl() IS
  'internal: event trigger at ddl_command_end feeding the dataeng output plugin';
REVOKE ALL ON FUNCTION dataeng_internal._decoding_on_ddl() FROM PUBLIC;

-- (C: src/cdc/ddl_gate.c.  Nothing could read the record without
-- wal_level logical and a dataeng slot of this database: only then does
-- it call _decoding_record_drop(current_user), as the role that ran the DDL)
CREATE FUNCTION dataeng_internal._decoding_on_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_decoding_on_drop'
LANGUAGE C;
COMMENT ON FUNCTION dataeng_internal._decoding_on_drop() IS
  'internal: event trigger at sql_drop feeding the dataeng output plugin';
REVOKE ALL ON FUNCTION dataeng_internal._decoding_on_drop() FROM PUBLIC;

CREATE EVENT TRIGGER dataeng_decoding_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
  EXECUTE FUNCTION dataeng_internal._decoding_on_ddl();
CREATE EVENT TRIGGER dataeng_decoding_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._decoding_on_drop();
