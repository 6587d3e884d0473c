/*-------------------------------------------------------------------------
 *
 * dimension.c
 *		The events of a dimension refresh, read typed from the change log,
 *		and (below, _dim_apply()) their application in C.
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
 * dimension_refresh() (sql/dimensions.sql) start from typed events.  Where
 * it can, dimension_refresh() does not run them: _dim_apply() reads the
 * same events into a sort by key and applies them itself (see "The apply
 * path" below for how, and for when the SQL is kept).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_index.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "pgstat.h"
#include "parser/parse_coerce.h"
#include "postmaster/walwriter.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/sortsupport.h"
#include "utils/timestamp.h"
#include "utils/tuplesort.h"
#include "utils/typcache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"
#include "aggregate/btwalk.h"
#include "cdc/cdc.h"

/* leading columns of a result row */
#define E_FIXED		5			/* n_changes, change_id, part, t, present */

typedef struct EventState
{
	int			ncols;			/* the key, then the attributes */
	ImageColumn *cols;
	ImageReader reader;			/* all of cols, in one walk of an image */
	bool	   *missing;		/* (its buffer) */
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
	/* the apply path (dim_apply): events sorted, TRUNCATEs remembered */
	Tuplesortstate *sort;
	TupleTableSlot *sortslot;
	bool		has_tr;
	int64		tr_change_id;
	Datum		tr_t;
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

static void put_sorted_event(EventState *st, Datum change_id, Datum t, bool is_truncate,
							 bool present, int part, Datum *vals, bool *nulls);

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

	if (st->sort)
	{
		put_sorted_event(st, change_id, t, is_truncate, present, part, vals, nulls);
		return;
	}
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

	if (all)
	{
		/* every column in one walk of the image's keys (cdc_image_read()) */
		cdc_image_read(&st->reader, img, vals, nulls, st->missing);
		for (i = 0; i < st->ncols; i++)
			complete &= !st->missing[i];
	}
	else
	{
		vals[0] = cdc_image_value(&st->cols[0], img, &nulls[0]);
		if (nulls[0])
		{
			JsonbValue	vbuf;

			if (getKeyJsonValueFromContainer(&img->root, st->cols[0].name,
											 st->cols[0].namelen, &vbuf) == NULL)
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
 * event_state_reader
 *		The reader of st's columns (set up), in the current memory context.
 */
static void
event_state_reader(EventState *st)
{
	ImageColumn **cols = palloc(sizeof(ImageColumn *) * st->ncols);
	int			i;

	for (i = 0; i < st->ncols; i++)
		cols[i] = &st->cols[i];
	cdc_image_reader_init(&st->reader, cols, st->ncols, CurrentMemoryContext);
	st->missing = palloc(sizeof(bool) * st->ncols);
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
	char		op;
	Datum		change_id;
	Datum		t;
	MemoryContext old;
	Datum	   *ov = NULL;
	bool	   *on = NULL;
	Datum	   *nv = NULL;
	bool	   *nn = NULL;
	Datum		img;

	/* (the row deformed once, up to its images, not column after column) */
	slot_getsomeattrs(change, CL_NEW_ROW + 1);
	op = DatumGetChar(slot_getattr(change, CL_OP + 1, &isnull));
	change_id = slot_getattr(change, CL_CHANGE_ID + 1, &isnull);
	t = slot_getattr(change, CL_CAPTURED_AT + 1, &isnull);
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

	event_state_reader(&st);
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

/*-------------------------------------------------------------------------
 * The apply path: dataeng_internal._dim_apply()
 *
 * dimension_refresh() applies the events itself, in C, where it can: the
 * events are sorted by (key, change_id, part) in a tuplesort, then walked
 * one key at a time.  Each key's row (type 1) or current version (type 2)
 * is looked up once through the dimension's unique index on the key (its
 * leaves walked in key order rather than descended to for each key, a
 * batch of keys at a time ahead of their writes: see dim_batch_fill()),
 * and written through the table access method as the executor's simple
 * relation routines write (ExecSimpleRelationInsert/Update/Delete, which
 * logical replication's apply worker uses: the table's constraints
 * checked, its indexes maintained), with the very decisions of the
 * set-based SQL of dimension_refresh() (sql/dimensions.sql):
 *
 *	 type 1: the key's last event decides: a delete deletes the row, an
 *			 upsert inserts it, or overwrites the key and the attributes
 *			 when one of them differs; a row that does not differ is
 *			 neither written nor locked;
 *	 type 2: an event is kept when it changes the key's state (present or
 *			 not, the tracked attributes) from the one before it (the
 *			 current version for the first); the first kept event closes
 *			 the current version at its time; every kept upsert opens a
 *			 version valid until the next kept event; times are the running
 *			 maximum of the key's capture times, never before the current
 *			 version's valid_from.  The versions are inserted in change
 *			 order (a second sort), so surrogate keys follow it, DIM_MULTI
 *			 rows at a time (dim_versions_flush()).
 *
 * Values are compared as _dim_differ() says (by_text: the caller passes
 * it): by their binary images where the type's equality holds only
 * between identical values, else by their output text.
 *
 * dim_apply_reason() says when the SQL is used instead (the path is
 * chosen before anything is read): row-level security applying to the
 * owner on the dimension table, triggers on it (their firing order and
 * transition tables stay SQL's), rules on it (SQL's statements fire
 * them), inheritance children (SQL's UPDATE and DELETE reach them),
 * rights the owner lacks at the table level (SQL then checks its
 * columns), a column read as JSON (arrays, composites, json: SQL rebuilds
 * them), a value compared through a cast to text that is not its output
 * function, a column whose length or precision (typmod) in the dimension
 * is not the source's nor none (the values are written as they are,
 * never coerced), a table other than an ordinary one, or no usable unique
 * index on the key (type 2: nor, without the unique index on current
 * versions, a non-unique B-tree index led by the key: see below).
 *
 * A type 2 table whose owner dropped the unique index on current versions
 * (as "Closing versions in place" in docs/facts.md describes) is applied
 * all the same: its versions are found through a non-unique B-tree index
 * led by the key, the key's current version being the one whose
 * is_current is true (its entries are looked at from the last, the
 * current version's most often).  Closing a version then changes no indexed column: a HOT
 * update when its page has room, so no index entry is written for it.
 *
 * The function is callable by anyone (the refresh calls it as the
 * dimension's owner): it refuses a table the current role does not own
 * (42501) before locking it, so a direct call writes nothing its caller
 * could not write with its own SQL as owner.  A row's write waits for a
 * transaction writing or locking it, as an SQL UPDATE or DELETE does (no
 * lock is taken before: the update or delete itself waits, which spares
 * a lock record in the WAL per row); a row changed by a transaction
 * committed meanwhile, or a key inserted that another transaction
 * inserted too (committed or not; found through the unique index on the
 * key, so not in a type 2 table without one), makes the refresh fail with
 * a serialization failure (40001), its changes left pending, where SQL
 * would redo the row's decision or raise a unique violation.
 *-------------------------------------------------------------------------
 */

/*
 * columns of a sorted event: then the key and the attributes.  In this
 * order the fixed columns take 24 bytes, so that the key starts at an
 * offset aligned for any type: its offset is then cached in the tuple
 * descriptor (attcacheoff) and the sort's comparisons read it directly
 * (heap_getattr()), where after 25 bytes (a bool last) each read walked
 * the tuple from its start (nocachegetattr()); a text key's abbreviated
 * keys tie often (its first 8 bytes), so most comparisons read it.
 */
#define S_CHANGE_ID 0			/* int8 */
#define S_T			1			/* timestamptz */
#define S_PRESENT	2			/* bool */
#define S_PART		3			/* int4 */
#define S_FIXED		4

static void
put_sorted_event(EventState *st, Datum change_id, Datum t, bool is_truncate,
				 bool present, int part, Datum *vals, bool *nulls)
{
	TupleTableSlot *slot = st->sortslot;
	int			i;

	if (is_truncate)
	{
		int64		id = DatumGetInt64(change_id);

		if (!st->has_tr || id < st->tr_change_id)
		{
			st->has_tr = true;
			st->tr_change_id = id;
			st->tr_t = t;
		}
		return;
	}
	ExecClearTuple(slot);
	slot->tts_values[S_CHANGE_ID] = change_id;
	slot->tts_isnull[S_CHANGE_ID] = false;
	slot->tts_values[S_PART] = Int32GetDatum(part);
	slot->tts_isnull[S_PART] = false;
	slot->tts_values[S_T] = t;
	slot->tts_isnull[S_T] = false;
	slot->tts_values[S_PRESENT] = BoolGetDatum(present);
	slot->tts_isnull[S_PRESENT] = false;
	for (i = 0; i < st->ncols; i++)
	{
		bool		given = (i == 0 || present);

		slot->tts_values[S_FIXED + i] = given ? vals[i] : (Datum) 0;
		slot->tts_isnull[S_FIXED + i] = given ? nulls[i] : true;
	}
	ExecStoreVirtualTuple(slot);
	tuplesort_puttupleslot(st->sort, slot);
}

typedef struct DimApply
{
	Relation	rel;
	int			scd;
	int			ncols;			/* the key, then the attributes */
	AttrNumber *srcatt;			/* their numbers in the source */
	AttrNumber *dimatt;			/* their numbers in the dimension */
	AttrNumber	valid_from;
	AttrNumber	valid_to;
	AttrNumber	is_current;
	Oid			keytype;
	Oid			keycoll;
	bool	   *by_text;
	FmgrInfo   *out;
	int16	   *typlen;
	bool	   *typbyval;
	/* set up by dim_apply_begin */
	Relation	idxrel;
	List	   *arbiter;		/* idxrel's OID: a duplicate there is a conflict */
	Oid			eqproc;
	Oid			idxcoll;
	EState	   *estate;
	ResultRelInfo *rri;
	IndexScanDesc scan;
	TupleTableSlot *found;
	TupleTableSlot *newslot;
	int			ndefaults;
	AttrNumber *defatt;
	ExprState **defexpr;
	SortSupportData keysort;
	Datum	   *cv;				/* a found row's values, by column */
	bool	   *cn;
	MemoryContext scancxt;		/* the index scan's (it allocates lazily) */
	/* the lookups' walk along the index's leaves (dim_walk_tids) */
	bool		walk;			/* usable (else da->scan looks each key up) */
	BtWalk		bw;
	Datum		lastkey;		/* the last lookup's key (copied into walkcxt) */
	MemoryContext walkcxt;
	IndexFetchTableData *fetch;
	/* the lookups done ahead by dim_batch_fill(), taken in order */
	struct DimBatch *batch;
	bool		any_version;	/* idxrel leads to every version: is_current decides */
	/*
	 * with any_version, the key's other current versions than da->found
	 * (none unless a transaction wrote the table itself: nothing keeps one
	 * current version per key then), closed with it, as SQL's UPDATE
	 * closes every current version of the key; and the latest valid_from
	 * of them all
	 */
	TupleTableSlot *other;
	ItemPointerData *more;
	int			nmore;
	int			maxmore;
	TimestampTz cur_from;
	/* the WAL writer asked to flush (dim_wal_nudge) */
	int			nwrites;
	XLogRecPtr	nudged;
	/* the index entries dim_own_indexes() writes: a closing update's */
	bool		close_own;
	IndexUniqueCheck *close_check;	/* per index of da->rri */
	bool	   *close_unchanged;
	/* and a new current version of a key whose current version it closed */
	IndexUniqueCheck *next_check;
	bool	   *next_unchanged;
} DimApply;

static void dim_walk_begin(DimApply *da);
static void dim_close_begin(DimApply *da);
static bool dim_runs_user_code(DimApply *da);

/*
 * dim_apply_init
 *		Look the columns up (no rights are checked, nothing is read).
 */
static void
dim_apply_init(DimApply *da, Relation rel, Oid source, int scd, const char *key_column,
			   char **attrs, int nattrs, bool *by_text)
{
	int			i;

	memset(da, 0, sizeof(*da));
	da->rel = rel;
	da->scd = scd;
	da->ncols = 1 + nattrs;
	da->srcatt = palloc(sizeof(AttrNumber) * da->ncols);
	da->dimatt = palloc(sizeof(AttrNumber) * da->ncols);
	da->by_text = by_text;
	da->out = palloc0(sizeof(FmgrInfo) * da->ncols);
	da->typlen = palloc(sizeof(int16) * da->ncols);
	da->typbyval = palloc(sizeof(bool) * da->ncols);
	for (i = 0; i < da->ncols; i++)
	{
		const char *col = i == 0 ? key_column : attrs[i - 1];

		da->srcatt[i] = get_attnum(source, col);
		da->dimatt[i] = get_attnum(RelationGetRelid(rel), col);
	}
	da->valid_from = get_attnum(RelationGetRelid(rel), "valid_from");
	da->valid_to = get_attnum(RelationGetRelid(rel), "valid_to");
	da->is_current = get_attnum(RelationGetRelid(rel), "is_current");
}

/*
 * dim_apply_reason
 *		NULL when _dim_apply() applies the dimension's changes itself, else
 *		why the SQL does.  Also finds the key's index (da->idxrel, opened).
 */
static const char *
dim_apply_reason(DimApply *da, Oid source)
{
	Relation	rel = da->rel;
	Oid			relid = RelationGetRelid(rel);
	AclMode		need = ACL_SELECT | ACL_INSERT | ACL_UPDATE | (da->scd == 1 ? ACL_DELETE : 0);
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *indexes;
	ListCell   *lc;
	int			i;

	if (rel->rd_rel->relkind != RELKIND_RELATION)
		return "the dimension is not an ordinary table";
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return "row-level security applies to the dimension's owner";
	if (rel->trigdesc != NULL)
		return "the dimension table has triggers";
	if (rel->rd_rel->relhasrules)
		return "the dimension table has rules";
	if (rel->rd_rel->relhassubclass)
		return "the dimension table has inheritance children";
	if (pg_class_aclmask(relid, GetUserId(), need, ACLMASK_ALL) != need)
		return "the owner lacks a right on the dimension table (checked by column in SQL)";
	for (i = 0; i < da->ncols; i++)
	{
		Oid			typid;
		int32		typmod;
		Oid			collid;
		Form_pg_attribute a;

		if (da->srcatt[i] <= 0 || da->dimatt[i] <= 0)
			return "a column is missing";
		get_atttypetypmodcoll(source, da->srcatt[i], &typid, &typmod, &collid);
		if (agg_type_comes_raw(typid))
			return "a column is an array, a composite or json";
		a = TupleDescAttr(desc, da->dimatt[i] - 1);
		if (a->attgenerated)
			return "a column of the dimension is generated";
		if (a->attidentity)
			return "a column of the dimension is an identity column";
		if (!IsBinaryCoercible(typid, a->atttypid))
			return "a column of the dimension has another type";
		/*
		 * a value is written as it is: no length or precision coercion (nor
		 * the padding or length check of varchar into char, varbit into bit)
		 */
		if (a->atttypmod != -1 && (a->atttypmod != typmod || a->atttypid != typid))
			return "a column of the dimension has another length or precision";
		if (da->by_text[i])
		{
			Oid			funcid;
			bool		isvarlena;

			CoercionPathType how = find_coercion_pathway(TEXTOID, typid, COERCION_EXPLICIT, &funcid);

			if (how != COERCION_PATH_COERCEVIAIO && how != COERCION_PATH_RELABELTYPE)
				return "a column is compared through a cast to text";
			getTypeOutputInfo(typid, &funcid, &isvarlena);
			fmgr_info(funcid, &da->out[i]);
		}
		get_typlenbyval(typid, &da->typlen[i], &da->typbyval[i]);
		if (i == 0)
		{
			da->keytype = typid;
			da->keycoll = collid;
		}
	}
	/* a domain's constraints are checked by SQL's coercion, not here */
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (!a->attisdropped && get_typtype(a->atttypid) == TYPTYPE_DOMAIN)
			return "a column of the dimension is of a domain type";
	}
	if (da->scd == 2)
	{
		if (da->valid_from <= 0 || da->valid_to <= 0 || da->is_current <= 0 ||
			TupleDescAttr(desc, da->valid_from - 1)->atttypid != TIMESTAMPTZOID ||
			TupleDescAttr(desc, da->valid_to - 1)->atttypid != TIMESTAMPTZOID ||
			TupleDescAttr(desc, da->is_current - 1)->atttypid != BOOLOID)
			return "the dimension's version columns are not those of a type 2 dimension";
	}
	{
		TypeCacheEntry *tc = lookup_type_cache(da->keytype, TYPECACHE_LT_OPR);

		if (!OidIsValid(tc->lt_opr))
			return "the key's type has no ordering";
	}

	/* the unique index on the key (WHERE is_current for type 2) */
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
		Form_pg_index ix = idx->rd_index;
		List	   *pred;
		bool		ok;

		ok = ix->indisunique && ix->indisvalid && ix->indisready && ix->indislive &&
			idx->rd_rel->relam == BTREE_AM_OID &&
			ix->indnkeyatts == 1 && ix->indkey.values[0] == da->dimatt[0] &&
			RelationGetIndexExpressions(idx) == NIL;
		if (ok)
		{
			pred = RelationGetIndexPredicate(idx);
			if (da->scd == 1)
				ok = pred == NIL;
			else
				ok = list_length(pred) == 1 && IsA(linitial(pred), Var) &&
					((Var *) linitial(pred))->varattno == da->is_current;
		}
		if (ok && idx->rd_indcollation[0] != da->keycoll)
			ok = false;
		if (ok)
		{
			Oid			opfamily = idx->rd_opfamily[0];
			Oid			optype = idx->rd_opcintype[0];
			Oid			eqop = get_opfamily_member(opfamily, optype, optype, BTEqualStrategyNumber);

			if (OidIsValid(eqop))
			{
				da->idxrel = idx;
				da->eqproc = get_opcode(eqop);
				da->idxcoll = idx->rd_indcollation[0];
				break;
			}
		}
		index_close(idx, RowExclusiveLock);
	}
	/*
	 * A type 2 table without that index (its owner dropped it, so that
	 * closing a version changes no indexed column and, given room on the
	 * page, is a HOT update): a non-unique B-tree index led by the key,
	 * whose entries lead to every version of a key; dim_lookup() takes the
	 * one whose is_current is true.  Nothing then keeps another transaction from
	 * inserting a current version of a key the refresh writes too.
	 */
	if (da->idxrel == NULL && da->scd == 2)
	{
		foreach(lc, indexes)
		{
			Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
			Form_pg_index ix = idx->rd_index;

			/*
			 * (not a unique one: its duplicates would be taken for another
			 * transaction's current version, see dim_recheck_key())
			 */
			if (!ix->indisunique && ix->indisvalid && ix->indisready && ix->indislive &&
				idx->rd_rel->relam == BTREE_AM_OID &&
				ix->indkey.values[0] == da->dimatt[0] &&
				RelationGetIndexExpressions(idx) == NIL &&
				RelationGetIndexPredicate(idx) == NIL &&
				idx->rd_indcollation[0] == da->keycoll)
			{
				Oid			eqop = get_opfamily_member(idx->rd_opfamily[0], idx->rd_opcintype[0],
													   idx->rd_opcintype[0], BTEqualStrategyNumber);

				if (OidIsValid(eqop))
				{
					da->idxrel = idx;
					da->eqproc = get_opcode(eqop);
					da->idxcoll = idx->rd_indcollation[0];
					da->any_version = true;
					break;
				}
			}
			index_close(idx, RowExclusiveLock);
		}
	}
	list_free(indexes);
	if (da->idxrel == NULL)
		return da->scd == 1 ? "the dimension has no unique index on the key alone"
			: "the dimension has no unique index on the key WHERE is_current";
	return NULL;
}

/*
 * dim_sort_collation
 *		The collation the events are sorted by key in: the key's own, but C
 *		for a text key under another deterministic collation.  Two such
 *		values are equal only when their bytes are, so that an order by
 *		their bytes gathers each key's events as well, while C compares
 *		them without the locale, and abbreviated, several times faster.  (The
 *		order of the keys decides nothing but the lookups' speed: a key that
 *		comes before the previous one in the index's order is looked up from
 *		the root, see dim_walk_tids().)
 */
static Oid
dim_sort_collation(Oid keytype, Oid keycoll)
{
	if ((keytype == TEXTOID || keytype == VARCHAROID || keytype == BPCHAROID) &&
		OidIsValid(keycoll) && !lc_collate_is_c(keycoll) &&
		get_collation_isdeterministic(keycoll))
		return C_COLLATION_OID;
	return keycoll;
}

/*
 * dim_apply_begin
 *		The executor state for the writes, the index scan, the defaults.
 */
static void
dim_apply_begin(DimApply *da)
{
	Relation	rel = da->rel;
	TupleDesc	desc = RelationGetDescr(rel);
	RangeTblEntry *rte;
	TypeCacheEntry *tc;
	int			i;

	da->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(da->estate, list_make1(rte));
	da->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(da->rri, rel, 1, NULL, 0);
	da->estate->es_output_cid = GetCurrentCommandId(true);
	da->estate->es_snapshot = GetActiveSnapshot();
	ExecOpenIndices(da->rri, false);
	da->arbiter = list_make1_oid(RelationGetRelid(da->idxrel));

	da->found = table_slot_create(rel, &da->estate->es_tupleTable);
	da->other = table_slot_create(rel, &da->estate->es_tupleTable);
	da->newslot = ExecInitExtraTupleSlot(da->estate, desc, &TTSOpsVirtual);
	da->scan = index_beginscan(rel, da->idxrel, GetActiveSnapshot(), 1, 0);
	da->scancxt = CurrentMemoryContext;
	dim_walk_begin(da);
	dim_close_begin(da);
	da->nudged = XactLastRecEnd;
	da->cv = palloc(sizeof(Datum) * da->ncols);
	da->cn = palloc(sizeof(bool) * da->ncols);

	/* the defaults of the columns not written (a type 2 surrogate key) */
	da->defatt = palloc(sizeof(AttrNumber) * desc->natts);
	da->defexpr = palloc(sizeof(ExprState *) * desc->natts);
	for (i = 1; i <= desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i - 1);
		Node	   *def;
		int			j;
		bool		written = false;

		if (a->attisdropped || a->attgenerated)
			continue;
		for (j = 0; j < da->ncols; j++)
			written |= da->dimatt[j] == i;
		if (da->scd == 2)
			written |= i == da->valid_from || i == da->valid_to || i == da->is_current;
		if (written)
			continue;
		def = build_column_default(rel, i);
		if (def == NULL)
			continue;
		da->defatt[da->ndefaults] = i;
		da->defexpr[da->ndefaults] = ExecPrepareExpr((Expr *) def, da->estate);
		da->ndefaults++;
	}

	if (da->close_own && dim_runs_user_code(da))
		da->close_own = false;

	tc = lookup_type_cache(da->keytype, TYPECACHE_LT_OPR);
	memset(&da->keysort, 0, sizeof(da->keysort));
	da->keysort.ssup_cxt = CurrentMemoryContext;
	da->keysort.ssup_collation = dim_sort_collation(da->keytype, da->keycoll);
	PrepareSortSupportFromOrderingOp(tc->lt_opr, &da->keysort);
}

static void
dim_apply_end(DimApply *da)
{
	if (da->fetch)
		table_index_fetch_end(da->fetch);
	index_endscan(da->scan);
	ExecCloseIndices(da->rri);
	ExecResetTupleTable(da->estate->es_tupleTable, false);
	FreeExecutorState(da->estate);
	index_close(da->idxrel, NoLock);
}

/*-------------------------------------------------------------------------
 * The lookups' walk along the leaves of the key's index
 *
 * The keys are looked up in ascending order (mostly: see
 * dim_sort_collation()), several of them on each leaf page of the index
 * for a few percent of the rows changed: each lookup walks the index's
 * leaves from where the previous one ended (btwalk.c) when its key is
 * greater than the previous key by the index's comparison, else descends
 * from the root.  The rows its entries lead to are then fetched as an
 * index scan fetches them (the first visible one is the key's row).  Used
 * with an ascending B-tree index whose entries are ordered by key and heap
 * TID (not one built before PostgreSQL 12 and upgraded in place), else the
 * index scan looks each key up.
 *-------------------------------------------------------------------------
 */
static void
dim_walk_begin(DimApply *da)
{
	Relation	idx = da->idxrel;

	da->walk = false;
	if (idx->rd_rel->relam != BTREE_AM_OID || (idx->rd_indoption[0] & INDOPTION_DESC))
		return;
	if (!btwalk_begin(&da->bw, idx, 1))
		return;
	da->walkcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng dimension walk",
										ALLOCSET_SMALL_SIZES);
	da->fetch = table_index_fetch_begin(da->rel);
	da->walk = true;
}

