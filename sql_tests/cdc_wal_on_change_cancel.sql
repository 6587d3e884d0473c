-- An on_change handler that fails with SQLSTATE 57014 (query_canceled) of
-- its own (RAISE ... USING ERRCODE = 'query_canceled', a remote
-- statement's timeout passed on) has failed like any other: its batch goes
-- to dataeng.dead_letters and capture goes on.  It used to be taken for a
-- cancel of the worker itself: the round ended, the worker restarted and
-- met the same batch again, and no table of the database was captured any
-- more while pipeline_status said ok.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
ALTER SYSTEM SET dataeng.on_change_retries = 0;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
CREATE TABLE occ (id int PRIMARY KEY);
CREATE TABLE occ_other (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('occ', method => 'wal');
SELECT dataeng.cdc_enable('occ_other', method => 'wal');
CREATE FUNCTION occ_sink(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(changes) c WHERE (c.pk->>'id')::int = 2) THEN
    RAISE EXCEPTION 'the sink timed out' USING ERRCODE = 'query_canceled',
      DETAIL = 'The sink took longer than 5 s.', HINT = 'Replay the batch once the sink is back.';
  END IF;
END $$;
SELECT dataeng.cdc_wal_sync();
-- (the worker applies a reload between rounds: each change of a setting
-- is waited for until the worker has read the configuration files since,
-- before anything that needs the new value)
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
SELECT dataeng.on_change('occ_h', 'occ', 'occ_sink(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();

INSERT INTO occ VALUES (1);
INSERT INTO occ VALUES (2);
INSERT INTO occ VALUES (3);
INSERT INTO occ_other VALUES (10);
-- every change is captured, the later ones too, and the other table's
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT table_name, op, pk FROM dataeng.changes ORDER BY change_id;
-- the failing batch is a dead letter with its SQLSTATE, DETAIL and HINT;
-- the trigger goes on
SELECT trigger_name, error, sqlstate, attempts, changes[1].pk
  FROM dataeng.on_change_dead_letters;
SELECT detail, hint FROM dataeng.on_change_dead_letters;
SELECT trigger_name, handled_lsn IS NOT NULL AS handled, paused_at FROM dataeng.on_changes;

SET client_min_messages = warning;
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;
DROP EXTENSION dataeng CASCADE;
DROP FUNCTION wait_for(text, float8);
