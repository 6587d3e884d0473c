/*-------------------------------------------------------------------------
 *
 * names.c
 *		dataeng.name_case(): person and company names in proper case.
 *
 * o'BRIEN → O'Brien, mcdonald → McDonald, van der berg → van der Berg,
 * ANNE-marie → Anne-Marie, john smith iii → John Smith III; in company
 * mode, legal forms get their usual spelling (LLC, Inc., GmbH), and
 * all-capital words are kept where the capitals say something: in a name
 * written in mixed case, short ones (IBM, BMW); in a name written
 * entirely in capitals (ACME TRADING CO), where they say nothing, only
 * known acronyms and words that cannot be read as words (BMW, AT&T, 3M),
 * the rest in proper case (Acme Trading Co).  Case mapping follows the
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

/*
 * In a company name written entirely in capitals: acronyms kept as
 * written, though they read as words (docs/cleanse.md lists them)
 */
static const char *const company_acronyms[] = {
	"IBM", "UBS", "AIG", "ING", "SAP", "AXA", "ABB", "UPS", "EY", "UK", "US", "USA",
	"EU", "UAE", NULL
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
 * case_ignorable
 *		Whether c is case-ignorable (Unicode's Case_Ignorable, the characters
 *		met in names: apostrophes, periods, modifier letters and symbols,
 *		combining marks, format characters); they are skipped when looking
 *		at the context of a capital sigma.
 */
static bool
case_ignorable(pg_wchar c)
{
	switch (c)
	{
		case '\'':
		case '.':
		case ':':
		case '^':
		case '`':
		case 0x00A8:
		case 0x00AD:
		case 0x00AF:
		case 0x00B4:
		case 0x00B7:
		case 0x00B8:
		case 0x0387:
		case 0x2018:
		case 0x2019:
		case 0x2024:
		case 0x2027:
			return true;
	}
	return (c >= 0x02B0 && c <= 0x036F) ||	/* modifier letters, combining marks */
		(c >= 0x0374 && c <= 0x0375) || (c >= 0x0384 && c <= 0x0385) ||
		(c >= 0x0483 && c <= 0x0489) || (c >= 0x1AB0 && c <= 0x1AFF) ||
		(c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x200B && c <= 0x200F) ||
		(c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE00 && c <= 0xFE0F) ||
		(c >= 0xFE20 && c <= 0xFE2F);
}

/*
 * final_sigma
 *		Whether the capital sigma at byte pos of word w (UTF-8) ends a word,
 *		as Unicode's Final_Sigma condition says: a cased letter before it
 *		and none after it, case-ignorable characters skipped.
 */
static bool
final_sigma(const char *w, int wlen, int pos)
{
	const unsigned char *u = (const unsigned char *) w;
	int			i = pos;
	bool		before = false;

	while (i > 0)
	{
		pg_wchar	c;

		i--;
		while (i > 0 && (u[i] & 0xC0) == 0x80)
			i--;
		c = utf8_to_unicode(u + i);
		if (!case_ignorable(c))
		{
			before = dataeng_unicode_is_cased(c);
			break;
		}
	}
	if (!before)
		return false;
	for (i = pos + 2; i < wlen;)
	{
		int			n = pg_utf_mblen(u + i);
		pg_wchar	c;

		if (i + n > wlen)
			break;
		c = utf8_to_unicode(u + i);
		if (!case_ignorable(c))
			return !dataeng_unicode_is_cased(c);
		i += n;
	}
	return true;
}

/*
 * lower_part
 *		Append bytes off .. off + len of word w in lower case.  A capital
 *		sigma lowered at the end of a word is a final sigma (U+03C2), as in
 *		Unicode's default case conversion: lower() lowers each character
 *		alone, and gave ΟΔΥΣΣΕΑΣ as οδυσσεασ.
 */
static void
lower_part(StringInfo out, const char *w, int wlen, int off, int len, Oid collation)
{
	int			start = off;
	int			end = off + len;

	/* (0xCE is a lead byte in UTF-8: never inside another character) */
	if (GetDatabaseEncoding() == PG_UTF8)
		for (int i = off; i + 1 < end; i++)
			if ((unsigned char) w[i] == 0xCE && (unsigned char) w[i + 1] == 0xA3)
			{
				char	   *low;

				if (i > start)
					appendStringInfoString(out, str_tolower(w + start, i - start, collation));
				low = str_tolower(w + i, 2, collation);
				if (strcmp(low, "\xCF\x83") == 0 && final_sigma(w, wlen, i))
					appendStringInfoString(out, "\xCF\x82");
				else
					appendStringInfoString(out, low);
				start = i + 2;
				i++;
			}
	if (end > start)
		appendStringInfoString(out, str_tolower(w + start, end - start, collation));
}

/*
 * digraph_title
 *		The titlecase form of an uppercase digraph (DŽ, LJ, NJ, DZ), or 0:
 *		the first letter of a word is titlecased, not uppercased, and upper()
 *		gave ǅemal as Ǆemal.
 */
static pg_wchar
digraph_title(pg_wchar c)
{
	switch (c)
	{
		case 0x01C4:
		case 0x01C5:
			return 0x01C5;
		case 0x01C7:
		case 0x01C8:
			return 0x01C8;
		case 0x01CA:
		case 0x01CB:
			return 0x01CB;
		case 0x01F1:
		case 0x01F2:
			return 0x01F2;
	}
	return 0;
}

/*
 * cap
 *		Append bytes off .. off + len of word w (wlen bytes) with its first
 *		letter in title case (upper case but for the digraphs) and the rest
 *		lower case.
 */
static void
cap(StringInfo out, const char *w, int wlen, int off, int len, Oid collation)
{
	const char *s = w + off;
	int			first;
	char	   *up;

	if (len == 0)
		return;
	first = pg_mblen(s);
	if (first > len)
		first = len;
	up = str_toupper(s, first, collation);
	if (GetDatabaseEncoding() == PG_UTF8 && strlen(up) == 2 &&
		digraph_title(utf8_to_unicode((const unsigned char *) up)) != 0)
	{
		unsigned char buf[8];

		unicode_to_utf8(digraph_title(utf8_to_unicode((const unsigned char *) up)), buf);
		appendBinaryStringInfo(out, (const char *) buf, pg_utf_mblen(buf));
	}
	else
		appendStringInfoString(out, up);
	if (len > first)
		lower_part(out, w, wlen, off + first, len - first, collation);
}

/*
 * unreadable_word
 *		Whether a word in capitals cannot be read as a word, so is an
 *		acronym: no vowel (A E I O U Y) and no letter beyond ASCII (BMW,
 *		HSBC, KPMG), or an & or a digit in it (AT&T, P&G, 3M).
 */
static bool
unreadable_word(const char *w, int len)
{
	bool		vowel = false;

	for (int i = 0; i < len; i++)
	{
		if (w[i] == '&' || (w[i] >= '0' && w[i] <= '9'))
			return true;
		if (strchr("AEIOUYaeiouy", w[i]) != NULL || IS_HIGHBIT_SET(w[i]))
			vowel = true;
	}
	return !vowel;
}

/*
 * one_word
 *		Proper case of one blank-free word; shouting: the whole company
 *		name is written in capitals (shouting_name()).
 */
static void
one_word(StringInfo out, const char *w, int len, bool company, bool shouting,
		 Oid collation)
{
	const char *fixed;
	int			start = 0;
	bool		after_apostrophe = false;
	int			prev_len = 0;
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;

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
	if (company && shouting)
	{
		/* ACME → Acme; IBM, BMW, AT&T stay */
		if (find_word(company_acronyms, w, len) || unreadable_word(w, len))
		{
			appendBinaryStringInfo(out, w, len);
			return;
		}
	}
	else if (company && len <= 4)
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

		/*
		 * a hyphen of Unicode's own, as word processors and PDFs write
		 * one: U+2010 hyphen, U+2011 non-breaking hyphen, U+2013 en dash
		 * (the piece after it kept its case: "JEAN-PAUL" written with U+2010
		 * was "Jean-paul")
		 */
		bool		hyphen = (utf8 && i + 2 < len && (unsigned char) w[i] == 0xE2 &&
							  (unsigned char) w[i + 1] == 0x80 &&
							  ((unsigned char) w[i + 2] == 0x90 || (unsigned char) w[i + 2] == 0x91 ||
							   (unsigned char) w[i + 2] == 0x93));

		if (i == len || w[i] == '-' || w[i] == '\'' || typographic || hyphen)
		{
			int			plen = i - start;
			const char *piece = w + start;

			if (after_apostrophe && prev_len != 1)
			{
				/* McDonald's, not McDonald'S: only O', D', L' take a capital */
				if (plen > 0)
					lower_part(out, w, len, start, plen, collation);
			}
			else if (plen >= 3 && pg_strncasecmp(piece, "mc", 2) == 0)
			{
				appendStringInfoString(out, "Mc");
				cap(out, w, len, start + 2, plen - 2, collation);
			}
			else
				cap(out, w, len, start, plen, collation);
			prev_len = plen;
			after_apostrophe = (i < len && w[i] != '-' && !hyphen);
			if (i == len)
				break;
			if (typographic || hyphen)
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

/*
 * next_word
 *		The length of the next word of s (len bytes) from *i, its start in
 *		*start and *i after it; 0 when only white space is left.  Words are
 *		what blanks, tabs and line ends separate; name_case and
 *		shouting_name read a name the same way.
 */
static int
next_word(const char *s, int len, int *i, int *start)
{
	int			j = *i;

	while (j < len && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
		j++;
	*start = j;
	while (j < len && !(s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\r'))
		j++;
	*i = j;
	return j - *start;
}

/*
 * shouting_name
 *		Whether a name is written entirely in capitals: it has a letter, and
 *		no word but the legal forms and fixed words (Jr., III) changes
 *		when made upper case.  Its capitals then say nothing of which words
 *		are acronyms.
 */
static bool
shouting_name(const char *s, int len, Oid collation)
{
	bool		letter = false;
	int			i = 0,
				start,
				wlen;

	while ((wlen = next_word(s, len, &i, &start)) > 0)
	{
		if (!find_word(fixed_words, s + start, wlen) &&
			!find_word(company_words, s + start, wlen))
		{
			char	   *up = str_toupper(s + start, wlen, collation);
			char	   *low = str_tolower(s + start, wlen, collation);

			if ((int) strlen(up) != wlen || memcmp(up, s + start, wlen) != 0)
				return false;
			if (strcmp(up, low) != 0)
				letter = true;
		}
	}
	return letter;
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
				i = 0,
				start,
				wlen;
	StringInfoData out;
	bool		shouting;

	if (!OidIsValid(collation))
		collation = DEFAULT_COLLATION_OID;
	shouting = company && shouting_name(s, len, collation);
	initStringInfo(&out);
	while ((wlen = next_word(s, len, &i, &start)) > 0)
	{
		if (out.len > 0)
			appendStringInfoChar(&out, ' ');
		one_word(&out, s + start, wlen, company, shouting, collation);
	}
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
