-- An ALTER COLUMN ... TYPE of a fact's or dimension's source that changes
-- the column's values (a USING clause, or a conversion that does not keep
-- every value: numeric(10,2) to numeric(10,0) rounds) rewrites the table
-- without a change captured.  The fact kept the old values, the changes
-- captured later came in the new ones, and the refresh applied them to
-- the old: the source's owner (any role whose table another role's fact
-- reads) made that fact silently wrong (sum -970 where the GROUP BY said
-- 2000), and a dimension kept the old attribute values for good.  Such a
-- retype now marks the definitions for a resync: the next refresh
-- rebuilds the fact, or makes the dimension equal to its source.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_rt_src;
CREATE ROLE regress_rt_fact;
CREATE ROLE regress_rt_other;
CREATE SCHEMA rt AUTHORIZATION regress_rt_src;
GRANT USAGE ON SCHEMA rt TO regress_rt_fact, regress_rt_other;
GRANT CREATE ON SCHEMA rt TO regress_rt_fact;

SET ROLE regress_rt_src;
CREATE TABLE rt.sales (id int PRIMARY KEY, t timestamptz NOT NULL, amount int, price numeric(10,2), city text);
INSERT INTO rt.sales VALUES (1, '2026-01-01', 10, 1.25, 'paris'), (2, '2026-01-01', 20, 2.25, 'rome'),
                            (3, '2026-01-02', 5, 3.50, 'oslo');
SELECT dataeng.cdc_enable('rt.sales') IS NOT NULL AS enabled;
GRANT SELECT, UPDATE ON rt.sales TO regress_rt_fact;
GRANT SELECT, UPDATE ON rt.sales TO regress_rt_other;
RESET ROLE;

-- another role's fact and dimension over the source
SET ROLE regress_rt_fact;
SELECT dataeng.fact_create('rt.daily', 'rt.sales', 't', 'day', ARRAY[]::text[],
                           ARRAY['sum(amount)', 'sum(price)', 'count(*)'], schedule => NULL);
SELECT dataeng.dimension_create('rt.cities', 'rt.sales', 'id', ARRAY['city'], scd_type => 1, schedule => NULL);
RESET ROLE;

-- a retype that keeps the values (int to bigint) leaves them as they are
SET ROLE regress_rt_src;
ALTER TABLE rt.sales ALTER COLUMN amount TYPE bigint;
RESET ROLE;
SELECT name, resync_pending FROM dataeng_internal.fact_defs WHERE name = 'rt.daily';

-- a role that may not alter the table marks nothing (its ALTER fails)
SET ROLE regress_rt_other;
ALTER TABLE rt.sales ALTER COLUMN amount TYPE bigint USING amount * 100;
RESET ROLE;
SELECT name, resync_pending FROM dataeng_internal.fact_defs WHERE name = 'rt.daily';
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name = 'rt.cities';

-- the source's owner rewrites the values: USING, and numeric(10,2) to (10,0)
SET ROLE regress_rt_src;
ALTER TABLE rt.sales ALTER COLUMN amount TYPE bigint USING amount * 100,
                     ALTER COLUMN price TYPE numeric(10,0);
ALTER TABLE rt.sales ALTER COLUMN city TYPE text USING upper(city);
DELETE FROM rt.sales WHERE id = 1;
INSERT INTO rt.sales VALUES (4, '2026-01-02', 7, 4, 'lima');
RESET ROLE;
SELECT name, resync_pending FROM dataeng_internal.fact_defs WHERE name = 'rt.daily';
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name = 'rt.cities';

SET ROLE regress_rt_fact;
SELECT dataeng.fact_refresh('rt.daily') >= 0 AS refreshed;
SELECT dataeng.dimension_refresh('rt.cities') >= 0 AS refreshed;
-- the fact is the GROUP BY of its source, the dimension its copy
SELECT bucket, sum_amount, sum_price, count FROM rt.daily ORDER BY bucket;
SELECT date_trunc('day', t) AS bucket, sum(amount), sum(price), count(*)
  FROM rt.sales GROUP BY 1 ORDER BY 1;
SELECT id, city FROM rt.cities ORDER BY id;
-- and later changes apply to the new values
SET ROLE regress_rt_src;
DELETE FROM rt.sales WHERE id = 2;
SET ROLE regress_rt_fact;
SELECT dataeng.fact_refresh('rt.daily');
SELECT bucket, sum_amount, sum_price, count FROM rt.daily ORDER BY bucket;
RESET ROLE;
SELECT name, resync_pending FROM dataeng_internal.fact_defs WHERE name = 'rt.daily';

SET ROLE regress_rt_fact;
SELECT dataeng.fact_drop('rt.daily');
SELECT dataeng.dimension_drop('rt.cities');
RESET ROLE;
DROP SCHEMA rt CASCADE;
DROP ROLE regress_rt_src;
DROP ROLE regress_rt_fact;
DROP ROLE regress_rt_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
