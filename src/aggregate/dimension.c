/*-------------------------------------------------------------------------
 *
 * dimension.c
 *		The events of a dimension refresh, read typed from the change log.
 *
 * dataeng_internal._dim_events(consumer, source, key_column, attributes)
 * reads every pending change of source for the dimension's consumer
 * (cdc_read_changes(), which acknowledges them in the caller's
 * transaction) and returns one row per event of a business key:
 *
 *	 (n_changes bigint, change_id bigint, part int, t timestamptz,
 *	  present boolean, d1 <key>, d2 ... <attributes>)
 *
 *	 - an insert, and the new image of an update: part 1, present true, the
 *	   new image's key and attributes;
 *	 - a delete, and the old image of an update that changed the key:
 *	   part 0, present false, the old image's key, attributes NULL;
 *	 - a TRUNCATE: present NULL, key and attributes NULL; so is a change
 *	   whose new image has no key at all for an attribute (captured while
 *	   the column had another name, or was not captured): its value is
 *	   unknown, so the refresh compares the dimension with the source
 *	   from that change on, as after a TRUNCATE;
 *
 * with change_id and t (the capture time) of the change, and then a last
 * row whose n_changes is the number of changes read (NULL in the others,
 * whose columns are NULL in it).  The order of the rows is not that of the
 * changes: the caller orders one key's events by (change_id, part).  That
 * is their commit order: two transactions never change one key at once
 * (the second waits for the first's row lock, or for its unique index
 * entry), and a TRUNCATE waits for every writer of the table, so a key's
 * later change always has the larger change_id.
 *
 * Values are read as (image->>'col')::type would in SQL (cdc_image_value());
 * arrays, composites and json come as their raw JSON value, as for the
 * dimensions of _fact_deltas(), for SQL to rebuild
 * (dataeng_internal._agg_image_cols() gives the column definition list and
 * the expressions).  Whether an update changed the key is decided by the
 * key type's equality, as the dimension's unique index decides it.
 *
 * This replaces reading the changes into a temporary table of jsonb rows
 * and taking the columns out in SQL: the set-based statements of
 * dimension_refresh() (sql/dimensions.sql) start from typed events.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"
#include "cdc/cdc.h"

/* leading columns of a result row */
#define E_FIXED		5			/* n_changes, change_id, part, t, present */

typedef struct EventState
{
	int			ncols;			/* the key, then the attributes */
	ImageColumn *cols;
	bool		keyraw;			/* the key comes as raw JSON */
	int16		keylen;
	bool		keybyval;
	FmgrInfo	keyeq;			/* the key type's equality, if it has one */
	bool		has_keyeq;
	Oid			keycoll;
	int64		changes;
	Datum	   *values;
	bool	   *nulls;
	MemoryContext rowcxt;
	Tuplestorestate *store;
	TupleDesc	desc;
} EventState;

/*
 * keys_equal
 *		Whether two (non-NULL) key values are equal: by the key type's
 *		equality, else (raw JSON, or a type without one) by their images.
 */
static bool
keys_equal(EventState *st, Datum a, Datum b)
{
	if (st->has_keyeq)
		return DatumGetBool(FunctionCall2Coll(&st->keyeq, st->keycoll, a, b));
	return datum_image_eq(a, b, st->keybyval, st->keylen);
}

/*
 * put_event
 *		Add an event row: present (or a TRUNCATE when is_truncate), and when
 *		present the image's key and attributes, else its key only.
 */
static void
put_event(EventState *st, Datum change_id, Datum t, bool is_truncate, bool present,
		  int part, Datum *vals, bool *nulls)
{
	int			i;

	st->nulls[0] = true;		/* n_changes */
	st->values[1] = change_id;
	st->nulls[1] = false;
	st->values[2] = Int32GetDatum(part);
	st->nulls[2] = false;
	st->values[3] = t;
	st->nulls[3] = false;
	st->values[4] = BoolGetDatum(present);
	st->nulls[4] = is_truncate;
	for (i = 0; i < st->ncols; i++)
	{
		bool		given = !is_truncate && (i == 0 || present);

		st->values[E_FIXED + i] = given ? vals[i] : (Datum) 0;
		st->nulls[E_FIXED + i] = given ? nulls[i] : true;
	}
	tuplestore_putvalues(st->store, st->desc, st->values, st->nulls);
}

/*
 * read_image
 *		The key (and, with all, the attributes) of a row image.  Returns
 *		false when the image has no key at all for one of them (as opposed
 *		to JSON null): the change was captured while the column had another
 *		name, or while it was not captured, so its value is unknown.
 */
static bool
read_image(EventState *st, Jsonb *img, bool all, Datum *vals, bool *nulls)
{
	int			i;
	bool		complete = true;

	for (i = 0; i < (all ? st->ncols : 1); i++)
	{
		vals[i] = cdc_image_value(&st->cols[i], img, &nulls[i]);
		if (nulls[i])
		{
			JsonbValue	vbuf;

			if (getKeyJsonValueFromContainer(&img->root, st->cols[i].name,
											 st->cols[i].namelen, &vbuf) == NULL)
				complete = false;
		}
	}
	if (nulls[0] && complete)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("a change of the source has no value of key column \"%s\"", st->cols[0].name),
				 errdetail("A dimension's key column is NOT NULL and captured with every row.")));
	return complete;
}

/*
 * event_change
 *		ChangeCallback: the events of one change.
 */
