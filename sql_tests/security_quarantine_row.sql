-- dataeng_internal._quarantine_row(record) is PUBLIC's: a row of any
-- type, made by any role, must come out as its JSON or an error, never
-- crash the server.  Its set-up per column (to_jsonb() called with the
-- column's type, its output function) was kept for a row type of the same
-- oid and number of columns: a table's row type keeps its oid through
-- ALTER TABLE, and a PL/pgSQL loop calling it again in one transaction
-- after ALTER COLUMN ... TYPE wrote an int as text (its value read as a
-- pointer: the server crashed), or after DROP COLUMN named the dropped
-- column ("........pg.dropped.1........": null).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE ROLE qr_anyone;
RESET client_min_messages;
SET ROLE qr_anyone;
CREATE TEMP TABLE qr_a (x text);
INSERT INTO qr_a VALUES ('hello');
DO $$
DECLARE
  r qr_a;
BEGIN
  FOR i IN 1..2 LOOP
    IF i = 2 THEN
      ALTER TABLE qr_a ALTER COLUMN x TYPE int USING 5;
    END IF;
    SELECT * INTO r FROM qr_a;
    RAISE NOTICE '%', dataeng_internal._quarantine_row(r);
  END LOOP;
END
$$;
-- the other way round
CREATE TEMP TABLE qr_b (x int);
INSERT INTO qr_b VALUES (7);
DO $$
DECLARE
  r qr_b;
BEGIN
  FOR i IN 1..2 LOOP
    IF i = 2 THEN
      ALTER TABLE qr_b ALTER COLUMN x TYPE int[] USING ARRAY[x, x];
    END IF;
    SELECT * INTO r FROM qr_b;
    RAISE NOTICE '%', dataeng_internal._quarantine_row(r);
  END LOOP;
END
$$;
-- a column dropped: not named; one whose lower bounds are not 1 after
-- a change of type: as its text
CREATE TEMP TABLE qr_c (x int, y text, z int);
INSERT INTO qr_c VALUES (1, 'a', 2);
DO $$
DECLARE
  r qr_c;
BEGIN
  FOR i IN 1..3 LOOP
    IF i = 2 THEN
      ALTER TABLE qr_c DROP COLUMN x;
    ELSIF i = 3 THEN
      ALTER TABLE qr_c ALTER COLUMN z TYPE int[] USING '[0:1]={3,4}';
    END IF;
    SELECT * INTO r FROM qr_c;
    RAISE NOTICE '%', dataeng_internal._quarantine_row(r);
  END LOOP;
END
$$;
-- odd rows: anonymous, nested, empty, domains over arrays
CREATE DOMAIN pg_temp.qr_ints AS int[] CHECK (cardinality(VALUE) < 5);
SELECT dataeng_internal._quarantine_row(ROW(1, 'a', ROW(ARRAY['[1]'::json], NULL)));
SELECT dataeng_internal._quarantine_row(ROW());
SELECT dataeng_internal._quarantine_row(ROW('[2:3]={1,2}'::pg_temp.qr_ints));
SELECT length(dataeng_internal._quarantine_row(ROW(array_fill(1, ARRAY[100000])))::text) AS big_array;
-- an array in a column of a row type (or of an array of one): its
-- bounds came back as 1 from the JSON; written as its text, it reads back
-- as it was
CREATE TYPE pg_temp.qr_pair AS (a int[], b text);
CREATE TEMP TABLE qr_d (p pg_temp.qr_pair, ps pg_temp.qr_pair[], q int[]);
INSERT INTO qr_d VALUES (ROW('[0:1]={1,2}', 'x'), ARRAY[ROW('[3:3]={5}', 'y')::pg_temp.qr_pair], '{7,8}');
SELECT dataeng_internal._quarantine_row(t) FROM qr_d t;
SELECT r.p::text, r.ps::text, r.q::text,
       (r.p, r.ps, r.q)::text = (t.p, t.ps, t.q)::text AS same
  FROM qr_d t, jsonb_populate_record(NULL::qr_d, dataeng_internal._quarantine_row(t)) r;
RESET ROLE;
SET client_min_messages = warning;
DROP OWNED BY qr_anyone;
DROP ROLE qr_anyone;
DROP EXTENSION dataeng CASCADE;
