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
 * transaction of its own, as PgQ's ticker daemon cuts them: a background
 * worker of the database (the ticker), which runs
 * dataeng_internal._cdc_tick(true) as the owner of that function (restricted, with
 * search_path pinned) and commits, while the poll waits for it.  A tick is
 * cut only when a transaction with captured changes has finished since
 * the newest tick, so idle polls ask for nothing.
 *
 * The ticker stays: starting a worker costs a process and a connection
 * (tens of milliseconds, as much as a whole small refresh), so each
 * database's ticker serves every request that comes while it lives and
 * leaves after dataeng.ticker_idle_timeout without one.  Requests are
 * counted in a slot of shared memory per database (requested, served): a
 * poll adds one, wakes the ticker (or starts it) and sleeps on a condition
 * variable until served reaches its request; one tick serves every request
 * made before it began.  It leaves only with no request pending (a ticker
 * that ends otherwise, or fails to start, frees its slot too: the polls
 * waiting for it see it gone; a slot is never kept for a database).  DROP
 * DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
 * need the database empty: the utility hook of src/schedule/dbhook.c holds
 * the database, wakes its ticker and waits until it is gone
 * (cdc_ticker_busy()); a held database's ticker serves what is pending and
 * leaves, and one started meanwhile leaves without connecting.  Without
 * the shared memory (the library not preloaded) or with every slot taken,
 * a worker is started for the one tick, as before.
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
#include "storage/condition_variable.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/timestamp.h"
#include "postmaster/interrupt.h"
#include "tcop/tcopprot.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"

#include "common/common.h"
#include "cdc/cdc.h"
#include "schedule/schedule.h"

PGDLLEXPORT void dataeng_cdc_tick_main(Datum main_arg);

/* what the worker is told: its database, and its slot (-1: one tick) */
typedef struct TickArgs
{
	Oid			dboid;
	int			slot;
} TickArgs;

/* how long a ticker waits for a request before it leaves */
#define TICKER_SLOTS	64

/* dataeng.ticker_idle_timeout: seconds a ticker stays without a request */
static int	ticker_idle_timeout = 60;

/* A database's ticker and the requests for ticks made to it */
typedef struct TickerSlot
{
	Oid			dboid;			/* InvalidOid: free */
	pid_t		pid;			/* the ticker's, 0 while there is none */
	bool		starting;		/* a ticker is being started */
	TimestampTz start_at;		/* since when */
	Latch	   *latch;			/* the ticker's */
	uint64		requested;		/* requests made */
	uint64		served;			/* requests served (a tick was cut after them) */
	bool		leave;			/* a command needs the database empty */
} TickerSlot;

typedef struct TickerShmem
{
	slock_t		mutex;
	ConditionVariable cv;		/* served advanced, or a ticker left */
	TickerSlot	slots[TICKER_SLOTS];
} TickerShmem;

static TickerShmem *ticker = NULL;

static void
ticker_shmem_init(void *area)
{
	TickerShmem *t = (TickerShmem *) area;

	SpinLockInit(&t->mutex);
	ConditionVariableInit(&t->cv);
}

/*
 * cdc_ticker_init
 *		Called from _PG_init: at preload, the shared memory of the tickers.
 */
void
cdc_ticker_init(void)
{
	DefineCustomIntVariable("dataeng.ticker_idle_timeout",
							"Seconds a database's ticker stays without a request for a tick.",
							"A poll that finds no ticker starts one (a process and a connection, "
							"tens of milliseconds); 0 makes the ticker leave as soon as no poll waits.",
							&ticker_idle_timeout,
							60,
							0, 86400,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);
	dataeng_shmem_area("dataeng ticker", sizeof(TickerShmem), (void **) &ticker, ticker_shmem_init);
}

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

/*
 * start_worker
 *		Register a tick worker for this database (slot: its ticker slot, or
 *		-1 for one tick); its handle, or NULL when no slot is free.
 */