/*
 * dim_walk_tids
 *		The heap TIDs of the index entries of key into da->bw.tids.
 */
static void
dim_walk_tids(DimApply *da, Datum key)
{
	ScanKey		sk = &da->bw.inskey->scankeys[0];
	bool		isnull = false;
	bool		after;
	MemoryContext old;

	/* from the previous lookup's leaf only when the key comes after its key */
	after = da->bw.leaf != InvalidBlockNumber &&
		DatumGetInt32(FunctionCall2Coll(&sk->sk_func, sk->sk_collation, key, da->lastkey)) > 0;
	btwalk_tids(&da->bw, &key, &isnull, after, da->estate->es_snapshot);
	MemoryContextReset(da->walkcxt);
	old = MemoryContextSwitchTo(da->walkcxt);
	da->lastkey = datumCopy(key, da->typbyval[0], da->typlen[0]);
	MemoryContextSwitchTo(old);
}

/*-------------------------------------------------------------------------
 * The events read a batch of keys at a time, their lookups walked ahead
 *
 * The main loop of _dim_apply() reads the sorted events through
 * dim_next_event(), which reads them from the sort DIM_BATCH keys at a
 * time (every event of each) and, before handing out the first, walks
 * the index for those keys one after another with the leaf held between
 * them (btwalk_hold(): nothing else happens meanwhile, and each lookup
 * starts where the previous one ended on the leaf, without reading it
 * again).  dim_lookup() then takes each key's entries in order
 * (dim_batch_take()) and fetches its row as before, right before it is
 * written.  A key's lookup now comes before the writes of the batch's
 * keys before it, where it came after them: that changes nothing, since
 * no write of a key adds or removes an entry of another key (an entry's
 * heap TID stays as a split moves it), and the rows are fetched, under
 * the refresh's snapshot (which sees none of its own writes), only when
 * their key comes.  As for any index scan that does not keep its leaf
 * pinned, a TID whose row was removed by a VACUUM since and used again by
 * another row holds a row the snapshot does not see.
 *
 * A sort done in memory keeps its tuples until it ends: the events are
 * then read in place, else copied into one of two memory contexts, used
 * in turn, so that the previous batch's events (the main loop's previous
 * event) stay valid while the next is read.  Type 1 looks a key up at its
 * last event, so the last key of a batch is looked up with it but taken
 * after the next batch is read: its entries are kept at the front.
 *-------------------------------------------------------------------------
 */
