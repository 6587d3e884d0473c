-- A session that loads dataeng.jobs or dataeng.cdc_tables as a restore does
-- is marked until it ends (dataeng_internal._restore_mark(), a session lock
-- the scheduler and the WAL capture worker look for): meanwhile no job of
-- the database starts.  The mark was taken for the session's role alone,
-- so code of a role that runs in the session of one that may write those
-- tables marked that session: an index expression evaluated by a
-- superuser's ANALYZE, an alert handler called by a superuser's
-- alert_check(), a role reached by SET ROLE, an on_change handler in the
-- WAL capture worker (whose session then held every job of the database
-- back for good).  Now the current role must be able to write them too,
-- outside any security-restricted operation.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE srm_mallory;
CREATE SCHEMA srm AUTHORIZATION srm_mallory;
CREATE VIEW public.srm_marked AS
  SELECT count(*) AS marked FROM pg_locks
   WHERE locktype = 'advisory' AND classid = 1684361811 AND objsubid = 25705
     AND pid = pg_backend_pid();

-- a role that may not write dataeng.jobs, reached by SET ROLE
SET ROLE srm_mallory;
SELECT dataeng_internal._restore_mark() AS marked_by_set_role;
RESET ROLE;
SELECT marked FROM public.srm_marked;

-- its index expression, evaluated as it by a superuser's ANALYZE
\c -
SET client_min_messages = warning;
SET ROLE srm_mallory;
CREATE TABLE srm.t (id int PRIMARY KEY);
CREATE FUNCTION srm.f(int) RETURNS int LANGUAGE plpgsql IMMUTABLE
  AS $$ BEGIN PERFORM dataeng_internal._restore_mark(); RETURN $1; END $$;
CREATE INDEX ON srm.t (srm.f(id));
INSERT INTO srm.t SELECT generate_series(1, 10);
RESET ROLE;
\c -
SET client_min_messages = warning;
ANALYZE srm.t;
SELECT marked FROM public.srm_marked;

-- its alert handler, called by a superuser's alert_check()
\c -
SET client_min_messages = warning;
SET ROLE srm_mallory;
SELECT dataeng.cdc_enable('srm.t');
SELECT dataeng.cdc_consumer_create('srm_c', ARRAY['srm.t'::regclass]);
SELECT dataeng.alert_set('consumer:srm_c', 'lag_changes', '1');
CREATE TABLE srm.calls (marked boolean);
CREATE FUNCTION srm.h(a jsonb) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO srm.calls SELECT dataeng_internal._restore_mark() $$;
SELECT dataeng.alert_handler_add('srm.h(jsonb)') IS NOT NULL AS added;
INSERT INTO srm.t SELECT generate_series(11, 15);
RESET ROLE;
SELECT dataeng.alert_check() IS NOT NULL AS checked;
SELECT marked FROM srm.calls;
SELECT marked FROM public.srm_marked;

SET ROLE srm_mallory;
SELECT dataeng.alert_handler_drop('srm.h(jsonb)');
SELECT dataeng.cdc_consumer_drop('srm_c');
SELECT dataeng.cdc_disable('srm.t');
RESET ROLE;
DROP SCHEMA srm CASCADE;
DROP VIEW public.srm_marked;
DROP ROLE srm_mallory;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
