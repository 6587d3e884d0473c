/*-------------------------------------------------------------------------
 *
 * launcher.c
 *		The scheduler launcher: a static background worker that starts one
 *		scheduler per database having the extension, and the shared memory
 *		the schedulers, their job workers and the backends meet in.
 *
 * The launcher connects to no database; it reads pg_database (a shared
 * catalog) and keeps a slot per database that allows connections, with
 * the time that database next needs a scheduler (next_due).  It starts a
 * scheduler in a database when that time comes, and sleeps until the
 * earliest of them: after a start every database is visited once, then
 * only when a job is due there (or its jobs change).  A scheduler lives
 * while runs it started are in progress, then writes its database's next
 * due time and exits (scheduler.c), so a database with no job due holds
 * no worker.  A scheduler that finds no dataeng extension in its database
 * says so in its slot and exits; the launcher tries that database again
 * after dataeng.launcher_naptime, or as soon as a backend of that database
 * creates the extension or schedules a job (both set the launcher's latch
 * at commit).
 *
 * It also starts WAL capture workers (src/cdc/wal_worker.c): after a start,
 * that of each database with the worker's replication slot; and that of a
 * database whose scheduler found tables to capture from the WAL and no
 * worker, or where a worker could not be started, as soon as a background
 * worker slot is free (launcher_wal_start(), backing off up to 10 s).
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
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/bgworker_internals.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "cdc/wal.h"
#include "schedule/schedule.h"

/* GUCs */
int			dataeng_max_parallel_jobs = 4;
int			dataeng_max_parallel_jobs_per_role = 0;
int			dataeng_max_jobs_per_role = 100;
int			dataeng_job_timeout = 3600 * 1000;
int			dataeng_launcher_naptime = 60;	/* seconds */
char	   *dataeng_timezone = NULL;	/* cron schedules' zone (cron.c) */

SchedShmem *sched_shmem = NULL;

/* launcher-local: the handle of each slot's scheduler */
static BackgroundWorkerHandle *sched_handles[DATAENG_MAX_DATABASES];

PGDLLEXPORT void dataeng_launcher_main(Datum main_arg);

/* (postmaster) whether the launcher got a background worker slot */
static bool launcher_registered = false;

/* (in the postmaster, at server start and after a crash) */
static void
sched_shmem_init(void *area)
{
	SchedShmem *shm = (SchedShmem *) area;

	SpinLockInit(&shm->mutex);
	shm->launcher_registered = launcher_registered;
	shm->launcher_state = LAUNCHER_NOT_STARTED;
	shm->launcher_at = GetCurrentTimestamp();
}

/*
 * Whether RegisterBackgroundWorker() took the launcher: it only logs when
 * max_worker_processes background workers are registered already.
 */
static bool
launcher_in_worker_list(void)
{
	slist_iter	iter;

	slist_foreach(iter, &BackgroundWorkerList)
	{
		RegisteredBgWorker *rw = slist_container(RegisteredBgWorker, rw_lnode, iter.cur);

		if (strcmp(rw->rw_worker.bgw_library_name, "dataeng") == 0 &&
			strcmp(rw->rw_worker.bgw_function_name, "dataeng_launcher_main") == 0)
			return true;
	}
	return false;
}

/*
 * At the launcher's exit: no launcher runs.  One that ends by an error
 * (exit code 1: also SIGTERM) is started again by the postmaster after
 * bgw_restart_time; one that exits with 0 is not.
 */
static void
launcher_exit(int code, Datum arg)
{
	TimestampTz now = GetCurrentTimestamp();	/* (not under the spinlock) */

	SpinLockAcquire(&sched_shmem->mutex);
	if (sched_shmem->launcher_pid == MyProcPid &&
		sched_shmem->launcher_generation == DatumGetUInt32(arg))
	{
		sched_shmem->launcher_latch = NULL;
		sched_shmem->launcher_pid = 0;
		sched_shmem->launcher_state = code != 0 ? LAUNCHER_ENDED_ERROR : LAUNCHER_ENDED;
		sched_shmem->launcher_at = now;
	}
	SpinLockRelease(&sched_shmem->mutex);
}

/*
 * dataeng_schedule_init
 *		Called from _PG_init: scheduler GUCs; at preload, shared memory and
 *		the launcher worker.
 */
