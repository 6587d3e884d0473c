/*-------------------------------------------------------------------------
 *
 * text.c
 *		Text cleansers: dataeng.clean_text(), dataeng.fold_accents(),
 *		dataeng.fingerprint() and dataeng.ngram_fingerprint().
 *
 * All work on characters, not bytes, and are IMMUTABLE: they depend on
 * PostgreSQL's built-in Unicode normalization tables only, never on the
 * locale or a dictionary (unlike contrib unaccent).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/unicode_norm.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

/* the text cleansers work on UTF-8 only */
static void
require_utf8(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("dataeng's text cleansers need a UTF-8 database")));
}

/*
 * text_chars
 *		The characters of a text value, zero-terminated; count in *n.
 *		Text is in the database encoding, which these functions require to
 *		be UTF-8.
 */
static pg_wchar *
text_chars(text *t, int *n)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	pg_wchar   *w = palloc(sizeof(pg_wchar) * (len + 1));

	require_utf8();
	*n = pg_mb2wchar_with_len(VARDATA_ANY(t), w, len);
	w[*n] = 0;
	return w;
}

/*
 * ascii_text
 *		true when a value is plain ASCII (in a UTF-8 database, as
 *		text_chars requires): the common case, which the cleansers below handle on
 *		bytes, without decoding to characters (an ASCII byte is its own code
 *		point, so the same rules apply).
 */
static bool
ascii_text(text *t)
{
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);

	require_utf8();
	for (int i = 0; i < len; i++)
		if (p[i] & 0x80)
			return false;
	return true;
}

static void
append_char(StringInfo buf, pg_wchar c)
{
	unsigned char b[4];

	unicode_to_utf8(c, b);
	appendBinaryStringInfo(buf, (const char *) b, pg_utf_mblen(b));
}

