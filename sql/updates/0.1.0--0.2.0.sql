-- dataeng 0.1.0 to 0.2.0: what the area files cannot say again.  The
-- rest of the upgrade script (every function, view, comment, grant, policy
-- and trigger) is made from them by sql/updates/rerun.pl.

-- Functions whose result changed (CREATE OR REPLACE cannot change it), and
-- the views over one of them, made again below; functions that are gone.
DROP VIEW dataeng.facts, dataeng.dimensions, dataeng.cdc_consumers;
DROP FUNCTION dataeng._cdc_consumer_list();
DROP FUNCTION dataeng._cdc_consumer_list_as_owner(regrole);
DROP FUNCTION dataeng._dedup_centers(bigint, bigint[], bigint[]);
DROP FUNCTION dataeng._cdc_lag(dataeng.cdc_consumer_state);
DROP FUNCTION dataeng._dedup_clusters(regclass, text[], double precision, text);
DROP FUNCTION dataeng._job(text);

-- Consumers past dataeng.consumer_max_lag_changes or consumer_max_age are
-- marked expired (cdc.sql).
ALTER TABLE dataeng.cdc_consumer_state ADD COLUMN expired_at timestamptz, ADD COLUMN expired_reason text;

-- A job the scheduler cannot follow is marked broken (schedule.sql).
ALTER TABLE dataeng.jobs ADD COLUMN broken text;

-- Only dedupe's functions write its runs and log (dedupe.sql): the
-- policies that let each role write its own rows are gone.
ALTER TABLE dataeng.dedupe_runs ALTER COLUMN run_by DROP DEFAULT;
DROP POLICY own_insert ON dataeng.dedupe_runs;
DROP POLICY own_update ON dataeng.dedupe_runs;
DROP POLICY own_delete ON dataeng.dedupe_runs;
DROP POLICY own_insert ON dataeng.dedupe_log;

-- The consumers a refresh is acknowledging, so that cdc_ack of a fact's
-- or dimension's own consumer can be refused (facts.sql).
CREATE TABLE dataeng._agg_acking (
  pid      int  NOT NULL,
  consumer text NOT NULL
);

-- the launcher visits this database again when the upgrade commits
SELECT dataeng._scheduler_wake_now();

-- Operations (ops.sql): alerts of every kind, raised once and resolved
-- once (rules.sql keeps the table); settings, monitors and their checks,
-- alert handlers, what maintenance did.
ALTER TABLE dataeng.alerts
  ALTER COLUMN table_name DROP NOT NULL, ALTER COLUMN rule_name DROP NOT NULL,
  ALTER COLUMN failed DROP NOT NULL, ALTER COLUMN failed_pct DROP NOT NULL,
  ADD COLUMN resolved_at timestamptz, ADD COLUMN object text,
  ADD COLUMN severity text NOT NULL DEFAULT 'error' CHECK (severity IN ('error', 'warning')),
  ADD COLUMN message text, ADD COLUMN owner regrole, ADD COLUMN condition text;
CREATE UNIQUE INDEX alerts_open_condition ON dataeng.alerts (condition)
  WHERE resolved_at IS NULL AND condition IS NOT NULL;
