-- A fact on a table captured from the WAL: refreshed from the same change
-- log, it equals the aggregate of its source.
\pset null '(null)'
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
CREATE TABLE wf_sales (id int PRIMARY KEY, ts timestamptz NOT NULL, region text, amount numeric);
INSERT INTO wf_sales SELECT g, timestamptz '2026-03-01 00:00+00' + (g % 5) * interval '1 day',
                            'r' || (g % 3), g * 1.5 FROM generate_series(1, 60) g;
SELECT dataeng.cdc_enable('wf_sales', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_create('wf_daily', 'wf_sales', 'ts', 'day', ARRAY['region'],
  ARRAY['count(*)', 'sum(amount)', 'min(amount)'], schedule => NULL) IS NOT NULL AS created;
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'wf_sales'::regclass;
CREATE VIEW wf_truth AS
  SELECT date_trunc('day', ts, 'UTC') AS bucket, region, count(*) AS count,
         sum(amount) AS sum_amount, min(amount) AS min_amount
    FROM wf_sales GROUP BY 1, 2;
CREATE FUNCTION wf_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM (SELECT bucket, region, count, sum_amount, min_amount FROM wf_daily
                                EXCEPT SELECT * FROM wf_truth) a)
       + (SELECT count(*) FROM (SELECT * FROM wf_truth
                                EXCEPT SELECT bucket, region, count, sum_amount, min_amount FROM wf_daily) b)
$$;
SELECT wf_diff() AS diff_after_create;
-- updates (old rows from the WAL), bucket and group moves, deletes, inserts
UPDATE wf_sales SET amount = amount + 1 WHERE id % 4 = 1;
UPDATE wf_sales SET ts = ts + interval '2 days' WHERE id % 7 = 2;
UPDATE wf_sales SET region = 'r9' WHERE id % 5 = 3;
DELETE FROM wf_sales WHERE id % 6 = 4;
INSERT INTO wf_sales VALUES (100, '2026-04-01 12:00+00', 'r1', 10), (101, '2026-04-01 13:00+00', 'r1', NULL);
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_refresh('wf_daily') > 0 AS applied;
SELECT wf_diff() AS diff_after_refresh;
SELECT dataeng.fact_drop('wf_daily');
SELECT dataeng.cdc_disable('wf_sales');
DROP VIEW wf_truth;
DROP FUNCTION wf_diff();
DROP TABLE wf_sales;
DROP EXTENSION dataeng CASCADE;
