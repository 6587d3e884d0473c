/*-------------------------------------------------------------------------
 *
 * postal.c
 *		dataeng.is_postal_code() and dataeng.postal_code_problem(): postal
 *		codes checked against their country's format (libaddressinput data,
 *		postal_formats.h).
 *
 * The formats are regular expressions matched in full, case-insensitively,
 * by PostgreSQL's own regex engine, which caches compiled expressions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "fmgr.h"
#include "regex/regex.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"
#include "validate/postal_formats.h"

/* no postal code is longer */
#define POSTAL_MAX_INPUT 20

/*
 * postal_format
 *		The format regex of a country (ISO 3166 alpha-2, any case); raises
 *		for a country the data does not know.
 */
static const char *
postal_format(text *country)
{
	char		cc[3];
	int			i;

	if (VARSIZE_ANY_EXHDR(country) == 2)
	{
		cc[0] = pg_ascii_toupper(VARDATA_ANY(country)[0]);
		cc[1] = pg_ascii_toupper(VARDATA_ANY(country)[1]);
		cc[2] = '\0';
		for (i = 0; i < (int) lengthof(postal_formats); i++)
			if (strcmp(postal_formats[i].country, cc) == 0)
				return postal_formats[i].regex;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown country \"%s\"", text_to_cstring(country)),
			 errhint("Use an ISO 3166 alpha-2 country code such as 'US' or 'GB'.")));
	return NULL;
}

/*
 * postal_problem
 *		Why code is not a postal code of the country, or NULL.
 */
static const char *
postal_problem(text *code, text *country)
{
	const char *format = postal_format(country);
	char	   *anchored;
	int			len = VARSIZE_ANY_EXHDR(code);

	if (format[0] == '\0')
		return "the country has no postal codes";
	if (len == 0)
		return "empty";
	if (len > POSTAL_MAX_INPUT)
		return "too long for a postal code";
	anchored = psprintf("^(?:%s)$", format);
	if (!RE_compile_and_execute(cstring_to_text(anchored), VARDATA_ANY(code), len,
								REG_ADVANCED | REG_ICASE, C_COLLATION_OID, 0, NULL))
		return "does not match the country's postal code format";
	return NULL;
}

PG_FUNCTION_INFO_V1(dataeng_is_postal_code);

/*
 * dataeng_is_postal_code
 *		Whether the text is a postal code of the country.
 */
Datum
dataeng_is_postal_code(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(postal_problem(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1)) == NULL);
}

PG_FUNCTION_INFO_V1(dataeng_postal_code_problem);

/*
 * dataeng_postal_code_problem
 *		Why the text is not a postal code of the country, or NULL.
 */
Datum
dataeng_postal_code_problem(PG_FUNCTION_ARGS)
{
	const char *why = postal_problem(PG_GETARG_TEXT_PP(0), PG_GETARG_TEXT_PP(1));

	return validate_problem_result(fcinfo, why);
}
