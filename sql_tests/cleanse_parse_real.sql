-- Inputs real data has that the parsers answered NULL for (a trial):
-- '1,234.5 kg', U&'\22125 \00B0C' (a minus sign and a degree sign),
-- '6 janv. 2020', 'John <j@x.com>'.  And what must stay NULL.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

-- parse_quantity reads the number as parse_number does: thousands
-- separators of any kind, the decimal separator inferred, a minus sign
-- (U+2212) or an en dash (U+2013) for the sign, a no-break or thin space
-- before the unit; '1,234.5 kg' and '12 500 g' were NULL
SELECT v, (dataeng.parse_quantity(v)).*
  FROM unnest(ARRAY['1,234.5 kg', '1.234,5 kg', '1,234,567 g', '12 500 g', U&'12\00A0500 g',
                    U&'12\202F500,5 g', '1''234.5 m', U&'1\2019234.5 m', '12,34,567 m',
                    U&'\22125 \00B0C', U&'\20135 \00B0C', U&'\2212 5 \00B0C', U&'\22125\00B0C',
                    U&'-40 \00B0F', U&'5\00A0kg', U&'5\2009kg', U&'5 kg\00A0', '+3 lbs',
                    U&'20 \2103', U&'68 \2109', U&'20 \00BAC', '0,500 kg', '0,001 kg', '1,5 kg', ',5 kg',
                    '5'' ', '6'' ', '12" ', '2.5 lbs']) v;

-- still no quantity: an ambiguous or malformed number, a unit alone, a
-- unit unknown, two signs, a sign after the number, a blank or an
-- apostrophe not between digits, a degree sign alone (an angle or a
-- temperature?), a separator last
SELECT v, (dataeng.parse_quantity(v)).*
  FROM unnest(ARRAY['1,234 kg', '1.500 kg', '1,2,3 kg', '1,,234 kg', '1234,567.5 kg', '1.234 567,5 kg',
                    'kg', U&'\00B0C', U&'\2212 kg', '--5 kg', U&'-\22125 kg', '5- kg',
                    '5 5 kg', '5 ''kg', '1 234kg kg', U&'5 \00B0', '5. kg', '5, kg', U&'\20145 kg',
                    '5 Mg', '1e3 kg', '$5 kg', '5% kg', '(5) kg', '5 kg 3', '5 1/2 in', '1 000 000 000 000 000 000 000 000 000 000 000 000 kg']) v;

-- convert_unit of what parse_quantity read: the temperatures
SELECT v, q.value, q.unit, dataeng.convert_unit(q.value, q.unit, U&'\00B0F') AS fahrenheit,
       dataeng.convert_unit(q.value, q.unit, 'K') AS kelvin
  FROM unnest(ARRAY[U&'\22125 \00B0C', U&'\201340 \00B0C', U&'\2212459.67 \00B0F', U&'20 \2103', U&'68 \2109']) v,
       dataeng.parse_quantity(v) q;
SELECT dataeng.convert_unit(-5, U&'\2103', 'K') AS kelvin, dataeng.convert_unit(23, U&'\00BAF', U&'\00B0C') AS celsius;

-- parse_number: a number, with a currency or a percent, never a unit (a
-- unit dropped would make '5 g' and '5 kg' one number); the minus sign
-- and the en dash in front are minus signs
SELECT v, dataeng.parse_number(v) AS parsed
  FROM unnest(ARRAY[U&'\22125', U&'\20135', U&'\2013$5', U&'\2013 5', U&'\2212 1.234,5 EUR', '5 EUR', U&'5 \20AC', '12%',
                    U&'5\2013', U&'\20145', '5-10', U&'5\201310', '1,234.5', '1,234.5 kg', '5kg', U&'\22125 \00B0C',
                    U&'90\00B0', '12 pcs', '1.5 l', '0x10', '1e', '12abc']) v;
-- the strict form says why, and where to go
SELECT dataeng.parse_number_strict('1,234.5');
SELECT dataeng.parse_number_strict('1,234.5 kg');
SELECT dataeng.parse_number_strict(U&'\22125 \00B0C');
SELECT dataeng.parse_number_strict('12 pcs');
SELECT dataeng.parse_number_strict('0x10');

