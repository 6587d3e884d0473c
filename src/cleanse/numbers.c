/*-------------------------------------------------------------------------
 *
 * numbers.c
 *		dataeng.parse_number() and dataeng.parse_number_strict(): numbers as
 *		people and spreadsheets write them.
 *
 * "1,234.56", "1.234,56", "1 234,56", "1'234.56", "(12.50)", "-12", "12-",
 * "12%", "$1,234", "1.234,56 EUR", "−3", "–3", "1.5e3".  Group separators are
 * commas, periods, spaces (also no-break and thin spaces) and apostrophes;
 * currency symbols and ISO 4217 codes around the number are dropped
 * (not three capitals after it that spell a unit, "5 KGS");
 * a percent sign divides by 100.  When the decimal separator is not given,
 * it is inferred, and when the text is ambiguous ("1,234" or "1.234": one
 * separator followed by exactly three digits) the answer is NULL rather
 * than a guess; not when the digits before it are none or start with 0
 * ("0.001", ",125"), which no grouping writes.  Group separators must make
 * groups: one kind of separator, a first group of 1 to 3 digits not
 * starting with 0, then groups of 3 ("1,234,567"), or the
 * Indian grouping, 2-digit groups before the last 3 ("12,34,567"); any
 * other grouping ("12,5,3", "1,,234", "1,23", "0,001") is malformed, and
 * gives NULL rather than the digits run together.  A number numeric cannot
 * hold (more than 131072 digits before the decimal point, more than 16383
 * after) is not read either, rather than raising numeric_in's error.
 * A unit after the number ("5 kg", "-5 °C") is no number either: dropped,
 * it would make "5 g" and "5 kg" one number; parse_quantity reads them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

static bool
currency_char(pg_wchar c)
{
	return c == '$' || c == 0xA2 || c == 0xA3 || c == 0xA5 || c == 0x20AC ||
		c == 0x20B9 || c == 0x20BD || c == 0x20A9 || c == 0x20BA || c == 0x20AA ||
		c == 0x0E3F || c == 0x20B4 || c == 0x20A6;
}

static bool
space_char(pg_wchar c)
{
	return c == ' ' || c == 0xA0 || c == 0x202F || c == 0x2009 || c == 0x2007 || c == '\t';
}

/*
 * unit_code
 *		Whether the three capitals at w, after a number, are a unit that
 *		parse_quantity reads ("5 KGS", "5 LBS", "2 HRS") rather than a
 *		currency code.  Dropped as a currency, "5 KGS" and "5 LBS" were one
 *		number, 5, where "5 kgs" is no number; plural and upper-case unit
 *		abbreviations are common in shipping data, amounts in Kyrgyzstani
 *		som (KGS) are not.  CUP stays the Cuban peso: cups measure recipes,
 *		not freight.  (Before the number, three capitals are always a
 *		currency code: no unit is written there, so "KGS 500" is som.)
 */
static bool
unit_code(const pg_wchar *w)
{
	char		code[3];

	for (int i = 0; i < 3; i++)
		code[i] = (char) w[i];
	if (memcmp(code, "CUP", 3) == 0)
		return false;
	return cleanse_unit_spelled(code, 3);
}

/*
 * The currency codes dropped around a number: ISO 4217's (its funds and
 * metals too), the national currencies the euro and later ones replaced
 * (DEM, FRF, HRK, VEF...), which old data holds, and RMB and NTD, as
 * trade data writes the yuan and the Taiwan dollar.  Any three capitals
 * were taken for one: "5 PCS" and "5 BOX" were 5 where "5 pcs" is no
 * number, and "ABC 5" was 5.  Sorted, for bsearch.
 */
