-- Prices written with a dash for the cents, as German, Austrian, Swiss and
-- Nordic shops and invoices write a whole amount: "12,- EUR", "CHF 5.-",
-- "5,- kr" (also an en or em dash, or two dashes).  The dash was read as a
-- trailing minus sign: "5,- EUR" was -5 and "1.234,-" was -1234.  Now the
-- amount is positive and the separator before the dash is the decimal one;
-- a trailing minus after digits ("12-", "1.234,56-") is still a sign.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
RESET client_min_messages;

SELECT v, dataeng.parse_number(v) AS n
  FROM unnest(ARRAY['5,-', '5.-', U&'5,\2013', U&'CHF 5.\2013', U&'5,\2014', '5,--', '12,- EUR', 'EUR 12,-', U&'12,-\20AC',
                    '1.234,-', '1,234.-', '-5,-', '(5,-)', '5,- EUR-',
                    '12-', '1.234,56-', '5-', '-', ',-', '.-']) v;
-- the separator before the dash is the decimal one: given another, no number
SELECT dataeng.parse_number('1.234,-', ',') AS comma, dataeng.parse_number('1.234,-', '.') AS dot;
DO $$
DECLARE
  s text;
BEGIN
  PERFORM dataeng.parse_number_strict('1.234,-', '.');
EXCEPTION WHEN invalid_text_representation THEN
  GET STACKED DIAGNOSTICS s = PG_EXCEPTION_DETAIL;
  RAISE NOTICE '%: %', SQLERRM, s;
END $$;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
