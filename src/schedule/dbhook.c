/*-------------------------------------------------------------------------
 *
 * dbhook.c
 *		dataeng's workers leave a database before a command that needs it
 *		empty: DROP DATABASE, ALTER DATABASE ... RENAME TO / SET
 *		TABLESPACE, and CREATE DATABASE ... TEMPLATE of it.
 *
 * A utility hook (as TimescaleDB's loader does for DROP DATABASE) sees
 * these commands before PostgreSQL checks that nobody else is connected.
 * It raises the database's hold count in shared memory, wakes the
 * database's scheduler and ticker (src/cdc/ticker.c), and waits (at most
 * DBHOOK_WAIT_MS) until neither a scheduler, a job run nor a ticker of
 * dataeng is in the database:
 *
 *	- the launcher starts no scheduler in a held database;
 *	- a scheduler (or a job worker) that was registered before the hold
 *	  checks it before it connects, and leaves without connecting, so no
 *	  worker ever logs FATAL about a database that is gone;
 *	- a running scheduler that sees the hold terminates its job runs,
 *	  waits for them, records them as failed (cancelled), and leaves;
 *	- job runs whose scheduler ended, no scheduler running, are cancelled
 *	  from the hook itself (terminated after DBHOOK_TERMINATE_MS), and a
 *	  run whose worker did not begin it yet is given up (scheduler.c).
 *
 * CREATE DATABASE without TEMPLATE copies template1, so it holds template1
 * (where dataeng may be installed, to be in every new database).  When
 * every slot of the scheduler's table is taken, a database that has none
 * cannot be held: its ticker is still told to leave (cdc_ticker_busy())
 * and waited for.
 *
 * Only a command that PostgreSQL's own privilege checks will let through
 * takes a hold: the database's owner (or a superuser) for DROP, RENAME TO
 * and SET TABLESPACE (RENAME TO also needs CREATEDB), a CREATEDB role for
 * CREATE DATABASE ... TEMPLATE of a template or of a database it owns.  Any
 * other role's command fails in PostgreSQL right after the hook, and must
 * not first cancel every job run of the database (nor, from a savepoint
 * rolled back, keep its scheduler away for as long as its transaction
 * lasts).
 *
 * ALTER DATABASE ... ALLOW_CONNECTIONS / IS_TEMPLATE takes no hold: a
 * database closed so keeps its slot and starts no job (launcher.c), and
 * the hook wakes the launcher and schedulers at its commit.
 *
 * The hold is dropped when the command's transaction ends (or the
 * subtransaction it ran in is rolled back; or the command is cancelled
 * while it waits), and the launcher is woken: after a RENAME or a failed DROP the database gets its
 * scheduler back at once.  A dropped database keeps its hold until the
 * launcher, scanning pg_database after the commit, forgets its slot: a
 * launcher pass that read pg_database before the commit cannot start a
 * scheduler there.  A run in progress is cancelled and records itself as
 * failed ("cancelled: the database is being dropped, ...").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "aggregate/aggregate.h"
#include "cdc/cdc.h"
#include "cdc/wal.h"
#include "common/common.h"
#include "schedule/schedule.h"
#include "validate/validate.h"

/* how long a command waits for dataeng's workers to leave its database */
#define DBHOOK_WAIT_MS 10000
/* job runs whose scheduler ended are cancelled, then terminated after this */
#define DBHOOK_TERMINATE_MS 3000

static ProcessUtility_hook_type prev_utility_hook = NULL;

/* the holds this backend's transaction has taken, released when it ends */
#define MAX_HOLDS 4
static struct
{
	SchedDbSlot *slot;
	Oid			dboid;
	bool		drop;
	int			nestlevel;		/* the (sub)transaction that took it */
}			holds[MAX_HOLDS];
static int	nholds = 0;
static bool xact_callback_registered = false;

/* the name of the database a statement needs empty, or NULL */
static const char *
database_to_empty(Node *stmt)
{
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
			return ((DropdbStmt *) stmt)->dbname;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_DATABASE)
				return ((RenameStmt *) stmt)->subname;
			return NULL;
		case T_AlterDatabaseStmt:
			foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
				if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
					return ((AlterDatabaseStmt *) stmt)->dbname;
			return NULL;
		case T_CreatedbStmt:
			foreach(lc, ((CreatedbStmt *) stmt)->options)
			{
				DefElem    *d = (DefElem *) lfirst(lc);

				if (strcmp(d->defname, "template") == 0 && d->arg != NULL)
					return defGetString(d);
			}
			/* no TEMPLATE (or TEMPLATE DEFAULT): createdb() copies template1 */
			return "template1";
		default:
			return NULL;
	}
}