#define DIM_BATCH 32

typedef struct DimBatch
{
	Tuplesortstate *sort;
	bool		copy;			/* the sort's tuples must be copied (it spilled) */
	EventState *st;				/* the events from a TRUNCATE on are skipped */
	TupleTableSlot *rd;			/* an event read */
	MinimalTuple *evs;			/* the batch's events, in order */
	Datum	   *evkeys;			/* and their keys (in them) */
	int			nev;
	int			maxev;
	int			pos;			/* the next one dim_next_event() hands out */
	MinimalTuple ahead;			/* the next batch's first event, read ahead */
	bool		done;			/* the sort has no more */
	MemoryContext cxt[2];		/* copies of the events, in turn */
	int			cur;
	/* the keys looked up: key k's entries are tids[first[k]] .. [first[k + 1] - 1] */
	int			nkeys;
	int			kpos;			/* the next key dim_batch_take() gives */
	Datum		keys[DIM_BATCH + 1];
	int			first[DIM_BATCH + 2];
	ItemPointerData *tids;
	int			ntids;
	int			maxtids;
} DimBatch;

static void
dim_batch_begin(DimBatch *b, DimApply *da, EventState *st, bool copy, TupleDesc sdesc)
{
	memset(b, 0, sizeof(*b));
	b->sort = st->sort;
	b->copy = copy;
	b->st = st;
	b->rd = MakeSingleTupleTableSlot(sdesc, &TTSOpsMinimalTuple);
	b->maxev = 4 * DIM_BATCH;
	b->evs = palloc(sizeof(MinimalTuple) * b->maxev);
	b->evkeys = palloc(sizeof(Datum) * b->maxev);
	b->cxt[0] = AllocSetContextCreate(CurrentMemoryContext, "dataeng dimension batch",
									  ALLOCSET_DEFAULT_SIZES);
	b->cxt[1] = AllocSetContextCreate(CurrentMemoryContext, "dataeng dimension batch",
									  ALLOCSET_DEFAULT_SIZES);
	b->maxtids = 2 * (DIM_BATCH + 1);
	b->tids = palloc(sizeof(ItemPointerData) * b->maxtids);
	da->batch = b;
}

