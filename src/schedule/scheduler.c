/*-------------------------------------------------------------------------
 *
 * scheduler.c
 *		The per-database scheduler: a dynamic background worker that starts
 *		a job worker (job.c) for each due job of dataeng.jobs.
 *
 * Each pass of the loop runs in one transaction: it reaps finished job
 * workers, starts the due jobs (their dependencies met, under
 * dataeng.max_parallel_jobs), moves each started job's next_run_at past
 * now (so a job missed during downtime runs once, not once per missed
 * tick) and computes when the next job is due.  The states it writes
 * (running, waiting, failed...) are states.c's transitions; "now" is
 * clock.c's sched_now().
 *
 * No idle worker per database: a scheduler lives only while it has runs in
 * progress (it is their bgw_notify_pid and enforces their timeouts), or
 * while a job of its database is due within SCHED_LINGER_MS and no other
 * database's scheduler runs (a job due every second would otherwise start
 * a new scheduler, a new connection, each second; the scheduler keeps the
 * plans of its statements, sched_spi_with_args()).
 * Otherwise (even when due jobs wait for a worker slot) it writes its database's next due
 * time into shared memory and exits; the launcher sleeps until the
 * earliest due time of all databases and starts a scheduler there then.
 * A backend committing a change to dataeng.jobs sets the database's due
 * time to now and wakes the launcher (or the running scheduler, which
 * then makes another pass instead of exiting: the "woken" flag closes the
 * race between its last pass and its exit).  While it lives, the scheduler
 * sleeps on its latch, set when a job worker stops and when jobs change.
 *
 * A job worker waits for the scheduler's transaction to commit before it
 * runs, so the run row and the job's new next_run_at are visible to it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/indexing.h"
#include "common/hashfn.h"
#include "utils/fmgroids.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "utils/resowner.h"
#include "catalog/namespace.h"
#include "catalog/pg_database.h"
#include "catalog/pg_extension.h"
#include "storage/lmgr.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "schedule/schedule.h"
#include "cdc/wal.h"

int			dataeng_job_history_keep = 7 * 24 * 3600;
bool		dataeng_log_successful_runs = true;

PGDLLEXPORT void dataeng_scheduler_main(Datum main_arg);

/*
 * a job run this scheduler started (its entry in SchedShmem.runs has the
 * rest)
 */
typedef struct RunningJob
{
	int64		job_id;
	int64		run_id;
	BackgroundWorkerHandle *handle;
} RunningJob;

/*
 * with nothing in progress, a scheduler whose database has a job due within
 * this long waits for it instead of leaving the next pass to the launcher
 */
#define SCHED_LINGER_MS 2000L

/* a run that outlives its timeout by this much is terminated */
#define JOB_TIMEOUT_GRACE_MS 5000

/*
 * sched_lock_extension
 *		In a transaction: lock the dataeng extension against DROP EXTENSION
 *		until commit; false when it is not (or no longer) installed.  Taken
 *		first, it makes DROP EXTENSION wait for the scheduler's pass or a
 *		job's run instead of deadlocking with them on dataeng's tables.
 */

bool
sched_lock_extension(void)
{
	Oid			extoid = get_extension_oid("dataeng", true);
	char	   *version;

	if (!OidIsValid(extoid))
		return false;
	LockDatabaseObject(ExtensionRelationId, extoid, 0, AccessShareLock);
	/* it may have been dropped while we waited */
	if (get_extension_oid("dataeng", true) != extoid ||
		!OidIsValid(get_relname_relid("job_runs", get_namespace_oid("dataeng", true))))
		return false;

	/*
	 * The library's SQL must be the database's: after the library is
	 * upgraded, a database runs no job until ALTER EXTENSION dataeng UPDATE
	 * (whose commit wakes the launcher).
	 */
	version = dataeng_extension_version(extoid);
	if (version == NULL || strcmp(version, DATAENG_LIBRARY_VERSION) != 0)
	{
		ereport(LOG,
				(errmsg("dataeng: database \"%s\" has version %s of the extension, the library is version %s; no job runs there",
						get_database_name(MyDatabaseId), version ? version : "?", DATAENG_LIBRARY_VERSION),
				 errhint("Run ALTER EXTENSION dataeng UPDATE in that database.")));
		return false;
	}
	return true;
}

static List *running = NIL;		/* of RunningJob *, in TopMemoryContext */
static SchedDbSlot *my_slot = NULL;
static bool capped = false;		/* due jobs wait for a run of another database or role */

/* ---------------------------------------------------------------------
 * The job runs in progress (SchedShmem.runs, schedule.h)
 *
 * A run's entry is made before its worker is registered and freed once a
 * scheduler of its database recorded its end: it outlives the scheduler
 * that started it (terminated, or ended by an error), so the next one
 * counts it in the caps (dataeng.max_parallel_jobs, the per-role cap, one
 * run of a job at a time), terminates it past its timeout and records
 * its end.  A run whose worker had not claimed it when its scheduler
 * ended is abandoned by the next one (its worker runs nothing), and
 * recorded failed and retried as a run that ended without a record.
 * ---------------------------------------------------------------------
 */

/* the entry of run run_id of database dboid, or NULL; caller holds the mutex */
static SchedRun *
run_entry(Oid dboid, int64 run_id)
{
	int			i;

	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (r->dboid == dboid && r->run_id == run_id)
			return r;
	}
	return NULL;
}

/*
 * sched_job_name_hash
 *		The hash of a job's name that its runs in progress are known by
 *		too: a job unscheduled during its run and scheduled again under
 *		the same name is another row (another job_id), and its first run
 *		waited for nothing, running beside the old job's run of the same
 *		command.  Two names of the same hash only make one wait for the
 *		other's run.
 */
uint64
sched_job_name_hash(const char *job_name)
{
	return hash_bytes_extended((const unsigned char *) job_name, strlen(job_name), 0);
}

/* a run of this database starts; false when every entry is taken */
static bool
run_add(int64 job_id, uint64 name_hash, int64 run_id, Oid owner, TimestampTz deadline)
{
	int			i;
	bool		ok = false;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS && !ok; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (OidIsValid(r->dboid))
			continue;
		memset(r, 0, sizeof(*r));
		r->dboid = MyDatabaseId;
		r->owner = owner;
		r->job_id = job_id;
		r->name_hash = name_hash;
		r->run_id = run_id;
		r->deadline = deadline;
		ok = true;
	}
	SpinLockRelease(&sched_shmem->mutex);
	return ok;
}

static void wake_held(Oid owner);

/*
 * The end of a run of this database is recorded (or it never started):
 * its place under the caps is free, and with wake the databases whose due
 * jobs wait for it are woken (not for a run whose worker could not be
 * started: the others would find no worker slot either, and wake this one
 * in turn).
 */
static void
run_forget(int64 run_id, bool wake)
{
	SchedRun   *r;
	Oid			owner = InvalidOid;

	SpinLockAcquire(&sched_shmem->mutex);
	r = run_entry(MyDatabaseId, run_id);
	if (r != NULL)
	{
		owner = r->owner;
		memset(r, 0, sizeof(*r));
	}
	SpinLockRelease(&sched_shmem->mutex);
	if (wake && OidIsValid(owner))
		wake_held(owner);
}

/*
 * slot_held_for
 *		Whether another database's scheduler is held back by a cap that
 *		counts the runs of "owner" (or by the total cap: held_owner
 *		invalid), as its slot said not longer than SCHED_HOLD_STALE_MS ago.
 *		Caller holds the mutex.
 */
static inline bool
slot_held_for(SchedDbSlot *slot, Oid owner, TimestampTz now)
{
	if (slot->dboid == InvalidOid || slot->held_since == 0 || slot->hold > 0 ||
		TimestampDifferenceExceeds(slot->held_at, now, SCHED_HOLD_STALE_MS))
		return false;
	return !OidIsValid(slot->held_owner) || slot->held_owner == owner;
}

/*
 * wake_held
 *		A run of owner ended in this database: the database that has waited
 *		longest among those whose due jobs a cap holds back that the run
 *		counted in (that role's, or the total) is woken now, its
 *		scheduler's latch set, or the launcher asked for one where none
 *		runs.  The caps count a role's runs in every database, and a run's
 *		end woke its own database's scheduler alone: one that held another
 *		database's jobs back then yielded the slot to them (hold_yield),
 *		whose scheduler took it at its next look, a second later, so that
 *		many due jobs of one role in two databases started a few a second
 *		whatever the caps allowed.  Only that one: the others would yield
 *		the place to it (hold_yield), and each woken database without a
 *		scheduler had one started to find so, several new backends (and
 *		worker slots) for each run that ended.  The others are woken in
 *		turn by the runs that end next, or by the launcher when their cap
 *		has a place (sched_cap_waits()).
 */
