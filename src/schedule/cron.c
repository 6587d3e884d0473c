/*-------------------------------------------------------------------------
 *
 * cron.c
 *		Job schedules: 5-field cron expressions, @keywords and intervals.
 *
 * A schedule is one of
 *	 - a 5-field cron expression "minute hour day-of-month month day-of-week"
 *	   with *, numbers, ranges (a-b), lists (a,b), steps (x/n) and English
 *	   month and day names, read in dataeng.timezone (UTC by default);
 *	 - @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly;
 *	 - an interval ("30 seconds", "5 minutes", "1 day"): the job runs that
 *	   long after its previous start.
 *
 * As in Vixie cron, when both day-of-month and day-of-week are restricted a
 * day matches when either does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "pgtime.h"

#include "common/common.h"
#include "schedule/schedule.h"

/* one parsed cron field: bit i set when value i matches */
typedef struct CronSpec
{
	uint64		minutes;		/* 0..59 */
	uint32		hours;			/* 0..23 */
	uint32		days;			/* 1..31 */
	uint32		months;			/* 1..12 */
	uint32		weekdays;		/* 0..6, Sunday = 0 */
	bool		minutes_star;	/* minute field starts with "*" */
	bool		hours_star;		/* hour field starts with "*" */
	bool		days_star;		/* day-of-month field starts with "*" */
	bool		weekdays_star;	/* day-of-week field starts with "*" */
} CronSpec;

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec", NULL
};
static const char *const day_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL
};

static const char *const field_names[] = {
	"minute", "hour", "day of month", "month", "day of week"
};
static const int field_min[] = {0, 0, 1, 1, 0};
static const int field_max[] = {59, 23, 31, 12, 7};
static const char *const field_hint_names[] = {
	"", "", "", " or JAN-DEC", " (0 and 7: Sunday) or SUN-SAT"
};

/*
 * Errors are reported with the whole schedule and the offending part.
 * With "report" false, parsing only returns false.  An error inside one
 * field of a cron expression (CRON_FAIL_FIELD) hints at that field's
 * syntax and range; the others at the forms a schedule may take.
 */
#define CRON_HINT_FORMS \
	"Use a 5-field cron expression such as \"*/5 * * * *\", " \
	"@hourly, @daily, @weekly, @monthly, @yearly, " \
	"or an interval such as \"30 seconds\"."
#define CRON_FAIL(...) \
	do { \
		if (report) \
			ereport(ERROR, \
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
					 errmsg("invalid schedule \"%s\"", whole), \
					 errdetail(__VA_ARGS__), \
					 errhint(CRON_HINT_FORMS))); \
		return false; \
	} while (0)
#define CRON_FAIL_FIELD(field, ...) \
	do { \
		if (report) \
			ereport(ERROR, \
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE), \
					 errmsg("invalid schedule \"%s\"", whole), \
					 errdetail(__VA_ARGS__), \
					 errhint("The fields are minute hour day-of-month month day-of-week, " \
							 "each *, a value, a range (a-b), a list (a,b,c) or a step " \
							 "(*/n, a-b/n), as in \"*/5 * * * *\" or \"0 9 * * MON-FRI\"; " \
							 "the values of the %s field are %d-%d%s.", field_names[field], \
							 field_min[field], field_max[field], field_hint_names[field]))); \
		return false; \
	} while (0)

/* read a number or a name at *p; advance *p */
static bool
cron_value(const char **p, int field, int *out, const char *whole, bool report)
{
	const char *s = *p;

	if (isdigit((unsigned char) *s))
	{
		long		v = 0;

		while (isdigit((unsigned char) *s))
		{
			v = v * 10 + (*s - '0');
			if (v > 1000)
				break;
			s++;
		}
		if (v < field_min[field] || v > field_max[field])
		{
			/* the number as written (reading stopped past 1000) */
			int			digits = 0;

			while (isdigit((unsigned char) (*p)[digits]))
				digits++;
			CRON_FAIL_FIELD(field, "Value %.*s of the %s field is out of range %d-%d.", digits, *p, field_names[field],
					  field_min[field], field_max[field]);
		}
		*out = (int) v;
		*p = s;
		return true;
	}
	if (isalpha((unsigned char) *s) && (field == 3 || field == 4))
	{
		const char *const *names = field == 3 ? month_names : day_names;
		int			i;

		for (i = 0; names[i]; i++)
		{
			if (pg_strncasecmp(s, names[i], 3) == 0 &&
				!isalpha((unsigned char) s[3]))
			{
				*out = field == 3 ? i + 1 : i;
				*p = s + 3;
				return true;
			}
		}
	}
	if (*s == '\0')
		CRON_FAIL_FIELD(field, "The %s field ends where a value is expected.", field_names[field]);
	CRON_FAIL_FIELD(field, "Unexpected \"%.20s\" in the %s field.", s, field_names[field]);
}

