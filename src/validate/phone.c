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

/*
 * validate_phone_range
 *		Whether the text (UTF-8, len bytes) writes a range of numbers, not
 *		one: an en or em dash (U+2013, U+2014), then digits alone to its
 *		end, no more of them than the group of digits before the dash, and
 *		greater than that group's last as many ("555-0100 - 0199" and
 *		"030 1234560-99", the dash before 0199 and 99 an en dash).
 *		libphonenumber reads such a dash as any other, and the digits of
 *		both ends run together were a number (+4930123456099 in Germany,
 *		where numbers vary in length).  A dash between a shorter and a
 *		longer group ("030 - 1234560", an area code a word processor's dash
 *		sets apart) still separates the parts of one number.
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

	for (i = 0; i + 2 < len; i++)
		if ((unsigned char) s[i] == 0xE2 && (unsigned char) s[i + 1] == 0x80 &&
			((unsigned char) s[i + 2] == 0x93 || (unsigned char) s[i + 2] == 0x94))
			dash = s + i;
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
