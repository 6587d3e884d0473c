/*-------------------------------------------------------------------------
 *
 * dates.c
 *		dataeng.parse_date() and dataeng.parse_timestamp(): dates and times
 *		written in the many ways sources write them.
 *
 * ISO 8601 ("2026-11-24", "2026-11-24T10:00:00+01:00", "20261124"), numeric
 * dates with / - . or spaces ("24/11/2026", "11/24/2026", "24.11.26"), month
 * names in English, French, German and Spanish, in full or abbreviated ("24
 * Nov 2026", "6 janv. 2020", "November 24, 2026", "Tue, 24 Nov 2026 10:00:00 +0100", "3rd of
 * May 2001", "13NOV2017"), Unix epochs (10 digits: seconds, 13:
 * milliseconds), 12- or 24-hour times.  The order argument (YMD, DMY or
 * MDY; default YMD) says how to read numeric dates whose year is evident
 * but whose day and month are not; two-digit years pivot at 50 (00-49 are
 * 2000s).  The rule is never a wrong date: anything ambiguous, impossible
 * or left over gives NULL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "parser/scansup.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

#define MAX_TOKENS 24

typedef enum TokKind
{
	T_NUM,
	T_WORD,
	T_SEP,						/* one of / - . , : and spaces collapsed */
	T_TZ						/* +hh[:mm], -hhmm, Z */
} TokKind;

typedef struct Token
{
	TokKind		kind;
	const char *s;
	int			len;
	int64		value;			/* T_NUM: value; T_TZ: offset seconds east */
	char		sep;			/* T_SEP */
} Token;

typedef ParsedDate Parsed;

static const struct
{
	const char *name;
	int			month;
}			month_words[] = {
	{"january", 1}, {"february", 2}, {"march", 3}, {"april", 4}, {"may", 5}, {"june", 6},
	{"july", 7}, {"august", 8}, {"september", 9}, {"sept", 9}, {"october", 10},
	{"november", 11}, {"december", 12},
	{"janvier", 1}, {"fevrier", 2}, {"février", 2}, {"mars", 3}, {"avril", 4}, {"mai", 5},
	{"juin", 6}, {"juillet", 7}, {"aout", 8}, {"août", 8}, {"septembre", 9}, {"octobre", 10},
	{"novembre", 11}, {"decembre", 12}, {"décembre", 12},
	{"januar", 1}, {"februar", 2}, {"märz", 3}, {"maerz", 3}, {"juni", 6}, {"juli", 7},
	{"oktober", 10}, {"dezember", 12},
	{"enero", 1}, {"febrero", 2}, {"marzo", 3}, {"abril", 4}, {"mayo", 5}, {"junio", 6},
	{"julio", 7}, {"agosto", 8}, {"septiembre", 9}, {"setiembre", 9}, {"octubre", 10},
	{"noviembre", 11}, {"diciembre", 12},

	/*
	 * the abbreviations of French, German and Spanish that are not the first
	 * three letters of an English name (those are read above), as CLDR's
	 * abbreviated formats and common use write them, with or without their
	 * period: "6 janv. 2020", "3. Okt. 2026", "5 ene. 2021"; Austrian
	 * Jänner too.  None names another month in another language.
	 */
	{"janv", 1}, {"févr", 2}, {"fevr", 2}, {"fév", 2}, {"fev", 2}, {"avr", 4},
	{"juil", 7}, {"déc", 12},
	{"jänner", 1}, {"jän", 1}, {"mär", 3}, {"mrz", 3}, {"okt", 10}, {"dez", 12},
	{"ene", 1}, {"abr", 4}, {"ago", 8}, {"dic", 12},
};

/* "3rd of May", and the French and Spanish "1er janvier", "6 de enero de 2020" */
static const char *const ignored_words[] = {
	"of", "the", "at", "on", "ad", "ce", "st", "nd", "rd", "th", "er", "de", NULL
};

