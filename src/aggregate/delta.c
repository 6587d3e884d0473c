/*-------------------------------------------------------------------------
 *
 * delta.c
 *		The group deltas of a fact refresh, folded while the change log is
 *		read.
 *
 * dataeng_internal._fact_deltas(consumer, source, time_column, grain, time_zone,
 * dims, vals, summed, extreme, distinct_vals) reads every pending change of source for the fact's
 * consumer (cdc_read_changes(), which acknowledges them in the caller's
 * transaction) and returns, per group of (bucket, dimension values):
 *
 *	 (is_total boolean, n_changes bigint, has_t boolean, rows bigint,
 *	  bucket timestamptz, <dimensions...>,
 *	  per value column: [sum <type>,] nonnull bigint
 *	  [, ins_lo, ins_hi, del_lo, del_hi <arrays of the column's type>]
 *	  [, came, went <arrays of the column's type>])
 *
 * vals are the value columns: each a measure's value expression as
 * _fact_measure_parse() deparsed it (its columns written s.<column>), or a
 * column alone (s.<column>), analysed and checked again here
 * (agg_value_expr(), measure.c) and evaluated over each row image as the
 * current user, the fact's owner; a column alone is read from the image
 * without evaluation.
 *
 * An update counts its old row image -1 and its new one +1, a delete
 * its old image -1 and an insert its new one +1: rows is the net number of
 * rows, nonnull the net number of non-NULL values, and sum (for the columns
 * marked in summed) the net sum of the values (NULL when no value came).
 * The bucket is date_trunc(grain, time, time_zone) as the fact defines it.
 *
 * For the columns marked in extreme (those of min/max measures) come the
 * FACT_RESERVE least and greatest values that came in (new images, +1)
 * and that went out (old images, -1), compared with the type's default
 * btree ordering under the column's collation, as min() and max()
 * compare.  From them and the reserve a fact keeps per group, the caller
 * makes each group's new reserve, and recomputes only the groups whose
 * reserve runs out (reserve.c).
 *
 * For the columns marked in distinct_vals (those of count(DISTINCT)
 * measures) come every value that came in (new images) and every value
 * that went out (old images) of the group, as two arrays (an update that
 * leaves a value in its group adds to neither).  The caller nets them per
 * value and applies them to the per-value counts a fact keeps in its side
 * table <fact>_distinct (sql/facts.sql, fact_refresh): a value's count
 * going from zero to positive adds one to the group's count(DISTINCT),
 * from positive to zero takes one away.  These lists take memory in
 * proportion to the row images folded; they are part of the groups'
 * memory, written out with them when it exceeds the budget.
 * A last row (is_total) holds the number of changes read, whether a
 * TRUNCATE came and, as its rows, how many times the groups were written
 * out before the end; a numeric sum column holds NaN there when the sum of
 * one of the groups written out was NaN or infinite (a NaN or an infinity
 * came or went: the caller recomputes such groups, and needs not look at
 * every group to know whether there is one); its other columns are NULL.  The groups are kept
 * within the memory a hash aggregate may use (work_mem times
 * hash_mem_multiplier): when they take more, they are written out as result
 * rows and the fold starts again with none (flush_groups()), so a group
 * may come in several rows, which the caller adds up.  When every
 * dimension is of a type compared as its integer value, the groups are
 * written out in key order (bucket, then dimensions, NULLs last), as the
 * refresh looks them up in the fact's key index; others in the order they
 * were made.
 *
 * Groups are formed by the binary images of their values, so values that
 * are equal but stored differently (numeric 1.0 and 1.00, say) may come as
 * separate groups: for such dimension types the caller sums the rows
 * again with GROUP BY, which merges them by the types' own equality (and
 * sees one row per group rather than one per row image).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/executor.h"
#include "executor/nodeHash.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "port/pg_bitutils.h"
#include "nodes/value.h"
#include "parser/parse_oper.h"
#include "parser/scansup.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/acl.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/plancache.h"
#include "utils/snapmgr.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"
#include "cdc/cdc.h"

/* leading columns of a result row (FACT_DELTAS_COLUMNS, aggregate.h) */
#define D_FIXED		FD_NFIXED

/* grains the bucket arithmetic handles itself (others call date_trunc) */
typedef enum Grain
{
	G_OTHER,
	G_MINUTE,
	G_HOUR,
	G_DAY,
	G_WEEK,
	G_MONTH,
	G_QUARTER,
	G_YEAR
} Grain;

/* How a row image's time becomes its bucket */
typedef struct BucketSpec
{
	ImageColumn col;			/* the time column */
	Oid			basetype;		/* timestamptz, timestamp or date */
	Grain		grain;
	bool		fixed;			/* the zone has one UTC offset ever */
	int64		offset;			/* that offset, microseconds east of UTC */
	Datum		grain_text;
	Datum		zone_text;
} BucketSpec;

/*
 * A value column: summed and counted, or counted only.  Its value is a
 * column of the row image (col), or an expression of the source's columns
 * (expr, a measure's, evaluated over the row image put in a slot).  Its
 * state in a group is at the offsets off_* of the group
 * (group_layout_init()).
 */
typedef struct ValueColumn
{
	ImageColumn col;
	ExprState  *expr;			/* NULL: the column col */
	Oid			typid;			/* type of the value */
	bool		summed;
	Oid			sumtype;		/* type of the sum */
	int16		sumlen;
	bool		sumbyval;
	FmgrInfo	conv;			/* value to sumtype, when they differ */
	bool		has_conv;
	FmgrInfo	plus;
	FmgrInfo	minus;
	bool		intsum;			/* an integer column, summed in an int128 */
	bool		numsum;			/* numeric, summed as a scaled int128 while it
								 * can be (numsum.c) */
	bool		extreme;		/* its least and greatest values are kept */
	bool		distinct;		/* the values that came and went are kept */
	AggOrder	order[2];		/* for extremes: least first, greatest first */
	int16		typlen;
	bool		typbyval;
	char		typalign;
	/* its state in a group: offsets from the group's start, 0 if none */
	uint32		off_acc;		/* int128: an intsum's or numsum's net sum */
	uint32		off_sums;		/* Datum[2]: a sum's plus and minus (a numsum:
								 * a pointer to them, once in numeric) */
	uint32		off_scale;		/* int16: a numsum's scale */
	uint32		off_ext;		/* AggReserve[X_N]: the extremes */
	uint32		off_xin;		/* Datum[2][X_INLINE]: the first values of
								 * the two least-first lists, in the group
								 * (0: none, see fold_reserve_add()) */
	uint32		off_dv;			/* ValueList[2]: the values that came, went */
	int			img_col;		/* (a column: its place in DeltaState.reader) */
} ValueColumn;

/* the values of a distinct column that came in (or went out) of a group */
typedef struct ValueList
{
	int			n;
	int			cap;
	Datum	   *v;
} ValueList;

/* the lists of extremes kept per value column of a group (aggregate.h) */
#define X_INS_LO	FD_X_INS_LO
#define X_DEL_LO	FD_X_DEL_LO
#define X_N			FD_X_N

/*
 * the values a list of least values (that came, that went) of a type
 * compared as integers holds in its group itself, before it needs memory
 * of its own: most groups of a refresh see a few values, and the group is
 * in the cache already when they come
 */
#define X_INLINE	4

/*
 * One group: its key and its running deltas.  A group is one piece of
 * memory (group_new()) sized exactly for the fact's columns: this header,
 * then at offsets the same for every group of a fold (DeltaState's off_*
 * and ValueColumn's off_*, group_layout_init()):
 *
 *	 Datum keys[ndims]; int64 nonnull[nvals];
 *	 per value column, what it keeps (a sum, extremes, values);
 *	 bool keynulls[ndims]; uint8 vflags[nvals] (VF_*)
 *
 * so that a group of a few integer columns takes a hundred bytes or so,
 * and more groups fit in the fold's memory before it has to write them
 * out.  The keys that are not by value, and the lists of values, are cut
 * from blocks of their own (group_alloc()).
 */
typedef struct DeltaGroup
{
	uint32		hash;			/* of the bucket and the keys */
	bool		bucket_null;
	TimestampTz bucket;
	int64		rows;
	int64		n_changes;
} DeltaGroup;

#define VF_PLUS		0x01		/* a value was counted +1 (has a plus) */
#define VF_MINUS	0x02		/* ... -1 */
#define VF_NUMFB	0x04		/* numsum: summed in numeric after all */

#define G_AT(g, off, type)	((type *) ((char *) (g) + (off)))
#define G_KEYS(st, g)		G_AT(g, (st)->off_keys, Datum)
#define G_KEYNULLS(st, g)	G_AT(g, (st)->off_keynulls, bool)
#define G_NONNULL(st, g)	G_AT(g, (st)->off_nonnull, int64)
#define G_VFLAGS(st, g)		G_AT(g, (st)->off_vflags, uint8)

/*
 * The groups by their key, open addressing; an entry points to its group,
 * which holds the hash.  (The key looked up is a group too, st->probe.)
 */
typedef struct GroupEntry
{
	DeltaGroup *group;
	uint32		hash;
	char		status;			/* for simplehash */
} GroupEntry;

static inline bool group_key_equal(void *st, const DeltaGroup *a, const DeltaGroup *b);

#define SH_PREFIX		groups
#define SH_ELEMENT_TYPE	GroupEntry
#define SH_KEY_TYPE		DeltaGroup *
#define SH_KEY			group
#define SH_HASH_KEY(tb, key)	((key)->hash)
#define SH_EQUAL(tb, a, b)	group_key_equal((tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a)	((a)->hash)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* groups, and their keys and lists, are cut from blocks of about this size */
#define GROUP_BLOCK_SIZE	(32 * 1024)

typedef struct DeltaState
{
	MemoryContext groupcxt;		/* groups and their values */
	MemoryContext rowcxt;		/* one change's decoding */
	groups_hash *groups;
	BucketSpec	bucket;
	int			ndims;
	ImageColumn *dims;
	int16	   *dimlen;
	bool	   *dimbyval;
	AggOrder   *dimorder;		/* the dimensions' orderings, when sorted */
	bool		sorted;			/* groups written out in key order */
	int			nvals;
	ValueColumn *vals;
	bool		any_extreme;
	bool		any_distinct;
	/* the values of the two images of a change, and those it leaves */
	Datum	   *xv_old;
	bool	   *xn_old;
	Datum	   *xv_new;
	bool	   *xn_new;
	bool	   *xskip;
	int64		changes;		/* row changes folded */
	int64		truncates;
	int64		incomplete;		/* images without a key for a column read */
	/* the groups are written out whenever they take more than budget */
	ReturnSetInfo *rsinfo;
	bool		hold;			/* the groups held for the C apply (held.c) */
	Size		budget;
	int64		flushes;		/* times they were written out before the end */
	/* the layout of a group (DeltaGroup) */
	Size		group_size;
	uint32		off_keys;
	uint32		off_nonnull;
	uint32		off_keynulls;
	uint32		off_vflags;
	/*
	 * The groups, in blocks of groups_per_block (the last one holding
	 * last_used), in the order they were made; and the memory their keys
	 * and lists are cut from (what is left of the current block).
	 */
	char	  **gblocks;
	int			ngblocks;
	int			gblocks_cap;
	int			groups_per_block;
	int			last_used;
	char	   *block_free;
	Size		block_left;
	/* the current row image's key, while it is looked up (a group's head) */
	DeltaGroup *probe;
	Datum	   *keys;
	bool	   *keynulls;
	MemoryContext emitcxt;		/* one result row's values */
	Datum	   *out_values;
	bool	   *out_nulls;
	/* per value column: a group's numeric sum came out NaN or infinite */
	bool	   *sum_odd;
	/*
	 * The columns read from each row image: the time column, the
	 * dimensions, the columns the value expressions read, then the value
	 * columns that are columns (ValueColumn.img_col); their values.
	 */
	ImageReader reader;
	Datum	   *img_values;
	bool	   *img_nulls;
	bool	   *img_missing;
	/* the columns the value expressions read, put in slot for them */
	int			nrowcols;
	ImageColumn *rowcols;
	AttrNumber *rowatts;
	TupleTableSlot *slot;
	ExprContext *econtext;
} DeltaState;

static inline int64
floor_div(int64 a, int64 b)
{
	int64		q = a / b;

	return (a % b != 0 && (a < 0)) ? q - 1 : q;
}

/*
 * grain_of
 *		The grains with their own arithmetic.
 */
static Grain
grain_of(const char *g)
{
	static const struct
	{
		const char *name;
		Grain		grain;
	}			grains[] = {
		{"minute", G_MINUTE}, {"hour", G_HOUR}, {"day", G_DAY}, {"week", G_WEEK},
		{"month", G_MONTH}, {"quarter", G_QUARTER}, {"year", G_YEAR}
	};
	int			i;

	for (i = 0; i < (int) lengthof(grains); i++)
		if (strcmp(g, grains[i].name) == 0)
			return grains[i].grain;
	return G_OTHER;
}

/*
 * truncate_local
 *		A local timestamp (microseconds since 2000-01-01, no zone) truncated
 *		to the start of its bucket, as date_trunc does.
 */
