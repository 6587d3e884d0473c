-- A MERGE moving rows between partitions of a fact's source captured by
-- triggers (docs/cdc.md and docs/facts.md, Limits): PostgreSQL 15 puts a
-- moved row's old image in the DELETE transition table and its new one in
-- the INSERT one, and fires those statement triggers only for a MERGE that
-- has such actions.  With UPDATE and DELETE actions only, the move is
-- recorded as a delete: the fact counts the row as gone until
-- fact_rebuild.  With UPDATE, DELETE and INSERT actions it is a delete and
-- an insert, and the fact equals its GROUP BY.  A plain UPDATE moving rows
-- is recorded right.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE TABLE mpm (id int, ts timestamptz NOT NULL, g int NOT NULL, v int, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts);
CREATE TABLE mpm1 PARTITION OF mpm FOR VALUES FROM ('2026-01-01') TO ('2026-01-03');
CREATE TABLE mpm2 PARTITION OF mpm FOR VALUES FROM ('2026-01-03') TO ('2026-01-06');
INSERT INTO mpm VALUES (1, '2026-01-01 10:00', 1, 10), (2, '2026-01-01 11:00', 1, 20), (3, '2026-01-02 10:00', 1, 30),
                       (4, '2026-01-02 11:00', 1, 40);
SELECT dataeng.fact_create('mpm_f', 'mpm', 'ts', 'day', ARRAY['g'], ARRAY['count(*)', 'sum(v)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW mpm_diff AS
  SELECT count(*) AS diff FROM (
    (SELECT bucket, g, count, sum_v FROM mpm_f
     EXCEPT ALL SELECT date_trunc('day', ts, 'UTC'), g, count(*), sum(v) FROM mpm GROUP BY 1, 2)
    UNION ALL
    (SELECT date_trunc('day', ts, 'UTC'), g, count(*), sum(v) FROM mpm GROUP BY 1, 2
     EXCEPT ALL SELECT bucket, g, count, sum_v FROM mpm_f)) x;

-- a plain UPDATE moving a row: an update, applied
UPDATE mpm SET ts = ts + interval '3 days' WHERE id = 4;
SELECT op, pk->>'id' AS id, new_row->>'ts' AS new_ts FROM dataeng.changes
 WHERE table_name = 'mpm'::regclass ORDER BY change_id;
SELECT dataeng.fact_refresh('mpm_f') AS applied;
SELECT diff FROM mpm_diff;

-- MERGE with UPDATE and DELETE actions: the moved row 2 recorded as deleted
MERGE INTO mpm USING (VALUES (1), (2)) s(i) ON mpm.id = s.i
  WHEN MATCHED AND s.i = 2 THEN UPDATE SET ts = ts + interval '3 days'
  WHEN MATCHED THEN DELETE;
SELECT op, pk->>'id' AS id, new_row->>'ts' AS new_ts FROM dataeng.changes
 WHERE table_name = 'mpm'::regclass AND change_id > 1 ORDER BY change_id;
SELECT dataeng.fact_refresh('mpm_f') AS applied;
SELECT diff FROM mpm_diff;
SELECT dataeng.fact_rebuild('mpm_f') IS NOT NULL AS rebuilt;
SELECT diff FROM mpm_diff;

-- MERGE with UPDATE, DELETE and INSERT actions: a delete and an insert
MERGE INTO mpm USING (VALUES (2), (3), (9)) s(i) ON mpm.id = s.i
  WHEN MATCHED AND s.i = 2 THEN UPDATE SET ts = ts - interval '3 days'
  WHEN MATCHED THEN DELETE
  WHEN NOT MATCHED THEN INSERT VALUES (s.i, '2026-01-04 09:00', 2, 90);
SELECT op, pk->>'id' AS id, new_row->>'ts' AS new_ts FROM dataeng.changes
 WHERE table_name = 'mpm'::regclass AND change_id > 3 ORDER BY change_id;
SELECT dataeng.fact_refresh('mpm_f') AS applied;
SELECT diff FROM mpm_diff;

DROP VIEW mpm_diff;
SELECT dataeng.fact_drop('mpm_f');
DROP TABLE mpm;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
