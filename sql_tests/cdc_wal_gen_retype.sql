-- A stored generated column made a plain one (ALTER COLUMN ... DROP
-- EXPRESSION) in the transaction that wrote a change, after its type
-- changed there too, or not: each table captured from the WAL has a twin
-- captured by trigger.  The ALTERs warn at once (the transaction changed
-- rows of the table before them).  A change written before them holds the
-- value the writer stored (the WAL has it), and is recorded with it as the
-- trigger recorded it; one whose column is of another type now cannot be
-- (its value is not parsed with a type it was not written in): the table
-- stops, capture_error saying why.  Before, both were recorded with the
-- column NULL, silently (the column, now plain and the table's last one,
-- read as one added since).  A column only retyped is computed again.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE gr_keep (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('gr_keep', method => 'wal');
DO $$
DECLARE
  t text;
  m text;
BEGIN
  FOREACH t IN ARRAY ARRAY['gr_plain', 'gr_retyped', 'gr_both'] LOOP
    FOREACH m IN ARRAY ARRAY['trigger', 'wal'] LOOP
      EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, v int,'
                     ' g int GENERATED ALWAYS AS (v * 2) STORED)', t || '_' || m);
      PERFORM dataeng.cdc_enable((t || '_' || m)::regclass, method => m);
    END LOOP;
  END LOOP;
END $$;
SELECT dataeng.cdc_wal_sync();
SET client_min_messages = error;
BEGIN;
INSERT INTO gr_plain_trigger VALUES (1, 10);
INSERT INTO gr_plain_wal VALUES (1, 10);
ALTER TABLE gr_plain_trigger ALTER COLUMN g DROP EXPRESSION;
ALTER TABLE gr_plain_wal ALTER COLUMN g DROP EXPRESSION;
COMMIT;
BEGIN;
INSERT INTO gr_retyped_trigger VALUES (1, 10);
INSERT INTO gr_retyped_wal VALUES (1, 10);
ALTER TABLE gr_retyped_trigger ALTER COLUMN g TYPE bigint;
ALTER TABLE gr_retyped_wal ALTER COLUMN g TYPE bigint;
COMMIT;
BEGIN;
INSERT INTO gr_both_trigger VALUES (1, 10);
INSERT INTO gr_both_wal VALUES (1, 10);
ALTER TABLE gr_both_trigger ALTER COLUMN g TYPE bigint;
ALTER TABLE gr_both_wal ALTER COLUMN g TYPE bigint;
ALTER TABLE gr_both_trigger ALTER COLUMN g DROP EXPRESSION;
ALTER TABLE gr_both_wal ALTER COLUMN g DROP EXPRESSION;
COMMIT;
INSERT INTO gr_keep VALUES (1);
SET client_min_messages = warning;
SELECT dataeng.cdc_wal_sync();
SELECT table_name,
       regexp_replace(capture_error, 'commit [0-9A-F]+/[0-9A-F]+', 'commit X/X') AS capture_error
  FROM dataeng.cdc_status
 WHERE table_name::text LIKE 'gr\_%' ORDER BY table_name::text;
SELECT table_name, op, pk, new_row FROM dataeng.changes
 WHERE table_name::text LIKE 'gr\_%' ORDER BY table_name::text, change_id;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
