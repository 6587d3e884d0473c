/*-------------------------------------------------------------------------
 *
 * states.c
 *		The states of a job run, and the code that writes them: one named
 *		transition per change of dataeng.job_runs.status and
 *		dataeng.jobs.last_status (src/schedule/README.md draws them).  The
 *		only other writer is the trigger _job_restored_running
 *		(sql/schedule.sql), which records a run restored as running as
 *		failed.
 *
 * A run is in one of the states
 *		waiting		due, but no background worker slot is free (reason in
 *					job_runs.wait_reason); started as soon as one is
 *		running		its worker started (scheduler.c)
 *		succeeded	its command completed (job.c)
 *		failed		its command raised an error, its owner cannot log in (or connect),
 *					its worker died without a record ("crashed"), or the
 *					server stopped during the run
 *		timed_out	its command outlived the job's timeout
 * and a job's last_status is the state of its last run (last_run_id).
 * After a failure the job is queued again for a retry with back-off while
 * attempts remain (sched_run_retry).  Queuing a job on schedule (its
 * next_run_at, run_now) is the SQL API's part: schedule(), job_run_now(),
 * job_resume() in sql/schedule.sql.
 *
 * Each transition runs SPI statements in the caller's transaction, and
 * the caller has set up the rights: the scheduler runs as the bootstrap
 * superuser with a pinned search_path, the job worker's bookkeeping in
 * internal_sql_begin() (job.c).  Rows of dataeng.jobs are locked with
 * SKIP LOCKED where the scheduler writes them: a role holding a lock on
 * its own job must not stop the scheduler.  Every transition that ends a
 * run updates the job only while the job's last run is that run
 * (last_run_id), so a late record never overwrites a newer run's state.
 *
 * "Now" for scheduling decisions (the due check, the next run, the
 * retry's back-off) is sched_now() (clock.c): the test clock when one is
 * set.  The timestamps of the history (started_at, finished_at, ...) are
 * always the real clock.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/transam.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "schedule/schedule.h"

/* run one statement with parameters; raises on SPI failure */
static void
state_spi(const char *sql, int nargs, Oid *types, Datum *values, const char *nulls)
{
	int			ret = sched_spi_with_args(sql, nargs, types, values, nulls, false, 0);

	if (ret < 0)
		elog(ERROR, "dataeng: SPI failed (%d) recording a job's state: %s", ret, sql);
}

