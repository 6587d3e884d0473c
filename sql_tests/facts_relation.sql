-- What a user sees of a fact: its name is a view of exactly the bucket, the
-- dimensions and the measures, in that order; the rows with their
-- bookkeeping columns (__rows, __nn_*, __sum_*, __cnt_*) and the key the
-- refresh merges on live in the storage table <fact>_data beside it, which
-- every write (refresh by either path, rebuild, backfill, TRUNCATE of the
-- source) targets.  A name whose storage name is taken is refused; grants
-- on the fact are enough to read it; fact_drop drops both, and a fact whose
-- view or storage table was dropped by hand behaves sensibly.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE fr_owner LOGIN;
CREATE ROLE fr_reader LOGIN;
CREATE SCHEMA fr AUTHORIZATION fr_owner;
GRANT USAGE ON SCHEMA fr TO fr_reader;
-- (the owner creates nothing in the internal schema)
SELECT has_schema_privilege('fr_owner', 'dataeng_internal', 'CREATE') AS owner_creates_internals;

SET ROLE fr_owner;
CREATE TABLE fr.orders (id int PRIMARY KEY, at timestamptz NOT NULL, region text, amount numeric, qty int);
INSERT INTO fr.orders
SELECT g, timestamptz '2026-03-01' + (g % 5) * interval '1 day' + g * interval '1 minute',
       CASE WHEN g % 7 = 0 THEN NULL ELSE 'r' || g % 3 END, g * 1.5, g % 4
  FROM generate_series(1, 60) g;
SELECT dataeng.fact_create('fr.sales_daily', 'fr.orders', 'at', 'day', ARRAY['region'],
                           ARRAY['count(*)', 'sum(amount)', 'avg(qty)', 'min(amount)', 'count(qty) FILTER (WHERE qty > 1) AS big'],
                           schedule => NULL) AS fact;

-------------------------------------------------------------------------------
-- The fact: a view of the bucket, the dimensions and the measures
-------------------------------------------------------------------------------
SELECT c.relkind, pg_get_userbyid(c.relowner) AS owner FROM pg_class c WHERE c.oid = 'fr.sales_daily'::regclass;
SELECT a.attnum, a.attname, format_type(a.atttypid, a.atttypmod) AS type
  FROM pg_attribute a WHERE a.attrelid = 'fr.sales_daily'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT column_name FROM information_schema.columns
 WHERE table_schema = 'fr' AND table_name = 'sales_daily' ORDER BY ordinal_position;
SELECT count(*) AS bookkeeping_columns FROM information_schema.columns
 WHERE table_schema = 'fr' AND table_name = 'sales_daily' AND column_name LIKE '\_\_%';
\d fr.sales_daily
-- the storage table: the same rows, their bookkeeping and the refresh's key
\d fr.sales_daily_data
SELECT obj_description('fr.sales_daily'::regclass, 'pg_class') AS fact_comment,
       obj_description('fr.sales_daily_data'::regclass, 'pg_class') AS storage_comment;
-- dataeng.facts names the view; the definition records the storage table
SELECT name, "table" FROM dataeng.facts;
SELECT fact_table, storage_table FROM dataeng_internal.fact_defs;

-- rows of the fact not in its GROUP BY and the other way round (0: equal),
-- and the storage's row counts against the source's
CREATE FUNCTION fr.diff() RETURNS TABLE (diff bigint, rows_kept numeric, source_rows bigint) LANGUAGE sql AS $$
  WITH truth AS (
    SELECT date_trunc('day', at) AS bucket, region, count(*) AS count, sum(amount) AS sum_amount,
           avg(qty) AS avg_qty, min(amount) AS min_amount, count(qty) FILTER (WHERE qty > 1) AS big
      FROM fr.orders GROUP BY 1, 2)
  SELECT (SELECT count(*) FROM ((SELECT * FROM fr.sales_daily EXCEPT ALL SELECT * FROM truth)
                                UNION ALL (SELECT * FROM truth EXCEPT ALL SELECT * FROM fr.sales_daily)) d),
         (SELECT sum(__rows) FROM fr.sales_daily_data),
         (SELECT count(*) FROM fr.orders)
$$;
SELECT * FROM fr.sales_daily ORDER BY bucket, region LIMIT 4;
SELECT * FROM fr.diff();