static const char *const currency_codes[] = {
	"AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "ATS", "AUD", "AWG",
	"AZN", "BAM", "BBD", "BDT", "BEF", "BGN", "BHD", "BIF", "BMD", "BND",
	"BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BYR", "BZD", "CAD",
	"CDF", "CHE", "CHF", "CHW", "CLF", "CLP", "CNY", "COP", "COU", "CRC",
	"CUC", "CUP", "CVE", "CYP", "CZK", "DEM", "DJF", "DKK", "DOP", "DZD",
	"EEK", "EGP", "ERN", "ESP", "ETB", "EUR", "FIM", "FJD", "FKP", "FRF",
	"GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GRD", "GTQ", "GYD", "HKD",
	"HNL", "HRK", "HTG", "HUF", "IDR", "IEP", "ILS", "INR", "IQD", "IRR",
	"ISK", "ITL", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW",
	"KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LTL",
	"LUF", "LVL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP",
	"MRO", "MRU", "MTL", "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN",
	"NAD", "NGN", "NIO", "NLG", "NOK", "NPR", "NTD", "NZD", "OMR", "PAB",
	"PEN", "PGK", "PHP", "PKR", "PLN", "PTE", "PYG", "QAR", "RMB", "RON",
	"RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP",
	"SIT", "SKK", "SLE", "SLL", "SOS", "SRD", "SSP", "STD", "STN", "SVC",
	"SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD",
	"TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED",
	"VEF", "VES", "VND", "VUV", "WST", "XAF", "XAG", "XAU", "XBA", "XBB",
	"XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU",
	"XTS", "XUA", "XXX", "YER", "ZAR", "ZMK", "ZMW", "ZWG", "ZWL",
};

static int
currency_code_cmp(const void *key, const void *elem)
{
	return memcmp(key, *(const char *const *) elem, 3);
}

/*
 * currency_code
 *		Whether the three characters at w are a currency code.
 */
static bool
currency_code(const pg_wchar *w)
{
	char		code[3];

	for (int i = 0; i < 3; i++)
	{
		if (w[i] < 'A' || w[i] > 'Z')
			return false;
		code[i] = (char) w[i];
	}
	return bsearch(code, currency_codes, lengthof(currency_codes), sizeof(currency_codes[0]),
				   currency_code_cmp) != NULL;
}

/* the most digits numeric holds before and after the decimal point */
#define NUMBER_MAX_INT_DIGITS	131072	/* NUMERIC weight limit (int16) x 4 */
#define NUMBER_MAX_SCALE		16383	/* NUMERIC_DSCALE_MASK */

/*
 * grouping_problem
 *		Why the group separators of the integer part of w[start..end) (up
 *		to the decimal separator dec or the exponent) do not make groups of
 *		digits, or NULL when they do (or there are none).
 */
static const char *
grouping_problem(const pg_wchar *w, int start, int end, char dec)
{
	pg_wchar	kind = 0;
	int			ngroups = 0,
				first = 0,
				cur = 0,
				i;
	bool		western = true,
				indian = true;

	for (i = start; i < end; i++)
	{
		pg_wchar	c = w[i];
		pg_wchar	k;

		if (c == (pg_wchar) dec || c == 'e' || c == 'E')
			break;
		if (c >= '0' && c <= '9')
		{
			cur++;
			continue;
		}
		/* a group separator: spaces are one kind, apostrophes another */
		k = space_char(c) ? ' ' : (c == 0x2019 ? '\'' : c);
		if (kind == 0)
			kind = k;
		else if (k != kind)
			return "group separators of more than one kind";
		if (ngroups == 0)
		{
			/* "0,001" or "012,345" is no grouping of a number */
			if (cur < 1 || cur > 3 || w[i - cur] == '0')
				return "a malformed digit grouping";
			first = cur;
		}
		else
		{
			western = western && cur == 3;
			indian = indian && cur == 2;
		}
		ngroups++;
		cur = 0;
	}
	if (ngroups == 0)
		return NULL;
	if (cur != 3 || !(western || (indian && first <= 2)))
		return "a malformed digit grouping";
	return NULL;
}

/*
 * cleanse_parse_number_text
 *		The canonical form ("-1234.56") of the number in s (len bytes), or
 *		NULL with *why set; *pct when it was a percentage.  dec is the
 *		decimal separator, or 0 to infer it.  Pure, for the fuzz target too.
 */
char *
cleanse_parse_number_text(const char *s, int len, char dec, bool *pct, const char **why)
{
	pg_wchar   *w = palloc(sizeof(pg_wchar) * (len + 1));
	int			n = pg_mb2wchar_with_len(s, w, len);

	return cleanse_parse_number_chars(w, n, dec, pct, why);
}

/* a hyphen-minus, an en dash or an em dash (written for missing cents) */
static inline bool
dash_char(pg_wchar c)
{
	return c == '-' || c == 0x2013 || c == 0x2014;
}

