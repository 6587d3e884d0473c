/*-------------------------------------------------------------------------
 *
 * held.c
 *		A fold's group deltas held in memory for the C apply of the same
 *		refresh, instead of being written to its temporary table and read
 *		back.
 *
 * A refresh folds its changes with _fact_deltas() (delta.c) into
 * pg_temp._dataeng_delta_raw by an INSERT ... SELECT, which the C apply
 * (_fact_apply(), fact_apply.c) then scans.  For a fact the C apply takes
 * whole, that round trip (each group a row of the set-returning function,
 * projected by the executor, formed as a heap tuple, written to the table,
 * whose pages are made, then read and copied back) cost about a sixth of
 * a refresh.  So:
 *
 *	 - _fact_deltas_hold(deltas, query) says that the next _fact_deltas()
 *	   of the transaction, run by query (the INSERT's SELECT), is to keep
 *	   its groups here, each in the shape of table deltas (query's result
 *	   columns: the fold's columns, renamed or repeated); the total row
 *	   still goes to the table, through the INSERT;
 *	 - _fact_apply() of deltas reads the groups held for it, not the table:
 *	   each group is held as its values and nulls in the table's columns
 *	   (a value passed by reference copied beside them), not as a tuple,
 *	   so that the apply reads the values where they lie, with no tuple
 *	   formed by the fold nor deformed by the apply (an eighth of the
 *	   instructions of a refresh of many groups, docs/facts.md, "Cost
 *	   model"; a group takes 9 bytes a column plus its values passed by
 *	   reference, each aligned: somewhat more than its tuple, so the
 *	   memory of a hash aggregate holds fewer groups);
 *	 - _fact_deltas_write(deltas) writes the groups held into the table
 *	   (whenever a statement of the refresh is to read them: the MERGE the
 *	   apply left them to, a recompute, the parts of a fold that ran out of
 *	   memory), and holds them no more.
 *
 * What is held is forgotten at the end of the transaction, when the
 * subtransaction that held it aborts, and by the next fold.  A query not
 * of the shape written by _fact_refresh_build() (a plain column list over
 * one call of _fact_deltas() with a column definition list), a table with
 * indexes, triggers, rules or a column the query does not make, or one
 * that is not a temporary table of the current user: nothing is held, the
 * groups go to the table as before.  Groups held beyond the memory of a
 * hash aggregate (work_mem times hash_mem_multiplier) are written to the
 * table then, and the rest of the fold goes there as before.
 *
 * A fold holding its groups, and an apply reading them, may run the fact
 * owner's code (a measure's function, a CHECK constraint or an index
 * expression of the fact's table), which may call these functions or
 * refresh another fact: while they run, a hold asked is refused (false),
 * another fold or apply neither holds nor reads what is held, and a
 * write is an error.  Only the role that held the groups reads or writes
 * them, into a table whose columns are still those they were held in.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "executor/executor.h"
#include "executor/nodeHash.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/expandeddatum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

PG_FUNCTION_INFO_V1(dataeng_fact_deltas_hold);
PG_FUNCTION_INFO_V1(dataeng_fact_deltas_write);

static struct
{
	bool		pending;		/* the next fold of lxid holds for relid */
	bool		held;			/* rows holds the fold's groups for relid */
	int			busy;			/* a fold holds or an apply reads (HELD_*) */
	SubTransactionId busy_subid;	/* (in this subtransaction) */
	Oid			relid;
	Oid			userid;			/* the role that asked the hold */
	LocalTransactionId lxid;
	SubTransactionId subid;
	MemoryContext cxt;			/* (under TopTransactionContext) */
	int			natts;
	char	  **names;			/* per column of relid: the fold's column */
	AttrNumber *map;			/* the same, as the fold's column number - 1 */
	TupleDesc	desc;			/* relid's */
	Datum	   *tv;
	bool	   *tn;
	AggHeldRow *rows;
	int64		n;
	int64		max;
	char	   *arena;			/* the rows, one after another in blocks */
	Size		arena_left;
	Size		used;			/* the bytes they take */
	Size		limit;
}			hd;

/* the rows are laid one after another in blocks of this size (or a row's own) */
#define HELD_BLOCK	(256 * 1024)

#define HELD_FOLD	1
#define HELD_APPLY	2

static bool hd_callbacks = false;

static void
held_forget(void)
{
	if (hd.cxt != NULL)
		MemoryContextDelete(hd.cxt);
	memset(&hd, 0, sizeof(hd));
}

static void
held_xact_callback(XactEvent event, void *arg)
{
	/* (the memory went with TopTransactionContext, or goes now) */
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			memset(&hd, 0, sizeof(hd));
			break;
		default:
			break;
	}
}