/*
 * may_empty
 *		Whether PostgreSQL's privilege checks let the current user run stmt
 *		on database dboid (dropdb, RenameDatabase, movedb, createdb): only
 *		then may the command make dataeng's workers leave the database.
 */
static bool
may_empty(Node *stmt, Oid dboid)
{
	HeapTuple	tup;
	bool		istemplate;

	switch (nodeTag(stmt))
	{
		case T_DropdbStmt:
		case T_AlterDatabaseStmt:
			return pg_database_ownercheck(dboid, GetUserId());
		case T_RenameStmt:
			return pg_database_ownercheck(dboid, GetUserId()) && have_createdb_privilege();
		case T_CreatedbStmt:
			if (!have_createdb_privilege())
				return false;
			tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(dboid));
			if (!HeapTupleIsValid(tup))
				return false;
			istemplate = ((Form_pg_database) GETSTRUCT(tup))->datistemplate;
			ReleaseSysCache(tup);
			return istemplate || pg_database_ownercheck(dboid, GetUserId());
		default:
			return false;
	}
}

/*
 * sched_db_held
 *		Whether a command waits for dataeng to leave database dboid: a
 *		worker about to connect there must not.
 */
bool
sched_db_held(Oid dboid)
{
	SchedDbSlot *slot;
	bool		held = false;

	if (sched_shmem == NULL)
		return false;
	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(dboid);
	if (slot != NULL)
		held = slot->hold > 0;
	SpinLockRelease(&sched_shmem->mutex);
	return held;
}

/*
 * hold_database
 *		Raise the hold of a database, note it in holds[] at once (so that
 *		the end of the transaction releases it even when the wait below
 *		is cancelled), and wait until dataeng's workers are gone.
 */
static void
hold_database(Oid dboid, bool drop)
{
	SchedDbSlot *slot;
	Latch	   *latch;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DBHOOK_WAIT_MS);
	TimestampTz terminate_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DBHOOK_TERMINATE_MS);
	int			signalled = 0;

	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(dboid);
	if (slot == NULL)
	{
		/* not seen by the launcher yet: a slot keeps it from starting one */
		slot = sched_slot_find(InvalidOid);
		if (slot != NULL)
		{
			memset(slot, 0, sizeof(*slot));
			slot->dboid = dboid;
		}
	}
	if (slot != NULL)
	{
		slot->hold++;
		holds[nholds].slot = slot;
		holds[nholds].dboid = dboid;
		holds[nholds].drop = drop;
		holds[nholds].nestlevel = GetCurrentTransactionNestLevel();
		nholds++;
	}
	latch = slot ? slot->latch : NULL;
	SpinLockRelease(&sched_shmem->mutex);
	if (latch)
		SetLatch(latch);

	/*
	 * (every slot taken: no scheduler there either, but the database may
	 * have a ticker, which cdc_ticker_busy() tells to leave)
	 */
	for (;;)
	{
		bool		busy = false;
		bool		orphans = false;

		latch = NULL;
		if (slot != NULL)
		{
			SpinLockAcquire(&sched_shmem->mutex);
			busy = slot->dboid == dboid &&
				(slot->pid != 0 || slot->starting || sched_runs_live(dboid) > 0);
			/* runs whose scheduler ended, none come: stopped from here */
			orphans = busy && slot->pid == 0 && !slot->starting;
			latch = slot->latch;
			SpinLockRelease(&sched_shmem->mutex);
		}
		if (orphans && signalled == 0)
		{
			sched_runs_stop(dboid, SIGINT);
			signalled = 1;
		}
		else if (orphans && signalled == 1 && GetCurrentTimestamp() >= terminate_at)
		{
			sched_runs_stop(dboid, SIGTERM);
			signalled = 2;
		}
		/* and the database's ticker (src/cdc/ticker.c), woken to leave */
		if (cdc_ticker_busy(dboid))
			busy = true;
		if (!busy)
			break;
		if (GetCurrentTimestamp() >= deadline)
		{
			ereport(WARNING,
					(errmsg("dataeng: the scheduler or ticker of database %u did not leave within %d ms",
							dboid, DBHOOK_WAIT_MS)));
			break;
		}
		if (latch)
			SetLatch(latch);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 10L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	return;
}

