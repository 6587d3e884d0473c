-- CDC from the WAL: ALTER TABLE ... ADD COLUMN, and ALTER TYPE ... ADD /
-- DROP ATTRIBUTE of a composite type a captured table's column uses, wait
-- for the worker to record the changes committed before them, as the
-- ALTERs of cdc_wal_alter_waits.sql do.  The worker decodes a change a
-- round after its commit, with the table's columns and types as they are
-- then.  Before, a change still waiting in the WAL when a column was added
-- was recorded with that column (NULL, where the trigger records the
-- columns of the change's time), and a generated column added then was
-- computed for it: its expression failing on that row (one deleted since,
-- which the ALTER's own rewrite never met) stopped the table's capture,
-- its changes lost until cdc_enable().  A composite value waiting while an
-- attribute was added or dropped could not be parsed any more ("malformed
-- record literal") and stopped the table the same way.
-- The worker is held in its round by a table whose generated column takes
-- a second to compute, so that the ALTER comes while the change waits.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE FUNCTION ad_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN x * 2; END $$;
CREATE TABLE ad_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.ad_slow(id)) STORED);
CREATE TABLE ad (id int PRIMARY KEY, n int);
CREATE TABLE ad_trg (LIKE ad INCLUDING ALL);
CREATE TYPE ad_pair AS (a int, b text);
CREATE TABLE adc (id int PRIMARY KEY, p ad_pair, ps ad_pair[]);
SELECT dataeng.cdc_enable('ad_slow', method => 'wal');
SELECT dataeng.cdc_enable('ad', method => 'wal');
SELECT dataeng.cdc_enable('ad_trg');
SELECT dataeng.cdc_enable('adc', method => 'wal');
SELECT dataeng.cdc_consumer_create('ad_c', '{ad,adc}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- 1. a generated column added while the changes of a row since deleted
-- wait: they are recorded with the columns of their time, as the trigger
-- records them, and capture goes on
INSERT INTO ad_slow (id) VALUES (1);
INSERT INTO ad VALUES (5, 1);
DELETE FROM ad WHERE id = 5;
ALTER TABLE ad ADD COLUMN g int GENERATED ALWAYS AS (100 / (id - 5)) STORED;
INSERT INTO ad VALUES (6, 1);
-- the same on a table captured by its trigger
INSERT INTO ad_trg VALUES (5, 1);
DELETE FROM ad_trg WHERE id = 5;
ALTER TABLE ad_trg ADD COLUMN g int GENERATED ALWAYS AS (100 / (id - 5)) STORED;
INSERT INTO ad_trg VALUES (6, 1);

-- 2. a plain column added while a change waits: not in its record
INSERT INTO ad_slow (id) VALUES (2);
UPDATE ad SET n = 2 WHERE id = 6;
ALTER TABLE ad ADD COLUMN extra text DEFAULT 'later';
UPDATE ad SET n = 3 WHERE id = 6;
UPDATE ad_trg SET n = 2 WHERE id = 6;
ALTER TABLE ad_trg ADD COLUMN extra text DEFAULT 'later';
UPDATE ad_trg SET n = 3 WHERE id = 6;

SELECT dataeng.cdc_wal_sync();
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'ad'::regclass;
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('ad_c') ORDER BY position;
-- the same records as the trigger's
SELECT (SELECT array_agg(row(op, pk, old_row, new_row)::text ORDER BY change_id)
          FROM dataeng.changes WHERE table_name = 'ad'::regclass)
     = (SELECT array_agg(row(op, pk, old_row, new_row)::text ORDER BY change_id)
          FROM dataeng.changes WHERE table_name = 'ad_trg'::regclass) AS same_as_trigger;

-- 3. attributes of a composite type added and dropped while values of it
-- wait: recorded as written, and the table goes on
BEGIN;
SELECT count(*) FROM dataeng.cdc_poll('ad_c');
SELECT dataeng.cdc_ack('ad_c');
COMMIT;
INSERT INTO ad_slow (id) VALUES (3);
INSERT INTO adc VALUES (1, '(1,x)', '{"(2,y)"}');
ALTER TYPE ad_pair ADD ATTRIBUTE c int;
INSERT INTO adc VALUES (2, '(1,x,3)', '{"(2,y,4)"}');
INSERT INTO ad_slow (id) VALUES (4);
UPDATE adc SET p.c = 5 WHERE id = 2;
ALTER TYPE ad_pair DROP ATTRIBUTE b;
INSERT INTO adc VALUES (3, '(1,6)', NULL);
SELECT dataeng.cdc_wal_sync();
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'adc'::regclass;
SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('ad_c') ORDER BY position;

-- 4. a transaction that locked the table first (as migrations do): the
-- worker cannot record the pending change before it ends, so the column
-- is added without the wait (the other ALTERs fail with 40P01 there), the
-- change recorded with it
INSERT INTO ad_slow (id) VALUES (5);
INSERT INTO ad VALUES (7, 7);
BEGIN;
LOCK TABLE ad IN ACCESS EXCLUSIVE MODE;
ALTER TABLE ad ADD COLUMN late int;
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'ad'::regclass;
SELECT op, pk, new_row FROM dataeng.changes WHERE table_name = 'ad'::regclass AND pk->>'id' = '7';

-- 5. an attribute renamed while a value waits: recorded under the name
-- of its time, as the trigger records it (it was under the new name)
CREATE TYPE ad_named AS (a int, b text);
CREATE TABLE adn (id int PRIMARY KEY, p ad_named);
CREATE TABLE adn_trg (LIKE adn);
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('adn', method => 'wal');
SELECT dataeng.cdc_enable('adn_trg');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO ad_slow (id) VALUES (6);
INSERT INTO adn VALUES (1, '(1,x)');
INSERT INTO adn_trg VALUES (1, '(1,x)');
ALTER TYPE ad_named RENAME ATTRIBUTE b TO label;
INSERT INTO adn VALUES (2, '(2,y)');
INSERT INTO adn_trg VALUES (2, '(2,y)');
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row FROM dataeng.changes
 WHERE table_name IN ('adn'::regclass, 'adn_trg'::regclass) ORDER BY table_name::text, change_id;

SET client_min_messages = warning;
DROP TABLE ad, ad_trg, adc, ad_slow, adn, adn_trg;
DROP TYPE ad_named;
DROP TYPE ad_pair;
DROP FUNCTION ad_slow(int);
DROP EXTENSION dataeng CASCADE;
