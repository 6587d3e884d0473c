/*-------------------------------------------------------------------------
 *
 * ddl_gate.c
 *		One cheap check before dataeng's DDL event triggers run SQL.
 *
 * Every CREATE TABLE and ALTER TABLE of a database with dataeng fires its
 * ddl_command_end (and, for ALTER, ddl_command_start) event triggers.
 * Most such statements touch nothing dataeng tracks, yet each one ran
 * PL/pgSQL: the output plugin's recorder asked pg_replication_slots for a
 * dataeng slot, the dimensions' trigger ran two UPDATEs over
 * pg_event_trigger_ddl_commands(), the facts' and dimensions' rename
 * trigger two UPDATEs before and two after every ALTER.  That made a
 * CREATE TABLE / ALTER TABLE cost about twice what it costs without the
 * extension.  So the event triggers' functions are these C functions,
 * which look first, in memory or in the few rows of the definitions,
 * whether the statement can concern dataeng, and only then run the SQL
 * (the same SQL as before, now in the functions they call):
 *
 * - _decoding_on_ddl, _decoding_on_drop: a schema-change record is only
 *	 written when a dataeng slot of this database could read it
 *	 (wal_level logical and such a slot in the replication slots' shared
 *	 memory, what pg_replication_slots shows); then
 *	 _decoding_record_ddl(current_user) / _decoding_record_drop().
 * - _dim_on_alter: only after an ALTER TABLE of a dimension's source or
 *	 table (or of a table above one in an inheritance tree), the tables
 *	 altered read by oid from the commands collected; a statement
 *	 whose table cannot be told from its parse tree (a rename, SET
 *	 SCHEMA, ALL IN TABLESPACE), and ALTER TYPE (whose CASCADE changes
 *	 the type's typed tables), is given to _dim_on_alter_apply() as
 *	 before.
 * - _agg_on_rename: before the statement, a source of a fact or
 *	 dimension whose oid names a table of another name than the recorded
 *	 one (or none) is marked dropped: looked for here, row by row through
 *	 the catalog caches, and _agg_on_rename_apply('ddl_command_start')
 *	 called only when one is found; after it, the recorded names follow a
 *	 rename or SET SCHEMA (or fill a name not recorded yet): only then
 *	 _agg_on_rename_apply('ddl_command_end').  Also before the statement,
 *	 an ALTER COLUMN ... TYPE that may change the values of a column a
 *	 fact or dimension reads (agg_retype_mark()).
 * - _dim_on_alter also marks the facts and dimensions of a source with a
 *	 column of an enum whose label, or a composite whose field, was renamed
 *	 (agg_type_renamed_mark()), and refuses a role that disabled a capture
 *	 trigger of dataeng (capture_disable_check()); the utility hook refuses
 *	 such a role's DROP TRIGGER, CREATE OR REPLACE TRIGGER, ALTER TRIGGER
 *	 ... RENAME or ALTER TRIGGER ... DEPENDS ON EXTENSION of one
 *	 (cdc_before_trigger_change()).
 * - _dim_on_key_drop: a statement that dropped the last unique index of
 *	 a dimension's key column (sql_drop): looked for here, in the rows of
 *	 dimension_defs and the sources' pg_index rows (those the transaction
 *	 deleted too), and only then _dim_key_check(), which warns and marks
 *	 the dimension.
 *
 * The calls are counted as calls of those functions (track_functions):
 * sql_tests/cdc_ddl_unrelated.sql counts them for unrelated DDL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "commands/event_trigger.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "replication/slot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "cdc/cdc.h"

/* the event trigger's data, or an error when not called as one */
static EventTriggerData *
gate_trigdata(FunctionCallInfo fcinfo, const char *name)
{
	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng_internal.%s() must be called as an event trigger", name)));
	return (EventTriggerData *) fcinfo->context;
}

/*
 * gate_owner
 *		The owner of the event trigger's function (the extension's owner):
 *		the triggers that were SECURITY DEFINER run their SQL as it.  (The
 *		functions here are not SECURITY DEFINER: a search_path set for
 *		each call, and the name of the statement's table looked up in it,
 *		would not be the statement's.)
 */
static Oid
gate_owner(FunctionCallInfo fcinfo)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * gate_run
 *		Run one statement of dataeng's SQL with search_path pinned (the
 *		caller's settings resolve none of its names), as role (restricted)
 *		or, InvalidOid, as the current user.
 */
