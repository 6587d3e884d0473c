-- sql_tests/bench/validate_scan_shape.sql: validate()'s scan query, its
-- conditions in a lateral subquery (old) or in a subquery beside the row's
-- columns (new), each run through dataeng_internal._validate_scan on
-- 500,000 rows with three cheap rules, alternated five times; prints the
-- milliseconds of each and checks both return the same counts and samples.
--   psql -X -f sql_tests/bench/validate_scan_shape.sql   (dataeng installed, superuser)
SET client_min_messages = warning;
DROP TABLE IF EXISTS public.cheap;
CREATE TABLE public.cheap (id int PRIMARY KEY, a text, b int, c text, d text, e text);
INSERT INTO public.cheap SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE 'x' END, g % 150,
  CASE WHEN g % 3 = 0 THEN 'z' ELSE 'x' END, repeat('d', g % 8), 'e' FROM generate_series(1, 500000) g;
VACUUM ANALYZE public.cheap;
\set conds_old '"dataeng f".f1, true, CASE WHEN "dataeng f".f1 THEN CASE WHEN dataeng_internal._validate_sample_wanted(1) THEN jsonb_build_object(''key'', jsonb_build_object(''id'', t.id), ''value'', to_jsonb(t.a)) END END, "dataeng f".f2, num_nonnulls(t.b) = 1, CASE WHEN "dataeng f".f2 THEN CASE WHEN dataeng_internal._validate_sample_wanted(2) THEN jsonb_build_object(''key'', jsonb_build_object(''id'', t.id), ''value'', to_jsonb(t.b)) END END, "dataeng f".f3, num_nonnulls(t.c) = 1, CASE WHEN "dataeng f".f3 THEN CASE WHEN dataeng_internal._validate_sample_wanted(3) THEN jsonb_build_object(''key'', jsonb_build_object(''id'', t.id), ''value'', to_jsonb(t.c)) END END'
\set lat_old 'LATERAL (SELECT coalesce(NOT (t.a IS NOT NULL), false) AS f1, coalesce(NOT (t.b BETWEEN 0 AND 100), false) AS f2, coalesce(NOT (t.c = ANY (''{x,y}'')), false) AS f3 OFFSET 0) "dataeng f"'
\set conds_new 't."dataeng f1", true, CASE WHEN t."dataeng f1" THEN CASE WHEN dataeng_internal._validate_sample_wanted(1) THEN jsonb_build_object(''key'', jsonb_build_object(''id'', t.id), ''value'', to_jsonb(t.a)) END END, t."dataeng f2", num_nonnulls(t.b) = 1, CASE WHEN t."dataeng f2" THEN CASE WHEN dataeng_internal._validate_sample_wanted(2) THEN jsonb_build_object(''key'', jsonb_build_object(''id'', t.id), ''value'', to_jsonb(t.b)) END END, t."dataeng f3", num_nonnulls(t.c) = 1, CASE WHEN t."dataeng f3" THEN CASE WHEN dataeng_internal._validate_sample_wanted(3) THEN jsonb_build_object(''key'', jsonb_build_object(''id'', t.id), ''value'', to_jsonb(t.c)) END END'
\set sub_new '(SELECT t.*, coalesce(NOT (t.a IS NOT NULL), false) AS "dataeng f1", coalesce(NOT (t.b BETWEEN 0 AND 100), false) AS "dataeng f2", coalesce(NOT (t.c = ANY (''{x,y}'')), false) AS "dataeng f3" FROM public.cheap t OFFSET 0) t'
SELECT format('SELECT %s FROM public.cheap t, %s', :'conds_old', :'lat_old') AS q_old, format('SELECT %s FROM %s', :'conds_new', :'sub_new') AS q_new \gset
CREATE TEMP TABLE times (v text, ms float8);
CREATE FUNCTION pg_temp.run(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp(); j jsonb;
BEGIN j := dataeng_internal._validate_scan(current_user::regrole, 'cheap', q, '{r1,r2,r3}', '{f,f,f}', now(), 0);
  RETURN extract(epoch FROM clock_timestamp() - t0) * 1000; END $$;
SELECT dataeng_internal._validate_scan(current_user::regrole, 'cheap', :'q_old', '{r1,r2,r3}', '{f,f,f}', now(), 0) = dataeng_internal._validate_scan(current_user::regrole, 'cheap', :'q_new', '{r1,r2,r3}', '{f,f,f}', now(), 0) AS same_result;
INSERT INTO times SELECT 'old', pg_temp.run(:'q_old'); INSERT INTO times SELECT 'new', pg_temp.run(:'q_new');
INSERT INTO times SELECT 'old', pg_temp.run(:'q_old'); INSERT INTO times SELECT 'new', pg_temp.run(:'q_new');
INSERT INTO times SELECT 'old', pg_temp.run(:'q_old'); INSERT INTO times SELECT 'new', pg_temp.run(:'q_new');
INSERT INTO times SELECT 'old', pg_temp.run(:'q_old'); INSERT INTO times SELECT 'new', pg_temp.run(:'q_new');
INSERT INTO times SELECT 'old', pg_temp.run(:'q_old'); INSERT INTO times SELECT 'new', pg_temp.run(:'q_new');
SELECT v, array_agg(round(ms::numeric) ORDER BY ms) FROM times GROUP BY v;
EXPLAIN (COSTS OFF) :q_new;
DROP TABLE public.cheap;
