/*-------------------------------------------------------------------------
 *
 * measure.c
 *		Measures as expressions: a measure parsed by PostgreSQL's own parser
 *		and analysed against its source, and the value expressions a
 *		refresh folds.
 *
 * dataeng_internal._fact_measure_parse(source, measure, owner) reads one
 * measure of fact_create: an aggregate call (count, sum, avg, min or max, unqualified
 * or pg_catalog-qualified) of one argument, count(*), count(DISTINCT x),
 * with an optional FILTER (WHERE ...) and an optional AS name.  The text is
 * parsed as "SELECT <measure>" by raw_parser() and refused unless that is
 * exactly one statement with one target and no other clause, so no text of
 * the measure ever reaches SQL unparsed.  Its argument and filter are then
 * analysed against the source (one range table entry, alias s) with the
 * current search_path (pinned by fact_create: functions and operators
 * outside pg_catalog are written schema-qualified), and refused when they
 * hold an aggregate, a window function, a subquery, a set-returning or a
 * volatile function, a system column or the whole row, or (in an
 * expression, not alone) a column whose row-image value is not a scalar
 * (arrays, composites, json).  What is
 * stored is their deparsed form (pg_get_expr's), which names every column
 * as s.<column>.
 *
 * Analysing a measure can run code of the role that wrote it: a literal of
 * a type is read by the type's input function, and that of an array or a
 * composite of a domain checks the domain's CHECK constraints, which may
 * call any function.  The text is analysed again when a definition is
 * written, by the body of an entry point (as its owner, a superuser), and
 * by every statement made of a definition: so it is always analysed as
 * the fact's owner (owner, which the calling role must have the rights
 * of), restricted, with search_path pinned (internal_sql_begin()).
 *
 * agg_value_expr() analyses such a deparsed value expression again, with
 * the same checks, for _fact_deltas() (delta.c), which evaluates it over
 * each row image of a change, as the current user (the fact's owner).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parser.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

#define MEASURE_HINT "Write count(*), or count, sum, avg, min or max of an expression of the source's columns, " \
	"optionally with FILTER (WHERE condition), and AS name: for example sum(amount * quantity) AS revenue."

/*
 * parse_target
 *		The one target of "SELECT <text>", or an error naming measure.
 */
static ResTarget *
parse_target(const char *text, const char *measure)
{
	StringInfoData sql;
	List	   *volatile raw = NIL;
	MemoryContext cxt = CurrentMemoryContext;
	RawStmt    *rs;
	SelectStmt *sel;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s", text);
	PG_TRY();
	{
		raw = raw_parser(sql.data, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot parse measure \"%s\"", measure),
				 errdetail("%s", edata->message),
				 errhint(MEASURE_HINT)));
	}
	PG_END_TRY();
	if (list_length(raw) != 1 ||
		!IsA((rs = linitial_node(RawStmt, raw))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot parse measure \"%s\"", measure),
				 errdetail("A measure is one expression, not a statement."),
				 errhint(MEASURE_HINT)));
	sel = (SelectStmt *) rs->stmt;
	if (sel->op != SETOP_NONE || sel->distinctClause != NIL || sel->intoClause != NULL ||
		sel->fromClause != NIL || sel->whereClause != NULL || sel->groupClause != NIL ||
		sel->havingClause != NULL || sel->windowClause != NIL || sel->valuesLists != NIL ||
		sel->sortClause != NIL || sel->limitOffset != NULL || sel->limitCount != NULL ||
		sel->lockingClause != NIL || sel->withClause != NULL || list_length(sel->targetList) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot parse measure \"%s\"", measure),
				 errdetail("A measure is one expression, with no other clause."),
				 errhint(MEASURE_HINT)));
	return linitial_node(ResTarget, sel->targetList);
}

/*
 * source_pstate
 *		A parse state whose one relation is source rel, aliased s.  (No
 *		source text: positions in errors would point into another text.)
 */
