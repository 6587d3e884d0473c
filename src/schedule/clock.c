/*-------------------------------------------------------------------------
 *
 * clock.c
 *		The scheduler's clock, and a test clock that replaces it.
 *
 * Scheduling decisions (is a job due, when does it next run, when is a
 * failed run retried) take "now" from sched_now().  Normally that is the
 * real clock.  For tests, a superuser may set a database's test clock
 * with dataeng_internal._scheduler_test_now(timestamptz): from then on the
 * scheduler, the job workers and schedule() / job_resume() of that
 * database see that time, frozen, until the test sets another (or NULL,
 * the real clock again), as TimescaleDB's bgw tests mock time.  A test
 * thus makes a job due by moving the clock instead of waiting for it.
 *
 * The test clock lives in the database's slot of the scheduler's shared
 * memory (launcher.c), so every process of the database sees it at once
 * and it is gone at a server restart or when the database is dropped.
 * Setting it wakes the database's scheduler (or the launcher) at once.
 * What stays on the real clock: the timestamps of the history (started_at,
 * finished_at, last_success_at, ...), the trimming of the history, and the
 * timeouts of runs (their commands run in real time).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "schedule/schedule.h"

/*
 * sched_test_clock
 *		The test clock of this database; false when none is set (or
 *		without the scheduler's shared memory).
 */
bool
sched_test_clock(TimestampTz *now)
{
	SchedDbSlot *slot;
	bool		set = false;

	if (sched_shmem == NULL)
		return false;
	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(MyDatabaseId);
	if (slot != NULL && slot->test_clock_set)
	{
		*now = slot->test_now;
		set = true;
	}
	SpinLockRelease(&sched_shmem->mutex);
	return set;
}

/*
 * sched_now
 *		"Now" for a scheduling decision: the test clock when set, else
 *		"real" (the caller's reading of the real clock: the current time
 *		for the scheduler's pass and a run's retry).
 */
TimestampTz
sched_now(TimestampTz real)
{
	TimestampTz now;

	return sched_test_clock(&now) ? now : real;
}

PG_FUNCTION_INFO_V1(dataeng_scheduler_now);

/*
 * dataeng_internal._scheduler_now() RETURNS timestamptz: the scheduler's
 * now in this database (the test clock, else now()).
 */
Datum
dataeng_scheduler_now(PG_FUNCTION_ARGS)
{
	PG_RETURN_TIMESTAMPTZ(sched_now(GetCurrentTransactionStartTimestamp()));
}

PG_FUNCTION_INFO_V1(dataeng_scheduler_test_now);

/*
 * dataeng_internal._scheduler_test_now(at timestamptz) RETURNS void: set
 * this database's test clock to "at" (NULL: back to the real clock), for
 * tests only; superusers only.  Takes effect at once (not at commit).
 */
Datum
dataeng_scheduler_test_now(PG_FUNCTION_ARGS)
{
	SchedDbSlot *slot;
	Latch	   *latch = NULL;
	Latch	   *launcher = NULL;
	bool		found = true;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser may set the scheduler's test clock"),
				 errdetail("The test clock makes every job of the database due, or not, at the time it says.")));
	if (sched_shmem == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the scheduler's test clock needs dataeng in shared_preload_libraries")));

	SpinLockAcquire(&sched_shmem->mutex);
	slot = sched_slot_find(MyDatabaseId);
	if (slot == NULL)
	{
		/* the launcher has not visited this database yet: take its slot */
		slot = sched_slot_find(InvalidOid);
		if (slot != NULL)
		{
			memset(slot, 0, sizeof(*slot));
			slot->dboid = MyDatabaseId;
		}
	}
	if (slot != NULL)
	{
		slot->test_clock_set = !PG_ARGISNULL(0);
		slot->test_now = PG_ARGISNULL(0) ? 0 : PG_GETARG_TIMESTAMPTZ(0);
		/* what is due changed: a pass now */
		slot->woken = true;
		slot->next_due = 0;
		latch = slot->latch;
	}
	else
		found = false;
	launcher = sched_shmem->launcher_latch;
	SpinLockRelease(&sched_shmem->mutex);

	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("no scheduler slot is free for database %u", MyDatabaseId),
				 errdetail("At most %d databases get a scheduler.", DATAENG_MAX_DATABASES)));
	if (latch)
		SetLatch(latch);
	if (launcher)
		SetLatch(launcher);
	PG_RETURN_VOID();
}
