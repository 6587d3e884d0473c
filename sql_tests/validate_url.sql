-- URL validators against WPT's urltestdata (sql_tests/data/url_wpt.tsv,
-- BSD-3-Clause; made by make_url_cases.py): the absolute URLs.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

CREATE TABLE url_wpt (n int, input text, failure boolean, url_default boolean,
                      url_special boolean, href text);
\copy url_wpt FROM 'sql_tests/data/url_wpt.tsv'
-- "parses or fails": with no scheme allowed, a URL that parses is refused
-- only for its scheme or for having no host
CREATE FUNCTION pg_temp.parses(u text) RETURNS boolean LANGUAGE sql AS $$
  SELECT dataeng.url_problem(u, '{}') IN ('the scheme is not one of the allowed schemes',
                                          'the URL has no host') $$;
SELECT count(*) AS cases,
       count(*) FILTER (WHERE pg_temp.parses(input) = NOT failure) AS agree_parses,
       count(*) FILTER (WHERE dataeng.is_url(input) = url_default) AS agree_default,
       count(*) FILTER (WHERE dataeng.is_url(input, '{http,https,ftp,ws,wss,file}') = url_special)
         AS agree_special
  FROM url_wpt;
-- every disagreement (see docs/validate.md)
SELECT n, input, failure, url_default, url_special, dataeng.url_problem(input) AS problem
  FROM url_wpt
 WHERE pg_temp.parses(input) <> NOT failure
    OR dataeng.is_url(input) <> url_default
    OR dataeng.is_url(input, '{http,https,ftp,ws,wss,file}') <> url_special
 ORDER BY n;

-- a reason for every failure, NULL for success
SELECT u, dataeng.url_problem(u) AS problem
  FROM unnest(ARRAY['https://example.com/a?b#c', 'HTTP://EXAMPLE.COM:8080', 'example.com',
                    'http://', 'http://user@/', 'http://exa mple.com', 'http://example.com:65536',
                    'http://example.com:80a', 'http://[::1', 'http://[1::2::3]',
                    'http://1.2.3.256', 'http://0x7f.1', 'http://xn--a.com', 'http://a%25b',
                    'http://bücher.example/', 'http://%e2%98%83', 'mailto:ada@example.com',
                    'ftp://example.com/', 'http:example.com', ' http://example.com ',
                    E'ht\ttp://exa\nmple.com']) u;
-- schemes: compared in lowercase; file URLs may have an empty host
SELECT dataeng.is_url('ftp://example.com/', '{FTP}') AS ftp,
       dataeng.is_url('file:///etc/hosts', '{file}') AS file_empty_host,
       dataeng.is_url('file://localhost/etc/hosts', '{file}') AS file_localhost,
       dataeng.is_url('sc://host/x', '{sc}') AS non_special,
       dataeng.is_url('sc:///x', '{sc}') AS non_special_empty_host,
       dataeng.is_url('http://example.com', '{}') AS no_scheme_allowed,
       dataeng.is_url('http://example.com', '{NULL,http}') AS null_element;

-- STRICT: NULL in, NULL out
SELECT dataeng.is_url(NULL) IS NULL AS null_url, dataeng.url_problem(NULL) IS NULL AS null_problem,
       dataeng.is_url('http://a', NULL) IS NULL AS null_schemes;
-- never an error, whatever the bytes: huge, control characters, empty
SELECT dataeng.url_problem('http://' || repeat('a', 1000000) || '.com/') AS megabyte_host,
       dataeng.url_problem('http://a.com/' || repeat('p', 1000000)) AS megabyte_path,
       dataeng.url_problem('http://' || repeat('%', 100000)) AS percents,
       dataeng.url_problem('http://[' || repeat(':', 100000) || ']') AS colons,
       dataeng.url_problem('http://' || repeat('ü.', 100000)) AS labels,
       dataeng.url_problem(E'http://a\x01b.com') AS control,
       dataeng.url_problem(E'\x01\x02http://a.com/\x7f') AS control_stripped,
       dataeng.url_problem('') AS empty;
-- invalid UTF-8: a UTF-8 database refuses such text, a SQL_ASCII one keeps
-- its bytes; there the C function sees them as they are
\set regress_db :DBNAME
CREATE DATABASE dataeng_url_bytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_url_bytes
CREATE FUNCTION url_problem(text, text[] DEFAULT '{http,https}') RETURNS text
  AS '$libdir/dataeng', 'dataeng_url_problem' LANGUAGE C IMMUTABLE STRICT;
SELECT url_problem(E'http://\xc3') AS truncated, url_problem(E'http://a.com/\xff') AS in_path,
       url_problem(E'http://a%C3.com') AS percent_encoded, url_problem(E'http://a\xc3\xa4.com') AS valid;
-- 2000 strings of 24 random bytes (1..255), alone and after "http://"
SELECT count(*) AS survived, count(p) AS refused FROM (
  SELECT url_problem(x) AS p FROM (
    SELECT string_agg(chr(1 + get_byte(decode(md5(g || '.' || i), 'hex'), 0) % 255), '') AS x
      FROM generate_series(1, 1000) g, generate_series(1, 24) i GROUP BY g) r
  UNION ALL
  SELECT url_problem('http://' || x) FROM (
    SELECT string_agg(chr(1 + get_byte(decode(md5(g || '/' || i), 'hex'), 0) % 255), '') AS x
      FROM generate_series(1, 1000) g, generate_series(1, 24) i GROUP BY g) r) s;
\c :regress_db
DROP DATABASE dataeng_url_bytes;
-- usable in a CHECK constraint and a domain
CREATE TABLE links (url text CHECK (dataeng.is_url(url)));
INSERT INTO links VALUES ('https://example.com/');
INSERT INTO links VALUES ('javascript:alert(1)');
CREATE DOMAIN web_url AS text CHECK (dataeng.is_url(VALUE));
SELECT 'https://example.com/'::web_url;
SELECT 'https://exa mple.com/'::web_url;

DROP DOMAIN web_url;
DROP TABLE links, url_wpt;
DROP EXTENSION dataeng;
