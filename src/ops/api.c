/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL entry points of operations: alert_set(), alert_handler_add(),
 *		alert_handler_drop(), monitor_create(), monitor_drop() and
 *		monitor_check(); the lock alert_check() takes on a rule's alerts.
 *		alert_handler_add() and alert_handler_drop() of a handler written
 *		as text read its signature here, in the caller's search_path, with
 *		errors saying the form expected (PostgreSQL's own regprocedure cast
 *		said "expected a left parenthesis" and nothing of a handler).
 *
 * No role but the extension's owner writes dataeng.alert_settings,
 * dataeng.alert_handlers, dataeng.monitors, dataeng.monitor_checks or
 * dataeng.alerts: each entry point is an invoker-rights C function
 * (common/entry.c) that calls its PL/pgSQL body (_alert_set, ...) as the
 * body's owner with the role PostgreSQL runs the calling code as, and the
 * body checks that role's rights (its own objects; a superuser's: all).
 * Their errors carry no CONTEXT lines of those bodies (DATAENG_ENTRY_QUIET:
 * "PL/pgSQL function dataeng_internal._alert_set(...) line 63 at RAISE"
 * told a user nothing about the bad argument).
 * Code of a role the bodies run (a monitor's query over its table, an
 * alert handler) runs as that role, restricted (dataeng_internal._exec_as).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/regproc.h"

#include "common/common.h"

DATAENG_ENTRY_QUIET(dataeng_alert_set, "_alert_set")
DATAENG_ENTRY_QUIET(dataeng_alert_handler_add, "_alert_handler_add")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_alert_handler_drop, "_alert_handler_drop")
DATAENG_ENTRY_QUIET(dataeng_monitor_create, "_monitor_create")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_monitor_drop, "_monitor_drop")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_monitor_check, "_monitor_check")

#define HANDLER_FORM_HINT \
	"Name the handler with its argument types, as in SELECT dataeng.alert_handler_add('my_pager(jsonb)'): " \
	"it must be a function f(jsonb) of yours (CREATE FUNCTION my_pager(alert jsonb) RETURNS void ...), called with each alert as a jsonb document."

#define HANDLER_DROP_HINT \
	"Name the handler as the column handler of dataeng.alert_handlers shows it, with its argument types, as in SELECT dataeng.alert_handler_drop('my_pager(jsonb)'); " \
	"a handler whose function was dropped shows its oid there, which alert_handler_drop() takes as well (such a handler is removed anyway with the next alert sent)."

/*
 * handler_signature_read
 *		A handler's signature given as text read as a regprocedure in the
 *		caller's search_path, as the cast of a literal to a regprocedure
 *		argument reads it, with errors of dataeng's own: a signature that
 *		names no function (or a type or schema that does not exist) is
 *		42883, one that cannot be read 42601, each with PostgreSQL's reason
 *		as detail and hint as the hint (the cast said "expected a left
 *		parenthesis", 22P02, with neither).
 */
static Datum
handler_signature_read(const char *sig, const char *hint)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	Datum		fn = (Datum) 0;

	PG_TRY();
	{
		fn = DirectFunctionCall1(regprocedurein, CStringGetDatum(sig));
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		int			code;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		code = edata->sqlerrcode;
		if (code == ERRCODE_UNDEFINED_FUNCTION || code == ERRCODE_UNDEFINED_OBJECT ||
			code == ERRCODE_UNDEFINED_SCHEMA)
		{
			FlushErrorState();
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("alert handler %s does not exist", sig),
					 errdetail("PostgreSQL reports: %s.", edata->message),
					 errhint("%s", hint)));
		}
		if (code == ERRCODE_INVALID_TEXT_REPRESENTATION || code == ERRCODE_SYNTAX_ERROR ||
			code == ERRCODE_INVALID_NAME)
		{
			FlushErrorState();
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("malformed alert handler signature \"%s\"", sig),
					 errdetail("A handler is named by its signature, name(argument types); PostgreSQL reports: %s.", edata->message),
					 errhint("%s", hint)));
		}
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return fn;
}

/*
 * handler_call_regprocedure_version
 *		Call dataeng.<fname>(regprocedure[, text[]]), the version of a
 *		function whose handler argument is a regprocedure, with fn (NULL
 *		when the text given was) and the other arguments of fcinfo as given.
 */