static void
dim_batch_end(DimBatch *b)
{
	ExecDropSingleTupleTableSlot(b->rd);
	MemoryContextDelete(b->cxt[0]);
	MemoryContextDelete(b->cxt[1]);
}

/* the key of an event */
static inline Datum
event_key(TupleTableSlot *slot, MinimalTuple mt)
{
	bool		isnull;

	ExecStoreMinimalTuple(mt, slot, false);
	return slot_getattr(slot, S_FIXED + 1, &isnull);
}

/*
 * dim_batch_read
 *		The next event of the sort not skipped (from the first TRUNCATE on),
 *		copied into the current context when the sort spilled; NULL at the
 *		end.
 */
static MinimalTuple
dim_batch_read(DimBatch *b)
{
	for (;;)
	{
		bool		should_free;
		MinimalTuple mt;

		if (!tuplesort_gettupleslot(b->sort, true, false, b->rd, NULL))
			return NULL;
		if (b->st->has_tr)
		{
			bool		isnull;

			if (DatumGetInt64(slot_getattr(b->rd, S_CHANGE_ID + 1, &isnull)) >= b->st->tr_change_id)
				continue;		/* from the TRUNCATE on: the caller compares */
		}
		mt = ExecFetchSlotMinimalTuple(b->rd, &should_free);
		Assert(!should_free);
		if (b->copy)
			mt = heap_copy_minimal_tuple(mt);	/* (in the current context) */
		return mt;
	}
}

static void
dim_batch_add(DimBatch *b, MinimalTuple mt, Datum key)
{
	if (b->nev == b->maxev)
	{
		b->maxev *= 2;
		b->evs = repalloc(b->evs, sizeof(MinimalTuple) * b->maxev);
		b->evkeys = repalloc(b->evkeys, sizeof(Datum) * b->maxev);
	}
	b->evkeys[b->nev] = key;
	b->evs[b->nev++] = mt;
}

/*
 * dim_batch_fill
 *		Read the next batch: the events of up to DIM_BATCH keys, then their
 *		lookups, the leaf held.
 */
static void
dim_batch_fill(DimBatch *b, DimApply *da)
{
	int			carry = b->nkeys - b->kpos;
	int			nnew = 0;
	int			k;
	int			i;
	MemoryContext old;
	MinimalTuple mt;
	Datum		lastkey = (Datum) 0;

	/* a key looked up but not taken yet (type 1: the last one) goes first */
	if (carry > 0)
	{
		int			from = b->first[b->kpos];

		b->ntids = b->first[b->nkeys] - from;
		memmove(b->tids, b->tids + from, sizeof(ItemPointerData) * b->ntids);
		for (k = 0; k < carry; k++)
		{
			b->keys[k] = b->keys[b->kpos + k];
			b->first[k] = b->first[b->kpos + k] - from;
		}
	}
	else
		b->ntids = 0;
	b->nkeys = carry;
	b->first[carry] = b->ntids;
	b->kpos = 0;
	b->nev = 0;
	b->pos = 0;

	b->cur = 1 - b->cur;
	MemoryContextReset(b->cxt[b->cur]);
	old = MemoryContextSwitchTo(b->cxt[b->cur]);
	mt = b->ahead;
	b->ahead = NULL;
	if (mt != NULL && b->copy)
		mt = heap_copy_minimal_tuple(mt);	/* (its context is reset next) */
	if (mt == NULL && !b->done)
		mt = dim_batch_read(b);
	while (mt != NULL)
	{
		Datum		key = event_key(b->rd, mt);

		if (nnew == 0 || ApplySortComparator(lastkey, false, key, false, &da->keysort) != 0)
		{
			if (nnew == DIM_BATCH)
			{
				b->ahead = mt;
				break;
			}
			nnew++;
			lastkey = key;
		}
		dim_batch_add(b, mt, key);
		mt = dim_batch_read(b);
	}
	if (mt == NULL)
		b->done = true;
	MemoryContextSwitchTo(old);
	if (!da->walk || b->nev == 0)
		return;

	/* the lookups, one after another with the leaf held */
	btwalk_hold(&da->bw, true);
	for (i = 0; i < b->nev; i++)
	{
		Datum		key = b->evkeys[i];

		if (i > 0 && ApplySortComparator(lastkey, false, key, false, &da->keysort) == 0)
			continue;
		lastkey = key;
		dim_walk_tids(da, key);
		if (b->ntids + da->bw.ntids > b->maxtids)
		{
			b->maxtids = Max(b->maxtids * 2, b->ntids + da->bw.ntids);
			b->tids = repalloc(b->tids, sizeof(ItemPointerData) * b->maxtids);
		}
		memcpy(b->tids + b->ntids, da->bw.tids, sizeof(ItemPointerData) * da->bw.ntids);
		b->ntids += da->bw.ntids;
		b->keys[b->nkeys++] = key;
		b->first[b->nkeys] = b->ntids;
	}
	btwalk_hold(&da->bw, false);
}

/*
 * dim_next_event
 *		The next event into ev (stored, not copied: it stays valid until
 *		the batch after the next is read); false at the end.
 */
static bool
dim_next_event(DimBatch *b, DimApply *da, TupleTableSlot *ev)
{
	if (b->pos == b->nev)
	{
		if (b->done && b->ahead == NULL)
			return false;
		dim_batch_fill(b, da);
		if (b->nev == 0)
			return false;
	}
	ExecStoreMinimalTuple(b->evs[b->pos++], ev, false);
	return true;
}

/*
 * dim_batch_take
 *		The index entries of key, the next key looked up (the main loop
 *		looks each key up once, in the order of the events).
 */
static void
dim_batch_take(DimApply *da, Datum key, const ItemPointerData **tids, int *ntids)
{
	DimBatch   *b = da->batch;

	if (b == NULL || b->kpos >= b->nkeys ||
		ApplySortComparator(key, false, b->keys[b->kpos], false, &da->keysort) != 0)
		elog(ERROR, "a dimension key was looked up out of the order of its events");
	*tids = b->tids + b->first[b->kpos];
	*ntids = b->first[b->kpos + 1] - b->first[b->kpos];
	b->kpos++;
}

/* whether the version in slot is a current one */
static bool
slot_is_current(DimApply *da, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, da->is_current, &isnull);

	return !isnull && DatumGetBool(d);
}

/* the valid_from of the version in slot */
static TimestampTz
version_from(DimApply *da, TupleTableSlot *slot)
{
	bool		isnull;
	Datum		d = slot_getattr(slot, da->valid_from, &isnull);

	return isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
}

/* remember another current version of the key (in da->other) */
static void
dim_more_current(DimApply *da)
{
	TimestampTz from = version_from(da, da->other);

	if (da->nmore == da->maxmore)
	{
		da->maxmore = Max(4, da->maxmore * 2);
		da->more = da->more == NULL ? MemoryContextAlloc(da->estate->es_query_cxt,
														 sizeof(ItemPointerData) * da->maxmore)
			: repalloc(da->more, sizeof(ItemPointerData) * da->maxmore);
	}
	da->more[da->nmore++] = da->other->tts_tid;
	if (from > da->cur_from)
		da->cur_from = from;
}

/*
 * dim_lookup
 *		The row (type 1) or current version (type 2) of key into
 *		da->found and its values into da->cv/cn; false when there is none.
 *		Type 2 also sets da->cur_from, and with any_version finds the key's
 *		other current versions (da->more).
 */
static bool
dim_lookup(DimApply *da, Datum key)
{
	int			i;
	bool		found = false;

	da->nmore = 0;
	da->cur_from = DT_NOBEGIN;
	if (da->walk)
	{
		const ItemPointerData *tids;
		int			ntids;

		/* the key's entries (walked ahead), then the row each leads to, as a scan's */
		dim_batch_take(da, key, &tids, &ntids);
		for (i = 0; i < ntids && !found; i++)
		{
			/* (every version's entry: the current one is most often the last) */
			ItemPointerData tid = tids[da->any_version ? ntids - 1 - i : i];
			bool		call_again = false;
			bool		all_dead = false;

			found = table_index_fetch_tuple(da->fetch, &tid, da->estate->es_snapshot,
											da->found, &call_again, &all_dead);
			if (found && da->any_version && !slot_is_current(da, da->found))
				found = false;
		}
		if (found)
			pgstat_count_heap_fetch(da->idxrel);
		/* with any_version, the rest of the key's versions */
		if (found && da->any_version)
			for (; i < ntids; i++)
			{
				ItemPointerData tid = tids[ntids - 1 - i];
				bool		call_again = false;
				bool		all_dead = false;

				if (table_index_fetch_tuple(da->fetch, &tid, da->estate->es_snapshot,
											da->other, &call_again, &all_dead) &&
					slot_is_current(da, da->other))
					dim_more_current(da);
			}
	}
	else
	{
		ScanKeyData skey;
		MemoryContext old = MemoryContextSwitchTo(da->scancxt);

		ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
							   da->idxcoll, da->eqproc, key);
		index_rescan(da->scan, &skey, 1, NULL, 0);
		while ((found = index_getnext_slot(da->scan, ForwardScanDirection, da->found)) &&
			   da->any_version && !slot_is_current(da, da->found))
			;
		if (found && da->any_version)
			while (index_getnext_slot(da->scan, ForwardScanDirection, da->other))
				if (slot_is_current(da, da->other))
					dim_more_current(da);
		MemoryContextSwitchTo(old);
	}
	if (!found)
		return false;
	/* (the row deformed once, not column after column) */
	slot_getallattrs(da->found);
	for (i = 0; i < da->ncols; i++)
	{
		da->cv[i] = da->found->tts_values[da->dimatt[i] - 1];
		da->cn[i] = da->found->tts_isnull[da->dimatt[i] - 1];
	}
	if (da->scd == 2)
	{
		TimestampTz from = version_from(da, da->found);

		/* (the latest of the key's current versions) */
		if (from > da->cur_from)
			da->cur_from = from;
	}
	return true;
}

