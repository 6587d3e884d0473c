/*-------------------------------------------------------------------------
 *
 * ddl.c
 *		Keep capture installed on the partitions of captured partitioned
 *		tables as partitions come and go, and keep the column options of
 *		captured tables right when their columns are renamed.
 *
 * The event trigger dataeng_cdc_on_ddl calls dataeng_internal._cdc_sync_triggers()
 * for the partitions created, attached or detached after the statements
 * that change a partition tree (CREATE TABLE ... PARTITION OF, ALTER TABLE
 * ... ATTACH/DETACH PARTITION) and only after those: a restore of a dump re-creates the partitions' capture triggers
 * itself, after its ALTER TABLE ... ADD CONSTRAINT statements.
 *
 * Before that, an ATTACH under a captured table (the partitioned table
 * altered or one above it) of a table whose changes, or those of a
 * partition below it, are read under their own names (a fact's or a
 * dimension's source, a consumer's table, a table captured on its own) is
 * refused: from then on they would be recorded under the captured table,
 * and the fact, dimension or consumer would silently receive none of them
 * (check_attached()).  What creates such a reader (cdc_enable, a consumer,
 * a fact or a dimension) first locks the table, and with cdc_enable every
 * partition below it, in SHARE UPDATE EXCLUSIVE mode
 * (dataeng_internal._cdc_reader_lock()), then checks: ATTACH holds the
 * table attached, and every partition below it, in ACCESS EXCLUSIVE mode
 * and its parent in SHARE UPDATE EXCLUSIVE mode, so of an ATTACH and the
 * creation of a reader run at once one waits for the other to commit and
 * then sees it (check_attached() reads with the latest snapshot).
 *
 * After ATTACH and DETACH it then records the rows the partition brought
 * into or took out of a captured table (src/cdc/partition_rows.c), and
 * gives the new partitions of tables captured from the WAL REPLICA
 * IDENTITY FULL (dataeng_internal._cdc_wal_identity()).
 *
 * The options columns and exclude_columns name columns, in
 * dataeng.cdc_tables and in the capture triggers' arguments (names, not
 * attnums, so that a dump restores them).  After ALTER TABLE ... RENAME
 * COLUMN the event trigger calls dataeng_internal._cdc_rename_column(), which
 * renames the column in the options of the table and of its inheritors and
 * rewrites their triggers: an excluded column stays excluded.  ALTER TYPE
 * ... RENAME ATTRIBUTE ... CASCADE renames the columns of the type's typed
 * tables (CREATE TABLE ... OF) and of their partitions: the event trigger
 * (which fires for ALTER TYPE too) does the same for each of them
 * (rename_attribute()), once a look at the catalog's indexes found one of
 * them captured (an ALTER TYPE of another type runs no SQL).  ALTER TYPE
 * ... DROP ATTRIBUTE ... CASCADE drops their columns: the sql_drop trigger
 * dataeng_cdc_on_drop (which fires for ALTER TYPE too) takes them out of
 * the options as it does for ALTER TABLE ... DROP COLUMN.
 *
 * Capture from the WAL needs REPLICA IDENTITY FULL on the table and on
 * each of its partitions (a partition's WAL holds old rows by its own
 * identity).  After a statement that adds partitions, or that sets a
 * table's REPLICA IDENTITY, the event trigger calls
 * dataeng_internal._cdc_wal_identity(), which gives a new partition of a
 * table captured from the WAL REPLICA IDENTITY FULL and refuses another
 * identity on such a table or partition (sql/cdc_wal.sql).
 *
 * A data-only restore with --disable-triggers loads dataeng.cdc_tables
 * with its triggers disabled, so no restored row captured from the WAL
 * starts the WAL capture worker; its ALTER TABLE ... ENABLE TRIGGER ALL
 * afterwards does (wal_start_restored()).
 *
 * With no table captured (dataeng.cdc_tables empty), the event trigger
 * after CREATE TABLE / ALTER TABLE looks at that table and does nothing
 * more (nothing_captured(); test cdc_ddl_unrelated).
 *
 * TRUNCATE is no DDL for event triggers: the utility hook
 * (src/schedule/dbhook.c) calls cdc_wal_check_truncate() before it runs.
 *
 * The worker decodes a change a round after its commit, with the table's
 * columns as they are then: a change waiting in the WAL for a column whose
 * type then changes, that is then renamed or made a plain column (DROP
 * EXPRESSION) cannot be decoded and stops the table (its changes from then
 * on are lost until cdc_enable), one waiting for a column then dropped
 * loses that column's value, and one waiting for a column then added is
 * recorded with it (NULL, or computed by a generated column's expression,
 * which may fail on a row deleted since and stop the table).  So before an
 * ALTER TABLE that does one of those on a table captured from the WAL (or
 * on a partitioned table whose root is), the utility hook calls
 * cdc_wal_before_alter(): it holds the table's writers off (SHARE ROW
 * EXCLUSIVE, which the worker's ACCESS SHARE does not conflict with) and
 * waits for the worker to record the changes committed before, as
 * cdc_disable does.  Only the changes the
 * altering transaction itself wrote before the ALTER are decoded after it.
 * The same holds for ALTER TYPE ... RENAME VALUE of an enum such a table
 * has a column of (or of a type built on it): pgoutput writes a pending
 * change's value with the label of its commit's time, which the worker
 * would not find after the rename; the hook holds the writers of those
 * tables off and waits the same way.  So it does for ALTER TYPE ... ADD,
 * DROP, ALTER or RENAME ATTRIBUTE of a composite type: a pending value's
 * text has the attributes of its time, which record_in refuses after the
 * change (or which the record would name as renamed); and for the typed
 * tables of the type, whose columns such a statement with CASCADE changes
 * as an ALTER TABLE would.
 * A DROP of such a table also describes, for the worker, each table it
 * takes that the dropping transaction changed before (cdc_wal_before_drop,
 * wal_describe_dropped): those changes commit with the DROP and are decoded
 * when the table is gone, so its capture options, key and columns go to a
 * row of dataeng_internal.cdc_wal_dropped, in the same transaction, with a
 * transactional logical message (CDC_WAL_DROP_PREFIX) that has the worker
 * read it (wal_apply.c, wal_load_dropped).
 * pgoutput publishes a partitioned table's changes through the table
 * (publish_via_partition_root) but leaves out the truncation of one of its
 * partitions alone, so a TRUNCATE naming a partition of a table captured
 * from the WAL (in publication dataeng_wal), and not the table itself, is
 * refused rather than lost.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/partition.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_publication.h"
#include "catalog/pg_shdepend.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/publicationcmds.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "replication/message.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "cdc/cdc.h"
#include "cdc/wal.h"

/*
 * cdc_wal_check_truncate
 *		Refuse a TRUNCATE that names a partition of a table published for
 *		WAL capture without naming that table (see the header).
 */
void
cdc_wal_check_truncate(Node *stmt)
{
	List	   *named = NIL;
	Oid			pubid;
	ListCell   *lc;

	if (stmt == NULL || !IsA(stmt, TruncateStmt))
		return;
	pubid = get_publication_oid(CDC_WAL_PUBLICATION, true);
	if (!OidIsValid(pubid))
		return;
	foreach(lc, ((TruncateStmt *) stmt)->relations)
	{
		Oid			relid = RangeVarGetRelid(lfirst_node(RangeVar, lc), NoLock, true);

		if (OidIsValid(relid))
			named = lappend_oid(named, relid);
	}
	foreach(lc, named)
	{
		Oid			relid = lfirst_oid(lc);
		List	   *ancestors;
		ListCell   *a;
		Oid			published = InvalidOid;

		if (!get_rel_relispartition(relid))
			continue;
		ancestors = get_partition_ancestors(relid);
		foreach(a, ancestors)
		{
			Oid			anc = lfirst_oid(a);

			if (list_member_oid(named, anc))
			{
				published = InvalidOid;	/* truncated whole: published */
				break;
			}
			if (!OidIsValid(published) &&
				list_member_oid(GetRelationPublications(anc), pubid))
				published = anc;
		}
		if (OidIsValid(published))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot truncate partition %s of table %s, which is captured from the WAL",
							get_rel_name(relid), get_rel_name(published)),
					 errdetail("PostgreSQL's logical decoding leaves out the truncation of a partition alone: consumers of the change log would keep the partition's rows."),
					 errhint("Empty the partition with DELETE, truncate table %s itself, or switch it to trigger capture (dataeng.cdc_enable(..., method => 'trigger')) around the TRUNCATE.",
							 get_rel_name(published))));
	}
}

/*
 * published_for_wal
 *		Whether a table's changes are in publication pubid: the table, or a
 *		partitioned table above it (publish_via_partition_root).
 */
static bool
published_for_wal(Oid relid, Oid pubid)
{
	ListCell   *lc;

	if (list_member_oid(GetRelationPublications(relid), pubid))
		return true;
	if (!get_rel_relispartition(relid))
		return false;
	foreach(lc, get_partition_ancestors(relid))
		if (list_member_oid(GetRelationPublications(lfirst_oid(lc)), pubid))
			return true;
	return false;
}

/*
 * alter_needs_wal_caught_up
 *		The table an ALTER TABLE changes the decoding of pending changes of
 *		(a column's type, name, drop, DROP EXPRESSION, or a column added:
 *		a change written before it would be recorded with the column, NULL
 *		or computed by a generated column's expression, which may fail on
 *		a row gone since and stop the table), or NULL.  *adds says whether
 *		the reason is only an added column.
 */
static RangeVar *
alter_needs_wal_caught_up(Node *stmt, bool *adds)
{
	ListCell   *lc;
	RangeVar   *rv = NULL;

	*adds = false;
	if (IsA(stmt, RenameStmt))
	{
		RenameStmt *rs = (RenameStmt *) stmt;

		return rs->renameType == OBJECT_COLUMN && rs->relationType == OBJECT_TABLE ?
			rs->relation : NULL;
	}
	if (!IsA(stmt, AlterTableStmt) || ((AlterTableStmt *) stmt)->objtype != OBJECT_TABLE)
		return NULL;
	foreach(lc, ((AlterTableStmt *) stmt)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AlterColumnType || cmd->subtype == AT_DropColumn ||
			cmd->subtype == AT_DropExpression)
		{
			*adds = false;
			return ((AlterTableStmt *) stmt)->relation;
		}
		if (cmd->subtype == AT_AddColumn)
		{
			*adds = true;
			rv = ((AlterTableStmt *) stmt)->relation;
		}
	}
	return rv;
}

/*
 * composite_altered
 *		For ALTER TYPE ... ADD / DROP / ALTER / RENAME ATTRIBUTE of a
 *		composite type: the type's relation.  A pending change's value of
 *		the type is text with the attributes of its commit's time, which the
 *		worker, reading it back with the attributes of its round, cannot
 *		parse, or renders under the new names.
 */
static RangeVar *
composite_altered(Node *stmt)
{
	ListCell   *lc;

	if (IsA(stmt, RenameStmt))
		return ((RenameStmt *) stmt)->renameType == OBJECT_ATTRIBUTE ?
			((RenameStmt *) stmt)->relation : NULL;
	if (!IsA(stmt, AlterTableStmt) || ((AlterTableStmt *) stmt)->objtype != OBJECT_TYPE)
		return NULL;
	foreach(lc, ((AlterTableStmt *) stmt)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AddColumn || cmd->subtype == AT_DropColumn ||
			cmd->subtype == AT_AlterColumnType)
			return ((AlterTableStmt *) stmt)->relation;
	}
	return NULL;
}

/*
 * composite_adds_only
 *		Whether an ALTER TYPE of a composite type only adds attributes: to
 *		its typed tables, what ALTER TABLE ... ADD COLUMN is to a table.
 */
static bool
composite_adds_only(Node *stmt)
{
	ListCell   *lc;

	if (!IsA(stmt, AlterTableStmt) || ((AlterTableStmt *) stmt)->objtype != OBJECT_TYPE)
		return false;
	foreach(lc, ((AlterTableStmt *) stmt)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_DropColumn || cmd->subtype == AT_AlterColumnType)
			return false;
	}
	return true;
}

