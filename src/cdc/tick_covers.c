/*-------------------------------------------------------------------------
 *
 * tick_covers.c
 *		Whether the newest tick already holds every change committed before
 *		a poll began (dataeng_internal._cdc_tick_covers(), sql/cdc.sql).
 *
 * Every poll of a consumer (every fact and dimension refresh) asks it: a
 * tick snap covers a snapshot upto when no transaction that snap does not
 * see (in its xip list, or from its xmax on) but upto sees finished (all
 * but the calling transaction, which is running whatever upto says) made
 * a captured change.  Asked from scratch, that is one index probe of the
 * change log per transaction id started since the tick, up to 256 of them
 * (past that the answer is "no", and a tick is cut): in a loop of
 * refreshes that capture nothing, each refresh's own commit adds one
 * transaction id, so a poll probed about 128 of them on average.
 *
 * What a probe finds about a finished transaction does not change: its
 * changes are in the log when it commits, stamped with its own id
 * (capture.c, and the WAL capture stamps its rounds with the worker's own
 * transaction), and nothing adds rows with its id afterwards (a purge only
 * removes rows).  So the backend remembers, for the last tick it asked
 * about, the horizon below which every such transaction is known to have
 * made no change, and the few ids below it not known yet (running at the
 * time, or the caller's own transaction); the next poll probes only those
 * and the ids started since: one or two in such a loop.  A new tick (other
 * snapshot contents), or a change log made again (other segment), starts
 * from scratch.  The cap of 256 applies to the ids started since the
 * horizon, so a session that keeps polling needs no tick cut for
 * transactions that captured nothing; a first poll still probes at most
 * 256.  Only what a completed call established is remembered: a call that
 * fails, or finds a change, leaves the memory as it was.
 *
 * The probes read the segments' (xid, change_id) indexes directly with the
 * calling statement's snapshot, which is newer than upto: every
 * transaction upto sees finished is visible to it, committed or not.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/xid8.h"

#include "common/common.h"
#include "cdc/cdc.h"

/* the most transaction ids a call probes beyond what it already knows */
#define COVERS_MAX_NEW_XIDS 256

/* the layout of a pg_snapshot (src/backend/utils/adt/xid8funcs.c) */
typedef struct PgSnapshotData
{
	int32		vl_len_;
	uint32		nxip;
	FullTransactionId xmin;
	FullTransactionId xmax;
	FullTransactionId xip[FLEXIBLE_ARRAY_MEMBER];
} PgSnapshotData;

/* What this backend knows about the last tick it asked about */
typedef struct CoversMemory
{
	bool		valid;
	Oid			segment0;		/* the change log it was learnt on */
	char	   *snap;			/* the tick's snapshot (a copy, varlena) */
	uint64		horizon;		/* every id in [snap's xmax, horizon) not in
								 * pending made no change */
	int			npending;
	uint64	   *pending;		/* ids below horizon (or in snap's xip) not
								 * known yet */
} CoversMemory;

static CoversMemory memory = {false};

/* The open segments and indexes of a call's probes */
typedef struct Probe
{
	bool		open;
	Snapshot	snapshot;
	Relation	rel[CHANGE_LOG_SEGMENTS];
	Relation	index[CHANGE_LOG_SEGMENTS];
} Probe;

static PgSnapshotData *
snapshot_arg(Datum d)
{
	PgSnapshotData *s = (PgSnapshotData *) PG_DETOAST_DATUM(d);

	if (VARSIZE(s) < offsetof(PgSnapshotData, xip) ||
		VARSIZE(s) != offsetof(PgSnapshotData, xip) + s->nxip * sizeof(FullTransactionId))
		elog(ERROR, "invalid pg_snapshot value");
	return s;
}

