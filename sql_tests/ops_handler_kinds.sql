-- alert_handler_add refuses alert kinds that do not exist and an empty
-- list: both were accepted, and the handler was never called for them
-- (a misspelt kind, a pager that never rang).
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;
CREATE TABLE ohk_pages (alert jsonb);
CREATE FUNCTION ohk_pager(alert jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.ohk_pages VALUES (alert) $$;
SELECT dataeng.alert_handler_add('ohk_pager(jsonb)', kinds => '{job_failed,job_fail}');
SELECT dataeng.alert_handler_add('ohk_pager(jsonb)', kinds => '{}');
SELECT dataeng.alert_handler_add('ohk_pager(jsonb)', kinds => ARRAY['range', NULL]);
SELECT count(*) AS handlers FROM dataeng.alert_handlers;
-- every kind there is, a rule's included
SELECT dataeng.alert_handler_add('ohk_pager(jsonb)', kinds => '{job_failed,job_timed_out,consumer_lag,consumer_expired,consumer_failing,fact_lag,dimension_lag,source_dropped,monitor_silence,monitor_volume,on_change_failed,on_change_stuck,capture_stopped,wal_capture_failing,slot_lag,not_null,unique,accepted_values,range,regex,length,validator,expression,foreign_key,row_count,freshness,volume_change}');
SELECT dataeng.alert_handler_add('ohk_pager(jsonb)', kinds => '{range}');
CREATE TABLE ohk (id int, n int);
INSERT INTO ohk VALUES (1, -1);
SELECT dataeng.rule_add('ohk', 'positive', 'range', 'n', '{"min": 0}');
SELECT rule_name, failed FROM dataeng.validate('ohk');
SELECT * FROM dataeng.alert_check();
SELECT alert->>'event' AS event, alert->>'kind' AS kind FROM ohk_pages;
SELECT handler, kinds FROM dataeng.alert_handlers;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
