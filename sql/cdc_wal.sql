-----------------------------------------------------------------------------
-- Change capture from the WAL (src/cdc/wal_*.c)
--
-- A table enabled with cdc_enable(..., method => 'wal') has no capture
-- trigger: a background worker of its database ("dataeng wal capture")
-- decodes the logical slot dataeng_wal_<database oid> with PostgreSQL's
-- pgoutput plugin (publication dataeng_wal) and writes the same change
-- records into dataeng_internal.change_log, one worker transaction per round of
-- decoded source transactions.  Exactly once: the position applied is kept
-- in cdc_wal_state in the same transaction as the records, and the slot is
-- advanced only after that commits (re-decoding is skipped by position).
--
-- cdc_tables.method is what the owner asked for, active_method what is in
-- place: the worker switches a table (triggers off and into the
-- publication, or back) with the table locked against writers, after it
-- has applied all WAL written before, so that no change is lost or doubled
-- and the log keeps the writers' commit order.
--
-- on_change triggers: handler(changes dataeng.change[]) is called by the
-- worker with each committed source transaction's changes of a table, in
-- commit order, in the transaction that records the position, or, deferred
-- past the time budget of its role or of the round, in a later round's
-- that deletes the batch from on_change_backlog.
-----------------------------------------------------------------------------

ALTER TABLE dataeng.cdc_tables
  ADD COLUMN method text NOT NULL DEFAULT 'trigger'
    CONSTRAINT cdc_tables_method_check CHECK (method IN ('trigger', 'wal')),
  ADD COLUMN active_method text NOT NULL DEFAULT 'trigger'
    CONSTRAINT cdc_tables_active_method_check CHECK (active_method IN ('trigger', 'wal'));
ALTER TABLE dataeng.cdc_tables ADD COLUMN capture_error text;
COMMENT ON COLUMN dataeng.cdc_tables.capture_error IS
  'Why the WAL worker stopped capturing the table (a change it could not decode), NULL while it captures';
ALTER TABLE dataeng.cdc_tables ADD COLUMN capture_stopped_at timestamptz;
COMMENT ON COLUMN dataeng.cdc_tables.capture_stopped_at IS
  'When the WAL worker stopped capturing the table, NULL while it captures';
-- (a consumer's read looks for stopped tables at each poll: the probe is
-- this index, empty while every table is captured)
CREATE INDEX cdc_tables_capture_stopped_idx ON dataeng.cdc_tables (table_name)
  WHERE capture_error IS NOT NULL;
COMMENT ON COLUMN dataeng.cdc_tables.method IS
  'How changes are captured: trigger, or wal (decoded from the WAL by a background worker)';
COMMENT ON COLUMN dataeng.cdc_tables.active_method IS
  'The method in place; differs from method until the WAL worker has switched the table';

-- The position of the database's WAL capture: every source transaction
-- whose commit ends at or before applied_lsn is in the change log.
CREATE TABLE dataeng_internal.cdc_wal_state (
  slot_name        name        PRIMARY KEY,
  applied_lsn      pg_lsn      NOT NULL,
  last_commit_lsn  pg_lsn,
  last_commit_time timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE dataeng_internal.cdc_wal_state IS
  'Position of WAL-mode capture: source transactions applied to the change log';

-- Per table: the last source transaction decoded into the change log.
CREATE TABLE dataeng_internal.cdc_wal_tables (
  table_name       oid         PRIMARY KEY,
  last_commit_lsn  pg_lsn      NOT NULL,
  last_commit_time timestamptz NOT NULL,
  changes          bigint      NOT NULL DEFAULT 0
);
COMMENT ON TABLE dataeng_internal.cdc_wal_tables IS
  'Last decoded commit of each WAL-captured table';

CREATE TABLE dataeng_internal.on_change_triggers (
  trigger_name  text          PRIMARY KEY,
  table_name    regclass      NOT NULL,
  handler       oid           NOT NULL,  -- the function's oid in handler_catalog
  ops           "char"[]      NOT NULL,
  owner         regrole       NOT NULL,
  on_error      text          NOT NULL DEFAULT 'dead_letter'
    CHECK (on_error IN ('dead_letter', 'pause')),
  -- transactions committed after this position are handled
  from_lsn      pg_lsn        NOT NULL,
  created_at    timestamptz   NOT NULL DEFAULT now(),
  handled_lsn   pg_lsn,
  handled_at    timestamptz,
  paused_at     timestamptz,
  CHECK (trigger_name <> ''),
  -- while paused: the commit of the first batch set aside (to dead_letters)
  resume_from   pg_lsn,
  -- on_change_resume() asked the worker to handle the set-aside batches
  resume_requested boolean    NOT NULL DEFAULT false,
  -- while paused: why (on_change_pause(), on_error => 'pause',
  -- dataeng.on_change_max_backlog)
  pause_reason  text,
  -- the handler by name, and where its oid is valid (as
  -- dataeng_internal.alert_handlers: pg_upgrade carries it)
  handler_name    text,
  handler_catalog text        NOT NULL DEFAULT dataeng_internal._catalog_id(),
  -- the owner's name: NULL once the WAL worker saw its oid name no role
  owner_name      name
);
COMMENT ON TABLE dataeng_internal.on_change_triggers IS
  'Handlers the WAL worker calls with each committed transaction''s changes of a table';
COMMENT ON COLUMN dataeng_internal.on_change_triggers.owner_name IS
  'The owner''s role name, followed on a rename by the WAL worker; NULL once the worker saw the owner oid name no role (dropped): the handler is never called again, whichever role gets that oid later';
COMMENT ON COLUMN dataeng_internal.on_change_triggers.pause_reason IS
  'Why the trigger is paused, NULL while it is not';
COMMENT ON COLUMN dataeng_internal.on_change_triggers.handler IS
  'The handler''s oid in the catalog of handler_catalog';
COMMENT ON COLUMN dataeng_internal.on_change_triggers.handler_name IS
  'The handler''s schema-qualified name and argument types, following renames: the function in another catalog (after pg_upgrade)';
COMMENT ON COLUMN dataeng_internal.on_change_triggers.handler_catalog IS
  'Where handler is the function''s oid: the system identifier and the oid of dataeng''s extension row (dataeng_internal._catalog_id())';

CREATE TABLE dataeng.dead_letters (
  id            bigserial     PRIMARY KEY,
  trigger_name  text          NOT NULL,
  table_name    regclass,
  owner         regrole       NOT NULL,
  commit_lsn    pg_lsn        NOT NULL,
  commit_time   timestamptz   NOT NULL,
  changes       dataeng.change[] NOT NULL,
  error         text,
  sqlstate      text,
  attempts      int           NOT NULL,
  failed_at     timestamptz   NOT NULL DEFAULT now(),
  dropped_table text,
  owner_name    name,
  owner_system  bigint        DEFAULT (pg_catalog.pg_control_system()).system_identifier,
  detail        text,
  hint          text,
  depth         int           NOT NULL DEFAULT 0
);
SELECT pg_catalog.pg_extension_config_dump('dataeng.dead_letters', '');
COMMENT ON COLUMN dataeng.dead_letters.depth IS
  'How deep in on_change handlers the batch was written (0: not by a handler); on_change_resume() hands it over as deep';
COMMENT ON COLUMN dataeng.dead_letters.detail IS
  'The DETAIL of the handler''s error (error holds its message, sqlstate its SQLSTATE)';
COMMENT ON COLUMN dataeng.dead_letters.hint IS
  'The HINT of the handler''s error';
COMMENT ON COLUMN dataeng.dead_letters.owner_name IS
  'The trigger owner''s role name when the batch was recorded: a batch restored in another cluster, whose owner oid there names a role of another name, is shown to superusers only';
COMMENT ON COLUMN dataeng.dead_letters.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';
-- (by table: an sql_drop event trigger detaches a dropped table's rows, ops.sql)
CREATE INDEX dead_letters_table_idx ON dataeng.dead_letters (table_name);
SELECT pg_catalog.pg_extension_config_dump('dataeng.dead_letters_id_seq', '');
COMMENT ON TABLE dataeng.dead_letters IS
  'Batches an on_change handler failed on (or that came while it was paused)';
COMMENT ON COLUMN dataeng.dead_letters.id IS 'Identifier of the dead letter';
COMMENT ON COLUMN dataeng.dead_letters.trigger_name IS 'The on_change trigger whose handler failed';
COMMENT ON COLUMN dataeng.dead_letters.table_name IS 'The captured table';
COMMENT ON COLUMN dataeng.dead_letters.owner IS 'Owner of the trigger';
COMMENT ON COLUMN dataeng.dead_letters.commit_lsn IS 'Commit position of the transaction whose changes failed';
COMMENT ON COLUMN dataeng.dead_letters.commit_time IS 'Commit time of that transaction';
COMMENT ON COLUMN dataeng.dead_letters.changes IS 'The changes handed to the handler';
COMMENT ON COLUMN dataeng.dead_letters.error IS 'The handler''s error message';
COMMENT ON COLUMN dataeng.dead_letters.sqlstate IS 'The handler''s error code';
COMMENT ON COLUMN dataeng.dead_letters.attempts IS 'Calls of the handler made for these changes';
COMMENT ON COLUMN dataeng.dead_letters.failed_at IS 'When the last call failed';

-- The batches of a trigger whose handler the worker deferred: its role's
-- handlers took dataeng.on_change_role_budget in a round (or every role's
-- dataeng.on_change_round_budget), so the batch waits here and capture
-- goes on.  A trigger with a backlog hands it to
-- its handler first, oldest first, in later rounds; its new batches join
-- the backlog until it is empty.  (trigger_name, from_lsn) names the
-- trigger: one made again under the name has another from_lsn.  The
-- backlog of a trigger dropped (on_change_drop(), DROP TABLE) is deleted by
-- the worker's next round, which alone writes this table (no session holds
-- a row of it that a round would wait for).
CREATE TABLE dataeng_internal.on_change_backlog (
  id            bigserial     PRIMARY KEY,
  trigger_name  text          NOT NULL,
  from_lsn      pg_lsn        NOT NULL,
  commit_lsn    pg_lsn        NOT NULL,
  end_lsn       pg_lsn        NOT NULL,
  commit_time   timestamptz   NOT NULL,
  -- empty: too large to keep (dataeng.on_change_max_batch)
  changes       dataeng.change[] NOT NULL,
  -- calls made so far, and no new one before not_before (the back-off)
  attempts      int           NOT NULL DEFAULT 0,
  not_before    timestamptz,
  deferred_at   timestamptz   NOT NULL DEFAULT now(),
  -- its calls cut off in a row, each with its role's whole budget, by
  -- that budget (dataeng.on_change_timeout = 0)
  cut_off       int           NOT NULL DEFAULT 0,
  -- how deep in on_change handlers its changes were written (0: not by a
  -- handler): its handler's writes are one level deeper
  depth         int           NOT NULL DEFAULT 0
);
CREATE INDEX on_change_backlog_trigger_idx ON dataeng_internal.on_change_backlog (trigger_name, commit_lsn, id);
COMMENT ON TABLE dataeng_internal.on_change_backlog IS
  'Batches whose on_change handler the WAL worker deferred to a later round (the time budget of the role, or of the round, was spent)';

REVOKE ALL ON dataeng_internal.cdc_wal_state, dataeng_internal.cdc_wal_tables, dataeng_internal.on_change_triggers,
  dataeng.dead_letters, dataeng_internal.on_change_backlog FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng.dead_letters_id_seq, dataeng_internal.on_change_backlog_id_seq FROM PUBLIC;

-- The rounds of the WAL worker whose on_change handlers wrote WAL, by the
-- round's transaction id: a source transaction decoded later with that id
-- was written by those handlers, and each of its changes is one level
-- deeper than the batch of the call that wrote it.  The calls with a batch
-- 1 level deep or more are kept with the WAL each wrote, [starts[i],
-- ends[i]) of depths[i]; any other change of the round is 1 deep.  Written
-- in the round's transaction, so that the depth of a loop of handlers is
-- counted across restarts of the worker.  committed_before: a position
-- past the round's commit, set by a later round; the row is deleted once
-- the worker applied the WAL up to there.  Written by the worker alone.
CREATE TABLE dataeng_internal.on_change_depths (
  round_xid        xid8      PRIMARY KEY,
  starts           pg_lsn[]  NOT NULL,
  ends             pg_lsn[]  NOT NULL,
  depths           int[]     NOT NULL,
  committed_before pg_lsn
);
COMMENT ON TABLE dataeng_internal.on_change_depths IS
  'The WAL the on_change handlers of a round of the WAL worker wrote, and how deep in handlers each call was';
REVOKE ALL ON dataeng_internal.on_change_depths FROM PUBLIC;

-- A resume (on_change_resume()) that its role's budget cut: the calls made
-- so far to hand the set-aside batch dead_letter_id to its handler, and no
-- new one before not_before (the back-off).  The next rounds go on from
-- there, after a restart of the worker too, so that the batch gets the
-- retries of dataeng.on_change_retries, not more.  Written by the worker
-- alone, in the round's transaction; a row whose dead letter is gone is
-- deleted by the next round.
CREATE TABLE dataeng_internal.on_change_resume_progress (
  dead_letter_id bigint      PRIMARY KEY,
  attempts       int         NOT NULL,
  not_before     timestamptz,
  -- its calls cut off in a row by its role's whole budget (as on_change_backlog's)
  cut_off        int         NOT NULL DEFAULT 0
);
COMMENT ON TABLE dataeng_internal.on_change_resume_progress IS
  'Calls made to hand a set-aside batch to its handler in a resume cut by the time budget of a round';