/* day names, 0 = Sunday: a date that names its day must fall on it */
static const struct
{
	const char *name;
	int			weekday;
}			day_words[] = {
	{"sunday", 0}, {"monday", 1}, {"tuesday", 2}, {"wednesday", 3}, {"thursday", 4},
	{"friday", 5}, {"saturday", 6},
	{"sun", 0}, {"mon", 1}, {"tue", 2}, {"tues", 2}, {"wed", 3}, {"thu", 4},
	{"thur", 4}, {"thurs", 4}, {"fri", 5}, {"sat", 6},

	/*
	 * French, German and Spanish, whose month names are read too: "lundi 3
	 * mars 2025", "Montag, 3. März 2025", "lunes 3 de marzo de 2025" were
	 * NULL.  Abbreviations as CLDR writes them ("lun.", "Mo.", "mié."), but
	 * for French and Spanish "mar", March in English
	 */
	{"dimanche", 0}, {"lundi", 1}, {"mardi", 2}, {"mercredi", 3}, {"jeudi", 4},
	{"vendredi", 5}, {"samedi", 6},
	{"dim", 0}, {"lun", 1}, {"mer", 3}, {"jeu", 4}, {"ven", 5}, {"sam", 6},
	{"sonntag", 0}, {"montag", 1}, {"dienstag", 2}, {"mittwoch", 3},
	{"donnerstag", 4}, {"freitag", 5}, {"samstag", 6}, {"sonnabend", 6},
	{"so", 0}, {"mo", 1}, {"di", 2}, {"mi", 3}, {"do", 4}, {"fr", 5}, {"sa", 6},
	{"domingo", 0}, {"lunes", 1}, {"martes", 2}, {"miércoles", 3}, {"miercoles", 3},
	{"jueves", 4}, {"viernes", 5}, {"sábado", 6}, {"sabado", 6},
	{"dom", 0}, {"mié", 3}, {"mie", 3}, {"jue", 4}, {"vie", 5}, {"sáb", 6}, {"sab", 6},
};

/*
 * utf8_casecmp
 *		Whether n bytes of UTF-8 at a and b are the same letters but for
 *		case: ASCII, and the letters of Latin-1 (U+00C0..U+00DE against
 *		U+00E0..U+00FE, but for the signs U+00D7 and U+00F7).  pg_strncasecmp
 *		folds ASCII only: 'MÄRZ', 'FÉVRIER', 'AOÛT' named no month.
 */
static bool
utf8_casecmp(const char *a, const char *b, int n)
{
	const unsigned char *x = (const unsigned char *) a;
	const unsigned char *y = (const unsigned char *) b;

	for (int i = 0; i < n; i++)
	{
		unsigned char cx = x[i],
					cy = y[i];

		if (cx == cy)
			continue;
		if (cx < 0x80 && cy < 0x80)
		{
			if (pg_ascii_tolower(cx) != pg_ascii_tolower(cy))
				return false;
			continue;
		}
		/* a continuation byte after 0xC3 (the same in both, or cx == cy above) */
		if (i == 0 || x[i - 1] != 0xC3 || y[i - 1] != 0xC3)
			return false;
		if (cx >= 0x80 && cx <= 0x9E && cx != 0x97)
			cx += 0x20;
		if (cy >= 0x80 && cy <= 0x9E && cy != 0x97)
			cy += 0x20;
		if (cx != cy)
			return false;
	}
	return true;
}

/*
 * month_of
 *		The month a word names (in full, as the first 3 letters of an English
 *		name, or as a French, German or Spanish abbreviation), or 0.
 */
static int
month_of(const char *w, int len)
{
	for (int i = 0; i < (int) lengthof(month_words); i++)
	{
		int			n = strlen(month_words[i].name);

		if (len == n && utf8_casecmp(w, month_words[i].name, n))
			return month_words[i].month;
	}
	if (len == 3)
		for (int i = 0; i < 13; i++)
			if (pg_strncasecmp(w, month_words[i].name, 3) == 0)
				return month_words[i].month;
	return 0;
}

