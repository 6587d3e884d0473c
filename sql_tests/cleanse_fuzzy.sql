-- String similarity against jellyfish's test data (sql_tests/data/jellyfish/,
-- MIT licence).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

CREATE TABLE jw (a text, b text, expected float8);
\copy jw FROM 'sql_tests/data/jellyfish/jaro_winkler.csv' WITH (FORMAT csv)
SELECT coalesce(a, '') AS a, coalesce(b, '') AS b, expected,
       round(dataeng.jaro_winkler(coalesce(a, ''), coalesce(b, ''))::numeric, 3) AS ours,
       round(dataeng.jaro_winkler(coalesce(a, ''), coalesce(b, ''))::numeric, 3) = round(expected::numeric, 3) AS agree
  FROM jw;

CREATE TABLE dl (a text, b text, expected int);
\copy dl FROM 'sql_tests/data/jellyfish/damerau_levenshtein.csv' WITH (FORMAT csv)
SELECT coalesce(a, '') AS a, coalesce(b, '') AS b, expected,
       dataeng.damerau_levenshtein(coalesce(a, ''), coalesce(b, '')) AS ours,
       dataeng.damerau_levenshtein(coalesce(a, ''), coalesce(b, '')) = expected AS agree
  FROM dl;

-- characters, not bytes; symmetric; a transposition is one edit
SELECT dataeng.damerau_levenshtein('Müller', 'Mueller') AS umlaut,
       dataeng.damerau_levenshtein('ca', 'abc') AS unrestricted,
       dataeng.damerau_levenshtein('abc', 'ca') AS symmetric,
       round(dataeng.jaro_winkler('José', 'Jose')::numeric, 3) AS accent,
       dataeng.jaro_winkler('', '') AS both_empty;
-- past the length limit: an error that says so
SELECT dataeng.damerau_levenshtein(repeat('a', 10001), 'a');

DROP TABLE jw, dl;
DROP EXTENSION dataeng;
