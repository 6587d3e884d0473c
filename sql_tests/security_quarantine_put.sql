-- Rows enter a table's quarantine only as the guard diverts them (or as
-- validate() moves them): dataeng_internal._quarantine_put is not
-- PUBLIC's.  Executable by PUBLIC, it let a role with nothing but DELETE
-- on a table (or INSERT) put rows, rule names and run ids of its choosing
-- in that table's quarantine, which its owner put back as its own with
-- quarantine_release() (an INSERT the role had no right to), and which
-- the alerts of the guard's loads counted.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE ROLE qp_owner;
CREATE ROLE qp_deleter;
CREATE ROLE qp_writer;
CREATE SCHEMA qp AUTHORIZATION qp_owner;
GRANT USAGE ON SCHEMA qp TO qp_deleter, qp_writer;
SET ROLE qp_owner;
CREATE TABLE qp.orders (id int PRIMARY KEY, amount int);
SELECT dataeng.rule_add('qp.orders', 'amount_positive', 'range', 'amount', '{"min": 0}') > 0 AS rule_added;
SELECT dataeng.guard_enable('qp.orders', 'quarantine');
GRANT DELETE ON qp.orders TO qp_deleter;
GRANT SELECT, INSERT, UPDATE ON qp.orders TO qp_writer;
RESET ROLE;
SET client_min_messages = notice;

-- a role with DELETE alone forges a quarantined row: refused
SET ROLE qp_deleter;
SELECT dataeng_internal._quarantine_put('qp.orders', 1,
         '[{"row": {"id": 7, "amount": 1000000}, "rules": ["amount_positive", "made_up"]}]');
-- nor may a writer put rows of its choosing there
SET ROLE qp_writer;
SELECT dataeng_internal._quarantine_put('qp.orders', NULL,
         '[{"row": {"id": 8, "amount": 5}, "rules": ["fraud_detected"]}]');
-- the guard still diverts what a writer writes, as the writer's act: the
-- row, its rules, its load, and for an UPDATE the row it was to replace
INSERT INTO qp.orders VALUES (1, 10), (2, -5);
UPDATE qp.orders SET amount = -1 WHERE id = 1;
RESET ROLE;
SELECT row_data, failed_rules, replaces - 'ctid' - 'tableoid' - 'xmin' AS replaces, run_id IS NOT NULL AS in_a_load
  FROM dataeng.quarantine WHERE table_name = 'qp.orders'::regclass ORDER BY quarantine_id;
SELECT rule_name, failed, payload->>'written_by' AS written_by
  FROM dataeng.alerts WHERE table_name = 'qp.orders'::regclass ORDER BY alert_id;
-- and its owner puts a corrected row back
SET ROLE qp_owner;
SELECT dataeng.quarantine_release(min(quarantine_id), '{"amount": 5}') FROM dataeng.quarantine
 WHERE table_name = 'qp.orders'::regclass AND row_data->>'id' = '2';
SELECT * FROM qp.orders ORDER BY id;
RESET ROLE;
-- a writer without INSERT or DELETE (an UPDATE alone) is refused, as before
CREATE ROLE qp_updater;
GRANT USAGE ON SCHEMA qp TO qp_updater;
GRANT SELECT, UPDATE ON qp.orders TO qp_updater;
SET ROLE qp_updater;
UPDATE qp.orders SET amount = -2 WHERE id = 1;
RESET ROLE;
SELECT count(*) AS quarantined FROM dataeng.quarantine WHERE table_name = 'qp.orders'::regclass;

SET client_min_messages = warning;
DROP SCHEMA qp CASCADE;
DROP ROLE qp_owner;
DROP ROLE qp_deleter;
DROP ROLE qp_writer;
DROP ROLE qp_updater;
DROP EXTENSION dataeng CASCADE;
