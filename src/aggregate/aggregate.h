/*-------------------------------------------------------------------------
 *
 * aggregate.h
 *		What the files of src/aggregate share with the rest of dataeng, and
 *		the contracts between the C of facts and their SQL (sql/facts.sql).
 *
 * The SQL it mirrors:
 *	- dataeng.fact_refresh() reads the setting dataeng.fact_refresh_path
 *	  defined here (agg_init()).
 *	- the bucket of a time value: dataeng_internal._fact_bucket() (delta.c)
 *	  is the only definition of the rule; the SQL writes a call to it
 *	  (dataeng_internal._fact_bucket_expr()), and _fact_deltas() folds the
 *	  changes with the same function, bucket_of().
 *	- the measures: dataeng_internal._fact_measure_parse() (measure.c) reads
 *	  a measure, and _fact_deltas() evaluates the value expressions it
 *	  wrote (agg_value_expr()).
 *	- the rows of dataeng_internal._fact_deltas(): FACT_DELTAS_COLUMNS
 *	  below, which the SQL writes as @FACT_DELTAS_COLUMNS@ at the start of
 *	  its column definition list, and which _fact_deltas() checks the list
 *	  against, name by name and type by type.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_AGGREGATE_H
#define DATAENG_AGGREGATE_H

#include "catalog/pg_attribute.h"
#include "fmgr.h"
#include "utils/array.h"
#include "nodes/bitmapset.h"
#include "nodes/nodes.h"
#include "utils/relcache.h"
#include "utils/snapshot.h"

/*
 * The leading columns of a row of dataeng_internal._fact_deltas(), in
 * order, as "name type" (types as format_type() writes them), and their
 * positions.  After them come the dimensions, then per value column:
 * [its sum,] its count of non-NULL values (bigint) [, for an extreme
 * column the least and greatest values that came in and went out, in the
 * order of FD_X_* below, of the value's type] [, and for a distinct column
 * (of a count(DISTINCT) kept with per-value counts) every value that came
 * in and every value that went out, two arrays of the value's type].
 */
/*
 * (The last row, is_total, gives in rows how many times the fold wrote its
 * groups out before the end because they took more than a hash aggregate may (work_mem times
 * hash_mem_multiplier): then a
 * group may come in several rows, to be added up.)
 */
#define FACT_DELTAS_COLUMNS "is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamp with time zone"

typedef enum FactDeltasColumn
{
	FD_IS_TOTAL,
	FD_N_CHANGES,
	FD_HAS_T,
	FD_ROWS,
	FD_BUCKET,
	FD_NFIXED					/* how many: FACT_DELTAS_COLUMNS lists as many */
} FactDeltasColumn;

/*
 * the extremes of an extreme value column, in the order they come: arrays
 * of the value's type, the FACT_RESERVE least values that came in (least
 * first), the greatest (greatest first), and the same of those that went
 * out (reserve.c)
 */
typedef enum FactDeltasExtreme
{
	FD_X_INS_LO,
	FD_X_INS_HI,
	FD_X_DEL_LO,
	FD_X_DEL_HI,
	FD_X_N
} FactDeltasExtreme;

/*
 * The reserves of min and max (reserve.c): per group, its FACT_RESERVE
 * least (greatest) values; and, while a refresh folds its changes, per
 * group the FACT_RESERVE least and greatest values that came in and went
 * out.  The SQL writes @FACT_RESERVE@.
 */
#define FACT_RESERVE 16

/* an ordering of the values of a type: least first, or greatest first */
typedef struct AggOrder
{
	FmgrInfo	cmp;			/* the default btree class's comparison */
	Oid			typid;
	Oid			collid;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool		desc;
	char		intcmp;			/* a type whose comparison is that of its integer
								 * value: its size (2, 4, 8; 'o' for oid), else 0 */
} AggOrder;

/* at most FACT_RESERVE values, sorted in an AggOrder */
typedef struct AggReserve
{
	int			n;
	int			cap;			/* slots in v (grown up to FACT_RESERVE) */
	Datum	   *v;				/* NULL: none yet */
} AggReserve;

extern void agg_order_init(AggOrder *o, Oid typid, Oid collid, bool desc, MemoryContext cxt);

/*
 * agg_order_cmp
 *		a before b (< 0), alike (0) or after (> 0) in order o: inline for
 *		the types compared as their integer value (o->intcmp), else the
 *		type's comparison function under o's collation.
 */
