-- A fact or dimension with changes of its source waiting for its next
-- refresh, under its thresholds, is ok; its reason said "up to date with
-- its source" beside a lag_changes of 3.  It says how many wait.  And
-- the consumer of a fact or dimension (fact:NAME, dim:NAME, as
-- pipeline_status lists it): alert_set('consumer:fact:NAME', ...) was
-- taken and never applied (the fact's settings judge it); it is refused,
-- the hint naming the fact's object.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE ap_sales (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', amount int);
CREATE TABLE ap_cust (id int PRIMARY KEY, name text);
SELECT dataeng.cdc_enable('ap_sales');
SELECT dataeng.cdc_enable('ap_cust');
SELECT dataeng.fact_create('ap_f', 'ap_sales', 'at', 'day', '{}', '{count(*) AS n}', NULL);
SELECT dataeng.dimension_create('ap_d', 'ap_cust', 'id', '{name}', schedule => NULL);
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, reason, lag_changes FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension') ORDER BY kind, name;

INSERT INTO ap_sales SELECT g, '2026-01-01', g FROM generate_series(1, 3) g;
INSERT INTO ap_cust VALUES (1, 'ann');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state,
       regexp_replace(reason, 'the oldest [0-9]+ s old(.*); last refresh [0-9: -]+UTC', 'the oldest N s old\1; last refresh ...') AS reason, lag_changes
  FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension') ORDER BY kind, name;
-- past its threshold: stale, as before
SELECT dataeng.alert_set('fact:ap_f', 'lag_changes', '2');
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state,
       regexp_replace(reason, 'the oldest [0-9]+ s old(.*); last refresh [0-9: -]+UTC', 'the oldest N s old\1; last refresh ...') AS reason
  FROM dataeng.pipeline_status WHERE kind = 'fact';
-- refreshed: up to date
SELECT dataeng.fact_refresh('ap_f') IS NOT NULL AS refreshed;
SELECT dataeng.dimension_refresh('ap_d') IS NOT NULL AS refreshed;
SELECT dataeng.maintain() IS NOT NULL AS maintained;
SELECT kind, name, state, reason, lag_changes FROM dataeng.pipeline_status
 WHERE kind IN ('fact', 'dimension') ORDER BY kind, name;

-- the consumer of a fact or dimension takes no setting of its own
CREATE FUNCTION ap_try(q text) RETURNS TABLE (state text, msg text, det text, hnt text)
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE q;
  state := 'ok';
  RETURN NEXT;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                          det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  RETURN NEXT;
END;
$$;
\x on
SELECT * FROM ap_try($$SELECT dataeng.alert_set('consumer:fact:ap_f', 'lag_changes', '1')$$);
SELECT * FROM ap_try($$SELECT dataeng.alert_set('consumer:dim:ap_d', 'max_lag', '1 minute')$$);
SELECT * FROM ap_try($$SELECT dataeng.alert_set('consumer:dim:ap_d', 'alerts', 'off')$$);
\x off
-- (taking one back is allowed: a setting made before)
SELECT dataeng.alert_set('consumer:fact:ap_f', 'lag_changes', NULL);
SELECT object, setting, value FROM dataeng.alert_settings ORDER BY 1, 2;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP VIEW ap_f;
DROP TABLE ap_sales, ap_cust, ap_f_data, ap_d;
DROP FUNCTION ap_try(text);
