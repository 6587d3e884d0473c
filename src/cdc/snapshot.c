/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *		The initial snapshot of a consumer: the rows of its tables as of the
 *		tick that starts its change stream.
 *
 * dataeng.cdc_consumer_create(..., snapshot => true) (sql/cdc.sql) cuts a
 * tick T as any consumer's creation does: the consumer receives the
 * changes of the batches after T, that is of the transactions T's snapshot
 * does not see.  Its snapshot rows must then be exactly the rows T's
 * snapshot sees: no row missed or doubled between the two.
 *
 * T is cut in another transaction (the tick worker, src/cdc/ticker.c), so
 * its snapshot is not one this backend took, and an exported snapshot
 * would not outlive the worker.  But a tick stores its snapshot whole
 * (pg_snapshot: xmin, xmax and the top-level transactions running), which
 * is all an MVCC snapshot needs: _cdc_snapshot_copy() rebuilds it as a
 * SnapshotData whose subtransactions are looked up in pg_subtrans
 * (suboverflowed, as for a snapshot whose subxip overflowed) and whose
 * command id is the first one, so that this transaction's own earlier
 * writes are invisible, as they are to T (this transaction runs at T).
 *
 * That is sound only while nothing T sees can have been removed by
 * VACUUM or pruning, nor pg_subtrans truncated below T's xmin: both are
 * bounded by the oldest xmin of the running backends, this one's
 * included.  The statement calling cdc_consumer_create() took its
 * snapshot before T was cut, so this backend's xmin is at most T's, and
 * the snapshot rebuilt from T, registered for the scan, keeps it there.
 * _cdc_snapshot_usable() checks exactly that (T's xmin is not before this
 * backend's xmin); the SQL cuts a fresh tick when it is not.
 *
 * The rows are copied, at creation, into dataeng_internal.cdc_snapshot_rows
 * (numbered 1..N per consumer), from which cdc_poll() delivers them as op
 * 'R' in batches and cdc_ack() removes them as they are acknowledged.  The
 * copy scans each table (each leaf partition of a partitioned one) with
 * that snapshot and writes 1000 rows at a time: its memory does not grow
 * with the table.  Rows are rendered as the capture trigger renders them
 * (common/row_jsonb.c, the same columns and key, under the same fixed
 * output settings), by the consumer's owner, restricted, with search_path
 * pinned: output functions a role can write run with that role's rights.
 *
 * Only cdc_poll() delivers those rows.  The other readers of a consumer
 * (_fact_deltas(), _dim_events() and _cdc_poll_txns(), the readers of
 * facts, and _cdc_poll_unordered(), of dimensions) read the change log
 * alone: they would move the consumer past its snapshot's tick and the
 * rows would never be delivered.  cdc_require_snapshot_acked() is the one
 * check they all make first, refusing a consumer whose snapshot is not
 * fully acknowledged (facts and dimensions backfill from their source
 * themselves, so their own consumers never have a snapshot).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/xid8.h"

#include "common/common.h"
#include "cdc/cdc.h"

/* rows written to the staging table at a time */
#define SNAPSHOT_BATCH 1000

/*
 * snapshot_usable
 *		Whether a snapshot with this xmin can be read by this backend: no
 *		row version it sees can have been removed, nor pg_subtrans
 *		truncated, while this backend's xmin is not after it.
 */
static bool
snapshot_usable(FullTransactionId xmin)
{
	FullTransactionId next = ReadNextFullTransactionId();
	TransactionId mine = MyProc->xmin;

	if (!TransactionIdIsValid(mine))
		return false;
	if (FullTransactionIdFollows(xmin, next) ||
		U64FromFullTransactionId(next) - U64FromFullTransactionId(xmin) >= (uint64) (MaxTransactionId >> 1))
		return false;
	return !TransactionIdPrecedes(XidFromFullTransactionId(xmin), mine);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_snapshot_usable);

/*
 * dataeng_cdc_snapshot_usable
 *		_cdc_snapshot_usable(xmin xid8): see snapshot_usable().
 */
Datum
dataeng_cdc_snapshot_usable(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(snapshot_usable(PG_GETARG_FULLTRANSACTIONID(0)));
}

/*
 * tick_snapshot
 *		The MVCC snapshot of a tick, from its xmin, xmax and running
 *		transactions.
 */
static Snapshot
tick_snapshot(FullTransactionId xmin, FullTransactionId xmax, ArrayType *xip)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	Snapshot	snap;

	deconstruct_array(xip, XID8OID, sizeof(FullTransactionId), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &n);
	snap = palloc0(sizeof(SnapshotData) + sizeof(TransactionId) * (n + 1));
	snap->snapshot_type = SNAPSHOT_MVCC;
	snap->xmin = XidFromFullTransactionId(xmin);
	snap->xmax = XidFromFullTransactionId(xmax);
	snap->xip = (TransactionId *) (snap + 1);
	for (i = 0; i < n; i++)
	{
		if (nulls[i])
			elog(ERROR, "tick snapshot has a null transaction");
		snap->xip[i] = XidFromFullTransactionId(DatumGetFullTransactionId(elems[i]));
	}
	snap->xcnt = n;
	/* only top-level transactions: look subtransactions up in pg_subtrans */
	snap->subxip = NULL;
	snap->subxcnt = 0;
	snap->suboverflowed = true;
	snap->takenDuringRecovery = false;
	snap->copied = false;
	/* this transaction's own writes are not in the tick either */
	snap->curcid = FirstCommandId;
	snap->whenTaken = GetCurrentTimestamp();
	snap->lsn = InvalidXLogRecPtr;
	return snap;
}

