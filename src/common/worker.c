/*-------------------------------------------------------------------------
 *
 * worker.c
 *		What every background worker of dataeng is registered with.
 *
 * The scheduler's launcher and schedulers, the job workers, the tickers of
 * the change log, the WAL capture workers and the maintenance workers are
 * all workers of this library that attach to shared memory and connect to
 * a database once recovery is finished.  dataeng_worker_init() fills in
 * those fields in one place; each caller then sets what is its own (a
 * bgw_name naming its database, bgw_main_arg, bgw_extra, bgw_notify_pid)
 * and registers it.  The settings a worker pins once connected are
 * worker_settings_pin()'s (entry.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "postmaster/bgworker.h"

#include "common/common.h"

/*
 * dataeng_worker_init
 *		Zero worker and fill in what every dataeng worker shares: shared
 *		memory and a database connection, started once recovery is
 *		finished, restarted after restart_time seconds (BGW_NEVER_RESTART:
 *		never), running function_name of this library.  bgw_type is type
 *		(it starts with "dataeng ", so that pg_stat_activity shows whose
 *		it is), and so is bgw_name until the caller names the worker.
 */
void
dataeng_worker_init(BackgroundWorker *worker, const char *function_name, const char *type,
					int restart_time)
{
	memset(worker, 0, sizeof(*worker));
	worker->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker->bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker->bgw_restart_time = restart_time;
	snprintf(worker->bgw_library_name, BGW_MAXLEN, "dataeng");
	snprintf(worker->bgw_function_name, BGW_MAXLEN, "%s", function_name);
	snprintf(worker->bgw_type, BGW_MAXLEN, "%s", type);
	snprintf(worker->bgw_name, BGW_MAXLEN, "%s", type);
}
