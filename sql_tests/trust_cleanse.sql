-- fill_missing on the column types users have.  mean of an integer column
-- whose mean is not whole failed ("invalid input syntax for type integer:
-- 1.5000000000000000"); mean of a column without a mean (boolean,
-- timestamptz) failed with the internal query; and the value went through
-- text, so a float median or mean was rounded to extra_float_digits.  The
-- value is computed and assigned in the column's type now (an assignment
-- cast: numeric to integer rounds half away from zero, as UPDATE does).
CREATE EXTENSION dataeng;
\set VERBOSITY default
\pset null '(null)'

CREATE TABLE tf (id int PRIMARY KEY, q int, f float8, n numeric(6,2), b boolean, ts timestamptz,
                 d date, iv interval, t text);
INSERT INTO tf VALUES (1, 1, 0.1, 1.01, true, '2026-01-01 00:00+00', '2026-01-01', '1 hour', 'b'),
                      (2, 2, 0.30000000000000004, 2.00, false, '2026-01-03 00:00+00', '2026-01-03', '2 hours', 'a'),
                      (3, 2, 0.5, 2.00, false, '2026-01-05 00:00+00', '2026-01-05', '3 hours', 'a'),
                      (4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                      (5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SET extra_float_digits = -3;
SET DateStyle = 'SQL, DMY';
SELECT dataeng.fill_missing('tf', 'q', 'mean') AS q_mean;
SELECT dataeng.fill_missing('tf', 'f', 'median') AS f_median;
SELECT dataeng.fill_missing('tf', 'n', 'mean') AS n_mean;
SELECT dataeng.fill_missing('tf', 'd', 'median') AS d_median;
SELECT dataeng.fill_missing('tf', 'iv', 'mean') AS iv_mean;
SELECT dataeng.fill_missing('tf', 't', 'mode') AS t_mode;
RESET extra_float_digits;
RESET DateStyle;
-- the filled values, exactly: 5/3 = 1.67 rounds to 2; the median float is
-- 0.30000000000000004 itself, not 0.3 (its text with extra_float_digits -3)
SELECT id, q, f = 0.30000000000000004::float8 AS f_exact, n, d::text, iv, t FROM tf WHERE id >= 4 ORDER BY id;
-- nothing to compute from: nothing filled
CREATE TABLE tf_empty (id int PRIMARY KEY, q int);
INSERT INTO tf_empty VALUES (1, NULL);
SELECT dataeng.fill_missing('tf_empty', 'q', 'mean') AS filled;
-- a column without a mean, or without an order for median and mode
SELECT dataeng.fill_missing('tf', 'b', 'mean');
SELECT dataeng.fill_missing('tf', 'ts', 'mean');
CREATE TABLE tf_json (id int PRIMARY KEY, j json);
INSERT INTO tf_json VALUES (1, '{}'), (2, NULL);
SELECT dataeng.fill_missing('tf_json', 'j', 'median');
-- still filled by the strategies that apply
SELECT dataeng.fill_missing('tf', 'b', 'mode') AS b_mode, dataeng.fill_missing('tf', 'ts', 'median') AS ts_median;
SELECT id, b, ts FROM tf WHERE id >= 4 ORDER BY id;

DROP TABLE tf, tf_empty, tf_json;

-- parse_quantity: one separator followed by three digits is ambiguous, as
-- in parse_number ('1,500 kg' was 1.5 kg: 1500 kg in English notation)
SELECT q, (dataeng.parse_quantity(q)).*, dataeng.parse_number(split_part(q, ' ', 1)) AS parse_number
  FROM unnest(ARRAY['1,500 kg', '1.500 kg', '-1,500 kg', '1,5 kg', '1.25 kg', '0,500 kg', ',500 kg',
                    '12,345 g', '1234,567 g', '1,5000 kg']) WITH ORDINALITY AS t(q, n)
 ORDER BY n;
-- parse_date and parse_timestamp: a sign in front is not a separator to
-- skip ('-2026-01-01' gave 2026-01-01 AD)
SELECT x, dataeng.parse_date(x), dataeng.parse_timestamp(x, tz => 'UTC') IS NULL AS no_timestamp
  FROM unnest(ARRAY['-2026-01-01', '- 2026-01-01', '+2026-01-01', E'\u22122026-01-01', '2026-01-01',
                    '-24/11/2026', '2026-01-01 -']) WITH ORDINALITY AS t(x, n)
 ORDER BY n;

-- to_e164: an extension has no place in E.164 and is dropped, as the docs
-- say (the line's number, not NULL)
SELECT x, dataeng.to_e164(x, 'US')
  FROM unnest(ARRAY['202-555-0199 ext. 12', '202-555-0199 x12', '202-555-0199;ext=12']) WITH ORDINALITY AS t(x, n)
 ORDER BY n;

-- convert_unit: no temperature below absolute zero (it gave -226.85 K)
SELECT dataeng.convert_unit(-273.15, '°C', 'K') AS zero, dataeng.convert_unit(-459.67, '°F', '°C') AS f_zero;
SELECT dataeng.convert_unit(-500, 'C', 'K');
SELECT dataeng.convert_unit(-1, 'K', 'K');
SELECT dataeng.convert_unit(-460, '°F', '°F');

-- SI mega symbols whose lower case is a milli unit are no unit, not a
-- guess (case-insensitive matching read 5 Mg, five tonnes, as 5 mg; ML, a
-- megalitre, as a millilitre); capitals that are no SI symbol (MG, MM) stay
-- the milli unit of text written in capitals
SELECT q, (dataeng.parse_quantity(q)).* FROM unnest(ARRAY['5 Mg', '5Mg', '5 Mm', '5 ML', '5 Ml', '5 Ms',
                                                         '5 MG', '5 MM', '5 mL', '5 M']) q;
SELECT dataeng.convert_unit(5, 'Mg', 'kg');

DROP EXTENSION dataeng;
