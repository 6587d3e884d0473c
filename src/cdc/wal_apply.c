/*-------------------------------------------------------------------------
 *
 * wal_apply.c
 *		One round of WAL-mode capture: decode, write the change log, call
 *		the on_change handlers, record the position, in one transaction.
 *
 * The worker (wal_worker.c) owns the logical slot dataeng_wal_<db oid> of
 * PostgreSQL's pgoutput plugin, publication dataeng_wal.  A round:
 *
 *	1. Reads dataeng.cdc_tables and checks the publication (owned by a
 *	   superuser or the extension's owner, publishing every operation of
 *	   whole rows: wal_check_publication).  Tables whose method is being
 *	   switched are locked against writers (SHARE ROW EXCLUSIVE, what
 *	   CREATE TRIGGER takes; waiting 0.1 s at most, once a second at
 *	   most: wal_switch_lock; then their rows of cdc_tables, without
 *	   waiting: wal_switch_row; a table or row locked by someone is
 *	   switched by a later round) and the WAL written so far is flushed,
 *	   so that the round sees every change committed before the switch.
 *	2. Decodes the slot in the worker's process (wal_decode.c: one
 *	   decoding context for the worker's life, which goes on from where
 *	   the last round stopped) up to the flushed end of WAL, or until
 *	   whole source transactions bring dataeng.wal_batch_changes pgoutput
 *	   messages; decoding does not move the slot: a round that fails
 *	   leaves it where it was, and ends the worker.
 *	3. Applies each complete source transaction whose commit ends after
 *	   dataeng_internal.cdc_wal_state.applied_lsn: parses pgoutput's messages with
 *	   the backend's logicalrep_read_*(), turns the text values back into
 *	   typed values (input functions run as the table's owner, restricted,
 *	   under a time limit) in a subtransaction per source transaction
 *	   (wal_decode_txn), into a store of the round that keeps at most
 *	   logical_decoding_work_mem in memory and the rest in a temporary
 *	   file (WalRound.pending), then writes the same records as the
 *	   capture trigger from it (row_jsonb_*: same column lists, keys,
 *	   changed_only), in batches of CDC_WRITER_BATCH whose memory is freed
 *	   after each, with captured_at the source
 *	   transaction's commit time and lsn the change's own WAL position;
 *	   then calls the table's on_change handlers (wal_handlers.c) with that
 *	   transaction's changes, each in a subtransaction as the trigger's owner with
 *	   statement and lock timeouts (a cancel of the worker itself is not
 *	   swallowed), retried with back-off, the batch going to dataeng.dead_letters after the
 *	   last failure.  A paused trigger's batches go there too, in commit
 *	   order; after on_change_resume() a round first hands them to the
 *	   handler (cdc_wal_resume_triggers), deleting each handled one in the
 *	   round's transaction, then goes on with new batches.
 *	4. Records applied_lsn (and each table's last commit) in the same
 *	   transaction, switches the tables waiting for it when everything up
 *	   to the end of WAL was applied, and commits.  The caller then
 *	   confirms the position returned to the slot (cdc_wal_confirm()):
 *	   re-decoding after a crash before that is skipped by applied_lsn.
 *
 * A source transaction's change that cannot be decoded (its column's type
 * is not the one pgoutput's relation message gives, an input function or
 * a domain's check fails or runs out of time) rolls back the decoding
 * subtransaction; that table alone stops (cdc_tables.capture_error, a
 * WARNING) and the transaction is decoded again without it.  So does a
 * table whose lock another transaction holds past
 * dataeng.wal_lock_timeout, when set (wal_rel_lock): the round would wait
 * for it, and every table with it.  Relations are opened before the
 * subtransaction, so that a rollback leaves them open, and the records
 * are written after it.
 *
 * Memory: a round holds a bounded part of a source transaction whatever
 * its size (pgoutput's messages and the decoded records each in a store
 * of at most logical_decoding_work_mem, the reorder buffer spilling at the
 * same size, one row's values and one writer batch at a time), except the
 * changes of tables that have on_change triggers: their handlers get a
 * transaction's changes as one array.  A round still writes whole source
 * transactions (it never splits one), in its one transaction: the slot is
 * confirmed after it committed and applied_lsn skips what a crash makes
 * decode again, whatever the transaction's size.
 *
 * A table the source transaction dropped after writing it is gone when
 * its changes are decoded: the DROP described it in
 * dataeng_internal.cdc_wal_dropped and wrote a logical message
 * (CDC_WAL_DROP_PREFIX, ddl.c).  Meeting the message, the round takes the
 * description of each such table as its entry (wal_load_dropped), decodes
 * the table's changes with the columns of their relation messages and the
 * options and key of the description (wal_dropped_build), its stored
 * generated columns computed with the description's expressions
 * (wal_dropped_generated; what they may be: wal_generated.c), and deletes
 * the description in its own transaction, with applied_lsn: used once.
 *
 * An unchanged TOASTed value of an UPDATE's new row ('u' in pgoutput) is
 * taken from the old row, which REPLICA IDENTITY FULL (set by cdc_enable)
 * logs whole.  The records of one round share the worker's transaction id
 * (xid of the change log): consumers get them in commit order, and the
 * source transaction is told by captured_at (its commit time).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/nodeModifyTable.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "replication/logicalproto.h"
#include "replication/reorderbuffer.h"
#include "storage/lmgr.h"
#include "storage/standby.h"
#include "storage/latch.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "pgstat.h"
#include "utils/regproc.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"
#include "utils/xid8.h"

#include "common/common.h"
#include "cdc/cdc.h"
#include "cdc/wal.h"
#include "schedule/schedule.h"

/* the columns of a pgoutput relation message, copied for a dropped table */
typedef struct WalRemoteCols
{
	int			natts;
	char	  **names;
	Oid		   *types;
} WalRemoteCols;

/*
 * The stored generated columns' values the worker added to a row message
 * (CDC_WAL_GEN_VALUES, wal_decode.c): their names and types as the change
 * was written, and the values of the old and the new row
 */
typedef struct WalGenValues
{
	int			n;				/* 0: none */
	char	  **names;
	Oid		   *types;
	bool		has_old;
	LogicalRepTupleData oldvals;
	bool		has_new;
	LogicalRepTupleData newvals;
} WalGenValues;

/* A table captured from the WAL, as the round found it */
typedef struct WalRel
{
	Oid			relid;			/* hash key */
	bool		capture;		/* active_method = 'wal' and it exists */
	bool		changed_only;
	char	   *columns;		/* text[] literal or NULL */
	char	   *exclude;
	bool		ready;			/* maps built */
	Relation	rel;
	Oid			owner;
	RowJsonbMap rowmap;
	bool		has_key;
	RowJsonbMap keymap;
	Oid		   *typinput;		/* per attnum - 1 */
	Oid		   *typioparam;
	FmgrInfo   *inputinfo;		/* typinput's, looked up at its first use in
								 * the round rather than for each value */
	/* the last pgoutput relation message: remote column i is attnum map[i] */
	int			nremote;
	AttrNumber *map;
	char	   *mismatch;		/* why its columns are not what they were */
	/* the above as the current source transaction began (for a retry) */
	int			saved_nremote;
	AttrNumber *saved_map;
	char	   *saved_mismatch;
	int64		changes;		/* records written this round */
	XLogRecPtr	last_commit_lsn;
	TimestampTz last_commit_time;
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot;
	bool		user_types;		/* a column of a type not built in */
	/* stored generated columns (pgoutput leaves them out): computed here */
	EState	   *gen_estate;
	ResultRelInfo *gen_rri;
	bool		handled;		/* an on_change trigger has its changes */
	bool		lock_refused;	/* its lock was not had in time (wal_rel_lock) */

	/*
	 * Dropped by the source transaction after it wrote the table: rel is
	 * NULL, the table is described by its row of
	 * dataeng_internal.cdc_wal_dropped (wal_load_dropped), and its
	 * columns are those of the last relation message (wal_dropped_build)
	 */
	bool		dropped;
	char	   *name;			/* its name as it was dropped */
	int			dnatts;			/* its columns then */
	char	  **dattnames;
	Oid		   *dattypes;
	int32	   *dattypmods;
	Oid		   *dattreadtypes;	/* a built-in type to read it as, once its own is gone */
	int			nkey;			/* its key's columns (0: none) */
	char	  **keynames;
	/* its stored generated columns (and those made plain ones since) */
	int			dngen;
	char	  **dgennames;
	char	  **dgenexprs;		/* node trees over dattnames (wal_generated.c) */
	/* those the relation message leaves out: computed (wal_dropped_generated) */
	int			ngen;
	AttrNumber *gen_attnums;	/* in ddesc */
	Expr	  **gen_exprs;		/* over ddesc's columns */
	ExprState **gen_states;		/* prepared at their first use, as the owner */
	ExprContext *gen_econtext;
	TupleDesc	ddesc;			/* built from built_from */
	WalRemoteCols *built_from;
	WalRemoteCols *saved_built_from;
} WalRel;

/* a table whose changes can be decoded: open, or described as dropped */
#define WAL_REL_USABLE(wr) ((wr)->rel != NULL || (wr)->dropped)
#define WAL_REL_NAME(wr) \
	((wr)->rel != NULL ? RelationGetRelationName((wr)->rel) : (wr)->name ? (wr)->name : "?")

/* the columns of a round's store of decoded changes (WalRound.pending) */
#define PENDING_RELID	1
#define PENDING_LSN		2
#define PENDING_OP		3
#define PENDING_PK		4
#define PENDING_OLDROW	5
#define PENDING_NEWROW	6
#define PENDING_NATTS	6

/* first block of the memory reset for each row and source transaction */
#define WAL_ROW_CXT_BLOCK	(64 * 1024)

/* the memory of the current round (SPI's procedure context) */
static MemoryContext wal_round_cxt = NULL;

/* ------------------------------------------------------------------ */

static bool wal_rel_build(WalRel *wr);
static LogicalRepRelation *wal_remote_rel(Oid relid);
static void wal_rel_map(WalRel *wr, LogicalRepRelation *lr);
static WalRemoteCols *wal_remote_cols(LogicalRepRelation *lr);
static void wal_dropped_build(WalRel *wr, WalRemoteCols *rc);
static void wal_row_map(WalRel *wr, TupleDesc desc);
static void wal_dropped_generated_build(WalRel *wr, TupleDesc desc, int nsent, bool *sent);
static void wal_dropped_generated(WalRel *wr, TupleTableSlot *slot);
static Node *wal_gen_expr_read(const char *text, int natts, const char **why);

/* open a captured relation and build what writing its changes needs */
static bool
wal_rel_ready(WalRel *wr)
{
	MemoryContext old;
	bool		ok = true;

	if (wr->ready)
		return WAL_REL_USABLE(wr);
	wr->ready = true;
	old = MemoryContextSwitchTo(wal_round_cxt);
	ok = wal_rel_build(wr);
	MemoryContextSwitchTo(old);
	return ok;
}

/*
 * wal_lock_within
 *		Lock a relation in mode for the round's transaction, waiting at most
 *		timeout_ms in the lock queue.  False when it was not had in time; a
 *		cancel or shutdown of the worker while it waits is not swallowed.
 */
static bool
wal_lock_within(Oid relid, LOCKMODE mode, int timeout_ms)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool locked = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		int			nest = NewGUCNestLevel();
		char		ms[32];

		snprintf(ms, sizeof(ms), "%d", timeout_ms);
		(void) set_config_option("lock_timeout", ms, PGC_SUSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
		LockRelationOid(relid, mode);
		AtEOXact_GUC(false, nest);
		/* (the lock goes to the round's transaction) */
		ReleaseCurrentSubTransaction();
		locked = true;
	}
	PG_CATCH();
	{
		ErrorData  *err;

		MemoryContextSwitchTo(cxt);
		err = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (err->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(err);
		FreeErrorData(err);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return locked;
}

/*
 * wal_rel_lock
 *		Lock a captured relation to read its changes (AccessShareLock), waiting
 *		at most dataeng.wal_lock_timeout (0, the default: as long as it
 *		takes, since a stop loses the table's changes until cdc_enable()
 *		while a wait loses nothing; pipeline_status shows the wait).  The lock
 *		is the round's: while one transaction holds a conflicting lock (an
 *		ACCESS EXCLUSIVE one: LOCK TABLE, most of ALTER TABLE, VACUUM FULL),
 *		waiting on would stop capture of every table of the database for as
 *		long as that transaction lasts, which the table's owner (or any role
 *		that may lock it) decides.  False when it was not had in time; a
 *		cancel or shutdown of the worker while it waits is not swallowed.
 */
static bool
wal_rel_lock(Oid relid)
{
	if (ConditionalLockRelationOid(relid, AccessShareLock))
		return true;
	if (cdc_wal_lock_timeout <= 0)
	{
		LockRelationOid(relid, AccessShareLock);
		return true;
	}
	return wal_lock_within(relid, AccessShareLock, cdc_wal_lock_timeout);
}

/*
 * wal_row_map
 *		The row map of wr's changes decoded with the columns of desc (the
 *		table's, or a dropped table's as its relation message names them):
 *		the columns captured, by the table's options columns and
 *		exclude_columns, and the input functions their text values are read
 *		with.  In the current memory context.
 */
static void
wal_row_map(WalRel *wr, TupleDesc desc)
{
	Bitmapset  *include = cdc_column_set_desc(desc, wr->columns);
	Bitmapset  *exclude = cdc_column_set_desc(desc, wr->exclude);
	Bitmapset  *capture = NULL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (wr->columns != NULL && !bms_is_member(att->attnum, include))
			continue;
		if (bms_is_member(att->attnum, exclude))
			continue;
		capture = bms_add_member(capture, att->attnum);
	}
	if (capture == NULL)
		capture = bms_make_singleton(0);
	dataeng_row_jsonb_map_init(&wr->rowmap, desc, capture, CurrentMemoryContext);

	/* input of the base type: a domain's checks ran when the row was written */
	wr->typinput = palloc0(sizeof(Oid) * Max(desc->natts, 1));
	wr->typioparam = palloc0(sizeof(Oid) * Max(desc->natts, 1));
	/* (fn_oid InvalidOid: not looked up yet) */
	wr->inputinfo = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		getTypeInputInfo(getBaseType(att->atttypid), &wr->typinput[i], &wr->typioparam[i]);
		/* (its input may run a role's code: a domain's check, an extension's) */
		if (att->atttypid >= FirstNormalObjectId)
			wr->user_types = true;
	}
}

