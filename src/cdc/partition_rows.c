/*-------------------------------------------------------------------------
 *
 * partition_rows.c
 *		Record the rows that ALTER TABLE ... ATTACH PARTITION brings into a
 *		captured partitioned table as inserts, and those DETACH PARTITION
 *		takes out of it as deletes.
 *
 * Attaching a table that holds rows makes them rows of the partitioned
 * table, and detaching one takes its rows away, without any INSERT or
 * DELETE: no capture trigger fires.  A consumer's replica, a fact or a
 * dimension built from the change log would silently stop matching the
 * table.  So, after such a statement (the ddl_command_end event trigger,
 * src/cdc/ddl.c, once the partitions' capture triggers are in place), each
 * row of the partition (of every leaf partition below it) is written to
 * the change log in the statement's transaction: op 'I' for ATTACH, 'D'
 * (old_row and pk) for DETACH, under the captured table the partition's
 * rows belong to (the topmost captured table among the partitioned table
 * and its ancestors), rendered with the options of the nearest captured
 * table above the leaf (the leaf itself, then its ancestors), with the
 * leaf's key: what the capture trigger of a statement naming the leaf
 * records.  Nothing is recorded when no table above the partition is
 * captured (the rows are not part of any captured table's stream before
 * nor after).  The rows of a foreign-table partition are not read (a
 * WARNING says so; writes to it are not captured either).
 *
 * Which tables: the partitioned table is the object of the event
 * trigger's collected ALTER TABLE command; the partition is named in the
 * parse tree only (PostgreSQL's collected subcommands do not give it), and
 * its name is not looked up again under a search_path (the event trigger
 * runs with its own): after an ATTACH it is the partition of that name of
 * the partitioned table, after a DETACH the table of that name, no longer
 * a partition, that this transaction holds locked.  When two tables in
 * two schemas qualify, an error asks for the schema rather than guessing
 * (cdc_partition_commands()).  DETACH ... CONCURRENTLY runs in two
 * transactions; the rows are recorded in the second, which completes the
 * detach (or in DETACH ... FINALIZE after an interrupted one).
 *
 * Consistency: every leaf is locked in SHARE mode (writers wait; the
 * ALTER TABLE already holds stronger locks on most of them), and the rows
 * are read with one snapshot taken after the locks: a writer that named
 * the partition directly has committed before (its own changes are in the
 * log, before these) or writes after the commit, when the partition's
 * capture triggers and its place in the tree are the new ones.  The
 * cached capture facts of the partition tree are invalidated so that
 * other sessions record the partition's later writes under its new table.
 *
 * Whose rights: rendering a row runs code a role can write (a cast to json
 * of a user type, type output functions), so the rows are read and
 * rendered as the owner of the partitioned table named in the ALTER TABLE
 * (whose caller owns it or is a member of its owning role), restricted,
 * with search_path pinned (internal_sql_begin()), never as the extension's
 * owner the event trigger runs as.
 *
 * Cost: one pass over the partition, rows rendered and written 500 at a
 * time as the capture trigger writes them (memory does not grow with the
 * partition); a NOTICE gives the number of rows recorded.
 *
 * WAL capture: the worker writes a table's records after their writers
 * commit, so rows recorded here could come before changes committed
 * earlier that it has not written yet.  A partition that holds rows is
 * therefore refused (0A000, with the way round: switch the table to
 * trigger capture for the ATTACH or DETACH); an empty one is attached or
 * detached as before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "catalog/namespace.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "common/common.h"
#include "cdc/cdc.h"

/* One leaf partition whose rows are recorded */
typedef struct PartLeaf
{
	Oid			relid;
	char		relkind;
	char	   *columns;		/* text[] literals, or "" */
	char	   *exclude;
} PartLeaf;

/*
 * record_leaf
 *		Write every row of leaf visible in snap to the change log as op
 *		under source, rendered as owner; the number of rows.  With
 *		count_only, only whether there is a row (0 or 1), nothing written.
 */
