-- An on_change handler runs in the database's one WAL capture worker,
-- bounded by dataeng.on_change_timeout.  The timer fires once: a handler
-- that caught the cancel (PL/pgSQL's EXCEPTION WHEN query_canceled, in a
-- loop) went on for ever, and the worker with it: no table of the
-- database, of any role, was captured any more, and after a restart the
-- worker met the same batch again.  Past the deadline, every subtransaction
-- rolled back inside the handler asks for the cancel again, which meets the
-- handler at its next statement outside the block that caught it: the
-- handler fails (57014, statement timeout), its batch goes to
-- dataeng.dead_letters, and capture goes on.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
ALTER SYSTEM SET dataeng.on_change_timeout = '1s';
ALTER SYSTEM SET dataeng.on_change_retries = 0;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE ROLE swt_victim;
CREATE ROLE swt_mallory;
CREATE SCHEMA swt_v AUTHORIZATION swt_victim;
CREATE SCHEMA swt_m AUTHORIZATION swt_mallory;

SET ROLE swt_victim;
CREATE TABLE swt_v.orders (id int PRIMARY KEY, amount int);
SELECT dataeng.cdc_enable('swt_v.orders', method => 'wal');
SET ROLE swt_mallory;
CREATE TABLE swt_m.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('swt_m.t', method => 'wal');
-- a handler that will not stop: it catches every cancel, the timer's too
CREATE FUNCTION swt_m.stubborn(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  LOOP
    BEGIN
      PERFORM pg_sleep(0.2);
    EXCEPTION WHEN query_canceled THEN
      NULL;
    END;
  END LOOP;
END $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE swt_mallory;
SELECT dataeng.on_change('swt_stubborn', 'swt_m.t', 'swt_m.stubborn(dataeng.change[])');
INSERT INTO swt_m.t VALUES (1);
SET ROLE swt_victim;
INSERT INTO swt_v.orders VALUES (1, 10);
RESET ROLE;
-- capture goes on past the handler
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT table_name, op, pk FROM dataeng.changes ORDER BY change_id;
-- the handler failed on its timeout; its batch is a dead letter
SELECT trigger_name, cardinality(changes) AS changes, sqlstate, error, attempts
  FROM dataeng.dead_letters ORDER BY id;
-- and capture goes on for later transactions too
SET ROLE swt_victim;
INSERT INTO swt_v.orders VALUES (2, 20);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT count(*) AS victim_changes FROM dataeng.changes WHERE table_name = 'swt_v.orders'::regclass;

SET ROLE swt_mallory;
SELECT dataeng.on_change_drop('swt_stubborn');
RESET ROLE;
ALTER SYSTEM RESET dataeng.on_change_timeout;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP SCHEMA swt_v CASCADE;
DROP SCHEMA swt_m CASCADE;
DROP ROLE swt_victim;
DROP ROLE swt_mallory;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