/*
 * typed_tables_of
 *		The typed tables of composite type typid (CREATE TABLE ... OF),
 *		read from pg_depend's index as PostgreSQL's
 *		find_typed_table_dependencies() reads them.
 */
static List *
typed_tables_of(Oid typid)
{
	Relation	depRel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;

	depRel = table_open(DependRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(TypeRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(typid));
	scan = systable_beginscan(depRel, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
		HeapTuple	reltup;
		bool		typed;

		if (d->classid != RelationRelationId || d->deptype != DEPENDENCY_NORMAL)
			continue;
		reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(d->objid));
		if (!HeapTupleIsValid(reltup))
			continue;
		typed = ((Form_pg_class) GETSTRUCT(reltup))->reloftype == typid;
		ReleaseSysCache(reltup);
		if (typed)
			relids = list_append_unique_oid(relids, d->objid);
	}
	systable_endscan(scan);
	table_close(depRel, AccessShareLock);
	return relids;
}

/*
 * typed_tables_refuse
 *		Whether PostgreSQL will refuse an ALTER TYPE of composite type typid
 *		because of its typed tables: they exist and the statement (or one
 *		of its actions) is not CASCADE, or the caller does not own one of
 *		them (renameatt_check(), ATSimplePermissions()).  Then the WAL wait
 *		is not for this statement: it would hold another role's tables in
 *		SHARE ROW EXCLUSIVE mode, their writers blocked, for up to 30 s
 *		before the statement's sure error.
 */
static bool
typed_tables_refuse(Node *stmt, Oid typid)
{
	List	   *typed = typed_tables_of(typid);
	bool		cascade = true;
	ListCell   *lc;

	if (typed == NIL)
		return false;
	if (IsA(stmt, RenameStmt))
		cascade = ((RenameStmt *) stmt)->behavior == DROP_CASCADE;
	else if (IsA(stmt, AlterTableStmt))
		foreach(lc, ((AlterTableStmt *) stmt)->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if ((cmd->subtype == AT_AddColumn || cmd->subtype == AT_DropColumn ||
				 cmd->subtype == AT_AlterColumnType) && cmd->behavior != DROP_CASCADE)
				cascade = false;
		}
	if (!cascade)
		return true;
	foreach(lc, typed)
		if (!pg_class_ownercheck(lfirst_oid(lc), GetUserId()))
			return true;
	return false;
}

/*
 * wal_tables_using_type
 *		The tables captured from the WAL (in publication pubid) with a
 *		column of type typid, or of a type built on it (an array, a domain,
 *		a range, a composite type, at any depth), and the typed tables of
 *		typid (CREATE TABLE ... OF), whose columns are its attributes, with
 *		the partitions below them (one may be captured without its parent).
 *		*typed_only says whether all of them are typed tables of typid or
 *		their partitions.
 */
static List *
wal_tables_using_type(Oid typid, Oid pubid, Oid nspowner, bool *typed_only)
{
	InternalSql as_owner;
	List	   *relids = NIL;
	MemoryContext outer = CurrentMemoryContext;
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		args[2];
	uint64		i;

	args[0] = ObjectIdGetDatum(typid);
	args[1] = ObjectIdGetDatum(pubid);
	internal_sql_begin(&as_owner, nspowner);

	/*
	 * (A catalog query run before each ALTER TYPE of the type's owner: the
	 * types built on typid are found from each one found, a scan of each
	 * catalog per type, not an EXISTS per row of pg_type, whose estimate
	 * of millions made it JIT-compiled, seconds for an ALTER TYPE of a
	 * few milliseconds.  JIT off all the same: a large catalog's estimate
	 * may pass its threshold again.)
	 */
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	if (SPI_execute_with_args(
							  "WITH RECURSIVE t(oid) AS ("
							  " SELECT $1"
							  " UNION"
							  " SELECT x.oid FROM t CROSS JOIN LATERAL ("
							  "  SELECT ty.oid FROM pg_catalog.pg_type ty"
							  "   WHERE (ty.typelem OPERATOR(pg_catalog.=) t.oid AND ty.typsubscript OPERATOR(pg_catalog.=) 'pg_catalog.array_subscript_handler'::pg_catalog.regproc)"
							  "      OR ty.typbasetype OPERATOR(pg_catalog.=) t.oid"
							  "  UNION ALL"
							  "  SELECT u.oid FROM pg_catalog.pg_range r,"
							  "       LATERAL pg_catalog.unnest(ARRAY[r.rngtypid, r.rngmultitypid]) u(oid)"
							  "   WHERE r.rngsubtype OPERATOR(pg_catalog.=) t.oid"
							  "  UNION ALL"
							  "  SELECT c.reltype FROM pg_catalog.pg_attribute a"
							  "    JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid"
							  "   WHERE a.atttypid OPERATOR(pg_catalog.=) t.oid AND c.relkind OPERATOR(pg_catalog.=) 'c'"
							  "     AND NOT a.attisdropped) x)"
							  "SELECT u.relid, pg_catalog.bool_and(u.typed) FROM ("
							  " SELECT a.attrelid AS relid, false AS typed FROM pg_catalog.pg_attribute a JOIN t ON a.atttypid OPERATOR(pg_catalog.=) t.oid"
							  "  WHERE a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
							  " UNION"
							  /*
							   * (the typed tables of the type and the partitions below
							   * them, one captured on its own: ALTER TYPE ... CASCADE
							   * changes their columns)
							   */
							  " SELECT p.relid, true FROM pg_catalog.pg_depend d"
							  "   JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid AND c.reloftype OPERATOR(pg_catalog.=) $1"
							  "   CROSS JOIN LATERAL (SELECT c.oid AS relid UNION"
							  "                       SELECT pt.relid::pg_catalog.oid FROM pg_catalog.pg_partition_tree(c.oid) pt) p"
							  "  WHERE d.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass"
							  "    AND d.refobjid OPERATOR(pg_catalog.=) $1"
							  "    AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass) u"
							  " WHERE u.relid OPERATOR(pg_catalog.=) ANY (SELECT pr.prrelid FROM pg_catalog.pg_publication_rel pr"
							  "                                WHERE pr.prpubid OPERATOR(pg_catalog.=) $2)"
							  " GROUP BY u.relid",
							  2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not find the tables of type %u", typid);
	*typed_only = true;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		MemoryContext old = MemoryContextSwitchTo(outer);

		if (!isnull)
			relids = lappend_oid(relids, DatumGetObjectId(d));
		MemoryContextSwitchTo(old);
		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull);
		if (isnull || !DatumGetBool(d))
			*typed_only = false;
	}
	SPI_finish();
	internal_sql_end(&as_owner);
	return relids;
}

/*
 * type_altered_in_wal_tables
 *		For ALTER TYPE ... RENAME VALUE of an enum, or ALTER TYPE ... ADD,
 *		DROP, ALTER or RENAME ATTRIBUTE of a composite type, that the
 *		caller owns:
 *		the tables captured from the WAL (in publication pubid) with a
 *		column of the type, or of a type built on it.  pgoutput writes a
 *		pending change's value as text of its commit's time (an enum's
 *		label, a composite's attributes), which the worker, reading it back
 *		with the type as it is in its round, would no longer parse (or, an
 *		attribute renamed, would render under the new name).  And the typed
 *		tables of a composite type, whose columns ALTER TYPE ... CASCADE
 *		changes as ALTER TABLE would: a pending change of a column so
 *		renamed or retyped stopped the table, one of a column so dropped
 *		lost its value.  *typed_only: all of them are such typed tables.
 */
static List *
type_altered_in_wal_tables(Node *stmt, Oid pubid, Oid nspowner, bool *typed_only)
{
	Oid			typid;

	*typed_only = false;

	if (IsA(stmt, AlterEnumStmt))
	{
		AlterEnumStmt *es = (AlterEnumStmt *) stmt;

		if (es->oldVal == NULL)
			return NIL;			/* ADD VALUE: every label still reads */
		typid = LookupTypeNameOid(NULL, makeTypeNameFromNameList(es->typeName), true);
	}
	else
	{
		RangeVar   *rv = composite_altered(stmt);
		Oid			relid;

		if (rv == NULL)
			return NIL;
		relid = RangeVarGetRelid(rv, NoLock, true);
		if (!OidIsValid(relid) || get_rel_relkind(relid) != RELKIND_COMPOSITE_TYPE)
			return NIL;
		typid = get_rel_type_id(relid);
		if (typed_tables_refuse(stmt, typid))
			return NIL;			/* (the statement fails by itself) */
	}
	if (!OidIsValid(typid) || !pg_type_ownercheck(typid, GetUserId()))
		return NIL;				/* (the statement fails by itself) */
	return wal_tables_using_type(typid, pubid, nspowner, typed_only);
}

/*
 * written_here
 *		The first of relids (or of their partitions) that this transaction
 *		has written (it holds ROW EXCLUSIVE on it: INSERT, UPDATE, DELETE,
 *		MERGE, COPY), or InvalidOid.  Its changes commit with the statement
 *		about to run and are decoded after it: the wait cannot cover them.
 */
static Oid
written_here(List *relids)
{
	ListCell   *lc;

	foreach(lc, relids)
	{
		ListCell   *p;

		foreach(p, find_all_inheritors(lfirst_oid(lc), NoLock, NULL))
		{
			LOCKTAG		tag;

			SET_LOCKTAG_RELATION(tag, MyDatabaseId, lfirst_oid(p));
			if (LockHeldByMe(&tag, RowExclusiveLock))
				return lfirst_oid(p);
		}
	}
	return InvalidOid;
}

/*
 * wal_wait_worker
 *		Wait (30 s at most) for the WAL capture worker to record the changes
 *		committed before, as dataeng's owner, restricted, search_path pinned:
 *		*caught_up whether it did, *worker its state (in outer).  Raises
 *		40P01 when the worker waits for a lock this transaction holds.
 */
static void
wal_wait_worker(Oid nspowner, MemoryContext outer, bool *caught_up, char **worker)
{
	InternalSql as_owner;

	internal_sql_begin(&as_owner, nspowner);
	SPI_connect();
	if (SPI_execute(dataeng_internal_sql("SELECT dataeng_internal._cdc_wal_caught_up('30 s'), "
										 "dataeng_internal._cdc_wal_worker()"),
					false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not wait for the WAL capture worker");
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		char	   *w = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);

		*caught_up = isnull || DatumGetBool(d);
		if (w != NULL)
			*worker = MemoryContextStrdup(outer, w);
	}
	SPI_finish();
	internal_sql_end(&as_owner);
}

/*
 * wal_wait_worker_unblocked
 *		wal_wait_worker(), false instead of the error when the worker waits
 *		for a lock this transaction holds (40P01; its wait rolled back).
 */
static bool
wal_wait_worker_unblocked(Oid nspowner, MemoryContext outer, bool *caught_up, char **worker)
{
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool unblocked = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(outer);
	PG_TRY();
	{
		wal_wait_worker(nspowner, outer, caught_up, worker);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(outer);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(outer);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(outer);
		CurrentResourceOwner = owner;
		if (edata->sqlerrcode != ERRCODE_T_R_DEADLOCK_DETECTED)
			ReThrowError(edata);
		FreeErrorData(edata);
		unblocked = false;
	}
	PG_END_TRY();
	return unblocked;
}

/*
 * wal_capture_setup
 *		The publication of the tables captured from the WAL and the owner
 *		of dataeng's internal schema (as whom the worker is waited for);
 *		false where either is missing (no table captured from the WAL, or
 *		dataeng not installed in this database).
 */
static bool
wal_capture_setup(Oid *pubid, Oid *nspowner)
{
	Oid			nsp;
	HeapTuple	ntup;

	*pubid = get_publication_oid(CDC_WAL_PUBLICATION, true);
	if (!OidIsValid(*pubid))
		return false;
	nsp = get_namespace_oid(dataeng_internal_schema(), true);
	if (!OidIsValid(nsp))
		return false;
	ntup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(ntup))
		return false;
	*nspowner = ((Form_pg_namespace) GETSTRUCT(ntup))->nspowner;
	ReleaseSysCache(ntup);
	return true;
}

