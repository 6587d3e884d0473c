/*-------------------------------------------------------------------------
 *
 * reserve.c
 *		The reserves of a fact's min and max: per group, its few least (for
 *		min) or greatest (for max) values, so that a refresh rarely has to
 *		read the source again when an extreme goes.
 *
 * A reserve is a sorted array of at most FACT_RESERVE values of a group
 * (hidden column __x_<measure> of the fact), kept with the group's count
 * of non-NULL values (__nn_<measure>).  Its invariant: it holds the
 * smallest values of the group (in the order of min, or of max for a max
 * measure), that is, a prefix of the group's values sorted.  The measure
 * is its first element.  It is "complete" when it holds as many values as
 * the group has: then it holds them all.
 *
 * A refresh folds the changes into, per group, the FACT_RESERVE least and
 * greatest values that came in and that went out (agg_reserve_add() in
 * _fact_deltas(), delta.c; _fact_reserve_union() when groups are merged
 * again by GROUP BY).  A list that reached FACT_RESERVE values may have
 * dropped some: only the values strictly before its last one are known
 * exactly.  _fact_reserve() then makes the new reserve of a group from
 * the stored one and those lists:
 *
 *	 candidates = stored + came in - went out (as multisets)
 *
 * keeping only the candidates that are provably among the group's
 * smallest: at or before the stored reserve's last value when the stored
 * reserve was not complete (the values beyond it are unknown), at or
 * before the last value of a list of values that came in that may have
 * dropped some, and strictly before the last value of such a list of
 * values that went out.  Below those bounds every count is exact; at the
 * first two the count is a lower bound (at least that many of the value
 * are there), which still leaves a prefix; at the last one the count of
 * values that went is only a lower bound, so that value is left out.  When
 * nothing provable is left while the group still has values, the reserve
 * is empty and the refresh recomputes the group from the source (with
 * _fact_reserve_agg(), which also refills its reserve).  Inserts never
 * empty a reserve, and deletes empty it only after FACT_RESERVE of a
 * group's extremes went since its last recompute: scattered deletes and
 * updates of a large source recompute almost nothing.
 *
 * Values are compared with the type's default btree ordering under the
 * collation of the call (the column's), as min() and max() compare.
 * Values alike in that order may still differ (numeric 1.0 and 1.00, float
 * 0 and -0, text under a nondeterministic collation): a value that went
 * takes out of the candidates the same value (datum_image_eq) when it is
 * there, so that the measure is always a value some row still has.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

/*
 * agg_order_init
 *		The ordering of values of type typid under collation collid, least
 *		first (desc: greatest first).  Raises if the type has none.
 */
void
agg_order_init(AggOrder *o, Oid typid, Oid collid, bool desc, MemoryContext cxt)
{
	TypeCacheEntry *tce = lookup_type_cache(typid, TYPECACHE_CMP_PROC_FINFO);

	if (!OidIsValid(tce->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("type %s has no default btree ordering", format_type_be(typid)),
				 errdetail("The min and max of a fact compare values of their column's type.")));
	fmgr_info_copy(&o->cmp, &tce->cmp_proc_finfo, cxt);
	o->typid = typid;
	o->collid = OidIsValid(collid) || !type_is_collatable(typid) ? collid : DEFAULT_COLLATION_OID;
	o->typlen = tce->typlen;
	o->typbyval = tce->typbyval;
	o->typalign = tce->typalign;
	o->desc = desc;
	/* (the comparison of these types is that of their integer values) */
	o->intcmp = 0;
	if (o->cmp.fn_oid == F_BTINT2CMP)
		o->intcmp = 2;
	else if (o->cmp.fn_oid == F_BTINT4CMP || o->cmp.fn_oid == F_DATE_CMP)
		o->intcmp = 4;
	else if (o->cmp.fn_oid == F_BTINT8CMP || o->cmp.fn_oid == F_TIMESTAMP_CMP ||
			 o->cmp.fn_oid == F_TIMESTAMPTZ_CMP)
		o->intcmp = 8;
	else if (o->cmp.fn_oid == F_BTOIDCMP)
		o->intcmp = 'o';
}

/*
 * agg_reserve_add
 *		Add value v to r (sorted in order o, at most FACT_RESERVE values):
 *		kept, as a copy made in CurrentMemoryContext, unless r is full and v
 *		is not before its last value; the last value then drops out.
 */
void
agg_reserve_add(AggReserve *r, const AggOrder *o, Datum v)
{
	int			i;

	if (r->n == FACT_RESERVE && agg_order_cmp(o, v, r->v[r->n - 1]) >= 0)
		return;
	/* (most lists of a fold hold a value or two: grow them as needed) */
	if (r->v == NULL)
	{
		r->cap = 2;
		r->v = palloc(sizeof(Datum) * r->cap);
	}
	else if (r->n == r->cap && r->cap < FACT_RESERVE)
	{
		r->cap = Min(r->cap * 2, FACT_RESERVE);
		r->v = repalloc(r->v, sizeof(Datum) * r->cap);
	}
	if (r->n == FACT_RESERVE)
	{
		if (!o->typbyval)
			pfree(DatumGetPointer(r->v[r->n - 1]));
		r->n--;
	}
	/* after the values alike */
	for (i = r->n; i > 0 && agg_order_cmp(o, v, r->v[i - 1]) < 0; i--)
		r->v[i] = r->v[i - 1];
	r->v[i] = datumCopy(v, o->typbyval, o->typlen);
	r->n++;
}

/* r's values as an array of their type */
Datum
agg_reserve_array(const AggReserve *r, const AggOrder *o)
{
	return PointerGetDatum(construct_array((Datum *) r->v, r->n, o->typid, o->typlen,
										   o->typbyval, o->typalign));
}

/* The values of array a (NULLs left out) */
static int
array_values(ArrayType *a, const AggOrder *o, Datum **out)
{
	Datum	   *v;
	bool	   *nulls;
	int			n;
	int			i;
	int			k = 0;

	if (a == NULL)
	{
		*out = NULL;
		return 0;
	}
	if (ARR_ELEMTYPE(a) != o->typid)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a reserve of type %s is not of type %s", format_type_be(ARR_ELEMTYPE(a)),
						format_type_be(o->typid))));
	deconstruct_array(a, o->typid, o->typlen, o->typbyval, o->typalign, &v, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			v[k++] = v[i];
	*out = v;
	return k;
}

