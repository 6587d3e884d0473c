-- IBANs: the registry's later countries, and the check digits' range.
CREATE EXTENSION dataeng;
\pset null '(null)'

-- The SWIFT IBAN registry's example IBANs of the countries it gained from
-- 2020 on (RU, SD, BI, DJ, FK, MN, NI, SO, HN, OM, YE): they were refused
-- as "the country does not use IBANs".  Each with one digit changed fails
-- the mod-97 check, and one character short fails the length.
SELECT v, dataeng.is_iban(v) AS valid, dataeng.iban_problem(v) AS problem,
       dataeng.iban_problem(left(v, -1) || CASE right(v, 1) WHEN '0' THEN '1' ELSE '0' END) AS changed,
       dataeng.iban_problem(left(replace(v, ' ', ''), -1)) AS short
  FROM unnest(ARRAY['BI42 1000 0100 0100 0033 2045 181', 'DJ21 0001 0000 0001 5400 0100 186',
                    'FK88 SC12 3456 7890 12', 'HN88 CABF 0000 0000 0002 5000 5469',
                    'MN12 1234 1234 5678 9123', 'NI45 BAPR 0000 0013 0000 0355 8124',
                    'OM81 0180 0000 0129 9123 456', 'RU02 0445 2560 0407 0281 0412 3456 7890 1',
                    'SD21 2901 0501 2340 01', 'SO21 1000 0010 0100 0100 141',
                    'YE15 CBYE 0001 0188 6123 4567 8912 34']) v;

-- Check digits are 98 minus a remainder mod 97, so 02 to 98.  00, 01 and 99
-- pass the mod-97 test as 97, 98 and 02 do, but no IBAN carries them: they
-- were accepted.
SELECT v, dataeng.is_iban(v) AS valid, dataeng.iban_problem(v) AS problem
  FROM unnest(ARRAY['GB02 WEST 1234 5610 0000 38', 'GB99 WEST 1234 5610 0000 38',
                    'GB98 WEST 1234 5610 0000 56', 'GB01 WEST 1234 5610 0000 56',
                    'GB97 WEST 1234 5610 0000 74', 'GB00 WEST 1234 5610 0000 74']) v;

-- in a CHECK constraint
CREATE TABLE iban_accounts (iban text CHECK (dataeng.is_iban(iban)));
INSERT INTO iban_accounts VALUES ('RU0204452560040702810412345678901');
INSERT INTO iban_accounts VALUES ('GB00WEST12345610000074');
SELECT * FROM iban_accounts;
DROP TABLE iban_accounts;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
