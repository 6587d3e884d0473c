-- A database still at 0.1.0 (the library upgraded, ALTER EXTENSION dataeng
-- UPDATE not run yet) refreshes its facts: its dataeng._fact_deltas() is
-- declared with the eight arguments of 0.1.0, without the extremes and
-- distinct values of 0.2.0 (the library once read them anyway, and the
-- server crashed).  Then the update, in the same session, and every area
-- used after it.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng VERSION '0.1.0';
CREATE TABLE bu_orders (id int PRIMARY KEY, customer text, amount numeric, at timestamptz NOT NULL);
SELECT dataeng.cdc_enable('bu_orders');
SELECT dataeng.cdc_consumer_create('bu_copy', ARRAY['bu_orders'::regclass]);
INSERT INTO bu_orders
SELECT g, 'c' || g % 5, g, timestamptz '2026-01-01 00:00+00' + g * interval '1 hour' FROM generate_series(1, 100) g;
SELECT dataeng.fact_create('bu_daily', 'bu_orders', 'at', 'day', '{customer}', '{count(*), sum(amount)}',
                           schedule => NULL);
SELECT dataeng.dimension_create('bu_customer', 'bu_orders', 'id', '{customer}', 2, schedule => NULL);
UPDATE bu_orders SET amount = -amount, customer = 'moved' WHERE id <= 10;
DELETE FROM bu_orders WHERE id > 95;
-- differences between the fact and its GROUP BY (0: equal)
CREATE FUNCTION bu_diff() RETURNS bigint LANGUAGE sql AS $$
  WITH truth AS (SELECT date_trunc('day', at, 'UTC') AS bucket, customer, count(*) AS count, sum(amount) AS sum_amount
                   FROM bu_orders GROUP BY 1, 2)
  SELECT (SELECT count(*) FROM (SELECT bucket, customer, count, sum_amount FROM bu_daily EXCEPT ALL SELECT * FROM truth) a)
       + (SELECT count(*) FROM (SELECT * FROM truth EXCEPT ALL SELECT bucket, customer, count, sum_amount FROM bu_daily) b)
$$;
SELECT dataeng.fact_refresh('bu_daily') > 0 AS refreshed;
SELECT bu_diff() AS diff_at_0_1_0;
SELECT count(*) AS polled FROM dataeng.cdc_poll('bu_copy', 1000);

-- the update, in this session
ALTER EXTENSION dataeng UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'dataeng';
UPDATE bu_orders SET customer = 'late' WHERE id BETWEEN 20 AND 24;
ALTER TABLE bu_orders ADD COLUMN note text;
ALTER TABLE bu_orders RENAME COLUMN note TO remark;
INSERT INTO bu_orders VALUES (200, 'new', 5, '2026-01-02', 'r');
SELECT count(*) AS polled FROM dataeng.cdc_poll('bu_copy', 1000);
SELECT dataeng.cdc_ack('bu_copy', (SELECT max(change_id) FROM dataeng.changes));
SELECT dataeng.fact_refresh('bu_daily') > 0 AS refreshed;
SELECT bu_diff() AS diff_after_update;
SELECT dataeng.dimension_refresh('bu_customer') > 0 AS dimension_refreshed;
SELECT dataeng.fact_create('bu_distinct', 'bu_orders', 'at', 'day', '{}', '{count(*), count(DISTINCT customer)}',
                           schedule => NULL) IS NOT NULL AS created;
UPDATE bu_orders SET customer = 'c1' WHERE id = 30;
SELECT dataeng.fact_refresh('bu_distinct') >= 0 AS refreshed;
SELECT count(*) AS distinct_diff FROM (
  (SELECT bucket, count, count_distinct_customer FROM bu_distinct
   EXCEPT ALL SELECT date_trunc('day', at, 'UTC'), count(*), count(DISTINCT customer) FROM bu_orders GROUP BY 1)
  UNION ALL
  (SELECT date_trunc('day', at, 'UTC'), count(*), count(DISTINCT customer) FROM bu_orders GROUP BY 1
   EXCEPT ALL SELECT bucket, count, count_distinct_customer FROM bu_distinct)) x;
SELECT dataeng.rule_add('bu_orders', 'positive', 'range', 'amount', '{"min": 0}');
SELECT count(*) AS failing FROM dataeng.validate('bu_orders');

DROP FUNCTION bu_diff();
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE bu_orders;