static int64
truncate_local(int64 local, Grain grain)
{
	int64		day = floor_div(local, USECS_PER_DAY);
	int			jd = (int) (day + POSTGRES_EPOCH_JDATE);
	int			y,
				m,
				d;

	switch (grain)
	{
		case G_MINUTE:
			return floor_div(local, USECS_PER_MINUTE) * USECS_PER_MINUTE;
		case G_HOUR:
			return floor_div(local, USECS_PER_HOUR) * USECS_PER_HOUR;
		case G_DAY:
			return day * USECS_PER_DAY;
		case G_WEEK:
			/* ISO weeks start on Monday; j2day() counts from Sunday */
			return (day - (j2day(jd) + 6) % 7) * USECS_PER_DAY;
		default:
			break;
	}
	j2date(jd, &y, &m, &d);
	if (grain == G_QUARTER)
		m = ((m - 1) / 3) * 3 + 1;
	else if (grain == G_YEAR)
		m = 1;
	return (int64) (date2j(y, m, 1) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY;
}

/*
 * bucket_range_error
 *		Raise the error of a time value whose bucket does not start within
 *		the timestamps: the first bucket (one that starts before 4714-11-24
 *		BC, 00:00 UTC: a month, a year, or a day in a zone west of UTC) or a
 *		date after the last timestamp (dates go on to 5874897 AD).
 */
static void bucket_range_error(BucketSpec *b, Datum t) pg_attribute_noreturn();

static void
bucket_range_error(BucketSpec *b, Datum t)
{
	char	   *value;

	if (b->basetype == DATEOID)
		value = DatumGetCString(DirectFunctionCall1(date_out, t));
	else if (b->basetype == TIMESTAMPOID)
		value = DatumGetCString(DirectFunctionCall1(timestamp_out, t));
	else
		value = DatumGetCString(DirectFunctionCall1(timestamptz_out, t));
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
			 errmsg("the %s bucket of %s is out of the range of timestamps",
					TextDatumGetCString(b->grain_text), value),
			 errdetail("A fact's buckets are kept as timestamps with time zone, from 4714-11-24 00:00:00 BC to 294276-12-31 23:59:59.999999 UTC; the bucket of this time value in zone \"%s\" does not start within them.",
					   TextDatumGetCString(b->zone_text)),
			 errhint("Correct or delete the source rows of such values (a CHECK constraint on the time column keeps them out; 'infinity' and '-infinity' are kept), then call dataeng.fact_rebuild(), as the changes pending still hold them.")));
}

/*
 * bucket_slow
 *		The bucket of a time value by the functions of date_trunc(): the
 *		value as a timestamptz (a date or timestamp read in the zone), cut
 *		at the grain in the zone.
 */
static TimestampTz
bucket_slow(BucketSpec *b, Datum t)
{
	if (b->basetype == DATEOID)
		t = DirectFunctionCall1(date_timestamp, t);
	if (b->basetype != TIMESTAMPTZOID)
		t = DirectFunctionCall2(timestamp_zone, b->zone_text, t);
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_trunc_zone, b->grain_text,
												   t, b->zone_text));
}

/* how far from the first timestamp a bucket may start before it (a millennium) */
#define BUCKET_BACK (INT64CONST(1001) * DAYS_PER_YEAR * USECS_PER_DAY)

/*
 * bucket_of
 *		The bucket of a time value, exactly as the fact's SQL expression
 *		(_fact_bucket_expr) computes it; bucket_range_error() when it does
 *		not start within the timestamps.
 */
static TimestampTz
bucket_of(BucketSpec *b, Datum t)
{
	int64		v;
	bool		finite;
	MemoryContext cxt;
	volatile TimestampTz r = 0;
	volatile bool overflow = false;

	if (b->basetype == DATEOID)
	{
		DateADT		d = DatumGetDateADT(t);

		finite = !DATE_NOT_FINITE(d);
		if (finite && d >= TIMESTAMP_END_JULIAN - POSTGRES_EPOCH_JDATE)
			bucket_range_error(b, t);
		v = (int64) d * USECS_PER_DAY;
	}
	else
	{
		v = DatumGetTimestamp(t);
		finite = !TIMESTAMP_NOT_FINITE(v);
	}
	if (finite && b->fixed && b->grain != G_OTHER)
	{
		/* a zone of one offset: the arithmetic, checked as date_trunc's is */
		if (b->basetype == TIMESTAMPTZOID)
			r = truncate_local(v + b->offset, b->grain) - b->offset;
		else
			r = truncate_local(v, b->grain) - b->offset;
		if (!IS_VALID_TIMESTAMP(r))
			bucket_range_error(b, t);
		return r;
	}
	if (!finite || (v >= MIN_TIMESTAMP + BUCKET_BACK && v < END_TIMESTAMP - 2 * USECS_PER_DAY))
		return bucket_slow(b, t);

	/*
	 * Near either end of the timestamps, the bucket's start (or, for a date
	 * or timestamp, the value read in the zone) may be out of their range:
	 * date_trunc's error becomes bucket_range_error().
	 */
	cxt = CurrentMemoryContext;
	PG_TRY();
	{
		r = bucket_slow(b, t);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_DATETIME_VALUE_OUT_OF_RANGE)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		overflow = true;
	}
	PG_END_TRY();
	if (overflow)
		bucket_range_error(b, t);
	return r;
}

/*
 * bucket_spec_init
 *		The grain and zone of a BucketSpec (its basetype set already), in
 *		the current memory context.
 */
static void
bucket_spec_init(BucketSpec *b, const char *grain, const char *zone)
{
	/*
	 * date_trunc() looks the zone up among the abbreviations first, then in
	 * the zone database: do the arithmetic only for a database zone with a
	 * single UTC offset, and let date_trunc() do the others.
	 */
	char	   *lowzone = downcase_truncate_identifier(zone, strlen(zone), false);
	int			val;
	pg_tz	   *tz = NULL;
	pg_tz	   *dyn;
	long		gmtoff;

	b->grain = grain_of(grain);
	b->grain_text = CStringGetTextDatum(grain);
	b->zone_text = CStringGetTextDatum(zone);
	if (DecodeTimezoneAbbrev(0, lowzone, &val, &dyn) == UNKNOWN_FIELD)
		tz = pg_tzset(zone);
	b->fixed = tz != NULL && pg_get_timezone_offset(tz, &gmtoff);
	b->offset = b->fixed ? (int64) gmtoff * USECS_PER_SEC : 0;
}

PG_FUNCTION_INFO_V1(dataeng_fact_bucket);

/*
 * dataeng_internal._fact_bucket(t, grain, zone)
 *		The bucket of a time value t (timestamptz, timestamp or date) as a
 *		fact at that grain in that zone defines it: what
 *		dataeng_internal._fact_bucket_expr() writes in SQL, computed as
 *		_fact_deltas() computes it (arithmetic for the common grains in a
 *		zone with one UTC offset, date_trunc otherwise).  The spec is kept
 *		in fn_extra between calls with the same grain and zone: the scans
 *		of a refresh's recompute call it once per source row.
 */
typedef struct BucketCache
{
	BucketSpec	spec;
	text	   *grain;
	text	   *zone;
} BucketCache;

Datum
dataeng_fact_bucket(PG_FUNCTION_ARGS)
{
	BucketCache *c = (BucketCache *) fcinfo->flinfo->fn_extra;
	text	   *grain = PG_GETARG_TEXT_PP(1);
	text	   *zone = PG_GETARG_TEXT_PP(2);

	if (c == NULL || VARSIZE_ANY_EXHDR(c->grain) != VARSIZE_ANY_EXHDR(grain) ||
		VARSIZE_ANY_EXHDR(c->zone) != VARSIZE_ANY_EXHDR(zone) ||
		memcmp(VARDATA_ANY(c->grain), VARDATA_ANY(grain), VARSIZE_ANY_EXHDR(grain)) != 0 ||
		memcmp(VARDATA_ANY(c->zone), VARDATA_ANY(zone), VARSIZE_ANY_EXHDR(zone)) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
		Oid			t = getBaseType(get_fn_expr_argtype(fcinfo->flinfo, 0));

		if (t != TIMESTAMPTZOID && t != TIMESTAMPOID && t != DATEOID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("a bucket is of a timestamptz, timestamp or date, not of type %s",
							format_type_be(t))));
		c = palloc0(sizeof(BucketCache));
		c->spec.basetype = t;
		bucket_spec_init(&c->spec, text_to_cstring(grain), text_to_cstring(zone));
		c->grain = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(grain));
		c->zone = (text *) PG_DETOAST_DATUM_COPY(PointerGetDatum(zone));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = c;
	}
	PG_RETURN_TIMESTAMPTZ(bucket_of(&c->spec, PG_GETARG_DATUM(0)));
}

/*
 * split_bisect
 *		The first instant of [lo, hi] whose bucket is w or later, given that
 *		the bucket of hi is and that buckets do not decrease in between.
 */
static TimestampTz
split_bisect(BucketSpec *spec, TimestampTz lo, TimestampTz hi, TimestampTz w)
{
	if (bucket_of(spec, TimestampTzGetDatum(lo)) >= w)
		return lo;
	/* bucket(lo) < w <= bucket(hi) */
	while (hi - lo > 1)
	{
		TimestampTz mid = lo + (hi - lo) / 2;

		if (bucket_of(spec, TimestampTzGetDatum(mid)) >= w)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

/*
 * split_zone
 *		The zone database entry date_trunc() reads a zone name as, NULL for
 *		an abbreviation of a fixed offset (no changes of offset).
 */
static pg_tz *
split_zone(const char *zone)
{
	char	   *lowzone = downcase_truncate_identifier(zone, strlen(zone), false);
	int			val;
	pg_tz	   *dyn = NULL;
	int			type = DecodeTimezoneAbbrev(0, lowzone, &val, &dyn);

	if (type == DYNTZ)
		return dyn;
	if (type == TZ || type == DTZ)
		return NULL;
	return pg_tzset(zone);
}

/* how far from a bucket's first instant the changes of offset are looked at */
#define SPLIT_WINDOW (3 * USECS_PER_DAY)

PG_FUNCTION_INFO_V1(dataeng_fact_bucket_split);

/*
 * dataeng_internal._fact_bucket_split(w, grain, zone, upper)
 *		Bounds on the instants of the buckets before w and of those from w
 *		on (buckets of a timestamptz, as _fact_bucket computes them): with
 *		upper false, the first instant whose bucket is w or later; with upper
 *		true, the instant from which every bucket is w or later (both
 *		infinity when no finite instant's is: w after the start of the last
 *		bucket, which runs to the last instant).  The rows
 *		of the buckets [lo, hi) are then among those in [split(lo, false),
 *		split(hi, true)).  Usually both are w itself; not where a zone's
 *		offset changes by less than the grain or at a bucket's start.  When
 *		Australia/Lord_Howe falls back half an hour, 01:00 at the new offset
 *		(14:30 UTC) starts inside 01:00 at the old one (14:00 UTC), whose
 *		rows go on to 15:00 UTC; when America/Havana falls back from 01:00
 *		to midnight, the first midnight's rows are in the second midnight's
 *		day.  And the two differ where the bucket goes back in time: when
 *		America/St_Johns fell back at 00:01 (until 2011), the first minute
 *		of a day came before the last hour of the day before; and at hour
 *		grain where an offset of seconds went forward to whole minutes
 *		(America/Dominica in 1911, Europe/Athens in 1916).  Between two
 *		changes of the zone's offset buckets do not decrease: found by
 *		bisection in each such piece near w.
 */
Datum
dataeng_fact_bucket_split(PG_FUNCTION_ARGS)
{
	TimestampTz w = PG_GETARG_TIMESTAMPTZ(0);
	text	   *grain = PG_GETARG_TEXT_PP(1);
	text	   *zone = PG_GETARG_TEXT_PP(2);
	bool		upper = PG_GETARG_BOOL(3);
	BucketSpec	spec;
	TimestampTz lo;
	TimestampTz hi;
	TimestampTz s;
	TimestampTz pieces[66];
	int			npieces;
	bool		back = false;
	pg_tz	   *tz;
	pg_time_t	at;
	int64		step;
	int			i;

	if (TIMESTAMP_NOT_FINITE(w))
		PG_RETURN_TIMESTAMPTZ(w);
	memset(&spec, 0, sizeof(spec));
	spec.basetype = TIMESTAMPTZOID;
	bucket_spec_init(&spec, text_to_cstring(grain), text_to_cstring(zone));
#define SPLIT_BUCKET(t) bucket_of(&spec, TimestampTzGetDatum(t))
	if (SPLIT_BUCKET(w) >= w && (!IS_VALID_TIMESTAMP(w - 1) || SPLIT_BUCKET(w - 1) < w))

		/*
		 * the usual case: w is a bucket's start, and nothing before it is in
		 * it (or nothing is before it: the first timestamp)
		 */
		s = w;
	else
	{
		/*
		 * lo: an instant whose bucket is before w; hi: one whose bucket is w
		 * or later (steps doubling from an hour, up to a few centuries:
		 * further than any offset change)
		 */
		lo = w;
		for (i = 0, step = USECS_PER_HOUR; SPLIT_BUCKET(lo) >= w; i++, step *= 2)
		{
			if (i >= 24 || !IS_VALID_TIMESTAMP(lo - step))
				PG_RETURN_TIMESTAMPTZ(w);
			lo -= step;
		}
		hi = w;
		for (i = 0, step = USECS_PER_HOUR; SPLIT_BUCKET(hi) < w; i++, step *= 2)
		{
			if (i >= 24)
				PG_RETURN_TIMESTAMPTZ(w);
			if (hi >= END_TIMESTAMP - step)
			{
				/*
				 * At the end of the timestamps: the last instant, unless its
				 * bucket too is before w.  Then no finite instant's is w or
				 * later (w is after the start of the last bucket, which runs
				 * to the last instant): infinity bounds both.
				 */
				if (SPLIT_BUCKET(END_TIMESTAMP - 1) < w)
					PG_RETURN_TIMESTAMPTZ(DT_NOEND);
				hi = END_TIMESTAMP - 1;
				break;
			}
			hi += step;
		}
		s = split_bisect(&spec, lo, hi, w);
	}

	/*
	 * The changes of offset near s: where none goes back, buckets do not
	 * decrease there and s is both bounds.
	 */
	if (spec.fixed || !IS_VALID_TIMESTAMP(s - SPLIT_WINDOW) || !IS_VALID_TIMESTAMP(s + SPLIT_WINDOW) ||
		(tz = split_zone(text_to_cstring(zone))) == NULL)
		PG_RETURN_TIMESTAMPTZ(s);
	npieces = 0;
	pieces[npieces++] = s - SPLIT_WINDOW;
	at = (pg_time_t) (floor_div(s - SPLIT_WINDOW, USECS_PER_SEC) +
					  (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY);
	while (npieces < (int) lengthof(pieces) - 1)
	{
		pg_time_t	boundary;
		long		before_off;
		long		after_off;
		int			before_dst;
		int			after_dst;
		TimestampTz b;

		if (pg_next_dst_boundary(&at, &before_off, &before_dst, &boundary,
								 &after_off, &after_dst, tz) != 1 || boundary <= at)
			break;
		at = boundary;
		b = ((TimestampTz) boundary - (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) * USECS_PER_SEC;
		if (b >= s + SPLIT_WINDOW)
			break;
		if (b > pieces[npieces - 1])
			pieces[npieces++] = b;
		/*
		 * Buckets go back where the offset does, and at hour and minute
		 * grains (cut at the instant's own offset) also where it goes
		 * forward by a fraction of the grain: America/Dominica's -4:05:36
		 * to -4:00 in 1911 made the instants of 00:00 to 00:01 local time
		 * the bucket 04:05:36 UTC, and the next ones the bucket 04:00 UTC.
		 */
		if (after_off < before_off ||
			(IS_VALID_TIMESTAMP(b - 1) && SPLIT_BUCKET(b - 1) > SPLIT_BUCKET(b)))
			back = true;
	}
	if (!back)
		PG_RETURN_TIMESTAMPTZ(s);
	pieces[npieces] = s + SPLIT_WINDOW;

	/*
	 * Pieces [pieces[i], pieces[i + 1]) of one offset each.  The first
	 * instant whose bucket is w or later: in the first piece that ends in
	 * one.  The instant from which all are: after the last piece that
	 * starts before w.
	 */
	if (!upper)
	{
		for (i = 0; i < npieces; i++)
			if (SPLIT_BUCKET(pieces[i + 1] - 1) >= w)
				PG_RETURN_TIMESTAMPTZ(split_bisect(&spec, pieces[i], pieces[i + 1] - 1, w));
	}
	else
	{
		for (i = npieces - 1; i >= 0; i--)
			if (SPLIT_BUCKET(pieces[i]) < w)
				PG_RETURN_TIMESTAMPTZ(SPLIT_BUCKET(pieces[i + 1] - 1) < w ? pieces[i + 1]
									  : split_bisect(&spec, pieces[i], pieces[i + 1] - 1, w));
	}
#undef SPLIT_BUCKET
	PG_RETURN_TIMESTAMPTZ(s);
}

/*
 * value_column_init
 *		The value text (a measure's value expression, or s.<column>) of
 *		source rel: a column is read from the row image as its own type
 *		when summed or extreme, else only for whether it has a value; an
 *		expression is evaluated (the columns it reads are added to
 *		*attnos).  Its sum has the type SQL's sum() gives.
 */
static void
value_column_init(ValueColumn *vc, Relation rel, const char *text, bool summed,
				  bool extreme, bool distinct, Oid coltype, MemoryContext cxt,
				  Bitmapset **attnos)
{
	Bitmapset  *used = NULL;
	Node	   *e = agg_value_expr(rel, text, &used);
	Oid			typid = exprType(e);
	int32		typmod = exprTypmod(e);
	Oid			collid = exprCollation(e);
	Oid			convfn = InvalidOid;
	/* the built-in operators, whatever the search_path */
	List	   *plus = list_make2(makeString("pg_catalog"), makeString("+"));
	List	   *minus = list_make2(makeString("pg_catalog"), makeString("-"));
	Oid			plusop;
	Oid			minusop;
	const char *name = NULL;

	if (IsA(e, Var))
		name = get_attname(RelationGetRelid(rel), ((Var *) e)->varattno, false);
	else
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		vc->expr = ExecInitExpr(expression_planner((Expr *) e), NULL);
		MemoryContextSwitchTo(old);
		*attnos = bms_add_members(*attnos, used);
	}
	vc->typid = typid;
	vc->summed = summed;
	vc->extreme = extreme;
	vc->distinct = distinct;
	get_typlenbyvalalign(typid, &vc->typlen, &vc->typbyval, &vc->typalign);
	if (extreme)
	{
		agg_order_init(&vc->order[0], typid, collid, false, cxt);
		agg_order_init(&vc->order[1], typid, collid, true, cxt);
	}
	if (name != NULL)
		cdc_image_column_init(&vc->col, name, summed || extreme || distinct ? typid : InvalidOid,
							  summed || extreme || distinct ? typmod : -1, cxt);
	if (!summed)
		return;
	switch (getBaseType(typid))
	{
		case INT2OID:
			vc->sumtype = INT8OID;
			convfn = F_INT8_INT2;
			break;
		case INT4OID:
			vc->sumtype = INT8OID;
			convfn = F_INT8_INT4;
			break;
		case INT8OID:
			vc->sumtype = NUMERICOID;
			convfn = F_NUMERIC_INT8;
			break;
		default:
			vc->sumtype = getBaseType(typid);
	}
	if (coltype != vc->sumtype)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the sum of column \"%s\" is of type %s, not %s", text,
						format_type_be(vc->sumtype), format_type_be(coltype))));
	/* integers (not domains over them) add up in an int128, without fmgr */
	vc->intsum = (typid == INT2OID || typid == INT4OID || typid == INT8OID);
	/* numeric (or a domain over it): as a scaled int128 while it can be */
	vc->numsum = (vc->sumtype == NUMERICOID && !vc->intsum && !OidIsValid(convfn));
	vc->has_conv = OidIsValid(convfn);
	if (vc->has_conv)
		fmgr_info_cxt(convfn, &vc->conv, cxt);
	plusop = OpernameGetOprid(plus, vc->sumtype, vc->sumtype);
	minusop = OpernameGetOprid(minus, vc->sumtype, vc->sumtype);
	if (!OidIsValid(plusop) || !OidIsValid(minusop))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("type %s has no + and - operators", format_type_be(vc->sumtype)),
				 errdetail("A fact refresh adds and subtracts the values of sum(%s).", text)));
	fmgr_info_cxt(get_opcode(plusop), &vc->plus, cxt);
	fmgr_info_cxt(get_opcode(minusop), &vc->minus, cxt);
	get_typlenbyval(vc->sumtype, &vc->sumlen, &vc->sumbyval);
}

