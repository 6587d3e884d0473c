-- Numbers as people write them.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

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

-- never an error, whatever the bytes
SELECT count(*) AS survived FROM (
  SELECT dataeng.parse_number(convert_from(decode(md5(g::text), 'hex'), 'SQL_ASCII'))
    FROM generate_series(1, 1000) g) s;

DROP EXTENSION dataeng;