/*
 * minus_char
 *		A minus sign in front of a number: the hyphen-minus, U+2212 MINUS
 *		SIGN, or an en dash (U+2013), which typesetting and word processors
 *		write for a minus ("–5 °C").  (An em dash is no sign: it stands for
 *		a missing value, or for missing cents after a separator.)
 */
static inline bool
minus_char(pg_wchar c)
{
	return c == '-' || c == 0x2212 || c == 0x2013;
}

/* any dash: hyphen-minus, U+2010..U+2015 (hyphen to horizontal bar), U+2212 */
static inline bool
any_dash(pg_wchar c)
{
	return c == '-' || (c >= 0x2010 && c <= 0x2015) || c == 0x2212;
}

/*
 * word_char
 *		A letter of a unit or a word after a number: ASCII letters, the
 *		micro sign, and characters beyond Latin-1 but for General
 *		Punctuation (U+2000..U+206F: dashes, quotes, spaces) and the minus
 *		sign.  An en dash counted as a letter: "5 –" was "a unit or a word
 *		after the number", with the hint to read it with parse_quantity.
 */
static inline bool
word_char(pg_wchar c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == 0xB5 ||
		(c >= 0x100 && !(c >= 0x2000 && c <= 0x206F) && c != 0x2212);
}

/*
 * dash_problem
 *		Why a dash at w[i], where reading the number stopped, makes no
 *		number: between digits it makes a range ("5–7", "5-7"); after the
 *		digits ("5–", "5 —") it is no minus sign, as only '-' and U+2212 are
 *		after a number (an en dash is one only in front: "–5").  NULL when
 *		no digit comes before it.
 */
static const char *
dash_problem(const pg_wchar *w, int start, int i, int end)
{
	bool		before = false;

	for (int j = start; j < i; j++)
		before = before || (w[j] >= '0' && w[j] <= '9');
	if (!before)
		return NULL;
	for (int j = i + 1; j < end; j++)
		if (w[j] >= '0' && w[j] <= '9')
			return "a dash between numbers, as in a range";
	return "a dash after the number that is no minus sign";
}

/*
 * unit_after_number
 *		Whether w[i..end), where reading the number stopped, is a word after
 *		digits, as a unit ("1,234.5 kg", "5kg", "-5 °C"): letters (any
 *		script), the degree sign, the micro sign, superscript 2 and 3,
 *		periods, slashes and blanks, starting with a letter or the degree
 *		sign, after a digit and a blank, or two or more letters after a
 *		digit.  parse_number reads no units (a unit dropped would make
 *		"5 g" and "5 kg" one number): this only lets its strict form say so.
 */
static bool
unit_after_number(const pg_wchar *w, int start, int i, int end)
{
	int			j = i,
				letters = 0;
	bool		blank = false;

	while (j > start && space_char(w[j - 1]))
		j--, blank = true;
	if (j <= start || !(w[j - 1] >= '0' && w[j - 1] <= '9'))
		return false;
	if (!(word_char(w[i]) || w[i] == 0xB0))
		return false;
	for (j = i; j < end; j++)
	{
		pg_wchar	c = w[j];

		if (word_char(c))
			letters++;
		else if (!(c == 0xB0 || c == 0xB2 || c == 0xB3 || c == '.' || c == '/' ||
				   space_char(c)))
			return false;
	}
	return blank || letters >= 2;
}

/*
 * cleanse_parse_number_chars
 *		cleanse_parse_number_text() on the n characters (code points) at w;
 *		parse_quantity reads the number of a quantity with it.
 */
