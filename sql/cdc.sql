-----------------------------------------------------------------------------
-- Change data capture
--
-- change_log      every captured row change; LIST-partitioned into
--                 CHANGE_LOG_SEGMENTS (src/cdc/cdc.h)
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
COMMENT ON COLUMN dataeng.cdc_tables.table_name IS 'The captured table';
COMMENT ON COLUMN dataeng.cdc_tables.columns IS 'Columns captured, NULL for all';
COMMENT ON COLUMN dataeng.cdc_tables.exclude_columns IS 'Columns not captured';
COMMENT ON COLUMN dataeng.cdc_tables.changed_only IS 'Whether updates carry only the columns that changed';
COMMENT ON COLUMN dataeng.cdc_tables.enabled_at IS 'When capture was enabled';
COMMENT ON COLUMN dataeng.cdc_tables.enabled_by IS 'Role that enabled capture';
SELECT pg_catalog.pg_extension_config_dump('dataeng.cdc_tables', '');
-- a restore loading the captured tables: its session holds the WAL
-- capture worker back until it ends (common.sql, _restore_seen)
CREATE TRIGGER cdc_tables_restore_seen AFTER INSERT ON dataeng.cdc_tables
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._restore_seen();

CREATE SEQUENCE dataeng_internal.change_id_seq CACHE 1;
COMMENT ON SEQUENCE dataeng_internal.change_id_seq IS
  'change_id of captured changes; CACHE 1: ids must grow across sessions, or commit order breaks';

CREATE TABLE dataeng_internal.change_log (
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
COMMENT ON TABLE dataeng_internal.change_log IS
  'Captured row changes; read them through dataeng.changes or dataeng.cdc_poll()';
-- its segments change_log_0 .. change_log_<CHANGE_LOG_SEGMENTS - 1>
-- (src/cdc/cdc.h), private like the log
DO $$
BEGIN
  FOR s IN 0 .. @CHANGE_LOG_SEGMENTS@ - 1 LOOP
    EXECUTE format('CREATE TABLE dataeng_internal.%I PARTITION OF dataeng_internal.change_log FOR VALUES IN (%s)',
                   'change_log_' || s, s);
    EXECUTE format('REVOKE ALL ON dataeng_internal.%I FROM PUBLIC', 'change_log_' || s);
    EXECUTE format('COMMENT ON TABLE dataeng_internal.%I IS %L', 'change_log_' || s,
                   format('Segment %s of dataeng_internal.change_log', s));
  END LOOP;
END;
$$;
-- the one index capture maintains: a transaction's changes, in order
CREATE INDEX change_log_xid_idx ON dataeng_internal.change_log (xid, change_id);
REVOKE ALL ON dataeng_internal.change_log FROM PUBLIC;

CREATE TABLE dataeng_internal.cdc_ticks (
  tick_id     bigint      PRIMARY KEY,
  snap        pg_snapshot NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dataeng_internal.cdc_ticks IS
  'Snapshots that cut the change log into batches delivered in commit order';
CREATE SEQUENCE dataeng_internal.cdc_tick_seq;

-- Delivery order inside a batch: transactions by their last change_id
-- (ord_txn), then change_id.  A transaction that touched a row after
-- another committed has a larger last change_id than that one, so this is a
-- valid commit order, and each transaction's changes stay together.
CREATE TABLE dataeng_internal.cdc_batch_txns (
  tick_id   bigint  NOT NULL,
  ord_txn   bigint  NOT NULL,
  xid       xid8    NOT NULL,
  PRIMARY KEY (tick_id, ord_txn)
);
COMMENT ON TABLE dataeng_internal.cdc_batch_txns IS
  'Transactions of each change-log batch in delivery order';

-- How many changes each batch holds of each table, and the capture time of
-- the oldest: counted once by the maintenance (_cdc_count_batches, not when
-- the tick is cut, which every refresh does), so that a consumer's lag
-- (dataeng_internal._cdc_lag) sums the counted batches after its position,
-- one row per batch and table it reads, rather than reading every pending
-- change of every table.  A counted batch has a row of table_oid 0
-- (changes 0, oldest 'infinity'), written in the same statement as its
-- counts: a batch without it is read change by change.
CREATE TABLE dataeng_internal.cdc_batch_tables (
  tick_id   bigint      NOT NULL,
  table_oid oid         NOT NULL,
  changes   bigint      NOT NULL,
  oldest    timestamptz NOT NULL,
  PRIMARY KEY (tick_id, table_oid)
);
CREATE INDEX cdc_batch_tables_table_idx ON dataeng_internal.cdc_batch_tables (table_oid, tick_id);
COMMENT ON TABLE dataeng_internal.cdc_batch_tables IS
  'Changes of each change-log batch by table (count, oldest capture time), for consumers'' lag';

CREATE TABLE dataeng_internal.cdc_consumer_state (
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
  -- set by cdc_purge() past dataeng.consumer_max_lag_changes or
  -- dataeng.consumer_max_age: the consumer no longer holds the log back,
  -- and polling it fails until it is dropped and re-created
  expired_at     timestamptz,
  expired_reason text,
  -- the transaction of the last poll and the last position it delivered
  -- (NULL: nothing), which dataeng.cdc_ack(consumer) acknowledges
  last_poll_xid    xid8,
  last_poll_tick   bigint,
  last_poll_txn    bigint,
  last_poll_change bigint,
  CHECK (name <> ''),
  -- the initial snapshot (cdc_consumer_create(..., snapshot => true)):
  -- snapshot_rows rows of dataeng_internal.cdc_snapshot_rows, numbered
  -- 1..snapshot_rows, taken at tick ack_tick had at creation; how many are
  -- acknowledged and the furthest delivered.  NULL: no snapshot.
  snapshot_rows    bigint,
  snapshot_acked   bigint,
  snapshot_polled  bigint,
  -- the last snapshot row the last poll (of transaction last_poll_xid)
  -- delivered, which dataeng.cdc_ack(consumer) acknowledges
  last_poll_snap   bigint
);
COMMENT ON TABLE dataeng_internal.cdc_consumer_state IS
  'Consumers of the change log and their positions; read dataeng.cdc_consumers';

-- The rows of consumers' initial snapshots not acknowledged yet (see
-- src/cdc/snapshot.c): copied at the consumer's creation, delivered by
-- cdc_poll() as op 'R', deleted as cdc_ack() acknowledges them.
CREATE TABLE dataeng_internal.cdc_snapshot_rows (
  consumer   text    NOT NULL,
  n          bigint  NOT NULL,
  table_oid  oid     NOT NULL,
  pk         jsonb,
  new_row    jsonb   NOT NULL,
  PRIMARY KEY (consumer, n)
);
COMMENT ON TABLE dataeng_internal.cdc_snapshot_rows IS
  'Rows of consumers'' initial snapshots not acknowledged yet; cdc_poll() delivers them';

-- The roles that could read the whole of a captured table when it was
-- dropped (dataeng_internal._cdc_can_read()), among the owners of the
-- consumers that read it (listing it, or of all tables): recorded just
-- before the DROP (dataeng_internal._cdc_drop_readers(), called by the
-- utility hook, src/cdc/ddl.c), so that a consumer still gets the changes
-- of the table captured before the DROP.  A table gone leaves no rights to
-- check; these stand for them.  The rows of an oid dropped again (taken
-- by a new table) are replaced.  A row of reader 0 (no role) only keeps the
-- table's name, for the errors of the consumers listing it whose owners
-- could not read it.  dataeng.cdc_purge() deletes a table's rows once every
-- consumer has acknowledged its last change and none lists it.
CREATE TABLE dataeng_internal.cdc_dropped_readers (
  table_oid   oid         NOT NULL,
  reader      oid         NOT NULL,
  table_ident text        NOT NULL,
  dropped_xid xid8        NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (table_oid, reader)
);
COMMENT ON TABLE dataeng_internal.cdc_dropped_readers IS
  'The roles that could read a dropped captured table when it was dropped, whose consumers still get its changes';

REVOKE ALL ON dataeng.cdc_tables, dataeng_internal.cdc_ticks, dataeng_internal.cdc_batch_txns,
  dataeng_internal.cdc_batch_tables, dataeng_internal.cdc_consumer_state, dataeng_internal.cdc_snapshot_rows,
  dataeng_internal.cdc_dropped_readers FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng_internal.change_id_seq, dataeng_internal.cdc_tick_seq FROM PUBLIC;

-- Where a change is in a consumer's delivery order (commit order, which
-- is not change_id order): its batch, its transaction's place in the batch
-- (the transaction's last change_id), the change.  Positions compare in
-- delivery order (ORDER BY position).
CREATE TYPE dataeng.cdc_position AS (
  tick_id   bigint,
  ord_txn   bigint,
  change_id bigint
);
COMMENT ON TYPE dataeng.cdc_position IS
  'A change''s place in delivery order, as dataeng.cdc_poll() returns it';

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
  new_row     jsonb,
  position    dataeng.cdc_position
);
COMMENT ON TYPE dataeng.change IS 'A captured row change as returned by dataeng.cdc_poll()';

