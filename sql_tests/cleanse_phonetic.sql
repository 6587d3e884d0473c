-- Double Metaphone against PostgreSQL's contrib fuzzystrmatch (dmetaphone,
-- dmetaphone_alt) as the reference: its regression case, classic names with
-- the codes it gives (sql_tests/data/dmetaphone_classic.tsv), every distinct
-- given name and surname of Febrl's dataset 3 (sql_tests/data/febrl_names.txt)
-- and all words of up to three tricky spellings.
CREATE EXTENSION dataeng;
CREATE EXTENSION fuzzystrmatch;
\set SHOW_CONTEXT never

-- fuzzystrmatch's own regression case
CREATE TABLE pgcase (function text, arg text, expected text);
\copy pgcase FROM 'sql_tests/data/pg_fuzzystrmatch_dmetaphone.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true)
SELECT function, arg, expected,
       (dataeng.double_metaphone(arg))[CASE function WHEN 'dmetaphone' THEN 1 ELSE 2 END] AS ours
  FROM pgcase ORDER BY function;

-- classic names: the expected codes are fuzzystrmatch's, checked again here
CREATE TABLE classic (name text, primary_code text, alternate_code text);
\copy classic FROM 'sql_tests/data/dmetaphone_classic.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true)
SELECT count(*) AS classic_names,
       count(*) FILTER (WHERE dataeng.double_metaphone(name) = ARRAY[primary_code, alternate_code]) AS agree_with_file,
       count(*) FILTER (WHERE dataeng.double_metaphone(name) = ARRAY[dmetaphone(name), dmetaphone_alt(name)]) AS agree_with_fuzzystrmatch
  FROM classic;
SELECT name, dataeng.double_metaphone(name) AS ours, ARRAY[primary_code, alternate_code] AS expected
  FROM classic
 WHERE dataeng.double_metaphone(name) IS DISTINCT FROM ARRAY[primary_code, alternate_code]
    OR dataeng.double_metaphone(name) IS DISTINCT FROM ARRAY[dmetaphone(name), dmetaphone_alt(name)];
SELECT name, dataeng.double_metaphone(name) AS codes, dataeng.metaphone_key(name) AS key
  FROM classic
 WHERE name IN ('Smith', 'Schmidt', 'Xavier', 'Michael', 'Zhao', 'Tagliaro', 'Gallegos', 'Jose');

-- Febrl names, as written (lower case), and in upper and title case
CREATE TABLE febrl (name text);
\copy febrl FROM 'sql_tests/data/febrl_names.txt'
CREATE TABLE words AS
SELECT name AS word FROM febrl
UNION SELECT upper(name) FROM febrl
UNION SELECT initcap(name) FROM febrl;
SELECT count(*) AS febrl_words,
       count(*) FILTER (WHERE dataeng.double_metaphone(word) = ARRAY[dmetaphone(word), dmetaphone_alt(word)]) AS agree
  FROM words;
SELECT word, dataeng.double_metaphone(word) AS ours, ARRAY[dmetaphone(word), dmetaphone_alt(word)] AS fuzzystrmatch
  FROM words
 WHERE dataeng.double_metaphone(word) IS DISTINCT FROM ARRAY[dmetaphone(word), dmetaphone_alt(word)]
 ORDER BY word;

-- every word of one to three pieces among letters, spaces, digits and the
-- spellings the rules look for
CREATE TABLE pieces (p text);
INSERT INTO pieces
SELECT unnest(string_to_array(
  'A|B|C|D|E|G|H|I|J|K|L|M|N|O|P|R|S|T|U|W|X|Y|Z| |-|7|CH|SCH|GH|GN|CC|CIA|TION|TH|WICZ|SAN |VAN |MC|'
  'MAC |ILLO|ALLE|SUGAR|CAESAR|ACH|BACHER|ORCHES|UMB|EWSKI|IER |EAU|ZH|ZZ|CZ|SH|SIO|SIAN|DG|GG|LI|ER|'
  'ISL|CHAE|HARAC|HOR|PH|WR|KN|PS|TCH|OM|AGGI|JOSE|HEIM|OO|ET|EY|ES|DANGER|UCCES|RGY|AS|HU', '|'));
CREATE TABLE combos AS
SELECT a.p || b.p || c.p AS word
  FROM pieces a, pieces b, (SELECT p FROM pieces UNION ALL SELECT '') c;
SELECT count(*) AS combinations,
       count(*) FILTER (WHERE dataeng.double_metaphone(word) = ARRAY[dmetaphone(word), dmetaphone_alt(word)]) AS agree
  FROM combos;
SELECT word, dataeng.double_metaphone(word) AS ours, ARRAY[dmetaphone(word), dmetaphone_alt(word)] AS fuzzystrmatch
  FROM combos
 WHERE dataeng.double_metaphone(word) IS DISTINCT FROM ARRAY[dmetaphone(word), dmetaphone_alt(word)]
 ORDER BY word LIMIT 50;

-- beyond ASCII: accents are folded first (as fold_accents), Ç and Ñ have
-- their own rules, other scripts are not letters; fuzzystrmatch reads bytes
SELECT v, dataeng.double_metaphone(v) AS ours,
       ARRAY[dmetaphone(dataeng.fold_accents(v)), dmetaphone_alt(dataeng.fold_accents(v))] AS fuzzystrmatch_folded
  FROM unnest(ARRAY['Müller', 'Muller', 'MÜLLER', 'Straße', 'José', 'Ærøskøbing', 'Łódź',
                    'François', 'Çelik', 'Núñez', 'Peña', 'Ωmega', 'Дмитрий', '张伟', 'ﬁsher']) v;

-- edges: empty, no letters, NULL, metaphone_key, long values
SELECT dataeng.double_metaphone('') AS empty, dataeng.double_metaphone('1234 -') AS no_letters,
       dataeng.double_metaphone(NULL) AS null_value,
       dataeng.metaphone_key('') AS key_empty, dataeng.metaphone_key('Schmidt') AS key;
SELECT dataeng.double_metaphone(repeat('Wiesenthal', 1000000)) AS long_ascii,
       dataeng.double_metaphone(repeat('é', 1000000) || 'Kraus') AS long_accents,
       dataeng.double_metaphone(repeat('ﷺ', 100000)) AS long_ligatures;

DROP TABLE pgcase, classic, febrl, words, pieces, combos;
DROP EXTENSION fuzzystrmatch;
DROP EXTENSION dataeng;
