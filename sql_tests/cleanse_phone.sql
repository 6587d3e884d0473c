-- to_e164 through libphonenumber, against its example numbers
-- (sql_tests/data/libphonenumber_example_numbers.tsv, Apache-2.0).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
CREATE TABLE phone_examples (region text, country_code int, national_prefix text,
  number_type text, nsn text, e164 text, possible_lengths text);
\copy phone_examples FROM 'sql_tests/data/libphonenumber_example_numbers.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true)
-- national significant numbers dialled from their region come out as the
-- expected E.164 form (where this libphonenumber's metadata knows the range)
SELECT count(*) AS examples,
       count(*) FILTER (WHERE dataeng.to_e164(nsn, region) = e164) AS converted,
       count(*) FILTER (WHERE dataeng.to_e164(nsn, region) IS NULL) AS not_valid_here,
       count(*) FILTER (WHERE dataeng.to_e164(nsn, region) <> e164) AS wrong
  FROM phone_examples WHERE region <> '001';

SELECT v, r, dataeng.to_e164(v, r) AS e164
  FROM (VALUES ('(415) 555-0100', 'US'), ('415.555.0100', 'us'), ('+1 415 555 0100', NULL),
               ('0044 20 7946 0958', 'GB'), ('020 7946 0958', 'GB'), ('+44 (0)20 7946 0958', NULL),
               ('030 1234567', 'DE'), ('01 26 50 73 12', 'FR'), ('12345', 'US'), ('call me', 'US'),
               ('020 7946 0958', NULL), (NULL, 'US')) t(v, r);
SELECT dataeng.to_e164('020 7946 0958', 'UK');

DROP TABLE phone_examples;
DROP EXTENSION dataeng;
