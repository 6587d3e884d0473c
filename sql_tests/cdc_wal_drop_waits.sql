-- CDC from the WAL: DROP TABLE (and DROP SCHEMA ... CASCADE) of a table
-- captured from the WAL first waits for the worker to record the changes
-- committed before it (writers held off meanwhile), as cdc_disable and the
-- ALTERs of cdc_wal_alter_waits.sql do.  The worker decodes a change a
-- round after its commit: once the table was gone (its row of
-- dataeng.cdc_tables with it), the changes still waiting in the WAL were
-- lost, and its on_change handlers never got them, where the capture
-- trigger records each change at its commit.  The worker is held in its
-- round by a table whose generated column takes a second to compute, so
-- that the DROP comes while the changes wait.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE FUNCTION dw_slow(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM pg_catalog.pg_sleep(1); RETURN x * 2; END $$;
-- (each insert into dw_slow holds the worker's round for a second)
CREATE TABLE dw_slow (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.dw_slow(id)) STORED);
CREATE TABLE dw (id int PRIMARY KEY, v text);
CREATE TABLE dw_calls (ids text);
CREATE FUNCTION dw_handler(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.dw_calls SELECT string_agg(c.op::text || (c.pk->>'id'), ',' ORDER BY c.change_id) FROM unnest(changes) c;
END $$;
SELECT dataeng.cdc_enable('dw_slow', method => 'wal');
SELECT dataeng.cdc_enable('dw', method => 'wal');
SELECT dataeng.on_change('dw_h', 'dw', 'dw_handler(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- 1. DROP TABLE while changes of the table wait in the WAL: they are in
-- the change log, and its handler got them, before it is dropped
SELECT 'dw'::regclass::oid AS dw_oid \gset
INSERT INTO dw_slow (id) VALUES (1);
INSERT INTO dw VALUES (1, 'a'), (2, 'b');
UPDATE dw SET v = 'c' WHERE id = 1;
DELETE FROM dw WHERE id = 2;
DROP TABLE dw;
SELECT op, pk, old_row, new_row FROM dataeng_internal.change_log
 WHERE table_oid = :dw_oid ORDER BY change_id;
SELECT ids FROM dw_calls;
SELECT count(*) AS rows_left FROM dataeng.cdc_tables WHERE table_name::oid = :dw_oid;

-- 2. a partition of a partitioned table captured from the WAL, dropped
-- alone, and the partitioned table
SET client_min_messages = warning;
CREATE TABLE dwp (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE dwp_eu PARTITION OF dwp FOR VALUES IN ('eu');
CREATE TABLE dwp_us PARTITION OF dwp FOR VALUES IN ('us');
SELECT dataeng.cdc_enable('dwp', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'dwp'::regclass::oid AS dwp_oid \gset
INSERT INTO dw_slow (id) VALUES (2);
INSERT INTO dwp VALUES (1, 'eu'), (2, 'us');
DROP TABLE dwp_eu;
INSERT INTO dw_slow (id) VALUES (3);
INSERT INTO dwp VALUES (3, 'us');
DROP TABLE dwp;
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = :dwp_oid ORDER BY change_id;

-- 3. DROP SCHEMA ... CASCADE of a schema holding such a table
SET client_min_messages = warning;
CREATE SCHEMA dws;
CREATE TABLE dws.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dws.t', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'dws.t'::regclass::oid AS dws_oid \gset
INSERT INTO dw_slow (id) VALUES (4);
INSERT INTO dws.t VALUES (7);
SET client_min_messages = warning;
DROP SCHEMA dws CASCADE;
RESET client_min_messages;
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = :dws_oid ORDER BY change_id;

-- ... and DROP OWNED BY a role owning such a table
SET client_min_messages = warning;
CREATE ROLE dw_owner;
GRANT CREATE ON SCHEMA public TO dw_owner;
SET ROLE dw_owner;
CREATE TABLE dwo (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dwo', method => 'wal');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'dwo'::regclass::oid AS dwo_oid \gset
INSERT INTO dw_slow (id) VALUES (7);
INSERT INTO dwo VALUES (8);
DROP OWNED BY dw_owner;
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = :dwo_oid ORDER BY change_id;
DROP ROLE dw_owner;

-- 4. what the wait cannot cover: changes written by the dropping
-- transaction itself commit with the DROP and are decoded after it (the
-- DROP describes the table for the worker: no warning, and
-- cdc_wal_drop_same_txn shows them captured); and no worker running
-- rounds (dataeng.enabled off): said, and the DROP goes on
SET client_min_messages = warning;
CREATE TABLE dw2 (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dw2', method => 'wal');
CREATE TABLE dw3 (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dw3', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
\set VERBOSITY default
BEGIN;
INSERT INTO dw2 VALUES (1);
DROP TABLE dw2;
ROLLBACK;
SET client_min_messages = warning;
DROP FUNCTION IF EXISTS wait_for(text, float8);
RESET client_min_messages;
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
INSERT INTO dw3 VALUES (1);
DROP TABLE dw3;
\set VERBOSITY terse
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_running;
SELECT dataeng.cdc_wal_sync();

-- 5. a transaction that locked the table first (as migrations do): the
-- worker waits for that lock, so the DROP cannot wait for it; said, and
-- the DROP goes on
SET client_min_messages = warning;
CREATE TABLE dw4 (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dw4', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO dw_slow (id) VALUES (6);
INSERT INTO dw4 VALUES (1);
\set VERBOSITY default
BEGIN;
LOCK TABLE dw4 IN ACCESS EXCLUSIVE MODE;
DROP TABLE dw4;
COMMIT;
\set VERBOSITY terse
SELECT dataeng.cdc_wal_sync();

-- 6. a table captured by its trigger, or not captured, does not wait
CREATE TABLE dwt (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('dwt');
INSERT INTO dw_slow (id) VALUES (5);
INSERT INTO dwt VALUES (1);
SELECT clock_timestamp() AS t0 \gset
DROP TABLE dwt;
SELECT clock_timestamp() - :'t0' < interval '0.5 s' AS no_wait;
SELECT dataeng.cdc_wal_sync();

-- 7. a table dropped with an object it depends on: a typed table with its
-- type (DROP TYPE ... CASCADE), a table partitioned by a function's result
-- with the function (DROP FUNCTION ... CASCADE)
SET client_min_messages = warning;
CREATE TYPE dw_ty AS (id int);
CREATE TABLE dw_typed OF dw_ty (PRIMARY KEY (id));
SELECT dataeng.cdc_enable('dw_typed', method => 'wal');
CREATE FUNCTION dw_key(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1';
CREATE TABLE dw_keyed (id int) PARTITION BY RANGE (public.dw_key(id));
CREATE TABLE dw_keyed_1 PARTITION OF dw_keyed FOR VALUES FROM (0) TO (100);
SELECT dataeng.cdc_enable('dw_keyed', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'dw_typed'::regclass::oid AS dwty_oid, 'dw_keyed'::regclass::oid AS dwk_oid \gset
INSERT INTO dw_slow (id) VALUES (8);
INSERT INTO dw_typed VALUES (1);
DROP TYPE dw_ty CASCADE;
INSERT INTO dw_slow (id) VALUES (9);
INSERT INTO dw_keyed VALUES (2);
DROP FUNCTION dw_key(int) CASCADE;
SELECT table_oid = :dwty_oid AS typed, op, pk FROM dataeng_internal.change_log
 WHERE table_oid IN (:dwty_oid, :dwk_oid) ORDER BY change_id;
SELECT dataeng.cdc_wal_sync();

SET client_min_messages = warning;
DROP TABLE dw2, dw_slow, dw_calls;
DROP FUNCTION dw_slow(int);
DROP FUNCTION dw_handler(dataeng.change[]);
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
