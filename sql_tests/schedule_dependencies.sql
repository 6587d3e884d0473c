-- Dependencies between jobs: a cycle is refused by schedule(); a cycle or
-- a dependency stored without schedule() (by 0.1.0, restored, written by
-- hand) and an upstream job that will not succeed by itself are shown by
-- pipeline_status instead of the job silently never running.
\set VERBOSITY terse
CREATE EXTENSION dataeng;
-- the test clock: no job scheduled here becomes due
SELECT dataeng_internal._scheduler_test_now('2030-01-01 00:00:00+00');
CREATE FUNCTION job_states() RETURNS TABLE (name text, state text, reason text) LANGUAGE sql AS $$
  SELECT name, state, reason FROM dataeng.pipeline_status WHERE kind = 'job' ORDER BY name
$$;

-------------------------------------------------------------------------------
-- Cycles are refused, with their path
-------------------------------------------------------------------------------
SELECT dataeng.schedule('ja', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('jb', '@yearly', 'SELECT 1', depends_on => '{ja}') > 0 AS scheduled;
SELECT dataeng.schedule('jc', '@yearly', 'SELECT 1', depends_on => '{jb}') > 0 AS scheduled;
\set VERBOSITY default
-- two jobs waiting for each other (both then never ran, silently)
SELECT dataeng.schedule('jb', '@yearly', 'SELECT 1', depends_on => '{jc}');
-- a -> b -> c -> a
SELECT dataeng.schedule('ja', '@yearly', 'SELECT 1', depends_on => '{jc}');
-- on itself, new or rescheduled
SELECT dataeng.schedule('jself', '@yearly', 'SELECT 1', depends_on => '{jself}');
SELECT dataeng.schedule('ja', '@yearly', 'SELECT 1', depends_on => '{ja}');
-- the shortest cycle is named, from the job scheduled
SELECT dataeng.schedule('jd', '@yearly', 'SELECT 1', depends_on => '{jc}') > 0 AS scheduled;
SELECT dataeng.schedule('ja', '@yearly', 'SELECT 1', depends_on => '{jd,jb}');
\set VERBOSITY terse
-- nothing was changed by the refused calls
SELECT job_name, depends_on FROM dataeng.jobs ORDER BY job_name;
-- a diamond is no cycle; nor is rescheduling a job with the same upstream
SELECT dataeng.schedule('je', '@yearly', 'SELECT 1', depends_on => '{jb,jd}') > 0 AS scheduled;
SELECT dataeng.schedule('jc', '@daily', 'SELECT 2', depends_on => '{jb}') > 0 AS rescheduled;
-- nor a reschedule that drops the dependency that would close it first
SELECT dataeng.schedule('jb', '@yearly', 'SELECT 1') > 0 AS rescheduled;
SELECT dataeng.schedule('ja', '@yearly', 'SELECT 1', depends_on => '{jc}') > 0 AS rescheduled;
-- a NULL in the list
SELECT dataeng.schedule('jf', '@yearly', 'SELECT 1', depends_on => '{jc,NULL}');
-- in one transaction, the second half of a cycle sees the first
BEGIN;
SELECT dataeng.schedule('jx', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('jy', '@yearly', 'SELECT 1', depends_on => '{jx}') > 0 AS scheduled;
SELECT dataeng.schedule('jx', '@yearly', 'SELECT 1', depends_on => '{jy}');
ROLLBACK;
SELECT dataeng.unschedule(j) FROM unnest(ARRAY['je', 'jd', 'ja', 'jc', 'jb']) j;

-- another role's jobs: a role's job depends on its own jobs only (42704,
-- as an unknown job: it does not see the others); a superuser's job may
-- depend on anyone's, and a cycle through it is refused too
CREATE ROLE regress_dep_alice LOGIN;
SELECT dataeng.schedule('admin_up', '@yearly', 'SELECT 1') > 0 AS scheduled;
SET ROLE regress_dep_alice;
SELECT dataeng.schedule('alice_down', '@yearly', 'SELECT 1', depends_on => '{admin_up}');
SELECT dataeng.schedule('alice_up', '@yearly', 'SELECT 1') > 0 AS scheduled;
RESET ROLE;
SELECT dataeng.schedule('admin_down', '@yearly', 'SELECT 1', depends_on => '{alice_up,admin_up}') > 0 AS scheduled;
SELECT dataeng.schedule('admin_up', '@yearly', 'SELECT 1', depends_on => '{admin_down}');
-- alice cannot unschedule her job while the superuser's depends on it
SET ROLE regress_dep_alice;
SELECT dataeng.unschedule('alice_up');
RESET ROLE;
SELECT dataeng.unschedule(j) FROM unnest(ARRAY['admin_down', 'admin_up']) j;
SET ROLE regress_dep_alice;
SELECT dataeng.unschedule('alice_up');
RESET ROLE;

-------------------------------------------------------------------------------
-- Stored cycles and dangling dependencies: pipeline_status says so
-------------------------------------------------------------------------------
-- rows as 0.1.0 stored them (it let jb and jc depend on each other), or
-- as written by hand
INSERT INTO dataeng.jobs (job_name, schedule, command, depends_on, next_run_at, owner_name)
VALUES ('sa', '@yearly', 'SELECT 1', '{sc}', '2031-06-01 00:00+00', current_user),
       ('sb', '@yearly', 'SELECT 1', '{sa}', '2031-06-01 00:00+00', current_user),
       ('sc', '@yearly', 'SELECT 1', '{sb}', '2031-06-01 00:00+00', current_user),
       ('sdown', '@yearly', 'SELECT 1', '{sc}', '2031-06-01 00:00+00', current_user),
       ('sself', '@yearly', 'SELECT 1', '{sself}', '2031-06-01 00:00+00', current_user),
       ('sdangling', '@yearly', 'SELECT 1', '{sgone}', '2031-06-01 00:00+00', current_user);
SELECT * FROM job_states();
-- its alert
SELECT name, alert_kind FROM dataeng_internal._status_rows() WHERE kind = 'job' ORDER BY name;
-- rescheduling one of the cycle without its dependency mends the others
SELECT dataeng.schedule('sb', '@yearly', 'SELECT 1') > 0 AS rescheduled;
SELECT dataeng.schedule('sself', '@yearly', 'SELECT 1') > 0 AS rescheduled;
SELECT * FROM job_states() WHERE name <> 'sdangling';
SELECT dataeng.unschedule(j) FROM unnest(ARRAY['sdown', 'sdangling', 'sa', 'sc', 'sb', 'sself']) j;

-------------------------------------------------------------------------------
-- An upstream job that will not succeed by itself: a warning downstream
-------------------------------------------------------------------------------
SELECT dataeng.schedule('up', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('down', '@yearly', 'SELECT 1', depends_on => '{up}') > 0 AS scheduled;
-- never ran: the downstream job waits for it as it runs on schedule
SELECT * FROM job_states();
-- paused
SELECT dataeng.job_pause('up');
SELECT * FROM job_states();
SELECT dataeng.job_resume('up');
-- failed, its retries spent (as the scheduler records it)
UPDATE dataeng.jobs SET last_status = 'failed', attempt = 0, last_finished_at = now() WHERE job_name = 'up';
SELECT * FROM job_states();
-- failed but retrying: it may succeed by itself
UPDATE dataeng.jobs SET attempt = 1, max_retries = 2 WHERE job_name = 'up';
SELECT * FROM job_states();
-- broken
UPDATE dataeng.jobs SET attempt = 0, broken = 'its owner role (oid 1) was dropped' WHERE job_name = 'up';
SELECT * FROM job_states();
-- it succeeded since the downstream job's last start: the downstream job
-- runs when due, whatever the upstream job does now
UPDATE dataeng.jobs SET last_success_at = now(), last_started_at = now() - interval '1 minute'
 WHERE job_name = 'up';
SELECT * FROM job_states();
SELECT dataeng.unschedule('down'), dataeng.unschedule('up');
-- stuck further up: a job two or more levels below a stuck job does not
-- run either, and says which job at the top of the chain holds it (it
-- said ok): tb waits for ta, tc for tb, td for tc and ta
SELECT dataeng.schedule('ta', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('tb', '@yearly', 'SELECT 1', depends_on => '{ta}') > 0 AS scheduled;
SELECT dataeng.schedule('tc', '@yearly', 'SELECT 1', depends_on => '{tb}') > 0 AS scheduled;
SELECT dataeng.schedule('td', '@yearly', 'SELECT 1', depends_on => '{tc,ta}') > 0 AS scheduled;
SELECT dataeng.job_pause('ta');
SELECT * FROM job_states();
-- tb succeeded since tc's last start: tc runs when due; td still waits for ta
UPDATE dataeng.jobs SET last_success_at = now() WHERE job_name = 'tb';
SELECT * FROM job_states();
SELECT dataeng.unschedule(j) FROM unnest(ARRAY['td', 'tc', 'tb', 'ta']) j;
-- the same stuck job reached by two paths is named once (it was named
-- twice): pd waits for pa directly and through pb; pe through pb and pc
-- (pa once, at pb); pf through pc and then pb (pa at pc, the first it
-- lists), and for px (broken) through pc only
SELECT dataeng.schedule('pa', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('px', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('pb', '@yearly', 'SELECT 1', depends_on => '{pa}') > 0 AS scheduled;
SELECT dataeng.schedule('pc', '@yearly', 'SELECT 1', depends_on => '{pa,px}') > 0 AS scheduled;
SELECT dataeng.schedule('pd', '@yearly', 'SELECT 1', depends_on => '{pb,pa}') > 0 AS scheduled;
SELECT dataeng.schedule('pe', '@yearly', 'SELECT 1', depends_on => '{pb,pc}') > 0 AS scheduled;
SELECT dataeng.schedule('pf', '@yearly', 'SELECT 1', depends_on => '{pc,pb}') > 0 AS scheduled;
SELECT dataeng.schedule('pg', '@yearly', 'SELECT 1', depends_on => '{pd,pe,pf}') > 0 AS scheduled;
-- a name given twice in depends_on is named once (it was named twice)
SELECT dataeng.schedule('ph', '@yearly', 'SELECT 1', depends_on => '{pa,pb,pa,pb}') > 0 AS scheduled;
SELECT dataeng.job_pause('pa');
UPDATE dataeng.jobs SET broken = 'its owner role (oid 1) was dropped' WHERE job_name = 'px';
SELECT * FROM job_states();
-- each stuck job once in the whole reason, however many paths
SELECT j.name, t.stuck, count(*) AS times
  FROM job_states() j
  CROSS JOIN LATERAL regexp_matches(j.reason, '"(pa|px)" \(', 'g') m
  CROSS JOIN LATERAL (SELECT m[1] AS stuck) t
 GROUP BY j.name, t.stuck HAVING count(*) > 1;
SELECT dataeng.unschedule(j) FROM unnest(ARRAY['ph', 'pg', 'pf', 'pe', 'pd', 'pc', 'pb', 'px', 'pa']) j;
-- a cycle at the top (stored by 0.1.0, or written by hand)
INSERT INTO dataeng.jobs (job_name, schedule, command, depends_on, next_run_at, owner_name)
VALUES ('cx', '@yearly', 'SELECT 1', '{cy}', '2031-06-01 00:00+00', current_user),
       ('cy', '@yearly', 'SELECT 1', '{cx}', '2031-06-01 00:00+00', current_user),
       ('cz', '@yearly', 'SELECT 1', '{cy}', '2031-06-01 00:00+00', current_user),
       ('cw', '@yearly', 'SELECT 1', '{cz}', '2031-06-01 00:00+00', current_user);
SELECT * FROM job_states();
DELETE FROM dataeng.jobs WHERE job_name IN ('cx', 'cy', 'cz', 'cw');
-- the jobs in cycles are found at once for all jobs (_graph_cycles, each
-- job and dependency visited once): the same as each job's reach, over
-- random graphs, with cycles of one, two and more, and jobs between them
SELECT setseed(0.25);
DO $$
DECLARE
  s int[];
  d int[];
  got int[];
  want int[];
  with_cycles int := 0;
BEGIN
  FOR k IN 1 .. 300 LOOP
    SELECT array_agg(1 + floor(random() * 30)::int), array_agg(1 + floor(random() * 30)::int) INTO s, d
      FROM generate_series(1, 1 + floor(random() * 45)::int);
    got := (SELECT coalesce(array_agg(x ORDER BY x), '{}') FROM unnest(dataeng_internal._graph_cycles(s, d)) x);
    WITH RECURSIVE e AS (SELECT * FROM unnest(s, d) u(ef, et)),
    r(st, at) AS (SELECT ef, et FROM e UNION SELECT r.st, e.et FROM r JOIN e ON e.ef = r.at)
    SELECT coalesce(array_agg(DISTINCT st ORDER BY st), '{}') INTO want FROM r WHERE st = at;
    IF got <> want THEN
      RAISE EXCEPTION 'edges % -> %: % in cycles, not %', s, d, got, want;
    END IF;
    with_cycles := with_cycles + (cardinality(want) > 0)::int;
  END LOOP;
  RAISE NOTICE 'same in 300 graphs, % of them with cycles', with_cycles;
END $$;
SELECT dataeng_internal._graph_cycles('{}', '{}') AS no_edges,
       dataeng_internal._graph_cycles('{1,2,3,4}', '{2,3,4,2}') AS three_below_one,
       dataeng_internal._graph_cycles('{5}', '{5}') AS on_itself;
SELECT dataeng_internal._graph_cycles('{1}', '{}');
SELECT dataeng_internal._graph_cycles('{0}', '{1}');
SELECT dataeng_internal._graph_cycles('{1,NULL}', '{2,1}');
-- a long chain whose last job depends on its first, stored by hand: all
-- of it in the cycle, its path named from each
INSERT INTO dataeng.jobs (job_name, schedule, command, depends_on, next_run_at, owner_name)
SELECT 'ring' || i, '@yearly', 'SELECT 1', ARRAY['ring' || CASE WHEN i = 1 THEN 6 ELSE i - 1 END],
       '2031-06-01 00:00+00', current_user
  FROM generate_series(1, 6) i;
SELECT * FROM job_states() WHERE name IN ('ring1', 'ring6');
SELECT count(*) FILTER (WHERE state = 'failing') AS failing FROM job_states() WHERE name LIKE 'ring%';
DELETE FROM dataeng.jobs WHERE job_name LIKE 'ring%';

-------------------------------------------------------------------------------
-- Unscheduling a job others depend on: refused, also with its monitor
-------------------------------------------------------------------------------
CREATE TABLE dep_events (at timestamptz);
SELECT dataeng.monitor_create('dep_flow', 'dep_events', 'at', max_silence => '1 hour', schedule => '1 hour');
SELECT dataeng.schedule('dep_report', '@yearly', 'SELECT 1', depends_on => '{monitor:dep_flow}') > 0 AS scheduled;
\set VERBOSITY default
SELECT dataeng.unschedule('monitor:dep_flow');
-- refused of the monitor, with no CONTEXT lines of dataeng's internal
-- functions (it was unschedule()'s refusal of its job, with them)
SELECT dataeng.monitor_drop('dep_flow');
SELECT :'LAST_ERROR_SQLSTATE' AS sqlstate;
\set VERBOSITY terse
SELECT count(*) AS monitor_kept FROM dataeng.monitors WHERE name = 'dep_flow';
SELECT dataeng.unschedule('dep_report');
SELECT dataeng.monitor_drop('dep_flow');
DROP TABLE dep_events;

-- a job that names one with no row (unscheduled since: a restore of its
-- jobs without it, an edit) is downstream of a new job of that name: the
-- check found the cycle and the walk that names it, following rows only,
-- did not, and the new job was scheduled in a cycle (neither ever ran)
SELECT dataeng.schedule('jgone', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.schedule('jkeep', '@yearly', 'SELECT 1', depends_on => '{jgone}') > 0 AS scheduled;
DELETE FROM dataeng.jobs WHERE job_name = 'jgone';
SELECT dataeng.schedule('jgone', '@yearly', 'SELECT 1', depends_on => '{jkeep}');
SELECT count(*) AS scheduled_in_a_cycle FROM dataeng.jobs WHERE job_name = 'jgone';
SELECT dataeng.schedule('jkeep', '@yearly', 'SELECT 1') > 0 AS scheduled;
SELECT dataeng.unschedule('jkeep');
SELECT dataeng.unschedule('jgone');

SELECT dataeng_internal._scheduler_test_now(NULL);
DROP ROLE regress_dep_alice;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