static void
gate_run(const char *sql, Oid role)
{
	InternalSql saved;

	internal_sql_begin(&saved, role);
	SPI_connect();
	if (SPI_execute(dataeng_internal_sql(sql), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run \"%s\"", sql);
	SPI_finish();
	internal_sql_end(&saved);
}

/*
 * dataeng_slot_here
 *		Whether a dataeng output plugin could read a record written now:
 *		wal_level logical and a slot of the plugin in this database (as
 *		pg_replication_slots would say).
 */
static bool
dataeng_slot_here(void)
{
	bool		found = false;
	int			i;

	if (wal_level < WAL_LEVEL_LOGICAL || ReplicationSlotCtl == NULL)
		return false;
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	for (i = 0; i < max_replication_slots && !found; i++)
	{
		ReplicationSlot *s = &ReplicationSlotCtl->replication_slots[i];

		if (!s->in_use)
			continue;
		SpinLockAcquire(&s->mutex);
		found = s->in_use && s->data.database == MyDatabaseId &&
			strcmp(NameStr(s->data.plugin), "dataeng") == 0;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	return found;
}

PG_FUNCTION_INFO_V1(dataeng_decoding_on_ddl);

/*
 * dataeng_internal._decoding_on_ddl() RETURNS event_trigger
 *		ddl_command_end: the schema-change record of the output plugin,
 *		when a dataeng slot of this database could read it.
 */
Datum
dataeng_decoding_on_ddl(PG_FUNCTION_ARGS)
{
	(void) gate_trigdata(fcinfo, "_decoding_on_ddl");
	if (dataeng_slot_here())
		gate_run("SELECT dataeng_internal._decoding_record_ddl(pg_catalog.\"current_user\"())", InvalidOid);
	PG_RETURN_NULL();
}

PG_FUNCTION_INFO_V1(dataeng_decoding_on_drop);

/*
 * dataeng_internal._decoding_on_drop() RETURNS event_trigger
 *		sql_drop: the records of the tables dropped, when a dataeng slot of
 *		this database could read them.
 */
Datum
dataeng_decoding_on_drop(PG_FUNCTION_ARGS)
{
	(void) gate_trigdata(fcinfo, "_decoding_on_drop");
	if (dataeng_slot_here())
		gate_run("SELECT dataeng_internal._decoding_record_drop(pg_catalog.\"current_user\"())", InvalidOid);
	PG_RETURN_NULL();
}

/*
 * A callback per row of a definition table: its source (and its table),
 * whether the source is marked dropped, and its recorded names (NULL:
 * none recorded).  Returns true to stop the scan.
 */
typedef bool (*DefCallback) (Oid source, Oid table, bool dropped,
							 const char *schema, const char *name, void *arg);

/*
 * defs_scan
 *		Calls cb for each row of dataeng_internal.<relname> (fact_defs,
 *		dimension_defs) visible to the transaction's snapshot, table_col
 *		naming its table's column (NULL: none).  Returns false when the
 *		table or one of the columns is not there (the caller then runs its
 *		SQL as it did before), else true.
 */
static bool
defs_scan(const char *relname, const char *table_col, DefCallback cb, void *arg)
{
	Oid			nsp = get_namespace_oid(DATAENG_INTERNAL_SCHEMA, true);
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	a_source,
				a_table,
				a_dropped,
				a_schema,
				a_name;
	TableScanDesc scan;
	Snapshot	snapshot;
	HeapTuple	tup;

	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0 || !OidIsValid(nsp))
		return false;
	relid = get_relname_relid(relname, nsp);
	if (!OidIsValid(relid))
		return false;
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	a_source = SPI_fnumber(desc, "source");
	a_table = table_col ? SPI_fnumber(desc, table_col) : InvalidAttrNumber;
	a_dropped = SPI_fnumber(desc, "source_dropped");
	a_schema = SPI_fnumber(desc, "source_schema");
	a_name = SPI_fnumber(desc, "source_table");
	if (a_source <= 0 || a_dropped <= 0 || a_schema <= 0 || a_name <= 0 ||
		(table_col && a_table <= 0))
	{
		table_close(rel, AccessShareLock);
		return false;
	}
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;
		Oid			source;
		Oid			table = InvalidOid;
		bool		dropped;
		char	   *schema = NULL;
		char	   *name = NULL;

		d = heap_getattr(tup, a_source, desc, &isnull);
		source = isnull ? InvalidOid : DatumGetObjectId(d);
		if (table_col)
		{
			d = heap_getattr(tup, a_table, desc, &isnull);
			table = isnull ? InvalidOid : DatumGetObjectId(d);
		}
		d = heap_getattr(tup, a_dropped, desc, &isnull);
		dropped = !isnull && DatumGetBool(d);
		d = heap_getattr(tup, a_schema, desc, &isnull);
		if (!isnull)
			schema = NameStr(*DatumGetName(d));
		d = heap_getattr(tup, a_name, desc, &isnull);
		if (!isnull)
			name = NameStr(*DatumGetName(d));
		if (cb(source, table, dropped, schema, name, arg))
			break;
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);
	return true;
}

/* _dim_on_alter's question: a dimension whose source or table is in relids */
typedef struct AlteredArg
{
	List	   *relids;
	bool		found;
} AlteredArg;

/* whether the database has a dimension at all */
static bool
dim_any_cb(Oid source, Oid table, bool dropped, const char *schema,
		   const char *name, void *arg)
{
	*(bool *) arg = true;
	return true;
}

static bool
dim_altered_cb(Oid source, Oid table, bool dropped, const char *schema,
			   const char *name, void *arg)
{
	AlteredArg *a = (AlteredArg *) arg;

	if (list_member_oid(a->relids, source) || list_member_oid(a->relids, table))
		a->found = true;
	return a->found;
}

/*
 * renames_in_table
 *		Whether a statement is ALTER TABLE ... RENAME COLUMN or RENAME
 *		CONSTRAINT: it renames no table or schema, and its table keeps its
 *		name.
 */
