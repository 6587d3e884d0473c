-- Security of facts and dimensions: what a plain role (sf_attacker, owner
-- of schema sf_attacker) can do to another role's (sf_victim's) facts and
-- dimensions, and what a superuser running the attacker's facts runs as.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE sf_attacker LOGIN;
CREATE ROLE sf_victim LOGIN;
CREATE SCHEMA sf_attacker AUTHORIZATION sf_attacker;
CREATE SCHEMA sf_victim AUTHORIZATION sf_victim;
GRANT USAGE ON SCHEMA sf_victim TO sf_attacker;

SET ROLE sf_victim;
CREATE TABLE sf_victim.payroll (id int PRIMARY KEY, salary int);
INSERT INTO sf_victim.payroll VALUES (1, 100);
CREATE TABLE sf_victim.sales (id int PRIMARY KEY, at timestamptz NOT NULL, region text NOT NULL, amount int);
INSERT INTO sf_victim.sales VALUES (1, '2026-01-01 10:00', 'n', 5), (2, '2026-01-01 11:00', 's', 7);
RESET ROLE;

SET ROLE sf_attacker;
CREATE TABLE sf_attacker.src (id int PRIMARY KEY, at timestamptz, region text, amount int);
SELECT dataeng.cdc_enable('sf_attacker.src');
SELECT dataeng.cdc_consumer_create('m_src', ARRAY['sf_attacker.src'::regclass]);
INSERT INTO sf_attacker.src VALUES (1, '2026-01-01 10:00', 'n', 5), (2, '2026-01-02 10:00', 's', 7);

-------------------------------------------------------------------------------
-- _fact_deltas checks every column of its column definition list: the call
-- of the issue (a count declared text) crashed the server
-------------------------------------------------------------------------------
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{amount}', '{f}')
  AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamptz, cnt text);
-- a dimension of the wrong type
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{region}', '{}', '{}')
  AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamptz, d1 int8);
-- a sum of the wrong type, a count among the sums
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{amount}', '{t}')
  AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamptz, s1 text, n1 int8);
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{amount}', '{t}')
  AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamptz, s1 int8, n1 text);
-- the leading columns by other names or types (FACT_DELTAS_COLUMNS)
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{amount}', '{f}')
  AS t(a bool, b int8, c bool, d int8, e timestamptz, n1 int8);
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{amount}', '{f}')
  AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamp, n1 int8);
-- one column too many
SELECT * FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{amount}', '{f}')
  AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamptz, n1 int8, x text);
-- the right list works
SELECT is_total, n_changes, rows, bucket, d1, s1, n1
  FROM dataeng_internal._fact_deltas('m_src', 'sf_attacker.src', 'at', 'day', 'UTC', '{region}', '{amount}', '{t}')
    AS t(is_total bool, n_changes int8, has_t bool, rows int8, bucket timestamptz, d1 text, s1 int8, n1 int8)
 ORDER BY is_total, bucket;
SELECT dataeng.cdc_consumer_drop('m_src');
RESET ROLE;

-------------------------------------------------------------------------------
-- The names of a fact's and a dimension's consumer and job cannot be taken
-- first by another role
-------------------------------------------------------------------------------
SET ROLE sf_attacker;
SELECT dataeng.schedule('fact_refresh:sf_victim.f3', '@yearly', 'SELECT 1');
SELECT dataeng.cdc_consumer_create('dim:sf_victim.d3', ARRAY['sf_attacker.src'::regclass]);
SELECT dataeng.cdc_consumer_create('fact:sf_victim.f3', ARRAY['sf_attacker.src'::regclass]);
SELECT dataeng.schedule('dimension_refresh:sf_victim.d3', '@yearly', 'SELECT 1');
SELECT count(*) AS attacker_jobs FROM dataeng.jobs;
RESET ROLE;

SET ROLE sf_victim;
SELECT dataeng.fact_create('sf_victim.f3', 'sf_victim.sales', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'sum(amount)'], schedule => '@yearly');
SELECT dataeng.dimension_create('sf_victim.d3', 'sf_victim.sales', 'id', ARRAY['region'], schedule => '@yearly');
SELECT name, owner FROM dataeng.cdc_consumers ORDER BY name;
SELECT job_name, owner FROM dataeng.jobs ORDER BY job_name;
-- its owner may reschedule its fact's refresh
SELECT dataeng.schedule('fact_refresh:sf_victim.f3', '@monthly', $$SELECT dataeng.fact_refresh('sf_victim.f3')$$) > 0 AS rescheduled;
RESET ROLE;