CREATE TABLE dataeng.alert_settings (
  object  text        NOT NULL CHECK (object <> ''),
  setting text        NOT NULL,
  value   text        NOT NULL,
  owner   regrole,
  set_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (object, setting)
);
SELECT pg_catalog.pg_extension_config_dump('dataeng.alert_settings', '');
ALTER TABLE dataeng.alert_settings ENABLE ROW LEVEL SECURITY;
CREATE TABLE dataeng.monitors (
  name        text        PRIMARY KEY CHECK (name <> ''),
  tbl         regclass    NOT NULL,
  time_column text        NOT NULL,
  max_silence interval    CHECK (max_silence > interval '0'),
  min_rows    bigint      CHECK (min_rows >= 0),
  per         interval    NOT NULL CHECK (per > interval '0'),
  drop_pct    numeric     CHECK (drop_pct > 0 AND drop_pct <= 100),
  schedule    text        NOT NULL,
  owner       regrole     NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('dataeng.monitors', '');
CREATE TABLE dataeng.monitor_checks (
  check_id       bigserial   PRIMARY KEY,
  monitor        text        NOT NULL,
  tbl            regclass    NOT NULL,
  checked_at     timestamptz NOT NULL DEFAULT now(),
  newest         timestamptz,
  rows_in_period bigint,
  baseline       numeric,
  ok             boolean     NOT NULL,
  problems       text[]      NOT NULL DEFAULT '{}'
);
CREATE INDEX monitor_checks_monitor_idx ON dataeng.monitor_checks (monitor, check_id);
SELECT pg_catalog.pg_extension_config_dump('dataeng.monitor_checks', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.monitor_checks_check_id_seq', '');
ALTER TABLE dataeng.monitors ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.monitor_checks ENABLE ROW LEVEL SECURITY;
CREATE TABLE dataeng.alert_handlers (
  handler     regprocedure PRIMARY KEY,   -- the function itself (its oid), never its name
  owner       regrole      NOT NULL,
  kinds       text[],
  created_at  timestamptz  NOT NULL DEFAULT now(),
  calls       bigint       NOT NULL DEFAULT 0,
  failures    bigint       NOT NULL DEFAULT 0,
  last_error  text,
  last_error_at timestamptz
);
SELECT pg_catalog.pg_extension_config_dump('dataeng.alert_handlers', '');
ALTER TABLE dataeng.alert_handlers ENABLE ROW LEVEL SECURITY;
CREATE TABLE dataeng.maintenance (
  id             int         PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  ran_at         timestamptz,
  change_log     bigint,
  purged_changes bigint,
  trimmed        jsonb
);
CREATE TABLE dataeng.consumer_lag (
  name            text        PRIMARY KEY,
  owner           regrole     NOT NULL,
  tables          regclass[],
  acked_at        timestamptz,
  created_at      timestamptz NOT NULL,
  expired_at      timestamptz,
  expired_reason  text,
  pending_changes bigint,
  lag_seconds     numeric,
  measured_at     timestamptz NOT NULL
);
ALTER TABLE dataeng.consumer_lag ENABLE ROW LEVEL SECURITY;
-- Change capture from the WAL (cdc_wal.sql): cdc_enable() takes a method,
-- cdc_tables says which, and the worker's position, on_change triggers
-- and their dead letters are new tables.
DROP FUNCTION dataeng.cdc_enable(regclass, text[], text[], boolean);
DROP FUNCTION dataeng._cdc_enable(regrole, regclass, text[], text[], boolean);
ALTER TABLE dataeng.cdc_tables
  ADD COLUMN method text NOT NULL DEFAULT 'trigger'
    CONSTRAINT cdc_tables_method_check CHECK (method IN ('trigger', 'wal')),
  ADD COLUMN active_method text NOT NULL DEFAULT 'trigger'
    CONSTRAINT cdc_tables_active_method_check CHECK (active_method IN ('trigger', 'wal'));
CREATE TABLE dataeng.cdc_wal_state (
  slot_name        name        PRIMARY KEY,
  applied_lsn      pg_lsn      NOT NULL,
  last_commit_lsn  pg_lsn,
  last_commit_time timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE dataeng.cdc_wal_tables (
  table_name       oid         PRIMARY KEY,
  last_commit_lsn  pg_lsn      NOT NULL,
  last_commit_time timestamptz NOT NULL,
  changes          bigint      NOT NULL DEFAULT 0
);
CREATE TABLE dataeng.on_change_triggers (
  trigger_name  text          PRIMARY KEY,
  table_name    regclass      NOT NULL,
  handler       regprocedure  NOT NULL,
  ops           "char"[]      NOT NULL,
  owner         regrole       NOT NULL,
  on_error      text          NOT NULL DEFAULT 'dead_letter'
    CHECK (on_error IN ('dead_letter', 'pause')),
  from_lsn      pg_lsn        NOT NULL,
  created_at    timestamptz   NOT NULL DEFAULT now(),
  handled_lsn   pg_lsn,
  handled_at    timestamptz,
  paused_at     timestamptz,
  CHECK (trigger_name <> '')
);
CREATE TABLE dataeng.dead_letters (
  id            bigserial     PRIMARY KEY,
  trigger_name  text          NOT NULL,
  table_name    regclass      NOT NULL,
  owner         regrole       NOT NULL,
  commit_lsn    pg_lsn        NOT NULL,
  commit_time   timestamptz   NOT NULL,
  changes       dataeng.change[] NOT NULL,
  error         text,
  sqlstate      text,
  attempts      int           NOT NULL,
  failed_at     timestamptz   NOT NULL DEFAULT now()
);
SELECT pg_catalog.pg_extension_config_dump('dataeng.dead_letters', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.dead_letters_id_seq', '');
-- decoding: the event triggers that put DDL into the dataeng output
-- plugin's stream (decoding.sql).  Their functions are created empty here
-- for the triggers to name; the area file's definitions replace them below.
CREATE FUNCTION dataeng._decoding_on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE FUNCTION dataeng._decoding_on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_decoding_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE')
  EXECUTE FUNCTION dataeng._decoding_on_ddl();
CREATE EVENT TRIGGER dataeng_decoding_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng._decoding_on_drop();
-- The extension-owned table the triggers record each DDL event in (rows
-- are deleted in the same transaction; the plugin decodes the inserts).
CREATE TABLE dataeng._ddl_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event text NOT NULL
);
REVOKE ALL ON dataeng._ddl_events FROM PUBLIC;
-- Facts (facts.sql): a refresh folds min/max from the extremes of the
-- changes (_fact_deltas takes which value columns are extremes) and
-- records the path it took.
DROP FUNCTION dataeng._fact_deltas(text, regclass, text, text, text, text[], text[], boolean[]);
ALTER TABLE dataeng.fact_defs ADD COLUMN last_refresh_path text;
-- CDC (cdc.sql): cdc_poll() returns each change's delivery position, which
-- cdc_ack(consumer, position) takes; cdc_ack(consumer) acknowledges what
-- the last poll of the transaction delivered, recorded with the consumer.
CREATE TYPE dataeng.cdc_position AS (
  tick_id   bigint,
  ord_txn   bigint,
  change_id bigint
);
ALTER TYPE dataeng.change ADD ATTRIBUTE position dataeng.cdc_position;
ALTER TABLE dataeng.cdc_consumer_state
  ADD COLUMN last_poll_xid xid8, ADD COLUMN last_poll_tick bigint,
  ADD COLUMN last_poll_txn bigint, ADD COLUMN last_poll_change bigint;
-- Backups (rules.sql, dedupe.sql, schedule.sql): pg_dump carries the
-- history and user data of validation, dedupe and jobs, with the sequences
-- that number them (a restored database goes on numbering after them).
SELECT pg_catalog.pg_extension_config_dump('dataeng.validation_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.validation_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.validation_results', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.quarantine', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.quarantine_quarantine_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.alerts', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.alerts_alert_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.dedupe_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.job_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.job_runs_run_id_seq', '');

-- The guard's loads (rules.sql): a guarded table gets the statement trigger
-- that closes each load (alerts and a NOTICE for its quarantined rows), as
-- guard_enable() now creates it (the function is made here first; the
-- rest of the script makes it again, with its grants and comment).
CREATE FUNCTION dataeng.guard_load()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_guard_load'
LANGUAGE C;
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT g.tgrelid::regclass FROM pg_catalog.pg_trigger g
            WHERE g.tgname = 'dataeng_guard' AND g.tgparentid = 0 LOOP
    EXECUTE format('CREATE OR REPLACE TRIGGER dataeng_guard_load AFTER INSERT OR UPDATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION dataeng.guard_load()', t);
  END LOOP;
END;
$$;

-- Change capture from the WAL, hardening (cdc_wal.sql): a table whose
-- changes the worker cannot decode is stopped with the reason kept here.
ALTER TABLE dataeng.cdc_tables ADD COLUMN capture_error text;
-- Scheduling (schedule.sql): each run records its statements' completion
-- tags.
ALTER TABLE dataeng.job_runs ADD COLUMN command_tags text[];

-- Internals move to their own schema (last: what is above names them in
-- dataeng).  ALTER ... SET SCHEMA keeps each object's oid, so the triggers
-- on users' tables, the policies and the grants follow.
CREATE SCHEMA dataeng_internal;
COMMENT ON SCHEMA dataeng_internal IS 'dataeng internals: not an API, may change in any release';
GRANT USAGE ON SCHEMA dataeng_internal TO PUBLIC;
DO $move$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT p.oid::regprocedure AS fn, p.prokind
      FROM pg_catalog.pg_proc p
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid
                                 AND d.deptype = 'e'
      JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dataeng'
     WHERE p.pronamespace = 'dataeng'::regnamespace
       AND (p.proname LIKE '\_%' OR p.proname IN ('capture', 'capture_partition_truncate', 'guard', 'guard_load'))
  LOOP
    EXECUTE format('ALTER %s %s SET SCHEMA dataeng_internal',
                   CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE' ELSE 'FUNCTION' END, r.fn);
  END LOOP;
  FOR r IN
    SELECT c.oid::regclass AS rel, c.relkind
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'dataeng'::regnamespace
       AND c.relkind IN ('r', 'p', 'S', 'v')
       AND NOT c.relispartition
       AND (c.relname LIKE '\_%' OR c.relname IN ('change_log', 'change_id_seq', 'cdc_ticks', 'cdc_tick_seq',
                                                  'cdc_batch_txns', 'cdc_consumer_state', 'fact_defs', 'dimension_defs',
                                                  'cdc_wal_state', 'cdc_wal_tables', 'on_change_triggers', 'consumer_lag'))
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                        WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
                          AND d.deptype IN ('a', 'i') AND c.relkind = 'S')
  LOOP
    EXECUTE format('ALTER %s %s SET SCHEMA dataeng_internal',
                   CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, r.rel);
  END LOOP;
  -- the change log's segments (partitions move one by one)
  FOR r IN
    SELECT c.oid::regclass AS rel FROM pg_catalog.pg_class c
     WHERE c.relnamespace = 'dataeng'::regnamespace AND c.relname ~ '^change_log_[0-9]+$'
  LOOP
    EXECUTE format('ALTER TABLE %s SET SCHEMA dataeng_internal', r.rel);
  END LOOP;
END
$move$;
-- the segments' comments name the log's new schema, as a fresh install's do
DO $seg$
BEGIN
  FOR s IN 0 .. @CHANGE_LOG_SEGMENTS@ - 1 LOOP
    EXECUTE format('COMMENT ON TABLE dataeng_internal.%I IS %L', 'change_log_' || s,
                   format('Segment %s of dataeng_internal.change_log', s));
  END LOOP;
END
$seg$;

-- Scheduling (schedule.sql): a run waiting for a background worker slot is
-- shown as 'waiting', with the reason.
ALTER TABLE dataeng.jobs DROP CONSTRAINT jobs_last_status_check,
  ADD CONSTRAINT jobs_last_status_check
  CHECK (last_status IN ('waiting', 'running', 'succeeded', 'failed', 'timed_out'));
ALTER TABLE dataeng.job_runs DROP CONSTRAINT job_runs_status_check,
  ADD CONSTRAINT job_runs_status_check
  CHECK (status IN ('waiting', 'running', 'succeeded', 'failed', 'timed_out'));
ALTER TABLE dataeng.job_runs ADD COLUMN wait_reason text;
CREATE INDEX job_runs_waiting_idx ON dataeng.job_runs (run_id) WHERE status = 'waiting';
-- Change capture from the WAL: paused on_change triggers can be resumed
-- (dataeng.on_change_pause / dataeng.on_change_resume)
ALTER TABLE dataeng_internal.on_change_triggers
  ADD COLUMN resume_from pg_lsn,
  ADD COLUMN resume_requested boolean NOT NULL DEFAULT false;
-- Facts (measures as expressions): the measure parser takes the source,
-- whose columns an expression is analysed against (_fact_parse_measure(
-- regclass, text), re-created by the area file).  Facts of 0.1.0 keep their
-- definitions: their measures are of one column each, as before, and their
-- bucket column stays timestamptz (docs/facts.md).
DROP FUNCTION dataeng_internal._fact_parse_measure(text);
-- Change capture, initial snapshots (cdc.sql): cdc_consumer_create()
-- takes snapshot => true (its body too); consumers remember their
-- snapshot's progress, and the rows not acknowledged yet wait in
-- cdc_snapshot_rows.  (No view or function depends on the old signatures.)
DROP FUNCTION dataeng.cdc_consumer_create(text, regclass[]);
DROP FUNCTION dataeng_internal._cdc_consumer_create(regrole, text, regclass[]);
ALTER TABLE dataeng_internal.cdc_consumer_state
  ADD COLUMN snapshot_rows bigint,
  ADD COLUMN snapshot_acked bigint,
  ADD COLUMN snapshot_polled bigint,
  ADD COLUMN last_poll_snap bigint;
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
REVOKE ALL ON dataeng_internal.cdc_snapshot_rows FROM PUBLIC;
-- Facts (min and max kept with reserves, src/aggregate/reserve.c): each
-- min/max measure of a column whose values a refresh reads typed gets its
-- hidden count of values and reserve (__nn_<measure>, __x_<measure>, as
-- fact_create() makes them now).  They start unknown (NULL): the first
-- refresh that touches a group recomputes that group's min/max from the
-- source, as the fact's owner, and fills them.
DO $reserve$
DECLARE
  f record;
  m jsonb;
  new_spec jsonb;
  typ text;
  adds text;
BEGIN
  FOR f IN SELECT * FROM dataeng_internal.fact_defs LOOP
    new_spec := '[]';
    adds := NULL;
    FOR m IN SELECT * FROM jsonb_array_elements(f.spec) LOOP
      typ := NULL;
      IF m->>'agg' IN ('min', 'max') AND m->>'col' IS NOT NULL AND NOT m ? 'reserve' THEN
        -- (the types _fact_extreme_ok() accepts)
        SELECT format_type(a.atttypid, a.atttypmod) || '[]'
               || coalesce((SELECT format(' COLLATE %I.%I', cn.nspname, l.collname)
                              FROM pg_catalog.pg_collation l
                              JOIN pg_catalog.pg_namespace cn ON cn.oid = l.collnamespace
                             WHERE l.oid = a.attcollation AND a.attcollation <> t.typcollation), '')
          INTO typ
          FROM pg_catalog.pg_attribute a
          JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = f.source AND a.attname = m->>'col' AND a.attnum > 0 AND NOT a.attisdropped
           AND t.typcategory <> 'A' AND t.typtype IN ('b', 'e', 'r')
           AND t.oid NOT IN ('json'::regtype, 'jsonb'::regtype, 'xml'::regtype)
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass o JOIN pg_catalog.pg_am am ON am.oid = o.opcmethod
                        WHERE am.amname = 'btree' AND o.opcdefault AND o.opcintype = t.oid);
      END IF;
      IF typ IS NOT NULL THEN
        adds := coalesce(adds || ', ', '')
                || format('ADD COLUMN %I bigint, ADD COLUMN %I %s', '__nn_' || (m->>'name'), '__x_' || (m->>'name'), typ);
        m := m || jsonb_build_object('reserve', @FACT_RESERVE@);
      END IF;
      new_spec := new_spec || jsonb_build_array(m);
    END LOOP;
    IF adds IS NOT NULL THEN
      EXECUTE format('ALTER TABLE %s %s', f.fact_table, adds);
      UPDATE dataeng_internal.fact_defs SET spec = new_spec WHERE name = f.name;
    END IF;
  END LOOP;
END
$reserve$;
-- Facts (facts.sql), a clean relation: the fact users query is a view of
-- its bucket, dimensions and measures over a table that stores its rows
-- with their bookkeeping columns, named after it (<fact>_data: the name
-- cut to fit 63 bytes, as _fact_storage_name() does), recorded in
-- fact_defs.storage_table.  A fact of 0.1.0: its table is renamed so (with
-- its key constraint), the view takes its name, owner, comment and grants;
-- the storage table keeps only its owner's.  A name already taken stops the
-- upgrade (nothing is changed), saying which.
ALTER TABLE dataeng_internal.fact_defs ADD COLUMN storage_table regclass;
DO $facts$
DECLARE
  f record;
  g record;
  k record;
  storage text;
  knew text;
BEGIN
  FOR f IN
    SELECT d.name, d.fact_table, d.owner, d.dimensions, d.spec, c.relname, n.nspname, c.relacl, c.relowner,
           obj_description(c.oid, 'pg_class') AS descr
      FROM dataeng_internal.fact_defs d
      JOIN pg_catalog.pg_class c ON c.oid = d.fact_table
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r'
     ORDER BY d.name
  LOOP
    storage := f.relname;
    WHILE octet_length(storage) + octet_length('_data') > 63 LOOP
      storage := left(storage, -1);
    END LOOP;
    storage := storage || '_data';
    IF to_regclass(format('%I.%I', f.nspname, storage)) IS NOT NULL THEN
      RAISE EXCEPTION 'cannot upgrade fact "%": relation %.% already exists', f.name,
            quote_ident(f.nspname), quote_ident(storage)
        USING ERRCODE = 'duplicate_table',
              DETAIL = 'dataeng 0.2.0 keeps the rows of a fact in a table named after it; the fact itself becomes a view.',
              HINT = 'Rename that relation, then run ALTER EXTENSION dataeng UPDATE again.';
    END IF;
    EXECUTE format('ALTER TABLE %s RENAME TO %I', f.fact_table, storage);
    -- its key, named as a fresh storage table's would be
    FOR k IN SELECT co.conname FROM pg_catalog.pg_constraint co
              WHERE co.conrelid = f.fact_table AND co.contype IN ('p', 'u')
                AND left(co.conname, length(f.relname) + 1) = f.relname || '_' LOOP
      knew := storage || substr(k.conname, length(f.relname) + 1);
      IF octet_length(knew) <= 63 AND to_regclass(format('%I.%I', f.nspname, knew)) IS NULL THEN
        EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', f.fact_table, k.conname, knew);
      END IF;
    END LOOP;
    EXECUTE format('COMMENT ON TABLE %s IS %L', f.fact_table,
                   format('Rows and bookkeeping of fact %I.%I: query the fact, not this table', f.nspname, f.relname));
    EXECUTE format('CREATE VIEW %I.%I AS SELECT %s FROM %s s', f.nspname, f.relname,
                   array_to_string(ARRAY(SELECT format('s.%I', x) FROM unnest(ARRAY['bucket'] || f.dimensions) x)
                                   || ARRAY(SELECT format('s.%I', e->>'name') FROM jsonb_array_elements(f.spec) e), ', '),
                   f.fact_table);
    -- (a user's object, as fact_create makes it: not part of the extension)
    EXECUTE format('ALTER EXTENSION dataeng DROP VIEW %I.%I', f.nspname, f.relname);
    EXECUTE format('ALTER VIEW %I.%I OWNER TO %I', f.nspname, f.relname,
                   (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid = f.relowner));
    IF f.descr IS NOT NULL THEN
      EXECUTE format('COMMENT ON VIEW %I.%I IS %L', f.nspname, f.relname, f.descr);
    END IF;
    -- the grants on the fact go to the view (granted by its owner); the
    -- storage table keeps its owner's
    FOR g IN SELECT a.grantee, a.privilege_type, a.is_grantable
               FROM aclexplode(f.relacl) a WHERE a.grantee <> f.relowner LOOP
      EXECUTE format('GRANT %s ON %I.%I TO %s%s', g.privilege_type, f.nspname, f.relname,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                          ELSE quote_ident((SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)) END,
                     CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
      EXECUTE format('REVOKE %s ON %s FROM %s CASCADE', g.privilege_type, f.fact_table,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                          ELSE quote_ident((SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)) END);
    END LOOP;
    -- and the grants on its user columns
    FOR g IN SELECT a.attname, x.grantee, x.privilege_type, x.is_grantable
               FROM pg_catalog.pg_attribute a, aclexplode(a.attacl) x
              WHERE a.attrelid = f.fact_table AND a.attnum > 0 AND NOT a.attisdropped AND a.attacl IS NOT NULL
                AND x.grantee <> f.relowner
                AND a.attname IN (SELECT v.attname FROM pg_catalog.pg_attribute v
                                   WHERE v.attrelid = format('%I.%I', f.nspname, f.relname)::regclass AND v.attnum > 0) LOOP
      EXECUTE format('GRANT %s (%I) ON %I.%I TO %s%s', g.privilege_type, g.attname, f.nspname, f.relname,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                          ELSE quote_ident((SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)) END,
                     CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
      EXECUTE format('REVOKE %s (%I) ON %s FROM %s CASCADE', g.privilege_type, g.attname, f.fact_table,
                     CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                          ELSE quote_ident((SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid = g.grantee)) END);
    END LOOP;
    UPDATE dataeng_internal.fact_defs d
       SET storage_table = f.fact_table, fact_table = format('%I.%I', f.nspname, f.relname)::regclass
     WHERE d.name = f.name;
  END LOOP;
END
$facts$;
ALTER TABLE dataeng_internal.fact_defs ALTER COLUMN storage_table SET NOT NULL;
-- A fact's view dropped by hand drops the fact (the function is created
-- empty here for the trigger to name; facts.sql's definition replaces it).
CREATE FUNCTION dataeng_internal._fact_on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_fact_on_drop ON sql_drop
  WHEN TAG IN ('DROP VIEW', 'DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._fact_on_drop();
-- Facts (count(DISTINCT) kept with per-value counts, facts.sql): a
-- count(DISTINCT) measure of a column whose values a refresh reads typed
-- (the types _fact_measure_distinct_ok() accepts) is kept with per-value
-- counts in the fact's side table <fact>_distinct (mode 'distinct').  The
-- side table is not made here: the fact's first refresh after the update
-- finds it missing and rebuilds the fact once, as its owner, which makes
-- and fills it (the changes pending at the update are applied by that
-- rebuild, not counted twice).
UPDATE dataeng_internal.fact_defs f
   SET spec = (SELECT jsonb_agg(CASE WHEN e->>'agg' = 'count_distinct' AND e->>'mode' = 'recompute'
                                          AND e->>'col' IS NOT NULL AND EXISTS (
                                            SELECT 1 FROM pg_catalog.pg_attribute a
                                              JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                                             WHERE a.attrelid = f.source AND a.attname = e->>'col' AND a.attnum > 0
                                               AND NOT a.attisdropped
                                               AND t.typcategory <> 'A' AND t.typtype IN ('b', 'e', 'r')
                                               AND t.oid NOT IN ('json'::regtype, 'jsonb'::regtype, 'xml'::regtype)
                                               AND EXISTS (SELECT 1 FROM pg_catalog.pg_opclass o
                                                             JOIN pg_catalog.pg_am am ON am.oid = o.opcmethod
                                                            WHERE am.amname = 'btree' AND o.opcdefault
                                                              AND (o.opcintype = t.oid
                                                                   OR (t.typtype = 'e' AND o.opcintype = 'anyenum'::regtype)
                                                                   OR (t.typtype = 'r' AND o.opcintype = 'anyrange'::regtype)
                                                                   OR (t.oid = 'varchar'::regtype
                                                                       AND o.opcintype = 'text'::regtype))))
                                     THEN e || '{"mode": "distinct"}' ELSE e END ORDER BY x.i)
                 FROM jsonb_array_elements(f.spec) WITH ORDINALITY x(e, i))
 WHERE EXISTS (SELECT 1 FROM jsonb_array_elements(f.spec) e WHERE e->>'agg' = 'count_distinct');


-- Validation and dedupe (backups): the run logs refer to their runs without
-- a foreign key, which made pg_restore -j fail (it loads extension
-- configuration tables in parallel); triggers of rules.sql and dedupe.sql
-- delete a run's results or log with it.
ALTER TABLE dataeng.validation_results DROP CONSTRAINT validation_results_run_id_fkey;
ALTER TABLE dataeng.dedupe_log DROP CONSTRAINT dedupe_log_run_id_fkey;

-- Facts and dimensions restored from a dump (facts.sql, dimensions.sql):
-- their new consumer starts at the restore, so the next refresh makes the
-- definition equal to its source (resync_pending, set by the trigger
-- restore_consumer).
ALTER TABLE dataeng_internal.fact_defs ADD COLUMN resync_pending boolean NOT NULL DEFAULT false;
ALTER TABLE dataeng_internal.dimension_defs ADD COLUMN resync_pending boolean NOT NULL DEFAULT false;

-- Facts, measures typed (facts.sql): fact_defs.spec stays as it is (jsonb,
-- one object per measure); the builders of a fact's SQL take its measures
-- as dataeng_internal.fact_measure, read through _fact_measures().  The
-- type is made here (the rest of the script makes the functions over it,
-- and its comment); _fact_measure_cols takes the typed measure now.
CREATE TYPE dataeng_internal.fact_measure AS (
  measure   text,
  agg       text,
  name      text,
  col       text,
  expr      text,
  filter    text,
  cols      text[],
  argtype   regtype,
  is_float  boolean,
  mode      text,
  reserve   int
);
DROP FUNCTION dataeng_internal._fact_measure_cols(jsonb, boolean);

-- Dimensions (dimensions.sql): after ALTER TABLE of a dimension's source
-- or table, a column type change that the changes pending cannot be read
-- through marks the dimension to be compared with its source at its next
-- refresh (the function is created empty here for the trigger to name;
-- dimensions.sql's definition replaces it).
CREATE FUNCTION dataeng_internal._dim_on_alter() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_dim_on_alter ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE')
  EXECUTE FUNCTION dataeng_internal._dim_on_alter();

-- Dimensions (dimensions.sql): a dimension's table is created with
-- fillfactor 90: a type 1 refresh's overwrite of a row stays on its page
-- (a HOT update, no new entry in the key's index), and a type 2 refresh's
-- closing of a version writes the closed version on its own page (one
-- heap page and one WAL record rather than two pages and a lock record).
-- The tables of dimensions created before get it too, unless a fillfactor
-- was set on them (pages written from now on keep that room); a table the
-- installing role cannot alter is left as it is.
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT x.dim_table FROM dataeng_internal.dimension_defs x
             JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) x.dim_table
            WHERE pg_catalog.pg_has_role(c.relowner, 'USAGE')
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(c.reloptions) o(opt)
                               WHERE o.opt OPERATOR(pg_catalog.~~) 'fillfactor=%')
  LOOP
    EXECUTE pg_catalog.format('ALTER TABLE %s SET (fillfactor = 90)', t);
  END LOOP;
END $$;

-- CDC (cdc.sql): each batch's changes counted by table by the maintenance
-- (_cdc_count_batches), so that a consumer's lag sums batches rather than
-- reading every pending change; until counted, the batches kept so far are
-- read change by change, as before.
CREATE TABLE dataeng_internal.cdc_batch_tables (
  tick_id   bigint      NOT NULL,
  table_oid oid         NOT NULL,
  changes   bigint      NOT NULL,
  oldest    timestamptz NOT NULL,
  PRIMARY KEY (tick_id, table_oid)
);
CREATE INDEX cdc_batch_tables_table_idx ON dataeng_internal.cdc_batch_tables (table_oid, tick_id);

-- Validation (rules.sql): a dropped relation's rules go with it (an sql_drop
-- event trigger; the function is created empty here for the trigger to
-- name, rules.sql's definition replaces it), and the rules of relations
-- dropped before are deleted: each named an oid no relation has, which a
-- restore gave to whichever relation had that oid in the new cluster.
CREATE FUNCTION dataeng_internal._rules_on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_rules_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP VIEW', 'DROP MATERIALIZED VIEW', 'DROP FOREIGN TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._rules_on_drop();
DELETE FROM dataeng.rules r
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) r.table_name::oid);

-- CDC (cdc.sql): the event trigger that follows partition and inheritance
-- DDL also sees the tables CREATE SCHEMA ... CREATE TABLE creates, and
-- foreign tables put into an inheritance tree.
DROP EVENT TRIGGER dataeng_cdc_on_ddl;
CREATE EVENT TRIGGER dataeng_cdc_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE SCHEMA',
               'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE')
  EXECUTE FUNCTION dataeng_internal._cdc_on_ddl();

-- Scheduling (schedule.sql): a job keeps its owner's name beside the oid,
-- with the cluster where that name was seen on it; the scheduler runs a job
-- restored in another cluster only as a role of that name.  The owners of
-- the jobs now: their current names, in this cluster (a job whose owner was
-- dropped gets no name and is marked broken by the scheduler).
ALTER TABLE dataeng.jobs ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
UPDATE dataeng.jobs j
   SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r
 WHERE r.oid OPERATOR(pg_catalog.=) j.owner::oid;

-- Dropped tables (ops.sql): a dropped table's monitors and quarantined rows
-- go with it, its history is kept detached (table_name NULL, dropped_table
-- its name), by an sql_drop event trigger (the function is created empty
-- here for the trigger to name, ops.sql's definition replaces it).  Rows
-- of tables dropped before (monitors, their checks and dead letters are
-- new: none) are dealt with alike,
-- dropped_table says only the oid, the name is not known any more: each
-- named an oid no relation has, which a restore gave to whichever relation
-- had that oid in the new cluster.
ALTER TABLE dataeng.validation_runs ALTER COLUMN table_name DROP NOT NULL, ADD COLUMN dropped_table text;
ALTER TABLE dataeng.validation_results ALTER COLUMN table_name DROP NOT NULL, ADD COLUMN dropped_table text;
ALTER TABLE dataeng.alerts ADD COLUMN dropped_table text;
ALTER TABLE dataeng.dedupe_runs ALTER COLUMN table_name DROP NOT NULL, ADD COLUMN dropped_table text;
ALTER TABLE dataeng.monitor_checks ALTER COLUMN tbl DROP NOT NULL, ADD COLUMN dropped_table text;
ALTER TABLE dataeng.dead_letters ALTER COLUMN table_name DROP NOT NULL, ADD COLUMN dropped_table text;
-- the trigger finds a table's rows by index (a DROP TABLE scanned them all)
CREATE INDEX validation_runs_table_idx ON dataeng.validation_runs (table_name);
CREATE INDEX validation_results_table_idx ON dataeng.validation_results (table_name);
CREATE INDEX quarantine_table_idx ON dataeng.quarantine (table_name);
CREATE INDEX alerts_table_idx ON dataeng.alerts (table_name);
CREATE INDEX dedupe_runs_table_idx ON dataeng.dedupe_runs (table_name);
CREATE INDEX monitor_checks_table_idx ON dataeng.monitor_checks (tbl);
CREATE INDEX dead_letters_table_idx ON dataeng.dead_letters (table_name);
CREATE FUNCTION dataeng_internal._tables_on_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_tables_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP VIEW', 'DROP MATERIALIZED VIEW', 'DROP FOREIGN TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._tables_on_drop();
DELETE FROM dataeng.quarantine q
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) q.table_name::oid);
UPDATE dataeng.validation_runs x SET table_name = NULL, dropped_table = 'oid ' || x.table_name::oid
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) x.table_name::oid);
UPDATE dataeng.validation_results x SET table_name = NULL, dropped_table = 'oid ' || x.table_name::oid
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) x.table_name::oid);
UPDATE dataeng.alerts x SET table_name = NULL, dropped_table = 'oid ' || x.table_name::oid
 WHERE x.table_name IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) x.table_name::oid);
