/*-------------------------------------------------------------------------
 *
 * side_apply.c
 *		Apply the net per-value count changes of a fact's count(DISTINCT)
 *		measure to its side table (<fact>_distinct), where a group's values
 *		and their counts are kept sorted in chunks, with direct index scans
 *		and heap writes, as the logical replication apply worker writes
 *		rows (src/backend/executor/execReplication.c).
 *
 * Where the refresh applies the fact's deltas in C (fact_apply.c), the
 * values of each group come from the deltas' arrays, group by group, in
 * the same pass (side_delta_group(), "The side apply within the fact's own
 * apply" below).  Otherwise (the SQL path of a refresh), it
 * lists the values that came and went (pg_temp._dataeng_dc,
 * built by _fact_side_changes_sql()): per group an array of the values
 * that came, +1 each, and one of those that went, -1 each (a table of a
 * value per row, as tests and callers may pass, is read as well).  They
 * are read here straight from that table (no SQL), each array's values
 * one by one, and sorted in memory in the order of the measure's unique
 * index (its columns' btree comparisons under their collations, as the
 * index sorts), so the rows of one group and value come one after another
 * and are added up into its net change (many cancel: a value updated away
 * and back, a row moved within its group).  A value whose changes cancel
 * writes nothing.
 *
 * Then per group (see "The chunks of a group" below): the chunk holding
 * its first changed value found by one index scan, the chunks from it on
 * read by another, each merged with the changes of its range and written
 * back: updated (HOT when its page has room and its first value stays:
 * the values and counts are in no index), deleted when emptied, split
 * past SIDE_CHUNK_MAX bytes, joined to the next when under SIDE_CHUNK_MIN.
 * A refresh so writes about a row per touched chunk, where a row per
 * (group, value) wrote a row per changed value, each found by its own
 * index descent (docs/facts.md, "Cost model").
 *
 * Every write is an ordinary heap write in the refresh's transaction
 * (WAL-logged, undone by its abort): the refresh stays crash safe and
 * exactly once.  The writes are made as the current user (the fact's
 * owner during a refresh), who must own the side table and hold SELECT,
 * INSERT, UPDATE and DELETE on it.  Heap writes compute no default, no
 * generated column and fire no rule, trigger or policy, and check only
 * NOT NULL: the side table must be exactly what _fact_side_create() makes
 * (its columns, no defaults, constraints, rules, triggers, row security,
 * children; side_apply_reason() says), else SQL applies the counts
 * (_fact_side_upsert_sql() chooses, through _fact_side_apply_reason()).
 * An update or delete waits for a transaction writing its row; a row
 * another transaction changed meanwhile fails the refresh with a
 * serialization failure (40001).
 *
 * The function returns the change of each group's count(DISTINCT) by
 * values that appeared in it or left it, as rows pg_temp._dataeng_dc_ret
 * adds up per group: one row per group (no tid, __n the net change,
 * inserted when above 0), so a group whose values appeared and left in
 * equal numbers puts out nothing.  (The SQL path puts out a row per value
 * instead: __n 1 and inserted per value more, __n 0 and not inserted per
 * value less; the sum counts __n 0 not inserted as -1.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_operator.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/sortsupport.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

PG_FUNCTION_INFO_V1(dataeng_fact_side_apply);
PG_FUNCTION_INFO_V1(dataeng_fact_side_apply_reason);
PG_FUNCTION_INFO_V1(dataeng_fact_side_counts);
PG_FUNCTION_INFO_V1(dataeng_fact_side_counts_pack);

static ArrayType *side_array(Oid type, int16 len, const char *data, int k);

/*
 * measure_index_pred
 *		Whether the predicate of idx is exactly __m = measure (the int4
 *		equality, column mattno of the side table): the rows of another
 *		measure, or of none, are not in the index of this one, and a scan of
 *		one whose predicate is another would not see the chunks the apply
 *		writes (each value would look new, its chunks written twice).
 */
static bool
measure_index_pred(Relation idx, AttrNumber mattno, int32 measure)
{
	List	   *pred = RelationGetIndexPredicate(idx);
	OpExpr	   *op;
	Node	   *l;
	Node	   *r;

	if (mattno == InvalidAttrNumber || list_length(pred) != 1 || !IsA(linitial(pred), OpExpr))
		return false;
	op = (OpExpr *) linitial(pred);
	if (op->opno != Int4EqualOperator || list_length(op->args) != 2)
		return false;
	l = (Node *) linitial(op->args);
	r = (Node *) lsecond(op->args);
	if (IsA(l, Const) && IsA(r, Var))
	{
		Node	   *t = l;

		l = r;
		r = t;
	}
	return IsA(l, Var) && ((Var *) l)->varattno == mattno &&
		IsA(r, Const) && !((Const *) r)->constisnull && ((Const *) r)->consttype == INT4OID &&
		DatumGetInt32(((Const *) r)->constvalue) == measure;
}

/*
 * find_measure_index
 *		The unique index of side whose last key column is vattno (the value
 *		column of one measure: its index is partial, WHERE __m = measure,
 *		that predicate exactly), opened with RowExclusiveLock; NULL when
 *		there is none.
 */
static Relation
find_measure_index(Relation side, AttrNumber vattno, int32 measure)
{
	AttrNumber	mattno = get_attnum(RelationGetRelid(side), "__m");

	List	   *indexes = RelationGetIndexList(side);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
		Form_pg_index form = idx->rd_index;

		if (form->indisunique && form->indisvalid && form->indisready &&
			idx->rd_rel->relam == BTREE_AM_OID &&
			form->indnkeyatts >= 2 && form->indnatts == form->indnkeyatts &&
			form->indkey.values[form->indnkeyatts - 1] == vattno &&
			!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		{
			int			i;
			bool		plain = heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL);

			for (i = 0; i < form->indnkeyatts; i++)
				if (form->indkey.values[i] == 0)
					plain = false;
			if (plain && measure_index_pred(idx, mattno, measure))
			{
				list_free(indexes);
				return idx;
			}
		}
		index_close(idx, RowExclusiveLock);
	}
	list_free(indexes);
	return NULL;
}

/*
 * is_value_column
 *		Whether name is __v<n> or __a<n>, n > 0: the first value or the
 *		values of a chunk of a count(DISTINCT) measure (a pair of columns
 *		per measure, made by _fact_side_create()).
 */
static bool
is_value_column(const char *name)
{
	const char *p;

	if ((strncmp(name, "__v", 3) != 0 && strncmp(name, "__a", 3) != 0) ||
		name[3] < '1' || name[3] > '9')
		return false;
	for (p = name + 4; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * side_apply_reason
 *		NULL when _fact_side_apply() may write the side table of measure
 *		directly (heap writes that compute no default, generated column,
 *		rule, trigger, row security policy or constraint other than NOT
 *		NULL), else why not: the upsert is used then.  The table must be
 *		exactly what _fact_side_create() makes, and the current user its
 *		owner.  *idxp: the measure's unique index, opened (NULL if none).
 */
static const char *
side_apply_reason(Relation side, int32 measure, Relation *idxp)
{
	Oid			sideid = RelationGetRelid(side);
	TupleDesc	desc = RelationGetDescr(side);
	Form_pg_class rd = side->rd_rel;
	char		vname[NAMEDATALEN];
	AttrNumber	vattno;
	AttrNumber	aattno;
	Relation	idx;
	Relation	conrel;
	ScanKeyData key;
	SysScanDesc cscan;
	bool		hascon;
	List	   *indexes;
	ListCell   *lc;
	int			i;
	int			j;

	*idxp = NULL;
	if (!pg_class_ownercheck(sideid, GetUserId()))
		return "the current user does not own the side table";
	if (rd->relkind != RELKIND_RELATION)
		return "the side table is not an ordinary table";
	if (rd->relam != HEAP_TABLE_AM_OID)
		return "the side table is not a heap table";
	if (rd->relispartition)
		return "the side table is a partition";
	if (rd->relhassubclass)
		return "the side table has inheritance children";
	if (rd->relhasrules || side->rd_rules != NULL)
		return "the side table has rules";
	if (rd->relhastriggers || side->trigdesc != NULL)
		return "the side table has triggers";
	if (rd->relrowsecurity || rd->relforcerowsecurity)
		return "the side table has row-level security";
	if (rd->relchecks > 0)
		return "the side table has CHECK constraints";
	if (OidIsValid(rd->reloftype))
		return "the side table is a typed table";

	/* constraints of any kind (CHECK, foreign key, unique, exclusion...) */
	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(sideid));
	cscan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	hascon = HeapTupleIsValid(systable_getnext(cscan));
	systable_endscan(cscan);
	table_close(conrel, AccessShareLock);
	if (hascon)
		return "the side table has constraints";

	/* its indexes: plain ones (no exclusion, no deferred uniqueness) */
	indexes = RelationGetIndexList(side);
	foreach(lc, indexes)
	{
		HeapTuple	it = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		bool		plain;

		if (!HeapTupleIsValid(it))
			elog(ERROR, "cache lookup failed for index %u", lfirst_oid(lc));
		plain = !((Form_pg_index) GETSTRUCT(it))->indisexclusion &&
			((Form_pg_index) GETSTRUCT(it))->indimmediate;
		ReleaseSysCache(it);
		if (!plain)
		{
			list_free(indexes);
			return "the side table has an exclusion or deferred index";
		}
	}
	list_free(indexes);

	snprintf(vname, sizeof(vname), "__v%d", measure);
	vattno = get_attnum(sideid, vname);
	if (vattno == InvalidAttrNumber)
		return "the side table has no column of the measure's values";
	snprintf(vname, sizeof(vname), "__a%d", measure);
	aattno = get_attnum(sideid, vname);
	if (aattno == InvalidAttrNumber ||
		TupleDescAttr(desc, aattno - 1)->atttypid !=
		get_array_type(TupleDescAttr(desc, vattno - 1)->atttypid))
		return "the side table has no column of arrays of the measure's values";
	idx = find_measure_index(side, vattno, measure);
	if (idx == NULL)
		return "the side table has no unique index on the measure's values";
	*idxp = idx;

	/*
	 * The chunks' values are sorted as the fills sort them: by the value
	 * column's default btree class and collation, ascending
	 */
	{
		int			last = idx->rd_index->indnkeyatts - 1;
		Form_pg_attribute va = TupleDescAttr(desc, vattno - 1);
		Oid			opc = GetDefaultOpClass(va->atttypid, BTREE_AM_OID);

		if (!OidIsValid(opc) || idx->rd_opfamily[last] != get_opclass_family(opc) ||
			idx->rd_indcollation[last] != va->attcollation ||
			(idx->rd_indoption[last] & INDOPTION_DESC) != 0)
			return "the unique index on the measure's values does not sort them as the column does";
	}

	/*
	 * Its columns: the index's keys and value, __m int, __n bytea, the
	 * measure's values __a<m> and the values of the other measures
	 * (written NULL, so not NOT NULL); none
	 * with a default, generated, an identity or of a domain type.
	 */
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		const char *name = NameStr(a->attname);
		bool		written = false;

		if (a->attisdropped)
			continue;
		if (a->atthasdef || a->attgenerated || a->attidentity)
			return "a column of the side table has a default, is generated or is an identity";
		if (get_typtype(a->atttypid) == TYPTYPE_DOMAIN)
			return "a column of the side table is of a domain type";
		for (j = 0; j < idx->rd_index->indnkeyatts; j++)
			if (idx->rd_index->indkey.values[j] == a->attnum)
				written = true;
		if (strcmp(name, "__m") == 0)
		{
			if (a->atttypid != INT4OID)
				return "column __m of the side table is not an integer";
			written = true;
		}
		else if (strcmp(name, "__n") == 0)
		{
			if (a->atttypid != BYTEAOID)
				return "column __n of the side table is not a bytea";
			written = true;
		}
		else if (a->attnum == aattno)
			written = true;
		if (!written && !is_value_column(name))
			return "the side table has a column the extension does not make";
		if (!written && a->attnotnull)
			return "a value column of another measure is NOT NULL";
	}
	if (get_attnum(sideid, "__m") == InvalidAttrNumber || get_attnum(sideid, "__n") == InvalidAttrNumber)
		return "the side table lacks column __m or __n";
	return NULL;
}