static int64
record_leaf(ChangeLogWriter *w, PartLeaf *leaf, Oid source, char op, Oid owner,
			Snapshot snap, bool count_only)
{
	Relation	rel = table_open(leaf->relid, NoLock);
	MemoryContext relcxt = AllocSetContextCreate(CurrentMemoryContext,
												 "dataeng partition rows",
												 ALLOCSET_SMALL_SIZES);
	RowJsonbMap rowmap,
				keymap;
	bool		has_key;
	TableScanDesc scan;
	TupleTableSlot *slot;
	InternalSql saved;
	int			nestlevel;
	int64		n = 0;

	/* rendered as the owner, restricted, under capture's settings */
	internal_sql_begin(&saved, owner);
	nestlevel = cdc_output_modes();
	cdc_capture_maps(rel, leaf->columns, leaf->exclude, &rowmap, &keymap, &has_key, relcxt);

	scan = table_beginscan(rel, snap, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		int64		change_id;
		Jsonb	   *pk = NULL,
				   *row;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		n++;
		if (count_only)
			break;
		change_id = cdc_writer_next_id(w);
		old = MemoryContextSwitchTo(w->batchcxt);
		slot_getallattrs(slot);
		if (has_key)
			pk = dataeng_row_jsonb_build(&keymap, slot, NULL);
		row = dataeng_row_jsonb_build(&rowmap, slot, NULL);
		MemoryContextSwitchTo(old);
		cdc_writer_add_at(w, change_id, source, op, GetXLogInsertRecPtr(), w->captured_at,
						  pk, op == 'D' ? row : NULL, op == 'I' ? row : NULL);
	}
	/* the last batch is written as the owner too */
	if (!count_only)
		cdc_writer_flush(w);
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	internal_sql_end(&saved);

	table_close(rel, NoLock);
	MemoryContextDelete(relcxt);
	return n;
}

/*
 * record_partition
 *		ALTER TABLE parent ATTACH (op 'I') or DETACH (op 'D') PARTITION
 *		part: record the rows part brings or takes away.
 */
static void
record_partition(Oid parent, Oid part, char op)
{
	Oid			argtypes[2] = {OIDOID, OIDOID};
	Datum		values[2];
	List	   *leaves = NIL;
	List	   *tree = NIL;
	Oid			source = InvalidOid;
	bool		wal = false;
	Oid			owner;
	uint64		i;
	ListCell   *lc;
	Snapshot	snap;
	int64		n = 0;
	ChangeLogWriter w;
	MemoryContext callercxt = CurrentMemoryContext;

	/* the leaves, their options and the captured table (as the extension) */
	values[0] = ObjectIdGetDatum(parent);
	values[1] = ObjectIdGetDatum(part);
	SPI_connect();
	if (SPI_execute_with_args(dataeng_internal_sql("SELECT l.leaf::pg_catalog.oid, l.relkind, l.source::pg_catalog.oid, "
												   "l.method, COALESCE(l.columns::pg_catalog.text, ''), "
												   "COALESCE(l.exclude_columns::pg_catalog.text, '') "
												   "FROM dataeng_internal._cdc_partition_leaves($1, $2) l"),
							  2, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the leaves of partition %u", part);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		MemoryContext old;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		char		relkind = DatumGetChar(SPI_getbinval(tup, desc, 2, &isnull));

		source = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		old = MemoryContextSwitchTo(callercxt);
		wal = (strcmp(SPI_getvalue(tup, desc, 4), "wal") == 0);
		tree = lappend_oid(tree, relid);
		if (relkind == RELKIND_RELATION || relkind == RELKIND_FOREIGN_TABLE)
		{
			PartLeaf   *leaf = palloc(sizeof(PartLeaf));

			leaf->relid = relid;
			leaf->relkind = relkind;
			leaf->columns = SPI_getvalue(tup, desc, 5);
			leaf->exclude = SPI_getvalue(tup, desc, 6);
			leaves = lappend(leaves, leaf);
		}
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	/* no captured table above the partition: its rows stay out of the log */
	if (!OidIsValid(source))
		return;

	/* writers of the leaves wait; then one snapshot for all of them */
	foreach(lc, leaves)
		LockRelationOid(((PartLeaf *) lfirst(lc))->relid, ShareLock);
	snap = RegisterSnapshot(GetLatestSnapshot());
	{
		/* (locked by the ALTER TABLE) */
		Relation	prel = table_open(parent, NoLock);

		owner = prel->rd_rel->relowner;
		table_close(prel, NoLock);
	}

	cdc_writer_begin(&w);
	foreach(lc, leaves)
	{
		PartLeaf   *leaf = lfirst(lc);

		if (leaf->relkind == RELKIND_FOREIGN_TABLE)
		{
			ereport(WARNING,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("rows of foreign table %s are not recorded in the change log of %s",
							get_rel_name(leaf->relid), get_rel_name(source)),
					 errdetail("The rows of a foreign-table partition are not read when it is %s.",
							   op == 'I' ? "attached" : "detached")));
			continue;
		}
		if (wal)
		{
			if (record_leaf(&w, leaf, source, op, owner, snap, true) > 0)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot %s partition \"%s\" holding rows: table \"%s\" is captured from the WAL",
								op == 'I' ? "attach" : "detach", get_rel_name(part),
								get_rel_name(source)),
						 errdetail("WAL capture records no change for the rows an ATTACH or DETACH PARTITION adds or removes, so the change log of \"%s\" would no longer match the table.",
								   get_rel_name(source)),
						 errhint("Capture \"%s\" with triggers while you attach or detach (dataeng.cdc_enable(..., method => 'trigger'), then dataeng.cdc_wal_sync()), and switch it back to the WAL after; or attach the partition empty and load it through the partitioned table.",
								 get_rel_name(source))));
			continue;
		}
		n += record_leaf(&w, leaf, source, op, owner, snap, false);
	}
	cdc_writer_end(&w);
	UnregisterSnapshot(snap);

	/* other sessions' cached capture source of the tree (capture.c) */
	foreach(lc, tree)
		CacheInvalidateRelcacheByRelid(lfirst_oid(lc));

	if (n > 0)
		ereport(NOTICE,
				(errmsg_plural("recorded " INT64_FORMAT " row of partition \"%s\" as %s of table \"%s\" in the change log",
							   "recorded " INT64_FORMAT " rows of partition \"%s\" as %s of table \"%s\" in the change log",
							   n, n, get_rel_name(part), op == 'I' ? "inserts" : "deletes",
							   get_rel_name(source))));
}

