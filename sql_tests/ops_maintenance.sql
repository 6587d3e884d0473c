-- Operations: maintenance that runs itself (its setting; the worker itself
-- is tested with the scheduler running in t/071_ops_maintenance.pl), the
-- change log's row of pipeline_status (past change_log_max, or held back
-- by a consumer it names) and one row per replication slot of dataeng.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

-- the setting: seconds, reloadable, 30 by default (0: off)
SELECT name, boot_val, unit, context, min_val
  FROM pg_settings WHERE name = 'dataeng.maintenance_interval';
-- no job to schedule any more: maintain_schedule() is gone
SELECT to_regprocedure('dataeng.maintain_schedule(text)') AS maintain_schedule;

-------------------------------------------------------------------------------
-- The change log: a warning while a consumer is behind (it holds back
-- purging), naming it; past change_log_max, naming the consumer with the
-- oldest pending change; ok once it acknowledged.
-------------------------------------------------------------------------------
CREATE TABLE events (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('events');
SELECT dataeng.cdc_consumer_create('fast', ARRAY['events'::regclass]);
SELECT dataeng.cdc_consumer_create('slow', ARRAY['events'::regclass]);
INSERT INTO events SELECT g, 'x' FROM generate_series(1, 20) g;
SELECT count(*) FROM dataeng.cdc_poll('fast', 1000);
SELECT dataeng.cdc_ack('fast', (SELECT max(change_id) FROM dataeng.changes));
-- nobody behind: ok
SELECT dataeng.maintain()->'change_log' AS change_log;
SELECT kind, name, state, reason FROM dataeng.pipeline_status WHERE kind = 'change log';
-- slow is behind: the change log's row names it
SELECT dataeng.alert_set('consumer:slow', 'lag_changes', '10');
SELECT (dataeng.maintain()->'alerts_raised')::int AS raised;
SELECT kind, name, state, regexp_replace(regexp_replace(reason, 'oldest \d+ s', 'oldest N s'), ' \(measured .*\)', '') AS reason
  FROM dataeng.pipeline_status WHERE kind IN ('change log', 'consumer') ORDER BY 1, 2;
-- past change_log_max without any consumer behind: the one with the oldest pending change
SELECT dataeng.alert_set('consumer:slow', 'lag_changes', NULL);
SELECT dataeng.alert_set('*', 'change_log_max', '5');
SELECT (dataeng.maintain()->'alerts_resolved')::int AS resolved;
SELECT kind, state, regexp_replace(reason, 'oldest \d+ s', 'oldest N s') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'change log';
-- slow catches up: nothing holds the log back
SELECT count(*) FROM dataeng.cdc_poll('slow', 1000);
SELECT dataeng.cdc_ack('slow', (SELECT max(change_id) FROM dataeng.changes));
SELECT dataeng.alert_set('*', 'change_log_max', '1000');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, state, reason ~ '^holds \d+ changes$' AS just_counts FROM dataeng.pipeline_status WHERE kind = 'change log';
SELECT dataeng.alert_set('*', 'change_log_max', NULL);
-- the consumer of a fact is acknowledged by its refreshes alone (cdc_ack
-- and cdc_consumer_drop refuse it): what to do is refresh it (it said
-- "poll and acknowledge it, or drop it", which both refuse)
CREATE TABLE ev_t (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
SELECT dataeng.fact_create('ev_daily', 'ev_t', 'at', 'day', '{}', '{count(*)}', schedule => NULL);
INSERT INTO ev_t (id) SELECT g FROM generate_series(1, 5) g;
SELECT dataeng.alert_set('*', 'lag_changes', '2');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, regexp_replace(regexp_replace(reason, 'oldest \d+ s', 'oldest N s'), ' \(measured .*\)', '') AS reason
  FROM dataeng.pipeline_status WHERE kind IN ('change log', 'consumer') ORDER BY 1, 2;
SELECT dataeng.fact_refresh('ev_daily');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state FROM dataeng.pipeline_status WHERE kind IN ('change log', 'consumer') ORDER BY 1, 2;
SELECT dataeng.alert_set('*', 'lag_changes', NULL);
SELECT dataeng.fact_drop('ev_daily');
DROP TABLE ev_t;

-------------------------------------------------------------------------------
-- Replication slots of dataeng (its plugin's, WAL capture's): one row each,
-- by WAL behind against dataeng.max_slot_lag: warning past it, failing past
-- twice it; a slot of another plugin is not dataeng's.
-------------------------------------------------------------------------------
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ops_slot', 'dataeng');
SELECT 'init' FROM pg_create_logical_replication_slot('regress_ops_other', 'test_decoding');
-- WAL the slots have not read: a few hundred kB
CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 2000) g;
SET dataeng.max_slot_lag = 0;   -- no limit
SELECT kind, name, state, regexp_replace(reason, '\d+ (bytes|kB|MB)', 'N', 'g') AS reason, last_error
  FROM dataeng.pipeline_status WHERE kind = 'slot';
-- the limit at 3/4 of what it is behind: a warning, and its alert
SELECT set_config('dataeng.max_slot_lag',
                  (pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn) * 3 / 4 / 1024)::bigint || 'kB', false) <> '0'
       AS limit_set
  FROM pg_replication_slots WHERE slot_name = 'regress_ops_slot';
SELECT kind, name, state, regexp_replace(reason, '\d+ (bytes|kB|MB)', 'N', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'slot';
SELECT (dataeng.alert_check()).raised;
SELECT kind, object, severity FROM dataeng.alerts_open WHERE kind = 'slot_lag';
-- at a third of it: failing (its alert stays the one open)
SELECT set_config('dataeng.max_slot_lag',
                  (pg_wal_lsn_diff(pg_current_wal_insert_lsn(), confirmed_flush_lsn) / 3 / 1024)::bigint || 'kB', false) <> '0'
       AS limit_set
  FROM pg_replication_slots WHERE slot_name = 'regress_ops_slot';
SELECT kind, name, state, regexp_replace(reason, '\d+ (bytes|kB|MB)', 'N', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'slot';
SELECT (dataeng.alert_check()).raised;
-- a role neither superuser nor replication sees no slot and no change log
CREATE ROLE regress_ops_maint_low;
SET ROLE regress_ops_maint_low;
SELECT count(*) AS slots_and_log FROM dataeng.pipeline_status WHERE kind IN ('slot', 'change log');
RESET ROLE;
-- under a larger limit it is ok again: the alert is resolved
SET dataeng.max_slot_lag = '1GB';
SELECT state FROM dataeng.pipeline_status WHERE kind = 'slot';
SELECT (dataeng.alert_check()).resolved;
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind = 'slot_lag';
RESET dataeng.max_slot_lag;
SELECT pg_drop_replication_slot('regress_ops_slot');
SELECT pg_drop_replication_slot('regress_ops_other');
SELECT count(*) AS slots FROM dataeng.pipeline_status WHERE kind = 'slot';

DROP ROLE regress_ops_maint_low;
DROP TABLE events, filler;
DROP EXTENSION dataeng;