/*
 * dataeng_internal._fact_side_apply_reason(side regclass, measure int)
 *		RETURNS text
 *		NULL when _fact_side_apply() may apply measure's changes to side,
 *		else why the upsert does (side_apply_reason()).
 */
Datum
dataeng_fact_side_apply_reason(PG_FUNCTION_ARGS)
{
	Oid			sideid = PG_GETARG_OID(0);
	int32		measure = PG_GETARG_INT32(1);
	Relation	side;
	Relation	idx;
	const char *reason;

	/* (no lock on a table the caller does not own) */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sideid)))
		PG_RETURN_TEXT_P(cstring_to_text("the side table does not exist"));
	if (!pg_class_ownercheck(sideid, GetUserId()))
		PG_RETURN_TEXT_P(cstring_to_text("the current user does not own the side table"));
	side = try_relation_open(sideid, AccessShareLock);
	if (side == NULL)
		PG_RETURN_TEXT_P(cstring_to_text("the side table does not exist"));
	reason = side_apply_reason(side, measure, &idx);
	if (idx != NULL)
		index_close(idx, RowExclusiveLock);
	relation_close(side, AccessShareLock);
	if (reason == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(reason));
}

/*
 * side_write_check
 *		Raise unless res (of a heap_update() or heap_delete() of a side
 *		table row found by this refresh) is TM_Ok.
 */
static void
side_write_check(Relation side, TM_Result res)
{
	if (res == TM_Ok)
		return;
	if (res == TM_Updated || res == TM_Deleted)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not apply per-value counts to %s: a row was changed concurrently",
						RelationGetRelationName(side)),
				 errdetail("Another transaction updated or deleted a row of the side table while this refresh applied its counts."),
				 errhint("Side tables are written only by their fact's refresh: leave them alone, and retry the refresh.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("could not write a row of the side table %s (result %d)",
					RelationGetRelationName(side), (int) res),
			 errdetail("The row was already written by this refresh, or is not visible to it."),
			 errhint("Rebuild the fact with dataeng.fact_rebuild().")));
}

/*
 * One row of the changes (a +1 or -1, or a sum of them, of one group and
 * value): the index's key columns, in its order, and the change.
 */
typedef struct SideChange
{
	Datum	   *keys;			/* the group's (shared by its row's values) */
	bool	   *nulls;
	Datum		v;				/* the value */
	bool		vnull;
	int64		n;
} SideChange;

/* the order of the measure's unique index, column by column */
typedef struct SideOrder
{
	int			nkeys;
	SortSupport ssup;
} SideOrder;

