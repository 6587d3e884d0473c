/*-------------------------------------------------------------------------
 *
 * row_jsonb.c
 *		Turn heap tuples into jsonb objects, fast.
 *
 * The result is the same object to_jsonb(row) gives for the chosen columns:
 * numbers as JSON numbers, booleans as booleans, dates and timestamps in
 * ISO 8601, jsonb nested, everything else through to_jsonb() itself.  The
 * per-column decisions (type category, output function) are made once per
 * relation in a RowJsonbMap, so converting a row costs no catalog lookup.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/tuptable.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/jsonfuncs.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#include "common/common.h"

typedef enum RowJsonbKind
{
	RJ_BOOL,
	RJ_INT2,
	RJ_INT4,
	RJ_INT8,
	RJ_NUMERIC,
	RJ_TEXT,					/* text, varchar: the bytes as a string */
	RJ_DATETIME,				/* date, timestamp, timestamptz */
	RJ_JSONB,
	RJ_GENERIC					/* anything else: to_jsonb() */
} RowJsonbKind;

struct RowJsonbColumn
{
	AttrNumber	attnum;
	RowJsonbKind kind;
	Oid			typid;			/* base type, for RJ_DATETIME */
	char	   *name;
	int			namelen;
	FmgrInfo	to_jsonb;		/* RJ_GENERIC: to_jsonb with a typed call */
};

/*
 * jsonb_key_cmp
 *		jsonb's own order of object keys: shorter first, then bytewise.
 */
static int
jsonb_key_cmp(const void *a, const void *b)
{
	const RowJsonbColumn *ca = *(RowJsonbColumn *const *) a;
	const RowJsonbColumn *cb = *(RowJsonbColumn *const *) b;

	if (ca->namelen != cb->namelen)
		return (ca->namelen > cb->namelen) ? 1 : -1;
	return memcmp(ca->name, cb->name, ca->namelen);
}

/*
 * dataeng_row_jsonb_map_init
 *		Prepare the conversion of the columns of desc listed in attnums (all
 *		live columns when attnums is NULL).  Everything is allocated in cxt,
 *		which must live as long as the map.
 */
void
dataeng_row_jsonb_map_init(RowJsonbMap *map, TupleDesc desc, Bitmapset *attnums,
				   MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int			i;

	map->ncols = 0;
	map->cols = palloc0(sizeof(RowJsonbColumn) * Max(desc->natts, 1));

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		RowJsonbColumn *col;
		Oid			base;

		if (att->attisdropped)
			continue;
		if (attnums != NULL && !bms_is_member(att->attnum, attnums))
			continue;

		col = &map->cols[map->ncols++];
		col->attnum = att->attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->namelen = strlen(col->name);

		base = getBaseType(att->atttypid);
		col->typid = base;
		switch (base)
		{
			case BOOLOID:
				col->kind = RJ_BOOL;
				break;
			case INT2OID:
				col->kind = RJ_INT2;
				break;
			case INT4OID:
				col->kind = RJ_INT4;
				break;
			case INT8OID:
				col->kind = RJ_INT8;
				break;
			case NUMERICOID:
				col->kind = RJ_NUMERIC;
				break;
			case TEXTOID:
			case VARCHAROID:
				col->kind = RJ_TEXT;
				break;
			case DATEOID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
				col->kind = RJ_DATETIME;
				break;
			case JSONBOID:
				col->kind = RJ_JSONB;
				break;
			default:
				{
					/*
					 * to_jsonb(anyelement) learns its argument's type from
					 * the call expression, so give it one.
					 */
					FuncExpr   *call;

					col->kind = RJ_GENERIC;
					call = makeFuncExpr(F_TO_JSONB, JSONBOID,
										list_make1(makeNullConst(att->atttypid,
																 att->atttypmod,
																 att->attcollation)),
										InvalidOid, InvalidOid,
										COERCE_EXPLICIT_CALL);
					fmgr_info_cxt(F_TO_JSONB, &col->to_jsonb, cxt);
					col->to_jsonb.fn_expr = (Node *) call;
				}
				break;
		}
	}

	/*
	 * Rows of scalar columns are built as a ready-sorted jsonb object, with
	 * no parse state and no key sorting per row.
	 */
	map->sorted = palloc(sizeof(RowJsonbColumn *) * Max(map->ncols, 1));
	map->simple = true;
	for (i = 0; i < map->ncols; i++)
	{
		map->sorted[i] = &map->cols[i];
		if (map->cols[i].kind == RJ_JSONB || map->cols[i].kind == RJ_GENERIC)
			map->simple = false;
	}
	qsort(map->sorted, map->ncols, sizeof(RowJsonbColumn *), jsonb_key_cmp);
	MemoryContextSwitchTo(old);
}

