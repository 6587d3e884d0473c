-- CDC security, second pass: schema USAGE on captured tables, what
-- dataeng.cdc_consumers counts, and consumers that hold the change log back.
CREATE EXTENSION dataeng;
\set VERBOSITY default
\set SHOW_CONTEXT never

CREATE ROLE sc_victim;
CREATE ROLE sc_attacker;
CREATE SCHEMA sc_victim AUTHORIZATION sc_victim;
CREATE SCHEMA sc_attacker AUTHORIZATION sc_attacker;

SET ROLE sc_victim;
CREATE TABLE sc_victim.secret (id int PRIMARY KEY, v text);
SELECT dataeng.cdc_enable('sc_victim.secret');
INSERT INTO sc_victim.secret VALUES (1, 'salary 1'), (2, 'salary 2');
-- SELECT on the table, but no USAGE on its schema
GRANT SELECT ON sc_victim.secret TO sc_attacker;
RESET ROLE;
SELECT 'sc_victim.secret'::regclass::oid AS secret \gset

-----------------------------------------------------------------------------
-- Schema USAGE: without it, SELECT on the table shows none of its changes
-----------------------------------------------------------------------------
SET ROLE sc_attacker;
-- PostgreSQL itself refuses the table
SELECT * FROM sc_victim.secret;
-- so does the change log: nothing through the view...
SELECT count(*) AS visible FROM dataeng.changes WHERE table_name = :secret::oid::regclass;
-- ... nor through a consumer of the table (named by its oid) ...
SELECT dataeng.cdc_consumer_create('sc_a_one', ARRAY[:secret::oid::regclass]);
-- ... nor through a consumer of all tables
SELECT dataeng.cdc_consumer_create('sc_a_all');
RESET ROLE;
INSERT INTO sc_victim.secret VALUES (3, 'salary 3');
SET ROLE sc_attacker;
SELECT count(*) AS delivered FROM dataeng.cdc_poll('sc_a_all');
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
-- and the capture settings of the table are not shown either
SELECT count(*) AS visible FROM dataeng.cdc_tables_visible WHERE table_name = :secret::oid::regclass;
RESET ROLE;

-- With USAGE the same role reads the changes and may create the consumer
GRANT USAGE ON SCHEMA sc_victim TO sc_attacker;
SET ROLE sc_attacker;
SELECT count(*) AS visible FROM dataeng.changes WHERE table_name = :secret::oid::regclass;
SELECT count(*) AS visible FROM dataeng.cdc_tables_visible WHERE table_name = :secret::oid::regclass;
SELECT dataeng.cdc_consumer_create('sc_a_one', ARRAY[:secret::oid::regclass]);
RESET ROLE;

-- Once USAGE is revoked again, polling the consumer of the table is refused
REVOKE USAGE ON SCHEMA sc_victim FROM sc_attacker;
SET ROLE sc_attacker;
SELECT * FROM dataeng.cdc_poll('sc_a_one');
SELECT count(*) AS delivered FROM dataeng.cdc_poll('sc_a_all');
SELECT count(*) AS visible FROM dataeng.changes WHERE table_name = :secret::oid::regclass;
RESET ROLE;

-- The owner of a table needs USAGE on its schema to enable or disable
-- capture (sc_victim owns the table, not the schema sc_hidden)
CREATE SCHEMA sc_hidden;
CREATE TABLE sc_hidden.t (id int PRIMARY KEY);
ALTER TABLE sc_hidden.t OWNER TO sc_victim;
SELECT 'sc_hidden.t'::regclass::oid AS hidden \gset
SET ROLE sc_victim;
SELECT dataeng.cdc_enable(:hidden::oid::regclass);
RESET ROLE;
DROP SCHEMA sc_hidden CASCADE;

