/*-------------------------------------------------------------------------
 *
 * job.c
 *		One job run: a dynamic background worker connected as the job's
 *		owner, so the command runs with that role's privileges and no more.
 *
 * The run:
 *	 1. waits for the scheduler's transaction that started it, and leaves
 *		if that transaction did not commit;
 *	 2. claims its run in shared memory (sched_run_claim: a run its
 *		scheduler's successor gave up does not run), takes a session lock
 *		on the job (another run of the same job still
 *		going means this one is refused: a job never runs twice at once),
 *		and claims its run by updating its row, in the same transaction as
 *		step 1: a run the scheduler recorded as failed meanwhile, finding
 *		no worker holding the lock (end_orphaned_runs), does not run;
 *	 3. runs the command's statements as top-level statements, as psql
 *		would (command.c), under the job's timeout; when the last statement
 *		runs in a transaction of its own, the run's success is recorded in
 *		that transaction, so a crash cannot leave a single-statement
 *		command committed and recorded as failed, nor the reverse (after a
 *		script ending in COMMIT, or VACUUM, the record is a transaction of
 *		its own);
 *	 4. on error, records the error (timed_out when the timeout fired) in a
 *		new transaction, and schedules a retry with exponential back-off
 *		while attempts remain.
 * Both records keep each completed statement's completion tag
 * (job_runs.command_tags); they are states.c's transitions
 * (sched_run_succeed, sched_run_fail, sched_run_timeout, sched_run_retry).
 *
 * Bookkeeping statements run as the bootstrap superuser under
 * SECURITY_RESTRICTED_OPERATION with search_path pinned to pg_catalog,
 * pg_temp in a GUC nest level rolled back afterwards (internal_sql_begin);
 * the job's command never does.  A job without a timeout of its own runs
 * under dataeng.job_timeout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xlog.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "schedule/schedule.h"

PGDLLEXPORT void dataeng_job_main(Datum main_arg);

/* the user and settings around bookkeeping */
static InternalSql saved;

/*
 * become_superuser
 *		Bookkeeping runs as the bootstrap superuser, restricted, with
 *		search_path pinned in a GUC nest level: the job's command (which
 *		may have run SET search_path, or its owner an ALTER ROLE ... SET)
 *		decides nothing the bookkeeping resolves.
 */
