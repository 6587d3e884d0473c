/*-------------------------------------------------------------------------
 *
 * quarantine.c
 *		Moving the rows validate() quarantines, in bounded memory.
 *
 * validate(tbl, quarantine => true) deletes the rows that fail its error
 * rules and stores them in dataeng.quarantine.  The DELETE must run as the
 * table's owner (its rules are the owner's expressions, which may call the
 * owner's functions), under SECURITY_RESTRICTED_OPERATION; the INSERT into
 * the quarantine table must not (no role but the extension writes it).
 * Carrying the rows from one to the other in a single jsonb value made the
 * memory of a quarantine grow with the number of rows moved, up to the
 * 1 GB limit of a value.
 *
 * Here the DELETE ... RETURNING runs as the owner through a cursor: the
 * portal runs it to completion on its first fetch and keeps what it
 * returns in a tuplestore, which spills to disk past work_mem.  The owner's
 * rights end there; the rows are then fetched in batches of
 * QUARANTINE_BATCH and each batch is inserted into the quarantine table
 * with one statement, with the rights validate()'s body runs with.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/bytea.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "common/common.h"
#include "validate/validate.h"

/* rows fetched and inserted at a time */
#define QUARANTINE_BATCH 1000

/*
 * quarantine_store_batch
 *		Store n rows of tt, whose columns are the row (jsonb) and the array
 *		of the rules it failed (jsonb), in dataeng.quarantine for tbl and
 *		run, with one INSERT, with the rights the caller runs with (SPI
 *		connected).  Returns n.
 */
int64
quarantine_store_batch(SPITupleTable *tt, uint64 n, Oid tbl, int64 run)
{
	static const char *insert_sql =
		"INSERT INTO dataeng.quarantine (table_name, run_id, failed_rules, row_data) "
		"SELECT $1, $2, ARRAY(SELECT pg_catalog.jsonb_array_elements_text(u.r)), u.w "
		"FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(w, r)";
	Oid			argtypes[4] = {REGCLASSOID, INT8OID, JSONBARRAYOID, JSONBARRAYOID};
	MemoryContext batch_cxt;
	MemoryContext old;
	Datum	   *rows;
	Datum	   *rules;
	bool	   *rows_null;
	bool	   *rules_null;
	int			dims[1];
	int			lbs[1] = {1};
	Datum		values[4];
	int			rc;

	if (tt->tupdesc->natts != 2 ||
		SPI_gettypeid(tt->tupdesc, 1) != JSONBOID || SPI_gettypeid(tt->tupdesc, 2) != JSONBOID)
		elog(ERROR, "dataeng's quarantine query must return (row jsonb, rules jsonb)");
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng quarantine batch",
									  ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(batch_cxt);
	rows = palloc(sizeof(Datum) * n);
	rules = palloc(sizeof(Datum) * n);
	rows_null = palloc(sizeof(bool) * n);
	rules_null = palloc(sizeof(bool) * n);
	for (uint64 i = 0; i < n; i++)
	{
		rows[i] = SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &rows_null[i]);
		rules[i] = SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &rules_null[i]);
	}
	dims[0] = (int) n;
	values[0] = ObjectIdGetDatum(tbl);
	values[1] = Int64GetDatum(run);
	values[2] = PointerGetDatum(construct_md_array(rows, rows_null, 1, dims, lbs,
												   JSONBOID, -1, false, TYPALIGN_INT));
	values[3] = PointerGetDatum(construct_md_array(rules, rules_null, 1, dims, lbs,
												   JSONBOID, -1, false, TYPALIGN_INT));
	MemoryContextSwitchTo(old);
	rc = SPI_execute_with_args(insert_sql, 4, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT || SPI_processed != n)
		elog(ERROR, "dataeng could not store quarantined rows: %s",
			 SPI_result_code_string(rc));
	MemoryContextDelete(batch_cxt);
	return (int64) n;
}

PG_FUNCTION_INFO_V1(dataeng_quarantine_move);

/*
 * dataeng_quarantine_move(owner regrole, query text, tbl regclass, run bigint)
 *		Run query, a DELETE ... RETURNING of two jsonb columns (the row,
 *		and the array of the rules it failed), as owner, and store every row
 *		it returns in dataeng.quarantine for tbl and run.  Returns how many
 *		rows were moved.  Not executable by PUBLIC: validate()'s body builds
 *		the query from the table's rules.
 */
Datum
dataeng_quarantine_move(PG_FUNCTION_ARGS)
{
	Oid			owner = PG_GETARG_OID(0);
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			tbl = PG_GETARG_OID(2);
	int64		run = PG_GETARG_INT64(3);
	InternalSql as_owner;
	SPIPlanPtr	plan;
	Portal		portal;
	int64		moved = 0;

	/* the DELETE, as the table's owner: it runs whole on the first fetch */
	internal_sql_begin(&as_owner, owner);
	SPI_connect();
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "dataeng could not prepare the quarantine's DELETE: %s",
			 SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		elog(ERROR, "dataeng's quarantine query returns no rows");
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	SPI_cursor_fetch(portal, true, QUARANTINE_BATCH);
	internal_sql_end(&as_owner);

	if (SPI_tuptable == NULL || SPI_tuptable->tupdesc->natts != 2 ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 1) != JSONBOID ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 2) != JSONBOID)
		elog(ERROR, "dataeng's quarantine query must return (row jsonb, rules jsonb)");

	/* the rows, batch by batch, into the quarantine */
	while (SPI_processed > 0)
	{
		SPITupleTable *tt = SPI_tuptable;

		moved += quarantine_store_batch(tt, SPI_processed, tbl, run);
		SPI_freetuptable(tt);
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, QUARANTINE_BATCH);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	PG_RETURN_INT64(moved);
}