/* the last of n values in order o (n > 0) */
static Datum
last_of(const AggOrder *o, Datum *v, int n)
{
	Datum		x = v[0];
	int			i;

	for (i = 1; i < n; i++)
		if (agg_order_cmp(o, v[i], x) > 0)
			x = v[i];
	return x;
}

/* the element type of argument argno, an array, of fn's call */
static Oid
arg_element_type(FunctionCallInfo fcinfo, int argno)
{
	Oid			t = get_fn_expr_argtype(fcinfo->flinfo, argno);
	Oid			elem = OidIsValid(t) ? get_element_type(t) : InvalidOid;

	if (!OidIsValid(elem))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("could not determine the type of a fact reserve")));
	return elem;
}

/*
 * The order of _fact_reserve()'s values at a call site, kept in its
 * fn_extra with the call's collation and the order's direction it was made
 * for (no catalog lookup for the calls after the first).
 */
typedef struct ReserveCallSite
{
	Oid			collid;			/* the call's collation, as it came */
	bool		desc;
	AggOrder	order;
} ReserveCallSite;

static AggOrder *
call_order(FunctionCallInfo fcinfo, bool desc)
{
	ReserveCallSite *c = (ReserveCallSite *) fcinfo->flinfo->fn_extra;
	Oid			collid = PG_GET_COLLATION();

	/* (a call site's argument types do not change: looked up once) */
	if (c == NULL || c->desc != desc || c->collid != collid)
	{
		Oid			elem = arg_element_type(fcinfo, 0);
		Oid			ocoll = collid;

		if (!OidIsValid(ocoll) && type_is_collatable(elem))
			ocoll = DEFAULT_COLLATION_OID;
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ReserveCallSite));
		agg_order_init(&c->order, elem, ocoll, desc, fcinfo->flinfo->fn_mcxt);
		c->collid = collid;
		c->desc = desc;
		fcinfo->flinfo->fn_extra = c;
	}
	return &c->order;
}

