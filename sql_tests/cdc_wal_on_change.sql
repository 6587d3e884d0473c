-- on_change: handlers of committed changes of a table captured from the WAL.
\pset null '(null)'
SET client_min_messages = notice;
CREATE EXTENSION dataeng;

CREATE TABLE oc_src (id int PRIMARY KEY, v text);
CREATE TABLE oc_trg (id int PRIMARY KEY);
CREATE TABLE oc_seen (trigger_name text, call_no bigint GENERATED ALWAYS AS IDENTITY,
                      commit_time timestamptz, n int, ops text, ids text,
                      who name, path text);
-- (the WAL capture worker is off until the first trigger is made, so that
-- it has not switched oc_src to the WAL then, however slow the machine;
-- waited for until the worker runs no round, or, with none in the
-- database, until a new session reads the setting)
ALTER SYSTEM SET dataeng.enabled = off;
SELECT pg_reload_conf();
\c
SET client_min_messages = notice;
\i sql_tests/lib/wait_for.sql
SELECT wait_for($$SELECT dataeng_internal._cdc_wal_worker() = 'off'$$) AS worker_off;
SELECT dataeng.cdc_enable('oc_src', method => 'wal');
SELECT dataeng.cdc_enable('oc_trg');

-- one call per committed transaction, with its changes of the table
CREATE FUNCTION oc_handler(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.oc_seen (trigger_name, commit_time, n, ops, ids, who, path)
  SELECT 'all', min(c.captured_at), count(*), string_agg(c.op::text, '' ORDER BY c.change_id),
         string_agg(coalesce(c.pk->>'id', '-'), ',' ORDER BY c.change_id),
         current_user, current_setting('search_path')
    FROM unnest(changes) c;
END $$;
CREATE FUNCTION oc_deletes(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.oc_seen (trigger_name, commit_time, n, ops, ids)
  SELECT 'deletes', min(c.captured_at), count(*), string_agg(c.op::text, '' ORDER BY c.change_id),
         string_agg(c.old_row->>'v', ',' ORDER BY c.change_id)
    FROM unnest(changes) c;
END $$;
CREATE FUNCTION oc_wrong(x int) RETURNS void LANGUAGE sql AS 'SELECT';
CREATE FUNCTION oc_wrong2(a dataeng.change[], b int) RETURNS void LANGUAGE sql AS 'SELECT';

-- errors
SELECT dataeng.on_change('t', 'oc_trg', 'oc_handler(dataeng.change[])');
SELECT dataeng.on_change('t', 'oc_src', 'oc_wrong(int)');
SELECT dataeng.on_change('t', 'oc_src', 'oc_wrong2(dataeng.change[], int)');
SELECT dataeng.on_change('t', 'oc_src', 'oc_handler(dataeng.change[])', '{I,X}');
SELECT dataeng.on_change('t', 'oc_src', 'oc_handler(dataeng.change[])', '{}');
SELECT dataeng.on_change('t', 'oc_src', 'oc_handler(dataeng.change[])', on_error => 'ignore');
SELECT dataeng.on_change('', 'oc_src', 'oc_handler(dataeng.change[])');
SELECT dataeng.on_change(NULL, 'oc_src', 'oc_handler(dataeng.change[])');

-- (before the worker has switched the table: a notice says so)
SELECT dataeng.on_change('all', 'oc_src', 'oc_handler(dataeng.change[])');
ALTER SYSTEM RESET dataeng.enabled;
SELECT pg_reload_conf();
\c
SET client_min_messages = notice;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change('all', 'oc_src', 'oc_handler(dataeng.change[])');
SELECT dataeng.on_change('deletes', 'oc_src', 'oc_deletes(dataeng.change[])', '{D}');
SELECT trigger_name, table_name, handler, ops, owner, on_error FROM dataeng.on_changes;

INSERT INTO oc_src VALUES (1, 'a'), (2, 'b');
BEGIN;
UPDATE oc_src SET v = 'bb' WHERE id = 2;
DELETE FROM oc_src WHERE id = 1;
INSERT INTO oc_src VALUES (3, 'c');
COMMIT;
BEGIN;
INSERT INTO oc_src VALUES (4, 'rolled back');
ROLLBACK;
INSERT INTO oc_trg VALUES (1);                    -- another table: no call
DELETE FROM oc_src WHERE id = 3;
TRUNCATE oc_src;
SELECT dataeng.cdc_wal_sync();
-- in commit order, one call per transaction, as the creator (postgres
-- here), with search_path pinned
SELECT trigger_name, n, ops, ids, who = current_user AS as_creator, path
  FROM oc_seen ORDER BY call_no;
SELECT count(*) = count(DISTINCT commit_time) AS one_call_per_commit
  FROM oc_seen WHERE trigger_name = 'all';

-- a failing handler: retried, then its batch is a dead letter, and later
-- batches go on
CREATE TABLE oc_fail_when (v text);
CREATE FUNCTION oc_failing(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(changes) c WHERE c.new_row->>'v' = 'poison') THEN
    RAISE EXCEPTION 'cannot handle %', (SELECT c.pk FROM unnest(changes) c LIMIT 1)
      USING ERRCODE = 'data_exception';
  END IF;
  INSERT INTO public.oc_seen (trigger_name, n, ids)
  SELECT 'failing', count(*), string_agg(c.pk->>'id', ',') FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change_drop('all');
SELECT dataeng.on_change_drop('deletes');
SELECT dataeng.on_change_drop('deletes');
SELECT dataeng.on_change('failing', 'oc_src', 'oc_failing(dataeng.change[])', '{I}');
SELECT dataeng.on_change('pausing', 'oc_src', 'oc_failing(dataeng.change[])', '{I}', on_error => 'pause');
TRUNCATE oc_seen;
INSERT INTO oc_src VALUES (10, 'fine');
INSERT INTO oc_src VALUES (11, 'poison');
INSERT INTO oc_src VALUES (12, 'fine again');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, n, ids FROM oc_seen ORDER BY call_no;
SELECT trigger_name, table_name, error, sqlstate, attempts, cardinality(changes) AS n,
       changes[1].new_row AS first
  FROM dataeng.on_change_dead_letters ORDER BY id;
SELECT trigger_name, paused_at IS NOT NULL AS paused FROM dataeng.on_changes;

-- handlers run as their creator, who must be able to read the table
CREATE ROLE oc_user;
GRANT USAGE ON SCHEMA public TO oc_user;
SET ROLE oc_user;
SELECT dataeng.on_change('mine', 'oc_src', 'oc_handler(dataeng.change[])');
SELECT dataeng.on_change_drop('failing');
SELECT count(*) FROM dataeng.on_changes;
SELECT count(*) FROM dataeng.on_change_dead_letters;
SELECT count(*) FROM dataeng_internal.on_change_triggers;
RESET ROLE;

-- a handler dropped after its trigger was created: its batches are dead
-- letters that say so (undefined_function), not an internal "cache lookup
-- failed for function"
CREATE FUNCTION oc_gone(changes dataeng.change[]) RETURNS void LANGUAGE sql AS 'SELECT';
SELECT dataeng.on_change('gone', 'oc_src', 'oc_gone(dataeng.change[])', '{I}');
SELECT dataeng.cdc_wal_sync();
DROP FUNCTION oc_gone(dataeng.change[]);
INSERT INTO oc_src VALUES (13, 'after the drop');
SELECT dataeng.cdc_wal_sync();
SELECT trigger_name, error, sqlstate, cardinality(changes) AS n
  FROM dataeng.on_change_dead_letters WHERE trigger_name = 'gone' ORDER BY id;
SELECT dataeng.on_change_drop('gone');

-- a dropped table's triggers go with it (they were left behind, naming
-- the table by its oid, keeping their names taken and counting against
-- dataeng.max_on_change_per_role); a DROP rolled back keeps them
CREATE TABLE oc_drop (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('oc_drop', method => 'wal');
SELECT dataeng.on_change('dropme', 'oc_drop', 'oc_handler(dataeng.change[])');
BEGIN;
DROP TABLE oc_drop;
ROLLBACK;
SELECT trigger_name, table_name FROM dataeng.on_changes WHERE trigger_name = 'dropme';
DROP TABLE oc_drop;
SELECT count(*) AS left_behind FROM dataeng.on_changes WHERE trigger_name = 'dropme';

-- clean up: the worker stops with the last table captured from the WAL
SELECT dataeng.on_change_drop('failing'), dataeng.on_change_drop('pausing');
SELECT dataeng.cdc_disable('oc_src'), dataeng.cdc_disable('oc_trg');
DELETE FROM dataeng.dead_letters;
DROP TABLE oc_src, oc_trg, oc_seen, oc_fail_when;
DROP FUNCTION oc_handler(dataeng.change[]), oc_deletes(dataeng.change[]), oc_wrong(int),
  oc_wrong2(dataeng.change[], int), oc_failing(dataeng.change[]);
REVOKE USAGE ON SCHEMA public FROM oc_user;
DROP ROLE oc_user;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