REVOKE ALL ON dataeng_internal.on_change_resume_progress FROM PUBLIC;

-- A table the WAL worker stopped capturing (a change it could not decode,
-- its lock not granted in time: wal_break_table) while another transaction
-- held the table's row of dataeng.cdc_tables (cdc_enable(), cdc_disable(),
-- an ALTER TABLE of it, which the table's owner may keep open): the round
-- does not wait for that row, which held capture of every table of the
-- database as long as that transaction lasted, but keeps the stop here, in
-- its own transaction; the next rounds move it to cdc_tables.capture_error
-- once the row is free.  The table is not captured meanwhile, and
-- cdc_status shows the stop.  Written by the worker alone (and deleted by
-- cdc_enable(), which resumes the table).
CREATE TABLE dataeng_internal.cdc_wal_stops (
  table_name    oid         PRIMARY KEY,
  capture_error text        NOT NULL,
  stopped_at    timestamptz NOT NULL
);
COMMENT ON TABLE dataeng_internal.cdc_wal_stops IS
  'Tables the WAL worker stopped capturing while their row of dataeng.cdc_tables was locked, until it records the stop there';
REVOKE ALL ON dataeng_internal.cdc_wal_stops FROM PUBLIC;

-- Tables captured from the WAL that a transaction dropped after writing
-- them: what the worker needs to record those changes, which it decodes
-- after the commit, when the table, its row of dataeng.cdc_tables and
-- its key are gone; generated_columns and generated_exprs: its stored
-- generated columns (and those the transaction made plain ones) and
-- their expressions, node trees whose Vars number column_names
-- (src/cdc/wal_generated.c).  Written by the DROP (src/cdc/ddl.c,
-- cdc_wal_before_drop) in its own transaction, which also writes a
-- logical message for the worker; deleted by the worker's round that
-- records that transaction (or, when it had no change to record, once
-- the slot has decoded past it).
CREATE TABLE dataeng_internal.cdc_wal_dropped (
  table_oid       oid     NOT NULL,
  dropped_xid     xid8    NOT NULL,
  table_ident     text    NOT NULL,
  table_owner     oid     NOT NULL,
  columns         text[],
  exclude_columns text[],
  changed_only    boolean NOT NULL,
  key_columns     text[],
  column_names    text[]  NOT NULL,
  column_types    oid[]   NOT NULL,
  column_typmods  int4[]  NOT NULL,
  column_read_types oid[] NOT NULL,
  generated_columns text[],
  generated_exprs text[],
  PRIMARY KEY (table_oid, dropped_xid)
);
COMMENT ON TABLE dataeng_internal.cdc_wal_dropped IS
  'Tables captured from the WAL dropped by a transaction that wrote them: their capture options, key and columns, until the WAL worker records that transaction';
REVOKE ALL ON dataeng_internal.cdc_wal_dropped FROM PUBLIC;

-- Whether the server lets the WAL capture worker decode with pgoutput:
-- PostgreSQL 15.19 and later load only the output plugins listed in
-- output_plugin_libraries (a comma-separated list of library names; a
-- name with its directory counts by its last part: rather let the worker
-- say it cannot than refuse what the server may allow); older servers
-- have no such setting and load any.
CREATE FUNCTION dataeng_internal._cdc_wal_plugin_allowed()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT current_setting('output_plugin_libraries', true) IS NULL
      OR EXISTS (SELECT 1
                   FROM unnest(string_to_array(current_setting('output_plugin_libraries', true), ',')) AS l(lib)
                  WHERE regexp_replace(btrim(l.lib, ' "'), '^.*/', '') OPERATOR(pg_catalog.=) 'pgoutput')
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_plugin_allowed() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_plugin_allowed() IS
  'internal: whether output_plugin_libraries (PostgreSQL 15.19 and later) lets the WAL capture worker decode with pgoutput';