void
dataeng_schedule_init(void)
{
	BackgroundWorker worker;

	DefineCustomIntVariable("dataeng.max_parallel_jobs",
							"Maximum number of job runs at the same time, in all databases.",
							"Each run takes one background worker slot (max_worker_processes).",
							&dataeng_max_parallel_jobs,
							4, 1, DATAENG_MAX_PARALLEL_RUNS,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.max_parallel_jobs_per_role",
							"Maximum number of one role's job runs at the same time, in all databases.",
							"0 means half of dataeng.max_parallel_jobs (at least one), so that "
							"one role's long jobs never hold every slot.",
							&dataeng_max_parallel_jobs_per_role,
							0, 0, DATAENG_MAX_PARALLEL_RUNS,
							PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.max_jobs_per_role",
							"Maximum number of jobs one role may schedule in a database.",
							"Superusers are not limited; 0 means no limit.",
							&dataeng_max_jobs_per_role,
							100, 0, INT_MAX,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.job_timeout",
							"Timeout of a job run whose job sets no timeout of its own.",
							"0 means no timeout.",
							&dataeng_job_timeout,
							3600 * 1000, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.launcher_naptime",
							"How often the launcher looks for new databases having the extension.",
							NULL,
							&dataeng_launcher_naptime,
							60, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataeng.job_history_keep",
							"How long finished job runs are kept in dataeng.job_runs.",
							NULL,
							&dataeng_job_history_keep,
							7 * 24 * 3600, 0, INT_MAX,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomStringVariable("dataeng.timezone",
							   "Time zone in which cron schedules are read.",
							   "Interval schedules count elapsed time, whatever the zone.",
							   &dataeng_timezone,
							   "UTC",
							   PGC_SIGHUP, 0,
							   sched_timezone_check, NULL, NULL);
	DefineCustomBoolVariable("dataeng.log_successful_runs",
							 "Records successful job runs in dataeng.job_runs.",
							 "When off, only failed runs are recorded; dataeng.jobs "
							 "still shows each job's last run.",
							 &dataeng_log_successful_runs,
							 true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	if (!process_shared_preload_libraries_in_progress)
		return;

	dataeng_shmem_area("dataeng scheduler", sizeof(SchedShmem), (void **) &sched_shmem, sched_shmem_init);
	sched_dbhook_init();

	dataeng_worker_init(&worker, "dataeng_launcher_main", "dataeng launcher", LAUNCHER_RESTART_MS / 1000);
	RegisterBackgroundWorker(&worker);
	launcher_registered = launcher_in_worker_list();
}

/* the slot of database dboid, or NULL; caller holds the mutex */
SchedDbSlot *
sched_slot_find(Oid dboid)
{
	int			i;

	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
		if (sched_shmem->dbs[i].dboid == dboid)
			return &sched_shmem->dbs[i];
	return NULL;
}

/* start the scheduler of one database; false when no worker slot is free */
static bool
launch_scheduler(int slotno, Oid dboid)
{
	BackgroundWorker worker;

	dataeng_worker_init(&worker, "dataeng_scheduler_main", "dataeng scheduler", BGW_NEVER_RESTART);
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng scheduler (database %u)", dboid);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;

	return RegisterDynamicBackgroundWorker(&worker, &sched_handles[slotno]);
}

/*
 * launcher_scan
 *		Start a scheduler for each database that has none and may have the
 *		extension.  Returns the number of databases that could not get one
 *		for lack of worker slots.
 */
typedef struct LaunchCandidate
{
	int			slotno;
	Oid			dboid;
	TimestampTz due;			/* when its scheduler became due */
} LaunchCandidate;

/* the database that has waited longest first */
static int
launch_candidate_cmp(const void *a, const void *b)
{
	const LaunchCandidate *x = (const LaunchCandidate *) a;
	const LaunchCandidate *y = (const LaunchCandidate *) b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->slotno - y->slotno;
}

/*
 * The WAL capture worker the launcher started last for the database of each
 * slot (and that database): a worker that cannot run for a lasting reason
 * (no replication slot free, ...) fails, and the postmaster starts it again
 * every 10 s (bgw_restart_time).  Its database's scheduler finds no worker
 * meanwhile: another one started then would be one more worker restarted
 * forever, each holding a background worker slot until none is left.
 */
static BackgroundWorkerHandle *wal_handles[DATAENG_MAX_DATABASES];
static Oid	wal_handle_db[DATAENG_MAX_DATABASES];

/*
 * launcher_wal_start
 *		Start the WAL capture worker of each database in wal (its scheduler
 *		found tables captured from the WAL and no worker there, or a worker
 *		could not be started: sched_wal_wanted()).  Without a free background
 *		worker slot, a database is tried again after a second, then after
 *		twice as long each time, up to 10 s; the first failure is
 *		logged.  A worker the launcher started that is still starting or
 *		running is left alone; one that stopped (it failed, and may wait for
 *		its restart) is stopped for good and replaced, not before 10 s after
 *		its start: a database has one such worker at most, and a worker that
 *		cannot run is not started again at each pass of its scheduler.
 */
static void
launcher_wal_start(Oid *wal, int nwal, TimestampTz now, TimestampTz *earliest)
{
	int			i;

	for (i = 0; i < nwal; i++)
	{
		SchedDbSlot *slot;
		int			slotno;
		bool		started = false;
		bool		first = false;
		pid_t		pid;

		SpinLockAcquire(&sched_shmem->mutex);
		slot = sched_slot_find(wal[i]);
		slotno = slot != NULL ? slot - sched_shmem->dbs : -1;
		SpinLockRelease(&sched_shmem->mutex);
		if (slotno < 0)
			continue;

		if (wal_handles[slotno] != NULL && wal_handle_db[slotno] != wal[i])
		{
			pfree(wal_handles[slotno]);
			wal_handles[slotno] = NULL;
		}
		if (wal_handles[slotno] != NULL)
		{
			if (GetBackgroundWorkerPid(wal_handles[slotno], &pid) != BGWH_STOPPED)
				started = true; /* on its way: it takes the lock soon */
			else
			{
				/* it may wait for its restart: none but the new one */
				TerminateBackgroundWorker(wal_handles[slotno]);
				pfree(wal_handles[slotno]);
				wal_handles[slotno] = NULL;
			}
		}
		if (!started)
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			started = cdc_wal_register_handle(wal[i], &wal_handles[slotno]);
			MemoryContextSwitchTo(old);
			if (started)
				wal_handle_db[slotno] = wal[i];
		}

		SpinLockAcquire(&sched_shmem->mutex);
		slot = &sched_shmem->dbs[slotno];
		if (slot->dboid == wal[i] && started)
		{
			slot->wal_wanted = false;
			slot->wal_backoff_ms = 0;
			/* not replaced before the postmaster would restart it */
			slot->wal_retry_at = TimestampTzPlusMilliseconds(now, 10000);
		}
		else if (slot->dboid == wal[i])
		{
			first = slot->wal_backoff_ms == 0;
			slot->wal_backoff_ms = Min(Max(slot->wal_backoff_ms * 2, 1000), 10000);
			slot->wal_retry_at = TimestampTzPlusMilliseconds(now, slot->wal_backoff_ms);
			*earliest = Min(*earliest, slot->wal_retry_at);
		}
		SpinLockRelease(&sched_shmem->mutex);
		if (first)
			ereport(LOG,
					(errmsg("dataeng launcher: no background worker slot for the WAL capture worker of database %u; trying again",
							wal[i]),
					 errhint("Raise max_worker_processes.")));
	}
}

/*
 * The databases the launcher visits in turn (launcher_scan), and whether
 * it said that some get no slot.
 */
static int	scan_start = 0;

/* schedulers looking at databases where dataeng was not found, at once */
#define LAUNCHER_MAX_RECHECKS 2
static bool slots_warned = false;

/*
 * slot_evict
 *		A slot to give to a database that has none, when none is free: the
 *		one of a database where dataeng is not installed (its scheduler
 *		found so), nothing of it running or held, and due to be looked at
 *		again anyway (recheck_at).  Only such databases lose their slot, so
 *		a server with more databases than slots, dataeng in few of them,
 *		has every database looked at in turn at the pace of
 *		dataeng.launcher_naptime, as if each had a slot.  (Before, the
 *		databases past the first 64 in pg_database, with or without
 *		dataeng, never got a scheduler.)  Caller holds the mutex.
 */
static SchedDbSlot *
slot_evict(TimestampTz now)
{
	int			i;

	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
	{
		SchedDbSlot *slot = &sched_shmem->dbs[i];

		if (OidIsValid(slot->dboid) && slot->no_extension && slot->recheck_at <= now &&
			slot->pid == 0 && !slot->starting && sched_handles[i] == NULL &&
			slot->hold == 0 && !slot->wal_wanted && !slot->test_clock_set)
			return slot;
	}
	return NULL;
}

/* every slot is of a database where dataeng runs; caller holds the mutex */
static bool
slots_all_with_dataeng(void)
{
	int			i;

	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
		if (!sched_shmem->dbs[i].has_extension)
			return false;
	return true;
}

/* a database of pg_database, as launcher_scan reads it */
typedef struct ScanDb
{
	Oid			oid;
	bool		closed;			/* allows no connections, or a template */
	NameData	name;
} ScanDb;

static int
scan_db_cmp(const void *a, const void *b)
{
	return oid_cmp(&((const ScanDb *) a)->oid, &((const ScanDb *) b)->oid);
}

/*
 * sched_note_closed
 *		Database dboid (named dbname) is closed (ALLOW_CONNECTIONS false, or
 *		a template) or open, as the launcher's scan or its scheduler's pass
 *		found: its slot says so, and the server log when it changes in a
 *		database where dataeng runs (a WARNING when it closes: its due jobs
 *		wait, neither run nor failed).  Opened again, it is visited at once.
 *		A database without a slot is left alone.
 */
void
sched_note_closed(Oid dboid, const char *dbname, bool closed)
{
	SchedDbSlot *slot;
	bool		report = false;

	if (sched_shmem == NULL)
		return;
	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(dboid);
	if (slot != NULL && slot->closed != closed)
	{
		slot->closed = closed;
		if (!closed)
			slot->next_due = 0;
		report = slot->has_extension;
	}
	SpinLockRelease(&sched_shmem->mutex);
	if (report && closed)
		ereport(WARNING,
				(errmsg("dataeng: database \"%s\" allows no connections or is a template; its due jobs do not start",
						dbname),
				 errdetail("A job worker could not connect to it. The jobs wait, neither run nor failed; runs already started go on."),
				 errhint("They run once it allows connections again: ALTER DATABASE %s ALLOW_CONNECTIONS true (and IS_TEMPLATE false).",
						 quote_identifier(dbname))));
	else if (report)
		ereport(LOG,
				(errmsg("dataeng: database \"%s\" allows connections again; its due jobs start", dbname)));
}

static int
launcher_scan(long *sleep_ms)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Oid		   *dbs;
	ScanDb	   *sdbs;
	Oid		   *open;
	int			nopen = 0;
	int			maxdbs = 64;
	LaunchCandidate *cand;
	Oid		   *wal;
	int			ndbs = 0;
	int			k;
	int			evicted = 0;
	int			noslot = 0;
	int			ncand = 0;
	int			nwal = 0;
	int			i;
	int			waiting = 0;
	int			rechecks = 0;
	bool		jobs_wait = false;
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz earliest = DT_NOEND;

	sdbs = MemoryContextAlloc(TopMemoryContext, maxdbs * sizeof(ScanDb));
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (ndbs == maxdbs)
		{
			maxdbs *= 2;
			sdbs = repalloc(sdbs, maxdbs * sizeof(ScanDb));
		}
		sdbs[ndbs].oid = db->oid;
		/* (a job worker could not connect; nor may a template be busy) */
		sdbs[ndbs].closed = !db->datallowconn || db->datistemplate;
		namestrcpy(&sdbs[ndbs].name, NameStr(db->datname));
		ndbs++;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	PopActiveSnapshot();
	CommitTransactionCommand();

	/* in oid order: looked up by bsearch under the spinlock below */
	if (ndbs > 1)
		qsort(sdbs, ndbs, sizeof(ScanDb), scan_db_cmp);
	dbs = palloc(Max(ndbs, 1) * sizeof(Oid));
	open = palloc(Max(ndbs, 1) * sizeof(Oid));

	/*
	 * At most one of each per database: more than the slots, since a slot
	 * lent in this scan (slot_evict) may already hold the candidate of the
	 * database it was lent by (skipped below, its slot being another's).
	 */
	cand = palloc(Max(ndbs, 1) * sizeof(LaunchCandidate));
	wal = palloc(Max(ndbs, 1) * sizeof(Oid));
	for (i = 0; i < ndbs; i++)
		dbs[i] = sdbs[i].oid;

	SpinLockAcquire(&sched_shmem->mutex);
	/*
	 * The databases whose runs are kept: the open ones, and a closed one
	 * whose scheduler lives on (it records its runs, a worker it started a
	 * moment before the close among them: that one connects all the same)
	 */
	for (i = 0; i < ndbs; i++)
	{
		SchedDbSlot *slot = sdbs[i].closed ? sched_slot_find(sdbs[i].oid) : NULL;

		if (!sdbs[i].closed ||
			(slot != NULL && (slot->pid != 0 || slot->starting ||
							  sched_handles[slot - sched_shmem->dbs] != NULL)))
			open[nopen++] = sdbs[i].oid;
	}
	/*
	 * forget dropped databases whose scheduler is gone (a closed one keeps
	 * its slot: it is the same database when it opens again)
	 */
	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
	{
		SchedDbSlot *slot = &sched_shmem->dbs[i];

		if (!OidIsValid(slot->dboid))
			continue;
		if (slot->pid == 0 && sched_handles[i] == NULL &&
			bsearch(&slot->dboid, dbs, ndbs, sizeof(Oid), oid_cmp) == NULL)
			memset(slot, 0, sizeof(*slot));
	}
	/* (those of a closed database without a scheduler too: none records them) */
	sched_runs_forget(open, nopen);
	SpinLockRelease(&sched_shmem->mutex);

	/*
	 * Databases without a slot are visited from a point that moves on by
	 * the slots they took, so that every one gets its turn (slot_evict).
	 */
	scan_start = ndbs > 0 ? scan_start % ndbs : 0;
	for (k = 0; k < ndbs; k++)
	{
		SchedDbSlot *slot;
		int			slotno = -1;
		bool		start = false;

		i = (scan_start + k) % ndbs;

		/*
		 * Closed to connections, or a template: no scheduler starts there,
		 * its due jobs wait (a job worker could not connect: each run
		 * failed), and the server log says so; they run once it opens
		 * again (ALTER DATABASE wakes the launcher at its commit).
		 */
		sched_note_closed(dbs[i], NameStr(sdbs[i].name), sdbs[i].closed);
		if (sdbs[i].closed)
			continue;
		/* the database's WAL capture worker, once after a start */
		cdc_wal_launch(dbs[i]);
		SpinLockAcquire(&sched_shmem->mutex);
		slot = sched_slot_find(dbs[i]);
		if (slot == NULL)
		{
			slot = sched_slot_find(InvalidOid);
			if (slot == NULL)
			{
				slot = slot_evict(now);
				if (slot != NULL)
					evicted++;
				else if (slots_all_with_dataeng())
					noslot++;	/* none will be free */
			}
			if (slot != NULL)
			{
				memset(slot, 0, sizeof(*slot));
				slot->dboid = dbs[i];
			}
		}
		if (slot != NULL)
		{
			slotno = slot - sched_shmem->dbs;
			/* a held database (dbhook.c) gets no scheduler */
			start = sched_handles[slotno] == NULL && slot->hold == 0 &&
				slot->next_due <= now &&
				(!slot->no_extension || slot->recheck_at <= now);
			/*
			 * Due jobs that a cap holds back, and would again (scheduler.c,
			 * sched_cap_waits()), nothing else due there and nothing changed
			 * (that wakes it, next_due 0): the hold goes on, looked at again
			 * in a second.
			 */
			if (start && slot->next_due != 0 && now < slot->jobs_due_at &&
				sched_cap_waits(slot, now))
			{
				slot->held_at = now;
				slot->next_due = TimestampTzPlusMilliseconds(now, 1000);
				start = false;
			}
			if (start)
			{
				cand[ncand].slotno = slotno;
				cand[ncand].dboid = dbs[i];
				cand[ncand].due = slot->next_due;
				ncand++;
			}
			else if (sched_handles[slotno] == NULL && slot->hold == 0)
				earliest = Min(earliest, slot->next_due);
			/* (a held database's worker is started when the command ends) */
			if (slot->wal_wanted && slot->hold == 0)
			{
				if (slot->wal_retry_at <= now)
					wal[nwal++] = dbs[i];
				else
					earliest = Min(earliest, slot->wal_retry_at);
			}
		}
		SpinLockRelease(&sched_shmem->mutex);
	}

	scan_start += evicted;
	pfree(dbs);
	pfree(open);
	pfree(sdbs);
	if (noslot > 0 && !slots_warned)
		ereport(WARNING,
				(errmsg("dataeng launcher: %d database(s) get no scheduler: the %d slots are taken by databases with dataeng",
						noslot, DATAENG_MAX_DATABASES),
				 errhint("Keep dataeng in at most %d databases of a server.", DATAENG_MAX_DATABASES)));
	slots_warned = noslot > 0;

	/* WAL capture workers first: changes go uncaptured meanwhile */
	launcher_wal_start(wal, nwal, now, &earliest);

	/*
	 * Start the due schedulers, the one that has waited longest first: when
	 * worker slots are short, a database refused a slot keeps its due time
	 * and so comes first in the next pass, instead of losing it again to
	 * the databases that come before it in pg_database.
	 */
	qsort(cand, ncand, sizeof(LaunchCandidate), launch_candidate_cmp);

	/*
	 * The looks at databases where dataeng was not found, or not looked
	 * for yet since they got their slot (whether it is there now), run
	 * LAUNCHER_MAX_RECHECKS at a time, one while a database with
	 * dataeng waits for a worker slot for its due jobs: with many such
	 * databases and a short naptime, their schedulers took every worker
	 * slot in turn, and the due job of a database with dataeng never got
	 * one (t/038: 73 databases, max_worker_processes 8, on a loaded
	 * machine).  The others keep their turn for the next scan, woken when
	 * one of these schedulers stops.
	 */
	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
	{
		SchedDbSlot *s = &sched_shmem->dbs[i];

		if (!OidIsValid(s->dboid))
			continue;
		if (!s->has_extension && (sched_handles[i] != NULL || s->starting))
			rechecks++;
		else if (s->has_extension && s->held_since != 0 &&
				 !TimestampDifferenceExceeds(s->held_at, now, SCHED_HOLD_STALE_MS))
			jobs_wait = true;
	}
	SpinLockRelease(&sched_shmem->mutex);

	for (i = 0; i < ncand; i++)
	{
		SchedDbSlot *slot = &sched_shmem->dbs[cand[i].slotno];

		SpinLockAcquire(&sched_shmem->mutex);
		if (slot->dboid != cand[i].dboid)
		{
			SpinLockRelease(&sched_shmem->mutex);
			continue;
		}
		if (!slot->has_extension)
		{
			if (rechecks >= (jobs_wait ? 1 : LAUNCHER_MAX_RECHECKS))
			{
				SpinLockRelease(&sched_shmem->mutex);
				/* (a scheduler that found dataeng counts no more) */
				earliest = Min(earliest, TimestampTzPlusMilliseconds(now, 250));
				continue;
			}
			rechecks++;
		}
		slot->starting = true;
		slot->cap_wait = false;
		/* (it reads them at its start: these, or the postmaster's later ones) */
		slot->conf_read = PgReloadTime;
		/* if it dies without saying when, try again in a second */
		slot->next_due = TimestampTzPlusMilliseconds(now, 1000);
		SpinLockRelease(&sched_shmem->mutex);

		if (launch_scheduler(cand[i].slotno, cand[i].dboid))
		{
			SpinLockAcquire(&sched_shmem->mutex);
			slot->no_extension = false;
			SpinLockRelease(&sched_shmem->mutex);
		}
		else
		{
			int			k;

			/*
			 * No slot: this one and the rest wait, keeping their turn, and
			 * hold the next slot freed (scheduler.c): the scheduler of a
			 * database whose runs go on, woken the moment one ends, took
			 * every slot freed before the launcher's next try.
			 */
			SpinLockAcquire(&sched_shmem->mutex);
			slot->starting = false;
			slot->next_due = cand[i].due;
			for (k = i; k < ncand; k++)
			{
				SchedDbSlot *s = &sched_shmem->dbs[cand[k].slotno];

				if (s->dboid == cand[k].dboid)
					sched_hold_slot(s, InvalidOid, now);
			}
			SpinLockRelease(&sched_shmem->mutex);
			waiting = ncand - i;
			break;
		}
	}
	pfree(cand);
	pfree(wal);
	*sleep_ms = earliest == DT_NOEND ? -1L :
		Max(10L, (long) ((earliest - now) / 1000) + 1);
	return waiting;
}

