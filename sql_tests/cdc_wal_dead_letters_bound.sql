-- dataeng.on_change_max_dead_letters bounds the dead letters of an
-- on_change trigger: past it, its batches (set aside while it is paused,
-- or failed) are counted in one dead letter without their changes (which
-- are in the change log), with a WARNING, pipeline_status failing and an
-- on_change_failed alert that say so, until that dead letter is deleted.
-- Before, every batch was kept with its changes, however many: a paused
-- trigger's table written without end grew dataeng.dead_letters until
-- dead_letters_keep trimmed it (never, with maintenance off).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\pset null '(null)'
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_max_dead_letters = 3;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE TABLE dlb (id int PRIMARY KEY);
CREATE TABLE dlb_calls (call_no int GENERATED ALWAYS AS IDENTITY, ids text);
SELECT dataeng.cdc_enable('dlb', method => 'wal');
CREATE FUNCTION dlb_record(c dataeng.change[]) RETURNS void LANGUAGE sql AS $$
  INSERT INTO public.dlb_calls (ids) SELECT string_agg(x.pk->>'id', ',' ORDER BY x.change_id) FROM unnest(c) x $$;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.on_change('dlb_trigger', 'dlb', 'dlb_record(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change_pause('dlb_trigger');
SELECT dataeng.cdc_wal_sync();

-- six transactions while paused: three kept, three counted
INSERT INTO dlb VALUES (1);
INSERT INTO dlb VALUES (2);
INSERT INTO dlb VALUES (3);
INSERT INTO dlb VALUES (4);
INSERT INTO dlb VALUES (5);
INSERT INTO dlb VALUES (6);
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT (SELECT string_agg(x.pk->>'id', ',') FROM unnest(d.changes) x) AS ids, d.sqlstate, d.attempts,
       regexp_replace(d.error, '[0-9A-F]+/[0-9A-F]+', 'L', 'g') AS error, d.detail IS NOT NULL AS detail
  FROM dataeng.dead_letters d ORDER BY d.id;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SELECT name, state, regexp_replace(regexp_replace(reason, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}', 'T', 'g'),
                                   '[0-9A-F]+/[0-9A-F]+|dead letter [0-9]+', 'L', 'g') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).raised >= 1 AS raised;
SELECT kind, object FROM dataeng.alerts_open WHERE kind = 'on_change_failed';
-- more: counted in the same dead letter, nothing more kept
INSERT INTO dlb VALUES (7);
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT count(*) AS dead_letters, max(attempts) FILTER (WHERE cardinality(changes) = 0) AS not_kept
  FROM dataeng.dead_letters;

-- resumed: the kept batches go to the handler; the counted ones stay
-- counted (their changes are in the change log)
SELECT dataeng.on_change_resume('dlb_trigger');
SELECT wait_for($$SELECT NOT EXISTS (SELECT 1 FROM dataeng.on_changes WHERE resume_requested OR paused_at IS NOT NULL)$$)
  AS resumed;
INSERT INTO dlb VALUES (8);
SELECT dataeng.cdc_wal_sync('3 min') AS synced;
SELECT string_agg(ids, ' ' ORDER BY call_no) AS ids FROM dlb_calls;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';
-- replayed by hand from the change log, the counting dead letter is
-- deleted: the trigger is ok, its alert resolved
SELECT string_agg(c.pk->>'id', ',' ORDER BY c.change_id) AS in_change_log
  FROM dataeng.changes c
 WHERE c.table_name = 'dlb'::regclass
   AND c.pk->>'id' IN ('4', '5', '6', '7');
SELECT dataeng.on_change_dead_letter_delete(id) FROM dataeng.on_change_dead_letters;
SELECT name, state FROM dataeng.pipeline_status WHERE kind = 'on_change';
SELECT (dataeng.alert_check()).resolved >= 1 AS resolved;

SELECT dataeng.on_change_drop('dlb_trigger');
ALTER SYSTEM RESET dataeng.on_change_max_dead_letters;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP TABLE dlb, dlb_calls;
DROP FUNCTION dlb_record(dataeng.change[]);
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