static bool
wal_rel_build(WalRel *wr)
{
	TupleDesc	desc;
	Bitmapset  *key;

	if (wr->dropped)
	{
		LogicalRepRelation *lr = wal_remote_rel(wr->relid);

		wal_dropped_build(wr, lr ? wal_remote_cols(lr) : NULL);
		return true;
	}
	/* (a dropped relation: try_relation_open() finds it gone) */
	if (SearchSysCacheExists1(RELOID, ObjectIdGetDatum(wr->relid)) &&
		!wal_rel_lock(wr->relid))
	{
		wr->lock_refused = true;
		return false;
	}
	wr->rel = try_relation_open(wr->relid, AccessShareLock);
	if (wr->rel == NULL)
		return false;
	desc = RelationGetDescr(wr->rel);
	wr->owner = wr->rel->rd_rel->relowner;
	wal_row_map(wr, desc);
	key = cdc_identity_columns(wr->rel);
	wr->has_key = (key != NULL);
	if (key != NULL)
		dataeng_row_jsonb_map_init(&wr->keymap, desc, key, CurrentMemoryContext);
	/*
	 * pgoutput (PostgreSQL 15) sends no stored generated column: the
	 * worker's decoding adds the values the WAL holds (wal_gen_stored); one
	 * it does not give is computed from the row's other columns, as the
	 * writer's INSERT or UPDATE did.  Its functions may be a role's code:
	 * such a row is decoded as the owner under the time limit.
	 */
	if (desc->constr && desc->constr->has_generated_stored)
	{
		wr->gen_estate = CreateExecutorState();
		wr->gen_rri = makeNode(ResultRelInfo);
		InitResultRelInfo(wr->gen_rri, wr->rel, 1, NULL, 0);
		wr->user_types = true;
	}
	wr->oldslot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	wr->newslot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	/* the relation message pgoutput sent in an earlier round */
	if (wal_remote_rel(wr->relid) != NULL)
		wal_rel_map(wr, wal_remote_rel(wr->relid));
	return true;
}

/*
 * The last pgoutput relation message of each relation, for the worker's
 * life: pgoutput sends one per relation and decoding context (and again
 * after the relation changed), and the worker's context lasts longer than
 * a round (wal_decode.c).
 */
typedef struct RemoteRel
{
	Oid			relid;			/* hash key */
	MemoryContext cxt;			/* holds lr */
	LogicalRepRelation *lr;
} RemoteRel;

static HTAB *wal_remote_rels = NULL;

static LogicalRepRelation *
wal_remote_rel(Oid relid)
{
	RemoteRel  *rr;

	if (wal_remote_rels == NULL)
		return NULL;
	rr = hash_search(wal_remote_rels, &relid, HASH_FIND, NULL);
	return rr ? rr->lr : NULL;
}

/*
 * wal_rel_renamed
 *		Why the columns of relation message lr, mapped by name to the table's
 *		columns (wr->map), cannot be the columns the change was written with;
 *		NULL when they can.
 *
 * The message lists the columns the table had (not dropped, not generated)
 * when the change was written, in the order of their attnums, by the names
 * they had then.  A column renamed since (the change waited in the WAL
 * while an ALTER TABLE ... RENAME COLUMN committed) maps to no column, or
 * to another one of the same name (two columns' names swapped): mapped by
 * name alone, its value would be recorded as NULL or in the other column,
 * without a word.  Attnums are never reused, so the columns the message
 * names between two columns mapped are those between their attnums that
 * existed then: each column of the table there that is not dropped now
 * existed then and must be named (unless it was a stored generated column
 * then, which pgoutput leaves out: ALTER COLUMN ... DROP EXPRESSION since;
 * its value is not in the change either), and each column the message names that
 * maps to none must be one dropped since.  After the last mapped column,
 * columns added since may follow the dropped ones.  (So a column renamed
 * after the last one that kept its name, with a dropped column between
 * them, cannot be told from a column dropped and one added: the catalog
 * reads the same.)
 */
static char *
wal_rel_renamed(WalRel *wr, LogicalRepRelation *lr)
{
	TupleDesc	desc = RelationGetDescr(wr->rel);
	AttrNumber	prev = 0;
	int			i = 0;

	for (;;)
	{
		int			j = i;
		int			dropped = 0;
		AttrNumber	right;
		AttrNumber	live = 0;
		AttrNumber	a;

		while (j < lr->natts && wr->map[j] == 0)
			j++;
		right = (j < lr->natts) ? wr->map[j] : desc->natts + 1;
		if (right <= prev)
			return psprintf("column \"%s\" follows column \"%s\" in the change and precedes it in the table now: columns were renamed since",
							lr->attnames[j], NameStr(TupleDescAttr(desc, prev - 1)->attname));
		for (a = prev + 1; a < right; a++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, a - 1);

			if (att->attisdropped)
			{
				if (live == 0)
					dropped++;
				continue;
			}
			if (att->attgenerated)
				continue;
			if (live == 0)
				live = a;
		}
		if (live != 0 && j < lr->natts)
			return psprintf("column \"%s\" of the table has no value in the change: it was renamed since, or was a generated column then",
							NameStr(TupleDescAttr(desc, live - 1)->attname));
		if (j - i > dropped)
			return psprintf("column \"%s\" of the change is no column of the table now, and was not dropped: it was renamed since",
							lr->attnames[i + dropped]);
		if (j >= lr->natts)
			return NULL;
		prev = right;
		i = j + 1;
	}
}

/* map the columns of relation message lr to the table's, by name */
static void
wal_rel_map(WalRel *wr, LogicalRepRelation *lr)
{
	MemoryContext old = MemoryContextSwitchTo(wal_round_cxt);
	int			i;

	wr->nremote = lr->natts;
	wr->mismatch = NULL;
	wr->map = palloc0(sizeof(AttrNumber) * Max(lr->natts, 1));
	for (i = 0; i < lr->natts; i++)
	{
		AttrNumber	attnum = get_attnum(wr->relid, lr->attnames[i]);
		Oid			now;

		wr->map[i] = (attnum > 0 && attnum <= RelationGetDescr(wr->rel)->natts) ? attnum : 0;
		if (wr->map[i] == 0)
			continue;
		now = TupleDescAttr(RelationGetDescr(wr->rel), attnum - 1)->atttypid;
		/* a value must not be parsed with a type it was not written in */
		if (lr->atttyps[i] != now && wr->mismatch == NULL)
			wr->mismatch = psprintf("column \"%s\" was of type %s when the change was written and is of type %s now",
									lr->attnames[i], format_type_be(lr->atttyps[i]),
									format_type_be(now));
	}
	if (wr->mismatch == NULL)
		wr->mismatch = wal_rel_renamed(wr, lr);
	MemoryContextSwitchTo(old);
}

/* a pgoutput relation message: kept, and mapped to the table's columns */
static void
wal_relation_message(WalRound *r, StringInfo msg)
{
	LogicalRepRelation *lr;
	RemoteRel  *rr;
	WalRel	   *wr;
	MemoryContext cxt,
				old;
	bool		found;

	if (wal_remote_rels == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(RemoteRel);
		ctl.hcxt = TopMemoryContext;
		wal_remote_rels = hash_create("dataeng wal relation messages", 32, &ctl,
									  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	cxt = AllocSetContextCreate(TopMemoryContext, "dataeng wal relation message",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	lr = logicalrep_read_rel(msg);
	MemoryContextSwitchTo(old);
	rr = hash_search(wal_remote_rels, &lr->remoteid, HASH_ENTER, &found);
	if (found)
		MemoryContextDelete(rr->cxt);
	rr->cxt = cxt;
	rr->lr = lr;

	wr = hash_search(r->rels, &lr->remoteid, HASH_FIND, NULL);
	if (wr == NULL || !wr->capture)
		return;
	if (!wr->ready)
		(void) wal_rel_ready(wr);	/* (maps it from the message kept) */
	else if (wr->dropped)
		wal_dropped_build(wr, wal_remote_cols(lr));
	else if (wr->rel != NULL)
		wal_rel_map(wr, lr);
}

/* the columns of relation message lr, in the round's memory */
static WalRemoteCols *
wal_remote_cols(LogicalRepRelation *lr)
{
	MemoryContext old = MemoryContextSwitchTo(wal_round_cxt);
	WalRemoteCols *rc = palloc(sizeof(WalRemoteCols));
	int			i;

	rc->natts = lr->natts;
	rc->names = palloc(sizeof(char *) * Max(lr->natts, 1));
	rc->types = palloc(sizeof(Oid) * Max(lr->natts, 1));
	for (i = 0; i < lr->natts; i++)
	{
		rc->names[i] = pstrdup(lr->attnames[i]);
		rc->types[i] = lr->atttyps[i];
	}
	MemoryContextSwitchTo(old);
	return rc;
}

/* the attnum of the column of desc named name, 0 when none */
static AttrNumber
wal_desc_attnum(TupleDesc desc, const char *name)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i + 1;
	return 0;
}

/*
 * wal_dropped_build
 *		What decoding the changes of a table dropped by their transaction
 *		needs, from the columns of the relation message rc (NULL: none
 *		yet): a change is decoded with the columns its relation message
 *		names, of the types it gives (so a change written before an ALTER
 *		TABLE of the same transaction has the columns of its time, as the
 *		capture trigger recorded them), with the capture options, key and
 *		type modifiers the table had as it was dropped (its row of
 *		dataeng_internal.cdc_wal_dropped), and its stored generated
 *		columns that the message leaves out after them, computed
 *		(wal_dropped_generated_build).  A column whose type is gone
 *		too (dropped in the same transaction), or a generated column that
 *		cannot be computed, makes the changes of the
 *		table undecodable (mismatch): that table's changes of the
 *		transaction are then not recorded, with a WARNING (wal_break_table).
 */
static void
wal_dropped_build(WalRel *wr, WalRemoteCols *rc)
{
	MemoryContext old = MemoryContextSwitchTo(wal_round_cxt);
	TupleDesc	desc;
	Bitmapset  *key = NULL;
	bool	   *sent;
	int			ngen = 0;
	int			i,
				j;

	wr->built_from = rc;
	wr->mismatch = NULL;
	wr->map = NULL;
	wr->nremote = 0;
	wr->ddesc = NULL;
	wr->user_types = false;
	wr->ngen = 0;
	if (rc == NULL)
	{
		MemoryContextSwitchTo(old);
		return;
	}

	/*
	 * its generated columns the relation message leaves out (stored
	 * generated ones then): computed from the others, after them
	 */
	sent = palloc0(sizeof(bool) * Max(wr->dngen, 1));
	for (j = 0; j < wr->dngen; j++)
	{
		for (i = 0; i < rc->natts && !sent[j]; i++)
			sent[j] = strcmp(rc->names[i], wr->dgennames[j]) == 0;
		if (!sent[j])
			ngen++;
	}
	desc = CreateTemplateTupleDesc(rc->natts + ngen);
	for (i = 0; i < rc->natts; i++)
	{
		Oid			typid = rc->types[i];
		int32		typmod = -1;

		Oid			readtype = InvalidOid;

		for (j = 0; j < wr->dnatts; j++)
			if (wr->dattypes[j] == typid && strcmp(wr->dattnames[j], rc->names[i]) == 0)
			{
				typmod = wr->dattypmods[j];
				readtype = wr->dattreadtypes[j];
			}
		/* (its type dropped too: read as the built-in type it renders as) */
		if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(typid)) && OidIsValid(readtype) &&
			SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(readtype)))
		{
			typid = readtype;
			typmod = -1;
		}
		if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(typid)))
		{
			if (wr->mismatch == NULL)
				wr->mismatch = psprintf("type %u of column \"%s\" was dropped with the table",
										typid, rc->names[i]);
			typid = TEXTOID;
			typmod = -1;
		}
		TupleDescInitEntry(desc, i + 1, rc->names[i], typid, typmod, 0);
	}
	wal_dropped_generated_build(wr, desc, rc->natts, sent);

	wal_row_map(wr, desc);
	for (j = 0; j < wr->nkey; j++)
	{
		AttrNumber	attnum = wal_desc_attnum(desc, wr->keynames[j]);

		if (attnum == 0 && wr->mismatch == NULL)
			wr->mismatch = psprintf("key column \"%s\" has no value in the change",
									wr->keynames[j]);
		if (attnum > 0)
			key = bms_add_member(key, attnum);
	}
	wr->has_key = (key != NULL);
	if (key != NULL)
		dataeng_row_jsonb_map_init(&wr->keymap, desc, key, CurrentMemoryContext);
	/* (its expressions run as the owner, under the time limit) */
	if (wr->ngen > 0)
		wr->user_types = true;
	if (wr->oldslot)
		ExecDropSingleTupleTableSlot(wr->oldslot);
	if (wr->newslot)
		ExecDropSingleTupleTableSlot(wr->newslot);
	wr->oldslot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	wr->newslot = MakeSingleTupleTableSlot(desc, &TTSOpsVirtual);
	/* (the message's columns are the first ones of desc) */
	wr->map = palloc(sizeof(AttrNumber) * Max(rc->natts, 1));
	for (i = 0; i < rc->natts; i++)
		wr->map[i] = i + 1;
	wr->nremote = rc->natts;
	wr->ddesc = desc;
	MemoryContextSwitchTo(old);
}

/*
 * wal_gen_expr_read
 *		The expression of a dropped table's generated column read from its
 *		description (a node tree over its natts described columns) and
 *		checked (cdc_wal_gen_check), in a subtransaction: a description
 *		the worker cannot read (not written by the DROP) makes its table's
 *		changes undecodable (*why), rather than ending every round at this
 *		transaction.  NULL with *why set when it cannot be evaluated.  A
 *		cancel of the worker itself is not swallowed.
 */
static Node *
wal_gen_expr_read(const char *text, int natts, const char **why)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Node	   *volatile expr = NULL;
	const char *volatile refused = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		expr = stringToNode(text);
		refused = cdc_wal_gen_check(expr, natts);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *err;

		MemoryContextSwitchTo(cxt);
		err = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (cdc_wal_cancelled(err) || err->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(err);
		refused = psprintf("its description cannot be read (%s)", err->message);
		FreeErrorData(err);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	*why = refused;
	return refused ? NULL : expr;
}

/*
 * wal_dropped_generated_build
 *		The dropped table's generated columns that the relation message
 *		leaves out (sent[j] false), added to desc after its nsent columns,
 *		of their expression's type, and their expressions over desc's
 *		columns (the columns they read found by name, of the type the
 *		expression reads).  The description's expressions are checked
 *		again (cdc_wal_gen_check: built-in functions and types only); one
 *		that cannot be computed makes the table's changes of the
 *		transaction undecodable (mismatch), as a column whose type is gone.
 */
static void
wal_dropped_generated_build(WalRel *wr, TupleDesc desc, int nsent, bool *sent)
{
	AttrMap    *map = make_attrmap(Max(wr->dnatts, 1));
	int			n = 0;
	int			j;

	wr->gen_attnums = palloc0(sizeof(AttrNumber) * Max(wr->dngen, 1));
	wr->gen_exprs = palloc0(sizeof(Expr *) * Max(wr->dngen, 1));
	wr->gen_states = palloc0(sizeof(ExprState *) * Max(wr->dngen, 1));
	for (j = 0; j < wr->dngen; j++)
	{
		Node	   *expr;
		Bitmapset  *reads = NULL;
		const char *why;
		bool		whole_row;
		int			a;

		if (sent[j])
			continue;
		expr = wal_gen_expr_read(wr->dgenexprs[j], wr->dnatts, &why);
		if (why != NULL)
		{
			if (wr->mismatch == NULL)
				wr->mismatch = psprintf("generated column \"%s\" cannot be computed: %s",
										wr->dgennames[j], why);
			expr = (Node *) makeNullConst(TEXTOID, -1, InvalidOid);
		}
		/* the columns it reads: of the change, of the types it reads */
		pull_varattnos(expr, 1, &reads);
		a = -1;
		while ((a = bms_next_member(reads, a)) >= 0)
		{
			AttrNumber	attnum = a + FirstLowInvalidHeapAttributeNumber;
			const char *name = wr->dattnames[attnum - 1];
			AttrNumber	in_desc = 0;
			Oid			vartype = InvalidOid;
			ListCell   *lc;
			List	   *vars = pull_var_clause(expr, 0);
			int			i;

			/* (the entries after nsent are not filled yet) */
			for (i = 0; i < nsent && in_desc == 0; i++)
				if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
					in_desc = i + 1;

			foreach(lc, vars)
				if (((Var *) lfirst(lc))->varattno == attnum)
					vartype = ((Var *) lfirst(lc))->vartype;
			if (in_desc == 0)
			{
				if (wr->mismatch == NULL)
					wr->mismatch = psprintf("column \"%s\" that generated column \"%s\" reads has no value in the change",
											name, wr->dgennames[j]);
				in_desc = 1;
			}
			else if (TupleDescAttr(desc, in_desc - 1)->atttypid != vartype &&
					 wr->mismatch == NULL)
				wr->mismatch = psprintf("column \"%s\" that generated column \"%s\" reads was of type %s when the change was written, not %s",
										name, wr->dgennames[j],
										format_type_be(TupleDescAttr(desc, in_desc - 1)->atttypid),
										format_type_be(vartype));
			map->attnums[attnum - 1] = in_desc;
		}
		if (wr->mismatch != NULL)
			expr = (Node *) makeNullConst(TEXTOID, -1, InvalidOid);
		else
			expr = map_variable_attnos(expr, 1, 0, map, InvalidOid, &whole_row);
		TupleDescInitEntry(desc, nsent + n + 1, wr->dgennames[j], exprType(expr),
						   exprTypmod(expr), 0);
		TupleDescInitEntryCollation(desc, nsent + n + 1, exprCollation(expr));
		wr->gen_attnums[n] = nsent + n + 1;
		wr->gen_exprs[n] = (Expr *) expr;
		n++;
	}
	wr->ngen = n;
}

