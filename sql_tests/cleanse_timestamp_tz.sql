-- parse_timestamp's tz is checked whatever the value: a misspelt zone
-- (or a bad numeric offset) raises at once.  It raised only for a value
-- without an offset of its own, so a load whose first rows had offsets
-- (or were NULL, or not dates) went through, and the misspelling showed
-- only on a later row or load.
\set VERBOSITY default
CREATE EXTENSION dataeng;
-- values with their own offset, NULL, or no date at all: still an error
SELECT dataeng.parse_timestamp('2026-12-05T10:00:00Z', 'YMD', 'Europe/Pari');
SELECT dataeng.parse_timestamp(NULL, 'YMD', 'Europe/Pari');
SELECT dataeng.parse_timestamp('not a date', 'YMD', 'Europe/Pari');
SELECT dataeng.parse_timestamp('2026-12-05 10:00 +0100', 'YMD', '+16');
SELECT dataeng.parse_timestamp('2026-12-05 10:00', 'YMD', '');
-- a load: fails on its first row, not on its first row without an offset
CREATE TABLE raw_events (id int, at text);
INSERT INTO raw_events VALUES (1, '2026-12-05T10:00:00+01:00'), (2, NULL), (3, '2026-12-05 11:00');
SELECT id, dataeng.parse_timestamp(at, 'YMD', 'Europe/Pari') FROM raw_events ORDER BY id;
-- what is known works as before: names, abbreviations, offsets, the default
SELECT dataeng.parse_timestamp('2026-12-05 10:00', 'YMD', 'Europe/Paris') AS paris,
       dataeng.parse_timestamp('2026-12-05 10:00', 'YMD', 'europe/paris') AS lower_case,
       dataeng.parse_timestamp('2026-12-05 10:00', 'YMD', 'EST') AS abbrev,
       dataeng.parse_timestamp('2026-12-05 10:00', 'YMD', '+05:30') AS offset_east,
       dataeng.parse_timestamp('2026-12-05 10:00', 'YMD', NULL) AS utc,
       dataeng.parse_timestamp('2026-12-05T10:00:00Z', 'YMD', 'Asia/Tokyo') AS own_offset;
SELECT id, dataeng.parse_timestamp(at, 'YMD', 'Europe/Paris') FROM raw_events ORDER BY id;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