/* whether a and b are of one group (all the index's columns but the value) */
static int
side_group_cmp(const SideChange *a, const SideChange *b, SideOrder *o)
{
	int			i;

	if (a->keys == b->keys)
		return 0;				/* (values of one row) */
	for (i = 0; i < o->nkeys - 1; i++)
	{
		int			c = ApplySortComparator(a->keys[i], a->nulls[i], b->keys[i], b->nulls[i],
											&o->ssup[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/* the value of a and b (the index's last column), of one group */
static int
side_value_cmp(const void *a, const void *b, void *arg)
{
	const SideChange *x = (const SideChange *) a;
	const SideChange *y = (const SideChange *) b;
	SideOrder  *o = (SideOrder *) arg;

	return ApplySortComparator(x->v, x->vnull, y->v, y->vnull, &o->ssup[o->nkeys - 1]);
}

static int
side_change_cmp(const SideChange *x, const SideChange *y, SideOrder *o)
{
	int			c = side_group_cmp(x, y, o);

	return c != 0 ? c : side_value_cmp(x, y, o);
}

/* the changes of one row of the changes' table: one group's */
typedef struct SideRun
{
	int64		start;			/* the first, in the changes read */
	int64		len;
} SideRun;

typedef struct SideRunSort
{
	SideChange *changes;
	SideOrder  *order;
} SideRunSort;

/* runs by their group */
static int
side_run_cmp(const void *a, const void *b, void *arg)
{
	SideRunSort *rs = (SideRunSort *) arg;

	return side_group_cmp(&rs->changes[((const SideRun *) a)->start],
						  &rs->changes[((const SideRun *) b)->start], rs->order);
}

/*
 * side_order_init
 *		The order of index idx, column by column: each column's btree
 *		comparison under its collation, NULLs where the index puts them.
 */
static void
side_order_init(SideOrder *order, Relation idx, int nkeys)
{
	int			i;

	/* in the index's order: each column's btree comparison, as it sorts */
	order->nkeys = nkeys;
	order->ssup = palloc0(sizeof(SortSupportData) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		SortSupport ss = &order->ssup[i];

		ss->ssup_cxt = CurrentMemoryContext;
		ss->ssup_collation = idx->rd_indcollation[i];
		ss->ssup_nulls_first = (idx->rd_indoption[i] & INDOPTION_NULLS_FIRST) != 0;
		ss->ssup_attno = i + 1;
		ss->abbreviate = false;
		PrepareSortSupportFromIndexRel(idx, (idx->rd_indoption[i] & INDOPTION_DESC) ?
									   BTGreaterStrategyNumber : BTLessStrategyNumber, ss);
	}
}

/*
 * side_read_changes
 *		The rows of changes (a table of the caller's, the refresh's
 *		pg_temp._dataeng_dc) whose __m is measure, read with snap, a change
 *		per value, sorted in the order of the measure's unique index idx
 *		(its columns' btree comparisons under their collations: the changes
 *		of one group and value one after another).  The table is read
 *		directly (no SQL): the caller must be allowed to SELECT from it, and
 *		it must be an ordinary heap table without row security or children,
 *		whose key columns (named as the side table's) have the side table's
 *		types, but the value column __v<measure>, which may be an array of
 *		its type (of the same typmod): each of the array's values, NULL ones
 *		left out (count(DISTINCT) counts none), changes by the row's __n.
 *		The refresh writes a row per group and direction so, a few thousand
 *		rows where a row per value made tens of thousands to write and read.
 */
static SideChange *
side_read_changes(Relation side, Oid changesid, int32 measure, const AttrNumber *katt,
				  int nkeys, Snapshot snap, SideOrder *order, int64 *nchanges)
{
	TupleDesc	desc = RelationGetDescr(side);
	Relation	ch;
	TupleDesc	cd;
	AttrNumber *catt;
	AttrNumber	cm;
	AttrNumber	cn;
	TableScanDesc scan;
	TupleTableSlot *slot;
	SideChange *changes;
	SideChange *sorted;
	SideRun    *runs;
	int64		nruns = 0;
	int64		maxruns = 1024;
	int64		r;
	int64		q;
	int64		k;
	Datum	   *keys;
	bool	   *knulls;
	Form_pg_attribute vatt;
	bool		arrays = false;
	int16		vlen = 0;
	bool		vbyval = false;
	char		valign = 'i';
	int64		n = 0;
	int64		max = 1024;
	int			i;

	/* the right first, by OID: no lock on a table the caller may not read */
	agg_apply_input_check(changesid, "dataeng_internal._fact_side_apply()",
						  "A refresh passes its own temporary table pg_temp._dataeng_dc.");
	ch = table_open(changesid, AccessShareLock);
	cd = RelationGetDescr(ch);
	if (ch->rd_rel->relkind != RELKIND_RELATION || ch->rd_rel->relam != HEAP_TABLE_AM_OID ||
		ch->rd_rel->relhassubclass || ch->rd_rel->relrowsecurity || ch->rd_rel->relforcerowsecurity)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("the changes of the side table %s cannot be read directly",
						RelationGetRelationName(side)),
				 errdetail("%s is not an ordinary heap table without row security and children.",
						   RelationGetRelationName(ch)),
				 errhint("A refresh passes its own temporary table pg_temp._dataeng_dc.")));

	/*
	 * Its columns, by name, of the side table's types; the values' column
	 * of theirs or an array of them (a row per group: each of its values
	 * changed by __n).
	 */
	catt = palloc(sizeof(AttrNumber) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		Form_pg_attribute sa = TupleDescAttr(desc, katt[i] - 1);
		AttrNumber	c = get_attnum(changesid, NameStr(sa->attname));
		Oid			ctype = c > 0 ? TupleDescAttr(cd, c - 1)->atttypid : InvalidOid;

		if (i == nkeys - 1 && OidIsValid(ctype) && ctype != sa->atttypid &&
			ctype == get_array_type(sa->atttypid))
			arrays = true;
		if (c <= 0 || (ctype != sa->atttypid && !arrays) ||
			(sa->atttypmod != -1 && TupleDescAttr(cd, c - 1)->atttypmod != sa->atttypmod))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the changes of the side table %s do not have its column types",
							RelationGetRelationName(side))));
		catt[i] = c;
	}
	vatt = TupleDescAttr(desc, katt[nkeys - 1] - 1);
	if (arrays)
		get_typlenbyvalalign(vatt->atttypid, &vlen, &vbyval, &valign);
	cm = get_attnum(changesid, "__m");
	cn = get_attnum(changesid, "__n");
	if (cm <= 0 || cn <= 0 || TupleDescAttr(cd, cm - 1)->atttypid != INT4OID ||
		TupleDescAttr(cd, cn - 1)->atttypid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the changes of the side table %s do not have its column types",
						RelationGetRelationName(side))));

	changes = palloc(sizeof(SideChange) * max);
	runs = palloc(sizeof(SideRun) * maxruns);
	slot = table_slot_create(ch, NULL);
	scan = table_beginscan(ch, snap, 0, NULL);
	while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		m = slot_getattr(slot, cm, &isnull);
		int64		delta;
		Datum	   *elems = NULL;
		bool	   *enulls = NULL;
		int			nelems = 1;
		int			e;

		CHECK_FOR_INTERRUPTS();
		if (isnull || DatumGetInt32(m) != measure)
			continue;
		m = slot_getattr(slot, cn, &isnull);
		delta = isnull ? 0 : DatumGetInt64(m);
		/* the row's keys (and value), copied: the keys shared by its values */
		keys = palloc(sizeof(Datum) * nkeys);
		knulls = palloc(sizeof(bool) * nkeys);
		for (i = 0; i < nkeys; i++)
		{
			Form_pg_attribute sa = TupleDescAttr(desc, katt[i] - 1);
			Datum		v = slot_getattr(slot, catt[i], &knulls[i]);

			if (i == nkeys - 1 && arrays)
				break;
			keys[i] = knulls[i] ? (Datum) 0 : datumCopy(v, sa->attbyval, sa->attlen);
		}
		if (arrays)
		{
			/* its values: the array's, NULL ones left out (never counted) */
			if (knulls[nkeys - 1])
				continue;
			deconstruct_array(DatumGetArrayTypeP(slot_getattr(slot, catt[nkeys - 1], &isnull)),
							  vatt->atttypid, vlen, vbyval, valign, &elems, &enulls, &nelems);
		}
		/* the changes of this row: a run of one group */
		if (nruns == maxruns)
		{
			maxruns *= 2;
			runs = repalloc_huge(runs, sizeof(SideRun) * maxruns);
		}
		runs[nruns].start = n;
		for (e = 0; e < nelems; e++)
		{
			SideChange *c;

			if (arrays && enulls[e])
				continue;
			if (n == max)
			{
				max *= 2;
				changes = repalloc_huge(changes, sizeof(SideChange) * max);
			}
			c = &changes[n++];
			c->keys = keys;
			c->nulls = knulls;
			if (arrays)
			{
				c->v = vbyval ? elems[e] : datumCopy(elems[e], vbyval, vlen);
				c->vnull = false;
			}
			else
			{
				c->v = keys[nkeys - 1];
				c->vnull = knulls[nkeys - 1];
			}
			c->n = delta;
		}
		runs[nruns].len = n - runs[nruns].start;
		if (runs[nruns].len > 0)
			nruns++;
	}
	table_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	table_close(ch, NoLock);

	/*
	 * In the index's order: the rows (runs of one group) sorted by their
	 * group, then the values of each group by themselves, fewer and cheaper
	 * comparisons than a sort of every value by every column.
	 */
	if (nruns > 1)
	{
		SideRunSort rs;

		rs.changes = changes;
		rs.order = order;
		qsort_arg(runs, nruns, sizeof(SideRun), side_run_cmp, &rs);
	}
	sorted = MemoryContextAllocHuge(CurrentMemoryContext, sizeof(SideChange) * Max(n, 1));
	for (r = 0, k = 0; r < nruns; r = q)
	{
		int64		g = k;

		/*
		 * the runs of one group, one after another, sharing the first run's
		 * keys (a group's changes are then told apart by their pointers)
		 */
		for (q = r; q < nruns &&
			 (q == r || side_group_cmp(&changes[runs[r].start], &changes[runs[q].start], order) == 0); q++)
		{
			int64		e;

			memcpy(&sorted[k], &changes[runs[q].start], sizeof(SideChange) * runs[q].len);
			for (e = k; q > r && e < k + runs[q].len; e++)
			{
				sorted[e].keys = sorted[g].keys;
				sorted[e].nulls = sorted[g].nulls;
			}
			k += runs[q].len;
		}
		if (k - g > 1)
			qsort_arg(&sorted[g], k - g, sizeof(SideChange), side_value_cmp, order);
	}
	Assert(k == n);
	pfree(changes);
	pfree(runs);
	*nchanges = n;
	return sorted;
}

/*-------------------------------------------------------------------------
 * The chunks of a group
 *
 * A group's values of one measure are kept sorted in chunks by value
 * range: a row per chunk, keyed by the group's keys and the chunk's first
 * value (__v<m>, the measure's unique index), holding the chunk's values
 * (__a<m>, sorted by the index's comparison of the value) and their
 * counts (__n, each > 0, packed in a bytea by side_counts_pack(): about a
 * byte each, where a bigint[] took 8, so a refresh writes and logs fewer
 * bytes per chunk, and a group fits in fewer chunks).  The chunk holding a
 * value is the last whose first value is not above it (the first chunk
 * for a value below them all).  A chunk's values and counts take at most
 * SIDE_CHUNK_MAX bytes (a value's size and its count's): a chunk past it is split
 * into pieces of about SIDE_CHUNK_FILL, and one under SIDE_CHUNK_MIN is
 * joined to the chunk after it.  The fills (_fact_side_fill()) cut a
 * group's values into chunks of SIDE_CHUNK_FILL bytes the same way.
 *-------------------------------------------------------------------------
 */
#define SIDE_CHUNK_MAX 3800
#define SIDE_CHUNK_FILL 2900
#define SIDE_CHUNK_MIN (SIDE_CHUNK_MAX / 4)

/*
 * A sorted list of a group's values and their counts.  Values of a type
 * passed by value of a fixed width (integers, dates, timestamps...) are
 * kept packed as in an array (raw, vlen bytes each), so a chunk's values
 * are read and written as its arrays' data, runs of unchanged ones with
 * one memcpy; values of other types as Datums (v).
 */
typedef struct SideList
{
	Datum	   *v;				/* the values (not fixed width) */
	char	   *raw;			/* the values (fixed width) */
	int64	   *n;
	int			len;
	int			max;			/* allocated; -1: read-only, an array's */
	int64		bytes;
} SideList;

/* what applying a measure's changes needs, group after group */
typedef struct SideApply
{
	Relation	side;
	Relation	idx;
	TupleDesc	desc;
	EState	   *estate;
	ResultRelInfo *rri;
	int			nkeys;			/* index key columns: the keys and the value */
	const AttrNumber *katt;
	AttrNumber	mattno;
	AttrNumber	nattno;
	AttrNumber	vattno;
	AttrNumber	aattno;
	int32		measure;
	Oid			vtype;
	int16		vlen;
	bool		vbyval;
	char		valign;
	bool		fixed;			/* by value, of a fixed width: see SideList */
	SortSupport vssup;			/* the value's comparison, as the index's */
	IndexScanDesc bscan;		/* the chunk holding a value: backward */
	IndexScanDesc fscan;		/* the chunks from it on: forward */
	ScanKeyData *skey;
	RegProcedure *eqproc;
	Oid			leproc;
	Oid			geproc;
	TupleTableSlot *cur;		/* the chunk being merged */
	TupleTableSlot *nxt;		/* the one after it */
	TupleTableSlot *wslot;		/* a row written */
	MemoryContext scancxt;		/* where the scans read (see below) */
	MemoryContext gcxt;			/* a group's, reset for each */
	Snapshot	snap;			/* the scans' */
	SideOrder	order;			/* the index's, column by column */
	Datum	   *values;
	bool	   *nulls;
} SideApply;

/* the bytes of count n (> 0) in a chunk's counts (see side_counts_pack) */
static inline int
side_count_size(int64 n)
{
	int			k = 1;

	if (likely(n < 128))
		return 1;
	while (n >= 128)
	{
		n >>= 7;
		k++;
	}
	return k;
}

/* the bytes of value v in a chunk's values */
static inline int64
side_value_size(const SideApply *sa, Datum v)
{
	if (sa->vlen > 0)
		return sa->vlen;
	if (sa->vlen == -1)
		return VARSIZE_ANY(DatumGetPointer(v));
	return strlen(DatumGetCString(v)) + 1;
}

/*
 * side_counts_pack
 *		The k counts at n (each > 0) packed as a chunk's __n keeps them:
 *		each an unsigned varint, 7 bits a byte from the lowest, the high bit
 *		set on every byte but its last (a count under 128 takes a byte).
 */
