-- The C applies of a fact refresh read their input from a table the
-- refresh names (dataeng_internal._fact_apply(): its group deltas;
-- dataeng_internal._fact_side_apply(): a count(DISTINCT) measure's value
-- changes), passed by oid.  Called directly, they read it only for a role
-- that may read it with a query: SELECT on it and USAGE on its schema.
-- Without USAGE a role cannot name the table in SQL; it could still pass
-- its oid, and copied another role's rows into a table of its own.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never
CREATE ROLE sar_victim;
CREATE ROLE sar_mallory;
CREATE SCHEMA sar_hidden AUTHORIZATION sar_victim;
CREATE SCHEMA sar_m AUTHORIZATION sar_mallory;

-- the victim's table: SELECT granted to the attacker, but not its schema
SET ROLE sar_victim;
CREATE TABLE sar_hidden.secret (bucket date NOT NULL, g text NOT NULL, __rows bigint, is_total boolean,
                                __m int, __n bigint, __v1 text);
INSERT INTO sar_hidden.secret VALUES ('2025-01-01', 'salary of bob: 250000', 1, false, 1, 1, 'pin 4711');
GRANT SELECT ON sar_hidden.secret TO sar_mallory;
RESET ROLE;
SELECT 'sar_hidden.secret'::regclass::oid AS secret_oid \gset

SET ROLE sar_mallory;
-- a query cannot read it
SELECT count(*) FROM sar_hidden.secret;

-- 1. _fact_apply(): the rows of the deltas go into a table of the caller
CREATE TABLE sar_m.loot (bucket date NOT NULL, g text NOT NULL, __rows bigint NOT NULL, PRIMARY KEY (bucket, g));
SELECT dataeng_internal._fact_apply('sar_m.loot', :secret_oid, ARRAY['bucket', 'g'], ARRAY['bucket', 'g'],
                                    '{}', '{}', '{}', '{}', '{}', '{}');
SELECT * FROM sar_m.loot;

-- 2. _fact_side_apply(): the value changes go into a side table of the caller
CREATE TABLE sar_m.side (bucket date, g text, __m int NOT NULL, __n bytea NOT NULL, __v1 text, __a1 text[]);
CREATE UNIQUE INDEX ON sar_m.side (bucket, g, __v1) WHERE __m = 1;
SELECT * FROM dataeng_internal._fact_side_apply('sar_m.side', 1, :secret_oid)
  AS a(__tid tid, bucket date, g text, __m int, __n bigint, __ins boolean);
SELECT * FROM sar_m.side;

-- with USAGE on the schema the role may read the table anyway: the applies
-- read it too
RESET ROLE;
GRANT USAGE ON SCHEMA sar_hidden TO sar_mallory;
SET ROLE sar_mallory;
SELECT dataeng_internal._fact_apply('sar_m.loot', 'sar_hidden.secret', ARRAY['bucket', 'g'], ARRAY['bucket', 'g'],
                                    '{}', '{}', '{}', '{}', '{}', '{}') AS why_not;
SELECT * FROM sar_m.loot;
SELECT __m, __n, __ins FROM dataeng_internal._fact_side_apply('sar_m.side', 1, 'sar_hidden.secret')
  AS a(__tid tid, bucket date, g text, __m int, __n bigint, __ins boolean);
SELECT bucket, g, __m, dataeng_internal._fact_side_counts(__n) AS __n, __v1, __a1 FROM sar_m.side;

-- a refresh passes its own temporary table: USAGE on the session's
-- temporary schema is always there
CREATE TEMP TABLE sar_deltas (bucket date, g text, __rows bigint, is_total boolean);
INSERT INTO sar_deltas VALUES ('2025-01-02', 'mine', 2, false), (NULL, NULL, 2, true);
SELECT dataeng_internal._fact_apply('sar_m.loot', 'sar_deltas', ARRAY['bucket', 'g'], ARRAY['bucket', 'g'],
                                    '{}', '{}', '{}', '{}', '{}', '{}') AS why_not;
SELECT * FROM sar_m.loot ORDER BY bucket;
DROP TABLE sar_deltas;
RESET ROLE;

DROP SCHEMA sar_m CASCADE;
DROP SCHEMA sar_hidden CASCADE;
DROP ROLE sar_mallory;
DROP ROLE sar_victim;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
