/*-------------------------------------------------------------------------
 *
 * decoder_values.c
 *		Column values as JSON, written straight into the output plugin's
 *		buffer (ctx->out) for the `dataeng` output plugin (decoder.c).
 *
 * The writer is the plugin's hot path, so it avoids what makes other JSON
 * plugins slow: integers and booleans are formatted in place without their
 * output functions, text is escaped straight from the datum (no output
 * function, no copy) by a table-driven escaper that copies runs of plain
 * bytes, and column names are escaped once per relation (decoder_rels.c).
 * Types without a fast path go through their output function and the same
 * escaper.
 *
 * Typing: smallint, integer, bigint, oid, real, double precision and
 * numeric are JSON numbers, except NaN and the infinities, which are
 * strings ("NaN", "Infinity", "-Infinity"); floats are the shortest decimal
 * that reads back exactly; boolean is true/false; SQL NULL is null;
 * everything else is a string.  Nothing depends on the reading session's
 * settings: floats and bytea are formatted here, and decoder.c pins the
 * settings other output functions read (DateStyle, TimeZone, ...).  Dates
 * and timestamps are ISO 8601, timestamptz in UTC with a "Z".  In
 * format=debezium, as Debezium's PostgreSQL connector does by default,
 * date is days since 1970-01-01, timestamp microseconds since 1970-01-01
 * (io.debezium.time.Date, MicroTimestamp; milliseconds up to precision 3),
 * bytea base64, and write_debezium_special() covers time, timetz,
 * interval, bit(1) and one-dimensional arrays.
 *
 * No value can make a record pass max_record_size (decoder_write_value
 * returns false instead: the caller reports the column as omitted).
 *
 * A value that is TOASTed on disk and that an UPDATE did not change is not
 * in the WAL: decoder_is_unchanged() tells the caller, who reports the
 * column as unchanged instead of writing it (never a pointer as data).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "common/int.h"
#include "common/shortest_dec.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/timestamp.h"
#include "utils/varbit.h"

#include "cdc/decoder.h"

/*
 * For each byte: 0 when it stands for itself in a JSON string, else the
 * letter of its two-character escape, or 'u' for \u00XX.
 */
static const char escapes[256] = {
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
	'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',
	0, 0, '"', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '\\', 0, 0, 0,
	/* 0x60 and above: all zero */
};

static const char hexdigits[] = "0123456789abcdef";

/* The largest record a value may grow (the max_record_size option) */
static Size decoder_max_record = DECODER_MAX_RECORD_SIZE;

void
decoder_set_max_record(Size max)
{
	decoder_max_record = max;
}

/* The length of s[0..len) as a quoted JSON string */
static Size
escaped_len(const char *s, Size len)
{
	const unsigned char *p = (const unsigned char *) s;
	Size		n = len + 2;
	Size		i;

	for (i = 0; i < len; i++)
	{
		char		e = escapes[p[i]];

		if (e != 0)
			n += (e == 'u') ? 5 : 1;
	}
	return n;
}

/*
 * fits
 *		Whether appending need more bytes keeps out within the largest
 *		record.  Checked before the values that can be big are formatted: a
 *		StringInfo cannot pass 1 GB, and an error there would stop the slot
 *		at that change for good.
 */
static inline bool
fits(StringInfo out, Size need)
{
	return (Size) out->len <= decoder_max_record &&
		need <= decoder_max_record - (Size) out->len;
}

/* a string of len bytes fits once escaped: the worst case, else exactly */
static bool
fits_escaped(StringInfo out, const char *s, Size len)
{
	if (len < MaxAllocSize / 6 && fits(out, 6 * len + 2))
		return true;
	return fits(out, escaped_len(s, len));
}

/*
 * decoder_escape
 *		Append s[0..len) as a quoted JSON string.
 *
 * Room for the plain case (len + 2) is reserved once; each escape
 * reserves what it adds.  The bytes are taken as they are (the database
 * encoding, which the plugin's text output is in anyway).
 */
