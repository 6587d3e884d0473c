/*-------------------------------------------------------------------------
 *
 * ticker.c
 *		Ticks cut in their own short transaction.
 *
 * A tick (dataeng_internal.cdc_ticks, see sql/cdc.sql) is a snapshot that closes a
 * batch of the change log; cutting one takes the tick lock and inserts the
 * tick and its batch order.  Cut inside a poll's transaction, the tick and
 * the lock would belong to that transaction until it ends: every other
 * consumer would then wait for it, or (as the polls do, to never wait) see
 * none of the changes committed since, however long that transaction stays
 * open, and a refresh of one fact could hide pending changes from a
 * refresh of a dimension running at the same instant.
 *
 * So a poll (dataeng_internal._cdc_tick_now() in sql/cdc.sql) asks for a tick in a
 * transaction of its own, as PgQ's ticker daemon cuts them: this file
 * starts a dynamic background worker in the database, which runs
 * dataeng_internal._cdc_tick(true) as the owner of that function (restricted, with
 * search_path pinned), commits and exits, while the poll waits for it.  A
 * tick is cut only when a transaction with captured changes has finished
 * since the newest tick, so idle polls start no worker.
 *
 * The caller must not hold a lock the worker would wait for (a lock on the
 * tick tables or a segment of the change log that conflicts with reading
 * or inserting: after cdc_purge(), a TRUNCATE or a LOCK TABLE in the same
 * transaction), nor run in the transaction that created or updated the
 * extension (the worker cannot see it yet): _cdc_tick_here() says when,
 * and the tick is then cut in the caller's transaction as before.  The
 * worker's lock waits are bounded (lock_timeout), so a poll never waits
 * for long; when no worker can be started or it fails, the poll cuts the
 * tick itself, with a warning, unless it runs in a transaction block: then
 * it reads up to the newest tick there is, with a warning, so that no
 * transaction left open can hold every other consumer back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "common/common.h"
#include "cdc/cdc.h"

PGDLLEXPORT void dataeng_cdc_tick_main(Datum main_arg);

/* what the worker is told: its database */
typedef struct TickArgs
{
	Oid			dboid;
} TickArgs;

/*
 * lock_conflicts
 *		Whether this transaction holds a lock on relation relid of a mode in
 *		[from, AccessExclusiveLock].
 */
static bool
lock_conflicts(Oid relid, LOCKMODE from)
{
	LOCKTAG		tag;
	LOCKMODE	m;

	if (!OidIsValid(relid))
		return false;
	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	for (m = from; m <= AccessExclusiveLock; m++)
		if (LockHeldByMe(&tag, m))
			return true;
	return false;
}

/*
 * extension_written_here
 *		Whether this transaction created or updated the extension (its
 *		pg_extension row is ours): a worker cannot see it as it is here.
 */
static bool
extension_written_here(void)
{
	Oid			extoid = get_extension_oid("dataeng", true);
	Relation	rel;
	SysScanDesc scan;
	ScanKeyData key;
	HeapTuple	tup;
	bool		mine = true;	/* no extension visible: not for a worker */

	if (!OidIsValid(extoid))
		return true;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		mine = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return mine;
}

PG_FUNCTION_INFO_V1(dataeng_cdc_tick_here);

/*
 * dataeng_cdc_tick_here
 *		Whether a tick must be cut in the calling transaction rather than by
 *		a worker: it holds a lock the worker would wait for (ROW
 *		EXCLUSIVE or stronger on cdc_ticks, which the worker locks in SHARE
 *		ROW EXCLUSIVE mode; SHARE or stronger on cdc_batch_txns, which it
 *		inserts into; ACCESS EXCLUSIVE on the change log or a segment,
 *		which it reads), or it created or updated the extension.
 */
Datum
dataeng_cdc_tick_here(PG_FUNCTION_ARGS)
{
	Oid			nsp = get_namespace_oid(dataeng_internal_schema(), true);
	int			i;

	if (!OidIsValid(nsp) || extension_written_here())
		PG_RETURN_BOOL(true);
	if (lock_conflicts(get_relname_relid("cdc_ticks", nsp), RowExclusiveLock) ||
		lock_conflicts(get_relname_relid("cdc_batch_txns", nsp), ShareLock) ||
		lock_conflicts(get_relname_relid("change_log", nsp), AccessExclusiveLock))
		PG_RETURN_BOOL(true);
	for (i = 0; i < CHANGE_LOG_SEGMENTS; i++)
	{
		char		name[NAMEDATALEN];

		snprintf(name, sizeof(name), "change_log_%d", i);
		if (lock_conflicts(get_relname_relid(name, nsp), AccessExclusiveLock))
			PG_RETURN_BOOL(true);
	}
	PG_RETURN_BOOL(false);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_in_transaction_block);

/*
 * dataeng_cdc_in_transaction_block
 *		Whether the caller runs inside BEGIN ... COMMIT (rather than in the
 *		implicit transaction of one statement).  When no worker can cut a
 *		tick, a poll cuts it in its own transaction only when that ends with
 *		the statement: a tick cut inside a transaction block holds the tick
 *		lock for as long as the block stays open.
 */
Datum
dataeng_cdc_in_transaction_block(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(IsTransactionBlock());
}

PG_FUNCTION_INFO_V1(dataeng_cdc_tick_worker);

/*
 * dataeng_cdc_tick_worker
 *		Start a worker that cuts a tick in this database in its own
 *		transaction, and wait until it has exited.  False when no worker
 *		could be started (no free background worker slot).  Whether it
 *		succeeded is for the caller to see in dataeng_internal.cdc_ticks.
 */
Datum
dataeng_cdc_tick_worker(PG_FUNCTION_ARGS)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	BgwHandleStatus status;
	TickArgs	args;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dataeng");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dataeng_cdc_tick_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng tick for process %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "dataeng tick");
	worker.bgw_notify_pid = MyProcPid;
	args.dboid = MyDatabaseId;
	StaticAssertStmt(sizeof(TickArgs) <= BGW_EXTRALEN, "TickArgs too large");
	memcpy(worker.bgw_extra, &args, sizeof(args));

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		PG_RETURN_BOOL(false);
	status = WaitForBackgroundWorkerShutdown(handle);
	pfree(handle);
	if (status == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the postmaster exited while a tick was being cut")));
	PG_RETURN_BOOL(true);
}

/*
 * dataeng_cdc_tick_main
 *		Entry of the tick worker: connect to the database (as the bootstrap
 *		superuser, without a login), and run dataeng_internal._cdc_tick(true) in a
 *		READ COMMITTED transaction as that function's owner, restricted,
 *		with search_path pinned; commit and exit.  An error ends the worker
 *		(the poll that waits for it sees no new tick).
 */
void
dataeng_cdc_tick_main(Datum main_arg)
{
	TickArgs	args;
	InternalSql saved;
	Oid			owner;
	Oid			argtypes[1] = {BOOLOID};

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(args.dboid, InvalidOid, 0);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	/* whatever default_transaction_isolation says: ticks need fresh snapshots */
	XactIsoLevel = XACT_READ_COMMITTED;
	pgstat_report_activity(STATE_RUNNING, "SELECT dataeng_internal._cdc_tick(true)");
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	(void) dataeng_entry_body_lookup("_cdc_tick", 1, argtypes, &owner);
	internal_sql_begin(&saved, owner);
	/* the tick lock is held only by short transactions: never wait long */
	(void) set_config_option("lock_timeout", "10s", PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute("SELECT dataeng_internal._cdc_tick(true)", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng tick: SPI_execute failed");
	internal_sql_end(&saved);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
