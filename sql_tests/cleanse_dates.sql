-- Dates and times as sources write them.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- dateutil's parser cases (sql_tests/data/dateutil_parser_cases.tsv,
-- Apache-2.0/BSD-3), month-first like dateutil's default.  Only the cases
-- that stand alone (no "default" date to fill missing parts from).
CREATE TABLE du (input text, expected text, "default" text, options text, note text);
\copy du FROM PROGRAM 'grep -v "^#" sql_tests/data/dateutil_parser_cases.tsv' WITH (FORMAT csv, DELIMITER E'\t', HEADER true, QUOTE E'\x01')
SELECT count(*) AS cases,
       count(*) FILTER (WHERE dataeng.parse_date(input, 'MDY') = left(expected, 10)::date) AS same_date,
       count(*) FILTER (WHERE dataeng.parse_date(input, 'MDY') IS NULL) AS declined,
       count(*) FILTER (WHERE dataeng.parse_date(input, 'MDY') <> left(expected, 10)::date) AS different
  FROM du WHERE "default" IS NULL;
-- the ones declined (NULL rather than a guess) and any that differ
SELECT input, left(expected, 10) AS expected, dataeng.parse_date(input, 'MDY') AS ours, note
  FROM du WHERE "default" IS NULL
   AND dataeng.parse_date(input, 'MDY') IS DISTINCT FROM left(expected, 10)::date
 ORDER BY note, input;

-- the formats of the issue, and the order argument
SELECT v, o, dataeng.parse_date(v, o) AS parsed
  FROM (VALUES ('2026-11-24', NULL), ('24/11/2026', 'DMY'), ('24/11/2026', 'MDY'), ('11/24/2026', NULL),
               ('11/24/2026', 'DMY'), ('10/09/2026', 'DMY'), ('10/09/2026', 'MDY'), ('24.11.26', 'DMY'),
               ('24 Nov 2026', NULL), ('November 24, 2026', NULL), ('Tue, 24 Nov 2026 10:00:00 +0100', NULL),
               ('20261124', NULL), ('1795521600', NULL), ('1795521600000', NULL), ('24 novembre 2026', NULL),
               ('24. März 2026', NULL), ('2026-02-30', NULL), ('31/04/2026', 'DMY'), ('10/09/03', NULL),
               ('soon', NULL), ('', NULL), ('2026-11-24 EST', NULL)) t(v, o);

SELECT v, dataeng.parse_timestamp(v) AS utc, dataeng.parse_timestamp(v, tz => 'Europe/Paris') AS paris
  FROM unnest(ARRAY['2026-11-24T10:00:00', '2026-11-24T10:00:00+01:00', 'Tue, 24 Nov 2026 10:00:00 +0100',
                    '2026-11-24 10:00:00Z', 'Nov 24, 2026 3:30 pm', '2026-11-24 12:00 am',
                    '2026-11-24 10:49:41.502', '1795521600', '2026-11-24 25:00']) v;

SELECT dataeng.parse_date('2026-11-24', 'YDM');

-- an offset under an hour west keeps its sign (-00:30 was read as +00:30)
SELECT v, dataeng.parse_timestamp(v) AS utc
  FROM unnest(ARRAY['2026-06-01 12:00 -00:30', '2026-06-01 12:00 -0030', '2026-06-01 12:00 -03:30',
                    '2026-06-01 12:00 +00:30']) v;
-- tz given as a numeric offset reads as the value's own offsets do, east
-- positive (PostgreSQL's POSIX reading put '+05:00' five hours west); a
-- malformed one is refused; a POSIX name (UTC+5) is PostgreSQL's
SELECT tz, dataeng.parse_timestamp('2026-06-01 12:00', tz => tz) AS given,
       dataeng.parse_timestamp('2026-06-01 12:00 ' || tz) AS written
  FROM unnest(ARRAY['+05:00', '+05', '+0530', '-03', '-00:30']) tz;
SELECT dataeng.parse_timestamp('2026-06-01 12:00', tz => 'UTC+5') AS posix_name;
SELECT dataeng.parse_timestamp('2026-06-01 12:00', tz => '+16');
SELECT dataeng.parse_timestamp('2026-06-01 12:00', tz => '+05:3');
-- the value's own offset wins
SELECT dataeng.parse_timestamp('2026-06-01 12:00 +01:00', tz => '-03:00') AS own_offset;

DROP TABLE du;
DROP EXTENSION dataeng;
