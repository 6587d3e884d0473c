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
 * and the share of matches among the candidates, are estimated from the
 * near-certain matches among the candidates (_dedup_estimate).  A pair's
 * score is then its probability of being a match, so a threshold of 0.85
 * means what it says whatever the columns.
 *
 * Patterns are text, one digit per column: '0' missing in either record,
 * '1' different, '2' similar (Jaro-Winkler >= DEDUP_SIMILAR), '3' equal.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"
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

PG_FUNCTION_INFO_V1(dataeng_dedup_estimate);

/*
 * dataeng._dedup_estimate(patterns text[], counts float8[], ncols int,
 *							nrows bigint) RETURNS float8[]
 *		Estimate lambda (the share of matches among all pairs of rows) and m
 *		(per column and level) from the candidates' distinct patterns and
 *		their counts.  The estimate starts from the near-certain matches:
 *		pairs equal on more than half of the (at least two) columns both
 *		rows fill -- unrelated rows almost never are.  m is how often each
 *		level occurs among them.  lambda is their share of all the
 *		nrows * (nrows - 1) / 2 pairs, not of the candidates: blocking only
 *		saves work, so agreeing on a blocking value must count once (in the
 *		likelihood ratio), not twice.
 *
 *		(Expectation-maximization over all candidates was tried first: on
 *		blocked candidates it can converge to "every candidate is a match",
 *		since candidates share a blocking value by construction, which the
 *		random-pair u cannot explain.)
 *
 *		Returns lambda followed by m, column by column, levels 1..3.
 */
Datum
dataeng_dedup_estimate(PG_FUNCTION_ARGS)
{
	ArrayType  *parr = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *carr = PG_GETARG_ARRAYTYPE_P(1);
	int			ncols = PG_GETARG_INT32(2);
	int64		nrows = PG_GETARG_INT64(3);
	Datum	   *pvals;
	bool	   *pnulls;
	int			npat,
				i,
				j,
				nm;
	float8	   *counts,
			   *num,
			   *den;
	double		strong = 0,
				all_pairs;
	Datum	   *out;

	if (ncols < 1 || ncols > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of columns must be between 1 and 1000, not %d", ncols)));
	get_values(parr, &pvals, &pnulls, &npat);
	counts = get_floats(carr, npat, "counts");
	nm = ncols * DEDUP_LEVELS;
	num = palloc0(sizeof(float8) * nm);
	den = palloc0(sizeof(float8) * ncols);

	for (i = 0; i < npat; i++)
	{
		text	   *t;
		const char *p;
		int			filled = 0,
					equal = 0;

		if (pnulls[i])
			continue;
		t = DatumGetTextPP(pvals[i]);
		p = VARDATA_ANY(t);
		if ((int) VARSIZE_ANY_EXHDR(t) != ncols)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("malformed agreement pattern \"%s\"", text_to_cstring(t))));
		for (j = 0; j < ncols; j++)
		{
			if (p[j] < '0' || p[j] > '0' + DEDUP_LEVELS)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("malformed agreement pattern \"%s\"", text_to_cstring(t))));
			filled += p[j] != '0';
			equal += p[j] == '3';
		}
		if (filled < 2 || equal * 2 <= filled)
			continue;
		strong += counts[i];
		for (j = 0; j < ncols; j++)
		{
			int			l = p[j] - '0';

			if (l == 0)
				continue;
			num[j * DEDUP_LEVELS + l - 1] += counts[i];
			den[j] += counts[i];
		}
	}

	out = palloc(sizeof(Datum) * (nm + 1));
	/* keep lambda and m inside (0, 1): smoothing of one tenth of a pair */
	all_pairs = (double) nrows * (double) (nrows - 1) / 2;
	out[0] = Float8GetDatum(all_pairs >= 1 ? Min(Max(strong / all_pairs, 1e-15), 1 - 1e-6) : 1e-15);
	for (j = 0; j < nm; j++)
		out[j + 1] = Float8GetDatum((num[j] + 0.1) / (den[j / DEDUP_LEVELS] + 0.1 * DEDUP_LEVELS));
	PG_RETURN_ARRAYTYPE_P(construct_array(out, nm + 1, FLOAT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

PG_FUNCTION_INFO_V1(dataeng_dedup_prob);

/*
 * dataeng._dedup_prob(pattern text, params float8[], u float8[]) RETURNS float8
 *		The probability that a pair with this pattern is a match, given
 *		_dedup_estimate's result (lambda, m) and u.
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

PG_FUNCTION_INFO_V1(dataeng_dedup_centers);

/*
 * dataeng._dedup_centers(nrows bigint, a bigint[], b bigint[]) RETURNS bigint[]
 *		Clusters from matching pairs (a[i], b[i]) of row numbers 1..nrows,
 *		given in decreasing order of match probability, by center
 *		clustering: the first pair that reaches a row decides its cluster.
 *		A pair of two rows without a cluster makes the first a center and
 *		the second its member; a row without a cluster joins a center it is
 *		paired with; pairs between rows that already have a cluster are
 *		ignored.  Every cluster is a center and rows matching it directly,
 *		so a chain of borderline pairs (A like B, B like C, ... ) cannot
 *		pull unrelated rows into one cluster as a transitive closure would.
 *		Returns nrows labels: 0 for a row in no cluster, else the row
 *		number of its cluster's center.
 */
Datum
dataeng_dedup_centers(PG_FUNCTION_ARGS)
{
	int64		nrows = PG_GETARG_INT64(0);
	ArrayType  *aa = PG_GETARG_ARRAYTYPE_P(1);
	ArrayType  *ba = PG_GETARG_ARRAYTYPE_P(2);
	Datum	   *av,
			   *bv;
	bool	   *an,
			   *bn;
	int			na,
				nb,
				i;
	int64	   *label;			/* 0: none; row's own number: a center */
	Datum	   *out;

	if (nrows < 0 || nrows > (int64) Min(INT_MAX, MaxAllocSize / sizeof(int64) - 1))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot cluster " INT64_FORMAT " rows", nrows)));
	deconstruct_array(aa, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &av, &an, &na);
	deconstruct_array(ba, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &bv, &bn, &nb);
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("pair arrays have %d and %d elements", na, nb)));
	label = palloc0(sizeof(int64) * (nrows + 1));
	for (i = 0; i < na; i++)
	{
		int64		a,
					b;

		if (an[i] || bn[i])
			continue;
		a = DatumGetInt64(av[i]);
		b = DatumGetInt64(bv[i]);
		if (a < 1 || a > nrows || b < 1 || b > nrows || a == b)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("pair (" INT64_FORMAT ", " INT64_FORMAT ") is not of two rows 1.." INT64_FORMAT,
							a, b, nrows)));
		if (label[a] == 0 && label[b] == 0)
		{
			label[a] = a;
			label[b] = a;
		}
		else if (label[a] == a && label[b] == 0)
			label[b] = a;
		else if (label[b] == b && label[a] == 0)
			label[a] = b;
	}
	out = palloc(sizeof(Datum) * (nrows + 1));
	for (i = 1; i <= nrows; i++)
		out[i - 1] = Int64GetDatum(label[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, (int) nrows, INT8OID, 8,
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