/*
 * weekday_of
 *		The day of the week a word names (0 = Sunday), in English, French,
 *		German or Spanish, or -1.
 */
static int
weekday_of(const char *w, int len)
{
	for (int i = 0; i < (int) lengthof(day_words); i++)
		if ((int) strlen(day_words[i].name) == len && utf8_casecmp(w, day_words[i].name, len))
			return day_words[i].weekday;
	return -1;
}

/*
 * weekday_of_date
 *		The day of the week of a (proleptic Gregorian) date, 0 = Sunday.
 */
static int
weekday_of_date(int y, int m, int d)
{
	if (m < 3)
	{
		m += 12;
		y--;
	}
	return (d + (13 * (m + 1)) / 5 + y + y / 4 - y / 100 + y / 400 + 6) % 7;
}

static bool
ignored_word(const char *w, int len)
{
	for (int i = 0; ignored_words[i]; i++)
		if ((int) strlen(ignored_words[i]) == len && pg_strncasecmp(w, ignored_words[i], len) == 0)
			return true;
	return false;
}

/*
 * after_time
 *		Whether the tokens so far end with a time (h:mm, possibly with
 *		seconds and a fraction, and a blank): a sign then starts an offset.
 */
static bool
after_time(const Token *toks, int n)
{
	int			k = n - 1;

	if (k >= 0 && toks[k].kind == T_SEP && toks[k].sep == ' ')
		k--;
	if (k < 2 || toks[k].kind != T_NUM)
		return false;
	for (int j = k - 1; j >= 0 && j >= k - 4; j--)
		if (toks[j].kind == T_SEP && toks[j].sep == ':')
			return true;
	return false;
}

/*
 * tokenize
 *		Numbers, words, separators and time-zone offsets; false when there
 *		are too many tokens or an unexpected character.
 */
static bool
tokenize(const char *s, int len, Token *toks, int *ntoks)
{
	int			i = 0,
				n = 0;

	while (i < len)
	{
		unsigned char c = s[i];
		Token	   *t;

		/*
		 * an offset's sign: + or -, or U+2212 (the minus sign typeset text
		 * and some exports write: "10:00 (U+2212)05:00" was no timestamp)
		 */
		int			signlen = (c == '+' || c == '-') ? 1 :
			(c == 0xE2 && i + 2 < len && (unsigned char) s[i + 1] == 0x88 &&
			 (unsigned char) s[i + 2] == 0x92) ? 3 : 0;

		if (n >= MAX_TOKENS)
			return false;
		t = &toks[n];
		if (isdigit(c))
		{
			int			start = i;
			int64		v = 0;

			while (i < len && isdigit((unsigned char) s[i]) && i - start < 18)
				v = v * 10 + (s[i++] - '0');
			if (i < len && isdigit((unsigned char) s[i]))
				return false;
			t->kind = T_NUM;
			t->s = s + start;
			t->len = i - start;
			t->value = v;
			n++;
		}
		else if (signlen > 0 && i + signlen + 1 < len &&
				 isdigit((unsigned char) s[i + signlen]) && isdigit((unsigned char) s[i + signlen + 1]) &&
				 after_time(toks, n))
		{
			int			sign = (c == '+') ? 1 : -1,
						hh,
						mm = 0,
						start = i;

			i += signlen;
			hh = (s[i] - '0') * 10 + (s[i + 1] - '0');
			i += 2;
			if (i < len && s[i] == ':')
				i++;
			if (i + 1 < len && isdigit((unsigned char) s[i]) && isdigit((unsigned char) s[i + 1]))
			{
				mm = (s[i] - '0') * 10 + (s[i + 1] - '0');
				i += 2;
			}
			if (hh > 14 || mm > 59)
				return false;
			if (n > 0 && toks[n - 1].kind == T_SEP)
				n--;			/* the space before it */
			t = &toks[n];
			t->kind = T_TZ;
			t->s = s + start;
			t->len = i - start;
			t->value = sign * (hh * 3600 + mm * 60);
			n++;
		}
		else if (isalpha(c) || c >= 0x80)
		{
			int			start = i;

			while (i < len && (isalpha((unsigned char) s[i]) || (unsigned char) s[i] >= 0x80))
				i++;
			t->kind = T_WORD;
			t->s = s + start;
			t->len = i - start;
			n++;
		}
		else if (c == ' ' || c == '\t' || c == '/' || c == '-' || c == '.' || c == ',' ||
				 c == ':' || c == '\'')
		{
			char		sep = (c == '\t' || c == ',' || c == '\'') ? ' ' : (char) c;

			i++;
			/* runs of blanks and commas are one blank */
			if (sep == ' ' && n > 0 && toks[n - 1].kind == T_SEP && toks[n - 1].sep == ' ')
				continue;
			if (sep == ' ' && n > 0 && toks[n - 1].kind == T_SEP)
				continue;		/* "July 4 , 1976": keep the first */
			if (n > 0 && toks[n - 1].kind == T_SEP && toks[n - 1].sep == ' ' && sep != ' ')
				n--;			/* "4 ,": the comma wins */
			t = &toks[n];
			t->kind = T_SEP;
			t->sep = sep;
			t->s = s + i - 1;
			t->len = 1;
			n++;
		}
		else
			return false;
	}
	*ntoks = n;
	return true;
}

