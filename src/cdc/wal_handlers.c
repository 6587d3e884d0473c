/*-------------------------------------------------------------------------
 *
 * wal_handlers.c
 *		The on_change handlers of WAL-mode capture: calling them with a
 *		source transaction's changes, retries, dead letters, resuming a
 *		paused trigger; and the time limit of code a role wrote that runs in
 *		the WAL capture worker.
 *
 * A round (wal_apply.c) calls cdc_wal_run_handlers() after it wrote each
 * source transaction's records, and cdc_wal_run_backlog() then
 * cdc_wal_resume_triggers() before it decodes anything new.  Each call of
 * a handler runs in a subtransaction of the round, as the trigger's owner
 * under SECURITY_RESTRICTED_OPERATION with a pinned search_path and
 * statement and lock timeouts; a failing handler is retried with back-off,
 * then its batch goes to dataeng.dead_letters (or the trigger pauses,
 * on_error => 'pause').  The trigger's progress (handled_lsn) is recorded
 * in the round's transaction (wal_save() in wal_apply.c), so each change
 * is handled once.
 *
 * The worker is every role's: the handlers of one role may take at most
 * dataeng.on_change_role_budget of a round, and those of every role
 * together dataeng.on_change_round_budget (their calls and the waits
 * between retries; a call begun within it runs to its end or to
 * dataeng.on_change_timeout).  Past it, that role's batches are deferred:
 * each goes to dataeng_internal.on_change_backlog, in the round's
 * transaction, with the calls made so far and when the next may be made
 * (the back-off), and the round goes on capturing.  A trigger with a
 * backlog hands it to its handler first, oldest first, in the next rounds
 * (within its role's budget again), and its new batches join the backlog
 * until it is empty: each trigger's batches keep their commit order, and
 * a handled batch leaves the backlog in the transaction of the handler's
 * effects, so each is handled once.  A round thus waits for one role's
 * handlers at most its budget plus one call, and for all handlers at most
 * the round's budget plus one call, where it waited for every call and
 * retry of each trigger for each source transaction.  With no time limit
 * of a call's own (dataeng.on_change_timeout = 0) a call's statement and
 * lock timeouts are what is left of its role's budget: a call that reaches
 * it (a handler blocked on a lock) has not failed, its batch waits in the
 * backlog with no call counted.  (Such a call held capture of every table
 * of the database until it ended.)  A call that needs more than the whole
 * budget is cut off in every round: once the same batch's call was cut off
 * WAL_CUT_OFF_WARN times in a row, each time with its role's whole budget,
 * a WARNING says so (the count is kept with the batch, in the backlog or
 * in a resume's progress, and shown by dataeng.on_changes.calls_cut_off),
 * rather than nothing until the backlog's bound pauses the trigger.
 *
 * A trigger's backlog holds at most dataeng.on_change_max_backlog batches:
 * past it, the trigger pauses (pause_reason says why, with a WARNING), and
 * its backlog is set aside in dataeng.dead_letters as a paused trigger's
 * is, in commit order, nothing dropped; on_change_resume() hands it over.
 * And dataeng.dead_letters keeps at most dataeng.on_change_max_dead_letters
 * batches of a trigger with their changes: past it, the next ones are
 * counted in one dead letter without them (wal_not_kept).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/regproc.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "pgstat.h"

#include "common/common.h"
#include "cdc/cdc.h"
#include "cdc/wal.h"

/*
 * The time limit of code a role wrote that runs in the worker (handlers,
 * input functions): PostgreSQL's statement timer, which a background
 * worker does not arm by itself.  wal_deadline tells its expiry from a
 * cancel of the worker (pg_cancel_backend), which must end the round.
 */
static TimestampTz wal_deadline = 0;
static bool wal_subxact_registered = false;

/* whether the time of the code running now ran out */
static bool
wal_timed_out(void)
{
	return wal_deadline != 0 && GetCurrentTimestamp() >= wal_deadline;
}

/*
 * A subtransaction rolled back, past the deadline, inside the code the
 * timer bounds (a handler, an input function): the timer's cancel is asked
 * for again.  The code may have caught it (PL/pgSQL's EXCEPTION WHEN
 * query_canceled, in a loop): the timer fires once, and such a handler held
 * the database's one worker for ever, nothing of any role captured.  Asked
 * again at each rollback, the cancel meets the code at its next statement
 * outside the block that caught it, and the error leaves the code (as an
 * alert handler's, src/ops/handler.c).
 */
static void
wal_subxact_abort(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && wal_timed_out())
	{
		QueryCancelPending = true;
		InterruptPending = true;
	}
}

/* arm the timer for ms (<= 0: no limit) */
static void
wal_timer_arm(int ms)
{
	wal_deadline = 0;
	if (ms <= 0)
		return;
	if (!wal_subxact_registered)
	{
		RegisterSubXactCallback(wal_subxact_abort, NULL);
		wal_subxact_registered = true;
	}
	wal_deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);
	enable_timeout_after(STATEMENT_TIMEOUT, ms);
}

void
cdc_wal_timer_start(void)
{
	wal_timer_arm(cdc_on_change_timeout);
}

void
cdc_wal_timer_stop(void)
{
	/*
	 * an expiry not yet acted on, or a cancel asked for again past the
	 * deadline (wal_subxact_abort()), must not cancel what comes next
	 */
	if (get_timeout_indicator(STATEMENT_TIMEOUT, true) || wal_timed_out())
		QueryCancelPending = false;
	if (get_timeout_active(STATEMENT_TIMEOUT))
		disable_timeout(STATEMENT_TIMEOUT, false);
	wal_deadline = 0;
}

/*
 * Whether err is a cancel of the worker itself (pg_cancel_backend), which
 * ends the round, not the timer's expiry nor an error a role's code raised
 * with SQLSTATE 57014 (a handler's RAISE ... USING ERRCODE =
 * 'query_canceled', a remote statement's timeout passed on): those are
 * failures of that code.  Taken for a cancel, such an error ended every
 * round at the same change, and the worker, started again, met it again:
 * capture of every table of the database stopped for good.  Only
 * ProcessInterrupts() raises the cancel a signal asked for.
 */
bool
cdc_wal_cancelled(ErrorData *err)
{
	return err->sqlerrcode == ERRCODE_QUERY_CANCELED &&
		err->funcname != NULL && strcmp(err->funcname, "ProcessInterrupts") == 0 &&
		(wal_deadline == 0 || GetCurrentTimestamp() < wal_deadline);
}

/*
 * cdc_wal_name_timeout
 *		A cancel that the timer asked for again past the deadline
 *		(wal_subxact_abort()) reads "due to user request": named as the
 *		timer's first one is, before the timer is stopped.
 */
void
cdc_wal_name_timeout(ErrorData *err)
{
	if (err->sqlerrcode == ERRCODE_QUERY_CANCELED && err->funcname != NULL &&
		strcmp(err->funcname, "ProcessInterrupts") == 0 && wal_timed_out())
		err->message = pstrdup("canceling statement due to statement timeout");
}

/* whether role may read every change of relid (as dataeng_internal._cdc_can_read) */
static bool
wal_can_read(Oid role, Oid relid)
{
	bool		is_missing = false;
	Oid			nsp = get_rel_namespace(relid);

	return OidIsValid(nsp) &&
		pg_namespace_aclcheck(nsp, role, ACL_USAGE) == ACLCHECK_OK &&
		pg_class_aclcheck_ext(relid, role, ACL_SELECT, &is_missing) == ACLCHECK_OK &&
		!is_missing &&
		check_enable_rls(relid, role, true) != RLS_ENABLED;
}

/*
 * the changes of the current transaction for trigger t, as dataeng.change[]
 * (NULL: none); when they were too many to keep (r->written_overflow), an
 * empty array if it had any
 */
