-- Conventions every object of the extension follows, checked over the whole
-- catalog so that the next object added breaks the test, not a review:
-- a COMMENT on every function, aggregate, table and view of the extension
-- and on every column of its public tables and views; volatility and
-- parallel safety consistent with what the SQL bodies do (the reviewed
-- list of each function's declarations is in foundation.sql).
\set VERBOSITY terse
CREATE EXTENSION dataeng;

-- functions, procedures and aggregates without a comment (expect none)
SELECT p.oid::regprocedure AS uncommented_function
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataeng')
   AND obj_description(p.oid, 'pg_proc') IS NULL
 ORDER BY 1::text;

-- tables and views without a comment (expect none)
SELECT c.oid::regclass AS uncommented_relation, c.relkind
  FROM pg_depend d
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataeng')
   AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND obj_description(c.oid, 'pg_class') IS NULL
 ORDER BY 1::text;

-- columns of the public tables and views without a comment (expect none)
SELECT c.oid::regclass AS relation, a.attname AS uncommented_column
  FROM pg_depend d
  JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataeng')
   AND c.relnamespace = 'dataeng'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND col_description(c.oid, a.attnum) IS NULL
 ORDER BY 1::text, a.attnum;

-- The SQL and PL/pgSQL bodies, without comments and string literals (the
-- builders of generated SQL write statements as text, which runs elsewhere).
CREATE TEMP VIEW cc_bodies AS
SELECT p.oid, p.pronamespace::regnamespace::text AS nsp, p.proname, p.provolatile AS vol,
       p.proparallel AS par, l.lanname,
       regexp_replace(regexp_replace(p.prosrc, '--[^\n]*', '', 'g'),
                      '''([^'']|'''')*''', '''''', 'g') AS src
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace);

-- An IMMUTABLE function calls only IMMUTABLE functions of the extension,
-- and a PARALLEL SAFE one only PARALLEL SAFE ones (expect none).
SELECT DISTINCT a.oid::regprocedure::text AS caller, a.vol, a.par,
       b.nsp || '.' || b.proname AS callee, b.vol AS callee_vol, b.par AS callee_par
  FROM cc_bodies a
  JOIN cc_bodies b ON a.src ~ ('\m' || b.nsp || '\.' || b.proname || '\s*\(')
 WHERE a.lanname IN ('sql', 'plpgsql')
   AND ((a.vol = 'i' AND b.vol <> 'i') OR (a.par = 's' AND b.par <> 's'))
 ORDER BY 1, 4;

-- An IMMUTABLE function reads no table, view or catalog (expect none).
SELECT b.oid::regprocedure AS immutable_reading, m[1] AS relation
  FROM cc_bodies b,
       regexp_match(b.src, '\m(?:FROM|JOIN)\s+((?:dataeng\.|dataeng_internal\.|pg_catalog\.)?(?:pg_[a-z_]+|[a-z_]+s))\M(?!\s*\()', 'i') m
 WHERE b.lanname IN ('sql', 'plpgsql') AND b.vol = 'i' AND m IS NOT NULL
 ORDER BY 1::text;

-- A function that is not VOLATILE, or is PARALLEL SAFE, writes nothing and
-- runs no dynamic SQL (expect none).
SELECT b.oid::regprocedure AS declared_read_only, b.vol, b.par, m[1] AS statement
  FROM cc_bodies b,
       regexp_match(b.src, '\m(INSERT\s+INTO|UPDATE\s+\S+\s+SET|DELETE\s+FROM|TRUNCATE|CREATE|DROP|ALTER|nextval|setval|pg_advisory_\w*|EXECUTE)\M', 'i') m
 WHERE b.lanname IN ('sql', 'plpgsql') AND (b.vol <> 'v' OR b.par = 's') AND m IS NOT NULL
 ORDER BY 1::text;

-- The C functions declared IMMUTABLE are PARALLEL SAFE: pure validators,
-- normalizers and the state functions of aggregates (expect none).
SELECT p.oid::regprocedure AS immutable_not_parallel_safe
  FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace)
   AND l.lanname = 'c' AND p.provolatile = 'i' AND p.proparallel <> 's'
 ORDER BY 1::text;

DROP VIEW cc_bodies;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
