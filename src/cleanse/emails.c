/*-------------------------------------------------------------------------
 *
 * emails.c
 *		dataeng.normalize_email() and dataeng.normalize_email_strict().
 *
 * The normal form of an address the practical validator accepts: trimmed,
 * NFC, the domain in lower case and in IDNA ASCII form (A-labels); the
 * local part keeps its case (it may matter to the receiving server),
 * except under provider rules, which apply what the big providers document
 * (Gmail ignores dots and case and "+tag"; Outlook ignores case and "+tag").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/unicode_norm.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"

/*
 * utf8_nfc_chars
 *		The NFC characters of a UTF-8 string (verified by the validator).
 *		Decoded as UTF-8 whatever the database encoding: the validator
 *		judged these bytes as UTF-8, and the normal form is written back as
 *		UTF-8 (in a SQL_ASCII database, decoding in the database encoding
 *		took each byte of a character for a character of its own).
 */
static pg_wchar *
utf8_nfc_chars(const char *s, int len)
{
	pg_wchar   *w = palloc(sizeof(pg_wchar) * (len + 1));
	int			n = pg_encoding_mb2wchar_with_len(PG_UTF8, s, w, len);
	bool		ascii = true;

	w[n] = 0;
	for (int i = 0; i < n && ascii; i++)
		ascii = w[i] < 0x80;
	/* ASCII is its own NFC */
	return ascii ? w : unicode_normalize(UNICODE_NFC, w);
}

/*
 * normalize
 *		The normal form of s, or NULL with *why set when it is not an
 *		address.
 */
static char *
normalize(text *t, bool provider_rules, const char **why)
{
	const char *s;
	int			len;
	pg_wchar   *w;
	int			n,
				at = -1,
				i;
	StringInfoData local,
				domain,
				out;
	bool		gmail,
				outlook;

	/* read as UTF-8 whatever the database encoding, as the validator does */
	t = dataeng_text_to_utf8(t);
	if (t == NULL)
	{
		*why = "the address has a character that Unicode does not have";
		return NULL;
	}
	s = VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);

	/* trim ASCII white space */
	while (len > 0 && (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0D)))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || (s[len - 1] >= 0x09 && s[len - 1] <= 0x0D)))
		len--;
	*why = validate_email_practical_problem(s, len);
	if (*why)
		return NULL;

	w = utf8_nfc_chars(s, len);
	for (n = 0; w[n] != 0; n++)
		if (w[n] == '@')
			at = n;

	/* the domain: lower case, full-width forms mapped, labels to A-labels */
	initStringInfo(&domain);
	{
		pg_wchar   *label = palloc(sizeof(pg_wchar) * (n + 1));
		int			ln = 0;

		for (i = at + 1; i <= n; i++)
		{
			pg_wchar	c = (i < n) ? w[i] : '.';

			if (c == 0x3002 || c == 0xFF61 || c == 0xFF0E)
				c = '.';
			else if (c >= 0xFF01 && c <= 0xFF5E)
				c = c - 0xFF01 + 0x21;
			if (c < 0x80)
				c = pg_ascii_tolower((char) c);
			if (c == '.')
			{
				if (domain.len > 0)
					appendStringInfoChar(&domain, '.');
				dataeng_punycode_label(label, ln, &domain);
				ln = 0;
			}
			else
				label[ln++] = c;
		}
	}

	initStringInfo(&local);
	for (i = 0; i < at; i++)
	{
		unsigned char b[4];

		unicode_to_utf8(w[i], b);
		appendBinaryStringInfo(&local, (const char *) b, pg_utf_mblen(b));
	}

	gmail = (strcmp(domain.data, "gmail.com") == 0 || strcmp(domain.data, "googlemail.com") == 0);
	outlook = (strcmp(domain.data, "outlook.com") == 0 || strcmp(domain.data, "hotmail.com") == 0 ||
			   strcmp(domain.data, "live.com") == 0);
	if (provider_rules && (gmail || outlook))
	{
		StringInfoData l2;

		initStringInfo(&l2);
		for (i = 0; i < local.len && local.data[i] != '+'; i++)
		{
			if (gmail && local.data[i] == '.')
				continue;
			appendStringInfoChar(&l2, pg_ascii_tolower(local.data[i]));
		}
		if (l2.len == 0)
		{
			*why = "nothing is left of the local part under the provider's rules";
			return NULL;
		}
		local = l2;
		if (gmail)
		{
			resetStringInfo(&domain);
			appendStringInfoString(&domain, "gmail.com");
		}
	}

	initStringInfo(&out);
	appendStringInfo(&out, "%s@%s", local.data, domain.data);
	return out.data;
}

PG_FUNCTION_INFO_V1(dataeng_normalize_email);

/*
 * dataeng_normalize_email
 *		The normal form of an address, or NULL when it is not one.
 */
Datum
dataeng_normalize_email(PG_FUNCTION_ARGS)
{
	const char *why;
	char	   *r = normalize(PG_GETARG_TEXT_PP(0), PG_GETARG_BOOL(1), &why);

	if (r == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(dataeng_utf8_to_text(r, strlen(r)));
}

PG_FUNCTION_INFO_V1(dataeng_normalize_email_strict);

/*
 * dataeng_normalize_email_strict
 *		The normal form of an address; an error saying why when it is not
 *		one.
 */
Datum
dataeng_normalize_email_strict(PG_FUNCTION_ARGS)
{
	const char *why;
	char	   *r = normalize(PG_GETARG_TEXT_PP(0), PG_GETARG_BOOL(1), &why);

	if (r == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("\"%s\" is not an email address",
						text_to_cstring(PG_GETARG_TEXT_PP(0))),
				 errdetail("Problem: %s.", why)));
	PG_RETURN_TEXT_P(dataeng_utf8_to_text(r, strlen(r)));
}