char *
cleanse_parse_number_chars(const pg_wchar *w, int n, char dec, bool *pct, const char **why)
{
	int			start = 0,
				end = n,
				i;
	bool		negative = false,
				percent = false,
				paren = false;
	int			ncomma = 0,
				ndot = 0,
				last_sep = -1;
	StringInfoData out;

	/* strip white space, currency symbols and letter codes at both ends */
	for (;;)
	{
		bool		moved = false;

		while (start < end && (space_char(w[start]) || currency_char(w[start])))
			start++, moved = true;
		while (end > start && (space_char(w[end - 1]) || currency_char(w[end - 1])))
			end--, moved = true;
		if (end - start >= 3 && currency_code(w + start))
			start += 3, moved = true;
		if (end - start >= 3 && currency_code(w + end - 3) && !unit_code(w + end - 3))
			end -= 3, moved = true;
		if (end > start && w[end - 1] == '%' && !percent)
			end--, percent = true, moved = true;
		if (end - start >= 2 && w[start] == '(' && w[end - 1] == ')' && !paren)
			start++, end--, paren = negative = true, moved = true;
		if (!moved)
			break;
	}
	/*
	 * "5,-", "5.-", "5,--" or "5.–" (a dash for the cents): a price with no
	 * minor units, as German, Swiss, Austrian and Nordic prices are written
	 * ("12,- €", "CHF 5.–"), the separator its decimal one.  The dash was
	 * read as a trailing minus sign: "5,- €" was -5.
	 */
	{
		int			dashes = 0;

		while (end - dashes - 1 > start && dash_char(w[end - dashes - 1]) && dashes < 2)
			dashes++;
		if (dashes > 0 && end - dashes - 2 >= start &&
			(w[end - dashes - 1] == ',' || w[end - dashes - 1] == '.') &&
			w[end - dashes - 2] >= '0' && w[end - dashes - 2] <= '9')
		{
			char		sep = (char) w[end - dashes - 1];

			if (dec != 0 && dec != sep)
			{
				*why = "a dash for the cents after a separator that is not the decimal one";
				return NULL;
			}
			dec = sep;
			end -= dashes + 1;
		}
	}
	if (end > start && (minus_char(w[start]) || w[start] == '+'))
	{
		negative = (w[start] != '+') ? !negative : negative;
		start++;
		/*
		 * a currency after the sign, as "-$12.25" (how money writes a
		 * negative amount in the C locale and US accounting), "-€5" or
		 * "-USD 5": without it the symbol was no part of a number (NULL)
		 */
		if (end > start && currency_char(w[start]))
		{
			while (start < end && currency_char(w[start]))
				start++;
			while (start < end && space_char(w[start]))
				start++;
		}
		else if (end - start >= 4 && currency_code(w + start) && space_char(w[start + 3]))
		{
			start += 3;
			while (start < end && space_char(w[start]))
				start++;
		}
	}
	else if (end > start && (w[end - 1] == '-' || w[end - 1] == 0x2212))
	{
		negative = !negative;
		end--;
		/* likewise a currency before a trailing sign, as "5 €-" */
		if (end > start && currency_char(w[end - 1]))
		{
			while (end > start && currency_char(w[end - 1]))
				end--;
			while (end > start && space_char(w[end - 1]))
				end--;
		}
		else if (end - start >= 4 && currency_code(w + end - 3) && space_char(w[end - 4]) &&
				 !unit_code(w + end - 3))
		{
			end -= 3;
			while (end > start && space_char(w[end - 1]))
				end--;
		}
	}
	if (start >= end)
	{
		*why = "no number";
		return NULL;
	}

	/* look at the separators */
	for (i = start; i < end; i++)
	{
		pg_wchar	c = w[i];

		if (c == ',')
			ncomma++, last_sep = i;
		else if (c == '.')
			ndot++, last_sep = i;
		else if ((c >= '0' && c <= '9') || space_char(c) || c == '\'' || c == 0x2019)
			continue;
		else if ((c == 'e' || c == 'E') && i > start && i + 1 < end)
			continue;			/* exponent, checked by numeric_in */
		else if ((c == '-' || c == '+') && i > start && (w[i - 1] == 'e' || w[i - 1] == 'E'))
			continue;
		else
		{
			if (unit_after_number(w, start, i, end))
				*why = "a unit or a word after the number";
			else if (!any_dash(c) || (*why = dash_problem(w, start, i, end)) == NULL)
				*why = "a character that is not part of a number";
			return NULL;
		}
	}
	if (dec == 0)
	{
		if (ncomma > 0 && ndot > 0)
			dec = (char) w[last_sep];
		else if (ncomma + ndot == 1)
		{
			int			digits_after = 0;

			for (i = last_sep + 1; i < end && w[i] >= '0' && w[i] <= '9'; i++)
				digits_after++;
			/*
			 * "0.001", ".125": a first group of 0 or no digits would be no
			 * grouping, so the separator can only be a decimal one
			 */
			if (digits_after == 3 && i == end &&
				!(last_sep == start || w[start] == '0'))
			{
				*why = "ambiguous: one separator followed by three digits";
				return NULL;
			}
			dec = (char) w[last_sep];
		}
		else if (ncomma > 1 && ndot == 0)
			dec = '.';			/* commas group */
		else if (ndot > 1 && ncomma == 0)
			dec = ',';			/* periods group */
		else
			dec = '.';
	}

	/* rebuild: digits, one decimal point, the exponent */
	initStringInfo(&out);
	if (negative)
		appendStringInfoChar(&out, '-');
	{
		bool		seen_dec = false;
		int			digits = 0;

		for (i = start; i < end; i++)
		{
			pg_wchar	c = w[i];

			if (c >= '0' && c <= '9')
			{
				appendStringInfoChar(&out, (char) c);
				digits++;
			}
			else if (c == (pg_wchar) dec)
			{
				if (seen_dec)
				{
					*why = "more than one decimal separator";
					return NULL;
				}
				seen_dec = true;
				appendStringInfoChar(&out, '.');
			}
			else if (c == 'e' || c == 'E' || c == '+' || c == '-')
				appendStringInfoChar(&out, (char) c);
			else if (seen_dec)
			{
				*why = "a group separator after the decimal separator";
				return NULL;
			}
		}
		if (digits == 0)
		{
			*why = "no digits";
			return NULL;
		}
	}
	if ((*why = grouping_problem(w, start, end, dec)) != NULL)
		return NULL;
	*pct = percent;
	*why = NULL;
	return out.data;
}

