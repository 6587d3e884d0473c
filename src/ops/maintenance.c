/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *		Maintenance that runs itself: dataeng.maintain() in every database
 *		having the extension, every dataeng.maintenance_interval.
 *
 * As PgQ's ticker does its maintenance, the pipeline keeps itself small
 * without anyone calling dataeng.maintain() or dataeng.cdc_purge(): the
 * change log is purged of acknowledged segments and ticks no consumer
 * needs, histories are trimmed, alerts are checked (docs/ops.md).
 *
 * A static background worker, the maintenance launcher, connects to no
 * database (it reads pg_database, a shared catalog, as the scheduler's
 * launcher does).  It is registered only when dataeng.maintenance_interval
 * is not 0 at server start (so a cluster with maintenance off has no
 * process for it).  Every dataeng.maintenance_interval seconds (a SIGHUP
 * setting; 0 turns maintenance off, as does dataeng.enabled = off) it
 * starts one short-lived worker per database that allows connections and
 * is no template, one database after another, and waits for each.  The
 * worker connects as the bootstrap superuser, pins search_path, and in a
 * transaction of its own:
 *
 *	- leaves at once when the database has no dataeng, or has another
 *	  version of it than the library's (the scheduler logs that already);
 *	- locks the extension against DROP EXTENSION, as the scheduler does;
 *	- runs SELECT dataeng.maintain() through SPI.
 *
 * An error is caught, its transaction rolled back, and logged as a
 * WARNING naming the database; the next round tries again.
 *
 * Whose rights: maintain() runs as the bootstrap superuser only on
 * dataeng's own metadata (the change log, histories, alerts, the
 * consumers' measured lag).  The only code of a role it reaches, an alert
 * handler, runs as that role, restricted (_alert_send, src/ops/handler.c);
 * nothing of a role's (a monitor's query, a job's command) runs here:
 * those run in their own jobs as their owners.
 *
 * A database that a command waits to drop, rename or copy (the schedule
 * area's dbhook.c holds it) is skipped, and the worker checks the hold
 * again before it connects.  Its work is short (what maintain() does), so
 * a DROP DATABASE that finds it connected waits for it (PostgreSQL waits
 * a few seconds for other sessions to leave).
 *
 * The worker slot: one permanent (the launcher) and at most one more,
 * for a moment, per round.  When no slot is free the round stops, logs
 * it once, and the next round tries again.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "ops/ops.h"
#include "schedule/schedule.h"

int			ops_maintenance_interval = 30;

PGDLLEXPORT void dataeng_maintenance_launcher_main(Datum main_arg);
PGDLLEXPORT void dataeng_maintenance_main(Datum main_arg);

/*
 * ops_maintenance_init
 *		Called from _PG_init: the GUC, and the launcher when preloaded.
 */
/* dataeng.max_alert_handlers_per_role (read by _alert_handler_add) */
static int	ops_max_alert_handlers_per_role = 10;

void
ops_maintenance_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("dataeng.maintenance_interval",
							"How often dataeng.maintain() runs by itself in each database having the extension (0: never).",
							"It purges the change log of acknowledged changes, trims histories and checks alerts.",
							&ops_maintenance_interval,
							30, 0, 7 * 24 * 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dataeng.max_alert_handlers_per_role",
							"How many alert handlers one role may have.",
							"Each handler is called, under its own timeout, in the transaction that raises or resolves an alert (maintain(), alert_check()): the cap bounds what one role's handlers add to them.",
							&ops_max_alert_handlers_per_role,
							10, 0, 10000,
							PGC_SUSET, 0,
							NULL, NULL, NULL);

	/*
	 * No process at all when maintenance is off at server start (0): the
	 * value comes from postgresql.conf already.  Turning it on from there
	 * takes a restart; any other change, a reload.
	 */
	if (!process_shared_preload_libraries_in_progress || ops_maintenance_interval == 0)
		return;

	dataeng_worker_init(&worker, "dataeng_maintenance_launcher_main", "dataeng maintenance launcher", 10);
	RegisterBackgroundWorker(&worker);
}

