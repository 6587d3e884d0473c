-- The dataeng output plugin's values do not depend on the settings of the
-- session that reads the slot (DateStyle, TimeZone, IntervalStyle,
-- extra_float_digits, bytea_output), floats are exact, and Debezium's
-- numeric timestamps never wrap around.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dval_slot', 'dataeng');
CREATE TABLE dval (id int PRIMARY KEY, f4 real, f8 float8, by bytea, iv interval,
                   tsa timestamptz[], da date[], f8a float8[], ts timestamp, tz timestamptz);
INSERT INTO dval VALUES
  (1, 3.4028235e38, 0.1, '\x00ff5c', '1 day 02:00:03', '{"2026-01-01 00:00+00", infinity}',
   '{2026-01-02}', '{0.1, 5e-324}', '2026-01-02 03:04:05.678901', '2026-01-02 03:04:05+02'),
  (2, 1e-45, 5e-324, '\x', '-3 mons', NULL, NULL, NULL, '294276-12-31 23:59:59.999999',
   '4713-01-01 00:00+00 BC'),
  (3, '-0', '-Infinity', NULL, NULL, NULL, NULL, NULL, '4713-01-01 00:00 BC', NULL);

-- read in a session with unusual settings: the records are as under the defaults
SET DateStyle = 'German, DMY';
SET TimeZone = 'Asia/Tokyo';
SET IntervalStyle = 'postgres_verbose';
SET extra_float_digits = 0;
SET bytea_output = 'escape';
SELECT r->'new'->'id' AS id, r->'new'->'f4' AS f4, r->'new'->'f8' AS f8,
       r->'new'->'by' AS by, r->'new'->'iv' AS iv
  FROM (SELECT data::json AS r FROM pg_logical_slot_peek_changes('dval_slot', NULL, NULL)) q
 WHERE r->>'op' = 'I' ORDER BY (r->'new'->>'id')::int;
SELECT r->'new'->'id' AS id, r->'new'->'tsa' AS tsa, r->'new'->'da' AS da,
       r->'new'->'f8a' AS f8a, r->'new'->'tz' AS tz
  FROM (SELECT data::json AS r FROM pg_logical_slot_peek_changes('dval_slot', NULL, NULL)) q
 WHERE r->>'op' = 'I' ORDER BY (r->'new'->>'id')::int;
-- the floats read back as the same values
SELECT bool_and((r->'new'->>'f4')::real = d.f4) AS f4_exact,
       bool_and((r->'new'->>'f8')::float8 = d.f8) AS f8_exact
  FROM (SELECT data::jsonb AS r FROM pg_logical_slot_peek_changes('dval_slot', NULL, NULL)) q
  JOIN dval d ON d.id = (r->'new'->>'id')::int
 WHERE r->>'op' = 'I';
-- Debezium: timestamp is microseconds since 1970 while that fits in an
-- int64, else the ISO string (never a wrapped-around number)
SELECT r->'after'->'id' AS id, r->'after'->'ts' AS ts, r->'after'->'tz' AS tz,
       r->'after'->'by' AS by
  FROM (SELECT data::json AS r
          FROM pg_logical_slot_peek_changes('dval_slot', NULL, NULL, 'format', 'debezium')) q
 WHERE r->>'op' = 'c' ORDER BY (r->'after'->>'id')::int;
-- the reading session keeps its own settings
SHOW DateStyle;
SHOW TimeZone;
SHOW IntervalStyle;
SHOW extra_float_digits;
SHOW bytea_output;
RESET ALL;

SELECT pg_drop_replication_slot('dval_slot');
DROP TABLE dval;
DROP EXTENSION dataeng CASCADE;
