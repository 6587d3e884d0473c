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

#include "dataeng.h"

DATAENG_ENTRY(dataeng_schedule, "_job_schedule")
DATAENG_ENTRY(dataeng_unschedule, "_job_unschedule")
DATAENG_ENTRY(dataeng_job_pause, "_job_pause")
DATAENG_ENTRY(dataeng_job_resume, "_job_resume")
DATAENG_ENTRY(dataeng_job_run_now, "_job_run_now")