/*
 * wal_worker_detail
 *		Why the worker did not record a table's pending changes, as the
 *		first sentence of a warning's detail (worker: its state, as
 *		wal_wait_worker() gives it).
 */
static const char *
wal_worker_detail(const char *worker)
{
	if (worker != NULL && strcmp(worker, "off") == 0)
		return "The WAL capture worker records nothing while dataeng.enabled is off.";
	if (worker != NULL && strcmp(worker, "none") == 0)
		return "No WAL capture worker runs in this database.";
	return "The WAL capture worker did not catch up within 30 s.";
}

/*
 * cdc_wal_before_alter
 *		Before an ALTER TABLE that would stop the capture from the WAL of
 *		the changes waiting in the WAL (see the header), or an ALTER TYPE
 *		... RENAME VALUE of an enum such a table's columns use: hold the
 *		tables' writers off and wait for the worker to record them.  Only
 *		for the table's (the type's) owner: anyone else's statement fails
 *		by itself, and must not hold the writers off meanwhile.  When the
 *		worker does not catch up (it is down, or dataeng.enabled is off), a
 *		WARNING says so and the statement goes on.
 */
void
cdc_wal_before_alter(Node *stmt)
{
	RangeVar   *rv = NULL;
	List	   *relids = NIL;
	ListCell   *lc;
	Oid			pubid;
	Oid			nspowner;
	bool		caught_up = true;
	bool		adds = false;
	char	   *worker = NULL;
	const char *what;
	MemoryContext outer = CurrentMemoryContext;

	if (stmt == NULL)
		return;
	if (!IsA(stmt, AlterEnumStmt) && composite_altered(stmt) == NULL &&
		(rv = alter_needs_wal_caught_up(stmt, &adds)) == NULL)
		return;
	if (!wal_capture_setup(&pubid, &nspowner))
		return;

	if (rv != NULL)
	{
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		if (!OidIsValid(relid) || !pg_class_ownercheck(relid, GetUserId()) ||
			!published_for_wal(relid, pubid))
			return;
		if (adds)
		{
			LOCKTAG		tag;

			/*
			 * This transaction holds the table in ACCESS EXCLUSIVE mode (a
			 * LOCK TABLE first, as migrations do): the worker cannot record
			 * its pending changes before it ends.  Where the other ALTERs
			 * fail (40P01), an added column goes on without the wait, those
			 * changes recorded with it.
			 */
			SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
			if (LockHeldByMe(&tag, AccessExclusiveLock))
				return;
		}
		LockRelationOid(relid, ShareRowExclusiveLock);
		relids = list_make1_oid(relid);
		what = adds ?
			"a change written before a column is added is recorded with that column, NULL or computed by a generated column's expression, which may fail on a row deleted since and stop the table's capture." :
			"a change of a column whose type or name changes cannot be decoded, and stops the table's capture.";
	}
	else
	{
		bool		typed_only;

		relids = type_altered_in_wal_tables(stmt, pubid, nspowner, &typed_only);
		if (relids == NIL)
			return;

		/*
		 * Attributes added to the type of typed tables (none with a column
		 * of the type, whose pending values would not parse any more):
		 * columns added to them, as ALTER TABLE ... ADD COLUMN adds one (a
		 * table this transaction holds in ACCESS EXCLUSIVE mode, no wait).
		 */
		adds = typed_only && composite_adds_only(stmt);
		if (adds)
			foreach(lc, relids)
			{
				LOCKTAG		tag;

				SET_LOCKTAG_RELATION(tag, MyDatabaseId, lfirst_oid(lc));
				if (LockHeldByMe(&tag, AccessExclusiveLock))
					return;
			}
		/*
		 * The tables, and their partitions (a writer may name one).
		 * find_all_inheritors() locks the partitions alone: the tables
		 * themselves were not locked, so that a writer committing after the
		 * wait and before this statement's commit wrote a change decoded
		 * after it (an enum's label renamed: the table stopped).
		 */
		foreach(lc, relids)
		{
			LockRelationOid(lfirst_oid(lc), ShareRowExclusiveLock);
			(void) find_all_inheritors(lfirst_oid(lc), ShareRowExclusiveLock, NULL);
		}
		if (IsA(stmt, AlterEnumStmt))
			what = "a change holding a label that this statement renames cannot be decoded, and stops the table's capture.";
		else if (adds)
			what = "a change written before a column is added is recorded with that column, NULL.";
		else if (typed_only)
			what = "a change of a column whose type or name changes cannot be decoded, and stops the table's capture; one of a column dropped loses its value.";
		else
			what = "a change holding a value of a composite type whose attributes this statement changes is read with the new attributes: it cannot be decoded, and stops the table's capture, or its record names the attributes as renamed.";
	}

	if (adds)
	{
		/*
		 * The worker waiting for a lock this transaction holds (another
		 * table locked first, as migrations do: LOCK TABLE b ...; ALTER
		 * TABLE a ADD COLUMN ...) cannot record the pending changes before
		 * the transaction ends, as when the table itself is locked (above):
		 * the column is added without the wait, those changes recorded with
		 * it.  The other ALTERs fail there (40P01).
		 */
		if (!wal_wait_worker_unblocked(nspowner, outer, &caught_up, &worker))
			return;
	}
	else
		wal_wait_worker(nspowner, outer, &caught_up, &worker);

	/*
	 * What the wait cannot cover: the changes this transaction wrote before
	 * the statement are decoded after it commits, with the columns (or
	 * labels) it leaves.  Said now, while the transaction can still be
	 * rolled back (the table's capture stopped at its commit, unannounced).
	 * Not for a column added: such a change is recorded with it (NULL, or
	 * computed), and a transaction that writes a table and adds a column
	 * to it is common enough that a warning at each would be noise.
	 */
	if (!adds)
	{
		Oid			w = written_here(relids);

		if (OidIsValid(w))
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("this transaction changed rows of table %s, which is captured from the WAL, before this statement",
							get_rel_name(w)),
					 errdetail("Those changes are decoded after the transaction commits, with the table's columns as this statement leaves them: %s",
							   what),
					 errhint("Roll back, and %s in a transaction of its own, before or after the one that writes the table.",
							 rv != NULL ? "alter the table" : "alter the type")));
	}

	if (!caught_up)
		foreach(lc, relids)
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("changes of table %s that the WAL capture worker has not recorded yet may stop its capture",
							get_rel_name(lfirst_oid(lc))),
					 errdetail("%s The worker decodes them with the table's columns as this statement leaves them: %s",
							   wal_worker_detail(worker), what),
					 errhint("Roll back, and alter the %s when SELECT dataeng.cdc_wal_sync() returns true; "
							 "dataeng.cdc_status shows the worker's state.",
							 rv != NULL ? "table" : "type")));
}

static List *wal_tables_depending_on(List *starts, Oid pubid, List *relids);

/*
 * wal_tables_depending
 *		The tables captured from the WAL (in publication pubid) that
 *		dropping object obj takes with it: the objects that depend on it
 *		as a whole (pg_depend), and theirs, appended to relids; and those
 *		a column of which depends on it (the column is dropped alone, its
 *		table stays, but the changes waiting lose its value).  A typed
 *		table goes with its type (DROP TYPE ... CASCADE), a table whose
 *		partition key calls a function with it, a table created by an
 *		extension's script with the extension.
 */
static List *
wal_tables_depending(ObjectAddress obj, Oid pubid, List *relids)
{
	ObjectAddress *start = palloc(sizeof(ObjectAddress));

	obj.objectSubId = 0;
	*start = obj;
	return wal_tables_depending_on(list_make1(start), pubid, relids);
}

/*
 * wal_tables_depending_on
 *		wal_tables_depending() for every object of starts (ObjectAddress
 *		pointers, objectSubId 0) at once: DROP SCHEMA ... CASCADE takes the
 *		objects in the schema and theirs (a typed table elsewhere whose type
 *		is in the schema), DROP OWNED ... CASCADE the objects the roles own
 *		and theirs (another role's table in a schema they own).  pubid
 *		InvalidOid: every table, captured or not.
 */
static List *
wal_tables_depending_on(List *starts, Oid pubid, List *relids)
{
	HASHCTL		ctl;
	HTAB	   *seen;
	List	   *todo = NIL;
	Relation	depRel;
	ListCell   *lc;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(ObjectAddress);
	ctl.entrysize = sizeof(ObjectAddress);
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("dataeng dropped objects", 256, &ctl,
					   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	foreach(lc, starts)
	{
		ObjectAddress *start = lfirst(lc);
		bool		found;

		(void) hash_search(seen, start, HASH_ENTER, &found);
		if (!found)
			todo = lappend(todo, start);
	}
	depRel = table_open(DependRelationId, AccessShareLock);
	while (todo != NIL)
	{
		ObjectAddress *ref = linitial(todo);
		ScanKeyData key[2];
		SysScanDesc scan;
		HeapTuple	tup;

		todo = list_delete_first(todo);
		CHECK_FOR_INTERRUPTS();
		ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ref->classId));
		ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ref->objectId));
		scan = systable_beginscan(depRel, DependReferenceIndexId, true, NULL, 2, key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_depend d = (Form_pg_depend) GETSTRUCT(tup);
			ObjectAddress dep;
			bool		found;

			/*
			 * A column of a table: the column alone is dropped.  Of a table
			 * captured from the WAL, that loses the column's value in the
			 * changes still waiting in the WAL, as an ALTER TABLE ... DROP
			 * COLUMN would (cdc_wal_before_alter() waits for those): the
			 * table is waited for too.
			 */
			if (d->classid == RelationRelationId && d->objsubid != 0)
			{
				if (OidIsValid(pubid) &&
					(get_rel_relkind(d->objid) == RELKIND_RELATION ||
					 get_rel_relkind(d->objid) == RELKIND_PARTITIONED_TABLE) &&
					published_for_wal(d->objid, pubid))
					relids = list_append_unique_oid(relids, d->objid);
				continue;
			}
			dep.classId = d->classid;
			dep.objectId = d->objid;
			dep.objectSubId = 0;
			(void) hash_search(seen, &dep, HASH_ENTER, &found);
			if (found)
				continue;
			{
				ObjectAddress *next = palloc(sizeof(ObjectAddress));

				*next = dep;
				todo = lappend(todo, next);
			}
			if (dep.classId == RelationRelationId &&
				(get_rel_relkind(dep.objectId) == RELKIND_RELATION ||
				 get_rel_relkind(dep.objectId) == RELKIND_PARTITIONED_TABLE) &&
				(!OidIsValid(pubid) || published_for_wal(dep.objectId, pubid)))
				relids = list_append_unique_oid(relids, dep.objectId);
		}
		systable_endscan(scan);
	}
	table_close(depRel, AccessShareLock);
	hash_destroy(seen);
	return relids;
}

/*
 * wal_tables_dropped_with
 *		For a DROP TYPE, DOMAIN, FUNCTION, PROCEDURE or ROUTINE ... CASCADE,
 *		or a DROP EXTENSION: the tables captured from the WAL that go with
 *		the objects the caller owns (anyone else's statement fails by
 *		itself).  The objects are locked as the DROP locks them.
 */
static List *
wal_tables_dropped_with(DropStmt *ds, Oid pubid)
{
	List	   *relids = NIL;
	ListCell   *lc;

	foreach(lc, ds->objects)
	{
		Relation	rel = NULL;
		ObjectAddress obj;
		bool		owner;

		obj = get_object_address(ds->removeType, lfirst(lc), &rel,
								 AccessExclusiveLock, true);
		if (rel != NULL)
			table_close(rel, NoLock);
		if (!OidIsValid(obj.objectId))
			continue;
		switch (ds->removeType)
		{
			case OBJECT_TYPE:
			case OBJECT_DOMAIN:
				owner = pg_type_ownercheck(obj.objectId, GetUserId());
				break;
			case OBJECT_EXTENSION:
				owner = pg_extension_ownercheck(obj.objectId, GetUserId());
				break;
			default:
				owner = pg_proc_ownercheck(obj.objectId, GetUserId());
				break;
		}
		if (owner)
			relids = wal_tables_depending(obj, pubid, relids);
	}
	return relids;
}

