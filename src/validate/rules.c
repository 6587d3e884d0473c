/*-------------------------------------------------------------------------
 *
 * rules.c
 *		The SQL entry points of table rules, runs, quarantine and the guard,
 *		and whose rights they use.
 *
 * rule_add(), rule_drop(), guard_enable(), guard_disable() and the helpers
 * validate() and quarantine_release() call to record runs and move rows in
 * and out of the quarantine (_record_run(), _quarantine_put(),
 * _quarantine_take()) write dataeng's own tables, which no other role may
 * touch, while checking the caller's rights on the user's tables.  They are
 * invoker-rights C entry points (common/entry.c): each calls its PL/pgSQL
 * body as the body's owner with the role PostgreSQL runs the calling code
 * as (GetUserId()) as first argument, so that a less privileged role's code
 * run by a superuser (its SECURITY DEFINER functions, an index expression
 * evaluated by ANALYZE) gets the less privileged role's rights, as it would
 * from PostgreSQL itself.  The bodies are not executable by PUBLIC.
 * validate() and quarantine_release() are such entry points too.
 *
 * A table's rules are its owner's code: wherever they are evaluated
 * (validate(), quarantine_release(), the guard) they run as the table's
 * owner through internal_sql_begin()/internal_sql_end() (common/entry.c): a security-restricted
 * operation in a GUC nest level with search_path pinned and rolled back
 * afterwards, as REFRESH MATERIALIZED VIEW runs a view's query.  rule_add
 * compiles a rule the same way, as the caller (dataeng_internal._query_as), and
 * judges an expression rule on its parse tree (dataeng_internal._expression_check).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/bytea.h"
#include "utils/datetime.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/regproc.h"
#include "utils/typcache.h"

#include "common/common.h"

/* the entry points and their bodies */
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_rule_drop, "_rule_drop")
DATAENG_ENTRY_QUIET(dataeng_record_run, "_record_run_as_owner")
DATAENG_ENTRY_QUIET(dataeng_quarantine_put, "_quarantine_put_as_owner")
DATAENG_ENTRY_QUIET(dataeng_quarantine_take, "_quarantine_take_as_owner")
DATAENG_ENTRY_QUIET(dataeng_guard_enable, "_guard_enable")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_guard_disable, "_guard_disable")
DATAENG_ENTRY_QUIET(dataeng_validate, "_validate")
DATAENG_ENTRY_QUIET(dataeng_quarantine_release, "_quarantine_release")
DATAENG_ENTRY_QUIET(dataeng_quarantine_release_all, "_quarantine_release_all")

/*
 * lc_monetary while money is written or read in a fixed form (_rule_text,
 * _money_c, canonical_bound): PGLC_localeconv reads the variable again once
 * the setting's assign hook has run.
 */
static char money_locale[] = "C";

static char *
money_locale_enter(void)
{
	char	   *save = locale_monetary;

	locale_monetary = money_locale;
	assign_locale_monetary(money_locale, NULL);
	return save;
}

static void
money_locale_leave(char *save)
{
	locale_monetary = save;
	assign_locale_monetary(save, NULL);
}

/*
 * A money bound that money cannot hold exactly, found by money_canonical
 * (which runs in a subtransaction that swallows errors): canonical_bound
 * refuses it.  money keeps as many decimal places as lc_monetary says (2
 * under C) and rounds the rest: {"max": -0.001} was stored as $0.00 and
 * 0.005 as $0.01, a different rule than the one given.
 */
static bool money_rounded = false;
static int	money_rounded_places = 2;

/*
 * money_exact
 *		Whether the money text bound has no nonzero digit after the decimal
 *		places money keeps, read as cash_in reads it under the lc_monetary
 *		in force (its decimal point, its frac_digits).
 */
static bool
money_exact(const char *bound)
{
	struct lconv *lc = PGLC_localeconv();
	char		dsymbol;
	int			fpoint = lc->frac_digits;
	const char *p;

	if (*lc->mon_decimal_point != '\0' && lc->mon_decimal_point[1] == '\0')
		dsymbol = *lc->mon_decimal_point;
	else
		dsymbol = '.';
	if (fpoint < 0 || fpoint > 10)
		fpoint = 2;
	money_rounded_places = fpoint;
	if ((p = strchr(bound, dsymbol)) == NULL)
		return true;
	p++;
	for (int i = 0; isdigit((unsigned char) *p); i++, p++)
		if (i >= fpoint && *p != '0')
			return false;
	return true;
}

