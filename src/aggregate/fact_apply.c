/*-------------------------------------------------------------------------
 *
 * fact_apply.c
 *		Apply a fact refresh's group deltas to the fact's storage table with
 *		direct key-index lookups and heap writes, in place of the MERGE of
 *		_fact_merge_sql() (sql/facts.sql), for facts whose measures are all
 *		counts and sums kept as deltas (avg: a hidden sum and count, and the
 *		generated column computed from them), min/max kept with their
 *		reserves (reserve.c) and count(DISTINCT)s kept with per-value counts
 *		in the fact's side table (side_apply.c).
 *
 * The deltas (the refresh's pg_temp._dataeng_delta_raw: one row per group,
 * its keys k0, k1, ..., its __rows and the delta of each measure column,
 * and one total row, is_total, skipped here) are read straight from their
 * table, or from the memory where the fold held them for this apply
 * (held.c: then the table has only the total row), and sorted in memory
 * in the order of the fact's key index (its columns' btree comparisons),
 * then looked up one after another with the leaf walk of btwalk.c (from
 * the leaf where the previous lookup ended).
 * They are read a part at a time, as many as fit in maintenance_work_mem
 * (or work_mem times hash_mem_multiplier if larger), each part sorted and
 * applied before the next is read (its walk from the index's root).
 * Per group, as the MERGE's three branches:
 *
 *	 - found, f.__rows + d.__rows <= 0: the row deleted;
 *	 - found otherwise: the row updated: __rows and every count (and the
 *	   count of non-NULL values of each sum) added, each sum set by the
 *	   MERGE's rule (NULL when its count of values becomes 0, else the sum
 *	   of the two, a NULL side taken as the other), each min/max and its
 *	   reserve made from the stored reserve and count and the values that
 *	   came and went (agg_reserve_make(), as the MERGE's
 *	   _fact_reserve_first() and _fact_reserve_checked() make them, a
 *	   reserve run out counted for the recompute after the apply),
 *	   generated columns computed again by the executor's own function,
 *	   NOT NULL and CHECK constraints checked; index entries only when the
 *	   update is not HOT;
 *	 - not found, d.__rows > 0: a row inserted (a sum of no value left,
 *	   0 or NaN, NULL as the MERGE makes it; each min/max made from the
 *	   values that came and went), with its index entries, each
 *	   checked unique as an INSERT's.
 *
 * A count(DISTINCT)'s column changes by what its side table says: for
 * each batch of groups, before their lookups, each group's values that
 * came and went (the deltas' arrays of them) are merged into its chunks
 * of the side table (side_delta_group()), which gives the change of the
 * group's count of values, added as a count is.  The side table is
 * checked as _fact_side_apply() checks it before anything is written; one
 * that asks for more leaves the whole apply to SQL.
 *
 * What it saves against the MERGE (docs/facts.md, "Cost model"): a
 * descent of the key index from its root per group, the sort of the
 * deltas' copies, and the executor's work per row (a join, the
 * projection of the SET list, the whole-row copy of each delta).  The heap
 * fetches and updates, their pruning and WAL, are the same.
 *
 * The groups go APPLY_BATCH at a time (docs/facts.md, "Cost model"): first
 * their lookups, one after another with the leaf held between them
 * (btwalk_hold(): nothing else happens meanwhile), then, for each group
 * found, its heap page looked up in the buffer pool (PrefetchBuffer(), which
 * also starts reading a page not there) and the parts of it the fetch and
 * update will touch asked of the CPU ahead (prefetch instructions: the
 * page's header, the row's line pointer and the row, the free space the new
 * version goes to), then the groups fetched and written one by one.  With
 * groups spread over most of the fact's pages, each page's memory is
 * otherwise first touched, and waited for, by the fetch of the row and again
 * by its update; asked for together, a batch's pages come in at once.  The
 * prefetches change nothing but what the CPU holds in its caches: the page
 * found may have been replaced meanwhile (it is only read for hints, never
 * pinned), and the fetch reads it again, pinned and locked, as before:
 * from the buffer where the prefetch found it (ReadRecentBuffer(), which
 * checks that the buffer still holds the page), without looking the page
 * up in the buffer pool's table a second time (apply_fetch()).
 *
 * Every write is an ordinary heap write in the refresh's transaction:
 * crash safe and undone by its abort.  The writes are made as the current
 * user (the fact's owner during a refresh), who must own the storage table
 * and hold SELECT, INSERT, UPDATE and DELETE on it.  The function writes
 * nothing and returns why when the table asks for more than it does
 * (fact_apply_reason(): rules, triggers, row security, defaults, identity
 * or domain columns, exclusion or deferred indexes, a column it does not
 * know, types it does not add up); the refresh then runs the MERGE.  An
 * update or delete waits for a transaction writing its row; a row another
 * transaction changed meanwhile fails the refresh with a serialization
 * failure (40001), where the MERGE would apply the delta to the row's new
 * version: only refreshes write a fact, and they are serialised.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "executor/executor.h"
#include "executor/nodeHash.h"
#include "executor/nodeModifyTable.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "postmaster/walwriter.h"
#include "storage/buf_internals.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/sortsupport.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"
#include "aggregate/btwalk.h"

PG_FUNCTION_INFO_V1(dataeng_fact_apply);
PG_FUNCTION_INFO_V1(dataeng_fact_apply_last);

/* what a column of the storage table is to the apply */
typedef enum ApplyCol
{
	AC_OTHER = 0,				/* not known: no direct apply */
	AC_KEY,						/* a key column (the key index's) */
	AC_ADD,						/* __rows, a count: f + d */
	AC_SUM,						/* a sum: the MERGE's rule with its count */
	AC_GENERATED,				/* a stored generated column */
	AC_XVAL,					/* a min or max kept with its reserve */
	AC_XNN,						/* its count of non-NULL values */
	AC_XRES,					/* its reserve */
	AC_DC,						/* a count(DISTINCT): f + its change from the side apply */
	AC_DROPPED
} ApplyCol;

/*
 * A min or max kept with its reserve (reserve.c): the fact's columns of its
 * value, its count of non-NULL values and its reserve.  In a delta, as read
 * (read_deltas(): datt), the value's column holds the values that came, the
 * reserve's column those that went, and the count's its change.
 */
typedef struct ApplyExtreme
{
	AttrNumber	val;
	AttrNumber	nn;
	AttrNumber	res;
	int			k;				/* the reserve's size */
	bool		desc;			/* max */
	AggOrder	order;
} ApplyExtreme;

/*
 * A count(DISTINCT) kept with per-value counts: the fact's column of its
 * count, the deltas' columns of the values that came and went, and the
 * apply of those to its side table (side_apply.c).
 */
typedef struct ApplyDistinct
{
	AttrNumber	col;
	AttrNumber	vin;
	AttrNumber	vout;
	Oid			side;
	int32		measure;
	SideDeltaApply *s;
} ApplyDistinct;

typedef struct FactApply
{
	Relation	rel;
	Relation	idx;
	TupleDesc	desc;
	int			natts;
	int			nkeys;
	AttrNumber *katt;			/* the key index's columns, in its order */
	ApplyCol   *kind;			/* per storage column */
	AttrNumber *datt;			/* per storage column: the deltas' column */
	AttrNumber *sumn;			/* per AC_SUM column: its count's column */
	AttrNumber	rows;			/* __rows */
	bool		has_generated;
	int			nx;				/* the min and max kept with reserves */
	ApplyExtreme *x;
	int			ndc;			/* the count(DISTINCT)s kept with per-value counts */
	ApplyDistinct *dc;
} FactApply;

