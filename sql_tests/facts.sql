-- Fact tables: every measure kind, NULLs, bucket moves, deletes, late rows,
-- TRUNCATE, time column types and zones, errors, drop, the view, and a
-- randomized comparison with the GROUP BY truth after every refresh.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

CREATE TABLE sales (
  id int PRIMARY KEY,
  ts timestamptz NOT NULL,
  d date,
  t timestamp,
  region text NOT NULL,
  product text,
  amount numeric(10,2),
  qty int,
  price float8,
  note text
);
INSERT INTO sales
SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '5 hours 7 minutes',
       date '2026-01-01' + g % 40, timestamp '2026-01-01 00:00' + g * interval '9 hours',
       'r' || g % 3, CASE WHEN g % 5 = 0 THEN NULL ELSE 'p' || g % 4 END,
       CASE WHEN g % 7 = 0 THEN NULL ELSE g * 1.25 END, g % 6, (g % 8) * 0.5, 'n' || g
  FROM generate_series(1, 300) g;

\i sql_tests/lib/fact_diff.sql

CREATE VIEW sales_truth AS
  SELECT date_trunc('day', ts, 'UTC') AS bucket, region, product,
         count(*) AS count, count(amount) AS n_amount, sum(amount) AS sum_amount, avg(qty) AS avg_qty,
         min(amount) AS min_amount, max(ts) AS last_sale, count(DISTINCT qty) AS count_distinct_qty,
         sum(price) AS sum_price, avg(price) AS avg_price, min(note) AS first_note
    FROM sales GROUP BY 1, 2, 3;

-- every measure kind, defaults and aliases
SELECT dataeng.fact_create('sales_daily', 'sales', 'ts', 'day', ARRAY['region', 'product'],
  ARRAY['count(*)', 'COUNT(amount) AS n_amount', 'sum(amount)', 'avg(qty)', 'min(amount)',
        'max(ts) as last_sale', 'count(DISTINCT qty)', 'sum(price)', 'avg(price)', 'min(note) AS first_note'],
  schedule => NULL);
\d sales_daily
SELECT name, "table", source, time_column, grain, time_zone, dimensions, measures, last_changes,
       pending_changes FROM dataeng.facts;
SELECT count(*) > 0 AS has_rows, fact_diff('sales_daily', 'SELECT * FROM sales_truth') AS diff FROM sales_daily;
-- fact_create captured its source
SELECT count(*) AS still_captured FROM dataeng.cdc_tables WHERE table_name = 'sales'::regclass;

-- nothing to do
SELECT dataeng.fact_refresh('sales_daily');

-- updates inside a group, bucket moves, dimension moves, NULLs both ways
UPDATE sales SET amount = amount + 1 WHERE id % 10 = 1;
UPDATE sales SET ts = ts + interval '3 days' WHERE id % 10 = 2;
UPDATE sales SET region = 'r9', product = NULL WHERE id % 10 = 3;
UPDATE sales SET amount = NULL, qty = NULL, price = NULL WHERE id % 10 = 4;
UPDATE sales SET amount = 5 WHERE id % 14 = 7;
SELECT dataeng.fact_refresh('sales_daily');
SELECT fact_diff('sales_daily', 'SELECT * FROM sales_truth') AS diff;

-- a group whose values are all NULL: sum and avg are NULL, like GROUP BY
INSERT INTO sales VALUES (1001, '2027-01-01 10:00+00', NULL, NULL, 'rn', 'pn', NULL, NULL, NULL, NULL),
                         (1002, '2027-01-01 11:00+00', NULL, NULL, 'rn', 'pn', NULL, NULL, NULL, NULL);
SELECT dataeng.fact_refresh('sales_daily');
SELECT count, n_amount, sum_amount, avg_qty, min_amount, count_distinct_qty, sum_price, avg_price
  FROM sales_daily WHERE region = 'rn';
UPDATE sales SET amount = 2.5 WHERE id = 1001;
SELECT dataeng.fact_refresh('sales_daily');
SELECT count, n_amount, sum_amount, min_amount FROM sales_daily WHERE region = 'rn';
UPDATE sales SET amount = NULL WHERE id = 1001;
SELECT dataeng.fact_refresh('sales_daily');
SELECT count, n_amount, sum_amount, min_amount FROM sales_daily WHERE region = 'rn';

