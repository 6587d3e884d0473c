-- CDC: ALTER TABLE ... ATTACH PARTITION makes the partition's rows rows of
-- the captured partitioned table, DETACH PARTITION takes them away: both
-- are recorded in the statement's transaction, as inserts and deletes of
-- the captured table, so that a consumer's replica and a fact built from
-- the changes keep matching the table.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
SET TimeZone = 'UTC';
\i sql_tests/lib/fact_diff.sql

CREATE TABLE pa_sales (id int, region text, ts timestamptz NOT NULL, amount numeric,
                       PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE pa_sales_r1 PARTITION OF pa_sales FOR VALUES IN ('r1');
CREATE TABLE pa_sales_r2 PARTITION OF pa_sales FOR VALUES IN ('r2');
INSERT INTO pa_sales SELECT g, 'r' || (1 + g % 2), timestamptz '2026-03-01 00:00+00' + (g % 3) * interval '1 day', g
  FROM generate_series(1, 6) g;
SELECT dataeng.cdc_enable('pa_sales');
SELECT dataeng.cdc_consumer_create('pa_c', '{pa_sales}');
SELECT dataeng.fact_create('pa_daily', 'pa_sales', 'ts', 'day', ARRAY['region'],
  ARRAY['count(*)', 'sum(amount)'], schedule => NULL) IS NOT NULL AS created;
CREATE VIEW pa_truth AS
  SELECT date_trunc('day', ts, 'UTC') AS bucket, region, count(*) AS count, sum(amount) AS sum_amount
    FROM pa_sales GROUP BY 1, 2;
-- a consumer's replica of pa_sales, kept by applying its polls
CREATE TABLE pa_replica (LIKE pa_sales);
INSERT INTO pa_replica SELECT * FROM pa_sales;
CREATE FUNCTION pa_apply() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  c record;
  n bigint := 0;
BEGIN
  FOR c IN SELECT * FROM dataeng.cdc_poll('pa_c', 100000) ORDER BY position LOOP
    IF c.op IN ('D', 'U') THEN
      DELETE FROM pa_replica r WHERE r.id = (c.pk->>'id')::int AND r.region = c.pk->>'region';
    END IF;
    IF c.op IN ('I', 'U') THEN
      INSERT INTO pa_replica SELECT * FROM jsonb_populate_record(NULL::pa_replica, c.new_row);
    END IF;
    IF c.op = 'T' THEN
      RAISE EXCEPTION 'unexpected truncate';
    END IF;
    n := n + 1;
  END LOOP;
  PERFORM dataeng.cdc_ack('pa_c');
  RETURN n;
END $$;
CREATE FUNCTION pa_replica_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM ((SELECT * FROM pa_sales EXCEPT ALL SELECT * FROM pa_replica)
                        UNION ALL (SELECT * FROM pa_replica EXCEPT ALL SELECT * FROM pa_sales)) x
$$;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_start;

-- ATTACH of a table holding rows: its rows are inserts of pa_sales
CREATE TABLE pa_sales_r3 (LIKE pa_sales INCLUDING ALL);
INSERT INTO pa_sales_r3 VALUES (10, 'r3', '2026-03-01 10:00+00', 100), (11, 'r3', '2026-03-02 10:00+00', 110),
                               (12, 'r3', '2026-03-02 11:00+00', 120);
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r3 FOR VALUES IN ('r3');
SELECT table_name, op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 'pa_sales'::regclass ORDER BY change_id;
SELECT dataeng.fact_refresh('pa_daily') > 0 AS refreshed;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_after_attach;
SELECT count, sum_amount FROM pa_daily WHERE region = 'r3' ORDER BY bucket;
BEGIN;
SELECT pa_apply() AS applied;
COMMIT;
SELECT pa_replica_diff() AS replica_diff_after_attach;
-- writes to the attached partition are captured under pa_sales from now on
UPDATE pa_sales_r3 SET amount = amount + 1 WHERE id = 10;
INSERT INTO pa_sales VALUES (13, 'r3', '2026-03-03 10:00+00', 130);

-- DETACH: the partition's rows (as they are now) are deletes of pa_sales
ALTER TABLE pa_sales DETACH PARTITION pa_sales_r3;
SELECT op, pk, old_row, new_row FROM dataeng.changes
 WHERE table_name = 'pa_sales'::regclass AND op = 'D' ORDER BY change_id;
SELECT dataeng.fact_refresh('pa_daily') > 0 AS refreshed;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_after_detach;
SELECT count(*) AS r3_groups FROM pa_daily WHERE region = 'r3' AND count > 0;
BEGIN;
SELECT pa_apply() AS applied;
COMMIT;
SELECT pa_replica_diff() AS replica_diff_after_detach;
-- the detached table is no longer captured
SELECT count(*) AS before FROM dataeng.changes \gset
INSERT INTO pa_sales_r3 VALUES (14, 'r3', '2026-03-03 10:00+00', 140);
SELECT count(*) - :before AS new_changes FROM dataeng.changes;

-- an ATTACH rolled back records nothing
SELECT count(*) AS before FROM dataeng.changes \gset
BEGIN;
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r3 FOR VALUES IN ('r3');
ROLLBACK;
SELECT count(*) - :before AS new_changes FROM dataeng.changes;
-- an empty partition: nothing to record, no NOTICE
CREATE TABLE pa_sales_r4 (LIKE pa_sales INCLUDING ALL);
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r4 FOR VALUES IN ('r4');
ALTER TABLE pa_sales DETACH PARTITION pa_sales_r4;
SELECT count(*) - :before AS new_changes FROM dataeng.changes;
-- rows written to the table and attached in one transaction: inserts of
-- the table before it was attached are not the partitioned table's, they
-- are recorded by the ATTACH
BEGIN;
INSERT INTO pa_sales_r4 VALUES (40, 'r4', '2026-03-05 10:00+00', 400);
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r4 FOR VALUES IN ('r4');
UPDATE pa_sales SET amount = 401 WHERE id = 40;
COMMIT;
SELECT op, pk, old_row->>'amount' AS old_amount, new_row->>'amount' AS new_amount FROM dataeng.changes
 WHERE table_name = 'pa_sales'::regclass AND pk->>'region' = 'r4' ORDER BY change_id;

-- A partition that is itself partitioned, with a sub-partition captured on
-- its own and read by a consumer: refused (from then on its changes would
-- be pa_sales's, and the consumer would hear none of them: see docs/cdc.md,
-- sql_tests/cdc_partition_source.sql)
CREATE TABLE pa_sales_r5 (LIKE pa_sales INCLUDING ALL) PARTITION BY RANGE (id);
CREATE TABLE pa_sales_r5a PARTITION OF pa_sales_r5 FOR VALUES FROM (0) TO (100);
CREATE TABLE pa_sales_r5b PARTITION OF pa_sales_r5 FOR VALUES FROM (100) TO (200);
INSERT INTO pa_sales_r5 VALUES (50, 'r5', '2026-03-01 10:00+00', 500), (150, 'r5', '2026-03-02 10:00+00', 1500);
SELECT dataeng.cdc_enable('pa_sales_r5b', exclude_columns => '{amount}');
SELECT dataeng.cdc_consumer_create('pa_c5b', '{pa_sales_r5b}');
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r5 FOR VALUES IN ('r5');
SELECT dataeng.cdc_consumer_drop('pa_c5b');
SELECT dataeng.cdc_disable('pa_sales_r5b');
-- every leaf's rows, under pa_sales, with pa_sales's options
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r5 FOR VALUES IN ('r5');
SELECT table_name, op, pk, new_row FROM dataeng.changes
 WHERE pk->>'region' = 'r5' ORDER BY change_id;
-- the sub-partition captured on its own again once attached, with other
-- options: its changes are pa_sales's, with its options
SELECT dataeng.cdc_enable('pa_sales_r5b', exclude_columns => '{amount}');
SELECT dataeng.fact_refresh('pa_daily') > 0 AS refreshed;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_after_subtree;
-- detaching the subtree: every leaf's rows are deletes of pa_sales, with
-- the options each leaf's capture triggers use (its own for the captured
-- one); the captured sub-partition is recorded under its own name again
-- from then on, and can be read
SELECT count(*) AS before FROM dataeng.changes \gset
ALTER TABLE pa_sales DETACH PARTITION pa_sales_r5;
SELECT table_name, op, pk, old_row FROM dataeng.changes
 WHERE pk->>'region' = 'r5' AND op = 'D' ORDER BY change_id;
