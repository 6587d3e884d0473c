-- Before REASSIGN OWNED BY a role (and DROP ROLE), the scratch tables that
-- the role's other sessions keep (_agg_temp_kept: pg_temp._dataeng_delta_raw,
-- _dataeng_dc, _dataeng_dc_ret, _dataeng_dc_groups) are given to the
-- bootstrap superuser (src/aggregate/temp_roles.c).  Only tables as dataeng
-- makes them: a table of the role's own of such a name, with a rule, a
-- grant, an index or a default, stays the role's, as PostgreSQL has it.
-- Given to the superuser, a rule ON INSERT DO ALSO UPDATE pg_authid (a
-- rule's actions are checked with the rights of its table's owner) and
-- INSERT granted to PUBLIC made the role a superuser: any role may run
-- REASSIGN OWNED BY itself TO itself.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE EXTENSION IF NOT EXISTS dblink;
CREATE ROLE str_mallory LOGIN;
SELECT dblink_connect('m', format('host=%s port=%s dbname=%s user=str_mallory',
                                  split_part(current_setting('unix_socket_directories'), ',', 1),
                                  current_setting('port'), current_database()));
-- in a session of its own, the role makes tables of the kept names
SELECT dblink_exec('m', 'CREATE TEMP TABLE _dataeng_delta_raw (x int)');
SELECT dblink_exec('m', 'CREATE RULE r AS ON INSERT TO pg_temp._dataeng_delta_raw DO ALSO '
                        'UPDATE pg_catalog.pg_authid SET rolsuper = true WHERE rolname = ''str_mallory''');
SELECT dblink_exec('m', 'GRANT INSERT ON pg_temp._dataeng_delta_raw TO PUBLIC');
SELECT dblink_exec('m', 'CREATE TEMP TABLE _dataeng_dc (x int)');
SELECT dblink_exec('m', 'GRANT SELECT ON pg_temp._dataeng_dc TO PUBLIC');
SELECT dblink_exec('m', 'CREATE TEMP TABLE _dataeng_dc_ret (x int, y int DEFAULT 1)');
SELECT dblink_exec('m', 'CREATE TEMP TABLE _dataeng_dc_groups (x int, t text)');
SELECT dblink_exec('m', 'CREATE INDEX ON pg_temp._dataeng_dc_groups (abs(x))');
-- in another session, it reassigns what it owns to itself
SELECT dblink_connect('m2', format('host=%s port=%s dbname=%s user=str_mallory',
                                   split_part(current_setting('unix_socket_directories'), ',', 1),
                                   current_setting('port'), current_database()));
SELECT dblink_exec('m2', 'REASSIGN OWNED BY str_mallory TO str_mallory');
SELECT dblink_disconnect('m2');
-- its tables stay its own
SELECT relname, relowner = 'str_mallory'::regrole AS still_its_own, relowner = 10 AS bootstrap_owns_it
  FROM pg_class
 WHERE relname LIKE '\_dataeng\_%' AND relpersistence = 't' AND relkind = 'r'
   AND relnamespace <> pg_my_temp_schema()
 ORDER BY relname;
-- the rule runs with the role's rights: no superuser
SELECT dblink_exec('m', 'INSERT INTO pg_temp._dataeng_delta_raw VALUES (1)', false) AS inserted;
SELECT rolsuper FROM pg_roles WHERE rolname = 'str_mallory';
-- a plain table of a kept name, as dataeng makes it, still goes to the
-- bootstrap superuser (its session's next refresh drops it)
SELECT dblink_exec('m', 'DROP TABLE pg_temp._dataeng_dc_groups');
SELECT dblink_exec('m', 'CREATE TEMP TABLE _dataeng_dc_groups (x int, t text COLLATE "C")');
SELECT dblink_connect('m2', format('host=%s port=%s dbname=%s user=str_mallory',
                                   split_part(current_setting('unix_socket_directories'), ',', 1),
                                   current_setting('port'), current_database()));
SELECT dblink_exec('m2', 'REASSIGN OWNED BY str_mallory TO str_mallory');
SELECT dblink_disconnect('m2');
SELECT relname, relowner = 'str_mallory'::regrole AS still_its_own, relowner = 10 AS bootstrap_owns_it
  FROM pg_class
 WHERE relname LIKE '\_dataeng\_%' AND relpersistence = 't' AND relkind = 'r'
   AND relnamespace <> pg_my_temp_schema()
 ORDER BY relname;
-- a plain table that owns a sequence of the role's (ALTER SEQUENCE ...
-- OWNED BY, or CREATE SEQUENCE ... OWNED BY) stays the role's: a change of
-- the table's owner gives the sequence to the new owner too
SELECT dblink_exec('m', 'DROP TABLE pg_temp._dataeng_dc');
SELECT dblink_exec('m', 'CREATE TEMP TABLE _dataeng_dc (x int)');
SELECT dblink_exec('m', 'CREATE TEMP SEQUENCE str_seq OWNED BY pg_temp._dataeng_dc.x');
SELECT dblink_connect('m2', format('host=%s port=%s dbname=%s user=str_mallory',
                                   split_part(current_setting('unix_socket_directories'), ',', 1),
                                   current_setting('port'), current_database()));
SELECT dblink_exec('m2', 'REASSIGN OWNED BY str_mallory TO str_mallory');
SELECT dblink_disconnect('m2');
SELECT relname, relkind, relowner = 'str_mallory'::regrole AS still_its_own, relowner = 10 AS bootstrap_owns_it
  FROM pg_class
 WHERE relname IN ('_dataeng_dc', 'str_seq') AND relpersistence = 't'
   AND relnamespace <> pg_my_temp_schema()
 ORDER BY relname;
SELECT dblink_exec('m', 'DROP TABLE pg_temp._dataeng_delta_raw, pg_temp._dataeng_dc, pg_temp._dataeng_dc_ret');
SELECT dblink_disconnect('m');
DROP ROLE str_mallory;
DROP EXTENSION dblink;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
