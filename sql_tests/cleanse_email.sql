-- Email normal form.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

SELECT v, dataeng.normalize_email(v) AS normal, dataeng.normalize_email(v, true) AS provider
  FROM unnest(ARRAY['  Ada.Lovelace@Example.COM ', 'ada.lovelace+news@Gmail.com', 'A.d.A@googlemail.com',
                    'Ada+x@Outlook.com', 'ada+x@example.com', 'user@Bücher.Example', 'ユーザー@例え.テスト',
                    'user@ＥＸＡＭＰＬＥ．com', 'no-at-sign', 'bad..dots@example.com', '', '+tag@gmail.com']) v;

-- the normal form is a valid address, and normalizing it again changes nothing
SELECT count(*) AS addresses,
       count(*) FILTER (WHERE dataeng.is_email(dataeng.normalize_email(a))) AS still_valid,
       count(*) FILTER (WHERE dataeng.normalize_email(dataeng.normalize_email(a)) = dataeng.normalize_email(a)) AS idempotent
  FROM unnest(ARRAY['Ada@Example.COM', 'user@Bücher.Example', 'x.y+z@Gmail.COM', 'me@ΕΛΛΗΝΙΚΑ.gr']) a;

-- non-ASCII letters of the domain in lower case too (Unicode's simple
-- lowercase mapping), before their A-label: an address written with
-- capitals has the normal form of the same address in lower case (the
-- A-label was that of the capitals: xn--bcher-2pa, not xn--bcher-kva);
-- decomposed letters too (A and a combining ring, U+00C5); the local
-- part keeps its case, but loses it, every letter's, under the
-- providers' rules (Gmail and Outlook lowered ASCII only)
SELECT v, dataeng.normalize_email(v) AS normal, dataeng.normalize_email(v, true) AS provider
  FROM unnest(ARRAY['user@BÜCHER.Example', 'user@bücher.example', 'ÄDA@ΕΛΛΗΝΙΚΑ.gr', 'äda@ελληνικα.gr',
                    'x@ÅNGSTRÖM.se', E'x@A\u030ANGSTRO\u0308M.se', 'x@МОСКВА.рф', 'x@İSTANBUL.tr',
                    'ÄDA.X+y@Gmail.com', 'ÉLODIE+news@Outlook.com']) v;
SELECT count(DISTINCT dataeng.normalize_email(v)) AS forms
  FROM unnest(ARRAY['user@BÜCHER.Example', 'user@Bücher.EXAMPLE', 'user@bücher.example', E'user@bu\u0308cher.example']) v;
-- U+0130 (capital I with dot above) lowers to 'i' and a combining dot
-- above, as UTS 46 maps it (and IDNA 2003's nameprep: xn--ix-rub.com);
-- its canonical equivalent 'I' and U+0307 has that normal form too, and
-- the domain istanbul.tr, another one, is no normal form of it
SELECT v, dataeng.normalize_email(v) AS normal
  FROM unnest(ARRAY['x@İx.com', E'x@I\u0307x.com', E'x@i\u0307x.com', 'x@İSTANBUL.tr', E'x@I\u0307STANBUL.tr']) v;
-- Cherokee folds the other way: its small letters become the capitals, as
-- UTS 46 maps them (the A-label of the capitals, xn--58dm0jrf, is the one
-- resolvers make; lowered to the small letters it was xn--kz9ama0jrf)
SELECT v, dataeng.normalize_email(v) AS normal
  FROM unnest(ARRAY[E'x@\u13A0\u13CD\u13A6\u13EF.com', E'x@\uAB70\uAB9D\uAB76\uABBF.com',
                    E'x@\u13A0\uAB9D\u13A6\uABBF.com', E'x@\u13F8.com', E'x@\u13F0.com']) v;

-- the strict variant says why
SELECT dataeng.normalize_email_strict('Ada@Example.COM');
SELECT dataeng.normalize_email_strict('bad..dots@example.com');

-- a SQL_ASCII database keeps UTF-8 bytes as they are: the normal form is
-- the same UTF-8 text as in a UTF-8 database (each byte of a non-ASCII
-- character was taken for a character of its own: 'é' became 'Ã©', and
-- the domain's A-label was that of other characters)
\set regress_db :DBNAME
CREATE DATABASE dataeng_email_norm_bytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_email_norm_bytes
CREATE FUNCTION normalize_email(text, boolean DEFAULT false) RETURNS text
  AS '$libdir/dataeng', 'dataeng_normalize_email' LANGUAGE C IMMUTABLE STRICT;
SELECT convert_to(normalize_email(E'Jos\xc3\xa9@Example.COM'), 'SQL_ASCII') AS local_part,
       normalize_email(E'user@B\xc3\xbccher.Example') AS domain,
       convert_to(normalize_email(E'\xc3\x91o.Ma+x@Gmail.com', true), 'SQL_ASCII') AS provider;
\c :regress_db
DROP DATABASE dataeng_email_norm_bytes;

-- provider rules taking a dot out from between a letter and a combining
-- mark: the normal form composes them (l and U+0323 give U+1E37), and is
-- its own normal form
SELECT v, dataeng.normalize_email(v, true) AS provider,
       dataeng.normalize_email(dataeng.normalize_email(v, true), true)
         = dataeng.normalize_email(v, true) AS idempotent
  FROM (VALUES (U&'gl.\0323@googlemail.com'), (U&'A.\030A@Gmail.com')) t(v);

-- German sharp s, as UTS 46's nontransitional processing (IDNA2008, the
-- only one since Unicode 15.1) maps it: in the domain U+00DF stays (the
-- A-label xn--strae-oqa, not strasse, another domain) and the capital
-- U+1E9E becomes U+00DF; in a local part both stay, but under the
-- providers' rules the capital lowers to U+00DF, as in the domain, and
-- 'ss' is another local part
SELECT v, dataeng.normalize_email(v) AS normal, dataeng.normalize_email(v, true) AS provider
  FROM unnest(ARRAY['x@straße.de', 'x@STRAẞE.de', 'x@STRASSE.de', 'x@xn--strae-oqa.de', 'x@ẞ.de',
                    'Groß@Example.com', 'GROẞ@Example.com', 'GROẞ+x@Outlook.com', 'groß@outlook.com',
                    'GROSS@Outlook.com']) v;
-- under the providers' rules a local part loses its case as the domain
-- does, every letter: U+0130 becomes 'i' and a combining dot above (it
-- became 'i', another local part, with the simple mapping alone), and
-- Cherokee's small letters become the capitals (they went the other way)
SELECT v, dataeng.normalize_email(v, true) AS provider
  FROM unnest(ARRAY['İx@Outlook.com', E'I\u0307x@Outlook.com', 'ix@Outlook.com',
                    E'\u13A0\uAB9D@Outlook.com', E'\uAB70\u13CD@Outlook.com']) v;

DROP EXTENSION dataeng;
