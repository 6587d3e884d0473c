/*-------------------------------------------------------------------------
 *
 * ids.c
 *		Validators of identifiers with check digits: Luhn numbers, payment
 *		card numbers, ISBNs, IBANs, and UUIDs.
 *
 * Each family has one C function that returns why a value fails (NULL when
 * it is valid); the SQL functions dataeng.is_X() and dataeng.X_problem()
 * are thin wrappers around it.  Spaces and hyphens between groups are
 * accepted where people write them.  Nothing here raises on any input.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"

/*
 * compact
 *		s without spaces and hyphens, upper-cased, in *out (palloc'd, so
 *		any length: the checks below judge the length, Luhn accepts any),
 *		with its length in *outlen; or why not: separators leading,
 *		trailing or doubled, or nothing at all.
 */
typedef enum CompactResult
{
	COMPACT_OK,
	COMPACT_EMPTY,
	COMPACT_BAD_SEPARATOR
} CompactResult;

static CompactResult
compact(const char *s, int len, char **out, int *outlen)
{
	char	   *d = palloc(len + 1);
	int			n = 0,
				i;
	bool		prev_sep = true;

	*out = d;
	*outlen = 0;
	d[0] = '\0';
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c == ' ' || c == '-')
		{
			if (prev_sep)
				return COMPACT_BAD_SEPARATOR;
			prev_sep = true;
			continue;
		}
		d[n++] = pg_ascii_toupper(c);
		prev_sep = false;
	}
	if (n == 0)
		return COMPACT_EMPTY;
	if (prev_sep)
		return COMPACT_BAD_SEPARATOR;
	d[n] = '\0';
	*outlen = n;
	return COMPACT_OK;
}

static bool
all_digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/*
 * digits_problem
 *		Compact s into a string of digits (*d, *n): NULL, or why s is not
 *		one (the reason luhn_problem and credit_card_problem give).
 */
static const char *
digits_problem(const char *s, int len, char **d, int *n)
{
	switch (compact(s, len, d, n))
	{
		case COMPACT_EMPTY:
			return "no digits";
		case COMPACT_BAD_SEPARATOR:
			return "not a group of digits";
		case COMPACT_OK:
			break;
	}
	if (!all_digits(*d, *n))
		return "contains a character that is not a digit";
	return NULL;
}

/*
 * luhn_ok
 *		The Luhn (mod 10) check over a string of digits.
 */
