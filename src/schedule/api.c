/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL entry points that manage jobs: schedule(), unschedule(),
 *		job_pause(), job_resume() and job_run_now(); the check that a
 *		job's dependencies make no cycle, under a lock; and the rule by
 *		which a job's owner oid (and any other recorded role oid) is
 *		trusted.
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

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "schedule/schedule.h"

/*
 * schedule(): its errors read as its own, without the CONTEXT of
 * _job_schedule() (a bad cron expression showed "PL/pgSQL function
 * dataeng_internal._job_schedule(...) line 53 at assignment"); a command
 * that does not parse keeps its LINE and caret.
 */
PG_FUNCTION_INFO_V1(dataeng_schedule);
Datum
dataeng_schedule(PG_FUNCTION_ARGS)
{
	return dataeng_entry_call_body_quiet_query(fcinfo, "_job_schedule");
}

DATAENG_ENTRY_QUIET_REQUIRED(dataeng_unschedule, "_job_unschedule")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_job_pause, "_job_pause")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_job_resume, "_job_resume")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_job_run_now, "_job_run_now")

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

/* field4 of the lock on a role's dependencies between jobs */
#define JOB_DEPS_LOCK_FIELD4 0x646a

PG_FUNCTION_INFO_V1(dataeng_job_cycle_check);

/*
 * dataeng_job_cycle_check
 *		(owner regrole, job_name text, depends_on text[]) RETURNS text: the
 *		cycle of dependencies (dataeng_internal._job_cycle) that the job of
 *		that owner and name would close with those upstream jobs, or NULL.
 *
 * A cycle could be closed half by each of two transactions, each seeing
 * the other's half not yet committed: so the dependencies of an owner's
 * jobs change one transaction at a time (a lock held until the end of the
 * transaction, out of reach of pg_advisory_lock(): no role makes another
 * role's schedule() wait), and the cycle is looked for with the latest
 * snapshot, which sees what a transaction that held the lock before
 * committed, even in a transaction whose snapshot is older (REPEATABLE
 * READ).  A cycle is of one owner's jobs (a job follows jobs of its own
 * owner), or of superusers' jobs (which may follow anyone's): those
 * share one lock.
 */
Datum
dataeng_job_cycle_check(PG_FUNCTION_ARGS)
{
	Oid			owner;
	LOCKTAG		tag;
	SPIPlanPtr	plan;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	Oid			argtypes[3] = {REGROLEOID, TEXTOID, TEXTARRAYOID};
	bool		isnull = true;
	Datum		path = (Datum) 0;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	owner = PG_GETARG_OID(0);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, 0, superuser_arg(owner) ? 0 : (uint32) owner,
						 JOB_DEPS_LOCK_FIELD4);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);
	SPI_connect();
	plan = SPI_prepare("SELECT dataeng_internal._job_cycle($1, $2, $3)", 3, argtypes);
	if (plan == NULL ||
		SPI_execute_snapshot(plan, values, nulls, GetLatestSnapshot(), InvalidSnapshot,
							 true, false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look for a cycle of dependencies of job \"%s\"",
			 text_to_cstring(PG_GETARG_TEXT_PP(1)));
	path = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		path = SPI_datumTransfer(path, false, -1);
	SPI_finish();
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(path);
}

PG_FUNCTION_INFO_V1(dataeng_restore_mark);