/*
 * layout_take
 *		The offset of size bytes aligned to align after *off, which moves
 *		past them.
 */
static uint32
layout_take(Size *off, Size size, Size align)
{
	uint32		at;

	*off = TYPEALIGN(align, *off);
	at = (uint32) *off;
	*off += size;
	return at;
}

/*
 * group_layout_init
 *		Where each part of a group is (DeltaGroup), and the group's size.
 */
static void
group_layout_init(DeltaState *st)
{
	Size		off = MAXALIGN(sizeof(DeltaGroup));
	int			i;

	st->off_keys = layout_take(&off, sizeof(Datum) * st->ndims, MAXIMUM_ALIGNOF);
	st->off_nonnull = layout_take(&off, sizeof(int64) * st->nvals, MAXIMUM_ALIGNOF);
	for (i = 0; i < st->nvals; i++)
	{
		ValueColumn *vc = &st->vals[i];

		/* (int128 is aligned as a MAXALIGN'd type: c.h) */
		if (vc->summed && (vc->intsum || vc->numsum))
			vc->off_acc = layout_take(&off, sizeof(int128), MAXIMUM_ALIGNOF);
		if (vc->summed && !vc->intsum)
			vc->off_sums = layout_take(&off, vc->numsum ? sizeof(Datum *) : 2 * sizeof(Datum),
									   MAXIMUM_ALIGNOF);
		if (vc->extreme)
			vc->off_ext = layout_take(&off, sizeof(AggReserve) * X_N, MAXIMUM_ALIGNOF);
		if (vc->extreme && vc->order[0].intcmp != 0 && vc->order[0].typbyval)
			vc->off_xin = layout_take(&off, sizeof(Datum) * 2 * X_INLINE, MAXIMUM_ALIGNOF);
		if (vc->distinct)
			vc->off_dv = layout_take(&off, sizeof(ValueList) * 2, MAXIMUM_ALIGNOF);
	}
	for (i = 0; i < st->nvals; i++)
		if (st->vals[i].summed && st->vals[i].numsum)
			st->vals[i].off_scale = layout_take(&off, sizeof(int16), sizeof(int16));
	st->off_keynulls = layout_take(&off, sizeof(bool) * st->ndims, 1);
	st->off_vflags = layout_take(&off, sizeof(uint8) * st->nvals, 1);
	st->group_size = MAXALIGN(off);
	st->groups_per_block = Max(1, GROUP_BLOCK_SIZE / st->group_size);
}

/*
 * group_new
 *		A new group, zeroed, after the others in their blocks: they are
 *		written out in that order, reading memory forwards.
 */
static DeltaGroup *
group_new(DeltaState *st)
{
	DeltaGroup *g;
	int			i;

	if (st->ngblocks == 0 || st->last_used == st->groups_per_block)
	{
		if (st->ngblocks == st->gblocks_cap)
		{
			st->gblocks_cap = Max(16, st->gblocks_cap * 2);
			st->gblocks = st->gblocks == NULL ?
				MemoryContextAlloc(st->groupcxt, sizeof(char *) * st->gblocks_cap) :
				repalloc(st->gblocks, sizeof(char *) * st->gblocks_cap);
		}
		st->gblocks[st->ngblocks++] = MemoryContextAlloc(st->groupcxt,
														 st->group_size * st->groups_per_block);
		st->last_used = 0;
	}
	g = (DeltaGroup *) (st->gblocks[st->ngblocks - 1] + st->group_size * st->last_used++);
	memset(g, 0, st->group_size);
	for (i = 0; i < st->nvals; i++)
	{
		ValueColumn *vc = &st->vals[i];
		AggReserve *r;

		if (vc->off_xin == 0)
			continue;
		r = G_AT(g, vc->off_ext, AggReserve);
		r[X_INS_LO].v = G_AT(g, vc->off_xin, Datum);
		r[X_INS_LO].cap = X_INLINE;
		r[X_DEL_LO].v = G_AT(g, vc->off_xin, Datum) + X_INLINE;
		r[X_DEL_LO].cap = X_INLINE;
	}
	return g;
}

/*
 * group_alloc
 *		size bytes of the groups' memory (groupcxt) for their keys and
 *		lists, cut from blocks of GROUP_BLOCK_SIZE: no header nor rounding
 *		per piece.  The pieces are freed all at once, when the groups are
 *		written out.
 */
static void *
group_alloc(DeltaState *st, Size size)
{
	void	   *p;

	size = MAXALIGN(size);
	if (size > st->block_left)
	{
		if (size > GROUP_BLOCK_SIZE / 8)
			return MemoryContextAlloc(st->groupcxt, size);
		st->block_free = MemoryContextAlloc(st->groupcxt, GROUP_BLOCK_SIZE);
		st->block_left = GROUP_BLOCK_SIZE;
	}
	p = st->block_free;
	st->block_free += size;
	st->block_left -= size;
	return p;
}

/*
 * group_key_equal
 *		Whether groups a and b (or the probe) have the same bucket and keys,
 *		by their binary images.
 */
static inline bool
group_key_equal(void *arg, const DeltaGroup *a, const DeltaGroup *b)
{
	DeltaState *st = (DeltaState *) arg;
	Datum	   *ak;
	Datum	   *bk;
	bool	   *an;
	bool	   *bn;
	int			i;

	if (a->bucket_null != b->bucket_null || a->bucket != b->bucket)
		return false;
	ak = G_KEYS(st, a);
	bk = G_KEYS(st, b);
	an = G_KEYNULLS(st, a);
	bn = G_KEYNULLS(st, b);
	for (i = 0; i < st->ndims; i++)
	{
		if (an[i] != bn[i])
			return false;
		if (an[i])
			continue;
		if (st->dimbyval[i] ? ak[i] != bk[i] :
			!datum_image_eq(ak[i], bk[i], false, st->dimlen[i]))
			return false;
	}
	return true;
}

/* a 64-bit value hashed to 32 bits */
static inline uint32
hash_uint64(uint64 v)
{
	return murmurhash32((uint32) v ^ murmurhash32((uint32) (v >> 32)));
}

/*
 * group_find
 *		The group of the key in st->keys and st->keynulls (the probe's) and
 *		the bucket, created if new.
 */
static DeltaGroup *
group_find(DeltaState *st, bool bucket_null, TimestampTz bucket)
{
	DeltaGroup *p = st->probe;
	Datum	   *keys = st->keys;
	bool	   *keynulls = st->keynulls;
	uint32		h = bucket_null ? 0x5bd1e995 : hash_uint64((uint64) bucket);
	GroupEntry *e;
	DeltaGroup *g;
	bool		found;
	int			i;

	for (i = 0; i < st->ndims; i++)
		h = hash_combine(h, keynulls[i] ? 0x27d4eb2d :
						 st->dimbyval[i] ? hash_uint64((uint64) keys[i]) :
						 datum_image_hash(keys[i], false, st->dimlen[i]));
	/* (simplehash takes the low bits: spread the combination over them) */
	h = murmurhash32(h);
	p->hash = h;
	p->bucket_null = bucket_null;
	p->bucket = bucket_null ? 0 : bucket;
	e = groups_insert_hash(st->groups, p, h, &found);
	if (found)
		return e->group;

	g = group_new(st);
	g->hash = h;
	g->bucket_null = p->bucket_null;
	g->bucket = p->bucket;
	for (i = 0; i < st->ndims; i++)
	{
		Datum		k = keys[i];

		G_KEYNULLS(st, g)[i] = keynulls[i];
		if (keynulls[i])
			k = (Datum) 0;
		else if (!st->dimbyval[i])
		{
			if (st->dimlen[i] == -1 && VARATT_IS_EXTERNAL(DatumGetPointer(k)))
			{
				/* (not a plain value: let datumCopy flatten it) */
				MemoryContext old = MemoryContextSwitchTo(st->groupcxt);

				k = datumCopy(k, false, -1);
				MemoryContextSwitchTo(old);
			}
			else
			{
				Size		len = datumGetSize(k, false, st->dimlen[i]);
				void	   *copy = group_alloc(st, len);

				memcpy(copy, DatumGetPointer(k), len);
				k = PointerGetDatum(copy);
			}
		}
		G_KEYS(st, g)[i] = k;
	}
	e->group = g;
	return g;
}

/*
 * accumulate
 *		Add value v of column j to g's sum of values counted sg.
 */
