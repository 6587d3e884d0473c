-- An ALTER TYPE of a composite type whose typed tables are captured from
-- the WAL, which PostgreSQL refuses because of those tables: without
-- CASCADE ("cannot alter type ... because it is the type of a typed
-- table"), or by a role that owns the type but not a typed table of it,
-- made by another role with USAGE on the type ("must be owner of table").
-- Before the statement, capture waits for the WAL worker with the tables
-- locked in SHARE ROW EXCLUSIVE mode.  For these statements, it did the
-- same: up to 30 s (the worker busy) with another role's table locked,
-- its writers blocked, by a role with no right on it, and every
-- non-CASCADE ALTER TYPE waited as long for its sure error.  Now the
-- refusal comes at once, with no wait for the worker (_cdc_wal_caught_up()
-- not called) and so no lock held meanwhile.
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
CREATE ROLE regress_ctrr_alice;
CREATE ROLE regress_ctrr_bob;
RESET client_min_messages;
GRANT CREATE ON SCHEMA public TO regress_ctrr_alice, regress_ctrr_bob;

SET ROLE regress_ctrr_alice;
CREATE TYPE ctrr_t AS (id int, a text, b text);
GRANT USAGE ON TYPE ctrr_t TO regress_ctrr_bob;
CREATE TABLE ctrr_alice_tab OF ctrr_t (PRIMARY KEY (id));
SET ROLE regress_ctrr_bob;
CREATE TABLE ctrr_bob_tab OF ctrr_t (PRIMARY KEY (id));
RESET ROLE;
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('ctrr_alice_tab', columns => '{id,a}', method => 'wal');
SELECT dataeng.cdc_enable('ctrr_bob_tab', columns => '{id,a}', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;

CREATE VIEW ctrr_waits AS
  SELECT coalesce(sum(s.calls), 0) AS waits
    FROM pg_stat_xact_user_functions s
   WHERE s.schemaname = 'dataeng_internal' AND s.funcname = '_cdc_wal_caught_up';
GRANT SELECT ON ctrr_waits TO regress_ctrr_alice;
SET track_functions = 'all';

-- the type's owner, who does not own ctrr_bob_tab
SET ROLE regress_ctrr_alice;
BEGIN;
SAVEPOINT s;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2 CASCADE;
ROLLBACK TO s;
ALTER TYPE ctrr_t ADD ATTRIBUTE c int CASCADE;
ROLLBACK TO s;
ALTER TYPE ctrr_t DROP ATTRIBUTE b CASCADE;
ROLLBACK TO s;
ALTER TYPE ctrr_t ALTER ATTRIBUTE b TYPE varchar(10) CASCADE;
ROLLBACK TO s;
SELECT * FROM ctrr_waits;
COMMIT;
RESET ROLE;

-- without CASCADE (or with it on one action only)
BEGIN;
SAVEPOINT s;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2;
ROLLBACK TO s;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2 RESTRICT;
ROLLBACK TO s;
ALTER TYPE ctrr_t ADD ATTRIBUTE c int, DROP ATTRIBUTE b CASCADE;
ROLLBACK TO s;
SELECT * FROM ctrr_waits;
COMMIT;

-- what PostgreSQL does not refuse still waits for the worker, and the
-- capture options follow it
BEGIN;
ALTER TYPE ctrr_t RENAME ATTRIBUTE a TO a2 CASCADE;
SELECT waits > 0 AS waited FROM ctrr_waits;
COMMIT;
RESET track_functions;
SELECT table_name, columns FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'ctrr\_%' ORDER BY table_name::text;
SELECT table_name, capture_error FROM dataeng.cdc_status
 WHERE table_name::text LIKE 'ctrr\_%' ORDER BY table_name::text;

SET client_min_messages = warning;
DROP VIEW ctrr_waits;
DROP TABLE ctrr_alice_tab, ctrr_bob_tab;
DROP TYPE ctrr_t;
REVOKE CREATE ON SCHEMA public FROM regress_ctrr_alice, regress_ctrr_bob;
DROP ROLE regress_ctrr_alice;
DROP ROLE regress_ctrr_bob;
DROP EXTENSION dataeng CASCADE;