UPDATE dataeng.dedupe_runs x SET table_name = NULL, dropped_table = 'oid ' || x.table_name::oid
 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) x.table_name::oid);
-- ALTER TABLE ... DROP COLUMN takes the column out of the capture options
-- (dataeng_internal._cdc_on_drop()).
DROP EVENT TRIGGER dataeng_cdc_on_drop;
CREATE EVENT TRIGGER dataeng_cdc_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'ALTER TABLE')
  EXECUTE FUNCTION dataeng_internal._cdc_on_drop();

-- Rows that name a role by oid only to say who may see them (schedule.sql,
-- rules.sql, ops.sql, cdc_wal.sql, dedupe.sql) keep the role's name beside
-- it, with the cluster where that name was seen on it, as the jobs do: a
-- row restored in another cluster whose oid names a role of another name
-- is shown to superusers only.  The rows there now: their roles' current
-- names, in this cluster (a row of a dropped role gets no name).
ALTER TABLE dataeng.job_runs ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
ALTER TABLE dataeng.alerts ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
ALTER TABLE dataeng.alert_settings ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
ALTER TABLE dataeng.dead_letters ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
ALTER TABLE dataeng.dedupe_runs ADD COLUMN run_by_name name,
  ADD COLUMN run_by_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
UPDATE dataeng.job_runs x SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.owner::oid;
UPDATE dataeng.alerts x SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.owner::oid;
UPDATE dataeng.alert_settings x SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.owner::oid;
UPDATE dataeng.dead_letters x SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.owner::oid;
UPDATE dataeng.dedupe_runs x SET run_by_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.run_by::oid;

