-- A DROP of a table captured from the WAL describes it for the worker
-- (dataeng_internal.cdc_wal_dropped, and a logical message) only when its
-- transaction may have changes of it that its commit publishes: rows
-- written, or a TRUNCATE.  An ACCESS EXCLUSIVE lock alone is none: LOCK
-- TABLE, or the DROP before of a table whose foreign key references it or
-- of its partition, takes it; such a DROP added a description and a
-- message the worker then read for nothing (src/cdc/ddl.c, changed_here).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
CREATE TABLE wdu_ref (id int PRIMARY KEY);
CREATE TABLE wdu_child (id int PRIMARY KEY, ref int REFERENCES wdu_ref);
CREATE TABLE wdu_locked (id int PRIMARY KEY);
CREATE TABLE wdu_parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE wdu_parted_1 PARTITION OF wdu_parted FOR VALUES FROM (0) TO (10);
CREATE TABLE wdu_trunc (id int PRIMARY KEY);
CREATE TABLE wdu_other (id int PRIMARY KEY);
SELECT dataeng.cdc_enable(t, method => 'wal') IS NOT NULL AS enabled
  FROM unnest(ARRAY['wdu_ref', 'wdu_locked', 'wdu_parted', 'wdu_trunc', 'wdu_other']) t;
INSERT INTO wdu_ref VALUES (1);
INSERT INTO wdu_locked VALUES (1);
INSERT INTO wdu_parted VALUES (1);
INSERT INTO wdu_trunc VALUES (1);
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT 'wdu_trunc'::regclass::oid AS trunc_oid \gset

-- the referencing table dropped first, then the table
BEGIN;
DROP TABLE wdu_child;
DROP TABLE wdu_ref;
SELECT count(*) AS descriptions FROM dataeng_internal.cdc_wal_dropped;
COMMIT;
-- LOCK TABLE, then the DROP
BEGIN;
LOCK TABLE wdu_locked;
DROP TABLE wdu_locked;
SELECT count(*) AS descriptions FROM dataeng_internal.cdc_wal_dropped;
COMMIT;
-- a partition dropped first, then the partitioned table
BEGIN;
DROP TABLE wdu_parted_1;
DROP TABLE wdu_parted;
SELECT count(*) AS descriptions FROM dataeng_internal.cdc_wal_dropped;
COMMIT;
-- a TRUNCATE is a change: described, and recorded (with a row of another
-- table in the transaction)
BEGIN;
INSERT INTO wdu_other VALUES (1);
TRUNCATE wdu_trunc;
DROP TABLE wdu_trunc;
SELECT count(*) AS descriptions FROM dataeng_internal.cdc_wal_dropped;
COMMIT;
SELECT dataeng.cdc_wal_sync() AS synced;
SELECT op FROM dataeng_internal.change_log WHERE table_oid = :trunc_oid ORDER BY change_id;
SELECT count(*) AS descriptions_left FROM dataeng_internal.cdc_wal_dropped;


-- the last table captured from the WAL, written and dropped: the worker
-- records the transaction before it leaves (before, it left at once and
-- dropped its slot: the changes were lost)
SELECT 'wdu_other'::regclass::oid AS other_oid \gset
BEGIN;
INSERT INTO wdu_other VALUES (2);
DROP TABLE wdu_other;
COMMIT;
SELECT wait_for($$SELECT count(*) = 2 FROM dataeng_internal.change_log WHERE table_oid = $$ || :other_oid, 60)
  AS recorded;
SELECT op, new_row FROM dataeng_internal.change_log WHERE table_oid = :other_oid ORDER BY change_id;
SELECT wait_for($$SELECT count(*) = 0 FROM dataeng_internal.cdc_wal_dropped$$, 60) AS descriptions_gone;

SET client_min_messages = warning;
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