static ParseState *
source_pstate(Relation rel)
{
	ParseState *pstate = make_parsestate(NULL);
	ParseNamespaceItem *nsitem;

	nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
										   makeAlias("s", NIL), false, true);
	addNSItemToQuery(pstate, nsitem, true, true, true);
	return pstate;
}

/*
 * check_expr
 *		Raise unless expr, analysed in pstate, is what a measure may compute
 *		from a row image (see the header comment); add the columns it reads
 *		to *attnos (offset by FirstLowInvalidHeapAttributeNumber).
 */
static void
check_expr(ParseState *pstate, Relation rel, Node *expr, const char *measure,
		   Bitmapset **attnos)
{
	Bitmapset  *used = NULL;
	int			x = -1;

	if (pstate->p_hasAggs)
		ereport(ERROR,
				(errcode(ERRCODE_GROUPING_ERROR),
				 errmsg("measure \"%s\" has an aggregate inside its aggregate", measure),
				 errdetail("The argument and the filter of a measure are computed from one row of the source."),
				 errhint(MEASURE_HINT)));
	if (pstate->p_hasWindowFuncs)
		ereport(ERROR,
				(errcode(ERRCODE_WINDOWING_ERROR),
				 errmsg("measure \"%s\" has a window function", measure),
				 errdetail("The argument and the filter of a measure are computed from one row of the source."),
				 errhint(MEASURE_HINT)));
	if (pstate->p_hasSubLinks)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("measure \"%s\" has a subquery", measure),
				 errdetail("A refresh computes the change of a measure from the old and new images of the changed rows alone."),
				 errhint("Compute the value in the source table (a column kept by a trigger), or join a dimension when you query the fact.")));
	if (pstate->p_hasTargetSRFs || expression_returns_set(expr))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("measure \"%s\" has a set-returning function", measure),
				 errdetail("The argument and the filter of a measure are one value per row of the source."),
				 errhint(MEASURE_HINT)));
	if (contain_volatile_functions(expr))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("measure \"%s\" calls a volatile function", measure),
				 errdetail("A refresh computes the change of a measure again from the row images of each change: a volatile function would take back other values than it added."),
				 errhint("Use only immutable and stable functions and operators in a measure.")));
	pull_varattnos(expr, 1, &used);
	while ((x = bms_next_member(used, x)) >= 0)
	{
		AttrNumber	att = x + FirstLowInvalidHeapAttributeNumber;
		Form_pg_attribute a;
		char		category;
		bool		preferred;
		Oid			base;

		if (att <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("measure \"%s\" reads a system column or the whole row", measure),
					 errdetail("Row images in the change log hold the columns of the source only."),
					 errhint("Name the columns the measure reads.")));
		/* (a column alone is read from the row image as the column) */
		if (IsA(expr, Var))
			continue;
		a = TupleDescAttr(RelationGetDescr(rel), att - 1);
		get_type_category_preferred(a->atttypid, &category, &preferred);
		base = getBaseType(a->atttypid);
		if (category == TYPCATEGORY_ARRAY || get_typtype(base) == TYPTYPE_COMPOSITE || base == JSONOID)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("measure \"%s\" reads column \"%s\" of type %s", measure,
							NameStr(a->attname), format_type_be(a->atttypid)),
					 errdetail("An expression of a measure reads scalar columns (and jsonb) only."),
					 errhint("Aggregate the column itself, e.g. count(%s), or a scalar computed from it in the source table.",
							 quote_identifier(NameStr(a->attname)))));
	}
	*attnos = bms_add_members(*attnos, used);
}

/*
 * analyse
 *		raw, an expression of source rel, analysed and checked; a filter
 *		(is_filter) is made boolean.
 */
