-- An alert handler runs as its function's owner in the session that sends
-- the alert, which may be any role's: the one whose monitor found its
-- table silent (its monitor_check(), its monitor's job), or whose table
-- was dropped.  A handler that sets its own search_path leaving pg_temp
-- out has PostgreSQL search pg_temp first: a temporary table that the
-- sending role made under the name of one of the handler's own tables
-- got what the handler wrote, as the handler's owner (or gave it what it
-- read).  The sender needs no right on anything of the handler's owner:
-- only to let it read the monitored table.  Such a call is now put off
-- while the session holds another role's temporary objects, and made by
-- the next alert_check() in a session without them (the maintenance
-- worker's); temporary objects of the handler's owner (or of a role with
-- its privileges) delay nothing.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
CREATE ROLE saht_victim;
CREATE ROLE saht_mallory;
CREATE SCHEMA saht_v AUTHORIZATION saht_victim;
CREATE SCHEMA saht_m AUTHORIZATION saht_mallory;

-- the victim's handler: its own search_path, its own log table
SET ROLE saht_victim;
CREATE TABLE saht_v.seen (who name, kind text, event text);
CREATE FUNCTION saht_v.h(a jsonb) RETURNS void LANGUAGE plpgsql SET search_path = saht_v AS $$
BEGIN
  INSERT INTO seen VALUES (current_user, a->>'kind', a->>'event');
END $$;
SELECT dataeng.alert_handler_add('saht_v.h(jsonb)');
RESET ROLE;

-- mallory: a table the victim may read, a monitor of it, a handler of its
-- own, and a temporary table named as the victim's log, open to all
SET ROLE saht_mallory;
CREATE TABLE saht_m.t (at timestamptz);
GRANT USAGE ON SCHEMA saht_m TO saht_victim;
GRANT SELECT ON saht_m.t TO saht_victim;
CREATE TABLE saht_m.own (kind text, event text);
CREATE FUNCTION saht_m.h(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO saht_m.own VALUES (a->>'kind', a->>'event') $$;
SELECT dataeng.alert_handler_add('saht_m.h(jsonb)');
CREATE TEMP TABLE seen (who name, kind text, event text);
GRANT ALL ON seen TO PUBLIC;
SELECT dataeng.monitor_create('saht_mon', 'saht_m.t', 'at', max_silence => '1 hour');
SELECT (dataeng.monitor_check('saht_mon')).ok;
-- the victim's handler wrote nothing into mallory's table (it did: one
-- row, written as saht_victim); mallory's own handler was called at once
SELECT who, kind, event FROM pg_temp.seen;
SELECT kind, event FROM saht_m.own;
RESET ROLE;
SELECT who, kind, event FROM saht_v.seen;
-- the victim's call waits
SELECT h.handler, p.event, p.doc->>'kind' AS kind
  FROM dataeng_internal.alert_handler_pending p JOIN dataeng.alert_handlers h USING (handler);
SELECT handler, calls, failures FROM dataeng.alert_handlers ORDER BY handler::text;

-- alert_check() in this session, which still holds mallory's table, puts
-- it off again; once the session holds none, alert_check() makes it,
-- into the victim's own table, as the victim
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT count(*) AS pending FROM dataeng_internal.alert_handler_pending;
DISCARD TEMP;
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT count(*) AS pending FROM dataeng_internal.alert_handler_pending;
SELECT who, kind, event FROM saht_v.seen;
SELECT handler, calls, failures FROM dataeng.alert_handlers ORDER BY handler::text;

-- the victim's own temporary objects delay nothing: its handler is called
-- at once in its session, with the alert of its own monitor; mallory's
-- handler (mallory may read the table), for which the victim's table is
-- another role's, waits
SET ROLE saht_victim;
CREATE TABLE saht_v.t (at timestamptz);
GRANT USAGE ON SCHEMA saht_v TO saht_mallory;
GRANT SELECT ON saht_v.t TO saht_mallory;
CREATE TEMP TABLE mine (x int);
SELECT dataeng.monitor_create('saht_vmon', 'saht_v.t', 'at', min_rows => 1);
SELECT (dataeng.monitor_check('saht_vmon')).ok;
RESET ROLE;
SELECT who, kind, event FROM saht_v.seen ORDER BY kind, event;
SELECT handler::regprocedure AS handler, event, doc->>'kind' AS kind FROM dataeng_internal.alert_handler_pending ORDER BY id;
DISCARD TEMP;
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT kind, event FROM saht_m.own ORDER BY kind, event;

-- a call put off goes when its handler is dropped
SET ROLE saht_mallory;
CREATE TEMP TABLE other (x int);
SELECT dataeng.monitor_create('saht_mon2', 'saht_m.t', 'at', max_silence => '1 hour');
SELECT (dataeng.monitor_check('saht_mon2')).ok;
RESET ROLE;
SELECT handler::regprocedure AS handler, event FROM dataeng_internal.alert_handler_pending ORDER BY id;
SET ROLE saht_victim;
SELECT dataeng.alert_handler_drop('saht_v.h(jsonb)');
RESET ROLE;
SELECT count(*) AS pending FROM dataeng_internal.alert_handler_pending;
DISCARD TEMP;

SET ROLE saht_victim;
SELECT dataeng.monitor_drop('saht_vmon');
SET ROLE saht_mallory;
SELECT dataeng.monitor_drop('saht_mon');
SELECT dataeng.monitor_drop('saht_mon2');
SELECT dataeng.alert_handler_drop('saht_m.h(jsonb)');
RESET ROLE;
DROP SCHEMA saht_v, saht_m CASCADE;
DROP ROLE saht_victim, saht_mallory;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
