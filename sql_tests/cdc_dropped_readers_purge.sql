-- The readers recorded at the DROP of a captured table
-- (dataeng_internal.cdc_dropped_readers, see cdc_drop_consumers) go once
-- they are no longer needed: dataeng.cdc_purge() deletes a table's rows
-- when every consumer has acknowledged its last change (or was dropped)
-- and no consumer lists the table.  Before, they were never deleted.  A
-- consumer listing a dropped table its owner could not read names the
-- table by its last name (before: by its OID alone).
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE regress_drp_reader;
CREATE ROLE regress_drp_lost;
CREATE TABLE drp_all (id int PRIMARY KEY);
CREATE TABLE drp_list (id int PRIMARY KEY);
CREATE TABLE drp_kept (id int PRIMARY KEY);
GRANT SELECT ON drp_all, drp_list, drp_kept TO regress_drp_reader, regress_drp_lost;
SELECT dataeng.cdc_enable(t) FROM unnest('{drp_all,drp_list,drp_kept}'::regclass[]) t;
SET ROLE regress_drp_reader;
SELECT dataeng.cdc_consumer_create('drp_all_c');
SELECT dataeng.cdc_consumer_create('drp_list_c', '{drp_list,drp_kept}');
RESET ROLE;
SET ROLE regress_drp_lost;
SELECT dataeng.cdc_consumer_create('drp_lost_c', '{drp_list}');
RESET ROLE;
RESET client_min_messages;

SELECT 'drp_all'::regclass::oid AS all_oid, 'drp_list'::regclass::oid AS list_oid \gset
INSERT INTO drp_all VALUES (1);
INSERT INTO drp_list VALUES (2);
REVOKE SELECT ON drp_list FROM regress_drp_lost;
SET client_min_messages = warning;
DROP TABLE drp_all, drp_list;
RESET client_min_messages;
INSERT INTO drp_kept VALUES (1);
SELECT table_ident, reader::regrole FROM dataeng_internal.cdc_dropped_readers ORDER BY 1, 2;

-- nobody acknowledged anything: the rows stay
SET client_min_messages = warning;
SELECT count(*) >= 0 AS purged FROM dataeng.cdc_purge();
RESET client_min_messages;
SELECT table_ident, reader::regrole FROM dataeng_internal.cdc_dropped_readers ORDER BY 1, 2;

-- the consumer whose owner could not read drp_list: its error names it
SET ROLE regress_drp_lost;
DO $$
DECLARE d text;
BEGIN
  PERFORM dataeng.cdc_poll('drp_lost_c');
EXCEPTION WHEN undefined_table THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RAISE NOTICE '%: %', SQLERRM, regexp_replace(d, 'OID [0-9]+', 'OID N');
END;
$$;
RESET ROLE;

-- the reader's consumers read and acknowledge everything; the consumer
-- of drp_lost still holds the log back: the rows stay
SET ROLE regress_drp_reader;
BEGIN;
SELECT CASE table_name::oid WHEN :all_oid THEN 'drp_all' WHEN :list_oid THEN 'drp_list' ELSE table_name::text END AS tbl, op, pk
  FROM dataeng.cdc_poll('drp_all_c') ORDER BY change_id;
SELECT dataeng.cdc_ack('drp_all_c');
COMMIT;
BEGIN;
SELECT CASE table_name::oid WHEN :all_oid THEN 'drp_all' WHEN :list_oid THEN 'drp_list' ELSE table_name::text END AS tbl, op, pk
  FROM dataeng.cdc_poll('drp_list_c') ORDER BY change_id;
SELECT dataeng.cdc_ack('drp_list_c');
COMMIT;
RESET ROLE;
SET client_min_messages = warning;
SELECT count(*) >= 0 AS purged FROM dataeng.cdc_purge();
RESET client_min_messages;
SELECT table_ident, reader::regrole FROM dataeng_internal.cdc_dropped_readers ORDER BY 1, 2;

-- that consumer dropped: drp_all's rows go; drp_list's stay while
-- drp_list_c lists it (it still polls)
SET ROLE regress_drp_lost;
SELECT dataeng.cdc_consumer_drop('drp_lost_c');
RESET ROLE;
SET client_min_messages = warning;
SELECT count(*) >= 0 AS purged FROM dataeng.cdc_purge();
RESET client_min_messages;
SELECT table_ident, reader::regrole FROM dataeng_internal.cdc_dropped_readers ORDER BY 1, 2;
SET ROLE regress_drp_reader;
SELECT count(*) AS pending FROM dataeng.cdc_poll('drp_list_c');
SELECT dataeng.cdc_consumer_drop('drp_list_c');
RESET ROLE;
SET client_min_messages = warning;
SELECT count(*) >= 0 AS purged FROM dataeng.cdc_purge();
RESET client_min_messages;
SELECT count(*) AS rows_left FROM dataeng_internal.cdc_dropped_readers;

SET client_min_messages = warning;
SELECT dataeng.cdc_consumer_drop('drp_all_c');
DROP TABLE drp_kept;
DROP ROLE regress_drp_reader;
DROP ROLE regress_drp_lost;
DROP EXTENSION dataeng CASCADE;