/* the completion tags of a run's statements as a text[]; NULL when none ran */
static Datum
tags_datum(List *tags, char *null)
{
	Datum	   *elems;
	ListCell   *lc;
	int			i = 0;

	*null = tags == NIL ? 'n' : ' ';
	if (tags == NIL)
		return (Datum) 0;
	elems = palloc(list_length(tags) * sizeof(Datum));
	foreach(lc, tags)
		elems[i++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, i, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * runs_end
 *		The rows of dataeng.job_runs that "which" selects (a condition over
 *		the caller's parameters $1..$nargs) and that are in state "from"
 *		end in "status" with error_message "message": finished at
 *		clock_timestamp(), or at now() (the transaction's start) when
 *		at_start.  The job's side is the caller's.
 */
static void
runs_end(const char *which, int nargs, const Oid *types, const Datum *values,
		 const char *from, const char *status, const char *message, bool at_start)
{
	Oid			alltypes[8];
	Datum		allvalues[8];
	int			i;

	Assert(nargs + 3 <= lengthof(alltypes));
	for (i = 0; i < nargs; i++)
	{
		alltypes[i] = types[i];
		allvalues[i] = values[i];
	}
	alltypes[nargs] = TEXTOID;
	allvalues[nargs] = CStringGetTextDatum(from);
	alltypes[nargs + 1] = TEXTOID;
	allvalues[nargs + 1] = CStringGetTextDatum(status);
	alltypes[nargs + 2] = TEXTOID;
	allvalues[nargs + 2] = CStringGetTextDatum(message);
	state_spi(psprintf("UPDATE dataeng.job_runs SET status = $%d, finished_at = %s, error_message = $%d "
					   " WHERE (%s) AND status OPERATOR(pg_catalog.=) $%d",
					   nargs + 2, at_start ? "now()" : "clock_timestamp()", nargs + 3,
					   which, nargs + 1),
			  nargs + 3, alltypes, allvalues, NULL);
}

/* ---------------------------------------------------------------------
 * Transitions made by the scheduler (scheduler.c), in its pass
 * ---------------------------------------------------------------------
 */

/*
 * sched_run_start
 *		(due or waiting) -> running: the run's worker is registered.  The
 *		job's next run moves to "next" (NULL: none), run_now is consumed.
 *		A run that waited keeps its row (and wait_reason); otherwise the
 *		row is written when dataeng.log_successful_runs is on.
 */
void
sched_run_start(int64 job_id, int64 run_id, int attempt, Datum next, bool next_null)
{
	Oid			types[4] = {INT8OID, INT8OID, INT4OID, TIMESTAMPTZOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(job_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = Int32GetDatum(attempt);
	values[3] = next;
	nulls[3] = next_null ? 'n' : ' ';

	state_spi("UPDATE dataeng.job_runs SET status = 'running', started_at = now() "
			  " WHERE run_id OPERATOR(pg_catalog.=) $2 AND status OPERATOR(pg_catalog.=) 'waiting'",
			  2, types, values, nulls);
	if (SPI_processed == 0)
		state_spi("INSERT INTO dataeng.job_runs (run_id, job_id, owner, owner_name, owner_system, started_at, status, attempt) "
				  "SELECT $2, job_id, owner, owner_name, owner_system, now(), 'running', $3 FROM dataeng.jobs "
				  " WHERE job_id OPERATOR(pg_catalog.=) $1 "
				  "   AND pg_catalog.current_setting('dataeng.log_successful_runs')::boolean",
				  3, types, values, nulls);
	state_spi("UPDATE dataeng.jobs SET run_now = false, last_started_at = now(), "
			  "last_status = 'running', last_run_id = $2, "
			  "next_run_at = $4 WHERE job_id OPERATOR(pg_catalog.=) $1",
			  4, types, values, nulls);
}

/*
 * sched_run_refuse
 *		(due or waiting) -> failed, without a worker: the job's owner
 *		cannot log in ("cannot_login"), or has no CONNECT privilege on the
 *		database, so no worker can connect as it.  The job's next run
 *		moves on as if it had run.
 */
void
sched_run_refuse(int64 job_id, int64 run_id, int attempt, Datum next, bool next_null,
				 bool cannot_login)
{
	Oid			types[5] = {INT8OID, INT8OID, INT4OID, TIMESTAMPTZOID, BOOLOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(job_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = Int32GetDatum(attempt);
	values[3] = next;
	nulls[3] = next_null ? 'n' : ' ';
	values[4] = BoolGetDatum(cannot_login);

	state_spi("INSERT INTO dataeng.job_runs AS r (run_id, job_id, owner, owner_name, owner_system, started_at, finished_at, status, attempt, error_message) "
			  "SELECT $2, job_id, owner, owner_name, owner_system, now(), clock_timestamp(), 'failed', $3, "
			  "       CASE WHEN $5 THEN "
			  "       pg_catalog.format('role %s cannot log in, so the job cannot run as it: "
			  "give it LOGIN (ALTER ROLE %s LOGIN), or schedule the job as a role that can log in', "
			  "       owner, owner) ELSE "
			  "       pg_catalog.format('role %s may not connect to database %s (no CONNECT privilege), "
			  "so the job cannot run as it: grant it (GRANT CONNECT ON DATABASE %s TO %s), "
			  "or schedule the job as a role that may connect', "
			  "       owner, pg_catalog.quote_ident(pg_catalog.current_database()), "
			  "       pg_catalog.quote_ident(pg_catalog.current_database()), owner) END "
			  "  FROM dataeng.jobs WHERE job_id OPERATOR(pg_catalog.=) $1 "
			  "ON CONFLICT (run_id) DO UPDATE SET started_at = excluded.started_at, "
			  "  finished_at = excluded.finished_at, status = excluded.status, "
			  "  error_message = excluded.error_message",
			  5, types, values, nulls);
	state_spi("UPDATE dataeng.jobs SET run_now = false, last_started_at = now(), "
			  "last_finished_at = clock_timestamp(), last_status = 'failed', last_run_id = $2, "
			  "next_run_at = $4 WHERE job_id OPERATOR(pg_catalog.=) $1",
			  4, types, values, nulls);
}

/*
 * sched_run_waiting
 *		due -> waiting: the run is due but no background worker slot is
 *		free.  Its row (status waiting, started_at: since when) and the
 *		job's last_status say so with the reason; the job stays due, and
 *		the scheduler starts this same run (sched_run_start) when a slot
 *		is free, even if the job is paused meanwhile.  A run already
 *		waiting only gets the new reason.
 */
void
sched_run_waiting(int64 job_id, int64 run_id, int attempt, const char *reason)
{
	Oid			types[4] = {INT8OID, INT8OID, INT4OID, TEXTOID};
	Datum		values[4];

	values[0] = Int64GetDatum(job_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = Int32GetDatum(attempt);
	values[3] = CStringGetTextDatum(reason);

	state_spi("INSERT INTO dataeng.job_runs AS r (run_id, job_id, owner, owner_name, owner_system, started_at, status, attempt, wait_reason) "
			  "SELECT $2, job_id, owner, owner_name, owner_system, now(), 'waiting', $3, $4 "
			  "  FROM dataeng.jobs WHERE job_id OPERATOR(pg_catalog.=) $1 "
			  "ON CONFLICT (run_id) DO UPDATE SET wait_reason = excluded.wait_reason "
			  " WHERE r.status OPERATOR(pg_catalog.=) 'waiting'",
			  4, types, values, NULL);
	state_spi("UPDATE dataeng.jobs SET last_status = 'waiting', last_run_id = $2 "
			  " WHERE job_id OPERATOR(pg_catalog.=) $1",
			  2, types, values, NULL);
}

/*
 * The job's retry after a failed run (SET clauses of an UPDATE of
 * dataeng.jobs, $N the time), whoever records the failure: the job's
 * worker (sched_run_retry) or the scheduler (a run ended without a
 * record).  The count goes on from the job's attempt, not the run's:
 * schedule() resets it to 0, also during a run, and the failure of that
 * run is then the first of the new schedule, whichever path records it
 * (the worker's record brought back the run's own number, the scheduler's
 * counted from the reset).
 */
#define RETRY_SET(N) \
	"attempt = CASE WHEN attempt + 1 <= max_retries THEN attempt + 1 ELSE 0 END, " \
	"next_run_at = CASE WHEN attempt + 1 <= max_retries " \
	"  THEN least(next_run_at, $" #N " + make_interval(secs => least(3600, power(2, attempt)))) " \
	"  ELSE next_run_at END "

/*
 * sched_run_ended_unrecorded
 *		running -> "status" with "message": the run ended, or runs no more,
 *		without a record of its result; the job's last run too, and with
 *		"retry" the job is retried as after a failure its worker recorded
 *		(sched_run_retry).  With a valid "xmin", only the version of the
 *		run's row the caller read ends: a worker that claimed its run
 *		since (job.c) made a new one.
 *
 *		The job's row is locked first, with SKIP LOCKED: while some
 *		transaction holds it nothing is recorded and false is returned, so
 *		that the caller looks again at its next pass (the run's row still
 *		running; recorded failed alone, it was never looked at again, its
 *		job left running and not retried).  *ended says whether the run's
 *		row was ended here.
 */
bool
sched_run_ended_unrecorded(int64 job_id, int64 run_id, TransactionId xmin,
						   const char *status, const char *message, bool retry,
						   bool *ended)
{
	Oid			types[5] = {INT8OID, INT8OID, TEXTOID, TIMESTAMPTZOID, XIDOID};
	Datum		values[5];

	values[0] = Int64GetDatum(run_id);
	values[1] = Int64GetDatum(job_id);
	values[2] = CStringGetTextDatum(status);
	values[3] = TimestampTzGetDatum(sched_now(GetCurrentTimestamp()));
	values[4] = TransactionIdGetDatum(xmin);
	*ended = false;

	state_spi("SELECT 1 FROM dataeng.jobs WHERE job_id = $2 FOR NO KEY UPDATE SKIP LOCKED",
			  2, types, values, NULL);
	if (SPI_processed == 0)
	{
		state_spi("SELECT 1 FROM dataeng.jobs WHERE job_id = $2", 2, types, values, NULL);
		if (SPI_processed > 0)
			return false;		/* held by another transaction */
	}

	if (TransactionIdIsValid(xmin))
		runs_end("run_id OPERATOR(pg_catalog.=) $1 AND xmin OPERATOR(pg_catalog.=) $5",
				 5, types, values, "running", status, message, false);
	else
		runs_end("run_id OPERATOR(pg_catalog.=) $1", 1, types, values, "running", status, message, false);
	*ended = SPI_processed > 0;
	state_spi("UPDATE dataeng.jobs SET last_status = $3, last_finished_at = clock_timestamp() "
			  "WHERE job_id = $2 AND last_status = 'running' AND last_run_id = $1 "
			  "AND NOT EXISTS (SELECT 1 FROM dataeng.job_runs r WHERE r.run_id = $1 "
			  "                AND r.status NOT IN ('failed', 'timed_out'))",
			  3, types, values, NULL);
	if (retry && SPI_processed > 0)
		state_spi("UPDATE dataeng.jobs SET " RETRY_SET(4)
				  "WHERE job_id = $2 AND last_run_id = $1",
				  4, types, values, NULL);
	return true;
}

/*
 * sched_run_crashed
 *		running -> failed (or timed_out): the run's worker stopped without
 *		recording a result (killed, FATAL, the scheduler's SIGTERM), or was
 *		terminated by the scheduler for outliving its timeout
 *		("terminated"); retried as any failed run.  False while the job's
 *		row is held (nothing recorded: the caller tries again).
 */
bool
sched_run_crashed(int64 job_id, int64 run_id, bool terminated)
{
	bool		ended;

	return sched_run_ended_unrecorded(job_id, run_id, InvalidTransactionId,
									  terminated ? "timed_out" : "failed",
									  terminated ? "the run outlived its timeout and was terminated"
									  : "the job worker stopped without recording a result", true,
									  &ended);
}

/*
 * sched_runs_crashed_at_restart
 *		running -> failed for every run a crash or restart cut short
 *		(nothing of theirs committed after the record of their start);
 *		their jobs are retried as after any failure.
 *		Waiting runs stay waiting: they start when a slot is free.
 *
 *		With end_runs (the first pass after the restart) the runs' rows
 *		end, and a job shown running whose run has no row
 *		(dataeng.log_successful_runs off) gets one, failed.  Then each job
 *		shown running whose run's row ended so is recorded failed and
 *		retried, its row locked with SKIP LOCKED: a job whose row some
 *		transaction holds is left as it is, and false is returned, so that
 *		the caller calls again (without end_runs) at its next pass until
 *		true.  Only such a job is looked at again: a run started since the
 *		restart is never one (its row is running, or it has none).
 */
#define RESTART_MESSAGE "the server stopped during the run"

bool
sched_runs_crashed_at_restart(bool end_runs)
{
	Oid			types[2] = {TIMESTAMPTZOID, TEXTOID};
	Datum		values[2];

	values[0] = TimestampTzGetDatum(sched_now(GetCurrentTimestamp()));
	values[1] = CStringGetTextDatum(RESTART_MESSAGE);
	if (end_runs)
	{
		runs_end("true", 0, NULL, NULL, "running", "failed", RESTART_MESSAGE, true);
		state_spi("INSERT INTO dataeng.job_runs (run_id, job_id, owner, owner_name, owner_system, started_at, finished_at, status, attempt, error_message) "
				  "SELECT j.last_run_id, j.job_id, j.owner, j.owner_name, j.owner_system, "
				  "       coalesce(j.last_started_at, now()), now(), 'failed', j.attempt + 1, $2 "
				  "  FROM dataeng.jobs j WHERE j.last_status = 'running' AND j.last_run_id IS NOT NULL "
				  "   AND NOT EXISTS (SELECT 1 FROM dataeng.job_runs r WHERE r.run_id = j.last_run_id) "
				  "ON CONFLICT (run_id) DO NOTHING",
				  2, types, values, NULL);
	}
#define RESTART_CUT_JOBS \
	"SELECT j.job_id FROM dataeng.jobs j WHERE j.last_status = 'running' " \
	"   AND (j.last_run_id IS NULL OR EXISTS (SELECT 1 FROM dataeng.job_runs r " \
	"        WHERE r.run_id = j.last_run_id AND r.status = 'failed' AND r.error_message = $2)) "
	state_spi("UPDATE dataeng.jobs SET last_status = 'failed', " RETRY_SET(1)
			  "WHERE job_id IN (" RESTART_CUT_JOBS "FOR NO KEY UPDATE SKIP LOCKED)",
			  2, types, values, NULL);
	state_spi(RESTART_CUT_JOBS "LIMIT 1", 2, types, values, NULL);
	return SPI_processed == 0;
}

/*
 * sched_job_break
 *		The job's schedule gives no next run: it is marked broken with the
 *		reason and runs no more until rescheduled.  A run of it that was
 *		waiting fails with that reason.
 */
void
sched_job_break(int64 job_id, const char *reason)
{
	Oid			types[2] = {INT8OID, TEXTOID};
	Datum		values[2];

	values[0] = Int64GetDatum(job_id);
	values[1] = CStringGetTextDatum(reason);
	runs_end("run_id OPERATOR(pg_catalog.=) (SELECT last_run_id FROM dataeng.jobs "
			 "  WHERE job_id OPERATOR(pg_catalog.=) $1 AND last_status OPERATOR(pg_catalog.=) 'waiting')",
			 1, types, values, "waiting", "failed", psprintf("the job is broken: %s", reason), false);
	state_spi("UPDATE dataeng.jobs SET broken = $2, run_now = false, "
			  "last_status = CASE WHEN last_status OPERATOR(pg_catalog.=) 'waiting' THEN 'failed' ELSE last_status END, "
			  "last_finished_at = CASE WHEN last_status OPERATOR(pg_catalog.=) 'waiting' "
			  "                   THEN clock_timestamp() ELSE last_finished_at END "
			  "WHERE job_id OPERATOR(pg_catalog.=) $1",
			  2, types, values, NULL);
}

/*
 * sched_runs_withdraw
 *		waiting -> (deleted): a waiting run whose job was unscheduled (no
 *		job names it as its waiting run any more) never runs.  Each pass;
 *		the partial index job_runs_waiting_idx keeps it cheap.
 */
void
sched_runs_withdraw(void)
{
	state_spi("DELETE FROM dataeng.job_runs r "
			  " WHERE r.status = 'waiting' AND NOT EXISTS "
			  "       (SELECT 1 FROM dataeng.jobs j WHERE j.last_run_id = r.run_id "
			  "                                       AND j.last_status = 'waiting')",
			  0, NULL, NULL, NULL);
}

/*
 * sched_runs_trim
 *		Forget finished runs older than keep_secs (once a minute).
 */
void
sched_runs_trim(int64 keep_secs)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];

	values[0] = Int64GetDatum(keep_secs);
	state_spi("DELETE FROM dataeng.job_runs WHERE finished_at < now() - make_interval(secs => $1)",
			  1, types, values, NULL);
}

/* ---------------------------------------------------------------------
 * Transitions made by the run's own worker (job.c), as the bootstrap
 * superuser in internal_sql_begin()
 * ---------------------------------------------------------------------
 */

/*
 * sched_run_succeed
 *		running -> succeeded, in the transaction of the command's last
 *		statement when it has one (job.c); the retries are reset.
 */
void
sched_run_succeed(int64 job_id, int64 run_id, List *tags)
{
	Oid			types[3] = {INT8OID, INT8OID, TEXTARRAYOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	values[0] = Int64GetDatum(job_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = tags_datum(tags, &nulls[2]);
	state_spi("UPDATE dataeng.job_runs SET status = 'succeeded', finished_at = clock_timestamp(), "
			  "  command_tags = $3 "
			  "WHERE run_id = $2",
			  3, types, values, nulls);
	state_spi("UPDATE dataeng.jobs SET last_status = 'succeeded', last_finished_at = clock_timestamp(), "
			  "  last_success_at = clock_timestamp(), attempt = 0 "
			  "WHERE job_id = $1 AND last_run_id = $2",
			  3, types, values, nulls);
}

/* running -> failed or timed_out ("status"), with the error */
static void
run_end(int64 job_id, int64 run_id, int attempt, const char *status,
		const char *message, List *tags)
{
	Oid			types[6] = {INT8OID, INT8OID, TEXTOID, TEXTOID, INT4OID, TEXTARRAYOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(job_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = CStringGetTextDatum(status);
	values[3] = CStringGetTextDatum(message);
	values[4] = Int32GetDatum(attempt);
	values[5] = tags_datum(tags, &nulls[5]);
	/* with dataeng.log_successful_runs off the run has no row yet */
	state_spi("INSERT INTO dataeng.job_runs AS r (run_id, job_id, owner, owner_name, owner_system, started_at, finished_at, status, attempt, error_message, command_tags) "
			  "SELECT $2, j.job_id, j.owner, j.owner_name, j.owner_system, coalesce(j.last_started_at, now()), clock_timestamp(), $3, $5, $4, $6 "
			  "  FROM dataeng.jobs j WHERE j.job_id = $1 "
			  "ON CONFLICT (run_id) DO UPDATE SET finished_at = excluded.finished_at, "
			  "  status = excluded.status, error_message = excluded.error_message, "
			  "  command_tags = excluded.command_tags",
			  6, types, values, nulls);
	state_spi("UPDATE dataeng.jobs SET last_status = $3, last_finished_at = clock_timestamp() "
			  "WHERE job_id = $1 AND last_run_id = $2",
			  6, types, values, nulls);
}

/*
 * sched_run_fail
 *		running -> failed: the command raised an error (or another run of
 *		the job held its lock); the statements that completed are in tags.
 */
void
sched_run_fail(int64 job_id, int64 run_id, int attempt, const char *message, List *tags)
{
	run_end(job_id, run_id, attempt, "failed", message, tags);
}

/*
 * sched_run_timeout
 *		running -> timed_out: the job's timeout cancelled the command.
 */
void
sched_run_timeout(int64 job_id, int64 run_id, int attempt, const char *message, List *tags)
{
	run_end(job_id, run_id, attempt, "timed_out", message, tags);
}

/*
 * sched_run_retry
 *		After a failed or timed-out run: the failure is the job's attempt
 *		a = its attempt + 1 (the run's own attempt unless schedule() reset
 *		the count during the run: RETRY_SET).  While attempts remain
 *		(a <= max_retries) the job is queued again 2^(a-1) seconds from now
 *		(at most an hour; sooner if its schedule says so), else its retries
 *		are reset and it waits for its schedule.
 */
void
sched_run_retry(int64 job_id, int64 run_id)
{
	Oid			types[3] = {INT8OID, INT8OID, TIMESTAMPTZOID};
	Datum		values[3];

	values[0] = Int64GetDatum(job_id);
	values[1] = Int64GetDatum(run_id);
	values[2] = TimestampTzGetDatum(sched_now(GetCurrentTimestamp()));
	state_spi("UPDATE dataeng.jobs SET " RETRY_SET(3)
			  "WHERE job_id = $1 AND last_run_id = $2",
			  3, types, values, NULL);
}