static void
check_size(int k)
{
	if (k < 1 || k > FACT_RESERVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a fact reserve holds 1 to %d values, not %d", FACT_RESERVE, k)));
}

/*
 * The last few calls of _fact_reserve() and their results.  The MERGE of a
 * refresh sets both a min/max column (the reserve's first value) and the
 * reserve from the same call, written twice in its SET list: the second
 * call of a row finds the first one's result here instead of making the
 * reserve again.  A hit needs the same type, collation, order, size,
 * stored count and the very same bytes of the three arrays: the result is
 * a function of those alone.  Kept in a memory context of its own, emptied
 * when it fills.
 */
#define RESERVE_MEMO	4

typedef struct ReserveMemo
{
	bool		valid;
	Oid			typid;
	Oid			collid;
	bool		desc;
	int			k;
	bool		nn_null;
	int64		nn;
	struct varlena *arg[3];		/* stored, came, went (NULL: NULL) */
	struct varlena *result;
} ReserveMemo;

static ReserveMemo reserve_memo[RESERVE_MEMO];
static int	reserve_memo_next = 0;
static MemoryContext reserve_memo_cxt = NULL;

/*
 * the argument argno (an array) of the call as a varlena, NULL if NULL: as
 * it came when it is in line (a short header too: the memo compares bytes,
 * and a hit then needs no copy of it), else detoasted
 */
static struct varlena *
memo_arg(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *v;

	if (PG_ARGISNULL(argno))
		return NULL;
	v = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		v = pg_detoast_datum(v);
	return v;
}

static bool
memo_same(const struct varlena *a, const struct varlena *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return VARSIZE_ANY(a) == VARSIZE_ANY(b) && memcmp(a, b, VARSIZE_ANY(a)) == 0;
}

/* the memo entry of this call, or NULL */
static ReserveMemo *
memo_find(const AggOrder *o, int k, bool nn_null, int64 nn, struct varlena **args)
{
	int			i;

	for (i = 0; i < RESERVE_MEMO; i++)
	{
		ReserveMemo *m = &reserve_memo[i];

		if (m->valid && m->typid == o->typid && m->collid == o->collid && m->desc == o->desc &&
			m->k == k && m->nn_null == nn_null && (nn_null || m->nn == nn) &&
			memo_same(m->arg[0], args[0]) && memo_same(m->arg[1], args[1]) &&
			memo_same(m->arg[2], args[2]))
			return m;
	}
	return NULL;
}

static struct varlena *
memo_copy(const struct varlena *v)
{
	struct varlena *c;

	if (v == NULL)
		return NULL;
	c = MemoryContextAlloc(reserve_memo_cxt, VARSIZE_ANY(v));
	memcpy(c, v, VARSIZE_ANY(v));
	return c;
}

/* keep result as the result of this call */
static void
memo_keep(const AggOrder *o, int k, bool nn_null, int64 nn, struct varlena **args, Datum result)
{
	ReserveMemo *m;
	int			i;

	if (reserve_memo_cxt == NULL)
		reserve_memo_cxt = AllocSetContextCreate(TopMemoryContext, "dataeng fact reserve memo",
												 ALLOCSET_SMALL_SIZES);
	if (reserve_memo_next == RESERVE_MEMO)
	{
		/* full: start again with none */
		MemoryContextReset(reserve_memo_cxt);
		memset(reserve_memo, 0, sizeof(reserve_memo));
		reserve_memo_next = 0;
	}
	m = &reserve_memo[reserve_memo_next++];
	m->typid = o->typid;
	m->collid = o->collid;
	m->desc = o->desc;
	m->k = k;
	m->nn_null = nn_null;
	m->nn = nn;
	for (i = 0; i < 3; i++)
		m->arg[i] = memo_copy(args[i]);
	m->result = memo_copy((struct varlena *) DatumGetPointer(result));
	m->valid = true;
}

/* whether the n values v are in order o (each at or after the one before) */
static bool
in_order(const AggOrder *o, const Datum *v, int n)
{
	int			i;

	for (i = 1; i < n; i++)
		if (agg_order_cmp(o, v[i - 1], v[i]) > 0)
			return false;
	return true;
}

/*
 * _fact_reserve()'s new reserve when the stored reserve and the lists of
 * values that came and went are each in order o, as they always are: the
 * same result as the general way below, in one pass over each.  The
 * candidates, stored and came merged (the stored ones first among values
 * alike: the order in which the general way adds them to its reserve,
 * each after those alike), are in order; each value that went (in order
 * too) looks only at the run of candidates alike to it, at or after where
 * the one before looked, and takes out the same one as there (the very
 * value, else the first alike); the provable ones are then a prefix of
 * what is left, of which the first k are kept.
 */
static int
values_of_sorted(const AggOrder *o, int k, Datum *stored, int ns, bool bounded_s,
				 Datum *came, int nc, Datum *went, int nw, Datum *out)
{
	Datum		cand_s[2 * FACT_RESERVE + 1];
	bool		gone_s[2 * FACT_RESERVE + 1];
	Datum	   *cand;
	bool	   *gone;
	int			n = 0;
	int			nout = 0;
	int			i = 0;
	int			j = 0;
	int			p = 0;

	/* (a fold's lists and a reserve hold at most FACT_RESERVE values) */
	if (ns + nc + 1 <= (int) lengthof(cand_s))
	{
		cand = cand_s;
		gone = gone_s;
		memset(gone, 0, sizeof(bool) * (ns + nc + 1));
	}
	else
	{
		cand = palloc(sizeof(Datum) * (ns + nc + 1));
		gone = palloc0(sizeof(bool) * (ns + nc + 1));
	}
	while (i < ns || j < nc)
	{
		if (j == nc || (i < ns && agg_order_cmp(o, stored[i], came[j]) <= 0))
			cand[n++] = stored[i++];
		else
			cand[n++] = came[j++];
	}
	for (j = 0; j < nw; j++)
	{
		int			alike = -1;
		int			q;

		while (p < n && agg_order_cmp(o, cand[p], went[j]) < 0)
			p++;
		for (q = p; q < n && agg_order_cmp(o, cand[q], went[j]) == 0; q++)
		{
			if (gone[q])
				continue;
			if (datum_image_eq(cand[q], went[j], o->typbyval, o->typlen))
			{
				alike = q;
				break;
			}
			if (alike < 0)
				alike = q;
		}
		if (alike >= 0)
			gone[alike] = true;
	}
	for (i = 0; i < n && nout < k; i++)
	{
		if (gone[i])
			continue;
		/* (past a bound, every later candidate is too) */
		if (bounded_s && agg_order_cmp(o, cand[i], stored[ns - 1]) > 0)
			break;
		if (nc >= FACT_RESERVE && agg_order_cmp(o, cand[i], came[nc - 1]) > 0)
			break;
		if (nw >= FACT_RESERVE && agg_order_cmp(o, cand[i], went[nw - 1]) >= 0)
			break;
		out[nout++] = cand[i];
	}
	return nout;
}

/* values_of_sorted() as an array */
static Datum
reserve_of_sorted(const AggOrder *o, int k, Datum *stored, int ns, bool bounded_s,
				  Datum *came, int nc, Datum *went, int nw)
{
	Datum	   *out = palloc(sizeof(Datum) * (k + 1));
	int			nout = values_of_sorted(o, k, stored, ns, bounded_s, came, nc, went, nw, out);

	return PointerGetDatum(construct_array(out, nout, o->typid, o->typlen, o->typbyval, o->typalign));
}

/*
 * unchanged_reserve
 *		Whether the new reserve is the stored one (ns values, the array a)
 *		as it is: a plain one-dimensional array of at most k values in order
 *		o, full or bounded, and each value that came or went strictly after
 *		its last one.  Such values cannot be among the group's k least
 *		(nor, when the reserve is bounded, provably so), and a value that
 *		went takes out none of the stored ones.
 */
static bool
unchanged_reserve(const AggOrder *o, int k, ArrayType *a, Datum *stored, int ns,
				  bool bounded_s, Datum *came, int nc, Datum *went, int nw)
{
	Datum		last;
	int			i;

	if (a == NULL || ns == 0 || ns > k || (ns < k && !bounded_s))
		return false;
	if (ARR_NDIM(a) != 1 || ARR_LBOUND(a)[0] != 1 || ARR_HASNULL(a) || !in_order(o, stored, ns))
		return false;
	last = stored[ns - 1];
	for (i = 0; i < nc; i++)
		if (agg_order_cmp(o, came[i], last) <= 0)
			return false;
	for (i = 0; i < nw; i++)
		if (agg_order_cmp(o, went[i], last) <= 0)
			return false;
	return true;
}

/*
 * An array read where it lies (a short header too, as a fact's row or the
 * deltas' row holds it: no copy): one dimension from 1, no NULL, of values
 * of o's type fixed in length and passed by value; data: its first value,
 * not aligned.
 */
typedef struct FixedArray
{
	int			n;
	const char *data;
} FixedArray;

/*
 * fixed_array
 *		Array datum v (not NULL) as a FixedArray of o's type; false for what
 *		the general way must look at (more dimensions, another lower bound,
 *		NULLs, another type).  An empty array is one of no value (whatever
 *		its type).  A value stored out of line or compressed is detoasted
 *		first (*v then points to the copy).
 */
static bool
fixed_array(const AggOrder *o, struct varlena **v, FixedArray *a)
{
	const char *body;
	int32		ndim;
	int32		dataoffset;
	Oid			elemtype;
	int32		dim;
	int32		lbound;

	if (VARATT_IS_EXTERNAL(*v) || VARATT_IS_COMPRESSED(*v))
		*v = pg_detoast_datum_packed(*v);
	/* the fields after the header of an ArrayType, where they lie */
	body = VARDATA_ANY(*v);
	memcpy(&ndim, body + offsetof(ArrayType, ndim) - VARHDRSZ, sizeof(int32));
	memcpy(&dataoffset, body + offsetof(ArrayType, dataoffset) - VARHDRSZ, sizeof(int32));
	memcpy(&elemtype, body + offsetof(ArrayType, elemtype) - VARHDRSZ, sizeof(Oid));
	if (ndim == 0)
	{
		a->n = 0;
		a->data = NULL;
		return true;
	}
	if (ndim != 1 || elemtype != o->typid || dataoffset != 0)
		return false;
	memcpy(&dim, body + sizeof(ArrayType) - VARHDRSZ, sizeof(int32));
	memcpy(&lbound, body + sizeof(ArrayType) - VARHDRSZ + sizeof(int32), sizeof(int32));
	if (lbound != 1 || dim < 0)
		return false;
	a->n = dim;
	a->data = body + ARR_OVERHEAD_NONULLS(1) - VARHDRSZ;
	return true;
}

/* value i of a FixedArray of o's type (fixed in length, by value) */
static inline Datum
fixed_value(const AggOrder *o, const FixedArray *a, int i, Size stride)
{
	const char *p = a->data + i * stride;

	switch (o->typlen)
	{
		case 1:
			return CharGetDatum(*p);
		case 2:
			{
				int16		x;

				memcpy(&x, p, sizeof(x));
				return Int16GetDatum(x);
			}
		case 4:
			{
				int32		x;

				memcpy(&x, p, sizeof(x));
				return Int32GetDatum(x);
			}
		default:
			{
				Datum		x;

				Assert(o->typlen == SIZEOF_DATUM);
				memcpy(&x, p, sizeof(x));
				return x;
			}
	}
}

/*
 * beyond_last
 *		Whether each value of array a (NULL: none), of the element type of
 *		order o, fixed in length and passed by value, lies strictly after
 *		last in o.  False too for what the general way must look at (NULL
 *		elements, another type, more dimensions).
 */
static bool
beyond_last(const AggOrder *o, struct varlena *v, Datum last)
{
	Size		stride = att_align_nominal(o->typlen, o->typalign);
	FixedArray	a;
	int			i;

	if (v == NULL)
		return true;
	if (!fixed_array(o, &v, &a))
		return false;
	for (i = 0; i < a.n; i++)
		if (agg_order_cmp(o, fixed_value(o, &a, i, stride), last) <= 0)
			return false;
	return true;
}

/*
 * kept_fixed
 *		unchanged_reserve() read from the arrays themselves where they lie,
 *		for values of a type fixed in length and passed by value (the
 *		integers, dates, the timestamps, floats...): no copy of them nor of
 *		their values.  stored_nn: the group's count of non-NULL values
 *		before the refresh.
 */
static bool
kept_fixed(const AggOrder *o, int k, struct varlena *stored, int64 stored_nn, struct varlena *came,
		   struct varlena *went)
{
	Size		stride = att_align_nominal(o->typlen, o->typalign);
	FixedArray	s;
	Datum		prev;
	int			i;

	if (!fixed_array(o, &stored, &s))
		return false;
	/* full, or bounded (fewer values than the group has) */
	if (s.n == 0 || s.n > k || (s.n < k && (int64) s.n == stored_nn))
		return false;
	prev = fixed_value(o, &s, 0, stride);
	for (i = 1; i < s.n; i++)
	{
		Datum		v = fixed_value(o, &s, i, stride);

		if (agg_order_cmp(o, prev, v) > 0)
			return false;
		prev = v;
	}
	return beyond_last(o, came, prev) && beyond_last(o, went, prev);
}

/*
 * The last results of _fact_reserve() and its kin for values of a type
 * fixed in length and passed by value (FixedArray): the MERGE of a refresh
 * makes a group's new reserve twice, for the min or max (its first value)
 * and for the reserve itself, with the same arguments one after the other.
 * A hit needs the same type, collation, order, size, stored count and the
 * very same bytes of the three arrays (as they lie, short header too): the
 * result is a function of those alone.  n is -1 when the result is the
 * stored array as it is (kept_fixed()), else the count of values v.
 * Arrays longer than FIXED_MEMO_BYTES are not kept.
 */
#define FIXED_MEMO			2
#define FIXED_MEMO_BYTES	(ARR_OVERHEAD_NONULLS(1) + FACT_RESERVE * sizeof(Datum))

typedef struct FixedMemo
{
	bool		valid;
	Oid			typid;
	Oid			collid;
	bool		desc;
	int			k;
	int64		nn;
	int32		len[3];			/* the arrays' sizes, -1: NULL */
	char		bytes[3][FIXED_MEMO_BYTES];
	int			n;
	Datum		v[FACT_RESERVE];
} FixedMemo;

static FixedMemo fixed_memo[FIXED_MEMO];
static int	fixed_memo_next = 0;

static FixedMemo *
fixed_memo_find(const AggOrder *o, int k, int64 nn, struct varlena **args)
{
	int			i;
	int			j;

	for (i = 0; i < FIXED_MEMO; i++)
	{
		FixedMemo  *m = &fixed_memo[i];

		if (!m->valid || m->nn != nn || m->k != k || m->typid != o->typid || m->collid != o->collid ||
			m->desc != o->desc)
			continue;
		for (j = 0; j < 3; j++)
		{
			if (args[j] == NULL ? m->len[j] != -1 :
				(m->len[j] != (int32) VARSIZE_ANY(args[j]) ||
				 memcmp(m->bytes[j], args[j], m->len[j]) != 0))
				break;
		}
		if (j == 3)
			return m;
	}
	return NULL;
}

/* keep this result (n -1: the stored array as it is, else n values v) */
static FixedMemo *
fixed_memo_keep(const AggOrder *o, int k, int64 nn, struct varlena **args, int n, const Datum *v)
{
	FixedMemo  *m = &fixed_memo[fixed_memo_next];
	int			j;

	fixed_memo_next = (fixed_memo_next + 1) % FIXED_MEMO;
	m->valid = false;
	for (j = 0; j < 3; j++)
	{
		if (args[j] == NULL)
		{
			m->len[j] = -1;
			continue;
		}
		if (VARSIZE_ANY(args[j]) > FIXED_MEMO_BYTES)
			break;
		m->len[j] = VARSIZE_ANY(args[j]);
		memcpy(m->bytes[j], args[j], m->len[j]);
	}
	m->typid = o->typid;
	m->collid = o->collid;
	m->desc = o->desc;
	m->k = k;
	m->nn = nn;
	m->n = n;
	if (n > 0)
		memcpy(m->v, v, sizeof(Datum) * n);
	/* (an array too long: the result is returned, not kept) */
	m->valid = j == 3;
	return m;
}

/*
 * fixed_values
 *		The values of array v (NULL: none) of o's type, fixed in length and
 *		passed by value, read where they lie into buf (room for
 *		FACT_RESERVE); false for what the general way must look at (more
 *		values, NULLs, another type, more dimensions).
 */
static bool
fixed_values(const AggOrder *o, struct varlena *v, Datum *buf, int *n)
{
	Size		stride = att_align_nominal(o->typlen, o->typalign);
	FixedArray	a;
	int			i;

	*n = 0;
	if (v == NULL)
		return true;
	if (!fixed_array(o, &v, &a) || a.n > FACT_RESERVE)
		return false;
	for (i = 0; i < a.n; i++)
		buf[i] = fixed_value(o, &a, i, stride);
	*n = a.n;
	return true;
}

/*
 * fixed_new
 *		The new reserve's values (into out, room for k; their count) made
 *		from the arrays where they lie, for values of a type fixed in length
 *		and passed by value, each array at most FACT_RESERVE values and in
 *		order o (as _fact_deltas() and the MERGE write them); -1 for what
 *		the general way must make.  The same values as the general way, with
 *		no copy of the arrays (the caller keeps them for the second call of
 *		the row: FixedMemo).
 */
static int
fixed_new(const AggOrder *o, int k, struct varlena *stored, int64 stored_nn, struct varlena *came,
		  struct varlena *went, Datum *out)
{
	Datum		sv[FACT_RESERVE];
	Datum		cv[FACT_RESERVE];
	Datum		wv[FACT_RESERVE];
	int			ns;
	int			nc;
	int			nw;
	bool		bounded_s;

	if (!fixed_values(o, stored, sv, &ns) || !fixed_values(o, came, cv, &nc) ||
		!fixed_values(o, went, wv, &nw))
		return -1;
	bounded_s = (int64) ns != stored_nn;
	if (bounded_s && ns == 0)
		return 0;
	if (!in_order(o, sv, ns) || !in_order(o, cv, nc) || !in_order(o, wv, nw))
		return -1;
	return values_of_sorted(o, k, sv, ns, bounded_s, cv, nc, wv, nw, out);
}

/*
 * dataeng_internal._fact_reserve(stored anyarray, stored_nn bigint,
 *		came anyarray, went anyarray, k int, descending boolean) -> anyarray
 *
 * The new reserve of a group (see the file's header): stored is its
 * reserve and stored_nn its count of non-NULL values before the refresh
 * (0 for a new group; NULL when unknown, as for a group of a fact made
 * before reserves: then nothing is provable), came and went the lists
 * of values the refresh folded.  Returns at most k values, sorted.
 */
/*
 * What reserve_new() made: the new reserve (an array), or, when the caller
 * wants its first value only and it was made as values, that value
 * (first_made: then first_null when the reserve is empty).
 */
typedef struct ReserveMade
{
	bool		want_first;
	bool		first_made;
	bool		first_null;
	Datum		first;
} ReserveMade;

static Datum reserve_new(FunctionCallInfo fcinfo, AggOrder **order, ReserveMade *made);
static Datum reserve_general(const AggOrder *o, int k, struct varlena **args, int64 stored_nn, bool *kept);

PG_FUNCTION_INFO_V1(dataeng_fact_reserve);
Datum
dataeng_fact_reserve(PG_FUNCTION_ARGS)
{
	AggOrder   *o;
	ReserveMade made = {0};

	return reserve_new(fcinfo, &o, &made);
}

/*
 * reserve_new
 *		The new reserve of _fact_reserve() from the first six arguments of
 *		the call (never NULL), and in *order the order of its values; see
 *		ReserveMade.
 */
static Datum
reserve_new(FunctionCallInfo fcinfo, AggOrder **order, ReserveMade *made)
{
	AggOrder   *o;
	int			k;
	int			i;
	AggReserve	out;
	struct varlena *args[3];
	ReserveMemo *memo;
	Datum		result;
	bool		kept;

	if (PG_ARGISNULL(4) || PG_ARGISNULL(5))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the size and order of a fact reserve must not be NULL")));
	k = PG_GETARG_INT32(4);
	check_size(k);
	o = call_order(fcinfo, PG_GETARG_BOOL(5));
	*order = o;
	out.n = 0;
	out.cap = FACT_RESERVE;
	out.v = palloc(sizeof(Datum) * FACT_RESERVE);
	if (PG_ARGISNULL(1))
		PG_RETURN_DATUM(agg_reserve_array(&out, o));	/* unknown: nothing provable */

	/*
	 * a type fixed in length and passed by value: the arrays read where they
	 * lie, and the result kept for the call for the same row
	 */
	if (o->typbyval && o->typlen > 0)
	{
		struct varlena *fargs[3];
		FixedMemo  *fm;
		int64		stored_nn = PG_GETARG_INT64(1);
		Datum		vals[FACT_RESERVE];
		int			nv;

		for (i = 0; i < 3; i++)
		{
			int			argno = i == 0 ? 0 : i + 1;

			fargs[i] = PG_ARGISNULL(argno) ? NULL : PG_GETARG_RAW_VARLENA_P(argno);
			if (fargs[i] && (VARATT_IS_EXTERNAL(fargs[i]) || VARATT_IS_COMPRESSED(fargs[i])))
				fargs[i] = pg_detoast_datum_packed(fargs[i]);
		}
		fm = fixed_memo_find(o, k, stored_nn, fargs);
		if (fm == NULL)
		{
			/*
			 * most groups: the stored reserve as it is (unchanged_reserve()),
			 * the array returned as it came
			 */
			if (fargs[0] != NULL && kept_fixed(o, k, fargs[0], stored_nn, fargs[1], fargs[2]))
				fm = fixed_memo_keep(o, k, stored_nn, fargs, -1, NULL);
			else if ((nv = fixed_new(o, k, fargs[0], stored_nn, fargs[1], fargs[2], vals)) >= 0)
				fm = fixed_memo_keep(o, k, stored_nn, fargs, nv, vals);
		}
		if (fm != NULL && fm->n < 0)
		{
			/* kept as it is */
			if (made->want_first)
			{
				FixedArray	sa;
				struct varlena *sv = fargs[0];

				if (fixed_array(o, &sv, &sa) && sa.n > 0)
				{
					made->first_made = true;
					made->first_null = false;
					made->first = fixed_value(o, &sa, 0, att_align_nominal(o->typlen, o->typalign));
					return (Datum) 0;
				}
			}
			PG_RETURN_POINTER(fargs[0]);
		}
		if (fm != NULL)
		{
			if (made->want_first)
			{
				made->first_made = true;
				made->first_null = fm->n == 0;
				made->first = fm->n > 0 ? fm->v[0] : (Datum) 0;
				return (Datum) 0;
			}
			PG_RETURN_DATUM(PointerGetDatum(construct_array(fm->v, fm->n, o->typid, o->typlen, o->typbyval,
															o->typalign)));
		}
	}

	/* the same call made a moment ago (the MERGE's second call of a row) */
	args[0] = memo_arg(fcinfo, 0);
	args[1] = memo_arg(fcinfo, 2);
	args[2] = memo_arg(fcinfo, 3);
	memo = memo_find(o, k, false, PG_GETARG_INT64(1), args);
	if (memo != NULL)
	{
		struct varlena *r = palloc(VARSIZE(memo->result));

		memcpy(r, memo->result, VARSIZE(memo->result));
		PG_RETURN_POINTER(r);
	}
	result = reserve_general(o, k, args, PG_GETARG_INT64(1), &kept);
	if (!kept)
		memo_keep(o, k, false, PG_GETARG_INT64(1), args, result);
	PG_RETURN_DATUM(result);
}

/*
 * reserve_general
 *		The new reserve of a group, for values of any type, from its three
 *		arrays (args: the stored reserve, the values that came and those
 *		that went, each NULL when NULL, not stored out of line) and its
 *		stored count of non-NULL values stored_nn (known).  *kept: the
 *		result is the stored reserve itself, as it is.
 */
static Datum
reserve_general(const AggOrder *o, int k, struct varlena **args, int64 stored_nn, bool *kept)
{
	Datum	   *stored;
	Datum	   *came;
	Datum	   *went;
	int			ns;
	int			nc;
	int			nw;
	Datum	   *cand;
	bool	   *gone;
	int			n = 0;
	int			nout = 0;
	int			i;
	int			j;
	bool		bounded_s;
	Datum		last_s = (Datum) 0;
	Datum		last_c = (Datum) 0;
	Datum		last_w = (Datum) 0;
	AggReserve	out;
	ArrayType  *stored_a;

	*kept = false;
	out.n = 0;
	out.cap = FACT_RESERVE;
	out.v = palloc(sizeof(Datum) * FACT_RESERVE);
	stored_a = args[0] ? DatumGetArrayTypeP(PointerGetDatum(args[0])) : NULL;
	ns = array_values(stored_a, o, &stored);
	nc = array_values(args[1] ? DatumGetArrayTypeP(PointerGetDatum(args[1])) : NULL, o, &came);
	nw = array_values(args[2] ? DatumGetArrayTypeP(PointerGetDatum(args[2])) : NULL, o, &went);

	/* the bounds: what lies beyond each is not known exactly */
	bounded_s = (int64) ns != stored_nn;

	/*
	 * Most groups of a refresh keep their reserve as it is: every value that
	 * came or went lies strictly beyond the stored reserve's last value,
	 * which is full (k values) or bounded (the values beyond it are not
	 * candidates).  Then the stored reserve itself is the result (the
	 * general way below would make the same values again, in the same
	 * order): no copy, no memo.
	 */
	if (!(o->typbyval && o->typlen > 0) &&
		unchanged_reserve(o, k, stored_a, stored, ns, bounded_s, came, nc, went, nw))
	{
		*kept = true;
		PG_RETURN_ARRAYTYPE_P(stored_a);
	}
	if (bounded_s && ns == 0)
		return agg_reserve_array(&out, o);
	/* (the arrays as _fact_deltas() and the MERGE write them: in order) */
	if (in_order(o, stored, ns) && in_order(o, came, nc) && in_order(o, went, nw))
		return reserve_of_sorted(o, k, stored, ns, bounded_s, came, nc, went, nw);

	if (bounded_s)
		last_s = last_of(o, stored, ns);
	if (nc >= FACT_RESERVE)
		last_c = last_of(o, came, nc);
	if (nw >= FACT_RESERVE)
		last_w = last_of(o, went, nw);

	/* stored + came - went */
	cand = palloc(sizeof(Datum) * (ns + nc + 1));
	gone = palloc0(sizeof(bool) * (ns + nc + 1));
	for (i = 0; i < ns; i++)
		cand[n++] = stored[i];
	for (i = 0; i < nc; i++)
		cand[n++] = came[i];
	for (j = 0; j < nw; j++)
	{
		int			alike = -1;

		/*
		 * The very value that went, if it is there: values alike in the order
		 * may differ (numeric 1.0 and 1.00, float 0 and -0, text under a
		 * nondeterministic collation), and the one that stays must be one a
		 * row still has.  Else one alike (the value that went lies at the
		 * stored reserve's bound: one fewer alike is still a lower bound).
		 */
		for (i = 0; i < n; i++)
			if (!gone[i] && agg_order_cmp(o, cand[i], went[j]) == 0)
			{
				if (datum_image_eq(cand[i], went[j], o->typbyval, o->typlen))
				{
					alike = i;
					break;
				}
				if (alike < 0)
					alike = i;
			}
		if (alike >= 0)
			gone[alike] = true;
	}

	/* the provable ones, sorted, at most k */
	for (i = 0; i < n; i++)
	{
		if (gone[i])
			continue;
		if (bounded_s && agg_order_cmp(o, cand[i], last_s) > 0)
			continue;
		if (nc >= FACT_RESERVE && agg_order_cmp(o, cand[i], last_c) > 0)
			continue;
		if (nw >= FACT_RESERVE && agg_order_cmp(o, cand[i], last_w) >= 0)
			continue;
		agg_reserve_add(&out, o, cand[i]);
	}
	nout = Min(out.n, k);
	out.n = nout;
	return agg_reserve_array(&out, o);
}

/*
 * The reserves _fact_reserve_checked() found run out since the last call of
 * _fact_reserve_ran_out(), in this backend.
 */
static int64 reserves_ran_out = 0;

/* whether reserve d (an array, not NULL) holds no value */
static bool
reserve_empty(Datum d)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *body;
	int32		ndim;
	bool		empty;
	int			i;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		v = pg_detoast_datum_packed(v);

	/*
	 * its dimensions read where they lie (a short header too: no copy); empty
	 * when it has none, or one of length 0
	 */
	body = VARDATA_ANY(v);
	memcpy(&ndim, body + offsetof(ArrayType, ndim) - VARHDRSZ, sizeof(int32));
	empty = ndim <= 0;
	for (i = 0; i < ndim && !empty; i++)
	{
		int32		dim;

		memcpy(&dim, body + sizeof(ArrayType) - VARHDRSZ + i * sizeof(int32), sizeof(int32));
		empty = dim <= 0;
	}
	return empty;
}

