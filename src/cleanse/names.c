/*-------------------------------------------------------------------------
 *
 * names.c
 *		dataeng.name_case(): person and company names in proper case.
 *
 * o'BRIEN → O'Brien, mcdonald → McDonald, van der berg → van der Berg,
 * ANNE-marie → Anne-Marie, john smith iii → John Smith III; in company
 * mode, short all-capital words (IBM, BMW) are kept and legal forms get
 * their usual spelling (LLC, Inc., GmbH).  Case mapping follows the
 * collation of the argument, as upper() and lower() do.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/formatting.h"

#include "common/common.h"

/* lower-case particles of family names */
static const char *const particles[] = {
	"van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le",
	"dos", "das", "do", "bin", "ibn", "al", "ter", "ten", "zu", "y", NULL
};

/* spelled as is, whatever the case of the input */
static const char *const fixed_words[] = {
	"II", "III", "IV", "VI", "VII", "VIII", "IX", "Jr", "Sr", "Jr.", "Sr.", NULL
};
static const char *const company_words[] = {
	"LLC", "LLP", "Inc", "Inc.", "Ltd", "Ltd.", "GmbH", "AG", "SA", "S.A.", "PLC", "NV",
	"BV", "Co", "Co.", "Corp", "Corp.", "SpA", "SARL", "KG", "OY", "AB", "AS", NULL
};

static const char *
find_word(const char *const *list, const char *w, int len)
{
	for (int i = 0; list[i]; i++)
		if ((int) strlen(list[i]) == len && pg_strncasecmp(list[i], w, len) == 0)
			return list[i];
	return NULL;
}

/*
 * cap
 *		Append s (len bytes) with its first letter upper case and the rest
 *		lower case.
 */
static void
cap(StringInfo out, const char *s, int len, Oid collation)
{
	int			first;

	if (len == 0)
		return;
	first = pg_mblen(s);
	if (first > len)
		first = len;
	appendStringInfoString(out, str_toupper(s, first, collation));
	if (len > first)
		appendStringInfoString(out, str_tolower(s + first, len - first, collation));
}

/*
 * one_word
 *		Proper case of one blank-free word.
 */
static void
one_word(StringInfo out, const char *w, int len, bool company, Oid collation)
{
	const char *fixed;
	int			start = 0;
	bool		after_apostrophe = false;
	int			prev_len = 0;

	if ((fixed = find_word(fixed_words, w, len)) != NULL ||
		(company && (fixed = find_word(company_words, w, len)) != NULL))
	{
		appendStringInfoString(out, fixed);
		return;
	}
	if (find_word(particles, w, len) && !company)
	{
		appendStringInfoString(out, str_tolower(w, len, collation));
		return;
	}
	if (company && len <= 4)
	{
		bool		all_upper = true;

		for (int i = 0; i < len; i++)
			if (!(w[i] >= 'A' && w[i] <= 'Z') && !(w[i] >= '0' && w[i] <= '9') && w[i] != '&')
				all_upper = false;
		if (all_upper)
		{
			appendBinaryStringInfo(out, w, len);	/* IBM, BMW, AT&T */
			return;
		}
	}

	/* pieces between hyphens and apostrophes each get a capital */
	for (int i = 0; i <= len; i++)
	{
		bool		typographic = (i + 2 < len && (unsigned char) w[i] == 0xE2 &&
								   (unsigned char) w[i + 1] == 0x80 &&
								   (unsigned char) w[i + 2] == 0x99);	/* U+2019 */

		if (i == len || w[i] == '-' || w[i] == '\'' || typographic)
		{
			int			plen = i - start;
			const char *piece = w + start;

			if (after_apostrophe && prev_len != 1)
			{
				/* McDonald's, not McDonald'S: only O', D', L' take a capital */
				if (plen > 0)
					appendStringInfoString(out, str_tolower(piece, plen, collation));
			}
			else if (plen >= 3 && pg_strncasecmp(piece, "mc", 2) == 0)
			{
				appendStringInfoString(out, "Mc");
				cap(out, piece + 2, plen - 2, collation);
			}
			else
				cap(out, piece, plen, collation);
			prev_len = plen;
			after_apostrophe = (i < len && w[i] != '-');
			if (i == len)
				break;
			if (typographic)
			{
				appendBinaryStringInfo(out, w + i, 3);
				i += 2;
			}
			else
				appendStringInfoChar(out, w[i]);
			start = i + 1;
		}
	}
}

PG_FUNCTION_INFO_V1(dataeng_name_case);

/*
 * dataeng_name_case
 *		The name with each word in proper case; white space collapsed.
 */
Datum
dataeng_name_case(PG_FUNCTION_ARGS)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	bool		company = PG_GETARG_BOOL(1);
	Oid			collation = PG_GET_COLLATION();
	const char *s = VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t),
				i = 0;
	StringInfoData out;

	if (!OidIsValid(collation))
		collation = DEFAULT_COLLATION_OID;
	initStringInfo(&out);
	while (i < len)
	{
		int			start;

		while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
			i++;
		start = i;
		while (i < len && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
			i++;
		if (i > start)
		{
			if (out.len > 0)
				appendStringInfoChar(&out, ' ');
			one_word(&out, s + start, i - start, company, collation);
		}
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
