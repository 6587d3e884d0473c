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
 * Memory is bounded by settings whatever the table's size: the set-based
 * work is in temporary tables and spilling sorts and tuplestores;
 * _dedup_as hands the rows of its query straight to its result's
 * tuplestore (a DestReceiver, not SPI_tuptable); _dedup_centers reads the
 * pairs through a cursor and spills its labels to a temporary file beyond
 * work_mem (LabelStore).
 *
 * Whose rights: find_duplicates(), dedupe(), dedupe_undo() and
 * dedupe_forget() are invoker-rights entry points (common/entry.c): their
 * PL/pgSQL bodies run as the extension's owner, check the caller's rights
 * on the table, and write dataeng.dedupe_runs and dataeng.dedupe_log, which
 * PUBLIC may only read.  Everything that touches the table -- and so may
 * run code of the table's owner: casts of its types, triggers, defaults --
 * runs through _dedup_as() as the table's owner, under
 * SECURITY_RESTRICTED_OPERATION with search_path pinned in a GUC nest level
 * that is rolled back afterwards, as REFRESH MATERIALIZED VIEW does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "access/detoast.h"
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
#include "storage/buffile.h"
#include "executor/tstoreReceiver.h"
#include "lib/stringinfo.h"
#include "utils/regproc.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

/* longer values are compared on their first DEDUP_MAX_CHARS characters */
#define DEDUP_MAX_CHARS 200

#define DEDUP_SIMILAR 0.88
#define DEDUP_LEVELS 3			/* levels 1..3; level 0 carries no evidence */

/*
 * Why the search for duplicates of a table found none, noted by its body
 * (_dedup_nothing_found) and reported by its entry point once the body is
 * done: a NOTICE raised inside the PL/pgSQL body would carry its internal
 * CONTEXT.  rel is InvalidOid when there is nothing to say; best is the
 * best candidate pair's score, or -1 when no candidate pair was a
 * near-certain match to learn from.
 */
static Oid	dedup_nothing_rel = InvalidOid;
static double dedup_nothing_best;
static double dedup_nothing_threshold;

static void
dedup_report_nothing_found(void)
{
	Oid			rel = dedup_nothing_rel;
	char	   *relname;
	char	   *nspname;

	dedup_nothing_rel = InvalidOid;
	if (!OidIsValid(rel))
		return;
	relname = get_rel_name(rel);
	nspname = get_namespace_name(get_rel_namespace(rel));
	if (relname == NULL || nspname == NULL)
		return;
	if (dedup_nothing_best < 0)
		ereport(NOTICE,
				(errmsg("no duplicates found in table %s: no two of its rows fill two or more of the columns and are equal on more than half of them",
						quote_qualified_identifier(nspname, relname)),
				 errdetail("Duplicates are scored by what such near-certain matches look like; "
						   "without one, no pair is a match, whatever the threshold."),
				 errhint("Compare on columns that duplicates share exactly (normalized first, "
						 "as dataeng.clean_email or dataeng.to_e164 do), on more columns, "
						 "or on one column alone to list its exact duplicates.")));
	else
		ereport(NOTICE,
				(errmsg("no duplicates found in table %s: its best pair of rows scores %.4f, below the threshold %g",
						quote_qualified_identifier(nspname, relname),
						dedup_nothing_best, dedup_nothing_threshold),
				 errhint("On a handful of rows the scores rest on little evidence: "
						 "lower the threshold, or compare on more rows.")));
}

/*
 * An entry point that searches for duplicates (find_duplicates, dedupe):
 * its body, then why it found none, if it noted why
 */
static Datum
dedup_entry_searching(FunctionCallInfo fcinfo, const char *body)
{
	Datum		result;

	dedup_nothing_rel = InvalidOid;
	result = dataeng_entry_call_body_quiet(fcinfo, body);
	dedup_report_nothing_found();
	return result;
}

/* the entry points and their bodies */
PG_FUNCTION_INFO_V1(dataeng_find_duplicates);
Datum
dataeng_find_duplicates(PG_FUNCTION_ARGS)
{
	return dedup_entry_searching(fcinfo, "_find_duplicates");
}

PG_FUNCTION_INFO_V1(dataeng_dedupe);
Datum
dataeng_dedupe(PG_FUNCTION_ARGS)
{
	return dedup_entry_searching(fcinfo, "_dedupe");
}

