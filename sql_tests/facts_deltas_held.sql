-- A fold's group deltas held in memory for the C apply of the same refresh
-- (src/aggregate/held.c): the refresh's table of deltas then holds only
-- the total row, and the groups are written to it whenever a statement of
-- the refresh reads them there: the MERGE when the C apply leaves them to
-- it, the recompute of a min/max whose reserve ran out, a numeric sum
-- whose NaN came or went, a fold in parts.  Each refresh compared with the
-- GROUP BY, row for row; and the cases where nothing is held.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

\i sql_tests/lib/fact_diff.sql

CREATE TABLE hd (id int PRIMARY KEY, ts timestamptz NOT NULL, g int NOT NULL, a int, b numeric);
INSERT INTO hd SELECT i, timestamptz '2025-01-01' + (i % 5) * interval '1 day', i % 4, i, i / 10.0
  FROM generate_series(1, 400) i;
SELECT dataeng.fact_create('hd_f', 'hd', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(a)', 'sum(b)', 'min(a)', 'max(a)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW hd_truth AS
  SELECT date_trunc('day', ts) AS bucket, g, count(*) AS count, sum(a) AS sum_a, sum(b) AS sum_b,
         min(a) AS min_a, max(a) AS max_a
    FROM hd GROUP BY 1, 2;
-- the rows of the refresh's table of deltas (read in the refresh's
-- transaction: the table is emptied by the next refresh), the fact against
-- its GROUP BY, the path and what the C apply did
CREATE FUNCTION hd_refresh(fact text, truth text)
RETURNS TABLE (changes bigint, raw_rows bigint, diff bigint, path text, apply text)
LANGUAGE plpgsql AS $$
BEGIN
  changes := dataeng.fact_refresh(fact);
  raw_rows := (SELECT count(*) FROM pg_temp._dataeng_delta_raw);
  diff := fact_diff(fact::regclass, 'SELECT * FROM ' || truth);
  SELECT f.last_refresh_path, dataeng_internal._fact_apply_last() INTO path, apply
    FROM dataeng.facts f WHERE f.name = fact;
  RETURN NEXT;
END $$;

-- updates, deletes and inserts spread over the groups: held, applied in C
-- from memory, the table of deltas left with the total row alone
UPDATE hd SET a = a + 1, b = b * 2 WHERE id % 7 = 0;
DELETE FROM hd WHERE id % 11 = 0;
INSERT INTO hd SELECT i, timestamptz '2025-01-01' + (i % 6) * interval '1 day', i % 4, i, i / 10.0
  FROM generate_series(401, 440) i;
SELECT * FROM hd_refresh('hd_f', 'hd_truth');

-- a group emptied and a new one, held too
DELETE FROM hd WHERE g = 3 AND ts = '2025-01-02';
INSERT INTO hd VALUES (1000, '2025-01-20', 9, 5, 1.5);
SELECT * FROM hd_refresh('hd_f', 'hd_truth');

-- the reserve of a min ran out (the 20 least values of a group deleted):
-- the groups are written to the table for the recompute, which reads them
DELETE FROM hd WHERE id IN (SELECT id FROM hd WHERE g = 1 AND ts = '2025-01-02' ORDER BY a LIMIT 20);
SELECT * FROM hd_refresh('hd_f', 'hd_truth');

-- a numeric NaN came: written to the table before the apply, the group
-- recomputed after it; and went again
INSERT INTO hd VALUES (1001, '2025-01-03', 2, 7, 'NaN');
SELECT * FROM hd_refresh('hd_f', 'hd_truth');
DELETE FROM hd WHERE id = 1001;
SELECT * FROM hd_refresh('hd_f', 'hd_truth');

-- the fold in parts (groups beyond work_mem): written to the table and
-- added up there, as before
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
INSERT INTO hd SELECT i, timestamptz '2025-01-01' + (i % 300) * interval '1 day', i % 40, i, i / 10.0
  FROM generate_series(2001, 6000) i;
SELECT changes, raw_rows > 1 AS written, diff, path, apply FROM hd_refresh('hd_f', 'hd_truth');
RESET work_mem;
RESET hash_mem_multiplier;

-- the C apply leaves the deltas to the MERGE (a trigger on the fact's
-- table): written to the table before the MERGE reads them
CREATE FUNCTION hd_noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER hd_noop BEFORE UPDATE ON hd_f_data FOR EACH ROW EXECUTE FUNCTION hd_noop();
UPDATE hd SET a = a * 3 WHERE id % 13 = 0;
SELECT changes, raw_rows > 1 AS written, diff, path, apply FROM hd_refresh('hd_f', 'hd_truth');
DROP TRIGGER hd_noop ON hd_f_data;

-- held, then the subtransaction rolled back: nothing held after it (the
-- refresh's own work undone with it), the next refresh applies it all
UPDATE hd SET a = a - 1 WHERE id % 17 = 0;
BEGIN;
SAVEPOINT s;
SELECT changes, raw_rows FROM hd_refresh('hd_f', 'hd_truth');
ROLLBACK TO SAVEPOINT s;
SELECT dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass) AS written_after_rollback;
COMMIT;
SELECT * FROM hd_refresh('hd_f', 'hd_truth');
-- written once, then held no more
UPDATE hd SET a = a + 2 WHERE id % 19 = 0;
BEGIN;
SELECT changes, raw_rows FROM hd_refresh('hd_f', 'hd_truth');
SELECT dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass) > 0 AS written;
SELECT count(*) > 1 AS raw_rows_written FROM pg_temp._dataeng_delta_raw;
SELECT dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass) AS written_again;
COMMIT;
SELECT fact_diff('hd_f', 'SELECT * FROM hd_truth') AS diff;

-- nothing is held for a table that is not a plain temporary table of the
-- current user, nor for a query of another shape than the refresh's
CREATE TABLE hd_perm (is_total boolean);
CREATE TEMP TABLE hd_tmp (is_total boolean);
CREATE TEMP TABLE hd_tmp_ix (is_total boolean PRIMARY KEY);
SELECT dataeng_internal._fact_deltas_hold('hd_perm', 'SELECT is_total FROM (SELECT c.is_total FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(is_total boolean)) x') AS permanent,
       dataeng_internal._fact_deltas_hold('hd_tmp_ix', 'SELECT is_total FROM (SELECT c.is_total FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(is_total boolean)) x') AS indexed,
       dataeng_internal._fact_deltas_hold('hd_tmp', 'SELECT NOT is_total FROM (SELECT c.is_total FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(is_total boolean)) x') AS expression,
       dataeng_internal._fact_deltas_hold('hd_tmp', 'SELECT is_total FROM (SELECT c.is_total FROM generate_series(1, 2) AS c(is_total)) x') AS other_function,
       dataeng_internal._fact_deltas_hold('hd_tmp', 'SELECT is_total FROM (SELECT c.is_total FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(is_total boolean)) x') AS plain;
-- a table of another role
CREATE ROLE regress_hd_other;
GRANT ALL ON hd_tmp TO regress_hd_other;
SET ROLE regress_hd_other;
SELECT dataeng_internal._fact_deltas_hold('hd_tmp', 'SELECT is_total FROM (SELECT c.is_total FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(is_total boolean)) x') AS not_owner;
RESET ROLE;
DROP TABLE hd_perm, hd_tmp, hd_tmp_ix;

SELECT dataeng.fact_drop('hd_f');
DROP VIEW hd_truth;
DROP TABLE hd;
DROP FUNCTION hd_refresh(text, text), hd_noop(), fact_diff(regclass, text);
DROP ROLE regress_hd_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