static void
wake_held(Oid owner)
{
	SchedDbSlot *first = NULL;
	Latch	   *latch = NULL;
	Latch	   *launcher = NULL;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
	{
		SchedDbSlot *slot = &sched_shmem->dbs[i];

		if (slot == my_slot || !slot_held_for(slot, owner, now))
			continue;
		if (first == NULL || slot->held_since < first->held_since)
			first = slot;
	}
	if (first != NULL && first->latch != NULL)
		latch = first->latch;
	else if (first != NULL)
	{
		first->next_due = 0;
		launcher = sched_shmem->launcher_latch;
	}
	SpinLockRelease(&sched_shmem->mutex);
	if (latch != NULL)
		SetLatch(latch);
	if (launcher != NULL)
		SetLatch(launcher);
}

/* runs of this database whose end is not recorded yet; caller holds the mutex */
static int
runs_here(void)
{
	int			i,
				n = 0;

	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
		if (sched_shmem->runs[i].dboid == MyDatabaseId)
			n++;
	return n;
}

/* the run of this scheduler, or NULL (a predecessor's, or none) */
static RunningJob *
my_run(int64 run_id)
{
	ListCell   *lc;

	foreach(lc, running)
	{
		if (((RunningJob *) lfirst(lc))->run_id == run_id)
			return (RunningJob *) lfirst(lc);
	}
	return NULL;
}

/* (job worker) the run claimed by this process */
static Oid	claimed_db = InvalidOid;
static int64 claimed_run = 0;

/*
 * At the job worker's exit: its run's entry says so, and the scheduler of
 * its database is woken to record its end; with no scheduler running
 * there, the launcher starts one.
 */
static void
run_exited(int code, Datum arg)
{
	SchedRun   *r;
	SchedDbSlot *slot;
	Latch	   *latch = NULL;
	Latch	   *launcher = NULL;

	SpinLockAcquire(&sched_shmem->mutex);
	r = run_entry(claimed_db, claimed_run);
	if (r != NULL && r->pid == MyProcPid)
	{
		r->exited = true;
		slot = sched_slot_find(claimed_db);
		if (slot != NULL)
		{
			latch = slot->latch;
			if (latch == NULL)
				slot->next_due = 0;
		}
		if (latch == NULL)
			launcher = sched_shmem->launcher_latch;
	}
	SpinLockRelease(&sched_shmem->mutex);
	if (latch != NULL)
		SetLatch(latch);
	if (launcher != NULL)
		SetLatch(launcher);
}

/*
 * sched_run_claim
 *		(job worker) Claim run run_id of database dboid before running
 *		anything: false when a scheduler gave it up (its own scheduler
 *		ended before this worker claimed it: the run was recorded failed
 *		and retried), and then the worker runs nothing.
 */
bool
sched_run_claim(Oid dboid, int64 run_id)
{
	SchedRun   *r;
	bool		ok;

	SpinLockAcquire(&sched_shmem->mutex);
	r = run_entry(dboid, run_id);
	ok = r != NULL && !r->abandoned && r->pid == 0;
	if (ok)
		r->pid = MyProcPid;
	SpinLockRelease(&sched_shmem->mutex);
	if (ok)
	{
		claimed_db = dboid;
		claimed_run = run_id;
		on_shmem_exit(run_exited, (Datum) 0);
	}
	return ok;
}

/*
 * sched_runs_live
 *		Runs of database dboid whose worker may still be connected to it
 *		(claimed and not exited, or not yet claimed nor given up); caller
 *		holds the mutex.
 */
int
sched_runs_live(Oid dboid)
{
	int			i,
				n = 0;

	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (r->dboid == dboid && !r->exited && (r->pid != 0 || !r->abandoned))
			n++;
	}
	return n;
}

/*
 * sched_runs_stop
 *		The runs of database dboid that no scheduler started (their
 *		scheduler ended; with skip_mine, those of this scheduler are left to
 *		it): the ones not claimed yet are given up, the workers of the
 *		others get signal signo (SIGINT: cancelled, they record it; SIGTERM).
 */
static void
runs_stop(Oid dboid, int signo, bool skip_mine)
{
	pid_t	   *pids = palloc(DATAENG_MAX_PARALLEL_RUNS * sizeof(pid_t));
	int			i,
				n = 0;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (r->dboid != dboid || r->exited || (skip_mine && my_run(r->run_id) != NULL))
			continue;
		if (r->pid == 0)
			r->abandoned = true;
		else
			pids[n++] = r->pid;
	}
	SpinLockRelease(&sched_shmem->mutex);
	for (i = 0; i < n; i++)
		(void) kill(pids[i], signo);
	pfree(pids);
}

void
sched_runs_stop(Oid dboid, int signo)
{
	runs_stop(dboid, signo, false);
}

/*
 * At an exit with runs in progress (terminated, an error): the launcher,
 * told by the postmaster, starts the next scheduler a second after this
 * one started (next_due), and that one takes the runs on.
 */
static void
scheduler_exit(int code, Datum arg)
{
	if (my_slot == NULL)
		return;
	SpinLockAcquire(&sched_shmem->mutex);
	my_slot->pid = 0;
	my_slot->latch = NULL;
	SpinLockRelease(&sched_shmem->mutex);
}

/*
 * sched_spi_with_args
 *		SPI_execute_with_args() through a plan kept for the process, per
 *		statement text and parameter types: a scheduler that waits for its
 *		database's next due job (SCHED_LINGER_MS) runs the same statements
 *		every pass, and parsing and planning them again was most of a
 *		pass's CPU.  The plan cache makes a plan again when what it
 *		depends on changes (an ALTER of dataeng.jobs, the extension
 *		dropped and created again); search_path is pinned for the whole
 *		process, so a text always means the same.
 */
#define SCHED_PLANS_MAX 48
typedef struct SchedPlan
{
	char	   *sql;
	int			nargs;
	Oid			types[4];
	SPIPlanPtr	plan;
} SchedPlan;
static SchedPlan sched_plans[SCHED_PLANS_MAX];
static int	sched_nplans = 0;

int
sched_spi_with_args(const char *sql, int nargs, Oid *types, Datum *values,
					const char *nulls, bool read_only, long count)
{
	SchedPlan  *p = NULL;
	int			i;

	if (nargs > 4)
		return SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, count);
	for (i = 0; i < sched_nplans && p == NULL; i++)
		if (sched_plans[i].nargs == nargs && strcmp(sched_plans[i].sql, sql) == 0 &&
			(nargs == 0 || memcmp(sched_plans[i].types, types, nargs * sizeof(Oid)) == 0))
			p = &sched_plans[i];
	if (p == NULL)
	{
		SPIPlanPtr	plan;

		if (sched_nplans >= SCHED_PLANS_MAX)
			return SPI_execute_with_args(sql, nargs, types, values, nulls, read_only, count);
		plan = SPI_prepare(sql, nargs, types);
		if (plan == NULL)
			return SPI_result;
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "dataeng scheduler: could not keep a plan");
		p = &sched_plans[sched_nplans++];
		p->sql = MemoryContextStrdup(TopMemoryContext, sql);
		p->nargs = nargs;
		if (nargs > 0)
			memcpy(p->types, types, nargs * sizeof(Oid));
		p->plan = plan;
	}
	return SPI_execute_plan(p->plan, values, nulls, read_only, count);
}

/* run one SQL statement with int8 parameters; returns SPI's code */
static int
spi_exec(const char *sql, int nargs, int64 *args, bool read_only)
{
	Oid			types[4];
	Datum		values[4];
	int			i;
	int			ret;

	Assert(nargs <= 4);
	for (i = 0; i < nargs; i++)
	{
		types[i] = INT8OID;
		values[i] = Int64GetDatum(args[i]);
	}
	ret = sched_spi_with_args(sql, nargs, types, values, NULL, read_only, 0);
	if (ret < 0)
		elog(ERROR, "dataeng scheduler: SPI failed (%d) on: %s", ret, sql);
	return ret;
}

/*
 * total job runs in all databases, for dataeng.max_parallel_jobs: those
 * of every scheduler, running or ended (a run given up runs nothing)
 */
static int
total_running(void)
{
	int			i,
				n = 0;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
		if (OidIsValid(sched_shmem->runs[i].dboid) && !sched_shmem->runs[i].abandoned)
			n++;
	SpinLockRelease(&sched_shmem->mutex);
	return n;
}

/*
 * a run of the job is in progress, this scheduler's or a predecessor's, or
 * a run of a job of the same name (unscheduled since, and scheduled again)
 */
static bool
job_is_running(int64 job_id, uint64 name_hash)
{
	int			i;
	bool		found = false;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS && !found; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		found = r->dboid == MyDatabaseId && !r->abandoned &&
			(r->job_id == job_id || r->name_hash == name_hash);
	}
	SpinLockRelease(&sched_shmem->mutex);
	return found;
}