static bool
valid_date(int y, int m, int d)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			max;

	if (y < 1 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	max = days[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		max = 29;
	return d <= max;
}

static int
pivot_year(const Token *t)
{
	if (t->len == 4 || t->len == 3)
		return (int) t->value;
	if (t->len == 2 || t->len == 1)
		return (int) (t->value < 50 ? 2000 + t->value : 1900 + t->value);
	return -1;
}

/*
 * cleanse_parse_date_text
 *		Fill p from the text; false for anything that is not exactly one
 *		date (and time).  order is "YMD", "DMY" or "MDY".  Pure, for the
 *		fuzz target too.
 */
bool
cleanse_parse_date_text(const char *s, int len, const char *order, Parsed *p)
{
	Token		toks[MAX_TOKENS];
	int			n,
				i;
	Token	   *nums[6];
	int			nnums = 0,
				month_word = 0,
				month_pos = -1,
				weekday = -1;
	bool		pm = false,
				am = false;

	memset(p, 0, sizeof(*p));
	p->year = p->month = p->day = -1;
	while (len > 0 && isspace((unsigned char) *s))
		s++, len--;
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	/*
	 * a sign in front ("-2026-01-01", an expanded ISO year before year 1, or
	 * "-1700000000") is not a separator to skip: no date of ours
	 */
	if (len > 0 && (*s == '-' || *s == '+'))
		return false;
	if (len >= 3 && memcmp(s, "\xe2\x88\x92", 3) == 0)	/* U+2212 minus */
		return false;
	if (len == 0 || len > 100 || !tokenize(s, len, toks, &n))
		return false;

	/* a Unix epoch: one number of 10 (seconds) or 13 (milliseconds) digits */
	if (n == 1 && toks[0].kind == T_NUM && (toks[0].len == 10 || toks[0].len == 13))
	{
		int64		secs = (toks[0].len == 13) ? toks[0].value / 1000 : toks[0].value;
		pg_time_t	tt = (pg_time_t) secs;
		struct pg_tm *tm = pg_gmtime(&tt);

		if (tm == NULL)
			return false;
		p->year = tm->tm_year + 1900;
		p->month = tm->tm_mon + 1;
		p->day = tm->tm_mday;
		p->hour = tm->tm_hour;
		p->minute = tm->tm_min;
		p->second = tm->tm_sec;
		p->usec = (toks[0].len == 13) ? (int) (toks[0].value % 1000) * 1000 : 0;
		p->has_time = p->has_tz = true;
		return true;
	}

	for (i = 0; i < n; i++)
	{
		Token	   *t = &toks[i];

		if (t->kind == T_TZ)
		{
			if (p->has_tz)
				return false;
			p->has_tz = true;
			p->tz_offset = (int) t->value;
		}
		else if (t->kind == T_WORD)
		{
			int			m;

			/* "13NOV2017", "T10:00", "Z", am/pm, names */
			if (t->len == 1 && (*t->s == 'T' || *t->s == 't'))
				continue;
			if (t->len == 1 && (*t->s == 'Z' || *t->s == 'z') && i == n - 1)
			{
				p->has_tz = true;
				continue;
			}
			if ((t->len == 2 && pg_strncasecmp(t->s, "am", 2) == 0) ||
				(t->len == 1 && (*t->s == 'a' || *t->s == 'A') && i + 2 < n &&
				 toks[i + 1].kind == T_SEP && toks[i + 2].kind == T_WORD))
			{
				am = true;
				if (t->len == 1)
					i += 2;
				continue;
			}
			if ((t->len == 2 && pg_strncasecmp(t->s, "pm", 2) == 0) ||
				(t->len == 1 && (*t->s == 'p' || *t->s == 'P') && i + 2 < n &&
				 toks[i + 1].kind == T_SEP && toks[i + 2].kind == T_WORD))
			{
				pm = true;
				if (t->len == 1)
					i += 2;
				continue;
			}
			if ((t->len == 3 && pg_strncasecmp(t->s, "utc", 3) == 0) ||
				(t->len == 3 && pg_strncasecmp(t->s, "gmt", 3) == 0))
			{
				p->has_tz = true;
				continue;
			}
			if ((m = month_of(t->s, t->len)) != 0)
			{
				if (month_word)
					return false;
				month_word = m;
				month_pos = nnums;
				continue;
			}
			if ((m = weekday_of(t->s, t->len)) >= 0)
			{
				if (weekday >= 0 && weekday != m)
					return false;
				weekday = m;
				continue;
			}
			if (ignored_word(t->s, t->len))
				continue;
			return false;		/* an unknown word: a time zone name, noise */
		}
		else if (t->kind == T_NUM)
		{
			/* a time: h:mm[:ss[.frac]] */
			if (i + 2 < n && toks[i + 1].kind == T_SEP && toks[i + 1].sep == ':' &&
				toks[i + 2].kind == T_NUM)
			{
				if (p->has_time || t->len > 2 || toks[i + 2].len != 2)
					return false;
				p->has_time = true;
				p->hour = (int) t->value;
				p->minute = (int) toks[i + 2].value;
				i += 2;
				if (i + 2 < n && toks[i + 1].kind == T_SEP && toks[i + 1].sep == ':' &&
					toks[i + 2].kind == T_NUM)
				{
					if (toks[i + 2].len != 2)
						return false;
					p->second = (int) toks[i + 2].value;
					i += 2;
					if (i + 2 < n && toks[i + 1].kind == T_SEP && toks[i + 1].sep == '.' &&
						toks[i + 2].kind == T_NUM)
					{
						int64		f = toks[i + 2].value;
						int			digits = toks[i + 2].len;
						int64		unit = 1;

						/*
						 * to the nearest microsecond, as PostgreSQL's input
						 * rounds (ties to even); it was cut, so
						 * 10:00:00.9999996 was 10:00:00.999999, where
						 * '...'::timestamptz is 10:00:01.  A usec of
						 * 1000000 is carried by the caller.
						 */
						while (digits > 6)
							unit *= 10, digits--;
						if (unit > 1)
						{
							int64		q = f / unit,
										r = f % unit;

							if (r * 2 > unit || (r * 2 == unit && (q & 1)))
								q++;
							f = q;
						}
						while (digits < 6)
							f *= 10, digits++;
						p->usec = (int) f;
						i += 2;
					}
				}
				continue;
			}
			if (nnums >= 6)
				return false;
			nums[nnums++] = t;
		}
	}

	/* the time's meridiem */
	if (am || pm)
	{
		if (!p->has_time || p->hour < 1 || p->hour > 12 || (am && pm))
			return false;
		if (pm && p->hour != 12)
			p->hour += 12;
		if (am && p->hour == 12)
			p->hour = 0;
	}

	/* the date */
	if (month_word)
	{
		/* the numbers are the day and the year */
		Token	   *d = NULL,
				   *y = NULL;

		if (nnums == 2)
		{
			if (nums[0]->len >= 3 || (nums[1]->len <= 2 && month_pos == 1 && nums[0]->len == 4))
				y = nums[0], d = nums[1];
			else if (nums[1]->len >= 3)
				d = nums[0], y = nums[1];
			else if (month_pos == 1)	/* "24 Nov 26": day, month, year */
				d = nums[0], y = nums[1];
			else if (month_pos == 0)	/* "Nov 24 26": month, day, year */
				d = nums[0], y = nums[1];
			else
				return false;
		}
		else
			return false;
		if (d->len > 2)
			return false;
		p->day = (int) d->value;
		p->month = month_word;
		p->year = pivot_year(y);
	}
	else if (nnums == 1 && nums[0]->len == 8)
	{
		/* 20261124 */
		p->year = (int) (nums[0]->value / 10000);
		p->month = (int) (nums[0]->value / 100 % 100);
		p->day = (int) (nums[0]->value % 100);
	}
	else if (nnums == 2 && nums[0]->len == 8 && p->has_time == false && nums[1]->len >= 2 &&
			 nums[1]->len <= 6 && nums[1]->len % 2 == 0)
	{
		/* 20030925T104941 */
		int64		hms = nums[1]->value;

		p->year = (int) (nums[0]->value / 10000);
		p->month = (int) (nums[0]->value / 100 % 100);
		p->day = (int) (nums[0]->value % 100);
		p->has_time = true;
		if (nums[1]->len == 6)
			p->hour = (int) (hms / 10000), p->minute = (int) (hms / 100 % 100), p->second = (int) (hms % 100);
		else if (nums[1]->len == 4)
			p->hour = (int) (hms / 100), p->minute = (int) (hms % 100);
		else
			p->hour = (int) hms;
	}
	else if (nnums == 3)
	{
		Token	   *a = nums[0],
				   *b = nums[1],
				   *c = nums[2];

		if (a->len == 4)		/* year first: always Y M D */
		{
			p->year = (int) a->value;
			p->month = (int) b->value;
			p->day = (int) c->value;
			if (b->len > 2 || c->len > 2)
				return false;
		}
		else if (c->len == 4 || c->len <= 2)
		{
			/* year last; day and month in the order's sense */
			bool		day_first = (strncmp(order, "DMY", 3) == 0);

			if (a->len > 2 || b->len > 2)
				return false;
			if (c->len <= 2 && strncmp(order, "YMD", 3) == 0 &&
				!(a->value > 12 || b->value > 12))
			{
				/* "10/09/03" under YMD: which number is the year? */
				return false;
			}
			p->year = pivot_year(c);
			p->month = (int) (day_first ? b->value : a->value);
			p->day = (int) (day_first ? a->value : b->value);
		}
		else
			return false;
	}
	else
		return false;

	if (!valid_date(p->year, p->month, p->day))
		return false;

	/*
	 * a day name the date does not fall on: the text says two dates (RFC
	 * 5322: the day of the week must be the one the date implies), and
	 * either may be the typo; it was skipped, so "Mon, 24 Nov 2026" (a
	 * Tuesday) gave 24 November
	 */
	if (weekday >= 0 && weekday_of_date(p->year, p->month, p->day) != weekday)
		return false;
	if (p->has_time && (p->hour > 23 || p->minute > 59 || p->second > 59))
		return false;
	return true;
}

static const char *
order_arg(FunctionCallInfo fcinfo, int argno)
{
	text	   *o;
	char	   *s;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return "YMD";
	o = PG_GETARG_TEXT_PP(argno);
	s = text_to_cstring(o);
	for (char *c = s; *c; c++)
		*c = pg_ascii_toupper(*c);
	if (strcmp(s, "YMD") != 0 && strcmp(s, "DMY") != 0 && strcmp(s, "MDY") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("date order must be YMD, DMY or MDY, not \"%s\"", text_to_cstring(o))));
	return s;
}