-- A dropped relation's rules are deleted by dataeng_tables_on_drop
-- (ops.sql), which fires on the same commands: the event trigger of
-- rules.sql and its function are gone.
DROP EVENT TRIGGER dataeng_rules_on_drop;
DROP FUNCTION dataeng_internal._rules_on_drop();

-- A fact's or dimension's source is recorded by name beside its oid, and
-- marked when dropped (facts.sql, _agg_source_exists): a dropped source's
-- oid may name another table after a restore or once the oid counter
-- wraps around.  The definitions there now: their source's current name,
-- or marked dropped when no table has its oid.  Renames are followed by
-- the event trigger dataeng_agg_on_rename (dimensions.sql).
ALTER TABLE dataeng_internal.fact_defs ADD COLUMN source_name text,
  ADD COLUMN source_dropped boolean NOT NULL DEFAULT false;
ALTER TABLE dataeng_internal.dimension_defs ADD COLUMN source_name text,
  ADD COLUMN source_dropped boolean NOT NULL DEFAULT false;
UPDATE dataeng_internal.fact_defs x
   SET source_name = pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.=) x.source::oid;
UPDATE dataeng_internal.dimension_defs x
   SET source_name = pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname)
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
 WHERE c.oid OPERATOR(pg_catalog.=) x.source::oid;