static ArrayType *
wal_change_array(WalRound *r, WalTrigger *t)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(r->nwritten, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < r->nwritten; i++)
	{
		WalWrittenChange *w = &r->written[i];
		Datum		values[CDC_CHANGE_MAX_ATTS];
		bool		nulls[CDC_CHANGE_MAX_ATTS];

		if (w->relid != t->relid || strchr(t->ops, w->op) == NULL)
			continue;
		if (r->written_overflow)
			return construct_empty_array(r->change_typid);
		/* (position, and any later attribute: NULL, not delivered yet) */
		memset(values, 0, sizeof(values));
		memset(nulls, true, sizeof(nulls));
		nulls[0] = nulls[1] = nulls[2] = nulls[3] = nulls[4] = nulls[5] = false;
		values[0] = Int64GetDatum(w->change_id);
		values[1] = r->xid;
		values[2] = LSNGetDatum(w->lsn);
		values[3] = TimestampTzGetDatum(r->commit_time);
		values[4] = ObjectIdGetDatum(w->relid);
		values[5] = CharGetDatum(w->op);
		values[6] = PointerGetDatum(w->pk);
		nulls[6] = (w->pk == NULL);
		values[7] = PointerGetDatum(w->oldrow);
		nulls[7] = (w->oldrow == NULL);
		values[8] = PointerGetDatum(w->newrow);
		nulls[8] = (w->newrow == NULL);
		elems[n++] = HeapTupleGetDatum(heap_form_tuple(r->change_desc, values, nulls));
	}
	if (n == 0)
		return NULL;
	return construct_array(elems, n, r->change_typid, -1, false, TYPALIGN_DOUBLE);
}

/*
 * how deep in handlers t's batch of the current transaction was written:
 * its deepest change's depth
 */
static int
wal_batch_depth(WalRound *r, WalTrigger *t)
{
	int			depth = 0;
	int			i;

	if (r->src_round == NULL)
		return 0;
	for (i = 0; i < r->nwritten; i++)
	{
		WalWrittenChange *w = &r->written[i];

		if (w->relid != t->relid || strchr(t->ops, w->op) == NULL)
			continue;
		depth = Max(depth, cdc_wal_depth_at(r, w->lsn));
	}
	return depth;
}

/*
 * wal_call_handler
 *		One call of t's handler with changes, in a subtransaction, as the
 *		trigger's owner under SECURITY_RESTRICTED_OPERATION with a pinned
 *		search_path, its statement_timeout and lock_timeout limit_ms.
 *		Returns NULL on success, else the error; *out_of_budget tells
 *		whether that error is the end of the limit (its timer, or its lock
 *		wait) when the limit is what was left of the role's budget
 *		(budget_limit: dataeng.on_change_timeout = 0).
 */
static ErrorData *
wal_call_handler(WalTrigger *t, ArrayType *changes, int limit_ms, bool budget_limit,
				 bool *out_of_budget)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile err = NULL;

	*out_of_budget = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		InternalSql save;
		FmgrInfo	flinfo;
		LOCAL_FCINFO(fcinfo, 1);

		/*
		 * The creator's role dropped (DROP OWNED leaves the trigger, which
		 * names its role by oid): say so, rather than "permission denied"
		 * naming no role
		 */
		if (t->owner_dropped || !SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(t->owner)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("role that created on_change trigger \"%s\" does not exist", t->name),
					 errdetail("Role with OID %u was dropped after the trigger was created; the handler is not called.", t->owner),
					 errhint("Drop the trigger with dataeng.on_change_drop() and create it again as an existing role; "
							 "dataeng.dead_letters keeps the changes it was not given.")));
		if (!wal_can_read(t->owner, t->relid))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", get_rel_name(t->relid)),
					 errdetail("Role %s, which created on_change trigger \"%s\", may no longer read the whole table.",
							   GetUserNameFromId(t->owner, true), t->name)));
		/*
		 * A handler dropped since on_change(): say so (for a superuser's
		 * trigger the ACL check passes and fmgr_info() would fail with
		 * "cache lookup failed", an internal error)
		 */
		if (!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(t->handler)))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("handler of on_change trigger \"%s\" does not exist", t->name),
					 errdetail("Function with OID %u was dropped after the trigger was created.", t->handler),
					 errhint("Drop the trigger with dataeng.on_change_drop() and create it again with a handler that exists; "
							 "dataeng.dead_letters keeps the changes it was not given.")));
		if (pg_proc_aclcheck(t->handler, t->owner, ACL_EXECUTE) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for function %s", format_procedure(t->handler))));

		internal_sql_begin(&save, t->owner);
		/* bounded: the worker is every role's */
		{
			char		ms[32];

			snprintf(ms, sizeof(ms), "%d", limit_ms);
			(void) set_config_option("statement_timeout", ms, PGC_SUSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
			(void) set_config_option("lock_timeout", ms, PGC_SUSET, PGC_S_SESSION,
									 GUC_ACTION_SAVE, true, 0, false);
		}
		fmgr_info(t->handler, &flinfo);
		InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = PointerGetDatum(changes);
		fcinfo->args[0].isnull = false;
		wal_timer_arm(limit_ms);
		(void) FunctionCallInvoke(fcinfo);
		cdc_wal_timer_stop();
		internal_sql_end(&save);

		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		bool		cancelled;

		MemoryContextSwitchTo(oldcxt);
		err = CopyErrorData();
		/* the handler's time ran out: a failure; the worker cancelled: not */
		cancelled = cdc_wal_cancelled(err);
		cdc_wal_name_timeout(err);

		/*
		 * (the timer's expiry, or a lock waited for past lock_timeout:
		 * both raised by ProcessInterrupts(), not by the handler, and past
		 * the deadline: a shorter lock_timeout the handler set itself
		 * fails it)
		 */
		if (budget_limit && !cancelled && err->funcname != NULL &&
			strcmp(err->funcname, "ProcessInterrupts") == 0 &&
			(err->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			 err->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE) &&
			wal_timed_out())
			*out_of_budget = true;
		cdc_wal_timer_stop();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (cancelled)
			ReThrowError(err);
	}
	PG_END_TRY();
	return err;
}

/*
 * wal_dead_count
 *		A trigger's dead letters, and the one counting its batches not kept:
 *		read from dataeng.dead_letters when the round first sets one of its
 *		batches aside (committed ones are what the bound counts, whatever a
 *		crash left in memory), then kept up by the round.  Read for every
 *		trigger by each round (wal_load_triggers), a count of up to
 *		dataeng.on_change_max_dead_letters rows each, 100,000 by default,
 *		cost the worker that much every round, most of them setting
 *		nothing aside.
 */
