/*-------------------------------------------------------------------------
 *
 * dates.c
 *		dataeng.is_date(text, format) and dataeng.date_problem(text, format):
 *		strict date validation.
 *
 * Unlike to_date(), which skips what it does not understand and rolls
 * 2026-02-30 over to March, the whole text must match the format, every
 * numeric field must have its digits (all of them, unless the FM prefix
 * makes leading zeros optional), and the date must exist.  The format uses
 * to_date()'s patterns: YYYY YY MM DD Mon MON mon Month MONTH month Dy DY
 * dy Day DAY day HH24 HH12 HH MI SS SSSS (SSSSS) AM PM, FM, "quoted literal text";
 * any other non-letter must appear as is.  Month and day names match
 * without to_char()'s padding to nine characters.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"

static const char *const month_names[] = {
	"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"
};
static const char *const day_names[] = {
	"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"
};

typedef struct DateFields
{
	int			year,
				month,
				day,
				hour,
				minute,
				second,
				weekday;		/* 0 = Sunday */
	bool		hour12;			/* HH, HH12 or AM/PM: a 12-hour clock */
	int			ampm;			/* -1 none, 0 am, 1 pm */
} DateFields;

/*
 * set_field
 *		Stores v in a field not read yet, or checks that it is the value read
 *		before: a format naming a field twice (MM and Mon, DD twice) gives
 *		one date only when both say the same, as to_date() insists
 *		("conflicting values for "MM" field"); the last value read won, so
 *		'01 2026 02' was a date of 'MM YYYY MM'.  False on a conflict.
 */
static bool
set_field(int *field, int v)
{
	if (*field != -1 && *field != v)
		return false;
	*field = v;
	return true;
}

static bool
prefix_ci(const char *s, int slen, const char *word, int wlen)
{
	return slen >= wlen && pg_strncasecmp(s, word, wlen) == 0;
}

/*
 * read_number
 *		Exactly n digits (1..n with fm) into *v; the count consumed, or -1.
 */
static int
read_number(const char *s, int slen, int n, bool fm, int *v)
{
	int			i = 0;

	*v = 0;
	while (i < n && i < slen && s[i] >= '0' && s[i] <= '9')
	{
		*v = *v * 10 + (s[i] - '0');
		i++;
	}
	if (i == 0 || (!fm && i < n))
		return -1;
	return i;
}

/*
 * read_name
 *		One of names, in full or as its three-letter abbreviation; the
 *		index in *v and the length consumed, or -1.
 */
static int
read_name(const char *s, int slen, const char *const *names, int count, bool abbrev,
		  int *v)
{
	for (int i = 0; i < count; i++)
	{
		int			len = abbrev ? 3 : (int) strlen(names[i]);

		if (prefix_ci(s, slen, names[i], len))
		{
			*v = i;
			return len;
		}
	}
	return -1;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static void format_error_fm(void) pg_attribute_noreturn();
static void format_error_quote(void) pg_attribute_noreturn();
static void format_error_pattern(const char *fp, int fleft) pg_attribute_noreturn();

static void
format_error_fm(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("date format ends with FM"),
			 errhint("FM goes before the numeric pattern whose leading zeros it makes optional.")));
}

static void
format_error_quote(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unterminated quoted text in date format")));
}

static void
format_error_pattern(const char *fp, int fleft)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("date format pattern at \"%.*s\" is not supported",
					/* (8 bytes at most, cut at a character's end) */
					pg_mbcliplen(fp, fleft, Min(fleft, 8)), fp),
			 errhint("Use YYYY, YY, MM, DD, Mon, Month, Dy, Day, HH24, HH12, MI, SS, SSSS, AM, PM, FM and \"literal text\".")));
}

/*
 * check_date_format
 *		Raises for a format validate_date_problem() does not understand,
 *		whatever the value: the value was read first, and a value that
 *		failed before the bad pattern was reached gave false where another
 *		raised (a CHECK constraint with a bad format accepted some rows and
 *		failed on others).  The patterns are tried in the order the reader
 *		tries them.
 */
static void
check_date_format(const char *f, int flen)
{
	static const char *const patterns[] = {
		"YYYY", "YY", "MONTH", "MON", "MM", "MI", "DAY", "DY", "DD",
		"HH24", "HH12", "HH", "SSSSS", "SSSS", "SS", "AM", "PM"
	};
	int			fi = 0;

	while (fi < flen)
	{
		const char *fp = f + fi;
		int			fleft = flen - fi;
		bool		known = false;

		if (prefix_ci(fp, fleft, "FM", 2))
		{
			fi += 2;
			if (fi == flen)
				format_error_fm();
			continue;
		}
		if (*fp == '"')
		{
			const char *end = memchr(fp + 1, '"', fleft - 1);

			if (end == NULL)
				format_error_quote();
			fi += end - fp + 1;
			continue;
		}
		for (int i = 0; i < (int) lengthof(patterns); i++)
		{
			int			len = strlen(patterns[i]);

			if (prefix_ci(fp, fleft, patterns[i], len))
			{
				fi += len;
				known = true;
				break;
			}
		}
		if (known)
			continue;
		if (isalpha((unsigned char) *fp))
			format_error_pattern(fp, fleft);
		fi += 1;
	}
}

