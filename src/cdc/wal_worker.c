/*-------------------------------------------------------------------------
 *
 * wal_worker.c
 *		The background worker of WAL-mode capture, one per database, and
 *		the SQL entry points of WAL mode and on_change.
 *
 * Who starts it: dataeng.cdc_enable(..., method => 'wal') at commit
 * (dataeng_internal._cdc_wal_start()), and after a server start the scheduler
 * launcher, once for each database it visits that has the worker's slot
 * (cdc_wal_launch()); in a database with tables to capture from the WAL and
 * no worker (none could be started for want of a background worker slot,
 * or none ever made the slot), the launcher as soon as a slot is free
 * (cdc_wal_worker_missing(), run by the database's scheduler at each pass,
 * and sched_wal_wanted()).  A worker
 * holds a session advisory lock of its database for its life, so a second
 * one started meanwhile exits (after waiting up to 2 s for one that is on
 * its way out; the shared-memory entry of wal_dbhook.c already turns most
 * away before they connect); one that finds no table captured
 * from the WAL (or no extension) drops the database's slot, so that
 * nothing holds WAL back, and exits.
 *
 * Its loop: create the slot and the publication when missing (the
 * publication with every table captured from the WAL in it; not while a
 * pg_restore of a role that may write dataeng.cdc_tables is connected to
 * a database with no slot yet: the restore brings the publication,
 * wal_prepare()), run rounds
 * (wal_apply.c; the worker holds the slot and decodes it in its own
 * process, wal_decode.c), confirm to the slot the position each committed
 * round returns (the slot's position moves only after the change records
 * are durably committed), add to the publication every few seconds a
 * table captured from the WAL that is missing from it (wal_publish_check(),
 * under a short lock_timeout, a table it could not add tried again later),
 * report a slot more
 * than dataeng.max_slot_lag behind, and wait on its latch
 * dataeng.wal_naptime between rounds that found nothing more (a session
 * waiting for it to catch up sets the latch: _cdc_wal_wake()).  SIGTERM
 * ends it between rounds (or aborts a round: nothing of it is kept),
 * SIGHUP reloads the configuration.  A round that pgoutput failed in on
 * a change (a row it cannot make a message of, or out of memory) is rolled
 * back and decoded again by the same worker (wal_round_caught()).  Any
 * other error ends it; the postmaster
 * starts it again after 10 s (bgw_restart_time), and after failures in a
 * row it waits longer before it connects (up to 5 min: the back-off of
 * wal_dbhook.c, which also keeps the error for pipeline_status).  A slot invalidated by
 * max_slot_wal_keep_size is no error retried for ever: the tables captured
 * through it stop (capture_error, an alert) and the worker ends for good,
 * or makes a new slot for the tables enabled again (wal_slot_lost()).
 *
 * A command that needs the database without sessions (DROP DATABASE,
 * ALTER DATABASE ... RENAME / SET TABLESPACE, CREATE DATABASE ... TEMPLATE)
 * makes it leave with exit code 0 and starts it again afterwards
 * (wal_dbhook.c); a worker checks before it connects that its database is
 * neither held by such a command nor dropped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "replication/slot.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "schedule/schedule.h"
#include "cdc/cdc.h"
#include "cdc/wal.h"

/* GUCs */
int			cdc_wal_naptime = 200;	/* ms */
int			cdc_wal_batch_changes = 20000;
int			cdc_max_slot_lag = 0;	/* kB, 0: no limit */
int			cdc_on_change_retries = 3;
int			cdc_on_change_timeout = 10000;	/* ms, 0: no limit */
int			cdc_wal_lock_timeout = 0;	/* ms, 0: wait as long as it takes */
int			cdc_max_on_change_per_role = 20;
int			cdc_on_change_max_batch = 262144;	/* kB */
int			cdc_on_change_role_budget = 1000;	/* ms */
int			cdc_on_change_round_budget = 10000; /* ms */
int			cdc_on_change_max_backlog = 10000;	/* batches */
int			cdc_on_change_max_dead_letters = 100000;	/* batches */

/*
 * Without new WAL, a round at least this often all the same (ms): what a
 * round looks at besides the WAL (the slot, the configuration tables) is
 * seen within this time even if a change of it wrote no WAL.
 */
#define CDC_WAL_SETTLED_MAX_MS	10000

PGDLLEXPORT void dataeng_wal_main(Datum main_arg);

static void wal_leave(void);
static void wal_leave_dropped(const char *slot);

/*
 * The advisory lock a database's worker holds: (this key, database oid),
 * field4 CDC_WAL_LOCK_FIELD4.  field4 is apart from SQL advisory locks (1
 * and 2), job runs and a role's new jobs (schedule/): no role can take the
 * lock with pg_advisory_lock() to keep every worker out of the database.
 *
 * The tag is an advisory one (pg_locks shows it so: locktype advisory,
 * classid, objid, objsubid as above) but of DEFAULT_LOCKMETHOD, not of
 * USER_LOCKMETHOD as SQL advisory locks are: pg_advisory_unlock_all()
 * releases every session lock of USER_LOCKMETHOD, and code of other roles
 * runs in the worker (on_change handlers), which released it while the
 * worker went on, so a second worker could start and decode the database
 * beside it.  A session lock of DEFAULT_LOCKMETHOD is released only by the
 * abort of a top-level transaction (the worker exits on any error; a
 * handler runs in a subtransaction, with no transaction control) and is
 * not released when the process exits outside a transaction: the
 * worker releases it itself then (wal_lock_release()).
 */
#define CDC_WAL_LOCK_KEY 1684361025	/* 0x64655741, "deWA" */
#define CDC_WAL_LOCK_FIELD4 25703	/* 0x6467 (decimal: written into SQL) */
#define SET_LOCKTAG_WAL_WORKER(tag, dboid) \
	do { \
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, CDC_WAL_LOCK_KEY, (uint32) (dboid), CDC_WAL_LOCK_FIELD4); \
		(tag).locktag_lockmethodid = DEFAULT_LOCKMETHOD; \
	} while (0)

static LOCKTAG wal_lock_tag;
static bool wal_lock_held = false;

/* at exit (before_shmem_exit): the worker's lock, held outside transactions */
static void
wal_lock_release(int code, Datum arg)
{
	/* (an abort on the way out released it already) */
	if (wal_lock_held && LockHeldByMe(&wal_lock_tag, ExclusiveLock))
		LockRelease(&wal_lock_tag, ExclusiveLock, true);
	wal_lock_held = false;
}