static bool
renames_in_table(Node *parsetree)
{
	return IsA(parsetree, RenameStmt) &&
		(((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN ||
		 ((RenameStmt *) parsetree)->renameType == OBJECT_TABCONSTRAINT);
}

/*
 * altered_relation
 *		The table an ALTER TABLE names, when the statement keeps its name
 *		(not a rename of it nor SET SCHEMA); else NULL.  (The tables it
 *		altered are then read by oid: collected_relids().)
 */
static RangeVar *
altered_relation(Node *parsetree)
{
	if (IsA(parsetree, AlterTableStmt))
		return ((AlterTableStmt *) parsetree)->relation;
	if (renames_in_table(parsetree))
		return ((RenameStmt *) parsetree)->relation;
	return NULL;
}

/*
 * defs_none_match
 *		Whether cb, called on every row of fact_defs and then of
 *		dimension_defs, matched none (*found stays false), both tables read:
 *		the callers' fast way out, before any SQL.
 */
static bool
defs_none_match(DefCallback cb, void *arg, const bool *found)
{
	return defs_scan("fact_defs", NULL, cb, arg) && !*found &&
		defs_scan("dimension_defs", NULL, cb, arg) && !*found;
}

/* agg_type_renamed_mark's question: any source followed (not dropped) */
static bool
any_source_cb(Oid source, Oid table, bool dropped, const char *schema,
			  const char *name, void *arg)
{
	AlteredArg *a = (AlteredArg *) arg;

	a->found = !dropped;
	return a->found;
}

/*
 * defs_mark_resync
 *		Run sql_fmt, an UPDATE of the definitions to resync (its %s: the
 *		table, fact_defs then dimension_defs), as the extension's owner,
 *		restricted, its search_path pinned (internal_sql_begin): the
 *		statement's names are compared there, never looked up.
 */
static void
defs_mark_resync(Oid owner, const char *sql_fmt, int nargs, Oid *argtypes,
				 Datum *args, const char *what)
{
	static const char *const tables[] = {"fact_defs", "dimension_defs"};
	InternalSql saved;
	size_t		i;

	internal_sql_begin(&saved, owner);
	SPI_connect();
	for (i = 0; i < lengthof(tables); i++)
	{
		char	   *sql = psprintf(sql_fmt, tables[i]);

		if (SPI_execute_with_args(sql, nargs, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not mark the definitions of %s", what);
		pfree(sql);
	}
	SPI_finish();
	internal_sql_end(&saved);
}

/*
 * agg_type_renamed_mark
 *		After ALTER TYPE ... RENAME VALUE of an enum, or a rename of an
 *		attribute of a composite type (ALTER TYPE ... RENAME ATTRIBUTE, or
 *		ALTER TABLE ... RENAME COLUMN of a table whose row type a column
 *		holds): the row images captured before hold the values under the
 *		old label or field name.  Read as the type is now, an enum label
 *		failed every later refresh of the facts and dimensions of a source
 *		with a column of that type ("invalid input value for enum"), and a
 *		composite's renamed field read as NULL: a dimension kept (,gbp)
 *		for (5,gbp), a fact counted -1 in a group of no row.  Such
 *		definitions are marked for a resync (the next refresh rebuilds the
 *		fact, makes the dimension equal to its source, and skips the
 *		changes captured before): those reading a column of the type, or
 *		of a type made of it (an array, a domain, a range, a composite).
 */
static void
agg_type_renamed_mark(Node *parsetree, Oid owner)
{
	Oid			typid = InvalidOid;
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];

	if (parsetree == NULL)
		return;
	if (IsA(parsetree, AlterEnumStmt) && ((AlterEnumStmt *) parsetree)->oldVal != NULL)
		typid = typenameTypeId(NULL, makeTypeNameFromNameList(((AlterEnumStmt *) parsetree)->typeName));
	else if (IsA(parsetree, RenameStmt) &&
			 (((RenameStmt *) parsetree)->renameType == OBJECT_ATTRIBUTE ||
			  ((RenameStmt *) parsetree)->renameType == OBJECT_COLUMN) &&
			 ((RenameStmt *) parsetree)->relation != NULL)
	{
		Oid			relid = RangeVarGetRelid(((RenameStmt *) parsetree)->relation, NoLock, true);

		if (OidIsValid(relid))
			typid = get_rel_type_id(relid);
	}
	if (!OidIsValid(typid) || strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;
	/* (no fact or dimension that follows a source: nothing to mark) */
	{
		AlteredArg	a = {NIL, false};

		if (defs_none_match(any_source_cb, &a, &a.found))
			return;
	}
	args[0] = ObjectIdGetDatum(typid);
	defs_mark_resync(owner, "WITH RECURSIVE t(oid) AS ("
					 " SELECT $1"
					 " UNION"
					 " SELECT x.oid FROM t CROSS JOIN LATERAL ("
					 "  SELECT y.oid FROM pg_catalog.pg_type y"
					 "   WHERE y.typelem OPERATOR(pg_catalog.=) t.oid"
					 "      OR y.typbasetype OPERATOR(pg_catalog.=) t.oid"
					 "  UNION ALL"
					 "  SELECT c.reltype FROM pg_catalog.pg_attribute a"
					 "    JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) a.attrelid"
					 "   WHERE a.atttypid OPERATOR(pg_catalog.=) t.oid AND a.attnum OPERATOR(pg_catalog.>) 0"
					 "     AND NOT a.attisdropped AND c.reltype OPERATOR(pg_catalog.<>) 0"
					 "  UNION ALL"
					 "  SELECT r.rngtypid FROM pg_catalog.pg_range r WHERE r.rngsubtype OPERATOR(pg_catalog.=) t.oid"
					 "  UNION ALL"
					 "  SELECT r.rngmultitypid FROM pg_catalog.pg_range r WHERE r.rngsubtype OPERATOR(pg_catalog.=) t.oid"
					 " ) x)"
					 " UPDATE dataeng_internal.%s x SET resync_pending = true"
					 "  WHERE NOT x.resync_pending AND NOT x.source_dropped"
					 "    AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a"
					 "                 WHERE a.attrelid OPERATOR(pg_catalog.=) x.source::pg_catalog.oid"
					 "                   AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped"
					 "                   AND a.atttypid IN (SELECT t.oid FROM t)"
					 "                   AND (x.source_columns IS NULL"
					 "                        OR x.source_columns OPERATOR(pg_catalog.?) a.attname::pg_catalog.text))",
					 1, argtypes, args, "a source whose type was renamed");
}

/*
 * capture_trigger_guarded
 *		Whether tgfoid is a capture trigger function of dataeng
 *		(dataeng_internal.capture, capture_partition_truncate) and the current role may not take such a
 *		trigger away (neither a superuser nor the function's owner, which
 *		cdc_enable() and cdc_disable() run as).
 */
static bool
capture_trigger_guarded(Oid tgfoid)
{
	Oid			nsp = get_namespace_oid(dataeng_internal_schema(), true);
	HeapTuple	tup;
	bool		capture = false;
	Oid			owner = InvalidOid;

	if (!OidIsValid(nsp))
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(tgfoid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_proc p = (Form_pg_proc) GETSTRUCT(tup);

		capture = p->pronamespace == nsp &&
			(strcmp(NameStr(p->proname), "capture") == 0 ||
			 strcmp(NameStr(p->proname), "capture_partition_truncate") == 0);
		owner = p->proowner;
		ReleaseSysCache(tup);
	}
	return capture && !superuser() && !has_privs_of_role(GetUserId(), owner);
}

/* the error of a capture trigger taken away by a role that may not */
static void
capture_trigger_refuse(const char *what, const char *tgname, Oid relid)
{
	char	   *qname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												   get_rel_name(relid));

	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("cannot %s trigger \"%s\" of table %s: it records the table's changes",
					what, tgname, qname),
			 errdetail("Writes of %s would be missing from its change log: the consumers, facts and "
					   "dimensions that read it would silently miss them.", qname),
			 errhint("To stop capturing the table, SELECT dataeng.cdc_disable('%s');", qname)));
}

/* whether relid has a trigger tgname that capture_trigger_guarded() guards */
static bool
capture_trigger_named(Oid relid, const char *tgname)
{
	Relation	rel;
	bool		guarded = false;
	int			i;

	if (!OidIsValid(relid) || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		return false;
	rel = relation_open(relid, AccessShareLock);
	for (i = 0; rel->trigdesc != NULL && i < rel->trigdesc->numtriggers && !guarded; i++)
		guarded = strcmp(rel->trigdesc->triggers[i].tgname, tgname) == 0 &&
			capture_trigger_guarded(rel->trigdesc->triggers[i].tgfoid);
	relation_close(rel, AccessShareLock);
	return guarded;
}

/*
 * cdc_before_trigger_change
 *		Before DROP TRIGGER, CREATE OR REPLACE TRIGGER of an existing
 *		trigger, ALTER TRIGGER ... RENAME or ALTER TRIGGER ... DEPENDS ON
 *		EXTENSION (the utility hook, src/schedule/dbhook.c: no event trigger
 *		fires for these in a database at 0.1.0, and none of dataeng's fires
 *		for them): refused (55000) for a capture trigger of dataeng, unless
 *		the role may (capture_trigger_guarded()).  The owner of a captured
 *		table dropped them, or put a function of its own in their place,
 *		and its writes went unrecorded, silently
 *		(sql_tests/security_capture_disable.sql).
 */
void
cdc_before_trigger_change(Node *stmt)
{
	ListCell   *lc;

	if (stmt == NULL)
		return;
	if (IsA(stmt, DropStmt) && ((DropStmt *) stmt)->removeType == OBJECT_TRIGGER)
	{
		foreach(lc, ((DropStmt *) stmt)->objects)
		{
			List	   *names = (List *) lfirst(lc);
			RangeVar   *rv;
			Oid			relid;
			const char *tgname;

			if (list_length(names) < 2)
				continue;
			tgname = strVal(llast(names));
			rv = makeRangeVarFromNameList(list_truncate(list_copy(names), list_length(names) - 1));
			relid = RangeVarGetRelid(rv, NoLock, true);
			if (!OidIsValid(relid))
				continue;
			if (capture_trigger_named(relid, tgname))
				capture_trigger_refuse("drop", tgname, relid);
		}
	}
	else if (IsA(stmt, CreateTrigStmt) && ((CreateTrigStmt *) stmt)->replace)
	{
		CreateTrigStmt *ct = (CreateTrigStmt *) stmt;
		Oid			relid = RangeVarGetRelid(ct->relation, NoLock, true);

		if (capture_trigger_named(relid, ct->trigname))
			capture_trigger_refuse("replace", ct->trigname, relid);
	}
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_TRIGGER)
	{
		/*
		 * ALTER TRIGGER ... RENAME: dataeng knows its triggers by name
		 * (_cdc_sync_triggers(), _cdc_drop_triggers()); one renamed was
		 * left in place, still firing, when they were made again (a column
		 * of the options renamed, cdc_enable()): each change was recorded
		 * twice
		 */
		RenameStmt *rs = (RenameStmt *) stmt;
		Oid			relid;

		if (rs->relation == NULL || rs->subname == NULL)
			return;
		relid = RangeVarGetRelid(rs->relation, NoLock, true);
		if (capture_trigger_named(relid, rs->subname))
			capture_trigger_refuse("rename", rs->subname, relid);
	}
	else if (IsA(stmt, AlterObjectDependsStmt) &&
			 ((AlterObjectDependsStmt *) stmt)->objectType == OBJECT_TRIGGER &&
			 !((AlterObjectDependsStmt *) stmt)->remove)
	{
		/*
		 * ALTER TRIGGER ... DEPENDS ON EXTENSION: the DROP EXTENSION of an
		 * extension the table's owner made (a trusted one) then drops the
		 * trigger with it, no DROP TRIGGER said
		 */
		AlterObjectDependsStmt *ds = (AlterObjectDependsStmt *) stmt;
		List	   *names = (List *) ds->object;
		Oid			relid;

		if (ds->relation == NULL || names == NIL)
			return;
		relid = RangeVarGetRelid(ds->relation, NoLock, true);
		if (capture_trigger_named(relid, strVal(llast(names))))
			capture_trigger_refuse("let an extension drop", strVal(llast(names)), relid);
	}
}

/*
 * altered_tables_collected
 *		The tables (ordinary or partitioned) of the commands collected for
 *		this ddl_command_end event (pg_event_trigger_ddl_commands()).
 */
static List *
altered_tables_collected(void)
{
	MemoryContext outer = CurrentMemoryContext;
	InternalSql saved;
	List	   *relids = NIL;
	uint64		i;

	internal_sql_begin(&saved, InvalidOid);
	SPI_connect();
	if (SPI_execute("SELECT DISTINCT d.objid FROM pg_catalog.pg_event_trigger_ddl_commands() d"
					" JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid"
					" WHERE d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass"
					"   AND c.relkind IN ('r', 'p')", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the commands of the event");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			relids = lappend_oid(relids, DatumGetObjectId(d));
			MemoryContextSwitchTo(old);
		}
	}
	SPI_finish();
	internal_sql_end(&saved);
	return relids;
}

/*
 * capture_disable_check
 *		After ALTER TABLE ... DISABLE TRIGGER (a name, ALL or USER) or
 *		ENABLE REPLICA TRIGGER: refused (55000) when it left a capture
 *		trigger of dataeng (dataeng_internal.capture) of the table or of a
 *		table that inherits it firing no more in an ordinary session, unless
 *		the role may (capture_trigger_guarded(): a data-only restore with
 *		--disable-triggers disables them, as a superuser, and enables them
 *		after).  Its owner
 *		took the table's writes out of the change log that way, silently:
 *		the facts, dimensions and consumers of other roles that read it
 *		missed them for good, where cdc_disable() is refused while a fact
 *		or dimension reads the table (sql_tests/security_capture_disable.sql).
 */
static void
capture_disable_check(Node *parsetree)
{
	AlterTableStmt *stmt;
	ListCell   *lc;
	bool		disables = false;
	Oid			relid;
	List	   *roots;
	List	   *rels = NIL;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return;
	stmt = (AlterTableStmt *) parsetree;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		if (IsA(cmd, AlterTableCmd) &&
			(cmd->subtype == AT_DisableTrig || cmd->subtype == AT_DisableTrigAll ||
			 cmd->subtype == AT_DisableTrigUser || cmd->subtype == AT_EnableReplicaTrig))
			disables = true;
	}
	if (!disables)
		return;

	/*
	 * The table the statement altered, as collected for this event (not
	 * its name looked up again: a function of the owner's that the
	 * statement ran, a CHECK constraint's or a USING expression's, may
	 * have changed search_path, and the name then found a table of no
	 * capture trigger while the captured one's stayed disabled)
	 */
	roots = altered_tables_collected();
	if (roots == NIL)
	{
		relid = RangeVarGetRelid(stmt->relation, NoLock, true);
		if (!OidIsValid(relid))
			return;
		roots = list_make1_oid(relid);
	}
	foreach(lc, roots)
		rels = list_concat_unique_oid(rels, find_all_inheritors(lfirst_oid(lc), NoLock, NULL));
	foreach(lc, rels)
	{
		Relation	rel = table_open(lfirst_oid(lc), NoLock);
		TriggerDesc *td = rel->trigdesc;
		int			i;

		for (i = 0; td != NULL && i < td->numtriggers; i++)
		{
			Trigger    *tg = &td->triggers[i];

			if (tg->tgenabled != TRIGGER_FIRES_ON_ORIGIN && tg->tgenabled != TRIGGER_FIRES_ALWAYS &&
				capture_trigger_guarded(tg->tgfoid))
				capture_trigger_refuse("disable", tg->tgname, RelationGetRelid(rel));
		}
		table_close(rel, NoLock);
	}
}

