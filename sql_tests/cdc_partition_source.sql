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

SET client_min_messages = warning;
DROP TABLE psrc, psrw;
DROP EXTENSION dataeng CASCADE;