/* per column of a row type: how _quarantine_row writes it */
typedef struct QuarantineColumn
{
	bool		dropped;
	Oid			typid;			/* the column's type when set up */
	bool		as_text;		/* always its text form */
	bool		is_array;		/* its text form when its bounds are not 1 */
	FmgrInfo	to_jsonb;		/* to_jsonb() with a typed call */
	FmgrInfo	out;			/* its output function */
} QuarantineColumn;

typedef struct QuarantineRowCache
{
	Oid			typid;
	int32		typmod;
	int			natts;
	QuarantineColumn *cols;
} QuarantineRowCache;

/*
 * holds_json_array
 *		Whether values of type hold an array of json or jsonb: in one, or
 *		in a row type's column, or in an array's elements (at any depth).
 */
static bool
holds_json_array(Oid type, int depth)
{
	Oid			elem;

	if (depth > 10)
		return false;
	type = getBaseType(type);
	if (OidIsValid(elem = get_element_type(type)))
	{
		Oid			base = getBaseType(elem);

		return base == JSONOID || base == JSONBOID || holds_json_array(base, depth + 1);
	}
	return dataeng_row_type_any_column(type, depth, holds_json_array);
}

/*
 * holds_inner_array
 *		Whether values of type are, or hold in their elements, a row type
 *		one of whose columns (at any depth) is an array: a JSON array
 *		carries none of its lower bounds, and an array of a row's column
 *		has no value of its own to check them on.  ('[0:1]={1,2}' in a
 *		column of a row type came back as {1,2}.)
 */
static bool holds_inner_array(Oid type, int depth);

/* a column of a row type that is an array, or holds a row type's array */
static bool
column_holds_inner_array(Oid type, int depth)
{
	return OidIsValid(get_element_type(getBaseType(type))) ||
		holds_inner_array(type, depth);
}

static bool
holds_inner_array(Oid type, int depth)
{
	Oid			elem;

	if (depth > 10)
		return false;
	type = getBaseType(type);
	if (OidIsValid(elem = get_element_type(type)))
		return holds_inner_array(elem, depth + 1);
	return dataeng_row_type_any_column(type, depth, column_holds_inner_array);
}

PG_FUNCTION_INFO_V1(dataeng_quarantine_row);

/*
 * dataeng_internal._quarantine_row(r record) RETURNS jsonb
 *		A row as the quarantine keeps it (row_data, replaces): the object
 *		to_jsonb(r) gives, written under fixed settings, so that
 *		jsonb_populate_record() reads it back as the same values in any
 *		session.  Written in the session's, an interval under IntervalStyle
 *		sql_standard ('-1 2:00:00', minus one day and two hours) read back
 *		as minus one day plus two hours under postgres, a float under
 *		extra_float_digits 0 lost its last digits, and a range of dates
 *		under DateStyle 'SQL, DMY' swapped days and months under MDY.
 *		DateStyle ISO, IntervalStyle postgres, extra_float_digits 1 and
 *		bytea in hex are the forms every session reads alike (a
 *		timestamptz keeps the writer's offset, which says the instant).
 *
 *		Arrays that a JSON array does not carry are written as their text
 *		(a JSON string, which jsonb_populate_record reads with the array's
 *		input function): an array of json or jsonb (an element that is a
 *		JSON array was read as a dimension, and failed, 'null' came back
 *		as NULL, and the elements lost their formatting), one whose lower
 *		bounds are not 1 ([0:1]={1,2} came back as {1,2}), and a row type
 *		or array that holds such an array; and a row type (or an array of
 *		one) with an array among its columns, at any depth, whose bounds
 *		the JSON lost too.
 */
