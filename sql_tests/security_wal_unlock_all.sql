-- The WAL capture worker holds a session lock of its database for its life:
-- one worker per database.  It was an advisory lock of USER_LOCKMETHOD,
-- and pg_advisory_unlock_all() releases every such session lock: any role's
-- on_change handler, run in the worker, released it while the worker went
-- on (gone from pg_locks: the scheduler took the database for one without
-- a worker, and a second worker could take the lock and decode the
-- database beside it).  The lock now is out of reach of that function.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE ROLE swu_mallory;
CREATE SCHEMA swu AUTHORIZATION swu_mallory;
SET ROLE swu_mallory;
CREATE TABLE swu.src (id int PRIMARY KEY);
CREATE TABLE swu.calls (id int, unlock_all_called boolean);
SELECT dataeng.cdc_enable('swu.src', method => 'wal');
CREATE FUNCTION swu.unlock(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO swu.calls SELECT (x.pk->>'id')::int, pg_catalog.pg_advisory_unlock_all() IS NOT NULL
    FROM unnest(c) x;
END $$;
SELECT dataeng.on_change('swu_unlock', 'swu.src', 'swu.unlock(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
-- the worker's lock: locktype advisory, (1684361025, database oid, 25703)
CREATE FUNCTION swu_worker_locked() RETURNS boolean LANGUAGE sql AS $$
  SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                  WHERE a.backend_type = 'dataeng wal capture' AND a.datname = current_database()
                    AND l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock'
                    AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    AND l.classid = 1684361025 AND l.objsubid = 25703
                    AND l.objid = (SELECT oid FROM pg_database WHERE datname = current_database()))
$$;
SELECT wait_for('SELECT swu_worker_locked()', 60) AS locked_before;
SET ROLE swu_mallory;
INSERT INTO swu.src VALUES (1);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
-- the handler ran and called pg_advisory_unlock_all() in the worker
SELECT id, unlock_all_called FROM swu.calls ORDER BY id;
-- the worker goes on, still holding its lock
SELECT count(*) AS workers FROM pg_stat_activity
 WHERE backend_type = 'dataeng wal capture' AND datname = current_database();
SELECT swu_worker_locked() AS locked_after;
-- and still captures
SET ROLE swu_mallory;
INSERT INTO swu.src VALUES (2);
RESET ROLE;
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT id FROM swu.calls ORDER BY id;
SELECT swu_worker_locked() AS locked_still;

SET ROLE swu_mallory;
SELECT dataeng.on_change_drop('swu_unlock');
RESET ROLE;
DROP FUNCTION swu_worker_locked();
DROP SCHEMA swu CASCADE;
DROP ROLE swu_mallory;
DROP FUNCTION wait_for(text, float8);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