/*
 * collected_relids
 *		The tables (pg_class entries) the statement at whose end an event
 *		trigger runs altered, by oid: what pg_event_trigger_ddl_commands()
 *		gives, called here.  Not the statement's table name looked up again:
 *		the statement may have changed what it names (a volatile DEFAULT or
 *		USING expression calling set_config('search_path', ...), a table of
 *		that name created or renamed into an earlier schema meanwhile).
 */
static List *
collected_relids(void)
{
	FmgrInfo	flinfo;
	ReturnSetInfo rsinfo;
	ExprContext *econtext = CreateStandaloneExprContext();
	TupleTableSlot *slot;
	List	   *relids = NIL;

	LOCAL_FCINFO(fcinfo, 0);

	fmgr_info(F_PG_EVENT_TRIGGER_DDL_COMMANDS, &flinfo);
	memset(&rsinfo, 0, sizeof(rsinfo));
	rsinfo.type = T_ReturnSetInfo;
	rsinfo.econtext = econtext;
	rsinfo.allowedModes = (int) SFRM_Materialize;
	InitFunctionCallInfoData(*fcinfo, &flinfo, 0, InvalidOid, NULL, (Node *) &rsinfo);
	(void) FunctionCallInvoke(fcinfo);
	if (rsinfo.returnMode != SFRM_Materialize || rsinfo.setResult == NULL)
		elog(ERROR, "pg_event_trigger_ddl_commands() did not return a set");
	slot = MakeSingleTupleTableSlot(rsinfo.setDesc, &TTSOpsMinimalTuple);
	while (tuplestore_gettupleslot(rsinfo.setResult, true, false, slot))
	{
		bool		isnull;
		Datum		classid = slot_getattr(slot, 1, &isnull);
		Datum		objid;

		if (isnull || DatumGetObjectId(classid) != RelationRelationId)
			continue;
		objid = slot_getattr(slot, 2, &isnull);
		if (!isnull)
			relids = list_append_unique_oid(relids, DatumGetObjectId(objid));
	}
	ExecDropSingleTupleTableSlot(slot);
	tuplestore_end(rsinfo.setResult);
	FreeExprContext(econtext, true);
	return relids;
}

