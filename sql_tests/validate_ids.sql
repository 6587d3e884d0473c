-- Identifier validators: Luhn, payment cards, ISBN, IBAN, UUID.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

-- Luhn
SELECT v, dataeng.is_luhn(v), dataeng.luhn_problem(v)
  FROM unnest(ARRAY['79927398713', '79927398710', '7992 7398 713', '0', '00', 'abc', '',
                    '-79927398713', '7992--7398713', '12345678903']) v;

-- payment cards (the networks' published test numbers)
SELECT v, dataeng.is_credit_card(v), dataeng.credit_card_problem(v)
  FROM unnest(ARRAY['4111111111111111', '4111 1111 1111 1111', '4111-1111-1111-1111',
                    '4111111111111112', '5555555555554444', '2223003122003222',
                    '378282246310005', '371449635398431', '37828224631000',
                    '6011111111111117', '3530111333300000', '36227206271667',
                    '6200000000000005', '1234567812345670', '411111111111', '4111 1111 1111 111a',
                    '79927398713']) v;

-- ISBN
SELECT v, dataeng.is_isbn(v), dataeng.isbn_problem(v)
  FROM unnest(ARRAY['978-0-306-40615-7', '9780306406157', '978 0 306 40615 7', '0-306-40615-2',
                    '0306406152', '0-8044-2957-X', '080442957x', '978-0-306-40615-8',
                    '0-306-40615-3', '977-0-306-40615-4', '123', '-0306406152', '0306406152-',
                    '03064o6152']) v;

-- IBAN (the registry's example numbers, and broken copies of them)
SELECT v, dataeng.is_iban(v), dataeng.iban_problem(v)
  FROM unnest(ARRAY['GB82 WEST 1234 5698 7654 32', 'GB82WEST12345698765432', 'gb82 west 1234 5698 7654 32',
                    'DE89 3704 0044 0532 0130 00', 'FR14 2004 1010 0505 0001 3M02 606',
                    'NL91 ABNA 0417 1643 00', 'BE68 5390 0754 7034', 'NO93 8601 1117 947',
                    'CH93 0076 2011 6238 5295 7', 'IT60 X054 2811 1010 0000 0123 456',
                    'ES91 2100 0418 4502 0005 1332', 'PL61 1090 1014 0000 0712 1981 2874',
                    'GB82 WEST 1234 5698 7654 33', 'GB82 WEST 1234 5698 7654', 'GB82 1234 1234 5698 7654 32',
                    'XX82 WEST 1234 5698 7654 32', 'DE89 3704 0044 0532 0130 0A', '', 'GB8',
                    'GB82  WEST 1234 5698 7654 32']) v;

-- UUID: what the uuid type reads
SELECT v, dataeng.is_uuid(v), dataeng.uuid_problem(v),
       CASE WHEN dataeng.is_uuid(v) THEN v::uuid::text END AS as_uuid
  FROM unnest(ARRAY['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
                    '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', 'a0eebc999c0b4ef8bb6d6bb9bd380a11',
                    'a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a11', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1',
                    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11-', 'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                    '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '']) v;

-- every accepted UUID is one the uuid type accepts, and the other way round
CREATE FUNCTION uuid_type_reads(v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM v::uuid;
  RETURN true;
EXCEPTION WHEN invalid_text_representation THEN
  RETURN false;
END $$;
SELECT count(*) AS cases, count(*) FILTER (WHERE dataeng.is_uuid(v)) AS accepted,
       count(*) FILTER (WHERE dataeng.is_uuid(v) <> uuid_type_reads(v)) AS disagreements
  FROM (SELECT md5(g::text) AS h, g FROM generate_series(1, 500) g) x,
       LATERAL (SELECT CASE g % 5 WHEN 0 THEN h WHEN 1 THEN '{' || h || '}'
                                  WHEN 2 THEN substr(h, 1, 8) || '-' || substr(h, 9)
                                  WHEN 3 THEN substr(h, 1, 7) || '-' || substr(h, 8)
                                  ELSE h || 'z' END AS v) y
;
DROP FUNCTION uuid_type_reads;

-- never an error, whatever the bytes: 1000 strings of 24 random bytes
-- (1..255) in a SQL_ASCII database, which keeps invalid UTF-8 as it is, and
-- 1000 of digits, letters and separators; each function runs on each string
-- (its result is counted)
\set regress_db :DBNAME
CREATE DATABASE dataeng_ids_bytes TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C';
\c dataeng_ids_bytes
CREATE FUNCTION is_iban(text) RETURNS boolean AS '$libdir/dataeng', 'dataeng_is_iban' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION is_isbn(text) RETURNS boolean AS '$libdir/dataeng', 'dataeng_is_isbn' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION is_credit_card(text) RETURNS boolean AS '$libdir/dataeng', 'dataeng_is_credit_card' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION is_uuid(text) RETURNS boolean AS '$libdir/dataeng', 'dataeng_is_uuid' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION is_luhn(text) RETURNS boolean AS '$libdir/dataeng', 'dataeng_is_luhn' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION iban_problem(text) RETURNS text AS '$libdir/dataeng', 'dataeng_iban_problem' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION isbn_problem(text) RETURNS text AS '$libdir/dataeng', 'dataeng_isbn_problem' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION credit_card_problem(text) RETURNS text AS '$libdir/dataeng', 'dataeng_credit_card_problem' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION uuid_problem(text) RETURNS text AS '$libdir/dataeng', 'dataeng_uuid_problem' LANGUAGE C IMMUTABLE STRICT;
CREATE FUNCTION luhn_problem(text) RETURNS text AS '$libdir/dataeng', 'dataeng_luhn_problem' LANGUAGE C IMMUTABLE STRICT;
SELECT kind, count(*) AS strings,
       count(*) FILTER (WHERE is_iban(x)) AS iban, count(*) FILTER (WHERE is_isbn(x)) AS isbn,
       count(*) FILTER (WHERE is_credit_card(x)) AS card, count(*) FILTER (WHERE is_uuid(x)) AS uuid,
       count(*) FILTER (WHERE is_luhn(x)) AS luhn,
       count(*) FILTER (WHERE is_iban(x) = (iban_problem(x) IS NULL) AND is_isbn(x) = (isbn_problem(x) IS NULL)
                          AND is_credit_card(x) = (credit_card_problem(x) IS NULL)
                          AND is_uuid(x) = (uuid_problem(x) IS NULL) AND is_luhn(x) = (luhn_problem(x) IS NULL)) AS consistent,
       bool_or(is_iban(x) IS NULL OR is_isbn(x) IS NULL OR is_credit_card(x) IS NULL
               OR is_uuid(x) IS NULL OR is_luhn(x) IS NULL) AS any_null
  FROM (SELECT 'bytes' AS kind, x FROM (SELECT string_agg(chr(1 + get_byte(decode(md5(g || '.' || i), 'hex'), 0) % 255), '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 24) i GROUP BY g) r
        UNION ALL
        SELECT 'digits', x FROM (SELECT string_agg((ARRAY['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '9', '7', 'X', 'G', 'B', '-', ' ', '{', '}', 'f', chr(200)])[1 + get_byte(decode(md5(g || '/' || i), 'hex'), 0) % 21], '' ORDER BY i) AS x
          FROM generate_series(1, 1000) g, generate_series(1, 20) i GROUP BY g) r) s
 GROUP BY kind ORDER BY kind;
\c :regress_db
DROP DATABASE dataeng_ids_bytes;
-- long inputs: no IBAN is 400,000 characters; a Luhn number may be that
-- long (100,000 ones: 50,000 x 1 + 50,000 x 2 = 150,000, a multiple of 10)
SELECT dataeng.is_iban(repeat('GB82', 100000)), dataeng.is_luhn(repeat('1', 100000)),
       dataeng.is_luhn(repeat('1', 99999));

DROP EXTENSION dataeng;
