-- Operations: a fact or dimension whose source table was dropped is
-- failing in pipeline_status, saying so (it said "up to date with its
-- source" while each refresh failed with 42P01); an alert handler is given
-- a rule's alert with its object and message (both were NULL: a rule's
-- alert keeps its table and figures instead, which dataeng.alerts_open
-- spells out).  A fact's or dimension's own consumer is not dropped
-- alone.  Such a fact or dimension raises an alert of its own
-- (source_dropped: none was raised, and none at all with schedule =>
-- NULL, as here), resolved when it is dropped.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

CREATE SCHEMA "Sales Dept";
CREATE TABLE "Sales Dept"."Order Items" (id int PRIMARY KEY, sold_at timestamptz, store text, amount numeric);
INSERT INTO "Sales Dept"."Order Items" VALUES (1, '2026-01-01', 'n', 10), (2, '2026-01-01', 's', 5);
SELECT dataeng.fact_create('oi_daily', '"Sales Dept"."Order Items"', 'sold_at', 'day',
                           '{store}', '{count(*) AS n}', schedule => NULL);
SELECT dataeng.dimension_create('oi_dim', '"Sales Dept"."Order Items"', 'id', '{store}', 2, schedule => NULL);
SELECT dataeng.maintain() IS NOT NULL AS measured;
SELECT kind, name, state, reason FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension') ORDER BY 1, 2;
-- their consumers are theirs: dropped alone, every refresh failed with
-- "consumer ... does not exist" while the status said ok
\set VERBOSITY default
SELECT dataeng.cdc_consumer_drop('fact:oi_daily');
SELECT dataeng.cdc_consumer_drop('dim:oi_dim');
\set VERBOSITY terse
SELECT name FROM dataeng.cdc_consumers ORDER BY 1;
ALTER TABLE "Sales Dept"."Order Items" RENAME TO "Order Lines";
DROP TABLE "Sales Dept"."Order Lines";
SELECT dataeng.maintain() IS NOT NULL AS measured;
SELECT kind, name, state, reason FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension') ORDER BY 1, 2;
SELECT dataeng.fact_refresh('oi_daily');
SELECT dataeng.dimension_refresh('oi_dim');
SELECT kind, object, severity, message, owner = current_user::regrole AS own, resolved_at IS NULL AS open
  FROM dataeng.alerts WHERE kind = 'source_dropped' ORDER BY object;
SELECT dataeng.alert_check();
SELECT count(*) AS raised_again FROM dataeng.alerts WHERE kind = 'source_dropped';
SELECT dataeng.fact_drop('oi_daily'), dataeng.dimension_drop('oi_dim');
SELECT count(*) AS left FROM dataeng.pipeline_status WHERE kind IN ('fact', 'dimension');
SELECT dataeng.alert_check();
SELECT object, resolved_at IS NOT NULL AS resolved FROM dataeng.alerts WHERE kind = 'source_dropped' ORDER BY object;

-- a rule's alert, as a handler gets it
CREATE TABLE "Pay Ments" (id int PRIMARY KEY, v int);
INSERT INTO "Pay Ments" VALUES (1, 1), (2, -1);
CREATE TABLE pages (alert jsonb);
CREATE FUNCTION pager(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.pages VALUES (a) $$;
SELECT dataeng.alert_handler_add('pager(jsonb)');
SELECT dataeng.rule_add('"Pay Ments"', 'positive', 'range', 'v', '{"min": 0}');
SELECT rule_name, failed FROM dataeng.validate('"Pay Ments"');
SELECT dataeng.alert_check();
-- dataeng.alerts_open words it as the handler gets it, schema-qualified
-- whatever the session's search_path (it said "Pay Ments" while public
-- was on the path, the handler public."Pay Ments")
SELECT object, message FROM dataeng.alerts_open;
SET search_path = dataeng, public;
SELECT object, message FROM dataeng.alerts_open;
RESET search_path;
UPDATE "Pay Ments" SET v = 2 WHERE id = 2;
SELECT rule_name, failed FROM dataeng.validate('"Pay Ments"');
SELECT dataeng.alert_check();
SELECT a.alert->>'event' AS event, a.alert->>'kind' AS kind, a.alert->>'object' AS object,
       a.alert->>'message' AS message
  FROM pages a ORDER BY a.alert->>'event' DESC;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA "Sales Dept";
DROP TABLE "Pay Ments", pages;
DROP FUNCTION pager(jsonb);