PG_FUNCTION_INFO_V1(dataeng_dim_on_alter);

/*
 * dataeng_internal._dim_on_alter() RETURNS event_trigger
 *		ddl_command_end of ALTER TABLE: _dim_on_alter_apply() when the
 *		statement altered a dimension's source or table (or a table above
 *		one: ALTER TABLE recurses to inheritors), or when its table is not
 *		known from the statement.
 */
Datum
dataeng_dim_on_alter(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = gate_trigdata(fcinfo, "_dim_on_alter");
	Node	   *parsetree = trigdata->parsetree;

	capture_disable_check(parsetree);
	agg_type_renamed_mark(parsetree, gate_owner(fcinfo));
	if (parsetree != NULL && altered_relation(parsetree) != NULL)
	{
		AlteredArg	a = {NIL, false};
		List	   *altered;
		bool		any = false;
		bool		composite = false;
		ListCell   *lc;

		/* (no dimension: nothing to look for, not even the tables altered) */
		if (defs_scan("dimension_defs", "dim_table", dim_any_cb, &any) && !any)
			PG_RETURN_NULL();
		altered = collected_relids();
		/* (ALTER TABLE IF EXISTS of no table: nothing altered) */
		if (altered == NIL)
			PG_RETURN_NULL();

		/*
		 * (ALTER TYPE ... ALTER ATTRIBUTE of a composite type: CASCADE
		 * changes the typed tables of the type, which the statement does
		 * not name: the SQL looks at them)
		 */
		foreach(lc, altered)
		{
			if (get_rel_relkind(lfirst_oid(lc)) == RELKIND_COMPOSITE_TYPE)
				composite = true;
			else
				a.relids = list_concat_unique_oid(a.relids,
												  find_all_inheritors(lfirst_oid(lc), NoLock, NULL));
		}
		if (!composite && defs_scan("dimension_defs", "dim_table", dim_altered_cb, &a) && !a.found)
			PG_RETURN_NULL();
	}
	gate_run("SELECT dataeng_internal._dim_on_alter_apply()", gate_owner(fcinfo));
	PG_RETURN_NULL();
}