/*
 * dim_write_failed
 *		A row found could not be written as it was read: another transaction
 *		committed a change of it (the write waited for it, as an SQL UPDATE
 *		or DELETE does), or a key inserted is one another transaction
 *		inserted.  The decisions made from what was read no longer hold:
 *		the refresh fails with a serialization failure, its changes left
 *		pending.
 */
static void
dim_write_failed(DimApply *da, const char *what, ItemPointer tid)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent %s", what),
			 tid ? errdetail("Another transaction changed row (%u,%u) of dimension table %s during the refresh.",
							 ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid),
							 RelationGetRelationName(da->rel))
			 : errdetail("Another transaction inserted a row of that key into dimension table %s during the refresh.",
						 RelationGetRelationName(da->rel)),
			 errhint("The changes stay pending: refresh the dimension again.")));
}

/* a table_tuple_update() or table_tuple_delete() of a row found that failed */
static void
dim_check_result(DimApply *da, TM_Result res, ItemPointer tid)
{
	switch (res)
	{
		case TM_Ok:
			break;
		case TM_Updated:
		case TM_Deleted:
			dim_write_failed(da, res == TM_Updated ? "update" : "delete", tid);
			break;
		default:
			elog(ERROR, "unexpected result %d writing a row of dimension table %s",
				 (int) res, RelationGetRelationName(da->rel));
	}
}

/*
 * dim_recheck_key
 *		The key of the row just written in slot may be another row's too
 *		(ExecInsertIndexTuples() found an entry of that key, without
 *		waiting): as btree's unique check does, wait for a transaction
 *		inserting or deleting such a row, then look again; a row of that
 *		key that stays (committed, or of a transaction still running after
 *		the wait) is a conflict.
 */
static void
dim_recheck_key(DimApply *da, TupleTableSlot *slot)
{
	SnapshotData dirty;
	ScanKeyData skey;
	IndexScanDesc scan;
	TupleTableSlot *other = table_slot_create(da->rel, NULL);
	bool		isnull;
	Datum		key = slot_getattr(slot, da->dimatt[0], &isnull);
	bool		retry;
	bool		conflict = false;

	InitDirtySnapshot(dirty);
	scan = index_beginscan(da->rel, da->idxrel, &dirty, 1, 0);
	do
	{
		retry = false;
		ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, InvalidOid,
							   da->idxcoll, da->eqproc, key);
		index_rescan(scan, &skey, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, other))
		{
			TransactionId xwait;

			if (ItemPointerEquals(&other->tts_tid, &slot->tts_tid))
				continue;		/* the row written */
			xwait = TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
			if (TransactionIdIsValid(xwait))
			{
				ItemPointerData ctid = other->tts_tid;

				XactLockTableWait(xwait, da->rel, &ctid, XLTW_InsertIndex);
				retry = true;
			}
			else
				conflict = true;
			break;
		}
	} while (retry);
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(other);
	if (conflict)
		dim_write_failed(da, "insert", NULL);
}

/*
 * dim_insert_indexes
 *		The index entries of a row written (update: by a non-HOT update).
 *		The key's unique index is checked as ON CONFLICT's arbiter is: an
 *		entry of that key seen there (another transaction's row, committed
 *		or not) is looked at again after waiting for its writer, and a row
 *		of that key that stays is a serialization failure, not a unique
 *		violation: the refresh decided from a state that no longer holds.
 *		(The entry is inserted all the same: the error rolls it back.)
 */
static void
dim_insert_indexes(DimApply *da, TupleTableSlot *slot, bool update)
{
	bool		conflict = false;
	List	   *recheck;

	if (da->rri->ri_NumIndices == 0)
		return;
	recheck = ExecInsertIndexTuples(da->rri, slot, da->estate, update, true, &conflict, da->arbiter);
	list_free(recheck);
	if (conflict)
		dim_recheck_key(da, slot);
}

/*
 * dim_close_begin
 *		How a closing update (type 2) writes its index entries, when it does
 *		(not a HOT update), and a new current version of a key whose current
 *		version the refresh closed, per index: see dim_own_indexes().  Not
 *		with an exclusion constraint or a deferrable unique one (the
 *		executor's routine, ExecInsertIndexTuples(), writes them then),
 *		nor when the writes run a function not built in (see
 *		dim_runs_user_code(): dim_apply_begin() turns close_own off).
 *
 * Closing a version changes valid_to and is_current, nothing else: in an
 * index whose key holds neither (no expression, no predicate), the closed
 * version's entry has the very key of the entry of the version it
 * replaces.  Such an index is told so (index_insert()'s indexUnchanged, as
 * the executor tells it for an UPDATE that changes none of its columns:
 * B-tree then deletes the entries of versions no longer visible to anyone
 * before it splits a leaf, "bottom-up deletion"), and a unique one is not
 * checked (UNIQUE_CHECK_NO, where the executor checks it): the version
 * closed held that key in the index, committed and visible, and was
 * updated by this refresh (table_tuple_update() returned TM_Ok, so it was
 * the latest version of its row, its update now held by this
 * transaction).  No other row can hold the key meanwhile: another
 * transaction's insert of it checks the index itself and finds the
 * version closed, or, once this refresh commits, the closed version's
 * entry, and fails; a row that held it before the version closed was
 * inserted would have failed that version's own check.  Skipping the
 * check spares a visit of the heap per entry: the surrogate key (the
 * primary key) of every version closed.
 */
static void
dim_close_begin(DimApply *da)
{
	ResultRelInfo *rri = da->rri;
	int			n = Max(rri->ri_NumIndices, 1);
	int			i;

	da->close_own = da->scd == 2;
	da->close_check = palloc(sizeof(IndexUniqueCheck) * n);
	da->close_unchanged = palloc(sizeof(bool) * n);
	da->next_check = palloc(sizeof(IndexUniqueCheck) * n);
	da->next_unchanged = palloc(sizeof(bool) * n);
	for (i = 0; i < rri->ri_NumIndices && da->close_own; i++)
	{
		Relation	idx = rri->ri_IndexRelationDescs[i];
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];
		bool		unchanged = true;
		int			j;

		da->close_check[i] = UNIQUE_CHECK_NO;
		da->close_unchanged[i] = false;
		da->next_check[i] = UNIQUE_CHECK_NO;
		da->next_unchanged[i] = false;
		if (idx == NULL)
			continue;
		if (ii->ii_ExclusionOps != NULL ||
			(idx->rd_index->indisunique && !idx->rd_index->indimmediate))
		{
			da->close_own = false;
			break;
		}
		for (j = 0; j < ii->ii_NumIndexKeyAttrs; j++)
		{
			AttrNumber	a = ii->ii_IndexAttrNumbers[j];

			if (a <= 0 || a == da->valid_to || a == da->is_current)
				unchanged = false;
		}
		da->close_unchanged[i] = unchanged;
		if (idx->rd_index->indisunique && !(unchanged && ii->ii_Predicate == NIL))
			da->close_check[i] = UNIQUE_CHECK_YES;
		/* the unique index on current versions: see dim_own_indexes() */
		if (RelationGetRelid(idx) == RelationGetRelid(da->idxrel) && !da->any_version)
			da->next_unchanged[i] = true;
		else if (idx->rd_index->indisunique)
			da->next_check[i] = UNIQUE_CHECK_YES;
	}
}

/* a function not built in (check_functions_in_node()'s callback) */
static bool
dim_user_func(Oid funcid, void *context)
{
	return funcid >= FirstNormalObjectId;
}

static bool
dim_user_code_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, dim_user_func, context))
		return true;
	return expression_tree_walker(node, dim_user_code_walker, context);
}

/*
 * dim_runs_user_code
 *		Whether the refresh's writes run a function not built in: in a
 *		column default, a CHECK constraint, or an index's expressions or
 *		predicate.  Such a function may write the dimension table itself, in
 *		the refresh's own transaction, where nothing waits: a version the
 *		refresh closed is not there any more (deleted by this transaction),
 *		so that a current version of its key, or its surrogate key, inserted
 *		by the function before the refresh writes its own entry passes its
 *		check, and only the refresh's check can then see the duplicate.  So
 *		the refresh checks every entry as the executor does (close_own off).
 *		(A built-in function that runs a query runs it read only.)
 */
static bool
dim_runs_user_code(DimApply *da)
{
	ResultRelInfo *rri = da->rri;
	TupleConstr *constr = RelationGetDescr(da->rel)->constr;
	int			i;

	for (i = 0; i < RelationGetDescr(da->rel)->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(RelationGetDescr(da->rel), i);
		Node	   *def;

		if (a->attisdropped || !a->atthasdef)
			continue;
		def = build_column_default(da->rel, i + 1);
		if (def != NULL && dim_user_code_walker(def, NULL))
			return true;
	}
	for (i = 0; constr != NULL && i < constr->num_check; i++)
		if (dim_user_code_walker(stringToNode(constr->check[i].ccbin), NULL))
			return true;
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];

		if (ii == NULL)
			continue;
		if (dim_user_code_walker((Node *) ii->ii_Expressions, NULL) ||
			dim_user_code_walker((Node *) ii->ii_Predicate, NULL))
			return true;
	}
	return false;
}

