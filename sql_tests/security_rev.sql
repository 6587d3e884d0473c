-- Security review of the measure expressions, the initial snapshot and the
-- events reader: what a plain role (sr_attacker) can make run as whom.
CREATE EXTENSION dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE sr_attacker LOGIN;
CREATE SCHEMA sr_attacker AUTHORIZATION sr_attacker;

-------------------------------------------------------------------------------
-- A measure's text is analysed again when a definition is written, by the
-- body of an entry point: analysing a literal of an array of a domain runs
-- the domain's CHECK (array_in calls domain_in).  That must run as the
-- fact's owner, never as the body's owner.
-------------------------------------------------------------------------------
SET ROLE sr_attacker;
CREATE TABLE sr_attacker.log (who text, su boolean);
CREATE FUNCTION sr_attacker.spy(v int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO sr_attacker.log
    SELECT current_user, r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user;
  RETURN true;
END;
$$;
CREATE DOMAIN sr_attacker.d AS int CHECK (sr_attacker.spy(VALUE));
CREATE TABLE sr_attacker.src (id int PRIMARY KEY, at timestamptz NOT NULL, amount int);
SELECT dataeng.cdc_enable('sr_attacker.src');
INSERT INTO sr_attacker.src VALUES (1, '2026-01-01 10:00', 5);
SELECT dataeng.fact_create('sr_f', 'sr_attacker.src', 'at', 'day', '{}',
         ARRAY['sum(amount) FILTER (WHERE ''{1}''::sr_attacker.d[] IS NOT NULL) AS s'],
         schedule => NULL);
-- every evaluation ran as the attacker, never as a superuser
SELECT who, su, count(*) > 0 AS ran FROM sr_attacker.log GROUP BY 1, 2 ORDER BY 1, 2;
RESET ROLE;

-- the parser analyses only as a role the caller has the rights of
CREATE ROLE sr_other;
SET ROLE sr_attacker;
SELECT agg FROM dataeng_internal._fact_measure_parse('sr_attacker.src', 'count(*)', 'sr_other');
SELECT agg, name FROM dataeng_internal._fact_measure_parse('sr_attacker.src', 'count(*)', 'sr_attacker');
-- a refresh by a superuser analyses and evaluates the measure as the owner
TRUNCATE sr_attacker.log;
INSERT INTO sr_attacker.src VALUES (2, '2026-01-01 11:00', 7);
RESET ROLE;
SELECT dataeng.fact_refresh('sr_f') AS changes_applied;
SELECT who, su, count(*) > 0 AS ran FROM sr_attacker.log GROUP BY 1, 2 ORDER BY 1, 2;
SELECT bucket, s FROM sr_attacker.sr_f ORDER BY 1;

SET ROLE sr_attacker;
SELECT dataeng.fact_drop('sr_f');
SELECT dataeng.cdc_disable('sr_attacker.src');
RESET ROLE;
DROP SCHEMA sr_attacker CASCADE;
DROP ROLE sr_attacker, sr_other;
DROP EXTENSION dataeng;
