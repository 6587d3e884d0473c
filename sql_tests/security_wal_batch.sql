-- An on_change handler gets a source transaction's changes as one array,
-- which the database's one WAL capture worker holds in memory.  A role
-- owning a table captured from the WAL with an on_change trigger could
-- write one transaction of large rows: the worker took gigabytes, and
-- past 1 GB the array failed every round (array size exceeds the maximum
-- allowed): the worker ended, started again, failed on the same
-- transaction, and no table of the database, every other role's too, was
-- captured any more.  Past dataeng.on_change_max_batch the handler is not
-- called with the changes: the batch goes to dataeng.dead_letters without
-- them (54000), and capture goes on.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
ALTER SYSTEM SET dataeng.on_change_max_batch = '64kB';
ALTER SYSTEM SET dataeng.on_change_retries = 0;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE ROLE swb_victim;
CREATE ROLE swb_mallory;
CREATE SCHEMA swb_v AUTHORIZATION swb_victim;
CREATE SCHEMA swb_m AUTHORIZATION swb_mallory;
CREATE TABLE public.swb_seen (who text, n int);
GRANT INSERT ON public.swb_seen TO PUBLIC;

-- the victim's table, captured from the WAL, with its own handler
SET ROLE swb_victim;
CREATE TABLE swb_v.orders (id int PRIMARY KEY, amount int);
SELECT dataeng.cdc_enable('swb_v.orders', method => 'wal');
CREATE FUNCTION swb_v.sink(c dataeng.change[]) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.swb_seen VALUES ('victim', cardinality(c)) $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET ROLE swb_victim;
SELECT dataeng.on_change('swb_victim_h', 'swb_v.orders', 'swb_v.sink(dataeng.change[])');

-- the attacker's
SET ROLE swb_mallory;
CREATE TABLE swb_m.big (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('swb_m.big', method => 'wal');
CREATE FUNCTION swb_m.sink(c dataeng.change[]) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.swb_seen VALUES ('mallory', cardinality(c)) $$;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SET ROLE swb_mallory;
SELECT dataeng.on_change('swb_mallory_h', 'swb_m.big', 'swb_m.sink(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();

-- a small transaction of each: both handlers get it
INSERT INTO swb_m.big VALUES (1, 'small');
SET ROLE swb_victim;
INSERT INTO swb_v.orders VALUES (1, 10);
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;

-- one transaction of the attacker's whose changes take more than 64 kB
SET ROLE swb_mallory;
INSERT INTO swb_m.big SELECT g, repeat('x', 2000) FROM generate_series(2, 101) g;
SET ROLE swb_victim;
INSERT INTO swb_v.orders VALUES (2, 20);
RESET ROLE;
-- capture goes on: every change is in the change log, the victim's too
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT table_name, count(*) FROM dataeng.changes GROUP BY 1 ORDER BY 1;
-- the victim's handler got its changes; the attacker's was not called with
-- the large transaction
SELECT who, n FROM public.swb_seen ORDER BY who, n;
-- its batch is a dead letter without its changes, saying why
SELECT trigger_name, cardinality(changes) AS changes, sqlstate, attempts,
       error LIKE 'the changes of the transaction of commit % take more than dataeng.on_change_max_batch (64 kB)' AS error_says
  FROM dataeng.dead_letters ORDER BY id;
SELECT detail LIKE 'on_change trigger "swb_mallory_h" gets a transaction''s changes as one array, %' AS detail_says, hint
  FROM dataeng.dead_letters;

-- a trigger that pauses on errors pauses there; resumed, it goes on after
-- the batch it could not be given (which stays among the dead letters)
SET ROLE swb_mallory;
SELECT dataeng.on_change_drop('swb_mallory_h');
SELECT dataeng.on_change('swb_mallory_p', 'swb_m.big', 'swb_m.sink(dataeng.change[])', on_error => 'pause');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SET ROLE swb_mallory;
INSERT INTO swb_m.big SELECT g, repeat('y', 2000) FROM generate_series(102, 201) g;
INSERT INTO swb_m.big VALUES (202, 'after');
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes ORDER BY 1;
SELECT trigger_name, cardinality(changes) AS changes, sqlstate FROM dataeng.dead_letters ORDER BY id;
SET ROLE swb_mallory;
SELECT dataeng.on_change_resume('swb_mallory_p');
RESET ROLE;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes ORDER BY 1;
SELECT who, n FROM public.swb_seen ORDER BY who, n;
SELECT trigger_name, cardinality(changes) AS changes, sqlstate FROM dataeng.dead_letters ORDER BY id;

SET ROLE swb_victim;
SELECT dataeng.on_change_drop('swb_victim_h');
SET ROLE swb_mallory;
SELECT dataeng.on_change_drop('swb_mallory_p');
RESET ROLE;
ALTER SYSTEM RESET dataeng.on_change_max_batch;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP SCHEMA swb_v CASCADE;
DROP SCHEMA swb_m CASCADE;
DROP TABLE public.swb_seen;
DROP ROLE swb_victim;
DROP ROLE swb_mallory;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
