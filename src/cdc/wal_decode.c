/*-------------------------------------------------------------------------
 *
 * wal_decode.c
 *		The WAL capture worker's logical decoding context, kept open for the
 *		worker's life, and the store of the pgoutput messages of a round.
 *
 * The worker (wal_worker.c) acquires its slot dataeng_wal_<db oid> once and
 * decodes it in its own process, as PostgreSQL's walsender does, rather
 * than through pg_logical_slot_peek_binary_changes() each round: no
 * decoding context is built per round, the WAL is read once (a peek
 * started again from the slot's restart point each round, and
 * pg_replication_slot_advance() decoded the same WAL a second time), and
 * the messages are not materialized as SQL rows.
 *
 * A round (wal_apply.c) calls cdc_wal_decode(): it reads WAL records from
 * where the last round stopped up to the end of flushed WAL (to the end of
 * the record that the flushed position may fall in: the round flushes the
 * rest first, wal_flush_inserted()), or until a
 * source transaction brings the messages of the round to
 * dataeng.wal_batch_changes (a commit record yields one whole transaction:
 * a round never stops in the middle of one).  pgoutput writes each message
 * through this file's writer callbacks into a tuplestore, which keeps at
 * most logical_decoding_work_mem in memory and spills the rest to a
 * temporary file, as PostgreSQL's reorder buffer does with the changes it
 * holds: a huge transaction costs disk, not memory.  The
 * round then reads the store in order, with a mark at a transaction's
 * BEGIN to read its messages again (CdcWalMsgs).
 *
 * Decoding runs inside the round's transaction, each source transaction
 * in a subtransaction the reorder buffer rolls back, under historic
 * catalog snapshots: the system caches are invalidated before and after,
 * as pg_logical_slot_get_changes() does, so that neither the round's
 * catalog lookups nor the decoding see the other's entries.  The context
 * is created inside a transaction too, so that the worker is not marked as
 * a decoding-only process: its own snapshots keep holding back vacuum.
 *
 * A change pgoutput fails to make a message of (its change callback
 * raises an error) would fail every round at the same change, for good:
 * a row of a table whose text form passes 1 GB with its old row or its
 * other columns ("Cannot enlarge string buffer"; two columns of 300 MB of
 * bytea, in hex), written by the table's owner, stopped the capture of
 * every table of the database, and the slot kept the WAL from there on.
 * So the failure is noted before it ends the round; the worker rolls the
 * round back, frees the decoding context (the failing transaction is gone
 * from the reorder buffer, the memory of the failed attempt goes with it)
 * and decodes again from the slot (cdc_wal_decode_failure(), wal_worker.c),
 * calling pgoutput for each change up to
 * that one in a subtransaction of its own (wal_change_guarded), and one
 * that fails again becomes a message CDC_WAL_MSG_UNSENT in its place,
 * with which the round stops that table alone, as for a change it cannot
 * decode (an error of the change itself: a value pgoutput cannot put in
 * text form, past 1 GB; any other is the worker's, as before).  So are
 * the later changes of the relations of the last such failures
 * (WAL_GUARD_RELS, in shared memory, for the next worker) and of every
 * relation this worker found so: otherwise each row its owner writes so
 * ends a round again.  The other changes cost no subtransaction.  (The
 * failure is noted in shared memory too, cdc_wal_guard_note(), for a next
 * worker should this one end.)  A change that runs pgoutput out of memory
 * is decoded again after a wait, unguarded (memory may be short for a
 * while), and guarded after CDC_WAL_OOM_ATTEMPTS such failures of that
 * change: out of memory again there stops its table as above.
 *
 * The slot's position moves only when the worker calls cdc_wal_confirm()
 * after the round's transaction committed and its commit record is flushed
 * (LogicalConfirmReceivedLocation, as the walsender does when a subscriber
 * reports a flushed position; with synchronous_commit = off the commit
 * alone is not durable):
 * re-decoding after a crash is what it was, harmless, because of
 * cdc_wal_state.applied_lsn.  An error ends the worker, and with it the
 * context; the next worker decodes again from the slot's position.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlogreader.h"
#include "access/xlogutils.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "replication/decode.h"
#include "replication/logicalproto.h"
#include "replication/logical.h"
#include "replication/output_plugin.h"
#include "replication/pgoutput.h"
#include "replication/reorderbuffer.h"
#include "replication/slot.h"
#include "storage/spin.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"

#include "cdc/wal.h"

/* the decoding context of the worker's slot, for the worker's life */
static LogicalDecodingContext *wal_ctx = NULL;