-------------------------------------------------------------------------------
-- Nobody but the functions writes the definitions
-------------------------------------------------------------------------------
SET ROLE sf_attacker;
INSERT INTO dataeng_internal.fact_defs (name, fact_table, source, time_column, grain, time_zone, dimensions,
                               measures, spec, consumer)
VALUES ('x', 'sf_victim.payroll', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{count(*)}', '[]', 'fact:x');
UPDATE dataeng_internal.fact_defs SET spec = '[]';
DELETE FROM dataeng_internal.fact_defs;
INSERT INTO dataeng_internal.dimension_defs (name, dim_table, source, key_column, attributes, scd_type, consumer)
VALUES ('x', 'sf_victim.payroll', 'sf_attacker.src', 'id', '{}', 1, 'dim:x');
UPDATE dataeng_internal.dimension_defs SET attributes = '{}';
DELETE FROM dataeng_internal.dimension_defs;
-- nor through the entry point, for a table not its own
SELECT dataeng_internal._fact_def_write('insert',
  ROW('x', 'sf_victim.payroll', 'sf_attacker', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:x', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
-- nor for another role
SELECT dataeng_internal._fact_def_write('insert',
  ROW('x', 'sf_attacker.src', 'sf_victim', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:x', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
-- nor with SQL in a measure
SELECT dataeng_internal._fact_def_write('insert',
  ROW('src', 'sf_attacker.src', 'sf_attacker', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{max(amount)}',
      '[{"agg": "sf_attacker.pwn() + max", "name": "m", "col": "amount", "float": false, "mode": "recompute"}]',
      'fact:src', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT * FROM dataeng_internal._fact_measure_cols(dataeng_internal._fact_measure_read('{"agg": "sf_attacker.pwn() + max", "col": "amount", "name": "m"}'), false);
SELECT * FROM dataeng_internal._fact_measure_cols(dataeng_internal._fact_measure_read('{"agg": "max", "col": "a\") + sf_attacker.pwn(", "name": "m"}'), false);
-- and another role's definitions stay out of reach
SELECT dataeng_internal._fact_def_write('delete', f, 0) FROM dataeng_internal.fact_defs f;
SELECT dataeng.fact_refresh('sf_victim.f3');
SELECT dataeng.fact_drop('sf_victim.f3');
SELECT dataeng.fact_rebuild('sf_victim.f3');
SELECT dataeng.dimension_drop('sf_victim.d3');
SELECT dataeng_internal._agg_as_owner('sf_victim', 'fact_drop', 'sf_victim.f3');
RESET ROLE;
SELECT name, fact_table FROM dataeng_internal.fact_defs ORDER BY name;
SELECT name, dim_table FROM dataeng_internal.dimension_defs ORDER BY name;

-------------------------------------------------------------------------------
-- A fact's consumer and job are its own: cdc_ack and unschedule refuse
-- them; fact_rebuild recomputes a fact from its source
-------------------------------------------------------------------------------
SET ROLE sf_victim;
INSERT INTO sf_victim.sales VALUES (3, '2026-01-01 12:00', 'n', 11), (4, '2026-01-02 09:00', 'n', 1);
SELECT dataeng.cdc_ack('fact:sf_victim.f3', max(change_id)) FROM dataeng.changes
 WHERE table_name = 'sf_victim.sales'::regclass;
SELECT dataeng.cdc_ack('dim:sf_victim.d3', max(change_id)) FROM dataeng.changes
 WHERE table_name = 'sf_victim.sales'::regclass;
SELECT dataeng.unschedule('fact_refresh:sf_victim.f3');
SELECT dataeng.unschedule('dimension_refresh:sf_victim.d3');
-- the refreshes still acknowledge their own changes
SELECT dataeng.fact_refresh('sf_victim.f3') AS fact_changes, dataeng.dimension_refresh('sf_victim.d3') AS dim_changes;
SELECT pending_changes FROM dataeng.facts WHERE name = 'sf_victim.f3';
RESET ROLE;
-- a fact that no longer matches its source (written behind its back)...
UPDATE sf_victim.f3 SET count = 99, sum_amount = -1 WHERE region = 'n';
SET ROLE sf_victim;
INSERT INTO sf_victim.sales VALUES (5, '2026-01-03 09:00', 's', 2);
DELETE FROM sf_victim.sales WHERE id = 2;
-- ... is recomputed, and the changes pending are skipped
SELECT dataeng.fact_rebuild('sf_victim.f3') AS skipped_changes;
SELECT bucket, region, count, sum_amount, __rows FROM sf_victim.f3_data ORDER BY bucket, region;
(SELECT bucket, region, count, sum_amount FROM sf_victim.f3
 EXCEPT SELECT date_trunc('day', at, 'UTC'), region, count(*), sum(amount) FROM sf_victim.sales GROUP BY 1, 2)
UNION ALL
(SELECT date_trunc('day', at, 'UTC'), region, count(*), sum(amount) FROM sf_victim.sales GROUP BY 1, 2
 EXCEPT SELECT bucket, region, count, sum_amount FROM sf_victim.f3);
SELECT dataeng.fact_refresh('sf_victim.f3') AS changes_after_rebuild;
INSERT INTO sf_victim.sales VALUES (6, '2026-01-03 10:00', 's', 3);
SELECT dataeng.fact_refresh('sf_victim.f3') AS changes;
SELECT bucket, region, count, sum_amount FROM sf_victim.f3 ORDER BY bucket, region;
SELECT dataeng.fact_rebuild('nosuch');
RESET ROLE;

-------------------------------------------------------------------------------
-- A superuser refreshing another role's fact or dimension does the work as
-- its owner, under SECURITY_RESTRICTED_OPERATION: the owner's triggers on
-- it never run as the superuser
-------------------------------------------------------------------------------
SET ROLE sf_attacker;
CREATE TABLE sf_attacker.who_log (who name, what text);
CREATE FUNCTION sf_attacker.who() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sf_attacker.who_log VALUES (current_user, TG_TABLE_NAME);
  BEGIN
    ALTER ROLE sf_attacker SUPERUSER;
  EXCEPTION WHEN OTHERS THEN
    INSERT INTO sf_attacker.who_log VALUES (current_user, 'refused: ' || SQLERRM);
  END;
  -- back to the session's role, were it allowed
  BEGIN
    RESET ROLE;
    INSERT INTO sf_attacker.who_log VALUES (current_user, 'reset role');
  EXCEPTION WHEN OTHERS THEN
    INSERT INTO sf_attacker.who_log VALUES (current_user, 'refused: ' || SQLERRM);
  END;
  RETURN NULL;
END;
$$;
SELECT dataeng.fact_create('sf_attacker.af', 'sf_attacker.src', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'max(amount)'], schedule => NULL);
SELECT dataeng.dimension_create('sf_attacker.ad', 'sf_attacker.src', 'id', ARRAY['region'], schedule => NULL);
CREATE TRIGGER who AFTER INSERT OR UPDATE OR DELETE ON sf_attacker.af_data
  FOR EACH ROW EXECUTE FUNCTION sf_attacker.who();
CREATE TRIGGER who AFTER INSERT OR UPDATE OR DELETE ON sf_attacker.ad
  FOR EACH ROW EXECUTE FUNCTION sf_attacker.who();
INSERT INTO sf_attacker.src VALUES (3, '2026-01-03 10:00', 'n', 1);
UPDATE sf_attacker.src SET amount = 50 WHERE id = 1;
RESET ROLE;
SELECT dataeng.fact_refresh('sf_attacker.af') AS fact_changes;
SELECT dataeng.dimension_refresh('sf_attacker.ad') AS dim_changes;
SELECT dataeng.fact_rebuild('sf_attacker.af') AS skipped;
SELECT who = 'sf_attacker' AS as_owner, what, count(*) FROM sf_attacker.who_log GROUP BY 1, 2 ORDER BY 2;
SELECT rolsuper FROM pg_roles WHERE rolname = 'sf_attacker';
-- the superuser's settings are back afterwards
SHOW search_path;
SELECT current_user = session_user AS same_user;
-- the fact is right
SELECT bucket, region, count, max_amount FROM sf_attacker.af ORDER BY bucket, region;
-- a backfill is the owner's to run
CALL dataeng.fact_backfill('sf_attacker.af');
-- the temporary tables of a refresh run as the owner are made outside its
-- security-restricted operation, but no other such operation gets one
SET ROLE sf_attacker;
CREATE FUNCTION sf_attacker.mk() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng_internal._agg_temp_table('_dataeng_mine', 'SELECT 1 AS x');
  RETURN 1;
END;
$$;
CREATE MATERIALIZED VIEW sf_attacker.mv AS SELECT sf_attacker.mk() AS x WITH NO DATA;
RESET ROLE;
REFRESH MATERIALIZED VIEW sf_attacker.mv;
SELECT to_regclass('pg_temp._dataeng_mine') AS mine;

-------------------------------------------------------------------------------
-- SQL in a fact's measures never runs: a definition edited behind the
-- functions' back (by a superuser) is refused when refreshed
-------------------------------------------------------------------------------
SET ROLE sf_attacker;
CREATE FUNCTION sf_attacker.pwn() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sf_attacker.who_log VALUES (current_user, 'pwn');
  RETURN 0;
END;
$$;
RESET ROLE;
UPDATE dataeng_internal.fact_defs SET spec = jsonb_set(spec, '{1,agg}', '"sf_attacker.pwn() + max"')
 WHERE name = 'sf_attacker.af';
SELECT dataeng.fact_refresh('sf_attacker.af');
SELECT dataeng.fact_rebuild('sf_attacker.af');
SELECT count(*) AS pwned FROM sf_attacker.who_log WHERE what = 'pwn';
UPDATE dataeng_internal.fact_defs SET spec = jsonb_set(spec, '{1,agg}', '"max"') WHERE name = 'sf_attacker.af';

-------------------------------------------------------------------------------
-- A superuser's fact_drop drops only what the fact created
-------------------------------------------------------------------------------
-- (a definition pointed at the victim's table and consumer: no role but a
-- superuser can write one now, but the drop checks anyway)
UPDATE dataeng_internal.fact_defs SET fact_table = 'sf_victim.payroll' WHERE name = 'sf_attacker.af';
SELECT dataeng.fact_drop('sf_attacker.af');
UPDATE dataeng_internal.fact_defs SET fact_table = 'sf_attacker.af', storage_table = 'sf_victim.payroll' WHERE name = 'sf_attacker.af';
SELECT dataeng.fact_drop('sf_attacker.af');
UPDATE dataeng_internal.fact_defs SET storage_table = 'sf_attacker.af_data', consumer = 'fact:sf_victim.f3' WHERE name = 'sf_attacker.af';
SELECT dataeng.fact_drop('sf_attacker.af');
UPDATE dataeng_internal.dimension_defs SET dim_table = 'sf_victim.payroll' WHERE name = 'sf_attacker.ad';
SELECT dataeng.dimension_drop('sf_attacker.ad');
SELECT count(*) AS payroll_rows FROM sf_victim.payroll;
SELECT name, owner FROM dataeng.cdc_consumers ORDER BY name;
UPDATE dataeng_internal.fact_defs SET consumer = 'fact:sf_attacker.af' WHERE name = 'sf_attacker.af';
UPDATE dataeng_internal.dimension_defs SET dim_table = 'sf_attacker.ad' WHERE name = 'sf_attacker.ad';
-- as they are, the superuser drops them (as their owner)
SELECT dataeng.fact_drop('sf_attacker.af');
SELECT dataeng.dimension_drop('sf_attacker.ad');
SELECT to_regclass('sf_attacker.af') AS af, to_regclass('sf_attacker.ad') AS ad,
       to_regclass('sf_victim.payroll') AS payroll;

-------------------------------------------------------------------------------
-- Deleting a definition through the entry point takes its consumer and job
-- with it: none is left for the next fact or dimension of that name
-------------------------------------------------------------------------------
SET ROLE sf_attacker;
SET search_path = sf_attacker;
CREATE TABLE sf_attacker.t4 (id int PRIMARY KEY, at timestamptz NOT NULL, amount int);
SELECT dataeng.fact_create('f4', 'sf_attacker.t4', 'at', 'day', '{}', ARRAY['count(*)'], schedule => '@yearly');
SELECT dataeng.dimension_create('d4', 'sf_attacker.t4', 'id', '{}', schedule => '@yearly');
SELECT dataeng_internal._fact_def_write('delete', f, 0) FROM dataeng_internal.fact_defs f WHERE name = 'f4';
SELECT dataeng_internal._dim_def_write('delete', x, 0) FROM dataeng_internal.dimension_defs x WHERE name = 'd4';
DROP VIEW sf_attacker.f4;
DROP TABLE sf_attacker.f4_data, sf_attacker.d4;
RESET ROLE;
SELECT name, owner FROM dataeng.cdc_consumers WHERE name IN ('fact:f4', 'dim:d4');
SELECT job_name, owner FROM dataeng.jobs WHERE job_name IN ('fact_refresh:f4', 'dimension_refresh:d4');
SET ROLE sf_victim;
SET search_path = sf_victim;
SELECT dataeng.fact_create('f4', 'sf_victim.sales', 'at', 'day', '{}', ARRAY['count(*)'], schedule => '@yearly');
SELECT dataeng.dimension_create('d4', 'sf_victim.sales', 'id', '{}', schedule => '@yearly');
INSERT INTO sf_victim.sales VALUES (30, '2026-01-03 10:00', 'n', 1);
SELECT dataeng.fact_refresh('f4');
SELECT dataeng.dimension_refresh('d4');
RESET ROLE;
SELECT name, owner FROM dataeng.cdc_consumers WHERE name IN ('fact:f4', 'dim:d4') ORDER BY name;
SELECT job_name, owner FROM dataeng.jobs WHERE job_name IN ('fact_refresh:f4', 'dimension_refresh:d4') ORDER BY job_name;
-- a consumer of that name not made by the definition (here a superuser's)
-- is never adopted
SELECT dataeng.cdc_consumer_create('fact:sf_victim.f5', ARRAY['sf_victim.sales'::regclass]);
SELECT dataeng.cdc_consumer_create('dim:sf_victim.d5', ARRAY['sf_attacker.src'::regclass]);
SET ROLE sf_victim;
SELECT dataeng.fact_create('sf_victim.f5', 'sf_victim.sales', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL);
SELECT dataeng.dimension_create('sf_victim.d5', 'sf_victim.sales', 'id', '{}', schedule => NULL);
RESET ROLE;
SELECT dataeng.cdc_consumer_drop('fact:sf_victim.f5');
SELECT dataeng.cdc_consumer_drop('dim:sf_victim.d5');

-------------------------------------------------------------------------------
-- A definition is named after its table: no role registers a name that
-- fact_create or dimension_create would give another table; a name taken
-- by another role is refused as such
-------------------------------------------------------------------------------
SET ROLE sf_attacker;
SET search_path = sf_attacker;
CREATE TABLE sf_attacker.ft (bucket timestamptz, __rows bigint);
SELECT dataeng_internal._fact_def_write('insert',
  ROW('sf_victim.f6', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:sf_victim.f6', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT dataeng_internal._fact_def_write('insert',
  ROW('f6', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'at', 'day', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:f6', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT dataeng_internal._dim_def_write('insert',
  ROW('sf_victim.d6', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'id', '{}', 1, 'dim:sf_victim.d6',
      NULL, now(), NULL, 0, 0, false, false, NULL, NULL, NULL)::dataeng_internal.dimension_defs, 0);
-- nor a definition fact_create would not write (a time column, grain or
-- time zone that is not one)
SELECT dataeng_internal._fact_def_write('insert',
  ROW('ft', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'nope', 'day', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:ft', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT dataeng_internal._fact_def_write('insert',
  ROW('ft', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'at', 'fortnight', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:ft', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT dataeng_internal._fact_def_write('insert',
  ROW('ft', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'at', 'day', 'Mars/Olympus', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "col": null, "float": false, "mode": "delta"}]',
      'fact:ft', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT dataeng_internal._dim_def_write('insert',
  ROW('ft', 'sf_attacker.ft', 'sf_attacker', 'sf_attacker.src', 'id', '{nope}', 1, 'dim:ft',
      NULL, now(), NULL, 0, 0, false, false, NULL, NULL, NULL)::dataeng_internal.dimension_defs, 0);
SELECT count(*) AS attacker_defs FROM dataeng_internal.fact_defs;
RESET ROLE;
SET ROLE sf_victim;
SELECT dataeng.fact_create('sf_victim.f6', 'sf_victim.sales', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL);
-- the victim's unqualified f4 is taken for everyone
RESET ROLE;
SET ROLE sf_attacker;
SELECT dataeng.fact_create('f4', 'sf_attacker.src', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL);
SELECT dataeng.dimension_create('d4', 'sf_attacker.src', 'id', '{}', schedule => NULL);
RESET ROLE;
RESET search_path;
SELECT name, owner FROM dataeng_internal.fact_defs ORDER BY name;
SELECT name, owner FROM dataeng_internal.dimension_defs ORDER BY name;
SET ROLE sf_victim;
SET search_path = sf_victim;
SELECT dataeng.fact_drop('f4');
SELECT dataeng.dimension_drop('d4');
SELECT dataeng.fact_drop('sf_victim.f6');
RESET search_path;
RESET ROLE;

-------------------------------------------------------------------------------
-- The victim drops its own; its job and consumer go with them
-------------------------------------------------------------------------------
SET ROLE sf_victim;
SELECT dataeng.fact_drop('sf_victim.f3');
SELECT dataeng.dimension_drop('sf_victim.d3');
SELECT count(*) AS jobs FROM dataeng.jobs;
SELECT count(*) AS consumers FROM dataeng.cdc_consumers;
RESET ROLE;

DROP SCHEMA sf_attacker CASCADE;
DROP SCHEMA sf_victim CASCADE;
DROP OWNED BY sf_attacker, sf_victim;
DROP ROLE sf_attacker, sf_victim;
DROP EXTENSION dataeng CASCADE;