PG_FUNCTION_INFO_V1(dataeng_parse_date);

/*
 * dataeng_parse_date
 *		The date written in the text (any time in it is ignored), or NULL.
 */
Datum
dataeng_parse_date(PG_FUNCTION_ARGS)
{
	text	   *t;
	Parsed		p;
	const char *order = order_arg(fcinfo, 1);

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* month names are UTF-8: 'März' of a LATIN1 database named no month */
	t = dataeng_text_to_utf8(PG_GETARG_TEXT_PP(0));
	if (t == NULL ||
		!cleanse_parse_date_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), order, &p))
		PG_RETURN_NULL();
	PG_RETURN_DATEADT(date2j(p.year, p.month, p.day) - POSTGRES_EPOCH_JDATE);
}

/*
 * tz_numeric_offset
 *		Whether tz is a bare numeric UTC offset, "+05", "+0530", "-03:00"
 *		(hours 0..15, minutes 0..59); if so, *offset is it in seconds east
 *		of Greenwich, as ISO 8601 and the value's own offsets count.
 *		PostgreSQL takes such a zone name as POSIX, west of Greenwich
 *		positive: "+05:00" would have been read five hours the other way
 *		from the same offset written in the value.  Any other tz starting
 *		with a sign ("+16", "+05:3") raises 22023 rather than be read that
 *		way.
 */
