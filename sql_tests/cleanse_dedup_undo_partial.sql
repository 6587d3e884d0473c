-- dedupe_undo() was all or nothing: one cluster whose survivor changed
-- since the run, or whose deleted row's key was taken again, refused the
-- undo of every other cluster, and no single wrong merge could be undone
-- alone.  Now dedupe_undo(run_id, clusters) undoes the chosen clusters (all
-- or nothing, with the same errors), dedupe_undo_clusters(run_id) each
-- cluster that can be undone safely, reporting the others with the error
-- they would raise, and dedupe_log.undone_at records what was undone, so
-- that no cluster is put back twice.  No row is ever lost or doubled.
\set VERBOSITY default
\set SHOW_CONTEXT never
\pset null '(null)'
CREATE EXTENSION dataeng;

CREATE TABLE pu (id int PRIMARY KEY, name text, email text, city text, code text UNIQUE);
INSERT INTO pu VALUES (1, 'Ada Lovelace', 'ada@example.com', NULL, 'a1'), (2, 'Ada  LOVELACE', 'ada@example.com', 'London', 'a2'),
                      (3, 'Bob Jones', 'bob@example.org', NULL, 'b3'), (4, 'Bob Jones', 'bob@example.org', 'Paris', 'b4'),
                      (5, 'Carl Sagan', 'c@example.net', 'Ithaca', 'c5'), (6, 'Carl Sagan', 'c@example.net', 'Ithaca', 'c6'),
                      (7, 'Dana Scully', 'dana@example.gov', 'DC', 'd7'), (8, 'Dana Scully', 'dana@example.gov', 'DC', 'd8'),
                      (9, 'Dana Scully', 'dana@example.gov', NULL, 'd9'),
                      (10, 'Eve Moneypenny', 'eve@example.co.uk', 'Oxford', 'e10'), (11, 'Eve Moneypenny', 'eve@example.co.uk', 'Oxford', 'e11'),
                      (12, 'Fay Wray', 'fay@example.com', 'Alberta', 'f12');
CREATE TABLE pu_before AS SELECT * FROM pu;
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('pu', '{name,email}', keep => 'first', order_by => 'id', fill_nulls => true);
SELECT cluster_id, action, old_row->>'id' AS id FROM dataeng.dedupe_log ORDER BY cluster_id, action, id;

-- one wrong merge, undone alone
SELECT dataeng.dedupe_undo(max(run_id), '{2}') AS restored FROM dataeng.dedupe_runs;
SELECT id, city FROM pu WHERE name LIKE 'Bob%' ORDER BY id;
SELECT cluster_id, count(*) FILTER (WHERE undone_at IS NOT NULL) AS undone, count(*) AS logged
  FROM dataeng.dedupe_log GROUP BY cluster_id ORDER BY cluster_id;
SELECT undone_at IS NULL AS run_not_undone FROM dataeng.dedupe_runs;
-- undone once, never again: alone, or among others (all or nothing; the
-- detail says when, hidden here)
\set VERBOSITY terse
SELECT dataeng.dedupe_undo(max(run_id), '{2}') AS restored FROM dataeng.dedupe_runs;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT dataeng.dedupe_undo(max(run_id), '{1,2}') AS restored FROM dataeng.dedupe_runs;
\set VERBOSITY default
SELECT count(*) AS rows FROM pu;
-- bad cluster lists
SELECT dataeng.dedupe_undo(max(run_id), '{1,99}') AS restored FROM dataeng.dedupe_runs;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT dataeng.dedupe_undo(max(run_id), '{1,NULL}') AS restored FROM dataeng.dedupe_runs;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT dataeng.dedupe_undo(NULL, '{1}') AS restored;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;

-- a survivor changed since the run (cluster 1) and a deleted row's key
-- taken again (cluster 3: id 6; cluster 4: code d9): the whole undo is
-- refused as before, nothing restored
UPDATE pu SET city = 'Rome' WHERE id = 1;
INSERT INTO pu VALUES (6, 'someone else', 'x@example.com', NULL, 'x6');
INSERT INTO pu VALUES (13, 'another one', 'y@example.com', NULL, 'd9');
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
UPDATE pu SET city = 'London' WHERE id = 1;
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
SELECT count(*) AS rows FROM pu;
UPDATE pu SET city = 'Rome' WHERE id = 1;

-- every cluster that can be undone is, the others are reported
SELECT cluster_id, undone, rows_inserted, rows_restored, sqlstate, reason, detail, hint
  FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs));
SELECT id, name, city, code FROM pu ORDER BY id;
SELECT cluster_id, count(*) FILTER (WHERE undone_at IS NOT NULL) AS undone, count(*) AS logged
  FROM dataeng.dedupe_log GROUP BY cluster_id ORDER BY cluster_id;
SELECT undone_at IS NULL AS run_not_undone FROM dataeng.dedupe_runs;
-- asked again: the clusters undone are not undone again, the others still
-- blocked
SELECT cluster_id, undone, rows_inserted, sqlstate, reason
  FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs), '{1,2,3,4,5}');
SELECT count(*) AS rows FROM pu;

-- what blocked them removed: the rest is undone, and the run with it
UPDATE pu SET city = 'London' WHERE id = 1;
DELETE FROM pu WHERE id IN (6, 13);
SELECT cluster_id, undone, rows_inserted, rows_restored, sqlstate
  FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs));