-----------------------------------------------------------------------------
-- dataeng.cdc_consumers counts only the changes of tables the viewing role
-- may read now
-----------------------------------------------------------------------------
GRANT USAGE ON SCHEMA sc_victim TO sc_attacker;
SET ROLE sc_attacker;
-- (acknowledge what was delivered so far)
SELECT dataeng.cdc_ack('sc_a_one', max(change_id)) FROM dataeng.cdc_poll('sc_a_one');
SELECT dataeng.cdc_ack('sc_a_all', max(change_id)) FROM dataeng.cdc_poll('sc_a_all');
RESET ROLE;
INSERT INTO sc_victim.secret VALUES (4, 'salary 4'), (5, 'salary 5');
SET ROLE sc_attacker;
SELECT name, pending_changes, lag_seconds > 0 AS lagging FROM dataeng.cdc_consumers ORDER BY name;
RESET ROLE;
-- SELECT revoked: the pending changes of the table are not counted any more
REVOKE SELECT ON sc_victim.secret FROM sc_attacker;
SET ROLE sc_attacker;
SELECT name, pending_changes, lag_seconds FROM dataeng.cdc_consumers ORDER BY name;
RESET ROLE;
-- USAGE revoked (SELECT given back): the same
GRANT SELECT ON sc_victim.secret TO sc_attacker;
REVOKE USAGE ON SCHEMA sc_victim FROM sc_attacker;
SET ROLE sc_attacker;
SELECT name, pending_changes, lag_seconds FROM dataeng.cdc_consumers ORDER BY name;
RESET ROLE;
-- USAGE and SELECT both back: counted again
GRANT USAGE ON SCHEMA sc_victim TO sc_attacker;
SET ROLE sc_attacker;
SELECT name, pending_changes FROM dataeng.cdc_consumers ORDER BY name;
SELECT dataeng.cdc_consumer_drop('sc_a_one');
SELECT dataeng.cdc_consumer_drop('sc_a_all');
RESET ROLE;

-----------------------------------------------------------------------------
-- Consumers per role: dataeng.max_consumers_per_role
-----------------------------------------------------------------------------
SHOW dataeng.max_consumers_per_role;
SET dataeng.max_consumers_per_role = 3;
SET ROLE sc_attacker;
-- the setting is not the role's to raise
SET dataeng.max_consumers_per_role = 0;
SELECT dataeng.cdc_consumer_create('sc_a_' || i) FROM generate_series(1, 3) i;
SELECT dataeng.cdc_consumer_create('sc_a_4');
SELECT count(*) AS consumers FROM dataeng.cdc_consumers;
-- a dropped consumer frees its place
SELECT dataeng.cdc_consumer_drop('sc_a_3');
SELECT dataeng.cdc_consumer_create('sc_a_4');
RESET ROLE;
-- another role has its own places; superusers are exempt
SET ROLE sc_victim;
SELECT dataeng.cdc_consumer_create('sc_v_' || i) FROM generate_series(1, 3) i;
RESET ROLE;
SELECT dataeng.cdc_consumer_create('sc_su_' || i) FROM generate_series(1, 4) i;
SELECT owner, count(*) FROM dataeng.cdc_consumer_state GROUP BY owner ORDER BY owner::text;
SELECT dataeng.cdc_consumer_drop(name) FROM dataeng.cdc_consumer_state;
RESET dataeng.max_consumers_per_role;

-----------------------------------------------------------------------------
-- A consumer that never acknowledges holds the log back only up to a limit
-----------------------------------------------------------------------------
-- small segments, so that purging can be watched
SET dataeng.cdc_segment_size = 10;
SET ROLE sc_victim;
SELECT dataeng.cdc_consumer_create('sc_v_busy', ARRAY['sc_victim.secret'::regclass]);
RESET ROLE;
SET ROLE sc_attacker;
SELECT dataeng.cdc_consumer_create('sc_a_idle');
RESET ROLE;
INSERT INTO sc_victim.secret SELECT g, 'row ' || g FROM generate_series(100, 139) g;
SET ROLE sc_victim;
SELECT count(*) AS delivered, dataeng.cdc_ack('sc_v_busy', max(change_id)) IS NULL AS acked
  FROM dataeng.cdc_poll('sc_v_busy', 1000);
RESET ROLE;
-- the settings are superuser's
SET ROLE sc_attacker;
SET dataeng.consumer_max_lag_changes = 0;
SET dataeng.consumer_max_age = 0;
RESET ROLE;
SHOW dataeng.consumer_max_lag_changes;
SHOW dataeng.consumer_max_age;
-- no limit (the default): the idle consumer keeps every change
SELECT count(*) AS purged_segments FROM dataeng.cdc_purge();
SELECT count(*) AS kept FROM dataeng.change_log WHERE table_oid = :secret;
-- with one: the idle consumer (40 changes behind) expires, with a warning
-- naming it, the busy one (nothing pending) does not, and the log is purged
SET dataeng.consumer_max_lag_changes = 30;
SELECT count(*) > 0 AS purged FROM dataeng.cdc_purge();
SELECT count(*) < 40 AS purged FROM dataeng.change_log WHERE table_oid = :secret;
SELECT name, owner, expired_at IS NOT NULL AS expired, expired_reason
  FROM dataeng.cdc_consumer_state ORDER BY name;
