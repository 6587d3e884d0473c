/*-------------------------------------------------------------------------
 *
 * schedule.h
 *		Declarations shared between the files of src/schedule/: the shared
 *		memory of the launcher and the schedulers, the GUCs, a run's
 *		arguments, commands, the database hook.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_SCHEDULE_H
#define DATAENG_SCHEDULE_H

#include "postgres.h"

#include "nodes/pg_list.h"
#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/spin.h"
#include "utils/guc.h"

#define DATAENG_MAX_DATABASES 64

/* a database's hold on the next slot not renewed for this long is over (scheduler.c) */
#define SCHED_HOLD_STALE_MS 5000

/* the most job runs at once (the maximum of dataeng.max_parallel_jobs) */
#define DATAENG_MAX_PARALLEL_RUNS 1024

/* one database's scheduler, as the launcher and backends see it */
typedef struct SchedDbSlot
{
	Oid			dboid;			/* InvalidOid: free slot */
	pid_t		pid;			/* scheduler's pid, 0 if none */
	Latch	   *latch;			/* scheduler's latch, NULL if none */
	bool		no_extension;	/* its last scheduler found no extension */
	bool		has_extension;	/* a scheduler found the extension there */
	TimestampTz recheck_at;		/* when to try that database again */
	bool		starting;		/* a scheduler registered, not yet in pid */
	/*
	 * When the configuration files the database's scheduler (starting or
	 * running) has applied were read: the launcher's reading when it
	 * registered it, then its own (_scheduler_conf_read())
	 */
	TimestampTz conf_read;
	TimestampTz next_due;		/* when it next needs a scheduler (0: now) */
	bool		woken;			/* jobs changed since its scheduler's pass began */
	bool		recovered;		/* runs cut by a restart were recorded */
	bool		restart_runs_ended; /* their rows were, some jobs' not yet */
	TimestampTz last_trim;		/* job_runs last trimmed */
	bool		warned_slots;	/* the worker-slot shortage was logged */
	TimestampTz restore_since;	/* due jobs wait for a restore since (0: not) */
	TimestampTz restore_warned; /* that wait was last reported */
	int			hold;			/* commands waiting for dataeng to leave (dbhook.c) */
	bool		test_clock_set; /* the test clock is set (clock.c) */
	/*
	 * The database allows no connections (ALTER DATABASE ...
	 * ALLOW_CONNECTIONS false) or is a template, as the launcher or its
	 * scheduler last saw it: no job starts there (sched_note_closed())
	 */
	bool		closed;
	TimestampTz test_now;		/* the test clock's time */
	/*
	 * Due jobs held back by dataeng's caps since held_since (0: none),
	 * by the per-role cap of held_owner (InvalidOid: the total cap); the
	 * hold is renewed at each pass (held_at), and schedulers of other
	 * databases leave the slot it waits for to it (scheduler.c)
	 */
	TimestampTz held_since;
	TimestampTz held_at;
	Oid			held_owner;
	/*
	 * Its last scheduler left with due jobs held back by that one cap
	 * alone (cap_wait), and no other job due before jobs_due_at: the
	 * launcher starts the next one when the cap has a place for them
	 * (sched_cap_waits()), when woken (next_due 0), or at jobs_due_at; it
	 * renews the hold meanwhile.  (A scheduler started every second to
	 * find the cap full was most of the CPU of a server whose databases
	 * had more due jobs than the caps let run, and took the worker slots
	 * the runs needed.)
	 */
	bool		cap_wait;
	TimestampTz jobs_due_at;
	/*
	 * The database has tables to capture from the WAL and no WAL capture
	 * worker (its scheduler found so, or a worker could not be started):
	 * the launcher starts one, trying again at wal_retry_at while no
	 * background worker slot is free (every wal_backoff_ms, doubled up to
	 * 10 s)
	 */
	bool		wal_wanted;
	TimestampTz wal_retry_at;
	int			wal_backoff_ms;
} SchedDbSlot;

