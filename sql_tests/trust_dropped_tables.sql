-- A dropped table's definitions go with it, its history stays, detached.
-- Rows that kept a dropped table's oid named an oid no relation has: pg_dump
-- writes such a regclass as a bare number, and a restore in another cluster
-- gave the rows to whichever relation has that oid there.  Monitors and
-- quarantined rows go with the table (as its rules do); validation runs and
-- results, alerts, dedupe runs, monitor checks and dead letters keep the
-- table's name in dropped_table, table_name (tbl) NULL.
CREATE EXTENSION dataeng;
\pset null '(null)'

CREATE ROLE regress_td_owner;
CREATE SCHEMA td AUTHORIZATION regress_td_owner;
SET ROLE regress_td_owner;
CREATE TABLE td.orders (id int PRIMARY KEY, email text, at timestamptz DEFAULT now());
INSERT INTO td.orders VALUES (1, 'a@example.com'), (2, 'bad'), (3, 'worse');
CREATE TABLE td.people (id int PRIMARY KEY, name text);
INSERT INTO td.people VALUES (1, 'Ann Lee'), (2, 'Ann Lee');
CREATE TABLE td.kept (id int PRIMARY KEY, email text);
INSERT INTO td.kept VALUES (1, 'bad');
SELECT dataeng.rule_add('td.orders', 'email valid', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT dataeng.rule_add('td.kept', 'email valid', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT rule_name, failed FROM dataeng.validate('td.orders', quarantine => true);
SELECT rule_name, failed FROM dataeng.validate('td.kept', quarantine => true);
SELECT dataeng.monitor_create('td_fresh', 'td.orders', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT ok FROM dataeng.monitor_check('td_fresh');
SELECT clusters, rows_deleted FROM dataeng.dedupe('td.people', ARRAY['name']);
RESET ROLE;
SELECT 'td.orders'::regclass::oid AS orders_oid, 'td.people'::regclass::oid AS people_oid \gset
-- a batch an on_change trigger of the table failed on (written by hand)
INSERT INTO dataeng.dead_letters (trigger_name, table_name, owner, commit_lsn, commit_time, changes, attempts)
VALUES ('td_sink', 'td.orders', 'regress_td_owner', '0/1', now(), '{}', 1);

-- what names the tables before
SELECT (SELECT count(*) FROM dataeng.monitors WHERE tbl = 'td.orders'::regclass) AS monitors,
       (SELECT count(*) FROM dataeng.jobs WHERE job_name = 'monitor:td_fresh') AS monitor_jobs,
       (SELECT count(*) FROM dataeng.quarantine WHERE table_name = 'td.orders'::regclass) AS quarantined,
       (SELECT count(*) FROM dataeng.validation_runs WHERE table_name = 'td.orders'::regclass) AS runs,
       (SELECT count(*) FROM dataeng.validation_results WHERE table_name = 'td.orders'::regclass) AS results,
       (SELECT count(*) FROM dataeng.alerts WHERE table_name = 'td.orders'::regclass) AS alerts,
       (SELECT count(*) FROM dataeng.monitor_checks WHERE tbl = 'td.orders'::regclass) AS checks,
       (SELECT count(*) FROM dataeng.dedupe_runs WHERE table_name = 'td.people'::regclass) AS dedupe_runs;

-- dropped by their owner, who may not write dataeng's tables
SET ROLE regress_td_owner;
DROP TABLE td.orders, td.people;
RESET ROLE;

-- no row names the dropped tables' oids any more
SELECT (SELECT count(*) FROM dataeng.rules WHERE table_name::oid = :orders_oid) AS rules,
       (SELECT count(*) FROM dataeng.monitors WHERE tbl::oid = :orders_oid) AS monitors,
       (SELECT count(*) FROM dataeng.quarantine WHERE table_name::oid = :orders_oid) AS quarantined,
       (SELECT count(*) FROM dataeng.validation_runs WHERE table_name::oid = :orders_oid) AS runs,
       (SELECT count(*) FROM dataeng.validation_results WHERE table_name::oid = :orders_oid) AS results,
       (SELECT count(*) FROM dataeng.alerts WHERE table_name::oid = :orders_oid) AS alerts,
       (SELECT count(*) FROM dataeng.monitor_checks WHERE tbl::oid = :orders_oid) AS checks,
       (SELECT count(*) FROM dataeng.dedupe_runs WHERE table_name::oid = :people_oid) AS dedupe_runs;
-- the monitor went as monitor_drop() takes it: with its job
SELECT count(*) AS monitor_jobs FROM dataeng.jobs WHERE job_name = 'monitor:td_fresh';
-- the history is kept, with the table's name
SELECT table_name, dropped_table, rows_checked, failed_rules FROM dataeng.validation_runs ORDER BY run_id;
SELECT table_name, dropped_table, rule_name, failed FROM dataeng.validation_results ORDER BY run_id;
SELECT table_name, dropped_table, kind, rule_name, resolved_at IS NULL AS open FROM dataeng.alerts
 WHERE rule_name IS NOT NULL ORDER BY alert_id;
SELECT monitor, tbl, dropped_table, ok FROM dataeng.monitor_checks;
SELECT table_name, dropped_table, clusters, rows_deleted FROM dataeng.dedupe_runs;
SELECT count(*) AS dedupe_log FROM dataeng.dedupe_log;
SELECT trigger_name, table_name, dropped_table FROM dataeng.dead_letters;
-- the kept table's rows are untouched
SELECT count(*) AS kept_quarantined FROM dataeng.quarantine WHERE table_name = 'td.kept'::regclass;
-- the open alerts name the dropped table; alert_check() resolves the
-- alert of its rule (the rule is gone)
SELECT kind, object FROM dataeng.alerts_open WHERE kind = 'validator' ORDER BY alert_id;
SELECT resolved >= 1 AS resolved FROM dataeng.alert_check();
SELECT dropped_table, resolved_at IS NULL AS open FROM dataeng.alerts WHERE rule_name IS NOT NULL ORDER BY alert_id;
-- a dropped table's history is read by superusers only: no role's rights
-- on a table that is gone say who may read its rows
SET ROLE regress_td_owner;
SELECT count(*) AS runs_seen FROM dataeng.validation_runs WHERE dropped_table IS NOT NULL;
SELECT count(*) AS results_seen FROM dataeng.validation_results WHERE dropped_table IS NOT NULL;
SELECT count(*) AS dedupe_runs_seen FROM dataeng.dedupe_runs WHERE dropped_table IS NOT NULL;
SELECT count(*) AS kept_runs_seen FROM dataeng.validation_runs WHERE table_name = 'td.kept'::regclass;
RESET ROLE;

-- DROP SCHEMA ... CASCADE: the same for every table in it
DROP SCHEMA td CASCADE;
SELECT count(*) AS rules FROM dataeng.rules;
SELECT count(*) AS quarantined FROM dataeng.quarantine;
SELECT dropped_table, count(*) FROM dataeng.validation_runs GROUP BY 1 ORDER BY 1;
SELECT count(*) AS attached FROM dataeng.validation_runs WHERE table_name IS NOT NULL;

-- DROP OWNED BY, and a materialized view: their rules, monitors and
-- quarantined rows go too
CREATE SCHEMA td2;
GRANT USAGE, CREATE ON SCHEMA td2 TO regress_td_owner;
SET ROLE regress_td_owner;
CREATE TABLE td2.t (id int PRIMARY KEY, email text, at timestamptz);
INSERT INTO td2.t VALUES (1, 'bad', now());
CREATE MATERIALIZED VIEW td2.mv AS SELECT * FROM td2.t;
SELECT dataeng.rule_add('td2.t', 'email valid', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT dataeng.rule_add('td2.mv', 'email valid', 'validator', 'email', '{"function": "email"}') IS NOT NULL AS added;
SELECT rule_name, failed FROM dataeng.validate('td2.t', quarantine => true);
SELECT dataeng.monitor_create('td2_fresh', 'td2.t', 'at', max_silence => '1 hour', schedule => '@yearly');
RESET ROLE;
SELECT (SELECT count(*) FROM dataeng.rules) AS rules, (SELECT count(*) FROM dataeng.quarantine) AS quarantined,
       (SELECT count(*) FROM dataeng.monitors) AS monitors;
DROP MATERIALIZED VIEW td2.mv;
SELECT count(*) AS rules FROM dataeng.rules;
DROP OWNED BY regress_td_owner;
SELECT (SELECT count(*) FROM dataeng.rules) AS rules, (SELECT count(*) FROM dataeng.quarantine) AS quarantined,
       (SELECT count(*) FROM dataeng.monitors) AS monitors,
       (SELECT count(*) FROM dataeng.jobs WHERE job_name = 'monitor:td2_fresh') AS monitor_jobs;
DROP SCHEMA td2;

SET client_min_messages = warning;
DROP ROLE regress_td_owner;
DROP EXTENSION dataeng CASCADE;