static BackgroundWorkerHandle *
start_worker(int slot)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	TickArgs	args;

	dataeng_worker_init(&worker, "dataeng_cdc_tick_main", slot < 0 ? "dataeng tick" : "dataeng ticker",
						BGW_NEVER_RESTART);
	if (slot < 0)
		snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng tick for process %d", MyProcPid);
	else
		snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng ticker of database %u", MyDatabaseId);
	worker.bgw_notify_pid = MyProcPid;
	args.dboid = MyDatabaseId;
	args.slot = slot;
	StaticAssertStmt(sizeof(TickArgs) <= BGW_EXTRALEN, "TickArgs too large");
	memcpy(worker.bgw_extra, &args, sizeof(args));
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

/*
 * tick_once
 *		Start a worker that cuts one tick and exits, and wait for it: false
 *		when none could be started.
 */
static bool
tick_once(void)
{
	BackgroundWorkerHandle *handle = start_worker(-1);
	BgwHandleStatus status;

	if (handle == NULL)
		return false;
	status = WaitForBackgroundWorkerShutdown(handle);
	pfree(handle);
	if (status == BGWH_POSTMASTER_DIED)
		ereport(FATAL,
				(errcode(ERRCODE_ADMIN_SHUTDOWN),
				 errmsg("the postmaster exited while a tick was being cut")));
	return true;
}

/* (ticker slots) the longest a ticker may take to start */
#define TICKER_START_MS	10000

/*
 * start_pending
 *		Whether slot's ticker is being started, and not for too long: a
 *		worker the postmaster could not start after all (its requester
 *		cancelled while waiting for it) does not hold the slot's polls
 *		forever.  Called with the mutex held (now read before taking it).
 */
static bool
start_pending(TickerSlot *slot, TimestampTz now)
{
	return slot->starting && !TimestampDifferenceExceeds(slot->start_at, now, TICKER_START_MS);
}

/*
 * cdc_ticker_busy
 *		Whether database dboid has a ticker, running or being started (a
 *		command that needs the database empty waits until it has none); a
 *		running one is told to leave and woken.  (The hold of
 *		src/schedule/dbhook.c keeps new tickers out too, but a database
 *		that found no slot there cannot be held: the flag is what makes its
 *		ticker leave; a poll meanwhile starts another, told the same by the
 *		command's next call.)
 */
bool
cdc_ticker_busy(Oid dboid)
{
	TimestampTz now = GetCurrentTimestamp();
	Latch	   *latch = NULL;
	bool		busy = false;
	int			i;

	if (ticker == NULL)
		return false;
	SpinLockAcquire(&ticker->mutex);
	for (i = 0; i < TICKER_SLOTS; i++)
	{
		TickerSlot *slot = &ticker->slots[i];

		if (slot->dboid == dboid && (slot->pid != 0 || start_pending(slot, now)))
		{
			busy = true;
			slot->leave = true;
			latch = slot->latch;
		}
	}
	SpinLockRelease(&ticker->mutex);
	if (latch != NULL)
		SetLatch(latch);
	return busy;
}

/*
 * request_tick
 *		Ask this database's ticker for a tick and wait until one has been
 *		cut after the request (or the ticker has gone: true either way, the
 *		caller sees in cdc_ticks whether there is a new tick).  False when
 *		no ticker could be started; -1 when there is no slot for one.
 */
