/*-------------------------------------------------------------------------
 *
 * dataeng.c
 *		Module entry point: GUCs, preload detection and the place where
 *		background workers get registered.
 *
 * The library may be loaded two ways: through shared_preload_libraries
 * (everything works, background workers can be registered) or on first use
 * of one of its functions in a backend (SQL-callable features work; the ones
 * that need a worker say so through dataeng_require_preload()).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "common/common.h"
#include "cdc/cdc.h"
#include "schedule/schedule.h"
#include "cdc/wal.h"
#include "cdc/decoder.h"
#include "aggregate/aggregate.h"
#include "ops/ops.h"
#include "validate/validate.h"

PG_MODULE_MAGIC;

/* GUC: master switch for the background machinery */
bool		dataeng_enabled = true;

/* true when the library was loaded through shared_preload_libraries */
bool		dataeng_preloaded = false;

PGDLLEXPORT void _PG_init(void);

/*
 * _PG_init
 *		Define GUCs; register background workers when preloaded.
 */
void
_PG_init(void)
{
	if (process_shared_preload_libraries_in_progress)
		dataeng_preloaded = true;

	DefineCustomBoolVariable("dataeng.enabled",
							 "Enables dataeng's background processing.",
							 "When off, dataeng's background workers stay idle; "
							 "SQL functions and change capture keep working.",
							 &dataeng_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	dataeng_cdc_init();
	cdc_ticker_init();
	cdc_wal_init();
	cdc_decoder_init();
	dataeng_schedule_init();
	agg_init();
	ops_maintenance_init();
	validate_scan_init();

	MarkGUCPrefixReserved("dataeng");

	/*
	 * Background workers (the scheduler launcher) are registered by the
	 * init functions above, and only when
	 * process_shared_preload_libraries_in_progress.
	 */
}

/*
 * dataeng_require_preload
 *		Raise a clear error when a feature needing a background worker or
 *		shared memory is used without shared_preload_libraries.
 */
void
dataeng_require_preload(const char *feature)
{
	if (!dataeng_preloaded)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s requires dataeng to be loaded via shared_preload_libraries", feature),
				 errdetail("The library was loaded on demand, so its background workers are not running."),
				 errhint("Add 'dataeng' to shared_preload_libraries in postgresql.conf and restart the server.")));
}

PG_FUNCTION_INFO_V1(dataeng_info);

/*
 * dataeng_info
 *		Report the library version and how it was loaded, so that users and
 *		tests can tell which features are available.
 */
Datum
dataeng_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	tupdesc = BlessTupleDesc(tupdesc);

	values[0] = CStringGetTextDatum(DATAENG_LIBRARY_VERSION);
	values[1] = BoolGetDatum(dataeng_preloaded);
	values[2] = BoolGetDatum(dataeng_enabled);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(dataeng_require_preload_sql);

/*
 * dataeng_require_preload_sql
 *		SQL entry to dataeng_require_preload(), used by SQL-level functions
 *		of features that need the preload.  It checks, and returns nothing:
 *		not STRICT, since a NULL feature (STRICT: no call, a NULL result)
 *		skipped the check silently; it is refused (22004) as by the other
 *		actions.
 */
Datum
dataeng_require_preload_sql(PG_FUNCTION_ARGS)
{
	dataeng_entry_require_args(fcinfo, -1);
	dataeng_require_preload(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(dataeng_in_transaction_block);

/*
 * dataeng_in_transaction_block
 *		Whether the caller runs inside a transaction block (BEGIN, or several
 *		statements sent as one query).  Procedures that commit as they go
 *		(fact_backfill) check it first, so that they can say why they cannot
 *		run there instead of failing at their first COMMIT.
 */
Datum
dataeng_in_transaction_block(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(IsTransactionBlock());
}
