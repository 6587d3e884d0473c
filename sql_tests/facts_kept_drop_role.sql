-- A role logged in that refreshed its fact keeps its table of folded
-- changes for the session (_agg_temp_kept).  That scratch table does not
-- stand in the way of dropping the role while it is still logged in
-- (src/aggregate/temp_roles.c).
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE EXTENSION dblink;
CREATE ROLE regress_fk_owner LOGIN;
CREATE SCHEMA fk AUTHORIZATION regress_fk_owner;
SET ROLE regress_fk_owner;
CREATE TABLE fk.sales (id int PRIMARY KEY, at timestamptz NOT NULL, region text, amount numeric);
SELECT dataeng.fact_create('fk.daily', 'fk.sales', 'at', 'day', '{region}', '{count(*), sum(amount)}',
                           schedule => NULL)::text;
INSERT INTO fk.sales SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '5 hours', 'r' || g % 3, g
  FROM generate_series(1, 30) g;
RESET ROLE;
-- the role logs in and refreshes its fact twice (two transactions)
SELECT dblink_connect('fk', format('host=%s port=%s dbname=%s user=regress_fk_owner',
                                   split_part(current_setting('unix_socket_directories'), ',', 1),
                                   current_setting('port'), current_database()));
SELECT * FROM dblink('fk', 'SELECT dataeng.fact_refresh(''fk.daily'')') AS t(refreshed bigint);
SELECT dblink_exec('fk', 'UPDATE fk.sales SET amount = amount + 1 WHERE id <= 3');
SELECT * FROM dblink('fk', 'SELECT dataeng.fact_refresh(''fk.daily'')') AS t(refreshed bigint);
-- its sum is right
SELECT sum(sum_amount) AS fact_sum, (SELECT sum(amount) FROM fk.sales) AS source_sum FROM fk.daily;
-- the session keeps its scratch table, of the role
SELECT count(*) AS kept FROM pg_class
 WHERE relname LIKE '\_dataeng\_%' AND relpersistence = 't' AND relowner = 'regress_fk_owner'::regrole;
-- its objects are dropped, then the role, while it is logged in (DROP ROLE
-- failed: "owner of table pg_temp_N._dataeng_delta_raw")
DROP SCHEMA fk CASCADE;
DROP ROLE regress_fk_owner;
SELECT count(*) AS role_left FROM pg_roles WHERE rolname = 'regress_fk_owner';
-- no table of the dropped role is left in any temporary schema
SELECT count(*) AS orphans FROM pg_class c
 WHERE c.relname LIKE '\_dataeng\_%' AND c.relpersistence = 't'
   AND NOT EXISTS (SELECT 1 FROM pg_roles r WHERE r.oid = c.relowner);
-- the session goes on
SELECT * FROM dblink('fk', 'SELECT 1') AS t(one int);
SELECT dblink_disconnect('fk');
-- REASSIGN OWNED does not drop the temporary tables of the role's other
-- sessions: the role goes on, and so do its sessions.  Dropped from under
-- a session, a table whose pages that session had still to write took its
-- file with it, and every later temporary table of the session failed
-- ("could not open file").  Such a table goes to the bootstrap superuser
-- (the session's next refresh drops it and makes another).
CREATE ROLE regress_fk_heir;
CREATE ROLE regress_fk_user LOGIN IN ROLE regress_fk_heir;
SELECT dblink_connect('fk2', format('host=%s port=%s dbname=%s user=regress_fk_user options=-ctemp_buffers=100',
                                    split_part(current_setting('unix_socket_directories'), ',', 1),
                                    current_setting('port'), current_database()));
SELECT dblink_exec('fk2', 'CREATE TEMP TABLE _dataeng_delta_raw AS SELECT g, repeat(''x'', 100) AS t FROM generate_series(1, 20000) g');
REASSIGN OWNED BY regress_fk_user TO regress_fk_heir;
SELECT relowner = 10 AS bootstrap_owns_it FROM pg_class
 WHERE relname = '_dataeng_delta_raw' AND relpersistence = 't'
   AND relnamespace <> pg_my_temp_schema();
-- the session goes on with its temporary tables
SELECT * FROM dblink('fk2', 'CREATE TEMP TABLE more AS SELECT g, repeat(''y'', 100) AS t FROM generate_series(1, 20000) g; '
                            'SELECT count(*) FROM more') AS t(n bigint);
SELECT dblink_exec('fk2', 'DROP TABLE more');
SELECT dblink_disconnect('fk2');
DROP ROLE regress_fk_user;
DROP ROLE regress_fk_heir;
SET client_min_messages = warning;
DROP EXTENSION dblink;
DROP EXTENSION dataeng CASCADE;
