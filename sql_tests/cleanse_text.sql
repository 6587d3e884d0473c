-- Text cleansers; keys against OpenRefine's keyer tests
-- (sql_tests/data/openrefine_keys.tsv, BSD-3-Clause).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

SELECT v, dataeng.clean_text(v) AS cleaned, length(dataeng.clean_text(v)) AS len
  FROM unnest(ARRAY[E'  hello   world  ', E'tab\there\nnewline', E'zero\u200Bwidth\uFEFF',
                    E'soft\u00ADhyphen', E'nbsp\u00A0and\u2003em space', E'e\u0301 decomposed',
                    E'ctrl\x01\x02chars', '', '   ']) v;

SELECT v, dataeng.fold_accents(v) AS folded
  FROM unnest(ARRAY['José Müller', 'Straße', 'ẞ', 'Æsir', 'Œuvre', 'ﬁne ﬂow', 'Łódź', 'Ærøskøbing',
                    'Þórr', 'Đorđe', 'İstanbul ılık', 'Ñandú', 'Ĳssel', 'Москва', 'ΑΘΗΝΑ', '']) v;
-- IMMUTABLE, so an index can use it
CREATE TABLE people (name text);
CREATE INDEX people_folded ON people (lower(dataeng.fold_accents(name)));
INSERT INTO people VALUES ('José Müller'), ('JOSE MULLER'), ('Jose Muller');
SELECT count(DISTINCT lower(dataeng.fold_accents(name))) AS distinct_people FROM people;

CREATE TABLE openrefine (keyer text, param text, input text, expected text);
\copy openrefine FROM 'sql_tests/data/openrefine_keys.tsv'
SELECT keyer, count(*) AS cases,
       count(*) FILTER (WHERE CASE keyer WHEN 'fingerprint' THEN dataeng.fingerprint(input)
                                 ELSE dataeng.ngram_fingerprint(input, param::int) END = expected) AS agree
  FROM openrefine GROUP BY keyer ORDER BY keyer;
SELECT keyer, param, input, expected,
       CASE keyer WHEN 'fingerprint' THEN dataeng.fingerprint(input)
                  ELSE dataeng.ngram_fingerprint(input, param::int) END AS ours
  FROM openrefine
 WHERE CASE keyer WHEN 'fingerprint' THEN dataeng.fingerprint(input)
                  ELSE dataeng.ngram_fingerprint(input, param::int) END IS DISTINCT FROM expected;

-- the same person keyed the same way
SELECT v, dataeng.fingerprint(v) AS key
  FROM unnest(ARRAY['Tom Cruise', 'Cruise, Tom', 'tom  CRUISE', 'Tóm Crüise.']) v;
SELECT dataeng.ngram_fingerprint('x', 0);

DROP TABLE people, openrefine;
DROP EXTENSION dataeng;
