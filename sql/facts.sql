-----------------------------------------------------------------------------
-- Fact tables and dimensions
--
-- fact_defs       one row per fact table: its source, grain, time zone,
--                 dimensions, parsed measures and change-log consumer
--                 (the measures kept as jsonb, read typed, as
--                 dataeng_internal.fact_measure, by _fact_measures(): every
--                 builder of a fact's SQL takes that type, each statement's
--                 clauses per measure from one function, _fact_sql,
--                 _fact_delta_sql, _fact_reserve_sql...; see
--                 src/aggregate/README.md)
-- dimension_defs  one row per dimension table (SCD type 1 or 2)
--
-- Everything runs with the rights of the fact's or dimension's owner (no
-- SECURITY DEFINER): the owner creates, reads and writes its own tables;
-- another role with the owner's rights (a superuser) that refreshes or
-- drops it does so as the owner, under SECURITY_RESTRICTED_OPERATION, as
-- REFRESH MATERIALIZED VIEW does (_agg_as_owner in src/aggregate/delta.c).
-- The metadata rows are readable by their owner (row-level security) and
-- written only through the entry points _fact_def_write / _dim_def_write,
-- which check the caller owns what it touches.  A refresh polls the
-- consumer, applies the changes and acknowledges them in the caller's one
-- transaction, so the table and the consumed position commit together.
-- The consumer (fact:<name>, dim:<name>) and refresh job
-- (fact_refresh:<name>, dimension_refresh:<name>) of a fact or dimension
-- belong to it: these names are reserved (_agg_reserved_check).
--
-- The lookups in the catalogs that each refresh makes (_agg_column,
-- _agg_image_keys, _fact_sql, _fact_source_check...) run with
-- plan_cache_mode = force_generic_plan: their plans do not depend on the
-- values they are called with, and are then made once per session instead
-- of afresh (a custom plan) at each of their first five calls.
-----------------------------------------------------------------------------

CREATE TABLE dataeng_internal.fact_defs (
  name          text        PRIMARY KEY,       -- normalized: [schema.]name, quoted where needed
  fact_table    regclass    NOT NULL,
  owner         regrole     NOT NULL DEFAULT current_user::regrole,
  source        regclass    NOT NULL,
  time_column   text        NOT NULL,
  grain         text        NOT NULL,
  time_zone     text        NOT NULL,
  dimensions    text[]      NOT NULL,
  measures      text[]      NOT NULL,          -- as given
  spec          jsonb       NOT NULL,          -- measures parsed: read typed through _fact_measures()
  consumer      text        NOT NULL,
  schedule      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_refresh  timestamptz,
  last_changes  bigint,
  total_changes bigint      NOT NULL DEFAULT 0,
  -- backfill (fact_create(..., backfill => 'later'), then fact_backfill):
  -- every bucket below backfilled_upto is in the fact ('-infinity': none
  -- yet); NULL: fully backfilled (also the NULL bucket).  backfill_from
  -- and backfill_to: the source's first finite bucket and the end of its
  -- last one when the fact was created, for the progress figure.
  backfilled_upto timestamptz,
  backfill_from timestamptz,
  backfill_to   timestamptz,
  -- how the last refresh applied its changes: 'delta', 'delta, N groups
  -- recomputed', 'buckets: ...' or 'rebuild' (fact_refresh)
  last_refresh_path text,
  -- where the fact's rows live: fact_table is the view users query (the
  -- bucket, the dimensions and the measures); storage_table, in the same
  -- schema and named after it (_fact_storage_name: <name>_data), holds the
  -- same rows with their bookkeeping columns (__rows, __nn_*, __sum_*,
  -- __cnt_*) and the key the refresh merges on.  Every write goes there.
  storage_table regclass  NOT NULL,
  -- restored from a dump (_agg_restore_consumer): the changes pending at
  -- the dump never reach the new consumer, so the next refresh rebuilds
  -- the fact from its source
  resync_pending boolean  NOT NULL DEFAULT false,
  -- what source names beside its oid (_agg_source_exists): whether it
  -- was dropped (_tables_on_drop), and the source's schema and table
  -- names as the catalog holds them, unquoted (followed through renames:
  -- _agg_on_rename).  A dump writes a dropped table's oid as a bare
  -- number, which a restore gives to whichever table has it there (and an
  -- oid is used again once the counter wraps around): a source of another
  -- name, or a dropped one, is not read.  (Names, not a quoted spelling:
  -- quote_ident quotes the keywords its server reserves, which a later
  -- major version may add to.)
  source_dropped boolean  NOT NULL DEFAULT false,
  source_schema name,
  source_table  name,
  -- the source columns the fact reads (time column, dimensions, measures'
  -- columns), each name with its attnum when the fact was made (or, for a
  -- fact of 0.1.0 or one restored from a dump, whose attnums may differ,
  -- at its first refresh): a column renamed and another given its name
  -- is not read as the fact's (_fact_source_check)
  source_columns jsonb
);
COMMENT ON TABLE dataeng_internal.fact_defs IS
  'Fact tables kept up to date from the change log; read dataeng.facts';

CREATE TABLE dataeng_internal.dimension_defs (
  name          text        PRIMARY KEY,
  dim_table     regclass    NOT NULL,
  owner         regrole     NOT NULL DEFAULT current_user::regrole,
  source        regclass    NOT NULL,
  key_column    text        NOT NULL,
  attributes    text[]      NOT NULL,
  scd_type      int         NOT NULL CHECK (scd_type IN (1, 2)),
  consumer      text        NOT NULL,
  schedule      text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_refresh  timestamptz,
  last_changes  bigint,
  total_changes bigint      NOT NULL DEFAULT 0,
  -- restored from a dump (_agg_restore_consumer): the next refresh makes
  -- the current rows equal to the source (the changes pending at the dump
  -- never reach the new consumer)
  resync_pending boolean    NOT NULL DEFAULT false,
  -- whether the source was dropped and its names (as in fact_defs)
  source_dropped boolean    NOT NULL DEFAULT false,
  source_schema name,
  source_table  name,
  -- the source columns the dimension copies (key column, attributes),
  -- each name with its attnum (as fact_defs.source_columns; for one of
  -- 0.1.0 or restored from a dump, recorded by its next refresh): a
  -- column renamed or added under one of these names is another column,
  -- and marks the dimension for a resync (_dim_on_alter)
  source_columns jsonb
);
COMMENT ON TABLE dataeng_internal.dimension_defs IS
  'Dimension tables kept up to date from the change log; read dataeng.dimensions';

ALTER TABLE dataeng_internal.fact_defs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng_internal.dimension_defs ENABLE ROW LEVEL SECURITY;
CREATE POLICY own ON dataeng_internal.fact_defs
  USING (pg_has_role(current_user, owner, 'USAGE'))
  WITH CHECK (owner = current_user::regrole);
CREATE POLICY own ON dataeng_internal.dimension_defs
  USING (pg_has_role(current_user, owner, 'USAGE'))
  WITH CHECK (owner = current_user::regrole);
REVOKE ALL ON dataeng_internal.fact_defs, dataeng_internal.dimension_defs FROM PUBLIC;
GRANT SELECT ON dataeng_internal.fact_defs, dataeng_internal.dimension_defs TO PUBLIC;

-- Consumers whose acknowledgement _agg_ack is making right now (the
-- refreshes' own acknowledgements; cdc_ack refuses the others).
CREATE TABLE dataeng_internal._agg_acking (
  pid      int  NOT NULL,
  consumer text NOT NULL
);
REVOKE ALL ON dataeng_internal._agg_acking FROM PUBLIC;
COMMENT ON TABLE dataeng_internal._agg_acking IS
  'internal: consumers whose acknowledgement a fact or dimension refresh is making right now (cdc_ack refuses the others)';

-- The names of the consumers and jobs of facts and dimensions are theirs:
--   'consumer'    cdc_consumer_create of fact:... or dim:... is refused
--                 unless caller owns that fact or dimension (or is a
--                 superuser)
--   'job'         schedule of fact_refresh:... or dimension_refresh:...,
--                 likewise; of monitor:... unless caller owns that monitor
--   'ack'         cdc_ack of a fact's or dimension's consumer is refused
--                 (its refresh acknowledges, through _agg_ack)
--   'drop'        cdc_consumer_drop of a fact's or dimension's consumer is
--                 refused (fact_drop / dimension_drop drop it)
--   'unschedule'  unschedule of a fact's or dimension's job is refused
--                 (fact_drop / dimension_drop remove it), and of a
--                 monitor's (monitor:NAME; monitor_drop removes it)
CREATE FUNCTION dataeng_internal._agg_reserved_check(what text, obj_name text, caller regrole)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  owned text;
  drop_call text;
  own_call text;
BEGIN
  IF obj_name IS NULL THEN
    RETURN;
  END IF;
  IF what = 'consumer' AND (obj_name LIKE 'fact:%' OR obj_name LIKE 'dim:%') THEN
    IF NOT EXISTS (SELECT 1 FROM dataeng_internal.fact_defs f WHERE f.consumer = obj_name AND f.owner = caller)
       AND NOT EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs x WHERE x.consumer = obj_name AND x.owner = caller)
       AND NOT dataeng_internal._is_superuser(caller) THEN
      RAISE EXCEPTION 'consumer name "%" is reserved', obj_name
        USING ERRCODE = 'reserved_name',
              DETAIL = 'Consumer names starting with "fact:" or "dim:" are those of facts and dimensions.',
              HINT = 'Choose another name: dataeng.fact_create() and dataeng.dimension_create() create their own consumers.';
    END IF;
  ELSIF what = 'job' AND (obj_name LIKE E'fact\\_refresh:%' OR obj_name LIKE E'dimension\\_refresh:%') THEN
    IF NOT EXISTS (SELECT 1 FROM dataeng_internal.fact_defs f WHERE 'fact_refresh:' || f.name = obj_name AND f.owner = caller)
       AND NOT EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs x
                        WHERE 'dimension_refresh:' || x.name = obj_name AND x.owner = caller)
       AND NOT dataeng_internal._is_superuser(caller) THEN
      RAISE EXCEPTION 'job name "%" is reserved', obj_name
        USING ERRCODE = 'reserved_name',
              DETAIL = 'Job names starting with "fact_refresh:" or "dimension_refresh:" are those of facts and dimensions.',
              HINT = 'Choose another name: dataeng.fact_create() and dataeng.dimension_create() schedule their own refreshes.';
    END IF;
  ELSIF what = 'job' AND obj_name LIKE 'monitor:%' THEN
    IF NOT EXISTS (SELECT 1 FROM dataeng.monitors m WHERE 'monitor:' || m.name = obj_name AND m.owner = caller
                      AND dataeng_internal._owner_trusted(m.owner, m.owner_name, m.owner_system))
       AND NOT dataeng_internal._is_superuser(caller) THEN
      RAISE EXCEPTION 'job name "%" is reserved', obj_name
        USING ERRCODE = 'reserved_name',
              DETAIL = 'Job names starting with "monitor:" are those of monitors.',
              HINT = 'Choose another name: dataeng.monitor_create() schedules its own checks.';
    END IF;
  ELSIF what = 'ack' THEN
    SELECT format('fact "%s"', f.name) INTO owned FROM dataeng_internal.fact_defs f WHERE f.consumer = obj_name;
    IF owned IS NULL THEN
      SELECT format('dimension "%s"', x.name) INTO owned FROM dataeng_internal.dimension_defs x WHERE x.consumer = obj_name;
    END IF;
    IF owned IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dataeng_internal._agg_acking a
                                          WHERE a.pid = pg_backend_pid() AND a.consumer = obj_name) THEN
      RAISE EXCEPTION 'consumer "%" belongs to %', obj_name, owned
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Its refresh acknowledges the changes it applies; acknowledging others would leave them out.',
              HINT = CASE WHEN obj_name LIKE 'fact:%'
                          THEN format('Run SELECT dataeng.fact_refresh(%L); SELECT dataeng.fact_rebuild(%L) recomputes the fact from its source.',
                                      substr(obj_name, 6), substr(obj_name, 6))
                          ELSE format('Run SELECT dataeng.dimension_refresh(%L);', substr(obj_name, 5)) END;
    END IF;
  ELSIF what = 'drop' THEN
    -- a definition's own consumer, dropped alone, left every refresh
    -- failing with "consumer ... does not exist" and its status ok
    SELECT format('fact "%s"', f.name) INTO owned FROM dataeng_internal.fact_defs f WHERE f.consumer = obj_name;
    IF owned IS NULL THEN
      SELECT format('dimension "%s"', x.name) INTO owned FROM dataeng_internal.dimension_defs x WHERE x.consumer = obj_name;
    END IF;
    IF owned IS NOT NULL THEN
      RAISE EXCEPTION 'consumer "%" belongs to %', obj_name, owned
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'Its refreshes read the source''s changes through it.',
              HINT = CASE WHEN obj_name LIKE 'fact:%'
                          THEN format('SELECT dataeng.fact_drop(%L) drops it with the fact.', substr(obj_name, 6))
                          ELSE format('SELECT dataeng.dimension_drop(%L) drops it with the dimension.', substr(obj_name, 5)) END;
    END IF;
  ELSIF what = 'unschedule' THEN
    SELECT format('fact "%s"', f.name) INTO owned FROM dataeng_internal.fact_defs f WHERE 'fact_refresh:' || f.name = obj_name;
    IF owned IS NULL THEN
      SELECT format('dimension "%s"', x.name) INTO owned FROM dataeng_internal.dimension_defs x
       WHERE 'dimension_refresh:' || x.name = obj_name;
    END IF;
    IF owned IS NULL THEN
      SELECT format('monitor "%s"', m.name) INTO owned FROM dataeng.monitors m WHERE 'monitor:' || m.name = obj_name;
    END IF;
    IF owned IS NOT NULL THEN
      -- the drop call and the refresh its job must call
      SELECT format('SELECT dataeng.%s_drop(%L)', split_part(owned, ' ', 1), substr(owned, strpos(owned, '"') + 1,
                    length(owned) - strpos(owned, '"') - 1)),
             format('SELECT dataeng.%s(%L)',
                    CASE split_part(owned, ' ', 1) WHEN 'fact' THEN 'fact_refresh'
                                                   WHEN 'dimension' THEN 'dimension_refresh' ELSE 'monitor_check' END,
                    substr(owned, strpos(owned, '"') + 1, length(owned) - strpos(owned, '"') - 1))
        INTO drop_call, own_call;
      RAISE EXCEPTION 'job "%" belongs to %', obj_name, owned
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = format('It runs the %s''s %s; it is dropped with the %s, not alone.',
                              split_part(owned, ' ', 1),
                              CASE WHEN obj_name LIKE 'monitor:%' THEN 'checks' ELSE 'refreshes' END,
                              split_part(owned, ' ', 1)),
              HINT = format('%s drops the %s with its job; SELECT dataeng.job_pause(%L) stops its runs; '
                            'SELECT dataeng.schedule(%L, %L, %L) changes its schedule.',
                            drop_call, split_part(owned, ' ', 1), obj_name, obj_name,
                            coalesce((SELECT j.schedule FROM dataeng.jobs j WHERE j.job_name = obj_name LIMIT 1), '1 hour'),
                            own_call);
    END IF;
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_reserved_check(text, text, regrole) IS
  'internal: refuse names and operations reserved to the consumers and jobs of facts and dimensions';

-- The refreshes' own acknowledgements (an entry point, src/aggregate/delta.c):
-- consumer must be that of a fact or dimension the caller owns.
CREATE FUNCTION dataeng_internal._agg_ack(caller regrole, consumer text, upto_change_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM dataeng_internal.fact_defs f
                  WHERE f.consumer = _agg_ack.consumer AND pg_has_role(caller, f.owner, 'USAGE'))
     AND NOT EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs x
                      WHERE x.consumer = _agg_ack.consumer AND pg_has_role(caller, x.owner, 'USAGE')) THEN
    RAISE EXCEPTION 'consumer "%" is not that of a fact or dimension of role %', consumer, caller
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO dataeng_internal._agg_acking VALUES (pg_backend_pid(), consumer);
  PERFORM dataeng_internal._cdc_ack(caller, consumer, upto_change_id);
  DELETE FROM dataeng_internal._agg_acking a WHERE a.pid = pg_backend_pid() AND a.consumer = _agg_ack.consumer;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_ack(regrole, text, bigint) IS
  'internal: acknowledge the changes a fact or dimension refresh applied, for its owner';
REVOKE ALL ON FUNCTION dataeng_internal._agg_ack(regrole, text, bigint) FROM PUBLIC;
CREATE FUNCTION dataeng_internal._agg_ack(consumer text, upto_change_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_agg_ack'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._agg_ack(text, bigint) IS
  'internal: acknowledge the changes a refresh applied (consumer of a fact or dimension of the caller)';

-- Run a fact or dimension operation as its owner (src/aggregate/delta.c).
CREATE FUNCTION dataeng_internal._agg_as_owner(owner regrole, operation text, name text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_agg_as_owner'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._agg_as_owner(regrole, text, text) IS
  'internal: run fact_refresh, fact_rebuild, fact_drop, dimension_refresh or dimension_drop as the owner, under SECURITY_RESTRICTED_OPERATION (the caller must have the owner''s rights)';

-- Wait for and take ACCESS SHARE on a source by oid, before a definition's
-- row is locked (src/aggregate/delta.c): false when no relation has it.
CREATE FUNCTION dataeng_internal._agg_wait_source(src oid)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_agg_wait_source'
LANGUAGE C VOLATILE STRICT;
REVOKE ALL ON FUNCTION dataeng_internal._agg_wait_source(oid) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._agg_wait_source(oid) IS
  'internal: lock a fact''s or dimension''s source in ACCESS SHARE mode by oid, before its definition (false when no relation has that oid)';

-- A table name as the caller wrote it ('sales', 'mart."Sales"') in one
-- canonical spelling: its parts, each quoted only where needed.
-- The schema and name of the table a fact or dimension will create: name
-- as given (schema-qualified or not; cur_schema otherwise), checked to be
-- free.  arg names the argument in the hint.
CREATE FUNCTION dataeng_internal._agg_new_table(name text, cur_schema text, arg text)
RETURNS text[]
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  parts text[] := parse_ident(name);
  qualified text;
BEGIN
  IF cardinality(parts) = 1 THEN
    IF cur_schema IS NULL THEN
      RAISE EXCEPTION 'no schema has been selected to create in' USING ERRCODE = 'invalid_schema_name';
    END IF;
    parts := ARRAY[cur_schema] || parts;
  END IF;
  qualified := format('%I.%I', parts[1], parts[2]);
  IF to_regnamespace(quote_ident(parts[1])) IS NULL THEN
    RAISE EXCEPTION 'schema "%" does not exist', parts[1] USING ERRCODE = 'invalid_schema_name';
  END IF;
  IF to_regclass(qualified) IS NOT NULL THEN
    RAISE EXCEPTION 'relation "%" already exists', qualified
      USING ERRCODE = 'duplicate_table',
            HINT = format('Choose another %s, or drop the existing table first.', arg);
  END IF;
  RETURN parts;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_new_table(text, text, text) IS
  'internal: schema and name of the table a fact or dimension creates, checked to be free';

CREATE FUNCTION dataeng_internal._agg_name(name text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  parts text[];
BEGIN
  BEGIN
    parts := parse_ident(name);
  EXCEPTION WHEN invalid_parameter_value THEN
    parts := NULL;
  END;
  IF parts IS NULL OR cardinality(parts) > 2 OR '' = ANY (parts) THEN
    RAISE EXCEPTION 'invalid table name "%"', name
      USING ERRCODE = 'invalid_name',
            HINT = 'Give a table name, optionally schema-qualified, e.g. sales_daily or mart.sales_daily.';
  END IF;
  IF octet_length(parts[cardinality(parts)]) > 63 THEN
    RAISE EXCEPTION 'table name "%" is too long', parts[cardinality(parts)]
      USING ERRCODE = 'name_too_long', DETAIL = 'Names are at most 63 bytes.';
  END IF;
  RETURN array_to_string(ARRAY(SELECT quote_ident(p) FROM unnest(parts) p), '.');
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_name(text) IS
  'internal: check a fact or dimension name and return it';

-- Check a source table and a column of it; return the column's type and
-- whether it may be NULL.
CREATE FUNCTION dataeng_internal._agg_column(src regclass, col text, what text,
                                    OUT typ regtype, OUT nullable boolean)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  IF col IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', what USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT a.atttypid::regtype, NOT a.attnotnull INTO typ, nullable
    FROM pg_attribute a
   WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped;
  IF NOT FOUND THEN
    RAISE EXCEPTION '% "%" is not a column of table %', what, col, src
      USING ERRCODE = 'undefined_column',
            HINT = 'Column names are case-sensitive and must not be quoted.';
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_column(regclass, text, text) IS
  'internal: check a column of a fact or dimension source; its type and whether it may be NULL';

-- The first name in cols (in their order) that is not a column of src
-- now, or NULL when every one is: the check, before a refresh, that a
-- fact's or a dimension's source still has the columns its statements
-- name (each caller says in its own words what was renamed or dropped).
CREATE FUNCTION dataeng_internal._agg_missing_column(src regclass, cols text[])
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT c.name
      FROM unnest(cols) WITH ORDINALITY c(name, o)
     WHERE c.name IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM pg_attribute a
                        WHERE a.attrelid = src AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped)
     ORDER BY c.o
     LIMIT 1);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_missing_column(regclass, text[]) IS
  'internal: the first of some names that is not a column of a table (NULL when all are)';

-- The schema-qualified name of a relation, quoted where needed (NULL
-- when no relation has that oid): what a definition records of its source.
CREATE FUNCTION dataeng_internal._agg_rel_name(rel oid)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT pg_catalog.quote_ident(n.nspname) OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(c.relname)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
   WHERE c.oid OPERATOR(pg_catalog.=) rel
$$;
COMMENT ON FUNCTION dataeng_internal._agg_rel_name(oid) IS
  'internal: the schema-qualified name of a relation (NULL when none has that oid)';

-- The names of a relation's schema and its own, unquoted (NULLs when no
-- relation has that oid): what a definition records of its source.  Not a
-- quoted spelling: quote_ident quotes the keywords its server reserves,
-- and a later major version reserves more, which would spell the same
-- table otherwise.
CREATE FUNCTION dataeng_internal._agg_rel_ident(rel oid, OUT schema_name name, OUT table_name name)
RETURNS record
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT n.nspname, c.relname
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
   WHERE c.oid OPERATOR(pg_catalog.=) rel
$$;
COMMENT ON FUNCTION dataeng_internal._agg_rel_ident(oid) IS
  'internal: the names of a relation''s schema and its own, unquoted (NULLs when none has that oid)';

-- Raise undefined_table when the source of a fact or a dimension (kind)
-- is gone: the object follows its table, not a name.  Its definition
-- records the source's oid, its name (followed through renames) and
-- whether it was dropped: a source dropped, or whose oid names a table of
-- another name, is another table (a dump writes a dropped table's oid as
-- a bare number, which a restore gives to whichever table has it there;
-- an oid is used again once the counter wraps around).
CREATE FUNCTION dataeng_internal._agg_source_exists(kind text, obj_name text, src regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  rec record;
  now_rel record;
  now_name text;
BEGIN
  -- (as _agg_rel_ident(src), inline: every refresh calls this, and a call
  -- of a SQL function with a SET clause is parsed and planned each time)
  SELECT n.nspname AS schema_name, c.relname AS table_name INTO now_rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.oid = src;
  -- (names compared as names: source_name only spells them for messages)
  IF kind = 'fact' THEN
    SELECT f.source_schema, f.source_table, f.source_dropped,
           quote_ident(f.source_schema) || '.' || quote_ident(f.source_table) AS source_name
      INTO rec FROM dataeng_internal.fact_defs f WHERE f.name = obj_name;
  ELSE
    SELECT x.source_schema, x.source_table, x.source_dropped,
           quote_ident(x.source_schema) || '.' || quote_ident(x.source_table) AS source_name
      INTO rec FROM dataeng_internal.dimension_defs x WHERE x.name = obj_name;
  END IF;
  IF now_rel.table_name IS NULL OR rec.source_dropped
     OR (rec.source_table IS NOT NULL
         AND (now_rel.schema_name, now_rel.table_name) IS DISTINCT FROM (rec.source_schema, rec.source_table)) THEN
    now_name := dataeng_internal._agg_rel_name(src);
    RAISE EXCEPTION 'the source table of % "%" was dropped', kind, obj_name
      USING ERRCODE = 'undefined_table',
            DETAIL = CASE WHEN now_name IS NULL
                          THEN format('The %s was made from the table%s of OID %s, which no longer exists.', kind,
                                      coalesce(' ' || rec.source_name, ''), src::oid)
                          WHEN rec.source_dropped
                          THEN format('The %s was made from table %s of OID %s, which was dropped.', kind,
                                      coalesce(rec.source_name, '(unknown)'), src::oid)
                          ELSE format('The %s was made from table %s of OID %s; that OID names table %s now: another table '
                                      '(restored from a dump made after its source was dropped, or an OID used again), '
                                      'or the source renamed while event triggers did not fire (session_replication_role = replica, '
                                      'or dataeng''s event triggers disabled), which is not followed.',
                                      kind, rec.source_name, src::oid, now_name) END,
            HINT = CASE WHEN now_name IS NOT NULL AND NOT rec.source_dropped
                        THEN format('If %s is the source renamed so, rename it back to %s (before any other ALTER TABLE, ALTER INDEX '
                                    'or ALTER SCHEMA of the database, which marks the source dropped for good), then rename it '
                                    'with event triggers on. Else drop the %s with SELECT dataeng.%s_drop(%L) (its scheduled refresh '
                                    'fails until then) and create it again from the table that replaces it.',
                                    now_name, rec.source_name, kind, kind, obj_name)
                        ELSE format('Drop the %s with SELECT dataeng.%s_drop(%L) (its scheduled refresh fails until then) '
                                    'and create it again from the table that replaces it.', kind, kind, obj_name) END;
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_source_exists(text, text, regclass) IS
  'internal: raise when the source table of a fact or dimension was dropped (or its oid names another table)';

-- The first of cols (in their order) whose column in target no longer
-- holds the values of src's as they are: another type (unless one src's
-- casts to without a function, as varchar to text), another length or
-- precision (unless target has none), another collation.  NULL col when
-- every one does; src_coll is the COLLATE clause src's column needs when
-- its collation is not its type's.
CREATE FUNCTION dataeng_internal._agg_changed_column(src regclass, target regclass, cols text[],
                                                     OUT col name, OUT src_type text, OUT target_type text,
                                                     OUT src_coll text)
RETURNS record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  SELECT s.attname, format_type(s.atttypid, s.atttypmod), format_type(x.atttypid, x.atttypmod),
         CASE WHEN s.attcollation <> 0 AND s.attcollation IS DISTINCT FROM t.typcollation
              THEN ' COLLATE ' || s.attcollation::regcollation::text ELSE '' END
    INTO col, src_type, target_type, src_coll
    FROM unnest(cols) WITH ORDINALITY c(name, o)
    JOIN pg_attribute s ON s.attrelid = src AND s.attname = c.name AND s.attnum > 0 AND NOT s.attisdropped
    JOIN pg_type t ON t.oid = s.atttypid
    JOIN pg_attribute x ON x.attrelid = target AND x.attname = c.name AND x.attnum > 0 AND NOT x.attisdropped
   WHERE NOT ((s.atttypid = x.atttypid
               OR EXISTS (SELECT 1 FROM pg_cast k WHERE k.castsource = s.atttypid AND k.casttarget = x.atttypid
                                                    AND k.castmethod = 'b'))
              AND (x.atttypmod = -1 OR s.atttypmod = x.atttypmod)
              AND s.attcollation = x.attcollation)
   ORDER BY c.o
   LIMIT 1;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_changed_column(regclass, regclass, text[]) IS
  'internal: the first of some columns whose type in a fact or dimension table no longer holds the source''s values as they are';