/*
 * dataeng_internal._fact_reserve_checked(stored anyarray, stored_nn bigint,
 *		came anyarray, went anyarray, k int, descending boolean, nn bigint)
 *		-> anyarray
 *
 * _fact_reserve(stored, stored_nn, came, went, k, descending), counted as
 * run out when it is empty while its group has values (nn, the group's
 * new count of non-NULL values, is not 0; NULL: unknown).  The MERGE of a
 * refresh writes each new reserve so, and the refresh looks for the
 * groups to recompute only when one ran out (_fact_refresh).
 */
PG_FUNCTION_INFO_V1(dataeng_fact_reserve_checked);
Datum
dataeng_fact_reserve_checked(PG_FUNCTION_ARGS)
{
	AggOrder   *o;
	ReserveMade made = {0};
	Datum		r = reserve_new(fcinfo, &o, &made);

	if (reserve_empty(r) && (PG_ARGISNULL(6) || PG_GETARG_INT64(6) != 0))
		reserves_ran_out++;
	PG_RETURN_DATUM(r);
}

/*
 * agg_reserve_make
 *		_fact_reserve() for a caller in C (fact_apply.c, which makes a
 *		group's new reserve once per row, with no memo): the new reserve of
 *		values in order o, at most k, from the stored one (stored; NULL: none),
 *		the group's count of non-NULL values before (stored_nn; NULL:
 *		unknown, then nothing is provable and the reserve is empty) and the
 *		arrays of the values that came and went (NULL: none).  The result
 *		may be the stored array itself, as it came (detoasted).
 */
