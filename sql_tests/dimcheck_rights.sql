-- A dimension or fact owner with SELECT only on the source: creating one
-- holds the source's writers off (LOCK TABLE ... IN SHARE MODE), which
-- takes UPDATE, DELETE or TRUNCATE too; the error says so (detail, hint)
-- instead of failing inside a LOCK statement.  An owner who loses that
-- right later gets the same kind of error from the refresh that must
-- compare with the whole source (after a TRUNCATE), which applies the
-- changes once the right is back; the other refreshes need SELECT only.
-- The same for a fact aggregated again from its whole source.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset null '(null)'
\set SHOW_CONTEXT never

CREATE ROLE dcr_reader;
CREATE TABLE dcr_src (id int PRIMARY KEY, at timestamptz NOT NULL, name text, v int);
INSERT INTO dcr_src VALUES (1, '2026-03-01 10:00+00', 'a', 1), (2, '2026-03-01 11:00+00', 'b', 2);
SELECT dataeng.cdc_enable('dcr_src');
GRANT SELECT ON dcr_src TO dcr_reader;
GRANT CREATE ON SCHEMA public TO dcr_reader;

SET ROLE dcr_reader;
\set VERBOSITY default
SELECT dataeng.dimension_create('dcr_dim', 'dcr_src', 'id', ARRAY['name'], 2, schedule => NULL);
SELECT dataeng.fact_create('dcr_fact', 'dcr_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(v)'], schedule => NULL);
\set VERBOSITY terse
SELECT count(*) AS nothing_created FROM dataeng.dimensions;
RESET ROLE;

-- with UPDATE it works; then the right goes
GRANT UPDATE ON dcr_src TO dcr_reader;
SET ROLE dcr_reader;
SELECT dataeng.dimension_create('dcr_dim', 'dcr_src', 'id', ARRAY['name'], 2, schedule => NULL);
RESET ROLE;
REVOKE UPDATE ON dcr_src FROM dcr_reader;
UPDATE dcr_src SET name = 'b2' WHERE id = 2;
SET ROLE dcr_reader;
SELECT dataeng.dimension_refresh('dcr_dim') AS changes;   -- (no whole compare: SELECT is enough)
RESET ROLE;
TRUNCATE dcr_src;
INSERT INTO dcr_src VALUES (3, '2026-03-02 10:00+00', 'c', 3);
SET ROLE dcr_reader;
\set VERBOSITY default
SELECT dataeng.dimension_refresh('dcr_dim');
\set VERBOSITY terse
SELECT pending_changes FROM dataeng.dimensions;
RESET ROLE;
GRANT TRUNCATE ON dcr_src TO dcr_reader;
SET ROLE dcr_reader;
SELECT dataeng.dimension_refresh('dcr_dim') AS changes;
SELECT id, name, is_current FROM dcr_dim ORDER BY dcr_dim_sk;
SELECT dataeng.dimension_drop('dcr_dim');
RESET ROLE;

-- the same for a fact: after a TRUNCATE, and fact_rebuild
GRANT UPDATE ON dcr_src TO dcr_reader;
SET ROLE dcr_reader;
SELECT dataeng.fact_create('dcr_fact', 'dcr_src', 'at', 'day', '{}', ARRAY['count(*)', 'sum(v)'], schedule => NULL);
RESET ROLE;
REVOKE UPDATE, TRUNCATE ON dcr_src FROM dcr_reader;
TRUNCATE dcr_src;
INSERT INTO dcr_src VALUES (4, '2026-03-03 10:00+00', 'd', 4);
SET ROLE dcr_reader;
\set VERBOSITY default
SELECT dataeng.fact_refresh('dcr_fact');
SELECT dataeng.fact_rebuild('dcr_fact');
\set VERBOSITY terse
RESET ROLE;
GRANT DELETE ON dcr_src TO dcr_reader;
SET ROLE dcr_reader;
SELECT dataeng.fact_refresh('dcr_fact') AS changes;
SELECT bucket, count, sum_v FROM dcr_fact ORDER BY 1;
SELECT dataeng.fact_drop('dcr_fact');
RESET ROLE;

DROP EXTENSION dataeng CASCADE;
DROP TABLE dcr_src;
REVOKE ALL ON SCHEMA public FROM dcr_reader;
DROP ROLE dcr_reader;