static void
held_subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid,
					  void *arg)
{
	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	/* made in the subtransaction aborting, or in one below it */
	if ((hd.pending || hd.held) && hd.subid >= mySubid)
		held_forget();
	/* a fold that held part of its groups (forgotten), or an apply, stopped */
	else if (hd.busy == HELD_FOLD && hd.busy_subid >= mySubid)
		held_forget();
	else if (hd.busy == HELD_APPLY && hd.busy_subid >= mySubid)
		hd.busy = 0;
}

/*
 * held_desc_ok
 *		Whether a table's columns (desc) are still those the groups were
 *		held in: a row of them reads as it was formed.
 */
static bool
held_desc_ok(TupleDesc desc)
{
	int			i;

	if (desc->natts != hd.natts)
		return false;
	for (i = 0; i < hd.natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		Form_pg_attribute h = TupleDescAttr(hd.desc, i);

		if (a->attisdropped || a->atttypid != h->atttypid || a->atttypmod != h->atttypmod ||
			a->attlen != h->attlen || a->attbyval != h->attbyval || a->attalign != h->attalign)
			return false;
	}
	return true;
}

/*
 * held_column_name
 *		The column a plain column reference names (its last field), NULL
 *		for anything else.
 */
static const char *
held_column_name(Node *n)
{
	ColumnRef  *cr;
	Node	   *last;

	if (n == NULL || !IsA(n, ColumnRef))
		return NULL;
	cr = (ColumnRef *) n;
	last = llast(cr->fields);
	if (!IsA(last, String))
		return NULL;
	return strVal(last);
}

/*
 * held_query_names
 *		For a query "SELECT a [AS x], ... FROM (SELECT c.b [AS a], ... FROM
 *		<schema>._fact_deltas(...) AS c(<column definitions>)) alias", the
 *		fold's column each result column is, by name; NULL when the query
 *		is of another shape.
 */
static char **
held_query_names(const char *query, int *n)
{
	List	   *stmts = raw_parser(query, RAW_PARSE_DEFAULT);
	SelectStmt *outer;
	SelectStmt *inner;
	RangeSubselect *sub;
	RangeFunction *rf;
	List	   *coldefs = NIL;
	FuncCall   *fc = NULL;
	ListCell   *lc;
	char	  **names;
	int			i = 0;

	if (list_length(stmts) != 1 || !IsA(((RawStmt *) linitial(stmts))->stmt, SelectStmt))
		return NULL;
	outer = (SelectStmt *) ((RawStmt *) linitial(stmts))->stmt;
	if (outer->op != SETOP_NONE || outer->whereClause != NULL || outer->groupClause != NIL ||
		outer->distinctClause != NIL || outer->havingClause != NULL || outer->sortClause != NIL ||
		outer->limitCount != NULL || outer->limitOffset != NULL || outer->withClause != NULL ||
		list_length(outer->fromClause) != 1 || !IsA(linitial(outer->fromClause), RangeSubselect))
		return NULL;
	sub = (RangeSubselect *) linitial(outer->fromClause);
	if (sub->lateral || !IsA(sub->subquery, SelectStmt))
		return NULL;
	inner = (SelectStmt *) sub->subquery;
	if (inner->op != SETOP_NONE || inner->whereClause != NULL || inner->groupClause != NIL ||
		inner->distinctClause != NIL || inner->havingClause != NULL || inner->sortClause != NIL ||
		inner->limitCount != NULL || inner->limitOffset != NULL || inner->withClause != NULL ||
		list_length(inner->fromClause) != 1 || !IsA(linitial(inner->fromClause), RangeFunction))
		return NULL;
	rf = (RangeFunction *) linitial(inner->fromClause);
	if (rf->lateral || rf->ordinality || rf->is_rowsfrom || list_length(rf->functions) != 1)
		return NULL;
	{
		List	   *pair = (List *) linitial(rf->functions);

		if (list_length(pair) >= 1 && IsA(linitial(pair), FuncCall))
			fc = (FuncCall *) linitial(pair);
		if (list_length(pair) == 2)
			coldefs = (List *) lsecond(pair);
	}
	if (coldefs == NIL)
		coldefs = rf->coldeflist;
	if (fc == NULL || coldefs == NIL || strcmp(strVal(llast(fc->funcname)), "_fact_deltas") != 0)
		return NULL;

	*n = list_length(outer->targetList);
	names = palloc0(sizeof(char *) * Max(*n, 1));
	foreach(lc, outer->targetList)
	{
		ResTarget  *rt = (ResTarget *) lfirst(lc);
		const char *col = held_column_name(rt->val);
		ListCell   *lc2;
		const char *found = NULL;

		if (col == NULL || rt->indirection != NIL)
			return NULL;
		/* the inner column of that name: a column of the function's */
		foreach(lc2, inner->targetList)
		{
			ResTarget  *it = (ResTarget *) lfirst(lc2);
			const char *icol = held_column_name(it->val);
			const char *iname = it->name != NULL ? it->name : icol;

			if (it->indirection != NIL || iname == NULL || strcmp(iname, col) != 0)
				continue;
			if (found != NULL || icol == NULL)
				return NULL;	/* (two of that name, or an expression) */
			found = icol;
		}
		if (found == NULL)
			return NULL;
		/* and among its column definitions */
		{
			ListCell   *lc3;
			bool		def = false;

			foreach(lc3, coldefs)
				if (IsA(lfirst(lc3), ColumnDef) && strcmp(((ColumnDef *) lfirst(lc3))->colname, found) == 0)
					def = true;
			if (!def)
				return NULL;
		}
		names[i++] = pstrdup(found);
	}
	return names;
}