/*
 * wal_dropped_generated
 *		The generated columns of a dropped table's row in slot that its
 *		change leaves out, computed from its other columns, as the writer's
 *		statement did.  Between wal_row_enter() and wal_row_leave(): as the
 *		table's owner, restricted, under the time limit (its expressions are
 *		prepared here at their first use, as that role too).
 */
static void
wal_dropped_generated(WalRel *wr, TupleTableSlot *slot)
{
	ExprContext *econtext;
	int			i;

	if (wr->gen_econtext == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(wal_round_cxt);

		wr->gen_econtext = CreateStandaloneExprContext();
		MemoryContextSwitchTo(old);
	}
	econtext = wr->gen_econtext;
	ResetExprContext(econtext);
	econtext->ecxt_scantuple = slot;
	for (i = 0; i < wr->ngen; i++)
	{
		AttrNumber	attnum = wr->gen_attnums[i];
		bool		isnull;
		Datum		value;

		if (wr->gen_states[i] == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(wal_round_cxt);

			wr->gen_states[i] = ExecInitExpr(expression_planner(wr->gen_exprs[i]), NULL);
			MemoryContextSwitchTo(old);
		}
		value = ExecEvalExprSwitchContext(wr->gen_states[i], econtext, &isnull);
		slot->tts_values[attnum - 1] = value;
		slot->tts_isnull[attnum - 1] = isnull;
	}
	/* (the values copied out of the expressions' memory, reset per row) */
	ExecMaterializeSlot(slot);
}

/*
 * The owner of the tables whose rows are being decoded, while the decoding
 * of a source transaction runs as that role (wal_decode_txn leaves it at
 * the end; on an error the subtransaction's abort does).
 */
static bool wal_owner_active = false;
static Oid	wal_owner_role = InvalidOid;
static InternalSql wal_owner_save;

static void
wal_owner_leave(void)
{
	if (!wal_owner_active)
		return;
	internal_sql_end(&wal_owner_save);
	wal_owner_active = false;
}

static void
wal_owner_enter(Oid role)
{
	if (wal_owner_active && wal_owner_role == role)
		return;
	wal_owner_leave();
	internal_sql_begin(&wal_owner_save, role);
	wal_owner_role = role;
	wal_owner_active = true;
}

/* the text value of column att (attnum) of wr as its type's input reads it */
static Datum
wal_input(WalRel *wr, Form_pg_attribute att, AttrNumber attnum, char *text)
{
	/*
	 * (looked up here, as the owner, as OidInputFunctionCall() would;
	 * fmgr_info sets fn_oid last, so a lookup that failed is done again)
	 */
	if (!OidIsValid(wr->inputinfo[attnum - 1].fn_oid))
		fmgr_info_cxt(wr->typinput[attnum - 1], &wr->inputinfo[attnum - 1], wal_round_cxt);
	return InputFunctionCall(&wr->inputinfo[attnum - 1], text, wr->typioparam[attnum - 1],
							 att->atttypmod);
}

/*
 * wal_gen_read
 *		The values of the stored generated columns after pgoutput's row
 *		message msg (CDC_WAL_GEN_VALUES), in *gen (n 0: none).
 */
static void
wal_gen_read(StringInfo msg, WalGenValues *gen)
{
	int			i;

	memset(gen, 0, sizeof(WalGenValues));
	if (msg->cursor >= msg->len)
		return;
	if (pq_getmsgbyte(msg) != CDC_WAL_GEN_VALUES)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("unexpected data after a pgoutput row message")));
	gen->n = pq_getmsgint(msg, 2);
	gen->names = palloc(sizeof(char *) * Max(gen->n, 1));
	gen->types = palloc(sizeof(Oid) * Max(gen->n, 1));
	for (i = 0; i < gen->n; i++)
	{
		gen->names[i] = pstrdup(pq_getmsgstring(msg));
		gen->types[i] = pq_getmsgint(msg, 4);
	}
	while (msg->cursor < msg->len)
	{
		char		kind = pq_getmsgbyte(msg);
		LogicalRepTupleData *tup;

		if (kind == 'O')
		{
			gen->has_old = true;
			tup = &gen->oldvals;
		}
		else if (kind == 'N')
		{
			gen->has_new = true;
			tup = &gen->newvals;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_PROTOCOL_VIOLATION),
					 errmsg("unexpected row kind \"%c\" of generated columns' values", kind)));
		tup->ncols = gen->n;
		tup->colvalues = palloc0(sizeof(StringInfoData) * Max(gen->n, 1));
		tup->colstatus = palloc(sizeof(char) * Max(gen->n, 1));
		for (i = 0; i < gen->n; i++)
		{
			tup->colstatus[i] = pq_getmsgbyte(msg);
			if (tup->colstatus[i] == LOGICALREP_COLUMN_TEXT)
			{
				int			len = pq_getmsgint(msg, 4);

				initStringInfo(&tup->colvalues[i]);
				appendBinaryStringInfo(&tup->colvalues[i], pq_getmsgbytes(msg, len), len);
			}
			else if (tup->colstatus[i] != LOGICALREP_COLUMN_NULL &&
					 tup->colstatus[i] != LOGICALREP_COLUMN_UNCHANGED)
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("unexpected column status \"%c\" of a generated column's value",
								tup->colstatus[i])));
		}
	}
}

/*
 * wal_gen_stored
 *		Put in slot the values of the stored generated columns that the
 *		WAL holds (tup, of gen), each in the column of its name in slot
 *		when that column is of the type it was written in (an UPDATE's
 *		unchanged TOASTed value from from, the old row).  With set false,
 *		only whether every generated column the worker would compute
 *		(rel's stored generated ones, or a dropped table's gen_attnums)
 *		gets its value so.
 */
static bool
wal_gen_stored(WalRel *wr, WalGenValues *gen, LogicalRepTupleData *tup,
			   TupleTableSlot *slot, TupleTableSlot *from, bool set)
{
	TupleDesc	desc = slot->tts_tupleDescriptor;
	AttrNumber *attnums;
	bool	   *got;
	int			i;
	int			j;
	bool		all = true;

	if (tup == NULL || gen->n == 0)
		return false;
	attnums = palloc0(sizeof(AttrNumber) * gen->n);
	got = palloc0(sizeof(bool) * Max(desc->natts, 1));
	for (i = 0; i < gen->n; i++)
	{
		for (j = 0; j < desc->natts && attnums[i] == 0; j++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, j);

			if (att->attisdropped || strcmp(NameStr(att->attname), gen->names[i]) != 0)
				continue;
			if (att->atttypid == gen->types[i])
				attnums[i] = j + 1;

			/*
			 * Of another type now, and a plain column (ALTER COLUMN ... TYPE,
			 * then DROP EXPRESSION, in the writing transaction): nothing
			 * computes it, and its value must not be parsed with a type it
			 * was not written in.  Before, it was recorded NULL, silently.
			 */
			else if (wr->rel != NULL && att->attgenerated != ATTRIBUTE_GENERATED_STORED)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("cannot decode a change of table \"%s\" written before its columns changed",
								WAL_REL_NAME(wr)),
						 errdetail("The generated column \"%s\" was of type %s when the change was written and is a plain column of type %s now.",
								   gen->names[i], format_type_be(gen->types[i]),
								   format_type_be(att->atttypid))));
		}
		if (attnums[i] == 0 ||
			(tup->colstatus[i] == LOGICALREP_COLUMN_UNCHANGED && from == NULL))
			continue;
		got[attnums[i] - 1] = true;
		if (!set)
			continue;
		switch (tup->colstatus[i])
		{
			case LOGICALREP_COLUMN_NULL:
				slot->tts_values[attnums[i] - 1] = (Datum) 0;
				slot->tts_isnull[attnums[i] - 1] = true;
				break;
			case LOGICALREP_COLUMN_UNCHANGED:
				slot->tts_values[attnums[i] - 1] = from->tts_values[attnums[i] - 1];
				slot->tts_isnull[attnums[i] - 1] = from->tts_isnull[attnums[i] - 1];
				break;
			default:
				slot->tts_values[attnums[i] - 1] =
					wal_input(wr, TupleDescAttr(desc, attnums[i] - 1), attnums[i],
							  tup->colvalues[i].data);
				slot->tts_isnull[attnums[i] - 1] = false;
				break;
		}
	}
	if (wr->gen_rri != NULL)
	{
		for (j = 0; j < desc->natts; j++)
			if (!TupleDescAttr(desc, j)->attisdropped &&
				TupleDescAttr(desc, j)->attgenerated == ATTRIBUTE_GENERATED_STORED && !got[j])
				all = false;
	}
	else
	{
		for (j = 0; j < wr->ngen; j++)
			if (!got[wr->gen_attnums[j] - 1])
				all = false;
	}
	return all;
}

/*
 * wal_fill_slot
 *		A row of pgoutput text values as typed values in slot; unchanged
 *		(TOASTed) values come from from (the old row), stored generated
 *		columns from gentup (the values the WAL holds, of gen) or computed,
 *		other columns the message does not have are NULL.  Called between
 *		wal_row_enter() and wal_row_leave().
 */
static void
wal_fill_slot(WalRel *wr, LogicalRepTupleData *tup, TupleTableSlot *slot, TupleTableSlot *from,
			  WalGenValues *gen, LogicalRepTupleData *gentup)
{
	bool		gen_all;

	TupleDesc	desc = slot->tts_tupleDescriptor;
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < desc->natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
	}
	if (wr->map == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("no relation message for table %u before its changes", wr->relid)));

	if (wr->mismatch != NULL && wr->dropped)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot decode a change of table \"%s\", which its transaction dropped",
						WAL_REL_NAME(wr)),
				 errdetail("The %s.", wr->mismatch)));
	if (wr->mismatch != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("cannot decode a change of table \"%s\" written before its columns changed",
						WAL_REL_NAME(wr)),
				 errdetail("The %s.", wr->mismatch)));

	for (i = 0; i < tup->ncols && i < wr->nremote; i++)
	{
		AttrNumber	attnum = wr->map[i];
		Form_pg_attribute att;

		if (attnum <= 0)
			continue;
		att = TupleDescAttr(desc, attnum - 1);
		switch (tup->colstatus[i])
		{
			case LOGICALREP_COLUMN_NULL:
				break;
			case LOGICALREP_COLUMN_UNCHANGED:
				if (from == NULL)
					ereport(ERROR,
							(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
							 errmsg("unchanged TOASTed value of column \"%s\" of table \"%s\" without the old row",
									NameStr(att->attname), WAL_REL_NAME(wr)),
							 errhint("Set ALTER TABLE %s REPLICA IDENTITY FULL.",
									 WAL_REL_NAME(wr))));
				slot->tts_values[attnum - 1] = from->tts_values[attnum - 1];
				slot->tts_isnull[attnum - 1] = from->tts_isnull[attnum - 1];
				break;
			case LOGICALREP_COLUMN_TEXT:
				slot->tts_values[attnum - 1] = wal_input(wr, att, attnum, tup->colvalues[i].data);
				slot->tts_isnull[attnum - 1] = false;
				break;
			default:
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("unexpected column status \"%c\" in a pgoutput message",
								tup->colstatus[i])));
		}
	}

	/*
	 * Stored generated columns: the values the writer stored, which the
	 * WAL holds (wal_gen_stored), as the capture trigger records them.
	 * Those it cannot give (a column added since, or of another type now)
	 * are computed from the row's other columns, as the writer's statement
	 * did, then.
	 */
	gen_all = (wr->gen_rri == NULL && wr->ngen == 0) ||
		wal_gen_stored(wr, gen, gentup, slot, from, false);
	if (gen_all)
		(void) wal_gen_stored(wr, gen, gentup, slot, from, true);
	ExecStoreVirtualTuple(slot);
	if (gen_all)
		return;
	if (wr->gen_rri != NULL)
	{
		ResetPerTupleExprContext(wr->gen_estate);
		ExecComputeStoredGenerated(wr->gen_rri, wr->gen_estate, slot, CMD_INSERT);
	}
	else
		wal_dropped_generated(wr, slot);
	(void) wal_gen_stored(wr, gen, gentup, slot, from, true);
}

/*
 * wal_row_enter, wal_row_leave
 *		Around the decoding and the rendering of one row of wr.
 *
 * Types' input functions (a domain array's checks are the owner's code),
 * stored generated columns' expressions, and the rendering of the row as
 * jsonb (a cast to json of a role's type, a type's output function) run
 * as the table's owner, restricted, with a pinned search_path, never as
 * the worker's superuser; the subtransaction of the source transaction
 * (wal_decode_txn) restores the user on an error.  A row with a type not
 * built in (or a generated column) is bounded in time, and gets settings
 * of its own (a built-in type's input and output run no role's code and
 * change no setting: the rows of such tables share one switch to the
 * owner per source transaction, wal_owner_enter()).
 */
static void
wal_row_enter(WalRel *wr, InternalSql *save)
{
	if (wr->user_types)
	{
		wal_owner_leave();
		internal_sql_begin(save, wr->owner);
		cdc_wal_timer_start();
	}
	else
		wal_owner_enter(wr->owner);
}

static void
wal_row_leave(WalRel *wr, InternalSql *save)
{
	if (wr->user_types)
	{
		cdc_wal_timer_stop();
		internal_sql_end(save);
	}
}

/*
 * a copy of v in cxt (v as read from a tuple may have a short varlena
 * header: so has the copy, which a tuple takes as it is)
 */
static Jsonb *
wal_jsonb_copy(MemoryContext cxt, Jsonb *v)
{
	Jsonb	   *copy;

	if (v == NULL)
		return NULL;
	copy = MemoryContextAlloc(cxt, VARSIZE_ANY(v));
	memcpy(copy, v, VARSIZE_ANY(v));
	return copy;
}

static void wal_written_overflow(WalRound *r);