UPDATE dataeng_internal.fact_defs x SET source_dropped = true WHERE x.source_name IS NULL;
UPDATE dataeng_internal.dimension_defs x SET source_dropped = true WHERE x.source_name IS NULL;
CREATE FUNCTION dataeng_internal._agg_on_rename() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_agg_on_rename_start ON ddl_command_start
  WHEN TAG IN ('ALTER TABLE', 'ALTER INDEX', 'ALTER SCHEMA')
  EXECUTE FUNCTION dataeng_internal._agg_on_rename();
CREATE EVENT TRIGGER dataeng_agg_on_rename ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER INDEX', 'ALTER SCHEMA')
  EXECUTE FUNCTION dataeng_internal._agg_on_rename();

-- Monitors and alert handlers keep their owner's name and cluster beside
-- its oid too (ops.sql): one restored in another cluster whose oid names a
-- role of another name is not that role's to see, drop or be called for.
-- The rows there now: their roles' current names, in this cluster.
ALTER TABLE dataeng.monitors ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
ALTER TABLE dataeng.alert_handlers ADD COLUMN owner_name name,
  ADD COLUMN owner_system bigint DEFAULT (pg_catalog.pg_control_system()).system_identifier;
UPDATE dataeng.monitors x SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.owner::oid;
UPDATE dataeng.alert_handlers x SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) x.owner::oid;

-- An open alert whose condition is found again shows what holds now
-- (ops.sql, _alert_raise): when it was last found and how many times.
ALTER TABLE dataeng.alerts ADD COLUMN last_seen_at timestamptz,
  ADD COLUMN seen_count bigint NOT NULL DEFAULT 1;

-- A fact's or dimension's source is recorded by its schema's and its own
-- names, unquoted, instead of the quoted qualified name source_name
-- (facts.sql, _agg_source_exists): quote_ident quotes the keywords its
-- server reserves, and a major version that reserves another would spell
-- the same table otherwise, which the next check took for another table.
-- The names of those recorded, read back from their spelling (parse_ident
-- takes a keyword, quoted or not, as the name it spells).
ALTER TABLE dataeng_internal.fact_defs ADD COLUMN source_schema name, ADD COLUMN source_table name;
ALTER TABLE dataeng_internal.dimension_defs ADD COLUMN source_schema name, ADD COLUMN source_table name;
UPDATE dataeng_internal.fact_defs x
   SET source_schema = (pg_catalog.parse_ident(x.source_name))[1],
       source_table = (pg_catalog.parse_ident(x.source_name))[2]
 WHERE x.source_name IS NOT NULL;
UPDATE dataeng_internal.dimension_defs x
   SET source_schema = (pg_catalog.parse_ident(x.source_name))[1],
       source_table = (pg_catalog.parse_ident(x.source_name))[2]
 WHERE x.source_name IS NOT NULL;
ALTER TABLE dataeng_internal.fact_defs DROP COLUMN source_name;
ALTER TABLE dataeng_internal.dimension_defs DROP COLUMN source_name;

-- The rules on a money column or a domain over it (its base type found
-- through any depth of domains), which the two rewrites below read.
CREATE TEMP TABLE dataeng_upgrade_money_rules AS
  SELECT ru.rule_id FROM dataeng.rules ru
   WHERE (WITH RECURSIVE t (oid, typtype, typbasetype) AS (
           SELECT ty.oid, ty.typtype, ty.typbasetype FROM pg_catalog.pg_attribute a
             JOIN pg_catalog.pg_type ty ON ty.oid OPERATOR(pg_catalog.=) a.atttypid
            WHERE a.attrelid OPERATOR(pg_catalog.=) ru.table_name::oid
              AND a.attname OPERATOR(pg_catalog.=) ru.column_name AND a.attnum OPERATOR(pg_catalog.>) 0
              AND NOT a.attisdropped
           UNION ALL
           SELECT ty.oid, ty.typtype, ty.typbasetype FROM t
             JOIN pg_catalog.pg_type ty ON ty.oid OPERATOR(pg_catalog.=) t.typbasetype
            WHERE t.typtype OPERATOR(pg_catalog.=) 'd')
         SELECT t.oid FROM t WHERE t.typtype OPERATOR(pg_catalog.<>) 'd') OPERATOR(pg_catalog.=) 'pg_catalog.money'::pg_catalog.regtype;

-- An accepted_values rule on a money column (or a domain over it) reads
-- its values given as JSON numbers with their decimal point and stores
-- them as lc_monetary C writes them (rules.c, canonical_params): {"values":
-- [7, 0.4]} is {"values": ["$7.00", "$0.40"]}.  Those of 0.1.0 kept their
-- numbers, which the condition compares with the money's text ($7.00
-- against 7): every row failed.  Their numbers are written so now; one
-- money cannot hold exactly (0.001, out of range) no money value equals,
-- and rule_add now refuses: it is left out, with a warning naming it.
DO $$
DECLARE
  r record;
  v jsonb;
  vals jsonb;
  changed boolean;
  m money;
  save text := pg_catalog.current_setting('lc_monetary');
