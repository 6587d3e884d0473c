-- The changes a transaction writes to a table captured from the WAL and
-- then drops in the same transaction are captured, as the capture
-- trigger records them (docs/cdc.md, "A table dropped by the transaction
-- that wrote it").  The worker decodes them after the commit, when the
-- table's row of dataeng.cdc_tables, its key and its columns are gone:
-- the DROP describes the table in dataeng_internal.cdc_wal_dropped, in
-- its transaction, and the worker's round that records that transaction
-- deletes the description.  Each scenario runs on a table captured from
-- the WAL (_w) and on its twin captured by the trigger (_t); the two
-- tables' change-log rows must be the same, in the same order.
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
CREATE TABLE wst_kept (id int PRIMARY KEY);
CREATE TEMP TABLE wst_oids (scenario text, method text, oid oid);
-- writes, then the DROP
CREATE TABLE wst_drop_w (id int PRIMARY KEY, v text, n numeric(6,2), c char(4));
-- options: columns left out, updates with the changed columns only
CREATE TABLE wst_opts_w (id int, k int, v text, secret text, PRIMARY KEY (k, id));
-- a column's type changed and another dropped after writes
CREATE TABLE wst_alter_w (id int PRIMARY KEY, a int, b text);
-- TRUNCATE, then renamed, then dropped
CREATE TABLE wst_trunc_w (id int PRIMARY KEY, v text);
-- no key
CREATE TABLE wst_nokey_w (v text);
-- TRUNCATE alone, then dropped
CREATE TABLE wst_tonly_w (id int PRIMARY KEY);
-- a partitioned table: one partition dropped, then the table
CREATE TABLE wst_part_w (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE wst_part_w_1 PARTITION OF wst_part_w FOR VALUES FROM (0) TO (10);
CREATE TABLE wst_part_w_2 PARTITION OF wst_part_w FOR VALUES FROM (10) TO (20);
CREATE TABLE wst_part_w_3 PARTITION OF wst_part_w FOR VALUES FROM (20) TO (30);
-- stored generated columns, whose values the WAL does not hold: computed
-- by the worker with the expressions the DROP described.  One in the key
CREATE TABLE wst_gen_w (id int, g int GENERATED ALWAYS AS (id * 2) STORED, v text,
                        PRIMARY KEY (id, g));
-- reading several columns (NULLs, a collation, CASE, a type modifier), one
-- left out (g4)
CREATE TABLE wst_genm_w (id int PRIMARY KEY, a int, b text, n numeric(6,2), d date,
  g text GENERATED ALWAYS AS (coalesce(upper(b COLLATE "C"), 'none') || '/' || (a + n)::text
                              || '/' || extract(year FROM d)::text) STORED,
  g2 numeric(8,2) GENERATED ALWAYS AS (a * n) STORED,
  g3 boolean GENERATED ALWAYS AS (CASE WHEN a > 5 THEN true WHEN a IS NULL THEN NULL
                                  ELSE false END) STORED,
  g4 int GENERATED ALWAYS AS (id + 100) STORED);
-- another column's type changed between writes
CREATE TABLE wst_gent_w (id int PRIMARY KEY, a int, x int,
                         g int GENERATED ALWAYS AS (a * 10 + id) STORED);
-- made a plain column (DROP EXPRESSION) between writes, then the column
-- it read changed its type
CREATE TABLE wst_genx_w (id int PRIMARY KEY, a int, g int GENERATED ALWAYS AS (a + 1) STORED);
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['drop', 'opts', 'alter', 'trunc', 'nokey', 'tonly',
                           'gen', 'genm', 'gent', 'genx'] LOOP
    EXECUTE format('CREATE TABLE wst_%s_t (LIKE wst_%s_w INCLUDING ALL)', s, s);
  END LOOP;
END;
$$;
CREATE TABLE wst_part_t (id int, k int, v text, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE wst_part_t_1 PARTITION OF wst_part_t FOR VALUES FROM (0) TO (10);
CREATE TABLE wst_part_t_2 PARTITION OF wst_part_t FOR VALUES FROM (10) TO (20);
CREATE TABLE wst_part_t_3 PARTITION OF wst_part_t FOR VALUES FROM (20) TO (30);
SELECT dataeng.cdc_enable('wst_kept', method => 'wal');
DO $$
DECLARE
  s text;
  m text;
BEGIN
  FOREACH s IN ARRAY ARRAY['drop', 'opts', 'alter', 'trunc', 'nokey', 'tonly', 'part',
                           'gen', 'genm', 'gent', 'genx'] LOOP
    FOREACH m IN ARRAY ARRAY['w', 't'] LOOP
      IF s = 'genm' THEN
        PERFORM dataeng.cdc_enable(format('wst_%s_%s', s, m), exclude_columns => '{g4}',
                                   method => CASE m WHEN 'w' THEN 'wal' ELSE 'trigger' END);
      ELSIF s = 'opts' THEN
        PERFORM dataeng.cdc_enable(format('wst_%s_%s', s, m), exclude_columns => '{secret}',
                                   changed_only => true,
                                   method => CASE m WHEN 'w' THEN 'wal' ELSE 'trigger' END);
      ELSE
        PERFORM dataeng.cdc_enable(format('wst_%s_%s', s, m),
                                   method => CASE m WHEN 'w' THEN 'wal' ELSE 'trigger' END);
      END IF;
      INSERT INTO wst_oids VALUES (s, CASE m WHEN 'w' THEN 'wal' ELSE 'trigger' END,
                                   format('wst_%s_%s', s, m)::regclass::oid);
    END LOOP;
  END LOOP;
END;
$$;
SELECT dataeng.cdc_consumer_create('wst_c');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT table_name, method, active_method FROM dataeng.cdc_tables
 WHERE table_name::text LIKE 'wst%' ORDER BY table_name::text;

-- a change committed before, recorded as usual
INSERT INTO wst_drop_w VALUES (1, 'before', 1.5, 'ab');
INSERT INTO wst_drop_t VALUES (1, 'before', 1.5, 'ab');
INSERT INTO wst_opts_w VALUES (1, 1, 'before', 's');
INSERT INTO wst_opts_t VALUES (1, 1, 'before', 's');
INSERT INTO wst_tonly_w VALUES (1);
INSERT INTO wst_tonly_t VALUES (1);
SELECT dataeng.cdc_wal_sync();

-- each scenario in a transaction of its own, the two methods alike
CREATE FUNCTION pg_temp.wst_run(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO wst_drop_%1$s VALUES (2, 'same transaction', 2.25, 'x');
    UPDATE wst_drop_%1$s SET v = 'updated', n = 3 WHERE id = 1;
    DELETE FROM wst_drop_%1$s WHERE id = 2;
    INSERT INTO wst_drop_%1$s VALUES (3, NULL, NULL, NULL);
    $q$, m);
END;
$$;
BEGIN;
INSERT INTO wst_kept VALUES (1);
SELECT pg_temp.wst_run('w');
DROP TABLE wst_drop_w;
INSERT INTO wst_kept VALUES (2);
COMMIT;
BEGIN;
SELECT pg_temp.wst_run('t');
DROP TABLE wst_drop_t;
COMMIT;

CREATE FUNCTION pg_temp.wst_opts(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO wst_opts_%1$s VALUES (2, 2, 'two', 'hidden');
    UPDATE wst_opts_%1$s SET v = 'changed' WHERE id = 1;
    UPDATE wst_opts_%1$s SET secret = 'only the secret' WHERE id = 2;
    DELETE FROM wst_opts_%1$s WHERE id = 1;
    DROP TABLE wst_opts_%1$s;
    $q$, m);
END;
$$;
BEGIN;
SELECT pg_temp.wst_opts('w');
COMMIT;
BEGIN;
SELECT pg_temp.wst_opts('t');
COMMIT;

-- ALTER TABLE after writes in the same transaction: the changes before
-- it keep the columns of their time (the ALTER's own WARNING is about a
-- table that stays, whose earlier changes would stop its capture)
CREATE FUNCTION pg_temp.wst_alter(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO wst_alter_%1$s VALUES (1, 10, 'b one');
    ALTER TABLE wst_alter_%1$s ALTER COLUMN a TYPE text USING 'a' || a;
    INSERT INTO wst_alter_%1$s VALUES (2, 'twenty', 'b two');
    ALTER TABLE wst_alter_%1$s DROP COLUMN b;
    UPDATE wst_alter_%1$s SET a = 'changed' WHERE id = 1;
    DROP TABLE wst_alter_%1$s;
    $q$, m);
END;
$$;
SET client_min_messages = error;
BEGIN;
SELECT pg_temp.wst_alter('w');
COMMIT;
BEGIN;
SELECT pg_temp.wst_alter('t');
COMMIT;
RESET client_min_messages;

-- TRUNCATE, a table renamed, a table without key
CREATE FUNCTION pg_temp.wst_trunc(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO wst_trunc_%1$s VALUES (1, 'one');
    TRUNCATE wst_trunc_%1$s;
    INSERT INTO wst_trunc_%1$s VALUES (2, 'two');
    ALTER TABLE wst_trunc_%1$s RENAME TO wst_trunc_%1$s_renamed;
    UPDATE wst_trunc_%1$s_renamed SET v = 'renamed';
    DROP TABLE wst_trunc_%1$s_renamed;
    INSERT INTO wst_nokey_%1$s VALUES ('a'), ('a');
    DELETE FROM wst_nokey_%1$s;
    DROP TABLE wst_nokey_%1$s;
    TRUNCATE wst_tonly_%1$s;
    DROP TABLE wst_tonly_%1$s;
    $q$, m);
END;
$$;
BEGIN;
SELECT pg_temp.wst_trunc('w');
COMMIT;
BEGIN;
SELECT pg_temp.wst_trunc('t');
COMMIT;

-- partitions: one dropped after writes (its rows are the partitioned
-- table's, which stays), then the partitioned table itself
CREATE FUNCTION pg_temp.wst_part(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO wst_part_%1$s VALUES (1, 1, 'one'), (2, 12, 'two'), (3, 25, 'three');
    UPDATE wst_part_%1$s SET v = 'one, changed' WHERE id = 1;
    DROP TABLE wst_part_%1$s_1;
    DELETE FROM wst_part_%1$s WHERE id = 3;
    DROP TABLE wst_part_%1$s;
    $q$, m);
END;
$$;
BEGIN;
SELECT pg_temp.wst_part('w');
COMMIT;
BEGIN;
SELECT pg_temp.wst_part('t');
COMMIT;

-- stored generated columns
CREATE FUNCTION pg_temp.wst_gen(m text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format($q$
    INSERT INTO wst_gen_%1$s (id, v) VALUES (1, 'one'), (2, 'two');
    UPDATE wst_gen_%1$s SET id = 3 WHERE id = 1;
    UPDATE wst_gen_%1$s SET v = 'changed' WHERE id = 2;
    DELETE FROM wst_gen_%1$s WHERE id = 3;
    DROP TABLE wst_gen_%1$s;
    INSERT INTO wst_genm_%1$s (id, a, b, n, d) VALUES (1, 7, 'seven', 1.25, '2024-02-29'),
      (2, NULL, NULL, NULL, NULL), (3, 2, 'x', 0.5, '1999-12-31');
    UPDATE wst_genm_%1$s SET a = 1, b = NULL WHERE id = 1;
    UPDATE wst_genm_%1$s SET n = 9.99 WHERE id = 3;
    DELETE FROM wst_genm_%1$s WHERE id = 2;
    DROP TABLE wst_genm_%1$s;
    INSERT INTO wst_gent_%1$s (id, a, x) VALUES (1, 1, 5);
    ALTER TABLE wst_gent_%1$s ALTER COLUMN x TYPE text USING 'x' || x;
    INSERT INTO wst_gent_%1$s (id, a, x) VALUES (2, 2, 'two');
    UPDATE wst_gent_%1$s SET a = 3 WHERE id = 1;
    DROP TABLE wst_gent_%1$s;
    INSERT INTO wst_genx_%1$s (id, a) VALUES (1, 10);
    UPDATE wst_genx_%1$s SET a = 11;
    ALTER TABLE wst_genx_%1$s ALTER COLUMN g DROP EXPRESSION;
    INSERT INTO wst_genx_%1$s VALUES (2, 20, 99);
    UPDATE wst_genx_%1$s SET a = 12 WHERE id = 1;
    ALTER TABLE wst_genx_%1$s ALTER COLUMN a TYPE bigint;
    UPDATE wst_genx_%1$s SET a = a + 1;
    INSERT INTO wst_genx_%1$s VALUES (3, 30, NULL);
    DROP TABLE wst_genx_%1$s;
    $q$, m);
END;
$$;
SET client_min_messages = error;
BEGIN;
SELECT pg_temp.wst_gen('w');
COMMIT;
BEGIN;
SELECT pg_temp.wst_gen('t');
COMMIT;
RESET client_min_messages;

INSERT INTO wst_kept VALUES (3);
SELECT dataeng.cdc_wal_sync();

-- what the WAL worker recorded of the dropped tables
SELECT o.scenario, l.op, l.pk, l.old_row, l.new_row
  FROM dataeng_internal.change_log l JOIN wst_oids o ON o.oid = l.table_oid
 WHERE o.method = 'wal' ORDER BY o.scenario, l.change_id;
-- the same as the trigger recorded, in the same order: no difference
WITH r AS (
  SELECT o.scenario, o.method, l.op, l.pk, l.old_row, l.new_row,
         row_number() OVER (PARTITION BY o.scenario, o.method ORDER BY l.change_id) AS n
    FROM dataeng_internal.change_log l JOIN wst_oids o ON o.oid = l.table_oid)
SELECT coalesce(w.scenario, t.scenario) AS scenario, coalesce(w.n, t.n) AS n,
       w.op AS wal_op, t.op AS trigger_op
  FROM (SELECT * FROM r WHERE method = 'wal') w
  FULL JOIN (SELECT * FROM r WHERE method = 'trigger') t USING (scenario, n)
 WHERE (w.op, w.pk, w.old_row, w.new_row) IS DISTINCT FROM (t.op, t.pk, t.old_row, t.new_row);
-- in commit order with the other table's changes of the same transaction
SELECT CASE WHEN l.table_oid = 'wst_kept'::regclass THEN 'wst_kept' ELSE o.scenario || '_' || o.method END AS tbl,
       l.op, l.pk
  FROM dataeng_internal.change_log l LEFT JOIN wst_oids o ON o.oid = l.table_oid
 WHERE l.table_oid = 'wst_kept'::regclass OR (o.scenario = 'drop' AND o.method = 'wal')
 ORDER BY l.change_id;
-- each description used once and gone; no table stopped
SELECT count(*) AS descriptions_left FROM dataeng_internal.cdc_wal_dropped;
SELECT count(*) AS stops FROM dataeng_internal.cdc_wal_stops;
BEGIN;
SELECT CASE WHEN table_name::oid IN (SELECT oid FROM wst_oids) THEN 'dropped' ELSE table_name::text END AS tbl,
       count(*)
  FROM dataeng.cdc_poll('wst_c') GROUP BY 1 ORDER BY 1;
SELECT dataeng.cdc_ack('wst_c');
COMMIT;
SELECT table_name, capture_error FROM dataeng.cdc_status WHERE table_name = 'wst_kept'::regclass;

-- a DROP rolled back leaves no description
CREATE TABLE wst_rb (id int PRIMARY KEY);
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('wst_rb', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
BEGIN;
INSERT INTO wst_rb VALUES (1);
SAVEPOINT s;
DROP TABLE wst_rb;
SELECT count(*) AS described FROM dataeng_internal.cdc_wal_dropped;
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS described FROM dataeng_internal.cdc_wal_dropped;
ROLLBACK;
SELECT count(*) AS described FROM dataeng_internal.cdc_wal_dropped;
-- a transaction that changed nothing the WAL holds (its lock alone): the
-- description goes all the same (the worker meets the logical message)
BEGIN;
UPDATE wst_rb SET id = id WHERE false;
DROP TABLE wst_rb;
SELECT count(*) AS described FROM dataeng_internal.cdc_wal_dropped;
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS descriptions_left FROM dataeng_internal.cdc_wal_dropped;

-- a stored generated column the worker could not compute as it was
-- still loses the table's changes, and the DROP warns: one calling a
-- function not built in (it could be dropped or replaced before the
-- worker reads the change), one added in the transaction after a write
-- (the changes before it have no such column)
CREATE FUNCTION wst_twice(int) RETURNS int IMMUTABLE LANGUAGE sql AS 'SELECT $1 * 2';
CREATE TABLE wst_genf (id int PRIMARY KEY, g int GENERATED ALWAYS AS (wst_twice(id)) STORED);
CREATE TABLE wst_gena (id int PRIMARY KEY);
CREATE TABLE wst_gend (id int PRIMARY KEY, g int GENERATED ALWAYS AS (id * 5) STORED);
CREATE TABLE wst_gen_tamper (id int PRIMARY KEY, g int GENERATED ALWAYS AS (abs(id)) STORED);
CREATE TABLE wst_gen_tamper2 (LIKE wst_gen_tamper INCLUDING ALL);
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('wst_genf', method => 'wal');
SELECT dataeng.cdc_enable('wst_gena', method => 'wal');
SELECT dataeng.cdc_enable('wst_gend', method => 'wal');
SELECT dataeng.cdc_enable('wst_gen_tamper', method => 'wal');
SELECT dataeng.cdc_enable('wst_gen_tamper2', method => 'wal');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'wst_genf'::regclass::oid AS genf_oid, 'wst_gena'::regclass::oid AS gena_oid,
       'wst_gend'::regclass::oid AS gend_oid, 'wst_gen_tamper'::regclass::oid AS tamper_oid,
       'wst_gen_tamper2'::regclass::oid AS tamper2_oid \gset
BEGIN;
INSERT INTO wst_genf VALUES (1);
DROP TABLE wst_genf;
COMMIT;
BEGIN;
INSERT INTO wst_gena VALUES (1);
SET LOCAL client_min_messages = error;
ALTER TABLE wst_gena ADD COLUMN g int GENERATED ALWAYS AS (id * 3) STORED;
RESET client_min_messages;
DROP TABLE wst_gena;
COMMIT;
-- (and one dropped after a write: the changes before had it)
BEGIN;
INSERT INTO wst_gend VALUES (1);
SET LOCAL client_min_messages = error;
ALTER TABLE wst_gend DROP COLUMN g;
RESET client_min_messages;
DROP TABLE wst_gend;
COMMIT;
-- the worker evaluates only an expression of built-in immutable functions
-- over the table's columns: a description whose expression calls another
-- function (changed here by a superuser, after the DROP wrote it) is
-- refused, and that table's changes of the transaction are not recorded;
-- so are those of a table whose description cannot be read
BEGIN;
INSERT INTO wst_gen_tamper VALUES (1), (-2);
INSERT INTO wst_gen_tamper2 VALUES (3);
DROP TABLE wst_gen_tamper, wst_gen_tamper2;
SELECT generated_columns, generated_exprs[1] LIKE format('%%:funcid %s %%', 'abs(int)'::regprocedure::oid) AS abs_call
  FROM dataeng_internal.cdc_wal_dropped ORDER BY table_ident;
UPDATE dataeng_internal.cdc_wal_dropped
   SET generated_exprs[1] = replace(generated_exprs[1],
                                    format(':funcid %s ', 'abs(int)'::regprocedure::oid),
                                    format(':funcid %s ', 'wst_twice(int)'::regprocedure::oid))
 WHERE table_oid = :tamper_oid;
UPDATE dataeng_internal.cdc_wal_dropped SET generated_exprs[1] = '{NOSUCHNODE :x 1}'
 WHERE table_oid = :tamper2_oid;
INSERT INTO wst_kept VALUES (5);
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT count(*) AS recorded FROM dataeng_internal.change_log
 WHERE table_oid IN (:genf_oid, :gena_oid, :gend_oid, :tamper_oid, :tamper2_oid);
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = 'wst_kept'::regclass AND pk = '{"id": 5}';
SELECT count(*) AS descriptions_left FROM dataeng_internal.cdc_wal_dropped;
DROP FUNCTION wst_twice(int);

-- a column's type dropped with the table (DROP SCHEMA ... CASCADE): an
-- enum's values are still recorded by their labels, a domain's as its
-- base type's, as the trigger records them (twin t2); the other table's
-- changes too
CREATE SCHEMA wst_s;
CREATE TYPE wst_s.mood AS ENUM ('sad', 'happy');
CREATE DOMAIN wst_s.pos AS int CHECK (VALUE > 0);
CREATE TABLE wst_s.t (id int PRIMARY KEY, m wst_s.mood, ms wst_s.mood[], p wst_s.pos);
CREATE TABLE wst_s.t2 (LIKE wst_s.t INCLUDING ALL);
SET client_min_messages = warning;
SELECT dataeng.cdc_enable('wst_s.t', method => 'wal');
SELECT dataeng.cdc_enable('wst_s.t2', method => 'trigger');
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
SELECT 'wst_s.t'::regclass::oid AS s_oid, 'wst_s.t2'::regclass::oid AS s2_oid \gset
BEGIN;
INSERT INTO wst_s.t VALUES (1, 'happy', '{sad,happy}', 5);
INSERT INTO wst_s.t2 VALUES (1, 'happy', '{sad,happy}', 5);
INSERT INTO wst_kept VALUES (4);
SET client_min_messages = warning;
DROP SCHEMA wst_s CASCADE;
RESET client_min_messages;
COMMIT;
SELECT dataeng.cdc_wal_sync();
SELECT table_oid = :s_oid AS wal, op, pk, new_row FROM dataeng_internal.change_log
 WHERE table_oid IN (:s_oid, :s2_oid) ORDER BY change_id;
SELECT op, pk FROM dataeng_internal.change_log WHERE table_oid = 'wst_kept'::regclass AND pk = '{"id": 4}';
SELECT count(*) AS descriptions_left FROM dataeng_internal.cdc_wal_dropped;

SET client_min_messages = warning;
SELECT dataeng.cdc_consumer_drop('wst_c');
DROP TABLE wst_kept;
DROP EXTENSION dataeng CASCADE;
