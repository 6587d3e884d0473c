-- A pipeline (ov_a on ov_t writes ov_u, ov_b on ov_u writes ov_v) whose
-- last table has 1100 on_change triggers, each writing: the worker keeps
-- the WAL each call 2 or more levels deep wrote, and most triggers wait in
-- backlogs (past their role's budget).  Every batch is handed over, none
-- goes to dataeng.dead_letters.  (Before, the worker read those WAL ranges
-- after SPI_finish() had freed them: it died with SIGSEGV under this
-- workload with 400 commits, twice by hand, but this test passed on that
-- code too: a use after free shows only as the heap happens to lie.)
\pset null '(null)'
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\i sql_tests/lib/wait_for.sql
SET dataeng.max_on_change_per_role = 2000;
CREATE TABLE ov_t (id int PRIMARY KEY);
CREATE TABLE ov_u (id int PRIMARY KEY);
CREATE TABLE ov_v (id int PRIMARY KEY);
CREATE TABLE ov_w (n int);
SELECT dataeng.cdc_enable('ov_t', method => 'wal');
SELECT dataeng.cdc_enable('ov_u', method => 'wal');
SELECT dataeng.cdc_enable('ov_v', method => 'wal');
SELECT dataeng.cdc_wal_sync();
CREATE FUNCTION ov_a(changes dataeng.change[]) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.ov_u SELECT (c.new_row->>'id')::int FROM unnest(changes) c $$;
CREATE FUNCTION ov_b(changes dataeng.change[]) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.ov_v SELECT (c.new_row->>'id')::int FROM unnest(changes) c $$;
CREATE FUNCTION ov_c(changes dataeng.change[]) RETURNS void LANGUAGE sql
  AS $$ INSERT INTO public.ov_w VALUES (cardinality(changes)) $$;
SELECT dataeng.on_change('ov_a', 'ov_t', 'ov_a(dataeng.change[])');
SELECT dataeng.on_change('ov_b', 'ov_u', 'ov_b(dataeng.change[])');
SELECT count(dataeng.on_change('ov_c' || i, 'ov_v', 'ov_c(dataeng.change[])')) FROM generate_series(1, 1100) i;
SELECT dataeng.cdc_wal_sync();
RESET client_min_messages;
CREATE PROCEDURE ov_load() LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..100 LOOP
    INSERT INTO public.ov_t VALUES (i);
    COMMIT;
    PERFORM pg_sleep(0.02);
  END LOOP;
END $$;
CALL ov_load();
SELECT wait_for($$SELECT (SELECT sum(n) FROM ov_w) = 100 * 1100 OR EXISTS (SELECT 1 FROM dataeng.dead_letters)$$, 120) AS all_handled;
SELECT (SELECT count(*) FROM ov_u) AS u, (SELECT count(*) FROM ov_v) AS v, (SELECT sum(n) FROM ov_w) AS w_changes;
SELECT count(*) AS dead_letters FROM dataeng.dead_letters;
SET client_min_messages = warning;
SELECT count(dataeng.on_change_drop(trigger_name)) FROM dataeng.on_changes WHERE trigger_name ~ '^ov_';
SELECT dataeng.cdc_disable('ov_t');
SELECT dataeng.cdc_disable('ov_u');
SELECT dataeng.cdc_disable('ov_v');
DROP TABLE ov_t, ov_u, ov_v, ov_w;
DROP PROCEDURE ov_load();
DROP FUNCTION ov_a(dataeng.change[]), ov_b(dataeng.change[]), ov_c(dataeng.change[]);
DROP FUNCTION wait_for(text, float8);
DROP EXTENSION dataeng CASCADE;