/*
 * Starting to decode the slot logs two LOG lines
 * ("starting logical decoding ...", "logical decoding found consistent
 * point ..."): set around them, cdc_wal_quiet keeps LOG-level messages of
 * the worker out of the server log.  Warnings and errors always go there.
 */
bool		cdc_wal_quiet = false;
static emit_log_hook_type prev_emit_log_hook = NULL;

static void
wal_emit_log(ErrorData *edata)
{
	if (cdc_wal_quiet && edata->elevel == LOG)
		edata->output_to_server = false;
	/* (a FATAL ends the worker: a failure, unless it was terminated) */
	if (edata->elevel >= FATAL)
		cdc_wal_note_fatal(edata->message, edata->sqlerrcode);
	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}

void
cdc_wal_slot_name(Oid dboid, char *buf)
{
	snprintf(buf, NAMEDATALEN, CDC_WAL_SLOT_PREFIX "%u", dboid);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_slot);

/*
 * dataeng_internal._cdc_wal_slot() RETURNS name: the name of this
 * database's WAL capture slot, for the SQL that looks for it.
 */
Datum
dataeng_cdc_wal_slot(PG_FUNCTION_ARGS)
{
	Name		slot = (Name) palloc0(NAMEDATALEN);

	cdc_wal_slot_name(MyDatabaseId, NameStr(*slot));
	PG_RETURN_NAME(slot);
}

/*
 * cdc_wal_init
 *		Called from _PG_init: the GUCs of WAL-mode capture.
 */
void
cdc_wal_init(void)
{
	DefineCustomIntVariable("dataeng.wal_naptime",
							"How long the WAL capture worker waits for new WAL when it has caught up.",
							NULL,
							&cdc_wal_naptime,
							200, 10, 60000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.wal_batch_changes",
							"Most pgoutput messages the WAL capture worker decodes in one transaction.",
							"A source transaction larger than that is decoded whole all the same.",
							&cdc_wal_batch_changes,
							20000, 100, INT_MAX / 4,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.max_slot_lag",
							"WAL a capture slot may be behind before it is reported (0: never).",
							"The WAL capture worker logs a WARNING, and dataeng.cdc_status raises one, "
							"when its slot is further behind the end of WAL than this.",
							&cdc_max_slot_lag,
							0, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_retries",
							"How often a failing on_change handler is retried before its batch goes to dataeng.dead_letters.",
							"Retries wait 0.1 s, 0.4 s, 1.6 s ... (at most 10 s).",
							&cdc_on_change_retries,
							3, 0, 100,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_timeout",
							"Longest an on_change handler call, or the decoding of one source transaction, may take in the WAL capture worker (0: no limit).",
							"It is also the lock_timeout of a handler call.  A handler that runs out of "
							"time has failed: it is retried, then its batch goes to dataeng.dead_letters.  With 0, a call may take what is "
							"left of its role's budget of the round (dataeng.on_change_role_budget), its lock waits too; "
							"reaching it is no failure: the batch waits in the backlog for a later round.",
							&cdc_on_change_timeout,
							10000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.wal_lock_timeout",
							"Longest the WAL capture worker waits for the lock to read a captured table (0: as long as it takes).",
							"While another transaction holds a conflicting lock on a table with a change to record "
							"(LOCK TABLE, ALTER TABLE, VACUUM FULL, CLUSTER), the worker waits, and capture of every "
							"table of the database waits with it; pipeline_status names the table and the process "
							"holding it after 5 s.  Past this limit that table's capture stops instead (its changes are "
							"not captured until its owner runs dataeng.cdc_enable() again) and the other tables go on.",
							&cdc_wal_lock_timeout,
							0, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_max_batch",
							"Most memory the changes of one source transaction may take for its tables' on_change handlers.",
							"A handler gets a transaction's changes as one array, which the database's one WAL capture "
							"worker holds in memory: past this, the handlers of the transaction's tables are not called "
							"with its changes, their batch goes to dataeng.dead_letters without them (54000), "
							"and capture goes on.",
							&cdc_on_change_max_batch,
							262144, 64, 524288,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_role_budget",
							"Most time the on_change handlers of one role may take in one round of the WAL capture worker.",
							"Past it, that role's batches wait in a backlog, handled in commit order in the next rounds, "
							"and capture goes on: a round waits for one role's handlers at most this plus one call "
							"(at most dataeng.on_change_timeout).",
							&cdc_on_change_role_budget,
							1000, 10, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_round_budget",
							"Most time the on_change handlers of every role together may take in one round of the WAL capture worker.",
							"Past it, every role's batches wait in their triggers' backlogs until a later round, "
							"and capture goes on: a round waits for handlers at most this plus one call, "
							"however many roles have triggers.",
							&cdc_on_change_round_budget,
							10000, 10, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_max_backlog",
							"Most batches an on_change trigger's backlog may hold (0: no bound).",
							"Past it the trigger pauses, with a WARNING and on_changes.pause_reason: its backlog and "
							"its next batches go to dataeng.dead_letters in commit order, from where "
							"dataeng.on_change_resume() hands them to the handler; capture goes on.",
							&cdc_on_change_max_backlog,
							10000, 0, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.on_change_max_dead_letters",
							"Most batches of an on_change trigger dataeng.dead_letters keeps with their changes (0: no bound).",
							"Past it the trigger's next batches are counted in one dead letter without their changes "
							"(they are in the change log), with a WARNING, until that dead letter is deleted.",
							&cdc_on_change_max_dead_letters,
							100000, 0, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.max_on_change_per_role",
							"Most on_change triggers one role may create in a database.",
							"Every handler runs in the database's one WAL capture worker.",
							&cdc_max_on_change_per_role,
							20, 0, 100000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	/* (a PGC_POSTMASTER setting can only be made while preloading) */
	if (process_shared_preload_libraries_in_progress)
	{
		DefineCustomIntVariable("dataeng.wal_max_databases",
								"Most databases whose WAL capture workers are tracked in shared memory (0: four for each server process).",
								"A worker beyond it runs, but sessions waiting for it cannot tell whether it does "
								"until it gets an entry, and wait their full time.",
								&cdc_wal_max_databases,
								0, 0, 1000000,
								PGC_POSTMASTER, 0,
								NULL, NULL, NULL);
		cdc_wal_dbhook_init();
	}
}

/* start the WAL worker of database dboid; false if no worker slot is free */
bool
cdc_wal_register(Oid dboid)
{
	BackgroundWorkerHandle *handle;

	return cdc_wal_register_handle(dboid, &handle);
}

/* the same, giving the worker's handle (palloc'd) */
bool
cdc_wal_register_handle(Oid dboid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker worker;
	bool		registered;

	/*
	 * restarted after 10 s, WAL_RESTART_MS of wal_dbhook.c; after failures
	 * in a row the worker waits longer before it connects
	 * (cdc_wal_enter(): the back-off)
	 */
	dataeng_worker_init(&worker, "dataeng_wal_main", "dataeng wal capture", 10);
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng wal capture (database %u)", dboid);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = 0;
	/* (for the sessions waiting for the worker: dataeng.cdc_wal_sync()) */
	registered = RegisterDynamicBackgroundWorker(&worker, handle);
	cdc_wal_note_start(dboid, registered);
	return registered;
}

/*
 * cdc_wal_launch
 *		Called by the scheduler launcher for each database it visits: start
 *		the WAL worker of a database that has a WAL-capture slot, once per
 *		launcher life (after a server start).  Other databases get none:
 *		the worker drops the slot when nothing is captured from the WAL.
 */
#define WAL_LAUNCHED_MAX 256
static Oid	wal_launched[WAL_LAUNCHED_MAX];
static int	wal_nlaunched = 0;

void
cdc_wal_launch(Oid dboid)
{
	int			i;
	char		slot[NAMEDATALEN];

	for (i = 0; i < wal_nlaunched; i++)
		if (wal_launched[i] == dboid)
			return;
	/* only where WAL mode is in use: its worker keeps the slot while it is */
	cdc_wal_slot_name(dboid, slot);
	if (SearchNamedReplicationSlot(slot, true) == NULL)
		return;
	if (!cdc_wal_register(dboid))
		return;					/* no slot now: the next visit tries again */
	if (wal_nlaunched < WAL_LAUNCHED_MAX)
		wal_launched[wal_nlaunched++] = dboid;
}

/*
 * cdc_wal_worker_missing
 *		Called by the database's scheduler at each pass, in its transaction
 *		(SPI connected, the extension locked): whether the database has
 *		tables to capture from the WAL (method or active_method 'wal', not
 *		stopped by a capture error) under wal_level = logical, and no WAL
 *		capture worker holds the database's advisory lock.  A worker that
 *		could not be started at a restore's commit, or was never started
 *		(a server start before the worker of a restored database made its
 *		slot: the launcher starts only databases with a slot), so gets one
 *		(sched_wal_wanted()).  A worker registered a moment ago may not hold
 *		the lock yet: the second one started then leaves (wal_run()).
 */
bool
cdc_wal_worker_missing(void)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(MyDatabaseId)};
	int			ret;

	ret = SPI_execute("SELECT 1 FROM dataeng.cdc_tables ct"
					  " WHERE 'wal' OPERATOR(pg_catalog.=) ANY (ARRAY[ct.method, ct.active_method])"
					  "   AND ct.capture_error IS NULL"
					  "   AND pg_catalog.current_setting('wal_level') OPERATOR(pg_catalog.=) 'logical'"
					  " LIMIT 1", true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng.cdc_tables");
	if (SPI_processed == 0)
		return false;
	ret = SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_locks l"
								" WHERE l.locktype OPERATOR(pg_catalog.=) 'advisory'"
								"   AND l.database OPERATOR(pg_catalog.=) $1"
								"   AND l.classid OPERATOR(pg_catalog.=) " CppAsString2(CDC_WAL_LOCK_KEY) "::pg_catalog.oid"
								"   AND l.objid OPERATOR(pg_catalog.=) $1"
								"   AND l.objsubid OPERATOR(pg_catalog.=) " CppAsString2(CDC_WAL_LOCK_FIELD4)
								" AND l.granted",
								1, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_locks");
	return SPI_processed == 0;
}

