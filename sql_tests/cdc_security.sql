-- CDC security: the change log holds copies of rows, so it follows the
-- privileges of the tables it copies.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE regress_dataeng_owner;
CREATE ROLE regress_dataeng_reader;
CREATE ROLE regress_dataeng_colreader;
CREATE ROLE regress_dataeng_stranger;
CREATE ROLE regress_dataeng_team;
GRANT regress_dataeng_team TO regress_dataeng_reader;
GRANT CREATE ON SCHEMA public TO regress_dataeng_owner;

SET ROLE regress_dataeng_owner;
CREATE TABLE s_secret (id int PRIMARY KEY, card text, amount int);
CREATE TABLE s_open (id int PRIMARY KEY, v text);
GRANT SELECT ON s_open TO PUBLIC;
GRANT SELECT ON s_secret TO regress_dataeng_reader;
GRANT SELECT (id, amount) ON s_secret TO regress_dataeng_colreader;
-- the owner enables capture (no superuser needed)
SELECT dataeng.cdc_enable('s_secret');
SELECT dataeng.cdc_enable('s_open');
INSERT INTO s_secret VALUES (1, '4111-1111-1111-1111', 10);
INSERT INTO s_open VALUES (1, 'public');
RESET ROLE;

-- only the owner may enable or disable capture
SET ROLE regress_dataeng_reader;
SELECT dataeng.cdc_disable('s_secret');
SELECT dataeng.cdc_enable('s_open', changed_only => true);
RESET ROLE;
SELECT count(*) AS still_captured FROM dataeng.cdc_tables;

-- the change log itself is not readable
SET ROLE regress_dataeng_stranger;
SELECT count(*) FROM dataeng.change_log;
SELECT count(*) FROM dataeng.change_log_0;
SELECT count(*) FROM dataeng.cdc_consumer_state;
-- the view shows only what the role may read
SELECT table_name, op, new_row FROM dataeng.changes ORDER BY change_id;
-- no consumer on tables it may not read
SELECT dataeng.cdc_consumer_create('stranger_secret', ARRAY['s_secret'::regclass]);
-- a consumer of all tables gets only the readable ones
SELECT dataeng.cdc_consumer_create('stranger_all');
RESET ROLE;
INSERT INTO s_secret VALUES (2, '5500-0000-0000-0004', 20);
INSERT INTO s_open VALUES (2, 'public too');
SET ROLE regress_dataeng_stranger;
SELECT table_name, op, new_row FROM dataeng.cdc_poll('stranger_all') ORDER BY change_id;
RESET ROLE;

-- a role with SELECT sees the rows; column-level SELECT is not enough
SET ROLE regress_dataeng_reader;
SELECT table_name, op, new_row->>'card' AS card FROM dataeng.changes
 WHERE table_name = 's_secret'::regclass ORDER BY change_id;
SELECT dataeng.cdc_consumer_create('reader', ARRAY['s_secret'::regclass]);
RESET ROLE;
SET ROLE regress_dataeng_colreader;
SELECT count(*) AS visible FROM dataeng.changes WHERE table_name = 's_secret'::regclass;
SELECT dataeng.cdc_consumer_create('colreader', ARRAY['s_secret'::regclass]);
RESET ROLE;

-- consumers belong to their owner (and the members of the owning role)
INSERT INTO s_secret VALUES (3, '3400-0000-0000-009', 30);
SET ROLE regress_dataeng_stranger;
SELECT dataeng.cdc_poll('reader');
SELECT dataeng.cdc_ack('reader', 1);
SELECT dataeng.cdc_consumer_drop('reader');
SELECT name FROM dataeng.cdc_consumers ORDER BY name;
RESET ROLE;
SET ROLE regress_dataeng_reader;
SELECT name, owner, tables FROM dataeng.cdc_consumers ORDER BY name;
SELECT op, new_row->>'id' AS id FROM dataeng.cdc_poll('reader');
RESET ROLE;

-- losing SELECT stops delivery at once
SET ROLE regress_dataeng_owner;
REVOKE SELECT ON s_secret FROM regress_dataeng_reader;
RESET ROLE;
SET ROLE regress_dataeng_reader;
SELECT dataeng.cdc_poll('reader');
SELECT count(*) AS visible FROM dataeng.changes WHERE table_name = 's_secret'::regclass;
RESET ROLE;

-- the definer functions act for the calling role, not for their owner
SET ROLE regress_dataeng_stranger;
SELECT dataeng.calling_role();
SELECT count(*) AS purge_refused FROM dataeng.cdc_purge();
RESET ROLE;

-- every SECURITY DEFINER function pins search_path
SELECT count(*) AS unpinned_definers
  FROM pg_proc p
 WHERE p.pronamespace = 'dataeng'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');
-- internal functions callable by PUBLIC: only those that invoker-rights
-- functions (the consumers view, validate) need; each checks the caller
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace = 'dataeng'::regnamespace AND p.proname LIKE '\_%'
   AND has_function_privilege('regress_dataeng_stranger', p.oid, 'EXECUTE')
 ORDER BY 1;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE s_secret, s_open;
REVOKE CREATE ON SCHEMA public FROM regress_dataeng_owner;
DROP ROLE regress_dataeng_owner, regress_dataeng_reader, regress_dataeng_colreader,
  regress_dataeng_stranger, regress_dataeng_team;
RESET client_min_messages;