-- Raise unless src is a table whose changes the caller can consume with
-- every column in cols: capture it if it is not captured yet.
CREATE FUNCTION dataeng_internal._agg_capture(src regclass, cols text[], what text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  missing text;
BEGIN
  IF (SELECT relkind FROM pg_class WHERE oid = src) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot build % from "%": only tables can be sources', what, src
      USING ERRCODE = 'wrong_object_type', HINT = 'Name an ordinary or partitioned table (for a view, a table it reads).';
  END IF;
  IF NOT has_table_privilege(src, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', src USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- (locked first: a concurrent ATTACH of it waits, or is seen committed)
  PERFORM dataeng_internal._cdc_reader_lock(src, false);
  -- A partition's changes are recorded under its topmost captured
  -- ancestor, not under its own name, whenever one is captured (now or
  -- later, by trigger or from the WAL): a consumer of the partition's own
  -- changes would miss them, and the counts would silently go wrong.
  IF (SELECT relispartition FROM pg_class WHERE oid = src) THEN
    RAISE EXCEPTION 'cannot build % from "%": it is a partition of table %', what, src,
                    (SELECT i.inhparent::regclass FROM pg_inherits i WHERE i.inhrelid = src)
      USING ERRCODE = 'feature_not_supported',
            DETAIL = format('The changes of a partition are recorded under the partitioned table above it when that table is captured, not under the partition''s name: a %s of the partition would miss them.', what),
            HINT = format('Create the %s on the parent %s instead%s.', what, pg_partition_root(src),
                          CASE WHEN what = 'fact table'
                               THEN ' (with its partition key among the dimensions to tell the partitions apart)'
                               ELSE '' END);
  END IF;
  SELECT ct.columns, ct.exclude_columns, ct.changed_only INTO c
    FROM dataeng.cdc_tables_visible ct WHERE ct.table_name = src;
  IF NOT FOUND THEN
    PERFORM dataeng.cdc_enable(src);
    RETURN;
  END IF;
  IF c.changed_only THEN
    RAISE EXCEPTION 'table % is captured with changed_only', src
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('A %s needs whole new rows of updates.', what),
            HINT = format('Capture whole rows: SELECT dataeng.cdc_enable(%L, %L, %L, changed_only => false);',
                          src::text, c.columns, c.exclude_columns);
  END IF;
  SELECT x INTO missing FROM unnest(cols) x
   WHERE NOT (x = ANY (coalesce(c.columns, ARRAY[x]))) OR x = ANY (coalesce(c.exclude_columns, '{}'))
   LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of table % is not captured', missing, src
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('A %s needs the columns %s in the change log.', what, cols),
            HINT = format('Capture every column: SELECT dataeng.cdc_enable(%L, exclude_columns => ''{}'');', src::text);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_capture(regclass, text[], text) IS
  'internal: check that the caller can consume a source''s changes with these columns, capturing it if needed';

-- The capture settings of the tables the caller may read: SELECT on the
-- table and USAGE on its schema (cdc_tables itself is not readable by
-- everyone).
-- (a C entry point calling its body as the body's owner with the role
-- running the calling code, as the CDC entry points do)
CREATE FUNCTION dataeng_internal._cdc_tables_visible()
RETURNS TABLE (table_name regclass, columns text[], exclude_columns text[], changed_only boolean)
AS 'MODULE_PATHNAME', 'dataeng_cdc_tables_visible'
LANGUAGE C STABLE PARALLEL UNSAFE;
COMMENT ON FUNCTION dataeng_internal._cdc_tables_visible() IS
  'internal: the capture settings of the captured tables the caller may read (body of dataeng.cdc_tables_visible)';

CREATE FUNCTION dataeng_internal._cdc_tables_visible_as_owner(caller regrole)
RETURNS TABLE (table_name regclass, columns text[], exclude_columns text[], changed_only boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN QUERY
  SELECT t.table_name, t.columns, t.exclude_columns, t.changed_only
    FROM dataeng.cdc_tables t
   WHERE has_table_privilege(caller, t.table_name, 'SELECT')
     AND has_schema_privilege(caller, (SELECT c.relnamespace FROM pg_class c
                                        WHERE c.oid OPERATOR(pg_catalog.=) t.table_name::oid), 'USAGE');
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_tables_visible_as_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_tables_visible_as_owner(regrole) IS 'internal: body of dataeng_internal._cdc_tables_visible()';
CREATE VIEW dataeng.cdc_tables_visible AS SELECT * FROM dataeng_internal._cdc_tables_visible();
GRANT SELECT ON dataeng.cdc_tables_visible TO PUBLIC;
COMMENT ON VIEW dataeng.cdc_tables_visible IS
  'Captured tables the calling role may SELECT, with their capture options';
COMMENT ON COLUMN dataeng.cdc_tables_visible.table_name IS 'The captured table';
COMMENT ON COLUMN dataeng.cdc_tables_visible.columns IS 'Columns captured, NULL for all';
COMMENT ON COLUMN dataeng.cdc_tables_visible.exclude_columns IS 'Columns not captured';
COMMENT ON COLUMN dataeng.cdc_tables_visible.changed_only IS 'Whether updates carry only the columns that changed';

-- An expression reading column col of a source row stored as jsonb in
-- rowvar ('old_row', 'new_row'), as its own type.  Scalars through ->>
-- and a cast (fast); arrays, composites and json through
-- jsonb_populate_record (exact).
CREATE FUNCTION dataeng_internal._agg_json_col(src regclass, col text, rowvar text)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
           WHEN t.typcategory = 'A' OR t.typtype = 'c'
                OR coalesce(nullif(t.typbasetype, 0), t.oid) IN ('json'::regtype, 'jsonb'::regtype)
           THEN format('(jsonb_populate_record(NULL::%s, %s)).%I', src, rowvar, col)
           ELSE format('((%s->>%L)::%s)', rowvar, col, format_type(a.atttypid, a.atttypmod))
         END
    FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
   WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
$$;
COMMENT ON FUNCTION dataeng_internal._agg_json_col(regclass, text, text) IS
  'internal: an expression reading a source column from a row stored as jsonb, as its own type';

-- How dataeng_internal._fact_deltas() gives the dimension columns cols of src: its
-- column definition list for them (d1, d2, ...), and per column the
-- expression reading it from the call c.  Arrays, composites and json
-- columns come as their raw JSON value, which jsonb_populate_record
-- rebuilds as _agg_json_col does; every other column comes typed, with its
-- collation.
CREATE FUNCTION dataeng_internal._agg_image_cols(src regclass, cols text[], OUT coldef text, OUT exprs text[])
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  SELECT coalesce(string_agg(format(', d%s %s', o,
                                    CASE WHEN x.raw THEN 'jsonb'
                                         ELSE format_type(a.atttypid, a.atttypmod)
                                              || coalesce((SELECT format(' COLLATE %I.%I', n.nspname, l.collname)
                                                             FROM pg_collation l
                                                             JOIN pg_namespace n ON n.oid = l.collnamespace
                                                            WHERE l.oid = a.attcollation
                                                              AND a.attcollation <> t.typcollation), '') END),
                             '' ORDER BY o), ''),
         coalesce(array_agg(CASE WHEN x.raw AND a.atttypid <> 'jsonb'::regtype
                                 THEN format('(jsonb_populate_record(NULL::%s, jsonb_build_object(%L, c.d%s))).%I',
                                             src, u.col, o, u.col)
                                 ELSE format('c.d%s', o) END ORDER BY o), '{}')
    INTO coldef, exprs
    FROM unnest(cols) WITH ORDINALITY u(col, o)
    JOIN pg_attribute a ON a.attrelid = src AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped
    JOIN pg_type t ON t.oid = a.atttypid
    CROSS JOIN LATERAL (SELECT t.typcategory = 'A' OR t.typtype = 'c'
                               OR coalesce(nullif(t.typbasetype, 0), t.oid) IN ('json'::regtype, 'jsonb'::regtype)) x(raw);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_image_cols(regclass, text[]) IS
  'internal: the column definitions and expressions of dimension columns as _fact_deltas() returns them';

-- Whether values of the columns cols of src are equal exactly when their
-- binary images are (integers, dates and times, booleans, uuids, text
-- under a deterministic collation...): _fact_deltas() then forms the
-- groups themselves, with no GROUP BY after it.
CREATE FUNCTION dataeng_internal._agg_image_keys(src regclass, cols text[])
RETURNS boolean
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT coalesce(bool_and(coalesce(nullif(t.typbasetype, 0), t.oid) IN
                               ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'bool'::regtype,
                                'date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype,
                                'time'::regtype, 'oid'::regtype, '"char"'::regtype, 'uuid'::regtype)
                             OR (coalesce(nullif(t.typbasetype, 0), t.oid) IN ('text'::regtype, 'varchar'::regtype)
                                 AND coalesce((SELECT c.collisdeterministic FROM pg_collation c
                                                WHERE c.oid = a.attcollation), true))), true)
      FROM unnest(cols) u(col)
      JOIN pg_attribute a ON a.attrelid = src AND a.attname = u.col AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_image_keys(regclass, text[]) IS
  'internal: whether values of these columns are equal exactly when their binary images are';

-- The type of sum() of a value of type typ, as dataeng_internal._fact_deltas()
-- returns it.
CREATE FUNCTION dataeng_internal._agg_sum_type_of(typ regtype)
RETURNS text
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT CASE b.bt WHEN 'int2'::regtype THEN 'bigint' WHEN 'int4'::regtype THEN 'bigint'
                     WHEN 'int8'::regtype THEN 'numeric' ELSE format_type(b.bt, NULL) END
      FROM pg_type t
      CROSS JOIN LATERAL (SELECT coalesce(nullif(t.typbasetype, 0), t.oid)::regtype) b(bt)
     WHERE t.oid = _agg_sum_type_of.typ);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_sum_type_of(regtype) IS
  'internal: the type of sum() of a value of a type, as _fact_deltas() returns it';

-- The type of sum(col) of src, as dataeng_internal._fact_deltas() returns it.
CREATE FUNCTION dataeng_internal._agg_sum_type(src regclass, col text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT CASE b.typ WHEN 'int2'::regtype THEN 'bigint' WHEN 'int4'::regtype THEN 'bigint'
                      WHEN 'int8'::regtype THEN 'numeric' ELSE format_type(b.typ, NULL) END
      FROM pg_attribute a
      JOIN pg_type t ON t.oid = a.atttypid
      CROSS JOIN LATERAL (SELECT coalesce(nullif(t.typbasetype, 0), t.oid)::regtype) b(typ)
     WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_sum_type(regclass, text) IS
  'internal: the type of sum() of a source column, as _fact_deltas() returns it';

-----------------------------------------------------------------------------
-- Facts
-----------------------------------------------------------------------------

-- date_trunc's units, and the interval one bucket spans.
CREATE FUNCTION dataeng_internal._fact_grain(grain text)
RETURNS interval
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE grain
           WHEN 'microseconds' THEN interval '1 microsecond'
           WHEN 'milliseconds' THEN interval '1 millisecond'
           WHEN 'second' THEN interval '1 second'
           WHEN 'minute' THEN interval '1 minute'
           WHEN 'hour' THEN interval '1 hour'
           WHEN 'day' THEN interval '1 day'
           WHEN 'week' THEN interval '7 days'
           WHEN 'month' THEN interval '1 month'
           WHEN 'quarter' THEN interval '3 months'
           WHEN 'year' THEN interval '1 year'
           WHEN 'decade' THEN interval '10 years'
           WHEN 'century' THEN interval '100 years'
           WHEN 'millennium' THEN interval '1000 years'
         END
$$;
COMMENT ON FUNCTION dataeng_internal._fact_grain(text) IS
  'internal: the interval one bucket of a grain spans';

-- The name of the table that stores a fact's rows, from the fact's own
-- (unqualified) name rel: rel followed by "_data", in the fact's schema,
-- rel cut (at a character boundary, as PostgreSQL cuts the names it
-- derives) so that the whole fits in 63 bytes.  fact_create refuses a
-- name whose storage name is taken.
CREATE FUNCTION dataeng_internal._fact_storage_name(rel text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  suffix constant text := '_data';
  base text := rel;
BEGIN
  WHILE octet_length(base) + octet_length(suffix) > 63 LOOP
    base := left(base, -1);
  END LOOP;
  RETURN base || suffix;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_storage_name(text) IS
  'internal: the name of the table storing a fact''s rows and bookkeeping (<fact>_data, in the fact''s schema)';

-- The storage table of a new fact nsp.rel, schema-qualified and quoted,
-- checked to be free (fact_create).
CREATE FUNCTION dataeng_internal._fact_storage_free(nsp text, rel text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  storage text := format('%I.%I', nsp, dataeng_internal._fact_storage_name(rel));
BEGIN
  IF to_regclass(storage) IS NOT NULL THEN
    RAISE EXCEPTION 'relation "%" already exists', storage
      USING ERRCODE = 'duplicate_table',
            DETAIL = format('Fact %s would keep its rows and their bookkeeping in table %s, named after it.',
                            format('%I.%I', nsp, rel), storage),
            HINT = 'Choose another fact_name, or rename or drop the existing relation first.';
  END IF;
  RETURN storage;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_storage_free(text, text) IS
  'internal: the table that will store a new fact''s rows and bookkeeping, checked to be free';

-- A measure of a fact, typed: what fact_defs.spec keeps of each measure
-- (as jsonb, one object per measure: the form dataeng 0.1.0 wrote, which
-- dumps and the upgrade keep), read once by _fact_measures() and passed to
-- every builder of the fact's SQL.
--   measure   the measure as given (spec's "text")
--   agg       count_star, count, count_distinct, sum, avg, min or max
--   name      the measure's column in the fact
--   col       the source column it aggregates, when its argument is one
--             and it has no filter (else NULL)
--   expr      else its argument, as _fact_measure_parse deparsed it
--   filter    its FILTER condition, deparsed (or NULL)
--   cols      the source columns expr and filter read (with expr only)
--   argtype   the type of its argument (spec's "type"; NULL for count(*))
--   is_float  whether that type is float4 or float8 (spec's "float")
--   mode      how a refresh keeps it: 'delta' (count, count(*), sum and
--             avg of exact types: added up), 'distinct' (count(DISTINCT)
--             with per-value counts in the side table), 'recompute' (the
--             groups a refresh touches computed again from the source)
--   reserve   for min/max kept with a reserve of each group's few least
--             (greatest) values: its size, @FACT_RESERVE@ (else NULL)
-- (fact_refresh also marks a min/max kept with its reserve 'extreme' for
-- the length of one refresh; that mode is never stored.)
CREATE TYPE dataeng_internal.fact_measure AS (
  measure   text,
  agg       text,
  name      text,
  col       text,
  expr      text,
  filter    text,
  cols      text[],
  argtype   regtype,
  is_float  boolean,
  mode      text,
  reserve   int
);
COMMENT ON TYPE dataeng_internal.fact_measure IS
  'internal: one measure of a fact, as fact_defs.spec keeps it, typed';

-- Parse one measure of source with PostgreSQL's parser (src/aggregate/
-- measure.c): count(*), or count, count(DISTINCT ...), sum, avg, min or max
-- of an expression of the source's columns, optionally with FILTER (WHERE
-- ...) and AS name.  The expression and filter are analysed against the
-- source (alias s) and refused if they hold aggregates, window functions,
-- subqueries, set-returning or volatile functions, system columns or the
-- whole row; they come back deparsed.  agg: count_star, count,
-- count_distinct, sum, avg, min or max; col: the column when the argument
-- is one and there is no filter, else expr: the argument; filter: the
-- condition; argtype: the argument's type; cols: the columns read.
-- Analysed as owner (the fact's owner, whose rights the caller must have),
-- restricted: analysing a literal can run a domain's CHECK.
CREATE FUNCTION dataeng_internal._fact_measure_parse(source regclass, measure text, owner regrole,
                                                    OUT agg text, OUT name text, OUT col text, OUT expr text,
                                                    OUT filter text, OUT argtype regtype, OUT cols text[])
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_fact_measure_parse'
LANGUAGE C STABLE;
COMMENT ON FUNCTION dataeng_internal._fact_measure_parse(regclass, text, regrole) IS
  'internal: parse and check one measure of a fact over its source';

-- The measure as given, parsed (_fact_measure_parse), as a fact_measure:
-- cols only for an expression (then col is null); is_float, mode and
-- reserve are fact_create's to decide.  Analysed as owner.
CREATE FUNCTION dataeng_internal._fact_parse_measure(source regclass, measure text, owner regrole)
RETURNS dataeng_internal.fact_measure
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT ROW(measure, p.agg, p.name, p.col, p.expr, p.filter,
             CASE WHEN p.col IS NULL AND p.expr IS NOT NULL THEN p.cols END,
             p.argtype, NULL, NULL, NULL)::dataeng_internal.fact_measure
    FROM dataeng_internal._fact_measure_parse(source, measure, owner) p
$$;
COMMENT ON FUNCTION dataeng_internal._fact_parse_measure(regclass, text, regrole) IS
  'internal: one measure as given, parsed and checked as the owner, as a fact_measure';

-- The value a measure m aggregates, per source row s: s.<col>, its
-- expression, or with a filter CASE WHEN <filter> THEN <value> END (the
-- aggregates ignore NULLs: sum(x) FILTER (WHERE f) is sum(CASE WHEN f THEN
-- x END)); NULL for count(*).  The texts are those _fact_measure_parse
-- deparsed, checked again by _fact_def_write.
CREATE FUNCTION dataeng_internal._fact_measure_value(m dataeng_internal.fact_measure)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN m.filter IS NOT NULL
                THEN format('CASE WHEN %s THEN %s END', m.filter, coalesce(m.expr, format('s.%I', m.col)))
                WHEN m.expr IS NOT NULL THEN format('(%s)', m.expr)
                WHEN m.col IS NOT NULL THEN format('s.%I', m.col) END);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_value(dataeng_internal.fact_measure) IS
  'internal: the SQL of the value a measure aggregates per source row';

-- Whether m is a measure the builders below can write SQL of: one of the
-- aggregates, with a name, and a value (a column or an expression) unless
-- it is count(*).
CREATE FUNCTION dataeng_internal._fact_measure_valid(m dataeng_internal.fact_measure)
RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT coalesce(m.agg IN ('count_star', 'count', 'count_distinct', 'sum', 'avg', 'min', 'max')
                    AND m.name IS NOT NULL AND m.name <> ''
                    AND CASE WHEN m.agg = 'count_star' THEN dataeng_internal._fact_measure_value(m) IS NULL
                             ELSE dataeng_internal._fact_measure_value(m) IS NOT NULL
                                  AND m.col IS DISTINCT FROM '' END, false));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_valid(dataeng_internal.fact_measure) IS
  'internal: whether the builders can write SQL of a measure';

-- One measure of fact_defs.spec (a jsonb object: {"text", "agg", "name",
-- "col"}, with "expr", "filter" and "cols" for an expression (then "col"
-- is null), "type", "float", "mode" and, for min/max kept with a reserve,
-- "reserve"), typed.  A measure the builders cannot write SQL of, or whose
-- typed fields do not read as their types, is refused: its text never
-- becomes SQL.
CREATE FUNCTION dataeng_internal._fact_measure_read(m jsonb)
RETURNS dataeng_internal.fact_measure
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.fact_measure;
BEGIN
  IF jsonb_typeof(m) = 'object'
     AND coalesce(jsonb_typeof(m->'float'), 'null') IN ('boolean', 'null')
     AND (NOT m ? 'reserve' OR (jsonb_typeof(m->'reserve') = 'number' AND m->>'reserve' ~ '^[0-9]{1,9}$'))
     AND (NOT m ? 'cols' OR (jsonb_typeof(m->'cols') = 'array'
                             AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(m->'cols') x
                                              WHERE jsonb_typeof(x) <> 'string')))
     AND (m->>'type' IS NULL OR to_regtype(m->>'type') IS NOT NULL) THEN
    r := ROW(m->>'text', m->>'agg', m->>'name', m->>'col', m->>'expr', m->>'filter',
             CASE WHEN m ? 'cols' THEN ARRAY(SELECT jsonb_array_elements_text(m->'cols')) END,
             to_regtype(m->>'type'), (m->>'float')::boolean, m->>'mode', (m->>'reserve')::int);
  END IF;
  IF r IS NULL OR NOT dataeng_internal._fact_measure_valid(r) THEN
    RAISE EXCEPTION 'invalid measure %', m
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A measure is count_star, count, count_distinct, sum, avg, min or max of a column or expression, with a name.';
  END IF;
  RETURN r;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_read(jsonb) IS
  'internal: one measure of fact_defs.spec, typed and checked';

-- The measures of a fact, typed, in the order of spec (the one reader of
-- fact_defs.spec: every builder takes what this returns).
CREATE FUNCTION dataeng_internal._fact_measures(spec jsonb)
RETURNS dataeng_internal.fact_measure[]
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT coalesce(array_agg(dataeng_internal._fact_measure_read(e) ORDER BY i), '{}')
      FROM jsonb_array_elements(spec) WITH ORDINALITY x(e, i));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measures(jsonb) IS
  'internal: the measures of a fact, typed, in the order of its spec';

-- A measure as fact_defs.spec keeps it (the inverse of _fact_measure_read):
-- the fields that are not NULL, and "col" always (NULL for expressions and
-- count(*), as dataeng 0.1.0 wrote it).
CREATE FUNCTION dataeng_internal._fact_measure_json(m dataeng_internal.fact_measure)
RETURNS jsonb
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('text', m.measure, 'agg', m.agg, 'name', m.name,
                                              'expr', m.expr, 'filter', m.filter, 'cols', to_jsonb(m.cols),
                                              'type', m.argtype::text, 'float', m.is_float, 'mode', m.mode,
                                              'reserve', m.reserve))
         || jsonb_build_object('col', m.col)
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_json(dataeng_internal.fact_measure) IS
  'internal: a measure as fact_defs.spec keeps it';

-- The bucket of a time value expression texpr (of type ttype) at the
-- grain, in time zone tz, as timestamptz: a call of _fact_bucket(), the
-- C that is the one definition of the rule (src/aggregate/delta.c,
-- bucket_of(); _fact_deltas() folds the changes with it too).  (ttype:
-- the rule depends on the value's type, which the C reads from the call.)
CREATE FUNCTION dataeng_internal._fact_bucket_expr(texpr text, ttype regtype, grain text, tz text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('dataeng_internal._fact_bucket(%s, %L, %L)', texpr, grain, tz));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_bucket_expr(text, regtype, text, text) IS
  'internal: the SQL of the bucket of a time expression at a grain in a time zone';

-- A fact's bucket column has the type of its time column (date, timestamp
-- or timestamptz; facts created by 0.1.0: timestamptz whatever the time
-- column).  Internally (the rule above, _fact_deltas(), the watermark of a
-- backfill, the range predicates) a bucket is a timestamptz: its start in
-- the fact's time zone, which is UTC for date and timestamp columns.  These
-- write the conversions of an expression e between the two: to the fact's
-- type (_fact_bucket_out) and back (_fact_bucket_in), none for
-- timestamptz.
CREATE FUNCTION dataeng_internal._fact_bucket_out(e text, btype regtype, tz text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN btype = 'timestamptz'::regtype THEN e
                ELSE format('((%s) AT TIME ZONE %L)::%s', e, tz, btype) END);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_bucket_out(text, regtype, text) IS
  'internal: the SQL converting a bucket from timestamptz to the type of a fact''s bucket column';
CREATE FUNCTION dataeng_internal._fact_bucket_in(e text, btype regtype, tz text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN btype = 'timestamptz'::regtype THEN e
                ELSE format('((%s)::timestamp AT TIME ZONE %L)', e, tz) END);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_bucket_in(text, regtype, text) IS
  'internal: the SQL converting a bucket from the type of a fact''s bucket column to timestamptz';
-- The type of the bucket column of fact table tbl.
CREATE FUNCTION dataeng_internal._fact_bucket_type(tbl regclass)
RETURNS regtype
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT a.atttypid::regtype FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attname = 'bucket' AND a.attnum > 0 AND NOT a.attisdropped);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_bucket_type(regclass) IS
  'internal: the type of the bucket column of a fact table';

-- A predicate on the source's time column s.<col> selecting the rows of
-- the buckets from $1 to $2 (exclusive), in the column's own type so that
-- an index on it can be used; $3: also rows whose time is NULL.
CREATE FUNCTION dataeng_internal._fact_range_pred(col text, ttype regtype, tz text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('((s.%1$I >= %2$s AND s.%1$I < %3$s) OR ($3 AND s.%1$I IS NULL))', col,
                  CASE ttype WHEN 'timestamptz'::regtype THEN '$1'
                             WHEN 'timestamp'::regtype THEN format('($1 AT TIME ZONE %L)', tz)
                             ELSE format('($1 AT TIME ZONE %L)::date', tz) END,
                  CASE ttype WHEN 'timestamptz'::regtype THEN '$2'
                             WHEN 'timestamp'::regtype THEN format('($2 AT TIME ZONE %L)', tz)
                             -- a date d is in [lo, hi) when d < hi rounded up to a
                             -- day (the day of its last microsecond, plus one: the
                             -- day after hi overflows in the last day of the timestamps)
                             ELSE format('((($2 AT TIME ZONE %L) - interval ''1 microsecond'')::date + 1)', tz) END));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_range_pred(text, regtype, text) IS
  'internal: the SQL of a predicate selecting the source rows of a range of buckets';

-- The same for the buckets [$1, $2) of fact d: on a timestamptz time
-- column, from the first instant of a bucket $1 or later to the instant
-- from which all buckets are $2 or later (_fact_bucket_split), which are
-- not the buckets' starts where the zone's offset changes by less than the
-- grain, and where a bucket goes back in time (an offset falling back at
-- 00:01) select rows of other buckets too: the caller filters on the
-- bucket.  (Date and timestamp columns have their buckets in UTC.)  once:
-- each bound computed once, in an InitPlan (not for every row a scan with
-- no index on the column reads); else a call of $1 and $2, for a join's
-- range scan per bucket.
CREATE FUNCTION dataeng_internal._fact_rows_pred(d dataeng_internal.fact_defs, ttype regtype, once boolean)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  pred text := dataeng_internal._fact_range_pred(d.time_column, ttype, d.time_zone);
  lo text := format('dataeng_internal._fact_bucket_split($1, %L, %L, false)', d.grain, d.time_zone);
  hi text := format('dataeng_internal._fact_bucket_split($2, %L, %L, true)', d.grain, d.time_zone);
BEGIN
  IF ttype <> 'timestamptz'::regtype AND d.time_zone = 'UTC' THEN
    RETURN pred;
  ELSIF ttype <> 'timestamptz'::regtype THEN
    -- a date or timestamp bucketed in another zone (a fact of 0.1.0,
    -- _fact_def_check): its value, read in that zone, is that many
    -- instants, whose local time is not its value in a skipped hour and
    -- goes back where the offset does (up to a day, Pacific/Apia on 30
    -- December 2011): the instants' bounds and two days more
    lo := lo || ' - interval ''2 days''';
    hi := hi || ' + interval ''2 days''';
  END IF;
  RETURN replace(replace(pred, '$1', CASE WHEN once THEN format('(SELECT %s)', lo) ELSE format('(%s)', lo) END),
                 '$2', CASE WHEN once THEN format('(SELECT %s)', hi) ELSE format('(%s)', hi) END);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_rows_pred(dataeng_internal.fact_defs, regtype, boolean) IS
  'internal: the SQL of a predicate on the time column selecting the source rows of a range of buckets of a fact';

-- The aggregate expressions of a measure over source rows s (the visible
-- column and its hidden helpers), as (column name, SQL) pairs in table order.
-- The aggregate is one of a fixed list and its value a quoted column or
-- the expression and filter as _fact_measure_parse deparsed them (no text
-- of the measure as given is ever SQL).
CREATE FUNCTION dataeng_internal._fact_measure_cols(m dataeng_internal.fact_measure, src_float boolean,
                                           OUT col_name text, OUT expr text, OUT hidden boolean)
RETURNS SETOF record
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  agg text := m.agg;
  v text := dataeng_internal._fact_measure_value(m);
  nm text := m.name;
BEGIN
  IF NOT dataeng_internal._fact_measure_valid(m) THEN
    RAISE EXCEPTION 'invalid measure %', m
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'A measure is count_star, count, count_distinct, sum, avg, min or max of a column or expression, with a name.';
  END IF;
  col_name := nm;
  hidden := false;
  expr := CASE agg WHEN 'count_star' THEN 'count(*)'
                   WHEN 'count_distinct' THEN format('count(DISTINCT %s)', v)
                   ELSE format('%s(%s)', agg, v) END;
  RETURN NEXT;
  hidden := true;
  IF agg = 'sum' THEN
    col_name := '__nn_' || nm;
    expr := format('count(%s)', v);
    RETURN NEXT;
  ELSIF agg IN ('min', 'max') AND m.reserve IS NOT NULL THEN
    -- the reserve: its count of values and its few least (greatest)
    -- values (_fact_reserve)
    col_name := '__nn_' || nm;
    expr := format('count(%s)', v);
    RETURN NEXT;
    col_name := '__x_' || nm;
    expr := format('dataeng_internal._fact_reserve_agg(%s, %s, %s)', v, m.reserve,
                   CASE agg WHEN 'max' THEN 'true' ELSE 'false' END);
    RETURN NEXT;
  ELSIF agg = 'avg' THEN
    col_name := '__sum_' || nm;
    expr := format(CASE WHEN src_float THEN 'sum((%s)::float8)' ELSE 'sum(%s)' END, v);
    RETURN NEXT;
    col_name := '__cnt_' || nm;
    expr := format('count(%s)', v);
    RETURN NEXT;
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_cols(dataeng_internal.fact_measure, boolean) IS
  'internal: the aggregate expressions of a measure over source rows, as column name and SQL pairs';

-- The parts of a fact's SQL that depend on its definition.
--   key_cols   bucket and dimension columns, quoted, comma-separated
--   key_join   a join of fact f and a group row d on those columns
--   bucket_s   the bucket of a source row s
--   ins_cols   the columns a backfill inserts (not the generated avg ones)
--   ins_sel    their aggregates over source rows s
--   rec_set    SET list recomputing the non-delta measures from r
--   rec_sel    their aggregates over source rows s (aliased)
CREATE FUNCTION dataeng_internal._fact_sql(d dataeng_internal.fact_defs,
                                  OUT key_cols text, OUT key_join text, OUT bucket_s text,
                                  OUT ins_cols text, OUT ins_sel text,
                                  OUT rec_set text, OUT rec_sel text)
RETURNS record
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  ttype regtype;
  m dataeng_internal.fact_measure;
  c record;
  keys text[] := ARRAY['bucket'] || d.dimensions;
BEGIN
  ttype := (dataeng_internal._agg_column(d.source, d.time_column, 'time column')).typ;
  bucket_s := dataeng_internal._fact_bucket_out(
                dataeng_internal._fact_bucket_expr(format('s.%I', d.time_column), ttype, d.grain, d.time_zone),
                dataeng_internal._fact_bucket_type(d.storage_table), d.time_zone);
  key_cols := array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(keys) k), ', ');
  SELECT string_agg(CASE WHEN a.attnotnull THEN format('f.%1$I = d.%1$I', k)
                         ELSE format('f.%1$I IS NOT DISTINCT FROM d.%1$I', k) END, ' AND ' ORDER BY o)
    INTO key_join
    FROM unnest(keys) WITH ORDINALITY u(k, o)
    JOIN pg_attribute a ON a.attrelid = d.storage_table AND a.attname = k;
  ins_cols := key_cols;
  ins_sel := bucket_s || coalesce(', ' || NULLIF(array_to_string(ARRAY(
               SELECT format('s.%I', x) FROM unnest(d.dimensions) x), ', '), ''), '');
  FOREACH m IN ARRAY dataeng_internal._fact_measures(d.spec) LOOP
    IF m.expr IS NOT NULL OR m.filter IS NOT NULL OR m.cols IS NOT NULL THEN
      PERFORM dataeng_internal._fact_measure_check(d.name, d.source, m, d.owner);
    END IF;
    FOR c IN SELECT * FROM dataeng_internal._fact_measure_cols(m, m.is_float) LOOP
      IF NOT (m.agg = 'avg' AND NOT c.hidden) THEN
        ins_cols := ins_cols || format(', %I', c.col_name);
        ins_sel := ins_sel || ', ' || c.expr;
        -- (and numeric sums: recomputed where NaN or an infinity came or went)
        IF m.mode = 'recompute' OR (m.mode = 'delta' AND m.agg IN ('sum', 'avg')
                                    AND dataeng_internal._agg_sum_type_of(m.argtype) = 'numeric') THEN
          rec_set := coalesce(rec_set || ', ', '') || format('%1$I = r.%1$I', c.col_name);
          rec_sel := coalesce(rec_sel || ', ', '') || format('%s AS %I', c.expr, c.col_name);
        END IF;
      END IF;
    END LOOP;
  END LOOP;
  ins_cols := ins_cols || ', __rows';
  ins_sel := ins_sel || ', count(*)';
  IF NOT EXISTS (SELECT 1 FROM pg_class pc WHERE pc.oid = d.storage_table) THEN
    RAISE EXCEPTION 'the table storing the rows of fact "%" has been dropped', d.name
      USING ERRCODE = 'undefined_table',
            HINT = format('Drop the fact with SELECT dataeng.fact_drop(%L); and create it again.', d.name);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_sql(dataeng_internal.fact_defs) IS
  'internal: the SQL fragments the refresh and backfill statements of a fact are built from';

-- The statements of fact_create that make a fact's relations:
-- the column of an avg measure col of type typ, computed from its hidden
-- sum and count as avg() computes it;
CREATE FUNCTION dataeng_internal._fact_avg_column_sql(col text, typ text)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('%I %s GENERATED ALWAYS AS (CASE WHEN %I = 0 THEN NULL ELSE (%s)::%s END) STORED',
    col, typ, '__cnt_' || col,
    CASE typ::regtype WHEN 'numeric'::regtype THEN format('%I::numeric / %I::numeric', '__sum_' || col, '__cnt_' || col)
                      -- (avg() adds to 0: never -0, even of -0 values)
                      WHEN 'float8'::regtype THEN format('(0::float8 + %I::float8) / %I::float8', '__sum_' || col, '__cnt_' || col)
                      WHEN 'interval'::regtype THEN format('%I / %I::float8', '__sum_' || col, '__cnt_' || col)
                      ELSE format('%I / %I', '__sum_' || col, '__cnt_' || col) END,
    typ)
$$;
COMMENT ON FUNCTION dataeng_internal._fact_avg_column_sql(text, text) IS
  'internal: the column of a fact''s avg measure, computed from its hidden sum and count';

-- the storage table (qualified, quoted) of the groups with their
-- bookkeeping columns coldefs and the key keys refreshes merge on (with a
-- nullable key column: UNIQUE NULLS NOT DISTINCT); fillfactor 50: a
-- refresh may update every group, in place (HOT);
CREATE FUNCTION dataeng_internal._fact_storage_sql(storage text, coldefs text[], keys text[], nullable boolean)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('CREATE TABLE %s (%s, %s (%s)) WITH (fillfactor = 50)', storage, array_to_string(coldefs, ', '),
                CASE WHEN nullable THEN 'UNIQUE NULLS NOT DISTINCT' ELSE 'PRIMARY KEY' END,
                array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(keys) k), ', '))
$$;
COMMENT ON FUNCTION dataeng_internal._fact_storage_sql(text, text[], text[], boolean) IS
  'internal: the statement creating the table that stores a fact''s groups';

-- the fact users query (view_name, qualified and quoted): a view of the keys
-- (bucket and dimensions) and the measures ms over the storage table.
CREATE FUNCTION dataeng_internal._fact_view_sql(view_name text, keys text[], ms dataeng_internal.fact_measure[],
                                                storage regclass)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('CREATE VIEW %s AS SELECT %s FROM %s s', view_name,
                array_to_string(ARRAY(SELECT format('s.%I', k) FROM unnest(keys) k)
                                || ARRAY(SELECT format('s.%I', e.name) FROM unnest(ms) WITH ORDINALITY e
                                          ORDER BY e.ordinality), ', '),
                storage)
$$;
COMMENT ON FUNCTION dataeng_internal._fact_view_sql(text, text[], dataeng_internal.fact_measure[], regclass) IS
  'internal: the statement creating the view users query of a fact';