/* parse one field (a NUL-terminated copy) into a bit mask */
static bool
cron_field(const char *f, int field, uint64 *mask, bool *star,
		   const char *whole, bool report)
{
	const char *p = f;

	*mask = 0;

	/*
	 * A day field that starts with "*" ("*", "*\/2", "*,5") is not
	 * restricted, as Vixie cron and pg_cron read it (crontab(5): "if both
	 * fields are restricted (i.e., don't start with *)"): "0 0 *\/2 * mon"
	 * is an odd day that is a Monday.  Only a bare "*" counted, so that
	 * schedule ran on every odd day and every Monday.
	 */
	*star = (f[0] == '*');
	for (;;)
	{
		int			lo,
					hi,
					step = 1,
					v;
		bool		single = false;

		if (*p == '*')
		{
			lo = field_min[field];
			hi = field == 4 ? 6 : field_max[field];
			p++;
		}
		else
		{
			const char *written = p;

			if (!cron_value(&p, field, &lo, whole, report))
				return false;
			hi = lo;
			single = (*p != '-');
			if (*p == '-')
			{
				bool		named;

				p++;
				named = isalpha((unsigned char) *p);
				if (!cron_value(&p, field, &hi, whole, report))
					return false;
				/*
				 * "sun" ending a range of days is 7, as Sunday may be
				 * written: "fri-sun" is Friday to Sunday, not backwards.
				 * "sun-sun" (and "0-sun") stay Sunday: read as 0-7, they
				 * matched every day of the week.
				 */
				if (field == 4 && named && hi == 0 && lo > 0)
					hi = 7;
				if (hi < lo)
					CRON_FAIL_FIELD(field, "Range %.*s in the %s field is backwards.", (int) (p - written), written,
							  field_names[field]);
			}
		}
		if (*p == '/')
		{
			long		s = 0;
			const char *digits;

			p++;
			digits = p;
			if (!isdigit((unsigned char) *p))
				CRON_FAIL_FIELD(field, "The step in the %s field must be a number.", field_names[field]);
			/* (all its digits read: one stopped past 1000 left the rest) */
			while (isdigit((unsigned char) *p))
			{
				if (s <= 1000)
					s = s * 10 + (*p - '0');
				p++;
			}
			if (s < 1 || s > field_max[field])
				CRON_FAIL_FIELD(field, "Step %.*s in the %s field is out of range 1-%d.", (int) (p - digits), digits,
						  field_names[field], field_max[field]);
			step = (int) s;
			/*
			 * "5/15" means 5-max/15; for the day of week max is 7 (Sunday),
			 * as in a range: "7/1" is Sunday (it matched no day), "5/1"
			 * Friday to Sunday, as "5-7/1" (it stopped at Saturday)
			 */
			if (single)
				hi = field_max[field];
		}
		for (v = lo; v <= hi; v += step)
			*mask |= UINT64CONST(1) << (field == 4 && v == 7 ? 0 : v);
		if (*p == ',')
		{
			p++;
			continue;
		}
		if (*p != '\0')
			CRON_FAIL_FIELD(field, "Unexpected \"%.20s\" in the %s field.", p, field_names[field]);
		break;
	}
	return true;
}