static Node *
analyse(Relation rel, Node *raw, bool is_filter, const char *measure, Bitmapset **attnos)
{
	ParseState *pstate = source_pstate(rel);
	MemoryContext cxt = CurrentMemoryContext;
	Node	   *volatile e = NULL;

	/*
	 * A column the source does not have, the commonest mistake, said only
	 * 'column "x" does not exist': say which measure and which table.
	 */
	PG_TRY();
	{
		e = transformExpr(pstate, raw, is_filter ? EXPR_KIND_FILTER : EXPR_KIND_SELECT_TARGET);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->elevel != ERROR || edata->sqlerrcode != ERRCODE_UNDEFINED_COLUMN ||
			edata->detail != NULL || edata->hint != NULL)
			PG_RE_THROW();
		FlushErrorState();
		edata->detail = psprintf("Measure \"%s\" reads a column that table %s does not have.",
								 measure,
								 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
															RelationGetRelationName(rel)));
		edata->hint = pstrdup("Name columns of the source table: unquoted names are folded to lower case.");
		ReThrowError(edata);
	}
	PG_END_TRY();

	if (is_filter)
		e = coerce_to_boolean(pstate, e, "FILTER");
	assign_expr_collations(pstate, e);
	check_expr(pstate, rel, e, measure, attnos);
	free_parsestate(pstate);
	return e;
}

/*
 * agg_value_expr
 *		The value expression text (as _fact_measure_parse deparsed it, or a
 *		column as s.<column>) of source rel, analysed and checked as a
 *		measure's argument; the columns it reads are added to *attnos.
 */
Node *
agg_value_expr(Relation rel, const char *text, Bitmapset **attnos)
{
	ResTarget  *rt = parse_target(text, text);

	if (rt->name != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot parse measure \"%s\"", text),
				 errdetail("A value expression has no name.")));
	return analyse(rel, rt->val, false, text, attnos);
}

PG_FUNCTION_INFO_V1(dataeng_fact_measure_parse);

/*
 * dataeng_fact_measure_parse
 *		dataeng_internal._fact_measure_parse(source regclass, measure text,
 *		  owner regrole, OUT agg text, OUT name text, OUT col text, OUT expr text,
 *		  OUT filter text, OUT argtype regtype, OUT cols text[])
 *
 * agg: count_star, count, count_distinct, sum, avg, min or max (count(*)
 * with a filter is count of true where the filter holds); col: the column
 * when the argument is one and there is no filter, else expr: the
 * deparsed argument; filter: the deparsed condition; argtype: the
 * argument's type; cols: the columns read; name: the AS name, or for a
 * column measure the default name (count, agg_col, count_distinct_col).
 */