/*
 * sched_runs_forget
 *		The job runs of dropped databases, and of closed ones without a
 *		scheduler (not in dbs, sorted by oid), whose worker is gone or
 *		never began: no scheduler will record
 *		them, nor should they count in the caps.  (A worker still
 *		connected, to a database that no longer allows connections, counts
 *		until it exits.)  Caller holds the mutex.
 */
void
sched_runs_forget(Oid *dbs, int ndbs)
{
	int			i;

	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (OidIsValid(r->dboid) && (r->pid == 0 || r->exited) &&
			bsearch(&r->dboid, dbs, ndbs, sizeof(Oid), oid_cmp) == NULL)
			memset(r, 0, sizeof(*r));
	}
}

/* forget the handles of schedulers that stopped */
static void
launcher_reap(void)
{
	int			i;

	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
	{
		pid_t		pid;

		if (sched_handles[i] == NULL)
			continue;
		if (GetBackgroundWorkerPid(sched_handles[i], &pid) == BGWH_STOPPED)
		{
			pfree(sched_handles[i]);
			sched_handles[i] = NULL;
			SpinLockAcquire(&sched_shmem->mutex);
			sched_shmem->dbs[i].pid = 0;
			sched_shmem->dbs[i].latch = NULL;
			sched_shmem->dbs[i].starting = false;
			SpinLockRelease(&sched_shmem->mutex);
		}
	}
}