static int
request_tick(void)
{
	TickerSlot *slot = NULL;
	int			idx = -1;
	uint64		mine;
	bool		start;
	Latch	   *latch = NULL;
	int			i;
	int			result = 1;
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&ticker->mutex);
	for (i = 0; i < TICKER_SLOTS; i++)
		if (ticker->slots[i].dboid == MyDatabaseId)
			idx = i;
	for (i = 0; idx < 0 && i < TICKER_SLOTS; i++)
		if (!OidIsValid(ticker->slots[i].dboid))
		{
			TickerSlot *s = &ticker->slots[i];

			/*
			 * (the counters go on from where they were, nothing pending: a
			 * poll of the slot's former database that has not seen it freed
			 * yet waits for a count it reaches with the first tick)
			 */
			idx = i;
			s->pid = 0;
			s->starting = false;
			s->latch = NULL;
			s->served = s->requested;
			s->leave = false;
			s->dboid = MyDatabaseId;
		}
	if (idx < 0)
	{
		SpinLockRelease(&ticker->mutex);
		return -1;
	}
	slot = &ticker->slots[idx];
	mine = ++slot->requested;
	start = slot->pid == 0 && !start_pending(slot, now);
	if (start)
	{
		slot->starting = true;
		slot->start_at = now;
	}
	else
		latch = slot->latch;
	SpinLockRelease(&ticker->mutex);

	if (start)
	{
		BackgroundWorkerHandle *handle = start_worker(idx);
		pid_t		pid;

		if (handle == NULL || WaitForBackgroundWorkerStartup(handle, &pid) != BGWH_STARTED)
		{
			/*
			 * (a ticker that started and left at once has cleared starting
			 * and freed the slot); no ticker: the slot is free again, so
			 * that a database dropped now keeps none
			 */
			SpinLockAcquire(&ticker->mutex);
			if (slot->dboid == MyDatabaseId && slot->pid == 0)
			{
				slot->starting = false;
				slot->dboid = InvalidOid;
			}
			SpinLockRelease(&ticker->mutex);
			ConditionVariableBroadcast(&ticker->cv);
			result = handle == NULL ? 0 : 1;
		}
		if (handle != NULL)
			pfree(handle);
		if (result == 0)
			return 0;
	}
	else if (latch != NULL)
		SetLatch(latch);

	ConditionVariablePrepareToSleep(&ticker->cv);
	for (;;)
	{
		bool		done;

		now = GetCurrentTimestamp();
		SpinLockAcquire(&ticker->mutex);
		done = slot->dboid != MyDatabaseId || slot->served >= mine ||
			(slot->pid == 0 && !start_pending(slot, now));
		SpinLockRelease(&ticker->mutex);
		if (done)
			break;
		(void) ConditionVariableTimedSleep(&ticker->cv, 1000, PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
	return result;
}

PG_FUNCTION_INFO_V1(dataeng_cdc_tick_worker);

/*
 * dataeng_cdc_tick_worker
 *		Have a tick cut in this database in a transaction of its own (by
 *		the database's ticker, or a worker started for it), and wait until
 *		it is done.  False when no worker could be started (no free
 *		background worker slot).  Whether it succeeded is for the caller to
 *		see in dataeng_internal.cdc_ticks.
 */
Datum
dataeng_cdc_tick_worker(PG_FUNCTION_ARGS)
{
	int			r = ticker != NULL ? request_tick() : -1;

	if (r < 0)
		PG_RETURN_BOOL(tick_once());
	PG_RETURN_BOOL(r > 0);
}

/* cut one tick, in a transaction of its own */
static void
cut_tick(void)
{
	InternalSql saved;
	Oid			owner;
	Oid			argtypes[1] = {BOOLOID};

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
	if (SPI_execute(dataeng_internal_sql("SELECT dataeng_internal._cdc_tick(true)"), false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng tick: SPI_execute failed");
	internal_sql_end(&saved);
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* the ticker's slot and database, while it runs (-1: none) */
static int	my_slot = -1;
static Oid	my_dboid = InvalidOid;

/*
 * ticker_leave
 *		Before a ticker exits (an error or a failed start included): its
 *		slot has no ticker any more.
 */
static void
ticker_leave(int code, Datum arg)
{
	TickerSlot *slot;

	if (my_slot < 0)
		return;
	slot = &ticker->slots[my_slot];
	SpinLockAcquire(&ticker->mutex);
	if (slot->dboid == my_dboid && (slot->pid == MyProcPid || slot->pid == 0))
	{
		slot->pid = 0;
		slot->latch = NULL;
		slot->starting = false;

		/*
		 * The slot is free for any database, requests pending or not: the
		 * polls waiting see the ticker gone (and cut the tick themselves),
		 * and a database dropped after its ticker failed must not keep a
		 * slot for ever (64 such and no database had a ticker any more).
		 */
		slot->dboid = InvalidOid;
	}
	SpinLockRelease(&ticker->mutex);
	ConditionVariableBroadcast(&ticker->cv);
}

/* whether a command told this worker's slot to leave before it connected */
static bool
ticker_told_to_leave(void)
{
	bool		leave;

	SpinLockAcquire(&ticker->mutex);
	leave = ticker->slots[my_slot].dboid == my_dboid && ticker->slots[my_slot].leave;
	SpinLockRelease(&ticker->mutex);
	return leave;
}

/*
 * ticker_main
 *		The ticker of a database: cut a tick whenever requests are pending,
 *		and leave after dataeng.ticker_idle_timeout without one, or at once
 *		when a command needs the database empty (or on SIGTERM).
 */
static void
ticker_main(TickArgs *args)
{
	TickerSlot *slot = &ticker->slots[args->slot];
	TimestampTz idle_since;

	SpinLockAcquire(&ticker->mutex);
	if (slot->dboid != args->dboid || slot->pid != 0)
	{
		/* (the slot is another's now) */
		SpinLockRelease(&ticker->mutex);
		my_slot = -1;
		proc_exit(0);
	}
	slot->pid = MyProcPid;
	slot->latch = MyLatch;
	slot->starting = false;
	SpinLockRelease(&ticker->mutex);

	idle_since = GetCurrentTimestamp();
	for (;;)
	{
		uint64		want;
		uint64		done;
		long		left;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		SpinLockAcquire(&ticker->mutex);
		want = slot->requested;
		done = slot->served;
		left = ticker_idle_timeout * 1000L -
			(long) ((GetCurrentTimestamp() - idle_since) / 1000);
		if (want == done && (left <= 0 || slot->leave || sched_db_held(args->dboid)))
		{
			/* leave, under the lock: a request made after this starts another */
			slot->pid = 0;
			slot->latch = NULL;
			slot->dboid = InvalidOid;
			SpinLockRelease(&ticker->mutex);
			ConditionVariableBroadcast(&ticker->cv);

			/*
			 * The slot is free from here on: a poll may take it again (for
			 * this database too) and start a ticker before this one is
			 * gone.  ticker_leave() must not take that slot for ours and
			 * clear its "starting", or the poll would stop waiting before
			 * its tick.
			 */
			my_slot = -1;
			proc_exit(0);
		}
		SpinLockRelease(&ticker->mutex);
		if (want != done)
		{
			cut_tick();
			SpinLockAcquire(&ticker->mutex);
			slot->served = want;
			SpinLockRelease(&ticker->mutex);
			ConditionVariableBroadcast(&ticker->cv);
			idle_since = GetCurrentTimestamp();
			continue;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(left, 1), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * dataeng_cdc_tick_main
 *		Entry of the tick workers: connect to the database (as the bootstrap
 *		superuser, without a login), and run dataeng_internal._cdc_tick(true) in a
 *		READ COMMITTED transaction as that function's owner, restricted,
 *		with search_path pinned, and commit: once and exit, or as the
 *		database's ticker.  An error ends the worker (the polls that wait
 *		for it see no new tick).
 */
void
dataeng_cdc_tick_main(Datum main_arg)
{
	TickArgs	args;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));

	pqsignal(SIGTERM, die);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	if (args.slot >= 0 && ticker != NULL)
	{
		my_slot = args.slot;
		my_dboid = args.dboid;
		before_shmem_exit(ticker_leave, (Datum) 0);
	}
	BackgroundWorkerUnblockSignals();

	/*
	 * A command waiting for the database to be empty (DROP DATABASE ...,
	 * src/schedule/dbhook.c) keeps tickers out: this one leaves without
	 * connecting (its polls see it gone), so that it never connects to a
	 * database dropped meanwhile.
	 */
	if (my_slot >= 0 && (sched_db_held(args.dboid) || ticker_told_to_leave()))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(args.dboid, InvalidOid, 0);

	/*
	 * A tick need not wait for its WAL to reach the disk: whatever depends
	 * on it durably (a consumer's acknowledgement, a refresh) commits later,
	 * and flushing that commit flushes the tick's first.  A tick lost in a
	 * crash only makes a poll cut another.
	 */
	SetConfigOption("synchronous_commit", "off", PGC_SUSET, PGC_S_OVERRIDE);
	worker_settings_pin();
	if (my_slot >= 0)
		ticker_main(&args);
	cut_tick();
	proc_exit(0);
}