/*
 * money_canonical
 *		A money bound read under the session's lc_monetary (under C when
 *		numeric: a JSON number's decimal point), written under C; one that
 *		money would round sets money_rounded.
 */
static char *
money_canonical(Oid infunc, Oid ioparam, Oid outfunc, const char *bound, bool numeric)
{
	char	   *volatile save = numeric ? money_locale_enter() : NULL;
	char	   *volatile result = NULL;

	PG_TRY();
	{
		Datum		value = OidInputFunctionCall(infunc, (char *) bound, ioparam, -1);

		money_rounded = !money_exact(bound);
		if (!numeric)
			save = money_locale_enter();
		result = OidOutputFunctionCall(outfunc, value);
	}
	PG_FINALLY();
	{
		if (save != NULL)
			money_locale_leave(save);
	}
	PG_END_TRY();
	return result;
}

/*
 * canonical_bound
 *		A range bound written for a date/time column, as text that reads
 *		back as the same value whatever the session's DateStyle, TimeZone
 *		and IntervalStyle: read with the type's input function under the
 *		caller's settings (as a CHECK constraint's constant is), written in
 *		ISO style, timestamptz in UTC, intervals in ISO 8601.  Stored as
 *		written, '01/02/2026' was 2 January or 1 February depending on
 *		the DateStyle of whoever validated or wrote a guarded row, and
 *		'2026-01-01 05:00' on a timestamptz column depended on TimeZone.
 *		NULL when the text does not read as the type (the body says why).
 *		Only the built-in date/time types: their input functions run no
 *		code of the table's owner.
 *
 *		A bound for a money column is read the same (a JSON number with
 *		its decimal point, under lc_monetary C: numeric is true) and
 *		written as lc_monetary C writes it ($1,234.50), which the rule's
 *		condition reads back under C (_money_c): as written, '10.50' was
 *		1050,00 EUR to a session whose lc_monetary is de_DE.
 */
static char *
canonical_bound(Oid basetype, const char *bound, bool numeric)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	char	   *result = NULL;
	Oid			infunc,
				ioparam,
				outfunc;
	bool		varlena;

	getTypeInputInfo(basetype, &infunc, &ioparam);
	getTypeOutputInfo(basetype, &outfunc, &varlena);
	money_rounded = false;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		Datum		value;
		int			nestlevel;

		if (basetype == CASHOID)
			result = money_canonical(infunc, ioparam, outfunc, bound, numeric);
		else
		{
			value = OidInputFunctionCall(infunc, (char *) bound, ioparam, -1);
			nestlevel = NewGUCNestLevel();

			(void) set_config_option("DateStyle", "ISO, YMD", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			(void) set_config_option("TimeZone", "UTC", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			(void) set_config_option("IntervalStyle", "iso_8601", PGC_USERSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			result = OidOutputFunctionCall(outfunc, value);
			AtEOXact_GUC(false, nestlevel);
		}
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		result = NULL;
		money_rounded = false;
	}
	PG_END_TRY();
	if (money_rounded)
	{
		money_rounded = false;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("money value \"%s\" has more decimal places than money keeps", bound),
				 errdetail("money keeps %d decimal places: %s would be stored as %s, changing the rule.",
						   money_rounded_places, bound, result),
				 errhint("Give it with at most %d decimal places.", money_rounded_places)));
	}
	return result;
}

/*
 * datetime_column
 *		The base type of a column when it is a built-in date/time type or
 *		money, else InvalidOid.
 */
static Oid
datetime_column(Oid relid, const char *column)
{
	AttrNumber	attnum;
	Oid			basetype;

	if (column == NULL || get_rel_relkind(relid) == '\0')
		return InvalidOid;
	attnum = get_attnum(relid, column);
	if (attnum <= 0)
		return InvalidOid;
	basetype = getBaseType(get_atttype(relid, attnum));
	if (basetype != DATEOID && basetype != TIMESTAMPOID && basetype != TIMESTAMPTZOID &&
		basetype != TIMEOID && basetype != TIMETZOID && basetype != INTERVALOID && basetype != CASHOID)
		return InvalidOid;
	return basetype;
}

/*
 * canonical_params
 *		params of a range rule (its string min and max) or accepted_values
 *		rule (its values, when all are strings) on a date/time column with
 *		those values made canonical (canonical_bound); params unchanged
 *		otherwise.
 */