static bytea *
side_counts_pack(const int64 *n, int k)
{
	Size		size = VARHDRSZ;
	bytea	   *b;
	unsigned char *p;
	int			i;

	for (i = 0; i < k; i++)
		size += side_count_size(n[i]);
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%d counts of a side table take %zu bytes packed, more than a bytea holds",
						k, size - VARHDRSZ)));
	b = (bytea *) palloc(size);
	SET_VARSIZE(b, size);
	p = (unsigned char *) VARDATA(b);
	for (i = 0; i < k; i++)
	{
		uint64		u = (uint64) n[i];

		if (likely(u < 128))
		{
			*p++ = (unsigned char) u;
			continue;
		}
		while (u >= 128)
		{
			*p++ = (unsigned char) (u & 127) | 128;
			u >>= 7;
		}
		*p++ = (unsigned char) u;
	}
	Assert((char *) p == (char *) b + size);
	return b;
}

/*
 * side_counts_unpack
 *		The counts packed in the len bytes at data (side_counts_pack) into
 *		out (room for max): how many, or -1 when they are not so packed (a
 *		count cut short, of more than 63 bits, not above 0, or more than
 *		max of them).
 */
static int
side_counts_unpack(const char *data, Size len, int64 *out, int max)
{
	const unsigned char *p = (const unsigned char *) data;
	const unsigned char *end = p + len;
	int			k = 0;

	while (p < end)
	{
		uint64		u = 0;
		int			shift = 0;

		/* (most counts: a byte) */
		if (likely(*p > 0 && *p < 128))
		{
			if (unlikely(k == max))
				return -1;
			out[k++] = *p++;
			continue;
		}
		for (;;)
		{
			unsigned char c;

			if (p == end || shift > 56)
				return -1;
			c = *p++;
			u |= (uint64) (c & 127) << shift;
			if ((c & 128) == 0)
				break;
			shift += 7;
		}
		if (u == 0 || u > (uint64) PG_INT64_MAX || k == max)
			return -1;
		out[k++] = (int64) u;
	}
	return k;
}

static inline Datum
side_list_value(const SideApply *sa, const SideList *l, int i)
{
	if (sa->fixed)
		return fetch_att(l->raw + (Size) i * sa->vlen, true, sa->vlen);
	return l->v[i];
}

/* room for extra more values in l */
static void
side_list_reserve(const SideApply *sa, SideList *l, int extra)
{
	int			want = l->len + extra;

	Assert(l->max >= 0);
	if (want <= l->max)
		return;
	want = Max(want, Max(64, l->max * 2));
	if (sa->fixed)
		l->raw = l->raw == NULL ? palloc((Size) want * sa->vlen) :
			repalloc_huge(l->raw, (Size) want * sa->vlen);
	else
		l->v = l->v == NULL ? palloc(sizeof(Datum) * want) :
			repalloc_huge(l->v, sizeof(Datum) * want);
	l->n = l->n == NULL ? palloc(sizeof(int64) * want) :
		repalloc_huge(l->n, sizeof(int64) * want);
	l->max = want;
}

static void
side_list_push(const SideApply *sa, SideList *l, Datum v, int64 n)
{
	side_list_reserve(sa, l, 1);
	if (sa->fixed)
		store_att_byval(l->raw + (Size) l->len * sa->vlen, v, sa->vlen);
	else
		l->v[l->len] = v;
	l->n[l->len] = n;
	l->len++;
	l->bytes += side_value_size(sa, v) + side_count_size(n);
}

/* values [from, to) of src appended to l (their bytes not counted) */
static void
side_list_copy(const SideApply *sa, SideList *l, const SideList *src, int from, int to)
{
	int			k = to - from;

	if (k <= 0)
		return;
	side_list_reserve(sa, l, k);
	if (sa->fixed)
		memcpy(l->raw + (Size) l->len * sa->vlen, src->raw + (Size) from * sa->vlen,
			   (Size) k * sa->vlen);
	else
		memcpy(&l->v[l->len], &src->v[from], sizeof(Datum) * k);
	memcpy(&l->n[l->len], &src->n[from], sizeof(int64) * k);
	l->len += k;
}

/*
 * side_list_own
 *		Copy the values of l that are not fixed width into the current
 *		memory context.  A chunk's values read in place from a row stored
 *		inline (a small chunk's) lie in the shared buffer of its page, which
 *		is no longer pinned once the scan moves on to the next chunk: a list
 *		kept for the next chunk (a small one joined to it) must not point
 *		there, as the page may be pruned (its rows moved) or evicted
 *		meanwhile.
 */
static void
side_list_own(const SideApply *sa, SideList *l)
{
	int			i;

	if (sa->fixed)
		return;					/* (the list's own copy: side_list_reserve) */
	for (i = 0; i < l->len; i++)
		l->v[i] = datumCopy(l->v[i], sa->vbyval, sa->vlen);
}

/* the data of array a, which has no NULL */
static inline char *
side_array_data(ArrayType *a)
{
	return (char *) a + ARR_OVERHEAD_NONULLS(ARR_NDIM(a));
}

static inline int
side_vcmp(const SideApply *sa, Datum a, Datum b)
{
	return ApplySortComparator(a, false, b, false, sa->vssup);
}

/*
 * dataeng_internal._fact_side_counts(counts bytea) RETURNS bigint[]
 *		The counts of a chunk of a side table (its __n), one per value of
 *		the chunk, as an array.
 */
Datum
dataeng_fact_side_counts(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	Size		len = VARSIZE_ANY_EXHDR(b);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(b);
	Size		most = 0;
	Size		i;
	int64	   *n;
	int			k;

	/* at most a count per byte without the high bit (each ends with one) */
	for (i = 0; i < len; i++)
		most += p[i] < 128;
	if (most > (MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / sizeof(int64))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many packed counts of a side table: up to %zu",
						most),
				 errdetail("An array holds at most %zu bigints.",
						   (Size) ((MaxAllocSize - ARR_OVERHEAD_NONULLS(1)) / sizeof(int64))),
				 errhint("Read the __n of a side table made by the extension.")));
	n = palloc(sizeof(int64) * Max(most, 1));
	k = side_counts_unpack(VARDATA_ANY(b), len, n, (int) most);
	if (k < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid packed counts of a side table"),
				 errdetail("Each count is above 0, an unsigned base-128 varint of at most 63 bits."),
				 errhint("Read the __n of a side table made by the extension.")));
	if (k == 0)
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(INT8OID));
	PG_RETURN_ARRAYTYPE_P(side_array(INT8OID, sizeof(int64), (const char *) n, k));
}

/*
 * dataeng_internal._fact_side_counts_pack(counts bigint[]) RETURNS bytea
 *		Counts (each above 0, none NULL) packed as a chunk of a side table
 *		keeps them (its __n): the fills and the upsert write them so.
 */
Datum
dataeng_fact_side_counts_pack(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	int			k = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	const int64 *n;
	int			i;

	if (ARR_ELEMTYPE(a) != INT8OID || ARR_HASNULL(a) || ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the counts of a side table chunk must be a one-dimensional bigint array without NULLs")));
	n = (const int64 *) side_array_data(a);
	for (i = 0; i < k; i++)
		if (n[i] <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a count of a side table chunk must be above 0, not " INT64_FORMAT, n[i]),
					 errhint("A value whose count falls to 0 leaves the chunk.")));
	PG_RETURN_BYTEA_P(side_counts_pack(n, k));
}

/*
 * side_chunk_read
 *		The values and counts of the chunk in slot, in *l (empty before):
 *		read in place (read-only) when fixed width, else as Datums.
 */
static void
side_chunk_read(const SideApply *sa, TupleTableSlot *slot, SideList *l)
{
	bool		isnull;
	Datum		a = slot_getattr(slot, sa->aattno, &isnull);
	Datum		c;
	ArrayType  *va;
	bytea	   *ca;
	int			nv;
	int			nc;
	int			i;

	/* (a chunk's values are never NULL: a NULL would lose its counts) */
	va = isnull ? NULL : DatumGetArrayTypeP(a);
	c = slot_getattr(slot, sa->nattno, &isnull);
	ca = isnull ? NULL : DatumGetByteaPP(c);
	nv = va == NULL ? 0 : ArrayGetNItems(ARR_NDIM(va), ARR_DIMS(va));
	l->n = palloc(sizeof(int64) * Max(nv, 1));
	nc = ca == NULL ? -1 : side_counts_unpack(VARDATA_ANY(ca), VARSIZE_ANY_EXHDR(ca), l->n, nv);
	if (va == NULL || nc != nv || ARR_HASNULL(va) || ARR_ELEMTYPE(va) != sa->vtype ||
		(nv > 0 && ARR_NDIM(va) != 1))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a row of the side table %s does not hold a count above 0 for each of its values, none NULL",
						RelationGetRelationName(sa->side)),
				 errhint("Rebuild the fact with dataeng.fact_rebuild().")));
	l->len = nv;
	l->bytes = VARSIZE_ANY_EXHDR(ca);
	if (sa->fixed)
	{
		l->raw = side_array_data(va);
		l->max = -1;
		l->bytes += (int64) nv * sa->vlen;
	}
	else
	{
		Datum	   *vals;
		bool	   *vnulls;

		deconstruct_array(va, sa->vtype, sa->vlen, sa->vbyval, sa->valign, &vals, &vnulls, &nv);
		l->v = vals;
		l->max = -1;
		for (i = 0; i < nv; i++)
			l->bytes += side_value_size(sa, vals[i]);
	}
}

/* a value's count in a side table past what a bigint holds: an error */
static void side_count_overflow(const SideApply *sa) pg_attribute_noreturn();

static void
side_count_overflow(const SideApply *sa)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("a count of a value in the side table %s is out of range for bigint",
					RelationGetRelationName(sa->side)),
			 errdetail("A value's count plus its change is past 9223372036854775807."),
			 errhint("Rebuild the fact with dataeng.fact_rebuild().")));
}

