-----------------------------------------------------------------------------
-- Dimensions
-----------------------------------------------------------------------------

-- Lock and return a dimension definition of the caller, or raise (an
-- entry point, src/aggregate/delta.c).
CREATE FUNCTION dataeng_internal._dim_def(caller regrole, dim_name text, lock boolean)
RETURNS dataeng_internal.dimension_defs
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng_internal.dimension_defs;
  key text := dataeng_internal._agg_name(dim_name);
BEGIN
  IF lock THEN
    -- the source first, then the row (as _fact_def)
    PERFORM dataeng_internal._agg_wait_source(x.source::oid) FROM dataeng_internal.dimension_defs x
     WHERE x.name = key AND pg_has_role(caller, x.owner, 'USAGE');
    SELECT * INTO d FROM dataeng_internal.dimension_defs x
     WHERE x.name = key AND pg_has_role(caller, x.owner, 'USAGE') FOR UPDATE;
  ELSE
    SELECT * INTO d FROM dataeng_internal.dimension_defs x WHERE x.name = key AND pg_has_role(caller, x.owner, 'USAGE');
  END IF;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'dimension "%" does not exist', dim_name
      USING ERRCODE = 'undefined_object',
            HINT = 'dataeng.dimensions lists the dimensions you own.';
  END IF;
  RETURN d;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dim_def(regrole, text, boolean) IS
  'internal: look up (and lock) a dimension definition of a role, or raise';
REVOKE ALL ON FUNCTION dataeng_internal._dim_def(regrole, text, boolean) FROM PUBLIC;
CREATE FUNCTION dataeng_internal._dim_def(dim_name text, lock boolean)
RETURNS dataeng_internal.dimension_defs
AS 'MODULE_PATHNAME', 'dataeng_dim_def_get'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._dim_def(text, boolean) IS 'internal: look up (and lock) a dimension definition of the caller';

-- The changes to dimension definitions (an entry point, as
-- _fact_def_write): 'insert', 'refreshed', 'delete'.
CREATE FUNCTION dataeng_internal._dim_def_write(caller regrole, op text, d dataeng_internal.dimension_defs, n bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF op = 'insert' THEN
    IF d.owner IS DISTINCT FROM caller THEN
      RAISE EXCEPTION 'a dimension of role % cannot be created by role %', d.owner, caller
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF d.name IS DISTINCT FROM dataeng_internal._agg_name(d.name) OR d.consumer IS DISTINCT FROM 'dim:' || d.name THEN
      RAISE EXCEPTION 'invalid definition of dimension "%"', d.name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM dataeng_internal._agg_def_check(caller, 'dimension', d.name, d.dim_table, d.source);
    -- its columns are those of its source (as dimension_create checks)
    IF d.attributes IS NULL OR array_position(d.attributes, NULL) IS NOT NULL
       OR (SELECT count(DISTINCT u) FROM unnest(d.key_column || d.attributes) u) <> 1 + cardinality(d.attributes) THEN
      RAISE EXCEPTION 'invalid definition of dimension "%"', d.name USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM dataeng_internal._agg_column(d.source, d.key_column, 'key column');
    PERFORM dataeng_internal._agg_column(d.source, a, 'attribute') FROM unnest(d.attributes) a;
    -- (the trigger restore_consumer creates its consumer, as d.owner, and
    -- marks the definition for a resync, meant for a restored one: a new
    -- dimension has nothing to make up); its source's name as it is now
    SELECT i.schema_name, i.table_name INTO d.source_schema, d.source_table
      FROM dataeng_internal._agg_rel_ident(d.source) i;
    d.source_dropped := false;
    BEGIN
      INSERT INTO dataeng_internal.dimension_defs SELECT d.*;
    EXCEPTION WHEN unique_violation THEN
      RAISE EXCEPTION 'dimension "%" already exists', d.name USING ERRCODE = 'duplicate_object';
    END;
    UPDATE dataeng_internal.dimension_defs x
       SET resync_pending = false,
           source_columns = dataeng_internal._dim_source_columns(d.source, d.key_column || d.attributes)
     WHERE x.name = d.name;
    RETURN;
  END IF;
  PERFORM 1 FROM dataeng_internal.dimension_defs x WHERE x.name = d.name AND pg_has_role(caller, x.owner, 'USAGE') FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'dimension "%" does not exist', d.name
      USING ERRCODE = 'undefined_object', HINT = 'dataeng.dimensions lists the dimensions you own.';
  END IF;
  CASE op
    WHEN 'refreshed' THEN
      UPDATE dataeng_internal.dimension_defs x
         SET last_refresh = clock_timestamp(), last_changes = n, total_changes = x.total_changes + n,
             resync_pending = false,
             source_columns = coalesce(x.source_columns,
                                       dataeng_internal._dim_source_columns(x.source, x.key_column || x.attributes))
       WHERE x.name = d.name;
    WHEN 'delete' THEN
      -- its consumer and refresh job go with it: left behind, they would
      -- be found by the next dimension of that name
      DELETE FROM dataeng_internal.dimension_defs x WHERE x.name = d.name;
      IF EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c WHERE c.name = 'dim:' || d.name) THEN
        PERFORM dataeng_internal._cdc_consumer_drop(caller, 'dim:' || d.name);
      END IF;
      PERFORM dataeng_internal._job_unschedule(caller, 'dimension_refresh:' || d.name);
    ELSE
      RAISE EXCEPTION 'unknown operation "%"', op USING ERRCODE = 'invalid_parameter_value';
  END CASE;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dim_def_write(regrole, text, dataeng_internal.dimension_defs, bigint) IS
  'internal: insert, mark refreshed, or delete a dimension definition of a role';