/*
 * key_index_dropped
 *		Append to *sources and *indexes source and each unique index on its
 *		column key alone whose pg_index row the current transaction deleted
 *		(dropped by it: no longer visible, so read with SnapshotAny).
 */
static void
key_index_dropped(Relation pgindex, Oid source, AttrNumber key,
				  List **sources, List **indexes)
{
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&skey, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(source));
	scan = systable_beginscan(pgindex, IndexIndrelidIndexId, true, SnapshotAny, 1, &skey);
	while ((tup = systable_getnext(scan)) != NULL)
	{
		Form_pg_index ix = (Form_pg_index) GETSTRUCT(tup);
		HeapTupleHeader h = tup->t_data;

		if (!(ix->indisunique && ix->indnkeyatts == 1 && ix->indkey.values[0] == key))
			continue;
		if ((h->t_infomask & HEAP_XMAX_INVALID) || HEAP_XMAX_IS_LOCKED_ONLY(h->t_infomask) ||
			!TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetUpdateXid(h)))
			continue;
		*sources = lappend_oid(*sources, source);
		*indexes = lappend_oid(*indexes, ix->indexrelid);
	}
	systable_endscan(scan);
}

/*
 * dim_key_dropped
 *		The sources of dimensions (not marked dropped, still there with
 *		their key column) whose key column has no unique index of its own
 *		of the kind dimension_create asks for (valid, not deferrable, not
 *		partial, not on an expression) and had one on it that the current
 *		transaction dropped: a source per such index, the index in
 *		*indexes.  The rows of dimension_defs are read as defs_scan reads
 *		them, the indexes from pg_index (no lock on the sources); the rows
 *		deleted are looked for only when a key has no such index.  The
 *		caller keeps the indexes the current statement dropped.
 */
static List *
dim_key_dropped(List **indexes)
{
	Oid			nsp = get_namespace_oid(DATAENG_INTERNAL_SCHEMA, true);
	Oid			relid;
	Relation	rel;
	Relation	pgindex;
	TupleDesc	desc;
	AttrNumber	a_source,
				a_dropped,
				a_key;
	TableScanDesc scan;
	Snapshot	snapshot;
	HeapTuple	tup;
	List	   *sources = NIL;

	*indexes = NIL;
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0 || !OidIsValid(nsp))
		return NIL;
	relid = get_relname_relid("dimension_defs", nsp);
	if (!OidIsValid(relid))
		return NIL;
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	a_source = SPI_fnumber(desc, "source");
	a_dropped = SPI_fnumber(desc, "source_dropped");
	a_key = SPI_fnumber(desc, "key_column");
	if (a_source <= 0 || a_dropped <= 0 || a_key <= 0)
	{
		table_close(rel, AccessShareLock);
		return NIL;
	}
	pgindex = table_open(IndexRelationId, AccessShareLock);
	snapshot = RegisterSnapshot(GetTransactionSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		d;
		Oid			source;
		AttrNumber	key;
		bool		kept = false;
		ScanKeyData skey;
		SysScanDesc iscan;
		HeapTuple	itup;

		d = heap_getattr(tup, a_dropped, desc, &isnull);
		if (!isnull && DatumGetBool(d))
			continue;
		d = heap_getattr(tup, a_source, desc, &isnull);
		if (isnull)
			continue;
		source = DatumGetObjectId(d);
		if (list_member_oid(sources, source))
			continue;
		d = heap_getattr(tup, a_key, desc, &isnull);
		if (isnull)
			continue;
		/* (no such table, or no such column: the refresh says so) */
		key = get_attnum(source, TextDatumGetCString(d));
		if (key == InvalidAttrNumber)
			continue;
		ScanKeyInit(&skey, Anum_pg_index_indrelid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(source));
		iscan = systable_beginscan(pgindex, IndexIndrelidIndexId, true, NULL, 1, &skey);
		while (!kept && (itup = systable_getnext(iscan)) != NULL)
		{
			Form_pg_index ix = (Form_pg_index) GETSTRUCT(itup);

			kept = ix->indisunique && ix->indisvalid && ix->indimmediate &&
				ix->indnkeyatts == 1 && ix->indkey.values[0] == key &&
				heap_attisnull(itup, Anum_pg_index_indpred, NULL) &&
				heap_attisnull(itup, Anum_pg_index_indexprs, NULL);
		}
		systable_endscan(iscan);
		if (kept)
			continue;
		key_index_dropped(pgindex, source, key, &sources, indexes);
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(pgindex, AccessShareLock);
	table_close(rel, AccessShareLock);
	return sources;
}

