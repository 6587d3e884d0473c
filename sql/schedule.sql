-----------------------------------------------------------------------------
-- Scheduling (src/schedule/): jobs run by background workers.
--
-- A launcher worker starts one scheduler per database having the extension;
-- the scheduler starts one worker per job run, connected as the job's
-- owner.  dataeng.jobs and dataeng.job_runs are protected by row-level
-- security: a role sees its own jobs only (superusers all).  No role but
-- the extension's owner writes them: schedule(), unschedule(), job_pause(),
-- job_resume() and job_run_now() are invoker-rights C entry points
-- (src/schedule/api.c) that call their bodies (_job_*) as the bodies' owner
-- with the calling role, and the bodies check that role's rights.
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng_internal._schedule_valid(schedule text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_schedule_valid'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._schedule_valid(text) IS 'internal: does a schedule parse (CHECK of dataeng.jobs)';

CREATE FUNCTION dataeng_internal._schedule_next(schedule text, after timestamptz)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_schedule_next'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._schedule_next(text, timestamptz) IS
  'The next time a schedule (cron expression in dataeng.timezone, @keyword or interval) is due after a given time';

CREATE FUNCTION dataeng_internal._job_command_check(job_name text, command text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_job_command_check'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._job_command_check(text, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_command_check(text, text) IS
  'internal: raise the parser''s error when a job''s command does not parse';

CREATE FUNCTION dataeng_internal._scheduler_wake()
RETURNS trigger
AS 'MODULE_PATHNAME', 'dataeng_scheduler_wake'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._scheduler_wake() IS 'internal: wake the scheduler when job changes commit';

CREATE FUNCTION dataeng_internal._scheduler_wake_now()
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_scheduler_wake'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._scheduler_wake_now() IS 'internal: wake the scheduler (or the launcher) at commit';

CREATE FUNCTION dataeng_internal._scheduler_pid()
RETURNS int
AS 'MODULE_PATHNAME', 'dataeng_scheduler_pid'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._scheduler_pid() IS
  'The process id of this database''s scheduler while one runs, else of the launcher; NULL when neither runs';

-- When the launcher and this database's scheduler last read the server's
-- configuration files (the earlier of the two): tests that change a
-- setting (ALTER SYSTEM, pg_reload_conf()) wait until it is later than a
-- moment taken before the reload, instead of waiting on behaviour
CREATE FUNCTION dataeng_internal._scheduler_conf_read()
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_scheduler_conf_read'
LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._scheduler_conf_read() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._scheduler_conf_read() IS
  'internal: when the configuration files that the launcher and this database''s scheduler apply were read (the earlier); NULL when no launcher runs';

-- The scheduler's clock (src/schedule/clock.c): the test clock when a
-- superuser set one, else now().  schedule() and job_resume() compute the
-- next run from it, as the scheduler does.
CREATE FUNCTION dataeng_internal._scheduler_now()
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_scheduler_now'
LANGUAGE C VOLATILE PARALLEL SAFE;
REVOKE ALL ON FUNCTION dataeng_internal._scheduler_now() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._scheduler_now() IS
  'internal: the scheduler''s now in this database (its test clock when set, else now())';

CREATE FUNCTION dataeng_internal._scheduler_test_now(at timestamptz)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_scheduler_test_now'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION dataeng_internal._scheduler_test_now(timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._scheduler_test_now(timestamptz) IS
  'For tests only (superusers): the scheduler of this database sees this time, frozen, until set again; NULL: the real clock';

-- Whether a recorded role oid still names the role recorded beside it
-- (its name, and the cluster where that name was last seen on the oid):
-- the rule of the jobs' owners, and of every other row that names a role
-- (src/schedule/api.c).  PUBLIC: the row-level security policies call it.
CREATE FUNCTION dataeng_internal._owner_trusted(owner regrole, owner_name name, owner_system bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_owner_trusted'
LANGUAGE C STABLE PARALLEL SAFE COST 10;
COMMENT ON FUNCTION dataeng_internal._owner_trusted(regrole, name, bigint) IS
  'internal: whether a role oid names a role and, unless recorded in this cluster (system identifier), the role of the recorded name';

CREATE TABLE dataeng.jobs (
  job_id           bigserial   PRIMARY KEY,
  job_name         text        NOT NULL UNIQUE CHECK (job_name <> ''),
  owner            regrole     NOT NULL DEFAULT current_user::regrole,
  schedule         text        NOT NULL CHECK (dataeng_internal._schedule_valid(schedule)),
  command          text        NOT NULL,
  timeout          interval    CHECK (timeout > interval '0'),
  max_retries      int         NOT NULL DEFAULT 0 CHECK (max_retries >= 0),
  depends_on       text[],
  paused           boolean     NOT NULL DEFAULT false,
  run_now          boolean     NOT NULL DEFAULT false,
  next_run_at      timestamptz,
  attempt          int         NOT NULL DEFAULT 0,
  last_run_id      bigint,
  last_started_at  timestamptz,
  last_finished_at timestamptz,
  last_status      text        CHECK (last_status IN ('waiting', 'running', 'succeeded', 'failed', 'timed_out')),
  last_success_at  timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  broken           text,
  owner_name       name,
  owner_system     bigint      DEFAULT (pg_catalog.pg_control_system()).system_identifier
);
COMMENT ON TABLE dataeng.jobs IS 'Scheduled jobs (dataeng.schedule()); each role sees its own';
COMMENT ON COLUMN dataeng.jobs.job_id IS 'Identifier of the job';
COMMENT ON COLUMN dataeng.jobs.job_name IS 'Name of the job, unique per owner';
COMMENT ON COLUMN dataeng.jobs.owner IS 'Role the job runs as';
COMMENT ON COLUMN dataeng.jobs.schedule IS 'Cron expression or interval of the job';
COMMENT ON COLUMN dataeng.jobs.command IS 'SQL the job runs';
COMMENT ON COLUMN dataeng.jobs.timeout IS 'Longest a run may take before it is cancelled';
COMMENT ON COLUMN dataeng.jobs.max_retries IS 'Retries after a failed run before waiting for the next scheduled run';
COMMENT ON COLUMN dataeng.jobs.depends_on IS 'Jobs that must succeed before this one runs';
COMMENT ON COLUMN dataeng.jobs.paused IS 'Whether the job is paused (no run starts)';
COMMENT ON COLUMN dataeng.jobs.run_now IS 'Whether a run was requested by dataeng.job_run_now()';
COMMENT ON COLUMN dataeng.jobs.next_run_at IS 'When the job runs next';
COMMENT ON COLUMN dataeng.jobs.attempt IS 'Retries made for the current failure';
COMMENT ON COLUMN dataeng.jobs.last_run_id IS 'The job''s last run in dataeng.job_runs';
COMMENT ON COLUMN dataeng.jobs.last_started_at IS 'When the last run started';
COMMENT ON COLUMN dataeng.jobs.last_finished_at IS 'When the last run finished';
COMMENT ON COLUMN dataeng.jobs.last_status IS 'Status of the last run: waiting, running, succeeded, failed or timed_out';
COMMENT ON COLUMN dataeng.jobs.last_success_at IS 'When a run last succeeded';
COMMENT ON COLUMN dataeng.jobs.created_at IS 'When the job was scheduled';
COMMENT ON COLUMN dataeng.jobs.broken IS 'Why the scheduler stopped running the job (its schedule gives no next run), NULL when it runs';
SELECT pg_catalog.pg_extension_config_dump('dataeng.jobs', '');
COMMENT ON COLUMN dataeng.jobs.owner_name IS
  'The owner''s role name, taken by schedule() and following renames: the job runs only as a role of this name once restored in another cluster';
COMMENT ON COLUMN dataeng.jobs.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (pg_control_system()); a row written without it (by hand, or restored from a dump of 0.1.0) is taken as of this cluster';
SELECT pg_catalog.pg_extension_config_dump('dataeng.jobs_job_id_seq', '');

CREATE TABLE dataeng.job_runs (
  run_id        bigserial   PRIMARY KEY,
  job_id        bigint      NOT NULL,
  owner         regrole     NOT NULL,
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  status        text        NOT NULL CHECK (status IN ('waiting', 'running', 'succeeded', 'failed', 'timed_out')),
  attempt       int         NOT NULL,
  error_message text,
  command_tags  text[],
  wait_reason   text,
  owner_name    name,
  owner_system  bigint      DEFAULT (pg_catalog.pg_control_system()).system_identifier
);
-- the jobs that depend on a job, walked by the cycle check (_job_cycle)
CREATE INDEX jobs_depends_on_idx ON dataeng.jobs USING gin (depends_on);
CREATE INDEX job_runs_job_idx ON dataeng.job_runs (job_id, started_at);
-- the runs waiting for a worker slot, looked at by each pass of the scheduler
CREATE INDEX job_runs_waiting_idx ON dataeng.job_runs (run_id) WHERE status = 'waiting';
-- the runs shown running, of which the scheduler ends those no worker runs
CREATE INDEX job_runs_running_idx ON dataeng.job_runs (run_id) WHERE status = 'running';
-- the finished runs past dataeng.job_history_keep, deleted by the scheduler
-- once a minute (without it, a scan of the whole history each time)
CREATE INDEX job_runs_finished_idx ON dataeng.job_runs (finished_at);
COMMENT ON TABLE dataeng.job_runs IS 'History of job runs, kept for dataeng.job_history_keep';
COMMENT ON COLUMN dataeng.job_runs.run_id IS 'Identifier of the run';
COMMENT ON COLUMN dataeng.job_runs.job_id IS 'The job run';
COMMENT ON COLUMN dataeng.job_runs.owner IS 'Role the run ran as';
COMMENT ON COLUMN dataeng.job_runs.started_at IS 'When the run started';
COMMENT ON COLUMN dataeng.job_runs.finished_at IS 'When the run finished, NULL while it runs';
COMMENT ON COLUMN dataeng.job_runs.status IS 'Status of the run: waiting, running, succeeded, failed or timed_out';
COMMENT ON COLUMN dataeng.job_runs.attempt IS 'Retry number of the run (0: the scheduled run)';
COMMENT ON COLUMN dataeng.job_runs.error_message IS 'The error of a failed run';
SELECT pg_catalog.pg_extension_config_dump('dataeng.job_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.job_runs_run_id_seq', '');
COMMENT ON COLUMN dataeng.job_runs.command_tags IS
  'The completion tag of each statement of the command that completed, as psql prints it (INSERT 0 3, VACUUM)';
COMMENT ON COLUMN dataeng.job_runs.owner_name IS
  'The job''s owner_name when the run was recorded: the run is shown to the role of its owner oid only while that oid names a role of this name, or in the cluster of owner_system';
COMMENT ON COLUMN dataeng.job_runs.owner_system IS
  'The system identifier of the cluster where owner_name was last seen on the owner''s oid (as dataeng.jobs.owner_system)';
COMMENT ON COLUMN dataeng.job_runs.wait_reason IS
  'Why the run waited before it started (no background worker slot free); NULL when it started at once';

ALTER TABLE dataeng.jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.job_runs ENABLE ROW LEVEL SECURITY;
-- a job restored in another cluster, whose owner oid there names a role
-- of another name (marked broken by the scheduler), is not that role's:
-- shown to superusers only, as its runs
CREATE POLICY own_jobs ON dataeng.jobs
  USING (owner = current_user::regrole AND dataeng_internal._owner_trusted(owner, owner_name, owner_system))
  WITH CHECK (owner = current_user::regrole);
-- a run restored in another cluster, whose owner oid there names a role
-- of another name (the job's owner was dropped before the dump), is shown
-- to superusers only
CREATE POLICY own_runs ON dataeng.job_runs FOR SELECT
  USING (owner = current_user::regrole AND dataeng_internal._owner_trusted(owner, owner_name, owner_system));
REVOKE ALL ON dataeng.jobs, dataeng.job_runs FROM PUBLIC;
REVOKE ALL ON SEQUENCE dataeng.jobs_job_id_seq, dataeng.job_runs_run_id_seq FROM PUBLIC;
GRANT SELECT ON dataeng.jobs TO PUBLIC;
GRANT SELECT ON dataeng.job_runs TO PUBLIC;

CREATE TRIGGER jobs_wake AFTER INSERT OR UPDATE OR DELETE ON dataeng.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._scheduler_wake();
-- a restore loading the jobs: its session holds the jobs back until it
-- ends (common.sql, _restore_seen)
CREATE TRIGGER jobs_restore_seen AFTER INSERT ON dataeng.jobs
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._restore_seen();

-- A run in progress when a dump was taken is dumped as running, and so is
-- its job's last_status: restored, nothing would ever end it (no worker
-- runs it there, and the scheduler ends the runs a crash or restart cut
-- only once, at its first pass after the server starts, before the
-- restore), so the restored database showed it running for ever, and
-- job_history_keep never trimmed it.  Only the scheduler inserts a run
-- as running (sched_run_start), and nothing inserts a job so: a run or
-- job inserted running by another process (a restore, with or without
-- pg_restore) is recorded as failed, as a run a restart cut is.
CREATE FUNCTION dataeng_internal._job_restored_running()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF TG_TABLE_NAME = 'job_runs' THEN
    IF (SELECT a.backend_type FROM pg_catalog.pg_stat_get_activity(pg_catalog.pg_backend_pid()) a)
       IS NOT DISTINCT FROM 'dataeng scheduler' THEN
      RETURN NEW;
    END IF;
    NEW.status := 'failed';
    NEW.finished_at := coalesce(NEW.finished_at, now());
    NEW.error_message := 'the run was in progress when the dump was taken: how it ended is not known here';
  ELSE
    NEW.last_status := 'failed';
    NEW.last_finished_at := coalesce(NEW.last_finished_at, now());
  END IF;
  RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_restored_running() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_restored_running() IS
  'internal: a job or run restored as running (the dump was taken during the run) is recorded as failed';
CREATE TRIGGER jobs_restored_running BEFORE INSERT ON dataeng.jobs
  FOR EACH ROW WHEN (NEW.last_status = 'running')
  EXECUTE FUNCTION dataeng_internal._job_restored_running();
CREATE TRIGGER job_runs_restored_running BEFORE INSERT ON dataeng.job_runs
  FOR EACH ROW WHEN (NEW.status = 'running')
  EXECUTE FUNCTION dataeng_internal._job_restored_running();

-- whether a role may see and change a job of another role: superusers may
CREATE FUNCTION dataeng_internal._job_visible(caller regrole, owner regrole)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT owner OPERATOR(pg_catalog.=) caller OR dataeng_internal._is_superuser(caller)
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_visible(regrole, regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_visible(regrole, regrole) IS 'internal: whether a role may manage a job of an owner';

-- the job a name refers to, locked, when the caller may manage it; a clear
-- error otherwise
CREATE FUNCTION dataeng_internal._job(caller regrole, job_name text)
RETURNS dataeng.jobs
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j dataeng.jobs;
BEGIN
  -- only a row the caller may manage is locked: a role cannot hold another
  -- role's job (and so the scheduler) by locking it
  SELECT * INTO j FROM dataeng.jobs
   WHERE jobs.job_name OPERATOR(pg_catalog.=) _job.job_name AND dataeng_internal._job_visible(caller, jobs.owner)
     -- not a job whose owner oid names another role than the one that
     -- scheduled it (restored in another cluster): a superuser's only
     AND (dataeng_internal._owner_trusted(jobs.owner, jobs.owner_name, jobs.owner_system)
          OR dataeng_internal._is_superuser(caller))
     FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'job "%" does not exist', job_name
      USING ERRCODE = 'undefined_object',
            HINT = 'dataeng.jobs lists the jobs of the current role.';
  END IF;
  RETURN j;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job(regrole, text) IS 'internal: lock a job the calling role may manage, by name';

CREATE FUNCTION dataeng_internal._job_cap_lock(role regrole)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_job_cap_lock'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._job_cap_lock(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_cap_lock(regrole) IS
  'internal: serialize a role''s new jobs until commit (a lock no SQL advisory lock can take)';

-- The cycle of dependencies that a job of this owner and name would be
-- in with these upstream jobs, as its path ('"a" -> "b" -> "a"': each job
-- depends on the next), or NULL.  A dependency names a job of the same
-- owner, or of anyone for a superuser's job (as the scheduler follows it:
-- a name that names no such job leads nowhere).  The job's stored
-- dependencies are not followed (these replace them); the jobs are walked
-- breadth first, each once, so the path is a shortest one.
CREATE FUNCTION dataeng_internal._job_cycle(owner regrole, job_name text, depends_on text[])
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  seen text[];          -- the jobs reached
  came text[];          -- from which job each was reached
  frontier text[];      -- those reached last
  reached int;
  step record;
  found_from text;
  path text;
  at text;
BEGIN
  IF _job_cycle.job_name OPERATOR(pg_catalog.=) ANY (_job_cycle.depends_on) THEN
    RETURN format('"%s" -> "%s"', job_name, job_name);
  END IF;
  -- Most calls close no cycle.  A cycle through the job is an upstream
  -- job that depends, directly or through others, on the job itself: so
  -- the jobs downstream of it are walked (through the GIN index on
  -- depends_on), not those upstream.  A new job, or the last of a chain,
  -- has none, whatever the length of the chain above it: walking upstream
  -- visited the whole chain at each call, and building a chain of 1,000
  -- jobs took minutes.  The job's own stored dependencies are not
  -- followed (these replace them).  Only a cycle found is walked again
  -- below, for the shortest path to name.
  IF NOT EXISTS (
    WITH RECURSIVE down(name, owner) AS (
      SELECT f.job_name, f.owner FROM dataeng.jobs f
       WHERE f.depends_on OPERATOR(pg_catalog.@>) ARRAY[_job_cycle.job_name]
         AND f.job_name OPERATOR(pg_catalog.<>) _job_cycle.job_name
         AND (f.owner OPERATOR(pg_catalog.=) _job_cycle.owner OR dataeng_internal._is_superuser(f.owner))
      UNION
      SELECT f.job_name, f.owner
        FROM down d
        JOIN dataeng.jobs f ON f.depends_on OPERATOR(pg_catalog.@>) ARRAY[d.name]
         AND f.job_name OPERATOR(pg_catalog.<>) _job_cycle.job_name
         AND (f.owner OPERATOR(pg_catalog.=) d.owner OR dataeng_internal._is_superuser(f.owner)))
    SELECT 1 FROM down
     WHERE down.name OPERATOR(pg_catalog.=) ANY (_job_cycle.depends_on)
       AND (down.owner OPERATOR(pg_catalog.=) _job_cycle.owner OR dataeng_internal._is_superuser(_job_cycle.owner))) THEN
    RETURN NULL;
  END IF;
  -- the upstream jobs named, as the job's owner sees them
  SELECT coalesce(array_agg(DISTINCT u.job_name), '{}') INTO frontier
    FROM dataeng.jobs u
   WHERE u.job_name OPERATOR(pg_catalog.=) ANY (_job_cycle.depends_on)
     AND (u.owner OPERATOR(pg_catalog.=) _job_cycle.owner OR dataeng_internal._is_superuser(_job_cycle.owner));
  seen := frontier;
  came := array_fill(job_name, ARRAY[cardinality(frontier)]);
  WHILE cardinality(frontier) OPERATOR(pg_catalog.>) 0 AND found_from IS NULL LOOP
    reached := cardinality(seen);
    FOR step IN
      SELECT DISTINCT ON (u.job_name) u.job_name AS name, f.job_name AS from_name
        FROM dataeng.jobs f CROSS JOIN LATERAL pg_catalog.unnest(f.depends_on) d(name)
        JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d.name
         AND (u.owner OPERATOR(pg_catalog.=) f.owner OR dataeng_internal._is_superuser(f.owner))
       WHERE f.job_name OPERATOR(pg_catalog.=) ANY (frontier)
         AND NOT u.job_name OPERATOR(pg_catalog.=) ANY (seen)
       ORDER BY u.job_name, f.job_name
    LOOP
      IF step.name OPERATOR(pg_catalog.=) job_name THEN
        found_from := coalesce(found_from, step.from_name);
      ELSE
        seen := seen || step.name;
        came := came || step.from_name;
      END IF;
    END LOOP;
    -- the job itself has no row yet (a new job) when a job depends on its
    -- name still (that of a job unscheduled since, which the check above
    -- finds): the walk, which followed rows only, found no cycle and the
    -- job was scheduled in one
    IF found_from IS NULL THEN
      SELECT f.job_name INTO found_from FROM dataeng.jobs f
       WHERE f.job_name OPERATOR(pg_catalog.=) ANY (frontier)
         AND f.depends_on OPERATOR(pg_catalog.@>) ARRAY[_job_cycle.job_name]
         AND (f.owner OPERATOR(pg_catalog.=) _job_cycle.owner OR dataeng_internal._is_superuser(f.owner))
       ORDER BY f.job_name LIMIT 1;
    END IF;
    frontier := seen[reached + 1:];
  END LOOP;
  IF found_from IS NULL THEN
    RETURN NULL;
  END IF;
  -- back from the job that leads to this one, to this one
  path := format('"%s"', job_name);
  at := found_from;
  WHILE at OPERATOR(pg_catalog.<>) job_name LOOP
    path := format('"%s" -> %s', at, path);
    at := came[array_position(seen, at)];
  END LOOP;
  RETURN format('"%s" -> %s', job_name, path);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._job_cycle(regrole, text, text[]) IS
  'internal: the shortest dependency cycle a job would close with these upstream jobs, or NULL';

-- The vertices of a directed graph that lie on a cycle of it (a strongly
-- connected component of two or more, or one with an edge to itself), of
-- the graph whose edge i goes from vertex src[i] to vertex dst[i], the
-- vertices numbered from 1.  Tarjan's algorithm, each vertex and edge
-- visited once: pipeline_status finds the jobs in a cycle of dependencies
-- with it (following each job's reach instead was quadratic: 1.5 s for a
-- chain of 1,000 jobs).  The arrays are worked on in place, as PL/pgSQL
-- does with an array variable's elements.
CREATE FUNCTION dataeng_internal._graph_cycles(src int[], dst int[])
RETURNS int[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  m int := coalesce(cardinality(src), 0);
  n int;
  first int[];          -- vertex v's edges: adj[first[v]] .. adj[first[v + 1] - 1]
  fill int[];
  adj int[];
  num int[];            -- the order of each vertex's visit (0: not yet)
  low int[];
  on_stack boolean[];
  self_edge boolean[];
  stack int[];          -- the vertices visited whose component is open
  sp int := 0;
  call_v int[];         -- the depth-first walk: its vertices and their next edge
  call_e int[];
  cp int;
  visited int := 0;
  v int;
  w int;
  e int;
  bottom int;
  result int[] := '{}';
BEGIN
  IF cardinality(dst) IS DISTINCT FROM m THEN
    RAISE EXCEPTION 'edges given with % sources and % destinations', m, coalesce(cardinality(dst), 0)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF m = 0 THEN
    RETURN result;
  END IF;
  SELECT max(x), min(x) INTO n, v FROM (SELECT unnest(src) UNION ALL SELECT unnest(dst)) s(x);
  IF v IS NULL OR v < 1 THEN
    RAISE EXCEPTION 'vertices are numbered from 1'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF array_position(src, NULL) IS NOT NULL OR array_position(dst, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'an edge without its vertex'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  -- the edges grouped by their source
  fill := array_fill(0, ARRAY[n + 1]);
  FOR i IN 1 .. m LOOP
    fill[src[i]] := fill[src[i]] + 1;
  END LOOP;
  first := array_fill(1, ARRAY[n + 1]);
  FOR i IN 2 .. n + 1 LOOP
    first[i] := first[i - 1] + fill[i - 1];
  END LOOP;
  fill := first;
  adj := array_fill(0, ARRAY[m]);
  FOR i IN 1 .. m LOOP
    adj[fill[src[i]]] := dst[i];
    fill[src[i]] := fill[src[i]] + 1;
  END LOOP;
  num := array_fill(0, ARRAY[n]);
  low := array_fill(0, ARRAY[n]);
  on_stack := array_fill(false, ARRAY[n]);
  self_edge := array_fill(false, ARRAY[n]);
  stack := array_fill(0, ARRAY[n]);
  call_v := array_fill(0, ARRAY[n]);
  call_e := array_fill(0, ARRAY[n]);
  FOR root IN 1 .. n LOOP
    CONTINUE WHEN num[root] <> 0;
    visited := visited + 1;
    num[root] := visited;
    low[root] := visited;
    sp := sp + 1;
    stack[sp] := root;
    on_stack[root] := true;
    cp := 1;
    call_v[1] := root;
    call_e[1] := first[root];
    WHILE cp > 0 LOOP
      v := call_v[cp];
      e := call_e[cp];
      IF e < first[v + 1] THEN
        call_e[cp] := e + 1;
        w := adj[e];
        IF w = v THEN
          self_edge[v] := true;
        ELSIF num[w] = 0 THEN
          visited := visited + 1;
          num[w] := visited;
          low[w] := visited;
          sp := sp + 1;
          stack[sp] := w;
          on_stack[w] := true;
          cp := cp + 1;
          call_v[cp] := w;
          call_e[cp] := first[w];
        ELSIF on_stack[w] AND num[w] < low[v] THEN
          low[v] := num[w];
        END IF;
      ELSE
        IF low[v] = num[v] THEN
          -- v is the root of a component: the vertices above it on the stack
          bottom := sp;
          WHILE stack[bottom] <> v LOOP
            bottom := bottom - 1;
          END LOOP;
          IF bottom < sp OR self_edge[v] THEN
            result := result || stack[bottom:sp];
          END IF;
          FOR i IN bottom .. sp LOOP
            on_stack[stack[i]] := false;
          END LOOP;
          sp := bottom - 1;
        END IF;
        cp := cp - 1;
        IF cp > 0 AND low[v] < low[call_v[cp]] THEN
          low[call_v[cp]] := low[v];
        END IF;
      END IF;
    END LOOP;
  END LOOP;
  RETURN result;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._graph_cycles(int[], int[]) IS
  'internal: the vertices on a cycle of the directed graph of edges src[i] -> dst[i] (Tarjan''s algorithm)';

CREATE FUNCTION dataeng_internal._job_cycle_check(owner regrole, job_name text, depends_on text[])
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_job_cycle_check'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._job_cycle_check(regrole, text, text[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_cycle_check(regrole, text, text[]) IS
  'internal: lock the owner''s dependencies between jobs until commit, then the cycle _job_cycle finds with the latest snapshot';

CREATE FUNCTION dataeng_internal._job_schedule(caller regrole, job_name text, schedule text, command text,
                                      timeout interval, max_retries int, depends_on text[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id bigint;
  next timestamptz;
  d text;
  u dataeng.jobs;
  owner_of regrole;
  cycle text;
  mine bigint;
  cap int := current_setting('dataeng.max_jobs_per_role')::int;  own_of text;  own_cmd text;  -- (the job a definition owns)
BEGIN
  PERFORM dataeng.require_preload('dataeng.schedule()');
  PERFORM dataeng_internal._agg_reserved_check('job', job_name, caller);
  IF job_name IS NULL THEN
    RAISE EXCEPTION 'job name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF job_name OPERATOR(pg_catalog.=) '' THEN
    RAISE EXCEPTION 'job name must not be empty' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- (a name past what the unique index of dataeng.jobs holds failed with
  -- "index row requires 9616 bytes, maximum size is 8191")
  IF octet_length(job_name) OPERATOR(pg_catalog.>) 1000 THEN
    RAISE EXCEPTION 'job name "%..." is too long', left(job_name, 40)
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('The name is %s bytes long; a job name is at most 1000 bytes.', octet_length(job_name)),
            HINT = 'Give the job a shorter name.';
  END IF;
  IF schedule IS NULL THEN
    RAISE EXCEPTION 'schedule of job "%" must not be NULL', job_name USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF command IS NULL THEN
    RAISE EXCEPTION 'command of job "%" must not be NULL', job_name USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF btrim(command) OPERATOR(pg_catalog.=) '' THEN
    RAISE EXCEPTION 'command of job "%" must not be empty', job_name USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF timeout IS NOT NULL AND timeout OPERATOR(pg_catalog.<=) interval '0' THEN
    RAISE EXCEPTION 'timeout of job "%" must be positive, not %', job_name, timeout
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- a run is cancelled by a timer of at most 2^31 - 1 ms (24.8 days): a
  -- longer timeout ('100000000 years') was stored and silently cut to that
  IF timeout IS NOT NULL AND timeout OPERATOR(pg_catalog.>) interval '24 days' THEN
    RAISE EXCEPTION 'timeout of job "%" is too long', job_name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('timeout is %s; a job''s timeout is from 1 millisecond to 24 days.', timeout),
            HINT = 'Give a timeout of 24 days or less, or none: then dataeng.job_timeout applies (0 there: no timeout).';
  END IF;
  IF max_retries IS NULL OR max_retries OPERATOR(pg_catalog.<) 0 THEN
    RAISE EXCEPTION 'max_retries of job "%" must %', job_name, CASE WHEN max_retries IS NULL THEN 'not be NULL' ELSE 'be 0 or more' END USING ERRCODE = CASE WHEN max_retries IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END;
  END IF;
  BEGIN
    next := dataeng_internal._schedule_next(schedule, dataeng_internal._scheduler_now());   -- raises on a bad schedule
  EXCEPTION WHEN datetime_field_overflow THEN
    -- an interval whose next run is past the range of timestamptz failed
    -- with a bare "timestamp out of range"
    RAISE EXCEPTION 'invalid schedule "%"', schedule
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('The interval %s reaches beyond the range of timestamptz from now.', schedule),
            HINT = 'Give a shorter interval, or a cron expression.';
  END;
  PERFORM dataeng_internal._job_command_check(job_name, command);   -- raises the parser's error
  -- The job of a fact, dimension or monitor: its owner may change its
  -- schedule and options, and wrap its call (a SET before it, say), but its
  -- command must call it.  Another command (SELECT 1, the refresh of
  -- another fact) left the fact without refreshes while its job succeeded
  -- and its status said it was up to date; and dataeng.facts (dimensions,
  -- monitors) kept showing the schedule it was created with.
  SELECT x.what, x.cmd INTO own_of, own_cmd FROM (
    SELECT format('fact "%s"', f.name) AS what, format('dataeng.fact_refresh(%L)', f.name) AS cmd
      FROM dataeng_internal.fact_defs f WHERE 'fact_refresh:' OPERATOR(pg_catalog.||) f.name OPERATOR(pg_catalog.=) job_name
    UNION ALL
    SELECT format('dimension "%s"', x.name), format('dataeng.dimension_refresh(%L)', x.name)
      FROM dataeng_internal.dimension_defs x WHERE 'dimension_refresh:' OPERATOR(pg_catalog.||) x.name OPERATOR(pg_catalog.=) job_name
    UNION ALL
    SELECT format('monitor "%s"', m.name), format('dataeng.monitor_check(%L)', m.name)
      FROM dataeng.monitors m WHERE 'monitor:' OPERATOR(pg_catalog.||) m.name OPERATOR(pg_catalog.=) job_name) x
   LIMIT 1;
  IF own_cmd IS NOT NULL THEN
    IF strpos(command, own_cmd) OPERATOR(pg_catalog.=) 0 THEN
      RAISE EXCEPTION 'the command of job "%" of % must call %', job_name, own_of, own_cmd
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('The command given is %s; without that call the %s gets no %s while its job succeeds.',
                              command, split_part(own_of, ' ', 1),
                              CASE WHEN job_name LIKE 'monitor:%' THEN 'checks' ELSE 'refreshes' END),
              HINT = format('To change its schedule: SELECT dataeng.schedule(%L, %L, %L); '
                            'schedule another command under another job name.', job_name, schedule, 'SELECT ' || own_cmd);
    END IF;
    -- the definition shows the schedule its job has
    UPDATE dataeng_internal.fact_defs f SET schedule = _job_schedule.schedule
     WHERE 'fact_refresh:' OPERATOR(pg_catalog.||) f.name OPERATOR(pg_catalog.=) job_name
       AND f.schedule IS DISTINCT FROM _job_schedule.schedule;
    UPDATE dataeng_internal.dimension_defs x SET schedule = _job_schedule.schedule
     WHERE 'dimension_refresh:' OPERATOR(pg_catalog.||) x.name OPERATOR(pg_catalog.=) job_name
       AND x.schedule IS DISTINCT FROM _job_schedule.schedule;
    UPDATE dataeng.monitors m SET schedule = _job_schedule.schedule
     WHERE 'monitor:' OPERATOR(pg_catalog.||) m.name OPERATOR(pg_catalog.=) job_name
       AND m.schedule IS DISTINCT FROM _job_schedule.schedule;
  END IF;
  -- the job of that name, if any: taken by another role, or locked to be
  -- rescheduled.  Only by its owner: a command given to schedule() runs as
  -- the job's owner, who reads it and its runs.  A superuser's schedule()
  -- of a name a role had taken first replaced that role's job, and the
  -- superuser's command ran as that role, which could read it (a password
  -- in it, say); to reschedule a role's job, a superuser acts as that role
  -- (SET ROLE), knowingly.
  SELECT * INTO u FROM dataeng.jobs j WHERE j.job_name OPERATOR(pg_catalog.=) _job_schedule.job_name;
  IF FOUND THEN
    IF u.owner OPERATOR(pg_catalog.<>) caller THEN
      IF NOT dataeng_internal._job_visible(caller, u.owner) THEN
        RAISE EXCEPTION 'job name "%" is taken by another role', job_name
          USING ERRCODE = 'duplicate_object', HINT = 'Job names are unique in a database; choose another.';
      END IF;
      RAISE EXCEPTION 'job name "%" is taken by role %', job_name, u.owner
        USING ERRCODE = 'duplicate_object',
              DETAIL = format('Job "%s" is a job of role %s: a command given to it would run as %s, '
                              'which can read it and its runs.', job_name, u.owner, u.owner),
              HINT = format('To schedule a job of your own, choose another name; to reschedule that job '
                            'as %s, SET ROLE %s first.', u.owner, u.owner);
    END IF;
    SELECT * INTO u FROM dataeng.jobs j WHERE j.job_id OPERATOR(pg_catalog.=) u.job_id FOR UPDATE;
    owner_of := u.owner;
  ELSE
    owner_of := caller;
  END IF;
  -- upstream jobs: of the job's owner (a superuser's job may follow any),
  -- share-locked so that none is unscheduled before this commits
  FOREACH d IN ARRAY coalesce(depends_on, '{}') LOOP
    IF d IS NULL THEN
      RAISE EXCEPTION 'job "%" cannot depend on NULL', job_name
        USING ERRCODE = 'null_value_not_allowed',
              HINT = 'depends_on lists the names of upstream jobs.';
    END IF;
    IF d OPERATOR(pg_catalog.=) job_name THEN
      CONTINUE;   -- a cycle, refused below
    END IF;
    PERFORM FROM dataeng.jobs j
      WHERE j.job_name OPERATOR(pg_catalog.=) d AND dataeng_internal._job_visible(owner_of, j.owner)
        AND dataeng_internal._job_visible(caller, j.owner)
      FOR KEY SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'job "%" depends on job "%", which does not exist', job_name, d
        USING ERRCODE = 'undefined_object', HINT = 'Schedule the upstream job first; a job depends on jobs of its own role only.';
    END IF;
  END LOOP;
  -- a job that waits, directly or through others, for itself to succeed
  -- never runs, nor do the others: refused, under a lock so that two
  -- transactions cannot each close half of a cycle (_job_cycle_check)
  IF cardinality(depends_on) OPERATOR(pg_catalog.>) 0 THEN
    cycle := dataeng_internal._job_cycle_check(owner_of, job_name, depends_on);
    IF cycle IS NOT NULL THEN
      RAISE EXCEPTION 'the dependencies of job "%" would make a cycle', job_name
        USING ERRCODE = 'invalid_object_definition',
              DETAIL = format('The cycle is %s (each job waits for the next to succeed): none of its jobs would ever run.', cycle),
              HINT = 'Drop one of these dependencies: schedule the job without it.';
    END IF;
  END IF;
  IF u.job_id IS NOT NULL THEN
    UPDATE dataeng.jobs j
       SET schedule = _job_schedule.schedule, command = _job_schedule.command,
           timeout = _job_schedule.timeout, max_retries = _job_schedule.max_retries,
           depends_on = _job_schedule.depends_on, next_run_at = next, attempt = 0, broken = NULL,
           -- the role that has the owner's oid now takes the job knowingly
           owner_name = (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) u.owner::oid),
           owner_system = (pg_catalog.pg_control_system()).system_identifier
     WHERE j.job_id OPERATOR(pg_catalog.=) u.job_id;
    RETURN u.job_id;
  END IF;
  IF cap OPERATOR(pg_catalog.>) 0 AND NOT dataeng_internal._is_superuser(caller) THEN
    -- one at a time per role, so that concurrent calls cannot pass the cap together
    PERFORM dataeng_internal._job_cap_lock(caller);
    SELECT count(*) INTO mine FROM dataeng.jobs j WHERE j.owner OPERATOR(pg_catalog.=) caller;
    IF mine OPERATOR(pg_catalog.>=) cap THEN
      RAISE EXCEPTION 'role % has % jobs, the most dataeng.max_jobs_per_role allows', caller, mine
        USING ERRCODE = 'configuration_limit_exceeded',
              HINT = 'Unschedule jobs you no longer need, or ask a superuser to raise dataeng.max_jobs_per_role.';
    END IF;
  END IF;
  BEGIN
    INSERT INTO dataeng.jobs (job_name, owner, schedule, command, timeout, max_retries, depends_on, next_run_at,
                              owner_name, owner_system)
    VALUES (job_name, caller, schedule, command, timeout, max_retries, depends_on, next,
            (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) caller::oid),
            (pg_catalog.pg_control_system()).system_identifier)
    RETURNING jobs.job_id INTO id;
  EXCEPTION WHEN unique_violation THEN
    RAISE EXCEPTION 'job name "%" is taken by another role', job_name
      USING ERRCODE = 'duplicate_object', HINT = 'Job names are unique in a database; choose another.';
  END;
  RETURN id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_schedule(regrole, text, text, text, interval, int, text[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_schedule(regrole, text, text, text, interval, int, text[]) IS
  'internal: body of dataeng.schedule()';

CREATE FUNCTION dataeng.schedule(job_name text, schedule text, command text,
                                 timeout interval DEFAULT NULL, max_retries int DEFAULT 0,
                                 depends_on text[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_schedule'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.schedule(text, text, text, interval, int, text[]) IS
  'Schedules (or reschedules) a job run as the current role: cron expression, @keyword or interval';

CREATE FUNCTION dataeng_internal._job_unschedule(caller regrole, job_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  downstream text;
  j dataeng.jobs;
BEGIN
  SELECT * INTO j FROM dataeng.jobs u
   WHERE u.job_name OPERATOR(pg_catalog.=) _job_unschedule.job_name AND dataeng_internal._job_visible(caller, u.owner)
     AND (dataeng_internal._owner_trusted(u.owner, u.owner_name, u.owner_system)
          OR dataeng_internal._is_superuser(caller))
     FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM dataeng_internal._agg_reserved_check('unschedule', job_name, caller);
  SELECT string_agg(format('"%s"', u.job_name), ', ' ORDER BY u.job_name) INTO downstream
    FROM dataeng.jobs u WHERE _job_unschedule.job_name OPERATOR(pg_catalog.=) ANY (u.depends_on);
  IF downstream IS NOT NULL THEN
    RAISE EXCEPTION 'cannot unschedule job "%": other jobs depend on it', job_name
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = format('Jobs depending on it: %s.', downstream),
            HINT = 'Unschedule those jobs first, or reschedule them without the dependency.';
  END IF;
  DELETE FROM dataeng.jobs u WHERE u.job_id OPERATOR(pg_catalog.=) j.job_id;
  RETURN FOUND;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_unschedule(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_unschedule(regrole, text) IS 'internal: body of dataeng.unschedule()';

CREATE FUNCTION dataeng.unschedule(job_name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_unschedule'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.unschedule(text) IS 'Removes a job; false when there is no such job';

CREATE FUNCTION dataeng_internal._job_pause(caller regrole, job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j dataeng.jobs := dataeng_internal._job(caller, job_name);
BEGIN
  UPDATE dataeng.jobs u SET paused = true WHERE u.job_id OPERATOR(pg_catalog.=) j.job_id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_pause(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_pause(regrole, text) IS 'internal: body of dataeng.job_pause()';

CREATE FUNCTION dataeng.job_pause(job_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_job_pause'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.job_pause(text) IS 'Stops a job from being run on schedule (a running run goes on)';

CREATE FUNCTION dataeng_internal._job_resume(caller regrole, job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j dataeng.jobs := dataeng_internal._job(caller, job_name);
BEGIN
  IF j.broken IS NOT NULL THEN
    RAISE EXCEPTION 'job "%" is broken: %', job_name, j.broken
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Reschedule it with dataeng.schedule().';
  END IF;
  -- runs missed while paused are not made up: the next one is after now
  UPDATE dataeng.jobs SET paused = false,
         next_run_at = CASE WHEN j.paused THEN dataeng_internal._schedule_next(j.schedule, dataeng_internal._scheduler_now())
                            ELSE next_run_at END
   WHERE job_id OPERATOR(pg_catalog.=) j.job_id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_resume(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_resume(regrole, text) IS 'internal: body of dataeng.job_resume()';

CREATE FUNCTION dataeng.job_resume(job_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_job_resume'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.job_resume(text) IS 'Lets a paused job run on schedule again';

CREATE FUNCTION dataeng_internal._job_run_now(caller regrole, job_name text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  j dataeng.jobs;
BEGIN
  PERFORM dataeng.require_preload('dataeng.job_run_now()');
  j := dataeng_internal._job(caller, job_name);
  IF j.broken IS NOT NULL THEN
    RAISE EXCEPTION 'job "%" is broken: %', job_name, j.broken
      USING ERRCODE = 'object_not_in_prerequisite_state',
            HINT = 'Reschedule it with dataeng.schedule().';
  END IF;
  UPDATE dataeng.jobs u SET run_now = true WHERE u.job_id OPERATOR(pg_catalog.=) j.job_id;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._job_run_now(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._job_run_now(regrole, text) IS 'internal: body of dataeng.job_run_now()';

CREATE FUNCTION dataeng.job_run_now(job_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_job_run_now'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.job_run_now(text) IS
  'Runs a job as soon as the current transaction commits (even a paused one), once';

-- a new database with the extension gets its scheduler at once
SELECT dataeng_internal._scheduler_wake_now();