BEGIN
  PERFORM pg_catalog.set_config('lc_monetary', 'C', true);
  FOR r IN SELECT ru.rule_id, ru.table_name, ru.rule_name, ru.params FROM dataeng.rules ru
            WHERE ru.kind OPERATOR(pg_catalog.=) 'accepted_values'
              AND pg_catalog.jsonb_typeof(ru.params OPERATOR(pg_catalog.->) 'values') OPERATOR(pg_catalog.=) 'array'
              AND EXISTS (SELECT 1 FROM pg_catalog.jsonb_array_elements(ru.params OPERATOR(pg_catalog.->) 'values') e
                           WHERE pg_catalog.jsonb_typeof(e) OPERATOR(pg_catalog.=) 'number')
              AND EXISTS (SELECT FROM pg_temp.dataeng_upgrade_money_rules mr
                           WHERE mr.rule_id OPERATOR(pg_catalog.=) ru.rule_id)
            ORDER BY ru.rule_id LOOP
    vals := '[]';
    changed := false;
    FOR v IN SELECT e FROM pg_catalog.jsonb_array_elements(r.params OPERATOR(pg_catalog.->) 'values') e LOOP
      IF pg_catalog.jsonb_typeof(v) OPERATOR(pg_catalog.<>) 'number' THEN
        vals := vals OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(v);
        CONTINUE;
      END IF;
      BEGIN
        m := (v OPERATOR(pg_catalog.#>>) '{}')::money;
        IF m::numeric OPERATOR(pg_catalog.<>) (v OPERATOR(pg_catalog.#>>) '{}')::numeric THEN
          RAISE EXCEPTION USING ERRCODE = 'numeric_value_out_of_range';
        END IF;
        vals := vals OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(m::text);
      EXCEPTION WHEN data_exception THEN
        RAISE WARNING 'rule "%" of table %: accepted value % left out: money cannot hold it', r.rule_name, r.table_name, v
          USING DETAIL = 'No money value equals it: it never matched, and dataeng.rule_add() refuses it now.';
      END;
      changed := true;
    END LOOP;
    IF changed THEN
      UPDATE dataeng.rules ru
         SET params = pg_catalog.jsonb_set(ru.params, '{values}', vals)
       WHERE ru.rule_id OPERATOR(pg_catalog.=) r.rule_id;
    END IF;
  END LOOP;
  PERFORM pg_catalog.set_config('lc_monetary', save, true);
END;
$$;

-- A range rule on a money column (or a domain over it) whose bound has
-- more decimal places than money keeps (2 under lc_monetary C): 0.1.0
-- stored it as given, and its condition read it as money, rounded to the
-- nearest cent ({"min": 0.004} checked amount >= $0.00, and let $0.00
-- pass).  rule_add now refuses such a bound.  Money holds whole cents, so
-- each is rewritten as the cent bound that admits exactly the same money
-- values as the bound given (amount >= 0.004 is amount >= $0.01; amount
-- <= 8.999 is amount <= $8.99; a strict bound keeps strict: amount > 0.396
-- is amount > $0.39), stored as rule_add stores bounds now, with a
-- warning naming the rule, the bound given and the one stored.  A bound
-- that does not read as a number (also a JSON null), whose strict_ flag
-- does not read as a boolean, or that money cannot hold at all, is left
-- as it is (the rule's validation says so).
DO $$
DECLARE
  r record;
  side text;
  b numeric;
  exact numeric;
  m money;
  new_params jsonb;
  is_strict boolean;
  op text;
  save text := pg_catalog.current_setting('lc_monetary');
BEGIN
  PERFORM pg_catalog.set_config('lc_monetary', 'C', true);
  FOR r IN SELECT ru.rule_id, ru.table_name, ru.rule_name, ru.column_name, ru.params FROM dataeng.rules ru
            WHERE ru.kind OPERATOR(pg_catalog.=) 'range'
              AND EXISTS (SELECT FROM pg_temp.dataeng_upgrade_money_rules mr
                           WHERE mr.rule_id OPERATOR(pg_catalog.=) ru.rule_id)
            ORDER BY ru.rule_id LOOP
    new_params := r.params;
    FOREACH side IN ARRAY ARRAY['min', 'max'] LOOP
      CONTINUE WHEN NOT new_params OPERATOR(pg_catalog.?) side;
      BEGIN
        -- a JSON number, or a string as lc_monetary C writes money
        b := pg_catalog.translate(new_params OPERATOR(pg_catalog.->>) side, '$, ', '')::numeric;
      EXCEPTION WHEN data_exception THEN
        CONTINUE;
      END;
      -- (a JSON null bound, which 0.1.0 took as no bound, is left as it is)
      CONTINUE WHEN b IS NULL OR b OPERATOR(pg_catalog.=) pg_catalog.round(b, 2);
      BEGIN
        is_strict := coalesce((new_params OPERATOR(pg_catalog.->>) ('strict_' OPERATOR(pg_catalog.||) side))::boolean, false);
      EXCEPTION WHEN data_exception THEN
        CONTINUE;
      END;
      -- the cent bound that admits the same whole cents
      exact := CASE WHEN (side OPERATOR(pg_catalog.=) 'min') OPERATOR(pg_catalog.<>) is_strict
                    THEN pg_catalog.ceil(b OPERATOR(pg_catalog.*) 100) ELSE pg_catalog.floor(b OPERATOR(pg_catalog.*) 100) END
               OPERATOR(pg_catalog./) 100;
      BEGIN
        m := exact::money;
      EXCEPTION WHEN data_exception THEN
        CONTINUE;
      END;
      op := CASE side WHEN 'min' THEN CASE WHEN is_strict THEN '>' ELSE '>=' END
                      ELSE CASE WHEN is_strict THEN '<' ELSE '<=' END END;
      new_params := pg_catalog.jsonb_set(new_params, ARRAY[side], pg_catalog.to_jsonb(m::text));
      RAISE WARNING 'rule "%" of table %: range bound params.% % is stored as "%": money holds whole cents',
                    r.rule_name, r.table_name, side, r.params OPERATOR(pg_catalog.->) side, m::text
        USING DETAIL = pg_catalog.format('%I %s %s admits the same money values as %I %s %s.  Version 0.1.0 read the bound as money, '
                                         'rounded to %s: another rule than the one given.  dataeng.rule_add() now refuses a bound money cannot hold exactly.',
                                         r.column_name, op, b, r.column_name, op, m::text, pg_catalog.round(b, 2)::money::text),
              HINT = pg_catalog.format('See the rule with SELECT params FROM dataeng.rules WHERE rule_id = %s; '
                                       'if it meant another bound, drop it and add it again (dataeng.rule_drop(), dataeng.rule_add()).', r.rule_id);
    END LOOP;
    IF new_params OPERATOR(pg_catalog.<>) r.params THEN
      UPDATE dataeng.rules ru SET params = new_params WHERE ru.rule_id OPERATOR(pg_catalog.=) r.rule_id;
    END IF;
  END LOOP;
  PERFORM pg_catalog.set_config('lc_monetary', save, true);
END;
$$;
DROP TABLE pg_temp.dataeng_upgrade_money_rules;

-- A job's timeout over 24 days (0.1.0 stored any): a run is timed by a
-- timer of at most 2^31 - 1 ms, and such a timeout was cut silently to
-- 24.8 days at run time; dataeng.schedule() now refuses it, and the
-- scheduler marks a job that has one broken (scheduler.c).  The upgrade
-- sets it to 24 days, the longest a job may have, with a warning naming
-- the job: it goes on running, timed as before to within a day.
DO $$
DECLARE
  j record;
BEGIN
  FOR j IN SELECT jb.job_id, jb.job_name, jb.timeout FROM dataeng.jobs jb
            WHERE jb.timeout OPERATOR(pg_catalog.>) '24 days'::pg_catalog.interval
            ORDER BY jb.job_id LOOP
    UPDATE dataeng.jobs jb SET timeout = '24 days' WHERE jb.job_id OPERATOR(pg_catalog.=) j.job_id;
    RAISE WARNING 'job "%": its timeout % is set to 24 days', j.job_name, j.timeout
      USING DETAIL = 'A run is timed by a timer of at most 24.8 days: the timeout was cut to that silently, and '
                     'dataeng.schedule() now refuses a timeout over 24 days.',
            HINT = 'To time its runs otherwise, schedule it again with dataeng.schedule(..., timeout => ...), '
                   'or with no timeout: then dataeng.job_timeout applies (0 there: no timeout).';
  END LOOP;
END;
$$;

-- dead letters keep the DETAIL and HINT of the handler's error
ALTER TABLE dataeng.dead_letters ADD COLUMN detail text, ADD COLUMN hint text;

-- the runs shown running, of which the scheduler ends those no worker
-- runs (a data-only restore with --disable-triggers brings some)
CREATE INDEX job_runs_running_idx ON dataeng.job_runs (run_id) WHERE status = 'running';

-- on_change handlers deferred past the time budget of a round: their
-- batches wait in a backlog while capture goes on (wal_handlers.c)
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
  deferred_at   timestamptz   NOT NULL DEFAULT now()
);
CREATE INDEX on_change_backlog_trigger_idx ON dataeng_internal.on_change_backlog (trigger_name, commit_lsn, id);
COMMENT ON TABLE dataeng_internal.on_change_backlog IS
  'Batches whose on_change handler the WAL worker deferred to a later round (the time budget of the role, or of the round, was spent)';
REVOKE ALL ON dataeng_internal.on_change_backlog FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng_internal.on_change_backlog_id_seq FROM PUBLIC;

-- freshness rules on a column that is no time (0.1.0 stored any):
-- dataeng.rule_add() now refuses them.  The upgrade keeps them, as they
-- are, with a warning naming each: one on a type with no cast to
-- timestamptz (integer...) made every validate() of its table fail, one
-- on a text column read its values as times (and fails when one does not
-- read as a time).  They are the user's to drop or to add again on a time
-- column; nothing is deleted.
DO $$
DECLARE
  r record;
BEGIN
  FOR r IN
    SELECT ru.rule_id, ru.rule_name, ru.table_name, ru.column_name,
           pg_catalog.format_type(a.atttypid, a.atttypmod) AS coltype,
           (EXISTS (SELECT 1 FROM pg_catalog.pg_cast c
                     WHERE c.castsource OPERATOR(pg_catalog.=) b.base::oid
                       AND c.casttarget OPERATOR(pg_catalog.=) 'pg_catalog.timestamptz'::pg_catalog.regtype::oid)
            OR (SELECT t.typcategory OPERATOR(pg_catalog.=) 'S' FROM pg_catalog.pg_type t
                 WHERE t.oid OPERATOR(pg_catalog.=) b.base::oid)) AS casts
      FROM dataeng.rules ru
      JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) ru.table_name::oid
                                    AND a.attname OPERATOR(pg_catalog.=) ru.column_name
                                    AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
     CROSS JOIN LATERAL (
       WITH RECURSIVE d(oid, n) AS (
         SELECT a.atttypid, 0
         UNION ALL
         SELECT t.typbasetype, d.n OPERATOR(pg_catalog.+) 1 FROM d JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) d.oid
          WHERE t.typbasetype OPERATOR(pg_catalog.<>) 0 AND d.n OPERATOR(pg_catalog.<) 10)
       SELECT d.oid::pg_catalog.regtype AS base FROM d ORDER BY d.n DESC LIMIT 1) b
     WHERE ru.kind OPERATOR(pg_catalog.=) 'freshness'
       AND b.base OPERATOR(pg_catalog.<>) ALL (ARRAY['timestamptz', 'timestamp', 'date']::pg_catalog.regtype[])
     ORDER BY ru.rule_id
  LOOP
    RAISE WARNING 'rule "%" of table %: freshness of column "%" of type %, which is not a time',
                  r.rule_name, r.table_name, r.column_name, r.coltype
      USING DETAIL = CASE WHEN r.casts
                          THEN 'The rule is kept as it is: validate() reads the column''s values as times, and fails when one does not read as a time.  dataeng.rule_add() now refuses such a rule.'
                          ELSE 'The rule is kept as it is: its type has no cast to timestamptz, so every dataeng.validate() of the table fails while it is there.  dataeng.rule_add() now refuses such a rule.' END,
            HINT = pg_catalog.format('Drop it with dataeng.rule_drop(%L, %L) and add it again on a column of type timestamptz, timestamp or date.',
                                     r.table_name::text, r.rule_name);
  END LOOP;
END;
$$;

-- a resume cut by the time budget of a round goes on from the calls made,
-- after a restart of the WAL worker too (wal_handlers.c)
CREATE TABLE dataeng_internal.on_change_resume_progress (
  dead_letter_id bigint      PRIMARY KEY,
  attempts       int         NOT NULL,
  not_before     timestamptz
);
COMMENT ON TABLE dataeng_internal.on_change_resume_progress IS
  'Calls made to hand a set-aside batch to its handler in a resume cut by the time budget of a round';
REVOKE ALL ON dataeng_internal.on_change_resume_progress FROM PUBLIC;

-- what a fact refresh builds from the fact's definition, kept for the
-- session (dataeng_internal._fact_refresh_build, src/aggregate/built.c)
CREATE TYPE dataeng_internal.fact_refresh_build AS (
  q_key_cols text,
  q_key_join text,
  q_bucket_s text,
  q_ins_cols text,
  q_ins_sel text,
  q_rec_set text,
  q_rec_sel text,
  side regclass,
  ttype regtype,
  btype regtype,
  keys text[],
  vals text[],
  summed boolean[],
  extreme boolean[],
  dvals boolean[],
  kcols text,
  reagg text,
  agg_cols text[],
  dc_cols text[],
  ins_cols text,
  ins_vals text,
  upd text,
  upd_m text,
  rec_all boolean,
  xcond text,
  xfold text,
  upd_fast text,
  ins_fast text,
  xcond_after text,
  upd_m_plain text,
  ins_cols_plain text,
  ins_vals_plain text,
  ins_cols_x text,
  dcm int[],
  dci int[],
  dc_list text,
  nan_cond text,
  c_add text[],
  c_sum text[],
  c_sumn text[],
  c_x text[],
  c_xk int[],
  c_xdesc boolean[],
  image_keys boolean,
  delta text,
  knull boolean[],
  fkeys text[],
  dkeys text[],
  rkeys text[],
  skeys text[],
  kk text[],
  d_bucket text,
  d_dims text,
  d_cols text
);

-- when the WAL worker stopped capturing a table, and the probe a
-- consumer's read makes for stopped tables (cdc_wal.sql)
ALTER TABLE dataeng.cdc_tables ADD COLUMN capture_stopped_at timestamptz;
COMMENT ON COLUMN dataeng.cdc_tables.capture_stopped_at IS
  'When the WAL worker stopped capturing the table, NULL while it captures';
CREATE INDEX cdc_tables_capture_stopped_idx ON dataeng.cdc_tables (table_name)
  WHERE capture_error IS NOT NULL;

-- why an on_change trigger is paused (on_change_pause(), on_error =>
-- 'pause', the bound of its backlog, dataeng.on_change_max_backlog): the
-- view that shows the triggers is made again after it, with the column
DROP VIEW IF EXISTS dataeng.on_changes;
ALTER TABLE dataeng_internal.on_change_triggers ADD COLUMN pause_reason text;
COMMENT ON COLUMN dataeng_internal.on_change_triggers.pause_reason IS
  'Why the trigger is paused, NULL while it is not';

-- the calls of a batch that its role's whole budget cut off in a row
-- (dataeng.on_change_timeout = 0), shown by dataeng.on_changes.calls_cut_off
-- (made again after it, with the column)
DROP VIEW IF EXISTS dataeng.on_changes;
ALTER TABLE dataeng_internal.on_change_backlog ADD COLUMN cut_off int NOT NULL DEFAULT 0;
ALTER TABLE dataeng_internal.on_change_resume_progress ADD COLUMN cut_off int NOT NULL DEFAULT 0;

-- the row an UPDATE diverted by the guard was to replace, which the table
-- keeps: quarantine_release() refuses to put the new row back beside it
-- (rules.sql)
ALTER TABLE dataeng.quarantine ADD COLUMN replaces jsonb;
COMMENT ON COLUMN dataeng.quarantine.replaces IS
  'The row an UPDATE diverted by the guard was to replace (kept in the table), NULL for other rows';

-- a table the WAL worker stopped while its row of dataeng.cdc_tables was
-- locked, until the worker records it there (cdc_wal.sql, wal_apply.c)
CREATE TABLE dataeng_internal.cdc_wal_stops (
  table_name    oid         PRIMARY KEY,
  capture_error text        NOT NULL,
  stopped_at    timestamptz NOT NULL
);
COMMENT ON TABLE dataeng_internal.cdc_wal_stops IS
  'Tables the WAL worker stopped capturing while their row of dataeng.cdc_tables was locked, until it records the stop there';
REVOKE ALL ON dataeng_internal.cdc_wal_stops FROM PUBLIC;

-- replaces also says where the row was (its ctid, tableoid and xmin), which
-- tells versions of one row from copies of it (rules.sql)
COMMENT ON COLUMN dataeng.quarantine.replaces IS
  'The row an UPDATE diverted by the guard was to replace (kept in the table), with its ctid, tableoid and xmin then; NULL for other rows';

-- Jobs in a cycle of dependencies, which 0.1.0 accepted (from schedule(),
-- and from a role's own writes to dataeng.jobs): none of them ever ran,
-- silently.  dataeng.schedule() now refuses a cycle, and pipeline_status
-- shows such a job failing with its cycle (ops.sql); the upgrade names
-- each in a warning.  A dependency is followed as the scheduler follows
-- it: to a job of the same owner, or of anyone for a superuser's job.
DO $$
DECLARE
  j record;
BEGIN
  FOR j IN
    WITH RECURSIVE edge(down, up) AS (
      SELECT f.job_name, u.job_name
        FROM dataeng.jobs f CROSS JOIN LATERAL pg_catalog.unnest(f.depends_on) d(name)
        JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d.name
         AND (u.owner OPERATOR(pg_catalog.=) f.owner
              OR coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                            WHERE r.oid OPERATOR(pg_catalog.=) f.owner::pg_catalog.oid), false))),
    reach(start, at) AS (
      SELECT e.down, e.up FROM edge e
      UNION
      SELECT r.start, e.up FROM reach r JOIN edge e ON e.down OPERATOR(pg_catalog.=) r.at)
    SELECT r.start AS job_name FROM reach r WHERE r.start OPERATOR(pg_catalog.=) r.at ORDER BY 1
  LOOP
    RAISE WARNING 'job "%" is in a cycle of dependencies: it never runs', j.job_name
      USING DETAIL = 'It waits, directly or through other jobs, for itself to succeed; version 0.1.0 accepted that, '
                     'dataeng.schedule() now refuses it.  dataeng.pipeline_status shows the cycle.',
            HINT = 'Reschedule one job of the cycle with dataeng.schedule() without its dependency on the next.';
  END LOOP;
END;
$$;

-- quarantine_release() looks for the quarantined versions of one row by
-- where the row they replace was, with this index (rules.sql)
CREATE INDEX quarantine_replaces_idx ON dataeng.quarantine (table_name, (replaces -> 'ctid'))
  WHERE replaces IS NOT NULL;

-- Alert handler calls put off by a session holding another role's
-- temporary objects, made by the next alert_check() (ops.sql)
CREATE TABLE dataeng_internal.alert_handler_pending (
  id        bigserial    PRIMARY KEY,
  handler   regprocedure NOT NULL,
  alert_id  bigint       NOT NULL,
  event     text         NOT NULL,
  doc       jsonb        NOT NULL,
  queued_at timestamptz  NOT NULL DEFAULT now()
);

-- The jobs downstream of a job are walked by the cycle check of
-- dataeng.schedule() through this index (schedule.sql, _job_cycle)
CREATE INDEX jobs_depends_on_idx ON dataeng.jobs USING gin (depends_on);

-- The time zone a monitor reads a timestamp (without time zone) or date
-- column in, recorded by monitor_create() (ops.sql)
ALTER TABLE dataeng.monitors ADD COLUMN time_zone text;

-- Alert handlers, their pending calls and on_change triggers name their
-- function by oid, by name (following renames) and by the catalog where
-- the oid is valid, no longer as regprocedure, a column pg_upgrade refuses
-- (ops.sql, cdc_wal.sql; dataeng_internal._handlers_follow).  The alert
-- handlers move to dataeng_internal, shown by the view
-- dataeng.alert_handlers.  (_catalog_id is made here for the columns'
-- defaults; a handler whose function was dropped has no name.)
CREATE FUNCTION dataeng_internal._catalog_id()
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_catalog_id'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
ALTER TABLE dataeng.alert_handlers SET SCHEMA dataeng_internal;
ALTER TABLE dataeng_internal.alert_handlers DROP CONSTRAINT alert_handlers_pkey;
ALTER TABLE dataeng_internal.alert_handlers
  ALTER COLUMN handler TYPE oid USING handler::oid,
  ADD COLUMN handler_name text,
  ADD COLUMN handler_catalog text NOT NULL DEFAULT dataeng_internal._catalog_id();
ALTER TABLE dataeng_internal.alert_handlers ADD PRIMARY KEY (handler, handler_catalog);
UPDATE dataeng_internal.alert_handlers x
   SET handler_name = (pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0)).identity
  FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) x.handler;