/*
 * side_chunk_merge
 *		The values and counts of old (sorted) with the net changes cv/cd
 *		(sorted, a value once) added, values whose count falls to 0 or
 *		below left out, appended to out; *gnet counts the values new to the
 *		group (+1) and gone from it (-1).  A change taking away a value that
 *		is not there does nothing.  The old values between two changes are
 *		found by binary search and copied as a run.
 */
static void
side_chunk_merge(const SideApply *sa, const SideList *old, const Datum *cv, const int64 *cd,
				 int nc, SideList *out, int64 *gnet)
{
	int			i = 0;
	int			j;

	/* old's bytes, less those of each value changed (pushed again if kept) */
	out->bytes += old->bytes;
	for (j = 0; j < nc; j++)
	{
		int			lo = i;
		int			hi = old->len;

		/* the first old value not below cv[j], from i on */
		while (lo < hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (side_vcmp(sa, side_list_value(sa, old, mid), cv[j]) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		side_list_copy(sa, out, old, i, lo);
		i = lo;
		if (i < old->len && side_vcmp(sa, side_list_value(sa, old, i), cv[j]) == 0)
		{
			int64		n;

			if (unlikely(pg_add_s64_overflow(old->n[i], cd[j], &n)))
				side_count_overflow(sa);
			out->bytes -= side_value_size(sa, side_list_value(sa, old, i)) +
				side_count_size(old->n[i]);
			if (n > 0)
				side_list_push(sa, out, side_list_value(sa, old, i), n);
			else
				(*gnet)--;
			i++;
		}
		else if (cd[j] > 0)
		{
			side_list_push(sa, out, cv[j], cd[j]);
			(*gnet)++;
		}
	}
	side_list_copy(sa, out, old, i, old->len);
}

/* a one-dimensional array of the k values of type (len, align) at data */
static ArrayType *
side_array(Oid type, int16 len, const char *data, int k)
{
	Size		nbytes = (Size) k * len;
	Size		size = ARR_OVERHEAD_NONULLS(1) + nbytes;
	ArrayType  *a = (ArrayType *) palloc0(size);

	SET_VARSIZE(a, size);
	a->ndim = 1;
	a->dataoffset = 0;
	a->elemtype = type;
	ARR_DIMS(a)[0] = k;
	ARR_LBOUND(a)[0] = 1;
	memcpy(side_array_data(a), data, nbytes);
	return a;
}

/*
 * side_chunk_write
 *		Write l[from, to) as one chunk: over the row in old (an update), or
 *		as a new row of the group keys/knulls (an insert).
 */
static void
side_chunk_write(SideApply *sa, TupleTableSlot *old, const Datum *keys, const bool *knulls,
				 const SideList *l, int from, int to)
{
	TupleDesc	desc = sa->desc;
	EState	   *estate = sa->estate;
	ArrayType  *va;
	bytea	   *ca;
	HeapTuple	tup;
	int			i;

	if (sa->fixed)
		va = side_array(sa->vtype, sa->vlen, l->raw + (Size) from * sa->vlen, to - from);
	else
		va = construct_array(&l->v[from], to - from, sa->vtype, sa->vlen, sa->vbyval, sa->valign);
	ca = side_counts_pack(&l->n[from], to - from);
	if (old != NULL)
	{
		slot_getallattrs(old);
		memcpy(sa->values, old->tts_values, sizeof(Datum) * desc->natts);
		memcpy(sa->nulls, old->tts_isnull, sizeof(bool) * desc->natts);
	}
	else
	{
		memset(sa->nulls, true, sizeof(bool) * desc->natts);
		for (i = 0; i < sa->nkeys - 1; i++)
		{
			sa->values[sa->katt[i] - 1] = keys[i];
			sa->nulls[sa->katt[i] - 1] = knulls[i];
		}
		sa->values[sa->mattno - 1] = Int32GetDatum(sa->measure);
		sa->nulls[sa->mattno - 1] = false;
	}
	sa->values[sa->vattno - 1] = side_list_value(sa, l, from);
	sa->nulls[sa->vattno - 1] = false;
	sa->values[sa->aattno - 1] = PointerGetDatum(va);
	sa->nulls[sa->aattno - 1] = false;
	sa->values[sa->nattno - 1] = PointerGetDatum(ca);
	sa->nulls[sa->nattno - 1] = false;
	tup = heap_form_tuple(desc, sa->values, sa->nulls);

	if (old != NULL)
	{
		ItemPointerData otid = old->tts_tid;
		TM_FailureData tmfd;
		LockTupleMode lockmode;
		TM_Result	res;

		/*
		 * heap_update() waits for a transaction writing the row; one that
		 * changed or deleted it meanwhile fails the refresh with a
		 * serialization failure (side tables are written only by their
		 * fact's refreshes, which are serialised).  The values and counts
		 * are in no index: the update is HOT when the page has room and the
		 * first value stays.
		 */
		res = heap_update(sa->side, &otid, tup, estate->es_output_cid, InvalidSnapshot,
						  true, &tmfd, &lockmode);
		side_write_check(sa->side, res);
		if (!HeapTupleIsHeapOnly(tup))
		{
			ExecStoreHeapTuple(tup, sa->wslot, false);
			(void) ExecInsertIndexTuples(sa->rri, sa->wslot, estate, true, false, NULL, NIL);
			ResetPerTupleExprContext(estate);
			ExecClearTuple(sa->wslot);
		}
	}
	else
	{
		ExecStoreHeapTuple(tup, sa->wslot, false);
		if (desc->constr != NULL)
		{
			/* NOT NULL (the shape allows no other constraint) */
			ExecConstraints(sa->rri, sa->wslot, estate);
		}
		table_tuple_insert(sa->side, sa->wslot, estate->es_output_cid, 0, NULL);
		(void) ExecInsertIndexTuples(sa->rri, sa->wslot, estate, false, false, NULL, NIL);
		ResetPerTupleExprContext(estate);
		ExecClearTuple(sa->wslot);
	}
}

/*
 * side_chunks_write
 *		Write l (not empty) over the chunk in old (or as new rows of the
 *		group when old is NULL): one row, or, past SIDE_CHUNK_MAX bytes,
 *		pieces of about SIDE_CHUNK_FILL, the first over old.  A value that
 *		would take a piece past SIDE_CHUNK_MAX starts the next one (a value
 *		larger than that is a piece of its own).
 */
static void
side_chunks_write(SideApply *sa, TupleTableSlot *old, const Datum *keys, const bool *knulls,
				  const SideList *l)
{
	int64		pieces;
	int64		target;
	int64		acc = 0;
	int			from = 0;
	int			i;

	if (l->bytes <= SIDE_CHUNK_MAX)
	{
		/* one row (a value larger than that is a piece of its own) */
		side_chunk_write(sa, old, keys, knulls, l, 0, l->len);
		return;
	}
	pieces = (l->bytes + SIDE_CHUNK_FILL - 1) / SIDE_CHUNK_FILL;
	target = l->bytes / pieces;
	for (i = 0; i < l->len; i++)
	{
		int64		size = (sa->fixed ? sa->vlen : side_value_size(sa, l->v[i])) +
			side_count_size(l->n[i]);

		if (i > from && acc + size > SIDE_CHUNK_MAX)
		{
			side_chunk_write(sa, old, keys, knulls, l, from, i);
			old = NULL;
			from = i;
			acc = 0;
		}
		acc += size;
		if (acc >= target && i + 1 < l->len)
		{
			side_chunk_write(sa, old, keys, knulls, l, from, i + 1);
			old = NULL;
			from = i + 1;
			acc = 0;
		}
	}
	side_chunk_write(sa, old, keys, knulls, l, from, l->len);
}

/*
 * side_chunk_delete
 *		Delete the chunk in slot.
 */
static void
side_chunk_delete(SideApply *sa, TupleTableSlot *slot)
{
	ItemPointerData otid = slot->tts_tid;
	TM_FailureData tmfd;
	TM_Result	res;

	res = heap_delete(sa->side, &otid, sa->estate->es_output_cid, InvalidSnapshot,
					  true, &tmfd, false);
	side_write_check(sa->side, res);
}

/*
 * side_chunk_store
 *		Put what a merge left of the chunk in sa->cur (out) back: none
 *		deletes the chunk; under SIDE_CHUNK_MIN bytes, when a neighbour chunk
 *		of the group follows in the walk (have_neighbour), the chunk is
 *		deleted and its values go to *carry (owned, not in the buffer) to be
 *		joined to that neighbour; else it is written over the chunk.
 */
static void
side_chunk_store(SideApply *sa, const Datum *keys, const bool *knulls, SideList *out,
				 bool have_neighbour, SideList *carry)
{
	if (out->len == 0)
		side_chunk_delete(sa, sa->cur);
	else if (out->bytes < SIDE_CHUNK_MIN && have_neighbour)
	{
		side_chunk_delete(sa, sa->cur);
		*carry = *out;
		side_list_own(sa, carry);
	}
	else
		side_chunks_write(sa, sa->cur, keys, knulls, out);
}

/*
 * side_scan_keys
 *		The scan keys of a group (keys/knulls: the index's columns but the
 *		last) and of its value compared to v by strategy (<= or >=).
 */
static void
side_scan_keys(SideApply *sa, const Datum *keys, const bool *knulls, StrategyNumber strategy,
			   Datum v)
{
	Relation	idx = sa->idx;
	int			i;
	int			last = sa->nkeys - 1;

	for (i = 0; i < last; i++)
	{
		if (knulls[i])
			ScanKeyEntryInitialize(&sa->skey[i], SK_ISNULL | SK_SEARCHNULL, i + 1,
								   InvalidStrategy, InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
		else
			ScanKeyEntryInitialize(&sa->skey[i], 0, i + 1, BTEqualStrategyNumber,
								   idx->rd_opcintype[i], idx->rd_indcollation[i], sa->eqproc[i],
								   keys[i]);
	}
	ScanKeyEntryInitialize(&sa->skey[last], 0, last + 1, strategy,
						   idx->rd_opcintype[last], idx->rd_indcollation[last],
						   strategy == BTLessEqualStrategyNumber ? sa->leproc : sa->geproc, v);
}

static bool
side_scan_next(SideApply *sa, IndexScanDesc scan, ScanDirection dir, TupleTableSlot *slot)
{
	/*
	 * read in the function's context: a btree scan allocates the list of
	 * entries to mark dead on its first read, in the current context, and
	 * keeps it until it ends
	 */
	MemoryContext old = MemoryContextSwitchTo(sa->scancxt);
	bool		found = index_getnext_slot(scan, dir, slot);

	MemoryContextSwitchTo(old);
	return found;
}

/*
 * side_apply_group_back
 *		side_apply_group() from the chunk in sa->cur (the one holding the
 *		last changed value, found by sa->bscan) backward: each chunk merged
 *		with the changes of its range (the values from its first value up
 *		to the first of the chunk read before it; the group's first chunk
 *		takes every change left), until the first change and any chunk
 *		joined to its predecessor are written.  A chunk whose merged values
 *		are gone is deleted; one under SIDE_CHUNK_MIN bytes with a chunk
 *		before it is deleted and its values appended to that one's (whose
 *		first value stays: its update may be HOT); one past SIDE_CHUNK_MAX
 *		is split.
 */
static int64
side_apply_group_back(SideApply *sa, const Datum *keys, const bool *knulls, const Datum *cv,
					  const int64 *cd, int nc)
{
	int64		gnet = 0;
	int			hi = nc;		/* the changes [0, hi) are left */
	bool		isnull;
	SideList	carry = {0};
	TupleTableSlot *t;

	for (;;)
	{
		bool		have_prev;
		int			lo = 0;

		CHECK_FOR_INTERRUPTS();
		/* the chunk before: where this one's range starts */
		have_prev = side_scan_next(sa, sa->bscan, BackwardScanDirection, sa->nxt);
		if (have_prev)
		{
			Datum		first = slot_getattr(sa->cur, sa->vattno, &isnull);

			if (isnull)
				elog(ERROR, "a chunk of side table %s has no first value",
					 RelationGetRelationName(sa->side));
			lo = hi;
			while (lo > 0 && side_vcmp(sa, cv[lo - 1], first) >= 0)
				lo--;
		}

		if (lo < hi || carry.len > 0)
		{
			SideList	old = {0};
			SideList	out = {0};

			side_chunk_read(sa, sa->cur, &old);
			side_list_reserve(sa, &out, old.len + (hi - lo) + carry.len);
			side_chunk_merge(sa, &old, cv + lo, cd + lo, hi - lo, &out, &gnet);
			/* the values carried from the chunk after come last */
			side_list_copy(sa, &out, &carry, 0, carry.len);
			out.bytes += carry.bytes;
			memset(&carry, 0, sizeof(carry));
			hi = lo;
			/* (too small: joined to the chunk before) */
			side_chunk_store(sa, keys, knulls, &out, have_prev, &carry);
		}
		ExecClearTuple(sa->cur);
		if (!have_prev || (hi == 0 && carry.len == 0))
		{
			ExecClearTuple(sa->nxt);
			break;
		}
		t = sa->cur;
		sa->cur = sa->nxt;
		sa->nxt = t;
	}
	return gnet;
}

/*
 * side_apply_group
 *		Apply the net changes cv/cd (nc of them, sorted, none 0) of the
 *		group keys/knulls to its chunks, read with snap; returns the change
 *		of the group's count of values.
 *
 * The chunk holding the last changed value is found by a backward scan
 * of the index from that value, which reads on the chunks before it
 * (side_apply_group_back()): one index descent a group.  When there is
 * none (a group without values yet, or changes all below its first
 * chunk), a forward scan from the first changed value reads the chunks
 * from it on, each merged with the changes of its range (the values below
 * the next chunk's first; the first chunk takes those below it), until
 * the last change and any chunk joined to its successor are written: a
 * chunk whose merged values are gone is deleted, one under SIDE_CHUNK_MIN
 * bytes with a chunk after it is deleted and its values merged into that
 * one, one past SIDE_CHUNK_MAX is split.  This function's own writes (in
 * the command of snap) are not seen by its scans.
 */
static int64
side_apply_group(SideApply *sa, const Datum *keys, const bool *knulls, const Datum *cv,
				 const int64 *cd, int nc, Snapshot snap)
{
	int64		gnet = 0;
	int			ci = 0;
	Datum		start = cv[0];
	bool		isnull;
	bool		have;
	SideList	carry = {0};
	TupleTableSlot *t;
	MemoryContext oldcxt;

	/* the chunk holding the last value: the last whose first is not above */
	side_scan_keys(sa, keys, knulls, BTLessEqualStrategyNumber, cv[nc - 1]);
	oldcxt = MemoryContextSwitchTo(sa->scancxt);
	index_rescan(sa->bscan, sa->skey, sa->nkeys, NULL, 0);
	MemoryContextSwitchTo(oldcxt);
	if (side_scan_next(sa, sa->bscan, BackwardScanDirection, sa->cur))
		return side_apply_group_back(sa, keys, knulls, cv, cd, nc);

	/* none: the group's chunks from the first changed value on, if any */
	side_scan_keys(sa, keys, knulls, BTGreaterEqualStrategyNumber, start);
	oldcxt = MemoryContextSwitchTo(sa->scancxt);
	index_rescan(sa->fscan, sa->skey, sa->nkeys, NULL, 0);
	MemoryContextSwitchTo(oldcxt);
	have = side_scan_next(sa, sa->fscan, ForwardScanDirection, sa->cur);
	if (!have)
	{
		/* a group with no values yet: the values that came, in chunks */
		SideList	none = {0};
		SideList	out = {0};

		side_chunk_merge(sa, &none, cv, cd, nc, &out, &gnet);
		if (out.len > 0)
			side_chunks_write(sa, NULL, keys, knulls, &out);
		return gnet;
	}
	while (have)
	{
		bool		have_next;
		int			cj = ci;
		SideList	old = {0};
		SideList	out = {0};

		CHECK_FOR_INTERRUPTS();
		/* the next chunk: where this one's range ends */
		have_next = side_scan_next(sa, sa->fscan, ForwardScanDirection, sa->nxt);
		if (have_next)
		{
			Datum		nfirst = slot_getattr(sa->nxt, sa->vattno, &isnull);

			if (isnull)
				elog(ERROR, "a chunk of side table %s has no first value",
					 RelationGetRelationName(sa->side));
			while (cj < nc && side_vcmp(sa, cv[cj], nfirst) < 0)
				cj++;
		}
		else
			cj = nc;

		if (cj > ci || carry.len > 0)
		{
			/* the values carried from the chunk before come first */
			out = carry;
			memset(&carry, 0, sizeof(carry));
			side_chunk_read(sa, sa->cur, &old);
			side_list_reserve(sa, &out, old.len + (cj - ci));
			side_chunk_merge(sa, &old, cv + ci, cd + ci, cj - ci, &out, &gnet);
			ci = cj;
			/* (too small: joined to the next chunk) */
			side_chunk_store(sa, keys, knulls, &out, have_next, &carry);
		}
		ExecClearTuple(sa->cur);
		if (!have_next || (ci >= nc && carry.len == 0))
		{
			ExecClearTuple(sa->nxt);
			break;
		}
		t = sa->cur;
		sa->cur = sa->nxt;
		sa->nxt = t;
	}
	return gnet;
}

/*
 * side_put_group
 *		Put out the change of the count(DISTINCT) of the group of g (its
 *		keys: the index's columns but the last) by net values, as a row the
 *		refresh adds up (pg_temp._dataeng_dc_ret, summed per group as
 *		__ins ? __n : (__n = 0 ? -1 : __n)): no tid, __n the net change,
 *		inserted when it is above 0; none when it is 0.
 */
static void
side_put_group(ReturnSetInfo *rsinfo, const SideChange *g, int64 net, int nkeys,
			   int32 measure, Datum *out, bool *outnull)
{
	int			i;

	if (g == NULL || net == 0)
		return;
	outnull[0] = true;
	for (i = 0; i < nkeys - 1; i++)
	{
		out[1 + i] = g->keys[i];
		outnull[1 + i] = g->nulls[i];
	}
	out[nkeys] = Int32GetDatum(measure);
	outnull[nkeys] = false;
	out[nkeys + 1] = Int64GetDatum(net);
	outnull[nkeys + 1] = false;
	out[nkeys + 2] = BoolGetDatum(net > 0);
	outnull[nkeys + 2] = false;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, outnull);
}


/*
 * side_apply_init
 *		Set up sa to apply the changes of measure to side (opened with
 *		RowExclusiveLock, as side_apply_reason() accepts it) through idx,
 *		its unique index on the measure's values: the columns, the scan
 *		keys' operators, the index's order and the executor state the index
 *		insertions need (as execReplication.c).
 */
static void
side_apply_init(SideApply *sa, Relation side, Relation idx, int32 measure)
{
	Oid			sideid = RelationGetRelid(side);
	TupleDesc	desc = RelationGetDescr(side);
	int			nkeys = idx->rd_index->indnkeyatts;
	AttrNumber *katt;
	char		aname[NAMEDATALEN];
	RangeTblEntry *rte;
	Oid			op;
	int			i;

	memset(sa, 0, sizeof(*sa));
	sa->side = side;
	sa->idx = idx;
	sa->desc = desc;
	sa->measure = measure;
	sa->mattno = get_attnum(sideid, "__m");
	sa->nattno = get_attnum(sideid, "__n");
	snprintf(aname, sizeof(aname), "__a%d", measure);
	sa->aattno = get_attnum(sideid, aname);
	sa->nkeys = nkeys;
	sa->vattno = idx->rd_index->indkey.values[nkeys - 1];
	sa->vtype = TupleDescAttr(desc, sa->vattno - 1)->atttypid;
	get_typlenbyvalalign(sa->vtype, &sa->vlen, &sa->vbyval, &sa->valign);
	sa->fixed = sa->vbyval && sa->vlen > 0 && att_align_nominal(sa->vlen, sa->valign) == (uintptr_t) sa->vlen;

	/* the scan keys: each column's opclass operators, its collation */
	katt = palloc(sizeof(AttrNumber) * nkeys);
	sa->skey = palloc(sizeof(ScanKeyData) * nkeys);
	sa->eqproc = palloc(sizeof(RegProcedure) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		op = get_opfamily_member(idx->rd_opfamily[i], idx->rd_opcintype[i],
								 idx->rd_opcintype[i], BTEqualStrategyNumber);
		if (!OidIsValid(op))
			elog(ERROR, "missing equality operator for column %d of index %s", i + 1,
				 RelationGetRelationName(idx));
		katt[i] = idx->rd_index->indkey.values[i];
		sa->eqproc[i] = get_opcode(op);
	}
	op = get_opfamily_member(idx->rd_opfamily[nkeys - 1], idx->rd_opcintype[nkeys - 1],
							 idx->rd_opcintype[nkeys - 1], BTLessEqualStrategyNumber);
	if (!OidIsValid(op))
		elog(ERROR, "missing <= operator for the value of index %s", RelationGetRelationName(idx));
	sa->leproc = get_opcode(op);
	op = get_opfamily_member(idx->rd_opfamily[nkeys - 1], idx->rd_opcintype[nkeys - 1],
							 idx->rd_opcintype[nkeys - 1], BTGreaterEqualStrategyNumber);
	if (!OidIsValid(op))
		elog(ERROR, "missing >= operator for the value of index %s", RelationGetRelationName(idx));
	sa->geproc = get_opcode(op);
	sa->katt = katt;
	side_order_init(&sa->order, idx, nkeys);
	sa->vssup = &sa->order.ssup[nkeys - 1];

	/* the executor state the index insertions need (as execReplication.c) */
	sa->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = sideid;
	rte->relkind = side->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(sa->estate, list_make1(rte));
	sa->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(sa->rri, side, 1, NULL, 0);
	ExecOpenIndices(sa->rri, false);
	sa->cur = table_slot_create(side, NULL);
	sa->nxt = table_slot_create(side, NULL);
	sa->wslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	sa->values = palloc0(sizeof(Datum) * desc->natts);
	sa->nulls = palloc(sizeof(bool) * desc->natts);
}

/*
 * side_apply_start
 *		Begin the writes of sa: made in command cid (which snap, reading
 *		the side table, does not see), the index scans kept from group to
 *		group (their state lives as long as the current memory context,
 *		see side_scan_next()).
 */
static void
side_apply_start(SideApply *sa, Snapshot snap, CommandId cid)
{
	sa->estate->es_output_cid = cid;
	sa->snap = snap;
	sa->bscan = index_beginscan(sa->side, sa->idx, snap, sa->nkeys, 0);
	sa->fscan = index_beginscan(sa->side, sa->idx, snap, sa->nkeys, 0);
	sa->scancxt = CurrentMemoryContext;
	sa->gcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng side apply group",
									 ALLOCSET_DEFAULT_SIZES);
}

/*
 * the end of sa: its scans (if started) and executor state, the index
 * closed (its lock kept)
 */
static void
side_apply_finish(SideApply *sa)
{
	if (sa->bscan != NULL)
		index_endscan(sa->bscan);
	if (sa->fscan != NULL)
		index_endscan(sa->fscan);
	ExecDropSingleTupleTableSlot(sa->cur);
	ExecDropSingleTupleTableSlot(sa->nxt);
	ExecDropSingleTupleTableSlot(sa->wslot);
	ExecCloseIndices(sa->rri);
	FreeExecutorState(sa->estate);
	if (sa->gcxt != NULL)
		MemoryContextDelete(sa->gcxt);
	index_close(sa->idx, NoLock);
}

/*
 * side_apply_rights
 *		NULL when the current user may write side directly (owner, and
 *		SELECT, INSERT, UPDATE and DELETE on it, each on its own: a mask of
 *		several asks for any of them), else what is missing.
 */
static const char *
side_apply_rights(Oid sideid)
{
	static const AclMode rights[] = {ACL_SELECT, ACL_INSERT, ACL_UPDATE, ACL_DELETE};
	int			i;

	if (!pg_class_ownercheck(sideid, GetUserId()))
		return "the current user does not own the side table";
	for (i = 0; i < (int) lengthof(rights); i++)
		if (pg_class_aclcheck(sideid, GetUserId(), rights[i]) != ACLCHECK_OK)
			return "the current user lacks a right on the side table";
	return NULL;
}

/*
 * dataeng_internal._fact_side_apply(side regclass, measure int,
 *									  changes regclass) RETURNS SETOF record
 *		Add the per-value count changes of measure (rows of changes whose
 *		__m is measure: the side table's keys, __n the change, __v<measure>
 *		the value or an array of values, each changed by __n; several
 *		changes of one key and value are added up) to the chunks of the
 *		side table, as the header comment describes.  The column definition
 *		list: __tid tid, the keys, __m int, __n bigint, __ins boolean.
 */
Datum
dataeng_fact_side_apply(PG_FUNCTION_ARGS)
{
	Oid			sideid = PG_GETARG_OID(0);
	int32		measure = PG_GETARG_INT32(1);
	Oid			changesid = PG_GETARG_OID(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	side;
	Relation	idx;
	TupleDesc	desc;
	int			nkeys;			/* index key columns: the keys and the value */
	AclResult	acl;
	const char *reason;
	static const AclMode rights[] = {ACL_SELECT, ACL_INSERT, ACL_UPDATE, ACL_DELETE};
	Snapshot	snap;
	Datum	   *out;
	bool	   *outnull;
	SideChange *changes;
	SideApply	sa;
	Datum	   *cv;
	int64	   *cd;
	int64		n;
	int64		r;
	int			i;
	MemoryContext oldcxt;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	/* heap writes: refused where an INSERT or UPDATE would be */
	PreventCommandIfReadOnly("dataeng_internal._fact_side_apply()");
	PreventCommandIfParallelMode("dataeng_internal._fact_side_apply()");

	/* the owner first, by OID: no lock on a table the caller does not own */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sideid)) ||
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(changesid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the side table or the changes of _fact_side_apply() do not exist")));
	if (!pg_class_ownercheck(sideid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s to apply per-value counts to it",
						get_rel_name(sideid)),
				 errdetail("dataeng_internal._fact_side_apply() writes the rows of a fact's side table directly, without the checks of an INSERT or UPDATE."),
				 errhint("Refresh the fact with dataeng.fact_refresh(): it applies them as the fact's owner.")));
	side = table_open(sideid, RowExclusiveLock);
	desc = RelationGetDescr(side);
	/* each right on its own (a mask of several asks for any of them) */
	for (i = 0; i < (int) lengthof(rights); i++)
	{
		acl = pg_class_aclcheck(sideid, GetUserId(), rights[i]);
		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(side));
	}
	reason = side_apply_reason(side, measure, &idx);
	if (reason != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the side table %s cannot be written directly", RelationGetRelationName(side)),
				 errdetail("Direct heap writes would skip what the table asks for: %s.", reason),
				 errhint("A refresh applies its per-value counts with SQL then (dataeng_internal._fact_side_upsert_sql() chooses).")));
	CheckCmdReplicaIdentity(side, CMD_UPDATE);
	CheckCmdReplicaIdentity(side, CMD_DELETE);

	nkeys = idx->rd_index->indnkeyatts;
	if (rsinfo->setDesc->natts != nkeys - 1 + 4)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the column definition list of _fact_side_apply() has %d columns, expected %d",
						rsinfo->setDesc->natts, nkeys - 1 + 4)));

	/* the column definition list: the types of the rows put out */
	for (i = 0; i < rsinfo->setDesc->natts; i++)
	{
		Oid			want;

		if (i == 0)
			want = TIDOID;
		else if (i < nkeys)
			want = TupleDescAttr(desc, idx->rd_index->indkey.values[i - 1] - 1)->atttypid;
		else if (i == nkeys)
			want = INT4OID;
		else if (i == nkeys + 1)
			want = INT8OID;
		else
			want = BOOLOID;
		if (TupleDescAttr(rsinfo->setDesc, i)->atttypid != want)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column %d of the column definition list of _fact_side_apply() is of type %s, expected %s",
							i + 1, format_type_be(TupleDescAttr(rsinfo->setDesc, i)->atttypid),
							format_type_be(want))));
	}

	side_apply_init(&sa, side, idx, measure);
	out = palloc0(sizeof(Datum) * rsinfo->setDesc->natts);
	outnull = palloc0(sizeof(bool) * rsinfo->setDesc->natts);

	CommandCounterIncrement();
	/* one command for every write, which the snapshot does not see */
	snap = RegisterSnapshot(GetLatestSnapshot());

	/* the changes, in the index's order (those of a pair one after another) */
	changes = side_read_changes(side, changesid, measure, sa.katt, nkeys, snap, &sa.order, &n);
	cv = palloc(sizeof(Datum) * Max(n, 1));
	cd = palloc(sizeof(int64) * Max(n, 1));

	/* (the scans live as long as the function: their state is kept) */
	side_apply_start(&sa, snap, GetCurrentCommandId(true));

	for (r = 0; r < n;)
	{
		SideChange *g = &changes[r];
		int			nc = 0;
		int64		gnet;

		CHECK_FOR_INTERRUPTS();
		/* the group's net changes: each value's rows added up, 0 left out */
		while (r < n && side_group_cmp(g, &changes[r], &sa.order) == 0)
		{
			SideChange *c = &changes[r];
			int64		delta = c->n;

			while (r + 1 < n && side_change_cmp(c, &changes[r + 1], &sa.order) == 0)
			{
				r++;
				if (unlikely(pg_add_s64_overflow(delta, changes[r].n, &delta)))
					side_count_overflow(&sa);
			}
			r++;
			/* no value (count(DISTINCT) counts none), or no net change */
			if (c->vnull || delta == 0)
				continue;
			cv[nc] = c->v;
			cd[nc] = delta;
			nc++;
		}
		if (nc == 0)
			continue;
		MemoryContextReset(sa.gcxt);
		oldcxt = MemoryContextSwitchTo(sa.gcxt);
		gnet = side_apply_group(&sa, g->keys, g->nulls, cv, cd, nc, snap);
		MemoryContextSwitchTo(oldcxt);
		side_put_group(rsinfo, g, gnet, nkeys, measure, out, outnull);
	}

	side_apply_finish(&sa);
	UnregisterSnapshot(snap);
	table_close(side, NoLock);
	CommandCounterIncrement();
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 * The side apply within the fact's own apply (fact_apply.c)
 *
 * Where the fact's deltas are applied in C, the values of each
 * count(DISTINCT) measure that came and went are applied to its side table
 * in the same pass, group by group, straight from the deltas' arrays
 * (their columns __v_in_<i> and __v_out_<i>): no table of changes written
 * and read again, no row per group put out and added up again by SQL, no
 * join of those to the deltas.  The change of the group's count comes back
 * as a number, added to the fact's column as a count is.
 *-------------------------------------------------------------------------
 */