static void
event_change(TupleTableSlot *change, void *arg)
{
	EventState *st = (EventState *) arg;
	bool		isnull;
	char		op = DatumGetChar(slot_getattr(change, CL_OP + 1, &isnull));
	Datum		change_id = slot_getattr(change, CL_CHANGE_ID + 1, &isnull);
	Datum		t = slot_getattr(change, CL_CAPTURED_AT + 1, &isnull);
	MemoryContext old;
	Datum	   *ov = NULL;
	bool	   *on = NULL;
	Datum	   *nv = NULL;
	bool	   *nn = NULL;
	Datum		img;

	st->changes++;
	old = MemoryContextSwitchTo(st->rowcxt);
	switch (op)
	{
		case 'T':
			put_event(st, change_id, t, true, false, 0, NULL, NULL);
			break;
		case 'I':
		case 'U':
		case 'D':
			if (op != 'I')
			{
				img = slot_getattr(change, CL_OLD_ROW + 1, &isnull);
				if (isnull)
					elog(ERROR, "a change of op %c has no old row", op);
				ov = palloc(sizeof(Datum) * st->ncols);
				on = palloc(sizeof(bool) * st->ncols);
				if (!read_image(st, DatumGetJsonbP(img), false, ov, on))
				{
					/* the old key is unknown: as below */
					put_event(st, change_id, t, true, false, 0, NULL, NULL);
					break;
				}
			}
			if (op != 'D')
			{
				img = slot_getattr(change, CL_NEW_ROW + 1, &isnull);
				if (isnull)
					elog(ERROR, "a change of op %c has no new row", op);
				nv = palloc(sizeof(Datum) * st->ncols);
				nn = palloc(sizeof(bool) * st->ncols);
				if (!read_image(st, DatumGetJsonbP(img), true, nv, nn))
				{
					/*
					 * An attribute's value is unknown: reading it as NULL
					 * would write a wrong row.  From this change on, the
					 * refresh compares the dimension with the source, as
					 * after a TRUNCATE.
					 */
					put_event(st, change_id, t, true, false, 0, NULL, NULL);
					break;
				}
			}
			if (op == 'D' || (op == 'U' && !keys_equal(st, ov[0], nv[0])))
				put_event(st, change_id, t, false, false, 0, ov, on);
			if (op != 'D')
				put_event(st, change_id, t, false, true, 1, nv, nn);
			break;
		default:
			elog(ERROR, "unknown change operation \"%c\"", op);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->rowcxt);
}

PG_FUNCTION_INFO_V1(dataeng_dim_events);

/*
 * dataeng_dim_events
 *		dataeng_internal._dim_events(consumer text, source regclass,
 *		key_column text, attributes text[]) RETURNS SETOF record
 */
Datum
dataeng_dim_events(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	text	   *consumer = PG_GETARG_TEXT_PP(0);
	Oid			source = PG_GETARG_OID(1);
	char	   *key_column = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	  **attrs;
	int			nattrs;
	EventState	st;
	TupleDesc	desc;
	int			i;

	cdc_require_snapshot_acked(text_to_cstring(consumer), GetUserId());
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	desc = rsinfo->setDesc;
	memset(&st, 0, sizeof(st));
	attrs = agg_text_array(PG_GETARG_ARRAYTYPE_P(3), "attribute names", &nattrs);
	st.ncols = 1 + nattrs;

	if (desc->natts != E_FIXED + st.ncols ||
		TupleDescAttr(desc, 0)->atttypid != INT8OID ||
		TupleDescAttr(desc, 1)->atttypid != INT8OID ||
		TupleDescAttr(desc, 2)->atttypid != INT4OID ||
		TupleDescAttr(desc, 3)->atttypid != TIMESTAMPTZOID ||
		TupleDescAttr(desc, 4)->atttypid != BOOLOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the column definition list of dataeng_internal._dim_events() does not match its arguments"),
				 errdetail("It is (n_changes bigint, change_id bigint, part int, t timestamptz, present boolean), the key column and the attributes.")));

	st.cols = palloc0(sizeof(ImageColumn) * st.ncols);
	for (i = 0; i < st.ncols; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, E_FIXED + i);
		const char *col = i == 0 ? key_column : attrs[i - 1];
		bool		raw = agg_check_source_column(source, col, a, "column", "dataeng_internal._dim_events()");

		cdc_image_column_init(&st.cols[i], col, a->atttypid, a->atttypmod, CurrentMemoryContext);
		if (i == 0)
		{
			st.keyraw = raw;
			st.keylen = a->attlen;
			st.keybyval = a->attbyval;
			st.keycoll = a->attcollation;
		}
	}
	if (!st.keyraw)
	{
		TypeCacheEntry *tc = lookup_type_cache(TupleDescAttr(desc, E_FIXED)->atttypid,
											   TYPECACHE_EQ_OPR_FINFO);

		if (OidIsValid(tc->eq_opr_finfo.fn_oid))
		{
			fmgr_info_copy(&st.keyeq, &tc->eq_opr_finfo, CurrentMemoryContext);
			st.has_keyeq = true;
		}
	}

	st.values = palloc0(sizeof(Datum) * desc->natts);
	st.nulls = palloc0(sizeof(bool) * desc->natts);
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng dimension event",
									  ALLOCSET_DEFAULT_SIZES);
	st.store = rsinfo->setResult;
	st.desc = desc;

	cdc_read_changes(consumer, source, event_change, &st);

	/* the total */
	for (i = 0; i < desc->natts; i++)
		st.nulls[i] = true;
	st.values[0] = Int64GetDatum(st.changes);
	st.nulls[0] = false;
	tuplestore_putvalues(st.store, desc, st.values, st.nulls);
	return (Datum) 0;
}
