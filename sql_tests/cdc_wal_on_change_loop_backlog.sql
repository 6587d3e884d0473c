-- on_change handlers that feed each other stop at the same depth (16)
-- when their batches wait in the backlog (past their role's budget of a
-- round): the depth is kept with the batch in
-- dataeng_internal.on_change_backlog.  (Before, a batch handed over from
-- the backlog counted from level 1 again: a loop whose batches went
-- through the backlog was never stopped.)  A loop paused and resumed
-- stops again at once.  And a pipeline whose batches go through the
-- backlog is never dead-lettered.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE lb_a (id int PRIMARY KEY, loop int, depth int);
CREATE TABLE lb_calls (loop int, depth int, from_backlog boolean);
SELECT dataeng.cdc_enable('lb_a', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- (the worker reads the setting before the first batch)
ALTER SYSTEM SET dataeng.on_change_role_budget = '10ms';
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
-- a handler writing its own table, slower than its role's budget: after
-- a call, the round's next batches wait in the backlog
CREATE FUNCTION lb_self(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.03);
  INSERT INTO public.lb_calls
    SELECT (c.new_row->>'loop')::int, (c.new_row->>'depth')::int,
           EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog b, unnest(b.changes) bc
                   WHERE bc.change_id = c.change_id)
      FROM unnest(changes) c;
  INSERT INTO public.lb_a
    SELECT (c.new_row->>'id')::int + 1, (c.new_row->>'loop')::int, (c.new_row->>'depth')::int + 1
      FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('lb_self', 'lb_a', 'lb_self(dataeng.change[])', '{I}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

-- two loops at once: each round, one batch is handled and the other waits
INSERT INTO lb_a VALUES (1, 1, 0);
INSERT INTO lb_a VALUES (1001, 2, 0);
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng.dead_letters d WHERE d.trigger_name = 'lb_self'$$, 90) AS dead_letters;
SELECT dataeng.cdc_wal_sync();
SELECT pg_sleep(1);
SELECT dataeng.cdc_wal_sync();
-- each loop: the user's row and 16 levels of the handler's, no more
SELECT loop, count(*) AS rows, max(depth) AS deepest FROM lb_a GROUP BY loop ORDER BY loop;
-- (the batches did go through the backlog)
SELECT count(*) FILTER (WHERE from_backlog) > 10 AS through_backlog FROM lb_calls;
SELECT sqlstate, attempts, changes[1].new_row->>'depth' AS depth,
       regexp_replace(error, '[0-9A-F]+/[0-9A-F]+', 'X/Y') AS error
  FROM dataeng.dead_letters WHERE trigger_name = 'lb_self' ORDER BY changes[1].new_row->>'loop';
SELECT count(*) AS backlog FROM dataeng_internal.on_change_backlog;
SELECT dataeng.on_change_drop('lb_self');

-- a loop paused at its 16th level (on_error => 'pause') and resumed: the
-- handler gets the batch 16 levels deep, once, and the batch it wrote, 17
-- deep, is set aside at once (a resumed batch counted from level 1 again:
-- each resume let the loop go 16 levels further)
CREATE TABLE lb_s (id int PRIMARY KEY, depth int);
CREATE FUNCTION lb_s_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lb_s
    SELECT (c.new_row->>'id')::int + 1, (c.new_row->>'depth')::int + 1 FROM unnest(changes) c;
END $$;
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('lb_s', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change('lb_s_h', 'lb_s', 'lb_s_h(dataeng.change[])', '{I}', on_error => 'pause');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO lb_s VALUES (1, 0);
SELECT wait_for($$SELECT paused_at IS NOT NULL FROM dataeng.on_changes WHERE trigger_name = 'lb_s_h'$$, 90) AS paused;
SELECT count(*) AS rows, max(depth) AS deepest FROM lb_s;
SELECT sqlstate, depth, changes[1].new_row->>'depth' AS row_depth FROM dataeng.dead_letters WHERE trigger_name = 'lb_s_h';
SELECT dataeng.on_change_resume('lb_s_h');
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.dead_letters WHERE trigger_name = 'lb_s_h' AND depth = 17)
                     AND (SELECT paused_at IS NOT NULL AND NOT resume_requested FROM dataeng.on_changes WHERE trigger_name = 'lb_s_h')$$, 90)
  AS paused_again;