static bool
tz_numeric_offset(const char *tz, int *offset)
{
	const char *c = tz;
	int			sign,
				hours = 0,
				minutes = 0,
				digits = 0;

	if (*c != '+' && *c != '-')
		return false;
	sign = (*c == '-') ? -1 : 1;
	c++;
	while (isdigit((unsigned char) *c) && digits < 2)
		hours = hours * 10 + (*c++ - '0'), digits++;
	if (digits == 0)
		goto bad;
	if (*c == ':')
		c++;
	if (*c != '\0')
	{
		if (!isdigit((unsigned char) c[0]) || !isdigit((unsigned char) c[1]) || c[2] != '\0')
			goto bad;
		minutes = (c[0] - '0') * 10 + (c[1] - '0');
	}
	else if (c[-1] == ':')
		goto bad;
	if (hours > 15 || minutes > 59)
		goto bad;
	*offset = sign * (hours * 3600 + minutes * 60);
	return true;

bad:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid time zone offset \"%s\"", tz),
			 errdetail("A time zone given as an offset is a sign, hours 0 to 15 and optionally minutes: +05, +0530, -03:00."),
			 errhint("Offsets are read as ISO 8601 writes them, east of Greenwich positive; or give a time zone name such as Europe/Paris.")));
	return false;				/* not reached */
}