/* one group's delta, in the storage table's shape (keys and deltas set) */
typedef struct ApplyDelta
{
	Datum	   *v;
	bool	   *n;
	Datum	   *dv;				/* per count(DISTINCT): the values that came, went */
	bool	   *dn;
} ApplyDelta;

typedef struct ApplyOrder
{
	int			nkeys;
	AttrNumber *katt;
	SortSupport ssup;
} ApplyOrder;

/* what the last call of this backend did: NULL (none), "C" or the reason */
static char last_apply[256];

static void
set_last(const char *s)
{
	strlcpy(last_apply, s, sizeof(last_apply));
}

/*
 * text_array_names
 *		The elements of a text[] argument (no NULL element) as C strings.
 */
static char **
text_array_names(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;
	int			i;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * (*n + 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a column name passed to _fact_apply() is NULL")));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

/*
 * fact_apply_reason
 *		NULL when the deltas of table deltas (its key columns dkeys, in the
 *		order of keys, the fact's key columns) may be applied directly to
 *		the storage table fa->rel, its counts adds and sums sums (each with
 *		its count of values sumns) added up, its min and max (fa->nx, six
 *		names each in xnames: the fact's value, count and reserve columns,
 *		the deltas' values that came, count and values that went) made from
 *		their reserves, else why not (the MERGE applies them then).  Sets up
 *		fa, with the key index opened.
 */
static const char *
fact_apply_reason(FactApply *fa, Relation deltas, char **keys, char **dkeys, int nk,
				  char **adds, int nadd, char **sums, char **sumns, int nsum, char **xnames,
				  char **dcnames)
{
	Relation	rel = fa->rel;
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	desc = fa->desc;
	TupleDesc	dd = RelationGetDescr(deltas);
	Form_pg_class rd = rel->rd_rel;
	List	   *indexes;
	ListCell   *lc;
	int			i;
	int			j;

	if (rd->relkind != RELKIND_RELATION)
		return "the fact's table is not an ordinary table";
	if (rd->relam != HEAP_TABLE_AM_OID)
		return "the fact's table is not a heap table";
	if (rd->relispartition)
		return "the fact's table is a partition";
	if (rd->relhassubclass)
		return "the fact's table has inheritance children";
	/* (relhasrules and relhastriggers stay set after a drop, until VACUUM) */
	if (rel->rd_rules != NULL)
		return "the fact's table has rules";
	if (rel->trigdesc != NULL)
		return "the fact's table has triggers";
	if (rd->relrowsecurity || rd->relforcerowsecurity)
		return "the fact's table has row-level security";
	if (deltas->rd_rel->relkind != RELKIND_RELATION || deltas->rd_rel->relam != HEAP_TABLE_AM_OID ||
		deltas->rd_rel->relhassubclass || deltas->rd_rel->relrowsecurity)
		return "the deltas are not an ordinary heap table";

	/* its columns: what each is */
	for (i = 0; i < fa->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		const char *name = NameStr(a->attname);
		const char *dname = name;
		int			roles = 0;	/* the parts of the apply naming it */

		fa->kind[i] = AC_OTHER;
		if (a->attisdropped)
		{
			fa->kind[i] = AC_DROPPED;
			continue;
		}
		if (a->attgenerated == ATTRIBUTE_GENERATED_STORED)
		{
			fa->kind[i] = AC_GENERATED;
			fa->has_generated = true;
			continue;
		}
		if (a->attgenerated || a->atthasdef || a->attidentity)
			return "a column of the fact's table has a default or is an identity";
		if (get_typtype(a->atttypid) == TYPTYPE_DOMAIN)
			return "a column of the fact's table is of a domain type";
		for (j = 0; j < nk; j++)
			if (strcmp(name, keys[j]) == 0)
			{
				fa->kind[i] = AC_KEY;
				fa->datt[i] = get_attnum(RelationGetRelid(deltas), dkeys[j]);
				roles++;
			}
		if (strcmp(name, "__rows") == 0)
		{
			fa->kind[i] = AC_ADD;
			fa->rows = i + 1;
			roles++;
		}
		for (j = 0; j < nadd; j++)
			if (strcmp(name, adds[j]) == 0)
			{
				fa->kind[i] = AC_ADD;
				roles++;
			}
		for (j = 0; j < nsum; j++)
			if (strcmp(name, sumns[j]) == 0)
			{
				fa->kind[i] = AC_ADD;
				roles++;
			}
		for (j = 0; j < nsum; j++)
			if (strcmp(name, sums[j]) == 0)
			{
				fa->kind[i] = AC_SUM;
				fa->sumn[i] = get_attnum(relid, sumns[j]);
				roles++;
			}
		/* (a min or max: read from the deltas' columns of its values) */
		for (j = 0; j < fa->nx; j++)
		{
			if (strcmp(name, xnames[6 * j]) == 0)
			{
				fa->kind[i] = AC_XVAL;
				fa->x[j].val = i + 1;
				dname = xnames[6 * j + 3];
				roles++;
			}
			else if (strcmp(name, xnames[6 * j + 1]) == 0)
			{
				fa->kind[i] = AC_XNN;
				fa->x[j].nn = i + 1;
				dname = xnames[6 * j + 4];
				roles++;
			}
			else if (strcmp(name, xnames[6 * j + 2]) == 0)
			{
				fa->kind[i] = AC_XRES;
				fa->x[j].res = i + 1;
				dname = xnames[6 * j + 5];
				roles++;
			}
		}
		/* (a count(DISTINCT): its change comes from its side table) */
		for (j = 0; j < fa->ndc; j++)
			if (strcmp(name, dcnames[3 * j]) == 0)
			{
				fa->kind[i] = AC_DC;
				fa->dc[j].col = i + 1;
				roles++;
			}
		if (fa->kind[i] == AC_OTHER)
			return "the fact's table has a column the deltas do not write";

		/*
		 * One part of the apply per column: a key that is also a min, say,
		 * was looked up in the key index by the deltas' array of its values
		 * (a datum of another type given to the key's comparison), and a
		 * column written by two parts takes whichever came last.
		 */
		if (roles > 1)
			return "a column of the fact's table is named for two parts of the apply";
		if (fa->kind[i] == AC_DC)
		{
			if (a->atttypid != INT8OID)
				return "a count(DISTINCT) of the fact is not a bigint";
			continue;
		}
		if (fa->kind[i] != AC_KEY)
			fa->datt[i] = get_attnum(RelationGetRelid(deltas), dname);
		if (fa->datt[i] <= 0)
			return "the deltas lack a column of the fact's table";
		if (fa->kind[i] == AC_XVAL || fa->kind[i] == AC_XRES)
			continue;			/* (checked below, with the reserve's type) */
		{
			Form_pg_attribute da = TupleDescAttr(dd, fa->datt[i] - 1);

			if (da->atttypid != a->atttypid || (a->atttypmod != -1 && da->atttypmod != a->atttypmod))
				return "a column of the deltas has another type than the fact's";
		}
		if (fa->kind[i] == AC_ADD && a->atttypid != INT8OID)
			return "a count of the fact is not a bigint";
		if (fa->kind[i] == AC_SUM)
		{
			if (a->atttypid != INT8OID && a->atttypid != NUMERICOID)
				return "a sum of the fact is neither a bigint nor a numeric";
			if (fa->sumn[i] <= 0 || fa->sumn[i] == i + 1 ||
				TupleDescAttr(desc, fa->sumn[i] - 1)->atttypid != INT8OID)
				return "a sum of the fact lacks its count of values";
		}
	}
	if (fa->rows == 0)
		return "the fact's table has no column __rows";
	for (j = 0; j < fa->ndc; j++)
	{
		fa->dc[j].vin = get_attnum(RelationGetRelid(deltas), dcnames[3 * j + 1]);
		fa->dc[j].vout = get_attnum(RelationGetRelid(deltas), dcnames[3 * j + 2]);
		if (fa->dc[j].col <= 0)
			return "a count(DISTINCT) is not a column of the fact's table";
		if (fa->dc[j].vin <= 0 || fa->dc[j].vout <= 0)
			return "the deltas lack the values of a count(DISTINCT)";
	}
	for (j = 0; j < fa->nx; j++)
	{
		ApplyExtreme *x = &fa->x[j];
		Form_pg_attribute ra;
		Oid			elem;
		int			c;

		if (x->val <= 0 || x->nn <= 0 || x->res <= 0 || x->val == x->nn || x->val == x->res ||
			x->nn == x->res)
			return "a min or max of the fact lacks its count or reserve";
		ra = TupleDescAttr(desc, x->res - 1);
		elem = get_element_type(ra->atttypid);
		if (!OidIsValid(elem) || TupleDescAttr(desc, x->val - 1)->atttypid != elem ||
			TupleDescAttr(desc, x->nn - 1)->atttypid != INT8OID)
			return "a min or max of the fact is not of its reserve's type";
		/* the values that came and went: arrays of the reserve's type and collation */
		for (c = 0; c < 2; c++)
		{
			Form_pg_attribute da = TupleDescAttr(dd, fa->datt[(c == 0 ? x->val : x->res) - 1] - 1);

			if (da->atttypid != ra->atttypid || da->attcollation != ra->attcollation)
				return "the values of a min or max in the deltas are not of its reserve's type and collation";
		}
		agg_order_init(&x->order, elem, ra->attcollation, x->desc, CurrentMemoryContext);
	}
	for (j = 0; j < nsum; j++)
		if (get_attnum(relid, sums[j]) <= 0 || get_attnum(relid, sumns[j]) <= 0)
			return "a sum of the fact is not a column of its table";

	/* the key index: unique, plain, on the keys in their order */
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
		Form_pg_index ix = idx->rd_index;
		bool		ok;

		if (ix->indisexclusion || !ix->indimmediate)
		{
			index_close(idx, RowExclusiveLock);
			if (fa->idx != NULL)
				index_close(fa->idx, RowExclusiveLock);
			fa->idx = NULL;
			list_free(indexes);
			return "the fact's table has an exclusion or deferred index";
		}
		ok = fa->idx == NULL && ix->indisunique && ix->indisvalid && ix->indisready && ix->indislive &&
			idx->rd_rel->relam == BTREE_AM_OID && ix->indnkeyatts == nk && ix->indnatts == nk &&
			!ix->indnullsnotdistinct &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL);
		for (j = 0; ok && j < nk; j++)
			ok = ix->indkey.values[j] == get_attnum(relid, keys[j]) && ix->indkey.values[j] > 0 &&
				TupleDescAttr(desc, ix->indkey.values[j] - 1)->attnotnull;
		if (ok)
			fa->idx = idx;
		else
			index_close(idx, RowExclusiveLock);
	}
	list_free(indexes);
	if (fa->idx == NULL)
		return "the fact's table has no unique index on its keys of NOT NULL columns";
	fa->nkeys = nk;
	for (j = 0; j < nk; j++)
		fa->katt[j] = fa->idx->rd_index->indkey.values[j];
	return NULL;
}

