-- Operations: pipeline_status and alerts raised once when a condition
-- starts and resolved once when it ends (a job out of retries, a consumer
-- left behind, a stale fact, monitors), NOTIFY on both, alert handlers.
-- The cluster preloads dataeng, so this database has a scheduler.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

-------------------------------------------------------------------------------
-- A job made to fail: retrying is a warning, out of retries it fails and
-- raises one alert (however often alerts are checked); it resolves once
-- the job succeeds.  Each raise and resolve is a NOTIFY with JSON.
-------------------------------------------------------------------------------
CREATE TABLE flag (fail boolean);
INSERT INTO flag VALUES (true);
SELECT dataeng.schedule('flaky', '@yearly', 'SELECT 1 / (SELECT CASE WHEN fail THEN 0 ELSE 1 END FROM public.flag)',
                        max_retries => 1) > 0 AS scheduled;
SELECT dataeng.job_run_now('flaky');
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
                   WHERE j.job_name = 'flaky' AND r.status = 'failed'$$) AS failed_twice;
SELECT wait_for($$SELECT attempt = 0 AND last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'flaky'$$) AS out_of_retries;
SELECT kind, name, state, reason, last_error, last_success, since IS NOT NULL AS since
  FROM dataeng.pipeline_status WHERE kind = 'job';
\set nf '/tmp/dataeng_ops_alerts_' :PORT '.out'
LISTEN dataeng_alerts;
\o :nf
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT dataeng.maintain()->'alerts_raised' AS raised_again;
\o
UNLISTEN dataeng_alerts;
SELECT kind, object, severity, message, payload->>'state' AS state FROM dataeng.alerts_open;
SELECT count(*) AS alerts_of_flaky FROM dataeng.alerts WHERE object = 'flaky';
-- one notification, JSON, naming the event, alert, kind and severity only
SELECT (regexp_match(pg_read_file(:'nf'), 'payload "(\{[^\n]*\})" received'))[1]::jsonb - 'alert_id' AS notified,
       (SELECT count(*) FROM regexp_matches(pg_read_file(:'nf'), 'notification "dataeng_alerts"', 'g')) AS notifications,
       (regexp_match(pg_read_file(:'nf'), 'payload "(\{[^\n]*\})" received'))[1]::jsonb->'alert_id'
         = to_jsonb((SELECT max(alert_id) FROM dataeng.alerts)) AS names_the_alert;
UPDATE flag SET fail = false;
SELECT dataeng.job_run_now('flaky');
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'flaky'$$) AS succeeded;
SELECT kind, name, state, last_error, last_success IS NOT NULL AS last_success FROM dataeng.pipeline_status WHERE kind = 'job';
LISTEN dataeng_alerts;
\o :nf
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
\o
UNLISTEN dataeng_alerts;
SELECT (regexp_match(pg_read_file(:'nf'), 'payload "(\{[^\n]*\})" received'))[1]::jsonb - 'alert_id' AS notified;
SELECT count(*) AS open FROM dataeng.alerts_open;
SELECT object, resolved_at > raised_at AS resolved FROM dataeng.alerts;
-- a job that times out out of retries raises job_timed_out
SELECT dataeng.schedule('slow', '@yearly', 'SELECT pg_sleep(30)', timeout => '0.2 seconds') > 0 AS scheduled;
SELECT dataeng.job_run_now('slow');
SELECT wait_for($$SELECT last_status = 'timed_out' FROM dataeng.jobs WHERE job_name = 'slow'$$) AS timed_out;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT kind, object, severity FROM dataeng.alerts_open;
-- a paused job is paused, not failing, and its alert resolves
SELECT dataeng.job_pause('slow');
SELECT state FROM dataeng.pipeline_status WHERE name = 'slow';
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT dataeng.unschedule('slow'), dataeng.unschedule('flaky');
-- a job out of retries whose next run is in progress is still failing,
-- and its alert stays open until a run succeeds (the status read the run
-- in progress as "ok", and the alert was resolved and raised again at
-- every run).  The run in progress waits for a lock this session holds,
-- so that it is still running however slow the machine is.
CREATE TABLE stuck_mode (mode text);
INSERT INTO stuck_mode VALUES ('fail');
SELECT dataeng.schedule('stuck', '@yearly',
         $$SELECT CASE (SELECT mode FROM public.stuck_mode) WHEN 'fail' THEN (1 / (random() * 0)::int)::text
                  ELSE (SELECT 'passed' FROM pg_advisory_xact_lock_shared(741)) END$$,
         timeout => '1 hour') > 0 AS scheduled;
