-- dataeng_internal._fact_side_apply() writes a fact's count(DISTINCT) side
-- table with heap writes, which compute no default or generated column and
-- check no CHECK constraint, rule, trigger or policy.  It writes only a
-- side table its caller owns, and only one exactly as _fact_side_create()
-- made it; any other goes through SQL (or fails clearly).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
\set SHOW_CONTEXT never
SET TimeZone = 'UTC';
CREATE ROLE ssa_victim;
CREATE ROLE ssa_mallory;
CREATE SCHEMA ssa_v AUTHORIZATION ssa_victim;
CREATE SCHEMA ssa_m AUTHORIZATION ssa_mallory;
GRANT USAGE ON SCHEMA ssa_v TO ssa_mallory;

-- 1. a role granted SELECT, INSERT, UPDATE, DELETE on another role's table
--    may not write it through _fact_side_apply()
SET ROLE ssa_victim;
CREATE TABLE ssa_v.ledger (g text, __m int, __n bytea CHECK (length(__n) < 100), __v1 int, __a1 int[],
  note text NOT NULL DEFAULT 'default-note', doubled bigint GENERATED ALWAYS AS (get_byte(__n, 0) * 2) STORED,
  who text NOT NULL DEFAULT current_user);
CREATE UNIQUE INDEX ON ssa_v.ledger (g, __v1) WHERE __m = 1;
INSERT INTO ssa_v.ledger (g, __m, __n, __v1, __a1) VALUES ('a', 1, '\x05', 1, '{1}');
GRANT SELECT, INSERT, UPDATE, DELETE ON ssa_v.ledger TO ssa_mallory;
SET ROLE ssa_mallory;
CREATE TABLE ssa_m.chg (g text, __v1 int, __m int, __n bigint);
INSERT INTO ssa_m.chg VALUES ('a', 1, 1, 500), ('b', 2, 1, 1000), ('c', 3, 1, 7);
SELECT * FROM dataeng_internal._fact_side_apply('ssa_v.ledger', 1, 'ssa_m.chg')
  AS a(__tid tid, g text, __m int, __n bigint, __ins boolean);
\echo :LAST_ERROR_SQLSTATE
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.ledger', 1) AS reason;
-- the ledger as the victim left it
SELECT g, __m, __n, __v1, __a1, note, doubled, who FROM ssa_v.ledger ORDER BY g;

-- 2. its owner neither: the table is not what the extension makes
SET ROLE ssa_victim;
CREATE TABLE ssa_v.chg (g text, __v1 int, __m int, __n bigint);
INSERT INTO ssa_v.chg VALUES ('a', 1, 1, 500), ('b', 2, 1, 1000);
SELECT * FROM dataeng_internal._fact_side_apply('ssa_v.ledger', 1, 'ssa_v.chg')
  AS a(__tid tid, g text, __m int, __n bigint, __ins boolean);
\echo :LAST_ERROR_SQLSTATE
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.ledger', 1) AS reason;
SELECT g, __m, __n, __v1, __a1, note, doubled, who FROM ssa_v.ledger ORDER BY g;

-- 3. a fact's own side table, altered by its owner: the refresh takes
--    SQL, which fills the defaults and checks the constraints
CREATE TABLE ssa_v.src (id int PRIMARY KEY, at timestamptz NOT NULL, g text, v int);
INSERT INTO ssa_v.src VALUES (1, '2025-04-01', 'x', 1), (2, '2025-04-01', 'x', 2);
SELECT dataeng.fact_create('ssa_v.f', 'ssa_v.src', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'count(DISTINCT v)'], schedule => NULL) IS NOT NULL AS created;
SET dataeng.fact_refresh_path = 'delta';
-- as made: the C path
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.f_distinct', 2) AS reason;
SELECT CASE WHEN s LIKE '%_fact_side_apply(%' THEN 'C' ELSE 'SQL' END AS applied_by
  FROM dataeng_internal.fact_defs d, dataeng_internal._fact_side_upsert_sql(d, 'ssa_v.f_distinct', 2) s
 WHERE d.name = 'ssa_v.f';
