-----------------------------------------------------------------------------
-- Validation: scalar validators (src/validate/).  IMMUTABLE, STRICT and
-- PARALLEL SAFE, usable in CHECK constraints, domains and indexes; they
-- never raise on any value (only on an unknown mode).
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.is_email(email text, mode text DEFAULT 'practical')
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_email(text, text) IS
  'Whether the text is an email address: mode practical (default), rfc5321 or html5';

CREATE FUNCTION dataeng.email_problem(email text, mode text DEFAULT 'practical')
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_email_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.email_problem(text, text) IS
  'Why the text is not an email address under the mode, or NULL when it is one';

CREATE FUNCTION dataeng.is_luhn(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_luhn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_luhn(text) IS 'Whether the text is a number whose last digit is its Luhn (mod 10) check digit';

CREATE FUNCTION dataeng.luhn_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_luhn_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.luhn_problem(text) IS 'Why the text is not a number whose last digit is its Luhn (mod 10) check digit, or NULL';

CREATE FUNCTION dataeng.is_credit_card(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_credit_card'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_credit_card(text) IS 'Whether the text is a payment card number: a known issuer prefix, its length, and the Luhn check';

CREATE FUNCTION dataeng.credit_card_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_credit_card_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.credit_card_problem(text) IS 'Why the text is not a payment card number: a known issuer prefix, its length, and the Luhn check, or NULL';

CREATE FUNCTION dataeng.is_isbn(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_isbn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_isbn(text) IS 'Whether the text is an ISBN-10 or ISBN-13 with a matching check character (hyphens and spaces allowed)';

CREATE FUNCTION dataeng.isbn_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_isbn_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.isbn_problem(text) IS 'Why the text is not an ISBN-10 or ISBN-13 with a matching check character (hyphens and spaces allowed), or NULL';

CREATE FUNCTION dataeng.is_iban(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_iban'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_iban(text) IS 'Whether the text is an IBAN: country length and account format from the IBAN registry, then mod 97';

CREATE FUNCTION dataeng.iban_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_iban_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.iban_problem(text) IS 'Why the text is not an IBAN: country length and account format from the IBAN registry, then mod 97, or NULL';

CREATE FUNCTION dataeng.is_uuid(value text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_uuid'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_uuid(text) IS 'Whether the text is a UUID in a form the uuid type reads';

CREATE FUNCTION dataeng.uuid_problem(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_uuid_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.uuid_problem(text) IS 'Why the text is not a UUID in a form the uuid type reads, or NULL';

-- URLs: the WHATWG URL Standard's parser with no base, a host, an allowed scheme.
CREATE FUNCTION dataeng.is_url(value text, schemes text[] DEFAULT '{http,https}')
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_url'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_url(text, text[]) IS 'Whether the text is an absolute URL (WHATWG URL Standard) with a host and one of the schemes';

CREATE FUNCTION dataeng.url_problem(value text, schemes text[] DEFAULT '{http,https}')
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_url_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.url_problem(text, text[]) IS 'Why the text is not an absolute URL (WHATWG URL Standard) with a host and one of the schemes, or NULL';

-- Phone numbers, through Google's libphonenumber.  region: ISO 3166 code the
-- number is dialled from (NULL: the number must be in international format).
-- Not STRICT, so that region may be NULL; a NULL number gives NULL.
CREATE FUNCTION dataeng.is_phone(phone text, region text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_phone'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_phone(text, text) IS
  'Whether the text is a valid phone number (libphonenumber), as dialled from region';

CREATE FUNCTION dataeng.phone_possible(phone text, region text DEFAULT NULL)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_phone_possible'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.phone_possible(text, text) IS
  'Whether the text has a possible length for a phone number of its country (looser than is_phone)';

CREATE FUNCTION dataeng.phone_problem(phone text, region text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_phone_problem'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.phone_problem(text, text) IS
  'Why the text is not a valid phone number, or NULL';

-- Postal codes, by the country formats of Google's libaddressinput.
CREATE FUNCTION dataeng.is_postal_code(code text, country text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_postal_code'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_postal_code(text, text) IS
  'Whether the text is a postal code of the country (ISO 3166 alpha-2)';

CREATE FUNCTION dataeng.postal_code_problem(code text, country text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_postal_code_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.postal_code_problem(text, text) IS
  'Why the text is not a postal code of the country, or NULL';

-- Strict dates: the whole text matches the format and the date exists.
CREATE FUNCTION dataeng.is_date(value text, format text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_is_date'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.is_date(text, text) IS
  'Whether the text is an existing date written exactly in the format (to_date patterns)';

CREATE FUNCTION dataeng.date_problem(value text, format text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_date_problem'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.date_problem(text, text) IS
  'Why the text is not a date written in the format, or NULL';