/*
 * dim_own_indexes
 *		The index entries of a row written (in slot), as
 *		ExecInsertIndexTuples() writes them but for the checks and hints
 *		dim_close_begin() chose: a version closed by a non-HOT update
 *		(close_check, close_unchanged), or a new current version of a key
 *		whose current version the refresh closed (next_check,
 *		next_unchanged).  An index whose predicate the row does not satisfy
 *		(the unique index on current versions, for a version closed) gets
 *		none.
 *
 * A new current version of a key whose current version this refresh
 * closed is not checked in the unique index on current versions: the
 * version closed was the key's current version, committed and visible,
 * and this transaction holds its update (table_tuple_update() returned
 * TM_Ok).  Another transaction's insert of a current version of the key
 * finds that version's entry there, waits for this transaction, and then
 * finds the new version's entry (inserted before the commit), or the
 * version closed current again (a rollback): it fails either way; one that
 * inserted it earlier failed on the version closed, as that version's
 * own insert would have failed on it.  The refresh opens one current
 * version per key.  So the check, which reads the version closed from the
 * heap, could only pass.  The entry is marked unchanged (it replaces the
 * version closed's in that index, a key's entry moving to its next
 * version), so that B-tree deletes the entries of versions no longer
 * visible before it splits a leaf, where the check used to mark them dead.
 */
static void
dim_own_indexes(DimApply *da, TupleTableSlot *slot, const IndexUniqueCheck *check,
				const bool *unchanged)
{
	ResultRelInfo *rri = da->rri;
	ExprContext *econtext = GetPerTupleExprContext(da->estate);
	Datum		values[INDEX_MAX_KEYS];
	bool		isnull[INDEX_MAX_KEYS];
	int			i;

	econtext->ecxt_scantuple = slot;
	for (i = 0; i < rri->ri_NumIndices; i++)
	{
		Relation	idx = rri->ri_IndexRelationDescs[i];
		IndexInfo  *ii = rri->ri_IndexRelationInfo[i];

		if (idx == NULL || !ii->ii_ReadyForInserts)
			continue;
		if (ii->ii_Predicate != NIL)
		{
			if (ii->ii_PredicateState == NULL)
				ii->ii_PredicateState = ExecPrepareQual(ii->ii_Predicate, da->estate);
			if (!ExecQual(ii->ii_PredicateState, econtext))
				continue;
		}
		FormIndexDatum(ii, slot, da->estate, values, isnull);
		index_insert(idx, values, isnull, &slot->tts_tid, da->rel, check[i], unchanged[i], ii);
	}
}

/* the checks of ExecSimpleRelationInsert/Update on a row to write */
static void
dim_check_row(DimApply *da, TupleTableSlot *slot)
{
	if (da->rel->rd_att->constr)
		ExecConstraints(da->rri, slot, da->estate);
	if (da->rel->rd_rel->relispartition)
		ExecPartitionCheck(da->rri, slot, da->estate, true);
}

/*
 * dim_wal_nudge
 *		After every so many rows written, ask the WAL writer to write and
 *		flush the WAL written so far when it grew by wal_writer_flush_after
 *		(1 MB unless set) since the last request, as an asynchronous commit
 *		asks it: it does so in its own process while the refresh goes on,
 *		so the commit's flush at the end waits only for the rest.  Without
 *		it the WAL writer, asleep for up to wal_writer_delay (or hibernating
 *		when the server was idle), leaves most of a refresh's WAL to that
 *		flush.  Nothing else changes: the commit still waits for all of it.
 *
 * The request is the end of this backend's last record (XactLastRecEnd,
 * what an asynchronous commit passes), never the insert position
 * (GetXLogInsertRecPtr()): when the WAL inserted so far ends exactly at a
 * page boundary, that position lies past the next page's header, on a page
 * that may not be initialized yet, and the WAL writer's write of it
 * (XLogBackgroundFlush(), XLogWrite()) then stops with a PANIC ("xlog
 * write request ... is past end of log"), restarting the server.
 */
static void
dim_wal_nudge(DimApply *da)
{
	XLogRecPtr	now;
	uint64		step;

	if (++da->nwrites % 64 != 0 || !RelationNeedsWAL(da->rel))
		return;
	now = XactLastRecEnd;
	step = (uint64) (WalWriterFlushAfter > 0 ? WalWriterFlushAfter : 128) * XLOG_BLCKSZ;
	if (now - da->nudged >= step)
	{
		XLogSetAsyncXactLSN(now);
		da->nudged = now;
	}
}

/*
 * dim_delete
 *		Delete the row in da->found, waiting (as an SQL DELETE does) for a
 *		transaction writing or locking it.
 */
static void
dim_delete(DimApply *da)
{
	ItemPointerData tid = da->found->tts_tid;
	TM_FailureData tmfd;

	/* as ExecSimpleRelationDelete: a published table needs its identity */
	CheckCmdReplicaIdentity(da->rel, CMD_DELETE);
	dim_check_result(da, table_tuple_delete(da->rel, &tid, da->estate->es_output_cid,
											da->estate->es_snapshot, InvalidSnapshot,
											true, &tmfd, false),
					 &tid);
	dim_wal_nudge(da);
}

/*
 * values_differ
 *		Whether two states of a key (present) differ in a tracked attribute,
 *		or in the key's value where it is compared by its text, as
 *		_dim_attrs_differ() says.
 */
static bool
values_differ(DimApply *da, Datum *av, bool *an, Datum *bv, bool *bn)
{
	int			i;

	for (i = 0; i < da->ncols; i++)
	{
		if (i == 0 && !da->by_text[0])
			continue;			/* one key's events: equal images */
		if (an[i] || bn[i])
		{
			if (an[i] != bn[i])
				return true;
			continue;
		}
		if (da->by_text[i])
		{
			char	   *x = OutputFunctionCall(&da->out[i], av[i]);
			char	   *y = OutputFunctionCall(&da->out[i], bv[i]);
			bool		d = strcmp(x, y) != 0;

			pfree(x);
			pfree(y);
			if (d)
				return true;
		}
		else if (!datum_image_eq(av[i], bv[i], da->typbyval[i], da->typlen[i]))
			return true;
	}
	return false;
}

/*
 * put_row
 *		Fill ns (da->newslot, or a slot of the versions' batch): from
 *		da->found (an update) or defaults (an insert), the key and the
 *		attributes from vals/nulls.
 */
static void
put_row(DimApply *da, TupleTableSlot *ns, bool from_found, Datum *vals, bool *nulls)
{
	int			natts = ns->tts_tupleDescriptor->natts;
	int			i;

	ExecClearTuple(ns);
	if (from_found)
	{
		slot_getallattrs(da->found);
		memcpy(ns->tts_values, da->found->tts_values, sizeof(Datum) * natts);
		memcpy(ns->tts_isnull, da->found->tts_isnull, sizeof(bool) * natts);
	}
	else
	{
		ExprContext *econtext = GetPerTupleExprContext(da->estate);

		for (i = 0; i < natts; i++)
		{
			ns->tts_values[i] = (Datum) 0;
			ns->tts_isnull[i] = true;
		}
		for (i = 0; i < da->ndefaults; i++)
		{
			AttrNumber	att = da->defatt[i];

			ns->tts_values[att - 1] = ExecEvalExprSwitchContext(da->defexpr[i], econtext,
																&ns->tts_isnull[att - 1]);
		}
	}
	if (vals)
		for (i = 0; i < da->ncols; i++)
		{
			ns->tts_values[da->dimatt[i] - 1] = vals[i];
			ns->tts_isnull[da->dimatt[i] - 1] = nulls[i];
		}
}

/*
 * put_version
 *		Fill ns with a new row (defaults, then vals/nulls), with, when
 *		versioned, its validity (valid_to NULL when to_null, so current),
 *		and check it.
 */
static void
put_version(DimApply *da, TupleTableSlot *ns, Datum *vals, bool *nulls, bool versioned,
			Datum from, Datum to, bool to_null)
{
	put_row(da, ns, false, vals, nulls);
	if (versioned)
	{
		ns->tts_values[da->valid_from - 1] = from;
		ns->tts_isnull[da->valid_from - 1] = false;
		ns->tts_values[da->valid_to - 1] = to;
		ns->tts_isnull[da->valid_to - 1] = to_null;
		ns->tts_values[da->is_current - 1] = BoolGetDatum(to_null);
		ns->tts_isnull[da->is_current - 1] = false;
	}
	ExecStoreVirtualTuple(ns);
	dim_check_row(da, ns);
}

static void
dim_insert(DimApply *da, Datum *vals, bool *nulls)
{
	TupleTableSlot *ns = da->newslot;

	put_version(da, ns, vals, nulls, false, 0, 0, true);
	table_tuple_insert(da->rel, ns, da->estate->es_output_cid, 0, NULL);
	dim_insert_indexes(da, ns, false);
	ResetPerTupleExprContext(da->estate);
	dim_wal_nudge(da);
}

/*
 * The new versions of a type 2 refresh are written DIM_MULTI at a time:
 * their rows into the heap together (table_multi_insert(), as COPY writes
 * a batch: one WAL record and one visit per heap page rather than per
 * row), then each one's index entries, in the same order as before, so
 * its surrogate key (a default, evaluated as each row is filled) still
 * follows change order.  A version's entry in the unique index of
 * current versions is inserted, and checked, after the rows of its batch
 * are in the heap rather than right after its own: that changes nothing,
 * since a key has one current version among them at most, and no other
 * transaction sees the rows before the refresh commits.
 */
#define DIM_MULTI	128

typedef struct VersionBatch
{
	TupleTableSlot *slots[DIM_MULTI];
	bool		next[DIM_MULTI];	/* the key's current version was closed */
	int			n;
} VersionBatch;

/* write the batch's rows, then their index entries */
static void
dim_versions_flush(DimApply *da, VersionBatch *vb)
{
	int			i;

	if (vb->n == 0)
		return;
	table_multi_insert(da->rel, vb->slots, vb->n, da->estate->es_output_cid, 0, NULL);
	for (i = 0; i < vb->n; i++)
	{
		if (vb->next[i] && da->close_own)
			dim_own_indexes(da, vb->slots[i], da->next_check, da->next_unchanged);
		else
			dim_insert_indexes(da, vb->slots[i], false);
		ResetPerTupleExprContext(da->estate);
		dim_wal_nudge(da);
		ExecClearTuple(vb->slots[i]);
	}
	vb->n = 0;
}

