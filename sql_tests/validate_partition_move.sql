-- validate(quarantine => true) on a partitioned table deletes each
-- partition's failing rows from that partition alone (docs/validate.md,
-- validate()), where moving them through the partitioned table scanned
-- every partition's TIDs for every batch.  The rows moved are those of a
-- plain twin; a partition without failing rows is not written (seen in
-- pg_locks: before, every partition was locked ROW EXCLUSIVE); row
-- triggers and foreign keys referencing the table act as before; with
-- row-level security on the table, or a partition the owner may not delete
-- from, the move goes through the table as before.
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

CREATE ROLE vpm_owner;
CREATE ROLE vpm_other;
GRANT CREATE ON SCHEMA public TO vpm_owner;
SET ROLE vpm_owner;
CREATE TABLE vpm_plain (id int PRIMARY KEY, code text);
CREATE TABLE vpm (id int PRIMARY KEY, code text) PARTITION BY HASH (id);
DO $$
BEGIN
  FOR i IN 0..63 LOOP
    EXECUTE format('CREATE TABLE vpm_%s PARTITION OF vpm FOR VALUES WITH (MODULUS 64, REMAINDER %s)', i, i);
  END LOOP;
END $$;
-- failing rows in a few partitions only: ids 1..40, every third fails
INSERT INTO vpm_plain SELECT i, CASE WHEN i % 3 = 0 THEN 'bad' ELSE 'A1' END FROM generate_series(1, 3000) i;
INSERT INTO vpm SELECT * FROM vpm_plain;
UPDATE vpm_plain SET code = 'A1' WHERE id > 40;
UPDATE vpm SET code = 'A1' WHERE id > 40;
-- a row trigger (cloned onto the partitions) and a foreign key with ON DELETE CASCADE
CREATE TABLE vpm_log (id int);
CREATE FUNCTION vpm_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.vpm_log VALUES (OLD.id); RETURN OLD; END $$;
CREATE TRIGGER vpm_log AFTER DELETE ON vpm FOR EACH ROW EXECUTE FUNCTION vpm_log();
CREATE TABLE vpm_ref (id int REFERENCES vpm ON DELETE CASCADE);
INSERT INTO vpm_ref SELECT i FROM generate_series(1, 45) i;
RESET ROLE;
SELECT dataeng.rule_add('vpm_plain', 'code', 'regex', 'code', '{"pattern": "^[A-Z][0-9]$"}') > 0 AS added;
SELECT dataeng.rule_add('vpm', 'code', 'regex', 'code', '{"pattern": "^[A-Z][0-9]$"}') > 0 AS added;
SELECT rule_name, checked, failed FROM dataeng.validate('vpm_plain', quarantine => true);
SELECT count(DISTINCT tableoid) AS nparts FROM vpm WHERE code = 'bad' \gset
BEGIN;
SELECT rule_name, checked, failed FROM dataeng.validate('vpm', quarantine => true);
-- the partitions written: those holding failing rows only
SELECT count(DISTINCT relation) = :nparts AS few,
       count(*) < 64 AS not_all
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND l.mode = 'RowExclusiveLock' AND c.relname ~ '^vpm_[0-9]+$';
COMMIT;
-- the same rows as the plain twin's
SELECT (SELECT array_agg(row_data ORDER BY row_data->>'id') FROM dataeng.quarantine WHERE table_name = 'vpm'::regclass)
     = (SELECT array_agg(row_data ORDER BY row_data->>'id') FROM dataeng.quarantine WHERE table_name = 'vpm_plain'::regclass)
       AS same_rows,
       (SELECT count(*) FROM dataeng.quarantine WHERE table_name = 'vpm'::regclass) AS moved;
SELECT count(*) AS left_in_table, count(*) FILTER (WHERE code = 'bad') AS bad FROM vpm;
SELECT array_agg(id ORDER BY id) AS trigger_saw FROM vpm_log;
SELECT array_agg(id ORDER BY id) AS references_left FROM vpm_ref WHERE id <= 40;

-- row-level security on the table: through the table, every partition
INSERT INTO vpm VALUES (3, 'bad'), (6, 'bad');
ALTER TABLE vpm ENABLE ROW LEVEL SECURITY;
BEGIN;
SELECT rule_name, checked, failed FROM dataeng.validate('vpm', quarantine => true);
SELECT count(DISTINCT relation) AS partitions_written
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND l.mode = 'RowExclusiveLock' AND c.relname ~ '^vpm_[0-9]+$';
COMMIT;
ALTER TABLE vpm DISABLE ROW LEVEL SECURITY;
SELECT count(*) FILTER (WHERE code = 'bad') AS bad FROM vpm;

-- a partition of another owner, whose DELETE the table's owner lacks:
-- that partition's rows go through the table
INSERT INTO vpm VALUES (3, 'bad'), (6, 'bad');
SELECT (SELECT tableoid::regclass FROM vpm WHERE id = 3) AS p3 \gset
ALTER TABLE :p3 OWNER TO vpm_other;
BEGIN;
SELECT rule_name, checked, failed FROM dataeng.validate('vpm', quarantine => true);
SELECT count(DISTINCT relation) AS partitions_written
  FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
 WHERE l.pid = pg_backend_pid() AND l.mode = 'RowExclusiveLock' AND c.relname ~ '^vpm_[0-9]+$';
COMMIT;
SELECT count(*) FILTER (WHERE code = 'bad') AS bad FROM vpm;
SELECT count(*) AS moved FROM dataeng.quarantine WHERE table_name = 'vpm'::regclass;

DROP TABLE vpm_ref, vpm, vpm_plain, vpm_log;
DROP FUNCTION vpm_log();
REVOKE CREATE ON SCHEMA public FROM vpm_owner;
DROP ROLE vpm_other, vpm_owner;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