/*
 * objects_owned_here
 *		The objects of this database that roles own (pg_shdepend), as a
 *		list of ObjectAddress pointers: what DROP OWNED BY them drops.
 */
static List *
objects_owned_here(List *roles)
{
	List	   *objs = NIL;
	Relation	sdepRel;
	ListCell   *lc;

	sdepRel = table_open(SharedDependRelationId, AccessShareLock);
	foreach(lc, roles)
	{
		ScanKeyData key[2];
		SysScanDesc scan;
		HeapTuple	tup;

		ScanKeyInit(&key[0], Anum_pg_shdepend_refclassid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(AuthIdRelationId));
		ScanKeyInit(&key[1], Anum_pg_shdepend_refobjid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(lfirst_oid(lc)));
		scan = systable_beginscan(sdepRel, SharedDependReferenceIndexId, true, NULL, 2, key);
		while (HeapTupleIsValid(tup = systable_getnext(scan)))
		{
			Form_pg_shdepend d = (Form_pg_shdepend) GETSTRUCT(tup);
			ObjectAddress *obj;

			if (d->dbid != MyDatabaseId || d->deptype != SHARED_DEPENDENCY_OWNER)
				continue;
			obj = palloc(sizeof(ObjectAddress));
			ObjectAddressSet(*obj, d->classid, d->objid);
			objs = lappend(objs, obj);
		}
		systable_endscan(scan);
	}
	table_close(sdepRel, AccessShareLock);
	return objs;
}

/*
 * wal_tables_dropped
 *		The tables captured from the WAL (in publication pubid, themselves
 *		or through a partitioned table above them) that a DROP TABLE, DROP
 *		SCHEMA ... CASCADE or DROP OWNED would drop, and that the caller
 *		may drop (it owns the table, for DROP SCHEMA the schema, for DROP
 *		OWNED it has the privileges of the table's owner): anyone else's
 *		statement fails by itself, and must not hold the writers off
 *		meanwhile.  A partitioned table brings its partitions.
 */
static List *
wal_tables_dropped(Node *stmt, Oid pubid)
{
	List	   *relids = NIL;
	ListCell   *lc;
	DropStmt   *ds = (DropStmt *) stmt;

	if (IsA(stmt, DropStmt) && ds->removeType != OBJECT_TABLE &&
		ds->removeType != OBJECT_SCHEMA)
		return wal_tables_dropped_with(ds, pubid);
	if (IsA(stmt, DropOwnedStmt))
	{
		List	   *roles = NIL;

		/* DROP OWNED BY: the tables of those roles, for a member of each */
		foreach(lc, ((DropOwnedStmt *) stmt)->roles)
		{
			Oid			role = get_rolespec_oid(lfirst(lc), true);

			if (OidIsValid(role) && has_privs_of_role(GetUserId(), role))
				roles = lappend_oid(roles, role);
		}
		if (roles == NIL)
			return NIL;
		foreach(lc, GetPublicationRelations(pubid, PUBLICATION_PART_ALL))
		{
			Oid			relid = lfirst_oid(lc);
			HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));

			if (!HeapTupleIsValid(tup))
				continue;
			if (list_member_oid(roles, ((Form_pg_class) GETSTRUCT(tup))->relowner))
				relids = list_append_unique_oid(relids, relid);
			ReleaseSysCache(tup);
		}

		/*
		 * With CASCADE, the tables of other roles that depend on what the
		 * roles own go too: a table in a schema they own, a typed table of
		 * their type.  (Without it, such a DROP OWNED fails by itself.)
		 */
		if (((DropOwnedStmt *) stmt)->behavior == DROP_CASCADE)
			relids = wal_tables_depending_on(objects_owned_here(roles), pubid, relids);
		return relids;
	}
	if (ds->removeType == OBJECT_TABLE)
	{
		foreach(lc, ds->objects)
		{
			RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));
			Oid			relid = RangeVarGetRelid(rv, NoLock, true);

			if (!OidIsValid(relid) || !pg_class_ownercheck(relid, GetUserId()))
				continue;
			if (get_rel_relkind(relid) != RELKIND_RELATION &&
				get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE)
				continue;
			if (published_for_wal(relid, pubid))
				relids = list_append_unique_oid(relids, relid);
			else
			{
				ListCell   *p;

				/* (a partition below it captured on its own) */
				foreach(p, find_all_inheritors(relid, NoLock, NULL))
					if (published_for_wal(lfirst_oid(p), pubid))
					{
						relids = list_append_unique_oid(relids, relid);
						break;
					}
			}
		}
	}
	else if (ds->removeType == OBJECT_SCHEMA && ds->behavior == DROP_CASCADE)
	{
		foreach(lc, ds->objects)
		{
			Oid			nspid = get_namespace_oid(strVal(lfirst(lc)), true);
			ListCell   *p;

			ObjectAddress nsp;

			if (!OidIsValid(nspid) || !pg_namespace_ownercheck(nspid, GetUserId()))
				continue;
			/* (the tables of the publication in that schema) */
			foreach(p, GetPublicationRelations(pubid, PUBLICATION_PART_ALL))
			{
				Oid			relid = lfirst_oid(p);

				if (get_rel_namespace(relid) == nspid)
					relids = list_append_unique_oid(relids, relid);
			}
			/* (and those elsewhere that go with an object in it: a typed table) */
			ObjectAddressSet(nsp, NamespaceRelationId, nspid);
			relids = wal_tables_depending(nsp, pubid, relids);
		}
	}
	return relids;
}

/*
 * changed_here
 *		Whether this transaction may have changes of relid (or of its
 *		partitions) that its commit will publish: it wrote it (ROW
 *		EXCLUSIVE, as written_here()) or truncated it (ACCESS EXCLUSIVE,
 *		taken before the DROP's own, with a new relfilenode of this
 *		transaction, or a table it created, truncated in place).  ACCESS
 *		EXCLUSIVE alone is no change: LOCK TABLE, or the DROP of another
 *		table before, that referenced it (its foreign key's triggers) or was
 *		its partition, takes it (test cdc_wal_drop_unwritten).
 */
static bool
changed_here(Oid relid)
{
	ListCell   *p;

	foreach(p, find_all_inheritors(relid, NoLock, NULL))
	{
		LOCKTAG		tag;

		SET_LOCKTAG_RELATION(tag, MyDatabaseId, lfirst_oid(p));
		if (LockHeldByMe(&tag, RowExclusiveLock))
			return true;
		if (LockHeldByMe(&tag, AccessExclusiveLock))
		{
			Relation	rel = relation_open(lfirst_oid(p), NoLock);
			bool		truncated = (rel->rd_createSubid != InvalidSubTransactionId ||
									 rel->rd_firstRelfilenodeSubid != InvalidSubTransactionId);

			relation_close(rel, NoLock);
			if (truncated)
				return true;
		}
	}
	return false;
}

/* a text[] of the strings of names */
static Datum
wal_text_array(List *names)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(names), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, names)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * wal_read_type
 *		The built-in type a value of a column of type typid can be read and
 *		recorded as, alike, once typid is gone (dropped with the table, by
 *		DROP SCHEMA ... CASCADE): a domain's base type (its checks ran when
 *		the row was written), text for an enum (recorded by its label), an
 *		array of those; InvalidOid when there is none (a composite or
 *		range type of the database).
 */
static Oid
wal_read_type(Oid typid)
{
	Oid			base = getBaseType(typid);
	Oid			elem;

	if (base < FirstNormalObjectId)
		return base;
	if (type_is_enum(base))
		return TEXTOID;
	elem = get_element_type(base);
	if (!OidIsValid(elem))
		return InvalidOid;
	elem = getBaseType(elem);
	if (type_is_enum(elem))
		return TEXTARRAYOID;
	if (elem < FirstNormalObjectId)
		return get_array_type(elem);
	return InvalidOid;
}

/*
 * wal_capture_why
 *		Why relid's changes cannot be described for the worker: NULL when
 *		its capture from the WAL is active, "" when it is not captured
 *		(nothing needed), else the reason.  Asked only when the INSERT of
 *		wal_describe_dropped() wrote no row, or for a table it refuses: a
 *		DROP that describes a table runs one query.
 */