/* start one job worker; NULL handle when no worker slot is free */
static BackgroundWorkerHandle *
start_job_worker(JobRunArgs *args)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	MemoryContext old;
	bool		ok;

	dataeng_worker_init(&worker, "dataeng_job_main", "dataeng job", BGW_NEVER_RESTART);
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataeng job " INT64_FORMAT " run " INT64_FORMAT,
			 args->job_id, args->run_id);
	worker.bgw_notify_pid = MyProcPid;
	StaticAssertStmt(sizeof(JobRunArgs) <= BGW_EXTRALEN, "JobRunArgs too large");
	memcpy(worker.bgw_extra, args, sizeof(JobRunArgs));

	old = MemoryContextSwitchTo(TopMemoryContext);
	ok = RegisterDynamicBackgroundWorker(&worker, &handle);
	MemoryContextSwitchTo(old);
	return ok ? handle : NULL;
}

/*
 * reap_workers
 *		Forget the runs whose worker stopped; mark the ones that stopped
 *		without recording a result (killed, FATAL) as failed.  A run whose
 *		job's row another transaction holds is kept until a pass can
 *		record it (reap_pending: the next pass comes within a second).
 *		The runs of a scheduler of this database that ended are looked at
 *		too (by their entries): the ones whose worker exited are recorded
 *		so, the ones whose worker had not claimed them are given up and
 *		recorded failed, retried as any run that ended without a record.
 */
static bool reap_pending = false;

#define ABANDONED_MESSAGE "its scheduler ended before its worker began the run"

static void
reap_workers(void)
{
	ListCell   *lc;
	List	   *keep = NIL;
	SchedRun   *ended;
	int			nended = 0;
	int			i;

	reap_pending = false;
	foreach(lc, running)
	{
		RunningJob *rj = lfirst(lc);
		pid_t		pid;
		bool		terminated = false;
		SchedRun   *r;

		if (GetBackgroundWorkerPid(rj->handle, &pid) == BGWH_STOPPED)
		{
			SpinLockAcquire(&sched_shmem->mutex);
			r = run_entry(MyDatabaseId, rj->run_id);
			if (r != NULL)
				terminated = r->terminated;
			SpinLockRelease(&sched_shmem->mutex);
			/* a no-op when the run recorded its own end */
			if (sched_run_crashed(rj->job_id, rj->run_id, terminated))
			{
				run_forget(rj->run_id, true);
				pfree(rj->handle);
				pfree(rj);
				continue;
			}
			reap_pending = true;
		}
		{
			MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

			keep = lappend(keep, rj);
			MemoryContextSwitchTo(old);
		}
	}
	list_free(running);
	running = keep;

	/* a predecessor's runs: ended, or never claimed (given up now) */
	ended = palloc(DATAENG_MAX_PARALLEL_RUNS * sizeof(SchedRun));
	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (r->dboid != MyDatabaseId || my_run(r->run_id) != NULL)
			continue;
		if (r->pid == 0)
			r->abandoned = true;
		if (r->abandoned || r->exited)
			ended[nended++] = *r;
	}
	SpinLockRelease(&sched_shmem->mutex);
	for (i = 0; i < nended; i++)
	{
		SchedRun   *r = &ended[i];
		bool		done;
		bool		recorded;

		if (r->abandoned)
		{
			done = sched_run_ended_unrecorded(r->job_id, r->run_id, InvalidTransactionId,
											  "failed", ABANDONED_MESSAGE, true, &recorded);
			if (done && recorded)
				ereport(LOG,
						(errmsg("dataeng scheduler: run " INT64_FORMAT " of job " INT64_FORMAT
								" in database \"%s\" was not begun when its scheduler ended; it is recorded as failed",
								r->run_id, r->job_id, get_database_name(MyDatabaseId))));
		}
		else
			done = sched_run_crashed(r->job_id, r->run_id, r->terminated);
		if (done)
			run_forget(r->run_id, true);
		else
			reap_pending = true;
	}
	pfree(ended);
}

/*
 * end_orphaned_runs
 *		running -> failed, not retried, for the runs no worker runs: not
 *		started by a scheduler of this server (no entry in
 *		SchedShmem.runs: those are reap_workers', even when the scheduler
 *		that started them ended), and no session holding their job's run
 *		lock (job.c).  A data-only restore with --disable-triggers brings
 *		the runs that were in progress when the dump was taken without the
 *		trigger that records them as failed (_job_restored_running).  At
 *		each pass: the partial index of running runs keeps it cheap.
 *
 *		A worker claims its run after taking its job's lock by updating
 *		its row, and runs nothing when the row is no longer running: only
 *		the version of the row read here is ended (its xmin), so a run
 *		claimed meanwhile is left to its worker, and a run ended here is
 *		never run.
 */
static void
end_orphaned_runs(void)
{
	uint64		n;
	uint64		i;
	int64	   *ids;
	TransactionId *xmins;

	if (sched_spi_with_args("SELECT r.run_id, r.job_id, r.xmin FROM dataeng.job_runs r "
					" WHERE r.status OPERATOR(pg_catalog.=) 'running'", 0, NULL, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed reading the running runs");
	n = SPI_processed;
	if (n == 0)
		return;
	ids = palloc(2 * n * sizeof(int64));
	xmins = palloc(n * sizeof(TransactionId));
	for (i = 0; i < n; i++)
	{
		bool		isnull;

		ids[2 * i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		ids[2 * i + 1] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
		xmins[i] = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 3, &isnull));
	}
	for (i = 0; i < n; i++)
	{
		int64		run_id = ids[2 * i];
		int64		job_id = ids[2 * i + 1];
		bool		known;
		bool		ended;
		LOCKTAG		tag;

		/* a run of this server's schedulers: reap_workers' */
		SpinLockAcquire(&sched_shmem->mutex);
		known = run_entry(MyDatabaseId, run_id) != NULL;
		SpinLockRelease(&sched_shmem->mutex);
		if (known)
			continue;
		SET_LOCKTAG_JOB_RUN(tag, MyDatabaseId, job_id);
		if (LockAcquire(&tag, ExclusiveLock, false, true) == LOCKACQUIRE_NOT_AVAIL)
			continue;			/* a run of the job runs: looked at again later */
		LockRelease(&tag, ExclusiveLock, false);
		if (!sched_run_ended_unrecorded(job_id, run_id, xmins[i], "failed",
										"no worker ran it: restored as running from a dump taken during the run "
										"(a data-only restore with --disable-triggers), or its worker ended without a record",
										false, &ended))
			reap_pending = true;	/* the job's row is held: the next pass */
		else if (ended)
			ereport(LOG,
					(errmsg("dataeng scheduler: run %lld of job %lld in database \"%s\" is recorded as running but no worker runs it; it is recorded as failed",
							(long long) run_id, (long long) job_id, get_database_name(MyDatabaseId))));
	}
	pfree(ids);
	pfree(xmins);
}

/* runs of one role in progress in every database */
static int
owner_running(Oid owner)
{
	int			i,
				n = 0;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (OidIsValid(r->dboid) && r->owner == owner && !r->abandoned)
			n++;
	}
	SpinLockRelease(&sched_shmem->mutex);
	return n;
}

/*
 * A database whose due jobs the caps hold back gets the next slot that a
 * run of the same cap frees, before a database whose jobs were held back
 * later (or not at all).  Without it, the scheduler of a busy database,
 * woken the moment one of its runs ends, took every slot freed, and the
 * jobs of another database (whose scheduler looks again only every
 * second) never ran while the busy one had due jobs.
 */

/*
 * This database's jobs are held back by a cap (owner's, or the total): as
 * of this pass (the cap it waits for is the last one met, so that other
 * databases never leave a slot to a job that could not take it for long),
 * waiting since its first pass held back.
 */
void
sched_hold_slot(SchedDbSlot *slot, Oid owner, TimestampTz now)
{
	if (slot->held_since == 0 ||
		TimestampDifferenceExceeds(slot->held_at, now, SCHED_HOLD_STALE_MS))
		slot->held_since = now;
	slot->held_owner = owner;
	slot->held_at = now;
}

/*
 * the caps this pass held due jobs back by: 0 (none yet), 1 (one:
 * hold_owner's), 2 (more than one; the slot names the last)
 */
static int	hold_owners = 0;
static Oid	hold_owner = InvalidOid;

static void
hold_set(Oid owner)
{
	TimestampTz now = GetCurrentTimestamp();

	if (hold_owners == 0)
	{
		hold_owners = 1;
		hold_owner = owner;
	}
	else if (owner != hold_owner)
		hold_owners = 2;

	SpinLockAcquire(&sched_shmem->mutex);
	sched_hold_slot(my_slot, owner, now);
	SpinLockRelease(&sched_shmem->mutex);
}