static void
accumulate(DeltaState *st, DeltaGroup *g, int j, Datum v, int sg)
{
	ValueColumn *vc = &st->vals[j];
	uint8	   *flags = &G_VFLAGS(st, g)[j];
	uint8		has = sg > 0 ? VF_PLUS : VF_MINUS;
	int			which = sg > 0 ? 0 : 1;
	Datum	   *sums;
	MemoryContext old;

	if (vc->intsum)
	{
		int64		x = vc->typid == INT2OID ? DatumGetInt16(v) :
			vc->typid == INT4OID ? DatumGetInt32(v) : DatumGetInt64(v);
		int128	   *acc = G_AT(g, vc->off_acc, int128);

		*acc += sg > 0 ? (int128) x : -(int128) x;
		*flags |= has;
		return;
	}
	if (vc->numsum)
	{
		if (!(*flags & VF_NUMFB))
		{
			int128	   *acc = G_AT(g, vc->off_acc, int128);
			int16	   *scale = G_AT(g, vc->off_scale, int16);

			if (agg_numsum_add(acc, scale, v, sg))
			{
				*flags |= has;
				return;
			}
			/* from now on in numeric: what was added up so far is the plus */
			old = MemoryContextSwitchTo(st->groupcxt);
			sums = palloc0(sizeof(Datum) * 2);
			if (*flags & (VF_PLUS | VF_MINUS))
			{
				sums[0] = agg_numsum_numeric(*acc, *scale);
				*flags = (*flags & ~VF_MINUS) | VF_PLUS;
			}
			MemoryContextSwitchTo(old);
			*G_AT(g, vc->off_sums, Datum *) = sums;
			*flags |= VF_NUMFB;
			/* (and the value of this call is added below) */
		}
		sums = *G_AT(g, vc->off_sums, Datum *);
	}
	else
		sums = G_AT(g, vc->off_sums, Datum);
	if (vc->has_conv)
		v = FunctionCall1(&vc->conv, v);
	old = MemoryContextSwitchTo(st->groupcxt);
	if (*flags & has)
	{
		Datum		prev = sums[which];

		sums[which] = FunctionCall2(&vc->plus, prev, v);
		if (!vc->sumbyval)
			pfree(DatumGetPointer(prev));
	}
	else
		sums[which] = datumCopy(v, vc->sumbyval, vc->sumlen);
	*flags |= has;
	MemoryContextSwitchTo(old);
}

/*
 * fold_reserve_add
 *		agg_reserve_add() (reserve.c) for the k-th order of column vc (0:
 *		least first, 1: greatest first); the values of a type compared as
 *		its integer value (AggOrder.intcmp, all passed by value) are kept in
 *		the groups' blocks (nothing to copy nor free).
 */
static void
fold_reserve_add(DeltaState *st, ValueColumn *vc, AggReserve *r, int k, Datum v)
{
	const AggOrder *o = &vc->order[k];
	int			i;

	if (o->intcmp == 0 || !o->typbyval)
	{
		MemoryContext old = MemoryContextSwitchTo(st->groupcxt);

		agg_reserve_add(r, o, v);
		MemoryContextSwitchTo(old);
		return;
	}
	if (r->n == FACT_RESERVE && agg_order_cmp(o, v, r->v[r->n - 1]) >= 0)
		return;
	if (r->v == NULL)
	{
		r->cap = 2;
		r->v = group_alloc(st, sizeof(Datum) * r->cap);
	}
	else if (r->n == r->cap && r->cap < FACT_RESERVE)
	{
		Datum	   *grown;

		r->cap = Min(r->cap * 2, FACT_RESERVE);
		grown = group_alloc(st, sizeof(Datum) * r->cap);
		memcpy(grown, r->v, sizeof(Datum) * r->n);
		r->v = grown;
	}
	if (r->n == FACT_RESERVE)
		r->n--;
	/* after the values alike */
	for (i = r->n; i > 0 && agg_order_cmp(o, v, r->v[i - 1]) < 0; i--)
		r->v[i] = r->v[i - 1];
	r->v[i] = v;
	r->n++;
}

/*
 * fold_extreme
 *		Value v of column j counted sg in group g: into the lists of the
 *		least and greatest values that came in (sg > 0) or went out.
 *
 * While the list of the least values (r[0]) holds fewer than FACT_RESERVE
 * values it holds them all, and the list of the greatest (r[1]) would hold
 * the same ones: that one is left unmade (no values, none allocated) and
 * made from the other when the least are about to drop one, or when the
 * group is written out (greatest_of_least()).  Most groups of a refresh
 * see a few values: one sorted insert per value instead of two.
 */
static void
fold_extreme(DeltaState *st, DeltaGroup *g, int j, Datum v, int sg)
{
	ValueColumn *vc = &st->vals[j];
	AggReserve *r = G_AT(g, vc->off_ext, AggReserve) + (sg > 0 ? X_INS_LO : X_DEL_LO);
	int			i;

	if (r[1].v == NULL)
	{
		if (r[0].n < FACT_RESERVE)
		{
			fold_reserve_add(st, vc, &r[0], 0, v);
			return;
		}
		/*
		 * the least are all the values so far: the greatest from them, in
		 * the order they came among values alike as fold_reserve_add()
		 * keeps it (the least list has them in that order too)
		 */
		for (i = 0; i < r[0].n; i++)
			fold_reserve_add(st, vc, &r[1], 1, r[0].v[i]);
	}
	/* k 0: the least, 1: the greatest */
	for (i = 0; i < 2; i++)
		fold_reserve_add(st, vc, &r[i], i, v);
}

/*
 * greatest_of_least
 *		The list of the greatest values of lo, all the values there are
 *		(fewer than FACT_RESERVE, see fold_extreme()), as fold_reserve_add()
 *		would have made it: greatest first, values alike in the order they
 *		came (as in lo), in the n Datums of out.
 */
static void
greatest_of_least(const AggOrder *lo_order, const AggReserve *lo, Datum *out)
{
	int			n = 0;
	int			i = lo->n - 1;

	while (i >= 0)
	{
		int			s = i;

		/* the run of values alike ending at i, copied in its order */
		while (s > 0 && agg_order_cmp(lo_order, lo->v[s - 1], lo->v[i]) == 0)
			s--;
		memcpy(out + n, lo->v + s, sizeof(Datum) * (i - s + 1));
		n += i - s + 1;
		i = s - 1;
	}
}

/*
 * add_image
 *		Fold one row image, counted sg, into its group.
 *
 * A row image that has no key at all for a column read (as opposed to a
 * JSON null) was captured while the column had another name (or was not
 * captured): its value is unknown, so the refresh makes the fact again
 * from its source, as after a TRUNCATE (has_t, st->incomplete).
 */
static DeltaGroup *
add_image(DeltaState *st, Jsonb *img, int sg, bool first, Datum *xv, bool *xn)
{
	Datum	   *iv = st->img_values;
	bool	   *in = st->img_nulls;
	bool	   *im = st->img_missing;
	TimestampTz bucket;
	DeltaGroup *g;
	int			i;

	/* the columns read from the image (see the reader's columns below) */
	cdc_image_read(&st->reader, img, iv, in, im);
	for (i = 0; i < st->reader.ncols; i++)
		if (im[i])
			st->incomplete++;
	bucket = in[0] ? 0 : bucket_of(&st->bucket, iv[0]);
	memcpy(st->keys, iv + 1, sizeof(Datum) * st->ndims);
	memcpy(st->keynulls, in + 1, sizeof(bool) * st->ndims);
	g = group_find(st, in[0], bucket);
	g->rows += sg;
	if (first)
		g->n_changes++;
	if (st->nrowcols > 0)
	{
		/* the row, for the value expressions */
		TupleTableSlot *slot = st->slot;

		ExecClearTuple(slot);
		memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
		for (i = 0; i < st->nrowcols; i++)
		{
			slot->tts_values[st->rowatts[i] - 1] = iv[1 + st->ndims + i];
			slot->tts_isnull[st->rowatts[i] - 1] = in[1 + st->ndims + i];
		}
		ExecStoreVirtualTuple(slot);
	}
	for (i = 0; i < st->nvals; i++)
	{
		ValueColumn *vc = &st->vals[i];
		bool		isnull;
		Datum		v;

		/* (an expression's value is made in the change's memory, rowcxt) */
		if (vc->expr != NULL)
			v = ExecEvalExpr(vc->expr, st->econtext, &isnull);
		else
		{
			v = iv[vc->img_col];
			isnull = in[vc->img_col];
		}
		xn[i] = isnull;
		xv[i] = v;
		if (isnull)
			continue;
		G_NONNULL(st, g)[i] += sg;
		if (vc->summed)
			accumulate(st, g, i, v, sg);
	}
	return g;
}

/*
 * fold_extremes
 *		The values xv (NULL where xn) of a row image counted sg in group g
 *		into the extremes of g, but for the columns in skip.
 */
static void
fold_extremes(DeltaState *st, DeltaGroup *g, Datum *xv, bool *xn, bool *skip, int sg)
{
	int			i;

	for (i = 0; i < st->nvals; i++)
		if (st->vals[i].extreme && !xn[i] && !(skip && skip[i]))
			fold_extreme(st, g, i, xv[i], sg);
}

/*
 * fold_values
 *		The values xv (NULL where xn) of a row image counted sg in group g
 *		into its lists of values that came (sg > 0) or went, for the
 *		distinct columns but those in skip.  The lists grow by doubling, in
 *		the groups' memory (counted against the budget).
 */
static void
fold_values(DeltaState *st, DeltaGroup *g, Datum *xv, bool *xn, bool *skip, int sg)
{
	MemoryContext old = MemoryContextSwitchTo(st->groupcxt);
	int			i;

	for (i = 0; i < st->nvals; i++)
	{
		ValueColumn *vc = &st->vals[i];
		ValueList  *l;

		if (!vc->distinct || xn[i] || (skip && skip[i]))
			continue;
		l = G_AT(g, vc->off_dv, ValueList) + (sg > 0 ? 0 : 1);
		if (l->v == NULL)
		{
			l->cap = 2;
			l->v = palloc(sizeof(Datum) * l->cap);
		}
		else if (l->n == l->cap)
		{
			l->cap *= 2;
			l->v = repalloc(l->v, sizeof(Datum) * l->cap);
		}
		l->v[l->n++] = datumCopy(xv[i], vc->typbyval, vc->typlen);
	}
	MemoryContextSwitchTo(old);
}

static void emit_groups(DeltaState *st, ReturnSetInfo *rsinfo);

/*
 * The total row of this backend's last fold, as emit_total() wrote it
 * (_fact_deltas_total()), and the transaction it ran in.
 */
static struct
{
	bool		valid;
	LocalTransactionId lxid;
	int64		changes;
	bool		has_t;
	int64		flushes;
	bool		nan;
}			last_total;

/*
 * flush_groups
 *		The groups take more memory than the budget (work_mem times
 *		hash_mem_multiplier, as for a hash aggregate): write them
 *		out as result rows and start again with none.  A group may then come
 *		in several rows, which the caller adds up (the total row says how
 *		many times this happened); the memory of a fold stays bounded
 *		whatever the number of groups its changes touch.
 */
static void
flush_groups(DeltaState *st)
{
	emit_groups(st, st->rsinfo);
	MemoryContextReset(st->rowcxt);
	st->groups = groups_create(st->groupcxt, 1024, st);
	st->flushes++;
}

/*
 * fold_change
 *		ChangeCallback: fold a change's row images into the groups.
 */
static void
fold_change(TupleTableSlot *change, void *arg)
{
	DeltaState *st = (DeltaState *) arg;
	bool		isnull;
	char		op = DatumGetChar(slot_getattr(change, CL_OP + 1, &isnull));
	MemoryContext old;
	Datum		img;
	DeltaGroup *g_old = NULL;
	DeltaGroup *g_new = NULL;

	if (op == 'T')
	{
		st->truncates++;
		return;
	}
	st->changes++;
	old = MemoryContextSwitchTo(st->rowcxt);
	if (op == 'U' || op == 'D')
	{
		img = slot_getattr(change, CL_OLD_ROW + 1, &isnull);
		if (isnull)
			elog(ERROR, "a change of op %c has no old row", op);
		g_old = add_image(st, DatumGetJsonbP(img), -1, true, st->xv_old, st->xn_old);
	}
	if (op == 'U' || op == 'I')
	{
		img = slot_getattr(change, CL_NEW_ROW + 1, &isnull);
		if (isnull)
			elog(ERROR, "a change of op %c has no new row", op);
		g_new = add_image(st, DatumGetJsonbP(img), 1, op == 'I', st->xv_new, st->xn_new);
	}
	if (st->any_extreme || st->any_distinct)
	{
		bool	   *skip = NULL;

		/*
		 * An update that leaves a value where it was (same group, same
		 * value) neither takes it out nor brings it in: it does not make its
		 * group's extreme one that may have gone, nor change its count of
		 * that value.
		 */
		if (g_old != NULL && g_old == g_new)
		{
			int			i;

			skip = st->xskip;
			for (i = 0; i < st->nvals; i++)
				skip[i] = (st->vals[i].extreme || st->vals[i].distinct) &&
					!st->xn_old[i] && !st->xn_new[i] &&
					datum_image_eq(st->xv_old[i], st->xv_new[i], st->vals[i].typbyval,
								   st->vals[i].typlen);
		}
		if (st->any_extreme)
		{
			if (g_old != NULL)
				fold_extremes(st, g_old, st->xv_old, st->xn_old, skip, -1);
			if (g_new != NULL)
				fold_extremes(st, g_new, st->xv_new, st->xn_new, skip, 1);
		}
		if (st->any_distinct)
		{
			if (g_old != NULL)
				fold_values(st, g_old, st->xv_old, st->xn_old, skip, -1);
			if (g_new != NULL)
				fold_values(st, g_new, st->xv_new, st->xn_new, skip, 1);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->rowcxt);
	if (st->econtext != NULL)
		ResetExprContext(st->econtext);
	if (MemoryContextMemAllocated(st->groupcxt, true) > st->budget)
		flush_groups(st);
}

/*
 * agg_type_comes_raw
 *		Whether values of type typid are given as they are in the change
 *		log, as jsonb: arrays, composites, json and jsonb (and domains over
 *		json and jsonb).  Shared by _fact_deltas(), _dim_events() and the
 *		dimension apply's choice of path.
 */
bool
agg_type_comes_raw(Oid typid)
{
	char		category;
	bool		preferred;
	Oid			base = getBaseType(typid);

	get_type_category_preferred(typid, &category, &preferred);
	return category == TYPCATEGORY_ARRAY || get_typtype(typid) == TYPTYPE_COMPOSITE ||
		base == JSONOID || base == JSONBOID;
}

/*
 * agg_check_source_column
 *		Raise unless column a of a column definition list gives column col
 *		of source the type fn returns it as: jsonb for arrays, composites and
 *		json, else the column's own type and modifier.  what names the
 *		column in the message ("column", "dimension").  Returns whether it
 *		comes raw (as jsonb).  Shared by _fact_deltas() and _dim_events().
 */
bool
agg_check_source_column(Oid source, const char *col, Form_pg_attribute a,
						const char *what, const char *fn)
{
	AttrNumber	att = get_attnum(source, col);
	Oid			typid;
	int32		typmod;
	Oid			collid;
	bool		raw;

	if (att == InvalidAttrNumber || att < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of %s does not exist", col, get_rel_name(source))));
	get_atttypetypmodcoll(source, att, &typid, &typmod, &collid);
	raw = agg_type_comes_raw(typid);
	if (raw ? a->atttypid != JSONBOID : (a->atttypid != typid || a->atttypmod != typmod))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s \"%s\" is returned as type %s, not %s", what, col,
						raw ? "jsonb" : format_type_with_typemod(typid, typmod),
						format_type_with_typemod(a->atttypid, a->atttypmod)),
				 errdetail("Column \"%s\" of the column definition list of %s is that %s.",
						   NameStr(a->attname), fn, what)));
	return raw;
}