/* parse a cron expression or @keyword; false if it is neither */
static bool
cron_parse(const char *sched, CronSpec *spec, bool report)
{
	const char *whole = sched;
	const char *expr = sched;
	char	   *copy;
	char	   *fields[6];
	int			nf = 0;
	char	   *p;
	int			i;

	while (isspace((unsigned char) *expr))
		expr++;
	if (*expr == '@')
	{
		static const struct
		{
			const char *name;
			const char *expr;
		}			kw[] = {
			{"@yearly", "0 0 1 1 *"},
			{"@annually", "0 0 1 1 *"},
			{"@monthly", "0 0 1 * *"},
			{"@weekly", "0 0 * * 0"},
			{"@daily", "0 0 * * *"},
			{"@midnight", "0 0 * * *"},
			{"@hourly", "0 * * * *"},
		};
		char	   *k = pstrdup(expr);
		int			n = strlen(k);

		while (n > 0 && isspace((unsigned char) k[n - 1]))
			k[--n] = '\0';
		for (i = 0; i < (int) lengthof(kw); i++)
			if (pg_strcasecmp(k, kw[i].name) == 0)
				return cron_parse(kw[i].expr, spec, report);
		CRON_FAIL("Unknown keyword \"%s\".", k);
	}

	copy = pstrdup(expr);
	p = copy;
	while (*p)
	{
		while (isspace((unsigned char) *p))
			*p++ = '\0';
		if (!*p)
			break;
		if (nf == 6)
			break;
		fields[nf++] = p;
		while (*p && !isspace((unsigned char) *p))
			p++;
	}
	if (nf != 5)
		return false;

	memset(spec, 0, sizeof(*spec));
	for (i = 0; i < 5; i++)
	{
		uint64		mask;
		bool		star;

		if (!cron_field(fields[i], i, &mask, &star, whole, report))
			return false;
		switch (i)
		{
			case 0:
				spec->minutes = mask;
				spec->minutes_star = star;
				break;
			case 1:
				spec->hours = (uint32) mask;
				spec->hours_star = star;
				break;
			case 2:
				spec->days = (uint32) mask;
				spec->days_star = star;
				break;
			case 3:
				spec->months = (uint32) mask;
				break;
			case 4:
				spec->weekdays = (uint32) mask;
				spec->weekdays_star = star;
				break;
		}
	}
	return true;
}

/* does a day match, by Vixie cron's rule? */
static bool
cron_day_matches(const CronSpec *spec, int y, int m, int d)
{
	bool		dom = (spec->days >> d) & 1;
	bool		dow = (spec->weekdays >> j2day(date2j(y, m, d))) & 1;

	if (spec->days_star || spec->weekdays_star)
		return dom && dow;
	return dom || dow;
}

/*
 * cron_search
 *		The first minute at or after the fields given (y, m, d, h, mi: a
 *		wall-clock time, mi may be 60) that the spec matches, in the same
 *		fields; false when there is none within eight years (e.g. "0 0 30 2 *").
 */
static bool
cron_search(const CronSpec *spec, int *yp, int *mp, int *dp, int *hp, int *mip)
{
	int			y = *yp,
				m = *mp,
				d = *dp,
				h = *hp,
				mi = *mip;
	int			limit_year = y + 8;

	for (;;)
	{
		/* normalize the carry of mi/h/d/m */
		if (mi > 59)
		{
			mi = 0;
			h++;
		}
		if (h > 23)
		{
			h = 0;
			d++;
		}
		if (d > day_tab[isleap(y)][m - 1])
		{
			d = 1;
			m++;
		}
		if (m > 12)
		{
			m = 1;
			y++;
		}
		if (y > limit_year)
			return false;

		if (!((spec->months >> m) & 1))
		{
			m++;
			d = 1;
			h = 0;
			mi = 0;
			if (m > 12)
			{
				m = 1;
				y++;
			}
			continue;
		}
		if (!cron_day_matches(spec, y, m, d))
		{
			d++;
			h = 0;
			mi = 0;
			continue;
		}
		if (!((spec->hours >> h) & 1))
		{
			h++;
			mi = 0;
			continue;
		}
		if (!((spec->minutes >> mi) & 1))
		{
			mi++;
			continue;
		}
		break;
	}
	*yp = y;
	*mp = m;
	*dp = d;
	*hp = h;
	*mip = mi;
	return true;
}

/*
 * cron_search_from
 *		The first wall-clock minute the spec matches at or after the minute
 *		of "from" plus "skip" minutes (a wall time past the start of its
 *		minute counts from the next one), or DT_NOEND.
 */