-- The statement that aggregates source rows into the groups of fact d:
-- INSERT of ins_cols (_fact_sql's, or the same with another bucket) from
-- their aggregates ins_sel over from_item (source rows aliased s), those
-- pred selects (NULL: all), grouped by bucket and dimensions.  The
-- creation's backfill, a rebuild, a batch of fact_backfill and the touched
-- buckets of a refresh all write it so.  The groups are inserted in key
-- order, so that the fact's heap follows its key index: a refresh's MERGE
-- that looks its groups up one by one, in key order (_fact_refresh), then
-- walks the heap forward as it walks the index (docs/facts.md, "Many
-- groups").
CREATE FUNCTION dataeng_internal._fact_groups_insert_sql(d dataeng_internal.fact_defs, ins_cols text, ins_sel text,
                                                         from_item text, pred text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('INSERT INTO %s (%s) SELECT %s FROM %s%s GROUP BY %s ORDER BY %6$s', d.storage_table, ins_cols, ins_sel,
                  from_item, coalesce(' WHERE ' || pred, ''),
                  (SELECT string_agg(i::text, ', ') FROM generate_series(1, 1 + cardinality(d.dimensions)) i)));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_groups_insert_sql(dataeng_internal.fact_defs, text, text, text, text) IS
  'internal: the statement aggregating source rows into a fact''s groups';

-- (fact_create() below: the caller's current schema is passed in, since
-- search_path is pinned here)
CREATE FUNCTION dataeng_internal._fact_create(fact_name text, source regclass, time_column text, grain text,
                                     dimensions text[], measures text[],
                                     schedule text, cur_schema text, backfill text)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  key text;
  parts text[];
  qualified text;
  g text := lower(btrim(grain));
  tz text;
  ttype regtype;
  tnull boolean;
  anynull boolean;
  col record;
  d text;
  ms text;
  m dataeng_internal.fact_measure;
  mt dataeng_internal.fact_measure[] := '{}';   -- the measures, typed
  spec jsonb := '[]';                            -- and as fact_defs.spec keeps them
  is_avg boolean;
  names text[] := ARRAY['bucket', '__rows'];
  cols text[];
  c record;
  sel text;
  coldefs text[];
  def dataeng_internal.fact_defs;
  q record;
  tbl regclass;
  ok boolean;
  bf_from timestamptz;
  bf_to timestamptz;
  bf_any boolean;
  null_at int;                                   -- a NULL element's position
BEGIN
  IF fact_name IS NULL OR source IS NULL OR time_column IS NULL OR grain IS NULL
     OR dimensions IS NULL OR measures IS NULL THEN
    -- (the argument named, as every action names it, docs/errors.md)
    ms := CASE WHEN fact_name IS NULL THEN 'fact_name' WHEN source IS NULL THEN 'source'
               WHEN time_column IS NULL THEN 'time_column' WHEN grain IS NULL THEN 'grain'
               WHEN dimensions IS NULL THEN 'dimensions' ELSE 'measures' END;
    RAISE EXCEPTION '% must not be NULL', ms
      USING ERRCODE = 'null_value_not_allowed',
            DETAIL = 'dataeng.fact_create() needs fact_name, source, time_column, grain, dimensions and measures.',
            HINT = CASE WHEN ms = 'dimensions' THEN 'Pass an empty array for no dimensions.'
                        ELSE 'Skip the call when the value is NULL (for example, a name that a query did not find).' END;
  END IF;
  FOREACH ms IN ARRAY ARRAY['dimensions', 'measures'] LOOP
    null_at := array_position(CASE ms WHEN 'dimensions' THEN dimensions ELSE measures END, NULL);
    IF null_at IS NOT NULL THEN
      RAISE EXCEPTION '% must not contain NULL', ms
        USING ERRCODE = 'null_value_not_allowed',
              DETAIL = format('Element %s of %s is NULL.', null_at, ms),
              HINT = 'List dimensions as column names and measures as aggregates such as count(*) or sum(amount), none NULL.';
    END IF;
  END LOOP;
  IF backfill IS NULL OR backfill NOT IN ('now', 'later') THEN
    RAISE EXCEPTION '%', CASE WHEN backfill IS NULL THEN 'backfill must not be NULL' ELSE format('backfill must be ''now'' or ''later'', not %s', quote_literal(backfill)) END
      USING ERRCODE = CASE WHEN backfill IS NULL THEN 'null_value_not_allowed' ELSE 'invalid_parameter_value' END,
            HINT = '''now'' fills the fact before fact_create returns; ''later'' creates it empty, to be filled in batches by CALL dataeng.fact_backfill().';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_create() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'The backfill and the start of the change-log consumer must see the same rows.';
  END IF;
  -- the refresh job's schedule, checked before the long part (the load
  -- under a lock that holds writers off): a misspelt schedule, or a server
  -- without the preload, failed only once the load was done, naming
  -- dataeng.schedule(), which the caller never called
  IF schedule IS NOT NULL THEN
    IF NOT (SELECT i.preloaded FROM dataeng.info() i) THEN
      RAISE EXCEPTION 'dataeng.fact_create() schedules its refreshes, which needs dataeng in shared_preload_libraries'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'The library was loaded on demand, so the scheduler is not running.',
              HINT = 'Pass schedule => NULL and call dataeng.fact_refresh() yourself, or add ''dataeng'' to shared_preload_libraries and restart the server.';
    END IF;
    PERFORM dataeng_internal._schedule_next(schedule, now());   -- raises on a bad schedule
  END IF;
  key := dataeng_internal._agg_name(fact_name);
  -- (before its relation's check: the fact's view made it "relation exists";
  -- another role's, hidden by row security: _fact_def_write refuses it)
  IF EXISTS (SELECT 1 FROM dataeng_internal.fact_defs f WHERE f.name = key) THEN
    RAISE EXCEPTION 'fact "%" already exists', key USING ERRCODE = 'duplicate_object',
      HINT = 'Choose another name, or drop the existing fact first with dataeng.fact_drop() (its owner; dataeng.facts lists yours).';
  END IF;
  parts := dataeng_internal._agg_new_table(fact_name, cur_schema, 'fact_name');
  qualified := format('%I.%I', parts[1], parts[2]);

  -- grain: a date_trunc unit (plural accepted)
  IF dataeng_internal._fact_grain(g) IS NULL AND g LIKE '%s' AND dataeng_internal._fact_grain(rtrim(g, 's')) IS NOT NULL THEN
    g := rtrim(g, 's');
  END IF;
  IF dataeng_internal._fact_grain(g) IS NULL THEN
    RAISE EXCEPTION 'grain "%" is not a date_trunc unit', grain
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use microseconds, milliseconds, second, minute, hour, day, week, month, quarter, year, decade, century or millennium.';
  END IF;

  -- the time column
  SELECT * INTO col FROM dataeng_internal._agg_column(source, time_column, 'time column');
  ttype := col.typ;
  tnull := col.nullable;
  IF ttype NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'time column "%" has type %', time_column, ttype
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = 'The time column must be timestamp with time zone, timestamp or date.', HINT = 'Name a column of one of these types (a stored generated column can convert another one).';
  END IF;
  anynull := tnull;
  -- the bucket has the time column's type: a date is a day and a timestamp
  -- a wall-clock time wherever the session is, so their buckets are
  -- computed in UTC (where each day has 24 hours); a timestamptz is bucketed
  -- in the session's time zone
  tz := CASE WHEN ttype = 'timestamptz'::regtype THEN current_setting('TimeZone') ELSE 'UTC' END;

  -- dimensions
  FOREACH d IN ARRAY dimensions LOOP
    SELECT * INTO col FROM dataeng_internal._agg_column(source, d, 'dimension');
    anynull := anynull OR col.nullable;
    IF d = ANY (names) THEN
      RAISE EXCEPTION 'column name "%" is used twice in fact "%"', d, key
        USING ERRCODE = 'duplicate_column',
              HINT = CASE WHEN d IN ('bucket', '__rows') THEN format('"%s" is a column of every fact table.', d)
                          ELSE 'List each dimension once.' END;
    END IF;
    names := names || d;
  END LOOP;

  -- measures
  IF cardinality(measures) = 0 THEN
    RAISE EXCEPTION 'a fact needs at least one measure'
      USING ERRCODE = 'invalid_parameter_value', HINT = 'For example ARRAY[''count(*)''].';
  END IF;
  FOREACH ms IN ARRAY measures LOOP
    m := dataeng_internal._fact_parse_measure(source, ms, current_user::regrole);
    IF m.expr IS NOT NULL THEN
      -- an expression (or a column with a filter): its type as analysed
      m.is_float := m.argtype IN ('float4'::regtype, 'float8'::regtype);
      BEGIN
        EXECUTE format('SELECT %s FROM %s s WHERE false',
                       (SELECT expr FROM dataeng_internal._fact_measure_cols(m, false) LIMIT 1), source);
        ok := true;
      EXCEPTION WHEN undefined_function OR datatype_mismatch THEN
        ok := false;
      END;
      IF NOT ok OR (m.agg IN ('sum', 'avg')
                    AND (SELECT typcategory FROM pg_type WHERE oid = m.argtype) NOT IN ('N', 'T')) THEN
        RAISE EXCEPTION 'measure "%" cannot aggregate its argument of type %', ms, m.argtype
          USING ERRCODE = 'datatype_mismatch',
                HINT = CASE WHEN m.agg IN ('sum', 'avg') THEN 'sum and avg need a numeric or interval argument.'
                            ELSE 'min and max need a type with an ordering.' END;
      END IF;
    ELSIF m.col IS NOT NULL THEN
      SELECT * INTO col FROM dataeng_internal._agg_column(source, m.col, format('measure "%s": column', ms));
      m.argtype := col.typ;
      m.is_float := col.typ IN ('float4'::regtype, 'float8'::regtype);
      -- the aggregate must exist for the column's type
      BEGIN
        EXECUTE format('SELECT %s FROM %s s WHERE false',
                       (SELECT expr FROM dataeng_internal._fact_measure_cols(m, false) LIMIT 1), source);
        ok := true;
      EXCEPTION WHEN undefined_function OR datatype_mismatch THEN
        ok := false;
      END;
      IF NOT ok OR (m.agg IN ('sum', 'avg')
                    AND (SELECT typcategory FROM pg_type WHERE oid = col.typ) NOT IN ('N', 'T')) THEN
        RAISE EXCEPTION 'measure "%" cannot aggregate column "%" of type %', ms, m.col, col.typ
          USING ERRCODE = 'datatype_mismatch',
                HINT = CASE WHEN m.agg IN ('sum', 'avg') THEN 'sum and avg need a numeric or interval column.'
                            ELSE 'min and max need a type with an ordering.' END;
      END IF;
    ELSE
      m.is_float := false;
    END IF;
    -- sum/count/avg are applied as deltas; count(DISTINCT) of a value read
    -- typed from the changes through per-value counts in the fact's side
    -- table ('distinct'); the rest (and float sums, whose deltas would
    -- drift) are recomputed for the groups a refresh touches
    m.mode := CASE WHEN m.agg IN ('count_star', 'count') THEN 'delta'
                   WHEN m.agg IN ('sum', 'avg') AND NOT m.is_float THEN 'delta'
                   WHEN dataeng_internal._fact_measure_distinct_ok(source, m) THEN 'distinct'
                   ELSE 'recompute' END;
    -- min/max of a type whose values the refresh reads typed: kept with a
    -- reserve of each group's few least (greatest) values
    IF m.agg IN ('min', 'max') AND dataeng_internal._fact_measure_extreme_ok(source, m) THEN
      m.reserve := @FACT_RESERVE@;
    END IF;
    FOR c IN SELECT * FROM dataeng_internal._fact_measure_cols(m, false) LOOP
      IF c.col_name = ANY (names) THEN
        RAISE EXCEPTION 'column name "%" is used twice in fact "%"', c.col_name, key
          USING ERRCODE = 'duplicate_column',
                DETAIL = format('Measure "%s" names its column "%s".', ms, c.col_name),
                HINT = 'Name the measure with AS, e.g. sum(amount) AS total_amount.';
      ELSIF c.col_name IN ('is_total', 'n_changes', 'has_t') OR c.col_name ~ '^k[0-9]+$' THEN
        -- (the columns of a refresh's deltas, pg_temp._dataeng_delta_raw)
        RAISE EXCEPTION 'measure name "%" is reserved', c.col_name
          USING ERRCODE = 'reserved_name',
                DETAIL = format('Measure "%s" names its column "%s": a refresh names its working columns is_total, n_changes, has_t, k0, k1, ...', ms, c.col_name),
                HINT = 'Name the measure with AS, e.g. sum(amount) AS total_amount.';
      END IF;
      IF octet_length(c.col_name) > 63 THEN
        RAISE EXCEPTION 'column name "%" of measure "%" is too long', c.col_name, ms
          USING ERRCODE = 'name_too_long', HINT = 'Name the measure with a shorter AS name.';
      END IF;
      names := names || c.col_name;
    END LOOP;
    mt := mt || m;
    spec := spec || jsonb_build_array(dataeng_internal._fact_measure_json(m));
  END LOOP;

  -- Capture: no writer may commit between the backfill and the consumer's
  -- start, so both see the same rows.
  PERFORM dataeng_internal._agg_lock_source(source, 'dataeng.fact_create() backfills the fact and starts its consumer', true);
  -- Nor may this transaction have written the source before: the backfill
  -- sees its rows, and their changes, committed with the fact, come after
  -- the consumer's start, so the first refresh counted each of them again.
  -- (a writer of a table holds ROW EXCLUSIVE on it, and on the partitions
  -- it wrote, until its transaction ends; what rolled back in a
  -- subtransaction released it).  Only a source already captured: writes
  -- to a table no capture watched left no change behind (CREATE TABLE,
  -- INSERT and fact_create() in one transaction are right).
  IF pg_current_xact_id_if_assigned() IS NOT NULL
     AND EXISTS (SELECT 1 FROM dataeng.cdc_tables_visible ct
                  WHERE ct.table_name::oid IN (SELECT source::oid
                                               UNION SELECT pt.relid FROM pg_partition_tree(source) pt
                                               UNION SELECT pa.relid FROM pg_partition_ancestors(source) pa))
     AND EXISTS (SELECT 1 FROM pg_locks l
                  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                    AND l.mode = 'RowExclusiveLock' AND l.granted
                    AND l.relation IN (SELECT source::oid UNION SELECT pt.relid FROM pg_partition_tree(source) pt)) THEN
    RAISE EXCEPTION 'dataeng.fact_create() cannot run in a transaction that changed its source table %', source
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'The backfill reads the rows this transaction wrote, and their changes, committed with the fact, '
                     'would be applied to it again by its first refresh.',
            HINT = 'Commit the changes to the table first, then create the fact in a transaction of its own.';
  END IF;
  cols := ARRAY[time_column] || dimensions
          || ARRAY(SELECT e.col FROM unnest(mt) WITH ORDINALITY e WHERE e.col IS NOT NULL ORDER BY e.ordinality)
          || ARRAY(SELECT x.rc FROM unnest(mt) WITH ORDINALITY e, unnest(e.cols) WITH ORDINALITY x(rc, o)
                    ORDER BY e.ordinality, x.o);
  PERFORM dataeng_internal._agg_capture(source, cols, 'fact table');

  -- Column types exactly as the GROUP BY gives them.
  def := ROW(key, NULL, NULL, source, time_column, g, tz, dimensions, measures, spec,
             'fact:' || key, schedule, now(), NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false,
             false, NULL, NULL, NULL)::dataeng_internal.fact_defs;
  sel := dataeng_internal._fact_bucket_out(dataeng_internal._fact_bucket_expr(format('s.%I', time_column), ttype, g, tz),
                                           ttype, tz) || ' AS bucket'
         || coalesce(', ' || NULLIF(array_to_string(ARRAY(
              SELECT format('s.%I', x) FROM unnest(dimensions) x), ', '), ''), '');
  FOREACH m IN ARRAY mt LOOP
    FOR c IN SELECT * FROM dataeng_internal._fact_measure_cols(m, m.is_float) LOOP
      sel := sel || format(', %s AS %I', c.expr, c.col_name);
    END LOOP;
  END LOOP;
  IF to_regclass('pg_temp._dataeng_fact_types') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_fact_types;
  END IF;
  EXECUTE format('CREATE TEMP TABLE _dataeng_fact_types AS SELECT %s, count(*) AS __rows FROM %s s '
                 'GROUP BY %s WITH NO DATA', sel, source,
                 (SELECT string_agg(i::text, ', ') FROM generate_series(1, 1 + cardinality(dimensions)) i));
  coldefs := '{}';
  FOR q IN SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS t, a.attnum,
                  -- the source's collation (a dimension or min() of a text
                  -- column), so that groups are told apart as GROUP BY does
                  (SELECT format(' COLLATE %I.%I', n.nspname, l.collname)
                     FROM pg_collation l JOIN pg_namespace n ON n.oid = l.collnamespace
                     JOIN pg_type ty ON ty.oid = a.atttypid
                    WHERE l.oid = a.attcollation AND a.attcollation <> ty.typcollation) AS coll
             FROM pg_attribute a
            WHERE a.attrelid = 'pg_temp._dataeng_fact_types'::regclass AND a.attnum > 0
            ORDER BY CASE WHEN a.attname = '__rows' THEN 1
                          WHEN a.attname LIKE E'\\_\\_%' AND a.attnum > 1 + cardinality(dimensions) THEN 2
                          ELSE 0 END, a.attnum LOOP
    is_avg := EXISTS (SELECT 1 FROM unnest(mt) e WHERE e.name = q.attname AND e.agg = 'avg');
    IF is_avg THEN
      -- avg: computed from its hidden sum and count, as avg() computes it
      coldefs := coldefs || dataeng_internal._fact_avg_column_sql(q.attname, q.t);
    ELSE
      coldefs := coldefs || format('%I %s%s%s', q.attname, q.t, coalesce(q.coll, ''),
                                   CASE WHEN q.attname = '__rows' OR (q.attname = 'bucket' AND NOT tnull)
                                          OR q.attname = ANY (dimensions) AND EXISTS (
                                               SELECT 1 FROM pg_attribute a WHERE a.attrelid = source
                                                  AND a.attname = q.attname AND a.attnotnull)
                                        THEN ' NOT NULL' ELSE '' END);
    END IF;
  END LOOP;
  DROP TABLE pg_temp._dataeng_fact_types;
  -- The storage table: the groups with their bookkeeping columns and the
  -- key refreshes merge on
  EXECUTE dataeng_internal._fact_storage_sql(dataeng_internal._fact_storage_free(parts[1], parts[2]), coldefs,
                                             ARRAY['bucket'] || dimensions, anynull);
  def.storage_table := format('%I.%I', parts[1], dataeng_internal._fact_storage_name(parts[2]))::regclass;
  EXECUTE format('COMMENT ON TABLE %s IS %L', def.storage_table,
                 format('Rows and bookkeeping of fact %s: query the fact, not this table', qualified));
  -- The fact users query: a view of the bucket, the dimensions and the
  -- measures (the owner's, so that who may read it is granted on it alone)
  EXECUTE dataeng_internal._fact_view_sql(qualified, ARRAY['bucket'] || dimensions, mt, def.storage_table);
  tbl := qualified::regclass;
  EXECUTE format('COMMENT ON VIEW %s IS %L', tbl,
                 format('Fact table of %s by %s (%s) kept up to date by dataeng.fact_refresh(%L)',
                        source, g, array_to_string(dimensions, ', '), key));

  def.fact_table := tbl;
  def.owner := current_user::regrole;
  IF backfill = 'later' THEN
    -- Only the range to cover, for the progress figure (the min/max of
    -- the time column: an index on it answers at once).  Nothing is
    -- backfilled yet; an empty source needs no backfill.
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %1$s s), %2$s, %3$s FROM '
                   '(SELECT min(s.%4$I) AS lo, max(s.%4$I) AS hi FROM %1$s s WHERE isfinite(s.%4$I)) x',
                   source, dataeng_internal._fact_bucket_expr('x.lo', ttype, g, tz),
                   dataeng_internal._fact_bucket_expr('x.hi', ttype, g, tz), time_column)
      INTO bf_any, bf_from, bf_to;
    BEGIN
      bf_to := (bf_to AT TIME ZONE tz + dataeng_internal._fact_grain(g)) AT TIME ZONE tz;
    EXCEPTION WHEN datetime_field_overflow THEN
      -- the last bucket of the timestamps (294276-12-31) ends past them:
      -- the range ends at its start, which makes the batch that reaches
      -- it the last one (which takes every bucket from the watermark on)
      NULL;
    END;
    def.backfilled_upto := CASE WHEN bf_any THEN '-infinity'::timestamptz END;
    def.backfill_from := bf_from;
    def.backfill_to := bf_to;
  END IF;
  -- the definition, and with it the consumer fact:<name>, owned by the caller
  PERFORM dataeng_internal._fact_def_write('insert', def, 0);
  -- the side table of its count(DISTINCT) measures kept with per-value counts
  IF dataeng_internal._fact_has_side(def) THEN
    tbl := dataeng_internal._fact_side_create(def);
  END IF;
  IF backfill = 'now' THEN
    -- a load of seconds or minutes says so as it begins
    IF dataeng_internal._rows_estimate(source) >= @LARGE_LOAD_ROWS@ THEN
      RAISE NOTICE 'fact "%": aggregating about % rows of table %', key, dataeng_internal._rows_estimate(source), source
        USING DETAIL = 'Writers of the table wait until the fact is created.',
              HINT = format('With backfill => ''later'', CALL dataeng.fact_backfill(%L) fills the fact in batches, '
                            'holding writers off for one batch at a time.', key);
    END IF;
    SELECT * INTO q FROM dataeng_internal._fact_sql(def);
    EXECUTE dataeng_internal._fact_groups_insert_sql(def, q.ins_cols, q.ins_sel, format('%s s', source), NULL);
    IF dataeng_internal._fact_has_side(def) THEN
      PERFORM dataeng_internal._fact_side_fill(def, tbl, format('%s s', source), q.bucket_s, NULL, NULL, NULL, NULL);
    END IF;
  END IF;
  tbl := def.fact_table;
  PERFORM dataeng_internal._fact_def_write('refreshed', def, 0);

  IF schedule IS NOT NULL THEN
    PERFORM dataeng.schedule('fact_refresh:' || key, schedule, format('SELECT dataeng.fact_refresh(%L)', key));
  END IF;
  RETURN tbl;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_create(text, regclass, text, text, text[], text[], text, text, text) IS
  'internal: body of fact_create(), run for the calling role';
-- _fact_create() as the caller with the caller's current schema, its errors
-- for bad input without the CONTEXT of the internal functions
-- (src/aggregate/create.c).
CREATE FUNCTION dataeng.fact_create(fact_name text, source regclass, time_column text, grain text,
                                    dimensions text[], measures text[],
                                    schedule text DEFAULT '1 minute',
                                    backfill text DEFAULT 'now')
RETURNS regclass
AS 'MODULE_PATHNAME', 'dataeng_fact_create'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.fact_create(text, regclass, text, text, text[], text[], text, text) IS
  'Creates a fact table (bucket at a grain, dimensions, measures) from a source table, backfills it now or leaves it to fact_backfill (backfill => ''later''), and keeps it refreshable from the change log';

-- The reader of dimensions (and of a fact rebuilt after a TRUNCATE of its
-- source; a fact's refresh reads with _fact_deltas()): the changes
-- cdc_poll(consumer, max_changes) would return (the same batches, cut,
-- privilege checks and recorded poll position: both go through
-- _cdc_poll_ranges()), with their place in delivery order (tick_id,
-- ord_txn, change_id), but unsorted: a dimension sorts only the keys it
-- needs, where cdc_poll sorts whole changes.  Acknowledge with
-- cdc_ack(): the last change delivered is the one with the greatest
-- (tick_id, ord_txn, change_id).  Invoker rights through src/cdc/api.c, as
-- cdc_poll.
CREATE FUNCTION dataeng_internal._cdc_poll_unordered(caller regrole, consumer text, max_changes int)
RETURNS TABLE (tick_id bigint, ord_txn bigint, change_id bigint, xid xid8, captured_at timestamptz,
               table_name regclass, op "char", pk jsonb, old_row jsonb, new_row jsonb)
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  me regrole := caller;
  g record;
BEGIN
  IF max_changes < 1 THEN
    RAISE EXCEPTION 'max_changes must be at least 1, not %', max_changes
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  r := dataeng_internal._cdc_consumer(consumer, me, true);
  FOR g IN SELECT * FROM dataeng_internal._cdc_poll_ranges(r, me, max_changes, true) LOOP
    RETURN QUERY
      SELECT bt.tick_id, bt.ord_txn, l.change_id, l.xid, l.captured_at, l.table_oid::regclass, l.op,
             l.pk, l.old_row, l.new_row
        FROM (SELECT * FROM dataeng_internal.cdc_batch_txns b
               WHERE b.tick_id = g.tick_id AND b.ord_txn >= g.from_txn AND b.ord_txn <= g.to_txn) bt
        JOIN dataeng_internal.change_log l ON l.xid = bt.xid
       WHERE (bt.ord_txn > g.from_txn OR l.change_id > g.from_change)
         AND (bt.ord_txn < g.to_txn OR l.change_id <= g.to_change)
         AND CASE WHEN r.tables IS NULL THEN dataeng_internal._cdc_can_read(me, l.table_oid)
                  ELSE l.table_oid = ANY (r.tables::oid[]) END;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_poll_unordered(regrole, text, int) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_poll_unordered(regrole, text, int) IS
  'internal: body of dataeng_internal._cdc_poll_unordered()';

CREATE FUNCTION dataeng_internal._cdc_poll_unordered(consumer text, max_changes int)
RETURNS TABLE (tick_id bigint, ord_txn bigint, change_id bigint, xid xid8, captured_at timestamptz,
               table_name regclass, op "char", pk jsonb, old_row jsonb, new_row jsonb)
AS 'MODULE_PATHNAME', 'dataeng_cdc_poll_unordered'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._cdc_poll_unordered(text, int) IS
  'internal: the changes cdc_poll() would return, with their delivery position, unsorted (reader of dimensions)';

-- The reader of facts (cdc_read_changes() in src/cdc/images.c): every
-- change of source committed after the consumer's acknowledged position,
-- up to a tick cut now, acknowledged in the same transaction.  This body
-- checks the consumer (it must read exactly source), cuts the tick, moves
-- the acknowledged position to the end of that batch and returns the
-- transactions to read (their batch, place in it, xid, and the change_id
-- after which to start); the C code reads their changes as this body's
-- owner.
CREATE FUNCTION dataeng_internal._cdc_poll_txns(caller regrole, consumer text, source regclass)
RETURNS TABLE (tick_ids bigint[], ord_txns bigint[], xids xid8[], from_changes bigint[])
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r dataeng_internal.cdc_consumer_state;
  newest bigint;
  last_change bigint;     -- the last change of source delivered
  delivered boolean;      -- whether a transaction was
BEGIN
  r := dataeng_internal._cdc_consumer(consumer, caller, true);
  PERFORM dataeng_internal._cdc_require_snapshot_acked(consumer, caller);
  PERFORM dataeng_internal._cdc_warn_capture_stopped(r, caller);
  IF r.tables IS DISTINCT FROM ARRAY[source] THEN
    RAISE EXCEPTION 'consumer "%" does not read exactly table %', consumer, source
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Row images are read from a consumer of one table only.';
  END IF;
  PERFORM dataeng_internal._cdc_tick_for(r);
  SELECT max(k.tick_id) INTO newest FROM dataeng_internal.cdc_ticks k;
  IF newest = r.ack_tick AND r.ack_txn = @CDC_END_OF_BATCH@ THEN
    RETURN;                             -- nothing committed since
  END IF;
  -- Every transaction from the acknowledged position to the end of the
  -- newest batch (a position ending in @CDC_END_OF_BATCH@ is the end of
  -- its batch), and where in it to start (past the acknowledged change in
  -- a transaction acknowledged in part), delivered and acknowledged at
  -- once: the caller's transaction commits both with what it does with the
  -- changes, or neither.
  RETURN QUERY
    SELECT array_agg(bt.tick_id), array_agg(bt.ord_txn), array_agg(bt.xid),
           array_agg(CASE WHEN (bt.tick_id, bt.ord_txn) = (r.ack_tick, r.ack_txn) THEN r.ack_change ELSE 0 END)
      FROM dataeng_internal.cdc_batch_txns bt
     WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, r.ack_txn) AND bt.tick_id <= newest
       AND NOT ((bt.tick_id, bt.ord_txn) = (r.ack_tick, r.ack_txn) AND r.ack_change >= bt.ord_txn);
  -- (acked_at is now when a transaction is delivered, and acked_change_id
  -- the last change of source in the last transaction delivered that has
  -- one, in delivery order; both stayed NULL for the consumers of facts
  -- and dimensions, and pipeline_status showed no last_success for them.
  -- The transactions are tried from the last, by the change log's index
  -- on xid: most often the first tried has one.)
  SELECT x.m, true INTO last_change, delivered
    FROM (SELECT (SELECT max(l.change_id) FROM dataeng_internal.change_log l
                   WHERE l.xid = bt.xid AND l.table_oid = source::oid) AS m
            FROM dataeng_internal.cdc_batch_txns bt
           WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, r.ack_txn) AND bt.tick_id <= newest
             AND NOT ((bt.tick_id, bt.ord_txn) = (r.ack_tick, r.ack_txn) AND r.ack_change >= bt.ord_txn)
           ORDER BY bt.tick_id DESC, bt.ord_txn DESC) x
   WHERE x.m IS NOT NULL
   LIMIT 1;
  IF last_change IS NULL THEN
    delivered := EXISTS (SELECT 1 FROM dataeng_internal.cdc_batch_txns bt
                          WHERE (bt.tick_id, bt.ord_txn) >= (r.ack_tick, r.ack_txn) AND bt.tick_id <= newest
                            AND NOT ((bt.tick_id, bt.ord_txn) = (r.ack_tick, r.ack_txn) AND r.ack_change >= bt.ord_txn));
  END IF;
  UPDATE dataeng_internal.cdc_consumer_state c
     SET ack_tick = newest, ack_txn = @CDC_END_OF_BATCH@, ack_change = @CDC_END_OF_BATCH@,
         poll_tick = newest, poll_txn = @CDC_END_OF_BATCH@, poll_change = @CDC_END_OF_BATCH@,
         acked_change_id = coalesce(last_change, c.acked_change_id),
         acked_at = CASE WHEN delivered THEN now() ELSE c.acked_at END
   WHERE c.name = r.name;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._cdc_poll_txns(regrole, text, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._cdc_poll_txns(regrole, text, regclass) IS
  'internal: the transactions a fact refresh reads, acknowledged at once';

-- Poll consumer until a poll comes back empty or short (everything
-- committed up to the newest tick), appending to the temporary table
-- _dataeng_changes, and acknowledge each poll (the caller commits the
-- acknowledgements with what it does with the changes).  Returns start
-- plus the number of changes read.
CREATE FUNCTION dataeng_internal._agg_poll(consumer text, start bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  batch constant int := 1000000;
  got bigint;
  n bigint := start;
  last_id bigint;
BEGIN
  LOOP
    EXECUTE 'WITH ins AS (
               INSERT INTO pg_temp._dataeng_changes
               SELECT p.tick_id, p.ord_txn, p.change_id, p.op, p.old_row, p.new_row, p.captured_at, p.pk
                 FROM dataeng_internal._cdc_poll_unordered($1, $2) p
               RETURNING tick_id, ord_txn, change_id)
             SELECT count(*), (max(ARRAY[tick_id, ord_txn, change_id]))[3] FROM ins'
      INTO got, last_id USING consumer, batch;
    EXIT WHEN got = 0;
    n := n + got;
    PERFORM dataeng_internal._agg_ack(consumer, last_id);
    EXIT WHEN got < batch;
  END LOOP;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_poll(text, bigint) IS
  'internal: poll a fact or dimension consumer into the refresh''s changes table until caught up, acknowledging each poll';

-- The temporary table pg_temp.<name>, dropped at commit, with the columns
-- of query (src/aggregate/delta.c: created there outside the
-- security-restricted operation of a refresh run as the owner).
CREATE FUNCTION dataeng_internal._agg_temp_table(name text, query text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_agg_temp_table'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._agg_temp_table(text, text) IS
  'internal: create a temporary table of dataeng (_dataeng_...), dropped at commit, with the columns of a query';

-- The same, kept for the session: the next call with the same columns
-- empties it (TRUNCATE) instead of making it again, which costs several
-- times less for a table with a TOAST table (src/aggregate/delta.c).  Only
-- for the role the session logged in as (while session and current user)
-- and built-in types and collations; otherwise made
-- afresh and dropped at commit as above.  Either way a table of that name
-- from before is emptied or replaced: the caller need not drop it.
CREATE FUNCTION dataeng_internal._agg_temp_kept(name text, query text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_agg_temp_kept'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._agg_temp_kept(text, text) IS
  'internal: a temporary table of dataeng (_dataeng_...) with the columns of a query, kept for the session and emptied at the next call';

-- ... made afresh (one an earlier refresh of this transaction left is
-- dropped), filled with the rows of query and analysed when it has any;
-- returns its rows.
CREATE FUNCTION dataeng_internal._agg_temp_as(name text, query text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  -- (one left by an earlier refresh of this transaction is dropped there)
  PERFORM dataeng_internal._agg_temp_table(name, query);
  EXECUTE format('INSERT INTO pg_temp.%I ', name) || query;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    EXECUTE format('ANALYZE pg_temp.%I', name);
  END IF;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_temp_as(text, text) IS
  'internal: a fresh temporary table of a fact or dimension refresh, filled with the rows of a query and analysed; returns its rows';

-- A fresh temporary table for the changes of one refresh.
CREATE FUNCTION dataeng_internal._agg_changes_table()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF to_regclass('pg_temp._dataeng_changes') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_changes;
  END IF;
  PERFORM dataeng_internal._agg_temp_table('_dataeng_changes',
    'SELECT NULL::bigint AS tick_id, NULL::bigint AS ord_txn, NULL::bigint AS change_id, NULL::"char" AS op, '
    'NULL::jsonb AS old_row, NULL::jsonb AS new_row, NULL::timestamptz AS captured_at, NULL::jsonb AS pk');
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_changes_table() IS
  'internal: a fresh temporary table for the changes of one refresh';

-- Lock and return a fact definition of the caller, or raise (an entry
-- point, src/aggregate/delta.c: the caller cannot lock the row itself).
CREATE FUNCTION dataeng_internal._fact_def(caller regrole, fact_name text, lock boolean)
RETURNS dataeng_internal.fact_defs
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  d dataeng_internal.fact_defs;
  key text := dataeng_internal._agg_name(fact_name);
BEGIN
  IF lock THEN
    -- the source first, then the row: an ALTER TABLE renaming the source,
    -- which holds the table, updates the row (_agg_on_rename)
    PERFORM dataeng_internal._agg_wait_source(f.source::oid) FROM dataeng_internal.fact_defs f
     WHERE f.name = key AND pg_has_role(caller, f.owner, 'USAGE');
    SELECT * INTO d FROM dataeng_internal.fact_defs f
     WHERE f.name = key AND pg_has_role(caller, f.owner, 'USAGE') FOR UPDATE;
  ELSE
    SELECT * INTO d FROM dataeng_internal.fact_defs f WHERE f.name = key AND pg_has_role(caller, f.owner, 'USAGE');
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fact "%" does not exist', fact_name
      USING ERRCODE = 'undefined_object',
            HINT = 'dataeng.facts lists the facts you own.';
  END IF;
  RETURN d;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_def(regrole, text, boolean) IS
  'internal: look up (and lock) a fact definition of a role, or raise';
REVOKE ALL ON FUNCTION dataeng_internal._fact_def(regrole, text, boolean) FROM PUBLIC;
CREATE FUNCTION dataeng_internal._fact_def(fact_name text, lock boolean)
RETURNS dataeng_internal.fact_defs
AS 'MODULE_PATHNAME', 'dataeng_fact_def_get'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._fact_def(text, boolean) IS 'internal: look up (and lock) a fact definition of the caller';

-- The checks of a new fact or dimension definition (what='fact' or
-- 'dimension') of role caller, in the bodies of _fact_def_write and
-- _dim_def_write ('insert'), which see every role's definitions: its
-- table is the caller's and is the one its name says (fact_create and
-- dimension_create name a definition after the table they create: name
-- 'mart.sales_daily' is table mart.sales_daily; an unqualified name is
-- the table's own name), the caller may read its whole source (as
-- cdc_consumer_create), and the name is free.
CREATE FUNCTION dataeng_internal._agg_def_check(caller regrole, what text, def_name text, tbl regclass, src regclass)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  parts text[] := parse_ident(def_name);
  nsp text;
  rel text;
  towner oid;
BEGIN
  SELECT n.nspname, c.relname, c.relowner INTO nsp, rel, towner
    FROM pg_class c JOIN pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
   WHERE c.oid OPERATOR(pg_catalog.=) tbl;
  IF towner IS DISTINCT FROM caller::oid THEN
    RAISE EXCEPTION 'must be owner of table %', tbl USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF rel IS DISTINCT FROM parts[cardinality(parts)]
     OR (cardinality(parts) = 2 AND nsp IS DISTINCT FROM parts[1]) THEN
    RAISE EXCEPTION 'table % is not that of % "%"', tbl, what, def_name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('A %s is named after its table: a schema-qualified name is that of the table, an unqualified one the table''s name.', what);
  END IF;
  PERFORM dataeng_internal._cdc_require_read(caller, src, NULL);
  IF (what = 'fact' AND EXISTS (SELECT 1 FROM dataeng_internal.fact_defs f WHERE f.name OPERATOR(pg_catalog.=) def_name))
     OR (what = 'dimension' AND EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs x
                                         WHERE x.name OPERATOR(pg_catalog.=) def_name)) THEN
    RAISE EXCEPTION '% "%" already exists', what, def_name
      USING ERRCODE = 'duplicate_object',
            DETAIL = format('%s names are shared by all roles.', initcap(what)),
            HINT = 'Choose another name, e.g. a schema-qualified one.';
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._agg_def_check(regrole, text, text, regclass, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._agg_def_check(regrole, text, text, regclass, regclass) IS
  'internal: check a new fact or dimension definition: its table, name, source and a free name';

-- Raise unless the expression measure m of fact fact_name over src is
-- exactly what its text parses to: the expression and filter texts that
-- become SQL are the parser's (checked when a definition is written, and
-- again by every statement made of it, _fact_sql).
CREATE FUNCTION dataeng_internal._fact_measure_check(fact_name text, src regclass, m dataeng_internal.fact_measure,
                                                    owner regrole)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF (SELECT p.agg IS DISTINCT FROM m.agg OR p.name IS DISTINCT FROM m.name
             OR p.col IS DISTINCT FROM m.col OR p.expr IS DISTINCT FROM m.expr
             OR p.filter IS DISTINCT FROM m.filter OR p.cols IS DISTINCT FROM m.cols
             OR p.argtype IS DISTINCT FROM m.argtype
        FROM dataeng_internal._fact_parse_measure(src, m.measure, owner) p) IS NOT false THEN
    RAISE EXCEPTION 'invalid definition of fact "%"', fact_name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = format('Measure "%s" is not as dataeng.fact_create() parses it.', m.measure);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_check(text, regclass, dataeng_internal.fact_measure, regrole) IS
  'internal: check that an expression measure of a fact is what its text parses to';

-- The columns and settings of a new fact definition d are what
-- fact_create would have written: its time column, dimensions and measure
-- columns are columns of its source (of the types recorded), its grain a
-- date_trunc unit, its time zone one PostgreSQL knows.
CREATE FUNCTION dataeng_internal._fact_def_validate(d dataeng_internal.fact_defs)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  col record;
  x text;
  m dataeng_internal.fact_measure;
BEGIN
  IF d.dimensions IS NULL OR array_position(d.dimensions, NULL) IS NOT NULL OR d.measures IS NULL
     OR d.grain IS NULL OR d.grain IS DISTINCT FROM lower(d.grain) OR dataeng_internal._fact_grain(d.grain) IS NULL
     OR jsonb_typeof(d.spec) IS DISTINCT FROM 'array' OR jsonb_array_length(d.spec) = 0
     OR d.time_zone IS NULL
     OR (SELECT count(DISTINCT u) FROM unnest(d.dimensions) u) <> cardinality(d.dimensions) THEN
    RAISE EXCEPTION 'invalid definition of fact "%"', d.name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Its grain, time zone, dimensions or measures are not as dataeng.fact_create() writes them.';
  END IF;
  BEGIN
    PERFORM now() AT TIME ZONE d.time_zone;
  EXCEPTION WHEN invalid_parameter_value THEN
    RAISE EXCEPTION 'invalid definition of fact "%"', d.name
      USING ERRCODE = 'invalid_parameter_value', DETAIL = format('Time zone "%s" is not recognized.', d.time_zone);
  END;
  SELECT * INTO col FROM dataeng_internal._agg_column(d.source, d.time_column, 'time column');
  IF col.typ NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'time column "%" has type %', d.time_column, col.typ USING ERRCODE = 'datatype_mismatch';
  END IF;
  -- the bucket: of the time column's type (a date or timestamp one computed
  -- in UTC), or timestamptz
  IF d.storage_table IS NOT NULL AND dataeng_internal._fact_bucket_type(d.storage_table) IS DISTINCT FROM col.typ
       AND dataeng_internal._fact_bucket_type(d.storage_table) IS DISTINCT FROM 'timestamptz'::regtype
     OR (dataeng_internal._fact_bucket_type(d.storage_table) <> 'timestamptz'::regtype AND d.time_zone <> 'UTC') THEN
    RAISE EXCEPTION 'invalid definition of fact "%"', d.name
      USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Its bucket column is not of the type of its time column (computed in UTC) nor timestamptz.';
  END IF;
  FOREACH x IN ARRAY d.dimensions LOOP
    PERFORM dataeng_internal._agg_column(d.source, x, 'dimension');
  END LOOP;
  FOREACH m IN ARRAY dataeng_internal._fact_measures(d.spec) LOOP
    IF m.expr IS NOT NULL OR m.filter IS NOT NULL OR m.cols IS NOT NULL THEN
      PERFORM dataeng_internal._fact_measure_check(d.name, d.source, m, d.owner);
    ELSIF m.col IS NOT NULL THEN
      SELECT * INTO col FROM dataeng_internal._agg_column(d.source, m.col, 'measure column');
      IF m.argtype IS DISTINCT FROM col.typ THEN
        RAISE EXCEPTION 'invalid definition of fact "%"', d.name USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END IF;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._fact_def_validate(dataeng_internal.fact_defs) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._fact_def_validate(dataeng_internal.fact_defs) IS
  'internal: check the columns and settings of a new fact definition';

-- A min or max measure of a column keeps the column's values (reserves,
-- the measure itself) in columns of the type it had when the fact was
-- made: a source column of min/max that changed type since (ALTER TABLE
-- ... TYPE) cannot be refreshed into them.  So for count(DISTINCT) (its
-- side table), a dimension (the fact's column), and the other measures
-- of a column whose new type does not read the changes captured before
-- as they were.  A clear error, naming the way back, instead of a failure
-- deep in every refresh.
CREATE FUNCTION dataeng_internal._fact_source_check(d dataeng_internal.fact_defs)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
  m dataeng_internal.fact_measure;
  ms dataeng_internal.fact_measure[] := dataeng_internal._fact_measures(d.spec);
  typ regtype;
  missing text;
  changed record;
BEGIN
  -- the source table itself is still there (a fact follows its table, not a name)
  PERFORM dataeng_internal._agg_source_exists('fact', d.name, d.source);
  -- the time column, the dimensions and the measures' columns are still
  -- columns of the source (else the refresh's statements would not even
  -- parse)
  missing := dataeng_internal._agg_missing_column(d.source,
                 d.time_column || d.dimensions
                 || ARRAY(SELECT e.col FROM unnest(ms) e WHERE e.col IS NOT NULL)
                 || ARRAY(SELECT x FROM unnest(ms) e, unnest(e.cols) x));
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of the source of fact "%" does not exist', missing, d.name
      USING ERRCODE = 'undefined_column',
            DETAIL = format('%s has no column "%s" any more: it was renamed or dropped after the fact was created.', d.source, missing),
            HINT = format('If it was renamed, rename it back to "%s"; else drop the fact with dataeng.fact_drop(%L) and create it again.',
                          missing, d.name);
  END IF;
  -- each column the fact reads is the column of that name when the fact
  -- was made: two columns' names swapped, or a column renamed or dropped
  -- and another added under its name, would have the fact read the other
  -- column's values as its own (sum(a) -97 where the GROUP BY said 200)
  SELECT e.k INTO missing
    FROM jsonb_each_text(d.source_columns) e(k, v)
   WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                      WHERE a.attrelid = d.source AND a.attname = e.k AND a.attnum = e.v::int2
                        AND NOT a.attisdropped)
   ORDER BY e.k LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of the source of fact "%" is not the column the fact was made of', missing, d.name
      USING ERRCODE = 'undefined_column',
            DETAIL = format('The column of %s that the fact read as "%s" was renamed or dropped after the fact was created, '
                            'and another column now has its name.', d.source, missing),
            HINT = format('If it was renamed, give both columns their names back; else drop the fact with dataeng.fact_drop(%L) '
                          'and create it again.', d.name);
  END IF;
  -- a dimension's column in the fact keeps the source column's type when
  -- the fact was made: one the source's does not go into as it is (another
  -- type, unless a cast without a function, as varchar to text; another
  -- length or precision; another collation) would fail in every refresh
  -- (text = integer: no operator) or group otherwise than the source
  SELECT * INTO changed FROM dataeng_internal._agg_changed_column(d.source, d.storage_table, d.dimensions);
  IF changed.col IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of % is of type % now; fact "%" keeps its dimension "%" as type %',
                    changed.col, d.source, changed.src_type, d.name, changed.col, changed.target_type
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = 'A dimension keeps values of the column''s type (length, precision and collation) when the fact was made; '
                     'changes captured before the change of type hold values of the old type.',
            HINT = format('Drop the fact and create it again: SELECT dataeng.fact_drop(%L), then dataeng.fact_create() '
                          'with the arguments dataeng.facts shows.', d.name);
  END IF;
  FOREACH m IN ARRAY ms LOOP
    CONTINUE WHEN m.col IS NULL OR m.expr IS NOT NULL;
    typ := (dataeng_internal._agg_column(d.source, m.col, 'measure column')).typ;
    -- other measures of a column: a wider integer, or a type the old one
    -- casts to without a function, reads the changes captured before as
    -- they were and aggregates into the fact's columns as it is (sum of
    -- int then bigint goes on); any other (text to int USING ..., int to
    -- numeric, whose sums the fact keeps as bigint) cannot; min, max and
    -- count(DISTINCT) keep values of the type itself
    IF m.agg IN ('count', 'sum', 'avg')
       AND (typ = m.argtype
            OR (m.argtype, typ) IN (('int2'::regtype, 'int4'::regtype), ('int2'::regtype, 'int8'::regtype),
                                    ('int4'::regtype, 'int8'::regtype))
            OR EXISTS (SELECT 1 FROM pg_cast k WHERE k.castsource = m.argtype AND k.casttarget = typ AND k.castmethod = 'b')) THEN
      CONTINUE;
    END IF;
    IF typ IS DISTINCT FROM m.argtype THEN
      RAISE EXCEPTION 'column "%" of % is of type % now; fact "%" keeps its % for type %',
                      m.col, d.source, typ, d.name, m.measure, m.argtype
        USING ERRCODE = 'datatype_mismatch',
              DETAIL = CASE WHEN m.agg IN ('min', 'max')
                            THEN 'A min or max measure keeps values of the column''s type when the fact was made.'
                            WHEN m.agg = 'count_distinct'
                            THEN 'A count(DISTINCT) measure keeps values of the column''s type when the fact was made.'
                            ELSE 'The changes captured before the change of type hold values of the old type, which the '
                                 'new one does not read as they were, or the fact''s column does not hold the new aggregates as they are.' END,
              HINT = format('Drop the fact and create it again: SELECT dataeng.fact_drop(%L), then dataeng.fact_create() '
                            'with the arguments dataeng.facts shows.', d.name);
    END IF;
  END LOOP;
  -- the time column made another type than a time (ALTER TABLE ... TYPE
  -- text): no bucket can be computed of its values (before, the refresh
  -- failed inside the fold of changes and the rebuild inside its GROUP BY,
  -- without detail or hint)
  typ := (dataeng_internal._agg_column(d.source, d.time_column, 'time column')).typ;
  IF typ NOT IN ('timestamptz'::regtype, 'timestamp'::regtype, 'date'::regtype) THEN
    RAISE EXCEPTION 'time column "%" of % is of type % now; fact "%" needs timestamp with time zone, timestamp or date',
                    d.time_column, d.source, typ, d.name
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = 'A fact puts each row in the bucket of its time column, which only these types have.',
            HINT = format('Change the column back to one of them (ALTER TABLE %s ALTER COLUMN %I TYPE timestamptz USING ...), '
                          'then SELECT dataeng.fact_rebuild(%L); or drop the fact with dataeng.fact_drop(%L) and create it again.',
                          d.source, d.time_column, d.name, d.name);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_source_check(dataeng_internal.fact_defs) IS
  'internal: the source columns of a fact''s min/max measures still have the types the fact was made for';

-- The changes to fact definitions (an entry point, src/aggregate/delta.c;
-- PUBLIC does not write dataeng_internal.fact_defs): op 'insert' the new
-- definition d of the caller (its table the caller's, its consumer
-- fact:<name>, created then as the caller's), 'refreshed' n changes
-- applied now, 'backfilled' the watermark d.backfilled_upto, 'delete'.
CREATE FUNCTION dataeng_internal._fact_def_write(caller regrole, op text, d dataeng_internal.fact_defs, n bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e jsonb;
  m dataeng_internal.fact_measure;
  cols jsonb;
BEGIN
  -- the source columns the fact reads, with their attnums
  -- (fact_defs.source_columns), for a new fact and one that has none yet
  IF op = 'insert' OR (op = 'refreshed' AND d.source_columns IS NULL) THEN
    SELECT jsonb_object_agg(a.attname, a.attnum) INTO cols
      FROM pg_attribute a
     WHERE a.attrelid = d.source AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname = ANY (d.time_column || d.dimensions
                            || ARRAY(SELECT x.col FROM unnest(dataeng_internal._fact_measures(d.spec)) x WHERE x.col IS NOT NULL)
                            || ARRAY(SELECT c FROM unnest(dataeng_internal._fact_measures(d.spec)) x, unnest(x.cols) c));
  END IF;
  IF op = 'insert' THEN
    IF d.owner IS DISTINCT FROM caller THEN
      RAISE EXCEPTION 'a fact of role % cannot be created by role %', d.owner, caller
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF d.name IS DISTINCT FROM dataeng_internal._agg_name(d.name) OR d.consumer IS DISTINCT FROM 'fact:' || d.name THEN
      RAISE EXCEPTION 'invalid definition of fact "%"', d.name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM dataeng_internal._agg_def_check(caller, 'fact', d.name, d.fact_table, d.source);
    -- each measure: as spec keeps it (e: the types of its fields), then
    -- typed (m: what the builders of its SQL take)
    FOR e IN SELECT * FROM jsonb_array_elements(d.spec) LOOP
      IF jsonb_typeof(e->'float') <> 'boolean'
         OR (e ? 'reserve' AND (jsonb_typeof(e->'reserve') <> 'number' OR (e->>'reserve')::numeric NOT IN (@FACT_RESERVE@))) THEN
        RAISE EXCEPTION 'invalid definition of fact "%"', d.name USING ERRCODE = 'invalid_parameter_value';
      END IF;
      m := dataeng_internal._fact_measure_read(e);
      PERFORM dataeng_internal._fact_measure_cols(m, coalesce(m.is_float, false));
      IF m.mode IS NULL OR m.mode NOT IN ('delta', 'recompute', 'distinct')
         OR (m.mode = 'distinct' AND NOT dataeng_internal._fact_measure_distinct_ok(d.source, m))
         OR (m.reserve IS NOT NULL AND (m.agg NOT IN ('min', 'max')
                                        OR NOT dataeng_internal._fact_measure_extreme_ok(d.source, m))) THEN
        RAISE EXCEPTION 'invalid definition of fact "%"', d.name USING ERRCODE = 'invalid_parameter_value';
      END IF;
    END LOOP;
    PERFORM dataeng_internal._fact_def_validate(d);
    -- the fact is a view; its rows are in the caller's table named after
    -- it, beside it (_fact_storage_name)
    IF NOT EXISTS (SELECT 1 FROM pg_class s JOIN pg_class v ON v.oid = d.fact_table
                    WHERE s.oid = d.storage_table AND s.relkind = 'r' AND s.relowner = caller::oid
                      AND v.relkind = 'v' AND s.relnamespace = v.relnamespace
                      AND s.relname = dataeng_internal._fact_storage_name(v.relname)) THEN
      RAISE EXCEPTION 'invalid definition of fact "%"', d.name
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = 'A fact is a view of its owner; its rows are in a table of its owner named after it, in its schema.';
    END IF;
    -- (the trigger restore_consumer creates its consumer, as d.owner, and
    -- marks the definition for a resync, meant for a restored one: a new
    -- fact has nothing to make up); its source's name as it is now
    SELECT i.schema_name, i.table_name INTO d.source_schema, d.source_table
      FROM dataeng_internal._agg_rel_ident(d.source) i;
    d.source_dropped := false;
    BEGIN
      INSERT INTO dataeng_internal.fact_defs SELECT d.*;
    EXCEPTION WHEN unique_violation THEN
      RAISE EXCEPTION 'fact "%" already exists', d.name USING ERRCODE = 'duplicate_object';
    END;
    UPDATE dataeng_internal.fact_defs f SET resync_pending = false, source_columns = cols WHERE f.name = d.name;
    RETURN;
  END IF;
  PERFORM 1 FROM dataeng_internal.fact_defs f WHERE f.name = d.name AND pg_has_role(caller, f.owner, 'USAGE') FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'fact "%" does not exist', d.name
      USING ERRCODE = 'undefined_object', HINT = 'dataeng.facts lists the facts you own.';
  END IF;
  CASE op
    WHEN 'refreshed' THEN
      UPDATE dataeng_internal.fact_defs f
         SET last_refresh = clock_timestamp(), last_changes = n, total_changes = f.total_changes + n,
             last_refresh_path = d.last_refresh_path, resync_pending = false,
             source_columns = coalesce(f.source_columns, cols)
       WHERE f.name = d.name;
    WHEN 'backfilled' THEN
      UPDATE dataeng_internal.fact_defs f SET backfilled_upto = d.backfilled_upto WHERE f.name = d.name;
    WHEN 'delete' THEN
      -- its consumer and refresh job go with it: left behind, they would
      -- be found by the next fact of that name
      DELETE FROM dataeng_internal.fact_defs f WHERE f.name = d.name;
      IF EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c WHERE c.name = 'fact:' || d.name) THEN
        PERFORM dataeng_internal._cdc_consumer_drop(caller, 'fact:' || d.name);
      END IF;
      PERFORM dataeng_internal._job_unschedule(caller, 'fact_refresh:' || d.name);
    ELSE
      RAISE EXCEPTION 'unknown operation "%"', op USING ERRCODE = 'invalid_parameter_value';
  END CASE;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_def_write(regrole, text, dataeng_internal.fact_defs, bigint) IS
  'internal: insert, mark refreshed or backfilled, or delete a fact definition of a role';
REVOKE ALL ON FUNCTION dataeng_internal._fact_def_write(regrole, text, dataeng_internal.fact_defs, bigint) FROM PUBLIC;
CREATE FUNCTION dataeng_internal._fact_def_write(op text, d dataeng_internal.fact_defs, n bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_fact_def_write'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._fact_def_write(text, dataeng_internal.fact_defs, bigint) IS
  'internal: insert, update or delete a fact definition of the caller';

-- Recompute a whole fact from its source (after a TRUNCATE of the source).
-- Writers are held off (SHARE lock) and the consumer drained first, so the
-- rebuilt table and the acknowledged position match.  While the fact is
-- being backfilled, only the buckets below the watermark are recomputed
-- (fact_backfill reads the others later).
CREATE FUNCTION dataeng_internal._fact_rebuild(d dataeng_internal.fact_defs, polled bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q record;
  n bigint;
  side regclass;
  est bigint;
  ttype regtype;
  pred text;
BEGIN
  PERFORM dataeng_internal._fact_source_check(d);
  PERFORM dataeng_internal._agg_lock_source(d.source, format('Fact "%s" is aggregated again from its whole source (after a TRUNCATE of it, or by fact_rebuild)', d.name), false);
  PERFORM dataeng_internal._agg_changes_table();
  n := dataeng_internal._agg_poll(d.consumer, polled);
  -- a load of seconds or minutes says so as it begins
  est := dataeng_internal._rows_estimate(d.source);
  IF est >= @LARGE_LOAD_ROWS@ THEN
    RAISE NOTICE 'fact "%": aggregating again about % rows of table %', d.name, est, d.source
      USING DETAIL = 'Writers of the table wait until the fact is rebuilt.';
  END IF;
  SELECT * INTO q FROM dataeng_internal._fact_sql(d);
  -- (while backfilled: the rows of the buckets below the watermark, by
  -- their time for an index, then by their bucket)
  IF d.backfilled_upto IS NOT NULL THEN
    ttype := (dataeng_internal._agg_column(d.source, d.time_column, 'time column')).typ;
    pred := format('(%s AND %s < $2)', dataeng_internal._fact_rows_pred(d, ttype, true),
                   dataeng_internal._fact_bucket_expr(format('s.%I', d.time_column), ttype, d.grain, d.time_zone));
  END IF;
  EXECUTE format('DELETE FROM %s', d.storage_table);
  EXECUTE dataeng_internal._fact_groups_insert_sql(d, q.ins_cols, q.ins_sel, format('%s s', d.source), pred)
    USING '-infinity'::timestamptz, d.backfilled_upto, false;
  -- the per-value counts of count(DISTINCT) measures (the side table made
  -- when it is not there: a fact of 0.1.0, or the table dropped by hand)
  IF dataeng_internal._fact_has_side(d) THEN
    side := dataeng_internal._fact_side_table(d);
    IF side IS NULL THEN
      side := dataeng_internal._fact_side_create(d);
    ELSE
      EXECUTE format('TRUNCATE %s', side);
    END IF;
    PERFORM dataeng_internal._fact_side_fill(d, side, format('%s s', d.source), q.bucket_s, pred,
              '-infinity'::timestamptz, d.backfilled_upto, false);
  END IF;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_rebuild(dataeng_internal.fact_defs, bigint) IS
  'internal: recompute a whole fact from its source (after a TRUNCATE of the source)';

-- The group deltas of a fact refresh, folded in C while the change log is
-- read (src/aggregate/delta.c): every change of source pending for the
-- consumer, acknowledged in the caller's transaction.  Its checks are
-- cdc_poll's, for the current user.  extreme marks the value columns of
-- min/max measures, whose least and greatest values in and out come too
-- (empty: none); distinct_vals those of count(DISTINCT) measures kept with
-- per-value counts, whose values in and out come too (empty: none).
CREATE FUNCTION dataeng_internal._fact_deltas(consumer text, source regclass, time_column text, grain text,
                                     time_zone text, dims text[], vals text[], summed boolean[],
                                     extreme boolean[] DEFAULT '{}', distinct_vals boolean[] DEFAULT '{}')
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataeng_fact_deltas'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._fact_deltas(text, regclass, text, text, text, text[], text[], boolean[], boolean[], boolean[]) IS
  'internal: per group of a fact, the net rows, non-NULL values and sums of the pending changes, the extremes and distinct values that came and went, acknowledged (reader of fact_refresh)';

-- Whether min(col) and max(col) of src are folded from the extremes
-- _fact_deltas() keeps (the column's values are read typed from the row
-- images and ordered by the type's default btree class); other columns'
-- min/max are recomputed for every group a refresh touches.
CREATE FUNCTION dataeng_internal._fact_extreme_ok(src regclass, col text)
RETURNS boolean
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT coalesce((
      SELECT t.typcategory <> 'A' AND t.typtype IN ('b', 'e', 'r')
             AND bt.oid NOT IN ('json'::regtype, 'jsonb'::regtype, 'xml'::regtype)
             AND EXISTS (SELECT 1 FROM pg_opclass o JOIN pg_am am ON am.oid = o.opcmethod
                          WHERE am.amname = 'btree' AND o.opcdefault AND o.opcintype = bt.oid)
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
       WHERE a.attrelid = src AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped
         AND t.typtype <> 'd'), false));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_extreme_ok(regclass, text) IS
  'internal: whether a fact refresh folds min/max of a source column from the extremes of the changes';

-- The same for a measure m: of its column, or of its expression by the
-- expression's type, when that type has no collation (the extremes of an
-- expression come in the type's default collation; a collatable one is
-- recomputed instead).
CREATE FUNCTION dataeng_internal._fact_measure_extreme_ok(src regclass, m dataeng_internal.fact_measure)
RETURNS boolean
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT CASE WHEN m.expr IS NULL THEN dataeng_internal._fact_extreme_ok(src, m.col)
                ELSE coalesce((
                  SELECT t.typcategory <> 'A' AND t.typtype IN ('b', 'e', 'r') AND t.typcollation = 0
                         AND t.oid NOT IN ('json'::regtype, 'jsonb'::regtype, 'xml'::regtype)
                         AND EXISTS (SELECT 1 FROM pg_opclass o JOIN pg_am am ON am.oid = o.opcmethod
                                      WHERE am.amname = 'btree' AND o.opcdefault AND o.opcintype = t.oid)
                    FROM pg_type t WHERE t.oid = m.argtype), false) END);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_extreme_ok(regclass, dataeng_internal.fact_measure) IS
  'internal: whether a fact refresh folds a min/max measure from the extremes of the changes';

-- Whether a count(DISTINCT) measure m of src is kept with per-value counts
-- in the fact's side table (mode 'distinct'): its values are read typed
-- from the row images (a column or expression of a base, enum or range
-- type, not a domain, array, composite or json) and the type has a default
-- btree class, whose equality the side table's unique index, the GROUP BY
-- of a refresh and count(DISTINCT) itself all use.
-- Other count(DISTINCT) measures recompute the groups a refresh touches.
CREATE FUNCTION dataeng_internal._fact_measure_distinct_ok(src regclass, m dataeng_internal.fact_measure)
RETURNS boolean
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT m.agg = 'count_distinct' AND coalesce((
      SELECT t.typcategory <> 'A' AND t.typtype IN ('b', 'e', 'r')
             AND t.oid NOT IN ('json'::regtype, 'jsonb'::regtype, 'xml'::regtype)
             -- (enums and ranges by their polymorphic class, varchar by text's)
             AND EXISTS (SELECT 1 FROM pg_opclass o JOIN pg_am am ON am.oid = o.opcmethod
                          WHERE am.amname = 'btree' AND o.opcdefault
                            AND (o.opcintype = t.oid
                                 OR (t.typtype = 'e' AND o.opcintype = 'anyenum'::regtype)
                                 OR (t.typtype = 'r' AND o.opcintype = 'anyrange'::regtype)
                                 OR (t.oid = 'varchar'::regtype AND o.opcintype = 'text'::regtype)))
        FROM pg_type t
       WHERE t.oid = coalesce(m.argtype,
                              (SELECT a.atttypid FROM pg_attribute a
                                WHERE a.attrelid = src AND a.attname = m.col AND a.attnum > 0 AND NOT a.attisdropped))),
      false));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_measure_distinct_ok(regclass, dataeng_internal.fact_measure) IS
  'internal: whether a fact keeps a count(DISTINCT) measure with per-value counts in its side table';

-- A fact's side table: the per-value counts of its count(DISTINCT)
-- measures kept so (mode 'distinct'), the values a group holds cut by
-- value range into chunks, one row per group, measure and chunk:
-- (bucket, dimensions..., __m the measure's position in spec, __v<m> the
-- chunk's first value, __a<m> its values sorted, of the type and collation
-- of the measure's argument, __n their counts, the numbers of the group's
-- rows with each value (always > 0), packed in a bytea, about a byte each
-- (dataeng_internal._fact_side_counts() unpacks them); the other measures' __v and __a
-- columns NULL).  A unique index per measure on the group and the chunk's
-- first value, NULLS NOT DISTINCT (NULL is a group, as in GROUP BY),
-- partial on __m, finds the chunk holding a value (the last whose first
-- value is not above it).  Named after the
-- fact (_fact_side_name: <name>_distinct, cut as the storage table's name),
-- in its schema, owned by its owner, private like the storage table.
CREATE FUNCTION dataeng_internal._fact_side_name(rel text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  suffix constant text := '_distinct';
  base text := rel;
BEGIN
  WHILE octet_length(base) + octet_length(suffix) > 63 LOOP
    base := left(base, -1);
  END LOOP;
  RETURN base || suffix;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_name(text) IS
  'internal: the name of the table keeping the per-value counts of a fact''s count(DISTINCT) measures (<fact>_distinct)';

-- Whether fact d keeps count(DISTINCT) measures in a side table.
CREATE FUNCTION dataeng_internal._fact_has_side(d dataeng_internal.fact_defs)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT EXISTS (SELECT 1 FROM unnest(dataeng_internal._fact_measures(d.spec)) e WHERE e.mode = 'distinct'));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_has_side(dataeng_internal.fact_defs) IS
  'internal: whether a fact keeps count(DISTINCT) measures with per-value counts in a side table';

-- The side table of fact d, qualified and quoted (whether it exists or
-- not), in the schema of its storage table (or its view); NULL when both
-- are gone.
CREATE FUNCTION dataeng_internal._fact_side_qname(d dataeng_internal.fact_defs)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('%I.%I', n.nspname,
                  dataeng_internal._fact_side_name((parse_ident(d.name))[cardinality(parse_ident(d.name))]))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.oid IN (d.storage_table, d.fact_table)
     ORDER BY c.oid = d.storage_table DESC LIMIT 1);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_qname(dataeng_internal.fact_defs) IS
  'internal: the qualified name of a fact''s side table (<fact>_distinct, beside its storage table)';

-- The side table of fact d, or NULL when it has none (yet: a fact of
-- 0.1.0 gets it at its first refresh, which rebuilds the fact; one dropped
-- by hand is made again the same way).  A relation of that name that is
-- not the owner's table is refused.
CREATE FUNCTION dataeng_internal._fact_side_table(d dataeng_internal.fact_defs)
RETURNS regclass
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  side regclass := to_regclass(dataeng_internal._fact_side_qname(d));
BEGIN
  IF side IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = side AND c.relkind = 'r'
                                                                 AND c.relowner = d.owner::oid) THEN
    RAISE EXCEPTION 'relation % is not the side table of fact "%"', side, d.name
      USING ERRCODE = 'wrong_object_type',
            DETAIL = format('Fact %s keeps the per-value counts of its count(DISTINCT) measures in a table of its owner %s named %s.',
                            d.name, d.owner, side),
            HINT = 'Rename or drop that relation; the next refresh rebuilds the fact and its side table.';
  END IF;
  RETURN side;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_table(dataeng_internal.fact_defs) IS
  'internal: a fact''s side table of per-value counts, or NULL when it is not there';

-- Create the side table of fact d (as its owner: the caller), empty.
-- The types and collations of the values are those of the measures'
-- arguments (the value expressions analysed over the source).
CREATE FUNCTION dataeng_internal._fact_side_create(d dataeng_internal.fact_defs)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  qname text := dataeng_internal._fact_side_qname(d);
  keys text[] := ARRAY['bucket'] || d.dimensions;
  cols text;
  vals text := '';
  idx int[] := '{}';
  ms dataeng_internal.fact_measure[] := dataeng_internal._fact_measures(d.spec);
  o int;
  side regclass;
BEGIN
  IF to_regclass(qname) IS NOT NULL THEN
    RAISE EXCEPTION 'relation "%" already exists', qname
      USING ERRCODE = 'duplicate_table',
            DETAIL = format('Fact %s would keep the per-value counts of its count(DISTINCT) measures in table %s, named after it.',
                            d.name, qname),
            HINT = 'Choose another fact_name, or rename or drop the existing relation first.';
  END IF;
  -- the keys as the storage table has them (types, collations, NOT NULL)
  SELECT string_agg(format('%I %s%s%s', a.attname, format_type(a.atttypid, a.atttypmod),
                           (SELECT format(' COLLATE %I.%I', cn.nspname, l.collname)
                              FROM pg_collation l JOIN pg_namespace cn ON cn.oid = l.collnamespace
                              JOIN pg_type ty ON ty.oid = a.atttypid
                             WHERE l.oid = a.attcollation AND a.attcollation <> ty.typcollation),
                           CASE WHEN a.attnotnull THEN ' NOT NULL' ELSE '' END), ', ' ORDER BY u.o)
    INTO cols
    FROM unnest(keys) WITH ORDINALITY u(k, o)
    JOIN pg_attribute a ON a.attrelid = d.storage_table AND a.attname = u.k AND NOT a.attisdropped;
  -- the values: their types as the measures' value expressions give them
  FOR o IN 1 .. cardinality(ms) LOOP
    IF ms[o].mode = 'distinct' THEN
      vals := vals || format(', %s AS %I', dataeng_internal._fact_measure_value(ms[o]), '__v' || o);
      idx := idx || o;
    END IF;
  END LOOP;
  IF to_regclass('pg_temp._dataeng_side_types') IS NOT NULL THEN
    DROP TABLE pg_temp._dataeng_side_types;
  END IF;
  PERFORM dataeng_internal._agg_temp_table('_dataeng_side_types',
                                           format('SELECT %s FROM %s s', substr(vals, 3), d.source));
  -- (each measure's chunk: its first value __v<m> and its values __a<m>,
  -- an array of the value's type under its collation)
  SELECT cols || ', __m int NOT NULL, __n bytea NOT NULL'
         || string_agg(format(', %1$I %2$s%4$s, %3$I %2$s[]%4$s', a.attname, format_type(a.atttypid, a.atttypmod),
                              '__a' || substr(a.attname, 4),
                              coalesce((SELECT format(' COLLATE %I.%I', cn.nspname, l.collname)
                                          FROM pg_collation l JOIN pg_namespace cn ON cn.oid = l.collnamespace
                                          JOIN pg_type ty ON ty.oid = a.atttypid
                                         WHERE l.oid = a.attcollation AND a.attcollation <> ty.typcollation), '')),
                       '' ORDER BY a.attnum)
    INTO cols
    FROM pg_attribute a WHERE a.attrelid = 'pg_temp._dataeng_side_types'::regclass AND a.attnum > 0;
  DROP TABLE pg_temp._dataeng_side_types;
  -- (room on each page for the new version of its chunks: HOT updates;
  -- a chunk of up to 3,800 bytes kept in line, uncompressed)
  EXECUTE format('CREATE TABLE %s (%s) WITH (fillfactor = 50, toast_tuple_target = 8160)', qname, cols);
  side := qname::regclass;
  FOREACH o IN ARRAY idx LOOP
    EXECUTE format('CREATE UNIQUE INDEX ON %s (%s, %I) NULLS NOT DISTINCT WHERE __m = %s', side,
                   array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(keys) k), ', '), '__v' || o, o);
  END LOOP;
  EXECUTE format('COMMENT ON TABLE %s IS %L', side,
                 format('Per-value counts of the count(DISTINCT) measures of fact %s: query the fact, not this table',
                        d.fact_table));
  RETURN side;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_create(dataeng_internal.fact_defs) IS
  'internal: create the side table of a fact''s per-value counts, empty (as its owner)';

-- The chunks of a count(DISTINCT) measure mo's values (see "The chunks
-- of a group" in src/aggregate/side_apply.c) made from the rows of query
-- src: the keys (columns named as in keys, the side table's key columns
-- quoted and comma separated), __dataeng_v a value (none NULL, each once
-- per group) and __dataeng_n its count (> 0).  A group's values sorted
-- (their column's btree order under its collation, as the measure's
-- unique index sorts them) are cut into chunks of 2,900 bytes (a value's
-- size in an array, uncompressed, and its count's, a byte under 128 as
-- _fact_side_counts_pack() packs it; a chunk ends with the value that
-- passes it),
-- as _fact_side_apply() cuts a chunk it splits.  A row per chunk: the
-- keys, mo, the first value, the values and their counts, in the order of
-- the unique index.
CREATE FUNCTION dataeng_internal._fact_side_chunks_sql(keys text, mo int, src text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('SELECT %1$s, %2$s, (c.__dataeng_a)[1], c.__dataeng_a, c.__dataeng_c FROM ('
                'SELECT %1$s, array_agg(__dataeng_v ORDER BY __dataeng_r) AS __dataeng_a, '
                '       dataeng_internal._fact_side_counts_pack(array_agg(__dataeng_n ORDER BY __dataeng_r)) AS __dataeng_c '
                '  FROM (SELECT %1$s, __dataeng_v, __dataeng_n, sum(__dataeng_s) OVER __dataeng_w AS __dataeng_r, '
                '               (sum(__dataeng_s) OVER __dataeng_w - __dataeng_s) / 2900 AS __dataeng_k '
                '          FROM (SELECT x.*, pg_catalog.pg_column_size(ARRAY[x.__dataeng_v]) - 24 '
                '                            + CASE WHEN x.__dataeng_n < 128 THEN 1 '
                '                                   ELSE (SELECT pg_catalog.count(*) FILTER (WHERE x.__dataeng_n >= b)::int '
                '                                           FROM pg_catalog.unnest(ARRAY[1, 128, 16384, 2097152, 268435456, 34359738368, '
                '                                                  4398046511104, 562949953421312, 72057594037927936]) b) END '
                '                            AS __dataeng_s '
                '                  FROM (%3$s) x) y '
                '        WINDOW __dataeng_w AS (PARTITION BY %1$s ORDER BY __dataeng_v ROWS UNBOUNDED PRECEDING)) z '
                ' GROUP BY %1$s, __dataeng_k) c '
                'ORDER BY %1$s, (c.__dataeng_a)[1]', keys, mo, src)
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_chunks_sql(text, int, text) IS
  'internal: the chunks of a count(DISTINCT) measure''s values and counts, made from a query of them';

-- Fill the side table of fact d with the per-value counts of the source
-- rows of from_item (aliased s) that pred selects (it may use $1, $2 and
-- $3: lo, hi and flag), bucket being the bucket of a row s: one statement
-- per measure, each group's values in chunks (_fact_side_chunks_sql).
-- The rows go in in the order of the measure's unique index: each index
-- entry lands beside the previous one instead of on a random leaf page,
-- and a group's chunks lie together in the heap.
CREATE FUNCTION dataeng_internal._fact_side_fill(d dataeng_internal.fact_defs, side regclass, from_item text,
                                                 bucket text, pred text, lo timestamptz, hi timestamptz,
                                                 flag boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  ms dataeng_internal.fact_measure[] := dataeng_internal._fact_measures(d.spec);
  o int;
  v text;
  keys text := array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(ARRAY['bucket'] || d.dimensions) k), ', ');
  sel text := bucket || ' AS bucket' || coalesce(', ' || NULLIF(array_to_string(ARRAY(
                SELECT format('s.%1$I AS %1$I', x) FROM unnest(d.dimensions) x), ', '), ''), '');
  grp text;
BEGIN
  FOR o IN 1 .. cardinality(ms) LOOP
    CONTINUE WHEN ms[o].mode IS DISTINCT FROM 'distinct';
    v := dataeng_internal._fact_measure_value(ms[o]);
    grp := (SELECT string_agg(g::text, ', ') FROM generate_series(1, 2 + cardinality(d.dimensions)) g);
    EXECUTE format('INSERT INTO %s (%s, __m, %I, %I, __n) %s',
                   side, keys, '__v' || o, '__a' || o,
                   dataeng_internal._fact_side_chunks_sql(keys, o,
                     format('SELECT %s, %s AS __dataeng_v, count(*) AS __dataeng_n FROM %s WHERE (%s) IS NOT NULL AND %s '
                            'GROUP BY %s', sel, v, from_item, v, coalesce(pred, 'true'), grp)))
      USING lo, hi, flag;
  END LOOP;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_fill(dataeng_internal.fact_defs, regclass, text, text, text, timestamptz, timestamptz, boolean) IS
  'internal: fill a fact''s side table with the per-value counts of some of its source''s rows';

-- Concatenate arrays (the values that came and went of a group, when the
-- groups of a fold are added up again).
CREATE AGGREGATE dataeng_internal._fact_values_cat(anycompatiblearray) (
  SFUNC = pg_catalog.array_cat,
  STYPE = anycompatiblearray,
  INITCOND = '{}',
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE dataeng_internal._fact_values_cat(anycompatiblearray) IS
  'internal: the elements of all the arrays of a group, one after the other';

-- The reserves of min and max (src/aggregate/reserve.c): per group its
-- @FACT_RESERVE@ least (greatest) values, from which a refresh takes the
-- new extreme when one goes, recomputing a group only when its reserve
-- runs out.
CREATE FUNCTION dataeng_internal._fact_reserve(stored anyarray, stored_nn bigint, came anyarray, went anyarray,
                                      k int, descending boolean)
RETURNS anyarray
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_reserve(anyarray, bigint, anyarray, anyarray, int, boolean) IS
  'internal: the new reserve of a fact group''s min or max from the stored one and the values that came and went';

-- The two a MERGE of a refresh writes per min/max and group (one call
-- each): the new reserve, counted (in this backend) when it ran out while
-- its group has values (nn: the group's new count of non-NULL values, NULL
-- when unknown), and its first value (the new min or max, NULL when
-- empty).  _fact_reserve_ran_out() returns the count since its last call
-- and starts it again: the refresh looks for the groups to recompute only
-- when one ran out.  The second of a row finds the new reserve the
-- first made (src/aggregate/reserve.c).
CREATE FUNCTION dataeng_internal._fact_reserve_checked(stored anyarray, stored_nn bigint, came anyarray, went anyarray,
                                                       k int, descending boolean, nn bigint)
RETURNS anyarray
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_checked'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_checked(anyarray, bigint, anyarray, anyarray, int, boolean, bigint) IS
  'internal: the new reserve of a fact group''s min or max, counted when it ran out while the group has values';
CREATE FUNCTION dataeng_internal._fact_reserve_first(stored anyarray, stored_nn bigint, came anyarray, went anyarray,
                                                     k int, descending boolean)
RETURNS anyelement
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_first'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_first(anyarray, bigint, anyarray, anyarray, int, boolean) IS
  'internal: the first value of the new reserve of a fact group''s min or max (the new min or max)';
CREATE FUNCTION dataeng_internal._fact_reserve_ran_out()
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_ran_out'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_ran_out() IS
  'internal: how many reserves _fact_reserve_checked counted as run out since the last call (and count again from 0)';

CREATE FUNCTION dataeng_internal._fact_reserve_step(internal, anyelement, int, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_step(internal, anyelement, int, boolean) IS
  'internal: transition function of _fact_reserve_agg';
CREATE FUNCTION dataeng_internal._fact_reserve_final(internal, anyelement, int, boolean)
RETURNS anyarray
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_final(internal, anyelement, int, boolean) IS
  'internal: final function of _fact_reserve_agg';
CREATE AGGREGATE dataeng_internal._fact_reserve_agg(anyelement, int, boolean) (
  SFUNC = dataeng_internal._fact_reserve_step,
  STYPE = internal,
  FINALFUNC = dataeng_internal._fact_reserve_final,
  FINALFUNC_EXTRA,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE dataeng_internal._fact_reserve_agg(anyelement, int, boolean) IS
  'internal: the k least (descending: greatest) non-NULL values of a group, sorted: a fact''s min or max reserve';

CREATE FUNCTION dataeng_internal._fact_reserve_union_step(internal, anyarray, int, boolean)
RETURNS internal
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_union_step'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_union_step(internal, anyarray, int, boolean) IS
  'internal: transition function of _fact_reserve_union';
CREATE FUNCTION dataeng_internal._fact_reserve_union_final(internal, anyarray, int, boolean)
RETURNS anyarray
AS 'MODULE_PATHNAME', 'dataeng_fact_reserve_union_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_union_final(internal, anyarray, int, boolean) IS
  'internal: final function of _fact_reserve_union';
CREATE AGGREGATE dataeng_internal._fact_reserve_union(anyarray, int, boolean) (
  SFUNC = dataeng_internal._fact_reserve_union_step,
  STYPE = internal,
  FINALFUNC = dataeng_internal._fact_reserve_union_final,
  FINALFUNC_EXTRA,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE dataeng_internal._fact_reserve_union(anyarray, int, boolean) IS
  'internal: the k least (descending: greatest) values of all the arrays of a group, sorted';

-- The operator of strategy (1 <, 2 <=, 4 >=, 5 >) of the default btree
-- class of typ, schema-qualified: OPERATOR(schema.op).
CREATE FUNCTION dataeng_internal._agg_btree_op(typ regtype, strategy int)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('OPERATOR(%I.%s)', n.nspname, o.oprname)
    FROM pg_opclass c
    JOIN pg_am am ON am.oid = c.opcmethod AND am.amname = 'btree'
    JOIN pg_amop ao ON ao.amopfamily = c.opcfamily AND ao.amoplefttype = c.opcintype
                   AND ao.amoprighttype = c.opcintype AND ao.amopstrategy = strategy
    JOIN pg_operator o ON o.oid = ao.amopopr
    JOIN pg_namespace n ON n.oid = o.oprnamespace
   WHERE c.opcdefault AND c.opcintype = typ
$$;
COMMENT ON FUNCTION dataeng_internal._agg_btree_op(regtype, integer) IS
  'internal: the schema-qualified operator of a strategy of a type''s default btree class';

-- Equality of the keys (bucket and dimensions) of two row sources, as a
-- condition a hash join can use: lhs and rhs are the key expressions of
-- either side; for a nullable key, nulls are equal, written as the
-- equality of (x IS NULL) and of coalesce(x, sentinel), with sentinel
-- any non-NULL value of the key's type (NULL: every value of that key on
-- the right side is NULL).  IS NOT DISTINCT FROM would be neither
-- hashable nor indexable.
CREATE FUNCTION dataeng_internal._fact_keys_eq(lhs text[], rhs text[], nullable boolean[], sentinels text[])
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT string_agg(CASE WHEN NOT nullable[o] THEN format('%s = %s', l, rhs[o])
                           WHEN sentinels[o] IS NULL THEN format('%s IS NULL AND %s IS NULL', l, rhs[o])
                           ELSE format('(%1$s IS NULL) = (%2$s IS NULL) AND coalesce(%1$s, %3$s) = coalesce(%2$s, %3$s)',
                                       l, rhs[o], sentinels[o]) END,
                      ' AND ' ORDER BY o)
      FROM unnest(lhs) WITH ORDINALITY u(l, o));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_keys_eq(text[], text[], boolean[], text[]) IS
  'internal: the SQL of a hashable join condition on group keys where NULLs are equal';

-- The bucket of a time value t (timestamptz, timestamp or date) at a
-- grain in a time zone: what _fact_bucket_expr() writes, computed in C as
-- _fact_deltas() computes it (src/aggregate/delta.c), several times faster
-- than date_trunc with a zone.  The scans of a refresh use it.
CREATE FUNCTION dataeng_internal._fact_bucket(t anyelement, grain text, tz text)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_fact_bucket'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_bucket(anyelement, text, text) IS
  'internal: the bucket of a time value at a fact''s grain and time zone';

-- The first instant whose bucket is w or later (upper false), or the
-- instant from which every bucket is (upper true): the rows of the buckets
-- [lo, hi) are among those from split(lo, false) to split(hi, true)
-- (src/aggregate/delta.c says where they are not w itself: a zone's offset
-- changing by less than the grain, at a bucket's start, or going back).
CREATE FUNCTION dataeng_internal._fact_bucket_split(w timestamptz, grain text, tz text, upper boolean)
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_fact_bucket_split'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_bucket_split(timestamptz, text, text, boolean) IS
  'internal: the first instant whose bucket at a fact''s grain and time zone is a given bucket or later, or from which all are';

-- The source rows s of the buckets listed in the temporary table
-- pg_temp.<btable> (column bucket, NULL for the rows whose time is NULL),
-- as a FROM item aliased s, each with its bucket as s.__dataeng_bucket
-- (computed once per row).  With an index on the time column, one range
-- scan per bucket (an infinite bucket: an index lookup of its infinity,
-- which no range ends after); without, one scan of the source with a hash
-- semi-join on the bucket.  The rows whose time is NULL are scanned for
-- only when the NULL bucket is listed.
CREATE FUNCTION dataeng_internal._fact_bucket_rows(d dataeng_internal.fact_defs, ttype regtype, indexed boolean, btable text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('(%s UNION ALL SELECT s.*, NULL::%s AS __dataeng_bucket FROM %s s WHERE s.%I IS NULL '
                  'AND EXISTS (SELECT 1 FROM pg_temp.%I b WHERE b.bucket IS NULL)) s',
                  CASE WHEN indexed
                       THEN format('SELECT s.*, b.bucket AS __dataeng_bucket FROM pg_temp.%1$I b JOIN %2$s s ON %3$s '
                                   'WHERE b.bucket IS NOT NULL AND isfinite(b.bucket) AND %4$s = b.bucket '
                                   -- (the rows of an infinite bucket, at that infinity:
                                   -- no range ends after it)
                                   'UNION ALL SELECT s.*, b.bucket AS __dataeng_bucket FROM pg_temp.%1$I b '
                                   'JOIN %2$s s ON s.%5$I = b.bucket::%6$s WHERE NOT isfinite(b.bucket) AND %4$s = b.bucket',
                                   btable, d.source,
                                   replace(replace(replace(
                                     dataeng_internal._fact_rows_pred(d, ttype, false),
                                     '$1', x.b_in),
                                     -- (the bucket's end: of a timestamptz, the first
                                     -- instant of a later bucket)
                                     '$2', CASE WHEN ttype = 'timestamptz'::regtype
                                                THEN format('(%s + interval ''1 microsecond'')', x.b_in)
                                                ELSE format('((%s AT TIME ZONE %L + %L::interval) AT TIME ZONE %L)',
                                                            x.b_in, d.time_zone, dataeng_internal._fact_grain(d.grain), d.time_zone) END),
                                     '$3', 'false'),
                                   x.s_bucket, d.time_column, ttype)
                       ELSE format('SELECT s.* FROM (SELECT s.*, %s AS __dataeng_bucket '
                                   'FROM %s s OFFSET 0) s '
                                   'WHERE s.__dataeng_bucket IN (SELECT b.bucket FROM pg_temp.%I b)',
                                   x.s_bucket, d.source, btable) END,
                  x.btype, d.source, d.time_column, btable)
      FROM (SELECT t.btype,
                   dataeng_internal._fact_bucket_in('b.bucket', t.btype, d.time_zone) AS b_in,
                   dataeng_internal._fact_bucket_out(format('dataeng_internal._fact_bucket(s.%I, %L, %L)',
                                                            d.time_column, d.grain, d.time_zone),
                                                     t.btype, d.time_zone) AS s_bucket
              FROM (SELECT dataeng_internal._fact_bucket_type(d.storage_table) AS btype) t) x);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_bucket_rows(dataeng_internal.fact_defs, regtype, boolean, text) IS
  'internal: the SQL of the source rows of a list of buckets, each with its bucket';

-- Whether the source of d has a btree index led by its time column (not
-- partial): the rows of one bucket are then read by a range scan.
CREATE FUNCTION dataeng_internal._fact_time_indexed(d dataeng_internal.fact_defs)
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT EXISTS (
      SELECT 1 FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        JOIN pg_am am ON am.oid = c.relam AND am.amname = 'btree'
        JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
       WHERE i.indrelid = d.source AND a.attname = d.time_column AND i.indpred IS NULL AND i.indisvalid));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_time_indexed(dataeng_internal.fact_defs) IS
  'internal: whether a fact''s source has a btree index led by its time column';

-- The type of column col of rel as an array, with the column's collation
-- where it is not its type's (the arrays of values a refresh reads for
-- min/max and count(DISTINCT) compare as the column does); NULL when rel
-- has no such column.
CREATE FUNCTION dataeng_internal._fact_col_array_type(rel regclass, col text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
  RETURN (
    SELECT format_type(a.atttypid, a.atttypmod) || '[]'
           || coalesce((SELECT format(' COLLATE %I.%I', cn.nspname, l.collname)
                          FROM pg_collation l JOIN pg_namespace cn ON cn.oid = l.collnamespace
                          JOIN pg_type ty ON ty.oid = a.atttypid
                         WHERE l.oid = a.attcollation AND a.attcollation <> ty.typcollation), '')
      FROM pg_attribute a WHERE a.attrelid = rel AND a.attname = col AND a.attnum > 0 AND NOT a.attisdropped);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_col_array_type(regclass, text) IS
  'internal: the array type, with its collation, of a column''s values as a fact refresh reads them';

-- The clauses of a fact refresh for value column i of _fact_deltas() (one
-- per distinct measure value): its net count of non-NULL values n<i>;
-- sumtype: the type of its net sum s<i> (NULL: not summed); xtype: the
-- array type of the least and greatest values that came in and went out
-- (xa<i> ... xd<i>, for min/max kept with a reserve; NULL: none); dtype:
-- that of the values that came in and went out (va<i>, vb<i>, for
-- count(DISTINCT) kept with per-value counts; NULL: none).
--   coldef  the column definitions of the call
--   sub     the columns taken from the call c
--   agg, flat, reagg, agg_cols  as _fact_delta_sql's: the columns that
--           are not a measure's own (the extremes and values, added up per
--           group by their unions)
CREATE FUNCTION dataeng_internal._fact_value_sql(i int, sumtype text, xtype text, dtype text,
                                                 OUT coldef text, OUT sub text, OUT agg text, OUT flat text,
                                                 OUT reagg text, OUT agg_cols text[])
RETURNS record
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  coldef := CASE WHEN sumtype IS NOT NULL THEN format(', s%s %s', i, sumtype) ELSE '' END
            || format(', n%s bigint', i);
  sub := CASE WHEN sumtype IS NOT NULL THEN format(', c.s%1$s, c.n%1$s', i) ELSE format(', c.n%1$s', i) END;
  agg := '';
  flat := '';
  reagg := '';
  agg_cols := '{}';
  IF xtype IS NOT NULL THEN
    coldef := coldef || format(', xa%1$s %2$s, xb%1$s %2$s, xc%1$s %2$s, xd%1$s %2$s', i, xtype);
    sub := sub || format(', c.xa%1$s, c.xb%1$s, c.xc%1$s, c.xd%1$s', i);
    agg := agg || format(', dataeng_internal._fact_reserve_union(xa%1$s, %2$s, false) AS __x_in_lo_%1$s, '
                         'dataeng_internal._fact_reserve_union(xb%1$s, %2$s, true) AS __x_in_hi_%1$s, '
                         'dataeng_internal._fact_reserve_union(xc%1$s, %2$s, false) AS __x_out_lo_%1$s, '
                         'dataeng_internal._fact_reserve_union(xd%1$s, %2$s, true) AS __x_out_hi_%1$s, '
                         'sum(n%1$s)::bigint AS __x_n_%1$s', i, @FACT_RESERVE@);
    flat := flat || format(', xa%1$s AS __x_in_lo_%1$s, xb%1$s AS __x_in_hi_%1$s, '
                           'xc%1$s AS __x_out_lo_%1$s, xd%1$s AS __x_out_hi_%1$s, n%1$s AS __x_n_%1$s', i);
    reagg := reagg || format(', dataeng_internal._fact_reserve_union(__x_in_lo_%1$s, %2$s, false) AS __x_in_lo_%1$s, '
                             'dataeng_internal._fact_reserve_union(__x_in_hi_%1$s, %2$s, true) AS __x_in_hi_%1$s, '
                             'dataeng_internal._fact_reserve_union(__x_out_lo_%1$s, %2$s, false) AS __x_out_lo_%1$s, '
                             'dataeng_internal._fact_reserve_union(__x_out_hi_%1$s, %2$s, true) AS __x_out_hi_%1$s, '
                             'sum(__x_n_%1$s)::bigint AS __x_n_%1$s', i, @FACT_RESERVE@);
    agg_cols := agg_cols || ('__x_in_lo_' || i) || ('__x_in_hi_' || i)
                || ('__x_out_lo_' || i) || ('__x_out_hi_' || i) || ('__x_n_' || i);
  END IF;
  IF dtype IS NOT NULL THEN
    coldef := coldef || format(', va%1$s %2$s, vb%1$s %2$s', i, dtype);
    sub := sub || format(', c.va%1$s, c.vb%1$s', i);
    agg := agg || format(', dataeng_internal._fact_values_cat(va%1$s) AS __v_in_%1$s, '
                         'dataeng_internal._fact_values_cat(vb%1$s) AS __v_out_%1$s', i);
    flat := flat || format(', va%1$s AS __v_in_%1$s, vb%1$s AS __v_out_%1$s', i);
    reagg := reagg || format(', dataeng_internal._fact_values_cat(__v_in_%1$s) AS __v_in_%1$s, '
                             'dataeng_internal._fact_values_cat(__v_out_%1$s) AS __v_out_%1$s', i);
    agg_cols := agg_cols || ('__v_in_' || i) || ('__v_out_' || i);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_value_sql(int, text, text, text) IS
  'internal: the clauses of a fact refresh for one value column of the folded changes';

-- The clauses of a fact refresh for one measure kept as a delta (count(*),
-- count, sum and avg of exact types: mode 'delta') or with per-value
-- counts (count(DISTINCT): mode 'distinct'), each appended by
-- fact_refresh to the same clause of the other measures:
--   agg, flat, reagg  the measure's delta columns as the deltas of
--                     _fact_deltas() give them (i: its value column, n<i>
--                     and s<i>; sumtype: the type of the sum s<i>), added
--                     up per group (agg), taken as they come (flat), and
--                     added up again (reagg)
--   agg_cols          the names of those columns
--   ins_cols, ins_vals  the columns and values of a new group
--   upd, upd_m        the SET list of an existing group, from EXCLUDED
--                     (an upsert) or from the deltas d (the MERGE)
-- A count(DISTINCT) measure has no delta column of its own: the change of
-- its count comes from the side table (fact_refresh).
CREATE FUNCTION dataeng_internal._fact_delta_sql(m dataeng_internal.fact_measure, i int, sumtype text,
                                                 OUT agg text, OUT flat text, OUT reagg text, OUT agg_cols text[],
                                                 OUT ins_cols text, OUT ins_vals text, OUT upd text, OUT upd_m text)
RETURNS record
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  s_col text;
  n_col text;
BEGIN
  agg := '';
  flat := '';
  reagg := '';
  agg_cols := '{}';
  IF m.mode = 'distinct' OR m.agg IN ('count_star', 'count') THEN
    -- a count: added up (count(DISTINCT): by the change of its count)
    IF m.mode IS DISTINCT FROM 'distinct' THEN
      agg := format(', sum(%s)::bigint AS %I', CASE m.agg WHEN 'count_star' THEN 'rows' ELSE 'n' || i END, m.name);
      flat := format(', %s AS %I', CASE m.agg WHEN 'count_star' THEN 'rows' ELSE 'n' || i END, m.name);
      reagg := format(', sum(%1$I)::bigint AS %1$I', m.name);
      agg_cols := ARRAY[m.name];
    END IF;
    ins_cols := format(', %I', m.name);
    ins_vals := format(', %I', m.name);
    upd := format(', %1$I = f.%1$I + EXCLUDED.%1$I', m.name);
    upd_m := format(', %1$I = f.%1$I + d.%1$I', m.name);
    RETURN;
  END IF;
  -- sum: the sum and a count of non-NULL values (a sum of no value is
  -- NULL); avg: its hidden sum and count
  s_col := CASE m.agg WHEN 'sum' THEN m.name ELSE '__sum_' || m.name END;
  n_col := CASE m.agg WHEN 'sum' THEN '__nn_' || m.name ELSE '__cnt_' || m.name END;
  agg := format(', sum(s%1$s)::%4$s AS %2$I, sum(n%1$s)::bigint AS %3$I', i, s_col, n_col, sumtype);
  flat := format(', s%1$s AS %2$I, n%1$s AS %3$I', i, s_col, n_col);
  reagg := format(', sum(%1$I)::%3$s AS %1$I, sum(%2$I)::bigint AS %2$I', s_col, n_col, sumtype);
  agg_cols := ARRAY[s_col, n_col];
  ins_cols := format(', %I, %I', s_col, n_col);
  -- With no net non-NULL value, a new group's sum is NULL; an existing
  -- group's sum changes by the (then usually zero) delta.  A new group's
  -- contributions cancel exactly (each value leaves as it came), so a
  -- zero delta there means NULL.
  ins_vals := format(', CASE WHEN %2$I = 0 AND %1$I = %1$I - %1$I THEN NULL ELSE %1$I END, %2$I', s_col, n_col);
  upd := format(', %1$I = CASE WHEN f.%2$I + EXCLUDED.%2$I = 0 THEN NULL WHEN f.%1$I IS NULL THEN EXCLUDED.%1$I '
                'WHEN EXCLUDED.%1$I IS NULL THEN f.%1$I ELSE f.%1$I + EXCLUDED.%1$I END, '
                '%2$I = f.%2$I + EXCLUDED.%2$I', s_col, n_col);
  upd_m := replace(upd, 'EXCLUDED.', 'd.');
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_delta_sql(dataeng_internal.fact_measure, int, text) IS
  'internal: the clauses of a fact refresh for a measure kept as a delta or with per-value counts';

-- The clauses of a fact refresh for a min/max measure m kept with its
-- reserve (src/aggregate/reserve.c): the group's new reserve from the
-- stored one (none for a new group; unknown where __nn is NULL) and the
-- values that came in and went out (__x_in_<lo|hi>_<i>, __x_out_..._<i>:
-- i its value column; mi its position among the measures), the extreme
-- being its first value; a group whose reserve ran out while it has values
-- is recomputed.
--   xfold        the new reserve (__xr_<mi>) and count (__xn_<mi>) of a
--                group, from the fact's row f and the deltas d, made once
--                in pg_temp._dataeng_delta
--   ins_col, ins_val, upd_m  a new group's columns and values, and the
--                SET list of the MERGE, from those
--   upd          the SET list of the upsert, from EXCLUDED
--   xcond        the group's reserve ran out (on the deltas d)
--   upd_fast, ins_fast, xcond_after  the same made in the MERGE itself
--                from the fact's row f (or none), each new reserve made by
--                _fact_reserve_checked (which counts those run out),
--                and the reserve run out judged on f after it
CREATE FUNCTION dataeng_internal._fact_reserve_sql(m dataeng_internal.fact_measure, i int, mi int,
                                                   OUT xfold text, OUT ins_col text, OUT ins_val text,
                                                   OUT upd_m text, OUT upd text, OUT xcond text,
                                                   OUT upd_fast text, OUT ins_fast text, OUT xcond_after text)
RETURNS record
LANGUAGE plpgsql IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  lohi text := CASE m.agg WHEN 'min' THEN 'lo' ELSE 'hi' END;
  descending text := CASE m.agg WHEN 'max' THEN 'true' ELSE 'false' END;
  came text := format('__x_in_%s_%s', lohi, i);
  went text := format('__x_out_%s_%s', lohi, i);
  nn text := '__nn_' || m.name;
  x text := '__x_' || m.name;
  xr text := '__xr_' || mi;
  xn text := '__xn_' || mi;
  xr_expr text;
BEGIN
  xfold := format(', dataeng_internal._fact_reserve(f.%1$I, CASE WHEN f.__rows IS NULL THEN 0 ELSE f.%2$I END, '
                  'd.%3$I, d.%4$I, %5$s, %6$s) AS %7$I, '
                  'CASE WHEN f.__rows IS NULL THEN 0 ELSE f.%2$I END + d.%8$I AS %9$I',
                  x, nn, came, went, m.reserve, descending, xr, '__x_n_' || i, xn);
  ins_col := format(', %I, %I, %I', m.name, nn, x);
  ins_val := format(', %1$I[1], %2$I, %1$I', xr, xn);
  upd_m := format(', %1$I = d.%4$I[1], %2$I = d.%5$I, %3$I = d.%4$I', m.name, nn, x, xr, xn);
  upd := format(', %1$I = EXCLUDED.%1$I, %2$I = EXCLUDED.%2$I, %3$I = EXCLUDED.%3$I', m.name, nn, x);
  xcond := format('(d.%1$I IS DISTINCT FROM 0 AND cardinality(d.%2$I) = 0)', xn, xr);
  xr_expr := format('%%s, %%s, d.%1$I, d.%2$I, %3$s, %4$s', came, went, m.reserve, descending);
  -- (one call for the measure, one for the reserve: the second finds the
  -- first one's result, reserve.c)
  upd_fast := format(', %1$I = dataeng_internal._fact_reserve_first(%4$s), %2$I = f.%2$I + d.%5$I, '
                     '%3$I = dataeng_internal._fact_reserve_checked(%4$s, f.%2$I + d.%5$I)',
                     m.name, nn, x, format(xr_expr, format('f.%I', x), format('f.%I', nn)), '__x_n_' || i);
  ins_fast := format(', dataeng_internal._fact_reserve_first(%1$s), d.%2$I, '
                     'dataeng_internal._fact_reserve_checked(%1$s, d.%2$I)',
                     format(xr_expr, 'NULL', '0'), '__x_n_' || i);
  xcond_after := format('(f.%1$I IS DISTINCT FROM 0 AND coalesce(cardinality(f.%2$I), 0) = 0)', nn, x);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_reserve_sql(dataeng_internal.fact_measure, int, int) IS
  'internal: the clauses of a fact refresh for a min/max measure kept with its reserve';

-- The statements that apply a fact refresh's group deltas (pg_temp tables
-- named here are the refresh's own, made in fact_refresh).
-- The MERGE of the deltas (a query, aliased d) into the storage table f
-- joined on key_join: a group emptied is deleted, an existing one updated
-- by the SET list upd, a new one inserted (ins_cols, ins_vals).
CREATE FUNCTION dataeng_internal._fact_merge_sql(storage regclass, deltas text, key_join text, upd text,
                                                 ins_cols text, ins_vals text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('MERGE INTO %1$s f USING %2$s d ON %3$s '
                  'WHEN MATCHED AND f.__rows + d.__rows <= 0 THEN DELETE '
                  'WHEN MATCHED THEN UPDATE SET %4$s '
                  'WHEN NOT MATCHED AND d.__rows > 0 THEN INSERT (%5$s) VALUES (%6$s)',
                  storage, deltas, key_join, upd, ins_cols, ins_vals));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_merge_sql(regclass, text, text, text, text, text) IS
  'internal: the MERGE of a fact refresh''s group deltas into the fact';

-- Run stmt, a MERGE of _fact_merge_sql into the fact storage.  groups: at
-- most as many groups as the deltas have (NULL: not known, or the deltas
-- joined to the counts of count(DISTINCT)).  When they are at most a
-- quarter of the fact's rows, they are looked up one by one in the fact's
-- key index (a nested loop): the planner knows neither that the deltas'
-- keys are unique nor how many there are (their table is not analysed),
-- and would otherwise read and hash the whole fact, which with many groups
-- cost more than the lookups (docs/facts.md, "Cost model").  The caller's
-- settings are put back after it (a SET LOCAL in a function lasts until
-- the end of the transaction unless the function has a SET clause for
-- that setting, which would override the caller's own value; an error
-- rolls them back with its transaction or savepoint).
CREATE FUNCTION dataeng_internal._fact_merge(stmt text, storage regclass, groups bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  hj text := current_setting('enable_hashjoin');
  mj text := current_setting('enable_mergejoin');
  mz text := current_setting('enable_memoize');
  by_index boolean := groups IS NOT NULL
                      AND 4 * groups < (SELECT c.reltuples FROM pg_class c WHERE c.oid = storage);
BEGIN
  IF by_index THEN
    PERFORM set_config('enable_hashjoin', 'off', true), set_config('enable_mergejoin', 'off', true),
            set_config('enable_memoize', 'off', true);
  END IF;
  EXECUTE stmt;
  IF by_index THEN
    PERFORM set_config('enable_hashjoin', hj, true), set_config('enable_mergejoin', mj, true),
            set_config('enable_memoize', mz, true);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_merge(text, regclass, bigint) IS
  'internal: run the MERGE of a fact refresh''s group deltas, through the fact''s key index when they are few';

-- The MERGE of _fact_merge_sql applied in C (src/aggregate/fact_apply.c)
-- for a fact of counts, sums and min/max kept with reserves: the group
-- deltas of table deltas (key columns dkeys, named keys in the fact's table
-- storage) looked up in the fact's key index in its order, each group
-- updated, deleted when emptied or inserted when new; adds: the counts
-- added up, sums: the sums, each with its count of values in sumns;
-- extremes: six names per min/max (the fact's value, count and reserve
-- columns, the deltas' columns of the values that came, of the change of
-- the count and of the values that went), its reserve's size in ks and
-- its order in descs, made as _fact_reserve_first and
-- _fact_reserve_checked make them in the MERGE (the reserves run out
-- counted the same way); distincts: three names per count(DISTINCT) kept
-- with per-value counts (the fact's column of its count, the deltas'
-- columns of the values that came and of those that went), its side table
-- in sides and its measure's number in dms: each group's values applied to
-- the side table as _fact_side_apply does, in the same pass, and its count
-- changed by the values it gained less those it lost.  NULL when applied;
-- else nothing is written and the reason is returned (the caller runs the
-- MERGE then, and applies the per-value counts before it).
CREATE FUNCTION dataeng_internal._fact_apply(storage regclass, deltas regclass, keys text[], dkeys text[],
                                             adds text[], sums text[], sumns text[],
                                             extremes text[], ks int[], descs boolean[],
                                             distincts text[] DEFAULT '{}', sides regclass[] DEFAULT '{}',
                                             dms int[] DEFAULT '{}')
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fact_apply'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._fact_apply(regclass, regclass, text[], text[], text[], text[], text[],
                                                 text[], int[], boolean[], text[], regclass[], int[]) IS
  'internal: apply a fact refresh''s group deltas to its table in C, or say why the MERGE must';

-- The total row of the last _fact_deltas() of the transaction as it wrote
-- it (the count of changes, whether a TRUNCATE came or an image lacked a
-- column, the times the groups were written out before the end, whether a
-- numeric sum came out NaN or infinite): read by _fact_refresh instead of
-- scanning the groups it wrote for that row (src/aggregate/delta.c).
CREATE FUNCTION dataeng_internal._fact_deltas_total(OUT n_changes bigint, OUT has_t boolean, OUT parts bigint,
                                                    OUT nan boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_fact_deltas_total'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._fact_deltas_total() IS
  'internal: the total row of the last fold of a fact''s changes in this transaction';

-- The next _fact_deltas() of the transaction, run by query (the SELECT of
-- the refresh's INSERT into its table of deltas), keeps its groups in
-- memory for the C apply of the same refresh, in the table's shape, instead
-- of writing them to it (src/aggregate/held.c); false: it writes them as
-- always.  _fact_deltas_write() writes them to the table when a statement
-- is to read them there.
CREATE FUNCTION dataeng_internal._fact_deltas_hold(deltas regclass, query text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_fact_deltas_hold'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._fact_deltas_hold(regclass, text) IS
  'internal: the next fold of this transaction holds its group deltas for the C apply';

CREATE FUNCTION dataeng_internal._fact_deltas_write(deltas regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_fact_deltas_write'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._fact_deltas_write(regclass) IS
  'internal: the group deltas held by the last fold written into their table';

-- What the last _fact_apply() of this session did ('C: ...' and its
-- counts of rows, or why it left the deltas to the MERGE); NULL if none ran.
CREATE FUNCTION dataeng_internal._fact_apply_last()
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fact_apply_last'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._fact_apply_last() IS
  'internal: what the last direct apply of a fact refresh in this session did';

-- The same as an upsert through the key (key_cols: with a nullable key
-- column the MERGE's join is neither hashable nor indexable), SET list upd
-- from EXCLUDED; the groups it empties are deleted after it.
CREATE FUNCTION dataeng_internal._fact_upsert_sql(storage regclass, deltas text, key_cols text, upd text,
                                                  ins_cols text, ins_vals text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('INSERT INTO %s AS f (%s) SELECT %s FROM %s d ON CONFLICT (%s) DO UPDATE SET %s',
                  storage, ins_cols, ins_vals, deltas, key_cols, upd));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_upsert_sql(regclass, text, text, text, text, text) IS
  'internal: the upsert of a fact refresh''s group deltas into the fact (a nullable key)';

-- The recompute of the groups in pg_temp._dataeng_recompute (r, keys
-- rkeys): the measures kept without a delta (rec_set from rec_sel, as
-- _fact_sql writes them) aggregated again from the source rows of
-- from_item (s) matching a group (src_join), set on the fact's rows f
-- (fact_join).  One statement for all the groups.
CREATE FUNCTION dataeng_internal._fact_recompute_sql(storage regclass, rec_set text, rec_sel text, rkeys text[],
                                                     from_item text, src_join text, fact_join text)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  RETURN (
    SELECT format('UPDATE %1$s f SET %2$s FROM ('
                  'SELECT %3$s, %4$s FROM %5$s JOIN pg_temp._dataeng_recompute r ON %6$s GROUP BY %3$s) r '
                  'WHERE %7$s',
                  storage, rec_set, array_to_string(rkeys, ', '), rec_sel, from_item, src_join, fact_join));
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_recompute_sql(regclass, text, text, text[], text, text, text) IS
  'internal: the recompute of a fact''s groups whose measures have no delta, from their source rows';

-- count(DISTINCT) measure mo of fact d kept with per-value counts, whose
-- values that came and went are the value column i of the folded changes
-- (pg_temp._dataeng_delta_raw, its bucket k0 of type btype inside): the
-- changes of each group's count of its values, into pg_temp._dataeng_dc
-- (wm: the groups left out while the fact is being backfilled), as two
-- rows per group at most: __n +1 and the array of the values that came
-- (each value of it counted once more), __n -1 and the array of those
-- that went.  They are not netted here: whoever applies them adds up the
-- changes of a group and value (_fact_side_apply() as it reads them in
-- its index's order, the SQL path by a GROUP BY of the arrays unnested).
-- The arrays are written whole, not unnested into a row per value: a
-- few thousand rows a refresh instead of tens of thousands.
CREATE FUNCTION dataeng_internal._fact_side_changes_sql(d dataeng_internal.fact_defs, btype regtype, mo int, i int,
                                                        wm text)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT format('INSERT INTO pg_temp._dataeng_dc (%1$s, __m, __n, %2$I) '
                'SELECT %3$s, %4$s, 1, r.%5$I FROM pg_temp._dataeng_delta_raw r '
                'WHERE NOT r.is_total AND cardinality(r.%5$I) > 0 %7$s '
                'UNION ALL '
                'SELECT %3$s, %4$s, -1, r.%6$I FROM pg_temp._dataeng_delta_raw r '
                'WHERE NOT r.is_total AND cardinality(r.%6$I) > 0 %7$s',
                array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(ARRAY['bucket'] || d.dimensions) k), ', '),
                '__v' || mo,
                dataeng_internal._fact_bucket_out('r.k0', btype, d.time_zone)
                || (SELECT coalesce(string_agg(format(', r.k%s', o), '' ORDER BY o), '')
                      FROM generate_series(1, cardinality(d.dimensions)) o),
                mo, '__v_in_' || i, '__v_out_' || i, wm)
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_changes_sql(dataeng_internal.fact_defs, regtype, int, int, text) IS
  'internal: the changes of a count(DISTINCT) measure''s per-value counts in a fact refresh, an array of the values that came or went per group';

-- The per-value count changes of count(DISTINCT) measure mo (rows of
-- changes, pg_temp._dataeng_dc) merged into the chunks of a fact's side
-- table with direct index scans and heap writes, as the caller (the
-- fact's owner in a refresh), who needs SELECT, INSERT, UPDATE and DELETE
-- on it: the changes of a group and value added up, a row out per group
-- whose count of values changed, the net change (src/aggregate/side_apply.c).
CREATE FUNCTION dataeng_internal._fact_side_apply(side regclass, mo int, changes regclass)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataeng_fact_side_apply'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._fact_side_apply(regclass, int, regclass) IS
  'internal: merge a count(DISTINCT) measure''s per-value count changes into a fact''s side table (index scans and heap writes)';

-- NULL when _fact_side_apply() may write the side table of measure mo
-- directly: the caller owns it and it is exactly what _fact_side_create()
-- makes (its columns, no defaults, generated columns, constraints but NOT
-- NULL, rules, triggers, row security, inheritance); else why not.
CREATE FUNCTION dataeng_internal._fact_side_apply_reason(side regclass, mo int)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fact_side_apply_reason'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_side_apply_reason(regclass, int) IS
  'internal: why a fact''s side table is not written directly by _fact_side_apply(), or NULL';

-- The counts of a chunk of a side table (__n): a bytea of an unsigned
-- base-128 varint per value of the chunk, in its order (a count under
-- 128 a byte), unpacked into an array and packed from one (each count
-- above 0, none NULL).  A chunk's row so takes about a byte per count
-- where a bigint[] took 8: fewer bytes written and logged a refresh.
CREATE FUNCTION dataeng_internal._fact_side_counts(counts bytea)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'dataeng_fact_side_counts'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_side_counts(bytea) IS
  'internal: the counts of a chunk of a fact''s side table (its __n), as an array';
CREATE FUNCTION dataeng_internal._fact_side_counts_pack(counts bigint[])
RETURNS bytea
AS 'MODULE_PATHNAME', 'dataeng_fact_side_counts_pack'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._fact_side_counts_pack(bigint[]) IS
  'internal: counts packed as a chunk of a fact''s side table keeps them (its __n)';

-- ... added up per group and value and added to the side table of fact
-- d, what changes the groups' counts kept in pg_temp._dataeng_dc_ret
-- (a tid, always NULL; the keys; from SQL 1 and true per value new to its
-- group, 0 and false per value gone from it; from C a row per group, its
-- net change and whether it is above 0: summed per group as
-- __ins ? __n : (__n = 0 ? -1 : __n)).  Applied in C, the changes of a group
-- merged into its chunks, a row out per group whose count changed
-- (_fact_side_apply, src/aggregate/side_apply.c), unless
-- the side table is not exactly as the extension made it or the caller
-- does not own it (_fact_side_apply_reason): then by SQL that computes
-- each touched group's values again from its chunks and its changes,
-- deletes its chunks and inserts the new ones (_fact_side_chunks_sql),
-- one statement through the table's triggers, defaults and policies.
CREATE FUNCTION dataeng_internal._fact_side_upsert_sql(d dataeng_internal.fact_defs, side regclass, mo int)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN side IS NOT NULL AND mo IS NOT NULL AND dataeng_internal._fact_side_apply_reason(side, mo) IS NULL
    THEN format('INSERT INTO pg_temp._dataeng_dc_ret SELECT * FROM dataeng_internal._fact_side_apply(%1$L::regclass, %2$s, '
                '''pg_temp._dataeng_dc''::regclass) AS a(__tid tid, %3$s, __m int, __n bigint, __ins boolean)',
                side, mo,
                (SELECT string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' ORDER BY u.o)
                   FROM unnest(ARRAY['bucket'] || d.dimensions) WITH ORDINALITY u(k, o)
                   JOIN pg_attribute a ON a.attrelid = side AND a.attname = u.k AND NOT a.attisdropped))
    ELSE format('WITH ch AS (SELECT %2$s, __dataeng_v, sum(__n)::bigint AS __dataeng_n '
                '              FROM (SELECT %2$s, __n, unnest(%3$I) AS __dataeng_v FROM pg_temp._dataeng_dc '
                '                     WHERE __m = %5$s) c '
                '             WHERE __dataeng_v IS NOT NULL '
                '             GROUP BY %2$s, __dataeng_v HAVING sum(__n) <> 0), '
                '     g AS (SELECT DISTINCT %2$s FROM ch), '
                '     del AS (DELETE FROM %1$s s USING g WHERE s.__m = %5$s AND %6$s '
                '             RETURNING %7$s, s.%4$I AS __dataeng_a, s.__n AS __dataeng_c), '
                '     nv AS (SELECT %2$s, __dataeng_v, sum(__dataeng_n)::bigint AS __dataeng_n, '
                '                   bool_or(__dataeng_o) AS __dataeng_o '
                '              FROM (SELECT %2$s, u.__dataeng_v, u.__dataeng_n, true AS __dataeng_o '
                '                      FROM del, unnest(del.__dataeng_a, dataeng_internal._fact_side_counts(del.__dataeng_c)) '
                '                           u(__dataeng_v, __dataeng_n) '
                '                    UNION ALL '
                '                    SELECT %2$s, __dataeng_v, __dataeng_n, false FROM ch) x '
                '             GROUP BY %2$s, __dataeng_v), '
                '     ins AS (INSERT INTO %1$s (%2$s, __m, %3$I, %4$I, __n) %8$s RETURNING 1) '
                'INSERT INTO pg_temp._dataeng_dc_ret '
                'SELECT NULL::tid, %2$s, %5$s, (__dataeng_n > 0)::int::bigint, __dataeng_n > 0 FROM nv '
                ' WHERE __dataeng_o <> (__dataeng_n > 0)',
                side, array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(ARRAY['bucket'] || d.dimensions) k), ', '),
                '__v' || mo, '__a' || mo, mo,
                (SELECT string_agg(CASE WHEN a.attnotnull THEN format('s.%1$I = g.%1$I', u.k)
                                        ELSE format('s.%1$I IS NOT DISTINCT FROM g.%1$I', u.k) END, ' AND ' ORDER BY u.o)
                   FROM unnest(ARRAY['bucket'] || d.dimensions) WITH ORDINALITY u(k, o)
                   JOIN pg_attribute a ON a.attrelid = side AND a.attname = u.k AND NOT a.attisdropped),
                array_to_string(ARRAY(SELECT format('s.%I', k) FROM unnest(ARRAY['bucket'] || d.dimensions) k), ', '),
                dataeng_internal._fact_side_chunks_sql(
                  array_to_string(ARRAY(SELECT quote_ident(k) FROM unnest(ARRAY['bucket'] || d.dimensions) k), ', '),
                  mo, 'SELECT * FROM nv WHERE __dataeng_n > 0'))
    END
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_upsert_sql(dataeng_internal.fact_defs, regclass, int) IS
  'internal: the SQL applying a count(DISTINCT) measure''s per-value count changes to a fact''s side table';

