/*-------------------------------------------------------------------------
 *
 * images.c
 *		Reading a consumer's pending changes of one table as typed values,
 *		straight from the change log (the reader of fact tables).
 *
 * cdc_read_changes() polls a one-table consumer for everything committed
 * since its acknowledged position, up to a tick it cuts, and acknowledges
 * it in the caller's transaction: the body dataeng_internal._cdc_poll_txns(caller,
 * consumer, source), run as its owner on the caller's behalf like the
 * entry points of api.c, checks the consumer, cuts the tick, moves the
 * position and lists the transactions to read; their changes are then read,
 * as the caller again, through each change-log segment's (xid, change_id)
 * index and handed to a callback.  Order is not kept: a fact's delta does
 * not depend on it.
 *
 * cdc_image_value() gives a column of a row image as (image->>'col')::type
 * would in SQL, but read straight from the jsonb container with the type's
 * input function looked up once, numbers kept as numerics, and the ISO 8601
 * timestamps capture writes parsed without the general date/time parser.
 * A column read as jsonb receives the raw JSON value (for array and
 * composite columns, which SQL then rebuilds).  cdc_image_read() gives
 * several columns of an image as cdc_image_value() gives each, walking the
 * image's keys once against the columns sorted as jsonb sorts keys,
 * instead of a binary search per column.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "cdc/cdc.h"

/*
 * iso_digits
 *		The value of n decimal digits at s, or -1 if one is not a digit.
 */
