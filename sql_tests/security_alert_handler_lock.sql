-- An alert handler's row is written by whatever sends an alert to it
-- (its calls, its failures: alert_check(), maintain(), the maintenance
-- worker).  A role holding the row of its own handler (alert_handler_add()
-- or alert_handler_drop() of it in a transaction left open) made each of
-- them wait for that transaction as long as it lasted: no alert of any
-- role was checked or sent, nor the change log purged, meanwhile.  Such a
-- handler is now not called for that alert, and the others go on.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
CREATE ROLE sah_mallory;
CREATE SCHEMA sah AUTHORIZATION sah_mallory;
CREATE TABLE public.sah_log (event text, kind text, object text);
GRANT INSERT ON public.sah_log TO PUBLIC;
SET ROLE sah_mallory;
CREATE TABLE sah.t (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('sah.t');
SELECT dataeng.cdc_consumer_create('sah_c', ARRAY['sah.t'::regclass]);
SELECT dataeng.alert_set('consumer:sah_c', 'lag_changes', '1');
INSERT INTO sah.t SELECT generate_series(1, 5);
CREATE FUNCTION sah.h(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.sah_log VALUES (a->>'event', a->>'kind', a->>'object') $$;
SELECT dataeng.alert_handler_add('sah.h(jsonb)') IS NOT NULL AS added;
-- the row of its handler held by a transaction left open (prepared here)
BEGIN;
SELECT dataeng.alert_handler_add('sah.h(jsonb)', kinds => '{consumer_lag}') IS NOT NULL AS added;
PREPARE TRANSACTION 'sah_hold';
RESET ROLE;

-- alert_check() raises the alert and goes on without that handler
SET lock_timeout = '10s';
SELECT dataeng.alert_check() IS NOT NULL AS checked;
RESET lock_timeout;
SELECT kind, object, resolved_at IS NULL AS open FROM dataeng.alerts ORDER BY alert_id;
SELECT * FROM public.sah_log;
COMMIT PREPARED 'sah_hold';

-- once the row is free, the handler gets the alerts again
SET ROLE sah_mallory;
SELECT dataeng.cdc_consumer_drop('sah_c');
RESET ROLE;
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT kind, object, resolved_at IS NULL AS open FROM dataeng.alerts ORDER BY alert_id;
SELECT * FROM public.sah_log;
SELECT handler, kinds, calls, failures FROM dataeng.alert_handlers;

SET ROLE sah_mallory;
SELECT dataeng.alert_handler_drop('sah.h(jsonb)');
RESET ROLE;
DROP SCHEMA sah CASCADE;
DROP TABLE public.sah_log;
DROP ROLE sah_mallory;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
