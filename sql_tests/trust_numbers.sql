-- parse_number and parse_number_strict on what a demanding user feeds
-- them: malformed and ambiguous groupings, other digits, signs alone,
-- exponents, huge inputs.  parse_number gives a number or NULL, never a
-- guess; parse_number_strict gives the same number or an error whose
-- SQLSTATE is 22P02 (not a number, with the reason) or 22003 (too large).
CREATE EXTENSION dataeng;
\pset null '(null)'

-- what parse_number_strict says, as text: the number, or the SQLSTATE and
-- the reason
CREATE FUNCTION tn_strict(v text, sep text DEFAULT NULL) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  st text;
  det text;
  msg text;
BEGIN
  RETURN dataeng.parse_number_strict(v, sep)::text;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, det = PG_EXCEPTION_DETAIL, msg = MESSAGE_TEXT;
  RETURN st || ' ' || coalesce(nullif(det, ''), msg);
END $$;

SELECT x AS input, dataeng.parse_number(x) AS parsed, tn_strict(x) AS strict
  FROM unnest(ARRAY['12,5,3', '1,23,456', '12,34,567', '1,2,345', '1.234,5', '1 234,5',
                    '-', '+', '+.5', '.5', '1e5', '1.5e3', '١٢٣', '１２３', ' 12 ', '12 ', '  ',
                    '1,234', '1.234', '1,234.5', '1.234.567', '1,,234', '1..2', '12.34.56',
                    'NaN', 'Infinity', '0x10', '1_000', '5 5', '--5', '1e', 'e5', '1e1001']) WITH ORDINALITY AS t(x, n)
 ORDER BY n;

-- a first group of 0 (or none) is no grouping: "0.001" and ",125" can only
-- be decimals, and "0,001" read with a decimal point is malformed, not 1
SELECT x AS input, dataeng.parse_number(x) AS inferred, dataeng.parse_number(x, '.') AS dot,
       dataeng.parse_number(x, ',') AS comma, tn_strict(x, '.') AS strict_dot
  FROM unnest(ARRAY['0.001', '0,001', '0.125', ',125', '.125', '00.001', '-0,250', '012,345',
                    '0 001', '0,001,000', '1,000', '10,000', '100.000']) WITH ORDINALITY AS t(x, n)
 ORDER BY n;

-- huge inputs: NULL (strict: 22003), never an error of numeric_in
SELECT length(dataeng.parse_number(repeat('9', 131072))::text) AS most_digits,
       dataeng.parse_number(repeat('9', 131073)) AS too_many,
       tn_strict(repeat('9', 131073)) AS strict_too_many,
       dataeng.parse_number('0.' || repeat('1', 16384)) AS too_many_decimals,
       tn_strict('0.' || repeat('1', 16384)) AS strict_too_many_decimals,
       dataeng.parse_number(repeat('1,234', 100000)) AS long_garbage;

-- the decimal separator argument: '.' or ','; anything else is an error
SELECT tn_strict('1,234', ';') AS bad_separator, tn_strict('1,234', '') AS empty_separator;

-- settings do not change the answers (they are IMMUTABLE)
SET lc_numeric = 'C';
SET DateStyle = 'German, DMY';
SELECT dataeng.parse_number('1.234,5') AS de, dataeng.parse_number('1,234.5') AS en,
       dataeng.parse_number('0,5') AS half;
RESET lc_numeric;
RESET DateStyle;

DROP FUNCTION tn_strict(text, text);
DROP EXTENSION dataeng;