/*
 * A job run in progress (SchedShmem.runs): from the moment a scheduler
 * starts its worker until a scheduler of its database records its end.
 * It outlives the scheduler that started it: the next scheduler of the
 * database counts it in the caps, times it out and records its end
 * (scheduler.c).  The worker claims it (sched_run_claim, job.c) before it
 * runs anything, and marks it exited when it exits; a run a scheduler
 * gave up before its worker claimed it (its own scheduler ended) is
 * abandoned, and its worker then runs nothing.
 */
typedef struct SchedRun
{
	Oid			dboid;			/* InvalidOid: a free entry */
	Oid			owner;
	int64		job_id;
	uint64		name_hash;		/* of the job's name (sched_job_name_hash) */
	int64		run_id;
	pid_t		pid;			/* its worker's once claimed, else 0 */
	bool		exited;			/* that worker exited */
	bool		abandoned;		/* given up before its worker claimed it */
	bool		terminated;		/* terminated for outliving its timeout */
	TimestampTz deadline;		/* terminated past it; 0: no timeout */
} SchedRun;

typedef struct SchedShmem
{
	slock_t		mutex;			/* protects everything below */
	Latch	   *launcher_latch; /* NULL while no launcher runs */
	pid_t		launcher_pid;
	TimestampTz launcher_conf_read; /* when the launcher last read the configuration files */
	TimestampTz maint_conf_read;	/* the same of the maintenance launcher
									 * (src/ops/maintenance.c); 0: none runs */
	/*
	 * Whether a launcher runs, and if not whether one comes, for the
	 * sessions that wait for a worker it would start (cdc_wal_sync()):
	 * launcher_registered is set by the postmaster (the launcher got a
	 * background worker slot at server start); launcher_state says what
	 * the last launcher did since launcher_at (LAUNCHER_*; at a crash
	 * restart the shared memory is made again: LAUNCHER_NOT_STARTED, at the
	 * time of the restart); launcher_generation counts the launchers
	 * started, so that only the running one records its exit.
	 * launcher_due: while LAUNCHER_NOT_STARTED, when a session first saw
	 * the server out of recovery (0: none has yet), the earliest the
	 * postmaster starts the launcher (it waits for the end of recovery, a
	 * crash's or a standby's, which may come long after launcher_at).
	 */
	bool		launcher_registered;
	uint8		launcher_state;
	TimestampTz launcher_at;
	TimestampTz launcher_due;
	uint32		launcher_generation;
	/*
	 * Since when no job run could get a background worker slot while no
	 * run of dataeng was in progress anywhere (0: one started since), and
	 * whether that was said (scheduler.c, runs_stalled())
	 */
	TimestampTz stalled_since;
	TimestampTz stalled_last;	/* the last run refused a slot */
	bool		stalled_warned;
	SchedDbSlot dbs[DATAENG_MAX_DATABASES];
	SchedRun	runs[DATAENG_MAX_PARALLEL_RUNS];	/* the job runs in progress */
} SchedShmem;

/* SchedShmem.launcher_state */
#define LAUNCHER_NOT_STARTED	0	/* registered, not started since launcher_at */
#define LAUNCHER_RUNNING		1
#define LAUNCHER_ENDED_ERROR	2	/* the postmaster starts it again */
#define LAUNCHER_ENDED			3	/* exited with 0: not started again */
/* bgw_restart_time of the launcher */
#define LAUNCHER_RESTART_MS		5000

extern SchedShmem *sched_shmem;
extern int	dataeng_max_parallel_jobs;
extern int	dataeng_launcher_naptime;
extern int	dataeng_max_parallel_jobs_per_role;
extern int	dataeng_max_jobs_per_role;
extern int	dataeng_job_timeout;
extern void dataeng_schedule_init(void);
extern SchedDbSlot *sched_slot_find(Oid dboid);
extern void sched_wake_at_commit(void);
extern void sched_wal_wanted(Oid dboid);
extern void sched_hold_slot(SchedDbSlot *slot, Oid owner, TimestampTz now);
extern bool sched_cap_waits(SchedDbSlot *slot, TimestampTz now);
extern void sched_runs_forget(Oid *dbs, int ndbs);
extern void sched_note_closed(Oid dboid, const char *dbname, bool closed);
extern void sched_wake_all_at_commit(void);