-- The steps of a refresh (_fact_refresh, below), each named.

-- The buckets of the groups to recompute (pg_temp._dataeng_recompute) in
-- pg_temp._dataeng_rec_buckets, and whether the recompute reads them
-- through an index on the time column (indexed: there is one): when its
-- range scans read less than the whole source would.
CREATE FUNCTION dataeng_internal._fact_rec_buckets(d dataeng_internal.fact_defs, indexed boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  rows_r numeric;
  src_rows numeric;
BEGIN
  PERFORM dataeng_internal._agg_temp_as('_dataeng_rec_buckets',
    'SELECT DISTINCT r.bucket FROM pg_temp._dataeng_recompute r');
  EXECUTE format('SELECT coalesce(sum(f.__rows), 0) FROM %s f JOIN pg_temp._dataeng_rec_buckets b '
                 'ON f.bucket = b.bucket', d.storage_table) INTO rows_r;
  SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples::numeric END INTO src_rows
    FROM pg_class c WHERE c.oid = d.source;
  RETURN indexed AND 1.5 * rows_r < coalesce(src_rows, rows_r);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_rec_buckets(dataeng_internal.fact_defs, boolean) IS
  'internal: the buckets of the groups a fact refresh recomputes, and whether it reads them through the time index';

-- The path of a refresh with groups to recompute (n_rec, in
-- pg_temp._dataeng_recompute) or the buckets path forced, by the work each
-- would do (docs/facts.md, "Cost model"): 'delta' (MERGE the deltas, then
-- recompute the n_rec groups from the rows of their buckets) or 'buckets'
-- (the touched buckets re-aggregated).  Makes pg_temp._dataeng_buckets (the
-- touched buckets, rec: one of a group to recompute) and
-- pg_temp._dataeng_rec_buckets; idx_r, idx_t: whether the recompute and the
-- buckets read through an index on the time column.  delta: the group
-- deltas (keys bucket and the dimensions); knull, sent: the keys' NULL
-- handling of _fact_keys_eq; can_lock: the owner may hold the source's
-- writers off (without, and no group to recompute, the delta path).
CREATE FUNCTION dataeng_internal._fact_choose_path(d dataeng_internal.fact_defs, delta text, n_rec bigint,
                                                   indexed boolean, knull boolean[], sent text[], can_lock boolean,
                                                   OUT path text, OUT idx_r boolean, OUT idx_t boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n_groups bigint;
  fg_t bigint;
  rows_t numeric;
  rows_r numeric;
  src_rows numeric;
  cost_delta numeric;
  cost_buckets numeric;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s d', delta) INTO n_groups;
  PERFORM dataeng_internal._agg_temp_as('_dataeng_buckets',
    format('SELECT DISTINCT d.bucket, %s AS rec FROM %s d',
           CASE WHEN n_rec > 0
                THEN format('EXISTS (SELECT 1 FROM pg_temp._dataeng_recompute r WHERE %s)',
                            dataeng_internal._fact_keys_eq(ARRAY['r.bucket'], ARRAY['d.bucket'], knull[1:1], sent[1:1]))
                ELSE 'false' END, delta));
  PERFORM dataeng_internal._agg_temp_as('_dataeng_rec_buckets',
    'SELECT b.bucket FROM pg_temp._dataeng_buckets b WHERE b.rec');
  EXECUTE format('SELECT count(*), coalesce(sum(f.__rows), 0), coalesce(sum(f.__rows) FILTER (WHERE b.rec), 0) '
                 'FROM %s f JOIN pg_temp._dataeng_buckets b ON %s',
                 d.storage_table,
                 dataeng_internal._fact_keys_eq(ARRAY['f.bucket'], ARRAY['b.bucket'], knull[1:1], sent[1:1]))
    INTO fg_t, rows_t, rows_r;
  SELECT CASE WHEN c.reltuples > 0 THEN c.reltuples::numeric END INTO src_rows
    FROM pg_class c WHERE c.oid = d.source;
  IF src_rows IS NULL THEN
    EXECUTE format('SELECT coalesce(sum(__rows), 0) FROM %s', d.storage_table) INTO src_rows;
  END IF;
  -- rows read: a range scan of the buckets with an index on the time
  -- column (1.5 per row), the whole source without; each row read is
  -- aggregated (or probed) once; a group merged or written costs 4
  -- (the index is used only when its range scans read less than the
  -- whole source would)
  idx_r := indexed AND 1.5 * rows_r < src_rows;
  idx_t := indexed AND 1.5 * rows_t < src_rows;
  cost_delta := 4 * n_groups + CASE WHEN idx_r THEN 1.5 * rows_r ELSE src_rows END + rows_r + 4 * n_rec;
  cost_buckets := CASE WHEN idx_t THEN 1.5 * rows_t ELSE src_rows END + rows_t + 4 * fg_t;
  -- (dataeng.fact_refresh_path = 'delta' or 'buckets' forces a path:
  -- for tests and comparisons)
  path := CASE current_setting('dataeng.fact_refresh_path')
            WHEN 'delta' THEN 'delta' WHEN 'buckets' THEN 'buckets'
            ELSE CASE WHEN cost_buckets < cost_delta AND (can_lock OR n_rec > 0) THEN 'buckets'
                      ELSE 'delta' END END;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_choose_path(dataeng_internal.fact_defs, text, bigint, boolean, boolean[], text[], boolean) IS
  'internal: the path of a fact refresh (delta or buckets) by the work each would do';

-- Refresh: apply the group deltas (see docs/facts.md, "Cost model").
--  1. _fact_deltas() folds the changes per group: net rows, non-NULL
--     counts, sums, and for min/max the extremes that came and went.
--  2. The groups to recompute: every group touched when a measure has no
--     delta (count(DISTINCT), float sums, min/max of types not folded); of
--     min/max, only those where a value that went is at or beyond the
--     group's extreme (otherwise min = least(stored, least that came)).
--  3. The path, by the work each would do (dataeng.facts.last_refresh_path):
--     'delta' (and 'delta, N groups recomputed'): MERGE the deltas, then
--     recompute those groups set-based from the rows of their buckets;
--     'buckets': re-aggregate the touched buckets from the source, when
--     that reads no more than the recompute would anyway.
-- What a refresh of fact d builds from its definition and the catalogs
-- before it reads any change (side: the fact's count(DISTINCT) side table,
-- NULL if none): the texts of its statements and the lists it passes to
-- _fact_deltas() and _fact_apply().  _fact_refresh keeps them for the
-- session (_fact_built, src/aggregate/built.c) and builds them again only
-- when the definition, a relation they read or a catalog they depend on
-- changes; the fields are _fact_refresh's variables of the same names
-- (q_*: the fields of _fact_sql(d)).
CREATE TYPE dataeng_internal.fact_refresh_build AS (
  q_key_cols text,
  q_key_join text,
  q_bucket_s text,
  q_ins_cols text,
  q_ins_sel text,
  q_rec_set text,
  q_rec_sel text,
  side regclass,
  ttype regtype,
  btype regtype,
  keys text[],
  vals text[],
  summed boolean[],
  extreme boolean[],
  dvals boolean[],
  kcols text,
  reagg text,
  agg_cols text[],
  dc_cols text[],
  ins_cols text,
  ins_vals text,
  upd text,
  upd_m text,
  rec_all boolean,
  xcond text,
  xfold text,
  upd_fast text,
  ins_fast text,
  xcond_after text,
  upd_m_plain text,
  ins_cols_plain text,
  ins_vals_plain text,
  ins_cols_x text,
  dcm int[],
  dci int[],
  dc_list text,
  nan_cond text,
  c_add text[],
  c_sum text[],
  c_sumn text[],
  c_x text[],
  c_xk int[],
  c_xdesc boolean[],
  image_keys boolean,
  delta text,
  knull boolean[],
  fkeys text[],
  dkeys text[],
  rkeys text[],
  skeys text[],
  kk text[],
  d_bucket text,
  d_dims text,
  d_cols text
);
COMMENT ON TYPE dataeng_internal.fact_refresh_build IS
  'internal: what a fact refresh builds from the fact''s definition (_fact_refresh_build), kept for the session';

CREATE FUNCTION dataeng_internal._fact_refresh_build(d dataeng_internal.fact_defs, side regclass)
RETURNS dataeng_internal.fact_refresh_build
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  q record;
  has_t boolean := false;
  delta text;
  ttype regtype;
  btype regtype;
  keys text[];
  sub text;
  agg text := 'sum(rows)::bigint AS __rows';
  flat text := 'rows AS __rows';
  reagg text := 'sum(__rows)::bigint AS __rows';   -- flat's columns added up again
  agg_cols text[] := ARRAY['__rows'];
  kcols text;
  ins_cols text;
  ins_vals text;
  upd text := '__rows = f.__rows + EXCLUDED.__rows';
  upd_m text := '__rows = f.__rows + d.__rows';
  ms dataeng_internal.fact_measure[];  -- the measures, typed
  m dataeng_internal.fact_measure;
  i int := 0;
  vals text[] := '{}';
  vcols text[] := '{}';
  vtypes text[] := '{}';
  v text;
  summed boolean[] := '{}';
  extreme boolean[] := '{}';
  sumtypes text[] := '{}';
  coldef text;
  img record;
  rec_all boolean := false;        -- a measure without delta: every touched group is recomputed
  xcond text;                      -- a group's reserve ran out (on the folded deltas d)
  xfold text;                      -- the new reserves and counts of min/max, from f and d
  upd_fast text;
  ins_fast text;
  xcond_after text;                -- a group's reserve ran out (on the fact f after the MERGE)
  p record;                        -- the clauses of one measure (_fact_delta_sql, _fact_reserve_sql)
  upd_m_plain text;                -- upd_m, ins_cols, ins_vals without the min/max of reserves
  ins_cols_plain text;
  ins_vals_plain text;
  ins_cols_x text := '';           -- the min/max of reserves, their counts and reserves
  x_piece text[] := '{}';          -- what the min/max of reserves added to upd_m, ins_cols, ins_vals
  mi int := 0;                     -- the measure's position
  vtyp text;
  xtyp text;
  knull boolean[];
  fkeys text[];
  dkeys text[];
  rkeys text[];
  skeys text[];
  -- count(DISTINCT) measures kept with per-value counts (mode 'distinct')
  dvals boolean[] := '{}';         -- the value columns whose values in and out come
  dmo int[] := '{}';               -- per value column: the distinct measure reading it
  dcm int[] := '{}';               -- the distinct measures' positions
  dci int[] := '{}';               -- and their value columns
  dc_cols text[] := '{}';          -- the values-in and values-out columns of the deltas
  dc_list text := '';              -- the per-group change of each distinct count
  mo int := 0;
  image_keys boolean;              -- the deltas' groups are the GROUP BY's (_agg_image_keys)
  nan_cond text;                   -- a numeric sum's delta is NaN or infinite (on the deltas d)
  m_val text[] := '{}';            -- per measure: its value (_fact_measure_value)
  m_x boolean[] := '{}';           -- and whether it is a min/max kept with its reserve
  c_add text[] := '{}';            -- the counts a direct apply adds up (_fact_apply)
  c_sum text[] := '{}';            -- the sums it adds up
  c_sumn text[] := '{}';           -- and their counts of values
  c_x text[] := '{}';              -- the min/max it makes from their reserves (six names each)
  c_xk int[] := '{}';              -- and their reserves' sizes
  c_xdesc boolean[] := '{}';       -- and orders
  b dataeng_internal.fact_refresh_build;
BEGIN
  SELECT * INTO q FROM dataeng_internal._fact_sql(d);
  ms := dataeng_internal._fact_measures(d.spec);
  ttype := (dataeng_internal._agg_column(d.source, d.time_column, 'time column')).typ;
  btype := dataeng_internal._fact_bucket_type(d.storage_table);
  keys := ARRAY['bucket'] || d.dimensions;
  -- The changes come folded by _fact_deltas() (src/aggregate/delta.c): per
  -- group of (bucket, dimension values) the net number of rows (the old
  -- row images of updates and deletes count -1, the new ones of inserts
  -- and updates +1) and, per value column, the net number of non-NULL
  -- values, for sums their net sum, for min/max the least and greatest
  -- values that came and went; then one total row counting the changes
  -- and telling whether a TRUNCATE came.  It forms groups by the values'
  -- binary images: when a dimension's type has values that are equal but
  -- stored differently (numeric 1.0 and 1.00, a case-insensitive
  -- collation...), a GROUP BY merges those groups by the types' equality.
  img := dataeng_internal._agg_image_cols(d.source, d.dimensions);
  coldef := '@FACT_DELTAS_COLUMNS@' || img.coldef;
  sub := 'c.bucket AS k0';
  FOR i IN 1 .. cardinality(d.dimensions) LOOP
    sub := sub || format(', %s AS k%s', img.exprs[i], i);
  END LOOP;
  -- The value columns _fact_deltas() folds: each measure's value (a column
  -- s.<col>, or its expression and filter), once per distinct value.
  FOREACH m IN ARRAY ms LOOP
    v := dataeng_internal._fact_measure_value(m);
    m_val := m_val || v;
    m_x := m_x || (m.agg IN ('min', 'max') AND m.reserve IS NOT NULL
                   AND dataeng_internal._fact_measure_extreme_ok(d.source, m));
    IF m_x[cardinality(m_x)] THEN
      m.mode := 'extreme';
    END IF;
    mo := mo + 1;
    IF m.mode IN ('delta', 'extreme', 'distinct') AND v IS NOT NULL THEN
      IF NOT v = ANY (vals) THEN
        vals := vals || v;
        vcols := vcols || CASE WHEN m.expr IS NULL THEN m.col END;
        vtypes := vtypes || m.argtype::text;
        summed := summed || false;
        extreme := extreme || false;
        dvals := dvals || false;
        dmo := dmo || NULL::int;
      END IF;
      IF m.agg IN ('sum', 'avg') THEN
        summed[array_position(vals, v)] := true;
      ELSIF m.mode = 'extreme' THEN
        extreme[array_position(vals, v)] := true;
      ELSIF m.mode = 'distinct' THEN
        -- (the values of the first such measure of this value column)
        dvals[array_position(vals, v)] := true;
        dmo[array_position(vals, v)] := coalesce(dmo[array_position(vals, v)], mo);
      END IF;
    ELSIF m.mode = 'recompute' THEN
      rec_all := true;
    END IF;
  END LOOP;
  FOR i IN 1 .. cardinality(vals) LOOP
    IF summed[i] THEN
      sumtypes[i] := CASE WHEN vcols[i] IS NOT NULL THEN dataeng_internal._agg_sum_type(d.source, vcols[i])
                          ELSE dataeng_internal._agg_sum_type_of(vtypes[i]::regtype) END;
    END IF;
    -- min/max: arrays of the column's type and, as the fact's min/max
    -- column, its collation (an expression: its type, of no collation:
    -- _fact_measure_extreme_ok)
    xtyp := CASE WHEN extreme[i] THEN coalesce(dataeng_internal._fact_col_array_type(d.source, vcols[i]),
                                                format_type(vtypes[i]::regtype, NULL) || '[]') END;
    -- count(DISTINCT): of the type and collation of the side table's
    -- values (the measure's argument's)
    vtyp := CASE WHEN dvals[i] THEN dataeng_internal._fact_col_array_type(side, '__v' || dmo[i]) END;
    IF dvals[i] AND vtyp IS NULL THEN
      RAISE EXCEPTION 'the side table % of fact "%" has no column %', side, d.name, '__v' || dmo[i]
        USING ERRCODE = 'undefined_column',
              HINT = format('Drop that table: the next SELECT dataeng.fact_refresh(%L) rebuilds the fact and makes it again.', d.name);
    END IF;
    SELECT * INTO p FROM dataeng_internal._fact_value_sql(i, CASE WHEN summed[i] THEN sumtypes[i] END, xtyp, vtyp);
    coldef := coldef || p.coldef;
    sub := sub || p.sub;
    agg := agg || p.agg;
    flat := flat || p.flat;
    reagg := reagg || p.reagg;
    agg_cols := agg_cols || p.agg_cols;
    IF dvals[i] THEN
      dc_cols := dc_cols || ('__v_in_' || i) || ('__v_out_' || i);
    END IF;
  END LOOP;
  kcols := (SELECT string_agg('k' || o, ', ') FROM generate_series(0, cardinality(d.dimensions)) o);
  ins_cols := q.key_cols || ', __rows';
  ins_vals := q.key_cols || ', __rows';
  FOREACH m IN ARRAY ms LOOP
    mi := mi + 1;
    v := m_val[mi];
    IF m_x[mi] THEN
      -- min/max kept with its reserve (_fact_reserve_sql)
      SELECT * INTO p FROM dataeng_internal._fact_reserve_sql(m, array_position(vals, v), mi);
      xfold := coalesce(xfold, '') || p.xfold;
      x_piece := x_piece || p.ins_col || p.ins_val || p.upd_m;
      ins_cols := ins_cols || p.ins_col;
      ins_cols_x := ins_cols_x || p.ins_col;
      ins_vals := ins_vals || p.ins_val;
      upd_m := upd_m || p.upd_m;
      upd := upd || p.upd;
      xcond := coalesce(xcond || ' OR ', '') || p.xcond;
      upd_fast := coalesce(upd_fast, '') || p.upd_fast;
      ins_fast := coalesce(ins_fast, '') || p.ins_fast;
      xcond_after := coalesce(xcond_after || ' OR ', '') || p.xcond_after;
      c_x := c_x || ARRAY[m.name, '__nn_' || m.name, '__x_' || m.name,
                          format('__x_in_%s_%s', CASE m.agg WHEN 'min' THEN 'lo' ELSE 'hi' END, array_position(vals, v)),
                          '__x_n_' || array_position(vals, v),
                          format('__x_out_%s_%s', CASE m.agg WHEN 'min' THEN 'lo' ELSE 'hi' END, array_position(vals, v))];
      c_xk := c_xk || m.reserve;
      c_xdesc := c_xdesc || (m.agg = 'max');
      CONTINUE;
    END IF;
    IF m.mode = 'distinct' THEN
      -- count(DISTINCT): the change of each group's count, from its
      -- per-value counts (pg_temp._dataeng_dc_groups, below)
      dc_list := dc_list || format(', coalesce(g.%I, 0)::bigint AS %I', '__dc' || mi, m.name);
      dcm := dcm || mi;
      dci := dci || array_position(vals, v);
    ELSE
      CONTINUE WHEN m.mode <> 'delta';
    END IF;
    -- a delta, or a count(DISTINCT) (_fact_delta_sql)
    i := array_position(vals, v);
    SELECT * INTO p FROM dataeng_internal._fact_delta_sql(m, i, sumtypes[i]);
    IF m.mode = 'delta' AND m.agg IN ('count_star', 'count') THEN
      c_add := c_add || m.name;
    ELSIF m.mode = 'delta' THEN
      c_sum := c_sum || CASE m.agg WHEN 'sum' THEN m.name ELSE '__sum_' || m.name END;
      c_sumn := c_sumn || CASE m.agg WHEN 'sum' THEN '__nn_' || m.name ELSE '__cnt_' || m.name END;
    END IF;
    -- a numeric sum whose delta is NaN or infinite: such a value came or
    -- went (NaN - NaN and Infinity - Infinity are NaN, never the sum of the
    -- values left), so the group is recomputed (its sum is in rec_set:
    -- _fact_sql, the same test)
    IF m.mode = 'delta' AND m.agg IN ('sum', 'avg') AND dataeng_internal._agg_sum_type_of(m.argtype) = 'numeric' THEN
      xcond := coalesce(xcond || ' OR ', '') || format('d.%I IN (''NaN''::numeric, ''Infinity'', ''-Infinity'')',
                                                       CASE m.agg WHEN 'sum' THEN m.name ELSE '__sum_' || m.name END);
      xcond_after := coalesce(xcond_after || ' OR ', '') || format('d.%I IN (''NaN''::numeric, ''Infinity'', ''-Infinity'')',
                                                                   CASE m.agg WHEN 'sum' THEN m.name ELSE '__sum_' || m.name END);
      nan_cond := coalesce(nan_cond || ' OR ', '') || format('d.%I IN (''NaN''::numeric, ''Infinity'', ''-Infinity'')',
                                                             CASE m.agg WHEN 'sum' THEN m.name ELSE '__sum_' || m.name END);
    END IF;
    agg := agg || p.agg;
    flat := flat || p.flat;
    reagg := reagg || p.reagg;
    agg_cols := agg_cols || p.agg_cols;
    ins_cols := ins_cols || p.ins_cols;
    ins_vals := ins_vals || p.ins_vals;
    upd := upd || p.upd;
    upd_m := upd_m || p.upd_m;
  END LOOP;

  upd_m_plain := upd_m;
  ins_cols_plain := ins_cols;
  ins_vals_plain := ins_vals;
  FOR i IN 1 .. cardinality(x_piece) LOOP
    CASE i % 3
      WHEN 1 THEN ins_cols_plain := replace(ins_cols_plain, x_piece[i], '');
      WHEN 2 THEN ins_vals_plain := replace(ins_vals_plain, x_piece[i], '');
      ELSE upd_m_plain := replace(upd_m_plain, x_piece[i], '');
    END CASE;
  END LOOP;

  -- Read and fold the changes (and merge groups equal by their types);
  -- _fact_deltas acknowledges what it read, in this transaction.  A
  -- TRUNCATE adds nothing to any group: the fact is then rebuilt.
  image_keys := dataeng_internal._agg_image_keys(d.source, d.dimensions);
  IF image_keys THEN
    delta := format('SELECT is_total, %s, %s, n_changes, has_t '
                    'FROM (SELECT c.is_total, c.n_changes, c.has_t, c.rows, %s '
                    '        FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(%s)) x',
                    kcols, flat, sub, coldef);
  ELSE
    delta := format('WITH x AS MATERIALIZED ('
                    '  SELECT c.is_total, c.n_changes, c.has_t, c.rows, %3$s '
                    '    FROM dataeng_internal._fact_deltas($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) AS c(%4$s)) '
                    'SELECT false AS is_total, %1$s, %2$s, NULL::bigint AS n_changes, NULL::boolean AS has_t '
                    '  FROM x WHERE NOT is_total GROUP BY %1$s '
                    'UNION ALL '
                    'SELECT true, %5$s, n_changes, has_t FROM x WHERE is_total',
                    kcols, agg, sub, coldef,
                    -- (the total row: its rows are the times the fold wrote its groups out)
                    (SELECT string_agg(CASE WHEN o = 2 + cardinality(d.dimensions) THEN 'rows' ELSE 'NULL' END, ', ' ORDER BY o)
                       FROM generate_series(1, 1 + cardinality(d.dimensions) + cardinality(agg_cols)) o));
  END IF;
  -- the keys of the fact f, of the deltas d, of a recompute set r, of
  -- source rows s, whether each is nullable, and the deltas' key columns
  SELECT array_agg(NOT a.attnotnull ORDER BY o) INTO knull
    FROM unnest(keys) WITH ORDINALITY u(k, o)
    JOIN pg_attribute a ON a.attrelid = d.storage_table AND a.attname = k;
  fkeys := ARRAY(SELECT format('f.%I', k) FROM unnest(keys) k);
  dkeys := ARRAY(SELECT format('d.%I', k) FROM unnest(keys) k);
  rkeys := ARRAY(SELECT format('r.%I', k) FROM unnest(keys) k);
  skeys := ARRAY['s.__dataeng_bucket'] || ARRAY(SELECT format('s.%I', k) FROM unnest(d.dimensions) k);
  b.kk := ARRAY(SELECT 'k' || o FROM generate_series(0, cardinality(d.dimensions)) o);
  -- (the group deltas' select list, from the fold's table)
  b.d_bucket := dataeng_internal._fact_bucket_out('k0', btype, d.time_zone);
  b.d_dims := (SELECT string_agg(format(', k%s AS %I', o, k), '' ORDER BY o)
                 FROM unnest(d.dimensions) WITH ORDINALITY u(k, o));
  -- (the values of count(DISTINCT) measures that came and went are
  -- applied to the side table, not carried in the deltas)
  b.d_cols := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(agg_cols) c WHERE c <> ALL (dc_cols));
  b.q_key_cols := q.key_cols;
  b.q_key_join := q.key_join;
  b.q_bucket_s := q.bucket_s;
  b.q_ins_cols := q.ins_cols;
  b.q_ins_sel := q.ins_sel;
  b.q_rec_set := q.rec_set;
  b.q_rec_sel := q.rec_sel;
  b.side := side;
  b.ttype := ttype;
  b.btype := btype;
  b.keys := keys;
  b.vals := vals;
  b.summed := summed;
  b.extreme := extreme;
  b.dvals := dvals;
  b.kcols := kcols;
  b.reagg := reagg;
  b.agg_cols := agg_cols;
  b.dc_cols := dc_cols;
  b.ins_cols := ins_cols;
  b.ins_vals := ins_vals;
  b.upd := upd;
  b.upd_m := upd_m;
  b.rec_all := rec_all;
  b.xcond := xcond;
  b.xfold := xfold;
  b.upd_fast := upd_fast;
  b.ins_fast := ins_fast;
  b.xcond_after := xcond_after;
  b.upd_m_plain := upd_m_plain;
  b.ins_cols_plain := ins_cols_plain;
  b.ins_vals_plain := ins_vals_plain;
  b.ins_cols_x := ins_cols_x;
  b.dcm := dcm;
  b.dci := dci;
  b.dc_list := dc_list;
  b.nan_cond := nan_cond;
  b.c_add := c_add;
  b.c_sum := c_sum;
  b.c_sumn := c_sumn;
  b.c_x := c_x;
  b.c_xk := c_xk;
  b.c_xdesc := c_xdesc;
  b.image_keys := image_keys;
  b.delta := delta;
  b.knull := knull;
  b.fkeys := fkeys;
  b.dkeys := dkeys;
  b.rkeys := rkeys;
  b.skeys := skeys;
  RETURN b;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_refresh_build(dataeng_internal.fact_defs, regclass) IS
  'internal: the statements and lists a refresh of a fact builds from its definition (kept for the session by _fact_refresh)';