static void
hold_clear(void)
{
	SpinLockAcquire(&sched_shmem->mutex);
	my_slot->held_since = 0;
	my_slot->held_owner = InvalidOid;
	SpinLockRelease(&sched_shmem->mutex);
}

/*
 * Another database waits, since before this one, for the slot a run of
 * owner would take (a run of that role, or any run under the total cap).
 */
static bool
hold_yield(Oid owner)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz mine;
	bool		yield = false;
	int			i;

	SpinLockAcquire(&sched_shmem->mutex);
	mine = my_slot->held_since != 0 &&
		!TimestampDifferenceExceeds(my_slot->held_at, now, SCHED_HOLD_STALE_MS) ?
		my_slot->held_since : now;
	for (i = 0; i < DATAENG_MAX_DATABASES && !yield; i++)
	{
		SchedDbSlot *slot = &sched_shmem->dbs[i];

		if (slot == my_slot || !slot_held_for(slot, owner, now))
			continue;
		if (slot->held_since < mine ||
			(slot->held_since == mine && slot < my_slot))
			yield = true;
	}
	SpinLockRelease(&sched_shmem->mutex);
	return yield;
}

/* the most runs of one role at once (dataeng.max_parallel_jobs_per_role) */
static int
per_role_cap(void)
{
	return dataeng_max_parallel_jobs_per_role > 0 ? dataeng_max_parallel_jobs_per_role :
		Max(1, dataeng_max_parallel_jobs / 2);
}

/*
 * sched_cap_waits
 *		(launcher) Whether the due jobs that the last scheduler of slot's
 *		database left held back by a cap alone (cap_wait: by one role's,
 *		held_owner, or by the total) would wait again: that cap is still
 *		full, or another database has waited longer for its next place
 *		(as hold_yield() decides).  Caller holds the mutex.
 */
bool
sched_cap_waits(SchedDbSlot *slot, TimestampTz now)
{
	int			total = 0;
	int			owned = 0;
	int			i;

	if (!slot->cap_wait || slot->held_since == 0 ||
		TimestampDifferenceExceeds(slot->held_at, now, SCHED_HOLD_STALE_MS))
		return false;
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (!OidIsValid(r->dboid) || r->abandoned)
			continue;
		total++;
		if (OidIsValid(slot->held_owner) && r->owner == slot->held_owner)
			owned++;
	}
	if (total >= dataeng_max_parallel_jobs ||
		(OidIsValid(slot->held_owner) && owned >= per_role_cap()))
		return true;
	for (i = 0; i < DATAENG_MAX_DATABASES; i++)
	{
		SchedDbSlot *other = &sched_shmem->dbs[i];

		if (other != slot && slot_held_for(other, slot->held_owner, now) &&
			(other->held_since < slot->held_since ||
			 (other->held_since == slot->held_since && other < slot)))
			return true;
	}
	return false;
}

/*
 * job_next_run
 *		The next run of a job after "now", computed in a subtransaction: a
 *		job whose schedule cannot give one (a row a superuser wrote by
 *		hand, say '178000000 years') is marked broken with the reason and
 *		skipped, instead of failing every pass and so every other job.
 *
 *		Read with a snapshot of its own (not read-only), as the due jobs
 *		were: the pass's first snapshot, taken before it waited for
 *		dataeng.jobs, may predate the job (created and made due meanwhile:
 *		it "disappeared", and the scheduler ended on that error) or its
 *		latest schedule (the next run came from the old one).  The row is
 *		locked by the due jobs' query, so this reads the version it locked.
 */
static bool
job_next_run(int64 job_id, TimestampTz now, Datum *next, bool *next_null)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		bool		isnull;
		Datum		sched;

		if (sched_spi_with_args("SELECT schedule FROM dataeng.jobs "
								  "WHERE job_id OPERATOR(pg_catalog.=) $1", 1,
								  (Oid[]) {INT8OID},
								  (Datum[]) {Int64GetDatum(job_id)},
								  NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "dataeng scheduler: SPI failed computing the next run of job " INT64_FORMAT, job_id);
		if (SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("job " INT64_FORMAT " disappeared", job_id)));
		sched = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		*next_null = isnull;
		/*
		 * A stored interval under a second (upgraded from 0.1.0, or written
		 * by hand) counts as 1 second: the job runs on, once a second.
		 */
		if (!isnull)
			*next = TimestampTzGetDatum(schedule_next_ext(TextDatumGetCString(sched),
														  now, true));
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		/* only the schedule's own fault breaks the job; anything else is the pass's */
		if (ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
		{
			FreeErrorData(edata);
			PG_RE_THROW();
		}
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;

		ereport(WARNING,
				(errmsg("dataeng scheduler: job " INT64_FORMAT " in database \"%s\" is broken and will not run: %s",
						job_id, get_database_name(MyDatabaseId), edata->message),
				 errhint("Reschedule it with dataeng.schedule().")));
		sched_job_break(job_id, psprintf("its schedule gives no next run: %s", edata->message));
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}

/*
 * terminate_overdue
 *		Terminate the runs that outlived their timeout by
 *		JOB_TIMEOUT_GRACE_MS: the run's own statement timeout can be caught
 *		by its command, or not cover its commit (deferred triggers).
 *		Returns the milliseconds until the next deadline (at most a minute).
 */
static long
terminate_overdue(void)
{
	TimestampTz now = GetCurrentTimestamp();
	long		wait_ms = 60000L;
	SchedRun   *over = palloc(DATAENG_MAX_PARALLEL_RUNS * sizeof(SchedRun));
	int			nover = 0;
	int			i;

	/* this scheduler's runs and a predecessor's its worker claimed */
	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
	{
		SchedRun   *r = &sched_shmem->runs[i];

		if (r->dboid != MyDatabaseId || r->deadline == 0 || r->terminated ||
			r->exited || r->abandoned)
			continue;
		if (now >= r->deadline)
		{
			r->terminated = true;
			over[nover++] = *r;
		}
		else
			wait_ms = Min(wait_ms, (long) ((r->deadline - now) / 1000) + 1);
	}
	SpinLockRelease(&sched_shmem->mutex);
	for (i = 0; i < nover; i++)
	{
		RunningJob *rj = my_run(over[i].run_id);

		ereport(LOG,
				(errmsg("dataeng scheduler: run " INT64_FORMAT " of job " INT64_FORMAT
						" in database \"%s\" outlived its timeout; terminating it",
						over[i].run_id, over[i].job_id, get_database_name(MyDatabaseId))));
		if (rj != NULL)
			TerminateBackgroundWorker(rj->handle);
		else if (over[i].pid != 0)
			(void) kill(over[i].pid, SIGTERM);
	}
	pfree(over);
	return wait_ms;
}

/*
 * break_listed_jobs
 *		Mark broken the jobs the last SPI query listed (job_id, reason), each
 *		logged once as a WARNING with hint.  The rows are copied first:
 *		marking a job runs SPI again.
 */
