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

-- Scheduling (schedule.sql): each run records its statements' completion
-- tags.
ALTER TABLE dataeng.job_runs ADD COLUMN command_tags text[];