/*
 * find_relation
 *		The one relation sql (with $1 the name, $2 the schema or NULL, $3
 *		the partitioned table) finds, or an error naming the ambiguity.
 */
static Oid
find_relation(const char *sql, RangeVar *rv, Oid parent, const char *what)
{
	Oid			argtypes[3] = {TEXTOID, TEXTOID, OIDOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Oid			relid = InvalidOid;
	bool		isnull;

	values[0] = CStringGetTextDatum(rv->relname);
	if (rv->schemaname)
		values[1] = CStringGetTextDatum(rv->schemaname);
	else
		nulls[1] = 'n';
	values[2] = ObjectIdGetDatum(parent);
	SPI_connect();
	if (SPI_execute_with_args(sql, 3, argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up partition \"%s\"", rv->relname);
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_ALIAS),
				 errmsg("cannot tell which table named \"%s\" was %s", rv->relname, what),
				 errdetail("Change capture records the rows of the partition, and %lu tables of that name qualify.",
						   (unsigned long) SPI_processed),
				 errhint("Name the partition with its schema.")));
	if (SPI_processed == 1)
		relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	return relid;
}

/*
 * find_detached
 *		The table rv names that a DETACH just took out of its partitioned
 *		table: of that name (in that schema when given), no longer a
 *		partition, and locked by this transaction (the DETACH locked it);
 *		InvalidOid if none; an error if two qualify.
 */
static Oid
find_detached(RangeVar *rv)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	Oid			found = InvalidOid;
	int			n = 0;
	uint64		i;

	values[0] = CStringGetTextDatum(rv->relname);
	if (rv->schemaname)
		values[1] = CStringGetTextDatum(rv->schemaname);
	else
		nulls[1] = 'n';
	SPI_connect();
	if (SPI_execute_with_args("SELECT c.oid FROM pg_catalog.pg_class c "
							  "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
							  "WHERE NOT c.relispartition AND c.relkind IN ('r', 'p', 'f') "
							  "AND c.relname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
							  "AND ($2 IS NULL OR n.nspname OPERATOR(pg_catalog.=) $2::pg_catalog.name)",
							  2, argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not look up partition \"%s\"", rv->relname);
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
														   SPI_tuptable->tupdesc, 1, &isnull));

		if (CheckRelationOidLockedByMe(relid, ShareUpdateExclusiveLock, true))
		{
			found = relid;
			n++;
		}
	}
	SPI_finish();
	if (n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_AMBIGUOUS_ALIAS),
				 errmsg("cannot tell which table named \"%s\" was detached", rv->relname),
				 errdetail("Change capture records the rows of the partition, and %d tables of that name qualify.", n),
				 errhint("Name the partition with its schema.")));
	return found;
}

