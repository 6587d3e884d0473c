/*-------------------------------------------------------------------------
 *
 * encoding.c
 *		Text of the database encoding as UTF-8, and back, for the
 *		validators and cleansers that read UTF-8 (email addresses, URLs,
 *		month names, unit symbols).
 *
 * A UTF-8 database needs nothing.  A SQL_ASCII one keeps bytes as they
 * came, which these functions read as UTF-8, as they always did.  Any
 * other encoding (LATIN1, WIN1252, EUC_JP...) is converted: its bytes read
 * as UTF-8 were "not valid UTF-8" to the email validator, and 'März' named
 * no month.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/common.h"

/* whether text of the database encoding is read as it is */
static bool
server_is_utf8(void)
{
	int			enc = GetDatabaseEncoding();

	return enc == PG_UTF8 || enc == PG_SQL_ASCII;
}

/*
 * dataeng_text_to_utf8
 *		The UTF-8 form of a text value of the database encoding: the value
 *		itself in a UTF-8 or SQL_ASCII database.  Never raises on the
 *		value: NULL when a character of it has no Unicode equivalent (none
 *		in the single-byte encodings; a few in some Asian ones).
 */
text *
dataeng_text_to_utf8(text *t)
{
	static Oid	proc = InvalidOid;
	int			len = VARSIZE_ANY_EXHDR(t);
	text	   *out;
	int			done;

	if (server_is_utf8() || len == 0)
		return t;
	if (!OidIsValid(proc))
	{
		/* the database encoding is fixed for the backend's life */
		proc = FindDefaultConversionProc(GetDatabaseEncoding(), PG_UTF8);
		if (!OidIsValid(proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("no conversion from encoding \"%s\" to \"UTF8\"",
							GetDatabaseEncodingName())));
	}
	if ((Size) len * MAX_CONVERSION_GROWTH + 1 + VARHDRSZ > MaxAllocSize)
		return NULL;
	out = palloc((Size) len * MAX_CONVERSION_GROWTH + 1 + VARHDRSZ);
	done = pg_do_encoding_conversion_buf(proc, GetDatabaseEncoding(), PG_UTF8,
										 (unsigned char *) VARDATA_ANY(t), len,
										 (unsigned char *) VARDATA(out),
										 len * MAX_CONVERSION_GROWTH + 1, true);
	if (done < len)
		return NULL;
	SET_VARSIZE(out, VARHDRSZ + strlen(VARDATA(out)));
	return out;
}

/*
 * dataeng_utf8_to_text
 *		A text value of the database encoding from len bytes of UTF-8 (as
 *		they are in a UTF-8 or SQL_ASCII database); raises when a character
 *		has no equivalent in the database encoding, as convert_from() does.
 */
text *
dataeng_utf8_to_text(const char *s, int len)
{
	char	   *c;

	if (server_is_utf8())
		return cstring_to_text_with_len(s, len);
	c = pg_any_to_server(s, len, PG_UTF8);
	/* (s itself when nothing was converted: not NUL-terminated at len) */
	return c == s ? cstring_to_text_with_len(s, len) : cstring_to_text(c);
}

/*
 * dataeng_utf8_to_text_try
 *		The same, or NULL when a character of the len bytes of valid UTF-8
 *		has no equivalent in the database encoding (the degree sign in
 *		ISO_8859_5): never raises on them.
 */
text *
dataeng_utf8_to_text_try(const char *s, int len)
{
	static Oid	proc = InvalidOid;
	text	   *out;
	int			done;

	if (server_is_utf8() || len == 0)
		return cstring_to_text_with_len(s, len);
	if (!OidIsValid(proc))
	{
		/* the database encoding is fixed for the backend's life */
		proc = FindDefaultConversionProc(PG_UTF8, GetDatabaseEncoding());
		if (!OidIsValid(proc))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("no conversion from encoding \"UTF8\" to \"%s\"",
							GetDatabaseEncodingName())));
	}
	if ((Size) len * MAX_CONVERSION_GROWTH + 1 + VARHDRSZ > MaxAllocSize)
		return NULL;
	out = palloc((Size) len * MAX_CONVERSION_GROWTH + 1 + VARHDRSZ);
	done = pg_do_encoding_conversion_buf(proc, PG_UTF8, GetDatabaseEncoding(),
										 (unsigned char *) s, len,
										 (unsigned char *) VARDATA(out),
										 len * MAX_CONVERSION_GROWTH + 1, true);
	if (done < len)
	{
		pfree(out);
		return NULL;
	}
	SET_VARSIZE(out, VARHDRSZ + strlen(VARDATA(out)));
	return out;
}
