-- Stored generated columns whose expression reads a setting of the
-- writer's session (an output function: bytea_output, extra_float_digits,
-- IntervalStyle): the value stored is the
-- one the writer's statement computed.  Capture from the WAL records what
-- the trigger records for the same rows (the stored value, in the key, the
-- old and the new row), not the expression computed again by the worker
-- under its own settings.  Generated columns of those types are rendered
-- under the same settings in both.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
-- (interval_out is stable: an expression reads it through a function its
-- owner declared immutable)
CREATE FUNCTION gs_itext(interval) RETURNS text LANGUAGE sql IMMUTABLE
  AS 'SELECT $1::pg_catalog.text';
CREATE TABLE gs_trg (id int,
                     b bytea, f float8, i interval,
                     bt text GENERATED ALWAYS AS (b::text) STORED,
                     ft text GENERATED ALWAYS AS (f::text) STORED,
                     it text GENERATED ALWAYS AS (gs_itext(i)) STORED,
                     gb bytea GENERATED ALWAYS AS (b || '\x01'::bytea) STORED,
                     gf float8 GENERATED ALWAYS AS (f * 3) STORED,
                     gi interval GENERATED ALWAYS AS (i * 2) STORED,
                     k text GENERATED ALWAYS AS (id::text || ':' || f::text) STORED,
                     PRIMARY KEY (k));
CREATE TABLE gs_wal (LIKE gs_trg INCLUDING ALL);
-- a partitioned table, with a partition whose columns are in another order
CREATE TABLE gs_ptrg (id int, f float8,
                      ft text GENERATED ALWAYS AS (f::text) STORED) PARTITION BY LIST (id);
CREATE TABLE gs_ptrg_1 PARTITION OF gs_ptrg FOR VALUES IN (1);
CREATE TABLE gs_pwal (LIKE gs_ptrg INCLUDING ALL) PARTITION BY LIST (id);
CREATE TABLE gs_pwal_1 (f float8, ft text GENERATED ALWAYS AS (f::text) STORED, id int);
ALTER TABLE gs_pwal ATTACH PARTITION gs_pwal_1 FOR VALUES IN (1);
SELECT dataeng.cdc_enable('gs_trg');
SELECT dataeng.cdc_enable('gs_wal', method => 'wal');
SELECT dataeng.cdc_enable('gs_ptrg');
SELECT dataeng.cdc_enable('gs_pwal', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SET bytea_output = escape;
SET extra_float_digits = -2;
SET IntervalStyle = sql_standard;
INSERT INTO gs_trg (id, b, f, i) VALUES (1, '\x41ff00', 0.1 + 0.2, '1 day -02:03:04');
INSERT INTO gs_wal (id, b, f, i) VALUES (1, '\x41ff00', 0.1 + 0.2, '1 day -02:03:04');
INSERT INTO gs_ptrg VALUES (1, 1.0 / 3);
INSERT INTO gs_pwal VALUES (1, 1.0 / 3);
UPDATE gs_ptrg SET f = 2.0 / 3;
UPDATE gs_pwal SET f = 2.0 / 3;
UPDATE gs_trg SET f = 1.0 / 3;
UPDATE gs_wal SET f = 1.0 / 3;
DELETE FROM gs_trg;
DELETE FROM gs_wal;
RESET bytea_output;
RESET extra_float_digits;
RESET IntervalStyle;
SELECT dataeng.cdc_wal_sync();
SELECT table_name, capture_error FROM dataeng.cdc_status
 WHERE table_name IN ('gs_wal'::regclass, 'gs_pwal'::regclass) ORDER BY 1;
SELECT op, pk, old_row - ARRAY['b', 'f', 'i'] AS old_row,
       new_row - ARRAY['b', 'f', 'i'] AS new_row
  FROM dataeng.changes WHERE table_name = 'gs_trg'::regclass ORDER BY change_id;
-- the same as the trigger's
SELECT count(*) AS records,
       count(*) FILTER (WHERE w.op = t.op AND w.pk IS NOT DISTINCT FROM t.pk
                          AND w.old_row IS NOT DISTINCT FROM t.old_row
                          AND w.new_row IS NOT DISTINCT FROM t.new_row) AS same
  FROM (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
         WHERE table_name = 'gs_wal'::regclass) w
  FULL JOIN (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
              WHERE table_name = 'gs_trg'::regclass) t USING (n);
SELECT w.op, w.pk, w.old_row - ARRAY['b', 'f', 'i'] AS old_row,
       w.new_row - ARRAY['b', 'f', 'i'] AS new_row
  FROM (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
         WHERE table_name = 'gs_wal'::regclass) w
  JOIN (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
         WHERE table_name = 'gs_trg'::regclass) t USING (n)
 WHERE w.pk IS DISTINCT FROM t.pk OR w.old_row IS DISTINCT FROM t.old_row
       OR w.new_row IS DISTINCT FROM t.new_row
 ORDER BY n;
SELECT w.op, w.old_row, w.new_row,
       w.old_row IS NOT DISTINCT FROM t.old_row AND w.new_row IS NOT DISTINCT FROM t.new_row AS same
  FROM (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
         WHERE table_name = 'gs_pwal'::regclass) w
  FULL JOIN (SELECT *, row_number() OVER (ORDER BY change_id) n FROM dataeng.changes
              WHERE table_name = 'gs_ptrg'::regclass) t USING (n)
 ORDER BY n;

SET client_min_messages = warning;
DROP TABLE gs_trg, gs_wal, gs_ptrg, gs_pwal;
DROP FUNCTION gs_itext(interval);
DROP EXTENSION dataeng CASCADE;