/*
 * scalar_value
 *		The jsonb scalar of a non-null column of a simple kind.
 */
static void
scalar_value(JsonbValue *v, RowJsonbColumn *col, Datum value)
{
	Numeric		num;

	switch (col->kind)
	{
		case RJ_BOOL:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			return;
		case RJ_INT2:
			num = int64_to_numeric(DatumGetInt16(value));
			break;
		case RJ_INT4:
			num = int64_to_numeric(DatumGetInt32(value));
			break;
		case RJ_INT8:
			num = int64_to_numeric(DatumGetInt64(value));
			break;
		case RJ_NUMERIC:
			num = DatumGetNumeric(value);
			if (numeric_is_nan(num) || numeric_is_inf(num))
			{
				char	   *str = DatumGetCString(DirectFunctionCall1(numeric_out,
																	 NumericGetDatum(num)));

				v->type = jbvString;
				v->val.string.val = str;
				v->val.string.len = strlen(str);
				return;
			}
			break;
		case RJ_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				v->type = jbvString;
				v->val.string.val = VARDATA_ANY(t);
				v->val.string.len = VARSIZE_ANY_EXHDR(t);
			}
			return;
		case RJ_DATETIME:
			{
				char	   *str = JsonEncodeDateTime(NULL, value, col->typid, NULL);

				v->type = jbvString;
				v->val.string.val = str;
				v->val.string.len = strlen(str);
			}
			return;
		default:
			elog(ERROR, "unexpected column kind %d", (int) col->kind);
	}
	v->type = jbvNumeric;
	v->val.numeric = num;
}

/*
 * build_simple
 *		dataeng_row_jsonb_build() for maps of scalar columns: fill the object's
 *		pairs in jsonb key order and serialize them directly.
 */
static Jsonb *
build_simple(RowJsonbMap *map, TupleTableSlot *slot, Bitmapset *only)
{
	JsonbValue	obj;
	JsonbPair  *pairs = palloc(sizeof(JsonbPair) * Max(map->ncols, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < map->ncols; i++)
	{
		RowJsonbColumn *col = map->sorted[i];
		JsonbPair  *pair;
		bool		isnull;
		Datum		value;

		if (only != NULL && !bms_is_member(col->attnum, only))
			continue;
		value = slot->tts_values[col->attnum - 1];
		isnull = slot->tts_isnull[col->attnum - 1];
		pair = &pairs[n];
		pair->key.type = jbvString;
		pair->key.val.string.val = col->name;
		pair->key.val.string.len = col->namelen;
		pair->order = n;
		if (isnull)
			pair->value.type = jbvNull;
		else
			scalar_value(&pair->value, col, value);
		n++;
	}
	obj.type = jbvObject;
	obj.val.object.nPairs = n;
	obj.val.object.pairs = pairs;
	return JsonbValueToJsonb(&obj);
}

/*
 * push_string
 *		Append a string value (or key) to the object being built.
 */
static void
push_string(JsonbParseState **state, JsonbIteratorToken tok, char *s, int len)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = s;
	v.val.string.len = len;
	pushJsonbValue(state, tok, &v);
}

/*
 * push_jsonb
 *		Append a jsonb document as the value of the current key.
 */
static void
push_jsonb(JsonbParseState **state, Jsonb *jb)
{
	JsonbValue	v;

	if (JB_ROOT_IS_SCALAR(jb))
	{
		if (!JsonbExtractScalar(&jb->root, &v))
			elog(ERROR, "could not extract scalar value from jsonb");
	}
	else
	{
		v.type = jbvBinary;
		v.val.binary.data = &jb->root;
		v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	}
	pushJsonbValue(state, WJB_VALUE, &v);
}

