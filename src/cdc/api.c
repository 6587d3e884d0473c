/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL entry points of change capture, and whose rights they use.
 *
 * cdc_enable(), cdc_disable(), cdc_consumer_create(), cdc_consumer_drop(),
 * cdc_poll(), cdc_ack(), the reader of dimensions and of a fact rebuilt
 * after a TRUNCATE (_cdc_poll_unordered()), and the bodies of the views
 * cdc_consumers and cdc_tables_visible need to write dataeng's own tables
 * (or read them), which no other role may touch, while checking the
 * caller's rights on the captured tables.  A SECURITY DEFINER function
 * cannot do both: inside it, the role that called it is gone (current_user
 * is the definer, and the session or SET ROLE role is not the caller when a
 * less privileged role's code runs under a superuser's session, as with its
 * own SECURITY DEFINER functions or an index expression that ANALYZE
 * evaluates).
 *
 * So the entry points are invoker-rights C functions: each takes the
 * current user (GetUserId(), the role PostgreSQL itself runs the calling
 * code as), switches to the owner of its PL/pgSQL body, as fmgr does for a
 * SECURITY DEFINER function, and calls the body with that role as its
 * first argument (dataeng_entry_call_body() in common/entry.c).  The bodies
 * (dataeng_internal._cdc_enable() and so on) are not executable by PUBLIC.
 * Their errors for bad input read as the entry point's own, without the
 * CONTEXT of the internal functions (dataeng_entry_call_body_quiet()).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "common/common.h"
#include "cdc/cdc.h"

/* the entry points and their bodies */
DATAENG_ENTRY_QUIET(dataeng_cdc_enable, "_cdc_enable")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_cdc_disable, "_cdc_disable")
DATAENG_ENTRY_QUIET(dataeng_cdc_consumer_create, "_cdc_consumer_create")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_cdc_consumer_drop, "_cdc_consumer_drop")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_cdc_poll, "_cdc_poll")
DATAENG_ENTRY_QUIET(dataeng_cdc_consumer_list, "_cdc_consumer_list_as_owner")
DATAENG_ENTRY_QUIET(dataeng_cdc_poll_unordered, "_cdc_poll_unordered")
DATAENG_ENTRY_QUIET(dataeng_cdc_tables_visible, "_cdc_tables_visible_as_owner")

/*
 * dataeng_cdc_ack
 *		cdc_ack(consumer [, upto]): the consumer is required (22004); a NULL
 *		upto, the max(change_id) of a poll that returned nothing, has
 *		nothing to acknowledge and does nothing.
 */
PG_FUNCTION_INFO_V1(dataeng_cdc_ack);
Datum
dataeng_cdc_ack(PG_FUNCTION_ARGS)
{
	dataeng_entry_require_args(fcinfo, 1);
	if (PG_NARGS() > 1 && PG_ARGISNULL(1))
		PG_RETURN_VOID();
	return dataeng_entry_call_body_quiet(fcinfo, "_cdc_ack");
}

PG_FUNCTION_INFO_V1(dataeng_cdc_can_read);

/* The answers of one call site of _cdc_can_read(), kept for its statement */
#define CAN_READ_CACHE	16
typedef struct CanReadCache
{
	int			n;
	Oid			role[CAN_READ_CACHE];
	Oid			rel[CAN_READ_CACHE];
	bool		ok[CAN_READ_CACHE];
} CanReadCache;

/*
 * dropped_reader
 *		Whether role may read the changes of relid, a table that was
 *		dropped: it has the privileges of a role recorded just before the
 *		DROP as able to read the whole table then
 *		(dataeng_internal.cdc_dropped_readers, _cdc_drop_readers()).  A
 *		table gone leaves no rights to check.  The table is read without
 *		a privilege check (it is internal), and may be missing in a
 *		database still on the 0.1.0 script.
 */
static bool
dropped_reader(Oid roleid, Oid relid)
{
	Oid			nsp = get_namespace_oid(dataeng_internal_schema(), true);
	Oid			tabid;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	bool		ok = false;

	if (!OidIsValid(nsp))
		return false;
	tabid = get_relname_relid("cdc_dropped_readers", nsp);
	if (!OidIsValid(tabid))
		return false;
	rel = table_open(tabid, AccessShareLock);
	scan = table_beginscan(rel, ActiveSnapshotSet() ? GetActiveSnapshot() : GetLatestSnapshot(),
						   0, NULL);
	while (!ok && (tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		t = heap_getattr(tup, 1, RelationGetDescr(rel), &isnull);
		Datum		r;

		if (isnull || DatumGetObjectId(t) != relid)
			continue;
		r = heap_getattr(tup, 2, RelationGetDescr(rel), &isnull);
		/* (reader 0 keeps the table's name only) */
		if (!isnull && OidIsValid(DatumGetObjectId(r)) &&
			has_privs_of_role(roleid, DatumGetObjectId(r)))
			ok = true;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	return ok;
}

/*
 * dataeng_cdc_can_read
 *		Whether a role may read every captured change of a table: it has
 *		USAGE on the table's schema and may SELECT the whole table, and no
 *		row-level security policy limits what it sees there (it owns the
 *		table and RLS is not forced, or it bypasses RLS).  A dropped table:
 *		whether the role has the privileges of one that could read it whole
 *		when it was dropped (dropped_reader()); nobody else.
 *
 *		A poll asks this for every change of a consumer of all tables, so
 *		each call site remembers its answers for the statement it belongs
 *		to (a statement reads the catalogs as of its start anyway).
 */
Datum
dataeng_cdc_can_read(PG_FUNCTION_ARGS)
{
	Oid			roleid = PG_GETARG_OID(0);
	Oid			relid = PG_GETARG_OID(1);
	CanReadCache *cache = (CanReadCache *) fcinfo->flinfo->fn_extra;
	bool		is_missing = false;
	bool		ok;
	Oid			nsp;
	int			i;

	if (cache == NULL)
		cache = fcinfo->flinfo->fn_extra =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(CanReadCache));
	for (i = 0; i < cache->n; i++)
		if (cache->rel[i] == relid && cache->role[i] == roleid)
			PG_RETURN_BOOL(cache->ok[i]);

	nsp = get_rel_namespace(relid);
	if (!OidIsValid(nsp))
		ok = dropped_reader(roleid, relid);
	else
		ok = pg_namespace_aclcheck(nsp, roleid, ACL_USAGE) == ACLCHECK_OK &&
			pg_class_aclcheck_ext(relid, roleid, ACL_SELECT, &is_missing) == ACLCHECK_OK &&
			!is_missing &&
			check_enable_rls(relid, roleid, true) != RLS_ENABLED;

	if (cache->n == CAN_READ_CACHE)
		cache->n = 0;			/* many tables: start over */
	cache->role[cache->n] = roleid;
	cache->rel[cache->n] = relid;
	cache->ok[cache->n] = ok;
	cache->n++;
	PG_RETURN_BOOL(ok);
}

PG_FUNCTION_INFO_V1(dataeng_cdc_limits);

/*
 * dataeng_cdc_limits
 *		The settings that bound what consumers may hold (see
 *		dataeng_cdc_init() in capture.c), for the SQL that enforces them:
 *		calling a C function of the library loads it, so the settings are
 *		defined and checked even in a session that has not used capture.
 */
Datum
dataeng_cdc_limits(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	values[0] = Int32GetDatum(cdc_max_consumers_per_role);
	values[1] = Int64GetDatum((int64) cdc_consumer_max_lag_changes);
	values[2] = Int32GetDatum(cdc_consumer_max_age);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