-- its owner sees it expired, with nothing pending
SET ROLE sc_attacker;
SELECT name, pending_changes, lag_seconds, expired_at IS NOT NULL AS expired, expired_reason
  FROM dataeng.cdc_consumers;
-- polling or acknowledging it is refused with a hint; it is never dropped
-- behind its owner's back: the owner drops it
SELECT * FROM dataeng.cdc_poll('sc_a_idle');
SELECT dataeng.cdc_ack('sc_a_idle', 1);
SELECT dataeng.cdc_consumer_drop('sc_a_idle');
SELECT count(*) AS consumers FROM dataeng.cdc_consumers;
RESET ROLE;
-- the busy consumer goes on
INSERT INTO sc_victim.secret VALUES (200, 'after');
SET ROLE sc_victim;
SELECT op, new_row->>'v' AS v FROM dataeng.cdc_poll('sc_v_busy');
RESET ROLE;
RESET dataeng.consumer_max_lag_changes;

-- The age limit: a consumer with a change left unacknowledged for longer
-- than dataeng.consumer_max_age expires; one with nothing pending does not
SET ROLE sc_attacker;
SELECT dataeng.cdc_consumer_create('sc_a_slow');
RESET ROLE;
SET ROLE sc_victim;
SELECT dataeng.cdc_ack('sc_v_busy', max(change_id)) FROM dataeng.cdc_poll('sc_v_busy');
RESET ROLE;
INSERT INTO sc_victim.secret VALUES (201, 'old');
SET dataeng.consumer_max_age = '1s';
SHOW dataeng.consumer_max_age;
-- (this purge cuts the batch holding the change; it is not old yet)
SELECT count(*) >= 0 AS ok FROM dataeng.cdc_purge();
SELECT name, expired_at IS NOT NULL AS expired FROM dataeng.cdc_consumer_state ORDER BY name;
SELECT pg_sleep(1.2);
SET ROLE sc_victim;
SELECT dataeng.cdc_ack('sc_v_busy', max(change_id)) FROM dataeng.cdc_poll('sc_v_busy');
RESET ROLE;
SELECT count(*) >= 0 AS ok FROM dataeng.cdc_purge();
SELECT name, expired_at IS NOT NULL AS expired, expired_reason LIKE '%dataeng.consumer_max_age%' AS by_age
  FROM dataeng.cdc_consumer_state ORDER BY name;
SET ROLE sc_attacker;
SELECT * FROM dataeng.cdc_poll('sc_a_slow');
SELECT dataeng.cdc_consumer_drop('sc_a_slow');
RESET ROLE;
RESET dataeng.consumer_max_age;

-- A fact's own consumer is not exempt: it expires like any other, with the
-- warning, and its refresh says what happened
SET ROLE sc_victim;
CREATE TABLE sc_victim.sales (id int PRIMARY KEY, at timestamptz NOT NULL, amount int NOT NULL);
INSERT INTO sc_victim.sales VALUES (1, '2026-01-01 10:00+00', 5);
SELECT dataeng.fact_create('sc_daily', 'sc_victim.sales', 'at', 'day', '{}',
                           ARRAY['sum(amount)'], schedule => NULL);
RESET ROLE;
INSERT INTO sc_victim.sales SELECT g, '2026-01-02 10:00+00', 1 FROM generate_series(2, 5) g;
SET dataeng.consumer_max_lag_changes = 2;
SET ROLE sc_victim;
SELECT dataeng.cdc_ack('sc_v_busy', max(change_id)) FROM dataeng.cdc_poll('sc_v_busy');
RESET ROLE;
SELECT count(*) >= 0 AS ok FROM dataeng.cdc_purge();
SET ROLE sc_victim;
SELECT name, expired_at IS NOT NULL AS expired FROM dataeng.cdc_consumers ORDER BY name;
SELECT dataeng.fact_refresh('sc_daily');
SELECT dataeng.fact_drop('sc_daily');
RESET ROLE;
RESET dataeng.consumer_max_lag_changes;
RESET dataeng.cdc_segment_size;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA sc_victim, sc_attacker CASCADE;
DROP ROLE sc_victim, sc_attacker;
RESET client_min_messages;