/*
 * names_of
 *		The strings of a text[] (NULL for a NULL array).
 */
static List *
names_of(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	List	   *out = NIL;

	if (arr == NULL)
		return NIL;
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			out = lappend(out, TextDatumGetCString(elems[i]));
	return out;
}

static bool
name_listed(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp((char *) lfirst(lc), name) == 0)
			return true;
	return false;
}

/* What one copy writes: the staging insert, and the rows not written yet */
typedef struct SnapshotCopy
{
	SPIPlanPtr	plan;
	text	   *consumer;
	Oid			source;			/* the table the rows are delivered under */
	int64		next;			/* number of the next row, less one */
	int			n;				/* rows buffered */
	Datum		pk[SNAPSHOT_BATCH];
	bool		pknull[SNAPSHOT_BATCH];
	Datum		row[SNAPSHOT_BATCH];
	MemoryContext batchcxt;
} SnapshotCopy;

/*
 * copy_flush
 *		Write the buffered rows to dataeng_internal.cdc_snapshot_rows.
 */
static void
copy_flush(SnapshotCopy *c)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			dims[1];
	int			lbs[1] = {1};
	MemoryContext old;

	if (c->n == 0)
		return;
	old = MemoryContextSwitchTo(c->batchcxt);
	dims[0] = c->n;
	values[0] = PointerGetDatum(c->consumer);
	values[1] = Int64GetDatum(c->next);
	values[2] = ObjectIdGetDatum(c->source);
	values[3] = PointerGetDatum(construct_md_array(c->pk, c->pknull, 1, dims, lbs,
												   JSONBOID, -1, false, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_md_array(c->row, NULL, 1, dims, lbs,
												   JSONBOID, -1, false, TYPALIGN_INT));
	if (SPI_execute_plan(c->plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "dataeng snapshot: could not write the snapshot rows");
	MemoryContextSwitchTo(old);
	c->next += c->n;
	c->n = 0;
	MemoryContextReset(c->batchcxt);
}

/*
 * copy_relation
 *		Copy the rows of one table (a leaf partition of source, or source
 *		itself) visible in snap, with the columns capture records: those
 *		named in include (NIL: all), but those named in exclude; keyed by
 *		the columns named in key.
 */
static void
copy_relation(SnapshotCopy *c, Oid relid, Snapshot snap, Oid owner,
			  List *include, List *exclude, List *key)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	MemoryContext relcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng snapshot relation",
												 ALLOCSET_SMALL_SIZES);
	MemoryContext old;
	Bitmapset  *cols = NULL,
			   *keys = NULL;
	RowJsonbMap rowmap,
				keymap;
	TableScanDesc scan;
	TupleTableSlot *slot;
	bool		more = true;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (name_listed(key, NameStr(att->attname)))
			keys = bms_add_member(keys, att->attnum);
		if (include != NIL && !name_listed(include, NameStr(att->attname)))
			continue;
		if (name_listed(exclude, NameStr(att->attname)))
			continue;
		cols = bms_add_member(cols, att->attnum);
	}
	/* an empty set would mean "every column" to the map */
	if (cols == NULL)
		cols = bms_make_singleton(0);
	dataeng_row_jsonb_map_init(&rowmap, desc, cols, relcxt);
	if (keys != NULL)
		dataeng_row_jsonb_map_init(&keymap, desc, keys, relcxt);

	scan = table_beginscan(rel, snap, 0, NULL);
	slot = table_slot_create(rel, NULL);
	while (more)
	{
		InternalSql saved;
		int			nestlevel;

		/* rendered as the owner, restricted, under capture's settings */
		internal_sql_begin(&saved, owner);
		nestlevel = cdc_output_modes();
		old = MemoryContextSwitchTo(c->batchcxt);
		while (c->n < SNAPSHOT_BATCH)
		{
			CHECK_FOR_INTERRUPTS();
			if (!table_scan_getnextslot(scan, ForwardScanDirection, slot))
			{
				more = false;
				break;
			}
			slot_getallattrs(slot);
			c->pknull[c->n] = (keys == NULL);
			c->pk[c->n] = keys ? JsonbPGetDatum(dataeng_row_jsonb_build(&keymap, slot, NULL)) : (Datum) 0;
			c->row[c->n] = JsonbPGetDatum(dataeng_row_jsonb_build(&rowmap, slot, NULL));
			c->n++;
		}
		MemoryContextSwitchTo(old);
		if (nestlevel >= 0)
			AtEOXact_GUC(true, nestlevel);
		internal_sql_end(&saved);
		if (c->n == SNAPSHOT_BATCH || !more)
			copy_flush(c);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_endscan(scan);
	table_close(rel, NoLock);
	MemoryContextDelete(relcxt);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_snapshot_copy);

