-- dataeng_internal._fact_apply() is PUBLIC (it writes only a table its
-- caller owns) and takes the names of the fact's columns from its caller:
-- the keys, the counts, the sums and their counts, and six names per min
-- or max.  A column named for two of these parts is refused (the MERGE
-- then applies the deltas): named as a key and as a max, its key was
-- looked up in the key index by the deltas' array of the max's values, a
-- datum of another type given to the key type's comparison (for a type
-- whose comparison reads offsets inside the value, past its end).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\set VERBOSITY default
CREATE ROLE sor_mallory;
CREATE SCHEMA sor_m AUTHORIZATION sor_mallory;
SET ROLE sor_mallory;

CREATE TABLE sor_m.fact (v text NOT NULL, __rows bigint, nn bigint, res text[]);
CREATE UNIQUE INDEX ON sor_m.fact (v);
INSERT INTO sor_m.fact VALUES ('b', 1, 1, '{b}');
CREATE TABLE sor_m.deltas (dk text, __rows bigint, dv text[], dnn bigint, dres text[]);
INSERT INTO sor_m.deltas VALUES ('b', 1, '{a}', 1, '{}'), ('zz', 1, '{zz}', 1, '{}');

-- 1. v is the key and the max: refused, nothing written
SELECT dataeng_internal._fact_apply('sor_m.fact', 'sor_m.deltas', '{v}', '{dk}', '{}', '{}', '{}',
                                    '{v,nn,res,dv,dnn,dres}', '{3}', '{true}') AS why_not;
SELECT * FROM sor_m.fact ORDER BY v;

-- 2. a count that is also a sum's count of values, a sum's count shared by
-- two sums, a key that is also a count: refused
CREATE TABLE sor_m.fact2 (k bigint NOT NULL, __rows bigint, c bigint, s bigint, s2 bigint, nn bigint);
CREATE UNIQUE INDEX ON sor_m.fact2 (k);
CREATE TABLE sor_m.deltas2 (k bigint, __rows bigint, c bigint, s bigint, s2 bigint, nn bigint);
INSERT INTO sor_m.deltas2 VALUES (1, 1, 1, 5, 5, 1);
SELECT dataeng_internal._fact_apply('sor_m.fact2', 'sor_m.deltas2', '{k}', '{k}', '{c,nn}', '{s,s2}', '{nn,nn}',
                                    '{}', '{}', '{}') AS why_not;
SELECT dataeng_internal._fact_apply('sor_m.fact2', 'sor_m.deltas2', '{k}', '{k}', '{c,s2,k}', '{s}', '{nn}',
                                    '{}', '{}', '{}') AS why_not;
SELECT count(*) FROM sor_m.fact2;

-- each column named once: applied
SELECT dataeng_internal._fact_apply('sor_m.fact2', 'sor_m.deltas2', '{k}', '{k}', '{c,s2}', '{s}', '{nn}',
                                    '{}', '{}', '{}') AS why_not;
SELECT * FROM sor_m.fact2;
CREATE TABLE sor_m.fact3 (k text NOT NULL, __rows bigint, m text, nn bigint, res text[]);
CREATE UNIQUE INDEX ON sor_m.fact3 (k);
INSERT INTO sor_m.fact3 VALUES ('b', 1, 'b', 1, '{b}');
SELECT dataeng_internal._fact_apply('sor_m.fact3', 'sor_m.deltas', '{k}', '{dk}', '{}', '{}', '{}',
                                    '{m,nn,res,dv,dnn,dres}', '{3}', '{true}') AS why_not;
SELECT * FROM sor_m.fact3 ORDER BY k;

RESET ROLE;
DROP SCHEMA sor_m CASCADE;
DROP ROLE sor_mallory;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