PG_FUNCTION_INFO_V1(dataeng_dedup_nothing_found);

/*
 * dataeng_internal._dedup_nothing_found(tbl regclass, best float8,
 *										 threshold float8) RETURNS void
 *		Note that the search for duplicates of tbl found none: best is the
 *		best candidate pair's score, NULL when no candidate pair was a
 *		near-certain match.  The entry point (find_duplicates, dedupe) says
 *		why in a NOTICE once its body is done.
 */
Datum
dataeng_dedup_nothing_found(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_VOID();
	dedup_nothing_rel = PG_GETARG_OID(0);
	dedup_nothing_best = PG_ARGISNULL(1) ? -1 : PG_GETARG_FLOAT8(1);
	dedup_nothing_threshold = PG_ARGISNULL(2) ? 0 : PG_GETARG_FLOAT8(2);
	PG_RETURN_VOID();
}

/*
 * dataeng.dedupe_undo(run_id bigint, clusters bigint[] DEFAULT NULL) and
 * dataeng.dedupe_undo_clusters(run_id bigint, clusters bigint[] DEFAULT
 * NULL): run_id is required (22004), clusters may be NULL (every cluster
 * of the run not undone yet).  The body is looked up by the entry's own
 * arguments: a database still on the 0.1.0 script has no C dedupe_undo.
 */
PG_FUNCTION_INFO_V1(dataeng_dedupe_undo);
Datum
dataeng_dedupe_undo(PG_FUNCTION_ARGS)
{
	dataeng_entry_require_args(fcinfo, 1);
	return dataeng_entry_call_body_quiet(fcinfo, "_dedupe_undo");
}

PG_FUNCTION_INFO_V1(dataeng_dedupe_undo_clusters);
Datum
dataeng_dedupe_undo_clusters(PG_FUNCTION_ARGS)
{
	dataeng_entry_require_args(fcinfo, 1);
	return dataeng_entry_call_body_quiet(fcinfo, "_dedupe_undo_clusters");
}