/*
 * held_table_ok
 *		Whether relid is a plain temporary table of this session that the
 *		current user owns and may insert into, without indexes, triggers,
 *		rules or row security: one whose rows are only its heap's.
 */
static bool
held_table_ok(Relation rel)
{
	return rel->rd_rel->relkind == RELKIND_RELATION &&
		rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP &&
		RELATION_IS_LOCAL(rel) &&
		rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
		!rel->rd_rel->relhasindex && !rel->rd_rel->relhastriggers && !rel->rd_rel->relhasrules &&
		!rel->rd_rel->relrowsecurity &&
		pg_class_ownercheck(RelationGetRelid(rel), GetUserId()) &&
		pg_class_aclcheck(RelationGetRelid(rel), GetUserId(), ACL_INSERT | ACL_SELECT) == ACLCHECK_OK;
}

/*
 * dataeng_internal._fact_deltas_hold(deltas regclass, query text) RETURNS
 * boolean
 *		The next _fact_deltas() of this transaction, called by query, is to
 *		hold its groups for deltas (see the header comment); false (and
 *		nothing held) when query or deltas is not as that needs.
 */
Datum
dataeng_fact_deltas_hold(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Relation	rel;
	char	  **names;
	int			n = 0;
	bool		ok;
	int			i;
	MemoryContext old;

	if (!hd_callbacks)
	{
		RegisterXactCallback(held_xact_callback, NULL);
		RegisterSubXactCallback(held_subxact_callback, NULL);
		hd_callbacks = true;
	}
	/* (called by the code of a fold or an apply that holds: not now) */
	if (hd.busy != 0)
		PG_RETURN_BOOL(false);
	held_forget();
	/* (the owner first, by OID: no lock asked on a table of another role) */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ||
		!pg_class_ownercheck(relid, GetUserId()))
		PG_RETURN_BOOL(false);
	rel = table_open(relid, AccessShareLock);
	ok = held_table_ok(rel);
	names = ok ? held_query_names(query, &n) : NULL;
	ok = names != NULL && n == RelationGetDescr(rel)->natts;
	for (i = 0; ok && i < n; i++)
		if (TupleDescAttr(RelationGetDescr(rel), i)->attisdropped)
			ok = false;
	if (ok)
	{
		hd.cxt = AllocSetContextCreate(TopTransactionContext, "dataeng held fact deltas",
									   ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(hd.cxt);
		hd.names = palloc(sizeof(char *) * n);
		for (i = 0; i < n; i++)
			hd.names[i] = pstrdup(names[i]);
		hd.desc = CreateTupleDescCopy(RelationGetDescr(rel));
		MemoryContextSwitchTo(old);
		hd.natts = n;
		hd.relid = relid;
		hd.userid = GetUserId();
		hd.lxid = MyProc->lxid;
		hd.subid = GetCurrentSubTransactionId();
		hd.pending = true;
	}
	table_close(rel, AccessShareLock);
	PG_RETURN_BOOL(ok);
}

/*
 * agg_held_begin
 *		At the start of a fold whose result rows are of desc: whether it
 *		holds its groups (a hold is pending in this transaction and desc
 *		has, for each column of the table, the column of that name and
 *		type).  What an earlier fold held is forgotten either way.
 */
