-- A consumer (and so a fact or dimension) created while the WAL worker has
-- not yet recorded changes committed before its creation: those records
-- reach the log after the consumer's first tick, so it received them (a
-- fact, which loads its source's rows at creation, counted them twice).
-- The creation now waits for the worker first.  The worker is made to
-- sleep between rounds, so that it lags behind the writes below.
SET client_min_messages = warning;
SET TimeZone = 'UTC';
CREATE EXTENSION dataeng;
ALTER SYSTEM SET dataeng.wal_naptime = '2s';
SELECT pg_reload_conf();

CREATE TABLE cs_w (id int PRIMARY KEY, ts timestamptz NOT NULL, region text);
SELECT dataeng.cdc_enable('cs_w', method => 'wal');
SELECT dataeng.cdc_wal_sync();

-- a consumer created right after a commit receives none of its changes
INSERT INTO cs_w SELECT g, '2026-03-01 00:00+00', 'r' || (g % 3) FROM generate_series(1, 3000) g;
SELECT dataeng.cdc_consumer_create('cs_mid', '{cs_w}');
-- (so does a consumer of all tables)
SELECT dataeng.cdc_consumer_create('cs_all');
INSERT INTO cs_w VALUES (0, '2026-03-02 00:00+00', 'after');
SELECT dataeng.cdc_wal_sync();
SELECT c.name, count(*) AS delivered, min(p.new_row->>'region') AS region
  FROM (VALUES ('cs_mid'), ('cs_all')) c(name), LATERAL dataeng.cdc_poll(c.name, 100000) p
 GROUP BY 1 ORDER BY 1;

-- a fact created right after a commit counts each row once
INSERT INTO cs_w SELECT g, '2026-03-01 00:00+00', 'r' || (g % 3) FROM generate_series(3001, 6000) g;
SELECT dataeng.fact_create('cs_daily', 'cs_w', 'ts', 'day', ARRAY['region'], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_refresh('cs_daily') AS refreshed;
SELECT f.region, f.count AS fact, t.count AS source
  FROM cs_daily f FULL JOIN (SELECT region, count(*) FROM cs_w GROUP BY 1) t USING (region)
 ORDER BY 1;

-- a creation in a REPEATABLE READ transaction does not wait (waiting
-- takes READ COMMITTED; such a consumer may receive the records the
-- worker writes afterwards, as documented)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataeng.cdc_consumer_create('cs_rr', '{cs_w}');
COMMIT;

-- a rebuild right after a commit counts each row once (it reads the
-- whole source: the worker records what was committed before first)
INSERT INTO cs_w SELECT g, '2026-03-03 00:00+00', 'r' || (g % 3) FROM generate_series(6001, 9000) g;
SELECT dataeng.fact_rebuild('cs_daily') IS NOT NULL AS rebuilt;
SELECT dataeng.cdc_wal_sync();
SELECT dataeng.fact_refresh('cs_daily') AS refreshed;
SELECT f.region, f.count AS fact, t.count AS source
  FROM (SELECT region, sum(count) AS count FROM cs_daily GROUP BY 1) f
  FULL JOIN (SELECT region, count(*) FROM cs_w GROUP BY 1) t USING (region)
 ORDER BY 1;

SELECT dataeng.fact_drop('cs_daily');

-- the same for a role of its own, which may not read the capture settings
-- (dataeng.cdc_tables)
CREATE ROLE cs_owner;
GRANT CREATE ON SCHEMA public TO cs_owner;
SET ROLE cs_owner;
CREATE TABLE cs_o (id int PRIMARY KEY, ts timestamptz NOT NULL, region text);
RESET ROLE;
SELECT dataeng.cdc_enable('cs_o', method => 'wal');
SELECT dataeng.cdc_wal_sync();
SET ROLE cs_owner;
INSERT INTO cs_o SELECT g, '2026-03-01 00:00+00', 'r' || (g % 2) FROM generate_series(1, 2000) g;
SELECT dataeng.fact_create('cs_o_daily', 'cs_o', 'ts', 'day', ARRAY['region'], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
INSERT INTO cs_o SELECT g, '2026-03-02 00:00+00', 'r' || (g % 2) FROM generate_series(2001, 4000) g;
SELECT dataeng.fact_rebuild('cs_o_daily') IS NOT NULL AS rebuilt;
RESET ROLE;
SELECT dataeng.cdc_wal_sync();
SET ROLE cs_owner;
SELECT dataeng.fact_refresh('cs_o_daily') AS refreshed;
SELECT f.region, f.count AS fact, t.count AS source
  FROM (SELECT region, sum(count) AS count FROM cs_o_daily GROUP BY 1) f
  FULL JOIN (SELECT region, count(*) FROM cs_o GROUP BY 1) t USING (region)
 ORDER BY 1;
-- (the wait answers only for a table the role may read)
CREATE TABLE cs_o_private (id int);
RESET ROLE;
CREATE TABLE cs_secret (id int);
SET ROLE cs_owner;
SELECT dataeng_internal._agg_wal_caught_up('cs_secret');
SELECT dataeng.fact_drop('cs_o_daily');
DROP TABLE cs_o, cs_o_private;
RESET ROLE;
DROP TABLE cs_secret;
REVOKE CREATE ON SCHEMA public FROM cs_owner;
DROP ROLE cs_owner;

-- an on_change handler (run by the worker) creating a consumer and
-- disabling a table does not wait for the worker's own round
CREATE TABLE cs_h (id int PRIMARY KEY);
CREATE TABLE cs_done (what text);
SELECT dataeng.cdc_enable('cs_h', method => 'wal');
CREATE FUNCTION cs_handler(c dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dataeng.cdc_consumer_create('cs_from_handler', '{public.cs_w}');
  PERFORM dataeng.cdc_disable('public.cs_w');
  INSERT INTO public.cs_done VALUES ('handled');
END $$;
SELECT dataeng.on_change('cs_t', 'cs_h', 'cs_handler(dataeng.change[])');
SELECT dataeng.cdc_wal_sync();
INSERT INTO cs_h VALUES (1);
SELECT dataeng.cdc_wal_sync();
SELECT what FROM cs_done;
SELECT count(*) AS dead_letters FROM dataeng.on_change_dead_letters;
SELECT count(*) AS cs_w_captured FROM dataeng.cdc_tables WHERE table_name = 'cs_w'::regclass;
SELECT dataeng.on_change_drop('cs_t');
ALTER SYSTEM RESET dataeng.wal_naptime;
SELECT pg_reload_conf();
SELECT dataeng.cdc_disable('cs_h');
SELECT dataeng.cdc_wal_sync();
DROP EXTENSION dataeng CASCADE;