Datum
dataeng_fact_measure_parse(PG_FUNCTION_ARGS)
{
	static const char *const aggs[] = {"count", "sum", "avg", "min", "max"};
	Oid			source;
	char	   *measure;
	ResTarget  *rt;
	FuncCall   *fc;
	const char *aggname;
	const char *agg;
	bool		known = false;
	Relation	rel;
	Node	   *arg = NULL;
	Node	   *filter = NULL;
	Bitmapset  *attnos = NULL;
	List	   *ctx;
	char	   *col = NULL;
	char	   *name;
	TupleDesc	desc;
	Datum		values[7];
	bool		nulls[7] = {false};
	int			i;
	int			x = -1;
	Datum	   *colnames;
	int			ncols = 0;
	Oid			owner;
	InternalSql as_owner;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source, measure and owner must not be NULL")));
	source = PG_GETARG_OID(0);
	measure = text_to_cstring(PG_GETARG_TEXT_PP(1));
	owner = PG_GETARG_OID(2);
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to act as role \"%s\"", GetUserNameFromId(owner, false)),
				 errdetail("A measure is analysed as the role of the fact it belongs to.")));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	rt = parse_target(measure, measure);
	if (!IsA(rt->val, FuncCall))
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot parse measure \"%s\"", measure),
				 errdetail("A measure is one call of an aggregate."),
				 errhint(MEASURE_HINT)));
	fc = (FuncCall *) rt->val;
	aggname = strVal(llast(fc->funcname));
	for (i = 0; i < (int) lengthof(aggs); i++)
		known |= strcmp(aggname, aggs[i]) == 0;
	if (!known || list_length(fc->funcname) > 2 ||
		(list_length(fc->funcname) == 2 && strcmp(strVal(linitial(fc->funcname)), "pg_catalog") != 0))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("aggregate \"%s\" in measure \"%s\" is not supported",
						NameListToString(fc->funcname), measure),
				 errhint("Measures can use count, sum, avg, min and max.")));
	if (fc->agg_order != NIL || fc->agg_within_group || fc->over != NULL || fc->func_variadic)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("measure \"%s\": ORDER BY, WITHIN GROUP, OVER and VARIADIC are not supported", measure),
				 errhint(MEASURE_HINT)));
	if (fc->agg_star)
	{
		if (strcmp(aggname, "count") != 0 || fc->agg_distinct)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("cannot parse measure \"%s\": only count(*) takes *", measure)));
	}
	else if (list_length(fc->args) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("cannot parse measure \"%s\"", measure),
				 errdetail("The aggregate of a measure takes one argument."),
				 errhint(MEASURE_HINT)));
	if (fc->agg_distinct && strcmp(aggname, "count") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("measure \"%s\": DISTINCT is only supported in count(DISTINCT col)", measure)));

	/*
	 * Analysed as the owner, restricted (the header comment): the code the
	 * analysis may run (a domain's CHECK, a type's input function) is the
	 * owner's, never the caller's rights when they are more.
	 */
	internal_sql_begin(&as_owner, owner);
	/* (the owner reads the source: no lock on another role's table) */
	if (pg_class_aclcheck(source, owner, ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(source))));
	rel = relation_open(source, AccessShareLock);
	if (!fc->agg_star)
		arg = analyse(rel, linitial(fc->args), false, measure, &attnos);
	if (fc->agg_filter != NULL)
		filter = analyse(rel, fc->agg_filter, true, measure, &attnos);
	if (fc->agg_star && filter != NULL)
		arg = (Node *) makeBoolConst(true, false);
	agg = fc->agg_star ? (filter != NULL ? "count" : "count_star") :
		fc->agg_distinct ? "count_distinct" : aggname;

	ctx = deparse_context_for("s", source);
	if (arg != NULL && IsA(arg, Var) && filter == NULL)
		col = get_attname(source, ((Var *) arg)->varattno, false);
	if (rt->name != NULL)
		name = rt->name;
	else if (arg == NULL)
		name = "count";
	else if (col != NULL)
		name = psprintf("%s_%s", agg, col);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("measure \"%s\" needs a name", measure),
				 errdetail("Only a measure of one column has a default name."),
				 errhint("Name it with AS, e.g. sum(amount * quantity) AS revenue.")));

	values[0] = CStringGetTextDatum(agg);
	values[1] = CStringGetTextDatum(name);
	nulls[2] = col == NULL;
	if (col != NULL)
		values[2] = CStringGetTextDatum(col);
	nulls[3] = col != NULL || arg == NULL;
	if (!nulls[3])
		values[3] = CStringGetTextDatum(deparse_expression(arg, ctx, true, false));
	nulls[4] = filter == NULL;
	if (filter != NULL)
		values[4] = CStringGetTextDatum(deparse_expression(filter, ctx, true, false));
	nulls[5] = arg == NULL;
	if (arg != NULL)
		values[5] = ObjectIdGetDatum(exprType(arg));
	colnames = palloc(sizeof(Datum) * (bms_num_members(attnos) + 1));
	while ((x = bms_next_member(attnos, x)) >= 0)
		colnames[ncols++] = CStringGetTextDatum(get_attname(source, x + FirstLowInvalidHeapAttributeNumber, false));
	values[6] = PointerGetDatum(construct_array(colnames, ncols, TEXTOID, -1, false, TYPALIGN_INT));
	relation_close(rel, AccessShareLock);
	internal_sql_end(&as_owner);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