/* one value that came (+1) or went (-1) of a group */
typedef struct SideValue
{
	Datum		v;
	int64		n;
} SideValue;

struct SideDeltaApply
{
	SideApply	sa;
	const AttrNumber *fkatt;	/* per index key but the last: the fact's column */
	Datum	   *keys;
	bool	   *knulls;
	SideValue  *vals;
	int			maxvals;
	Datum	   *cv;
	int64	   *cd;
};

static int
side_value_cmp_arg(const void *a, const void *b, void *arg)
{
	return ApplySortComparator(((const SideValue *) a)->v, false,
							   ((const SideValue *) b)->v, false, (SortSupport) arg);
}

/*
 * side_delta_open
 *		A side apply of measure to side table sideid within the fact apply
 *		of fact (its storage table, opened): the side's group keys are the
 *		fact's columns of their names, of the same types and collations, and
 *		the deltas' arrays of values (vin, vout in deltas) arrays of the
 *		measure's value type.  NULL, with *reason set, when the side table
 *		cannot be written directly (side_apply_reason(), the current user's
 *		rights) or does not match so: the refresh applies its counts with
 *		SQL then.  Checked before anything is written.
 */
SideDeltaApply *
side_delta_open(Oid sideid, int32 measure, Relation fact, Relation deltas, AttrNumber vin,
				AttrNumber vout, const char **reason)
{
	SideDeltaApply *s;
	Relation	side;
	Relation	idx;
	AttrNumber *fkatt;
	TupleDesc	dd = RelationGetDescr(deltas);
	Oid			vtype;
	int			nkeys;
	int			i;

	*reason = NULL;
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sideid)))
	{
		*reason = "the side table does not exist";
		return NULL;
	}
	/* (no lock on a table the caller does not own) */
	*reason = side_apply_rights(sideid);
	if (*reason != NULL)
		return NULL;
	side = table_open(sideid, RowExclusiveLock);
	*reason = side_apply_reason(side, measure, &idx);
	if (*reason != NULL)
	{
		if (idx != NULL)
			index_close(idx, RowExclusiveLock);
		table_close(side, RowExclusiveLock);
		return NULL;
	}
	nkeys = idx->rd_index->indnkeyatts;
	fkatt = palloc(sizeof(AttrNumber) * nkeys);
	for (i = 0; i < nkeys - 1 && *reason == NULL; i++)
	{
		Form_pg_attribute sa = TupleDescAttr(RelationGetDescr(side), idx->rd_index->indkey.values[i] - 1);
		AttrNumber	f = get_attnum(RelationGetRelid(fact), NameStr(sa->attname));
		Form_pg_attribute fa = f > 0 ? TupleDescAttr(RelationGetDescr(fact), f - 1) : NULL;

		if (fa == NULL || fa->atttypid != sa->atttypid || fa->atttypmod != sa->atttypmod ||
			fa->attcollation != sa->attcollation)
			*reason = "a key of the side table is not a column of the fact's table of its type";
		fkatt[i] = f;
	}
	vtype = TupleDescAttr(RelationGetDescr(side), idx->rd_index->indkey.values[nkeys - 1] - 1)->atttypid;
	if (*reason == NULL &&
		(vin <= 0 || vout <= 0 || vin > dd->natts || vout > dd->natts ||
		 TupleDescAttr(dd, vin - 1)->atttypid != get_array_type(vtype) ||
		 TupleDescAttr(dd, vout - 1)->atttypid != get_array_type(vtype) ||
		 !OidIsValid(get_array_type(vtype))))
		*reason = "the deltas' values of a count(DISTINCT) are not arrays of the side table's values";
	if (*reason == NULL)
	{
		CheckCmdReplicaIdentity(side, CMD_UPDATE);
		CheckCmdReplicaIdentity(side, CMD_DELETE);
	}
	if (*reason != NULL)
	{
		index_close(idx, RowExclusiveLock);
		table_close(side, RowExclusiveLock);
		return NULL;
	}
	s = palloc0(sizeof(SideDeltaApply));
	side_apply_init(&s->sa, side, idx, measure);
	s->fkatt = fkatt;
	s->keys = palloc(sizeof(Datum) * nkeys);
	s->knulls = palloc(sizeof(bool) * nkeys);
	return s;
}