Datum
agg_reserve_make(const AggOrder *o, int k, Datum stored, bool stored_null, Datum stored_nn,
				 bool stored_nn_null, Datum came, bool came_null, Datum went, bool went_null)
{
	struct varlena *args[3];
	Datum		in[3] = {stored, came, went};
	bool		null[3] = {stored_null, came_null, went_null};
	AggReserve	none = {0};
	bool		kept;
	int			i;

	check_size(k);
	if (stored_nn_null)
		return agg_reserve_array(&none, o);
	for (i = 0; i < 3; i++)
	{
		args[i] = null[i] ? NULL : (struct varlena *) DatumGetPointer(in[i]);
		if (args[i] && (VARATT_IS_EXTERNAL(args[i]) || VARATT_IS_COMPRESSED(args[i])))
			args[i] = pg_detoast_datum_packed(args[i]);
	}
	if (o->typbyval && o->typlen > 0)
	{
		Datum		vals[FACT_RESERVE];
		int			nv;

		if (args[0] != NULL && kept_fixed(o, k, args[0], DatumGetInt64(stored_nn), args[1], args[2]))
			return PointerGetDatum(args[0]);
		nv = fixed_new(o, k, args[0], DatumGetInt64(stored_nn), args[1], args[2], vals);
		if (nv >= 0)
			return PointerGetDatum(construct_array(vals, nv, o->typid, o->typlen, o->typbyval, o->typalign));
	}
	return reserve_general(o, k, args, DatumGetInt64(stored_nn), &kept);
}

