-- Postal codes against libaddressinput's examples (sql_tests/data/
-- libaddressinput_postal_codes.tsv, Apache-2.0).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE postal (country text, name text, zip_regex text, zip_examples text,
  zip_name_type text, require_flags text);
\copy postal FROM PROGRAM 'grep -v "^#" sql_tests/data/libaddressinput_postal_codes.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true)

CREATE TABLE postal_examples AS
  SELECT country, btrim(e) AS example
    FROM postal, unnest(string_to_array(zip_examples, ',')) e
   WHERE zip_examples IS NOT NULL;
SELECT count(DISTINCT country) AS countries, count(*) AS examples,
       count(*) FILTER (WHERE dataeng.is_postal_code(example, country)) AS valid
  FROM postal_examples;
-- the examples that do not match their own country's format (the data's
-- known-bad three: BY 20050, EE 1001, GB "RH6 OHP" with a letter O)
SELECT country, example, dataeng.postal_code_problem(example, country) AS problem
  FROM postal_examples WHERE NOT dataeng.is_postal_code(example, country) ORDER BY 1, 2;

SELECT code, country, dataeng.is_postal_code(code, country) AS valid,
       dataeng.postal_code_problem(code, country) AS problem
  FROM (VALUES ('95014', 'US'), ('95014-1234', 'us'), ('9501', 'US'), ('950144', 'US'),
               ('SW1A 1AA', 'GB'), ('sw1a 1aa', 'GB'), ('SW1A1AA', 'GB'), ('1234 AB', 'NL'),
               ('K1A 0B1', 'CA'), ('D1A 0B1', 'CA'), ('10115', 'DE'), ('1011', 'DE'),
               ('00000', 'AE'), ('', 'US'), ('95014' || repeat(' ', 30), 'US')) t(code, country);
SELECT dataeng.is_postal_code('12345', 'XX');
SELECT dataeng.is_postal_code('12345', 'USA');

DROP TABLE postal, postal_examples;
DROP EXTENSION dataeng;