static void
become_superuser(void)
{
	internal_sql_begin(&saved, BOOTSTRAP_SUPERUSERID);
	/* a row the job's owner keeps locked delays the bookkeeping, no more */
	(void) set_config_option("lock_timeout", "10s", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

static void
restore_user(void)
{
	internal_sql_end(&saved);
}

/*
 * bookkeeping_start
 *		Starts a transaction of the worker's bookkeeping, read-write
 *		whatever default_transaction_read_only its owner or the database
 *		set (ALTER ROLE/DATABASE ... SET, read when the worker connected),
 *		and read committed (each query with a snapshot of its own) whatever
 *		default_transaction_isolation says: those settings are for the
 *		job's command, as in psql.  Under default_transaction_read_only
 *		the run's records failed, so no run of the job ever ran its command
 *		nor said why.
 */
static void
bookkeeping_start(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (XactReadOnly && !RecoveryInProgress())
		(void) set_config_option("transaction_read_only", "off", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	if (XactIsoLevel != XACT_READ_COMMITTED)
		(void) set_config_option("transaction_isolation", "read committed", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * bookkeeping_commit
 *		Ends bookkeeping begun by SPI_connect(), a pushed snapshot and
 *		become_superuser(), and commits its transaction.
 */
static void
bookkeeping_commit(void)
{
	restore_user();
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
}

static void
job_spi(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			ret = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);

	if (ret < 0)
		elog(ERROR, "dataeng job: SPI failed (%d) on: %s", ret, sql);
}

/*
 * record_failure
 *		In a new transaction: the run failed (or timed out) with "message"
 *		after the statements of "tags" completed; schedule a retry if
 *		attempts remain (states.c).
 */
static void
record_failure(JobRunArgs *ra, bool timed_out, const char *message, List *tags)
{
	bookkeeping_start();
	if (!sched_lock_extension())
	{
		CommitTransactionCommand();
		return;
	}
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	become_superuser();
	if (timed_out)
		sched_run_timeout(ra->job_id, ra->run_id, ra->attempt, message, tags);
	else
		sched_run_fail(ra->job_id, ra->run_id, ra->attempt, message, tags);
	sched_run_retry(ra->job_id, ra->run_id);
	bookkeeping_commit();
}

/* what record_success needs */
typedef struct SuccessArgs
{
	JobRunArgs *ra;
	List	  **tags;
} SuccessArgs;

/*
 * record_success
 *		In the current transaction (the last statement's, or a new one):
 *		the run succeeded.
 */
static void
record_success(void *arg)
{
	SuccessArgs *sa = (SuccessArgs *) arg;

	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	become_superuser();
	sched_run_succeed(sa->ra->job_id, sa->ra->run_id, *sa->tags);
	restore_user();
	SPI_finish();
	PopActiveSnapshot();
}

/* the run's lock (SET_LOCKTAG_JOB_RUN), once taken */
static LOCKTAG run_lock_tag;
static bool run_lock_taken = false;

/*
 * run_lock_retake
 *		The run's lock, a session lock of DEFAULT_LOCKMETHOD, is out of reach
 *		of pg_advisory_unlock_all(), but the abort of a top-level
 *		transaction releases it (ROLLBACK, an error, or a procedure of the
 *		command that rolls back): taken again at once.  False (and the lock
 *		no longer counted as taken) when another run of the job took it
 *		meanwhile.
 */
static bool
run_lock_retake(void)
{
	if (!run_lock_taken)
		return false;
	if (LockHeldByMe(&run_lock_tag, ExclusiveLock))
		return true;
	if (LockAcquire(&run_lock_tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL)
		return true;
	run_lock_taken = false;
	return false;
}

/* lost to another run within a statement (run_lock_after_abort) */
static bool run_lock_lost = false;

/*
 * Right after a top-level abort released the locks (also one a procedure
 * of the command makes with ROLLBACK, in the middle of its statement): the
 * run's lock is taken again before anything of the command runs on.
 */
static void
run_lock_after_abort(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || isCommit || !isTopLevel || !run_lock_taken)
		return;
	if (!run_lock_retake())
		run_lock_lost = true;
}

/*
 * At exit (before_shmem_exit): a session lock of DEFAULT_LOCKMETHOD held
 * outside a transaction is not released by the process's exit.
 */
static void
run_lock_release(int code, Datum arg)
{
	if (run_lock_taken && LockHeldByMe(&run_lock_tag, ExclusiveLock))
		LockRelease(&run_lock_tag, ExclusiveLock, true);
	run_lock_taken = false;
}

/*
 * sched_run_lock_check
 *		Called after each statement of the command (command.c), and after
 *		its failure: the run still holds its lock.  pg_advisory_unlock_all()
 *		cannot release it; a top-level abort does, and it is taken again at
 *		once (run_lock_after_abort).  If another run of the job took it
 *		meanwhile, the run ends with an error (error_if_lost) rather than go
 *		on beside it.
 */
void
sched_run_lock_check(bool error_if_lost)
{
	bool		lost = run_lock_lost;

	if (!lost && (!run_lock_taken || run_lock_retake()))
		return;
	run_lock_taken = false;
	run_lock_lost = false;
	if (error_if_lost)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("the job's command lost the lock of its run, and another run of the job took it"),
				 errdetail("The abort of a transaction of the command (ROLLBACK, or an error) released it for a moment."),
				 errhint("Do not run the same job's command from two places at once.")));
}

/*
 * dataeng_job_main
 *		Entry of a job run's worker.
 */
void
dataeng_job_main(Datum main_arg)
{
	JobRunArgs	ra;
	LOCKTAG		tag;
	char	   *volatile command = NULL;
	char	   *volatile job_name = NULL;
	char	   *volatile db_name = NULL;
	volatile int64 timeout_ms = 0;
	List	   *volatile tags = NIL;
	bool		isnull;
	MemoryContext run_cxt;
	TimestampTz run_start;

	memcpy(&ra, MyBgworkerEntry->bgw_extra, sizeof(ra));

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* a database being dropped, renamed or copied is left alone (dbhook.c) */
	if (sched_db_held(ra.dboid))
		proc_exit(0);
	/*
	 * A run started before its database was closed to connections (ALTER
	 * DATABASE ... ALLOW_CONNECTIONS false) runs, as one already running
	 * goes on; the scheduler starts none once it sees it closed
	 * (scheduler.c, database_open()).  The owner's CONNECT is checked.
	 */
	BackgroundWorkerInitializeConnectionByOid(ra.dboid, ra.owner, BGWORKER_BYPASS_ALLOWCONN);
	run_cxt = AllocSetContextCreate(TopMemoryContext, "dataeng job", ALLOCSET_DEFAULT_SIZES);

	/*
	 * 1. the scheduler's transaction that started this run must commit.
	 * The wait is the worker's, not the command's: it runs under no
	 * lock_timeout, whatever the owner's is (ALTER ROLE ... SET, read when
	 * the worker connected, and the command's from step 3 on).  Under the
	 * owner's, a lock_timeout shorter than the scheduler's pass failed the
	 * worker before it began: the run ended "failed" without its command.
	 * The scheduler's own waits are bounded by its settings.
	 */
	bookkeeping_start();
	{
		int			nestlevel = NewGUCNestLevel();
		bool		committed;

		(void) set_config_option("lock_timeout", "0", PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		XactLockTableWait(ra.sched_xid, NULL, NULL, XLTW_None);
		committed = TransactionIdDidCommit(ra.sched_xid) && sched_lock_extension();
		AtEOXact_GUC(true, nestlevel);
		if (!committed)
		{
			CommitTransactionCommand();
			proc_exit(0);
		}
	}
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	become_superuser();
	job_spi("SELECT command, job_name, pg_catalog.ceil(pg_catalog.date_part('epoch', timeout) * 1000)::bigint "
			"  FROM dataeng.jobs WHERE job_id = $1 AND owner::oid = $2",
			2, (Oid[]) {INT8OID, OIDOID},
			(Datum[]) {Int64GetDatum(ra.job_id), ObjectIdGetDatum(ra.owner)}, NULL);
	if (SPI_processed == 1)
	{
		MemoryContext old = MemoryContextSwitchTo(run_cxt);
		Datum		t;

		db_name = get_database_name(MyDatabaseId);
		command = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		job_name = TextDatumGetCString(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		t = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
		timeout_ms = isnull ? dataeng_job_timeout : DatumGetInt64(t);
		MemoryContextSwitchTo(old);
	}
	if (command == NULL)
	{
		/* unscheduled (or given away) meanwhile */
		bookkeeping_commit();
		proc_exit(0);
	}

	/*
	 * The run is claimed in shared memory, where the schedulers count it,
	 * before its job's lock is taken: a run that a scheduler gave up (the
	 * one that started it ended before this worker got here) was recorded
	 * failed and retried, and does not run, nor hold the lock its retry
	 * takes.
	 */
	if (!sched_run_claim(ra.dboid, ra.run_id))
	{
		ereport(LOG,
				(errmsg("dataeng job \"%s\" (job " INT64_FORMAT ", run " INT64_FORMAT
						", database \"%s\"): the run was given up before its worker began (its scheduler ended); it does not run",
						job_name, ra.job_id, ra.run_id, db_name)));
		bookkeeping_commit();
		proc_exit(0);
	}

	/* 2. one run of a job at a time */
	SET_LOCKTAG_JOB_RUN(tag, MyDatabaseId, ra.job_id);
	if (LockAcquire(&tag, ExclusiveLock, true, true) == LOCKACQUIRE_NOT_AVAIL)
	{
		bookkeeping_commit();
		record_failure(&ra, false, "another run of this job was still running", NIL);
		proc_exit(0);
	}
	run_lock_tag = tag;
	run_lock_taken = true;
	before_shmem_exit(run_lock_release, (Datum) 0);
	RegisterResourceReleaseCallback(run_lock_after_abort, NULL);

	/*
	 * The run is claimed, its lock held: its row gets a new version, which
	 * a scheduler that took it for orphaned (no worker holding the lock:
	 * this one had not taken it yet) leaves alone (end_orphaned_runs).  A
	 * row no longer running was ended so before: nothing runs.  (With
	 * dataeng.log_successful_runs off the run has no row yet.)
	 */
	job_spi("UPDATE dataeng.job_runs SET status = status "
			" WHERE run_id OPERATOR(pg_catalog.=) $1 AND status OPERATOR(pg_catalog.=) 'running'",
			1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(ra.run_id)}, NULL);
	if (SPI_processed == 0)
	{
		job_spi("SELECT status FROM dataeng.job_runs WHERE run_id OPERATOR(pg_catalog.=) $1",
				1, (Oid[]) {INT8OID}, (Datum[]) {Int64GetDatum(ra.run_id)}, NULL);
		if (SPI_processed > 0)
		{
			ereport(LOG,
					(errmsg("dataeng job \"%s\" (job " INT64_FORMAT ", run " INT64_FORMAT
							", database \"%s\"): the run was recorded as ended before its worker began; it does not run",
							job_name, ra.job_id, ra.run_id, db_name)));
			bookkeeping_commit();
			proc_exit(0);
		}
	}
	bookkeeping_commit();

	pgstat_report_appname(psprintf("dataeng job %s", job_name));

	/* 3. the command's statements, and the record of their success */
	run_start = GetCurrentTimestamp();
	PG_TRY();
	{
		MemoryContext old = MemoryContextSwitchTo(run_cxt);
		List	   *stmts;
		SuccessArgs sa;
		bool		recorded;

		debug_query_string = command;
		pgstat_report_activity(STATE_RUNNING, command);
		stmts = sched_command_parse(command, job_name);
		MemoryContextSwitchTo(old);

		sa.ra = &ra;
		sa.tags = (List **) &tags;
		/* the job's timeout, and statement_timeout for each statement */
		sched_command_run(command, stmts, (List **) &tags, run_cxt,
						  timeout_ms > 0 ?
						  TimestampTzPlusMilliseconds(run_start, Min(timeout_ms, INT_MAX)) : 0,
						  record_success, &sa, &recorded);
		disable_timeout(STATEMENT_TIMEOUT, false);

		if (!recorded)
		{
			bookkeeping_start();
			if (sched_lock_extension())
				record_success(&sa);
			CommitTransactionCommand();
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		timed_out;

		MemoryContextSwitchTo(run_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		/* the timeout handler's indicator is reset when the error is raised */
		timed_out = edata->sqlerrcode == ERRCODE_QUERY_CANCELED && timeout_ms > 0 &&
			TimestampDifferenceExceeds(run_start, GetCurrentTimestamp(),
									   (int) Min(timeout_ms, INT_MAX) - 1);
		disable_all_timeouts(false);
		AbortOutOfAnyTransaction();
		QueryCancelPending = false;
		/* the failure is recorded under the run's lock, as a success is */
		sched_run_lock_check(false);

		/* cancelled by the scheduler for a command on the database (dbhook.c) */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED && !timed_out &&
			sched_db_held(MyDatabaseId))
			edata->message = pstrdup("cancelled: the database is being dropped, renamed, moved or copied");
		ereport(LOG,
				(errmsg("dataeng job \"%s\" (job " INT64_FORMAT ", run " INT64_FORMAT
						", database \"%s\") %s: %s",
						job_name, ra.job_id, ra.run_id, db_name,
						timed_out ? "timed out" : "failed", edata->message)));
		record_failure(&ra, timed_out,
					   edata->message ? edata->message : "unknown error", tags);
	}
	PG_END_TRY();

	debug_query_string = NULL;
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
