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
