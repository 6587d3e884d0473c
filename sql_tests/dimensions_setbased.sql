-- Dimensions, set-based refresh: a refresh applies the net effect of its
-- changes per key in a few statements, looking the keys up in the
-- dimension's index (never scanning it), and writes nothing for a key
-- whose tracked attributes did not change.  Edges: several changes of one
-- key in one refresh, delete then re-insert, updates of untracked columns
-- only, NULLs in tracked columns, a text key, a rolled-back refresh, and
-- the events reader's checks.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse
\pset null '(null)'

CREATE TABLE acct (code text PRIMARY KEY, owner text, region text, note text);
INSERT INTO acct SELECT 'A' || lpad(g::text, 4, '0'), 'o' || g % 5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'r' || g % 4 END, 'n'
  FROM generate_series(1, 2000) g;
SELECT dataeng.dimension_create('acct_1', 'acct', 'code', '{owner,region}', 1, schedule => NULL);
SELECT dataeng.dimension_create('acct_2', 'acct', 'code', '{owner,region}', 2, schedule => NULL);
-- a version's place in its key's history
CREATE VIEW acct_hist AS
  SELECT code, owner, region, is_current, row_number() OVER (PARTITION BY code ORDER BY acct_2_sk) AS version
    FROM acct_2;

-- (whether a row of a dimension was written or locked since it was
-- loaded: xmax is set by an update or a lock)
CREATE FUNCTION touched(t regclass, key text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE r boolean;
BEGIN
  EXECUTE format('SELECT bool_or(xmax <> ''0'') FROM %s WHERE code = $1', t) INTO r USING key;
  RETURN r;
END $$;

-------------------------------------------------------------------------------
-- Updates of untracked columns only write nothing
-------------------------------------------------------------------------------
UPDATE acct SET note = 'untracked' WHERE code IN ('A0001', 'A0002');
UPDATE acct SET owner = owner, region = region WHERE code = 'A0004';   -- same values
SELECT dataeng.dimension_refresh('acct_1') AS changes_1, dataeng.dimension_refresh('acct_2') AS changes_2;
SELECT touched('acct_1', 'A0001') AS t1_a1, touched('acct_1', 'A0004') AS t1_a4,
       touched('acct_2', 'A0001') AS t2_a1, touched('acct_2', 'A0004') AS t2_a4;
SELECT count(*) AS versions FROM acct_2 WHERE code IN ('A0001', 'A0002', 'A0004');

-------------------------------------------------------------------------------
-- NULLs in tracked columns: NULL to a value, a value to NULL, NULL to NULL
-------------------------------------------------------------------------------
UPDATE acct SET region = 'new' WHERE code = 'A0003';            -- was NULL
UPDATE acct SET region = NULL WHERE code = 'A0005';             -- was r1
UPDATE acct SET region = NULL, note = 'x' WHERE code = 'A0006'; -- NULL stays NULL
SELECT dataeng.dimension_refresh('acct_1') AS changes_1, dataeng.dimension_refresh('acct_2') AS changes_2;
SELECT * FROM acct_1 WHERE code IN ('A0003', 'A0005', 'A0006') ORDER BY code;
SELECT * FROM acct_hist WHERE code IN ('A0003', 'A0005', 'A0006') ORDER BY code, version;
SELECT touched('acct_1', 'A0006') AS t1_a6;

-------------------------------------------------------------------------------
-- Several changes of one key in one refresh, in one transaction and in
-- several: type 1 keeps the last, type 2 every state that differs from
-- the one before it
-------------------------------------------------------------------------------
BEGIN;
UPDATE acct SET owner = 'x' WHERE code = 'A0010';
UPDATE acct SET owner = 'y' WHERE code = 'A0010';
UPDATE acct SET note = 'only note' WHERE code = 'A0010';        -- no new state
UPDATE acct SET owner = 'z', region = NULL WHERE code = 'A0010';
COMMIT;
UPDATE acct SET owner = 'o0' WHERE code = 'A0010';              -- back to the first value
-- changed and changed back: type 1 writes nothing, type 2 keeps both states
UPDATE acct SET region = 'tmp' WHERE code = 'A0011';
UPDATE acct SET region = 'r3' WHERE code = 'A0011';
SELECT dataeng.dimension_refresh('acct_1') AS changes_1, dataeng.dimension_refresh('acct_2') AS changes_2;
SELECT * FROM acct_1 WHERE code IN ('A0010', 'A0011') ORDER BY code;
SELECT touched('acct_1', 'A0011') AS t1_a11;
SELECT * FROM acct_hist WHERE code IN ('A0010', 'A0011') ORDER BY code, version;

-------------------------------------------------------------------------------
-- Delete then re-insert of a key in one refresh
-------------------------------------------------------------------------------
DELETE FROM acct WHERE code IN ('A0020', 'A0021');
INSERT INTO acct VALUES ('A0020', 'o0', 'r0', 'back the same'), ('A0021', 'other', NULL, 'back changed');
-- and an insert deleted again before the refresh, and a key renamed then renamed back
INSERT INTO acct VALUES ('B0001', 'b', 'b', 'gone again');
DELETE FROM acct WHERE code = 'B0001';
UPDATE acct SET code = 'C0022' WHERE code = 'A0022';
UPDATE acct SET code = 'A0022' WHERE code = 'C0022';
SELECT dataeng.dimension_refresh('acct_1') AS changes_1, dataeng.dimension_refresh('acct_2') AS changes_2;
SELECT * FROM acct_1 WHERE code IN ('A0020', 'A0021', 'A0022', 'B0001', 'C0022') ORDER BY code;
SELECT touched('acct_1', 'A0020') AS t1_a20, touched('acct_1', 'A0022') AS t1_a22;
-- type 2: the delete closes the version, the re-insert opens one
SELECT * FROM acct_hist WHERE code IN ('A0020', 'A0021', 'A0022', 'B0001', 'C0022') ORDER BY code, version;

-------------------------------------------------------------------------------
-- A refresh looks its keys up: it reads an index entry or two of the
-- dimension per changed key (here 300 of 2000), never all of them, and
-- never scans the table
-------------------------------------------------------------------------------
SELECT pg_stat_force_next_flush();
CREATE VIEW dim_stats AS
  SELECT t.relname, t.seq_scan,
         (SELECT sum(i.idx_tup_read) FROM pg_stat_user_indexes i WHERE i.relid = t.relid) AS idx_tup_read
    FROM pg_stat_user_tables t WHERE t.relname IN ('acct_1', 'acct_2');
CREATE TEMP TABLE stats_before AS SELECT * FROM dim_stats;
UPDATE acct SET owner = 'moved' WHERE code IN ('A1000', 'A1500');
UPDATE acct SET region = 'moved' WHERE code BETWEEN 'A1100' AND 'A1399';
DELETE FROM acct WHERE code = 'A1700';
INSERT INTO acct VALUES ('D0001', 'd', 'd', 'n');
SELECT dataeng.dimension_refresh('acct_1') AS changes_1, dataeng.dimension_refresh('acct_2') AS changes_2;
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
SELECT s.relname, s.seq_scan - b.seq_scan AS seq_scans, s.idx_tup_read - b.idx_tup_read < 1000 AS fewer_entries_than_rows
  FROM dim_stats s JOIN stats_before b USING (relname) ORDER BY 1;
DROP VIEW dim_stats;

-------------------------------------------------------------------------------
-- Exactly once: a refresh rolled back leaves its changes pending, and the
-- next applies them
-------------------------------------------------------------------------------
UPDATE acct SET owner = 'rolled back' WHERE code = 'A0030';
BEGIN;
SELECT dataeng.dimension_refresh('acct_1') AS changes;
ROLLBACK;
SELECT pending_changes FROM dataeng.dimensions WHERE name = 'acct_1';
SELECT owner FROM acct_1 WHERE code = 'A0030';
SELECT dataeng.dimension_refresh('acct_1') AS changes;
SELECT owner FROM acct_1 WHERE code = 'A0030';
SELECT dataeng.dimension_refresh('acct_2') AS changes;

-------------------------------------------------------------------------------
-- Both equal the source after all of it
-------------------------------------------------------------------------------
SELECT (SELECT count(*) FROM ((SELECT code, owner, region FROM acct_1 EXCEPT ALL SELECT code, owner, region FROM acct)
                               UNION ALL (SELECT code, owner, region FROM acct EXCEPT ALL SELECT code, owner, region FROM acct_1)) x)
         AS scd1_diff,
       (SELECT count(*) FROM ((SELECT code, owner, region FROM acct_2 WHERE is_current EXCEPT ALL SELECT code, owner, region FROM acct)
                               UNION ALL (SELECT code, owner, region FROM acct EXCEPT ALL SELECT code, owner, region FROM acct_2 WHERE is_current)) x)
         AS scd2_current_diff,
       (SELECT count(*) FROM acct_2 WHERE is_current <> (valid_to IS NULL) OR valid_to < valid_from) AS bad_versions;

-------------------------------------------------------------------------------
-- The events reader checks its column definition list
-------------------------------------------------------------------------------
SELECT * FROM dataeng_internal._dim_events('dim:acct_1', 'acct', 'code', '{owner}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 text);
SELECT * FROM dataeng_internal._dim_events('dim:acct_1', 'acct', 'code', '{owner}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 int, d2 text);
SELECT * FROM dataeng_internal._dim_events('dim:acct_1', 'acct', 'nope', '{owner}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 text, d2 text);
SELECT * FROM dataeng_internal._dim_events('dim:acct_1', 'acct', 'code', '{NULL}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 text, d2 text);
-- and reads as cdc_poll does: another role cannot read the consumer
CREATE ROLE dim_setbased_other;
SET ROLE dim_setbased_other;
SELECT * FROM dataeng_internal._dim_events('dim:acct_1', 'acct', 'code', '{owner}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 text, d2 text);
RESET ROLE;
DROP ROLE dim_setbased_other;
-- (the events of nothing pending: the total only)
SELECT * FROM dataeng_internal._dim_events('dim:acct_1', 'acct', 'code', '{owner}')
  AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean, d1 text, d2 text);

DROP VIEW acct_hist;
-------------------------------------------------------------------------------
-- A dimension table in a publication of updates and deletes, without a
-- replica identity: the refresh's update or delete fails as the owner's
-- SQL UPDATE or DELETE would (the WAL would not say which row changed),
-- and goes through once the table has one again
-------------------------------------------------------------------------------
ALTER TABLE acct_1 REPLICA IDENTITY NOTHING;
ALTER TABLE acct_2 REPLICA IDENTITY NOTHING;
SET client_min_messages = error;
CREATE PUBLICATION acct_pub FOR TABLE acct_1, acct_2;
SET client_min_messages = warning;
-- (both refreshes take the C path: path NULL)
SELECT d.name, a.path
  FROM dataeng_internal.dimension_defs d,
       dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d.dim_table, d.scd_type,
                                   ARRAY[false, false, false]) a
 WHERE d.name IN ('acct_1', 'acct_2') ORDER BY 1;
UPDATE acct SET owner = 'published' WHERE code = 'A0007';
SELECT dataeng.dimension_refresh('acct_1');
SELECT dataeng.dimension_refresh('acct_2');
DELETE FROM acct WHERE code = 'A0008';
UPDATE acct_1 SET owner = owner WHERE code = 'A0007';
ALTER TABLE acct_1 REPLICA IDENTITY DEFAULT;
ALTER TABLE acct_2 REPLICA IDENTITY DEFAULT;
SELECT dataeng.dimension_refresh('acct_1') AS changes_1, dataeng.dimension_refresh('acct_2') AS changes_2;
SELECT code, owner FROM acct_1 WHERE code IN ('A0007', 'A0008') ORDER BY code;
SELECT code, owner, is_current FROM acct_2 WHERE code IN ('A0007', 'A0008') ORDER BY code, acct_2_sk;
DROP PUBLICATION acct_pub;

SELECT dataeng.dimension_drop('acct_1');
SELECT dataeng.dimension_drop('acct_2');
DROP FUNCTION touched;
DROP EXTENSION dataeng CASCADE;
DROP TABLE acct;
