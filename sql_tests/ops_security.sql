-- Operations, security: alert handlers are functions (by oid), not names;
-- a handler's failure or slowness never breaks what sent the alert; a
-- setting is its object owner's; monitor:NAME jobs are reserved to
-- monitors; maintenance trims dead letters.
-- The cluster preloads dataeng, so this database has a scheduler.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

CREATE ROLE regress_opsec_a;
CREATE ROLE regress_opsec_b;
CREATE SCHEMA shared;
GRANT USAGE, CREATE ON SCHEMA shared TO regress_opsec_a, regress_opsec_b;
CREATE TABLE handler_log (who text, called_as name, event text);
GRANT INSERT ON handler_log TO PUBLIC;
CREATE TABLE feed (at timestamptz);
ALTER TABLE feed OWNER TO regress_opsec_a;

-------------------------------------------------------------------------------
-- 1. A handler is its function: dropped, its row goes, and a function of
-- the same name made by another role is never called as the handler's
-- owner; a function given to another role is skipped, the reason recorded.
-------------------------------------------------------------------------------
SET ROLE regress_opsec_a;
CREATE FUNCTION shared.h(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.handler_log VALUES ('a', current_user, a->>'event') $$;
CREATE FUNCTION shared.h2(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.handler_log VALUES ('a2', current_user, a->>'event') $$;
SELECT dataeng.alert_handler_add('shared.h(jsonb)'), dataeng.alert_handler_add('shared.h2(jsonb)');
SELECT dataeng.monitor_create('feed_fresh', 'feed', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('feed_fresh')).ok;          -- raised: both handlers called
RESET ROLE;
SELECT * FROM handler_log ORDER BY who;
SET ROLE regress_opsec_a;
DROP FUNCTION shared.h(jsonb);
RESET ROLE;
ALTER FUNCTION shared.h2(jsonb) OWNER TO regress_opsec_b;
SET ROLE regress_opsec_b;
CREATE FUNCTION shared.h(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.handler_log VALUES ('b', current_user, a->>'event') $$;
CREATE OR REPLACE FUNCTION shared.h2(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.handler_log VALUES ('b2', current_user, a->>'event') $$;
SET ROLE regress_opsec_a;
INSERT INTO feed VALUES (now());
SELECT (dataeng.monitor_check('feed_fresh')).ok;          -- resolved: neither of b's functions runs
RESET ROLE;
SELECT * FROM handler_log ORDER BY who, event;
SELECT handler, owner, calls, failures,
       regexp_replace(last_error, '^alert \d+', 'alert N') AS last_error
  FROM dataeng.alert_handlers ORDER BY handler::text;
SELECT dataeng.alert_handler_drop('shared.h2(jsonb)');
DROP FUNCTION shared.h(jsonb), shared.h2(jsonb);
TRUNCATE handler_log;

-------------------------------------------------------------------------------
-- 2. Handlers that fail in any way (an assertion, query_canceled, a
-- timeout) are recorded; the check that sent the alert goes on, and so do
-- the other handlers.
-------------------------------------------------------------------------------
SET ROLE regress_opsec_a;
CREATE FUNCTION shared.asserts(a jsonb) RETURNS void LANGUAGE plpgsql
  AS $$ BEGIN ASSERT false, 'handler assertion'; END $$;
CREATE FUNCTION shared.cancels(a jsonb) RETURNS void LANGUAGE plpgsql
  AS $$ BEGIN RAISE EXCEPTION 'handler cancels' USING ERRCODE = 'query_canceled'; END $$;
CREATE FUNCTION shared.sleeps(a jsonb) RETURNS void LANGUAGE sql
  AS $$ SELECT pg_sleep(60) $$;
CREATE FUNCTION shared.works(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.handler_log VALUES ('works', current_user, a->>'event') $$;
SELECT dataeng.alert_handler_add(h::regprocedure)
  FROM unnest(ARRAY['shared.asserts(jsonb)', 'shared.cancels(jsonb)', 'shared.sleeps(jsonb)', 'shared.works(jsonb)']) h;
RESET ROLE;
SELECT dataeng.alert_set('*', 'handler_timeout', '300 milliseconds');
SET ROLE regress_opsec_a;
SELECT dataeng.alert_set('*', 'handler_timeout', '1 hour');   -- a superuser's
DELETE FROM feed;
SELECT (dataeng.monitor_check('feed_fresh')).ok;          -- raised: every handler tried
SELECT kind, object FROM dataeng.alerts_open;
RESET ROLE;
SELECT * FROM handler_log;
SELECT handler, calls, failures, regexp_replace(last_error, '^alert \d+', 'alert N') AS last_error
  FROM dataeng.alert_handlers ORDER BY handler::text;
SELECT dataeng.monitor_drop('feed_fresh');   -- resolves its alert: the handlers are called again
-- maintain() goes on too: it raises, then resolves, the alert of a job of a's
SET ROLE regress_opsec_a;
SELECT dataeng.schedule('a_fails', '@yearly', 'SELECT 1 / 0', max_retries => 0) > 0 AS scheduled;
SELECT dataeng.job_run_now('a_fails');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'a_fails'$$) AS failed;
SELECT dataeng.maintain() - 'trimmed' - 'change_log' - 'purged_changes' AS maintained;
SET ROLE regress_opsec_a;
SELECT dataeng.unschedule('a_fails');
RESET ROLE;
SELECT dataeng.maintain() - 'trimmed' - 'change_log' - 'purged_changes' AS maintained;
SELECT handler, calls, failures FROM dataeng.alert_handlers ORDER BY handler::text;
SELECT event, count(*) AS works_called FROM handler_log GROUP BY 1 ORDER BY 1;
SELECT dataeng.alert_set('*', 'handler_timeout', NULL);
SELECT dataeng.alert_set('*', 'handler_timeout', '0 seconds');
DROP FUNCTION shared.asserts(jsonb), shared.cancels(jsonb), shared.sleeps(jsonb), shared.works(jsonb);

-------------------------------------------------------------------------------
-- 3. A setting is its object's owner's: a setting left by the owner of a
-- dropped job does not switch off the alerts of another role's job of
-- the same name.
-------------------------------------------------------------------------------
SET ROLE regress_opsec_a;
SELECT dataeng.schedule('nightly', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.alert_set('job:nightly', 'alerts', 'off');
SELECT dataeng.unschedule('nightly');
SET ROLE regress_opsec_b;
SELECT dataeng.schedule('nightly', '@yearly', 'SELECT 1 / 0', max_retries => 0) > 0 AS scheduled;
SELECT dataeng.job_run_now('nightly');
RESET ROLE;
SELECT wait_for($$SELECT last_status = 'failed' FROM dataeng.jobs WHERE job_name = 'nightly'$$) AS failed;
SELECT object, setting, value, owner FROM dataeng.alert_settings ORDER BY 1, 2;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT kind, object, severity FROM dataeng.alerts_open;
-- b's own setting applies
SET ROLE regress_opsec_b;
SELECT dataeng.alert_set('job:nightly', 'alerts', 'off');
RESET ROLE;
SELECT dataeng.maintain()->'alerts_resolved' AS resolved;
SELECT count(*) AS open FROM dataeng.alerts_open;
SET ROLE regress_opsec_b;
SELECT dataeng.unschedule('nightly');
RESET ROLE;

-------------------------------------------------------------------------------
-- 4. Job names monitor:NAME are a monitor's: no other role takes one, and
-- a monitor's job goes with monitor_drop only.
-------------------------------------------------------------------------------
SET ROLE regress_opsec_a;
SELECT dataeng.monitor_create('mine', 'feed', 'at', max_silence => '1 hour', schedule => '@yearly');
SET ROLE regress_opsec_b;
SELECT dataeng.schedule('monitor:theirs', '@yearly', 'SELECT 1');
SELECT dataeng.schedule('monitor:mine', '@yearly', 'SELECT 1');
SET ROLE regress_opsec_a;
SELECT dataeng.schedule('monitor:other', '@yearly', 'SELECT 1');
SELECT dataeng.unschedule('monitor:mine');
SELECT dataeng.monitor_create('mine', 'feed', 'at', max_silence => '2 hours', schedule => '@monthly');
SELECT job_name, schedule, owner FROM dataeng.jobs ORDER BY 1;
RESET ROLE;
-- A superuser's monitor_create() of the name a role had taken replaced
-- that role's monitor: checked as the role, on the superuser's table (no
-- check passed), and its definition shown to the role.  Refused (42710,
-- naming the owner); the role's monitor is left as it was.
CREATE TABLE opsec_secret (at timestamptz);
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.monitor_create('mine', 'opsec_secret', 'at', max_silence => '1 hour', schedule => '@yearly');
\set VERBOSITY terse
\set SHOW_CONTEXT errors
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT name, tbl, owner, schedule FROM dataeng.monitors WHERE name = 'mine';
-- as the role, knowingly
SET ROLE regress_opsec_a;
SELECT dataeng.monitor_create('mine', 'feed', 'at', max_silence => '2 hours', schedule => '@monthly');
SELECT dataeng.monitor_drop('mine');
SELECT count(*) AS jobs FROM dataeng.jobs;
RESET ROLE;
DROP TABLE opsec_secret;

-------------------------------------------------------------------------------
-- 5. maintain() trims dead letters past dead_letters_keep (7 days).
-------------------------------------------------------------------------------
INSERT INTO dataeng.dead_letters (trigger_name, table_name, owner, commit_lsn, commit_time, changes, error, attempts, failed_at)
SELECT 't', 'feed', 'regress_opsec_a', '0/1', now(), '{}', 'e', 1, now() - d * interval '1 day'
  FROM unnest(ARRAY[1, 6, 8, 30]) d;
SELECT dataeng.maintain()->'trimmed'->'dead_letters' AS trimmed;
SELECT round(extract(epoch FROM now() - failed_at) / 86400) AS days_old FROM dataeng.dead_letters ORDER BY 1;
SELECT dataeng.alert_set('*', 'dead_letters_keep', '2 days');
SELECT dataeng.maintain()->'trimmed'->'dead_letters' AS trimmed;
SELECT count(*) AS left FROM dataeng.dead_letters;
SELECT dataeng.alert_set('*', 'dead_letters_keep', 'soon');
SELECT dataeng.alert_set('*', 'dead_letters_keep', NULL);

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE handler_log, feed;
DROP SCHEMA shared CASCADE;
DROP FUNCTION wait_for(text, float8);
DROP ROLE regress_opsec_a, regress_opsec_b;
