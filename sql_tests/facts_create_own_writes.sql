-- fact_create() in a transaction that wrote its source table before: the
-- backfill counted the rows it wrote, and their changes, committed with
-- the fact, came after its consumer's start, so the first refresh
-- counted them again (a fact of 2 rows said 3).  Refused (25001); a
-- transaction that wrote other tables, or only read the source, is not.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE ow (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', v int);
CREATE TABLE ow_other (id int PRIMARY KEY);
INSERT INTO ow VALUES (1, DEFAULT, 10);
SELECT dataeng.cdc_enable('ow');
RESET client_min_messages;

\set VERBOSITY default
\set SHOW_CONTEXT never
BEGIN;
INSERT INTO ow VALUES (2, DEFAULT, 20);
SELECT dataeng.fact_create('ow_f', 'ow', 'at', 'day', '{}', '{count(*) AS n, sum(v) AS total}', NULL);
ROLLBACK;
BEGIN;
UPDATE ow SET v = 11 WHERE id = 1;
SELECT dataeng.fact_create('ow_f', 'ow', 'at', 'day', '{}', '{count(*) AS n, sum(v) AS total}', NULL);
ROLLBACK;
-- a partition of a partitioned source
CREATE TABLE owp (id int, at timestamptz NOT NULL DEFAULT '2026-01-01', v int, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE owp_1 PARTITION OF owp FOR VALUES FROM ('2025-01-01') TO ('2027-01-01');
SELECT dataeng.cdc_enable('owp');
BEGIN;
INSERT INTO owp VALUES (1, DEFAULT, 1);
SELECT dataeng.fact_create('owp_f', 'owp', 'at', 'day', '{}', '{count(*) AS n}', NULL);
ROLLBACK;
\set VERBOSITY terse

-- other tables written, the source only read: created, and right
BEGIN;
INSERT INTO ow_other VALUES (1);
SELECT count(*) FROM ow;
SELECT dataeng.fact_create('ow_f', 'ow', 'at', 'day', '{}', '{count(*) AS n, sum(v) AS total}', NULL);
COMMIT;
INSERT INTO ow VALUES (2, DEFAULT, 20);
SELECT dataeng.fact_refresh('ow_f');
SELECT n, total FROM ow_f;
SELECT count(*) AS n, sum(v) AS total FROM ow;

-- a source no capture watched yet, written in the same transaction: its
-- rows left no change behind, so the fact is made, and right
BEGIN;
CREATE TABLE ow_new (id int PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', v int);
INSERT INTO ow_new VALUES (1, DEFAULT, 10), (2, DEFAULT, 20);
SELECT dataeng.fact_create('ow_new_f', 'ow_new', 'at', 'day', '{}', '{count(*) AS n, sum(v) AS total}', NULL);
COMMIT;
INSERT INTO ow_new VALUES (3, DEFAULT, 30);
SELECT dataeng.fact_refresh('ow_new_f');
SELECT n, total FROM ow_new_f;
SELECT count(*) AS n, sum(v) AS total FROM ow_new;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE ow, ow_other, owp, ow_new;