static inline int
iso_digits(const char *s, int n)
{
	int			v = 0;

	while (n-- > 0)
	{
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	return v;
}

/*
 * iso_datetime
 *		Parse the ISO 8601 forms capture writes ("2025-03-04", and with
 *		"T12:34:56", an optional fraction of up to six digits and, for
 *		timestamptz, an offset "+01:00" or "+00:19:32") into a date
 *		(days since 2000-01-01) or a timestamp.  Returns false on anything
 *		else (BC, years past 9999, infinity, leap seconds): the caller then
 *		uses the type's input function, so the result never differs from
 *		it.
 */
static bool
iso_datetime(const char *s, int len, ImageKind kind, int64 *result)
{
	int			y,
				m,
				d,
				h,
				mi,
				sec;
	int64		fsec = 0;
	int			pos;
	int64		days;

	if (len < 10 || s[4] != '-' || s[7] != '-')
		return false;
	y = iso_digits(s, 4);
	m = iso_digits(s + 5, 2);
	d = iso_digits(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > day_tab[isleap(y)][m - 1])
		return false;
	days = date2j(y, m, d) - POSTGRES_EPOCH_JDATE;
	if (kind == IK_DATE)
	{
		if (len != 10)
			return false;
		*result = days;
		return true;
	}
	if (len < 19 || s[10] != 'T' || s[13] != ':' || s[16] != ':')
		return false;
	h = iso_digits(s + 11, 2);
	mi = iso_digits(s + 14, 2);
	sec = iso_digits(s + 17, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return false;
	pos = 19;
	if (pos < len && s[pos] == '.')
	{
		int			ndig = 0;

		pos++;
		while (pos < len && s[pos] >= '0' && s[pos] <= '9')
		{
			if (++ndig > 6)
				return false;
			fsec = fsec * 10 + (s[pos++] - '0');
		}
		if (ndig == 0)
			return false;
		while (ndig++ < 6)
			fsec *= 10;
	}
	*result = days * USECS_PER_DAY +
		(((int64) h * MINS_PER_HOUR + mi) * SECS_PER_MINUTE + sec) * USECS_PER_SEC + fsec;
	if (kind == IK_TIMESTAMPTZ)
	{
		int			sign,
					oh,
					om = 0,
					os = 0;

		if (pos + 3 > len || (s[pos] != '+' && s[pos] != '-'))
			return false;
		sign = s[pos] == '+' ? 1 : -1;
		oh = iso_digits(s + pos + 1, 2);
		pos += 3;
		if (pos < len)
		{
			if (pos + 3 > len || s[pos] != ':')
				return false;
			om = iso_digits(s + pos + 1, 2);
			pos += 3;
		}
		if (pos < len)
		{
			if (pos + 3 > len || s[pos] != ':')
				return false;
			os = iso_digits(s + pos + 1, 2);
			pos += 3;
		}
		if (oh < 0 || oh > 15 || om < 0 || om > 59 || os < 0 || os > 59)
			return false;
		*result -= sign * (((int64) oh * MINS_PER_HOUR + om) * SECS_PER_MINUTE + os) * USECS_PER_SEC;
	}
	return pos == len;
}

/*
 * cdc_image_column_init
 *		How to read column name of a row image as type typid (typmod).
 *		IK_PRESENCE (typid InvalidOid) tells only whether there is a value.
 */
void
cdc_image_column_init(ImageColumn *col, const char *name, Oid typid, int32 typmod,
				  MemoryContext cxt)
{
	Oid			infunc;

	/*
	 * A domain's value is read as its base type's (the same datum): it was
	 * checked when written, and a constraint its owner adds since (ALTER
	 * DOMAIN ... ADD CONSTRAINT, which checks the rows of the tables, not
	 * the images of changes pending, such as a DELETE's) made every later
	 * refresh of the facts and dimensions of a source with a column of the
	 * domain fail on that image ("violates check constraint"), until
	 * their owners rebuilt them (sql_tests/security_type_rename.sql).
	 */
	if (OidIsValid(typid))
		typid = getBaseTypeAndTypmod(typid, &typmod);
	col->name = MemoryContextStrdup(cxt, name);
	col->namelen = strlen(name);
	col->typid = typid;
	col->typmod = typmod;
	switch (typid)
	{
		case InvalidOid:
			col->kind = IK_PRESENCE;
			return;
		case TEXTOID:
			col->kind = IK_TEXT;
			break;
		case NUMERICOID:
			col->kind = IK_NUMERIC;
			break;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			col->kind = IK_INTEGER;
			break;
		case TIMESTAMPTZOID:
			col->kind = typmod < 0 ? IK_TIMESTAMPTZ : IK_INPUT;
			break;
		case TIMESTAMPOID:
			col->kind = typmod < 0 ? IK_TIMESTAMP : IK_INPUT;
			break;
		case DATEOID:
			col->kind = IK_DATE;
			break;
		case JSONBOID:
			col->kind = IK_JSONB;
			break;
		default:
			col->kind = IK_INPUT;
	}
	getTypeInputInfo(typid, &infunc, &col->ioparam);
	fmgr_info_cxt(infunc, &col->input, cxt);
}

/*
 * numeric_is_integral
 *		Whether a JSON number (finite, as jsonb holds no NaN or infinity)
 *		is written without a fraction.
 */
static bool
numeric_is_integral(Numeric n)
{
	return DatumGetInt32(DirectFunctionCall1(numeric_scale, NumericGetDatum(n))) == 0;
}

/*
 * numeric_small_integer
 *		A JSON number written without a fraction (display scale 0) as an
 *		int64, read from its digits (dataeng_numeric_scaled()); false for
 *		any other, which the caller converts through numeric's own
 *		functions.
 */
static bool
numeric_small_integer(Numeric n, int64 *out)
{
	int128		u;
	int			scale;

	if (!dataeng_numeric_scaled(NumericGetDatum(n), &u, &scale) || scale != 0 ||
		u < PG_INT64_MIN || u > PG_INT64_MAX)
		return false;
	*out = (int64) u;
	return true;
}

/*
 * image_convert
 *		Column col's value v (not jbvNull) as col's type.
 */
static Datum
image_convert(ImageColumn *col, JsonbValue *v)
{
	char	   *str;

	if (col->kind == IK_JSONB)
	{
		if (v->type == jbvBinary)
		{
			/* a nested object or array: a jsonb of its own */
			Jsonb	   *out = palloc(VARHDRSZ + v->val.binary.len);

			SET_VARSIZE(out, VARHDRSZ + v->val.binary.len);
			memcpy(&out->root, v->val.binary.data, v->val.binary.len);
			return JsonbPGetDatum(out);
		}
		return JsonbPGetDatum(JsonbValueToJsonb(v));
	}

	switch (v->type)
	{
		case jbvString:
			if (col->kind == IK_TEXT)
				return PointerGetDatum(cstring_to_text_with_len(v->val.string.val,
																v->val.string.len));
			if (col->kind == IK_TIMESTAMPTZ || col->kind == IK_TIMESTAMP ||
				col->kind == IK_DATE)
			{
				int64		r;

				if (iso_datetime(v->val.string.val, v->val.string.len, col->kind, &r))
					return col->kind == IK_DATE ? DateADTGetDatum((DateADT) r) : Int64GetDatum(r);
			}
			str = pnstrdup(v->val.string.val, v->val.string.len);
			break;
		case jbvNumeric:
			if (col->kind == IK_NUMERIC)
			{
				Datum		n = NumericGetDatum(v->val.numeric);

				/*
				 * What numeric_in does with a typmod; a value captured from a
				 * column of that typmod already has its scale.
				 */
				if (col->typmod < (int32) VARHDRSZ ||
					DatumGetInt32(DirectFunctionCall1(numeric_scale, n)) ==
					((col->typmod - VARHDRSZ) & 0xffff))
					return n;
				return DirectFunctionCall2(numeric, n, Int32GetDatum(col->typmod));
			}
			if (col->kind == IK_INTEGER)
			{
				int64		x;

				/* most integers: read as they are (in range, else below) */
				if (numeric_small_integer(v->val.numeric, &x) &&
					(col->typid == INT8OID ||
					 (col->typid == INT4OID && x >= PG_INT32_MIN && x <= PG_INT32_MAX) ||
					 (col->typid == INT2OID && x >= PG_INT16_MIN && x <= PG_INT16_MAX)))
					return col->typid == INT2OID ? Int16GetDatum((int16) x) :
						col->typid == INT4OID ? Int32GetDatum((int32) x) : Int64GetDatum(x);
			}
			if (col->kind == IK_INTEGER && numeric_is_integral(v->val.numeric))
			{
				/* an integer column's value: the conversion checks the range */
				Datum		n = NumericGetDatum(v->val.numeric);

				return col->typid == INT2OID ? DirectFunctionCall1(numeric_int2, n) :
					col->typid == INT4OID ? DirectFunctionCall1(numeric_int4, n) :
					DirectFunctionCall1(numeric_int8, n);
			}
			str = DatumGetCString(DirectFunctionCall1(numeric_out,
													  NumericGetDatum(v->val.numeric)));
			break;
		case jbvBool:
			str = v->val.boolean ? "true" : "false";
			break;
		default:
			/* what ->> gives for a nested value: its JSON text */
			str = JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
			break;
	}
	return InputFunctionCall(&col->input, str, col->ioparam, col->typmod);
}

/*
 * cdc_log_xid_index
 *		The index on (xid, change_id) of a change-log segment.
 */
Oid
cdc_log_xid_index(Relation rel)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			found = InvalidOid;

	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		Form_pg_index form = index->rd_index;

		if (index->rd_rel->relam == BTREE_AM_OID && form->indnkeyatts >= 2 &&
			form->indkey.values[0] == CL_XID + 1 &&
			form->indkey.values[1] == CL_CHANGE_ID + 1 &&
			RelationGetIndexExpressions(index) == NIL &&
			RelationGetIndexPredicate(index) == NIL)
			found = lfirst_oid(lc);
		index_close(index, AccessShareLock);
		if (OidIsValid(found))
			break;
	}
	list_free(indexes);
	if (!OidIsValid(found))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index on (xid, change_id) of \"%s\" is missing", RelationGetRelationName(rel)),
				 errhint("Reinstall the extension.")));
	return found;
}


