-- include_tables / exclude_tables of the dataeng output plugin: the schema
-- and the table are matched apart, so a dot in a name is never taken for
-- the separator and "*" never spans it; double quotes make a name literal.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET synchronous_commit = on;
\pset null '(null)'

SELECT 'init' FROM pg_create_logical_replication_slot('dpat_slot', 'dataeng');
CREATE SCHEMA "dpat.s";
CREATE SCHEMA dpat;
CREATE TABLE "dpat.s".t (id int PRIMARY KEY);    -- schema "dpat.s", table t
CREATE TABLE dpat."s.t" (id int PRIMARY KEY);    -- schema dpat, table "s.t"
CREATE TABLE dpat."My Tab" (id int PRIMARY KEY);
CREATE TABLE dpat."a*b" (id int PRIMARY KEY);
CREATE TABLE dpat.axb (id int PRIMARY KEY);
CREATE TABLE dpat."q""t" (id int PRIMARY KEY);
CREATE TABLE dpat."c,d" (id int PRIMARY KEY);
INSERT INTO "dpat.s".t VALUES (1);
INSERT INTO dpat."s.t" VALUES (1);
INSERT INTO dpat."My Tab" VALUES (1);
INSERT INTO dpat."a*b" VALUES (1);
INSERT INTO dpat.axb VALUES (1);
INSERT INTO dpat."q""t" VALUES (1);
INSERT INTO dpat."c,d" VALUES (1);

-- The tables a pattern lets through, or the error it raises
CREATE FUNCTION dpat_tables(opt text, pattern text)
RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  result text;
  detail text;
BEGIN
  SELECT string_agg(format('%I.%I', r->>'schema', r->>'table'), ', '
                    ORDER BY r->>'schema', r->>'table')
    INTO result
    FROM (SELECT DISTINCT data::jsonb AS r
            FROM pg_logical_slot_peek_changes('dpat_slot', NULL, NULL, 'include_ddl', 'off',
                                              opt, pattern)) q
   WHERE r->>'schema' IN ('dpat', 'dpat.s') AND r->>'op' = 'I';
  RETURN coalesce(result, '(none)');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  RETURN SQLSTATE || ': ' || detail;
END $$;

SELECT p AS pattern, dpat_tables('include_tables', p) AS tables
  FROM unnest(ARRAY[
    -- a schema with a dot, a table with a dot: told apart
    'dpat\.s.t', '"dpat.s".t', '"dpat.s"."t"', 'dpat.s\.t', 'dpat."s.t"', 's\.t', '"s.t"',
    -- "*" does not span the separator: dpat*.t is schema dpat*, table t
    'dpat*.t', '*.t', '*.s*', 'dpat.*',
    -- quoted names: blanks, stars, quotes and commas are literal
    'dpat."My Tab"', '"My Tab"', 'dpat."a*b"', 'dpat.a*b', 'dpat."q""t"', 'q\"t',
    'dpat."c,d"', 'c\,d', ' "My Tab" , axb ', ' dpat . "My Tab" ', 'dpat.My\ Tab',
    -- errors: ambiguous dots, an unterminated quote, empty parts
    'dpat.s.t', '"My Tab', 'dpat.', '.t', '""'
  ]) AS p;
SELECT dpat_tables('exclude_tables', 'dpat.*') AS all_but_dpat;
SELECT dpat_tables('exclude_tables', '"dpat.s".*, *"*"*, *\**, My*') AS exclude_quoted;

SELECT pg_drop_replication_slot('dpat_slot');
DROP SCHEMA "dpat.s", dpat CASCADE;
DROP FUNCTION dpat_tables;
DROP EXTENSION dataeng CASCADE;
