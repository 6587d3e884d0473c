-- Operations: lineage from the catalogs (true after a rename and a drop),
-- lineage_dot, and what a low-privilege role sees of the status, alerts
-- and lineage (its own objects and the tables it may read, nothing else).
\set VERBOSITY terse
CREATE EXTENSION dataeng;
\pset null '(null)'

CREATE TABLE orders (id int PRIMARY KEY, customer text, amount numeric, at timestamptz NOT NULL DEFAULT now());
SELECT dataeng.cdc_enable('orders');
SELECT dataeng.cdc_consumer_create('copy', ARRAY['orders'::regclass]);
SELECT dataeng.fact_create('daily', 'orders', 'at', 'day', '{customer}', '{count(*), sum(amount)}', schedule => '@yearly');
SELECT dataeng.dimension_create('customer_dim', 'orders', 'id', '{customer}', 1, schedule => NULL);
SELECT dataeng.rule_add('orders', 'positive', 'range', 'amount', '{"min": 0}');
SELECT dataeng.guard_enable('orders', 'reject');
SELECT dataeng.monitor_create('orders_fresh', 'orders', 'at', max_silence => '1 hour', schedule => '@yearly');
SELECT dataeng.schedule('report', '@yearly', 'SELECT 1', depends_on => '{fact_refresh:daily}') > 0 AS scheduled;
INSERT INTO orders VALUES (1, 'a', 5), (2, 'a', 5), (3, 'b', 7);
SELECT count(*) FROM dataeng.validate('orders');

SELECT * FROM dataeng.lineage ORDER BY from_kind, from_object, to_kind, to_object;

-- renamed: the lineage follows (names come from the catalogs)
ALTER TABLE orders RENAME TO sales;
ALTER TABLE daily RENAME TO daily_sales;
SELECT from_object, from_kind, to_object, to_kind FROM dataeng.lineage
 WHERE 'public.sales' IN (from_object, to_object) OR 'public.daily_sales' IN (from_object, to_object)
 ORDER BY 2, 1, 4, 3;
SELECT count(*) AS old_names FROM dataeng.lineage WHERE 'public.orders' IN (from_object, to_object)
                                                     OR 'public.daily' IN (from_object, to_object);

-- the fact dropped: its consumer, table, job and edges are gone
SELECT dataeng.unschedule('report');
SELECT dataeng.fact_drop('daily');
SELECT count(*) AS fact_edges FROM dataeng.lineage WHERE 'daily' IN (from_object, to_object)
                                                      OR 'fact:daily' IN (from_object, to_object);
SELECT from_object, from_kind, to_object, to_kind, relation FROM dataeng.lineage ORDER BY 2, 1, 4, 3;

-- a fact's source dropped: no edge from its oid (a bare number was drawn
-- as a table); the fact's own edges stay until it is dropped
CREATE TABLE "Src ""q"" T" (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), k text);
SELECT dataeng.fact_create('"Daily Q"', '"Src ""q"" T"', 'at', 'day', '{k}', '{count(*)}', schedule => NULL);
SELECT from_object, from_kind, to_object, to_kind, relation FROM dataeng.lineage
 WHERE from_kind = 'fact' OR to_kind = 'fact' ORDER BY 2, 1, 4, 3;
DROP TABLE "Src ""q"" T";
SELECT from_object, from_kind, to_object, to_kind, relation FROM dataeng.lineage
 WHERE from_kind = 'fact' OR to_kind = 'fact' ORDER BY 2, 1, 4, 3;
SELECT count(*) AS bare_oids FROM dataeng.lineage WHERE from_object ~ '^[0-9]+$' OR to_object ~ '^[0-9]+$';
SELECT dataeng.fact_drop('"Daily Q"');

-- DOT: every node once, coloured by its state; the part reachable from a root
SELECT dataeng.lineage_dot();
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', '1');
-- (consumers' lag is measured by maintenance)
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT dataeng.lineage_dot('sales') ~ '"consumer:copy" \[[^]]*fillcolor="#f9d98c"' AS copy_warns;
CREATE TABLE other (id int);
SELECT dataeng.cdc_enable('other');
SELECT dataeng.lineage_dot('other');
SELECT dataeng.lineage_dot('sales') ~ 'other' AS root_limits;
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', NULL);
-- names that need quoting in DOT
CREATE TABLE "we""ird\name" (id int);
SELECT dataeng.cdc_enable('"we""ird\name"');
SELECT dataeng.lineage_dot('"we""ird\name"');

-------------------------------------------------------------------------------
-- A low-privilege role sees only its objects
-------------------------------------------------------------------------------
CREATE ROLE regress_ops_low LOGIN;
CREATE SCHEMA low AUTHORIZATION regress_ops_low;
SET ROLE regress_ops_low;
CREATE TABLE low.events (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT now());
SELECT dataeng.cdc_enable('low.events');
SELECT dataeng.cdc_consumer_create('low_copy', ARRAY['low.events'::regclass]);
SELECT dataeng.monitor_create('low_events', 'low.events', 'at', max_silence => '1 minute', schedule => '@yearly');
SELECT (dataeng.monitor_check('low_events')).ok;
SELECT dataeng.schedule('low_job', '@yearly', 'SELECT 1') > 0 AS scheduled;
-- not its objects
SELECT dataeng.monitor_create('spy', 'sales', 'at', max_silence => '1 minute', schedule => '@yearly');
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', '1');
SELECT dataeng.alert_set('*', 'purge', 'off');
SELECT dataeng.monitor_check('orders_fresh');
SELECT dataeng.monitor_drop('orders_fresh');
SELECT dataeng.maintain();
RESET ROLE;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SET ROLE regress_ops_low;
SELECT kind, name, state FROM dataeng.pipeline_status ORDER BY 1, 2;
SELECT * FROM dataeng.lineage ORDER BY 2, 1, 4, 3;
RESET ROLE;
SELECT dataeng.maintain()->'alerts_raised' AS raised;
INSERT INTO sales VALUES (4, 'c', 1);
SELECT dataeng.alert_set('consumer:copy', 'lag_changes', '1');
SELECT dataeng.maintain()->'alerts_raised' AS raised;
SELECT kind, object FROM dataeng.alerts_open ORDER BY 1, 2;
SET ROLE regress_ops_low;
SELECT kind, object FROM dataeng.alerts_open ORDER BY 1, 2;
SELECT count(*) AS alerts_seen FROM dataeng.alerts;
SELECT name FROM dataeng.monitors ORDER BY 1;
SELECT object, setting FROM dataeng.alert_settings ORDER BY 1;
SELECT dataeng.lineage_dot() ~ 'sales|copy|orders' AS sees_others;
-- granted SELECT on sales: it sees the table's capture, rules and monitor, still not other roles' jobs or consumers
RESET ROLE;
GRANT SELECT ON sales TO regress_ops_low;
SET ROLE regress_ops_low;
SELECT kind, name FROM dataeng.pipeline_status WHERE name !~ '^low' ORDER BY 1, 2;
SELECT kind, object FROM dataeng.alerts_open ORDER BY 1, 2;
RESET ROLE;
SELECT dataeng.monitor_drop('low_events'), dataeng.unschedule('low_job');
SELECT dataeng.cdc_consumer_drop('low_copy');

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA low CASCADE;
DROP TABLE sales, customer_dim, other, "we""ird\name";
DROP OWNED BY regress_ops_low;
DROP ROLE regress_ops_low;