/*
 * cleanse_number_canon_problem
 *		Why numeric_in() would raise on the canonical text, or NULL: it
 *		raises on a malformed exponent, so its shape is checked first.
 */
const char *
cleanse_number_canon_problem(const char *canon)
{
	const char *e = strpbrk(canon, "eE");
	size_t		mantissa = e ? (size_t) (e - canon) : strlen(canon);

	/* "E3" (from "'E'3") has no digit before its exponent */
	if (strcspn(canon, "0123456789") >= mantissa)
		return "no digits";
	if (e != NULL)
	{
		const char *p = e + 1;

		if (*p == '+' || *p == '-')
			p++;
		if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 3)
			return "a malformed exponent";
	}
	if (strchr(canon + 1, '-') != NULL && (e == NULL || strchr(canon + 1, '-') < e))
		return "a misplaced minus sign";
	return NULL;
}

/*
 * number_range_problem
 *		Why numeric cannot hold the number of a well-formed canonical text
 *		(with two more decimals for a percentage), or NULL.
 */
static const char *
number_range_problem(const char *canon, bool percent)
{
	const char *p = canon;
	long		int_digits = 0,
				frac_digits = 0,
				exponent = 0;
	bool		seen_dec = false;

	if (*p == '-')
		p++;
	while (*p == '0')			/* leading zeros do not count */
		p++;
	for (; *p && *p != 'e' && *p != 'E'; p++)
	{
		if (*p == '.')
			seen_dec = true;
		else if (seen_dec)
			frac_digits++;
		else
			int_digits++;
	}
	if (*p)						/* at most 3 digits: cleanse_number_canon_problem */
		exponent = strtol(p + 1, NULL, 10);
	if (int_digits > 0 && int_digits + exponent > NUMBER_MAX_INT_DIGITS)
		return "more digits before the decimal point than numeric holds (131072)";
	if (Max(frac_digits - exponent, 0) + (percent ? 2 : 0) > NUMBER_MAX_SCALE)
		return "more digits after the decimal point than numeric holds (16383)";
	return NULL;
}

/*
 * to_numeric
 *		numeric_in() of the canonical text, divided by 100 for a percent;
 *		NULL (with *why) when numeric_in would not take it.
 */
static Datum
to_numeric(char *canon, bool percent, const char **why, bool *ok)
{
	Datum		num;

	*ok = false;
	if ((*why = cleanse_number_canon_problem(canon)) != NULL ||
		(*why = number_range_problem(canon, percent)) != NULL)
		return (Datum) 0;
	num = DirectFunctionCall3(numeric_in, CStringGetDatum(canon),
							  ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	if (percent)				/* exact: 12% is 0.12 */
		num = DirectFunctionCall2(numeric_mul, num,
								  DirectFunctionCall3(numeric_in, CStringGetDatum("0.01"),
													  ObjectIdGetDatum(InvalidOid),
													  Int32GetDatum(-1)));
	*ok = true;
	return num;
}

static char
decimal_arg(FunctionCallInfo fcinfo)
{
	text	   *d;

	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		return 0;
	d = PG_GETARG_TEXT_PP(1);
	if (VARSIZE_ANY_EXHDR(d) != 1 || (VARDATA_ANY(d)[0] != '.' && VARDATA_ANY(d)[0] != ','))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("decimal separator must be '.' or ','")));
	return VARDATA_ANY(d)[0];
}

