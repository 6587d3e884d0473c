/*-------------------------------------------------------------------------
 *
 * side_apply.c
 *		Apply the net per-value count changes of a fact's count(DISTINCT)
 *		measure to its side table (<fact>_distinct) with direct index
 *		lookups and heap writes, as the logical replication apply worker
 *		does (src/backend/executor/execReplication.c).
 *
 * A refresh folds the values that came and went into one net change per
 * group and value (pg_temp._dataeng_dc, built by _fact_side_changes_sql()).
 * The SQL way to add them, INSERT ... ON CONFLICT DO UPDATE, spends most
 * of its time in its machinery rather than in the writes: per value a
 * pre-check that scans the arbiter index (and every dead version its
 * entries lead to), a row lock (a WAL record of its own) and then the
 * update, whose new version takes a new index entry.  Here, per value:
 *
 *	 one descent of the measure's unique index (the changes are read in
 *	 its order, so the descents walk it forward), then
 *	 - found, count + change > 0: the row updated; the count is no index
 *	   column, so the update is HOT when its page has room (the side table
 *	   is made with a fillfactor below 100 for that: _fact_side_create);
 *	 - found, count + change <= 0: the row deleted (a value no row has any
 *	   more is not kept);
 *	 - not found, change > 0: a row inserted, with its index entries.
 *
 * Every write is an ordinary heap write in the refresh's transaction
 * (WAL-logged, undone by its abort): the refresh stays crash safe and
 * exactly once.  The writes are made as the current user (the fact's
 * owner during a refresh), who must hold SELECT, INSERT, UPDATE and
 * DELETE on the side table; a side table with row security or triggers is
 * left to the SQL upsert (_fact_side_upsert_sql() chooses).
 *
 * The function returns, per change, what the upsert's RETURNING gave
 * (pg_temp._dataeng_dc_ret): the row's tid (NULL when it was deleted or
 * not written), its keys, the measure, its new count (0 or less: the value
 * is gone) and whether it was inserted.  From those the refresh adds one
 * to a group's count(DISTINCT) per value that appeared and takes one away
 * per value that went.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_type.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

PG_FUNCTION_INFO_V1(dataeng_fact_side_apply);

/*
 * find_measure_index
 *		The unique index of side whose last key column is vattno (the value
 *		column of one measure: its index is partial, WHERE __m = measure),
 *		opened with RowExclusiveLock; raises when there is none.
 */
static Relation
find_measure_index(Relation side, AttrNumber vattno, const char *vname)
{
	List	   *indexes = RelationGetIndexList(side);
	ListCell   *lc;

	foreach(lc, indexes)
	{
		Relation	idx = index_open(lfirst_oid(lc), RowExclusiveLock);
		Form_pg_index form = idx->rd_index;

		if (form->indisunique && form->indisvalid && form->indisready &&
			idx->rd_rel->relam == BTREE_AM_OID &&
			form->indnkeyatts >= 2 && form->indnatts == form->indnkeyatts &&
			form->indkey.values[form->indnkeyatts - 1] == vattno &&
			!heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, NULL))
		{
			int			i;
			bool		plain = heap_attisnull(idx->rd_indextuple, Anum_pg_index_indexprs, NULL);

			for (i = 0; i < form->indnkeyatts; i++)
				if (form->indkey.values[i] == 0)
					plain = false;
			if (plain)
			{
				list_free(indexes);
				return idx;
			}
		}
		index_close(idx, RowExclusiveLock);
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the side table %s has no unique index on the values of column %s",
					RelationGetRelationName(side), vname),
			 errhint("Rebuild the fact with dataeng.fact_rebuild().")));
	return NULL;				/* keep the compiler quiet */
}

/*
 * dataeng_internal._fact_side_apply(side regclass, measure int,
 *									  changes regclass) RETURNS SETOF record
 *		Add the per-value count changes of measure (rows of changes whose
 *		__m is measure: the side table's keys, __n the change, __v<measure>
 *		the value) to the side table, as the header comment describes.  The
 *		column definition list: __tid tid, the keys, __m int, __n bigint,
 *		__ins boolean.
 */
