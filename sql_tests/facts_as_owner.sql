-- A superuser refreshes the facts and dimensions of two roles in one
-- statement, as a DBA does with SELECT dataeng.fact_refresh(name) FROM
-- dataeng.facts: each refresh runs as its owner, and one owner's scratch
-- tables do not stand in the way of the next owner's.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE fo_a;
CREATE ROLE fo_b;
CREATE SCHEMA fo_a AUTHORIZATION fo_a;
CREATE SCHEMA fo_b AUTHORIZATION fo_b;
SET ROLE fo_a;
CREATE TABLE fo_a.sales (id int PRIMARY KEY, at timestamptz NOT NULL, region text, amount numeric);
SELECT dataeng.fact_create('fo_a.daily_a', 'fo_a.sales', 'at', 'day', '{region}', '{count(*), sum(amount)}',
                           schedule => NULL)::text;
SELECT dataeng.dimension_create('fo_a.regions_a', 'fo_a.sales', 'id', '{region}', 2, schedule => NULL)::text;
INSERT INTO fo_a.sales SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '5 hours', 'r' || g % 3, g
  FROM generate_series(1, 50) g;
SET ROLE fo_b;
CREATE TABLE fo_b.sales (id int PRIMARY KEY, at timestamptz NOT NULL, region text, amount numeric);
SELECT dataeng.fact_create('fo_b.daily_b', 'fo_b.sales', 'at', 'day', '{region}', '{count(*), sum(amount)}',
                           schedule => NULL)::text;
SELECT dataeng.dimension_create('fo_b.regions_b', 'fo_b.sales', 'id', '{region}', 2, schedule => NULL)::text;
INSERT INTO fo_b.sales SELECT g, timestamptz '2026-02-01 00:00+00' + g * interval '7 hours', 'q' || g % 4, g * 2
  FROM generate_series(1, 40) g;
RESET ROLE;
SELECT name, dataeng.fact_refresh(name) AS refreshed FROM dataeng.facts ORDER BY name;
SELECT name, dataeng.dimension_refresh(name) AS refreshed FROM dataeng.dimensions ORDER BY name;
-- and twice in one transaction
UPDATE fo_a.sales SET amount = amount + 1 WHERE id <= 5;
UPDATE fo_b.sales SET region = 'moved' WHERE id <= 3;
BEGIN;
SELECT name, dataeng.fact_refresh(name) AS refreshed FROM dataeng.facts ORDER BY name;
SELECT name, dataeng.fact_refresh(name) AS refreshed FROM dataeng.facts ORDER BY name;
SELECT name, dataeng.dimension_refresh(name) AS refreshed FROM dataeng.dimensions ORDER BY name;
COMMIT;
-- the facts equal their sources (fact_diff(fact, truth): the rows that
-- differ, 0 when equal)
\i sql_tests/lib/fact_diff.sql
CREATE VIEW fo_a_truth AS
  SELECT date_trunc('day', at) AS bucket, region, count(*) AS count, sum(amount) AS sum_amount
    FROM fo_a.sales GROUP BY 1, 2;
CREATE VIEW fo_b_truth AS
  SELECT date_trunc('day', at) AS bucket, region, count(*) AS count, sum(amount) AS sum_amount
    FROM fo_b.sales GROUP BY 1, 2;
SELECT fact_diff('fo_a.daily_a', 'SELECT * FROM fo_a_truth')
       + fact_diff('fo_b.daily_b', 'SELECT * FROM fo_b_truth') AS fact_rows_off;
SELECT count(*) AS current_moved FROM fo_b.regions_b WHERE is_current AND region = 'moved';
-- no scratch table is left behind
SELECT count(*) AS scratch_tables FROM pg_class
 WHERE relnamespace = pg_my_temp_schema() AND relname LIKE '\_dataeng\_%';
-- A fact of the session user: its refresh keeps its table of folded
-- changes for the session, and the next refresh empties it rather than
-- making it again (_agg_temp_kept); a refresh as another owner drops it and
-- makes its own, dropped at commit, so that no table of a role that may be
-- dropped stays behind
CREATE TABLE fo_own (id int PRIMARY KEY, at timestamptz NOT NULL, region text, amount numeric);
SELECT dataeng.fact_create('fo_own_daily', 'fo_own', 'at', 'day', '{region}', '{count(*), sum(amount), min(amount)}',
                           schedule => NULL)::text;
INSERT INTO fo_own SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '5 hours', 'r' || g % 3, g
  FROM generate_series(1, 30) g;
SELECT dataeng.fact_refresh('fo_own_daily') AS refreshed;
SELECT to_regclass('pg_temp._dataeng_delta_raw')::oid AS kept_oid \gset
UPDATE fo_own SET amount = amount - 7 WHERE id <= 4;
DELETE FROM fo_own WHERE id = 10;
SELECT dataeng.fact_refresh('fo_own_daily') AS refreshed;
SELECT to_regclass('pg_temp._dataeng_delta_raw')::oid = :kept_oid AS same_table,
       (SELECT count(*) FROM pg_temp._dataeng_delta_raw WHERE NOT is_total) AS groups_of_last_refresh;
CREATE VIEW fo_own_truth AS
  SELECT date_trunc('day', at) AS bucket, region, count(*) AS count, sum(amount) AS sum_amount, min(amount) AS min_amount
    FROM fo_own GROUP BY 1, 2;
SELECT fact_diff('fo_own_daily', 'SELECT * FROM fo_own_truth') AS rows_off;
-- a table of that name the session user made, with a trigger: never
-- written by a refresh (dropped, and made afresh)
ALTER TABLE pg_temp._dataeng_delta_raw RENAME TO fo_copy;
CREATE TEMP TABLE _dataeng_delta_raw (LIKE pg_temp.fo_copy);
DROP TABLE pg_temp.fo_copy;
CREATE TEMP TABLE fo_fired (n int);
CREATE FUNCTION pg_temp.fo_fire() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.fo_fired VALUES (1);
  RETURN NULL;
