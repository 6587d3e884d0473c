-- Unlogged tables and capture from the WAL: their changes are not written
-- to the WAL, and PostgreSQL refuses them in a publication.  Enabling one
-- with method => 'wal' made the worker fail at each switch (ALTER
-- PUBLICATION ... ADD TABLE), restarting every 10 s, so that no table of
-- the database was captured from the WAL any more; an unlogged partition
-- of a table captured from the WAL had its changes left out.  Now refused.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
SET client_min_messages = notice;

CREATE TABLE wu_logged (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('wu_logged', method => 'wal');
CREATE UNLOGGED TABLE wu_unlogged (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('wu_unlogged', method => 'wal');
-- with its trigger, as any table
SELECT dataeng.cdc_enable('wu_unlogged');
SELECT dataeng.cdc_wal_sync();

-- a partitioned table with an unlogged partition
CREATE TABLE wu_parted (id int, r int, PRIMARY KEY (id, r)) PARTITION BY LIST (r);
CREATE UNLOGGED TABLE wu_parted_1 PARTITION OF wu_parted FOR VALUES IN (1);
SELECT dataeng.cdc_enable('wu_parted', method => 'wal');
DROP TABLE wu_parted_1;
SELECT dataeng.cdc_enable('wu_parted', method => 'wal');
SELECT dataeng.cdc_wal_sync();
-- ... gaining one, or a partition made unlogged
\set VERBOSITY terse
CREATE UNLOGGED TABLE wu_parted_2 PARTITION OF wu_parted FOR VALUES IN (2);
CREATE TABLE wu_parted_3 PARTITION OF wu_parted FOR VALUES IN (3);
ALTER TABLE wu_parted_3 SET UNLOGGED;
CREATE UNLOGGED TABLE wu_parted_4 (id int NOT NULL, r int NOT NULL);
ALTER TABLE wu_parted ATTACH PARTITION wu_parted_4 FOR VALUES IN (4);
-- a table captured from the WAL cannot be made unlogged (PostgreSQL's own
-- refusal for a published table)
ALTER TABLE wu_logged SET UNLOGGED;
\set VERBOSITY default

-- every other table is captured all along
INSERT INTO wu_logged VALUES (1, 'a');
INSERT INTO wu_unlogged VALUES (1, 'a');
INSERT INTO wu_parted VALUES (1, 3);
SELECT dataeng.cdc_wal_sync();
SELECT table_name, method, active_method, capture_error FROM dataeng.cdc_status ORDER BY 1;
SELECT table_name, op, new_row FROM dataeng.changes ORDER BY change_id;

-- a table enabled so before the refusal stays with its trigger, and the
-- worker goes on
UPDATE dataeng.cdc_tables SET method = 'wal' WHERE table_name = 'wu_unlogged'::regclass;
SELECT dataeng.cdc_wal_sync('60 s');
SELECT table_name, method, active_method FROM dataeng.cdc_status ORDER BY 1;
INSERT INTO wu_logged VALUES (2, 'b');
INSERT INTO wu_unlogged VALUES (2, 'b');
SELECT dataeng.cdc_wal_sync();
SELECT table_name, op, new_row FROM dataeng.changes WHERE pk = '{"id": 2}' ORDER BY change_id;

SELECT dataeng.cdc_disable('wu_logged'), dataeng.cdc_disable('wu_parted');
SELECT dataeng.cdc_wal_sync();
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