/* ---------------------------------------------------------------------
 * Starting the worker when a transaction commits
 * ---------------------------------------------------------------------
 */
static bool wal_start_pending = false;
static bool wal_callback_registered = false;

static void
wal_start_at_commit(XactEvent event, void *arg)
{
	if (!wal_start_pending)
		return;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		wal_start_pending = false;
	if (event != XACT_EVENT_COMMIT)
		return;
	wal_start_pending = false;
	/* started by a user: no back-off of earlier failures holds it back */
	cdc_wal_reset_backoff(MyDatabaseId);
	if (!cdc_wal_register(MyDatabaseId))
	{
		sched_wal_wanted(MyDatabaseId);
		ereport(WARNING,
				(errmsg("could not start the WAL capture worker of this database"),
				 errdetail("No background worker slot is free."),
				 errhint("The launcher of dataeng starts it as soon as a background worker slot is free; raise max_worker_processes.")));
	}
}

PG_FUNCTION_INFO_V1(dataeng_cdc_wal_start);

/*
 * dataeng_internal._cdc_wal_start() RETURNS void: start this database's WAL worker
 * when the transaction commits.
 */
Datum
dataeng_cdc_wal_start(PG_FUNCTION_ARGS)
{
	if (!wal_callback_registered)
	{
		RegisterXactCallback(wal_start_at_commit, NULL);
		wal_callback_registered = true;
	}
	wal_start_pending = true;
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * The worker
 * ---------------------------------------------------------------------
 */

/* run one SQL statement in a transaction of its own; the first column of
 * its first row as text (palloc'd in the caller's context) or NULL.
 * With needs_extension, the statement names the extension's objects: it
 * runs only with the extension locked against DROP EXTENSION and found in
 * the library's version (sched_lock_extension()), so that no schema made
 * by another role after a DROP could answer to those names; NULL when it
 * is not there.  With lock_timeout_ms > 0, the statement runs under that
 * lock_timeout (SET LOCAL: its transaction alone). */
static char *
wal_sql_ext(const char *sql, int nargs, Oid *types, Datum *values, bool quiet,
			bool needs_extension, int lock_timeout_ms)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *volatile result = NULL;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (needs_extension && !sched_lock_extension())
	{
		CommitTransactionCommand();
		return NULL;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (lock_timeout_ms > 0)
	{
		char		set[64];

		snprintf(set, sizeof(set), "SET LOCAL lock_timeout = %d", lock_timeout_ms);
		if (SPI_execute(set, false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not run: %s", set);
	}
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, sql);
	cdc_wal_quiet = quiet;
	PG_TRY();
	{
		if (SPI_execute_with_args(sql, nargs, types, values, NULL, false, 0) < 0)
			elog(ERROR, "could not run: %s", sql);
	}
	PG_FINALLY();
	{
		cdc_wal_quiet = false;
	}
	PG_END_TRY();
	if (SPI_tuptable != NULL && SPI_processed > 0)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v != NULL)
			result = MemoryContextStrdup(caller, v);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
	return result;
}

static char *
wal_sql(const char *sql, int nargs, Oid *types, Datum *values)
{
	return wal_sql_ext(sql, nargs, types, values, false, false, 0);
}

/* wal_sql() of a statement naming the extension's objects */
static char *
wal_ext_sql(const char *sql, int nargs, Oid *types, Datum *values)
{
	return wal_sql_ext(sql, nargs, types, values, false, true, 0);
}

/*
 * Whether the extension is installed here, in the library's version (an
 * older one, before ALTER EXTENSION dataeng UPDATE, has no WAL mode).
 */
static bool
wal_extension_present(void)
{
	char	   *version = wal_sql("SELECT e.extversion FROM pg_catalog.pg_extension e"
								  " WHERE e.extname = 'dataeng'", 0, NULL, NULL);

	if (version != NULL && strcmp(version, DATAENG_LIBRARY_VERSION) != 0)
	{
		/* keep the slot: its changes are captured once the update is done */
		ereport(LOG,
				(errmsg("dataeng wal capture: extension dataeng is at version %s, the library at %s; not capturing",
						version, DATAENG_LIBRARY_VERSION),
				 errhint("Run ALTER EXTENSION dataeng UPDATE; the worker starts at the next server start or cdc_enable().")));
		proc_exit(0);
	}
	return version != NULL;
}

static void
wal_drop_slot(const char *slot)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(slot)};

	/* (the worker's own decoding holds the slot) */
	cdc_wal_decoding_end();

	(void) wal_sql("SELECT pg_catalog.pg_drop_replication_slot(s.slot_name)"
				   " FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1",
				   1, types, values);
}

