/*
 * dataeng's install script, assembled by the Makefile from the area files
 * under sql/ (sql/README.md): edit those, never the assembled script.
 */

\echo Use "CREATE EXTENSION dataeng" to load this file. \quit

CREATE SCHEMA dataeng;
COMMENT ON SCHEMA dataeng IS 'dataeng: change data capture, validation, cleansing, aggregation';
GRANT USAGE ON SCHEMA dataeng TO PUBLIC;

-- What users do not call or touch: the bodies behind the entry points,
-- helpers, trigger functions and the bookkeeping tables (the change log,
-- ticks, consumer positions, fact and dimension definitions).  PUBLIC may
-- look the names up (the views and entry points of dataeng reach them);
-- what it may execute or read is granted object by object, as in dataeng.
CREATE SCHEMA dataeng_internal;
COMMENT ON SCHEMA dataeng_internal IS 'dataeng internals: not an API, may change in any release';
GRANT USAGE ON SCHEMA dataeng_internal TO PUBLIC;

-----------------------------------------------------------------------------
-- Foundation
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.info(OUT version text, OUT preloaded boolean, OUT enabled boolean)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_info'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.info() IS
  'Library version, whether it was loaded via shared_preload_libraries, and dataeng.enabled';

CREATE FUNCTION dataeng.require_preload(feature text)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_require_preload_sql'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.require_preload(text) IS
  'Raises an error with a hint when the library was not loaded via shared_preload_libraries';

-- Whether a role is a superuser: the one test of the bodies that let a
-- superuser act on every role's objects.
CREATE FUNCTION dataeng_internal._is_superuser(role regrole)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r
                    WHERE r.oid OPERATOR(pg_catalog.=) role::oid), false)
$$;
COMMENT ON FUNCTION dataeng_internal._is_superuser(regrole) IS 'internal: whether a role is a superuser';

-- A function named by a row (an alert handler, an on_change trigger's
-- handler): its oid, its identity by name and the catalog where the oid
-- was read (src/common/catalog_id.c).  In that catalog the oid is the
-- function, whatever its name now; in another one (after pg_upgrade, a
-- restore, or DROP and CREATE EXTENSION) the oid means nothing and the
-- name is taken: dataeng_internal._handlers_follow() (ops.sql) then
-- records the oid found and this catalog.
CREATE FUNCTION dataeng_internal._catalog_id()
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_catalog_id'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._catalog_id() IS
  'internal: this catalog''s identity, system identifier/oid of dataeng''s extension row: where a recorded function oid is valid';

-- A function's identity, schema-qualified with its argument types, which
-- to_regprocedure() reads back in any search_path; NULL for no function.
CREATE FUNCTION dataeng_internal._proc_identity(fn oid)
RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT (pg_catalog.pg_identify_object('pg_catalog.pg_proc'::pg_catalog.regclass, p.oid, 0)).identity
    FROM pg_catalog.pg_proc p WHERE p.oid OPERATOR(pg_catalog.=) fn
$$;
REVOKE ALL ON FUNCTION dataeng_internal._proc_identity(oid) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._proc_identity(oid) IS
  'internal: a function''s schema-qualified identity with its argument types, NULL if there is none';

-- The function a row names now: its oid where it was recorded in this
-- catalog, else the function of its recorded name (0 when none has it).
CREATE FUNCTION dataeng_internal._proc_resolve(fn oid, fn_name text, fn_catalog text)
RETURNS oid
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN fn_catalog OPERATOR(pg_catalog.=) dataeng_internal._catalog_id() THEN fn
              ELSE coalesce(pg_catalog.to_regprocedure(fn_name)::pg_catalog.oid, 0) END
$$;
COMMENT ON FUNCTION dataeng_internal._proc_resolve(oid, text, text) IS
  'internal: the function a recorded oid, name and catalog name here: the oid in its own catalog, else by name (0: none)';

-- Whether the caller is inside a transaction block: procedures that commit
-- as they go (fact_backfill) refuse to start there.
CREATE FUNCTION dataeng_internal._in_transaction_block()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_in_transaction_block'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION dataeng_internal._in_transaction_block() IS
  'internal: true inside a transaction block (BEGIN, or a multi-statement query)';

-- A trigger of a table of runs (validation_runs, dedupe_runs): deleting or
-- truncating runs deletes their rows in the log table TG_ARGV[0] (keyed by
-- run_id), as ON DELETE CASCADE would.  The logs have no foreign key to
-- their runs: pg_dump carries both as extension configuration and
-- pg_restore -j loads them in parallel, the log before its runs perhaps.
CREATE FUNCTION dataeng_internal._runs_cascade()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  log regclass := TG_ARGV[0]::regclass;
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    EXECUTE format('TRUNCATE %s', log);
  ELSE
    EXECUTE format('DELETE FROM %s l USING gone g WHERE l.run_id OPERATOR(pg_catalog.=) g.run_id', log);
  END IF;
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._runs_cascade() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._runs_cascade() IS
  'internal: deleting runs deletes their log rows (the log table is the trigger''s argument), as ON DELETE CASCADE did';

