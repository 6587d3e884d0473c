-- float8 negative zero through the change log: jsonb numbers have no -0,
-- so the log holds 0 (docs/cdc.md, Limits).  What a user sees: a replica
-- or a dimension fed from the log holds 0 where the table holds -0; a
-- fact's float measures (min, max, sum, avg) equal the GROUP BY of the
-- table, -0 included (avg of -0 values is 0, as avg() gives it).
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset null '(null)'

CREATE TABLE nz (id int PRIMARY KEY, ts timestamptz NOT NULL, g int, x float8);
INSERT INTO nz VALUES (1, '2026-03-01', 1, 1), (2, '2026-03-01', 2, 5);
SELECT dataeng.fact_create('nz_f', 'nz', 'ts', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'min(x)', 'max(x)', 'sum(x)', 'avg(x)'], schedule => NULL);
SELECT dataeng.dimension_create('nz_d', 'nz', 'id', ARRAY['x'], 2, NULL);
SELECT dataeng.cdc_consumer_create('nz_c', ARRAY['nz'::regclass]);
-- group 1: only -0 left; group 2: -0 beside other values; group 3: new
INSERT INTO nz VALUES (3, '2026-03-01', 1, '-0'), (4, '2026-03-01', 2, '-0'), (5, '2026-03-01', 3, '-0');
DELETE FROM nz WHERE id = 1;
SELECT dataeng.fact_refresh('nz_f') AS fact, dataeng.dimension_refresh('nz_d') AS dim;
-- the fact, as text (-0 and 0 differ), against the GROUP BY
SELECT g, min_x::text, max_x::text, sum_x::text, avg_x::text FROM nz_f ORDER BY g;
SELECT g, min(x)::text, max(x)::text, sum(x)::text, avg(x)::text FROM nz GROUP BY g ORDER BY g;
-- the log and the dimension hold 0 (the documented limit)
SELECT (new_row->>'id')::int AS id, new_row->>'x' AS logged FROM dataeng.cdc_poll('nz_c', 10) WHERE op = 'I' ORDER BY 1;
SELECT id, x::text AS in_table, (SELECT d.x::text FROM nz_d d WHERE d.id = n.id AND d.is_current) AS in_dimension
  FROM nz n ORDER BY id;

SELECT dataeng.fact_drop('nz_f'), dataeng.dimension_drop('nz_d'), dataeng.cdc_consumer_drop('nz_c');
DROP TABLE nz;
DROP EXTENSION dataeng CASCADE;
