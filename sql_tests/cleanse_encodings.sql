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
SELECT dataeng.email_problem('José@example.com') AS email_local,
       dataeng.email_problem('jose@bücher.de') AS email_domain,
       dataeng.email_problem('josé.example.com') AS email_no_at,
       dataeng.email_problem('José@example.com', 'rfc5321') AS email_rfc5321,
       dataeng.is_email('José@example.com') AS is_email,
       dataeng.normalize_email('  José@Bücher.DE ') AS normalized,
       dataeng.url_problem('https://bücher.de/straße?q=ä') AS url,
       dataeng.parse_date('3. März 2026') AS maerz,
       dataeng.parse_date('24 février 2026') AS fevrier,
       dataeng.parse_date('1 août 2026') AS aout,
       dataeng.parse_date('5 décembre 2026') AS decembre,
       dataeng.parse_date('3. MÄRZ 2026') AS maerz_upper,
       dataeng.parse_date('24 FÉVRIER 2026') AS fevrier_upper,
       dataeng.parse_timestamp('3. März 2026 10:00:00 +0100') AS ts,
       dataeng.parse_timestamp('3 März 2026 10:00', 'DMY', 'Europe/Berlin') AS ts_tz,
       dataeng.parse_quantity('20 °C')::text AS celsius,
       dataeng.parse_quantity('3 m²')::text AS square_metres,
       dataeng.convert_unit(20, '°C', '°F') AS fahrenheit,
       dataeng.double_metaphone('Straße') AS strasse,
       dataeng.double_metaphone('Ñandú') AS nandu,
       dataeng.metaphone_key('François') AS francois,
       dataeng.is_phone(E'+49\u00a030\u00a0123456', 'DE') AS phone_nbsp,
       dataeng.phone_problem(E'01\u00a023\u00a045\u00a067\u00a089', 'FR') AS phone_problem,
       dataeng.to_e164(E'+49\u00a030\u00a0123456', 'DE') AS e164
\gx
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
SELECT dataeng.email_problem('José@example.com') AS email_local,
       dataeng.email_problem('jose@bücher.de') AS email_domain,
       dataeng.email_problem('josé.example.com') AS email_no_at,
       dataeng.email_problem('José@example.com', 'rfc5321') AS email_rfc5321,
       dataeng.is_email('José@example.com') AS is_email,
       dataeng.normalize_email('  José@Bücher.DE ') AS normalized,
       dataeng.url_problem('https://bücher.de/straße?q=ä') AS url,
       dataeng.parse_date('3. März 2026') AS maerz,
       dataeng.parse_date('24 février 2026') AS fevrier,
       dataeng.parse_date('1 août 2026') AS aout,
       dataeng.parse_date('5 décembre 2026') AS decembre,
       dataeng.parse_date('3. MÄRZ 2026') AS maerz_upper,
       dataeng.parse_date('24 FÉVRIER 2026') AS fevrier_upper,
       dataeng.parse_timestamp('3. März 2026 10:00:00 +0100') AS ts,
       dataeng.parse_timestamp('3 März 2026 10:00', 'DMY', 'Europe/Berlin') AS ts_tz,
       dataeng.parse_quantity('20 °C')::text AS celsius,
       dataeng.parse_quantity('3 m²')::text AS square_metres,
       dataeng.convert_unit(20, '°C', '°F') AS fahrenheit,
       dataeng.double_metaphone('Straße') AS strasse,
       dataeng.double_metaphone('Ñandú') AS nandu,
       dataeng.metaphone_key('François') AS francois,
       dataeng.is_phone(E'+49\u00a030\u00a0123456', 'DE') AS phone_nbsp,
       dataeng.phone_problem(E'01\u00a023\u00a045\u00a067\u00a089', 'FR') AS phone_problem,
       dataeng.to_e164(E'+49\u00a030\u00a0123456', 'DE') AS e164
\gx
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
CREATE FUNCTION parse_number(text, text DEFAULT NULL) RETURNS numeric
  AS '$libdir/dataeng', 'dataeng_parse_number' LANGUAGE C IMMUTABLE;
CREATE FUNCTION parse_number_strict(text, text DEFAULT NULL) RETURNS numeric
  AS '$libdir/dataeng', 'dataeng_parse_number_strict' LANGUAGE C IMMUTABLE;
CREATE FUNCTION email_problem(text, text DEFAULT 'practical') RETURNS text
  AS '$libdir/dataeng', 'dataeng_email_problem' LANGUAGE C IMMUTABLE STRICT;
SELECT parse_number('12 €') AS euro_after, parse_number('€1,234.50') AS euro_before,
       parse_number_strict('1.234,5 €', ',') AS euro_strict, parse_number(E'1\u00a0234,5') AS nbsp,
       email_problem('Œuvre@example.com') AS oe;
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
