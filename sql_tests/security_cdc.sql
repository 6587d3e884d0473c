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
-- a role's limit: configuration_limit_exceeded, as every role's limit
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
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
SELECT owner, count(*) FROM dataeng_internal.cdc_consumer_state GROUP BY owner ORDER BY owner::text;
SELECT dataeng.cdc_consumer_drop(name) FROM dataeng_internal.cdc_consumer_state;
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
SELECT count(*) AS kept FROM dataeng_internal.change_log WHERE table_oid = :secret;
-- with one: the idle consumer (40 changes behind) expires, with a warning
-- naming it, the busy one (nothing pending) does not, and the log is purged
SET dataeng.consumer_max_lag_changes = 30;
SELECT count(*) > 0 AS purged FROM dataeng.cdc_purge();
SELECT count(*) < 40 AS purged FROM dataeng_internal.change_log WHERE table_oid = :secret;
SELECT name, owner, expired_at IS NOT NULL AS expired, expired_reason
  FROM dataeng_internal.cdc_consumer_state ORDER BY name;
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
SET dataeng.consumer_max_age = '5s';
SHOW dataeng.consumer_max_age;
-- (this purge cuts the batch holding the change; it is not old yet)
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
SELECT name, expired_at IS NOT NULL AS expired FROM dataeng_internal.cdc_consumer_state ORDER BY name;
SELECT pg_sleep(5.2);
SET ROLE sc_victim;
SELECT dataeng.cdc_ack('sc_v_busy', max(change_id)) FROM dataeng.cdc_poll('sc_v_busy');
RESET ROLE;
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
SELECT name, expired_at IS NOT NULL AS expired, expired_reason LIKE '%dataeng.consumer_max_age%' AS by_age
  FROM dataeng_internal.cdc_consumer_state ORDER BY name;
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
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
SET ROLE sc_victim;
SELECT name, expired_at IS NOT NULL AS expired FROM dataeng.cdc_consumers ORDER BY name;
SELECT dataeng.fact_refresh('sc_daily');
SELECT dataeng.fact_drop('sc_daily');
RESET ROLE;
RESET dataeng.consumer_max_lag_changes;
RESET dataeng.cdc_segment_size;

-----------------------------------------------------------------------------
-- A role's own changes do not make other roles' consumers expire: only the
-- changes of the tables a consumer follows count (a consumer of all tables:
-- those its owner may read)
-----------------------------------------------------------------------------
SET ROLE sc_attacker;
CREATE TABLE sc_attacker.noise (id int PRIMARY KEY);
SELECT dataeng.cdc_enable('sc_attacker.noise');
-- (its own consumer of all tables, which does fall behind)
SELECT dataeng.cdc_consumer_create('sc_a_mine');
RESET ROLE;
SET ROLE sc_victim;
SELECT dataeng.cdc_ack('sc_v_busy', max(change_id)) FROM dataeng.cdc_poll('sc_v_busy');
SELECT dataeng.cdc_consumer_create('sc_v_all');
SELECT dataeng.fact_create('sc_daily2', 'sc_victim.sales', 'at', 'day', '{}',
                           ARRAY['sum(amount)'], schedule => NULL);
SELECT dataeng.fact_refresh('sc_daily2');
RESET ROLE;
SET dataeng.consumer_max_lag_changes = 5;
SET ROLE sc_attacker;
INSERT INTO sc_attacker.noise SELECT generate_series(1, 6);
RESET ROLE;
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
-- only the attacker's own consumer expired
SELECT name, owner, expired_at IS NOT NULL AS expired FROM dataeng_internal.cdc_consumer_state ORDER BY name;
RESET dataeng.consumer_max_lag_changes;
-- the age limit the same: an old change of the attacker's table is not an
-- old change of the victim's consumers
SET dataeng.consumer_max_age = '5s';
SET ROLE sc_attacker;
INSERT INTO sc_attacker.noise VALUES (7);
RESET ROLE;
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
SELECT pg_sleep(5.2);
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
SELECT name, owner, expired_at IS NOT NULL AS expired FROM dataeng_internal.cdc_consumer_state ORDER BY name;
-- nor do the victim's idle consumers hold the attacker's changes in the
-- log: having nothing of their tables pending, they were moved past them
SELECT count(*) AS noise_kept FROM dataeng_internal.change_log WHERE table_oid = 'sc_attacker.noise'::regclass;
RESET dataeng.consumer_max_age;
-- and the victim's consumers go on
INSERT INTO sc_victim.secret VALUES (300, 'later');
INSERT INTO sc_victim.sales VALUES (300, '2026-01-03 10:00+00', 7);
SET ROLE sc_victim;
SELECT op, new_row->>'v' AS v FROM dataeng.cdc_poll('sc_v_all');
SELECT dataeng.fact_refresh('sc_daily2');
SELECT dataeng.fact_drop('sc_daily2');
SELECT dataeng.cdc_consumer_drop('sc_v_all');
RESET ROLE;
SET ROLE sc_attacker;
SELECT dataeng.cdc_consumer_drop('sc_a_mine');
RESET ROLE;