/*
 * Whether a restore (pg_restore, which connects with application_name
 * pg_restore; one session per job with -j) is connected to this database.
 * The restore of dataeng.cdc_tables starts the worker at commit
 * (_cdc_wal_restore()), in the data section, while the publication and
 * its tables come later, in the post-data section: a publication created
 * by the worker meanwhile would make the restore's CREATE PUBLICATION fail
 * (and stop pg_restore --exit-on-error), and a table added by it the
 * restore's ALTER PUBLICATION ... ADD TABLE.
 *
 * Any role may name its session pg_restore: only the sessions of a role
 * that could restore dataeng's state (one that may write
 * dataeng.cdc_tables: a superuser, dataeng's owner, a role granted INSERT
 * on it) count, so that no other role can hold the worker's repairs back;
 * and none when the database gives every session that name (ALTER
 * DATABASE ... SET application_name, which its owner may run).
 * A pause that goes on is reported every WAL_RESTORE_WARN_MS with the
 * sessions' pids (wal_restore_pause()).  The pids of those sessions,
 * palloc'd, or NULL.
 */
#define WAL_RESTORE_WARN_MS (10 * 60 * 1000)

typedef struct WalRestorePause
{
	TimestampTz since;			/* 0: not paused */
	TimestampTz warned;
} WalRestorePause;

static char *
wal_restore_sessions(void)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(MyDatabaseId)};

	return wal_ext_sql(DATAENG_RESTORE_SESSIONS_SQL("'dataeng.cdc_tables'"),
					   1, types, values);
}

/*
 * Whether what the worker is about to do (what) waits for a restore
 * (wal_restore_sessions()); a WARNING when that has lasted
 * WAL_RESTORE_WARN_MS since the pause began or was last reported.
 */
static bool
wal_restore_pause(WalRestorePause *pause, const char *what)
{
	char	   *pids = wal_restore_sessions();
	TimestampTz now;

	if (pids == NULL)
	{
		pause->since = 0;
		return false;
	}
	now = GetCurrentTimestamp();
	if (pause->since == 0)
		pause->since = pause->warned = now;
	else if (TimestampDifferenceExceeds(pause->warned, now, WAL_RESTORE_WARN_MS))
	{
		ereport(WARNING,
				(errmsg("dataeng wal capture: %s has waited %ld min for the restore connected to database %u to end",
						what, (long) ((now - pause->since) / USECS_PER_MINUTE), MyDatabaseId),
				 errdetail("Sessions of a restore (named pg_restore, or that loaded dataeng.jobs or dataeng.cdc_tables as a restore does) of roles that may write dataeng.cdc_tables are connected (pids %s).",
						   pids),
				 errhint("If no restore runs, end those sessions (pg_terminate_backend()); one named pg_restore may instead use another application_name.")));
		pause->warned = now;
	}
	pfree(pids);
	return true;
}

/* a restore is connected to this database, which has no slot of the worker yet */
static bool
wal_restore_running(const char *slot, WalRestorePause *pause)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(slot)};

	return wal_sql("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s"
				   "                          WHERE s.slot_name OPERATOR(pg_catalog.=) $1)",
				   1, types, values) != NULL &&
		wal_restore_pause(pause, "the making of its slot");
}

/*
 * Add to the publication the tables captured from the WAL that it misses
 * (_cdc_wal_publish()), each ALTER PUBLICATION ... ADD TABLE under a
 * lock_timeout of WAL_PUBLISH_LOCK_TIMEOUT_MS: a table whose lock is held
 * (a long VACUUM, CREATE INDEX CONCURRENTLY, an ALTER TABLE waiting) would
 * otherwise stall capture of every table; it is named in a WARNING and
 * tried again later (wal_publish_check()).
 */
#define WAL_PUBLISH_LOCK_TIMEOUT_MS 1000

