-- cdc_purge() waits for the consumers being created, a creation in a
-- prepared transaction too, which holds the creations' lock with no
-- process: past lock_timeout the warning names it by its gid and its
-- role (it said "a transaction of role ? ... Held by a transaction that
-- is gone", and pointed to pg_terminate_backend(), which cannot end it).
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
CREATE ROLE regress_cpp_owner;
CREATE SCHEMA cpp AUTHORIZATION regress_cpp_owner;
SET ROLE regress_cpp_owner;
CREATE TABLE cpp.sales (id int PRIMARY KEY, amount int);
SELECT dataeng.cdc_enable('cpp.sales');
SELECT dataeng.cdc_consumer_create('cpp_first', ARRAY['cpp.sales'::regclass]);
BEGIN;
SELECT dataeng.cdc_consumer_create('cpp_prepared', ARRAY['cpp.sales'::regclass]);
PREPARE TRANSACTION 'cpp_creation';
RESET ROLE;
SET lock_timeout = '100ms';
SELECT count(*) AS emptied FROM dataeng.cdc_purge();
RESET lock_timeout;
COMMIT PREPARED 'cpp_creation';
-- once it ended, the purge goes on
SELECT count(*) >= 0 AS purged FROM dataeng.cdc_purge();
SELECT name, owner FROM dataeng.cdc_consumers ORDER BY name;

SELECT dataeng.cdc_consumer_drop(name) FROM dataeng_internal.cdc_consumer_state;
DROP SCHEMA cpp CASCADE;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
DROP ROLE regress_cpp_owner;