static Jsonb *
canonical_params(Oid relid, const char *kind, const char *column, Jsonb *params)
{
	Oid			basetype;
	StringInfoData obj;

	if (!JB_ROOT_IS_OBJECT(params) || (basetype = datetime_column(relid, column)) == InvalidOid)
		return params;
	initStringInfo(&obj);
	if (strcmp(kind, "range") == 0)
	{
		static const char *const keys[] = {"min", "max"};

		for (int i = 0; i < (int) lengthof(keys); i++)
		{
			JsonbValue *v = getKeyJsonValueFromContainer(&params->root, keys[i], strlen(keys[i]), NULL);
			char	   *canon;

			if (v != NULL && v->type == jbvNumeric && basetype == CASHOID)
			{
				/* (a number is read with its decimal point) */
				if ((canon = canonical_bound(basetype,
											 DatumGetCString(DirectFunctionCall1(numeric_out,
																				 NumericGetDatum(v->val.numeric))),
											 true)) == NULL)
					continue;
			}
			else if (v == NULL || v->type != jbvString ||
					 (canon = canonical_bound(basetype, pnstrdup(v->val.string.val, v->val.string.len),
											  false)) == NULL)
				continue;
			appendStringInfoString(&obj, obj.len == 0 ? "{" : ", ");
			escape_json(&obj, keys[i]);
			appendStringInfoString(&obj, ": ");
			escape_json(&obj, canon);
		}
	}
	else if (strcmp(kind, "accepted_values") == 0)
	{
		JsonbValue *v = getKeyJsonValueFromContainer(&params->root, "values", 6, NULL);
		JsonbIterator *it;
		JsonbValue	elem;
		JsonbIteratorToken tok;

		if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
			return params;
		appendStringInfoString(&obj, "{\"values\": [");
		it = JsonbIteratorInit(v->val.binary.data);
		while ((tok = JsonbIteratorNext(&it, &elem, true)) != WJB_DONE)
		{
			char	   *canon;

			if (tok != WJB_ELEM)
				continue;
			if (elem.type == jbvNumeric && basetype == CASHOID)
			{
				/*
				 * a number is read with its decimal point, as a range's
				 * bound is (kept as a number, it was compared with the
				 * money's text, $5.00 against 5, and never matched)
				 */
				if ((canon = canonical_bound(basetype,
											 DatumGetCString(DirectFunctionCall1(numeric_out,
																				 NumericGetDatum(elem.val.numeric))),
											 true)) == NULL)
					return params;
			}
			else if (elem.type != jbvString ||
					 (canon = canonical_bound(basetype, pnstrdup(elem.val.string.val, elem.val.string.len),
											  false)) == NULL)
				return params;	/* the body refuses it, or compares it as is */
			if (obj.data[obj.len - 1] != '[')
				appendStringInfoString(&obj, ", ");
			escape_json(&obj, canon);
		}
		appendStringInfoChar(&obj, ']');
	}
	if (obj.len == 0)
		return params;
	appendStringInfoChar(&obj, '}');
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(params),
											  DirectFunctionCall1(jsonb_in, CStringGetDatum(obj.data))));
}

PG_FUNCTION_INFO_V1(dataeng_rule_add);

/*
 * dataeng_rule_add
 *		rule_add(tbl, rule_name, kind, column_name, params, severity): the
 *		entry point of dataeng_internal._rule_add.  The referenced table of a
 *		foreign_key (or relationships) rule, params.ref_table, is a name the
 *		caller wrote: it is resolved here, in the caller's search_path, as
 *		PostgreSQL resolves tbl, before the body pins search_path, and the
 *		rule stores it qualified (a name, not an oid: it is dumped and
 *		restored with the rule).  A name that resolves to nothing is passed
 *		on as written, and the body refuses it.  dbt's name of it,
 *		params.to, is renamed params.ref_table here first.
 */
