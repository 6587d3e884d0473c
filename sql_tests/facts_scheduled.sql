-- Facts and dimensions refreshed by the scheduler: fact_create and
-- dimension_create with schedule => '1 second' schedule their refreshes,
-- the job workers apply the changes (nobody else calls a refresh here),
-- and fact_drop / dimension_drop remove the jobs.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

-- (wait_for(condition, seconds): polls a condition, true once it holds)
\i sql_tests/lib/wait_for.sql
SELECT wait_for('SELECT dataeng_internal._scheduler_pid() IS NOT NULL') AS scheduler_running;

CREATE TABLE s_orders (id int PRIMARY KEY, placed_at timestamptz NOT NULL, customer int NOT NULL,
                       amount numeric(10,2));
CREATE TABLE s_customers (id int PRIMARY KEY, name text NOT NULL, city text);
INSERT INTO s_customers SELECT g, 'c' || g, 'city' || g % 3 FROM generate_series(1, 20) g;
INSERT INTO s_orders SELECT g, '2026-03-01 00:00+00'::timestamptz + g * interval '7 hours', 1 + g % 20, g * 1.5
  FROM generate_series(1, 200) g;

SELECT dataeng.fact_create('s_daily', 's_orders', 'placed_at', 'day', ARRAY['customer'],
                           ARRAY['count(*)', 'sum(amount)'], schedule => '1 second');
SELECT dataeng.dimension_create('s_customer_dim', 's_customers', 'id', ARRAY['name', 'city'], 2,
                                schedule => '1 second');

-- equal to the truth: the fact to its GROUP BY, the dimension's current
-- rows to the source
CREATE FUNCTION s_fact_equal() RETURNS boolean LANGUAGE sql AS $$
  SELECT NOT EXISTS (
    (SELECT bucket, customer, count, sum_amount FROM s_daily
     EXCEPT ALL SELECT date_trunc('day', placed_at, 'UTC'), customer, count(*), sum(amount) FROM s_orders GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', placed_at, 'UTC'), customer, count(*), sum(amount) FROM s_orders GROUP BY 1, 2
     EXCEPT ALL SELECT bucket, customer, count, sum_amount FROM s_daily))
$$;
CREATE FUNCTION s_dim_equal() RETURNS boolean LANGUAGE sql AS $$
  SELECT NOT EXISTS (
    (SELECT id, name, city FROM s_customer_dim WHERE is_current EXCEPT ALL SELECT id, name, city FROM s_customers)
    UNION ALL
    (SELECT id, name, city FROM s_customers EXCEPT ALL SELECT id, name, city FROM s_customer_dim WHERE is_current))
$$;

SELECT job_name, schedule, command FROM dataeng.jobs ORDER BY job_name;
SELECT name, schedule FROM dataeng.facts UNION ALL SELECT name, schedule FROM dataeng.dimensions;

-- new orders, refunds (updates and deletes), late orders; customers moving
INSERT INTO s_orders SELECT g, '2026-03-20 00:00+00'::timestamptz + g * interval '1 hour', 1 + g % 20, 10
  FROM generate_series(201, 260) g;
UPDATE s_orders SET amount = -amount WHERE id % 10 = 0;
DELETE FROM s_orders WHERE id % 13 = 0;
INSERT INTO s_orders VALUES (1000, '2026-01-01 12:00+00', 3, 99.99);
UPDATE s_customers SET city = 'moved' WHERE id % 4 = 0;
DELETE FROM s_customers WHERE id = 20;
INSERT INTO s_customers VALUES (21, 'c21', 'new');

-- the scheduler applies them: no one else refreshes here
SELECT wait_for($$SELECT s_fact_equal() AND s_dim_equal()$$) AS scheduler_caught_up;
SELECT total_changes >= 60 + 20 + 20 + 1 AS fact_changes_applied, pending_changes
  FROM dataeng.facts WHERE name = 's_daily';
SELECT total_changes >= 5 + 1 + 1 AS dim_changes_applied FROM dataeng.dimensions WHERE name = 's_customer_dim';
SELECT count(*) FILTER (WHERE NOT is_current) AS closed_versions FROM s_customer_dim;
SELECT job_name, last_success_at IS NOT NULL AS succeeded FROM dataeng.jobs ORDER BY job_name;

-- a second burst, caught up again
UPDATE s_orders SET placed_at = placed_at - interval '3 days' WHERE id % 7 = 0;
UPDATE s_customers SET name = name || '!' WHERE id < 5;
SELECT wait_for($$SELECT s_fact_equal() AND s_dim_equal()$$) AS scheduler_caught_up_again;

-- dropping removes the jobs
SELECT dataeng.fact_drop('s_daily');
SELECT dataeng.dimension_drop('s_customer_dim');
SELECT count(*) AS jobs_left FROM dataeng.jobs WHERE job_name LIKE '%s_daily' OR job_name LIKE '%s_customer_dim';

DROP TABLE s_orders, s_customers;
DROP FUNCTION s_fact_equal, s_dim_equal, wait_for;
DROP EXTENSION dataeng;