/*
 * push_column
 *		Append "name": value for one non-null column.
 */
static void
push_column(JsonbParseState **state, RowJsonbColumn *col, Datum value)
{
	JsonbValue	v;

	push_string(state, WJB_KEY, col->name, col->namelen);
	if (col->kind == RJ_JSONB)
		push_jsonb(state, DatumGetJsonbP(value));
	else if (col->kind == RJ_GENERIC)
		push_jsonb(state, DatumGetJsonbP(FunctionCall1(&col->to_jsonb, value)));
	else
	{
		scalar_value(&v, col, value);
		pushJsonbValue(state, WJB_VALUE, &v);
	}
}

/*
 * dataeng_row_jsonb_build
 *		The jsonb object of a row's mapped columns (only those in `only`, by
 *		attnum, when it is not NULL).  NULL columns are kept as JSON null.
 *		The slot must be deformed (slot_getallattrs).  Allocates in the
 *		current memory context.
 */
Jsonb *
dataeng_row_jsonb_build(RowJsonbMap *map, TupleTableSlot *slot, Bitmapset *only)
{
	JsonbParseState *state = NULL;
	JsonbValue *res;
	int			i;

	if (map->simple)
		return build_simple(map, slot, only);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	for (i = 0; i < map->ncols; i++)
	{
		RowJsonbColumn *col = &map->cols[i];
		bool		isnull;
		Datum		value;

		if (only != NULL && !bms_is_member(col->attnum, only))
			continue;
		value = slot->tts_values[col->attnum - 1];
		isnull = slot->tts_isnull[col->attnum - 1];
		if (isnull)
		{
			JsonbValue	v;

			push_string(&state, WJB_KEY, col->name, col->namelen);
			v.type = jbvNull;
			pushJsonbValue(&state, WJB_VALUE, &v);
		}
		else
			push_column(&state, col, value);
	}
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/*
 * dataeng_row_jsonb_changed
 *		The attnums of the mapped columns whose value differs between two
 *		versions of a row (binary comparison, as logical replication does).
 */
Bitmapset *
dataeng_row_jsonb_changed(RowJsonbMap *map, TupleTableSlot *oldslot,
				  TupleTableSlot *newslot)
{
	TupleDesc	desc = oldslot->tts_tupleDescriptor;
	Bitmapset  *changed = NULL;
	int			i;

	for (i = 0; i < map->ncols; i++)
	{
		RowJsonbColumn *col = &map->cols[i];
		Form_pg_attribute att = TupleDescAttr(desc, col->attnum - 1);
		int			i0 = col->attnum - 1;
		bool		oldnull = oldslot->tts_isnull[i0];
		bool		newnull = newslot->tts_isnull[i0];
		Datum		oldval = oldslot->tts_values[i0];
		Datum		newval = newslot->tts_values[i0];

		if (oldnull != newnull ||
			(!oldnull && !datum_image_eq(oldval, newval, att->attbyval, att->attlen)))
			changed = bms_add_member(changed, col->attnum);
	}
	return changed;
}

/*
 * dataeng_row_type_any_column
 *		Whether a column of the row type "type" (not a dropped one)
 *		satisfies pred, called with the column's type and depth + 1; false
 *		for a type that is not a row type (or an anonymous record), or
 *		past 10 levels.  The walk of the type checks that look into the
 *		columns of composite values (validate/rules.c, quarantine.c).
 */
bool
dataeng_row_type_any_column(Oid type, int depth, bool (*pred) (Oid coltype, int depth))
{
	TupleDesc	desc;
	bool		found = false;

	if (depth > 10 || type == RECORDOID || !type_is_rowtype(type))
		return false;
	desc = lookup_rowtype_tupdesc_noerror(type, -1, true);
	if (desc == NULL)
		return false;
	for (int i = 0; i < desc->natts && !found; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped)
			found = pred(att->atttypid, depth + 1);
	}
	ReleaseTupleDesc(desc);
	return found;
}