ALTER TABLE ssa_v.f_distinct ADD COLUMN extra text NOT NULL DEFAULT 'd';
ALTER TABLE ssa_v.f_distinct ADD CONSTRAINT small CHECK (2 > ALL (dataeng_internal._fact_side_counts(__n)));
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.f_distinct', 2) AS reason;
SELECT CASE WHEN s LIKE '%_fact_side_apply(%' THEN 'C' ELSE 'SQL' END AS applied_by
  FROM dataeng_internal.fact_defs d, dataeng_internal._fact_side_upsert_sql(d, 'ssa_v.f_distinct', 2) s
 WHERE d.name = 'ssa_v.f';
-- a second row of value 1 in group x (its count would be 2) and a new value 3
INSERT INTO ssa_v.src VALUES (3, '2025-04-01', 'x', 1), (4, '2025-04-01', 'x', 3);
SELECT dataeng.fact_refresh('ssa_v.f') IS NOT NULL AS refreshed;
\echo :LAST_ERROR_SQLSTATE
SELECT bucket, g, __m, dataeng_internal._fact_side_counts(__n) AS __n, __v2, __a2, extra FROM ssa_v.f_distinct ORDER BY __v2;
-- without the CHECK the refresh goes through, the new row with its default
ALTER TABLE ssa_v.f_distinct DROP CONSTRAINT small;
-- still SQL: the added column has a default
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.f_distinct', 2) AS reason;
SELECT dataeng.fact_refresh('ssa_v.f') IS NOT NULL AS refreshed;
SELECT bucket, g, __m, dataeng_internal._fact_side_counts(__n) AS __n, __v2, __a2, extra FROM ssa_v.f_distinct ORDER BY __v2;
SELECT bucket, g, count, count_distinct_v FROM ssa_v.f ORDER BY 1, 2;

-- 4. a rule on the side table: SQL cannot be used, a clear error
CREATE TABLE ssa_v.audit (n bytea);
CREATE RULE keep AS ON INSERT TO ssa_v.f_distinct DO ALSO INSERT INTO ssa_v.audit VALUES (NEW.__n);
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.f_distinct', 2) AS reason;
INSERT INTO ssa_v.src VALUES (5, '2025-04-01', 'x', 4);
SELECT dataeng.fact_refresh('ssa_v.f') IS NOT NULL AS refreshed;
\echo :LAST_ERROR_SQLSTATE
DROP RULE keep ON ssa_v.f_distinct;
SELECT dataeng.fact_refresh('ssa_v.f') IS NOT NULL AS refreshed;
SELECT bucket, g, count, count_distinct_v FROM ssa_v.f ORDER BY 1, 2;
SELECT count(*) AS audit_rows FROM ssa_v.audit;

-- a relation that does not exist as the changes (a number as regclass), a
-- side table of another access method's shape check, changes of another
-- length: errors, never a crash or a write
SET ROLE ssa_mallory;
CREATE TEMP TABLE ssa_t (bucket int, __m int NOT NULL, __n bytea NOT NULL, __v1 varchar(3), __a1 varchar(3)[]);
CREATE UNIQUE INDEX ON ssa_t (bucket, __v1) WHERE __m = 1;
SELECT * FROM dataeng_internal._fact_side_apply('ssa_t', 1, 4000000000::oid::regclass)
  AS a(__tid tid, bucket int, __m int, __n bigint, __ins boolean);
SELECT dataeng_internal._fact_side_apply_reason(4000000000::oid::regclass, 1) AS missing_side;
SELECT dataeng_internal._fact_side_apply_reason('ssa_v.f'::regclass, 1) AS not_owner;
CREATE TEMP TABLE ssa_c (bucket int, __v1 varchar, __m int, __n bigint);
INSERT INTO ssa_c VALUES (1, 'longer than three', 1, 1);
SELECT * FROM dataeng_internal._fact_side_apply('ssa_t', 1, 'ssa_c')
  AS a(__tid tid, bucket int, __m int, __n bigint, __ins boolean);
SELECT count(*) AS written FROM ssa_t;
DROP TABLE ssa_t, ssa_c;
RESET ROLE;
RESET dataeng.fact_refresh_path;
SELECT dataeng.fact_drop('ssa_v.f');
SET client_min_messages = warning;
DROP SCHEMA ssa_v CASCADE;
DROP SCHEMA ssa_m CASCADE;
DROP ROLE ssa_victim;
DROP ROLE ssa_mallory;
DROP EXTENSION dataeng CASCADE;
