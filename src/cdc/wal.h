/*-------------------------------------------------------------------------
 *
 * wal.h
 *		Change capture from the WAL: what the files src/cdc/wal_*.c share
 *		with each other and export to the rest of the extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_CDC_WAL_H
#define DATAENG_CDC_WAL_H

#include "postgres.h"

#include "access/transam.h"
#include "access/xlogdefs.h"
#include "cdc/cdc.h"
#include "nodes/pg_list.h"
#include "utils/hsearch.h"
#include "utils/relcache.h"
#include "utils/resowner.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "nodes/nodes.h"
#include "utils/tuplestore.h"

/* the publication every database's WAL-captured tables are in */
#define CDC_WAL_PUBLICATION "dataeng_wal"
/*
 * The prefix of the transactional logical message a DROP of a table
 * captured from the WAL writes when its transaction wrote the table
 * before: the worker then reads the table's description in
 * dataeng_internal.cdc_wal_dropped (ddl.c, wal_apply.c)
 */
#define CDC_WAL_DROP_PREFIX "dataeng_wal_drop"
/* a dropped table's stored generated columns (wal_generated.c) */
extern const char *cdc_wal_gen_check(Node *expr, int natts);
extern const char *cdc_wal_gen_describe(Relation rel, List **names, List **exprs);
/* the slot of a database: CDC_WAL_SLOT_PREFIX followed by its oid */
#define CDC_WAL_SLOT_PREFIX "dataeng_wal_"
/*
 * A message of the round's store that pgoutput does not write: the change
 * of a relation (int32 remote id) that pgoutput failed to make a message
 * of, with that failure's SQLSTATE (int32), message and detail (strings)
 * (wal_decode.c); the round stops the table (wal_apply.c)
 */
#define CDC_WAL_MSG_UNSENT 'X'
/*
 * What the worker adds after pgoutput's INSERT, UPDATE or DELETE message of
 * a relation with stored generated columns, whose values pgoutput leaves
 * out (wal_decode.c, wal_gen_append): this byte, int16 n, n column names
 * (strings) with their type oids (int32) as the change was written, then
 * 'O' and n values of the old row when the message has one, 'N' and n
 * values of the new row when it has one (each LOGICALREP_COLUMN_NULL,
 * _UNCHANGED, or _TEXT with int32 length and the text form the worker's
 * pinned settings give, as pgoutput's values)
 */
#define CDC_WAL_GEN_VALUES 'G'
/* relations whose changes pgoutput failed on that shared memory keeps */
#define WAL_GUARD_RELS 64

/* GUCs (wal_worker.c) */
extern int	cdc_wal_naptime;
extern int	cdc_wal_batch_changes;
extern int	cdc_max_slot_lag;
extern int	cdc_on_change_retries;
extern int	cdc_on_change_timeout;
extern int	cdc_wal_lock_timeout;
extern int	cdc_max_on_change_per_role;
extern int	cdc_on_change_role_budget;	/* ms */
extern int	cdc_on_change_round_budget; /* ms */
extern int	cdc_on_change_max_batch;	/* kB */
extern int	cdc_on_change_max_backlog;	/* batches of a trigger, 0: no bound */
extern int	cdc_on_change_max_dead_letters; /* batches of a trigger, 0: no bound */
/* how the dead letter counting the batches not kept past that bound begins */
#define WAL_NOT_KEPT_PREFIX "not kept: "

/*
 * The handler of the on_change trigger t (a row of
 * dataeng_internal.on_change_triggers), as SQL: its oid where it was
 * recorded in this catalog, else the function of its name here
 * (pg_upgrade, a restore) only if the trigger's owner has the privileges
 * of that function's owner, else 0 (no function: its batches go to dead
 * letters).  The handler runs as the trigger's owner: a function another
 * role made under a name no function had after the restore would run
 * that role's code with the owner's rights.
 */
#define WAL_TRIGGER_HANDLER_SQL \
	"(CASE WHEN t.handler_catalog OPERATOR(pg_catalog.=) dataeng_internal._catalog_id() THEN t.handler" \
	" ELSE coalesce((SELECT p.oid FROM pg_catalog.pg_proc p" \
	" WHERE p.oid OPERATOR(pg_catalog.=) pg_catalog.to_regprocedure(t.handler_name)::pg_catalog.oid" \
	" AND coalesce(pg_catalog.pg_has_role(t.owner::pg_catalog.oid, p.proowner, 'USAGE'), false))," \
	" 0::pg_catalog.oid) END)"
extern bool cdc_wal_quiet;
extern int	cdc_wal_max_databases;	/* wal_dbhook.c */

/* what a round of the worker found (wal_apply.c) */
typedef enum CdcWalRound
{
	CDC_WAL_IDLE,				/* caught up: wait for more WAL */
	CDC_WAL_MORE,				/* more is (or may be) waiting: go on at once */
	CDC_WAL_NOTHING				/* no table is captured from the WAL */
} CdcWalRound;

extern CdcWalRound cdc_wal_round(const char *slot, XLogRecPtr *advance_to);
extern XLogRecPtr cdc_wal_inserted_end(XLogRecPtr insert);