static Timestamp
cron_search_from(const CronSpec *spec, Timestamp from, int skip)
{
	struct pg_tm tm;
	fsec_t		fsec;
	Timestamp	result;

	if (TIMESTAMP_NOT_FINITE(from) ||
		timestamp2tm(from, NULL, &tm, &fsec, NULL, NULL) != 0)
		return DT_NOEND;
	/* a wall time past the start of its minute: the next minute */
	if (skip == 0 && (tm.tm_sec != 0 || fsec != 0))
		skip = 1;
	tm.tm_min += skip;
	if (!cron_search(spec, &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min))
		return DT_NOEND;
	tm.tm_sec = 0;
	if (tm2timestamp(&tm, 0, NULL, &result) != 0)
		return DT_NOEND;
	return result;
}

/*
 * zone_period
 *		The UTC offset (seconds) of zone tz at instant t, and the next
 *		change of offset after t (its instant and the offset from then):
 *		false when the offset never changes again.
 */
static bool
zone_period(pg_tz *tz, TimestampTz t, long *off, TimestampTz *change, long *next_off)
{
	pg_time_t	secs = timestamptz_to_time_t(t);
	pg_time_t	boundary = 0;
	long		before = 0,
				after = 0;
	int			before_dst,
				after_dst;
	int			r;

	r = pg_next_dst_boundary(&secs, &before, &before_dst, &boundary, &after, &after_dst, tz);
	if (r == 1 && boundary <= secs)
	{
		/* a change at t itself: t is past it */
		secs++;
		r = pg_next_dst_boundary(&secs, &before, &before_dst, &boundary, &after, &after_dst, tz);
	}
	*off = before;
	if (r != 1)
		return false;
	*change = time_t_to_timestamptz(boundary);
	*next_off = after;
	return true;
}

/*
 * dataeng.timezone's zone, or NULL for UTC (read without a zone)
 */
static pg_tz *
cron_zone(void)
{
	if (dataeng_timezone == NULL || pg_strcasecmp(dataeng_timezone, "UTC") == 0)
		return NULL;
	return pg_tzset(dataeng_timezone);
}

/*
 * sched_timezone_check
 *		GUC check hook of dataeng.timezone: a time zone name PostgreSQL
 *		knows (as the TimeZone setting takes).
 */
bool
sched_timezone_check(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || pg_strcasecmp(*newval, "UTC") == 0)
		return true;
	if (pg_tzset(*newval) == NULL)
	{
		GUC_check_errdetail("Time zone \"%s\" is not known to PostgreSQL (see pg_timezone_names).", *newval);
		return false;
	}
	return true;
}

/*
 * cron_next
 *		The first minute strictly after "after" that the spec matches, its
 *		fields read in dataeng.timezone, or DT_NOEND when there is none
 *		within eight years (e.g. "0 0 30 2 *").
 *
 *		Across a change of the zone's offset, as Vixie cron does: a time
 *		the clock skips (02:30 on a spring-forward night in most zones)
 *		runs at the change, once; a job at a fixed time (minute and hour
 *		not starting with "*") whose time comes twice (01:30 on a fall-back
 *		night) runs at its first occurrence only; a job with a wildcard
 *		minute or hour ("*\/15 * * * *", @hourly) follows the clock through
 *		the repeated hour too.  In UTC nothing of this ever happens.
 */
static TimestampTz
cron_next(const CronSpec *spec, TimestampTz after)
{
	pg_tz	   *tz = cron_zone();
	bool		fixed = !spec->minutes_star && !spec->hours_star;
	TimestampTz t = after;		/* start of the period of one offset */
	Timestamp	from;			/* wall time the search starts at */
	int			skip = 1;		/* the first search: strictly after */
	int			i;

	if (TIMESTAMP_NOT_FINITE(after))
		return DT_NOEND;
	if (tz == NULL)
		return cron_search_from(spec, after, 1);	/* UTC: wall time is the instant */

	/*
	 * The offset's changes, one period after the other (at most two a year
	 * in a zone with summer time; eight years of them).
	 */
	from = 0;
	for (i = 0; i < 40; i++)
	{
		long		off,
					next_off = 0;
		TimestampTz change = DT_NOEND;
		bool		changes = zone_period(tz, t, &off, &change, &next_off);
		Timestamp	wall;
		TimestampTz candidate;

		if (i == 0)
		{
			from = after + off * USECS_PER_SEC;

			/*
			 * "after" in the repeated hour of a fall-back: a job at a fixed
			 * time skips what the clock showed before the change
			 */
			if (fixed)
			{
				long		off0,
							next_off0;
				TimestampTz change0;

				if (zone_period(tz, after - USECS_PER_DAY, &off0, &change0, &next_off0) &&
					change0 <= after && next_off0 < off0 &&
					from < change0 + off0 * USECS_PER_SEC)
				{
					from = change0 + off0 * USECS_PER_SEC;
					skip = 0;
				}
			}
		}
		wall = cron_search_from(spec, from, skip);
		if (wall == DT_NOEND)
			return DT_NOEND;
		candidate = wall - off * USECS_PER_SEC;
		if (!changes || candidate < change)
			return candidate;

		/* the match is past the change: read on with the next offset */
		skip = 0;
		t = change;
		if (next_off > off)
		{
			/* the clock skips [change + off, change + next_off): run at the change */
			if (wall < change + next_off * USECS_PER_SEC)
				return change;
			from = change + next_off * USECS_PER_SEC;
		}
		else if (next_off < off && fixed)
		{
			/* the clock repeats [change + next_off, change + off): once only */
			from = change + off * USECS_PER_SEC;
		}
		else
			from = change + next_off * USECS_PER_SEC;
	}
	return DT_NOEND;
}