Datum
dataeng_rule_add(PG_FUNCTION_ARGS)
{
	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(4))
	{
		char	   *kind = text_to_cstring(PG_GETARG_TEXT_PP(2));
		Jsonb	   *params = PG_GETARG_JSONB_P(4);
		JsonbValue *ref = NULL;

		if ((strcmp(kind, "foreign_key") == 0 || strcmp(kind, "relationships") == 0) &&
			JB_ROOT_IS_OBJECT(params))
		{
			ref = getKeyJsonValueFromContainer(&params->root, "ref_table", 9, NULL);
			/* dbt's name, params.to, is params.ref_table */
			if (ref == NULL &&
				(ref = getKeyJsonValueFromContainer(&params->root, "to", 2, NULL)) != NULL)
			{
				JsonbValue	key;
				JsonbParseState *state = NULL;
				Datum		renamed;
				Datum		without_to;

				key.type = jbvString;
				key.val.string.val = "ref_table";
				key.val.string.len = 9;
				pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
				pushJsonbValue(&state, WJB_KEY, &key);
				pushJsonbValue(&state, WJB_VALUE, ref);
				renamed = JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)));
				without_to = DirectFunctionCall2(jsonb_delete, JsonbPGetDatum(params),
												 CStringGetTextDatum("to"));
				params = DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, without_to, renamed));
				fcinfo->args[4].value = JsonbPGetDatum(params);
			}
		}
		if (ref != NULL && ref->type == jbvString)
		{
			char	   *name = pnstrdup(ref->val.string.val, ref->val.string.len);
			List	   *names = stringToQualifiedNameList(name);
			Oid			relid = RangeVarGetRelid(makeRangeVarFromNameList(names), NoLock, true);

			if (OidIsValid(relid))
			{
				StringInfoData obj;
				char	   *nsp = get_namespace_name(get_rel_namespace(relid));
				char	   *rel = get_rel_name(relid);

				initStringInfo(&obj);
				appendStringInfoString(&obj, "{\"ref_table\": ");
				escape_json(&obj, quote_qualified_identifier(nsp, rel));
				appendStringInfoChar(&obj, '}');
				fcinfo->args[4].value =
					DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(params),
										DirectFunctionCall1(jsonb_in, CStringGetDatum(obj.data)));
			}
		}
	}
	/*
	 * date/time values of a range or accepted_values rule, read as the
	 * caller means them, stored canonical
	 */
	if (!PG_ARGISNULL(0) && !PG_ARGISNULL(2) && !PG_ARGISNULL(3) && !PG_ARGISNULL(4))
		fcinfo->args[4].value =
			JsonbPGetDatum(canonical_params(PG_GETARG_OID(0),
											text_to_cstring(PG_GETARG_TEXT_PP(2)),
											text_to_cstring(PG_GETARG_TEXT_PP(3)),
											DatumGetJsonbP(fcinfo->args[4].value)));
	return dataeng_entry_call_body_quiet(fcinfo, "_rule_add");
}

/*
 * query_as
 *		The first column of the first row of query run as role (NULL when it
 *		returns no row), copied out of SPI; the column must be of type want.
 */
static Datum
query_as(Oid role, const char *query, bool read_only, Oid want, bool *isnull)
{
	InternalSql as_owner;
	int			rc;
	Datum		result = (Datum) 0;

	*isnull = true;
	internal_sql_begin(&as_owner, role);
	SPI_connect();
	rc = SPI_execute(query, read_only, 1);
	if (rc != SPI_OK_SELECT && rc != SPI_OK_INSERT_RETURNING &&
		rc != SPI_OK_DELETE_RETURNING && rc != SPI_OK_UPDATE_RETURNING)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rule check must be one query")));
	if (SPI_tuptable == NULL || SPI_tuptable->tupdesc->natts != 1 ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 1) != want)
		elog(ERROR, "dataeng query run as a role returned an unexpected column");
	if (SPI_processed > 0)
	{
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
		if (!*isnull)
			result = SPI_datumTransfer(result, want == BOOLOID, want == BOOLOID ? 1 : -1);
	}
	SPI_finish();
	internal_sql_end(&as_owner);
	return result;
}

PG_FUNCTION_INFO_V1(dataeng_query_as);

/*
 * dataeng_query_as
 *		Run a read-only query as a role and return the first column of its
 *		first row (NULL when it returns no row).  Bodies that run as their
 *		owner use it for what may run someone else's code: rule_add compiles
 *		a rule's condition against the table as the caller, and that can
 *		evaluate the caller's functions and operators (constant folding,
 *		domain checks), which must not run with the owner's rights nor
 *		change its settings.  Not executable by PUBLIC.
 */
Datum
dataeng_query_as(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		result;

	result = query_as(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)), true,
					  BOOLOID, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(dataeng_exec_as);

/*
 * dataeng_exec_as
 *		Run a query as a role (a table's owner, for validate()) and return
 *		the first column, a jsonb, of its first row; read_only false allows
 *		a DELETE/INSERT ... RETURNING.  Not executable by PUBLIC.
 */