/* pg_visible_in_snapshot(x, s): x finished in s (xip is sorted) */
static bool
visible_in(uint64 x, const PgSnapshotData *s)
{
	uint32		lo = 0,
				hi = s->nxip;

	if (x < U64FromFullTransactionId(s->xmin))
		return true;
	if (x >= U64FromFullTransactionId(s->xmax))
		return false;
	while (lo < hi)
	{
		uint32		mid = lo + (hi - lo) / 2;
		uint64		m = U64FromFullTransactionId(s->xip[mid]);

		if (m == x)
			return false;
		if (m < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return true;
}

/* Whether the change log holds a change of transaction x */
static bool
has_changes(Probe *p, uint64 x)
{
	int			seg;

	if (!p->open)
	{
		p->snapshot = GetActiveSnapshot();
		for (seg = 0; seg < CHANGE_LOG_SEGMENTS; seg++)
		{
			p->rel[seg] = table_open(cdc_log_segment(seg), AccessShareLock);
			cdc_check_log_layout(p->rel[seg]);
			p->index[seg] = index_open(cdc_log_xid_index(p->rel[seg]), AccessShareLock);
		}
		p->open = true;
	}
	for (seg = 0; seg < CHANGE_LOG_SEGMENTS; seg++)
	{
		TupleTableSlot *slot = table_slot_create(p->rel[seg], NULL);
		IndexScanDesc scan = index_beginscan(p->rel[seg], p->index[seg], p->snapshot, 1, 0);
		ScanKeyData key;
		bool		found;

		ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_XID8EQ,
					FullTransactionIdGetDatum(FullTransactionIdFromU64(x)));
		index_rescan(scan, &key, 1, NULL, 0);
		found = index_getnext_slot(scan, ForwardScanDirection, slot);
		index_endscan(scan);
		ExecDropSingleTupleTableSlot(slot);
		if (found)
			return true;
	}
	return false;
}

static void
probe_close(Probe *p)
{
	int			seg;

	if (!p->open)
		return;
	for (seg = 0; seg < CHANGE_LOG_SEGMENTS; seg++)
	{
		index_close(p->index[seg], AccessShareLock);
		table_close(p->rel[seg], AccessShareLock);
	}
	p->open = false;
}

PG_FUNCTION_INFO_V1(dataeng_cdc_tick_covers);

/*
 * dataeng_cdc_tick_covers
 *		_cdc_tick_covers(snap pg_snapshot, upto pg_snapshot) → boolean:
 *		whether tick snapshot snap holds every transaction with captured
 *		changes that had finished in snapshot upto (but the calling
 *		transaction); false for a NULL snap.
 */
Datum
dataeng_cdc_tick_covers(PG_FUNCTION_ARGS)
{
	PgSnapshotData *snap;
	PgSnapshotData *upto;
	FullTransactionId me_full = GetTopFullTransactionIdIfAny();
	uint64		me = FullTransactionIdIsValid(me_full) ? U64FromFullTransactionId(me_full) : 0;
	Oid			segment0;
	uint64		horizon;
	uint64		upto_xmax;
	uint64	   *pending;
	int			npending;
	uint64	   *still;
	int			nstill = 0;
	Probe		probe = {false};
	int			i;
	uint64		x;

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);
	if (PG_ARGISNULL(1))
		PG_RETURN_NULL();
	snap = snapshot_arg(PG_GETARG_DATUM(0));
	upto = snapshot_arg(PG_GETARG_DATUM(1));
	upto_xmax = U64FromFullTransactionId(upto->xmax);
	segment0 = cdc_log_segment(0);

	if (memory.valid && memory.segment0 == segment0 &&
		VARSIZE(memory.snap) == VARSIZE(snap) &&
		memcmp(memory.snap, snap, VARSIZE(snap)) == 0)
	{
		horizon = memory.horizon;
		pending = memory.pending;
		npending = memory.npending;
	}
	else
	{
		horizon = U64FromFullTransactionId(snap->xmax);
		npending = snap->nxip;
		pending = palloc(sizeof(uint64) * Max(npending, 1));
		for (i = 0; i < npending; i++)
			pending[i] = U64FromFullTransactionId(snap->xip[i]);
	}

	if (upto_xmax > horizon && upto_xmax - horizon > COVERS_MAX_NEW_XIDS)
		PG_RETURN_BOOL(false);

	still = palloc(sizeof(uint64) * (npending + (upto_xmax > horizon ? upto_xmax - horizon : 0) + 1));
	for (i = 0; i < npending + (upto_xmax > horizon ? (int) (upto_xmax - horizon) : 0); i++)
	{
		x = i < npending ? pending[i] : horizon + (i - npending);
		CHECK_FOR_INTERRUPTS();
		if (x == me || !visible_in(x, upto))
		{
			still[nstill++] = x;
			continue;
		}
		if (has_changes(&probe, x))
		{
			probe_close(&probe);
			PG_RETURN_BOOL(false);
		}
	}
	probe_close(&probe);

	/* remember what this call established */
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
		char	   *snap_copy = palloc(VARSIZE(snap));
		uint64	   *pending_copy = palloc(sizeof(uint64) * Max(nstill, 1));

		MemoryContextSwitchTo(old);
		memcpy(snap_copy, snap, VARSIZE(snap));
		memcpy(pending_copy, still, sizeof(uint64) * nstill);
		if (memory.snap)
			pfree(memory.snap);
		if (memory.pending)
			pfree(memory.pending);
		memory.snap = snap_copy;
		memory.pending = pending_copy;
		memory.npending = nstill;
		memory.horizon = Max(horizon, upto_xmax);
		memory.segment0 = segment0;
		memory.valid = true;
	}
	PG_RETURN_BOOL(true);
}
