-- Every C function of dataeng that PUBLIC may execute and that is not
-- STRICT, called by a role with no grants with each of its arguments NULL
-- in turn (the others plausible values): it may refuse or do nothing, never
-- crash the server.  dataeng_internal._dim_apply() read its key column
-- before it checked for NULLs: any role's
--   SELECT dataeng_internal._dim_apply('c', 'some_table', NULL, '{}', 'some_table', 1, '{f}');
-- crashed the backend (signal 11), and the postmaster restarted every
-- session of the cluster.
SET client_min_messages = warning;
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE ROLE regress_na_nobody;
CREATE TABLE public.na_t (id int PRIMARY KEY, name text);

-- the calls, one argument NULL in each
CREATE TEMP TABLE na_calls AS
WITH f AS (
  SELECT p.oid, n.nspname, p.proname, p.proargtypes::oid[] AS a
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname IN ('dataeng', 'dataeng_internal') AND p.prolang = 13
     AND NOT p.proisstrict AND p.prokind = 'f' AND NOT p.proretset
     AND p.prorettype NOT IN ('trigger'::regtype, 'event_trigger'::regtype, 'internal'::regtype)
     AND has_function_privilege('regress_na_nobody', p.oid, 'EXECUTE')
)
SELECT format('SELECT %I.%I(%s)', f.nspname, f.proname,
              (SELECT string_agg(CASE WHEN u.k = i.i THEN 'NULL::' || format_type(u.t, NULL)
                                      ELSE CASE format_type(u.t, NULL)
                                             WHEN 'text' THEN '''x'''
                                             WHEN 'regclass' THEN '''public.na_t''::regclass'
                                             WHEN 'integer' THEN '1'
                                             WHEN 'bigint' THEN '1'
                                             WHEN 'boolean' THEN 'true'
                                             WHEN 'text[]' THEN '''{name}''::text[]'
                                             WHEN 'jsonb' THEN '''{}''::jsonb'
                                             WHEN 'interval' THEN '''10ms''::interval'
                                             WHEN 'timestamp with time zone' THEN 'now()'
                                             WHEN 'regrole' THEN '''regress_na_nobody''::regrole'
                                             WHEN 'regclass[]' THEN 'ARRAY[''public.na_t''::regclass]'
                                             WHEN 'numeric' THEN '1.5'
                                             WHEN 'double precision' THEN '0.5'
                                             WHEN 'bigint[]' THEN '''{1}''::bigint[]'
                                             WHEN 'boolean[]' THEN '''{f,f}''::boolean[]'
                                             WHEN 'regprocedure' THEN '''pg_catalog.now()''::regprocedure'
                                             ELSE 'NULL::' || format_type(u.t, NULL) END END,
                                 ', ' ORDER BY u.k)
                 FROM unnest(f.a) WITH ORDINALITY u(t, k))) AS call
  FROM f CROSS JOIN LATERAL generate_series(1, greatest(cardinality(f.a), 1)) i(i);
GRANT SELECT ON na_calls TO regress_na_nobody;

-- the one that crashed is among them
SELECT count(*) > 0 AS dim_apply_key_null
  FROM na_calls WHERE call LIKE 'SELECT dataeng_internal._dim_apply(''x'', ''public.na_t''::regclass, NULL::text,%';

SET ROLE regress_na_nobody;
DO $$
DECLARE
  c text;
  n int := 0;
BEGIN
  FOR c IN SELECT call FROM pg_temp.na_calls ORDER BY call LOOP
    BEGIN
      EXECUTE c;
    EXCEPTION WHEN OTHERS THEN
      NULL;
    END;
    n := n + 1;
  END LOOP;
  RAISE WARNING 'calls made: %', CASE WHEN n > 100 THEN 'over 100' ELSE n::text END;
END $$;
RESET ROLE;
-- still connected
SELECT 'survived' AS result;

-- the direct call: refused with its error, no crash
SELECT * FROM dataeng_internal._dim_apply('x', 'public.na_t', NULL, '{name}', 'public.na_t', 1, '{f,f}');

DROP TABLE na_calls;
DROP TABLE public.na_t;
DROP ROLE regress_na_nobody;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