/* an oid list as an oid[] literal */
static void
append_oid_array(StringInfo buf, List *oids)
{
	ListCell   *lc;

	appendStringInfoString(buf, "'{");
	foreach(lc, oids)
		appendStringInfo(buf, "%s%u", lc == list_head(oids) ? "" : ",", lfirst_oid(lc));
	appendStringInfoString(buf, "}'::pg_catalog.oid[]");
}

PG_FUNCTION_INFO_V1(dataeng_dim_on_key_drop);

/*
 * dataeng_internal._dim_on_key_drop() RETURNS event_trigger
 *		sql_drop (DROP INDEX, also CONCURRENTLY, ALTER TABLE ... DROP
 *		CONSTRAINT, a DROP ... CASCADE of what an index depends on): when
 *		the current transaction dropped the last unique index of a
 *		dimension's key column, _dim_key_check(the sources, the indexes),
 *		which keeps those the statement dropped, warns and marks their
 *		dimensions.  The statement itself goes through (a pg_dump --clean
 *		script drops a source's primary key before the source).
 */
Datum
dataeng_dim_on_key_drop(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = gate_trigdata(fcinfo, "_dim_on_key_drop");
	List	   *sources;
	List	   *indexes;
	StringInfoData sql;

	if (strcmp(trigdata->event, "sql_drop") != 0)
		PG_RETURN_NULL();
	sources = dim_key_dropped(&indexes);
	if (sources == NIL)
		PG_RETURN_NULL();
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT dataeng_internal._dim_key_check(");
	append_oid_array(&sql, sources);
	appendStringInfoString(&sql, ", ");
	append_oid_array(&sql, indexes);
	appendStringInfoChar(&sql, ')');
	gate_run(sql.data, gate_owner(fcinfo));
	PG_RETURN_NULL();
}

/*
 * _agg_on_rename's questions: before, a source not marked dropped whose oid
 * names no table or a table of another name than the one recorded; after,
 * a source not marked dropped (a rename or move may concern it), or one
 * without a recorded name (the statement may touch it, and the names are
 * then recorded).
 */
typedef struct RenameArg
{
	bool		start;
	bool		rename;			/* the statement renames or moves something */
	bool		found;
} RenameArg;

static bool
rename_cb(Oid source, Oid table, bool dropped, const char *schema,
		  const char *name, void *arg)
{
	RenameArg  *a = (RenameArg *) arg;
	HeapTuple	tup;

	if (dropped)
		return false;
	if (!a->start)
	{
		a->found = a->rename || name == NULL;
		return a->found;
	}
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(source));
	if (!HeapTupleIsValid(tup))
		a->found = true;
	else
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (name != NULL)
		{
			char	   *nspname = get_namespace_name(c->relnamespace);

			a->found = strcmp(NameStr(c->relname), name) != 0 ||
				schema == NULL || nspname == NULL || strcmp(nspname, schema) != 0;
		}
		ReleaseSysCache(tup);
	}
	return a->found;
}

/* agg_retype_mark's question: a source (not dropped) among relids */
static bool
retype_cb(Oid source, Oid table, bool dropped, const char *schema,
		  const char *name, void *arg)
{
	AlteredArg *a = (AlteredArg *) arg;

	if (!dropped && list_member_oid(a->relids, source))
		a->found = true;
	return a->found;
}

/*
 * agg_retype_mark
 *		Before an ALTER TABLE: its ALTER COLUMN ... TYPE subcommands that may
 *		change the values of a column a fact or dimension reads (a USING
 *		clause, or a conversion that does not keep every value as it was,
 *		_dim_type_keeps_values(): numeric(10,2) to numeric(10,0) rounds)
 *		mark the definitions of the table (and of the tables that inherit
 *		it, which the statement alters too) for a resync: the table's rows
 *		change without a change captured, so the fact or dimension no longer
 *		matches its source, and the changes captured later (a DELETE's old
 *		image, in the new values) are applied to the old values (sum(amount)
 *		-970 where the GROUP BY said 2000 after USING amount * 100).  The
 *		next refresh rebuilds the fact, or makes the dimension's current
 *		rows equal to its source.  Before the statement, where the columns'
 *		types are still the old ones; the statement's failure (a role not
 *		the table's owner, say) takes the mark back with it.
 */
