-- Numbers as people write them.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

SELECT v, d, dataeng.parse_number(v, d) AS parsed
  FROM (VALUES ('1,234.56', NULL), ('1.234,56', NULL), ('1 234,56', NULL), (E'1\u00a0234,56', NULL),
               ('1''234.56', NULL), ('(12.50)', NULL), ('-12', NULL), ('12-', NULL), ('−3', NULL),
               ('12%', NULL), ('12.5 %', NULL), ('$1,234,567', NULL), ('1.234.567', NULL),
               ('1.234,56 EUR', NULL), ('USD 99.99', NULL), ('€ 5', NULL), ('£1.5', NULL), ('¥300', NULL),
               ('1.5e3', NULL), ('+7', NULL), ('0.5', NULL), ('.5', NULL), ('1,5', NULL),
               ('1,234', NULL), ('1.234', NULL), ('1,234', '.'), ('1,234', ','), ('1.234', ','),
               ('12.34.56', '.'), ('1,2,3', ','), ('abc', NULL), ('', NULL), ('--5', NULL),
               ('1e', NULL), ('1e99999', NULL), ('12 apples', NULL), (NULL, NULL)) t(v, d);

SELECT dataeng.parse_number_strict('1.234,56');
SELECT dataeng.parse_number_strict('1,234');
SELECT dataeng.parse_number_strict('twelve');
SELECT dataeng.parse_number('1', ';');
-- found by fuzzing: no digit before the exponent once separators go ('E3')
SELECT dataeng.parse_number($$'''E''3''''''$$) AS no_digits;
SELECT dataeng.parse_number_strict($$'E'3$$);

-- Digit grouping: group separators must make groups (one kind; a first
-- group of 1 to 3 digits, then groups of 3, or the Indian 2-digit groups
-- before the last 3).  Any other grouping is malformed: NULL, never the
-- digits run together ('12,5,3' was 1253).
SELECT v, d, dataeng.parse_number(v, d) AS parsed
  FROM (VALUES ('12,5,3', NULL), ('12,5,3', '.'), ('1,234,56', NULL), ('1,,234', NULL), ('1234,567.5', NULL),
               (',123,456', NULL), ('1,234,', NULL), ('12 34', NULL), ('1.234 567,5', NULL), ('123,45,678', NULL),
               ('1,234,567', NULL), ('1 234 567,5', NULL), ('1''234''567', NULL), ('1.234.567,89', NULL),
               ('1,23,456', NULL), ('12,34,567.5', NULL), ('1,234.5e3', NULL), ('1 000', NULL)) t(v, d);
SELECT dataeng.parse_number_strict('12,5,3');
\echo :LAST_ERROR_SQLSTATE
SELECT dataeng.parse_number_strict('1.234 567,5');
\echo :LAST_ERROR_SQLSTATE

-- Numbers numeric cannot hold (131072 digits before the point, 16383
-- after; a percentage needs two more decimals) give NULL, not numeric_in's
-- error; parse_number_strict raises 22003 with the reason.
SELECT dataeng.parse_number(repeat('9', 131073)) AS too_many_digits,
       dataeng.parse_number(repeat('9', 131072)) = repeat('9', 131072)::numeric AS most_digits,
       dataeng.parse_number('1' || repeat('0', 131071) || 'e1') AS too_many_by_exponent,
       dataeng.parse_number(repeat('0', 200000) || '5') AS leading_zeros_do_not_count;
SELECT dataeng.parse_number('0.' || repeat('1', 16383)) = ('0.' || repeat('1', 16383))::numeric AS most_decimals,
       dataeng.parse_number('0.' || repeat('1', 16384)) AS too_many_decimals,
       dataeng.parse_number('0.' || repeat('1', 16381) || '%') = ('0.00' || repeat('1', 16381))::numeric AS most_decimals_percent,
       dataeng.parse_number('0.' || repeat('1', 16382) || '%') AS too_many_decimals_percent;
SELECT dataeng.parse_number_strict(repeat('9', 131073));
\echo :LAST_ERROR_SQLSTATE

-- never an error, whatever the bytes: 1000 strings of 16 random bytes
-- (1..255) in a SQL_ASCII database, which keeps invalid UTF-8 as it is, and
-- 1000 of number characters; the function runs on each string (its result
-- is counted)
\set regress_db :DBNAME
CREATE DATABASE dataeng_number_bytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_number_bytes
CREATE FUNCTION parse_number(text, text DEFAULT NULL) RETURNS numeric
  AS '$libdir/dataeng', 'dataeng_parse_number' LANGUAGE C IMMUTABLE;
SELECT kind, count(*) AS strings, count(parse_number(x)) AS parsed,
       count(parse_number(x, ',')) AS parsed_comma
  FROM (SELECT 'bytes' AS kind, x FROM (SELECT string_agg(chr(1 + get_byte(decode(md5(g || '.' || i), 'hex'), 0) % 255), '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 16) i GROUP BY g) r
        UNION ALL
        SELECT 'numeric', x FROM (SELECT string_agg((ARRAY['0', '1', '5', '9', '.', ',', '-', '+', 'e', 'E', '%', '$', ' ', '''', '(', ')', 'k', chr(194), chr(160)])[1 + get_byte(decode(md5(g || '/' || i), 'hex'), 0) % 19], '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 8) i GROUP BY g) r) s
 GROUP BY kind ORDER BY kind;
\c :regress_db
DROP DATABASE dataeng_number_bytes;

DROP EXTENSION dataeng;