bool
agg_held_begin(TupleDesc desc)
{
	bool		ok;
	int			i;
	int			j;

	/* (a fold run by the code of a fold or an apply that holds: left alone) */
	if (hd.busy != 0)
		return false;
	ok = hd.pending && hd.lxid == MyProc->lxid && hd.userid == GetUserId();
	hd.pending = false;
	if (!ok)
	{
		held_forget();
		return false;
	}
	hd.held = false;
	hd.map = MemoryContextAlloc(hd.cxt, sizeof(AttrNumber) * Max(hd.natts, 1));
	for (i = 0; i < hd.natts && ok; i++)
	{
		Form_pg_attribute t = TupleDescAttr(hd.desc, i);

		hd.map[i] = -1;
		for (j = 0; j < desc->natts; j++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, j);

			if (!a->attisdropped && strcmp(NameStr(a->attname), hd.names[i]) == 0)
			{
				if (a->atttypid == t->atttypid && a->atttypmod == t->atttypmod &&
					a->attcollation == t->attcollation)
					hd.map[i] = j;
				break;
			}
		}
		if (hd.map[i] < 0)
			ok = false;
	}
	if (!ok)
	{
		held_forget();
		return false;
	}
	hd.tv = MemoryContextAlloc(hd.cxt, sizeof(Datum) * Max(hd.natts, 1));
	hd.tn = MemoryContextAlloc(hd.cxt, sizeof(bool) * Max(hd.natts, 1));
	hd.max = 1024;
	hd.rows = MemoryContextAllocHuge(hd.cxt, sizeof(AggHeldRow) * hd.max);
	hd.used = sizeof(AggHeldRow) * hd.max;
	hd.arena = NULL;
	hd.arena_left = 0;
	hd.n = 0;
	hd.limit = get_hash_memory_limit();
	hd.held = true;
	hd.busy = HELD_FOLD;
	hd.busy_subid = GetCurrentSubTransactionId();
	return true;
}

/*
 * agg_held_end
 *		At the end of a fold that began holding (agg_held_begin).
 */
void
agg_held_end(void)
{
	if (hd.busy == HELD_FOLD)
		hd.busy = 0;
}

/*
 * held_write
 *		Write the groups held into their table (the current command),
 *		and hold them no more.  Returns how many.
 */
static int64
held_write(void)
{
	Relation	rel;
	TupleTableSlot *slot;
	BulkInsertState bis;
	CommandId	cid;
	int64		i;
	int64		n = hd.n;

	if (!hd.held)
		return 0;
	rel = try_table_open(hd.relid, RowExclusiveLock);
	if (rel == NULL)
	{
		held_forget();
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the table of a fact refresh's deltas was dropped while they were held"),
				 errhint("Refresh the fact again.")));
	}
	if (!held_table_ok(rel) || !held_desc_ok(RelationGetDescr(rel)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the table of a fact refresh's deltas changed while they were held"),
				 errdetail("Table %s is no longer a temporary table of the current user without indexes, triggers or rules, with the columns the deltas were held in.",
						   RelationGetRelationName(rel)),
				 errhint("Refresh the fact again.")));
	slot = MakeSingleTupleTableSlot(RelationGetDescr(rel), &TTSOpsVirtual);
	bis = GetBulkInsertState();
	cid = GetCurrentCommandId(true);
	for (i = 0; i < hd.n; i++)
	{
		ExecClearTuple(slot);
		memcpy(slot->tts_values, hd.rows[i].values, sizeof(Datum) * hd.natts);
		memcpy(slot->tts_isnull, hd.rows[i].isnull, sizeof(bool) * hd.natts);
		ExecStoreVirtualTuple(slot);
		table_tuple_insert(rel, slot, cid, 0, bis);
		ExecClearTuple(slot);
	}
	FreeBulkInsertState(bis);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
	held_forget();
	return n;
}

/*
 * agg_held_put
 *		A group of the fold, as its result row (values, nulls of the fold's
 *		columns), held in the table's shape.  Beyond the memory of a hash
 *		aggregate the groups held are written to the table and false
 *		returned: the fold's other rows then go to its result.
 */