/*
 * add a new version (its values are copied: vals may go once it returns);
 * next: a current version of a key whose current version was closed
 */
static void
dim_version_add(DimApply *da, VersionBatch *vb, Datum *vals, bool *nulls, Datum from,
				Datum to, bool to_null, bool next)
{
	TupleTableSlot *ns;

	if (vb->slots[vb->n] == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(da->estate->es_query_cxt);

		vb->slots[vb->n] = table_slot_create(da->rel, &da->estate->es_tupleTable);
		MemoryContextSwitchTo(old);
	}
	ns = vb->slots[vb->n];
	put_version(da, ns, vals, nulls, true, from, to, to_null);
	ExecMaterializeSlot(ns);	/* (its own copy of the row) */
	ResetPerTupleExprContext(da->estate);
	vb->next[vb->n] = next && to_null;
	if (++vb->n == DIM_MULTI)
		dim_versions_flush(da, vb);
}

/*
 * dim_update_found
 *		da->found overwritten: vals (when given), or the version closed at
 *		t.  No lock is taken first: table_tuple_update() waits, as an SQL
 *		UPDATE does, for a transaction writing or locking the row, and says
 *		whether one committed a change of it.
 */
static void
dim_update_found(DimApply *da, Datum *vals, bool *nulls, bool close, Datum t)
{
	TupleTableSlot *ns = da->newslot;
	ItemPointerData tid = da->found->tts_tid;
	TM_FailureData tmfd;
	LockTupleMode lockmode;
	bool		update_indexes;

	/* as ExecSimpleRelationUpdate: a published table needs its identity */
	CheckCmdReplicaIdentity(da->rel, CMD_UPDATE);
	put_row(da, ns, true, vals, nulls);
	if (close)
	{
		ns->tts_values[da->valid_to - 1] = t;
		ns->tts_isnull[da->valid_to - 1] = false;
		ns->tts_values[da->is_current - 1] = BoolGetDatum(false);
		ns->tts_isnull[da->is_current - 1] = false;
	}
	ExecStoreVirtualTuple(ns);
	dim_check_row(da, ns);
	dim_check_result(da, table_tuple_update(da->rel, &tid, ns, da->estate->es_output_cid,
											da->estate->es_snapshot, InvalidSnapshot, true,
											&tmfd, &lockmode, &update_indexes),
					 &tid);
	if (update_indexes)
	{
		if (close && da->close_own)
			dim_own_indexes(da, ns, da->close_check, da->close_unchanged);
		else
			dim_insert_indexes(da, ns, true);
	}
	ResetPerTupleExprContext(da->estate);
	dim_wal_nudge(da);
}

/*
 * dim_update
 *		dim_update_found(), and when closing, the same for the key's other
 *		current versions (da->more: several only where nothing keeps one
 *		current version per key, see any_version), each fetched again by
 *		its TID under the refresh's snapshot: every current version of
 *		the key is closed at t, as the SQL's UPDATE closes them.
 */
static void
dim_update(DimApply *da, Datum *vals, bool *nulls, bool close, Datum t)
{
	int			i;

	dim_update_found(da, vals, nulls, close, t);
	if (!close)
		return;
	for (i = 0; i < da->nmore; i++)
	{
		if (!table_tuple_fetch_row_version(da->rel, &da->more[i], da->estate->es_snapshot,
										   da->found))
			elog(ERROR, "a current version of a key of dimension table %s could not be read again",
				 RelationGetRelationName(da->rel));
		dim_update_found(da, NULL, NULL, true, t);
	}
	da->nmore = 0;
}

/* Type 2: the state of one key's events so far */
typedef struct KeyWalk
{
	bool		has_cur;
	TimestampTz cur_from;
	bool		first;
	bool		closed;
	TimestampTz maxt;
	bool		pending;		/* pend holds a kept upsert not yet inserted */
	TimestampTz pend_t;
} KeyWalk;

/*
 * a version to insert: the event's columns, then valid_from, valid_to and
 * next (the key's current version was closed by this refresh)
 */
static void
emit_version(Tuplesortstate *ins, TupleTableSlot *insslot, TupleTableSlot *ev, int ncols,
			 TimestampTz from, TimestampTz to, bool to_null, bool next)
{
	int			n = S_FIXED + ncols;

	ExecClearTuple(insslot);
	slot_getallattrs(ev);
	memcpy(insslot->tts_values, ev->tts_values, sizeof(Datum) * n);
	memcpy(insslot->tts_isnull, ev->tts_isnull, sizeof(bool) * n);
	insslot->tts_values[n] = TimestampTzGetDatum(from);
	insslot->tts_isnull[n] = false;
	insslot->tts_values[n + 1] = TimestampTzGetDatum(to);
	insslot->tts_isnull[n + 1] = to_null;
	insslot->tts_values[n + 2] = BoolGetDatum(next);
	insslot->tts_isnull[n + 2] = false;
	ExecStoreVirtualTuple(insslot);
	tuplesort_puttupleslot(ins, insslot);
}

/*
 * dim_sort_mem
 *		The memory (kB) of each of the refresh's sorts before it spills to
 *		disk: maintenance_work_mem, as the other maintenance of a table
 *		(CREATE INDEX, VACUUM) takes, or work_mem if larger.  The events of
 *		30,000 changes of a row of five short text columns take 4.5 MB in
 *		memory, past the default work_mem (4 MB), which would sort them
 *		on disk.
 */
static int
dim_sort_mem(void)
{
	return Max(work_mem, maintenance_work_mem);
}

PG_FUNCTION_INFO_V1(dataeng_dim_apply);

/*
 * dataeng_dim_apply
 *		dataeng_internal._dim_apply(consumer text, source regclass,
 *		key_column text, attributes text[], dim_table regclass, scd_type int,
 *		by_text boolean[], OUT n_changes bigint, OUT truncated_at timestamptz,
 *		OUT path text)
 *
 * With path NULL, every pending change was read (and acknowledged in the
 * caller's transaction) and those before the first TRUNCATE applied;
 * truncated_at is that TRUNCATE's time (the caller compares from it).
 * Else nothing was read and path says why the SQL must apply them.
 * by_text: per column (key, attributes) whether _dim_differ() compares
 * its values by their text.  Runs as the dimension's owner (the caller's
 * care); with dry_run (consumer NULL) only the path is returned.
 */
