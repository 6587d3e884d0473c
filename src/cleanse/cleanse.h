/*-------------------------------------------------------------------------
 *
 * cleanse/cleanse.h
 *		What the cleansing functions of src/cleanse/ export to each other and
 *		to dedupe.
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLEANSE_H
#define CLEANSE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

/* in cleanse/text.c */
extern void cleanse_fold_accents_into(const pg_wchar *in, StringInfo buf);

/* in cleanse/emails.c */
extern char *cleanse_normalize_email(const char *s, int len, bool provider_rules, const char **why);

/* in cleanse/fuzzy.c */
extern double cleanse_jaro_winkler_chars(const pg_wchar *a, int n, const pg_wchar *b, int m);

/* in cleanse/dates.c */
typedef struct ParsedDate
{
	int			year,
				month,
				day,
				hour,
				minute,
				second,
				usec;
	bool		has_time,
				has_tz;
	int			tz_offset;		/* seconds east of UTC */
} ParsedDate;
extern bool cleanse_parse_date_text(const char *s, int len, const char *order, ParsedDate *p);

/* in cleanse/numbers.c */
extern char *cleanse_parse_number_text(const char *s, int len, char dec, bool *pct, const char **why);
extern char *cleanse_parse_number_chars(const pg_wchar *w, int n, char dec, bool *pct, const char **why);
extern const char *cleanse_number_canon_problem(const char *canon);

/* in cleanse/units.c */
extern const char *cleanse_parse_quantity_text(const char *s, int len, char *numbuf);
extern bool cleanse_unit_spelled(const char *s, int len);

#endif							/* CLEANSE_H */