/*
 * tz_check
 *		Raise 22023 unless tz is a zone timestamp_zone() reads (a name,
 *		an abbreviation) or a numeric offset tz_numeric_offset() accepts,
 *		whatever the value: checked only when a value had no offset of its
 *		own, a misspelt zone let through every row before the first such
 *		one (and NULLs, and text that is no date).  The last zone found
 *		good is kept in fn_extra, so a column of values checks it once.
 */
static void
tz_check(FunctionCallInfo fcinfo, const char *tz)
{
	int			offset;
	int			val;
	pg_tz	   *tzp;
	char	   *lower;
	int			type;

	if (fcinfo->flinfo->fn_extra != NULL &&
		strcmp((const char *) fcinfo->flinfo->fn_extra, tz) == 0)
		return;
	if (!tz_numeric_offset(tz, &offset))
	{
		/* as timestamp_zone() looks a zone up: abbreviation, then name */
		lower = downcase_truncate_identifier(tz, strlen(tz), false);
		type = DecodeTimezoneAbbrev(0, lower, &val, &tzp);
		pfree(lower);
		if (type != TZ && type != DTZ && type != DYNTZ &&
			(strlen(tz) >= TZ_STRLEN_MAX || pg_tzset(tz) == NULL))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("time zone \"%s\" not recognized", tz),
					 errdetail("dataeng.parse_timestamp() checks its tz whatever the value, also when the value has an offset of its own or is NULL."),
					 errhint("Give a name from pg_timezone_names (Europe/Paris), an abbreviation from pg_timezone_abbrevs, or an offset such as +05:30.")));
	}
	if (fcinfo->flinfo->fn_extra != NULL)
		pfree(fcinfo->flinfo->fn_extra);
	fcinfo->flinfo->fn_extra = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt, tz);
}

