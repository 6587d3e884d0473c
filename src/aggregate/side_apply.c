/*-------------------------------------------------------------------------
 *
 * side_apply.c
 *		Apply the net per-value count changes of a fact's count(DISTINCT)
 *		measure to its side table (<fact>_distinct) with direct index
 *		lookups and heap writes, as the logical replication apply worker
 *		does (src/backend/executor/execReplication.c).
 *
 * A refresh lists the values that came and went (pg_temp._dataeng_dc,
 * built by _fact_side_changes_sql()): per group an array of the values
 * that came, +1 each, and one of those that went, -1 each (a table of a
 * value per row, as tests and callers may pass, is read as well).  They
 * are read here straight from that table (no SQL), each array's values
 * one by one, and sorted in memory in the order
 * of the measure's unique index (its columns' btree comparisons under
 * their collations, as the index sorts), so the rows of one group and
 * value come one after another and are added up into its net change (many
 * cancel: a value updated away and back, a row moved within its group).  A
 * pair whose changes cancel writes nothing.  (The sort was an SQL ORDER BY
 * read through SPI before, and before that a GROUP BY netted the rows.)
 *
 * The SQL way to add them, INSERT ... ON CONFLICT DO UPDATE, spends most
 * of its time in its machinery rather than in the writes: per value a
 * pre-check that scans the arbiter index (and every dead version its
 * entries lead to), a row lock (a WAL record of its own) and then the
 * update, whose new version takes a new index entry.  Here, per value:
 *
 *	 one lookup in the measure's unique index, from the leaf page where
 *	 the previous one ended (the pairs come in its order: see "The
 *	 lookups' walk" below), then
 *	 - found, count + change > 0: the row updated; the count is no index
 *	   column, so the update is HOT when its page has room;
 *	 - found, count + change <= 0: the row deleted (a value no row has any
 *	   more is not kept);
 *	 - not found, change > 0: a row inserted, with its index entries.  The
 *	   rows of values new to their groups are inserted together, up to
 *	   SIDE_INSERT_BATCH at a time, with heap_multi_insert() (one WAL
 *	   record a batch that fits on one page), then their index entries,
 *	   each checked unique as an INSERT's.

 * Every write is an ordinary heap write in the refresh's transaction
 * (WAL-logged, undone by its abort): the refresh stays crash safe and
 * exactly once.  The writes are made as the current user (the fact's
 * owner during a refresh), who must own the side table and hold SELECT,
 * INSERT, UPDATE and DELETE on it.  Heap writes compute no default, no
 * generated column and fire no rule, trigger or policy, and check only
 * NOT NULL: the side table must be exactly what _fact_side_create() makes
 * (its columns, no defaults, constraints, rules, triggers, row security,
 * children; side_apply_reason() says), else the SQL upsert applies the
 * counts (_fact_side_upsert_sql() chooses, through
 * _fact_side_apply_reason()).  An update or delete waits for a
 * transaction writing its row; a row another transaction changed meanwhile
 * fails the refresh with a serialization failure (40001).
 *
 * The function returns the change of each group's count(DISTINCT) by
 * values that appeared in it (a row inserted) or left it (a row deleted),
 * as rows pg_temp._dataeng_dc_ret adds up per group (the upsert returns a
 * row per pair there, which the refresh adds up the same way): a row (no
 * tid, __n 1, inserted) per value more, one (no tid, __n 0, not inserted)
 * per value less, netted per group, so a group whose values appeared and
 * left in equal numbers puts out nothing.  Its rows have no tid: a row
 * this function empties it deletes itself.

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
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
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
#include "aggregate/btwalk.h"

/*
 * Rows of values new to their groups inserted together.  A few: their
 * index entries then go in right after the lookups that found them absent
 * read the same leaf pages (still in the CPU's caches), where a batch of
 * 1,000 inserted them some 2,000 lookups later.  At 2,000,000 source rows
 * (docs/facts.md, "The apply profiled once more, and the target") batches
 * of 8 or 64 took the refresh's CPU time 8 to 14% below batches of 1,000,
 * and 8 rows about 5% below one row at a time.
 */
#define SIDE_INSERT_BATCH 8

