-- The sign of a float sum of 0 and -0 in a fact: the same as the GROUP
-- BY's, compared as text (float equality takes -0 = 0, so fact_diff()
-- would not see it).  A float sum is recomputed for the groups a refresh
-- touches from the table's rows (docs/facts.md, "Float sums"), never kept
-- with the change log's values (where -0 is 0): through the delta path
-- (the touched groups recomputed), the buckets path, new groups, groups
-- whose other rows went, and avg beside it.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';

CREATE TABLE fss (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL, v float8, r float4);
INSERT INTO fss VALUES (1, '2026-01-01', 1, '-0', '-0'), (2, '2026-01-01', 2, 5, 5),
                       (3, '2026-01-01', 3, '-0', '-0'), (4, '2026-01-01', 3, 0, 0);
SELECT dataeng.fact_create('fss_f', 'fss', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'sum(v)', 'avg(v)', 'sum(r)'], schedule => NULL) IS NOT NULL AS created;
-- rows of the fact whose sums differ from the GROUP BY's as text
CREATE VIEW fss_differ AS
  SELECT coalesce(f.g, t.g) AS g, f.sum_v::text AS fact_v, t.sum_v::text AS truth_v,
         f.sum_r::text AS fact_r, t.sum_r::text AS truth_r
    FROM fss_f f
    FULL JOIN (SELECT date_trunc('day', at) AS bucket, g, sum(v) AS sum_v, avg(v) AS avg_v, sum(r) AS sum_r
                 FROM fss GROUP BY 1, 2) t ON t.bucket = f.bucket AND t.g = f.g
   WHERE f.sum_v::text IS DISTINCT FROM t.sum_v::text OR f.avg_v::text IS DISTINCT FROM t.avg_v::text
      OR f.sum_r::text IS DISTINCT FROM t.sum_r::text OR f.g IS NULL OR t.g IS NULL;
SELECT * FROM fss_differ;
SELECT g, sum_v::text, sum_r::text FROM fss_f ORDER BY g;

-- the delta path: a value becoming -0 (group 2: -0 alone), a 0 deleted
-- (group 3: -0 alone), a new group of -0
SET dataeng.fact_refresh_path = 'delta';
UPDATE fss SET v = '-0', r = '-0' WHERE id = 2;
DELETE FROM fss WHERE id = 4;
INSERT INTO fss VALUES (5, '2026-01-02', 1, '-0', '-0');
SELECT dataeng.fact_refresh('fss_f');
SELECT last_refresh_path FROM dataeng.facts WHERE name = 'fss_f';
SELECT * FROM fss_differ;
SELECT g, sum_v::text, sum_r::text FROM fss_f ORDER BY g, bucket;

-- a 0 beside the -0 again (0), then gone again (-0), by the buckets path
SET dataeng.fact_refresh_path = 'buckets';
INSERT INTO fss VALUES (6, '2026-01-01', 2, 0, 0);
SELECT dataeng.fact_refresh('fss_f');
SELECT * FROM fss_differ;
DELETE FROM fss WHERE id = 6;
SELECT dataeng.fact_refresh('fss_f');
SELECT last_refresh_path FROM dataeng.facts WHERE name = 'fss_f';
SELECT * FROM fss_differ;
SELECT g, sum_v::text, sum_r::text FROM fss_f ORDER BY g, bucket;
RESET dataeng.fact_refresh_path;

DROP VIEW fss_differ;
SELECT dataeng.fact_drop('fss_f');
DROP TABLE fss;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