/* the store the writer callbacks fill during cdc_wal_decode() */
static CdcWalMsgs *wal_filling = NULL;

/* pgoutput's change callback, which wal_change_cb() calls */
static LogicalDecodeChangeCB wal_pgoutput_change = NULL;
/* pgoutput's message callback, which wal_message_cb() calls */
static LogicalDecodeMessageCB wal_pgoutput_message = NULL;
/* the changes up to here, and those of these relations, are guarded (cdc_wal_guard_upto()) */
static XLogRecPtr wal_guard_upto = InvalidXLogRecPtr;
static Oid	wal_guard_rels[WAL_GUARD_RELS];
/*
 * and those a round of this worker found failing or stopped
 * (cdc_wal_guard_rel()): a hash table in TopMemoryContext, which costs a
 * change of another table one lookup however many there are (a list was
 * searched whole for each change)
 */
static HTAB *wal_guard_more = NULL;

/*
 * The change pgoutput failed on in this decoding with an error of the
 * change or out of memory (wal_change_cb, wal_change_guarded): the round
 * is rolled back, and cdc_wal_decode_failure() says what the worker does.
 */
static XLogRecPtr wal_failed_lsn = InvalidXLogRecPtr;
static Oid	wal_failed_rel = InvalidOid;
static int	wal_failed_code = 0;

/* the position after whose failure this worker last decoded guarded */
static XLogRecPtr wal_guarded_lsn = InvalidXLogRecPtr;

/*
 * Out of memory: the last changes that ran out of it, each with the
 * decodings it did so in (counted for each change, so that two changes
 * failing in turn do not start each other's count again, for ever); and
 * the last changes that ran out of it CDC_WAL_OOM_ATTEMPTS times, which
 * stop their tables (wal_change_guarded) when they fail so again.
 */
#define WAL_OOM_FIRST_WAIT	1000	/* ms, doubled at each attempt */
#define WAL_OOM_KEPT		16
#define WAL_OOM_STOPPED		64
static XLogRecPtr wal_oom_lsn[WAL_OOM_KEPT];
static int	wal_oom_fails[WAL_OOM_KEPT];
static int	wal_oom_next = 0;
static XLogRecPtr wal_oom_stopped[WAL_OOM_STOPPED];
static int	wal_oom_stopped_next = 0;

/*
 * The relations whose capture is stopped, as the round read them
 * (cdc_wal_stopped_rel()): a change of theirs that runs pgoutput out of
 * memory is not decoded again after a wait (its table captures nothing),
 * where each such row of a stopped table held the capture of every table
 * 7 s and decoded the WAL again 4 times.
 */
static HTAB *wal_stopped = NULL;

/*
 * The relation and change pgoutput makes messages of, while the relation
 * has stored generated columns (wal_change_cb): wal_do_write adds their
 * stored values to the row message (wal_gen_append), in wal_gen_cxt
 */
static Relation wal_gen_rel = NULL;
static ReorderBufferChange *wal_gen_change = NULL;
static MemoryContext wal_gen_cxt = NULL;

/* a message buffer grown past this is given back after its message */
#define WAL_OUT_KEEP	(8 * 1024 * 1024)

/* read pointers of the store: the round's scan, the mark, a replay */
#define MSGS_SCAN	0
#define MSGS_MARK	1
#define MSGS_REPLAY	2

/*
 * pgoutput's message goes after room for a varlena header in ctx->out, so
 * that the writer stores it as a bytea without copying it first (the
 * walsender leaves room for its own header the same way).
 */
static void
wal_prepare_write(LogicalDecodingContext *ctx, XLogRecPtr lsn, TransactionId xid,
				  bool last_write)
{
	resetStringInfo(ctx->out);
	appendStringInfoSpaces(ctx->out, VARHDRSZ);
}

