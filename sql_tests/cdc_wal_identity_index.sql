-- Capture from the WAL of a table without a primary key that is keyed by
-- its replica identity index: the trigger records that index's columns as
-- pk; capture from the WAL sets REPLICA IDENTITY FULL, which forgets the
-- index, and the table's changes had a NULL pk from the switch on (also
-- after switching back to trigger capture).  Refused, with the way round.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
SET client_min_messages = notice;

CREATE TABLE wi_t (a int NOT NULL, b text);
CREATE UNIQUE INDEX wi_t_a ON wi_t (a);
ALTER TABLE wi_t REPLICA IDENTITY USING INDEX wi_t_a;
SELECT dataeng.cdc_enable('wi_t');
INSERT INTO wi_t VALUES (1, 'x');
SELECT dataeng.cdc_enable('wi_t', method => 'wal');
-- nothing changed: still captured by the trigger, keyed by the index
SELECT method, active_method FROM dataeng.cdc_tables WHERE table_name = 'wi_t'::regclass;
SELECT relreplident FROM pg_class WHERE oid = 'wi_t'::regclass;
UPDATE wi_t SET b = 'y';
SELECT op, pk FROM dataeng.changes ORDER BY change_id;

-- the index as primary key: captured from the WAL, with the same pk
ALTER TABLE wi_t ADD PRIMARY KEY USING INDEX wi_t_a;
SELECT dataeng.cdc_enable('wi_t', method => 'wal');
SELECT dataeng.cdc_wal_sync();
UPDATE wi_t SET b = 'z';
SELECT dataeng.cdc_wal_sync();
SELECT op, pk, new_row FROM dataeng.changes ORDER BY change_id;

-- a table with neither a key nor an identity index is captured as before
CREATE TABLE wi_nokey (a int, b text);
SELECT dataeng.cdc_enable('wi_nokey', method => 'wal');
SELECT dataeng.cdc_disable('wi_t'), dataeng.cdc_disable('wi_nokey');
SELECT dataeng.cdc_wal_sync();

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