/*
 * agg_reserve_first
 *		The first value of reserve r (an array of o's type: the min or max
 *		of its group), where it lies in r; *isnull when r is empty.
 */
Datum
agg_reserve_first(const AggOrder *o, Datum r, bool *isnull)
{
	int			idx = 1;

	if (o->typbyval && o->typlen > 0)
	{
		struct varlena *rv = (struct varlena *) DatumGetPointer(r);
		FixedArray	a;

		if (fixed_array(o, &rv, &a))
		{
			*isnull = a.n == 0;
			return a.n == 0 ? (Datum) 0 : fixed_value(o, &a, 0, att_align_nominal(o->typlen, o->typalign));
		}
	}
	return array_get_element(r, 1, &idx, -1, o->typlen, o->typbyval, o->typalign, isnull);
}

/*
 * agg_reserve_check
 *		Count reserve r (an array, not NULL) as run out, as
 *		_fact_reserve_checked() does, when it holds no value while its group
 *		has values (nn, its new count of non-NULL values, is not 0; NULL:
 *		unknown).  True when it ran out.
 */
bool
agg_reserve_check(Datum r, Datum nn, bool nn_null)
{
	if (reserve_empty(r) && (nn_null || DatumGetInt64(nn) != 0))
	{
		reserves_ran_out++;
		return true;
	}
	return false;
}

