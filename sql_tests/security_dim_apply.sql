-- The apply path of dimension_refresh in C (dataeng_internal._dim_apply(),
-- src/aggregate/dimension.c) and what it must refuse or leave to the SQL:
--  * a direct call writes only a table the current role owns (the refresh
--    runs as the dimension's owner, who owns the dimension table): another
--    role's table, even one the caller may write, is refused (42501);
--  * a column of the dimension whose length or precision differs from the
--    source's (varchar(3) for varchar(20)) takes the SQL path, which
--    applies the typmod;
--  * rules on the dimension table and inheritance children take the SQL
--    path, whose statements fire the rules and reach the children.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\pset null '(null)'
\set SHOW_CONTEXT never

-- the path a dimension's refresh takes (NULL consumer: nothing read)
CREATE FUNCTION sda_path(nm text) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce(a.path, 'C')
    FROM dataeng.dimensions d
    CROSS JOIN LATERAL dataeng_internal._dim_apply(NULL, d.source, d.key_column, d.attributes, d."table", d.scd_type,
             ARRAY(SELECT false FROM unnest(d.key_column || d.attributes))) a
   WHERE d.name = nm $$;

CREATE ROLE sda_victim;
CREATE ROLE sda_mallory;
CREATE SCHEMA sda_v AUTHORIZATION sda_victim;
CREATE SCHEMA sda_m AUTHORIZATION sda_mallory;
SET ROLE sda_victim;
CREATE TABLE sda_v.vt (id int PRIMARY KEY, city varchar(3) CHECK (city <> 'bad'));
GRANT USAGE ON SCHEMA sda_v TO sda_mallory;
GRANT SELECT, INSERT, UPDATE, DELETE ON sda_v.vt TO sda_mallory;
RESET ROLE;

-- DIM-1: a direct call naming another role's table is refused, nothing read
SET ROLE sda_mallory;
SET search_path = sda_m, public;
CREATE TABLE sda_m.s1 (id int PRIMARY KEY, city varchar(20));
INSERT INTO sda_m.s1 VALUES (1, 'ab');
SELECT dataeng.dimension_create('sda_d3', 'sda_m.s1', 'id', ARRAY['city'], 1, schedule => NULL);
UPDATE sda_m.s1 SET city = 'pwned_long_value' WHERE id = 1;
INSERT INTO sda_m.s1 VALUES (2, 'second_long_value');
\set VERBOSITY default
SELECT (dataeng_internal._dim_apply('dim:sda_d3', 'sda_m.s1', 'id', ARRAY['city'], 'sda_v.vt'::regclass, 1,
                                    ARRAY[false, false])).*;
SELECT (dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_v.vt'::regclass, 1,
                                    ARRAY[false, false])).*;
\set VERBOSITY terse
SELECT * FROM sda_v.vt;
-- the role's own table with a shorter column: the SQL path, which checks the length
CREATE TABLE sda_m.own (id int PRIMARY KEY, city varchar(3));
SELECT (dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_m.own'::regclass, 1,
                                    ARRAY[false, false])).path;
CREATE TABLE sda_m.own2 (id int PRIMARY KEY, city varchar(20));
SELECT coalesce((dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_m.own2'::regclass, 1,
                                    ARRAY[false, false])).path, 'C') AS same_length;
CREATE TABLE sda_m.own3 (id int PRIMARY KEY, city varchar);
SELECT coalesce((dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_m.own3'::regclass, 1,
                                    ARRAY[false, false])).path, 'C') AS no_length;
-- the same length of another type (varchar(20) into char(20): the SQL pads
-- it), a domain column, an identity column: the SQL path
CREATE TABLE sda_m.own4 (id int PRIMARY KEY, city char(20));
SELECT (dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_m.own4'::regclass, 1,
                                    ARRAY[false, false])).path AS char_of_varchar;
CREATE DOMAIN sda_m.nn AS int NOT NULL;
CREATE TABLE sda_m.own5 (id int PRIMARY KEY, city varchar(20), extra sda_m.nn DEFAULT 1);
SELECT (dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_m.own5'::regclass, 1,
                                    ARRAY[false, false])).path AS with_domain;
CREATE TABLE sda_m.own6 (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, city varchar(20));
SELECT (dataeng_internal._dim_apply(NULL, 'sda_m.s1', 'id', ARRAY['city'], 'sda_m.own6'::regclass, 1,
                                    ARRAY[false, false])).path AS identity_key;
-- the dimension's own refresh (as its owner) is not affected: C path, pending changes applied
SELECT sda_path('sda_d3');
SELECT dataeng.dimension_refresh('sda_d3');
SELECT d.id, d.city FROM sda_m.sda_d3 d ORDER BY 1;
RESET search_path;
RESET ROLE;
-- a dimension table given to another role (who lets the dimension's owner
-- write it): the refresh takes the SQL path, which checks those rights
ALTER TABLE sda_m.sda_d3 OWNER TO sda_victim;
GRANT SELECT, INSERT, UPDATE, DELETE ON sda_m.sda_d3 TO sda_mallory;
SET ROLE sda_mallory;
UPDATE sda_m.s1 SET city = 'third' WHERE id = 2;
SELECT dataeng.dimension_refresh('sda_d3');
SELECT d.id, d.city FROM sda_m.sda_d3 d ORDER BY 1;
RESET ROLE;
REVOKE UPDATE ON sda_m.sda_d3 FROM sda_mallory;
SET ROLE sda_mallory;
UPDATE sda_m.s1 SET city = 'fourth' WHERE id = 2;
SELECT dataeng.dimension_refresh('sda_d3');
RESET ROLE;

