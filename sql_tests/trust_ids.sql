-- Identifier validators on edge inputs: any length, the right reason.
-- A Luhn number has no length limit (docs/validate.md: "digits whose last
-- one is the Luhn check digit of the others"): a valid 41-digit or
-- 100,000-digit one is valid (it was false, "not a group of digits",
-- past 40 characters), and every family says why a value fails: empty,
-- misplaced separators, or its length, never a reason that is not the
-- value's.
CREATE EXTENSION dataeng;
\pset null '(null)'

-- a Luhn-valid number of n digits: n - 1 nines (a 9 counts 9, doubled or
-- not: 18 - 9) and the check digit; changing its first 9 to 8 breaks it
CREATE FUNCTION ti_luhn(n int) RETURNS text LANGUAGE sql AS $$
  SELECT repeat('9', n - 1) || ((10 - 9 * (n - 1) % 10) % 10)::text
$$;
SELECT n, dataeng.is_luhn(ti_luhn(n)) AS valid, dataeng.luhn_problem(ti_luhn(n)) AS problem,
       dataeng.luhn_problem(overlay(ti_luhn(n) PLACING '8' FROM 1 FOR 1)) AS one_digit_changed
  FROM unnest(ARRAY[2, 16, 40, 41, 100000]) n;
SELECT dataeng.luhn_problem('79927398713') AS valid,
       dataeng.luhn_problem('7992 7398 713') AS grouped,
       dataeng.luhn_problem(repeat('7992 ', 5000) || '3') AS long_grouped;

-- the reasons
SELECT x AS input, dataeng.luhn_problem(x) AS luhn, dataeng.credit_card_problem(x) AS card,
       dataeng.isbn_problem(x) AS isbn, dataeng.iban_problem(x) AS iban, dataeng.uuid_problem(x) AS uuid
  FROM unnest(ARRAY['', ' ', '-', '1 ', ' 1', '1--2', '٠١', '4111 1111 1111 1111',
                    '0306406152', '978-0-306-40615-7', 'GB82 WEST 1234 5698 7654 32',
                    '123e4567-e89b-12d3-a456-426614174000']) WITH ORDINALITY AS t(x, n)
 ORDER BY n;
SELECT left(x, 10) AS input, dataeng.credit_card_problem(x) AS card, dataeng.isbn_problem(x) AS isbn,
       dataeng.iban_problem(x) AS iban, dataeng.uuid_problem(x) AS uuid
  FROM unnest(ARRAY[repeat('4', 41), repeat('9', 100000), 'GB' || repeat('1', 60)]) WITH ORDINALITY AS t(x, n)
 ORDER BY n;

DROP FUNCTION ti_luhn(int);
DROP EXTENSION dataeng;
