-- New capture options (columns, exclude_columns, changed_only) of a table
-- captured from the WAL apply to the changes committed after cdc_enable,
-- as the trigger's do: the worker renders a change with the options of
-- the round that decodes it, a round after its commit, so a change
-- committed before new options got them (a column excluded when it was
-- written was recorded all the same).  The worker is made to sleep
-- between rounds, so that it lags behind each write below.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
ALTER SYSTEM SET dataeng.wal_naptime = '2s';
SELECT pg_reload_conf();

CREATE TABLE wo_trg (id int PRIMARY KEY, v text, secret text);
CREATE TABLE wo_wal (LIKE wo_trg INCLUDING ALL);
SELECT dataeng.cdc_enable('wo_trg', exclude_columns => '{secret}');
SELECT dataeng.cdc_enable('wo_wal', exclude_columns => '{secret}', method => 'wal');
SELECT dataeng.cdc_wal_sync();

-- (each statement commits on its own: the changes of the transaction that
-- changes the options get the new ones)
INSERT INTO wo_trg VALUES (1, 'a', 'password1');
-- every column
SELECT dataeng.cdc_enable('wo_trg', exclude_columns => '{}', method => 'trigger');
INSERT INTO wo_trg VALUES (2, 'b', 'password2');
-- two columns
SELECT dataeng.cdc_enable('wo_trg', columns => '{id,v}', method => 'trigger');
UPDATE wo_trg SET v = v || '!', secret = 'changed';
-- changed columns only, of every column
SELECT dataeng.cdc_enable('wo_trg', exclude_columns => '{}', changed_only => true, method => 'trigger');
UPDATE wo_trg SET v = 'c' WHERE id = 1;
-- trigger capture with other options (the switch decodes what was
-- committed before with the options of its time)
SELECT dataeng.cdc_enable('wo_trg', exclude_columns => '{v}', changed_only => false);
UPDATE wo_trg SET secret = 's3' WHERE id = 2;

INSERT INTO wo_wal VALUES (1, 'a', 'password1');
-- every column
SELECT dataeng.cdc_enable('wo_wal', exclude_columns => '{}', method => 'wal');
INSERT INTO wo_wal VALUES (2, 'b', 'password2');
-- two columns
SELECT dataeng.cdc_enable('wo_wal', columns => '{id,v}', method => 'wal');
UPDATE wo_wal SET v = v || '!', secret = 'changed';
-- changed columns only, of every column
SELECT dataeng.cdc_enable('wo_wal', exclude_columns => '{}', changed_only => true, method => 'wal');
UPDATE wo_wal SET v = 'c' WHERE id = 1;
-- trigger capture with other options (the switch decodes what was
-- committed before with the options of its time)
SELECT dataeng.cdc_enable('wo_wal', exclude_columns => '{v}', changed_only => false, method => 'trigger');
UPDATE wo_wal SET secret = 's3' WHERE id = 2;
SELECT dataeng.cdc_wal_sync();

-- the same records, in the same order
CREATE FUNCTION pg_temp.wo_log(t regclass)
RETURNS TABLE (n bigint, op "char", pk jsonb, old_row jsonb, new_row jsonb)
LANGUAGE sql AS $$
  SELECT row_number() OVER (ORDER BY change_id), op, pk, old_row, new_row
    FROM dataeng.changes WHERE table_name = t ORDER BY change_id
$$;
SELECT * FROM pg_temp.wo_log('wo_wal');
SELECT (SELECT count(*) FROM (SELECT * FROM pg_temp.wo_log('wo_trg') EXCEPT ALL
                              SELECT * FROM pg_temp.wo_log('wo_wal')) x) AS only_trigger,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.wo_log('wo_wal') EXCEPT ALL
                              SELECT * FROM pg_temp.wo_log('wo_trg')) x) AS only_wal;

-- cdc_disable right after a commit: the change is recorded (it was lost)
SELECT dataeng.cdc_enable('wo_trg', exclude_columns => '{}');
INSERT INTO wo_trg VALUES (3, 'last', NULL);
SELECT dataeng.cdc_disable('wo_trg');
SELECT dataeng.cdc_enable('wo_wal', exclude_columns => '{}', method => 'wal');
SELECT dataeng.cdc_wal_sync();
INSERT INTO wo_wal VALUES (3, 'last', NULL);
SELECT dataeng.cdc_disable('wo_wal');
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row FROM dataeng.changes WHERE pk = '{"id": 3}' ORDER BY change_id;

-- new options of a table captured from the WAL take READ COMMITTED
SELECT dataeng.cdc_enable('wo_wal', method => 'wal');
SELECT dataeng.cdc_wal_sync();
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.cdc_enable('wo_wal', exclude_columns => '{secret}', method => 'wal');
ROLLBACK;
-- the same options again need nothing
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.cdc_enable('wo_wal', method => 'wal');
COMMIT;

ALTER SYSTEM RESET dataeng.wal_naptime;
SELECT pg_reload_conf();
SELECT dataeng.cdc_disable('wo_wal');
SELECT dataeng.cdc_wal_sync();
DROP EXTENSION dataeng CASCADE;