static int
apply_delta_cmp(const void *a, const void *b, void *arg)
{
	const ApplyDelta *x = (const ApplyDelta *) a;
	const ApplyDelta *y = (const ApplyDelta *) b;
	ApplyOrder *o = (ApplyOrder *) arg;
	int			i;

	for (i = 0; i < o->nkeys; i++)
	{
		AttrNumber	k = o->katt[i] - 1;
		int			c = ApplySortComparator(x->v[k], x->n[k], y->v[k], y->n[k], &o->ssup[i]);

		if (c != 0)
			return c;
	}
	return 0;
}

/*
 * The deltas, read a part at a time: as many as fit in maintenance_work_mem
 * (as the dimensions' apply sorts in, dimension.c, dim_sort_mem()), or in
 * the memory a hash join may take (work_mem times hash_mem_multiplier) if
 * larger, each part sorted and applied before the next is read, so that
 * the apply's memory stays within it whatever the number of groups.
 */
typedef struct DeltaReader
{
	TableScanDesc scan;
	AggHeldRow *held;			/* or the fold's groups held for the apply */
	int64		nheld;
	int64		next;
	TupleTableSlot *slot;
	AttrNumber	tot;			/* is_total, or 0 */
	ApplyOrder	order;
	MemoryContext cxt;			/* the part's deltas */
	Size		limit;
	Size		peak;			/* the most a part took */
	int			parts;
	bool		done;
} DeltaReader;

static void
delta_reader_begin(DeltaReader *dr, FactApply *fa, Relation deltas, Snapshot snap)
{
	int			i;

	memset(dr, 0, sizeof(*dr));
	dr->tot = get_attnum(RelationGetRelid(deltas), "is_total");
	if (dr->tot > 0 && TupleDescAttr(RelationGetDescr(deltas), dr->tot - 1)->atttypid != BOOLOID)
		dr->tot = 0;
	/* (the groups the fold held for this apply, held.c: the table has the total row only) */
	if (agg_held_rows(RelationGetRelid(deltas), RelationGetDescr(deltas), &dr->held, &dr->nheld))
		dr->slot = MakeSingleTupleTableSlot(RelationGetDescr(deltas), &TTSOpsVirtual);
	else
	{
		dr->slot = table_slot_create(deltas, NULL);
		dr->scan = table_beginscan(deltas, snap, 0, NULL);
	}
	dr->cxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng fact apply deltas",
									ALLOCSET_DEFAULT_SIZES);
	dr->limit = Max(get_hash_memory_limit(), (Size) maintenance_work_mem * 1024);
	dr->order.nkeys = fa->nkeys;
	dr->order.katt = fa->katt;
	dr->order.ssup = palloc0(sizeof(SortSupportData) * fa->nkeys);
	for (i = 0; i < fa->nkeys; i++)
	{
		SortSupport ss = &dr->order.ssup[i];

		ss->ssup_cxt = CurrentMemoryContext;
		ss->ssup_collation = fa->idx->rd_indcollation[i];
		ss->ssup_nulls_first = (fa->idx->rd_indoption[i] & INDOPTION_NULLS_FIRST) != 0;
		ss->ssup_attno = i + 1;
		ss->abbreviate = false;
		PrepareSortSupportFromIndexRel(fa->idx, (fa->idx->rd_indoption[i] & INDOPTION_DESC) ?
									   BTGreaterStrategyNumber : BTLessStrategyNumber, ss);
	}
}

static void
delta_reader_end(DeltaReader *dr)
{
	if (dr->scan != NULL)
		table_endscan(dr->scan);
	else
		agg_held_release();
	ExecDropSingleTupleTableSlot(dr->slot);
	MemoryContextDelete(dr->cxt);
}

/*
 * read_deltas
 *		The next part of the deltas' rows (but the total row, is_total),
 *		each in the storage table's shape, sorted in the key index's order;
 *		*ndeltas 0 when none is left.  The part before is freed.
 */
