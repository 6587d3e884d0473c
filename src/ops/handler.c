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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/builtins.h"
#include "utils/timeout.h"

#include "common/common.h"

/* dataeng_internal._exec_as (src/validate/rules.c) */
extern PGDLLEXPORT Datum dataeng_exec_as(PG_FUNCTION_ARGS);

static bool handler_timeout_registered = false;
static TimeoutId handler_timeout_id;
static volatile sig_atomic_t handler_timed_out = false;

/* the timeout's handler (in a signal handler): ask for a query cancel */
static void
handler_timeout_fired(void)
{
	handler_timed_out = true;
	QueryCancelPending = true;
	InterruptPending = true;
	SetLatch(MyLatch);
}

PG_FUNCTION_INFO_V1(dataeng_alert_handler_call);

/*
 * dataeng_alert_handler_call(role, query, timeout_ms)
 *		Run query as role through dataeng_internal._exec_as, cancelled after
 *		timeout_ms (0 or less: no timeout).  Not executable by PUBLIC.
 */
Datum
dataeng_alert_handler_call(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);
	text	   *query = PG_GETARG_TEXT_PP(1);
	int32		timeout_ms = PG_GETARG_INT32(2);
	MemoryContext cxt = CurrentMemoryContext;

	if (!handler_timeout_registered)
	{
		handler_timeout_id = RegisterTimeout(USER_TIMEOUT, handler_timeout_fired);
		handler_timeout_registered = true;
	}

	handler_timed_out = false;
	if (timeout_ms > 0)
		enable_timeout_after(handler_timeout_id, timeout_ms);
	PG_TRY();
	{
		DirectFunctionCall3(dataeng_exec_as, ObjectIdGetDatum(role),
							PointerGetDatum(query), BoolGetDatum(false));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		if (timeout_ms > 0)
			disable_timeout(handler_timeout_id, false);
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (handler_timed_out && edata->sqlerrcode == ERRCODE_QUERY_CANCELED)
		{
			FlushErrorState();
			handler_timed_out = false;
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("alert handler timed out after %d ms", timeout_ms),
					 errhint("A superuser sets the limit with SELECT dataeng.alert_set('*', 'handler_timeout', ...).")));
		}
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (timeout_ms > 0)
		disable_timeout(handler_timeout_id, false);

	/* a cancel asked for too late to be seen is not carried on */
	if (handler_timed_out)
	{
		handler_timed_out = false;
		QueryCancelPending = false;
	}
	PG_RETURN_VOID();
}