static void
wal_publish_tables(bool created)
{
	Oid			types[2] = {TEXTOID, BOOLOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(CDC_WAL_PUBLICATION);
	values[1] = BoolGetDatum(created);
	(void) wal_sql_ext("SELECT dataeng_internal._cdc_wal_publish($1::pg_catalog.name, $2)",
					   2, types, values, false, true, WAL_PUBLISH_LOCK_TIMEOUT_MS);
}

/*
 * Create the publication and the slot if missing, in that order: pgoutput
 * looks the publication up in the catalog as of each change it decodes,
 * so it must exist before the slot's first change.  A slot left from a
 * publication that is gone (the extension dropped and created again) is
 * made anew.
 *
 * Before that, while a restore runs in the database and no slot was made
 * here yet, wait for the restore to end (it brings the publication, when
 * the dump has it): checked every 250 ms, logged once.  Writes committed
 * before the slot is made are not captured; a restore loads its data
 * before, and a caller can wait for the slot with dataeng.cdc_wal_sync().
 *
 * Then every table captured from the WAL is in the publication
 * (_cdc_wal_publish(): all of them added to a publication just created,
 * as after a dump made without publications; one missing from a
 * publication that was there added with a WARNING).
 */
static void
wal_prepare(const char *slot)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(slot)};
	char	   *made;
	bool		logged = false;
	WalRestorePause pause = {0, 0};

	while (wal_restore_running(slot, &pause))
	{
		if (!logged)
		{
			ereport(LOG,
					(errmsg("dataeng wal capture: waiting for the restore running in database %u to end before making its slot",
							MyDatabaseId),
					 errdetail("The restore brings the publication \"%s\".", CDC_WAL_PUBLICATION)));
			logged = true;
		}
		pgstat_report_activity(STATE_IDLE, "waiting for a restore to end");
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 250L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cdc_wal_note_conf();
		}
		/* a command needs the database (DROP DATABASE ...): leave */
		if (cdc_wal_leaving(NULL))
			wal_leave();
		if (!wal_extension_present())
			wal_leave_dropped(slot);
	}
	pgstat_report_activity(STATE_IDLE, NULL);

	made = wal_sql("SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication p"
				   "                          WHERE p.pubname = '" CDC_WAL_PUBLICATION "')",
				   0, NULL, NULL);
	if (made != NULL)
	{
		wal_drop_slot(slot);
		(void) wal_sql("CREATE PUBLICATION " CDC_WAL_PUBLICATION
					   " WITH (publish_via_partition_root = true)", 0, NULL, NULL);
	}
	wal_publish_tables(made != NULL);
	/* in a transaction that writes nothing, as slot creation requires */
	(void) wal_sql("SELECT pg_catalog.pg_create_logical_replication_slot($1, 'pgoutput')"
				   " WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s"
				   "                    WHERE s.slot_name = $1)",
				   1, types, values);
}

/*
 * Every WAL_PUBLISH_CHECK_MS, between rounds: a table cdc_tables says is
 * captured from the WAL (active_method 'wal') but missing from the
 * publication is added to it (_cdc_wal_publish(), a WARNING naming it).
 * A restored row of cdc_tables adds its table itself, through its trigger
 * (_cdc_wal_restore()), but a data-only restore with --disable-triggers
 * fires none: the table would stay uncaptured, silently.  Changes to it
 * committed before it is added are not captured (pgoutput reads the
 * publication as of each change).  Not while a restore is connected to the
 * database (wal_restore_pause()): its own loads are no changes to capture,
 * and it may bring the publication's tables itself.
 *
 * One query on cdc_tables and the publication each time.  Tables that
 * could not be added (a lock held past WAL_PUBLISH_LOCK_TIMEOUT_MS, or a
 * lasting cause) are tried again, each WARNING again, after a wait that
 * doubles from 2 * WAL_PUBLISH_CHECK_MS up to WAL_PUBLISH_RETRY_MAX_MS
 * (logged); a table newly missing is tried at once.
 */
#define WAL_PUBLISH_CHECK_MS 5000
#define WAL_PUBLISH_RETRY_MAX_MS (5 * 60 * 1000)

/* the oids of the tables missing from the publication, or NULL */
static char *
wal_publish_missing(void)
{
	return wal_ext_sql("SELECT pg_catalog.string_agg(ct.table_name::pg_catalog.oid::pg_catalog.text, ','"
					   "                               ORDER BY ct.table_name::pg_catalog.oid)"
					   " FROM dataeng.cdc_tables ct"
					   " WHERE ct.active_method OPERATOR(pg_catalog.=) 'wal'"
					   "   AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr"
					   "                   JOIN pg_catalog.pg_publication p ON p.oid OPERATOR(pg_catalog.=) pr.prpubid"
					   "                   WHERE p.pubname OPERATOR(pg_catalog.=) '" CDC_WAL_PUBLICATION "'"
					   "                     AND pr.prrelid OPERATOR(pg_catalog.=) ct.table_name)"
					   "   AND EXISTS (SELECT 1 FROM pg_catalog.pg_publication p"
					   "               WHERE p.pubname OPERATOR(pg_catalog.=) '" CDC_WAL_PUBLICATION "')",
					   0, NULL, NULL);
}

static void
wal_publish_check(void)
{
	static TimestampTz last_check = 0;
	static WalRestorePause pause = {0, 0};
	/* the tables still missing after the last try, and when to try again */
	static char *failed = NULL;
	static TimestampTz retry_at = 0;
	static int	retry_ms = 0;
	TimestampTz now = GetCurrentTimestamp();
	char	   *missing;

	if (!TimestampDifferenceExceeds(last_check, now, WAL_PUBLISH_CHECK_MS))
		return;
	last_check = now;
	if (wal_restore_pause(&pause, "the check of publication \"" CDC_WAL_PUBLICATION "\""))
		return;
	missing = wal_publish_missing();
	if (missing == NULL)
	{
		if (failed != NULL)
			pfree(failed);
		failed = NULL;
		retry_ms = 0;
		return;
	}
	if (failed != NULL && strcmp(missing, failed) == 0)
	{
		if (now < retry_at)
		{
			pfree(missing);
			return;
		}
	}
	else
		retry_ms = 0;
	pfree(missing);

	wal_publish_tables(false);

	if (failed != NULL)
		pfree(failed);
	failed = NULL;
	missing = wal_publish_missing();
	if (missing == NULL)
	{
		retry_ms = 0;
		return;
	}
	failed = MemoryContextStrdup(TopMemoryContext, missing);
	retry_ms = (retry_ms == 0) ? 2 * WAL_PUBLISH_CHECK_MS : Min(retry_ms * 2, WAL_PUBLISH_RETRY_MAX_MS);
	retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), retry_ms);
	ereport(LOG,
			(errmsg("dataeng wal capture: tables captured from the WAL still missing from publication \"%s\" (oids %s) are tried again in %d s",
					CDC_WAL_PUBLICATION, missing, retry_ms / 1000)));
	pfree(missing);
}