-----------------------------------------------------------------------------
-- A transaction left open holds the change log back: the purge names it
-- (segments it holds, and a consumer past its limits that it keeps in use,
-- which expires once the transaction ends)
-----------------------------------------------------------------------------
CREATE EXTENSION dblink;
ALTER ROLE sc_attacker LOGIN;
SET ROLE sc_attacker;
SELECT dataeng.cdc_consumer_create('sc_a_held');
INSERT INTO sc_attacker.noise SELECT generate_series(100, 105);
RESET ROLE;
SELECT dblink_connect('sc_hold', format('host=%s port=%s dbname=%s user=sc_attacker',
                                        split_part(current_setting('unix_socket_directories'), ',', 1),
                                        current_setting('port'), current_database()));
-- it polls (cutting a tick) and, in a transaction it leaves open,
-- acknowledges the first change: its consumer's row stays locked
SELECT * FROM dblink('sc_hold', 'SELECT count(*) FROM dataeng.cdc_poll(''sc_a_held'', 1)') AS t(n bigint);
SELECT min(change_id) AS first_noise FROM dataeng_internal.change_log
 WHERE table_oid = 'sc_attacker.noise'::regclass AND new_row->>'id' = '100' \gset
SELECT dblink_exec('sc_hold', 'BEGIN');
SELECT * FROM dblink('sc_hold', format('SELECT dataeng.cdc_ack(%L, %s)::text', 'sc_a_held', :first_noise)) AS t(acked text);
-- the attacker's session now sits idle in its transaction
SELECT pg_sleep(2.2);
SET dataeng.consumer_max_lag_changes = 3;
-- the purge names the consumer past its limit that the transaction keeps
-- in use (the detail names the process and when it went idle); the
-- segments that transaction holds are not tried: that consumer still needs
-- them (a segment that could be emptied is queued for:
-- specs/cdc_purge.spec)
\set VERBOSITY terse
SELECT count(*) AS purged_segments FROM dataeng.cdc_purge();
\set VERBOSITY default
SELECT name, expired_at IS NOT NULL AS expired FROM dataeng_internal.cdc_consumer_state ORDER BY name;
-- the holder is the attacker's session, idle in transaction
SELECT count(*) > 0 AS holds
  FROM pg_locks lk JOIN pg_stat_activity a ON a.pid = lk.pid
 WHERE lk.relation = 'dataeng_internal.change_log_0'::regclass AND a.usename = 'sc_attacker'
   AND a.state = 'idle in transaction';
-- a poll in the open transaction that needs a new tick has it cut in a
-- transaction of its own: it holds no tick, and the purge does not wait
-- for it (the segments it read stay busy, its consumer in use)
INSERT INTO sc_attacker.noise VALUES (200);
SELECT * FROM dblink('sc_hold', 'SELECT count(*) FROM dataeng.cdc_poll(''sc_a_held'', 1)') AS t(n bigint);
SET lock_timeout = '1s';
\set VERBOSITY terse
SELECT count(*) AS purged_segments FROM dataeng.cdc_purge();
-- a consumer created in the open transaction holds purges back until it
-- commits: the purge waits at most lock_timeout for it, then names the role
SELECT * FROM dblink('sc_hold', 'SELECT 1 FROM dataeng.cdc_consumer_create(''sc_a_new'')') AS t(n int);
SELECT count(*) AS purged_segments FROM dataeng.cdc_purge();
\set VERBOSITY default
RESET lock_timeout;
-- once the transaction ends, the consumer expires
SELECT dblink_exec('sc_hold', 'COMMIT');
SELECT dblink_disconnect('sc_hold');
SELECT count(*) AS purged_segments, coalesce(sum(purged_changes), 0) AS purged_changes FROM dataeng.cdc_purge();
SELECT name, expired_at IS NOT NULL AS expired FROM dataeng_internal.cdc_consumer_state ORDER BY name;
RESET dataeng.consumer_max_lag_changes;
SET ROLE sc_attacker;
SELECT dataeng.cdc_consumer_drop('sc_a_held');
SELECT dataeng.cdc_consumer_drop('sc_a_new');
RESET ROLE;
DROP EXTENSION dblink;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP SCHEMA sc_victim, sc_attacker CASCADE;
DROP ROLE sc_victim, sc_attacker;
RESET client_min_messages;
