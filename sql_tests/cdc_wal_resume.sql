-- on_change triggers paused (by a failing handler with on_error => 'pause',
-- or by hand) and resumed: the batches set aside while paused are handled
-- in commit order, from the one that paused the trigger, each once.
\pset null '(null)'
SET client_min_messages = notice;
CREATE EXTENSION dataeng;

CREATE TABLE rs_src (id int PRIMARY KEY, v text);
CREATE TABLE rs_seen (call_no bigint GENERATED ALWAYS AS IDENTITY, trigger_name text, ids text);
CREATE TABLE rs_sink (down boolean);
INSERT INTO rs_sink VALUES (false);
-- (the WAL capture worker is off until the triggers are made, so that it
-- has not switched rs_src to the WAL then, however slow the machine;
-- waited for until the worker runs no round, or, with none in the
-- database, until a new session reads the setting)
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
\c
SET client_min_messages = notice;
\i sql_tests/lib/wait_for.sql
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
SELECT dataeng.cdc_enable('rs_src', method => 'wal');

-- a handler whose sink can be down
CREATE FUNCTION rs_handler(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT s.down FROM public.rs_sink s) THEN
    RAISE EXCEPTION 'the sink is down' USING ERRCODE = 'connection_failure';
  END IF;
  INSERT INTO public.rs_seen (trigger_name, ids)
  SELECT 'rs', string_agg(c.pk->>'id', ',' ORDER BY c.change_id) FROM unnest(changes) c;
END $$;
CREATE FUNCTION rs_handler2(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT s.down FROM public.rs_sink s) THEN
    RAISE EXCEPTION 'the sink is down' USING ERRCODE = 'connection_failure';
  END IF;
  INSERT INTO public.rs_seen (trigger_name, ids)
  SELECT 'rs2', string_agg(c.pk->>'id', ',' ORDER BY c.change_id) FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('rs', 'rs_src', 'rs_handler(dataeng.change[])', on_error => 'pause');
-- the default: a failed batch is a dead letter, later batches go on
SELECT dataeng.on_change('rs2', 'rs_src', 'rs_handler2(dataeng.change[])');
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
\c
SET client_min_messages = notice;
SELECT dataeng.cdc_wal_sync();

INSERT INTO rs_src VALUES (1, 'a');
SELECT dataeng.cdc_wal_sync();
UPDATE rs_sink SET down = true;
INSERT INTO rs_src VALUES (2, 'b');
INSERT INTO rs_src VALUES (3, 'c'), (4, 'd');
SELECT dataeng.cdc_wal_sync();
-- rs paused at 2 and set 3,4 aside; rs2's failures are dead letters
SELECT trigger_name, ids FROM rs_seen ORDER BY call_no;
SELECT trigger_name, error, sqlstate, attempts, cardinality(changes) AS n, changes[1].pk
  FROM dataeng.on_change_dead_letters ORDER BY trigger_name, commit_lsn, id;
SELECT trigger_name, paused_at IS NOT NULL AS paused, resume_from IS NOT NULL AS has_resume_from,
       resume_requested
  FROM dataeng.on_changes ORDER BY trigger_name;

-- resumed while the sink is still down: the batch that paused it fails
-- again (after its retries), stays a dead letter with its attempts added
-- up, and the trigger stays paused
SELECT dataeng.on_change_resume('rs');
SELECT trigger_name, resume_requested FROM dataeng.on_changes ORDER BY trigger_name;
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, error, attempts, changes[1].pk
  FROM dataeng.on_change_dead_letters WHERE trigger_name = 'rs' ORDER BY id;
SELECT trigger_name, paused_at IS NOT NULL AS paused, resume_requested
  FROM dataeng.on_changes ORDER BY trigger_name;

-- the sink is back: resumed, rs handles 2, then 3,4, then what came while
-- it was paused and after, in commit order, each once
UPDATE rs_sink SET down = false;
INSERT INTO rs_src VALUES (5, 'e');
SELECT dataeng.on_change_resume('rs');
INSERT INTO rs_src VALUES (6, 'f');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, ids FROM rs_seen ORDER BY call_no;
-- its dead letters are gone; rs2's stay (it was not paused)
SELECT trigger_name, count(*) FROM dataeng.on_change_dead_letters GROUP BY 1 ORDER BY 1;
SELECT trigger_name, paused_at IS NOT NULL AS paused, resume_from, resume_requested
  FROM dataeng.on_changes ORDER BY trigger_name;
-- resuming a trigger that is not paused does nothing
SELECT dataeng.on_change_resume('rs2');

-- paused by hand: its batches are set aside until it is resumed; the
-- dead letters from before the pause are not handed to it again
SELECT dataeng.on_change_pause('rs2');
SELECT dataeng.on_change_pause('rs2');
INSERT INTO rs_src VALUES (7, 'g');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, ids FROM rs_seen WHERE ids = '7' ORDER BY call_no;
SELECT trigger_name, error, sqlstate, attempts, changes[1].pk
  FROM dataeng.on_change_dead_letters WHERE trigger_name = 'rs2' ORDER BY id;
SELECT dataeng.on_change_resume('rs2');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, ids FROM rs_seen WHERE ids = '7' ORDER BY call_no;
SELECT trigger_name, changes[1].pk FROM dataeng.on_change_dead_letters ORDER BY id;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes ORDER BY trigger_name;
-- paused by hand with nothing set aside yet, then resumed
SELECT dataeng.on_change_pause('rs');
SELECT dataeng.on_change_resume('rs');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes ORDER BY trigger_name;

-- errors
SELECT dataeng.on_change_resume('nope');
SELECT dataeng.on_change_pause('nope');
CREATE ROLE rs_other;
SET ROLE rs_other;
SELECT dataeng.on_change_pause('rs');
SELECT dataeng.on_change_resume('rs');
RESET ROLE;
DROP ROLE rs_other;

-- clean up
SELECT dataeng.on_change_drop('rs'), dataeng.on_change_drop('rs2');
SELECT dataeng.cdc_disable('rs_src');
DELETE FROM dataeng.dead_letters;
DROP TABLE rs_src, rs_seen, rs_sink;
DROP FUNCTION rs_handler(dataeng.change[]), rs_handler2(dataeng.change[]);
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
