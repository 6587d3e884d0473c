-- An alert handler is called by its oid, not by its name.  Called as
-- schema.name(alert), a function of that name another role created in the
-- schema with more arguments, each with a default (pager(jsonb, int
-- DEFAULT 0)), made every call of the handler fail as ambiguous ("function
-- ... is not unique"): a role with CREATE on the handler's schema silenced
-- another role's pager.  A set-returning function is refused as a handler.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_oho_owner;
CREATE ROLE regress_oho_other;
CREATE SCHEMA oho AUTHORIZATION regress_oho_owner;
GRANT USAGE, CREATE ON SCHEMA oho TO regress_oho_other;
SET ROLE regress_oho_owner;
CREATE TABLE oho.pages (event text, monitor text);
CREATE TABLE oho.t (at timestamptz);
CREATE FUNCTION oho.pager(alert jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO oho.pages VALUES (alert->>'event', alert->>'object') $$;
SELECT dataeng.alert_handler_add('oho.pager(jsonb)');
-- another role adds an overload with a defaulted second argument
SET ROLE regress_oho_other;
CREATE FUNCTION oho.pager(alert jsonb, n int DEFAULT 0) RETURNS void LANGUAGE sql
  AS $$ SELECT NULL::void $$;
SET ROLE regress_oho_owner;
-- the name alone is ambiguous now
SELECT oho.pager('{}'::jsonb);
-- the handler is still called, with each alert
SELECT dataeng.monitor_create('oho_quiet', 'oho.t', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('oho_quiet')).ok;
INSERT INTO oho.t VALUES (now());
SELECT (dataeng.monitor_check('oho_quiet')).ok;
SELECT event, monitor FROM oho.pages ORDER BY event DESC;
SELECT calls, failures, last_error FROM dataeng.alert_handlers;

-- a set-returning function is no handler
CREATE FUNCTION oho.many(alert jsonb) RETURNS SETOF int LANGUAGE sql AS $$ SELECT 1 $$;
SELECT dataeng.alert_handler_add('oho.many(jsonb)');
-- the call by oid checks what it calls: a function of one jsonb argument
-- returning one value, that the current user may execute
SELECT dataeng_internal._alert_handler_invoke('oho.many(jsonb)'::regprocedure, '{}');
SELECT dataeng_internal._alert_handler_invoke('oho.pager(jsonb,int)'::regprocedure, '{}');
SELECT dataeng_internal._alert_handler_invoke(4000000000, '{}');
REVOKE EXECUTE ON FUNCTION oho.pager(jsonb) FROM PUBLIC;
SET ROLE regress_oho_other;
SELECT dataeng_internal._alert_handler_invoke('oho.pager(jsonb)'::regprocedure, '{"event": "x"}');
RESET ROLE;

SELECT dataeng.monitor_drop('oho_quiet');
DROP EXTENSION dataeng;
DROP SCHEMA oho CASCADE;
DROP ROLE regress_oho_owner;
DROP ROLE regress_oho_other;
