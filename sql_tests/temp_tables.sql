-- A temporary table goes at the end of its session without an event
-- trigger: its rules, quarantined rows and history stayed attached to its
-- oid (which a later table may get).  maintain() lets go of them as a
-- drop does; a monitor of a temporary table is refused (its job runs in
-- another session).  A table dropped while event triggers do not fire is
-- dealt with alike.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE TABLE tt_oids (what text PRIMARY KEY, o oid);
CREATE TEMP TABLE staging (id int PRIMARY KEY, email text, at timestamptz DEFAULT now());
INSERT INTO staging VALUES (1, 'bad'), (2, 'a@example.com'), (3, 'a@example.com');
INSERT INTO tt_oids VALUES ('staging', 'staging'::regclass);
SELECT dataeng.rule_add('staging', 'email valid', 'validator', 'email', '{"function": "email"}') > 0 AS rule_added;
SELECT count(*) AS failed FROM dataeng.validate('staging', quarantine => true);
SELECT rows_deleted FROM dataeng.dedupe('staging', '{email}', keep => 'first', order_by => 'id');
-- a monitor's job could never see it
\set VERBOSITY terse
SELECT dataeng.monitor_create('tt_mon', 'staging', 'at', max_silence => '1 hour');
\set VERBOSITY default
SELECT (SELECT count(*) FROM dataeng.rules WHERE table_name = 'staging'::regclass) AS rules,
       (SELECT count(*) FROM dataeng.quarantine WHERE table_name = 'staging'::regclass) AS quarantined,
       (SELECT count(*) FROM dataeng.validation_runs WHERE table_name = 'staging'::regclass) AS runs,
       (SELECT count(*) FROM dataeng.dedupe_runs WHERE table_name = 'staging'::regclass) AS dedupe_runs;
-- a table dropped while event triggers do not fire
CREATE TABLE tt_unseen (id int PRIMARY KEY, email text);
INSERT INTO tt_unseen VALUES (1, 'bad');
INSERT INTO tt_oids VALUES ('unseen', 'tt_unseen'::regclass);
SELECT dataeng.rule_add('tt_unseen', 'email valid', 'validator', 'email', '{"function": "email"}') > 0 AS rule_added;
SELECT count(*) AS failed FROM dataeng.validate('tt_unseen');
-- captured: its row of cdc_tables would name an oid a restore may give
-- to another table
SELECT dataeng.cdc_enable('tt_unseen');
SET session_replication_role = replica;
DROP TABLE tt_unseen;
RESET session_replication_role;
-- the session ends, and its temporary table with it
\c
SET client_min_messages = warning;
DO $$
BEGIN
  FOR i IN 1 .. 300 LOOP
    EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_class c JOIN tt_oids t ON t.o = c.oid);
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
SELECT count(*) AS relations_left FROM pg_class c JOIN tt_oids t ON t.o = c.oid;
-- still attached until maintenance
SELECT count(*) AS rules_of_gone FROM dataeng.rules r JOIN tt_oids t ON t.o = r.table_name::oid;
SELECT count(*) AS captures_of_gone FROM dataeng.cdc_tables c JOIN tt_oids t ON t.o = c.table_name::oid;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
-- the rules, quarantined rows and capture went; the history stays, detached
SELECT (SELECT count(*) FROM dataeng.rules r JOIN tt_oids t ON t.o = r.table_name::oid) AS rules,
       (SELECT count(*) FROM dataeng.quarantine q JOIN tt_oids t ON t.o = q.table_name::oid) AS quarantined,
       (SELECT count(*) FROM dataeng.cdc_tables c JOIN tt_oids t ON t.o = c.table_name::oid) AS captured;
SELECT t.what, r.table_name, r.dropped_table = 'OID ' || t.o AS named_by_oid
  FROM dataeng.validation_runs r JOIN tt_oids t ON r.dropped_table = 'OID ' || t.o
 ORDER BY t.what;
SELECT t.what, r.table_name, r.rows_deleted
  FROM dataeng.dedupe_runs r JOIN tt_oids t ON r.dropped_table = 'OID ' || t.o
 ORDER BY t.what;
SELECT count(*) AS results_attached
  FROM dataeng.validation_results r JOIN tt_oids t ON t.o = r.table_name::oid;
-- a second round finds nothing more
SELECT dataeng_internal._tables_gone() AS gone_again;
DROP TABLE tt_oids;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