/*
 * agg_text_array
 *		The elements of a text[] argument as C strings; what names them in
 *		the error a NULL element raises ("column names").  Shared by
 *		_fact_deltas() and _dim_events().
 */
char	  **
agg_text_array(ArrayType *a, const char *what, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;
	int			i;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc(sizeof(char *) * Max(*n, 1));
	for (i = 0; i < *n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not be NULL", what)));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

/*
 * int128_datum
 *		An integer sum as its SQL type: bigint (of int2 and int4 columns)
 *		or numeric (of int8 columns).
 */
static Datum
int128_datum(int128 v, Oid sumtype)
{
	const int64 e18 = INT64CONST(1000000000000000000);

	if (sumtype == INT8OID)
	{
		if (v > PG_INT64_MAX || v < PG_INT64_MIN)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("bigint out of range")));
		return Int64GetDatum((int64) v);
	}
	if (v <= PG_INT64_MAX && v >= PG_INT64_MIN)
		return DirectFunctionCall1(int8_numeric, Int64GetDatum((int64) v));
	/* v = hi * 10^18 + lo, each part within an int64 */
	return DirectFunctionCall2(numeric_add,
							   DirectFunctionCall2(numeric_mul,
												   DirectFunctionCall1(int8_numeric, Int64GetDatum((int64) (v / e18))),
												   DirectFunctionCall1(int8_numeric, Int64GetDatum(e18))),
							   DirectFunctionCall1(int8_numeric, Int64GetDatum((int64) (v % e18))));
}

/*
 * group_sum
 *		The net sum of value column vc in group g (of flags VF_*), which
 *		came with a value.
 */
static Datum
group_sum(DeltaState *st, ValueColumn *vc, DeltaGroup *g, uint8 flags)
{
	Datum	   *sums;

	if (vc->intsum)
		return int128_datum(*G_AT(g, vc->off_acc, int128), vc->sumtype);
	if (vc->numsum && !(flags & VF_NUMFB))
		return agg_numsum_numeric(*G_AT(g, vc->off_acc, int128), *G_AT(g, vc->off_scale, int16));
	sums = vc->numsum ? *G_AT(g, vc->off_sums, Datum *) : G_AT(g, vc->off_sums, Datum);
	if ((flags & VF_PLUS) && (flags & VF_MINUS))
		return FunctionCall2(&vc->minus, sums[0], sums[1]);
	if (flags & VF_PLUS)
		return sums[0];
	/* 0 - minus, with 0 made of the type's own values */
	return FunctionCall2(&vc->minus, FunctionCall2(&vc->minus, sums[1], sums[1]), sums[1]);
}

/*
 * emit_group
 *		Group g as a result row (its values made in the current context).
 */
static void
emit_group(DeltaState *st, DeltaGroup *g, ReturnSetInfo *rsinfo)
{
	TupleDesc	desc = rsinfo->setDesc;
	Datum	   *values = st->out_values;
	bool	   *nulls = st->out_nulls;
	Datum	   *keys = G_KEYS(st, g);
	bool	   *keynulls = G_KEYNULLS(st, g);
	int64	   *nonnull = G_NONNULL(st, g);
	uint8	   *vflags = G_VFLAGS(st, g);
	int			c = D_FIXED;
	int			i;

	memset(nulls, false, sizeof(bool) * desc->natts);
	values[FD_IS_TOTAL] = BoolGetDatum(false);
	values[FD_N_CHANGES] = Int64GetDatum(g->n_changes);
	values[FD_HAS_T] = BoolGetDatum(false);
	values[FD_ROWS] = Int64GetDatum(g->rows);
	values[FD_BUCKET] = TimestampTzGetDatum(g->bucket);
	nulls[FD_BUCKET] = g->bucket_null;
	for (i = 0; i < st->ndims; i++, c++)
	{
		values[c] = keys[i];
		nulls[c] = keynulls[i];
	}
	for (i = 0; i < st->nvals; i++)
	{
		ValueColumn *vc = &st->vals[i];

		if (vc->summed)
		{
			nulls[c] = (vflags[i] & (VF_PLUS | VF_MINUS)) == 0;
			if (!nulls[c])
			{
				values[c] = group_sum(st, vc, g, vflags[i]);
				/* (an int128 sum is finite: only a numeric one is looked at) */
				if (vc->sumtype == NUMERICOID && !vc->intsum &&
					!(vc->numsum && !(vflags[i] & VF_NUMFB)) && !st->sum_odd[i])
				{
					Numeric		num = DatumGetNumeric(values[c]);

					st->sum_odd[i] = numeric_is_nan(num) || numeric_is_inf(num);
				}
			}
			c++;
		}
		values[c++] = Int64GetDatum(nonnull[i]);
		if (vc->extreme)
		{
			AggReserve *r = G_AT(g, vc->off_ext, AggReserve);
			int			x;

			for (x = 0; x < X_N; x++, c++)
			{
				if (x % 2 == 1 && r[x].v == NULL && r[x - 1].n > 0)
				{
					/* the greatest not made: all the values of the least */
					Datum		hi[FACT_RESERVE];
					AggReserve	made = {r[x - 1].n, FACT_RESERVE, hi};

					greatest_of_least(&vc->order[0], &r[x - 1], hi);
					values[c] = agg_reserve_array(&made, &vc->order[1]);
				}
				else
					values[c] = agg_reserve_array(&r[x], &vc->order[x % 2]);
			}
		}
		if (vc->distinct)
		{
			ValueList  *l = G_AT(g, vc->off_dv, ValueList);
			int			x;

			for (x = 0; x < 2; x++, c++)
				values[c] = PointerGetDatum(construct_array(l[x].v, l[x].n, vc->typid, vc->typlen,
															vc->typbyval, vc->typalign));
		}
	}
	/* (held for the refresh's C apply, unless they grew too many: held.c) */
	if (st->hold)
	{
		if (!agg_held_put(values, nulls))
			st->hold = false;
		return;
	}
	tuplestore_putvalues(rsinfo->setResult, desc, values, nulls);
}

/*
 * A group in the sort of emit_groups(): its key copied next to it, so that
 * comparisons read the entries in order rather than each group where it
 * lies (keys[0] the bucket, then the dimensions, each as an unsigned
 * integer in the same order as the value, sort_key(); nulls: bit p set
 * when keys[p] is NULL).
 */
typedef struct SortEntry
{
	DeltaGroup *group;
	uint32		nulls;
	uint64		keys[FLEXIBLE_ARRAY_MEMBER];
} SortEntry;

/*
 * sort_key
 *		Value v of a type compared as its integer (o->intcmp) as an
 *		unsigned integer of the same order: a comparison of two keys is
 *		then one comparison of integers, whatever the type.
 */
static inline uint64
sort_key(const AggOrder *o, Datum v)
{
	const uint64 sign = UINT64CONST(1) << 63;
	uint64		k;

	switch (o->intcmp)
	{
		case 2:
			k = (uint64) (int64) DatumGetInt16(v) ^ sign;
			break;
		case 4:
			k = (uint64) (int64) DatumGetInt32(v) ^ sign;
			break;
		case 8:
			k = (uint64) DatumGetInt64(v) ^ sign;
			break;
		case 'o':
			k = (uint64) DatumGetObjectId(v);
			break;
		default:
			elog(ERROR, "a dimension not compared as an integer in a sort of groups");
			k = 0;				/* keep compiler quiet */
	}
	return o->desc ? ~k : k;
}

/*
 * sort_keys_cmp
 *		Two groups' keys (nkeys of them, NULL where the bit of nulls is
 *		set), in the order of the fact's key index: bucket, then each
 *		dimension, NULLs last.
 */
static inline int
sort_keys_cmp(uint32 anulls, const uint64 *akeys, uint32 bnulls, const uint64 *bkeys, int nkeys)
{
	int			p;

	for (p = 0; p < nkeys; p++)
	{
		if (((anulls | bnulls) >> p) & 1)
		{
			bool		an = (anulls >> p) & 1;
			bool		bn = (bnulls >> p) & 1;

			if (an != bn)
				return an ? 1 : -1;
			continue;
		}
		if (akeys[p] != bkeys[p])
			return akeys[p] < bkeys[p] ? -1 : 1;
	}
	return 0;
}

/* qsort_arg() comparison of two groups by their key (sort_keys_cmp()) */
static int
sort_entry_cmp(const void *pa, const void *pb, void *arg)
{
	DeltaState *st = (DeltaState *) arg;
	const SortEntry *a = (const SortEntry *) pa;
	const SortEntry *b = (const SortEntry *) pb;

	return sort_keys_cmp(a->nulls, a->keys, b->nulls, b->keys, st->ndims + 1);
}

/*
 * The same entries with room for SORT_FIXED_KEYS keys (the bucket and up to
 * three dimensions), laid out as SortEntry: sorted by a sort made for them
 * (lib/sort_template.h), its comparison inlined and the entries swapped as
 * structs, where qsort_arg() calls sort_entry_cmp() through a pointer and
 * swaps them byte by byte.  The same order.
 */
#define SORT_FIXED_KEYS 4

typedef struct SortEntryFixed
{
	DeltaGroup *group;
	uint32		nulls;
	uint64		keys[SORT_FIXED_KEYS];
} SortEntryFixed;

StaticAssertDecl(offsetof(SortEntryFixed, keys) == offsetof(SortEntry, keys),
				 "SortEntryFixed is laid out as SortEntry");

/* sort_keys_cmp() of entries of nkeys keys */
static inline int
sort_fixed_cmp(const SortEntryFixed *a, const SortEntryFixed *b, int *nkeys)
{
	return sort_keys_cmp(a->nulls, a->keys, b->nulls, b->keys, *nkeys);
}