SELECT dataeng.job_run_now('stuck');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'stuck'$$) AS failed;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
UPDATE stuck_mode SET mode = 'wait';
SELECT pg_advisory_lock(741);
SELECT dataeng.job_run_now('stuck');
SELECT wait_for($$SELECT last_status = 'running' FROM dataeng.jobs WHERE job_name = 'stuck'$$) AS running;
SELECT state, reason, last_error FROM dataeng.pipeline_status WHERE name = 'stuck';
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT kind, object FROM dataeng.alerts_open WHERE object = 'stuck';
-- the run goes on and succeeds: the job is ok, its alert resolves
SELECT pg_advisory_unlock(741);
SELECT wait_for($$SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'stuck'$$) AS succeeded;
SELECT state, reason ~ '^last run succeeded' AS says_so FROM dataeng.pipeline_status WHERE name = 'stuck';
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT kind, object, resolved_at IS NOT NULL AS resolved FROM dataeng.alerts WHERE object = 'stuck';
SELECT dataeng.unschedule('stuck');

-------------------------------------------------------------------------------
-- A consumer left behind: past its lag threshold it warns and raises;
-- polled and acknowledged, it resolves.  Thresholds per object, with
-- defaults.
-------------------------------------------------------------------------------
CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric, at timestamptz NOT NULL DEFAULT now());
SELECT dataeng.cdc_enable('orders');
SELECT dataeng.cdc_consumer_create('copy', ARRAY['orders'::regclass]);
SELECT dataeng.fact_create('daily', 'orders', 'at', 'day', '{customer}', '{count(*), sum(amount)}', schedule => NULL);
INSERT INTO orders SELECT g, 'c' || g % 3, g, now() FROM generate_series(1, 20) g;
-- the default (100000 changes, 1 hour) is not reached
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT kind, name, state, lag_changes FROM dataeng.pipeline_status WHERE kind IN ('consumer', 'fact') ORDER BY 1, 2;
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', '10');
SELECT dataeng.alert_set('fact:daily', 'lag_changes', '5');
SELECT object, setting, value FROM dataeng.alert_settings ORDER BY 1, 2;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT kind, name, state, reason ~ 'holds back purging|stale' AS says_why, lag_changes
  FROM dataeng.pipeline_status WHERE kind IN ('consumer', 'fact') ORDER BY 1, 2;
SELECT kind, object, severity FROM dataeng.alerts_open ORDER BY kind;
-- found again while open, with other figures: the alert shows what holds
-- now (the changes pending now, when last found, how often), keeps when it
-- was raised, and is not sent again (it kept the first message, with the
-- figures of its raise)
SELECT alert_id AS copy_alert, raised_at AS copy_raised FROM dataeng.alerts_open WHERE kind = 'consumer_lag' \gset
INSERT INTO orders SELECT g, 'c' || g % 3, g, now() FROM generate_series(101, 110) g;
LISTEN dataeng_alerts;
\o :nf
SELECT dataeng.maintain()->'alerts_raised' AS raised;
\o
UNLISTEN dataeng_alerts;
SELECT (SELECT count(*) FROM regexp_matches(pg_read_file(:'nf'), 'notification "dataeng_alerts"', 'g')) AS notifications,
       (regexp_match(pg_read_file(:'nf'), '(\d+)\s*\(1 row\)'))[1] AS raised;
SELECT kind, alert_id = :copy_alert AS same_alert, raised_at = :'copy_raised' AS raised_then,
       last_seen_at > raised_at AS found_later, seen_count, message ~ '30 changes' AS figures_of_now
  FROM dataeng.alerts_open ORDER BY kind;
-- the stale fact is refreshed, the consumer polled and acknowledged
SELECT dataeng.fact_refresh('daily');
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT kind, object FROM dataeng.alerts_open;
SELECT count(*) FROM dataeng.cdc_poll('copy', 1000);
SELECT dataeng.cdc_ack('copy', (SELECT max(change_id) FROM dataeng.changes));
SELECT dataeng.maintain() - 'trimmed' - 'change_log' AS maintained;
SELECT count(*) AS open FROM dataeng.alerts_open;
-- alerts off for one object: the status still warns, no alert
SELECT dataeng.alert_set('consumer:copy', 'alerts', 'off');
INSERT INTO orders SELECT g, 'x', g, now() FROM generate_series(21, 40) g;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT kind, object FROM dataeng.alerts_open ORDER BY 1;
SELECT state FROM dataeng.pipeline_status WHERE kind = 'consumer' AND name = 'copy';
SELECT dataeng.alert_set('consumer:copy', 'alerts', NULL);
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', NULL);
SELECT dataeng.alert_set('fact:daily', 'lag_changes', NULL);
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
-- the change log: maintenance counts it, pipeline_status warns past change_log_max
SELECT dataeng.alert_set('*', 'change_log_max', '5');
SELECT dataeng.alert_set('*', 'purge', 'off');
SELECT dataeng.maintain()->'purged_changes' AS purged;
SELECT kind, state, reason FROM dataeng.pipeline_status WHERE kind = 'change log';
SELECT dataeng.alert_set('*', 'change_log_max', NULL);
SELECT dataeng.alert_set('*', 'purge', NULL);
-- settings refused
SELECT dataeng.alert_set('consumer:copy', 'lag_chnages', '1');
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', 'many');
SELECT dataeng.alert_set('consumer:nope', 'lag_changes', '1');
SELECT dataeng.alert_set('job:x', 'lag_changes', '1');
SELECT dataeng.alert_set('consumer:copy', 'purge', 'off');