bool
agg_held_put(Datum *values, bool *nulls)
{
	char	   *p;
	Size		len;
	Size		off;
	int			i;

	if (!hd.held || hd.busy != HELD_FOLD)
		elog(ERROR, "no fold holds its groups");
	if (hd.n == hd.max)
	{
		hd.max *= 2;
		hd.rows = repalloc_huge(hd.rows, sizeof(AggHeldRow) * hd.max);
		hd.used += sizeof(AggHeldRow) * hd.max / 2;
	}

	/*
	 * The row as its values and nulls, each value passed by reference
	 * copied after them (as datumCopy() copies it, an expanded object
	 * flattened), laid in the blocks: no tuple is formed, and the apply
	 * reads the values where they lie, without deforming a tuple.  (A
	 * palloc'd row would be rounded up to a power of two, up to twice its
	 * size.)
	 */
	len = MAXALIGN(sizeof(Datum) * hd.natts) + MAXALIGN(sizeof(bool) * hd.natts);
	for (i = 0; i < hd.natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(hd.desc, i);
		Datum		v = values[hd.map[i]];

		hd.tv[i] = v;
		hd.tn[i] = nulls[hd.map[i]];
		if (hd.tn[i] || a->attbyval)
			continue;
		if (a->attlen == -1 && VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(v)))
			len += MAXALIGN(EOH_get_flat_size(DatumGetEOHP(v)));
		else
			len += MAXALIGN(datumGetSize(v, false, a->attlen));
	}
	if (len > hd.arena_left)
	{
		Size		block = Max(len, HELD_BLOCK);

		hd.arena = MemoryContextAlloc(hd.cxt, block);
		hd.arena_left = block;
		hd.used += block;
	}
	p = hd.arena;
	hd.rows[hd.n].values = (Datum *) p;
	hd.rows[hd.n].isnull = (bool *) (p + MAXALIGN(sizeof(Datum) * hd.natts));
	memcpy(hd.rows[hd.n].isnull, hd.tn, sizeof(bool) * hd.natts);
	off = MAXALIGN(sizeof(Datum) * hd.natts) + MAXALIGN(sizeof(bool) * hd.natts);
	for (i = 0; i < hd.natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(hd.desc, i);
		Datum		v = hd.tv[i];
		Size		sz;

		if (hd.tn[i])
			v = (Datum) 0;
		else if (!a->attbyval)
		{
			if (a->attlen == -1 && VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(v)))
			{
				ExpandedObjectHeader *eoh = DatumGetEOHP(v);

				sz = EOH_get_flat_size(eoh);
				EOH_flatten_into(eoh, p + off, sz);
			}
			else
			{
				sz = datumGetSize(v, false, a->attlen);
				memcpy(p + off, DatumGetPointer(v), sz);
			}
			v = PointerGetDatum(p + off);
			off += MAXALIGN(sz);
		}
		hd.rows[hd.n].values[i] = v;
	}
	Assert(off == len);
	hd.n++;
	hd.arena += len;
	hd.arena_left -= len;
	if (hd.used > hd.limit)
	{
		(void) held_write();
		return false;
	}
	return true;
}

/*
 * agg_held_rows
 *		The groups held for table relid in this transaction by the current
 *		role (its shape's rows), or false when none are; an error when its
 *		columns changed since.  Until agg_held_release(), nothing held is
 *		forgotten or replaced, nor read by another apply.
 */
bool
agg_held_rows(Oid relid, TupleDesc desc, AggHeldRow **rows, int64 *n)
{
	if (!hd.held || hd.busy != 0 || hd.relid != relid || hd.lxid != MyProc->lxid ||
		hd.userid != GetUserId())
		return false;
	if (!held_desc_ok(desc))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the table of a fact refresh's deltas changed while they were held"),
				 errdetail("Table %s no longer has the columns the deltas were held in.", get_rel_name(relid)),
				 errhint("Refresh the fact again.")));
	hd.busy = HELD_APPLY;
	hd.busy_subid = GetCurrentSubTransactionId();
	*rows = hd.rows;
	*n = hd.n;
	return true;
}

/*
 * agg_held_release
 *		The apply that read the groups held (agg_held_rows) is done.
 */
void
agg_held_release(void)
{
	if (hd.busy == HELD_APPLY)
		hd.busy = 0;
}

/*
 * dataeng_internal._fact_deltas_write(deltas regclass) RETURNS bigint
 *		Write the groups held for deltas into it; the number written (0:
 *		none held).
 */
Datum
dataeng_fact_deltas_write(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	int64		n;

	if (hd.busy != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot write the deltas of a fact refresh while a fold makes them or an apply reads them"),
				 errdetail("_fact_deltas_write() was called by code that a fold or an apply of held deltas runs (a measure's function, a constraint or an index expression of the fact's table)."),
				 errhint("Do not call dataeng_internal._fact_deltas_write() from such code: dataeng.fact_refresh() calls it.")));
	if (!hd.held || hd.relid != relid || hd.lxid != MyProc->lxid || hd.userid != GetUserId())
		PG_RETURN_INT64(0);
	n = held_write();
	/* (seen by the refresh's next statements) */
	CommandCounterIncrement();
	PG_RETURN_INT64(n);
}
