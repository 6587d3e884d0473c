-- Cutting a batch: the transactions that committed between two ticks and
-- their order, found one index probe per transaction when few started in
-- between, and by grouping the batch's changes when more than 256 did.
-- Both must deliver every committed change once, in commit order, and
-- nothing rolled back.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;

CREATE TABLE tk (id int PRIMARY KEY, v int);
SELECT dataeng.cdc_enable('tk');
SELECT dataeng.cdc_consumer_create('tk_reader', ARRAY['tk'::regclass]);

-- n one-row transactions, every fifth rolled back, plus transactions that
-- take an xid and capture nothing
CREATE PROCEDURE tk_writes(first int, n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN first .. first + n - 1 LOOP
    INSERT INTO tk VALUES (i, i);
    IF i % 5 = 0 THEN
      ROLLBACK;
    ELSE
      COMMIT;
    END IF;
    IF i % 7 = 0 THEN
      PERFORM pg_current_xact_id();
      COMMIT;
    END IF;
  END LOOP;
END $$;

CREATE TABLE tk_seen (round int, change_id bigint, id int);
CREATE FUNCTION tk_check(r int) RETURNS TABLE (delivered bigint, expected bigint, in_commit_order boolean,
                                               rolled_back_seen bigint, batches bigint)
LANGUAGE sql AS $$
  SELECT count(*),
         (SELECT count(*) FROM tk WHERE id IN (SELECT id FROM tk_seen WHERE round = r)),
         bool_and(ord), count(*) FILTER (WHERE id % 5 = 0),
         (SELECT count(DISTINCT b.tick_id) FROM dataeng_internal.cdc_batch_txns b
           JOIN dataeng_internal.change_log l ON l.xid = b.xid
          WHERE l.change_id IN (SELECT change_id FROM tk_seen WHERE round = r))
    FROM (SELECT id, change_id > lag(change_id, 1, 0::bigint) OVER (ORDER BY change_id) AND id > lag(id, 1, 0) OVER (ORDER BY change_id) AS ord
            FROM tk_seen WHERE round = r) x
$$;

-- a few transactions between two ticks: probed one by one
SELECT count(*) FROM dataeng.cdc_poll('tk_reader', 10000);
CALL tk_writes(1, 100);
INSERT INTO tk_seen SELECT 1, change_id, (new_row->>'id')::int FROM dataeng.cdc_poll('tk_reader', 100000);
SELECT * FROM tk_check(1);
SELECT dataeng.cdc_ack('tk_reader', max(change_id)) FROM tk_seen WHERE round = 1;

-- more than 256 transactions between two ticks: grouped
CALL tk_writes(101, 1300);
INSERT INTO tk_seen SELECT 2, change_id, (new_row->>'id')::int FROM dataeng.cdc_poll('tk_reader', 100000);
SELECT * FROM tk_check(2);
SELECT count(*) FROM tk WHERE id BETWEEN 101 AND 1400;
SELECT dataeng.cdc_ack('tk_reader', max(change_id)) FROM tk_seen WHERE round = 2;

-- a transaction running across the tick lands in the batch after its commit
BEGIN;
INSERT INTO tk VALUES (5001, 1);
SELECT count(*) FROM dataeng.cdc_poll('tk_reader', 100000);
COMMIT;
SELECT (new_row->>'id')::int AS id FROM dataeng.cdc_poll('tk_reader', 100000);

-- A transaction holding a lock the tick worker would wait for (after a
-- purge, or a LOCK TABLE of dataeng's tables) cuts the tick itself: the
-- poll neither hangs nor warns, and delivers what was committed.  Ticks
-- cut by the worker are committed even when the poll rolls back.
SELECT dataeng.cdc_ack('tk_reader', max(change_id)) FROM dataeng.cdc_poll('tk_reader', 100000);
INSERT INTO tk VALUES (5002, 1);
BEGIN;
LOCK TABLE dataeng_internal.cdc_batch_txns IN SHARE MODE;
SET LOCAL statement_timeout = '30s';
SELECT (new_row->>'id')::int AS id_under_lock FROM dataeng.cdc_poll('tk_reader', 100000);
COMMIT;
INSERT INTO tk VALUES (5003, 1);
SELECT max(tick_id) AS before_tick FROM dataeng_internal.cdc_ticks \gset
BEGIN;
SELECT (new_row->>'id')::int AS id FROM dataeng.cdc_poll('tk_reader', 100000);
ROLLBACK;
SELECT max(tick_id) > :before_tick AS tick_kept_after_rollback FROM dataeng_internal.cdc_ticks;

SELECT dataeng.cdc_consumer_drop('tk_reader');
SELECT dataeng.cdc_disable('tk');
DROP TABLE tk, tk_seen;
DROP FUNCTION tk_check;
DROP PROCEDURE tk_writes;
DROP EXTENSION dataeng CASCADE;