/*
 * release_holds
 *		Release the holds taken at nestlevel or deeper (a dropped
 *		database's stays when committed), and wake the launcher.
 */
static void
release_holds(int nestlevel, bool commit)
{
	Latch	   *launcher;
	int			i;
	int			kept = 0;

	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < nholds; i++)
	{
		SchedDbSlot *slot = holds[i].slot;

		if (holds[i].nestlevel < nestlevel)
		{
			holds[kept++] = holds[i];
			continue;
		}
		if (holds[i].drop && commit)
			continue;			/* gone: the launcher forgets the slot */
		if (slot->dboid == holds[i].dboid && slot->hold > 0)
			slot->hold--;
	}
	launcher = sched_shmem->launcher_latch;
	SpinLockRelease(&sched_shmem->mutex);
	nholds = kept;
	if (launcher)
		SetLatch(launcher);
}

/* at the end of the transaction: release the holds */
static void
release_at_xact_end(XactEvent event, void *arg)
{
	if (nholds == 0 || (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
						event != XACT_EVENT_PARALLEL_COMMIT &&
						event != XACT_EVENT_PARALLEL_ABORT))
		return;
	release_holds(0, event == XACT_EVENT_COMMIT);
}

/*
 * at the end of a subtransaction: a rolled-back one releases its holds, a
 * committed one hands them to its parent
 */
static void
release_at_subxact_end(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	int			i;

	if (nholds == 0)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		release_holds(level, false);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		for (i = 0; i < nholds; i++)
			if (holds[i].nestlevel >= level)
				holds[i].nestlevel = level - 1;
}

static void
dbhook_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			   ProcessUtilityContext context, ParamListInfo params,
			   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	const char *dbname = sched_shmem ? database_to_empty(pstmt->utilityStmt) : NULL;
	Oid			dboid = dbname ? get_database_oid(dbname, true) : InvalidOid;

	if (OidIsValid(dboid) && nholds < MAX_HOLDS && may_empty(pstmt->utilityStmt, dboid))
	{
		if (!xact_callback_registered)
		{
			RegisterXactCallback(release_at_xact_end, NULL);
			RegisterSubXactCallback(release_at_subxact_end, NULL);
			xact_callback_registered = true;
		}
		hold_database(dboid, IsA(pstmt->utilityStmt, DropdbStmt));
		/* and the database's WAL capture worker (src/cdc/wal_dbhook.c) */
		cdc_wal_hold_database(dboid, pstmt->utilityStmt);
	}

	/*
	 * A database closed to connections or opened again: the launcher and
	 * the schedulers look at once, at the commit (launcher.c,
	 * sched_note_closed()), not at the launcher's naptime; a database
	 * opened again got no scheduler for that long.
	 */
	if (sched_shmem != NULL && IsA(pstmt->utilityStmt, AlterDatabaseStmt))
	{
		ListCell   *lc;

		foreach(lc, ((AlterDatabaseStmt *) pstmt->utilityStmt)->options)
		{
			const char *opt = ((DefElem *) lfirst(lc))->defname;

			if (strcmp(opt, "allow_connections") == 0 || strcmp(opt, "is_template") == 0)
				sched_wake_all_at_commit();
		}
	}

	/* a TRUNCATE that WAL capture would lose (src/cdc/ddl.c) */
	cdc_wal_check_truncate(pstmt->utilityStmt);
	/* an ALTER TABLE that changes columns waiting in the WAL (same file) */
	cdc_wal_before_alter(pstmt->utilityStmt);
	/* a DROP of tables whose changes wait in the WAL (same file) */
	cdc_wal_before_drop(pstmt->utilityStmt);
	/* who may still read the changes of the captured tables it drops (same file) */
	cdc_before_drop_readers(pstmt->utilityStmt);
	/* a capture trigger dropped or replaced (src/cdc/ddl_gate.c) */
	cdc_before_trigger_change(pstmt->utilityStmt);

	/* the scratch tables of roles dropped (src/aggregate/temp_roles.c) */
	agg_temp_forget_roles(pstmt->utilityStmt);

	if (prev_utility_hook)
		prev_utility_hook(pstmt, queryString, readOnlyTree, context, params,
						  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);

	/* a trigger created or renamed to fire after the ingestion guard (src/validate/guard.c) */
	guard_after_utility(pstmt->utilityStmt);
}

/* called from _PG_init at preload */
void
sched_dbhook_init(void)
{
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = dbhook_utility;
}
