-- An on_change trigger recorded in another catalog (pg_upgrade, a
-- restore: here made by hand) whose handler's name no function has there
-- is not bound to a function another role makes later under that name:
-- the handler runs as the trigger's creator, so that role's code would
-- run with the creator's rights.  Its batches go to dead letters as for
-- a dropped handler; a function of the name owned by the creator is taken.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
ALTER SYSTEM SET dataeng.on_change_retries = 0;
\i sql_tests/lib/wait_for.sql
SELECT clock_timestamp() AS conf_changed \gset
SELECT pg_reload_conf();

CREATE TABLE ocr (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('ocr', method => 'wal');
CREATE ROLE regress_ocr_creator;
CREATE ROLE regress_ocr_other;
GRANT USAGE ON SCHEMA dataeng TO regress_ocr_creator, regress_ocr_other;
CREATE SCHEMA ocr_s;
GRANT CREATE, USAGE ON SCHEMA ocr_s TO regress_ocr_creator, regress_ocr_other;
GRANT SELECT ON ocr TO regress_ocr_creator;
CREATE TABLE ocr_out (fn text, who text);
GRANT INSERT ON ocr_out TO regress_ocr_creator, regress_ocr_other;
SET ROLE regress_ocr_creator;
CREATE FUNCTION ocr_s.h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ocr_out VALUES ('h', current_user);
END $$;
SELECT dataeng.on_change('ocr_t', 'ocr', 'ocr_s.h(dataeng.change[])');
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SELECT wait_for(format('SELECT dataeng_internal._cdc_wal_conf_read() > %L', :'conf_changed')) AS worker_read_conf;

-- as restored from another cluster where the handler was dropped
UPDATE dataeng_internal.on_change_triggers
   SET handler = 4000000000, handler_catalog = 'another/1', handler_name = 'ocr_s.gone(dataeng.change[])';
-- another role makes a function of that name
SET ROLE regress_ocr_other;
CREATE FUNCTION ocr_s.gone(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ocr_out VALUES ('impostor', current_user);
END $$;
ALTER FUNCTION ocr_s.gone(dataeng.change[]) SET work_mem = '1MB';
RESET ROLE;
-- not bound to it
SELECT handler = 4000000000 AS not_bound, handler_catalog = 'another/1' AS elsewhere
  FROM dataeng_internal.on_change_triggers;
INSERT INTO ocr VALUES (1);
SELECT dataeng.cdc_wal_sync();
SELECT fn, who FROM ocr_out;
SELECT trigger_name, sqlstate FROM dataeng.dead_letters ORDER BY id;
DELETE FROM dataeng.dead_letters;

-- the creator's function of that name is taken
DROP FUNCTION ocr_s.gone(dataeng.change[]);
SET ROLE regress_ocr_creator;
CREATE FUNCTION ocr_s.gone(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.ocr_out VALUES ('gone', current_user);
END $$;
RESET ROLE;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT handler = 'ocr_s.gone(dataeng.change[])'::regprocedure AS bound,
       handler_catalog = dataeng_internal._catalog_id() AS here
  FROM dataeng_internal.on_change_triggers;
INSERT INTO ocr VALUES (2);
SELECT dataeng.cdc_wal_sync();
SELECT fn, who FROM ocr_out ORDER BY fn;

SELECT dataeng.on_change_drop('ocr_t');
SELECT dataeng.cdc_disable('ocr');
DROP TABLE ocr, ocr_out;
DROP SCHEMA ocr_s CASCADE;
DROP FUNCTION wait_for(text, float8);
ALTER SYSTEM RESET dataeng.on_change_retries;
SELECT pg_reload_conf();
DROP EXTENSION dataeng CASCADE;
DROP ROLE regress_ocr_creator, regress_ocr_other;
