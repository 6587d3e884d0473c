-- A partition's changes are recorded under its topmost captured ancestor,
-- not under its own name: a fact or a dimension built from a partition
-- would miss them (whenever the partitioned table is captured, now or
-- later), so it is refused; and a partition captured on its own takes the
-- method of the captured table above it, or is refused.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';

CREATE TABLE psrc (id int PRIMARY KEY, ts timestamptz NOT NULL, amount numeric) PARTITION BY RANGE (id);
CREATE TABLE psrc_1 PARTITION OF psrc FOR VALUES FROM (0) TO (100);
CREATE TABLE psrc_2 PARTITION OF psrc FOR VALUES FROM (100) TO (200);
INSERT INTO psrc VALUES (1, '2026-03-01', 10), (150, '2026-03-01', 20);

-- the partitioned table not captured: a partition as a source is refused
-- all the same (capturing the table later would divert its changes)
SELECT dataeng.fact_create('psrc_f', 'psrc_1', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL);
SELECT count(*) AS captured FROM dataeng.cdc_tables;

-- captured by trigger: refused, fact and dimension
SELECT dataeng.cdc_enable('psrc');
SELECT dataeng.fact_create('psrc_f', 'psrc_1', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL);
SELECT dataeng.dimension_create('psrc_d', 'psrc_1', 'id', ARRAY['amount'], schedule => NULL);
SELECT table_name FROM dataeng.cdc_tables ORDER BY 1;
-- the fact on the parent counts the partition's rows, written by either name
SELECT dataeng.fact_create('psrc_f', 'psrc', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)', 'sum(amount)'],
                           schedule => NULL) IS NOT NULL AS created;
INSERT INTO psrc_1 VALUES (2, '2026-03-01', 1);
INSERT INTO psrc VALUES (3, '2026-03-01', 2);
SELECT dataeng.fact_refresh('psrc_f') >= 0 AS refreshed;
SELECT count, sum_amount FROM psrc_f;

-- a consumer of a partition would read none of its changes: refused,
-- whether the partition is captured on its own or not
SELECT dataeng.cdc_consumer_create('psrc_c', ARRAY['psrc_2'::regclass]);
SELECT dataeng.cdc_enable('psrc_2');
SELECT dataeng.cdc_consumer_create('psrc_c', ARRAY['psrc_2'::regclass]);
SELECT dataeng.cdc_disable('psrc_2');
SELECT count(*) AS consumers FROM dataeng.cdc_consumers WHERE name = 'psrc_c';

-- a partition captured on its own takes the method of the table above it
SELECT dataeng.cdc_enable('psrc_1', exclude_columns => '{amount}');
SELECT table_name, method FROM dataeng.cdc_tables ORDER BY 1;
SELECT dataeng.cdc_enable('psrc_1', method => 'wal');
-- and the table above cannot move to the WAL while it is captured on its own
SELECT dataeng.cdc_enable('psrc', method => 'wal');
SELECT dataeng.cdc_disable('psrc_1');