/* the values of the stored generated columns of desc in tuple */
static void
wal_gen_tuple(StringInfo out, TupleDesc desc, HeapTuple tuple)
{
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);
	int			i;

	heap_deform_tuple(tuple, desc, values, nulls);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			output;
		bool		isvarlena;
		char	   *text;

		if (att->attisdropped || att->attgenerated != ATTRIBUTE_GENERATED_STORED)
			continue;
		if (nulls[i])
		{
			pq_sendbyte(out, LOGICALREP_COLUMN_NULL);
			continue;
		}
		/* (as pgoutput: an UPDATE's unchanged TOASTed value is not in the WAL) */
		if (att->attlen == -1 && VARATT_IS_EXTERNAL_ONDISK(values[i]))
		{
			pq_sendbyte(out, LOGICALREP_COLUMN_UNCHANGED);
			continue;
		}
		getTypeOutputInfo(att->atttypid, &output, &isvarlena);
		text = OidOutputFunctionCall(output, values[i]);
		pq_sendbyte(out, LOGICALREP_COLUMN_TEXT);
		pq_sendint32(out, strlen(text));
		pq_sendbytes(out, text, strlen(text));
	}
}

/*
 * wal_gen_append
 *		Add to pgoutput's row message in out (of change, of rel) the values
 *		of rel's stored generated columns that the WAL holds, which pgoutput
 *		(PostgreSQL 15) leaves out (CDC_WAL_GEN_VALUES): the worker records
 *		them rather than compute them again, under its own settings, with
 *		a result that may differ from what the writer stored (an expression
 *		that reads a setting through an output function: f::text of a
 *		float8 under the writer's extra_float_digits, b::text of a bytea
 *		under its bytea_output).  By name, as pgoutput's columns: a
 *		partition's change names the columns of its root.
 */
static void
wal_gen_append(StringInfo out, Relation rel, ReorderBufferChange *change)
{
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext old;
	int			n = 0;
	int			i;

	if (wal_gen_cxt == NULL)
		wal_gen_cxt = AllocSetContextCreate(TopMemoryContext, "dataeng wal generated values",
											ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(wal_gen_cxt);
	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped &&
			TupleDescAttr(desc, i)->attgenerated == ATTRIBUTE_GENERATED_STORED)
			n++;
	pq_sendbyte(out, CDC_WAL_GEN_VALUES);
	pq_sendint16(out, n);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attgenerated != ATTRIBUTE_GENERATED_STORED)
			continue;
		pq_sendstring(out, NameStr(att->attname));
		pq_sendint32(out, att->atttypid);
	}
	if (change->action != REORDER_BUFFER_CHANGE_INSERT && change->data.tp.oldtuple != NULL)
	{
		pq_sendbyte(out, 'O');
		wal_gen_tuple(out, desc, &change->data.tp.oldtuple->tuple);
	}
	if (change->action != REORDER_BUFFER_CHANGE_DELETE && change->data.tp.newtuple != NULL)
	{
		pq_sendbyte(out, 'N');
		wal_gen_tuple(out, desc, &change->data.tp.newtuple->tuple);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(wal_gen_cxt);
}

static void
wal_do_write(LogicalDecodingContext *ctx, XLogRecPtr lsn, TransactionId xid,
			 bool last_write)
{
	CdcWalMsgs *m = wal_filling;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (m == NULL)
		elog(ERROR, "pgoutput wrote a message outside of a round");
	if (wal_gen_change != NULL && ctx->out->len > VARHDRSZ &&
		(ctx->out->data[VARHDRSZ] == LOGICAL_REP_MSG_INSERT ||
		 ctx->out->data[VARHDRSZ] == LOGICAL_REP_MSG_UPDATE ||
		 ctx->out->data[VARHDRSZ] == LOGICAL_REP_MSG_DELETE))
		wal_gen_append(ctx->out, wal_gen_rel, wal_gen_change);
	SET_VARSIZE(ctx->out->data, ctx->out->len);
	values[0] = LSNGetDatum(lsn);
	values[1] = PointerGetDatum(ctx->out->data);
	tuplestore_putvalues(m->store, m->desc, values, nulls);
	m->count++;

	/*
	 * The buffer of a large row's message (up to 1 GB) is given back: it
	 * was kept, at its largest, for the worker's life.
	 */
	if (ctx->out->maxlen > WAL_OUT_KEEP)
	{
		MemoryContext old = MemoryContextSwitchTo(ctx->context);

		pfree(ctx->out->data);
		initStringInfo(ctx->out);
		MemoryContextSwitchTo(old);
	}
}

/*
 * wal_pgoutput_change_gen
 *		pgoutput's change callback, its row message with the values of the
 *		relation's stored generated columns (wal_gen_append).
 */