SELECT dataeng.cdc_consumer_create('pa_c5b', '{pa_sales_r5b}');
UPDATE pa_sales_r5b SET amount = amount + 1;
SELECT table_name, op, pk FROM dataeng.changes WHERE pk->>'region' = 'r5' AND op = 'U' ORDER BY change_id;
SELECT op, pk, new_row FROM dataeng.cdc_poll('pa_c5b');
SELECT dataeng.fact_refresh('pa_daily') > 0 AS refreshed;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_after_subtree_detach;

-- A partition attached to a partition that is not captured, below the
-- captured table: recorded under the topmost captured table
CREATE TABLE pa_sales_r6 (LIKE pa_sales INCLUDING ALL) PARTITION BY RANGE (id);
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r6 FOR VALUES IN ('r6');
CREATE TABLE pa_sales_r6a (LIKE pa_sales INCLUDING ALL);
INSERT INTO pa_sales_r6a VALUES (60, 'r6', '2026-03-04 10:00+00', 600);
ALTER TABLE pa_sales_r6 ATTACH PARTITION pa_sales_r6a FOR VALUES FROM (0) TO (100);
SELECT table_name, op, pk FROM dataeng.changes WHERE pk->>'region' = 'r6' ORDER BY change_id;

-- DETACH ... CONCURRENTLY (two transactions): recorded in the second
ALTER TABLE pa_sales DETACH PARTITION pa_sales_r6 CONCURRENTLY;
SELECT table_name, op, pk FROM dataeng.changes WHERE pk->>'region' = 'r6' ORDER BY change_id;
SELECT dataeng.fact_refresh('pa_daily') > 0 AS refreshed;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_after_concurrently;
BEGIN;
SELECT pa_apply() > 0 AS applied;
COMMIT;
SELECT pa_replica_diff() AS replica_diff_at_end;

