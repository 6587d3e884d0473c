/*-------------------------------------------------------------------------
 *
 * emails.c
 *		dataeng.normalize_email() and dataeng.normalize_email_strict().
 *
 * The normal form of an address the practical validator accepts: trimmed,
 * NFC, the domain in lower case (every letter that has one, by Unicode's
 * simple mapping: common/unicode_lower.c) and in IDNA ASCII form
 * (A-labels); the local part keeps its case (it may matter to the receiving server),
 * except under provider rules, which apply what the big providers document
 * (Gmail ignores dots and case and "+tag"; Outlook ignores case and "+tag").
 * An address written with a display name ("Ada <ada@example.com>", RFC
 * 5322's name-addr) is the address in its angle brackets.
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
#include "cleanse/cleanse.h"
#include "validate/validate.h"

/*
 * domain_lower
 *		The lowercase of c in a domain: Unicode's simple mapping
 *		(dataeng_unicode_lower()) but for Cherokee, whose case folding, and
 *		so UTS 46, goes the other way: its small letters (U+AB70..U+ABBF,
 *		U+13F8..U+13FD) become the capitals (U+13A0..U+13F5), which stay.
 *		(Lowered to the small letters, a domain of capitals had an A-label
 *		no resolver makes of it.)
 */
static pg_wchar
domain_lower(pg_wchar c)
{
	if (c >= 0xAB70 && c <= 0xABBF)
		return c - 0xAB70 + 0x13A0;
	if (c >= 0x13F8 && c <= 0x13FD)
		return c - 0x13F8 + 0x13F0;
	if (c >= 0x13A0 && c <= 0x13F5)
		return c;
	return dataeng_unicode_lower(c);
}

/*
 * utf8_chars
 *		The characters of a UTF-8 string (verified by the validator), the
 *		ones after position from lowered (domain_lower()), then
 *		in NFC; *n their number.  Decoded as UTF-8 whatever the database
 *		encoding: the validator judged these bytes as UTF-8, and the normal
 *		form is written back as UTF-8 (in a SQL_ASCII database, decoding in
 *		the database encoding took each byte of a character for a character
 *		of its own).  Lowered before NFC, as UTS 46 maps then normalizes:
 *		'A' with a combining ring and U+00C5 both become U+00E5.  U+0130
 *		lowers to two characters, as UTS 46 has it.
 */
static pg_wchar *
utf8_chars(const char *s, int len, int from, int *n)
{
	pg_wchar   *w = palloc(sizeof(pg_wchar) * (len + 1));
	bool		ascii = true;
	int			k = 0;

	for (int i = 0, ci = 0; i < len; i += pg_utf_mblen((const unsigned char *) s + i), ci++)
	{
		pg_wchar	c = utf8_to_unicode((const unsigned char *) s + i);

		if (ci >= from && c == 0x0130)
		{
			/*
			 * U+0130's lowercase is 'i' and a combining dot above, as UTS 46
			 * maps it (its simple mapping, 'i', made another domain of it,
			 * and another normal form than its canonical equivalent 'I' and
			 * U+0307); two bytes of UTF-8 give the two characters room
			 */
			ascii = false;
			w[k++] = 'i';
			w[k++] = 0x0307;
			continue;
		}
		if (ci >= from)
			c = domain_lower(c);
		ascii = ascii && c < 0x80;
		w[k++] = c;
	}
	w[k] = 0;
	if (!ascii)
	{
		pg_wchar   *nfc = unicode_normalize(UNICODE_NFC, w);

		pfree(w);
		w = nfc;
		for (k = 0; w[k] != 0; k++)
			;
	}
	*n = k;
	return w;
}

/*
 * name_addr
 *		Whether s (len bytes, trimmed) is an RFC 5322 name-addr, an address
 *		in angle brackets after a display name: "Ada Lovelace
 *		<ada@example.com>", "\"Lovelace, Ada\" <ada@example.com>",
 *		"<ada@example.com>".  If so, *addr and *addrlen are the address (the
 *		name is dropped: it is no part of the address), or *why says what
 *		is wrong with the form.  A display name is words of atext (RFC 5322
 *		3.2.3; any UTF-8 too, as RFC 6532 allows), periods (obs-phrase,
 *		"John Q. Public") and quoted strings; an unquoted comma ("Lovelace,
 *		Ada <...>" is two addresses in a list), '@', a comment in
 *		parentheses or anything else is no name-addr.  Text that does not
 *		end with '>' is not one either (false, *why NULL).
 */
static bool
name_addr(const char *s, int len, const char **addr, int *addrlen, const char **why)
{
	int			i = 0,
				a,
				e;

	*why = NULL;
	if (len == 0 || s[len - 1] != '>')
		return false;
	while (i < len && s[i] != '<')
	{
		unsigned char c = s[i];

		if (c == '"')
		{
			/* a quoted string, with its backslash escapes */
			for (i++; i < len && s[i] != '"'; i++)
				if (s[i] == '\\' && ++i >= len)
					break;
			if (i >= len)
			{
				*why = "the display name has a quote that is not closed";
				return true;
			}
			i++;
		}
		else if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
				 (c >= '0' && c <= '9') || c == ' ' || c == '\t' || c == '.' ||
				 (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL))
			i++;
		else
		{
			*why = "the display name has a character that RFC 5322 allows only in quotes (\"Lovelace, Ada\" <ada@example.com>)";
			return true;
		}
	}
	if (i >= len)
	{
		*why = "a '>' without a '<'";
		return true;
	}
	a = i + 1;
	e = len - 1;
	while (a < e && (s[a] == ' ' || s[a] == '\t'))
		a++;
	while (e > a && (s[e - 1] == ' ' || s[e - 1] == '\t'))
		e--;
	if (a == e)
	{
		*why = "nothing in the angle brackets";
		return true;
	}
	if (memchr(s + a, '<', e - a) != NULL || memchr(s + a, '>', e - a) != NULL)
	{
		*why = "more than one pair of angle brackets";
		return true;
	}
	*addr = s + a;
	*addrlen = e - a;
	return true;
}