/* write one change record and remember it for the handlers */
static void
wal_write(WalRound *r, WalRel *wr, XLogRecPtr lsn, char op, Jsonb *pk, Jsonb *oldrow, Jsonb *newrow)
{
	ChangeLogWriter *wt = &r->writer;
	int64		change_id;
	MemoryContext old;
	WalWrittenChange *w;
	Size		size;
	int			i;

	/*
	 * The capture trigger's writer (capture.c), for the round: it lives as
	 * long as the round, the values of a source transaction do not, so the
	 * writer gets copies in its batch memory.
	 */
	old = MemoryContextSwitchTo(wal_round_cxt);
	if (!r->writing)
	{
		cdc_writer_begin(wt);
		r->writing = true;
	}
	change_id = cdc_writer_next_id(wt);
	cdc_writer_add_at(wt, change_id, wr->relid, op, lsn, TimestampTzGetDatum(r->commit_time),
					  wal_jsonb_copy(wt->batchcxt, pk), wal_jsonb_copy(wt->batchcxt, oldrow),
					  wal_jsonb_copy(wt->batchcxt, newrow));
	MemoryContextSwitchTo(old);

	wr->changes++;
	wr->last_commit_lsn = r->commit_lsn;
	wr->last_commit_time = r->commit_time;

	/*
	 * The handlers get a transaction's changes as one array: those of a
	 * table with an on_change trigger are kept until the transaction is
	 * written (no other record is).
	 */
	if (!wr->handled)
		return;
	size = sizeof(WalWrittenChange) + (pk ? VARSIZE_ANY(pk) : 0) +
		(oldrow ? VARSIZE_ANY(oldrow) : 0) + (newrow ? VARSIZE_ANY(newrow) : 0);
	if (!r->written_overflow && r->written_bytes + size > (Size) cdc_on_change_max_batch * 1024)
		wal_written_overflow(r);
	if (r->written_overflow)
	{
		/* past the limit: which tables and operations had changes, only */
		for (i = 0; i < r->nwritten; i++)
			if (r->written[i].relid == wr->relid && r->written[i].op == op)
				return;
		pk = oldrow = newrow = NULL;
		size = sizeof(WalWrittenChange);
	}
	if (r->nwritten == r->maxwritten)
	{
		r->maxwritten = Max(64, r->maxwritten * 2);
		r->written = r->written == NULL
			? MemoryContextAlloc(r->txncxt, sizeof(WalWrittenChange) * r->maxwritten)
			: repalloc(r->written, sizeof(WalWrittenChange) * r->maxwritten);
	}
	w = &r->written[r->nwritten++];
	w->relid = wr->relid;
	w->change_id = change_id;
	w->lsn = lsn;
	w->op = op;
	w->pk = wal_jsonb_copy(r->txncxt, pk);
	w->oldrow = wal_jsonb_copy(r->txncxt, oldrow);
	w->newrow = wal_jsonb_copy(r->txncxt, newrow);
	r->written_bytes += size;
}

/*
 * wal_written_overflow
 *		The changes kept for the handlers of the current source transaction
 *		would take more than dataeng.on_change_max_batch: their values are
 *		freed, and one entry per table and operation is kept, without
 *		values (the handlers are not called with them: cdc_wal_run_handlers
 *		puts their batch into dataeng.dead_letters, without its changes).
 *		Unbounded, the changes of one large transaction took the memory of
 *		the database's one WAL capture worker, several times a table's size,
 *		and past 1 GB the array failed every round: no table of the
 *		database was captured any more.
 */
static void
wal_written_overflow(WalRound *r)
{
	int			n = 0;
	int			i;
	int			j;

	for (i = 0; i < r->nwritten; i++)
	{
		WalWrittenChange *w = &r->written[i];
		bool		seen = false;

		if (w->pk)
			pfree(w->pk);
		if (w->oldrow)
			pfree(w->oldrow);
		if (w->newrow)
			pfree(w->newrow);
		for (j = 0; j < n && !seen; j++)
			seen = r->written[j].relid == w->relid && r->written[j].op == w->op;
		if (seen)
			continue;
		r->written[n] = *w;
		r->written[n].pk = r->written[n].oldrow = r->written[n].newrow = NULL;
		n++;
	}
	r->nwritten = n;
	r->written_bytes = sizeof(WalWrittenChange) * n;
	r->written_overflow = true;
}

/*
 * A decoded change, written once its whole source transaction decoded: to
 * the round's store (copied there; a temporary file past
 * logical_decoding_work_mem, opened for the round's resource owner, not
 * the decoding subtransaction's).
 */
static void
wal_pending(WalRound *r, WalRel *wr, XLogRecPtr lsn, char op, Jsonb *pk, Jsonb *oldrow,
			Jsonb *newrow)
{
	Datum		values[PENDING_NATTS];
	bool		nulls[PENDING_NATTS];
	ResourceOwner owner = CurrentResourceOwner;

	memset(nulls, false, sizeof(nulls));
	values[PENDING_RELID - 1] = ObjectIdGetDatum(wr->relid);
	values[PENDING_LSN - 1] = LSNGetDatum(lsn);
	values[PENDING_OP - 1] = CharGetDatum(op);
	values[PENDING_PK - 1] = PointerGetDatum(pk);
	nulls[PENDING_PK - 1] = (pk == NULL);
	values[PENDING_OLDROW - 1] = PointerGetDatum(oldrow);
	nulls[PENDING_OLDROW - 1] = (oldrow == NULL);
	values[PENDING_NEWROW - 1] = PointerGetDatum(newrow);
	nulls[PENDING_NEWROW - 1] = (newrow == NULL);
	CurrentResourceOwner = r->pending_owner;
	PG_TRY();
	{
		tuplestore_putvalues(r->pending, r->pending_desc, values, nulls);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = owner;
	}
	PG_END_TRY();
}

/*
 * wal_switch_lock
 *		Lock a table whose capture method is being switched against its
 *		writers (SHARE ROW EXCLUSIVE, what CREATE TRIGGER takes).
 *
 * First without waiting.  Writers that keep the table busy (short
 * overlapping transactions: there is always one) would then never let a
 * switch happen, so when the lock is not free the round waits for it in
 * the lock queue, where new writers queue behind it and the ones holding
 * it finish: at most WAL_SWITCH_LOCK_WAIT_MS, and at most once every
 * WAL_SWITCH_LOCK_EVERY_MS, so that a transaction holding the lock for
 * long (a role's own, or one writing for hours) delays capture and that
 * table's writers by that much at most, and the switch is tried again
 * later.  A cancel or shutdown of the worker while it waits is not
 * swallowed.
 */
#define WAL_SWITCH_LOCK_WAIT_MS		100
#define WAL_SWITCH_LOCK_EVERY_MS	1000

static TimestampTz wal_switch_waited = 0;

static bool
wal_switch_lock(Oid relid)
{
	TimestampTz now;

	if (ConditionalLockRelationOid(relid, ShareRowExclusiveLock))
		return true;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(wal_switch_waited, now, WAL_SWITCH_LOCK_EVERY_MS))
		return false;
	wal_switch_waited = now;
	return wal_lock_within(relid, ShareRowExclusiveLock, WAL_SWITCH_LOCK_WAIT_MS);
}

/*
 * wal_switch_row
 *		After wal_switch_lock: lock the table's row of dataeng.cdc_tables
 *		(FOR NO KEY UPDATE, what the switch's UPDATE takes), without
 *		waiting.  False when another transaction holds it.
 *
 * cdc_enable and cdc_disable lock the row first and the table after it
 * (CREATE or DROP TRIGGER, LOCK TABLE), and must not lock the table first:
 * that would wait for every open writer of the table.  The round, which
 * holds the table, would otherwise wait for the row: each would wait for
 * the other (a deadlock, one side failing with 40P01).  So the round does
 * not wait: the table is switched by a later round, once that transaction
 * has ended.  A table no longer in cdc_tables (disabled, still in the
 * publication) has no row to lock.
 */
static bool
wal_switch_row(Oid relid)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(relid)};

	if (SPI_execute_with_args("SELECT 1 FROM dataeng.cdc_tables ct"
							  " WHERE ct.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
							  " FOR NO KEY UPDATE SKIP LOCKED",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not lock a row of dataeng.cdc_tables");
	if (SPI_processed > 0)
		return true;
	/* skipped, or none */
	if (SPI_execute_with_args("SELECT 1 FROM dataeng.cdc_tables ct"
							  " WHERE ct.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) $1",
							  1, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng.cdc_tables");
	return SPI_processed == 0;
}

/* an INSERT, UPDATE or DELETE message */
static void
wal_row_message(WalRound *r, char action, StringInfo msg, XLogRecPtr lsn)
{
	LogicalRepTupleData oldtup,
				newtup;
	WalGenValues gen;
	bool		has_old = false;
	LogicalRepRelId relid;
	WalRel	   *wr;
	TupleTableSlot *oslot = NULL,
			   *nslot = NULL;
	Jsonb	   *pk = NULL,
			   *oldrow = NULL,
			   *newrow = NULL;
	char		op;
	char		old_kind = 0;
	MemoryContext keep = CurrentMemoryContext;
	InternalSql save;

	/*
	 * The kind of an UPDATE's or DELETE's old row, after the relation id:
	 * 'O' the whole row (REPLICA IDENTITY FULL), 'K' the key alone (the
	 * other columns read NULL: never recorded as the old row).
	 */
	if (action != LOGICAL_REP_MSG_INSERT && msg->cursor + 4 < msg->len)
		old_kind = msg->data[msg->cursor + 4];

	/*
	 * What decoding a row allocates goes to memory reset for each row: only
	 * its records are kept (in the source transaction's memory).
	 */
	MemoryContextReset(r->rowcxt);
	MemoryContextSwitchTo(r->rowcxt);
	switch (action)
	{
		case LOGICAL_REP_MSG_INSERT:
			relid = logicalrep_read_insert(msg, &newtup);
			op = 'I';
			break;
		case LOGICAL_REP_MSG_UPDATE:
			relid = logicalrep_read_update(msg, &has_old, &oldtup, &newtup);
			op = 'U';
			break;
		default:
			relid = logicalrep_read_delete(msg, &oldtup);
			has_old = true;
			op = 'D';
			break;
	}
	wal_gen_read(msg, &gen);
	wr = hash_search(r->rels, &relid, HASH_FIND, NULL);
	/* (wal_decode_txn opened the relation before its subtransaction) */
	if (wr == NULL || !wr->capture || !wr->ready || !WAL_REL_USABLE(wr))
	{
		MemoryContextSwitchTo(keep);
		return;
	}
	r->cur_rel = wr;
	if (wr->map == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("no relation message for table %u before its changes", wr->relid)));

	if (has_old && old_kind == 'K')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the WAL holds only the key of the old row for %s of table \"%s\"",
						op == 'U' ? "an update" : "a delete",
						WAL_REL_NAME(wr)),
				 errhint("Capture from the WAL needs REPLICA IDENTITY FULL: run dataeng.cdc_enable() again.")));
	wal_row_enter(wr, &save);
	if (has_old)
	{
		oslot = wr->oldslot;
		wal_fill_slot(wr, &oldtup, oslot, NULL, &gen, gen.has_old ? &gen.oldvals : NULL);
	}
	if (op != 'D')
	{
		nslot = wr->newslot;
		wal_fill_slot(wr, &newtup, nslot, oslot, &gen, gen.has_new ? &gen.newvals : NULL);
	}
	if (op == 'U' && oslot == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the WAL holds no old row for an update of table \"%s\"",
						WAL_REL_NAME(wr)),
				 errhint("Capture from the WAL needs REPLICA IDENTITY FULL: run dataeng.cdc_enable() again.")));

	if (wr->has_key)
		pk = dataeng_row_jsonb_build(&wr->keymap, oslot ? oslot : nslot, NULL);
	if (oslot)
		oldrow = dataeng_row_jsonb_build(&wr->rowmap, oslot, NULL);
	if (nslot)
	{
		Bitmapset  *changed = NULL;

		if (oslot && wr->changed_only)
		{
			changed = dataeng_row_jsonb_changed(&wr->rowmap, oslot, nslot);
			if (changed == NULL)
				changed = bms_make_singleton(0);
		}
		newrow = dataeng_row_jsonb_build(&wr->rowmap, nslot, changed);
	}
	wal_row_leave(wr, &save);
	MemoryContextSwitchTo(keep);
	/* (the store copies the records: the row's memory goes with the next row) */
	wal_pending(r, wr, lsn, op, pk, oldrow, newrow);
	r->cur_rel = NULL;
}

/* a TRUNCATE message: a 'T' of each captured table it names */
static void
wal_truncate_message(WalRound *r, StringInfo msg, XLogRecPtr lsn)
{
	bool		cascade,
				restart;
	List	   *relids = logicalrep_read_truncate(msg, &cascade, &restart);
	ListCell   *lc;

	foreach(lc, relids)
	{
		Oid			relid = lfirst_oid(lc);
		WalRel	   *wr = hash_search(r->rels, &relid, HASH_FIND, NULL);

		if (wr == NULL || !wr->capture || !wr->ready || !WAL_REL_USABLE(wr))
			continue;
		wal_pending(r, wr, lsn, 'T', NULL, NULL, NULL);
	}
}

/* ------------------------------------------------------------------ */

/*
 * A table's capture options from a row of dataeng.cdc_tables read with
 * columns, exclude_columns and changed_only as its columns 2 to 4
 */
static void
wal_rel_options(WalRel *wr, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;

	wr->columns = SPI_getvalue(tup, desc, 2);
	wr->exclude = SPI_getvalue(tup, desc, 3);
	wr->changed_only = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
}

