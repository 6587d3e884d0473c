/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL entry points that manage jobs: schedule(), unschedule(),
 *		job_pause(), job_resume() and job_run_now().
 *
 * No role but the extension's owner writes dataeng.jobs: a row written by
 * hand could name another role's job as a dependency, or a schedule the
 * scheduler cannot follow.  Each entry point is an invoker-rights C
 * function (common/entry.c) that calls its PL/pgSQL body (_job_*) as the
 * body's owner with the role PostgreSQL runs the calling code as, and the
 * body checks that role's rights: a role manages its own jobs, a
 * superuser everyone's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "common/common.h"
#include "schedule/schedule.h"

DATAENG_ENTRY(dataeng_schedule, "_job_schedule")
DATAENG_ENTRY(dataeng_unschedule, "_job_unschedule")
DATAENG_ENTRY(dataeng_job_pause, "_job_pause")
DATAENG_ENTRY(dataeng_job_resume, "_job_resume")
DATAENG_ENTRY(dataeng_job_run_now, "_job_run_now")

/* field4 of the lock tag: apart from SQL advisory locks (1 and 2) and job runs */
#define JOB_CAP_LOCK_FIELD4 0x6466

PG_FUNCTION_INFO_V1(dataeng_job_cap_lock);

/*
 * dataeng_job_cap_lock
 *		Lock a role's new jobs until the end of the transaction, so that
 *		concurrent schedule() calls of one role count its jobs one after
 *		the other.  The lock tag is out of reach of pg_advisory_lock(): no
 *		role can take it to make another role's schedule() wait.
 */
Datum
dataeng_job_cap_lock(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0, (uint32) role, JOB_CAP_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	PG_RETURN_VOID();
}
