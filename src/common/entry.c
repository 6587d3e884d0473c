/*-------------------------------------------------------------------------
 *
 * entry.c
 *		SQL entry points that act for the role running the calling code.
 *
 * Several of dataeng's functions must write dataeng's own tables, which no
 * other role may touch, while checking the caller's rights on the user's
 * tables.  A SECURITY DEFINER function cannot do both: inside it, the role
 * that called it is gone (current_user is the definer, and the session or
 * SET ROLE role is not the caller when a less privileged role's code runs
 * under a superuser's session, as with its own SECURITY DEFINER functions
 * or an index expression that ANALYZE evaluates).
 *
 * So such entry points are invoker-rights C functions: each takes the
 * current user (GetUserId(), the role PostgreSQL itself runs the calling
 * code as), switches to the owner of its PL/pgSQL body, as fmgr does for a
 * SECURITY DEFINER function, and calls the body with that role as its
 * first argument.  The bodies are not executable by PUBLIC.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/syscache.h"

#include "common/common.h"

/* An entry point's body, looked up once per FmgrInfo */
typedef struct EntryBody
{
	FmgrInfo	flinfo;
	Oid			owner;
} EntryBody;

/* the schema dataeng_internal last found to be the extension's (0: none yet) */
static Oid	internal_schema_oid = InvalidOid;
static bool internal_schema_callback = false;

static void rethrow_as_callers(MemoryContext cxt, Oid userid, int sec_context,
							   bool keep_query) pg_attribute_noreturn();

/* a schema was created, renamed or dropped: check again at the next lookup */
static void
internal_schema_forget(Datum arg, int cacheid, uint32 hashvalue)
{
	internal_schema_oid = InvalidOid;
}

/*
 * dataeng_internal_schema
 *		The schema of the internals: dataeng_internal, or dataeng while the
 *		database still has an extension script older than 0.2.0 (until
 *		ALTER EXTENSION dataeng UPDATE, the library serves what is installed).
 *
 *		A schema of that name counts only when it is a member of the
 *		extension: in a database still at 0.1.0, any role allowed to create
 *		schemas could otherwise make one, and have the library call its
 *		functions and write its tables, as the extension's owner, in place
 *		of the internals (the event trigger following ALTER TABLE runs as a
 *		superuser).
 */
const char *
dataeng_internal_schema(void)
{
	Oid			nsp = get_namespace_oid(DATAENG_INTERNAL_SCHEMA, true);
	Oid			ext;

	if (!OidIsValid(nsp))
		return DATAENG_SCHEMA;
	if (nsp == internal_schema_oid)
		return DATAENG_INTERNAL_SCHEMA;
	ext = get_extension_oid("dataeng", true);
	if (!OidIsValid(ext) || getExtensionOfObject(NamespaceRelationId, nsp) != ext)
		return DATAENG_SCHEMA;
	if (!internal_schema_callback)
	{
		CacheRegisterSyscacheCallback(NAMESPACEOID, internal_schema_forget, (Datum) 0);
		internal_schema_callback = true;
	}
	internal_schema_oid = nsp;
	return DATAENG_INTERNAL_SCHEMA;
}

/*
 * dataeng_internal_sql
 *		Internal SQL run from the write path (capture's DDL triggers, the
 *		guard, the reading of changes) as written, naming dataeng_internal;
 *		in a database whose extension script is older than 0.2.0, the same
 *		SQL naming dataeng, where those versions keep the internals.
 */
const char *
dataeng_internal_sql(const char *sql)
{
	const char *from = DATAENG_INTERNAL_SCHEMA ".";
	const char *p;
	const char *hit;
	StringInfoData out;

	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) == 0)
		return sql;
	initStringInfo(&out);
	for (p = sql; (hit = strstr(p, from)) != NULL; p = hit + strlen(from))
	{
		appendBinaryStringInfo(&out, p, hit - p);
		appendStringInfoString(&out, DATAENG_SCHEMA ".");
	}
	appendStringInfoString(&out, p);
	return out.data;
}

/*
 * dataeng_entry_body_lookup
 *		The function dataeng_internal.<name>(argtypes) that an entry point
 *		calls, and its owner, whose rights it runs with; an error if it is
 *		missing.
 */