/*
 * interval_parse
 *		Parse an interval schedule without raising; true on success.
 */
static bool
interval_parse(const char *s, Interval *out)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm;

	if (strlen(s) >= sizeof(workbuf) - 1)
		return false;

	/*
	 * '*' and '/' are cron syntax, never an interval's: PostgreSQL's
	 * interval input reads a cron expression missing a field (every 5
	 * minutes with the day of week left out) as 5 seconds.  (A comma may
	 * separate an interval's parts: '1 hour, 30 minutes'.)
	 */
	if (strpbrk(s, "*/") != NULL)
		return false;
	if (ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0)
		return false;
	if (DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE, &dtype, &itm) != 0)
		return false;
	if (dtype != DTK_DELTA)
		return false;
	if (itmin2interval(&itm, out) != 0)
		return false;
	return true;
}

/* an interval shorter than one second (as interval comparison says) */
static bool
interval_shorter_than_second(const Interval *iv)
{
	Interval	second;

	memset(&second, 0, sizeof(second));
	second.time = USECS_PER_SEC;
	return DatumGetBool(DirectFunctionCall2(interval_lt,
											IntervalPGetDatum(iv),
											IntervalPGetDatum(&second)));
}

/* the fields of schedule s: its runs of characters other than white space */
static int
cron_field_count(const char *s)
{
	int			nf = 0;

	while (*s)
	{
		while (isspace((unsigned char) *s))
			s++;
		if (!*s)
			break;
		nf++;
		while (*s && !isspace((unsigned char) *s))
			s++;
	}
	return nf;
}

/*
 * schedule_next_ext
 *		Parse a schedule and compute its next time after "after".  Raises
 *		a clear error on a bad schedule.  An interval schedule runs
 *		"interval" after "after".
 *
 *		An interval shorter than a second is refused (22023): '1 microsecond'
 *		had a job started back to back, hundreds of runs a second.  With
 *		"clamp_short", for a job already stored with one (a database
 *		upgraded from 0.1.0, which took any positive interval, or a row
 *		written by hand), it counts as 1 second instead: the job keeps
 *		running, once a second.
 */
