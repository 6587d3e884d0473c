-- The user-facing API follows one convention per kind of call:
--  * every drop returns whether it dropped something: false, not an
--    error, for a name that names nothing (cdc_consumer_drop, fact_drop and
--    dimension_drop raised 42704 where the others returned false);
--  * the common mistakes in fact_create and dimension_create (a bad or
--    taken name, a missing column, a NULL argument) are reported as the
--    public function's own error, with SQLSTATE, detail and hint, and no
--    CONTEXT lines of dataeng's internal functions; so are schedule()'s.
\set VERBOSITY default
\set SHOW_CONTEXT errors
CREATE EXTENSION dataeng;
CREATE TABLE ca_src (id int PRIMARY KEY, t timestamptz, v int);

-- drops of nothing: false, each
SELECT dataeng.cdc_consumer_drop('ca_none') AS consumer,
       dataeng.fact_drop('ca_none') AS fact,
       dataeng.dimension_drop('ca_none') AS dimension,
       dataeng.monitor_drop('ca_none') AS monitor,
       dataeng.on_change_drop('ca_none') AS on_change,
       dataeng.unschedule('ca_none') AS job,
       dataeng.rule_drop('ca_src', 'ca_none') AS rule,
       dataeng.guard_disable('ca_src') AS guard,
       dataeng.cdc_disable('ca_src') AS capture;

-- drops of something: true, then false
SELECT dataeng.cdc_enable('ca_src');
SELECT dataeng.cdc_consumer_create('ca_c', ARRAY['ca_src'::regclass]);
SELECT dataeng.cdc_consumer_drop('ca_c') AS dropped, dataeng.cdc_consumer_drop('ca_c') AS again;
SELECT dataeng.fact_create('ca_f', 'ca_src', 't', 'day', '{}', '{sum(v)}', schedule => NULL);
SELECT dataeng.fact_drop('ca_f') AS dropped, dataeng.fact_drop('ca_f') AS again;
SELECT dataeng.dimension_create('ca_d', 'ca_src', 'id', '{v}', schedule => NULL);
SELECT dataeng.dimension_drop('ca_d') AS dropped, dataeng.dimension_drop('ca_d') AS again;

-- another role's fact is none of the caller's: false, and it stays
CREATE ROLE ca_other;
SELECT dataeng.fact_create('ca_f', 'ca_src', 't', 'day', '{}', '{sum(v)}', schedule => NULL);
SET ROLE ca_other;
SELECT dataeng.fact_drop('ca_f') AS other_role;
RESET ROLE;
SELECT count(*) AS still_there FROM dataeng.facts WHERE name = 'ca_f';

-- a NULL name is still refused (22004), as every action refuses it
SELECT dataeng.fact_drop(NULL);
SELECT dataeng.cdc_consumer_drop(NULL);

-- fact_create's and dimension_create's common mistakes: no CONTEXT line
SELECT dataeng.fact_create('bad name!', 'ca_src', 't', 'day', '{}', '{sum(v)}');
SELECT dataeng.fact_create('ca_f', 'ca_src', 't', 'day', '{}', '{sum(v)}');
SELECT dataeng.fact_create('ca_g', 'ca_src', 'nope', 'day', '{}', '{sum(v)}');
SELECT dataeng.fact_create('ca_g', 'ca_src', 'v', 'day', '{}', '{sum(v)}');
SELECT dataeng.fact_create('ca_g', 'ca_src', 't', 'day', '{nope}', '{sum(v)}');
SELECT dataeng.fact_create('ca_g', 'ca_src', 't', 'day', '{}', '{sum(nope)}');
SELECT dataeng.fact_create('ca_g', 'ca_src', NULL, 'day', '{}', '{sum(v)}');
SELECT dataeng.fact_create('ca_g', 'ca_src', 't', 'day', NULL, '{sum(v)}');
SELECT dataeng.dimension_create('', 'ca_src', 'id', '{v}');
SELECT dataeng.dimension_create('ca_e', 'ca_src', 'nope', '{v}');
SELECT dataeng.dimension_create('ca_e', 'ca_src', 'id', NULL);
-- an unknown fact or dimension to rebuild or refresh: no CONTEXT line of
-- the internal lookup that found it (the public function's own line stays)
SELECT dataeng.fact_rebuild('ca_none');
SELECT dataeng.dimension_refresh('ca_none');
-- schedule()'s mistakes: no CONTEXT line of _job_schedule (a bad cron
-- expression showed one); the detail names the field, the hint its syntax;
-- a command that does not parse keeps its LINE and caret
SELECT dataeng.schedule('ca_j', '61 * * * *', 'SELECT 1');
SELECT dataeng.schedule('ca_j', '0 9 * * MON-FRX', 'SELECT 1');
SELECT dataeng.schedule('ca_j', '0 9 * *', 'SELECT 1');
SELECT dataeng.schedule('ca_j', '@daily', 'SELEC 1');
SELECT dataeng.schedule('', '@daily', 'SELECT 1');
-- (the caller's current schema still names the table)
CREATE SCHEMA ca_s;
SET search_path = ca_s, public;
SELECT dataeng.fact_create('ca_h', 'ca_src', 't', 'day', '{}', '{count(*)}', schedule => NULL);
SELECT dataeng.dimension_create('ca_k', 'ca_src', 'id', '{}', schedule => NULL);
RESET search_path;
SELECT "table"::text FROM dataeng.facts WHERE name = 'ca_h'
UNION ALL SELECT "table"::text FROM dataeng.dimensions WHERE name = 'ca_k';
-- (and in a caller's exception block, the error is caught by its condition)
DO $$
BEGIN
  PERFORM dataeng.fact_create('ca_h', 'public.ca_src', 't', 'day', '{}', '{count(*)}');
EXCEPTION WHEN duplicate_object THEN
  RAISE NOTICE 'caught: %', SQLERRM;
END
$$;

SET client_min_messages = warning;
SELECT dataeng.fact_drop('ca_f'), dataeng.fact_drop('ca_h'), dataeng.dimension_drop('ca_k');
DROP SCHEMA ca_s CASCADE;
DROP TABLE ca_src;
DROP ROLE ca_other;
DROP EXTENSION dataeng CASCADE;