static inline int
agg_order_cmp(const AggOrder *o, Datum a, Datum b)
{
	int32		c;

	switch (o->intcmp)
	{
		case 2:
			c = (DatumGetInt16(a) > DatumGetInt16(b)) - (DatumGetInt16(a) < DatumGetInt16(b));
			break;
		case 4:
			c = (DatumGetInt32(a) > DatumGetInt32(b)) - (DatumGetInt32(a) < DatumGetInt32(b));
			break;
		case 8:
			c = (DatumGetInt64(a) > DatumGetInt64(b)) - (DatumGetInt64(a) < DatumGetInt64(b));
			break;
		case 'o':
			c = (DatumGetObjectId(a) > DatumGetObjectId(b)) - (DatumGetObjectId(a) < DatumGetObjectId(b));
			break;
		default:
			c = DatumGetInt32(FunctionCall2Coll((FmgrInfo *) &o->cmp, o->collid, a, b));
			break;
	}

	return o->desc ? (c < 0 ? 1 : c > 0 ? -1 : 0) : c;
}
extern void agg_reserve_add(AggReserve *r, const AggOrder *o, Datum v);
extern Datum agg_reserve_array(const AggReserve *r, const AggOrder *o);
extern Datum agg_reserve_make(const AggOrder *o, int k, Datum stored, bool stored_null, Datum stored_nn,
							  bool stored_nn_null, Datum came, bool came_null, Datum went, bool went_null);
extern Datum agg_reserve_first(const AggOrder *o, Datum r, bool *isnull);
extern bool agg_reserve_check(Datum r, Datum nn, bool nn_null);

/*
 * a measure's value expression (its deparsed text, or s.<column>) of
 * source rel, analysed and checked (measure.c); the columns it reads are
 * added to *attnos
 */
extern Node *agg_value_expr(Relation rel, const char *text, Bitmapset **attnos);

/*
 * whether values of type typid come out of the change log raw, as jsonb
 * (arrays, composites, json and jsonb, domains over them) (delta.c)
 */
extern bool agg_type_comes_raw(Oid typid);

/*
 * whether a column definition list gives column col of source as
 * _fact_deltas() and _dim_events() return it (raises if not); true when it
 * comes as jsonb (delta.c)
 */
extern bool agg_check_source_column(Oid source, const char *col, Form_pg_attribute a,
									const char *what, const char *fn);

/*
 * the elements of a text[] argument as C strings; what names them in the
 * error a NULL element raises (delta.c)
 */
extern char **agg_text_array(ArrayType *a, const char *what, int *n);

/*
 * sums of numeric values as scaled int128s while the changes are folded
 * (numsum.c): add a value (false when it or the sum cannot be held: add up
 * in numeric from then on), and the sum as numeric
 */
extern bool agg_numsum_add(int128 *acc, int16 *scale, Datum d, int sg);
extern Datum agg_numsum_numeric(int128 acc, int16 scale);

/*
 * the input table of a C apply (fact_apply.c): raises unless the current
 * user may read it with a query (SELECT on it, USAGE on its schema); fn
 * and hint name the function and what a refresh passes
 */
extern void agg_apply_input_check(Oid relid, const char *fn, const char *hint);

/*
 * side_apply.c: the per-value counts of a count(DISTINCT) measure applied
 * to its side table within the fact's apply (fact_apply.c), a group at a
 * time from the deltas' arrays of the values that came and went
 */
typedef struct SideDeltaApply SideDeltaApply;
extern SideDeltaApply *side_delta_open(Oid sideid, int32 measure, Relation fact, Relation deltas,
									   AttrNumber vin, AttrNumber vout, const char **reason);
extern void side_delta_start(SideDeltaApply *s, Snapshot snap, CommandId cid);
extern int64 side_delta_group(SideDeltaApply *s, const Datum *fv, const bool *fn, Datum in, bool in_null,
							  Datum out, bool out_null);
extern void side_delta_close(SideDeltaApply *s);

/*
 * held.c: a fold's group deltas held in memory for the C apply of the same
 * refresh (_fact_deltas_hold()), in the shape of the refresh's table of them
 */
typedef struct AggHeldRow
{
	Datum	   *values;			/* per column of the table; by-reference */
	bool	   *isnull;			/* values copied beside them */
} AggHeldRow;
extern bool agg_held_begin(TupleDesc desc);
extern bool agg_held_put(Datum *values, bool *nulls);
extern void agg_held_end(void);
extern bool agg_held_rows(Oid relid, TupleDesc desc, AggHeldRow **rows, int64 *n);
extern void agg_held_release(void);

/* define the settings of facts and dimensions (from _PG_init) */
extern void agg_init(void);

/*
 * Ask the CPU for the cache line holding p ahead of its use (to read, or to
 * write): a hint, which never faults, whatever p; nothing where the
 * compiler has no such instruction.  (btwalk.c, fact_apply.c)
 */
#if defined(__GNUC__) || defined(__clang__)
#define agg_prefetch(p) __builtin_prefetch((p), 0)
#define agg_prefetch_write(p) __builtin_prefetch((p), 1)
#else
#define agg_prefetch(p) ((void) (p))
#define agg_prefetch_write(p) ((void) (p))
#endif

/* temp_roles.c: before DROP ROLE and REASSIGN OWNED, the roles' scratch tables */
extern void agg_temp_forget_roles(Node *stmt);

#endif							/* DATAENG_AGGREGATE_H */
