/*-------------------------------------------------------------------------
 *
 * side_apply.c
 *		Apply the net per-value count changes of a fact's count(DISTINCT)
 *		measure to its side table (<fact>_distinct) with direct index
 *		lookups and heap writes, as the logical replication apply worker
 *		does (src/backend/executor/execReplication.c).
 *
 * A refresh lists the values that came and went, +1 or -1 each
 * (pg_temp._dataeng_dc, built by _fact_side_changes_sql()).  Read here in
 * the order of the measure's unique index, the rows of one group and value
 * come one after another and are added up into its net change (many
 * cancel: a value updated away and back, a row moved within its group).  A
 * pair whose changes cancel writes nothing.  (The netting was a GROUP BY
 * before the sort: a hash aggregate of every row, for what the sort's
 * order gives for a comparison per row.)
 *
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
 * owner during a refresh), who must own the side table and hold SELECT,
 * INSERT, UPDATE and DELETE on it.  Heap writes compute no default, no
 * generated column and fire no rule, trigger or policy, and check only
 * NOT NULL: the side table must be exactly what _fact_side_create() makes
 * (its columns, no defaults, constraints, rules, triggers, row security,
 * children; side_apply_reason() says), else the SQL upsert applies the
 * counts (_fact_side_upsert_sql() chooses, through
 * _fact_side_apply_reason()).  An update or delete waits for a
 * transaction writing its row; a row another transaction changed meanwhile
 * fails the refresh with a serialization failure (40001).
 *
 * The function returns, per (group, value) with a net change, what the
 * upsert's RETURNING gave
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
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

PG_FUNCTION_INFO_V1(dataeng_fact_side_apply);
PG_FUNCTION_INFO_V1(dataeng_fact_side_apply_reason);

/*
 * find_measure_index
 *		The unique index of side whose last key column is vattno (the value
 *		column of one measure: its index is partial, WHERE __m = measure),
 *		opened with RowExclusiveLock; NULL when there is none.
 */
static Relation
find_measure_index(Relation side, AttrNumber vattno)
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
	list_free(indexes);
	return NULL;
}

/*
 * is_value_column
 *		Whether name is __v<n>, n > 0: the value column of a count(DISTINCT)
 *		measure (one per measure, made by _fact_side_create()).
 */
