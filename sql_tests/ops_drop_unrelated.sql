-- A DROP that takes no relation dataeng names does not run
-- _tables_forget() (event trigger dataeng_tables_on_drop, sql/ops.sql): it
-- looks the dropped oids up first, in one query.  Before, every DROP TABLE,
-- VIEW or SCHEMA in the database ran its fifteen statements.  A DROP of a
-- table with a rule, or with history only (a validation run), still does,
-- as before.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;
CREATE TABLE odu_ruled (v int);
SELECT dataeng.rule_add('odu_ruled', 'positive', 'range', 'v', '{"min": 0}') > 0 AS rule;
CREATE TABLE odu_hist (v int);
SELECT dataeng.rule_add('odu_hist', 'positive', 'range', 'v', '{"min": 0}') > 0 AS rule;
SELECT count(*) > 0 AS validated FROM dataeng.validate('odu_hist');
DELETE FROM dataeng.rules WHERE table_name = 'odu_hist'::regclass;
SET track_functions = 'all';
-- (the counts of each transaction alone: what is pending sent first)
SELECT FROM pg_stat_force_next_flush();
BEGIN;
CREATE TABLE odu_plain (id int);
CREATE VIEW odu_view AS SELECT 1 AS x;
CREATE SCHEMA odu_s CREATE TABLE odu_t (id int);
DROP TABLE odu_plain;
DROP VIEW odu_view;
DROP SCHEMA odu_s CASCADE;
SELECT coalesce(sum(calls), 0) AS forget_calls, (SELECT count(*) FROM dataeng.rules) AS rules
  FROM pg_stat_xact_user_functions WHERE funcname = '_tables_forget';
COMMIT;
SELECT FROM pg_stat_force_next_flush();
BEGIN;
CREATE TABLE odu_plain (id int);
DROP TABLE odu_plain, odu_ruled;
SELECT coalesce(sum(calls), 0) AS forget_calls, (SELECT count(*) FROM dataeng.rules) AS rules
  FROM pg_stat_xact_user_functions WHERE funcname = '_tables_forget';
COMMIT;
SELECT FROM pg_stat_force_next_flush();
BEGIN;
DROP TABLE odu_hist;
SELECT coalesce(sum(calls), 0) AS forget_calls
  FROM pg_stat_xact_user_functions WHERE funcname = '_tables_forget';
SELECT table_name, dropped_table FROM dataeng.validation_runs;
COMMIT;
RESET track_functions;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