-- captured from the WAL: a partition can be captured on its own by no method
CREATE TABLE psrw (id int PRIMARY KEY, ts timestamptz NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE psrw_1 PARTITION OF psrw FOR VALUES FROM (0) TO (100);
SELECT dataeng.cdc_enable('psrw', method => 'wal');
SELECT dataeng.cdc_enable('psrw_1');
SELECT dataeng.cdc_enable('psrw_1', method => 'trigger');
SELECT table_name, method FROM dataeng.cdc_tables ORDER BY 1;
SELECT dataeng.fact_create('psrw_f', 'psrw_1', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL);


-- ATTACH under a captured table of a table whose changes are read under
-- its own name: from then on they would be recorded under the captured
-- table, and what read them would silently receive none: refused, naming
-- the reader, at any level (the table attached, a partition below it; the
-- partitioned table altered or a table above it captured)
CREATE TABLE psrc_3 (id int PRIMARY KEY, ts timestamptz NOT NULL, amount numeric);
INSERT INTO psrc_3 VALUES (201, '2026-03-02', 5);
SELECT dataeng.fact_create('psrc_3f', 'psrc_3', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
ALTER TABLE psrc ATTACH PARTITION psrc_3 FOR VALUES FROM (200) TO (300);
SELECT dataeng.fact_drop('psrc_3f');
SELECT dataeng.dimension_create('psrc_3d', 'psrc_3', 'id', ARRAY['amount'], schedule => NULL);
ALTER TABLE psrc ATTACH PARTITION psrc_3 FOR VALUES FROM (200) TO (300);
SELECT dataeng.dimension_drop('psrc_3d');
SELECT dataeng.cdc_consumer_create('psrc_3c', ARRAY['psrc_3'::regclass]);
ALTER TABLE psrc ATTACH PARTITION psrc_3 FOR VALUES FROM (200) TO (300);
SELECT dataeng.cdc_consumer_drop('psrc_3c');
-- captured on its own (as fact_create left it)
ALTER TABLE psrc ATTACH PARTITION psrc_3 FOR VALUES FROM (200) TO (300);
-- a partition below the table attached, under a partitioned table that is
-- not captured itself but has a captured table above it (attaching it
-- where no table above is captured changes nothing: allowed)
CREATE TABLE psrc_4 (id int NOT NULL, ts timestamptz NOT NULL, amount numeric) PARTITION BY RANGE (id);
ALTER TABLE psrc ATTACH PARTITION psrc_4 FOR VALUES FROM (200) TO (400);
CREATE TABLE psrc_5 (id int NOT NULL, ts timestamptz NOT NULL, amount numeric) PARTITION BY RANGE (id);
ALTER TABLE psrc_5 ATTACH PARTITION psrc_3 FOR VALUES FROM (200) TO (300);
ALTER TABLE psrc_4 ATTACH PARTITION psrc_5 FOR VALUES FROM (200) TO (300);
SELECT c.relname, c.relispartition FROM pg_class c
 WHERE c.relname IN ('psrc_3', 'psrc_5') ORDER BY 1;
-- the way round: stop capturing it on its own; its rows are then recorded
-- under psrc, and the fact on psrc counts them
SELECT dataeng.cdc_disable('psrc_3');
ALTER TABLE psrc_4 ATTACH PARTITION psrc_5 FOR VALUES FROM (200) TO (300);
SELECT dataeng.fact_refresh('psrc_f') >= 0 AS refreshed;
SELECT count, sum_amount FROM psrc_f ORDER BY 1;

-- cdc_enable of a table above partitions whose changes are read under
-- their own names: refused the same way (the way round: as above)
CREATE TABLE pnew (id int PRIMARY KEY, ts timestamptz NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE pnew_m PARTITION OF pnew FOR VALUES FROM (0) TO (100) PARTITION BY RANGE (id);
CREATE TABLE pnew_1 PARTITION OF pnew_m FOR VALUES FROM (0) TO (50);
SELECT dataeng.cdc_enable('pnew_1');
SELECT dataeng.cdc_enable('pnew');
SELECT dataeng.cdc_enable('pnew_m');
SELECT dataeng.cdc_consumer_create('pnew_c', ARRAY['pnew_1'::regclass]);
SELECT dataeng.cdc_enable('pnew');
SELECT dataeng.cdc_consumer_drop('pnew_c');
SELECT dataeng.cdc_disable('pnew_1');
-- a consumer of a role the table's owner is not a member of: not named
CREATE ROLE regress_psrc_owner;
CREATE ROLE regress_psrc_reader;
ALTER TABLE pnew OWNER TO regress_psrc_owner;
-- (its partitions too: cdc_enable() installs triggers on them)
ALTER TABLE pnew_m OWNER TO regress_psrc_owner;
ALTER TABLE pnew_1 OWNER TO regress_psrc_owner;
GRANT SELECT ON pnew_1 TO regress_psrc_reader;
SET ROLE regress_psrc_reader;
SELECT dataeng.cdc_consumer_create('pnew_other', ARRAY['pnew_1'::regclass]);
SET ROLE regress_psrc_owner;
SELECT dataeng.cdc_enable('pnew');
RESET ROLE;
SELECT dataeng.cdc_consumer_drop('pnew_other');
-- a fact made on a table before it was attached to pnew (no captured
-- table above it then)
CREATE TABLE pnew_2 (id int PRIMARY KEY, ts timestamptz NOT NULL);
SELECT dataeng.fact_create('pnew_2f', 'pnew_2', 'ts', 'day', ARRAY[]::text[], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
ALTER TABLE pnew ATTACH PARTITION pnew_2 FOR VALUES FROM (100) TO (200);
SELECT dataeng.cdc_enable('pnew');
SELECT dataeng.fact_drop('pnew_2f');
SELECT dataeng.cdc_enable('pnew');
SELECT dataeng.cdc_disable('pnew_2');
SELECT dataeng.cdc_enable('pnew');
SELECT table_name FROM dataeng.cdc_tables WHERE table_name::text LIKE 'pnew%' ORDER BY 1;
-- captured: a partition captured on its own below it later, and the
-- table's options changed, are as before
SELECT dataeng.cdc_enable('pnew_1');
SELECT dataeng.cdc_enable('pnew', changed_only => true);
SELECT dataeng.cdc_enable('pnew_m');
SELECT table_name, changed_only FROM dataeng.cdc_tables WHERE table_name::text LIKE 'pnew%' ORDER BY 1;

-- DETACH: the detached table's rows (every leaf's) are deletes of psrc (its fact keeps
-- matching), and its later writes are no longer psrc's changes; readers of
-- psrc miss nothing that is still in psrc.  The detached table is then a
-- table of its own: captured on its own, it can be read.
ALTER TABLE psrc_4 DETACH PARTITION psrc_5;
INSERT INTO psrc_3 VALUES (202, '2026-03-02', 7);
SELECT dataeng.fact_refresh('psrc_f') >= 0 AS refreshed;
SELECT count, sum_amount FROM psrc_f;
SELECT count(*) AS rows, sum(amount) FROM psrc;
SELECT count(*) AS psrc_changes_after FROM dataeng.changes
 WHERE table_name = 'psrc'::regclass AND (coalesce(new_row, old_row)->>'id')::int = 202;
SELECT dataeng.cdc_enable('psrc_3');
SELECT dataeng.cdc_consumer_create('psrc_3c', ARRAY['psrc_3'::regclass]);
UPDATE psrc_3 SET amount = 8 WHERE id = 202;
SELECT op, pk FROM dataeng.cdc_poll('psrc_3c');

SET client_min_messages = warning;
DROP TABLE psrc, psrw, psrc_5, pnew;
DROP ROLE regress_psrc_owner, regress_psrc_reader;
DROP EXTENSION dataeng CASCADE;