ALTER TABLE dataeng_internal.alert_handler_pending
  ALTER COLUMN handler TYPE oid USING handler::oid,
  ADD COLUMN handler_catalog text NOT NULL DEFAULT dataeng_internal._catalog_id();
ALTER TABLE dataeng_internal.on_change_triggers
  ALTER COLUMN handler TYPE oid USING handler::oid,
  ADD COLUMN handler_name text,
  ADD COLUMN handler_catalog text NOT NULL DEFAULT dataeng_internal._catalog_id();
UPDATE dataeng_internal.on_change_triggers x
   SET handler_name = (pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0)).identity
  FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) x.handler;
CREATE FUNCTION dataeng_internal._handlers_on_alter() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_handlers_on_alter_start ON ddl_command_start
  WHEN TAG IN ('ALTER FUNCTION', 'ALTER PROCEDURE', 'ALTER ROUTINE', 'ALTER SCHEMA', 'ALTER EXTENSION')
  EXECUTE FUNCTION dataeng_internal._handlers_on_alter();
CREATE EVENT TRIGGER dataeng_handlers_on_alter ON ddl_command_end
  WHEN TAG IN ('ALTER FUNCTION', 'ALTER PROCEDURE', 'ALTER ROUTINE', 'ALTER SCHEMA', 'ALTER EXTENSION')
  EXECUTE FUNCTION dataeng_internal._handlers_on_alter();

-- The source columns a fact reads, with their attnums, recorded by
-- fact_create (for a fact of 0.1.0, by its first refresh): a column renamed
-- and another given its name is not read as the fact's (facts.sql)
ALTER TABLE dataeng_internal.fact_defs ADD COLUMN source_columns jsonb;

-- The source columns a dimension copies, with their attnums (facts.sql,
-- dimensions.sql _dim_on_alter): a column renamed or added under one of
-- their names marks the dimension for a resync
ALTER TABLE dataeng_internal.dimension_defs ADD COLUMN source_columns jsonb;

-- Who could read a captured table when it was dropped, so that consumers
-- still get its changes captured before the DROP (cdc.sql)
CREATE TABLE dataeng_internal.cdc_dropped_readers (
  table_oid   oid         NOT NULL,
  reader      oid         NOT NULL,
  table_ident text        NOT NULL,
  dropped_xid xid8        NOT NULL DEFAULT pg_current_xact_id(),
  PRIMARY KEY (table_oid, reader)
);
COMMENT ON TABLE dataeng_internal.cdc_dropped_readers IS
  'The roles that could read a dropped captured table when it was dropped, whose consumers still get its changes';