/*
 * dataeng_restore_mark
 *		Mark this session as a restore's until it ends: the restore lock
 *		(RESTORE_LOCK_KEY, common.h), held in share mode (the sessions of
 *		pg_restore -j each take it), which the scheduler and the WAL capture
 *		worker look for (DATAENG_RESTORE_SESSIONS_SQL).  Only the session
 *		of a role that may INSERT into dataeng.jobs or dataeng.cdc_tables,
 *		which a restore of them needs, is marked: another role's call does
 *		nothing (it could otherwise hold every job of the database back).
 *		The session's role, as those sessions are looked for, not the
 *		current user: dataeng.schedule() writes dataeng.jobs with more
 *		rights than its caller's, and a caller whose statement began with
 *		COPY dataeng.jobs ... TO STDOUT and named "from stdin" further on
 *		had its session marked.  And the current user too, outside any
 *		security-restricted operation: a restore's COPY inserts as the
 *		role it runs as, while code of a role that runs in the session of
 *		one that may write them (an on_change handler in the WAL capture
 *		worker, an alert handler, an index expression of a superuser's
 *		ANALYZE, a role reached by SET ROLE) marked that session, which
 *		held every job of the database back until it ended (the WAL
 *		worker's: for good).  Out of reach of pg_advisory_lock(), as the
 *		other locks of dataeng.
 */
Datum
dataeng_restore_mark(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;
	Oid			nsp = get_namespace_oid(DATAENG_SCHEMA, true);
	Oid			jobs = OidIsValid(nsp) ? get_relname_relid("jobs", nsp) : InvalidOid;
	Oid			cdc_tables = OidIsValid(nsp) ? get_relname_relid("cdc_tables", nsp) : InvalidOid;
	Oid			roles[2] = {GetSessionUserId(), GetUserId()};
	int			i;

	if (InSecurityRestrictedOperation())
		PG_RETURN_BOOL(false);
	for (i = 0; i < 2; i++)
		if (!((OidIsValid(jobs) && pg_class_aclcheck(jobs, roles[i], ACL_INSERT) == ACLCHECK_OK) ||
			  (OidIsValid(cdc_tables) && pg_class_aclcheck(cdc_tables, roles[i], ACL_INSERT) == ACLCHECK_OK)))
			PG_RETURN_BOOL(false);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, RESTORE_LOCK_KEY, 0, RESTORE_LOCK_FIELD4);
	(void) LockAcquire(&tag, ShareLock, true, false);
	PG_RETURN_BOOL(true);
}

PG_FUNCTION_INFO_V1(dataeng_owner_trusted);

/*
 * dataeng_owner_trusted
 *		Whether a role oid recorded in a row still names the role that row
 *		was written for: (owner regrole, owner_name name, owner_system
 *		bigint).  A role's oid means nothing in another cluster: pg_dump
 *		writes a live role as its name (a restore maps it by name) but a
 *		dropped one as a bare number, which a restore gives to whichever
 *		role has that oid there.  So the oid is trusted when a role has it
 *		and either the row was last seen in this cluster (owner_system is
 *		this cluster's system identifier) or that role's name is the one
 *		recorded (owner_name).  A row with no recorded name is never
 *		trusted: one restored from a dump of 0.1.0, which has no such
 *		columns, takes this cluster's identifier from the column's default
 *		whatever cluster its oid came from (so does a row written by hand
 *		without them); a superuser claims it by setting owner_name.  The
 *		rule of dataeng.jobs (the scheduler runs a job only then), of the
 *		runs, alerts, settings, dead letters, monitors and alert handlers
 *		(shown to that role, or acted on, only then) and of dedupe runs
 *		(undone by the role that ran them only then).
 */
Datum
dataeng_owner_trusted(PG_FUNCTION_ARGS)
{
	Oid			owner;
	HeapTuple	tup;
	bool		trusted = false;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	owner = PG_GETARG_OID(0);
	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));
	if (!HeapTupleIsValid(tup))
		PG_RETURN_BOOL(false);
	if (!PG_ARGISNULL(2) && PG_GETARG_INT64(2) == (int64) GetSystemIdentifier())
		trusted = true;
	else
		trusted = strcmp(NameStr(((Form_pg_authid) GETSTRUCT(tup))->rolname),
						 NameStr(*PG_GETARG_NAME(1))) == 0;
	ReleaseSysCache(tup);
	PG_RETURN_BOOL(trusted);
}
