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
CREATE ROLE regress_dataeng_low;
-- reader belongs to team; owner belongs to team too (team owns a table)
GRANT regress_dataeng_team TO regress_dataeng_reader, regress_dataeng_owner;
GRANT CREATE ON SCHEMA public TO regress_dataeng_owner, regress_dataeng_stranger,
  regress_dataeng_team, regress_dataeng_low;

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
SELECT table_name, enabled_by FROM dataeng.cdc_tables ORDER BY table_name::text;

-------------------------------------------------------------------------------
-- Only the owner (or a member of the owning role) may enable or disable
-------------------------------------------------------------------------------
SET ROLE regress_dataeng_reader;
SELECT dataeng.cdc_disable('s_secret');
SELECT dataeng.cdc_enable('s_open', changed_only => true);
SELECT dataeng.cdc_enable('s_secret', exclude_columns => '{card}');
RESET ROLE;
SET ROLE regress_dataeng_stranger;
SELECT dataeng.cdc_disable('s_open');
-- a role's own table: fine
CREATE TABLE s_mine (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('s_mine');
SELECT dataeng.cdc_disable('s_mine');
RESET ROLE;
-- SET ROLE is honoured: a superuser acting as the stranger is the stranger
SET ROLE regress_dataeng_stranger;
SELECT current_user;
SELECT dataeng.cdc_disable('s_secret');
RESET ROLE;
SET SESSION AUTHORIZATION regress_dataeng_stranger;
SELECT current_user;
SELECT dataeng.cdc_disable('s_secret');
RESET SESSION AUTHORIZATION;
-- a member of the owning role may
SET ROLE regress_dataeng_team;
CREATE TABLE s_team (id int PRIMARY KEY, note text);
GRANT SELECT ON s_team TO regress_dataeng_team;
RESET ROLE;
SET ROLE regress_dataeng_owner;
SELECT dataeng.cdc_enable('s_team');
INSERT INTO s_team VALUES (1, 'team note');
RESET ROLE;
SELECT table_name, columns, exclude_columns, changed_only, enabled_by FROM dataeng.cdc_tables
 ORDER BY table_name::text;

-------------------------------------------------------------------------------
-- The change log itself is neither readable nor writable
-------------------------------------------------------------------------------
SET ROLE regress_dataeng_stranger;
SELECT count(*) FROM dataeng_internal.change_log;
SELECT count(*) FROM dataeng_internal.change_log_0;
SELECT count(*) FROM dataeng_internal.change_log_3;
SELECT count(*) FROM dataeng.cdc_tables;
SELECT count(*) FROM dataeng_internal.cdc_consumer_state;
SELECT count(*) FROM dataeng_internal.cdc_ticks;
SELECT count(*) FROM dataeng_internal.cdc_batch_txns;
SELECT count(*) FROM dataeng_internal.cdc_batch_tables;
INSERT INTO dataeng_internal.change_log (change_id, xid, lsn, captured_at, table_oid, segment, op, new_row)
VALUES (1000, '1', '0/0', now(), 's_open'::regclass, 0, 'I', '{"forged": true}');
INSERT INTO dataeng_internal.change_log_1 (change_id, xid, lsn, captured_at, table_oid, segment, op)
VALUES (1000, '1', '0/0', now(), 's_open'::regclass, 1, 'T');
UPDATE dataeng_internal.change_log SET new_row = '{}';
DELETE FROM dataeng_internal.change_log_0;
TRUNCATE dataeng_internal.change_log_2;
UPDATE dataeng_internal.cdc_consumer_state SET owner = 'regress_dataeng_stranger';
DELETE FROM dataeng.cdc_tables;
SELECT nextval('dataeng_internal.change_id_seq');
SELECT setval('dataeng_internal.change_id_seq', 1);
-- nor is the view writable
DELETE FROM dataeng.changes;
-- retention and its setting are for superusers
SELECT count(*) FROM dataeng.cdc_purge();
SET dataeng.cdc_segment_size = 1;
-- the capture function cannot be attached by hand
CREATE TABLE s_hand (id int);
CREATE TRIGGER forge AFTER INSERT ON s_hand REFERENCING NEW TABLE AS n
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal.capture('false', '', '');
DROP TABLE s_hand;
RESET ROLE;

-------------------------------------------------------------------------------
-- dataeng.changes shows the changes of the tables the role may SELECT as a
-- whole, and nothing else
-------------------------------------------------------------------------------
INSERT INTO s_secret VALUES (2, '5500-0000-0000-0004', 20);
INSERT INTO s_open VALUES (2, 'public too');
SET ROLE regress_dataeng_stranger;
SELECT table_name, op, new_row FROM dataeng.changes ORDER BY change_id;
-- a function in the query cannot look at the rows the view hides
CREATE FUNCTION s_peek(r jsonb) RETURNS boolean LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
  RAISE NOTICE 'saw %', r;
  RETURN true;
END $$;
SELECT table_name, op FROM dataeng.changes WHERE s_peek(new_row) ORDER BY change_id;
DROP FUNCTION s_peek(jsonb);
RESET ROLE;
SET ROLE regress_dataeng_reader;                -- SELECT on s_secret; team's table through team
SELECT table_name, op, new_row->>'card' AS card FROM dataeng.changes ORDER BY change_id;
RESET ROLE;
SET ROLE regress_dataeng_colreader;             -- column privileges only: not the table
SELECT table_name, op, new_row FROM dataeng.changes ORDER BY change_id;
RESET ROLE;

-------------------------------------------------------------------------------
-- Consumers follow the same rule
-------------------------------------------------------------------------------
SET ROLE regress_dataeng_stranger;
SELECT dataeng.cdc_consumer_create('stranger_secret', ARRAY['s_secret'::regclass]);
SELECT dataeng.cdc_consumer_create('stranger_mixed', ARRAY['s_open', 's_secret']::regclass[]);
-- a consumer of all tables gets only the readable ones
SELECT dataeng.cdc_consumer_create('stranger_all');
RESET ROLE;
SET ROLE regress_dataeng_colreader;
SELECT dataeng.cdc_consumer_create('colreader', ARRAY['s_secret'::regclass]);
SELECT dataeng.cdc_consumer_create('colreader_all');
RESET ROLE;
SET ROLE regress_dataeng_reader;
SELECT dataeng.cdc_consumer_create('reader', ARRAY['s_secret'::regclass]);
RESET ROLE;
SET ROLE regress_dataeng_team;
SELECT dataeng.cdc_consumer_create('team', ARRAY['s_team'::regclass]);
RESET ROLE;
INSERT INTO s_secret VALUES (3, '3400-0000-0000-009', 30);
INSERT INTO s_open VALUES (3, 'public three');
INSERT INTO s_secret VALUES (4, '6011-0000-0000-0004', 40);
INSERT INTO s_team VALUES (2, 'second note');
SET ROLE regress_dataeng_stranger;
-- pending_changes and lag count what the consumer will get: not the
-- changes of tables its owner may not read
SELECT name, owner, tables, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
SELECT table_name, op, new_row FROM dataeng.cdc_poll('stranger_all') ORDER BY change_id;
SELECT dataeng.cdc_ack('stranger_all', max(change_id)) FROM dataeng.cdc_poll('stranger_all');
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
RESET ROLE;
SET ROLE regress_dataeng_colreader;
SELECT table_name, op, new_row FROM dataeng.cdc_poll('colreader_all') ORDER BY change_id;
RESET ROLE;

-- consumers belong to their owner (and the members of the owning role)
SET ROLE regress_dataeng_stranger;
SELECT dataeng.cdc_poll('reader');
SELECT dataeng.cdc_ack('reader', 1);
SELECT dataeng.cdc_consumer_drop('reader');
SELECT dataeng.cdc_poll('team');
SELECT name FROM dataeng.cdc_consumers ORDER BY name;
-- (a name is taken whoever took it)
SELECT dataeng.cdc_consumer_create('reader');
RESET ROLE;
SET ROLE regress_dataeng_reader;
SELECT name, owner, tables FROM dataeng.cdc_consumers ORDER BY name;
SELECT table_name, op, new_row->>'id' AS id FROM dataeng.cdc_poll('reader') ORDER BY change_id;
SELECT table_name, op, new_row->>'id' AS id FROM dataeng.cdc_poll('team') ORDER BY change_id;
SELECT dataeng.cdc_ack('team', max(change_id)) FROM dataeng.cdc_poll('team');
RESET ROLE;
-- SET ROLE is honoured by consumers too
SET ROLE regress_dataeng_reader;
SELECT count(*) AS via_set_role FROM dataeng.cdc_poll('reader');
RESET ROLE;
SET ROLE regress_dataeng_stranger;
SELECT count(*) AS via_set_role FROM dataeng.cdc_poll('reader');
RESET ROLE;
-- the superuser sees every consumer
SELECT name, owner FROM dataeng.cdc_consumers ORDER BY name;

-- losing SELECT stops delivery at once
SET ROLE regress_dataeng_owner;
REVOKE SELECT ON s_secret FROM regress_dataeng_reader;
RESET ROLE;
SET ROLE regress_dataeng_reader;
SELECT dataeng.cdc_poll('reader');
SELECT dataeng.cdc_ack('reader', 1);
SELECT count(*) AS visible FROM dataeng.changes WHERE table_name = 's_secret'::regclass;
-- dropping it is still allowed
SELECT dataeng.cdc_consumer_drop('reader');
SELECT dataeng.cdc_consumer_create('reader', ARRAY['s_secret'::regclass]);
RESET ROLE;

-------------------------------------------------------------------------------
-- Row-level security: a role that may read only some rows of a table must
-- not read the others in the change log
-------------------------------------------------------------------------------
SET ROLE regress_dataeng_owner;
CREATE TABLE s_tenant (id int PRIMARY KEY, tenant name, data text);
ALTER TABLE s_tenant ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON s_tenant FOR SELECT USING (tenant = current_user);
GRANT SELECT ON s_tenant TO regress_dataeng_reader;
SELECT dataeng.cdc_enable('s_tenant');
INSERT INTO s_tenant VALUES (1, 'regress_dataeng_reader', 'mine'), (2, 'regress_dataeng_other', 'not mine');
RESET ROLE;
SET ROLE regress_dataeng_reader;
SELECT id, data FROM s_tenant ORDER BY id;
SELECT count(*) FILTER (WHERE new_row->>'data' = 'not mine') AS hidden_rows_seen
  FROM dataeng.changes WHERE table_name = 's_tenant'::regclass;
SELECT dataeng.cdc_consumer_create('tenant_all');
RESET ROLE;
INSERT INTO s_tenant VALUES (4, 'regress_dataeng_other', 'not mine either');
SET ROLE regress_dataeng_reader;
SELECT count(*) FILTER (WHERE new_row->>'data' LIKE 'not mine%') AS hidden_rows_delivered
  FROM dataeng.cdc_poll('tenant_all');
RESET ROLE;

-------------------------------------------------------------------------------
-- dataeng acts for the role that runs the code: a less privileged role's
-- code, run by a superuser as that role (SECURITY DEFINER, or ANALYZE
-- evaluating an index expression, as autovacuum does), cannot use the
-- superuser's rights through dataeng
-------------------------------------------------------------------------------
CREATE TABLE s_admin (id int PRIMARY KEY, secret text);
INSERT INTO s_admin VALUES (1, 'root password');
SET ROLE regress_dataeng_low;
CREATE TABLE s_low_log (outcome text);
CREATE FUNCTION s_low_try() RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  BEGIN
    PERFORM dataeng.cdc_enable('s_admin');
    INSERT INTO s_low_log VALUES ('enabled capture of s_admin');
  EXCEPTION WHEN insufficient_privilege THEN
    INSERT INTO s_low_log VALUES ('enable refused');
  END;
  BEGIN
    PERFORM dataeng.cdc_consumer_create('low_all');
    INSERT INTO s_low_log
    SELECT CASE WHEN owner = 'regress_dataeng_low'::regrole THEN 'created a consumer of its own'
                ELSE 'created a consumer for another role' END
      FROM dataeng.cdc_consumers WHERE name = 'low_all';
  EXCEPTION WHEN insufficient_privilege OR duplicate_object THEN
    INSERT INTO s_low_log VALUES ('consumer refused');
  END;
  RETURN current_user;
END $$;
CREATE FUNCTION s_low_index(int) RETURNS int LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  PERFORM s_low_try();
  RETURN $1;
END $$;
CREATE TABLE s_low_t (x int);
INSERT INTO s_low_t VALUES (1);
SELECT s_low_try();                              -- as itself: refused, of course
SELECT outcome FROM s_low_log ORDER BY outcome;
SELECT dataeng.cdc_consumer_drop('low_all');
TRUNCATE s_low_log;
RESET ROLE;
SELECT s_low_try();                              -- run by the superuser
SELECT outcome FROM s_low_log ORDER BY outcome;
SELECT count(*) AS captured_by_low FROM dataeng.cdc_tables WHERE table_name = 's_admin'::regclass;
SELECT count(*) FILTER (WHERE owner <> 'regress_dataeng_low'::regrole) AS consumers_for_others_by_low
  FROM dataeng.cdc_consumers WHERE name = 'low_all';
-- (clean up whatever the superuser's call did)
SELECT count(*) AS ignored FROM (SELECT dataeng.cdc_disable(table_name) FROM dataeng.cdc_tables
                                  WHERE table_name = 's_admin'::regclass) d \gset
SELECT count(*) AS ignored FROM (SELECT dataeng.cdc_consumer_drop(name) FROM dataeng.cdc_consumers
                                  WHERE name = 'low_all') d \gset
SET ROLE regress_dataeng_low;
CREATE INDEX s_low_t_idx ON s_low_t (s_low_index(x));
SELECT dataeng.cdc_consumer_drop('low_all');
TRUNCATE s_low_log;
RESET ROLE;
ANALYZE s_low_t;
SELECT DISTINCT outcome FROM s_low_log ORDER BY outcome;
SELECT count(*) AS captured_by_low FROM dataeng.cdc_tables WHERE table_name = 's_admin'::regclass;

-------------------------------------------------------------------------------
-- The API's own objects
-------------------------------------------------------------------------------
-- every SECURITY DEFINER function pins search_path
SELECT count(*) AS unpinned_definers
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');
-- CDC functions a plain role may call
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND (p.proname LIKE '%cdc%' OR p.proname = 'capture')
   AND has_function_privilege('regress_dataeng_stranger', p.oid, 'EXECUTE')
 ORDER BY 1;
-- internal functions callable by PUBLIC: only those that invoker-rights
-- functions (the consumers view, validate) need; each checks the caller
SELECT p.proname
  FROM pg_proc p
 WHERE p.pronamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND p.proname LIKE '\_%'
   AND has_function_privilege('regress_dataeng_stranger', p.oid, 'EXECUTE')
 ORDER BY 1;
-- CDC relations a plain role may read
SELECT c.relname, has_table_privilege('regress_dataeng_stranger', c.oid, 'SELECT') AS can_select
  FROM pg_class c
 WHERE c.relnamespace IN ('dataeng'::regnamespace, 'dataeng_internal'::regnamespace) AND c.relkind IN ('r', 'p', 'v', 'S')
   AND (c.relname LIKE '%cdc%' OR c.relname LIKE 'change%')
 ORDER BY 1;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP TABLE s_secret, s_open, s_team, s_tenant, s_admin, s_low_t, s_low_log, s_mine;
DROP FUNCTION s_low_index(int), s_low_try();
REVOKE CREATE ON SCHEMA public FROM regress_dataeng_owner, regress_dataeng_stranger,
  regress_dataeng_team, regress_dataeng_low;
DROP ROLE regress_dataeng_owner, regress_dataeng_reader, regress_dataeng_colreader,
  regress_dataeng_stranger, regress_dataeng_team, regress_dataeng_low;
RESET client_min_messages;
