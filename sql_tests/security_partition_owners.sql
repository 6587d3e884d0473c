-- cdc_enable() and guard_enable() of a partitioned table install triggers
-- on each of its partitions (cdc_enable() from the WAL also sets their
-- REPLICA IDENTITY FULL), as dataeng's owner: the owner of the partitioned
-- table alone may not do that to a partition another role owns, which
-- PostgreSQL's own CREATE TRIGGER on the partitioned table refuses.  Each
-- partition must be the caller's too (or its owning role's, of which the
-- caller is a member).  Before, the owner of the partitioned table put
-- capture triggers and a guard on another role's partition, and changed
-- its replica identity.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE ROLE po_parent;
CREATE ROLE po_other;
CREATE SCHEMA po;
GRANT USAGE, CREATE ON SCHEMA po TO po_parent, po_other;
CREATE TABLE po.pt (id int, v text) PARTITION BY RANGE (id);
CREATE TABLE po.pt1 PARTITION OF po.pt FOR VALUES FROM (0) TO (100);
CREATE TABLE po.pt2 PARTITION OF po.pt FOR VALUES FROM (100) TO (200) PARTITION BY RANGE (id);
CREATE TABLE po.pt2a PARTITION OF po.pt2 FOR VALUES FROM (100) TO (150);
ALTER TABLE po.pt OWNER TO po_parent;
ALTER TABLE po.pt1 OWNER TO po_parent;
ALTER TABLE po.pt2 OWNER TO po_parent;
ALTER TABLE po.pt2a OWNER TO po_other;
SELECT dataeng.rule_add('po.pt', 'v_set', 'not_null', 'v') IS NOT NULL AS rule_added;
ALTER TABLE po.pt OWNER TO po_parent;
SET client_min_messages = notice;

SET ROLE po_parent;
-- what PostgreSQL says of a trigger on the partitioned table
CREATE TRIGGER po_t AFTER INSERT ON po.pt FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
SELECT dataeng.cdc_enable('po.pt');
SELECT dataeng.cdc_enable('po.pt', method => 'wal');
SELECT dataeng.guard_enable('po.pt', 'quarantine');
RESET ROLE;
-- po_other's partition is as it was: no trigger, its replica identity
SELECT c.relname, c.relreplident, count(t.oid) AS triggers
  FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid
 WHERE c.relnamespace = 'po'::regnamespace AND c.relkind IN ('r', 'p')
 GROUP BY c.relname, c.relreplident ORDER BY 1;
SELECT count(*) AS captured FROM dataeng.cdc_tables WHERE table_name = 'po.pt'::regclass;

-- a member of the partition's owning role may, as it may create the
-- trigger itself
GRANT po_other TO po_parent;
SET ROLE po_parent;
SELECT dataeng.cdc_enable('po.pt');
SELECT dataeng.guard_enable('po.pt', 'quarantine');
RESET ROLE;
SELECT c.relname, count(t.oid) AS triggers
  FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid
 WHERE c.relnamespace = 'po'::regnamespace AND c.relkind IN ('r', 'p')
 GROUP BY c.relname ORDER BY 1;

SET client_min_messages = warning;
SELECT dataeng.cdc_disable('po.pt');
DROP SCHEMA po CASCADE;
DROP ROLE po_parent;
DROP ROLE po_other;
DROP EXTENSION dataeng CASCADE;
