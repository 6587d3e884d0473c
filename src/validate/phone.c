/*-------------------------------------------------------------------------
 *
 * phone.c
 *		Phone number validators on top of libphonenumber (phone_shim.cpp):
 *		dataeng.is_phone(), dataeng.phone_possible(), dataeng.phone_problem().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"
#include "validate/phone_shim.h"

/* longer input is no phone number: spare the library */
#define PHONE_MAX_INPUT 250

/*
 * validate_phone_region_code
 *		A region argument as an upper-case ISO 3166 code in buf (3 bytes);
 *		an unknown region is the caller's error, not the number's.
 */
const char *
validate_phone_region_code(text *t, char *buf)
{
	if (VARSIZE_ANY_EXHDR(t) == 2)
	{
		buf[0] = pg_ascii_toupper(VARDATA_ANY(t)[0]);
		buf[1] = pg_ascii_toupper(VARDATA_ANY(t)[1]);
		buf[2] = '\0';
		if (dataeng_phone_region_known(buf))
			return buf;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown phone region \"%s\"", text_to_cstring(t)),
			 errhint("Use an ISO 3166 alpha-2 country code such as 'US' or 'GB', or NULL for numbers in international format.")));
	return NULL;
}

/* whether s[i] begins an en or em dash (U+2013, U+2014) */
static bool
phone_dash_at(const char *s, int i, int len)
{
	return i + 2 < len && (unsigned char) s[i] == 0xE2 && (unsigned char) s[i + 1] == 0x80 &&
		((unsigned char) s[i + 2] == 0x93 || (unsigned char) s[i + 2] == 0x94);
}

/*
 * phone_char_len
 *		The length of the character at s[i] if a written number may hold
 *		it (a digit, a blank, + - . / ( ), an en or em dash), else 0.
 */
static int
phone_char_len(const char *s, int i, int len)
{
	if (s[i] != '\0' && ((s[i] >= '0' && s[i] <= '9') || strchr(" +-./()", s[i]) != NULL))
		return 1;
	return phone_dash_at(s, i, len) ? 3 : 0;
}

/* at most this many digits in each end of a range written in full */
#define PHONE_RANGE_DIGITS 32

/*
 * phone_digits
 *		The digits of s[from..to) into buf (at most PHONE_RANGE_DIGITS), and
 *		the length of their first group (the digits before the first other
 *		character after one); -1 when there are more, or when the text
 *		holds a character no number holds.
 */
static int
phone_digits(const char *s, int from, int to, char *buf, int *first)
{
	int			n = 0;
	int			i = from;

	*first = -1;
	while (i < to)
	{
		int			step = phone_char_len(s, i, to);

		if (step == 0)
			return -1;
		if (step == 1 && s[i] >= '0' && s[i] <= '9')
		{
			if (n == PHONE_RANGE_DIGITS)
				return -1;
			buf[n++] = s[i];
		}
		else if (n > 0 && *first < 0)
			*first = n;
		i += step;
	}
	if (*first < 0)
		*first = n;
	return n;
}

/*
 * phone_full_range
 *		Whether the dash at s[dash] (dashlen bytes) sets two ends of a range
 *		apart, the second written in full: after it, to the end of the
 *		text, a number of as many digits as the one before it (from the
 *		last character no number holds, as in "Tel. 030 ..."), greater, and
 *		beginning with the same group of digits (the area or country code:
 *		"030 1234560 - 030 1234599", "202-555-0100 - 202-555-0199").  One
 *		number written with a dash between its parts ("0891 - 2345") has
 *		other groups on either side.
 */
static bool
phone_full_range(const char *s, int len, int dash, int dashlen)
{
	char		before[PHONE_RANGE_DIGITS],
				after[PHONE_RANGE_DIGITS];
	int			nbefore,
				nafter,
				fbefore,
				fafter,
				start = 0,
				i = 0;

	while (i < dash)
	{
		int			step = phone_char_len(s, i, dash);

		if (step == 0)
		{
			step = pg_utf_mblen((const unsigned char *) s + i);
			start = i + step;
		}
		i += step;
	}
	nbefore = phone_digits(s, start, dash, before, &fbefore);
	nafter = phone_digits(s, dash + dashlen, len, after, &fafter);
	return nbefore > 0 && nafter == nbefore && fafter == fbefore &&
		memcmp(before, after, fbefore) == 0 && memcmp(after, before, nafter) > 0;
}

/*
 * validate_phone_range
 *		Whether the text (UTF-8, len bytes) writes a range of numbers, not
 *		one: an en or em dash (U+2013, U+2014), then digits alone to its
 *		end, no more of them than the group of digits before the dash, and
 *		greater than that group's last as many ("555-0100 - 0199" and
 *		"030 1234560-99", the dash before 0199 and 99 an en dash); or an en
 *		or em dash, or a hyphen with a blank on each side, then the second
 *		end written in full (phone_full_range()).  libphonenumber reads
 *		such a dash as any other, and the digits of both ends run together
 *		were a number (+4930123456099 in Germany, where numbers vary in
 *		length; "089 123 - 089 456" was +4989123089456).  A dash between a
 *		shorter and a longer group ("030 - 1234560", an area code a word
 *		processor's dash sets apart) still separates the parts of one
 *		number, and a hyphen between groups ("030 1234560-99", an
 *		extension as DIN 5008 writes it) joins them.
 */
