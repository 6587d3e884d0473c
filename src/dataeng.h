/*-------------------------------------------------------------------------
 *
 * dataeng.h
 *		Declarations of change capture and the scheduler, until each moves
 *		to its area's header (src/cdc/cdc.h, src/schedule/schedule.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_H
#define DATAENG_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/relcache.h"
#include "nodes/bitmapset.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"

#include "common/common.h"

/* in cdc/capture.c */
extern void dataeng_cdc_init(void);
extern int	cdc_max_consumers_per_role;
extern int	cdc_consumer_max_lag_changes;
extern int	cdc_consumer_max_age;
/* (the change log's segments and columns: cdc/cdc.h) */

/* in cdc/images.c: a one-table consumer's changes, read as typed values */
typedef enum ImageKind
{
	IK_PRESENCE,				/* only whether there is a value */
	IK_TEXT,					/* text: the string's bytes */
	IK_NUMERIC,					/* numeric: the JSON number itself */
	IK_INTEGER,					/* int2, int4, int8 */
	IK_TIMESTAMPTZ,
	IK_TIMESTAMP,
	IK_DATE,
	IK_JSONB,					/* the raw JSON value */
	IK_INPUT					/* anything else: the type's input function */
} ImageKind;
typedef struct ImageColumn
{
	char	   *name;
	int			namelen;
	ImageKind	kind;
	Oid			typid;
	int32		typmod;
	Oid			ioparam;
	FmgrInfo	input;
} ImageColumn;
typedef void (*ChangeCallback) (TupleTableSlot *change, void *arg);
extern void image_column_init(ImageColumn *col, const char *name, Oid typid,
							  int32 typmod, MemoryContext cxt);
extern Datum image_value(ImageColumn *col, Jsonb *img, bool *isnull);
extern void cdc_read_changes(text *consumer, Oid source, ChangeCallback cb, void *arg);

/* in schedule/launcher.c */
#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/spin.h"

#define DATAENG_MAX_DATABASES 64

/* the most job runs at once (the maximum of dataeng.max_parallel_jobs) */
#define DATAENG_MAX_PARALLEL_RUNS 1024

/* one database's scheduler, as the launcher and backends see it */
typedef struct SchedDbSlot
{
	Oid			dboid;			/* InvalidOid: free slot */
	pid_t		pid;			/* scheduler's pid, 0 if none */
	Latch	   *latch;			/* scheduler's latch, NULL if none */
	int			nrunning;		/* job runs it has started and not reaped */
	Oid			run_owners[DATAENG_MAX_PARALLEL_RUNS];	/* their owners */
	bool		no_extension;	/* its last scheduler found no extension */
	TimestampTz recheck_at;		/* when to try that database again */
	bool		starting;		/* a scheduler registered, not yet in pid */
	TimestampTz next_due;		/* when it next needs a scheduler (0: now) */
	bool		woken;			/* jobs changed since its scheduler's pass began */
	bool		recovered;		/* runs cut by a restart were recorded */
	TimestampTz last_trim;		/* job_runs last trimmed */
	bool		warned_slots;	/* the worker-slot shortage was logged */
	int			hold;			/* commands waiting for dataeng to leave (dbhook.c) */
} SchedDbSlot;

typedef struct SchedShmem
{
	slock_t		mutex;			/* protects everything below */
	Latch	   *launcher_latch;
	pid_t		launcher_pid;
	SchedDbSlot dbs[DATAENG_MAX_DATABASES];
} SchedShmem;

extern SchedShmem *sched_shmem;
extern int	dataeng_max_parallel_jobs;
extern int	dataeng_launcher_naptime;
extern int	dataeng_max_parallel_jobs_per_role;
extern int	dataeng_max_jobs_per_role;
extern int	dataeng_job_timeout;
extern void dataeng_schedule_init(void);
extern SchedDbSlot *sched_slot_find(Oid dboid);
extern void sched_wake_at_commit(void);

/* in schedule/scheduler.c */
extern bool sched_lock_extension(void);
extern int	dataeng_job_history_keep;
extern bool dataeng_log_successful_runs;

/* the arguments of one job run, passed to its worker in bgw_extra */
typedef struct JobRunArgs
{
	Oid			dboid;
	Oid			owner;
	int64		job_id;
	int64		run_id;
	TransactionId sched_xid;	/* the scheduler's transaction that started it */
	int			attempt;
} JobRunArgs;

/* in schedule/cron.c */
extern TimestampTz schedule_next(const char *sched, TimestampTz after);

#endif							/* DATAENG_H */