Datum
dataeng_dim_apply(PG_FUNCTION_ARGS)
{
	Oid			source;
	char	   *key_column;
	Oid			dimoid;
	int			scd;
	char	  **attrs;
	int			nattrs;
	Datum	   *bt;
	bool	   *btnull;
	int			nbt;
	bool	   *by_text;
	TupleDesc	rdesc;
	Datum		rv[3] = {0, 0, 0};
	bool		rn[3] = {true, true, true};
	Relation	rel;
	DimApply	da;
	const char *reason;
	EventState	st;
	TupleDesc	sdesc;
	AttrNumber	sortatts[3] = {S_FIXED + 1, S_CHANGE_ID + 1, S_PART + 1};
	Oid			sortops[3];
	Oid			sortcolls[3] = {InvalidOid, InvalidOid, InvalidOid};
	bool		nullsfirst[3] = {false, false, false};
	TupleTableSlot *ev;
	TupleTableSlot *prev;
	TupleTableSlot *pend;
	TupleDesc	idesc = NULL;
	Tuplesortstate *ins = NULL;
	TupleTableSlot *insslot = NULL;
	bool		in_key = false;
	bool		copy_events;
	DimBatch	batch;
	KeyWalk		kw;
	MemoryContext keycxt;
	MemoryContext outer;
	int			i;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) ||
		PG_ARGISNULL(5) || PG_ARGISNULL(6))
		elog(ERROR, "dataeng_internal._dim_apply() takes no NULL but its consumer");
	/* (read once none is NULL: PUBLIC may call it with anything) */
	source = PG_GETARG_OID(1);
	key_column = text_to_cstring(PG_GETARG_TEXT_PP(2));
	dimoid = PG_GETARG_OID(4);
	scd = PG_GETARG_INT32(5);
	if (get_call_result_type(fcinfo, NULL, &rdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	attrs = agg_text_array(PG_GETARG_ARRAYTYPE_P(3), "attribute names", &nattrs);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(6), BOOLOID, 1, true, TYPALIGN_CHAR, &bt, &btnull, &nbt);
	if (nbt != 1 + nattrs)
		elog(ERROR, "by_text must have one element per column");
	by_text = palloc(sizeof(bool) * nbt);
	for (i = 0; i < nbt; i++)
		by_text[i] = !btnull[i] && DatumGetBool(bt[i]);

	/*
	 * The refresh runs as the dimension's owner, who owns its table: any
	 * other table is refused before it is locked (the writes below check no
	 * right by column, nor what its owner's SQL would).
	 */
	if (!pg_class_ownercheck(dimoid, GetUserId()))
	{
		char	   *relname = get_rel_name(dimoid);

		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s to apply a dimension's changes to it",
						relname ? relname : "(dropped)"),
				 errdetail("dataeng_internal._dim_apply() writes only a dimension table owned by the current role \"%s\".",
						   GetUserNameFromId(GetUserId(), false)),
				 errhint("Refresh the dimension with dataeng.dimension_refresh(), which runs as its owner.")));
	}
	rel = table_open(dimoid, RowExclusiveLock);
	dim_apply_init(&da, rel, source, scd, key_column, attrs, nattrs, by_text);
	reason = dim_apply_reason(&da, source);
	if (reason != NULL || PG_ARGISNULL(0))
	{
		if (da.idxrel)
			index_close(da.idxrel, NoLock);
		table_close(rel, NoLock);
		if (reason)
		{
			rv[2] = CStringGetTextDatum(reason);
			rn[2] = false;
		}
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(rdesc), rv, rn)));
	}

	/* the events, read and sorted by key, then commit order */
	memset(&st, 0, sizeof(st));
	st.ncols = da.ncols;
	st.cols = palloc0(sizeof(ImageColumn) * st.ncols);
	sdesc = CreateTemplateTupleDesc(S_FIXED + st.ncols);
	TupleDescInitEntry(sdesc, S_CHANGE_ID + 1, "change_id", INT8OID, -1, 0);
	TupleDescInitEntry(sdesc, S_PART + 1, "part", INT4OID, -1, 0);
	TupleDescInitEntry(sdesc, S_T + 1, "t", TIMESTAMPTZOID, -1, 0);
	TupleDescInitEntry(sdesc, S_PRESENT + 1, "present", BOOLOID, -1, 0);
	for (i = 0; i < st.ncols; i++)
	{
		Oid			typid;
		int32		typmod;
		Oid			collid;

		get_atttypetypmodcoll(source, da.srcatt[i], &typid, &typmod, &collid);
		TupleDescInitEntry(sdesc, S_FIXED + i + 1, NULL, typid, typmod, 0);
		TupleDescInitEntryCollation(sdesc, S_FIXED + i + 1, collid);
		cdc_image_column_init(&st.cols[i], i == 0 ? key_column : attrs[i - 1], typid, typmod,
							  CurrentMemoryContext);
	}
	{
		TypeCacheEntry *tc = lookup_type_cache(da.keytype, TYPECACHE_EQ_OPR_FINFO);

		if (OidIsValid(tc->eq_opr_finfo.fn_oid))
		{
			fmgr_info_copy(&st.keyeq, &tc->eq_opr_finfo, CurrentMemoryContext);
			st.has_keyeq = true;
		}
	}
	event_state_reader(&st);
	st.keylen = da.typlen[0];
	st.keybyval = da.typbyval[0];
	st.keycoll = da.keycoll;
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng dimension event",
									  ALLOCSET_DEFAULT_SIZES);
	sortops[0] = lookup_type_cache(da.keytype, TYPECACHE_LT_OPR)->lt_opr;
	sortops[1] = Int8LessOperator;
	sortops[2] = Int4LessOperator;
	sortcolls[0] = dim_sort_collation(da.keytype, da.keycoll);
	st.sort = tuplesort_begin_heap(sdesc, 3, sortatts, sortops, sortcolls, nullsfirst,
								   dim_sort_mem(), NULL, TUPLESORT_NONE);
	st.sortslot = MakeSingleTupleTableSlot(sdesc, &TTSOpsVirtual);

	cdc_read_changes(PG_GETARG_TEXT_PP(0), source, event_change, &st);
	tuplesort_performsort(st.sort);

	/*
	 * A sort done in memory keeps its tuples until it ends: the events are
	 * then read in place (the previous one stays valid), else copied.
	 */
	{
		TuplesortInstrumentation stats;

		tuplesort_get_stats(st.sort, &stats);
		copy_events = stats.sortMethod != SORT_TYPE_QUICKSORT;
	}

	/* the writes */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	dim_apply_begin(&da);
	ev = MakeSingleTupleTableSlot(sdesc, &TTSOpsMinimalTuple);
	prev = MakeSingleTupleTableSlot(sdesc, &TTSOpsMinimalTuple);
	pend = MakeSingleTupleTableSlot(sdesc, &TTSOpsVirtual);
	if (scd == 2)
	{
		AttrNumber	insatts[2] = {S_CHANGE_ID + 1, S_PART + 1};
		Oid			insops[2] = {Int8LessOperator, Int4LessOperator};
		Oid			inscolls[2] = {InvalidOid, InvalidOid};
		bool		insnf[2] = {false, false};

		idesc = CreateTemplateTupleDesc(S_FIXED + st.ncols + 3);
		for (i = 0; i < S_FIXED + st.ncols; i++)
			TupleDescCopyEntry(idesc, i + 1, sdesc, i + 1);
		TupleDescInitEntry(idesc, S_FIXED + st.ncols + 1, "valid_from", TIMESTAMPTZOID, -1, 0);
		TupleDescInitEntry(idesc, S_FIXED + st.ncols + 2, "valid_to", TIMESTAMPTZOID, -1, 0);
		TupleDescInitEntry(idesc, S_FIXED + st.ncols + 3, "next", BOOLOID, -1, 0);
		ins = tuplesort_begin_heap(idesc, 2, insatts, insops, inscolls, insnf,
								   dim_sort_mem(), NULL, TUPLESORT_NONE);
		insslot = MakeSingleTupleTableSlot(idesc, &TTSOpsVirtual);
	}
	dim_batch_begin(&batch, &da, &st, copy_events, sdesc);
	memset(&kw, 0, sizeof(kw));
	keycxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng dimension key",
								   ALLOCSET_DEFAULT_SIZES);
	outer = CurrentMemoryContext;

	for (;;)
	{
		/* (from the first TRUNCATE on, none: the caller compares) */
		bool		more = dim_next_event(&batch, &da, ev);
		Datum	   *v;
		bool	   *n;

		if (more)
			slot_getallattrs(ev);
		MemoryContextSwitchTo(keycxt);
		/* the end of a key: type 1 applies its last event (prev) */
		if (in_key && (!more || ApplySortComparator(prev->tts_values[S_FIXED], false,
													ev->tts_values[S_FIXED], false,
													&da.keysort) != 0))
		{
			if (scd == 1)
			{
				bool		present = DatumGetBool(prev->tts_values[S_PRESENT]);
				bool		found = dim_lookup(&da, prev->tts_values[S_FIXED]);

				v = prev->tts_values + S_FIXED;
				n = prev->tts_isnull + S_FIXED;
				if (!present)
				{
					if (found)
						dim_delete(&da);
				}
				else if (!found)
					dim_insert(&da, v, n);
				else if (values_differ(&da, da.cv, da.cn, v, n))
					dim_update(&da, v, n, false, 0);
			}
			else if (kw.pending)
				emit_version(ins, insslot, pend, st.ncols, kw.pend_t, 0, true, kw.has_cur);
			in_key = false;
			MemoryContextReset(keycxt);
		}
		if (!more)
		{
			MemoryContextSwitchTo(outer);
			break;
		}

		if (scd == 2)
		{
			bool		present = DatumGetBool(ev->tts_values[S_PRESENT]);
			TimestampTz et = DatumGetTimestampTz(ev->tts_values[S_T]);
			TimestampTz t;
			bool		changed;

			v = ev->tts_values + S_FIXED;
			n = ev->tts_isnull + S_FIXED;
			if (!in_key)
			{
				memset(&kw, 0, sizeof(kw));
				kw.has_cur = dim_lookup(&da, v[0]);
				if (kw.has_cur)
					kw.cur_from = da.cur_from;
				kw.first = true;
				kw.maxt = et;
			}
			else if (et > kw.maxt)
				kw.maxt = et;
			t = kw.has_cur && kw.cur_from > kw.maxt ? kw.cur_from : kw.maxt;
			if (kw.first)
				changed = kw.has_cur != present ||
					(present && values_differ(&da, da.cv, da.cn, v, n));
			else
			{
				bool		prev_present = DatumGetBool(prev->tts_values[S_PRESENT]);

				changed = prev_present != present ||
					(present && values_differ(&da, prev->tts_values + S_FIXED,
											  prev->tts_isnull + S_FIXED, v, n));
			}
			if (changed)
			{
				if (!kw.closed && kw.has_cur)
					dim_update(&da, NULL, NULL, true, TimestampTzGetDatum(t));
				kw.closed = true;
				if (kw.pending)
					emit_version(ins, insslot, pend, st.ncols, kw.pend_t, t, false, false);
				kw.pending = present;
				if (present)
				{
					ExecCopySlot(pend, ev);
					kw.pend_t = t;
				}
			}
			kw.first = false;
		}
		in_key = true;
		MemoryContextSwitchTo(outer);
		/* ev becomes the previous event */
		{
			TupleTableSlot *x = prev;

			prev = ev;
			ev = x;
		}
	}

	if (scd == 2)
	{
		TupleTableSlot *vs = MakeSingleTupleTableSlot(idesc, &TTSOpsMinimalTuple);
		int			nf = S_FIXED + st.ncols;
		VersionBatch vb;

		memset(&vb, 0, sizeof(vb));
		tuplesort_performsort(ins);
		while (tuplesort_gettupleslot(ins, true, false, vs, NULL))
		{
			slot_getallattrs(vs);
			MemoryContextSwitchTo(keycxt);
			dim_version_add(&da, &vb, vs->tts_values + S_FIXED, vs->tts_isnull + S_FIXED,
							vs->tts_values[nf], vs->tts_values[nf + 1], vs->tts_isnull[nf + 1],
							DatumGetBool(vs->tts_values[nf + 2]));
			MemoryContextSwitchTo(outer);
			MemoryContextReset(keycxt);
		}
		MemoryContextSwitchTo(keycxt);
		dim_versions_flush(&da, &vb);
		MemoryContextSwitchTo(outer);
		MemoryContextReset(keycxt);
		tuplesort_end(ins);
		ExecDropSingleTupleTableSlot(vs);
		ExecDropSingleTupleTableSlot(insslot);
	}
	dim_batch_end(&batch);
	tuplesort_end(st.sort);
	ExecDropSingleTupleTableSlot(ev);
	ExecDropSingleTupleTableSlot(prev);
	ExecDropSingleTupleTableSlot(pend);
	ExecDropSingleTupleTableSlot(st.sortslot);
	dim_apply_end(&da);
	PopActiveSnapshot();
	CommandCounterIncrement();
	table_close(rel, NoLock);

	rv[0] = Int64GetDatum(st.changes);
	rn[0] = false;
	if (st.has_tr)
	{
		rv[1] = st.tr_t;
		rn[1] = false;
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(rdesc), rv, rn)));
}