/*
 * cdc_partition_commands
 *		The ATTACH / DETACH / DETACH ... FINALIZE subcommands of an ALTER
 *		TABLE statement whose partitioned table is the one the event
 *		trigger's collected command names, as a list of PartitionCommand.
 *		The partition is found without its name being looked up again
 *		under a search_path (the event trigger runs with its own, and
 *		PostgreSQL's collected command does not give it): after an ATTACH,
 *		the partition of the partitioned table with that name; after a
 *		DETACH, the table of that name, no longer a partition, that this
 *		transaction holds locked (the DETACH locked it).  In the rare case
 *		where two tables of that name in two schemas qualify, an error asks
 *		for the schema.
 */
List *
cdc_partition_commands(Node *parsetree)
{
	AlterTableStmt *stmt;
	Oid			parent = InvalidOid;
	List	   *result = NIL;
	ListCell   *lc;
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	bool		isnull;

	if (parsetree == NULL || !IsA(parsetree, AlterTableStmt))
		return NIL;
	stmt = (AlterTableStmt *) parsetree;
	if (stmt->objtype != OBJECT_TABLE || stmt->relation == NULL)
		return NIL;

	/* the partitioned table: the collected ALTER TABLE command's object */
	values[0] = CStringGetTextDatum(stmt->relation->relname);
	if (stmt->relation->schemaname)
		values[1] = CStringGetTextDatum(stmt->relation->schemaname);
	else
		nulls[1] = 'n';
	SPI_connect();
	if (SPI_execute_with_args("SELECT DISTINCT d.objid FROM pg_catalog.pg_event_trigger_ddl_commands() d "
							  "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.objid "
							  "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
							  "WHERE d.command_tag OPERATOR(pg_catalog.=) 'ALTER TABLE' "
							  "AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::pg_catalog.regclass "
							  "AND c.relkind OPERATOR(pg_catalog.=) 'p' "
							  "AND c.relname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
							  "AND ($2 IS NULL OR n.nspname OPERATOR(pg_catalog.=) $2::pg_catalog.name)",
							  2, argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the collected commands");
	if (SPI_processed == 1)
		parent = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (!OidIsValid(parent))
		return NIL;

	foreach(lc, stmt->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		RangeVar   *rv;
		PartitionCommand *pc;
		Oid			part;

		if (cmd->subtype != AT_AttachPartition && cmd->subtype != AT_DetachPartition &&
			cmd->subtype != AT_DetachPartitionFinalize)
			continue;
		if (cmd->def == NULL || !IsA(cmd->def, PartitionCmd) ||
			((PartitionCmd *) cmd->def)->name == NULL)
			continue;
		rv = ((PartitionCmd *) cmd->def)->name;
		if (cmd->subtype == AT_AttachPartition)
			part = find_relation("SELECT c.oid FROM pg_catalog.pg_inherits i "
								 "JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) i.inhrelid "
								 "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
								 "WHERE i.inhparent OPERATOR(pg_catalog.=) $3 "
								 "AND c.relname OPERATOR(pg_catalog.=) $1::pg_catalog.name "
								 "AND ($2 IS NULL OR n.nspname OPERATOR(pg_catalog.=) $2::pg_catalog.name)",
								 rv, parent, "attached");
		else
			part = find_detached(rv);
		if (!OidIsValid(part))
			continue;
		pc = palloc(sizeof(PartitionCommand));
		pc->parent = parent;
		pc->part = part;
		pc->op = (cmd->subtype == AT_AttachPartition) ? 'I' : 'D';
		result = lappend(result, pc);
	}
	return result;
}

/*
 * cdc_record_partition_rows
 *		From the ddl_command_end event trigger (ddl.c), after a statement
 *		that attaches or detaches partitions (what cdc_partition_commands()
 *		found): record their rows.
 */
void
cdc_record_partition_rows(List *commands)
{
	ListCell   *lc;

	foreach(lc, commands)
	{
		PartitionCommand *pc = lfirst(lc);

		record_partition(pc->parent, pc->part, pc->op);
	}
}
