-- An on_change handler that drops its own trigger, or another trigger of
-- the table, during a round: the dropped trigger's handler is called for
-- no later change (it used to be called for the rest of the round).  One
-- that pauses its own trigger has the round's later batches set aside.
-- The worker is paused (dataeng.enabled off) while the transactions below
-- commit, so that it decodes them in one round however slow the machine is.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE od (id int PRIMARY KEY);
CREATE TABLE od_calls (trigger_name text, ids text, call_no int GENERATED ALWAYS AS IDENTITY);
SELECT dataeng.cdc_enable('od', method => 'wal');

-- a_self drops itself; b_other drops c_victim; d_pause pauses itself
CREATE FUNCTION od_self(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.od_calls (trigger_name, ids)
    SELECT 'a_self', string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
  PERFORM dataeng.on_change_drop('a_self');
END $$;
CREATE FUNCTION od_other(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.od_calls (trigger_name, ids)
    SELECT 'b_other', string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
  PERFORM dataeng.on_change_drop('c_victim');
END $$;
CREATE FUNCTION od_victim(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.od_calls (trigger_name, ids)
    SELECT 'c_victim', string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
END $$;
CREATE FUNCTION od_pause(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.od_calls (trigger_name, ids)
    SELECT 'd_pause', string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
  PERFORM dataeng.on_change_pause('d_pause');
END $$;
SELECT dataeng.cdc_wal_sync();
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT dataeng.on_change('a_self', 'od', 'od_self(dataeng.change[])');
SELECT dataeng.on_change('b_other', 'od', 'od_other(dataeng.change[])');
SELECT dataeng.on_change('c_victim', 'od', 'od_victim(dataeng.change[])');
SELECT dataeng.on_change('d_pause', 'od', 'od_pause(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();

-- three transactions in one round (committed while the worker is paused)
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_paused;
INSERT INTO od VALUES (1);
INSERT INTO od VALUES (2);
INSERT INTO od VALUES (3);
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT dataeng.cdc_wal_sync('3 min');
-- a_self and b_other once; c_victim never (dropped before its turn in
-- the first transaction); d_pause once, its later batches set aside
SELECT trigger_name, ids FROM od_calls ORDER BY call_no;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes ORDER BY 1;
SELECT trigger_name, (SELECT string_agg(c.pk->>'id', ',') FROM unnest(changes) c) AS ids, error
  FROM dataeng.on_change_dead_letters ORDER BY id;

-- the next round: only the triggers left are called
INSERT INTO od VALUES (4);
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, ids FROM od_calls WHERE ids = '4' ORDER BY call_no;

-- a handler that drops its own trigger and makes it again (same name,
-- table and handler) on its first call: the trigger made again is another
-- one, for the transactions committed after it; the round's later
-- transactions, committed before, are not handed to it
CREATE FUNCTION od_again(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM public.od_calls WHERE trigger_name = 'e_again') THEN
    PERFORM dataeng.on_change_drop('e_again');
    PERFORM dataeng.on_change('e_again', 'public.od', 'public.od_again(dataeng.change[])');
  END IF;
  INSERT INTO public.od_calls (trigger_name, ids)
    SELECT 'e_again', string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('e_again', 'od', 'od_again(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_paused;
INSERT INTO od VALUES (5);
INSERT INTO od VALUES (6);
INSERT INTO od VALUES (7);
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
SELECT dataeng.cdc_wal_sync('3 min');
INSERT INTO od VALUES (8);
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, ids FROM od_calls WHERE trigger_name = 'e_again' ORDER BY call_no;
SELECT trigger_name, handled_lsn >= from_lsn AS handled_after_creation
  FROM dataeng.on_changes WHERE trigger_name = 'e_again';

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