static bool
luhn_ok(const char *d, int n)
{
	int			sum = 0;
	bool		dbl = false;

	for (int i = n - 1; i >= 0; i--)
	{
		int			v = d[i] - '0';

		if (dbl)
		{
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum = (sum + v) % 10;	/* any length, no overflow */
		dbl = !dbl;
	}
	return sum == 0;
}

static const char *
luhn_problem(const char *s, int len)
{
	char	   *d;
	int			n;
	const char *problem;

	if ((problem = digits_problem(s, len, &d, &n)) != NULL)
		return problem;
	if (n < 2)
		return "too short to carry a check digit";
	if (!luhn_ok(d, n))
		return "the Luhn check digit does not match";
	return NULL;
}

/*
 * Payment card issuers: prefix range (on the first digits) and lengths.
 */
typedef struct CardIssuer
{
	const char *name;
	int			lo,
				hi;				/* prefix range, same number of digits */
	int			minlen,
				maxlen;
} CardIssuer;

static const CardIssuer card_issuers[] = {
	{"American Express", 34, 34, 15, 15},
	{"American Express", 37, 37, 15, 15},
	{"Diners Club", 300, 305, 14, 19},
	{"Diners Club", 36, 36, 14, 19},
	{"Diners Club", 38, 39, 14, 19},
	{"Discover", 6011, 6011, 16, 19},
	{"Discover", 644, 649, 16, 19},
	{"Discover", 65, 65, 16, 19},
	{"JCB", 3528, 3589, 16, 19},
	{"Mastercard", 51, 55, 16, 16},
	{"Mastercard", 2221, 2720, 16, 16},
	{"Maestro", 50, 50, 12, 19},
	{"Maestro", 56, 58, 12, 19},
	{"Maestro", 63, 63, 12, 19},
	{"Maestro", 67, 67, 12, 19},
	{"UnionPay", 62, 62, 16, 19},
	{"Visa", 4, 4, 13, 19},
	{"Mir", 2200, 2204, 16, 19},
	{"RuPay", 60, 60, 16, 16},
	{"RuPay", 81, 82, 16, 16},
};

static const char *
credit_card_problem(const char *s, int len)
{
	char	   *d;
	int			n,
				i;
	const char *problem;

	if ((problem = digits_problem(s, len, &d, &n)) != NULL)
		return problem;
	if (n < 12 || n > 19)
		return "a card number has 12 to 19 digits";
	for (i = 0; i < (int) lengthof(card_issuers); i++)
	{
		const CardIssuer *ci = &card_issuers[i];
		int			digits = (ci->lo >= 1000) ? 4 : (ci->lo >= 100) ? 3 : (ci->lo >= 10) ? 2 : 1;
		int			prefix = 0;

		for (int k = 0; k < digits; k++)
			prefix = prefix * 10 + (d[k] - '0');
		if (prefix >= ci->lo && prefix <= ci->hi)
		{
			if (n < ci->minlen || n > ci->maxlen)
				return "the length does not match the card issuer";
			return luhn_ok(d, n) ? NULL : "the Luhn check digit does not match";
		}
	}
	return "the number does not start with a known card issuer prefix";
}

static const char *
isbn_problem(const char *s, int len)
{
	char	   *d;
	int			n,
				sum = 0;

	switch (compact(s, len, &d, &n))
	{
		case COMPACT_EMPTY:
			return "an ISBN has 10 or 13 characters";
		case COMPACT_BAD_SEPARATOR:
			return "not an ISBN: separators must sit between digits";
		case COMPACT_OK:
			break;
	}
	if (n == 10)
	{
		for (int i = 0; i < 9; i++)
		{
			if (d[i] < '0' || d[i] > '9')
				return "an ISBN-10 has nine digits before its check character";
			sum += (d[i] - '0') * (10 - i);
		}
		if (d[9] == 'X')
			sum += 10;
		else if (d[9] >= '0' && d[9] <= '9')
			sum += d[9] - '0';
		else
			return "the ISBN-10 check character is not a digit or X";
		return (sum % 11 == 0) ? NULL : "the ISBN-10 check character does not match";
	}
	if (n == 13)
	{
		if (!all_digits(d, 13))
			return "an ISBN-13 has 13 digits";
		if (strncmp(d, "978", 3) != 0 && strncmp(d, "979", 3) != 0)
			return "an ISBN-13 starts with 978 or 979";
		for (int i = 0; i < 13; i++)
			sum += (d[i] - '0') * ((i % 2) ? 3 : 1);
		return (sum % 10 == 0) ? NULL : "the ISBN-13 check digit does not match";
	}
	return "an ISBN has 10 or 13 characters";
}

/*
 * IBAN formats from the SWIFT IBAN registry: country, total length, and
 * the BBAN's structure as runs of n (digits), a (capital letters) and c
 * (letters or digits).  The registry's later entries are here too (RU
 * 2020, SD 2021, BI DJ FK MN NI SO 2023, HN OM YE 2024): their IBANs were
 * refused as "the country does not use IBANs".
 */
typedef struct IbanFormat
{
	char		country[3];
	int			length;
	const char *bban;
} IbanFormat;

static const IbanFormat iban_formats[] = {
	{"AD", 24, "4n4n12c"}, {"AE", 23, "3n16n"}, {"AL", 28, "8n16c"},
	{"AT", 20, "5n11n"}, {"AZ", 28, "4a20c"}, {"BA", 20, "3n3n8n2n"},
	{"BE", 16, "3n7n2n"}, {"BG", 22, "4a4n2n8c"}, {"BH", 22, "4a14c"},
	{"BI", 27, "5n5n11n2n"}, {"BR", 29, "8n5n10n1a1c"}, {"BY", 28, "4c4n16c"},
	{"CH", 21, "5n12c"}, {"CR", 22, "4n14n"}, {"CY", 28, "3n5n16c"},
	{"CZ", 24, "4n6n10n"}, {"DE", 22, "8n10n"}, {"DJ", 27, "5n5n11n2n"},
	{"DK", 18, "4n9n1n"}, {"DO", 28, "4c20n"}, {"EE", 20, "2n2n11n1n"},
	{"EG", 29, "4n4n17n"}, {"ES", 24, "4n4n1n1n10n"}, {"FI", 18, "3n11n"},
	{"FK", 18, "2a12n"}, {"FO", 18, "4n9n1n"}, {"FR", 27, "5n5n11c2n"},
	{"GB", 22, "4a6n8n"}, {"GE", 22, "2a16n"}, {"GI", 23, "4a15c"},
	{"GL", 18, "4n9n1n"}, {"GR", 27, "3n4n16c"}, {"GT", 28, "4c20c"},
	{"HN", 28, "4a20n"}, {"HR", 21, "7n10n"}, {"HU", 28, "3n4n1n15n1n"},
	{"IE", 22, "4a6n8n"}, {"IL", 23, "3n3n13n"}, {"IQ", 23, "4a3n12n"},
	{"IS", 26, "4n2n6n10n"}, {"IT", 27, "1a5n5n12c"}, {"JO", 30, "4a4n18c"},
	{"KW", 30, "4a22c"}, {"KZ", 20, "3n13c"}, {"LB", 28, "4n20c"},
	{"LC", 32, "4a24c"}, {"LI", 21, "5n12c"}, {"LT", 20, "5n11n"},
	{"LU", 20, "3n13c"}, {"LV", 21, "4a13c"}, {"LY", 25, "3n3n15n"},
	{"MC", 27, "5n5n11c2n"}, {"MD", 24, "2c18c"}, {"ME", 22, "3n13n2n"},
	{"MK", 19, "3n10c2n"}, {"MN", 20, "4n12n"}, {"MR", 27, "5n5n11n2n"},
	{"MT", 31, "4a5n18c"}, {"MU", 30, "4a2n2n12n3n3a"}, {"NI", 28, "4a20n"},
	{"NL", 18, "4a10n"}, {"NO", 15, "4n6n1n"}, {"OM", 23, "3n16c"},
	{"PK", 24, "4a16c"}, {"PL", 28, "8n16n"}, {"PS", 29, "4a21c"},
	{"PT", 25, "4n4n11n2n"}, {"QA", 29, "4a21c"}, {"RO", 24, "4a16c"},
	{"RS", 22, "3n13n2n"}, {"RU", 33, "9n5n15c"}, {"SA", 24, "2n18c"},
	{"SC", 31, "4a2n2n16n3a"}, {"SD", 18, "2n12n"}, {"SE", 24, "3n16n1n"},
	{"SI", 19, "5n8n2n"}, {"SK", 24, "4n6n10n"}, {"SM", 27, "1a5n5n12c"},
	{"SO", 23, "4n3n12n"}, {"ST", 25, "4n4n11n2n"}, {"SV", 28, "4a20n"},
	{"TL", 23, "3n14n2n"}, {"TN", 24, "2n3n13n2n"}, {"TR", 26, "5n1n16c"},
	{"UA", 29, "6n19c"}, {"VA", 22, "3n15n"}, {"VG", 24, "4a16n"},
	{"XK", 20, "4n10n2n"}, {"YE", 30, "4a4n18c"},
};

/*
 * bban_matches
 *		Whether the BBAN follows its country's structure.
 */
static bool
bban_matches(const char *b, int n, const char *pattern)
{
	int			pos = 0;
	const char *p = pattern;

	while (*p)
	{
		int			count = 0;
		char		kind;

		while (*p >= '0' && *p <= '9')
			count = count * 10 + (*p++ - '0');
		kind = *p++;
		for (int i = 0; i < count; i++, pos++)
		{
			char		c;

			if (pos >= n)
				return false;
			c = b[pos];
			if (kind == 'n' && !(c >= '0' && c <= '9'))
				return false;
			if (kind == 'a' && !(c >= 'A' && c <= 'Z'))
				return false;
			if (kind == 'c' && !((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
				return false;
		}
	}
	return pos == n;
}

const char *
validate_iban_problem(const char *s, int len)
{
	char	   *d;
	int			n,
				i,
				rem = 0;
	const IbanFormat *f = NULL;

	/* IBANs are written in groups of four separated by spaces */
	if (compact(s, len, &d, &n) != COMPACT_OK || n < 5)
		return "not an IBAN: too short or badly separated";
	for (i = 0; i < n; i++)
		if (!((d[i] >= 'A' && d[i] <= 'Z') || (d[i] >= '0' && d[i] <= '9')))
			return "an IBAN has only letters and digits";
	if (!(d[0] >= 'A' && d[0] <= 'Z' && d[1] >= 'A' && d[1] <= 'Z'))
		return "an IBAN starts with a two-letter country code";
	if (!(d[2] >= '0' && d[2] <= '9' && d[3] >= '0' && d[3] <= '9'))
		return "the country code is followed by two check digits";
	for (i = 0; i < (int) lengthof(iban_formats); i++)
		if (d[0] == iban_formats[i].country[0] && d[1] == iban_formats[i].country[1])
			f = &iban_formats[i];
	if (f == NULL)
		return "the country does not use IBANs";
	if (n != f->length)
		return "the length does not match the country's IBAN length";
	if (!bban_matches(d + 4, n - 4, f->bban))
		return "the account part does not follow the country's format";

	/*
	 * ISO 13616 check digits are 98 minus a remainder mod 97: 02 to 98.  00,
	 * 01 and 99 pass the mod-97 test (as 97, 98 and 02 do) but are never
	 * issued, and other validators (Apache Commons Validator) refuse them.
	 */
	if ((d[2] == '0' && (d[3] == '0' || d[3] == '1')) || (d[2] == '9' && d[3] == '9'))
		return "the check digits are not between 02 and 98";
	/* mod 97 of BBAN + country + check digits, letters as 10..35 */
	for (i = 0; i < n; i++)
	{
		char		c = d[(i + 4) % n];

		if (c >= 'A')
			rem = (rem * 100 + (c - 'A' + 10)) % 97;
		else
			rem = (rem * 10 + (c - '0')) % 97;
	}
	return (rem == 1) ? NULL : "the check digits do not match (mod 97)";
}

/*
 * uuid_problem
 *		The textual forms PostgreSQL's uuid type reads: 32 hex digits,
 *		optionally in braces, with a hyphen allowed after any group of four.
 */
static const char *
uuid_problem(const char *s, int len)
{
	int			digits = 0,
				i = 0,
				end = len;

	if (len > 0 && s[0] == '{')
	{
		if (s[len - 1] != '}')
			return "the opening brace is not closed";
		i = 1;
		end = len - 1;
	}
	for (; i < end; i++)
	{
		char		c = s[i];

		if (isxdigit((unsigned char) c))
			digits++;
		else if (c == '-' && digits > 0 && digits % 4 == 0 && digits < 32 && s[i - 1] != '-')
			continue;
		else
			return "a UUID has only hexadecimal digits and hyphens between groups";
	}
	if (digits != 32)
		return "a UUID has 32 hexadecimal digits";
	if (s[end - 1] == '-')
		return "a UUID does not end with a hyphen";
	return NULL;
}

/*
 * The SQL functions: is_X(text) and X_problem(text) for each family.
 */
#define ID_VALIDATOR(sqlname, check) \
PG_FUNCTION_INFO_V1(dataeng_is_##sqlname); \
Datum \
dataeng_is_##sqlname(PG_FUNCTION_ARGS) \
{ \
	text	   *t = PG_GETARG_TEXT_PP(0); \
	PG_RETURN_BOOL(check(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) == NULL); \
} \
PG_FUNCTION_INFO_V1(dataeng_##sqlname##_problem); \
Datum \
dataeng_##sqlname##_problem(PG_FUNCTION_ARGS) \
{ \
	text	   *t = PG_GETARG_TEXT_PP(0); \
	return validate_problem_result(fcinfo, check(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t))); \
}

ID_VALIDATOR(luhn, luhn_problem)
ID_VALIDATOR(credit_card, credit_card_problem)
ID_VALIDATOR(isbn, isbn_problem)
ID_VALIDATOR(iban, validate_iban_problem)
ID_VALIDATOR(uuid, uuid_problem)