/*
 * cleanse_normalize_email
 *		The normal form of the UTF-8 address s (len bytes), palloc'd, or
 *		NULL with *why set when it is not an address.  No server call but
 *		memory and Unicode normalization: the fuzz target of normalize_email
 *		calls it.
 */
char *
cleanse_normalize_email(const char *s, int len, bool provider_rules, const char **why)
{
	pg_wchar   *w;
	int			n,
				at = -1,
				i;
	StringInfoData local,
				domain,
				out;
	bool		gmail,
				outlook;

	/* trim ASCII white space */
	while (len > 0 && (s[0] == ' ' || (s[0] >= 0x09 && s[0] <= 0x0D)))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || (s[len - 1] >= 0x09 && s[len - 1] <= 0x0D)))
		len--;
	/* "Ada Lovelace <ada@example.com>": the address in the angle brackets */
	if (name_addr(s, len, &s, &len, why) && *why != NULL)
		return NULL;
	*why = validate_email_practical_problem(s, len);
	if (*why)
		return NULL;

	/* the last '@' (the validator found one), in characters */
	for (i = 0, n = 0; i < len; i += pg_utf_mblen((const unsigned char *) s + i), n++)
		if (s[i] == '@')
			at = n;
	if (at < 0)
	{
		*why = "the address has no @";
		return NULL;
	}

	/* the domain in lower case (every letter that has one) */
	w = utf8_chars(s, len, at + 1, &n);
	at = -1;
	for (i = 0; i < n; i++)
		if (w[i] == '@')
			at = i;

	/* the domain: full-width forms mapped, labels to A-labels */
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
				c = dataeng_unicode_lower(c - 0xFF01 + 0x21);
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

	gmail = (strcmp(domain.data, "gmail.com") == 0 || strcmp(domain.data, "googlemail.com") == 0);
	outlook = (strcmp(domain.data, "outlook.com") == 0 || strcmp(domain.data, "hotmail.com") == 0 ||
			   strcmp(domain.data, "live.com") == 0);

	/*
	 * The local part keeps its case; under the provider's rules it loses
	 * its case (every letter's, as the domain's: domain_lower(), and U+0130
	 * as 'i' and a combining dot above; it was the simple mapping alone,
	 * which made 'i' of U+0130 and lowered Cherokee the other way), "+tag"
	 * and, at Gmail, its dots.  What those rules leave is put in NFC again:
	 * a dot taken out from between a letter and a combining mark, or a
	 * letter lowered, leaves characters that compose ("l.\u0323" gave 'l'
	 * and U+0323, whose normal form was U+1E37: not its own normal form).
	 */
	initStringInfo(&local);
	{
		/* (room for each U+0130's two characters) */
		pg_wchar   *lw = palloc(sizeof(pg_wchar) * (2 * at + 1));
		int			ln = 0;
		bool		ascii = true;

		for (i = 0; i < at; i++)
		{
			pg_wchar	c = w[i];

			if (provider_rules && (gmail || outlook))
			{
				if (c == '+')
					break;
				if (gmail && c == '.')
					continue;
				if (c == 0x0130)
				{
					ascii = false;
					lw[ln++] = 'i';
					lw[ln++] = 0x0307;
					continue;
				}
				c = domain_lower(c);
			}
			ascii = ascii && c < 0x80;
			lw[ln++] = c;
		}
		lw[ln] = 0;
		if (!ascii && provider_rules && (gmail || outlook))
		{
			pg_wchar   *nfc = unicode_normalize(UNICODE_NFC, lw);

			pfree(lw);
			lw = nfc;
			for (ln = 0; lw[ln] != 0; ln++)
				;
		}
		for (i = 0; i < ln; i++)
		{
			unsigned char b[4];

			unicode_to_utf8(lw[i], b);
			appendBinaryStringInfo(&local, (const char *) b, pg_utf_mblen(b));
		}
		pfree(lw);
	}
	if (provider_rules && (gmail || outlook))
	{
		if (local.len == 0)
		{
			*why = "nothing is left of the local part under the provider's rules";
			return NULL;
		}
		if (gmail)
		{
			resetStringInfo(&domain);
			appendStringInfoString(&domain, "gmail.com");
		}
	}

	initStringInfo(&out);
	appendStringInfo(&out, "%s@%s", local.data, domain.data);

	/*
	 * The normal form is an address too: a label's A-label, or the whole,
	 * may grow past its limit once lowered and composed (the validator
	 * measured the A-labels of the address as written).
	 */
	*why = validate_email_practical_problem(out.data, out.len);
	if (*why)
		return NULL;
	return out.data;
}

/*
 * normalize
 *		The normal form of t, or NULL with *why set when it is not an
 *		address.
 */
static char *
normalize(text *t, bool provider_rules, const char **why)
{
	/* read as UTF-8 whatever the database encoding, as the validator does */
	t = dataeng_text_to_utf8(t);
	if (t == NULL)
	{
		*why = "the address has a character that Unicode does not have";
		return NULL;
	}
	return cleanse_normalize_email(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), provider_rules, why);
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