static bool
is_value_column(const char *name)
{
	const char *p;

	if (strncmp(name, "__v", 3) != 0 || name[3] < '1' || name[3] > '9')
		return false;
	for (p = name + 4; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/*
 * side_apply_reason
 *		NULL when _fact_side_apply() may write the side table of measure
 *		directly (heap writes that compute no default, generated column,
 *		rule, trigger, row security policy or constraint other than NOT
 *		NULL), else why not: the upsert is used then.  The table must be
 *		exactly what _fact_side_create() makes, and the current user its
 *		owner.  *idxp: the measure's unique index, opened (NULL if none).
 */
static const char *
side_apply_reason(Relation side, int32 measure, Relation *idxp)
{
	Oid			sideid = RelationGetRelid(side);
	TupleDesc	desc = RelationGetDescr(side);
	Form_pg_class rd = side->rd_rel;
	char		vname[NAMEDATALEN];
	AttrNumber	vattno;
	Relation	idx;
	Relation	conrel;
	ScanKeyData key;
	SysScanDesc cscan;
	bool		hascon;
	List	   *indexes;
	ListCell   *lc;
	int			i;
	int			j;

	*idxp = NULL;
	if (!pg_class_ownercheck(sideid, GetUserId()))
		return "the current user does not own the side table";
	if (rd->relkind != RELKIND_RELATION)
		return "the side table is not an ordinary table";
	if (rd->relam != HEAP_TABLE_AM_OID)
		return "the side table is not a heap table";
	if (rd->relispartition)
		return "the side table is a partition";
	if (rd->relhassubclass)
		return "the side table has inheritance children";
	if (rd->relhasrules || side->rd_rules != NULL)
		return "the side table has rules";
	if (rd->relhastriggers || side->trigdesc != NULL)
		return "the side table has triggers";
	if (rd->relrowsecurity || rd->relforcerowsecurity)
		return "the side table has row-level security";
	if (rd->relchecks > 0)
		return "the side table has CHECK constraints";
	if (OidIsValid(rd->reloftype))
		return "the side table is a typed table";

	/* constraints of any kind (CHECK, foreign key, unique, exclusion...) */
	conrel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(sideid));
	cscan = systable_beginscan(conrel, ConstraintRelidTypidNameIndexId, true, NULL, 1, &key);
	hascon = HeapTupleIsValid(systable_getnext(cscan));
	systable_endscan(cscan);
	table_close(conrel, AccessShareLock);
	if (hascon)
		return "the side table has constraints";

	/* its indexes: plain ones (no exclusion, no deferred uniqueness) */
	indexes = RelationGetIndexList(side);
	foreach(lc, indexes)
	{
		HeapTuple	it = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
		bool		plain;

		if (!HeapTupleIsValid(it))
			elog(ERROR, "cache lookup failed for index %u", lfirst_oid(lc));
		plain = !((Form_pg_index) GETSTRUCT(it))->indisexclusion &&
			((Form_pg_index) GETSTRUCT(it))->indimmediate;
		ReleaseSysCache(it);
		if (!plain)
		{
			list_free(indexes);
			return "the side table has an exclusion or deferred index";
		}
	}
	list_free(indexes);

	snprintf(vname, sizeof(vname), "__v%d", measure);
	vattno = get_attnum(sideid, vname);
	if (vattno == InvalidAttrNumber)
		return "the side table has no column of the measure's values";
	idx = find_measure_index(side, vattno);
	if (idx == NULL)
		return "the side table has no unique index on the measure's values";
	*idxp = idx;

	/*
	 * Its columns: the index's keys and value, __m int, __n bigint and the
	 * values of the other measures (written NULL, so not NOT NULL); none
	 * with a default, generated, an identity or of a domain type.
	 */
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		const char *name = NameStr(a->attname);
		bool		written = false;

		if (a->attisdropped)
			continue;
		if (a->atthasdef || a->attgenerated || a->attidentity)
			return "a column of the side table has a default, is generated or is an identity";
		if (get_typtype(a->atttypid) == TYPTYPE_DOMAIN)
			return "a column of the side table is of a domain type";
		for (j = 0; j < idx->rd_index->indnkeyatts; j++)
			if (idx->rd_index->indkey.values[j] == a->attnum)
				written = true;
		if (strcmp(name, "__m") == 0)
		{
			if (a->atttypid != INT4OID)
				return "column __m of the side table is not an integer";
			written = true;
		}
		else if (strcmp(name, "__n") == 0)
		{
			if (a->atttypid != INT8OID)
				return "column __n of the side table is not a bigint";
			written = true;
		}
		if (!written && !is_value_column(name))
			return "the side table has a column the extension does not make";
		if (!written && a->attnotnull)
			return "a value column of another measure is NOT NULL";
	}
	if (get_attnum(sideid, "__m") == InvalidAttrNumber || get_attnum(sideid, "__n") == InvalidAttrNumber)
		return "the side table lacks column __m or __n";
	return NULL;
}

/*
 * dataeng_internal._fact_side_apply_reason(side regclass, measure int)
 *		RETURNS text
 *		NULL when _fact_side_apply() may apply measure's changes to side,
 *		else why the upsert does (side_apply_reason()).
 */
Datum
dataeng_fact_side_apply_reason(PG_FUNCTION_ARGS)
{
	Oid			sideid = PG_GETARG_OID(0);
	int32		measure = PG_GETARG_INT32(1);
	Relation	side;
	Relation	idx;
	const char *reason;

	/* (no lock on a table the caller does not own) */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sideid)))
		PG_RETURN_TEXT_P(cstring_to_text("the side table does not exist"));
	if (!pg_class_ownercheck(sideid, GetUserId()))
		PG_RETURN_TEXT_P(cstring_to_text("the current user does not own the side table"));
	side = try_relation_open(sideid, AccessShareLock);
	if (side == NULL)
		PG_RETURN_TEXT_P(cstring_to_text("the side table does not exist"));
	reason = side_apply_reason(side, measure, &idx);
	if (idx != NULL)
		index_close(idx, RowExclusiveLock);
	relation_close(side, AccessShareLock);
	if (reason == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(reason));
}

/*
 * side_write_check
 *		Raise unless res (of a heap_update() or heap_delete() of a side
 *		table row found by this refresh) is TM_Ok.
 */