/*
 * cdc_image_value
 *		The value of column col in row image img: NULL when the image has no
 *		such key or holds JSON null there.
 */
Datum
cdc_image_value(ImageColumn *col, Jsonb *img, bool *isnull)
{
	JsonbValue	vbuf;
	JsonbValue *v = getKeyJsonValueFromContainer(&img->root, col->name, col->namelen, &vbuf);

	*isnull = (v == NULL || v->type == jbvNull);
	if (*isnull || col->kind == IK_PRESENCE)
		return (Datum) 0;
	return image_convert(col, v);
}

/*
 * jsonb's order of object keys: shorter first, then by their bytes (as
 * memcmp, which costs more than the few bytes of a column name)
 */
static inline int
image_key_cmp(const char *a, int alen, const char *b, int blen)
{
	int			i;

	if (alen != blen)
		return alen < blen ? -1 : 1;
	for (i = 0; i < alen; i++)
		if (a[i] != b[i])
			return (unsigned char) a[i] < (unsigned char) b[i] ? -1 : 1;
	return 0;
}

/* qsort_arg comparator of indexes into an array of ImageColumn pointers */
static int
image_column_cmp(const void *a, const void *b, void *arg)
{
	ImageColumn **cols = (ImageColumn **) arg;
	const ImageColumn *ca = cols[*(const int *) a];
	const ImageColumn *cb = cols[*(const int *) b];

	return image_key_cmp(ca->name, ca->namelen, cb->name, cb->namelen);
}

/*
 * cdc_image_reader_init
 *		A reader of columns cols (ncols of them, kept by pointer) of row
 *		images, in memory context cxt.
 */