TimestampTz
schedule_next_ext(const char *sched, TimestampTz after, bool clamp_short)
{
	CronSpec	spec;
	Interval	iv;
	const char *whole = sched;
	bool		report = true;

	if (cron_parse(sched, &spec, true))
	{
		TimestampTz next = cron_next(&spec, after);

		if (next == DT_NOEND)
			CRON_FAIL("The expression never matches a date.");
		return next;
	}
	if (interval_parse(sched, &iv))
	{
		Interval	zero;

		memset(&zero, 0, sizeof(zero));
		if (DatumGetBool(DirectFunctionCall2(interval_le,
											 IntervalPGetDatum(&iv),
											 IntervalPGetDatum(&zero))))
			CRON_FAIL("An interval schedule must be positive.");
		if (interval_shorter_than_second(&iv))
		{
			if (!clamp_short)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid schedule \"%s\"", whole),
						 errdetail("The interval %s is shorter than a second, the shortest schedule.", whole),
						 errhint("Use '1 second' or more.")));
			memset(&iv, 0, sizeof(iv));
			iv.time = USECS_PER_SEC;
		}

		/*
		 * Months added and days or time taken away (or the reverse): a month
		 * is 28 to 31 days, so such an interval goes back from some dates
		 * ('1 month -29 days' after February 1 is January 31), and a job
		 * due again at once ran back to back all February.  Days and time
		 * mix safely: in UTC a day is always 24 hours.
		 */
		if ((iv.month > 0 && (iv.day < 0 || iv.time < 0)) ||
			(iv.month < 0 && (iv.day > 0 || iv.time > 0)))
		{
			if (!clamp_short)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid schedule \"%s\"", whole),
						 errdetail("The interval %s adds months and takes days or time away, or the reverse: a month is 28 to 31 days long, so from some dates it goes back ('1 month -29 days' after February 1 is January 31).", whole),
						 errhint("Give an interval whose parts all count forward, such as '1 month', '2 days' or '1 day 2 hours'.")));
		}
		/*
		 * Added in UTC (elapsed time, whatever dataeng.timezone): a timestamptz is UTC
		 * inside, and timestamp arithmetic on it adds days and months with
		 * no zone.  timestamptz_pl_interval added them in the session's
		 * TimeZone, so "1 day" was 23 or 25 hours across a DST change in
		 * one zone and 24 in another: the first run (computed by
		 * schedule(), in the caller's zone) and the next ones (by the
		 * scheduler, in the server's) disagreed.
		 */
		{
			TimestampTz next = DatumGetTimestamp(DirectFunctionCall2(timestamp_pl_interval,
																	 TimestampGetDatum(after),
																	 IntervalPGetDatum(&iv)));

			/*
			 * A job stored with such an interval (by hand, or by a version
			 * that took it) runs at most once a second, as one shorter than
			 * a second does
			 */
			if (!TIMESTAMP_NOT_FINITE(after) && !TIMESTAMP_NOT_FINITE(next) &&
				next < after + USECS_PER_SEC)
				next = after + USECS_PER_SEC;
			return next;
		}
	}
	if (strpbrk(sched, "*/,") != NULL)
		CRON_FAIL("A cron expression has 5 fields (minute, hour, day of month, month, day of week); this one has %d.",
				  cron_field_count(sched));
	CRON_FAIL("It is neither a 5-field cron expression, an @keyword nor an interval.");
	return 0;					/* not reached */
}

/* the schedule of a new or changed job: an interval under a second refused */
TimestampTz
schedule_next(const char *sched, TimestampTz after)
{
	return schedule_next_ext(sched, after, false);
}

PG_FUNCTION_INFO_V1(dataeng_schedule_next);

/*
 * dataeng_internal._schedule_next(schedule text, after timestamptz) RETURNS timestamptz
 *		The next time a job with this schedule is due after "after"; raises
 *		a clear error for a bad schedule.
 */
Datum
dataeng_schedule_next(PG_FUNCTION_ARGS)
{
	char	   *sched = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TimestampTz after = PG_GETARG_TIMESTAMPTZ(1);

	PG_RETURN_TIMESTAMPTZ(schedule_next(sched, after));
}

/* whether a schedule has the shape of a cron expression: five fields, or @ */
static bool
cron_shaped(const char *s)
{
	while (isspace((unsigned char) *s))
		s++;
	return *s == '@' || cron_field_count(s) == 5;
}

PG_FUNCTION_INFO_V1(dataeng_schedule_valid);

/*
 * dataeng_internal._schedule_valid(schedule text) RETURNS boolean
 *		true for a schedule that parses; used in a CHECK constraint of
 *		dataeng.jobs so that rows written directly are checked too.
 */
Datum
dataeng_schedule_valid(PG_FUNCTION_ARGS)
{
	char	   *sched = text_to_cstring(PG_GETARG_TEXT_PP(0));
	CronSpec	spec;
	Interval	iv;

	if (cron_parse(sched, &spec, false))
		PG_RETURN_BOOL(cron_next(&spec, GetCurrentTimestamp()) != DT_NOEND);

	/*
	 * Five fields, or an @keyword, are a cron expression, as in
	 * schedule_next(): one with a field out of range ('99 * * * *') is
	 * invalid, never read as an interval.
	 */
	if (cron_shaped(sched))
		PG_RETURN_BOOL(false);
	if (interval_parse(sched, &iv))
		PG_RETURN_BOOL(iv.month > 0 || iv.day > 0 || iv.time > 0);
	PG_RETURN_BOOL(false);
}