/* begin the writes of s, in command cid, its scans reading with snap */
void
side_delta_start(SideDeltaApply *s, Snapshot snap, CommandId cid)
{
	side_apply_start(&s->sa, snap, cid);
}

/* the values of array a (NULL ones left out) appended to s->vals, each n */
static int
side_delta_values(SideDeltaApply *s, Datum a, int k, int64 n)
{
	SideApply  *sa = &s->sa;
	ArrayType  *arr = DatumGetArrayTypeP(a);
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	int			e;

	if (ARR_ELEMTYPE(arr) != sa->vtype)
		elog(ERROR, "the values of a count(DISTINCT) are not of the side table's type");
	deconstruct_array(arr, sa->vtype, sa->vlen, sa->vbyval, sa->valign, &elems, &enulls, &nelems);
	if (k + nelems > s->maxvals)
	{
		int			want = Max(k + nelems, Max(64, 2 * s->maxvals));

		s->vals = s->vals == NULL ?
			MemoryContextAlloc(sa->scancxt, sizeof(SideValue) * want) :
			repalloc_huge(s->vals, sizeof(SideValue) * want);
		s->cv = s->cv == NULL ?
			MemoryContextAlloc(sa->scancxt, sizeof(Datum) * want) :
			repalloc_huge(s->cv, sizeof(Datum) * want);
		s->cd = s->cd == NULL ?
			MemoryContextAlloc(sa->scancxt, sizeof(int64) * want) :
			repalloc_huge(s->cd, sizeof(int64) * want);
		s->maxvals = want;
	}
	for (e = 0; e < nelems; e++)
	{
		/* (no value: count(DISTINCT) counts none) */
		if (enulls[e])
			continue;
		s->vals[k].v = elems[e];
		s->vals[k].n = n;
		k++;
	}
	return k;
}

