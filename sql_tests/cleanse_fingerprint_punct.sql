-- fingerprint() and ngram_fingerprint() remove punctuation beyond ASCII as
-- OpenRefine's keyers do (\p{Punct} under UNICODE_CHARACTER_CLASS): the
-- typographic apostrophe and quotes of word processors, dashes, guillemets,
-- inverted marks, CJK and Arabic punctuation.  They were kept: "O’Brien"
-- (U+2019) had the key "o’brien" and "O'Brien" "obrien", so the two never
-- collided; "«Café»" was "«cafe»".  Letters, digits and symbols that are
-- not punctuation (€, ©, ®) are not removed.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;

SELECT v, dataeng.fingerprint(v) AS fp, dataeng.ngram_fingerprint(v, 1) AS ngram1
  FROM unnest(ARRAY[U&'O\2019Brien', 'O''Brien', U&'\201CSmith\201D, John', U&'\00ABCaf\00E9\00BB',
                    U&'Jean\2010Paul', U&'Anne \2013 Marie', U&'\00BFQu\00E9 tal?', U&'Tokyo\3001Japan\3002',
                    U&'a\2026b', U&'\2022 item', U&'\0645\062D\0645\062F\060C \0639\0644\064A', U&'100\20AC \00A9']) v;
-- the keys of the typographic and the ASCII spellings collide
SELECT count(*) AS differ
  FROM (VALUES (U&'O\2019Brien', 'O''Brien'), (U&'\201CSmith\201D', '"Smith"'), (U&'Jean\2010Paul', 'Jean-Paul'),
               (U&'\00ABCaf\00E9\00BB', 'Cafe'), (U&'\00A1Hola!', 'Hola')) p(a, b)
 WHERE dataeng.fingerprint(a) <> dataeng.fingerprint(b) OR dataeng.ngram_fingerprint(a) <> dataeng.ngram_fingerprint(b);

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
