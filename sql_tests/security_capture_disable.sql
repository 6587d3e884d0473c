-- The owner of a captured table took its writes out of the change log,
-- silently, by disabling dataeng's capture triggers (ALTER TABLE ...
-- DISABLE TRIGGER ALL, USER or by name, ENABLE REPLICA TRIGGER), dropping
-- them, putting a function of its own in their place (CREATE OR
-- REPLACE TRIGGER), tying one to an extension it then dropped (ALTER
-- TRIGGER ... DEPENDS ON EXTENSION), renaming one (made again by name,
-- the renamed one kept firing: each INSERT recorded twice) or disabling
-- one in a statement that changed search_path before it ended: another
-- role's fact kept the rows deleted meanwhile,
-- where cdc_disable() is refused while a fact reads the table.  These
-- are refused now (55000) unless the role is a superuser (a data-only
-- restore with --disable-triggers) or dataeng's owner.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_cd_src;
CREATE ROLE regress_cd_fact;
CREATE SCHEMA cd AUTHORIZATION regress_cd_src;
CREATE SCHEMA cd_decoy AUTHORIZATION regress_cd_src;
GRANT USAGE, CREATE ON SCHEMA cd TO regress_cd_fact;
-- (it may create trusted extensions)
DO $$ BEGIN EXECUTE format('GRANT CREATE ON DATABASE %I TO regress_cd_src', current_database()); END $$;

SET ROLE regress_cd_src;
CREATE TABLE cd.sales (id int PRIMARY KEY, t timestamptz NOT NULL, amount int);
INSERT INTO cd.sales VALUES (1, '2026-01-01', 10), (2, '2026-01-01', 20);
SELECT dataeng.cdc_enable('cd.sales') IS NOT NULL AS enabled;
GRANT SELECT, UPDATE ON cd.sales TO regress_cd_fact;
CREATE TABLE cd.parted (id int, t timestamptz NOT NULL) PARTITION BY RANGE (id);
CREATE TABLE cd.parted_1 PARTITION OF cd.parted FOR VALUES FROM (0) TO (100);
SELECT dataeng.cdc_enable('cd.parted') IS NOT NULL AS enabled;
CREATE FUNCTION cd.nothing() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER mine AFTER INSERT ON cd.sales FOR EACH ROW EXECUTE FUNCTION cd.nothing();

SET ROLE regress_cd_fact;
SELECT dataeng.fact_create('cd.daily', 'cd.sales', 't', 'day', ARRAY[]::text[], ARRAY['sum(amount)'],
                           schedule => NULL);

-- the source's owner tries to stop the capture
SET ROLE regress_cd_src;
ALTER TABLE cd.sales DISABLE TRIGGER ALL;
ALTER TABLE cd.sales DISABLE TRIGGER USER;
ALTER TABLE cd.sales DISABLE TRIGGER dataeng_capture_delete;
ALTER TABLE cd.sales ENABLE REPLICA TRIGGER dataeng_capture_delete;
ALTER TABLE cd.parted DISABLE TRIGGER ALL;
DROP TRIGGER dataeng_capture_delete ON cd.sales;
ALTER TABLE cd.parted_1 DISABLE TRIGGER dataeng_capture_truncate;
CREATE OR REPLACE TRIGGER dataeng_capture_delete AFTER DELETE ON cd.sales
  FOR EACH ROW EXECUTE FUNCTION cd.nothing();
-- nor rename one: dataeng makes its triggers again by name (cdc_enable()
-- again, a column of the options renamed), and the renamed one was left
-- firing beside the new one
ALTER TRIGGER dataeng_capture_insert ON cd.sales RENAME TO dataeng_capture_insert_kept;
SELECT dataeng.cdc_enable('cd.sales') IS NOT NULL AS enabled;
-- nor make one go with an extension of its own: DROP EXTENSION dropped
-- the trigger, no DROP TRIGGER said
CREATE EXTENSION fuzzystrmatch SCHEMA cd;
ALTER TRIGGER dataeng_capture_delete ON cd.sales DEPENDS ON EXTENSION fuzzystrmatch;
DROP EXTENSION fuzzystrmatch;
-- (both were allowed: the DELETE below went unrecorded, the INSERT was
-- recorded twice, and the fact summed 40 where the table holds 25)
-- (its own triggers stay its own)
ALTER TABLE cd.sales DISABLE TRIGGER mine;
ALTER TABLE cd.sales ENABLE TRIGGER ALL;
ALTER TABLE cd.sales ENABLE ALWAYS TRIGGER dataeng_capture_update;
ALTER TABLE cd.sales ENABLE TRIGGER dataeng_capture_update;
DROP TRIGGER mine ON cd.sales;
-- nor disable one by a statement that changes search_path before it ends
-- (a CHECK constraint's function): the check looked the table's name up
-- again after the statement, found another table, and the capture
-- trigger stayed disabled
CREATE TABLE cd_decoy.sales (id int);
CREATE FUNCTION cd.to_decoy(int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'cd_decoy', false);
  RETURN true;
END $$;
SET search_path = cd;
ALTER TABLE sales DISABLE TRIGGER dataeng_capture_delete, ADD CONSTRAINT to_decoy CHECK (cd.to_decoy(id));
RESET search_path;
SELECT tgname, tgenabled, tgfoid::regproc FROM pg_trigger
 WHERE tgrelid IN ('cd.sales'::regclass, 'cd.parted_1'::regclass) AND NOT tgisinternal ORDER BY 1, 3;
DELETE FROM cd.sales WHERE id = 1;
INSERT INTO cd.sales VALUES (3, '2026-01-01', 5);

SET ROLE regress_cd_fact;
SELECT dataeng.fact_refresh('cd.daily');
SELECT sum_amount, (SELECT sum(amount) FROM cd.sales) AS table_sum FROM cd.daily;

-- a superuser may (a data-only restore disables them, then enables them)
RESET ROLE;
ALTER TABLE cd.sales DISABLE TRIGGER ALL;
ALTER TABLE cd.sales ENABLE TRIGGER ALL;

SET ROLE regress_cd_fact;
SELECT dataeng.fact_drop('cd.daily');
SET ROLE regress_cd_src;
SELECT dataeng.cdc_disable('cd.sales');
SELECT dataeng.cdc_disable('cd.parted');
RESET ROLE;
DROP SCHEMA cd CASCADE;
DROP SCHEMA cd_decoy CASCADE;
DO $$ BEGIN EXECUTE format('REVOKE CREATE ON DATABASE %I FROM regress_cd_src', current_database()); END $$;
DROP ROLE regress_cd_src;
DROP ROLE regress_cd_fact;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