-- deletes emptying groups: the group disappears
DELETE FROM sales WHERE region = 'rn';
SELECT dataeng.fact_refresh('sales_daily');
SELECT count(*) AS rn_groups FROM sales_daily WHERE region = 'rn';
DELETE FROM sales WHERE id % 10 = 5;
SELECT dataeng.fact_refresh('sales_daily');
SELECT fact_diff('sales_daily', 'SELECT * FROM sales_truth') AS diff;

-- late rows for old buckets, and a row inserted, updated and deleted in one
-- transaction
INSERT INTO sales SELECT 2000 + g, timestamptz '2025-06-01 00:00+00' + g * interval '1 hour', NULL, NULL,
                         'r1', 'p1', g, g, g, 'late' FROM generate_series(1, 30) g;
BEGIN;
INSERT INTO sales VALUES (3000, '2025-06-01 03:00+00', NULL, NULL, 'r1', 'p1', 99, 1, 1, 'x');
UPDATE sales SET amount = 98 WHERE id = 3000;
DELETE FROM sales WHERE id = 3000;
COMMIT;
SELECT dataeng.fact_refresh('sales_daily');
SELECT fact_diff('sales_daily', 'SELECT * FROM sales_truth') AS diff;

-- TRUNCATE: the fact is rebuilt from the source
TRUNCATE sales;
INSERT INTO sales VALUES (1, '2026-03-01 10:00+00', NULL, NULL, 'r1', NULL, 10, 1, 1, 'a'),
                         (2, '2026-03-01 11:00+00', NULL, NULL, 'r1', NULL, 20, 2, 2, 'b');
SELECT dataeng.fact_refresh('sales_daily');
SELECT bucket, region, product, count, sum_amount, avg_qty FROM sales_daily;
SELECT fact_diff('sales_daily', 'SELECT * FROM sales_truth') AS diff;

-- Time zones: timestamptz buckets follow the zone in effect at fact_create,
-- whatever the zone of the session that refreshes; a date column gives
-- date buckets and a timestamp column timestamp buckets, of no zone.
INSERT INTO sales
SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '5 hours 7 minutes',
       date '2026-01-01' + g % 40, timestamp '2026-01-01 00:00' + g * interval '9 hours',
       'r' || g % 3, 'p' || g % 2, g, g % 6, g, 'n' || g
  FROM generate_series(10, 200) g;
SET TimeZone = 'America/New_York';
SELECT dataeng.fact_create('sales_weekly_d', 'sales', 'd', 'week', ARRAY['region'],
  ARRAY['count(*)', 'sum(amount) AS total'], schedule => NULL);
SELECT dataeng.fact_create('mart_monthly_t', 'sales', 't', 'MONTHS', '{}',
  ARRAY['count(*)', 'max(t)'], schedule => NULL);
SELECT dataeng.fact_create('sales_hourly', 'sales', 'ts', 'hour', ARRAY['product'],
  ARRAY['count(*)', 'avg(amount)'], schedule => NULL);
SET TimeZone = 'Asia/Tokyo';
UPDATE sales SET d = d + 3, t = t + interval '20 days', ts = ts + interval '90 minutes' WHERE id % 4 = 0;
INSERT INTO sales VALUES (500, '2026-02-01 04:30+00', '2026-02-01', '2026-02-01 02:00', 'r0', NULL, 1, 1, 1, 'tz');
SELECT dataeng.fact_refresh('sales_weekly_d'), dataeng.fact_refresh('mart_monthly_t'),
       dataeng.fact_refresh('sales_hourly');
SELECT fact_diff('sales_weekly_d', $$SELECT date_trunc('week', d::timestamp)::date,
                   region, count(*), sum(amount) FROM sales GROUP BY 1, 2$$) AS weekly_diff,
       fact_diff('mart_monthly_t', $$SELECT date_trunc('month', t),
                   count(*), max(t) FROM sales GROUP BY 1$$) AS monthly_diff,
       fact_diff('sales_hourly', $$SELECT date_trunc('hour', ts, 'America/New_York'), product, count(*), avg(amount)
                   FROM sales GROUP BY 1, 2$$) AS hourly_diff;