static void
side_write_check(Relation side, TM_Result res)
{
	if (res == TM_Ok)
		return;
	if (res == TM_Updated || res == TM_Deleted)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not apply per-value counts to %s: a row was changed concurrently",
						RelationGetRelationName(side)),
				 errdetail("Another transaction updated or deleted a row of the side table while this refresh applied its counts."),
				 errhint("Side tables are written only by their fact's refresh: leave them alone, and retry the refresh.")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("could not write a row of the side table %s (result %d)",
					RelationGetRelationName(side), (int) res),
			 errdetail("The row was already written by this refresh, or is not visible to it."),
			 errhint("Rebuild the fact with dataeng.fact_rebuild().")));
}

/*
 * same_pair
 *		Whether the change ct (keys in columns 1..nkeys of cd) is of the
 *		(group, value) of values/nulls (at the side table's columns katt),
 *		by the index's equality (eqfn, under collation colls); NULL equals
 *		NULL (the index is NULLS NOT DISTINCT).
 */
static bool
same_pair(HeapTuple ct, TupleDesc cd, int nkeys, const Datum *values, const bool *nulls,
		  const AttrNumber *katt, FmgrInfo *eqfn, const Oid *colls)
{
	int			i;

	/* the value first: it changes from one row to the next most often */
	for (i = nkeys - 1; i >= 0; i--)
	{
		bool		isnull;
		Datum		v = SPI_getbinval(ct, cd, i + 1, &isnull);

		if (isnull != nulls[katt[i] - 1])
			return false;
		if (!isnull &&
			!DatumGetBool(FunctionCall2Coll(&eqfn[i], colls[i], values[katt[i] - 1], v)))
			return false;
	}
	return true;
}

/*
 * dataeng_internal._fact_side_apply(side regclass, measure int,
 *									  changes regclass) RETURNS SETOF record
 *		Add the per-value count changes of measure (rows of changes whose
 *		__m is measure: the side table's keys, __n the change, __v<measure>
 *		the value; several rows of one key and value are added up) to the
 *		side table, as the header comment describes.  The
 *		column definition list: __tid tid, the keys, __m int, __n bigint,
 *		__ins boolean.
 */
