-- parse_timestamp rounds a fraction of a second to the microsecond as
-- PostgreSQL's own input does (helper 6's trial): it was cut, so
-- 10:00:00.9999996 was 10:00:00.999999, where '...'::timestamptz gives
-- 10:00:01, and .1234567 was .123456.
CREATE EXTENSION dataeng;
SET TimeZone = 'UTC';
SELECT v, dataeng.parse_timestamp(v) AS parsed,
       dataeng.parse_timestamp(v) = (v || '+00')::timestamptz AS as_postgres
  FROM (VALUES ('2026-11-24 10:00:00.9999996'), ('2026-11-24 10:00:00.1234567'),
               ('2026-11-24 10:00:00.1234564'), ('2026-11-24 10:00:00.123456789012'),
               ('2026-11-24 10:00:00.0000004'), ('2026-11-24 10:00:00.5'),
               -- rounded up into the next day, year, or a leap day
               ('2026-12-31 23:59:59.9999999'), ('2028-02-28 23:59:59.99999999')) t(v);
-- with an offset of its own and in a time zone
SELECT dataeng.parse_timestamp('2026-12-31 23:59:59.9999999 +01:00') AS own_offset,
       dataeng.parse_timestamp('2026-12-31 23:59:59.9999999', 'YMD', 'Europe/Paris') AS paris,
       dataeng.parse_date('2026-12-31 23:59:59.9999999') AS the_date;
RESET TimeZone;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
