/*-------------------------------------------------------------------------
 *
 * create.c
 *		The front doors of fact_create() and dimension_create(): the bodies
 *		(_fact_create(), _dim_create(), PL/pgSQL in sql/facts.sql and
 *		sql/dimensions.sql) called as the caller, with the caller's current
 *		schema, and their errors for bad input reported as the public
 *		function's own.
 *
 * Both were SQL functions calling their body.  A mistake (an invalid or
 * taken name, a column that is not the source's, a measure that does not
 * parse) then came with the CONTEXT lines of the internal functions that
 * found it ("PL/pgSQL function dataeng_internal._agg_name(text) line 11 at
 * RAISE", the internal SQL between them), which tell the user nothing
 * about the input and change with every edit of the bodies.  These call
 * the body through the function manager and re-throw an error as the
 * caller's (dataeng_rethrow_as_callers(), as the quiet entry points of
 * common/entry.c do): the message, SQLSTATE, detail and hint stay, the
 * internal context goes; an internal error (class XX) keeps its context.
 * Unlike an entry point, the body runs as the caller, not as its owner:
 * what it creates is the caller's, with the caller's rights.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/pg_list.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "common/common.h"

/*
 * create_call_body
 *		Call dataeng_internal.<body>, whose argument types are argtypes
 *		(nargs of them), with the arguments of fcinfo and the caller's
 *		current schema inserted as argument schema_pos (counted from 0), as
 *		the caller; an error of the body is re-thrown without the context
 *		of the internal functions.
 */
static Datum
create_call_body(FunctionCallInfo fcinfo, const char *body, int nargs, const Oid *argtypes,
				 int schema_pos)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec_context;
	volatile Datum result = (Datum) 0;
	volatile bool isnull = false;
	FmgrInfo   *volatile flinfo = (FmgrInfo *) fcinfo->flinfo->fn_extra;
	List	   *path;
	char	   *volatile schema = NULL;

	Assert(nargs == fcinfo->nargs + 1 && nargs <= FUNC_MAX_ARGS);
	if (flinfo == NULL)
	{
		Oid			fn = LookupFuncName(list_make2(makeString(DATAENG_INTERNAL_SCHEMA),
												   makeString(pstrdup(body))),
										nargs, argtypes, false);

		flinfo = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FmgrInfo));
		fmgr_info_cxt(fn, flinfo, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = flinfo;
	}

	/* current_schema(): the first schema of the search path that exists */
	path = fetch_search_path(false);
	if (path != NIL)
		schema = get_namespace_name(linitial_oid(path));

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	PG_TRY();
	{
		LOCAL_FCINFO(bodyfc, FUNC_MAX_ARGS);
		int			i;
		int			j = 0;

		InitFunctionCallInfoData(*bodyfc, flinfo, nargs, fcinfo->fncollation, NULL, NULL);
		for (i = 0; i < nargs; i++)
		{
			if (i == schema_pos)
			{
				bodyfc->args[i].value = schema ? CStringGetTextDatum(schema) : (Datum) 0;
				bodyfc->args[i].isnull = (schema == NULL);
			}
			else
				bodyfc->args[i] = fcinfo->args[j++];
		}
		result = FunctionCallInvoke(bodyfc);
		isnull = bodyfc->isnull;
	}
	PG_CATCH();
	{
		dataeng_rethrow_as_callers(oldcxt, save_userid, save_sec_context);
	}
	PG_END_TRY();
	fcinfo->isnull = isnull;
	return result;
}

PG_FUNCTION_INFO_V1(dataeng_fact_create);

/*
 * dataeng_fact_create
 *		dataeng.fact_create(fact_name, source, time_column, grain,
 *		dimensions, measures, schedule, backfill): the body
 *		_fact_create(..., schedule, cur_schema, backfill).
 */
Datum
dataeng_fact_create(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[9] = {TEXTOID, REGCLASSOID, TEXTOID, TEXTOID, TEXTARRAYOID,
									TEXTARRAYOID, TEXTOID, TEXTOID, TEXTOID};

	return create_call_body(fcinfo, "_fact_create", 9, argtypes, 7);
}

PG_FUNCTION_INFO_V1(dataeng_dimension_create);

/*
 * dataeng_dimension_create
 *		dataeng.dimension_create(dim_name, source, key_column, attributes,
 *		scd_type, schedule): the body _dim_create(..., schedule, cur_schema).
 */
Datum
dataeng_dimension_create(PG_FUNCTION_ARGS)
{
	static const Oid argtypes[7] = {TEXTOID, REGCLASSOID, TEXTOID, TEXTARRAYOID, INT4OID,
									TEXTOID, TEXTOID};

	return create_call_body(fcinfo, "_dim_create", 7, argtypes, 6);
}