/*
 * The slot was invalidated by max_slot_wal_keep_size: the WAL of changes
 * after its confirmed position is gone, and decoding it cannot go on.
 * Retrying would fail the same way for ever, so the tables captured
 * through it stop (cdc_tables.capture_error, a WARNING and an alert, once:
 * dataeng_internal._cdc_wal_slot_lost()).  When a table still waits for
 * capture from the WAL (its owner ran cdc_enable() again: it is captured
 * by its trigger meanwhile), the lost slot is dropped and a new one made;
 * otherwise the worker ends with exit code 0, which the postmaster does
 * not restart: cdc_enable() starts it again.
 *
 * The tables are stopped before the slot is dropped: a crash in between
 * finds the slot still lost and stops nothing twice.
 */
static void
wal_slot_lost(const char *slot, XLogRecPtr confirmed)
{
	Oid			types[2] = {NAMEOID, PG_LSNOID};
	Datum		values[2];
	char	   *waiting;

	values[0] = CStringGetDatum(slot);
	values[1] = LSNGetDatum(confirmed);
	waiting = wal_ext_sql("SELECT dataeng_internal._cdc_wal_slot_lost($1, $2)", 2, types, values);
	if (waiting == NULL || strcmp(waiting, "t") != 0)
	{
		ereport(DEBUG1,
				(errmsg("dataeng wal capture: replication slot \"%s\" was invalidated and no table waits for capture; stopping",
						slot)));
		proc_exit(0);
	}
	ereport(LOG,
			(errmsg("dataeng wal capture: replication slot \"%s\" was invalidated; it is made anew for the tables enabled again",
					slot)));
	wal_drop_slot(slot);
	wal_prepare(slot);
	/* the slot's alert: the condition ended with the lost slot */
	{
		Oid			rtypes[1] = {TEXTOID};
		Datum		rvalues[1];

		rvalues[0] = CStringGetTextDatum(psprintf("slot:%s:slot_lag", slot));
		(void) wal_ext_sql("SELECT dataeng_internal._alert_resolve($1)", 1, rtypes, rvalues);
	}
}

/*
 * The alert wal_capture_failing of this database's capture slot, without
 * waiting for the next dataeng.alert_check() (_cdc_wal_alert(), the same
 * condition and message): opened, or brought up to date, when a failure of
 * the worker made the slot failing (the worker is on its way out), and
 * resolved when a round commits after failures.  As internal SQL of the
 * worker (its search_path pinned, the extension locked).  An error of its
 * own is only logged: alert_check() does the same at its next run.
 */
