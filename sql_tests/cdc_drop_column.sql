-- ALTER TABLE ... DROP COLUMN takes the column out of the capture options
-- (columns), of the partitions the drop reaches too: a
-- column of that name added later is not captured unasked (it stays in
-- exclude_columns, which leaves such a column out).
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE dcol_dc (id int PRIMARY KEY, a int, k int, s text);
SELECT dataeng.cdc_enable('dcol_dc', columns => '{id,a,k}');
ALTER TABLE dcol_dc DROP COLUMN k;
SELECT columns, exclude_columns FROM dataeng.cdc_tables WHERE table_name = 'dcol_dc'::regclass;
-- a new k is not captured (columns lists the captured ones)
ALTER TABLE dcol_dc ADD COLUMN k int;
SELECT dataeng.cdc_enable('dcol_dc');
SELECT columns FROM dataeng.cdc_tables WHERE table_name = 'dcol_dc'::regclass;
INSERT INTO dcol_dc (id, a, s, k) VALUES (1, 2, 'x', 3);
SELECT op, new_row FROM dataeng_internal.change_log WHERE table_oid = 'dcol_dc'::regclass ORDER BY change_id;

-- exclude_columns: a dropped column stays excluded (a new one of that name too)
CREATE TABLE dcol_de (id int PRIMARY KEY, secret text, v int);
SELECT dataeng.cdc_enable('dcol_de', exclude_columns => '{secret}');
ALTER TABLE dcol_de DROP COLUMN secret;
SELECT columns, exclude_columns FROM dataeng.cdc_tables WHERE table_name = 'dcol_de'::regclass;

-- dropping the last listed column is refused
CREATE TABLE dcol_dl (id int, a int);
SELECT dataeng.cdc_enable('dcol_dl', columns => '{a}');
ALTER TABLE dcol_dl DROP COLUMN a;
SELECT columns FROM dataeng.cdc_tables WHERE table_name = 'dcol_dl'::regclass;
-- a drop of a column not listed leaves the table captured as it was
ALTER TABLE dcol_dl DROP COLUMN id;
SELECT columns FROM dataeng.cdc_tables WHERE table_name = 'dcol_dl'::regclass;

-- a partitioned table: the drop reaches the partition captured on its own
CREATE TABLE dcol_dp (id int PRIMARY KEY, a int, k int) PARTITION BY RANGE (id);
CREATE TABLE dcol_dp_1 PARTITION OF dcol_dp FOR VALUES FROM (0) TO (10);
SELECT dataeng.cdc_enable('dcol_dp', exclude_columns => '{k}');
SELECT dataeng.cdc_enable('dcol_dp_1', columns => '{id,k}');
ALTER TABLE dcol_dp DROP COLUMN k;
SELECT table_name, columns, exclude_columns FROM dataeng.cdc_tables
 WHERE table_name IN ('dcol_dp'::regclass, 'dcol_dp_1'::regclass) ORDER BY 1;

SET client_min_messages = warning;
DROP TABLE dcol_dc, dcol_de, dcol_dl, dcol_dp;
DROP EXTENSION dataeng CASCADE;
