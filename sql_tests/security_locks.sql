-- Locks of dataeng that a plain role could take with pg_advisory_lock()
-- to stop the work of every other role: the WAL capture worker's lock of
-- its database (held, no worker could start there: nothing was captured
-- from the WAL, the slot kept the WAL), and alert_check()'s lock of a
-- rule's alerts (held, the rule's alerts never reached their handlers).
-- Neither is an SQL advisory lock any more.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE EXTENSION dblink;
CREATE ROLE regress_sl_attacker LOGIN;
CREATE ROLE regress_sl_victim LOGIN;
CREATE SCHEMA sl AUTHORIZATION regress_sl_victim;
GRANT USAGE ON SCHEMA sl TO PUBLIC;
CREATE TABLE public.sl_handler_log (who text, event text);
GRANT INSERT ON public.sl_handler_log TO PUBLIC;

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql

-- the attacker's own session
SELECT format('host=%s port=%s dbname=%s user=regress_sl_attacker',
              split_part(current_setting('unix_socket_directories'), ',', 1),
              current_setting('port'), current_database()) AS attacker_db \gset
SELECT dblink_connect('sl_attacker', :'attacker_db');
SELECT * FROM dblink('sl_attacker', 'SELECT current_user, pg_catalog.pg_has_role(''regress_sl_victim'', ''MEMBER'')')
  AS t(who name, member boolean);

-------------------------------------------------------------------------------
-- 1. The WAL capture worker's lock: the key the worker took before
-- (1684361025, the database's oid) as a session advisory lock of the
-- attacker's keeps no worker out of the database
-------------------------------------------------------------------------------
SELECT * FROM dblink('sl_attacker',
  format('SELECT pg_catalog.pg_try_advisory_lock(1684361025, %s)',
         (SELECT d.oid::bigint::int FROM pg_database d WHERE d.datname = current_database())))
  AS t(locked boolean);
SET ROLE regress_sl_victim;
CREATE TABLE sl.orders (id int PRIMARY KEY, amount int);
SELECT dataeng.cdc_enable('sl.orders', method => 'wal');
INSERT INTO sl.orders VALUES (1, 10);
-- the worker runs, and captures the victim's change from the WAL
SELECT dataeng.cdc_wal_sync();
SELECT active_method, capture_error FROM dataeng.cdc_status WHERE table_name = 'sl.orders'::regclass;
UPDATE sl.orders SET amount = 11;
SELECT dataeng.cdc_wal_sync();
SELECT op, new_row->>'amount' AS amount FROM dataeng.changes
 WHERE table_name = 'sl.orders'::regclass ORDER BY change_id;
RESET ROLE;
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$, 60) AS worker_running;
SELECT * FROM dblink('sl_attacker', 'SELECT pg_catalog.pg_advisory_unlock_all()::text') AS t(x text);

-------------------------------------------------------------------------------
-- 2. A rule's alerts: a session advisory lock of the attacker's on the keys
-- alert_check() took for the victim's rule keeps its alert from the
-- victim's handler no more
-------------------------------------------------------------------------------
SET ROLE regress_sl_victim;
CREATE TABLE sl.people (id int, email text);
INSERT INTO sl.people VALUES (1, 'not an address'), (2, 'ann@example.com');
CREATE FUNCTION sl.on_alert(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.sl_handler_log VALUES ('victim', a->>'event') $$;
SELECT dataeng.alert_handler_add('sl.on_alert(jsonb)') IS NOT NULL AS handler_added;
SELECT dataeng.rule_add('sl.people', 'email valid', 'validator', 'email', '{"function": "email"}') > 0 AS rule_added;
SELECT count(*) AS failed FROM dataeng.validate('sl.people') WHERE NOT passed;
RESET ROLE;
-- (the attacker needs to know only the table and the rule's name)
SELECT * FROM dblink('sl_attacker',
  format('SELECT pg_catalog.pg_advisory_lock(pg_catalog.hashtext(%L), pg_catalog.hashtext(%L))::text',
         'dataeng.alert_check rule', 'sl.people'::regclass::oid::text || ':' || 'email valid'))
  AS t(x text);
SELECT raised FROM dataeng.alert_check();
SELECT * FROM public.sl_handler_log;
SELECT rule_name, resolved_at IS NULL AS open FROM dataeng.alerts WHERE table_name = 'sl.people'::regclass;
SELECT * FROM dblink('sl_attacker', 'SELECT pg_catalog.pg_advisory_unlock_all()::text') AS t(x text);

-- clean up
SELECT dblink_disconnect('sl_attacker');
DROP EXTENSION dblink;
DROP SCHEMA sl CASCADE;
DROP TABLE public.sl_handler_log;
DROP FUNCTION wait_for(text, float8);
DROP ROLE regress_sl_attacker, regress_sl_victim;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
