-- The WAL capture worker decodes its slot with PostgreSQL's pgoutput,
-- which makes a message of each change in text form.  A change it cannot
-- make a message of failed every round at the same change: a role owning
-- a table captured from the WAL wrote one row whose text form passed
-- 1 GB (two bytea columns of 300 MB each, in hex, or one with its old
-- row), pgoutput failed ("Cannot enlarge string buffer"), the worker
-- ended, started again and failed on the same change, and no table of the
-- database, of any role, was captured any more, while the slot kept the
-- WAL from there on.  Now the failure is noted, the next worker makes the
-- changes up to it one by one, each in a subtransaction, and the table of
-- the change that fails again stops alone (capture_error), as for a
-- change the worker cannot decode; the other tables go on.
--
-- A row of 1 GB takes a GB of memory and minutes: a type whose output
-- function fails stands for it here (made by the superuser, as types with
-- C functions are), through the same path (pgoutput's change callback
-- raises an error).  The real row was tried by hand (docs/security.md).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
CREATE ROLE swu_victim;
CREATE ROLE swu_mallory;
CREATE SCHEMA swu_v AUTHORIZATION swu_victim;
CREATE SCHEMA swu_m AUTHORIZATION swu_mallory;

-- a type whose text output fails for every value
CREATE TYPE public.swu_boom;
CREATE FUNCTION public.swu_boom_in(cstring) RETURNS public.swu_boom
  AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
CREATE FUNCTION public.swu_boom_out(public.swu_boom) RETURNS cstring
  AS 'enum_out' LANGUAGE internal IMMUTABLE STRICT;
CREATE TYPE public.swu_boom (input = public.swu_boom_in, output = public.swu_boom_out,
                             internallength = 4, passedbyvalue, alignment = int4);

-- the victim's table and the attacker's, both captured from the WAL
SET ROLE swu_victim;
CREATE TABLE swu_v.orders (id int PRIMARY KEY, amount int);
SELECT dataeng.cdc_enable('swu_v.orders', method => 'wal');
SET ROLE swu_mallory;
CREATE TABLE swu_m.big (id int PRIMARY KEY, v public.swu_boom);
SELECT dataeng.cdc_enable('swu_m.big', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SET ROLE swu_victim;
INSERT INTO swu_v.orders VALUES (1, 10);
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;

SELECT pid AS worker0 FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture' AND datname = current_database() \gset

-- the attacker's row pgoutput cannot send, then the victim's next change
SET ROLE swu_mallory;
INSERT INTO swu_m.big VALUES (1, '12345');
SET ROLE swu_victim;
INSERT INTO swu_v.orders VALUES (2, 20);
RESET ROLE;
-- the victim's change is captured (the worker decodes again, the changes
-- up to that one each in a subtransaction, and stops the attacker's table:
-- before, none ever was; then a worker ended on the change, and the next
-- one, 10 s later, stopped the table), by the same worker
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.changes WHERE table_name = 'swu_v.orders'::regclass$$, 120)
  AS victim_captured;
SELECT pid = :worker0 AS same_worker FROM pg_stat_activity
 WHERE backend_type = 'dataeng wal capture' AND datname = current_database();
-- the attacker's table stopped, saying why; none of its rows was captured
SELECT table_name, capture_error LIKE 'commit %: the output plugin could not send a change: invalid internal value for enum: 12345'
         AS error_says
  FROM dataeng.cdc_status WHERE table_name = 'swu_m.big'::regclass;
SELECT count(*) AS attacker_changes FROM dataeng.changes WHERE table_name = 'swu_m.big'::regclass;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT pid AS worker FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture' AND datname = current_database() \gset

-- more such rows of the table, one in a transaction with the victim's: no
-- round fails on them any more (the same worker captures the victim's)
SET ROLE swu_mallory;
INSERT INTO swu_m.big VALUES (2, '12345');
BEGIN;
SET LOCAL ROLE swu_mallory;
INSERT INTO swu_m.big VALUES (3, '12345');
SET LOCAL ROLE swu_victim;
INSERT INTO swu_v.orders VALUES (3, 30);
COMMIT;
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT (new_row->>'id')::int AS id FROM dataeng.changes
 WHERE table_name = 'swu_v.orders'::regclass ORDER BY change_id;
SELECT count(*) AS attacker_changes FROM dataeng.changes WHERE table_name = 'swu_m.big'::regclass;
SELECT pid = :worker AS same_worker FROM pg_stat_activity
 WHERE backend_type = 'dataeng wal capture' AND datname = current_database();

-- a partitioned table, whose changes pgoutput sends under its root: its
-- partition's row stops the root's capture
SET ROLE swu_mallory;
CREATE TABLE swu_m.parts (id int, v public.swu_boom) PARTITION BY RANGE (id);
CREATE TABLE swu_m.parts_1 PARTITION OF swu_m.parts FOR VALUES FROM (0) TO (100);
SELECT dataeng.cdc_enable('swu_m.parts', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SET ROLE swu_mallory;
INSERT INTO swu_m.parts VALUES (1, '12345');
SET ROLE swu_victim;
INSERT INTO swu_v.orders VALUES (4, 40);
RESET ROLE;
SELECT wait_for($$SELECT count(*) = 4 FROM dataeng.changes WHERE table_name = 'swu_v.orders'::regclass$$, 120)
  AS victim_captured;
SELECT table_name, capture_error LIKE 'commit %: the output plugin could not send a change: invalid internal value for enum: 12345'
         AS error_says
  FROM dataeng.cdc_status WHERE table_name = 'swu_m.parts'::regclass;

SET client_min_messages = warning;
DROP TABLE swu_m.big, swu_m.parts, swu_v.orders;
DROP TYPE public.swu_boom CASCADE;
DROP SCHEMA swu_v, swu_m;
DROP ROLE swu_victim, swu_mallory;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