-------------------------------------------------------------------------------
-- Every write goes to the storage table
-------------------------------------------------------------------------------
-- a refresh by the delta path (MERGE, then the recompute of min)
UPDATE fr.orders SET amount = amount - 100, region = 'moved' WHERE id % 6 = 1;
DELETE FROM fr.orders WHERE id % 10 = 3;
INSERT INTO fr.orders VALUES (101, '2026-03-02 10:00+00', 'r9', 7, 3), (102, '2026-03-09 10:00+00', NULL, 8, 0);
SET dataeng.fact_refresh_path = 'delta';
SELECT dataeng.fact_refresh('fr.sales_daily') AS changes;
SELECT last_refresh_path FROM dataeng.facts;
SELECT * FROM fr.diff();
-- by the buckets path (the touched buckets re-aggregated)
UPDATE fr.orders SET qty = qty + 2 WHERE id % 4 = 0;
INSERT INTO fr.orders VALUES (103, '2026-03-03 11:00+00', 'r1', 1, 9);
SET dataeng.fact_refresh_path = 'buckets';
SELECT dataeng.fact_refresh('fr.sales_daily') AS changes;
SELECT last_refresh_path ~ '^buckets' AS buckets_path FROM dataeng.facts;
SELECT * FROM fr.diff();
RESET dataeng.fact_refresh_path;
-- a TRUNCATE of the source: the fact is rebuilt
TRUNCATE fr.orders;
INSERT INTO fr.orders VALUES (1, '2026-04-01 08:00+00', 'r1', 10, 2), (2, '2026-04-01 09:00+00', 'r1', 20, 3);
SELECT dataeng.fact_refresh('fr.sales_daily') AS changes;
SELECT last_refresh_path FROM dataeng.facts;
SELECT * FROM fr.sales_daily;
SELECT * FROM fr.diff();
-- fact_rebuild
INSERT INTO fr.orders VALUES (3, '2026-04-02 08:00+00', 'r2', 5, 1);
SELECT dataeng.fact_rebuild('fr.sales_daily') AS skipped;
SELECT * FROM fr.diff();
-- a backfill (backfill => 'later') fills the storage table in batches
SELECT dataeng.fact_create('fr.later', 'fr.orders', 'at', 'day', '{}', ARRAY['count(*)', 'sum(amount)'],
                           schedule => NULL, backfill => 'later') AS fact;
SELECT count(*) AS rows_before FROM fr.later;
CALL dataeng.fact_backfill('fr.later', '1 day');
SELECT * FROM fr.later ORDER BY bucket;
SELECT bucket, count, sum_amount, __rows, __nn_sum_amount FROM fr.later_data ORDER BY bucket;

-------------------------------------------------------------------------------
-- The storage name is checked at creation
-------------------------------------------------------------------------------
CREATE TABLE fr.taken_data (x int);
SELECT dataeng.fact_create('fr.taken', 'fr.orders', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL);
SELECT to_regclass('fr.taken') AS taken, (SELECT count(*) FROM dataeng.facts WHERE name = 'fr.taken') AS defs;
-- a fact's storage table is a relation like any other: its name is taken
SELECT dataeng.fact_create('fr.sales_daily_data', 'fr.orders', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL);
-- a name of 63 bytes: the storage name is cut to fit, as PostgreSQL cuts
-- the names it derives
SELECT dataeng.fact_create('fr.' || repeat('é', 31) || 'x', 'fr.orders', 'at', 'day', '{}', ARRAY['count(*)'],
                           schedule => NULL) AS fact;
SELECT octet_length(c.relname) AS storage_bytes, c.relname = repeat('é', 29) || '_data' AS cut
  FROM dataeng_internal.fact_defs d JOIN pg_class c ON c.oid = d.storage_table WHERE d.name LIKE 'fr."%';
SELECT dataeng.fact_drop(name) FROM dataeng.facts WHERE name LIKE 'fr."%';
-- a definition whose storage table is not the owner's table named after
-- its view is refused
DROP TABLE fr.taken_data;
CREATE VIEW fr.forged AS SELECT 1 AS one;
SELECT dataeng_internal._fact_def_write('insert',
  ROW('fr.forged', 'fr.forged', 'fr_owner', 'fr.orders', 'at', 'day', 'UTC', '{}', '{count(*)}',
      '[{"agg": "count_star", "name": "count", "text": "count(*)", "mode": "delta", "float": false}]',
      'fact:fr.forged', NULL, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, 'fr.sales_daily_data', false, false, NULL, NULL, NULL)::dataeng_internal.fact_defs, 0);