bool
validate_phone_range(const char *s, int len)
{
	const char *dash = NULL;
	int			i,
				after,
				nafter = 0,
				group,
				ngroup = 0;

	for (i = 0; i < len; i++)
	{
		if (phone_dash_at(s, i, len))
		{
			dash = s + i;
			if (phone_full_range(s, len, i, 3))
				return true;
		}
		else if (s[i] == '-' && i > 0 && s[i - 1] == ' ' && i + 1 < len && s[i + 1] == ' ' &&
				 phone_full_range(s, len, i, 1))
			return true;
	}
	if (dash == NULL)
		return false;
	/* after the last dash: blanks, digits, blanks, the end */
	i = dash - s + 3;
	while (i < len && s[i] == ' ')
		i++;
	after = i;
	while (i < len && s[i] >= '0' && s[i] <= '9')
		i++, nafter++;
	while (i < len && s[i] == ' ')
		i++;
	if (nafter == 0 || i < len)
		return false;
	/* the group of digits before it */
	i = dash - s - 1;
	while (i >= 0 && s[i] == ' ')
		i--;
	while (i >= 0 && s[i] >= '0' && s[i] <= '9')
		i--, ngroup++;
	group = i + 1;
	if (ngroup == 0 || nafter > ngroup)
		return false;
	return memcmp(s + after, s + group + ngroup - nafter, nafter) > 0;
}

/*
 * phone_region
 *		The region argument of a phone function, or NULL.
 */
static const char *
phone_region(FunctionCallInfo fcinfo, char *buf)
{
	if (PG_NARGS() < 2 || PG_ARGISNULL(1))
		return NULL;
	return validate_phone_region_code(PG_GETARG_TEXT_PP(1), buf);
}

/*
 * phone_check
 *		Parse the first argument; the reason it is not a number, or NULL.
 */
static const char *
phone_check(FunctionCallInfo fcinfo, bool *valid, bool *possible)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	char		region_buf[3];
	const char *region = phone_region(fcinfo, region_buf);
	int			v,
				p;
	char		e164[32];

	*valid = *possible = false;
	if (VARSIZE_ANY_EXHDR(t) > PHONE_MAX_INPUT)
		return "too long to be a phone number";
	/* libphonenumber reads UTF-8: a LATIN1 no-break space was no separator */
	t = dataeng_text_to_utf8(t);
	if (t == NULL)
		return "not a phone number";
	if (VARSIZE_ANY_EXHDR(t) > PHONE_MAX_INPUT)
		return "too long to be a phone number";
	if (validate_phone_range(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)))
		return "a range of numbers, not one number";
	switch (dataeng_phone_check(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), region,
								&v, &p, e164, sizeof(e164)))
	{
		case PHONE_PARSED:
			break;
		case PHONE_BAD_COUNTRY:
			return region ? "the country calling code is not valid" :
				"no valid country calling code (give a region for national numbers)";
		case PHONE_TOO_SHORT:
			return "too short";
		case PHONE_TOO_LONG:
			return "too long";
		case PHONE_INTERNAL:
			return "could not be parsed";
		default:
			return "not a phone number";
	}
	*valid = (v != 0);
	*possible = (p != 0);
	if (!*possible)
		return "not a possible length for its country";
	if (!*valid)
		return "not a valid number for its country";
	return NULL;
}

/*
 * phone_surely_not
 *		Whether the value is surely no phone number without asking
 *		libphonenumber: it is ASCII and holds no digit ('n/a', '', 'unknown',
 *		'-').  libphonenumber's parse looks for the first '+' or digit (any
 *		Unicode digit: those are not ASCII) and needs digits for a national
 *		number; vanity letters are read only beside three digits or more.
 *		So such a value is neither valid nor possible, as its answer would
 *		say, at a few nanoseconds instead of tens of microseconds: messy
 *		columns hold many of them.  (phone_problem still asks, for its
 *		reason; sql_tests/validate_phone_fast.sql compares both answers on
 *		every value of its data.)  The region is read first: an unknown one
 *		is an error whatever the value.
 */
static bool
phone_surely_not(FunctionCallInfo fcinfo)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	const unsigned char *p = (const unsigned char *) VARDATA_ANY(t);
	int			len = VARSIZE_ANY_EXHDR(t);
	char		region_buf[3];

	(void) phone_region(fcinfo, region_buf);
	for (int i = 0; i < len; i++)
		if ((p[i] >= '0' && p[i] <= '9') || p[i] >= 0x80)
			return false;
	return true;
}

PG_FUNCTION_INFO_V1(dataeng_is_phone);

/*
 * dataeng_is_phone
 *		Whether the text is a valid phone number (as dialled from region).
 */
Datum
dataeng_is_phone(PG_FUNCTION_ARGS)
{
	bool		valid,
				possible;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (phone_surely_not(fcinfo))
		PG_RETURN_BOOL(false);
	phone_check(fcinfo, &valid, &possible);
	PG_RETURN_BOOL(valid);
}

PG_FUNCTION_INFO_V1(dataeng_phone_possible);

/*
 * dataeng_phone_possible
 *		Whether the text has a possible length for its country (a cheaper,
 *		looser test than validity).
 */
Datum
dataeng_phone_possible(PG_FUNCTION_ARGS)
{
	bool		valid,
				possible;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (phone_surely_not(fcinfo))
		PG_RETURN_BOOL(false);
	phone_check(fcinfo, &valid, &possible);
	PG_RETURN_BOOL(possible);
}

PG_FUNCTION_INFO_V1(dataeng_phone_problem);

/*
 * dataeng_phone_problem
 *		Why the text is not a valid phone number, or NULL.
 */
Datum
dataeng_phone_problem(PG_FUNCTION_ARGS)
{
	bool		valid,
				possible;
	const char *why;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	why = phone_check(fcinfo, &valid, &possible);
	return validate_problem_result(fcinfo, why);
}