/*
 * validate_date_problem
 *		Why s is not a date written in format f, or NULL.  Raises only for a
 *		format it does not understand (whatever s is).
 */
const char *
validate_date_problem(const char *s, int slen, const char *f, int flen)
{
	DateFields d = {-1, -1, -1, -1, -1, -1, -1, false, -1};
	int			si = 0,
				fi = 0,
				ssss = -1;		/* SSSS: seconds past midnight */
	const char *conflict = NULL;

	check_date_format(f, flen);
	while (fi < flen)
	{
		const char *fp = f + fi;
		int			fleft = flen - fi;
		const char *sp = s + si;
		int			sleft = slen - si;
		bool		fm = false;
		int			used = -1,
					v = 0;

		if (prefix_ci(fp, fleft, "FM", 2))
		{
			fm = true;
			fi += 2;
			fp += 2;
			fleft -= 2;
			if (fleft == 0)
				format_error_fm();
		}
		if (fleft > 0 && *fp == '"')
		{
			const char *end = memchr(fp + 1, '"', fleft - 1);
			int			len;

			if (end == NULL)
				format_error_quote();
			len = end - fp - 1;
			if (sleft < len || memcmp(sp, fp + 1, len) != 0)
				return "the text does not match the format's literal text";
			si += len;
			fi += len + 2;
			continue;
		}
		if (prefix_ci(fp, fleft, "YYYY", 4))
		{
			used = read_number(sp, sleft, 4, fm, &v);
			if (used >= 0 && !set_field(&d.year, v))
				conflict = "the format gives the year two different values";
			fi += 4;
		}
		else if (prefix_ci(fp, fleft, "YY", 2))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			/* to_date()'s century: the year nearest 2020 (99 is 1999) */
			if (used >= 0 && !set_field(&d.year, v < 70 ? 2000 + v : 1900 + v))
				conflict = "the format gives the year two different values";
			fi += 2;
		}
		else if (prefix_ci(fp, fleft, "MONTH", 5))
		{
			used = read_name(sp, sleft, month_names, 12, false, &v);
			if (used >= 0 && !set_field(&d.month, v + 1))
				conflict = "the format gives the month two different values";
			fi += 5;
		}
		else if (prefix_ci(fp, fleft, "MON", 3))
		{
			used = read_name(sp, sleft, month_names, 12, true, &v);
			if (used >= 0 && !set_field(&d.month, v + 1))
				conflict = "the format gives the month two different values";
			fi += 3;
		}
		else if (prefix_ci(fp, fleft, "MM", 2))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			if (used >= 0 && !set_field(&d.month, v))
				conflict = "the format gives the month two different values";
			fi += 2;
		}
		else if (prefix_ci(fp, fleft, "MI", 2))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			if (used >= 0 && !set_field(&d.minute, v))
				conflict = "the format gives the minute two different values";
			fi += 2;
		}
		else if (prefix_ci(fp, fleft, "DAY", 3))
		{
			used = read_name(sp, sleft, day_names, 7, false, &v);
			if (used >= 0 && !set_field(&d.weekday, v))
				conflict = "the format gives the day of the week two different values";
			fi += 3;
		}
		else if (prefix_ci(fp, fleft, "DY", 2))
		{
			used = read_name(sp, sleft, day_names, 7, true, &v);
			if (used >= 0 && !set_field(&d.weekday, v))
				conflict = "the format gives the day of the week two different values";
			fi += 2;
		}
		else if (prefix_ci(fp, fleft, "DD", 2))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			if (used >= 0 && !set_field(&d.day, v))
				conflict = "the format gives the day two different values";
			fi += 2;
		}
		else if (prefix_ci(fp, fleft, "HH24", 4))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			if (used >= 0 && !set_field(&d.hour, v))
				conflict = "the format gives the hour two different values";
			fi += 4;
		}
		else if (prefix_ci(fp, fleft, "HH12", 4) || prefix_ci(fp, fleft, "HH", 2))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			if (used >= 0 && !set_field(&d.hour, v))
				conflict = "the format gives the hour two different values";
			d.hour12 = true;
			fi += prefix_ci(fp, fleft, "HH12", 4) ? 4 : 2;
		}
		else if (prefix_ci(fp, fleft, "SSSS", 4))
		{
			/*
			 * seconds past midnight (SSSSS too), as to_char() writes them:
			 * without leading zeros; they were read as two SS fields, so
			 * that '0505' was a time and to_char()'s '3600' was not
			 */
			used = read_number(sp, sleft, 5, true, &v);
			if (used >= 0 && !set_field(&ssss, v))
				conflict = "the format gives the seconds past midnight two different values";
			fi += prefix_ci(fp, fleft, "SSSSS", 5) ? 5 : 4;
		}
		else if (prefix_ci(fp, fleft, "SS", 2))
		{
			used = read_number(sp, sleft, 2, fm, &v);
			if (used >= 0 && !set_field(&d.second, v))
				conflict = "the format gives the second two different values";
			fi += 2;
		}
		else if (prefix_ci(fp, fleft, "AM", 2) || prefix_ci(fp, fleft, "PM", 2))
		{
			if (prefix_ci(sp, sleft, "AM", 2))
				v = 0, used = 2;
			else if (prefix_ci(sp, sleft, "PM", 2))
				v = 1, used = 2;
			if (used >= 0 && !set_field(&d.ampm, v))
				conflict = "the format gives AM and PM both";
			/* a meridiem makes the clock a 12-hour one, as in to_date() */
			d.hour12 = true;
			fi += 2;
		}
		else if (isalpha((unsigned char) *fp))
			format_error_pattern(fp, fleft);
		else
		{
			/* a separator: must be there as is */
			if (sleft < 1 || *sp != *fp)
				return "the text does not match the format's separators";
			used = 1;
			fi += 1;
		}
		if (used < 0)
			return "a field of the format is missing or malformed";
		if (conflict != NULL)
			return conflict;
		si += used;
	}
	if (si != slen)
		return "the text goes on after the format ends";

	if (d.month != -1 && (d.month < 1 || d.month > 12))
		return "the month is not between 1 and 12";
	if (d.day != -1)
	{
		static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		int			month = (d.month == -1) ? 1 : d.month;
		int			max = days[month - 1];

		if (month == 2 && (d.year == -1 || leap_year(d.year)))
			max = 29;
		if (d.day < 1 || d.day > max)
			return "the day does not exist in that month";
	}
	if (d.year == 0)
		return "there is no year 0";
	if (d.hour != -1 && (d.hour12 ? (d.hour < 1 || d.hour > 12) : d.hour > 23))
		return "the hour is out of range";
	if (ssss > 86399)
		return "the seconds past midnight are out of range";
	if (ssss != -1)
	{
		int			h = ssss / 3600;

		/* the time they give is the one the other fields give, if any */
		if (d.hour != -1 && d.hour != (d.hour12 ? (h % 12 == 0 ? 12 : h % 12) : h))
			return "the format gives the hour two different values";
		if (d.ampm != -1 && d.ampm != (h >= 12))
			return "the format gives the hour two different values";
		if (!set_field(&d.minute, ssss % 3600 / 60))
			return "the format gives the minute two different values";
		if (!set_field(&d.second, ssss % 60))
			return "the format gives the second two different values";
	}
	if (d.minute > 59)
		return "the minute is out of range";
	if (d.second > 59)
		return "the second is out of range";
	if (d.weekday != -1 && d.year != -1 && d.month != -1 && d.day != -1)
	{
		/* Zeller-style day of week, 0 = Sunday */
		int			y = d.year,
					m = d.month,
					dow;

		if (m < 3)
		{
			m += 12;
			y--;
		}
		dow = (d.day + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400 + 6) % 7;
		if (dow != d.weekday)
			return "the day of the week does not match the date";
	}
	return NULL;
}

/*
 * date_arg_problem
 *		validate_date_problem() of the SQL functions' arguments (text,
 *		format).
 */
static const char *
date_arg_problem(FunctionCallInfo fcinfo)
{
	text	   *t = PG_GETARG_TEXT_PP(0);
	text	   *f = PG_GETARG_TEXT_PP(1);

	return validate_date_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
								 VARDATA_ANY(f), VARSIZE_ANY_EXHDR(f));
}

PG_FUNCTION_INFO_V1(dataeng_is_date);

/*
 * dataeng_is_date
 *		Whether the text is a date written exactly in the format.
 */
Datum
dataeng_is_date(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(date_arg_problem(fcinfo) == NULL);
}

PG_FUNCTION_INFO_V1(dataeng_date_problem);

/*
 * dataeng_date_problem
 *		Why the text is not a date written in the format, or NULL.
 */
Datum
dataeng_date_problem(PG_FUNCTION_ARGS)
{
	return validate_problem_result(fcinfo, date_arg_problem(fcinfo));
}
