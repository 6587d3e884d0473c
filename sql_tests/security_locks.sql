-- Locks of dataeng that a plain role could take to stop the work of
-- other roles.  With pg_advisory_lock(): the WAL capture worker's lock of
-- its database (held, no worker could start there: nothing was captured
-- from the WAL, the slot kept the WAL), and alert_check()'s lock of a
-- rule's alerts (held, the rule's alerts never reached their handlers);
-- neither is an SQL advisory lock any more.  With
-- dataeng_internal._cdc_reader_lock(): SHARE UPDATE EXCLUSIVE on a captured
-- table whose changes the role may not read.
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
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'running'$$) AS worker_running;
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

-------------------------------------------------------------------------------
-- 3. The lock a reader's creation takes on a captured table
-- (_cdc_reader_lock: SHARE UPDATE EXCLUSIVE until the end of the
-- transaction, which holds off VACUUM, also the one against wraparound)
-- is taken with SELECT alone only for a role that may read every change
-- of the table: not for one that row-level security limits there, nor
-- for one without USAGE on its schema (naming the table by its oid)
-------------------------------------------------------------------------------
-- (the lock the call leaves, or why it was refused)
CREATE FUNCTION public.sl_reader_lock(t oid) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng_internal._cdc_reader_lock(t::regclass, false);
  RETURN coalesce((SELECT string_agg(l.mode, ', ') FROM pg_locks l
                    WHERE l.pid = pg_backend_pid() AND l.relation = t
                      AND l.mode = 'ShareUpdateExclusiveLock'), 'no lock');
EXCEPTION WHEN insufficient_privilege THEN
  RETURN 'refused: ' || SQLERRM;
END;
$$;
CREATE SCHEMA sl_hidden AUTHORIZATION regress_sl_victim;
SET ROLE regress_sl_victim;
CREATE TABLE sl.accounts (id int PRIMARY KEY, tenant name);
SELECT dataeng.cdc_enable('sl.accounts');
ALTER TABLE sl.accounts ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON sl.accounts FOR SELECT USING (tenant = current_user);
CREATE TABLE sl_hidden.ledger (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('sl_hidden.ledger');
GRANT SELECT ON sl.accounts, sl_hidden.ledger, sl.orders TO regress_sl_attacker;
RESET ROLE;
SELECT 'sl.accounts'::regclass::oid AS accounts_oid, 'sl_hidden.ledger'::regclass::oid AS ledger_oid,
       'sl.orders'::regclass::oid AS orders_oid \gset
SET ROLE regress_sl_attacker;
BEGIN;
SELECT public.sl_reader_lock(:accounts_oid) AS rls_limited;
SELECT public.sl_reader_lock(:ledger_oid) AS no_usage;
-- a role that may read every change of the table still takes it
SELECT public.sl_reader_lock(:orders_oid) AS may_read;
ROLLBACK;
RESET ROLE;

-- clean up
SELECT dblink_disconnect('sl_attacker');
DROP EXTENSION dblink;
DROP SCHEMA sl, sl_hidden CASCADE;
DROP FUNCTION public.sl_reader_lock(oid);
DROP TABLE public.sl_handler_log;
DROP FUNCTION wait_for(text, float8);
DROP ROLE regress_sl_attacker, regress_sl_victim;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