/* load dataeng.cdc_tables; true if any WAL table */
static bool
wal_load(WalRound *r, List **switching)
{
	HASHCTL		ctl;
	uint64		i;
	bool		any = false;

	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(WalRel);
	ctl.hcxt = CurrentMemoryContext;
	r->rels = hash_create("dataeng wal relations", 32, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	cdc_wal_stopped_reset();

	/*
	 * The stops kept while their table's row was locked (wal_break_table)
	 * go to the rows now free; those of tables no longer captured from the
	 * WAL are forgotten.
	 */
	if (SPI_execute("WITH moved AS ("
					"  UPDATE dataeng.cdc_tables ct SET capture_error = s.capture_error,"
					"         capture_stopped_at = s.stopped_at"
					"    FROM dataeng_internal.cdc_wal_stops s"
					"   WHERE ct.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) s.table_name"
					"     AND ct.ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
					"       SELECT c.ctid FROM dataeng.cdc_tables c"
					"        WHERE c.table_name::pg_catalog.oid IN (SELECT s2.table_name FROM dataeng_internal.cdc_wal_stops s2)"
					"          FOR NO KEY UPDATE OF c SKIP LOCKED))"
					"  RETURNING s.table_name)"
					" DELETE FROM dataeng_internal.cdc_wal_stops s"
					"  WHERE s.table_name IN (SELECT m.table_name FROM moved m)"
					"     OR NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct"
					"                     WHERE ct.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) s.table_name"
					"                       AND 'wal' IN (ct.method, ct.active_method))", false, 0) < 0)
		elog(ERROR, "could not write dataeng_internal.cdc_wal_stops");
	if (SPI_execute("SELECT ct.table_name::oid, ct.columns::text, ct.exclude_columns::text,"
					" ct.changed_only, ct.method, ct.active_method,"
					" ct.capture_error IS NOT NULL OR EXISTS (SELECT 1 FROM dataeng_internal.cdc_wal_stops s"
					"   WHERE s.table_name OPERATOR(pg_catalog.=) ct.table_name::pg_catalog.oid)"
					" FROM dataeng.cdc_tables ct"
					" WHERE 'wal' IN (ct.method, ct.active_method)", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng.cdc_tables");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		char	   *method = SPI_getvalue(tup, desc, 5);
		char	   *active = SPI_getvalue(tup, desc, 6);
		WalRel	   *wr = hash_search(r->rels, &relid, HASH_ENTER, NULL);

		memset(((char *) wr) + sizeof(Oid), 0, sizeof(WalRel) - sizeof(Oid));
		/* (not a table stopped for a change that could not be decoded) */
		wr->capture = (strcmp(active, "wal") == 0) &&
			!DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));

		/*
		 * A stopped table's changes are made messages of in a subtransaction
		 * (wal_decode.c): the next row of it pgoutput cannot send ends no
		 * round, even after shared memory lost the failures noted before
		 * (a restart of the server) or past the last WAL_GUARD_RELS of them.
		 * pgoutput is called with the partition a row is in.
		 */
		if (DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull)))
		{
			cdc_wal_guard_rel(relid);
			cdc_wal_stopped_rel(relid);
			if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
			{
				ListCell   *lc;

				foreach(lc, find_all_inheritors(relid, NoLock, NULL))
				{
					cdc_wal_guard_rel(lfirst_oid(lc));
					cdc_wal_stopped_rel(lfirst_oid(lc));
				}
			}
		}
		wal_rel_options(wr, tup, desc);
		if (strcmp(method, active) != 0)
			*switching = lappend_oid(*switching, relid);
		any = true;
	}
	/* tables still in the publication that are no longer captured */
	if (SPI_execute("SELECT pr.prrelid FROM pg_catalog.pg_publication_rel pr"
					" JOIN pg_catalog.pg_publication p ON p.oid OPERATOR(pg_catalog.=) pr.prpubid"
					" WHERE p.pubname OPERATOR(pg_catalog.=) '" CDC_WAL_PUBLICATION "'"
					" AND NOT EXISTS (SELECT 1 FROM dataeng.cdc_tables ct"
					"   WHERE ct.table_name::oid OPERATOR(pg_catalog.=) pr.prrelid"
					"   AND ct.active_method OPERATOR(pg_catalog.=) 'wal')", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_publication_rel");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		*switching = lappend_oid(*switching,
								 DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																SPI_tuptable->tupdesc, 1, &isnull)));
		any = true;
	}

	/*
	 * A DROP that took the last table captured from the WAL after writing
	 * it described the table (dataeng_internal.cdc_wal_dropped): the round
	 * still has that transaction to record (before, the worker left and
	 * dropped its slot, and the changes were lost; test
	 * cdc_wal_drop_unwritten).  (0.1.0: no such table)
	 */
	if (!any &&
		OidIsValid(get_relname_relid("cdc_wal_dropped",
									 get_namespace_oid(dataeng_internal_schema(), true))))
	{
		if (SPI_execute("SELECT 1 FROM dataeng_internal.cdc_wal_dropped LIMIT 1", true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not read dataeng_internal.cdc_wal_dropped");
		any = (SPI_processed > 0);
	}

	return any;
}

/*
 * Read again the capture options (columns, exclude_columns, changed_only)
 * of the tables wal_load() found, once the round knows how far it decodes
 * (upto), with a snapshot taken after that, as wal_load_triggers() does:
 * cdc_enable() changing a table's options and committed before upto is
 * then seen, so that the changes made after its call returned are
 * recorded with the new options.  (Read only by wal_load(), the options
 * committed between its snapshot and upto were missed for the round's
 * changes made after them.)  Tables wal_load() did not find, or found
 * switching, are left to the next round: their locks were taken before
 * upto.
 */
static void
wal_reload_options(WalRound *r)
{
	uint64		i;

	if (SPI_execute("SELECT ct.table_name::oid, ct.columns::text, ct.exclude_columns::text, ct.changed_only"
					" FROM dataeng.cdc_tables ct"
					" WHERE ct.active_method OPERATOR(pg_catalog.=) 'wal'", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng.cdc_tables");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		WalRel	   *wr = hash_search(r->rels, &relid, HASH_FIND, NULL);

		if (wr == NULL || wr->ready)
			continue;
		wal_rel_options(wr, tup, desc);
	}
}

/*
 * Load the on_change triggers.  Called once the round knows how far it
 * decodes (upto), with a snapshot taken after that: a trigger this read
 * does not see became visible after it, so every change committed after
 * its creation returned has its commit record past upto and is decoded by
 * a later round, which sees the trigger.  (Read before upto, a trigger
 * committed in between missed the changes its creator made next.)
 */
/*
 * a trigger row (u) whose owner_name is not its live owner's name: the
 * owner dropped (the name becomes NULL, for ever) or renamed
 */
#define WAL_OWNER_STALE_SQL \
	"u.owner_name IS NOT NULL AND u.owner_name IS DISTINCT FROM" \
	" (SELECT a.rolname FROM pg_catalog.pg_authid a WHERE a.oid OPERATOR(pg_catalog.=) u.owner::oid)"

/* a role was created, altered or dropped since the owners were checked */
static bool wal_roles_changed = true;

static void
wal_roles_invalidate(Datum arg, int cacheid, uint32 hashvalue)
{
	wal_roles_changed = true;
}

/*
 * wal_check_owners
 *		A trigger names its owner by oid, with the name beside it
 *		(owner_name).  DROP ROLE does not see the triggers (DROP OWNED
 *		leaves them): after a wraparound of oids a new role could get the
 *		dropped owner's oid and run its handler.  So, whenever roles change
 *		(and when the worker starts), a trigger whose oid names no role is
 *		marked (owner_name NULL, never called again, as a job of a dropped
 *		owner is marked broken: src/schedule/scheduler.c), and a rename of a
 *		live owner is followed.  An oid is reused only after 2^32 others:
 *		the worker sees the drop long before.
 */
static void
wal_check_owners(void)
{
	static bool registered = false;

	if (!registered)
	{
		CacheRegisterSyscacheCallback(AUTHOID, wal_roles_invalidate, (Datum) 0);
		registered = true;
	}
	if (!wal_roles_changed)
		return;
	wal_roles_changed = false;
	/* (a row another transaction holds is skipped, and done in a later round) */
	if (SPI_execute("UPDATE dataeng_internal.on_change_triggers t"
					" SET owner_name = (SELECT a.rolname FROM pg_catalog.pg_authid a"
					"  WHERE a.oid OPERATOR(pg_catalog.=) t.owner::oid)"
					" WHERE t.trigger_name IN (SELECT u.trigger_name FROM dataeng_internal.on_change_triggers u"
					"  WHERE " WAL_OWNER_STALE_SQL
					"  FOR NO KEY UPDATE SKIP LOCKED)",
					false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not write dataeng_internal.on_change_triggers");
	if (SPI_execute("SELECT 1 FROM dataeng_internal.on_change_triggers u WHERE " WAL_OWNER_STALE_SQL " LIMIT 1",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng_internal.on_change_triggers");
	if (SPI_processed > 0)
		wal_roles_changed = true;
}

static void
wal_load_triggers(WalRound *r)
{
	uint64		i;

	wal_check_owners();
	if (SPI_execute("SELECT t.trigger_name, t.table_name::oid,"
					/* (the handler: its oid, or by name when recorded in another catalog, as after pg_upgrade: wal.h) */
					" " WAL_TRIGGER_HANDLER_SQL ","
					" t.owner::oid,"
					" array_to_string(t.ops, ''), t.on_error = 'pause', t.paused_at IS NOT NULL,"
					" t.from_lsn, coalesce(t.handled_lsn, '0/0'),"
					" t.resume_requested, coalesce(t.resume_from, '0/0'),"
					" (SELECT pg_catalog.count(*) FROM dataeng_internal.on_change_backlog b"
					"  WHERE b.trigger_name OPERATOR(pg_catalog.=) t.trigger_name"
					"  AND b.from_lsn OPERATOR(pg_catalog.=) t.from_lsn),"
					" t.owner_name IS NULL"
					" FROM dataeng_internal.on_change_triggers t"
					" ORDER BY t.trigger_name",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng_internal.on_change_triggers");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		WalTrigger   *t = palloc0(sizeof(WalTrigger));

		t->name = SPI_getvalue(tup, desc, 1);
		t->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 2, &isnull));
		t->handler = DatumGetObjectId(SPI_getbinval(tup, desc, 3, &isnull));
		t->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 4, &isnull));
		strlcpy(t->ops, SPI_getvalue(tup, desc, 5), sizeof(t->ops));
		t->pause_on_error = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
		t->paused = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
		t->from_lsn = DatumGetLSN(SPI_getbinval(tup, desc, 8, &isnull));
		t->handled_lsn = DatumGetLSN(SPI_getbinval(tup, desc, 9, &isnull));
		t->resume = DatumGetBool(SPI_getbinval(tup, desc, 10, &isnull));
		t->resume_from = DatumGetLSN(SPI_getbinval(tup, desc, 11, &isnull));
		t->backlog_n = DatumGetInt64(SPI_getbinval(tup, desc, 12, &isnull));
		t->backlog = (t->backlog_n > 0);
		t->owner_dropped = DatumGetBool(SPI_getbinval(tup, desc, 13, &isnull));
		/* its dead letters are counted when it sets a batch aside */
		t->dead_known = false;
		r->triggers = lappend(r->triggers, t);
		{
			WalRel	   *wr = hash_search(r->rels, &t->relid, HASH_FIND, NULL);

			if (wr != NULL)
				wr->handled = true;
		}
	}
}

/* record the position and the progress of tables and triggers */
static void
wal_save(WalRound *r, const char *slot, XLogRecPtr applied, XLogRecPtr last_commit_lsn,
		 TimestampTz last_commit_time)
{
	Oid			types[4] = {NAMEOID, PG_LSNOID, PG_LSNOID, TIMESTAMPTZOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	HASH_SEQ_STATUS status;
	WalRel	   *wr;
	ListCell   *lc;

	values[0] = CStringGetDatum(slot);
	values[1] = LSNGetDatum(applied);
	values[2] = LSNGetDatum(last_commit_lsn);
	values[3] = TimestampTzGetDatum(last_commit_time);
	if (last_commit_lsn == InvalidXLogRecPtr)
		nulls[2] = nulls[3] = 'n';
	if (SPI_execute_with_args("INSERT INTO dataeng_internal.cdc_wal_state AS s"
							  " (slot_name, applied_lsn, last_commit_lsn, last_commit_time)"
							  " VALUES ($1, $2, $3, $4) ON CONFLICT (slot_name) DO UPDATE"
							  " SET applied_lsn = EXCLUDED.applied_lsn,"
							  " last_commit_lsn = coalesce(EXCLUDED.last_commit_lsn, s.last_commit_lsn),"
							  " last_commit_time = coalesce(EXCLUDED.last_commit_time, s.last_commit_time),"
							  " updated_at = now()",
							  4, types, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dataeng_internal.cdc_wal_state");

	hash_seq_init(&status, r->rels);
	while ((wr = hash_seq_search(&status)) != NULL)
	{
		Oid			ttypes[4] = {OIDOID, PG_LSNOID, TIMESTAMPTZOID, INT8OID};
		Datum		tvalues[4];

		/* (a table dropped has no status left) */
		if (wr->changes == 0 || wr->dropped)
			continue;
		tvalues[0] = ObjectIdGetDatum(wr->relid);
		tvalues[1] = LSNGetDatum(wr->last_commit_lsn);
		tvalues[2] = TimestampTzGetDatum(wr->last_commit_time);
		tvalues[3] = Int64GetDatum(wr->changes);
		if (SPI_execute_with_args("INSERT INTO dataeng_internal.cdc_wal_tables AS w"
								  " (table_name, last_commit_lsn, last_commit_time, changes)"
								  " VALUES ($1, $2, $3, $4) ON CONFLICT (table_name) DO UPDATE"
								  " SET last_commit_lsn = EXCLUDED.last_commit_lsn,"
								  " last_commit_time = EXCLUDED.last_commit_time,"
								  " changes = w.changes + EXCLUDED.changes",
								  4, ttypes, tvalues, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not write dataeng_internal.cdc_wal_tables");
	}

	foreach(lc, r->triggers)
	{
		WalTrigger   *t = lfirst(lc);
		Oid			ttypes[8] = {TEXTOID, PG_LSNOID, BOOLOID, PG_LSNOID, BOOLOID, BOOLOID, PG_LSNOID, TEXTOID};
		Datum		tvalues[8];
		char		tnulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

		/*
		 * (a trigger made again under the name of one dropped is another;
		 * a busy one's row is another transaction's: wal_trigger_busy)
		 */
		if (!t->touched || t->dropped || t->busy)
			continue;
		tvalues[0] = CStringGetTextDatum(t->name);
		tvalues[1] = LSNGetDatum(t->handled_lsn);
		tvalues[2] = BoolGetDatum(t->paused);
		tvalues[3] = LSNGetDatum(t->resume_from);
		if (t->resume_from == InvalidXLogRecPtr)
			tnulls[3] = 'n';
		tvalues[4] = BoolGetDatum(t->resumed);
		/* (a resume its role's budget cut goes on in a later round) */
		tvalues[5] = BoolGetDatum(t->resume && !t->resume_later);
		tvalues[6] = LSNGetDatum(t->from_lsn);
		if (t->pause_reason != NULL)
			tvalues[7] = CStringGetTextDatum(t->pause_reason);
		else
			tnulls[7] = 'n';

		/*
		 * (A pause or resume asked for during the round, after the round
		 * read the trigger, is kept: the next round acts on it.  A trigger
		 * dropped and made again under its name meanwhile, by another
		 * session, is another one: from_lsn tells them apart.  A trigger
		 * the round resumed, then paused again (a batch that failed with
		 * on_error => 'pause', its backlog's bound, a pause asked for
		 * meanwhile), is paused from then on: its pause, its reason and
		 * the batch its set-aside ones start from are the new ones; with
		 * the old pause's, resume_from cleared, the next resume handed
		 * nothing over and the handler went on without them.)
		 */
		if (SPI_execute_with_args("UPDATE dataeng_internal.on_change_triggers t"
								  " SET handled_lsn = $2, handled_at = now(),"
								  " paused_at = CASE WHEN $3 AND $5 THEN now()"
								  "  WHEN $3 THEN coalesce(t.paused_at, now())"
								  "  WHEN $5 THEN NULL ELSE t.paused_at END,"
								  " pause_reason = CASE WHEN $3 AND $5 THEN coalesce($8, 'dataeng.on_change_pause()')"
								  "  WHEN $3 THEN coalesce(t.pause_reason, $8)"
								  "  WHEN $5 THEN NULL ELSE t.pause_reason END,"
								  " resume_from = CASE WHEN $3 AND $5 THEN $4"
								  "  WHEN $5 THEN NULL ELSE coalesce(t.resume_from, $4) END,"
								  " resume_requested = t.resume_requested AND NOT $6"
								  " WHERE t.trigger_name = $1 AND t.from_lsn = $7",
								  8, ttypes, tvalues, tnulls, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not write dataeng_internal.on_change_triggers");
	}
}

/*
 * wal_check_publication
 *		The publication decides which changes the slot gives: it must be
 *		the extension's (owned by a superuser or the extension's owner,
 *		not a role that made it first), publish every operation of the
 *		captured tables' whole rows and nothing else.  Otherwise capture
 *		stops with an ERROR naming the owner (the worker tries again after
 *		its restart delay).
 */
static void
wal_check_publication(void)
{
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	char	   *owner;
	bool		trusted,
				alltables,
				publish,
				viaroot,
				filtered;

	if (SPI_execute("SELECT pg_catalog.quote_ident(r.rolname),"
					" r.rolsuper OR r.oid OPERATOR(pg_catalog.=) e.extowner,"
					" p.puballtables, p.pubinsert AND p.pubupdate AND p.pubdelete AND p.pubtruncate,"
					" p.pubviaroot,"
					" EXISTS (SELECT 1 FROM pg_catalog.pg_publication_rel pr"
					"   WHERE pr.prpubid OPERATOR(pg_catalog.=) p.oid"
					"   AND (pr.prqual IS NOT NULL OR pr.prattrs IS NOT NULL))"
					" OR EXISTS (SELECT 1 FROM pg_catalog.pg_publication_namespace pn"
					"   WHERE pn.pnpubid OPERATOR(pg_catalog.=) p.oid)"
					" FROM pg_catalog.pg_publication p"
					" JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) p.pubowner"
					" CROSS JOIN pg_catalog.pg_extension e"
					" WHERE p.pubname OPERATOR(pg_catalog.=) '" CDC_WAL_PUBLICATION "'"
					" AND e.extname OPERATOR(pg_catalog.=) 'dataeng'", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read pg_publication");
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("publication \"%s\" does not exist", CDC_WAL_PUBLICATION),
				 errdetail("Capture from the WAL decodes the tables of that publication."),
				 errhint("The WAL capture worker makes it again when it restarts.")));
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	owner = SPI_getvalue(tup, desc, 1);
	trusted = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
	alltables = DatumGetBool(SPI_getbinval(tup, desc, 3, &isnull));
	publish = DatumGetBool(SPI_getbinval(tup, desc, 4, &isnull));
	viaroot = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));
	filtered = DatumGetBool(SPI_getbinval(tup, desc, 6, &isnull));
	if (!trusted)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("publication \"%s\" is owned by role %s, not by a superuser or the owner of extension dataeng",
						CDC_WAL_PUBLICATION, owner),
				 errdetail("Its owner could change which changes are captured, so capture from the WAL stops."),
				 errhint("A superuser drops the publication (DROP PUBLICATION %s); the WAL capture worker makes it again.",
						 CDC_WAL_PUBLICATION)));
	if (alltables || !publish || !viaroot || filtered)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("publication \"%s\" (owner %s) was changed: capture from the WAL stops",
						CDC_WAL_PUBLICATION, owner),
				 errdetail("It must publish insert, update, delete and truncate via the partition root, of the captured tables only, without row filters or column lists."),
				 errhint("A superuser drops the publication (DROP PUBLICATION %s); the WAL capture worker makes it again.",
						 CDC_WAL_PUBLICATION)));
}

/*
 * wal_break_table
 *		Stop capturing wr: a change of it cannot be decoded (err).  The
 *		reason goes to cdc_tables.capture_error (shown by cdc_status), or
 *		to cdc_wal_stops while that row is locked, and the log; the other
 *		tables go on.
 */
static void
wal_break_table(WalRound *r, WalRel *wr, ErrorData *err)
{
	Oid			types[2] = {OIDOID, TEXTOID};
	Datum		values[2];
	char	   *reason;
	const char *name = wr->rel ? RelationGetRelationName(wr->rel) :
		wr->name ? wr->name : get_rel_name(wr->relid);

	wr->capture = false;
	reason = psprintf("commit %X/%X: %s%s%s%s", LSN_FORMAT_ARGS(r->commit_lsn),
					  err->message ? err->message : "",
					  err->detail ? " (" : "", err->detail ? err->detail : "",
					  err->detail ? ")" : "");
	ereport(WARNING,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("capture of table \"%s\" from the WAL stopped: a change of commit %X/%X cannot be decoded",
					name ? name : "?", LSN_FORMAT_ARGS(r->commit_lsn)),
			 errdetail("%s", reason),
			 errhint("Changes of the table are not captured until its owner runs dataeng.cdc_enable() again; dataeng.cdc_status shows the error.")));
	values[0] = ObjectIdGetDatum(wr->relid);
	values[1] = CStringGetTextDatum(reason);

	/*
	 * The table's row, unless another transaction holds it (cdc_enable(),
	 * cdc_disable(), an ALTER TABLE of the table, which its owner may keep
	 * open): waiting for it would hold capture of every table meanwhile.
	 * Then the stop is kept in cdc_wal_stops, which the worker alone
	 * writes, and a later round moves it to the row (wal_load).
	 */
	if (SPI_execute_with_args("UPDATE dataeng.cdc_tables ct SET capture_error = $2,"
							  " capture_stopped_at = pg_catalog.now()"
							  " WHERE ct.ctid OPERATOR(pg_catalog.=) ANY (ARRAY("
							  "   SELECT c.ctid FROM dataeng.cdc_tables c"
							  "    WHERE c.table_name::pg_catalog.oid OPERATOR(pg_catalog.=) $1"
							  "      FOR NO KEY UPDATE SKIP LOCKED))",
							  2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not write dataeng.cdc_tables");
	if (SPI_processed == 0 &&
		SPI_execute_with_args("INSERT INTO dataeng_internal.cdc_wal_stops (table_name, capture_error, stopped_at)"
							  " VALUES ($1, $2, pg_catalog.now()) ON CONFLICT (table_name) DO NOTHING",
							  2, types, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write dataeng_internal.cdc_wal_stops");
}

/*
 * wal_unsent_rel
 *		The table of the round whose change of relid pgoutput could not make
 *		a message of (CDC_WAL_MSG_UNSENT): relid itself, or the captured
 *		partitioned table above it (pgoutput names the partition root); NULL
 *		when it is not captured.
 */
static WalRel *
wal_unsent_rel(WalRound *r, Oid relid)
{
	WalRel	   *wr = hash_search(r->rels, &relid, HASH_FIND, NULL);
	ListCell   *lc;

	if (wr != NULL || !get_rel_relispartition(relid))
		return wr;
	foreach(lc, get_partition_ancestors(relid))
	{
		Oid			anc = lfirst_oid(lc);

		wr = hash_search(r->rels, &anc, HASH_FIND, NULL);
		if (wr != NULL)
			return wr;
	}
	return NULL;
}

/*
 * wal_unsent_message
 *		A change pgoutput could not make a message of (wal_decode.c: a row
 *		whose text form passes 1 GB, with its old row or its other
 *		columns): its table cannot be decoded, the error is raised for it
 *		(wal_decode_txn stops it, and the other tables go on).
 */
static void
wal_unsent_message(WalRound *r, StringInfo msg)
{
	Oid			relid = pq_getmsgint(msg, 4);
	int			sqlstate = pq_getmsgint(msg, 4);
	const char *message = pq_getmsgstring(msg);
	const char *detail = pq_getmsgstring(msg);
	WalRel	   *wr = wal_unsent_rel(r, relid);

	/* (its later changes, which end no round any more) */
	cdc_wal_guard_rel(relid);
	if (wr == NULL || !wr->capture)
		return;
	r->cur_rel = wr;
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("the output plugin could not send a change: %s", message),
			 detail[0] != '\0' ? errdetail("%s", detail) : 0));
}

/*
 * wal_decode_txn
 *		Decode the n messages after the mark (one source transaction) into
 *		r->pending, in a subtransaction under the time limit.  An error in
 *		a table's change stops that table (wal_break_table) and returns
 *		false: the caller decodes the transaction again without it.  Any
 *		other error, and a cancel of the worker, ends the round.
 */
static bool
wal_decode_txn(WalRound *r, CdcWalMsgs *msgs, uint64 n)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	r->cur_rel = NULL;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		uint64		k;

		cdc_wal_timer_stop();
		cdc_wal_msgs_replay(msgs);
		for (k = 0; k < n; k++)
		{
			StringInfoData m;
			XLogRecPtr	lsn;
			char		a;

			if (!cdc_wal_msgs_next(msgs, &m, &lsn))
				elog(ERROR, "a decoded transaction has fewer messages than counted");
			a = pq_getmsgbyte(&m);
			switch (a)
			{
				case LOGICAL_REP_MSG_RELATION:
					/* (relation maps live as long as the round) */
					wal_relation_message(r, &m);
					break;
				case LOGICAL_REP_MSG_INSERT:
				case LOGICAL_REP_MSG_UPDATE:
				case LOGICAL_REP_MSG_DELETE:
					wal_row_message(r, a, &m, lsn);
					break;
				case LOGICAL_REP_MSG_TRUNCATE:
					wal_truncate_message(r, &m, lsn);
					break;
				case CDC_WAL_MSG_UNSENT:
					wal_unsent_message(r, &m);
					break;
				default:
					break;		/* types, origins, messages */
			}
		}
		wal_owner_leave();
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		WalRel	   *wr = r->cur_rel;
		ErrorData  *err;
		bool		cancelled;

		MemoryContextSwitchTo(cxt);
		err = CopyErrorData();
		cancelled = cdc_wal_cancelled(err);
		cdc_wal_name_timeout(err);
		cdc_wal_timer_stop();
		FlushErrorState();
		/* (the abort gives back the user and the settings) */
		wal_owner_active = false;
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (wr == NULL || cancelled)
			ReThrowError(err);
		wal_break_table(r, wr, err);
		ok = false;
	}
	PG_END_TRY();
	cdc_wal_msgs_resume(msgs);
	r->cur_rel = NULL;
	return ok;
}

/*
 * wal_rel_open
 *		wal_rel_ready() for the current source transaction: a table whose
 *		lock another transaction held past dataeng.wal_lock_timeout
 *		(wal_rel_lock) stops, as one whose change cannot be decoded, and
 *		the round goes on with the other tables.
 */
static void
wal_rel_open(WalRound *r, WalRel *wr)
{
	ErrorData	err;

	if (wal_rel_ready(wr) || !wr->lock_refused || !wr->capture)
		return;
	memset(&err, 0, sizeof(err));
	err.message = psprintf("the lock to read table %s was not granted within dataeng.wal_lock_timeout (%d ms)",
						   quote_identifier(get_rel_name(wr->relid) ? get_rel_name(wr->relid) : "?"),
						   cdc_wal_lock_timeout);
	err.detail = pstrdup("another transaction held a lock on it that conflicts with reading it "
						 "(LOCK TABLE, ALTER TABLE, VACUUM FULL...); waiting on would have held back "
						 "capture of every table of the database");
	wal_break_table(r, wr, &err);
}

/* the elements of array column col of an SPI row, of type elemtype (none when NULL) */
static int
wal_spi_array(HeapTuple tup, TupleDesc desc, int col, Oid elemtype, Datum **elems)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	bool	   *nulls;
	int			n;

	*elems = NULL;
	if (isnull)
		return 0;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(DatumGetArrayTypeP(d), elemtype, typlen, typbyval, typalign,
					  elems, &nulls, &n);
	return n;
}

/*
 * wal_load_dropped
 *		The source transaction wrote a logical message CDC_WAL_DROP_PREFIX:
 *		it dropped tables captured from the WAL after writing them
 *		(ddl.c, cdc_wal_before_drop), and described each in a row of
 *		dataeng_internal.cdc_wal_dropped.  Those rows become the round's
 *		entries of the tables (their changes in the transaction are decoded
 *		with them, wal_dropped_build) and are deleted in the round's
 *		transaction, which records applied_lsn past this one: each is used
 *		once, and a round that fails (or a crash before it commits) leaves
 *		them to the next.  (A message written by anyone else finds no row:
 *		the rows are written by the DROP alone.)
 */
static void
wal_load_dropped(WalRound *r)
{
	Oid			types[1] = {XIDOID};
	Datum		values[1];
	uint64		i;
	List	   *installed = NIL;
	ListCell   *lc;

	/*
	 * (its commit record is decoded; the row is visible once the
	 * transaction no longer runs, which its lock tells)
	 */
	if (!TransactionIdIsValid(r->src_xid))
		return;
	XactLockTableWait(r->src_xid, NULL, NULL, XLTW_None);
	values[0] = TransactionIdGetDatum(r->src_xid);
	if (SPI_execute_with_args("DELETE FROM dataeng_internal.cdc_wal_dropped d"
							  " WHERE d.dropped_xid::pg_catalog.xid OPERATOR(pg_catalog.=) $1"
							  " RETURNING d.table_oid, d.columns::text, d.exclude_columns::text,"
							  " d.changed_only, d.table_ident, d.table_owner, d.key_columns,"
							  " d.column_names, d.column_types, d.column_typmods, d.column_read_types,"
							  " d.generated_columns, d.generated_exprs",
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "could not read dataeng_internal.cdc_wal_dropped");
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		found;
		Oid			relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		MemoryContext old;
		WalRel	   *wr;
		Datum	   *elems;
		int			n,
					k;

		wr = hash_search(r->rels, &relid, HASH_ENTER, &found);
		/* (open: not the table dropped, one that took its oid since) */
		if (found && wr->rel != NULL)
			continue;
		if (found && wr->oldslot)
			ExecDropSingleTupleTableSlot(wr->oldslot);
		if (found && wr->newslot)
			ExecDropSingleTupleTableSlot(wr->newslot);
		memset(((char *) wr) + sizeof(Oid), 0, sizeof(WalRel) - sizeof(Oid));
		old = MemoryContextSwitchTo(wal_round_cxt);
		wr->capture = true;
		wr->dropped = true;
		wal_rel_options(wr, tup, desc);
		wr->name = SPI_getvalue(tup, desc, 5);
		wr->owner = DatumGetObjectId(SPI_getbinval(tup, desc, 6, &isnull));
		n = wal_spi_array(tup, desc, 7, TEXTOID, &elems);
		wr->nkey = n;
		wr->keynames = palloc(sizeof(char *) * Max(n, 1));
		for (k = 0; k < n; k++)
			wr->keynames[k] = TextDatumGetCString(elems[k]);
		n = wal_spi_array(tup, desc, 8, TEXTOID, &elems);
		wr->dnatts = n;
		wr->dattnames = palloc(sizeof(char *) * Max(n, 1));
		wr->dattypes = palloc0(sizeof(Oid) * Max(n, 1));
		wr->dattypmods = palloc0(sizeof(int32) * Max(n, 1));
		wr->dattreadtypes = palloc0(sizeof(Oid) * Max(n, 1));
		for (k = 0; k < n; k++)
			wr->dattnames[k] = TextDatumGetCString(elems[k]);
		n = Min(wal_spi_array(tup, desc, 9, OIDOID, &elems), wr->dnatts);
		for (k = 0; k < n; k++)
			wr->dattypes[k] = DatumGetObjectId(elems[k]);
		n = Min(wal_spi_array(tup, desc, 10, INT4OID, &elems), wr->dnatts);
		for (k = 0; k < n; k++)
			wr->dattypmods[k] = DatumGetInt32(elems[k]);
		n = Min(wal_spi_array(tup, desc, 11, OIDOID, &elems), wr->dnatts);
		for (k = 0; k < n; k++)
			wr->dattreadtypes[k] = DatumGetObjectId(elems[k]);
		n = wal_spi_array(tup, desc, 12, TEXTOID, &elems);
		wr->dgennames = palloc(sizeof(char *) * Max(n, 1));
		for (k = 0; k < n; k++)
			wr->dgennames[k] = TextDatumGetCString(elems[k]);
		wr->dngen = Min(wal_spi_array(tup, desc, 13, TEXTOID, &elems), n);
		wr->dgenexprs = palloc(sizeof(char *) * Max(wr->dngen, 1));
		for (k = 0; k < wr->dngen; k++)
			wr->dgenexprs[k] = TextDatumGetCString(elems[k]);
		installed = lappend(installed, wr);
		MemoryContextSwitchTo(old);
	}
	foreach(lc, installed)
		wal_rel_open(r, (WalRel *) lfirst(lc));
}

/*
 * wal_apply_txn
 *		Write the changes of one source transaction (the n messages after
 *		the mark).
 *		The relations it names are opened first, outside the subtransaction
 *		that decodes, so that they stay open whatever it does.
 */
static void
wal_apply_txn(WalRound *r, CdcWalMsgs *msgs, uint64 n)
{
	uint64		k;
	HASH_SEQ_STATUS status;
	WalRel	   *wr;
	int			i;
	bool		dropped = false;

	cdc_wal_msgs_replay(msgs);
	for (k = 0; k < n; k++)
	{
		StringInfoData m;
		char		a;
		Oid			relid = InvalidOid;

		if (!cdc_wal_msgs_next(msgs, &m, NULL))
			elog(ERROR, "a decoded transaction has fewer messages than counted");
		a = pq_getmsgbyte(&m);
		if (a == LOGICAL_REP_MSG_RELATION || a == LOGICAL_REP_MSG_INSERT ||
			a == LOGICAL_REP_MSG_UPDATE || a == LOGICAL_REP_MSG_DELETE)
			relid = pq_getmsgint(&m, 4);
		else if (a == CDC_WAL_MSG_UNSENT)
		{
			wr = wal_unsent_rel(r, pq_getmsgint(&m, 4));
			if (wr != NULL && wr->capture)
				wal_rel_open(r, wr);
			continue;
		}
		else if (a == LOGICAL_REP_MSG_TRUNCATE)
		{
			bool		cascade,
						restart;
			ListCell   *lc;

			foreach(lc, logicalrep_read_truncate(&m, &cascade, &restart))
			{
				Oid			trelid = lfirst_oid(lc);

				wr = hash_search(r->rels, &trelid, HASH_FIND, NULL);
				if (wr != NULL && wr->capture)
					wal_rel_open(r, wr);
			}
		}
		else if (a == LOGICAL_REP_MSG_MESSAGE)
		{
			(void) pq_getmsgbyte(&m);	/* flags */
			(void) pq_getmsgint64(&m);	/* its position */
			if (strcmp(pq_getmsgstring(&m), CDC_WAL_DROP_PREFIX) == 0)
				dropped = true;
		}
		if (!OidIsValid(relid))
			continue;
		wr = hash_search(r->rels, &relid, HASH_FIND, NULL);
		if (wr != NULL && wr->capture)
			wal_rel_open(r, wr);
	}
	cdc_wal_msgs_resume(msgs);
	/* tables it dropped after writing them */
	if (dropped)
		wal_load_dropped(r);

	/* the relation maps as the transaction begins, for a second try */
	hash_seq_init(&status, r->rels);
	while ((wr = hash_seq_search(&status)) != NULL)
	{
		wr->saved_nremote = wr->nremote;
		wr->saved_map = wr->map;
		wr->saved_mismatch = wr->mismatch;
		wr->saved_built_from = wr->built_from;
	}
	for (;;)
	{
		tuplestore_clear(r->pending);
		if (wal_decode_txn(r, msgs, n))
			break;
		hash_seq_init(&status, r->rels);
		while ((wr = hash_seq_search(&status)) != NULL)
		{
			if (wr->dropped && wr->capture && wr->built_from != wr->saved_built_from)
			{
				wal_dropped_build(wr, wr->saved_built_from);
				continue;
			}
			wr->nremote = wr->saved_nremote;
			wr->map = wr->saved_map;
			wr->mismatch = wr->saved_mismatch;
		}
	}

	/*
	 * Write the records, one at a time from the store: the writer buffers
	 * CDC_WRITER_BATCH of them and frees their memory after each batch; a
	 * record read back (and its values, detoasted) is freed with the next.
	 */
	tuplestore_rescan(r->pending);
	for (;;)
	{
		MemoryContext old;
		bool		found;
		bool		isnull;
		Oid			relid;
		Jsonb	   *v[3];

		/* (a record read back from the file is in rowcxt: freed first) */
		ExecClearTuple(r->pending_slot);
		MemoryContextReset(r->rowcxt);
		old = MemoryContextSwitchTo(r->rowcxt);
		found = tuplestore_gettupleslot(r->pending, true, false, r->pending_slot);
		if (!found)
		{
			MemoryContextSwitchTo(old);
			break;
		}
		relid = DatumGetObjectId(slot_getattr(r->pending_slot, PENDING_RELID, &isnull));
		wr = hash_search(r->rels, &relid, HASH_FIND, NULL);
		if (wr == NULL || !wr->capture)
		{
			MemoryContextSwitchTo(old);
			continue;
		}
		/*
		 * (as stored: never compressed nor external, but a short value has
		 * a short header; the writer and the handlers' copies keep it)
		 */
		for (i = 0; i < 3; i++)
		{
			Datum		d = slot_getattr(r->pending_slot, PENDING_PK + i, &isnull);

			v[i] = isnull ? NULL : (Jsonb *) DatumGetPointer(d);
		}
		wal_write(r, wr, DatumGetLSN(slot_getattr(r->pending_slot, PENDING_LSN, &isnull)),
				  DatumGetChar(slot_getattr(r->pending_slot, PENDING_OP, &isnull)),
				  v[0], v[1], v[2]);
		MemoryContextSwitchTo(old);
	}
	ExecClearTuple(r->pending_slot);
	tuplestore_clear(r->pending);
}

/*
 * cdc_wal_inserted_end, wal_flush_inserted
 *		Flush the WAL inserted so far.  A round decodes up to the flushed
 *		position, which may fall in the middle of a record (the WAL writer
 *		flushes whole pages): the WAL reader then reads that record to its
 *		end, and would wait until someone else flushed it.  When the record
 *		is of a transaction that waits for the worker (the creation of a
 *		consumer, fact or dimension), or of any transaction with
 *		synchronous_commit = off, nothing may flush it before the
 *		running-transactions record of the background writer, up to 15 s
 *		later.  GetXLogInsertRecPtr() gives the start of the next record:
 *		at the start of a page, the position after the page's header, while
 *		the WAL inserted ends at the page's start.  cdc_wal_inserted_end()
 *		gives that end for such a position (the WAL a decoding of all of it
 *		reaches: the sessions that wait for the worker compare the slot's
 *		confirmed position with it, _cdc_wal_end()).
 */
XLogRecPtr
cdc_wal_inserted_end(XLogRecPtr end)
{
	if (XLogSegmentOffset(end, wal_segment_size) == SizeOfXLogLongPHD)
		end -= SizeOfXLogLongPHD;
	else if (end % XLOG_BLCKSZ == SizeOfXLogShortPHD &&
			 XLogSegmentOffset(end, wal_segment_size) > XLOG_BLCKSZ)
		end -= SizeOfXLogShortPHD;
	return end;
}

static void
wal_flush_inserted(void)
{
	XLogFlush(cdc_wal_inserted_end(GetXLogInsertRecPtr()));
}

/*
 * The rounds of this worker whose on_change handlers wrote WAL, by
 * transaction id: a source transaction decoded later with one of these
 * ids was written by those handlers (their writes commit with the round).
 * Each change of it is one level deeper than the batch of the call that
 * wrote it: the calls more than 1 deep are kept with the WAL each wrote
 * (a call runs in the worker alone, so the WAL of the round's transaction
 * between its start and its end is its own), any other change of the
 * round is 1 deep.  Kept in dataeng_internal.on_change_depths, written in
 * the round's transaction: the depth of a loop of handlers is counted
 * across restarts and crashes of the worker (kept in its memory, a new
 * worker counted from 0 again, and a loop went 16 levels further after
 * each restart).  A later round sets committed_before, a position past
 * the round's commit (every round before it committed before it began),
 * and the row is deleted by the round that applied the WAL up to there.
 */

/* whether on_change_depths may have rows: read until a round finds none */
static bool wal_depths_maybe = true;

/*
 * wal_depths_load
 *		Read the rounds whose handlers wrote WAL (r->depth_rounds), each
 *		given a position past its commit.
 */
static void
wal_depths_load(WalRound *r)
{
	uint64		i;
	MemoryContext old;

	r->ndepth_rounds = 0;
	if (!wal_depths_maybe)
		return;
	/*
	 * (the position read after the rows are seen: each of them committed
	 * before it)
	 */
	if (SPI_execute("UPDATE dataeng_internal.on_change_depths d"
					" SET committed_before = pg_catalog.pg_current_wal_insert_lsn()"
					" WHERE d.committed_before IS NULL",
					false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not write dataeng_internal.on_change_depths");
	if (SPI_execute("SELECT d.round_xid::pg_catalog.text::pg_catalog.int8, d.starts, d.ends, d.depths"
					" FROM dataeng_internal.on_change_depths d",
					false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng_internal.on_change_depths");
	if (SPI_processed == 0)
	{
		wal_depths_maybe = false;
		return;
	}
	old = MemoryContextSwitchTo(r->roundcxt);
	r->depth_rounds = palloc0(sizeof(WalDepthRound) * SPI_processed);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		WalDepthRound *d = &r->depth_rounds[r->ndepth_rounds];
		bool		isnull;
		Datum	   *starts,
				   *ends,
				   *depths;
		int			ns,
					ne,
					nd,
					k;

		d->xid = FullTransactionIdFromU64((uint64) DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)));
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 2, &isnull)),
						  PG_LSNOID, sizeof(XLogRecPtr), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &starts, NULL, &ns);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 3, &isnull)),
						  PG_LSNOID, sizeof(XLogRecPtr), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &ends, NULL, &ne);
		deconstruct_array(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 4, &isnull)),
						  INT4OID, sizeof(int32), true, TYPALIGN_INT,
						  &depths, NULL, &nd);
		if (ns != ne || ns != nd)
			elog(ERROR, "a row of dataeng_internal.on_change_depths has arrays of different lengths");
		d->n = ns;
		d->ranges = palloc(sizeof(WalDepthRange) * Max(ns, 1));
		for (k = 0; k < ns; k++)
		{
			d->ranges[k].start = DatumGetLSN(starts[k]);
			d->ranges[k].end = DatumGetLSN(ends[k]);
			d->ranges[k].depth = DatumGetInt32(depths[k]);
		}
		r->ndepth_rounds++;
	}
	MemoryContextSwitchTo(old);
	SPI_freetuptable(SPI_tuptable);
}

