/*-------------------------------------------------------------------------
 *
 * dedupe.c
 *		Scoring candidate pairs of records for dataeng.find_duplicates().
 *
 * The set-based work (normalizing, blocking, clustering) is SQL in the
 * install script.  Scoring follows Fellegi and Sunter: each column of a
 * candidate pair agrees at a level (missing, different, similar, equal);
 * u, the chance of each level between two unrelated records, is measured
 * on random pairs; m, its chance between two records of the same entity,
 * and the share of matches among the candidates, are estimated by
 * expectation-maximization over the candidates' level patterns.  A pair's
 * score is then its probability of being a match, so a threshold of 0.85
 * means what it says whatever the columns.
 *
 * Patterns are text, one digit per column: '0' missing in either record,
 * '1' different, '2' similar (Jaro-Winkler >= DEDUP_SIMILAR), '3' equal.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "dataeng.h"

/* longer values are compared on their first DEDUP_MAX_CHARS characters */
#define DEDUP_MAX_CHARS 200

#define DEDUP_SIMILAR 0.88
#define DEDUP_LEVELS 3			/* levels 1..3; level 0 carries no evidence */

/* unpack a text[] into values (NULL for NULL or empty) */
static void
get_values(ArrayType *arr, Datum **vals, bool **nulls, int *n)
{
	if (ARR_ELEMTYPE(arr) != TEXTOID || ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("records to compare must be one-dimensional text arrays")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, vals, nulls, n);
}

PG_FUNCTION_INFO_V1(dataeng_dedup_pattern);

/*
 * dataeng._dedup_pattern(a text[], b text[]) RETURNS text
 *		The agreement level of each column of two records of normalized
 *		values, one digit per column.
 */
Datum
dataeng_dedup_pattern(PG_FUNCTION_ARGS)
{
	Datum	   *av,
			   *bv;
	bool	   *an,
			   *bn;
	int			na,
				nb,
				i;
	char	   *out;
	pg_wchar	wa[DEDUP_MAX_CHARS],
				wb[DEDUP_MAX_CHARS];

	get_values(PG_GETARG_ARRAYTYPE_P(0), &av, &an, &na);
	get_values(PG_GETARG_ARRAYTYPE_P(1), &bv, &bn, &nb);
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("records to compare have %d and %d columns", na, nb)));
	out = palloc(na + 1);
	for (i = 0; i < na; i++)
	{
		text	   *x,
				   *y;
		int			lx,
					ly,
					n,
					m;

		out[i] = '0';
		if (an[i] || bn[i])
			continue;
		x = DatumGetTextPP(av[i]);
		y = DatumGetTextPP(bv[i]);
		lx = VARSIZE_ANY_EXHDR(x);
		ly = VARSIZE_ANY_EXHDR(y);
		if (lx == 0 || ly == 0)
			continue;
		if (lx == ly && memcmp(VARDATA_ANY(x), VARDATA_ANY(y), lx) == 0)
		{
			out[i] = '3';
			continue;
		}
		/* compare at most the first DEDUP_MAX_CHARS - 1 bytes' characters */
		n = pg_mb2wchar_with_len(VARDATA_ANY(x), wa, Min(lx, DEDUP_MAX_CHARS - 1));
		m = pg_mb2wchar_with_len(VARDATA_ANY(y), wb, Min(ly, DEDUP_MAX_CHARS - 1));
		out[i] = jaro_winkler_chars(wa, n, wb, m) >= DEDUP_SIMILAR ? '2' : '1';
	}
	out[na] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out, na));
}

/* read a float8[] of exactly n elements, none NULL */
static float8 *
get_floats(ArrayType *arr, int n, const char *what)
{
	Datum	   *vals;
	bool	   *nulls;
	int			cnt,
				i;
	float8	   *out;

	if (ARR_ELEMTYPE(arr) != FLOAT8OID || ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("%s must be a one-dimensional float8 array", what)));
	deconstruct_array(arr, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &vals, &nulls, &cnt);
	if (cnt != n)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s has %d elements, expected %d", what, cnt, n)));
	out = palloc(sizeof(float8) * n);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		out[i] = DatumGetFloat8(vals[i]);
	}
	return out;
}

/* log-likelihoods of a pattern under m and u; false if it is malformed */
static bool
pattern_loglik(const char *p, int len, int ncols, const float8 *m,
			   const float8 *u, double *lm, double *lu)
{
	int			i;

	if (len != ncols)
		return false;
	*lm = *lu = 0;
	for (i = 0; i < ncols; i++)
	{
		int			l = p[i] - '0';

		if (l < 0 || l > DEDUP_LEVELS)
			return false;
		if (l == 0)
			continue;
		*lm += log(m[i * DEDUP_LEVELS + l - 1]);
		*lu += log(u[i * DEDUP_LEVELS + l - 1]);
	}
	return true;
}

PG_FUNCTION_INFO_V1(dataeng_dedup_em);