static const char *
wal_capture_why(Oid relid, Oid nspowner)
{
	Datum		relid_value[1] = {ObjectIdGetDatum(relid)};
	Oid			argtypes[1] = {OIDOID};
	InternalSql as_owner;
	const char *why = NULL;

	internal_sql_begin(&as_owner, nspowner);
	SPI_connect();
	if (SPI_execute_with_args(dataeng_internal_sql(
								  "SELECT ct.active_method OPERATOR(pg_catalog.=) 'wal'"
								  "   AND ct.method OPERATOR(pg_catalog.=) 'wal'"
								  "   AND ct.capture_error IS NULL"
								  "   AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_wal_stops s"
								  "                    WHERE s.table_name OPERATOR(pg_catalog.=) $1)"
								  "  FROM dataeng.cdc_tables ct"
								  " WHERE ct.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) $1"),
							  1, argtypes, relid_value, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng.cdc_tables");
	if (SPI_processed == 0)
		why = "";
	else
	{
		bool		isnull;

		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			why = "its capture from the WAL is not active (its method is being switched, or it was stopped)";
	}
	SPI_finish();
	internal_sql_end(&as_owner);
	return why;
}

/*
 * wal_describe_dropped
 *		Before the DROP of table relid, captured from the WAL, that this
 *		transaction wrote: record what the worker needs to turn those
 *		changes into records once the table is gone (its capture options,
 *		key, columns with their types and type modifiers) in a row of
 *		dataeng_internal.cdc_wal_dropped, as dataeng's owner, in this
 *		transaction (a DROP that fails or is rolled back takes it back).
 *		The caller then writes the logical message that has the worker read
 *		it (wal_apply.c, wal_load_dropped).  Returns NULL when it did, or
 *		when nothing is needed (a partition, whose changes are published
 *		under the captured table above it: that one is described when it
 *		is dropped); else why the changes cannot be recorded (*why*): a
 *		stored generated column the worker cannot compute once the table
 *		is gone (wal_generated.c, cdc_wal_gen_describe: pgoutput leaves
 *		their values out, and the description holds their expressions), or
 *		its capture from the WAL is not active (being switched, or
 *		stopped).
 */
static const char *
wal_describe_dropped(Oid relid, Oid nspowner)
{
	Relation	rel;
	TupleDesc	desc;
	List	   *names = NIL;
	List	   *keys = NIL;
	Datum	   *types;
	Datum	   *typmods;
	Datum	   *readtypes;
	Bitmapset  *key;
	int			n = 0;
	int			i;
	bool		ok;
	InternalSql as_owner;
	List	   *gen_names = NIL;
	List	   *gen_exprs = NIL;
	Oid			argtypes[11] = {OIDOID, TEXTOID, OIDOID, TEXTARRAYOID, TEXTARRAYOID,
	OIDARRAYOID, INT4ARRAYOID, OIDOID, OIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID};
	Datum		values[11];
	char		nulls[11] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', 'n', 'n'};
	const char *why = NULL;
	const char *capture_why;

	/* (0.1.0: no WAL capture) */
	if (!OidIsValid(get_relname_relid("cdc_wal_dropped",
									  get_namespace_oid(dataeng_internal_schema(), true))))
		return NULL;

	rel = relation_open(relid, NoLock);
	desc = RelationGetDescr(rel);
	/* (pgoutput leaves their values out: the worker computes them) */
	why = cdc_wal_gen_describe(rel, &gen_names, &gen_exprs);
	if (why != NULL)
	{
		relation_close(rel, NoLock);
		/* (not captured, or not active: said first) */
		capture_why = wal_capture_why(relid, nspowner);
		if (capture_why != NULL)
			return capture_why[0] ? capture_why : NULL;
		return why;
	}
	types = palloc(sizeof(Datum) * Max(desc->natts, 1));
	typmods = palloc(sizeof(Datum) * Max(desc->natts, 1));
	readtypes = palloc(sizeof(Datum) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		names = lappend(names, pstrdup(NameStr(att->attname)));
		types[n] = ObjectIdGetDatum(att->atttypid);
		typmods[n] = Int32GetDatum(att->atttypmod);
		readtypes[n] = ObjectIdGetDatum(wal_read_type(att->atttypid));
		n++;
	}
	key = cdc_identity_columns(rel);
	i = -1;
	while ((i = bms_next_member(key, i)) >= 0)
		keys = lappend(keys, pstrdup(NameStr(TupleDescAttr(desc, i - 1)->attname)));

	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
															   RelationGetRelationName(rel)));
	values[2] = ObjectIdGetDatum(rel->rd_rel->relowner);
	values[3] = (Datum) 0;
	nulls[3] = 'n';
	if (keys != NIL)
	{
		values[3] = wal_text_array(keys);
		nulls[3] = ' ';
	}
	values[4] = wal_text_array(names);
	values[5] = PointerGetDatum(construct_array(types, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[6] = PointerGetDatum(construct_array(typmods, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	values[7] = ObjectIdGetDatum(relid);
	values[8] = PointerGetDatum(construct_array(readtypes, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
	values[9] = values[10] = (Datum) 0;
	if (gen_names != NIL)
	{
		values[9] = wal_text_array(gen_names);
		values[10] = wal_text_array(gen_exprs);
		nulls[9] = nulls[10] = ' ';
	}
	relation_close(rel, NoLock);

	internal_sql_begin(&as_owner, nspowner);
	SPI_connect();
	if (SPI_execute_with_args(dataeng_internal_sql(
								  "INSERT INTO dataeng_internal.cdc_wal_dropped AS w"
								  " (table_oid, dropped_xid, table_ident, table_owner, columns, exclude_columns,"
								  "  changed_only, key_columns, column_names, column_types, column_typmods,"
								  "  column_read_types, generated_columns, generated_exprs)"
								  " SELECT $1, pg_catalog.pg_current_xact_id(), $2, $3, ct.columns,"
								  "  ct.exclude_columns, ct.changed_only, $4, $5, $6, $7, $9, $10, $11"
								  "  FROM dataeng.cdc_tables ct"
								  " WHERE ct.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) $8"
								  "   AND ct.active_method OPERATOR(pg_catalog.=) 'wal'"
								  "   AND ct.method OPERATOR(pg_catalog.=) 'wal'"
								  "   AND ct.capture_error IS NULL"
								  "   AND NOT EXISTS (SELECT 1 FROM dataeng_internal.cdc_wal_stops s"
								  "                    WHERE s.table_name OPERATOR(pg_catalog.=) $8)"
								  " ON CONFLICT (table_oid, dropped_xid) DO UPDATE"
								  " SET table_ident = EXCLUDED.table_ident, table_owner = EXCLUDED.table_owner,"
								  "  columns = EXCLUDED.columns, exclude_columns = EXCLUDED.exclude_columns,"
								  "  changed_only = EXCLUDED.changed_only, key_columns = EXCLUDED.key_columns,"
								  "  column_names = EXCLUDED.column_names, column_types = EXCLUDED.column_types,"
								  "  column_typmods = EXCLUDED.column_typmods,"
								  "  column_read_types = EXCLUDED.column_read_types,"
								  "  generated_columns = EXCLUDED.generated_columns,"
								  "  generated_exprs = EXCLUDED.generated_exprs"),
							  11, argtypes, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dataeng_internal.cdc_wal_dropped");
	ok = (SPI_processed == 1);
	SPI_finish();
	internal_sql_end(&as_owner);
	if (ok)
		return NULL;
	/* (not captured, or not active: which, in a second query) */
	why = wal_capture_why(relid, nspowner);
	if (why == NULL)
		return "its capture from the WAL is not active";
	return why[0] ? why : NULL;
}

/*
 * cdc_wal_before_drop
 *		Before a DROP TABLE (DROP SCHEMA ... CASCADE, DROP OWNED, a DROP
 *		TYPE, DOMAIN, FUNCTION ... CASCADE or DROP EXTENSION that takes
 *		them with it) of tables captured
 *		from the WAL: hold their writers off and wait for the worker to
 *		record the changes committed before (and to call their on_change
 *		handlers), as cdc_disable does.  The worker decodes a change a
 *		round after its commit; once the table is gone it has nowhere to
 *		record it (the table's row of dataeng.cdc_tables went with it), so
 *		the changes still waiting in the WAL were lost, where the capture
 *		trigger had recorded each at its commit.  When the worker does not
 *		catch up (it is down, dataeng.enabled is off, or it waits for a
 *		lock this transaction holds), a WARNING says so and the DROP goes
 *		on; so it does for the changes this transaction wrote before the
 *		DROP, which commit with it and are decoded after it.
 */
void
cdc_wal_before_drop(Node *stmt)
{
	List	   *relids;
	ListCell   *lc;
	Oid			pubid;
	Oid			nspowner;
	bool		caught_up = true;
	bool		unblocked;
	char	   *worker = NULL;
	MemoryContext outer = CurrentMemoryContext;

	if (stmt == NULL)
		return;
	if (!IsA(stmt, DropOwnedStmt) && !IsA(stmt, DropStmt))
		return;
	if (IsA(stmt, DropStmt))
	{
		DropStmt   *ds = (DropStmt *) stmt;

		switch (ds->removeType)
		{
			case OBJECT_TABLE:
			case OBJECT_SCHEMA:
			case OBJECT_EXTENSION:	/* (its member tables go with it) */
				break;
			case OBJECT_TYPE:	/* a typed table, with CASCADE */
			case OBJECT_DOMAIN:
			case OBJECT_FUNCTION:	/* a table whose partition key calls it */
			case OBJECT_PROCEDURE:
			case OBJECT_ROUTINE:
				if (ds->behavior != DROP_CASCADE)
					return;
				break;
			default:
				return;
		}
	}
	if (!wal_capture_setup(&pubid, &nspowner))
		return;
	relids = wal_tables_dropped(stmt, pubid);
	if (relids == NIL)
		return;

	/* (and their partitions: a writer may name one) */
	foreach(lc, relids)
		(void) find_all_inheritors(lfirst_oid(lc), ShareRowExclusiveLock, NULL);
	unblocked = wal_wait_worker_unblocked(nspowner, outer, &caught_up, &worker);

	/*
	 * The changes this transaction wrote to a table it drops are decoded
	 * after its commit, when the table is gone: described here for the
	 * worker, with a logical message in this transaction that has it read
	 * the description (wal_describe_dropped); a table that cannot be
	 * described loses them, which a WARNING says while the transaction
	 * can still be rolled back.
	 */
	{
		bool		described = false;

		foreach(lc, relids)
		{
			Oid			relid = lfirst_oid(lc);
			const char *why;

			if (!changed_here(relid))
				continue;
			why = wal_describe_dropped(relid, nspowner);
			if (why == NULL)
			{
				described = true;
				continue;
			}
			/* (a TRUNCATE or an ALTER alone: said only for rows written) */
			if (!OidIsValid(written_here(list_make1_oid(relid))))
				continue;
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("this transaction changed rows of table %s, which is captured from the WAL, before dropping it",
							get_rel_name(relid)),
					 errdetail("Those changes are decoded after the transaction commits, when the table is gone, and %s: they are not captured.",
							   why),
					 errhint("Roll back, and drop the table in a transaction of its own, after the one that writes it.")));
		}
		if (described)
			(void) LogLogicalMessage(CDC_WAL_DROP_PREFIX, "", 0, true);
	}

	if (!unblocked || !caught_up)
		foreach(lc, relids)
			ereport(WARNING,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("changes of table %s that the WAL capture worker has not recorded yet are not captured",
							get_rel_name(lfirst_oid(lc))),
					 errdetail("%s Once the table is dropped, the worker has nowhere to record them.",
							   !unblocked ?
							   "The WAL capture worker waits for a lock this transaction holds." :
							   wal_worker_detail(worker)),
					 errhint("Roll back, and drop the table when SELECT dataeng.cdc_wal_sync() returns true, "
							 "in a transaction that does not lock it (or another captured table) first; "
							 "dataeng.cdc_status shows the worker's state.")));
}

/*
 * tables_dropped_by
 *		The tables (and partitioned tables) a DROP statement may take with
 *		it, captured or not, whoever may drop them: those named and their
 *		partitions, with CASCADE those that depend on the schema, the type,
 *		domain or routine dropped, for DROP OWNED those the roles own and,
 *		with CASCADE, those that depend on what they own.  Not DROP
 *		EXTENSION (dataeng's own would walk all its objects).  A table
 *		listed that the statement then does not drop (it fails) costs
 *		nothing: what is recorded for it is rolled back with it.
 */
static List *
tables_dropped_by(Node *stmt)
{
	List	   *relids = NIL;
	List	   *starts = NIL;
	ListCell   *lc;

	if (IsA(stmt, DropOwnedStmt))
	{
		List	   *roles = NIL;

		foreach(lc, ((DropOwnedStmt *) stmt)->roles)
		{
			Oid			role = get_rolespec_oid(lfirst(lc), true);

			if (OidIsValid(role))
				roles = lappend_oid(roles, role);
		}
		if (roles == NIL)
			return NIL;
		starts = objects_owned_here(roles);
		foreach(lc, starts)
		{
			ObjectAddress *obj = lfirst(lc);

			if (obj->classId == RelationRelationId &&
				(get_rel_relkind(obj->objectId) == RELKIND_RELATION ||
				 get_rel_relkind(obj->objectId) == RELKIND_PARTITIONED_TABLE))
				relids = list_append_unique_oid(relids, obj->objectId);
		}
		if (((DropOwnedStmt *) stmt)->behavior != DROP_CASCADE)
			return relids;
		return wal_tables_depending_on(starts, InvalidOid, relids);
	}
	if (!IsA(stmt, DropStmt))
		return NIL;
	{
		DropStmt   *ds = (DropStmt *) stmt;

		switch (ds->removeType)
		{
			case OBJECT_TABLE:
				foreach(lc, ds->objects)
				{
					RangeVar   *rv = makeRangeVarFromNameList((List *) lfirst(lc));
					Oid			relid = RangeVarGetRelid(rv, NoLock, true);

					if (!OidIsValid(relid) ||
						(get_rel_relkind(relid) != RELKIND_RELATION &&
						 get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE))
						continue;
					relids = list_concat_unique_oid(relids, find_all_inheritors(relid, NoLock, NULL));
				}
				return relids;
			case OBJECT_SCHEMA:
				if (ds->behavior != DROP_CASCADE)
					return NIL;
				foreach(lc, ds->objects)
				{
					Oid			nspid = get_namespace_oid(strVal(lfirst(lc)), true);
					ObjectAddress *obj;

					if (!OidIsValid(nspid))
						continue;
					obj = palloc(sizeof(ObjectAddress));
					ObjectAddressSet(*obj, NamespaceRelationId, nspid);
					starts = lappend(starts, obj);
				}
				break;
			case OBJECT_TYPE:
			case OBJECT_DOMAIN:
			case OBJECT_FUNCTION:
			case OBJECT_PROCEDURE:
			case OBJECT_ROUTINE:
				if (ds->behavior != DROP_CASCADE)
					return NIL;
				foreach(lc, ds->objects)
				{
					Relation	rel = NULL;
					ObjectAddress *obj = palloc(sizeof(ObjectAddress));

					/* (locked as the DROP locks it) */
					*obj = get_object_address(ds->removeType, lfirst(lc), &rel,
											  AccessExclusiveLock, true);
					if (rel != NULL)
						table_close(rel, NoLock);
					if (!OidIsValid(obj->objectId))
						continue;
					obj->objectSubId = 0;
					starts = lappend(starts, obj);
				}
				break;
			default:
				return NIL;
		}
	}
	if (starts == NIL)
		return NIL;
	return wal_tables_depending_on(starts, InvalidOid, relids);
}

/*
 * any_captured
 *		Whether any of relids has a row in dataeng.cdc_tables: one probe of
 *		its primary key each, with the latest snapshot (a table captured
 *		earlier in this transaction counts), and no SPI.  Most DROPs take
 *		no captured table; they pay this and nothing more.
 */
static bool
any_captured(List *relids)
{
	Oid			nsp = get_namespace_oid("dataeng", true);
	Oid			tabid;
	Relation	rel;
	Oid			pkey;
	Snapshot	snap;
	ListCell   *lc;
	bool		found = false;

	tabid = OidIsValid(nsp) ? get_relname_relid("cdc_tables", nsp) : InvalidOid;
	if (!OidIsValid(tabid))
		return true;			/* (cannot tell: let the SQL decide) */
	rel = table_open(tabid, AccessShareLock);
	pkey = RelationGetPrimaryKeyIndex(rel);
	if (!OidIsValid(pkey))
	{
		table_close(rel, AccessShareLock);
		return true;
	}
	snap = RegisterSnapshot(GetLatestSnapshot());
	foreach(lc, relids)
	{
		ScanKeyData key;
		SysScanDesc scan;

		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(lfirst_oid(lc)));
		scan = systable_beginscan(rel, pkey, true, snap, 1, &key);
		found = HeapTupleIsValid(systable_getnext(scan));
		systable_endscan(scan);
		if (found)
			break;
	}
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return found;
}

/*
 * nothing_captured
 *		Whether dataeng.cdc_tables has no row (latest snapshot, as
 *		any_captured()): then no partition tree, inheritance, column name
 *		or replica identity concerns capture, and the event trigger after
 *		CREATE TABLE / ALTER TABLE has nothing to do but to see it.
 */
static bool
nothing_captured(void)
{
	Oid			nsp = get_namespace_oid("dataeng", true);
	Oid			tabid;
	Relation	rel;
	Snapshot	snap;
	TableScanDesc scan;
	bool		empty;

	tabid = OidIsValid(nsp) ? get_relname_relid("cdc_tables", nsp) : InvalidOid;
	if (!OidIsValid(tabid))
		return false;			/* (cannot tell: let the SQL decide) */
	rel = table_open(tabid, AccessShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	empty = heap_getnext(scan, ForwardScanDirection) == NULL;
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	return empty;
}

/*
 * cdc_before_drop_readers
 *		Before a DROP that takes tables with it: who may read the captured
 *		ones whole now, among the owners of the consumers reading them
 *		(dataeng_internal._cdc_drop_readers(), as dataeng's owner,
 *		restricted).  Once a table is gone no right on it can be checked;
 *		these let its consumers read its changes captured before the DROP
 *		(they read none, or failed: the changes were lost to them).  After
 *		cdc_wal_before_drop(), which has the worker record the changes of
 *		tables captured from the WAL first.
 */
void
cdc_before_drop_readers(Node *stmt)
{
	Oid			nsp;
	HeapTuple	ntup;
	Oid			nspowner;
	List	   *relids;
	ListCell   *lc;
	Datum	   *elems;
	int			n = 0;
	Oid			argtypes[1] = {OIDARRAYOID};
	Datum		values[1];
	InternalSql as_owner;

	if (stmt == NULL || (!IsA(stmt, DropStmt) && !IsA(stmt, DropOwnedStmt)))
		return;
	/* (where the DROP fails by itself, with its own error) */
	if (XactReadOnly || RecoveryInProgress())
		return;
	/* (dataeng installed here, with the table: not on the 0.1.0 script) */
	nsp = get_namespace_oid(dataeng_internal_schema(), true);
	if (!OidIsValid(nsp) || !OidIsValid(get_relname_relid("cdc_dropped_readers", nsp)))
		return;
	relids = tables_dropped_by(stmt);
	if (relids == NIL || !any_captured(relids))
		return;
	ntup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(ntup))
		return;
	nspowner = ((Form_pg_namespace) GETSTRUCT(ntup))->nspowner;
	ReleaseSysCache(ntup);

	elems = palloc(sizeof(Datum) * list_length(relids));
	foreach(lc, relids)
		elems[n++] = ObjectIdGetDatum(lfirst_oid(lc));
	values[0] = PointerGetDatum(construct_array(elems, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));

	internal_sql_begin(&as_owner, nspowner);
	SPI_connect();
	if (SPI_execute_with_args("SELECT dataeng_internal._cdc_drop_readers($1)", 1, argtypes, values,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not record the readers of dropped tables");
	SPI_finish();
	internal_sql_end(&as_owner);
}

/*
 * changes_partitions
 *		Whether a DDL statement adds or removes a partition.
 */
static bool
changes_partitions(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL)
		return false;
	if (IsA(parsetree, CreateStmt))
		return ((CreateStmt *) parsetree)->partbound != NULL;
	if (!IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AttachPartition ||
			cmd->subtype == AT_DetachPartition ||
			cmd->subtype == AT_DetachPartitionFinalize)
			return true;
	}
	return false;
}

/*
 * adds_inheritance
 *		Whether a DDL statement gives a table an inheritance parent that is
 *		not a partitioned table (CREATE [FOREIGN] TABLE ... INHERITS, ALTER
 *		[FOREIGN] TABLE ... INHERIT).
 */
static bool
adds_inheritance(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL)
		return false;
	/* (CreateForeignTableStmt begins with a CreateStmt) */
	if (IsA(parsetree, CreateStmt) || IsA(parsetree, CreateForeignTableStmt))
		return ((CreateStmt *) parsetree)->partbound == NULL &&
			((CreateStmt *) parsetree)->inhRelations != NIL;
	if (!IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AddInherit)
			return true;
	}
	return false;
}

/*
 * check_inheritance
 *		Refuse a statement that put a captured table into an inheritance
 *		tree, or a table under a captured one (see
 *		dataeng_internal._cdc_check_inheritance()).
 */
static void
check_inheritance(void)
{
	char	   *table = NULL;
	char	   *captured = NULL;
	MemoryContext outer = CurrentMemoryContext;

	/* before 0.2.0 (internals in schema dataeng) there is no such check */
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;
	SPI_connect();
	if (SPI_execute(dataeng_internal_sql("SELECT d.objid::pg_catalog.regclass::pg_catalog.text, i.i::pg_catalog.text "
									"FROM (SELECT DISTINCT c.objid "
									"FROM pg_catalog.pg_event_trigger_ddl_commands() c "
									"WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
									"AND c.objsubid OPERATOR(pg_catalog.=) 0) d, "
									"LATERAL dataeng_internal._cdc_check_inheritance(d.objid::pg_catalog.regclass, true) i "
									"WHERE i.i IS NOT NULL"),
					false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not check the inheritance of captured tables");
	if (SPI_processed > 0)
	{
		table = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0],
														SPI_tuptable->tupdesc, 1));
		captured = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0],
														   SPI_tuptable->tupdesc, 2));
	}
	SPI_finish();
	if (captured == NULL)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 strcmp(table, captured) == 0 ?
			 errmsg("captured table %s cannot inherit from another table", table) :
			 errmsg("table %s cannot inherit from captured table %s", table, captured),
			 errdetail("An update or delete naming an inheritance parent changes its children's rows too, which capture cannot tell apart from the parent's own."),
			 errhint("Stop capturing %s first (SELECT dataeng.cdc_disable(%s);), or use a partitioned table.",
					 captured, quote_literal_cstr(captured))));
}