-------------------------------------------------------------------------------
-- Monitors: a silent table, a volume drop, a steady table.  Each check is
-- recorded; the alerts resolve when the table is healthy again.
-------------------------------------------------------------------------------
CREATE TABLE steady (at timestamptz NOT NULL);
CREATE TABLE silent (at timestamptz NOT NULL);
CREATE TABLE dropping (at timestamp NOT NULL);
-- one row a minute for 8 hours
INSERT INTO steady SELECT now() - g * interval '1 minute' FROM generate_series(0, 479) g;
-- the same, but nothing in the last 2 hours
INSERT INTO silent SELECT now() - g * interval '1 minute' FROM generate_series(120, 479) g;
-- one row a minute for the 7 hours before the last one, then 10 in the last hour
INSERT INTO dropping SELECT localtimestamp - g * interval '1 minute' FROM generate_series(61, 479) g;
INSERT INTO dropping SELECT localtimestamp - g * interval '5 minutes' FROM generate_series(0, 9) g;
SELECT dataeng.monitor_create('steady', 'steady', 'at', max_silence => '10 minutes', drop_pct => 50, schedule => '@yearly');
SELECT dataeng.monitor_create('silent', 'silent', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT dataeng.monitor_create('dropping', 'dropping', 'at', max_silence => '1 hour', min_rows => 5,
                              drop_pct => 50, schedule => '@yearly');
SELECT job_name, schedule, command FROM dataeng.jobs ORDER BY 1;
SELECT c.monitor, c.ok, c.rows_in_period BETWEEN 59 AND 61 AS full_hour, round(c.baseline) AS baseline,
       regexp_replace(array_to_string(c.problems, '; '), 'is .* more than', 'is ... more than') AS problems
  FROM unnest(ARRAY['steady', 'silent', 'dropping']) m, dataeng.monitor_check(m) c;
SELECT kind, object, severity, message ~ 'silent|below the average' AS says_why FROM dataeng.alerts_open ORDER BY object;
SELECT kind, name, state FROM dataeng.pipeline_status WHERE kind = 'monitor' ORDER BY name;
-- checked again: the alerts stay raised once
SELECT count(*) FROM unnest(ARRAY['steady', 'silent', 'dropping']) m, dataeng.monitor_check(m) c;
SELECT dataeng.maintain()->'alerts_resolved' AS resolved_by_maintain;
SELECT count(*) AS monitor_alerts FROM dataeng.alerts WHERE kind LIKE 'monitor%';
SELECT monitor, count(*) AS checks FROM dataeng.monitor_checks GROUP BY 1 ORDER BY 1;
-- the period's bounds read back as the same moments whatever DateStyle and
-- TimeZone are (as text in the Postgres style, Asia/Kolkata's IST read back
-- as Israel's, +02, and the last hour of steady was 3.5 hours earlier)
BEGIN;
SET LOCAL DateStyle = 'Postgres, DMY';
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT c.ok, c.rows_in_period BETWEEN 59 AND 61 AS full_hour, c.problems FROM dataeng.monitor_check('steady') c;
ROLLBACK;
-- the tables are fed again
INSERT INTO silent SELECT now() - g * interval '1 minute' FROM generate_series(0, 119) g;
INSERT INTO dropping SELECT localtimestamp - g * interval '1 minute' FROM generate_series(0, 59) g;
SELECT c.monitor, c.ok FROM unnest(ARRAY['silent', 'dropping']) m, dataeng.monitor_check(m) c;
SELECT count(*) AS open FROM dataeng.alerts_open;
SELECT kind, object, resolved_at IS NOT NULL AS resolved FROM dataeng.alerts WHERE kind LIKE 'monitor%' ORDER BY 2, 1;
-- monitors refused
-- (a wrong time column: the hint names the table's time columns; it had none)
\set VERBOSITY default
SELECT dataeng.monitor_create('m', 'steady', 'nope', max_silence => '1 hour');
SELECT dataeng.monitor_create('m', 'orders', 'customer', max_silence => '1 hour');
\set VERBOSITY terse
SELECT dataeng.monitor_create('m', 'steady', 'at');
SELECT dataeng.monitor_create('m', 'steady', 'at', drop_pct => 150);
-- fewer than 0 (or than -1) rows never happen: a volume check that never
-- fires is refused, as a look back beyond the range of timestamptz (every
-- check failed on it)
\set VERBOSITY default
SELECT dataeng.monitor_create('m', 'steady', 'at', min_rows => 0);
\set VERBOSITY terse
SELECT dataeng.monitor_create('m', 'steady', 'at', min_rows => -1);
SELECT dataeng.monitor_create('m', 'steady', 'at', min_rows => 1, per => '1000000 years');
SELECT dataeng.monitor_create('m', 'steady', 'at', max_silence => '290000 years');
SELECT count(*) AS created FROM dataeng.monitors WHERE name = 'm';
-- an alert handler's timeout is a number of milliseconds: 30 days made
-- every alert sent fail in what raised it, under 1 ms was no timeout
\set VERBOSITY default
SELECT dataeng.alert_set('*', 'handler_timeout', '30 days');
\set VERBOSITY terse
SELECT dataeng.alert_set('*', 'handler_timeout', '0.5 milliseconds');
SELECT count(*) AS set FROM dataeng.alert_settings WHERE setting = 'handler_timeout';
-- how long histories are kept reaches back no further than timestamptz:
-- further, every round of maintenance failed with "timestamp out of range"
\set VERBOSITY default
SELECT dataeng.alert_set('*', 'history_keep', '100000000 years');
\set VERBOSITY terse
SELECT dataeng.alert_set('*', 'dead_letters_keep', '100000000 years');
SELECT count(*) AS set FROM dataeng.alert_settings WHERE setting IN ('history_keep', 'dead_letters_keep');
SELECT dataeng.monitor_create('m', 'steady', 'at', max_silence => '1 hour', schedule => 'every day');
SELECT dataeng.monitor_check('nope');
SELECT dataeng.monitor_drop('silent'), dataeng.monitor_drop('silent');
SELECT job_name FROM dataeng.jobs ORDER BY 1;

-------------------------------------------------------------------------------
-- Alert handlers: called as their owner with each alert it may see; a
-- failing handler is recorded, never raised into what raised the alert
-------------------------------------------------------------------------------
CREATE ROLE regress_ops_pager;
CREATE TABLE pager_log (event text, kind text, object text, called_as name);
GRANT INSERT ON pager_log TO regress_ops_pager;
CREATE FUNCTION page(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.pager_log VALUES (a->>'event', a->>'kind', a->>'object', current_user) $$;
ALTER FUNCTION page(jsonb) OWNER TO regress_ops_pager;
CREATE FUNCTION broken_pager(a jsonb) RETURNS void LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'pager down'; END $$;
GRANT SELECT ON steady, dropping TO regress_ops_pager;
SET ROLE regress_ops_pager;
SELECT dataeng.alert_handler_add('page(jsonb)');
SELECT dataeng.alert_handler_add('broken_pager(jsonb)');   -- not its function
RESET ROLE;
SELECT dataeng.alert_handler_add('broken_pager(jsonb)');
SELECT dataeng.alert_handler_add('wait_for(text, float8)');
DELETE FROM steady;   -- regress_ops_pager may read steady: it is paged
SELECT ok, problems FROM dataeng.monitor_check('steady');
SELECT message FROM dataeng.alerts_open WHERE object = 'steady';
INSERT INTO steady VALUES (now());
SELECT (dataeng.monitor_check('steady')).ok;
SELECT * FROM pager_log;
SELECT handler, owner, calls, failures, last_error ~ 'pager down' AS recorded FROM dataeng.alert_handlers ORDER BY handler::text;
-- an alert of a job of another role is not shown to regress_ops_pager's handler
SELECT dataeng.schedule('other', '@yearly', 'SELECT 1/0') > 0 AS scheduled;
SELECT dataeng.job_run_now('other');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'other'$$) AS failed;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT count(*) AS paged FROM pager_log WHERE object = 'other';
SELECT dataeng.unschedule('other');
-- a rule's alerts: the first of a failing rule goes to the handlers at the
-- next check, repeats of later runs are closed, a passing run resolves it
CREATE TABLE ruled (v int);
GRANT SELECT ON ruled TO regress_ops_pager;
SELECT dataeng.rule_add('ruled', 'positive', 'range', 'v', '{"min": 0}');
INSERT INTO ruled VALUES (1), (-1);
SELECT rule_name, failed FROM dataeng.validate('ruled');
SELECT dataeng.maintain() - 'trimmed' - 'change_log' - 'purged_changes' AS maintained;
-- (a later run with other figures: the open alert shows them, once more found)
INSERT INTO ruled VALUES (-2);
SELECT rule_name, failed FROM dataeng.validate('ruled');
SELECT dataeng.maintain() - 'trimmed' - 'change_log' - 'purged_changes' AS maintained;
SELECT kind, object, message, seen_count, last_seen_at > raised_at AS found_later
  FROM dataeng.alerts_open WHERE kind = 'range';
SELECT rule_name, resolved_at IS NOT NULL AS closed FROM dataeng.alerts WHERE table_name = 'ruled'::regclass ORDER BY alert_id;
DELETE FROM ruled WHERE v < 0;
SELECT rule_name, failed FROM dataeng.validate('ruled');
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT count(*) AS open FROM dataeng.alerts_open WHERE kind = 'range';
SELECT event, kind, called_as FROM pager_log WHERE kind = 'range';
SELECT dataeng.alert_handler_drop('broken_pager(jsonb)'), dataeng.alert_handler_drop('page(jsonb)');

-- a monitor whose checks cannot run (its time column renamed) is failing,
-- and a consumer one of whose tables was dropped says so (a warning: its
-- owner could read the table, so it gets the changes captured before the
-- DROP), saying why (they stayed "ok" with their last good state); a
-- monitor whose table is dropped
-- goes with it, with its job (its checks stay, detached)
CREATE TABLE "Gone T" ("At" timestamptz);
INSERT INTO "Gone T" VALUES (now());
SELECT dataeng.monitor_create('gone "m"', '"Gone T"', 'At', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('gone "m"')).ok;
SELECT dataeng.cdc_enable('"Gone T"');
SELECT dataeng.cdc_consumer_create('gone reader', '{"\"Gone T\""}');
SELECT kind, name, state FROM dataeng.pipeline_status WHERE name IN ('gone "m"', 'gone reader') ORDER BY 1;
ALTER TABLE "Gone T" RENAME COLUMN "At" TO at2;
SELECT dataeng.job_run_now('monitor:gone "m"');
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'monitor:gone "m"'$$) AS check_failed;
SELECT kind, name, state, reason FROM dataeng.pipeline_status WHERE name = 'gone "m"';
-- checked by hand: the monitor's own error, with why and what to do (it
-- was the check's bare "column does not exist" with its internal query);
-- its time column made another type alike
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.monitor_check('gone "m"');
\set SHOW_CONTEXT errors
\set VERBOSITY sqlstate
SELECT dataeng.monitor_check('gone "m"');
\set VERBOSITY terse
ALTER TABLE "Gone T" RENAME COLUMN at2 TO "At";
ALTER TABLE "Gone T" ALTER COLUMN "At" TYPE text;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.monitor_check('gone "m"');
\set SHOW_CONTEXT errors
\set VERBOSITY sqlstate
SELECT dataeng.monitor_check('gone "m"');
\set VERBOSITY terse
DROP TABLE "Gone T";
SELECT dataeng.maintain() IS NOT NULL AS measured;
SELECT kind, name, state, reason ~ '"Gone T" it lists was dropped: it receives the changes captured before the DROP' AS says_why
  FROM dataeng.pipeline_status WHERE name = 'gone reader';
SELECT (SELECT count(*) FROM dataeng.monitors WHERE name = 'gone "m"') AS monitors,
       (SELECT count(*) FROM dataeng.jobs WHERE job_name = 'monitor:gone "m"') AS jobs,
       (SELECT string_agg(DISTINCT coalesce(tbl::text, '-') || ' ' || dropped_table, ', ')
          FROM dataeng.monitor_checks WHERE monitor = 'gone "m"') AS checks;
SELECT dataeng.monitor_drop('gone "m"'), dataeng.cdc_consumer_drop('gone reader');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP VIEW daily;
DROP TABLE flag, stuck_mode, orders, daily_data, steady, silent, dropping, pager_log, ruled;
DROP FUNCTION page(jsonb), broken_pager(jsonb), wait_for(text, float8);
DROP ROLE regress_ops_pager;
