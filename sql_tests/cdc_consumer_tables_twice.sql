-- A table listed twice in cdc_consumer_create (two spellings of one name)
-- is one table of the consumer, in the place of its first mention: it
-- was kept twice (dataeng.cdc_consumers showed {t,t}).
CREATE EXTENSION dataeng;
\set VERBOSITY terse
CREATE SCHEMA "Shop";
CREATE TABLE "Shop"."Orders" (id int PRIMARY KEY);
CREATE TABLE "Shop".items (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('"Shop"."Orders"', method => 'trigger') IS NOT NULL AS enabled;
SELECT dataeng.cdc_enable('"Shop".items', method => 'trigger') IS NOT NULL AS enabled;
INSERT INTO "Shop"."Orders" VALUES (1), (2);
SELECT dataeng.cdc_consumer_create('twice', ARRAY['"Shop"."Orders"', '"Shop".items', '"Shop"."Orders"']::regclass[],
                                   snapshot => true);
SELECT name, tables FROM dataeng.cdc_consumers WHERE name = 'twice';
-- its snapshot has each row once, as before
SELECT change_id, op, table_name, pk FROM dataeng.cdc_poll('twice') ORDER BY position;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA "Shop" CASCADE;