/*
 * check_attached
 *		Refuse an ATTACH PARTITION under a captured table (the partitioned
 *		table altered or a table above it) of a table whose changes, or
 *		those of a partition below it, are read under their own names: a
 *		fact's or dimension's source, a consumer's table, a table captured
 *		on its own.  Once attached, their changes are recorded under the
 *		topmost captured table instead, and these would silently hear
 *		nothing more (see dataeng_internal._cdc_partition_reader()).
 *		CREATE TABLE ... PARTITION OF makes a new table, which nothing reads
 *		yet: nothing to check.
 */
static void
check_attached(List *commands)
{
	ListCell   *lc;
	MemoryContext outer = CurrentMemoryContext;

	/* before 0.2.0 (internals in schema dataeng) there is no such check */
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;
	foreach(lc, commands)
	{
		PartitionCommand *pc = lfirst(lc);
		Oid			argtypes[2] = {OIDOID, OIDOID};
		Datum		values[2];
		char	   *found[6] = {NULL};
		SPIPlanPtr	plan;

		if (pc->op != 'I')
			continue;
		values[0] = ObjectIdGetDatum(pc->parent);
		values[1] = ObjectIdGetDatum(pc->part);
		SPI_connect();

		/*
		 * With the latest snapshot: a reader whose creation committed while
		 * this ATTACH waited for its locks is seen even in a transaction
		 * whose snapshot is older (REPEATABLE READ).
		 */
		plan = SPI_prepare(dataeng_internal_sql("SELECT $2::pg_catalog.regclass::pg_catalog.text, "
													   "$1::pg_catalog.regclass::pg_catalog.text, "
													   "r.part::pg_catalog.text, t.target::pg_catalog.text, r.detail, r.hint "
													   "FROM (SELECT ct.table_name AS target "
													   "FROM pg_catalog.pg_partition_ancestors($1::pg_catalog.regclass) WITH ORDINALITY a(relid, n) "
													   "JOIN dataeng.cdc_tables ct ON ct.table_name OPERATOR(pg_catalog.=) a.relid "
													   "ORDER BY a.n DESC LIMIT 1) t, "
													   "LATERAL dataeng_internal._cdc_partition_reader($2::pg_catalog.regclass, true, t.target, "
													   "(SELECT c.relowner::pg_catalog.regrole FROM pg_catalog.pg_class c "
													   "WHERE c.oid OPERATOR(pg_catalog.=) $1)) r"),
						   2, argtypes);
		if (plan == NULL ||
			SPI_execute_snapshot(plan, values, NULL, GetLatestSnapshot(), InvalidSnapshot,
								 true, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not check the readers of partition %u", pc->part);
		if (SPI_processed > 0)
		{
			int			i;

			for (i = 0; i < 6; i++)
			{
				char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1);

				found[i] = v ? MemoryContextStrdup(outer, v) : NULL;
			}
		}
		SPI_finish();
		if (found[2] == NULL)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot attach table %s as a partition of %s: the changes of %s would be recorded under %s",
						found[0], found[1], found[2], found[3]),
				 errdetail_internal("%s", found[4]),
				 errhint("%s", found[5])));
	}
}

/*
 * sets_unlogged
 *		Whether a DDL statement makes a table unlogged (ALTER TABLE ... SET
 *		UNLOGGED): its changes leave the WAL.
 */
static bool
sets_unlogged(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_SetUnLogged)
			return true;
	}
	return false;
}

/*
 * enables_cdc_tables_triggers
 *		Whether a DDL statement is ALTER TABLE dataeng.cdc_tables ENABLE
 *		TRIGGER ...: what a data-only restore with --disable-triggers runs
 *		once it has loaded the table's rows, which fired no trigger (so
 *		none started the WAL capture worker, _cdc_wal_restore()).
 */
static bool
enables_cdc_tables_triggers(Node *parsetree)
{
	AlterTableStmt *stmt;
	ListCell   *lc;
	bool		enables = false;
	Oid			nsp;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return false;
	stmt = (AlterTableStmt *) parsetree;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_EnableTrig || cmd->subtype == AT_EnableAlwaysTrig ||
			cmd->subtype == AT_EnableReplicaTrig || cmd->subtype == AT_EnableTrigAll ||
			cmd->subtype == AT_EnableTrigUser)
			enables = true;
	}
	if (!enables || stmt->relation == NULL)
		return false;
	nsp = get_namespace_oid(DATAENG_SCHEMA, true);
	return OidIsValid(nsp) &&
		RangeVarGetRelid(stmt->relation, NoLock, true) == get_relname_relid("cdc_tables", nsp);
}