SELECT time_zone FROM dataeng.facts WHERE name = 'sales_weekly_d';
SET TimeZone = 'UTC';
SELECT bucket, total FROM sales_weekly_d WHERE region = 'r0' ORDER BY bucket LIMIT 2;
SELECT "table", grain FROM dataeng.facts WHERE name = 'mart_monthly_t';

-- errors
SELECT dataeng.fact_create('f1', 'sales', 'nope', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'region', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'fortnight', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{nope}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{region,region}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{bucket}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{sum(nope)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{sum(note)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{avg(region)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{median(qty)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{"sum(amount * 2)"}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', ARRAY['sum(qty); DROP TABLE sales; --'], NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{sum(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{"sum(DISTINCT qty)"}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{count(*),count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{region}', '{"max(qty) AS region"}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{"count(*) AS __rows"}', NULL);
-- names of a refresh's working columns (every refresh failed with
-- "column "k0" specified more than once")
\set VERBOSITY default
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{region}', '{"sum(qty) AS k0"}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{"count(*) AS is_total"}', NULL);
\set VERBOSITY terse
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{"count(*) AS n_changes"}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{"count(*) AS k12"}', NULL);
SELECT dataeng.fact_create('sales', 'sales', 'ts', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('sales_daily', 'sales', 'ts', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('a.b.c', 'sales', 'ts', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('nosuchschema.f', 'sales', 'ts', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales_truth', 'bucket', 'day', '{}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', NULL, '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'sales', 'ts', 'day', '{}', '{count(*)}', 'every minute');
SELECT dataeng.fact_refresh('nope');
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.fact_refresh('sales_daily');
ROLLBACK;
-- a source captured without a needed column, or with changed_only
CREATE TABLE narrow (id int PRIMARY KEY, at timestamptz, secret text, v int);
SELECT dataeng.cdc_enable('narrow', exclude_columns => '{secret}');
SELECT dataeng.fact_create('f1', 'narrow', 'at', 'day', '{secret}', '{count(*)}', NULL);
SELECT dataeng.fact_create('f1', 'narrow', 'at', 'day', '{}', '{sum(v)}', NULL) IS NOT NULL AS ok;
SELECT dataeng.fact_drop('f1');
SELECT dataeng.cdc_enable('narrow', changed_only => true);
SELECT dataeng.fact_create('f1', 'narrow', 'at', 'day', '{}', '{sum(v)}', NULL);
-- nothing of the failed calls is left behind
SELECT count(*) FROM pg_class WHERE relname = 'f1';
SELECT name FROM dataeng.facts ORDER BY 1;
SELECT name FROM dataeng.cdc_consumers ORDER BY 1;

-- identifiers are quoted everywhere
CREATE TABLE "Odd ""Src""" ("Time Col" timestamptz NOT NULL, "Dim; x" text, "Val'ue" int);
SELECT dataeng.fact_create('"Odd Fact"', '"Odd ""Src"""', 'Time Col', 'day', ARRAY['Dim; x'],
  ARRAY['sum("Val''ue") AS "Total ""Q"""', 'count(*)'], schedule => NULL);
INSERT INTO "Odd ""Src""" VALUES ('2026-01-01 10:00+00', 'a', 1), ('2026-01-01 11:00+00', NULL, 2);
SELECT dataeng.fact_refresh('"Odd Fact"');
SELECT bucket, "Dim; x", "Total ""Q""", count FROM "Odd Fact" ORDER BY 2;

-- Randomized: random inserts, updates (moves, NULLs) and deletes in
-- committed transactions, a refresh after each round, compared with the
-- truth every time.
CREATE PROCEDURE random_rounds(rounds int) LANGUAGE plpgsql AS $$
DECLARE
  diff bigint;
  top int;
BEGIN
  PERFORM setseed(0.31);
  FOR r IN 1 .. rounds LOOP
    SELECT coalesce(max(id), 0) INTO top FROM sales;
    INSERT INTO sales
    SELECT top + g, timestamptz '2026-01-01 00:00+00' + (random() * 20) * interval '1 day',
           date '2026-01-01' + (random() * 60)::int, timestamp '2026-01-01' + random() * interval '300 days',
           'r' || (random() * 3)::int, CASE WHEN random() < 0.2 THEN NULL ELSE 'p' || (random() * 3)::int END,
           CASE WHEN random() < 0.2 THEN NULL ELSE round((random() * 100)::numeric, 2) END,
           CASE WHEN random() < 0.2 THEN NULL ELSE (random() * 5)::int END,
           CASE WHEN random() < 0.2 THEN NULL ELSE (random() * 8)::int * 0.5 END,
           'n' || (random() * 9)::int
      FROM generate_series(1, (random() * 20)::int) g;
    UPDATE sales SET amount = CASE WHEN random() < 0.2 THEN NULL ELSE round((random() * 100)::numeric, 2) END,
                     qty = CASE WHEN random() < 0.2 THEN NULL ELSE (random() * 5)::int END
     WHERE random() < 0.05;
    UPDATE sales SET ts = ts + (random() * 4 - 2) * interval '1 day',
                     region = 'r' || (random() * 3)::int,
                     product = CASE WHEN random() < 0.3 THEN NULL ELSE 'p' || (random() * 3)::int END,
                     d = d + (random() * 10)::int, t = t - random() * interval '40 days'
     WHERE random() < 0.05;
    DELETE FROM sales WHERE random() < 0.04;
    COMMIT;
    IF r % 3 = 0 THEN
      -- several transactions before one refresh
      UPDATE sales SET price = (random() * 8)::int * 0.5 WHERE random() < 0.1;
      COMMIT;
      DELETE FROM sales WHERE random() < 0.02;
      COMMIT;
    END IF;
    IF r = 20 THEN
      DELETE FROM sales;     -- every group emptied
      COMMIT;
    END IF;
    PERFORM dataeng.fact_refresh('sales_daily');
    PERFORM dataeng.fact_refresh('sales_weekly_d');
    PERFORM dataeng.fact_refresh('mart_monthly_t');
    COMMIT;
    diff := fact_diff('sales_daily', 'SELECT * FROM sales_truth')
          + fact_diff('sales_weekly_d', $q$SELECT date_trunc('week', d::timestamp)::date, region, count(*), sum(amount) FROM sales GROUP BY 1, 2$q$)
          + fact_diff('mart_monthly_t', $q$SELECT date_trunc('month', t), count(*), max(t) FROM sales GROUP BY 1$q$);
    IF diff <> 0 THEN
      RAISE EXCEPTION 'round %: facts differ from the GROUP BY truth in % rows', r, diff;
    END IF;
  END LOOP;
END $$;
CALL random_rounds(40);
SELECT count(*) > 0 AS has_rows, fact_diff('sales_daily', 'SELECT * FROM sales_truth') AS diff FROM sales_daily;
SELECT total_changes > 500 AS many_changes_applied FROM dataeng.facts WHERE name = 'sales_daily';

-- other roles see and touch only their own facts
CREATE ROLE fact_other;
GRANT SELECT ON sales TO fact_other;
SET ROLE fact_other;
SELECT count(*) AS visible FROM dataeng.facts;
SELECT dataeng.fact_refresh('sales_daily');
SELECT dataeng.fact_drop('sales_daily');
UPDATE dataeng_internal.fact_defs SET owner = 'fact_other';
RESET ROLE;

-- drop
SELECT dataeng.fact_drop('sales_daily');
SELECT dataeng.fact_drop('sales_weekly_d');
SELECT dataeng.fact_drop('mart_monthly_t');
SELECT dataeng.fact_drop('sales_hourly');
SELECT dataeng.fact_drop('"Odd Fact"');
SELECT to_regclass('sales_daily') AS fact_table, (SELECT count(*) FROM dataeng.facts) AS facts,
       (SELECT count(*) FROM dataeng.cdc_consumers) AS consumers;
SELECT dataeng.fact_drop('sales_daily');
DROP OWNED BY fact_other;
DROP ROLE fact_other;

SET client_min_messages = warning;
DROP PROCEDURE random_rounds;
DROP VIEW sales_truth;
DROP FUNCTION fact_diff;
DROP TABLE sales, narrow, "Odd ""Src""";
DROP EXTENSION dataeng CASCADE;
