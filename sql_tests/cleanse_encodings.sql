-- Validators and cleansers in a database whose encoding is neither UTF-8
-- nor SQL_ASCII: the text is read as UTF-8 (converted from the database
-- encoding) and what they return is written back in it, so a LATIN1
-- database answers as a UTF-8 one does.  Before, LATIN1 bytes were read
-- as UTF-8: 'José@example.com' was "not valid UTF-8", 'März' and 'février'
-- named no month, '°C' was an unknown unit, and each non-ASCII byte was
-- a non-letter to the phonetic codes ('Straße' was STR), a no-break
-- space in a phone number made it no number.
CREATE EXTENSION dataeng;
\pset null '(null)'
SET client_encoding = 'UTF8';
SET timezone = 'UTC';
\i sql_tests/data/encoding_checks.sql
-- the normal form's strict variant says why in the database encoding
SELECT dataeng.normalize_email_strict('José@Bücher.DE') AS strict;
SELECT dataeng.normalize_email_strict('José@@Bücher.DE') AS strict;

\set regress_db :DBNAME
CREATE DATABASE dataeng_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_latin1
SET client_encoding = 'UTF8';
SET timezone = 'UTC';
\pset null '(null)'
CREATE EXTENSION dataeng;
SELECT pg_catalog.getdatabaseencoding();
\i sql_tests/data/encoding_checks.sql
SELECT dataeng.normalize_email_strict('José@Bücher.DE') AS strict;
SELECT dataeng.normalize_email_strict('José@@Bücher.DE') AS strict;
-- the unit's symbol and the address come back in the database encoding
SELECT (dataeng.parse_quantity('20 °C')).unit = E'\u00b0C' AS unit_is_latin1,
       pg_catalog.convert_to((dataeng.parse_quantity('20 °C')).unit, 'LATIN1') AS unit_bytes,
       pg_catalog.convert_to(dataeng.normalize_email('José@x.de'), 'LATIN1') AS email_bytes;
\c :regress_db
DROP DATABASE dataeng_latin1;

-- WIN1252 writes the euro sign 0x80, which its own decoding does not make
-- U+20AC: parse_number reads the text through UTF-8 ('1.234,5 €' was "not a
-- number" there)
CREATE DATABASE dataeng_win1252 TEMPLATE template0 ENCODING 'WIN1252' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_win1252
SET client_encoding = 'UTF8';
-- the install script is ASCII, so the extension installs in any encoding
CREATE EXTENSION dataeng;
SELECT dataeng.parse_number('12 €') AS euro_after, dataeng.parse_number('€1,234.50') AS euro_before,
       dataeng.parse_number_strict('1.234,5 €', ',') AS euro_strict, dataeng.parse_number(E'1\u00a0234,5') AS nbsp,
       dataeng.email_problem('Œuvre@example.com') AS oe;
SELECT pg_catalog.obj_description('dataeng.fold_accents(text)'::regprocedure, 'pg_proc') AS comment;
\c :regress_db
DROP DATABASE dataeng_win1252;

-- a database encoding without the degree sign (ISO_8859_5): a temperature's
-- unit is written degC or degF, which convert_unit reads back, rather than
-- raising 22P05 on a valid quantity
CREATE DATABASE dataeng_iso5 TEMPLATE template0 ENCODING 'ISO_8859_5' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_iso5
SET client_encoding = 'UTF8';
\pset null '(null)'
CREATE EXTENSION dataeng;
SELECT dataeng.parse_quantity('20 C')::text AS celsius,
       dataeng.parse_quantity('-4 fahrenheit')::text AS fahrenheit,
       dataeng.parse_quantity('3 kg')::text AS kilograms,
       dataeng.convert_unit(20, (dataeng.parse_quantity('20 celsius')).unit, 'F') AS converted;
\c :regress_db
DROP DATABASE dataeng_iso5;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