SELECT undone_at IS NOT NULL AS run_undone FROM dataeng.dedupe_runs;
-- the table is as it was before the run: no row lost or doubled
SELECT (SELECT count(*) FROM pu) AS rows,
       (SELECT count(*) FROM (SELECT * FROM pu EXCEPT SELECT * FROM pu_before) d) AS differ,
       (SELECT count(*) FROM (SELECT * FROM pu_before EXCEPT SELECT * FROM pu) d) AS missing;
\set VERBOSITY terse
SELECT * FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs));
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
\set VERBOSITY default

-- a constraint added since refuses a row of one cluster: that cluster is
-- reported with the constraint's error, the others are undone
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('pu', '{name,email}', keep => 'first', order_by => 'id');
ALTER TABLE pu ADD CONSTRAINT no_d8 CHECK (code <> 'd8') NOT VALID;
SELECT cluster_id, undone, rows_inserted, sqlstate, reason, detail
  FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs));
SELECT count(*) AS rows FROM pu;
ALTER TABLE pu DROP CONSTRAINT no_d8;
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT count(*) AS rows FROM pu;

-- a role that did not run it may not undo its clusters
SELECT clusters FROM dataeng.dedupe('pu', '{name,email}', keep => 'first', order_by => 'id');
CREATE ROLE dd_pu_other;
GRANT SELECT, INSERT, UPDATE, DELETE ON pu TO dd_pu_other;
SET ROLE dd_pu_other;
SELECT * FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs), '{1}');
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
RESET ROLE;
SELECT cluster_id, undone FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs), '{1}');
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT count(*) AS rows FROM pu;

-- a partitioned table: a key taken again in a partition blocks its cluster
CREATE TABLE pp (id int, region text, name text, email text, PRIMARY KEY (id, region)) PARTITION BY LIST (region);
CREATE TABLE pp_eu PARTITION OF pp FOR VALUES IN ('eu');
CREATE TABLE pp_us PARTITION OF pp FOR VALUES IN ('us');
INSERT INTO pp VALUES (1, 'eu', 'Ada Lovelace', 'ada@example.com'), (2, 'us', 'ADA LOVELACE', 'ada@example.com'),
                      (3, 'eu', 'Bob Jones', 'bob@example.org'), (4, 'eu', 'BOB JONES', 'bob@example.org'),
                      (5, 'us', 'Carl Sagan', 'c@example.net'), (6, 'us', 'Carl  Sagan', 'c@example.net');
SELECT clusters, rows_deleted FROM dataeng.dedupe('pp', '{name,email}', keep => 'first', order_by => 'id');
INSERT INTO pp VALUES (4, 'eu', 'someone', 'x@example.com');
SELECT cluster_id, undone, rows_inserted, sqlstate, detail
  FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs));
SELECT tableoid::regclass AS part, id, name FROM pp ORDER BY id, part;
-- a table others inherit: its key is its own rows' (a child's row of the
-- same id blocks nothing)
CREATE TABLE dui (id int PRIMARY KEY, name text, email text);
CREATE TABLE dui_child () INHERITS (dui);
INSERT INTO dui VALUES (1, 'Ada Lovelace', 'ada@example.com'), (2, 'ADA LOVELACE', 'ada@example.com'),
                      (3, 'Bob Jones', 'b@example.org'), (4, 'BOB JONES', 'b@example.org');
SELECT clusters, rows_deleted FROM dataeng.dedupe('dui', '{name,email}', keep => 'first', order_by => 'id');
INSERT INTO dui_child VALUES (2, 'child row', 'c@example.com');
SELECT cluster_id, undone, rows_inserted, sqlstate
  FROM dataeng.dedupe_undo_clusters((SELECT max(run_id) FROM dataeng.dedupe_runs));
SELECT tableoid::regclass AS part, id, name FROM dui ORDER BY id, part;
DROP TABLE pp, dui CASCADE;

-- dedupe_undo of a whole run tries one pass first: a row made since the
-- run that equals a filled survivor must not stand in for another
-- cluster's survivor that changed (two rows found for one survivor, none
-- for the other, as many as the filled rows): refused (55000), nothing
-- restored
CREATE TABLE pw (id int, name text, email text, city text);
INSERT INTO pw VALUES (1, 'Ada Lovelace', 'ada@example.com', NULL), (2, 'ADA LOVELACE', 'ada@example.com', 'London'),
                      (3, 'Bob Jones', 'bob@example.org', NULL), (4, 'BOB JONES', 'bob@example.org', 'Paris');
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('pw', '{name,email}', keep => 'first', order_by => 'id', fill_nulls => true);
INSERT INTO pw VALUES (1, 'Ada Lovelace', 'ada@example.com', 'London');
UPDATE pw SET city = 'Rome' WHERE id = 3;
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT * FROM pw ORDER BY id, city;
UPDATE pw SET city = 'Paris' WHERE id = 3;
DELETE FROM pw WHERE ctid = (SELECT max(ctid) FROM pw WHERE id = 1);
SELECT dataeng.dedupe_undo(max(run_id)) AS restored FROM dataeng.dedupe_runs;
SELECT * FROM pw ORDER BY id, city;
DROP TABLE pw;

DROP TABLE pu, pu_before;
DROP ROLE dd_pu_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