/*
 * wal_depths_save
 *		In the round's transaction: the rows of the rounds whose WAL was
 *		applied up to done go, and this round's calls are kept if they
 *		wrote WAL.
 */
static void
wal_depths_save(WalRound *r, XLogRecPtr done)
{
	FullTransactionId xid = GetTopFullTransactionIdIfAny();

	if (r->ndepth_rounds > 0 && done != InvalidXLogRecPtr)
	{
		Oid			types[1] = {PG_LSNOID};
		Datum		values[1];

		values[0] = LSNGetDatum(done);
		if (SPI_execute_with_args("DELETE FROM dataeng_internal.on_change_depths d"
								  " WHERE d.committed_before OPERATOR(pg_catalog.<=) $1",
								  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not delete from dataeng_internal.on_change_depths");
	}
	if (r->handler_wrote && FullTransactionIdIsValid(xid))
	{
		Oid			types[4] = {INT8OID, PG_LSNARRAYOID, PG_LSNARRAYOID, INT4ARRAYOID};
		Datum		values[4];
		Datum	   *starts = palloc(sizeof(Datum) * Max(r->ndepth_ranges, 1));
		Datum	   *ends = palloc(sizeof(Datum) * Max(r->ndepth_ranges, 1));
		Datum	   *depths = palloc(sizeof(Datum) * Max(r->ndepth_ranges, 1));
		int			k;

		for (k = 0; k < r->ndepth_ranges; k++)
		{
			starts[k] = LSNGetDatum(r->depth_ranges[k].start);
			ends[k] = LSNGetDatum(r->depth_ranges[k].end);
			depths[k] = Int32GetDatum(r->depth_ranges[k].depth);
		}
		values[0] = Int64GetDatum((int64) U64FromFullTransactionId(xid));
		values[1] = PointerGetDatum(construct_array(starts, r->ndepth_ranges, PG_LSNOID,
													sizeof(XLogRecPtr), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[2] = PointerGetDatum(construct_array(ends, r->ndepth_ranges, PG_LSNOID,
													sizeof(XLogRecPtr), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
		values[3] = PointerGetDatum(construct_array(depths, r->ndepth_ranges, INT4OID,
													sizeof(int32), true, TYPALIGN_INT));
		if (SPI_execute_with_args("INSERT INTO dataeng_internal.on_change_depths (round_xid, starts, ends, depths)"
								  " VALUES ($1::pg_catalog.text::pg_catalog.xid8, $2, $3, $4)",
								  4, types, values, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not write dataeng_internal.on_change_depths");
		wal_depths_maybe = true;
	}
}

/*
 * the round that wrote source transaction xid (NULL: none).  pgoutput
 * gives 32 bits of it: a round older than 2^31 transactions is not it.
 */
static WalDepthRound *
wal_depth_round(WalRound *r, TransactionId xid)
{
	uint64		next;
	int			i;

	if (!TransactionIdIsValid(xid) || r->ndepth_rounds == 0)
		return NULL;
	next = U64FromFullTransactionId(ReadNextFullTransactionId());
	for (i = 0; i < r->ndepth_rounds; i++)
		if (TransactionIdEquals(XidFromFullTransactionId(r->depth_rounds[i].xid), xid) &&
			next - U64FromFullTransactionId(r->depth_rounds[i].xid) < ((uint64) 1 << 31))
			return &r->depth_rounds[i];
	return NULL;
}

/*
 * cdc_wal_depth_at
 *		How deep in handlers the change at lsn of the current source
 *		transaction was written (0: not by a handler).
 */
int
cdc_wal_depth_at(WalRound *r, XLogRecPtr lsn)
{
	WalDepthRound *d = r->src_round;
	int			i;

	if (d == NULL)
		return 0;
	for (i = 0; i < d->n; i++)
		if (lsn >= d->ranges[i].start && lsn < d->ranges[i].end)
			return d->ranges[i].depth;
	return 1;
}

/*
 * cdc_wal_depth_call
 *		A handler call of this round, with a batch depth - 1 deep, wrote
 *		the WAL [start, end) of the round's transaction.
 */
void
cdc_wal_depth_call(WalRound *r, XLogRecPtr start, XLogRecPtr end, int depth)
{
	r->handler_wrote = true;
	if (depth <= 1)
		return;
	/* a call right after one as deep, no WAL of the round between: one range */
	if (r->ndepth_ranges > 0 &&
		r->depth_ranges[r->ndepth_ranges - 1].end == start &&
		r->depth_ranges[r->ndepth_ranges - 1].depth == depth)
	{
		r->depth_ranges[r->ndepth_ranges - 1].end = end;
		return;
	}
	/*
	 * (in the round's memory, kept until wal_depths_save(); however many:
	 * past a bound, the writes of later calls counted 1 deep, and a loop
	 * among the round's busy handlers went on)
	 */
	if (r->ndepth_ranges == r->maxdepth_ranges)
	{
		r->maxdepth_ranges = Max(64, r->maxdepth_ranges * 2);
		if (r->depth_ranges == NULL)
			r->depth_ranges = MemoryContextAlloc(r->roundcxt, sizeof(WalDepthRange) * r->maxdepth_ranges);
		else
			r->depth_ranges = repalloc(r->depth_ranges, sizeof(WalDepthRange) * r->maxdepth_ranges);
	}
	r->depth_ranges[r->ndepth_ranges].start = start;
	r->depth_ranges[r->ndepth_ranges].end = end;
	r->depth_ranges[r->ndepth_ranges].depth = depth;
	r->ndepth_ranges++;
}

/*
 * wal_purge_dropped
 *		Delete the descriptions of dropped tables (wal_load_dropped) whose
 *		transaction the slot has decoded and confirmed: older than its
 *		catalog_xmin, which stays at or before the xid of every transaction
 *		it has still to decode (their catalog rows deleted are kept for
 *		it).  A round that applies such a transaction deletes its rows
 *		itself; these are the rows a round did not read: their transaction
 *		wrote no change the publication sends, or was decoded by a worker
 *		that did not ask pgoutput for messages.
 */
#define WAL_PURGE_DROPPED_EVERY_MS	10000

static void
wal_purge_dropped(const char *slot)
{
	static TimestampTz last = 0;
	Oid			types[1] = {NAMEOID};
	Datum		values[1] = {CStringGetDatum(slot)};
	TimestampTz now = GetCurrentTimestamp();

	/* (such rows are rare: looked for every 10 s at most, not each round) */
	if (!TimestampDifferenceExceeds(last, now, WAL_PURGE_DROPPED_EVERY_MS))
		return;
	last = now;
	if (SPI_execute_with_args("DELETE FROM dataeng_internal.cdc_wal_dropped d"
							  " USING pg_catalog.pg_replication_slots s"
							  " WHERE s.slot_name OPERATOR(pg_catalog.=) $1"
							  " AND s.catalog_xmin IS NOT NULL"
							  " AND pg_catalog.age(d.dropped_xid::pg_catalog.xid) OPERATOR(pg_catalog.>)"
							  " pg_catalog.age(s.catalog_xmin)",
							  1, types, values, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not purge dataeng_internal.cdc_wal_dropped");
}

/*
 * cdc_wal_round
 *		One round, in a transaction of its own.  *advance_to is where the
 *		slot may be advanced once it committed (InvalidXLogRecPtr: nowhere).
 */
XLogRecPtr	cdc_wal_round_settled_at = InvalidXLogRecPtr;

/* whether an on_change trigger of the round has batches waiting */
static bool
wal_triggers_waiting(WalRound *r)
{
	ListCell   *lc;

	foreach(lc, r->triggers)
	{
		WalTrigger *t = lfirst(lc);

		if (t->backlog || t->resume || t->resume_later)
			return true;
	}
	return false;
}

CdcWalRound
cdc_wal_round(const char *slot, XLogRecPtr *advance_to)
{
	WalRound		r;
	List	   *switching = NIL;
	ListCell   *lc;
	XLogRecPtr	upto;
	XLogRecPtr	inserted;
	XLogRecPtr	inserted_at;
	XLogRecPtr	applied;
	XLogRecPtr	last_commit_lsn = InvalidXLogRecPtr;
	TimestampTz last_commit_time = 0;
	XLogRecPtr	decoded;
	CdcWalMsgs *msgs;
	StringInfoData msg;
	uint64		ntxn = 0;
	bool		in_txn = false;
	bool		complete;
	bool		applied_any = false;
	CdcWalRound result;
	Oid			types[1] = {NAMEOID};
	Datum		values[1];
	TransactionId src_xid = InvalidTransactionId;
	XLogRecPtr	done;

	memset(&r, 0, sizeof(r));
	*advance_to = InvalidXLogRecPtr;
	cdc_wal_round_settled_at = InvalidXLogRecPtr;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();

	/*
	 * The round names the extension's tables and functions and runs as the
	 * bootstrap superuser: it holds the extension against DROP EXTENSION
	 * (and checks its version) for its whole transaction, so that no
	 * schema another role made after a DROP can answer to those names.
	 */
	if (!sched_lock_extension())
	{
		CommitTransactionCommand();
		return CDC_WAL_NOTHING;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	wal_round_cxt = CurrentMemoryContext;
	r.roundcxt = wal_round_cxt;

	if (!wal_load(&r, &switching))
	{
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		return CDC_WAL_NOTHING;
	}
	wal_check_publication();
	wal_purge_dropped(slot);

	/*
	 * Tables being switched: lock them against writers, then make sure the
	 * WAL of every transaction that committed before is flushed, so that
	 * this round decodes all of it.
	 */
	{
		List	   *locked = NIL;

		/*
		 * Without waiting long: a role holding a lock on its table must not
		 * stop the capture of everyone's (wal_switch_lock); nor for its row
		 * of cdc_tables, which cdc_enable and cdc_disable lock before the
		 * table (wal_switch_row).  A table not locked now is switched by a
		 * later round (dataeng_internal._cdc_wal_switch() skips it).
		 */
		foreach(lc, switching)
		{
			Oid			relid = lfirst_oid(lc);

			if (list_member_oid(locked, relid))
				continue;
			if (!wal_switch_lock(relid))
				ereport(DEBUG1,
						(errmsg("table %u is locked: its capture method is switched later",
								relid)));
			else if (!wal_switch_row(relid))
			{
				/* (nothing of the table was read under the lock yet) */
				UnlockRelationOid(relid, ShareRowExclusiveLock);
				ereport(DEBUG1,
						(errmsg("the row of table %u in dataeng.cdc_tables is locked: its capture method is switched later",
								relid)));
			}
			else
				locked = lappend_oid(locked, relid);
		}
		switching = locked;
	}
	if (switching != NIL)
		XLogFlush(LogStandbySnapshot());
	/*
	 * (all WAL inserted before is decoded by this round when it was flushed
	 * then: inserted_at is where the worker finds the end of WAL while no
	 * one wrote any since, cdc_wal_round_settled_at)
	 */
	inserted_at = GetXLogInsertRecPtr();
	inserted = cdc_wal_inserted_end(inserted_at);
	upto = GetFlushRecPtr(NULL);
	wal_flush_inserted();
	wal_reload_options(&r);
	wal_load_triggers(&r);
	wal_depths_load(&r);

	/*
	 * (read without a row lock: the worker alone writes its state, and
	 * holds the database's lock for its life; a lock would take a
	 * transaction id and write WAL in every round, even in an idle
	 * database, and the next round would decode that WAL)
	 */
	values[0] = CStringGetDatum(slot);
	if (SPI_execute_with_args("SELECT s.applied_lsn FROM dataeng_internal.cdc_wal_state s"
							  " WHERE s.slot_name = $1", 1, types, values, NULL,
							  false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read dataeng_internal.cdc_wal_state");
	if (SPI_processed > 0)
	{
		bool		isnull;

		applied = DatumGetLSN(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	else
		applied = InvalidXLogRecPtr;

	/* the messages of the transactions committed since the last round */
	msgs = cdc_wal_decode(slot, upto, (uint64) cdc_wal_batch_changes, &decoded);
	complete = (decoded >= upto);

	/* what writing needs */
	/* the type dataeng.change stays in the API schema */
	r.change_typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									 CStringGetDatum("change"),
									 ObjectIdGetDatum(get_namespace_oid(DATAENG_SCHEMA, false)));
	r.change_arrayid = get_array_type(r.change_typid);
	r.change_desc = lookup_rowtype_tupdesc_copy(r.change_typid, -1);
	if (r.change_desc->natts < 9 || r.change_desc->natts > CDC_CHANGE_MAX_ATTS)
		elog(ERROR, "type dataeng.change has %d attributes", r.change_desc->natts);
	/*
	 * Reset for each source transaction and each row: a first block that
	 * holds what a row or a small transaction allocates stays from one to
	 * the next (a reset keeps it), where 8 kB blocks were malloc'd and
	 * freed again for every row.
	 */
	r.txncxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng wal transaction",
									 0, WAL_ROW_CXT_BLOCK, ALLOCSET_DEFAULT_MAXSIZE);
	r.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng wal row",
									 0, WAL_ROW_CXT_BLOCK, ALLOCSET_DEFAULT_MAXSIZE);
	/* the records of a source transaction, until it is written */
	r.pending_owner = CurrentResourceOwner;
	r.pending = tuplestore_begin_heap(false, false, logical_decoding_work_mem);
	r.pending_desc = CreateTemplateTupleDesc(PENDING_NATTS);
	TupleDescInitEntry(r.pending_desc, PENDING_RELID, "relid", OIDOID, -1, 0);
	TupleDescInitEntry(r.pending_desc, PENDING_LSN, "lsn", PG_LSNOID, -1, 0);
	TupleDescInitEntry(r.pending_desc, PENDING_OP, "op", CHAROID, -1, 0);
	TupleDescInitEntry(r.pending_desc, PENDING_PK, "pk", JSONBOID, -1, 0);
	TupleDescInitEntry(r.pending_desc, PENDING_OLDROW, "old_row", JSONBOID, -1, 0);
	TupleDescInitEntry(r.pending_desc, PENDING_NEWROW, "new_row", JSONBOID, -1, 0);
	r.pending_slot = MakeSingleTupleTableSlot(r.pending_desc, &TTSOpsMinimalTuple);

	/*
	 * Triggers with a backlog first hand it to their handlers, and resumed
	 * triggers the batches they set aside (within their roles' budgets)
	 */
	cdc_wal_run_backlog(&r);
	cdc_wal_resume_triggers(&r);

	while (cdc_wal_msgs_next(msgs, &msg, NULL))
	{
		char		action = pq_getmsgbyte(&msg);

		if (action == LOGICAL_REP_MSG_BEGIN)
		{
			LogicalRepBeginData begin;

			logicalrep_read_begin(&msg, &begin);
			src_xid = begin.xid;
			/* its messages are read again from here */
			cdc_wal_msgs_mark(msgs);
			ntxn = 0;
			in_txn = true;
		}
		else if (action != LOGICAL_REP_MSG_COMMIT)
		{
			if (in_txn)
				ntxn++;
		}
		else if (in_txn)
		{
			LogicalRepCommitData commit;
			MemoryContext old;

			in_txn = false;
			logicalrep_read_commit(&msg, &commit);
			if (commit.end_lsn <= applied)
			{
				uint64		k;

				/*
				 * Applied before a crash: only its relation messages count
				 * (pgoutput sends one once per relation and decoding).
				 */
				cdc_wal_msgs_replay(msgs);
				for (k = 0; k < ntxn && cdc_wal_msgs_next(msgs, &msg, NULL); k++)
				{
					if (pq_getmsgbyte(&msg) == LOGICAL_REP_MSG_RELATION)
						wal_relation_message(&r, &msg);
				}
				cdc_wal_msgs_resume(msgs);
				continue;
			}

			CHECK_FOR_INTERRUPTS();
			r.commit_lsn = commit.commit_lsn;
			r.end_lsn = commit.end_lsn;
			r.commit_time = commit.committime;
			r.src_xid = src_xid;
			if (!applied_any)
				r.xid = FullTransactionIdGetDatum(GetTopFullTransactionId());
			applied_any = true;
			r.src_round = wal_depth_round(&r, src_xid);
			old = MemoryContextSwitchTo(r.txncxt);
			wal_apply_txn(&r, msgs, ntxn);
			if (r.nwritten > 0)
			{
				/* handlers may read the change log */
				cdc_writer_flush(&r.writer);
				cdc_wal_run_handlers(&r);
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(r.txncxt);
			r.written = NULL;
			r.nwritten = r.maxwritten = 0;
			r.written_bytes = 0;
			r.written_overflow = false;
			applied = commit.end_lsn;
			last_commit_lsn = commit.commit_lsn;
			last_commit_time = commit.committime;
		}
	}
	/* (a commit record gives a whole transaction: never half of one) */
	if (in_txn)
		elog(ERROR, "logical decoding stopped in the middle of a transaction");
	cdc_wal_msgs_free(msgs);
	ExecDropSingleTupleTableSlot(r.pending_slot);
	tuplestore_end(r.pending);

	if (r.writing)
		cdc_writer_end(&r.writer);

	/*
	 * A slot moves its restart point (the WAL it keeps, where a worker
	 * starting anew decodes from) only to a running-transactions record it
	 * has decoded: the bgwriter writes one every 15 s at most.  Write one
	 * after a busy round, so that the slot keeps little WAL and a restart
	 * decodes little again.  (Not on idle rounds: that would be WAL for
	 * nothing, and a next round for it.)
	 */
	{
		static XLogRecPtr last_snapshot = InvalidXLogRecPtr;

		if (applied_any || upto - last_snapshot > 1024 * 1024)
			last_snapshot = LogStandbySnapshot();
	}

	if (complete)
	{
		/* every transaction committed before decoded is in: the slot may follow */
		*advance_to = Max(applied, decoded);
		if (applied_any || switching != NIL || r.resumed_any)
			wal_save(&r, slot, Max(applied, decoded), last_commit_lsn, last_commit_time);
		if (switching != NIL)
		{
			Oid			stypes[1] = {NAMEOID};
			Datum		svalues[1] = {CStringGetDatum(CDC_WAL_PUBLICATION)};

			if (SPI_execute_with_args("SELECT dataeng_internal._cdc_wal_switch($1)", 1, stypes, svalues,
									  NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not switch capture methods");
		}
		/*
		 * Caught up with the WAL flushed when the round began; a round that
		 * applied changes goes on at once (writers busy then most likely
		 * wrote more meanwhile): the next one finds nothing or more.
		 */
		result = applied_any ? CDC_WAL_MORE : CDC_WAL_IDLE;
		done = Max(applied, decoded);
	}
	else
	{
		done = applied;
		if (applied_any)
		{
			wal_save(&r, slot, applied, last_commit_lsn, last_commit_time);
			*advance_to = applied;
		}
		else if (r.resumed_any && applied != InvalidXLogRecPtr)
			wal_save(&r, slot, applied, last_commit_lsn, last_commit_time);
		/* (else transactions applied before a crash: the next round goes on) */
		result = CDC_WAL_MORE;
	}
	/* (every transaction committed before done is applied, in this transaction) */
	wal_depths_save(&r, done);
	if (result == CDC_WAL_IDLE && upto >= inserted && !applied_any &&
		!r.resumed_any && switching == NIL && !wal_triggers_waiting(&r))
		cdc_wal_round_settled_at = inserted_at;

	/* close the relations the round opened */
	{
		HASH_SEQ_STATUS status;
		WalRel	   *wr;

		hash_seq_init(&status, r.rels);
		while ((wr = hash_seq_search(&status)) != NULL)
		{
			if (wr->oldslot)
				ExecDropSingleTupleTableSlot(wr->oldslot);
			if (wr->newslot)
				ExecDropSingleTupleTableSlot(wr->newslot);
			if (wr->rel)
				relation_close(wr->rel, AccessShareLock);
		}
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return result;
}
