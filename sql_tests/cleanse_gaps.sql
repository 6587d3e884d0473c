-- Four gaps of the cleansers found in review (docs/cleanse.md).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'
SET DateStyle = ISO;

-- 1. Three capitals after a number that spell a unit parse_quantity reads
-- (KGS, LBS, HRS, MIN...) are that unit, not a currency code: '5 KGS' and
-- '5 LBS' were both 5 (KGS read as the Kyrgyzstani som, LBS as a code),
-- where '5 kgs' is no number.  Before the number a code is a currency
-- ('KGS 500'), and CUP stays the Cuban peso.
SELECT v, dataeng.parse_number(v) AS parsed, q.value, q.unit
  FROM (VALUES ('5 KGS'), ('5 kgs'), ('5KGS'), ('12.5 LBS'), ('2 HRS'), ('30 MIN'), ('5 KGS-'),
               ('KGS 500'), ('500 CUP'), ('5 PCS'), ('1.234,56 EUR'), ('USD 99.99'), ('5 USD-')) t(v),
       dataeng.parse_quantity(v) q;
SELECT dataeng.parse_number_strict('5 KGS');

-- 2. A dash after a number that is no minus sign: '5 –' (an en dash after
-- a blank) was "a unit or a word after the number", with the hint to read
-- it with parse_quantity, which reads no such thing; '5–' and '5–7' were
-- "a character that is not part of a number".  An en dash is a minus in
-- front ('–5'), a range between numbers, and nothing after them.
SELECT v, dataeng.parse_number(v) AS parsed
  FROM (VALUES ('5–'), ('5 –'), ('1.234,56–'), ('5–7'), ('5-7'), ('5 — 7'), ('–5'), ('5−'),
               ('5-'), ('12,–'), ('CHF 5.–')) t(v);
SELECT dataeng.parse_number_strict('5 –');
SELECT dataeng.parse_number_strict('5–');
SELECT dataeng.parse_number_strict('5–7');
SELECT dataeng.parse_number_strict('5 kg');
-- quantities: the same dashes are no quantity either
SELECT v, q.value, q.unit
  FROM (VALUES ('5– kg'), ('5–7 kg'), ('5 kg–'), ('–5 kg'), ('−5 °C')) t(v), dataeng.parse_quantity(v) q;

-- 3. A comment in parentheses (RFC 5322 allows one in a header) is no part
-- of an address: every function refuses it, and says so (it was "a
-- character that needs quoting", "not a letter, digit or hyphen" or "the
-- domain contains a space").  A quoted local part may hold parentheses.
SELECT v, dataeng.is_email(v) AS practical, dataeng.is_email(v, 'rfc5321') AS rfc5321,
       dataeng.normalize_email(v) AS normalized, dataeng.email_problem(v) AS problem
  FROM (VALUES ('john(comment)@example.com'), ('john@(comment)example.com'),
               ('(comment)john@example.com'), ('john@example.com(comment)'),
               ('j@x.com (John)'), ('"john(x)"@example.com'), ('a(b@example.com')) t(v);
SELECT dataeng.email_problem('"john(x)"@example.com', 'rfc5321') AS quoted_parens;
SELECT dataeng.normalize_email_strict('john(comment)@example.com');
SELECT dataeng.normalize_email_strict('j@x.com (John)');

-- 4. Day names in French, German and Spanish, as their month names are
-- read: they were unknown words (NULL).  The name must be the date's day.
SELECT v, dataeng.parse_date(v, 'DMY') AS parsed
  FROM (VALUES ('lundi 3 mars 2025'), ('Lun. 3 mars 2025'), ('Montag, 3. März 2025'),
               ('Mo., 3. März 2025'), ('lunes 3 de marzo de 2025'), ('lun. 3 de mar. de 2025'),
               ('MIÉRCOLES, 5 DE MARZO DE 2025'), ('mié 5 mar 2025'), ('Sonnabend, 8. März 2025'),
               ('sábado 8 de marzo de 2025'), ('dimanche 9 mars 2025'), ('Do 6.3.2025'),
               ('Donnerstag, 06.03.2025 14:30'),
               -- another day than the date's: NULL
               ('mardi 3 mars 2025'), ('Dienstag, 3. März 2025'), ('martes 3 de marzo de 2025')) t(v);
SELECT dataeng.parse_timestamp('vendredi 7 mars 2025 18:00', 'DMY', 'Europe/Paris') AT TIME ZONE 'UTC' AS paris_in_utc;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
