-- Currencies, last observation carried forward, filling missing values.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

INSERT INTO dataeng.fx_rates VALUES
  ('USD', '2026-01-01', 1), ('EUR', '2026-01-01', 0.90), ('EUR', '2026-06-01', 0.95),
  ('GBP', '2026-01-01', 0.80), ('JPY', '2026-01-01', 150);
SELECT dataeng.to_currency(100, 'EUR', 'USD', '2026-03-01') AS eur_march,
       dataeng.to_currency(100, 'EUR', 'USD', '2026-07-01') AS eur_july,
       dataeng.to_currency(100, 'gbp', 'EUR', '2026-07-01') AS gbp_to_eur,
       dataeng.to_currency(1500, 'JPY', 'USD', '2026-12-31') AS yen,
       dataeng.to_currency(5, 'CHF', 'CHF', '2026-01-01') AS same;
SELECT dataeng.to_currency(100, 'EUR', 'USD', '2025-12-31');
SELECT dataeng.to_currency(100, 'CHF', 'USD', '2026-03-01');
INSERT INTO dataeng.fx_rates VALUES ('euro', '2026-01-01', 1);

CREATE TABLE readings (day date, sensor text, temp numeric, label text);
INSERT INTO readings VALUES
  ('2026-01-01', 'a', 10, 'x'), ('2026-01-02', 'a', NULL, NULL), ('2026-01-03', 'a', NULL, 'y'),
  ('2026-01-04', 'a', 13, NULL), ('2026-01-05', 'a', NULL, 'y'),
  ('2026-01-01', 'b', NULL, NULL), ('2026-01-02', 'b', 20, 'z');
SELECT sensor, day, temp, dataeng.locf(temp) OVER (PARTITION BY sensor ORDER BY day) AS carried
  FROM readings ORDER BY sensor, day;

CREATE TABLE m AS TABLE readings;
SELECT dataeng.fill_missing('m', 'temp', 'mean') AS filled;
-- the mean of 10, 13 and 20 (14.3333333333333333 from avg()) at the scale
-- of the values: 14
SELECT day, sensor, temp FROM m ORDER BY sensor, day;
-- a numeric column of no scale of its own: the mean at the largest scale
-- of its values (1.5, 2.25 and 2: 1.92), through a domain too; NaN
-- values have no scale (a mean of NaN only is NaN)
CREATE DOMAIN amount AS numeric;
CREATE TABLE ms (id int PRIMARY KEY, x numeric, d amount, nan numeric);
INSERT INTO ms VALUES (1, 1.5, 1.5, 'NaN'), (2, 2.25, 2.25, 'NaN'), (3, 2, 2, NULL), (4, NULL, NULL, NULL);
SELECT dataeng.fill_missing('ms', 'x', 'mean') AS x, dataeng.fill_missing('ms', 'd', 'mean') AS d,
       dataeng.fill_missing('ms', 'nan', 'mean') AS nan;