/* in schedule/scheduler.c */
extern bool sched_lock_extension(void);
extern int	dataeng_job_history_keep;
extern char *dataeng_timezone;
extern bool sched_timezone_check(char **newval, void **extra, GucSource source);
extern bool dataeng_log_successful_runs;
extern bool sched_run_claim(Oid dboid, int64 run_id);
extern int	sched_runs_live(Oid dboid);
extern void sched_runs_stop(Oid dboid, int signo);
extern uint64 sched_job_name_hash(const char *job_name);
extern int	sched_spi_with_args(const char *sql, int nargs, Oid *types, Datum *values,
								const char *nulls, bool read_only, long count);

/* the arguments of one job run, passed to its worker in bgw_extra */
/*
 * The lock a job's run holds while it runs (job.c), one run of a job at a
 * time: an advisory lock tag whose field4 no pg_advisory_lock() sets (it
 * sets 1 or 2), so that no session can take it from SQL.  Of
 * DEFAULT_LOCKMETHOD, as the WAL capture worker's (src/cdc/wal_worker.c):
 * pg_advisory_unlock_all() in the job's command releases every session
 * lock of USER_LOCKMETHOD, and so released it in the middle of a
 * statement.  pg_locks shows it as before (locktype advisory).
 */
#define JOB_LOCK_FIELD4 0x6465
#define SET_LOCKTAG_JOB_RUN(tag, dboid, job_id) \
	do { \
		SET_LOCKTAG_ADVISORY(tag, dboid, (uint32) ((job_id) >> 32), (uint32) (job_id), JOB_LOCK_FIELD4); \
		(tag).locktag_lockmethodid = DEFAULT_LOCKMETHOD; \
	} while (0)

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
extern TimestampTz schedule_next_ext(const char *sched, TimestampTz after,
									 bool clamp_short);



/* in schedule/clock.c */
extern bool sched_test_clock(TimestampTz *now);
extern TimestampTz sched_now(TimestampTz real);

/*
 * in schedule/states.c: the transitions of a run's state (see its header
 * and src/schedule/README.md); SPI connected, the caller's rights set up
 */
extern void sched_run_start(int64 job_id, int64 run_id, int attempt, Datum next, bool next_null);
extern void sched_run_refuse(int64 job_id, int64 run_id, int attempt, Datum next, bool next_null,
							 bool cannot_login);
extern void sched_run_waiting(int64 job_id, int64 run_id, int attempt, const char *reason);
extern bool sched_run_ended_unrecorded(int64 job_id, int64 run_id, TransactionId xmin,
									   const char *status, const char *message, bool retry,
									   bool *ended);
extern bool sched_run_crashed(int64 job_id, int64 run_id, bool terminated);
extern bool sched_runs_crashed_at_restart(bool end_runs);
extern void sched_job_break(int64 job_id, const char *reason);
extern void sched_runs_withdraw(void);
extern void sched_runs_trim(int64 keep_secs);
extern void sched_run_succeed(int64 job_id, int64 run_id, List *tags);
extern void sched_run_fail(int64 job_id, int64 run_id, int attempt, const char *message, List *tags);
extern void sched_run_timeout(int64 job_id, int64 run_id, int attempt, const char *message, List *tags);
extern void sched_run_retry(int64 job_id, int64 run_id);

/* in schedule/command.c */

/* called in the transaction of a command's last statement, when it has one */
typedef void (*SchedLastStatementHook) (void *arg);

extern List *sched_command_parse(const char *command, const char *job_name);
extern void sched_run_lock_check(bool error_if_lost);
extern void sched_command_run(const char *command, List *stmts,
							  List **tags, MemoryContext tag_cxt,
							  TimestampTz deadline,
							  SchedLastStatementHook on_last, void *arg,
							  bool *on_last_called);

/* in schedule/dbhook.c */
extern void sched_dbhook_init(void);
extern bool sched_db_held(Oid dboid);

#endif							/* DATAENG_SCHEDULE_H */
