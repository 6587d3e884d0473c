-- The consumers of a fact and of a dimension acknowledge what each refresh
-- reads: dataeng.cdc_consumers shows when (acked_at) and up to which
-- change (acked_change_id: the last change of its table read),
-- and pipeline_status their last_success.  All three stayed NULL after
-- any number of refreshes (the refreshes' reader moved the position only).
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE aca_sales (id int PRIMARY KEY, at timestamptz, store text, amount numeric);
CREATE TABLE aca_cust (id int PRIMARY KEY, city text);
SELECT dataeng.fact_create('aca_f', 'aca_sales', 'at', 'day', '{store}', '{sum(amount) AS revenue}', schedule => NULL);
SELECT dataeng.dimension_create('aca_d', 'aca_cust', 'id', '{city}', schedule => NULL);
RESET client_min_messages;
-- before any change: nothing acknowledged
SELECT name, acked_change_id IS NULL AS no_id, acked_at IS NULL AS no_time
  FROM dataeng.cdc_consumers ORDER BY name;
INSERT INTO aca_sales VALUES (1, '2026-01-01', 'n', 5), (2, '2026-01-01', 'n', 7);
INSERT INTO aca_cust VALUES (1, 'Paris');
SELECT dataeng.fact_refresh('aca_f') AS fact_changes, dataeng.dimension_refresh('aca_d') AS dim_changes;
SELECT c.name, c.acked_change_id = (SELECT max(l.change_id) FROM dataeng.changes l
                                     WHERE l.table_name = CASE c.name WHEN 'fact:aca_f' THEN 'aca_sales'::regclass
                                                                      ELSE 'aca_cust'::regclass END) AS acked_last,
       c.acked_at IS NOT NULL AS acked_at_set, c.pending_changes
  FROM dataeng.cdc_consumers c ORDER BY c.name;
-- a refresh with nothing new keeps them
SELECT acked_at AS fact_acked_at FROM dataeng.cdc_consumers WHERE name = 'fact:aca_f' \gset
SELECT dataeng.fact_refresh('aca_f') AS nothing_new;
SELECT acked_at = :'fact_acked_at' AS unchanged FROM dataeng.cdc_consumers WHERE name = 'fact:aca_f';
SET client_min_messages = warning;
SELECT count(*) > 0 AS maintained FROM (SELECT dataeng.maintain()) m;
RESET client_min_messages;
SELECT kind, name, state, last_success IS NOT NULL AS has_last_success
  FROM dataeng.pipeline_status WHERE kind = 'consumer' ORDER BY name;
SET client_min_messages = warning;
SELECT dataeng.fact_drop('aca_f'), dataeng.dimension_drop('aca_d');
DROP TABLE aca_sales, aca_cust;
DROP EXTENSION dataeng CASCADE;