Datum
dataeng_fact_side_apply(PG_FUNCTION_ARGS)
{
	Oid			sideid = PG_GETARG_OID(0);
	int32		measure = PG_GETARG_INT32(1);
	Oid			changesid = PG_GETARG_OID(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	side;
	Relation	idx;
	TupleDesc	desc;
	char		vname[NAMEDATALEN];
	AttrNumber	vattno;
	AttrNumber	mattno;
	AttrNumber	nattno;
	int			nkeys;			/* index key columns: the keys and the value */
	AttrNumber *katt;
	ScanKeyData *skey;
	RegProcedure *eqproc;
	StringInfoData sql;
	InternalSql save;
	AclResult	acl;
	static const AclMode rights[] = {ACL_SELECT, ACL_INSERT, ACL_UPDATE, ACL_DELETE};
	EState	   *estate;
	ResultRelInfo *rri;
	RangeTblEntry *rte;
	TupleTableSlot *slot;
	TupleTableSlot *nslot;
	Snapshot	snap;
	Datum	   *values;
	bool	   *nulls;
	bool	   *repl;
	Datum	   *out;
	bool	   *outnull;
	uint64		n;
	uint64		r;
	int			i;
	MemoryContext rowcxt;
	MemoryContext oldcxt;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);

	side = table_open(sideid, RowExclusiveLock);
	desc = RelationGetDescr(side);
	if (side->rd_rel->relkind != RELKIND_RELATION)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(side))));
	/* each right on its own (a mask of several asks for any of them) */
	for (i = 0; i < (int) lengthof(rights); i++)
	{
		acl = pg_class_aclcheck(sideid, GetUserId(), rights[i]);
		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(side));
	}
	if (side->rd_rel->relrowsecurity || side->trigdesc != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the side table %s has row security or triggers", RelationGetRelationName(side)),
				 errdetail("Its per-value counts are applied with an upsert then.")));
	CheckCmdReplicaIdentity(side, CMD_UPDATE);
	CheckCmdReplicaIdentity(side, CMD_DELETE);

	snprintf(vname, sizeof(vname), "__v%d", measure);
	vattno = get_attnum(sideid, vname);
	mattno = get_attnum(sideid, "__m");
	nattno = get_attnum(sideid, "__n");
	if (vattno == InvalidAttrNumber || mattno == InvalidAttrNumber || nattno == InvalidAttrNumber ||
		TupleDescAttr(desc, mattno - 1)->atttypid != INT4OID ||
		TupleDescAttr(desc, nattno - 1)->atttypid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation %s is not the side table of a count(DISTINCT) measure %d",
						RelationGetRelationName(side), measure)));
	idx = find_measure_index(side, vattno, vname);
	nkeys = idx->rd_index->indnkeyatts;
	if (rsinfo->setDesc->natts != nkeys - 1 + 4)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the column definition list of _fact_side_apply() has %d columns, expected %d",
						rsinfo->setDesc->natts, nkeys - 1 + 4)));

	/* the column definition list: the types of the rows put out */
	for (i = 0; i < rsinfo->setDesc->natts; i++)
	{
		Oid			want;

		if (i == 0)
			want = TIDOID;
		else if (i < nkeys)
			want = TupleDescAttr(desc, idx->rd_index->indkey.values[i - 1] - 1)->atttypid;
		else if (i == nkeys)
			want = INT4OID;
		else if (i == nkeys + 1)
			want = INT8OID;
		else
			want = BOOLOID;
		if (TupleDescAttr(rsinfo->setDesc, i)->atttypid != want)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column %d of the column definition list of _fact_side_apply() is of type %s, expected %s",
							i + 1, format_type_be(TupleDescAttr(rsinfo->setDesc, i)->atttypid),
							format_type_be(want))));
	}

	/* the scan keys: the equality of each column's opclass, its collation */
	katt = palloc(sizeof(AttrNumber) * nkeys);
	skey = palloc(sizeof(ScanKeyData) * nkeys);
	eqproc = palloc(sizeof(RegProcedure) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		Oid			op = get_opfamily_member(idx->rd_opfamily[i], idx->rd_opcintype[i],
											 idx->rd_opcintype[i], BTEqualStrategyNumber);

		if (!OidIsValid(op))
			elog(ERROR, "missing equality operator for column %d of index %s", i + 1,
				 RelationGetRelationName(idx));
		katt[i] = idx->rd_index->indkey.values[i];
		eqproc[i] = get_opcode(op);
	}

	/* the executor state the index insertions need (as execReplication.c) */
	estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = sideid;
	rte->relkind = side->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	ExecInitRangeTable(estate, list_make1(rte));
	rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, side, 1, NULL, 0);
	ExecOpenIndices(rri, false);
	estate->es_output_cid = GetCurrentCommandId(true);
	slot = table_slot_create(side, NULL);
	nslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);

	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	repl = palloc0(sizeof(bool) * desc->natts);
	out = palloc0(sizeof(Datum) * rsinfo->setDesc->natts);
	outnull = palloc0(sizeof(bool) * rsinfo->setDesc->natts);
	repl[nattno - 1] = true;

	/* the changes, in the index's order, read as the caller */
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (i = 0; i < nkeys; i++)
		appendStringInfo(&sql, "c.%s, ", quote_identifier(NameStr(TupleDescAttr(desc, katt[i] - 1)->attname)));
	appendStringInfo(&sql, "c.__n FROM %s c WHERE c.__m OPERATOR(pg_catalog.=) %d ORDER BY ",
					 quote_qualified_identifier(get_namespace_name(get_rel_namespace(changesid)),
												get_rel_name(changesid)),
					 measure);
	for (i = 0; i < nkeys; i++)
		appendStringInfo(&sql, "%s%d", i ? ", " : "", i + 1);

	internal_sql_begin(&save, InvalidOid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(sql.data, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the changes of the side table %s", RelationGetRelationName(side));
	n = SPI_processed;
	if (SPI_tuptable->tupdesc->natts != nkeys + 1 ||
		TupleDescAttr(SPI_tuptable->tupdesc, nkeys)->atttypid != INT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the changes of the side table %s do not have its column types",
						RelationGetRelationName(side))));
	for (i = 0; i < nkeys; i++)
		if (TupleDescAttr(SPI_tuptable->tupdesc, i)->atttypid != TupleDescAttr(desc, katt[i] - 1)->atttypid)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the changes of the side table %s do not have its column types",
							RelationGetRelationName(side))));

	CommandCounterIncrement();
	snap = RegisterSnapshot(GetLatestSnapshot());
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng side apply row",
								   ALLOCSET_DEFAULT_SIZES);

	for (r = 0; r < n; r++)
	{
		HeapTuple	ct = SPI_tuptable->vals[r];
		TupleDesc	cd = SPI_tuptable->tupdesc;
		IndexScanDesc scan;
		bool		isnull;
		int64		delta;
		bool		found = false;
		bool		skip = false;

		CHECK_FOR_INTERRUPTS();
		MemoryContextReset(rowcxt);
		oldcxt = MemoryContextSwitchTo(rowcxt);
		delta = DatumGetInt64(SPI_getbinval(ct, cd, nkeys + 1, &isnull));
		if (isnull)
		{
			MemoryContextSwitchTo(oldcxt);
			continue;
		}
		for (i = 0; i < nkeys; i++)
		{
			Datum		v = SPI_getbinval(ct, cd, i + 1, &isnull);

			values[katt[i] - 1] = v;
			nulls[katt[i] - 1] = isnull;
			if (isnull)
			{
				/* NULLS NOT DISTINCT: a NULL key finds the NULL entry */
				ScanKeyEntryInitialize(&skey[i], SK_ISNULL | SK_SEARCHNULL, i + 1,
									   InvalidStrategy, InvalidOid, InvalidOid, InvalidOid, (Datum) 0);
				if (i == nkeys - 1)
					skip = true;	/* no value: nothing counted */
			}
			else
				ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber,
									   idx->rd_opcintype[i], idx->rd_indcollation[i], eqproc[i], v);
		}
		if (skip)
		{
			MemoryContextSwitchTo(oldcxt);
			continue;
		}

		scan = index_beginscan(side, idx, snap, nkeys, 0);
		index_rescan(scan, skey, nkeys, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			int32		m = DatumGetInt32(slot_getattr(slot, mattno, &isnull));

			if (isnull || m != measure)
				continue;
			found = true;
			break;
		}

		/* the row out: tid, keys, measure, count, inserted */
		for (i = 0; i < nkeys - 1; i++)
		{
			out[1 + i] = values[katt[i] - 1];
			outnull[1 + i] = nulls[katt[i] - 1];
		}
		out[nkeys] = Int32GetDatum(measure);
		outnull[nkeys] = false;
		outnull[nkeys + 1] = false;
		outnull[nkeys + 2] = false;
		outnull[0] = true;

		if (found)
		{
			int64		cnt = DatumGetInt64(slot_getattr(slot, nattno, &isnull));
			ItemPointerData otid = slot->tts_tid;

			if (isnull)
				cnt = 0;
			cnt += delta;
			if (cnt <= 0)
				simple_heap_delete(side, &otid);
			else
			{
				bool		shouldFree;
				HeapTuple	old = ExecFetchSlotHeapTuple(slot, false, &shouldFree);
				HeapTuple	newt;

				values[nattno - 1] = Int64GetDatum(cnt);
				nulls[nattno - 1] = false;
				newt = heap_modify_tuple(old, desc, values, nulls, repl);
				if (shouldFree)
					heap_freetuple(old);
				simple_heap_update(side, &otid, newt);
				if (!HeapTupleIsHeapOnly(newt))
				{
					ExecStoreHeapTuple(newt, nslot, false);
					(void) ExecInsertIndexTuples(rri, nslot, estate, true, false, NULL, NIL);
					ResetPerTupleExprContext(estate);
				}
				out[0] = PointerGetDatum(&newt->t_self);
				outnull[0] = false;
			}
			out[nkeys + 1] = Int64GetDatum(cnt);
			out[nkeys + 2] = BoolGetDatum(false);
			index_endscan(scan);
		}
		else
		{
			index_endscan(scan);
			if (delta > 0)
			{
				Datum	   *iv = palloc0(sizeof(Datum) * desc->natts);
				bool	   *in = palloc(sizeof(bool) * desc->natts);
				HeapTuple	newt;

				memset(in, true, sizeof(bool) * desc->natts);
				for (i = 0; i < nkeys; i++)
				{
					iv[katt[i] - 1] = values[katt[i] - 1];
					in[katt[i] - 1] = nulls[katt[i] - 1];
				}
				iv[mattno - 1] = Int32GetDatum(measure);
				in[mattno - 1] = false;
				iv[nattno - 1] = Int64GetDatum(delta);
				in[nattno - 1] = false;
				newt = heap_form_tuple(desc, iv, in);
				simple_heap_insert(side, newt);
				ExecStoreHeapTuple(newt, nslot, false);
				(void) ExecInsertIndexTuples(rri, nslot, estate, false, false, NULL, NIL);
				ResetPerTupleExprContext(estate);
				out[0] = PointerGetDatum(&newt->t_self);
				outnull[0] = false;
				pfree(iv);
				pfree(in);
			}
			/* a value that was not there going away: nothing to undo */
			out[nkeys + 1] = Int64GetDatum(delta);
			out[nkeys + 2] = BoolGetDatum(true);
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, out, outnull);
		ExecClearTuple(nslot);
		ExecClearTuple(slot);
		MemoryContextSwitchTo(oldcxt);
	}

	UnregisterSnapshot(snap);
	SPI_finish();
	internal_sql_end(&save);

	ExecDropSingleTupleTableSlot(slot);
	ExecDropSingleTupleTableSlot(nslot);
	ExecCloseIndices(rri);
	FreeExecutorState(estate);
	index_close(idx, NoLock);
	table_close(side, NoLock);
	CommandCounterIncrement();
	return (Datum) 0;
}