static void
wal_pgoutput_change_gen(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						Relation relation, ReorderBufferChange *change)
{
	TupleDesc	desc = RelationGetDescr(relation);

	if (desc->constr == NULL || !desc->constr->has_generated_stored)
	{
		wal_pgoutput_change(ctx, txn, relation, change);
		return;
	}
	wal_gen_rel = relation;
	wal_gen_change = change;
	PG_TRY();
	{
		wal_pgoutput_change(ctx, txn, relation, change);
	}
	PG_FINALLY();
	{
		wal_gen_rel = NULL;
		wal_gen_change = NULL;
	}
	PG_END_TRY();
}

/*
 * wal_change_error
 *		Whether an error of pgoutput's change callback is one the change
 *		itself brings about, which stops its table: a value pgoutput cannot
 *		put in text form (data exceptions), a message or a value past 1 GB
 *		("Cannot enlarge string buffer", 54000; "invalid memory alloc
 *		request size", XX000).  Anything else (a cancel, a shutdown, memory
 *		short for a while, the publication missing in the WAL's catalog) is
 *		the worker's own failure, as before: the table would lose its
 *		changes for it.
 */
static bool
wal_change_error(int sqlerrcode)
{
	return ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_PROGRAM_LIMIT_EXCEEDED ||
		sqlerrcode == ERRCODE_INTERNAL_ERROR;
}

/*
 * wal_change_guarded
 *		pgoutput's change callback in a subtransaction: on an error of the
 *		change (below), the partial message is dropped and a message
 *		CDC_WAL_MSG_UNSENT naming the relation and the error goes to the
 *		store in its place.
 */
static void
wal_change_guarded(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				   Relation relation, ReorderBufferChange *change)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile err = NULL;
	bool		oom;
	Oid			relid;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		wal_pgoutput_change_gen(ctx, txn, relation, change);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		err = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_END_TRY();
	if (err == NULL)
		return;

	oom = (err->sqlerrcode == ERRCODE_OUT_OF_MEMORY);
	if (!oom && !wal_change_error(err->sqlerrcode))
		ReThrowError(err);

	/*
	 * The text forms pgoutput made of the row's values (up to 1 GB) go:
	 * pgoutput resets its context only after a change it sent, so that
	 * each failing row of a transaction kept its own, and a few rows of
	 * hundreds of MB ran the worker out of memory (an error that fails
	 * the round at that change again, for good).  (Only transient data:
	 * pgoutput resets it after each change.)
	 */
	MemoryContextReset(((PGOutputData *) ctx->output_plugin_private)->context);

	/* the partial message (up to 1 GB) goes, with its buffer */
	{
		MemoryContext old = MemoryContextSwitchTo(ctx->context);

		pfree(ctx->out->data);
		initStringInfo(ctx->out);
		MemoryContextSwitchTo(old);
	}
	ctx->prepared_write = false;

	/*
	 * Out of memory: memory may be short for a while only, the round is
	 * tried again (cdc_wal_decode_failure()), unless this change ran out
	 * of it in each of the last CDC_WAL_OOM_ATTEMPTS decodings, or its
	 * table's capture is stopped (nothing of it is captured: its rows held
	 * every table up 7 s each, cdc_wal_stopped_rel()).
	 */
	relid = RelationGetRelid(relation);
	if (oom && (wal_stopped == NULL ||
				hash_search(wal_stopped, &relid, HASH_FIND, NULL) == NULL))
	{
		int			i;

		for (i = 0; i < WAL_OOM_STOPPED && wal_oom_stopped[i] != change->lsn; i++)
			;
		if (i == WAL_OOM_STOPPED || XLogRecPtrIsInvalid(change->lsn))
		{
			wal_failed_lsn = change->lsn;
			wal_failed_rel = relid;
			wal_failed_code = err->sqlerrcode;
			ReThrowError(err);
		}
		err->message = psprintf("out of memory in each of %d attempts, %d s apart at most",
								CDC_WAL_OOM_ATTEMPTS,
								(WAL_OOM_FIRST_WAIT << (CDC_WAL_OOM_ATTEMPTS - 2)) / 1000);
	}
	OutputPluginPrepareWrite(ctx, true);
	pq_sendbyte(ctx->out, CDC_WAL_MSG_UNSENT);
	pq_sendint32(ctx->out, RelationGetRelid(relation));
	pq_sendint32(ctx->out, err->sqlerrcode);
	pq_sendstring(ctx->out, err->message ? err->message : "");
	pq_sendstring(ctx->out, err->detail ? err->detail : "");
	OutputPluginWrite(ctx, true);
	FreeErrorData(err);
}

