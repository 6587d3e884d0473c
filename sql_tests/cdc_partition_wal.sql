-- CDC from the WAL: ATTACH or DETACH PARTITION of a partition holding rows
-- is refused (the worker writes its records after their writers commit, so
-- the rows could not be recorded in their place); an empty partition is
-- attached and detached as before; the way round is trigger capture while
-- attaching or detaching.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';
CREATE TABLE pw (id int, region text, amount numeric, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE pw_r1 PARTITION OF pw FOR VALUES IN ('r1');
INSERT INTO pw VALUES (1, 'r1', 10);
SELECT dataeng.cdc_enable('pw', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- (a NULL timeout is refused, not read as "timed out")
SELECT dataeng.cdc_wal_sync(NULL);
-- (nor a negative one)
SELECT dataeng.cdc_wal_sync('-1 s');
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'pw'::regclass;
SELECT dataeng.cdc_consumer_create('pw_c', '{pw}');
-- (the partition got REPLICA IDENTITY FULL with its table: whole old rows)
SELECT relreplident FROM pg_class WHERE oid = 'pw_r1'::regclass;
UPDATE pw SET amount = 11 WHERE id = 1;

-- a partition holding rows: refused, nothing attached
CREATE TABLE pw_r2 (LIKE pw INCLUDING ALL);
INSERT INTO pw_r2 VALUES (2, 'r2', 20), (3, 'r2', 30);
ALTER TABLE pw ATTACH PARTITION pw_r2 FOR VALUES IN ('r2');
DO $$
BEGIN
  ALTER TABLE pw ATTACH PARTITION pw_r2 FOR VALUES IN ('r2');
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'SQLSTATE %', SQLSTATE;
END $$;
SELECT count(*) AS attached FROM pg_inherits WHERE inhrelid = 'pw_r2'::regclass;
-- detaching one that holds rows: refused too
ALTER TABLE pw DETACH PARTITION pw_r1;
SELECT count(*) AS still_attached FROM pg_inherits WHERE inhrelid = 'pw_r1'::regclass;

-- an empty partition: attached (and given REPLICA IDENTITY FULL), its
-- later rows captured from the WAL
CREATE TABLE pw_r3 (LIKE pw INCLUDING ALL);
ALTER TABLE pw ATTACH PARTITION pw_r3 FOR VALUES IN ('r3');
INSERT INTO pw VALUES (4, 'r3', 40);
DELETE FROM pw WHERE id = 4;
ALTER TABLE pw DETACH PARTITION pw_r3;
SELECT dataeng.cdc_wal_sync();

-- the way round: trigger capture for the ATTACH, then back to the WAL
SELECT dataeng.cdc_enable('pw', method => 'trigger');
SELECT dataeng.cdc_wal_sync();
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'pw'::regclass;
ALTER TABLE pw ATTACH PARTITION pw_r2 FOR VALUES IN ('r2');
SELECT dataeng.cdc_enable('pw', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'pw'::regclass;
UPDATE pw SET amount = amount + 1 WHERE id = 2;
SELECT dataeng.cdc_wal_sync();

-- DETACH ... CONCURRENTLY: its first transaction commits before the check;
-- the second fails and leaves the partition pending detach (not detached
-- from the point of view of the log); FINALIZE under trigger capture
-- completes it and records the deletes
ALTER TABLE pw DETACH PARTITION pw_r2 CONCURRENTLY;
SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'pw_r2'::regclass;
SELECT dataeng.cdc_enable('pw', method => 'trigger');
SELECT dataeng.cdc_wal_sync();
ALTER TABLE pw DETACH PARTITION pw_r2 FINALIZE;
SELECT count(*) AS attached FROM pg_inherits WHERE inhrelid = 'pw_r2'::regclass;

SELECT op, pk, old_row, new_row FROM dataeng.cdc_poll('pw_c', 1000) ORDER BY position;

SELECT dataeng.cdc_consumer_drop('pw_c');
SELECT dataeng.cdc_disable('pw');
DROP TABLE pw, pw_r2, pw_r3;
DROP EXTENSION dataeng CASCADE;
