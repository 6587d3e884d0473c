/*-------------------------------------------------------------------------
 *
 * command.c
 *		A job's command: checked when it is scheduled, and run by the job's
 *		worker as top-level statements, the way psql runs a script.
 *
 * The command is split by the raw parser.  Each statement runs the way
 * PostgreSQL's simple-query path runs one (exec_simple_query in
 * src/backend/tcop/postgres.c, and pg_cron's ExecuteSqlString): analyzed,
 * planned, and run through an unnamed portal as a top-level statement, in
 * a transaction of its own unless the command opened one with BEGIN.  So
 * VACUUM, CREATE INDEX CONCURRENTLY, CALL of a procedure that commits,
 * and BEGIN ... COMMIT scripts work as they do in psql.  The first error
 * ends the run (psql's ON_ERROR_STOP): the statements committed before it
 * stay committed, an open transaction block is rolled back, and a command
 * that ends inside a transaction block is an error (nothing of the block
 * commits).
 *
 * Results go nowhere (DestNone); each statement's completion tag, as psql
 * prints it ("INSERT 0 3", "VACUUM"), is collected for dataeng.job_runs.
 *
 * Statements run with the worker's role, the job's owner: nothing here
 * changes the user.  The caller may run its bookkeeping in the last
 * statement's transaction (on_last), so that a single-statement command
 * and the record of its success commit together.
 *
 * COPY from or to the client is refused: a job has no client.  PREPARE
 * TRANSACTION is refused: the prepared transaction would outlive the run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "storage/proc.h"
#include "tcop/cmdtag.h"
#include "tcop/dest.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/timeout.h"

#include "common/common.h"
#include "schedule/schedule.h"

/* refuse what a job cannot run */
static void
check_statement(RawStmt *raw, const char *job_name)
{
	if (IsA(raw->stmt, CopyStmt))
	{
		CopyStmt   *copy = (CopyStmt *) raw->stmt;

		if (copy->filename == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("command of job \"%s\" copies %s the client", job_name,
							copy->is_from ? "from" : "to"),
					 errdetail("A job has no client: COPY FROM STDIN and COPY TO STDOUT cannot run in it."),
					 errhint("Copy from or to a file or a program, or use INSERT ... SELECT.")));
	}

	/*
	 * PREPARE TRANSACTION left a prepared transaction holding its locks
	 * after the run, which nothing of the job commits or rolls back (only
	 * a top-level statement prepares one: SPI, so a function or a
	 * procedure, cannot).  COMMIT PREPARED and ROLLBACK PREPARED, which
	 * end one, are allowed.
	 */
	if (IsA(raw->stmt, TransactionStmt) &&
		((TransactionStmt *) raw->stmt)->kind == TRANS_STMT_PREPARE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("command of job \"%s\" prepares a transaction", job_name),
				 errdetail("PREPARE TRANSACTION would leave a prepared transaction holding its locks after the run."),
				 errhint("End the transaction block with COMMIT; prepare transactions for two-phase commit from a client.")));
}

/*
 * sched_command_parse
 *		The statements of a job's command (raw parse trees, in the current
 *		memory context).  A command that does not parse is refused with
 *		the parser's message and the position of the error in the command.
 */
List *
sched_command_parse(const char *command, const char *job_name)
{
	MemoryContext cxt = CurrentMemoryContext;
	List	   *volatile stmts = NIL;
	ListCell   *lc;

	PG_TRY();
	{
		stmts = raw_parser(command, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		int			pos;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* called through SPI, the position has been made an internal one */
		pos = edata->cursorpos > 0 ? edata->cursorpos : edata->internalpos;
		if (pos > 0)
			ereport(ERROR,
					(errcode(edata->sqlerrcode),
					 errmsg("command of job \"%s\" does not parse: %s", job_name, edata->message),
					 errdetail("The error is at character %d of the command.", pos),
					 internalerrquery(command),
					 internalerrposition(pos)));
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("command of job \"%s\" does not parse: %s", job_name, edata->message)));
	}
	PG_END_TRY();

	if (stmts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("command of job \"%s\" contains no statement", job_name)));
	foreach(lc, stmts)
		check_statement(lfirst_node(RawStmt, lc), job_name);
	return stmts;
}

PG_FUNCTION_INFO_V1(dataeng_job_command_check);

/*
 * dataeng_internal._job_command_check(job_name text, command text) RETURNS void:
 * raises the parser's error when the command does not parse.
 */
Datum
dataeng_job_command_check(PG_FUNCTION_ARGS)
{
	char	   *job_name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *command = text_to_cstring(PG_GETARG_TEXT_PP(1));

	(void) sched_command_parse(command, job_name);
	PG_RETURN_VOID();
}