DATAENG_ENTRY_QUIET_REQUIRED(dataeng_dedupe_forget, "_dedupe_forget")

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
 * dataeng_internal._dedup_pattern(a text[], b text[]) RETURNS text
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
		out[i] = cleanse_jaro_winkler_chars(wa, n, wb, m) >= DEDUP_SIMILAR ? '2' : '1';
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
 * dataeng_internal._dedup_estimate(patterns text[], counts float8[], ncols int,
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

	dataeng_require_sql_version("dedupe()");
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
 * dataeng_internal._dedup_prob(pattern text, params float8[], u float8[]) RETURNS float8
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
 * Cluster labels of the rows 1..n of a clustering, in memory when they fit
 * in work_mem, else in a temporary file (as a sort spills), so that the
 * memory used is bounded by work_mem whatever the number of rows.  A label
 * is the row number of a cluster's center, 0 for none.
 */
typedef struct LabelStore
{
	int64		n;
	int64	   *mem;			/* when in memory */
	BufFile    *file;			/* when spilled */
} LabelStore;

static void
labels_init(LabelStore *ls, int64 n)
{
	ls->n = n;
	ls->mem = NULL;
	ls->file = NULL;
	if (n <= (int64) work_mem * 1024 / (int64) sizeof(int64))
		ls->mem = palloc_extended(sizeof(int64) * Max(1, n), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	else
	{
		char	   *zeros = palloc0(BLCKSZ);
		int64		left = n * (int64) sizeof(int64);

		ls->file = BufFileCreateTemp(false);
		while (left > 0)
		{
			int			chunk = (int) Min(left, (int64) BLCKSZ);

			BufFileWrite(ls->file, zeros, chunk);
			left -= chunk;
		}
		pfree(zeros);
	}
}

/* position the file at label ix (1..n); BLCKSZ is a multiple of 8 */
static void
labels_seek(LabelStore *ls, int64 ix)
{
	int64		off = (ix - 1) * (int64) sizeof(int64);

	if (BufFileSeekBlock(ls->file, (long) (off / BLCKSZ)) != 0 ||
		BufFileSeek(ls->file, 0, (off_t) (off % BLCKSZ), SEEK_CUR) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not seek in temporary file of cluster labels")));
}

static int64
labels_get(LabelStore *ls, int64 ix)
{
	int64		v;

	Assert(ix >= 1 && ix <= ls->n);
	if (ls->mem)
		return ls->mem[ix - 1];
	labels_seek(ls, ix);
	if (BufFileRead(ls->file, &v, sizeof(v)) != sizeof(v))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read temporary file of cluster labels")));
	return v;
}

static void
labels_set(LabelStore *ls, int64 ix, int64 v)
{
	Assert(ix >= 1 && ix <= ls->n);
	if (ls->mem)
	{
		ls->mem[ix - 1] = v;
		return;
	}
	labels_seek(ls, ix);
	BufFileWrite(ls->file, &v, sizeof(v));
}

static void
labels_free(LabelStore *ls)
{
	if (ls->file)
		BufFileClose(ls->file);
	else
		pfree(ls->mem);
}

/* rows a cursor of _dedup_centers fetches at a time */
#define DEDUP_CENTERS_BATCH 1000

/* a bigint column of the current batch; NULL is an error */
static int64
batch_int8(uint64 r, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, col, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("pairs to cluster must not hold NULL")));
	return DatumGetInt64(d);
}

/*
 * dataeng_internal._dedup_centers(edges regclass) RETURNS TABLE(id bigint, label bigint)
 *		Clusters from the matching pairs of a table (a bigint, b bigint,
 *		prob float8) of row numbers, taken in decreasing order of match
 *		probability, by center clustering: the first pair that reaches a
 *		row decides its cluster.  A pair of two rows without a cluster makes
 *		the first a center and the second its member; a row without a
 *		cluster joins a center it is paired with; pairs between rows that
 *		already have a cluster are ignored.  Every cluster is a center and
 *		rows matching it directly, so a chain of borderline pairs (A like B,
 *		B like C, ... ) cannot pull unrelated rows into one cluster as a
 *		transitive closure would.  Returns each row in a cluster with the
 *		row number of its cluster's center, in row order.
 *
 *		Memory is bounded by work_mem whatever the number of pairs: the
 *		pairs are read through cursors, DEDUP_CENTERS_BATCH at a time
 *		(their sort spills as any sort does), the rows they name are
 *		numbered 1..m by SQL, so that the labels take 8 bytes per row
 *		paired, never per row number, and the labels spill to a temporary
 *		file beyond work_mem (LabelStore); the result is a tuplestore,
 *		which spills too.
 */
Datum
dataeng_dedup_centers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			edges = PG_GETARG_OID(0);
	char	   *rel;
	char	   *nodes;
	StringInfoData q;
	SPIPlanPtr	plan;
	Portal		portal;
	LabelStore	ls;
	int64		m,
				ix;
	bool		isnull;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (rsinfo->setDesc->natts != 2 ||
		TupleDescAttr(rsinfo->setDesc, 0)->atttypid != INT8OID ||
		TupleDescAttr(rsinfo->setDesc, 1)->atttypid != INT8OID)
		elog(ERROR, "dataeng_internal._dedup_centers returns two bigint columns");
	rel = DatumGetCString(DirectFunctionCall1(regclassout, ObjectIdGetDatum(edges)));
	/* the rows named by the pairs, in order: their index is their rank */
	nodes = psprintf("SELECT s.id FROM (SELECT e.a AS id FROM %s e UNION SELECT e.b FROM %s e) s",
					 rel, rel);

	dataeng_require_sql_version("dedupe()");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT pg_catalog.count(*) FROM (%s) n", nodes);
	if (SPI_execute(q.data, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "dataeng_internal._dedup_centers: cannot count the rows of %s", rel);
	m = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	labels_init(&ls, m);

	/* the pairs, best first, each row by its index */
	resetStringInfo(&q);
	appendStringInfo(&q,
					 "WITH n AS (SELECT s.id, pg_catalog.row_number() OVER (ORDER BY s.id) AS ix FROM (%s) s) "
					 "SELECT na.ix, nb.ix, e.a, e.b FROM %s e "
					 "JOIN n na ON na.id OPERATOR(pg_catalog.=) e.a "
					 "JOIN n nb ON nb.id OPERATOR(pg_catalog.=) e.b "
					 "ORDER BY e.prob DESC, e.a, e.b",
					 nodes, rel);
	plan = SPI_prepare(q.data, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "dataeng_internal._dedup_centers: cannot read the pairs of %s: %s", rel,
			 SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, DEDUP_CENTERS_BATCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			int64		ia = batch_int8(r, 1),
						ib = batch_int8(r, 2),
						a = batch_int8(r, 3),
						b = batch_int8(r, 4),
						la,
						lb;

			if (a == b)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("pair (" INT64_FORMAT ", " INT64_FORMAT ") is not of two rows", a, b)));
			la = labels_get(&ls, ia);
			lb = labels_get(&ls, ib);
			if (la == 0 && lb == 0)
			{
				labels_set(&ls, ia, a);
				labels_set(&ls, ib, a);
			}
			else if (la == a && lb == 0)
				labels_set(&ls, ib, a);
			else if (lb == b && la == 0)
				labels_set(&ls, ia, b);
		}
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);

	/* each clustered row and its center, in row order */
	resetStringInfo(&q);
	appendStringInfo(&q, "%s ORDER BY s.id", nodes);
	plan = SPI_prepare(q.data, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "dataeng_internal._dedup_centers: cannot read the rows of %s", rel);
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	ix = 0;
	for (;;)
	{
		uint64		r;

		SPI_cursor_fetch(portal, true, DEDUP_CENTERS_BATCH);
		if (SPI_processed == 0)
			break;
		for (r = 0; r < SPI_processed; r++)
		{
			Datum		values[2];
			bool		nulls[2] = {false, false};
			int64		label;

			if (++ix > m)
				elog(ERROR, "dataeng_internal._dedup_centers: the rows of %s changed", rel);
			label = labels_get(&ls, ix);
			if (label == 0)
				continue;
			values[0] = Int64GetDatum(batch_int8(r, 1));
			values[1] = Int64GetDatum(label);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	labels_free(&ls);
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(dataeng_dedup_as);

/*
 * dataeng_internal._dedup_as(role regrole, query text) RETURNS SETOF record
 *		Run one query as role -- the owner of the table it works on -- and
 *		return its rows, whose columns must be of the types of the column
 *		definition list.  The query runs under SECURITY_RESTRICTED_OPERATION
 *		with search_path = pg_catalog, pg_temp, in a GUC nest level rolled
 *		back afterwards, as REFRESH MATERIALIZED VIEW runs the view's query:
 *		the code of that role it may run (casts of its types, triggers,
 *		defaults) gets that role's rights only, and cannot change settings
 *		or create temporary objects for the code that runs after it.  Not
 *		executable by PUBLIC: only the bodies of dataeng's dedupe functions,
 *		which check their caller's rights first, call it.
 */
Datum
dataeng_dedup_as(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			role = PG_GETARG_OID(0);
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	InternalSql as_owner;
	int			ret;
	SPIPlanPtr	plan;
	SPIExecuteOptions options;
	DestReceiver *dest;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	if (!OidIsValid(role))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role to run as must be given")));

	/*
	 * The rows (read, or returned by a change) go straight into the result's
	 * tuplestore, which spills to disk beyond work_mem: whatever their
	 * number, they are never all held in memory.  Detoasted on the way: no
	 * pointer into the toast of rows the query may have deleted.  Their
	 * columns must be of the types of the column definition list.
	 */
	dest = CreateDestReceiver(DestTuplestore);
	SetTuplestoreDestReceiverParams(dest, rsinfo->setResult,
									rsinfo->econtext->ecxt_per_query_memory,
									true, rsinfo->setDesc,
									gettext_noop("dataeng_internal._dedup_as: the query's columns are not those of the column definition list"));

	internal_sql_begin(&as_owner, role);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "dataeng_internal._dedup_as: cannot prepare query: %s",
			 SPI_result_code_string(SPI_result));
	memset(&options, 0, sizeof(options));
	options.read_only = false;
	options.dest = dest;
	ret = SPI_execute_plan_extended(plan, &options);
	if (ret < 0)
		elog(ERROR, "dataeng_internal._dedup_as: query failed: %s", SPI_result_code_string(ret));
	SPI_finish();

	internal_sql_end(&as_owner);
	dest->rDestroy(dest);
	return (Datum) 0;
}