-- The partition is found by the name the statement gave: two partitions
-- of that name in two schemas, named without schema, are refused rather
-- than guessed (no change recorded, nothing attached); with the schema,
-- the right one is recorded.
CREATE SCHEMA pa_x;
CREATE SCHEMA pa_y;
CREATE TABLE pa_x.pa_sales_r7 (LIKE pa_sales INCLUDING ALL);
ALTER TABLE pa_sales ATTACH PARTITION pa_x.pa_sales_r7 FOR VALUES IN ('r7');
CREATE TABLE pa_y.pa_sales_r7 (LIKE pa_sales INCLUDING ALL);
INSERT INTO pa_y.pa_sales_r7 VALUES (80, 'r8', '2026-03-06 10:00+00', 800);
SET search_path = pa_y, public;
ALTER TABLE pa_sales ATTACH PARTITION pa_sales_r7 FOR VALUES IN ('r8');
SELECT count(*) AS attached FROM pg_inherits WHERE inhrelid = 'pa_y.pa_sales_r7'::regclass;
ALTER TABLE pa_sales ATTACH PARTITION pa_y.pa_sales_r7 FOR VALUES IN ('r8');
-- detached by its bare name: the other one is still a partition
ALTER TABLE pa_sales DETACH PARTITION pa_sales_r7;
RESET search_path;
SELECT op, pk FROM dataeng.changes WHERE pk->>'region' = 'r8' ORDER BY change_id;
SELECT dataeng.fact_refresh('pa_daily') > 0 AS refreshed;
SELECT fact_diff('pa_daily', 'SELECT * FROM pa_truth') AS fact_diff_after_schemas;
DROP SCHEMA pa_x, pa_y CASCADE;

-- Whose rights: the rows are rendered as the owner of the partitioned
-- table, restricted, never as the extension's owner the event trigger
-- runs as.  A type whose cast to json (which to_jsonb uses) says who
-- rendered it.
CREATE ROLE regress_pa_owner;
CREATE SCHEMA pa_s AUTHORIZATION regress_pa_owner;
SET ROLE regress_pa_owner;
CREATE TYPE pa_s.who AS ENUM ('x');
CREATE FUNCTION pa_s.who_json(pa_s.who) RETURNS json LANGUAGE sql
  AS $$ SELECT pg_catalog.to_json(current_user::text || ':' || pg_catalog.current_setting('search_path')) $$;
CREATE CAST (pa_s.who AS json) WITH FUNCTION pa_s.who_json(pa_s.who);
CREATE TABLE pa_s.t (id int PRIMARY KEY, w pa_s.who) PARTITION BY RANGE (id);
CREATE TABLE pa_s.t1 (id int PRIMARY KEY, w pa_s.who);
INSERT INTO pa_s.t1 VALUES (1, 'x');
SELECT dataeng.cdc_enable('pa_s.t');
RESET ROLE;
-- the superuser attaches: the row is rendered by regress_pa_owner
ALTER TABLE pa_s.t ATTACH PARTITION pa_s.t1 FOR VALUES FROM (0) TO (10);
SELECT op, new_row FROM dataeng.changes WHERE table_name = 'pa_s.t'::regclass ORDER BY change_id;
ALTER TABLE pa_s.t DETACH PARTITION pa_s.t1;
SELECT op, old_row FROM dataeng.changes WHERE table_name = 'pa_s.t'::regclass ORDER BY change_id;

-- _cdc_reader_lock (PUBLIC): with SELECT alone, a captured table only
-- (its lock holds off VACUUM and schema changes of the table)
CREATE ROLE regress_pa_reader;
CREATE TABLE pa_lock_free (id int);
CREATE TABLE pa_lock_cap (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('pa_lock_cap');
GRANT SELECT ON pa_lock_free, pa_lock_cap TO regress_pa_reader;
SET ROLE regress_pa_reader;
BEGIN;
SELECT dataeng_internal._cdc_reader_lock('pa_lock_cap', false);
SELECT mode FROM pg_locks WHERE relation = 'pa_lock_cap'::regclass AND pid = pg_backend_pid() ORDER BY mode;
COMMIT;
SELECT dataeng_internal._cdc_reader_lock('pa_lock_free', false);
SELECT dataeng_internal._cdc_reader_lock('pa_lock_cap', true);
RESET ROLE;
DROP TABLE pa_lock_free, pa_lock_cap;
DROP ROLE regress_pa_reader;

-- clean up
SELECT dataeng.fact_drop('pa_daily');
SELECT dataeng.cdc_consumer_drop('pa_c');
SELECT dataeng.cdc_consumer_drop('pa_c5b');
DROP SCHEMA pa_s CASCADE;
DROP ROLE regress_pa_owner;
DROP VIEW pa_truth;
DROP TABLE pa_sales, pa_sales_r3, pa_sales_r4, pa_sales_r5, pa_sales_r6, pa_replica;
DROP FUNCTION pa_apply(), pa_replica_diff(), fact_diff(regclass, text);
DROP EXTENSION dataeng CASCADE;