#define ST_SORT sort_fixed_entries
#define ST_ELEMENT_TYPE SortEntryFixed
#define ST_COMPARE(a, b, arg) sort_fixed_cmp(a, b, arg)
#define ST_COMPARE_ARG_TYPE int
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The same entries with every key packed into one unsigned integer, when
 * they fit (sort_pack()): each key less the least of its column (the
 * bucket's also divided by the greatest common divisor of its differences,
 * a grain's length at most), in as many bits as the largest difference of
 * its column needs, the bucket's highest.  The order of the packed
 * integers is that of the keys, and they are sorted by their bits (radix
 * sort, 8 bits a pass, as many passes as they have bits), where a
 * comparison sort compares them some 15 times each.
 */
typedef struct SortPacked
{
	uint64		key;
	DeltaGroup *group;
} SortPacked;

static uint64
gcd_u64(uint64 a, uint64 b)
{
	while (b != 0)
	{
		uint64		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * sort_pack
 *		The n entries (of nkeys keys, esize bytes each, in order) packed
 *		into out, sorted by key with the help of tmp (n more); false
 *		(nothing written) when a key is NULL or the keys need more than 64
 *		bits together.
 */
static bool
sort_pack(char *order, Size esize, Size n, int nkeys, SortPacked *out, SortPacked *tmp)
{
	uint64		lo[SORT_FIXED_KEYS];
	uint64		hi[SORT_FIXED_KEYS];
	uint64		div0 = 0;
	int			shift[SORT_FIXED_KEYS];
	int			bits = 0;
	int			p;
	Size		k;
	int			pass;

	if (nkeys > SORT_FIXED_KEYS || n == 0)
		return false;
	for (p = 0; p < nkeys; p++)
	{
		lo[p] = PG_UINT64_MAX;
		hi[p] = 0;
	}
	for (k = 0; k < n; k++)
	{
		const SortEntry *e = (const SortEntry *) (order + esize * k);

		if (e->nulls != 0)
			return false;
		for (p = 0; p < nkeys; p++)
		{
			lo[p] = Min(lo[p], e->keys[p]);
			hi[p] = Max(hi[p], e->keys[p]);
		}
	}
	/* the bucket's values: a grain apart, mostly */
	for (k = 0; k < n && div0 != 1; k++)
		div0 = gcd_u64(((const SortEntry *) (order + esize * k))->keys[0] - lo[0], div0);
	if (div0 == 0)
		div0 = 1;
	for (p = nkeys - 1; p >= 0; p--)
	{
		uint64		range = (hi[p] - lo[p]) / (p == 0 ? div0 : 1);
		int			b = range == 0 ? 0 : pg_leftmost_one_pos64(range) + 1;

		shift[p] = bits;
		bits += b;
		if (bits > 64)
			return false;
	}
	for (k = 0; k < n; k++)
	{
		const SortEntry *e = (const SortEntry *) (order + esize * k);
		uint64		key = 0;

		/* (a key shifted by 64 has no bits: its value is 0) */
		for (p = 0; p < nkeys; p++)
			if (shift[p] < 64)
				key |= ((e->keys[p] - lo[p]) / (p == 0 ? div0 : 1)) << shift[p];
		out[k].key = key;
		out[k].group = e->group;
	}
	/* least significant byte first, each pass stable */
	for (pass = 0; pass * 8 < bits; pass++)
	{
		Size		count[256];
		Size		sum = 0;
		int			d;
		int			sh = pass * 8;
		SortPacked *t;

		memset(count, 0, sizeof(count));
		for (k = 0; k < n; k++)
			count[(out[k].key >> sh) & 0xff]++;
		for (d = 0; d < 256; d++)
		{
			Size		c = count[d];

			count[d] = sum;
			sum += c;
		}
		for (k = 0; k < n; k++)
			tmp[count[(out[k].key >> sh) & 0xff]++] = out[k];
		t = out;
		out = tmp;
		tmp = t;
	}
	/* (an odd number of passes left the result in tmp: the caller's out) */
	if (pass % 2 == 1)
		memcpy(tmp, out, sizeof(SortPacked) * n);
	return true;
}

/*
 * emit_groups
 *		One result row per group; then none.  With st->sorted, in the order
 *		of their keys (sort_entry_cmp()), which is the order in which the
 *		refresh looks them up in the fact's key index: its sort of them
 *		then finds them in order already.  Otherwise in the order they were
 *		made (group_new), the groups' memory given back as they are written
 *		out (the lookup table first, then each block of groups), so that the
 *		groups and the result rows made of them take not much more than the
 *		groups alone.
 */
static void
emit_groups(DeltaState *st, ReturnSetInfo *rsinfo)
{
	MemoryContext old;
	int			b;
	int			n;

	groups_destroy(st->groups);
	st->groups = NULL;
	if (st->sorted && st->ngblocks > 0)
	{
		Size		ngroups = (Size) st->groups_per_block * (st->ngblocks - 1) + st->last_used;
		int			nkeys = 1 + st->ndims;
		Size		esize = nkeys <= SORT_FIXED_KEYS ? sizeof(SortEntryFixed) :
			MAXALIGN(offsetof(SortEntry, keys) + sizeof(uint64) * nkeys);
		char	   *order = MemoryContextAllocHuge(st->groupcxt, esize * ngroups);
		SortPacked *packed;
		Size		k = 0;

		for (b = 0; b < st->ngblocks; b++)
		{
			int			used = b == st->ngblocks - 1 ? st->last_used : st->groups_per_block;

			for (n = 0; n < used; n++, k++)
			{
				DeltaGroup *g = (DeltaGroup *) (st->gblocks[b] + st->group_size * n);
				SortEntry  *e = (SortEntry *) (order + esize * k);
				int			i;

				e->group = g;
				e->nulls = g->bucket_null ? 1 : 0;
				e->keys[0] = (uint64) g->bucket ^ (UINT64CONST(1) << 63);
				for (i = 0; i < st->ndims; i++)
				{
					if (G_KEYNULLS(st, g)[i])
					{
						e->nulls |= (uint32) 1 << (1 + i);
						e->keys[1 + i] = 0;
					}
					else
						e->keys[1 + i] = sort_key(&st->dimorder[i], G_KEYS(st, g)[i]);
				}
			}
		}
		packed = NULL;
		if (nkeys <= SORT_FIXED_KEYS)
		{
			packed = MemoryContextAllocHuge(st->groupcxt, sizeof(SortPacked) * ngroups * 2);
			if (!sort_pack(order, esize, ngroups, nkeys, packed, packed + ngroups))
			{
				packed = NULL;
				sort_fixed_entries((SortEntryFixed *) order, ngroups, &nkeys);
			}
		}
		else
			qsort_arg(order, ngroups, esize, sort_entry_cmp, st);
		old = MemoryContextSwitchTo(st->emitcxt);
		for (k = 0; k < ngroups; k++)
		{
			emit_group(st, packed != NULL ? packed[k].group : ((SortEntry *) (order + esize * k))->group,
					   rsinfo);
			MemoryContextReset(st->emitcxt);
		}
	}
	else
	{
		old = MemoryContextSwitchTo(st->emitcxt);
		for (b = 0; b < st->ngblocks; b++)
		{
			int			used = b == st->ngblocks - 1 ? st->last_used : st->groups_per_block;

			for (n = 0; n < used; n++)
			{
				emit_group(st, (DeltaGroup *) (st->gblocks[b] + st->group_size * n), rsinfo);
				/* (the row's values were copied into the result) */
				MemoryContextReset(st->emitcxt);
			}
			pfree(st->gblocks[b]);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->groupcxt);
	st->gblocks = NULL;
	st->ngblocks = st->gblocks_cap = 0;
	st->block_free = NULL;
	st->block_left = 0;
}

/*
 * emit_total
 *		The total row: the changes read, whether a TRUNCATE came, and (as
 *		its rows) how many times the groups were written out before the
 *		end.
 */
static void
emit_total(DeltaState *st, ReturnSetInfo *rsinfo)
{
	TupleDesc	desc = rsinfo->setDesc;
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	int			c;
	int			i;

	/* the total row */
	memset(nulls, true, sizeof(bool) * desc->natts);
	values[FD_IS_TOTAL] = BoolGetDatum(true);
	values[FD_N_CHANGES] = Int64GetDatum(st->changes + st->truncates);
	values[FD_HAS_T] = BoolGetDatum(st->truncates > 0 || st->incomplete > 0);
	values[FD_ROWS] = Int64GetDatum(st->flushes);
	nulls[FD_IS_TOTAL] = nulls[FD_N_CHANGES] = nulls[FD_HAS_T] = nulls[FD_ROWS] = false;
	last_total.changes = st->changes + st->truncates;
	last_total.has_t = st->truncates > 0 || st->incomplete > 0;
	last_total.flushes = st->flushes;
	last_total.nan = false;
	/* a numeric sum column where a group's sum was NaN or infinite: NaN */
	c = D_FIXED + st->ndims;
	for (i = 0; i < st->nvals; i++)
	{
		ValueColumn *vc = &st->vals[i];

		if (vc->summed)
		{
			if (st->sum_odd[i])
			{
				last_total.nan = true;
				values[c] = DirectFunctionCall3(numeric_in, CStringGetDatum("NaN"),
												ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
				nulls[c] = false;
			}
			c++;
		}
		c++;					/* its count of non-NULL values */
		if (vc->extreme)
			c += X_N;
		if (vc->distinct)
			c += 2;
	}
	Assert(c == desc->natts);
	tuplestore_putvalues(rsinfo->setResult, desc, values, nulls);
	last_total.lxid = MyProc->lxid;
	last_total.valid = true;
}

/*
 * dataeng_internal._fact_deltas_total(OUT n_changes bigint, OUT has_t
 * boolean, OUT parts bigint, OUT nan boolean) RETURNS record
 *		The total row of the last _fact_deltas() of this transaction, as it
 *		wrote it: its count of changes, whether a TRUNCATE came or an image
 *		lacked a column read, how many times the groups were written out
 *		before the end, and whether a numeric sum of a group came out NaN
 *		or infinite (its column of the total row is NaN then).  A refresh
 *		whose group deltas are the fold's rows as they came reads it here
 *		instead of scanning them for the total row.
 */
PG_FUNCTION_INFO_V1(dataeng_fact_deltas_total);
Datum
dataeng_fact_deltas_total(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE || desc->natts != 4)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("_fact_deltas_total() must return four columns"),
				 errdetail("It returns n_changes, has_t, parts and nan."),
				 errhint("Declare it as the extension's script does.")));
	if (!last_total.valid || last_total.lxid != MyProc->lxid)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no fold of a fact's changes ran in this transaction"),
				 errdetail("_fact_deltas_total() reads the total row of the last _fact_deltas() of the transaction."),
				 errhint("Call it after dataeng_internal._fact_deltas(), as dataeng.fact_refresh() does.")));
	values[0] = Int64GetDatum(last_total.changes);
	values[1] = BoolGetDatum(last_total.has_t);
	values[2] = Int64GetDatum(last_total.flushes);
	values[3] = BoolGetDatum(last_total.nan);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}

/* dataeng.fact_refresh_path: which path a fact refresh takes */
static const struct config_enum_entry refresh_path_options[] = {
	{"auto", 0, false},
	{"delta", 1, false},
	{"buckets", 2, false},
	{NULL, 0, false}
};
static int	fact_refresh_path = 0;

/*
 * agg_init
 *		The settings of facts: dataeng.fact_refresh_path, 'auto' (the
 *		refresh chooses by the work each path would do), or 'delta' or
 *		'buckets' to force one, for tests and comparisons.
 */