-- Checks and preparation of cdc_enable(..., method): for 'wal', the
-- server's wal_level, the preloaded library (its launcher restarts the
-- worker after a restart), REPLICA IDENTITY FULL (old row images: facts,
-- dimensions and old_row need them), and the worker started at commit.
CREATE FUNCTION dataeng_internal._cdc_wal_prepare(tbl regclass, method text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  keyed record;
BEGIN
  IF method IS NULL OR method NOT IN ('trigger', 'wal') THEN
    RAISE EXCEPTION 'unknown capture method "%"', method
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use method => ''trigger'' or method => ''wal''.';
  END IF;
  -- Enabling again resumes a table the worker stopped capturing (a change
  -- it could not decode, its slot invalidated): its capture trigger takes
  -- over at once, and the worker switches it back to the WAL as it
  -- switches any table, so nothing committed after this call is lost.
  UPDATE dataeng.cdc_tables ct SET capture_error = NULL, capture_stopped_at = NULL, active_method = 'trigger'
   WHERE ct.table_name = tbl
     AND (ct.capture_error IS NOT NULL
          OR EXISTS (SELECT 1 FROM dataeng_internal.cdc_wal_stops s WHERE s.table_name = tbl::oid));
  DELETE FROM dataeng_internal.cdc_wal_stops s WHERE s.table_name = tbl::oid;
  IF method = 'trigger' THEN
    RETURN;
  END IF;
  IF current_setting('wal_level') <> 'logical' THEN
    RAISE EXCEPTION 'capture from the WAL requires wal_level = logical'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('wal_level is %s.', current_setting('wal_level')),
            HINT = 'Set wal_level = logical in postgresql.conf and restart the server, or use method => ''trigger''.';
  END IF;
  PERFORM dataeng.require_preload('capture from the WAL');
  -- PostgreSQL 15.19 and later decode only with the output plugins that
  -- output_plugin_libraries lists, the worker's pgoutput too: without it
  -- the worker failed at each start, in the background, while this call
  -- succeeded and cdc_wal_sync() waited out its timeout.
  IF NOT dataeng_internal._cdc_wal_plugin_allowed() THEN
    RAISE EXCEPTION 'capture from the WAL requires output_plugin_libraries to list pgoutput'
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('The WAL capture worker decodes with the output plugin pgoutput; output_plugin_libraries is ''%s''.',
                            current_setting('output_plugin_libraries')),
            HINT = 'Add pgoutput to output_plugin_libraries and reload the configuration (SELECT pg_reload_conf()), or use method => ''trigger''.';
  END IF;
  -- A table without a primary key is keyed by its replica identity index
  -- (pk of its changes, as the trigger records them); REPLICA IDENTITY
  -- FULL forgets that index, and its changes would have a NULL pk from
  -- the switch on, also after a switch back to trigger capture.
  SELECT tbl AS rel, i.indexrelid::regclass AS idx INTO keyed
    FROM pg_class c JOIN pg_index i ON i.indrelid = c.oid AND i.indisreplident
   WHERE c.oid = tbl AND c.relreplident = 'i'
     AND NOT EXISTS (SELECT 1 FROM pg_index p WHERE p.indrelid = tbl AND p.indisprimary);
  IF keyed.rel IS NOT NULL THEN
    RAISE EXCEPTION 'table % is keyed by its replica identity index %, which capture from the WAL would replace', keyed.rel, keyed.idx
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('Capture from the WAL sets REPLICA IDENTITY FULL; table %s has no primary key, so the pk of its changes would be NULL from then on.', keyed.rel),
            HINT = format('Make the index its primary key first: ALTER TABLE %s ADD PRIMARY KEY USING INDEX %s;',
                          keyed.rel, quote_ident((SELECT c.relname FROM pg_class c WHERE c.oid = keyed.idx)));
  END IF;
  PERFORM dataeng_internal._cdc_wal_full(tbl);
  -- The worker makes the database's slot: when none is free, say so now
  -- (the table stays on its trigger until a slot is made; the worker's
  -- failures show in pipeline_status)
  IF NOT EXISTS (SELECT 1 FROM pg_replication_slots s WHERE s.slot_name = dataeng_internal._cdc_wal_slot())
     AND (SELECT count(*) FROM pg_replication_slots) >= current_setting('max_replication_slots')::int THEN
    RAISE WARNING 'no replication slot is free for the WAL capture of this database'
      USING ERRCODE = 'configuration_limit_exceeded',
            DETAIL = format('All %s replication slots (max_replication_slots) are in use: the WAL capture worker cannot make slot "%s", and table %s stays captured by its trigger until it can.',
                            current_setting('max_replication_slots'), dataeng_internal._cdc_wal_slot(), tbl),
            HINT = 'Raise max_replication_slots (it takes a server restart), or drop a slot nothing reads (see pg_replication_slots); the worker tries again by itself.';
  END IF;
  PERFORM dataeng_internal._cdc_wal_start();
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_prepare(regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_prepare(regclass, text) IS
  'internal: check a capture method and prepare a table for capture from the WAL';

-- REPLICA IDENTITY FULL on rel and on every partition under it.  The WAL
-- holds an old row as the replica identity of the table the row is in:
-- for a partitioned table, its partition's.  pgoutput sends a partition's
-- old row under the partitioned table (publish_via_partition_root) and
-- marks it whole when the partitioned table is FULL, so a partition left
-- at DEFAULT would give old rows whose other columns read NULL.
CREATE FUNCTION dataeng_internal._cdc_wal_full(rel regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  unlogged regclass;
BEGIN
  -- The changes of an unlogged table are not in the WAL: none would be
  -- captured (and PostgreSQL refuses it in a publication, which stopped
  -- the worker, so the capture of every table, at each switch).
  SELECT t.relid::regclass INTO unlogged
    FROM (SELECT rel::oid AS relid UNION SELECT pt.relid FROM pg_partition_tree(rel) pt) t
    JOIN pg_class c ON c.oid = t.relid
   WHERE c.relpersistence = 'u'
   ORDER BY t.relid LIMIT 1;
  IF unlogged IS NOT NULL THEN
    RAISE EXCEPTION 'cannot capture unlogged table % from the WAL', unlogged
      USING ERRCODE = 'feature_not_supported',
            DETAIL = 'The changes of an unlogged table are not written to the WAL.',
            HINT = 'Capture it with method => ''trigger'', or make it logged first (ALTER TABLE ... SET LOGGED).';
  END IF;
  FOR r IN SELECT t.relid::regclass AS part
             FROM (SELECT rel::oid AS relid, 0 AS level
                   UNION
                   SELECT pt.relid, pt.level FROM pg_partition_tree(rel) pt) t
             JOIN pg_class c ON c.oid = t.relid
            WHERE c.relkind IN ('r', 'p') AND c.relreplident <> 'f'
            ORDER BY t.level, t.relid LOOP
    -- (read again: an ALTER of this loop may have reached it)
    CONTINUE WHEN (SELECT c.relreplident FROM pg_class c WHERE c.oid = r.part) = 'f';
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY FULL', r.part);
    RAISE NOTICE 'table % now has REPLICA IDENTITY FULL', r.part
      USING DETAIL = 'Capture from the WAL records whole old rows, as the capture trigger does.';
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_full(regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_full(regclass) IS
  'internal: set REPLICA IDENTITY FULL on a table captured from the WAL and its partitions';

-- Run by the event trigger dataeng_cdc_on_ddl (src/cdc/ddl.c) after a
-- statement that added partitions to rel's tree (refuse false) or set
-- rel's REPLICA IDENTITY (refuse true), when rel is captured from the WAL
-- or is a partition of a table that is: a new partition gets REPLICA
-- IDENTITY FULL; an identity other than FULL is returned, as rel and the
-- captured table, for the event trigger to refuse (the worker would have
-- no old row to record, and a table without a key would refuse its
-- writers' UPDATE and DELETE).
CREATE FUNCTION dataeng_internal._cdc_wal_identity(rel regclass, refuse boolean)
RETURNS TABLE (refused regclass, captured regclass)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  wal_table regclass;
BEGIN
  SELECT ct.table_name INTO wal_table
    FROM (SELECT rel::oid AS relid, 0::bigint AS n
          UNION
          SELECT a.relid, a.n FROM pg_partition_ancestors(rel) WITH ORDINALITY a(relid, n)) up
    JOIN dataeng.cdc_tables ct ON ct.table_name = up.relid
   WHERE 'wal' IN (ct.method, ct.active_method)
   ORDER BY up.n LIMIT 1;
  IF wal_table IS NULL THEN
    RETURN;
  END IF;
  IF refuse THEN
    IF (SELECT c.relreplident FROM pg_class c WHERE c.oid = rel) <> 'f' THEN
      RETURN QUERY SELECT rel, wal_table;
    END IF;
    RETURN;
  END IF;
  PERFORM dataeng_internal._cdc_wal_full(rel);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_identity(regclass, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_identity(regclass, boolean) IS
  'internal: keep REPLICA IDENTITY FULL on tables captured from the WAL and their new partitions';

-- Start this database's WAL worker when the transaction commits (a
-- worker already running keeps its place; the new one exits).
CREATE FUNCTION dataeng_internal._cdc_wal_start()
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_start'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_start() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_start() IS
  'internal: start the WAL capture worker of this database at commit';

-- A restored database (pg_restore) gets dataeng.cdc_tables, configuration,
-- and the publication, but no slot, no position and no worker: a table
-- restored as captured from the WAL had nothing capturing it (no trigger,
-- and no worker to start after a server start either, since none has a
-- slot there), while cdc_tables said it was.  Each such row restored
-- starts the database's worker at the commit of the restore's
-- transaction (it waits for the restore to end, then makes its slot and
-- captures from there: wal_prepare() in src/cdc/wal_worker.c); a server
-- that cannot capture from the WAL says so.  cdc_enable() inserts its rows
-- with active_method 'trigger' and starts the worker itself.
CREATE FUNCTION dataeng_internal._cdc_wal_restore()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF current_setting('wal_level') <> 'logical'
     OR NOT coalesce((SELECT i.preloaded FROM dataeng.info() i), false) THEN
    RAISE WARNING 'table % is captured from the WAL, which this server cannot do', NEW.table_name
      USING DETAIL = format('wal_level is %s, and dataeng is %sin shared_preload_libraries: its changes are not captured.',
                            current_setting('wal_level'),
                            CASE WHEN coalesce((SELECT i.preloaded FROM dataeng.info() i), false) THEN '' ELSE 'not ' END),
            HINT = 'Set wal_level = logical and shared_preload_libraries = ''dataeng'', restart the server and call dataeng.cdc_enable() with method => ''wal'' again, or call it with method => ''trigger''.';
  ELSE
    -- The database's worker already has its slot (it captures from the
    -- WAL here): it is not started anew, and adds the tables its
    -- publication misses only as it starts.  A restore that brings no
    -- publication (--data-only, --no-publications) would leave the table
    -- uncaptured: it is added now (_cdc_wal_publish(), a WARNING if it
    -- cannot be).  (A restore that brings it then fails its ALTER
    -- PUBLICATION ... ADD TABLE, as its CREATE PUBLICATION: it was there.)
    IF EXISTS (SELECT 1 FROM pg_replication_slots s
                WHERE s.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot())
       AND EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname OPERATOR(pg_catalog.=) 'dataeng_wal') THEN
      PERFORM dataeng_internal._cdc_wal_publish('dataeng_wal', true);
    END IF;
    PERFORM dataeng_internal._cdc_wal_start();
  END IF;
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_restore() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_restore() IS
  'internal: start the WAL capture worker for a table restored as captured from the WAL';
CREATE TRIGGER restore_wal AFTER INSERT ON dataeng.cdc_tables
  FOR EACH ROW WHEN (NEW.active_method = 'wal')
  EXECUTE FUNCTION dataeng_internal._cdc_wal_restore();

-- Run by the WAL worker as it starts, before it makes its slot: every
-- table cdc_tables says is captured from the WAL (active_method 'wal') is
-- in the publication.  Where the worker has just created the publication
-- (a dump made with --no-publications, or the publication dropped), it
-- adds them all; where the publication was there, a table missing from it
-- would be left silently uncaptured: it is added with a WARNING naming it.
-- (Partitioned tables are added whole, as _cdc_wal_switch() does: the
-- publication publishes via the partition root.)  A table that cannot be
-- added is named in a WARNING and left as it is; the worker, which runs it
-- under a short lock_timeout (a table whose lock is held fails with
-- lock_not_available), tries again later (wal_publish_check() in
-- src/cdc/wal_worker.c).  Also run every few seconds by the worker when a
-- table is missing, and by _cdc_wal_restore().
CREATE FUNCTION dataeng_internal._cdc_wal_publish(publication name, created boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  -- (the worker's lock_timeout, for the ALTER PUBLICATION of each table:
  -- the read of cdc_tables waits as any, so that a long lock on it, an
  -- ALTER EXTENSION UPDATE, does not end the worker in an error)
  wait text := current_setting('lock_timeout');
BEGIN
  PERFORM set_config('lock_timeout', '0', true);
  FOR r IN SELECT ct.table_name FROM dataeng.cdc_tables ct
            WHERE ct.active_method = 'wal'
              AND NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                               WHERE p.pubname = publication AND pr.prrelid = ct.table_name)
            ORDER BY ct.table_name LOOP
    BEGIN
      PERFORM set_config('lock_timeout', wait, true);
      EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', publication, r.table_name);
      PERFORM set_config('lock_timeout', '0', true);
      IF NOT created THEN
        RAISE WARNING 'table % is captured from the WAL but was missing from publication %; it was added',
                      r.table_name, publication
          USING DETAIL = 'Its changes committed before were not captured.';
      END IF;
    EXCEPTION
      WHEN lock_not_available THEN
        RAISE WARNING 'table % is captured from the WAL but could not be added to publication % yet: %',
                      r.table_name, publication, SQLERRM
          USING DETAIL = 'Another transaction holds a lock on it.  Its changes are not captured until it is added.',
                HINT = 'The WAL capture worker tries again, at longer and longer intervals (at most 5 min).';
      WHEN OTHERS THEN
        RAISE WARNING 'table % is captured from the WAL but could not be added to publication %: %',
                      r.table_name, publication, SQLERRM
          USING DETAIL = 'Its changes are not captured.',
                HINT = 'Call dataeng.cdc_enable() for it with method => ''trigger'', or fix the cause: the WAL capture worker tries again, at longer and longer intervals (at most 5 min).';
    END;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_publish(name, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_publish(name, boolean) IS
  'internal: add to the publication the tables captured from the WAL that it misses (run by the WAL worker as it starts)';

-- Run by the WAL worker in a round that has applied every change written
-- before it locked the tables being switched: make the publication and
-- the capture triggers what cdc_tables asks for.
CREATE FUNCTION dataeng_internal._cdc_wal_switch(publication name)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r record;
  switched regclass[] := '{}';
BEGIN
  -- (only the tables the worker could lock this round: the others wait)
  FOR r IN SELECT ct.table_name, ct.method FROM dataeng.cdc_tables ct
            WHERE ct.method <> ct.active_method
              AND dataeng_internal._cdc_wal_locked(ct.table_name::oid)
            ORDER BY ct.table_name LOOP
    IF r.method = 'wal' AND EXISTS (
         SELECT 1 FROM (SELECT r.table_name::oid AS relid
                        UNION SELECT pt.relid FROM pg_partition_tree(r.table_name) pt) t
           JOIN pg_class c ON c.oid = t.relid
          WHERE c.relpersistence = 'u') THEN
      -- (enabled before cdc_enable refused it: stays with its trigger)
      RAISE WARNING 'table % is unlogged: it is captured by its trigger, not from the WAL', r.table_name
        USING DETAIL = 'The changes of an unlogged table are not written to the WAL.';
      UPDATE dataeng.cdc_tables ct SET method = 'trigger' WHERE ct.table_name = r.table_name;
      CONTINUE;
    END IF;
    IF r.method = 'wal' THEN
      IF NOT EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                      WHERE p.pubname = publication AND pr.prrelid = r.table_name) THEN
        EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s', publication, r.table_name);
      END IF;
    ELSE
      IF EXISTS (SELECT 1 FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
                  WHERE p.pubname = publication AND pr.prrelid = r.table_name) THEN
        EXECUTE format('ALTER PUBLICATION %I DROP TABLE %s', publication, r.table_name);
      END IF;
    END IF;
    UPDATE dataeng.cdc_tables ct SET active_method = r.method WHERE ct.table_name = r.table_name;
    switched := switched || r.table_name;
  END LOOP;
  -- tables no longer captured from the WAL (disabled)
  FOR r IN SELECT pr.prrelid::regclass AS rel
             FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
            WHERE p.pubname = publication
              AND NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct
                               WHERE ct.table_name = pr.prrelid AND ct.active_method = 'wal')
              AND dataeng_internal._cdc_wal_locked(pr.prrelid) LOOP
    EXECUTE format('ALTER PUBLICATION %I DROP TABLE %s', publication, r.rel);
  END LOOP;
  -- the triggers of the tables switched alone: another table's would take
  -- a lock its writers may hold for as long as they like, and the round,
  -- which waits for it without a limit, the capture of every table with it
  PERFORM dataeng_internal._cdc_sync_triggers(switched);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_switch(name) FROM PUBLIC;

-- Whether this transaction holds a lock on relid that keeps its writers
-- out (the WAL worker takes SHARE ROW EXCLUSIVE without waiting).
CREATE FUNCTION dataeng_internal._cdc_wal_locked(relid oid)
RETURNS boolean
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT EXISTS (SELECT 1 FROM pg_locks l
                  WHERE l.locktype = 'relation' AND l.pid = pg_backend_pid()
                    AND l.database = (SELECT d.oid FROM pg_database d WHERE d.datname = current_database())
                    AND l.relation = relid AND l.granted
                    AND l.mode IN ('ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'))
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_locked(oid) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_locked(oid) IS
  'internal: whether the WAL worker holds the lock that switching a table needs';
COMMENT ON FUNCTION dataeng_internal._cdc_wal_switch(name) IS
  'internal: switch tables between trigger and WAL capture (run by the WAL worker)';

-- Run by the WAL worker when its slot was invalidated (it exceeded
-- max_slot_wal_keep_size): the WAL of the changes after the slot's
-- confirmed position is gone.  Every table captured from the WAL through
-- it stops (capture_error, as for a change that cannot be decoded), a
-- WARNING names them, and the alert of the lost slot (kind slot_lag, the
-- condition dataeng.alert_check() keeps open while the slot is lost) is
-- raised at once.  Returns whether a table still waits for capture from
-- the WAL (enabled again since, or switching from its trigger): then the
-- worker drops the lost slot and makes a new one; otherwise it stops
-- until cdc_enable() starts it again.
CREATE FUNCTION dataeng_internal._cdc_wal_slot_lost(slot name, confirmed pg_lsn)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  reason text := format('replication slot "%s" was invalidated (max_slot_wal_keep_size): changes committed after %s were lost',
                        slot, confirmed);
  stopped text;
BEGIN
  WITH s AS (
    UPDATE dataeng.cdc_tables ct SET capture_error = reason, capture_stopped_at = now()
     WHERE ct.active_method = 'wal' AND ct.capture_error IS NULL
    RETURNING ct.table_name)
  SELECT string_agg(s.table_name::text, ', ' ORDER BY s.table_name::text) INTO stopped FROM s;
  IF stopped IS NOT NULL THEN
    RAISE WARNING 'capture from the WAL lost changes: replication slot "%" was invalidated', slot
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('The slot exceeded max_slot_wal_keep_size; changes committed after %s are not captured.  Capture of %s stopped.',
                            confirmed, stopped),
            HINT = 'Raise max_slot_wal_keep_size; the owner of each table runs dataeng.cdc_enable() again to capture it from then on.';
    -- (unless alerts of the slot are off, as dataeng.alert_check() does)
    PERFORM dataeng_internal._alert_raise(
      format('slot:%s:slot_lag', slot), 'slot_lag', slot::text, 'error',
      format('slot %s: slot (WAL capture) lost WAL it needs: changes committed after %s were not captured and capture of %s stopped; run dataeng.cdc_enable() again for each',
             slot, confirmed, stopped),
      jsonb_build_object('kind', 'slot', 'name', slot, 'state', 'failing', 'last_error', 'WAL lost',
                         'confirmed_lsn', confirmed, 'stopped_tables', stopped),
      NULL, NULL)
      WHERE dataeng_internal._ops_setting('slot:' || slot, 'alerts')::boolean;
  END IF;
  RETURN EXISTS (SELECT 1 FROM dataeng.cdc_tables ct
                  WHERE 'wal' IN (ct.method, ct.active_method) AND ct.capture_error IS NULL);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_slot_lost(name, pg_lsn) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_slot_lost(name, pg_lsn) IS
  'internal: stop the tables captured through an invalidated slot, and say so (run by the WAL worker)';

-- Run at each read of consumer r by role me (cdc_poll(), and the fact and
-- dimension reader through _cdc_poll_ranges()): a WARNING when the WAL
-- worker stopped capturing a table the consumer reads, whose changes from
-- then on are missing from what it receives.  While every table is
-- captured this is one probe of an empty partial index.
CREATE FUNCTION dataeng_internal._cdc_warn_capture_stopped(r dataeng_internal.cdc_consumer_state, me regrole)
RETURNS void
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  stopped text;
  n int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.capture_error IS NOT NULL) THEN
    RETURN;
  END IF;
  SELECT string_agg(format('%s since %s (%s)', ct.table_name,
                            coalesce(dataeng_internal._text_time(ct.capture_stopped_at), 'a time not recorded'),
                            ct.capture_error), '; ' ORDER BY ct.table_name::text),
         count(*)
    INTO stopped, n
    FROM dataeng.cdc_tables ct
   WHERE ct.capture_error IS NOT NULL
     AND CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(me, ct.table_name)
              ELSE ct.table_name OPERATOR(pg_catalog.=) ANY (r.tables) END;
  IF n > 0 THEN
    RAISE WARNING 'consumer "%" misses changes: capture of % it reads stopped', r.name,
                  CASE WHEN n = 1 THEN 'a table' ELSE n || ' tables' END
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('The WAL capture worker stopped capturing %s.  Changes of %s from then on are not in the change log, so this read does not return them.',
                            stopped, CASE WHEN n = 1 THEN 'that table' ELSE 'those tables' END),
            HINT = 'Once the table''s owner has run dataeng.cdc_enable() again, copy the table anew (a consumer created with snapshot => true; a fact with dataeng.fact_rebuild()); dataeng.pipeline_status shows what is failing.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_warn_capture_stopped(dataeng_internal.cdc_consumer_state, regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_warn_capture_stopped(dataeng_internal.cdc_consumer_state, regrole) IS
  'internal: warn a consumer''s read that capture of a table it reads stopped';

-- Per captured table the caller may read: method, the slot, how far the
-- slot is behind the WAL, the last decoded commit, why and since when the
-- worker stopped capturing it (NULL while it captures), and (superusers and
-- roles with REPLICATION, as the slot's row of dataeng.pipeline_status)
-- the error that ended the database's last WAL capture worker, while
-- workers fail with no round committed since.
CREATE FUNCTION dataeng_internal._cdc_status()
RETURNS TABLE (table_name regclass, method text, active_method text, slot_name name,
               wal_bytes_behind numeric, last_commit_lsn pg_lsn, last_commit_time timestamptz,
               worker_pid int, capture_error text, capture_stopped_at timestamptz, worker_error text)
AS 'MODULE_PATHNAME', 'dataeng_cdc_status'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dataeng_internal._cdc_status() IS 'internal: body of dataeng.cdc_status';

CREATE FUNCTION dataeng_internal._cdc_status_as_owner(caller regrole)
RETURNS TABLE (table_name regclass, method text, active_method text, slot_name name,
               wal_bytes_behind numeric, last_commit_lsn pg_lsn, last_commit_time timestamptz,
               worker_pid int, capture_error text, capture_stopped_at timestamptz, worker_error text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  slot name := dataeng_internal._cdc_wal_slot();
  behind numeric;
  lim bigint := pg_size_bytes(current_setting('dataeng.max_slot_lag'));
  pid int;
  worker_error text;
BEGIN
  -- (run as the extension's owner: the caller's rights decide)
  IF dataeng_internal._is_superuser(caller)
     OR (SELECT r.rolreplication FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) caller::oid) THEN
    worker_error := CASE WHEN dataeng_internal._cdc_wal_fail_streak() OPERATOR(pg_catalog.>) 0
                         THEN dataeng_internal._cdc_wal_last_error() END;
  END IF;
  SELECT pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                              ELSE dataeng_internal._cdc_wal_end() END, s.confirmed_flush_lsn)
    INTO behind
    FROM pg_replication_slots s WHERE s.slot_name = slot;
  SELECT min(a.pid) INTO pid FROM pg_stat_activity a
   WHERE a.backend_type = 'dataeng wal capture' AND a.datname = current_database();
  IF lim > 0 AND behind > lim THEN
    RAISE WARNING 'capture from the WAL is further behind than dataeng.max_slot_lag'
      USING ERRCODE = '01000',
            DETAIL = format('Replication slot "%s" is %s behind the end of WAL; dataeng.max_slot_lag is %s.  The server keeps every WAL file the slot still needs.',
                            slot, pg_size_pretty(behind), current_setting('dataeng.max_slot_lag')),
            HINT = 'Check that the "dataeng wal capture" worker runs (pg_stat_activity) and what its log says.';
  END IF;
  RETURN QUERY
  SELECT ct.table_name, ct.method, ct.active_method,
         CASE WHEN 'wal' IN (ct.method, ct.active_method) THEN slot END,
         CASE WHEN 'wal' IN (ct.method, ct.active_method) THEN behind END,
         w.last_commit_lsn, w.last_commit_time,
         CASE WHEN 'wal' IN (ct.method, ct.active_method) THEN pid END,
         coalesce(ct.capture_error, st.capture_error),
         CASE WHEN ct.capture_error IS NOT NULL THEN ct.capture_stopped_at ELSE st.stopped_at END,
         CASE WHEN 'wal' IN (ct.method, ct.active_method) THEN worker_error END
    FROM dataeng.cdc_tables ct
    LEFT JOIN dataeng_internal.cdc_wal_tables w ON w.table_name = ct.table_name::oid
    -- (a stop not recorded in cdc_tables yet: its row was locked)
    LEFT JOIN dataeng_internal.cdc_wal_stops st ON st.table_name = ct.table_name::oid
   WHERE dataeng_internal._cdc_can_read(caller, ct.table_name)
   ORDER BY ct.table_name::text;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_status_as_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_status_as_owner(regrole) IS 'internal: body of dataeng_internal._cdc_status()';

-- The tables the WAL worker stopped capturing, of those the caller may
-- read (what dataeng.pipeline_status reports as failing): cdc_status
-- without its slot measurement and its warning.
CREATE FUNCTION dataeng_internal._cdc_capture_errors()
RETURNS TABLE (table_name regclass, capture_error text, capture_stopped_at timestamptz)
AS 'MODULE_PATHNAME', 'dataeng_cdc_capture_errors'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dataeng_internal._cdc_capture_errors() IS
  'internal: the captured tables the calling role may read that the WAL worker stopped capturing, why and since when';

CREATE FUNCTION dataeng_internal._cdc_capture_errors_as_owner(caller regrole)
RETURNS TABLE (table_name regclass, capture_error text, capture_stopped_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT ct.table_name, coalesce(ct.capture_error, st.capture_error),
         CASE WHEN ct.capture_error IS NOT NULL THEN ct.capture_stopped_at ELSE st.stopped_at END
    FROM dataeng.cdc_tables ct
    -- (a stop not recorded in cdc_tables yet: its row was locked)
    LEFT JOIN dataeng_internal.cdc_wal_stops st ON st.table_name = ct.table_name::oid
   WHERE coalesce(ct.capture_error, st.capture_error) IS NOT NULL
     AND dataeng_internal._cdc_can_read(caller, ct.table_name)
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_capture_errors_as_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_capture_errors_as_owner(regrole) IS
  'internal: body of dataeng_internal._cdc_capture_errors()';

CREATE VIEW dataeng.cdc_status AS SELECT * FROM dataeng_internal._cdc_status();
COMMENT ON VIEW dataeng.cdc_status IS
  'Captured tables the calling role may read: capture method, WAL slot and its lag, last decoded commit, why and since when capture stopped, the WAL capture worker''s error';
COMMENT ON COLUMN dataeng.cdc_status.table_name IS 'The captured table';
COMMENT ON COLUMN dataeng.cdc_status.method IS 'How changes are to be captured: trigger or wal';
COMMENT ON COLUMN dataeng.cdc_status.active_method IS 'The method in place (differs from method until the WAL worker switched the table)';
COMMENT ON COLUMN dataeng.cdc_status.slot_name IS 'Replication slot of the WAL capture worker';
COMMENT ON COLUMN dataeng.cdc_status.wal_bytes_behind IS 'WAL the worker has yet to decode, in bytes';
COMMENT ON COLUMN dataeng.cdc_status.last_commit_lsn IS 'Commit position of the last transaction captured';
COMMENT ON COLUMN dataeng.cdc_status.last_commit_time IS 'Commit time of the last transaction captured';
COMMENT ON COLUMN dataeng.cdc_status.worker_pid IS 'Process of the WAL capture worker, NULL when none runs';
COMMENT ON COLUMN dataeng.cdc_status.capture_error IS 'Why the WAL worker stopped capturing the table, NULL while it captures';
COMMENT ON COLUMN dataeng.cdc_status.capture_stopped_at IS 'When the WAL worker stopped capturing the table';
COMMENT ON COLUMN dataeng.cdc_status.worker_error IS 'The last error of the WAL capture worker';
GRANT SELECT ON dataeng.cdc_status TO PUBLIC;

-----------------------------------------------------------------------------
-- on_change: handlers of committed changes
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.on_change(trigger_name text, tbl regclass, handler regprocedure,
                                  ops text[] DEFAULT '{I,U,D,T}',
                                  on_error text DEFAULT 'dead_letter')
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_on_change'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.on_change(text, regclass, regprocedure, text[], text) IS
  'Calls handler(dataeng.change[]) with each committed transaction''s changes of a WAL-captured table';

CREATE FUNCTION dataeng_internal._on_change(caller regrole, trigger_name text, tbl regclass,
                                   handler regprocedure, ops text[], on_error text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  p record;
  bad text;
BEGIN
  IF trigger_name IS NULL THEN
    RAISE EXCEPTION 'trigger name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF trigger_name = '' THEN
    RAISE EXCEPTION 'trigger name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF tbl IS NULL OR handler IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', CASE WHEN tbl IS NULL THEN 'tbl' ELSE 'handler' END USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF ops IS NULL OR cardinality(ops) = 0 THEN
    RAISE EXCEPTION '%', CASE WHEN ops IS NULL THEN 'ops must not be NULL' ELSE 'ops must list at least one of I, U, D, T' END USING ERRCODE = CASE WHEN ops IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END;
  END IF;
  SELECT o INTO bad FROM unnest(ops) o WHERE o IS NULL OR o NOT IN ('I', 'U', 'D', 'T') LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION '%', CASE WHEN bad IS NULL THEN 'ops must not contain NULL' ELSE format('unknown operation "%s" in ops', bad) END
      USING ERRCODE = CASE WHEN bad IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END,
            HINT = 'ops lists I (insert), U (update), D (delete) and T (truncate).';
  END IF;
  IF on_error IS NULL OR on_error NOT IN ('dead_letter', 'pause') THEN
    RAISE EXCEPTION '%', CASE WHEN on_error IS NULL THEN 'on_error must not be NULL' ELSE format('on_error must be ''dead_letter'' or ''pause'', not %s', quote_literal(on_error)) END
      USING ERRCODE = CASE WHEN on_error IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END;
  END IF;
  IF NOT dataeng_internal._cdc_can_read(caller, tbl) THEN
    RAISE EXCEPTION 'permission denied for table %', tbl
      USING ERRCODE = 'insufficient_privilege',
            HINT = 'A handler receives the table''s rows: its creator must be allowed to read the whole table (USAGE on its schema, SELECT, no row-level security).';
  END IF;
  SELECT pr.proname, pr.pronargs, pr.proargtypes[0] AS arg, pr.prokind, pr.proretset INTO p
    FROM pg_proc pr WHERE pr.oid = handler;
  IF p.pronargs <> 1 OR p.arg <> 'dataeng.change[]'::regtype OR p.prokind <> 'f' THEN
    RAISE EXCEPTION 'handler % must be a function taking one argument of type dataeng.change[]', handler
      USING ERRCODE = 'invalid_function_definition';
  END IF;
  IF NOT has_function_privilege(caller, handler, 'EXECUTE') THEN
    RAISE EXCEPTION 'permission denied for function %', handler
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.table_name = tbl AND ct.method = 'wal') THEN
    RAISE EXCEPTION 'changes of table % are not captured from the WAL', tbl
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = format('The table''s owner runs SELECT dataeng.cdc_enable(%L, method => ''wal'');', tbl::text);
  END IF;
  IF EXISTS (SELECT 1 FROM dataeng_internal.on_change_triggers t WHERE t.trigger_name = _on_change.trigger_name) THEN
    RAISE EXCEPTION 'on_change trigger "%" already exists', trigger_name USING ERRCODE = 'duplicate_object';
  END IF;
  -- every handler runs in the database's one worker: a role gets a share
  IF (SELECT count(*) FROM dataeng_internal.on_change_triggers t WHERE t.owner = caller)
     >= current_setting('dataeng.max_on_change_per_role')::int THEN
    RAISE EXCEPTION 'role % already has % on_change triggers', caller,
          current_setting('dataeng.max_on_change_per_role')
      USING ERRCODE = 'configuration_limit_exceeded',
            HINT = 'Drop one with dataeng.on_change_drop(), or ask a superuser to raise dataeng.max_on_change_per_role.';
  END IF;
  INSERT INTO dataeng_internal.on_change_triggers (trigger_name, table_name, handler, ops, owner, on_error, from_lsn,
                                                   handler_name, handler_catalog, owner_name)
  VALUES (trigger_name, tbl, handler::oid, ops::"char"[], caller, on_error, pg_current_wal_insert_lsn(),
          dataeng_internal._proc_identity(handler::oid), dataeng_internal._catalog_id(),
          (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) caller::oid));
  IF EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.table_name = tbl AND ct.active_method <> 'wal') THEN
    RAISE NOTICE 'table % is still captured by its trigger', tbl
      USING DETAIL = 'The handler is called for transactions committed after the WAL worker has switched the table.',
            HINT = 'SELECT dataeng.cdc_wal_sync() waits for the switch.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change(regrole, text, regclass, regprocedure, text[], text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change(regrole, text, regclass, regprocedure, text[], text) IS
  'internal: body of dataeng.on_change()';