void
decoder_escape(StringInfo out, const char *s, int len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;
	char	   *d;

	enlargeStringInfo(out, len + 2);
	d = out->data + out->len;
	*d++ = '"';
	while (p < end)
	{
		unsigned char c = *p;
		char		e = escapes[c];

		if (likely(e == 0))
		{
			*d++ = (char) c;
			p++;
			continue;
		}
		/* at most 6 bytes for this one, then the rest and the quote */
		out->len = d - out->data;
		enlargeStringInfo(out, 6 + (end - p) + 1);
		d = out->data + out->len;
		*d++ = '\\';
		if (e == 'u')
		{
			*d++ = 'u';
			*d++ = '0';
			*d++ = '0';
			*d++ = hexdigits[c >> 4];
			*d++ = hexdigits[c & 0xf];
		}
		else
			*d++ = e;
		p++;
	}
	*d++ = '"';
	out->len = d - out->data;
	out->data[out->len] = '\0';
}

/*
 * decoder_is_unchanged
 *		Whether value is an unchanged TOASTed value that the WAL does not
 *		carry (an on-disk TOAST pointer left in a decoded tuple).
 */
bool
decoder_is_unchanged(DecoderAtt *att, Datum value, bool isnull)
{
	return !isnull && att->typlen == -1 &&
		VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(value));
}

/* Append a number formatted by the caller into reserved room */
static inline void
write_int64(StringInfo out, int64 v)
{
	enlargeStringInfo(out, MAXINT8LEN + 1);
	out->len += pg_lltoa(v, out->data + out->len);
}

/*
 * write_numeric_text
 *		Append the output of a float or numeric output function: a JSON
 *		number unless it is NaN or an infinity, then a string.
 */
static void
write_numeric_text(StringInfo out, const char *s)
{
	if (s[0] == 'N' || s[0] == 'I' || (s[0] == '-' && s[1] == 'I'))
		decoder_escape(out, s, strlen(s));
	else
		appendStringInfoString(out, s);
}

/*
 * write_float
 *		Append a real or double precision value: the shortest decimal that
 *		reads back as the same value (as float4out / float8out with
 *		extra_float_digits > 0, but whatever that setting is in the session
 *		that reads the slot), or a string for NaN and the infinities.
 */
