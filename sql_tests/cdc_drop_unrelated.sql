-- A DROP that takes no captured table does not run dataeng's SQL to record
-- the readers of the captured tables it drops (the utility hook,
-- src/cdc/ddl.c, first looks the tables up in dataeng.cdc_tables' primary
-- key): before, every DROP TABLE in the database ran
-- dataeng_internal._cdc_drop_readers() through SPI.  A DROP of a
-- captured table still does.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;
CREATE TABLE du_captured (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('du_captured');
SELECT dataeng.cdc_consumer_create('du_c');
SET track_functions = 'all';
BEGIN;
CREATE TABLE du_plain (id int);
CREATE TABLE du_parted (id int) PARTITION BY LIST (id);
CREATE TABLE du_part PARTITION OF du_parted FOR VALUES IN (1);
DROP TABLE du_plain, du_parted;
SELECT coalesce(sum(calls), 0) AS drop_readers_calls
  FROM pg_stat_xact_user_functions WHERE funcname = '_cdc_drop_readers';
COMMIT;
BEGIN;
CREATE TABLE du_plain (id int);
SET client_min_messages = warning;
DROP TABLE du_plain, du_captured;
RESET client_min_messages;
SELECT coalesce(sum(calls), 0) AS drop_readers_calls
  FROM pg_stat_xact_user_functions WHERE funcname = '_cdc_drop_readers';
SELECT table_ident, reader = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS by_me
  FROM dataeng_internal.cdc_dropped_readers;
COMMIT;
-- (captured earlier in the same transaction: recorded too)
BEGIN;
CREATE TABLE du_new (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('du_new');
SET client_min_messages = warning;
DROP TABLE du_new;
RESET client_min_messages;
SELECT table_ident, reader = (SELECT oid FROM pg_roles WHERE rolname = current_user) AS by_me
  FROM dataeng_internal.cdc_dropped_readers ORDER BY 1;
COMMIT;
RESET track_functions;

SET client_min_messages = warning;
SELECT dataeng.cdc_consumer_drop('du_c');
DROP EXTENSION dataeng CASCADE;