REVOKE ALL ON FUNCTION dataeng_internal._dim_def_write(regrole, text, dataeng_internal.dimension_defs, bigint) FROM PUBLIC;
CREATE FUNCTION dataeng_internal._dim_def_write(op text, d dataeng_internal.dimension_defs, n bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_dim_def_write'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._dim_def_write(text, dataeng_internal.dimension_defs, bigint) IS
  'internal: insert, update or delete a dimension definition of the caller';

-- Hold the writers of a fact's or dimension's source off (SHARE, as
-- CREATE INDEX takes) for a read of the whole source that must match the
-- change log's position (a load, a rebuild, a compare): LOCK TABLE ... IN
-- SHARE MODE, which takes UPDATE, DELETE or TRUNCATE on the table; a
-- caller with SELECT only is told why (what is read whole) and what to
-- grant, not left with a bare error inside the LOCK statement.  creating:
-- a creation, whose consumer is created next in this transaction.
CREATE FUNCTION dataeng_internal._agg_lock_source(source regclass, what text, creating boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT has_table_privilege(source, 'UPDATE, DELETE, TRUNCATE') THEN
    RAISE EXCEPTION 'permission denied for table %', source
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('%s with the writers of %s held off (LOCK TABLE ... IN SHARE MODE), so that what it reads '
                            'matches the change log; that lock takes UPDATE, DELETE or TRUNCATE on the table.', what, source),
            HINT = format('Grant role %s one of UPDATE, DELETE or TRUNCATE on %s, or let a role that has one do it; '
                          'changes captured meanwhile wait for the next refresh.', current_user, source);
  END IF;
  -- A creation takes the lock of consumer creations first, then its
  -- source (_cdc_reader_lock), as a consumer's creation does: holding its
  -- source before that lock, it deadlocked with a consumer's creation
  -- waiting for the source under that lock.
  IF creating THEN
    PERFORM dataeng_internal._cdc_reader_lock(source, false);
  END IF;
  EXECUTE format('LOCK TABLE %s IN SHARE MODE', source);
  -- A source captured from the WAL (itself, a partition or an ancestor):
  -- its records reach the log in the worker's transactions, a round after
  -- their writers commit.  The worker catches up first, or changes
  -- committed before the lock would be in the rows read now and reach the
  -- consumer afterwards too (counted twice).  A creation in READ
  -- COMMITTED leaves that wait to the creation of its consumer, which
  -- makes it under this lock (_cdc_consumer_create()): once is enough.
  IF creating AND current_setting('transaction_isolation') = 'read committed' THEN
    RETURN;
  END IF;
  IF NOT dataeng_internal._agg_wal_caught_up(source) THEN
    PERFORM dataeng_internal._cdc_wal_behind(format('cannot read table %s whole', source),
      format('%s, and the table is captured from the WAL: its changes committed before must be in the change log first.', what));
  END IF;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._agg_lock_source(regclass, text, boolean) IS
  'internal: hold a source''s writers off for a whole read of it, or say which right that takes';

-- Whether the WAL capture worker has recorded every change of source
-- committed before the call (waiting at most 30 s): true at once when
-- neither source nor a partition or ancestor of it is captured from the
-- WAL.  The capture settings (dataeng.cdc_tables) are not readable by
-- everyone: a C entry point calling its body as the body's owner with the
-- calling role, which must be allowed to read source.
CREATE FUNCTION dataeng_internal._agg_wal_caught_up(source regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dataeng_agg_wal_caught_up'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._agg_wal_caught_up(regclass) IS
  'internal: wait until the WAL capture worker has recorded the changes of a source committed before';

CREATE FUNCTION dataeng_internal._agg_wal_caught_up_as_owner(caller regrole, source regclass)
RETURNS boolean
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  IF NOT has_table_privilege(caller, source, 'SELECT') THEN
    RAISE EXCEPTION 'permission denied for table %', source USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct
                  WHERE 'wal' IN (ct.method, ct.active_method)
                    AND (ct.table_name = source
                         OR ct.table_name IN (SELECT t.relid FROM pg_partition_tree(source) t)
                         OR ct.table_name IN (SELECT a.relid FROM pg_partition_ancestors(source) a))) THEN
    RETURN true;
  END IF;
  RETURN dataeng_internal._cdc_wal_caught_up(interval '30 s');
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._agg_wal_caught_up_as_owner(regrole, regclass) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._agg_wal_caught_up_as_owner(regrole, regclass) IS
  'internal: body of dataeng_internal._agg_wal_caught_up()';

-- SQL telling whether two values a and b of a source column differ, as
-- values: IS DISTINCT FROM where the type's equality holds only between
-- identical values (its B-tree class says so with an equalimage support
-- function, as B-tree deduplication asks: integers, dates and times, text
-- in a deterministic collation...); else their text in collation "C", so
-- that 1.0 and 1.00, 0 and -0, '1 day' and '24:00:00', 'ann' and 'Ann' in
-- a case-insensitive collation differ, as they do in the source (a copy
-- that kept 'ann' would be stale without saying so), and so that a type
-- without an equality compares at all.
CREATE FUNCTION dataeng_internal._dim_differ(src regclass, col text, a text, b text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  typ oid;
  coll oid;
  base oid;
  kind "char";
  cast_to text;
  eqimage regproc;
BEGIN
  SELECT x.atttypid, x.attcollation, y.typtype INTO typ, coll, kind
    FROM pg_attribute x JOIN pg_type y ON y.oid = x.atttypid
   WHERE x.attrelid = src AND x.attname = col AND x.attnum > 0 AND NOT x.attisdropped;
  -- (a domain compares as its base type; _base_type(), a SQL function
  -- with a SET clause, is planned at every call: only for a domain, as
  -- every refresh calls this once per column)
  base := typ;
  IF kind = 'd' THEN
    base := dataeng_internal._base_type(typ);
    SELECT y.typtype INTO kind FROM pg_type y WHERE y.oid = base;
  END IF;
  IF kind = 'e' THEN
    -- (a domain over an enum has no = of its own: the enum's operator,
    -- of anyenum, does not take a domain; its values compare as the
    -- enum, cast right after each operand, which a caller may wrap:
    -- lag(e.<col>::<enum>) OVER w)
    IF typ <> base THEN
      SELECT format('%I.%I', n.nspname, y.typname) INTO cast_to
        FROM pg_type y JOIN pg_namespace n ON n.oid = y.typnamespace WHERE y.oid = base;
      RETURN format('(%s::%s IS DISTINCT FROM %s::%s)', a, cast_to, b, cast_to);
    END IF;
    base := 'pg_catalog.anyenum'::regtype;
  ELSIF base = 'pg_catalog.varchar'::regtype THEN
    base := 'pg_catalog.text'::regtype;
  END IF;
  SELECT p.amproc INTO eqimage
    FROM pg_opclass c JOIN pg_am m ON m.oid = c.opcmethod AND m.amname = 'btree'
    JOIN pg_amproc p ON p.amprocfamily = c.opcfamily AND p.amproclefttype = c.opcintype
                    AND p.amprocrighttype = c.opcintype AND p.amprocnum = 4
   WHERE c.opcdefault AND c.opcintype = base;
  IF eqimage = 'pg_catalog.btequalimage'::regproc
     OR (eqimage = 'pg_catalog.btvarstrequalimage'::regproc
         AND coalesce((SELECT l.collisdeterministic FROM pg_collation l WHERE l.oid = coll), true)) THEN
    RETURN format('(%s IS DISTINCT FROM %s)', a, b);
  END IF;
  RETURN format('(%s::text COLLATE "C" IS DISTINCT FROM %s::text COLLATE "C")', a, b);
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dim_differ(regclass, text, text, text) IS
  'internal: SQL comparing two values of a source column';

-- Two versions of a dimension row, row expressions prefixed pa and pb
-- (columns named as in the source, or k and ai when positional), differ
-- in a tracked attribute, or in their key's value where the key type's
-- equality does not tell identical values (rows matched by key then still
-- differ: 'abc' updated to 'ABC' in a case-insensitive collation).
CREATE FUNCTION dataeng_internal._dim_attrs_differ(d dataeng_internal.dimension_defs, pa text, pb text,
                                          a_positional boolean, b_positional boolean)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(string_agg(s.x, ' OR ' ORDER BY s.o), 'false')
    FROM (SELECT 0::bigint AS o, kd.x
            FROM (SELECT CASE WHEN a_positional THEN pa || 'k' ELSE pa || quote_ident(d.key_column) END AS ka,
                         CASE WHEN b_positional THEN pb || 'k' ELSE pb || quote_ident(d.key_column) END AS kb) k,
                 LATERAL (SELECT dataeng_internal._dim_differ(d.source, d.key_column, k.ka, k.kb) AS x) kd
           WHERE kd.x <> format('(%s IS DISTINCT FROM %s)', k.ka, k.kb)
          UNION ALL
          SELECT u.o, dataeng_internal._dim_differ(d.source, u.a,
                        CASE WHEN a_positional THEN pa || 'a' || u.o ELSE pa || quote_ident(u.a) END,
                        CASE WHEN b_positional THEN pb || 'a' || u.o ELSE pb || quote_ident(u.a) END)
            FROM unnest(d.attributes) WITH ORDINALITY u(a, o)) s
$$;
COMMENT ON FUNCTION dataeng_internal._dim_attrs_differ(dataeng_internal.dimension_defs, text, text, boolean, boolean) IS
  'internal: SQL telling whether two versions of a dimension row differ in a tracked attribute or in their key''s value';

-- (dimension_create() below: the caller's current schema is passed in)
-- A type 2 table has fillfactor 90 as a type 1 table: closing a version (an
-- update that cannot be HOT, is_current being in the predicate of the unique
-- index) then writes the closed version on its own page, one heap page and
-- one WAL record rather than two pages and a lock record.
CREATE FUNCTION dataeng_internal._dim_create(dim_name text, source regclass, key_column text, attributes text[],
                                    scd_type int, schedule text, cur_schema text)
RETURNS regclass
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  key text;
  parts text[];
  qualified text;
  sk text;
  kcol record;
  a text;
  names text[];
  reserved text[];
  composite text;
  coldefs text;
  cols text;
  t0 timestamptz;
  tbl regclass;
  def dataeng_internal.dimension_defs;
  est bigint;
BEGIN
  IF dim_name IS NULL OR source IS NULL OR key_column IS NULL OR attributes IS NULL OR scd_type IS NULL THEN
    -- (the argument named, as every action names it, docs/errors.md)
    RAISE EXCEPTION '% must not be NULL',
          CASE WHEN dim_name IS NULL THEN 'dim_name' WHEN source IS NULL THEN 'source'
               WHEN key_column IS NULL THEN 'key_column' WHEN attributes IS NULL THEN 'attributes'
               ELSE 'scd_type' END
      USING ERRCODE = 'null_value_not_allowed',
            DETAIL = 'dataeng.dimension_create() needs dim_name, source, key_column, attributes and scd_type.',
            HINT = CASE WHEN attributes IS NULL AND dim_name IS NOT NULL AND source IS NOT NULL AND key_column IS NOT NULL
                        THEN 'Pass an empty array for a dimension of keys only.'
                        ELSE 'Skip the call when the value is NULL (for example, a name that a query did not find).' END;
  END IF;
  IF array_position(attributes, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'attributes must not contain NULL'
      USING ERRCODE = 'null_value_not_allowed',
            DETAIL = format('Element %s of attributes is NULL.', array_position(attributes, NULL)),
            HINT = 'List attributes as column names of the source, none NULL; an empty array for a dimension of keys only.';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.dimension_create() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'The initial load and the start of the change-log consumer must see the same rows.';
  END IF;
  IF scd_type NOT IN (1, 2) THEN
    RAISE EXCEPTION 'scd_type must be 1 or 2, not %', scd_type
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Type 1 overwrites a row when its source row changes; type 2 keeps every version.';
  END IF;
  -- the refresh job's schedule, checked before the long part (the load
  -- under a lock that holds writers off): a misspelt schedule, or a server
  -- without the preload, failed only once the load was done, naming
  -- dataeng.schedule(), which the caller never called
  IF schedule IS NOT NULL THEN
    IF NOT (SELECT i.preloaded FROM dataeng.info() i) THEN
      RAISE EXCEPTION 'dataeng.dimension_create() schedules its refreshes, which needs dataeng in shared_preload_libraries'
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = 'The library was loaded on demand, so the scheduler is not running.',
              HINT = 'Pass schedule => NULL and call dataeng.dimension_refresh() yourself, or add ''dataeng'' to shared_preload_libraries and restart the server.';
    END IF;
    PERFORM dataeng_internal._schedule_next(schedule, now());   -- raises on a bad schedule
  END IF;
  key := dataeng_internal._agg_name(dim_name);
  -- (before the check of its relation, which the dimension's own table
  -- is: a dimension created twice said "relation ... already exists")
  IF EXISTS (SELECT 1 FROM dataeng_internal.dimension_defs x WHERE x.name = key) THEN
    RAISE EXCEPTION 'dimension "%" already exists', key USING ERRCODE = 'duplicate_object',
      HINT = 'Choose another name, or drop the existing dimension first with dataeng.dimension_drop() (its owner; dataeng.dimensions lists yours).';
  END IF;
  parts := dataeng_internal._agg_new_table(dim_name, cur_schema, 'dim_name');
  qualified := format('%I.%I', parts[1], parts[2]);
  IF (SELECT relkind FROM pg_class WHERE oid = source) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot build dimension "%" from "%": only tables can be sources', key, source
      USING ERRCODE = 'wrong_object_type', HINT = 'Name an ordinary or partitioned table (for a view, a table it reads).';
  END IF;

  -- columns: the key, then attributes, each once, none named like the
  -- bookkeeping columns of a type 2 table
  SELECT * INTO kcol FROM dataeng_internal._agg_column(source, key_column, 'key column');
  sk := parts[2] || '_sk';
  IF octet_length(sk) > 63 THEN
    sk := left(parts[2], 60) || '_sk';
  END IF;
  reserved := CASE WHEN scd_type = 2 THEN ARRAY[sk, 'valid_from', 'valid_to', 'is_current'] ELSE '{}' END;
  names := ARRAY[key_column];
  IF key_column = ANY (reserved) THEN
    RAISE EXCEPTION 'column name "%" is used twice in dimension "%"', key_column, key
      USING ERRCODE = 'duplicate_column',
            DETAIL = format('A type 2 dimension has the columns %s.', array_to_string(reserved, ', '));
  END IF;
  FOREACH a IN ARRAY attributes LOOP
    PERFORM dataeng_internal._agg_column(source, a, 'attribute');
    IF a = ANY (names) OR a = ANY (reserved) THEN
      RAISE EXCEPTION 'column name "%" is used twice in dimension "%"', a, key
        USING ERRCODE = 'duplicate_column',
              DETAIL = CASE WHEN a = ANY (reserved)
                            THEN format('A type 2 dimension has the columns %s.', array_to_string(reserved, ', '))
                            WHEN a = key_column THEN 'The key column is always in the dimension.'
                            ELSE 'List each attribute once.' END;
    END IF;
    names := names || a;
  END LOOP;

  -- The key must identify a source row: a primary key, or a unique index
  -- (not partial, not on an expression) of exactly that column, NOT NULL,
  -- and not deferrable: checked row by row, a key is free whenever a row
  -- takes it, so the changes of one statement, applied one by one in
  -- capture order, never see a key twice (a deferred check would let a
  -- statement swap two keys).
  IF kcol.nullable OR NOT EXISTS (
       SELECT 1 FROM pg_index i
        WHERE i.indrelid = source AND i.indisunique AND i.indisvalid AND i.indimmediate
          AND i.indnkeyatts = 1
          AND i.indpred IS NULL AND i.indexprs IS NULL
          AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                              WHERE attrelid = source AND attname = key_column)) THEN
    -- (the hint fits the table: a primary key can be added only where
    -- there is none; a unique key of several columns is named)
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.o) INTO composite
      FROM (SELECT i.indrelid, i.indkey, i.indnkeyatts FROM pg_index i
             WHERE i.indrelid = source AND i.indisunique AND i.indnkeyatts > 1
               AND (SELECT attnum FROM pg_attribute WHERE attrelid = source AND attname = key_column) = ANY (i.indkey::int2[])
             ORDER BY i.indisprimary DESC, i.indexrelid LIMIT 1) u
      CROSS JOIN LATERAL unnest(u.indkey::int2[]) WITH ORDINALITY k(n, o)
      JOIN pg_attribute a ON a.attrelid = u.indrelid AND a.attnum = k.n
     WHERE k.o <= u.indnkeyatts;
    RAISE EXCEPTION 'key column "%" of table % is not a unique key', key_column, source
      USING ERRCODE = 'invalid_column_reference',
            DETAIL = 'A dimension row stands for exactly one source row: the key column must be NOT NULL and have a primary key or a unique constraint or index of its own (not partial, not deferrable).'
                     || CASE WHEN composite IS NOT NULL
                             THEN format(' Its unique key (%s) has several columns: a dimension is keyed by one, e.g. a column holding the whole key with a unique index of its own.', composite)
                             ELSE '' END,
            HINT = CASE WHEN EXISTS (SELECT 1 FROM pg_index i
                                      WHERE i.indrelid = source AND i.indisunique AND i.indisvalid AND i.indimmediate
                                        AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
                                        AND i.indkey[0] = (SELECT attnum FROM pg_attribute
                                                            WHERE attrelid = source AND attname = key_column))
                        THEN format('Make it NOT NULL, e.g. ALTER TABLE %s ALTER COLUMN %I SET NOT NULL;', source, key_column)
                        -- (a unique key of a partitioned table includes
                        -- every column of its partition key: no ALTER
                        -- TABLE gives it one on another column alone)
                        WHEN EXISTS (SELECT 1 FROM pg_partitioned_table pt
                                      WHERE pt.partrelid = source
                                        AND (pt.partnatts <> 1
                                             OR pt.partattrs[0] <> (SELECT attnum FROM pg_attribute
                                                                     WHERE attrelid = source AND attname = key_column)))
                        THEN format('A unique key of partitioned table %s must include its partition key (%s), so none can be on column %I alone: make the dimension from a table keyed by %I (not partitioned, or partitioned by that column alone).',
                                    source, pg_get_partkeydef(source), key_column, key_column)
                        WHEN NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = source AND i.indisprimary)
                        THEN format('Add one, e.g. ALTER TABLE %s ADD PRIMARY KEY (%I);', source, key_column)
                        ELSE format('Add one, e.g. %sALTER TABLE %s ADD UNIQUE (%I);',
                                    CASE WHEN kcol.nullable
                                         THEN format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL; ', source, key_column)
                                         ELSE '' END,
                                    source, key_column) END;
  END IF;

  -- Capture: no writer may commit between the initial load and the
  -- consumer's start, so both see the same rows.
  PERFORM dataeng_internal._agg_lock_source(source, 'dataeng.dimension_create() loads the dimension and starts its consumer', true);
  t0 := clock_timestamp();
  PERFORM dataeng_internal._agg_capture(source, names, 'dimension');

  SELECT string_agg(format('%I %s%s%s', x.attname, format_type(x.atttypid, x.atttypmod),
                           CASE WHEN x.attcollation <> t.typcollation
                                THEN ' COLLATE ' || x.attcollation::regcollation::text ELSE '' END,
                           CASE WHEN x.attname = key_column THEN ' NOT NULL' ELSE '' END),
                    ', ' ORDER BY u.o)
    INTO coldefs
    FROM unnest(names) WITH ORDINALITY u(c, o)
    JOIN pg_attribute x ON x.attrelid = source AND x.attname = u.c
    JOIN pg_type t ON t.oid = x.atttypid;
  cols := array_to_string(ARRAY(SELECT quote_ident(c) FROM unnest(names) c), ', ');
  IF scd_type = 1 THEN
    -- fillfactor 90: a refresh's overwrite of a row finds room on its page,
    -- so the update is HOT (no new entry in the key's index) as long as
    -- the attributes are not much longer than before
    EXECUTE format('CREATE TABLE %s (%s, PRIMARY KEY (%I)) WITH (fillfactor = 90)', qualified, coldefs, key_column);
  ELSE
    EXECUTE format('CREATE TABLE %s (%I bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, %s, '
                   'valid_from timestamptz NOT NULL, valid_to timestamptz, '
                   'is_current boolean NOT NULL DEFAULT true, CHECK (is_current = (valid_to IS NULL))) WITH (fillfactor = 90)',
                   qualified, sk, coldefs);
    EXECUTE format('CREATE UNIQUE INDEX ON %s (%I) WHERE is_current', qualified, key_column);
    EXECUTE format('CREATE INDEX ON %s (%I, valid_from)', qualified, key_column);
  END IF;
  tbl := qualified::regclass;
  EXECUTE format('COMMENT ON TABLE %s IS %L', tbl,
                 format('Dimension (SCD type %s) of %s by %s kept up to date by dataeng.dimension_refresh(%L)',
                        scd_type, source, key_column, key));

  -- the definition, and with it the consumer dim:<name>, owned by the caller
  def := ROW(key, tbl, current_user::regrole, source, key_column, attributes, scd_type, 'dim:' || key,
             schedule, now(), clock_timestamp(), 0, 0, false, false, NULL, NULL, NULL)::dataeng_internal.dimension_defs;
  PERFORM dataeng_internal._dim_def_write('insert', def, 0);
  -- a load of seconds or minutes says so as it begins
  est := dataeng_internal._rows_estimate(source);
  IF est >= @LARGE_LOAD_ROWS@ THEN
    RAISE NOTICE 'dimension "%": loading about % rows of table %', key, est, source
      USING DETAIL = 'Writers of the table wait until the dimension is created.';
  END IF;
  IF scd_type = 1 THEN
    EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM %s', tbl, cols, cols, source);
  ELSE
    EXECUTE format('INSERT INTO %s (%s, valid_from, valid_to, is_current) SELECT %s, $1, NULL, true FROM %s',
                   tbl, cols, cols, source) USING t0;
  END IF;

  IF schedule IS NOT NULL THEN
    PERFORM dataeng.schedule('dimension_refresh:' || key, schedule, format('SELECT dataeng.dimension_refresh(%L)', key));
  END IF;
  RETURN tbl;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dim_create(text, regclass, text, text[], int, text, text) IS
  'internal: body of dataeng.dimension_create()';

-- _dim_create() as the caller with the caller's current schema, its errors
-- for bad input without the CONTEXT of the internal functions
-- (src/aggregate/create.c).
CREATE FUNCTION dataeng.dimension_create(dim_name text, source regclass, key_column text, attributes text[],
                                         scd_type int DEFAULT 1, schedule text DEFAULT '1 minute')
RETURNS regclass
AS 'MODULE_PATHNAME', 'dataeng_dimension_create'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.dimension_create(text, regclass, text, text[], int, text) IS
  'Creates a dimension table (SCD type 1 or 2) from a source table keyed by a unique column, loads it and keeps it refreshable from the change log';

-- Make a dimension's current rows what the source holds now (after a
-- TRUNCATE of the source): writers held off, the consumer drained first.
-- Type 2: rows that left or changed are closed at ts, new ones opened.
CREATE FUNCTION dataeng_internal._dim_resync(d dataeng_internal.dimension_defs, polled bigint, ts timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = on     -- (a whole compare: not dimension_refresh's lookups)
SET enable_mergejoin = on
SET extra_float_digits = 3   -- (values compared as text: every digit, see _dim_differ)
AS $$
DECLARE
  n bigint;
  cols text := array_to_string(ARRAY(SELECT quote_ident(c) FROM unnest(d.key_column || d.attributes) c), ', ');
  scols text := array_to_string(ARRAY(SELECT 's.' || quote_ident(c) FROM unnest(d.key_column || d.attributes) c), ', ');
  keyeq text := format('s.%1$I = x.%1$I', d.key_column);
BEGIN
  PERFORM dataeng_internal._agg_lock_source(d.source, format('Dimension "%s" compares its rows with the whole source '
                                                     '(after a TRUNCATE of it, a change made while a column had another name, '
                                                     'or a drop of its key''s unique index)', d.name), false);
  n := dataeng_internal._agg_poll(d.consumer, polled);
  IF d.scd_type = 1 THEN
    EXECUTE format('DELETE FROM %s x WHERE NOT EXISTS (SELECT 1 FROM %s s WHERE %s)', d.dim_table, d.source, keyeq);
    EXECUTE format('INSERT INTO %s AS x (%s) SELECT %s FROM %s s ON CONFLICT (%I) DO %s',
                   d.dim_table, cols, scols, d.source, d.key_column,
                   -- (the key too: one equal to the row's but another value)
                   CASE WHEN dataeng_internal._dim_attrs_differ(d, 'x.', 'EXCLUDED.', false, false) = 'false' THEN 'NOTHING'
                        ELSE format('UPDATE SET %s WHERE %s',
                                    (SELECT string_agg(format('%1$I = EXCLUDED.%1$I', c), ', ') FROM unnest(d.key_column || d.attributes) c),
                                    dataeng_internal._dim_attrs_differ(d, 'x.', 'EXCLUDED.', false, false)) END);
  ELSE
    EXECUTE format('UPDATE %s x SET valid_to = greatest($1, x.valid_from), is_current = false '
                   'WHERE x.is_current AND NOT EXISTS (SELECT 1 FROM %s s WHERE %s AND NOT (%s))',
                   d.dim_table, d.source, keyeq, dataeng_internal._dim_attrs_differ(d, 'x.', 's.', false, false))
      USING ts;
    EXECUTE format('INSERT INTO %s (%s, valid_from, valid_to, is_current) SELECT %s, $1, NULL, true FROM %s s '
                   'WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE x.is_current AND %s)',
                   d.dim_table, cols, scols, d.source, d.dim_table, keyeq)
      USING ts;
  END IF;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dim_resync(dataeng_internal.dimension_defs, bigint, timestamptz) IS
  'internal: make a dimension''s current rows equal to its source';

-- The events of a dimension's pending changes, read typed in C
-- (src/aggregate/dimension.c): per insert, and per update its new row, an
-- upsert of the key (part 1, present); per delete, and per update that
-- changed the key its old key, a delete (part 0, not present); per
-- TRUNCATE a row with present NULL; then one row with the number of
-- changes read (n_changes).  Every change of source pending for the
-- consumer, acknowledged in the caller's transaction; its checks are
-- cdc_poll's, for the current user.  Columns as _agg_image_cols() gives
-- them for the key column and the attributes.
CREATE FUNCTION dataeng_internal._dim_events(consumer text, source regclass, key_column text, attributes text[])
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataeng_dim_events'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._dim_events(text, regclass, text, text[]) IS
  'internal: the events (upserts and deletes of keys, TRUNCATEs) of a dimension''s pending changes, acknowledged (reader of dimension_refresh)';

-- The apply path of dimension_refresh (src/aggregate/dimension.c): the
-- pending changes read, sorted by key and applied in C through the
-- dimension's unique index on the key, with the decisions of the SQL
-- below; path is NULL then (n_changes counts the changes read,
-- truncated_at is the time of the first TRUNCATE, from which the caller
-- compares with the source).  Else nothing is read and path says why the
-- SQL applies them (row-level security, triggers, rules or inheritance
-- children on the dimension table, rights checked by column, columns read
-- as JSON, a length or precision other than the source's...).  It refuses
-- (42501) a dimension table the current role does not own: the refresh
-- calls it as the dimension's owner.  With a NULL consumer only the path
-- is returned.  by_text: per column (key, then
-- attributes) whether _dim_differ() compares its values by their text.
CREATE FUNCTION dataeng_internal._dim_apply(consumer text, source regclass, key_column text, attributes text[],
                                            dim_table regclass, scd_type int, by_text boolean[],
                                            OUT n_changes bigint, OUT truncated_at timestamptz, OUT path text)
AS 'MODULE_PATHNAME', 'dataeng_dim_apply'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._dim_apply(text, regclass, text, text[], regclass, int, boolean[]) IS
  'internal: apply a dimension''s pending changes in C, acknowledged, or say why the SQL must (writer of dimension_refresh)';

-- A refresh works set-based, from the events of the changes read typed in
-- C (_dim_events(), src/aggregate/dimension.c), in a few statements
-- whatever the number of changes:
--   type 1: the last event of each key decides; one DELETE of the keys
--           gone, one INSERT ... ON CONFLICT DO UPDATE of the keys whose
--           tracked attributes differ from the dimension's row (an update
--           of untracked columns only writes nothing);
--   type 2: the events that change a key's state (present or not, tracked
--           attributes) from the one before them; one UPDATE closing the
--           current versions they replace, one INSERT of the versions they
--           open (a key changed several times between two refreshes keeps
--           every version, each valid until the next).
-- Its joins with the dimension probe the dimension's index on the key, a
-- lookup per event in key order, never a scan of the whole dimension: hash
-- and merge joins are off in it (the events are few beside the dimension;
-- when they are many, the lookups in order still cost about what a join
-- would).  The consumer's
-- acknowledgement commits with the writes: a refresh that fails or is cut
-- short by a crash leaves both undone.
CREATE FUNCTION dataeng.dimension_refresh(dim_name text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET enable_hashjoin = off
SET enable_mergejoin = off
SET extra_float_digits = 3   -- (values compared as text: every digit, see _dim_differ)
AS $$
DECLARE
  d dataeng_internal.dimension_defs;
  n bigint;
  tr record;
  has_t boolean;
  before_t text := 'true';
  img record;
  sel text := '';
  attrs text := '';
  ev_attrs text := '';
  lag_differ text;
  cur_differ text;
  ord constant text := 'e.change_id, e.part';
  i int;
  missing text;
  changed record;
  ap record;
BEGIN
  IF dim_name IS NULL THEN
    RAISE EXCEPTION 'dim_name must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = 'dataeng.dimension_refresh() refuses a NULL argument instead of doing nothing.',
      HINT = 'Skip the call when the value is NULL (for example, a name that a query did not find).';
  END IF;
  IF current_setting('transaction_isolation') <> 'read committed' THEN
    RAISE EXCEPTION 'dataeng.dimension_refresh() must run in a READ COMMITTED transaction'
      USING ERRCODE = 'active_sql_transaction',
            DETAIL = 'It polls the change log, which cuts batches only there.';
  END IF;
  -- the definition's row lock serializes refreshes of one dimension
  d := dataeng_internal._dim_def(dim_name, true);
  IF d.owner <> current_user::regrole THEN
    -- another role with the owner's rights: the work runs as the owner
    RETURN dataeng_internal._agg_as_owner(d.owner, 'dimension_refresh', d.name);
  END IF;
  -- the source table itself is still there (a dimension follows its table, not a name)
  PERFORM dataeng_internal._agg_source_exists('dimension', d.name, d.source);
  -- every column the dimension copies is still a column of the source
  missing := dataeng_internal._agg_missing_column(d.source, d.key_column || d.attributes);
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of the source of dimension "%" does not exist', missing, d.name
      USING ERRCODE = 'undefined_column',
            DETAIL = format('%s has no column "%s" any more: it was renamed or dropped after the dimension was created.',
                            d.source, missing),
            HINT = format('If it was renamed, rename it back to "%s" (the changes captured meanwhile are then '
                          'applied as a comparison with the source); else drop the dimension with '
                          'dataeng.dimension_drop(%L) and create it again.', missing, d.name);
  END IF;
  -- and the dimension's columns still hold its values as they are: the
  -- same type (or one the source's casts to without a function), the same
  -- length or precision (or none), the same collation.  A column whose
  -- type was changed (ALTER TABLE ... ALTER COLUMN ... TYPE) would else
  -- fail deep in a statement (no operator, value too long), or round or
  -- compare the values otherwise than the source.
  SELECT * INTO changed FROM dataeng_internal._agg_changed_column(d.source, d.dim_table, d.key_column || d.attributes);
  IF changed.col IS NOT NULL THEN
    RAISE EXCEPTION 'column "%" of the source of dimension "%" is now of type %, which its column of type % does not hold as it is',
                    changed.col, d.name, changed.src_type || changed.src_coll, changed.target_type
      USING ERRCODE = 'datatype_mismatch',
            DETAIL = format('The column''s type (or length, precision or collation) in %s was changed after the dimension was created.',
                            d.source),
            HINT = format('Change the dimension''s column the same way: ALTER TABLE %s ALTER COLUMN %I TYPE %s%s USING %I::%s; '
                          '%s',
                          d.dim_table, changed.col, changed.src_type, changed.src_coll, changed.col, changed.src_type,
                          CASE WHEN d.resync_pending
                               THEN 'the next refresh then makes the dimension''s current rows equal to the source, as after '
                                    'a TRUNCATE (the changes captured before the change of type hold values of the old type: '
                                    'they are not applied one by one).'
                               ELSE 'the changes wait for the next refresh.' END);
  END IF;
  -- and its key column still has a unique index of its own (dimension_create
  -- asks for one): without one, two source rows may have had one key, whose
  -- changes would be applied to one dimension row.  A statement that dropped
  -- it marked the dimension (_dim_key_check): once the key has one again,
  -- the refresh below makes the dimension equal to the source.
  IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = d.source AND i.indisunique AND i.indisvalid AND i.indimmediate
                    AND i.indnkeyatts = 1 AND i.indpred IS NULL AND i.indexprs IS NULL
                    AND a.attname = d.key_column) THEN
    RAISE EXCEPTION 'key column "%" of the source of dimension "%" has no unique index of its own', d.key_column, d.name
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('%s has no primary key or unique constraint or index on column %I alone any more (not partial, not '
                            'deferrable): two of its rows could have one key, and the dimension would keep only one of them.',
                            d.source, d.key_column),
            HINT = format('Add one, e.g. ALTER TABLE %s ADD %s (%I); the next refresh then makes the dimension''s current rows '
                          'equal to the source, as after a TRUNCATE.', d.source,
                          CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = d.source AND i.indisprimary)
                               THEN 'UNIQUE' ELSE 'PRIMARY KEY' END, d.key_column);
  END IF;
  -- a dimension to make equal to its source (restored from a dump, a
  -- column's type changed with pending changes captured under the old
  -- one, see _dim_on_alter, or its key's unique index dropped, see
  -- _dim_key_check): its pending changes are acknowledged unread
  -- (their images may not read as the columns' types now)
  IF d.resync_pending THEN
    PERFORM dataeng_internal._agg_changes_table();
    n := dataeng_internal._dim_resync(d, 0, now());
    PERFORM dataeng_internal._dim_def_write('refreshed', d, n);
    RETURN n;
  END IF;

  -- Where it can, the refresh applies the changes in C
  -- (_dim_apply(), src/aggregate/dimension.c), with the decisions of the
  -- statements below; else (or after a restore) those statements do.
  -- _dim_apply() writes only a table the current role owns: a dimension
  -- table given to another role is written by the statements (which check
  -- the owner's rights on it).
  IF NOT d.resync_pending
     AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                  WHERE c.oid = d.dim_table AND pg_catalog.pg_has_role(c.relowner, 'USAGE')) THEN
    SELECT * INTO ap
      FROM dataeng_internal._dim_apply(d.consumer, d.source, d.key_column, d.attributes, d.dim_table, d.scd_type,
             ARRAY(SELECT dataeng_internal._dim_differ(d.source, c.name, 'a', 'b') <> '(a IS DISTINCT FROM b)'
                     FROM unnest(d.key_column || d.attributes) WITH ORDINALITY c(name, o) ORDER BY c.o));
    IF ap.path IS NULL THEN
      n := ap.n_changes;
      IF ap.truncated_at IS NOT NULL THEN
        PERFORM dataeng_internal._agg_changes_table();
        n := dataeng_internal._dim_resync(d, n, ap.truncated_at);
      END IF;
      PERFORM dataeng_internal._dim_def_write('refreshed', d, n);
      RETURN n;
    END IF;
    RAISE DEBUG 'dimension "%" applies its changes in SQL: %', d.name, ap.path;
  END IF;

  -- Events, per key: a delete (the old key of a delete, or of an update
  -- that changed the key) and an upsert (the new row of an insert or
  -- update), in commit order by (change_id, part); a TRUNCATE (present
  -- NULL); and a last row counting the changes read (n_changes).
  img := dataeng_internal._agg_image_cols(d.source, d.key_column || d.attributes);
  FOR i IN 1 .. cardinality(d.attributes) LOOP
    sel := sel || format(', %s AS a%s', img.exprs[i + 1], i);
    attrs := attrs || format(', %I', d.attributes[i]);
    ev_attrs := ev_attrs || format(', e.a%s', i);
  END LOOP;
  PERFORM dataeng_internal._agg_temp_as('_dataeng_dim_ev', format(
    'SELECT c.n_changes, c.change_id, c.part, c.t, c.present, %s AS k%s '
    '  FROM dataeng_internal._dim_events(%L, %s::oid::regclass, %L, %L::text[]) '
    '       AS c(n_changes bigint, change_id bigint, part int, t timestamptz, present boolean%s) '
    ' ORDER BY 6, 2, 3',   -- (by key: the lookups below then walk the index in order)
    img.exprs[1], sel, d.consumer, d.source::oid, d.key_column, d.attributes, img.coldef));
  SELECT e.n_changes INTO n FROM pg_temp._dataeng_dim_ev e WHERE e.n_changes IS NOT NULL;

  IF d.resync_pending THEN
    -- restored from a dump: the changes pending at the dump are in the
    -- source but were never captured for the new consumer; the current
    -- rows are made equal to the source (as after a TRUNCATE), the
    -- versions of those changes taking effect now
    PERFORM dataeng_internal._agg_changes_table();
    n := dataeng_internal._dim_resync(d, n, now());
  ELSIF n > 0 THEN
    -- changes before the first TRUNCATE are applied; from a TRUNCATE on,
    -- the current rows are made equal to the source
    SELECT e.change_id, e.t AS captured_at INTO tr
      FROM pg_temp._dataeng_dim_ev e WHERE e.n_changes IS NULL AND e.present IS NULL
     ORDER BY e.change_id LIMIT 1;
    has_t := FOUND;
    IF has_t THEN
      before_t := format('e.change_id < %s', tr.change_id);
    END IF;

    IF d.scd_type = 1 THEN
      -- the last event of each key decides
      PERFORM dataeng_internal._agg_temp_as('_dataeng_dim_last', format(
                     'SELECT DISTINCT ON (e.k) e.* FROM pg_temp._dataeng_dim_ev e '
                     'WHERE e.present IS NOT NULL AND %s '
                     'ORDER BY e.k, e.change_id DESC, e.part DESC', before_t));
      EXECUTE format('DELETE FROM %s x USING pg_temp._dataeng_dim_last e WHERE NOT e.present AND x.%I = e.k',
                     d.dim_table, d.key_column);
      -- (rows already equal are left out before ON CONFLICT, which would
      -- lock them)
      EXECUTE format('INSERT INTO %1$s AS x (%2$I%3$s) SELECT e.k%4$s FROM pg_temp._dataeng_dim_last e '
                     'WHERE e.present AND NOT EXISTS (SELECT 1 FROM %1$s y WHERE y.%2$I = e.k AND NOT (%5$s)) '
                     'ON CONFLICT (%2$I) DO %6$s',
                     d.dim_table, d.key_column, attrs, ev_attrs,
                     dataeng_internal._dim_attrs_differ(d, 'y.', 'e.', false, true),
                     -- (the key too: one equal to the row's but another value)
                     CASE WHEN dataeng_internal._dim_attrs_differ(d, 'x.', 'EXCLUDED.', false, false) = 'false' THEN 'NOTHING'
                          ELSE format('UPDATE SET %s WHERE %s',
                                      (SELECT string_agg(format('%1$I = EXCLUDED.%1$I', c), ', ') FROM unnest(d.key_column || d.attributes) c),
                                      dataeng_internal._dim_attrs_differ(d, 'x.', 'EXCLUDED.', false, false)) END);
    ELSE
      -- Keep the events that change the key's state (present or not, and
      -- the tracked attributes) from the state before them: the current
      -- row for a key's first event, the event before for the others.
      -- Each kept event closes the version before it; a kept upsert opens
      -- a version, valid until the next kept event of its key.  Times
      -- never go back (a later change's capture time is never earlier
      -- than the version it closes).
      lag_differ := replace(dataeng_internal._dim_attrs_differ(d, 'lag(e.', 'e.', true, true), ' IS DISTINCT FROM', ') OVER w IS DISTINCT FROM');
      cur_differ := dataeng_internal._dim_attrs_differ(d, 'cur.', 'e.', false, true);
      PERFORM dataeng_internal._agg_temp_as('_dataeng_dim_tr', format(
        'SELECT s.*, lead(s.t) OVER v AS t_next, row_number() OVER v AS rn FROM ('
        '  SELECT e.change_id, e.part, e.k, e.present%1$s, '
        '         greatest(max(e.t) OVER w, cur.valid_from) AS t, '
        '         CASE WHEN row_number() OVER w = 1 '
        '              THEN (cur.%2$I IS NOT NULL) <> e.present OR (e.present AND (%3$s)) '
        '              ELSE lag(e.present) OVER w <> e.present OR (e.present AND (%4$s)) END AS changed '
        '    FROM pg_temp._dataeng_dim_ev e LEFT JOIN %5$s cur ON cur.is_current AND cur.%2$I = e.k '
        '   WHERE e.present IS NOT NULL AND %7$s '
        '  WINDOW w AS (PARTITION BY e.k ORDER BY %6$s)) s '
        'WHERE s.changed '
        'WINDOW v AS (PARTITION BY s.k ORDER BY s.change_id, s.part)',
        ev_attrs, d.key_column, cur_differ, lag_differ, d.dim_table, ord, before_t));
      EXECUTE format('UPDATE %s x SET valid_to = e.t, is_current = false FROM pg_temp._dataeng_dim_tr e '
                     'WHERE e.rn = 1 AND x.is_current AND x.%I = e.k', d.dim_table, d.key_column);
      EXECUTE format('INSERT INTO %s (%I%s, valid_from, valid_to, is_current) '
                     'SELECT e.k%s, e.t, e.t_next, e.t_next IS NULL FROM pg_temp._dataeng_dim_tr e WHERE e.present '
                     'ORDER BY e.change_id, e.part',   -- surrogate keys in change order
                     d.dim_table, d.key_column, attrs, ev_attrs);
    END IF;

    IF has_t THEN
      PERFORM dataeng_internal._agg_changes_table();
      n := dataeng_internal._dim_resync(d, n, tr.captured_at);
    END IF;
  END IF;

  PERFORM dataeng_internal._dim_def_write('refreshed', d, n);
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng.dimension_refresh(text) IS
  'Applies the source''s captured changes to a dimension table (overwriting, or keeping history for SCD type 2) and acknowledges them, in one transaction; returns the number of changes';

-- Whether a value of type from_type (typmod from_typmod), written in the
-- change log as it was, reads back as type to_type (to_typmod) as the
-- value ALTER TABLE ... ALTER COLUMN ... TYPE to_type made of it: the same
-- type with no or the same length/precision (or a longer varchar, char or
-- bit varying), an integer widened (to a larger integer or an
-- unconstrained numeric), or a cast without a function (varchar to text).
-- Any other change (text to int USING ..., char(n) to text, which trims,
-- numeric(10,2) to numeric(10,1), float4 to float8) may not.
CREATE FUNCTION dataeng_internal._dim_type_keeps_values(from_type oid, from_typmod int, to_type oid, to_typmod int)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE
    WHEN from_type = to_type THEN
      to_typmod = -1 OR to_typmod = from_typmod
      OR (to_type = ANY (ARRAY['varchar'::regtype, 'bpchar'::regtype, 'varbit'::regtype]::oid[])
          AND from_typmod <> -1 AND to_typmod >= from_typmod)
    WHEN from_type = ANY (ARRAY['int2'::regtype, 'int4'::regtype]::oid[])
         AND to_type = ANY (ARRAY['int4'::regtype, 'int8'::regtype]::oid[]) THEN
      from_type = 'int2'::regtype::oid OR to_type = 'int8'::regtype::oid
    WHEN from_type = ANY (ARRAY['int2'::regtype, 'int4'::regtype, 'int8'::regtype]::oid[])
         AND to_type = 'numeric'::regtype::oid THEN
      to_typmod = -1
    ELSE EXISTS (SELECT 1 FROM pg_cast k
                  WHERE k.castsource = from_type AND k.casttarget = to_type
                    AND k.castmethod = 'b')
  END
$$;
REVOKE ALL ON FUNCTION dataeng_internal._dim_type_keeps_values(oid, integer, oid, integer) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dim_type_keeps_values(oid, integer, oid, integer) IS
  'internal: whether values captured as one type read back as another as ALTER COLUMN ... TYPE converted them';

-- After ALTER TABLE of a dimension's source or table: when a tracked
-- column of the source now has a type whose values the dimension's
-- column (still of the type the changes pending were captured under)
-- does not read back as ALTER ... TYPE converted them, the images of the
-- changes pending may not read as the new type (text to int: 'Rome'), or
-- may read as another value (int to text USING 'n' || n): the next
-- refresh, once the dimension's column follows (its 42804 error says
-- how), makes the dimension's current rows equal to the source instead,
-- as after a TRUNCATE (resync_pending).  A compatible change (int to
-- bigint, varchar(n) to text) leaves them to apply one by one.  The
-- dimension's column changed first (its type then differs from the
-- source's, whose next type is not known): the same as an incompatible
-- change.  Security
-- definer: it only sets that flag, which any role that can ALTER the
-- source could bring about with a TRUNCATE.
-- The attnums of the source columns a dimension copies, by name
-- (dimension_defs.source_columns); NULL when none of them is a column.
CREATE FUNCTION dataeng_internal._dim_source_columns(source regclass, cols text[])
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT jsonb_object_agg(a.attname, a.attnum)
    FROM pg_attribute a
   WHERE a.attrelid = source AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY (cols)
$$;
REVOKE ALL ON FUNCTION dataeng_internal._dim_source_columns(regclass, text[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dim_source_columns(regclass, text[]) IS
  'internal: the attnums of the source columns a dimension copies, by name (dimension_defs.source_columns)';

-- (run as the extension's owner by the event trigger's function
-- _dim_on_alter, src/cdc/ddl_gate.c, only after an ALTER TABLE of a
-- dimension's source or table, or of a statement whose table it cannot
-- tell)
CREATE FUNCTION dataeng_internal._dim_on_alter_apply()
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  -- the tables the statement altered (ALTER TYPE ... RENAME / ALTER
  -- ATTRIBUTE ... CASCADE of the composite type of a typed table: its
  -- columns change too)
  altered oid[] := ARRAY(SELECT c.objid FROM pg_event_trigger_ddl_commands() c
                          WHERE c.classid = 'pg_class'::regclass
                         UNION
                         SELECT r.oid FROM pg_event_trigger_ddl_commands() c
                           JOIN pg_type t ON t.typrelid = c.objid
                           JOIN pg_class r ON r.reloftype = t.oid
                          WHERE c.classid = 'pg_class'::regclass);
  d record;
BEGIN
  -- a name the dimension copies given to another column of the source
  -- than the one it was made of (two columns' names swapped, or one
  -- renamed away or dropped and another renamed or added under its name):
  -- the source's values under that name are another column's now, and
  -- the changes captured before hold the columns under their old names.
  -- (A column renamed and given its name back is the same column.)  The
  -- names then take their columns' numbers as they are now.
  UPDATE dataeng_internal.dimension_defs x
     SET resync_pending = true,
         source_columns = x.source_columns
                          || coalesce(dataeng_internal._dim_source_columns(x.source, x.key_column || x.attributes), '{}')
   WHERE x.source::oid = ANY (altered)
     AND EXISTS (SELECT 1 FROM jsonb_each_text(x.source_columns) e(k, v)
                   JOIN pg_attribute s ON s.attrelid = x.source AND s.attname = e.k
                                      AND s.attnum > 0 AND NOT s.attisdropped
                  WHERE s.attnum <> e.v::int2);
  -- a column whose type changed so that the captured changes cannot be
  -- read one by one (the source's), or whose next type is not known (the
  -- dimension's, changed first)
  UPDATE dataeng_internal.dimension_defs x SET resync_pending = true
   WHERE NOT x.resync_pending
     AND (x.source::oid = ANY (altered) OR x.dim_table::oid = ANY (altered))
     AND EXISTS (SELECT 1 FROM unnest(x.key_column || x.attributes) n
                   JOIN pg_attribute s ON s.attrelid = x.source AND s.attname = n
                                      AND s.attnum > 0 AND NOT s.attisdropped
                   JOIN pg_attribute t ON t.attrelid = x.dim_table AND t.attname = n
                                      AND t.attnum > 0 AND NOT t.attisdropped
                  WHERE (s.atttypid, s.atttypmod) IS DISTINCT FROM (t.atttypid, t.atttypmod)
                    -- (the dimension's column changed before the source's:
                    -- to what type the source's goes is not known yet)
                    AND (x.dim_table::oid = ANY (altered)
                         OR NOT dataeng_internal._dim_type_keeps_values(t.atttypid, t.atttypmod, s.atttypid, s.atttypmod)));
  -- the key column made nullable (DROP NOT NULL): the changes of a row
  -- without a key could never be applied, and every refresh after one
  -- would fail (dimension_create asks for NOT NULL for that reason).
  -- Only for a dimension whose owner may still read the source: one of a
  -- role whose grants were revoked refreshes nothing either way, and kept
  -- the source's owner from the ALTER for as long as it existed (the
  -- owner may not drop it).
  SELECT x.name, x.source, x.key_column INTO d
    FROM dataeng_internal.dimension_defs x
    JOIN pg_attribute a ON a.attrelid = x.source AND a.attname = x.key_column
                       AND a.attnum > 0 AND NOT a.attisdropped
   WHERE x.source::oid = ANY (altered) AND NOT a.attnotnull
     AND dataeng_internal._cdc_can_read(x.owner, x.source::oid)
   ORDER BY x.name LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'column "%" of table % is the key of dimension "%": it must stay NOT NULL', d.key_column, d.source, d.name
      USING ERRCODE = 'dependent_objects_still_exist',
            DETAIL = 'A dimension row stands for exactly one source row, found by its key: the changes of a row without one could not be applied.',
            HINT = format('Keep the column NOT NULL, or drop the dimension first with dataeng.dimension_drop(%L).', d.name);
  END IF;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._dim_on_alter_apply() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dim_on_alter_apply() IS
  'internal: the work of the event trigger dataeng_dim_on_alter after an ALTER TABLE of a dimension''s source or table';
-- (one cheap check first: src/cdc/ddl_gate.c)
CREATE FUNCTION dataeng_internal._dim_on_alter()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_dim_on_alter'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal._dim_on_alter() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dim_on_alter() IS
  'internal: a dimension whose source column changed type so that its pending changes cannot be read one by one, or whose copied names were given to other columns, is made equal to its source at its next refresh (event trigger dataeng_dim_on_alter)';
CREATE EVENT TRIGGER dataeng_dim_on_alter ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER TYPE')
  EXECUTE FUNCTION dataeng_internal._dim_on_alter();

-- A dimension's key column has a unique index of its own (the kind
-- dimension_create asks for: valid, not deferrable, not partial, not on an
-- expression): without one, two source rows could take one key, and the
-- refresh would apply both rows' changes to one dimension row (an insert
-- overwriting the other row, a delete of either removing the key).  A
-- statement dropping the last such index still goes through (a pg_dump
-- --clean script, or pg_restore --clean, drops a source's primary key
-- before the source itself): DROP INDEX (also CONCURRENTLY), ALTER TABLE
-- ... DROP CONSTRAINT, or a DROP ... CASCADE of what the index depends on
-- (a collation, an operator class, a schema holding them).  It warns, and
-- marks the dimension (resync_pending): dimension_refresh refuses to run
-- while the key has no such index, and once it has one again, its next
-- refresh makes the dimension's current rows equal to the source, as after
-- a TRUNCATE, whatever rows of one key came and went meanwhile.  Another
-- such index, or one the same statement adds (ALTER TABLE ... DROP
-- CONSTRAINT ..., ADD PRIMARY KEY), keeps the key.
-- (run as the extension's owner by the event trigger's function
-- _dim_on_key_drop, src/cdc/ddl_gate.c, only when a source's key has no
-- such index and the transaction dropped one: sources and indexes, pairs of
-- a source and an index of its key the transaction dropped; those the
-- current statement dropped count)
CREATE FUNCTION dataeng_internal._dim_key_check(sources oid[], indexes oid[])
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d record;
BEGIN
  FOR d IN
    SELECT x.name, x.source, x.key_column
      FROM dataeng_internal.dimension_defs x
      JOIN pg_attribute a ON a.attrelid = x.source AND a.attname = x.key_column
                         AND a.attnum > 0 AND NOT a.attisdropped
     WHERE NOT x.source_dropped
       AND EXISTS (SELECT 1 FROM unnest(sources, indexes) u(source, index)
                     JOIN pg_event_trigger_dropped_objects() o
                       ON o.classid = 'pg_class'::regclass AND o.objid = u.index
                    WHERE u.source = x.source)
       AND NOT EXISTS (SELECT 1 FROM pg_index i
                        WHERE i.indrelid = x.source AND i.indisunique AND i.indisvalid AND i.indimmediate
                          AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum
                          AND i.indpred IS NULL AND i.indexprs IS NULL)
     ORDER BY x.name
  LOOP
    UPDATE dataeng_internal.dimension_defs x SET resync_pending = true WHERE x.name = d.name;
    RAISE WARNING 'column "%" of table % is the key of dimension "%" and has no unique index of its own any more',
                  d.key_column, d.source, d.name
      USING DETAIL = format('Two source rows could now have one key: dataeng.dimension_refresh(%L) refuses to run until the column has one again, '
                            'then makes the dimension''s current rows equal to the source, as after a TRUNCATE.', d.name),
            HINT = format('Add it back, e.g. ALTER TABLE %s ADD %s (%I);', d.source,
                          CASE WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = d.source AND i.indisprimary)
                               THEN 'UNIQUE' ELSE 'PRIMARY KEY' END, d.key_column);
  END LOOP;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._dim_key_check(oid[], oid[]) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dim_key_check(oid[], oid[]) IS
  'internal: warn of a statement that left a dimension''s key column without a unique index of its own, and mark the dimension (event trigger dataeng_dim_key_drop)';
-- (one cheap check first: src/cdc/ddl_gate.c)
CREATE FUNCTION dataeng_internal._dim_on_key_drop()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_dim_on_key_drop'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal._dim_on_key_drop() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._dim_on_key_drop() IS
  'internal: a statement dropping the last unique index of a dimension''s key column warns and marks the dimension (event trigger dataeng_dim_key_drop)';
CREATE EVENT TRIGGER dataeng_dim_key_drop ON sql_drop
  EXECUTE FUNCTION dataeng_internal._dim_on_key_drop();

-- A fact or dimension records its source's name beside its oid
-- (_agg_source_exists).  After ALTER TABLE (RENAME, SET SCHEMA), ALTER
-- INDEX ... RENAME of a table and ALTER SCHEMA ... RENAME, a source the
-- command touched takes its new name (ddl_command_end).  Before such a
-- command (ddl_command_start), a source whose oid names a table of
-- another name than the one recorded, or none, is marked dropped: it was
-- dropped unseen (event triggers off) and its oid is another table's now
-- (used again, or restored), which the command must not make the source
-- by renaming it.  A source marked dropped is not followed.  Security
-- definer: it only writes what the role's command brought about.
-- (run as the extension's owner by the event trigger's function
-- _agg_on_rename, src/cdc/ddl_gate.c, with its event: before the command
-- only when a source is to be marked dropped, after it only when the
-- command renames or moves something, or a source has no name recorded)
CREATE FUNCTION dataeng_internal._agg_on_rename_apply(event text)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  rels oid[];
  nsps oid[];
BEGIN
  IF event = 'ddl_command_start' THEN
    -- (no name recorded: taken as the source's, as _agg_source_exists
    -- does.  The names are compared as names, as _agg_source_exists
    -- compares them, inline, and looked up by oid per definition, a
    -- subquery the planner keeps: this runs before every ALTER TABLE of
    -- the database, where a call of a function per definition, or a join
    -- that reads all of pg_class, took milliseconds)
    UPDATE dataeng_internal.fact_defs x SET source_dropped = true
     WHERE NOT x.source_dropped
       AND coalesce((SELECT x.source_table IS NOT NULL
                            AND (x.source_schema, x.source_table) IS DISTINCT FROM (n.nspname, r.relname)
                       FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
                      WHERE r.oid = x.source::oid), true);
    UPDATE dataeng_internal.dimension_defs x SET source_dropped = true
     WHERE NOT x.source_dropped
       AND coalesce((SELECT x.source_table IS NOT NULL
                            AND (x.source_schema, x.source_table) IS DISTINCT FROM (n.nspname, r.relname)
                       FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
                      WHERE r.oid = x.source::oid), true);
    RETURN;
  END IF;
  SELECT array_agg(c.objid) FILTER (WHERE c.classid = 'pg_class'::regclass),
         array_agg(c.objid) FILTER (WHERE c.classid = 'pg_namespace'::regclass)
    INTO rels, nsps
    FROM pg_event_trigger_ddl_commands() c;
  IF rels IS NULL AND nsps IS NULL THEN
    RETURN;
  END IF;
  UPDATE dataeng_internal.fact_defs x SET source_schema = n.nspname, source_table = r.relname
    FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
   WHERE r.oid = x.source::oid AND NOT x.source_dropped
     AND (r.oid = ANY (coalesce(rels, '{}')) OR r.relnamespace = ANY (coalesce(nsps, '{}')))
     AND (x.source_schema, x.source_table) IS DISTINCT FROM (n.nspname, r.relname);
  UPDATE dataeng_internal.dimension_defs x SET source_schema = n.nspname, source_table = r.relname
    FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace
   WHERE r.oid = x.source::oid AND NOT x.source_dropped
     AND (r.oid = ANY (coalesce(rels, '{}')) OR r.relnamespace = ANY (coalesce(nsps, '{}')))
     AND (x.source_schema, x.source_table) IS DISTINCT FROM (n.nspname, r.relname);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._agg_on_rename_apply(text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._agg_on_rename_apply(text) IS
  'internal: the work of the event triggers dataeng_agg_on_rename_start and dataeng_agg_on_rename (event: ddl_command_start or ddl_command_end)';
-- (one cheap check first: src/cdc/ddl_gate.c)
CREATE FUNCTION dataeng_internal._agg_on_rename()
RETURNS event_trigger
AS 'MODULE_PATHNAME', 'dataeng_agg_on_rename'
LANGUAGE C;
REVOKE ALL ON FUNCTION dataeng_internal._agg_on_rename() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._agg_on_rename() IS
  'internal: a fact''s or dimension''s source renamed (or moved) keeps its name recorded; one whose oid names another table is marked dropped (event triggers dataeng_agg_on_rename_start, dataeng_agg_on_rename)';
CREATE EVENT TRIGGER dataeng_agg_on_rename_start ON ddl_command_start
  WHEN TAG IN ('ALTER TABLE', 'ALTER INDEX', 'ALTER SCHEMA')
  EXECUTE FUNCTION dataeng_internal._agg_on_rename();
CREATE EVENT TRIGGER dataeng_agg_on_rename ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'ALTER INDEX', 'ALTER SCHEMA')
  EXECUTE FUNCTION dataeng_internal._agg_on_rename();

CREATE FUNCTION dataeng.dimension_drop(dim_name text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  d dataeng_internal.dimension_defs;
BEGIN
  IF dim_name IS NULL THEN
    RAISE EXCEPTION 'dim_name must not be NULL' USING ERRCODE = 'null_value_not_allowed',
      DETAIL = 'dataeng.dimension_drop() refuses a NULL argument instead of doing nothing.',
      HINT = 'Skip the call when the value is NULL (for example, a name that a query did not find).';
  END IF;
  -- none of that name (of the caller's roles): false, as the other drops
  -- (docs/errors.md)
  BEGIN
    d := dataeng_internal._dim_def(dim_name, true);
  EXCEPTION WHEN undefined_object THEN
    RETURN false;
  END;
  IF d.owner <> current_user::regrole THEN
    PERFORM dataeng_internal._agg_as_owner(d.owner, 'dimension_drop', d.name);
    RETURN true;
  END IF;
  PERFORM dataeng_internal._agg_drop_check(d.owner, d.dim_table, d.consumer, 'dim:' || d.name, format('dimension "%s"', d.name));
  PERFORM dataeng_internal._dim_def_write('delete', d, 0);
  PERFORM dataeng_internal._agg_drop(d.dim_table, d.consumer, 'dimension_refresh:' || d.name);
  RETURN true;
END;
$$;
COMMENT ON FUNCTION dataeng.dimension_drop(text) IS
  'Drops a dimension table, its change-log consumer, its scheduled refresh and its definition (capture of the source stays); returns false when the caller has no dimension of that name';

-- (security_invoker: the caller sees its own dimensions, by row security)
CREATE VIEW dataeng.dimensions WITH (security_invoker = true) AS
  SELECT x.name, x.dim_table AS "table", x.source, x.key_column, x.attributes, x.scd_type,
         x.owner, x.schedule, x.created_at, x.last_refresh, x.last_changes, x.total_changes,
         c.pending_changes, c.lag_seconds
    FROM dataeng_internal.dimension_defs x
    LEFT JOIN dataeng.cdc_consumers c ON c.name = x.consumer;
COMMENT ON VIEW dataeng.dimensions IS
  'Dimension tables of the calling role: definition, last refresh, changes pending and lag (seconds)';
COMMENT ON COLUMN dataeng.dimensions.name IS 'Name of the dimension';
COMMENT ON COLUMN dataeng.dimensions."table" IS 'The dimension table';
COMMENT ON COLUMN dataeng.dimensions.source IS 'The table the dimension follows';
COMMENT ON COLUMN dataeng.dimensions.key_column IS 'The source column identifying a member';
COMMENT ON COLUMN dataeng.dimensions.attributes IS 'Source columns the dimension keeps';
COMMENT ON COLUMN dataeng.dimensions.scd_type IS '1: attributes overwritten; 2: a new version per change';
COMMENT ON COLUMN dataeng.dimensions.owner IS 'Role owning the dimension';
COMMENT ON COLUMN dataeng.dimensions.schedule IS 'Schedule of the refresh job, NULL when refreshed by hand';
COMMENT ON COLUMN dataeng.dimensions.created_at IS 'When the dimension was created';
COMMENT ON COLUMN dataeng.dimensions.last_refresh IS 'When the dimension was last refreshed';
COMMENT ON COLUMN dataeng.dimensions.last_changes IS 'Changes applied by the last refresh';
COMMENT ON COLUMN dataeng.dimensions.total_changes IS 'Changes applied since the dimension was created';
COMMENT ON COLUMN dataeng.dimensions.pending_changes IS 'Changes waiting for the next refresh';
COMMENT ON COLUMN dataeng.dimensions.lag_seconds IS 'Age in seconds of the oldest waiting change';
GRANT SELECT ON dataeng.dimensions TO PUBLIC;

-----------------------------------------------------------------------------
-- Facts and dimensions in pg_dump
-----------------------------------------------------------------------------

-- Definitions are configuration: pg_dump dumps them (the fact and
-- dimension tables are dumped as ordinary tables, consistent with their
-- sources).  Consumers and the change log are not dumped: a definition
-- restored without its consumer gets a new one, starting at the restore,
-- owned by the definition's owner.  fact_create and dimension_create
-- create their consumer so too, as they insert the definition (through
-- _fact_def_write / _dim_def_write: only they, and a superuser, write
-- definitions).  After the insert, so that the reserved consumer name is
-- the new definition's (_agg_reserved_check).
--
-- A definition's owner is the owner of its table (the fact's view, the
-- dimension's table), as fact_create and dimension_create require: a dump
-- writes the table's owner by name, which a restore maps to the role of
-- that name, but the definition's owner as an oid, written a bare number
-- once that role is dropped (its tables given to another role by REASSIGN
-- OWNED or ALTER ... OWNER TO), which a restore gives to whichever role
-- has that oid there.  A definition inserted with another owner than its
-- table's (restored so) takes its table's owner, with a WARNING: its
-- consumer, refreshes and drop then act as that role, never as the oid's.
CREATE FUNCTION dataeng_internal._agg_restore_consumer()
RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  tbl regclass;
  towner oid;
  src_name text;
  src_rel record;
BEGIN
  IF TG_TABLE_NAME = 'fact_defs' THEN
    tbl := NEW.fact_table;
  ELSE
    tbl := NEW.dim_table;
  END IF;
  -- the attnums of its source columns are those of the dumped database
  -- (a restore numbers the columns anew, without the dropped ones): when
  -- they are not those of the columns of these names here, its first
  -- refresh records them again
  IF NEW.source_columns IS NOT NULL
     AND EXISTS (SELECT 1 FROM jsonb_each_text(NEW.source_columns) e(k, v)
                  WHERE NOT EXISTS (SELECT 1 FROM pg_attribute a
                                     WHERE a.attrelid = NEW.source AND a.attname = e.k
                                       AND a.attnum = e.v::int2 AND NOT a.attisdropped)) THEN
    IF TG_TABLE_NAME = 'fact_defs' THEN
      UPDATE dataeng_internal.fact_defs f SET source_columns = NULL WHERE f.name = NEW.name;
    ELSE
      UPDATE dataeng_internal.dimension_defs x SET source_columns = NULL WHERE x.name = NEW.name;
    END IF;
  END IF;
  SELECT c.relowner INTO towner FROM pg_class c WHERE c.oid = tbl;
  IF towner IS NOT NULL AND towner <> NEW.owner::oid THEN
    RAISE WARNING '% "%" names % as its owner, not the owner of its table %: it is now role %''s',
          CASE TG_TABLE_NAME WHEN 'fact_defs' THEN 'fact' ELSE 'dimension' END, NEW.name,
          coalesce((SELECT 'role ' || quote_ident(r.rolname) FROM pg_roles r WHERE r.oid = NEW.owner::oid), 'no role'),
          tbl, towner::regrole
      USING DETAIL = format('Its owner is role oid %s.  A dump writes a dropped role''s oid as a bare number, which a restore gives to whichever role has it.',
                            NEW.owner::oid);
    NEW.owner := towner::regrole;
    IF TG_TABLE_NAME = 'fact_defs' THEN
      UPDATE dataeng_internal.fact_defs f SET owner = NEW.owner WHERE f.name = NEW.name;
    ELSE
      UPDATE dataeng_internal.dimension_defs x SET owner = NEW.owner WHERE x.name = NEW.name;
    END IF;
  END IF;
  -- its source: the table of its oid, if that table has the name
  -- recorded (a dump without it, of 0.1.0, records the table's name now);
  -- else the source was dropped before the dump and the oid, written as a
  -- bare number, names another table here, or none: no consumer reads it,
  -- and the refreshes fail saying the source was dropped
  src_name := dataeng_internal._agg_rel_name(NEW.source);
  SELECT i.schema_name, i.table_name INTO src_rel FROM dataeng_internal._agg_rel_ident(NEW.source) i;
  IF NEW.source_table IS NULL AND NOT NEW.source_dropped AND src_rel.table_name IS NOT NULL THEN
    NEW.source_schema := src_rel.schema_name;
    NEW.source_table := src_rel.table_name;
    IF TG_TABLE_NAME = 'fact_defs' THEN
      UPDATE dataeng_internal.fact_defs f SET source_schema = NEW.source_schema, source_table = NEW.source_table
       WHERE f.name = NEW.name;
    ELSE
      UPDATE dataeng_internal.dimension_defs x SET source_schema = NEW.source_schema, source_table = NEW.source_table
       WHERE x.name = NEW.name;
    END IF;
  END IF;
  -- (names compared as names, as _agg_source_exists does)
  IF NEW.source_dropped OR src_rel.table_name IS NULL
     OR (src_rel.schema_name, src_rel.table_name) IS DISTINCT FROM (NEW.source_schema, NEW.source_table) THEN
    IF NOT NEW.source_dropped THEN
      IF TG_TABLE_NAME = 'fact_defs' THEN
        UPDATE dataeng_internal.fact_defs f SET source_dropped = true WHERE f.name = NEW.name;
      ELSE
        UPDATE dataeng_internal.dimension_defs x SET source_dropped = true WHERE x.name = NEW.name;
      END IF;
    END IF;
    RAISE WARNING 'the source table of % "%" was dropped',
          CASE TG_TABLE_NAME WHEN 'fact_defs' THEN 'fact' ELSE 'dimension' END, NEW.name
      USING DETAIL = format('It was made from table %s of OID %s; %s.',
                            coalesce(quote_ident(NEW.source_schema) || '.' || quote_ident(NEW.source_table), '(unknown)'),
                            NEW.source::oid,
                            CASE WHEN src_name IS NULL THEN 'no table has that OID here'
                                 WHEN NEW.source_dropped THEN 'it was dropped before the dump'
                                 ELSE format('that OID names table %s here, another table', src_name) END),
            HINT = format('Drop it with SELECT dataeng.%s_drop(%L): its refreshes fail until then.',
                          CASE TG_TABLE_NAME WHEN 'fact_defs' THEN 'fact' ELSE 'dimension' END, NEW.name);
    RETURN NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c WHERE c.name = NEW.consumer) THEN
    PERFORM dataeng_internal._cdc_consumer_create(NEW.owner, NEW.consumer, ARRAY[NEW.source]);
    -- the new consumer starts now: what the source changed since the
    -- definition's last refresh is made up by its next refresh
    IF TG_TABLE_NAME = 'fact_defs' THEN
      UPDATE dataeng_internal.fact_defs f SET resync_pending = true WHERE f.name = NEW.name;
    ELSE
      UPDATE dataeng_internal.dimension_defs x SET resync_pending = true WHERE x.name = NEW.name;
    END IF;
  ELSIF NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_consumer_state c
                     WHERE c.name = NEW.consumer AND c.owner = NEW.owner
                       AND c.tables IS NOT DISTINCT FROM ARRAY[NEW.source]) THEN
    -- (one left behind by another role, or following other tables: never
    -- adopted)
    RAISE EXCEPTION 'consumer "%" exists and is not that of %', NEW.consumer,
          CASE TG_TABLE_NAME WHEN 'fact_defs' THEN 'fact' ELSE 'dimension' END || format(' "%s"', NEW.name)
      USING ERRCODE = 'duplicate_object',
            DETAIL = format('The consumer of a definition of role %s must be owned by it and follow exactly table %s.',
                            NEW.owner, NEW.source),
            HINT = 'A superuser may drop that consumer with dataeng.cdc_consumer_drop().';
  END IF;
  RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._agg_restore_consumer() FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._agg_restore_consumer() IS
  'internal: give a restored fact or dimension definition a change-log consumer';
CREATE TRIGGER restore_consumer AFTER INSERT ON dataeng_internal.fact_defs
  FOR EACH ROW EXECUTE FUNCTION dataeng_internal._agg_restore_consumer();
CREATE TRIGGER restore_consumer AFTER INSERT ON dataeng_internal.dimension_defs
  FOR EACH ROW EXECUTE FUNCTION dataeng_internal._agg_restore_consumer();
SELECT pg_catalog.pg_extension_config_dump('dataeng_internal.fact_defs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng_internal.dimension_defs', '');
