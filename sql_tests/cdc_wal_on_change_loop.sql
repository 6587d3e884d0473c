-- on_change handlers that write the tables of each other's triggers (or
-- their own) feed each other: each batch written that way is one level
-- deeper, and one written WAL_HANDLER_MAX_DEPTH (16) levels deep is not
-- handed to the handler but goes to dataeng.dead_letters (54001).
-- (Before, a handler inserting into its own table was called again in
-- every round, for ever: a change more each round, and the change log,
-- the WAL and the handler's effects grew without end.)
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE lo_a (id int PRIMARY KEY, depth int);
CREATE TABLE lo_b (id int PRIMARY KEY, depth int);
CREATE TABLE lo_calls (trigger_name text, n int, ids text);
SELECT dataeng.cdc_enable('lo_a', method => 'wal');
SELECT dataeng.cdc_enable('lo_b', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- a handler writing its own table
CREATE FUNCTION lo_self(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lo_calls SELECT 'self', count(*), string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
  INSERT INTO public.lo_a SELECT (c.new_row->>'id')::int + 1, (c.new_row->>'depth')::int + 1 FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('lo_self', 'lo_a', 'lo_self(dataeng.change[])', '{I}');
RESET client_min_messages;

INSERT INTO lo_a VALUES (1, 0);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.dead_letters d WHERE d.trigger_name = 'lo_self')$$, 60) AS dead_letter;
SELECT dataeng.cdc_wal_sync();
SELECT pg_sleep(1);
SELECT dataeng.cdc_wal_sync();
-- the user's row and 16 levels of the handler's: no more
SELECT count(*) AS rows, max(depth) AS deepest FROM lo_a;
SELECT count(*) AS calls, max(ids::int) AS last_id FROM lo_calls WHERE trigger_name = 'self';
SELECT trigger_name, sqlstate, regexp_replace(error, '[0-9A-F]+/[0-9A-F]+', 'X/Y') AS error, attempts, cardinality(changes) AS n, changes[1].pk AS pk
  FROM dataeng.dead_letters WHERE trigger_name = 'lo_self';
SELECT count(*) AS logged FROM dataeng.changes WHERE table_name = 'lo_a'::regclass;
SELECT dataeng.on_change_drop('lo_self');

-- two handlers writing each other's table: 16 levels in all
CREATE FUNCTION lo_ping(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lo_calls SELECT 'ping', count(*), string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
  INSERT INTO public.lo_b SELECT (c.new_row->>'id')::int + 1, (c.new_row->>'depth')::int + 1 FROM unnest(changes) c;
END $$;
CREATE FUNCTION lo_pong(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lo_calls SELECT 'pong', count(*), string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
  INSERT INTO public.lo_a SELECT (c.new_row->>'id')::int + 1, (c.new_row->>'depth')::int + 1 FROM unnest(changes) c;
END $$;
SET client_min_messages = warning;
SELECT dataeng.on_change('lo_ping', 'lo_a', 'lo_ping(dataeng.change[])', '{I}', on_error => 'pause');
SELECT dataeng.on_change('lo_pong', 'lo_b', 'lo_pong(dataeng.change[])', '{I}');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
INSERT INTO lo_a VALUES (100, 0);
SELECT wait_for($$SELECT EXISTS (SELECT 1 FROM dataeng.dead_letters d WHERE d.trigger_name = 'lo_ping')$$, 60) AS dead_letter;
SELECT pg_sleep(1);
SELECT dataeng.cdc_wal_sync();
SELECT (SELECT count(*) FROM lo_a WHERE id >= 100) AS a_rows, (SELECT count(*) FROM lo_b) AS b_rows,
       (SELECT max(depth) FROM lo_a WHERE id >= 100) AS deepest;
SELECT trigger_name, count(*) AS calls FROM lo_calls WHERE trigger_name IN ('ping', 'pong') GROUP BY 1 ORDER BY 1;
SELECT trigger_name, sqlstate, attempts, changes[1].pk AS pk FROM dataeng.dead_letters WHERE trigger_name = 'lo_ping';
-- on_error => 'pause': the trigger paused there
SELECT trigger_name, paused_at IS NOT NULL AS paused,
       regexp_replace(pause_reason, '[0-9A-F]+/[0-9A-F]+', 'X/Y') AS pause_reason FROM dataeng.on_changes WHERE trigger_name = 'lo_ping';

SELECT dataeng.on_change_drop('lo_ping');
SELECT dataeng.on_change_drop('lo_pong');

-- a pipeline under load: a handler writing a table whose handler ...;
-- rounds that hand over both a user's batch and a batch its handler wrote
-- count each change by the call that wrote it: always 1 deep, however
-- many rounds in a row (the depth of a round's deepest call, given to
-- all its writes, grew by one a round)
CREATE TABLE lo_p (id int PRIMARY KEY);
CREATE TABLE lo_q (id int PRIMARY KEY);
CREATE FUNCTION lo_p_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lo_q SELECT (c.new_row->>'id')::int FROM unnest(changes) c;
END $$;
CREATE FUNCTION lo_q_h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.lo_calls SELECT 'q', count(*), string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
END $$;
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('lo_p', method => 'wal');
SELECT dataeng.cdc_enable('lo_q', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change('lo_p_h', 'lo_p', 'lo_p_h(dataeng.change[])');
SELECT dataeng.on_change('lo_q_h', 'lo_q', 'lo_q_h(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
CREATE PROCEDURE lo_load() LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..60 LOOP
    INSERT INTO public.lo_p VALUES (i);
    COMMIT;
    PERFORM pg_sleep(0.03);
  END LOOP;
END $$;
CALL lo_load();
SELECT wait_for($$SELECT (SELECT sum(n) FROM lo_calls WHERE trigger_name = 'q') = 60$$, 60) AS all_handled;
SELECT count(*) AS q_rows FROM lo_q;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters WHERE trigger_name IN ('lo_p_h', 'lo_q_h');
SELECT dataeng.on_change_drop('lo_p_h');
SELECT dataeng.on_change_drop('lo_q_h');
SET client_min_messages = warning;
SELECT dataeng.cdc_disable('lo_a');
SELECT dataeng.cdc_disable('lo_b');
SELECT dataeng.cdc_disable('lo_p');
SELECT dataeng.cdc_disable('lo_q');
DROP TABLE lo_a, lo_b, lo_p, lo_q, lo_calls;
DROP PROCEDURE lo_load();
DROP FUNCTION lo_self(dataeng.change[]), lo_ping(dataeng.change[]), lo_pong(dataeng.change[]),
  lo_p_h(dataeng.change[]), lo_q_h(dataeng.change[]);
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
