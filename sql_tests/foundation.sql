-- Foundation: install, GUCs, info, clean removal.
\set VERBOSITY default
\set SHOW_CONTEXT never

-- What the database holds before the extension is installed.
SELECT string_agg(kind || '=' || n, ', ' ORDER BY kind) AS catalog_counts FROM (
  SELECT 'class' AS kind, count(*) AS n FROM pg_class
  UNION ALL SELECT 'proc', count(*) FROM pg_proc
  UNION ALL SELECT 'type', count(*) FROM pg_type
  UNION ALL SELECT 'namespace', count(*) FROM pg_namespace
  UNION ALL SELECT 'trigger', count(*) FROM pg_trigger
  UNION ALL SELECT 'event_trigger', count(*) FROM pg_event_trigger
  UNION ALL SELECT 'depend', count(*) FROM pg_depend
  UNION ALL SELECT 'description', count(*) FROM pg_description
  UNION ALL SELECT 'init_privs', count(*) FROM pg_init_privs) c \gset before_

CREATE EXTENSION dataeng;

SELECT version, preloaded, enabled FROM dataeng.info();
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'dataeng';

-- Every function declares its volatility and parallel safety on purpose;
-- SECURITY DEFINER functions pin search_path.
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace = 'dataeng'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')
 ORDER BY 1;

-- GUCs
SHOW dataeng.enabled;
-- server-wide switch: postgresql.conf only (bad values there: see t/001_preload.pl)
SET dataeng.enabled = off;
SET dataeng.cdc_segment_size = 0;
SET dataeng.cdc_segment_size = 1000;
SHOW dataeng.cdc_segment_size;
RESET dataeng.cdc_segment_size;
SET dataeng.no_such_setting = 1;

-- The preload is there in this suite's cluster: no error.
SELECT dataeng.require_preload('the scheduler');

-- Dropping leaves nothing behind.
DROP EXTENSION dataeng;
SELECT string_agg(kind || '=' || n, ', ' ORDER BY kind) AS catalog_counts FROM (
  SELECT 'class' AS kind, count(*) AS n FROM pg_class
  UNION ALL SELECT 'proc', count(*) FROM pg_proc
  UNION ALL SELECT 'type', count(*) FROM pg_type
  UNION ALL SELECT 'namespace', count(*) FROM pg_namespace
  UNION ALL SELECT 'trigger', count(*) FROM pg_trigger
  UNION ALL SELECT 'event_trigger', count(*) FROM pg_event_trigger
  UNION ALL SELECT 'depend', count(*) FROM pg_depend
  UNION ALL SELECT 'description', count(*) FROM pg_description
  UNION ALL SELECT 'init_privs', count(*) FROM pg_init_privs) c \gset after_
SELECT :'before_catalog_counts' = :'after_catalog_counts' AS same_catalogs;

-- And it installs again.
CREATE EXTENSION dataeng;
SELECT version FROM dataeng.info();
DROP EXTENSION dataeng;
-- The schema belongs to the extension.
CREATE EXTENSION dataeng;
SELECT count(*) AS objects_outside_schema
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'dataeng')
   AND d.deptype = 'e'
   AND pg_describe_object(d.classid, d.objid, 0) NOT LIKE '%dataeng%';
DROP EXTENSION dataeng;
SELECT count(*) AS leftover_schema FROM pg_namespace WHERE nspname = 'dataeng';
