-- Email validators against the field's public suites (sql_tests/data/:
-- python-email-validator, Unlicense; isemail, BSD-3, isemail_LICENSE.md).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never

-- python-email-validator's cases define the "practical" policy
CREATE TABLE email_py (n int, test text, address text, expected boolean);
\copy email_py FROM 'sql_tests/data/email_python_validator.tsv'
SELECT count(*) AS cases,
       count(*) FILTER (WHERE dataeng.is_email(address) = expected) AS agree
  FROM email_py;
-- where we differ (see docs/validate.md for why)
SELECT n, test, address, expected, dataeng.email_problem(address) AS problem
  FROM email_py WHERE dataeng.is_email(address) <> expected ORDER BY n;

-- isemail's suite defines RFC 5321 mailboxes (category below 16)
CREATE TABLE email_isemail (id int, address text, category text, diagnosis text, expected boolean);
\copy email_isemail FROM 'sql_tests/data/email_isemail.tsv'
SELECT count(*) AS cases,
       count(*) FILTER (WHERE dataeng.is_email(address, 'rfc5321') = expected) AS agree
  FROM email_isemail;
SELECT id, address, diagnosis, expected, dataeng.email_problem(address, 'rfc5321') AS problem
  FROM email_isemail WHERE dataeng.is_email(address, 'rfc5321') <> expected ORDER BY id;

-- html5: the WHATWG rule
SELECT a, dataeng.is_email(a, 'html5') AS html5
  FROM unnest(ARRAY['user@example.com', 'user.name+tag@sub.example.co', 'user@localhost',
                    'a@b', '"quoted"@example.com', 'user@-example.com', 'user@exa_mple.com',
                    'üser@example.com', 'user@example..com', '@example.com', 'user@']) a;

-- a reason for every failure, NULL for success
SELECT a, dataeng.email_problem(a) AS problem
  FROM unnest(ARRAY['ok@example.com', 'no-at-sign', 'two..dots@example.com', 'x@example',
                    ' space@example.com', 'x@example.com.', 'x@sub.localhost',
                    'x@' || repeat('a', 64) || '.com', repeat('l', 65) || '@example.com']) a;

-- never an error, whatever the bytes
SELECT count(*) AS survived FROM (
  SELECT dataeng.is_email(convert_from(decode(md5(g::text) || md5((g + 1)::text), 'hex'), 'SQL_ASCII'))
    FROM generate_series(1, 2000) g) s;
SELECT dataeng.is_email(repeat('a', 1000000) || '@example.com') AS megabyte,
       dataeng.is_email(E'a\x01b@example.com') AS control,
       dataeng.is_email('') AS empty;
-- found by fuzzing: the check for a full-width at-sign read past the value
SELECT dataeng.email_problem(E'\n\n') AS no_at, dataeng.email_problem('ada＠example.com') AS full_width_at;
-- usable in a CHECK constraint and a domain
CREATE DOMAIN email_address AS text CHECK (dataeng.is_email(VALUE));
SELECT 'me@example.com'::email_address;
SELECT 'me@example'::email_address;
-- an unknown mode is the one thing that raises
SELECT dataeng.is_email('me@example.com', 'strictest');

DROP DOMAIN email_address;
DROP TABLE email_py, email_isemail;
DROP EXTENSION dataeng;
