-- cdc_enable on a table already captured: an option left out keeps its
-- current value.  Changing the columns of a table captured from the WAL
-- (cdc_enable(tbl, exclude_columns => ...)) used to switch it back to
-- trigger capture (method's default), and any call reset changed_only.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE ek (id int PRIMARY KEY, v text, secret text, note text);
CREATE FUNCTION pg_temp.ek_opts()
RETURNS TABLE (columns text[], exclude_columns text[], changed_only boolean, method text)
LANGUAGE sql AS $$
  SELECT t.columns, t.exclude_columns, t.changed_only, t.method
    FROM dataeng.cdc_tables t WHERE t.table_name = 'ek'::regclass
$$;

-- a new table gets the defaults: every column, changed_only false, trigger
SELECT dataeng.cdc_enable('ek');
SELECT * FROM pg_temp.ek_opts();
SELECT dataeng.cdc_enable('ek', exclude_columns => '{secret}', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT * FROM pg_temp.ek_opts();

-- new columns: the method stays 'wal'
SELECT dataeng.cdc_enable('ek', exclude_columns => '{secret,note}');
SELECT * FROM pg_temp.ek_opts();
SELECT dataeng.cdc_wal_sync();
SELECT t.method, t.active_method FROM dataeng.cdc_tables t WHERE t.table_name = 'ek'::regclass;
SELECT count(*) AS capture_triggers FROM pg_trigger
 WHERE tgrelid = 'ek'::regclass AND tgfoid = 'dataeng_internal.capture'::regproc;
INSERT INTO ek VALUES (1, 'a', 'password', 'n');
SELECT dataeng.cdc_wal_sync();
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'ek'::regclass ORDER BY change_id;

-- changed_only alone: the columns and the method stay
SELECT dataeng.cdc_enable('ek', changed_only => true);
SELECT * FROM pg_temp.ek_opts();
-- the method alone: the columns and changed_only stay
SELECT dataeng.cdc_enable('ek', method => 'trigger');
SELECT * FROM pg_temp.ek_opts();
-- columns given replace exclude_columns (they are one choice)
SELECT dataeng.cdc_enable('ek', columns => '{id,v}');
SELECT * FROM pg_temp.ek_opts();
-- exclude_columns => '{}': every column again
SELECT dataeng.cdc_enable('ek', exclude_columns => '{}', changed_only => false);
SELECT * FROM pg_temp.ek_opts();
-- nothing given: nothing changes
SELECT dataeng.cdc_enable('ek', method => 'wal');
SELECT dataeng.cdc_enable('ek');
SELECT * FROM pg_temp.ek_opts();
SELECT dataeng.cdc_wal_sync();
SELECT t.method, t.active_method FROM dataeng.cdc_tables t WHERE t.table_name = 'ek'::regclass;

-- a table disabled and enabled again starts from the defaults
SELECT dataeng.cdc_disable('ek');
SELECT dataeng.cdc_enable('ek');
SELECT * FROM pg_temp.ek_opts();

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