-- A restore's session, under whatever application_name (pg_restore, psql
-- -f, PGAPPNAME set otherwise), is known by what it does: it loads
-- dataeng.jobs or dataeng.cdc_tables with COPY ... FROM stdin as its own
-- statement, as pg_dump writes their data (dataeng's functions write them
-- from a SELECT; a row a superuser INSERTs by hand is no restore; a dump
-- made with --inserts is not recognised by this).  The trigger
-- _restore_seen of those tables then marks the session (a session lock
-- that only a role that may write them gets, held until it ends), and the
-- scheduler and the WAL capture worker wait while such a session is
-- connected (DATAENG_RESTORE_SESSIONS_SQL, src/common/common.h), as they
-- do for a session named pg_restore.  A data-only restore with
-- --disable-triggers fires no trigger: only its name tells it.
CREATE FUNCTION dataeng_internal._restore_mark()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_restore_mark'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._restore_mark() IS
  'internal: mark this session as a restore''s until it ends (roles that may write dataeng.jobs or dataeng.cdc_tables only)';

CREATE FUNCTION dataeng_internal._restore_seen()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF pg_catalog.current_query() OPERATOR(pg_catalog.~*)
       '^\s*copy\s+"?dataeng"?\s*\.\s*"?(jobs|cdc_tables)"?[\s(].*\mfrom\s+stdin\M' THEN
    PERFORM dataeng_internal._restore_mark();
  END IF;
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._restore_seen() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._restore_seen() IS
  'internal: a COPY of dataeng.jobs or dataeng.cdc_tables from stdin of its own (a restore) marks the session as a restore''s';

-- the type a column of type typ holds: typ itself, or the base type of a
-- domain over it (through any depth of domains: a domain's base type is
-- made before it, so the chain ends).  It reads pg_type only, which every
-- role may read: every role may call it, as the code that runs as a
-- dimension's owner does (_dim_differ).
CREATE FUNCTION dataeng_internal._base_type(typ regtype)
RETURNS regtype
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  WITH RECURSIVE d(oid, n) AS (
    SELECT typ::oid, 0
    UNION ALL
    SELECT t.typbasetype, d.n OPERATOR(pg_catalog.+) 1 FROM d JOIN pg_type t ON t.oid OPERATOR(pg_catalog.=) d.oid
     WHERE t.typbasetype OPERATOR(pg_catalog.<>) 0)
  SELECT d.oid::regtype FROM d ORDER BY d.n DESC LIMIT 1
$$;
COMMENT ON FUNCTION dataeng_internal._base_type(regtype) IS
  'internal: the base type of a domain (through any depth of domains), or the type itself';