static void
wal_failing_alert(void)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		(void) wal_ext_sql("SELECT dataeng_internal._cdc_wal_alert()", 0, NULL, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		MemoryContextSwitchTo(cxt);
		ereport(WARNING,
				(errmsg("dataeng wal capture: could not bring the alert wal_capture_failing up to date: %s",
						edata->message),
				 errdetail("dataeng.alert_check() does it at its next run.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/* a WARNING in the log when the slot is more than dataeng.max_slot_lag behind */
static void
wal_check_lag(const char *slot)
{
	static TimestampTz last_warned = 0;
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(slot)};
	char	   *behind;

	if (cdc_max_slot_lag <= 0 ||
		!TimestampDifferenceExceeds(last_warned, GetCurrentTimestamp(), 60000))
		return;
	behind = wal_sql("SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn)"
					 " FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1",
					 1, types, values);
	if (behind != NULL && strtod(behind, NULL) > (double) cdc_max_slot_lag * 1024.0)
	{
		ereport(WARNING,
				(errmsg("replication slot \"%s\" of WAL capture is %s bytes behind", slot, behind),
				 errdetail("dataeng.max_slot_lag is %d kB.  The server keeps every WAL file the slot still needs.",
						   cdc_max_slot_lag),
				 errhint("See dataeng.cdc_status, and whether on_change handlers are slow or failing.")));
		last_warned = GetCurrentTimestamp();
	}
}

/*
 * Leave the database for a command that needs it empty (wal_dbhook.c):
 * quietly, with exit code 0 (the postmaster does not start this worker
 * again; the command's backend does when it is done).
 */
static void
wal_leave(void)
{
	HOLD_INTERRUPTS();
	FlushErrorState();
	AbortOutOfAnyTransaction();
	ereport(DEBUG1,
			(errmsg("dataeng wal capture leaves database %u for a command that needs it", MyDatabaseId)));
	/* the command was done before the worker could leave: go on anew */
	if (cdc_wal_left() && !cdc_wal_register(MyDatabaseId))
	{
		sched_wal_wanted(MyDatabaseId);
		ereport(WARNING,
				(errmsg("could not start the WAL capture worker of this database again"),
				 errdetail("No background worker slot is free."),
				 errhint("The launcher of dataeng starts it as soon as a background worker slot is free; raise max_worker_processes.")));
	}
	proc_exit(0);
}

/*
 * No extension (any more): nothing may hold WAL for it.  Where it captured
 * (its slot is still here), its publication, which names the tables it
 * captured, goes too.  The worker then exits.
 */
static void
wal_leave_dropped(const char *slot)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {CStringGetTextDatum(slot)};
	bool		captured;

	captured = wal_sql("SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = $1",
					   1, types, values) != NULL;
	wal_drop_slot(slot);
	if (captured)
		(void) wal_sql("DROP PUBLICATION IF EXISTS " CDC_WAL_PUBLICATION, 0, NULL, NULL);
	/* (failures of workers before: over, nothing is captured) */
	(void) cdc_wal_note_round();
	proc_exit(0);
}

/*
 * Nothing is captured from the WAL here (any more): hold no WAL, and exit.
 * When that is because the extension was dropped, leave as after a DROP.
 */
static void
wal_leave_idle(const char *slot)
{
	if (!wal_extension_present())
		wal_leave_dropped(slot);
	wal_drop_slot(slot);
	/* failures of workers before are over: their alert too */
	if (cdc_wal_note_round())
		wal_failing_alert();
	proc_exit(0);
}

/*
 * Whether a DROP described a table captured from the WAL that its
 * transaction wrote (dataeng_internal.cdc_wal_dropped) and no round has
 * recorded that transaction yet: a worker started after the DROP of the
 * last such table (a restart, a crash) still has it to record, as a round
 * does (wal_load()), rather than leave and drop its slot.  (0.1.0: no such
 * table.)
 */
static bool
wal_dropped_waiting(void)
{
	if (wal_sql("SELECT 1 WHERE pg_catalog.to_regclass('dataeng_internal.cdc_wal_dropped') IS NOT NULL",
				0, NULL, NULL) == NULL)
		return false;
	return wal_ext_sql("SELECT 1 FROM dataeng_internal.cdc_wal_dropped LIMIT 1",
					   0, NULL, NULL) != NULL;
}

/*
 * wal_decode_wait
 *		Wait ms before decoding again (a change that ran out of memory), on
 *		the latch: sessions waiting for a round set it, a reload is read,
 *		SIGTERM ends the worker, a command that needs the database ends the
 *		wait.
 */
static void
wal_decode_wait(int ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cdc_wal_note_conf();
		}
		if (left <= 0 || cdc_wal_leaving(NULL))
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * wal_round_caught
 *		Run a round (cdc_wal_round()).  A round that pgoutput's change
 *		callback failed in, on a change (wal_decode.c), is rolled back here
 *		and the worker goes on, where the error ended it and the postmaster
 *		started it again (10 s at least without capture for every table, a
 *		failure counted for the back-off): decoding starts again from the
 *		slot, guarded up to that change at once (an error of the change:
 *		one that fails again stops its table alone), or after a wait when
 *		it ran out of memory (cdc_wal_decode_failure()).  The decoding
 *		context is freed, and with it the memory of the failed attempt.
 *		Any other error ends the worker, as before.  False when the round
 *		was rolled back.
 */
static bool
wal_round_caught(const char *slot, CdcWalRound *round, XLogRecPtr *advance_to)
{
	MemoryContext cxt = CurrentMemoryContext;
	CdcWalFailure failure = CDC_WAL_FAIL_WORKER;
	ErrorData  *err = NULL;
	Oid			relid = InvalidOid;
	XLogRecPtr	lsn = InvalidXLogRecPtr;
	int			attempt = 0;
	int			wait_ms = 0;
	const char *rel;
	char	   *name;

	PG_TRY();
	{
		*round = cdc_wal_round(slot, advance_to);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(TopMemoryContext);
		failure = cdc_wal_decode_failure(geterrcode(), &relid, &lsn, &attempt, &wait_ms);
		if (failure == CDC_WAL_FAIL_WORKER)
			PG_RE_THROW();
		err = CopyErrorData();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		MemoryContextSwitchTo(cxt);
	}
	PG_END_TRY();
	if (failure == CDC_WAL_FAIL_WORKER)
		return true;

	/* (its transaction is gone with the reorder buffer's copy of it) */
	cdc_wal_decoding_end();

	StartTransactionCommand();
	rel = get_rel_name(relid);
	name = MemoryContextStrdup(TopMemoryContext,
							   rel ? quote_identifier(rel) : psprintf("%u", relid));
	CommitTransactionCommand();
	MemoryContextSwitchTo(cxt);
	if (failure == CDC_WAL_FAIL_RETRY)
		ereport(WARNING,
				(errcode(err->sqlerrcode),
				 errmsg("capture from the WAL ran out of memory on a change of table %s at %X/%X (attempt %d of %d)",
						name, LSN_FORMAT_ARGS(lsn), attempt, CDC_WAL_OOM_ATTEMPTS),
				 errdetail("%s%s%s", err->message ? err->message : "", err->detail ? ": " : "",
						   err->detail ? err->detail : ""),
				 errhint("The worker decodes again in %d s; when the change runs out of memory in each attempt, capture of its table stops and the other tables go on.",
						 wait_ms / 1000)));
	else
		ereport(LOG,
				(errmsg("capture from the WAL decodes again, each change up to %X/%X in a subtransaction: the output plugin failed on a change of table %s",
						LSN_FORMAT_ARGS(lsn), name),
				 errdetail("%s%s%s", err->message ? err->message : "", err->detail ? ": " : "",
						   err->detail ? err->detail : ""),
				 errhint("A change that fails again stops the capture of its table alone.")));
	pfree(name);
	FreeErrorData(err);
	pgstat_report_activity(STATE_IDLE, NULL);
	if (wait_ms > 0)
		wal_decode_wait(wait_ms);
	return false;
}

/* wait dataeng.wal_naptime; true when a session set the latch meanwhile */
static bool
wal_nap(void)
{
	int			rc;

	rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
				   cdc_wal_naptime, PG_WAIT_EXTENSION);
	ResetLatch(MyLatch);
	return (rc & WL_LATCH_SET) != 0;
}

/* the worker's life in its database, until it has nothing to do */
static void
wal_run(Oid dboid, const char *slot)
{
	bool		got_lock;
	bool		caught_up = false;
	bool		draining = false;
	TimestampTz lock_deadline;
	XLogRecPtr	settled_at = InvalidXLogRecPtr;
	TimestampTz settled_round = 0;
	bool		woken = true;

	if (!wal_extension_present())
		wal_leave_dropped(slot);

	/*
	 * One worker per database.  (A worker that left for a command may still
	 * be on its way out when its successor starts: wait for it a little.)
	 */
	/*
	 * (2 s, not 20 attempts: sessions waiting for the worker set its latch
	 * every 20 ms, _cdc_wal_wake())
	 */
	SET_LOCKTAG_WAL_WORKER(wal_lock_tag, dboid);
	before_shmem_exit(wal_lock_release, (Datum) 0);
	lock_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 2000);
	for (;;)
	{
		StartTransactionCommand();
		got_lock = (LockAcquire(&wal_lock_tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL);
		wal_lock_held = got_lock;
		CommitTransactionCommand();
		if (got_lock)
			break;
		if (GetCurrentTimestamp() >= lock_deadline)
			proc_exit(0);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 100L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	/* nothing captured from the WAL here (the usual case after a start) */
	if (wal_ext_sql("SELECT 1 FROM dataeng.cdc_tables ct WHERE 'wal' IN (ct.method, ct.active_method)"
				" UNION ALL"
				" SELECT 1 FROM pg_catalog.pg_publication_rel pr"
				" JOIN pg_catalog.pg_publication p ON p.oid OPERATOR(pg_catalog.=) pr.prpubid"
				" WHERE p.pubname OPERATOR(pg_catalog.=) '" CDC_WAL_PUBLICATION "' LIMIT 1",
				0, NULL, NULL) == NULL &&
		!wal_dropped_waiting())
		wal_leave_idle(slot);	/* (or the extension was dropped meanwhile) */
	wal_prepare(slot);

	for (;;)
	{
		XLogRecPtr	advance_to;
		CdcWalRound round;
		bool		drain;

		CHECK_FOR_INTERRUPTS();
		/*
		 * A command needs the database: leave (before SET TABLESPACE, after
		 * a round begun since then has found the end of WAL).
		 */
		if (cdc_wal_leaving(&drain))
		{
			if (!drain || (draining && caught_up))
				wal_leave();
			if (!draining)
			{
				draining = true;
				caught_up = false;
			}
		}
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			cdc_wal_note_conf();
		}

		/* (sessions waiting for a round see that none comes) */
		cdc_wal_track();
		cdc_wal_set_idle(!dataeng_enabled);
		if (!dataeng_enabled)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 10000L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			woken = true;
			continue;
		}
		if (!wal_extension_present())
			wal_leave_dropped(slot);

		{
			XLogRecPtr	confirmed;

			if (cdc_wal_slot_lost(slot, &confirmed))
			{
				wal_slot_lost(slot, confirmed);
				continue;
			}
		}

		wal_publish_check();

		/*
		 * The last round settled (nothing to do, nothing left for later)
		 * and no WAL was written since, by anyone: a round would find
		 * nothing (its transaction, catalog reads and decoding took 3% of a
		 * core in an idle database).  Wait again, unless a session set the
		 * latch (cdc_wal_sync() and the others that wait for a round), the
		 * database is being left, or the last round is
		 * CDC_WAL_SETTLED_MAX_MS old.
		 */
		if (!woken && !draining && settled_at != InvalidXLogRecPtr &&
			GetXLogInsertRecPtr() == settled_at &&
			!TimestampDifferenceExceeds(settled_round, GetCurrentTimestamp(),
										CDC_WAL_SETTLED_MAX_MS))
		{
			woken = wal_nap();
			continue;
		}

		pgstat_report_activity(STATE_RUNNING, "decoding");
		settled_at = InvalidXLogRecPtr;
		if (!wal_round_caught(slot, &round, &advance_to))
			continue;
		pgstat_report_activity(STATE_IDLE, NULL);
		if (round == CDC_WAL_NOTHING)
			wal_leave_idle(slot);
		/* the round committed: the slot may move */
		if (advance_to != InvalidXLogRecPtr)
			cdc_wal_confirm(advance_to);
		/* (a worker that runs rounds has stopped failing: its alert ends) */
		if (cdc_wal_note_round())
			wal_failing_alert();
		wal_check_lag(slot);
		caught_up = (round == CDC_WAL_IDLE);

		if (round == CDC_WAL_MORE || cdc_wal_leaving(NULL))
			continue;
		if (round == CDC_WAL_IDLE && cdc_wal_round_settled_at != InvalidXLogRecPtr)
		{
			settled_at = cdc_wal_round_settled_at;
			settled_round = GetCurrentTimestamp();
		}
		woken = wal_nap();
	}
}