-- DIM-2: a rule on the dimension table: SQL path, the rule fires per row
-- written (type 2: plain INSERTs)
CREATE TABLE sda_src2 (id int PRIMARY KEY, city text);
INSERT INTO sda_src2 VALUES (1, 'a');
SELECT dataeng.dimension_create('sda_d2', 'sda_src2', 'id', ARRAY['city'], 2, schedule => NULL);
SELECT sda_path('sda_d2') AS without_rule;
CREATE TABLE sda_audit (id int, city text);
CREATE RULE r_ins AS ON INSERT TO sda_d2 DO ALSO INSERT INTO sda_audit VALUES (NEW.id, NEW.city);
SELECT sda_path('sda_d2') AS with_rule;
INSERT INTO sda_src2 VALUES (2, 'b'), (3, 'c');
SELECT dataeng.dimension_refresh('sda_d2');
SELECT * FROM sda_audit ORDER BY 1;
SELECT id, city, is_current FROM sda_d2 ORDER BY 1;
-- type 1 writes with INSERT ... ON CONFLICT, which PostgreSQL refuses on a
-- table with INSERT or UPDATE rules: the refresh fails, its changes stay
-- pending (the C path wrote them without the rule)
CREATE TABLE sda_src2b (id int PRIMARY KEY, city text);
INSERT INTO sda_src2b VALUES (1, 'a');
SELECT dataeng.dimension_create('sda_d2b', 'sda_src2b', 'id', ARRAY['city'], 1, schedule => NULL);
CREATE RULE r_ins AS ON INSERT TO sda_d2b DO ALSO INSERT INTO sda_audit VALUES (NEW.id, NEW.city);
SELECT sda_path('sda_d2b') AS with_rule;
INSERT INTO sda_src2b VALUES (2, 'b');
SELECT dataeng.dimension_refresh('sda_d2b');
SELECT id, city FROM sda_d2b ORDER BY 1;
DROP RULE r_ins ON sda_d2b;
SELECT dataeng.dimension_refresh('sda_d2b');
SELECT id, city FROM sda_d2b ORDER BY 1;

-- DIM-3: an inheritance child of the dimension table: SQL path, whose
-- DELETE and UPDATE reach the child's rows as well
CREATE TABLE sda_src3 (id int PRIMARY KEY, city text);
INSERT INTO sda_src3 VALUES (1, 'a'), (2, 'b');
SELECT dataeng.dimension_create('sda_d1', 'sda_src3', 'id', ARRAY['city'], 1, schedule => NULL);
SELECT sda_path('sda_d1') AS without_child;
CREATE TABLE sda_d1_child () INHERITS (sda_d1);
INSERT INTO sda_d1_child (id, city) VALUES (3, 'old3'), (4, 'old4');
SELECT sda_path('sda_d1') AS with_child;
INSERT INTO sda_src3 VALUES (3, 'x3');
DELETE FROM sda_src3 WHERE id = 3;
DELETE FROM sda_src3 WHERE id = 1;
SELECT dataeng.dimension_refresh('sda_d1');
SELECT tableoid::regclass, id, city FROM sda_d1 ORDER BY 2;

-- type 2: closing the current version reaches a child's version
CREATE TABLE sda_src4 (id int PRIMARY KEY, city text);
INSERT INTO sda_src4 VALUES (1, 'a');
SELECT dataeng.dimension_create('sda_t2', 'sda_src4', 'id', ARRAY['city'], 2, schedule => NULL);
CREATE TABLE sda_t2_child () INHERITS (sda_t2);
INSERT INTO sda_t2_child (sda_t2_sk, id, city, valid_from, valid_to, is_current)
  VALUES (100, 2, 'old2', '2026-01-01 00:00+00', NULL, true);
SELECT sda_path('sda_t2') AS with_child;
INSERT INTO sda_src4 VALUES (2, 'b');
DELETE FROM sda_src4 WHERE id = 2;
SELECT dataeng.dimension_refresh('sda_t2');
SELECT tableoid::regclass, id, city, valid_to IS NULL AS open, is_current, valid_from = valid_to AS empty
  FROM sda_t2 ORDER BY 2, 3;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA sda_v CASCADE;
DROP SCHEMA sda_m CASCADE;
DROP TABLE sda_src2, sda_src2b, sda_src3, sda_src4, sda_audit CASCADE;
DROP FUNCTION sda_path(text);
DROP ROLE sda_victim;
DROP ROLE sda_mallory;