void
cdc_image_reader_init(ImageReader *r, ImageColumn **cols, int ncols, MemoryContext cxt)
{
	int			i;

	r->ncols = ncols;
	r->cols = MemoryContextAlloc(cxt, sizeof(ImageColumn *) * Max(ncols, 1));
	r->sorted = MemoryContextAlloc(cxt, sizeof(int) * Max(ncols, 1));
	r->found_key = MemoryContextAlloc(cxt, sizeof(int) * Max(ncols, 1));
	r->found_col = MemoryContextAlloc(cxt, sizeof(int) * Max(ncols, 1));
	memcpy(r->cols, cols, sizeof(ImageColumn *) * ncols);
	for (i = 0; i < ncols; i++)
		r->sorted[i] = i;
	qsort_arg(r->sorted, ncols, sizeof(int), image_column_cmp, r->cols);
}

/*
 * cdc_image_read
 *		The values of the reader's columns in row image img, as
 *		cdc_image_value() gives each (values[i], isnull[i] for column i),
 *		and whether the image has no key at all for it (missing[i]).  The
 *		object is walked once, its keys matched against the columns in
 *		jsonb's order of keys, rather than searched once per column.
 */
void
cdc_image_read(ImageReader *r, Jsonb *img, Datum *values, bool *isnull, bool *missing)
{
	JsonbContainer *jc = &img->root;
	uint32		count;
	char	   *base;
	uint32		off = 0;
	uint32		i;
	int			j = 0;
	int			nfound = 0;
	int			k;

	for (k = 0; k < r->ncols; k++)
	{
		values[k] = (Datum) 0;
		isnull[k] = true;
		missing[k] = true;
	}
	if (!JsonContainerIsObject(jc))
		return;
	count = JsonContainerSize(jc);
	base = (char *) &jc->children[count * 2];

	/*
	 * The keys (strings, in that order), against the columns in the same
	 * order: the keys found, ascending (a column read twice is found
	 * twice).
	 */
	for (i = 0; i < count && j < r->ncols; i++)
	{
		uint32		start = off;
		int			c;

		JBE_ADVANCE_OFFSET(off, jc->children[i]);
		while (j < r->ncols &&
			   (c = image_key_cmp(r->cols[r->sorted[j]]->name, r->cols[r->sorted[j]]->namelen,
								  base + start, off - start)) <= 0)
		{
			if (c == 0)
			{
				missing[r->sorted[j]] = false;
				r->found_key[nfound] = (int) i;
				r->found_col[nfound++] = r->sorted[j];
			}
			j++;
		}
	}
	if (nfound == 0)
		return;
	/* the rest of the keys, to where the values start */
	for (; i < count; i++)
		JBE_ADVANCE_OFFSET(off, jc->children[i]);

	/* the values of the keys found (as getKeyJsonValueFromContainer) */
	for (i = 0, k = 0; i < count && k < nfound; i++)
	{
		uint32		start = off;
		JEntry		e = jc->children[count + i];
		JsonbValue	v;

		JBE_ADVANCE_OFFSET(off, e);
		if ((int) i != r->found_key[k])
			continue;
		if (JBE_ISSTRING(e))
		{
			v.type = jbvString;
			v.val.string.val = base + start;
			v.val.string.len = off - start;
		}
		else if (JBE_ISNUMERIC(e))
		{
			v.type = jbvNumeric;
			v.val.numeric = (Numeric) (base + INTALIGN(start));
		}
		else if (JBE_ISBOOL_TRUE(e) || JBE_ISBOOL_FALSE(e))
		{
			v.type = jbvBool;
			v.val.boolean = JBE_ISBOOL_TRUE(e);
		}
		else if (JBE_ISCONTAINER(e))
		{
			v.type = jbvBinary;
			v.val.binary.data = (JsonbContainer *) (base + INTALIGN(start));
			v.val.binary.len = (off - start) - (INTALIGN(start) - start);
		}
		else
			v.type = jbvNull;
		for (; k < nfound && r->found_key[k] == (int) i; k++)
		{
			int			col = r->found_col[k];

			if (v.type == jbvNull)
				continue;
			isnull[col] = false;
			if (r->cols[col]->kind != IK_PRESENCE)
				values[col] = image_convert(r->cols[col], &v);
		}
	}
}

/*
 * poll_txns_plan
 *		The statement cdc_read_changes() runs to cut the batch, planned once
 *		a session (for each schema of the internals): it runs at every
 *		refresh of a fact or dimension, where parsing and planning it again
 *		cost as much as running it.  The plan cache plans it again when
 *		what it names changes (the extension dropped and created again).
 *		Called inside SPI.
 */
