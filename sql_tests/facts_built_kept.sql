-- What a refresh builds from a fact's definition (its statements' texts,
-- the lists it passes to the fold and the apply) is kept for the session
-- (dataeng_internal._fact_built, src/aggregate/built.c) and built again
-- when what it was built from changes.  Each step shows whether a build
-- is kept (kept: t) and refreshes in the same session: the fact must
-- equal its GROUP BY, row for row (diff 0).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET TimeZone = 'UTC';
\i sql_tests/lib/fact_diff.sql

CREATE TABLE bk_src (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL, t text COLLATE "C",
                     v numeric(10,2));
INSERT INTO bk_src SELECT i, timestamptz '2026-01-01' + (i % 2) * interval '1 day', i % 3, 't' || lpad(i::text, 3, '0'),
                          i / 4.0
  FROM generate_series(1, 60) i;
SELECT dataeng.fact_create('bk_fact', 'bk_src', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'min(t)', 'max(t)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW bk_truth AS
  SELECT date_trunc('day', at) AS bucket, g, count(*) AS count, min(t) AS min_t, max(t) AS max_t, sum(v) AS sum_v
    FROM bk_src GROUP BY 1, 2;
-- (the key _fact_refresh keeps a build under: the definition's fields)
SELECT ROW(d.name, d.fact_table::oid, d.owner::oid, d.source::oid, d.storage_table::oid, d.time_column,
           d.grain, d.time_zone, d.dimensions, d.measures, d.spec)::text AS bkkey
  FROM dataeng_internal.fact_defs d WHERE d.name = 'bk_fact' \gset

-- kept from one refresh of the session to the next (the first refresh of
-- a session also makes the session's table of folded changes, whose new
-- row type drops what it kept: the second keeps it)
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
UPDATE bk_src SET t = 'a' WHERE id = 3;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;
DELETE FROM bk_src WHERE id = 4;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
UPDATE bk_src SET v = v + 1 WHERE id = 5;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;

-- the source altered: dropped, built again by the next refresh
ALTER TABLE bk_src ADD COLUMN extra int;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
UPDATE bk_src SET t = 'zz' WHERE id = 6;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;

-- the fact's table altered: likewise
SELECT storage_table::text AS storage FROM dataeng_internal.fact_defs WHERE name = 'bk_fact' \gset
ALTER TABLE :storage SET (fillfactor = 80);
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
DELETE FROM bk_src WHERE id = 7;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;

-- built in a transaction that changed a type and rolled back: not kept
-- after it (it may name what the rollback took away); the change it
-- applied is applied again by the next refresh
UPDATE bk_src SET t = 'b' WHERE id = 8;
BEGIN;
CREATE TYPE bk_gone AS (x int);
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
ROLLBACK;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;

-- a definition changed: another key, so what was kept is not found
UPDATE dataeng_internal.fact_defs SET time_zone = 'UTC ' WHERE name = 'bk_fact';
SELECT (dataeng_internal._fact_built(ROW(d.name, d.fact_table::oid, d.owner::oid, d.source::oid, d.storage_table::oid,
                                        d.time_column, d.grain, d.time_zone, d.dimensions, d.measures,
                                         d.spec)::text)).delta IS NOT NULL AS kept_for_new_definition
  FROM dataeng_internal.fact_defs d WHERE d.name = 'bk_fact';
UPDATE dataeng_internal.fact_defs SET time_zone = 'UTC' WHERE name = 'bk_fact';

-- kept for the role that built it only: another role finds nothing (a
-- role made drops every build: the build reads the owner's rights)
CREATE ROLE bk_other;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;
UPDATE bk_src SET t = 'd' WHERE id = 9;
SELECT dataeng.fact_refresh('bk_fact') AS changes, fact_diff('bk_fact', 'SELECT * FROM bk_truth') AS diff;
SET ROLE bk_other;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept_for_bk_other;
RESET ROLE;
SELECT (dataeng_internal._fact_built(:'bkkey')).delta IS NOT NULL AS kept;

SELECT dataeng.fact_drop('bk_fact');
DROP VIEW bk_truth;
DROP TABLE bk_src;
DROP FUNCTION fact_diff(regclass, text);
DROP ROLE bk_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