/*
 * side_delta_group
 *		Apply to the side table the values that came (array in) and went
 *		(array out; either NULL for none) of the group whose fact row (in
 *		the storage table's shape) is fv/fn: the values netted, each
 *		value's +1 and -1 added up and those netting to 0 left out, then
 *		merged into the group's chunks (side_apply_group()).  Returns the
 *		change of the group's count of values.
 */
int64
side_delta_group(SideDeltaApply *s, const Datum *fv, const bool *fn, Datum in, bool in_null,
				 Datum out, bool out_null)
{
	SideApply  *sa = &s->sa;
	MemoryContext oldcxt;
	int64		gnet = 0;
	int			k = 0;
	int			nc = 0;
	int			i;

	if (in_null && out_null)
		return 0;
	MemoryContextReset(sa->gcxt);
	oldcxt = MemoryContextSwitchTo(sa->gcxt);
	for (i = 0; i < sa->nkeys - 1; i++)
	{
		s->keys[i] = fv[s->fkatt[i] - 1];
		s->knulls[i] = fn[s->fkatt[i] - 1];
	}
	if (!in_null)
		k = side_delta_values(s, in, k, 1);
	if (!out_null)
		k = side_delta_values(s, out, k, -1);
	if (k > 1)
		qsort_arg(s->vals, k, sizeof(SideValue), side_value_cmp_arg, sa->vssup);
	for (i = 0; i < k;)
	{
		Datum		v = s->vals[i].v;
		int64		n = 0;

		/* (a +1 or -1 per row image of the group: no overflow) */
		do
			n += s->vals[i++].n;
		while (i < k && side_vcmp(sa, s->vals[i].v, v) == 0);
		if (n != 0)
		{
			s->cv[nc] = v;
			s->cd[nc] = n;
			nc++;
		}
	}
	if (nc > 0)
		gnet = side_apply_group(sa, s->keys, s->knulls, s->cv, s->cd, nc, sa->snap);
	MemoryContextSwitchTo(oldcxt);
	return gnet;
}

/*
 * the end of s (started or not: the fact apply closes those it opened when
 * a later one cannot be written directly); the side table stays locked
 */
void
side_delta_close(SideDeltaApply *s)
{
	Relation	side = s->sa.side;

	side_apply_finish(&s->sa);
	table_close(side, NoLock);
}