static void
write_float(StringInfo out, Oid typid, Datum value)
{
	double		v = typid == FLOAT4OID ? (double) DatumGetFloat4(value) : DatumGetFloat8(value);

	if (isnan(v))
		appendBinaryStringInfo(out, "\"NaN\"", 5);
	else if (isinf(v))
		appendStringInfoString(out, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
	else
	{
		enlargeStringInfo(out, DOUBLE_SHORTEST_DECIMAL_LEN + 1);
		if (typid == FLOAT4OID)
			out->len += float_to_shortest_decimal_bufn(DatumGetFloat4(value), out->data + out->len);
		else
			out->len += double_to_shortest_decimal_bufn(v, out->data + out->len);
		out->data[out->len] = '\0';
	}
}

/*
 * write_bytea_hex
 *		Append a bytea value as PostgreSQL's hex format ("\\x00ff" in JSON),
 *		whatever bytea_output is in the session that reads the slot.
 */
static void
write_bytea_hex(StringInfo out, Datum value)
{
	bytea	   *b = DatumGetByteaPP(value);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(b);
	int			n = VARSIZE_ANY_EXHDR(b);
	char	   *d;
	int			i;

	enlargeStringInfo(out, 2 * n + 5);
	d = out->data + out->len;
	*d++ = '"';
	*d++ = '\\';
	*d++ = '\\';
	*d++ = 'x';
	for (i = 0; i < n; i++)
	{
		*d++ = hexdigits[p[i] >> 4];
		*d++ = hexdigits[p[i] & 0xf];
	}
	*d++ = '"';
	out->len = d - out->data;
	out->data[out->len] = '\0';
}

/* Append n as exactly width decimal digits */
static inline char *
put_digits(char *d, int n, int width)
{
	int			i;

	for (i = width - 1; i >= 0; i--)
	{
		d[i] = '0' + n % 10;
		n /= 10;
	}
	return d + width;
}

/*
 * Append the microseconds fsec of a time as PostgreSQL writes them: nothing
 * when 0, else a point and the digits without trailing zeros.
 */
static inline char *
put_fraction(char *d, int fsec)
{
	int			digits = 6;

	if (fsec == 0)
		return d;
	while (fsec % 10 == 0)
	{
		fsec /= 10;
		digits--;
	}
	*d++ = '.';
	return put_digits(d, fsec, digits);
}

/*
 * write_iso
 *		Append a timestamp as an ISO 8601 string, "Z" after it when it is a
 *		timestamptz (in UTC): formatted by hand for years 1 to 9999, else
 *		(and for infinities) by JsonEncodeDateTime.
 */
static void
write_iso(StringInfo out, Timestamp ts, bool utc)
{
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *d;

	if (!TIMESTAMP_NOT_FINITE(ts) &&
		timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) == 0 &&
		tm.tm_year >= 1 && tm.tm_year <= 9999)
	{
		enlargeStringInfo(out, 32);
		d = out->data + out->len;
		*d++ = '"';
		d = put_digits(d, tm.tm_year, 4);
		*d++ = '-';
		d = put_digits(d, tm.tm_mon, 2);
		*d++ = '-';
		d = put_digits(d, tm.tm_mday, 2);
		*d++ = 'T';
		d = put_digits(d, tm.tm_hour, 2);
		*d++ = ':';
		d = put_digits(d, tm.tm_min, 2);
		*d++ = ':';
		d = put_digits(d, tm.tm_sec, 2);
		d = put_fraction(d, fsec);
		if (utc)
			*d++ = 'Z';
		*d++ = '"';
		out->len = d - out->data;
		out->data[out->len] = '\0';
		return;
	}
	else
	{
		char		buf[MAXDATELEN + 1];
		const int	zero = 0;
		int			len;

		JsonEncodeDateTime(buf, TimestampGetDatum(ts), utc ? TIMESTAMPTZOID : TIMESTAMPOID,
						   utc ? &zero : NULL);
		len = strlen(buf);
		if (utc)
		{
			/* "+00:00" is "Z", also before the " BC" of years before 1 */
			char	   *tz = strstr(buf, "+00:00");

			if (tz != NULL)
			{
				*tz = 'Z';
				memmove(tz + 1, tz + 6, strlen(tz + 6) + 1);
				len -= 5;
			}
		}
		decoder_escape(out, buf, len);
	}
}

/*
 * decoder_write_iso_timestamptz
 *		Append ts as an ISO 8601 string in UTC ("2026-01-01T00:00:00Z").
 */
void
decoder_write_iso_timestamptz(StringInfo out, TimestampTz ts)
{
	write_iso(out, ts, true);
}

/*
 * decoder_write_lsn
 *		Append an LSN as a string in PostgreSQL's notation ("0/16B3748").
 */
void
decoder_write_lsn(StringInfo out, XLogRecPtr lsn)
{
	char		buf[20];
	char	   *d;
	int			half;

	enlargeStringInfo(out, 20);
	d = out->data + out->len;
	*d++ = '"';
	for (half = 1; half >= 0; half--)
	{
		uint32		v = (uint32) (lsn >> (32 * half));
		int			n = 0;

		do
		{
			buf[n++] = "0123456789ABCDEF"[v & 0xf];
			v >>= 4;
		} while (v != 0);
		while (n > 0)
			*d++ = buf[--n];
		if (half == 1)
			*d++ = '/';
	}
	*d++ = '"';
	out->len = d - out->data;
	out->data[out->len] = '\0';
}

/* Append a string made by the type's output function, if it fits */
static bool
write_output(StringInfo out, DecoderAtt *att, Datum value)
{
	char	   *s = OutputFunctionCall(&att->out, value);
	Size		len = strlen(s);

	if (!fits_escaped(out, s, len))
		return false;
	decoder_escape(out, s, len);
	return true;
}