/*
 * parse_number_arg
 *		cleanse_parse_number_text() of a text argument.  In a database of
 *		another encoding than UTF-8 or SQL_ASCII the text is read through
 *		UTF-8, so that its characters are code points: WIN1252 and LATIN9
 *		write the euro sign as bytes that decode to other characters (0x80,
 *		U+00A4), and '1.234,5 €' was "not a number" there.
 */
static char *
parse_number_arg(text *t, char dec, bool *pct, const char **why)
{
	int			enc = GetDatabaseEncoding();
	text	   *u;
	pg_wchar   *w;
	int			n;

	if (enc == PG_UTF8 || enc == PG_SQL_ASCII)
		return cleanse_parse_number_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), dec, pct, why);
	u = dataeng_text_to_utf8(t);
	if (u == NULL)
	{
		*why = "a character that is not part of a number";
		return NULL;
	}
	w = palloc(sizeof(pg_wchar) * (VARSIZE_ANY_EXHDR(u) + 1));
	n = pg_encoding_mb2wchar_with_len(PG_UTF8, VARDATA_ANY(u), w, VARSIZE_ANY_EXHDR(u));
	return cleanse_parse_number_chars(w, n, dec, pct, why);
}

PG_FUNCTION_INFO_V1(dataeng_parse_number);

/*
 * dataeng_parse_number
 *		The number written in the text, or NULL when there is none or it is
 *		ambiguous.
 */
Datum
dataeng_parse_number(PG_FUNCTION_ARGS)
{
	const char *why;
	char	   *canon;
	bool		ok,
				pct;
	Datum		r;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	{
		text	   *t = PG_GETARG_TEXT_PP(0);

		canon = parse_number_arg(t, decimal_arg(fcinfo), &pct, &why);
	}
	if (canon == NULL)
		PG_RETURN_NULL();
	r = to_numeric(canon, pct, &why, &ok);
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(r);
}

PG_FUNCTION_INFO_V1(dataeng_parse_number_strict);

/*
 * dataeng_parse_number_strict
 *		parse_number(), with an error saying why instead of NULL.
 */
Datum
dataeng_parse_number_strict(PG_FUNCTION_ARGS)
{
	const char *why;
	char	   *canon;
	bool		ok = false,
				pct;
	Datum		r = (Datum) 0;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	{
		text	   *t = PG_GETARG_TEXT_PP(0);

		canon = parse_number_arg(t, decimal_arg(fcinfo), &pct, &why);
	}
	if (canon != NULL)
		r = to_numeric(canon, pct, &why, &ok);
	if (canon == NULL || !ok)
	{
		char	   *shown = text_to_cstring(PG_GETARG_TEXT_PP(0));
		int			len = strlen(shown);

		/* the message shows at most 60 bytes of the text */
		if (len > 60)
			shown = psprintf("%.*s...", pg_mbcliplen(shown, len, 60), shown);
		if (strncmp(why, "more digits", 11) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("number \"%s\" is out of range for type numeric", shown),
					 errdetail("Problem: %s.", why)));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("\"%s\" is not a number", shown),
				 errdetail("Problem: %s.", why),
				 strncmp(why, "ambiguous", 9) == 0 ?
				 errhint("Pass the decimal separator ('.' or ',') to resolve it.") :
				 strncmp(why, "a unit", 6) == 0 ?
				 errhint("dataeng.parse_quantity() reads a number with its unit.") :
				 strncmp(why, "a dash after", 12) == 0 ?
				 errhint("A minus sign after a number is '-' or U+2212; an en dash (U+2013) is read as one only before the number.") :
				 strncmp(why, "a dash between", 14) == 0 ?
				 errhint("A range is two numbers: split it before reading them.") : 0));
	}
	PG_RETURN_DATUM(r);
}
