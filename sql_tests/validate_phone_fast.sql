-- is_phone() and phone_possible() answer false at once for an ASCII value
-- without a digit ('n/a', 'unknown', '-', ''), without calling
-- libphonenumber (src/validate/phone.c, phone_surely_not); phone_problem()
-- still asks the library.  The fast path must not change an answer: here
-- both functions agree with phone_problem(), which reads the library's
-- verdict, on every value of libphonenumber's example numbers
-- (sql_tests/data/libphonenumber_example_numbers.tsv, Apache-2.0) written
-- in several ways, and on values without digits, with letters (vanity
-- numbers), punctuation, plus signs, and digits of other scripts, under
-- several regions and none.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

CREATE TABLE pf_examples (region text, country_code int, national_prefix text,
  number_type text, nsn text, e164 text, possible_lengths text);
\copy pf_examples FROM 'sql_tests/data/libphonenumber_example_numbers.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true)

CREATE TABLE pf_values (v text);
INSERT INTO pf_values
SELECT e164 FROM pf_examples
UNION ALL SELECT nsn FROM pf_examples
UNION ALL SELECT '(' || left(nsn, 3) || ') ' || substr(nsn, 4) FROM pf_examples
UNION ALL SELECT left(e164, 6) FROM pf_examples
UNION ALL SELECT chr(c) FROM generate_series(32, 126) c
UNION ALL SELECT chr(a) || chr(b) FROM generate_series(32, 126, 3) a, generate_series(33, 126, 5) b
UNION ALL SELECT unnest(ARRAY['', 'n/a', 'N/A', 'unknown', 'none', '-', '--', 'TBD', 'no phone', '+', '++', '+ +',
                              'tel:', 'tel:+', 'ext', 'x', '#', '*', '()', '( )', '.', 'FLOWERS', '+FLOWERS',
                              'CALL-FLOWERS', 'TEL-ABC-DEFG', '1-800-FLOWERS', '+1-800-FLOWERS', '800 FLOWERS',
                              '+1 650 253 0000', '650 253 0000 ext 12', '+44 20 7946 0958', '0', '1', '12', '123',
                              '+1', '+12', '+123', e'\t', ' ', '   ', e'+\t1', 'one two three',
                              -- digits of other scripts, full-width forms, a non-ASCII letter
                              '１２３', '＋１ ６５０ ２５３ ００００', '٠١٢٣٤٥٦٧٨٩', '+٤٤ ٢٠ ٧٩٤٦ ٠٩٥٨', '۰۱۲۳۴۵۶۷۸۹',
                              '०१२३४५६७८९', 'é', 'ＦＬＯＷＥＲＳ', '＋', '–', 'n/a é']);

SELECT count(*) AS values_, count(*) FILTER (WHERE v !~ '[0-9]' AND v ~ '^[ -~\t]*$') AS ascii_without_digit
  FROM pf_values;

-- is_phone is valid: phone_problem says nothing; phone_possible: nothing or
-- "not a valid number"; the same under each region, and no region
SELECT r.region,
       count(*) AS compared,
       count(*) FILTER (WHERE dataeng.is_phone(v.v, r.region)
                        IS DISTINCT FROM (dataeng.phone_problem(v.v, r.region) IS NULL)) AS is_phone_differs,
       count(*) FILTER (WHERE dataeng.phone_possible(v.v, r.region)
                        IS DISTINCT FROM coalesce(dataeng.phone_problem(v.v, r.region) = 'not a valid number for its country',
                                                  true)) AS possible_differs,
       count(*) FILTER (WHERE dataeng.is_phone(v.v, r.region)) AS valid
  FROM pf_values v, (VALUES (NULL), ('US'), ('GB'), ('DE'), ('JP'), ('IN'), ('NU'), ('SH')) r(region)
 GROUP BY r.region ORDER BY r.region NULLS FIRST;

-- an unknown region is an error, also for a value without a digit
SELECT dataeng.is_phone('n/a', 'ZZ');
SELECT dataeng.phone_possible('', 'ZZ');
SELECT dataeng.is_phone('n/a', 'us') AS lower_case_region, dataeng.is_phone(NULL, 'ZZ') AS null_value;

DROP TABLE pf_examples, pf_values;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
