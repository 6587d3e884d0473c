-- CDC: bad input gets a clear error, and changes nothing.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TABLE e_src (id int PRIMARY KEY, v text);
CREATE TABLE e_other (id int PRIMARY KEY);

-------------------------------------------------------------------------------
-- Objects capture cannot be installed on
-------------------------------------------------------------------------------
CREATE VIEW e_view AS SELECT * FROM e_src;
SELECT dataeng.cdc_enable('e_view');
SELECT dataeng.cdc_disable('e_view');
CREATE MATERIALIZED VIEW e_mview AS SELECT * FROM e_src;
SELECT dataeng.cdc_enable('e_mview');
CREATE SEQUENCE e_seq;
SELECT dataeng.cdc_enable('e_seq');
CREATE INDEX e_index ON e_src (v);
SELECT dataeng.cdc_enable('e_index');
CREATE TYPE e_comp AS (a int);
SELECT dataeng.cdc_enable('e_comp');
CREATE FOREIGN DATA WRAPPER e_fdw;
CREATE SERVER e_server FOREIGN DATA WRAPPER e_fdw;
CREATE FOREIGN TABLE e_foreign (id int) SERVER e_server;
SELECT dataeng.cdc_enable('e_foreign');
CREATE TEMP TABLE e_temp (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('e_temp');
SELECT dataeng.cdc_enable('pg_class');
SELECT dataeng.cdc_enable('pg_catalog.pg_proc');
SELECT dataeng.cdc_enable('pg_toast.pg_toast_1255');
SELECT dataeng.cdc_enable('information_schema.sql_features');
-- tables of an extension (here dataeng's own)
SELECT dataeng.cdc_enable('dataeng_internal.change_log');
SELECT dataeng.cdc_enable('dataeng_internal.change_log_0');
SELECT dataeng.cdc_enable('dataeng.cdc_tables');
SELECT dataeng.cdc_disable('dataeng_internal.cdc_consumer_state');
SELECT dataeng.cdc_enable('no_such_table');
SELECT dataeng.cdc_enable(NULL);
SELECT dataeng.cdc_disable(NULL);              -- refused: 22004
SELECT dataeng.cdc_disable('e_src');           -- not captured: false
-- nothing was installed or recorded by any of these
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgfoid = 'dataeng_internal.capture()'::regprocedure;
SELECT count(*) AS captured_tables FROM dataeng.cdc_tables;

-------------------------------------------------------------------------------
-- Bad column lists
-------------------------------------------------------------------------------
SELECT dataeng.cdc_enable('e_src', columns => '{id,nope}');
SELECT dataeng.cdc_enable('e_src', exclude_columns => '{"ID"}');    -- names are exact
SELECT dataeng.cdc_enable('e_src', columns => '{ctid}');            -- system column
SELECT dataeng.cdc_enable('e_src', columns => '{}');
SELECT dataeng.cdc_enable('e_src', columns => '{id}', exclude_columns => '{v}');
SELECT dataeng.cdc_enable('e_src', columns => ARRAY[NULL]::text[]);
SELECT dataeng.cdc_enable('e_src', exclude_columns => ARRAY['v', NULL]);
SELECT count(*) AS capture_triggers FROM pg_trigger WHERE tgrelid = 'e_src'::regclass;
SELECT count(*) AS captured_tables FROM dataeng.cdc_tables;
-- a failed change of options keeps the options in force
SELECT dataeng.cdc_enable('e_src', exclude_columns => '{v}');
SELECT dataeng.cdc_enable('e_src', columns => '{id,nope}');
SELECT columns, exclude_columns, changed_only FROM dataeng.cdc_tables;
INSERT INTO e_src VALUES (-1, 'still excluded');
SELECT op, new_row FROM dataeng.changes ORDER BY change_id;
SELECT dataeng.cdc_disable('e_src');
DELETE FROM e_src;

-------------------------------------------------------------------------------
-- The capture function is not for direct use
-------------------------------------------------------------------------------
SELECT dataeng_internal.capture();
-- (only a superuser may even try: EXECUTE is revoked from PUBLIC)
CREATE TRIGGER by_hand AFTER INSERT ON e_src FOR EACH ROW EXECUTE FUNCTION dataeng_internal.capture();
INSERT INTO e_src VALUES (0, 'refused');
DROP TRIGGER by_hand ON e_src;
CREATE TRIGGER by_hand AFTER INSERT ON e_src FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture();
INSERT INTO e_src VALUES (0, 'refused');
DROP TRIGGER by_hand ON e_src;
SELECT count(*) AS nothing_logged FROM dataeng.changes WHERE pk = '{"id": 0}';

-------------------------------------------------------------------------------
-- Consumers: bad names and arguments
-------------------------------------------------------------------------------
-- the first consumer needs a READ COMMITTED transaction
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.cdc_consumer_create('c');
ROLLBACK;
SELECT dataeng.cdc_consumer_create('');
SELECT dataeng.cdc_consumer_create(NULL);
SELECT dataeng.cdc_consumer_create('c', '{}');
SELECT dataeng.cdc_consumer_create('c', ARRAY[NULL]::regclass[]);
SELECT dataeng.cdc_consumer_create('c', ARRAY['no_such_table'::regclass]);
SELECT dataeng.cdc_consumer_create('c', ARRAY['e_src'::regclass]);   -- warns: not captured
SELECT dataeng.cdc_consumer_create('c');
SELECT name, tables FROM dataeng.cdc_consumers ORDER BY name;
SELECT dataeng.cdc_poll('nope');
SELECT dataeng.cdc_poll('');
SELECT dataeng.cdc_ack('nope', 1);
SELECT dataeng.cdc_consumer_drop('nope');
SELECT dataeng.cdc_poll('c', 0);
SELECT dataeng.cdc_poll('c', -5);
-- NULL arguments are refused (22004), but for the position of cdc_ack,
-- the max(change_id) of an empty poll: nothing to acknowledge
SELECT count(*) AS null_consumer FROM dataeng.cdc_poll(NULL);
SELECT count(*) AS null_max FROM dataeng.cdc_poll('c', NULL);
SELECT dataeng.cdc_ack('c', NULL::bigint);
SELECT dataeng.cdc_consumer_drop(NULL) IS NULL AS null_drop;
-- purge needs a READ COMMITTED transaction
SELECT dataeng.cdc_consumer_drop('c');
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT count(*) FROM dataeng.cdc_purge();
ROLLBACK;
SELECT count(*) AS consumers FROM dataeng.cdc_consumers;

-------------------------------------------------------------------------------
-- Acknowledgements: nonexistent, not yet delivered, backwards, repeated;
-- a failed one changes nothing
-------------------------------------------------------------------------------
SELECT dataeng.cdc_enable('e_src');
SELECT dataeng.cdc_enable('e_other');
SELECT dataeng.cdc_consumer_create('c', ARRAY['e_src'::regclass]);
SELECT coalesce(max(change_id), 0) AS base FROM dataeng.changes \gset
INSERT INTO e_src VALUES (1, 'a');                     -- base + 1
INSERT INTO e_src VALUES (2, 'b');                     -- base + 2
INSERT INTO e_src VALUES (3, 'c');                     -- base + 3
SELECT dataeng.cdc_ack('c', :base + 999);              -- past the end: never existed
SELECT dataeng.cdc_ack('c', -1);
SELECT dataeng.cdc_ack('c', :base + 2);                -- exists, not delivered yet
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
SELECT change_id - :base AS n, op FROM dataeng.cdc_poll('c', 2) ORDER BY change_id;
SELECT dataeng.cdc_ack('c', :base + 3);                -- past what the poll returned
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
SELECT dataeng.cdc_ack('c', :base + 2);
SELECT dataeng.cdc_ack('c', :base + 2);                -- again: nothing to do
SELECT dataeng.cdc_ack('c', :base + 1);                -- backwards
SELECT acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
-- after the failures, the next poll starts after the acknowledged change
SELECT change_id - :base AS n, op FROM dataeng.cdc_poll('c') ORDER BY change_id;
BEGIN;
INSERT INTO e_src VALUES (4, 'rolled back');          -- base + 4, never committed
ROLLBACK;
SELECT change_id - :base AS n, op FROM dataeng.cdc_poll('c') ORDER BY change_id;
SELECT dataeng.cdc_ack('c', :base + 4);                -- rolled back: does not exist
SELECT acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
SELECT dataeng.cdc_ack('c', :base + 3);
SELECT acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
SELECT dataeng.cdc_ack('c', :base + 1);                -- backwards, across batches
SELECT dataeng.cdc_ack('c', :base + 3);                -- repeated: nothing to do

-- a change of a table the consumer does not read was never delivered to
-- it, even in a transaction whose other changes were
BEGIN;
INSERT INTO e_src VALUES (5, 'e');                     -- base + 5
INSERT INTO e_other VALUES (1);                        -- base + 6
INSERT INTO e_src VALUES (6, 'f');                     -- base + 7
COMMIT;
SELECT change_id - :base AS n, table_name FROM dataeng.cdc_poll('c') ORDER BY change_id;
SELECT dataeng.cdc_ack('c', :base + 6);
SELECT acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
SELECT dataeng.cdc_ack('c', :base + 7);

-- a failed acknowledgement changes nothing, even inside a transaction
-- that goes on
INSERT INTO e_src VALUES (7, 'g');                     -- base + 8
SELECT change_id - :base AS n FROM dataeng.cdc_poll('c') ORDER BY change_id;
SELECT name, acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers;
BEGIN;
SAVEPOINT s;
SELECT dataeng.cdc_ack('c', :base + 1);
ROLLBACK TO SAVEPOINT s;
SELECT dataeng.cdc_ack('c', :base + 100);
ROLLBACK TO SAVEPOINT s;
SELECT acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
COMMIT;
SELECT name, acked_change_id - :base AS acked, pending_changes FROM dataeng.cdc_consumers;
SELECT change_id - :base AS n FROM dataeng.cdc_poll('c') ORDER BY change_id;
SELECT dataeng.cdc_consumer_drop('c');
SELECT dataeng.cdc_consumer_drop('c');                 -- gone
SELECT dataeng.cdc_poll('c');

-------------------------------------------------------------------------------
-- Identifiers that need quoting are handled as identifiers, never as SQL
-------------------------------------------------------------------------------
CREATE SCHEMA "we'ird ""schema""";
CREATE TABLE "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --" (
  "Id" int PRIMARY KEY, "col'quote" text, "semi;colon" int, "sp ace" text,
  "a,b" text, "x""y" text, "back\slash" text, "{brace}" text, " lead" text, "NULL" text,
  "%s %I $1" text, "); DROP TABLE e_src; --" text);
SELECT dataeng.cdc_enable('"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"',
                          columns => ARRAY['Id', 'col''quote', 'semi;colon', 'a,b', 'x"y', 'back\slash',
                                           '{brace}', ' lead', 'NULL', '%s %I $1',
                                           '); DROP TABLE e_src; --']);
SELECT count(*) AS capture_triggers FROM pg_trigger
 WHERE tgrelid = '"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"'::regclass;
INSERT INTO "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --"
  VALUES (1, 'q''uote', 2, 'not captured', 'ab', 'xy', 'b\s', '{}', 'lead', 'null', '%', ');');
UPDATE "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --" SET "sp ace" = 'x', "x""y" = 'x"y';
SELECT table_name, op, pk, new_row FROM dataeng.changes WHERE pk ? 'Id' ORDER BY change_id;
-- every captured key is a column name, exactly
SELECT array_agg(k ORDER BY k) = (SELECT array_agg(attname::text ORDER BY attname::text)
                                    FROM pg_attribute
                                   WHERE attrelid = '"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"'::regclass
                                     AND attnum > 0 AND attname <> 'sp ace') AS keys_are_column_names
  FROM (SELECT jsonb_object_keys(new_row) AS k FROM dataeng.changes WHERE pk ? 'Id' AND op = 'I') s;
-- the same names as columns to leave out
SELECT dataeng.cdc_enable('"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"',
                          exclude_columns => ARRAY['col''quote', 'semi;colon', 'a,b', 'x"y', 'back\slash',
                                                   '{brace}', ' lead', 'NULL', '%s %I $1',
                                                   '); DROP TABLE e_src; --']);
DELETE FROM "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --";
SELECT op, pk, old_row FROM dataeng.changes WHERE pk ? 'Id' AND op = 'D';
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables WHERE table_name::text LIKE '%Mixed%';
-- consumers with such names
SELECT dataeng.cdc_consumer_create('we''ird "consumer"; --',
  ARRAY['"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"'::regclass]);
SELECT dataeng.cdc_consumer_create(E'%s\\x; DROP TABLE e_src; --');
SELECT name, tables FROM dataeng.cdc_consumers ORDER BY name;
INSERT INTO "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --" ("Id") VALUES (2);
SELECT op, pk FROM dataeng.cdc_poll('we''ird "consumer"; --');
SELECT op, pk FROM dataeng.cdc_poll(E'%s\\x; DROP TABLE e_src; --');
SELECT dataeng.cdc_poll('we''ird "consumer"; --''');  -- not that one
SELECT dataeng.cdc_consumer_drop('we''ird "consumer"; --');
SELECT dataeng.cdc_consumer_drop(E'%s\\x; DROP TABLE e_src; --');
SELECT dataeng.cdc_disable('"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"');
SELECT count(*) AS capture_triggers FROM pg_trigger
 WHERE tgrelid = '"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"'::regclass;
-- names that look like format specifiers or quotes in error messages
CREATE VIEW "%s"" %I ' view" AS SELECT 1 AS x;
SELECT dataeng.cdc_enable('"%s"" %I '' view"');
SELECT dataeng.cdc_enable('e_src', columns => ARRAY['%s'' "x"']);
SELECT count(*) AS e_src_still_there FROM e_src;

-------------------------------------------------------------------------------
-- Dropping a captured table forgets it; the extension cannot be dropped
-- from under captured tables by accident
-------------------------------------------------------------------------------
CREATE TABLE e_gone (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('e_gone');
DROP TABLE e_gone;
SELECT count(*) AS forgotten FROM dataeng.cdc_tables WHERE table_name::text = 'e_gone';
-- a consumer of a dropped table whose owner could read it when it was
-- dropped still gets its changes captured before (cdc_drop_consumers.sql);
-- one whose owner could not (its SELECT revoked before) says the table was
-- dropped (not "permission denied for table <oid>") and how to go on;
-- dropping it still works
SET client_min_messages = warning;
CREATE ROLE regress_e_gone_kept;
CREATE ROLE regress_e_gone_lost;
RESET client_min_messages;
CREATE TABLE e_gone2 (id int PRIMARY KEY);
GRANT SELECT ON e_gone2 TO regress_e_gone_kept, regress_e_gone_lost;
SELECT dataeng.cdc_enable('e_gone2');
SET ROLE regress_e_gone_kept;
SELECT dataeng.cdc_consumer_create('e_gone_kept', '{e_gone2}');
SET ROLE regress_e_gone_lost;
SELECT dataeng.cdc_consumer_create('e_gone_reader', '{e_gone2}');
RESET ROLE;
INSERT INTO e_gone2 VALUES (1);
REVOKE SELECT ON e_gone2 FROM regress_e_gone_lost;
DROP TABLE e_gone2;
SET ROLE regress_e_gone_kept;
SELECT op, pk FROM dataeng.cdc_poll('e_gone_kept');
SET ROLE regress_e_gone_lost;
\set VERBOSITY terse
SELECT count(*) FROM dataeng.cdc_poll('e_gone_reader');
SELECT dataeng.cdc_ack('e_gone_reader');
\set VERBOSITY default
DO $$
DECLARE st text; h text;
BEGIN
  PERFORM dataeng.cdc_poll('e_gone_reader');
EXCEPTION WHEN undefined_table THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, h = PG_EXCEPTION_HINT;
  RAISE NOTICE '% %', st, h;
END $$;
SELECT dataeng.cdc_consumer_drop('e_gone_reader');
RESET ROLE;
SELECT dataeng.cdc_consumer_drop('e_gone_kept');
DROP ROLE regress_e_gone_kept;
DROP ROLE regress_e_gone_lost;
CREATE SCHEMA e_gone_schema;
CREATE TABLE e_gone_schema.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('e_gone_schema.t');
DROP SCHEMA e_gone_schema CASCADE;
SELECT table_name FROM dataeng.cdc_tables ORDER BY 1;
DROP EXTENSION dataeng;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA "we'ird ""schema""" CASCADE;
DROP VIEW "%s"" %I ' view";
DROP MATERIALIZED VIEW e_mview;
DROP TABLE e_src, e_other CASCADE;
DROP SEQUENCE e_seq;
DROP TYPE e_comp;
DROP FOREIGN TABLE e_foreign;
DROP SERVER e_server;
DROP FOREIGN DATA WRAPPER e_fdw;
DROP TABLE e_temp;
RESET client_min_messages;
