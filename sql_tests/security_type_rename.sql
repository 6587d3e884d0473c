-- The changes a fact or dimension has not applied yet hold their values
-- as text under the labels and field names of their types when captured.
-- The owner of a type a source's column holds (an enum, a composite),
-- which need not be the source's nor the fact's owner, renamed an enum
-- label: every later refresh of the facts and dimensions of the source
-- failed ("invalid input value for enum"); or renamed a composite's
-- field: the changes read it as NULL, silently (a dimension kept (,gbp)
-- for (5,gbp), a fact counted -1 in a group of no row).  Such renames now
-- mark those definitions for a resync: the next refresh rebuilds the
-- fact, and makes the dimension equal to its source.  Or added a check
-- to a domain that a DELETE's old image, no longer in the table, fails:
-- every later refresh failed on it; a domain's values are now read as its
-- base type's, checked when they were written.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_tr_types;
CREATE ROLE regress_tr_src;
CREATE ROLE regress_tr_fact;
CREATE SCHEMA tr AUTHORIZATION regress_tr_src;
GRANT USAGE, CREATE ON SCHEMA tr TO regress_tr_types, regress_tr_fact;

-- another role's types
SET ROLE regress_tr_types;
CREATE TYPE tr.color AS ENUM ('red', 'green');
CREATE DOMAIN tr.paint AS tr.color;
CREATE TYPE tr.price AS (amount int, cur text);
CREATE DOMAIN tr.qty AS int;

SET ROLE regress_tr_src;
CREATE TABLE tr.sales (id int PRIMARY KEY, t timestamptz NOT NULL, c tr.paint, p tr.price, n int, q tr.qty);
INSERT INTO tr.sales VALUES (1, '2026-01-01', 'red', (1, 'eur'), 1, 1), (2, '2026-01-01', 'green', (2, 'usd'), 2, 2),
                            (9, '2026-01-01', 'green', (9, 'usd'), 9, -9);
SELECT dataeng.cdc_enable('tr.sales') IS NOT NULL AS enabled;
GRANT SELECT, UPDATE ON tr.sales TO regress_tr_fact;

SET ROLE regress_tr_fact;
SELECT dataeng.fact_create('tr.by_color', 'tr.sales', 't', 'day', ARRAY['c'], ARRAY['sum(n)'], schedule => NULL);
SELECT dataeng.fact_create('tr.by_price', 'tr.sales', 't', 'day', ARRAY['p'], ARRAY['count(*)'], schedule => NULL);
SELECT dataeng.fact_create('tr.plain', 'tr.sales', 't', 'day', ARRAY[]::text[], ARRAY['sum(n)', 'sum(q)'], schedule => NULL);
SELECT dataeng.dimension_create('tr.d_color', 'tr.sales', 'id', ARRAY['c'], scd_type => 2, schedule => NULL);
SELECT dataeng.dimension_create('tr.d_price', 'tr.sales', 'id', ARRAY['p'], scd_type => 1, schedule => NULL);

-- changes pending, then the types' owner renames
SET ROLE regress_tr_src;
INSERT INTO tr.sales VALUES (3, '2026-01-01', 'red', (3, 'eur'), 4, 3);
UPDATE tr.sales SET p = (5, 'gbp') WHERE id = 1;
DELETE FROM tr.sales WHERE id = 9;
SET ROLE regress_tr_types;
ALTER TYPE tr.color RENAME VALUE 'red' TO 'crimson';
ALTER TYPE tr.price RENAME ATTRIBUTE amount TO value;
ALTER DOMAIN tr.qty ADD CONSTRAINT positive CHECK (VALUE > 0);
RESET ROLE;
-- (the fact that reads neither column is not marked)
SELECT name, resync_pending FROM dataeng_internal.fact_defs WHERE name LIKE 'tr.%' ORDER BY name;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs WHERE name LIKE 'tr.%' ORDER BY name;

SET ROLE regress_tr_fact;
SELECT dataeng.fact_refresh('tr.by_color') >= 0 AS refreshed;
SELECT dataeng.fact_refresh('tr.by_price') >= 0 AS refreshed;
SELECT dataeng.fact_refresh('tr.plain');
SELECT sum_n, sum_q FROM tr.plain;
SELECT dataeng.dimension_refresh('tr.d_color') >= 0 AS refreshed;
SELECT dataeng.dimension_refresh('tr.d_price') >= 0 AS refreshed;
SELECT c, sum_n FROM tr.by_color ORDER BY c;
SELECT c, sum(n) FROM tr.sales GROUP BY c ORDER BY c;
SELECT p, count FROM tr.by_price ORDER BY p;
SELECT id, c FROM tr.d_color WHERE is_current ORDER BY id;
SELECT id, p FROM tr.d_price ORDER BY id;

-- the refreshes after it apply changes one by one again
SET ROLE regress_tr_src;
UPDATE tr.sales SET c = 'green', p = (6, 'chf') WHERE id = 3;
SET ROLE regress_tr_fact;
SELECT dataeng.fact_refresh('tr.by_color');
SELECT dataeng.dimension_refresh('tr.d_price');
SELECT c, sum_n FROM tr.by_color ORDER BY c;
SELECT id, p FROM tr.d_price ORDER BY id;

SELECT dataeng.fact_drop('tr.by_color');
SELECT dataeng.fact_drop('tr.by_price');
SELECT dataeng.fact_drop('tr.plain');
SELECT dataeng.dimension_drop('tr.d_color');
SELECT dataeng.dimension_drop('tr.d_price');
RESET ROLE;
DROP SCHEMA tr CASCADE;
DROP ROLE regress_tr_types;
DROP ROLE regress_tr_src;
DROP ROLE regress_tr_fact;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