CREATE FUNCTION dataeng.on_change_drop(trigger_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_on_change_drop'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.on_change_drop(text) IS 'Drops an on_change trigger (its dead letters stay)';

-- An on_change trigger's row, locked, once the caller is found to own it
-- (a NULL row when there is none and missing_ok): what dropping, pausing
-- and resuming a trigger start with.
CREATE FUNCTION dataeng_internal._on_change_lock(caller regrole, trigger_name text, missing_ok boolean)
RETURNS dataeng_internal.on_change_triggers
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t dataeng_internal.on_change_triggers;
BEGIN
  SELECT * INTO t FROM dataeng_internal.on_change_triggers o WHERE o.trigger_name = _on_change_lock.trigger_name
     FOR UPDATE;
  IF NOT FOUND THEN
    IF missing_ok THEN
      RETURN NULL;
    END IF;
    RAISE EXCEPTION 'on_change trigger "%" does not exist', trigger_name
      USING ERRCODE = 'undefined_object';
  END IF;
  -- (a trigger whose owner was seen dropped is no role's but superusers':
  -- not the one's given its oid later)
  IF NOT pg_has_role(caller, t.owner, 'USAGE')
     OR (t.owner_name IS NULL AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                       WHERE r.oid OPERATOR(pg_catalog.=) caller::oid)) THEN
    RAISE EXCEPTION 'must be owner of on_change trigger "%"', trigger_name
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN t;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_lock(regrole, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_lock(regrole, text, boolean) IS
  'internal: an on_change trigger''s row, locked, after checking that the caller owns it';

CREATE FUNCTION dataeng_internal._on_change_drop(caller regrole, trigger_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t dataeng_internal.on_change_triggers := dataeng_internal._on_change_lock(caller, trigger_name, true);
  waiting bigint;
  oldest timestamptz;
BEGIN
  IF t.trigger_name IS NULL THEN
    RETURN false;
  END IF;
  DELETE FROM dataeng_internal.on_change_triggers o WHERE o.trigger_name = _on_change_drop.trigger_name;
  -- the batches deferred past the time budget of a round go with it,
  -- handled by no one: said, rather than dropped unseen
  SELECT count(*), min(b.commit_time) INTO waiting, oldest
    FROM dataeng_internal.on_change_backlog b
   WHERE b.trigger_name = t.trigger_name AND b.from_lsn = t.from_lsn;
  IF waiting > 0 THEN
    RAISE NOTICE 'on_change trigger "%" is dropped with % batches in its backlog, which its handler will not get', trigger_name, waiting
      USING DETAIL = format('They were deferred past the time budget of a round (dataeng.on_change_role_budget), the oldest committed at %s; '
                            'their changes are in the change log.', oldest),
            HINT = 'To keep them, pause the trigger (dataeng.on_change_pause()) and drop it once the worker has set its backlog aside '
                   'in dataeng.dead_letters (dataeng.on_changes.backlog_batches is 0).';
  END IF;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_drop(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_drop(regrole, text) IS 'internal: body of dataeng.on_change_drop()';

-- Pausing and resuming a trigger.  A paused trigger's batches go to
-- dataeng.dead_letters in commit order; on_change_resume() asks the worker
-- to hand them (from the one that paused it on) to the handler, in commit
-- order, in its round, then to go on with new batches.
CREATE FUNCTION dataeng.on_change_pause(trigger_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_on_change_pause'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.on_change_pause(text) IS
  'Pauses an on_change trigger: its batches go to dataeng.dead_letters until on_change_resume()';

CREATE FUNCTION dataeng.on_change_resume(trigger_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_on_change_resume'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.on_change_resume(text) IS
  'Resumes a paused on_change trigger from the batch it paused at (its set-aside batches are handled first)';

CREATE FUNCTION dataeng_internal._on_change_pausing(caller regrole, trigger_name text, pause boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  t dataeng_internal.on_change_triggers := dataeng_internal._on_change_lock(caller, trigger_name, false);
BEGIN
  IF pause THEN
    IF t.paused_at IS NOT NULL AND NOT t.resume_requested THEN
      RAISE NOTICE 'on_change trigger "%" is already paused', trigger_name;
    END IF;
    UPDATE dataeng_internal.on_change_triggers o
       SET paused_at = coalesce(o.paused_at, now()), resume_requested = false,
           pause_reason = CASE WHEN o.paused_at IS NULL THEN 'dataeng.on_change_pause()' ELSE o.pause_reason END
     WHERE o.trigger_name = _on_change_pausing.trigger_name;
  ELSIF t.paused_at IS NULL THEN
    RAISE NOTICE 'on_change trigger "%" is not paused', trigger_name;
  ELSE
    UPDATE dataeng_internal.on_change_triggers o SET resume_requested = true
     WHERE o.trigger_name = _on_change_pausing.trigger_name;
    PERFORM dataeng_internal._cdc_wal_start();
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_pausing(regrole, text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_pausing(regrole, text, boolean) IS
  'internal: what dataeng.on_change_pause() and dataeng.on_change_resume() do';

CREATE FUNCTION dataeng_internal._on_change_pause(caller regrole, trigger_name text)
RETURNS void
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT dataeng_internal._on_change_pausing(caller, trigger_name, true) $$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_pause(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_pause(regrole, text) IS 'internal: body of dataeng.on_change_pause()';

CREATE FUNCTION dataeng_internal._on_change_resume(caller regrole, trigger_name text)
RETURNS void
LANGUAGE sql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$ SELECT dataeng_internal._on_change_pausing(caller, trigger_name, false) $$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_resume(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_resume(regrole, text) IS 'internal: body of dataeng.on_change_resume()';

-- The caller's on_change triggers and dead letters.
CREATE FUNCTION dataeng_internal._on_change_list()
RETURNS SETOF dataeng_internal.on_change_triggers
AS 'MODULE_PATHNAME', 'dataeng_on_change_list'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dataeng_internal._on_change_list() IS 'internal: body of dataeng.on_changes';

CREATE FUNCTION dataeng_internal._on_change_list_as_owner(caller regrole)
RETURNS SETOF dataeng_internal.on_change_triggers
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM dataeng_internal.on_change_triggers t WHERE pg_has_role(caller, t.owner, 'USAGE')
     -- (a trigger whose owner was seen dropped: superusers only)
     AND (t.owner_name IS NOT NULL OR (SELECT r.rolsuper FROM pg_catalog.pg_roles r
                                       WHERE r.oid OPERATOR(pg_catalog.=) caller::oid))
   ORDER BY t.trigger_name
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_list_as_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_list_as_owner(regrole) IS 'internal: body of dataeng_internal._on_change_list()';

-- (with each trigger's backlog: the batches deferred past the time budget
-- of a round, and the commit time of the oldest; the calls cut off in
-- a row by its role's whole budget of the batch it waits on, in its
-- backlog or handed over by a resume; read as the view's owner, for the
-- caller's triggers alone; and the capture method of its table: a table
-- switched to trigger capture, or no longer captured, feeds the handler
-- nothing)
CREATE VIEW dataeng.on_changes WITH (security_barrier) AS
  -- (the calls cut off of the resumes in progress: from their few rows,
  -- each batch by its key, not from the triggers' set-aside batches, which
  -- may be many; read once, not for each trigger, whose estimated cost made
  -- a read of the view JIT-compiled, seconds for a few rows)
  WITH resumed AS MATERIALIZED (
    SELECT d.trigger_name, d.commit_lsn, p.cut_off
      FROM dataeng_internal.on_change_resume_progress p
      JOIN dataeng.dead_letters d ON d.id OPERATOR(pg_catalog.=) p.dead_letter_id
     WHERE p.cut_off OPERATOR(pg_catalog.>) 0)
  SELECT l.trigger_name, l.table_name,
         dataeng_internal._proc_resolve(l.handler, l.handler_name, l.handler_catalog)::regprocedure AS handler,
         l.ops, l.owner, l.on_error, l.from_lsn, l.created_at, l.handled_lsn, l.handled_at, l.paused_at,
         l.resume_from, l.resume_requested, l.pause_reason, b.batches AS backlog_batches, b.oldest_commit AS backlog_oldest_commit,
         (SELECT ct.method FROM dataeng.cdc_tables ct
           WHERE ct.table_name OPERATOR(pg_catalog.=) l.table_name) AS table_method,
         greatest(b.cut_off, rp.cut_off, 0) AS calls_cut_off
    FROM dataeng_internal._on_change_list() l
    LEFT JOIN LATERAL (SELECT pg_catalog.count(*) AS batches, pg_catalog.min(o.commit_time) AS oldest_commit,
                              pg_catalog.max(o.cut_off) AS cut_off
                         FROM dataeng_internal.on_change_backlog o
                        WHERE o.trigger_name OPERATOR(pg_catalog.=) l.trigger_name
                          AND o.from_lsn OPERATOR(pg_catalog.=) l.from_lsn) b ON true
    -- (a resume in progress)
    LEFT JOIN LATERAL (SELECT pg_catalog.max(r.cut_off) AS cut_off
                         FROM resumed r
                        WHERE l.resume_requested
                          AND r.trigger_name OPERATOR(pg_catalog.=) l.trigger_name
                          AND r.commit_lsn OPERATOR(pg_catalog.>=) l.resume_from) rp ON true;
COMMENT ON VIEW dataeng.on_changes IS 'on_change triggers of the calling role and their progress';
COMMENT ON COLUMN dataeng.on_changes.trigger_name IS 'Name of the on_change trigger';
COMMENT ON COLUMN dataeng.on_changes.table_name IS 'The captured table';
COMMENT ON COLUMN dataeng.on_changes.handler IS 'Function called with each transaction''s changes';
COMMENT ON COLUMN dataeng.on_changes.ops IS 'Operations handed to the handler';
COMMENT ON COLUMN dataeng.on_changes.owner IS 'Role owning the trigger (the handler runs as it)';
COMMENT ON COLUMN dataeng.on_changes.on_error IS 'What a failing call of the handler does';
COMMENT ON COLUMN dataeng.on_changes.from_lsn IS 'WAL position the trigger started from';
COMMENT ON COLUMN dataeng.on_changes.created_at IS 'When the trigger was created';
COMMENT ON COLUMN dataeng.on_changes.handled_lsn IS 'Commit position of the last transaction handled';
COMMENT ON COLUMN dataeng.on_changes.handled_at IS 'When the last transaction was handled';
COMMENT ON COLUMN dataeng.on_changes.paused_at IS 'When the trigger was paused, NULL while it runs';
COMMENT ON COLUMN dataeng.on_changes.resume_from IS 'Position a requested resume restarts from';
COMMENT ON COLUMN dataeng.on_changes.resume_requested IS 'Whether a resume was requested and not yet done';
COMMENT ON COLUMN dataeng.on_changes.pause_reason IS 'Why the trigger is paused, NULL while it is not';
COMMENT ON COLUMN dataeng.on_changes.backlog_batches IS
  'Batches deferred past the time budget of a round, waiting for the handler (dataeng.on_change_role_budget)';
COMMENT ON COLUMN dataeng.on_changes.backlog_oldest_commit IS
  'Commit time of the oldest batch waiting in the backlog, NULL when none waits';
COMMENT ON COLUMN dataeng.on_changes.table_method IS
  'Capture method of the trigger''s table (dataeng.cdc_tables.method): the handler is called only while it is wal; NULL when the table is no longer captured';
COMMENT ON COLUMN dataeng.on_changes.calls_cut_off IS
  'Calls with the batch the trigger waits on that its role''s whole budget cut off in a row (dataeng.on_change_timeout = 0; from 5 the handler cannot complete within dataeng.on_change_role_budget)';
GRANT SELECT ON dataeng.on_changes TO PUBLIC;

CREATE FUNCTION dataeng_internal._dead_letter_list()
RETURNS SETOF dataeng.dead_letters
AS 'MODULE_PATHNAME', 'dataeng_dead_letter_list'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dataeng_internal._dead_letter_list() IS 'internal: body of dataeng.on_change_dead_letters';

CREATE FUNCTION dataeng_internal._dead_letter_list_as_owner(caller regrole)
RETURNS SETOF dataeng.dead_letters
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT * FROM dataeng.dead_letters d
   WHERE pg_has_role(caller, d.owner, 'USAGE')
     -- not a dropped role's batch restored where its oid names another role
     AND dataeng_internal._owner_trusted(d.owner, d.owner_name, d.owner_system)
     -- the batches hold the table's rows: only while the owner may still read it
     AND dataeng_internal._cdc_can_read(d.owner, d.table_name)
   ORDER BY d.id
$$;
REVOKE ALL ON FUNCTION dataeng_internal._dead_letter_list_as_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dead_letter_list_as_owner(regrole) IS 'internal: body of dataeng_internal._dead_letter_list()';

CREATE VIEW dataeng.on_change_dead_letters AS SELECT * FROM dataeng_internal._dead_letter_list();
COMMENT ON VIEW dataeng.on_change_dead_letters IS
  'Batches of the calling role''s on_change triggers that their handlers failed on';
COMMENT ON COLUMN dataeng.on_change_dead_letters.id IS 'Identifier of the dead letter';
COMMENT ON COLUMN dataeng.on_change_dead_letters.trigger_name IS 'The on_change trigger whose handler failed';
COMMENT ON COLUMN dataeng.on_change_dead_letters.table_name IS 'The captured table';
COMMENT ON COLUMN dataeng.on_change_dead_letters.owner IS 'Owner of the trigger';
COMMENT ON COLUMN dataeng.on_change_dead_letters.commit_lsn IS 'Commit position of the transaction whose changes failed';
COMMENT ON COLUMN dataeng.on_change_dead_letters.commit_time IS 'Commit time of that transaction';
COMMENT ON COLUMN dataeng.on_change_dead_letters.changes IS 'The changes handed to the handler';
COMMENT ON COLUMN dataeng.on_change_dead_letters.error IS 'The handler''s error message';
COMMENT ON COLUMN dataeng.on_change_dead_letters.sqlstate IS 'The handler''s error code';
COMMENT ON COLUMN dataeng.on_change_dead_letters.attempts IS 'Calls of the handler made for these changes';
COMMENT ON COLUMN dataeng.on_change_dead_letters.failed_at IS 'When the last call failed';
COMMENT ON COLUMN dataeng.on_change_dead_letters.dropped_table IS 'The table''s name once it was dropped';
COMMENT ON COLUMN dataeng.on_change_dead_letters.owner_name IS 'The owner''s name';
COMMENT ON COLUMN dataeng.on_change_dead_letters.owner_system IS 'System identifier of the cluster where owner is the owner''s oid';
COMMENT ON COLUMN dataeng.on_change_dead_letters.detail IS 'The handler''s error detail';
COMMENT ON COLUMN dataeng.on_change_dead_letters.hint IS 'The handler''s error hint';
COMMENT ON COLUMN dataeng.on_change_dead_letters.depth IS 'How deep in on_change handlers the batch was written (0: not by a handler)';
GRANT SELECT ON dataeng.on_change_dead_letters TO PUBLIC;

-- Deleting a dead letter once it was replayed by hand (or is to be
-- forgotten): the trigger's creator (a member of that role) may delete
-- those that dataeng.on_change_dead_letters lists to it, a superuser any.
-- (dataeng.dead_letters is no role's to write: pipeline_status told the
-- creator to replay and delete them, and its alert stayed open until
-- then, while only a superuser, or the trim after dead_letters_keep,
-- could.)
CREATE FUNCTION dataeng.on_change_dead_letter_delete(dead_letter_id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_on_change_dead_letter_delete'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.on_change_dead_letter_delete(bigint) IS
  'Deletes a dead letter of the caller''s on_change triggers (once replayed by hand); false when there is none';

CREATE FUNCTION dataeng_internal._on_change_dead_letter_delete(caller regrole, dead_letter_id bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng.dead_letters;
BEGIN
  SELECT * INTO d FROM dataeng.dead_letters x WHERE x.id OPERATOR(pg_catalog.=) dead_letter_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  -- (what _dead_letter_list_as_owner() lists to the caller)
  IF NOT dataeng_internal._is_superuser(caller)
     AND NOT (pg_has_role(caller, d.owner, 'USAGE')
              AND dataeng_internal._owner_trusted(d.owner, d.owner_name, d.owner_system)
              AND coalesce(dataeng_internal._cdc_can_read(d.owner, d.table_name), false)) THEN
    RAISE EXCEPTION 'permission denied for dead letter %', dead_letter_id
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'It is not listed to this role by dataeng.on_change_dead_letters: a batch of another role''s on_change trigger, or of one whose creator may no longer read its table.',
            HINT = 'The trigger''s creator (or a member of that role) deletes the dead letters it lists; a superuser deletes any.';
  END IF;
  DELETE FROM dataeng.dead_letters x WHERE x.id OPERATOR(pg_catalog.=) dead_letter_id;
  RETURN true;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._on_change_dead_letter_delete(regrole, bigint) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._on_change_dead_letter_delete(regrole, bigint) IS
  'internal: body of dataeng.on_change_dead_letter_delete()';

-- Wait until the WAL worker has captured everything committed before the
-- call (and switched the tables waiting for it that the caller cares
-- about), at most timeout.  For tests, and for a writer that wants to read
-- its own changes back.  tables: the tables whose switch of capture method
-- is waited for (and the on_change triggers of which); NULL, the tables of
-- the caller's roles (a switch is asked for by the table's owner: the
-- switch of another role's table, which that role's own transactions may
-- hold off for as long as they last, made every role's wait time out).
CREATE FUNCTION dataeng.cdc_wal_sync(timeout interval DEFAULT '30 s', tables regclass[] DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_sync'
LANGUAGE C VOLATILE;

CREATE FUNCTION dataeng_internal._cdc_wal_sync(caller regrole, timeout interval, tables regclass[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  target pg_lsn := dataeng_internal._cdc_wal_end();
  deadline timestamptz := clock_timestamp() OPERATOR(pg_catalog.+) timeout;
  t regclass;
  waited regclass[];
BEGIN
  IF timeout IS NULL THEN
    RAISE EXCEPTION 'timeout must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      HINT = 'Give how long to wait, e.g. dataeng.cdc_wal_sync(''30 s'').';
  END IF;
  -- (a negative one was read as "timed out" at once: false, or true
  -- when nothing was waiting, by chance)
  IF timeout OPERATOR(pg_catalog.<) '0'::interval THEN
    RAISE EXCEPTION 'timeout must not be negative' USING ERRCODE = 'invalid_parameter_value',
      DETAIL = format('timeout is %s.', timeout),
      HINT = 'Give how long to wait, e.g. dataeng.cdc_wal_sync(''30 s''); 0 checks without waiting.';
  END IF;
  IF array_position(tables, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'tables must not contain NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = format('Element %s of tables is NULL.', array_position(tables, NULL)),
      HINT = 'List the tables by name, or pass NULL for the tables of your roles.';
  END IF;
  -- The switches waited for: those of the tables listed (a partition's
  -- is its captured ancestor's), which the caller must be able to read
  -- (dataeng.cdc_status shows them to it), or of the tables its roles own.
  FOREACH t IN ARRAY coalesce(tables, '{}') LOOP
    PERFORM dataeng_internal._cdc_require_read(caller, t,
              'dataeng.cdc_wal_sync() waits for the tables listed, whose capture state it reports.');
  END LOOP;
  IF tables IS NULL THEN
    SELECT coalesce(array_agg(ct.table_name ORDER BY ct.table_name), '{}') INTO waited
      FROM dataeng.cdc_tables ct JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) ct.table_name
     WHERE pg_catalog.pg_has_role(caller, c.relowner, 'USAGE');
  ELSE
    SELECT coalesce(array_agg(DISTINCT ct.table_name), '{}') INTO waited
      FROM unnest(tables) u(t)
      CROSS JOIN LATERAL (SELECT u.t::oid AS relid UNION SELECT a.relid FROM pg_catalog.pg_partition_ancestors(u.t) a) up
      JOIN dataeng.cdc_tables ct ON ct.table_name OPERATOR(pg_catalog.=) up.relid;
  END IF;
  IF NOT dataeng_internal._cdc_wal_synced(timeout, false, waited) THEN
    PERFORM dataeng_internal._cdc_wal_switch_stuck('dataeng.cdc_wal_sync() timed out', waited, target);
    RETURN false;
  END IF;
  -- and the batches committed before that the worker deferred for the
  -- on_change triggers of the caller's roles (their budget of a round was
  -- spent): handled, or gone to dead_letters; and the resumes of those
  -- triggers asked for (on_change_resume()) done; with tables, those of
  -- the triggers of the tables listed.  (Not those of other roles: their
  -- handlers do not make the caller wait.  A resume that the budget cuts
  -- goes on for as long as its retries last: another role's made every
  -- cdc_wal_sync() and consumer snapshot wait for it, and give up.)
  LOOP
    IF NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog b
                     JOIN dataeng_internal.on_change_triggers t
                       ON t.trigger_name OPERATOR(pg_catalog.=) b.trigger_name
                      AND t.from_lsn OPERATOR(pg_catalog.=) b.from_lsn
                     JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) t.owner::oid
                    WHERE b.commit_lsn OPERATOR(pg_catalog.<) target
                      AND pg_catalog.pg_has_role(caller, r.oid, 'MEMBER')
                      AND (tables IS NULL OR t.table_name OPERATOR(pg_catalog.=) ANY (waited)))
       AND NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_triggers t
                         JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) t.owner::oid
                        WHERE t.resume_requested
                          AND pg_catalog.pg_has_role(caller, r.oid, 'MEMBER')
                          AND (tables IS NULL OR t.table_name OPERATOR(pg_catalog.=) ANY (waited))) THEN
      RETURN true;
    END IF;
    IF clock_timestamp() OPERATOR(pg_catalog.>=) deadline THEN
      RETURN false;
    END IF;
    PERFORM pg_catalog.pg_sleep(0.02);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_sync(regrole, interval, regclass[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_sync(regrole, interval, regclass[]) IS 'internal: body of dataeng.cdc_wal_sync()';

-- The WAL capture worker of this database while it makes its replication
-- slot (confirmed_flush_lsn not set yet): worker, its process; and, while
-- it waits for a transaction to end (PostgreSQL's logical decoding starts
-- only once every transaction with a transaction id, of any database,
-- running when the slot's creation began has ended, waited for one by
-- one), waited, that transaction; since, when the wait for it began;
-- blocker, it named for a message ('prepared transaction "gid"', or 'the
-- transaction of process N'; NULL when neither is found); blocker_db, its
-- database.  All NULL when no worker is making the slot.  Read by
-- _cdc_wal_switch_stuck() (the error of cdc_wal_sync()) and
-- dataeng.pipeline_status (the capture slot's warning).  Invoker rights.
CREATE FUNCTION dataeng_internal._cdc_wal_slot_waits(OUT worker int, OUT waited xid, OUT since timestamptz,
                                                     OUT blocker text, OUT blocker_db name)
RETURNS record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  SELECT s.active_pid INTO worker FROM pg_replication_slots s
   WHERE s.slot_name OPERATOR(pg_catalog.=) dataeng_internal._cdc_wal_slot()
     AND s.confirmed_flush_lsn IS NULL AND s.active_pid IS NOT NULL;
  IF worker IS NULL THEN
    RETURN;
  END IF;
  SELECT l.transactionid, l.waitstart INTO waited, since FROM pg_locks l
   WHERE l.pid OPERATOR(pg_catalog.=) worker AND l.locktype OPERATOR(pg_catalog.=) 'transactionid' AND NOT l.granted
   LIMIT 1;
  IF waited IS NULL THEN
    RETURN;
  END IF;
  SELECT format('prepared transaction "%s"', px.gid), px.database INTO blocker, blocker_db
    FROM pg_catalog.pg_prepared_xacts px WHERE px.transaction OPERATOR(pg_catalog.=) waited;
  IF blocker IS NULL THEN
    SELECT format('the transaction of process %s', l.pid), a.datname INTO blocker, blocker_db
      FROM pg_locks l LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid OPERATOR(pg_catalog.=) l.pid
     WHERE l.locktype OPERATOR(pg_catalog.=) 'transactionid' AND l.transactionid OPERATOR(pg_catalog.=) waited
       AND l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock' AND l.granted AND l.pid IS NOT NULL
     LIMIT 1;
  END IF;
END;
$$;
-- (PUBLIC keeps EXECUTE: dataeng.pipeline_status calls it for the
-- replication roles; it reads only pg_replication_slots, pg_locks,
-- pg_prepared_xacts and pg_stat_activity, which PUBLIC reads anyway)
COMMENT ON FUNCTION dataeng_internal._cdc_wal_slot_waits() IS
  'internal: the transaction the WAL capture worker, making its replication slot, waits for, named for a message';

-- After a wait for the WAL worker gave up (_cdc_wal_synced() false): an
-- error when a table of tables is still waiting for its switch of capture
-- method while the worker has caught up with the WAL written before
-- target (its rounds go on, but cannot switch that table): the switch
-- takes a lock that keeps the table's writers out (SHARE ROW EXCLUSIVE,
-- tried for 0.1 s once a second) and then the table's row of
-- dataeng.cdc_tables (not waited for), and another transaction holds one
-- of them.  The error names the table and, where pg_locks tells them, the
-- transactions that hold it off (this one among them, if so).  action
-- begins the message.  Returns when no such table is found (the worker is
-- behind, or the switch was made meanwhile), or no transaction holding
-- such a lock is: the caller goes on as before.
CREATE FUNCTION dataeng_internal._cdc_wal_switch_stuck(action text, tables regclass[], target pg_lsn)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  slot name := dataeng_internal._cdc_wal_slot();
  worker int;
  stuck dataeng.cdc_tables;
  holders int[];
  row_xmax xid;
  mine boolean;
  prepared text;
  procs text;
  waited xid;
  blocker text;
  blocker_db name;
  sw record;
BEGIN
  -- The worker still making the database's slot: PostgreSQL's logical
  -- decoding starts only once every transaction (with a transaction id,
  -- of any database) running when the slot's creation began has ended,
  -- which it waits for one by one; the switches to the WAL wait with it.
  -- An orphaned prepared transaction (or a session left idle in its
  -- transaction) held them for ever, the waits gave up saying nothing.
  -- (_cdc_wal_slot_waits() names it, for dataeng.pipeline_status too)
  SELECT * INTO sw FROM dataeng_internal._cdc_wal_slot_waits();
  worker := sw.worker;
  IF worker IS NOT NULL THEN
    SELECT ct.table_name INTO stuck.table_name FROM dataeng.cdc_tables ct
     WHERE ct.table_name OPERATOR(pg_catalog.=) ANY (tables)
       AND ct.method OPERATOR(pg_catalog.=) 'wal' AND ct.active_method OPERATOR(pg_catalog.<>) 'wal'
     ORDER BY ct.table_name::text LIMIT 1;
    waited := sw.waited;
    IF stuck.table_name IS NULL OR waited IS NULL THEN
      RETURN;
    END IF;
    blocker := sw.blocker;
    blocker_db := sw.blocker_db;
    RAISE EXCEPTION '%: the switch of table % to capture from the WAL waits for % to end', action, stuck.table_name,
                    coalesce(blocker, format('transaction %s', waited))
      USING ERRCODE = 'lock_not_available',
            DETAIL = format('The WAL capture worker is making the replication slot %s of this database: logical decoding begins only once '
                            'every transaction that was running when the slot''s creation began has ended, in any database (transaction %s now%s). '
                            'Until then table %s is captured by its trigger, and nothing is lost.',
                            slot, waited, CASE WHEN blocker_db IS NOT NULL THEN format(', of database %s', blocker_db) ELSE '' END,
                            stuck.table_name),
            HINT = CASE WHEN blocker LIKE 'prepared transaction %'
                        THEN 'A prepared transaction runs until COMMIT PREPARED or ROLLBACK PREPARED (pg_prepared_xacts lists it), also across a server restart; the worker makes the switch after that: try again then.'
                        ELSE 'The worker makes the switch once that transaction has ended (pg_stat_activity shows what it runs): try again then.' END;
  END IF;
  SELECT s.active_pid INTO worker FROM pg_replication_slots s
   WHERE s.slot_name OPERATOR(pg_catalog.=) slot AND s.confirmed_flush_lsn OPERATOR(pg_catalog.>=) target;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  SELECT * INTO stuck FROM dataeng.cdc_tables ct
   WHERE ct.table_name OPERATOR(pg_catalog.=) ANY (tables)
     AND ct.method OPERATOR(pg_catalog.<>) ct.active_method
   ORDER BY ct.table_name::text LIMIT 1;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- the transactions holding a lock on it that the switch conflicts with
  SELECT array_agg(DISTINCT l.pid ORDER BY l.pid) INTO holders
    FROM pg_locks l
   WHERE l.locktype OPERATOR(pg_catalog.=) 'relation'
     AND l.database OPERATOR(pg_catalog.=) (SELECT d.oid FROM pg_database d WHERE d.datname OPERATOR(pg_catalog.=) current_database())
     AND l.relation OPERATOR(pg_catalog.=) stuck.table_name::oid AND l.granted
     AND l.mode IN ('RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock',
                    'ExclusiveLock', 'AccessExclusiveLock')
     AND l.pid IS DISTINCT FROM worker;
  -- or its row of dataeng.cdc_tables (the locker's transaction id is the
  -- row's xmax while it holds it; not known when several share it)
  IF holders IS NULL THEN
    SELECT ct.xmax INTO row_xmax FROM dataeng.cdc_tables ct WHERE ct.table_name OPERATOR(pg_catalog.=) stuck.table_name;
    SELECT array_agg(DISTINCT l.pid ORDER BY l.pid) INTO holders
      FROM pg_locks l
     WHERE l.locktype OPERATOR(pg_catalog.=) 'transactionid' AND l.mode OPERATOR(pg_catalog.=) 'ExclusiveLock'
       AND l.transactionid OPERATOR(pg_catalog.=) row_xmax
       AND row_xmax OPERATOR(pg_catalog.<>) '0'::xid;
  END IF;
  -- (none found: the lock is gone, the switch comes with the next round,
  -- or its holder is not told, several sharing the row: no error)
  IF holders IS NULL THEN
    RETURN;
  END IF;
  mine := coalesce(pg_backend_pid() OPERATOR(pg_catalog.=) ANY (holders), false);
  -- a prepared transaction holds a lock with no process (a NULL pid):
  -- named by its gid (it was said as "the transaction of process ",
  -- naming nothing), since only COMMIT or ROLLBACK PREPARED ends it
  IF array_position(holders, NULL) IS NOT NULL THEN
    SELECT string_agg(DISTINCT format('prepared transaction "%s"', px.gid), ', ') INTO prepared
      FROM pg_catalog.pg_prepared_xacts px
     WHERE px.transaction OPERATOR(pg_catalog.=) row_xmax
        OR px.transaction OPERATOR(pg_catalog.=) ANY (
             SELECT x.transactionid FROM pg_locks l
               JOIN pg_locks x ON x.virtualtransaction OPERATOR(pg_catalog.=) l.virtualtransaction
                              AND x.locktype OPERATOR(pg_catalog.=) 'transactionid' AND x.pid IS NULL
              WHERE l.locktype OPERATOR(pg_catalog.=) 'relation' AND l.pid IS NULL AND l.granted
                AND l.relation OPERATOR(pg_catalog.=) stuck.table_name::oid);
    SELECT string_agg(format('the transaction of process %s', p), ', ' ORDER BY p) INTO procs
      FROM unnest(holders) p WHERE p IS NOT NULL;
  END IF;
  RAISE EXCEPTION '%: the switch of table % to capture % waits for a lock', action, stuck.table_name,
                  CASE stuck.method WHEN 'wal' THEN 'from the WAL' ELSE 'by trigger' END
    USING ERRCODE = 'lock_not_available',
          DETAIL = format('The WAL capture worker has caught up, but switches %s only with its writers held off and its row of dataeng.cdc_tables free; %s.',
                          stuck.table_name,
                          CASE WHEN mine THEN 'this transaction holds a lock on it that the switch waits for'
                               WHEN array_position(holders, NULL) IS NOT NULL
                               THEN format('%s hold%s a lock the switch waits for',
                                           coalesce(concat_ws(', ', procs, prepared), 'a prepared transaction'),
                                           CASE WHEN cardinality(holders) = 1 THEN 's' ELSE '' END)
                               WHEN cardinality(holders) = 1 THEN format('the transaction of process %s holds a lock the switch waits for', holders[1])
                               ELSE format('the transactions of processes %s hold locks the switch waits for', array_to_string(holders, ', ')) END),
          HINT = CASE WHEN mine THEN 'Commit or roll back first: the switch is made by the worker''s next rounds after that.'
                      WHEN array_position(holders, NULL) IS NOT NULL
                      THEN 'A prepared transaction holds it until COMMIT PREPARED or ROLLBACK PREPARED (pg_prepared_xacts lists it), also across a server restart; the worker makes the switch after that: try again then.'
                      ELSE 'The worker makes the switch once that transaction has ended (pg_stat_activity shows what it runs): try again then.' END;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_switch_stuck(text, regclass[], pg_lsn) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_switch_stuck(text, regclass[], pg_lsn) IS
  'internal: the error of a wait for the WAL worker that a table''s switch of capture method, held off by a lock, made give up';

-- Whether a WAL capture worker of this database is in it or will come,
-- from the shared memory of wal_dbhook.c: 'running'; 'unknown' (a worker
-- runs without a shared-memory entry, beyond dataeng.wal_max_databases:
-- it may be this database's); 'starting' (registered at since, not in
-- the database yet); 'restarting' (ended by an error at since, started
-- again by the postmaster at next_attempt); 'no_slot' (could not be
-- registered at since: no background worker slot was free; next_attempt
-- is when the launcher tries again, NULL when it is not asked to);
-- 'none' (nothing known; next_attempt: when the launcher tries to start
-- one, if it is asked to).  launcher: whether the launcher of dataeng
-- runs (it starts the workers that could not be started; next_attempt is
-- NULL without it).  launcher_state: 'running'; 'starting' (not run since
-- the server started or restarted after a crash, at launcher_since; the
-- postmaster starts it at the end of recovery, launcher_next: when a
-- session first saw the server out of recovery, NULL during recovery);
-- 'restarting' (ended by an error at launcher_since, started again by the
-- postmaster at launcher_next); 'ended' (exited at launcher_since, not
-- started again); 'absent' (no background worker slot was free for it at
-- server start).
CREATE FUNCTION dataeng_internal._cdc_wal_start_state(OUT state text, OUT since timestamptz, OUT next_attempt timestamptz,
                                                      OUT launcher boolean, OUT launcher_state text,
                                                      OUT launcher_since timestamptz, OUT launcher_next timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_cdc_wal_start_state'
LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_start_state() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_start_state() IS
  'internal: whether this database''s WAL capture worker runs, is starting or restarting, or could not be registered';

-- What cdc_wal_sync() waits for, at most timeout: the slot confirms the
-- WAL written before the call, and no table of tables waits for its
-- switch of capture method (the tables of another role, whose own
-- transactions may hold a switch off for as long as they last, are not
-- waited for: a table stuck in its switch made every role's wait time
-- out; _cdc_wal_switch_stuck() says why after a timeout).  With worker_down,
-- false without waiting out timeout when no WAL capture worker runs
-- rounds in the database for 2 s in a row (the grace of
-- _cdc_wal_caught_up(); _cdc_wal_behind() then says why): for callers
-- that hold tables' writers off meanwhile.  Without it (cdc_wal_sync()),
-- an error rather than a silent wait of the whole timeout when no worker
-- can come (_cdc_wal_start_state()):
--  - at once when this server cannot capture from the WAL (wal_level,
--    shared_preload_libraries);
--  - at once when the worker could not be registered (no background
--    worker slot free) and no attempt of the launcher is due now (the
--    launcher is asked to try again just after a backend's failure: its
--    attempt is waited for, 5 s at most; a launcher the postmaster starts
--    or restarts is waited for, since it tries again when it starts);
--  - at once when none is known (not started, or ended) and no launcher
--    runs or comes: it was given no background worker slot at server
--    start, it exited for good, or the postmaster has not started it 15 s
--    after it should have;
--  - while a worker runs, is registered, or waits for its restart by the
--    postmaster after an error, it is waited for (a registered or
--    restarting worker that is not in the database 15 s after it should
--    be counts as none);
--  - otherwise (none known, a launcher runs or comes), when no worker has
--    been in the database for 15 s in a row (_cdc_wal_worker() 'none'), a
--    bounded fallback: the database's scheduler asks the launcher for one
--    when it finds it missing.
-- 'off' (dataeng.enabled off) and 'unknown' are waited for as before.
CREATE FUNCTION dataeng_internal._cdc_wal_synced(timeout interval, worker_down boolean, tables regclass[])
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  target pg_lsn := dataeng_internal._cdc_wal_end();
  slot name := dataeng_internal._cdc_wal_slot();
  deadline timestamptz := clock_timestamp() + timeout;
  down_since timestamptz;
  none_since timestamptz;
  preloaded boolean;
  st record;
  launcher_gone text;
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.cdc_wal_sync() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction';
  END IF;
  LOOP
    IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct
                    WHERE ct.method <> ct.active_method AND ct.table_name = ANY (tables))
       AND (NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct WHERE ct.active_method = 'wal')
            OR EXISTS (SELECT 1 FROM pg_replication_slots s
                        WHERE s.slot_name = slot AND s.confirmed_flush_lsn >= target)) THEN
      RETURN true;
    END IF;
    IF clock_timestamp() >= deadline THEN
      RETURN false;
    END IF;
    -- (a worker between rounds begins one now, not after its naptime)
    PERFORM dataeng_internal._cdc_wal_wake();
    IF worker_down THEN
      down_since := dataeng_internal._cdc_wal_down_since(down_since);
      IF clock_timestamp() >= down_since + interval '2 s' THEN
        RETURN false;
      END IF;
    ELSE
      IF preloaded IS NULL THEN
        preloaded := coalesce((SELECT i.preloaded FROM dataeng.info() i), false);
        IF NOT preloaded OR current_setting('wal_level') <> 'logical' THEN
          RAISE EXCEPTION 'this server cannot capture changes from the WAL'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('dataeng.cdc_wal_sync() waits for the WAL capture worker of this database, which cannot run: '
                                  'wal_level is %s, and dataeng is %sin shared_preload_libraries.',
                                  current_setting('wal_level'), CASE WHEN preloaded THEN '' ELSE 'not ' END),
                  HINT = 'Set wal_level = logical and shared_preload_libraries = ''dataeng'' and restart the server, '
                         'or capture the tables by trigger: dataeng.cdc_enable(table, method => ''trigger'').';
        END IF;
        IF NOT dataeng_internal._cdc_wal_plugin_allowed() THEN
          RAISE EXCEPTION 'this server cannot capture changes from the WAL'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('dataeng.cdc_wal_sync() waits for the WAL capture worker of this database, which decodes with '
                                  'the output plugin pgoutput: output_plugin_libraries is ''%s''.',
                                  current_setting('output_plugin_libraries')),
                  HINT = 'Add pgoutput to output_plugin_libraries and reload the configuration (SELECT pg_reload_conf()), '
                         'or capture the tables by trigger: dataeng.cdc_enable(table, method => ''trigger'').';
        END IF;
      END IF;
      SELECT * INTO st FROM dataeng_internal._cdc_wal_start_state();
      -- why no launcher runs or comes (NULL: one runs, or the postmaster
      -- starts it; not 15 s after it should have, or it counts as none)
      launcher_gone := CASE
        WHEN st.launcher_state = 'absent' THEN
          format('The launcher of dataeng, which starts a missing worker, is not running: no background worker slot was free for it '
                 'at server start (max_worker_processes is %s).', current_setting('max_worker_processes'))
        WHEN st.launcher_state = 'ended' THEN
          format('The launcher of dataeng, which starts a missing worker, exited at %s and is not started again.',
                 coalesce(st.launcher_since::text, 'an unknown time'))
        WHEN st.launcher_state IN ('starting', 'restarting')
             AND clock_timestamp() >= st.launcher_next + interval '15 s' THEN
          format('The launcher of dataeng, which starts a missing worker, is not running: it should have been started at %s.',
                 st.launcher_next)
        END;
      IF st.state = 'no_slot'
         AND (st.next_attempt IS NULL OR st.next_attempt > clock_timestamp()
              OR clock_timestamp() >= st.next_attempt + interval '5 s')
         AND NOT (st.launcher_state IN ('starting', 'restarting') AND launcher_gone IS NULL) THEN
        RAISE EXCEPTION 'no WAL capture worker runs in this database'
          USING ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL = format('dataeng.cdc_wal_sync() waits for the WAL capture worker of this database, which could not be started at %s: '
                                'no background worker slot was free (max_worker_processes is %s).  %s',
                                st.since, current_setting('max_worker_processes'),
                                CASE WHEN NOT st.launcher THEN coalesce(launcher_gone, 'The launcher of dataeng, which would try again, is not running.')
                                     WHEN st.next_attempt IS NULL THEN 'The launcher of dataeng tries again at its next pass over the databases, or when the database''s scheduler finds the worker missing.'
                                     ELSE format('The launcher of dataeng tries again at %s.', st.next_attempt) END),
                HINT = 'The launcher of dataeng starts the worker when a background worker slot is free: raise max_worker_processes '
                       '(it takes a server restart), or end background workers that hold the slots; then SELECT dataeng.cdc_wal_sync() again.';
      END IF;
      IF st.state = 'none' AND launcher_gone IS NOT NULL
         AND dataeng_internal._cdc_wal_worker() = 'none' THEN
        RAISE EXCEPTION 'no WAL capture worker runs in this database'
          USING ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL = 'dataeng.cdc_wal_sync() waits for the WAL capture worker of this database, and none is in it, starting, '
                         'or waiting to be started again after an error.  ' || launcher_gone,
                HINT = CASE WHEN st.launcher_state = 'absent'
                            THEN 'Raise max_worker_processes (the launcher needs a background worker slot of its own) and restart the server; '
                            ELSE 'See the server log for why the launcher stopped, and restart the server; ' END
                       || 'then SELECT dataeng.cdc_wal_sync() again.';
      END IF;
      IF dataeng_internal._cdc_wal_worker() = 'none'
         AND NOT (st.state = 'no_slot'
                  OR (st.state IN ('starting', 'restarting')
                      AND clock_timestamp() < coalesce(st.next_attempt, st.since) + interval '15 s')) THEN
        none_since := coalesce(none_since, clock_timestamp());
        IF clock_timestamp() >= none_since + interval '15 s' THEN
          RAISE EXCEPTION 'no WAL capture worker runs in this database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('dataeng.cdc_wal_sync() waits for the WAL capture worker of this database, and none has been in it for 15 s '
                                  '(%s).',
                                  CASE st.state
                                    WHEN 'starting' THEN format('one registered at %s never came', st.since)
                                    WHEN 'restarting' THEN format('one ended by an error at %s was not started again', st.since)
                                    ELSE 'none is starting, or waiting to be started again after an error' END)
                                  || CASE WHEN st.launcher THEN '' ELSE '  ' || coalesce(launcher_gone, 'The launcher of dataeng, which starts a missing worker, is not running.') END,
                  HINT = 'The launcher of dataeng starts the worker when a background worker slot is free: see the server log '
                         'for why it stopped or could not start (max_worker_processes, max_replication_slots), and '
                         'dataeng.cdc_status for its state.';
        END IF;
      ELSE
        none_since := NULL;
      END IF;
    END IF;
    PERFORM pg_sleep(0.02);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_wal_synced(interval, boolean, regclass[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_wal_synced(interval, boolean, regclass[]) IS
  'internal: wait until WAL capture has caught up and made the switches of some tables asked for (false after timeout, or when no worker runs)';
COMMENT ON FUNCTION dataeng.cdc_wal_sync(interval, regclass[]) IS
  'Waits until WAL-mode capture has caught up with everything committed before the call, made the switches of capture method of the caller''s tables (or those listed), resumed the on_change triggers asked to, and handled the deferred batches of the caller''s triggers; false after timeout';
