-- A refresh that empties many groups of one bucket, with a nullable
-- dimension (the upsert path): the emptied groups are deleted through a
-- hashable join on their keys (IS NOT DISTINCT FROM joined them on the
-- bucket alone, comparing every pair of the bucket's groups: 20,000
-- groups took minutes), NULL keys included.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
\i sql_tests/lib/fact_diff.sql

CREATE TABLE ne (id int PRIMARY KEY, ts timestamptz NOT NULL, k int, r text);
INSERT INTO ne SELECT g, '2026-01-01', CASE WHEN g % 1000 = 0 THEN NULL ELSE g END,
                      CASE WHEN g % 3 = 0 THEN NULL ELSE 'r' || g % 2 END
  FROM generate_series(1, 20000) g;
SELECT dataeng.fact_create('ne_f', 'ne', 'ts', 'day', ARRAY['k', 'r'], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW ne_truth AS
  SELECT date_trunc('day', ts, 'UTC') AS bucket, k, r, count(*) AS count FROM ne GROUP BY 1, 2, 3;

SET dataeng.fact_refresh_path = 'delta';
-- every group emptied but those of NULL k and of id 1..10
DELETE FROM ne WHERE k IS NOT NULL AND id > 10;
SET statement_timeout = '20s';
SELECT dataeng.fact_refresh('ne_f') AS changes;
RESET statement_timeout;
SELECT count(*) AS groups, fact_diff('ne_f', 'SELECT * FROM ne_truth') AS diff FROM ne_f;
-- the NULL groups emptied too, and one moved onto a NULL key
UPDATE ne SET k = NULL WHERE id = 1;
DELETE FROM ne WHERE k IS NULL AND id <> 1;
SELECT dataeng.fact_refresh('ne_f') AS changes;
SELECT count(*) AS groups, fact_diff('ne_f', 'SELECT * FROM ne_truth') AS diff FROM ne_f;
SELECT k, r, count FROM ne_f ORDER BY k NULLS FIRST, r NULLS FIRST;

SET client_min_messages = warning;
DROP VIEW ne_truth;
DROP FUNCTION fact_diff;
DROP TABLE ne;
DROP EXTENSION dataeng CASCADE;