/*
 * wal_start_restored
 *		After a data-only restore of dataeng.cdc_tables with its triggers
 *		disabled: start the WAL capture worker at commit when a table is to
 *		be captured from the WAL, the server can, and no worker runs
 *		(cdc_wal_worker_missing(), the scheduler's own question; as
 *		_cdc_wal_restore() would have for each row).  It waits for the restore to end, then adds the tables
 *		missing from the publication and makes its slot (wal_prepare()).
 *		Not in a database whose extension is older than 0.2.0 (no WAL mode).
 */
static void
wal_start_restored(void)
{
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;
	SPI_connect();
	/* (tables to capture from the WAL and no worker: as the scheduler asks) */
	if (cdc_wal_worker_missing() &&
		SPI_execute("SELECT dataeng_internal._cdc_wal_start()"
					" WHERE coalesce((SELECT i.preloaded FROM dataeng.info() i), false)",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not start the WAL capture worker");
	SPI_finish();
}

/*
 * sets_replica_identity
 *		Whether a DDL statement sets a table's REPLICA IDENTITY.
 */
static bool
sets_replica_identity(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_ReplicaIdentity)
			return true;
	}
	return false;
}

/*
 * wal_identity
 *		Keep REPLICA IDENTITY FULL on the tables of the statement that are
 *		captured from the WAL or partitions of one: give new partitions
 *		FULL; refuse (the statement set an identity) another identity.
 */
static void
wal_identity(bool refuse)
{
	Oid			argtypes[1] = {BOOLOID};
	Datum		values[1];
	char	   *refused = NULL;
	char	   *captured = NULL;
	MemoryContext outer = CurrentMemoryContext;

	/* before 0.2.0 (internals in schema dataeng), no table is captured from the WAL */
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;
	values[0] = BoolGetDatum(refuse);
	SPI_connect();
	if (SPI_execute_with_args(dataeng_internal_sql("SELECT i.refused::pg_catalog.text, i.captured::pg_catalog.text "
											  "FROM (SELECT DISTINCT c.objid "
											  "FROM pg_catalog.pg_event_trigger_ddl_commands() c "
											  "WHERE c.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
											  "AND c.objsubid OPERATOR(pg_catalog.=) 0) d, "
											  "LATERAL dataeng_internal._cdc_wal_identity(d.objid, $1) i"),
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not check the replica identity of tables captured from the WAL");
	if (SPI_processed > 0)
	{
		refused = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0],
														  SPI_tuptable->tupdesc, 1));
		captured = MemoryContextStrdup(outer, SPI_getvalue(SPI_tuptable->vals[0],
														   SPI_tuptable->tupdesc, 2));
	}
	SPI_finish();
	if (refused == NULL)
		return;
	if (strcmp(refused, captured) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("table %s must keep REPLICA IDENTITY FULL", refused),
				 errdetail("Table %s is captured from the WAL, which needs the whole old row of each update and delete.",
						   refused),
				 errhint("Switch it to trigger capture first: SELECT dataeng.cdc_enable(%s, method => 'trigger'); then SELECT dataeng.cdc_wal_sync();",
						 quote_literal_cstr(captured))));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table %s must keep REPLICA IDENTITY FULL", refused),
			 errdetail("Table %s is a partition of %s, which is captured from the WAL and needs the whole old row of each update and delete.",
					   refused, captured),
			 errhint("Switch %s to trigger capture first: SELECT dataeng.cdc_enable(%s, method => 'trigger'); then SELECT dataeng.cdc_wal_sync();",
					 captured, quote_literal_cstr(captured))));
}

/*
 * rename_column
 *		After ALTER TABLE ... RENAME COLUMN: follow the rename in the
 *		capture options of the table and of the inheritors the rename
 *		reached.
 */
static void
rename_column(RenameStmt *stmt)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, BOOLOID};
	Datum		values[3];

	if (stmt->relation == NULL || stmt->subname == NULL || stmt->newname == NULL)
		return;

	/*
	 * The table comes from the collected command, not from stmt->relation:
	 * this function runs with its own search_path.
	 */
	values[0] = CStringGetTextDatum(stmt->subname);
	values[1] = CStringGetTextDatum(stmt->newname);
	values[2] = BoolGetDatum(stmt->relation->inh);
	SPI_connect();
	if (SPI_execute_with_args(dataeng_internal_sql("SELECT dataeng_internal._cdc_rename_column(d.objid, $1, $2, $3) "
											  "FROM pg_catalog.pg_event_trigger_ddl_commands() d "
											  "WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"),
							  3, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not follow the rename of column \"%s\"", stmt->subname);
	SPI_finish();
}

/*
 * typed_tables_named
 *		The typed tables (CREATE TABLE ... OF) of the composite types named
 *		relname, in any schema, with the partitions below them: what ALTER
 *		TYPE ... CASCADE of such a type changes.  Any schema, as the event
 *		trigger runs with its own search_path (the statement's type is not
 *		looked up again): a type of the same name elsewhere only adds
 *		tables.  Read from the catalog's indexes, without SPI: an ALTER
 *		TYPE of a type without typed tables costs a probe of each.
 */
static List *
typed_tables_named(const char *relname)
{
	Relation	classRel;
	ScanKeyData key[1];
	SysScanDesc scan;
	HeapTuple	tup;
	NameData	name;
	List	   *types = NIL;
	List	   *relids = NIL;
	ListCell   *lc;

	namestrcpy(&name, relname);
	classRel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_class_relname, BTEqualStrategyNumber, F_NAMEEQ,
				NameGetDatum(&name));
	scan = systable_beginscan(classRel, ClassNameNspIndexId, true, NULL, 1, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (c->relkind == RELKIND_COMPOSITE_TYPE)
			types = lappend_oid(types, c->reltype);
	}
	systable_endscan(scan);
	table_close(classRel, AccessShareLock);
	if (types == NIL)
		return NIL;

	foreach(lc, types)
	{
		ListCell   *t;

		foreach(t, typed_tables_of(lfirst_oid(lc)))
			relids = list_concat_unique_oid(relids,
											find_all_inheritors(lfirst_oid(t), NoLock, NULL));
	}
	return relids;
}

/*
 * rename_attribute
 *		After ALTER TYPE ... RENAME ATTRIBUTE ... CASCADE: the columns of
 *		the type's typed tables (and of their partitions) were renamed with
 *		it; follow the rename in their capture options, as
 *		rename_column() does for ALTER TABLE ... RENAME COLUMN.  (Before,
 *		a listed column so renamed was no longer captured, an excluded one
 *		was captured under its new name.)  Only when one of those tables is
 *		captured (typed_tables_named(), any_captured()): the rename of an
 *		attribute of another type runs no SQL.
 */
static void
rename_attribute(RenameStmt *stmt)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	if (stmt->relation == NULL || stmt->subname == NULL || stmt->newname == NULL)
		return;
	if (!any_captured(typed_tables_named(stmt->relation->relname)))
		return;

	/*
	 * The type comes from the collected command (its relation), its typed
	 * tables from the catalog: the rename recursed to each of them and to
	 * the partitions below them (PostgreSQL's renameatt_internal()).
	 */
	values[0] = CStringGetTextDatum(stmt->subname);
	values[1] = CStringGetTextDatum(stmt->newname);
	SPI_connect();
	if (SPI_execute_with_args(dataeng_internal_sql("SELECT dataeng_internal._cdc_rename_column(r.oid, $1, $2, true) "
												   "FROM pg_catalog.pg_event_trigger_ddl_commands() d "
												   "JOIN pg_catalog.pg_type t ON t.typrelid OPERATOR(pg_catalog.=) d.objid "
												   "JOIN pg_catalog.pg_depend p ON p.refclassid OPERATOR(pg_catalog.=) 'pg_catalog.pg_type'::pg_catalog.regclass "
												   " AND p.refobjid OPERATOR(pg_catalog.=) t.oid "
												   " AND p.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
												   "JOIN pg_catalog.pg_class r ON r.oid OPERATOR(pg_catalog.=) p.objid "
												   " AND r.reloftype OPERATOR(pg_catalog.=) t.oid "
												   "WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"),
							  2, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not follow the rename of attribute \"%s\"", stmt->subname);
	SPI_finish();
}

/*
 * sync_partition_triggers
 *		After a statement that changed a partition tree: the capture
 *		triggers of the tables it created (CREATE TABLE ... PARTITION OF,
 *		also inside CREATE SCHEMA) and of the partitions it attached or
 *		detached (commands), with the partitions below them, made what
 *		dataeng.cdc_tables says.  Those of other tables are left alone:
 *		changing them takes a lock their open writers hold, and a role that
 *		dropped a capture trigger of its own table and kept a writer's
 *		transaction open on it made every other role's statement wait for
 *		it.
 */
