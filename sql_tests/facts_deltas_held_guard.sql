-- The groups a fold holds for the C apply (src/aggregate/held.c) cannot be
-- forgotten, replaced or written by the fact owner's code that the fold
-- runs (a measure's function calling the PUBLIC _fact_deltas_hold() or
-- _fact_deltas_write()): the hold is refused there, the write an error,
-- and the refresh stays right.  Groups held are written only into a table
-- whose columns are still those they were held in.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

\i sql_tests/lib/fact_diff.sql

CREATE TABLE hg (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int);
INSERT INTO hg SELECT i, timestamptz '2025-01-01' + (i % 5) * interval '1 day', i % 4, i
  FROM generate_series(1, 100) i;
CREATE TABLE hg_mode (m text);
INSERT INTO hg_mode VALUES ('none');
-- a measure's function (declared immutable, as a measure needs) that calls
-- the functions of the held groups while the fold runs it
CREATE FUNCTION hg_meddle(x int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  m text := (SELECT hg_mode.m FROM public.hg_mode);
  t regclass := to_regclass('pg_temp._dataeng_delta_raw');
BEGIN
  IF m = 'hold' AND t IS NOT NULL THEN
    IF dataeng_internal._fact_deltas_hold(t, 'SELECT 1') THEN
      RAISE EXCEPTION 'held';
    END IF;
  ELSIF m = 'write' AND t IS NOT NULL THEN
    PERFORM dataeng_internal._fact_deltas_write(t);
  END IF;
  RETURN x;
END $$;
SELECT dataeng.fact_create('hg_f', 'hg', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(public.hg_meddle(a)) AS s'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW hg_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, count(*) AS count, sum(a) AS s FROM hg GROUP BY 1, 2;

-- a hold asked during the fold: refused, the fold's groups stay held and
-- are applied in C
UPDATE hg_mode SET m = 'hold';
UPDATE hg SET a = a + 1000 WHERE id % 3 = 0;
SELECT dataeng.fact_refresh('hg_f') AS changes;
SELECT fact_diff('hg_f', 'SELECT * FROM hg_truth') AS diff, dataeng_internal._fact_apply_last() LIKE 'C:%' AS c_apply;

-- a write asked during the fold: an error, the refresh rolled back
UPDATE hg_mode SET m = 'write';
UPDATE hg SET a = a - 7 WHERE id % 4 = 0;
SELECT dataeng.fact_refresh('hg_f') AS changes;
UPDATE hg_mode SET m = 'none';
SELECT dataeng.fact_refresh('hg_f') AS changes;
SELECT fact_diff('hg_f', 'SELECT * FROM hg_truth') AS diff;

-- groups held for a table whose column changed type before the write:
-- an error, nothing written in the shape of the old columns
CREATE TABLE hg2 (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int);
INSERT INTO hg2 SELECT i, timestamptz '2025-01-01' + (i % 5) * interval '1 day', i % 4, i
  FROM generate_series(1, 100) i;
SELECT dataeng.fact_create('hg2_f', 'hg2', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'sum(a)'],
                           schedule => NULL) IS NOT NULL AS created;
UPDATE hg2 SET a = a + 1;
BEGIN;
DO $$
DECLARE
  d dataeng_internal.fact_defs := dataeng_internal._fact_def('hg2_f', false);
  b dataeng_internal.fact_refresh_build := dataeng_internal._fact_refresh_build(d, NULL);
BEGIN
  EXECUTE 'CREATE TEMP TABLE hg_deltas AS ' || replace(b.delta, '($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            '(NULL::text, NULL::regclass, NULL::text, NULL::text, NULL::text, NULL::text[], NULL::text[], '
            'NULL::boolean[], NULL::boolean[], NULL::boolean[])') || ' WITH NO DATA';
  IF NOT dataeng_internal._fact_deltas_hold('hg_deltas', b.delta) THEN
    RAISE EXCEPTION 'not held';
  END IF;
  EXECUTE 'INSERT INTO hg_deltas ' || b.delta
    USING d.consumer, d.source, d.time_column, d.grain, d.time_zone, d.dimensions, b.vals, b.summed, b.extreme, b.dvals;
END $$;
SELECT count(*) AS total_row_only FROM hg_deltas;
ALTER TABLE hg_deltas ALTER COLUMN k0 TYPE text;
SELECT dataeng_internal._fact_deltas_write('hg_deltas');
ROLLBACK;
-- and one dropped: an error too
BEGIN;
DO $$
DECLARE
  d dataeng_internal.fact_defs := dataeng_internal._fact_def('hg2_f', false);
  b dataeng_internal.fact_refresh_build := dataeng_internal._fact_refresh_build(d, NULL);
BEGIN
  EXECUTE 'CREATE TEMP TABLE hg_deltas AS ' || replace(b.delta, '($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            '(NULL::text, NULL::regclass, NULL::text, NULL::text, NULL::text, NULL::text[], NULL::text[], '
            'NULL::boolean[], NULL::boolean[], NULL::boolean[])') || ' WITH NO DATA';
  PERFORM dataeng_internal._fact_deltas_hold('hg_deltas', b.delta);
  EXECUTE 'INSERT INTO hg_deltas ' || b.delta
    USING d.consumer, d.source, d.time_column, d.grain, d.time_zone, d.dimensions, b.vals, b.summed, b.extreme, b.dvals;
  PERFORM set_config('hg.oid', 'hg_deltas'::regclass::oid::text, true);
END $$;
DROP TABLE hg_deltas;
SELECT dataeng_internal._fact_deltas_write(current_setting('hg.oid')::oid);
ROLLBACK;
SELECT dataeng.fact_refresh('hg2_f') AS changes;
SELECT fact_diff('hg2_f', 'SELECT date_trunc(''day'', ts) AS bucket, g, count(*), sum(a) AS sum_a FROM hg2 GROUP BY 1, 2') AS diff;

-- a hold asked by a CHECK constraint of the fact's table while the C apply
-- reads the groups held: refused, the groups stay held, written for the
-- recompute of a min whose reserve ran out
CREATE TABLE hg3 (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int);
INSERT INTO hg3 SELECT i, timestamptz '2025-01-01' + (i % 2) * interval '1 day', i % 2, i
  FROM generate_series(1, 200) i;
SELECT dataeng.fact_create('hg3_f', 'hg3', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'min(a)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE FUNCTION hg_check(x bigint) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  t regclass := to_regclass('pg_temp._dataeng_delta_raw');
BEGIN
  IF t IS NOT NULL AND dataeng_internal._fact_deltas_hold(t, 'SELECT 1') THEN
    RAISE EXCEPTION 'held';
  END IF;
  RETURN true;
END $$;
ALTER TABLE hg3_f_data ADD CONSTRAINT hg_check CHECK (public.hg_check(count));
DELETE FROM hg3 WHERE g = 0 AND id <= 80;
UPDATE hg3 SET a = a + 1 WHERE g = 1;
SELECT dataeng.fact_refresh('hg3_f') AS changes;
SELECT last_refresh_path FROM dataeng.facts WHERE name = 'hg3_f';
SELECT fact_diff('hg3_f', 'SELECT date_trunc(''day'', ts) AS bucket, g, count(*), min(a) AS min_a FROM hg3 GROUP BY 1, 2') AS diff,
       dataeng_internal._fact_apply_last() LIKE 'C:%' AS c_apply;

SELECT dataeng.fact_drop('hg_f'), dataeng.fact_drop('hg2_f'), dataeng.fact_drop('hg3_f');
DROP VIEW hg_truth;
DROP TABLE hg, hg2, hg3, hg_mode;
DROP FUNCTION hg_meddle(int), hg_check(bigint), fact_diff(regclass, text);
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
