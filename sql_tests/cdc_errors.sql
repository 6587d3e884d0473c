-- CDC: bad input gets a clear error, and changes nothing.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE TABLE e_src (id int PRIMARY KEY, v text);

-- objects capture cannot be installed on
CREATE VIEW e_view AS SELECT * FROM e_src;
SELECT dataeng.cdc_enable('e_view');
CREATE MATERIALIZED VIEW e_mview AS SELECT * FROM e_src;
SELECT dataeng.cdc_enable('e_mview');
CREATE SEQUENCE e_seq;
SELECT dataeng.cdc_enable('e_seq');
CREATE FOREIGN DATA WRAPPER e_fdw;
CREATE SERVER e_server FOREIGN DATA WRAPPER e_fdw;
CREATE FOREIGN TABLE e_foreign (id int) SERVER e_server;
SELECT dataeng.cdc_enable('e_foreign');
CREATE TEMP TABLE e_temp (id int);
SELECT dataeng.cdc_enable('e_temp');
SELECT dataeng.cdc_enable('pg_class');
SELECT dataeng.cdc_enable('pg_catalog.pg_proc');
SELECT dataeng.cdc_enable('information_schema.sql_features');
SELECT dataeng.cdc_enable('dataeng.change_log');
SELECT dataeng.cdc_enable('dataeng.cdc_tables');
SELECT dataeng.cdc_enable('no_such_table');
SELECT dataeng.cdc_enable(NULL);

-- bad column lists
SELECT dataeng.cdc_enable('e_src', columns => '{id,nope}');
SELECT dataeng.cdc_enable('e_src', exclude_columns => '{"ID"}');
SELECT dataeng.cdc_enable('e_src', columns => '{}');
SELECT dataeng.cdc_enable('e_src', columns => '{id}', exclude_columns => '{v}');
SELECT dataeng.cdc_enable('e_src', columns => ARRAY[NULL]::text[]);
SELECT count(*) AS nothing_installed FROM pg_trigger WHERE tgrelid = 'e_src'::regclass;
SELECT count(*) AS nothing_recorded FROM dataeng.cdc_tables;

-- the capture function is not for direct use
SELECT dataeng.capture();
-- (only a superuser may even try: EXECUTE is revoked from PUBLIC)
CREATE TRIGGER by_hand AFTER INSERT ON e_src FOR EACH ROW EXECUTE FUNCTION dataeng.capture();
INSERT INTO e_src VALUES (0, 'refused');
DROP TRIGGER by_hand ON e_src;

-- consumers: bad names and arguments
SELECT dataeng.cdc_consumer_create('');
SELECT dataeng.cdc_consumer_create(NULL);
SELECT dataeng.cdc_consumer_create('c', '{}');
SELECT dataeng.cdc_consumer_create('c', ARRAY[NULL]::regclass[]);
SELECT dataeng.cdc_consumer_create('c', ARRAY['e_src'::regclass]);   -- warns: not captured
SELECT dataeng.cdc_consumer_create('c');
SELECT dataeng.cdc_poll('nope');
SELECT dataeng.cdc_ack('nope', 1);
SELECT dataeng.cdc_consumer_drop('nope');
SELECT dataeng.cdc_poll('c', 0);
SELECT dataeng.cdc_poll('c', -5);

-- acknowledgements: nonexistent, not yet delivered, backwards, repeated
SELECT dataeng.cdc_enable('e_src');
INSERT INTO e_src VALUES (1, 'a');
INSERT INTO e_src VALUES (2, 'b');
INSERT INTO e_src VALUES (3, 'c');
SELECT dataeng.cdc_ack('c', 999);                      -- never existed
SELECT dataeng.cdc_ack('c', 2);                        -- not delivered yet
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
SELECT change_id, op FROM dataeng.cdc_poll('c', 2);
SELECT dataeng.cdc_ack('c', 3);                        -- past what the poll returned
SELECT dataeng.cdc_ack('c', 2);
SELECT dataeng.cdc_ack('c', 2);                        -- again: nothing to do
SELECT dataeng.cdc_ack('c', 1);                        -- backwards
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';
BEGIN;
INSERT INTO e_src VALUES (4, 'rolled back');
ROLLBACK;
SELECT change_id, op FROM dataeng.cdc_poll('c');
SELECT dataeng.cdc_ack('c', 4);                        -- rolled back: does not exist
SELECT dataeng.cdc_ack('c', 3);
SELECT acked_change_id, pending_changes FROM dataeng.cdc_consumers WHERE name = 'c';

-- a failed acknowledgement changes nothing, even inside a transaction
-- that goes on
BEGIN;
SAVEPOINT s;
SELECT dataeng.cdc_ack('c', 1);
ROLLBACK TO SAVEPOINT s;
SELECT acked_change_id FROM dataeng.cdc_consumers WHERE name = 'c';
COMMIT;

-- identifiers that need quoting are handled as identifiers, never as SQL
CREATE SCHEMA "we'ird ""schema""";
CREATE TABLE "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --" (
  "Id" int PRIMARY KEY, "col'quote" text, "semi;colon" int, "sp ace" text);
SELECT dataeng.cdc_enable('"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"',
                          columns => ARRAY['Id', 'col''quote', 'semi;colon']);
INSERT INTO "we'ird ""schema"""."Mixed Case; DROP TABLE e_src; --" VALUES (1, 'q''uote', 2, 'x');
SELECT table_name, op, pk, new_row FROM dataeng.changes WHERE op = 'I' AND pk ? 'Id';
SELECT dataeng.cdc_consumer_create('we''ird "consumer"; --',
  ARRAY['"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"'::regclass]);
SELECT name FROM dataeng.cdc_consumers ORDER BY name;
SELECT dataeng.cdc_disable('"we''ird ""schema"""."Mixed Case; DROP TABLE e_src; --"');
SELECT count(*) AS e_src_still_there FROM e_src;

-- dropping a captured table forgets it
CREATE TABLE e_gone (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('e_gone');
DROP TABLE e_gone;
SELECT count(*) AS forgotten FROM dataeng.cdc_tables WHERE table_name::text = 'e_gone';

-- the extension cannot be dropped from under captured tables by accident
DROP EXTENSION dataeng;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA "we'ird ""schema""" CASCADE;
DROP MATERIALIZED VIEW e_mview;
DROP TABLE e_src CASCADE;
DROP SEQUENCE e_seq;
DROP FOREIGN TABLE e_foreign;
DROP SERVER e_server;
DROP FOREIGN DATA WRAPPER e_fdw;
RESET client_min_messages;