Datum
dataeng_quarantine_row(PG_FUNCTION_ARGS)
{
	HeapTupleHeader td = PG_GETARG_HEAPTUPLEHEADER(0);
	Oid			typid = HeapTupleHeaderGetTypeId(td);
	int32		typmod = HeapTupleHeaderGetTypMod(td);
	QuarantineRowCache *cache = (QuarantineRowCache *) fcinfo->flinfo->fn_extra;
	TupleDesc	desc = lookup_rowtype_tupdesc(typid, typmod);
	HeapTupleData tup;
	Datum	   *values;
	bool	   *nulls;
	int			save_style = DateStyle,
				save_order = DateOrder,
				save_interval = IntervalStyle,
				save_digits = extra_float_digits,
				save_bytea = bytea_output;
	Jsonb	   *volatile result = NULL;

	/*
	 * The set-up holds while the row type is the same: a table's row type
	 * keeps its oid through ALTER TABLE, which changes a column's type or
	 * drops it, and a call made again in the same expression (a PL/pgSQL
	 * loop, in one transaction) came with the table's new rows: the value
	 * of a column now text was written by the output function of its type
	 * before, int4 (a pointer read as a number), and the other way round
	 * read a number as a pointer, and the server crashed.
	 */
	if (cache != NULL && cache->typid == typid && cache->typmod == typmod &&
		cache->natts == desc->natts)
	{
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);

			if (att->attisdropped != cache->cols[i].dropped ||
				(!att->attisdropped && att->atttypid != cache->cols[i].typid))
			{
				cache = NULL;
				break;
			}
		}
	}
	else
		cache = NULL;
	if (cache == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (fcinfo->flinfo->fn_extra != NULL)
		{
			pfree(((QuarantineRowCache *) fcinfo->flinfo->fn_extra)->cols);
			pfree(fcinfo->flinfo->fn_extra);
			fcinfo->flinfo->fn_extra = NULL;
		}
		cache = palloc0(sizeof(QuarantineRowCache));
		cache->typid = typid;
		cache->typmod = typmod;
		cache->natts = desc->natts;
		cache->cols = palloc0(sizeof(QuarantineColumn) * Max(desc->natts, 1));
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);
			QuarantineColumn *col = &cache->cols[i];
			Oid			outfunc;
			bool		varlena;

			col->dropped = att->attisdropped;
			if (col->dropped)
				continue;
			col->typid = att->atttypid;
			col->as_text = holds_json_array(att->atttypid, 0) ||
				holds_inner_array(att->atttypid, 0);
			col->is_array = OidIsValid(get_element_type(getBaseType(att->atttypid)));
			/* to_jsonb(anyelement) learns its argument's type from its call */
			fmgr_info_cxt(F_TO_JSONB, &col->to_jsonb, fcinfo->flinfo->fn_mcxt);
			col->to_jsonb.fn_expr = (Node *) makeFuncExpr(F_TO_JSONB, JSONBOID,
														  list_make1(makeNullConst(att->atttypid,
																				   att->atttypmod,
																				   att->attcollation)),
														  InvalidOid, InvalidOid,
														  COERCE_EXPLICIT_CALL);
			getTypeOutputInfo(att->atttypid, &outfunc, &varlena);
			fmgr_info_cxt(outfunc, &col->out, fcinfo->flinfo->fn_mcxt);
		}
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = cache;
	}

	tup.t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = td;
	values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	nulls = palloc(sizeof(bool) * Max(desc->natts, 1));
	heap_deform_tuple(&tup, desc, values, nulls);

	DateStyle = USE_ISO_DATES;
	DateOrder = DATEORDER_YMD;
	IntervalStyle = INTSTYLE_POSTGRES;
	extra_float_digits = 1;
	bytea_output = BYTEA_OUTPUT_HEX;
	PG_TRY();
	{
		JsonbParseState *state = NULL;
		JsonbValue *last;

		(void) pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i);
			QuarantineColumn *col = &cache->cols[i];
			JsonbValue	key;
			JsonbValue	val;
			bool		as_text = col->as_text;

			if (col->dropped)
				continue;
			key.type = jbvString;
			key.val.string.val = NameStr(att->attname);
			key.val.string.len = strlen(NameStr(att->attname));
			(void) pushJsonbValue(&state, WJB_KEY, &key);
			if (nulls[i])
			{
				val.type = jbvNull;
				(void) pushJsonbValue(&state, WJB_VALUE, &val);
				continue;
			}
			if (!as_text && col->is_array)
			{
				ArrayType  *arr = DatumGetArrayTypeP(values[i]);

				for (int d = 0; d < ARR_NDIM(arr) && !as_text; d++)
					as_text = ARR_LBOUND(arr)[d] != 1;
			}
			if (as_text)
			{
				char	   *s = OutputFunctionCall(&col->out, values[i]);

				val.type = jbvString;
				val.val.string.val = s;
				val.val.string.len = strlen(s);
				(void) pushJsonbValue(&state, WJB_VALUE, &val);
			}
			else
			{
				Jsonb	   *j = DatumGetJsonbP(FunctionCall1(&col->to_jsonb, values[i]));

				if (JB_ROOT_IS_SCALAR(j))
				{
					if (!JsonbExtractScalar(&j->root, &val))
						elog(ERROR, "could not read a scalar jsonb");
				}
				else
				{
					val.type = jbvBinary;
					val.val.binary.data = &j->root;
					val.val.binary.len = VARSIZE(j) - VARHDRSZ;
				}
				(void) pushJsonbValue(&state, WJB_VALUE, &val);
			}
		}
		last = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
		result = JsonbValueToJsonb(last);
	}
	PG_FINALLY();
	{
		DateStyle = save_style;
		DateOrder = save_order;
		IntervalStyle = save_interval;
		extra_float_digits = save_digits;
		bytea_output = save_bytea;
	}
	PG_END_TRY();
	ReleaseTupleDesc(desc);
	PG_RETURN_JSONB_P(result);
}