-- A session's builds, kept per fact and role (src/aggregate/built.c):
-- _fact_built(key) returns what _fact_built_keep(key, deps, b) kept for
-- the current role, NULL once a relation of deps or a catalog the build
-- reads changed.
CREATE FUNCTION dataeng_internal._fact_built(key text)
RETURNS dataeng_internal.fact_refresh_build
AS 'MODULE_PATHNAME', 'dataeng_fact_built'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._fact_built(text) IS
  'internal: the build of a fact refresh kept for this session and the current role under key, NULL if none';
CREATE FUNCTION dataeng_internal._fact_built_keep(key text, deps oid[], b dataeng_internal.fact_refresh_build)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_fact_built_keep'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._fact_built_keep(text, oid[], dataeng_internal.fact_refresh_build) IS
  'internal: keeps the build of a fact refresh for this session and the current role, until the relations deps or the catalogs it read change';

CREATE FUNCTION dataeng_internal._fact_refresh(fact_name text, source_locked boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng_internal.fact_defs;
  can_lock boolean;                -- the owner may hold the source's writers off
  b dataeng_internal.fact_refresh_build;   -- built from the definition (_fact_refresh_build)
  bkey text;
  has_side boolean;                -- the fact has count(DISTINCT) measures kept in a side table
  n bigint := 0;
  has_t boolean := false;
  delta text;
  ttype regtype;
  btype regtype;
  keys text[];
  reagg text;                      -- the folded columns added up again
  parts bigint;
  agg_cols text[];
  kcols text;
  ins_cols text;
  ins_vals text;
  upd text;
  upd_m text;
  i int := 0;
  vals text[];
  summed boolean[];
  extreme boolean[];
  rec_all boolean;                 -- a measure without delta: every touched group is recomputed
  xcond text;                      -- a group's reserve ran out (on the folded deltas d)
  xfold text;                      -- the new reserves and counts of min/max, from f and d
  fast boolean;                    -- min/max folded in the MERGE itself, recompute judged after it
  upd_fast text;
  ins_fast text;
  xcond_after text;                -- a group's reserve ran out (on the fact f after the MERGE)
  upd_m_plain text;                -- upd_m, ins_cols, ins_vals without the min/max of reserves
  ins_cols_plain text;
  ins_vals_plain text;
  ins_cols_x text;                 -- the min/max of reserves, their counts and reserves
  knull boolean[];
  sent text[];
  has_val boolean[];
  fkeys text[];
  dkeys text[];
  rkeys text[];
  skeys text[];
  indexed boolean;
  idx_r boolean := false;
  idx_t boolean := false;
  n_groups bigint;
  n_rec bigint := 0;
  ch record;                       -- the path chosen (_fact_choose_path)
  path text := 'delta';
  -- count(DISTINCT) measures kept with per-value counts (mode 'distinct')
  side regclass;                   -- the side table holding those counts
  dvals boolean[];                 -- the value columns whose values in and out come
  dcm int[];                       -- the distinct measures' positions
  dci int[];                       -- and their value columns
  dc_cols text[];                  -- the values-in and values-out columns of the deltas
  dc_list text;                    -- the per-group change of each distinct count
  dc_sum text;
  dc_q text;
  delta_m text;                    -- the deltas with those changes, for the MERGE
  wm text := '';                   -- the groups of buckets not backfilled yet, left out
  mo int := 0;
  j int;
  image_keys boolean;              -- the deltas' groups are the GROUP BY's (_agg_image_keys)
  rec_any boolean;                 -- a group may need a recompute (checked before looking for it)
  nan_cond text;                   -- a numeric sum's delta is NaN or infinite (on the deltas d)
  nan_any boolean := false;        -- a group's is (read with the total row)
  c_add text[];                    -- the counts a direct apply adds up (_fact_apply)
  c_sum text[];                    -- the sums it adds up
  c_sumn text[];                   -- and their counts of values
  c_why text;                      -- why _fact_apply left the deltas to the MERGE
  c_dc text[];                     -- the count(DISTINCT)s it applies (three names each)
  c_x text[];                      -- the min/max it makes from their reserves (six names each)
  c_xk int[];                      -- and their reserves' sizes
  c_xdesc boolean[];               -- and orders
  held boolean := false;           -- the fold's groups held in memory for the C apply
BEGIN
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_refresh() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It polls the change log, which cuts batches only there.';
  END IF;
  -- The fact's row lock serializes refreshes of one fact: a second one
  -- waits, then starts from the position the first acknowledged.
  d := dataeng_internal._fact_def(fact_name, true);
  IF d.owner <> current_user::regrole THEN
    -- another role with the owner's rights: the work runs as the owner
    RETURN dataeng_internal._agg_as_owner(d.owner, 'fact_refresh', d.name);
  END IF;
  -- A refresh that reads its source again (the touched buckets aggregated
  -- again, or groups recomputed) must read exactly the rows its batch of
  -- changes leads to: a writer committing between the batch's cut and that
  -- read would be counted there, and again when its changes come in the
  -- next batch.  So such a refresh is made again (dataeng.fact_refresh)
  -- with the source's writers held off (SHARE, as fact_rebuild does)
  -- before the batch is cut.  An owner without the right to that lock
  -- (UPDATE, DELETE or TRUNCATE on the source) gets the delta path instead
  -- of the buckets one; only its recomputes read without the lock.
  can_lock := has_table_privilege(d.source, 'UPDATE, DELETE, TRUNCATE');
  PERFORM dataeng_internal._fact_source_check(d);
  IF source_locked THEN
    EXECUTE format('LOCK TABLE %s IN SHARE MODE', d.source);
  END IF;
  -- What the refresh builds from the definition (_fact_refresh_build):
  -- kept for the session per fact and role, until the definition, the
  -- relations it read or a catalog it depends on changes (_fact_built,
  -- src/aggregate/built.c); the key holds every field of the definition
  -- the build reads.
  bkey := ROW(d.name, d.fact_table::oid, d.owner::oid, d.source::oid, d.storage_table::oid, d.time_column,
              d.grain, d.time_zone, d.dimensions, d.measures, d.spec)::text;
  b := dataeng_internal._fact_built(bkey);
  -- count(DISTINCT) measures kept in a side table that is not there (a fact
  -- of 0.1.0, or the table dropped by hand): the fact is rebuilt once,
  -- which makes it
  IF b.delta IS NULL THEN
    has_side := EXISTS (SELECT 1 FROM unnest(dataeng_internal._fact_measures(d.spec)) e
                         WHERE e.mode = 'distinct');   -- (_fact_has_side)
  ELSE
    has_side := b.side IS NOT NULL;
  END IF;
  IF has_side THEN
    side := dataeng_internal._fact_side_table(d);
    IF side IS NULL THEN
      n := dataeng_internal._fact_rebuild(d, 0);
      d.last_refresh_path := 'rebuild (count(DISTINCT) side table made)';
      PERFORM dataeng_internal._fact_def_write('refreshed', d, n);
      RETURN n;
    END IF;
  END IF;
  -- restored from a dump: the changes pending at the dump are in the
  -- source but were never captured for the new consumer; the fact is
  -- rebuilt once from its source
  IF d.resync_pending THEN
    n := dataeng_internal._fact_rebuild(d, 0);
    d.last_refresh_path := 'rebuild (resync from its source)';
    PERFORM dataeng_internal._fact_def_write('refreshed', d, n);
    RETURN n;
  END IF;
  IF b.delta IS NULL OR b.side IS DISTINCT FROM side THEN
    b := dataeng_internal._fact_refresh_build(d, side);
    PERFORM dataeng_internal._fact_built_keep(bkey, ARRAY[d.source, d.storage_table, side]::oid[], b);
  END IF;
  ttype := b.ttype;
  btype := b.btype;
  keys := b.keys;
  vals := b.vals;
  summed := b.summed;
  extreme := b.extreme;
  dvals := b.dvals;
  kcols := b.kcols;
  reagg := b.reagg;
  agg_cols := b.agg_cols;
  dc_cols := b.dc_cols;
  ins_cols := b.ins_cols;
  ins_vals := b.ins_vals;
  upd := b.upd;
  upd_m := b.upd_m;
  rec_all := b.rec_all;
  xcond := b.xcond;
  xfold := b.xfold;
  upd_fast := b.upd_fast;
  ins_fast := b.ins_fast;
  xcond_after := b.xcond_after;
  upd_m_plain := b.upd_m_plain;
  ins_cols_plain := b.ins_cols_plain;
  ins_vals_plain := b.ins_vals_plain;
  ins_cols_x := b.ins_cols_x;
  dcm := b.dcm;
  dci := b.dci;
  dc_list := b.dc_list;
  nan_cond := b.nan_cond;
  c_add := b.c_add;
  c_sum := b.c_sum;
  c_sumn := b.c_sumn;
  c_x := b.c_x;
  c_xk := b.c_xk;
  c_xdesc := b.c_xdesc;
  image_keys := b.image_keys;
  delta := b.delta;
  knull := b.knull;
  fkeys := b.fkeys;
  dkeys := b.dkeys;
  rkeys := b.rkeys;
  skeys := b.skeys;
  -- (the table is made from the query's columns, analysed only: its
  -- parameters stand for typed NULLs there; kept for the session and
  -- emptied by the next refresh, _agg_temp_kept)
  PERFORM dataeng_internal._agg_temp_kept('_dataeng_delta_raw',
    replace(delta, '($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
            '(NULL::text, NULL::regclass, NULL::text, NULL::text, NULL::text, NULL::text[], NULL::text[], '
            'NULL::boolean[], NULL::boolean[], NULL::boolean[])'));
  -- A fact the C apply takes whole (the conditions of its call below that
  -- are known before the fold): the fold's groups are held in memory for
  -- it, only the total row written to the table (src/aggregate/held.c);
  -- they are written there before any statement reads them from it.
  IF image_keys AND position('IS NOT DISTINCT FROM' IN b.q_key_join) = 0 AND NOT (true = ANY (knull)) AND NOT rec_all
     AND d.backfilled_upto IS NULL AND btype = 'timestamptz'::regtype
     AND current_setting('dataeng.fact_refresh_path') <> 'buckets' THEN
    held := dataeng_internal._fact_deltas_hold('pg_temp._dataeng_delta_raw'::regclass, delta);
  END IF;
  EXECUTE 'INSERT INTO pg_temp._dataeng_delta_raw ' || delta
    USING d.consumer, d.source, d.time_column, d.grain, d.time_zone, d.dimensions, vals, summed, extreme, dvals;
  -- (and whether a group's numeric sum has a NaN or infinite delta: the
  -- fold marks such a sum column NaN in its total row, which the groups
  -- of image keys keep as it came; else looked for in the same read; a
  -- group's parts have one exactly when their sum does)
  IF image_keys THEN
    -- (the fold's total row as it wrote it, with whether a numeric sum's
    -- column of it is NaN: the groups of image keys keep it as it came,
    -- so it is not looked for among them, _fact_deltas_total)
    SELECT t.n_changes, t.has_t, t.parts, t.nan AND nan_cond IS NOT NULL INTO n, has_t, parts, nan_any
      FROM dataeng_internal._fact_deltas_total() t;
  ELSIF nan_cond IS NULL THEN
    SELECT coalesce(r.n_changes, 0), coalesce(r.has_t, false), coalesce(r.__rows, 0) INTO n, has_t, parts
      FROM pg_temp._dataeng_delta_raw r WHERE r.is_total;
  ELSE
    EXECUTE format('SELECT coalesce(max(d.n_changes) FILTER (WHERE d.is_total), 0), '
                   'coalesce(bool_or(d.has_t) FILTER (WHERE d.is_total), false), '
                   'coalesce(max(d.__rows) FILTER (WHERE d.is_total), 0), '
                   'coalesce(bool_or(%s) FILTER (WHERE NOT d.is_total), false) '
                   'FROM pg_temp._dataeng_delta_raw d', nan_cond)
      INTO n, has_t, parts, nan_any;
  END IF;
  -- (held, unless the C apply alone reads them: parts to add up, a
  -- TRUNCATE, a numeric sum to recompute)
  IF held AND (n = 0 OR has_t OR parts > 0 OR nan_any) THEN
    PERFORM dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass);
    held := false;
  END IF;
  IF parts > 0 AND NOT has_t AND image_keys THEN
    -- The fold wrote its groups out whenever they took more memory than a
    -- hash aggregate may (work_mem times hash_mem_multiplier; the total
    -- row counts those times): a group may come in several rows, added up
    -- here into a table that then takes the place of the raw one.
    PERFORM dataeng_internal._agg_temp_table('_dataeng_delta_parts', 'SELECT * FROM pg_temp._dataeng_delta_raw');
    EXECUTE format('INSERT INTO pg_temp._dataeng_delta_parts SELECT false, %1$s, %2$s, NULL::bigint, NULL::boolean '
                   'FROM pg_temp._dataeng_delta_raw WHERE NOT is_total GROUP BY %1$s '
                   'UNION ALL SELECT * FROM pg_temp._dataeng_delta_raw WHERE is_total', kcols, reagg);
    DROP TABLE pg_temp._dataeng_delta_raw;
    ALTER TABLE pg_temp._dataeng_delta_parts RENAME TO _dataeng_delta_raw;
  END IF;

  IF n > 0 AND has_t THEN
    n := dataeng_internal._fact_rebuild(d, n);
    path := 'rebuild';
  ELSIF n > 0 THEN
    -- The group deltas: while the fact is being backfilled, the groups of
    -- buckets not backfilled yet (and the NULL bucket) are left out:
    -- fact_backfill will read those rows as they are then, these changes
    -- included.  (A group is in one bucket, so this leaves out exactly the
    -- row images of those buckets.)
    wm := CASE WHEN d.backfilled_upto IS NOT NULL
               THEN format('AND k0 < %L::timestamptz',    -- read back whatever DateStyle is
                           CASE WHEN isfinite(d.backfilled_upto)
                                THEN to_char(d.backfilled_upto AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD"T"HH24:MI:SS.US"+00"')
                                ELSE d.backfilled_upto::text END)
               ELSE '' END;
    -- (the values of count(DISTINCT) measures that came and went are
    -- applied to the side table below, not carried in the deltas)
    delta := format('(SELECT %s AS bucket%s, %s FROM pg_temp._dataeng_delta_raw WHERE NOT is_total %s)',
                    b.d_bucket, b.d_dims, b.d_cols, wm);

    -- Keys of the fact f, of the deltas d, of a recompute set r, of
    -- source rows s, and a hashable equality on them (nullable keys
    -- through a sentinel value found among the deltas' own keys).
    -- (whether a nullable key has a value among the deltas: no query when
    -- every key column is NOT NULL)
    IF true = ANY (knull) THEN
      EXECUTE format('SELECT ARRAY[%s] FROM pg_temp._dataeng_delta_raw WHERE NOT is_total',
                     (SELECT string_agg(format('bool_or(k%s IS NOT NULL)', o), ', ' ORDER BY o)
                        FROM generate_series(0, cardinality(d.dimensions)) o))
        INTO has_val;
    END IF;
    IF true = ANY (knull) THEN
      SELECT array_agg(CASE WHEN knull[o + 1] AND has_val[o + 1]
                            THEN format('(SELECT %2$s FROM pg_temp._dataeng_delta_raw x '
                                        'WHERE NOT x.is_total AND x.k%1$s IS NOT NULL LIMIT 1)', o,
                                        CASE WHEN o = 0 THEN dataeng_internal._fact_bucket_out('x.k0', btype, d.time_zone)
                                             ELSE format('x.k%s', o) END) END ORDER BY o)
        INTO sent FROM generate_series(0, cardinality(d.dimensions)) o;
    ELSE
      sent := array_fill(NULL::text, ARRAY[cardinality(keys)]);
    END IF;

    -- With min/max only, a key of no NULL and the delta path allowed, the
    -- MERGE itself makes the new reserves from each group's row, and the
    -- groups whose reserve ran out are found after it.  Otherwise (a
    -- measure recomputed, the upsert, the buckets forced): the group
    -- deltas joined once to the fact, with the groups' rows before this
    -- refresh (__frows) and the new reserves of min/max.
    fast := xfold IS NOT NULL AND NOT rec_all AND position('IS NOT DISTINCT FROM' IN b.q_key_join) = 0
            AND current_setting('dataeng.fact_refresh_path') <> 'buckets';
    IF (rec_all OR xfold IS NOT NULL) AND NOT fast THEN
      PERFORM dataeng_internal._agg_temp_as('_dataeng_delta', format(
        'SELECT d.*, coalesce(f.__rows, 0) AS __frows%s FROM %s d LEFT JOIN %s f ON %s',
        coalesce(xfold, ''), delta, d.storage_table, dataeng_internal._fact_keys_eq(fkeys, dkeys, knull, sent)));
      delta := 'pg_temp._dataeng_delta';
    END IF;

    -- The groups to recompute (all the touched ones with a measure
    -- recomputed; else those whose reserve of a min/max ran out), the
    -- groups this refresh empties left out.
    -- (with neither, only a numeric sum's NaN or infinite delta makes a
    -- group to recompute: one EXISTS on the deltas first, rarely true)
    rec_any := rec_all OR xfold IS NOT NULL;
    IF xcond IS NOT NULL AND NOT rec_any AND NOT fast THEN
      rec_any := nan_any;
    END IF;
    IF (rec_all OR xcond IS NOT NULL) AND rec_any AND NOT fast THEN
      n_rec := dataeng_internal._agg_temp_as('_dataeng_recompute', format(
        'SELECT %s FROM %s d WHERE %s %s',
        array_to_string(ARRAY(SELECT format('d.%I', k) FROM unnest(keys) k), ', '),
        delta, CASE WHEN rec_all OR xfold IS NOT NULL THEN 'd.__frows + d.__rows > 0' ELSE 'true' END,
        CASE WHEN rec_all THEN '' ELSE 'AND (' || xcond || ')' END));
    END IF;
    -- (with none, no table: nothing below reads pg_temp._dataeng_recompute
    -- unless n_rec > 0)

    -- The path: the delta (MERGE, then the recompute of n_rec groups from
    -- the rows of their buckets) or the touched buckets re-aggregated,
    -- whichever reads and writes fewer rows (docs/facts.md, "Cost model").
    -- (Without a group to recompute and the path not forced, the delta:
    -- nothing to weigh.)
    IF n_rec > 0 OR current_setting('dataeng.fact_refresh_path') = 'buckets' THEN
      indexed := dataeng_internal._fact_time_indexed(d);
      SELECT * INTO ch FROM dataeng_internal._fact_choose_path(d, delta, n_rec, indexed, knull, sent, can_lock);
      path := ch.path;
      idx_r := ch.idx_r;
      idx_t := ch.idx_t;
    END IF;
    IF (path = 'buckets' OR n_rec > 0) AND can_lock AND NOT source_locked THEN
      RAISE EXCEPTION 'fact refresh reads its source again' USING ERRCODE = 'DE001';
    END IF;

    IF path = 'buckets' THEN
      -- every group of the touched buckets aggregated again from its rows
      EXECUTE format('DELETE FROM %s f USING pg_temp._dataeng_buckets b WHERE %s', d.storage_table,
                     dataeng_internal._fact_keys_eq(ARRAY['f.bucket'], ARRAY['b.bucket'], knull[1:1], sent[1:1]));
      EXECUTE dataeng_internal._fact_groups_insert_sql(d, b.q_ins_cols,
                's.__dataeng_bucket' || substr(b.q_ins_sel, length(b.q_bucket_s) + 1),
                dataeng_internal._fact_bucket_rows(d, ttype, idx_t, '_dataeng_buckets'), NULL);
      GET DIAGNOSTICS n_groups = ROW_COUNT;
      IF side IS NOT NULL THEN
        -- and their per-value counts
        EXECUTE format('DELETE FROM %s f USING pg_temp._dataeng_buckets b WHERE %s', side,
                       dataeng_internal._fact_keys_eq(ARRAY['f.bucket'], ARRAY['b.bucket'], knull[1:1], sent[1:1]));
        PERFORM dataeng_internal._fact_side_fill(d, side,
                  dataeng_internal._fact_bucket_rows(d, ttype, idx_t, '_dataeng_buckets'), 's.__dataeng_bucket',
                  NULL, NULL, NULL, NULL);
      END IF;
      path := format('buckets: %s re-aggregated, %s group%s', (SELECT count(*) FROM pg_temp._dataeng_buckets), n_groups,
                     CASE WHEN n_groups = 1 THEN '' ELSE 's' END);
    ELSE
      -- Counts and sums, min/max kept with their reserves and
      -- count(DISTINCT) kept with per-value counts, the deltas as the fold
      -- made them (no bucket left out, the bucket of their own type):
      -- applied in C (src/aggregate/fact_apply.c, the MERGE's rules), the
      -- values of each count(DISTINCT) that came and went merged into the
      -- group's chunks of the side table in the same pass (by the btree
      -- order and equality of the value type under the argument's
      -- collation, as count(DISTINCT)'s, the values whose count falls to
      -- zero left out; a value whose count goes from zero to positive adds
      -- one to its group's count, from positive to zero takes one away),
      -- unless the fact's table or its side table asks for more than it
      -- does (c_why: the SQL below then).  No source row is read.
      IF fast THEN
        -- (_fact_reserve_checked and the C apply count, in this backend,
        -- the new reserves that ran out: from 0)
        PERFORM dataeng_internal._fact_reserve_ran_out();
      END IF;
      c_why := 'the fact has measures other than counts, sums, min, max and count(DISTINCT), or a nullable key';
      IF position('IS NOT DISTINCT FROM' IN b.q_key_join) = 0 AND NOT rec_all AND (fast OR xfold IS NULL)
         AND wm = '' AND btype = 'timestamptz'::regtype THEN
        -- (per count(DISTINCT): the fact's column, the deltas' values that
        -- came and went; its side table and measure)
        c_dc := '{}';
        IF cardinality(dcm) > 0 THEN
          c_dc := ARRAY(SELECT x FROM unnest(dcm, dci) WITH ORDINALITY u(mo, vi, o),
                                      unnest(ARRAY[(dataeng_internal._fact_measures(d.spec))[u.mo].name,
                                                   '__v_in_' || u.vi, '__v_out_' || u.vi]) WITH ORDINALITY x(x, p)
                         ORDER BY u.o, x.p);
        END IF;
        c_why := dataeng_internal._fact_apply(d.storage_table, 'pg_temp._dataeng_delta_raw'::regclass, keys,
                   b.kk,
                   c_add, c_sum, c_sumn, c_x, c_xk, c_xdesc,
                   c_dc, array_fill(side, ARRAY[cardinality(dcm)]), dcm);
      END IF;
      IF held AND c_why IS NOT NULL THEN
        PERFORM dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass);
        held := false;
      END IF;
      IF c_why IS NOT NULL THEN
        -- count(DISTINCT) kept with per-value counts, by SQL: the values
        -- that came and went, netted per group and value, merged into the
        -- group's chunks in the side table as above
        -- (_fact_side_upsert_sql: by _fact_side_apply in C, or by an
        -- upsert when the side table asks for more);
        -- the change of each group's count in
        -- pg_temp._dataeng_dc_groups, joined to the deltas for the MERGE.
        delta_m := delta;
        IF cardinality(dcm) > 0 THEN
          -- (kept for the session and emptied, as _dataeng_delta_raw)
          -- (the side table's columns, each measure's values __v<n> as an
          -- array of them: _fact_side_changes_sql)
          PERFORM dataeng_internal._agg_temp_kept('_dataeng_dc', format('SELECT %s FROM %s s',
            (SELECT string_agg(CASE WHEN a.attname ~ '^__v[1-9][0-9]*$' THEN format('ARRAY[s.%1$I] AS %1$I', a.attname)
                                    WHEN a.attname ~ '^__a[1-9][0-9]*$' THEN NULL
                                    WHEN a.attname = '__n' THEN 'NULL::bigint AS __n'
                                    ELSE format('s.%I', a.attname) END, ', ' ORDER BY a.attnum)
               FROM pg_attribute a WHERE a.attrelid = side AND a.attnum > 0 AND NOT a.attisdropped),
            side));
          PERFORM dataeng_internal._agg_temp_kept('_dataeng_dc_ret', format(
            'SELECT s.ctid AS __tid, %s, s.__m, NULL::bigint AS __n, true AS __ins FROM %s s',
            array_to_string(ARRAY(SELECT format('s.%I', k) FROM unnest(keys) k), ', '), side));
          dc_sum := '';
          FOR j IN 1 .. cardinality(dcm) LOOP
            mo := dcm[j];
            i := dci[j];
            EXECUTE dataeng_internal._fact_side_changes_sql(d, btype, mo, i, wm);
            IF EXISTS (SELECT 1 FROM pg_rewrite w WHERE w.ev_class = side AND w.ev_type IN ('2', '3', '4')) THEN
              RAISE EXCEPTION 'cannot apply the per-value counts of fact % to %: it has INSERT, UPDATE or DELETE rules', d.name, side
                USING ERRCODE = 'feature_not_supported',
                      DETAIL = 'A side table with rules is written by a DELETE and an INSERT in WITH, which PostgreSQL refuses on a table with rules.',
                      HINT = format('Drop the rules of %s (it is written only by refreshes), or rebuild the fact with dataeng.fact_rebuild().', side);
            END IF;
            EXECUTE dataeng_internal._fact_side_upsert_sql(d, side, mo);
            dc_sum := dc_sum || format(', coalesce(sum((CASE WHEN r.__ins THEN r.__n WHEN r.__n = 0 THEN -1 ELSE r.__n END)::int) '
                                       'FILTER (WHERE r.__m = %s), 0) AS %I', mo, '__dc' || mo);
          END LOOP;
          dc_q := format('SELECT %s%s FROM pg_temp._dataeng_dc_ret r GROUP BY %s',
                         array_to_string(ARRAY(SELECT format('r.%I', k) FROM unnest(keys) k), ', '), dc_sum,
                         array_to_string(ARRAY(SELECT format('r.%I', k) FROM unnest(keys) k), ', '));
          PERFORM dataeng_internal._agg_temp_kept('_dataeng_dc_groups', dc_q);
          EXECUTE 'INSERT INTO pg_temp._dataeng_dc_groups ' || dc_q;
          ANALYZE pg_temp._dataeng_dc_groups;
          delta_m := format('(SELECT d.*%s FROM %s d LEFT JOIN pg_temp._dataeng_dc_groups g ON %s)',
                            dc_list, delta,
                            dataeng_internal._fact_keys_eq(dkeys, ARRAY(SELECT format('g.%I', k) FROM unnest(keys) k),
                                                           knull, sent));
        END IF;
        -- apply: one MERGE joins the deltas to the fact once, through its key
        -- index (_fact_merge), updates existing groups in place (fact tables
        -- leave room on their pages), deletes those it empties and inserts
        -- new ones.  Only refreshes write a fact, and they serialize: no group
        -- appears in between.  With a nullable key column (IS NOT DISTINCT
        -- FROM: neither hashable nor indexable) an upsert through the NULLS
        -- NOT DISTINCT key instead, then the emptied groups deleted.
        -- Deltas looked up one by one in the key index (_fact_merge does it
        -- when they are at most a quarter of the fact's rows: the same test)
        -- come in key order: consecutive lookups walk the index forward, and
        -- the heap too, filled in key order (_fact_groups_insert_sql).
        IF cardinality(dcm) = 0 AND position('IS NOT DISTINCT FROM' IN b.q_key_join) = 0
           AND 4 * (2 * n) < (SELECT c.reltuples FROM pg_class c WHERE c.oid = d.storage_table) THEN
          delta_m := format('(SELECT * FROM %s d ORDER BY %s)', delta_m, array_to_string(dkeys, ', '));
        END IF;
        IF fast THEN
          -- (ins_cols list min/max, their counts and reserves last: in the
          -- order of ins_fast)
          PERFORM dataeng_internal._fact_merge(
                    dataeng_internal._fact_merge_sql(d.storage_table, delta_m, b.q_key_join, upd_m_plain || upd_fast,
                                                     ins_cols_plain || ins_cols_x, ins_vals_plain || ins_fast),
                    d.storage_table, CASE WHEN cardinality(dcm) = 0 THEN 2 * n END);
        ELSIF position('IS NOT DISTINCT FROM' IN b.q_key_join) = 0 THEN
          PERFORM dataeng_internal._fact_merge(
                    dataeng_internal._fact_merge_sql(d.storage_table, delta_m, b.q_key_join, upd_m, ins_cols, ins_vals),
                    d.storage_table, CASE WHEN cardinality(dcm) = 0 THEN 2 * n END);
        ELSE
          EXECUTE dataeng_internal._fact_upsert_sql(d.storage_table, delta_m, b.q_key_cols, upd, ins_cols, ins_vals);
          EXECUTE format('DELETE FROM %s f USING %s d WHERE d.__rows <= 0 AND %s AND f.__rows <= 0',
                         d.storage_table, delta, dataeng_internal._fact_keys_eq(fkeys, dkeys, knull, sent));
        END IF;
      END IF;
      IF fast THEN
        -- the groups whose reserve ran out while they have values, or
        -- whose numeric sum's delta is NaN or infinite: looked for (and
        -- kept in a table) only when the apply counted a reserve run out
        -- or the deltas have such a sum; most refreshes have none
        rec_any := dataeng_internal._fact_reserve_ran_out() > 0;
        rec_any := rec_any OR nan_any;
        IF rec_any AND held THEN
          PERFORM dataeng_internal._fact_deltas_write('pg_temp._dataeng_delta_raw'::regclass);
          held := false;
        END IF;
        IF rec_any THEN
          n_rec := dataeng_internal._agg_temp_as('_dataeng_recompute', format(
            'SELECT %s FROM %s d JOIN %s f ON %s WHERE %s',
            array_to_string(ARRAY(SELECT format('d.%I', k) FROM unnest(keys) k), ', '),
            delta, d.storage_table, b.q_key_join, xcond_after));
        END IF;
        IF n_rec > 0 THEN
          indexed := dataeng_internal._fact_time_indexed(d);
          idx_r := dataeng_internal._fact_rec_buckets(d, indexed);
        END IF;
      END IF;
      -- min, max, count(DISTINCT) and float sums of the groups to
      -- recompute: one statement for all of them, reading the rows of
      -- their buckets (a range scan per bucket with an index on the time
      -- column, else one scan with a hash semi-join on the bucket), hash
      -- joined to the groups
      IF n_rec > 0 AND can_lock AND NOT source_locked THEN
        RAISE EXCEPTION 'fact refresh reads its source again' USING ERRCODE = 'DE001';
      END IF;
      IF n_rec > 0 THEN
        EXECUTE dataeng_internal._fact_recompute_sql(d.storage_table, b.q_rec_set, b.q_rec_sel, rkeys,
                  dataeng_internal._fact_bucket_rows(d, ttype, idx_r, '_dataeng_rec_buckets'),
                  dataeng_internal._fact_keys_eq(skeys, rkeys, knull, sent),
                  dataeng_internal._fact_keys_eq(fkeys, rkeys, knull, sent));
        path := format('delta, %s group%s recomputed', n_rec, CASE WHEN n_rec = 1 THEN '' ELSE 's' END);
      END IF;
    END IF;
  ELSE
    path := 'delta';
  END IF;

  IF parts > 0 AND NOT has_t THEN
    path := path || format(' (changes folded in %s parts, within work_mem)', parts + 1);
  END IF;
  d.last_refresh_path := path;
  PERFORM dataeng_internal._fact_def_write('refreshed', d, n);
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_refresh(text, boolean) IS
  'internal: body of dataeng.fact_refresh() (source_locked: the source''s writers held off before the batch is cut)';

-- A refresh; made again with the source's writers held off when it finds
-- it must read the source again (_fact_refresh: the first try is rolled
-- back whole, its acknowledgement too).
CREATE FUNCTION dataeng.fact_refresh(fact_name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF fact_name IS NULL THEN
    RAISE EXCEPTION 'fact_name must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = 'dataeng.fact_refresh() refuses a NULL argument instead of doing nothing.',
      HINT = 'Skip the call when the value is NULL (for example, a name that a query did not find).';
  END IF;
  BEGIN
    RETURN dataeng_internal._fact_refresh(fact_name, false);
  EXCEPTION WHEN SQLSTATE 'DE001' THEN
    NULL;
  END;
  RETURN dataeng_internal._fact_refresh(fact_name, true);
END;
$$;
COMMENT ON FUNCTION dataeng.fact_refresh(text) IS
  'Applies the source''s captured changes to a fact table and acknowledges them, in one transaction; returns the number of changes';

-- Recompute a fact from its source, exactly as its GROUP BY gives it
-- (writers held off, the changes pending read and acknowledged first, so
-- that the fact and its consumer's position agree again).
CREATE FUNCTION dataeng.fact_rebuild(fact_name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng_internal.fact_defs;
  n bigint;
BEGIN
  IF fact_name IS NULL THEN
    RAISE EXCEPTION 'fact_name must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = 'dataeng.fact_rebuild() refuses a NULL argument instead of doing nothing.',
      HINT = 'Skip the call when the value is NULL (for example, a name that a query did not find).';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_rebuild() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It polls the change log, which cuts batches only there.';
  END IF;
  d := dataeng_internal._fact_def(fact_name, true);
  IF d.owner <> current_user::regrole THEN
    RETURN dataeng_internal._agg_as_owner(d.owner, 'fact_rebuild', d.name);
  END IF;
  n := dataeng_internal._fact_rebuild(d, 0);
  d.last_refresh_path := 'rebuild';
  PERFORM dataeng_internal._fact_def_write('refreshed', d, n);
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng.fact_rebuild(text) IS
  'Recomputes a fact table from its source (GROUP BY) and moves its consumer past the changes pending, in one transaction; returns the number of changes skipped';

-- How far a backfill got: the share, in percent, of the time range the
-- source covered at fact_create that lies below the watermark (100 when
-- fully backfilled).
CREATE FUNCTION dataeng_internal._fact_backfill_pct(upto timestamptz, range_from timestamptz, range_to timestamptz)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN upto IS NULL THEN 100.0
              WHEN range_from IS NULL OR upto <= range_from THEN 0.0
              -- (epochs, not an interval: the difference of two
              -- timestamps more than 292471 years apart overflows)
              ELSE round(100 * least(1, (extract(epoch FROM upto) - extract(epoch FROM range_from))
                                        / nullif(extract(epoch FROM range_to) - extract(epoch FROM range_from), 0)), 1) END
$$;
COMMENT ON FUNCTION dataeng_internal._fact_backfill_pct(timestamptz, timestamptz, timestamptz) IS
  'internal: percentage of a fact''s time range backfilled (dataeng.facts, fact_backfill notices)';

-- One batch of fact_backfill, in the caller's transaction: hold writers
-- off (SHARE lock on the source: they wait for this batch only), lock the
-- fact's metadata row (after a refresh in progress, before the next one),
-- apply the changes pending (fact_refresh; those of buckets not backfilled
-- yet are left out, as this batch or a later one reads their rows as they
-- are now), then aggregate the source rows of the buckets from the
-- watermark to the next batch boundary and move the watermark there.  The
-- last batch takes every bucket from the watermark on, +infinity and the
-- NULL bucket included.  Reports progress as a NOTICE; returns whether the
-- fact is now fully backfilled and how many source rows this batch read.
CREATE FUNCTION dataeng_internal._fact_backfill_batch(fact_name text, batch interval,
                                             call_start timestamptz, call_rows bigint,
                                             OUT done boolean, OUT source_rows bigint)
RETURNS record
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng_internal.fact_defs;
  q record;
  ttype regtype;
  gi interval;
  step interval := batch;
  lo timestamptz;
  base timestamptz;
  hi timestamptz;
  last boolean;
  pred text;
  ibucket text;
  groups bigint;
  t0 timestamptz := clock_timestamp();
  secs numeric;
  shown text;
BEGIN
  IF fact_name IS NULL THEN
    RAISE EXCEPTION 'fact_name must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF batch IS NOT NULL AND batch <= interval '0' THEN
    RAISE EXCEPTION 'batch must be a positive interval, not %', batch
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Give the time range one batch covers, e.g. interval ''7 days'', or NULL for about a twentieth of the fact''s range.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.fact_backfill() must run in READ COMMITTED transactions'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'Each batch applies the pending changes first, which are cut only there.';
  END IF;
  d := dataeng_internal._fact_def(fact_name, false);
  IF d.owner <> current_user::regrole THEN
    RAISE EXCEPTION 'only the owner of fact "%" can backfill it', d.name
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'A backfill runs with the rights of the role calling it.',
            HINT = format('Let role %s run it.', d.owner);
  END IF;
  source_rows := 0;
  IF d.backfilled_upto IS NULL THEN
    done := true;
    RETURN;
  END IF;
  PERFORM dataeng_internal._agg_source_exists('fact', d.name, d.source);
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', d.source);
  d := dataeng_internal._fact_def(fact_name, true);
  IF d.backfilled_upto IS NULL THEN
    done := true;
    RETURN;
  END IF;
  PERFORM dataeng.fact_refresh(d.name);

  -- the batch: from the watermark to a bucket boundary about step later
  -- (at least one bucket), skipping the stretch before the first bucket
  gi := dataeng_internal._fact_grain(d.grain);
  IF step IS NULL THEN
    step := (d.backfill_to - d.backfill_from) / 20;
    IF step < interval '0' THEN
      -- (the difference overflowed: a range of more than 292471 years)
      step := make_interval(secs => (extract(epoch FROM d.backfill_to) - extract(epoch FROM d.backfill_from)) / 20);
    END IF;
  END IF;
  lo := d.backfilled_upto;
  IF d.backfill_from IS NULL THEN
    last := true;
  ELSE
    base := greatest(lo, d.backfill_from);
    BEGIN
      hi := date_trunc(d.grain, base + step, d.time_zone);
      IF hi <= base THEN
        hi := (base AT TIME ZONE d.time_zone + gi) AT TIME ZONE d.time_zone;
      END IF;
    EXCEPTION WHEN datetime_field_overflow THEN
      -- past the last timestamp: this batch takes the last buckets
      hi := 'infinity';
    END;
    last := hi >= d.backfill_to;
  END IF;

  -- the rows of those buckets: a range on the time column (an index on it
  -- serves), then exactly the buckets (a date range is rounded outwards)
  SELECT * INTO q FROM dataeng_internal._fact_sql(d);
  ttype := (dataeng_internal._agg_column(d.source, d.time_column, 'time column')).typ;
  ibucket := dataeng_internal._fact_bucket_expr(format('s.%I', d.time_column), ttype, d.grain, d.time_zone);
  IF last THEN
    pred := format('(s.%1$I IS NULL OR (s.%1$I >= %2$s AND %3$s >= $1))', d.time_column,
                   CASE WHEN ttype = 'timestamptz'::regtype
                        THEN format('(SELECT dataeng_internal._fact_bucket_split($1, %L, %L, false))', d.grain, d.time_zone)
                        -- (of a fact of 0.1.0 in another zone than UTC, as _fact_rows_pred)
                        WHEN d.time_zone <> 'UTC'
                        THEN format('((SELECT dataeng_internal._fact_bucket_split($1, %L, %L, false) - interval ''2 days'') AT TIME ZONE %L)%s',
                                    d.grain, d.time_zone, d.time_zone, CASE WHEN ttype = 'date'::regtype THEN '::date' ELSE '' END)
                        WHEN ttype = 'timestamp'::regtype THEN format('($1 AT TIME ZONE %L)', d.time_zone)
                        ELSE format('($1 AT TIME ZONE %L)::date', d.time_zone) END,
                   ibucket);
  ELSE
    pred := format('(%s AND %2$s >= $1 AND %2$s < $2)', dataeng_internal._fact_rows_pred(d, ttype, true), ibucket);
  END IF;
  EXECUTE format('WITH ins AS (%s RETURNING __rows) SELECT count(*), coalesce(sum(__rows), 0) FROM ins',
                 dataeng_internal._fact_groups_insert_sql(d, q.ins_cols, q.ins_sel, format('%s s', d.source), pred))
    INTO groups, source_rows
    USING lo, hi, false;
  IF dataeng_internal._fact_has_side(d) THEN
    PERFORM dataeng_internal._fact_side_fill(d, dataeng_internal._fact_side_table(d), format('%s s', d.source),
                                             q.bucket_s, pred, lo, hi, false);
  END IF;
  d.backfilled_upto := CASE WHEN last THEN NULL ELSE hi END;
  PERFORM dataeng_internal._fact_def_write('backfilled', d, 0);
  done := last;

  secs := extract(epoch FROM clock_timestamp() - call_start);
  -- the watermark as a bucket of the fact: a date or a timestamp is the
  -- bucket itself, not the instant it is kept as (its time in d.time_zone,
  -- UTC), which the session's zone would show as another day or hour
  shown := CASE dataeng_internal._fact_bucket_type(d.storage_table)
             WHEN 'date'::regtype THEN ((hi AT TIME ZONE d.time_zone)::date)::text
             WHEN 'timestamp'::regtype THEN (hi AT TIME ZONE d.time_zone)::text
             ELSE hi::text END;
  RAISE NOTICE '%',
    CASE WHEN last THEN format('fact "%s": backfill complete', d.name)
         ELSE format('fact "%s": backfilled below %s, %s%% of its time range', d.name, shown,
                     dataeng_internal._fact_backfill_pct(hi, d.backfill_from, d.backfill_to)) END
    USING DETAIL = format('This batch: %s source rows into %s %s in %s s. This call so far: %s rows in %s s (%s rows/s).',
                          source_rows, groups, CASE WHEN groups = 1 THEN 'group' ELSE 'groups' END, round(extract(epoch FROM clock_timestamp() - t0), 3),
                          call_rows + source_rows, round(secs, 3),
                          CASE WHEN secs > 0 THEN round((call_rows + source_rows) / secs) END);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_backfill_batch(text, interval, timestamptz, bigint) IS
  'internal: one batch of dataeng.fact_backfill(), in the caller''s transaction';

CREATE PROCEDURE dataeng.fact_backfill(fact_name text, batch interval DEFAULT NULL)
LANGUAGE plpgsql
-- (no SET clause: a procedure with one cannot COMMIT; the work is in
-- _fact_backfill_batch, which pins its search_path)
AS $$
DECLARE
  t0 timestamptz := pg_catalog.clock_timestamp();
  n bigint := 0;
  r record;
BEGIN
  IF dataeng_internal._in_transaction_block() THEN
    RAISE EXCEPTION 'dataeng.fact_backfill() cannot run inside a transaction block'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It commits after each batch, so that an interrupted backfill keeps the batches done.',
            HINT = 'CALL it on its own, outside BEGIN ... COMMIT.';
  END IF;
  LOOP
    SELECT b.done, b.source_rows INTO r FROM dataeng_internal._fact_backfill_batch(fact_name, batch, t0, n) b;
    n := n OPERATOR(pg_catalog.+) r.source_rows;
    COMMIT;
    EXIT WHEN r.done;
  END LOOP;
END;
$$;
COMMENT ON PROCEDURE dataeng.fact_backfill(text, interval) IS
  'Fills a fact created with backfill => ''later'' in batches of buckets (batch: the time range of one), committing each; resumes where an interrupted call stopped';

-- Raise unless what a definition points at is what it created: its table
-- (unless dropped) and consumer belong to its owner, and the consumer is
-- named after it.
CREATE FUNCTION dataeng_internal._agg_drop_check(def_owner regrole, tbl regclass, def_consumer text, own_consumer text, what text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF def_consumer IS DISTINCT FROM own_consumer THEN
    RAISE EXCEPTION 'consumer "%" is not that of %', def_consumer, what
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('The consumer of %s is "%s".', what, own_consumer);
  END IF;
  IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = tbl AND c.relowner <> def_owner) THEN
    RAISE EXCEPTION 'table % is not owned by role %, the owner of %', tbl, def_owner, what
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'A drop removes only what the definition created.',
            HINT = format('Give the table back to role %s, or drop it yourself.', def_owner);
  END IF;
  IF EXISTS (SELECT 1 FROM dataeng.cdc_consumers c WHERE c.name = def_consumer AND c.owner <> def_owner) THEN
    RAISE EXCEPTION 'consumer "%" is not owned by role %, the owner of %', def_consumer, def_owner, what
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_drop_check(regrole, regclass, text, text, text) IS
  'internal: check that a fact or dimension owns what its drop removes';

-- What fact_drop and dimension_drop remove besides the definition: the
-- table (unless already dropped), the consumer and the refresh job.
CREATE FUNCTION dataeng_internal._agg_drop(tbl regclass, consumer text, job text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_class WHERE oid = tbl) THEN
    EXECUTE format('DROP TABLE %s', tbl);
  END IF;
  IF EXISTS (SELECT 1 FROM dataeng.cdc_consumers c WHERE c.name = consumer) THEN
    PERFORM dataeng.cdc_consumer_drop(consumer);
  END IF;
  PERFORM dataeng.unschedule(job);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_drop(regclass, text, text) IS
  'internal: drop the table, consumer and refresh job of a fact or dimension';

-- Drop the side table of fact d, if it is there and the owner's table
-- (nsp: the schema it is in, when the fact's view and storage table are
-- gone already; else theirs).
CREATE FUNCTION dataeng_internal._fact_side_drop(d dataeng_internal.fact_defs, nsp text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  side regclass := to_regclass(CASE WHEN nsp IS NOT NULL
                                    THEN format('%I.%I', nsp, dataeng_internal._fact_side_name(
                                                                (parse_ident(d.name))[cardinality(parse_ident(d.name))]))
                                    ELSE dataeng_internal._fact_side_qname(d) END);
BEGIN
  IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = side AND c.relkind = 'r' AND c.relowner = d.owner::oid) THEN
    EXECUTE format('DROP TABLE %s', side);
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._fact_side_drop(dataeng_internal.fact_defs, text) IS
  'internal: drop the side table of a fact (fact_drop)';

-- Run as the fact's owner (by another role with its rights: through
-- _agg_as_owner), and only what the fact created: its table and consumer
-- must be the owner's.
CREATE FUNCTION dataeng.fact_drop(fact_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng_internal.fact_defs;
BEGIN
  IF fact_name IS NULL THEN
    RAISE EXCEPTION 'fact_name must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = 'dataeng.fact_drop() refuses a NULL argument instead of doing nothing.',
      HINT = 'Skip the call when the value is NULL (for example, a name that a query did not find).';
  END IF;
  -- none of that name (of the caller's roles): false, as the other drops
  -- (docs/errors.md)
  BEGIN
    d := dataeng_internal._fact_def(fact_name, true);
  EXCEPTION WHEN undefined_object THEN
    RETURN false;
  END;
  IF d.owner <> current_user::regrole THEN
    PERFORM dataeng_internal._agg_as_owner(d.owner, 'fact_drop', d.name);
    RETURN true;
  END IF;
  PERFORM dataeng_internal._agg_drop_check(d.owner, d.fact_table, d.consumer, 'fact:' || d.name, format('fact "%s"', d.name));
  PERFORM dataeng_internal._agg_drop_check(d.owner, d.storage_table, d.consumer, 'fact:' || d.name, format('fact "%s"', d.name));
  PERFORM dataeng_internal._fact_def_write('delete', d, 0);
  -- the side table of count(DISTINCT) measures, the view (unless dropped
  -- already: the fact was left with its storage table), then the storage
  -- table with the consumer and job
  PERFORM dataeng_internal._fact_side_drop(d, NULL);
  IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.fact_table AND c.relkind = 'v') THEN
    EXECUTE format('DROP VIEW %s', d.fact_table);
  END IF;
  PERFORM dataeng_internal._agg_drop(d.storage_table, d.consumer, 'fact_refresh:' || d.name);
  RETURN true;
END;
$$;
COMMENT ON FUNCTION dataeng.fact_drop(text) IS
  'Drops a fact (its view and storage table), its change-log consumer, its scheduled refresh and its definition (capture of the source stays); returns false when the caller has no fact of that name';

-- A fact's view dropped by hand (DROP VIEW, its storage table dropped with
-- CASCADE, its schema or its owner's objects dropped) drops the fact as
-- fact_drop does: the storage table, consumer, refresh job and definition
-- go with it (as TimescaleDB drops a continuous aggregate with its view).
-- Runs as the role that dropped the view, which has the owner's rights
-- (fact_drop does the work as the owner); a fact that role cannot see (row
-- security: the view was given to another role) is left alone.  When the
-- view went with another role's drop (a superuser's DROP ... CASCADE of an
-- object the owner made the view depend on, DROP SCHEMA), what the owner
-- did must not make that drop fail (an object of the owner's that depends
-- on the storage table, say): the fact is then left with its storage
-- table, with a warning, for its owner to drop.
CREATE FUNCTION dataeng_internal._fact_on_drop()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  f record;
BEGIN
  FOR f IN SELECT d.name, d.owner, o.schema_name, d AS def FROM dataeng_internal.fact_defs d
             JOIN pg_event_trigger_dropped_objects() o
               ON o.classid = 'pg_class'::regclass AND o.objid = d.fact_table::oid AND o.objsubid = 0
            ORDER BY d.name LOOP
    -- (the side table first: fact_drop finds it beside the view or the
    -- storage table, gone by now)
    IF f.owner OPERATOR(pg_catalog.=) current_user::regrole THEN
      PERFORM dataeng_internal._fact_side_drop(f.def, f.schema_name);
      PERFORM dataeng.fact_drop(f.name);
      CONTINUE;
    END IF;
    BEGIN
      PERFORM dataeng_internal._fact_side_drop(f.def, f.schema_name);
      PERFORM dataeng.fact_drop(f.name);
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'fact "%" of role % was left with its storage table', f.name, f.owner
        USING ERRCODE = '01000',
              DETAIL = format('Its view was dropped, but dropping the rest of it failed: %s', SQLERRM),
              HINT = format('Its owner can drop it with dataeng.fact_drop(%L).', f.name);
    END;
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._fact_on_drop() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._fact_on_drop() IS
  'internal: drop the fact whose view was dropped (event trigger dataeng_fact_on_drop)';
CREATE EVENT TRIGGER dataeng_fact_on_drop ON sql_drop
  WHEN TAG IN ('DROP VIEW', 'DROP TABLE', 'DROP SCHEMA', 'DROP OWNED')
  EXECUTE FUNCTION dataeng_internal._fact_on_drop();

-- (security_invoker: the caller sees its own facts, by row security)
CREATE VIEW dataeng.facts WITH (security_invoker = true) AS
  SELECT f.name, f.fact_table AS "table", f.source, f.time_column, f.grain,
         -- (date and timestamp buckets have no zone)
         CASE WHEN dataeng_internal._fact_bucket_type(f.storage_table) IN ('date'::regtype, 'timestamp'::regtype)
              THEN NULL ELSE f.time_zone END AS time_zone,
         f.dimensions, f.measures, f.owner, f.schedule, f.created_at, f.last_refresh,
         f.last_changes, f.total_changes,
         c.pending_changes, c.lag_seconds, f.backfilled_upto,
         dataeng_internal._fact_backfill_pct(f.backfilled_upto, f.backfill_from, f.backfill_to) AS backfill_percent,
         f.last_refresh_path
    FROM dataeng_internal.fact_defs f
    LEFT JOIN dataeng.cdc_consumers c ON c.name = f.consumer;
COMMENT ON VIEW dataeng.facts IS
  'Fact tables of the calling role: definition, last refresh, changes pending, lag (seconds) and backfill progress';
COMMENT ON COLUMN dataeng.facts.name IS 'Name of the fact';
COMMENT ON COLUMN dataeng.facts."table" IS 'The fact table';
COMMENT ON COLUMN dataeng.facts.source IS 'The table the fact aggregates';
COMMENT ON COLUMN dataeng.facts.time_column IS 'Column of the source giving each row''s time';
COMMENT ON COLUMN dataeng.facts.grain IS 'Width of a bucket (hour, day, ...)';
COMMENT ON COLUMN dataeng.facts.time_zone IS 'Time zone the buckets are cut in';
COMMENT ON COLUMN dataeng.facts.dimensions IS 'Columns the fact groups by';
COMMENT ON COLUMN dataeng.facts.measures IS 'The aggregates of the fact, as given';
COMMENT ON COLUMN dataeng.facts.owner IS 'Role owning the fact';
COMMENT ON COLUMN dataeng.facts.schedule IS 'Schedule of the refresh job, NULL when refreshed by hand';
COMMENT ON COLUMN dataeng.facts.created_at IS 'When the fact was created';
COMMENT ON COLUMN dataeng.facts.last_refresh IS 'When the fact was last refreshed';
COMMENT ON COLUMN dataeng.facts.last_changes IS 'Changes applied by the last refresh';
COMMENT ON COLUMN dataeng.facts.total_changes IS 'Changes applied since the fact was created';
COMMENT ON COLUMN dataeng.facts.pending_changes IS 'Changes waiting for the next refresh';
COMMENT ON COLUMN dataeng.facts.lag_seconds IS 'Age in seconds of the oldest waiting change';
COMMENT ON COLUMN dataeng.facts.backfilled_upto IS 'Bucket up to which the backfill has read the source, NULL when complete';
COMMENT ON COLUMN dataeng.facts.backfill_percent IS 'Progress of the backfill in percent';
COMMENT ON COLUMN dataeng.facts.last_refresh_path IS 'How the last refresh applied its changes';
GRANT SELECT ON dataeng.facts TO PUBLIC;