/*
 * write_debezium_special
 *		Debezium's representation of the types its PostgreSQL connector maps
 *		to something else than their text (defaults: time.precision.mode
 *		adaptive, interval.handling.mode numeric): time(0-3) milliseconds
 *		and time(4-6) microseconds since midnight, timetz an ISO 8601 time
 *		in UTC, interval approximate microseconds (a month is 365.25 / 12
 *		days), bit(1) a boolean, a one-dimensional array a JSON array of its
 *		elements.  Returns false when the value has no such form (the caller
 *		writes the text): an overflow, a multi-dimensional array, bit(n > 1).
 */
static bool
write_debezium_special(StringInfo out, DecoderAtt *att, Datum value)
{
	switch (att->kind)
	{
		case DK_TIME:
			{
				TimeADT		t = DatumGetTimeADT(value);

				if (att->typmod >= 0 && att->typmod <= 3)
					write_int64(out, t / 1000);
				else
					write_int64(out, t);
				return true;
			}
		case DK_TIMETZ:
			{
				TimeTzADT  *t = DatumGetTimeTzADTP(value);
				int64		utc = t->time + (int64) t->zone * USECS_PER_SEC;
				int64		secs;
				int			fsec;
				char		buf[32];
				char	   *d = buf;

				utc %= USECS_PER_DAY;
				if (utc < 0)
					utc += USECS_PER_DAY;
				secs = utc / USECS_PER_SEC;
				fsec = (int) (utc % USECS_PER_SEC);
				d = put_digits(d, (int) (secs / 3600), 2);
				*d++ = ':';
				d = put_digits(d, (int) (secs / 60 % 60), 2);
				*d++ = ':';
				d = put_digits(d, (int) (secs % 60), 2);
				d = put_fraction(d, fsec);
				*d++ = 'Z';
				decoder_escape(out, buf, d - buf);
				return true;
			}
		case DK_INTERVAL:
			{
				Interval   *iv = DatumGetIntervalP(value);
				int64		us;
				int64		part;

				/* 365.25 / 12 days of 86400 s: 2629800 s a month, exactly */
				if (pg_mul_s64_overflow((int64) iv->month, INT64CONST(2629800000000), &us) ||
					pg_mul_s64_overflow((int64) iv->day, USECS_PER_DAY, &part) ||
					pg_add_s64_overflow(us, part, &us) ||
					pg_add_s64_overflow(us, iv->time, &us))
					return false;
				write_int64(out, us);
				return true;
			}
		case DK_BIT:
			{
				VarBit	   *b = DatumGetVarBitP(value);

				if (VARBITLEN(b) != 1)
					return false;
				if (*VARBITS(b) & 0x80)
					appendBinaryStringInfo(out, "true", 4);
				else
					appendBinaryStringInfo(out, "false", 5);
				return true;
			}
		case DK_ARRAY:
			{
				ArrayType  *arr = DatumGetArrayTypeP(value);
				Datum	   *elems;
				bool	   *nulls;
				int			n;
				int			i;

				if (ARR_NDIM(arr) > 1)
					return false;
				deconstruct_array(arr, ARR_ELEMTYPE(arr), att->elemlen, att->elembyval,
								  att->elemalign, &elems, &nulls, &n);
				appendStringInfoChar(out, '[');
				for (i = 0; i < n; i++)
				{
					if (i > 0)
						appendStringInfoChar(out, ',');
					if (nulls[i])
						appendBinaryStringInfo(out, "null", 4);
					else if (!decoder_write_value(out, att->elem, elems[i], true))
						return false;	/* the caller takes it back */
				}
				appendStringInfoChar(out, ']');
				return true;
			}
		default:
			return false;
	}
}

/*
 * write_value
 *		Append one non-null column value as JSON; false when it would not
 *		fit in the largest record (then out may hold part of it).
 */
