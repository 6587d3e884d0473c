-- Role oids that a restore may give to another role.  pg_dump writes a
-- regrole or regprocedure of a live object as its name, which a restore
-- maps by name, but that of a dropped one as a bare number, which a
-- restore in another cluster gives to whichever role (function) has that
-- oid there.  Each case below writes, as a superuser, what such a restore
-- leaves: another role's oid in the row.  Code never runs as that role:
-- an alert handler runs as its function's owner (and only a function of
-- one jsonb argument), a monitor's check only as the role its job vouches
-- for, a restored fact or dimension takes its table's owner.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

CREATE ROLE regress_do_a;
CREATE ROLE regress_do_b IN ROLE regress_do_a;   -- a member of a
CREATE ROLE regress_do_c;
CREATE SCHEMA do_s;
GRANT USAGE, CREATE ON SCHEMA do_s TO regress_do_a, regress_do_c;
CREATE TABLE do_s.calls (who text, called_as name);
GRANT INSERT ON do_s.calls TO PUBLIC;
CREATE TABLE do_s.feed (at timestamptz);
ALTER TABLE do_s.feed OWNER TO regress_do_a;
GRANT SELECT ON do_s.feed TO regress_do_c;

-------------------------------------------------------------------------------
-- 1. Alert handlers
-------------------------------------------------------------------------------
SET ROLE regress_do_a;
CREATE FUNCTION do_s.h(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO do_s.calls VALUES ('h', current_user) $$;
CREATE FUNCTION do_s.g(a int) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO do_s.calls VALUES ('g(int)', current_user) $$;
SELECT dataeng.alert_handler_add('do_s.h(jsonb)');
SELECT dataeng.monitor_create('do_fresh', 'do_s.feed', 'at', max_silence => '1 hour', schedule => '@yearly');
SET ROLE regress_do_c;
CREATE FUNCTION do_s.g(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO do_s.calls VALUES ('g(jsonb) of c', current_user) $$;
RESET ROLE;
-- restored: the handler's recorded owner is now another role's oid (b,
-- a member of the function's owner)
UPDATE dataeng.alert_handlers SET owner = 'regress_do_b';
SELECT (dataeng.monitor_check('do_fresh')).ok;            -- raised
-- called as the function's owner, not as b
SELECT * FROM do_s.calls;
TRUNCATE do_s.calls;
-- restored: the handler's oid is now that of a's g(int): g(jsonb), of c,
-- is never called in its place
UPDATE dataeng_internal.alert_handlers SET handler = 'do_s.g(int)'::regprocedure, owner = 'regress_do_a';
INSERT INTO do_s.feed VALUES (now());
SELECT (dataeng.monitor_check('do_fresh')).ok;            -- resolved
SELECT * FROM do_s.calls;
SELECT handler, owner, calls, failures, regexp_replace(last_error, '^alert \d+', 'alert N') AS last_error
  FROM dataeng.alert_handlers;
DELETE FROM dataeng.alert_handlers;

-------------------------------------------------------------------------------
-- 2. Monitors: the check runs as the owner only when its job vouches for it
-------------------------------------------------------------------------------
-- restored: the monitor's owner oid is now c's (who may read the table)
UPDATE dataeng.monitors SET owner = 'regress_do_c';
SELECT (dataeng.monitor_check('do_fresh')).ok;
-- and its job's too, restored from another cluster: the name recorded
-- beside the oid is a's
UPDATE dataeng.jobs SET owner = 'regress_do_c', owner_system = 0 WHERE job_name = 'monitor:do_fresh';
SELECT (dataeng.monitor_check('do_fresh')).ok;
-- restored with its owners' names: checked, as a
UPDATE dataeng.monitors SET owner = 'regress_do_a';
UPDATE dataeng.jobs SET owner = 'regress_do_a' WHERE job_name = 'monitor:do_fresh';
SELECT (dataeng.monitor_check('do_fresh')).ok;
SELECT count(*) AS checks FROM dataeng.monitor_checks;
SELECT dataeng.monitor_drop('do_fresh');

-------------------------------------------------------------------------------
-- 3. Facts and dimensions restored with another owner oid take their
-- table's owner, and so does their consumer
-------------------------------------------------------------------------------
CREATE TABLE do_s.sales (id int PRIMARY KEY, at date NOT NULL, region text, amount numeric);
INSERT INTO do_s.sales VALUES (1, '2026-01-01', 'n', 10);
ALTER TABLE do_s.sales OWNER TO regress_do_a;
SET ROLE regress_do_a;
SELECT dataeng.fact_create('do_s.f', 'do_s.sales', 'at', 'month', ARRAY['region'], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.dimension_create('do_s.d', 'do_s.sales', 'id', ARRAY['region'], schedule => NULL) IS NOT NULL AS created;
RESET ROLE;
-- what a restore does: the definitions inserted, their consumers made
-- by the trigger (here c's oid where the dump had a's dropped one)
CREATE TEMP TABLE fd AS SELECT * FROM dataeng_internal.fact_defs;
CREATE TEMP TABLE dd AS SELECT * FROM dataeng_internal.dimension_defs;
DELETE FROM dataeng_internal.fact_defs;
DELETE FROM dataeng_internal.dimension_defs;
SELECT dataeng.cdc_consumer_drop('fact:do_s.f'), dataeng.cdc_consumer_drop('dim:do_s.d');
UPDATE fd SET owner = 'regress_do_c';
UPDATE dd SET owner = 'regress_do_c';
INSERT INTO dataeng_internal.fact_defs SELECT * FROM fd;
INSERT INTO dataeng_internal.dimension_defs SELECT * FROM dd;
SELECT name, owner FROM dataeng_internal.fact_defs
UNION ALL SELECT name, owner FROM dataeng_internal.dimension_defs ORDER BY 1;
SELECT name, owner FROM dataeng.cdc_consumers ORDER BY name;
-- refreshed by a superuser: as a, the owner of the tables
SELECT dataeng.fact_refresh('do_s.f') >= 0 AS refreshed, dataeng.dimension_refresh('do_s.d') >= 0 AS refreshed;
SELECT * FROM do_s.f;
SET ROLE regress_do_a;
SELECT dataeng.fact_drop('do_s.f'), dataeng.dimension_drop('do_s.d');
RESET ROLE;

-- A row that names a role only to say who sees it keeps the role's name
-- and cluster: restored where its oid names a role of another name (here
-- c's oid, the row saying a's name from another cluster), it is shown to
-- superusers only, and a setting applies to nothing.
SET ROLE regress_do_c;
SELECT dataeng.schedule('do_c_job', '@yearly', 'SELECT 1');
SELECT dataeng.alert_set('job:do_c_job', 'alerts', 'off');
RESET ROLE;
INSERT INTO dataeng.job_runs (run_id, job_id, owner, started_at, status, attempt, owner_name)
SELECT 999999, job_id, owner, now(), 'failed', 1, owner_name FROM dataeng.jobs WHERE job_name = 'do_c_job';
SELECT owner, owner_name, owner_system = (pg_control_system()).system_identifier AS this_cluster
  FROM dataeng.alert_settings WHERE object = 'job:do_c_job';
SET ROLE regress_do_c;
SELECT (SELECT count(*) FROM dataeng.job_runs) AS runs, (SELECT count(*) FROM dataeng.alert_settings) AS settings;
RESET ROLE;
UPDATE dataeng.job_runs SET owner_name = 'regress_do_a', owner_system = 0 WHERE run_id = 999999;
UPDATE dataeng.alert_settings SET owner_name = 'regress_do_a', owner_system = 0 WHERE object = 'job:do_c_job';
SET ROLE regress_do_c;
SELECT (SELECT count(*) FROM dataeng.job_runs) AS runs, (SELECT count(*) FROM dataeng.alert_settings) AS settings;
RESET ROLE;
SELECT dataeng_internal._ops_setting('job:do_c_job', 'alerts', 'regress_do_c') AS applies;
-- maintain() (_owners_follow) leaves them so: the oid is not trusted ...
SELECT dataeng_internal._owners_follow() >= 0 AS followed;
SELECT owner_name, owner_system = 0 AS other_cluster FROM dataeng.job_runs WHERE run_id = 999999;
-- ... takes a row restored under the name its oid has here as of this
-- cluster, and then follows a rename
UPDATE dataeng.job_runs SET owner_name = 'regress_do_c' WHERE run_id = 999999;
SELECT dataeng_internal._owners_follow() >= 0 AS followed;
SELECT owner_name, owner_system = (pg_control_system()).system_identifier AS this_cluster
  FROM dataeng.job_runs WHERE run_id = 999999;
ALTER ROLE regress_do_c RENAME TO regress_do_c2;
SELECT dataeng_internal._owners_follow() >= 0 AS followed;
SELECT owner_name FROM dataeng.job_runs WHERE run_id = 999999;
SET ROLE regress_do_c2;
SELECT count(*) AS runs FROM dataeng.job_runs;
RESET ROLE;
ALTER ROLE regress_do_c2 RENAME TO regress_do_c;
-- the job itself, restored so, is not c's either (its command, its
-- state): hidden from c, not c's to pause, run or unschedule
SET ROLE regress_do_c;
SELECT count(*) AS jobs FROM dataeng.jobs;
RESET ROLE;
UPDATE dataeng.jobs SET owner_name = 'regress_do_a', owner_system = 0 WHERE job_name = 'do_c_job';
SET ROLE regress_do_c;
SELECT count(*) AS jobs FROM dataeng.jobs;
SELECT dataeng.job_pause('do_c_job');
SELECT dataeng.job_run_now('do_c_job');
SELECT dataeng.unschedule('do_c_job') AS unscheduled;
RESET ROLE;
SELECT paused, run_now FROM dataeng.jobs WHERE job_name = 'do_c_job';
-- broken (as the scheduler marks it), its alert is not c's either: it
-- names no owner (superusers see it, no handler of c's is given it)
UPDATE dataeng.jobs SET broken = 'restored' WHERE job_name = 'do_c_job';
SELECT count(*) > 0 AS checked FROM dataeng.alert_check();
SELECT kind, object, owner, owner_name, table_name, resolved_at IS NULL AS open, message FROM dataeng.alerts ORDER BY alert_id;
SET ROLE regress_do_c;
SELECT count(*) AS alerts FROM dataeng.alerts;
RESET ROLE;
SELECT dataeng.unschedule('do_c_job');
DELETE FROM dataeng.job_runs WHERE run_id = 999999;

-- A monitor and an alert handler restored so are not c's either: c sees
-- neither (c cannot read the table: a monitor is shown to the table's
-- readers too), may not drop them, set the monitor's alerts, check it,
-- nor is the handler called for c's alerts.
CREATE TABLE do_s.quiet (at timestamptz);
ALTER TABLE do_s.quiet OWNER TO regress_do_a;
SET ROLE regress_do_c;
CREATE FUNCTION do_s.hc(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO do_s.calls VALUES ('hc', current_user) $$;
SELECT dataeng.alert_handler_add('do_s.hc(jsonb)');
SELECT dataeng.schedule('do_c_bad', '@yearly', 'SELECT 1');
RESET ROLE;
SET ROLE regress_do_a;
SELECT dataeng.monitor_create('do_quiet', 'do_s.quiet', 'at', max_silence => '1 hour', schedule => '@yearly');
RESET ROLE;
UPDATE dataeng.monitors SET owner = 'regress_do_c', owner_name = 'regress_do_a', owner_system = 0 WHERE name = 'do_quiet';
UPDATE dataeng.jobs SET owner = 'regress_do_c', owner_name = 'regress_do_a', owner_system = 0 WHERE job_name = 'monitor:do_quiet';
UPDATE dataeng.alert_handlers SET owner_name = 'regress_do_a', owner_system = 0 WHERE handler = 'do_s.hc(jsonb)'::regprocedure;
SET ROLE regress_do_c;
SELECT (SELECT count(*) FROM dataeng.monitors) AS monitors, (SELECT count(*) FROM dataeng.alert_handlers) AS handlers;
SELECT dataeng.monitor_drop('do_quiet') AS dropped;
SELECT dataeng.alert_handler_drop('do_s.hc(jsonb)') AS dropped;
SELECT dataeng.alert_set('monitor:do_quiet', 'alerts', 'off');
SELECT dataeng.monitor_check('do_quiet');
RESET ROLE;
-- an alert c may see: the untrusted handler is skipped, the reason kept
SELECT dataeng_internal._alert_raise('do:c', 'test', 'do_c_bad', 'error', 'c''s alert', '{}', 'regress_do_c', NULL);
SELECT count(*) AS calls FROM do_s.calls;
SELECT calls, failures, regexp_replace(last_error, '^alert \d+ \(raised\): skipped: its owner oid \d+', 'alert N (raised): skipped: its owner oid N') AS last_error
  FROM dataeng.alert_handlers;
-- _owners_follow() leaves them so
SELECT dataeng_internal._owners_follow() >= 0 AS followed;
SELECT 'monitor' AS what, owner_name, owner_system = 0 AS other_cluster FROM dataeng.monitors
UNION ALL SELECT 'handler', owner_name, owner_system = 0 FROM dataeng.alert_handlers ORDER BY 1;
-- c creating the monitor anew takes it knowingly, with its own definition
-- (as rescheduling a job): then it is c's
GRANT SELECT ON do_s.quiet TO regress_do_c;
SET ROLE regress_do_c;
SELECT dataeng.monitor_create('do_quiet', 'do_s.quiet', 'at', min_rows => 1, schedule => '@monthly');
SELECT name, owner, owner_name, min_rows, schedule FROM dataeng.monitors;
SELECT dataeng.monitor_drop('do_quiet') AS dropped;
RESET ROLE;
SELECT dataeng_internal._alert_resolve('do:c');

-- A row with no recorded name (restored from a dump of 0.1.0, which has
-- no such column: it takes this cluster's identifier by default; or
-- written by hand) is no role's until a superuser names it.
UPDATE dataeng.alert_handlers SET owner_name = NULL, owner_system = DEFAULT;
UPDATE dataeng.jobs SET owner_name = NULL, owner_system = DEFAULT WHERE job_name = 'do_c_bad';
SET ROLE regress_do_c;
SELECT (SELECT count(*) FROM dataeng.jobs) AS jobs, (SELECT count(*) FROM dataeng.alert_handlers) AS handlers;
RESET ROLE;
SELECT dataeng_internal._owners_follow() >= 0 AS followed;
SELECT owner_name FROM dataeng.alert_handlers;
-- claimed
UPDATE dataeng.alert_handlers SET owner_name = owner::text;
UPDATE dataeng.jobs SET owner_name = owner::text WHERE job_name = 'do_c_bad';
SET ROLE regress_do_c;
SELECT (SELECT count(*) FROM dataeng.jobs) AS jobs, (SELECT count(*) FROM dataeng.alert_handlers) AS handlers;
SELECT dataeng.unschedule('do_c_bad'), dataeng.alert_handler_drop('do_s.hc(jsonb)');
RESET ROLE;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA do_s CASCADE;
DROP ROLE regress_do_a, regress_do_b, regress_do_c;
