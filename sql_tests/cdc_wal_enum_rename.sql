-- CDC from the WAL: ALTER TYPE ... RENAME VALUE of an enum that a table
-- captured from the WAL uses (directly, in an array, through a domain)
-- first waits for the worker to record the changes committed before it,
-- the writers of those tables held off meanwhile.  pgoutput writes a
-- pending change's value with the label of its commit's time; the worker,
-- reading it back after the rename, found no such label, stopped the
-- table, and its changes from then on were lost until cdc_enable().
-- The worker is held in its round by a table whose generated column takes
-- a second to compute, so that the rename comes while the change waits.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE FUNCTION er_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN x * 2; END $$;
CREATE TABLE er_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.er_slow(id)) STORED);
CREATE TYPE er_mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN er_dmood AS er_mood;
CREATE TABLE er (id int PRIMARY KEY, m er_mood, ms er_mood[], dm er_dmood);
CREATE TABLE ert (id int PRIMARY KEY, m er_mood);
SELECT dataeng.cdc_enable('er_slow', method => 'wal');
SELECT dataeng.cdc_enable('er', method => 'wal');
SELECT dataeng.cdc_enable('ert');
SELECT dataeng.cdc_consumer_create('er_c', '{er}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- 1. a label renamed while a change holding it waits in the WAL: recorded
-- with the label of its time, and the table goes on
INSERT INTO er_slow (id) VALUES (1);
INSERT INTO er VALUES (1, 'ok', '{ok,sad}', 'ok');
ALTER TYPE er_mood RENAME VALUE 'ok' TO 'fine';
INSERT INTO er VALUES (2, 'fine', '{fine}', 'fine');
SELECT dataeng.cdc_wal_sync();
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'er'::regclass;
SELECT op, new_row FROM dataeng.cdc_poll('er_c') ORDER BY position;

-- 1b. a rename in the transaction that wrote the label: the wait cannot
-- cover that change, which commits with the rename; a WARNING says so
-- while the transaction can still be rolled back
BEGIN;
INSERT INTO er VALUES (10, 'happy', NULL, NULL);
\set VERBOSITY default
ALTER TYPE er_mood RENAME VALUE 'happy' TO 'glad';
\set VERBOSITY terse
ROLLBACK;

-- 2. ADD VALUE, and a rename with only a table captured by its trigger
-- using the type, do not wait; the trigger records the labels as written
ALTER TYPE er_mood ADD VALUE 'meh';
CREATE TYPE er_other AS ENUM ('x', 'y');
CREATE TABLE ero (id int PRIMARY KEY, v er_other);
SELECT dataeng.cdc_enable('ero');
INSERT INTO ero VALUES (1, 'x');
ALTER TYPE er_other RENAME VALUE 'x' TO 'z';
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'ero'::regclass ORDER BY change_id;

-- 3. no worker runs rounds (dataeng.enabled off): the rename says that
-- the changes not recorded yet may stop the table, and goes on
SET client_min_messages = warning;
DROP FUNCTION IF EXISTS wait_for(text, float8);
RESET client_min_messages;
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
INSERT INTO er VALUES (3, 'sad', NULL, NULL);
\set VERBOSITY default
ALTER TYPE er_mood RENAME VALUE 'sad' TO 'blue';
\set VERBOSITY terse
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_running;
SELECT dataeng.cdc_wal_sync();
-- (as the warning said: the change of id 3 held the label 'sad')
SELECT capture_error IS NOT NULL AS stopped FROM dataeng.cdc_status WHERE table_name = 'er'::regclass;

SET client_min_messages = warning;
DROP TABLE er, er_slow, ert, ero;
DROP FUNCTION er_slow(int);
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