Datum
dataeng_exec_as(PG_FUNCTION_ARGS)
{
	bool		isnull;
	Datum		result;

	result = query_as(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
					  PG_GETARG_BOOL(2), JSONBOID, &isnull);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}

/*
 * expression_walker_check
 *		Refuse what a rule expression may not contain: subqueries, window
 *		functions, aggregate syntax.
 */
static bool
expression_walker_check(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, SubLink))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params.expression must be one boolean expression over the row's columns"),
				 errdetail("Subqueries are not allowed.")));
	if (IsA(node, FuncCall))
	{
		FuncCall   *fc = (FuncCall *) node;

		if (fc->over != NULL || fc->agg_star || fc->agg_distinct ||
			fc->agg_order != NIL || fc->agg_filter != NULL || fc->agg_within_group)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("params.expression must be one boolean expression over the row's columns"),
					 errdetail("Aggregates and window functions are not allowed.")));
	}
	return raw_expression_tree_walker(node, expression_walker_check, context);
}

PG_FUNCTION_INFO_V1(dataeng_expression_check);

/*
 * dataeng_expression_check(role, tbl, expression)
 *		Check an expression rule from its parse tree: the text must parse as
 *		exactly one expression (no second statement, no FROM, no alias), with
 *		no subquery, aggregate, window function or set-returning function,
 *		once analysed against the table as role (parse analysis can run type
 *		input functions).  Raises on anything else.  Not executable by
 *		PUBLIC.
 */
Datum
dataeng_expression_check(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);
	Oid			relid = PG_GETARG_OID(1);
	char	   *expr = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *sql;
	List	   *raw;
	RawStmt    *rs;
	SelectStmt *sel;
	ResTarget  *rt;
	Query	   *q;
	InternalSql as_owner;
	char	   *relname;
	char	   *nspname;

	/* one expression, nothing around it */
	sql = psprintf("SELECT %s", expr);
	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		goto not_one;
	rs = linitial_node(RawStmt, raw);
	if (!IsA(rs->stmt, SelectStmt))
		goto not_one;
	sel = (SelectStmt *) rs->stmt;
	if (sel->op != SETOP_NONE || sel->distinctClause != NIL || sel->intoClause != NULL ||
		list_length(sel->targetList) != 1 || sel->fromClause != NIL ||
		sel->whereClause != NULL || sel->groupClause != NIL || sel->havingClause != NULL ||
		sel->windowClause != NIL || sel->valuesLists != NIL || sel->sortClause != NIL ||
		sel->limitOffset != NULL || sel->limitCount != NULL || sel->lockingClause != NIL ||
		sel->withClause != NULL)
		goto not_one;
	rt = linitial_node(ResTarget, sel->targetList);
	if (rt->name != NULL || rt->val == NULL ||
		(IsA(rt->val, ColumnRef) && IsA(llast(((ColumnRef *) rt->val)->fields), A_Star)))
		goto not_one;
	(void) expression_walker_check(rt->val, NULL);

	/* analysed against the table, as role */
	relname = get_rel_name(relid);
	nspname = relname ? get_namespace_name(get_rel_namespace(relid)) : NULL;
	if (relname == NULL || nspname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	sql = psprintf("SELECT (%s)::boolean FROM %s", expr,
				   quote_qualified_identifier(nspname, relname));
	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		goto not_one;
	internal_sql_begin(&as_owner, role);
	q = parse_analyze_fixedparams(linitial_node(RawStmt, raw), sql, NULL, 0, NULL);
	internal_sql_end(&as_owner);
	if (q->hasSubLinks || q->hasAggs || q->hasWindowFuncs || q->hasTargetSRFs ||
		list_length(q->rtable) != 1 || list_length(q->targetList) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("params.expression must be one boolean expression over the row's columns"),
				 errdetail("Subqueries, aggregates, window functions and set-returning functions are not allowed.")));
	PG_RETURN_VOID();

not_one:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("params.expression must be one boolean expression over the row's columns"),
			 errdetail("Statements, subqueries, FROM clauses and semicolons are not allowed.")));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataeng_rule_text);

/* the output function of _rule_text's argument type, looked up once per call site */
typedef struct RuleTextCache
{
	Oid			type;
	bool		money;			/* its values may hold money (type_holds_money) */
	FmgrInfo	out;
} RuleTextCache;


/*
 * type_holds_money
 *		Whether a value of type may hold money: money itself, or a domain,
 *		array, range, multirange or row type over it (at any depth).
 */
