-- Alert handlers name their function by oid, by name and by the catalog
-- where the oid is valid (no regprocedure column, which pg_upgrade
-- refuses).  A rename or a move of the function is followed by name; a
-- handler recorded in another catalog (pg_upgrade, a restore: here made
-- by hand) is the function of its name here, its pending calls with it; a
-- function dropped is a handler gone, never a function made again under
-- its name in this catalog.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE SCHEMA ohn_a;
CREATE SCHEMA ohn_b;
CREATE TABLE ohn_pages (who text, event text);
CREATE FUNCTION ohn_a.pager(alert jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.ohn_pages VALUES ('pager', alert->>'event') $$;
SELECT dataeng.alert_handler_add('ohn_a.pager(jsonb)');
SELECT v.handler, h.handler_name, h.handler_catalog = dataeng_internal._catalog_id() AS here
  FROM dataeng.alert_handlers v JOIN dataeng_internal.alert_handlers h ON h.handler = v.handler::oid;
-- no column of dataeng's tables is of a type pg_upgrade refuses
SELECT c.relname, a.attname, a.atttypid::regtype
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND c.relkind IN ('r', 'p', 'm', 'i') AND a.attnum > 0
   AND a.atttypid IN ('regproc'::regtype, 'regprocedure'::regtype, 'regoper'::regtype, 'regoperator'::regtype,
                      'regconfig'::regtype, 'regdictionary'::regtype, 'regnamespace'::regtype, 'regcollation'::regtype,
                      'regproc[]'::regtype, 'regprocedure[]'::regtype);

-- renamed, moved, its schema renamed: followed
ALTER FUNCTION ohn_a.pager(jsonb) RENAME TO pager2;
SELECT handler_name FROM dataeng_internal.alert_handlers;
ALTER FUNCTION ohn_a.pager2(jsonb) SET SCHEMA ohn_b;
SELECT handler_name FROM dataeng_internal.alert_handlers;
ALTER SCHEMA ohn_b RENAME TO ohn_c;
SELECT v.handler, h.handler_name FROM dataeng.alert_handlers v, dataeng_internal.alert_handlers h;

-- as after pg_upgrade: the row's oid and catalog are another cluster's;
-- a pending call of it too
CREATE TABLE ohn_t (at timestamptz);
SELECT dataeng.monitor_create('ohn_quiet', 'ohn_t', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT (dataeng.monitor_check('ohn_quiet')).ok;
SELECT who, event FROM ohn_pages;
INSERT INTO dataeng_internal.alert_handler_pending (handler, handler_catalog, alert_id, event, doc)
SELECT 4000000000, 'another/1', alert_id, 'raised', '{"event": "put off"}' FROM dataeng.alerts;
UPDATE dataeng_internal.alert_handlers SET handler = 4000000000, handler_catalog = 'another/1';
-- the view shows the function of its name
SELECT handler FROM dataeng.alert_handlers;
-- the pending call is made, the row takes its oid here
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT who, event FROM ohn_pages ORDER BY event;
SELECT handler = 'ohn_c.pager2(jsonb)'::regprocedure AS same, handler_catalog = dataeng_internal._catalog_id() AS here,
       calls FROM dataeng_internal.alert_handlers;

-- recorded elsewhere under a name no function has: removed by the next alert
UPDATE dataeng_internal.alert_handlers SET handler = 4000000000, handler_catalog = 'another/1',
       handler_name = 'ohn_c.nothing(jsonb)';
SELECT handler FROM dataeng.alert_handlers;
INSERT INTO ohn_t VALUES (now());
SELECT (dataeng.monitor_check('ohn_quiet')).ok;
SELECT count(*) AS handlers FROM dataeng.alert_handlers;

-- dropped, then made again under its name: not the handler
SELECT dataeng.alert_handler_add('ohn_c.pager2(jsonb)');
DROP FUNCTION ohn_c.pager2(jsonb);
CREATE FUNCTION ohn_c.pager2(alert jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.ohn_pages VALUES ('impostor', alert->>'event') $$;
DELETE FROM ohn_t;
SELECT (dataeng.monitor_check('ohn_quiet')).ok;
SELECT who, event FROM ohn_pages WHERE who = 'impostor';
SELECT count(*) AS handlers FROM dataeng.alert_handlers;

-- alert_handler_drop of a handler recorded elsewhere finds it by name
SELECT dataeng.alert_handler_add('ohn_c.pager2(jsonb)');
UPDATE dataeng_internal.alert_handlers SET handler = 4000000000, handler_catalog = 'another/1';
SELECT dataeng.alert_handler_drop('ohn_c.pager2(jsonb)');
SELECT count(*) AS handlers FROM dataeng.alert_handlers;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA ohn_a, ohn_c CASCADE;
DROP TABLE ohn_pages, ohn_t;
