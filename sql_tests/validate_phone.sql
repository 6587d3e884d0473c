-- Phone validators (libphonenumber) against libphonenumber's own example
-- numbers (sql_tests/data/libphonenumber_example_numbers.tsv, Apache-2.0):
-- one per region and number type, valid by the metadata they come from.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE phone_examples (region text, country_code int, national_prefix text,
  number_type text, nsn text, e164 text, possible_lengths text);
\copy phone_examples FROM 'sql_tests/data/libphonenumber_example_numbers.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true)

-- in international format, and dialled nationally from their region
SELECT count(*) AS examples,
       count(*) FILTER (WHERE dataeng.is_phone(e164)) AS valid_international,
       count(*) FILTER (WHERE dataeng.is_phone(nsn, CASE WHEN region = '001' THEN NULL ELSE region END)
                          OR region = '001') AS valid_national,
       count(*) FILTER (WHERE dataeng.phone_possible(e164)) AS possible
  FROM phone_examples;
-- the examples this library's metadata (Debian's libphonenumber) no
-- longer or not yet accepts: newer ranges in the suite's metadata
SELECT region, number_type, e164, dataeng.phone_problem(e164) AS problem
  FROM phone_examples WHERE NOT dataeng.is_phone(e164) ORDER BY region, number_type;

-- formats people type
SELECT v, r, dataeng.is_phone(v, r) AS valid, dataeng.phone_problem(v, r) AS problem
  FROM (VALUES ('(415) 555-0100', 'US'), ('+1 415 555 0100', NULL), ('415.555.0100', 'us'),
               ('1-415-555-0100', 'US'), ('+44 20 7946 0958', NULL), ('0044 20 7946 0958', 'GB'),
               ('020 7946 0958', 'GB'), ('030 1234567', 'DE'), ('+49 30 1234567', NULL),
               ('020 7946 0958', NULL), ('12345', 'US'), ('call me', 'US'), ('+', NULL),
               ('', 'US'), ('+1 415 555 01000000', NULL), ('+999 1234 5678', NULL)) t(v, r);

-- NULL region means international format; a NULL number gives NULL
SELECT dataeng.is_phone(NULL), dataeng.is_phone('+442079460958', NULL);
-- never an error on the number, whatever the bytes: 1000 strings of 16
-- random bytes (1..255) in a SQL_ASCII database, which keeps invalid UTF-8
-- as it is, and 1000 of dialling characters; each function runs on each
-- string (its result is counted)
\set regress_db :DBNAME
CREATE DATABASE dataeng_phone_bytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_phone_bytes
CREATE FUNCTION is_phone(text, text DEFAULT NULL) RETURNS boolean
  AS '$libdir/dataeng', 'dataeng_is_phone' LANGUAGE C IMMUTABLE;
CREATE FUNCTION phone_possible(text, text DEFAULT NULL) RETURNS boolean
  AS '$libdir/dataeng', 'dataeng_phone_possible' LANGUAGE C IMMUTABLE;
CREATE FUNCTION phone_problem(text, text DEFAULT NULL) RETURNS text
  AS '$libdir/dataeng', 'dataeng_phone_problem' LANGUAGE C IMMUTABLE;
SELECT kind, count(*) AS strings,
       count(*) FILTER (WHERE is_phone(x, 'US')) AS valid_us, count(*) FILTER (WHERE is_phone(x)) AS valid_intl,
       count(*) FILTER (WHERE phone_possible(x, 'US')) AS possible_us,
       count(*) FILTER (WHERE is_phone(x, 'US') = (phone_problem(x, 'US') IS NULL)) AS consistent,
       bool_or(is_phone(x, 'US') IS NULL OR is_phone(x) IS NULL OR phone_possible(x, 'US') IS NULL) AS any_null
  FROM (SELECT 'bytes' AS kind, x FROM (SELECT string_agg(chr(1 + get_byte(decode(md5(g || '.' || i), 'hex'), 0) % 255), '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 16) i GROUP BY g) r
        UNION ALL
        SELECT 'dialling', x FROM (SELECT string_agg((ARRAY['+', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '(', ')', '-', ' ', '.', 'x', '#', '*', 'ext', chr(160), chr(195)])[1 + get_byte(decode(md5(g || '/' || i), 'hex'), 0) % 22], '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 14) i GROUP BY g) r) s
 GROUP BY kind ORDER BY kind;
\c :regress_db
DROP DATABASE dataeng_phone_bytes;
SELECT dataeng.is_phone(repeat('9', 100000), 'US');
-- an unknown region is an error of the call
SELECT dataeng.is_phone('020 7946 0958', 'XX');
SELECT dataeng.is_phone('020 7946 0958', 'GBR');

DROP TABLE phone_examples;
DROP EXTENSION dataeng;
