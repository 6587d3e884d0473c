/*-------------------------------------------------------------------------
 *
 * fuzzy.c
 *		String similarity: dataeng.jaro_winkler() and
 *		dataeng.damerau_levenshtein(), on characters (not bytes).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

/* the longest strings compared; beyond, the caller gets an error */
#define FUZZY_MAX_CHARS 10000

/*
 * to_chars
 *		The characters of a text value, as pg_wchar; count in *n.
 */
static pg_wchar *
to_chars(text *t, int *n)
{
	int			len = VARSIZE_ANY_EXHDR(t);
	pg_wchar   *w = palloc(sizeof(pg_wchar) * (len + 1));

	*n = pg_mb2wchar_with_len(VARDATA_ANY(t), w, len);
	if (*n > FUZZY_MAX_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("string of %d characters is too long to compare", *n),
				 errdetail("The limit is %d characters.", FUZZY_MAX_CHARS)));
	return w;
}

/*
 * jaro
 *		The Jaro similarity of two character strings; the length of their
 *		common prefix (up to 4) in *prefix.
 */
static double
jaro(const pg_wchar *a, int n, const pg_wchar *b, int m, int *prefix)
{
	int			window,
				matches = 0,
				transpositions = 0,
				i,
				j,
				k;
	bool	   *am,
			   *bm;

	*prefix = 0;
	while (*prefix < 4 && *prefix < n && *prefix < m && a[*prefix] == b[*prefix])
		(*prefix)++;
	if (n == 0 || m == 0)
		return (n == 0 && m == 0) ? 1.0 : 0.0;

	window = Max(n, m) / 2 - 1;
	if (window < 0)
		window = 0;
	am = palloc0(n);
	bm = palloc0(m);
	for (i = 0; i < n; i++)
	{
		int			lo = Max(0, i - window),
					hi = Min(m - 1, i + window);

		for (j = lo; j <= hi; j++)
		{
			if (!bm[j] && a[i] == b[j])
			{
				am[i] = bm[j] = true;
				matches++;
				break;
			}
		}
	}
	if (matches == 0)
		return 0.0;
	for (i = 0, k = 0; i < n; i++)
	{
		if (!am[i])
			continue;
		while (!bm[k])
			k++;
		if (a[i] != b[k])
			transpositions++;
		k++;
	}
	return ((double) matches / n + (double) matches / m +
			(double) (matches - transpositions / 2) / matches) / 3.0;
}

PG_FUNCTION_INFO_V1(dataeng_jaro_winkler);

/*
 * dataeng_jaro_winkler
 *		Jaro-Winkler similarity, 0..1: Jaro's, raised for a common prefix
 *		of up to 4 characters (scale 0.1) when above 0.7, as in jellyfish.
 *		Two empty strings are identical (1).
 */
Datum
dataeng_jaro_winkler(PG_FUNCTION_ARGS)
{
	int			n,
				m,
				prefix;
	pg_wchar   *a = to_chars(PG_GETARG_TEXT_PP(0), &n);
	pg_wchar   *b = to_chars(PG_GETARG_TEXT_PP(1), &m);
	double		sim = jaro(a, n, b, m, &prefix);

	/* Winkler's boost for a common prefix, for strings already similar */
	if (sim > 0.7)
		sim += prefix * 0.1 * (1.0 - sim);
	PG_RETURN_FLOAT8(sim);
}

PG_FUNCTION_INFO_V1(dataeng_damerau_levenshtein);

/*
 * dataeng_damerau_levenshtein
 *		The Damerau-Levenshtein distance: insertions, deletions,
 *		substitutions and transpositions of adjacent characters, with no
 *		restriction on editing a substring twice (Lowrance-Wagner).
 */
Datum
dataeng_damerau_levenshtein(PG_FUNCTION_ARGS)
{
	int			n,
				m,
				i,
				j;
	pg_wchar   *a = to_chars(PG_GETARG_TEXT_PP(0), &n);
	pg_wchar   *b = to_chars(PG_GETARG_TEXT_PP(1), &m);
	int			maxdist = n + m;
	int		   *d;
	int			width = m + 2;

	/* last row where each character was seen in a: a small open hash */
	pg_wchar   *seen_char;
	int		   *seen_row;
	int			slots = 1;

	while (slots < 2 * (n + m + 1))
		slots <<= 1;
	seen_char = palloc0(sizeof(pg_wchar) * slots);
	seen_row = palloc0(sizeof(int) * slots);

#define D(x, y) d[(x) * width + (y)]
	d = palloc(sizeof(int) * (n + 2) * width);
	D(0, 0) = maxdist;
	for (i = 0; i <= n; i++)
	{
		D(i + 1, 0) = maxdist;
		D(i + 1, 1) = i;
	}
	for (j = 0; j <= m; j++)
	{
		D(0, j + 1) = maxdist;
		D(1, j + 1) = j;
	}

	for (i = 1; i <= n; i++)
	{
		int			db = 0;

		for (j = 1; j <= m; j++)
		{
			int			i1 = 0,
						j1 = db,
						cost,
						best;
			unsigned int h = (b[j - 1] * 2654435761u) & (slots - 1);

			/* the last row of a where b[j - 1] occurred */
			while (seen_char[h] != 0 && seen_char[h] != b[j - 1] + 1)
				h = (h + 1) & (slots - 1);
			if (seen_char[h] != 0)
				i1 = seen_row[h];

			cost = (a[i - 1] == b[j - 1]) ? 0 : 1;
			if (cost == 0)
				db = j;
			best = D(i, j) + cost;	/* substitution */
			best = Min(best, D(i + 1, j) + 1);	/* insertion */
			best = Min(best, D(i, j + 1) + 1);	/* deletion */
			best = Min(best, D(i1, j1) + (i - i1 - 1) + 1 + (j - j1 - 1));	/* transposition */
			D(i + 1, j + 1) = best;
		}
		{
			unsigned int h = (a[i - 1] * 2654435761u) & (slots - 1);

			while (seen_char[h] != 0 && seen_char[h] != a[i - 1] + 1)
				h = (h + 1) & (slots - 1);
			seen_char[h] = a[i - 1] + 1;
			seen_row[h] = i;
		}
	}
	PG_RETURN_INT32(D(n + 1, m + 1));
#undef D
}

/*
 * cleanse_jaro_winkler_chars
 *		Jaro-Winkler similarity of two character strings, for other files
 *		(the duplicate finder's scorer).
 */
double
cleanse_jaro_winkler_chars(const pg_wchar *a, int n, const pg_wchar *b, int m)
{
	int			prefix;
	double		sim = jaro(a, n, b, m, &prefix);

	if (sim > 0.7)
		sim += prefix * 0.1 * (1.0 - sim);
	return sim;
}