Oid
dataeng_entry_body_lookup(const char *name, int nargs, const Oid *argtypes, Oid *owner)
{
	const char *schema = dataeng_internal_schema();
	Oid			bodyoid;
	HeapTuple	tup;

	bodyoid = LookupFuncName(list_make2(makeString(pstrdup(schema)), makeString(pstrdup(name))),
							 nargs, argtypes, true);
	if (!OidIsValid(bodyoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function %s.%s is missing", schema, name),
				 errhint("Reinstall the extension.")));
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(bodyoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", bodyoid);
	*owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return bodyoid;
}

/*
 * entry_body
 *		The body of the entry point fcinfo calls: dataeng.<name>(regrole,
 *		the entry point's own argument types...).
 */
static EntryBody *
entry_body(FunctionCallInfo fcinfo, const char *name)
{
	EntryBody  *body = (EntryBody *) fcinfo->flinfo->fn_extra;
	HeapTuple	tup;
	Form_pg_proc entry;
	Oid			argtypes[FUNC_MAX_ARGS];
	int			nargs;
	Oid			bodyoid;
	Oid			owner;
	int			i;

	if (body != NULL)
		return body;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
	entry = (Form_pg_proc) GETSTRUCT(tup);
	if (entry->pronargs + 1 > FUNC_MAX_ARGS)
		elog(ERROR, "too many arguments for %s", name);
	argtypes[0] = REGROLEOID;
	for (i = 0; i < entry->pronargs; i++)
		argtypes[i + 1] = entry->proargtypes.values[i];
	nargs = entry->pronargs + 1;
	ReleaseSysCache(tup);

	bodyoid = dataeng_entry_body_lookup(name, nargs, argtypes, &owner);
	body = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(EntryBody));
	body->owner = owner;
	fmgr_info_cxt(bodyoid, &body->flinfo, fcinfo->flinfo->fn_mcxt);
	fcinfo->flinfo->fn_extra = body;
	return body;
}

/*
 * dataeng_entry_require_args
 *		Refuse a NULL in the first nrequired arguments (-1: every one) of
 *		the SQL-callable function fcinfo calls (22004), naming the argument
 *		as the function declares it: an action asked for with a NULL name or
 *		id is an error, never a silent NULL.  Such functions are not STRICT,
 *		so that this runs.
 */
void
dataeng_entry_require_args(FunctionCallInfo fcinfo, int nrequired)
{
	int			i;

	if (nrequired < 0 || nrequired > PG_NARGS())
		nrequired = PG_NARGS();
	for (i = 0; i < nrequired; i++)
	{
		HeapTuple	tup;
		Datum		names;
		bool		isnull;
		char	   *argname = NULL;
		char	   *funcname;

		if (!PG_ARGISNULL(i))
			continue;

		tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fcinfo->flinfo->fn_oid));
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u", fcinfo->flinfo->fn_oid);
		funcname = pstrdup(NameStr(((Form_pg_proc) GETSTRUCT(tup))->proname));
		names = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proargnames, &isnull);
		if (!isnull)
		{
			Datum		modes;
			char	  **innames;
			int			nin;

			modes = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_proargmodes, &isnull);
			/* the input arguments' names ("" for one without) */
			nin = get_func_input_arg_names(names, isnull ? PointerGetDatum(NULL) : modes,
										   &innames);
			if (i < nin && innames[i][0] != '\0')
				argname = innames[i];
		}
		ReleaseSysCache(tup);
		if (argname == NULL)
			argname = psprintf("argument %d", i + 1);

		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", argname),
				 errdetail("%s.%s() refuses a NULL argument instead of doing nothing.",
						   DATAENG_SCHEMA, funcname),
				 errhint("Skip the call when the value is NULL (for example, a name that a query did not find).")));
	}
}

/*
 * dataeng_entry_call_body
 *		Call the body dataeng.<name> of an entry point as the body's owner,
 *		on behalf of the current user.  A set-returning body materializes
 *		into the caller's ReturnSetInfo.  On error, the (sub)transaction
 *		abort restores the user id, as for a SECURITY DEFINER function.
 */
Datum
dataeng_entry_call_body(FunctionCallInfo fcinfo, const char *name)
{
	EntryBody  *body = entry_body(fcinfo, name);
	LOCAL_FCINFO(bodyfc, FUNC_MAX_ARGS);
	Oid			caller = GetUserId();
	Oid			save_userid;
	int			save_sec_context;
	Datum		result;
	int			i;

	InitFunctionCallInfoData(*bodyfc, &body->flinfo, fcinfo->nargs + 1,
							 fcinfo->fncollation, fcinfo->context, fcinfo->resultinfo);
	bodyfc->args[0].value = ObjectIdGetDatum(caller);
	bodyfc->args[0].isnull = false;
	for (i = 0; i < fcinfo->nargs; i++)
		bodyfc->args[i + 1] = fcinfo->args[i];

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(body->owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	result = FunctionCallInvoke(bodyfc);
	SetUserIdAndSecContext(save_userid, save_sec_context);

	fcinfo->isnull = bodyfc->isnull;
	return result;
}

/*
 * entry_call_body_quiet
 *		dataeng_entry_call_body() whose error is re-thrown as the caller's
 *		own (rethrow_as_callers()), keeping the internal query when
 *		keep_query (dataeng_entry_call_body_quiet_query()).
 */
static Datum
entry_call_body_quiet(FunctionCallInfo fcinfo, const char *name, bool keep_query)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec_context;
	volatile Datum result = (Datum) 0;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	PG_TRY();
	{
		result = dataeng_entry_call_body(fcinfo, name);
	}
	PG_CATCH();
	{
		rethrow_as_callers(oldcxt, save_userid, save_sec_context, keep_query);
	}
	PG_END_TRY();
	return result;
}