static void
break_listed_jobs(const char *hint)
{
	uint64		n = SPI_processed;
	int64	   *ids;
	char	  **reasons;

	if (n == 0)
		return;
	ids = palloc(n * sizeof(int64));
	reasons = palloc(n * sizeof(char *));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		reasons[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	for (uint64 i = 0; i < n; i++)
	{
		ereport(WARNING,
				(errmsg("dataeng scheduler: job " INT64_FORMAT " in database \"%s\" is broken and will not run: %s",
						ids[i], get_database_name(MyDatabaseId), reasons[i]),
				 errhint("%s", hint)));
		sched_job_break(ids[i], reasons[i]);
	}
}

/*
 * check_job_owners
 *		A job names its owner by oid (dataeng.jobs.owner) and keeps the
 *		owner's name beside it (owner_name), with the system identifier of
 *		the cluster where that name was last seen on that oid
 *		(owner_system).  A role's oid means nothing in another cluster: a
 *		dump writes a live owner as its name (a restore maps it by name)
 *		but a dropped one as a bare number, which a restore gives to
 *		whichever role has that oid there.  So, in every pass, for every
 *		job not yet broken:
 *
 *		- in the cluster of owner_system, the oid is the role: a rename
 *		  (ALTER ROLE ... RENAME) is followed, owner_name takes the new
 *		  name;
 *		- in another cluster (a restore, pg_upgrade), the oid is trusted
 *		  only when it names a role of owner_name: then owner_system takes
 *		  this cluster's identifier;
 *		- a job whose oid names no role (its owner was dropped), or names
 *		  a role of another name in another cluster, or that records no
 *		  name (restored from a dump of 0.1.0, written by hand), is marked
 *		  broken with the reason and logged once as a WARNING: it never
 *		  runs as a role that did not schedule it.
 *
 *		The rule is dataeng_internal._owner_trusted() (api.c), which the
 *		other rows that name a role follow too.
 */
static void
check_job_owners(void)
{
	Datum		sysid = Int64GetDatum((int64) GetSystemIdentifier());

	/* renames followed, and restored owners of the same name adopted */
	if (sched_spi_with_args("SELECT 1 FROM dataeng.jobs j JOIN pg_catalog.pg_roles r "
							  "    ON r.oid OPERATOR(pg_catalog.=) j.owner::oid "
							  " WHERE j.broken IS NULL "
							  "   AND (j.owner_system IS DISTINCT FROM $1 OR j.owner_name IS DISTINCT FROM r.rolname) "
							  "   AND dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system) "
							  " LIMIT 1",
							  1, (Oid[]) {INT8OID}, (Datum[]) {sysid},
							  NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed reading the owners of the jobs");
	if (SPI_processed > 0 &&
		sched_spi_with_args("UPDATE dataeng.jobs j SET owner_name = r.rolname, owner_system = $1 "
							  "  FROM pg_catalog.pg_roles r "
							  " WHERE r.oid OPERATOR(pg_catalog.=) j.owner::oid AND j.broken IS NULL "
							  "   AND (j.owner_system IS DISTINCT FROM $1 OR j.owner_name IS DISTINCT FROM r.rolname) "
							  "   AND dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system)",
							  1, (Oid[]) {INT8OID}, (Datum[]) {sysid},
							  NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "dataeng scheduler: SPI failed recording the owners of the jobs");

	/* the jobs whose owner is not the role that scheduled them */
	if (sched_spi_with_args("SELECT j.job_id, "
							  "       CASE WHEN r.oid IS NULL "
							  "            THEN pg_catalog.format('its owner role (oid %s) was dropped', j.owner::oid) "
							  "            WHEN j.owner_name IS NULL "
							  "            THEN pg_catalog.format('the name of its owner role (oid %s, role %s here) is not recorded "
							  "(restored from a dump of 0.1.0, or written by hand?): a superuser may set owner_name', "
							  "                                   j.owner::oid, pg_catalog.quote_ident(r.rolname)) "
							  "            ELSE pg_catalog.format('its owner role oid %s is role %s here, not %s, who scheduled it "
							  "(restored from another cluster?)', "
							  "                                   j.owner::oid, pg_catalog.quote_ident(r.rolname), "
							  "                                   coalesce(pg_catalog.quote_ident(j.owner_name), 'a role of unknown name')) "
							  "       END "
							  "  FROM dataeng.jobs j LEFT JOIN pg_catalog.pg_roles r "
							  "    ON r.oid OPERATOR(pg_catalog.=) j.owner::oid "
							  " WHERE j.broken IS NULL "
							  "   AND NOT dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system) "
							  "   FOR NO KEY UPDATE OF j SKIP LOCKED",
							  0, NULL, NULL,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed reading the jobs without their owner");
	break_listed_jobs("A superuser can drop it with dataeng.unschedule(), or a role schedule it again under its name.");
}

/*
 * check_job_timeouts
 *		A run is timed by a timer of at most 2^31 - 1 ms (24.8 days), and
 *		dataeng.schedule() refuses a timeout over 24 days; a job that has
 *		one all the same (written by hand by a superuser, or restored from
 *		a dump of 0.1.0, which stored any) would be cut silently to 24.8
 *		days: it is marked broken with the reason and logged once as a
 *		WARNING, and runs no more until scheduled again.  (ALTER EXTENSION
 *		UPDATE from 0.1.0 sets such timeouts to 24 days, with a warning.)
 */
static void
check_job_timeouts(void)
{
	if (sched_spi_with_args("SELECT j.job_id, pg_catalog.format('its timeout (%s) is longer than 24 days, the longest a run can be timed "
					"(written by hand, or restored from a dump of 0.1.0?)', j.timeout) "
					"  FROM dataeng.jobs j "
					" WHERE j.broken IS NULL AND j.timeout OPERATOR(pg_catalog.>) '24 days'::pg_catalog.interval "
					"   FOR NO KEY UPDATE OF j SKIP LOCKED", 0, NULL, NULL, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed reading the jobs' timeouts");
	break_listed_jobs("Schedule it again with dataeng.schedule() and a timeout of 24 days or less, or none.");
}

/*
 * restore_sessions
 *		The pids of the sessions of a restore connected to this database
 *		(comma-separated, palloc'd in the current context), or NULL.
 *
 * pg_restore loads dataeng's tables (the jobs among them) in its data
 * section and makes the indexes, constraints and triggers of every table
 * (the capture triggers among them) in its post-data section: a job run
 * started meanwhile works on a half-restored database, and what it writes
 * to a captured table before its capture trigger is made is never
 * captured (a fact or dimension of that table never sees it).  So due
 * jobs wait while a restore is connected, as the WAL capture worker does
 * (wal_worker.c): a session named pg_restore (what pg_restore sets for
 * each of its -j jobs) of a role that could restore dataeng's state, one
 * that may write dataeng.jobs; any other role may call itself pg_restore,
 * and holds nothing back.  Nor does the name count when the database
 * gives it to every session (ALTER DATABASE ... SET application_name,
 * which its owner may run): a superuser's session whose client sends no
 * name would be taken for a restore, and hold every due job back.  A wait
 * that goes on is reported every RESTORE_WARN_MS with the sessions' pids.
 */
#define RESTORE_WARN_MS (10 * 60 * 1000)

static char *
restore_sessions(void)
{
	bool		isnull;
	Datum		d;

	if (sched_spi_with_args(DATAENG_RESTORE_SESSIONS_SQL("'dataeng.jobs'"),
							  1, (Oid[]) {OIDOID},
							  (Datum[]) {ObjectIdGetDatum(MyDatabaseId)},
							  NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed looking for a restore");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? NULL : TextDatumGetCString(d);
}

/*
 * runs_stalled
 *		No background worker slot for a job run while nrun runs of dataeng
 *		are in progress.  With none in progress, no slot is freed by a run
 *		that ends: the slots are taken by other workers and by the
 *		schedulers themselves (each holds one while it passes), and with
 *		max_worker_processes too low for a scheduler and one run beside the
 *		static workers, a scheduler took the last slot at every pass and no
 *		job ever ran, the log saying only that due jobs "wait their turn".
 *		When that has lasted STALL_WARN_MS, a WARNING says so, once until
 *		a run starts again (stall_clear()).
 */
#define STALL_WARN_MS 10000

static void
runs_stalled(int nrun)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz since;
	bool		warn = false;

	SpinLockAcquire(&sched_shmem->mutex);
	/*
	 * (a refusal STALL_WARN_MS after the last one starts the clock again:
	 * no run was refused meanwhile, none being due, and the clock of an
	 * earlier shortage warned at once, naming time nothing waited)
	 */
	if (nrun > 0 || sched_shmem->stalled_since == 0 ||
		TimestampDifferenceExceeds(sched_shmem->stalled_last, now, STALL_WARN_MS))
		sched_shmem->stalled_since = now;
	else if (!sched_shmem->stalled_warned &&
			 TimestampDifferenceExceeds(sched_shmem->stalled_since, now, STALL_WARN_MS))
		warn = sched_shmem->stalled_warned = true;
	sched_shmem->stalled_last = now;
	since = sched_shmem->stalled_since;
	SpinLockRelease(&sched_shmem->mutex);
	if (warn)
		ereport(WARNING,
				(errmsg("dataeng scheduler: no job run has been able to start for %ld s: no background worker slot is free, and no dataeng job run is in progress to free one",
						(long) ((now - since) / USECS_PER_SEC)),
				 errdetail("max_worker_processes is %d; the static workers, the schedulers of the databases with due jobs (one slot each while they pass) and other background workers take them all.",
						   max_worker_processes),
				 errhint("Raise max_worker_processes: a job run needs a slot of its own beside its database's scheduler.")));
}

/* a job run started: a stall is over */
static void
stall_clear(void)
{
	bool		was_warned;

	SpinLockAcquire(&sched_shmem->mutex);
	was_warned = sched_shmem->stalled_warned;
	sched_shmem->stalled_since = 0;
	sched_shmem->stalled_warned = false;
	SpinLockRelease(&sched_shmem->mutex);
	if (was_warned)
		ereport(LOG,
				(errmsg("dataeng scheduler: job runs start again (a background worker slot was free)")));
}

/*
 * start_due_jobs
 *		Start the due jobs; returns true when a job waits for a worker slot
 *		or for a restore to end (so that the caller retries soon).
 *
 * Slots are shared fairly between roles: each free slot goes to the due
 * job whose owner has the fewest runs going in this database (ties: the
 * job due first), and no role gets more than
 * dataeng.max_parallel_jobs_per_role of them, so one role's many or long
 * jobs cannot starve another role's.  When no background worker slot is
 * free, each due job that would have started next is recorded as waiting
 * (sched_run_waiting) and started, as the same run, by a later pass; a
 * waiting run goes first.
 */
static bool
start_due_jobs(bool *warned_slots)
{
	uint64		i,
				n;
	SPITupleTable *tt;
	bool		waiting = false;
	bool		held = false;
	bool		started = false;
	int			per_role;
	bool	   *done;
	char	   *wait_reason = NULL;
	TimestampTz now;
	TimestampTz test_now;
	bool		test_set;
	struct
	{
		int64		job_id;
		Oid			owner;
		int			attempt;
		bool		canlogin;
		bool		canconnect;	/* has CONNECT on this database */
		int64		timeout_ms;
		int64		waiting_run;	/* the run that waits for a slot, or 0 */
		uint64		name_hash;		/* of its name (sched_job_name_hash) */
	}		   *jobs;

	per_role = per_role_cap();
	hold_owners = 0;

	check_job_owners();
	check_job_timeouts();

	/*
	 * The clock is read here, not at the pass's transaction start: the jobs
	 * are read with fresh snapshots, and a job made due (or the test clock
	 * moved) after the pass began must be judged, and its next run counted,
	 * from the time it is seen.  A test clock set or cleared while they
	 * were read makes them read again: the jobs made due after the change,
	 * by the session that made it, were judged by the clock before it (a
	 * job scheduled once a test set the real clock back got its next run
	 * counted from the test's year 2040).
	 */
again:
	test_now = 0;				/* (left as it is when no test clock is set) */
	test_set = sched_test_clock(&test_now);
	now = test_set ? test_now : GetCurrentTimestamp();

	/*
	 * Due jobs (and those whose run waits for a slot, even if paused
	 * since), locked with SKIP LOCKED (a job whose row some transaction
	 * holds waits for the next pass instead of stopping this one), with
	 * their upstream jobs of the same owner (a superuser's may follow
	 * anyone's) succeeded since the job's last start.  A run asked for by
	 * job_run_now() does not wait for them: it runs once, at once, as it
	 * does for a paused job (it waited, silently, for as long as an
	 * upstream job failed).
	 */
	if (sched_spi_with_args("SELECT j.job_id, j.owner::oid, j.attempt, r.rolcanlogin, "
							  "       pg_catalog.ceil(pg_catalog.date_part('epoch', j.timeout) * 1000)::bigint, "
							  "       CASE WHEN j.last_status OPERATOR(pg_catalog.=) 'waiting' THEN j.last_run_id END, "
							  "       j.job_name, "
							  "       pg_catalog.has_database_privilege(j.owner::oid, $2, 'CONNECT') "
							  "  FROM dataeng.jobs j JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) j.owner::oid "
							  " WHERE (j.run_now OR j.last_status OPERATOR(pg_catalog.=) 'waiting' "
							  "        OR (NOT j.paused AND j.next_run_at OPERATOR(pg_catalog.<=) $1)) "
							  "   AND j.broken IS NULL "
							  "   AND dataeng_internal._owner_trusted(j.owner, j.owner_name, j.owner_system) "
							  "   AND (j.run_now OR NOT EXISTS (SELECT 1 FROM pg_catalog.unnest(j.depends_on) d(name) "
							  "                   LEFT JOIN dataeng.jobs u ON u.job_name OPERATOR(pg_catalog.=) d.name "
							  "                        AND (u.owner::oid OPERATOR(pg_catalog.=) j.owner::oid OR r.rolsuper) "
							  "                   WHERE u.last_success_at IS NULL "
							  "                      OR u.last_success_at OPERATOR(pg_catalog.<=) "
							  "                         coalesce(j.last_started_at, '-infinity'::timestamptz))) "
							  " ORDER BY j.last_status IS NOT DISTINCT FROM 'waiting' DESC, j.run_now DESC, j.next_run_at, j.job_id "
							  "   FOR NO KEY UPDATE OF j SKIP LOCKED",
							  2, (Oid[]) {TIMESTAMPTZOID, OIDOID},
							  (Datum[]) {TimestampTzGetDatum(now), ObjectIdGetDatum(MyDatabaseId)},
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed reading the due jobs");
	{
		TimestampTz test_after = 0;
		bool		set_after = sched_test_clock(&test_after);

		if (set_after != test_set || test_after != test_now)
		{
			SPI_freetuptable(SPI_tuptable);
			goto again;
		}
	}
	tt = SPI_tuptable;
	n = SPI_processed;
	if (n == 0)
	{
		hold_clear();
		return false;
	}

	/*
	 * A restore is connected: no due job starts, and the pass records
	 * nothing for them (not even a waiting run: the restore sets the
	 * sequence of run ids after loading the runs); it looks again in a
	 * second.  The server log says so when the wait begins, and every
	 * RESTORE_WARN_MS while it goes on.  (With no job due, nothing waits:
	 * the scheduler sleeps as usual.)
	 */
	{
		char	   *pids = restore_sessions();

		if (pids != NULL)
		{
			TimestampTz ts = GetCurrentTimestamp();

			if (my_slot->restore_since == 0)
			{
				my_slot->restore_since = my_slot->restore_warned = ts;
				ereport(LOG,
						(errmsg("dataeng scheduler: a restore is connected to database \"%s\"; due jobs start when it ends",
								get_database_name(MyDatabaseId)),
						 errdetail("Sessions of a restore (named pg_restore, or that loaded dataeng.jobs or dataeng.cdc_tables as a restore does) of roles that may write dataeng.jobs are connected (pids %s).",
								   pids),
						 errhint("If no restore runs, end those sessions (pg_terminate_backend()); one named pg_restore may instead use another application_name.")));
			}
			else if (TimestampDifferenceExceeds(my_slot->restore_warned, ts, RESTORE_WARN_MS))
			{
				my_slot->restore_warned = ts;
				ereport(WARNING,
						(errmsg("dataeng scheduler: due jobs in database \"%s\" have waited %ld min for the restore connected to it to end",
								get_database_name(MyDatabaseId),
								(long) ((ts - my_slot->restore_since) / USECS_PER_MINUTE)),
						 errdetail("Sessions of a restore (named pg_restore, or that loaded dataeng.jobs or dataeng.cdc_tables as a restore does) of roles that may write dataeng.jobs are connected (pids %s).",
								   pids),
						 errhint("If no restore runs, end those sessions (pg_terminate_backend()); one named pg_restore may instead use another application_name.")));
			}
			hold_clear();
			return true;
		}
		my_slot->restore_since = 0;
	}

	/* copy the rows out: the statements below reuse SPI_tuptable */
	jobs = palloc(n * sizeof(*jobs));
	done = palloc0(n * sizeof(bool));
	for (i = 0; i < n; i++)
	{
		bool		isnull;
		HeapTuple	tup = tt->vals[i];
		TupleDesc	desc = tt->tupdesc;

		jobs[i].job_id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		jobs[i].owner = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		jobs[i].attempt = DatumGetInt32(SPI_getbinval(tup, desc, 3, &isnull));
		jobs[i].canlogin = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
		jobs[i].timeout_ms = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
		if (isnull)
			jobs[i].timeout_ms = dataeng_job_timeout;
		jobs[i].waiting_run = DatumGetInt64(SPI_getbinval(tup, desc, 6, &isnull));
		if (isnull)
			jobs[i].waiting_run = 0;
		jobs[i].name_hash = sched_job_name_hash(TextDatumGetCString(SPI_getbinval(tup, desc, 7, &isnull)));
		jobs[i].canconnect = DatumGetBool(SPI_getbinval(tup, desc, 8, &isnull));
	}

	for (;;)
	{
		bool		isnull;
		int64		job_id;
		Oid			owner;
		int			attempt;
		bool		canlogin;
		bool		canconnect;
		int64		run_id;
		Datum		next;
		bool		next_null;
		JobRunArgs	ra;
		BackgroundWorkerHandle *handle;
		RunningJob *rj;
		MemoryContext old;
		int64		best = -1;
		int			bestcnt = INT_MAX;

		if (total_running() >= dataeng_max_parallel_jobs)
		{
			capped = true;
			for (i = 0; i < n; i++)
				if (!done[i] && !job_is_running(jobs[i].job_id, jobs[i].name_hash))
					held = true;
			if (held)
				hold_set(InvalidOid);
			elog(DEBUG1, "dataeng scheduler: dataeng.max_parallel_jobs (%d) runs in progress; due jobs wait",
				 dataeng_max_parallel_jobs);
			break;
		}
		/* the next job: its owner has the fewest runs going */
		for (i = 0; i < n; i++)
		{
			int			cnt;

			if (done[i])
				continue;
			if (job_is_running(jobs[i].job_id, jobs[i].name_hash))
			{
				done[i] = true; /* never twice at the same time */
				continue;
			}
			cnt = owner_running(jobs[i].owner);
			if (cnt >= per_role)
			{
				capped = true;
				done[i] = true; /* waits for a run of its role to end */
				held = true;
				hold_set(jobs[i].owner);
				continue;
			}
			/* the slot goes to a database that has waited for it longer */
			if (hold_yield(jobs[i].owner))
			{
				capped = true;
				done[i] = true;
				held = true;
				hold_set(jobs[i].owner);
				continue;
			}
			if (cnt < bestcnt)
			{
				best = i;
				bestcnt = cnt;
			}
		}
		if (best < 0)
			break;
		done[best] = true;
		job_id = jobs[best].job_id;
		owner = jobs[best].owner;
		attempt = jobs[best].attempt + 1;
		canlogin = jobs[best].canlogin;
		canconnect = jobs[best].canconnect;

		if (!job_next_run(job_id, now, &next, &next_null))
			continue;

		/* a run that waited for a slot keeps its id */
		run_id = jobs[best].waiting_run;
		if (run_id == 0)
		{
			spi_exec("SELECT pg_catalog.nextval('dataeng.job_runs_run_id_seq')", 0, NULL, false);
			run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		}

		/*
		 * A worker could not connect as this role: say so in the run.  A
		 * role without CONNECT on the database (REVOKE CONNECT ... FROM
		 * PUBLIC) failed in the worker's connection, and the run said only
		 * "the job worker stopped without recording a result" (the reason
		 * in the server log), and was retried as often as max_retries.
		 */
		if (!canlogin || !canconnect)
		{
			sched_run_refuse(job_id, run_id, attempt, next, next_null, !canlogin);
			continue;
		}

		/* no slot was free for an earlier job of this pass: none is now */
		if (wait_reason != NULL)
		{
			if (jobs[best].waiting_run == 0)
				sched_run_waiting(job_id, run_id, attempt, wait_reason);
			continue;
		}

		/* its entry first: a worker runs nothing without one (job.c) */
		if (!run_add(job_id, jobs[best].name_hash, run_id, owner,
					 jobs[best].timeout_ms > 0 ?
					 TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												 Min(jobs[best].timeout_ms, (int64) INT_MAX) + JOB_TIMEOUT_GRACE_MS) : 0))
		{
			capped = true;		/* every entry taken: the total cap */
			break;
		}

		memset(&ra, 0, sizeof(ra));
		ra.dboid = MyDatabaseId;
		ra.owner = owner;
		ra.job_id = job_id;
		ra.run_id = run_id;
		ra.sched_xid = GetTopTransactionId();
		ra.attempt = attempt;
		handle = start_job_worker(&ra);
		if (handle == NULL)
		{
			int			nrun;

			run_forget(run_id, false);
			nrun = total_running();
			runs_stalled(nrun);

			if (!*warned_slots)
				ereport(LOG,
						(errmsg("dataeng scheduler: no background worker slot is free; due jobs wait their turn "
								"(job " INT64_FORMAT " in database \"%s\" first)",
								job_id, get_database_name(MyDatabaseId)),
						 errhint("Raise max_worker_processes, or lower dataeng.max_parallel_jobs.")));
			*warned_slots = true;
			waiting = true;

			/*
			 * The next slot freed goes to this database before those that
			 * waited less (a slot, not a run of a role: the total cap's
			 * hold): the scheduler of a database whose runs go on, woken
			 * the moment one ends, took every freed slot otherwise.
			 */
			held = true;
			hold_set(InvalidOid);
			wait_reason = psprintf("no background worker slot is free (max_worker_processes = %d, "
								   "dataeng.max_parallel_jobs = %d, %d dataeng job run%s in progress)",
								   max_worker_processes, dataeng_max_parallel_jobs,
								   nrun, nrun == 1 ? "" : "s");
			/* said once: a run already waiting keeps its first reason */
			if (jobs[best].waiting_run == 0)
				sched_run_waiting(job_id, run_id, attempt, wait_reason);
			continue;
		}

		sched_run_start(job_id, run_id, attempt, next, next_null);
		started = true;
		stall_clear();

		old = MemoryContextSwitchTo(TopMemoryContext);
		rj = palloc(sizeof(RunningJob));
		rj->job_id = job_id;
		rj->run_id = run_id;
		rj->handle = handle;
		running = lappend(running, rj);
		MemoryContextSwitchTo(old);
	}

	/*
	 * Jobs still held back wait from now if this pass started one (behind
	 * the databases that waited meanwhile), else since they first did.
	 */
	if (!held)
		hold_clear();
	else if (started)
	{
		SpinLockAcquire(&sched_shmem->mutex);
		my_slot->held_since = my_slot->held_at = GetCurrentTimestamp();
		SpinLockRelease(&sched_shmem->mutex);
	}
	return waiting;
}

/*
 * database_open
 *		Whether this database allows connections and is no template, as the
 *		launcher requires to start a scheduler there.  One closed by ALTER
 *		DATABASE ... ALLOW_CONNECTIONS false (or made a template) while its
 *		scheduler runs keeps it while runs started before go on, but starts
 *		no run: a job worker could not connect, and each run failed ("the
 *		job worker stopped without recording a result") and was retried,
 *		every time a job was due.  (Read at each pass: ALTER DATABASE's
 *		invalidation of the shared catalog reaches every backend.)
 */
static bool
database_open(void)
{
	HeapTuple	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId));
	bool		open = true;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		open = db->datallowconn && !db->datistemplate;
		ReleaseSysCache(tup);
	}
	return open;
}

/*
 * next_wait_ms
 *		Milliseconds until the next job not yet due becomes due (at most a
 *		minute; -1 when no job is); with except_owner valid, the next job
 *		of another role.  Due jobs that wait (for a dependency, a running
 *		run of theirs, or the concurrency cap) are woken by a worker's exit.
 *		Under the test clock (clock.c) time stands still: only a change (of
 *		the jobs, or of the clock) makes a job due.
 */
#define NEXT_WAIT_SQL \
	"SELECT pg_catalog.ceil(pg_catalog.date_part('epoch', " \
	"         LEAST(min(next_run_at), clock_timestamp() + interval '1 minute') " \
	"         OPERATOR(pg_catalog.-) clock_timestamp()) * 1000)::bigint " \
	"  FROM dataeng.jobs WHERE NOT paused AND broken IS NULL AND next_run_at OPERATOR(pg_catalog.>) now()"

static long
next_wait_ms(Oid except_owner)
{
	bool		isnull;
	Datum		d;
	TimestampTz test_now;
	Oid			types[1] = {OIDOID};
	Datum		values[1];

	if (sched_test_clock(&test_now))
		return -1L;

	values[0] = ObjectIdGetDatum(except_owner);
	if (sched_spi_with_args(OidIsValid(except_owner) ?
							NEXT_WAIT_SQL " AND owner::oid OPERATOR(pg_catalog.<>) $1" :
							NEXT_WAIT_SQL,
							OidIsValid(except_owner) ? 1 : 0, types, values,
							NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "dataeng scheduler: SPI failed reading when the next job is due");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		return -1L;				/* no job will be due: only a change wakes us */
	return Max(Min(DatumGetInt64(d), 60000L), 10L);
}

/*
 * leave_database
 *		A command waits for dataeng to leave this database (dbhook.c):
 *		cancel the runs in progress (each records itself as cancelled),
 *		a predecessor's too (a run its worker did not claim yet is given
 *		up), terminate those that do not stop within LEAVE_CANCEL_MS, wait
 *		for their workers, and exit.
 */
#define LEAVE_CANCEL_MS 3000

static void
leave_database(void)
{
	ListCell   *lc;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), LEAVE_CANCEL_MS);
	bool		terminated = false;
	int			left;

	foreach(lc, running)
	{
		pid_t		pid;

		if (GetBackgroundWorkerPid(((RunningJob *) lfirst(lc))->handle, &pid) == BGWH_STARTED)
			(void) kill(pid, SIGINT);
		else
			TerminateBackgroundWorker(((RunningJob *) lfirst(lc))->handle);
	}
	runs_stop(MyDatabaseId, SIGINT, true);
	for (;;)
	{
		bool		alive = false;

		foreach(lc, running)
		{
			pid_t		pid;

			if (GetBackgroundWorkerPid(((RunningJob *) lfirst(lc))->handle, &pid) != BGWH_STOPPED)
				alive = true;
		}
		SpinLockAcquire(&sched_shmem->mutex);
		if (sched_runs_live(MyDatabaseId) > list_length(running))
			alive = true;		/* (a predecessor's worker too) */
		SpinLockRelease(&sched_shmem->mutex);
		if (!alive)
			break;
		if (!terminated && GetCurrentTimestamp() >= deadline)
		{
			foreach(lc, running)
				TerminateBackgroundWorker(((RunningJob *) lfirst(lc))->handle);
			runs_stop(MyDatabaseId, SIGTERM, true);
			terminated = true;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
	SpinLockAcquire(&sched_shmem->mutex);
	left = runs_here();
	SpinLockRelease(&sched_shmem->mutex);
	if (left > 0)
	{
		/* what the cancelled runs could not record themselves */
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		reap_workers();
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	proc_exit(0);
}

/*
 * dataeng_scheduler_main
 *		Entry of a database's scheduler (started by the launcher).
 */
void
dataeng_scheduler_main(Datum main_arg)
{
	Oid			dboid = DatumGetObjectId(main_arg);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	/*
	 * Claim the database's slot before connecting: a database a command
	 * waits to drop, rename or copy (dbhook.c) is left alone, so no
	 * scheduler ever fails to connect to a database that is gone.
	 */
	SpinLockAcquire(&sched_shmem->mutex);
	my_slot = sched_slot_find(dboid);
	if (my_slot != NULL)
		my_slot->starting = false;
	if (my_slot != NULL && (my_slot->pid != 0 || my_slot->hold > 0))
		my_slot = NULL;			/* another scheduler has it, or it is held */
	if (my_slot != NULL)
	{
		my_slot->pid = MyProcPid;
		my_slot->latch = MyLatch;
		my_slot->conf_read = PgReloadTime;
	}
	SpinLockRelease(&sched_shmem->mutex);
	if (my_slot == NULL)
		proc_exit(0);
	before_shmem_exit(scheduler_exit, (Datum) 0);

	/*
	 * (a database closed to connections since the launcher read it: the
	 * scheduler connects all the same, starts no run there, records the
	 * runs that go on, and leaves)
	 */
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, BGWORKER_BYPASS_ALLOWCONN);
	pgstat_report_appname("dataeng scheduler");

	/*
	 * The scheduler runs as the bootstrap superuser: nothing a database
	 * setting or a role's CREATE on a schema can change decides which
	 * functions and operators its SQL resolves.
	 */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	worker_settings_pin();

	for (;;)
	{
		long		wait_ms;
		long		next_ms;
		long		deadline_ms;
		long		jobs_ms;
		bool		waiting;
		bool		first;
		bool		open;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			SpinLockAcquire(&sched_shmem->mutex);
			my_slot->conf_read = PgReloadTime;
			SpinLockRelease(&sched_shmem->mutex);
		}
		if (sched_db_held(dboid))
			leave_database();

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (!sched_lock_extension())
		{
			int			i;

			/*
			 * No extension (or dropped): tell the launcher and leave.  The
			 * runs of the database go unrecorded (nowhere to record them)
			 * and uncounted, as no scheduler will look at them again.
			 */
			CommitTransactionCommand();
			SpinLockAcquire(&sched_shmem->mutex);
			for (i = 0; i < DATAENG_MAX_PARALLEL_RUNS; i++)
				if (sched_shmem->runs[i].dboid == MyDatabaseId)
					memset(&sched_shmem->runs[i], 0, sizeof(SchedRun));
			my_slot->no_extension = true;
			my_slot->has_extension = false;
			my_slot->recheck_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
															  dataeng_launcher_naptime * 1000L);
			my_slot->next_due = my_slot->recheck_at;
			my_slot->held_since = 0;	/* (held while it waited for a slot) */
			SpinLockRelease(&sched_shmem->mutex);
			proc_exit(0);
		}
		SPI_connect();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "dataeng scheduler: starting due jobs");

		SpinLockAcquire(&sched_shmem->mutex);
		my_slot->has_extension = true;
		my_slot->woken = false;
		first = !my_slot->recovered;
		SpinLockRelease(&sched_shmem->mutex);
		if (first)
		{
			bool		end_runs;
			bool		done;

			/*
			 * Runs cut short by a crash or restart: nothing of theirs
			 * committed.  A job whose row some transaction holds is recorded
			 * at a later pass (looked at again within a second), even by a
			 * next scheduler: the flags are the database slot's.
			 */
			SpinLockAcquire(&sched_shmem->mutex);
			end_runs = !my_slot->restart_runs_ended;
			SpinLockRelease(&sched_shmem->mutex);
			done = sched_runs_crashed_at_restart(end_runs);
			SpinLockAcquire(&sched_shmem->mutex);
			my_slot->restart_runs_ended = true;
			my_slot->recovered = done;
			SpinLockRelease(&sched_shmem->mutex);
		}

		reap_workers();
		end_orphaned_runs();
		sched_runs_withdraw();
		deadline_ms = terminate_overdue();
		capped = false;
		/* said once per shortage, not per pass nor per scheduler */
		/* closed to connections: due jobs wait until it opens again */
		open = database_open();
		sched_note_closed(MyDatabaseId, get_database_name(MyDatabaseId), !open);
		waiting = dataeng_enabled && open ?
			start_due_jobs(&my_slot->warned_slots) : false;
		if (!waiting)
			my_slot->warned_slots = false;
		/* tables to capture from the WAL and no worker: the launcher starts one */
		if (dataeng_enabled && cdc_wal_worker_missing())
			sched_wal_wanted(dboid);

		if (GetCurrentTimestamp() - my_slot->last_trim > 60 * USECS_PER_SEC)
		{
			sched_runs_trim(dataeng_job_history_keep);
			my_slot->last_trim = GetCurrentTimestamp();
		}
		next_ms = waiting ? 1000L : next_wait_ms(InvalidOid);
		/*
		 * Due jobs held back by one cap alone: when a job that cap would
		 * not hold back is due (the launcher starts the next scheduler
		 * then, or when the cap has a place: cap_wait below).  Under the
		 * total cap, none; under a role's, one of another role.
		 */
		if (capped && hold_owners == 1)
			jobs_ms = OidIsValid(hold_owner) && !waiting ? next_wait_ms(hold_owner) : -1L;
		else
			jobs_ms = next_ms;
		/*
		 * due jobs held back by the caps, or by the database closed: look
		 * again in a second (ALTER DATABASE wakes it sooner)
		 */
		if ((capped || !open) && (next_ms < 0 || next_ms > 1000L))
			next_ms = 1000L;
		/* a run's end waits for a transaction holding its job's row: the same */
		if ((reap_pending || !my_slot->recovered) && (next_ms < 0 || next_ms > 1000L))
			next_ms = 1000L;
		wait_ms = next_ms < 0 ? 60000L : next_ms;
		/* the runs started in this pass have deadlines too */
		wait_ms = Min(wait_ms, Min(deadline_ms, terminate_overdue()));

		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_stat(true);
		pgstat_report_activity(STATE_IDLE, NULL);

		/*
		 * Nothing in progress (nor a predecessor's run): leave the next
		 * pass to the launcher.  A scheduler that waits for a worker slot
		 * leaves too (the launcher tries again in a second): schedulers of
		 * many databases holding every slot while each waits for one would
		 * wait forever.
		 */
		if (running == NIL)
		{
			bool		leave;
			bool		idle;

			/*
			 * A job due again within SCHED_LINGER_MS (schedule => '1
			 * second'): this scheduler waits for it instead of leaving, so
			 * each pass is not a new backend's (connection, catalog caches,
			 * every statement planned again).  Never while due jobs wait
			 * for a slot, nor while another database's scheduler runs: the
			 * worker slots are sized for the schedulers of runs in
			 * progress ("Sizing" in docs/schedule.md), and many databases
			 * each keeping one would take the slots their runs need.
			 */
			bool		linger = dataeng_enabled && !waiting && !capped && open &&
				next_ms >= 0 && next_ms <= SCHED_LINGER_MS;
			int			d;

			SpinLockAcquire(&sched_shmem->mutex);
			for (d = 0; d < DATAENG_MAX_DATABASES && linger; d++)
				if (&sched_shmem->dbs[d] != my_slot &&
					(sched_shmem->dbs[d].pid != 0 || sched_shmem->dbs[d].starting))
					linger = false;
			idle = runs_here() == 0;
			leave = idle && !my_slot->woken && !linger;
			if (leave)
			{
				TimestampTz now = GetCurrentTimestamp();

				my_slot->next_due = next_ms < 0 ? DT_NOEND :
					TimestampTzPlusMilliseconds(now, waiting ? 1000L : next_ms);

				/*
				 * Due jobs held back by one cap, and nothing else to look
				 * at again in a second: the launcher starts the next
				 * scheduler when that cap has a place for them (the run
				 * that frees it wakes this database, if it waited
				 * longest), or when another job is due.
				 */
				my_slot->cap_wait = capped && hold_owners == 1 && !waiting && open &&
					!reap_pending && my_slot->recovered && my_slot->held_since != 0;
				my_slot->jobs_due_at = jobs_ms < 0 ? DT_NOEND :
					TimestampTzPlusMilliseconds(now, jobs_ms);
				my_slot->pid = 0;
				my_slot->latch = NULL;
			}
			SpinLockRelease(&sched_shmem->mutex);
			if (leave)
			{
				my_slot = NULL;	/* scheduler_exit has nothing left to do */
				proc_exit(0);
			}
			if (idle && !linger)
				continue;
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