void
agg_init(void)
{
	DefineCustomEnumVariable("dataeng.fact_refresh_path",
							 "How a fact refresh applies its changes.",
							 "auto: the delta path or the touched buckets re-aggregated, "
							 "whichever does less work; delta or buckets: that one.",
							 &fact_refresh_path,
							 0,
							 refresh_path_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
}

/*
 * fixed_columns_match
 *		Whether the leading columns of desc are FACT_DELTAS_COLUMNS (names
 *		and types), as many as FD_NFIXED: the SQL writes its column
 *		definition list from that string, the C fills the columns by the
 *		positions FD_*, and this holds the two together.
 */
static bool
fixed_columns_match(TupleDesc desc)
{
	StringInfoData s;
	int			i;

	if (desc->natts < FD_NFIXED)
		return false;
	initStringInfo(&s);
	for (i = 0; i < FD_NFIXED; i++)
		appendStringInfo(&s, "%s%s %s", i == 0 ? "" : ", ", NameStr(TupleDescAttr(desc, i)->attname),
						 format_type_be(TupleDescAttr(desc, i)->atttypid));
	return strcmp(s.data, FACT_DELTAS_COLUMNS) == 0;
}

PG_FUNCTION_INFO_V1(dataeng_fact_deltas);

/*
 * dataeng_fact_deltas
 *		dataeng_internal._fact_deltas(consumer text, source regclass, time_column
 *		text, grain text, time_zone text, dims text[], vals text[], summed
 *		boolean[], extreme boolean[], distinct_vals boolean[]) RETURNS SETOF
 *		record
 */
Datum
dataeng_fact_deltas(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *consumer = PG_GETARG_TEXT_PP(0);
	Oid			source = PG_GETARG_OID(1);
	char	   *time_column = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *grain = text_to_cstring(PG_GETARG_TEXT_PP(3));
	char	   *zone = text_to_cstring(PG_GETARG_TEXT_PP(4));
	char	  **dims;
	char	  **vals;
	Datum	   *summed;
	bool	   *summed_nulls;
	int			nsummed;
	Datum	   *extreme;
	bool	   *extreme_nulls;
	int			nextreme;
	Datum	   *distinct;
	bool	   *distinct_nulls;
	int			ndistinct;
	DeltaState st;
	TupleDesc	desc;
	Relation	rel;
	Bitmapset  *rowattnos = NULL;
	AttrNumber	att;
	Oid			typid;
	int32		typmod;
	Oid			collid;
	int			natts;
	int			i,
				c;

	last_total.valid = false;
	cdc_require_snapshot_acked(text_to_cstring(consumer), GetUserId());
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	/*
	 * The result rows are the groups written out (emit_groups), which may
	 * take the memory of a hash aggregate (st.budget, below) rather than
	 * work_mem alone: the result is kept in as much before it goes to a
	 * temporary file.
	 */
	{
		MemoryContext old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);

		tuplestore_end(rsinfo->setResult);
		rsinfo->setResult =
			tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0, false,
								  (int) Min(get_hash_memory_limit() / 1024, (Size) MAX_KILOBYTES));
		MemoryContextSwitchTo(old);
	}
	desc = rsinfo->setDesc;
	memset(&st, 0, sizeof(st));
	dims = agg_text_array(PG_GETARG_ARRAYTYPE_P(5), "column names", &st.ndims);
	vals = agg_text_array(PG_GETARG_ARRAYTYPE_P(6), "column names", &st.nvals);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(7), BOOLOID, 1, true, TYPALIGN_CHAR,
					  &summed, &summed_nulls, &nsummed);
	/*
	 * extreme and distinct_vals came in 0.2.0: a database still at 0.1.0
	 * (its dataeng._fact_deltas() declared with eight arguments) passes
	 * neither, as if both were empty
	 */
	extreme = distinct = NULL;
	extreme_nulls = distinct_nulls = NULL;
	nextreme = ndistinct = 0;
	if (PG_NARGS() > 8)
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(8), BOOLOID, 1, true, TYPALIGN_CHAR,
						  &extreme, &extreme_nulls, &nextreme);
	if (PG_NARGS() > 9)
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(9), BOOLOID, 1, true, TYPALIGN_CHAR,
						  &distinct, &distinct_nulls, &ndistinct);
	if (nextreme == 0)
	{
		/* (empty: no extremes) */
		nextreme = st.nvals;
		extreme = palloc0(sizeof(Datum) * Max(nextreme, 1));
		extreme_nulls = palloc0(sizeof(bool) * Max(nextreme, 1));
	}
	if (ndistinct == 0)
	{
		/* (empty: no distinct columns) */
		ndistinct = st.nvals;
		distinct = palloc0(sizeof(Datum) * Max(ndistinct, 1));
		distinct_nulls = palloc0(sizeof(bool) * Max(ndistinct, 1));
	}
	if (nsummed != st.nvals)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("summed must have one element per value column")));
	if (nextreme != st.nvals)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("extreme must have one element per value column, or none")));
	if (ndistinct != st.nvals)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("distinct_vals must have one element per value column, or none")));
	for (i = 0; i < st.nvals; i++)
		if (summed_nulls[i] || extreme_nulls[i] || distinct_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("summed, extreme and distinct_vals must not contain NULL")));

	/* the column definition list */
	natts = D_FIXED + st.ndims + st.nvals;
	for (i = 0; i < st.nvals; i++)
	{
		if (DatumGetBool(summed[i]))
			natts++;
		if (DatumGetBool(extreme[i]))
			natts += X_N;
		if (DatumGetBool(distinct[i]))
			natts += 2;
	}
	if (desc->natts != natts || !fixed_columns_match(desc))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the column definition list of dataeng_internal._fact_deltas() does not match its arguments"),
				 errdetail("It is (%s), the dimensions, and per value column its sum if summed, a bigint count, if extreme four arrays of its type, and if distinct two more.",
						   FACT_DELTAS_COLUMNS)));

	/* (blocks of at most 256kB: its size is checked against work_mem) */
	st.groupcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng fact deltas",
										0, ALLOCSET_DEFAULT_INITSIZE, 256 * 1024);
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng fact delta row",
									  ALLOCSET_DEFAULT_SIZES);

	/* the bucket */
	att = get_attnum(source, time_column);
	if (att == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of %s does not exist", time_column, get_rel_name(source))));
	get_atttypetypmodcoll(source, att, &typid, &typmod, &collid);
	cdc_image_column_init(&st.bucket.col, time_column, typid, typmod, CurrentMemoryContext);
	st.bucket.basetype = getBaseType(typid);
	if (st.bucket.basetype != TIMESTAMPTZOID && st.bucket.basetype != TIMESTAMPOID &&
		st.bucket.basetype != DATEOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("time column \"%s\" is of type %s", time_column, format_type_be(typid))));
	bucket_spec_init(&st.bucket, grain, zone);

	/* the dimensions, read as the column definition list says */
	st.dims = palloc0(sizeof(ImageColumn) * Max(st.ndims, 1));
	st.dimlen = palloc(sizeof(int16) * Max(st.ndims, 1));
	st.dimbyval = palloc(sizeof(bool) * Max(st.ndims, 1));
	for (i = 0, c = D_FIXED; i < st.ndims; i++, c++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, c);

		(void) agg_check_source_column(source, dims[i], a, "dimension", "dataeng_internal._fact_deltas()");
		cdc_image_column_init(&st.dims[i], dims[i], a->atttypid, a->atttypmod, CurrentMemoryContext);
		st.dimlen[i] = a->attlen;
		st.dimbyval[i] = a->attbyval;
	}

	/*
	 * The groups are written out in key order when every dimension is of a
	 * type compared as its integer value (int2, int4, int8, date,
	 * timestamp, timestamptz, oid: agg_order_init()), whose sort costs
	 * little here; the refresh sorts them by key for its lookups in the
	 * fact's key index, and finds them in order then.  Others (text under
	 * a collation, say) are left to that sort, which does them better.
	 */
	st.dimorder = palloc0(sizeof(AggOrder) * Max(st.ndims, 1));
	st.sorted = st.ndims < 31;		/* (the nulls of a key in a uint32: SortEntry) */
	for (i = 0; i < st.ndims && st.sorted; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, D_FIXED + i);
		TypeCacheEntry *tce = lookup_type_cache(a->atttypid, TYPECACHE_CMP_PROC);

		st.sorted = OidIsValid(tce->cmp_proc);
		if (st.sorted)
		{
			agg_order_init(&st.dimorder[i], a->atttypid, a->attcollation, false, CurrentMemoryContext);
			st.sorted = st.dimorder[i].intcmp != 0;
		}
	}
	st.vals = palloc0(sizeof(ValueColumn) * Max(st.nvals, 1));
	/* (cdc_read_changes checks more; no lock on a table the caller cannot read) */
	if (pg_class_aclcheck(source, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
	{
		const char *qname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(source)),
													   get_rel_name(source));
		const char *owner = GetUserNameFromId(GetUserId(), false);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(source)),
				 errdetail("Refreshing a fact reads its source as the fact's owner; role \"%s\" may not read %s.",
						   owner, qname),
				 errhint("Give the fact's owner the right to read it: GRANT SELECT ON %s TO %s;",
						 qname, quote_identifier(owner))));
	}
	rel = relation_open(source, AccessShareLock);
	for (i = 0; i < st.nvals; i++)
	{
		bool		s = DatumGetBool(summed[i]);
		bool		x = DatumGetBool(extreme[i]);
		bool		dv = DatumGetBool(distinct[i]);

		value_column_init(&st.vals[i], rel, vals[i], s, x, dv,
						  s ? TupleDescAttr(desc, c)->atttypid : InvalidOid,
						  CurrentMemoryContext, &rowattnos);
		st.any_extreme |= x;
		st.any_distinct |= dv;
		c += s ? 1 : 0;
		/* the count of non-NULL values */
		if (TupleDescAttr(desc, c)->atttypid != INT8OID)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the count of column \"%s\" is of type bigint, not %s", vals[i],
							format_type_be(TupleDescAttr(desc, c)->atttypid)),
					 errdetail("Column %d of the column definition list of dataeng_internal._fact_deltas() is that count.",
							   c + 1)));
		c++;
		if (x)
		{
			int			k;

			for (k = 0; k < X_N; k++, c++)
				if (TupleDescAttr(desc, c)->atttypid != get_array_type(st.vals[i].typid))
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("the extremes of column \"%s\" are of type %s, not %s", vals[i],
									format_type_be(TupleDescAttr(desc, c)->atttypid),
									format_type_be(get_array_type(st.vals[i].typid)))));
		}
		if (dv)
		{
			int			k;

			for (k = 0; k < 2; k++, c++)
				if (TupleDescAttr(desc, c)->atttypid != get_array_type(st.vals[i].typid))
					ereport(ERROR,
							(errcode(ERRCODE_DATATYPE_MISMATCH),
							 errmsg("the values of column \"%s\" are of type %s, not %s", vals[i],
									format_type_be(TupleDescAttr(desc, c)->atttypid),
									format_type_be(get_array_type(st.vals[i].typid)))));
		}
	}

	/* the columns the value expressions read, and the slot they read them in */
	if (!bms_is_empty(rowattnos))
	{
		int			x = -1;

		st.rowcols = palloc0(sizeof(ImageColumn) * bms_num_members(rowattnos));
		st.rowatts = palloc(sizeof(AttrNumber) * bms_num_members(rowattnos));
		while ((x = bms_next_member(rowattnos, x)) >= 0)
		{
			Form_pg_attribute a = TupleDescAttr(RelationGetDescr(rel),
												x + FirstLowInvalidHeapAttributeNumber - 1);

			st.rowatts[st.nrowcols] = a->attnum;
			cdc_image_column_init(&st.rowcols[st.nrowcols], NameStr(a->attname), a->atttypid,
								  a->atttypmod, CurrentMemoryContext);
			st.nrowcols++;
		}
		st.slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(RelationGetDescr(rel)), &TTSOpsVirtual);
		st.econtext = CreateStandaloneExprContext();
		st.econtext->ecxt_scantuple = st.slot;
	}
	relation_close(rel, AccessShareLock);

	st.xv_old = palloc0(sizeof(Datum) * Max(st.nvals, 1));
	st.xv_new = palloc0(sizeof(Datum) * Max(st.nvals, 1));
	st.xn_old = palloc0(sizeof(bool) * Max(st.nvals, 1));
	st.xn_new = palloc0(sizeof(bool) * Max(st.nvals, 1));
	st.xskip = palloc0(sizeof(bool) * Max(st.nvals, 1));
	/* the columns read from each row image (add_image) */
	{
		ImageColumn **cols = palloc(sizeof(ImageColumn *) * (1 + st.ndims + st.nrowcols + st.nvals));
		int			n = 0;

		cols[n++] = &st.bucket.col;
		for (i = 0; i < st.ndims; i++)
			cols[n++] = &st.dims[i];
		for (i = 0; i < st.nrowcols; i++)
			cols[n++] = &st.rowcols[i];
		for (i = 0; i < st.nvals; i++)
			if (st.vals[i].expr == NULL)
			{
				st.vals[i].img_col = n;
				cols[n++] = &st.vals[i].col;
			}
		cdc_image_reader_init(&st.reader, cols, n, CurrentMemoryContext);
		st.img_values = palloc(sizeof(Datum) * n);
		st.img_nulls = palloc(sizeof(bool) * n);
		st.img_missing = palloc(sizeof(bool) * n);
	}
	group_layout_init(&st);
	st.probe = palloc0(st.group_size);
	st.keys = G_KEYS(&st, st.probe);
	st.keynulls = G_KEYNULLS(&st, st.probe);
	st.out_values = palloc(sizeof(Datum) * desc->natts);
	st.out_nulls = palloc(sizeof(bool) * desc->natts);
	st.sum_odd = palloc0(sizeof(bool) * Max(st.nvals, 1));
	st.emitcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng fact delta out",
									   ALLOCSET_DEFAULT_SIZES);
	st.groups = groups_create(st.groupcxt, 1024, &st);

	st.rsinfo = rsinfo;
	/* the groups held for the refresh's C apply, when it asked (held.c) */
	st.hold = agg_held_begin(desc);
	st.budget = get_hash_memory_limit();	/* as a hash aggregate's */
	cdc_read_changes(consumer, source, fold_change, &st);
	emit_groups(&st, rsinfo);
	if (st.hold)
		agg_held_end();
	emit_total(&st, rsinfo);
	if (st.econtext != NULL)
		FreeExprContext(st.econtext, true);
	return (Datum) 0;
}

/*
 * The metadata of facts and dimensions: entry points acting for the current
 * user (common/entry.c), whose bodies check that it owns what it touches.
 */
DATAENG_ENTRY_QUIET(dataeng_fact_def_get, "_fact_def")
DATAENG_ENTRY_QUIET(dataeng_dim_def_get, "_dim_def")
DATAENG_ENTRY(dataeng_fact_def_write, "_fact_def_write")
DATAENG_ENTRY(dataeng_dim_def_write, "_dim_def_write")
DATAENG_ENTRY(dataeng_agg_ack, "_agg_ack")

PG_FUNCTION_INFO_V1(dataeng_agg_wait_source);

/*
 * dataeng_agg_wait_source
 *		dataeng_internal._agg_wait_source(src oid) RETURNS boolean
 *
 * Take ACCESS SHARE on a fact's or dimension's source, by oid (no name to
 * resolve again after a concurrent rename), before its definition's row is
 * locked: a refresh then waits for an ALTER TABLE of the source under way
 * without holding the row, which that ALTER's event trigger
 * (_agg_on_rename) updates when it renames the source; holding the row
 * while waiting for the table ended one of them with a deadlock.  False
 * (no lock kept) when no relation has that oid, or it was dropped while
 * waiting.
 */
Datum
dataeng_agg_wait_source(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		PG_RETURN_BOOL(false);
	/* (processes the invalidations that came while it waited) */
	LockRelationOid(relid, AccessShareLock);
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
	{
		UnlockRelationOid(relid, AccessShareLock);
		PG_RETURN_BOOL(false);
	}
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(dataeng_agg_as_owner);

static void agg_temp_made_drop(void);

/* operations of _agg_as_owner under way in this backend, and for whom */
static int	as_owner_depth = 0;
static Oid	as_owner_role = InvalidOid;

/*
 * The temporary tables agg_temp_make() made inside those operations, in
 * the security-restricted operation where PostgreSQL refuses CREATE TEMP
 * TABLE: dropped by oid when the outermost operation ends, whatever their
 * name or owner then (the owner's code may rename one, or give it to
 * another of its roles).  (Allocated in TopMemoryContext.)
 */
static List *as_owner_made = NIL;

/*
 * dataeng_agg_as_owner
 *		dataeng_internal._agg_as_owner(owner regrole, operation text, name text)
 *		RETURNS bigint
 *
 * Run an operation on a fact or dimension of another role as that role,
 * the way REFRESH MATERIALIZED VIEW runs its query as the view's owner:
 * under SECURITY_RESTRICTED_OPERATION, in a GUC nest level (search_path
 * pinned) that is rolled back afterwards.  The current user must have the
 * rights of owner (a superuser, or a member of it): this only ever
 * narrows its rights.
 */
Datum
dataeng_agg_as_owner(PG_FUNCTION_ARGS)
{
	Oid			owner;
	char	   *op;
	const char *volatile query = NULL;
	static const struct
	{
		const char *op;
		const char *query;
	}			ops[] = {
		{"fact_refresh", "SELECT dataeng.fact_refresh($1)"},
		{"fact_rebuild", "SELECT dataeng.fact_rebuild($1)"},
		{"fact_drop", "SELECT 0::pg_catalog.int8 FROM dataeng.fact_drop($1)"},
		{"dimension_refresh", "SELECT dataeng.dimension_refresh($1)"},
		{"dimension_drop", "SELECT 0::pg_catalog.int8 FROM dataeng.dimension_drop($1)"}
	};
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	InternalSql as_owner;
	volatile int64 result = 0;
	volatile bool isnull = true;
	volatile Oid outer_role;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("owner, operation and name must not be NULL")));
	owner = PG_GETARG_OID(0);
	op = text_to_cstring(PG_GETARG_TEXT_PP(1));
	args[0] = PointerGetDatum(PG_GETARG_TEXT_PP(2));
	for (i = 0; i < (int) lengthof(ops); i++)
		if (strcmp(op, ops[i].op) == 0)
			query = ops[i].query;
	if (query == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" is not an operation on a fact or dimension", op)));
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to act as role \"%s\"", GetUserNameFromId(owner, false))));

	/*
	 * The temporary namespace, which the operation's temporary tables need,
	 * cannot be set up within a security-restricted operation: set it up
	 * first, as REFRESH MATERIALIZED VIEW CONCURRENTLY does.
	 */
	(void) LookupCreationNamespace("pg_temp");

	internal_sql_begin(&as_owner, owner);

	outer_role = as_owner_role;
	as_owner_depth++;
	as_owner_role = owner;
	PG_TRY();
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute_with_args(query, 1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "%s of \"%s\" returned no row", op, text_to_cstring(PG_GETARG_TEXT_PP(2)));
		{
			bool		null;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &null);

			isnull = null;
			if (!null)
				result = DatumGetInt64(d);
		}

		/*
		 * The operation's scratch tables (pg_temp._dataeng_*, dropped at
		 * commit anyway) belong to this owner: drop them now, so that the
		 * next operation in the transaction, for another owner (a
		 * superuser refreshing every fact), can make its own.  Only the
		 * owner's: the tables the role the session logged in as keeps for
		 * the session (_agg_temp_kept) stay, as any other role's, which
		 * this owner may not drop; the next operation that needs one of
		 * those names replaces it (agg_temp_make).  (Not read only: the
		 * query needs a snapshot that sees them.)
		 */
		if (as_owner_depth == 1)
		{
			uint64		i,
						n;
			Oid			owner_arg[1] = {OIDOID};
			Datum		owner_val[1];

			owner_val[0] = ObjectIdGetDatum(owner);
			if (SPI_execute_with_args("SELECT pg_catalog.format('DROP TABLE pg_temp.%I', c.relname) "
									  "FROM pg_catalog.pg_class c "
									  "WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() "
									  "AND c.relkind OPERATOR(pg_catalog.=) 'r' "
									  "AND c.relowner OPERATOR(pg_catalog.=) $1 "
									  "AND c.relname OPERATOR(pg_catalog.~~) E'\\\\_dataeng\\\\_%'",
									  1, owner_arg, owner_val, NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not list the temporary tables of %s", op);
			n = SPI_processed;
			if (n > 0)
			{
				SPITupleTable *tt = SPI_tuptable;

				for (i = 0; i < n; i++)
					if (SPI_execute(SPI_getvalue(tt->vals[i], tt->tupdesc, 1), false, 0) != SPI_OK_UTILITY)
						elog(ERROR, "could not drop a temporary table of %s", op);
			}

			/*
			 * And every table made for the operation past the restriction,
			 * by oid: the owner's code (a trigger of its fact's table)
			 * could make one with _agg_temp_table(), rename it and give it
			 * a trigger of its own; left in pg_temp, which comes first in
			 * every search_path, the session's next statement naming a
			 * table of that name ran that trigger as the session's role
			 * (a superuser refreshing every fact).
			 */
			agg_temp_made_drop();
		}
		SPI_finish();
	}
	PG_FINALLY();
	{
		as_owner_depth--;
		as_owner_role = outer_role;
		/* (after an error, the (sub)transaction that made them ends too) */
		if (as_owner_depth == 0)
		{
			list_free(as_owner_made);
			as_owner_made = NIL;
		}
	}
	PG_END_TRY();

	internal_sql_end(&as_owner);

	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_INT64(result);
}