/*
 * dataeng_launcher_main
 *		The launcher's loop: scan, then sleep on the latch until a
 *		scheduler stops, a backend asks for a scan, or naptime passes.
 */
void
dataeng_launcher_main(Datum main_arg)
{
	bool		warned = false;
	uint32		generation;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	SpinLockAcquire(&sched_shmem->mutex);
	sched_shmem->launcher_latch = MyLatch;
	sched_shmem->launcher_pid = MyProcPid;
	sched_shmem->launcher_state = LAUNCHER_RUNNING;
	sched_shmem->launcher_conf_read = PgReloadTime;
	generation = ++sched_shmem->launcher_generation;
	SpinLockRelease(&sched_shmem->mutex);
	/* (the sessions waiting for a worker it would start see it gone) */
	on_shmem_exit(launcher_exit, UInt32GetDatum(generation));

	for (;;)
	{
		int			waiting;
		long		timeout;
		long		due_ms = -1;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			int			i;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* settings may change what is due (dataeng.enabled): visit all */
			SpinLockAcquire(&sched_shmem->mutex);
			for (i = 0; i < DATAENG_MAX_DATABASES; i++)
				sched_shmem->dbs[i].next_due = 0;
			sched_shmem->launcher_conf_read = PgReloadTime;
			SpinLockRelease(&sched_shmem->mutex);
		}

		launcher_reap();
		waiting = dataeng_enabled ? launcher_scan(&due_ms) : 0;
		if (waiting > 0 && !warned)
			ereport(LOG,
					(errmsg("dataeng launcher: no background worker slot for the schedulers of %d database(s); waiting",
							waiting),
					 errhint("Raise max_worker_processes.")));
		warned = waiting > 0;

		/* retry soon while schedulers wait for a slot */
		timeout = waiting > 0 ? 1000L : dataeng_launcher_naptime * 1000L;
		if (due_ms >= 0)
			timeout = Min(timeout, due_ms);
		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---------------------------------------------------------------------
 * Waking the scheduler from backends
 * ---------------------------------------------------------------------
 */

static bool wake_pending = false;	/* this database's scheduler */
static bool wake_all_pending = false;	/* every scheduler */
static bool wake_callback_registered = false;

/*
 * wake_at_commit
 *		At the commit of a transaction that asked for it, wake this
 *		database's scheduler (marked to make another pass; with none, the
 *		launcher starts one), or every running scheduler, and the launcher.
 *		An abort forgets the request.
 */
static void
wake_at_commit(XactEvent event, void *arg)
{
	Latch	   *latches[DATAENG_MAX_DATABASES + 2];
	int			n = 0;
	int			i;
	bool		one = wake_pending;
	bool		all = wake_all_pending;

	if (!one && !all)
		return;
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
	{
		wake_pending = wake_all_pending = false;
		return;
	}
	if (event != XACT_EVENT_COMMIT)
		return;
	wake_pending = wake_all_pending = false;
	if (sched_shmem == NULL)
		return;

	SpinLockAcquire(&sched_shmem->mutex);
	if (one)
	{
		SchedDbSlot *slot = sched_slot_find(MyDatabaseId);

		if (slot != NULL)
		{
			/* the running scheduler makes another pass; else the launcher starts one */
			slot->woken = true;
			slot->next_due = 0;
			slot->no_extension = false;
			if (!all && slot->latch != NULL)
				latches[n++] = slot->latch;
		}
	}
	if (all)
		for (i = 0; i < DATAENG_MAX_DATABASES; i++)
			if (sched_shmem->dbs[i].latch != NULL)
				latches[n++] = sched_shmem->dbs[i].latch;
	if (sched_shmem->launcher_latch != NULL)
		latches[n++] = sched_shmem->launcher_latch;
	SpinLockRelease(&sched_shmem->mutex);

	for (i = 0; i < n; i++)
		SetLatch(latches[i]);
}

/* register wake_at_commit() once per process */
static void
wake_register(void)
{
	if (!wake_callback_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		wake_callback_registered = true;
	}
}

/*
 * sched_wal_wanted
 *		Database dboid has tables to capture from the WAL and no WAL capture
 *		worker (none could be started, or its scheduler found none): the
 *		launcher starts one, as soon as a background worker slot is free.
 *		A database the launcher has no slot for yet gets one at its next
 *		scan, and its scheduler then finds the same.
 */
void
sched_wal_wanted(Oid dboid)
{
	SchedDbSlot *slot;
	Latch	   *launcher;

	if (sched_shmem == NULL)
		return;
	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(dboid);
	/* (at wal_retry_at: a worker started a moment ago is given 10 s) */
	if (slot != NULL)
		slot->wal_wanted = true;
	launcher = sched_shmem->launcher_latch;
	SpinLockRelease(&sched_shmem->mutex);
	if (launcher)
		SetLatch(launcher);
}

/*
 * sched_wake_all_at_commit
 *		Wake the launcher and every running scheduler when the current
 *		transaction commits: a database was closed to connections or opened
 *		again (ALTER DATABASE ... ALLOW_CONNECTIONS / IS_TEMPLATE, dbhook.c),
 *		which they see at once instead of at the launcher's naptime.
 */
void
sched_wake_all_at_commit(void)
{
	wake_register();
	wake_all_pending = true;
}

/*
 * sched_wake_at_commit
 *		Wake this database's scheduler (or the launcher, if there is no
 *		scheduler yet) when the current transaction commits.
 */
void
sched_wake_at_commit(void)
{
	wake_register();
	wake_pending = true;
}

PG_FUNCTION_INFO_V1(dataeng_scheduler_wake);

/*
 * dataeng_internal._scheduler_wake() RETURNS void, and the same as a statement
 * trigger on dataeng.jobs: the scheduler sees job changes at commit.
 */
Datum
dataeng_scheduler_wake(PG_FUNCTION_ARGS)
{
	sched_wake_at_commit();
	if (CALLED_AS_TRIGGER(fcinfo))
		return PointerGetDatum(NULL);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataeng_scheduler_conf_read);

/*
 * dataeng_internal._scheduler_conf_read() RETURNS timestamptz: when the
 * configuration files that the launcher and this database's scheduler (if
 * one runs or is starting) use were read, the earlier of the two: at
 * their start (the postmaster's reading then) or when they applied a
 * reload (the launcher at once, a scheduler before its next pass).  A
 * value later than a moment taken after a setting was changed (ALTER
 * SYSTEM) and before pg_reload_conf() means that every scheduler of the
 * database from now on uses the new value (one started later forks from
 * the postmaster, which read the files before the launcher).  NULL when
 * no launcher runs.  Tests wait on it instead of on behaviour.
 */
Datum
dataeng_scheduler_conf_read(PG_FUNCTION_ARGS)
{
	SchedDbSlot *slot;
	TimestampTz conf_read = 0;

	if (sched_shmem == NULL)
		PG_RETURN_NULL();
	SpinLockAcquire(&sched_shmem->mutex);
	if (sched_shmem->launcher_latch != NULL)
	{
		conf_read = sched_shmem->launcher_conf_read;
		slot = sched_slot_find(MyDatabaseId);
		if (slot != NULL && (slot->pid != 0 || slot->starting) && slot->conf_read < conf_read)
			conf_read = slot->conf_read;
	}
	SpinLockRelease(&sched_shmem->mutex);
	if (conf_read == 0)
		PG_RETURN_NULL();
	PG_RETURN_TIMESTAMPTZ(conf_read);
}

PG_FUNCTION_INFO_V1(dataeng_scheduler_pid);

/*
 * dataeng_internal._scheduler_pid() RETURNS int: the pid of the process that
 * schedules this database's jobs now: its scheduler while one runs (runs
 * in progress), else the launcher (which starts one when a job is due);
 * NULL when neither runs.
 */
Datum
dataeng_scheduler_pid(PG_FUNCTION_ARGS)
{
	SchedDbSlot *slot;
	pid_t		pid = 0;

	if (sched_shmem == NULL)
		PG_RETURN_NULL();
	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(MyDatabaseId);
	if (slot)
		pid = slot->pid;
	if (pid == 0 && sched_shmem->launcher_latch != NULL)
		pid = sched_shmem->launcher_pid;
	SpinLockRelease(&sched_shmem->mutex);
	if (pid == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT32(pid);
}