static void
agg_retype_mark(Node *parsetree, Oid owner)
{
	AlterTableStmt *stmt;
	AlteredArg	a = {NIL, false};
	Oid			relid;
	ListCell   *lc;
	List	   *rels = NIL;
	List	   *cols = NIL;
	List	   *types = NIL;
	List	   *typmods = NIL;
	List	   *usings = NIL;
	int			n;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return;
	stmt = (AlterTableStmt *) parsetree;
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

		if (IsA(cmd, AlterTableCmd) && cmd->subtype == AT_AlterColumnType)
			break;
	}
	if (lc == NULL)
		return;
	relid = RangeVarGetRelid(stmt->relation, NoLock, true);
	if (!OidIsValid(relid) || get_rel_relkind(relid) == RELKIND_COMPOSITE_TYPE)
		return;
	a.relids = find_all_inheritors(relid, NoLock, NULL);
	if (defs_none_match(retype_cb, &a, &a.found))
		return;
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;

	/* each retyped column of each table the statement alters */
	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);
		ColumnDef  *def;
		Type		t;
		int32		typmod = -1;
		Oid			typid = InvalidOid;
		ListCell   *lr;

		if (!IsA(cmd, AlterTableCmd) || cmd->subtype != AT_AlterColumnType || cmd->name == NULL ||
			cmd->def == NULL || !IsA(cmd->def, ColumnDef))
			continue;
		def = (ColumnDef *) cmd->def;
		/* (a type not found: the statement fails on it; counted as changing) */
		t = def->typeName ? LookupTypeName(NULL, def->typeName, &typmod, true) : NULL;
		if (t != NULL)
		{
			typid = typeTypeId(t);
			ReleaseSysCache(t);
		}
		foreach(lr, a.relids)
		{
			rels = lappend_oid(rels, lfirst_oid(lr));
			cols = lappend(cols, cmd->name);
			types = lappend_oid(types, typid);
			typmods = lappend_int(typmods, typmod);
			usings = lappend_int(usings, def->raw_default != NULL || def->cooked_default != NULL);
		}
	}
	n = list_length(rels);
	if (n == 0)
		return;
	{
		Datum	   *dr = palloc(sizeof(Datum) * n);
		Datum	   *dc = palloc(sizeof(Datum) * n);
		Datum	   *dt = palloc(sizeof(Datum) * n);
		Datum	   *dm = palloc(sizeof(Datum) * n);
		Datum	   *du = palloc(sizeof(Datum) * n);
		Oid			argtypes[5] = {OIDARRAYOID, TEXTARRAYOID, OIDARRAYOID, INT4ARRAYOID, BOOLARRAYOID};
		Datum		args[5];
		int			i;

		for (i = 0; i < n; i++)
		{
			dr[i] = ObjectIdGetDatum(list_nth_oid(rels, i));
			dc[i] = CStringGetTextDatum((char *) list_nth(cols, i));
			dt[i] = ObjectIdGetDatum(list_nth_oid(types, i));
			dm[i] = Int32GetDatum(list_nth_int(typmods, i));
			du[i] = BoolGetDatum(list_nth_int(usings, i) != 0);
		}
		args[0] = PointerGetDatum(construct_array(dr, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
		args[1] = PointerGetDatum(construct_array(dc, n, TEXTOID, -1, false, TYPALIGN_INT));
		args[2] = PointerGetDatum(construct_array(dt, n, OIDOID, sizeof(Oid), true, TYPALIGN_INT));
		args[3] = PointerGetDatum(construct_array(dm, n, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		args[4] = PointerGetDatum(construct_array(du, n, BOOLOID, 1, true, TYPALIGN_CHAR));

		defs_mark_resync(owner, "UPDATE dataeng_internal.%s x SET resync_pending = true "
						 "FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), "
						 "               pg_catalog.unnest($4), pg_catalog.unnest($5)) c(rel, col, typ, typmod, using_) "
						 "JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.rel "
						 " AND a.attname OPERATOR(pg_catalog.=) c.col::pg_catalog.name "
						 " AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped "
						 "WHERE x.source::pg_catalog.oid OPERATOR(pg_catalog.=) c.rel "
						 "  AND NOT x.resync_pending AND NOT x.source_dropped "
						 "  AND (x.source_columns IS NULL "
						 "       OR x.source_columns OPERATOR(pg_catalog.?) c.col) "
						 "  AND (c.using_ OR c.typ OPERATOR(pg_catalog.=) 0 "
						 "       OR NOT dataeng_internal._dim_type_keeps_values(a.atttypid, a.atttypmod, "
						 "                                                      c.typ, c.typmod))",
						 5, argtypes, args, "a retyped source");
	}
}

PG_FUNCTION_INFO_V1(dataeng_agg_on_rename);

/*
 * dataeng_internal._agg_on_rename() RETURNS event_trigger
 *		ddl_command_start and ddl_command_end of ALTER TABLE, ALTER INDEX and
 *		ALTER SCHEMA: _agg_on_rename_apply(event) when a source is to be
 *		marked dropped (before) or a recorded name may change (after).
 */
Datum
dataeng_agg_on_rename(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata = gate_trigdata(fcinfo, "_agg_on_rename");
	Node	   *parsetree = trigdata->parsetree;
	RenameArg	a;

	a.start = strcmp(trigdata->event, "ddl_command_start") == 0;
	if (a.start)
		agg_retype_mark(parsetree, gate_owner(fcinfo));
	a.rename = parsetree == NULL ||
		!(IsA(parsetree, AlterTableStmt) || IsA(parsetree, AlterOwnerStmt) ||
		  IsA(parsetree, AlterTableMoveAllStmt) || renames_in_table(parsetree));
	a.found = false;
	if (defs_none_match(rename_cb, &a, &a.found))
		PG_RETURN_NULL();
	gate_run(a.start ? "SELECT dataeng_internal._agg_on_rename_apply('ddl_command_start')"
			 : "SELECT dataeng_internal._agg_on_rename_apply('ddl_command_end')",
			 gate_owner(fcinfo));
	PG_RETURN_NULL();
}