/*
 * Set by each round that found nothing to do and left nothing for a later
 * round (it decoded all the WAL inserted before it began, no change
 * applied, no on_change batch in a backlog or waiting to be resumed, no
 * table being switched): the WAL insert position taken before it decoded
 * (GetXLogInsertRecPtr()), InvalidXLogRecPtr otherwise.  While the insert
 * position is still there, no one has written WAL since, and only a
 * session setting the worker's latch gives a round something to do
 * (wal_worker.c).  (Taken before the round decoded, not after its commit:
 * WAL another session wrote while the round ran moves the position.  An
 * idle round writes none of its own.)
 */
extern XLogRecPtr cdc_wal_round_settled_at;

/*
 * What a round (wal_apply.c) shares with the on_change handlers
 * (wal_handlers.c)
 */
/* An on_change trigger */
typedef struct WalTrigger
{
	char	   *name;
	Oid			relid;
	Oid			handler;
	Oid			owner;
	/* its owner was seen dropped (owner_name NULL): whoever has the oid now */
	bool		owner_dropped;
	char		ops[5];
	bool		pause_on_error;
	bool		paused;
	XLogRecPtr	from_lsn;
	XLogRecPtr	handled_lsn;
	bool		touched;
	/* while paused: the commit of the first batch set aside */
	XLogRecPtr	resume_from;
	bool		resume;			/* on_change_resume() asked for it */
	bool		resumed;		/* this round handled the set-aside batches */
	bool		dropped;		/* dropped during the round: no more calls */
	bool		resume_later;	/* the resume waits for a later round */
	bool		backlog;		/* batches wait in on_change_backlog */
	int64		backlog_n;		/* how many */
	bool		dead_known;		/* the two below are read (wal_dead_count) */
	int64		dead_n;			/* its dead letters */
	int64		not_kept_id;	/* the one counting batches not kept, or 0 */
	/* why this round paused it (NULL: it did not) */
	char	   *pause_reason;
	bool		claimed;		/* its row is locked by the round */
	bool		busy;			/* another transaction holds its row */
} WalTrigger;

/* A change written in the current source transaction */
typedef struct WalWrittenChange
{
	Oid			relid;
	int64		change_id;
	XLogRecPtr	lsn;
	char		op;
	Jsonb	   *pk;
	Jsonb	   *oldrow;
	Jsonb	   *newrow;
} WalWrittenChange;

typedef struct WalRound
{
	HTAB	   *rels;
	List	   *triggers;		/* of WalTrigger * */
	bool		writing;		/* writer begun */
	ChangeLogWriter writer;
	Datum		xid;
	MemoryContext txncxt;		/* reset after each source transaction */
	MemoryContext rowcxt;		/* reset for each row decoded */
	/* the current source transaction */
	XLogRecPtr	commit_lsn;
	XLogRecPtr	end_lsn;
	TimestampTz commit_time;
	TransactionId src_xid;		/* its xid (pgoutput's BEGIN) */
	WalWrittenChange *written;
	int			nwritten;
	int			maxwritten;
	/*
	 * The memory the changes kept for the handlers take (written), and
	 * whether they grew past dataeng.on_change_max_batch: then only one
	 * entry per table and operation is kept, without its values, and the
	 * handlers are not called with the transaction's changes
	 * (cdc_wal_run_handlers).
	 */
	Size		written_bytes;
	bool		written_overflow;
	/*
	 * The change records decoded from the current source transaction, to
	 * be written once it decoded whole: (relid, lsn, op, pk, old row, new
	 * row), at most logical_decoding_work_mem in memory, the rest in a
	 * temporary file of the round's resource owner (pending_owner), which
	 * a decoding subtransaction's rollback leaves open.
	 */
	Tuplestorestate *pending;
	TupleDesc	pending_desc;
	TupleTableSlot *pending_slot;
	ResourceOwner pending_owner;
	struct WalRel *cur_rel;		/* whose change is being decoded */
	/* the change type, for handlers */
	Oid			change_typid;
	Oid			change_arrayid;
	TupleDesc	change_desc;
	bool		resumed_any;	/* a trigger's resume or backlog was dealt with */
	bool		handler_called; /* since the triggers were read */
	/*
	 * The time each role's handlers took in this round (of WalBudget *,
	 * wal_handlers.c), in roundcxt, which lives as long as the round
	 */
	List	   *budgets;
	long		handlers_ms;	/* the time of every role's handlers */
	MemoryContext roundcxt;
	/*
	 * How deep in on_change handlers a batch was written (0: not by a
	 * handler; n: by a handler called with a batch n - 1 deep):
	 * depth_rounds, the earlier rounds whose handlers wrote WAL (read from
	 * dataeng_internal.on_change_depths), and src_round, the one of them
	 * that wrote the current source transaction (NULL: none), tell
	 * (cdc_wal_depth_at()); and the calls of this round that wrote WAL:
	 * depth_ranges, those more than 1 deep (the WAL each wrote, and its
	 * depth), handler_wrote, any
	 */
	struct WalDepthRound *depth_rounds;
	int			ndepth_rounds;
	struct WalDepthRound *src_round;
	struct WalDepthRange *depth_ranges;
	int			ndepth_ranges;
	int			maxdepth_ranges;
	bool		handler_wrote;
} WalRound;

