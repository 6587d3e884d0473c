-- Email validators against the field's public suites (sql_tests/data/:
-- python-email-validator, Unlicense; isemail, BSD-3, isemail_LICENSE.md).
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

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

-- never an error, whatever the text: 2000 strings of 24 characters drawn
-- from what addresses are made of and what trips parsers (each function
-- runs on each string: its result is counted)
SELECT count(*) AS strings,
       count(*) FILTER (WHERE dataeng.is_email(x)) AS practical,
       count(*) FILTER (WHERE dataeng.is_email(x, 'rfc5321')) AS rfc5321,
       count(*) FILTER (WHERE dataeng.is_email(x, 'html5')) AS html5,
       count(*) FILTER (WHERE dataeng.is_email(x) = (dataeng.email_problem(x) IS NULL)
                          AND dataeng.is_email(x, 'rfc5321') = (dataeng.email_problem(x, 'rfc5321') IS NULL)
                          AND dataeng.is_email(x, 'html5') = (dataeng.email_problem(x, 'html5') IS NULL)) AS consistent,
       bool_or(dataeng.is_email(x) IS NULL OR dataeng.is_email(x, 'rfc5321') IS NULL
               OR dataeng.is_email(x, 'html5') IS NULL) AS any_null
  FROM (SELECT string_agg((ARRAY['a', 'Z', '0', '.', '@', '@', '-', '_', '"', '\', '[', ']', ':', '(', ' ', 'é', 'ß', '＠', '。', 'ａ', 'xn--', 'IPv6:', chr(1), chr(173), chr(8203), chr(65533), chr(128512)])[1 + get_byte(decode(md5(g || '.' || i), 'hex'), 0) % 27], '' ORDER BY i) AS x
          FROM generate_series(1, 2000) g, generate_series(1, 24) i GROUP BY g) r;
-- invalid UTF-8: a UTF-8 database refuses such text, a SQL_ASCII one keeps
-- its bytes; there the C functions see them as they are
\set regress_db :DBNAME
CREATE DATABASE dataeng_email_bytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_email_bytes
CREATE FUNCTION is_email(text, text DEFAULT 'practical') RETURNS boolean
  AS '$libdir/dataeng', 'dataeng_is_email' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION email_problem(text, text DEFAULT 'practical') RETURNS text
  AS '$libdir/dataeng', 'dataeng_email_problem' LANGUAGE C IMMUTABLE STRICT;
SELECT email_problem(E'ada@ex\xc3.com') AS truncated, email_problem(E'\xff@example.com') AS invalid_local,
       email_problem(E'ad\xc3\xa4@example.com') AS valid;
-- 2000 strings of 24 random bytes (1..255), alone and around an at-sign
SELECT count(*) AS strings,
       count(*) FILTER (WHERE is_email(x) OR is_email(x, 'rfc5321') OR is_email(x, 'html5')) AS accepted,
       count(*) FILTER (WHERE email_problem(x) IS NOT NULL AND email_problem(x, 'rfc5321') IS NOT NULL
                          AND email_problem(x, 'html5') IS NOT NULL) AS refused,
       bool_or(is_email(x) IS NULL OR is_email(x, 'rfc5321') IS NULL OR is_email(x, 'html5') IS NULL) AS any_null
  FROM (SELECT x FROM (SELECT string_agg(chr(1 + get_byte(decode(md5(g || '.' || i), 'hex'), 0) % 255), '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 24) i GROUP BY g) r
        UNION ALL
        SELECT substr(x, 1, 12) || '@' || substr(x, 13) || '.com' FROM (SELECT string_agg(chr(1 + get_byte(decode(md5(g || '/' || i), 'hex'), 0) % 255), '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 24) i GROUP BY g) r) s;
\c :regress_db
DROP DATABASE dataeng_email_bytes;
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