static bool
write_value(StringInfo out, DecoderAtt *att, Datum value, bool debezium)
{
	switch (att->kind)
	{
		case DK_INT2:
			write_int64(out, DatumGetInt16(value));
			return true;
		case DK_INT4:
			write_int64(out, DatumGetInt32(value));
			return true;
		case DK_INT8:
			write_int64(out, DatumGetInt64(value));
			return true;
		case DK_OID:
			write_int64(out, (int64) DatumGetObjectId(value));
			return true;
		case DK_BOOL:
			if (DatumGetBool(value))
				appendBinaryStringInfo(out, "true", 4);
			else
				appendBinaryStringInfo(out, "false", 5);
			return true;
		case DK_FLOAT:
			write_float(out, att->typid, value);
			return true;
		case DK_NUMERIC:
			{
				char	   *n = OutputFunctionCall(&att->out, value);

				if (!fits(out, strlen(n) + 2))
					return false;
				write_numeric_text(out, n);
				return true;
			}
		case DK_TEXT:
			{
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));

				if (!fits_escaped(out, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v)))
					return false;
				decoder_escape(out, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
				return true;
			}
		case DK_NAME:
			{
				const char *n = NameStr(*DatumGetName(value));

				decoder_escape(out, n, strlen(n));
				return true;
			}
		case DK_DATE:
			{
				DateADT		d = DatumGetDateADT(value);
				char		buf[MAXDATELEN + 1];

				if (debezium && !DATE_NOT_FINITE(d))
				{
					write_int64(out, (int64) d + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE));
					return true;
				}
				JsonEncodeDateTime(buf, value, DATEOID, NULL);
				decoder_escape(out, buf, strlen(buf));
				return true;
			}
		case DK_TIMESTAMP:
			{
				Timestamp	t = DatumGetTimestamp(value);

				int64		us;

				/*
				 * microseconds since 1970, unless that overflows an int64
				 * (years past 294246): then the ISO string, never a wrapped
				 * number
				 */
				if (debezium && !TIMESTAMP_NOT_FINITE(t) &&
					!pg_add_s64_overflow(t, (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY, &us))
				{
					/* timestamp(0-3): io.debezium.time.Timestamp, milliseconds */
					if (att->typmod >= 0 && att->typmod <= 3)
						write_int64(out, us >= 0 ? us / 1000 : -((-us + 999) / 1000));
					else
						write_int64(out, us);
					return true;
				}
				write_iso(out, t, false);
				return true;
			}
		case DK_TIMESTAMPTZ:
			decoder_write_iso_timestamptz(out, DatumGetTimestampTz(value));
			return true;
		case DK_BYTEA:
			if (debezium)
			{
				bytea	   *b = DatumGetByteaPP(value);
				int			n = VARSIZE_ANY_EXHDR(b);
				int			room = pg_b64_enc_len(n);
				int			len;

				if (!fits(out, (Size) room + 3))
					return false;

				enlargeStringInfo(out, room + 3);
				out->data[out->len++] = '"';
				len = pg_b64_encode(VARDATA_ANY(b), n, out->data + out->len, room);
				if (len < 0)
					elog(ERROR, "could not encode a bytea value as base64");
				out->len += len;
				appendStringInfoChar(out, '"');
				return true;
			}
			if (!fits(out, 2 * (Size) VARSIZE_ANY_EXHDR(DatumGetByteaPP(value)) + 5))
				return false;
			write_bytea_hex(out, value);
			return true;
		case DK_TIME:
		case DK_TIMETZ:
		case DK_INTERVAL:
		case DK_BIT:
		case DK_ARRAY:
			{
				int			start = out->len;

				if (debezium && write_debezium_special(out, att, value))
					return true;
				out->len = start;	/* a special form that did not fit or apply */
				out->data[start] = '\0';
				return write_output(out, att, value);
			}
		case DK_OTHER:
			return write_output(out, att, value);
	}
	return true;
}

/*
 * decoder_write_value
 *		Append one non-null column value as JSON (see the header comment).
 *		The caller has ruled out unchanged TOAST (decoder_is_unchanged).
 *		Returns false, having appended nothing, when the value would make
 *		the record longer than the largest record (max_record_size): the
 *		caller reports the column as omitted.
 */
bool
decoder_write_value(StringInfo out, DecoderAtt *att, Datum value, bool debezium)
{
	int			start = out->len;

	if (write_value(out, att, value, debezium) && fits(out, 0))
		return true;
	out->len = start;
	out->data[start] = '\0';
	return false;
}
