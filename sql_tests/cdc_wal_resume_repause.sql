-- An on_change trigger resumed and paused again in the same round of the
-- WAL capture worker: on_change_resume() hands the set-aside batches to the
-- handler, then a batch committed with the resume fails (on_error =>
-- 'pause') and pauses the trigger again.  The new pause is the one
-- recorded: when (paused_at), why (pause_reason, not the reason of the
-- pause that ended) and from which batch (resume_from, the one that
-- failed), so that the next on_change_resume() hands that batch, and each
-- later one, to the handler once, in commit order.  (Before, the round's
-- resume cleared resume_from: the next resume handed nothing over, the
-- failed batch stayed in dataeng.dead_letters and the handler went on
-- without it; and pause_reason kept the reason of the pause that had
-- ended.)
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
ALTER SYSTEM SET dataeng.on_change_retries = 0;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();

CREATE TABLE rp_src (id int PRIMARY KEY);
CREATE TABLE rp_seen (call_no bigint GENERATED ALWAYS AS IDENTITY, ids text);
CREATE TABLE rp_bad (id int);
SELECT dataeng.cdc_enable('rp_src', method => 'wal');
-- fails on the ids listed in rp_bad
CREATE FUNCTION rp_handler(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(changes) c JOIN public.rp_bad b ON b.id = (c.pk->>'id')::int) THEN
    RAISE EXCEPTION 'bad id' USING ERRCODE = 'data_exception';
  END IF;
  INSERT INTO public.rp_seen (ids) SELECT string_agg(c.pk->>'id', ',' ORDER BY c.change_id) FROM unnest(changes) c;
END $$;
SELECT dataeng.on_change('rp', 'rp_src', 'rp_handler(dataeng.change[])', on_error => 'pause');
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

INSERT INTO rp_src VALUES (1);
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.on_change_pause('rp');
INSERT INTO rp_src VALUES (2);
INSERT INTO rp_src VALUES (3);
SELECT dataeng.cdc_wal_sync();
SELECT paused_at IS NOT NULL AS paused, pause_reason FROM dataeng.on_changes;
SELECT count(*) AS set_aside FROM dataeng.dead_letters;

-- resumed, with a batch that fails committed at once: the worker's round
-- hands 2 and 3 over, then 4 fails and pauses the trigger again
INSERT INTO rp_bad VALUES (4);
BEGIN;
SELECT dataeng.on_change_resume('rp');
INSERT INTO rp_src VALUES (4);
COMMIT;
INSERT INTO rp_src VALUES (5);
SELECT dataeng.cdc_wal_sync();
SELECT string_agg(ids, ' ' ORDER BY call_no) AS handled FROM rp_seen;
SELECT paused_at IS NOT NULL AS paused, resume_requested,
       resume_from = (SELECT min(d.commit_lsn) FROM dataeng.dead_letters d) AS resume_from_the_failed_batch,
       pause_reason ~ '^on_error => ''pause'': the batch of commit [0-9A-F]+/[0-9A-F]+ failed 1 times \(SQLSTATE 22000\)$' AS why
  FROM dataeng.on_changes;
SELECT (SELECT string_agg(c.pk->>'id', ',') FROM unnest(d.changes) c) AS ids, d.sqlstate
  FROM dataeng.dead_letters d ORDER BY d.commit_lsn;

-- the cause gone, resumed: 4 then 5, each once, in commit order
DELETE FROM rp_bad;
SELECT dataeng.on_change_resume('rp');
SELECT wait_for($$SELECT paused_at IS NULL AND NOT resume_requested FROM dataeng.on_changes$$) AS resumed;
INSERT INTO rp_src VALUES (6);
SELECT dataeng.cdc_wal_sync();
SELECT string_agg(ids, ' ' ORDER BY call_no) AS handled FROM rp_seen;
SELECT paused_at IS NOT NULL AS paused, resume_from, pause_reason FROM dataeng.on_changes;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;

SELECT dataeng.on_change_drop('rp');
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE rp_src, rp_seen, rp_bad;
DROP FUNCTION wait_for(text, float8);
