-- dataeng.maintain() and dataeng.alert_check() called by a role that is
-- no superuser: PostgreSQL's bare "permission denied for function
-- maintain" (no word of who may, or that nobody needs to).  They refuse
-- with 42501, a detail naming the role and why, a hint with what to do
-- instead, and do nothing.
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE ROLE mr_user;
SET ROLE mr_user;
\set VERBOSITY sqlstate
SELECT dataeng.maintain();
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT dataeng.maintain();
SELECT dataeng.alert_check();
\set SHOW_CONTEXT errors
RESET ROLE;
-- nothing was done
SELECT count(*) AS maintenance_rows FROM dataeng.maintenance;
SELECT dataeng.maintain() IS NOT NULL AS maintained_by_superuser;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP ROLE mr_user;
