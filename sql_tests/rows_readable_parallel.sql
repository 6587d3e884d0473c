-- dataeng.rows_readable() is PARALLEL SAFE (it reads the catalogs and
-- privileges only): the row-level security policies of validation_runs,
-- validation_results, quarantine and alerts call it, and as PARALLEL
-- UNSAFE (the default it had) it kept every query of a role on those
-- tables from a parallel plan.  Run in parallel workers, it shows a role
-- what it showed it in the leader.
CREATE EXTENSION dataeng;
CREATE ROLE rrp_reader;
CREATE ROLE rrp_other;
CREATE TABLE rrp_t (id int PRIMARY KEY, v int);
INSERT INTO rrp_t SELECT g, CASE WHEN g % 10 = 0 THEN -g ELSE g END FROM generate_series(1, 100) g;
GRANT SELECT ON rrp_t TO rrp_reader;
SELECT dataeng.rule_add('rrp_t', 'positive', 'range', 'v', '{"min": 0}') > 0 AS added;
SELECT rule_name, failed FROM dataeng.validate('rrp_t', quarantine => true);

SELECT p.proparallel FROM pg_proc p WHERE p.oid = 'dataeng.rows_readable(regclass,name)'::regprocedure;

SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET force_parallel_mode = on;
SET ROLE rrp_reader;
EXPLAIN (COSTS OFF) SELECT count(*) FROM dataeng.quarantine;
SELECT (SELECT count(*) FROM dataeng.validation_runs) AS runs,
       (SELECT count(*) FROM dataeng.validation_results) AS results,
       (SELECT count(*) FROM dataeng.quarantine) AS quarantined,
       (SELECT count(*) FROM dataeng.alerts) AS alerts;
SET ROLE rrp_other;
SELECT (SELECT count(*) FROM dataeng.validation_runs) AS runs,
       (SELECT count(*) FROM dataeng.validation_results) AS results,
       (SELECT count(*) FROM dataeng.quarantine) AS quarantined,
       (SELECT count(*) FROM dataeng.alerts) AS alerts;
RESET ROLE;
RESET force_parallel_mode;
RESET max_parallel_workers_per_gather;
RESET min_parallel_table_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;

DROP TABLE rrp_t;
DROP ROLE rrp_reader;
DROP ROLE rrp_other;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
