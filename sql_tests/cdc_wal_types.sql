-- Capture from the WAL of columns of many types: the worker turns
-- pgoutput's values back into typed values (input functions looked up once
-- per column and round) and writes the same records as the capture trigger.
\pset null '(null)'
SET client_min_messages = warning;
-- (the worker renders timestamptz values in UTC)
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;

CREATE TYPE wt_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TYPE wt_pair AS (a int, b text, c numeric(6,2));
CREATE DOMAIN wt_pos AS int CHECK (VALUE > 0);
CREATE DOMAIN wt_words AS text[] CHECK (cardinality(VALUE) < 5);
CREATE TABLE wt_trg (id int PRIMARY KEY, i2 smallint, i8 bigint, n numeric(10,3), r real,
                     d float8, m money, b bool, ch char(5), vc varchar(10), u uuid, ip inet,
                     net cidr, mac macaddr, dt date, t time(3), tz timetz, ts timestamp,
                     tstz timestamptz(2), iv interval, j json, jb jsonb, bits bit(4),
                     vb varbit, tsv tsvector, rng int4range, mr int4multirange, pt point,
                     arr text[], e wt_mood, c wt_pair, cs wt_pair[], dm wt_pos, dw wt_words,
                     ea wt_mood[], o oid, nm name, bt bytea, big text);
CREATE TABLE wt_wal (LIKE wt_trg INCLUDING ALL);
SELECT dataeng.cdc_enable('wt_trg');
SELECT dataeng.cdc_enable('wt_wal', method => 'wal');
SELECT dataeng.cdc_wal_sync();

CREATE FUNCTION pg_temp.wt_write(t regclass) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO %1$s VALUES
      (1, -32768, 9223372036854775807, 1234567.891, 3.4028235e38, -1.5e-300, '12.34', true,
       'ab', 'héllo', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '192.168.0.1/24', '10.0.0.0/8',
       '08:00:2b:01:02:03', '2024-02-29', '23:59:59.999', '12:00:00+05:30', '2000-01-01 00:00:00.000001',
       '2024-02-29 12:34:56.789+01', '1 year 2 mons 3 days 04:05:06.5', '{"a": [1, 2.50]}',
       '{"k": {"z": null, "a": 1e3}}', B'1010', B'101', 'a fat cat:2', '[1,5)', '{[1,3), [7,9)}',
       '(1.5,-2)', '{"x", NULL, "y z"}', 'happy', '(1,"a, b",3.14)', '{"(2,x,0.5)", NULL}', 7,
       '{a,b}', '{sad,ok}', 4294967295, 'a name', '\x00deadbeef', NULL),
      (2, 0, 0, 'NaN', 'Infinity', '-Infinity', '-0.01', false, NULL, '', NULL, '::1', '::/0',
       NULL, 'infinity', '00:00', '00:00:00-12', '-infinity', 'infinity', '-1 day', 'null', '[]',
       B'0000', B'', '', 'empty', '{}', NULL, '{}', 'sad', '(,,)', '{}', 1, '{}', '{}', 0, '', '\x',
       repeat('toast', 40000)),
      (3, NULL, NULL, -0.0005, 'NaN', 'NaN', NULL, NULL, 'abcde', 'x', NULL, NULL, NULL, NULL,
       '0001-01-01 BC', NULL, NULL, '1999-12-31 23:59:59', '1970-01-01 00:00:00+00', NULL,
       '"s"', '"s"', NULL, NULL, NULL, '[,)', NULL, '(0,0)', NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, 'x');
    UPDATE %1$s SET n = n + 1, r = r / 2, tstz = tstz + interval '1 microsecond', c.a = 10,
                    e = 'ok', arr = arr || '{w}'::text[] WHERE id IN (1, 3);
    UPDATE %1$s SET i2 = 1 WHERE id = 2;          -- big is TOASTed, unchanged
    DELETE FROM %1$s WHERE id = 1;
  $q$, t);
END $$;
SELECT pg_temp.wt_write('wt_trg');
SELECT pg_temp.wt_write('wt_wal');
SELECT dataeng.cdc_wal_sync();

-- the same records in the same order
CREATE FUNCTION pg_temp.wt_log(t regclass)
RETURNS TABLE (n bigint, op "char", pk jsonb, old_row jsonb, new_row jsonb)
LANGUAGE sql AS $$
  SELECT row_number() OVER (ORDER BY change_id), op, pk, old_row, new_row
    FROM dataeng.changes WHERE table_name = t ORDER BY change_id
$$;
SELECT (SELECT count(*) FROM pg_temp.wt_log('wt_wal')) AS changes,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.wt_log('wt_trg') EXCEPT ALL
                              SELECT * FROM pg_temp.wt_log('wt_wal')) x) AS only_trigger,
       (SELECT count(*) FROM (SELECT * FROM pg_temp.wt_log('wt_wal') EXCEPT ALL
                              SELECT * FROM pg_temp.wt_log('wt_trg')) x) AS only_wal;
-- what they are (the TOASTed value shortened)
SELECT n, op, pk, jsonb_set(new_row, '{big}', coalesce(to_jsonb(length(new_row->>'big')), 'null')) AS new_row
  FROM pg_temp.wt_log('wt_wal') WHERE op <> 'D';
SELECT n, op, pk, jsonb_set(old_row, '{big}', coalesce(to_jsonb(length(old_row->>'big')), 'null')) AS old_row
  FROM pg_temp.wt_log('wt_wal') WHERE op = 'D';
SELECT dataeng.cdc_disable('wt_wal');
SELECT dataeng.cdc_wal_sync();

DROP TABLE wt_trg, wt_wal;
DROP TYPE wt_mood, wt_pair CASCADE;
DROP DOMAIN wt_pos, wt_words;
DROP EXTENSION dataeng CASCADE;
