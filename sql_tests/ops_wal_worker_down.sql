-- The WAL capture's slot row of pipeline_status while no worker runs in
-- the database (each one it starts ends with an error: here the
-- publication changed so that capture stops): a warning saying that
-- changes are not captured, where it said ok ("nothing reads it now");
-- ok again once a worker runs, and the change is captured then.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE owd (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('owd', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT kind, state FROM dataeng.pipeline_status WHERE kind IN ('slot', 'captured table') ORDER BY kind;

ALTER PUBLICATION dataeng_wal SET (publish = 'insert');
INSERT INTO owd VALUES (1);
-- (a worker runs for a moment now and then, before its error: the reason
-- is kept from the read that found the warning)
CREATE TEMP TABLE seen (reason text);
SELECT wait_for($$WITH w AS (INSERT INTO seen SELECT reason FROM dataeng.pipeline_status
                                WHERE kind = 'slot' AND state = 'warning' RETURNING 1)
                  SELECT count(*) > 0 FROM w$$, 60) AS slot_warns;
SELECT regexp_replace(reason, 'is [0-9]+ [a-zA-Z]+ behind', 'is N behind') AS reason FROM seen;

ALTER PUBLICATION dataeng_wal SET (publish = 'insert, update, delete, truncate');
SELECT dataeng.cdc_wal_sync('60 s') AS synced;
SELECT count(*) AS captured FROM dataeng.changes WHERE table_name = 'owd'::regclass;
SELECT wait_for($$SELECT state = 'ok' FROM dataeng.pipeline_status WHERE kind = 'slot'$$) AS slot_ok;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