-- About how many rows a table holds (all its partitions for a partitioned
-- one: pg_partition_tree() lists none for a table that is neither
-- partitioned nor a partition), from the catalogs alone, as the planner estimates them: each
-- table's rows per page at its last VACUUM or ANALYZE times its pages now;
-- a table never analyzed, its pages times the rows of its columns' width
-- a page holds.  Nothing of the table is read and no code of its owner
-- runs (every role may call it: the loads that say how big they are,
-- fact_create, fact_rebuild, dimension_create, a consumer's snapshot).
CREATE FUNCTION dataeng_internal._rows_estimate(tbl regclass)
RETURNS bigint
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(sum(CASE WHEN e.pages OPERATOR(pg_catalog.=) 0 THEN 0
                           WHEN c.reltuples OPERATOR(pg_catalog.>=) 0 AND c.relpages OPERATOR(pg_catalog.>) 0
                           THEN c.reltuples::float8 OPERATOR(pg_catalog./) c.relpages OPERATOR(pg_catalog.*) e.pages
                           ELSE e.pages OPERATOR(pg_catalog.*)
                                floor((current_setting('block_size')::int OPERATOR(pg_catalog.-) 24)::float8
                                      OPERATOR(pg_catalog./)
                                      (28 OPERATOR(pg_catalog.+)
                                       (SELECT coalesce(sum(CASE WHEN a.attlen OPERATOR(pg_catalog.>) 0 THEN a.attlen ELSE 32 END), 0)
                                          FROM pg_attribute a
                                         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid AND a.attnum OPERATOR(pg_catalog.>) 0
                                           AND NOT a.attisdropped)))
                      END), 0)::bigint
    FROM (SELECT tbl::oid AS relid UNION SELECT pt.relid::oid FROM pg_partition_tree(tbl) pt) t
    JOIN pg_class c ON c.oid OPERATOR(pg_catalog.=) t.relid
    CROSS JOIN LATERAL (SELECT (pg_relation_size(c.oid) OPERATOR(pg_catalog./)
                                current_setting('block_size')::int)::float8 AS pages) e
   WHERE c.relkind OPERATOR(pg_catalog.=) ANY ('{r,m}')
$$;
COMMENT ON FUNCTION dataeng_internal._rows_estimate(regclass) IS
  'internal: about how many rows a table (with its partitions) holds, from the catalogs';

-- The owner of an object in this session's temporary schema that does
-- not have the privileges of role (as a superuser, role itself and its
-- members do), NULL when there is none: a table, a type, a collation, a
-- function... that code of role run here, as role, could resolve by a
-- name in place of its own.  A search_path that leaves pg_temp out has
-- PostgreSQL search it first (a function's SET search_path = its_schema,
-- say).  Work that runs code of a role as that role in the caller's
-- session (an alert handler, a table's rules) asks it first.
CREATE FUNCTION dataeng_internal._temp_foreign_owner(role regrole)
RETURNS regrole
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN pg_catalog.pg_my_temp_schema() OPERATOR(pg_catalog.<>) 0 THEN (
    SELECT o.who::regrole
      FROM (SELECT c.relowner FROM pg_class c WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT t.typowner FROM pg_type t WHERE t.typnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT p.proowner FROM pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT o.oprowner FROM pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT l.collowner FROM pg_collation l WHERE l.collnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT v.conowner FROM pg_conversion v WHERE v.connamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT g.cfgowner FROM pg_ts_config g WHERE g.cfgnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT d.dictowner FROM pg_ts_dict d WHERE d.dictnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT f.opfowner FROM pg_opfamily f WHERE f.opfnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT k.opcowner FROM pg_opclass k WHERE k.opcnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()
            UNION ALL SELECT x.stxowner FROM pg_statistic_ext x WHERE x.stxnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()) o(who)
     WHERE NOT coalesce(pg_has_role(o.who, role::oid, 'USAGE'), false)
     ORDER BY o.who LIMIT 1) END
$$;
REVOKE ALL ON FUNCTION dataeng_internal._temp_foreign_owner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._temp_foreign_owner(regrole) IS
  'internal: the owner of an object of this session''s temporary schema without the privileges of a role, or NULL';

-- Refuse work that runs code of role, as role, in this session while it
-- holds temporary objects of a role without role's privileges
-- (_temp_foreign_owner): "cannot <what> in this session: it holds
-- temporary objects of role <that role>" (55000), with the caller's
-- detail (who runs what as role) and hint.
CREATE FUNCTION dataeng_internal._temp_foreign_refuse(role regrole, what text, detail text, hint text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  foreign_owner regrole := dataeng_internal._temp_foreign_owner(role);
BEGIN
  IF foreign_owner IS NOT NULL THEN
    RAISE EXCEPTION 'cannot % in this session: it holds temporary objects of role %', what, foreign_owner
      USING ERRCODE = 'object_not_in_prerequisite_state', DETAIL = detail, HINT = hint;
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._temp_foreign_refuse(regrole, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._temp_foreign_refuse(regrole, text, text, text) IS
  'internal: refuse work that runs code of a role in this session while it holds temporary objects of a role without its privileges';

-- Raise unless caller has the rights of the owner of table tbl: owns it,
-- is a member of the owner's role with its privileges, or is a superuser
-- (pg_has_role(..., 'USAGE')), as REFRESH MATERIALIZED VIEW asks of its
-- view; returns the owner.  The work that writes a table as its owner
-- (fill_missing, dedupe, dedupe_undo, quarantine_release and _all,
-- validate with quarantine => true) asks it: the table's triggers, CHECK
-- constraints and defaults see the owner as current_user there, and a
-- role holding only a privilege on the table would pass the checks its
-- owner wrote against such a role.  "permission denied for <work> on table
-- <tbl>" (42501).
CREATE FUNCTION dataeng_internal._require_owner_rights(caller regrole, tbl regclass, work text)
RETURNS regrole
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  owner_ regrole;
BEGIN
  SELECT c.relowner::regrole INTO owner_ FROM pg_class c WHERE c.oid OPERATOR(pg_catalog.=) tbl;
  IF owner_ IS NULL THEN
    RAISE EXCEPTION 'relation with OID % does not exist', tbl::oid USING ERRCODE = 'undefined_table';
  END IF;
  IF caller IS NULL OR NOT coalesce(pg_has_role(caller::oid, owner_::oid, 'USAGE'), false) THEN
    RAISE EXCEPTION 'permission denied for % on table %', work, tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('%s writes the table as its owner, %s: its triggers and constraints see the owner as the current user.',
                            work, owner_),
            HINT = 'Its owner, a member of the owner''s role or a superuser may do this.';
  END IF;
  RETURN owner_;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._require_owner_rights(regrole, regclass, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._require_owner_rights(regrole, regclass, text) IS
  'internal: raise unless the caller has the rights of the table''s owner (owner, member, superuser), for work that writes the table as its owner; returns the owner';