REVOKE ALL ON dataeng_internal.cdc_dropped_readers FROM PUBLIC;

-- The finished runs past dataeng.job_history_keep, deleted by the scheduler
-- once a minute: an index instead of a scan of the whole history each time
-- (schedule.sql)
CREATE INDEX job_runs_finished_idx ON dataeng.job_runs (finished_at);

-- The drops of a consumer, fact or dimension return whether there was one
-- to drop (false: none of that name), as the other drops do: re-created
-- returning boolean by the area files (docs/errors.md)
DROP FUNCTION dataeng.cdc_consumer_drop(text);
DROP FUNCTION dataeng_internal._cdc_consumer_drop(regrole, text);
DROP FUNCTION dataeng.fact_drop(text);
DROP FUNCTION dataeng.dimension_drop(text);

-- The depth in on_change handlers of a batch waiting in the backlog, and
-- of the WAL the handlers of a round wrote, kept in the database so that a
-- loop of handlers is stopped across the backlog and restarts of the
-- worker (cdc_wal.sql)
ALTER TABLE dataeng_internal.on_change_backlog ADD COLUMN depth int NOT NULL DEFAULT 0;
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
ALTER TABLE dataeng.dead_letters ADD COLUMN depth int NOT NULL DEFAULT 0;
COMMENT ON COLUMN dataeng.dead_letters.depth IS
  'How deep in on_change handlers the batch was written (0: not by a handler); on_change_resume() hands it over as deep';

-- dedupe_undo undoes chosen clusters of a run, and dedupe_undo_clusters
-- each cluster it can, reporting the others: each logged row says when
-- its cluster was undone (dedupe.sql); dedupe_undo(bigint) is made again
-- with a clusters argument
ALTER TABLE dataeng.dedupe_log ADD COLUMN undone_at timestamptz;
UPDATE dataeng.dedupe_log l SET undone_at = r.undone_at
  FROM dataeng.dedupe_runs r WHERE r.run_id = l.run_id AND r.undone_at IS NOT NULL;
DROP FUNCTION dataeng.dedupe_undo(bigint);

-- Tables captured from the WAL that a transaction dropped after writing
-- them: what the worker needs to record those changes, which it decodes
-- after the commit, when the table, its row of dataeng.cdc_tables and
-- its key are gone.  Written by the DROP (src/cdc/ddl.c,
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
  PRIMARY KEY (table_oid, dropped_xid)
);
COMMENT ON TABLE dataeng_internal.cdc_wal_dropped IS
  'Tables captured from the WAL dropped by a transaction that wrote them: their capture options, key and columns, until the WAL worker records that transaction';
REVOKE ALL ON dataeng_internal.cdc_wal_dropped FROM PUBLIC;

-- The tables a consumer lists that were dropped, by name, and those whose
-- changes its polls cannot read, as alert_check() measured them: the
-- status of a consumer reading a dropped table (ops.sql)
ALTER TABLE dataeng_internal.consumer_lag ADD COLUMN dropped_tables text[], ADD COLUMN dropped_unread text[];

-- An on_change trigger's owner by name beside its oid: the WAL worker
-- marks a trigger whose owner was dropped (owner_name NULL) so that a role
-- given that oid later (oid wraparound) never runs its handler
-- (cdc_wal.sql); the triggers already there take their owner's name
ALTER TABLE dataeng_internal.on_change_triggers ADD COLUMN owner_name name;
COMMENT ON COLUMN dataeng_internal.on_change_triggers.owner_name IS
  'The owner''s role name, followed on a rename by the WAL worker; NULL once the worker saw the owner oid name no role (dropped): the handler is never called again, whichever role gets that oid later';
UPDATE dataeng_internal.on_change_triggers t SET owner_name = r.rolname
  FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) t.owner::oid;

-- A typed table's columns renamed or retyped by ALTER TYPE ... CASCADE of
-- its type: a dimension of it is made equal to its source too
-- (dimensions.sql)
DROP EVENT TRIGGER dataeng_dim_on_alter;
CREATE EVENT TRIGGER dataeng_dim_on_alter ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER TYPE')
  EXECUTE FUNCTION dataeng_internal._dim_on_alter();

-- CDC (cdc.sql): ALTER TYPE ... RENAME ATTRIBUTE and DROP ATTRIBUTE ...
-- CASCADE rename and drop the columns of the type's typed tables, which
-- the capture options name: both event triggers fire for ALTER TYPE too
DROP EVENT TRIGGER dataeng_cdc_on_ddl;
CREATE EVENT TRIGGER dataeng_cdc_on_ddl ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE', 'CREATE SCHEMA',
               'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'ALTER TYPE')
  EXECUTE FUNCTION dataeng_internal._cdc_on_ddl();
DROP EVENT TRIGGER dataeng_cdc_on_drop;
CREATE EVENT TRIGGER dataeng_cdc_on_drop ON sql_drop
  WHEN TAG IN ('DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'ALTER TABLE', 'ALTER TYPE')
  EXECUTE FUNCTION dataeng_internal._cdc_on_drop();

-- The stored generated columns of a table dropped by a transaction that
-- wrote it (and those it made plain ones): their names and expressions
-- (node trees, the columns numbered by column_names), which the WAL
-- worker computes their values with (cdc_wal.sql, src/cdc/wal_generated.c)
ALTER TABLE dataeng_internal.cdc_wal_dropped
  ADD COLUMN generated_columns text[], ADD COLUMN generated_exprs text[];

-- An accepted_values rule on a number column (smallint, integer, bigint,
-- numeric, real, double precision, or a domain over one) compares its
-- values as numbers now (rules.sql, _rule_condition): as text, a
-- numeric(10,2) value 5.00 was not the listed 5.  0.1.0 stored any value;
-- one that does not read as a number no number equals, and rule_add now
-- refuses it: it is left out, with a warning naming it (kept, it made the
-- rule's condition fail to read, and every validate() of the table fail).
DO $$
DECLARE
  r record;
  v jsonb;
  vals jsonb;
  changed boolean;
BEGIN
  FOR r IN
    WITH RECURSIVE t(rule_id, oid, typtype, typbasetype) AS (
      SELECT ru.rule_id, ty.oid, ty.typtype, ty.typbasetype FROM dataeng.rules ru
        JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) ru.table_name::oid
         AND a.attname OPERATOR(pg_catalog.=) ru.column_name AND a.attnum OPERATOR(pg_catalog.>) 0
         AND NOT a.attisdropped
        JOIN pg_catalog.pg_type ty ON ty.oid OPERATOR(pg_catalog.=) a.atttypid
       WHERE ru.kind OPERATOR(pg_catalog.=) 'accepted_values'
         AND pg_catalog.jsonb_typeof(ru.params OPERATOR(pg_catalog.->) 'values') OPERATOR(pg_catalog.=) 'array'
      UNION ALL
      SELECT t.rule_id, ty.oid, ty.typtype, ty.typbasetype FROM t
        JOIN pg_catalog.pg_type ty ON ty.oid OPERATOR(pg_catalog.=) t.typbasetype
       WHERE t.typtype OPERATOR(pg_catalog.=) 'd')
    SELECT ru.rule_id, ru.table_name, ru.rule_name, ru.column_name, ru.params,
           CASE WHEN t.oid IN ('pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype)
                THEN t.oid::pg_catalog.regtype ELSE 'pg_catalog.numeric'::pg_catalog.regtype END AS numtype
      FROM t JOIN dataeng.rules ru ON ru.rule_id OPERATOR(pg_catalog.=) t.rule_id
     WHERE t.typtype OPERATOR(pg_catalog.<>) 'd'
       AND t.oid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                     'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.numeric'::pg_catalog.regtype,
                     'pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype)
     ORDER BY ru.rule_id
  LOOP
    vals := '[]';
    changed := false;
    FOR v IN SELECT e FROM pg_catalog.jsonb_array_elements(r.params OPERATOR(pg_catalog.->) 'values') e LOOP
      BEGIN
        EXECUTE pg_catalog.format('SELECT %L::%s', v OPERATOR(pg_catalog.#>>) '{}', r.numtype);
        vals := vals OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_array(v);
      EXCEPTION WHEN data_exception THEN
        RAISE WARNING 'rule "%" of table %: accepted value % left out: it is not a number', r.rule_name, r.table_name, v
          USING DETAIL = pg_catalog.format('Column "%s" holds numbers, which the rule now compares with its values as numbers: it matched none, and dataeng.rule_add() refuses it now.',
                                           r.column_name);
        changed := true;
      END;
    END LOOP;
    IF changed THEN
      UPDATE dataeng.rules ru
         SET params = pg_catalog.jsonb_set(ru.params, '{values}', vals)
       WHERE ru.rule_id OPERATOR(pg_catalog.=) r.rule_id;
    END IF;
  END LOOP;
END;
$$;

-- Dimensions (dimensions.sql): a statement that leaves a dimension's key
-- column without a unique index of its own (DROP INDEX, ALTER TABLE ...
-- DROP CONSTRAINT or a DROP ... CASCADE) warns and marks the dimension
-- (the function is created empty here for the trigger to name;
-- dimensions.sql's definition replaces it).
CREATE FUNCTION dataeng_internal._dim_on_key_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$;
CREATE EVENT TRIGGER dataeng_dim_key_drop ON sql_drop
  EXECUTE FUNCTION dataeng_internal._dim_on_key_drop();