SELECT count(*) AS forged_defs FROM dataeng.facts WHERE name = 'fr.forged';
DROP VIEW fr.forged;

-------------------------------------------------------------------------------
-- Grants: SELECT on the fact is enough to read it (the view reads its
-- storage table with its owner's rights); the storage table stays private
-------------------------------------------------------------------------------
GRANT SELECT ON fr.sales_daily TO fr_reader;
RESET ROLE;
SET ROLE fr_reader;
SELECT bucket, region, count, sum_amount FROM fr.sales_daily ORDER BY bucket, region;
SELECT * FROM fr.sales_daily_data;
SELECT * FROM fr.later;
RESET ROLE;

-------------------------------------------------------------------------------
-- Dropping
-------------------------------------------------------------------------------
SET ROLE fr_owner;
-- the fact is not a table, and its storage table cannot go alone
DROP TABLE fr.sales_daily;
DROP TABLE fr.sales_daily_data;
-- the view dropped alone: the fact is dropped with it, as fact_drop does
-- (storage table, consumer, job, definition)
SELECT dataeng.fact_create('fr.weekly', 'fr.orders', 'at', 'week', '{}', ARRAY['count(*)'], schedule => '@yearly') AS fact;
DROP VIEW fr.later;
SELECT to_regclass('fr.later') AS fact, to_regclass('fr.later_data') AS storage,
       (SELECT count(*) FROM dataeng.facts WHERE name = 'fr.later') AS defs,
       (SELECT count(*) FROM dataeng.cdc_consumers WHERE name = 'fact:fr.later') AS consumers;
-- so is one whose storage table is dropped with CASCADE, and one dropped
-- by a superuser (the work runs as its owner)
DROP TABLE fr.sales_daily_data CASCADE;
RESET ROLE;
DROP VIEW fr.weekly;
SELECT name FROM dataeng_internal.fact_defs ORDER BY name;
SELECT count(*) AS consumers FROM dataeng.cdc_consumers WHERE name LIKE 'fact:%';
SELECT count(*) AS jobs FROM dataeng.jobs WHERE job_name LIKE 'fact_refresh:%';
SELECT to_regclass('fr.sales_daily') AS fact, to_regclass('fr.weekly_data') AS storage;
-- without the event trigger (disabled by a superuser), a fact whose view
-- was dropped is still refreshed into its storage table, one whose
-- storage table was dropped says so, and fact_drop removes the rest
ALTER EVENT TRIGGER dataeng_fact_on_drop DISABLE;
SET ROLE fr_owner;
SELECT dataeng.fact_create('fr.kept', 'fr.orders', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL) AS fact;
SELECT dataeng.fact_create('fr.lost', 'fr.orders', 'at', 'day', '{}', ARRAY['count(*)'], schedule => NULL) AS fact;
DROP VIEW fr.kept;
DROP TABLE fr.lost_data CASCADE;
INSERT INTO fr.orders VALUES (4, '2026-04-03 08:00+00', 'r2', 5, 1);
SELECT dataeng.fact_refresh('fr.kept') AS changes;
SELECT bucket, count, __rows FROM fr.kept_data ORDER BY bucket;
SELECT dataeng.fact_refresh('fr.lost');
SELECT dataeng.fact_drop('fr.kept'), dataeng.fact_drop('fr.lost');
SELECT to_regclass('fr.kept_data') AS storage, count(*) AS facts,
       (SELECT count(*) FROM dataeng.cdc_consumers WHERE name LIKE 'fact:%') AS consumers
  FROM dataeng.facts;
RESET ROLE;
ALTER EVENT TRIGGER dataeng_fact_on_drop ENABLE;
SET ROLE fr_owner;
-- fact_drop drops the view and its storage table
SELECT dataeng.fact_create('fr.again', 'fr.orders', 'at', 'day', '{region}', ARRAY['count(*)'], schedule => NULL) AS fact;
SELECT dataeng.fact_drop('fr.again');
SELECT to_regclass('fr.again') AS fact, to_regclass('fr.again_data') AS storage;
RESET ROLE;

DROP SCHEMA fr CASCADE;
DROP ROLE fr_owner, fr_reader;
DROP EXTENSION dataeng CASCADE;