static ApplyDelta *
read_deltas(FactApply *fa, DeltaReader *dr, int64 *ndeltas)
{
	ApplyDelta *out;
	MemoryContext oldcxt;
	int64		n = 0;
	int64		max = 1024;
	Size		used;
	int			i;

	MemoryContextReset(dr->cxt);
	*ndeltas = 0;
	if (dr->done)
		return NULL;
	oldcxt = MemoryContextSwitchTo(dr->cxt);
	out = palloc(sizeof(ApplyDelta) * max);
	for (;;)
	{
		ApplyDelta *d;
		Datum	   *rv;
		bool	   *rn;

		CHECK_FOR_INTERRUPTS();
		/* (checked every 64 rows: the count of a context's blocks is a walk) */
		if (n % 64 == 0 && n > 0 && MemoryContextMemAllocated(dr->cxt, false) >= dr->limit)
			break;
		if (dr->scan == NULL)
		{
			if (dr->next >= dr->nheld)
			{
				dr->done = true;
				break;
			}
			/* (its values where the fold laid them, by reference too) */
			rv = dr->held[dr->next].values;
			rn = dr->held[dr->next].isnull;
			dr->next++;
		}
		else if (!table_scan_getnextslot(dr->scan, ForwardScanDirection, dr->slot))
		{
			dr->done = true;
			break;
		}
		else
		{
			/* (the row deformed once; its columns then picked) */
			slot_getallattrs(dr->slot);
			rv = dr->slot->tts_values;
			rn = dr->slot->tts_isnull;
		}
		if (dr->tot > 0 && !rn[dr->tot - 1] && DatumGetBool(rv[dr->tot - 1]))
			continue;
		if (n == max)
		{
			max *= 2;
			out = repalloc_huge(out, sizeof(ApplyDelta) * max);
		}
		d = &out[n++];
		d->v = palloc0(sizeof(Datum) * fa->natts);
		d->n = palloc(sizeof(bool) * fa->natts);
		memset(d->n, true, sizeof(bool) * fa->natts);
		for (i = 0; i < fa->natts; i++)
		{
			Form_pg_attribute a;
			AttrNumber	c;

			if (fa->kind[i] == AC_OTHER || fa->kind[i] == AC_GENERATED || fa->kind[i] == AC_DROPPED ||
				fa->kind[i] == AC_DC)
				continue;
			/* (the deltas' column: of another type for a min or max) */
			c = fa->datt[i] - 1;
			d->n[i] = rn[c];
			if (d->n[i])
				continue;
			a = TupleDescAttr(dr->slot->tts_tupleDescriptor, c);
			/*
			 * A row held by the fold stays where it is until
			 * delta_reader_end() (agg_held_release()): its values are used
			 * where they lie; a row of the table is copied, its buffer
			 * being left for the next.
			 */
			if (dr->scan == NULL || a->attbyval)
				d->v[i] = rv[c];
			else
				d->v[i] = datumCopy(rv[c], a->attbyval, a->attlen);
		}
		/* the values of each count(DISTINCT) that came and went */
		if (fa->ndc > 0)
		{
			d->dv = palloc(sizeof(Datum) * 2 * fa->ndc);
			d->dn = palloc(sizeof(bool) * 2 * fa->ndc);
			for (i = 0; i < 2 * fa->ndc; i++)
			{
				AttrNumber	c = i % 2 == 0 ? fa->dc[i / 2].vin : fa->dc[i / 2].vout;

				d->dn[i] = rn[c - 1];
				d->dv[i] = d->dn[i] ? (Datum) 0 : datumCopy(rv[c - 1], false, -1);
			}
		}
	}
	used = MemoryContextMemAllocated(dr->cxt, false);
	dr->peak = Max(dr->peak, used);
	MemoryContextSwitchTo(oldcxt);

	if (n > 1)
		qsort_arg(out, n, sizeof(ApplyDelta), apply_delta_cmp, &dr->order);
	if (n > 0)
		dr->parts++;
	*ndeltas = n;
	return out;
}

/* a + b of a bigint or numeric column, NULL when either is (SQL's +) */
static Datum
add_values(Oid typid, Datum a, bool an, Datum b, bool bn, bool *isnull)
{
	*isnull = an || bn;
	if (*isnull)
		return (Datum) 0;
	if (typid == INT8OID)
	{
		int64		r;

		/* int8pl()'s sum, without its call through the function manager */
		if (unlikely(pg_add_s64_overflow(DatumGetInt64(a), DatumGetInt64(b), &r)))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
		return Int64GetDatum(r);
	}
	return DirectFunctionCall2(numeric_add, a, b);
}

/*
 * A new group's sum s of no value left (its count of values 0): NULL when
 * s = s - s, as the MERGE's INSERT writes it (0, or NaN: whatever came
 * went again), else s (an infinity, whose difference is NaN).
 */
static bool
sum_of_nothing(Oid typid, Datum s)
{
	if (typid == INT8OID)
		return DatumGetInt64(s) == 0;
	return DatumGetBool(DirectFunctionCall2(numeric_eq, s,
											DirectFunctionCall2(numeric_sub, s, s)));
}

/*
 * apply_write_check
 *		A heap_update() or heap_delete() of the row found at tid: another
 *		transaction that committed a change of it (the write waited for it,
 *		as an SQL UPDATE or DELETE does) makes the sums read from it wrong,
 *		so the refresh fails with a serialization failure, its changes left
 *		pending, as the dimensions' apply does (dimension.c,
 *		dim_write_failed()).
 */
static void
apply_write_check(Relation rel, TM_Result res, ItemPointer tid)
{
	const char *what;

	switch (res)
	{
		case TM_Ok:
			return;
		case TM_Updated:
		case TM_Deleted:
			ereport(ERROR,
					(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
					 errmsg("could not serialize access due to concurrent %s",
							res == TM_Updated ? "update" : "delete"),
					 errdetail("Another transaction changed row (%u,%u) of fact table %s while the refresh applied its deltas.",
							   ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid),
							   RelationGetRelationName(rel)),
					 errhint("A fact's table is written only by its refreshes: leave it alone; the changes stay pending, refresh the fact again.")));
			break;
		case TM_SelfModified:
			what = "was already written by this refresh";
			break;
		case TM_Invisible:
			what = "is not visible to the refresh";
			break;
		default:
			what = "is being written by another transaction";
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("could not write row (%u,%u) of fact table %s",
					ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid),
					RelationGetRelationName(rel)),
			 errdetail("The row %s.", what),
			 errhint("Rebuild the fact with dataeng.fact_rebuild().")));
}

/*
 * After every 64 rows written, ask the WAL writer to flush the WAL written
 * so far when it grew by wal_writer_flush_after since the last request, as
 * the dimensions' apply does (dimension.c, dim_wal_nudge(): the request is
 * the end of this backend's last record, never the insert position).
 */
static void
apply_wal_nudge(Relation rel, int64 *nwrites, XLogRecPtr *nudged)
{
	XLogRecPtr	now;
	uint64		step;

	if (++(*nwrites) % 64 != 0 || !RelationNeedsWAL(rel))
		return;
	now = XactLastRecEnd;
	step = (uint64) (WalWriterFlushAfter > 0 ? WalWriterFlushAfter : 128) * XLOG_BLCKSZ;
	if (now - *nudged >= step)
	{
		XLogSetAsyncXactLSN(now);
		*nudged = now;
	}
}

/*
 * agg_apply_input_check
 *		Raise unless the current user may read table relid (the input of a
 *		C apply, passed by oid) as a query naming it could: SELECT on it
 *		and USAGE on its schema.  Checked before the table is locked.  An
 *		oid reaches a table whose schema the role may not look into, which
 *		no query of the role can read: without the USAGE check, its rows
 *		were copied into a table of the caller.  (The session's own
 *		temporary schema, where a refresh keeps its input, always grants
 *		USAGE.)  fn names the function, hint what a refresh passes it.
 */
