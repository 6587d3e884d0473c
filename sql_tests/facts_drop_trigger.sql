-- The event trigger dataeng_fact_on_drop drops a fact whose view was
-- dropped.  An ordinary role must not be able to make another role's drop
-- (a superuser's DROP ... CASCADE of its own table) fail through it: here
-- the owner makes the fact's view depend on the superuser's table and
-- puts a view of its own on the fact's storage table, which a plain
-- DROP TABLE of the storage (as fact_drop runs it) refuses to drop.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
CREATE ROLE rdt_alice;
CREATE SCHEMA rdt AUTHORIZATION rdt_alice;
CREATE TABLE rdt_admin (x int);
GRANT SELECT ON rdt_admin TO PUBLIC;

SET ROLE rdt_alice;
CREATE TABLE rdt.src (id int PRIMARY KEY, at timestamptz NOT NULL, g int NOT NULL);
INSERT INTO rdt.src VALUES (1, '2026-01-01', 1);
SELECT dataeng.fact_create('rdt.af', 'rdt.src', 'at', 'day', ARRAY['g'], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE OR REPLACE VIEW rdt.af AS
  SELECT s.bucket, s.g, s.count FROM rdt.af_data s
   WHERE NOT EXISTS (SELECT 1 FROM public.rdt_admin WHERE false);
CREATE VIEW rdt.blocker AS SELECT * FROM rdt.af_data;
RESET ROLE;

-- the superuser's drop of its own table succeeds (the fact's view goes
-- with it, as CASCADE says); the fact is left with its storage table
SET client_min_messages = warning;
DROP TABLE rdt_admin CASCADE;
SELECT to_regclass('public.rdt_admin') AS admin_table, to_regclass('rdt.af') AS view,
       to_regclass('rdt.af_data') AS storage;
SELECT name FROM dataeng_internal.fact_defs;

-- its owner drops it (the blocker first)
SET ROLE rdt_alice;
DROP VIEW rdt.blocker;
SELECT dataeng.fact_drop('rdt.af');
SELECT to_regclass('rdt.af_data') AS storage;
RESET ROLE;
SELECT count(*) AS facts FROM dataeng_internal.fact_defs;

-- the owner's own drop of the view still fails when the rest cannot go
SET ROLE rdt_alice;
SELECT dataeng.fact_create('rdt.bf', 'rdt.src', 'at', 'day', ARRAY['g'], ARRAY['count(*)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE VIEW rdt.blocker AS SELECT * FROM rdt.bf_data;
\set VERBOSITY terse
DROP VIEW rdt.bf;
\set VERBOSITY default
SELECT to_regclass('rdt.bf') AS view;
DROP VIEW rdt.blocker;
DROP VIEW rdt.bf;
SELECT to_regclass('rdt.bf_data') AS storage;
RESET ROLE;

DROP SCHEMA rdt CASCADE;
DROP ROLE rdt_alice;
DROP EXTENSION dataeng CASCADE;