/*
 * dataeng_cdc_snapshot_copy
 *		_cdc_snapshot_copy(consumer text, owner regrole, tbl regclass,
 *		columns text[], exclude_columns text[], xmin xid8, xmax xid8,
 *		xip xid8[], first bigint) → bigint: copy the rows of tbl (of every
 *		leaf partition of a partitioned tbl) that the tick snapshot (xmin,
 *		xmax, xip) sees into dataeng_internal.cdc_snapshot_rows, numbered
 *		from first + 1, with the columns capture records; the number of
 *		rows copied.  Called by _cdc_consumer_create() only (EXECUTE is
 *		revoked), which checked that owner may read tbl whole.
 */
Datum
dataeng_cdc_snapshot_copy(PG_FUNCTION_ARGS)
{
	text	   *consumer;
	Oid			owner,
				relid;
	List	   *include,
			   *exclude,
			   *key = NIL,
			   *leaves;
	FullTransactionId xmin,
				xmax;
	Snapshot	snap;
	SnapshotCopy *c;
	Relation	rel;
	Bitmapset  *keyset;
	int64		first;
	int			att;
	ListCell   *lc;
	Oid			argtypes[5] = {TEXTOID, INT8OID, OIDOID, JSONBARRAYOID, JSONBARRAYOID};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(5) ||
		PG_ARGISNULL(6) || PG_ARGISNULL(7) || PG_ARGISNULL(8))
		elog(ERROR, "dataeng snapshot: null argument");
	consumer = PG_GETARG_TEXT_PP(0);
	owner = PG_GETARG_OID(1);
	relid = PG_GETARG_OID(2);
	include = names_of(PG_ARGISNULL(3) ? NULL : PG_GETARG_ARRAYTYPE_P(3));
	exclude = names_of(PG_ARGISNULL(4) ? NULL : PG_GETARG_ARRAYTYPE_P(4));
	xmin = PG_GETARG_FULLTRANSACTIONID(5);
	xmax = PG_GETARG_FULLTRANSACTIONID(6);
	first = PG_GETARG_INT64(8);

	if (!snapshot_usable(xmin))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the snapshot of the consumer's tick is older than this transaction"),
				 errdetail("Rows it sees may have been removed since."),
				 errhint("Create the consumer in a READ COMMITTED transaction.")));

	/* the owner's rights, checked again here, where the rows are read */
	rel = table_open(relid, AccessShareLock);
	if (pg_class_aclcheck(relid, owner, ACL_SELECT) != ACLCHECK_OK ||
		check_enable_rls(relid, owner, true) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", RelationGetRelationName(rel))));
	keyset = cdc_identity_columns(rel);
	att = -1;
	while ((att = bms_next_member(keyset, att)) >= 0)
		key = lappend(key, get_attname(relid, att, false));
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		leaves = find_all_inheritors(relid, AccessShareLock, NULL);
	else
		leaves = list_make1_oid(relid);

	snap = RegisterSnapshot(tick_snapshot(xmin, xmax, PG_GETARG_ARRAYTYPE_P(7)));

	c = palloc0(sizeof(SnapshotCopy));
	c->consumer = consumer;
	c->source = relid;
	c->next = first;
	c->batchcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng snapshot batch",
										ALLOCSET_DEFAULT_SIZES);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "dataeng snapshot: SPI_connect failed");
	c->plan = SPI_prepare(dataeng_internal_sql(
							"INSERT INTO dataeng_internal.cdc_snapshot_rows (consumer, n, table_oid, pk, new_row) "
							"SELECT $1, $2 OPERATOR(pg_catalog.+) u.i, $3, u.p, u.r "
							"FROM ROWS FROM (pg_catalog.unnest($4), pg_catalog.unnest($5)) WITH ORDINALITY u(p, r, i)"),
						  5, argtypes);
	if (c->plan == NULL)
		elog(ERROR, "dataeng snapshot: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

	foreach(lc, leaves)
	{
		Oid			leaf = lfirst_oid(lc);
		char		kind = get_rel_relkind(leaf);

		/* (partitioned tables have no rows; foreign partitions are not captured) */
		if (kind != RELKIND_RELATION)
			continue;
		copy_relation(c, leaf, snap, owner, include, exclude, key);
	}
	copy_flush(c);
	SPI_finish();
	UnregisterSnapshot(snap);
	table_close(rel, NoLock);
	PG_RETURN_INT64(c->next - first);
}