PG_FUNCTION_INFO_V1(dataeng_fact_side_apply);
PG_FUNCTION_INFO_V1(dataeng_fact_side_apply_reason);

/*
 * find_measure_index
 *		The unique index of side whose last key column is vattno (the value
 *		column of one measure: its index is partial, WHERE __m = measure),
 *		opened with RowExclusiveLock; NULL when there is none.
 */
static Relation
find_measure_index(Relation side, AttrNumber vattno)
{
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
			if (plain)
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
 *		Whether name is __v<n>, n > 0: the value column of a count(DISTINCT)
 *		measure (one per measure, made by _fact_side_create()).
 */
static bool
is_value_column(const char *name)
{
	const char *p;

	if (strncmp(name, "__v", 3) != 0 || name[3] < '1' || name[3] > '9')
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
	idx = find_measure_index(side, vattno);
	if (idx == NULL)
		return "the side table has no unique index on the measure's values";
	*idxp = idx;

	/*
	 * Its columns: the index's keys and value, __m int, __n bigint and the
	 * values of the other measures (written NULL, so not NOT NULL); none
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
			if (a->atttypid != INT8OID)
				return "column __n of the side table is not a bigint";
			written = true;
		}
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
	Datum	   *keys;
	bool	   *nulls;
	int64		n;
} SideChange;

/* the order of the measure's unique index, column by column */
typedef struct SideOrder
{
	int			nkeys;
	SortSupport ssup;
} SideOrder;

static int
side_change_cmp(const void *a, const void *b, void *arg)
{
	const SideChange *x = (const SideChange *) a;
	const SideChange *y = (const SideChange *) b;
	SideOrder  *o = (SideOrder *) arg;
	int			i;

	for (i = 0; i < o->nkeys; i++)
	{
		int			c = ApplySortComparator(x->keys[i], x->nulls[i], y->keys[i], y->nulls[i],
											&o->ssup[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/* whether a and b are of one group (all the index's columns but the value) */
static int
side_group_cmp(const SideChange *a, const SideChange *b, SideOrder *o)
{
	int			i;

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
	int			v = o->nkeys - 1;

	return ApplySortComparator(x->keys[v], x->nulls[v], y->keys[v], y->nulls[v], &o->ssup[v]);
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
	keys = palloc(sizeof(Datum) * nkeys);
	knulls = palloc(sizeof(bool) * nkeys);
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
		/* the row's keys (and value), copied */
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
			c->keys = palloc(sizeof(Datum) * nkeys);
			c->nulls = palloc(sizeof(bool) * nkeys);
			/* (the keys' copies shared by the values of a row) */
			memcpy(c->keys, keys, sizeof(Datum) * (nkeys - 1));
			memcpy(c->nulls, knulls, sizeof(bool) * (nkeys - 1));
			if (arrays)
			{
				c->keys[nkeys - 1] = datumCopy(elems[e], vbyval, vlen);
				c->nulls[nkeys - 1] = false;
			}
			else
			{
				c->keys[nkeys - 1] = keys[nkeys - 1];
				c->nulls[nkeys - 1] = knulls[nkeys - 1];
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

		/* the runs of one group, one after another */
		for (q = r; q < nruns &&
			 (q == r || side_group_cmp(&changes[runs[r].start], &changes[runs[q].start], order) == 0); q++)
		{
			memcpy(&sorted[k], &changes[runs[q].start], sizeof(SideChange) * runs[q].len);
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
 * The lookups' walk along the leaves of the measure's unique index
 *
 * The pairs are looked up in the index's order, each after the one
 * before (the changes are sorted by the index's comparisons and a pair's
 * rows added up into one); with a few percent of the side rows changed,
 * several of them on each leaf page.  Each lookup walks the index's leaves
 * from where the previous one ended (btwalk.c, as the dimensions' lookups
 * do); the rows its entries lead to are fetched as an index scan fetches
 * them.  Only with an index whose entries are ordered by key and heap TID
 * (not one built before PostgreSQL 12 and upgraded in place): else each
 * pair is looked up with an index scan.
 *-------------------------------------------------------------------------
 */

/*
 * side_insert_batch
 *		Insert the rows in islots (values new to their groups) with
 *		heap_multi_insert(), then their index entries, each checked unique
 *		as an INSERT's are.
 */
static void
side_insert_batch(Relation side, ResultRelInfo *rri, EState *estate, TupleTableSlot **islots,
				  int ninsert)
{
	int			i;

	heap_multi_insert(side, islots, ninsert, estate->es_output_cid, 0, NULL);
	for (i = 0; i < ninsert; i++)
	{
		(void) ExecInsertIndexTuples(rri, islots[i], estate, false, false, NULL, NIL);
		ResetPerTupleExprContext(estate);
		ExecClearTuple(islots[i]);
	}
}

/*
 * side_put_group
 *		Put out the change of the count(DISTINCT) of the group of g (its
 *		keys: the index's columns but the last) by net values, as rows the
 *		refresh adds up (pg_temp._dataeng_dc_ret, summed per group as
 *		__ins ? (__n > 0) : -(__n <= 0)): one row (no tid, __n 1, inserted)
 *		per value more, one (no tid, __n 0, not inserted) per value less.
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
	out[nkeys + 1] = Int64GetDatum(net > 0 ? 1 : 0);
	outnull[nkeys + 1] = false;
	out[nkeys + 2] = BoolGetDatum(net > 0);
	outnull[nkeys + 2] = false;
	for (; net != 0; net += (net > 0 ? -1 : 1))
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, outnull);
}

/*
 * dataeng_internal._fact_side_apply(side regclass, measure int,
 *									  changes regclass) RETURNS SETOF record
 *		Add the per-value count changes of measure (rows of changes whose
 *		__m is measure: the side table's keys, __n the change, __v<measure>
 *		the value or an array of values, each changed by __n; several
 *		changes of one key and value are added up) to the
 *		side table, as the header comment describes.  The
 *		column definition list: __tid tid, the keys, __m int, __n bigint,
 *		__ins boolean.
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
	AttrNumber	mattno;
	AttrNumber	nattno;
	int			nkeys;			/* index key columns: the keys and the value */
	AttrNumber *katt;
	ScanKeyData *skey;
	RegProcedure *eqproc;
	AclResult	acl;
	const char *reason;
	static const AclMode rights[] = {ACL_SELECT, ACL_INSERT, ACL_UPDATE, ACL_DELETE};
	EState	   *estate;
	ResultRelInfo *rri;
	RangeTblEntry *rte;
	TupleTableSlot *slot;
	TupleTableSlot *nslot;
	Snapshot	snap;
	Datum	   *values;
	bool	   *nulls;
	bool	   *repl;
	Datum	   *out;
	bool	   *outnull;
	SideOrder	order;
	SideChange *changes;
	int64		n;
	int64		r;
	BtWalk		w;
	bool		walk;
	IndexFetchTableData *fetch = NULL;
	TupleTableSlot **islots;
	int			ninsert = 0;
	SideChange *gcur = NULL;	/* the group of the pairs being applied */
	int64		gnet = 0;		/* its values more, less its values less */
	int			i;
	MemoryContext rowcxt;
	MemoryContext batchcxt;
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
				 errhint("A refresh applies its per-value counts with an upsert then (dataeng_internal._fact_side_upsert_sql() chooses).")));
	CheckCmdReplicaIdentity(side, CMD_UPDATE);
	CheckCmdReplicaIdentity(side, CMD_DELETE);

	mattno = get_attnum(sideid, "__m");
	nattno = get_attnum(sideid, "__n");
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

	/* the scan keys: the equality of each column's opclass, its collation */
	katt = palloc(sizeof(AttrNumber) * nkeys);
	skey = palloc(sizeof(ScanKeyData) * nkeys);
	eqproc = palloc(sizeof(RegProcedure) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		Oid			op = get_opfamily_member(idx->rd_opfamily[i], idx->rd_opcintype[i],
											 idx->rd_opcintype[i], BTEqualStrategyNumber);

		if (!OidIsValid(op))
			elog(ERROR, "missing equality operator for column %d of index %s", i + 1,
				 RelationGetRelationName(idx));
		katt[i] = idx->rd_index->indkey.values[i];
		eqproc[i] = get_opcode(op);
	}
	side_order_init(&order, idx, nkeys);

	/* the executor state the index insertions need (as execReplication.c) */
	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = sideid;
	rte->relkind = side->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, side, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	slot = table_slot_create(side, NULL);
	nslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);
	islots = palloc(sizeof(TupleTableSlot *) * SIDE_INSERT_BATCH);
	for (i = 0; i < SIDE_INSERT_BATCH; i++)
		islots[i] = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);

	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	repl = palloc0(sizeof(bool) * desc->natts);
	out = palloc0(sizeof(Datum) * rsinfo->setDesc->natts);
	outnull = palloc0(sizeof(bool) * rsinfo->setDesc->natts);
	repl[nattno - 1] = true;

	CommandCounterIncrement();
	/* one command for every write, which the snapshot does not see */
	estate->es_output_cid = GetCurrentCommandId(true);
	snap = RegisterSnapshot(GetLatestSnapshot());

	/* the changes, in the index's order (those of a pair one after another) */
	changes = side_read_changes(side, changesid, measure, katt, nkeys, snap, &order, &n);

	walk = btwalk_begin(&w, idx, IndexRelationGetNumberOfKeyAttributes(idx));
	if (walk)
		fetch = table_index_fetch_begin(side);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng side apply row",
								   ALLOCSET_DEFAULT_SIZES);
	batchcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng side apply inserts",
									 ALLOCSET_DEFAULT_SIZES);

	for (r = 0; r < n; r++)
	{
		SideChange *c = &changes[r];
		bool		isnull;
		int64		delta = c->n;
		bool		found = false;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		oldcxt = MemoryContextSwitchTo(rowcxt);
		/* a new group: the change of the one before put out */
		if (gcur == NULL || side_group_cmp(gcur, c, &order) != 0)
		{
			side_put_group(rsinfo, gcur, gnet, nkeys, measure, out, outnull);
			gcur = c;
			gnet = 0;
		}
		/* the following rows of the same (group, value), added up */
		while (r + 1 < n && side_change_cmp(c, &changes[r + 1], &order) == 0)
		{
			r++;
			delta += changes[r].n;
		}
		/* no value, or no net change: nothing counted, nothing written */
		if (c->nulls[nkeys - 1] || delta == 0)
		{
			MemoryContextSwitchTo(oldcxt);
			continue;
		}
		for (i = 0; i < nkeys; i++)
		{
			values[katt[i] - 1] = c->keys[i];
			nulls[katt[i] - 1] = c->nulls[i];
		}

		/* its row, if the group has the value */
		if (walk)
		{
			btwalk_tids(&w, c->keys, c->nulls, true, snap);
			for (i = 0; i < w.ntids && !found; i++)
			{
				ItemPointerData tid = w.tids[i];
				bool		call_again = false;
				bool		all_dead = false;

				if (table_index_fetch_tuple(fetch, &tid, snap, slot, &call_again, &all_dead))
				{
					int32		m = DatumGetInt32(slot_getattr(slot, mattno, &isnull));

					found = !isnull && m == measure;
				}
			}
			if (found)
				pgstat_count_heap_fetch(idx);
		}
		else
		{
			IndexScanDesc scan;

			for (i = 0; i < nkeys; i++)
			{
				if (c->nulls[i])
					ScanKeyEntryInitialize(&skey[i], SK_ISNULL | SK_SEARCHNULL, i + 1,
										   InvalidStrategy, InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
				else
					ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber,
										   idx->rd_opcintype[i], idx->rd_indcollation[i], eqproc[i],
										   c->keys[i]);
			}
			/* (read in this context: the scan keeps what it allocates) */
			MemoryContextSwitchTo(oldcxt);
			scan = index_beginscan(side, idx, snap, nkeys, 0);
			index_rescan(scan, skey, nkeys, NULL, 0);
			while (index_getnext_slot(scan, ForwardScanDirection, slot))
			{
				int32		m = DatumGetInt32(slot_getattr(slot, mattno, &isnull));

				if (isnull || m != measure)
					continue;
				found = true;
				break;
			}
			index_endscan(scan);
			MemoryContextSwitchTo(rowcxt);
		}

		if (found)
		{
			ItemPointerData otid = slot->tts_tid;
			TM_FailureData tmfd;
			LockTupleMode lockmode;
			TM_Result	res;
			int64		cnt = DatumGetInt64(slot_getattr(slot, nattno, &isnull));

			/*
			 * heap_update()/heap_delete() wait for a transaction writing the
			 * row; one that changed or deleted it meanwhile fails the
			 * refresh with a serialization failure (side tables are written
			 * only by their fact's refreshes, which are serialised).  No
			 * row lock first: it would cost a WAL record per row.
			 */
			if (isnull)
				cnt = 0;
			cnt += delta;
			if (cnt <= 0)
			{
				res = heap_delete(side, &otid, estate->es_output_cid, InvalidSnapshot,
								  true, &tmfd, false);
				side_write_check(side, res);
				gnet--;			/* a value gone from its group */
			}
			else
			{
				bool		shouldFree;
				HeapTuple	old = ExecFetchSlotHeapTuple(slot, false, &shouldFree);
				HeapTuple	newt;

				values[nattno - 1] = Int64GetDatum(cnt);
				nulls[nattno - 1] = false;
				newt = heap_modify_tuple(old, desc, values, nulls, repl);
				if (shouldFree)
					heap_freetuple(old);
				res = heap_update(side, &otid, newt, estate->es_output_cid, InvalidSnapshot,
								  true, &tmfd, &lockmode);
				side_write_check(side, res);
				if (!HeapTupleIsHeapOnly(newt))
				{
					ExecStoreHeapTuple(newt, nslot, false);
					(void) ExecInsertIndexTuples(rri, nslot, estate, true, false, NULL, NIL);
					ResetPerTupleExprContext(estate);
				}
			}
		}
		else if (delta > 0)
		{
			/*
			 * A value new to its group: its row is inserted with the batch
			 * (several on each heap page, one WAL record a page), its index
			 * entries after, each checked unique as an INSERT's are.
			 */
			Datum	   *iv;
			bool	   *in;

			MemoryContextSwitchTo(batchcxt);
			iv = palloc0(sizeof(Datum) * desc->natts);
			in = palloc(sizeof(bool) * desc->natts);
			memset(in, true, sizeof(bool) * desc->natts);
			for (i = 0; i < nkeys; i++)
			{
				Form_pg_attribute ka = TupleDescAttr(desc, katt[i] - 1);

				iv[katt[i] - 1] = c->nulls[i] ? (Datum) 0 :
					datumCopy(c->keys[i], ka->attbyval, ka->attlen);
				in[katt[i] - 1] = c->nulls[i];
			}
			iv[mattno - 1] = Int32GetDatum(measure);
			in[mattno - 1] = false;
			iv[nattno - 1] = Int64GetDatum(delta);
			in[nattno - 1] = false;
			ExecStoreHeapTuple(heap_form_tuple(desc, iv, in), islots[ninsert], false);
			if (desc->constr != NULL)
			{
				/* NOT NULL (the shape allows no other constraint) */
				ExecConstraints(rri, islots[ninsert], estate);
			}
			gnet++;				/* a value new to its group */
			ninsert++;
			if (ninsert == SIDE_INSERT_BATCH)
			{
				side_insert_batch(side, rri, estate, islots, ninsert);
				ninsert = 0;
				MemoryContextReset(batchcxt);
			}
		}
		/* (a value that was not there going away: nothing to undo) */
		ExecClearTuple(nslot);
		ExecClearTuple(slot);
		MemoryContextSwitchTo(oldcxt);
	}
	side_put_group(rsinfo, gcur, gnet, nkeys, measure, out, outnull);
	if (ninsert > 0)
		side_insert_batch(side, rri, estate, islots, ninsert);

	UnregisterSnapshot(snap);
	if (walk)
		table_index_fetch_end(fetch);
	ExecDropSingleTupleTableSlot(slot);
	ExecDropSingleTupleTableSlot(nslot);
	for (i = 0; i < SIDE_INSERT_BATCH; i++)
		ExecDropSingleTupleTableSlot(islots[i]);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	index_close(idx, NoLock);
	table_close(side, NoLock);
	CommandCounterIncrement();
	return (Datum) 0;
}