static SPIPlanPtr
poll_txns_plan(Oid *argtypes)
{
	static SPIPlanPtr plan = NULL;
	static char *plan_sql = NULL;
	const char *sql = dataeng_internal_sql("SELECT tick_ids, ord_txns, xids, from_changes "
										   "FROM dataeng_internal._cdc_poll_txns($1, $2, $3)");

	if (plan != NULL && strcmp(plan_sql, sql) == 0)
		return plan;
	if (plan != NULL)
	{
		SPI_freeplan(plan);
		plan = NULL;
		pfree(plan_sql);
	}
	{
		SPIPlanPtr	p = SPI_prepare(sql, 3, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		plan_sql = MemoryContextStrdup(TopMemoryContext, sql);
		plan = p;
	}
	return plan;
}

/*
 * cdc_read_changes
 *		Poll consumer (of table source alone) for every change committed
 *		since its acknowledged position, acknowledge them in the current
 *		transaction, and call cb with each change of source (a slot holding
 *		a dataeng_internal.change_log row), in no particular order.  The consumer's
 *		checks are those of cdc_poll, for the current user.
 */
void
cdc_read_changes(text *consumer, Oid source, ChangeCallback cb, void *arg)
{
	Oid			caller = GetUserId();
	Oid			save_userid;
	int			save_sec_context;
	Datum	   *arrays[4];
	int			ntxns = 0;
	int			i;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	{
		Oid			argtypes[3] = {REGROLEOID, TEXTOID, REGCLASSOID};
		Oid			owner;

		(void) dataeng_entry_body_lookup("_cdc_poll_txns", 3, argtypes, &owner);
		SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	}
	SPI_connect();
	{
		Oid			argtypes[3] = {REGROLEOID, TEXTOID, REGCLASSOID};
		Datum		args[3] = {ObjectIdGetDatum(caller), PointerGetDatum(consumer),
		ObjectIdGetDatum(source)};

		if (SPI_execute_plan(poll_txns_plan(argtypes), args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not poll consumer \"%s\"", text_to_cstring(consumer));
	}
	if (SPI_processed == 1)
	{
		static const Oid elemtypes[4] = {INT8OID, INT8OID, XID8OID, INT8OID};

		for (i = 0; i < 4; i++)
		{
			bool		isnull;
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										  i + 1, &isnull);
			int16		typlen;
			bool		typbyval;
			char		typalign;

			if (isnull)
			{
				ntxns = 0;
				break;
			}
			get_typlenbyvalalign(elemtypes[i], &typlen, &typbyval, &typalign);
			deconstruct_array(DatumGetArrayTypeP(d), elemtypes[i], typlen, typbyval, typalign,
							  &arrays[i], NULL, &ntxns);
		}
	}

	/*
	 * The rest runs as the caller again: reading the log needs no rights,
	 * and the callback may run the caller's code (a domain's check, a
	 * type's input function), which must not run as the body's owner.
	 * Read with a snapshot taken now, after the body cut the batch: every
	 * transaction in it committed before.
	 */
	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (ntxns > 0)
	{
		Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
		int			seg;

		for (seg = 0; seg < CHANGE_LOG_SEGMENTS; seg++)
		{
			Relation	rel = table_open(cdc_log_segment(seg), AccessShareLock);
			Relation	index;
			TupleTableSlot *slot;
			IndexScanDesc scan;
			int			k;

			cdc_check_log_layout(rel);
			index = index_open(cdc_log_xid_index(rel), AccessShareLock);
			slot = table_slot_create(rel, NULL);
			scan = index_beginscan(rel, index, snapshot, 2, 0);

			for (k = 0; k < ntxns; k++)
			{
				ScanKeyData keys[2];

				/* arrays: tick_ids, ord_txns, xids, from_changes */
				ScanKeyInit(&keys[0], 1, BTEqualStrategyNumber, F_XID8EQ, arrays[2][k]);
				ScanKeyInit(&keys[1], 2, BTGreaterStrategyNumber, F_INT8GT, arrays[3][k]);
				index_rescan(scan, keys, 2, NULL, 0);
				while (index_getnext_slot(scan, ForwardScanDirection, slot))
				{
					bool		isnull;

					CHECK_FOR_INTERRUPTS();
					if (DatumGetObjectId(slot_getattr(slot, CL_TABLE_OID + 1, &isnull)) == source)
						cb(slot, arg);
				}
			}
			index_endscan(scan);
			ExecDropSingleTupleTableSlot(slot);
			index_close(index, AccessShareLock);
			table_close(rel, AccessShareLock);
		}
		UnregisterSnapshot(snapshot);
	}
	SPI_finish();
}