Datum
dataeng_fact_side_apply(PG_FUNCTION_ARGS)
{
	Oid			sideid = PG_GETARG_OID(0);
	int32		measure = PG_GETARG_INT32(1);
	Oid			changesid = PG_GETARG_OID(2);
	char	   *chname;
	char	   *chnsp;
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	side;
	Relation	idx;
	TupleDesc	desc;
	AttrNumber	mattno;
	AttrNumber	nattno;
	int			nkeys;			/* index key columns: the keys and the value */
	AttrNumber *katt;
	ScanKeyData *skey;
	RegProcedure *eqproc;
	FmgrInfo   *eqfn;
	StringInfoData sql;
	InternalSql save;
	AclResult	acl;
	const char *reason;
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

	/* the owner first, by OID: no lock on a table the caller does not own */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(sideid)) ||
		!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(changesid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the side table or the changes of _fact_side_apply() do not exist")));
	if (!pg_class_ownercheck(sideid, GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be owner of table %s to apply per-value counts to it",
						get_rel_name(sideid)),
				 errdetail("dataeng_internal._fact_side_apply() writes the rows of a fact's side table directly, without the checks of an INSERT or UPDATE."),
				 errhint("Refresh the fact with dataeng.fact_refresh(): it applies them as the fact's owner.")));
	side = table_open(sideid, RowExclusiveLock);
	desc = RelationGetDescr(side);
	/* each right on its own (a mask of several asks for any of them) */
	for (i = 0; i < (int) lengthof(rights); i++)
	{
		acl = pg_class_aclcheck(sideid, GetUserId(), rights[i]);
		if (acl != ACLCHECK_OK)
			aclcheck_error(acl, OBJECT_TABLE, RelationGetRelationName(side));
	}
	reason = side_apply_reason(side, measure, &idx);
	if (reason != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the side table %s cannot be written directly", RelationGetRelationName(side)),
				 errdetail("Direct heap writes would skip what the table asks for: %s.", reason),
				 errhint("A refresh applies its per-value counts with an upsert then (dataeng_internal._fact_side_upsert_sql() chooses).")));
	CheckCmdReplicaIdentity(side, CMD_UPDATE);
	CheckCmdReplicaIdentity(side, CMD_DELETE);

	mattno = get_attnum(sideid, "__m");
	nattno = get_attnum(sideid, "__n");
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
	eqfn = palloc(sizeof(FmgrInfo) * nkeys);
	for (i = 0; i < nkeys; i++)
	{
		Oid			op = get_opfamily_member(idx->rd_opfamily[i], idx->rd_opcintype[i],
											 idx->rd_opcintype[i], BTEqualStrategyNumber);

		if (!OidIsValid(op))
			elog(ERROR, "missing equality operator for column %d of index %s", i + 1,
				 RelationGetRelationName(idx));
		katt[i] = idx->rd_index->indkey.values[i];
		eqproc[i] = get_opcode(op);
		fmgr_info(eqproc[i], &eqfn[i]);
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
	slot = table_slot_create(side, NULL);
	nslot = MakeSingleTupleTableSlot(desc, &TTSOpsHeapTuple);

	values = palloc0(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	repl = palloc0(sizeof(bool) * desc->natts);
	out = palloc0(sizeof(Datum) * rsinfo->setDesc->natts);
	outnull = palloc0(sizeof(bool) * rsinfo->setDesc->natts);
	repl[nattno - 1] = true;

	/*
	 * the changes in the index's order (the rows of one group and value
	 * one after another), read as the caller
	 */
	chname = get_rel_name(changesid);
	chnsp = chname ? get_namespace_name(get_rel_namespace(changesid)) : NULL;
	if (chname == NULL || chnsp == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the changes of the side table %s do not exist", RelationGetRelationName(side))));
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (i = 0; i < nkeys; i++)
		appendStringInfo(&sql, "c.%s, ", quote_identifier(NameStr(TupleDescAttr(desc, katt[i] - 1)->attname)));
	appendStringInfo(&sql, "c.__n FROM %s c WHERE c.__m OPERATOR(pg_catalog.=) %d ORDER BY ",
					 quote_qualified_identifier(chnsp, chname),
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
		if (TupleDescAttr(SPI_tuptable->tupdesc, i)->atttypid != TupleDescAttr(desc, katt[i] - 1)->atttypid ||
			(TupleDescAttr(desc, katt[i] - 1)->atttypmod != -1 &&
			 TupleDescAttr(SPI_tuptable->tupdesc, i)->atttypmod != TupleDescAttr(desc, katt[i] - 1)->atttypmod))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("the changes of the side table %s do not have its column types",
							RelationGetRelationName(side))));

	CommandCounterIncrement();
	/* one command for every write, which the snapshot does not see */
	estate->es_output_cid = GetCurrentCommandId(true);
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
			delta = 0;
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
		/* the following rows of the same (group, value), added up */
		while (r + 1 < n &&
			   same_pair(SPI_tuptable->vals[r + 1], cd, nkeys, values, nulls, katt, eqfn,
						 idx->rd_indcollation))
		{
			Datum		more;

			r++;
			more = SPI_getbinval(SPI_tuptable->vals[r], cd, nkeys + 1, &isnull);
			if (!isnull)
				delta += DatumGetInt64(more);
		}
		/* no value, or no net change: nothing counted, nothing written */
		if (skip || delta == 0)
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
			ItemPointerData otid = slot->tts_tid;
			TM_FailureData tmfd;
			LockTupleMode lockmode;
			TM_Result	res;
			int64		cnt = DatumGetInt64(slot_getattr(slot, nattno, &isnull));

			/*
			 * heap_update()/heap_delete() wait for a transaction writing the
			 * row; one that changed or deleted it meanwhile fails the
			 * refresh with a serialization failure (side tables are written
			 * only by their fact's refreshes, which are serialised).  No
			 * row lock first: it would cost a WAL record per row.
			 */
			if (isnull)
				cnt = 0;
			cnt += delta;
			if (cnt <= 0)
			{
				res = heap_delete(side, &otid, estate->es_output_cid, InvalidSnapshot,
								  true, &tmfd, false);
				side_write_check(side, res);
			}
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
				res = heap_update(side, &otid, newt, estate->es_output_cid, InvalidSnapshot,
								  true, &tmfd, &lockmode);
				side_write_check(side, res);
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
				if (desc->constr != NULL)
				{
					/* NOT NULL (the shape allows no other constraint) */
					ExecStoreHeapTuple(newt, nslot, false);
					ExecConstraints(rri, nslot, estate);
				}
				heap_insert(side, newt, estate->es_output_cid, 0, NULL);
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
