-- A fact or dimension keeps its source captured (cdc_disable refused) and
-- its key NOT NULL (ALTER TABLE ... DROP NOT NULL refused) only while its
-- owner may read the source.  A role granted SELECT and UPDATE on another
-- role's captured table made a fact and a dimension of it; once the
-- table's owner revoked those grants, that role could read nothing of the
-- table any more, yet its fact and dimension still kept the owner from
-- stopping the table's capture (55000, "its owner must drop it first",
-- which the owner may not) and from dropping NOT NULL on its key, for as
-- long as they existed: only DROP TABLE or a superuser got the owner its
-- table back.  Now they hold nothing once their owner may not read the
-- table: cdc_disable goes on with a WARNING for each (marked to resync
-- from the table, should their owner read it again), and so does the
-- ALTER.  A reader that may still read the table holds it as before.
-- So with a consumer, made with SELECT alone, and ALTER TABLE ... ATTACH
-- PARTITION of its table under a captured one.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_r10_owner;
CREATE ROLE regress_r10_reader;
CREATE SCHEMA r10 AUTHORIZATION regress_r10_owner;
CREATE SCHEMA r10r AUTHORIZATION regress_r10_reader;
GRANT USAGE ON SCHEMA r10 TO regress_r10_reader;
SET ROLE regress_r10_owner;
CREATE TABLE r10.t (id int PRIMARY KEY, g text, amt int, at timestamptz NOT NULL DEFAULT '2026-01-01 10:00+00');
CREATE TABLE r10.kept (id int PRIMARY KEY, g text, amt int, at timestamptz NOT NULL DEFAULT '2026-01-01 10:00+00');
INSERT INTO r10.t (id, g, amt) VALUES (1, 'a', 5), (2, 'b', 7);
INSERT INTO r10.kept (id, g, amt) VALUES (1, 'a', 5);
SELECT dataeng.cdc_enable('r10.t');
SELECT dataeng.cdc_enable('r10.kept');
GRANT SELECT, UPDATE ON r10.t, r10.kept TO regress_r10_reader;

SET ROLE regress_r10_reader;
SET search_path = r10r;
SELECT dataeng.fact_create('r10_f', 'r10.t', 'at', 'day', '{g}', '{sum(amt) AS s}', schedule => NULL) IS NOT NULL AS fact;
SELECT dataeng.dimension_create('r10_d', 'r10.t', 'id', ARRAY['g'], 1, schedule => NULL) IS NOT NULL AS dim;
SELECT dataeng.fact_create('r10_kf', 'r10.kept', 'at', 'day', '{g}', '{sum(amt) AS s}', schedule => NULL) IS NOT NULL AS fact;
SELECT dataeng.dimension_create('r10_kd', 'r10.kept', 'id', ARRAY['g'], 1, schedule => NULL) IS NOT NULL AS dim;
RESET search_path;

-- (1) the reader may still read r10.kept: its fact and dimension hold it
-- (the errors' words name the reader's role by its oid: SQLSTATEs only)
SET ROLE regress_r10_owner;
\set VERBOSITY sqlstate
SELECT dataeng.cdc_disable('r10.kept');                                   -- 55000
ALTER TABLE r10.kept DROP CONSTRAINT kept_pkey;
ALTER TABLE r10.kept ALTER COLUMN id DROP NOT NULL;                       -- 2BP01
\set VERBOSITY terse
SELECT count(*) AS still_captured FROM dataeng.cdc_tables_visible WHERE table_name = 'r10.kept'::regclass;

-- (2) the owner revokes the reader's grants on r10.t: its fact and
-- dimension hold nothing any more
REVOKE ALL ON r10.t FROM regress_r10_reader;
SELECT dataeng.cdc_disable('r10.t') AS disabled;
\echo :SQLSTATE
SELECT count(*) AS still_captured FROM dataeng.cdc_tables_visible WHERE table_name = 'r10.t'::regclass;
ALTER TABLE r10.t DROP CONSTRAINT t_pkey;
ALTER TABLE r10.t ALTER COLUMN id DROP NOT NULL;
\echo :SQLSTATE
SELECT attnotnull FROM pg_attribute WHERE attrelid = 'r10.t'::regclass AND attname = 'id';

-- (3) their refreshes fail while the reader may not read the table; both
-- are marked to be made again from it, should it read it again
SET ROLE regress_r10_reader;
SELECT dataeng.fact_refresh('r10_f');                                     -- 42501
\echo :SQLSTATE
RESET ROLE;
SELECT name, resync_pending FROM dataeng_internal.fact_defs ORDER BY name;
SELECT name, resync_pending FROM dataeng_internal.dimension_defs ORDER BY name;

-- (4) allowed to read the table again, once it is captured again: the
-- first refresh makes the fact again from the table, the row written while
-- it was not captured (id 3) counted
SET ROLE regress_r10_owner;
INSERT INTO r10.t (id, g, amt) VALUES (3, 'a', 100);
GRANT SELECT, UPDATE ON r10.t TO regress_r10_reader;
SELECT dataeng.cdc_enable('r10.t');
INSERT INTO r10.t (id, g, amt) VALUES (4, 'b', 1000);
SET ROLE regress_r10_reader;
SELECT dataeng.fact_refresh('r10_f') >= 0 AS refreshed;
SELECT g, s FROM r10r.r10_f ORDER BY g;
SET ROLE regress_r10_owner;
INSERT INTO r10.t (id, g, amt) VALUES (5, 'a', 1);
SET ROLE regress_r10_reader;
SELECT dataeng.fact_refresh('r10_f') AS changes;
SELECT g, s FROM r10r.r10_f ORDER BY g;
SELECT g, sum(amt) AS s FROM r10.t GROUP BY g ORDER BY g;

-- (5) a consumer takes SELECT alone: made on two tables of the owner's,
-- it kept the owner from attaching either under a captured table (also
-- once their capture stopped) after the owner had revoked the grant on
-- one; now only the table it may still read is held
SET ROLE regress_r10_owner;
CREATE TABLE r10.p (id int, g text) PARTITION BY LIST (g);
CREATE TABLE r10.pa (id int, g text);
CREATE TABLE r10.pb (id int, g text);
SELECT dataeng.cdc_enable('r10.p');
SELECT dataeng.cdc_enable('r10.pa');
SELECT dataeng.cdc_enable('r10.pb');
GRANT SELECT ON r10.pa, r10.pb TO regress_r10_reader;
SET ROLE regress_r10_reader;
SELECT dataeng.cdc_consumer_create('r10_c', ARRAY['r10.pa', 'r10.pb']::regclass[]);
SET ROLE regress_r10_owner;
REVOKE SELECT ON r10.pa FROM regress_r10_reader;
SELECT dataeng.cdc_disable('r10.pa'), dataeng.cdc_disable('r10.pb');
ALTER TABLE r10.p ATTACH PARTITION r10.pa FOR VALUES IN ('a');
\echo :SQLSTATE
ALTER TABLE r10.p ATTACH PARTITION r10.pb FOR VALUES IN ('b');           -- 0A000
SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'r10.p'::regclass ORDER BY 1;
SET ROLE regress_r10_reader;
SELECT dataeng.cdc_consumer_drop('r10_c');

SELECT dataeng.fact_drop('r10_f'), dataeng.dimension_drop('r10_d'),
       dataeng.fact_drop('r10_kf'), dataeng.dimension_drop('r10_kd');
RESET ROLE;
DROP SCHEMA r10 CASCADE;
DROP SCHEMA r10r CASCADE;
DROP ROLE regress_r10_owner;
DROP ROLE regress_r10_reader;
DROP EXTENSION dataeng CASCADE;