/*
 * agg_temp_made_drop
 *		Drop the temporary tables agg_temp_made_remember() listed that are
 *		still there (under whatever name), and forget them.
 */
static void
agg_temp_made_drop(void)
{
	ListCell   *lc;

	foreach(lc, as_owner_made)
	{
		Oid			relid = lfirst_oid(lc);
		ObjectAddress obj;

		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)) ||
			!isTempNamespace(get_rel_namespace(relid)))
			continue;
		ObjectAddressSet(obj, RelationRelationId, relid);
		performDeletion(&obj, DROP_RESTRICT, PERFORM_DELETION_INTERNAL | PERFORM_DELETION_QUIETLY);
		CommandCounterIncrement();
	}
	list_free(as_owner_made);
	as_owner_made = NIL;
}

/*
 * agg_temp_made_remember
 *		Remember the temporary table pg_temp.<name> just made inside a
 *		security-restricted operation of _agg_as_owner, to be dropped when
 *		the outermost one ends (agg_temp_made_drop).
 */
static void
agg_temp_made_remember(const char *name)
{
	Oid			relid = get_relname_relid(name, LookupExplicitNamespace("pg_temp", false));
	MemoryContext old;

	if (!OidIsValid(relid))
		elog(ERROR, "temporary table \"%s\" was not made", name);
	old = MemoryContextSwitchTo(TopMemoryContext);
	as_owner_made = lappend_oid(as_owner_made, relid);
	MemoryContextSwitchTo(old);
}

/*
 * The column list of a temporary table with the columns of desc, as
 * CREATE TABLE takes it.
 */
static char *
temp_cols_sql(TupleDesc desc)
{
	StringInfoData cols;
	bool		first = true;
	int			i;

	initStringInfo(&cols);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attisdropped)
			continue;
		appendStringInfo(&cols, "%s%s %s", first ? "" : ", ", quote_identifier(NameStr(a->attname)),
						 format_type_with_typemod(a->atttypid, a->atttypmod));
		if (OidIsValid(a->attcollation) && a->attcollation != get_typcollation(a->atttypid))
			appendStringInfo(&cols, " COLLATE %s", generate_collation_name(a->attcollation));
		first = false;
	}
	return cols.data;
}

/*
 * Whether every column of desc has a built-in type and collation: a table
 * of those depends on no object a user could drop (a DROP TYPE, DROP
 * COLLATION or DROP EXTENSION would otherwise meet the table kept).
 */
static bool
temp_cols_builtin(TupleDesc desc)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		Oid			elem;

		if (a->attisdropped)
			continue;
		if (a->atttypid >= FirstNormalObjectId || a->attcollation >= FirstNormalObjectId)
			return false;
		elem = get_element_type(a->atttypid);
		if (OidIsValid(elem) && elem >= FirstNormalObjectId)
			return false;
	}
	return true;
}

/*
 * temp_empty_small
 *		Empty a kept table of this session by deleting its rows, when it
 *		is a heap and it and its TOAST table are at most TEMP_DELETE_BLOCKS
 *		pages; false (nothing done) otherwise, for a TRUNCATE.  A TRUNCATE
 *		gives the table, its TOAST table and index new files, unlinks the
 *		old ones at commit and invalidates every plan that reads the table:
 *		for the one or few rows a refresh with few changes leaves, that was
 *		a tenth of its CPU time.  The deleted rows' space is reused once a
 *		read prunes the page; the table grows only up to the limit, past
 *		which the next call truncates it.
 */
#define TEMP_DELETE_BLOCKS 4

static bool
temp_empty_small(Oid relid)
{
	Relation	rel = table_open(relid, AccessExclusiveLock);
	Relation	toast = NULL;
	bool		small;

	small = rel->rd_rel->relkind == RELKIND_RELATION && rel->rd_rel->relam == HEAP_TABLE_AM_OID &&
		!rel->rd_rel->relhasindex &&
		RelationGetNumberOfBlocks(rel) <= TEMP_DELETE_BLOCKS;
	if (small && OidIsValid(rel->rd_rel->reltoastrelid))
	{
		toast = table_open(rel->rd_rel->reltoastrelid, AccessExclusiveLock);
		small = RelationGetNumberOfBlocks(toast) <= TEMP_DELETE_BLOCKS;
		table_close(toast, NoLock);
	}
	if (small)
	{
		Snapshot	snapshot;
		TableScanDesc scan;
		HeapTuple	tuple;

		/* every row written before, by this transaction too */
		CommandCounterIncrement();
		snapshot = RegisterSnapshot(GetLatestSnapshot());
		scan = table_beginscan(rel, snapshot, 0, NULL);
		while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
			simple_heap_delete(rel, &tuple->t_self);
		table_endscan(scan);
		UnregisterSnapshot(snapshot);
		CommandCounterIncrement();
	}
	table_close(rel, NoLock);
	return small;
}

/*
 * The temporary table pg_temp.<name> (a name starting with _dataeng_) with
 * the columns query would return: made afresh (dropped at commit), or,
 * when kept, the one an earlier call of this session kept with the same
 * columns, emptied (TRUNCATE), else made and kept (see
 * dataeng_agg_temp_kept).  The query is only analysed (its result's names
 * and types), never planned nor run.
 */
static void
agg_temp_make(char *name, char *query, bool kept)
{
	SPIPlanPtr	plan;
	List	   *sources;
	CachedPlanSource *ps;
	TupleDesc	desc;
	char	   *cols;
	StringInfoData ddl;
	Oid			save_userid;
	int			save_sec_context;
	bool		keep = kept;
	Oid			nsp;
	Oid			relid = InvalidOid;

	if (strncmp(name, "_dataeng_", 9) != 0 || strlen(name) >= NAMEDATALEN)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("\"%s\" is not the name of a temporary table of dataeng", name)));
	/* the only security-restricted operation this works in: _agg_as_owner's */
	if (InSecurityRestrictedOperation() &&
		(as_owner_depth == 0 || GetUserId() != as_owner_role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("cannot create temporary table within security-restricted operation")));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	if (list_length(sources) != 1 ||
		(ps = (CachedPlanSource *) linitial(sources))->resultDesc == NULL ||
		ps->commandTag != CMDTAG_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the query of a temporary table must be one SELECT")));
	desc = ps->resultDesc;
	cols = temp_cols_sql(desc);

	/*
	 * A table is kept only for the role the session was authenticated as,
	 * while it is the session user and runs the refresh itself (a role the
	 * session sets, by SET ROLE or SET SESSION AUTHORIZATION, or that a
	 * refresh acts as may be dropped in this session, which a table it owns
	 * would prevent), and of built-in types and collations.
	 */
	if (kept && (GetUserId() != GetAuthenticatedUserId() || GetSessionUserId() != GetAuthenticatedUserId() ||
				 !temp_cols_builtin(desc)))
		keep = false;
	/*
	 * (a table of that name: emptied when kept was asked, else dropped here;
	 * one an earlier refresh of this transaction left, as the session user
	 * or as another owner, too)
	 */
	nsp = LookupExplicitNamespace("pg_temp", true);
	if (OidIsValid(nsp))
		relid = get_relname_relid(name, nsp);

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(save_userid, save_sec_context & ~SECURITY_RESTRICTED_OPERATION);
	if (OidIsValid(relid))
	{
		HeapTuple	tup;
		bool		kept_one = false;
		bool		disowned = false;
		bool		reuse = false;

		/*
		 * A table kept by this session: a plain table of the role the
		 * session was authenticated as (no trigger, rule or policy: nothing
		 * but its rows runs when it is written).  Emptied when it has these
		 * columns and that role asks; else dropped, as PostgreSQL drops an
		 * ON COMMIT DROP table, whichever role runs now (a role set by SET
		 * SESSION AUTHORIZATION since may not drop it).  Any other table of
		 * that name is dropped by the caller's rights, as a table made
		 * afresh always was.
		 */
		tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
		if (HeapTupleIsValid(tup))
		{
			Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

			/*
			 * (or one that DROP ROLE or REASSIGN OWNED in another session
			 * gave to the bootstrap superuser, temp_roles.c: dropped)
			 */
			disowned = c->relowner == BOOTSTRAP_SUPERUSERID &&
				c->relowner != GetAuthenticatedUserId();
			kept_one = (c->relowner == GetAuthenticatedUserId() || disowned) &&
				c->relkind == RELKIND_RELATION &&
				c->relpersistence == RELPERSISTENCE_TEMP && !c->relhastriggers &&
				!c->relhasrules && !c->relrowsecurity && !c->relhassubclass;
			ReleaseSysCache(tup);
		}
		if (kept_one && keep && !disowned)
		{
			Relation	rel = relation_open(relid, AccessExclusiveLock);

			reuse = strcmp(temp_cols_sql(RelationGetDescr(rel)), cols) == 0;
			relation_close(rel, NoLock);
		}
		if (kept_one && !reuse)
		{
			ObjectAddress obj;

			ObjectAddressSet(obj, RelationRelationId, relid);
			performDeletion(&obj, DROP_RESTRICT, PERFORM_DELETION_INTERNAL | PERFORM_DELETION_QUIETLY);
			CommandCounterIncrement();
		}
		else if (!reuse || !temp_empty_small(relid))
		{
			initStringInfo(&ddl);
			appendStringInfo(&ddl, "%s pg_temp.%s", reuse ? "TRUNCATE" : "DROP TABLE", quote_identifier(name));
			if (SPI_execute(ddl.data, false, 0) != SPI_OK_UTILITY)
				elog(ERROR, "could not %s temporary table \"%s\"", reuse ? "empty" : "drop", name);
		}
		if (reuse)
		{
			SetUserIdAndSecContext(save_userid, save_sec_context);
			SPI_finish();
			return;
		}
	}
	initStringInfo(&ddl);
	appendStringInfo(&ddl, "CREATE TEMP TABLE pg_temp.%s (%s)%s", quote_identifier(name), cols,
					 keep ? "" : " ON COMMIT DROP");
	if (SPI_execute(ddl.data, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not create temporary table \"%s\"", name);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	/*
	 * made past the restriction: dropped when the operation ends (not one
	 * kept, which belongs to the role the session logged in as, in its own
	 * session)
	 */
	if ((save_sec_context & SECURITY_RESTRICTED_OPERATION) != 0 && !keep)
		agg_temp_made_remember(name);
	SPI_finish();
}

PG_FUNCTION_INFO_V1(dataeng_agg_temp_table);

/*
 * dataeng_agg_temp_table
 *		dataeng_internal._agg_temp_table(name text, query text) RETURNS void
 *
 * Create the temporary table pg_temp.<name> (a name starting with
 * _dataeng_), dropped at commit, with the columns query would return, for
 * the caller to fill.  The query is only analysed (its result's names and
 * types), never planned nor run.
 *
 * A refresh run as the owner of a fact (_agg_as_owner) is a
 * security-restricted operation, in which PostgreSQL refuses CREATE TEMP
 * TABLE: this creates the table outside it, as REFRESH MATERIALIZED VIEW
 * CONCURRENTLY creates its temporary table, from a statement made here of
 * names and types only (no expression of the caller's is evaluated).
 */
Datum
dataeng_agg_temp_table(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name and query must not be NULL")));
	agg_temp_make(text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)), false);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataeng_agg_temp_kept);

/*
 * dataeng_agg_temp_kept
 *		dataeng_internal._agg_temp_kept(name text, query text) RETURNS void
 *
 * The same, but the table is kept for the session and, at the next call
 * with the same columns, emptied rather than made again: a table with a
 * TOAST table costs several times more to create and drop (or to empty
 * at each commit, ON COMMIT DELETE ROWS, which builds its TOAST index
 * again) than to TRUNCATE once per refresh.  Kept only for the role the
 * session was authenticated as, while it is the session user and the
 * current user, and with built-in types and collations (agg_temp_make); otherwise
 * made afresh, dropped at commit, as by _agg_temp_table.  Its rows stay
 * until the next call, or the end of the session.
 */
Datum
dataeng_agg_temp_kept(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name and query must not be NULL")));
	agg_temp_make(text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)), true);
	PG_RETURN_VOID();
}