PG_FUNCTION_INFO_V1(dataeng_parse_timestamp);

/*
 * dataeng_parse_timestamp
 *		The moment written in the text: its own offset if it has one, else
 *		the time zone tz (a name PostgreSQL knows, or a numeric offset read
 *		as ISO 8601 writes it, east positive; UTC by default).
 */
Datum
dataeng_parse_timestamp(PG_FUNCTION_ARGS)
{
	text	   *t;
	Parsed		p;
	const char *order = order_arg(fcinfo, 1);
	char	   *tz = (PG_NARGS() > 2 && !PG_ARGISNULL(2)) ?
		text_to_cstring(PG_GETARG_TEXT_PP(2)) : "UTC";
	char		buf[128];
	int			tz_offset;
	bool		carry = false;
	TimestampTz result;

	tz_check(fcinfo, tz);
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	/* month names are UTF-8: 'März' of a LATIN1 database named no month */
	t = dataeng_text_to_utf8(PG_GETARG_TEXT_PP(0));
	if (t == NULL ||
		!cleanse_parse_date_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), order, &p))
		PG_RETURN_NULL();
	if (!p.has_tz && tz_numeric_offset(tz, &tz_offset))
	{
		p.has_tz = true;
		p.tz_offset = tz_offset;
	}
	/* a fraction rounded up to a whole second: one second later */
	if (p.usec >= 1000000)
	{
		p.usec -= 1000000;
		carry = true;
	}
	/* the sign apart: an offset under an hour west (-00:30) has 0 hours */
	if (p.has_tz)
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06d%c%02d:%02d",
				 p.year, p.month, p.day, p.hour, p.minute, p.second, p.usec,
				 p.tz_offset < 0 ? '-' : '+',
				 abs(p.tz_offset) / 3600, abs(p.tz_offset) % 3600 / 60);
	else
		snprintf(buf, sizeof(buf), "%04d-%02d-%02d %02d:%02d:%02d.%06d",
				 p.year, p.month, p.day, p.hour, p.minute, p.second, p.usec);
	if (p.has_tz)
		result = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(buf),
														 ObjectIdGetDatum(InvalidOid),
														 Int32GetDatum(-1)));
	else
		/* local time in tz */
		result = DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone, CStringGetTextDatum(tz),
														 DirectFunctionCall3(timestamp_in, CStringGetDatum(buf),
																			 ObjectIdGetDatum(InvalidOid),
																			 Int32GetDatum(-1))));
	if (carry)
	{
		/* (no such moment: no timestamp, as for a year past the range) */
		if (!IS_VALID_TIMESTAMP(result + USECS_PER_SEC))
			PG_RETURN_NULL();
		result += USECS_PER_SEC;
	}
	PG_RETURN_TIMESTAMPTZ(result);
}