-- Every committed change the current role may read: rows of tables it may
-- SELECT as a whole (column-level grants alone do not give access), in a
-- schema it has USAGE on, and whose rows no row-level security policy
-- hides from it (RLS active for the role on a table hides all of that
-- table's changes).
CREATE VIEW dataeng.changes WITH (security_barrier) AS
  SELECT c.change_id, c.xid, c.lsn, c.captured_at, c.table_oid::regclass AS table_name,
         c.op, c.pk, c.old_row, c.new_row
    FROM dataeng_internal.change_log c
   WHERE pg_catalog.has_table_privilege(c.table_oid, 'SELECT')
     AND pg_catalog.has_schema_privilege((SELECT r.relnamespace FROM pg_catalog.pg_class r
                                           WHERE r.oid OPERATOR(pg_catalog.=) c.table_oid), 'USAGE')
     AND NOT pg_catalog.row_security_active(c.table_oid);
COMMENT ON VIEW dataeng.changes IS
  'Captured changes of the tables the current role may SELECT, in capture order';
COMMENT ON COLUMN dataeng.changes.change_id IS 'Position of the change in the change log (increasing in commit order of ticks)';
COMMENT ON COLUMN dataeng.changes.xid IS 'Transaction that made the change';
COMMENT ON COLUMN dataeng.changes.lsn IS 'WAL position of the change (NULL for changes captured by the trigger)';
COMMENT ON COLUMN dataeng.changes.captured_at IS 'When the change was captured';
COMMENT ON COLUMN dataeng.changes.table_name IS 'The captured table the change is of';
COMMENT ON COLUMN dataeng.changes.op IS 'Operation: I insert, U update, D delete, T truncate';
COMMENT ON COLUMN dataeng.changes.pk IS 'Primary key (or replica identity) of the row, as jsonb';
COMMENT ON COLUMN dataeng.changes.old_row IS 'The row before an update or delete, as jsonb (captured columns only)';
COMMENT ON COLUMN dataeng.changes.new_row IS 'The row after an insert or update, as jsonb (captured columns only)';
GRANT SELECT ON dataeng.changes TO PUBLIC;

-- The capture trigger: AFTER STATEMENT with transition tables for
-- INSERT/UPDATE/DELETE, AFTER STATEMENT for TRUNCATE.  Arguments:
-- changed_only, columns, exclude_columns.  Only cdc_enable() creates it
-- (EXECUTE is revoked).
CREATE FUNCTION dataeng_internal.capture()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_capture'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal.capture() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal.capture() IS
  'Capture trigger installed by dataeng.cdc_enable(); writes dataeng_internal.change_log';

-- The TRUNCATE trigger of the partitions of a captured partitioned table
-- that are not captured on their own: a partition's TRUNCATE is recorded as
-- a T of the captured table whose pk names the partition.
CREATE FUNCTION dataeng_internal.capture_partition_truncate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_capture_partition_truncate'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal.capture_partition_truncate() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal.capture_partition_truncate() IS
  'TRUNCATE trigger installed on partitions of captured tables; records what the TRUNCATE removed';

-- Whether a role may read every captured change of a table: USAGE on its
-- schema, SELECT on the whole table, and no row-level security policy
-- limiting what it sees.
CREATE FUNCTION dataeng_internal._cdc_can_read(role regrole, tbl oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_can_read'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_can_read(regrole, oid) FROM PUBLIC;

-- Refuse (42501) a role that may not read every change of table tbl
-- (_cdc_can_read; a NULL tbl is refused too), with detail (NULL for none)
-- saying what the caller was doing.
CREATE FUNCTION dataeng_internal._cdc_require_read(role regrole, tbl regclass, detail text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF tbl IS NOT NULL AND dataeng_internal._cdc_can_read(role, tbl) THEN
    RETURN;
  END IF;
  IF detail IS NULL THEN
    RAISE EXCEPTION 'permission denied for table %', tbl
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Reading captured changes requires USAGE on its schema and SELECT on the whole table.';
  END IF;
  RAISE EXCEPTION 'permission denied for table %', tbl
    USING ERRCODE = 'insufficient_privilege', DETAIL = detail,
          HINT = 'Reading captured changes requires USAGE on its schema and SELECT on the whole table.';
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_require_read(regrole, regclass, text) FROM PUBLIC;

-- Just before a DROP that takes tables with it (the utility hook,
-- src/cdc/ddl.c, gives the tables the statement drops, captured or not):
-- for each captured one, which owners of the consumers reading it may read
-- it whole now (dataeng_internal.cdc_dropped_readers).  After the DROP,
-- _cdc_can_read() answers from them for the table's oid, and those
-- consumers still get the changes captured before.  Rolled back with a
-- DROP that fails.
CREATE FUNCTION dataeng_internal._cdc_drop_readers(dropped oid[])
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM dataeng_internal.cdc_dropped_readers d
   WHERE d.table_oid = ANY (dropped)
     AND EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.table_name::oid = d.table_oid);
  INSERT INTO dataeng_internal.cdc_dropped_readers (table_oid, reader, table_ident)
  SELECT DISTINCT ct.table_name::oid, c.owner::oid, ct.table_name::text
    FROM dataeng.cdc_tables ct
    JOIN dataeng_internal.cdc_consumer_state c
      ON c.tables IS NULL OR ct.table_name = ANY (c.tables)
   WHERE ct.table_name::oid = ANY (dropped)
     AND dataeng_internal._cdc_can_read(c.owner, ct.table_name::oid)
  ON CONFLICT DO NOTHING;
  -- (its name, for the consumers listing it)
  INSERT INTO dataeng_internal.cdc_dropped_readers (table_oid, reader, table_ident)
  SELECT DISTINCT ct.table_name::oid, 0, ct.table_name::text
    FROM dataeng.cdc_tables ct
    JOIN dataeng_internal.cdc_consumer_state c ON ct.table_name = ANY (c.tables)
   WHERE ct.table_name::oid = ANY (dropped)
  ON CONFLICT DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_drop_readers(oid[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_drop_readers(oid[]) IS
  'internal: before a DROP, record who may read the captured tables it drops, for the consumers reading them';
COMMENT ON FUNCTION dataeng_internal._cdc_require_read(regrole, regclass, text) IS
  'internal: refuse a role that may not read every change of a table (permission denied, with a hint)';

-- The settings bounding what consumers may hold: dataeng.max_consumers_per_role,
-- dataeng.consumer_max_lag_changes and dataeng.consumer_max_age (seconds).
CREATE FUNCTION dataeng_internal._cdc_limits(OUT max_consumers_per_role int,
                                    OUT max_lag_changes bigint, OUT max_age_seconds int)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_cdc_limits'
LANGUAGE C STABLE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_limits() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_limits() IS 'internal: the settings that bound consumers';

-- The entry points below (cdc_enable, cdc_disable, cdc_consumer_create,
-- cdc_consumer_drop, cdc_poll, cdc_ack, _cdc_consumer_list) are C functions
-- with the caller's rights (src/cdc/api.c): each calls its PL/pgSQL body,
-- dataeng_internal._<name>(caller, ...), as the owner of the body, passing the role
-- that called it (current_user at the call, as PostgreSQL itself runs the
-- calling code).  The bodies check that role's rights; PUBLIC cannot call
-- them.

-- Refuse tables that capture cannot or must not be installed on, or that
-- caller does not own.
CREATE FUNCTION dataeng_internal._cdc_check_table(tbl regclass, caller regrole)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
BEGIN
  SELECT c.relkind, c.relpersistence, n.nspname, c.relowner, c.relnamespace
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
  IF NOT has_schema_privilege(caller, r.relnamespace, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied for schema %', r.nspname
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'Enabling or disabling capture of a table requires USAGE on its schema.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_check_table(regclass, regrole) FROM PUBLIC;

-- Raise unless caller may do to every partition under tbl (any level)
-- what installing triggers on tbl does to them: cdc_enable() installs
-- capture triggers on each partition (and, capturing from the WAL, sets
-- its REPLICA IDENTITY FULL), guard_enable() a row trigger that
-- PostgreSQL clones onto each.  Those statements run as dataeng's owner:
-- a partition another role owns took them without that role (CREATE
-- TRIGGER on the partitioned table itself is refused there, which takes
-- the TRIGGER privilege on every partition; ALTER TABLE takes owning it).
-- So a partition must be owned by the caller (or a role it is a member
-- of), as tbl itself; what names the function, for the message.
CREATE FUNCTION dataeng_internal._require_partitions_owned(caller regrole, tbl regclass, what text)
RETURNS void
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  part regclass;
  owner_ regrole;
BEGIN
  SELECT pt.relid::regclass, c.relowner::regrole INTO part, owner_
    FROM pg_partition_tree(tbl) pt
    JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) pt.relid
   WHERE pt.relid OPERATOR(pg_catalog.<>) tbl::oid
     AND NOT pg_has_role(caller, c.relowner, 'USAGE')
   ORDER BY pt.level, pt.relid::oid
   LIMIT 1;
  IF part IS NOT NULL THEN
    RAISE EXCEPTION 'must be owner of table %, a partition of %', part, tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('%s installs its triggers on every partition of %s; %s is owned by %s.', what, tbl, part, owner_),
            HINT = 'The owner of every partition (or a member of its owning role), or a superuser, can.';
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._require_partitions_owned(regrole, regclass, text) IS
  'internal: refuse unless the caller owns every partition of a table whose capture changes them';
REVOKE ALL ON FUNCTION dataeng_internal._require_partitions_owned(regrole, regclass, text) FROM PUBLIC;

-- Tables of an inheritance tree (INHERITS, not partitions) are not captured.
-- An UPDATE or DELETE naming the parent changes the children's rows too,
-- and the capture trigger's transition tables hold them with the parent's
-- own, with nothing to tell them apart, while an INSERT into a child names
-- the child alone; the WAL publication sends the children's changes under
-- their own names.  Capture of the parent would record updates and deletes
-- of rows it never recorded (a replica applying them by key would change
-- its own rows of the same key), and the two methods would record
-- different changes.  With on_ddl false (cdc_enable) the table must have
-- neither parents nor children of that kind; with on_ddl true (after a
-- statement that gave tbl a parent) it returns the captured table among
-- tbl and its ancestors, which the event trigger refuses (NULL: none).
CREATE FUNCTION dataeng_internal._cdc_check_inheritance(tbl regclass, on_ddl boolean)
RETURNS regclass
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  other regclass;
  captured regclass;
BEGIN
  IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = tbl AND c.relispartition) THEN
    RETURN NULL;
  END IF;
  IF NOT on_ddl THEN
    SELECT i.inhparent::regclass INTO other FROM pg_inherits i WHERE i.inhrelid = tbl
     ORDER BY i.inhseqno LIMIT 1;
    IF other IS NULL THEN
      SELECT i.inhrelid::regclass INTO other FROM pg_inherits i
        JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = tbl AND NOT c.relispartition
       ORDER BY i.inhrelid LIMIT 1;
    END IF;
    IF other IS NOT NULL THEN
      RAISE EXCEPTION 'cannot capture changes of %, which is part of an inheritance tree', tbl
        USING ERRCODE = 'feature_not_supported',
              DETAIL = format('%s inherits from or is inherited by %s. An update or delete naming the parent changes the children''s rows too, which capture cannot tell apart from the parent''s own.', tbl, other),
              HINT = 'Capture a partitioned table instead, or remove the inheritance (ALTER TABLE ... NO INHERIT).';
    END IF;
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = tbl) THEN
    RETURN NULL;
  END IF;
  WITH RECURSIVE up(relid, depth) AS (
    SELECT tbl::oid, 0
    UNION
    SELECT i.inhparent, up.depth + 1 FROM pg_inherits i JOIN up ON i.inhrelid = up.relid
     WHERE up.depth < 100)
  SELECT ct.table_name INTO captured
    FROM up JOIN dataeng.cdc_tables ct ON ct.table_name = up.relid
   ORDER BY up.depth LIMIT 1;
  RETURN captured;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_check_inheritance(regclass, boolean) FROM PUBLIC;

-- The first reader of the changes recorded under the name of tbl (when
-- with_self) or of a partition below it, at any level: a fact or a
-- dimension built from one of them, a consumer reading one of them, or
-- one of them captured on its own (its change history, and the on_change
-- triggers of a table captured from the WAL, are under its name).  With
-- target captured above them (an ATTACH PARTITION under a captured table,
-- src/cdc/ddl.c; cdc_enable of a table above them, _cdc_enable), their
-- changes would be recorded under target instead and each of these would
-- silently hear nothing more of them: the callers refuse, with the detail
-- and hint returned.  Facts, dimensions and consumers of a role viewer is
-- not a member of are not named.  No row: no such reader.
CREATE FUNCTION dataeng_internal._cdc_partition_reader(tbl regclass, with_self boolean,
                                                       target regclass, viewer regrole,
                                                       OUT part regclass, OUT detail text,
                                                       OUT hint text)
RETURNS SETOF record
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  WITH tree AS (
    SELECT pt.relid, pt.level FROM pg_partition_tree(tbl) pt
     WHERE with_self OR pt.relid OPERATOR(pg_catalog.<>) tbl),
  readers AS (
    SELECT t.relid, t.level, 1 AS rank, 'fact' AS kind, f.name, f.owner
      FROM tree t JOIN dataeng_internal.fact_defs f ON f.source OPERATOR(pg_catalog.=) t.relid
    UNION ALL
    SELECT t.relid, t.level, 2, 'dimension', d.name, d.owner
      FROM tree t JOIN dataeng_internal.dimension_defs d ON d.source OPERATOR(pg_catalog.=) t.relid
    UNION ALL
    SELECT t.relid, t.level, 3, 'consumer', s.name, s.owner
      FROM tree t JOIN dataeng_internal.cdc_consumer_state s
        ON t.relid OPERATOR(pg_catalog.=) ANY (s.tables)
     WHERE NOT EXISTS (SELECT 1 FROM dataeng_internal.fact_defs f
                        WHERE f.consumer OPERATOR(pg_catalog.=) s.name)
       AND NOT EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs d
                        WHERE d.consumer OPERATOR(pg_catalog.=) s.name)
       -- (a consumer of a role that may not read the table's changes any
       -- more reads nothing of it either way: one made with SELECT alone,
       -- revoked since, kept the table's owner from ever attaching it,
       -- also after cdc_disable)
       AND dataeng_internal._cdc_can_read(s.owner, t.relid::pg_catalog.oid)
    UNION ALL
    SELECT t.relid, t.level, 4, 'captured', NULL, NULL
      FROM tree t JOIN dataeng.cdc_tables ct ON ct.table_name OPERATOR(pg_catalog.=) t.relid),
  first AS (
    -- (an owner's role can be gone: a definition restored with its oid)
    SELECT r.*, CASE WHEN r.kind OPERATOR(pg_catalog.=) 'captured' THEN true
                     WHEN NOT EXISTS (SELECT 1 FROM pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) r.owner) THEN false
                     ELSE pg_has_role(viewer, r.owner, 'USAGE') END AS named
      FROM readers r ORDER BY r.rank, r.level, r.relid::oid LIMIT 1)
  SELECT r.relid,
         CASE WHEN r.kind OPERATOR(pg_catalog.=) 'captured'
              THEN format('Table %s is captured on its own: its changes are recorded under its name. They would be recorded under %s instead, and whatever reads the changes of %s would miss them.',
                          r.relid, target, r.relid)
              ELSE format('%s reads the changes recorded under %s. They would be recorded under %s instead, and it would receive none of them.',
                          CASE WHEN r.named THEN format('%s "%s"', initcap(r.kind), r.name)
                               ELSE format('A %s of another role', r.kind) END,
                          r.relid, target)
         END,
         CASE r.kind
           WHEN 'captured' THEN
             format('Stop capturing %s on its own first (SELECT dataeng.cdc_disable(%L);); it may be captured on its own again after, its changes then recorded under %s.',
                    r.relid, r.relid::text, target)
           WHEN 'fact' THEN
             format('%s and create the fact on %s instead, with the partition key among its dimensions.',
                    CASE WHEN r.named THEN format('Drop it (SELECT dataeng.fact_drop(%L);)', r.name)
                         ELSE 'Its owner must drop it' END, target)
           WHEN 'dimension' THEN
             format('%s and create the dimension on %s instead.',
                    CASE WHEN r.named THEN format('Drop it (SELECT dataeng.dimension_drop(%L);)', r.name)
                         ELSE 'Its owner must drop it' END, target)
           ELSE
             format('%s and read the changes of %s instead.',
                    CASE WHEN r.named THEN format('Drop it (SELECT dataeng.cdc_consumer_drop(%L);)', r.name)
                         ELSE 'Its owner must drop it' END, target)
         END
    FROM first r;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._cdc_partition_reader(regclass, boolean, regclass, regrole) IS
  'internal: a reader of a partition whose changes would silently stop reaching it if captured under another table, with the detail and hint to raise';
REVOKE ALL ON FUNCTION dataeng_internal._cdc_partition_reader(regclass, boolean, regclass, regrole) FROM PUBLIC;

-- Before the checks that a new reader of tbl's changes (cdc_enable, a
-- consumer, a fact, a dimension) is not cut off by a captured table above
-- it, or cuts off a reader below it: tbl (with whole_tree, every
-- partition below it too) locked SHARE UPDATE EXCLUSIVE until the end of
-- the transaction, which an ATTACH PARTITION of it waits for and makes
-- wait; the checks that follow it (each statement a new snapshot) see an
-- ATTACH that committed meanwhile, and the ATTACH's check sees the reader
-- (src/cdc/ddl.c).  In REPEATABLE READ or SERIALIZABLE, a serialization
-- failure when what the checks read changed since the snapshot.
CREATE FUNCTION dataeng_internal._cdc_reader_lock(tbl regclass, whole_tree boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_reader_lock'
LANGUAGE C VOLATILE STRICT;
-- (PUBLIC: a fact's or dimension's creation calls it as the creating role;
-- it locks only a table that role may read and that is captured or that
-- it may LOCK in that mode (UPDATE, DELETE, TRUNCATE), with whole_tree one
-- it owns; a table of one: after the consumer creations' lock,
-- _cdc_creation_lock)
COMMENT ON FUNCTION dataeng_internal._cdc_reader_lock(regclass, boolean) IS
  'internal: lock a table (and the partitions below it) against a concurrent ATTACH PARTITION before checking its readers';

-- The creations' lock (src/cdc/creation_lock.c), until the end of the
-- transaction, for a creation of a consumer of owner's: what
-- dataeng.cdc_purge() waits for, which creations do not wait for one
-- another; with dataeng.max_consumers_per_role limiting owner, also the
-- lock of owner's creations, under which its consumers are counted.
CREATE FUNCTION dataeng_internal._cdc_creation_lock(owner regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_creation_lock'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_creation_lock(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_creation_lock(regrole) IS
  'internal: the lock a consumer''s creation holds until it commits (and its owner''s, for the count of its consumers)';

-- For dataeng.cdc_purge(): the creations' lock, exclusively, until the end
-- of the transaction, once the creations holding it have ended (each
-- waited for at most lock_timeout; 55P03 past it); creations starting
-- meanwhile do not wait for it.
CREATE FUNCTION dataeng_internal._cdc_creations_wait()
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_creations_wait'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_creations_wait() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_creations_wait() IS
  'internal: wait for the consumers being created, then hold their creations off (dataeng.cdc_purge)';

-- The WAL capture worker of this database (src/cdc/wal_dbhook.c):
-- 'running', 'off' (it runs no round while dataeng.enabled is off),
-- 'none' (no worker is in the database) or 'unknown' (a worker runs
-- without a shared-memory entry, beyond dataeng.wal_max_databases: it may
-- be this database's; waits go on as for a running one).
CREATE FUNCTION dataeng_internal._cdc_wal_worker()
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_worker'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_worker() IS
  'internal: whether this database''s WAL capture worker runs (running, off, none, unknown)';

-- The end of the WAL inserted so far (src/cdc/wal_dbhook.c): what the
-- waits for the WAL capture worker compare the slot's confirmed position
-- with.  pg_current_wal_insert_lsn() points past a page header when the WAL
-- ends at a page boundary, where no decoding reaches until more is written.
CREATE FUNCTION dataeng_internal._cdc_wal_end()
RETURNS pg_lsn
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_end'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_end() IS
  'internal: the end of the WAL inserted so far, where a decoding of all of it ends (pg_current_wal_insert_lsn() less a page header it points past)';

-- Wake this database's WAL capture worker (set its latch, src/cdc/wal_dbhook.c):
-- one waiting out dataeng.wal_naptime begins a round now.  For the waits
-- for it to catch up; false when no worker is in the database.
CREATE FUNCTION dataeng_internal._cdc_wal_wake()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_wake'
LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_wake() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_wake() IS
  'internal: wake this database''s WAL capture worker, so that a wait for it does not wait out its naptime';

-- When this database's WAL capture worker last read the configuration
-- files (src/cdc/wal_dbhook.c): at its start, or when it applied a reload
-- between rounds; NULL when no worker is in the database.  A value later
-- than a moment taken after ALTER SYSTEM and before pg_reload_conf() says
-- that the worker's rounds from then on use the new setting.
CREATE FUNCTION dataeng_internal._cdc_wal_conf_read()
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_conf_read'
LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_conf_read() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_conf_read() IS
  'internal: when this database''s WAL capture worker last read the configuration files';

-- The error that ended this database's last WAL capture worker that
-- failed ("SQLSTATE at time: message", the failures in a row and when
-- the next worker starts), from shared memory; NULL when none is known.
-- PUBLIC may call it (dataeng.pipeline_status reads it with the caller's
-- rights): it answers only superusers and roles with REPLICATION, who see
-- the capture slot's row there; NULL for others.
CREATE FUNCTION dataeng_internal._cdc_wal_last_error()
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_last_error'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_last_error() IS
  'internal: the error that ended this database''s last failed WAL capture worker (superusers and replication roles)';

-- How many WAL capture workers of this database ended by an error since
-- one last committed a round (0: none), from shared memory: the alert
-- wal_capture_failing (dataeng.alert_check()).  A start by a user ends
-- the back-off but not the series.  PUBLIC may call it, as
-- _cdc_wal_last_error(): it answers only superusers and roles with
-- REPLICATION; NULL for others.
CREATE FUNCTION dataeng_internal._cdc_wal_fail_streak()
RETURNS int
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_fail_streak'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_fail_streak() IS
  'internal: WAL capture workers of this database ended by an error since one last committed a round (superusers and replication roles)';

-- The name of this database's WAL capture slot (dataeng_wal_<database
-- oid>), made by the worker's own C function (cdc_wal_slot_name()).
-- PUBLIC may call it: dataeng.pipeline_status reads it with the caller's
-- rights, and pg_replication_slots shows the name to anyone.
CREATE FUNCTION dataeng_internal._cdc_wal_slot()
RETURNS name
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_slot'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_slot() IS
  'internal: the name of this database''s WAL capture slot';

-- The time since which no WAL capture worker runs rounds in this
-- database, given the time the caller's wait saw it down first (NULL: it
-- runs, or may run: a worker without an entry in shared memory); the
-- waits that hold tables' writers off give up after 2 s of it.
CREATE FUNCTION dataeng_internal._cdc_wal_down_since(since timestamptz)
RETURNS timestamptz
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN dataeng_internal._cdc_wal_worker() IN ('running', 'unknown') THEN NULL
              ELSE coalesce(since, clock_timestamp()) END
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_down_since(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_down_since(timestamptz) IS
  'internal: since when no WAL capture worker runs rounds in the database, for the waits that give up after 2 s of it';

-- Whether the WAL capture worker has recorded every change committed
-- before the call: the database's slot confirms the WAL written so far
-- (waiting at most timeout).  True without the slot (not made yet, as in a
-- restore, or gone, or still being made): the worker has then recorded
-- nothing, and has nothing to record, of what was committed before.  Unlike cdc_wal_sync() it does
-- not wait for the switches of other tables.  False without waiting out
-- timeout when no worker runs rounds in the database (none, or
-- dataeng.enabled off) for 2 s in a row: it
-- would not catch up, and the callers hold their tables' writers off
-- meanwhile.  (The grace covers a worker being started: at the commit of
-- cdc_enable(), after a command that needed the database empty.)
-- _cdc_wal_behind() then says which.
CREATE FUNCTION dataeng_internal._cdc_wal_caught_up(timeout interval)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  slot name := dataeng_internal._cdc_wal_slot();
  target pg_lsn := dataeng_internal._cdc_wal_end();
  deadline timestamptz := clock_timestamp() + timeout;
  worker int;
  polls bigint := 0;
  strikes int := 0;
  down_since timestamptz;
BEGIN
  -- (called by the worker itself, in an on_change handler: it cannot wait
  -- for its own round)
  IF EXISTS (SELECT 1 FROM pg_replication_slots s
              WHERE s.slot_name = slot AND s.active_pid = pg_backend_pid()) THEN
    RETURN true;
  END IF;
  -- A slot whose creation is still going on (no confirmed position yet)
  -- counts as none: no table is captured through it before the worker's
  -- first round switches one, so it owes nothing committed before; and
  -- its creation waits for the transactions running when it began, this
  -- one among them (a wait here would end only after 30 s, or with the
  -- deadlock error below: a fact or consumer created right after the
  -- first cdc_enable(..., method => 'wal') of a database failed so).
  WHILE EXISTS (SELECT 1 FROM pg_replication_slots s
                 WHERE s.slot_name = slot
                   AND s.confirmed_flush_lsn < target) LOOP
    IF clock_timestamp() >= deadline THEN
      RETURN false;
    END IF;
    -- (a worker between rounds begins one now, not after its naptime)
    PERFORM dataeng_internal._cdc_wal_wake();
    down_since := dataeng_internal._cdc_wal_down_since(down_since);
    IF clock_timestamp() >= down_since + interval '2 s' THEN
      RETURN false;
    END IF;
    -- The worker waiting for a lock this transaction holds (the SHARE lock
    -- its callers take on a table an on_change handler writes, a row this
    -- transaction changed), directly or through other waiters, would
    -- catch up only after this wait gave up: refused at once (a wait for
    -- a lock is not seen by the deadlock detector).  Every 0.2 s, and
    -- seen twice in a row: the worker's short wait (0.1 s, once a second
    -- at most) for a table whose capture method it switches gives up by
    -- itself.
    polls := polls + 1;
    IF polls % 10 = 0 THEN
      SELECT s.active_pid INTO worker FROM pg_replication_slots s WHERE s.slot_name = slot;
      IF worker IS NULL OR NOT EXISTS (
           WITH RECURSIVE blockers(pid, depth) AS (
             SELECT b.pid, 1 FROM unnest(pg_blocking_pids(worker)) b(pid)
             UNION
             SELECT b.pid, blockers.depth OPERATOR(pg_catalog.+) 1
               FROM blockers, unnest(pg_blocking_pids(blockers.pid)) b(pid)
              WHERE blockers.depth OPERATOR(pg_catalog.<) 8)
           SELECT 1 FROM blockers WHERE blockers.pid OPERATOR(pg_catalog.=) pg_backend_pid()) THEN
        strikes := 0;
      ELSIF strikes > 0 THEN
        RAISE EXCEPTION 'the WAL capture worker waits for a lock held by this transaction'
          USING ERRCODE = 'deadlock_detected',
                DETAIL = 'The worker must record the changes committed before this call first, and waits for a lock '
                         'this transaction holds (its on_change handlers may write a table locked here, or a row changed here).',
                HINT = 'Try again when the worker has caught up (SELECT dataeng.cdc_wal_sync();), in a transaction holding no lock it waits for.';
      ELSE
        strikes := 1;
      END IF;
    END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_caught_up(interval) FROM PUBLIC;

-- The holders of a lock on table rel, for a message: pids as
-- pg_blocking_pids() gives them, each 'process N', and, when one of them
-- is 0 (or NULL, as pg_locks.pid), the prepared transactions holding a
-- lock on rel, each 'prepared transaction "gid" (...)': a prepared
-- transaction has no process (it was said as "process 0", or as nothing),
-- outlives its session and a server restart, and only COMMIT PREPARED or
-- ROLLBACK PREPARED ends it.  NULL when there is none.  Invoker rights.
CREATE FUNCTION dataeng_internal._cdc_lock_holders(rel oid, pids int[])
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT nullif(concat_ws(', ',
           (SELECT string_agg(format('process %s', p), ', ' ORDER BY p)
              FROM unnest(pids) p WHERE p OPERATOR(pg_catalog.<>) 0),
           CASE WHEN EXISTS (SELECT 1 FROM unnest(pids) p WHERE p IS NULL OR p OPERATOR(pg_catalog.=) 0) THEN
             (SELECT string_agg(DISTINCT format('prepared transaction "%s" (ended only by COMMIT PREPARED or ROLLBACK PREPARED: pg_prepared_xacts lists it)', px.gid), ', ')
                FROM pg_catalog.pg_locks l
                JOIN pg_catalog.pg_locks x
                  ON x.virtualtransaction OPERATOR(pg_catalog.=) l.virtualtransaction
                 AND x.locktype OPERATOR(pg_catalog.=) 'transactionid' AND x.pid IS NULL
                JOIN pg_catalog.pg_prepared_xacts px ON px.transaction OPERATOR(pg_catalog.=) x.transactionid
               WHERE l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.relation OPERATOR(pg_catalog.=) rel
                 AND l.granted AND l.pid IS NULL
                 AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_catalog.pg_database d
                                                         WHERE d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database()))
           END), '')
$$;
-- (PUBLIC keeps EXECUTE: _cdc_wal_behind(), an invoker-rights helper,
-- calls it; it reads only pg_locks and pg_prepared_xacts, which PUBLIC
-- reads anyway)
COMMENT ON FUNCTION dataeng_internal._cdc_lock_holders(oid, int[]) IS
  'internal: the processes and prepared transactions holding a lock on a table, for a message';