END;
$$;
CREATE TRIGGER fo_fire AFTER INSERT ON pg_temp._dataeng_delta_raw FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.fo_fire();
SELECT to_regclass('pg_temp._dataeng_delta_raw')::oid AS own_oid \gset
UPDATE fo_own SET amount = amount + 100 WHERE id = 5;
SELECT dataeng.fact_refresh('fo_own_daily') AS refreshed;
SELECT (SELECT count(*) FROM pg_temp.fo_fired) AS trigger_fired,
       to_regclass('pg_temp._dataeng_delta_raw')::oid <> :own_oid AS made_afresh;
-- under SET SESSION AUTHORIZATION the table the role logged in as kept
-- does not stand in the way of the role set (which may not drop it), and
-- none of the role set stays behind to stop a DROP ROLE of it
SELECT to_regclass('pg_temp._dataeng_delta_raw') IS NOT NULL AS kept_before;
SET SESSION AUTHORIZATION fo_a;
UPDATE fo_a.sales SET amount = amount + 1 WHERE id <= 3;
SELECT dataeng.fact_refresh('fo_a.daily_a') AS refreshed;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS tables_of_fo_a FROM pg_class
 WHERE relnamespace = pg_my_temp_schema() AND relowner = 'fo_a'::regrole;
UPDATE fo_own SET amount = amount + 1 WHERE id = 6;
SELECT dataeng.fact_refresh('fo_own_daily') AS refreshed;
SELECT to_regclass('pg_temp._dataeng_delta_raw') IS NOT NULL AS kept_again;
-- another owner's refresh: the table kept goes, and its own goes at commit
UPDATE fo_a.sales SET amount = amount + 1 WHERE id <= 2;
SELECT dataeng.fact_refresh('fo_a.daily_a') AS refreshed;
SELECT to_regclass('pg_temp._dataeng_delta_raw') AS scratch_after_other_owner;
SELECT fact_diff('fo_own_daily', 'SELECT * FROM fo_own_truth') AS rows_off;
-- the count(DISTINCT) apply's tables kept for the session user do not
-- stop a refresh of another owner's fact that does not use them (its
-- scratch tables are dropped as that owner, who may not drop the session
-- user's); they stay kept, and both facts equal their sources
CREATE TABLE fo_cd (id int PRIMARY KEY, at timestamptz NOT NULL, region text, v int);
SELECT dataeng.fact_create('fo_cd_daily', 'fo_cd', 'at', 'day', '{region}', '{count(*), count(DISTINCT v)}',
                           schedule => NULL)::text;
INSERT INTO fo_cd SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '5 hours', 'r' || g % 3, g % 4
  FROM generate_series(1, 30) g;
CREATE VIEW fo_cd_truth AS
  SELECT date_trunc('day', at) AS bucket, region, count(*) AS count, count(DISTINCT v) AS count_distinct_v
    FROM fo_cd GROUP BY 1, 2;
SELECT dataeng.fact_refresh('fo_cd_daily') AS refreshed;
UPDATE fo_cd SET v = v + 1 WHERE id <= 9;
SELECT dataeng.fact_refresh('fo_cd_daily') AS refreshed;
SELECT to_regclass('pg_temp._dataeng_dc')::oid AS dc_oid \gset
UPDATE fo_a.sales SET amount = amount + 1 WHERE id <= 4;
SELECT dataeng.fact_refresh('fo_a.daily_a') AS refreshed;
SELECT dataeng.fact_refresh('fo_a.daily_a') AS refreshed_again;
SELECT to_regclass('pg_temp._dataeng_dc')::oid = :dc_oid AS dc_still_kept;
UPDATE fo_cd SET v = v + 2 WHERE id BETWEEN 5 AND 20;
SELECT dataeng.fact_refresh('fo_cd_daily') AS refreshed;
SELECT fact_diff('fo_cd_daily', 'SELECT * FROM fo_cd_truth') AS rows_off;
SELECT fact_diff('fo_a.daily_a', 'SELECT * FROM fo_a_truth') AS rows_off;
-- in one transaction: the session user's refresh leaves its scratch
-- tables until the commit, and another owner's refresh after it replaces
-- them (it may not drop them by its own rights)
UPDATE fo_cd SET v = v + 1 WHERE id BETWEEN 3 AND 12;
UPDATE fo_a.sales SET amount = amount + 1 WHERE id <= 6;
BEGIN;
SELECT dataeng.fact_refresh('fo_cd_daily') > 0 AS refreshed;
SELECT dataeng.fact_refresh('fo_a.daily_a') > 0 AS refreshed;
SELECT dataeng.fact_refresh('fo_cd_daily') AS nothing_left;
COMMIT;
SELECT fact_diff('fo_cd_daily', 'SELECT * FROM fo_cd_truth') AS rows_off;
SELECT fact_diff('fo_a.daily_a', 'SELECT * FROM fo_a_truth') AS rows_off;
DROP VIEW fo_own_truth, fo_a_truth, fo_b_truth, fo_cd_truth;
DROP FUNCTION fact_diff(regclass, text);
SELECT dataeng.fact_drop(name) FROM dataeng.facts ORDER BY name;
SELECT dataeng.dimension_drop(name) FROM dataeng.dimensions ORDER BY name;
DROP SCHEMA fo_a CASCADE;
DROP SCHEMA fo_b CASCADE;
DROP TABLE fo_own, fo_cd;
DROP EXTENSION dataeng;
DROP ROLE fo_a, fo_b;