SELECT dataeng.cdc_wal_sync();
SELECT pg_sleep(1);
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS rows, max(depth) AS deepest FROM lb_s;
SELECT sqlstate, depth, changes[1].new_row->>'depth' AS row_depth FROM dataeng.dead_letters WHERE trigger_name = 'lb_s_h';
SELECT dataeng.on_change_drop('lb_s_h');

-- a pipeline (a handler writing a table whose handler writes another)
-- whose batches wait in the backlog: every change reaches its end, none
-- is dead-lettered
CREATE TABLE lb_p (id int PRIMARY KEY);
CREATE TABLE lb_q (id int PRIMARY KEY);
CREATE TABLE lb_r (id int PRIMARY KEY);
CREATE FUNCTION lb_p_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.01);
  INSERT INTO public.lb_q SELECT (c.new_row->>'id')::int FROM unnest(changes) c;
END $$;
CREATE FUNCTION lb_q_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_sleep(0.01);
  INSERT INTO public.lb_calls
    SELECT -1, (c.new_row->>'id')::int,
           EXISTS (SELECT 1 FROM dataeng_internal.on_change_backlog b, unnest(b.changes) bc
                   WHERE bc.change_id = c.change_id)
      FROM unnest(changes) c;
  INSERT INTO public.lb_r SELECT (c.new_row->>'id')::int FROM unnest(changes) c;
END $$;
CREATE FUNCTION lb_r_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lb_calls SELECT 0, (c.new_row->>'id')::int, false FROM unnest(changes) c;
END $$;
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('lb_p', method => 'wal');
SELECT dataeng.cdc_enable('lb_q', method => 'wal');
SELECT dataeng.cdc_enable('lb_r', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change('lb_p_h', 'lb_p', 'lb_p_h(dataeng.change[])');
SELECT dataeng.on_change('lb_q_h', 'lb_q', 'lb_q_h(dataeng.change[])');
SELECT dataeng.on_change('lb_r_h', 'lb_r', 'lb_r_h(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
CREATE PROCEDURE lb_load() LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..40 LOOP
    INSERT INTO public.lb_p VALUES (i);
    COMMIT;
    PERFORM pg_sleep(0.02);
  END LOOP;
END $$;
CALL lb_load();
SELECT wait_for($$SELECT count(*) = 40 FROM lb_calls WHERE loop = 0$$, 120) AS all_handled;
SELECT count(DISTINCT depth) AS ids FROM lb_calls WHERE loop = 0;
-- (the second handler's batches did wait in the backlog)
SELECT count(*) FILTER (WHERE from_backlog) > 0 AS through_backlog FROM lb_calls WHERE loop = -1;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters WHERE trigger_name IN ('lb_p_h', 'lb_q_h', 'lb_r_h');
SELECT dataeng.on_change_drop('lb_p_h');
SELECT dataeng.on_change_drop('lb_q_h');
SELECT dataeng.on_change_drop('lb_r_h');

ALTER SYSTEM RESET dataeng.on_change_role_budget;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET client_min_messages = warning;
SELECT dataeng.cdc_disable('lb_a');
SELECT dataeng.cdc_disable('lb_s');
SELECT dataeng.cdc_disable('lb_p');
SELECT dataeng.cdc_disable('lb_q');
SELECT dataeng.cdc_disable('lb_r');
DROP TABLE lb_a, lb_s, lb_p, lb_q, lb_r, lb_calls;
DROP PROCEDURE lb_load();
DROP FUNCTION lb_self(dataeng.change[]), lb_s_h(dataeng.change[]), lb_p_h(dataeng.change[]), lb_q_h(dataeng.change[]), lb_r_h(dataeng.change[]);
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