/*
 * dataeng_entry_call_body_quiet
 *		dataeng_entry_call_body(), reporting an error of the body as the
 *		caller's own: without the CONTEXT lines of dataeng's internal
 *		functions ("PL/pgSQL function dataeng_internal._cdc_ack(...) line 67
 *		at RAISE", the internal SQL between two of them), which tell a user
 *		nothing about the bad input, nor the internal query an error was
 *		found in.  The context of the code that called the entry point is
 *		kept (ThrowErrorData collects it again).  An internal error (class
 *		XX) keeps its whole context, for whoever debugs it.  The error is
 *		re-thrown at once, so the (sub)transaction abort still cleans up
 *		what the body left.
 */
Datum
dataeng_entry_call_body_quiet(FunctionCallInfo fcinfo, const char *name)
{
	return entry_call_body_quiet(fcinfo, name, false);
}

/*
 * dataeng_rethrow_as_callers
 *		In a PG_CATCH block: re-throw the error being handled as the
 *		caller's own (dataeng_entry_call_body_quiet() says why), without
 *		its CONTEXT lines and internal query, after switching back to
 *		memory context cxt and to user userid with sec_context; an internal
 *		error (class XX) or one above ERROR is re-thrown as it is.
 */
void
dataeng_rethrow_as_callers(MemoryContext cxt, Oid userid, int sec_context)
{
	rethrow_as_callers(cxt, userid, sec_context, false);
}

/*
 * dataeng_entry_call_body_quiet_query
 *		dataeng_entry_call_body_quiet() of a body whose errors carry an
 *		internal query only when it is the caller's own text: schedule()'s
 *		command, whose parse error points into it ("LINE 1: VACUUM t;
 *		SELEC 1" and a caret).  That query and position are kept; the
 *		CONTEXT lines go, as for the other quiet entry points.
 */
Datum
dataeng_entry_call_body_quiet_query(FunctionCallInfo fcinfo, const char *name)
{
	return entry_call_body_quiet(fcinfo, name, true);
}

/*
 * rethrow_as_callers
 *		dataeng_rethrow_as_callers(), keeping the error's internal query
 *		and its position when keep_query is true.
 */
static void
rethrow_as_callers(MemoryContext cxt, Oid userid, int sec_context, bool keep_query)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	if (edata->elevel != ERROR ||
		ERRCODE_TO_CATEGORY(edata->sqlerrcode) == ERRCODE_TO_CATEGORY(ERRCODE_INTERNAL_ERROR))
		PG_RE_THROW();
	FlushErrorState();
	SetUserIdAndSecContext(userid, sec_context);
	edata->context = NULL;
	if (!keep_query)
	{
		edata->internalquery = NULL;
		edata->internalpos = 0;
	}
	ThrowErrorData(edata);
	pg_unreachable();
}

/*
 * internal_sql_begin
 *		Before internal SQL that runs with more rights than the code around
 *		it: a GUC nest level with search_path pinned to pg_catalog, pg_temp,
 *		so that no setting of the caller's (SET, ALTER ROLE ... SET, a
 *		set_config() of code run earlier) decides which functions and
 *		operators it resolves.  When role is valid, also switch to it
 *		under SECURITY_RESTRICTED_OPERATION, as PostgreSQL's maintenance
 *		commands do.  internal_sql_end() undoes both; an error's
 *		(sub)transaction abort does too.
 */
void
internal_sql_begin(InternalSql *save, Oid role)
{
	GetUserIdAndSecContext(&save->userid, &save->sec_context);
	if (OidIsValid(role))
		SetUserIdAndSecContext(role, save->sec_context | SECURITY_LOCAL_USERID_CHANGE |
							   SECURITY_RESTRICTED_OPERATION);
	save->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/*
 * worker_settings_pin
 *		In a background worker of the extension's own (no user's command
 *		runs in its session as its own), right after it connects: the
 *		transaction settings its code relies on, whatever the database's
 *		ALTER DATABASE ... SET says.  Under default_transaction_read_only
 *		the scheduler's first write failed and it ended, restarted and
 *		failed again every second, no job of the database ever ran; under
 *		default_transaction_isolation = 'repeatable read' a query that
 *		reads with a snapshot of its own (a job's next run) read the
 *		transaction's first one.
 */
void
worker_settings_pin(void)
{
	SetConfigOption("default_transaction_read_only", "off", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_isolation", "read committed", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("default_transaction_deferrable", "off", PGC_SUSET, PGC_S_OVERRIDE);
}

/*
 * internal_sql_end
 *		Leave what internal_sql_begin() entered: every setting changed
 *		since (by the internal SQL or by code it ran) is rolled back.
 */
void
internal_sql_end(InternalSql *save)
{
	AtEOXact_GUC(false, save->nestlevel);
	SetUserIdAndSecContext(save->userid, save->sec_context);
}