/*
 * Most levels of on_change handlers writing tables whose on_change
 * handlers write tables ...: a batch written that deep is not handed to
 * its handlers (a handler writing its own table looped for ever)
 */
#define WAL_HANDLER_MAX_DEPTH 16

/* the WAL one handler call wrote, [start, end), and its depth */
typedef struct WalDepthRange
{
	XLogRecPtr	start;
	XLogRecPtr	end;
	int			depth;
} WalDepthRange;

/* an earlier round whose handlers wrote WAL (dataeng_internal.on_change_depths) */
typedef struct WalDepthRound
{
	FullTransactionId xid;
	int			n;
	WalDepthRange *ranges;
} WalDepthRound;

extern int	cdc_wal_depth_at(WalRound *r, XLogRecPtr lsn);
extern void cdc_wal_depth_call(WalRound *r, XLogRecPtr start, XLogRecPtr end, int depth);

/* most attributes of type dataeng.change the worker can fill */
#define CDC_CHANGE_MAX_ATTS 16

extern void cdc_wal_timer_start(void);
extern void cdc_wal_timer_stop(void);
extern bool cdc_wal_cancelled(ErrorData *err);
extern void cdc_wal_name_timeout(ErrorData *err);
extern void cdc_wal_run_handlers(WalRound *r);
extern void cdc_wal_resume_triggers(WalRound *r);
extern void cdc_wal_run_backlog(WalRound *r);

/* wal_decode.c: the worker's decoding context and a round's messages */
typedef struct CdcWalMsgs
{
	Tuplestorestate *store;		/* (lsn, pgoutput message) in decoding order */
	TupleDesc	desc;
	TupleTableSlot *slot;
	uint64		count;
	MemoryContext cxt;			/* of the store: a message read from its file */
} CdcWalMsgs;

extern void cdc_wal_guard_rel(Oid relid);
extern void cdc_wal_stopped_rel(Oid relid);
extern void cdc_wal_stopped_reset(void);

/* decodings a change may run out of memory in before its table stops */
#define CDC_WAL_OOM_ATTEMPTS	4

/* what the worker does about a round that failed (cdc_wal_decode_failure()) */
typedef enum CdcWalFailure
{
	CDC_WAL_FAIL_WORKER,		/* the worker's failure: it ends */
	CDC_WAL_FAIL_GUARD,			/* decode again, guarded up to the change */
	CDC_WAL_FAIL_RETRY			/* out of memory: decode again after a wait */
} CdcWalFailure;

extern CdcWalFailure cdc_wal_decode_failure(int sqlerrcode, Oid *relid, XLogRecPtr *lsn,
											int *attempt, int *wait_ms);
extern CdcWalMsgs *cdc_wal_decode(const char *slot, XLogRecPtr upto, uint64 max_msgs,
								  XLogRecPtr *decoded);
extern bool cdc_wal_msgs_next(CdcWalMsgs *m, StringInfo msg, XLogRecPtr *lsn);
extern void cdc_wal_msgs_mark(CdcWalMsgs *m);
extern void cdc_wal_msgs_replay(CdcWalMsgs *m);
extern void cdc_wal_msgs_resume(CdcWalMsgs *m);
extern void cdc_wal_msgs_free(CdcWalMsgs *m);
extern void cdc_wal_confirm(XLogRecPtr lsn);
extern void cdc_wal_decoding_end(void);
extern bool cdc_wal_slot_lost(const char *slot, XLogRecPtr *confirmed);

/* wal_worker.c */
extern void cdc_wal_init(void);
extern void cdc_wal_launch(Oid dboid);
extern void cdc_wal_slot_name(Oid dboid, char *buf);
extern bool cdc_wal_register(Oid dboid);
struct BackgroundWorkerHandle;
extern bool cdc_wal_register_handle(Oid dboid, struct BackgroundWorkerHandle **handle);
extern bool cdc_wal_worker_missing(void);

/* wal_dbhook.c: leaving a database a command needs empty */
extern void cdc_wal_dbhook_init(void);
extern bool cdc_wal_enter(Oid dboid);
extern void cdc_wal_note_error(const char *message, int sqlerrcode);
extern bool cdc_wal_note_round(void);
extern void cdc_wal_note_fatal(const char *message, int sqlerrcode);
extern void cdc_wal_guard_note(XLogRecPtr lsn, Oid relid);
extern XLogRecPtr cdc_wal_guard_upto(Oid *rels);
extern void cdc_wal_reset_backoff(Oid dboid);
extern void cdc_wal_note_start(Oid dboid, bool registered);
extern bool cdc_wal_leaving(bool *drain);
extern bool cdc_wal_left(void);
extern void cdc_wal_hold_database(Oid dboid, Node *stmt);
extern void cdc_wal_set_idle(bool idle);
extern void cdc_wal_note_conf(void);
extern void cdc_wal_track(void);

#endif							/* DATAENG_CDC_WAL_H */