/*
 * dataeng_internal._fact_reserve_first(stored anyarray, stored_nn bigint,
 *		came anyarray, went anyarray, k int, descending boolean)
 *		-> anyelement
 *
 * The first value of _fact_reserve(stored, stored_nn, came, went, k,
 * descending), the new min or max of the group; NULL when it is empty.
 * Read where it lies: when the reserve stays as it is (most groups), its
 * first value in the fact's row; else the new reserve is made once, and
 * the call for the reserve itself in the same row finds it made (the
 * memo of _fact_reserve()).
 */
PG_FUNCTION_INFO_V1(dataeng_fact_reserve_first);
Datum
dataeng_fact_reserve_first(PG_FUNCTION_ARGS)
{
	AggOrder   *o;
	ReserveMade made = {.want_first = true};
	Datum		r = reserve_new(fcinfo, &o, &made);
	int			idx = 1;
	bool		isnull;
	Datum		v;

	if (made.first_made)
	{
		if (made.first_null)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(made.first);
	}
	if (o->typbyval && o->typlen > 0)
	{
		struct varlena *rv = (struct varlena *) DatumGetPointer(r);
		FixedArray	a;

		if (fixed_array(o, &rv, &a))
		{
			if (a.n == 0)
				PG_RETURN_NULL();
			PG_RETURN_DATUM(fixed_value(o, &a, 0, att_align_nominal(o->typlen, o->typalign)));
		}
	}
	v = array_get_element(r, 1, &idx, -1, o->typlen, o->typbyval, o->typalign, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(datumCopy(v, o->typbyval, o->typlen));
}

/*
 * dataeng_internal._fact_reserve_ran_out() -> bigint
 *
 * How many reserves _fact_reserve_checked() counted as run out since the
 * last call; counting starts again from 0.
 */
PG_FUNCTION_INFO_V1(dataeng_fact_reserve_ran_out);
Datum
dataeng_fact_reserve_ran_out(PG_FUNCTION_ARGS)
{
	int64		n = reserves_ran_out;

	reserves_ran_out = 0;
	PG_RETURN_INT64(n);
}

/* The state of _fact_reserve_agg() and _fact_reserve_union() */
typedef struct ReserveAggState
{
	AggOrder	order;
	AggReserve	r;
	int			k;
} ReserveAggState;

static ReserveAggState *
agg_state(FunctionCallInfo fcinfo, Oid elem)
{
	MemoryContext aggcxt;
	ReserveAggState *s;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "fact reserve aggregate called in non-aggregate context");
	if (!PG_ARGISNULL(0))
		return (ReserveAggState *) PG_GETARG_POINTER(0);
	if (PG_ARGISNULL(2) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the size and order of a fact reserve must not be NULL")));
	check_size(PG_GETARG_INT32(2));
	s = MemoryContextAllocZero(aggcxt, sizeof(ReserveAggState));
	agg_order_init(&s->order, elem, PG_GET_COLLATION(), PG_GETARG_BOOL(3), aggcxt);
	s->r.cap = FACT_RESERVE;
	s->r.v = MemoryContextAlloc(aggcxt, sizeof(Datum) * FACT_RESERVE);
	s->k = PG_GETARG_INT32(2);
	return s;
}

/* add v to the aggregate's reserve, copied in the aggregate's memory */
static void
agg_state_add(FunctionCallInfo fcinfo, ReserveAggState *s, Datum v)
{
	MemoryContext aggcxt;
	MemoryContext old;

	AggCheckCallContext(fcinfo, &aggcxt);
	old = MemoryContextSwitchTo(aggcxt);
	agg_reserve_add(&s->r, &s->order, v);
	MemoryContextSwitchTo(old);
}

/*
 * dataeng_internal._fact_reserve_agg(value anyelement, k int, descending
 * boolean): the k least (greatest) non-NULL values of a group, sorted; an
 * empty array when it has none.
 */
PG_FUNCTION_INFO_V1(dataeng_fact_reserve_step);
Datum
dataeng_fact_reserve_step(PG_FUNCTION_ARGS)
{
	ReserveAggState *s = agg_state(fcinfo, get_fn_expr_argtype(fcinfo->flinfo, 1));

	if (!PG_ARGISNULL(1))
		agg_state_add(fcinfo, s, PG_GETARG_DATUM(1));
	PG_RETURN_POINTER(s);
}

/*
 * dataeng_internal._fact_reserve_union(values anyarray, k int, descending
 * boolean): the k least (greatest) of the values of all the arrays.
 */
PG_FUNCTION_INFO_V1(dataeng_fact_reserve_union_step);
Datum
dataeng_fact_reserve_union_step(PG_FUNCTION_ARGS)
{
	ReserveAggState *s = agg_state(fcinfo, arg_element_type(fcinfo, 1));

	if (!PG_ARGISNULL(1))
	{
		Datum	   *v;
		int			n = array_values(PG_GETARG_ARRAYTYPE_P(1), &s->order, &v);
		int			i;

		for (i = 0; i < n; i++)
			agg_state_add(fcinfo, s, v[i]);
	}
	PG_RETURN_POINTER(s);
}

/* the final function of both: the reserve as an array, at most k values */
static Datum
reserve_final(FunctionCallInfo fcinfo, Oid elem)
{
	ReserveAggState *s;
	AggReserve	r;

	if (PG_ARGISNULL(0))
	{
		/* no row: an empty array of the type */
		PG_RETURN_ARRAYTYPE_P(construct_empty_array(elem));
	}
	s = (ReserveAggState *) PG_GETARG_POINTER(0);
	r = s->r;
	r.n = Min(r.n, s->k);
	PG_RETURN_DATUM(agg_reserve_array(&r, &s->order));
}

PG_FUNCTION_INFO_V1(dataeng_fact_reserve_final);
Datum
dataeng_fact_reserve_final(PG_FUNCTION_ARGS)
{
	return reserve_final(fcinfo, get_fn_expr_argtype(fcinfo->flinfo, 1));
}

PG_FUNCTION_INFO_V1(dataeng_fact_reserve_union_final);
Datum
dataeng_fact_reserve_union_final(PG_FUNCTION_ARGS)
{
	return reserve_final(fcinfo, arg_element_type(fcinfo, 1));
}