-- The error after _cdc_wal_caught_up() gave up: action (what cannot be
-- done, e.g. 'cannot create consumer "c"') and detail (why it needs the
-- worker) are the caller's; the message's end, the rest of the detail and
-- the hint say whether the worker is slow or not running, or waits for a
-- lock on a table (which dataeng.wal_lock_timeout, 0 by default, lets it
-- wait for as long as the transaction holding it lasts: a role's LOCK
-- TABLE of its own table left open, with changes of it waiting in the
-- WAL, holds up the capture of every table, and every role's wait gave
-- up saying only that the worker had not caught up).  Invoker rights: it
-- reads nothing but the worker's state.
CREATE FUNCTION dataeng_internal._cdc_wal_behind(action text, detail text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lock_rel text;
  holders text;
BEGIN
  CASE dataeng_internal._cdc_wal_worker()
    WHEN 'off' THEN
      RAISE EXCEPTION '%: WAL capture is paused (dataeng.enabled is off)', action
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = detail || ' The WAL capture worker of this database records nothing while dataeng.enabled is off.',
              HINT = 'Turn it on (e.g. ALTER SYSTEM SET dataeng.enabled = on; SELECT pg_reload_conf();) and try again.';
    WHEN 'none' THEN
      RAISE EXCEPTION '%: no WAL capture worker runs in this database', action
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = detail || ' No WAL capture worker runs in this database to record them.',
              HINT = 'A worker that failed starts again by itself after 10 s, later after failures in a row (the server log says why it stopped); '
                     'otherwise the owner of a table captured from the WAL starts it: SELECT dataeng.cdc_enable(''table''); '
                     'dataeng.cdc_status shows the worker''s state.';
    ELSE
      SELECT l.relation::regclass::text, dataeng_internal._cdc_lock_holders(l.relation, pg_blocking_pids(l.pid))
        INTO lock_rel, holders
        FROM pg_replication_slots s
        JOIN pg_locks l ON l.pid OPERATOR(pg_catalog.=) s.active_pid
       WHERE s.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot()
         AND NOT l.granted AND l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.relation IS NOT NULL
         -- (not the 0.1 s wait of a switch: wal_switch_lock())
         AND l.waitstart OPERATOR(pg_catalog.<) (clock_timestamp() OPERATOR(pg_catalog.-) interval '1 s')
       LIMIT 1;
      IF lock_rel IS NOT NULL THEN
        RAISE EXCEPTION '%: the WAL worker has not caught up: it waits for a lock on table %', action, lock_rel
          USING ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL = detail || format(' The WAL capture worker waits for a lock on %s, held by %s, before it can record that table''s changes, '
                                          'and records no change of any table meanwhile.',
                                          lock_rel, coalesce(holders, 'a process not known')),
                HINT = 'Try again once that transaction has ended (pg_stat_activity shows what it runs; its role can end it); '
                       'dataeng.wal_lock_timeout bounds the worker''s wait, stopping the capture of such a table instead.';
      END IF;
      RAISE EXCEPTION '%: the WAL worker has not caught up', action
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = detail,
              HINT = 'dataeng.cdc_status shows the worker''s state; try again when it has caught up.';
  END CASE;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_behind(text, text) IS
  'internal: the error of a caller the WAL capture worker did not catch up for';

-- A table leaving capture from the WAL (cdc_enable() with another method,
-- cdc_disable()): its on_change triggers, which the WAL capture worker
-- calls, get none of its changes from then on; each is named in a WARNING
-- (dataeng.pipeline_status shows them failing until the table is captured
-- from the WAL again or they are dropped).  (on_change_triggers is made
-- in cdc_wal.sql, after this file: looked up when called.)
CREATE FUNCTION dataeng_internal._on_change_unfed_warn(tbl regclass, now_captured text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  o record;
BEGIN
  FOR o IN SELECT t.trigger_name, t.owner FROM dataeng_internal.on_change_triggers t
            WHERE t.table_name OPERATOR(pg_catalog.=) tbl ORDER BY t.trigger_name LOOP
    RAISE WARNING 'on_change trigger "%" of table % gets no changes while the table is %', o.trigger_name, tbl, now_captured
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Its handler is called by the WAL capture worker, which decodes none of the table''s changes while it is %s: those committed from now until the table is captured from the WAL again never reach the handler.  The trigger is role %s''s.', now_captured, o.owner),
            HINT = format('Capture the table from the WAL again (SELECT dataeng.cdc_enable(%L, method => ''wal'');), or drop the trigger (dataeng.on_change_drop()).', tbl::text);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_unfed_warn(regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_unfed_warn(regclass, text) IS
  'internal: warn that the on_change triggers of a table leaving capture from the WAL get none of its changes';

-- method: 'trigger' (capture triggers in the writers' transactions) or
-- 'wal' (decoded from the WAL by a background worker: see cdc_wal.sql).
-- An option left out (NULL) keeps the table's current value; a table not
-- captured yet gets every column, changed_only false and method 'trigger'.
-- The columns are one choice: columns or exclude_columns given replaces
-- it, exclude_columns => '{}' captures every column again.
CREATE FUNCTION dataeng.cdc_enable(tbl regclass, columns text[] DEFAULT NULL,
                                   exclude_columns text[] DEFAULT NULL,
                                   changed_only boolean DEFAULT NULL,
                                   method text DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_enable'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_enable(regclass, text[], text[], boolean, text) IS
  'Starts capturing INSERT, UPDATE, DELETE and TRUNCATE of a table into the change log';

CREATE FUNCTION dataeng_internal._cdc_enable(caller regrole, tbl regclass, columns text[],
                                    exclude_columns text[], changed_only boolean,
                                    method text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  unknown text[];
  near name;
  known text;
  cur dataeng.cdc_tables;
  anc record;
  below record;
  rdr record;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'tbl must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  PERFORM dataeng_internal._cdc_check_table(tbl, caller);
  -- (against a concurrent ATTACH of it or of a partition below it, or a
  -- reader of one of them: the checks below then see it committed)
  PERFORM dataeng_internal._cdc_reader_lock(tbl, true);
  PERFORM dataeng_internal._require_partitions_owned(caller, tbl, 'dataeng.cdc_enable()');
  PERFORM dataeng_internal._cdc_check_inheritance(tbl, false);
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
  -- (one of columns and exclude_columns at most is given, checked above)
  IF array_position(coalesce(columns, exclude_columns), NULL) IS NOT NULL THEN
    RAISE EXCEPTION '% must not contain NULL', CASE WHEN columns IS NULL THEN 'exclude_columns' ELSE 'columns' END
      USING ERRCODE = 'null_value_not_allowed',
            DETAIL = format('Element %s of %s is NULL; each element names a column of %s.',
                            array_position(coalesce(columns, exclude_columns), NULL),
                            CASE WHEN columns IS NULL THEN 'exclude_columns' ELSE 'columns' END, tbl),
            HINT = 'List the columns by name (a name that a query did not find is NULL).';
  END IF;
  IF unknown IS NOT NULL THEN
    -- (as PostgreSQL's own "Perhaps you meant": the column nearest by edit
    -- distance, when it is near enough to be a slip of the keyboard)
    SELECT a.attname INTO near
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
       AND (lower(a.attname) = lower(unknown[1])
            OR dataeng.damerau_levenshtein(a.attname, unknown[1]) <= greatest(1, length(unknown[1]) / 2))
     ORDER BY lower(a.attname) = lower(unknown[1]) DESC,
              dataeng.damerau_levenshtein(a.attname, unknown[1]), a.attnum
     LIMIT 1;
    SELECT string_agg(quote_ident(x.attname), ', ' ORDER BY x.attnum)
             || CASE WHEN max(x.n) > 20 THEN format(' (and %s more)', max(x.n) - 20) ELSE '' END
      INTO known
      FROM (SELECT a.attname, a.attnum, count(*) OVER () AS n, row_number() OVER (ORDER BY a.attnum) AS i
              FROM pg_attribute a
             WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped) x
     WHERE x.i <= 20;
    RAISE EXCEPTION 'column "%" of table % does not exist', unknown[1], tbl
      USING ERRCODE = 'undefined_column',
            DETAIL = format('The %s list names a column %s does not have; its columns are: %s.',
                            CASE WHEN columns IS NULL THEN 'exclude_columns' ELSE 'columns' END,
                            tbl, coalesce(known, 'none')),
            HINT = CASE WHEN EXISTS (SELECT 1 FROM pg_attribute a
                                      WHERE a.attrelid = tbl AND a.attname = unknown[1] AND a.attnum < 0)
                        THEN format('%s is a system column; only the table''s own columns are captured.', unknown[1])
                        WHEN near IS NOT NULL
                        THEN format('Perhaps you meant to reference the column "%s".', near)
                        ELSE 'List columns by their names as they are in the table (names are case sensitive).' END;
  END IF;

  -- Options left out keep the table's current ones (those of a new
  -- table: every column, changed_only false, method 'trigger'): changing
  -- one option, as cdc_enable(tbl, exclude_columns => ...), leaves the
  -- capture method and the others as they are.
  SELECT * INTO cur FROM dataeng.cdc_tables t WHERE t.table_name = tbl;
  IF columns IS NULL AND exclude_columns IS NULL THEN
    columns := cur.columns;
    exclude_columns := cur.exclude_columns;
  ELSIF cardinality(exclude_columns) = 0 THEN
    exclude_columns := NULL;    -- (every column again)
  END IF;
  changed_only := coalesce(changed_only, cur.changed_only, false);

  -- A partition captured on its own under a captured ancestor keeps its
  -- own options, but its changes are recorded under the topmost captured
  -- ancestor, with that table's method: a partition left out takes it
  -- (not 'trigger'), another one is refused.  A partition under a table
  -- captured from the WAL is decoded with that table's options: it cannot
  -- have its own.  And a partitioned table captured from the WAL cannot
  -- have partitions captured on their own below it.
  SELECT ct.table_name, ct.method INTO anc
    FROM pg_partition_ancestors(tbl) WITH ORDINALITY a(relid, n)
    JOIN dataeng.cdc_tables ct ON ct.table_name = a.relid
   WHERE a.relid <> tbl::oid
   ORDER BY a.n DESC LIMIT 1;
  IF anc.table_name IS NOT NULL THEN
    IF anc.method = 'wal' OR coalesce(method, cur.method, anc.method) <> anc.method THEN
      RAISE EXCEPTION 'cannot capture partition % on its own with method %', tbl,
                      coalesce(method, cur.method, anc.method)
        USING ERRCODE = 'feature_not_supported',
              DETAIL = format('Its changes are recorded under the captured table %s, which is captured with method %s%s.',
                              anc.table_name, anc.method,
                              CASE WHEN anc.method = 'wal' THEN ' and decoded with that table''s options' ELSE '' END),
              HINT = format('Change the capture of %s instead: SELECT dataeng.cdc_enable(%L, ...);',
                            anc.table_name, anc.table_name::text);
    END IF;
    method := anc.method;
  END IF;
  method := coalesce(method, cur.method, 'trigger');
  -- A table captured anew with no captured table above it: the changes of
  -- its partitions (every level) are recorded under it from now on, no
  -- longer under their own names.  A fact, dimension or consumer of a
  -- partition, or a partition captured on its own, would silently hear
  -- nothing more of them: refused.
  IF cur.table_name IS NULL AND anc.table_name IS NULL THEN
    SELECT * INTO rdr FROM dataeng_internal._cdc_partition_reader(tbl, false, tbl, caller);
    IF rdr.part IS NOT NULL THEN
      RAISE EXCEPTION 'cannot capture table %: the changes of its partition % would be recorded under it',
                      tbl, rdr.part
        USING ERRCODE = 'feature_not_supported', DETAIL = rdr.detail, HINT = rdr.hint;
    END IF;
  END IF;
  SELECT ct.table_name, ct.method INTO below
    FROM pg_partition_tree(tbl) pt JOIN dataeng.cdc_tables ct ON ct.table_name = pt.relid
   WHERE pt.relid <> tbl::oid AND (_cdc_enable.method = 'wal' OR ct.method <> _cdc_enable.method)
   ORDER BY pt.level LIMIT 1;
  IF below.table_name IS NOT NULL THEN
    RAISE EXCEPTION 'cannot capture table % with method %: its partition % is captured on its own with method %',
                    tbl, method, below.table_name, below.method
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'The changes of its partitions would be recorded under it with its method; a partitioned table captured from the WAL is decoded with its own options for every partition.',
            HINT = format('Stop capturing the partition on its own first: SELECT dataeng.cdc_disable(%L);',
                          below.table_name::text);
  END IF;

  -- (checks the method, and prepares the table and the worker for 'wal')
  PERFORM dataeng_internal._cdc_wal_prepare(tbl, method);

  -- New options of a table captured from the WAL: the worker renders a
  -- change with the options of the round that decodes it, a round after
  -- its commit, so a change committed before this call would get the new
  -- options (a column excluded when it was written recorded all the same).
  -- The table's writers are held off and the worker catches up first, so
  -- that the new options apply to the changes committed after this call,
  -- as the trigger's do.
  SELECT * INTO cur FROM dataeng.cdc_tables t WHERE t.table_name = tbl;
  IF FOUND AND cur.active_method = 'wal'
     AND (cur.columns IS DISTINCT FROM columns
          OR cur.exclude_columns IS DISTINCT FROM exclude_columns
          OR cur.changed_only IS DISTINCT FROM _cdc_enable.changed_only) THEN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
      RAISE EXCEPTION 'cannot change the capture options of table % in a % transaction', tbl,
        current_setting('transaction_isolation')
        USING ERRCODE = 'active_sql_transaction',
              DETAIL = 'The table is captured from the WAL: its changes committed before must be recorded with the old options first.',
              HINT = 'Change them in a READ COMMITTED transaction.';
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE MODE', tbl);
    IF NOT dataeng_internal._cdc_wal_caught_up(interval '30 s') THEN
      PERFORM dataeng_internal._cdc_wal_behind(format('cannot change the capture options of table %s', tbl),
                                               'Its changes committed before must be recorded with the old options first.');
    END IF;
  END IF;
  -- Idempotent: the same options again change nothing (but missing
  -- triggers are put back).
  SELECT * INTO cur FROM dataeng.cdc_tables t WHERE t.table_name = tbl FOR UPDATE;
  IF cur.method = 'wal' AND method <> 'wal' THEN
    PERFORM dataeng_internal._on_change_unfed_warn(tbl, format('captured by its trigger (method %s)', method));
  END IF;
  IF NOT FOUND OR cur.columns IS DISTINCT FROM columns
     OR cur.exclude_columns IS DISTINCT FROM exclude_columns
     OR cur.changed_only IS DISTINCT FROM _cdc_enable.changed_only
     OR cur.method IS DISTINCT FROM _cdc_enable.method THEN
    -- a new table starts with triggers; the WAL worker switches it
    INSERT INTO dataeng.cdc_tables AS t (table_name, columns, exclude_columns, changed_only,
                                         enabled_by, method)
    VALUES (tbl, columns, exclude_columns, changed_only, caller::name, method)
    ON CONFLICT (table_name) DO UPDATE
      SET columns = EXCLUDED.columns, exclude_columns = EXCLUDED.exclude_columns,
          changed_only = EXCLUDED.changed_only, enabled_at = now(), enabled_by = EXCLUDED.enabled_by,
          method = EXCLUDED.method;
  END IF;
  -- the table's triggers, and those of its partitions: writes made
  -- directly to partitions are captured too (those of other tables are
  -- left as they are: see _cdc_sync_triggers())
  PERFORM dataeng_internal._cdc_sync_triggers(ARRAY[tbl]);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_enable(regrole, regclass, text[], text[], boolean, text) FROM PUBLIC;

-- The capture triggers' arguments for a table (see src/cdc/capture.c), as
-- values and as a CREATE TRIGGER argument list.  (No table oid in them: the
-- trigger finds its table, and a dump restored with new oids keeps working.)
CREATE FUNCTION dataeng_internal._cdc_trigger_argv(columns text[], exclude_columns text[],
                                          changed_only boolean)
RETURNS text[]
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT ARRAY[changed_only::text, coalesce(columns::text, ''), coalesce(exclude_columns::text, '')]
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_trigger_argv(text[], text[], boolean) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._cdc_trigger_args(columns text[], exclude_columns text[],
                                          changed_only boolean)
RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('%L, %L, %L', a[1], a[2], a[3])
    FROM (SELECT dataeng_internal._cdc_trigger_argv(columns, exclude_columns, changed_only) AS a) s
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_trigger_args(text[], text[], boolean) FROM PUBLIC;

-- Install the capture triggers on rel: statement triggers with transition
-- tables, one call per statement, and a TRUNCATE trigger: capture() itself
-- on a table captured on its own, capture_partition_truncate() on the
-- partitions that inherit capture from a partitioned table.
CREATE FUNCTION dataeng_internal._cdc_install(rel regclass, args text, own boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  EXECUTE format('CREATE TRIGGER dataeng_capture_insert AFTER INSERT ON %s '
                 'REFERENCING NEW TABLE AS dataeng_new '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture(%s)', rel, args);
  EXECUTE format('CREATE TRIGGER dataeng_capture_update AFTER UPDATE ON %s '
                 'REFERENCING OLD TABLE AS dataeng_old NEW TABLE AS dataeng_new '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture(%s)', rel, args);
  EXECUTE format('CREATE TRIGGER dataeng_capture_delete AFTER DELETE ON %s '
                 'REFERENCING OLD TABLE AS dataeng_old '
                 'FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture(%s)', rel, args);
  IF own THEN
    EXECUTE format('CREATE TRIGGER dataeng_capture_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture(%s)', rel, args);
  ELSE
    EXECUTE format('CREATE TRIGGER dataeng_capture_truncate AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture_partition_truncate()', rel);
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_install(regclass, text, boolean) FROM PUBLIC;

-- Drop the capture triggers of one table (not of its partitions).
CREATE FUNCTION dataeng_internal._cdc_drop_triggers(rel regclass)
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
REVOKE ALL ON FUNCTION dataeng_internal._cdc_drop_triggers(regclass) FROM PUBLIC;

-- Make the capture triggers what dataeng.cdc_tables says.  Every table it
-- lists, and every partition below a partitioned table it lists, has the
-- four triggers with the options of the nearest listed table among itself
-- and its ancestors (a partition listed on its own keeps its own options;
-- its changes are still recorded under the topmost captured ancestor).
-- Triggers that differ are re-created; those of tables that are neither
-- listed nor below a listed table (disabled, detached) are dropped.
-- Statement triggers of a partition fire only for statements that name the
-- partition, so nothing is captured twice.
--
-- scope: the tables a call acts on; only they, and the partitions below
-- them, get their triggers made right (NULL: every table).  Changing
-- another table's triggers takes a lock its open writers hold (CREATE or
-- DROP TRIGGER, SHARE ROW EXCLUSIVE), waited for without a limit: a role
-- that dropped a capture trigger of its own table and kept a writer's
-- transaction open on it held up every other role's cdc_enable() and
-- cdc_disable(), and the WAL worker's switch of any table, with it the
-- capture of the whole database, for as long as that transaction lasted.
-- A table's own cdc_enable() puts its missing triggers back.
CREATE FUNCTION dataeng_internal._cdc_sync_triggers(scope regclass[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  capture_fn oid := 'dataeng_internal.capture()'::regprocedure;
  partition_fn oid := 'dataeng_internal.capture_partition_truncate()'::regprocedure;
BEGIN
  FOR r IN
    -- (tables captured from the WAL have no trigger: cdc_wal.sql)
    WITH targets AS (
      SELECT ct.table_name::oid AS relid FROM dataeng.cdc_tables ct
       WHERE ct.active_method = 'trigger'
      UNION
      SELECT pt.relid
        FROM dataeng.cdc_tables ct
        JOIN pg_class c ON c.oid = ct.table_name AND c.relkind = 'p'
        CROSS JOIN LATERAL pg_partition_tree(ct.table_name) pt
       WHERE ct.active_method = 'trigger'),
    wanted AS (
      SELECT DISTINCT ON (t.relid) t.relid, o.table_name::oid = t.relid AS own,
             dataeng_internal._cdc_trigger_argv(o.columns, o.exclude_columns, o.changed_only) AS argv
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
       AND (scope IS NULL
            OR coalesce(w.relid, h.relid) IN (SELECT u.t::oid FROM unnest(scope) u(t)
                                              UNION ALL
                                              SELECT pt.relid FROM unnest(scope) u(t)
                                               CROSS JOIN LATERAL pg_partition_tree(u.t) pt))
  LOOP
    PERFORM dataeng_internal._cdc_drop_triggers(r.rel);
    IF r.keep THEN
      PERFORM dataeng_internal._cdc_install(r.rel, format('%L, %L, %L', r.argv[1], r.argv[2], r.argv[3]), r.own);
    END IF;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_sync_triggers(regclass[]) FROM PUBLIC;

-- Every table's (the event trigger after a statement that changes a
-- partition tree, src/cdc/ddl.c).
CREATE FUNCTION dataeng_internal._cdc_sync_triggers()
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT dataeng_internal._cdc_sync_triggers(NULL::regclass[])
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_sync_triggers() FROM PUBLIC;

-- After ALTER TABLE ... RENAME COLUMN, and for each typed table of the type
-- after ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE (see src/cdc/ddl.c):
-- the column keeps its place in the options of tbl and, when the rename
-- recursed, of the tables that inherit from it.
CREATE FUNCTION dataeng_internal._cdc_rename_column(tbl oid, old_name text, new_name text, recurse boolean)
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
    PERFORM dataeng_internal._cdc_sync_triggers(ARRAY(
      WITH RECURSIVE tree(relid) AS (
        SELECT tbl
        UNION
        SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.relid WHERE recurse)
      SELECT tree.relid::regclass FROM tree));
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_rename_column(oid, text, text, boolean) FROM PUBLIC;

-- After ALTER TABLE parent ATTACH/DETACH PARTITION part (see
-- src/cdc/partition_rows.c): the relations of part's tree (part itself, a
-- plain table or a partitioned one, and every partition below it) whose
-- rows are recorded, with the captured table they are recorded under (the
-- topmost captured table among parent and its ancestors; no row at all
-- when there is none), its capture method ('wal' while it is or is being
-- switched to the WAL), and the column options of the nearest captured
-- table above each relation (itself, its ancestors inside part's tree,
-- then parent and up), as the relation's capture triggers use them.
CREATE FUNCTION dataeng_internal._cdc_partition_leaves(parent oid, part oid)
RETURNS TABLE(leaf regclass, relkind "char", source regclass, method text,
              columns text[], exclude_columns text[])
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
  -- (plpgsql: cdc_tables.method and active_method come with cdc_wal.sql)
  RETURN QUERY
  WITH src AS (
    SELECT ct.table_name,
           CASE WHEN ct.method = 'wal' OR ct.active_method = 'wal' THEN 'wal' ELSE 'trigger' END AS method
      FROM pg_partition_ancestors(parent) WITH ORDINALITY a(relid, n)
      JOIN dataeng.cdc_tables ct ON ct.table_name = a.relid
     ORDER BY a.n DESC
     LIMIT 1),
  tree AS (
    SELECT part AS relid
    UNION
    SELECT pt.relid::oid FROM pg_partition_tree(part) pt)
  SELECT t.relid::regclass, c.relkind, s.table_name, s.method, o.columns, o.exclude_columns
    FROM src s
    CROSS JOIN tree t
    JOIN pg_class c ON c.oid = t.relid
    CROSS JOIN LATERAL (
      SELECT ct.columns, ct.exclude_columns
        FROM (SELECT t.relid, 0::bigint AS n
              UNION ALL
              SELECT a.relid, a.n
                FROM pg_partition_ancestors(t.relid) WITH ORDINALITY a(relid, n)
               WHERE a.relid IN (SELECT tree.relid FROM tree)
              UNION ALL
              SELECT a.relid, 1000000 + a.n
                FROM pg_partition_ancestors(parent) WITH ORDINALITY a(relid, n)) up
        JOIN dataeng.cdc_tables ct ON ct.table_name = up.relid
       ORDER BY up.n
       LIMIT 1) o
   ORDER BY t.relid;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_partition_leaves(oid, oid) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_partition_leaves(oid, oid) IS
  'internal: the relations whose rows an ATTACH or DETACH PARTITION records, and under which captured table';

-- After CREATE TABLE ... PARTITION OF (also within CREATE SCHEMA), ALTER
-- TABLE ... ATTACH/DETACH PARTITION, ALTER TABLE ... RENAME COLUMN, ALTER
-- TYPE ... RENAME ATTRIBUTE ... CASCADE and inheritance DDL (see
-- src/cdc/ddl.c).
CREATE FUNCTION dataeng_internal._cdc_on_ddl()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_cdc_on_ddl'
LANGUAGE C
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION dataeng.cdc_disable(tbl regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_disable'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_disable(regclass) IS
  'Stops capturing changes of a table; already captured changes stay in the log';

-- A partition listed on its own stays captured, with its own options, when
-- its partitioned table is disabled.
CREATE FUNCTION dataeng_internal._cdc_disable(caller regrole, tbl regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  found_it boolean;
  rdr record;
BEGIN
  PERFORM dataeng_internal._cdc_check_table(tbl, caller);
  -- A fact or dimension reads the table's changes: with capture stopped,
  -- its refreshes would receive none of them, and it would silently fall
  -- behind its source while its status said it was up to date.  Refused:
  -- it is dropped first (fact_drop() leaves the capture of its source on).
  -- (fact_defs and dimension_defs are made in facts.sql and
  -- dimensions.sql, after this file: looked up when called.)  Only a
  -- fact or dimension whose owner may still read every change of the
  -- table holds it: one of a role whose SELECT or schema USAGE was
  -- revoked (or that row-level security limits now) receives nothing of
  -- it either way, and kept the table's owner from ever stopping its
  -- capture, as it may not drop that role's fact (below, once stopped).
  SELECT r.kind, r.name, r.owner INTO rdr FROM (
    SELECT 1 AS rank, 'fact' AS kind, f.name, f.owner FROM dataeng_internal.fact_defs f
     WHERE f.source OPERATOR(pg_catalog.=) tbl
    UNION ALL
    SELECT 2, 'dimension', d.name, d.owner FROM dataeng_internal.dimension_defs d
     WHERE d.source OPERATOR(pg_catalog.=) tbl) r
   WHERE dataeng_internal._cdc_can_read(r.owner, tbl::oid)
   ORDER BY r.rank, r.name LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'cannot stop capturing table %: % "%" reads its changes', tbl, rdr.kind,
                    CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) rdr.owner::oid)
                              AND pg_has_role(caller, rdr.owner, 'USAGE')
                         THEN rdr.name ELSE format('of role %s', rdr.owner::oid) END
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Its refreshes would receive none of the changes of %s from then on, and it would fall behind its source without a word.', tbl),
            HINT = CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) rdr.owner::oid)
                             AND pg_has_role(caller, rdr.owner, 'USAGE')
                        THEN format('Drop it first (SELECT dataeng.%s_drop(%L);), then stop capturing the table.', rdr.kind, rdr.name)
                        ELSE format('Its owner must drop it first (dataeng.%s_drop()).', rdr.kind) END;
  END IF;
  -- A table captured from the WAL: its changes committed before this call
  -- reach the log a round after their commit; the table's writers are
  -- held off and the worker records them first (they were lost), as the
  -- trigger recorded them at their commit.  (Whatever the isolation
  -- level: the worker's records need not be visible here, only committed
  -- before capture stops.)
  IF EXISTS (SELECT 1 FROM dataeng.cdc_tables t
              WHERE t.table_name = tbl AND t.active_method = 'wal' AND t.capture_error IS NULL) THEN
    EXECUTE format('LOCK TABLE %s IN SHARE MODE', tbl);
    IF NOT dataeng_internal._cdc_wal_caught_up(interval '30 s') THEN
      RAISE WARNING 'changes of table % that the WAL worker has not recorded yet are not captured', tbl
        USING DETAIL = CASE dataeng_internal._cdc_wal_worker()
                         WHEN 'off' THEN 'The WAL capture worker records nothing while dataeng.enabled is off; capture stops all the same.'
                         WHEN 'none' THEN 'No WAL capture worker runs in this database; capture stops all the same.'
                         ELSE 'The worker did not catch up within 30 s; capture stops all the same.' END,
              HINT = 'dataeng.cdc_status shows the worker''s state.';
    END IF;
  END IF;
  DELETE FROM dataeng.cdc_tables t WHERE t.table_name = tbl;
  found_it := FOUND;
  IF found_it THEN
    PERFORM dataeng_internal._on_change_unfed_warn(tbl, 'not captured any more');
    -- the facts and dimensions of roles that may not read the table (the
    -- others refused the call above): their refreshes fail while that
    -- lasts; should their owner read it again, the first one makes them
    -- again from the table, whose changes they missed meanwhile
    FOR rdr IN
      WITH f AS (UPDATE dataeng_internal.fact_defs x SET resync_pending = true
                  WHERE x.source OPERATOR(pg_catalog.=) tbl
                 RETURNING 'fact'::text AS kind, x.name, x.owner),
           d AS (UPDATE dataeng_internal.dimension_defs x SET resync_pending = true
                  WHERE x.source OPERATOR(pg_catalog.=) tbl
                 RETURNING 'dimension'::text AS kind, x.name, x.owner)
      SELECT * FROM f UNION ALL SELECT * FROM d ORDER BY 1, 2
    LOOP
      RAISE WARNING '% % receives none of the changes of table % from now on', rdr.kind,
                    CASE WHEN EXISTS (SELECT 1 FROM pg_catalog.pg_roles a WHERE a.oid OPERATOR(pg_catalog.=) rdr.owner::oid)
                              AND pg_has_role(caller, rdr.owner, 'USAGE')
                         THEN format('"%s"', rdr.name) ELSE format('of role %s', rdr.owner) END, tbl
        USING DETAIL = format('Its owner may not read %s (SELECT and USAGE on its schema, no row-level security): its refreshes fail until it may, '
                              'and the first one then makes it again from the table.', tbl),
              HINT = 'Its owner drops it, or, allowed to read the table again, refreshes it once the table''s owner captures it again.';
    END LOOP;
  END IF;
  PERFORM dataeng_internal._cdc_sync_triggers(ARRAY[tbl]);
  RETURN found_it;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_disable(regrole, regclass) FROM PUBLIC;

-- A table dropped while captured leaves its row in cdc_tables otherwise,
-- and its on_change triggers (naming it by its oid, keeping their names
-- taken and counting against dataeng.max_on_change_per_role); their dead
-- letters stay, as after on_change_drop().
CREATE FUNCTION dataeng_internal._cdc_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  b record;
BEGIN
  -- Most DROPs take nothing of this: one query, and done.
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger_dropped_objects() d
                  WHERE d.classid = 'pg_class'::regclass
                    AND (EXISTS (SELECT 1 FROM dataeng.cdc_tables t WHERE t.table_name::oid = d.objid)
                         OR (d.objsubid = 0
                             AND (EXISTS (SELECT 1 FROM dataeng_internal.cdc_dropped_readers dr
                                           WHERE dr.table_oid = d.objid)
                                  OR EXISTS (SELECT 1 FROM dataeng_internal.on_change_triggers o
                                              WHERE o.table_name::oid = d.objid))))) THEN
    RETURN;
  END IF;
  -- (the readers of a table dropped before under the same oid, not
  -- recorded for this DROP: they read nothing of this one)
  DELETE FROM dataeng_internal.cdc_dropped_readers dr
   USING pg_event_trigger_dropped_objects() d
   WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = dr.table_oid
     AND dr.dropped_xid <> pg_current_xact_id();
  DELETE FROM dataeng.cdc_tables t
   USING pg_event_trigger_dropped_objects() d
   WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = t.table_name::oid;
  -- a dropped table's on_change triggers go; the batches deferred past the
  -- time budget of a round (their backlog, which the worker's next round
  -- deletes) are handled by no one: said, as on_change_drop() says it
  FOR b IN
    WITH gone AS (
      DELETE FROM dataeng_internal.on_change_triggers o
       USING pg_event_trigger_dropped_objects() d
       WHERE d.classid = 'pg_class'::regclass AND d.objsubid = 0 AND d.objid = o.table_name::oid
      RETURNING o.trigger_name, o.from_lsn, d.object_identity)
    SELECT g.trigger_name, g.object_identity, count(*) AS waiting, min(l.commit_time) AS oldest
      FROM gone g
      JOIN dataeng_internal.on_change_backlog l
        ON l.trigger_name = g.trigger_name AND l.from_lsn = g.from_lsn
     GROUP BY g.trigger_name, g.object_identity
     ORDER BY g.trigger_name
  LOOP
    RAISE NOTICE 'on_change trigger "%" of table % is dropped with it, with % batches in its backlog, which its handler will not get',
                 b.trigger_name, b.object_identity, b.waiting
      USING DETAIL = format('They were deferred past the time budget of a round (dataeng.on_change_role_budget), the oldest committed at %s.', b.oldest),
            HINT = 'To keep them, pause the trigger (dataeng.on_change_pause()) before dropping the table and drop it once the worker has set its backlog aside '
                   'in dataeng.dead_letters (dataeng.on_changes.backlog_batches is 0).';
  END LOOP;
  -- ALTER TABLE ... DROP COLUMN: a dropped column leaves the `columns` of
  -- the tables it was dropped from (of the partitions and children the
  -- drop reached too), so that a column of that name added later is not
  -- captured without being asked for.  Dropping the last column listed
  -- is refused: the list would be empty, which is not "every column".
  -- (A dropped column stays in exclude_columns: a column of that name
  -- added later is left out rather than captured unasked; and the changes
  -- of a table captured from the WAL committed before the drop and decoded
  -- after it are rendered with the options of then, which must still
  -- leave the column out.)
  FOR r IN
    SELECT ct.table_name, ct.columns,
           (SELECT array_agg(c ORDER BY o) FROM unnest(ct.columns) WITH ORDINALITY u(c, o)
             WHERE EXISTS (SELECT 1 FROM pg_attribute a
                            WHERE a.attrelid = ct.table_name AND a.attname = u.c
                              AND a.attnum > 0 AND NOT a.attisdropped)) AS cols
      FROM dataeng.cdc_tables ct
     WHERE ct.columns IS NOT NULL
       AND ct.table_name IN (SELECT d.objid FROM pg_event_trigger_dropped_objects() d
                              WHERE d.classid = 'pg_class'::regclass AND d.objsubid > 0)
       FOR UPDATE OF ct
  LOOP
    IF r.cols IS NULL THEN
      RAISE EXCEPTION 'cannot drop the last captured column of table %', r.table_name
        USING ERRCODE = 'dependent_objects_still_exist',
              DETAIL = 'Its capture lists the columns to record (columns), and none would be left.',
              HINT = format('Change the captured columns first, e.g. SELECT dataeng.cdc_enable(%L, exclude_columns => ''{}'');',
                            r.table_name::text);
    END IF;
    IF r.cols IS DISTINCT FROM r.columns THEN
      UPDATE dataeng.cdc_tables ct SET columns = r.cols WHERE ct.table_name = r.table_name;
      PERFORM dataeng_internal._cdc_sync_triggers(ARRAY[r.table_name]);
    END IF;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_on_ddl() FROM PUBLIC;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_on_drop() FROM PUBLIC;
-- (ALTER TYPE: RENAME ATTRIBUTE and DROP ATTRIBUTE ... CASCADE rename and
-- drop the columns of the type's typed tables)
CREATE EVENT TRIGGER dataeng_cdc_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE SCHEMA',
               'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'ALTER TYPE')
  EXECUTE FUNCTION dataeng_internal._cdc_on_ddl();
CREATE EVENT TRIGGER dataeng_cdc_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'ALTER TABLE', 'ALTER TYPE')
  EXECUTE FUNCTION dataeng_internal._cdc_on_drop();

-----------------------------------------------------------------------------
-- Ticks and batches
-----------------------------------------------------------------------------

-- A snapshot in which transaction x is still running.
CREATE FUNCTION dataeng_internal._cdc_snapshot_with(s pg_snapshot, x xid8)
RETURNS pg_snapshot
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('%s:%s:%s', least(pg_snapshot_xmin(s), x), pg_snapshot_xmax(s),
                (SELECT string_agg(v::text, ',' ORDER BY v)
                   FROM (SELECT pg_snapshot_xip(s) AS v UNION SELECT x) q))::pg_snapshot
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_snapshot_with(pg_snapshot, xid8) FROM PUBLIC;

-- Cut a new batch: a snapshot taken under a lock, so that ticks are
-- strictly ordered, and the order of the batch's transactions.  Returns the
-- newest tick (the new one, or the previous one if nothing committed since,
-- or if another transaction is cutting one: that one holds the lock until
-- it commits, and a consumer must not wait for another's transaction).
CREATE FUNCTION dataeng_internal._cdc_tick(wait boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  prev dataeng_internal.cdc_ticks;
  snap pg_snapshot;
  me xid8;
  t bigint;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    -- a transaction snapshot could be older than the newest tick
    SELECT max(tick_id) INTO t FROM dataeng_internal.cdc_ticks;
    RETURN t;
  END IF;
  -- self-conflicting, and readers of cdc_ticks are not blocked
  IF wait THEN
    LOCK TABLE dataeng_internal.cdc_ticks IN SHARE ROW EXCLUSIVE MODE;
  ELSE
    BEGIN
      LOCK TABLE dataeng_internal.cdc_ticks IN SHARE ROW EXCLUSIVE MODE NOWAIT;
    EXCEPTION WHEN lock_not_available THEN
      SELECT max(tick_id) INTO t FROM dataeng_internal.cdc_ticks;
      RETURN t;
    END;
  END IF;
  snap := pg_current_snapshot();
  -- Our own transaction is not in our snapshot's list of running ones, but
  -- it is running: changes it made or will make belong to a later batch.
  me := pg_current_xact_id_if_assigned();
  IF me IS NOT NULL AND pg_visible_in_snapshot(me, snap) THEN
    snap := dataeng_internal._cdc_snapshot_with(snap, me);
  END IF;
  SELECT * INTO prev FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1;
  IF FOUND AND pg_snapshot_xmax(prev.snap) = pg_snapshot_xmax(snap)
     AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(prev.snap) x
                      WHERE pg_visible_in_snapshot(x, snap)) THEN
    RETURN prev.tick_id;                -- nothing finished since
  END IF;
  t := nextval('dataeng_internal.cdc_tick_seq');
  INSERT INTO dataeng_internal.cdc_ticks (tick_id, snap) VALUES (t, snap);
  -- Order the new batch once, for every consumer: each transaction that
  -- committed between the two snapshots, by its last change.  This
  -- statement's snapshot is newer than snap, so it sees every change of
  -- the batch.  When few transactions started in between (the usual case,
  -- even under heavy writing in large transactions), each is looked up on
  -- its own: one index probe for its last change, however many changes it
  -- made.  Otherwise the batch's changes are read and grouped.
  IF prev.tick_id IS NOT NULL THEN
    IF pg_snapshot_xmax(snap)::text::numeric - pg_snapshot_xmax(prev.snap)::text::numeric <= 256 THEN
      INSERT INTO dataeng_internal.cdc_batch_txns (tick_id, ord_txn, xid)
      SELECT t, m.last, x.xid
        FROM (SELECT v AS xid FROM pg_snapshot_xip(prev.snap) v
              UNION ALL
              SELECT g::text::xid8
                FROM generate_series(pg_snapshot_xmax(prev.snap)::text::numeric,
                                     pg_snapshot_xmax(snap)::text::numeric - 1) g) x
        CROSS JOIN LATERAL (SELECT max(l.change_id) AS last FROM dataeng_internal.change_log l
                             WHERE l.xid = x.xid) m
       WHERE pg_visible_in_snapshot(x.xid, snap) AND m.last IS NOT NULL;
    ELSE
      INSERT INTO dataeng_internal.cdc_batch_txns (tick_id, ord_txn, xid)
      SELECT t, max(l.change_id), l.xid
        FROM dataeng_internal.change_log l
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
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tick(boolean) FROM PUBLIC;

-- Whether a tick must be cut in the calling transaction rather than by a
-- worker (src/cdc/ticker.c): it holds a lock the worker would wait for, or
-- it created or updated the extension.
CREATE FUNCTION dataeng_internal._cdc_tick_here()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_tick_here'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tick_here() FROM PUBLIC;

-- Whether the caller runs in a transaction block (BEGIN ... COMMIT)
CREATE FUNCTION dataeng_internal._cdc_in_transaction_block()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_in_transaction_block'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_in_transaction_block() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_in_transaction_block() IS 'internal: whether the caller runs inside BEGIN ... COMMIT';

-- Start a worker that runs dataeng_internal._cdc_tick(true) in its own transaction
-- and wait for it to exit; false when no worker could be started.
CREATE FUNCTION dataeng_internal._cdc_tick_worker()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_tick_worker'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tick_worker() FROM PUBLIC;

-- Whether tick snapshot snap holds every transaction with captured changes
-- that had finished in snapshot upto (but the calling transaction, which
-- is running, whatever its own snapshot says): each transaction upto saw
-- finished that snap does not see made no change (an index probe of the
-- change log each; false when more than 256 would need one).  In C
-- (src/cdc/tick_covers.c): the backend remembers which transactions since
-- the tick it already found without changes, so that a poll probes only
-- those started since its last poll, not every one since the tick.
CREATE FUNCTION dataeng_internal._cdc_tick_covers(snap pg_snapshot, upto pg_snapshot)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_tick_covers'
LANGUAGE C STABLE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tick_covers(pg_snapshot, pg_snapshot) FROM PUBLIC;

-- The newest tick, cut now if a transaction with captured changes has
-- finished since the one before: every change committed before the call
-- is in a tick when it returns.  The tick is cut in a transaction of its
-- own (src/cdc/ticker.c), so that no consumer waits for, or misses the
-- changes of, another consumer's transaction left open after a poll; in
-- the caller's transaction only when a worker cannot do it (see
-- _cdc_tick_here(); with a warning when no worker could start or it
-- failed).  wait: as for _cdc_tick(), when the tick is cut here.
CREATE FUNCTION dataeng_internal._cdc_tick_now(wait boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  upto pg_snapshot;
  newest dataeng_internal.cdc_ticks;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RETURN dataeng_internal._cdc_tick(wait);     -- (the newest tick it can see)
  END IF;
  IF dataeng_internal._cdc_tick_here() THEN
    RETURN dataeng_internal._cdc_tick(wait);
  END IF;
  upto := pg_current_snapshot();
  SELECT * INTO newest FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1;
  IF FOUND AND dataeng_internal._cdc_tick_covers(newest.snap, upto) THEN
    RETURN newest.tick_id;
  END IF;
  IF dataeng_internal._cdc_tick_worker() THEN
    -- (a new statement: its snapshot sees what the worker committed)
    SELECT * INTO newest FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1;
    IF FOUND AND dataeng_internal._cdc_tick_covers(newest.snap, upto) THEN
      RETURN newest.tick_id;
    END IF;
    RAISE WARNING 'the tick worker cut no tick; cutting it in this transaction'
      USING ERRCODE = '01000',
            DETAIL = 'Until this transaction ends, other consumers wait for it or do not see changes committed after the previous tick.',
            HINT = 'The server log says why the "dataeng ticker" (or "dataeng tick") background worker failed.';
  ELSIF NOT wait AND newest.tick_id IS NOT NULL AND dataeng_internal._cdc_in_transaction_block() THEN
    -- A tick cut here would hold the tick lock until this block ends, and
    -- every other consumer with it: read up to the newest tick instead.
    RAISE WARNING 'no background worker could be started to cut a tick; this poll reads the changes up to the newest tick'
      USING ERRCODE = '01000',
            DETAIL = 'Cut inside this transaction block, the tick would hold back every other consumer until the block ends.',
            HINT = 'Raise max_worker_processes. A poll outside a transaction block, or a later poll once a worker slot is free, reads the newer changes.';
    RETURN newest.tick_id;
  ELSE
    RAISE WARNING 'no background worker could be started to cut a tick; cutting it in this transaction'
      USING ERRCODE = '01000',
            DETAIL = 'Until this transaction ends, other consumers wait for it or do not see changes committed after the previous tick.',
            HINT = 'Raise max_worker_processes.';
  END IF;
  RETURN dataeng_internal._cdc_tick(wait);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tick_now(boolean) FROM PUBLIC;

-----------------------------------------------------------------------------
-- Consumers
-----------------------------------------------------------------------------

-- The start of a poll of consumer r: cut a tick if possible, and check
-- that r's acknowledged position is still in the change log.
CREATE FUNCTION dataeng_internal._cdc_tick_for(r dataeng_internal.cdc_consumer_state)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng_internal._cdc_tick_now();
  IF NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_ticks k WHERE k.tick_id = r.ack_tick) THEN
    RAISE EXCEPTION 'position of consumer "%" is no longer in the change log', r.name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Drop and re-create the consumer.';
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._cdc_tick_for(dataeng_internal.cdc_consumer_state) IS
  'internal: the start of a poll: cut a tick if possible and check that the consumer''s position is still in the change log';
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tick_for(dataeng_internal.cdc_consumer_state) FROM PUBLIC;


-- Lock and return a consumer caller may use, or raise: caller must belong
-- to its owner and, with check_tables, may read each table it lists.
CREATE FUNCTION dataeng_internal._cdc_consumer(consumer text, caller regrole, check_tables boolean)
RETURNS dataeng_internal.cdc_consumer_state
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  t regclass;
BEGIN
  SELECT * INTO r FROM dataeng_internal.cdc_consumer_state WHERE name = consumer FOR UPDATE;
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
  IF r.expired_at IS NOT NULL THEN
    RAISE EXCEPTION 'consumer "%" has expired', consumer
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('dataeng.cdc_purge() expired it: %s.  The changes it had not acknowledged may be gone.',
                            r.expired_reason),
            HINT = CASE WHEN consumer LIKE 'fact:%' OR consumer LIKE 'dim:%'
                        THEN 'The consumer belongs to a fact or dimension: drop the fact or dimension and create it again.'
                        ELSE 'Drop the consumer with dataeng.cdc_consumer_drop() and re-create it.' END;
  END IF;
  FOREACH t IN ARRAY coalesce(r.tables, '{}') LOOP
    -- a listed table that was dropped: say so, not "permission denied"
    -- (unless the consumer's owner could read it when it was dropped: the
    -- consumer gets the changes captured before, _cdc_can_read())
    IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t::oid)
       AND NOT dataeng_internal._cdc_can_read(caller, t::oid) THEN
      RAISE EXCEPTION 'a table of consumer "%" was dropped', consumer
        USING ERRCODE = 'undefined_table',
              DETAIL = format('The table %s (OID %s), one of those the consumer was created with, no longer exists.',
                              coalesce((SELECT dr.table_ident FROM dataeng_internal.cdc_dropped_readers dr
                                         WHERE dr.table_oid = t::oid LIMIT 1), '?'), t::oid),
              HINT = CASE WHEN consumer LIKE 'fact:%' OR consumer LIKE 'dim:%'
                          THEN 'The consumer belongs to a fact or dimension: drop the fact or dimension.'
                          ELSE 'Drop the consumer with dataeng.cdc_consumer_drop() and re-create it with the tables that exist.' END;
    END IF;
    PERFORM dataeng_internal._cdc_require_read(caller, t, format('Consumer "%s" reads changes of %s.', consumer, t));
  END LOOP;
  RETURN r;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_consumer(text, regrole, boolean) FROM PUBLIC;

-- Whether this backend can read the rows a tick's snapshot sees (its
-- xmin is not after the tick's: src/cdc/snapshot.c).
CREATE FUNCTION dataeng_internal._cdc_snapshot_usable(xmin xid8)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_snapshot_usable'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_snapshot_usable(xid8) FROM PUBLIC;

-- Refuse a consumer whose initial snapshot has rows not acknowledged yet,
-- for the readers other than cdc_poll(), which read the change log alone
-- and would skip them (src/cdc/snapshot.c): _cdc_poll_txns() and
-- _cdc_poll_ranges() (for _cdc_poll_unordered()) here, _fact_deltas() and
-- _dim_events() in C.  A consumer caller may not use passes (the reader's
-- own checks report it).
CREATE FUNCTION dataeng_internal._cdc_require_snapshot_acked(consumer text, caller regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_require_snapshot_acked'
LANGUAGE C STABLE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_require_snapshot_acked(text, regrole) FROM PUBLIC;

-- Copy the rows of tbl a tick's snapshot (xmin, xmax, xip) sees into
-- dataeng_internal.cdc_snapshot_rows, numbered from first + 1, rendered
-- as capture renders them (columns, exclude_columns) by owner, restricted;
-- returns how many (src/cdc/snapshot.c).
CREATE FUNCTION dataeng_internal._cdc_snapshot_copy(consumer text, owner regrole, tbl regclass,
                                                    columns text[], exclude_columns text[],
                                                    xmin xid8, xmax xid8, xip xid8[], first bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_cdc_snapshot_copy'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_snapshot_copy(text, regrole, regclass, text[], text[], xid8, xid8, xid8[], bigint) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_consumer_create(name text, tables regclass[] DEFAULT NULL,
                                            snapshot boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_consumer_create'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_consumer_create(text, regclass[], boolean) IS
  'Creates a consumer that receives changes committed from now on (of the given tables, or all), after a snapshot of their rows if asked';

-- With snapshot, the consumer first receives the rows of its tables that
-- the tick it starts after sees (src/cdc/snapshot.c), copied here.
CREATE FUNCTION dataeng_internal._cdc_consumer_create(caller regrole, name text, tables regclass[],
                                                      snapshot boolean DEFAULT false)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t regclass;
  tick bigint;
  me regrole := caller;
  lim int;
  n bigint;
  snap_tables regclass[];
  wal_tables regclass[];
  st record;
  tk dataeng_internal.cdc_ticks;
  copied bigint := 0;
  anc regclass;
  wal_from pg_lsn;
  est bigint;
BEGIN
  PERFORM dataeng_internal._agg_reserved_check('consumer', name, caller);
  IF name IS NULL THEN
    RAISE EXCEPTION 'consumer name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF name = '' THEN
    RAISE EXCEPTION 'consumer name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF cardinality(tables) = 0 OR array_position(tables, NULL) IS NOT NULL THEN
    RAISE EXCEPTION '%', CASE WHEN cardinality(tables) = 0 THEN 'tables must be NULL (all tables) or a list of tables' ELSE 'tables must not contain NULL' END
      USING ERRCODE = CASE WHEN cardinality(tables) = 0 THEN 'invalid_parameter_value' ELSE 'null_value_not_allowed' END;
  END IF;
  -- a table listed twice (by two spellings of its name) is one table, in
  -- the place of its first mention (dataeng.cdc_consumers listed it twice)
  IF tables IS NOT NULL THEN
    tables := ARRAY(SELECT u.t FROM unnest(tables) WITH ORDINALITY u(t, i) GROUP BY u.t ORDER BY min(u.i));
  END IF;
  IF snapshot IS NULL THEN
    RAISE EXCEPTION 'snapshot must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  FOREACH t IN ARRAY coalesce(tables, '{}') LOOP
    PERFORM dataeng_internal._cdc_require_read(me, t, NULL);
    -- a partition's changes are recorded under its topmost captured
    -- ancestor, never under its own name: a consumer of the partition
    -- would read none of them (checked again below, under a lock)
    anc := NULL;
    SELECT ct.table_name INTO anc
      FROM pg_catalog.pg_partition_ancestors(t) WITH ORDINALITY a(relid, n)
      JOIN dataeng.cdc_tables ct ON ct.table_name OPERATOR(pg_catalog.=) a.relid
     WHERE a.relid OPERATOR(pg_catalog.<>) t::oid
     ORDER BY a.n DESC LIMIT 1;
    IF anc IS NOT NULL THEN
      RAISE EXCEPTION 'cannot read the changes of partition %: they are recorded under table %', t, anc
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'The changes of a partition of a captured table are recorded under that table''s name, whichever name a statement used.',
              HINT = format('Read the changes of %s instead, and tell its partitions apart by its partition key.', anc);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.table_name = t) THEN
      IF snapshot THEN
        RAISE EXCEPTION 'cannot take a snapshot of table %: its changes are not captured', t
          USING ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL = 'A snapshot is the start of a table''s change stream.',
                HINT = format('Run SELECT dataeng.cdc_enable(%L); first.', t::text);
      END IF;
      RAISE WARNING 'changes of table % are not captured', t
        USING ERRCODE = '01000', HINT = format('Run SELECT dataeng.cdc_enable(%L);', t::text);
    END IF;
  END LOOP;
  IF EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c WHERE c.name = _cdc_consumer_create.name) THEN
    RAISE EXCEPTION 'consumer "%" already exists', name USING ERRCODE = 'duplicate_object';
  END IF;
  IF snapshot THEN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
      RAISE EXCEPTION 'cannot create a consumer with a snapshot in a % transaction',
        current_setting('transaction_isolation')
        USING ERRCODE = 'active_sql_transaction',
              HINT = 'Create it in a READ COMMITTED transaction.';
    END IF;
    -- The tables whose rows make the snapshot: those listed, or every
    -- captured table the owner may read whole; not a partition whose
    -- partitioned table is captured (its rows and changes are that
    -- table's).
    SELECT array_agg(x.t ORDER BY x.i), array_agg(x.t ORDER BY x.i) FILTER (WHERE x.wal)
      INTO snap_tables, wal_tables
      FROM (SELECT ct.table_name AS t, coalesce(array_position(tables, ct.table_name), 0) AS i,
                   'wal' IN (ct.method, ct.active_method) AS wal
              FROM dataeng.cdc_tables ct
             WHERE CASE WHEN tables IS NULL THEN dataeng_internal._cdc_can_read(me, ct.table_name)
                        ELSE ct.table_name = ANY (tables) END
               AND NOT EXISTS (SELECT 1 FROM pg_partition_ancestors(ct.table_name) a
                                 JOIN dataeng.cdc_tables up ON up.table_name = a.relid
                                WHERE a.relid <> ct.table_name)
             ORDER BY 2, 1) x;
    -- Tables captured from the WAL: their records reach the log in the
    -- worker's transactions, after their writers commit.  Writers are
    -- kept out (SHARE, as CREATE INDEX takes) until this transaction ends,
    -- and the worker catches up, so that the tick cut next sees every
    -- record of the rows it sees.  Blocking writers takes the rights
    -- LOCK TABLE ... IN SHARE MODE asks for.
    IF wal_tables IS NOT NULL THEN
      FOREACH t IN ARRAY wal_tables LOOP
        IF NOT has_table_privilege(me, t, 'UPDATE, DELETE, TRUNCATE') THEN
          RAISE EXCEPTION 'permission denied for table %', t
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('%s is captured from the WAL: its snapshot keeps writers out until the consumer is created.', t),
                  HINT = 'It takes UPDATE, DELETE or TRUNCATE on the table, as LOCK TABLE ... IN SHARE MODE does.';
        END IF;
      END LOOP;
      -- (the switches of capture method waited for are those of its own
      -- tables: another role's table stuck in its switch, which that
      -- role's transactions may hold off for as long as they last, made
      -- every creation with a snapshot give up after 30 s)
      wal_from := pg_current_wal_insert_lsn();
      IF NOT dataeng_internal._cdc_wal_synced('30 s', true, wal_tables) THEN
        PERFORM dataeng_internal._cdc_wal_switch_stuck(format('cannot create consumer "%s" with a snapshot', name),
                                                       wal_tables, wal_from);
        PERFORM dataeng_internal._cdc_wal_behind(format('cannot create consumer "%s" with a snapshot', name),
                                                 'Its snapshot reads tables captured from the WAL: their changes committed before must be in the change log first.');
      END IF;
      FOREACH t IN ARRAY wal_tables LOOP
        EXECUTE format('LOCK TABLE %s IN SHARE MODE', t);
      END LOOP;
      -- Under the lock no switch of its tables is waited for: the lock
      -- keeps the switch off (its SHARE ROW EXCLUSIVE) until this
      -- transaction ends, and the method in place records every change
      -- committed before (the trigger at once, the worker once it has
      -- caught up, waited for here).  A cdc_enable() of another method
      -- committed since the wait above made this one give up after 30 s.
      IF NOT dataeng_internal._cdc_wal_synced('30 s', true, '{}') THEN
        PERFORM dataeng_internal._cdc_wal_behind(format('cannot create consumer "%s" with a snapshot', name),
                                                 'Its snapshot reads tables captured from the WAL: their changes committed before must be in the change log first.');
      END IF;
    END IF;
  ELSIF current_setting('transaction_isolation') = 'read committed'
        AND EXISTS (SELECT 1 FROM dataeng.cdc_tables ct
                     WHERE 'wal' IN (ct.method, ct.active_method)
                       AND (tables IS NULL OR ct.table_name = ANY (tables)
                            OR EXISTS (SELECT 1 FROM pg_partition_ancestors(ct.table_name) a
                                        WHERE a.relid = ANY (tables)))) THEN
    -- The records of a table captured from the WAL reach the log in the
    -- worker's transactions, a round after their writers commit: a tick
    -- cut before the worker caught up would have the consumer receive
    -- changes committed before its creation (a fact or dimension, which
    -- holds its source's writers off and loads its rows now, counted them
    -- twice).  So the worker catches up first: its slot confirms the WAL
    -- written so far.  Without the slot (not made yet, as in a restore)
    -- the worker has recorded nothing, and has nothing to record, of what
    -- was committed before.
    IF NOT dataeng_internal._cdc_wal_caught_up(interval '30 s') THEN
      PERFORM dataeng_internal._cdc_wal_behind(format('cannot create consumer "%s"', name),
                                               'Its tables are captured from the WAL; it would receive changes committed before its creation.');
    END IF;
  END IF;
  -- Creations exclude dataeng.cdc_purge() until they commit: a purge
  -- must not forget the tick of a consumer it cannot see yet, nor the
  -- changes of transactions running at that tick.  They do not exclude
  -- each other (a transaction of one role left open after a creation
  -- held back every other role's), nor polls and acknowledgements
  -- (src/cdc/creation_lock.c).  The tick is cut in a transaction of its
  -- own, so this one holds no tick lock.
  PERFORM dataeng_internal._cdc_creation_lock(me);
  tick := dataeng_internal._cdc_tick_now(wait => true);
  IF tick IS NULL THEN
    RAISE EXCEPTION 'cannot create the first consumer in a % transaction',
      current_setting('transaction_isolation')
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Create it in a READ COMMITTED transaction.';
  END IF;
  -- (counted under the lock of the role's creations, taken with that
  -- lock when the limit applies: two creations of the role cannot both
  -- pass its last free place)
  lim := (dataeng_internal._cdc_limits()).max_consumers_per_role;
  IF lim > 0 AND NOT dataeng_internal._is_superuser(me) THEN
    SELECT count(*) INTO n FROM dataeng_internal.cdc_consumer_state c WHERE c.owner = me;
    IF n >= lim THEN
      RAISE EXCEPTION 'role % already owns % consumers', me, n
        USING ERRCODE = 'configuration_limit_exceeded',
              DETAIL = format('dataeng.max_consumers_per_role is %s; expired consumers count until they are dropped.', lim),
              HINT = 'Drop consumers it no longer needs (dataeng.cdc_consumers lists them), or ask a superuser to raise dataeng.max_consumers_per_role.';
    END IF;
  END IF;
  IF snapshot THEN
    -- The snapshot is the tick's: the rows its snapshot sees, read while
    -- nothing it sees can be vacuumed away (this statement's snapshot,
    -- older than the tick, holds them).  A tick that the newest one
    -- covered without being cut after this statement began may be older:
    -- cut one now (in a worker, or here when one cannot).
    SELECT * INTO tk FROM dataeng_internal.cdc_ticks k WHERE k.tick_id = tick;
    IF NOT dataeng_internal._cdc_snapshot_usable(pg_snapshot_xmin(tk.snap)) THEN
      IF NOT dataeng_internal._cdc_tick_here() AND dataeng_internal._cdc_tick_worker() THEN
        SELECT * INTO tk FROM dataeng_internal.cdc_ticks k ORDER BY k.tick_id DESC LIMIT 1;
      END IF;
      IF NOT dataeng_internal._cdc_snapshot_usable(pg_snapshot_xmin(tk.snap)) THEN
        tick := dataeng_internal._cdc_tick(true);
        SELECT * INTO tk FROM dataeng_internal.cdc_ticks k WHERE k.tick_id = tick;
      END IF;
      tick := tk.tick_id;
    END IF;
    FOR st IN SELECT c.table_name, c.columns, c.exclude_columns
                FROM unnest(snap_tables) WITH ORDINALITY u(t, i)
                JOIN dataeng.cdc_tables c ON c.table_name = u.t
               ORDER BY u.i LOOP
      -- a copy of seconds or minutes says so as it begins
      est := dataeng_internal._rows_estimate(st.table_name);
      IF est >= @LARGE_LOAD_ROWS@ THEN
        RAISE NOTICE 'consumer "%": copying about % rows of table % into its initial snapshot', name, est, st.table_name;
      END IF;
      copied := copied + dataeng_internal._cdc_snapshot_copy(
                  name, me, st.table_name, st.columns, st.exclude_columns,
                  pg_snapshot_xmin(tk.snap), pg_snapshot_xmax(tk.snap),
                  ARRAY(SELECT pg_snapshot_xip(tk.snap)), copied);
    END LOOP;
  END IF;
  -- Against a concurrent ATTACH PARTITION of a table read: each locked
  -- (_cdc_reader_lock), then checked again.  An ATTACH that committed since
  -- the check above is seen now; one not done yet waits for this commit,
  -- then sees the consumer.  (Locked here, not before the tick: a writer
  -- holding a table then runs at the tick, as for any consumer.)  Locked
  -- in the order cdc_enable of a partitioned table locks the partitions
  -- below it, whichever order the tables are listed in: a level of a
  -- partition tree after the one above it (the number of its ancestors),
  -- by oid within a level.  Else the two, run at once, could each hold a
  -- partition the other waits for (a deadlock, where cdc_enable is to
  -- wait, see this consumer and be refused).
  FOR t IN SELECT u.t FROM unnest(coalesce(tables, '{}')) u(t)
            ORDER BY (SELECT count(*) FROM pg_catalog.pg_partition_ancestors(u.t)), u.t::oid LOOP
    PERFORM dataeng_internal._cdc_reader_lock(t, false);
  END LOOP;
  FOREACH t IN ARRAY coalesce(tables, '{}') LOOP
    SELECT ct.table_name INTO anc
      FROM pg_catalog.pg_partition_ancestors(t) WITH ORDINALITY a(relid, n)
      JOIN dataeng.cdc_tables ct ON ct.table_name OPERATOR(pg_catalog.=) a.relid
     WHERE a.relid OPERATOR(pg_catalog.<>) t::oid
     ORDER BY a.n DESC LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'cannot read the changes of partition %: they are recorded under table %', t, anc
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'The changes of a partition of a captured table are recorded under that table''s name, whichever name a statement used.',
              HINT = format('Read the changes of %s instead, and tell its partitions apart by its partition key.', anc);
    END IF;
  END LOOP;
  -- start after everything committed so far: tick fully acknowledged
  INSERT INTO dataeng_internal.cdc_consumer_state (name, owner, tables, ack_tick, ack_txn, ack_change,
                                     poll_tick, poll_txn, poll_change,
                                     snapshot_rows, snapshot_acked, snapshot_polled)
  VALUES (name, me, tables, tick, @CDC_END_OF_BATCH@, @CDC_END_OF_BATCH@,
          tick, @CDC_END_OF_BATCH@, @CDC_END_OF_BATCH@,
          CASE WHEN snapshot THEN copied END, CASE WHEN snapshot THEN 0 END,
          CASE WHEN snapshot THEN 0 END);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_consumer_create(regrole, text, regclass[], boolean) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_consumer_drop(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_consumer_drop'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_consumer_drop(text) IS
  'Drops a consumer and its position; returns false when there is no consumer of that name';

-- Only ownership counts: an owner who can no longer read the consumer's
-- tables may still drop it.  No consumer of that name: false, as the other
-- drops (docs/errors.md).
CREATE FUNCTION dataeng_internal._cdc_consumer_drop(caller regrole, name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM 1 FROM dataeng_internal.cdc_consumer_state c WHERE c.name = _cdc_consumer_drop.name FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM dataeng_internal._cdc_consumer(name, caller, false);
  -- (not a fact's or dimension's own: fact_drop, dimension_drop drop it)
  PERFORM dataeng_internal._agg_reserved_check('drop', name, caller);
  DELETE FROM dataeng_internal.cdc_consumer_state c WHERE c.name = _cdc_consumer_drop.name;
  DELETE FROM dataeng_internal.cdc_snapshot_rows s WHERE s.consumer = _cdc_consumer_drop.name;
  -- its lag as the last alert_check() measured it: pipeline_status listed
  -- a dropped consumer until the next check (a new one of the same name
  -- with the old one's figures)
  DELETE FROM dataeng_internal.consumer_lag l WHERE l.name = _cdc_consumer_drop.name;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_consumer_drop(regrole, text) FROM PUBLIC;

-- Deliver the changes after the consumer's acknowledged position, in
-- commit order.  Polling again without acknowledging delivers the same
-- changes again.  whole_transactions keeps a transaction's changes in one
-- poll even when that exceeds max_changes.
-- A consumer of all tables receives the changes of the tables the polling
-- role may read whole (dataeng_internal._cdc_can_read: USAGE on the schema, SELECT,
-- and no row-level security policy limiting it).
CREATE FUNCTION dataeng.cdc_poll(consumer text, max_changes int DEFAULT 1000,
                                 whole_transactions boolean DEFAULT true)
RETURNS SETOF dataeng.change
AS 'MODULE_PATHNAME', 'dataeng_cdc_poll'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_poll(text, int, boolean) IS
  'Returns the changes after the consumer''s acknowledged position, in commit order';

-- Where a poll of consumer r by role me starts and stops: one range of
-- positions per batch, (tick_id, from_txn, from_change) exclusive to
-- (tick_id, to_txn, to_change) inclusive, in delivery order, holding at
-- most max_changes changes (more with whole_transactions, to finish the
-- last transaction).  Cuts a new tick when it can, and records the
-- furthest position delivered (acknowledgements stop there).  Shared by
-- cdc_poll() and the fact and dimension reader, _cdc_poll_unordered().
CREATE FUNCTION dataeng_internal._cdc_poll_ranges(r dataeng_internal.cdc_consumer_state, me regrole, max_changes int,
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
  IF r.snapshot_acked < r.snapshot_rows THEN
    -- (cdc_poll() delivers the snapshot first; only it reads one: this
    -- refuses _cdc_poll_unordered())
    PERFORM dataeng_internal._cdc_require_snapshot_acked(r.name, me);
  END IF;
  PERFORM dataeng_internal._cdc_warn_capture_stopped(r, me);
  PERFORM dataeng_internal._cdc_tick_for(r);
  IF r.ack_txn = @CDC_END_OF_BATCH@ THEN
    -- that batch is done: start with the next one
    SELECT min(k.tick_id) INTO t FROM dataeng_internal.cdc_ticks k WHERE k.tick_id > r.ack_tick;
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
              FROM (SELECT * FROM dataeng_internal.cdc_batch_txns b
                     WHERE b.tick_id = t AND b.ord_txn >= start_txn
                       AND EXISTS (SELECT 1 FROM dataeng_internal.change_log l
                                    WHERE l.xid = b.xid
                                      AND (b.ord_txn > start_txn OR l.change_id > start_change)
                                      AND CASE WHEN r.tables IS NULL
                                               THEN dataeng_internal._cdc_can_read(me, l.table_oid)
                                               ELSE l.table_oid = ANY (r.tables::oid[]) END)
                     ORDER BY b.ord_txn LIMIT left_) bt
              JOIN dataeng_internal.change_log l ON l.xid = bt.xid
             WHERE (bt.ord_txn > start_txn OR l.change_id > start_change)
               AND CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(me, l.table_oid)
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
    SELECT min(k.tick_id) INTO t FROM dataeng_internal.cdc_ticks k WHERE k.tick_id > t;
    start_txn := 0;
    start_change := 0;
  END LOOP;

  -- what this poll delivered, for cdc_ack(consumer) in this transaction
  UPDATE dataeng_internal.cdc_consumer_state c
     SET last_poll_xid = pg_current_xact_id(), last_poll_tick = last_tick,
         last_poll_txn = last_txn, last_poll_change = last_change, last_poll_snap = NULL
   WHERE c.name = r.name;
  IF last_tick IS NOT NULL THEN
    -- remember the furthest position delivered: acknowledgements stop there
    UPDATE dataeng_internal.cdc_consumer_state c
       SET poll_tick = last_tick, poll_txn = last_txn, poll_change = last_change
     WHERE c.name = r.name
       AND (c.poll_tick, c.poll_txn, c.poll_change) < (last_tick, last_txn, last_change);
  ELSIF examined IS NOT NULL THEN
    -- Nothing this consumer may see was committed up to that tick (every
    -- change there belongs to other tables): move past it, so that its
    -- position, lag and the purge horizon do not stay behind.
    UPDATE dataeng_internal.cdc_consumer_state c
       SET ack_tick = examined, ack_txn = @CDC_END_OF_BATCH@, ack_change = @CDC_END_OF_BATCH@,
           poll_tick = greatest(c.poll_tick, examined),
           poll_txn = CASE WHEN c.poll_tick > examined THEN c.poll_txn ELSE @CDC_END_OF_BATCH@ END,
           poll_change = CASE WHEN c.poll_tick > examined THEN c.poll_change ELSE @CDC_END_OF_BATCH@ END
     WHERE c.name = r.name;
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_poll_ranges(dataeng_internal.cdc_consumer_state, regrole, int, boolean) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._cdc_poll(caller regrole, consumer text, max_changes int,
                                  whole_transactions boolean)
RETURNS SETOF dataeng.change
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  me regrole := caller;
  g record;
  last_n bigint;
BEGIN
  IF max_changes < 1 THEN
    RAISE EXCEPTION 'max_changes must be at least 1, not %', max_changes
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  r := dataeng_internal._cdc_consumer(consumer, me, true);
  IF r.snapshot_acked < r.snapshot_rows THEN
    PERFORM dataeng_internal._cdc_warn_capture_stopped(r, me);
    -- The initial snapshot first, max_changes rows at a time, from the
    -- first row not acknowledged; changes once all of it is acknowledged.
    -- A consumer of all tables gets the rows of the tables the polling
    -- role may read whole, as it gets their changes.
    SELECT max(s.n) INTO last_n
      FROM (SELECT sr.n FROM dataeng_internal.cdc_snapshot_rows sr
             WHERE sr.consumer = r.name AND sr.n > r.snapshot_acked
             ORDER BY sr.n LIMIT max_changes) s;
    UPDATE dataeng_internal.cdc_consumer_state c
       SET last_poll_xid = pg_current_xact_id(), last_poll_tick = NULL, last_poll_txn = NULL,
           last_poll_change = NULL, last_poll_snap = last_n,
           snapshot_polled = greatest(c.snapshot_polled, last_n)
     WHERE c.name = r.name;
    RETURN QUERY
      SELECT -sr.n, NULL::xid8, NULL::pg_lsn, r.created_at, sr.table_oid::regclass, 'R'::"char",
             sr.pk, NULL::jsonb, sr.new_row,
             ROW(r.ack_tick, 0::bigint, sr.n)::dataeng.cdc_position
        FROM dataeng_internal.cdc_snapshot_rows sr
       WHERE sr.consumer = r.name AND sr.n > r.snapshot_acked AND sr.n <= last_n
         AND CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(me, sr.table_oid)
                  ELSE sr.table_oid = ANY (r.tables::oid[]) END
       ORDER BY sr.n;
    RETURN;
  END IF;
  FOR g IN SELECT * FROM dataeng_internal._cdc_poll_ranges(r, me, max_changes, whole_transactions) LOOP
    RETURN QUERY
      SELECT l.change_id, l.xid, l.lsn, l.captured_at, l.table_oid::regclass, l.op,
             l.pk, l.old_row, l.new_row,
             ROW(bt.tick_id, bt.ord_txn, l.change_id)::dataeng.cdc_position
        FROM (SELECT * FROM dataeng_internal.cdc_batch_txns b
               WHERE b.tick_id = g.tick_id AND b.ord_txn >= g.from_txn AND b.ord_txn <= g.to_txn) bt
        JOIN dataeng_internal.change_log l ON l.xid = bt.xid
       WHERE (bt.ord_txn > g.from_txn OR l.change_id > g.from_change)
         AND (bt.ord_txn < g.to_txn OR l.change_id <= g.to_change)
         AND CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(me, l.table_oid)
                  ELSE l.table_oid = ANY (r.tables::oid[]) END
       ORDER BY bt.ord_txn, l.change_id;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_poll(regrole, text, int, boolean) FROM PUBLIC;

-- Acknowledge the rows of consumer r's initial snapshot up to row upto
-- (delivered): they are deleted, and the snapshot is done after its last.
CREATE FUNCTION dataeng_internal._cdc_snapshot_ack(r dataeng_internal.cdc_consumer_state, upto bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  DELETE FROM dataeng_internal.cdc_snapshot_rows s
   WHERE s.consumer = r.name AND s.n > r.snapshot_acked AND s.n <= upto;
  UPDATE dataeng_internal.cdc_consumer_state c
     SET snapshot_acked = upto, acked_change_id = -upto, acked_at = now()
   WHERE c.name = r.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_snapshot_ack(dataeng_internal.cdc_consumer_state, bigint) FROM PUBLIC;

CREATE FUNCTION dataeng.cdc_ack(consumer text, upto_change_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_ack'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_ack(text, bigint) IS
  'Acknowledges every change delivered to the consumer up to and including the given one';

-- Where a change was delivered to consumer r (the batch and the place of
-- its transaction in it): among the transactions delivered since the
-- acknowledged position (the acknowledged one included), up to the
-- furthest polled one; NULLs if none of them holds it
CREATE FUNCTION dataeng_internal._cdc_delivered_at(r dataeng_internal.cdc_consumer_state, change_id bigint,
                                                   OUT tick_id bigint, OUT ord_txn bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  SELECT bt.tick_id, bt.ord_txn INTO tick_id, ord_txn
    FROM dataeng_internal.cdc_batch_txns bt
   WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, least(r.ack_txn, _cdc_delivered_at.change_id))
     AND (bt.tick_id, bt.ord_txn) <= (r.poll_tick, r.poll_txn)
     AND bt.ord_txn >= _cdc_delivered_at.change_id
     AND EXISTS (SELECT 1 FROM dataeng_internal.change_log l
                  WHERE l.xid OPERATOR(pg_catalog.=) bt.xid AND l.change_id = _cdc_delivered_at.change_id)
   ORDER BY bt.tick_id, bt.ord_txn
   LIMIT 1;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_delivered_at(dataeng_internal.cdc_consumer_state, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_delivered_at(dataeng_internal.cdc_consumer_state, bigint) IS
  'internal: the batch and transaction place where a change was delivered to a consumer (between its acknowledged and polled positions)';

CREATE FUNCTION dataeng_internal._cdc_ack(caller regrole, consumer text, upto_change_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  found_tick bigint;
  found_txn bigint;
  done_txn bigint;
  done_change bigint;
  x xid8;
  tbl oid;
BEGIN
  r := dataeng_internal._cdc_consumer(consumer, caller, true);
  PERFORM dataeng_internal._agg_reserved_check('ack', consumer, caller);

  -- The change acknowledged last, again (a client retrying an
  -- acknowledgement whose commit it did not hear of): nothing to do, also
  -- once cdc_purge() has taken the change out of the log, where it was
  -- refused as a change that does not exist.
  IF upto_change_id = r.acked_change_id THEN
    RETURN;
  END IF;

  -- A row of the initial snapshot: change_id -n for row n.
  IF upto_change_id < 0 AND r.snapshot_rows IS NOT NULL THEN
    IF -upto_change_id > r.snapshot_rows THEN
      RAISE EXCEPTION 'change % does not exist', upto_change_id
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('Consumer "%s" has no snapshot row %s.', consumer, -upto_change_id),
              HINT = 'Acknowledge a change_id returned by dataeng.cdc_poll().';
    ELSIF -upto_change_id < r.snapshot_acked THEN
      RAISE EXCEPTION 'change % is already acknowledged by consumer "%"', upto_change_id, consumer
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Acknowledgements only move forward.';
    ELSIF -upto_change_id = r.snapshot_acked THEN
      RETURN;                             -- repeated acknowledgement: nothing to do
    ELSIF -upto_change_id > r.snapshot_polled THEN
      RAISE EXCEPTION 'change % was not delivered to consumer "%" yet', upto_change_id, consumer
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'Only changes returned by dataeng.cdc_poll() can be acknowledged.';
    END IF;
    PERFORM dataeng_internal._cdc_snapshot_ack(r, -upto_change_id);
    RETURN;
  END IF;
  IF r.snapshot_acked < r.snapshot_rows THEN
    -- nothing but snapshot rows is delivered before the snapshot is done
    RAISE EXCEPTION 'change % was not delivered to consumer "%" yet', upto_change_id, consumer
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'The consumer''s initial snapshot is delivered first; only changes returned by dataeng.cdc_poll() can be acknowledged.';
  END IF;

  -- A change of a table the consumer does not receive was never delivered
  -- to it, even when the other changes of its transaction were.
  SELECT l.table_oid INTO tbl FROM dataeng_internal.change_log l WHERE l.change_id = upto_change_id;
  IF FOUND AND NOT (CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(caller, tbl)
                         ELSE tbl = ANY (r.tables::oid[]) END) THEN
    RAISE EXCEPTION 'change % was not delivered to consumer "%" yet', upto_change_id, consumer
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Only changes returned by dataeng.cdc_poll() can be acknowledged.';
  END IF;

  -- Look for the change among the transactions delivered since the
  -- acknowledged position, up to the furthest polled one.
  SELECT d.tick_id, d.ord_txn INTO found_tick, found_txn
    FROM dataeng_internal._cdc_delivered_at(r, upto_change_id) d;

  IF found_tick IS NULL THEN
    SELECT l.xid INTO x FROM dataeng_internal.change_log l WHERE l.change_id = upto_change_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'change % does not exist', upto_change_id
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'It was never committed, was rolled back, or was purged.',
              HINT = 'Acknowledge a change_id returned by dataeng.cdc_poll().';
    ELSIF pg_visible_in_snapshot(x, (SELECT snap FROM dataeng_internal.cdc_ticks WHERE tick_id = r.ack_tick)) THEN
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
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_txns bt
                      WHERE bt.tick_id = found_tick AND bt.ord_txn > found_txn) THEN
    done_txn := @CDC_END_OF_BATCH@;
    done_change := @CDC_END_OF_BATCH@;
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
  UPDATE dataeng_internal.cdc_consumer_state c
     SET ack_tick = found_tick, ack_txn = done_txn, ack_change = done_change,
         acked_change_id = upto_change_id, acked_at = now()
   WHERE c.name = r.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_ack(regrole, text, bigint) FROM PUBLIC;

-- Acknowledging a position, as cdc_poll() returns it in its column
-- position: ORDER BY position DESC LIMIT 1 gives the last row delivered,
-- and its position names the change to acknowledge (the change of a
-- snapshot row (tick, 0, n) is -n).  A position cdc_poll() did not return
-- (a change of another transaction or batch) is refused rather than read
-- as its change_id alone.
CREATE FUNCTION dataeng.cdc_ack(consumer text, upto dataeng.cdc_position)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_ack'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_ack(text, dataeng.cdc_position) IS
  'Acknowledges every change delivered to the consumer up to and including the one at the given position';

CREATE FUNCTION dataeng_internal._cdc_ack(caller regrole, consumer text, upto dataeng.cdc_position)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  real_tick bigint;
  real_txn bigint;
BEGIN
  -- the consumer's errors first, as for the other forms
  r := dataeng_internal._cdc_consumer(consumer, caller, true);
  IF upto.tick_id IS NULL OR upto.ord_txn IS NULL OR upto.change_id IS NULL OR upto.ord_txn < 0 THEN
    RAISE EXCEPTION 'position % was not returned by dataeng.cdc_poll()', upto
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Acknowledge the position of the last row applied: ORDER BY position DESC LIMIT 1.';
  END IF;
  IF upto.ord_txn = 0 THEN
    -- row n of the initial snapshot: (tick, 0, n), n from 1, at the tick
    -- the snapshot was taken at while rows of it are unacknowledged (a
    -- position (t, 0, -k) read as change k acknowledged a change no poll
    -- returned at that place)
    IF upto.change_id < 1 OR r.snapshot_rows IS NULL
       OR (r.snapshot_acked < r.snapshot_rows AND upto.tick_id <> r.ack_tick) THEN
      RAISE EXCEPTION 'position % was not returned by dataeng.cdc_poll()', upto
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = CASE WHEN r.snapshot_rows IS NULL
                            THEN format('Consumer "%s" has no initial snapshot.', consumer)
                            ELSE format('No row of the initial snapshot of consumer "%s" has that position.', consumer) END,
              HINT = 'Acknowledge the position of the last row applied: ORDER BY position DESC LIMIT 1.';
    END IF;
    PERFORM dataeng_internal._cdc_ack(caller, consumer, -upto.change_id);
    RETURN;
  END IF;
  -- where the change was delivered, as _cdc_ack finds it: among the
  -- transactions delivered since the acknowledged position (the
  -- acknowledged one included), up to the furthest polled one
  SELECT d.tick_id, d.ord_txn INTO real_tick, real_txn
    FROM dataeng_internal._cdc_delivered_at(r, upto.change_id) d;
  -- a change delivered in a batch that still exists must be at that place
  -- in it (a batch purged is acknowledged by every consumer: _cdc_ack says
  -- so); so must one delivered and not acknowledged yet, whatever batch
  -- the position names (a tick of no batch, before the first or after the
  -- last, made it read as its change_id alone)
  IF (real_tick IS NOT NULL AND (real_tick, real_txn) <> (upto.tick_id, upto.ord_txn))
     OR (EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_txns bt WHERE bt.tick_id = upto.tick_id)
     AND EXISTS (SELECT 1 FROM dataeng_internal.change_log l WHERE l.change_id = upto.change_id)
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_txns bt
                       JOIN dataeng_internal.change_log l ON l.xid OPERATOR(pg_catalog.=) bt.xid
                      WHERE bt.tick_id = upto.tick_id AND bt.ord_txn = upto.ord_txn
                        AND l.change_id = upto.change_id)) THEN
    RAISE EXCEPTION 'position % was not returned by dataeng.cdc_poll()', upto
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Change %s was not delivered at that place in the delivery order.', upto.change_id),
            HINT = 'Acknowledge the position of the last row applied: ORDER BY position DESC LIMIT 1.';
  END IF;
  PERFORM dataeng_internal._cdc_ack(caller, consumer, upto.change_id);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_ack(regrole, text, dataeng.cdc_position) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_ack(regrole, text, dataeng.cdc_position) IS
  'internal: body of dataeng.cdc_ack(text, dataeng.cdc_position)';

CREATE FUNCTION dataeng.cdc_ack(consumer text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_ack'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.cdc_ack(text) IS
  'Acknowledges every change the last poll of the consumer in this transaction delivered';

-- Everything up to where the last poll of this transaction stopped (with
-- whole_transactions, the end of its last transaction, changes of other
-- tables included, as a poll would pass over them).
CREATE FUNCTION dataeng_internal._cdc_ack(caller regrole, consumer text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  done_txn bigint;
  done_change bigint;
  last_id bigint;
BEGIN
  r := dataeng_internal._cdc_consumer(consumer, caller, true);
  PERFORM dataeng_internal._agg_reserved_check('ack', consumer, caller);
  IF r.last_poll_xid IS NULL OR r.last_poll_xid IS DISTINCT FROM pg_current_xact_id_if_assigned() THEN
    RAISE EXCEPTION 'consumer "%" was not polled in this transaction', consumer
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'dataeng.cdc_ack(consumer) acknowledges what the last dataeng.cdc_poll() of the same transaction delivered.',
            HINT = 'Poll, apply and acknowledge in one transaction, or acknowledge the last row applied: dataeng.cdc_ack(consumer, position), the position of the row with the largest one.';
  END IF;
  IF r.last_poll_snap IS NOT NULL THEN
    -- it delivered rows of the initial snapshot
    IF r.last_poll_snap > r.snapshot_acked THEN
      PERFORM dataeng_internal._cdc_snapshot_ack(r, r.last_poll_snap);
    END IF;
    RETURN;
  END IF;
  IF r.last_poll_tick IS NULL
     OR (r.last_poll_tick, r.last_poll_txn, r.last_poll_change) <= (r.ack_tick, r.ack_txn, r.ack_change) THEN
    RETURN;                               -- it delivered nothing new
  END IF;
  -- the last change of the last transaction of a batch completes the batch
  IF r.last_poll_change = r.last_poll_txn
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_txns bt
                      WHERE bt.tick_id = r.last_poll_tick AND bt.ord_txn > r.last_poll_txn) THEN
    done_txn := @CDC_END_OF_BATCH@;
    done_change := @CDC_END_OF_BATCH@;
  ELSE
    done_txn := r.last_poll_txn;
    done_change := r.last_poll_change;
  END IF;
  -- the last change delivered (of the consumer's tables)
  SELECT max(l.change_id) INTO last_id
    FROM dataeng_internal.cdc_batch_txns bt
    JOIN dataeng_internal.change_log l ON l.xid OPERATOR(pg_catalog.=) bt.xid
   WHERE bt.tick_id = r.last_poll_tick AND bt.ord_txn = r.last_poll_txn
     AND l.change_id <= r.last_poll_change
     AND CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(caller, l.table_oid)
              ELSE l.table_oid = ANY (r.tables::oid[]) END;
  UPDATE dataeng_internal.cdc_consumer_state c
     SET ack_tick = r.last_poll_tick, ack_txn = done_txn, ack_change = done_change,
         acked_change_id = coalesce(last_id, c.acked_change_id), acked_at = now()
   WHERE c.name = r.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_ack(regrole, text) FROM PUBLIC;

-- Pending changes of a consumer and the capture time of the oldest one:
-- changes of ordered batches after its acknowledged position, plus those
-- committed since the newest tick, of the tables viewer may read now
-- (as cdc_poll would deliver them to viewer; a table of the consumer's
-- list that viewer may no longer read counts for nothing).  The counted
-- batches after the acknowledged one are summed from their counts by
-- table (cdc_batch_tables: an index range of one row per batch and
-- table); the batches the maintenance has not counted yet (those cut since
-- it last ran), the rest of the acknowledged batch when the consumer
-- stopped inside it, and the changes committed since the newest tick are
-- read change by change.  A batch's counts and its mark are written in one
-- statement, so this statement's snapshot sees a batch either counted or
-- not, never both nor half.  The change log is read only through its
-- index on (xid, change_id), a range per transaction or from the newest
-- tick's xmin: what is read grows with the changes pending, never with
-- the log.  (The statistics of a log holding a few large transactions
-- say that a transaction's changes are a third of a segment, and the
-- planner read whole segments, and the whole log to find the first
-- change of the consumer's tables for the rest of its batch, 0.1 to 0.8 s
-- for a lag of nothing over 1.5 million changes of other tables.)
CREATE FUNCTION dataeng_internal._cdc_lag(r dataeng_internal.cdc_consumer_state, viewer regrole,
                                 OUT pending bigint, OUT oldest timestamptz)
RETURNS record
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
-- (its estimated cost is large, its run short: JIT compiling it took 1 s)
SET jit = off
-- (every read of the log has an index condition; the small tables are read
-- by their keys as well)
SET enable_seqscan = off
AS $$
  WITH newest AS (SELECT snap FROM dataeng_internal.cdc_ticks ORDER BY tick_id DESC LIMIT 1),
  pending AS (
    -- (a consumer of some tables: a range of the index on (table_oid,
    -- tick_id) per table; of every table: of the primary key)
    SELECT b.changes AS n, b.oldest AS captured_at
      FROM dataeng_internal.cdc_batch_tables b
     WHERE r.tables IS NOT NULL AND b.table_oid = ANY (r.tables::oid[]) AND b.tick_id > r.ack_tick
       AND dataeng_internal._cdc_can_read(viewer, b.table_oid)
    UNION ALL
    SELECT b.changes, b.oldest
      FROM dataeng_internal.cdc_batch_tables b
     WHERE r.tables IS NULL AND b.tick_id > r.ack_tick AND b.table_oid OPERATOR(pg_catalog.<>) 0
       AND dataeng_internal._cdc_can_read(viewer, b.table_oid)
    UNION ALL
    -- (batches after the position not counted yet, those without a row of
    -- table_oid 0, listed first, once; then their transactions, then each
    -- one's changes by the index on (xid, change_id); OFFSET 0 keeps both
    -- lookups per row, so that no plan reads the changes of counted
    -- batches, or the whole log)
    SELECT 1, l.captured_at
      FROM unnest(ARRAY(SELECT tk.tick_id FROM dataeng_internal.cdc_ticks tk
                         WHERE tk.tick_id > r.ack_tick
                           AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_tables m
                                            WHERE m.tick_id = tk.tick_id
                                              AND m.table_oid OPERATOR(pg_catalog.=) 0))) u(tick_id)
     CROSS JOIN LATERAL (SELECT bt.xid FROM dataeng_internal.cdc_batch_txns bt
                          WHERE bt.tick_id = u.tick_id OFFSET 0) bt
     CROSS JOIN LATERAL (SELECT l.captured_at FROM dataeng_internal.change_log l
                          WHERE l.xid = bt.xid
                            AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
                            AND dataeng_internal._cdc_can_read(viewer, l.table_oid) OFFSET 0) l
    UNION ALL
    -- (the rest of the acknowledged batch: its transactions from the
    -- position on, then each one's changes by the index, as above)
    SELECT 1, l.captured_at
      FROM dataeng_internal.cdc_batch_txns bt
     CROSS JOIN LATERAL (SELECT l.captured_at FROM dataeng_internal.change_log l
                          WHERE l.xid = bt.xid
                            AND (bt.ord_txn, l.change_id) > (r.ack_txn, r.ack_change)
                            AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
                            AND dataeng_internal._cdc_can_read(viewer, l.table_oid) OFFSET 0) l
     WHERE bt.tick_id = r.ack_tick AND bt.ord_txn >= r.ack_txn
    UNION ALL
    -- (the xid range of the index on (xid, change_id): the newest tick's
    -- xmin a value known before the scan)
    SELECT 1, l.captured_at
      FROM dataeng_internal.change_log l
     WHERE l.xid >= (SELECT pg_snapshot_xmin(newest.snap) FROM newest)
       AND NOT pg_visible_in_snapshot(l.xid, (SELECT newest.snap FROM newest))
       AND (r.tables IS NULL OR l.table_oid = ANY (r.tables::oid[]))
       AND dataeng_internal._cdc_can_read(viewer, l.table_oid)),
  -- rows of the initial snapshot not acknowledged yet
  snap AS (SELECT coalesce(r.snapshot_rows - r.snapshot_acked, 0) AS rows_left)
  SELECT coalesce(sum(n), 0)::bigint + (SELECT rows_left FROM snap),
         least(min(captured_at), CASE WHEN (SELECT rows_left FROM snap) > 0 THEN r.created_at END)
    FROM pending
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_lag(dataeng_internal.cdc_consumer_state, regrole) FROM PUBLIC;

-- Count by table the changes of up to max_batches batches not counted yet,
-- oldest first (cdc_batch_tables), for consumers' lag; returns how many
-- batches it counted.  Run by dataeng.maintain(), off the path of ticks
-- (a tick is cut by every refresh).  Each change of a batch is read once.
-- One statement: the batch's mark (its row of table_oid 0) and its counts
-- commit together; of two concurrent calls, the one whose mark is inserted
-- counts, the other waits for it and skips the batch (ON CONFLICT).  A
-- batch purged meanwhile (cdc_purge) leaves counts below every consumer's
-- position, which no lag reads and the next purge deletes.
CREATE FUNCTION dataeng_internal._cdc_count_batches(max_batches integer DEFAULT 1000)
RETURNS integer
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  WITH todo AS (
    SELECT tk.tick_id
      FROM dataeng_internal.cdc_ticks tk
     WHERE NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_tables m
                        WHERE m.tick_id = tk.tick_id AND m.table_oid OPERATOR(pg_catalog.=) 0)
     ORDER BY tk.tick_id
     LIMIT max_batches),
  marked AS (
    INSERT INTO dataeng_internal.cdc_batch_tables (tick_id, table_oid, changes, oldest)
    SELECT todo.tick_id, 0, 0, 'infinity' FROM todo
    ON CONFLICT (tick_id, table_oid) DO NOTHING
    RETURNING tick_id),
  counted AS (
    INSERT INTO dataeng_internal.cdc_batch_tables (tick_id, table_oid, changes, oldest)
    SELECT bt.tick_id, l.table_oid, count(*), min(l.captured_at)
      FROM marked
      JOIN dataeng_internal.cdc_batch_txns bt ON bt.tick_id = marked.tick_id
      JOIN dataeng_internal.change_log l ON l.xid = bt.xid
     GROUP BY bt.tick_id, l.table_oid
    RETURNING 1)
  SELECT count(*)::integer FROM marked
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_count_batches(integer) FROM PUBLIC;

-- Consumers the calling role owns (or is a member of the owner of).
CREATE FUNCTION dataeng_internal._cdc_consumer_list()
RETURNS TABLE (name text, owner regrole, tables regclass[], acked_change_id bigint,
               acked_at timestamptz, pending_changes bigint, lag_seconds numeric,
               created_at timestamptz, expired_at timestamptz, expired_reason text,
               dropped_tables text[])
AS 'MODULE_PATHNAME', 'dataeng_cdc_consumer_list'
LANGUAGE C STABLE;

CREATE FUNCTION dataeng_internal._cdc_consumer_list_as_owner(caller regrole)
RETURNS TABLE (name text, owner regrole, tables regclass[], acked_change_id bigint,
               acked_at timestamptz, pending_changes bigint, lag_seconds numeric,
               created_at timestamptz, expired_at timestamptz, expired_reason text,
               dropped_tables text[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  -- (a listed table that was dropped is no regclass any more, only a bare
  -- number: it moves to dropped_tables under the name it had at the DROP,
  -- which _cdc_drop_readers() kept; 'OID n' when none was kept)
  SELECT c.name, c.owner,
         CASE WHEN c.tables IS NOT NULL THEN
           ARRAY(SELECT u.t FROM unnest(c.tables) WITH ORDINALITY u(t, i)
                  WHERE EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid = u.t::oid)
                  ORDER BY u.i) END,
         c.acked_change_id, c.acked_at,
         g.pending,
         CASE WHEN c.expired_at IS NOT NULL THEN NULL
              WHEN g.pending > 0
              THEN round(extract(epoch FROM clock_timestamp() - g.oldest), 3) ELSE 0 END,
         c.created_at, c.expired_at, c.expired_reason,
         ARRAY(SELECT coalesce((SELECT dr.table_ident FROM dataeng_internal.cdc_dropped_readers dr
                                 WHERE dr.table_oid = u.t::oid ORDER BY dr.reader LIMIT 1),
                               'OID ' || u.t::oid)
                 FROM unnest(c.tables) WITH ORDINALITY u(t, i)
                WHERE NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid = u.t::oid)
                ORDER BY u.i)
    FROM dataeng_internal.cdc_consumer_state c
    LEFT JOIN LATERAL (SELECT * FROM dataeng_internal._cdc_lag(c, caller)
                        WHERE c.expired_at IS NULL) g ON true
   WHERE pg_has_role(caller, c.owner, 'USAGE');
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_consumer_list_as_owner(regrole) FROM PUBLIC;

-- (callable by everyone: it is the view's body, and filters by role)
CREATE VIEW dataeng.cdc_consumers AS
  SELECT * FROM dataeng_internal._cdc_consumer_list() ORDER BY name;
COMMENT ON VIEW dataeng.cdc_consumers IS
  'Consumers of the calling role with their acknowledged position and lag (changes, seconds)';
COMMENT ON COLUMN dataeng.cdc_consumers.name IS 'Name of the consumer';
COMMENT ON COLUMN dataeng.cdc_consumers.owner IS 'Role that created the consumer and may poll and acknowledge it';
COMMENT ON COLUMN dataeng.cdc_consumers.tables IS 'Tables whose changes the consumer reads, NULL for every captured table (dropped ones move to dropped_tables)';
COMMENT ON COLUMN dataeng.cdc_consumers.acked_change_id IS 'Last change_id acknowledged, NULL before the first acknowledgement';
COMMENT ON COLUMN dataeng.cdc_consumers.acked_at IS 'When the consumer last acknowledged';
COMMENT ON COLUMN dataeng.cdc_consumers.pending_changes IS 'Committed changes after the acknowledged position';
COMMENT ON COLUMN dataeng.cdc_consumers.lag_seconds IS 'Age in seconds of the oldest unacknowledged change, 0 when none';
COMMENT ON COLUMN dataeng.cdc_consumers.created_at IS 'When the consumer was created';
COMMENT ON COLUMN dataeng.cdc_consumers.expired_at IS 'When cdc_purge() expired the consumer, NULL while it is live';
COMMENT ON COLUMN dataeng.cdc_consumers.expired_reason IS 'Why the consumer was expired, NULL while it is live';
COMMENT ON COLUMN dataeng.cdc_consumers.dropped_tables IS 'Names, as at their DROP, of the listed tables that were dropped (empty when none)';
GRANT SELECT ON dataeng.cdc_consumers TO PUBLIC;

-----------------------------------------------------------------------------
-- Retention
-----------------------------------------------------------------------------

-- Empty the segments of the change log whose changes every consumer has
-- acknowledged (all of them when there is no consumer), with TRUNCATE
-- rather than DELETE, and forget ticks no consumer needs.  A segment that
-- is busy (a writer or reader holds it) is left for the next call.  It
-- waits for consumer creations and the tick lock at most lock_timeout (a
-- minute when unset), and
-- names what holds it, or holds a segment, when that is a transaction
-- left open (see idle_in_transaction_session_timeout in docs/cdc.md).
-- First, with dataeng.consumer_max_lag_changes or dataeng.consumer_max_age
-- set, a consumer past either limit is marked expired (with a warning
-- naming it and its owner): it no longer holds the log back, and polling
-- it fails until it is dropped.  Only the changes of the tables it follows
-- (a consumer of all tables: those its owner may read) count, and one with
-- none of them pending is moved past the batches it has no change in (as
-- a poll finding nothing does).  A consumer
-- in the middle of a poll (its row locked) is measured too, and a warning
-- names who holds it: it expires on the first call after that ends.  A
-- segment held by a transaction left open is named the same way.
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
  lim record;
  con dataeng_internal.cdc_consumer_state;
  cname text;
  locked boolean;
  holders text;
  holder_roles text;
  wait_was text;
  newest bigint;
  first_tick bigint;
  first_at timestamptz;
  why text;
  active int;
  newest_xid xid8;
  seq_at bigint;
  seg_size bigint;
  entering int;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.cdc_purge() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction';
  END IF;
  lim := dataeng_internal._cdc_limits();
  -- The creations' lock, which every creation of a consumer holds until
  -- it commits: a consumer being created, which this purge cannot see
  -- yet, must not lose its tick or the changes of transactions running at
  -- its tick.  Taken once the creations holding it have ended, without
  -- queuing for it: creations that start meanwhile do not wait for this
  -- purge (src/cdc/creation_lock.c).  Then the tick lock (held by whoever
  -- cuts a tick: a worker's short transaction, or a transaction that had
  -- to cut one itself).  A transaction left open after creating a
  -- consumer holds the first: wait for it at most lock_timeout (a minute
  -- when unset), then say who holds it and purge nothing.
  wait_was := current_setting('lock_timeout');
  IF wait_was IN ('0', '0ms') THEN
    PERFORM set_config('lock_timeout', '60s', true);
  END IF;
  BEGIN
    PERFORM dataeng_internal._cdc_creations_wait();
    LOCK TABLE dataeng_internal.cdc_ticks IN SHARE ROW EXCLUSIVE MODE;
  EXCEPTION WHEN lock_not_available THEN
    -- (a prepared transaction holds its locks with no process: named by
    -- its gid, and its role, from pg_prepared_xacts)
    SELECT string_agg(CASE WHEN a.pid IS NOT NULL
                           THEN format('process %s of role %s, %s since %s', a.pid,
                                       coalesce(a.usename::text, '?'), a.state,
                                       CASE WHEN a.state = 'active' THEN a.xact_start
                                            ELSE a.state_change END)
                           ELSE format('prepared transaction "%s" of role %s (ended only by COMMIT PREPARED or ROLLBACK PREPARED: pg_prepared_xacts lists it)',
                                       px.gid, px.owner) END,
                      '; ' ORDER BY a.pid, px.gid),
           string_agg(DISTINCT coalesce(a.usename::text, px.owner::text, '?'), ', ')
      INTO holders, holder_roles
      FROM pg_locks lk
      LEFT JOIN pg_stat_activity a ON a.pid = lk.pid
      LEFT JOIN LATERAL (SELECT p.gid, p.owner
                           FROM pg_locks x
                           JOIN pg_prepared_xacts p ON p.transaction = x.transactionid
                          WHERE lk.pid IS NULL AND x.pid IS NULL
                            AND x.virtualtransaction = lk.virtualtransaction
                            AND x.locktype = 'transactionid'
                          LIMIT 1) px ON true
     WHERE lk.granted AND (a.pid IS NOT NULL OR px.gid IS NOT NULL)
       AND lk.pid IS DISTINCT FROM pg_backend_pid()
       AND lk.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
       AND ((lk.locktype = 'relation' AND lk.relation = 'dataeng_internal.cdc_ticks'::regclass
             AND lk.mode = 'ShareRowExclusiveLock')
            -- (the creations' lock: src/cdc/creation_lock.c)
            OR (lk.locktype = 'advisory' AND lk.classid = @CDC_CREATION_LOCK_KEY@::oid
                AND lk.objid = 0::oid AND lk.objsubid = @CDC_CREATION_LOCK_FIELD4@));
    PERFORM set_config('lock_timeout', wait_was, true);
    RAISE WARNING 'the change log was not purged: a transaction of role % holds its ticks',
                  coalesce(holder_roles, '?')
      USING ERRCODE = '01000',
            DETAIL = format('Held by %s.  A transaction that created a consumer holds them until it ends.',
                            coalesce(holders, 'a transaction that is gone')),
            HINT = 'End that transaction (pg_terminate_backend(), or COMMIT PREPARED or ROLLBACK PREPARED for a prepared one), and set idle_in_transaction_session_timeout so that a transaction left idle cannot hold the change log back.';
    RETURN;
  END;
  PERFORM set_config('lock_timeout', wait_was, true);

  -- Consumers past a limit.  What a consumer holds back is measured in the
  -- ordered batches after its acknowledged position: a tick cut now puts
  -- every committed change in one, so that a consumer nobody polls is
  -- measured as well (the change count stops at the limit).
  IF lim.max_lag_changes > 0 OR lim.max_age_seconds > 0 THEN
    newest := dataeng_internal._cdc_tick();
    FOR cname IN SELECT cs.name FROM dataeng_internal.cdc_consumer_state cs
                  WHERE cs.expired_at IS NULL ORDER BY cs.name LOOP
      -- its current row, locked; a consumer in the middle of a poll (its
      -- row locked) is measured all the same, on its committed position
      SELECT cs.* INTO con FROM dataeng_internal.cdc_consumer_state cs
       WHERE cs.name = cname AND cs.expired_at IS NULL
         FOR UPDATE SKIP LOCKED;
      locked := NOT FOUND;
      IF locked THEN
        SELECT cs.* INTO con FROM dataeng_internal.cdc_consumer_state cs
         WHERE cs.name = cname AND cs.expired_at IS NULL;
        CONTINUE WHEN NOT FOUND;
      END IF;
      why := NULL;
      -- the oldest batch holding a change of its tables it has not
      -- acknowledged: that change was committed before the batch's tick
      -- was cut
      SELECT bt.tick_id, tk.created_at INTO first_tick, first_at
        FROM dataeng_internal.cdc_batch_txns bt
        JOIN dataeng_internal.cdc_ticks tk ON tk.tick_id = bt.tick_id
       WHERE (bt.tick_id, bt.ord_txn) >= (con.ack_tick, con.ack_txn)
         AND EXISTS (SELECT 1 FROM dataeng_internal.change_log l
                      WHERE l.xid OPERATOR(pg_catalog.=) bt.xid
                        AND (bt.tick_id, bt.ord_txn, l.change_id)
                            > (con.ack_tick, con.ack_txn, con.ack_change)
                        AND CASE WHEN con.tables IS NULL
                                 THEN dataeng_internal._cdc_can_read(con.owner, l.table_oid)
                                 ELSE l.table_oid = ANY (con.tables::oid[]) END)
       ORDER BY bt.tick_id, bt.ord_txn
       LIMIT 1;
      IF first_tick IS NULL THEN
        -- Nothing of its tables is pending: it lags behind nothing.  Move
        -- it past the batches it has no change in (as a poll would), so
        -- that it does not hold the log back for other roles' changes.
        IF NOT locked THEN
          UPDATE dataeng_internal.cdc_consumer_state c
             SET ack_tick = newest, ack_txn = @CDC_END_OF_BATCH@, ack_change = @CDC_END_OF_BATCH@,
                 poll_tick = greatest(c.poll_tick, newest),
                 poll_txn = CASE WHEN c.poll_tick > newest THEN c.poll_txn ELSE @CDC_END_OF_BATCH@ END,
                 poll_change = CASE WHEN c.poll_tick > newest THEN c.poll_change ELSE @CDC_END_OF_BATCH@ END
           WHERE c.name = con.name
             AND (c.ack_tick, c.ack_txn, c.ack_change)
                 < (newest, @CDC_END_OF_BATCH@, @CDC_END_OF_BATCH@);
        END IF;
        CONTINUE;
      END IF;
      IF lim.max_lag_changes > 0 THEN
        -- (transaction by transaction, one index probe each, up to the limit)
        SELECT count(*) INTO n
          FROM (SELECT 1
                  FROM dataeng_internal.cdc_batch_txns bt
                 CROSS JOIN LATERAL (SELECT l.change_id FROM dataeng_internal.change_log l
                                      WHERE l.xid OPERATOR(pg_catalog.=) bt.xid
                                        AND (bt.tick_id, bt.ord_txn, l.change_id)
                                            > (con.ack_tick, con.ack_txn, con.ack_change)
                                        AND CASE WHEN con.tables IS NULL
                                                 THEN dataeng_internal._cdc_can_read(con.owner, l.table_oid)
                                                 ELSE l.table_oid = ANY (con.tables::oid[]) END) l
                 WHERE (bt.tick_id, bt.ord_txn) >= (con.ack_tick, con.ack_txn)
                 LIMIT lim.max_lag_changes + 1) s;
        IF n > lim.max_lag_changes THEN
          why := format('more than %s unacknowledged changes, past dataeng.consumer_max_lag_changes',
                        lim.max_lag_changes);
        END IF;
      END IF;
      IF why IS NULL AND lim.max_age_seconds > 0 THEN
        IF first_at < now() - make_interval(secs => lim.max_age_seconds) THEN
          why := format('changes left unacknowledged for more than %s s, past dataeng.consumer_max_age',
                        lim.max_age_seconds);
        END IF;
      END IF;
      IF why IS NOT NULL AND locked THEN
        -- It cannot be marked now: say who holds it (the transaction
        -- holding its row lock); it expires on the first purge after that
        -- transaction ends, unless the transaction acknowledged enough.
        SELECT string_agg(format('process %s of role %s, %s since %s', a.pid,
                                 coalesce(a.usename::text, '?'), a.state,
                                 CASE WHEN a.state = 'active' THEN a.xact_start
                                      ELSE a.state_change END), '; ' ORDER BY a.pid)
          INTO holders
          FROM dataeng_internal.cdc_consumer_state cs
          JOIN pg_locks lk ON lk.locktype = 'transactionid'
                          AND lk.transactionid OPERATOR(pg_catalog.=) cs.xmax
                          AND lk.mode = 'ExclusiveLock' AND lk.granted
          JOIN pg_stat_activity a ON a.pid = lk.pid
         WHERE cs.name = cname;
        RAISE WARNING 'consumer "%" of role % is past its limits but in use: it expires once its transaction ends',
                      con.name, con.owner
          USING ERRCODE = '01000',
                DETAIL = format('Its limit: %s.  It is held by %s.', why,
                                coalesce(holders, 'a transaction that is gone or unknown')),
                HINT = 'Set idle_in_transaction_session_timeout, so that a transaction left idle cannot keep a consumer alive, or end it with pg_terminate_backend().';
      ELSIF why IS NOT NULL THEN
        UPDATE dataeng_internal.cdc_consumer_state cs
           SET expired_at = now(), expired_reason = why
         WHERE cs.name = con.name;
        RAISE WARNING 'consumer "%" of role % has expired: %', con.name, con.owner, why
          USING ERRCODE = '01000',
                DETAIL = 'It no longer holds the change log back; polling it fails until it is dropped.',
                HINT = CASE WHEN con.name LIKE 'fact:%' OR con.name LIKE 'dim:%'
                            THEN 'It belongs to a fact or dimension: its owner should drop the fact or dimension and create it again.'
                            ELSE 'Its owner should drop it with dataeng.cdc_consumer_drop() and re-create it.' END;
      END IF;
    END LOOP;
  END IF;

  -- Every change whose xid is below horizon is acknowledged by everyone
  -- (but expired consumers): it is visible in a tick each of them has
  -- fully acknowledged.
  IF EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c WHERE c.expired_at IS NULL) THEN
    SELECT min(coalesce(pg_snapshot_xmin(t.snap), '0'::xid8)) INTO horizon
      FROM dataeng_internal.cdc_consumer_state c
      LEFT JOIN LATERAL (SELECT tk.snap FROM dataeng_internal.cdc_ticks tk
                          WHERE CASE WHEN c.ack_txn = @CDC_END_OF_BATCH@
                                     THEN tk.tick_id = c.ack_tick
                                     ELSE tk.tick_id < c.ack_tick END
                          ORDER BY tk.tick_id DESC LIMIT 1) t ON true
     WHERE c.expired_at IS NULL;
  ELSE
    horizon := pg_snapshot_xmin(pg_current_snapshot());
  END IF;

  -- the segment the writers fill: the one holding the newest committed
  -- transaction's changes (one probe of the xid index each)
  FOR s IN 0 .. @CHANGE_LOG_SEGMENTS@ - 1 LOOP
    EXECUTE format('SELECT max(xid) FROM dataeng_internal.change_log_%s', s) INTO top;
    IF top IS NOT NULL AND (newest_xid IS NULL OR top > newest_xid) THEN
      newest_xid := top;
      active := s;
    END IF;
  END LOOP;
  -- ... and the one they enter next, once they are past the middle of
  -- theirs (by the newest transaction's last change_id, which goes to a
  -- segment by this session's dataeng.cdc_segment_size): a purge queued
  -- for it when they cross would make them wait behind it (1 s)
  IF active IS NOT NULL THEN
    EXECUTE format('SELECT max(change_id) FROM dataeng_internal.change_log_%s WHERE xid = $1', active)
      INTO seq_at USING newest_xid;
    seg_size := current_setting('dataeng.cdc_segment_size')::bigint;
    IF seq_at % seg_size >= seg_size / 2 THEN
      entering := (seq_at / seg_size + 1) % @CHANGE_LOG_SEGMENTS@;
    END IF;
  END IF;
  FOR s IN 0 .. @CHANGE_LOG_SEGMENTS@ - 1 LOOP
    seg := format('dataeng_internal.change_log_%s', s)::regclass;
    -- Only a segment that can be emptied is locked: its newest committed
    -- change below the horizon (one probe of the xid index; checked again
    -- under the lock below).  The segment the writers fill, or one a
    -- consumer still needs, is left alone without delaying anyone.
    EXECUTE format('SELECT max(xid) FROM %s', seg) INTO top;
    CONTINUE WHEN top IS NULL OR top >= horizon;
    BEGIN
      -- Try a few times without queuing; then queue for the lock, for at
      -- most 1 s (less if lock_timeout is set lower).  Readers whose
      -- transactions overlap (consumers applying their batches) hold every
      -- segment at every moment: a purge that only tried without queuing
      -- never emptied a segment under such a load.  Queued, it waits for
      -- the transactions holding the segment to end while the readers that
      -- come meanwhile wait behind it (1 s at most for each segment, and only
      -- for a segment it empties); past 1 s the segment is left for the
      -- next call.  Not for the segment the writers fill, the one they
      -- enter next once past the middle of theirs, nor one a writer holds
      -- (ROW EXCLUSIVE: it wrapped around into it): writers are not made
      -- to wait, and that segment is emptied once they moved on.
      FOR attempt IN 1..4 LOOP
        BEGIN
          IF attempt = 4 AND (s = active OR s = entering OR EXISTS (
                SELECT 1 FROM pg_locks lk
                 WHERE lk.locktype = 'relation' AND lk.relation = seg AND lk.granted
                   AND lk.mode = 'RowExclusiveLock'
                   AND lk.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()))) THEN
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', seg);
          ELSIF attempt < 4 THEN
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE NOWAIT', seg);
          ELSE
            PERFORM set_config('lock_timeout',
                               CASE WHEN (SELECT st.setting::bigint FROM pg_settings st
                                           WHERE st.name = 'lock_timeout') BETWEEN 1 AND 999
                                    THEN wait_was ELSE '1s' END, true);
            EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', seg);
            PERFORM set_config('lock_timeout', wait_was, true);
          END IF;
          EXIT;
        EXCEPTION WHEN lock_not_available THEN
          IF attempt = 4 THEN
            RAISE;
          END IF;
          IF attempt < 3 THEN
            PERFORM pg_sleep(0.05);
          END IF;
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
      -- Who holds it: a transaction left open (idle for more than 2 s, or
      -- running for more than a minute) holds back the log for everyone,
      -- and is named for a DBA to act on.  A brief writer or reader is not.
      SELECT string_agg(format('process %s of role %s, %s since %s', a.pid,
                               coalesce(a.usename::text, '?'), a.state,
                               CASE WHEN a.state = 'active' THEN a.xact_start
                                    ELSE a.state_change END), '; ' ORDER BY a.pid),
             string_agg(DISTINCT coalesce(a.usename::text, '?'), ', ')
        INTO holders, holder_roles
        FROM pg_locks lk
        JOIN pg_stat_activity a ON a.pid = lk.pid
       WHERE lk.locktype = 'relation' AND lk.relation = seg AND lk.granted
         AND lk.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
         AND lk.pid <> pg_backend_pid()
         AND a.xact_start IS NOT NULL
         AND CASE WHEN a.state = 'active' THEN a.xact_start < clock_timestamp() - interval '1 min'
                  ELSE a.state_change < clock_timestamp() - interval '2 s' END;
      IF holders IS NULL THEN
        RAISE NOTICE 'segment % of the change log is busy; skipped', s;
      ELSE
        RAISE WARNING 'segment % of the change log is held by a long transaction of role %; skipped', s, holder_roles
          USING ERRCODE = '01000',
                DETAIL = format('Held by %s.  No segment can be purged while a transaction that read or wrote it is open.', holders),
                HINT = 'End that transaction (pg_terminate_backend()), and set idle_in_transaction_session_timeout so that a transaction left idle cannot hold the change log back.';
      END IF;
    END;
  END LOOP;

  -- The readers recorded at the DROP of a captured table: no longer
  -- needed once every consumer has acknowledged the table's last change
  -- (the DROP and every change of the table are below the horizon: they
  -- committed before it; none of its changes is at or above it) and no
  -- consumer lists the table (its rows keep it readable, and its name).
  DELETE FROM dataeng_internal.cdc_dropped_readers dr
   WHERE dr.dropped_xid < horizon
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.change_log l
                      WHERE l.xid >= horizon AND l.table_oid = dr.table_oid)
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c
                      WHERE c.expired_at IS NULL AND dr.table_oid = ANY (c.tables::oid[]));

  -- ticks: keep what consumers still need, and the newest one
  SELECT min(CASE WHEN c.ack_txn = @CDC_END_OF_BATCH@ THEN c.ack_tick
                  ELSE (SELECT max(tk.tick_id) FROM dataeng_internal.cdc_ticks tk
                         WHERE tk.tick_id < c.ack_tick) END)
    INTO keep FROM dataeng_internal.cdc_consumer_state c WHERE c.expired_at IS NULL;
  keep := least(coalesce(keep, @CDC_END_OF_BATCH@),
                (SELECT max(tick_id) FROM dataeng_internal.cdc_ticks));
  DELETE FROM dataeng_internal.cdc_batch_txns bt WHERE bt.tick_id <= keep;
  DELETE FROM dataeng_internal.cdc_batch_tables b WHERE b.tick_id <= keep;
  DELETE FROM dataeng_internal.cdc_ticks tk WHERE tk.tick_id < keep;
END;
$$;
REVOKE ALL ON FUNCTION dataeng.cdc_purge() FROM PUBLIC;
COMMENT ON FUNCTION dataeng.cdc_purge() IS
  'Truncates change-log segments whose changes every consumer has acknowledged';

-- Internal objects, for whoever meets them in \df or \d.
COMMENT ON SEQUENCE dataeng_internal.cdc_tick_seq IS 'tick_id of dataeng_internal.cdc_ticks';
COMMENT ON FUNCTION dataeng_internal._cdc_ack(regrole, text, bigint) IS 'internal: body of dataeng.cdc_ack()';
COMMENT ON FUNCTION dataeng_internal._cdc_ack(regrole, text) IS 'internal: body of dataeng.cdc_ack(text)';
COMMENT ON FUNCTION dataeng_internal._cdc_can_read(regrole, oid) IS 'internal: whether a role may read every change of a table';
COMMENT ON FUNCTION dataeng_internal._cdc_check_table(regclass, regrole) IS 'internal: refuse tables capture cannot be installed on';
COMMENT ON FUNCTION dataeng_internal._cdc_check_inheritance(regclass, boolean) IS 'internal: refuse capture within an inheritance tree';
COMMENT ON FUNCTION dataeng_internal._cdc_wal_caught_up(interval) IS 'internal: wait until the WAL capture worker has recorded what was committed before';
COMMENT ON FUNCTION dataeng_internal._cdc_consumer(text, regrole, boolean) IS 'internal: lock a consumer the calling role may use';
COMMENT ON FUNCTION dataeng_internal._cdc_consumer_create(regrole, text, regclass[], boolean) IS 'internal: body of dataeng.cdc_consumer_create()';
COMMENT ON FUNCTION dataeng_internal._cdc_snapshot_copy(text, regrole, regclass, text[], text[], xid8, xid8, xid8[], bigint) IS 'internal: copy the rows of a consumer''s initial snapshot';
COMMENT ON FUNCTION dataeng_internal._cdc_snapshot_ack(dataeng_internal.cdc_consumer_state, bigint) IS 'internal: acknowledge rows of a consumer''s initial snapshot';
COMMENT ON FUNCTION dataeng_internal._cdc_snapshot_usable(xid8) IS 'internal: whether the rows a tick sees can still be read';
COMMENT ON FUNCTION dataeng_internal._cdc_require_snapshot_acked(text, regrole) IS 'internal: refuse a consumer whose initial snapshot is not acknowledged (readers other than cdc_poll)';
COMMENT ON FUNCTION dataeng_internal._cdc_consumer_drop(regrole, text) IS 'internal: body of dataeng.cdc_consumer_drop()';
COMMENT ON FUNCTION dataeng_internal._cdc_consumer_list() IS 'internal: body of the view dataeng.cdc_consumers';
COMMENT ON FUNCTION dataeng_internal._cdc_consumer_list_as_owner(regrole) IS 'internal: body of dataeng_internal._cdc_consumer_list()';
COMMENT ON FUNCTION dataeng_internal._cdc_disable(regrole, regclass) IS 'internal: body of dataeng.cdc_disable()';
COMMENT ON FUNCTION dataeng_internal._cdc_drop_triggers(regclass) IS 'internal: drop the capture triggers of one table';
COMMENT ON FUNCTION dataeng_internal._cdc_enable(regrole, regclass, text[], text[], boolean, text) IS 'internal: body of dataeng.cdc_enable()';
COMMENT ON FUNCTION dataeng_internal._cdc_install(regclass, text, boolean) IS 'internal: install the capture triggers on a table';
COMMENT ON FUNCTION dataeng_internal._cdc_lag(dataeng_internal.cdc_consumer_state, regrole) IS 'internal: pending changes of a consumer';
COMMENT ON FUNCTION dataeng_internal._cdc_count_batches(integer) IS 'internal: count by table the changes of batches not counted yet (maintain())';
COMMENT ON FUNCTION dataeng_internal._cdc_on_ddl() IS 'internal: event trigger following partition DDL';
COMMENT ON FUNCTION dataeng_internal._cdc_on_drop() IS 'internal: event trigger forgetting dropped tables';
COMMENT ON FUNCTION dataeng_internal._cdc_poll(regrole, text, int, boolean) IS 'internal: body of dataeng.cdc_poll()';
COMMENT ON FUNCTION dataeng_internal._cdc_poll_ranges(dataeng_internal.cdc_consumer_state, regrole, int, boolean) IS 'internal: where a poll of a consumer starts and stops, batch by batch';
COMMENT ON FUNCTION dataeng_internal._cdc_rename_column(oid, text, text, boolean) IS 'internal: follow a column rename in capture options';
COMMENT ON FUNCTION dataeng_internal._cdc_snapshot_with(pg_snapshot, xid8) IS 'internal: a snapshot in which a transaction is running';
COMMENT ON FUNCTION dataeng_internal._cdc_sync_triggers() IS 'internal: make the capture triggers what cdc_tables says';
COMMENT ON FUNCTION dataeng_internal._cdc_sync_triggers(regclass[]) IS 'internal: make the capture triggers of some tables what cdc_tables says';
COMMENT ON FUNCTION dataeng_internal._cdc_tick(boolean) IS 'internal: cut a new batch of the change log';
COMMENT ON FUNCTION dataeng_internal._cdc_tick_covers(pg_snapshot, pg_snapshot) IS 'internal: whether a tick holds every change committed in a snapshot';
COMMENT ON FUNCTION dataeng_internal._cdc_tick_here() IS 'internal: whether a tick must be cut in the calling transaction';
COMMENT ON FUNCTION dataeng_internal._cdc_tick_now(boolean) IS 'internal: the newest tick, cut now in a transaction of its own if needed';
COMMENT ON FUNCTION dataeng_internal._cdc_tick_worker() IS 'internal: cut a tick in a background worker''s transaction';
COMMENT ON FUNCTION dataeng_internal._cdc_trigger_args(text[], text[], boolean) IS 'internal: the capture triggers'' arguments';
COMMENT ON FUNCTION dataeng_internal._cdc_trigger_argv(text[], text[], boolean) IS 'internal: the capture triggers'' argument values';