/*
 * wal_message_cb
 *		The logical message callback of the worker's decoding: pgoutput's
 *		for the transactional message of a DROP (CDC_WAL_DROP_PREFIX,
 *		ddl.c), without its content, which the worker does not read.  Any
 *		other message is left out: any role may write logical messages
 *		(pg_logical_emit_message) of any prefix and up to 1 GB, outside a
 *		transaction too, which were each copied to the round's store.
 */
static void
wal_message_cb(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			   XLogRecPtr message_lsn, bool transactional,
			   const char *prefix, Size message_size, const char *message)
{
	if (!transactional || strcmp(prefix, CDC_WAL_DROP_PREFIX) != 0)
		return;
	wal_pgoutput_message(ctx, txn, message_lsn, transactional, prefix, 0, "");
}

/*
 * wal_change_cb
 *		The change callback of the worker's decoding: pgoutput's, guarded
 *		up to the position of a change it failed on before (noted here
 *		when that failure ends the round).
 */
static void
wal_change_cb(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			  Relation relation, ReorderBufferChange *change)
{
	Oid			relid = RelationGetRelid(relation);
	int			i;

	if (change->lsn <= wal_guard_upto)
	{
		wal_change_guarded(ctx, txn, relation, change);
		return;
	}
	for (i = 0; i < WAL_GUARD_RELS && OidIsValid(wal_guard_rels[i]); i++)
		if (wal_guard_rels[i] == relid)
		{
			wal_change_guarded(ctx, txn, relation, change);
			return;
		}
	if (wal_guard_more != NULL && hash_search(wal_guard_more, &relid, HASH_FIND, NULL) != NULL)
	{
		wal_change_guarded(ctx, txn, relation, change);
		return;
	}
	PG_TRY();
	{
		wal_pgoutput_change_gen(ctx, txn, relation, change);
	}
	PG_CATCH();
	{
		/* (the error being thrown: nothing allocated, memory may be short) */
		int			code = geterrcode();

		if (wal_change_error(code) || code == ERRCODE_OUT_OF_MEMORY)
		{
			wal_failed_lsn = change->lsn;
			wal_failed_rel = relid;
			wal_failed_code = code;
		}
		/* (for the next worker, should this one end) */
		if (wal_change_error(code))
			cdc_wal_guard_note(change->lsn, relid);
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * cdc_wal_decode_failure
 *		What the worker does about the error sqlerrcode that ended a round,
 *		now rolled back: CDC_WAL_FAIL_GUARD when pgoutput failed on a
 *		change with an error of the change (wal_change_error()) or out of
 *		memory in CDC_WAL_OOM_ATTEMPTS decodings, and no guarded decoding
 *		went past it yet: the worker decodes again at once, each change up
 *		to it in a subtransaction, and one that fails so again stops its
 *		table alone; CDC_WAL_FAIL_RETRY, the first times it ran out of
 *		memory there: the worker decodes again after *wait_ms (memory may
 *		be short for a while: another process, a large sort); else
 *		CDC_WAL_FAIL_WORKER, the worker's own failure (it ends, as
 *		before).  *relid, *lsn and *attempt name the change and the
 *		attempts so far.  The decoding context is to be freed before the
 *		next decoding (cdc_wal_decoding_end()): the failing transaction is
 *		gone from its reorder buffer, and the memory of the failed attempt
 *		goes with it.
 */
CdcWalFailure
cdc_wal_decode_failure(int sqlerrcode, Oid *relid, XLogRecPtr *lsn, int *attempt, int *wait_ms)
{
	XLogRecPtr	failed = wal_failed_lsn;

	wal_failed_lsn = InvalidXLogRecPtr;
	*relid = wal_failed_rel;
	*lsn = failed;
	*attempt = 1;
	*wait_ms = 0;
	if (XLogRecPtrIsInvalid(failed) || sqlerrcode != wal_failed_code)
		return CDC_WAL_FAIL_WORKER;
	if (sqlerrcode == ERRCODE_OUT_OF_MEMORY)
	{
		int			i;

		for (i = 0; i < WAL_OOM_KEPT && wal_oom_lsn[i] != failed; i++)
			;
		if (i == WAL_OOM_KEPT)
		{
			i = wal_oom_next;
			wal_oom_next = (wal_oom_next + 1) % WAL_OOM_KEPT;
			wal_oom_lsn[i] = failed;
			wal_oom_fails[i] = 0;
		}
		*attempt = ++wal_oom_fails[i];
		if (wal_oom_fails[i] < CDC_WAL_OOM_ATTEMPTS)
		{
			*wait_ms = WAL_OOM_FIRST_WAIT << (wal_oom_fails[i] - 1);
			return CDC_WAL_FAIL_RETRY;
		}
		wal_oom_lsn[i] = InvalidXLogRecPtr;
		wal_oom_stopped[wal_oom_stopped_next] = failed;
		wal_oom_stopped_next = (wal_oom_stopped_next + 1) % WAL_OOM_STOPPED;
		cdc_wal_guard_note(failed, *relid);
	}
	/*
	 * (guarded up to there already: failing unguarded again is no change's
	 * doing; a next worker tries, as before)
	 */
	else if (failed <= wal_guarded_lsn)
		return CDC_WAL_FAIL_WORKER;
	wal_guarded_lsn = Max(wal_guarded_lsn, failed);
	return CDC_WAL_FAIL_GUARD;
}

/*
 * cdc_wal_guard_rel
 *		A change of relid could not be sent (a round read its message
 *		CDC_WAL_MSG_UNSENT), or its table is stopped (wal_load(): after a
 *		restart of the server, which empties shared memory, or past the
 *		last WAL_GUARD_RELS such relations, a stopped table's next such row
 *		ended a round again): its later changes are guarded for the
 *		worker's life, however many such relations there are.
 */
void
cdc_wal_guard_rel(Oid relid)
{
	if (wal_guard_more == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(Oid);
		ctl.hcxt = TopMemoryContext;
		wal_guard_more = hash_create("dataeng wal guarded relations", 16, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(wal_guard_more, &relid, HASH_ENTER, NULL);
}

/*
 * cdc_wal_stopped_rel
 *		The capture of relid is stopped (a round reads them before it
 *		decodes; cdc_wal_stopped_reset() first).
 */
void
cdc_wal_stopped_rel(Oid relid)
{
	if (wal_stopped == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(Oid);
		ctl.hcxt = TopMemoryContext;
		wal_stopped = hash_create("dataeng wal stopped relations", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	(void) hash_search(wal_stopped, &relid, HASH_ENTER, NULL);
}

/* the round reads the stopped relations again */
void
cdc_wal_stopped_reset(void)
{
	if (wal_stopped != NULL)
	{
		hash_destroy(wal_stopped);
		wal_stopped = NULL;
	}
}

/* open the decoding context of slot (in a transaction) */
static void
wal_decoding_start(const char *slot)
{
	MemoryContext old;

	/*
	 * pgoutput's options, made once for the worker's life: the context is
	 * made again after each change that failed a round (the decoding
	 * context keeps the list, and FreeDecodingContext() does not free it:
	 * each new one was left in TopMemoryContext)
	 */
	static List *options = NIL;

	CheckLogicalDecodingRequirements();
	/* the context lives as long as the worker, not the round */
	old = MemoryContextSwitchTo(TopMemoryContext);
	/*
	 * (messages: the transactional logical message a DROP writes after its
	 * transaction wrote the table dropped, CDC_WAL_DROP_PREFIX)
	 */
	if (options == NIL)
		options = list_make3(makeDefElem("proto_version", (Node *) makeString("1"), -1),
							 makeDefElem("publication_names",
										 (Node *) makeString(CDC_WAL_PUBLICATION), -1),
							 makeDefElem("messages", (Node *) makeString("true"), -1));
	ReplicationSlotAcquire(slot, true);

	/*
	 * A slot invalidated by max_slot_wal_keep_size has no restart point:
	 * decoding would start at 0/0 and fail on a WAL segment long removed.
	 * The worker checks before each round (cdc_wal_slot_lost()); a slot
	 * invalidated since ends the worker here, naming the slot, as
	 * pg_logical_slot_get_changes() and the walsender do, and the next
	 * worker deals with it.
	 */
	if (XLogRecPtrIsInvalid(MyReplicationSlot->data.restart_lsn))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot capture from the WAL: replication slot \"%s\" was invalidated", slot),
				 errdetail("The slot exceeded max_slot_wal_keep_size; the changes in the WAL it lost are not captured."),
				 errhint("The next worker stops the tables captured through it (dataeng.cdc_status shows why); their owners run dataeng.cdc_enable() again.")));
	/* (its LOG lines, once per worker, stay out of the server log) */
	cdc_wal_quiet = true;
	PG_TRY();
	{
		/* from the slot's confirmed position */
		wal_ctx = CreateDecodingContext(InvalidXLogRecPtr, options, false,
										XL_ROUTINE(.page_read = read_local_xlog_page,
												   .segment_open = wal_segment_open,
												   .segment_close = wal_segment_close),
										wal_prepare_write, wal_do_write, NULL);
	}
	PG_FINALLY();
	{
		cdc_wal_quiet = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(old);

	/* pgoutput's change callback, guarded (wal_change_cb) */
	wal_pgoutput_change = wal_ctx->callbacks.change_cb;
	wal_ctx->callbacks.change_cb = wal_change_cb;
	/* and its message callback, for the DROP's message alone (wal_message_cb) */
	wal_pgoutput_message = wal_ctx->callbacks.message_cb;
	if (wal_pgoutput_message != NULL)
		wal_ctx->callbacks.message_cb = wal_message_cb;
	wal_guard_upto = cdc_wal_guard_upto(wal_guard_rels);

	/*
	 * From the restart point, so that every transaction that commits after
	 * the confirmed position is decoded whole.
	 */
	XLogBeginRead(wal_ctx->reader, MyReplicationSlot->data.restart_lsn);
}

/*
 * cdc_wal_slot_lost
 *		Whether slot was invalidated (max_slot_wal_keep_size): it has no
 *		restart point any more, the WAL after *confirmed (its confirmed
 *		position) is gone.  False while the worker decodes it (an
 *		invalidation ends the process holding the slot) and when it does
 *		not exist.
 */
bool
cdc_wal_slot_lost(const char *slot, XLogRecPtr *confirmed)
{
	ReplicationSlot *s;
	bool		lost = false;

	if (wal_ctx != NULL)
		return false;
	LWLockAcquire(ReplicationSlotControlLock, LW_SHARED);
	s = SearchNamedReplicationSlot(slot, false);
	if (s != NULL)
	{
		SpinLockAcquire(&s->mutex);
		lost = XLogRecPtrIsInvalid(s->data.restart_lsn) &&
			!XLogRecPtrIsInvalid(s->data.invalidated_at);
		*confirmed = s->data.confirmed_flush;
		SpinLockRelease(&s->mutex);
	}
	LWLockRelease(ReplicationSlotControlLock);
	return lost;
}

/*
 * cdc_wal_decoding_end
 *		Close the decoding context and release the slot (before the worker
 *		drops it).  Outside a round.
 */
void
cdc_wal_decoding_end(void)
{
	if (wal_ctx != NULL)
	{
		FreeDecodingContext(wal_ctx);
		wal_ctx = NULL;
	}
	if (MyReplicationSlot != NULL)
		ReplicationSlotRelease();
}

/*
 * cdc_wal_confirm
 *		The changes of every transaction that committed before lsn are
 *		durably in the change log: the slot may move there.  After the
 *		round's commit.
 */
void
cdc_wal_confirm(XLogRecPtr lsn)
{
	XLogRecPtr	confirmed;

	if (wal_ctx == NULL || MyReplicationSlot == NULL || lsn == InvalidXLogRecPtr)
		return;
	SpinLockAcquire(&MyReplicationSlot->mutex);
	confirmed = MyReplicationSlot->data.confirmed_flush;
	SpinLockRelease(&MyReplicationSlot->mutex);
	if (lsn <= confirmed)
		return;

	/*
	 * The round may have committed asynchronously (synchronous_commit =
	 * off): its change records must be on disk before the slot moves past
	 * their source transactions, which LogicalConfirmReceivedLocation()
	 * may save at once (when the restart point moves).  A crash would
	 * otherwise lose them: the next worker decodes after them.
	 */
	XLogFlush(XactLastCommitEnd);
	LogicalConfirmReceivedLocation(lsn);
	/* (written at the next checkpoint; a crash before decodes again) */
	ReplicationSlotMarkDirty();
}

/*
 * cdc_wal_decode
 *		Decode slot from where the last round stopped up to upto, or until
 *		a transaction brings the messages to max_msgs.  Returns the messages
 *		in a store of the current memory context (the round's); *decoded is
 *		the end of the WAL read: every transaction that committed before it
 *		is in the store or was applied before.
 */
CdcWalMsgs *
cdc_wal_decode(const char *slot, XLogRecPtr upto, uint64 max_msgs, XLogRecPtr *decoded)
{
	CdcWalMsgs *m = palloc0(sizeof(CdcWalMsgs));
	ResourceOwner owner = CurrentResourceOwner;
	MemoryContext cxt = CurrentMemoryContext;

	m->cxt = cxt;

	/* the store's temporary file belongs to the round, not to a replay */
	m->store = tuplestore_begin_heap(true, false, logical_decoding_work_mem);
	(void) tuplestore_alloc_read_pointer(m->store, EXEC_FLAG_REWIND);	/* MSGS_MARK */
	(void) tuplestore_alloc_read_pointer(m->store, EXEC_FLAG_REWIND);	/* MSGS_REPLAY */
	m->desc = CreateTemplateTupleDesc(2);
	TupleDescInitEntry(m->desc, (AttrNumber) 1, "lsn", PG_LSNOID, -1, 0);
	TupleDescInitEntry(m->desc, (AttrNumber) 2, "data", BYTEAOID, -1, 0);
	m->slot = MakeSingleTupleTableSlot(m->desc, &TTSOpsMinimalTuple);

	if (wal_ctx == NULL)
		wal_decoding_start(slot);
	wal_failed_lsn = InvalidXLogRecPtr;

	/* no entry of the present while decoding under historic snapshots */
	InvalidateSystemCaches();
	wal_filling = m;
	cdc_wal_quiet = true;
	PG_TRY();
	{
		while (wal_ctx->reader->EndRecPtr < upto)
		{
			XLogRecord *record;
			char	   *errm = NULL;

			/*
			 * (a record too large for the reader's buffer is decoded in
			 * memory of the current context, and freed at the next read)
			 */
			MemoryContextSwitchTo(wal_ctx->context);
			record = XLogReadRecord(wal_ctx->reader, &errm);
			MemoryContextSwitchTo(cxt);
			if (errm)
				elog(ERROR, "could not read WAL for logical decoding: %s", errm);
			if (record != NULL)
				LogicalDecodingProcessRecord(wal_ctx, wal_ctx->reader);
			/* (as the SQL functions do: decoding may leave it elsewhere) */
			CurrentResourceOwner = owner;
			MemoryContextSwitchTo(cxt);
			CHECK_FOR_INTERRUPTS();
			if (m->count >= max_msgs)
				break;
		}
	}
	PG_FINALLY();
	{
		wal_filling = NULL;
		cdc_wal_quiet = false;
		/* and none of the past afterwards */
		InvalidateSystemCaches();
	}
	PG_END_TRY();
	*decoded = wal_ctx->reader->EndRecPtr;
	tuplestore_rescan(m->store);
	return m;
}

/* the next message at the current read pointer; false at the end */
bool
cdc_wal_msgs_next(CdcWalMsgs *m, StringInfo msg, XLogRecPtr *lsn)
{
	bool		isnull;
	bytea	   *data;
	MemoryContext old;
	bool		found;

	/*
	 * A message read back from the store's temporary file is allocated in
	 * the current context and freed when the slot takes the next one: in
	 * the store's memory, not the caller's (which may be reset meanwhile).
	 */
	old = MemoryContextSwitchTo(m->cxt);
	found = tuplestore_gettupleslot(m->store, true, false, m->slot);
	MemoryContextSwitchTo(old);
	if (!found)
		return false;
	data = DatumGetByteaPP(slot_getattr(m->slot, 2, &isnull));
	msg->data = VARDATA_ANY(data);
	msg->len = VARSIZE_ANY_EXHDR(data);
	msg->maxlen = msg->len;
	msg->cursor = 0;
	if (lsn)
		*lsn = DatumGetLSN(slot_getattr(m->slot, 1, &isnull));
	return true;
}

/* mark the scan's position (after a BEGIN) */
void
cdc_wal_msgs_mark(CdcWalMsgs *m)
{
	tuplestore_copy_read_pointer(m->store, MSGS_SCAN, MSGS_MARK);
}

/* read again from the mark, until cdc_wal_msgs_resume() */
void
cdc_wal_msgs_replay(CdcWalMsgs *m)
{
	tuplestore_copy_read_pointer(m->store, MSGS_MARK, MSGS_REPLAY);
	tuplestore_select_read_pointer(m->store, MSGS_REPLAY);
}

/* go on with the scan */
void
cdc_wal_msgs_resume(CdcWalMsgs *m)
{
	tuplestore_select_read_pointer(m->store, MSGS_SCAN);
}

void
cdc_wal_msgs_free(CdcWalMsgs *m)
{
	ExecDropSingleTupleTableSlot(m->slot);
	tuplestore_end(m->store);
}