static Datum
handler_call_regprocedure_version(FunctionCallInfo fcinfo, const char *fname, Datum fn)
{
	Oid			argtypes[2] = {REGPROCEDUREOID, TEXTARRAYOID};
	int			nargs = PG_NARGS();
	Oid			target;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(callfc, 2);
	Datum		result;

	Assert(nargs >= 1 && nargs <= 2);
	target = LookupFuncName(list_make2(makeString(DATAENG_SCHEMA), makeString(pstrdup(fname))),
							nargs, argtypes, false);
	fmgr_info(target, &flinfo);
	InitFunctionCallInfoData(*callfc, &flinfo, nargs, fcinfo->fncollation, NULL, NULL);
	callfc->args[0].value = fn;
	callfc->args[0].isnull = PG_ARGISNULL(0);
	if (nargs > 1)
		callfc->args[1] = fcinfo->args[1];
	result = FunctionCallInvoke(callfc);
	fcinfo->isnull = callfc->isnull;
	return result;
}

PG_FUNCTION_INFO_V1(dataeng_alert_handler_add_text);

/*
 * dataeng_alert_handler_add_text
 *		alert_handler_add(handler text, kinds text[]): the handler's
 *		signature read as a regprocedure in the caller's search_path (as the
 *		cast of a literal to the regprocedure version's argument was), then
 *		that version called.  A signature that names no function is 42883,
 *		one that cannot be read 42601, each with the form expected.  (A
 *		literal resolves to this version: PostgreSQL prefers text for an
 *		argument of unknown type; a regprocedure value goes to the other.)
 */
Datum
dataeng_alert_handler_add_text(PG_FUNCTION_ARGS)
{
	Datum		fn = (Datum) 0;

	if (!PG_ARGISNULL(0))
		fn = handler_signature_read(text_to_cstring(PG_GETARG_TEXT_PP(0)), HANDLER_FORM_HINT);
	return handler_call_regprocedure_version(fcinfo, "alert_handler_add", fn);
}

PG_FUNCTION_INFO_V1(dataeng_alert_handler_drop_text);

/*
 * dataeng_alert_handler_drop_text
 *		alert_handler_drop(handler text): the signature read as
 *		alert_handler_add_text() reads it, then the regprocedure version
 *		called (a NULL is refused there, 22004).  A malformed signature,
 *		'nope_fn' or '', was the cast's 22P02 "expected a left parenthesis",
 *		one naming no function its 42883 without detail or hint; a function
 *		that exists but is no handler of the caller's is false, as every
 *		drop of nothing (docs/errors.md, Drops).
 */
Datum
dataeng_alert_handler_drop_text(PG_FUNCTION_ARGS)
{
	Datum		fn = (Datum) 0;

	if (!PG_ARGISNULL(0))
		fn = handler_signature_read(text_to_cstring(PG_GETARG_TEXT_PP(0)), HANDLER_DROP_HINT);
	return handler_call_regprocedure_version(fcinfo, "alert_handler_drop", fn);
}

/*
 * field4 of the lock tag of _alert_rule_try_lock(): apart from SQL advisory
 * locks (1 and 2), job runs and a role's new jobs (schedule/) and the WAL
 * capture worker (cdc/wal_worker.c)
 */
#define ALERT_RULE_LOCK_FIELD4 0x6468

PG_FUNCTION_INFO_V1(dataeng_alert_rule_try_lock);

/*
 * dataeng_alert_rule_try_lock
 *		Try to lock a rule's alerts (key1, key2: hashes of the rule's table
 *		and name) until the end of the transaction; false when another
 *		transaction holds them.  The lock tag is out of reach of
 *		pg_advisory_lock(): with an advisory lock of the same keys, any role
 *		could hold another role's rule and keep its alerts from its alert
 *		handlers for as long as it liked (alert_check() leaves a rule it
 *		cannot lock to the next check).
 */
Datum
dataeng_alert_rule_try_lock(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) PG_GETARG_INT32(0),
						 (uint32) PG_GETARG_INT32(1), ALERT_RULE_LOCK_FIELD4);
	PG_RETURN_BOOL(LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL);
}