static void
wal_dead_count(WalTrigger *t)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	bool		isnull;

	if (t->dead_known)
		return;
	values[0] = ObjectIdGetDatum(t->relid);
	values[1] = CStringGetTextDatum(t->name);
	if (SPI_execute_with_args("SELECT pg_catalog.count(*),"
							  " coalesce(pg_catalog.max(x.id) FILTER (WHERE pg_catalog.starts_with(x.error, '" WAL_NOT_KEPT_PREFIX "')"
							  "  AND x.sqlstate OPERATOR(pg_catalog.=) '54000'), 0)"
							  " FROM dataeng.dead_letters x WHERE x.table_name OPERATOR(pg_catalog.=) $1"
							  " AND x.trigger_name OPERATOR(pg_catalog.=) $2",
							  2, types, values, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read dataeng.dead_letters");
	t->dead_n = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	t->not_kept_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	t->dead_known = true;
	SPI_freetuptable(SPI_tuptable);
}

/*
 * wal_not_kept
 *		A batch past dataeng.on_change_max_dead_letters: counted in the
 *		trigger's one dead letter of batches not kept (made by the first:
 *		changes empty, SQLSTATE 54000, commit_lsn the first's, attempts how
 *		many, error naming the last commit), with a WARNING when it is made.
 *		Every batch a paused or failing trigger set aside was kept with its
 *		changes, however many: a table written without end filled
 *		dataeng.dead_letters until dead_letters_keep trimmed it (and never,
 *		maintenance off).  Batches keep going there, in commit order, until
 *		that dead letter is deleted (on_change_dead_letter_delete(), after
 *		a replay from the change log, or by the trim): the batches it counts
 *		are one stretch of commits.
 */
static void
wal_not_kept(WalRound *r, WalTrigger *t, XLogRecPtr commit_lsn, TimestampTz commit_time)
{
	char	   *error;

	if (t->not_kept_id != 0)
	{
		Oid			types[3] = {INT8OID, PG_LSNOID, INT4OID};
		Datum		values[3];

		values[0] = Int64GetDatum(t->not_kept_id);
		values[1] = LSNGetDatum(commit_lsn);
		values[2] = Int32GetDatum(cdc_on_change_max_dead_letters);
		if (SPI_execute_with_args("UPDATE dataeng.dead_letters d"
								  " SET attempts = d.attempts OPERATOR(pg_catalog.+) 1, failed_at = pg_catalog.now(),"
								  " error = pg_catalog.format('" WAL_NOT_KEPT_PREFIX "%s batches of commits %s to %s, past dataeng.on_change_max_dead_letters (%s)',"
								  "  d.attempts OPERATOR(pg_catalog.+) 1, d.commit_lsn, $2, $3)"
								  " WHERE d.id OPERATOR(pg_catalog.=) $1",
								  3, types, values, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not update dataeng.dead_letters");
		if (SPI_processed == 1)
			return;
		/* deleted meanwhile: a new one */
		t->not_kept_id = 0;
	}
	error = psprintf(WAL_NOT_KEPT_PREFIX "1 batch of commit %X/%X, past dataeng.on_change_max_dead_letters (%d)",
					 LSN_FORMAT_ARGS(commit_lsn), cdc_on_change_max_dead_letters);
	{
		Oid			types[8] = {TEXTOID, OIDOID, OIDOID, PG_LSNOID, TIMESTAMPTZOID,
		r->change_arrayid, TEXTOID, TEXTOID};
		Datum		values[8];
		bool		isnull;

		values[0] = CStringGetTextDatum(t->name);
		values[1] = ObjectIdGetDatum(t->relid);
		values[2] = ObjectIdGetDatum(t->owner);
		values[3] = LSNGetDatum(commit_lsn);
		values[4] = TimestampTzGetDatum(commit_time);
		values[5] = PointerGetDatum(construct_empty_array(r->change_typid));
		values[6] = CStringGetTextDatum(error);
		values[7] = CStringGetTextDatum("The trigger's batches from this commit on are not kept with their changes; they are in the change log (dataeng.changes), as every captured change.");
		if (SPI_execute_with_args("INSERT INTO dataeng.dead_letters (trigger_name, table_name, owner,"
								  " commit_lsn, commit_time, changes, error, sqlstate, attempts, owner_name,"
								  " detail, hint)"
								  " VALUES ($1, $2, $3, $4, $5, $6, $7, '54000', 1,"
								  "  (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) $3),"
								  "  $8, 'Replay them from the change log, then delete this dead letter (dataeng.on_change_dead_letter_delete()); "
								  "delete or resume the others, or raise dataeng.on_change_max_dead_letters.')"
								  " RETURNING id",
								  8, types, values, NULL, false, 0) != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not write dataeng.dead_letters");
		t->not_kept_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		t->dead_n++;
	}
	ereport(WARNING,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("on_change trigger \"%s\" has %lld dead letters, the most dataeng.on_change_max_dead_letters (%d) allows: its next batches are not kept with their changes",
					t->name, (long long) t->dead_n - 1, cdc_on_change_max_dead_letters),
			 errdetail("From the batch of commit %X/%X on, its batches set aside or failed are counted in dead letter " INT64_FORMAT
					   " without their changes, which are in the change log (dataeng.changes), until that dead letter is deleted.",
					   LSN_FORMAT_ARGS(commit_lsn), t->not_kept_id),
			 errhint("Handle or delete its dead letters (dataeng.on_change_resume(), dataeng.on_change_dead_letter_delete()), "
					 "or raise dataeng.on_change_max_dead_letters.")));
}

/*
 * put a batch into dataeng.dead_letters, with how deep in handlers it was
 * written (a resume hands it over as deep: resumed from level 1, a loop of
 * handlers went 16 levels further after each resume)
 */
static void
wal_dead_letter(WalRound *r, WalTrigger *t, XLogRecPtr commit_lsn, TimestampTz commit_time,
				ArrayType *changes, ErrorData *err, int attempts, int depth)
{
	Oid			types[12] = {TEXTOID, OIDOID, OIDOID, PG_LSNOID, TIMESTAMPTZOID,
	r->change_arrayid, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID};
	Datum		values[12];
	char		nulls[12];

	/* past its bound (or behind batches not kept): counted, not kept */
	wal_dead_count(t);
	if (t->not_kept_id != 0 ||
		(cdc_on_change_max_dead_letters > 0 && t->dead_n >= cdc_on_change_max_dead_letters))
	{
		wal_not_kept(r, t, commit_lsn, commit_time);
		return;
	}
	t->dead_n++;
	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(t->name);
	values[1] = ObjectIdGetDatum(t->relid);
	values[2] = ObjectIdGetDatum(t->owner);
	values[3] = LSNGetDatum(commit_lsn);
	values[4] = TimestampTzGetDatum(commit_time);
	values[5] = PointerGetDatum(changes);
	if (err)
	{
		values[6] = CStringGetTextDatum(err->message ? err->message : "");
		values[7] = CStringGetTextDatum(unpack_sql_state(err->sqlerrcode));
	}
	else
	{
		values[6] = CStringGetTextDatum("not handled: the trigger is paused");
		nulls[7] = 'n';
	}
	values[8] = Int32GetDatum(attempts);
	/* the handler's DETAIL and HINT, kept with its message */
	if (err && err->detail)
		values[9] = CStringGetTextDatum(err->detail);
	else
		nulls[9] = 'n';
	if (err && err->hint)
		values[10] = CStringGetTextDatum(err->hint);
	else
		nulls[10] = 'n';
	values[11] = Int32GetDatum(depth);
	if (SPI_execute_with_args("INSERT INTO dataeng.dead_letters (trigger_name, table_name, owner,"
							  " commit_lsn, commit_time, changes, error, sqlstate, attempts, owner_name,"
							  " detail, hint, depth)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
							  "  (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) $3),"
							  "  $10, $11, $12)",
							  12, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dataeng.dead_letters");
}

/*
 * wal_pause
 *		The round pauses t, for reason (kept in on_change_triggers.
 *		pause_reason by wal_save()), its set-aside batches from the one of
 *		commit resume_from on (InvalidXLogRecPtr: from the next one set
 *		aside).
 */
static void
wal_pause(WalRound *r, WalTrigger *t, XLogRecPtr resume_from, const char *reason)
{
	t->paused = true;
	t->resume_from = resume_from;
	t->pause_reason = MemoryContextStrdup(r->roundcxt, reason);
}

/*
 * wal_batch_too_large
 *		The changes of the current source transaction for trigger t took
 *		more memory than dataeng.on_change_max_batch: the worker did not
 *		keep them (wal_written_overflow() in wal_apply.c), and the handler
 *		is not called.  The batch goes to dataeng.dead_letters without its
 *		changes (they are in the change log), with the reason (54000), as
 *		a failed batch does: a WARNING, and the trigger paused with
 *		on_error => 'pause' (a paused trigger sets it aside as any batch).
 *		Capture and the other triggers go on.
 */
static void
wal_batch_too_large(WalRound *r, WalTrigger *t, XLogRecPtr commit_lsn, TimestampTz commit_time)
{
	ErrorData  *err = palloc0(sizeof(ErrorData));

	err->elevel = ERROR;
	err->sqlerrcode = ERRCODE_PROGRAM_LIMIT_EXCEEDED;
	err->message = psprintf("the changes of the transaction of commit %X/%X take more than dataeng.on_change_max_batch (%d kB)",
							LSN_FORMAT_ARGS(commit_lsn), cdc_on_change_max_batch);
	err->detail = psprintf("on_change trigger \"%s\" gets a transaction's changes as one array, which the database's WAL capture worker holds in memory: "
						   "its handler was not called with them. They are in the change log (dataeng.changes), as every captured change.",
						   t->name);
	err->hint = pstrdup("Write the table in smaller transactions, or have a superuser raise dataeng.on_change_max_batch; "
						"a consumer (dataeng.cdc_consumer_create) reads a transaction of any size.");
	if (t->paused)
	{
		if (t->resume_from == InvalidXLogRecPtr)
			t->resume_from = commit_lsn;
		wal_dead_letter(r, t, commit_lsn, commit_time, construct_empty_array(r->change_typid), err, 0, 0);
		return;
	}
	ereport(WARNING,
			(errcode(err->sqlerrcode),
			 errmsg("on_change trigger \"%s\" was not called with the changes of commit %X/%X; its batch goes to dataeng.dead_letters without them",
					t->name, LSN_FORMAT_ARGS(commit_lsn)),
			 errdetail("SQLSTATE %s: %s", unpack_sql_state(err->sqlerrcode), err->message)));
	wal_dead_letter(r, t, commit_lsn, commit_time, construct_empty_array(r->change_typid), err, 0, 0);
	if (t->pause_on_error)
		wal_pause(r, t, commit_lsn,
				  psprintf("on_error => 'pause': the batch of commit %X/%X was too large (dataeng.on_change_max_batch)",
						   LSN_FORMAT_ARGS(commit_lsn)));
}

/*
 * calls of one batch, each given its role's whole budget, cut off in a row
 * (dataeng.on_change_timeout = 0) before a WARNING says that the handler
 * cannot complete within the budget (pipeline_status says it from there
 * too: sql/ops.sql)
 */
#define WAL_CUT_OFF_WARN 5

/* what the calls of a handler with a batch came to */
typedef enum WalCall
{
	WAL_CALL_OK,				/* handled */
	WAL_CALL_FAILED,			/* failed its last retry */
	WAL_CALL_DEFERRED			/* its role's (or the round's) budget is spent */
} WalCall;

/* the time a role's handlers took in the round */
typedef struct WalBudget
{
	Oid			role;
	long		spent_ms;
} WalBudget;

static WalBudget *
wal_budget(WalRound *r, Oid role)
{
	ListCell   *lc;
	WalBudget  *b;
	MemoryContext old;

	foreach(lc, r->budgets)
	{
		b = lfirst(lc);
		if (b->role == role)
			return b;
	}
	old = MemoryContextSwitchTo(r->roundcxt);
	b = palloc0(sizeof(WalBudget));
	b->role = role;
	r->budgets = lappend(r->budgets, b);
	MemoryContextSwitchTo(old);
	return b;
}

/*
 * what is left of role's budget of the round, in ms (<= 0: spent): of its
 * own, and of the round's for every role
 */
static long
wal_budget_left(WalRound *r, Oid role)
{
	return Min((long) cdc_on_change_role_budget - wal_budget(r, role)->spent_ms,
			   (long) cdc_on_change_round_budget - r->handlers_ms);
}

static void
wal_budget_charge(WalRound *r, Oid role, TimestampTz since)
{
	long		ms = TimestampDifferenceMilliseconds(since, GetCurrentTimestamp());

	wal_budget(r, role)->spent_ms += ms;
	r->handlers_ms += ms;
}

/* the wait after a batch's attempt-th failed call: 0.1 s, 0.4 s, ... 10 s */
static long
wal_backoff(int attempt)
{
	long		backoff = 100;

	while (--attempt > 0 && backoff < 10000)
		backoff *= 4;
	return Min(backoff, 10000);
}

/*
 * wal_call_with_retries
 *		Call t's handler with a batch (written by handlers depth levels
 *		deep), retried with back-off, while its role's budget of the round
 *		lasts.  *attempts: the calls made before
 *		(a batch deferred in an earlier round), then in all.  WAL_CALL_OK:
 *		handled; WAL_CALL_FAILED: the last retry failed, *err its error;
 *		WAL_CALL_DEFERRED: the budget was spent before a call or is too
 *		short for the back-off before the next (*err the last failure, if
 *		any): no call before *not_before (0: the next round).  *cut_off: the
 *		calls of the batch (of commit commit_lsn) that were cut off in a row
 *		with their role's whole budget (dataeng.on_change_timeout = 0),
 *		before, then after; a call that ends otherwise sets it to 0.
 */
static WalCall
wal_call_with_retries(WalRound *r, WalTrigger *t, ArrayType *changes, XLogRecPtr commit_lsn,
					  int depth, int *attempts, int *cut_off, TimestampTz *not_before, ErrorData **err)
{
	*err = NULL;
	*not_before = 0;
	for (;;)
	{
		TimestampTz start;
		long		backoff;
		long		left = wal_budget_left(r, t->owner);
		bool		budget_limit = (cdc_on_change_timeout <= 0);
		bool		out_of_budget;
		XLogRecPtr	wal_before;

		if (left <= 0)
			return WAL_CALL_DEFERRED;
		start = GetCurrentTimestamp();

		/*
		 * With no time limit of its own (dataeng.on_change_timeout = 0), a
		 * call may take what is left of its role's budget of the round: a
		 * handler blocked on a lock (or longer than that) held the worker,
		 * and capture of every table of the database, until it ended.
		 */
		wal_before = XactLastRecEnd;
		*err = wal_call_handler(t, changes,
								budget_limit ? (int) Min(left, (long) INT_MAX) : cdc_on_change_timeout,
								budget_limit, &out_of_budget);
		wal_budget_charge(r, t->owner, start);
		r->handler_called = true;
		if (out_of_budget)
		{
			/*
			 * not a failure: the batch waits, its calls as they were, for
			 * a later round (and its role's full budget).  Cut off with the
			 * whole budget, again and again, the call needs more than it
			 * (or waits that long for a lock): said once, as a WARNING.
			 */
			if (left >= Min((long) cdc_on_change_role_budget, (long) cdc_on_change_round_budget) &&
				++(*cut_off) == WAL_CUT_OFF_WARN)
				ereport(WARNING,
						(errcode((*err)->sqlerrcode),
						 errmsg("on_change trigger \"%s\" cannot complete a call within its role's budget of a round: its call with the batch of commit %X/%X was cut off %d times in a row",
								t->name, LSN_FORMAT_ARGS(commit_lsn), *cut_off),
						 errdetail("dataeng.on_change_timeout is 0, so a call may take at most dataeng.on_change_role_budget (%d ms); each of these calls had all of it and ended with: %s. "
								   "The batch is tried again in every round, and the trigger's later batches wait behind it in its backlog%s.",
								   cdc_on_change_role_budget, (*err)->message,
								   cdc_on_change_max_backlog > 0 ? " until dataeng.on_change_max_backlog pauses it" : ""),
						 errhint("Raise dataeng.on_change_role_budget above what one call of the handler takes (or end what holds the lock it waits for), "
								 "make the handler faster, or set dataeng.on_change_timeout so that such a call fails into dataeng.dead_letters.")));
			ereport(t->backlog ? DEBUG1 : LOG,
					(errmsg("on_change trigger \"%s\" ran out of its role's budget of the round in a call: its batch waits for a later round",
							t->name),
					 errdetail("dataeng.on_change_timeout is 0, so a call may take what is left of dataeng.on_change_role_budget "
							   "(and of dataeng.on_change_round_budget), %ld ms; it ended with: %s",
							   left, (*err)->message)));
			return WAL_CALL_DEFERRED;
		}
		*cut_off = 0;
		(*attempts)++;
		if (*err == NULL)
		{
			/* what the handler wrote commits with the round, one level deeper */
			if (XactLastRecEnd > wal_before)
				cdc_wal_depth_call(r, wal_before, XactLastRecEnd, depth + 1);
			return WAL_CALL_OK;
		}
		if (*attempts > cdc_on_change_retries)
			return WAL_CALL_FAILED;
		/*
		 * The creator's role or the handler dropped does not come back
		 * under its oid: no retry (each would hold capture up for nothing)
		 */
		if (t->owner_dropped || !SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(t->owner)) ||
			!SearchSysCacheExists1(PROCOID, ObjectIdGetDatum(t->handler)))
			return WAL_CALL_FAILED;
		ereport(LOG,
				(errmsg("on_change trigger \"%s\" failed (attempt %d of %d): %s",
						t->name, *attempts, cdc_on_change_retries + 1, (*err)->message)));
		backoff = wal_backoff(*attempts);
		if (wal_budget_left(r, t->owner) < backoff)
		{
			*not_before = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), backoff);
			return WAL_CALL_DEFERRED;
		}
		start = GetCurrentTimestamp();

		/*
		 * The whole backoff: the latch is also set by the sessions that
		 * wait for the worker (_cdc_wal_wake(), every 20 ms while they
		 * wait), which must not make the retries come sooner.
		 */
		for (;;)
		{
			long		left = backoff -
				TimestampDifferenceMilliseconds(start, GetCurrentTimestamp());

			if (left <= 0)
				break;
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 left, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
		}
		wal_budget_charge(r, t->owner, start);
	}
}

/* a batch whose handler failed for good: a dead letter, the trigger paused with on_error => 'pause' */
static void
wal_batch_failed(WalRound *r, WalTrigger *t, XLogRecPtr commit_lsn, TimestampTz commit_time,
				 ArrayType *changes, ErrorData *err, int attempts, int depth)
{
	/* (the handler's SQLSTATE, kept as the warning's and said) */
	ereport(WARNING,
			(errcode(err->sqlerrcode),
			 errmsg("on_change trigger \"%s\" failed %d times; its batch of commit %X/%X goes to dataeng.dead_letters",
					t->name, attempts, LSN_FORMAT_ARGS(commit_lsn)),
			 errdetail("SQLSTATE %s: %s", unpack_sql_state(err->sqlerrcode), err->message)));
	wal_dead_letter(r, t, commit_lsn, commit_time, changes, err, attempts, depth);
	if (t->pause_on_error)
		wal_pause(r, t, commit_lsn,
				  psprintf("on_error => 'pause': the batch of commit %X/%X failed %d times (SQLSTATE %s)",
						   LSN_FORMAT_ARGS(commit_lsn), attempts, unpack_sql_state(err->sqlerrcode)));
}

/*
 * wal_batch_too_deep
 *		The batch of commit commit_lsn was written by on_change handlers
 *		depth >= WAL_HANDLER_MAX_DEPTH levels deep (a handler writing a table whose
 *		handlers write ... its own table): t's handler is not called with
 *		it, and its batch goes to dataeng.dead_letters (54001, as
 *		PostgreSQL's stack depth limit), as a failed batch does.  Otherwise
 *		such handlers fed each other in every round for ever, each round a
 *		change more, while capture went on.
 */
static void
wal_batch_too_deep(WalRound *r, WalTrigger *t, XLogRecPtr commit_lsn, TimestampTz commit_time,
				   ArrayType *changes, int depth)
{
	ErrorData  *err = palloc0(sizeof(ErrorData));

	err->sqlerrcode = ERRCODE_STATEMENT_TOO_COMPLEX;
	err->message = psprintf("the changes of commit %X/%X were written by on_change handlers %d levels deep",
							LSN_FORMAT_ARGS(commit_lsn), depth);
	err->detail = psprintf("An on_change handler wrote them, called with changes that an on_change handler wrote, "
						   "and so on %d times: handlers that write the tables of each other's triggers (or their own) "
						   "would feed each other for ever.", depth);
	err->hint = pstrdup("Make the handler leave the changes of its own writes alone; the changes are in the change log.");
	ereport(WARNING,
			(errcode(err->sqlerrcode),
			 errmsg("on_change trigger \"%s\" is not called with the batch of commit %X/%X: %s",
					t->name, LSN_FORMAT_ARGS(commit_lsn), err->message),
			 errdetail("%s", err->detail),
			 errhint("%s", err->hint)));
	wal_dead_letter(r, t, commit_lsn, commit_time, changes, err, 0, depth);
	if (t->pause_on_error)
		wal_pause(r, t, commit_lsn,
				  psprintf("on_error => 'pause': the batch of commit %X/%X was written by on_change handlers %d levels deep (SQLSTATE 54001)",
						   LSN_FORMAT_ARGS(commit_lsn), depth));
}

/*
 * wal_defer
 *		The current source transaction's batch for t waits in its backlog
 *		(t's role spent its budget of the round, or t has a backlog), with
 *		how deep in handlers it was written: handed over from there, it
 *		counted from level 1 again, and a loop of handlers whose batches
 *		went through the backlog was never stopped.
 */
static void
wal_defer(WalRound *r, WalTrigger *t, ArrayType *changes, int attempts, int cut_off,
		  TimestampTz not_before, int depth)
{
	Oid			types[10] = {TEXTOID, PG_LSNOID, PG_LSNOID, PG_LSNOID, TIMESTAMPTZOID,
	r->change_arrayid, INT4OID, TIMESTAMPTZOID, INT4OID, INT4OID};
	Datum		values[10];
	char		nulls[10] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

	/*
	 * The backlog's bound: a handler slower than its table's writes for
	 * good made it grow without end, and the database with it.  Past it
	 * the trigger pauses: this batch still joins the backlog (after the
	 * older ones), and the next round sets the whole backlog aside in
	 * dataeng.dead_letters, in commit order, as a paused trigger's batches
	 * are (wal_backlog_trigger), from where on_change_resume() hands them
	 * to the handler.  Nothing is dropped.
	 */
	if (cdc_on_change_max_backlog > 0 && !t->paused && t->backlog_n >= cdc_on_change_max_backlog)
	{
		ereport(WARNING,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("on_change trigger \"%s\" is paused: its backlog reached dataeng.on_change_max_backlog (%d batches)",
						t->name, cdc_on_change_max_backlog),
				 errdetail("Its handler fell behind its table's writes (the batch of commit %X/%X found %lld waiting). "
						   "Its backlog and its next batches go to dataeng.dead_letters, in commit order, "
						   "from where dataeng.on_change_resume() hands them to the handler; capture goes on.",
						   LSN_FORMAT_ARGS(r->commit_lsn), (long long) t->backlog_n),
				 errhint("Make the handler faster or raise dataeng.on_change_role_budget, then call dataeng.on_change_resume(%s).",
						 quote_literal_cstr(t->name))));
		wal_pause(r, t, InvalidXLogRecPtr,
				  psprintf("its backlog reached dataeng.on_change_max_backlog (%d batches)", cdc_on_change_max_backlog));
	}
	values[0] = CStringGetTextDatum(t->name);
	values[1] = LSNGetDatum(t->from_lsn);
	values[2] = LSNGetDatum(r->commit_lsn);
	values[3] = LSNGetDatum(r->end_lsn);
	values[4] = TimestampTzGetDatum(r->commit_time);
	values[5] = PointerGetDatum(changes);
	values[6] = Int32GetDatum(attempts);
	values[7] = TimestampTzGetDatum(not_before);
	if (not_before == 0)
		nulls[7] = 'n';
	values[8] = Int32GetDatum(cut_off);
	values[9] = Int32GetDatum(depth);
	if (SPI_execute_with_args("INSERT INTO dataeng_internal.on_change_backlog"
							  " (trigger_name, from_lsn, commit_lsn, end_lsn, commit_time, changes, attempts, not_before, cut_off, depth)"
							  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
							  10, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dataeng_internal.on_change_backlog");
	t->backlog_n++;
	if (!t->backlog)
	{
		const char *role = GetUserNameFromId(t->owner, true);

		if (r->handlers_ms >= cdc_on_change_round_budget)
			ereport(LOG,
					(errmsg("on_change trigger \"%s\" is deferred: the handlers took dataeng.on_change_round_budget (%d ms) of this round",
							t->name, cdc_on_change_round_budget),
					 errdetail("Its batches, from commit %X/%X on, wait in a backlog that the next rounds hand to the handler in commit order; "
							   "capture goes on meanwhile.",
							   LSN_FORMAT_ARGS(r->commit_lsn))));
		else
			ereport(LOG,
					(errmsg("on_change trigger \"%s\" is deferred: the handlers of role %s took dataeng.on_change_role_budget (%d ms) of this round",
							t->name, role ? role : "?", cdc_on_change_role_budget),
					 errdetail("Its batches, from commit %X/%X on, wait in a backlog that the next rounds hand to the handler in commit order; "
							   "capture goes on meanwhile.",
							   LSN_FORMAT_ARGS(r->commit_lsn))));
	}
	t->backlog = true;
}

/*
 * wal_trigger_busy
 *		Whether another transaction holds t's row of on_change_triggers
 *		(on_change_pause(), on_change_resume() or on_change_drop() of its
 *		role, in a transaction still open).  The round records each
 *		trigger's progress in that row (wal_save), and waited for it as
 *		long as that transaction lasted, which the trigger's owner decides:
 *		capture of every table of the database with it.  So the round locks
 *		the row before it acts for the trigger, without waiting; a busy
 *		trigger's batches wait in its backlog (in commit order), handled by
 *		a later round, and its row is left as it is.
 *
 *		The row locked is the one last committed, which may be newer than
 *		the one the round read (wal_load_triggers): a transaction that held
 *		it may have ended since, pausing the trigger.  Its pause counts from
 *		here on (the trigger's batches, its backlog too, are set aside):
 *		with the state the round read, a backlog held back by an
 *		on_change_pause() was handed to the handler after that pause had
 *		returned and committed.  A resume asked for since is left to the
 *		next round; one asked for before and withdrawn since (a pause again)
 *		is not done.  Once locked, the row stays as it is until the round
 *		ends.
 */
static bool
wal_trigger_busy(WalRound *r, WalTrigger *t, bool say)
{
	Oid			types[2] = {TEXTOID, PG_LSNOID};
	Datum		values[2];

	if (t->claimed)
		return false;
	if (t->busy)
		return true;
	values[0] = CStringGetTextDatum(t->name);
	values[1] = LSNGetDatum(t->from_lsn);
	if (SPI_execute_with_args("SELECT t.paused_at IS NOT NULL, t.resume_requested"
							  " FROM dataeng_internal.on_change_triggers t"
							  " WHERE t.trigger_name OPERATOR(pg_catalog.=) $1"
							  " AND t.from_lsn OPERATOR(pg_catalog.=) $2"
							  " FOR NO KEY UPDATE SKIP LOCKED",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock a row of dataeng_internal.on_change_triggers");
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		if (DatumGetBool(SPI_getbinval(tup, desc, 1, &isnull)))
			t->paused = true;
		if (!DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull)))
			t->resume = false;
		SPI_freetuptable(SPI_tuptable);
		t->claimed = true;
		return false;
	}
	/* (or dropped since the round read it: its backlog goes with it) */
	t->busy = true;
	if (say)
		ereport(LOG,
				(errmsg("on_change trigger \"%s\" is deferred: another transaction holds its row of dataeng_internal.on_change_triggers",
						t->name),
				 errdetail("Its batches wait in its backlog, which a later round hands to the handler in commit order; "
						   "capture goes on meanwhile.")));
	return true;
}

/*
 * wal_trigger_dropped
 *		Whether t is gone since the round read the triggers: a handler
 *		called in this round may drop or pause its own trigger or another
 *		one of its role (on_change_drop(), on_change_pause(), DROP TABLE),
 *		and a trigger dropped is called no more, from the next change on.
 *		A trigger paused meanwhile is paused from here on: its batches are
 *		set aside.  (Read again only after a handler was called: the
 *		changes of other sessions committed during the round count from
 *		there too.)
 */
static bool
wal_trigger_dropped(WalRound *r, WalTrigger *t)
{
	/* (planned once per worker: the lookup comes before many calls) */
	static SPIPlanPtr plan = NULL;
	Datum		values[4];
	bool		isnull;

	if (t->dropped)
		return true;
	if (!r->handler_called)
		return false;
	if (plan == NULL)
	{
		Oid			types[4] = {TEXTOID, OIDOID, OIDOID, PG_LSNOID};
		SPIPlanPtr	p;

		/*
		 * (from_lsn tells a trigger made again under the same name, table
		 * and handler from the one the round read: it is made at a later
		 * position, and handles only the transactions committed after it)
		 */
		p = SPI_prepare("SELECT t.paused_at IS NOT NULL AND NOT t.resume_requested"
						" FROM dataeng_internal.on_change_triggers t"
						" WHERE t.trigger_name OPERATOR(pg_catalog.=) $1"
						" AND t.table_name::oid OPERATOR(pg_catalog.=) $2"
						" AND " WAL_TRIGGER_HANDLER_SQL
						" OPERATOR(pg_catalog.=) $3"
						" AND t.from_lsn OPERATOR(pg_catalog.=) $4",
						4, types);
		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "could not plan the lookup of dataeng_internal.on_change_triggers: %s",
				 SPI_result_code_string(SPI_result));
		plan = p;
	}
	values[0] = CStringGetTextDatum(t->name);
	values[1] = ObjectIdGetDatum(t->relid);
	values[2] = ObjectIdGetDatum(t->handler);
	values[3] = LSNGetDatum(t->from_lsn);
	if (SPI_execute_plan(plan, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng_internal.on_change_triggers");
	if (SPI_processed == 0)
	{
		/* (a trigger made again under its name is another one) */
		t->dropped = true;
		ereport(LOG,
				(errmsg("on_change trigger \"%s\" was dropped during a round: its handler is not called any more",
						t->name)));
		return true;
	}
	if (DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		t->paused = true;
	return false;
}

/* call the handlers of the current source transaction's changes */
void
cdc_wal_run_handlers(WalRound *r)
{
	ListCell   *lc;

	foreach(lc, r->triggers)
	{
		WalTrigger *t = lfirst(lc);
		ArrayType  *changes;
		ErrorData  *err = NULL;
		int			attempts = 0;
		int			cut_off = 0;
		TimestampTz not_before;
		XLogRecPtr	handled_before;
		int			depth;

		if (r->commit_lsn <= t->from_lsn || r->end_lsn <= t->handled_lsn)
			continue;
		changes = wal_change_array(r, t);
		if (changes == NULL)
			continue;
		if (wal_trigger_dropped(r, t))
			continue;
		t->touched = true;
		depth = wal_batch_depth(r, t);
		/* (its row held by another transaction: behind a backlog) */
		if (wal_trigger_busy(r, t, !t->backlog))
			t->backlog = true;
		/* behind its backlog, in commit order (paused or not: see cdc_wal_run_backlog) */
		if (t->backlog)
		{
			wal_defer(r, t, r->written_overflow ? construct_empty_array(r->change_typid) : changes, 0, 0, 0, depth);
			continue;
		}
		handled_before = t->handled_lsn;
		t->handled_lsn = r->end_lsn;
		if (r->written_overflow)
		{
			wal_batch_too_large(r, t, r->commit_lsn, r->commit_time);
			continue;
		}
		if (t->paused)
		{
			/* set aside, in commit order, until on_change_resume() */
			if (t->resume_from == InvalidXLogRecPtr)
				t->resume_from = r->commit_lsn;
			wal_dead_letter(r, t, r->commit_lsn, r->commit_time, changes, NULL, 0, depth);
			continue;
		}
		if (depth >= WAL_HANDLER_MAX_DEPTH)
		{
			wal_batch_too_deep(r, t, r->commit_lsn, r->commit_time, changes, depth);
			continue;
		}
		switch (wal_call_with_retries(r, t, changes, r->commit_lsn, depth, &attempts, &cut_off, &not_before, &err))
		{
			case WAL_CALL_OK:
				break;
			case WAL_CALL_FAILED:
				wal_batch_failed(r, t, r->commit_lsn, r->commit_time, changes, err, attempts, depth);
				break;
			case WAL_CALL_DEFERRED:
				/* (not handled yet: its progress stays where it was) */
				t->handled_lsn = handled_before;
				wal_defer(r, t, changes, attempts, cut_off, not_before, depth);
				break;
		}
	}
}

/*
 * wal_backlog_trigger
 *		Hand t's backlog to its handler, oldest first, while its role's
 *		budget lasts; each batch handled (or gone to dataeng.dead_letters)
 *		leaves the backlog in the round's transaction.  A paused trigger's
 *		backlog is set aside in dataeng.dead_letters, in commit order, from
 *		where on_change_resume() hands it to the handler.
 */
static void
wal_backlog_trigger(WalRound *r, WalTrigger *t, MemoryContext cxt)
{
	Oid			types[2] = {TEXTOID, PG_LSNOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(t->name);
	values[1] = LSNGetDatum(t->from_lsn);
	for (;;)
	{
		HeapTuple	tup;
		TupleDesc	desc;
		bool		isnull;
		int64		id;
		XLogRecPtr	commit_lsn;
		XLogRecPtr	end_lsn;
		TimestampTz commit_time;
		ArrayType  *changes;
		int			attempts;
		int			cut_off;
		int			depth;
		bool		due;
		TimestampTz not_before;
		ErrorData  *err;
		MemoryContext old;
		WalCall		res;

		MemoryContextReset(cxt);
		/* (the budget spent: a later round goes on) */
		if (!t->paused && wal_budget_left(r, t->owner) <= 0)
			return;
		/*
		 * The oldest batch, without its changes: they are read only to be
		 * handed over (a batch waiting for its back-off, up to 10 s, was
		 * read whole, up to dataeng.on_change_max_batch, in every round)
		 */
		if (SPI_execute_with_args("SELECT b.id, b.commit_lsn, b.end_lsn, b.commit_time, b.attempts,"
								  " b.not_before IS NULL OR b.not_before OPERATOR(pg_catalog.<=) pg_catalog.clock_timestamp(),"
								  " b.cut_off, b.depth"
								  " FROM dataeng_internal.on_change_backlog b"
								  " WHERE b.trigger_name OPERATOR(pg_catalog.=) $1"
								  " AND b.from_lsn OPERATOR(pg_catalog.=) $2"
								  " ORDER BY b.commit_lsn, b.id LIMIT 1",
								  2, types, values, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read dataeng_internal.on_change_backlog");
		if (SPI_processed == 0)
		{
			t->backlog = false;
			t->backlog_n = 0;
			ereport(LOG,
					(errmsg("on_change trigger \"%s\" has handled its backlog", t->name)));
			return;
		}
		tup = SPI_tuptable->vals[0];
		desc = SPI_tuptable->tupdesc;
		id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		commit_lsn = DatumGetLSN(SPI_getbinval(tup, desc, 2, &isnull));
		end_lsn = DatumGetLSN(SPI_getbinval(tup, desc, 3, &isnull));
		commit_time = DatumGetTimestampTz(SPI_getbinval(tup, desc, 4, &isnull));
		attempts = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		due = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		cut_off = DatumGetInt32(SPI_getbinval(tup, desc, 7, &isnull));
		depth = DatumGetInt32(SPI_getbinval(tup, desc, 8, &isnull));
		SPI_freetuptable(SPI_tuptable);

		if (wal_trigger_dropped(r, t))
			return;
		/* (its back-off: a later round goes on; a batch kept without its changes has none) */
		if (!t->paused && !due)
			return;
		{
			Oid			ctypes[1] = {INT8OID};
			Datum		cvalues[1];

			cvalues[0] = Int64GetDatum(id);
			if (SPI_execute_with_args("SELECT b.changes FROM dataeng_internal.on_change_backlog b"
									  " WHERE b.id OPERATOR(pg_catalog.=) $1",
									  1, ctypes, cvalues, NULL, false, 1) != SPI_OK_SELECT ||
				SPI_processed != 1)
				elog(ERROR, "could not read dataeng_internal.on_change_backlog");
			old = MemoryContextSwitchTo(cxt);
			changes = DatumGetArrayTypePCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			MemoryContextSwitchTo(old);
			SPI_freetuptable(SPI_tuptable);
		}
		r->resumed_any = true;
		t->touched = true;
		if (ArrayGetNItems(ARR_NDIM(changes), ARR_DIMS(changes)) == 0)
			wal_batch_too_large(r, t, commit_lsn, commit_time);
		else if (t->paused)
		{
			/*
			 * set aside in commit order, until on_change_resume(), with the
			 * calls made to hand it over before the trigger paused
			 */
			if (t->resume_from == InvalidXLogRecPtr)
				t->resume_from = commit_lsn;
			wal_dead_letter(r, t, commit_lsn, commit_time, changes, NULL, attempts, depth);
		}
		else if (depth >= WAL_HANDLER_MAX_DEPTH)
		{
			/* (as deep as it was written: the backlog does not reset it) */
			wal_batch_too_deep(r, t, commit_lsn, commit_time, changes, depth);
		}
		else
		{
			res = wal_call_with_retries(r, t, changes, commit_lsn, depth, &attempts, &cut_off, &not_before, &err);
			if (res == WAL_CALL_DEFERRED)
			{
				Oid			utypes[4] = {INT8OID, INT4OID, TIMESTAMPTZOID, INT4OID};
				Datum		uvalues[4];
				char		unulls[4] = {' ', ' ', ' ', ' '};

				uvalues[0] = Int64GetDatum(id);
				uvalues[1] = Int32GetDatum(attempts);
				uvalues[2] = TimestampTzGetDatum(not_before);
				if (not_before == 0)
					unulls[2] = 'n';
				uvalues[3] = Int32GetDatum(cut_off);
				if (SPI_execute_with_args("UPDATE dataeng_internal.on_change_backlog b SET attempts = $2, not_before = $3,"
										  " cut_off = $4"
										  " WHERE b.id OPERATOR(pg_catalog.=) $1",
										  4, utypes, uvalues, unulls, false, 0) != SPI_OK_UPDATE)
					elog(ERROR, "could not write dataeng_internal.on_change_backlog");
				return;
			}
			if (res == WAL_CALL_FAILED)
				wal_batch_failed(r, t, commit_lsn, commit_time, changes, err, attempts, depth);
		}
		{
			Oid			dtypes[1] = {INT8OID};
			Datum		dvalues[1];

			dvalues[0] = Int64GetDatum(id);
			if (SPI_execute_with_args("DELETE FROM dataeng_internal.on_change_backlog b WHERE b.id OPERATOR(pg_catalog.=) $1",
									  1, dtypes, dvalues, NULL, false, 0) != SPI_OK_DELETE)
				elog(ERROR, "could not delete from dataeng_internal.on_change_backlog");
		}
		t->backlog_n--;
		t->handled_lsn = end_lsn;
	}
}

/*
 * cdc_wal_run_backlog
 *		Before the round decodes anything new: the triggers with a backlog
 *		hand it to their handlers (wal_backlog_trigger), starting each round
 *		from another trigger, so that one trigger of a role does not take
 *		its role's budget every round.  The backlog of a trigger dropped
 *		meanwhile goes.
 */
void
cdc_wal_run_backlog(WalRound *r)
{
	static uint32 turn = 0;
	int			n = list_length(r->triggers);
	int			i;
	MemoryContext cxt;

	if (SPI_execute("DELETE FROM dataeng_internal.on_change_backlog b"
					" WHERE NOT EXISTS (SELECT 1 FROM dataeng_internal.on_change_triggers t"
					"  WHERE t.trigger_name OPERATOR(pg_catalog.=) b.trigger_name"
					"  AND t.from_lsn OPERATOR(pg_catalog.=) b.from_lsn)",
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete from dataeng_internal.on_change_backlog");
	/* (and the progress of a resume whose batch left dataeng.dead_letters) */
	if (SPI_execute("DELETE FROM dataeng_internal.on_change_resume_progress p"
					" WHERE NOT EXISTS (SELECT 1 FROM dataeng.dead_letters d"
					"  WHERE d.id OPERATOR(pg_catalog.=) p.dead_letter_id)",
					false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not delete from dataeng_internal.on_change_resume_progress");
	if (n == 0)
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng on_change backlog",
								ALLOCSET_DEFAULT_SIZES);
	turn++;
	for (i = 0; i < n; i++)
	{
		WalTrigger *t = list_nth(r->triggers, (int) ((turn + (uint32) i) % (uint32) n));

		if (t->backlog && !t->dropped && !wal_trigger_busy(r, t, false))
			wal_backlog_trigger(r, t, cxt);
	}
	MemoryContextDelete(cxt);
}

/*
 * wal_resume_progress
 *		The calls made to hand a set-aside batch (dead letter id) to its
 *		handler in a resume its role's budget cut, and when the next may be
 *		(*not_before, 0: at once): the next rounds go on from there, so that
 *		the batch gets its retries as in one round.  Kept in
 *		dataeng_internal.on_change_resume_progress, written in the round's
 *		transaction: a restart of the worker goes on from there too (kept in
 *		the worker's memory, a resume started its retries again, as many
 *		times as the worker restarted).
 */
static int
wal_resume_progress(int64 id, TimestampTz *not_before, int *cut_off)
{
	Oid			types[1] = {INT8OID};
	Datum		values[1];
	bool		isnull;
	int			attempts;
	Datum		nb;

	*not_before = 0;
	*cut_off = 0;
	values[0] = Int64GetDatum(id);
	if (SPI_execute_with_args("SELECT p.attempts, p.not_before, p.cut_off FROM dataeng_internal.on_change_resume_progress p"
							  " WHERE p.dead_letter_id OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng_internal.on_change_resume_progress");
	if (SPI_processed == 0)
		return 0;
	attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	nb = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
	if (!isnull)
		*not_before = DatumGetTimestampTz(nb);
	*cut_off = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	SPI_freetuptable(SPI_tuptable);
	return attempts;
}

/* keep (calls made or cut off) or forget the progress of dead letter id */
static void
wal_resume_progress_keep(int64 id, int attempts, TimestampTz not_before, int cut_off)
{
	Oid			types[4] = {INT8OID, INT4OID, TIMESTAMPTZOID, INT4OID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	values[0] = Int64GetDatum(id);
	if (attempts == 0 && cut_off == 0)
	{
		if (SPI_execute_with_args("DELETE FROM dataeng_internal.on_change_resume_progress p"
								  " WHERE p.dead_letter_id OPERATOR(pg_catalog.=) $1",
								  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete from dataeng_internal.on_change_resume_progress");
		return;
	}
	values[1] = Int32GetDatum(attempts);
	values[2] = TimestampTzGetDatum(not_before);
	if (not_before == 0)
		nulls[2] = 'n';
	values[3] = Int32GetDatum(cut_off);
	if (SPI_execute_with_args("INSERT INTO dataeng_internal.on_change_resume_progress AS p"
							  " (dead_letter_id, attempts, not_before, cut_off) VALUES ($1, $2, $3, $4)"
							  " ON CONFLICT (dead_letter_id) DO UPDATE"
							  " SET attempts = EXCLUDED.attempts, not_before = EXCLUDED.not_before,"
							  " cut_off = EXCLUDED.cut_off",
							  4, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dataeng_internal.on_change_resume_progress");
}

/*
 * Resume the triggers on_change_resume() asked for: hand their set-aside
 * batches (dead letters from the one that paused the trigger on) to the
 * handler in commit order, each deleted from dataeng.dead_letters once
 * handled, all in this round's transaction; then the trigger handles the
 * round's batches again.  A batch that fails again (after its retries)
 * stays, with the new error, and the trigger stays paused.  A batch is
 * handed over as deep in handlers as it was written (dead_letters.depth),
 * also one set aside that deep (54001): its handler's writes are one level
 * deeper, so a loop of handlers does not go on past the resume.
 */
void
cdc_wal_resume_triggers(WalRound *r)
{
	ListCell   *lc;

	foreach(lc, r->triggers)
	{
		WalTrigger   *t = lfirst(lc);
		Oid			types[2] = {TEXTOID, PG_LSNOID};
		Datum		values[2];
		SPITupleTable *dl;
		uint64		n;
		uint64		i;
		bool		failed = false;

		if (!t->resume)
			continue;
		/* (its row held by another transaction: a later round resumes it) */
		if (wal_trigger_busy(r, t, false))
			continue;
		/* (paused again since the round read it: not resumed) */
		if (!t->resume)
			continue;
		t->touched = true;
		r->resumed_any = true;
		if (!t->paused)
			continue;
		values[0] = CStringGetTextDatum(t->name);
		values[1] = LSNGetDatum(t->resume_from);
		if (t->resume_from == InvalidXLogRecPtr)
		{
			/* paused by hand, nothing set aside yet */
			dl = NULL;
			n = 0;
		}
		else if (SPI_execute_with_args("SELECT d.id, d.changes, d.commit_lsn, d.depth FROM dataeng.dead_letters d"
								  " WHERE d.trigger_name OPERATOR(pg_catalog.=) $1"
								  " AND d.commit_lsn OPERATOR(pg_catalog.>=) $2"
								  " ORDER BY d.commit_lsn, d.id",
								  2, types, values, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read dataeng.dead_letters");
		else
		{
			dl = SPI_tuptable;
			n = SPI_processed;
		}
		for (i = 0; i < n; i++)
		{
			bool		isnull;
			Datum		id = SPI_getbinval(dl->vals[i], dl->tupdesc, 1, &isnull);
			ArrayType  *changes = DatumGetArrayTypePCopy(SPI_getbinval(dl->vals[i], dl->tupdesc, 2, &isnull));
			XLogRecPtr	lsn = DatumGetLSN(SPI_getbinval(dl->vals[i], dl->tupdesc, 3, &isnull));
			int			depth = DatumGetInt32(SPI_getbinval(dl->vals[i], dl->tupdesc, 4, &isnull));
			ErrorData  *err;
			int			attempts;
			int			cut_off;
			TimestampTz not_before;
			WalCall		res;
			Oid			utypes[6] = {INT8OID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID};
			Datum		uvalues[6];
			char		unulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

			/* (dropped by a handler: its set-aside batches stay) */
			if (wal_trigger_dropped(r, t))
			{
				failed = true;
				break;
			}
			/*
			 * a batch kept without its changes (too large for the worker,
			 * wal_batch_too_large()): nothing to call the handler with; it
			 * stays, saying so
			 */
			if (ArrayGetNItems(ARR_NDIM(changes), ARR_DIMS(changes)) == 0)
				continue;
			/*
			 * (a resume its role's budget cut goes on in a later round
			 * from the calls made so far, after their back-off)
			 */
			attempts = wal_resume_progress(DatumGetInt64(id), &not_before, &cut_off);
			if (not_before != 0 && GetCurrentTimestamp() < not_before)
				res = WAL_CALL_DEFERRED;
			else
				res = wal_call_with_retries(r, t, changes, lsn, depth, &attempts, &cut_off, &not_before, &err);
			if (res == WAL_CALL_DEFERRED)
			{
				wal_resume_progress_keep(DatumGetInt64(id), attempts, not_before, cut_off);
				t->resume_later = true;
				failed = true;
				break;
			}
			wal_resume_progress_keep(DatumGetInt64(id), 0, 0, 0);
			uvalues[0] = id;
			if (res == WAL_CALL_OK)
			{
				if (SPI_execute_with_args("DELETE FROM dataeng.dead_letters d WHERE d.id OPERATOR(pg_catalog.=) $1",
										  1, utypes, uvalues, NULL, false, 0) != SPI_OK_DELETE)
					elog(ERROR, "could not delete from dataeng.dead_letters");
				if (t->dead_known)
					t->dead_n--;
				continue;
			}
			uvalues[1] = CStringGetTextDatum(err->message ? err->message : "");
			uvalues[2] = CStringGetTextDatum(unpack_sql_state(err->sqlerrcode));
			uvalues[3] = Int32GetDatum(attempts);
			if (err->detail)
				uvalues[4] = CStringGetTextDatum(err->detail);
			else
				unulls[4] = 'n';
			if (err->hint)
				uvalues[5] = CStringGetTextDatum(err->hint);
			else
				unulls[5] = 'n';
			if (SPI_execute_with_args("UPDATE dataeng.dead_letters d SET error = $2, sqlstate = $3,"
									  " attempts = d.attempts OPERATOR(pg_catalog.+) $4, failed_at = pg_catalog.now(),"
									  " detail = $5, hint = $6"
									  " WHERE d.id OPERATOR(pg_catalog.=) $1",
									  6, utypes, uvalues, unulls, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not update dataeng.dead_letters");
			ereport(WARNING,
					(errcode(err->sqlerrcode),
					 errmsg("on_change trigger \"%s\" stays paused: its batch of commit %X/%X failed %d more times",
							t->name, LSN_FORMAT_ARGS(lsn), attempts),
					 errdetail("SQLSTATE %s: %s", unpack_sql_state(err->sqlerrcode), err->message)));
			failed = true;
			break;
		}
		if (!failed)
		{
			t->paused = false;
			t->resume_from = InvalidXLogRecPtr;
			t->resumed = true;
			ereport(LOG,
					(errmsg("on_change trigger \"%s\" resumed after handling %llu set-aside batches",
							t->name, (unsigned long long) n)));
		}
	}
}