/* the completion tag of a statement as psql prints it */
static char *
completion_string(QueryCompletion *qc, MemoryContext cxt)
{
	const char *name = GetCommandTagName(qc->commandTag);

	if (command_tag_display_rowcount(qc->commandTag))
		return MemoryContextStrdup(cxt, psprintf(qc->commandTag == CMDTAG_INSERT ?
												 "%s 0 " UINT64_FORMAT : "%s " UINT64_FORMAT,
												 name, qc->nprocessed));
	return MemoryContextStrdup(cxt, name);
}

/*
 * arm_timeout
 *		The run's timer, STATEMENT_TIMEOUT as in a backend: due at the
 *		run's deadline (0: none) or, while a statement runs, at the end of
 *		the statement_timeout in force (the job's SET, its owner's ALTER
 *		ROLE ... SET or the database's), whichever comes first.  Armed
 *		once for the whole run, the timer left statement_timeout without
 *		effect in a job: a statement ran past it.
 */
static void
arm_timeout(TimestampTz deadline, bool statement)
{
	int64		ms = -1;

	if (deadline != 0)
		ms = Max((deadline - GetCurrentTimestamp()) / 1000, 1);
	if (statement && StatementTimeout > 0 && (ms < 0 || StatementTimeout < ms))
		ms = StatementTimeout;
	if (ms > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, (int) Min(ms, INT_MAX));
	else
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/*
 * sched_command_run
 *		Run the statements of a command (from sched_command_parse) as
 *		top-level statements; the caller is in no transaction.  Each
 *		completed statement's tag is appended to *tags (allocated in
 *		tag_cxt), so that after an error the caller knows what ran.  When
 *		the last statement runs in a transaction of its own (not in a
 *		block), read committed and read-write, on_last is called in it
 *		before it commits, and *on_last_called says so.  Errors
 *		propagate; the caller aborts.
 */
void
sched_command_run(const char *command, List *stmts,
				  List **tags, MemoryContext tag_cxt,
				  TimestampTz deadline,
				  SchedLastStatementHook on_last, void *arg,
				  bool *on_last_called)
{
	MemoryContext stmt_cxt;
	ListCell   *lc;

	*on_last_called = false;
	/* plans outlive the transactions a statement commits (CALL, VACUUM) */
	stmt_cxt = AllocSetContextCreate(tag_cxt, "dataeng job statement", ALLOCSET_DEFAULT_SIZES);

	foreach(lc, stmts)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		bool		last = lnext(stmts, lc) == NULL;
		CommandTag	tag = CreateCommandTag(raw->stmt);
		bool		snapshot_set = false;
		List	   *queries;
		List	   *plans;
		Portal		portal;
		DestReceiver *dest;
		QueryCompletion qc;
		MemoryContext old;
		MemoryContext tags_old;

		MemoryContextReset(stmt_cxt);
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (!sched_lock_extension())
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("extension \"dataeng\" was dropped")));
		CHECK_FOR_INTERRUPTS();
		arm_timeout(deadline, true);

		if (analyze_requires_snapshot(raw))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		old = MemoryContextSwitchTo(stmt_cxt);
		queries = pg_analyze_and_rewrite_fixedparams(raw, command, NULL, 0, NULL);
		plans = pg_plan_queries(queries, command, CURSOR_OPT_PARALLEL_OK, NULL);
		if (snapshot_set)
			PopActiveSnapshot();
		CHECK_FOR_INTERRUPTS();

		portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, NULL, command, tag, plans, NULL);
		PortalStart(portal, NULL, 0, InvalidSnapshot);
		dest = CreateDestReceiver(DestNone);
		MemoryContextSwitchTo(old);

		InitializeQueryCompletion(&qc);
		(void) PortalRun(portal, FETCH_ALL, true, true, dest, dest, &qc);
		dest->rDestroy(dest);
		PortalDrop(portal, false);
		/* the run's lock, which the statement may have released */
		sched_run_lock_check(true);

		tags_old = MemoryContextSwitchTo(tag_cxt);
		*tags = lappend(*tags, completion_string(&qc, tag_cxt));
		MemoryContextSwitchTo(tags_old);

		/* the statement is done: the bookkeeping and commit under the run's */
		arm_timeout(deadline, false);
		/*
		 * (a read-only transaction cannot take it, nor should one reading a
		 * single snapshot: the caller's own transaction does)
		 */
		if (last && !IsTransactionBlock() && on_last != NULL && !XactReadOnly &&
			!IsolationUsesXactSnapshot())
		{
			on_last(arg);
			*on_last_called = true;
		}
		CommitTransactionCommand();
	}
	MemoryContextDelete(stmt_cxt);

	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("the job's command ended inside a transaction block"),
				 errdetail("The transaction block was rolled back."),
				 errhint("End the command with COMMIT.")));
}
