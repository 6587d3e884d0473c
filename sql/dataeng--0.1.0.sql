/* sql/dataeng--0.1.0.sql: install script of dataeng 0.1.0 */

\echo Use "CREATE EXTENSION dataeng" to load this file. \quit

CREATE SCHEMA dataeng;
COMMENT ON SCHEMA dataeng IS 'dataeng: change data capture, validation, cleansing, aggregation';
GRANT USAGE ON SCHEMA dataeng TO PUBLIC;

-----------------------------------------------------------------------------
-- Foundation
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.info(OUT version text, OUT preloaded boolean, OUT enabled boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_info'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.info() IS
  'Library version, whether it was loaded via shared_preload_libraries, and dataeng.enabled';

CREATE FUNCTION dataeng.require_preload(feature text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_require_preload_sql'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.require_preload(text) IS
  'Raises an error with a hint when the library was not loaded via shared_preload_libraries';

-- Whether the caller is inside a transaction block: procedures that commit
-- as they go (fact_backfill) refuse to start there.
CREATE FUNCTION dataeng._in_transaction_block()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_in_transaction_block'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng._in_transaction_block() IS
  'internal: true inside a transaction block (BEGIN, or a multi-statement query)';

-----------------------------------------------------------------------------
-- Change data capture
--
-- change_log      every captured row change; LIST-partitioned into four
--                 segments that the capture trigger fills in turn by
--                 change_id ranges, so that purging is TRUNCATE, not DELETE
-- cdc_ticks       transaction snapshots that cut the log into batches:
--                 batch k holds the changes whose transaction is visible
--                 in tick k's snapshot and not in tick k-1's (PgQ's idea)
-- cdc_batch_txns  the transactions of each batch in delivery order,
--                 computed once when the tick is cut
-- cdc_consumer_state  each consumer's acknowledged position
--                 (tick, transaction, change)
-----------------------------------------------------------------------------

CREATE TABLE dataeng.cdc_tables (
  table_name      regclass PRIMARY KEY,
  columns         text[],
  exclude_columns text[],
  changed_only    boolean NOT NULL DEFAULT false,
  enabled_at      timestamptz NOT NULL DEFAULT now(),
  enabled_by      name NOT NULL
);
COMMENT ON TABLE dataeng.cdc_tables IS 'Tables whose row changes dataeng captures';
SELECT pg_catalog.pg_extension_config_dump('dataeng.cdc_tables', '');

CREATE SEQUENCE dataeng.change_id_seq CACHE 1;
COMMENT ON SEQUENCE dataeng.change_id_seq IS
  'change_id of captured changes; CACHE 1: ids must grow across sessions, or commit order breaks';

CREATE TABLE dataeng.change_log (
  change_id   bigint      NOT NULL,
  xid         xid8        NOT NULL,
  lsn         pg_lsn      NOT NULL,
  captured_at timestamptz NOT NULL,
  table_oid   oid         NOT NULL,
  segment     smallint    NOT NULL,
  op          "char"      NOT NULL,
  pk          jsonb,
  old_row     jsonb,
  new_row     jsonb
) PARTITION BY LIST (segment);
COMMENT ON TABLE dataeng.change_log IS
  'Captured row changes; read them through dataeng.changes or dataeng.cdc_poll()';
CREATE TABLE dataeng.change_log_0 PARTITION OF dataeng.change_log FOR VALUES IN (0);
CREATE TABLE dataeng.change_log_1 PARTITION OF dataeng.change_log FOR VALUES IN (1);
CREATE TABLE dataeng.change_log_2 PARTITION OF dataeng.change_log FOR VALUES IN (2);
CREATE TABLE dataeng.change_log_3 PARTITION OF dataeng.change_log FOR VALUES IN (3);
-- the one index capture maintains: a transaction's changes, in order
CREATE INDEX change_log_xid_idx ON dataeng.change_log (xid, change_id);
REVOKE ALL ON dataeng.change_log, dataeng.change_log_0, dataeng.change_log_1,
  dataeng.change_log_2, dataeng.change_log_3 FROM PUBLIC;

CREATE TABLE dataeng.cdc_ticks (
  tick_id     bigint      PRIMARY KEY,
  snap        pg_snapshot NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dataeng.cdc_ticks IS
  'Snapshots that cut the change log into batches delivered in commit order';
CREATE SEQUENCE dataeng.cdc_tick_seq;

-- Delivery order inside a batch: transactions by their last change_id
-- (ord_txn), then change_id.  A transaction that touched a row after
-- another committed has a larger last change_id than that one, so this is a
-- valid commit order, and each transaction's changes stay together.
CREATE TABLE dataeng.cdc_batch_txns (
  tick_id   bigint  NOT NULL,
  ord_txn   bigint  NOT NULL,
  xid       xid8    NOT NULL,
  PRIMARY KEY (tick_id, ord_txn)
);
COMMENT ON TABLE dataeng.cdc_batch_txns IS
  'Transactions of each change-log batch in delivery order';

CREATE TABLE dataeng.cdc_consumer_state (
  name           text        PRIMARY KEY,
  owner          regrole     NOT NULL,
  tables         regclass[],
  -- acknowledged position: every change before (tick, ord_txn, ord_change)
  -- in delivery order, this one included, is acknowledged
  ack_tick       bigint      NOT NULL,
  ack_txn        bigint      NOT NULL,
  ack_change     bigint      NOT NULL,
  -- furthest position delivered by cdc_poll (acks may not pass it)
  poll_tick      bigint      NOT NULL,
  poll_txn       bigint      NOT NULL,
  poll_change    bigint      NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  acked_change_id bigint,                -- the change_id last acknowledged
  acked_at       timestamptz,
  CHECK (name <> '')
);
COMMENT ON TABLE dataeng.cdc_consumer_state IS
  'Consumers of the change log and their positions; read dataeng.cdc_consumers';

REVOKE ALL ON dataeng.cdc_tables, dataeng.cdc_ticks, dataeng.cdc_batch_txns,
  dataeng.cdc_consumer_state FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng.change_id_seq, dataeng.cdc_tick_seq FROM PUBLIC;

-- One change as delivered to consumers.
CREATE TYPE dataeng.change AS (
  change_id   bigint,
  xid         xid8,
  lsn         pg_lsn,
  captured_at timestamptz,
  table_name  regclass,
  op          "char",
  pk          jsonb,
  old_row     jsonb,
  new_row     jsonb
);
COMMENT ON TYPE dataeng.change IS 'A captured row change as returned by dataeng.cdc_poll()';

-- Every committed change the current role may read: rows of tables it may
-- SELECT as a whole (column-level grants alone do not give access) and
-- whose rows no row-level security policy hides from it (RLS active for
-- the role on a table hides all of that table's changes).
CREATE VIEW dataeng.changes WITH (security_barrier) AS
  SELECT c.change_id, c.xid, c.lsn, c.captured_at, c.table_oid::regclass AS table_name,
         c.op, c.pk, c.old_row, c.new_row
    FROM dataeng.change_log c
   WHERE pg_catalog.has_table_privilege(c.table_oid, 'SELECT')
     AND NOT pg_catalog.row_security_active(c.table_oid);
COMMENT ON VIEW dataeng.changes IS
  'Captured changes of the tables the current role may SELECT, in capture order';
GRANT SELECT ON dataeng.changes TO PUBLIC;

-- The capture trigger: AFTER STATEMENT with transition tables for
-- INSERT/UPDATE/DELETE, AFTER STATEMENT for TRUNCATE.  Arguments:
-- changed_only, columns, exclude_columns.  Only cdc_enable() creates it
-- (EXECUTE is revoked).
CREATE FUNCTION dataeng.capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_capture'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng.capture() FROM PUBLIC;
COMMENT ON FUNCTION dataeng.capture() IS
  'Capture trigger installed by dataeng.cdc_enable(); writes dataeng.change_log';

-- The TRUNCATE trigger of the partitions of a captured partitioned table
-- that are not captured on their own: a partition's TRUNCATE is recorded as
-- a T of the captured table whose pk names the partition.
CREATE FUNCTION dataeng.capture_partition_truncate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_capture_partition_truncate'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng.capture_partition_truncate() FROM PUBLIC;
COMMENT ON FUNCTION dataeng.capture_partition_truncate() IS
  'TRUNCATE trigger installed on partitions of captured tables; records what the TRUNCATE removed';

-- Whether a role may read every captured change of a table: SELECT on the
-- whole table, and no row-level security policy limiting what it sees.
CREATE FUNCTION dataeng._cdc_can_read(role regrole, tbl oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_can_read'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng._cdc_can_read(regrole, oid) FROM PUBLIC;

-- The entry points below (cdc_enable, cdc_disable, cdc_consumer_create,
-- cdc_consumer_drop, cdc_poll, cdc_ack, _cdc_consumer_list) are C functions
-- with the caller's rights (src/cdc/api.c): each calls its PL/pgSQL body,
-- dataeng._<name>(caller, ...), as the owner of the body, passing the role
-- that called it (current_user at the call, as PostgreSQL itself runs the
-- calling code).  The bodies check that role's rights; PUBLIC cannot call
-- them.

-- Refuse tables that capture cannot or must not be installed on, or that
-- caller does not own.
CREATE FUNCTION dataeng._cdc_check_table(tbl regclass, caller regrole)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  SELECT c.relkind, c.relpersistence, n.nspname, c.relowner
    INTO r
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = tbl;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'relation with OID % does not exist', tbl::oid
      USING ERRCODE = 'undefined_table';
  END IF;
  IF r.relkind NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot capture changes of %', tbl
      USING ERRCODE = 'wrong_object_type',
            DETAIL = format('%s is %s; only tables can be captured.', tbl,
                            CASE r.relkind WHEN 'v' THEN 'a view'
                                           WHEN 'm' THEN 'a materialized view'
                                           WHEN 'f' THEN 'a foreign table'
                                           WHEN 'S' THEN 'a sequence'
                                           WHEN 'i' THEN 'an index'
                                           WHEN 'I' THEN 'an index'
                                           WHEN 'c' THEN 'a composite type'
                                           ELSE 'not a table' END);
  END IF;
  IF r.relpersistence = 't' THEN
    RAISE EXCEPTION 'cannot capture changes of temporary table %', tbl
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'Temporary tables are private to one session and vanish with it.';
  END IF;
  IF r.nspname IN ('pg_catalog', 'information_schema', 'pg_toast') OR tbl::oid < 16384 THEN
    RAISE EXCEPTION 'cannot capture changes of system catalog %', tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'System catalogs change through DDL, which triggers do not see.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_depend d
              WHERE d.classid = 'pg_class'::regclass AND d.objid = tbl
                AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e') THEN
    RAISE EXCEPTION 'cannot capture changes of %, which belongs to an extension', tbl
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'Tables owned by an extension are managed by that extension.';
  END IF;
  IF NOT pg_has_role(caller, r.relowner, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table %', tbl
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Only the owner of a table (or a member of its owning role) can enable or disable capture.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_check_table(regclass, regrole) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_enable(tbl regclass, columns text[] DEFAULT NULL,
                                   exclude_columns text[] DEFAULT NULL,
                                   changed_only boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_enable'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_enable(regclass, text[], text[], boolean) IS
  'Starts capturing INSERT, UPDATE, DELETE and TRUNCATE of a table into the change log';

CREATE FUNCTION dataeng._cdc_enable(caller regrole, tbl regclass, columns text[],
                                    exclude_columns text[], changed_only boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  unknown text[];
  cur dataeng.cdc_tables;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'table must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM dataeng._cdc_check_table(tbl, caller);
  IF columns IS NOT NULL AND exclude_columns IS NOT NULL THEN
    RAISE EXCEPTION 'columns and exclude_columns cannot both be given'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'List the columns to capture, or the columns to leave out, not both.';
  END IF;
  IF cardinality(columns) = 0 THEN
    RAISE EXCEPTION 'columns must not be empty'
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass NULL to capture every column.';
  END IF;
  SELECT array_agg(c) INTO unknown
    FROM unnest(coalesce(columns, '{}') || coalesce(exclude_columns, '{}')) AS c
   WHERE c IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = tbl AND a.attname = c AND a.attnum > 0
                      AND NOT a.attisdropped);
  IF array_position(columns || exclude_columns, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'column names must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF unknown IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', unknown[1], tbl
      USING ERRCODE = 'undefined_column';
  END IF;

  -- Idempotent: the same options again change nothing (but missing
  -- triggers are put back).
  SELECT * INTO cur FROM dataeng.cdc_tables t WHERE t.table_name = tbl FOR UPDATE;
  IF NOT FOUND OR cur.columns IS DISTINCT FROM columns
     OR cur.exclude_columns IS DISTINCT FROM exclude_columns
     OR cur.changed_only IS DISTINCT FROM _cdc_enable.changed_only THEN
    INSERT INTO dataeng.cdc_tables AS t (table_name, columns, exclude_columns, changed_only, enabled_by)
    VALUES (tbl, columns, exclude_columns, changed_only, caller::name)
    ON CONFLICT (table_name) DO UPDATE
      SET columns = EXCLUDED.columns, exclude_columns = EXCLUDED.exclude_columns,
          changed_only = EXCLUDED.changed_only, enabled_at = now(), enabled_by = EXCLUDED.enabled_by;
  END IF;
  -- the table's triggers, and those of its partitions: writes made
  -- directly to partitions are captured too
  PERFORM dataeng._cdc_sync_triggers();
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_enable(regrole, regclass, text[], text[], boolean) FROM PUBLIC;

-- The capture triggers' arguments for a table (see src/cdc/capture.c), as
-- values and as a CREATE TRIGGER argument list.  (No table oid in them: the
-- trigger finds its table, and a dump restored with new oids keeps working.)
CREATE FUNCTION dataeng._cdc_trigger_argv(columns text[], exclude_columns text[],
                                          changed_only boolean)
RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT ARRAY[changed_only::text, coalesce(columns::text, ''), coalesce(exclude_columns::text, '')]
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_trigger_argv(text[], text[], boolean) FROM PUBLIC;

CREATE FUNCTION dataeng._cdc_trigger_args(columns text[], exclude_columns text[],
                                          changed_only boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('%L, %L, %L', a[1], a[2], a[3])
    FROM (SELECT dataeng._cdc_trigger_argv(columns, exclude_columns, changed_only) AS a) s
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_trigger_args(text[], text[], boolean) FROM PUBLIC;

-- Install the capture triggers on rel: statement triggers with transition
-- tables, one call per statement, and a TRUNCATE trigger: capture() itself
-- on a table captured on its own, capture_partition_truncate() on the
-- partitions that inherit capture from a partitioned table.
CREATE FUNCTION dataeng._cdc_install(rel regclass, args text, own boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER dataeng_capture_insert AFTER INSERT ON %s '
                 'REFERENCING NEW TABLE AS dataeng_new '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng.capture(%s)', rel, args);
  EXECUTE format('CREATE TRIGGER dataeng_capture_update AFTER UPDATE ON %s '
                 'REFERENCING OLD TABLE AS dataeng_old NEW TABLE AS dataeng_new '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng.capture(%s)', rel, args);
  EXECUTE format('CREATE TRIGGER dataeng_capture_delete AFTER DELETE ON %s '
                 'REFERENCING OLD TABLE AS dataeng_old '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng.capture(%s)', rel, args);
  IF own THEN
    EXECUTE format('CREATE TRIGGER dataeng_capture_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION dataeng.capture(%s)', rel, args);
  ELSE
    EXECUTE format('CREATE TRIGGER dataeng_capture_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION dataeng.capture_partition_truncate()', rel);
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_install(regclass, text, boolean) FROM PUBLIC;

-- Drop the capture triggers of one table (not of its partitions).
CREATE FUNCTION dataeng._cdc_drop_triggers(rel regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT tg.tgname
             FROM pg_trigger tg
            WHERE tg.tgrelid = rel
              AND NOT tg.tgisinternal
              AND tg.tgname IN ('dataeng_capture_insert', 'dataeng_capture_update',
                                'dataeng_capture_delete', 'dataeng_capture_truncate')
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, rel);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_drop_triggers(regclass) FROM PUBLIC;

-- Make the capture triggers what dataeng.cdc_tables says.  Every table it
-- lists, and every partition below a partitioned table it lists, has the
-- four triggers with the options of the nearest listed table among itself
-- and its ancestors (a partition listed on its own keeps its own options;
-- its changes are still recorded under the topmost captured ancestor).
-- Triggers that differ are re-created; those of tables that are neither
-- listed nor below a listed table (disabled, detached) are dropped.
-- Statement triggers of a partition fire only for statements that name the
-- partition, so nothing is captured twice.
CREATE FUNCTION dataeng._cdc_sync_triggers()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  capture_fn oid := 'dataeng.capture()'::regprocedure;
  partition_fn oid := 'dataeng.capture_partition_truncate()'::regprocedure;
BEGIN
  FOR r IN
    WITH targets AS (
      SELECT ct.table_name::oid AS relid FROM dataeng.cdc_tables ct
      UNION
      SELECT pt.relid
        FROM dataeng.cdc_tables ct
        JOIN pg_class c ON c.oid = ct.table_name AND c.relkind = 'p'
        CROSS JOIN LATERAL pg_partition_tree(ct.table_name) pt),
    wanted AS (
      SELECT DISTINCT ON (t.relid) t.relid, o.table_name::oid = t.relid AS own,
             dataeng._cdc_trigger_argv(o.columns, o.exclude_columns, o.changed_only) AS argv
        FROM targets t
        JOIN pg_class pc ON pc.oid = t.relid AND pc.relkind IN ('r', 'p')
        CROSS JOIN LATERAL (SELECT t.relid AS relid, 0::bigint AS n
                            UNION ALL
                            SELECT a.relid, a.n
                              FROM pg_partition_ancestors(t.relid) WITH ORDINALITY a(relid, n)) up
        JOIN dataeng.cdc_tables o ON o.table_name = up.relid
       ORDER BY t.relid, up.n),
    wanted_sig AS (
      SELECT w.relid, w.own, w.argv,
             (SELECT string_agg(x.tgname || ':' || x.fn::text || ':' || encode(x.args, 'hex'), ','
                                ORDER BY x.tgname)
                FROM (SELECT v.tgname, CASE WHEN v.tgname <> 'dataeng_capture_truncate' OR w.own
                                            THEN capture_fn ELSE partition_fn END AS fn,
                             CASE WHEN v.tgname <> 'dataeng_capture_truncate' OR w.own
                                  THEN (SELECT string_agg(convert_to(a, getdatabaseencoding()) || decode('00', 'hex'),
                                                          ''::bytea ORDER BY i)
                                          FROM unnest(w.argv) WITH ORDINALITY u(a, i))
                                  ELSE ''::bytea END AS args
                        FROM (VALUES ('dataeng_capture_insert'), ('dataeng_capture_update'),
                                     ('dataeng_capture_delete'), ('dataeng_capture_truncate')) v(tgname)) x) AS sig
        FROM wanted w),
    have_sig AS (
      SELECT tg.tgrelid AS relid,
             string_agg(tg.tgname || ':' || tg.tgfoid::text || ':' || encode(tg.tgargs, 'hex'), ','
                        ORDER BY tg.tgname) AS sig
        FROM pg_trigger tg
       WHERE NOT tg.tgisinternal
         AND tg.tgname IN ('dataeng_capture_insert', 'dataeng_capture_update',
                           'dataeng_capture_delete', 'dataeng_capture_truncate')
       GROUP BY tg.tgrelid)
    SELECT coalesce(w.relid, h.relid)::regclass AS rel, w.relid IS NOT NULL AS keep, w.own, w.argv
      FROM wanted_sig w
      FULL JOIN have_sig h ON h.relid = w.relid
     WHERE w.sig IS DISTINCT FROM h.sig
  LOOP
    PERFORM dataeng._cdc_drop_triggers(r.rel);
    IF r.keep THEN
      PERFORM dataeng._cdc_install(r.rel, format('%L, %L, %L', r.argv[1], r.argv[2], r.argv[3]), r.own);
    END IF;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_sync_triggers() FROM PUBLIC;

-- After ALTER TABLE ... RENAME COLUMN (see src/cdc/ddl.c): the column keeps
-- its place in the options of tbl and, when the rename recursed, of the
-- tables that inherit from it.
CREATE FUNCTION dataeng._cdc_rename_column(tbl oid, old_name text, new_name text, recurse boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  WITH RECURSIVE tree(relid) AS (
    SELECT tbl
    UNION
    SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.relid WHERE recurse)
  UPDATE dataeng.cdc_tables ct
     SET columns = array_replace(ct.columns, old_name, new_name),
         exclude_columns = array_replace(ct.exclude_columns, old_name, new_name)
    FROM tree
   WHERE ct.table_name = tree.relid
     AND (old_name = ANY (ct.columns) OR old_name = ANY (ct.exclude_columns));
  IF FOUND THEN
    PERFORM dataeng._cdc_sync_triggers();
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_rename_column(oid, text, text, boolean) FROM PUBLIC;

-- After CREATE TABLE ... PARTITION OF, ALTER TABLE ... ATTACH/DETACH
-- PARTITION and ALTER TABLE ... RENAME COLUMN (see src/cdc/ddl.c).
CREATE FUNCTION dataeng._cdc_on_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_cdc_on_ddl'
LANGUAGE C
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION dataeng.cdc_disable(tbl regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_disable'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng.cdc_disable(regclass) IS
  'Stops capturing changes of a table; already captured changes stay in the log';

-- A partition listed on its own stays captured, with its own options, when
-- its partitioned table is disabled.
CREATE FUNCTION dataeng._cdc_disable(caller regrole, tbl regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found_it boolean;
BEGIN
  PERFORM dataeng._cdc_check_table(tbl, caller);
  DELETE FROM dataeng.cdc_tables t WHERE t.table_name = tbl;
  found_it := FOUND;
  PERFORM dataeng._cdc_sync_triggers();
  RETURN found_it;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_disable(regrole, regclass) FROM PUBLIC;

-- A table dropped while captured leaves its row in cdc_tables otherwise.
CREATE FUNCTION dataeng._cdc_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM dataeng.cdc_tables t
   USING pg_event_trigger_dropped_objects() d
   WHERE d.classid = 'pg_class'::regclass AND d.objid = t.table_name::oid;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_on_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION dataeng._cdc_on_drop() FROM PUBLIC;
CREATE EVENT TRIGGER dataeng_cdc_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')
  EXECUTE FUNCTION dataeng._cdc_on_ddl();
CREATE EVENT TRIGGER dataeng_cdc_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng._cdc_on_drop();

-----------------------------------------------------------------------------
-- Ticks and batches
-----------------------------------------------------------------------------

-- A snapshot in which transaction x is still running.
CREATE FUNCTION dataeng._cdc_snapshot_with(s pg_snapshot, x xid8)
RETURNS pg_snapshot
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('%s:%s:%s', least(pg_snapshot_xmin(s), x), pg_snapshot_xmax(s),
                (SELECT string_agg(v::text, ',' ORDER BY v)
                   FROM (SELECT pg_snapshot_xip(s) AS v UNION SELECT x) q))::pg_snapshot
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_snapshot_with(pg_snapshot, xid8) FROM PUBLIC;

-- Cut a new batch: a snapshot taken under a lock, so that ticks are
-- strictly ordered, and the order of the batch's transactions.  Returns the
-- newest tick (the new one, or the previous one if nothing committed since,
-- or if another transaction is cutting one: that one holds the lock until
-- it commits, and a consumer must not wait for another's transaction).
CREATE FUNCTION dataeng._cdc_tick(wait boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  prev dataeng.cdc_ticks;
  snap pg_snapshot;
  me xid8;
  t bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    -- a transaction snapshot could be older than the newest tick
    SELECT max(tick_id) INTO t FROM dataeng.cdc_ticks;
    RETURN t;
  END IF;
  -- self-conflicting, and readers of cdc_ticks are not blocked
  IF wait THEN
    LOCK TABLE dataeng.cdc_ticks IN SHARE ROW EXCLUSIVE MODE;
  ELSE
    BEGIN
      LOCK TABLE dataeng.cdc_ticks IN SHARE ROW EXCLUSIVE MODE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
      SELECT max(tick_id) INTO t FROM dataeng.cdc_ticks;
      RETURN t;
    END;
  END IF;
  snap := pg_current_snapshot();
  -- Our own transaction is not in our snapshot's list of running ones, but
  -- it is running: changes it made or will make belong to a later batch.
  me := pg_current_xact_id_if_assigned();
  IF me IS NOT NULL AND pg_visible_in_snapshot(me, snap) THEN
    snap := dataeng._cdc_snapshot_with(snap, me);
  END IF;
  SELECT * INTO prev FROM dataeng.cdc_ticks ORDER BY tick_id DESC LIMIT 1;
  IF FOUND AND pg_snapshot_xmax(prev.snap) = pg_snapshot_xmax(snap)
     AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(prev.snap) x
                      WHERE pg_visible_in_snapshot(x, snap)) THEN
    RETURN prev.tick_id;                -- nothing finished since
  END IF;
  t := nextval('dataeng.cdc_tick_seq');
  INSERT INTO dataeng.cdc_ticks (tick_id, snap) VALUES (t, snap);
  -- Order the new batch once, for every consumer: each transaction that
  -- committed between the two snapshots, by its last change.  This
  -- statement's snapshot is newer than snap, so it sees every change of
  -- the batch.  When few transactions started in between (the usual case,
  -- even under heavy writing in large transactions), each is looked up on
  -- its own: one index probe for its last change, however many changes it
  -- made.  Otherwise the batch's changes are read and grouped.
  IF prev.tick_id IS NOT NULL THEN
    IF pg_snapshot_xmax(snap)::text::numeric - pg_snapshot_xmax(prev.snap)::text::numeric <= 256 THEN
      INSERT INTO dataeng.cdc_batch_txns (tick_id, ord_txn, xid)
      SELECT t, m.last, x.xid
        FROM (SELECT v AS xid FROM pg_snapshot_xip(prev.snap) v
              UNION ALL
              SELECT g::text::xid8
                FROM generate_series(pg_snapshot_xmax(prev.snap)::text::numeric,
                                     pg_snapshot_xmax(snap)::text::numeric - 1) g) x
        CROSS JOIN LATERAL (SELECT max(l.change_id) AS last FROM dataeng.change_log l
                             WHERE l.xid = x.xid) m
       WHERE pg_visible_in_snapshot(x.xid, snap) AND m.last IS NOT NULL;
    ELSE
      INSERT INTO dataeng.cdc_batch_txns (tick_id, ord_txn, xid)
      SELECT t, max(l.change_id), l.xid
        FROM dataeng.change_log l
       WHERE (l.xid = ANY (ARRAY(SELECT x FROM pg_snapshot_xip(prev.snap) x
                                  WHERE pg_visible_in_snapshot(x, snap)))
              OR (l.xid >= pg_snapshot_xmax(prev.snap) AND l.xid < pg_snapshot_xmax(snap)))
         AND pg_visible_in_snapshot(l.xid, snap)
       GROUP BY l.xid;
    END IF;
  END IF;
  RETURN t;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_tick(boolean) FROM PUBLIC;

-----------------------------------------------------------------------------
-- Consumers
-----------------------------------------------------------------------------

-- The start of a poll of consumer r: cut a tick if possible, and check
-- that r's acknowledged position is still in the change log.
CREATE FUNCTION dataeng._cdc_tick_for(r dataeng.cdc_consumer_state)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng._cdc_tick();
  IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_ticks k WHERE k.tick_id = r.ack_tick) THEN
    RAISE EXCEPTION 'position of consumer "%" is no longer in the change log', r.name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Drop and re-create the consumer.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_tick_for(dataeng.cdc_consumer_state) FROM PUBLIC;


-- Lock and return a consumer caller may use, or raise: caller must belong
-- to its owner and, with check_tables, may read each table it lists.
CREATE FUNCTION dataeng._cdc_consumer(consumer text, caller regrole, check_tables boolean)
RETURNS dataeng.cdc_consumer_state
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.cdc_consumer_state;
  t regclass;
BEGIN
  SELECT * INTO r FROM dataeng.cdc_consumer_state WHERE name = consumer FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'consumer "%" does not exist', consumer
      USING ERRCODE = 'undefined_object',
            HINT = 'Create it with dataeng.cdc_consumer_create(); dataeng.cdc_consumers lists the existing ones.';
  END IF;
  IF NOT pg_has_role(caller, r.owner, 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of consumer "%"', consumer
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT check_tables THEN
    RETURN r;
  END IF;
  FOREACH t IN ARRAY coalesce(r.tables, '{}') LOOP
    IF NOT dataeng._cdc_can_read(caller, t) THEN
      RAISE EXCEPTION 'permission denied for table %', t
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = format('Consumer "%s" reads changes of %s.', consumer, t),
              HINT = 'Reading captured changes requires SELECT on the whole table.';
    END IF;
  END LOOP;
  RETURN r;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_consumer(text, regrole, boolean) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_consumer_create(name text, tables regclass[] DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_consumer_create'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_consumer_create(text, regclass[]) IS
  'Creates a consumer that receives changes committed from now on (of the given tables, or all)';

CREATE FUNCTION dataeng._cdc_consumer_create(caller regrole, name text, tables regclass[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t regclass;
  tick bigint;
  me regrole := caller;
BEGIN
  IF name IS NULL OR name = '' THEN
    RAISE EXCEPTION 'consumer name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF cardinality(tables) = 0 OR array_position(tables, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'tables must be NULL (all tables) or a list of tables'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH t IN ARRAY coalesce(tables, '{}') LOOP
    IF NOT dataeng._cdc_can_read(me, t) THEN
      RAISE EXCEPTION 'permission denied for table %', t
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Reading captured changes requires SELECT on the whole table.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.table_name = t) THEN
      RAISE WARNING 'changes of table % are not captured', t
        USING ERRCODE = '01000', HINT = format('Run SELECT dataeng.cdc_enable(%L);', t::text);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM dataeng.cdc_consumer_state c WHERE c.name = _cdc_consumer_create.name) THEN
    RAISE EXCEPTION 'consumer "%" already exists', name USING ERRCODE = 'duplicate_object';
  END IF;
  tick := dataeng._cdc_tick(wait => true);
  IF tick IS NULL THEN
    RAISE EXCEPTION 'cannot create the first consumer in a % transaction',
      current_setting('transaction_isolation')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Create it in a READ COMMITTED transaction.';
  END IF;
  -- start after everything committed so far: tick fully acknowledged
  INSERT INTO dataeng.cdc_consumer_state (name, owner, tables, ack_tick, ack_txn, ack_change,
                                     poll_tick, poll_txn, poll_change)
  VALUES (name, me, tables, tick, 9223372036854775807, 9223372036854775807,
          tick, 9223372036854775807, 9223372036854775807);
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_consumer_create(regrole, text, regclass[]) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_consumer_drop(name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_consumer_drop'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng.cdc_consumer_drop(text) IS 'Drops a consumer and its position';

-- Only ownership counts: an owner who can no longer read the consumer's
-- tables may still drop it.
CREATE FUNCTION dataeng._cdc_consumer_drop(caller regrole, name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng._cdc_consumer(name, caller, false);
  DELETE FROM dataeng.cdc_consumer_state c WHERE c.name = _cdc_consumer_drop.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_consumer_drop(regrole, text) FROM PUBLIC;

-- Deliver the changes after the consumer's acknowledged position, in
-- commit order.  Polling again without acknowledging delivers the same
-- changes again.  whole_transactions keeps a transaction's changes in one
-- poll even when that exceeds max_changes.
-- A consumer of all tables receives the changes of the tables the polling
-- role may read whole (dataeng._cdc_can_read: SELECT, and no row-level
-- security policy limiting it).
CREATE FUNCTION dataeng.cdc_poll(consumer text, max_changes int DEFAULT 1000,
                                 whole_transactions boolean DEFAULT true)
RETURNS SETOF dataeng.change
AS 'MODULE_PATHNAME', 'dataeng_cdc_poll'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng.cdc_poll(text, int, boolean) IS
  'Returns the changes after the consumer''s acknowledged position, in commit order';

-- Where a poll of consumer r by role me starts and stops: one range of
-- positions per batch, (tick_id, from_txn, from_change) exclusive to
-- (tick_id, to_txn, to_change) inclusive, in delivery order, holding at
-- most max_changes changes (more with whole_transactions, to finish the
-- last transaction).  Cuts a new tick when it can, and records the
-- furthest position delivered (acknowledgements stop there).  Shared by
-- cdc_poll() and the fact and dimension reader, _cdc_poll_unordered().
CREATE FUNCTION dataeng._cdc_poll_ranges(r dataeng.cdc_consumer_state, me regrole, max_changes int,
                                         whole_transactions boolean)
RETURNS TABLE (tick_id bigint, from_txn bigint, from_change bigint, to_txn bigint, to_change bigint)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t bigint;
  start_txn bigint;
  start_change bigint;
  left_ int := max_changes;
  n bigint;
  cut_txn bigint;
  cut_change bigint;
  last_tick bigint;
  last_txn bigint;
  last_change bigint;
  examined bigint;
BEGIN
  IF max_changes < 1 THEN
    RAISE EXCEPTION 'max_changes must be at least 1, not %', max_changes
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  PERFORM dataeng._cdc_tick_for(r);
  IF r.ack_txn = 9223372036854775807 THEN
    -- that batch is done: start with the next one
    SELECT min(k.tick_id) INTO t FROM dataeng.cdc_ticks k WHERE k.tick_id > r.ack_tick;
    start_txn := 0;
    start_change := 0;
  ELSE
    t := r.ack_tick;
    start_txn := r.ack_txn;
    start_change := r.ack_change;
  END IF;

  WHILE t IS NOT NULL AND left_ > 0 LOOP
    -- Where this poll stops in the batch: after max_changes changes, or at
    -- the end of the transaction it is in.  Only the next max_changes
    -- transactions that have a change left for this consumer can matter
    -- (fewer of them means the batch is exhausted: only then may the loop
    -- go on with the next one), and only key columns are read here.
    -- n: the changes up to the cut; with whole_transactions the range
    -- holds at least that many, and exactly that many when the batch is
    -- exhausted (n < left_), so the poll stops exactly when it did.
    SELECT s.ord_txn, s.change_id, count(*) OVER () INTO cut_txn, cut_change, n
      FROM (SELECT bt.ord_txn, l.change_id
              FROM (SELECT * FROM dataeng.cdc_batch_txns b
                     WHERE b.tick_id = t AND b.ord_txn >= start_txn
                       AND EXISTS (SELECT 1 FROM dataeng.change_log l
                                    WHERE l.xid = b.xid
                                      AND (b.ord_txn > start_txn OR l.change_id > start_change)
                                      AND CASE WHEN r.tables IS NULL
                                               THEN dataeng._cdc_can_read(me, l.table_oid)
                                               ELSE l.table_oid = ANY (r.tables::oid[]) END)
                     ORDER BY b.ord_txn LIMIT left_) bt
              JOIN dataeng.change_log l ON l.xid = bt.xid
             WHERE (bt.ord_txn > start_txn OR l.change_id > start_change)
               AND CASE WHEN r.tables IS NULL THEN dataeng._cdc_can_read(me, l.table_oid)
                        ELSE l.table_oid = ANY (r.tables::oid[]) END
             ORDER BY 1, 2 LIMIT left_) s
     ORDER BY 1 DESC, 2 DESC LIMIT 1;
    IF FOUND THEN
      IF whole_transactions THEN
        cut_change := cut_txn;          -- a transaction's last change_id
      END IF;
      tick_id := t;
      from_txn := start_txn;
      from_change := start_change;
      to_txn := cut_txn;
      to_change := cut_change;
      RETURN NEXT;
      left_ := left_ - n;
      last_tick := t;
      last_txn := cut_txn;
      last_change := cut_change;
      IF left_ <= 0 THEN
        EXIT;
      END IF;
    END IF;
    examined := t;
    SELECT min(k.tick_id) INTO t FROM dataeng.cdc_ticks k WHERE k.tick_id > t;
    start_txn := 0;
    start_change := 0;
  END LOOP;

  IF last_tick IS NOT NULL THEN
    -- remember the furthest position delivered: acknowledgements stop there
    UPDATE dataeng.cdc_consumer_state c
       SET poll_tick = last_tick, poll_txn = last_txn, poll_change = last_change
     WHERE c.name = r.name
       AND (c.poll_tick, c.poll_txn, c.poll_change) < (last_tick, last_txn, last_change);
  ELSIF examined IS NOT NULL THEN
    -- Nothing this consumer may see was committed up to that tick (every
    -- change there belongs to other tables): move past it, so that its
    -- position, lag and the purge horizon do not stay behind.
    UPDATE dataeng.cdc_consumer_state c
       SET ack_tick = examined, ack_txn = 9223372036854775807, ack_change = 9223372036854775807,
           poll_tick = greatest(c.poll_tick, examined),
           poll_txn = CASE WHEN c.poll_tick > examined THEN c.poll_txn ELSE 9223372036854775807 END,
           poll_change = CASE WHEN c.poll_tick > examined THEN c.poll_change ELSE 9223372036854775807 END
     WHERE c.name = r.name;
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_poll_ranges(dataeng.cdc_consumer_state, regrole, int, boolean) FROM PUBLIC;

CREATE FUNCTION dataeng._cdc_poll(caller regrole, consumer text, max_changes int,
                                  whole_transactions boolean)
RETURNS SETOF dataeng.change
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.cdc_consumer_state;
  me regrole := caller;
  g record;
BEGIN
  IF max_changes < 1 THEN
    RAISE EXCEPTION 'max_changes must be at least 1, not %', max_changes
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  r := dataeng._cdc_consumer(consumer, me, true);
  FOR g IN SELECT * FROM dataeng._cdc_poll_ranges(r, me, max_changes, whole_transactions) LOOP
    RETURN QUERY
      SELECT l.change_id, l.xid, l.lsn, l.captured_at, l.table_oid::regclass, l.op,
             l.pk, l.old_row, l.new_row
        FROM (SELECT * FROM dataeng.cdc_batch_txns b
               WHERE b.tick_id = g.tick_id AND b.ord_txn >= g.from_txn AND b.ord_txn <= g.to_txn) bt
        JOIN dataeng.change_log l ON l.xid = bt.xid
       WHERE (bt.ord_txn > g.from_txn OR l.change_id > g.from_change)
         AND (bt.ord_txn < g.to_txn OR l.change_id <= g.to_change)
         AND CASE WHEN r.tables IS NULL THEN dataeng._cdc_can_read(me, l.table_oid)
                  ELSE l.table_oid = ANY (r.tables::oid[]) END
       ORDER BY bt.ord_txn, l.change_id;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_poll(regrole, text, int, boolean) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_ack(consumer text, upto_change_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_ack'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng.cdc_ack(text, bigint) IS
  'Acknowledges every change delivered to the consumer up to and including the given one';

CREATE FUNCTION dataeng._cdc_ack(caller regrole, consumer text, upto_change_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.cdc_consumer_state;
  found_tick bigint;
  found_txn bigint;
  done_txn bigint;
  done_change bigint;
  x xid8;
  tbl oid;
BEGIN
  r := dataeng._cdc_consumer(consumer, caller, true);

  -- A change of a table the consumer does not receive was never delivered
  -- to it, even when the other changes of its transaction were.
  SELECT l.table_oid INTO tbl FROM dataeng.change_log l WHERE l.change_id = upto_change_id;
  IF FOUND AND NOT (CASE WHEN r.tables IS NULL THEN dataeng._cdc_can_read(caller, tbl)
                         ELSE tbl = ANY (r.tables::oid[]) END) THEN
    RAISE EXCEPTION 'change % was not delivered to consumer "%" yet', upto_change_id, consumer
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Only changes returned by dataeng.cdc_poll() can be acknowledged.';
  END IF;

  -- Look for the change among the transactions delivered since the
  -- acknowledged position, up to the furthest polled one.
  SELECT bt.tick_id, bt.ord_txn INTO found_tick, found_txn
    FROM dataeng.cdc_batch_txns bt
   WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, least(r.ack_txn, upto_change_id))
     AND (bt.tick_id, bt.ord_txn) <= (r.poll_tick, r.poll_txn)
     AND bt.ord_txn >= upto_change_id
     AND EXISTS (SELECT 1 FROM dataeng.change_log l
                  WHERE l.xid = bt.xid AND l.change_id = upto_change_id)
   ORDER BY bt.tick_id, bt.ord_txn
   LIMIT 1;

  IF found_tick IS NULL THEN
    SELECT l.xid INTO x FROM dataeng.change_log l WHERE l.change_id = upto_change_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'change % does not exist', upto_change_id
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'It was never committed, was rolled back, or was purged.',
              HINT = 'Acknowledge a change_id returned by dataeng.cdc_poll().';
    ELSIF pg_visible_in_snapshot(x, (SELECT snap FROM dataeng.cdc_ticks WHERE tick_id = r.ack_tick)) THEN
      RAISE EXCEPTION 'change % is already acknowledged by consumer "%"', upto_change_id, consumer
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Acknowledgements only move forward.';
    ELSE
      RAISE EXCEPTION 'change % was not delivered to consumer "%" yet', upto_change_id, consumer
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Only changes returned by dataeng.cdc_poll() can be acknowledged.';
    END IF;
  END IF;

  -- The last change of the last transaction of a batch completes the batch:
  -- record it so (what purge and lag look at).
  IF upto_change_id = found_txn
     AND NOT EXISTS (SELECT 1 FROM dataeng.cdc_batch_txns bt
                      WHERE bt.tick_id = found_tick AND bt.ord_txn > found_txn) THEN
    done_txn := 9223372036854775807;
    done_change := 9223372036854775807;
  ELSE
    done_txn := found_txn;
    done_change := upto_change_id;
  END IF;

  IF (found_tick, done_txn, done_change) < (r.ack_tick, r.ack_txn, r.ack_change) THEN
    RAISE EXCEPTION 'change % is already acknowledged by consumer "%"', upto_change_id, consumer
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Acknowledgements only move forward.';
  END IF;
  IF (found_tick, done_txn, done_change) = (r.ack_tick, r.ack_txn, r.ack_change) THEN
    RETURN;                               -- repeated acknowledgement: nothing to do
  END IF;
  IF (found_tick, found_txn, upto_change_id) > (r.poll_tick, r.poll_txn, r.poll_change) THEN
    RAISE EXCEPTION 'change % was not delivered to consumer "%" yet', upto_change_id, consumer
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Only changes returned by dataeng.cdc_poll() can be acknowledged.';
  END IF;
  UPDATE dataeng.cdc_consumer_state c
     SET ack_tick = found_tick, ack_txn = done_txn, ack_change = done_change,
         acked_change_id = upto_change_id, acked_at = now()
   WHERE c.name = r.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_ack(regrole, text, bigint) FROM PUBLIC;

-- Pending changes of a consumer and the capture time of the oldest one:
-- changes of ordered batches after its acknowledged position, plus those
-- committed since the newest tick; for a consumer of all tables, those of
-- the tables its owner may read (as cdc_poll delivers them).
CREATE FUNCTION dataeng._cdc_lag(r dataeng.cdc_consumer_state,
                                 OUT pending bigint, OUT oldest timestamptz)
RETURNS record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH newest AS (SELECT snap FROM dataeng.cdc_ticks ORDER BY tick_id DESC LIMIT 1),
  pending AS (
    SELECT l.captured_at
      FROM dataeng.cdc_batch_txns bt
      JOIN dataeng.change_log l ON l.xid = bt.xid
     WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, r.ack_txn)
       AND (bt.tick_id, bt.ord_txn, l.change_id) > (r.ack_tick, r.ack_txn, r.ack_change)
       AND CASE WHEN r.tables IS NULL THEN dataeng._cdc_can_read(r.owner, l.table_oid)
                ELSE l.table_oid = ANY (r.tables::oid[]) END
    UNION ALL
    SELECT l.captured_at
      FROM newest, dataeng.change_log l
     WHERE l.xid >= pg_snapshot_xmin(newest.snap)
       AND NOT pg_visible_in_snapshot(l.xid, newest.snap)
       AND CASE WHEN r.tables IS NULL THEN dataeng._cdc_can_read(r.owner, l.table_oid)
                ELSE l.table_oid = ANY (r.tables::oid[]) END)
  SELECT count(*), min(captured_at) FROM pending
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_lag(dataeng.cdc_consumer_state) FROM PUBLIC;

-- Consumers the calling role owns (or is a member of the owner of).
CREATE FUNCTION dataeng._cdc_consumer_list()
RETURNS TABLE (name text, owner regrole, tables regclass[], acked_change_id bigint,
               acked_at timestamptz, pending_changes bigint, lag_seconds numeric,
               created_at timestamptz)
AS 'MODULE_PATHNAME', 'dataeng_cdc_consumer_list'
LANGUAGE C STABLE;

CREATE FUNCTION dataeng._cdc_consumer_list_as_owner(caller regrole)
RETURNS TABLE (name text, owner regrole, tables regclass[], acked_change_id bigint,
               acked_at timestamptz, pending_changes bigint, lag_seconds numeric,
               created_at timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  SELECT c.name, c.owner, c.tables,
         c.acked_change_id, c.acked_at,
         g.pending,
         CASE WHEN g.pending > 0
              THEN round(extract(epoch FROM clock_timestamp() - g.oldest), 3) ELSE 0 END,
         c.created_at
    FROM dataeng.cdc_consumer_state c, LATERAL dataeng._cdc_lag(c) g
   WHERE pg_has_role(caller, c.owner, 'USAGE');
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_consumer_list_as_owner(regrole) FROM PUBLIC;

-- (callable by everyone: it is the view's body, and filters by role)
CREATE VIEW dataeng.cdc_consumers AS
  SELECT * FROM dataeng._cdc_consumer_list() ORDER BY name;
COMMENT ON VIEW dataeng.cdc_consumers IS
  'Consumers of the calling role with their acknowledged position and lag (changes, seconds)';
GRANT SELECT ON dataeng.cdc_consumers TO PUBLIC;

-----------------------------------------------------------------------------
-- Retention
-----------------------------------------------------------------------------

-- Empty the segments of the change log whose changes every consumer has
-- acknowledged (all of them when there is no consumer), with TRUNCATE
-- rather than DELETE, and forget ticks no consumer needs.  A segment that
-- is busy (a writer or reader holds it) is left for the next call.
CREATE FUNCTION dataeng.cdc_purge()
RETURNS TABLE (segment int, purged_changes bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  horizon xid8;
  s int;
  seg regclass;
  top xid8;
  n bigint;
  keep bigint;
  attempt int;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.cdc_purge() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction';
  END IF;
  -- The tick lock, which cdc_consumer_create() and a poll that cuts a tick
  -- hold until they commit: a consumer being created, which this purge
  -- cannot see yet, must not lose its tick or the changes of transactions
  -- running at its tick.  (The DELETE below would wait for it anyway.)
  LOCK TABLE dataeng.cdc_ticks IN SHARE ROW EXCLUSIVE MODE;
  -- Every change whose xid is below horizon is acknowledged by everyone:
  -- it is visible in a tick each consumer has fully acknowledged.
  IF EXISTS (SELECT 1 FROM dataeng.cdc_consumer_state) THEN
    SELECT min(coalesce(pg_snapshot_xmin(t.snap), '0'::xid8)) INTO horizon
      FROM dataeng.cdc_consumer_state c
      LEFT JOIN LATERAL (SELECT tk.snap FROM dataeng.cdc_ticks tk
                          WHERE CASE WHEN c.ack_txn = 9223372036854775807
                                     THEN tk.tick_id = c.ack_tick
                                     ELSE tk.tick_id < c.ack_tick END
                          ORDER BY tk.tick_id DESC LIMIT 1) t ON true;
  ELSE
    horizon := pg_snapshot_xmin(pg_current_snapshot());
  END IF;

  FOR s IN 0..3 LOOP
    seg := format('dataeng.change_log_%s', s)::regclass;
    BEGIN
      -- never queue behind (and in front of) the log's writers and readers:
      -- try a few times, then leave the segment for the next call
      FOR attempt IN 1..3 LOOP
        BEGIN
          EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', seg);
          EXIT;
        EXCEPTION WHEN lock_not_available THEN
          IF attempt = 3 THEN
            RAISE;
          END IF;
          PERFORM pg_sleep(0.05);
        END;
      END LOOP;
      -- new snapshot: writers that held the segment have committed by now
      EXECUTE format('SELECT max(xid), count(*) FROM %s', seg) INTO top, n;
      IF n > 0 AND top < horizon THEN
        EXECUTE format('TRUNCATE %s', seg);
        segment := s;
        purged_changes := n;
        RETURN NEXT;
      END IF;
    EXCEPTION WHEN lock_not_available THEN
      RAISE NOTICE 'segment % of the change log is busy; skipped', s;
    END;
  END LOOP;

  -- ticks: keep what consumers still need, and the newest one
  SELECT min(CASE WHEN c.ack_txn = 9223372036854775807 THEN c.ack_tick
                  ELSE (SELECT max(tk.tick_id) FROM dataeng.cdc_ticks tk
                         WHERE tk.tick_id < c.ack_tick) END)
    INTO keep FROM dataeng.cdc_consumer_state c;
  keep := least(coalesce(keep, 9223372036854775807),
                (SELECT max(tick_id) FROM dataeng.cdc_ticks));
  DELETE FROM dataeng.cdc_batch_txns bt WHERE bt.tick_id <= keep;
  DELETE FROM dataeng.cdc_ticks tk WHERE tk.tick_id < keep;
END;
$$;
REVOKE ALL ON FUNCTION dataeng.cdc_purge() FROM PUBLIC;
COMMENT ON FUNCTION dataeng.cdc_purge() IS
  'Truncates change-log segments whose changes every consumer has acknowledged';

-- Internal objects, for whoever meets them in \df or \d.
COMMENT ON TABLE dataeng.change_log_0 IS 'Segment 0 of dataeng.change_log';
COMMENT ON TABLE dataeng.change_log_1 IS 'Segment 1 of dataeng.change_log';
COMMENT ON TABLE dataeng.change_log_2 IS 'Segment 2 of dataeng.change_log';
COMMENT ON TABLE dataeng.change_log_3 IS 'Segment 3 of dataeng.change_log';
COMMENT ON SEQUENCE dataeng.cdc_tick_seq IS 'tick_id of dataeng.cdc_ticks';
COMMENT ON FUNCTION dataeng._cdc_ack(regrole, text, bigint) IS 'internal: body of dataeng.cdc_ack()';
COMMENT ON FUNCTION dataeng._cdc_can_read(regrole, oid) IS 'internal: whether a role may read every change of a table';
COMMENT ON FUNCTION dataeng._cdc_check_table(regclass, regrole) IS 'internal: refuse tables capture cannot be installed on';
COMMENT ON FUNCTION dataeng._cdc_consumer(text, regrole, boolean) IS 'internal: lock a consumer the calling role may use';
COMMENT ON FUNCTION dataeng._cdc_consumer_create(regrole, text, regclass[]) IS 'internal: body of dataeng.cdc_consumer_create()';
COMMENT ON FUNCTION dataeng._cdc_consumer_drop(regrole, text) IS 'internal: body of dataeng.cdc_consumer_drop()';
COMMENT ON FUNCTION dataeng._cdc_consumer_list() IS 'internal: body of the view dataeng.cdc_consumers';
COMMENT ON FUNCTION dataeng._cdc_consumer_list_as_owner(regrole) IS 'internal: body of dataeng._cdc_consumer_list()';
COMMENT ON FUNCTION dataeng._cdc_disable(regrole, regclass) IS 'internal: body of dataeng.cdc_disable()';
COMMENT ON FUNCTION dataeng._cdc_drop_triggers(regclass) IS 'internal: drop the capture triggers of one table';
COMMENT ON FUNCTION dataeng._cdc_enable(regrole, regclass, text[], text[], boolean) IS 'internal: body of dataeng.cdc_enable()';
COMMENT ON FUNCTION dataeng._cdc_install(regclass, text, boolean) IS 'internal: install the capture triggers on a table';
COMMENT ON FUNCTION dataeng._cdc_lag(dataeng.cdc_consumer_state) IS 'internal: pending changes of a consumer';
COMMENT ON FUNCTION dataeng._cdc_on_ddl() IS 'internal: event trigger following partition DDL';
COMMENT ON FUNCTION dataeng._cdc_on_drop() IS 'internal: event trigger forgetting dropped tables';
COMMENT ON FUNCTION dataeng._cdc_poll(regrole, text, int, boolean) IS 'internal: body of dataeng.cdc_poll()';
COMMENT ON FUNCTION dataeng._cdc_poll_ranges(dataeng.cdc_consumer_state, regrole, int, boolean) IS 'internal: where a poll of a consumer starts and stops, batch by batch';
COMMENT ON FUNCTION dataeng._cdc_rename_column(oid, text, text, boolean) IS 'internal: follow a column rename in capture options';
COMMENT ON FUNCTION dataeng._cdc_snapshot_with(pg_snapshot, xid8) IS 'internal: a snapshot in which a transaction is running';
COMMENT ON FUNCTION dataeng._cdc_sync_triggers() IS 'internal: make the capture triggers what cdc_tables says';
COMMENT ON FUNCTION dataeng._cdc_tick(boolean) IS 'internal: cut a new batch of the change log';
COMMENT ON FUNCTION dataeng._cdc_trigger_args(text[], text[], boolean) IS 'internal: the capture triggers'' arguments';
COMMENT ON FUNCTION dataeng._cdc_trigger_argv(text[], text[], boolean) IS 'internal: the capture triggers'' argument values';

-----------------------------------------------------------------------------
-- Scheduling (src/schedule/): jobs run by background workers.
--
-- A launcher worker starts one scheduler per database having the extension;
-- the scheduler starts one worker per job run, connected as the job's
-- owner.  dataeng.jobs and dataeng.job_runs are protected by row-level
-- security: a role sees and changes its own jobs only (superusers all), so
-- the functions below are plain invoker-rights functions.
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng._schedule_valid(schedule text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_schedule_valid'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng._schedule_valid(text) IS 'internal: does a schedule parse (CHECK of dataeng.jobs)';

CREATE FUNCTION dataeng._schedule_next(schedule text, after timestamptz)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_schedule_next'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng._schedule_next(text, timestamptz) IS
  'The next time a schedule (cron expression in UTC, @keyword or interval) is due after a given time';

CREATE FUNCTION dataeng._scheduler_wake()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_scheduler_wake'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng._scheduler_wake() IS 'internal: wake the scheduler when job changes commit';

CREATE FUNCTION dataeng._scheduler_wake_now()
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_scheduler_wake'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng._scheduler_wake_now() IS 'internal: wake the scheduler (or the launcher) at commit';

CREATE FUNCTION dataeng._scheduler_pid()
RETURNS int
AS 'MODULE_PATHNAME', 'dataeng_scheduler_pid'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng._scheduler_pid() IS 'The process id of this database''s scheduler, NULL when none runs';

CREATE TABLE dataeng.jobs (
  job_id           bigserial   PRIMARY KEY,
  job_name         text        NOT NULL UNIQUE CHECK (job_name <> ''),
  owner            regrole     NOT NULL DEFAULT current_user::regrole,
  schedule         text        NOT NULL CHECK (dataeng._schedule_valid(schedule)),
  command          text        NOT NULL,
  timeout          interval    CHECK (timeout > interval '0'),
  max_retries      int         NOT NULL DEFAULT 0 CHECK (max_retries >= 0),
  depends_on       text[],
  paused           boolean     NOT NULL DEFAULT false,
  run_now          boolean     NOT NULL DEFAULT false,
  next_run_at      timestamptz,
  attempt          int         NOT NULL DEFAULT 0,
  last_run_id      bigint,
  last_started_at  timestamptz,
  last_finished_at timestamptz,
  last_status      text        CHECK (last_status IN ('running', 'succeeded', 'failed', 'timed_out')),
  last_success_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dataeng.jobs IS 'Scheduled jobs (dataeng.schedule()); each role sees its own';
SELECT pg_catalog.pg_extension_config_dump('dataeng.jobs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.jobs_job_id_seq', '');

CREATE TABLE dataeng.job_runs (
  run_id        bigserial   PRIMARY KEY,
  job_id        bigint      NOT NULL,
  owner         regrole     NOT NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  status        text        NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'timed_out')),
  attempt       int         NOT NULL,
  error_message text
);
CREATE INDEX job_runs_job_idx ON dataeng.job_runs (job_id, started_at);
COMMENT ON TABLE dataeng.job_runs IS 'History of job runs, kept for dataeng.job_history_keep';

ALTER TABLE dataeng.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.job_runs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_jobs ON dataeng.jobs
  USING (owner = current_user::regrole) WITH CHECK (owner = current_user::regrole);
CREATE POLICY own_runs ON dataeng.job_runs FOR SELECT USING (owner = current_user::regrole);
REVOKE ALL ON dataeng.jobs, dataeng.job_runs FROM PUBLIC;
GRANT SELECT, DELETE ON dataeng.jobs TO PUBLIC;
GRANT INSERT (job_name, schedule, command, timeout, max_retries, depends_on, paused, next_run_at)
  ON dataeng.jobs TO PUBLIC;
GRANT UPDATE (schedule, command, timeout, max_retries, depends_on, paused, run_now, next_run_at, attempt)
  ON dataeng.jobs TO PUBLIC;
GRANT USAGE ON SEQUENCE dataeng.jobs_job_id_seq TO PUBLIC;
GRANT SELECT ON dataeng.job_runs TO PUBLIC;

CREATE TRIGGER jobs_wake AFTER INSERT OR UPDATE OR DELETE ON dataeng.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng._scheduler_wake();

-- the visible job a name refers to, locked; a clear error when there is none
CREATE FUNCTION dataeng._job(job_name text)
RETURNS dataeng.jobs
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j dataeng.jobs;
BEGIN
  SELECT * INTO j FROM dataeng.jobs WHERE jobs.job_name = _job.job_name FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'job "%" does not exist', job_name
      USING ERRCODE = 'undefined_object',
            HINT = 'dataeng.jobs lists the jobs of the current role.';
  END IF;
  RETURN j;
END;
$$;
COMMENT ON FUNCTION dataeng._job(text) IS 'internal: lock a job of the current role by name';

CREATE FUNCTION dataeng.schedule(job_name text, schedule text, command text,
                                 timeout interval DEFAULT NULL, max_retries int DEFAULT 0,
                                 depends_on text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
  next timestamptz;
  d text;
BEGIN
  PERFORM dataeng.require_preload('dataeng.schedule()');
  IF job_name IS NULL OR job_name = '' THEN
    RAISE EXCEPTION 'job name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule of job "%" must not be NULL', job_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF command IS NULL OR btrim(command) = '' THEN
    RAISE EXCEPTION 'command of job "%" must not be empty', job_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF timeout IS NOT NULL AND timeout <= interval '0' THEN
    RAISE EXCEPTION 'timeout of job "%" must be positive, not %', job_name, timeout
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF max_retries IS NULL OR max_retries < 0 THEN
    RAISE EXCEPTION 'max_retries of job "%" must be 0 or more', job_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  next := dataeng._schedule_next(schedule, now());   -- raises on a bad schedule
  FOREACH d IN ARRAY coalesce(depends_on, '{}') LOOP
    IF d IS NULL OR d = job_name THEN
      RAISE EXCEPTION 'job "%" cannot depend on %', job_name, coalesce(quote_literal(d), 'NULL')
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dataeng.jobs j WHERE j.job_name = d) THEN
      RAISE EXCEPTION 'job "%" depends on job "%", which does not exist', job_name, d
        USING ERRCODE = 'undefined_object', HINT = 'Schedule the upstream job first.';
    END IF;
  END LOOP;
  UPDATE dataeng.jobs j
     SET schedule = schedule.schedule, command = schedule.command, timeout = schedule.timeout,
         max_retries = schedule.max_retries, depends_on = schedule.depends_on,
         next_run_at = next, attempt = 0
   WHERE j.job_name = schedule.job_name
  RETURNING j.job_id INTO id;
  IF id IS NULL THEN
    BEGIN
      INSERT INTO dataeng.jobs (job_name, schedule, command, timeout, max_retries, depends_on, next_run_at)
      VALUES (job_name, schedule, command, timeout, max_retries, depends_on, next)
      RETURNING jobs.job_id INTO id;
    EXCEPTION WHEN unique_violation THEN
      RAISE EXCEPTION 'job name "%" is taken by another role', job_name
        USING ERRCODE = 'duplicate_object', HINT = 'Job names are unique in a database; choose another.';
    END;
  END IF;
  RETURN id;
END;
$$;
COMMENT ON FUNCTION dataeng.schedule(text, text, text, interval, int, text[]) IS
  'Schedules (or reschedules) a job run as the current role: cron expression, @keyword or interval';

CREATE FUNCTION dataeng.unschedule(job_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  downstream text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dataeng.jobs j WHERE j.job_name = unschedule.job_name) THEN
    RETURN false;
  END IF;
  SELECT string_agg(format('"%s"', j.job_name), ', ' ORDER BY j.job_name) INTO downstream
    FROM dataeng.jobs j WHERE unschedule.job_name = ANY (j.depends_on);
  IF downstream IS NOT NULL THEN
    RAISE EXCEPTION 'cannot unschedule job "%": other jobs depend on it', job_name
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('Jobs depending on it: %s.', downstream),
            HINT = 'Unschedule those jobs first, or reschedule them without the dependency.';
  END IF;
  DELETE FROM dataeng.jobs j WHERE j.job_name = unschedule.job_name;
  RETURN FOUND;
END;
$$;
COMMENT ON FUNCTION dataeng.unschedule(text) IS 'Removes a job; false when there is no such job';

CREATE FUNCTION dataeng.job_pause(job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng._job(job_name);
  UPDATE dataeng.jobs j SET paused = true WHERE j.job_name = job_pause.job_name;
END;
$$;
COMMENT ON FUNCTION dataeng.job_pause(text) IS 'Stops a job from being run on schedule (a running run goes on)';

CREATE FUNCTION dataeng.job_resume(job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j dataeng.jobs := dataeng._job(job_name);
BEGIN
  -- runs missed while paused are not made up: the next one is after now
  UPDATE dataeng.jobs SET paused = false,
         next_run_at = CASE WHEN j.paused THEN dataeng._schedule_next(j.schedule, now()) ELSE next_run_at END
   WHERE job_id = j.job_id;
END;
$$;
COMMENT ON FUNCTION dataeng.job_resume(text) IS 'Lets a paused job run on schedule again';

CREATE FUNCTION dataeng.job_run_now(job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng.require_preload('dataeng.job_run_now()');
  PERFORM dataeng._job(job_name);
  UPDATE dataeng.jobs j SET run_now = true WHERE j.job_name = job_run_now.job_name;
END;
$$;
COMMENT ON FUNCTION dataeng.job_run_now(text) IS
  'Runs a job as soon as the current transaction commits (even a paused one), once';

-- a new database with the extension gets its scheduler at once
SELECT dataeng._scheduler_wake_now();

-----------------------------------------------------------------------------
-- Validation: scalar validators (src/validate/).  IMMUTABLE, STRICT and
-- PARALLEL SAFE, usable in CHECK constraints, domains and indexes; they
-- never raise on any value (only on an unknown mode).
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.is_email(email text, mode text DEFAULT 'practical')
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_email(text, text) IS
  'Whether the text is an email address: mode practical (default), rfc5321 or html5';

CREATE FUNCTION dataeng.email_problem(email text, mode text DEFAULT 'practical')
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_email_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.email_problem(text, text) IS
  'Why the text is not an email address under the mode, or NULL when it is one';

CREATE FUNCTION dataeng.is_luhn(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_luhn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_luhn(text) IS 'Whether the text is a number whose last digit is its Luhn (mod 10) check digit';

CREATE FUNCTION dataeng.luhn_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_luhn_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.luhn_problem(text) IS 'Why the text is not a number whose last digit is its Luhn (mod 10) check digit, or NULL';

CREATE FUNCTION dataeng.is_credit_card(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_credit_card'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_credit_card(text) IS 'Whether the text is a payment card number: a known issuer prefix, its length, and the Luhn check';

CREATE FUNCTION dataeng.credit_card_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_credit_card_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.credit_card_problem(text) IS 'Why the text is not a payment card number: a known issuer prefix, its length, and the Luhn check, or NULL';

CREATE FUNCTION dataeng.is_isbn(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_isbn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_isbn(text) IS 'Whether the text is an ISBN-10 or ISBN-13 with a matching check character (hyphens and spaces allowed)';

CREATE FUNCTION dataeng.isbn_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_isbn_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.isbn_problem(text) IS 'Why the text is not an ISBN-10 or ISBN-13 with a matching check character (hyphens and spaces allowed), or NULL';

CREATE FUNCTION dataeng.is_iban(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_iban'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_iban(text) IS 'Whether the text is an IBAN: country length and account format from the IBAN registry, then mod 97';

CREATE FUNCTION dataeng.iban_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_iban_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.iban_problem(text) IS 'Why the text is not an IBAN: country length and account format from the IBAN registry, then mod 97, or NULL';

CREATE FUNCTION dataeng.is_uuid(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_uuid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_uuid(text) IS 'Whether the text is a UUID in a form the uuid type reads';

CREATE FUNCTION dataeng.uuid_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_uuid_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.uuid_problem(text) IS 'Why the text is not a UUID in a form the uuid type reads, or NULL';

-- URLs: the WHATWG URL Standard's parser with no base, a host, an allowed scheme.
CREATE FUNCTION dataeng.is_url(value text, schemes text[] DEFAULT '{http,https}')
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_url'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_url(text, text[]) IS 'Whether the text is an absolute URL (WHATWG URL Standard) with a host and one of the schemes';

CREATE FUNCTION dataeng.url_problem(value text, schemes text[] DEFAULT '{http,https}')
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_url_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.url_problem(text, text[]) IS 'Why the text is not an absolute URL (WHATWG URL Standard) with a host and one of the schemes, or NULL';

-- Phone numbers, through Google's libphonenumber.  region: ISO 3166 code the
-- number is dialled from (NULL: the number must be in international format).
-- Not STRICT, so that region may be NULL; a NULL number gives NULL.
CREATE FUNCTION dataeng.is_phone(phone text, region text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_phone'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_phone(text, text) IS
  'Whether the text is a valid phone number (libphonenumber), as dialled from region';

CREATE FUNCTION dataeng.phone_possible(phone text, region text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_phone_possible'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.phone_possible(text, text) IS
  'Whether the text has a possible length for a phone number of its country (looser than is_phone)';

CREATE FUNCTION dataeng.phone_problem(phone text, region text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_phone_problem'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.phone_problem(text, text) IS
  'Why the text is not a valid phone number, or NULL';

-- Postal codes, by the country formats of Google's libaddressinput.
CREATE FUNCTION dataeng.is_postal_code(code text, country text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_postal_code'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_postal_code(text, text) IS
  'Whether the text is a postal code of the country (ISO 3166 alpha-2)';

CREATE FUNCTION dataeng.postal_code_problem(code text, country text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_postal_code_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.postal_code_problem(text, text) IS
  'Why the text is not a postal code of the country, or NULL';

-- Strict dates: the whole text matches the format and the date exists.
CREATE FUNCTION dataeng.is_date(value text, format text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_date(text, text) IS
  'Whether the text is an existing date written exactly in the format (to_date patterns)';

CREATE FUNCTION dataeng.date_problem(value text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_date_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.date_problem(text, text) IS
  'Why the text is not a date written in the format, or NULL';

-----------------------------------------------------------------------------
-- Cleansing: string similarity (src/cleanse/fuzzy.c)
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.jaro_winkler(a text, b text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'dataeng_jaro_winkler'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.jaro_winkler(text, text) IS
  'Jaro-Winkler similarity of two strings, 0 (different) to 1 (identical)';

CREATE FUNCTION dataeng.damerau_levenshtein(a text, b text)
RETURNS integer
AS 'MODULE_PATHNAME', 'dataeng_damerau_levenshtein'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.damerau_levenshtein(text, text) IS
  'Edits (insert, delete, substitute, swap adjacent characters) between two strings';

-- Phonetic codes (src/cleanse/phonetic.c)
CREATE FUNCTION dataeng.double_metaphone(value text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'dataeng_double_metaphone'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.double_metaphone(text) IS
  'Double Metaphone codes {primary, alternate} of up to 4 characters; accents folded first';

CREATE FUNCTION dataeng.metaphone_key(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_metaphone_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.metaphone_key(text) IS
  'Primary Double Metaphone code, a blocking key; NULL when the value has no letter to code';

-- Text cleansers (src/cleanse/text.c); they need a UTF-8 database.
CREATE FUNCTION dataeng.clean_text(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_clean_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.clean_text(text) IS
  'Trimmed, inner white space collapsed, control and zero-width characters removed, Unicode NFC';

CREATE FUNCTION dataeng.fold_accents(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fold_accents'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.fold_accents(text) IS
  'Accents and ligatures folded (é→e, ß→ss, Æ→AE), case kept; IMMUTABLE, unlike unaccent';

CREATE FUNCTION dataeng.fingerprint(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fingerprint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.fingerprint(text) IS
  'OpenRefine key-collision fingerprint: distinct folded lower-case words, sorted';

CREATE FUNCTION dataeng.ngram_fingerprint(value text, n int DEFAULT 2)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_ngram_fingerprint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.ngram_fingerprint(text, int) IS
  'OpenRefine n-gram fingerprint: distinct n-grams of the folded text, sorted and concatenated';

-- Phones in E.164, through libphonenumber (src/cleanse/phones.c).
CREATE FUNCTION dataeng.to_e164(phone text, region text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_to_e164'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.to_e164(text, text) IS
  'The phone number in E.164 form (+441234567890), or NULL when it is not a valid number';

-- Email normal form (src/cleanse/emails.c).
CREATE FUNCTION dataeng.normalize_email(email text, provider_rules boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_normalize_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.normalize_email(text, boolean) IS
  'Trimmed, NFC, domain lower-cased and in IDNA ASCII form (Gmail/Outlook rules optional); NULL when not an address';

CREATE FUNCTION dataeng.normalize_email_strict(email text, provider_rules boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_normalize_email_strict'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.normalize_email_strict(text, boolean) IS
  'normalize_email(), raising an error that says why when the text is not an address';

-- Numbers as people write them (src/cleanse/numbers.c).  Not STRICT:
-- decimal_sep may be NULL (inferred); a NULL text gives NULL.
CREATE FUNCTION dataeng.parse_number(value text, decimal_sep text DEFAULT NULL)
RETURNS numeric
AS 'MODULE_PATHNAME', 'dataeng_parse_number'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_number(text, text) IS
  'The number in text such as "1.234,56", "(12.50)", "12%", "$1,234.00"; NULL when none or ambiguous';

CREATE FUNCTION dataeng.parse_number_strict(value text, decimal_sep text DEFAULT NULL)
RETURNS numeric
AS 'MODULE_PATHNAME', 'dataeng_parse_number_strict'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_number_strict(text, text) IS
  'parse_number(), raising an error that says why instead of returning NULL';

-- Units (src/cleanse/units.c).
CREATE FUNCTION dataeng.convert_unit(value numeric, from_unit text, to_unit text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'dataeng_convert_unit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.convert_unit(numeric, text, text) IS
  'A quantity converted between units of mass, length, volume, area, temperature or time';

CREATE FUNCTION dataeng.parse_quantity(quantity text, OUT value numeric, OUT unit text)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_parse_quantity'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_quantity(text) IS
  'A number and a known unit read from text such as "2.5 lbs" (NULLs when it is not one)';

-- Currencies.  Rates are units of the currency per one unit of a base
-- currency of your choice (enter the base itself with 1).
CREATE TABLE dataeng.fx_rates (
  currency       text    NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  rate_date      date    NOT NULL,
  units_per_base numeric NOT NULL CHECK (units_per_base > 0),
  PRIMARY KEY (currency, rate_date)
);
COMMENT ON TABLE dataeng.fx_rates IS
  'Exchange rates: units of currency per unit of the base currency, by date';
SELECT pg_catalog.pg_extension_config_dump('dataeng.fx_rates', '');
GRANT SELECT ON dataeng.fx_rates TO PUBLIC;

-- The rate of a currency on a date: the latest on or before it.
CREATE FUNCTION dataeng.fx_rate(cur text, at date)
RETURNS numeric
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r numeric;
BEGIN
  SELECT units_per_base INTO r FROM dataeng.fx_rates
   WHERE currency = upper(cur) AND rate_date <= at
   ORDER BY rate_date DESC LIMIT 1;
  IF r IS NULL THEN
    RAISE EXCEPTION 'no exchange rate for % on or before %', upper(cur), at
      USING ERRCODE = 'no_data_found',
            HINT = 'Add one to dataeng.fx_rates (the base currency with units_per_base 1).';
  END IF;
  RETURN r;
END;
$$;
COMMENT ON FUNCTION dataeng.fx_rate(text, date) IS
  'The rate of a currency (units per base unit) on a date: the latest on or before it';

CREATE FUNCTION dataeng.to_currency(amount numeric, from_cur text, to_cur text, at date)
RETURNS numeric
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN upper(from_cur) = upper(to_cur) THEN amount
              ELSE amount / dataeng.fx_rate(from_cur, at) * dataeng.fx_rate(to_cur, at) END
$$;
COMMENT ON FUNCTION dataeng.to_currency(numeric, text, text, date) IS
  'An amount converted between currencies at the latest rates on or before a date (dataeng.fx_rates)';

-- Last observation carried forward, as a window function:
--   dataeng.locf(price) OVER (PARTITION BY sku ORDER BY day)
CREATE FUNCTION dataeng._locf_step(state anyelement, value anyelement)
RETURNS anyelement
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT coalesce($2, $1)';
COMMENT ON FUNCTION dataeng._locf_step(anyelement, anyelement) IS 'internal: step of dataeng.locf';
REVOKE ALL ON FUNCTION dataeng._locf_step(anyelement, anyelement) FROM PUBLIC;
CREATE AGGREGATE dataeng.locf(anyelement) (
  SFUNC = dataeng._locf_step,
  STYPE = anyelement,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE dataeng.locf(anyelement) IS
  'Last non-null value so far: use as a window function ordered by time (last observation carried forward)';

-- Fill the NULLs of a column.  Runs with the caller's privileges.
CREATE FUNCTION dataeng.fill_missing(tbl regclass, column_name text, strategy text,
                                     value text DEFAULT NULL, order_by text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  coltype text;
  fill text;
  n bigint;
BEGIN
  IF tbl IS NULL OR column_name IS NULL OR strategy IS NULL THEN
    RAISE EXCEPTION 'table, column and strategy must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT format_type(a.atttypid, a.atttypmod) INTO coltype
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
  IF coltype IS NULL THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', column_name, tbl
      USING ERRCODE = 'undefined_column';
  END IF;

  CASE strategy
  WHEN 'constant' THEN
    IF value IS NULL THEN
      RAISE EXCEPTION 'strategy constant needs a value' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('UPDATE %s SET %I = $1::%s WHERE %I IS NULL', tbl, column_name, coltype, column_name)
      USING value;
  WHEN 'mean', 'median', 'mode' THEN
    EXECUTE format('SELECT (%s)::text FROM %s WHERE %I IS NOT NULL',
                   CASE strategy WHEN 'mean' THEN format('avg(%I)', column_name)
                                 WHEN 'median' THEN format('percentile_disc(0.5) WITHIN GROUP (ORDER BY %I)', column_name)
                                 ELSE format('mode() WITHIN GROUP (ORDER BY %I)', column_name) END,
                   tbl, column_name)
      INTO fill;
    IF fill IS NULL THEN
      RETURN 0;                           -- nothing to compute it from
    END IF;
    EXECUTE format('UPDATE %s SET %I = $1::%s WHERE %I IS NULL', tbl, column_name, coltype, column_name)
      USING fill;
  WHEN 'locf' THEN
    IF order_by IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
                                          AND a.attname = order_by AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'strategy locf needs order_by, a column of %', tbl
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('UPDATE %1$s t SET %2$I = f.v FROM (SELECT ctid AS c, dataeng.locf(%2$I) OVER (ORDER BY %3$I) AS v FROM %1$s) f '
                   'WHERE t.ctid = f.c AND t.%2$I IS NULL AND f.v IS NOT NULL', tbl, column_name, order_by);
  ELSE
    RAISE EXCEPTION 'unknown strategy "%"', strategy
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use constant, mean, median, mode or locf.';
  END CASE;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng.fill_missing(regclass, text, text, text, text) IS
  'Fills the NULLs of a column (constant, mean, median, mode or locf by order_by); returns the rows filled';

-- Names in proper case (src/cleanse/names.c).
-----------------------------------------------------------------------------
-- Duplicate records (src/cleanse/dedupe.c): find_duplicates, dedupe, undo.
--
-- Normalize the chosen columns (clean_text, fold_accents, lower); block on
-- cheap keys (each column's value, each pair of adjacent columns' values;
-- blocks of more than 20 rows carry little information and are skipped),
-- so the work grows with the table, not its square; score each candidate
-- pair as a match probability (Fellegi-Sunter, u measured on random pairs,
-- m on near-certain matches; see dedupe.c); join pairs at or above the
-- threshold into clusters.
-- Everything runs with the caller's privileges.
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng._dedup_pattern(a text[], b text[])
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_dedup_pattern'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng._dedup_pattern(text[], text[]) IS
  'internal: agreement level of each column of two records (0 missing, 1 different, 2 similar, 3 equal)';

CREATE FUNCTION dataeng._dedup_estimate(patterns text[], counts float8[], ncols int, nrows bigint)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'dataeng_dedup_estimate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng._dedup_estimate(text[], float8[], int, bigint) IS
  'internal: estimate the share of matches and m probabilities from the near-certain matches';

CREATE FUNCTION dataeng._dedup_prob(pattern text, params float8[], u float8[])
RETURNS float8
AS 'MODULE_PATHNAME', 'dataeng_dedup_prob'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng._dedup_prob(text, float8[], float8[]) IS
  'internal: match probability of an agreement pattern';

CREATE FUNCTION dataeng._dedup_centers(nrows bigint, a bigint[], b bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'dataeng_dedup_centers'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng._dedup_centers(bigint, bigint[], bigint[]) IS
  'internal: center clustering of matching pairs given best first';

-- Cluster the rows of tbl; leaves pg_temp._dd_result (cluster_id, id, k, score).
CREATE FUNCTION dataeng._dedup_clusters(tbl regclass, columns text[], threshold float8, key_expr text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
  ncols int;
  n bigint;
  exprs text := '';
  u float8[];
  params float8[];
  sample int;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF columns IS NULL OR cardinality(columns) = 0 THEN
    RAISE EXCEPTION 'columns must list at least one column of %', tbl USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF threshold IS NULL OR threshold <= 0 OR threshold > 1 OR threshold = 'NaN' THEN
    RAISE EXCEPTION 'threshold must be in (0, 1], not %', threshold USING ERRCODE = 'invalid_parameter_value',
          HINT = 'It is the lowest match probability that joins two rows; 0.85 is the default.';
  END IF;
  IF (SELECT count(DISTINCT x) FROM unnest(columns) x) <> cardinality(columns) THEN
    RAISE EXCEPTION 'columns lists a column twice' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH c IN ARRAY columns LOOP
    IF c IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c
                                  AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'column % of table % does not exist', coalesce(quote_ident(c), 'NULL'), tbl
        USING ERRCODE = 'undefined_column';
    END IF;
    exprs := exprs || CASE WHEN exprs = '' THEN '' ELSE ', ' END
             || format('nullif(lower(dataeng.fold_accents(dataeng.clean_text(%I::text))), %L)', c, '');
  END LOOP;
  ncols := cardinality(columns);

  -- leftovers of a call that failed earlier in this session
  IF to_regclass('pg_temp._dd_rows') IS NOT NULL THEN DROP TABLE pg_temp._dd_rows; END IF;
  IF to_regclass('pg_temp._dd_pairs') IS NOT NULL THEN DROP TABLE pg_temp._dd_pairs; END IF;
  IF to_regclass('pg_temp._dd_edges') IS NOT NULL THEN DROP TABLE pg_temp._dd_edges; END IF;
  IF to_regclass('pg_temp._dd_label') IS NOT NULL THEN DROP TABLE pg_temp._dd_label; END IF;
  IF to_regclass('pg_temp._dd_result') IS NOT NULL THEN DROP TABLE pg_temp._dd_result; END IF;
  EXECUTE format('CREATE TEMP TABLE _dd_rows AS SELECT row_number() OVER () AS id, %s AS k, ARRAY[%s]::text[] AS v FROM %s',
                 key_expr, exprs, tbl);
  GET DIAGNOSTICS n = ROW_COUNT;
  CREATE TEMP TABLE _dd_result (cluster_id bigint, id bigint, k jsonb, score float8);
  IF n < 2 THEN
    RETURN;
  END IF;
  CREATE UNIQUE INDEX ON _dd_rows (id);
  ANALYZE _dd_rows;

  -- candidate pairs: rows sharing a value of a column, or of two adjacent ones
  CREATE TEMP TABLE _dd_pairs AS
    WITH keys AS (
      SELECT r.id, i::text || chr(1) || x AS key
        FROM _dd_rows r, unnest(r.v) WITH ORDINALITY u(x, i) WHERE x IS NOT NULL
      UNION ALL
      SELECT r.id, i::text || '+' || chr(1) || r.v[i] || chr(1) || r.v[i + 1]
        FROM _dd_rows r, generate_series(1, ncols - 1) i WHERE r.v[i] IS NOT NULL AND r.v[i + 1] IS NOT NULL),
    blocks AS (
      SELECT array_agg(id) AS ids FROM keys GROUP BY key HAVING count(*) BETWEEN 2 AND 20),
    pairs AS (
      SELECT DISTINCT a, b FROM blocks, unnest(ids) a, unnest(ids) b WHERE a < b)
    -- (a, b) is a candidate; its rows are looked up by id
    SELECT p.a, p.b, dataeng._dedup_pattern(x.v, y.v) AS pat
      FROM pairs p JOIN _dd_rows x ON x.id = p.a JOIN _dd_rows y ON y.id = p.b;

  -- u: how often each level occurs between unrelated rows, on a fixed
  -- pseudo-random sample of pairs (the same every run)
  sample := least(20000, n * (n - 1) / 2);
  WITH s AS MATERIALIZED (
    SELECT dataeng._dedup_pattern(x.v, y.v) AS pat
      FROM (SELECT 1 + (abs(hashint8(g)) % n) AS a, 1 + (abs(hashint8(-g)) % n) AS b
              FROM generate_series(1, sample) g) p
      JOIN _dd_rows x ON x.id = p.a JOIN _dd_rows y ON y.id = p.b
     WHERE p.a <> p.b)
  SELECT array_agg(uu ORDER BY j, l) INTO u
    FROM (SELECT j, l, (count(*) FILTER (WHERE substr(s.pat, j, 1) = l::text) + 1.0)
                       / (count(*) FILTER (WHERE substr(s.pat, j, 1) <> '0') + 3.0) AS uu
            FROM s, generate_series(1, ncols) j, generate_series(1, 3) l GROUP BY j, l) z;

  SELECT dataeng._dedup_estimate(array_agg(pat), array_agg(cnt), ncols, n) INTO params
    FROM (SELECT pat, count(*)::float8 AS cnt FROM _dd_pairs GROUP BY pat) s;
  IF params IS NULL THEN
    RETURN;                                 -- no candidate pairs
  END IF;

  CREATE TEMP TABLE _dd_edges AS
    SELECT p.a, p.b, w.prob
      FROM _dd_pairs p
      JOIN (SELECT pat, dataeng._dedup_prob(pat, params, u) AS prob FROM (SELECT DISTINCT pat FROM _dd_pairs) d) w
        USING (pat)
     WHERE w.prob >= threshold;

  -- clusters: a center and the rows matching it, best pairs first (see
  -- _dedup_centers: no chains of borderline pairs)
  CREATE TEMP TABLE _dd_label AS
    SELECT u.id, u.label
      FROM unnest(dataeng._dedup_centers(n,
                    (SELECT array_agg(a ORDER BY prob DESC, a, b) FROM _dd_edges),
                    (SELECT array_agg(b ORDER BY prob DESC, a, b) FROM _dd_edges)))
           WITH ORDINALITY u(label, id)
     WHERE u.label > 0;

  INSERT INTO _dd_result
    SELECT dense_rank() OVER (ORDER BY l.label), l.id, r.k, sc.score
      FROM _dd_label l
      JOIN _dd_rows r ON r.id = l.id
      JOIN (SELECT e.x AS id, max(e.prob) AS score
              FROM (SELECT a AS x, b AS y, prob FROM _dd_edges UNION ALL SELECT b, a, prob FROM _dd_edges) e
              JOIN _dd_label lx ON lx.id = e.x JOIN _dd_label ly ON ly.id = e.y
             WHERE lx.label = ly.label
             GROUP BY e.x) sc ON sc.id = l.id;
  DROP TABLE _dd_rows, _dd_pairs, _dd_edges, _dd_label;
END;
$$;
COMMENT ON FUNCTION dataeng._dedup_clusters(regclass, text[], float8, text) IS
  'internal: cluster the duplicate rows of a table into pg_temp._dd_result';

CREATE FUNCTION dataeng.find_duplicates(tbl regclass, columns text[], threshold float8 DEFAULT 0.85,
                                        key_column text DEFAULT NULL)
RETURNS TABLE(cluster_id bigint, row_key jsonb, score float8)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF key_column IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
                                               AND a.attname = key_column AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'key column % of table % does not exist', quote_ident(key_column), tbl
      USING ERRCODE = 'undefined_column';
  END IF;
  PERFORM dataeng._dedup_clusters(tbl, columns, threshold,
    CASE WHEN key_column IS NULL THEN 'jsonb_build_object(''ctid'', ctid::text)'
         ELSE format('jsonb_build_object(%L, %I)', key_column, key_column) END);
  RETURN QUERY SELECT r.cluster_id, r.k, r.score FROM pg_temp._dd_result r ORDER BY r.cluster_id, r.id;
  DROP TABLE pg_temp._dd_result;
END;
$$;
COMMENT ON FUNCTION dataeng.find_duplicates(regclass, text[], float8, text) IS
  'Clusters of rows that are probably the same entity (score: match probability), found without an O(n^2) pass';

CREATE TABLE dataeng.dedupe_runs (
  run_id       bigserial   PRIMARY KEY,
  table_name   regclass    NOT NULL,
  run_by       regrole     NOT NULL DEFAULT current_user::regrole,
  columns      text[]      NOT NULL,
  threshold    float8      NOT NULL,
  keep         text        NOT NULL,
  fill_nulls   boolean     NOT NULL,
  run_at       timestamptz NOT NULL DEFAULT now(),
  clusters     bigint,
  rows_deleted bigint,
  rows_filled  bigint,
  undone_at    timestamptz
);
COMMENT ON TABLE dataeng.dedupe_runs IS 'Runs of dataeng.dedupe(); undo with dataeng.dedupe_undo(run_id)';
CREATE TABLE dataeng.dedupe_log (
  run_id     bigint NOT NULL REFERENCES dataeng.dedupe_runs ON DELETE CASCADE,
  cluster_id bigint NOT NULL,
  action     text   NOT NULL CHECK (action IN ('deleted', 'filled')),
  old_row    jsonb  NOT NULL,        -- the row as it was
  new_row    jsonb                   -- for 'filled': the survivor after filling
);
CREATE INDEX dedupe_log_run_idx ON dataeng.dedupe_log (run_id);
COMMENT ON TABLE dataeng.dedupe_log IS 'Every row dataeng.dedupe() deleted or filled, as it was';
SELECT pg_catalog.pg_extension_config_dump('dataeng.dedupe_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.dedupe_log', '');
ALTER TABLE dataeng.dedupe_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.dedupe_log ENABLE ROW LEVEL SECURITY;
-- rows of a table are visible to whoever may read the table
CREATE POLICY readable ON dataeng.dedupe_runs FOR SELECT USING (has_table_privilege(table_name, 'SELECT'));
CREATE POLICY own_insert ON dataeng.dedupe_runs FOR INSERT WITH CHECK (run_by = current_user::regrole);
CREATE POLICY own_update ON dataeng.dedupe_runs FOR UPDATE USING (run_by = current_user::regrole);
CREATE POLICY own_delete ON dataeng.dedupe_runs FOR DELETE USING (run_by = current_user::regrole);
CREATE POLICY readable ON dataeng.dedupe_log FOR SELECT
  USING (EXISTS (SELECT 1 FROM dataeng.dedupe_runs r WHERE r.run_id = dedupe_log.run_id));
CREATE POLICY own_insert ON dataeng.dedupe_log FOR INSERT
  WITH CHECK (EXISTS (SELECT 1 FROM dataeng.dedupe_runs r WHERE r.run_id = dedupe_log.run_id
                        AND r.run_by = current_user::regrole AND r.undone_at IS NULL));
REVOKE ALL ON dataeng.dedupe_runs, dataeng.dedupe_log FROM PUBLIC;
GRANT SELECT, INSERT ON dataeng.dedupe_runs, dataeng.dedupe_log TO PUBLIC;
GRANT UPDATE (clusters, rows_deleted, rows_filled, undone_at) ON dataeng.dedupe_runs TO PUBLIC;
GRANT DELETE ON dataeng.dedupe_runs TO PUBLIC;
GRANT USAGE ON SEQUENCE dataeng.dedupe_runs_run_id_seq TO PUBLIC;

-- the columns of a table that INSERT may set, quoted, comma-separated
CREATE FUNCTION dataeng._insertable_columns(tbl regclass)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
$$;
COMMENT ON FUNCTION dataeng._insertable_columns(regclass) IS 'internal: the columns an INSERT may set';

CREATE FUNCTION dataeng.dedupe(tbl regclass, columns text[], keep text DEFAULT 'most_complete',
                               order_by text DEFAULT NULL, threshold float8 DEFAULT 0.85,
                               fill_nulls boolean DEFAULT false,
                               OUT run_id bigint, OUT clusters bigint, OUT rows_deleted bigint,
                               OUT rows_filled bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  rank_order text;
  cols text := dataeng._insertable_columns(tbl);
  fills text;
BEGIN
  IF keep IS NULL OR keep NOT IN ('most_complete', 'first', 'last') THEN
    RAISE EXCEPTION 'unknown keep rule %', coalesce(quote_literal(keep), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use most_complete (the row with the fewest NULLs), first or last (by order_by).';
  END IF;
  IF order_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
                                            AND a.attname = order_by AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'order_by column % of table % does not exist', quote_ident(order_by), tbl
      USING ERRCODE = 'undefined_column';
  END IF;
  IF keep IN ('first', 'last') AND order_by IS NULL THEN
    RAISE EXCEPTION 'keep => % needs order_by', quote_literal(keep) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fill_nulls IS NULL THEN
    RAISE EXCEPTION 'fill_nulls must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- rows keep their place (ctid) until we are done
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', tbl);
  PERFORM dataeng._dedup_clusters(tbl, columns, threshold, 'to_jsonb(ctid::text)');

  INSERT INTO dataeng.dedupe_runs (table_name, columns, threshold, keep, fill_nulls)
  VALUES (tbl, columns, threshold, keep, fill_nulls) RETURNING dedupe_runs.run_id INTO run_id;

  rank_order := CASE keep
    WHEN 'most_complete' THEN 'nn DESC' || CASE WHEN order_by IS NULL THEN '' ELSE format(', t.%I', order_by) END
    WHEN 'first' THEN format('t.%I', order_by)
    ELSE format('t.%I DESC', order_by) END || ', t.ctid';
  -- members of each cluster, ranked: 1 is the survivor
  IF to_regclass('pg_temp._dd_members') IS NOT NULL THEN DROP TABLE pg_temp._dd_members; END IF;
  EXECUTE format(
    'CREATE TEMP TABLE _dd_members AS
       SELECT r.cluster_id, t.ctid AS tid, to_jsonb(t) AS old_row,
              row_number() OVER (PARTITION BY r.cluster_id ORDER BY %s) AS rnk
         FROM pg_temp._dd_result r
         JOIN %s t ON t.ctid = (r.k #>> ''{}'')::tid
         CROSS JOIN LATERAL (SELECT count(*) AS nn FROM jsonb_each(to_jsonb(t)) e WHERE e.value <> ''null'') c',
    rank_order, tbl);
  DROP TABLE pg_temp._dd_result;
  SELECT count(DISTINCT m.cluster_id) INTO clusters FROM pg_temp._dd_members m;

  rows_filled := 0;
  IF fill_nulls THEN
    -- each NULL of a survivor takes the value of its best-ranked duplicate having one
    SELECT string_agg(format('%1$I = coalesce(t.%1$I, (SELECT d.%1$I FROM pg_temp._dd_members m2 '
                             'JOIN %2$s d ON d.ctid = m2.tid WHERE m2.cluster_id = m.cluster_id AND m2.rnk > 1 '
                             'AND d.%1$I IS NOT NULL ORDER BY m2.rnk LIMIT 1))', a.attname, tbl), ', ')
      INTO fills
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND a.attidentity <> 'a';
    EXECUTE format(
      'WITH upd AS (UPDATE %1$s t SET %2$s FROM pg_temp._dd_members m
                      WHERE m.rnk = 1 AND t.ctid = m.tid RETURNING m.cluster_id, m.old_row, to_jsonb(t) AS new_row)
       INSERT INTO dataeng.dedupe_log (run_id, cluster_id, action, old_row, new_row)
       SELECT $1, cluster_id, ''filled'', old_row, new_row FROM upd WHERE new_row <> old_row',
      tbl, fills) USING run_id;
    GET DIAGNOSTICS rows_filled = ROW_COUNT;
  END IF;

  INSERT INTO dataeng.dedupe_log (run_id, cluster_id, action, old_row)
  SELECT dedupe.run_id, m.cluster_id, 'deleted', m.old_row FROM pg_temp._dd_members m WHERE m.rnk > 1;
  EXECUTE format('DELETE FROM %s t USING pg_temp._dd_members m WHERE m.rnk > 1 AND t.ctid = m.tid', tbl);
  GET DIAGNOSTICS rows_deleted = ROW_COUNT;
  DROP TABLE pg_temp._dd_members;

  UPDATE dataeng.dedupe_runs r SET clusters = dedupe.clusters, rows_deleted = dedupe.rows_deleted,
         rows_filled = dedupe.rows_filled
   WHERE r.run_id = dedupe.run_id;
END;
$$;
COMMENT ON FUNCTION dataeng.dedupe(regclass, text[], text, text, float8, boolean) IS
  'Keeps one row per cluster of duplicates (optionally filling its NULLs from the others), deletes the rest, logs everything for dedupe_undo()';

CREATE FUNCTION dataeng.dedupe_undo(run_id bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.dedupe_runs;
  cols text;
  n bigint;
  m bigint;
  expected bigint;
BEGIN
  SELECT * INTO r FROM dataeng.dedupe_runs d WHERE d.run_id = dedupe_undo.run_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'dedupe run % does not exist', run_id USING ERRCODE = 'undefined_object',
          HINT = 'dataeng.dedupe_runs lists the runs of tables you may read.';
  END IF;
  IF r.run_by <> current_user::regrole AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'only % may undo dedupe run %', r.run_by, run_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF r.undone_at IS NOT NULL THEN
    RAISE EXCEPTION 'dedupe run % was already undone', run_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('It was undone at %s.', r.undone_at);
  END IF;
  cols := dataeng._insertable_columns(r.table_name);
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', r.table_name);

  -- survivors back to what they were, if nobody changed them since
  SELECT count(*) INTO expected FROM dataeng.dedupe_log l WHERE l.run_id = r.run_id AND l.action = 'filled';
  IF expected > 0 THEN
    EXECUTE format(
      'UPDATE %1$s t SET (%2$s) = (SELECT %2$s FROM jsonb_populate_record(NULL::%1$s, l.old_row))
         FROM dataeng.dedupe_log l WHERE l.run_id = $1 AND l.action = ''filled'' AND to_jsonb(t) = l.new_row',
      r.table_name, cols) USING r.run_id;
    GET DIAGNOSTICS m = ROW_COUNT;
    IF m <> expected THEN
      RAISE EXCEPTION 'cannot undo dedupe run %: % of its % filled rows changed since', run_id, expected - m, expected
        USING ERRCODE = 'object_not_in_prerequisite_state',
              HINT = 'dataeng.dedupe_log holds the original rows; restore them by hand.';
    END IF;
  END IF;

  EXECUTE format(
    'INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE
       SELECT %2$s FROM dataeng.dedupe_log l, jsonb_populate_record(NULL::%1$s, l.old_row)
        WHERE l.run_id = $1 AND l.action = ''deleted''',
    r.table_name, cols) USING r.run_id;
  GET DIAGNOSTICS n = ROW_COUNT;
  UPDATE dataeng.dedupe_runs d SET undone_at = now() WHERE d.run_id = r.run_id;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng.dedupe_undo(bigint) IS
  'Restores exactly the rows a dedupe run deleted and the survivors it filled; returns the rows re-inserted';

CREATE FUNCTION dataeng.name_case(value text, company boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_name_case'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.name_case(text, boolean) IS
  'Person (or, with company, company) names in proper case: O''Brien, McDonald, van der Berg, IBM';

-- Dates and times as sources write them (src/cleanse/dates.c).  Not STRICT:
-- order and tz may be NULL (YMD, UTC); a NULL text gives NULL.
CREATE FUNCTION dataeng.parse_date(value text, "order" text DEFAULT 'YMD')
RETURNS date
AS 'MODULE_PATHNAME', 'dataeng_parse_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_date(text, text) IS
  'The date in text such as "24/11/2026", "Nov 24, 2026", "20261124" (order YMD/DMY/MDY for numeric dates); NULL when ambiguous or impossible';

CREATE FUNCTION dataeng.parse_timestamp(value text, "order" text DEFAULT 'YMD', tz text DEFAULT 'UTC')
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_parse_timestamp'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_timestamp(text, text, text) IS
  'The moment in text such as "Tue, 24 Nov 2026 10:00:00 +0100"; its own offset, else time zone tz; NULL when ambiguous or impossible';

-----------------------------------------------------------------------------
-- Validation: table rules, runs, results, quarantine
--
-- validate() runs with the caller's privileges (rule expressions, reads and
-- the quarantine's DELETE are the caller's own); it records runs, results
-- and quarantined rows through helpers that check the caller's rights on
-- the table.  Those helpers and rule_add, rule_drop, guard_enable and
-- guard_disable are C entry points (src/validate/rules.c) that call their
-- PL/pgSQL body (dataeng._rule_add() and so on, not executable by PUBLIC) as
-- its owner with the role running the calling code (GetUserId()) as first
-- argument, as the CDC entry points do: code of a less privileged role run
-- by a superuser acts as the less privileged role.  Runs, results and the
-- quarantine are readable by everyone, row by row, for the tables they may
-- SELECT (row security).
-----------------------------------------------------------------------------

CREATE TABLE dataeng.rules (
  rule_id     bigserial   PRIMARY KEY,
  table_name  regclass    NOT NULL,
  rule_name   text        NOT NULL CHECK (rule_name <> ''),
  kind        text        NOT NULL,
  column_name text,
  params      jsonb       NOT NULL DEFAULT '{}',
  severity    text        NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  created_by  name        NOT NULL,
  UNIQUE (table_name, rule_name)
);
COMMENT ON TABLE dataeng.rules IS 'Data quality rules of tables (dataeng.rule_add)';
SELECT pg_catalog.pg_extension_config_dump('dataeng.rules', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.rules_rule_id_seq', '');

CREATE TABLE dataeng.validation_runs (
  run_id       bigserial   PRIMARY KEY,
  table_name   regclass    NOT NULL,
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz NOT NULL,
  duration     interval    NOT NULL,
  rows_checked bigint      NOT NULL,
  rules        int         NOT NULL,
  failed_rules int         NOT NULL,
  quarantined  bigint      NOT NULL DEFAULT 0,
  run_by       name        NOT NULL
);
COMMENT ON TABLE dataeng.validation_runs IS 'One row per dataeng.validate() run';

CREATE TABLE dataeng.validation_results (
  run_id     bigint  NOT NULL REFERENCES dataeng.validation_runs ON DELETE CASCADE,
  table_name regclass NOT NULL,
  rule_name  text    NOT NULL,
  kind       text    NOT NULL,
  severity   text    NOT NULL,
  checked    bigint  NOT NULL,
  failed     bigint  NOT NULL,
  failed_pct numeric NOT NULL,
  passed     boolean NOT NULL,
  sample     jsonb,
  PRIMARY KEY (run_id, rule_name)
);
COMMENT ON TABLE dataeng.validation_results IS 'Per-rule outcome of each validation run, with up to 20 failing samples';

CREATE TABLE dataeng.quarantine (
  quarantine_id  bigserial   PRIMARY KEY,
  table_name     regclass    NOT NULL,
  run_id         bigint,
  quarantined_at timestamptz NOT NULL DEFAULT now(),
  failed_rules   text[]      NOT NULL,
  row_data       jsonb       NOT NULL
);
COMMENT ON TABLE dataeng.quarantine IS 'Rows moved out of their table by dataeng.validate(quarantine => true)';

CREATE TABLE dataeng.alerts (
  alert_id   bigserial   PRIMARY KEY,
  raised_at  timestamptz NOT NULL DEFAULT now(),
  table_name regclass    NOT NULL,
  run_id     bigint,
  rule_name  text        NOT NULL,
  kind       text        NOT NULL,
  failed     bigint      NOT NULL,
  failed_pct numeric     NOT NULL,
  payload    jsonb       NOT NULL
);
COMMENT ON TABLE dataeng.alerts IS 'Failed error rules; each is also sent as NOTIFY dataeng_alerts';

ALTER TABLE dataeng.validation_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.validation_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.quarantine ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.alerts ENABLE ROW LEVEL SECURITY;
CREATE POLICY readable ON dataeng.alerts FOR SELECT USING (has_table_privilege(table_name, 'SELECT'));
ALTER TABLE dataeng.rules ENABLE ROW LEVEL SECURITY;
CREATE POLICY readable ON dataeng.validation_runs FOR SELECT USING (has_table_privilege(table_name, 'SELECT'));
CREATE POLICY readable ON dataeng.validation_results FOR SELECT USING (has_table_privilege(table_name, 'SELECT'));
CREATE POLICY readable ON dataeng.quarantine FOR SELECT USING (has_table_privilege(table_name, 'SELECT'));
CREATE POLICY readable ON dataeng.rules FOR SELECT USING (has_table_privilege(table_name, 'SELECT'));
REVOKE ALL ON dataeng.rules, dataeng.validation_runs, dataeng.validation_results, dataeng.quarantine,
  dataeng.alerts FROM PUBLIC;
GRANT SELECT ON dataeng.rules, dataeng.validation_runs, dataeng.validation_results, dataeng.quarantine,
  dataeng.alerts TO PUBLIC;

-- Raise unless the caller owns the table (or is a member of its owner).
CREATE FUNCTION dataeng._require_owner(caller regrole, tbl regclass, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT pg_has_role(caller, (SELECT relowner FROM pg_class WHERE oid = tbl), 'USAGE') THEN
    RAISE EXCEPTION 'must be owner of table % to %', tbl, what
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._require_owner(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._require_owner(regrole, regclass, text) IS 'internal: raise unless the caller owns the table';

-- Run a read-only query as a role: the first column of its first row.
CREATE FUNCTION dataeng._query_as(role regrole, query text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_query_as'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
REVOKE ALL ON FUNCTION dataeng._query_as(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._query_as(regrole, text) IS
  'internal: run a read-only query as a role (a rule''s checks that may run the caller''s code)';

-- The SQL condition a row passes for a row-level rule (NULL passes, except
-- for not_null), or NULL for a set-level rule.
CREATE FUNCTION dataeng._rule_condition(r dataeng.rules)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  col text := quote_ident(r.column_name);
  coltype text;
  f text;
BEGIN
  IF r.column_name IS NOT NULL THEN
    SELECT format_type(atttypid, atttypmod) INTO coltype FROM pg_attribute
     WHERE attrelid = r.table_name AND attname = r.column_name AND attnum > 0 AND NOT attisdropped;
  END IF;
  CASE r.kind
  WHEN 'not_null' THEN
    RETURN format('(%s IS NOT NULL)', col);
  WHEN 'accepted_values' THEN
    RETURN format('coalesce(%s::text = ANY (%L::text[]), true)', col,
                  ARRAY(SELECT jsonb_array_elements_text(r.params->'values')));
  WHEN 'range' THEN
    RETURN format('coalesce(%s AND %s, true)',
                  CASE WHEN r.params ? 'min' THEN format('%s %s %L::%s', col,
                       CASE WHEN (r.params->>'strict_min')::boolean THEN '>' ELSE '>=' END, r.params->>'min', coltype)
                       ELSE 'true' END,
                  CASE WHEN r.params ? 'max' THEN format('%s %s %L::%s', col,
                       CASE WHEN (r.params->>'strict_max')::boolean THEN '<' ELSE '<=' END, r.params->>'max', coltype)
                       ELSE 'true' END);
  WHEN 'regex' THEN
    RETURN format('coalesce(%s::text ~ %L, true)', col, r.params->>'pattern');
  WHEN 'length' THEN
    RETURN format('coalesce(length(%s::text) BETWEEN %s AND %s, true)', col,
                  coalesce((r.params->>'min')::int, 0), coalesce((r.params->>'max')::int, 2147483647));
  WHEN 'validator' THEN
    f := r.params->>'function';
    RETURN format('coalesce(%s, true)', CASE f
      WHEN 'email' THEN format('dataeng.is_email(%s::text, %L)', col, coalesce(r.params->>'mode', 'practical'))
      WHEN 'phone' THEN format('dataeng.is_phone(%s::text, %L)', col, r.params->>'region')
      WHEN 'postal_code' THEN format('dataeng.is_postal_code(%s::text, %L)', col, r.params->>'country')
      WHEN 'date' THEN format('dataeng.is_date(%s::text, %L)', col, r.params->>'format')
      ELSE format('dataeng.is_%s(%s::text)', f, col) END);
  WHEN 'expression' THEN
    RETURN format('coalesce((%s)::boolean, true)', r.params->>'expression');
  ELSE
    RETURN NULL;                          -- set-level
  END CASE;
END;
$$;
COMMENT ON FUNCTION dataeng._rule_condition(dataeng.rules) IS 'internal: SQL condition of a row-level rule';

CREATE FUNCTION dataeng.rule_add(tbl regclass, rule_name text, kind text, column_name text DEFAULT NULL,
                                 params jsonb DEFAULT '{}', severity text DEFAULT 'error')
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_rule_add'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.rule_add(regclass, text, text, text, jsonb, text) IS
  'Adds a data quality rule to a table (owner only); returns its id';

CREATE FUNCTION dataeng._rule_add(caller regrole, tbl regclass, rule_name text, kind text,
                                  column_name text, params jsonb, severity text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.rules;
  cond text;
  kinds text[] := ARRAY['not_null', 'unique', 'accepted_values', 'range', 'regex', 'length',
                        'validator', 'expression', 'foreign_key', 'row_count', 'freshness',
                        'volume_change'];
  needs_column text[] := ARRAY['not_null', 'accepted_values', 'range', 'regex', 'length',
                               'validator', 'foreign_key', 'freshness'];
  id bigint;
  bad boolean;
BEGIN
  IF tbl IS NULL OR rule_name IS NULL OR kind IS NULL OR params IS NULL OR severity IS NULL THEN
    RAISE EXCEPTION 'table, rule_name, kind, params and severity must not be null'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM dataeng._require_owner(caller, tbl, 'add rules');
  IF NOT kind = ANY (kinds) THEN
    RAISE EXCEPTION 'unknown rule kind "%"', kind
      USING ERRCODE = 'invalid_parameter_value', HINT = 'Use one of: ' || array_to_string(kinds, ', ') || '.';
  END IF;
  IF severity NOT IN ('error', 'warning') THEN
    RAISE EXCEPTION 'severity must be error or warning, not "%"', severity USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF jsonb_typeof(params) <> 'object' THEN
    RAISE EXCEPTION 'params must be a JSON object' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF kind = ANY (needs_column) AND column_name IS NULL THEN
    RAISE EXCEPTION 'a % rule needs a column', kind USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF column_name IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
        AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', column_name, tbl USING ERRCODE = 'undefined_column';
  END IF;
  IF params ? 'mostly' AND NOT (jsonb_typeof(params->'mostly') = 'number'
                                AND (params->>'mostly')::numeric BETWEEN 0 AND 1) THEN
    RAISE EXCEPTION 'mostly must be a number between 0 and 1' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- per-kind parameters
  CASE kind
  WHEN 'accepted_values' THEN
    IF jsonb_typeof(params->'values') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'accepted_values needs params.values, an array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'range' THEN
    IF NOT (params ? 'min' OR params ? 'max') THEN
      RAISE EXCEPTION 'range needs params.min or params.max' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a number against text would compare as text ('9' > '10')
    IF (jsonb_typeof(params->'min') = 'number' OR jsonb_typeof(params->'max') = 'number')
       AND (SELECT b.typcategory FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
               JOIN pg_type b ON b.oid = coalesce(nullif(t.typbasetype, 0), t.oid)
             WHERE a.attrelid = tbl AND a.attname = column_name) = 'S' THEN
      RAISE EXCEPTION 'range bounds are numbers but column "%" is text', column_name
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Text compares character by character, so ''9'' would be above ''10''.',
              HINT = 'Give the bounds as strings, or check a numeric column or expression.';
    END IF;
  WHEN 'length' THEN
    IF NOT (params ? 'min' OR params ? 'max')
       OR (params ? 'min' AND NOT (jsonb_typeof(params->'min') = 'number' AND (params->>'min')::numeric >= 0
                                    AND (params->>'min')::numeric = trunc((params->>'min')::numeric)))
       OR (params ? 'max' AND NOT (jsonb_typeof(params->'max') = 'number' AND (params->>'max')::numeric >= 0
                                    AND (params->>'max')::numeric = trunc((params->>'max')::numeric))) THEN
      RAISE EXCEPTION 'length needs params.min or params.max, whole numbers of characters'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'regex' THEN
    IF params->>'pattern' IS NULL THEN
      RAISE EXCEPTION 'regex needs params.pattern' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
      PERFORM '' ~ (params->>'pattern');
    EXCEPTION WHEN invalid_regular_expression THEN
      RAISE EXCEPTION 'params.pattern is not a valid regular expression: %', SQLERRM
        USING ERRCODE = 'invalid_parameter_value';
    END;
  WHEN 'validator' THEN
    IF NOT coalesce(params->>'function', '') = ANY (ARRAY['email', 'phone', 'iban', 'luhn', 'credit_card',
                                                          'isbn', 'uuid', 'postal_code', 'date']) THEN
      RAISE EXCEPTION 'validator needs params.function: email, phone, iban, luhn, credit_card, isbn, uuid, postal_code or date'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'expression' THEN
    IF params->>'expression' IS NULL
       OR params->>'expression' ~ ';'
       OR params->>'expression' ~* '\m(select|insert|update|delete|merge|create|drop|alter|truncate|grant|revoke|copy|do|call|execute|set|lock|vacuum|analyze|from)\M' THEN
      RAISE EXCEPTION 'params.expression must be one boolean expression over the row''s columns'
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Statements, subqueries and semicolons are not allowed.';
    END IF;
  WHEN 'unique' THEN
    IF column_name IS NULL AND jsonb_typeof(params->'columns') IS DISTINCT FROM 'array' THEN
      RAISE EXCEPTION 'unique needs a column or params.columns' USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'foreign_key' THEN
    IF params->>'ref_table' IS NULL OR params->>'ref_column' IS NULL
       OR to_regclass(params->>'ref_table') IS NULL THEN
      RAISE EXCEPTION 'foreign_key needs params.ref_table (an existing table) and params.ref_column'
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'row_count' THEN
    IF NOT (params ? 'min' OR params ? 'max')
       OR (params ? 'min' AND NOT (jsonb_typeof(params->'min') = 'number'
                                    AND (params->>'min')::numeric = trunc((params->>'min')::numeric)))
       OR (params ? 'max' AND NOT (jsonb_typeof(params->'max') = 'number'
                                    AND (params->>'max')::numeric = trunc((params->>'max')::numeric))) THEN
      RAISE EXCEPTION 'row_count needs params.min or params.max, whole numbers' USING ERRCODE = 'invalid_parameter_value';
    END IF;
  WHEN 'freshness' THEN
    IF params->>'max_age' IS NULL THEN
      RAISE EXCEPTION 'freshness needs params.max_age, an interval' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM (params->>'max_age')::interval;
  WHEN 'volume_change' THEN
    IF jsonb_typeof(params->'max_drop_pct') IS DISTINCT FROM 'number' THEN
      RAISE EXCEPTION 'volume_change needs params.max_drop_pct, a number' USING ERRCODE = 'invalid_parameter_value';
    END IF;
  ELSE
    NULL;
  END CASE;

  IF kind IN ('length', 'row_count') AND (params->>'min')::numeric > (params->>'max')::numeric THEN
    RAISE EXCEPTION '% params.min (%) is greater than params.max (%)', kind, params->>'min', params->>'max'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;

  INSERT INTO dataeng.rules (table_name, rule_name, kind, column_name, params, severity, created_by)
  VALUES (tbl, rule_name, kind, column_name, params, severity, caller::name)
  RETURNING * INTO r;
  -- the condition must compile against the table; compiling can run the
  -- caller's functions (constant folding, domain checks): as the caller
  cond := dataeng._rule_condition(r);
  IF cond IS NOT NULL THEN
    BEGIN
      PERFORM dataeng._query_as(caller, format('SELECT (%s)::boolean FROM %s LIMIT 0', cond, tbl));
    EXCEPTION WHEN OTHERS THEN
      RAISE EXCEPTION 'rule "%" does not apply to table %: %', rule_name, tbl, SQLERRM
        USING ERRCODE = 'invalid_parameter_value';
    END;
    -- bounds compared in the column's type
    IF kind = 'range' AND params ? 'min' AND params ? 'max' THEN
      bad := dataeng._query_as(caller, format('SELECT %L::%2$s > %L::%2$s', params->>'min',
                     (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                       WHERE a.attrelid = tbl AND a.attname = column_name), params->>'max'));
      IF bad THEN
        RAISE EXCEPTION 'range params.min (%) is greater than params.max (%)', params->>'min', params->>'max'
          USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END IF;
  END IF;
  PERFORM dataeng._guard_touch(tbl);
  RETURN r.rule_id;
EXCEPTION WHEN unique_violation THEN
  RAISE EXCEPTION 'table % already has a rule "%"', tbl, rule_name
    USING ERRCODE = 'duplicate_object', HINT = 'Drop it first with dataeng.rule_drop().';
END;
$$;
REVOKE ALL ON FUNCTION dataeng._rule_add(regrole, regclass, text, text, text, jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._rule_add(regrole, regclass, text, text, text, jsonb, text) IS
  'internal: body of dataeng.rule_add()';

CREATE FUNCTION dataeng.rule_drop(tbl regclass, rule_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_rule_drop'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.rule_drop(regclass, text) IS 'Drops a rule of a table (owner only)';

CREATE FUNCTION dataeng._rule_drop(caller regrole, tbl regclass, rule_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng._require_owner(caller, tbl, 'drop rules');
  DELETE FROM dataeng.rules r WHERE r.table_name = tbl AND r.rule_name = _rule_drop.rule_name;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM dataeng._guard_touch(tbl);
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._rule_drop(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._rule_drop(regrole, regclass, text) IS 'internal: body of dataeng.rule_drop()';

-- Record a run and its results; the caller must be able to read the table.
-- (callable by everyone: validate() runs with the caller's rights)
CREATE FUNCTION dataeng._record_run(tbl regclass, started timestamptz, rows_checked bigint,
                                    results jsonb, quarantined bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_record_run'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng._record_run(regclass, timestamptz, bigint, jsonb, bigint) IS 'internal: record a validation run';

CREATE FUNCTION dataeng._record_run_as_owner(caller regrole, tbl regclass, started timestamptz,
                                             rows_checked bigint, results jsonb, quarantined bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
  n bigint;
BEGIN
  IF NOT has_table_privilege(caller, tbl, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO dataeng.validation_runs (table_name, started_at, finished_at, duration, rows_checked,
                                       rules, failed_rules, quarantined, run_by)
  VALUES (tbl, started, clock_timestamp(), clock_timestamp() - started, rows_checked,
          jsonb_array_length(results),
          (SELECT count(*) FROM jsonb_array_elements(results) e WHERE NOT (e->>'passed')::boolean),
          quarantined, caller::name)
  RETURNING run_id INTO id;
  INSERT INTO dataeng.validation_results (run_id, table_name, rule_name, kind, severity, checked,
                                          failed, failed_pct, passed, sample)
  SELECT id, tbl, e->>'rule_name', e->>'kind', e->>'severity', (e->>'checked')::bigint,
         (e->>'failed')::bigint, (e->>'failed_pct')::numeric, (e->>'passed')::boolean,
         nullif(e->'sample', 'null')
    FROM jsonb_array_elements(results) e;
  -- alerts: every failed error rule, in the table and as a notification
  WITH a AS (
    INSERT INTO dataeng.alerts (table_name, run_id, rule_name, kind, failed, failed_pct, payload)
    SELECT tbl, id, e->>'rule_name', e->>'kind', (e->>'failed')::bigint, (e->>'failed_pct')::numeric,
           jsonb_build_object('table', tbl::text, 'run_id', id, 'rule', e->>'rule_name',
                              'kind', e->>'kind', 'failed', (e->>'failed')::bigint,
                              'failed_pct', (e->>'failed_pct')::numeric)
      FROM jsonb_array_elements(results) e
     WHERE NOT (e->>'passed')::boolean AND e->>'severity' = 'error'
    RETURNING payload)
  SELECT count(pg_notify('dataeng_alerts', left(payload::text, 7900))) INTO n FROM a;
  RETURN id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._record_run_as_owner(regrole, regclass, timestamptz, bigint, jsonb, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._record_run_as_owner(regrole, regclass, timestamptz, bigint, jsonb, bigint) IS
  'internal: body of dataeng._record_run()';

-- Store rows the caller took out of its table.
-- (callable by everyone: validate() and the guard trigger run with the
-- caller's rights)
CREATE FUNCTION dataeng._quarantine_put(tbl regclass, run bigint, rows_ jsonb)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_quarantine_put'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng._quarantine_put(regclass, bigint, jsonb) IS 'internal: store quarantined rows';

CREATE FUNCTION dataeng._quarantine_put_as_owner(caller regrole, tbl regclass, run bigint, rows_ jsonb)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- validate() deletes the rows it moves; the guard diverts rows being written
  IF NOT (has_table_privilege(caller, tbl, 'DELETE')
          OR has_table_privilege(caller, tbl, 'INSERT')) THEN
    RAISE EXCEPTION 'permission denied for table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO dataeng.quarantine (table_name, run_id, failed_rules, row_data)
  SELECT tbl, run, ARRAY(SELECT jsonb_array_elements_text(e->'rules')), e->'row'
    FROM jsonb_array_elements(coalesce(rows_, '[]')) e;
  RETURN jsonb_array_length(coalesce(rows_, '[]'));
END;
$$;
REVOKE ALL ON FUNCTION dataeng._quarantine_put_as_owner(regrole, regclass, bigint, jsonb) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._quarantine_put_as_owner(regrole, regclass, bigint, jsonb) IS
  'internal: body of dataeng._quarantine_put()';

CREATE FUNCTION dataeng.validate(tbl regclass, quarantine boolean DEFAULT false)
RETURNS TABLE (rule_name text, kind text, checked bigint, failed bigint, failed_pct numeric,
               passed boolean, sample jsonb)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  started timestamptz := clock_timestamp();
  rules_ dataeng.rules[];
  r dataeng.rules;
  key_expr text;
  aggs text[] := ARRAY['''total'', count(*)'];
  conds text[] := '{}';
  cond text;
  scan jsonb;
  total bigint;
  results jsonb := '[]';
  res jsonb;
  n_checked bigint;
  n_failed bigint;
  mostly numeric;
  v jsonb;
  cols text;
  prev bigint;
  moved jsonb;
  n_moved bigint := 0;
  run bigint;
  newest timestamptz;
  i int;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'table must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT array_agg(x ORDER BY x.rule_id) INTO rules_ FROM dataeng.rules x WHERE x.table_name = tbl;
  IF rules_ IS NULL THEN
    RAISE EXCEPTION 'table % has no rules', tbl
      USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Add some with dataeng.rule_add().';
  END IF;

  -- the key shown in samples: the primary key, else the row's ctid
  SELECT 'jsonb_build_object(' || string_agg(format('%L, t.%I', a.attname, a.attname), ', ' ORDER BY k.ord) || ')'
    INTO key_expr
    FROM pg_index ix
    CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum
   WHERE ix.indrelid = tbl AND ix.indisprimary;
  key_expr := coalesce(key_expr, 'to_jsonb(t.ctid::text)');

  -- one scan for every row-level rule
  FOR i IN 1 .. cardinality(rules_) LOOP
    r := rules_[i];
    cond := dataeng._rule_condition(r);
    conds := conds || cond;
    IF cond IS NOT NULL THEN
      -- each condition is evaluated once per row; samples come afterwards
      aggs := aggs || format('%L, jsonb_build_object(''checked'', %s, ''failed'', count(*) FILTER (WHERE NOT %s))',
                             'r' || i,
                             CASE WHEN r.kind IN ('not_null', 'expression') OR r.column_name IS NULL
                                  THEN 'count(*)' ELSE format('count(t.%I)', r.column_name) END,
                             cond);
    END IF;
  END LOOP;
  EXECUTE format('SELECT jsonb_build_object(%s) FROM %s t', array_to_string(aggs, ', '), tbl) INTO scan;
  total := (scan->>'total')::bigint;

  FOR i IN 1 .. cardinality(rules_) LOOP
    r := rules_[i];
    IF conds[i] IS NOT NULL THEN
      n_checked := (scan->('r' || i)->>'checked')::bigint;
      n_failed := (scan->('r' || i)->>'failed')::bigint;
      v := NULL;
      IF n_failed > 0 THEN
        -- up to 20 failing rows: stops as soon as it has them
        EXECUTE format('SELECT jsonb_agg(x) FROM (SELECT jsonb_build_object(''key'', %s, ''value'', %s) AS x '
                       'FROM %s t WHERE NOT %s LIMIT 20) s',
                       key_expr,
                       CASE WHEN r.column_name IS NULL THEN 'NULL::jsonb' ELSE format('to_jsonb(t.%I)', r.column_name) END,
                       tbl, conds[i])
          INTO v;
      END IF;
    ELSIF r.kind = 'unique' THEN
      SELECT string_agg(format('t.%I', c), ', '),
             CASE WHEN count(*) = 1 THEN format('to_jsonb(t.%I)', min(c))
                  ELSE 'jsonb_build_object(' || string_agg(format('%L, t.%I', c, c), ', ') || ')' END
        INTO cols, cond
        FROM jsonb_array_elements_text(coalesce(r.params->'columns', to_jsonb(ARRAY[r.column_name]))) c;
      EXECUTE format('SELECT count(*), count(*) FILTER (WHERE n > 1), '
                     'to_jsonb((array_agg(jsonb_build_object(''key'', k, ''value'', v)) FILTER (WHERE n > 1))[1:20]) '
                     'FROM (SELECT %2$s AS k, %4$s AS v, '
                     'count(*) OVER (PARTITION BY %1$s) AS n FROM %3$s t WHERE ROW(%1$s) IS NOT NULL) s',
                     cols, key_expr, tbl, cond)
        INTO n_checked, n_failed, v;
    ELSIF r.kind = 'foreign_key' THEN
      EXECUTE format('SELECT count(*), count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM %1$s f WHERE f.%2$I = t.%3$I)), '
                     'to_jsonb((array_agg(jsonb_build_object(''key'', %4$s, ''value'', t.%3$I)) '
                     'FILTER (WHERE NOT EXISTS (SELECT 1 FROM %1$s f WHERE f.%2$I = t.%3$I)))[1:20]) '
                     'FROM %5$s t WHERE t.%3$I IS NOT NULL',
                     (r.params->>'ref_table')::regclass, r.params->>'ref_column', r.column_name, key_expr, tbl)
        INTO n_checked, n_failed, v;
    ELSIF r.kind = 'row_count' THEN
      n_checked := 1;
      n_failed := CASE WHEN total < coalesce((r.params->>'min')::bigint, 0)
                         OR total > coalesce((r.params->>'max')::bigint, 9223372036854775807) THEN 1 ELSE 0 END;
      v := jsonb_build_array(jsonb_build_object('rows', total));
    ELSIF r.kind = 'freshness' THEN
      EXECUTE format('SELECT max(t.%I)::timestamptz FROM %s t', r.column_name, tbl) INTO newest;
      n_checked := 1;
      n_failed := CASE WHEN newest IS NULL OR newest < now() - (r.params->>'max_age')::interval
                       THEN 1 ELSE 0 END;
      v := jsonb_build_array(jsonb_build_object('newest', newest));
    ELSIF r.kind = 'volume_change' THEN
      SELECT vr.rows_checked INTO prev FROM dataeng.validation_runs vr
       WHERE vr.table_name = tbl ORDER BY vr.run_id DESC LIMIT 1;
      n_checked := 1;
      n_failed := CASE WHEN prev > 0 AND (prev - total) * 100.0 / prev > (r.params->>'max_drop_pct')::numeric
                       THEN 1 ELSE 0 END;
      v := jsonb_build_array(jsonb_build_object('previous', prev, 'rows', total));
    END IF;
    mostly := coalesce((r.params->>'mostly')::numeric, 1);
    res := jsonb_build_object(
      'rule_name', r.rule_name, 'kind', r.kind, 'severity', r.severity,
      'checked', n_checked, 'failed', n_failed,
      'failed_pct', CASE WHEN n_checked > 0 THEN round(n_failed * 100.0 / n_checked, 2) ELSE 0 END,
      'passed', n_failed <= (1 - mostly) * n_checked,
      'sample', CASE WHEN n_failed > 0 THEN v END);
    results := results || res;
  END LOOP;

  -- quarantine: rows failing an error rule move out, in this transaction
  IF quarantine THEN
    SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', conds[g], rules_[g].rule_name), ', '),
           string_agg(format('NOT %s', conds[g]), ' OR ')
      INTO cols, cond
      FROM generate_series(1, cardinality(rules_)) g
     WHERE conds[g] IS NOT NULL AND rules_[g].severity = 'error';
    IF cond IS NOT NULL THEN
      EXECUTE format('WITH moved AS (DELETE FROM %s t WHERE %s RETURNING to_jsonb(t) AS row, '
                     'array_remove(ARRAY[%s], NULL) AS rules) '
                     'SELECT jsonb_agg(jsonb_build_object(''row'', row, ''rules'', rules)) FROM moved',
                     tbl, cond, cols)
        INTO moved;
    END IF;
  END IF;
  run := dataeng._record_run(tbl, started, total, results, coalesce(jsonb_array_length(moved), 0));
  IF moved IS NOT NULL THEN
    n_moved := dataeng._quarantine_put(tbl, run, moved);
  END IF;

  RETURN QUERY
    SELECT e->>'rule_name', e->>'kind', (e->>'checked')::bigint, (e->>'failed')::bigint,
           (e->>'failed_pct')::numeric, (e->>'passed')::boolean, nullif(e->'sample', 'null')
      FROM jsonb_array_elements(results) e;
END;
$$;
COMMENT ON FUNCTION dataeng.validate(regclass, boolean) IS
  'Checks every rule of a table (row-level rules in one scan), records the run; with quarantine, moves failing rows out';

-- Put a quarantined row back, through the rules.
CREATE FUNCTION dataeng.quarantine_release(id bigint, corrected jsonb DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q dataeng.quarantine;
  failing text[];
  checks text;
BEGIN
  SELECT * INTO q FROM dataeng.quarantine WHERE quarantine_id = id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'quarantined row % does not exist', id USING ERRCODE = 'undefined_object';
  END IF;
  IF corrected IS NOT NULL THEN
    q.row_data := q.row_data || corrected;
  END IF;
  SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', dataeng._rule_condition(r), r.rule_name), ', ')
    INTO checks
    FROM dataeng.rules r
   WHERE r.table_name = q.table_name AND r.severity = 'error' AND dataeng._rule_condition(r) IS NOT NULL;
  IF checks IS NOT NULL THEN
    EXECUTE format('SELECT array_remove(ARRAY[%s], NULL) FROM jsonb_populate_record(NULL::%s, $1) t',
                   checks, q.table_name)
      INTO failing USING q.row_data;
    IF cardinality(failing) > 0 THEN
      RAISE EXCEPTION 'row % still fails: %', id, array_to_string(failing, ', ')
        USING ERRCODE = 'check_violation',
              HINT = 'Pass the corrected columns: dataeng.quarantine_release(id, ''{"column": "value"}'').';
    END IF;
  END IF;
  EXECUTE format('INSERT INTO %s SELECT * FROM jsonb_populate_record(NULL::%s, $1)', q.table_name, q.table_name)
    USING q.row_data;
  PERFORM dataeng._quarantine_take(id);
  RETURN true;
END;
$$;
COMMENT ON FUNCTION dataeng.quarantine_release(bigint, jsonb) IS
  'Puts a quarantined row (with corrections) back into its table if it now passes the error rules';

-- (callable by everyone: quarantine_release() runs with the caller's rights)
CREATE FUNCTION dataeng._quarantine_take(id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_quarantine_take'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng._quarantine_take(bigint) IS 'internal: remove a released row from the quarantine';

CREATE FUNCTION dataeng._quarantine_take_as_owner(caller regrole, id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dataeng.quarantine q WHERE q.quarantine_id = id
                   AND has_table_privilege(caller, q.table_name, 'INSERT')) THEN
    RAISE EXCEPTION 'permission denied for quarantined row %', id USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM dataeng.quarantine q WHERE q.quarantine_id = id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._quarantine_take_as_owner(regrole, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._quarantine_take_as_owner(regrole, bigint) IS 'internal: body of dataeng._quarantine_take()';

-- The ingestion guard (src/validate/guard.c).
CREATE FUNCTION dataeng.guard()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_guard'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng.guard() FROM PUBLIC;
COMMENT ON FUNCTION dataeng.guard() IS 'Ingestion guard trigger installed by dataeng.guard_enable()';

CREATE FUNCTION dataeng.guard_enable(tbl regclass, action text DEFAULT 'reject')
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_guard_enable'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.guard_enable(regclass, text) IS
  'Checks the table''s row-level error rules on every insert and update: reject the row, or quarantine it';

CREATE FUNCTION dataeng._guard_enable(caller regrole, tbl regclass, action text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF tbl IS NULL OR action IS NULL THEN
    RAISE EXCEPTION 'table and action must not be null' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM dataeng._require_owner(caller, tbl, 'guard it');
  IF action NOT IN ('reject', 'quarantine') THEN
    RAISE EXCEPTION 'guard action must be reject or quarantine, not "%"', action
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = tbl) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot guard %: only tables can be guarded', tbl USING ERRCODE = 'wrong_object_type';
  END IF;
  EXECUTE format('DROP TRIGGER IF EXISTS dataeng_guard ON %s', tbl);
  EXECUTE format('CREATE TRIGGER dataeng_guard BEFORE INSERT OR UPDATE ON %s '
                 'FOR EACH ROW EXECUTE FUNCTION dataeng.guard(%L)', tbl, action);
END;
$$;
REVOKE ALL ON FUNCTION dataeng._guard_enable(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._guard_enable(regrole, regclass, text) IS 'internal: body of dataeng.guard_enable()';

CREATE FUNCTION dataeng.guard_disable(tbl regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_guard_disable'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng.guard_disable(regclass) IS 'Removes the ingestion guard of a table';

CREATE FUNCTION dataeng._guard_disable(caller regrole, tbl regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng._require_owner(caller, tbl, 'unguard it');
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'dataeng_guard') THEN
    RETURN false;
  END IF;
  EXECUTE format('DROP TRIGGER dataeng_guard ON %s', tbl);
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._guard_disable(regrole, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._guard_disable(regrole, regclass) IS 'internal: body of dataeng.guard_disable()';

-- Rules changed: a guarded table's trigger is re-created, which makes the
-- guard re-read its rules.
CREATE FUNCTION dataeng._guard_touch(tbl regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  args text;
BEGIN
  SELECT encode(tgargs, 'escape') INTO args FROM pg_trigger WHERE tgrelid = tbl AND tgname = 'dataeng_guard';
  IF FOUND THEN
    EXECUTE format('DROP TRIGGER dataeng_guard ON %s', tbl);
    EXECUTE format('CREATE TRIGGER dataeng_guard BEFORE INSERT OR UPDATE ON %s '
                   'FOR EACH ROW EXECUTE FUNCTION dataeng.guard(%L)', tbl, split_part(args, '\000', 1));
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._guard_touch(regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._guard_touch(regclass) IS 'internal: make a guard re-read its rules';

-----------------------------------------------------------------------------
-- Fact tables and dimensions
--
-- fact_defs       one row per fact table: its source, grain, time zone,
--                 dimensions, parsed measures and change-log consumer
-- dimension_defs  one row per dimension table (SCD type 1 or 2)
--
-- Everything runs with the caller's privileges (no SECURITY DEFINER): the
-- caller creates, reads and writes its own tables, and the metadata rows
-- are its own by row-level security keyed on owner.  A refresh polls the
-- consumer, applies the changes and acknowledges them in the caller's one
-- transaction, so the table and the consumed position commit together.
-----------------------------------------------------------------------------

CREATE TABLE dataeng.fact_defs (
  name          text        PRIMARY KEY,       -- normalized: [schema.]name, quoted where needed
  fact_table    regclass    NOT NULL,
  owner         regrole     NOT NULL DEFAULT current_user::regrole,
  source        regclass    NOT NULL,
  time_column   text        NOT NULL,
  grain         text        NOT NULL,
  time_zone     text        NOT NULL,
  dimensions    text[]      NOT NULL,
  measures      text[]      NOT NULL,          -- as given
  spec          jsonb       NOT NULL,          -- measures parsed (see _fact_parse_measure)
  consumer      text        NOT NULL,
  schedule      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_refresh  timestamptz,
  last_changes  bigint,
  total_changes bigint      NOT NULL DEFAULT 0,
  -- backfill (fact_create(..., backfill => 'later'), then fact_backfill):
  -- every bucket below backfilled_upto is in the fact ('-infinity': none
  -- yet); NULL: fully backfilled (also the NULL bucket).  backfill_from
  -- and backfill_to: the source's first finite bucket and the end of its
  -- last one when the fact was created, for the progress figure.
  backfilled_upto timestamptz,
  backfill_from timestamptz,
  backfill_to   timestamptz
);
COMMENT ON TABLE dataeng.fact_defs IS
  'Fact tables kept up to date from the change log; read dataeng.facts';

CREATE TABLE dataeng.dimension_defs (
  name          text        PRIMARY KEY,
  dim_table     regclass    NOT NULL,
  owner         regrole     NOT NULL DEFAULT current_user::regrole,
  source        regclass    NOT NULL,
  key_column    text        NOT NULL,
  attributes    text[]      NOT NULL,
  scd_type      int         NOT NULL CHECK (scd_type IN (1, 2)),
  consumer      text        NOT NULL,
  schedule      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_refresh  timestamptz,
  last_changes  bigint,
  total_changes bigint      NOT NULL DEFAULT 0
);
COMMENT ON TABLE dataeng.dimension_defs IS
  'Dimension tables kept up to date from the change log; read dataeng.dimensions';

ALTER TABLE dataeng.fact_defs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.dimension_defs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON dataeng.fact_defs
  USING (pg_has_role(current_user, owner, 'USAGE'))
  WITH CHECK (owner = current_user::regrole);
CREATE POLICY own ON dataeng.dimension_defs
  USING (pg_has_role(current_user, owner, 'USAGE'))
  WITH CHECK (owner = current_user::regrole);
GRANT SELECT, INSERT, UPDATE, DELETE ON dataeng.fact_defs, dataeng.dimension_defs TO PUBLIC;

-- A table name as the caller wrote it ('sales', 'mart."Sales"') in one
-- canonical spelling: its parts, each quoted only where needed.
-- The schema and name of the table a fact or dimension will create: name
-- as given (schema-qualified or not; cur_schema otherwise), checked to be
-- free.  arg names the argument in the hint.
CREATE FUNCTION dataeng._agg_new_table(name text, cur_schema text, arg text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  parts text[] := parse_ident(name);
  qualified text;
BEGIN
  IF cardinality(parts) = 1 THEN
    IF cur_schema IS NULL THEN
      RAISE EXCEPTION 'no schema has been selected to create in' USING ERRCODE = 'invalid_schema_name';
    END IF;
    parts := ARRAY[cur_schema] || parts;
  END IF;
  qualified := format('%I.%I', parts[1], parts[2]);
  IF to_regnamespace(quote_ident(parts[1])) IS NULL THEN
    RAISE EXCEPTION 'schema "%" does not exist', parts[1] USING ERRCODE = 'invalid_schema_name';
  END IF;
  IF to_regclass(qualified) IS NOT NULL THEN
    RAISE EXCEPTION 'relation "%" already exists', qualified
      USING ERRCODE = 'duplicate_table',
            HINT = format('Choose another %s, or drop the existing table first.', arg);
  END IF;
  RETURN parts;
END;
$$;
COMMENT ON FUNCTION dataeng._agg_new_table(text, text, text) IS
  'internal: schema and name of the table a fact or dimension creates, checked to be free';

CREATE FUNCTION dataeng._agg_name(name text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  parts text[];
BEGIN
  BEGIN
    parts := parse_ident(name);
  EXCEPTION WHEN invalid_parameter_value THEN
    parts := NULL;
  END;
  IF parts IS NULL OR cardinality(parts) > 2 OR '' = ANY (parts) THEN
    RAISE EXCEPTION 'invalid table name "%"', name
      USING ERRCODE = 'invalid_name',
            HINT = 'Give a table name, optionally schema-qualified, e.g. sales_daily or mart.sales_daily.';
  END IF;
  IF octet_length(parts[cardinality(parts)]) > 63 THEN
    RAISE EXCEPTION 'table name "%" is too long', parts[cardinality(parts)]
      USING ERRCODE = 'name_too_long', DETAIL = 'Names are at most 63 bytes.';
  END IF;
  RETURN array_to_string(ARRAY(SELECT quote_ident(p) FROM unnest(parts) p), '.');
END;
$$;

-- Check a source table and a column of it; return the column's type and
-- whether it may be NULL.
CREATE FUNCTION dataeng._agg_column(src regclass, col text, what text,
                                    OUT typ regtype, OUT nullable boolean)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF col IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT a.atttypid::regtype, NOT a.attnotnull INTO typ, nullable
    FROM pg_attribute a
   WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% "%" is not a column of table %', what, col, src
      USING ERRCODE = 'undefined_column',
            HINT = 'Column names are case-sensitive and must not be quoted.';
  END IF;
END;
$$;

-- Raise unless src is a table whose changes the caller can consume with
-- every column in cols: capture it if it is not captured yet.
CREATE FUNCTION dataeng._agg_capture(src regclass, cols text[], what text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  missing text;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = src) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot build % from "%": only tables can be sources', what, src
      USING ERRCODE = 'wrong_object_type';
  END IF;
  IF NOT has_table_privilege(src, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', src USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT ct.columns, ct.exclude_columns, ct.changed_only INTO c
    FROM dataeng.cdc_tables_visible ct WHERE ct.table_name = src;
  IF NOT FOUND THEN
    PERFORM dataeng.cdc_enable(src);
    RETURN;
  END IF;
  IF c.changed_only THEN
    RAISE EXCEPTION 'table % is captured with changed_only', src
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('A %s needs whole new rows of updates.', what),
            HINT = format('Capture whole rows: SELECT dataeng.cdc_enable(%L, %L, %L, changed_only => false);',
                          src::text, c.columns, c.exclude_columns);
  END IF;
  SELECT x INTO missing FROM unnest(cols) x
   WHERE NOT (x = ANY (coalesce(c.columns, ARRAY[x]))) OR x = ANY (coalesce(c.exclude_columns, '{}'))
   LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of table % is not captured', missing, src
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('A %s needs the columns %s in the change log.', what, cols),
            HINT = format('Capture them: SELECT dataeng.cdc_enable(%L);', src::text);
  END IF;
END;
$$;

-- The capture settings of the tables the caller may read (cdc_tables
-- itself is not readable by everyone).
-- (a C entry point calling its body as the body's owner with the role
-- running the calling code, as the CDC entry points do)
CREATE FUNCTION dataeng._cdc_tables_visible()
RETURNS TABLE (table_name regclass, columns text[], exclude_columns text[], changed_only boolean)
AS 'MODULE_PATHNAME', 'dataeng_cdc_tables_visible'
LANGUAGE C STABLE PARALLEL UNSAFE;

CREATE FUNCTION dataeng._cdc_tables_visible_as_owner(caller regrole)
RETURNS TABLE (table_name regclass, columns text[], exclude_columns text[], changed_only boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  SELECT t.table_name, t.columns, t.exclude_columns, t.changed_only
    FROM dataeng.cdc_tables t
   WHERE has_table_privilege(caller, t.table_name, 'SELECT');
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_tables_visible_as_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._cdc_tables_visible_as_owner(regrole) IS 'internal: body of dataeng._cdc_tables_visible()';
CREATE VIEW dataeng.cdc_tables_visible AS SELECT * FROM dataeng._cdc_tables_visible();
GRANT SELECT ON dataeng.cdc_tables_visible TO PUBLIC;
COMMENT ON VIEW dataeng.cdc_tables_visible IS
  'Captured tables the calling role may SELECT, with their capture options';

-- An expression reading column col of a source row stored as jsonb in
-- rowvar ('old_row', 'new_row'), as its own type.  Scalars through ->>
-- and a cast (fast); arrays, composites and json through
-- jsonb_populate_record (exact).
CREATE FUNCTION dataeng._agg_json_col(src regclass, col text, rowvar text)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
           WHEN t.typcategory = 'A' OR t.typtype = 'c'
                OR coalesce(nullif(t.typbasetype, 0), t.oid) IN ('json'::regtype, 'jsonb'::regtype)
           THEN format('(jsonb_populate_record(NULL::%s, %s)).%I', src, rowvar, col)
           ELSE format('((%s->>%L)::%s)', rowvar, col, format_type(a.atttypid, a.atttypmod))
         END
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
   WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- How dataeng._fact_deltas() gives the dimension columns cols of src: its
-- column definition list for them (d1, d2, ...), and per column the
-- expression reading it from the call c.  Arrays, composites and json
-- columns come as their raw JSON value, which jsonb_populate_record
-- rebuilds as _agg_json_col does; every other column comes typed, with its
-- collation.
CREATE FUNCTION dataeng._agg_image_cols(src regclass, cols text[], OUT coldef text, OUT exprs text[])
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(string_agg(format(', d%s %s', o,
                                    CASE WHEN x.raw THEN 'jsonb'
                                         ELSE format_type(a.atttypid, a.atttypmod)
                                              || coalesce((SELECT format(' COLLATE %I.%I', n.nspname, l.collname)
                                                             FROM pg_collation l
                                                             JOIN pg_namespace n ON n.oid = l.collnamespace
                                                            WHERE l.oid = a.attcollation
                                                              AND a.attcollation <> t.typcollation), '') END),
                             '' ORDER BY o), ''),
         coalesce(array_agg(CASE WHEN x.raw AND a.atttypid <> 'jsonb'::regtype
                                 THEN format('(jsonb_populate_record(NULL::%s, jsonb_build_object(%L, c.d%s))).%I',
                                             src, u.col, o, u.col)
                                 ELSE format('c.d%s', o) END ORDER BY o), '{}')
    FROM unnest(cols) WITH ORDINALITY u(col, o)
    JOIN pg_attribute a ON a.attrelid = src AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    CROSS JOIN LATERAL (SELECT t.typcategory = 'A' OR t.typtype = 'c'
                               OR coalesce(nullif(t.typbasetype, 0), t.oid) IN ('json'::regtype, 'jsonb'::regtype)) x(raw)
$$;

-- Whether values of the columns cols of src are equal exactly when their
-- binary images are (integers, dates and times, booleans, uuids, text
-- under a deterministic collation...): _fact_deltas() then forms the
-- groups themselves, with no GROUP BY after it.
CREATE FUNCTION dataeng._agg_image_keys(src regclass, cols text[])
RETURNS boolean
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(bool_and(coalesce(nullif(t.typbasetype, 0), t.oid) IN
                             ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'bool'::regtype,
                              'date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                              'time'::regtype, 'oid'::regtype, '"char"'::regtype, 'uuid'::regtype)
                           OR (coalesce(nullif(t.typbasetype, 0), t.oid) IN ('text'::regtype, 'varchar'::regtype)
                               AND coalesce((SELECT c.collisdeterministic FROM pg_collation c
                                              WHERE c.oid = a.attcollation), true))), true)
    FROM unnest(cols) u(col)
    JOIN pg_attribute a ON a.attrelid = src AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
$$;

-- The type of sum(col) of src, as dataeng._fact_deltas() returns it.
CREATE FUNCTION dataeng._agg_sum_type(src regclass, col text)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE b.typ WHEN 'int2'::regtype THEN 'bigint' WHEN 'int4'::regtype THEN 'bigint'
                    WHEN 'int8'::regtype THEN 'numeric' ELSE format_type(b.typ, NULL) END
    FROM pg_attribute a
    JOIN pg_type t ON t.oid = a.atttypid
    CROSS JOIN LATERAL (SELECT coalesce(nullif(t.typbasetype, 0), t.oid)::regtype) b(typ)
   WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
$$;

-----------------------------------------------------------------------------
-- Facts
-----------------------------------------------------------------------------

-- date_trunc's units, and the interval one bucket spans.
CREATE FUNCTION dataeng._fact_grain(grain text)
RETURNS interval
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE grain
           WHEN 'microseconds' THEN interval '1 microsecond'
           WHEN 'milliseconds' THEN interval '1 millisecond'
           WHEN 'second' THEN interval '1 second'
           WHEN 'minute' THEN interval '1 minute'
           WHEN 'hour' THEN interval '1 hour'
           WHEN 'day' THEN interval '1 day'
           WHEN 'week' THEN interval '7 days'
           WHEN 'month' THEN interval '1 month'
           WHEN 'quarter' THEN interval '3 months'
           WHEN 'year' THEN interval '1 year'
           WHEN 'decade' THEN interval '10 years'
           WHEN 'century' THEN interval '100 years'
           WHEN 'millennium' THEN interval '1000 years'
         END
$$;

-- Parse one measure strictly: count(*), count(col), count(DISTINCT col),
-- sum(col), avg(col), min(col), max(col), each optionally "AS name".
-- Identifiers are SQL identifiers (unquoted ones are folded to lower case).
-- Returns {"text", "agg", "col", "name"}; agg is count_star, count,
-- count_distinct, sum, avg, min or max.
CREATE FUNCTION dataeng._fact_parse_measure(measure text)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ident constant text := '(?:[A-Za-z_][A-Za-z_0-9$]*|"(?:[^"]|"")+")';
  m text[];
  agg text;
  col text;
  nm text;
BEGIN
  IF measure IS NULL THEN
    RAISE EXCEPTION 'measure must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  m := regexp_match(measure, '^\s*([A-Za-z_]+)\s*\(\s*(?:(distinct)\s+)?(\*|' || ident
                    || ')\s*\)\s*(?:as\s+(' || ident || '))?\s*$', 'i');
  IF m IS NULL THEN
    RAISE EXCEPTION 'cannot parse measure "%"', measure
      USING ERRCODE = 'syntax_error',
            HINT = 'Write count(*), count(col), count(DISTINCT col), sum(col), avg(col), min(col) or max(col), optionally followed by AS name.';
  END IF;
  agg := lower(m[1]);
  IF agg NOT IN ('count', 'sum', 'avg', 'min', 'max') THEN
    RAISE EXCEPTION 'aggregate "%" in measure "%" is not supported', m[1], measure
      USING ERRCODE = 'feature_not_supported',
            HINT = 'Measures can use count, sum, avg, min and max.';
  END IF;
  IF m[3] = '*' THEN
    IF agg <> 'count' OR m[2] IS NOT NULL THEN
      RAISE EXCEPTION 'cannot parse measure "%": only count(*) takes *', measure
        USING ERRCODE = 'syntax_error';
    END IF;
    agg := 'count_star';
  ELSE
    col := CASE WHEN left(m[3], 1) = '"' THEN replace(substr(m[3], 2, length(m[3]) - 2), '""', '"')
                ELSE lower(m[3]) END;
    IF m[2] IS NOT NULL THEN
      IF agg <> 'count' THEN
        RAISE EXCEPTION 'measure "%": DISTINCT is only supported in count(DISTINCT col)', measure
          USING ERRCODE = 'feature_not_supported';
      END IF;
      agg := 'count_distinct';
    END IF;
  END IF;
  IF m[4] IS NOT NULL THEN
    nm := CASE WHEN left(m[4], 1) = '"' THEN replace(substr(m[4], 2, length(m[4]) - 2), '""', '"')
               ELSE lower(m[4]) END;
  ELSE
    nm := CASE agg WHEN 'count_star' THEN 'count'
                   WHEN 'count_distinct' THEN 'count_distinct_' || col
                   ELSE agg || '_' || col END;
  END IF;
  RETURN jsonb_build_object('text', measure, 'agg', agg, 'col', col, 'name', nm);
END;
$$;

-- The bucket of a time value expression texpr (of type ttype) at the
-- grain, in time zone tz, as timestamptz.
CREATE FUNCTION dataeng._fact_bucket_expr(texpr text, ttype regtype, grain text, tz text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE ttype
           WHEN 'timestamptz'::regtype THEN format('date_trunc(%L, %s, %L)', grain, texpr, tz)
           WHEN 'timestamp'::regtype
             THEN format('date_trunc(%L, (%s) AT TIME ZONE %L, %L)', grain, texpr, tz, tz)
           ELSE format('date_trunc(%L, (%s)::timestamp AT TIME ZONE %L, %L)', grain, texpr, tz, tz)
         END
$$;

-- A predicate on the source's time column s.<col> selecting the rows of
-- the buckets from $1 to $2 (exclusive), in the column's own type so that
-- an index on it can be used; $3: also rows whose time is NULL.
CREATE FUNCTION dataeng._fact_range_pred(col text, ttype regtype, tz text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('((s.%1$I >= %2$s AND s.%1$I < %3$s) OR ($3 AND s.%1$I IS NULL))', col,
                CASE ttype WHEN 'timestamptz'::regtype THEN '$1'
                           WHEN 'timestamp'::regtype THEN format('($1 AT TIME ZONE %L)', tz)
                           ELSE format('($1 AT TIME ZONE %L)::date', tz) END,
                CASE ttype WHEN 'timestamptz'::regtype THEN '$2'
                           WHEN 'timestamp'::regtype THEN format('($2 AT TIME ZONE %L)', tz)
                           -- a date d is in [lo, hi) when d < hi rounded up to a day
                           ELSE format('(($2 AT TIME ZONE %L) + interval ''1 day'' - interval ''1 microsecond'')::date', tz) END)
$$;

-- The aggregate expressions of a measure over source rows s (the visible
-- column and its hidden helpers), as (column name, SQL) pairs in table order.
CREATE FUNCTION dataeng._fact_measure_cols(m jsonb, src_float boolean,
                                           OUT col_name text, OUT expr text, OUT hidden boolean)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM (VALUES
    (m->>'name',
     CASE m->>'agg' WHEN 'count_star' THEN 'count(*)'
                    WHEN 'count_distinct' THEN format('count(DISTINCT s.%I)', m->>'col')
                    ELSE format('%s(s.%I)', m->>'agg', m->>'col') END,
     false),
    (CASE m->>'agg' WHEN 'sum' THEN '__nn_' || (m->>'name') WHEN 'avg' THEN '__sum_' || (m->>'name') END,
     CASE m->>'agg' WHEN 'sum' THEN format('count(s.%I)', m->>'col')
                    WHEN 'avg' THEN format(CASE WHEN src_float THEN 'sum(s.%I::float8)' ELSE 'sum(s.%I)' END, m->>'col') END,
     true),
    (CASE m->>'agg' WHEN 'avg' THEN '__cnt_' || (m->>'name') END,
     CASE m->>'agg' WHEN 'avg' THEN format('count(s.%I)', m->>'col') END,
     true)) v(c, e, h)
   WHERE c IS NOT NULL
$$;

-- The parts of a fact's SQL that depend on its definition.
--   key_cols   bucket and dimension columns, quoted, comma-separated
--   key_join   a join of fact f and a group row d on those columns
--   bucket_s   the bucket of a source row s
--   ins_cols   the columns a backfill inserts (not the generated avg ones)
--   ins_sel    their aggregates over source rows s
--   rec_set    SET list recomputing the non-delta measures from r
--   rec_sel    their aggregates over source rows s (aliased)
CREATE FUNCTION dataeng._fact_sql(d dataeng.fact_defs,
                                  OUT key_cols text, OUT key_join text, OUT bucket_s text,
                                  OUT ins_cols text, OUT ins_sel text,
                                  OUT rec_set text, OUT rec_sel text)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ttype regtype;
  m jsonb;
  c record;
  keys text[] := ARRAY['bucket'] || d.dimensions;
BEGIN
  ttype := (dataeng._agg_column(d.source, d.time_column, 'time column')).typ;
  bucket_s := dataeng._fact_bucket_expr(format('s.%I', d.time_column), ttype, d.grain, d.time_zone);
  key_cols := array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(keys) k), ', ');
  SELECT string_agg(CASE WHEN a.attnotnull THEN format('f.%1$I = d.%1$I', k)
                         ELSE format('f.%1$I IS NOT DISTINCT FROM d.%1$I', k) END, ' AND ' ORDER BY o)
    INTO key_join
    FROM unnest(keys) WITH ORDINALITY u(k, o)
    JOIN pg_attribute a ON a.attrelid = d.fact_table AND a.attname = k;
  ins_cols := key_cols;
  ins_sel := bucket_s || coalesce(', ' || NULLIF(array_to_string(ARRAY(
               SELECT format('s.%I', x) FROM unnest(d.dimensions) x), ', '), ''), '');
  FOR m IN SELECT * FROM jsonb_array_elements(d.spec) LOOP
    FOR c IN SELECT * FROM dataeng._fact_measure_cols(m, (m->>'float')::boolean) LOOP
      IF NOT (m->>'agg' = 'avg' AND NOT c.hidden) THEN
        ins_cols := ins_cols || format(', %I', c.col_name);
        ins_sel := ins_sel || ', ' || c.expr;
        IF m->>'mode' = 'recompute' THEN
          rec_set := coalesce(rec_set || ', ', '') || format('%1$I = r.%1$I', c.col_name);
          rec_sel := coalesce(rec_sel || ', ', '') || format('%s AS %I', c.expr, c.col_name);
        END IF;
      END IF;
    END LOOP;
  END LOOP;
  ins_cols := ins_cols || ', __rows';
  ins_sel := ins_sel || ', count(*)';
END;
$$;

-- (fact_create() below: the caller's current schema is passed in, since
-- search_path is pinned here)
CREATE FUNCTION dataeng._fact_create(fact_name text, source regclass, time_column text, grain text,
                                     dimensions text[], measures text[],
                                     schedule text, cur_schema text, backfill text)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  key text;
  parts text[];
  qualified text;
  g text := lower(btrim(grain));
  tz text := current_setting('TimeZone');
  ttype regtype;
  tnull boolean;
  anynull boolean;
  col record;
  d text;
  ms text;
  m jsonb;
  spec jsonb := '[]';
  names text[] := ARRAY['bucket', '__rows'];
  cols text[];
  c record;
  sel text;
  coldefs text;
  def dataeng.fact_defs;
  q record;
  avgtype regtype;
  tbl regclass;
  ok boolean;
  bf_from timestamptz;
  bf_to timestamptz;
  bf_any boolean;
BEGIN
  IF fact_name IS NULL OR source IS NULL OR time_column IS NULL OR grain IS NULL
     OR dimensions IS NULL OR measures IS NULL THEN
    RAISE EXCEPTION 'fact_name, source, time_column, grain, dimensions and measures must not be NULL'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass an empty array for no dimensions.';
  END IF;
  IF backfill IS NULL OR backfill NOT IN ('now', 'later') THEN
    RAISE EXCEPTION 'backfill must be ''now'' or ''later'', not %', coalesce(quote_literal(backfill), 'NULL')
      USING ERRCODE = 'invalid_parameter_value',
            HINT = '''now'' fills the fact before fact_create returns; ''later'' creates it empty, to be filled in batches by CALL dataeng.fact_backfill().';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_create() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'The backfill and the start of the change-log consumer must see the same rows.';
  END IF;
  key := dataeng._agg_name(fact_name);
  parts := dataeng._agg_new_table(fact_name, cur_schema, 'fact_name');
  qualified := format('%I.%I', parts[1], parts[2]);
  IF EXISTS (SELECT 1 FROM dataeng.fact_defs f WHERE f.name = key) THEN
    RAISE EXCEPTION 'fact "%" already exists', key USING ERRCODE = 'duplicate_object';
  END IF;

  -- grain: a date_trunc unit (plural accepted)
  IF dataeng._fact_grain(g) IS NULL AND g LIKE '%s' AND dataeng._fact_grain(rtrim(g, 's')) IS NOT NULL THEN
    g := rtrim(g, 's');
  END IF;
  IF dataeng._fact_grain(g) IS NULL THEN
    RAISE EXCEPTION 'grain "%" is not a date_trunc unit', grain
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use microseconds, milliseconds, second, minute, hour, day, week, month, quarter, year, decade, century or millennium.';
  END IF;

  -- the time column
  SELECT * INTO col FROM dataeng._agg_column(source, time_column, 'time column');
  ttype := col.typ;
  tnull := col.nullable;
  IF ttype NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'time column "%" has type %', time_column, ttype
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = 'The time column must be timestamp with time zone, timestamp or date.';
  END IF;
  anynull := tnull;

  -- dimensions
  FOREACH d IN ARRAY dimensions LOOP
    SELECT * INTO col FROM dataeng._agg_column(source, d, 'dimension');
    anynull := anynull OR col.nullable;
    IF d = ANY (names) THEN
      RAISE EXCEPTION 'column name "%" is used twice in fact "%"', d, key
        USING ERRCODE = 'duplicate_column',
              HINT = CASE WHEN d IN ('bucket', '__rows') THEN format('"%s" is a column of every fact table.', d)
                          ELSE 'List each dimension once.' END;
    END IF;
    names := names || d;
  END LOOP;

  -- measures
  IF cardinality(measures) = 0 THEN
    RAISE EXCEPTION 'a fact needs at least one measure'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ARRAY[''count(*)''].';
  END IF;
  FOREACH ms IN ARRAY measures LOOP
    m := dataeng._fact_parse_measure(ms);
    IF m->>'col' IS NOT NULL THEN
      SELECT * INTO col FROM dataeng._agg_column(source, m->>'col', format('measure "%s": column', ms));
      m := m || jsonb_build_object('type', col.typ::text,
                                   'float', col.typ IN ('float4'::regtype, 'float8'::regtype));
      -- the aggregate must exist for the column's type
      BEGIN
        EXECUTE format('SELECT %s FROM %s s WHERE false',
                       (SELECT expr FROM dataeng._fact_measure_cols(m, false) LIMIT 1), source);
        ok := true;
      EXCEPTION WHEN undefined_function OR datatype_mismatch THEN
        ok := false;
      END;
      IF NOT ok OR (m->>'agg' IN ('sum', 'avg')
                    AND (SELECT typcategory FROM pg_type WHERE oid = col.typ) NOT IN ('N', 'T')) THEN
        RAISE EXCEPTION 'measure "%" cannot aggregate column "%" of type %', ms, m->>'col', col.typ
          USING ERRCODE = 'datatype_mismatch',
                HINT = CASE WHEN m->>'agg' IN ('sum', 'avg') THEN 'sum and avg need a numeric or interval column.'
                            ELSE 'min and max need a type with an ordering.' END;
      END IF;
    ELSE
      m := m || jsonb_build_object('float', false);
    END IF;
    -- sum/count/avg are applied as deltas; the rest (and float sums, whose
    -- deltas would drift) are recomputed for the groups a refresh touches
    m := m || jsonb_build_object('mode',
           CASE WHEN m->>'agg' IN ('count_star', 'count') THEN 'delta'
                WHEN m->>'agg' IN ('sum', 'avg') AND NOT (m->>'float')::boolean THEN 'delta'
                ELSE 'recompute' END);
    FOR c IN SELECT * FROM dataeng._fact_measure_cols(m, false) LOOP
      IF c.col_name = ANY (names) THEN
        RAISE EXCEPTION 'column name "%" is used twice in fact "%"', c.col_name, key
          USING ERRCODE = 'duplicate_column',
                DETAIL = format('Measure "%s" names its column "%s".', ms, c.col_name),
                HINT = 'Name the measure with AS, e.g. sum(amount) AS total_amount.';
      END IF;
      IF octet_length(c.col_name) > 63 THEN
        RAISE EXCEPTION 'column name "%" of measure "%" is too long', c.col_name, ms
          USING ERRCODE = 'name_too_long', HINT = 'Name the measure with a shorter AS name.';
      END IF;
      names := names || c.col_name;
    END LOOP;
    spec := spec || jsonb_build_array(m);
  END LOOP;

  -- Capture: no writer may commit between the backfill and the consumer's
  -- start, so both see the same rows.
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', source);
  cols := ARRAY[time_column] || dimensions
          || ARRAY(SELECT e->>'col' FROM jsonb_array_elements(spec) e WHERE e->>'col' IS NOT NULL);
  PERFORM dataeng._agg_capture(source, cols, 'fact table');

  -- Column types exactly as the GROUP BY gives them.
  def := ROW(key, NULL, NULL, source, time_column, g, tz, dimensions, measures, spec,
             'fact:' || key, schedule, now(), NULL, NULL, 0, NULL, NULL, NULL)::dataeng.fact_defs;
  sel := dataeng._fact_bucket_expr(format('s.%I', time_column), ttype, g, tz) || ' AS bucket'
         || coalesce(', ' || NULLIF(array_to_string(ARRAY(
              SELECT format('s.%I', x) FROM unnest(dimensions) x), ', '), ''), '');
  FOR m IN SELECT * FROM jsonb_array_elements(spec) LOOP
    FOR c IN SELECT * FROM dataeng._fact_measure_cols(m, (m->>'float')::boolean) LOOP
      sel := sel || format(', %s AS %I', c.expr, c.col_name);
    END LOOP;
  END LOOP;
  IF to_regclass('pg_temp._dataeng_fact_types') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_fact_types;
  END IF;
  EXECUTE format('CREATE TEMP TABLE _dataeng_fact_types AS SELECT %s, count(*) AS __rows FROM %s s '
                 'GROUP BY %s WITH NO DATA', sel, source,
                 (SELECT string_agg(i::text, ', ') FROM generate_series(1, 1 + cardinality(dimensions)) i));
  coldefs := '';
  FOR q IN SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS t, a.attnum,
                  -- the source's collation (a dimension or min() of a text
                  -- column), so that groups are told apart as GROUP BY does
                  (SELECT format(' COLLATE %I.%I', n.nspname, l.collname)
                     FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace
                     JOIN pg_type ty ON ty.oid = a.atttypid
                    WHERE l.oid = a.attcollation AND a.attcollation <> ty.typcollation) AS coll
             FROM pg_attribute a
            WHERE a.attrelid = 'pg_temp._dataeng_fact_types'::regclass AND a.attnum > 0
            ORDER BY CASE WHEN a.attname = '__rows' THEN 1
                          WHEN a.attname LIKE '\_\_%' AND a.attnum > 1 + cardinality(dimensions) THEN 2
                          ELSE 0 END, a.attnum LOOP
    m := (SELECT e FROM jsonb_array_elements(spec) e WHERE e->>'name' = q.attname AND e->>'agg' = 'avg');
    IF m IS NOT NULL THEN
      -- avg: computed from its hidden sum and count, as avg() computes it
      avgtype := q.t::regtype;
      coldefs := coldefs || format(', %I %s GENERATED ALWAYS AS (CASE WHEN %I = 0 THEN NULL ELSE (%s)::%s END) STORED',
        q.attname, q.t, '__cnt_' || q.attname,
        CASE avgtype WHEN 'numeric'::regtype THEN format('%I::numeric / %I::numeric', '__sum_' || q.attname, '__cnt_' || q.attname)
                     WHEN 'float8'::regtype THEN format('%I::float8 / %I::float8', '__sum_' || q.attname, '__cnt_' || q.attname)
                     WHEN 'interval'::regtype THEN format('%I / %I::float8', '__sum_' || q.attname, '__cnt_' || q.attname)
                     ELSE format('%I / %I', '__sum_' || q.attname, '__cnt_' || q.attname) END,
        q.t);
    ELSE
      coldefs := coldefs || format(', %I %s%s%s', q.attname, q.t, coalesce(q.coll, ''),
                                   CASE WHEN q.attname = '__rows' OR (q.attname = 'bucket' AND NOT tnull)
                                          OR q.attname = ANY (dimensions) AND EXISTS (
                                               SELECT 1 FROM pg_attribute a WHERE a.attrelid = source
                                                  AND a.attname = q.attname AND a.attnotnull)
                                        THEN ' NOT NULL' ELSE '' END);
    END IF;
  END LOOP;
  DROP TABLE pg_temp._dataeng_fact_types;
  -- fillfactor 50: a refresh may update every group, in place (HOT)
  EXECUTE format('CREATE TABLE %s (%s, %s (%s)) WITH (fillfactor = 50)', qualified, substr(coldefs, 3),
                 CASE WHEN anynull THEN 'UNIQUE NULLS NOT DISTINCT' ELSE 'PRIMARY KEY' END,
                 array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(ARRAY['bucket'] || dimensions) k), ', '));
  tbl := qualified::regclass;
  EXECUTE format('COMMENT ON TABLE %s IS %L', tbl,
                 format('Fact table of %s by %s (%s) kept up to date by dataeng.fact_refresh(%L)',
                        source, g, array_to_string(dimensions, ', '), key));

  PERFORM dataeng.cdc_consumer_create('fact:' || key, ARRAY[source]);
  def.fact_table := tbl;
  def.owner := current_user::regrole;
  IF backfill = 'later' THEN
    -- Only the range to cover, for the progress figure (the min/max of
    -- the time column: an index on it answers at once).  Nothing is
    -- backfilled yet; an empty source needs no backfill.
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %1$s s), %2$s, %3$s FROM '
                   '(SELECT min(s.%4$I) AS lo, max(s.%4$I) AS hi FROM %1$s s WHERE isfinite(s.%4$I)) x',
                   source, dataeng._fact_bucket_expr('x.lo', ttype, g, tz),
                   dataeng._fact_bucket_expr('x.hi', ttype, g, tz), time_column)
      INTO bf_any, bf_from, bf_to;
    bf_to := (bf_to AT TIME ZONE tz + dataeng._fact_grain(g)) AT TIME ZONE tz;
    def.backfilled_upto := CASE WHEN bf_any THEN '-infinity'::timestamptz END;
    def.backfill_from := bf_from;
    def.backfill_to := bf_to;
  END IF;
  INSERT INTO dataeng.fact_defs SELECT def.*;
  IF backfill = 'now' THEN
    SELECT * INTO q FROM dataeng._fact_sql(def);
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s s GROUP BY %s', tbl, q.ins_cols, q.ins_sel, source,
                   (SELECT string_agg(i::text, ', ') FROM generate_series(1, 1 + cardinality(dimensions)) i));
  END IF;
  UPDATE dataeng.fact_defs f SET last_refresh = clock_timestamp(), last_changes = 0 WHERE f.name = key;

  IF schedule IS NOT NULL THEN
    PERFORM dataeng.schedule('fact_refresh:' || key, schedule, format('SELECT dataeng.fact_refresh(%L)', key));
  END IF;
  RETURN tbl;
END;
$$;
CREATE FUNCTION dataeng.fact_create(fact_name text, source regclass, time_column text, grain text,
                                    dimensions text[], measures text[],
                                    schedule text DEFAULT '1 minute',
                                    backfill text DEFAULT 'now')
RETURNS regclass
LANGUAGE sql VOLATILE
AS $$
  SELECT dataeng._fact_create(fact_name, source, time_column, grain, dimensions, measures,
                              schedule, pg_catalog.current_schema(), backfill)
$$;
COMMENT ON FUNCTION dataeng.fact_create(text, regclass, text, text, text[], text[], text, text) IS
  'Creates a fact table (bucket at a grain, dimensions, measures) from a source table, backfills it now or leaves it to fact_backfill (backfill => ''later''), and keeps it refreshable from the change log';

-- The reader of dimensions (and of a fact rebuilt after a TRUNCATE of its
-- source; a fact's refresh reads with _fact_deltas()): the changes
-- cdc_poll(consumer, max_changes) would return (the same batches, cut,
-- privilege checks and recorded poll position: both go through
-- _cdc_poll_ranges()), with their place in delivery order (tick_id,
-- ord_txn, change_id), but unsorted: a dimension sorts only the keys it
-- needs, where cdc_poll sorts whole changes.  Acknowledge with
-- cdc_ack(): the last change delivered is the one with the greatest
-- (tick_id, ord_txn, change_id).  Invoker rights through src/cdc/api.c, as
-- cdc_poll.
CREATE FUNCTION dataeng._cdc_poll_unordered(caller regrole, consumer text, max_changes int)
RETURNS TABLE (tick_id bigint, ord_txn bigint, change_id bigint, xid xid8, captured_at timestamptz,
               table_name regclass, op "char", pk jsonb, old_row jsonb, new_row jsonb)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.cdc_consumer_state;
  me regrole := caller;
  g record;
BEGIN
  IF max_changes < 1 THEN
    RAISE EXCEPTION 'max_changes must be at least 1, not %', max_changes
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  r := dataeng._cdc_consumer(consumer, me, true);
  FOR g IN SELECT * FROM dataeng._cdc_poll_ranges(r, me, max_changes, true) LOOP
    RETURN QUERY
      SELECT bt.tick_id, bt.ord_txn, l.change_id, l.xid, l.captured_at, l.table_oid::regclass, l.op,
             l.pk, l.old_row, l.new_row
        FROM (SELECT * FROM dataeng.cdc_batch_txns b
               WHERE b.tick_id = g.tick_id AND b.ord_txn >= g.from_txn AND b.ord_txn <= g.to_txn) bt
        JOIN dataeng.change_log l ON l.xid = bt.xid
       WHERE (bt.ord_txn > g.from_txn OR l.change_id > g.from_change)
         AND (bt.ord_txn < g.to_txn OR l.change_id <= g.to_change)
         AND CASE WHEN r.tables IS NULL THEN dataeng._cdc_can_read(me, l.table_oid)
                  ELSE l.table_oid = ANY (r.tables::oid[]) END;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_poll_unordered(regrole, text, int) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._cdc_poll_unordered(regrole, text, int) IS
  'internal: body of dataeng._cdc_poll_unordered()';

CREATE FUNCTION dataeng._cdc_poll_unordered(consumer text, max_changes int)
RETURNS TABLE (tick_id bigint, ord_txn bigint, change_id bigint, xid xid8, captured_at timestamptz,
               table_name regclass, op "char", pk jsonb, old_row jsonb, new_row jsonb)
AS 'MODULE_PATHNAME', 'dataeng_cdc_poll_unordered'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng._cdc_poll_unordered(text, int) IS
  'internal: the changes cdc_poll() would return, with their delivery position, unsorted (reader of dimensions)';

-- The reader of facts (cdc_read_changes() in src/cdc/images.c): every
-- change of source committed after the consumer's acknowledged position,
-- up to a tick cut now, acknowledged in the same transaction.  This body
-- checks the consumer (it must read exactly source), cuts the tick, moves
-- the acknowledged position to the end of that batch and returns the
-- transactions to read (their batch, place in it, xid, and the change_id
-- after which to start); the C code reads their changes as this body's
-- owner.
CREATE FUNCTION dataeng._cdc_poll_txns(caller regrole, consumer text, source regclass)
RETURNS TABLE (tick_ids bigint[], ord_txns bigint[], xids xid8[], from_changes bigint[])
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng.cdc_consumer_state;
  newest bigint;
BEGIN
  r := dataeng._cdc_consumer(consumer, caller, true);
  IF r.tables IS DISTINCT FROM ARRAY[source] THEN
    RAISE EXCEPTION 'consumer "%" does not read exactly table %', consumer, source
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Row images are read from a consumer of one table only.';
  END IF;
  PERFORM dataeng._cdc_tick_for(r);
  SELECT max(k.tick_id) INTO newest FROM dataeng.cdc_ticks k;
  IF newest = r.ack_tick AND r.ack_txn = 9223372036854775807 THEN
    RETURN;                             -- nothing committed since
  END IF;
  -- Every transaction from the acknowledged position to the end of the
  -- newest batch (a position ending in 9223372036854775807 is the end of
  -- its batch), and where in it to start (past the acknowledged change in
  -- a transaction acknowledged in part), delivered and acknowledged at
  -- once: the caller's transaction commits both with what it does with the
  -- changes, or neither.
  RETURN QUERY
    SELECT array_agg(bt.tick_id), array_agg(bt.ord_txn), array_agg(bt.xid),
           array_agg(CASE WHEN (bt.tick_id, bt.ord_txn) = (r.ack_tick, r.ack_txn) THEN r.ack_change ELSE 0 END)
      FROM dataeng.cdc_batch_txns bt
     WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, r.ack_txn) AND bt.tick_id <= newest
       AND NOT ((bt.tick_id, bt.ord_txn) = (r.ack_tick, r.ack_txn) AND r.ack_change >= bt.ord_txn);
  UPDATE dataeng.cdc_consumer_state c
     SET ack_tick = newest, ack_txn = 9223372036854775807, ack_change = 9223372036854775807,
         poll_tick = newest, poll_txn = 9223372036854775807, poll_change = 9223372036854775807
   WHERE c.name = r.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng._cdc_poll_txns(regrole, text, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng._cdc_poll_txns(regrole, text, regclass) IS
  'internal: the transactions a fact refresh reads, acknowledged at once';

-- Poll consumer until a poll comes back empty or short (everything
-- committed up to the newest tick), appending to the temporary table
-- _dataeng_changes, and acknowledge each poll (the caller commits the
-- acknowledgements with what it does with the changes).  Returns start
-- plus the number of changes read.
CREATE FUNCTION dataeng._agg_poll(consumer text, start bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  batch constant int := 1000000;
  got bigint;
  n bigint := start;
  last_id bigint;
BEGIN
  LOOP
    EXECUTE 'WITH ins AS (
               INSERT INTO pg_temp._dataeng_changes
               SELECT p.tick_id, p.ord_txn, p.change_id, p.op, p.old_row, p.new_row, p.captured_at, p.pk
                 FROM dataeng._cdc_poll_unordered($1, $2) p
               RETURNING tick_id, ord_txn, change_id)
             SELECT count(*), (max(ARRAY[tick_id, ord_txn, change_id]))[3] FROM ins'
      INTO got, last_id USING consumer, batch;
    EXIT WHEN got = 0;
    n := n + got;
    PERFORM dataeng.cdc_ack(consumer, last_id);
    EXIT WHEN got < batch;
  END LOOP;
  RETURN n;
END;
$$;

-- A fresh temporary table for the changes of one refresh.
CREATE FUNCTION dataeng._agg_changes_table()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regclass('pg_temp._dataeng_changes') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_changes;
  END IF;
  CREATE TEMP TABLE _dataeng_changes (tick_id bigint, ord_txn bigint, change_id bigint, op "char",
                                      old_row jsonb, new_row jsonb, captured_at timestamptz, pk jsonb)
    ON COMMIT DROP;
END;
$$;

-- Lock and return a fact definition, or raise.
CREATE FUNCTION dataeng._fact_def(fact_name text, lock boolean)
RETURNS dataeng.fact_defs
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.fact_defs;
  key text := dataeng._agg_name(fact_name);
BEGIN
  IF lock THEN
    SELECT * INTO d FROM dataeng.fact_defs f WHERE f.name = key FOR UPDATE;
  ELSE
    SELECT * INTO d FROM dataeng.fact_defs f WHERE f.name = key;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fact "%" does not exist', fact_name
      USING ERRCODE = 'undefined_object',
            HINT = 'dataeng.facts lists the facts you own.';
  END IF;
  RETURN d;
END;
$$;

-- Recompute a whole fact from its source (after a TRUNCATE of the source).
-- Writers are held off (SHARE lock) and the consumer drained first, so the
-- rebuilt table and the acknowledged position match.  While the fact is
-- being backfilled, only the buckets below the watermark are recomputed
-- (fact_backfill reads the others later).
CREATE FUNCTION dataeng._fact_rebuild(d dataeng.fact_defs, polled bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q record;
  n bigint;
BEGIN
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', d.source);
  PERFORM dataeng._agg_changes_table();
  n := dataeng._agg_poll(d.consumer, polled);
  SELECT * INTO q FROM dataeng._fact_sql(d);
  EXECUTE format('DELETE FROM %s', d.fact_table);
  EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s s %s GROUP BY %s', d.fact_table, q.ins_cols, q.ins_sel,
                 d.source,
                 CASE WHEN d.backfilled_upto IS NOT NULL
                      THEN 'WHERE ' || dataeng._fact_range_pred(d.time_column,
                                         (dataeng._agg_column(d.source, d.time_column, 'time column')).typ,
                                         d.time_zone) END,
                 (SELECT string_agg(i::text, ', ') FROM generate_series(1, 1 + cardinality(d.dimensions)) i))
    USING '-infinity'::timestamptz, d.backfilled_upto, false;
  RETURN n;
END;
$$;

-- The group deltas of a fact refresh, folded in C while the change log is
-- read (src/aggregate/delta.c): every change of source pending for the
-- consumer, acknowledged in the caller's transaction.  Its checks are
-- cdc_poll's, for the current user.
CREATE FUNCTION dataeng._fact_deltas(consumer text, source regclass, time_column text, grain text,
                                     time_zone text, dims text[], vals text[], summed boolean[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataeng_fact_deltas'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng._fact_deltas(text, regclass, text, text, text, text[], text[], boolean[]) IS
  'internal: per group of a fact, the net rows, non-NULL values and sums of the pending changes, acknowledged (reader of fact_refresh)';

CREATE FUNCTION dataeng.fact_refresh(fact_name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.fact_defs;
  q record;
  n bigint := 0;
  has_t boolean := false;
  delta text;
  ttype regtype;
  keys text[];
  sub text;
  agg text := 'sum(rows)::bigint AS __rows';
  flat text := 'rows AS __rows';
  agg_cols text[] := ARRAY['__rows'];
  kcols text;
  ins_cols text;
  ins_vals text;
  upd text := '__rows = f.__rows + EXCLUDED.__rows';
  m jsonb;
  i int := 0;
  vals text[] := '{}';
  summed boolean[] := '{}';
  sumtypes text[] := '{}';
  coldef text;
  img record;
  lo timestamptz;
  hi timestamptz;
  hasnull boolean;
  gi interval;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_refresh() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It polls the change log, which cuts batches only there.';
  END IF;
  -- The fact's row lock serializes refreshes of one fact: a second one
  -- waits, then starts from the position the first acknowledged.
  d := dataeng._fact_def(fact_name, true);
  SELECT * INTO q FROM dataeng._fact_sql(d);
  ttype := (dataeng._agg_column(d.source, d.time_column, 'time column')).typ;
  keys := ARRAY['bucket'] || d.dimensions;
  -- The changes come folded by _fact_deltas() (src/aggregate/delta.c): per
  -- group of (bucket, dimension values) the net number of rows (the old
  -- row images of updates and deletes count -1, the new ones of inserts
  -- and updates +1) and, per value column, the net number of non-NULL
  -- values and for sums their net sum, then one total row counting the
  -- changes and telling whether a TRUNCATE came.  It forms groups by the
  -- values' binary images: when a dimension's type has values that are
  -- equal but stored differently (numeric 1.0 and 1.00, a case-insensitive
  -- collation...), a GROUP BY merges those groups by the types' equality.
  img := dataeng._agg_image_cols(d.source, d.dimensions);
  coldef := 'is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz' || img.coldef;
  sub := 'c.bucket AS k0';
  FOR i IN 1 .. cardinality(d.dimensions) LOOP
    sub := sub || format(', %s AS k%s', img.exprs[i], i);
  END LOOP;
  FOR m IN SELECT * FROM jsonb_array_elements(d.spec) LOOP
    IF m->>'mode' = 'delta' AND m->>'col' IS NOT NULL THEN
      IF NOT (m->>'col') = ANY (vals) THEN
        vals := vals || (m->>'col');
        summed := summed || false;
      END IF;
      IF m->>'agg' IN ('sum', 'avg') THEN
        summed[array_position(vals, m->>'col')] := true;
      END IF;
    END IF;
  END LOOP;
  FOR i IN 1 .. cardinality(vals) LOOP
    IF summed[i] THEN
      sumtypes[i] := dataeng._agg_sum_type(d.source, vals[i]);
      coldef := coldef || format(', s%s %s', i, sumtypes[i]);
      sub := sub || format(', c.s%1$s, c.n%1$s', i);
    ELSE
      sub := sub || format(', c.n%1$s', i);
    END IF;
    coldef := coldef || format(', n%s bigint', i);
  END LOOP;
  kcols := (SELECT string_agg('k' || o, ', ') FROM generate_series(0, cardinality(d.dimensions)) o);
  ins_cols := q.key_cols || ', __rows';
  ins_vals := q.key_cols || ', __rows';
  FOR m IN SELECT * FROM jsonb_array_elements(d.spec) LOOP
    CONTINUE WHEN m->>'mode' <> 'delta';
    i := array_position(vals, m->>'col');
    CASE m->>'agg'
      WHEN 'count_star' THEN
        agg := agg || format(', sum(rows)::bigint AS %I', m->>'name');
        flat := flat || format(', rows AS %I', m->>'name');
        agg_cols := agg_cols || (m->>'name');
        ins_cols := ins_cols || format(', %I', m->>'name');
        ins_vals := ins_vals || format(', %I', m->>'name');
        upd := upd || format(', %1$I = f.%1$I + EXCLUDED.%1$I', m->>'name');
      WHEN 'count' THEN
        agg := agg || format(', sum(n%s)::bigint AS %I', i, m->>'name');
        flat := flat || format(', n%s AS %I', i, m->>'name');
        agg_cols := agg_cols || (m->>'name');
        ins_cols := ins_cols || format(', %I', m->>'name');
        ins_vals := ins_vals || format(', %I', m->>'name');
        upd := upd || format(', %1$I = f.%1$I + EXCLUDED.%1$I', m->>'name');
      ELSE
        -- sum: the sum and a count of non-NULL values (a sum of no value
        -- is NULL); avg: its hidden sum and count
        DECLARE
          s_col text := CASE m->>'agg' WHEN 'sum' THEN m->>'name' ELSE '__sum_' || (m->>'name') END;
          n_col text := CASE m->>'agg' WHEN 'sum' THEN '__nn_' || (m->>'name') ELSE '__cnt_' || (m->>'name') END;
        BEGIN
          agg := agg || format(', sum(s%1$s)::%4$s AS %2$I, sum(n%1$s)::bigint AS %3$I',
                               i, s_col, n_col, sumtypes[i]);
          flat := flat || format(', s%1$s AS %2$I, n%1$s AS %3$I', i, s_col, n_col);
          agg_cols := agg_cols || s_col || n_col;
          ins_cols := ins_cols || format(', %I, %I', s_col, n_col);
          -- With no net non-NULL value, a new group's sum is NULL; an
          -- existing group's sum changes by the (then usually zero) delta.
          -- A new group's contributions cancel exactly (each value leaves
          -- as it came), so a zero delta there means NULL.
          ins_vals := ins_vals || format(', CASE WHEN %2$I = 0 AND %1$I = %1$I - %1$I THEN NULL ELSE %1$I END, %2$I',
                                         s_col, n_col);
          upd := upd || format(', %1$I = CASE WHEN f.%2$I + EXCLUDED.%2$I = 0 THEN NULL WHEN f.%1$I IS NULL THEN EXCLUDED.%1$I '
                               'WHEN EXCLUDED.%1$I IS NULL THEN f.%1$I ELSE f.%1$I + EXCLUDED.%1$I END, '
                               '%2$I = f.%2$I + EXCLUDED.%2$I', s_col, n_col);
        END;
    END CASE;
  END LOOP;

  -- Read and fold the changes (and merge groups equal by their types);
  -- _fact_deltas acknowledges what it read, in this transaction.  A
  -- TRUNCATE adds nothing to any group: the fact is then rebuilt.
  IF to_regclass('pg_temp._dataeng_delta_raw') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_delta_raw;
  END IF;
  IF dataeng._agg_image_keys(d.source, d.dimensions) THEN
    EXECUTE format('CREATE TEMP TABLE _dataeng_delta_raw ON COMMIT DROP AS '
                   'SELECT is_total, %s, %s, n_changes, has_t '
                   'FROM (SELECT c.is_total, c.n_changes, c.has_t, c.rows, %s '
                   '        FROM dataeng._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8) AS c(%s)) x',
                   kcols, flat, sub, coldef)
      USING d.consumer, d.source, d.time_column, d.grain, d.time_zone, d.dimensions, vals, summed;
  ELSE
    EXECUTE format('CREATE TEMP TABLE _dataeng_delta_raw ON COMMIT DROP AS '
                   'WITH x AS MATERIALIZED ('
                   '  SELECT c.is_total, c.n_changes, c.has_t, c.rows, %3$s '
                   '    FROM dataeng._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8) AS c(%4$s)) '
                   'SELECT false AS is_total, %1$s, %2$s, NULL::bigint AS n_changes, NULL::boolean AS has_t '
                   '  FROM x WHERE NOT is_total GROUP BY %1$s '
                   'UNION ALL '
                   'SELECT true, %5$s, n_changes, has_t FROM x WHERE is_total',
                   kcols, agg, sub, coldef,
                   (SELECT string_agg('NULL', ', ') FROM generate_series(1, 1 + cardinality(d.dimensions) + cardinality(agg_cols))))
      USING d.consumer, d.source, d.time_column, d.grain, d.time_zone, d.dimensions, vals, summed;
  END IF;
  SELECT coalesce(r.n_changes, 0), coalesce(r.has_t, false) INTO n, has_t
    FROM pg_temp._dataeng_delta_raw r WHERE r.is_total;

  IF n > 0 AND has_t THEN
    n := dataeng._fact_rebuild(d, n);
  ELSIF n > 0 THEN
    -- The group deltas: while the fact is being backfilled, the groups of
    -- buckets not backfilled yet (and the NULL bucket) are left out:
    -- fact_backfill will read those rows as they are then, these changes
    -- included.  (A group is in one bucket, so this leaves out exactly the
    -- row images of those buckets.)
    delta := format('(SELECT k0 AS bucket%s, %s FROM pg_temp._dataeng_delta_raw WHERE NOT is_total %s)',
                    (SELECT string_agg(format(', k%s AS %I', o, k), '' ORDER BY o)
                       FROM unnest(d.dimensions) WITH ORDINALITY u(k, o)),
                    (SELECT string_agg(quote_ident(c), ', ') FROM unnest(agg_cols) c),
                    CASE WHEN d.backfilled_upto IS NOT NULL
                         THEN format('AND k0 < %L::timestamptz',    -- read back whatever DateStyle is
                                     CASE WHEN isfinite(d.backfilled_upto)
                                          THEN to_char(d.backfilled_upto AT TIME ZONE 'UTC',
                                                       'YYYY-MM-DD"T"HH24:MI:SS.US"+00"')
                                          ELSE d.backfilled_upto::text END)
                         ELSE '' END);
    -- apply: one MERGE joins the deltas to the fact once (cheaper than an
    -- upsert's probe per row) and updates existing groups in place (fact
    -- tables leave room on their pages), deletes those it empties and
    -- inserts new ones.  Only refreshes write a fact, and they serialize:
    -- no group appears in between.  With a nullable key column (IS NOT
    -- DISTINCT FROM: neither hashable nor indexable) an upsert through the
    -- NULLS NOT DISTINCT key instead, then the emptied groups deleted.
    IF position('IS NOT DISTINCT FROM' IN q.key_join) = 0 THEN
      EXECUTE format('MERGE INTO %1$s f USING %2$s d ON %3$s '
                     'WHEN MATCHED AND f.__rows + d.__rows <= 0 THEN DELETE '
                     'WHEN MATCHED THEN UPDATE SET %4$s '
                     'WHEN NOT MATCHED AND d.__rows > 0 THEN INSERT (%5$s) VALUES (%6$s)',
                     d.fact_table, delta, q.key_join, replace(upd, 'EXCLUDED.', 'd.'),
                     ins_cols, ins_vals);
    ELSE
      EXECUTE format('INSERT INTO %s AS f (%s) SELECT %s FROM %s d '
                     'ON CONFLICT (%s) DO UPDATE SET %s',
                     d.fact_table, ins_cols, ins_vals, delta, q.key_cols, upd);
      EXECUTE format('DELETE FROM %s f USING %s d WHERE d.__rows <= 0 AND %s AND f.__rows <= 0',
                     d.fact_table, delta, q.key_join);
    END IF;
    -- min, max, count(DISTINCT) and float sums: recompute the groups
    -- touched, reading only the source rows of their time range
    IF q.rec_set IS NOT NULL THEN
      gi := dataeng._fact_grain(d.grain);
      EXECUTE format('SELECT min(bucket), max(bucket), bool_or(bucket IS NULL) FROM %s d', delta)
        INTO lo, hi, hasnull;
      hi := (hi AT TIME ZONE d.time_zone + gi) AT TIME ZONE d.time_zone;
      EXECUTE format('UPDATE %1$s f SET %2$s FROM ('
                     'SELECT %3$s, %4$s FROM %9$s d LEFT JOIN %5$s s '
                     'ON %6$s AND %7$s GROUP BY %3$s) r WHERE %8$s',
                     d.fact_table, q.rec_set,
                     (SELECT string_agg(format('d.%I', k), ', ') FROM unnest(keys) k),
                     q.rec_sel, d.source,
                     (SELECT string_agg(CASE WHEN a.attnotnull THEN format('%s = d.%I', e, k)
                                             ELSE format('%s IS NOT DISTINCT FROM d.%I', e, k) END,
                                        ' AND ' ORDER BY o)
                        FROM unnest(keys) WITH ORDINALITY u(k, o)
                        JOIN pg_attribute a ON a.attrelid = d.fact_table AND a.attname = k
                        CROSS JOIN LATERAL (SELECT CASE WHEN o = 1 THEN q.bucket_s ELSE format('s.%I', k) END) x(e)),
                     dataeng._fact_range_pred(d.time_column, ttype, d.time_zone),
                     (SELECT string_agg(CASE WHEN a.attnotnull THEN format('f.%1$I = r.%1$I', k)
                                             ELSE format('f.%1$I IS NOT DISTINCT FROM r.%1$I', k) END,
                                        ' AND ' ORDER BY o)
                        FROM unnest(keys) WITH ORDINALITY u(k, o)
                        JOIN pg_attribute a ON a.attrelid = d.fact_table AND a.attname = k),
                     delta)
        USING lo, hi, coalesce(hasnull, false);
    END IF;
  END IF;

  UPDATE dataeng.fact_defs f
     SET last_refresh = clock_timestamp(), last_changes = n, total_changes = f.total_changes + n
   WHERE f.name = d.name;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng.fact_refresh(text) IS
  'Applies the source''s captured changes to a fact table and acknowledges them, in one transaction; returns the number of changes';

-- How far a backfill got: the share, in percent, of the time range the
-- source covered at fact_create that lies below the watermark (100 when
-- fully backfilled).
CREATE FUNCTION dataeng._fact_backfill_pct(upto timestamptz, range_from timestamptz, range_to timestamptz)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN upto IS NULL THEN 100.0
              WHEN range_from IS NULL OR upto <= range_from THEN 0.0
              ELSE round(100 * least(1, extract(epoch FROM upto - range_from)
                                        / extract(epoch FROM range_to - range_from)), 1) END
$$;
COMMENT ON FUNCTION dataeng._fact_backfill_pct(timestamptz, timestamptz, timestamptz) IS
  'internal: percentage of a fact''s time range backfilled (dataeng.facts, fact_backfill notices)';

-- One batch of fact_backfill, in the caller's transaction: hold writers
-- off (SHARE lock on the source: they wait for this batch only), lock the
-- fact's metadata row (after a refresh in progress, before the next one),
-- apply the changes pending (fact_refresh; those of buckets not backfilled
-- yet are left out, as this batch or a later one reads their rows as they
-- are now), then aggregate the source rows of the buckets from the
-- watermark to the next batch boundary and move the watermark there.  The
-- last batch takes every bucket from the watermark on, +infinity and the
-- NULL bucket included.  Reports progress as a NOTICE; returns whether the
-- fact is now fully backfilled and how many source rows this batch read.
CREATE FUNCTION dataeng._fact_backfill_batch(fact_name text, batch interval,
                                             call_start timestamptz, call_rows bigint,
                                             OUT done boolean, OUT source_rows bigint)
RETURNS record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.fact_defs;
  q record;
  ttype regtype;
  gi interval;
  step interval := batch;
  lo timestamptz;
  base timestamptz;
  hi timestamptz;
  last boolean;
  pred text;
  groups bigint;
  t0 timestamptz := clock_timestamp();
  secs numeric;
BEGIN
  IF fact_name IS NULL THEN
    RAISE EXCEPTION 'fact_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF batch IS NOT NULL AND batch <= interval '0' THEN
    RAISE EXCEPTION 'batch must be a positive interval, not %', batch
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give the time range one batch covers, e.g. interval ''7 days'', or NULL for about a twentieth of the fact''s range.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_backfill() must run in READ COMMITTED transactions'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'Each batch applies the pending changes first, which are cut only there.';
  END IF;
  d := dataeng._fact_def(fact_name, false);
  source_rows := 0;
  IF d.backfilled_upto IS NULL THEN
    done := true;
    RETURN;
  END IF;
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', d.source);
  d := dataeng._fact_def(fact_name, true);
  IF d.backfilled_upto IS NULL THEN
    done := true;
    RETURN;
  END IF;
  PERFORM dataeng.fact_refresh(d.name);

  -- the batch: from the watermark to a bucket boundary about step later
  -- (at least one bucket), skipping the stretch before the first bucket
  gi := dataeng._fact_grain(d.grain);
  IF step IS NULL THEN
    step := (d.backfill_to - d.backfill_from) / 20;
  END IF;
  lo := d.backfilled_upto;
  IF d.backfill_from IS NULL THEN
    last := true;
  ELSE
    base := greatest(lo, d.backfill_from);
    hi := date_trunc(d.grain, base + step, d.time_zone);
    IF hi <= base THEN
      hi := (base AT TIME ZONE d.time_zone + gi) AT TIME ZONE d.time_zone;
    END IF;
    last := hi >= d.backfill_to;
  END IF;

  -- the rows of those buckets: a range on the time column (an index on it
  -- serves), then exactly the buckets (a date range is rounded outwards)
  SELECT * INTO q FROM dataeng._fact_sql(d);
  ttype := (dataeng._agg_column(d.source, d.time_column, 'time column')).typ;
  IF last THEN
    pred := format('(s.%1$I IS NULL OR (s.%1$I >= %2$s AND %3$s >= $1))', d.time_column,
                   CASE ttype WHEN 'timestamptz'::regtype THEN '$1'
                              WHEN 'timestamp'::regtype THEN format('($1 AT TIME ZONE %L)', d.time_zone)
                              ELSE format('($1 AT TIME ZONE %L)::date', d.time_zone) END,
                   q.bucket_s);
  ELSE
    pred := format('(%s AND %2$s >= $1 AND %2$s < $2)',
                   dataeng._fact_range_pred(d.time_column, ttype, d.time_zone), q.bucket_s);
  END IF;
  EXECUTE format('WITH ins AS (INSERT INTO %s (%s) SELECT %s FROM %s s WHERE %s GROUP BY %s RETURNING __rows) '
                 'SELECT count(*), coalesce(sum(__rows), 0) FROM ins',
                 d.fact_table, q.ins_cols, q.ins_sel, d.source, pred,
                 (SELECT string_agg(i::text, ', ') FROM generate_series(1, 1 + cardinality(d.dimensions)) i))
    INTO groups, source_rows
    USING lo, hi, false;
  UPDATE dataeng.fact_defs f SET backfilled_upto = CASE WHEN last THEN NULL ELSE hi END
   WHERE f.name = d.name;
  done := last;

  secs := extract(epoch FROM clock_timestamp() - call_start);
  RAISE NOTICE '%',
    CASE WHEN last THEN format('fact "%s": backfill complete', d.name)
         ELSE format('fact "%s": backfilled below %s, %s%% of its time range', d.name, hi,
                     dataeng._fact_backfill_pct(hi, d.backfill_from, d.backfill_to)) END
    USING DETAIL = format('This batch: %s source rows into %s groups in %s s. This call so far: %s rows in %s s (%s rows/s).',
                          source_rows, groups, round(extract(epoch FROM clock_timestamp() - t0), 3),
                          call_rows + source_rows, round(secs, 3),
                          CASE WHEN secs > 0 THEN round((call_rows + source_rows) / secs) END);
END;
$$;
COMMENT ON FUNCTION dataeng._fact_backfill_batch(text, interval, timestamptz, bigint) IS
  'internal: one batch of dataeng.fact_backfill(), in the caller''s transaction';

CREATE PROCEDURE dataeng.fact_backfill(fact_name text, batch interval DEFAULT NULL)
LANGUAGE plpgsql
-- (no SET clause: a procedure with one cannot COMMIT; the work is in
-- _fact_backfill_batch, which pins its search_path)
AS $$
DECLARE
  t0 timestamptz := pg_catalog.clock_timestamp();
  n bigint := 0;
  r record;
BEGIN
  IF dataeng._in_transaction_block() THEN
    RAISE EXCEPTION 'dataeng.fact_backfill() cannot run inside a transaction block'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It commits after each batch, so that an interrupted backfill keeps the batches done.',
            HINT = 'CALL it on its own, outside BEGIN ... COMMIT.';
  END IF;
  LOOP
    SELECT b.done, b.source_rows INTO r FROM dataeng._fact_backfill_batch(fact_name, batch, t0, n) b;
    n := n + r.source_rows;
    COMMIT;
    EXIT WHEN r.done;
  END LOOP;
END;
$$;
COMMENT ON PROCEDURE dataeng.fact_backfill(text, interval) IS
  'Fills a fact created with backfill => ''later'' in batches of buckets (batch: the time range of one), committing each; resumes where an interrupted call stopped';

-- What fact_drop and dimension_drop remove besides the definition: the
-- table (unless already dropped), the consumer and the refresh job.
CREATE FUNCTION dataeng._agg_drop(tbl regclass, consumer text, job text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_class WHERE oid = tbl) THEN
    EXECUTE format('DROP TABLE %s', tbl);
  END IF;
  IF EXISTS (SELECT 1 FROM dataeng.cdc_consumers c WHERE c.name = consumer) THEN
    PERFORM dataeng.cdc_consumer_drop(consumer);
  END IF;
  PERFORM dataeng.unschedule(job);
END;
$$;

CREATE FUNCTION dataeng.fact_drop(fact_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.fact_defs := dataeng._fact_def(fact_name, true);
BEGIN
  PERFORM dataeng._agg_drop(d.fact_table, d.consumer, 'fact_refresh:' || d.name);
  DELETE FROM dataeng.fact_defs f WHERE f.name = d.name;
END;
$$;
COMMENT ON FUNCTION dataeng.fact_drop(text) IS
  'Drops a fact table, its change-log consumer, its scheduled refresh and its definition (capture of the source stays)';

-- (security_invoker: the caller sees its own facts, by row security)
CREATE VIEW dataeng.facts WITH (security_invoker = true) AS
  SELECT f.name, f.fact_table AS "table", f.source, f.time_column, f.grain, f.time_zone,
         f.dimensions, f.measures, f.owner, f.schedule, f.created_at, f.last_refresh,
         f.last_changes, f.total_changes,
         c.pending_changes, c.lag_seconds, f.backfilled_upto,
         dataeng._fact_backfill_pct(f.backfilled_upto, f.backfill_from, f.backfill_to) AS backfill_percent
    FROM dataeng.fact_defs f
    LEFT JOIN dataeng.cdc_consumers c ON c.name = f.consumer;
COMMENT ON VIEW dataeng.facts IS
  'Fact tables of the calling role: definition, last refresh, changes pending, lag (seconds) and backfill progress';
GRANT SELECT ON dataeng.facts TO PUBLIC;

-----------------------------------------------------------------------------
-- Dimensions
-----------------------------------------------------------------------------

-- Lock and return a dimension definition, or raise.
CREATE FUNCTION dataeng._dim_def(dim_name text, lock boolean)
RETURNS dataeng.dimension_defs
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.dimension_defs;
  key text := dataeng._agg_name(dim_name);
BEGIN
  IF lock THEN
    SELECT * INTO d FROM dataeng.dimension_defs x WHERE x.name = key FOR UPDATE;
  ELSE
    SELECT * INTO d FROM dataeng.dimension_defs x WHERE x.name = key;
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'dimension "%" does not exist', dim_name
      USING ERRCODE = 'undefined_object',
            HINT = 'dataeng.dimensions lists the dimensions you own.';
  END IF;
  RETURN d;
END;
$$;
COMMENT ON FUNCTION dataeng._dim_def(text, boolean) IS 'internal: look up (and lock) a dimension definition';

-- SQL telling whether two values a and b of a source column differ: IS
-- DISTINCT FROM where the column's type has an equality, else their text.
CREATE FUNCTION dataeng._dim_differ(src regclass, col text, a text, b text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t text;
BEGIN
  SELECT format_type(x.atttypid, x.atttypmod) INTO t
    FROM pg_attribute x WHERE x.attrelid = src AND x.attname = col AND x.attnum > 0 AND NOT x.attisdropped;
  BEGIN
    EXECUTE format('SELECT NULL::%s IS DISTINCT FROM NULL::%s', t, t);
    RETURN format('(%s IS DISTINCT FROM %s)', a, b);
  EXCEPTION WHEN undefined_function THEN
    RETURN format('(%s::text IS DISTINCT FROM %s::text)', a, b);
  END;
END;
$$;
COMMENT ON FUNCTION dataeng._dim_differ(regclass, text, text, text) IS
  'internal: SQL comparing two values of a source column';

-- The attributes of a dimension differ between row expressions prefixed
-- pa and pb (attribute names: an, or ai when positional).
CREATE FUNCTION dataeng._dim_attrs_differ(d dataeng.dimension_defs, pa text, pb text,
                                          a_positional boolean, b_positional boolean)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(string_agg(dataeng._dim_differ(d.source, a,
                               CASE WHEN a_positional THEN pa || 'a' || o ELSE pa || quote_ident(a) END,
                               CASE WHEN b_positional THEN pb || 'a' || o ELSE pb || quote_ident(a) END),
                             ' OR ' ORDER BY o), 'false')
    FROM unnest(d.attributes) WITH ORDINALITY u(a, o)
$$;
COMMENT ON FUNCTION dataeng._dim_attrs_differ(dataeng.dimension_defs, text, text, boolean, boolean) IS
  'internal: SQL telling whether two versions of a dimension row differ in a tracked attribute';

-- (dimension_create() below: the caller's current schema is passed in)
CREATE FUNCTION dataeng._dim_create(dim_name text, source regclass, key_column text, attributes text[],
                                    scd_type int, schedule text, cur_schema text)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  key text;
  parts text[];
  qualified text;
  sk text;
  kcol record;
  a text;
  names text[];
  reserved text[];
  coldefs text;
  cols text;
  t0 timestamptz;
  tbl regclass;
  def dataeng.dimension_defs;
BEGIN
  IF dim_name IS NULL OR source IS NULL OR key_column IS NULL OR attributes IS NULL OR scd_type IS NULL THEN
    RAISE EXCEPTION 'dim_name, source, key_column, attributes and scd_type must not be NULL'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Pass an empty array for a dimension of keys only.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.dimension_create() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'The initial load and the start of the change-log consumer must see the same rows.';
  END IF;
  IF scd_type NOT IN (1, 2) THEN
    RAISE EXCEPTION 'scd_type must be 1 or 2, not %', scd_type
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Type 1 overwrites a row when its source row changes; type 2 keeps every version.';
  END IF;
  key := dataeng._agg_name(dim_name);
  parts := dataeng._agg_new_table(dim_name, cur_schema, 'dim_name');
  qualified := format('%I.%I', parts[1], parts[2]);
  IF EXISTS (SELECT 1 FROM dataeng.dimension_defs x WHERE x.name = key) THEN
    RAISE EXCEPTION 'dimension "%" already exists', key USING ERRCODE = 'duplicate_object';
  END IF;
  IF (SELECT relkind FROM pg_class WHERE oid = source) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot build dimension "%" from "%": only tables can be sources', key, source
      USING ERRCODE = 'wrong_object_type';
  END IF;

  -- columns: the key, then attributes, each once, none named like the
  -- bookkeeping columns of a type 2 table
  SELECT * INTO kcol FROM dataeng._agg_column(source, key_column, 'key column');
  sk := parts[2] || '_sk';
  IF octet_length(sk) > 63 THEN
    sk := left(parts[2], 60) || '_sk';
  END IF;
  reserved := CASE WHEN scd_type = 2 THEN ARRAY[sk, 'valid_from', 'valid_to', 'is_current'] ELSE '{}' END;
  names := ARRAY[key_column];
  IF key_column = ANY (reserved) THEN
    RAISE EXCEPTION 'column name "%" is used twice in dimension "%"', key_column, key
      USING ERRCODE = 'duplicate_column',
            DETAIL = format('A type 2 dimension has the columns %s.', array_to_string(reserved, ', '));
  END IF;
  FOREACH a IN ARRAY attributes LOOP
    PERFORM dataeng._agg_column(source, a, 'attribute');
    IF a = ANY (names) OR a = ANY (reserved) THEN
      RAISE EXCEPTION 'column name "%" is used twice in dimension "%"', a, key
        USING ERRCODE = 'duplicate_column',
              DETAIL = CASE WHEN a = ANY (reserved)
                            THEN format('A type 2 dimension has the columns %s.', array_to_string(reserved, ', '))
                            WHEN a = key_column THEN 'The key column is always in the dimension.'
                            ELSE 'List each attribute once.' END;
    END IF;
    names := names || a;
  END LOOP;

  -- The key must identify a source row: a primary key, or a unique index
  -- (not partial, not on an expression) of exactly that column, NOT NULL,
  -- and not deferrable: checked row by row, a key is free whenever a row
  -- takes it, so the changes of one statement, applied one by one in
  -- capture order, never see a key twice (a deferred check would let a
  -- statement swap two keys).
  IF kcol.nullable OR NOT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = source AND i.indisunique AND i.indisvalid AND i.indimmediate
          AND i.indnkeyatts = 1
          AND i.indpred IS NULL AND i.indexprs IS NULL
          AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                              WHERE attrelid = source AND attname = key_column)) THEN
    RAISE EXCEPTION 'key column "%" of table % is not a unique key', key_column, source
      USING ERRCODE = 'invalid_column_reference',
            DETAIL = 'A dimension row stands for exactly one source row: the key column must be NOT NULL and have a primary key or a unique constraint or index of its own (not partial, not deferrable).',
            HINT = format('Add one, e.g. ALTER TABLE %s ADD PRIMARY KEY (%I);', source, key_column);
  END IF;

  -- Capture: no writer may commit between the initial load and the
  -- consumer's start, so both see the same rows.
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', source);
  t0 := clock_timestamp();
  PERFORM dataeng._agg_capture(source, names, 'dimension');

  SELECT string_agg(format('%I %s%s%s', x.attname, format_type(x.atttypid, x.atttypmod),
                           CASE WHEN x.attcollation <> t.typcollation
                                THEN ' COLLATE ' || x.attcollation::regcollation::text ELSE '' END,
                           CASE WHEN x.attname = key_column THEN ' NOT NULL' ELSE '' END),
                    ', ' ORDER BY u.o)
    INTO coldefs
    FROM unnest(names) WITH ORDINALITY u(c, o)
    JOIN pg_attribute x ON x.attrelid = source AND x.attname = u.c
    JOIN pg_type t ON t.oid = x.atttypid;
  cols := array_to_string(ARRAY(SELECT quote_ident(c) FROM unnest(names) c), ', ');
  IF scd_type = 1 THEN
    EXECUTE format('CREATE TABLE %s (%s, PRIMARY KEY (%I))', qualified, coldefs, key_column);
  ELSE
    EXECUTE format('CREATE TABLE %s (%I bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, %s, '
                   'valid_from timestamptz NOT NULL, valid_to timestamptz, '
                   'is_current boolean NOT NULL DEFAULT true, CHECK (is_current = (valid_to IS NULL)))',
                   qualified, sk, coldefs);
    EXECUTE format('CREATE UNIQUE INDEX ON %s (%I) WHERE is_current', qualified, key_column);
    EXECUTE format('CREATE INDEX ON %s (%I, valid_from)', qualified, key_column);
  END IF;
  tbl := qualified::regclass;
  EXECUTE format('COMMENT ON TABLE %s IS %L', tbl,
                 format('Dimension (SCD type %s) of %s by %s kept up to date by dataeng.dimension_refresh(%L)',
                        scd_type, source, key_column, key));

  PERFORM dataeng.cdc_consumer_create('dim:' || key, ARRAY[source]);
  def := ROW(key, tbl, current_user::regrole, source, key_column, attributes, scd_type, 'dim:' || key,
             schedule, now(), clock_timestamp(), 0, 0)::dataeng.dimension_defs;
  INSERT INTO dataeng.dimension_defs SELECT def.*;
  IF scd_type = 1 THEN
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', tbl, cols, cols, source);
  ELSE
    EXECUTE format('INSERT INTO %s (%s, valid_from, valid_to, is_current) SELECT %s, $1, NULL, true FROM %s',
                   tbl, cols, cols, source) USING t0;
  END IF;

  IF schedule IS NOT NULL THEN
    PERFORM dataeng.schedule('dimension_refresh:' || key, schedule, format('SELECT dataeng.dimension_refresh(%L)', key));
  END IF;
  RETURN tbl;
END;
$$;
COMMENT ON FUNCTION dataeng._dim_create(text, regclass, text, text[], int, text, text) IS
  'internal: body of dataeng.dimension_create()';

CREATE FUNCTION dataeng.dimension_create(dim_name text, source regclass, key_column text, attributes text[],
                                         scd_type int DEFAULT 1, schedule text DEFAULT '1 minute')
RETURNS regclass
LANGUAGE sql VOLATILE
AS $$
  SELECT dataeng._dim_create(dim_name, source, key_column, attributes, scd_type, schedule,
                             pg_catalog.current_schema())
$$;
COMMENT ON FUNCTION dataeng.dimension_create(text, regclass, text, text[], int, text) IS
  'Creates a dimension table (SCD type 1 or 2) from a source table keyed by a unique column, loads it and keeps it refreshable from the change log';

-- Make a dimension's current rows what the source holds now (after a
-- TRUNCATE of the source): writers held off, the consumer drained first.
-- Type 2: rows that left or changed are closed at ts, new ones opened.
CREATE FUNCTION dataeng._dim_resync(d dataeng.dimension_defs, polled bigint, ts timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
  cols text := array_to_string(ARRAY(SELECT quote_ident(c) FROM unnest(d.key_column || d.attributes) c), ', ');
  scols text := array_to_string(ARRAY(SELECT 's.' || quote_ident(c) FROM unnest(d.key_column || d.attributes) c), ', ');
  keyeq text := format('s.%1$I = x.%1$I', d.key_column);
BEGIN
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', d.source);
  n := dataeng._agg_poll(d.consumer, polled);
  IF d.scd_type = 1 THEN
    EXECUTE format('DELETE FROM %s x WHERE NOT EXISTS (SELECT 1 FROM %s s WHERE %s)', d.dim_table, d.source, keyeq);
    EXECUTE format('INSERT INTO %s AS x (%s) SELECT %s FROM %s s ON CONFLICT (%I) DO %s',
                   d.dim_table, cols, scols, d.source, d.key_column,
                   CASE WHEN cardinality(d.attributes) = 0 THEN 'NOTHING'
                        ELSE format('UPDATE SET %s WHERE %s',
                                    (SELECT string_agg(format('%1$I = EXCLUDED.%1$I', a), ', ') FROM unnest(d.attributes) a),
                                    dataeng._dim_attrs_differ(d, 'x.', 'EXCLUDED.', false, false)) END);
  ELSE
    EXECUTE format('UPDATE %s x SET valid_to = greatest($1, x.valid_from), is_current = false '
                   'WHERE x.is_current AND NOT EXISTS (SELECT 1 FROM %s s WHERE %s AND NOT (%s))',
                   d.dim_table, d.source, keyeq, dataeng._dim_attrs_differ(d, 'x.', 's.', false, false))
      USING ts;
    EXECUTE format('INSERT INTO %s (%s, valid_from, valid_to, is_current) SELECT %s, $1, NULL, true FROM %s s '
                   'WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE x.is_current AND %s)',
                   d.dim_table, cols, scols, d.source, d.dim_table, keyeq)
      USING ts;
  END IF;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng._dim_resync(dataeng.dimension_defs, bigint, timestamptz) IS
  'internal: make a dimension''s current rows equal to its source';

CREATE FUNCTION dataeng.dimension_refresh(dim_name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.dimension_defs;
  n bigint;
  tr record;
  has_t boolean;
  before_t text := 'true';
  k_old text;
  k_new text;
  sel_del text;
  sel_new text;
  nulls text := '';
  news text := '';
  attrs text := '';
  ev_attrs text := '';
  lag_differ text;
  cur_differ text;
  ord constant text := 'e.tick_id, e.ord_txn, e.change_id, e.part';
  i int;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.dimension_refresh() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It polls the change log, which cuts batches only there.';
  END IF;
  -- the definition's row lock serializes refreshes of one dimension
  d := dataeng._dim_def(dim_name, true);
  PERFORM dataeng._agg_changes_table();
  n := dataeng._agg_poll(d.consumer, 0);

  IF n > 0 THEN
    -- changes before the first TRUNCATE are applied one by one; from a
    -- TRUNCATE on, the current rows are made equal to the source
    SELECT c.tick_id, c.ord_txn, c.change_id, c.captured_at INTO tr
      FROM pg_temp._dataeng_changes c WHERE c.op = 'T'
     ORDER BY c.tick_id, c.ord_txn, c.change_id LIMIT 1;
    has_t := FOUND;
    IF has_t THEN
      before_t := format('(c.tick_id, c.ord_txn, c.change_id) < (%s, %s, %s)', tr.tick_id, tr.ord_txn, tr.change_id);
    END IF;

    -- Events, per key: a delete (the old key of a delete, or of an update
    -- that changed the key) and an upsert (the new row of an insert or
    -- update), in delivery order (part orders the two of one update).
    k_old := dataeng._agg_json_col(d.source, d.key_column, 'c.old_row');
    k_new := dataeng._agg_json_col(d.source, d.key_column, 'c.new_row');
    FOR i IN 1 .. cardinality(d.attributes) LOOP
      nulls := nulls || format(', NULL::%s AS a%s',
                               (SELECT format_type(x.atttypid, x.atttypmod) FROM pg_attribute x
                                 WHERE x.attrelid = d.source AND x.attname = d.attributes[i]), i);
      news := news || ', ' || dataeng._agg_json_col(d.source, d.attributes[i], 'c.new_row');
      attrs := attrs || format(', %I', d.attributes[i]);
      ev_attrs := ev_attrs || format(', e.a%s', i);
    END LOOP;
    IF to_regclass('pg_temp._dataeng_dim_ev') IS NOT NULL THEN
      DROP TABLE pg_temp._dataeng_dim_ev;
    END IF;
    EXECUTE format('CREATE TEMP TABLE _dataeng_dim_ev ON COMMIT DROP AS '
                   'SELECT c.tick_id, c.ord_txn, c.change_id, 0 AS part, c.captured_at AS t, false AS present, %1$s AS k%2$s '
                   '  FROM pg_temp._dataeng_changes c '
                   ' WHERE %5$s AND (c.op = ''D'' OR (c.op = ''U'' AND %1$s IS DISTINCT FROM %3$s)) '
                   'UNION ALL '
                   'SELECT c.tick_id, c.ord_txn, c.change_id, 1, c.captured_at, true, %3$s%4$s '
                   '  FROM pg_temp._dataeng_changes c WHERE %5$s AND c.op IN (''I'', ''U'')',
                   k_old, nulls, k_new, news, before_t);

    IF d.scd_type = 1 THEN
      -- the last event of each key decides
      IF to_regclass('pg_temp._dataeng_dim_last') IS NOT NULL THEN
        DROP TABLE pg_temp._dataeng_dim_last;
      END IF;
      EXECUTE format('CREATE TEMP TABLE _dataeng_dim_last ON COMMIT DROP AS '
                     'SELECT DISTINCT ON (e.k) e.* FROM pg_temp._dataeng_dim_ev e '
                     'ORDER BY e.k, e.tick_id DESC, e.ord_txn DESC, e.change_id DESC, e.part DESC');
      EXECUTE format('DELETE FROM %s x USING pg_temp._dataeng_dim_last e WHERE NOT e.present AND x.%I = e.k',
                     d.dim_table, d.key_column);
      EXECUTE format('INSERT INTO %s AS x (%I%s) SELECT e.k%s FROM pg_temp._dataeng_dim_last e WHERE e.present '
                     'ON CONFLICT (%I) DO %s',
                     d.dim_table, d.key_column, attrs, ev_attrs, d.key_column,
                     CASE WHEN cardinality(d.attributes) = 0 THEN 'NOTHING'
                          ELSE format('UPDATE SET %s WHERE %s',
                                      (SELECT string_agg(format('%1$I = EXCLUDED.%1$I', a), ', ') FROM unnest(d.attributes) a),
                                      dataeng._dim_attrs_differ(d, 'x.', 'EXCLUDED.', false, false)) END);
    ELSE
      -- Keep the events that change the key's state (present or not, and
      -- the tracked attributes) from the state before them: the current
      -- row for a key's first event, the event before for the others.
      -- Each kept event closes the version before it; a kept upsert opens
      -- a version, valid until the next kept event of its key.  Times
      -- never go back (a later change's capture time is never earlier
      -- than the version it closes).
      lag_differ := replace(dataeng._dim_attrs_differ(d, 'lag(e.', 'e.', true, true), ' IS DISTINCT FROM', ') OVER w IS DISTINCT FROM');
      cur_differ := dataeng._dim_attrs_differ(d, 'cur.', 'e.', false, true);
      IF to_regclass('pg_temp._dataeng_dim_tr') IS NOT NULL THEN
        DROP TABLE pg_temp._dataeng_dim_tr;
      END IF;
      EXECUTE format(
        'CREATE TEMP TABLE _dataeng_dim_tr ON COMMIT DROP AS '
        'SELECT s.*, lead(s.t) OVER v AS t_next, row_number() OVER v AS rn FROM ('
        '  SELECT e.tick_id, e.ord_txn, e.change_id, e.part, e.k, e.present%1$s, '
        '         greatest(max(e.t) OVER w, cur.valid_from) AS t, '
        '         CASE WHEN row_number() OVER w = 1 '
        '              THEN (cur.%2$I IS NOT NULL) <> e.present OR (e.present AND (%3$s)) '
        '              ELSE lag(e.present) OVER w <> e.present OR (e.present AND (%4$s)) END AS changed '
        '    FROM pg_temp._dataeng_dim_ev e LEFT JOIN %5$s cur ON cur.is_current AND cur.%2$I = e.k '
        '  WINDOW w AS (PARTITION BY e.k ORDER BY %6$s)) s '
        'WHERE s.changed '
        'WINDOW v AS (PARTITION BY s.k ORDER BY s.tick_id, s.ord_txn, s.change_id, s.part)',
        ev_attrs, d.key_column, cur_differ, lag_differ, d.dim_table, ord);
      EXECUTE format('UPDATE %s x SET valid_to = e.t, is_current = false FROM pg_temp._dataeng_dim_tr e '
                     'WHERE e.rn = 1 AND x.is_current AND x.%I = e.k', d.dim_table, d.key_column);
      EXECUTE format('INSERT INTO %s (%I%s, valid_from, valid_to, is_current) '
                     'SELECT e.k%s, e.t, e.t_next, e.t_next IS NULL FROM pg_temp._dataeng_dim_tr e WHERE e.present '
                     'ORDER BY e.tick_id, e.ord_txn, e.change_id, e.part',   -- surrogate keys in change order
                     d.dim_table, d.key_column, attrs, ev_attrs);
    END IF;

    IF has_t THEN
      n := dataeng._dim_resync(d, n, tr.captured_at);
    END IF;
  END IF;

  UPDATE dataeng.dimension_defs x
     SET last_refresh = clock_timestamp(), last_changes = n, total_changes = x.total_changes + n
   WHERE x.name = d.name;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng.dimension_refresh(text) IS
  'Applies the source''s captured changes to a dimension table (overwriting, or keeping history for SCD type 2) and acknowledges them, in one transaction; returns the number of changes';

CREATE FUNCTION dataeng.dimension_drop(dim_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.dimension_defs := dataeng._dim_def(dim_name, true);
BEGIN
  PERFORM dataeng._agg_drop(d.dim_table, d.consumer, 'dimension_refresh:' || d.name);
  DELETE FROM dataeng.dimension_defs x WHERE x.name = d.name;
END;
$$;
COMMENT ON FUNCTION dataeng.dimension_drop(text) IS
  'Drops a dimension table, its change-log consumer, its scheduled refresh and its definition (capture of the source stays)';

-- (security_invoker: the caller sees its own dimensions, by row security)
CREATE VIEW dataeng.dimensions WITH (security_invoker = true) AS
  SELECT x.name, x.dim_table AS "table", x.source, x.key_column, x.attributes, x.scd_type,
         x.owner, x.schedule, x.created_at, x.last_refresh, x.last_changes, x.total_changes,
         c.pending_changes, c.lag_seconds
    FROM dataeng.dimension_defs x
    LEFT JOIN dataeng.cdc_consumers c ON c.name = x.consumer;
COMMENT ON VIEW dataeng.dimensions IS
  'Dimension tables of the calling role: definition, last refresh, changes pending and lag (seconds)';
GRANT SELECT ON dataeng.dimensions TO PUBLIC;

-----------------------------------------------------------------------------
-- Facts and dimensions in pg_dump
-----------------------------------------------------------------------------

-- Definitions are configuration: pg_dump dumps them (the fact and
-- dimension tables are dumped as ordinary tables, consistent with their
-- sources).  Consumers and the change log are not dumped: a definition
-- restored without its consumer gets a new one, starting at the restore,
-- owned by the definition's owner.  fact_create and dimension_create
-- insert a definition whose consumer exists: nothing to do then.
CREATE FUNCTION dataeng._agg_restore_consumer()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_consumers c WHERE c.name = NEW.consumer) THEN
    PERFORM dataeng.cdc_consumer_create(NEW.consumer, ARRAY[NEW.source]);
    IF NEW.owner <> current_user::regrole THEN
      -- (a restore by a superuser: only it may insert another role's row)
      UPDATE dataeng.cdc_consumer_state c SET owner = NEW.owner WHERE c.name = NEW.consumer;
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
COMMENT ON FUNCTION dataeng._agg_restore_consumer() IS
  'internal: give a restored fact or dimension definition a change-log consumer';
CREATE TRIGGER restore_consumer BEFORE INSERT ON dataeng.fact_defs
  FOR EACH ROW EXECUTE FUNCTION dataeng._agg_restore_consumer();
CREATE TRIGGER restore_consumer BEFORE INSERT ON dataeng.dimension_defs
  FOR EACH ROW EXECUTE FUNCTION dataeng._agg_restore_consumer();
SELECT pg_catalog.pg_extension_config_dump('dataeng.fact_defs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.dimension_defs', '');
