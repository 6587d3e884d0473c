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