static bool
type_holds_money(Oid type, int depth)
{
	Oid			elem;

	if (depth > 10)
		return false;
	type = getBaseType(type);
	if (type == CASHOID)
		return true;
	if (OidIsValid(elem = get_element_type(type)))
		return type_holds_money(elem, depth + 1);
	if (type_is_range(type))
		return type_holds_money(get_range_subtype(type), depth + 1);
	if (type_is_multirange(type))
		return type_holds_money(get_range_subtype(get_multirange_range(type)), depth + 1);
	return dataeng_row_type_any_column(type, depth, type_holds_money);
}

/*
 * dataeng_internal._rule_text(v anyelement) RETURNS text
 *		The text form of a value written under fixed settings, for regex,
 *		length, validator and accepted_values rules on a column whose text
 *		form depends on the session's (see _rule_text_varies): DateStyle
 *		ISO with YMD order, TimeZone UTC, IntervalStyle postgres,
 *		extra_float_digits 1 (the shortest exact form), bytea in hex, and
 *		money as lc_monetary C writes it ($1,234.50): under the session's
 *		lc_monetary, a value was $1,234.50 to one session and 1.234,50 EUR
 *		to another, and passed a regex in one only.  The
 *		variables the output functions read are set for the call and
 *		restored after it, even on an error: a SQL function with SET
 *		clauses did the same through the GUC machinery at six times the
 *		cost of the cast.
 */
Datum
dataeng_rule_text(PG_FUNCTION_ARGS)
{
	RuleTextCache *volatile cache = (RuleTextCache *) fcinfo->flinfo->fn_extra;
	Oid			type = get_fn_expr_argtype(fcinfo->flinfo, 0);
	static pg_tz *utc = NULL;
	int			save_style = DateStyle,
				save_order = DateOrder,
				save_interval = IntervalStyle,
				save_digits = extra_float_digits,
				save_bytea = bytea_output;
	pg_tz	   *save_tz = session_timezone;
	char	   *save_monetary = locale_monetary;
	char	   *volatile s = NULL;

	if (!OidIsValid(type))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not determine the type of the value")));
	if (cache == NULL || cache->type != type)
	{
		Oid			func;
		bool		varlena;

		if (cache == NULL)
			cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(RuleTextCache));
		getTypeOutputInfo(type, &func, &varlena);
		fmgr_info_cxt(func, &cache->out, fcinfo->flinfo->fn_mcxt);
		cache->money = type_holds_money(type, 0);
		cache->type = type;
		fcinfo->flinfo->fn_extra = cache;
	}
	if (utc == NULL)
	{
		utc = pg_tzset("UTC");
		if (utc == NULL)
			elog(ERROR, "could not load time zone \"UTC\"");
	}

	DateStyle = USE_ISO_DATES;
	DateOrder = DATEORDER_YMD;
	IntervalStyle = INTSTYLE_POSTGRES;
	extra_float_digits = 1;
	bytea_output = BYTEA_OUTPUT_HEX;
	session_timezone = utc;
	if (cache->money)
		(void) money_locale_enter();
	PG_TRY();
	{
		s = OutputFunctionCall(&cache->out, PG_GETARG_DATUM(0));
	}
	PG_FINALLY();
	{
		if (cache->money)
			money_locale_leave(save_monetary);
		DateStyle = save_style;
		DateOrder = save_order;
		IntervalStyle = save_interval;
		extra_float_digits = save_digits;
		bytea_output = save_bytea;
		session_timezone = save_tz;
	}
	PG_END_TRY();
	PG_RETURN_TEXT_P(cstring_to_text(s));
}

PG_FUNCTION_INFO_V1(dataeng_money_c);

/*
 * dataeng_internal._money_c(text) RETURNS money
 *		A money value read as under lc_monetary C ($1,234.50, or 1234.50),
 *		whatever the session's lc_monetary: the bounds of a range rule on a
 *		money column (stored in that form by rule_add, canonical_bound).
 *		IMMUTABLE: the planner reads the constant once per plan.
 */
Datum
dataeng_money_c(PG_FUNCTION_ARGS)
{
	char	   *s = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *save = money_locale_enter();
	volatile Datum result = (Datum) 0;

	PG_TRY();
	{
		result = DirectFunctionCall1(cash_in, CStringGetDatum(s));
	}
	PG_FINALLY();
	{
		money_locale_leave(save);
	}
	PG_END_TRY();
	PG_RETURN_DATUM(result);
}
