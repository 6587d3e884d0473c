-- A consumer whose polls fail (a table it reads was dropped that its owner
-- could not read at the DROP) is failing in pipeline_status and raises the
-- alert consumer_failing, once, resolved once the consumer is dropped.
-- Before, it said failing and raised no alert.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE regress_ocf_reader;
CREATE TABLE ocf_gone (id int PRIMARY KEY);
CREATE TABLE ocf_kept (id int PRIMARY KEY);
GRANT SELECT ON ocf_gone, ocf_kept TO regress_ocf_reader;
SELECT dataeng.cdc_enable('ocf_gone') IS NOT NULL AS enabled;
SELECT dataeng.cdc_enable('ocf_kept') IS NOT NULL AS enabled;
-- a handler may ask for that kind (it was an unknown alert kind): a
-- superuser's, and the consumer owner's.  A handler runs with search_path
-- pinned to pg_catalog, pg_temp: ocf_pager names its table in full;
-- ocf_pager_bare, as this test's handler did, does not, and failed at
-- every alert with a bare 'relation "ocf_sent" does not exist' recorded
-- (it looked as if it was never called): the error now says why.
CREATE TABLE ocf_sent (doc jsonb);
CREATE FUNCTION ocf_pager(a jsonb) RETURNS void LANGUAGE sql AS $$ INSERT INTO public.ocf_sent VALUES (a) $$;
CREATE FUNCTION ocf_pager_bare(a jsonb) RETURNS void LANGUAGE sql AS $$ INSERT INTO ocf_sent VALUES (a) $$;
SELECT dataeng.alert_handler_add('ocf_pager(jsonb)', kinds => '{consumer_failing}');
SELECT dataeng.alert_handler_add('ocf_pager_bare(jsonb)', kinds => '{consumer_failing}');
CREATE SCHEMA ocf_s AUTHORIZATION regress_ocf_reader;
SET ROLE regress_ocf_reader;
CREATE TABLE ocf_s.sent (doc jsonb);
CREATE FUNCTION ocf_s.pager(a jsonb) RETURNS void LANGUAGE sql AS $$ INSERT INTO ocf_s.sent VALUES (a) $$;
SELECT dataeng.alert_handler_add('ocf_s.pager(jsonb)', kinds => '{consumer_failing}');
SELECT dataeng.cdc_consumer_create('ocf_copy', '{ocf_gone,ocf_kept}');
RESET ROLE;
INSERT INTO ocf_gone VALUES (1);
REVOKE SELECT ON ocf_gone FROM regress_ocf_reader;
DROP TABLE ocf_gone;
RESET client_min_messages;
SELECT * FROM dataeng.alert_check();
SELECT name, state, reason FROM dataeng.pipeline_status WHERE kind = 'consumer';
SELECT kind, object, severity, message FROM dataeng.alerts_open WHERE object = 'ocf_copy';
-- each handler was called once with it
SELECT doc->>'event' AS event, doc->>'kind' AS kind, doc->>'object' AS object FROM ocf_sent;
SELECT doc->>'event' AS event, doc->>'kind' AS kind, doc->>'object' AS object FROM ocf_s.sent;
SELECT handler, owner, calls, failures, regexp_replace(last_error, '^alert [0-9]+', 'alert N') AS last_error
  FROM dataeng.alert_handlers ORDER BY handler::text;
-- found again: the same alert, not a second one
SELECT * FROM dataeng.alert_check();
SELECT count(*) AS alerts, max(seen_count) AS seen FROM dataeng.alerts WHERE object = 'ocf_copy';
-- its owner sees it
SET ROLE regress_ocf_reader;
SELECT kind, object FROM dataeng.alerts_open WHERE object = 'ocf_copy';
RESET ROLE;
-- alerts off for it: resolved at the next check, the status unchanged
SET ROLE regress_ocf_reader;
SELECT dataeng.alert_set('consumer:ocf_copy', 'alerts', 'off');
RESET ROLE;
SELECT * FROM dataeng.alert_check();
SELECT count(*) AS open FROM dataeng.alerts_open WHERE object = 'ocf_copy';
SET ROLE regress_ocf_reader;
SELECT dataeng.alert_set('consumer:ocf_copy', 'alerts', NULL);
RESET ROLE;
SELECT * FROM dataeng.alert_check();
SELECT count(*) AS open FROM dataeng.alerts_open WHERE object = 'ocf_copy';
-- dropped: resolved
SET ROLE regress_ocf_reader;
SELECT dataeng.cdc_consumer_drop('ocf_copy');
RESET ROLE;
SELECT * FROM dataeng.alert_check();
SELECT count(*) AS open FROM dataeng.alerts_open WHERE object = 'ocf_copy';
-- (raised, resolved by alerts off, raised again, resolved by the drop)
SELECT doc->>'event' AS event, doc->>'kind' AS kind FROM ocf_sent;
SELECT doc->>'event' AS event, doc->>'kind' AS kind FROM ocf_s.sent;
SELECT handler, calls, failures FROM dataeng.alert_handlers ORDER BY handler::text;
SELECT dataeng.alert_handler_drop('ocf_pager(jsonb)');
SELECT dataeng.alert_handler_drop('ocf_pager_bare(jsonb)');
SELECT dataeng.alert_handler_drop('ocf_s.pager(jsonb)');
DROP SCHEMA ocf_s CASCADE;
DROP TABLE ocf_kept, ocf_sent;
DROP FUNCTION ocf_pager(jsonb), ocf_pager_bare(jsonb);
DROP ROLE regress_ocf_reader;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
