-- Every action of the public API refuses a NULL argument with 22004
-- (null_value_not_allowed), naming the argument: no action is STRICT, so
-- none does nothing and returns NULL silently.  What stays STRICT is
-- pure: validators, normalizers, parsers (NULL in, NULL out).
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;

-- Each call, its SQLSTATE and message (no call does anything).
DO $$
DECLARE
  c text;
  st text;
  msg text;
BEGIN
  FOREACH c IN ARRAY ARRAY[
    'dataeng.fact_refresh(NULL)',
    'dataeng.fact_rebuild(NULL)',
    'dataeng.fact_drop(NULL)',
    'dataeng.dimension_refresh(NULL)',
    'dataeng.dimension_drop(NULL)',
    'dataeng.cdc_disable(NULL)',
    'dataeng.cdc_consumer_drop(NULL)',
    'dataeng.cdc_poll(NULL)',
    'dataeng.cdc_poll(''c'', NULL)',
    'dataeng.cdc_poll(''c'', 10, NULL)',
    'dataeng.cdc_ack(NULL)',
    'dataeng.cdc_ack(NULL, 1::bigint)',
    'dataeng.on_change_drop(NULL)',
    'dataeng.on_change_pause(NULL)',
    'dataeng.on_change_resume(NULL)',
    'dataeng.on_change_dead_letter_delete(NULL)',
    'dataeng.unschedule(NULL)',
    'dataeng.job_pause(NULL)',
    'dataeng.job_resume(NULL)',
    'dataeng.job_run_now(NULL)',
    'dataeng.dedupe_undo(NULL)',
    'dataeng.dedupe_undo(NULL, ''{1}'')',
    'dataeng.dedupe_undo_clusters(NULL)',
    'dataeng.dedupe_forget(NULL)',
    'dataeng.rule_drop(NULL, ''r'')',
    'dataeng.rule_drop(''pg_class'', NULL)',
    'dataeng.guard_disable(NULL)',
    'dataeng.alert_handler_drop(NULL)',
    'dataeng.monitor_drop(NULL)',
    'dataeng.monitor_check(NULL)',
    'dataeng.require_preload(NULL)']
  LOOP
    BEGIN
      EXECUTE 'SELECT ' || c;
      RAISE NOTICE '%: no error', c;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
      RAISE NOTICE '%: % %', c, st, msg;
    END;
  END LOOP;
END;
$$;

-- A NULL position has a meaning: the max(change_id) of an empty poll,
-- nothing to acknowledge.  The consumer is still required.
CREATE TABLE nt (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('nt');
SELECT dataeng.cdc_consumer_create('nc', ARRAY['nt'::regclass]);
SELECT dataeng.cdc_ack('nc', max(change_id)) FROM dataeng.cdc_poll('nc');
SELECT dataeng.cdc_ack('nc', NULL::dataeng.cdc_position);
SELECT dataeng.cdc_ack(NULL, max(change_id)) FROM dataeng.cdc_poll('nc');
INSERT INTO nt VALUES (1);
SELECT count(*) FROM dataeng.cdc_poll('nc');
SELECT dataeng.cdc_ack('nc', NULL::bigint);
-- still pending: nothing was acknowledged
SELECT count(*) FROM dataeng.cdc_poll('nc');

-- The error in full (detail and hint), from C and from PL/pgSQL.
SELECT dataeng.monitor_check(NULL);
SELECT dataeng.fact_refresh(NULL);

-- dedupe's keep, as its other arguments (it was 22023, "unknown keep
-- rule NULL")
CREATE TABLE nk (id int PRIMARY KEY, a text);
SELECT * FROM dataeng.dedupe('nk', '{a}', keep => NULL);

-- An array of column names with a NULL element is refused with 22004,
-- naming the argument and the element (find_duplicates and dedupe said
-- the array "lists a column twice").
CREATE TABLE ne (id int PRIMARY KEY, a text, b text, at timestamptz);
DO $$
DECLARE
  c text;
  st text;
  msg text;
  det text;
BEGIN
  FOREACH c IN ARRAY ARRAY[
    'dataeng.find_duplicates(''ne'', ARRAY[''a'', NULL])',
    'dataeng.find_duplicates(''ne'', ARRAY[NULL, ''a'', ''b''])',
    'dataeng.dedupe(''ne'', ARRAY[''a'', NULL])',
    'dataeng.cdc_enable(''ne'', columns => ARRAY[''a'', NULL])',
    'dataeng.cdc_enable(''ne'', exclude_columns => ARRAY[''a'', NULL])',
    'dataeng.dimension_create(''ned'', ''ne'', ''id'', ARRAY[''a'', NULL])',
    'dataeng.fact_create(''nef'', ''ne'', ''at'', ''day'', ARRAY[''a'', NULL], ''{count(*)}'', schedule => NULL)',
    'dataeng.fact_create(''nef'', ''ne'', ''at'', ''day'', ''{}'', ARRAY[''count(*)'', NULL], schedule => NULL)']
  LOOP
    BEGIN
      EXECUTE 'SELECT ' || c;
      RAISE NOTICE '%: no error', c;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL;
      RAISE NOTICE '%: % % (%)', c, st, msg, det;
    END;
  END LOOP;
END;
$$;
-- in full
SELECT dataeng.find_duplicates('ne', ARRAY['a', NULL]);
SELECT dataeng.cdc_enable('ne', exclude_columns => ARRAY[NULL, 'b']);

-- No public VOLATILE function of the API is STRICT any more; the STRICT
-- ones are the pure ones.
SELECT p.oid::regprocedure
  FROM pg_proc p
 WHERE p.pronamespace = 'dataeng'::regnamespace AND p.proisstrict AND p.provolatile = 'v'
 ORDER BY 1;

DROP TABLE ne;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
