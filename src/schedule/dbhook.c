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
 * database's scheduler, and waits (at most DBHOOK_WAIT_MS) until neither
 * a scheduler nor a job run of dataeng is in the database:
 *
 *	- the launcher starts no scheduler in a held database;
 *	- a scheduler (or a job worker) that was registered before the hold
 *	  checks it before it connects, and leaves without connecting, so no
 *	  worker ever logs FATAL about a database that is gone;
 *	- a running scheduler that sees the hold terminates its job runs,
 *	  waits for them, records them as failed (cancelled), and leaves.
 *
 * The hold is dropped when the command's transaction ends, and the
 * launcher is woken: after a RENAME or a failed DROP the database gets its
 * scheduler back at once.  A dropped database keeps its hold until the
 * launcher, scanning pg_database after the commit, forgets its slot: a
 * launcher pass that read pg_database before the commit cannot start a
 * scheduler there.  A run in progress is cancelled and records itself as
 * failed ("cancelled: the database is being dropped, ...").
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "tcop/utility.h"
#include "utils/timestamp.h"

#include "cdc/wal.h"
#include "common/common.h"
#include "schedule/schedule.h"

/* how long a command waits for dataeng's workers to leave its database */
#define DBHOOK_WAIT_MS 10000

static ProcessUtility_hook_type prev_utility_hook = NULL;

/* the holds this backend's transaction has taken, released when it ends */
#define MAX_HOLDS 4
static struct
{
	SchedDbSlot *slot;
	Oid			dboid;
	bool		drop;
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
			return NULL;
		default:
			return NULL;
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

/* raise the hold of a database and wait until dataeng's workers are gone */
static SchedDbSlot *
hold_database(Oid dboid)
{
	SchedDbSlot *slot;
	Latch	   *latch;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), DBHOOK_WAIT_MS);

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
		slot->hold++;
	latch = slot ? slot->latch : NULL;
	SpinLockRelease(&sched_shmem->mutex);
	if (slot == NULL)
		return NULL;			/* every slot taken: no scheduler there either */
	if (latch)
		SetLatch(latch);

	for (;;)
	{
		bool		busy;

		SpinLockAcquire(&sched_shmem->mutex);
		busy = slot->dboid == dboid &&
			(slot->pid != 0 || slot->starting || slot->nrunning > 0);
		latch = slot->latch;
		SpinLockRelease(&sched_shmem->mutex);
		if (!busy)
			break;
		if (GetCurrentTimestamp() >= deadline)
		{
			ereport(WARNING,
					(errmsg("dataeng: the scheduler of database %u did not leave within %d ms",
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
	return slot;
}

/* at the end of the transaction: release the holds (a dropped database's stays) */
static void
release_at_xact_end(XactEvent event, void *arg)
{
	Latch	   *launcher;
	int			i;

	if (nholds == 0 || (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
						event != XACT_EVENT_PARALLEL_COMMIT &&
						event != XACT_EVENT_PARALLEL_ABORT))
		return;
	SpinLockAcquire(&sched_shmem->mutex);
	for (i = 0; i < nholds; i++)
	{
		SchedDbSlot *slot = holds[i].slot;

		if (holds[i].drop && event == XACT_EVENT_COMMIT)
			continue;			/* gone: the launcher forgets the slot */
		if (slot->dboid == holds[i].dboid && slot->hold > 0)
			slot->hold--;
	}
	launcher = sched_shmem->launcher_latch;
	SpinLockRelease(&sched_shmem->mutex);
	nholds = 0;
	if (launcher)
		SetLatch(launcher);
}

static void
dbhook_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			   ProcessUtilityContext context, ParamListInfo params,
			   QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	const char *dbname = sched_shmem ? database_to_empty(pstmt->utilityStmt) : NULL;
	Oid			dboid = dbname ? get_database_oid(dbname, true) : InvalidOid;

	if (OidIsValid(dboid) && nholds < MAX_HOLDS)
	{
		SchedDbSlot *slot;

		if (!xact_callback_registered)
		{
			RegisterXactCallback(release_at_xact_end, NULL);
			xact_callback_registered = true;
		}
		slot = hold_database(dboid);
		if (slot != NULL)
		{
			holds[nholds].slot = slot;
			holds[nholds].dboid = dboid;
			holds[nholds].drop = IsA(pstmt->utilityStmt, DropdbStmt);
			nholds++;
		}
	}
	/* and the database's WAL capture worker (src/cdc/wal_dbhook.c) */
	if (OidIsValid(dboid))
		cdc_wal_hold_database(dboid, pstmt->utilityStmt);

	if (prev_utility_hook)
		prev_utility_hook(pstmt, queryString, readOnlyTree, context, params,
						  queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

/* called from _PG_init at preload */
void
sched_dbhook_init(void)
{
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = dbhook_utility;
}