-- parse_date: French, German and Spanish abbreviated months, with or
-- without their period, any case; Spanish "de" and French "1er"
SELECT v, dataeng.parse_date(v) AS parsed
  FROM unnest(ARRAY['6 janv. 2020', '6 janv 2020', '6 JANV. 2020', '14 févr. 2021', '14 fevr. 2021',
                    '14 fév 2021', '3 mars 2022', '9 avr. 2023', '1 mai 2024', '2 juin 2024', '14 juil. 2025',
                    '15 août 2025', '1 sept. 2025', '31 oct. 2025', '11 nov. 2025', '24 déc. 2025',
                    '24 DÉC. 2025', '1er janvier 2020', '1er janv. 2020', 'janv. 6, 2020',
                    '6. Jan. 2020', '3. Mär. 2026', '3. Mrz. 2026', '3. Okt. 2026', '24. Dez. 2026',
                    '6. Jänner 2020', '6. Jän. 2020', '6. JÄN. 2020',
                    '5 ene. 2021', '5 abr. 2021', '5 ago. 2021', '5 dic. 2021', '6 de enero de 2020',
                    '6 de ene. de 2020', '24-déc.-2025', '2020-janv.-06', 'Nov. 24, 2026', 'Sept. 1, 2025',
                    '6 janv 2020 13:00']) v;

-- (parse_date ignores a time, as before: the last one is 6 January)
-- still NULL: an impossible date, a word that is no month or a part of
-- one, two months, a number too many or too few
SELECT v, dataeng.parse_date(v) AS parsed
  FROM unnest(ARRAY['31 avr. 2023', '30 févr. 2024', '6 janvi 2020', '6 jan. fév. 2020',
                    '6 janv. 2020 7', 'janv. 2020', '6 ja. 2020', '6 ene janv 2020', '6 de 2020',
                    '6 dezember. 2020 x', '5 years ago', '2 ago']) v;
SELECT dataeng.parse_timestamp('6 janv. 2020 13:00', 'DMY', 'UTC') AT TIME ZONE 'UTC' AS with_time;

-- normalize_email: an RFC 5322 name-addr is the address in its angle
-- brackets (the display name dropped); a malformed one is no address
SELECT v, dataeng.normalize_email(v) AS normal, dataeng.normalize_email(v, true) AS provider
  FROM unnest(ARRAY['John <j@x.com>', 'John Doe <J.Doe+news@Gmail.com>', '"Doe, John" <j@x.com>',
                    '  John Q. Public <j@X.COM>  ', '<j@x.com>', '< j@x.com >', 'John<j@x.com>',
                    '"J \"Jo\" D" <j@x.com>', U&'\00C9lodie M\00FCller <e@B\00FCcher.example>',
                    'O''Brien <ob@x.com>', '"j@x.com" <j@x.com>', '"A <a@y.com>" <j@x.com>']) v;
SELECT v, dataeng.normalize_email(v) AS normal
  FROM unnest(ARRAY['Doe, John <j@x.com>', 'j@x.com <j@x.com>', 'John <>', 'John <j@x.com', 'John j@x.com>',
                    '"John <j@x.com>', 'John <<j@x.com>>', 'A <a@x.com>, B <b@x.com>', 'John <j@x.com> x',
                    'John (work) <j@x.com>', 'John <not an address>', 'John <j@x.com>>', '<j@x.com> <k@x.com>',
                    'j@x.com (John)']) v;
SELECT dataeng.normalize_email_strict('John Doe <j@x.com>');
SELECT dataeng.normalize_email_strict('Doe, John <j@x.com>');
SELECT dataeng.normalize_email_strict('John <>');
SELECT dataeng.normalize_email_strict('"John <j@x.com>');
SELECT dataeng.normalize_email_strict('John <not an address>');
-- the normal form of a name-addr is a valid address, and its own normal form
SELECT count(*) AS forms, count(*) FILTER (WHERE dataeng.is_email(n)) AS valid,
       count(*) FILTER (WHERE dataeng.normalize_email(n) = n) AS idempotent
  FROM (SELECT dataeng.normalize_email(v) n
          FROM unnest(ARRAY['John <j@x.com>', '"Doe, John" <J@X.com>', U&'\00C9lodie <e@B\00FCcher.example>']) v) t;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
