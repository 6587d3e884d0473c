-- A fact's or dimension's source table dropped (and maybe made again under
-- its name): the refresh says the table was dropped, with what to do,
-- instead of calling its columns renamed (the hint used to say to rename
-- them back).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE SCHEMA fpds;
CREATE TABLE fpds.sales (id int PRIMARY KEY, at date NOT NULL, region text, amount numeric);
INSERT INTO fpds.sales VALUES (1, '2026-01-01', 'n', 10), (2, '2026-01-02', 's', 20);
SELECT dataeng.fact_create('fpds.sales_monthly', 'fpds.sales', 'at', 'month', ARRAY['region'],
                           ARRAY['count(*)', 'max(amount)'], schedule => NULL) IS NOT NULL AS created;
CREATE TABLE fpds.customers (id int PRIMARY KEY, name text);
INSERT INTO fpds.customers VALUES (1, 'ann');
SELECT dataeng.dimension_create('fpds.customer_dim', 'fpds.customers', 'id', ARRAY['name'],
                                schedule => NULL) IS NOT NULL AS created;
DROP TABLE fpds.sales, fpds.customers;
-- a new table of the same name and columns is another table
CREATE TABLE fpds.sales (id int PRIMARY KEY, at date NOT NULL, region text, amount numeric);
-- (the OID in the detail varies from run to run: shown as N)
CREATE FUNCTION fpds.try(cmd text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE st text; msg text; det text; hnt text;
BEGIN
  EXECUTE cmd;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN format(E'%s: %s\nDETAIL: %s\nHINT: %s', st, msg, regexp_replace(det, '[0-9]+', 'N'), hnt);
END $$;
SELECT fpds.try($$SELECT dataeng.fact_refresh('fpds.sales_monthly')$$) AS fact_refresh;
SELECT fpds.try($$SELECT dataeng.fact_rebuild('fpds.sales_monthly')$$) AS fact_rebuild;
SELECT fpds.try($$SELECT dataeng.dimension_refresh('fpds.customer_dim')$$) AS dimension_refresh;
-- what the hints say works
SELECT dataeng.fact_drop('fpds.sales_monthly');
SELECT dataeng.dimension_drop('fpds.customer_dim');
SELECT count(*) AS defs_left
  FROM (SELECT name FROM dataeng.facts WHERE name LIKE 'fpds.%'
        UNION ALL SELECT name FROM dataeng.dimensions WHERE name LIKE 'fpds.%') x;
DROP SCHEMA fpds CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
