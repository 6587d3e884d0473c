-- The scratch table a session keeps (_agg_temp_kept) holds pages in that
-- session's local buffers, which no other session can reach: dropped from
-- another session at DROP ROLE or REASSIGN OWNED, its file went while
-- the session still held its dirty pages, and the session's next use of
-- temporary tables failed on writing them out ("could not open file").
\set VERBOSITY terse
CREATE EXTENSION dataeng;
CREATE EXTENSION dblink;
CREATE ROLE regress_fb_owner LOGIN;
CREATE ROLE regress_fb_heir;
CREATE SCHEMA fb AUTHORIZATION regress_fb_owner;
SET ROLE regress_fb_owner;
CREATE TABLE fb.sales (id int PRIMARY KEY, at timestamptz NOT NULL, region text, amount numeric);
SELECT dataeng.fact_create('fb.daily', 'fb.sales', 'at', 'day', '{region}', '{count(*), sum(amount)}',
                           schedule => NULL)::text;
INSERT INTO fb.sales SELECT g, timestamptz '2026-01-01 00:00+00' + g * interval '1 minute', 'r' || g % 3, g
  FROM generate_series(1, 20000) g;
RESET ROLE;
-- the role logs in (few temporary buffers) and refreshes its fact twice
SELECT dblink_connect('fb', format('host=%s port=%s dbname=%s user=regress_fb_owner options=''-c temp_buffers=800kB''',
                                   split_part(current_setting('unix_socket_directories'), ',', 1),
                                   current_setting('port'), current_database()));
SELECT * FROM dblink('fb', 'SELECT dataeng.fact_refresh(''fb.daily'')') AS t(refreshed bigint);
SELECT dblink_exec('fb', 'UPDATE fb.sales SET amount = amount + 1');
SELECT * FROM dblink('fb', 'SELECT dataeng.fact_refresh(''fb.daily'')') AS t(refreshed bigint);
SELECT count(*) > 0 AS kept FROM pg_class
 WHERE relname LIKE '\_dataeng\_%' AND relpersistence = 't' AND relowner = 'regress_fb_owner'::regrole;
-- its objects go to another role while it is logged in
REASSIGN OWNED BY regress_fb_owner TO regress_fb_heir;
-- its scratch tables went to the bootstrap superuser, not to the heir
SELECT relowner = 10 AS disowned, count(*) > 0 AS tables FROM pg_class
 WHERE relname LIKE '\_dataeng\_%' AND relpersistence = 't' AND relowner <> 'regress_fb_heir'::regrole
 GROUP BY 1;
-- the session goes on using temporary tables (it failed on writing out
-- the pages of its table: "could not open file")
SELECT dblink_exec('fb', 'CREATE TEMP TABLE big AS SELECT g, repeat(''x'', 100) AS pad FROM generate_series(1, 20000) g');
SELECT * FROM dblink('fb', 'SELECT count(*) FROM big') AS t(n bigint);
-- and back: the session refreshes again (its table made again)
REASSIGN OWNED BY regress_fb_heir TO regress_fb_owner;
SELECT dblink_exec('fb', 'UPDATE fb.sales SET amount = amount + 1 WHERE id <= 10');
SELECT * FROM dblink('fb', 'SELECT dataeng.fact_refresh(''fb.daily'')') AS t(refreshed bigint);
SELECT sum(sum_amount) = (SELECT sum(amount) FROM fb.sales) AS right_sum FROM fb.daily;
SELECT count(*) > 0 AS kept_again FROM pg_class
 WHERE relname LIKE '\_dataeng\_%' AND relpersistence = 't' AND relowner = 'regress_fb_owner'::regrole;
-- a table that its session drops while the command waits for it is left
-- out (the command failed: "could not open relation with OID")
SELECT dblink_exec('fb', 'BEGIN');
SELECT dblink_exec('fb', $x$DO $d$ DECLARE t text; BEGIN
  FOR t IN SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relname LIKE '\_dataeng\_%' AND relkind = 'r' LOOP
    EXECUTE format('DROP TABLE pg_temp.%I', t);
  END LOOP; END $d$$x$);
SELECT dblink_connect('admin', format('host=%s port=%s dbname=%s user=%s',
                                      split_part(current_setting('unix_socket_directories'), ',', 1),
                                      current_setting('port'), current_database(), current_user));
SELECT dblink_send_query('admin', 'REASSIGN OWNED BY regress_fb_owner TO regress_fb_heir');
-- (once it waits for the session's lock)
DO $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '120 s';
BEGIN
  -- (pg_stat_activity read anew each time: a transaction reads it once)
  WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity
                     WHERE query LIKE 'REASSIGN OWNED BY regress_fb_owner%' AND wait_event_type = 'Lock')
        AND clock_timestamp() < deadline LOOP
    PERFORM pg_sleep(0.01);
    PERFORM pg_stat_clear_snapshot();
  END LOOP;
END $$;
SELECT dblink_exec('fb', 'COMMIT');
SELECT * FROM dblink_get_result('admin') AS t(status text);
SELECT * FROM dblink_get_result('admin') AS t(status text);
REASSIGN OWNED BY regress_fb_heir TO regress_fb_owner;
SELECT dblink_disconnect('admin');
SELECT dblink_disconnect('fb');
SET client_min_messages = warning;
DROP SCHEMA fb CASCADE;
DROP ROLE regress_fb_owner;
DROP ROLE regress_fb_heir;
DROP EXTENSION dblink;
DROP EXTENSION dataeng CASCADE;