static void
sync_partition_triggers(List *commands)
{
	StringInfoData parts;
	ListCell   *lc;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];

	initStringInfo(&parts);
	appendStringInfoChar(&parts, '{');
	foreach(lc, commands)
	{
		PartitionCommand *c = (PartitionCommand *) lfirst(lc);

		if (parts.len > 1)
			appendStringInfoChar(&parts, ',');
		appendStringInfo(&parts, "%u", c->part);
	}
	appendStringInfoChar(&parts, '}');
	values[0] = CStringGetTextDatum(parts.data);

	SPI_connect();

	/*
	 * An extension script older than 0.2.0 (the library upgraded, ALTER
	 * EXTENSION UPDATE not run yet) has only the whole-database sync.
	 */
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
	{
		if (SPI_execute(dataeng_internal_sql("SELECT dataeng_internal._cdc_sync_triggers()"),
						false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not synchronize partition capture");
		SPI_finish();
		pfree(parts.data);
		return;
	}
	if (SPI_execute_with_args(dataeng_internal_sql("SELECT dataeng_internal._cdc_sync_triggers(ARRAY("
												   "SELECT d.objid::pg_catalog.regclass"
												   "  FROM pg_catalog.pg_event_trigger_ddl_commands() d"
												   " WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
												   "   AND d.objsubid OPERATOR(pg_catalog.=) 0"
												   "   AND d.command_tag OPERATOR(pg_catalog.=) ANY (ARRAY['CREATE TABLE', 'CREATE FOREIGN TABLE'])"
												   "   AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c"
												   "                WHERE c.oid OPERATOR(pg_catalog.=) d.objid"
												   "                  AND c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'f']::pg_catalog.\"char\"[]))"
												   " UNION "
												   "SELECT u.p::pg_catalog.regclass FROM pg_catalog.unnest($1::pg_catalog.oid[]) u(p)))"),
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not synchronize partition capture");
	SPI_finish();
	pfree(parts.data);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_on_ddl);

/*
 * dataeng_cdc_on_ddl
 *		ddl_command_end event trigger: re-sync partition capture when the
 *		statement changed a partition tree; follow column renames; keep
 *		REPLICA IDENTITY FULL on tables captured from the WAL.
 */
Datum
dataeng_cdc_on_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	Node	   *parsetree;
	List	   *commands;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng_internal._cdc_on_ddl() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	parsetree = trigdata->parsetree;

	/*
	 * (a data-only restore's ENABLE TRIGGER of dataeng.cdc_tables, whose
	 * rows were loaded with no trigger fired)
	 */
	if (enables_cdc_tables_triggers(parsetree))
		wal_start_restored();

	/*
	 * One cheap check first: with no table captured (most databases'
	 * CREATE TABLE and ALTER TABLE before any cdc_enable, test
	 * cdc_ddl_unrelated), nothing below concerns capture.
	 */
	if (nothing_captured())
		PG_RETURN_NULL();

	if (parsetree != NULL && IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN)
	{
		rename_column((RenameStmt *) parsetree);
		PG_RETURN_NULL();
	}

	/*
	 * ALTER TYPE: RENAME ATTRIBUTE ... CASCADE renames the columns of the
	 * type's typed tables, which capture options name; nothing else it does
	 * concerns this trigger (DROP ATTRIBUTE ... CASCADE drops their
	 * columns: dataeng_cdc_on_drop; ADD, ALTER ATTRIBUTE keep the names).
	 */
	if (parsetree != NULL && IsA(parsetree, RenameStmt) &&
		((RenameStmt *) parsetree)->renameType == OBJECT_ATTRIBUTE)
	{
		rename_attribute((RenameStmt *) parsetree);
		PG_RETURN_NULL();
	}
	if (trigdata->tag == CMDTAG_ALTER_TYPE)
		PG_RETURN_NULL();
	/*
	 * CREATE SCHEMA ... CREATE TABLE ...: the tables it creates, as their
	 * own CREATE TABLE would (an inheritance child refused, a new partition
	 * captured with its tree).
	 */
	if (parsetree != NULL && IsA(parsetree, CreateSchemaStmt))
	{
		ListCell   *lc;
		bool		inherits = false;
		bool		partitions = false;

		foreach(lc, ((CreateSchemaStmt *) parsetree)->schemaElts)
		{
			inherits |= adds_inheritance(lfirst(lc));
			partitions |= changes_partitions(lfirst(lc));
		}
		if (inherits)
			check_inheritance();
		if (!partitions)
			PG_RETURN_NULL();
		sync_partition_triggers(NIL);
		wal_identity(false);
		PG_RETURN_NULL();
	}
	if (adds_inheritance(parsetree))
		check_inheritance();
	if (sets_replica_identity(parsetree))
		wal_identity(true);
	/* a table captured from the WAL, or a partition of one, made unlogged */
	if (sets_unlogged(parsetree))
		wal_identity(false);
	if (!changes_partitions(parsetree))
		PG_RETURN_NULL();

	/* tables attached under a captured table whose changes are read */
	commands = cdc_partition_commands(parsetree);
	check_attached(commands);

	sync_partition_triggers(commands);

	/* the rows an ATTACH or DETACH brought or took away (partition_rows.c) */
	cdc_record_partition_rows(commands);

	/* new partitions of tables captured from the WAL: whole old rows */
	wal_identity(false);
	PG_RETURN_NULL();
}

/*
 * reader_state
 *		What the checks before the creation of a reader of a table read,
 *		under a snapshot: whether the table is a partition (pg_class, as
 *		the snapshot sees it), its topmost captured ancestor, and the first
 *		reader of a partition below it.  As text, "" when the table is
 *		gone.
 */
static char *
reader_state(Oid relid, Snapshot snapshot)
{
	Oid			argtypes[1] = {OIDOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	char	   *state = NULL;
	MemoryContext outer = CurrentMemoryContext;

	values[0] = ObjectIdGetDatum(relid);
	SPI_connect();
	plan = SPI_prepare(dataeng_internal_sql("SELECT pg_catalog.concat_ws('/', "
											"(SELECT c.relispartition FROM pg_catalog.pg_class c "
											"  WHERE c.oid OPERATOR(pg_catalog.=) $1), "
											"(SELECT ct.table_name::pg_catalog.oid "
											"   FROM pg_catalog.pg_partition_ancestors($1::pg_catalog.regclass) WITH ORDINALITY a(relid, n) "
											"   JOIN dataeng.cdc_tables ct ON ct.table_name OPERATOR(pg_catalog.=) a.relid "
											"  WHERE a.relid OPERATOR(pg_catalog.<>) $1 ORDER BY a.n DESC LIMIT 1), "
											"(SELECT r.part::pg_catalog.oid "
											"   FROM dataeng_internal._cdc_partition_reader($1::pg_catalog.regclass, false, "
											"        $1::pg_catalog.regclass, CURRENT_USER::pg_catalog.regrole) r))"),
					   1, argtypes);
	/* (not read-only: the snapshot sees this transaction's own changes) */
	if (plan == NULL ||
		SPI_execute_snapshot(plan, values, NULL, snapshot, InvalidSnapshot,
							 false, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the readers of table %u", relid);
	if (SPI_processed > 0)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		state = MemoryContextStrdup(outer, v ? v : "");
	}
	SPI_finish();
	return state ? state : pstrdup("");
}

/*
 * lock_partitions_in_order
 *		Lock every partition below relid (locked already by the caller) in
 *		mode, until the end of the transaction: a level of the partition
 *		tree after the level above it, by oid within a level.  The creation
 *		of a consumer of several tables locks them in that order too
 *		(dataeng_internal._cdc_consumer_create): so cdc_enable of a
 *		partitioned table and a consumer of some of its partitions, created
 *		at once, never each hold a partition the other waits for (a
 *		deadlock, where one is to wait for the other and then see it).
 *		find_all_inheritors orders a level by parent first, then by oid.
 *
 *		A level is locked before the partitions below it are listed: an
 *		ATTACH under one of its tables (which locks that table too) either
 *		committed before and is listed, or waits for this transaction.  A
 *		partition dropped before its lock was granted is left out, as
 *		find_all_inheritors does.
 */
static void
lock_partitions_in_order(Oid relid, LOCKMODE mode)
{
	List	   *level = list_make1_oid(relid);

	while (level != NIL)
	{
		List	   *below = NIL;
		List	   *locked = NIL;
		ListCell   *lc;

		foreach(lc, level)
			below = list_concat(below,
								find_inheritance_children_extended(lfirst_oid(lc), false,
																   NoLock, NULL, NULL));
		list_sort(below, list_oid_cmp);
		list_deduplicate_oid(below);
		foreach(lc, below)
		{
			Oid			child = lfirst_oid(lc);

			LockRelationOid(child, mode);
			if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(child)))
			{
				UnlockRelationOid(child, mode);
				continue;
			}
			locked = lappend_oid(locked, child);
		}
		list_free(below);
		list_free(level);
		level = locked;
	}
}

PG_FUNCTION_INFO_V1(dataeng_cdc_reader_lock);

/*
 * dataeng_cdc_reader_lock
 *		(tbl regclass, whole_tree boolean): before the creation of a reader
 *		of tbl's changes under its own name (cdc_enable, a consumer, a fact
 *		or a dimension) checks that they are not recorded under a captured
 *		table above it, and (cdc_enable of a table not captured yet) that no
 *		partition below it has such a reader, lock tbl, and with whole_tree
 *		every partition below it (lock_partitions_in_order(): a level after
 *		the one above it, by oid within a level, the order of a consumer's
 *		tables), in SHARE UPDATE EXCLUSIVE mode until the end of the
 *		transaction.  An ATTACH PARTITION of tbl takes ACCESS
 *		EXCLUSIVE on it and every partition below it, SHARE UPDATE
 *		EXCLUSIVE on its new parent: whichever of the two comes second
 *		waits for the other to commit, then checks what it committed (the
 *		caller's next statements read a new snapshot; ATTACH's check reads
 *		the latest one).  Writers of tbl (ROW EXCLUSIVE) are not held off.
 *
 *		In a transaction whose snapshot is kept (REPEATABLE READ,
 *		SERIALIZABLE), the checks would read what committed before it: if
 *		what they read changed since (a concurrent ATTACH, cdc_enable of a
 *		table above, a reader of a partition below), a serialization
 *		failure is raised instead, as PostgreSQL does for a row changed
 *		since the snapshot.
 *
 *		PUBLIC may call it (a fact's or dimension's creation checks its
 *		source as the creating role): it locks only a table the calling
 *		role may read (SELECT, as the reader it checks for needs; with
 *		SELECT alone, a captured table whose every change it may read), and
 *		with whole_tree only one it owns; else 42501.
 */
Datum
dataeng_cdc_reader_lock(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		whole_tree = PG_GETARG_BOOL(1);

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		PG_RETURN_VOID();
	if (whole_tree ? !pg_class_ownercheck(relid, GetUserId()) :
		pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid)),
				 errhint(whole_tree ? "Only the table's owner may lock it with its partitions." :
						 "Reading a table's changes requires SELECT on it.")));

	/*
	 * SHARE UPDATE EXCLUSIVE holds off VACUUM (also the one against
	 * wraparound), ANALYZE, CREATE INDEX CONCURRENTLY and most ALTER TABLE,
	 * which LOCK TABLE grants only with UPDATE, DELETE or TRUNCATE: with
	 * SELECT alone, only a captured table whose changes the caller may read
	 * (USAGE on its schema, no row-level security limiting what it sees
	 * there, as dataeng_internal._cdc_can_read), as its consumer's creation
	 * locks it, else its owner.  A role that may not read its changes
	 * creates no reader of the table: the lock would serve it only to keep
	 * VACUUM off another role's table for as long as it liked.
	 */
	if (!whole_tree && !pg_class_ownercheck(relid, GetUserId()) &&
		pg_class_aclcheck(relid, GetUserId(), ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE) != ACLCHECK_OK)
	{
		Oid			argtypes[1] = {OIDOID};
		Datum		values[1] = {ObjectIdGetDatum(relid)};
		bool		captured;

		Oid			nsp = get_namespace_oid(dataeng_internal_schema(), false);
		HeapTuple	ntup;
		Oid			nspowner;
		InternalSql as_owner;

		if (pg_namespace_aclcheck(get_rel_namespace(relid), GetUserId(), ACL_USAGE) != ACLCHECK_OK ||
			check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", get_rel_name(relid)),
					 errdetail("The lock held until the end of the transaction (SHARE UPDATE EXCLUSIVE) holds off VACUUM and schema changes of the table; "
							   "with SELECT alone it is taken only for a role that may read every change of the table (USAGE on its schema, no row-level security limiting what it sees)."),
					 errhint("It takes UPDATE, DELETE or TRUNCATE on the table, as LOCK TABLE does.")));
		ntup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
		if (!HeapTupleIsValid(ntup))
			elog(ERROR, "cache lookup failed for schema %u", nsp);
		nspowner = ((Form_pg_namespace) GETSTRUCT(ntup))->nspowner;
		ReleaseSysCache(ntup);
		/*
		 * (dataeng.cdc_tables read as dataeng's owner, restricted, with
		 * search_path pinned in a GUC nest level)
		 */
		internal_sql_begin(&as_owner, nspowner);
		SPI_connect();
		if (SPI_execute_with_args("SELECT 1 FROM dataeng.cdc_tables ct "
								  "WHERE ct.table_name OPERATOR(pg_catalog.=) $1",
								  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the capture of table %u", relid);
		captured = SPI_processed > 0;
		SPI_finish();
		internal_sql_end(&as_owner);
		if (!captured)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", get_rel_name(relid)),
					 errdetail("The lock held until the end of the transaction (SHARE UPDATE EXCLUSIVE) holds off VACUUM and schema changes of the table."),
					 errhint("It takes UPDATE, DELETE or TRUNCATE on a table that is not captured, as LOCK TABLE does.")));
	}

	/*
	 * A reader of one table (a consumer, a fact, a dimension) takes the
	 * creations' locks first (cdc_creation_lock(), as a consumer's creation
	 * does before its tables, and as a fact's or dimension's creation does
	 * later for its consumer): taken after the table, a fact's creation
	 * holding its source could wait for a creation of the same role
	 * holding that role's lock and waiting for that source (a deadlock).
	 */
	if (!whole_tree)
		cdc_creation_lock(GetUserId());
	LockRelationOid(relid, ShareUpdateExclusiveLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
	{
		/* dropped meanwhile: the caller's checks say so */
		UnlockRelationOid(relid, ShareUpdateExclusiveLock);
		PG_RETURN_VOID();
	}
	if (whole_tree && get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		lock_partitions_in_order(relid, ShareUpdateExclusiveLock);

	if (IsolationUsesXactSnapshot())
	{
		char	   *then = reader_state(relid, GetTransactionSnapshot());
		char	   *now = reader_state(relid, GetLatestSnapshot());

		if (strcmp(then, now) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to a concurrent change of the partitions of %s or of their readers",
							get_rel_name(relid)),
					 errdetail("An ATTACH PARTITION, a capture or a reader of the changes of %s or of a table above or below it committed after this transaction's snapshot was taken.",
							   get_rel_name(relid)),
					 errhint("Retry the transaction.")));
	}
	PG_RETURN_VOID();
}