/*
 * dataeng._dedup_em(patterns text[], counts float8[], u float8[],
 *					 iterations int) RETURNS float8[]
 *		Estimate m (per column and level) and lambda (the share of matches)
 *		from the candidate pairs' distinct patterns and their counts, u
 *		being fixed.  Returns lambda followed by m, column by column, levels
 *		1..3; u is laid out the same way (without lambda).
 */
Datum
dataeng_dedup_em(PG_FUNCTION_ARGS)
{
	ArrayType  *parr = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *carr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *uarr = PG_GETARG_ARRAYTYPE_P(2);
	int			iterations = PG_GETARG_INT32(3);
	Datum	   *pvals;
	bool	   *pnulls;
	int			npat,
				ncols,
				nu,
				i,
				j,
				it;
	float8	   *counts,
			   *u,
			   *m,
			   *num,
			   *den,
			   *result;
	double		lambda = 0.1;
	Datum	   *out;

	get_values(parr, &pvals, &pnulls, &npat);
	nu = ArrayGetNItems(ARR_NDIM(uarr), ARR_DIMS(uarr));
	if (nu == 0 || nu % DEDUP_LEVELS != 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("u must have %d elements per column", DEDUP_LEVELS)));
	ncols = nu / DEDUP_LEVELS;
	u = get_floats(uarr, nu, "u");
	counts = get_floats(carr, npat, "counts");
	m = palloc(sizeof(float8) * nu);
	num = palloc(sizeof(float8) * nu);
	den = palloc(sizeof(float8) * ncols);
	for (j = 0; j < ncols; j++)
	{
		/* start: matches mostly agree exactly */
		m[j * DEDUP_LEVELS + 0] = 0.05;
		m[j * DEDUP_LEVELS + 1] = 0.05;
		m[j * DEDUP_LEVELS + 2] = 0.90;
	}

	for (it = 0; it < iterations; it++)
	{
		double		total = 0,
					matched = 0;

		CHECK_FOR_INTERRUPTS();
		memset(num, 0, sizeof(float8) * nu);
		memset(den, 0, sizeof(float8) * ncols);
		for (i = 0; i < npat; i++)
		{
			text	   *t;
			const char *p;
			double		lm,
						lu,
						w;

			if (pnulls[i])
				continue;
			t = DatumGetTextPP(pvals[i]);
			p = VARDATA_ANY(t);
			if (!pattern_loglik(p, VARSIZE_ANY_EXHDR(t), ncols, m, u, &lm, &lu))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("malformed agreement pattern \"%s\"", text_to_cstring(t))));
			/* posterior of "match", computed stably in log space */
			w = 1.0 / (1.0 + exp(log(1 - lambda) + lu - log(lambda) - lm));
			total += counts[i];
			matched += counts[i] * w;
			for (j = 0; j < ncols; j++)
			{
				int			l = p[j] - '0';

				if (l == 0)
					continue;
				num[j * DEDUP_LEVELS + l - 1] += counts[i] * w;
				den[j] += counts[i] * w;
			}
		}
		if (total <= 0)
			break;
		/* keep lambda and m inside (0, 1): smoothing of one hundredth */
		lambda = Min(Max(matched / total, 1e-6), 1 - 1e-6);
		for (j = 0; j < ncols * DEDUP_LEVELS; j++)
			m[j] = (num[j] + 0.01) / (den[j / DEDUP_LEVELS] + 0.01 * DEDUP_LEVELS);
	}

	result = palloc(sizeof(float8) * (nu + 1));
	result[0] = lambda;
	memcpy(result + 1, m, sizeof(float8) * nu);
	out = palloc(sizeof(Datum) * (nu + 1));
	for (j = 0; j <= nu; j++)
		out[j] = Float8GetDatum(result[j]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, nu + 1, FLOAT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(dataeng_dedup_prob);

/*
 * dataeng._dedup_prob(pattern text, params float8[], u float8[]) RETURNS float8
 *		The probability that a pair with this pattern is a match, given
 *		_dedup_em's result (lambda, m) and u.
 */
Datum
dataeng_dedup_prob(PG_FUNCTION_ARGS)
{
	text	   *pat = PG_GETARG_TEXT_PP(0);
	ArrayType  *parr = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *uarr = PG_GETARG_ARRAYTYPE_P(2);
	int			nu = ArrayGetNItems(ARR_NDIM(uarr), ARR_DIMS(uarr));
	float8	   *u,
			   *params;
	double		lm,
				lu,
				lambda;

	if (nu == 0 || nu % DEDUP_LEVELS != 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("u must have %d elements per column", DEDUP_LEVELS)));
	u = get_floats(uarr, nu, "u");
	params = get_floats(parr, nu + 1, "params");
	lambda = params[0];
	if (!pattern_loglik(VARDATA_ANY(pat), VARSIZE_ANY_EXHDR(pat), nu / DEDUP_LEVELS,
						params + 1, u, &lm, &lu))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed agreement pattern \"%s\"", text_to_cstring(pat))));
	PG_RETURN_FLOAT8(1.0 / (1.0 + exp(log(1 - lambda) + lu - log(lambda) - lm)));
}
