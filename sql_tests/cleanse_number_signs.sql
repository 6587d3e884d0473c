-- parse_number reads a sign written before a currency, as money and US
-- accounting write negative amounts (helper 6's trial): '-$12.25' gave
-- NULL, while '$-12.25' and '12.25-' were read.
CREATE EXTENSION dataeng;
SELECT v, dataeng.parse_number(v) AS parsed, dataeng.parse_number(v, '.') AS with_point
  FROM (VALUES ('-$12.25'), ('-$1,234.50'), ('$-1,234.50'), ('−$5'), ('+$5'), ('-€5'), ('-£12.25'),
               ('-€ 5'), ('-USD 5'), ('-EUR 1.234,50'), ('5 €-'), ('5 USD-'), (' -$12.25 ')) t(v);
-- money's own text of a negative amount (lc_monetary C) reads back
SET lc_monetary = 'C';
SELECT m::text AS money_text, dataeng.parse_number(m::text) AS parsed,
       dataeng.parse_number(m::text) = m::numeric AS same
  FROM (VALUES ((-1234.25)::money), ((-0.5)::money), (7::money)) t(m);
RESET lc_monetary;
-- still no number: a sign alone, a sign and a symbol, a space between sign
-- and digits, a second sign, a code not followed by a space
SELECT v, dataeng.parse_number(v) AS parsed
  FROM (VALUES ('-$'), ('-USD'), ('- 5'), ('-$-5'), ('-$(5)'), ('-USD5'), ('-e5')) t(v);
SELECT dataeng.parse_number_strict('-$1,234.50') AS strict;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
