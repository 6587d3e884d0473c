/*-------------------------------------------------------------------------
 *
 * handler.c
 *		An alert handler's call under a timeout.
 *
 * dataeng_internal._alert_send (sql/ops.sql) calls each alert handler in its own
 * subtransaction through dataeng_internal._alert_handler_call(role, query,
 * timeout_ms), which runs the query as the handler's owner with
 * dataeng_internal._exec_as (restricted, search_path pinned) while a timeout of
 * its own is armed.  statement_timeout cannot serve: it is armed once per
 * top-level statement (maintain(), a job's command), so setting it inside
 * one changes nothing for the handler.  The timeout is a USER_TIMEOUT
 * registered once per backend; when it fires it asks for a query cancel,
 * which the handler's code sees at its next CHECK_FOR_INTERRUPTS, and the
 * resulting query_canceled error is reported as the handler's timeout.
 * The caller's subtransaction catches it (with everything else below
 * FATAL) and records it on the handler.  The timeout is disarmed however
 * the call ends.
 *
 * A handler's own code can catch query_canceled (PL/pgSQL's EXCEPTION WHEN
 * query_canceled) and carry on past its timeout, holding up maintain(),
 * alert_check() or another role's monitor_check() for as long as it likes.
 * So once the timeout has fired, every subtransaction rolled back inside
 * the handler asks for the cancel again: a handler that caught it meets it
 * at its next statement, and the error leaves the handler.  A handler can
 * also send alerts (monitor_check() in a handler), whose handlers are then
 * called inside it: a nested call runs under the earlier of its own
 * deadline and the deadline of the call around it, and gives that one back
 * when it ends, so no nested call lifts the outer handler's timeout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "common/common.h"

/* dataeng_internal._exec_as (src/validate/rules.c) */
extern PGDLLEXPORT Datum dataeng_exec_as(PG_FUNCTION_ARGS);

static bool handler_timeout_registered = false;
static TimeoutId handler_timeout_id;
static volatile sig_atomic_t handler_timed_out = false;

/* handler calls in progress in this backend, and the innermost's deadline (0: none) */
static int	handler_depth = 0;
static TimestampTz handler_deadline = 0;

/* the timeout's handler (in a signal handler): ask for a query cancel */
static void
handler_timeout_fired(void)
{
	handler_timed_out = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

/*
 * A subtransaction rolled back inside a handler past its timeout (one that
 * may have caught the cancel): ask for the cancel again.
 */
static void
handler_subxact_abort(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && handler_depth > 0 && handler_timed_out)
	{
		QueryCancelPending = true;
		InterruptPending = true;
	}
}

/*
 * handler_leave
 *		End a handler call; returns whether its timeout fired.  The cancel
 *		its timeout asked for is not carried on, and the call around it (if
 *		any) gets its deadline back (its cancel at once, when that passed).
 */
static bool
handler_leave(TimestampTz outer_deadline)
{
	bool		timed_out;

	disable_timeout(handler_timeout_id, false);
	timed_out = handler_timed_out;
	handler_timed_out = false;
	if (timed_out)
		QueryCancelPending = false;
	handler_depth--;
	handler_deadline = outer_deadline;
	if (outer_deadline != 0)
	{
		if (GetCurrentTimestamp() >= outer_deadline)
			handler_timeout_fired();
		else
			enable_timeout_at(handler_timeout_id, outer_deadline);
	}
	return timed_out;
}

PG_FUNCTION_INFO_V1(dataeng_alert_handler_call);

/*
 * dataeng_alert_handler_call(role, query, timeout_ms)
 *		Run query as role through dataeng_internal._exec_as, cancelled after
 *		timeout_ms (0 or less: no timeout of its own) or at the deadline of
 *		the handler call it runs in, if earlier.  Not executable by PUBLIC.
 */
Datum
dataeng_alert_handler_call(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);
	text	   *query = PG_GETARG_TEXT_PP(1);
	int32		timeout_ms = PG_GETARG_INT32(2);
	MemoryContext cxt = CurrentMemoryContext;
	TimestampTz outer_deadline = handler_deadline;
	TimestampTz deadline = 0;

	if (!handler_timeout_registered)
	{
		handler_timeout_id = RegisterTimeout(USER_TIMEOUT, handler_timeout_fired);
		RegisterSubXactCallback(handler_subxact_abort, NULL);
		handler_timeout_registered = true;
	}

	if (timeout_ms > 0)
		deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	if (outer_deadline != 0 && (deadline == 0 || outer_deadline < deadline))
		deadline = outer_deadline;
	disable_timeout(handler_timeout_id, false);
	handler_timed_out = false;
	handler_deadline = deadline;
	handler_depth++;
	if (deadline != 0)
		enable_timeout_at(handler_timeout_id, deadline);
	PG_TRY();
	{
		DirectFunctionCall3(dataeng_exec_as, ObjectIdGetDatum(role),
							PointerGetDatum(query), BoolGetDatum(false));
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		timed_out = handler_leave(outer_deadline);

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (timed_out && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			FlushErrorState();
			if (outer_deadline != 0 && deadline == outer_deadline)
				ereport(ERROR,
						(errcode(ERRCODE_QUERY_CANCELED),
						 errmsg("alert handler timed out with the alert handler it was called from"),
						 errdetail("The alert was sent by an alert handler, whose time ran out.")));
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("alert handler timed out after %d ms", timeout_ms),
					 errhint("A superuser sets the limit with SELECT dataeng.alert_set('*', 'handler_timeout', ...).")));
		}
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* a cancel asked for too late to be seen is not carried on */
	(void) handler_leave(outer_deadline);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataeng_alert_handler_invoke);

/*
 * dataeng_internal._alert_handler_invoke(fn oid, doc jsonb)
 *		Call alert handler fn, a function of one jsonb argument, with doc,
 *		by its oid, as the current user (the handler's owner: the query of
 *		_alert_handler_call that runs it), who must be allowed to execute
 *		it.  By its name (schema.name(doc)), a function of that name another
 *		role created in the schema with more arguments, each with a default
 *		(name(jsonb, int DEFAULT 0)), made every call ambiguous ("function
 *		is not unique"), and the handler was never called again.
 *		Executable by PUBLIC: it calls no function the caller could not
 *		call by name.
 */
Datum
dataeng_alert_handler_invoke(PG_FUNCTION_ARGS)
{
	Oid			fn = PG_GETARG_OID(0);
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		callable;
	AclResult	aclresult;
	FmgrInfo	flinfo;
	LOCAL_FCINFO(call, 1);

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(tup))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("alert handler function with oid %u does not exist", fn)));
	proc = (Form_pg_proc) GETSTRUCT(tup);
	callable = proc->prokind == PROKIND_FUNCTION && proc->pronargs == 1 &&
		proc->proargtypes.values[0] == JSONBOID && !proc->proretset;
	ReleaseSysCache(tup);
	if (!callable)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("alert handler %s is not a function of one jsonb argument returning one value",
						format_procedure(fn)),
				 errhint("A handler is called with each alert as one jsonb document: CREATE FUNCTION my_pager(alert jsonb) RETURNS void ...")));
	aclresult = pg_proc_aclcheck(fn, GetUserId(), ACL_EXECUTE);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FUNCTION, get_func_name(fn));
	InvokeFunctionExecuteHook(fn);

	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*call, &flinfo, 1, InvalidOid, NULL, NULL);
	call->args[0].value = PG_GETARG_DATUM(1);
	call->args[0].isnull = false;
	(void) FunctionCallInvoke(call);
	PG_RETURN_VOID();
}