/* the databases maintenance visits: connectable, no template */
static List *
maintenance_databases(void)
{
	MemoryContext outer = CurrentMemoryContext;
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(outer);
		dbs = lappend_oid(dbs, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();
	return dbs;
}

/*
 * maintain_database
 *		Start the worker of one database and wait until it stops; false
 *		when no worker slot is free.
 */
static bool
maintain_database(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	dataeng_worker_init(&worker, "dataeng_maintenance_main", "dataeng maintenance", BGW_NEVER_RESTART);
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng maintenance (database %u)", dboid);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return false;
	/* sleeps on the latch, which the worker's stop sets; interrupts are checked */
	if (WaitForBackgroundWorkerShutdown(handle) == BGWH_POSTMASTER_DIED)
		proc_exit(1);
	pfree(handle);
	return true;
}

/*
 * maint_conf_note
 *		Say in shared memory when the maintenance launcher read the
 *		configuration files (its start, a reload), or that none runs (0),
 *		for _maintenance_conf_read().
 */
static void
maint_conf_note(TimestampTz at)
{
	if (sched_shmem == NULL)
		return;
	SpinLockAcquire(&sched_shmem->mutex);
	sched_shmem->maint_conf_read = at;
	SpinLockRelease(&sched_shmem->mutex);
}

static void
maint_launcher_exit(int code, Datum arg)
{
	maint_conf_note(0);
}

/*
 * dataeng_maintenance_launcher_main
 *		Entry of the maintenance launcher (a static background worker).
 */
void
dataeng_maintenance_launcher_main(Datum main_arg)
{
	TimestampTz last_round;
	bool		warned_slots = false;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dataeng maintenance launcher");
	maint_conf_note(PgReloadTime);
	on_shmem_exit(maint_launcher_exit, (Datum) 0);

	/* the first round one interval after start */
	last_round = GetCurrentTimestamp();
	for (;;)
	{
		long		wait_ms = -1;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			maint_conf_note(PgReloadTime);
		}
		if (dataeng_enabled && ops_maintenance_interval > 0)
		{
			TimestampTz due = TimestampTzPlusMilliseconds(last_round, ops_maintenance_interval * 1000L);
			TimestampTz now = GetCurrentTimestamp();

			if (now >= due)
			{
				List	   *dbs;
				ListCell   *lc;
				bool		short_of_slots = false;

				last_round = now;
				pgstat_report_activity(STATE_RUNNING, "dataeng maintenance round");
				dbs = maintenance_databases();
				foreach(lc, dbs)
				{
					Oid			dboid = lfirst_oid(lc);

					CHECK_FOR_INTERRUPTS();
					if (sched_db_held(dboid))
						continue;
					if (!maintain_database(dboid))
					{
						short_of_slots = true;
						break;
					}
				}
				list_free(dbs);
				if (short_of_slots && !warned_slots)
					ereport(LOG,
							(errmsg("dataeng: no background worker slot free for maintenance; it is tried again every dataeng.maintenance_interval"),
							 errhint("Raise max_worker_processes.")));
				warned_slots = short_of_slots;
				pgstat_report_activity(STATE_IDLE, NULL);
				pgstat_report_stat(true);
				continue;
			}
			wait_ms = (long) ((due - now + 999) / 1000);
		}
		/* a worker's stop or a SIGHUP sets the latch: the loop looks again */
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH | (wait_ms >= 0 ? WL_TIMEOUT : 0),
						 wait_ms >= 0 ? wait_ms : 0L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * maintenance_ready
 *		In a transaction: the extension is installed at the library's
 *		version, and locked against DROP EXTENSION until commit.
 */
static bool
maintenance_ready(void)
{
	Oid			extoid = get_extension_oid("dataeng", true);
	bool		ok;

	if (!OidIsValid(extoid))
		return false;
	LockDatabaseObject(ExtensionRelationId, extoid, 0, AccessShareLock);
	if (get_extension_oid("dataeng", true) != extoid)
		return false;
	{
		Oid			types[1] = {TEXTOID};
		Datum		values[1] = {CStringGetTextDatum(DATAENG_LIBRARY_VERSION)};

		if (SPI_execute_with_args("SELECT 1 FROM pg_catalog.pg_extension e "
								  "WHERE e.extname OPERATOR(pg_catalog.=) 'dataeng' "
								  "AND e.extversion OPERATOR(pg_catalog.=) $1",
								  1, types, values, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "dataeng maintenance: SPI failed on the extension's version");
		ok = SPI_processed == 1;
	}
	return ok;
}

/*
 * dataeng_maintenance_main
 *		Entry of one database's maintenance (started by the launcher).
 */
void
dataeng_maintenance_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);
	MemoryContext cxt = CurrentMemoryContext;
	char	   *dbname = NULL;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/* a database a command waits to drop, rename or copy: leave it alone */
	if (sched_db_held(dboid))
		proc_exit(0);
	/* the bootstrap superuser */
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dataeng maintenance");
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	worker_settings_pin();

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	dbname = MemoryContextStrdup(TopMemoryContext, get_database_name(dboid));
	PG_TRY();
	{
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (maintenance_ready())
		{
			pgstat_report_activity(STATE_RUNNING, "SELECT dataeng.maintain()");
			if (SPI_execute("SELECT dataeng.maintain()", false, 0) != SPI_OK_SELECT)
				elog(ERROR, "dataeng maintenance: SPI failed on dataeng.maintain()");
		}
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("dataeng: maintenance of database \"%s\" failed: %s", dbname, edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("It is tried again every dataeng.maintenance_interval; dataeng.maintain() runs it by hand.")));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	pgstat_report_activity(STATE_IDLE, NULL);
	pgstat_report_stat(true);
	proc_exit(0);
}

PG_FUNCTION_INFO_V1(dataeng_maintenance_conf_read);

/*
 * dataeng_internal._maintenance_conf_read() RETURNS timestamptz: when the
 * maintenance launcher last read the configuration files (its start, or a
 * reload it applied, before its next round); NULL when none runs.  A time
 * later than one taken after ALTER SYSTEM and before pg_reload_conf()
 * means that its rounds from then on use the new values (a round's worker
 * started later has them from its start).
 */
Datum
dataeng_maintenance_conf_read(PG_FUNCTION_ARGS)
{
	TimestampTz at = 0;

	if (sched_shmem != NULL)
	{
		SpinLockAcquire(&sched_shmem->mutex);
		at = sched_shmem->maint_conf_read;
		SpinLockRelease(&sched_shmem->mutex);
	}
	if (at == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(at);
}