void
dataeng_wal_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	char		slot[NAMEDATALEN];

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/*
	 * The settings were copied from the postmaster when it started this
	 * process, and a reload signalled before the handler above was set
	 * (PostgreSQL ignores SIGHUP until then) is lost: dataeng.enabled set
	 * off and back on while the worker started left it idle for good,
	 * seeing "off" (cdc_wal_sync() timed out, capture waited for the next
	 * reload).  Read the configuration file again in the first loop.
	 */
	ConfigReloadPending = true;
	/* not into a database a command needs empty, or that is gone */
	if (!cdc_wal_enter(dboid))
		proc_exit(0);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	cdc_wal_slot_name(dboid, slot);
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = wal_emit_log;

	/* the settings the values are decoded and encoded under */
	SetConfigOption("datestyle", "ISO, YMD", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("intervalstyle", "postgres", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("extra_float_digits", "1", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("bytea_output", "hex", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	worker_settings_pin();
	SetConfigOption("application_name", "dataeng wal capture", PGC_SUSET, PGC_S_OVERRIDE);
	/* a round's decoded messages stay in memory rather than a temporary file */
	SetConfigOption("work_mem", "65536", PGC_SUSET, PGC_S_OVERRIDE);

	/*
	 * A command that needs the database empty cancels a round in progress
	 * (wal_dbhook.c): that is no error, the round is rolled back and done
	 * again when the worker comes back.
	 */
	PG_TRY();
	{
		wal_run(dboid, slot);
	}
	PG_CATCH();
	{
		MemoryContext old;
		ErrorData  *edata;

		if (cdc_wal_leaving(NULL))
			wal_leave();
		/* the error that ends it: shown while it waits for its restart */
		old = MemoryContextSwitchTo(TopMemoryContext);
		edata = CopyErrorData();
		MemoryContextSwitchTo(old);
		cdc_wal_note_error(edata->message, edata->sqlerrcode);

		/*
		 * To the log, as at the end of any background worker; then, out of
		 * the failed transaction, the alert of workers failing in a row is
		 * opened at once (not at the next alert_check()), and the worker
		 * exits with code 1: the postmaster starts it again.
		 */
		error_context_stack = NULL;
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		MemoryContextSwitchTo(TopMemoryContext);
		wal_failing_alert();
		proc_exit(1);
	}
	PG_END_TRY();
}

/* ---------------------------------------------------------------------
 * SQL entry points (their bodies are in sql/cdc_wal.sql)
 * ---------------------------------------------------------------------
 */
DATAENG_ENTRY(dataeng_cdc_status, "_cdc_status_as_owner")
DATAENG_ENTRY(dataeng_cdc_capture_errors, "_cdc_capture_errors_as_owner")
DATAENG_ENTRY_QUIET(dataeng_agg_wal_caught_up, "_agg_wal_caught_up_as_owner")
DATAENG_ENTRY_QUIET(dataeng_cdc_wal_sync, "_cdc_wal_sync")
DATAENG_ENTRY_QUIET(dataeng_on_change, "_on_change")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_on_change_drop, "_on_change_drop")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_on_change_pause, "_on_change_pause")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_on_change_resume, "_on_change_resume")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_on_change_dead_letter_delete, "_on_change_dead_letter_delete")
DATAENG_ENTRY(dataeng_on_change_list, "_on_change_list_as_owner")
DATAENG_ENTRY(dataeng_dead_letter_list, "_dead_letter_list_as_owner")