SELECT id, x, d, nan FROM ms ORDER BY id;
DROP TABLE ms;
DROP DOMAIN amount;
DROP TABLE m; CREATE TABLE m AS TABLE readings;
-- the known values are 10, 13 and 20: the median 13 is neither the mean
-- (14.33), the min nor the max, and each row shows what it was given
SELECT dataeng.fill_missing('m', 'temp', 'median') AS filled;
SELECT day, sensor, temp FROM m ORDER BY sensor, day;
DROP TABLE m; CREATE TABLE m AS TABLE readings;
SELECT dataeng.fill_missing('m', 'label', 'mode') AS filled;
SELECT string_agg(label, ',' ORDER BY sensor, day) AS labels FROM m;
-- a tie between values: the first in the column's sort order (its
-- collation) fills, whatever order the rows are stored in; '' is a value
-- (only NULL is missing) and sorts first
CREATE TABLE mt (id int PRIMARY KEY, s text COLLATE "C");
INSERT INTO mt VALUES (1, 'b'), (2, 'b'), (3, 'a'), (4, 'a'), (5, NULL);
SELECT dataeng.fill_missing('mt', 's', 'mode') AS filled;
SELECT s AS tie_filled FROM mt WHERE id = 5;
TRUNCATE mt;
INSERT INTO mt VALUES (1, 'b'), (2, ''), (3, 'b'), (4, ''), (5, NULL);
SELECT dataeng.fill_missing('mt', 's', 'mode') AS filled;
SELECT quote_literal(s) AS tie_filled FROM mt WHERE id = 5;
DROP TABLE mt;
DROP TABLE m; CREATE TABLE m AS TABLE readings;
SELECT dataeng.fill_missing('m', 'label', 'constant', 'unknown') AS filled;
SELECT count(*) AS unknowns FROM m WHERE label = 'unknown';
DROP TABLE m; CREATE TABLE m AS SELECT * FROM readings WHERE sensor = 'a';
SELECT dataeng.fill_missing('m', 'temp', 'locf', order_by => 'day') AS filled;
SELECT day, temp FROM m ORDER BY day;
-- bad calls
SELECT dataeng.fill_missing('m', 'nope', 'mean');
SELECT dataeng.fill_missing('m', 'temp', 'guess');
SELECT dataeng.fill_missing('m', 'temp', 'locf');
SELECT dataeng.fill_missing('m', 'temp', 'constant');
SELECT dataeng.fill_missing('m', 'temp', 'constant', 'warm');
-- an order_by that is not a column: 42703, as for column_name (it said
-- "needs order_by")
SELECT dataeng.fill_missing('m', 'temp', 'locf', order_by => 'no such');
\set VERBOSITY sqlstate
SELECT dataeng.fill_missing('m', 'temp', 'locf', order_by => 'no such');
\set VERBOSITY default

-- locf over a partitioned table: each row takes the value carried to it,
-- not one carried to the row at the same ctid of another partition (at 10
-- took 1000, carried to at 2 of the other partition)
CREATE TABLE fp (at int, region text, v int) PARTITION BY LIST (region);
CREATE TABLE fp_a PARTITION OF fp FOR VALUES IN ('a');
CREATE TABLE fp_b PARTITION OF fp FOR VALUES IN ('b');
INSERT INTO fp VALUES (1, 'b', 1000), (2, 'b', NULL), (9, 'a', 5), (10, 'a', NULL);
SELECT dataeng.fill_missing('fp', 'v', 'locf', order_by => 'at');
SELECT * FROM fp ORDER BY at;
DROP TABLE fp;

-- locf with ties in order_by: a row takes the last value of the rows
-- before it, not of its peers, the greatest of one order_by value's
-- values, whatever order the rows are stored in (with the window's default
-- frame a NULL took a peer's value, and which one by physical order); a
-- row whose order_by is NULL is not filled (it took the last value of all)
CREATE TABLE lt_a (at int, v int);
INSERT INTO lt_a VALUES (0, 3), (0, 7), (1, 5), (1, NULL), (2, NULL), (NULL, NULL);
CREATE TABLE lt_b AS SELECT * FROM lt_a ORDER BY at DESC NULLS FIRST, v NULLS FIRST;
CREATE TABLE lt_json (at int, v json);
INSERT INTO lt_json VALUES (1, '{"a": 1}'), (2, NULL), (2, '{"b": 1}'), (3, NULL);
SELECT t, dataeng.fill_missing(t::regclass, 'v', 'locf', order_by => 'at') AS filled
  FROM unnest(ARRAY['lt_a', 'lt_b', 'lt_json']) t;
SELECT 'lt_a' AS t, at, v::text FROM lt_a UNION ALL SELECT 'lt_b', at, v::text FROM lt_b
 UNION ALL SELECT 'lt_json', at, v::text FROM lt_json
 ORDER BY 1, 2, 3;
DROP TABLE lt_a, lt_b, lt_json;

DROP TABLE readings, m;
DROP EXTENSION dataeng;