/*
 * cdc_require_snapshot_acked
 *		Refuse a consumer whose initial snapshot still has rows not
 *		acknowledged, for a reader other than cdc_poll(): the readers of
 *		facts and dimensions (_fact_deltas(), _dim_events(), both through
 *		_cdc_poll_txns(), and _cdc_poll_unordered()) read the change log
 *		only, and would move the consumer past its snapshot's tick without
 *		ever delivering those rows.  caller is the role the reader acts for.
 *
 *		The consumer's row is read as the owner of the consumer table, with
 *		search_path pinned.  A consumer that does not exist, or that caller
 *		may not use, passes: the reader's own checks report those, and how
 *		many rows someone else's consumer has left is not caller's business.
 *		The count only falls once the consumer is created, so a consumer
 *		that passes stays passing; the readers check again under the
 *		consumer's row lock (_cdc_poll_txns(), _cdc_poll_ranges()).
 */
static SPIPlanPtr acked_plan = NULL;

void
cdc_require_snapshot_acked(const char *consumer, Oid caller)
{
	Oid			nsp;
	Oid			relid;
	HeapTuple	tup;
	Oid			relowner;
	InternalSql saved;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		found = false;
	Oid			owner = InvalidOid;
	int64		pending = 0;

	/*
	 * before 0.2.0 (internals in schema dataeng) there are no snapshots (and
	 * a schema dataeng_internal there is not the extension's)
	 */
	if (strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) != 0)
		return;
	nsp = get_namespace_oid(DATAENG_INTERNAL_SCHEMA, true);
	if (!OidIsValid(nsp))
		return;
	relid = get_relname_relid("cdc_consumer_state", nsp);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.cdc_consumer_state is missing", DATAENG_INTERNAL_SCHEMA),
				 errhint("Reinstall the extension.")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	relowner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);

	args[0] = CStringGetTextDatum(consumer);
	internal_sql_begin(&saved, relowner);
	SPI_connect();
	if (acked_plan == NULL)
	{
		/*
		 * planned once a session: it runs at every refresh of a fact or
		 * dimension (the plan cache plans it again when the table changes)
		 */
		SPIPlanPtr	p = SPI_prepare("SELECT c.owner::oid, c.snapshot_rows OPERATOR(pg_catalog.-) c.snapshot_acked "
									"FROM dataeng_internal.cdc_consumer_state c "
									"WHERE c.name OPERATOR(pg_catalog.=) $1",
									1, argtypes);

		if (p == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		if (SPI_keepplan(p) != 0)
			elog(ERROR, "SPI_keepplan failed");
		acked_plan = p;
	}
	if (SPI_execute_plan(acked_plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read consumer \"%s\"", consumer);
	if (SPI_processed == 1)
	{
		bool		isnull;
		Datum		d;

		found = true;
		owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
											   1, &isnull));
		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		pending = isnull ? 0 : DatumGetInt64(d);
	}
	SPI_finish();
	internal_sql_end(&saved);

	if (!found || pending <= 0 || !has_privs_of_role(caller, owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("consumer \"%s\" has not acknowledged its initial snapshot yet", consumer),
			 errdetail_plural("Consumer \"%s\" has %lld row of its initial snapshot not acknowledged. "
							  "Only dataeng.cdc_poll() delivers snapshot rows: this reader reads "
							  "the change log and would skip it.",
							  "Consumer \"%s\" has %lld rows of its initial snapshot not acknowledged. "
							  "Only dataeng.cdc_poll() delivers snapshot rows: this reader reads "
							  "the change log and would skip them.",
							  (unsigned long) pending, consumer, (long long) pending),
			 errhint("Poll the consumer with dataeng.cdc_poll() and acknowledge its snapshot rows "
					 "with dataeng.cdc_ack() first.")));
}

PG_FUNCTION_INFO_V1(dataeng_cdc_require_snapshot_acked);

/*
 * dataeng_cdc_require_snapshot_acked
 *		_cdc_require_snapshot_acked(consumer text, caller regrole) → void:
 *		cdc_require_snapshot_acked() for the readers written in SQL.
 */
Datum
dataeng_cdc_require_snapshot_acked(PG_FUNCTION_ARGS)
{
	cdc_require_snapshot_acked(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_OID(1));
	PG_RETURN_VOID();
}