void
agg_apply_input_check(Oid relid, const char *fn, const char *hint)
{
	AclResult	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	Oid			nsp;

	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(relid));
	nsp = get_rel_namespace(relid);
	if (pg_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
	{
		char	   *nspname = get_namespace_name(nsp);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for schema %s", nspname ? nspname : "(dropped)"),
				 errdetail("%s reads table %s only for a role that may read it with a query: SELECT on it and USAGE on its schema.",
						   fn, get_rel_name(relid)),
				 errhint("%s", hint)));
	}
}

/*
 * int_array_values, bool_array_values
 *		The elements of an int[] or boolean[] argument (no NULL element).
 */
static int *
int_array_values(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	int		   *out;
	int			i;

	deconstruct_array(arr, INT4OID, sizeof(int32), true, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(int) * (*n + 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a reserve size passed to _fact_apply() is NULL")));
		out[i] = DatumGetInt32(elems[i]);
	}
	return out;
}

static Oid *
oid_array_values(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	Oid		   *out;
	int			i;

	if (ARR_ELEMTYPE(arr) != REGCLASSOID && ARR_ELEMTYPE(arr) != OIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the side tables passed to _fact_apply() must be a regclass[]")));
	deconstruct_array(arr, ARR_ELEMTYPE(arr), sizeof(Oid), true, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(Oid) * (*n + 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a side table passed to _fact_apply() is NULL")));
		out[i] = DatumGetObjectId(elems[i]);
	}
	return out;
}

static bool *
bool_array_values(ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	bool	   *out;
	int			i;

	deconstruct_array(arr, BOOLOID, 1, true, TYPALIGN_CHAR, &elems, &nulls, n);
	out = palloc(sizeof(bool) * (*n + 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("an order passed to _fact_apply() is NULL")));
		out[i] = DatumGetBool(elems[i]);
	}
	return out;
}

/*
 * apply_extremes
 *		Set in nv/nn (the new row) each min or max of fa, its count and its
 *		reserve, as the MERGE's _fact_reserve_first() and
 *		_fact_reserve_checked() make them: from the stored reserve and count
 *		(f: the row found, NULL for a new group, whose count before is 0)
 *		and the delta d.  A reserve that ran out while its group has values
 *		is counted (_fact_reserve_ran_out()): the refresh then recomputes
 *		such groups.
 */
static void
apply_extremes(FactApply *fa, TupleTableSlot *f, ApplyDelta *d, Datum *nv, bool *nn)
{
	int			j;

	for (j = 0; j < fa->nx; j++)
	{
		ApplyExtreme *x = &fa->x[j];
		int			vi = x->val - 1;
		int			ni = x->nn - 1;
		int			ri = x->res - 1;
		Datum		r;

		if (f != NULL)
		{
			r = agg_reserve_make(&x->order, x->k, f->tts_values[ri], f->tts_isnull[ri],
								 f->tts_values[ni], f->tts_isnull[ni],
								 d->v[vi], d->n[vi], d->v[ri], d->n[ri]);
			nv[ni] = add_values(INT8OID, f->tts_values[ni], f->tts_isnull[ni], d->v[ni], d->n[ni], &nn[ni]);
		}
		else
		{
			r = agg_reserve_make(&x->order, x->k, (Datum) 0, true, Int64GetDatum(0), false,
								 d->v[vi], d->n[vi], d->v[ri], d->n[ri]);
			nv[ni] = d->v[ni];
			nn[ni] = d->n[ni];
		}
		nv[ri] = r;
		nn[ri] = false;
		nv[vi] = agg_reserve_first(&x->order, r, &nn[vi]);
		(void) agg_reserve_check(r, nv[ni], nn[ni]);
	}
}

/*
 * The groups of a batch: the heap TIDs of each one's index entries
 * (tids[first[j]] to tids[first[j + 1] - 1] for the batch's j-th group).
 */
#define APPLY_BATCH 32

typedef struct ApplyBatch
{
	int			first[APPLY_BATCH + 1];
	Buffer		recent[APPLY_BATCH];	/* the buffer the first TID's page was
										 * found in, or InvalidBuffer */
	ItemPointerData *tids;
	int			ntids;
	int			maxtids;
} ApplyBatch;

/*
 * apply_batch_walk
 *		Look up the keys of deltas ds[from] to ds[from + nb - 1] (nb at most
 *		APPLY_BATCH) one after another, the leaf held between them, into b.
 */
static void
apply_batch_walk(FactApply *fa, BtWalk *w, ApplyDelta *ds, int64 from, int nb, ApplyBatch *b,
				 Datum *kv, bool *kn, Snapshot snap)
{
	int			j;
	int			i;

	b->ntids = 0;
	btwalk_hold(w, true);
	for (j = 0; j < nb; j++)
	{
		ApplyDelta *d = &ds[from + j];

		for (i = 0; i < fa->nkeys; i++)
		{
			kv[i] = d->v[fa->katt[i] - 1];
			kn[i] = d->n[fa->katt[i] - 1];
		}
		/* (only the first group of a part starts from the index's root) */
		btwalk_tids(w, kv, kn, from + j > 0, snap);
		b->first[j] = b->ntids;
		if (b->ntids + w->ntids > b->maxtids)
		{
			b->maxtids = Max(b->maxtids * 2, b->ntids + w->ntids);
			b->tids = repalloc(b->tids, sizeof(ItemPointerData) * b->maxtids);
		}
		memcpy(&b->tids[b->ntids], w->tids, sizeof(ItemPointerData) * w->ntids);
		b->ntids += w->ntids;
	}
	b->first[nb] = b->ntids;
	btwalk_hold(w, false);
}

/*
 * apply_batch_prefetch
 *		Ask ahead for what the fetch and update of each group of b found in
 *		the index will touch first (see the header comment): its heap page
 *		looked up in the buffer pool (a page not there starts being read),
 *		then the CPU asked for the buffer's header, the page's header and
 *		the line pointer of the row, and, once those are in, the row and
 *		the free space below pd_upper the new version goes to.  Nothing is
 *		pinned or locked: what is read of a page (its line pointer, pd_upper
 *		and pd_lower) only says where to prefetch, checked to stay within
 *		the page.
 */
static void
apply_batch_prefetch(Relation rel, ApplyBatch *b, int nb)
{
	Buffer		bufs[APPLY_BATCH];
	BlockNumber last = InvalidBlockNumber;
	Buffer		lastbuf = InvalidBuffer;
	int			j;

	for (j = 0; j < nb; j++)
	{
		bufs[j] = InvalidBuffer;
		if (b->first[j] < b->first[j + 1])
		{
			ItemPointer tid = &b->tids[b->first[j]];
			BlockNumber blk = ItemPointerGetBlockNumber(tid);
			PrefetchBufferResult pr;

			/* (groups in key order: often on the page of the one before) */
			if (blk == last)
			{
				bufs[j] = lastbuf;
				if (BufferIsValid(lastbuf))
					agg_prefetch(PageGetItemId(BufferGetPage(lastbuf), ItemPointerGetOffsetNumber(tid)));
				continue;
			}
			pr = PrefetchBuffer(rel, MAIN_FORKNUM, blk);
			last = blk;
			lastbuf = InvalidBuffer;

			if (BufferIsValid(pr.recent_buffer) && !BufferIsLocal(pr.recent_buffer))
			{
				Page		page = BufferGetPage(pr.recent_buffer);

				bufs[j] = lastbuf = pr.recent_buffer;
				agg_prefetch(GetBufferDescriptor(pr.recent_buffer - 1));
				agg_prefetch(page);
				agg_prefetch(PageGetItemId(page, ItemPointerGetOffsetNumber(tid)));
			}
		}
	}
	memcpy(b->recent, bufs, sizeof(Buffer) * nb);
	for (j = 0; j < nb; j++)
	{
		ItemPointer tid;
		Page		page;
		PageHeader	ph;
		OffsetNumber off;
		ItemIdData	lp;
		uint16		upper;
		uint16		lower;

		if (!BufferIsValid(bufs[j]))
			continue;
		tid = &b->tids[b->first[j]];
		page = BufferGetPage(bufs[j]);
		ph = (PageHeader) page;
		off = ItemPointerGetOffsetNumber(tid);
		upper = ph->pd_upper;
		lower = ph->pd_lower;
		/* (read unlocked: only what stays within the page is asked for) */
		if (lower < SizeOfPageHeaderData || lower > upper || upper > BLCKSZ ||
			off < FirstOffsetNumber || off > (lower - SizeOfPageHeaderData) / sizeof(ItemIdData))
			continue;
		lp = *PageGetItemId(page, off);
		if (ItemIdIsRedirected(&lp))
		{
			off = ItemIdGetRedirect(&lp);
			if (off < FirstOffsetNumber || off > (lower - SizeOfPageHeaderData) / sizeof(ItemIdData))
				continue;
			lp = *PageGetItemId(page, off);
		}
		if (ItemIdIsNormal(&lp) && ItemIdGetLength(&lp) > 0 &&
			ItemIdGetOffset(&lp) + ItemIdGetLength(&lp) <= BLCKSZ)
		{
			const char *t = (const char *) page + ItemIdGetOffset(&lp);

			agg_prefetch(t);
			agg_prefetch(t + 64);
			agg_prefetch(t + ItemIdGetLength(&lp) - 1);
		}
		/* the new version's place, and its line pointer's: to be written */
		if (upper >= 256)
		{
			agg_prefetch_write((const char *) page + upper - 1);
			agg_prefetch_write((const char *) page + upper - 65);
			agg_prefetch_write((const char *) page + upper - 129);
		}
		if (lower < upper)
			agg_prefetch_write((const char *) page + lower);
	}
}

/*
 * apply_fetch
 *		Fetch the row version visible to snap of the HOT chain at *tid into
 *		slot found, as heapam_index_fetch_tuple() fetches it for an index
 *		scan (the page pruned when the fetch moves to it, the chain
 *		searched under a share lock, *tid set to the version found), the
 *		page's buffer pinned in *cur until the fetch moves to another page.
 *		recent is the buffer where apply_batch_prefetch() found the page,
 *		or InvalidBuffer: ReadRecentBuffer() checks that it still holds the
 *		page and pins it, without the lookup of the page in the buffer
 *		pool's table that ReadBuffer() makes (the prefetch made it).
 */
static bool
apply_fetch(Relation rel, Buffer *cur, ItemPointer tid, Buffer recent, Snapshot snap,
			TupleTableSlot *found)
{
	BufferHeapTupleTableSlot *bslot = (BufferHeapTupleTableSlot *) found;
	BlockNumber blk = ItemPointerGetBlockNumber(tid);
	bool		all_dead = false;
	bool		got;

	if (!BufferIsValid(*cur) || BufferGetBlockNumber(*cur) != blk)
	{
		if (BufferIsValid(*cur))
			ReleaseBuffer(*cur);
		*cur = InvalidBuffer;
		if (BufferIsValid(recent) &&
			ReadRecentBuffer(rel->rd_node, MAIN_FORKNUM, blk, recent))
		{
			/* (counted as ReadBuffer() counts a page found in the pool) */
			pgstat_count_buffer_read(rel);
			pgstat_count_buffer_hit(rel);
			*cur = recent;
		}
		else
			*cur = ReadBuffer(rel, blk);
		heap_page_prune_opt(rel, *cur);
	}
	LockBuffer(*cur, BUFFER_LOCK_SHARE);
	got = heap_hot_search_buffer(tid, rel, *cur, snap, &bslot->base.tupdata, &all_dead, true);
	bslot->base.tupdata.t_self = *tid;
	LockBuffer(*cur, BUFFER_LOCK_UNLOCK);
	if (got)
	{
		found->tts_tableOid = RelationGetRelid(rel);
		ExecStoreBufferHeapTuple(&bslot->base.tupdata, found, *cur);
	}
	return got;
}

/*
 * dataeng_internal._fact_apply(storage regclass, deltas regclass,
 *		keys text[], dkeys text[], adds text[], sums text[], sumns text[],
 *		extremes text[], ks int[], descs boolean[])
 *		RETURNS text
 *		Apply the group deltas of table deltas (key columns dkeys, named
 *		keys in the fact's table) to storage, as the header comment says,
 *		and return NULL; or write nothing and return why not (the caller
 *		runs the MERGE then).  adds: the fact's counts (added up, as
 *		__rows); sums: its sums, each with its count of values in sumns;
 *		extremes: six names per min or max kept with its reserve (the
 *		fact's value, count and reserve columns; the deltas' columns of the
 *		values that came, of the change of the count and of the values that
 *		went), its reserve's size in ks and its order in descs (true: max).
 */
Datum
dataeng_fact_apply(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Oid			deltasid = PG_GETARG_OID(1);
	int			nk,
				ndk,
				nadd,
				nsum,
				nsumn;
	char	  **keys = text_array_names(PG_GETARG_ARRAYTYPE_P(2), &nk);
	char	  **dkeys = text_array_names(PG_GETARG_ARRAYTYPE_P(3), &ndk);
	char	  **adds = text_array_names(PG_GETARG_ARRAYTYPE_P(4), &nadd);
	char	  **sums = text_array_names(PG_GETARG_ARRAYTYPE_P(5), &nsum);
	char	  **sumns = text_array_names(PG_GETARG_ARRAYTYPE_P(6), &nsumn);
	int			nxn,
				nks,
				ndescs;
	char	  **xnames = text_array_names(PG_GETARG_ARRAYTYPE_P(7), &nxn);
	int		   *ks = int_array_values(PG_GETARG_ARRAYTYPE_P(8), &nks);
	bool	   *descs = bool_array_values(PG_GETARG_ARRAYTYPE_P(9), &ndescs);
	int			ndcn,
				nsides,
				ndms;
	char	  **dcnames = text_array_names(PG_GETARG_ARRAYTYPE_P(10), &ndcn);
	Oid		   *sides = oid_array_values(PG_GETARG_ARRAYTYPE_P(11), &nsides);
	int		   *dms = int_array_values(PG_GETARG_ARRAYTYPE_P(12), &ndms);
	static const AclMode rights[] = {ACL_SELECT, ACL_INSERT, ACL_UPDATE, ACL_DELETE};
	FactApply	fa;
	Relation	deltas;
	const char *reason;
	EState	   *estate;
	ResultRelInfo *rri;
	RangeTblEntry *rte;
	TupleTableSlot *found;
	TupleTableSlot *nslot;
	Snapshot	snap;
	ApplyDelta *ds;
	int64		n;
	int64		r;
	int64		nupd = 0,
				nhot = 0,
				nins = 0,
				ndel = 0;
	int64		nwrites = 0;
	XLogRecPtr	nudged;
	BtWalk		w;
	Buffer		fbuf = InvalidBuffer;	/* the page of the last fetch */
	Datum	   *kv;
	bool	   *kn;
	MemoryContext rowcxt;
	MemoryContext oldcxt;
	DeltaReader dr;
	ApplyBatch	batch;
	int			i;

	if (nk != ndk || nk < 1 || nsum != nsumn || nxn != 6 * nks || nks != ndescs ||
		ndcn != 3 * nsides || nsides != ndms)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("_fact_apply() needs as many keys as deltas' keys, a count per sum, six names, a size and an order per min or max, and three names, a side table and a measure per count(DISTINCT)")));

	/* heap writes: refused where an INSERT or UPDATE would be */
	PreventCommandIfReadOnly("dataeng_internal._fact_apply()");
	PreventCommandIfParallelMode("dataeng_internal._fact_apply()");

	/* the owner first, by OID: no lock on a table the caller does not own */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ||
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(deltasid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the fact's table or the deltas of _fact_apply() do not exist")));
	if (!pg_class_ownercheck(relid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s to apply a refresh to it", get_rel_name(relid)),
				 errdetail("dataeng_internal._fact_apply() writes the rows of a fact's table directly, without the checks of an INSERT or UPDATE."),
				 errhint("Refresh the fact with dataeng.fact_refresh(): it applies its deltas as the fact's owner.")));
	agg_apply_input_check(deltasid, "dataeng_internal._fact_apply()",
						  "A refresh passes its own temporary table pg_temp._dataeng_delta_raw.");

	memset(&fa, 0, sizeof(fa));
	fa.rel = table_open(relid, RowExclusiveLock);
	fa.desc = RelationGetDescr(fa.rel);
	fa.natts = fa.desc->natts;
	fa.kind = palloc0(sizeof(ApplyCol) * fa.natts);
	fa.datt = palloc0(sizeof(AttrNumber) * fa.natts);
	fa.sumn = palloc0(sizeof(AttrNumber) * fa.natts);
	fa.katt = palloc0(sizeof(AttrNumber) * nk);
	fa.nx = nks;
	fa.x = palloc0(sizeof(ApplyExtreme) * (nks + 1));
	for (i = 0; i < nks; i++)
	{
		fa.x[i].k = ks[i];
		fa.x[i].desc = descs[i];
		if (ks[i] < 1 || ks[i] > FACT_RESERVE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a fact reserve holds 1 to %d values, not %d", FACT_RESERVE, ks[i])));
	}
	fa.ndc = nsides;
	fa.dc = palloc0(sizeof(ApplyDistinct) * (nsides + 1));
	for (i = 0; i < nsides; i++)
	{
		fa.dc[i].side = sides[i];
		fa.dc[i].measure = dms[i];
	}
	deltas = table_open(deltasid, AccessShareLock);

	/* each right on its own (a mask of several asks for any of them) */
	reason = NULL;
	for (i = 0; i < (int) lengthof(rights) && reason == NULL; i++)
		if (pg_class_aclcheck(relid, GetUserId(), rights[i]) != ACLCHECK_OK)
			reason = "the owner lacks a right on the fact's table";
	if (reason == NULL)
		reason = fact_apply_reason(&fa, deltas, keys, dkeys, nk, adds, nadd, sums, sumns, nsum, xnames,
								   dcnames);
	if (reason == NULL && !btwalk_begin(&w, fa.idx, nk))
		reason = "the fact's key index cannot be walked (built before PostgreSQL 12)";
	/* the side tables of the count(DISTINCT)s, written directly too */
	for (i = 0; i < fa.ndc && reason == NULL; i++)
		fa.dc[i].s = side_delta_open(fa.dc[i].side, fa.dc[i].measure, fa.rel, deltas,
									 fa.dc[i].vin, fa.dc[i].vout, &reason);
	if (reason != NULL)
	{
		for (i = 0; i < fa.ndc; i++)
			if (fa.dc[i].s != NULL)
				side_delta_close(fa.dc[i].s);
		if (fa.idx != NULL)
			index_close(fa.idx, RowExclusiveLock);
		table_close(deltas, AccessShareLock);
		table_close(fa.rel, RowExclusiveLock);
		set_last(reason);
		PG_RETURN_TEXT_P(cstring_to_text(reason));
	}
	CheckCmdReplicaIdentity(fa.rel, CMD_UPDATE);
	CheckCmdReplicaIdentity(fa.rel, CMD_DELETE);

	/* the executor state the generated columns and index insertions need */
	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = fa.rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	/*
	 * an update writes the counts and sums (the index insertions of an
	 * update that is not HOT tell each index whether its columns changed)
	 * and computes every stored generated column again
	 */
	for (i = 0; i < fa.natts; i++)
	{
		if (fa.kind[i] == AC_ADD || fa.kind[i] == AC_SUM || fa.kind[i] == AC_XVAL ||
			fa.kind[i] == AC_XNN || fa.kind[i] == AC_XRES || fa.kind[i] == AC_DC)
			rte->updatedCols = bms_add_member(rte->updatedCols,
											  i + 1 - FirstLowInvalidHeapAttributeNumber);
		if (fa.kind[i] == AC_GENERATED)
			rte->extraUpdatedCols = bms_add_member(rte->extraUpdatedCols,
												   i + 1 - FirstLowInvalidHeapAttributeNumber);
	}
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, fa.rel, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	found = table_slot_create(fa.rel, NULL);
	nslot = MakeSingleTupleTableSlot(fa.desc, &TTSOpsVirtual);

	CommandCounterIncrement();
	/* one command for every write, which the snapshot does not see */
	estate->es_output_cid = GetCurrentCommandId(true);
	snap = RegisterSnapshot(GetLatestSnapshot());
	estate->es_snapshot = snap;
	for (i = 0; i < fa.ndc; i++)
		side_delta_start(fa.dc[i].s, snap, estate->es_output_cid);

	delta_reader_begin(&dr, &fa, deltas, snap);
	kv = palloc(sizeof(Datum) * nk);
	kn = palloc(sizeof(bool) * nk);
	batch.maxtids = 2 * APPLY_BATCH;
	batch.ntids = 0;
	batch.tids = palloc(sizeof(ItemPointerData) * batch.maxtids);
	nudged = XactLastRecEnd;
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng fact apply row",
								   ALLOCSET_DEFAULT_SIZES);

	/* a part of the deltas at a time, each walked from the index's root on */
	for (;;)
	{
		ds = read_deltas(&fa, &dr, &n);
		if (n == 0)
			break;
		for (r = 0; r < n; r++)
		{
			ApplyDelta *d = &ds[r];
			bool		hit = false;
			bool		isnull;
			Datum	   *nv;
			bool	   *nn;

			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(rowcxt);
			/* the lookups of the next batch of groups, their rows asked for */
			if (r % APPLY_BATCH == 0)
			{
				int			nb = (int) Min(n - r, APPLY_BATCH);
				int			j;
				int			k;

				/*
				 * first the per-value counts of the batch's groups, each
				 * group's count(DISTINCT) changed by the values it gained
				 * less those it lost
				 */
				for (j = 0; j < nb; j++)
				{
					ApplyDelta *g = &ds[r + j];

					for (k = 0; k < fa.ndc; k++)
					{
						int64		gnet;

						gnet = side_delta_group(fa.dc[k].s, g->v, g->n, g->dv[2 * k], g->dn[2 * k],
												g->dv[2 * k + 1], g->dn[2 * k + 1]);
						g->v[fa.dc[k].col - 1] = Int64GetDatum(gnet);
						g->n[fa.dc[k].col - 1] = false;
					}
				}
				apply_batch_walk(&fa, &w, ds, r, nb, &batch, kv, kn, snap);
				apply_batch_prefetch(fa.rel, &batch, nb);
			}
			oldcxt = MemoryContextSwitchTo(rowcxt);
			for (i = batch.first[r % APPLY_BATCH]; i < batch.first[r % APPLY_BATCH + 1] && !hit; i++)
			{
				ItemPointerData tid = batch.tids[i];

				hit = apply_fetch(fa.rel, &fbuf, &tid,
								  i == batch.first[r % APPLY_BATCH] ? batch.recent[r % APPLY_BATCH] : InvalidBuffer,
								  snap, found);
			}
			if (hit)
				pgstat_count_heap_fetch(fa.idx);

			ExecClearTuple(nslot);
			nv = nslot->tts_values;
			nn = nslot->tts_isnull;
			if (hit)
			{
				ItemPointerData otid = found->tts_tid;
				TM_FailureData tmfd;
				TM_Result	res;
				Datum		fr;
				bool		frn;
				Datum		sum;

				slot_getallattrs(found);
				fr = found->tts_values[fa.rows - 1];
				frn = found->tts_isnull[fa.rows - 1];
				sum = add_values(INT8OID, fr, frn, d->v[fa.rows - 1], d->n[fa.rows - 1], &isnull);
				if (!isnull && DatumGetInt64(sum) <= 0)
				{
					/* the group emptied */
					res = heap_delete(fa.rel, &otid, estate->es_output_cid, InvalidSnapshot,
									  true, &tmfd, false);
					apply_write_check(fa.rel, res, &otid);
					ndel++;
				}
				else
				{
					LockTupleMode lockmode;
					HeapTuple	newt;

					for (i = 0; i < fa.natts; i++)
					{
						Form_pg_attribute a = TupleDescAttr(fa.desc, i);
						Datum		fv = found->tts_values[i];
						bool		fn = found->tts_isnull[i];

						nv[i] = fv;
						nn[i] = fn;
						if (fa.kind[i] == AC_ADD || fa.kind[i] == AC_DC)
							nv[i] = add_values(INT8OID, fv, fn, d->v[i], d->n[i], &nn[i]);
						else if (fa.kind[i] == AC_SUM)
						{
							AttrNumber	c = fa.sumn[i] - 1;
							bool		cn;
							Datum		cnt = add_values(INT8OID, found->tts_values[c], found->tts_isnull[c],
														 d->v[c], d->n[c], &cn);

							if (!cn && DatumGetInt64(cnt) == 0)
							{
								nv[i] = (Datum) 0;
								nn[i] = true;
							}
							else if (fn)
							{
								nv[i] = d->v[i];
								nn[i] = d->n[i];
							}
							else if (!d->n[i])
								nv[i] = add_values(a->atttypid, fv, false, d->v[i], false, &nn[i]);
						}
					}
					apply_extremes(&fa, found, d, nv, nn);
					ExecStoreVirtualTuple(nslot);
					if (fa.has_generated)
						ExecComputeStoredGenerated(rri, estate, nslot, CMD_UPDATE);
					if (fa.desc->constr != NULL)
						ExecConstraints(rri, nslot, estate);
					/*
					 * (formed straight from the slot's values, in the row's
					 * context: the slot is not materialized first, which
					 * would copy every value once more)
					 */
					newt = heap_form_tuple(fa.desc, nv, nn);
					res = heap_update(fa.rel, &otid, newt, estate->es_output_cid, InvalidSnapshot,
									  true, &tmfd, &lockmode);
					apply_write_check(fa.rel, res, &otid);
					nupd++;
					if (HeapTupleIsHeapOnly(newt))
						nhot++;
					else
					{
						ItemPointerCopy(&newt->t_self, &nslot->tts_tid);
						(void) ExecInsertIndexTuples(rri, nslot, estate, true, false, NULL, NIL);
					}
				}
				apply_wal_nudge(fa.rel, &nwrites, &nudged);
			}
			else if (!d->n[fa.rows - 1] && DatumGetInt64(d->v[fa.rows - 1]) > 0)
			{
				/* a new group */
				for (i = 0; i < fa.natts; i++)
				{
					Form_pg_attribute a = TupleDescAttr(fa.desc, i);

					nv[i] = (Datum) 0;
					nn[i] = true;
					if (fa.kind[i] == AC_KEY || fa.kind[i] == AC_ADD || fa.kind[i] == AC_DC)
					{
						nv[i] = d->v[i];
						nn[i] = d->n[i];
					}
					else if (fa.kind[i] == AC_SUM)
					{
						AttrNumber	c = fa.sumn[i] - 1;

						nv[i] = d->v[i];
						nn[i] = d->n[i];
						if (!d->n[c] && DatumGetInt64(d->v[c]) == 0 && !d->n[i] &&
							sum_of_nothing(a->atttypid, d->v[i]))
							nn[i] = true;
					}
				}
				apply_extremes(&fa, NULL, d, nv, nn);
				ExecStoreVirtualTuple(nslot);
				if (fa.has_generated)
					ExecComputeStoredGenerated(rri, estate, nslot, CMD_INSERT);
				if (fa.desc->constr != NULL)
					ExecConstraints(rri, nslot, estate);
				table_tuple_insert(fa.rel, nslot, estate->es_output_cid, 0, NULL);
				(void) ExecInsertIndexTuples(rri, nslot, estate, false, false, NULL, NIL);
				nins++;
				apply_wal_nudge(fa.rel, &nwrites, &nudged);
			}
			/* (a group not there whose rows went: nothing to write) */
			ResetPerTupleExprContext(estate);
			ExecClearTuple(nslot);
			ExecClearTuple(found);
			MemoryContextSwitchTo(oldcxt);
		}
	}
	delta_reader_end(&dr);
	for (i = 0; i < fa.ndc; i++)
		side_delta_close(fa.dc[i].s);

	if (BufferIsValid(fbuf))
		ReleaseBuffer(fbuf);
	UnregisterSnapshot(snap);
	ExecDropSingleTupleTableSlot(found);
	ExecDropSingleTupleTableSlot(nslot);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	index_close(fa.idx, NoLock);
	table_close(deltas, NoLock);
	table_close(fa.rel, NoLock);
	CommandCounterIncrement();
	elog(DEBUG1, "fact apply in C: " INT64_FORMAT " updated (" INT64_FORMAT " HOT), "
		 INT64_FORMAT " inserted, " INT64_FORMAT " deleted, %d part(s) of the deltas, at most %zu bytes",
		 nupd, nhot, nins, ndel, dr.parts, dr.peak);
	snprintf(last_apply, sizeof(last_apply), "C: " INT64_FORMAT " updated (" INT64_FORMAT " HOT), "
			 INT64_FORMAT " inserted, " INT64_FORMAT " deleted", nupd, nhot, nins, ndel);
	/* (the parts only when more than one: the memory of the deltas ran out) */
	if (dr.parts > 1)
		snprintf(last_apply + strlen(last_apply), sizeof(last_apply) - strlen(last_apply),
				 ", in %d parts", dr.parts);
	PG_RETURN_NULL();
}

/*
 * dataeng_internal._fact_apply_last() RETURNS text
 *		What the last _fact_apply() of this backend did: "C: <n> updated
 *		(<n> HOT), <n> inserted, <n> deleted", or why it left the deltas to
 *		the MERGE; NULL when none ran.
 */
Datum
dataeng_fact_apply_last(PG_FUNCTION_ARGS)
{
	if (last_apply[0] == '\0')
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(last_apply));
}