/* Unicode white space (including the separators and NEL) */
static bool
is_space(pg_wchar c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 ||
		c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
		c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* controls and invisible format characters, removed by clean_text */
static bool
is_invisible(pg_wchar c)
{
	return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0xAD ||
		(c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
		(c >= 0x2060 && c <= 0x2064) || c == 0xFEFF;
}

/*
 * Unicode punctuation (general categories Pc, Pd, Ps, Pe, Pi, Pf, Po) of
 * the blocks names and addresses meet, beyond ASCII and what compatibility
 * decomposition makes ASCII: typographic quotes and apostrophes, dashes,
 * guillemets, the inverted marks, bullets and ellipses, CJK, Arabic,
 * Hebrew, Armenian and Devanagari punctuation.  Sorted ranges.
 */
static const pg_wchar punct_ranges[][2] = {
	{0x00A1, 0x00A1}, {0x00A7, 0x00A7}, {0x00AB, 0x00AB}, {0x00B6, 0x00B6},
	{0x00BB, 0x00BB}, {0x00BF, 0x00BF}, {0x037E, 0x037E}, {0x0387, 0x0387},
	{0x055A, 0x055F}, {0x0589, 0x058A}, {0x05BE, 0x05BE}, {0x05C0, 0x05C0},
	{0x05C3, 0x05C3}, {0x05C6, 0x05C6}, {0x05F3, 0x05F4}, {0x0609, 0x060A},
	{0x060C, 0x060D}, {0x061B, 0x061B}, {0x061D, 0x061F}, {0x066A, 0x066D},
	{0x06D4, 0x06D4}, {0x0964, 0x0965}, {0x0970, 0x0970}, {0x0E4F, 0x0E4F},
	{0x0E5A, 0x0E5B}, {0x2010, 0x2027}, {0x2030, 0x2043}, {0x2045, 0x2051},
	{0x2053, 0x205E}, {0x207D, 0x207E}, {0x208D, 0x208E}, {0x2308, 0x230B},
	{0x2329, 0x232A}, {0x2768, 0x2775}, {0x27C5, 0x27C6}, {0x27E6, 0x27EF},
	{0x2983, 0x2998}, {0x29D8, 0x29DB}, {0x29FC, 0x29FD}, {0x2CF9, 0x2CFC},
	{0x2CFE, 0x2CFF}, {0x2E00, 0x2E2E}, {0x2E30, 0x2E4F}, {0x2E52, 0x2E5D},
	{0x3001, 0x3003}, {0x3008, 0x3011}, {0x3014, 0x301F}, {0x3030, 0x3030},
	{0x303D, 0x303D}, {0x30A0, 0x30A0}, {0x30FB, 0x30FB}, {0xFE10, 0xFE19},
	{0xFE30, 0xFE52}, {0xFE54, 0xFE61}, {0xFE63, 0xFE63}, {0xFE68, 0xFE68},
	{0xFE6A, 0xFE6B}, {0xFF01, 0xFF03}, {0xFF05, 0xFF0A}, {0xFF0C, 0xFF0F},
	{0xFF1A, 0xFF1B}, {0xFF1F, 0xFF20}, {0xFF3B, 0xFF3D}, {0xFF3F, 0xFF3F},
	{0xFF5B, 0xFF5B}, {0xFF5D, 0xFF5D}, {0xFF5F, 0xFF65},
};

static bool
is_punct(pg_wchar c)
{
	int			lo = 0,
				hi = lengthof(punct_ranges) - 1;

	if (c < punct_ranges[0][0] || c > punct_ranges[hi][1])
		return false;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (c < punct_ranges[mid][0])
			hi = mid - 1;
		else if (c > punct_ranges[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* combining marks: what accent folding drops after decomposition */
static bool
is_mark(pg_wchar c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x0483 && c <= 0x0489) ||
		(c >= 0x0591 && c <= 0x05C7) || (c >= 0x064B && c <= 0x065F) ||
		(c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
		(c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F) ||
		c == 0x00B7 || c == 0x02BC || c == 0x02BE || c == 0x02BF;	/* · ʼ ʾ ʿ left by decomposition */
}

/*
 * fold_special
 *		Letters that do not decompose into a base letter and marks.
 */
static const char *
fold_special(pg_wchar c)
{
	switch (c)
	{
		case 0x00C6: return "AE";
		case 0x00E6: return "ae";
		case 0x00D0: return "D";
		case 0x00F0: return "d";
		case 0x00D8: return "OE";	/* as OpenRefine and Danish */
		case 0x00F8: return "oe";
		case 0x00DE: return "TH";
		case 0x00FE: return "th";
		case 0x00DF: return "ss";
		case 0x1E9E: return "SS";
		case 0x0110: return "D";
		case 0x0111: return "d";
		case 0x0126: return "H";
		case 0x0127: return "h";
		case 0x0131: return "i";
		case 0x0138: return "k";
		case 0x0141: return "L";
		case 0x0142: return "l";
		case 0x014A: return "N";
		case 0x014B: return "n";
		case 0x0152: return "OE";
		case 0x0153: return "oe";
		case 0x0166: return "T";
		case 0x0167: return "t";
		case 0x01F7: return "W";
		case 0x01BF: return "w";
		case 0x1E9C: return "s";
		case 0x1E9D: return "s";
		default: return NULL;
	}
}

/*
 * fold
 *		Accent and ligature folding of n characters into buf: compatibility
 *		decomposition, marks dropped, the letters above mapped.
 */
static void
fold(const pg_wchar *in, StringInfo buf)
{
	pg_wchar   *d = unicode_normalize(UNICODE_NFKD, in);

	for (int i = 0; d[i] != 0; i++)
	{
		const char *special;

		if (is_mark(d[i]))
			continue;
		special = fold_special(d[i]);
		if (special)
			appendStringInfoString(buf, special);
		else
			append_char(buf, d[i]);
	}
	pfree(d);
}

/*
 * cleanse_fold_accents_into
 *		The folding of fold_accents() for the other cleansers (phonetic.c):
 *		the zero-terminated characters folded, appended to buf in UTF-8.
 */
void
cleanse_fold_accents_into(const pg_wchar *in, StringInfo buf)
{
	fold(in, buf);
}

PG_FUNCTION_INFO_V1(dataeng_fold_accents);

/*
 * dataeng_fold_accents
 *		é → e, ß → ss, Æ → AE, ﬁ → fi: accents and ligatures folded, case
 *		kept.
 */
Datum
dataeng_fold_accents(PG_FUNCTION_ARGS)
{
	int			n;
	pg_wchar   *w;
	StringInfoData buf;

	/* nothing to fold in ASCII */
	if (ascii_text(PG_GETARG_TEXT_PP(0)))
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	w = text_chars(PG_GETARG_TEXT_PP(0), &n);

	initStringInfo(&buf);
	fold(w, &buf);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

PG_FUNCTION_INFO_V1(dataeng_clean_text);

/*
 * dataeng_clean_text
 *		Trimmed, inner white space collapsed to one space, control and
 *		zero-width characters removed, in Unicode NFC.
 */
Datum
dataeng_clean_text(PG_FUNCTION_ARGS)
{
	int			n,
				k = 0;
	text	   *t = PG_GETARG_TEXT_PP(0);
	pg_wchar   *w;
	pg_wchar   *out;
	pg_wchar   *nfc;
	bool		pending_space = false;
	StringInfoData buf;

	if (ascii_text(t))
	{
		/* the same rules on bytes; ASCII is already NFC */
		const char *p = VARDATA_ANY(t);
		int			len = VARSIZE_ANY_EXHDR(t);
		text	   *res = (text *) palloc(VARHDRSZ + len);
		char	   *o = VARDATA(res);

		for (int i = 0; i < len; i++)
		{
			if (is_space((unsigned char) p[i]))
			{
				pending_space = (k > 0);
				continue;
			}
			if (is_invisible((unsigned char) p[i]))
				continue;
			if (pending_space)
				o[k++] = ' ';
			pending_space = false;
			o[k++] = p[i];
		}
		SET_VARSIZE(res, VARHDRSZ + k);
		PG_RETURN_TEXT_P(res);
	}

	w = text_chars(t, &n);
	out = palloc(sizeof(pg_wchar) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		if (is_space(w[i]))
		{
			pending_space = (k > 0);
			continue;
		}
		if (is_invisible(w[i]))
			continue;
		if (pending_space)
			out[k++] = ' ';
		pending_space = false;
		out[k++] = w[i];
	}
	out[k] = 0;
	nfc = unicode_normalize(UNICODE_NFC, out);
	initStringInfo(&buf);
	for (int i = 0; nfc[i] != 0; i++)
		append_char(&buf, nfc[i]);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(buf.data, buf.len));
}

/*
 * key_chars
 *		The material of OpenRefine's keys: folded to ASCII where possible,
 *		ASCII lower case, punctuation (Unicode's, as OpenRefine's keyers
 *		match it: \p{Punct} under UNICODE_CHARACTER_CLASS) and controls
 *		removed; white space kept as single spaces only when keep_spaces.
 *		Punctuation beyond ASCII was kept: "O’Brien" had the key "o’brien",
 *		"O'Brien" "obrien".
 */
static char *
key_chars(text *t, bool keep_spaces)
{
	int			n;
	StringInfoData folded,
				out;

	if (ascii_text(t))
	{
		/* the loop below on ASCII alone, into an exact-size buffer */
		const char *p = VARDATA_ANY(t);
		int			len = VARSIZE_ANY_EXHDR(t);
		char	   *o = palloc(len + 1);
		int			k = 0;

		for (int i = 0; i < len; i++)
		{
			unsigned char c = (unsigned char) p[i];

			if (c == ' ' || (c >= 0x09 && c <= 0x0D))
			{
				if (keep_spaces)
					o[k++] = ' ';
			}
			else if (c < 0x20 || c == 0x7F || ispunct(c))
				continue;
			else
				o[k++] = pg_ascii_tolower(c);
		}
		o[k] = '\0';
		return o;
	}
	initStringInfo(&folded);
	{
		pg_wchar   *w = text_chars(t, &n);

		fold(w, &folded);
	}
	initStringInfo(&out);
	for (int i = 0; i < folded.len; i++)
	{
		unsigned char c = (unsigned char) folded.data[i];

		if (c >= 0x80)
		{
			int			l = pg_utf_mblen((unsigned char *) folded.data + i);
			pg_wchar	cp = utf8_to_unicode((unsigned char *) folded.data + i);

			if (is_space(cp))
			{
				if (keep_spaces)
					appendStringInfoChar(&out, ' ');
			}
			else if (cp == 0xA9)
				appendStringInfoChar(&out, 'c');	/* © */
			else if (cp == 0xAE)
				appendStringInfoChar(&out, 'r');	/* ® */
			else if (is_punct(cp))
				;				/* punctuation beyond ASCII: O’Brien is O'Brien */
			else if (!is_invisible(cp))
			{
				/*
				 * Left as is: folding made Latin letters ASCII, and case
				 * mapping of other scripts would depend on the locale.
				 */
				appendBinaryStringInfo(&out, folded.data + i, l);
			}
			i += l - 1;
		}
		else if (c == ' ' || (c >= 0x09 && c <= 0x0D))
		{
			if (keep_spaces)
				appendStringInfoChar(&out, ' ');
		}
		else if (c < 0x20 || c == 0x7F || ispunct(c))
			continue;
		else
			appendStringInfoChar(&out, pg_ascii_tolower(c));
	}
	return out.data;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

PG_FUNCTION_INFO_V1(dataeng_fingerprint);

/*
 * dataeng_fingerprint
 *		OpenRefine's fingerprint key: the distinct words of the folded,
 *		lower-cased, unpunctuated text, sorted and joined by spaces.
 *		"Tom Cruise" and "Cruise, Tom" get the same key.
 */
Datum
dataeng_fingerprint(PG_FUNCTION_ARGS)
{
	char	   *s = key_chars(PG_GETARG_TEXT_PP(0), true);
	int			len = strlen(s);
	char	  **words = palloc(sizeof(char *) * (len / 2 + 1));
	int			nwords = 0,
				k = 0;
	char	   *tok,
			   *save,
			   *o;
	text	   *res;

	for (tok = strtok_r(s, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		words[nwords++] = tok;
	if (nwords > 1)
		qsort(words, nwords, sizeof(char *), cmp_str);
	/* the key is never longer than the text it comes from */
	res = (text *) palloc(VARHDRSZ + len + 1);
	o = VARDATA(res);
	for (int i = 0; i < nwords; i++)
	{
		int			wl;

		if (i > 0 && strcmp(words[i], words[i - 1]) == 0)
			continue;
		if (k > 0)
			o[k++] = ' ';
		wl = strlen(words[i]);
		memcpy(o + k, words[i], wl);
		k += wl;
	}
	SET_VARSIZE(res, VARHDRSZ + k);
	PG_RETURN_TEXT_P(res);
}

PG_FUNCTION_INFO_V1(dataeng_ngram_fingerprint);

/*
 * dataeng_ngram_fingerprint
 *		OpenRefine's n-gram fingerprint: the distinct n-grams of the folded,
 *		lower-cased text without punctuation or white space, sorted and
 *		concatenated.
 */
Datum
dataeng_ngram_fingerprint(PG_FUNCTION_ARGS)
{
	int			n = PG_GETARG_INT32(1);
	char	   *s;
	pg_wchar   *w;
	int			len;
	char	  **grams;
	char	   *block,
			   *o;
	int			ngrams = 0,
				k = 0;
	text	   *res;

	if (n < 1 || n > 10)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n-gram size must be between 1 and 10, not %d", n)));
	s = key_chars(PG_GETARG_TEXT_PP(0), false);
	w = palloc(sizeof(pg_wchar) * (strlen(s) + 1));
	len = pg_mb2wchar_with_len(s, w, strlen(s));
	grams = palloc(sizeof(char *) * (Max(len - n + 1, 0) + 1));
	/* every gram in one block: at most n characters of 4 bytes, and a NUL */
	block = palloc((Max(len - n + 1, 0) + 1) * (n * 4 + 1));
	for (int i = 0; i + n <= len; i++)
	{
		char	   *g = block + i * (n * 4 + 1);
		int			gl = 0;

		for (int k = 0; k < n; k++)
		{
			unicode_to_utf8(w[i + k], (unsigned char *) g + gl);
			gl += pg_utf_mblen((unsigned char *) g + gl);
		}
		g[gl] = '\0';
		grams[ngrams++] = g;
	}
	if (ngrams > 1)
		qsort(grams, ngrams, sizeof(char *), cmp_str);
	res = (text *) palloc(VARHDRSZ + ngrams * n * 4 + 1);
	o = VARDATA(res);
	for (int i = 0; i < ngrams; i++)
		if (i == 0 || strcmp(grams[i], grams[i - 1]) != 0)
		{
			int			gl = strlen(grams[i]);

			memcpy(o + k, grams[i], gl);
			k += gl;
		}
	SET_VARSIZE(res, VARHDRSZ + k);
	PG_RETURN_TEXT_P(res);
}
