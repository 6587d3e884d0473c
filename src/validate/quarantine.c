/*-------------------------------------------------------------------------
 *
 * quarantine.c
 *		Moving the rows validate() quarantines, in bounded memory.
 *
 * validate(tbl, quarantine => true) deletes the rows that fail its error
 * rules and stores them in dataeng.quarantine.  The DELETE must run as the
 * table's owner (its rules are the owner's expressions, which may call the
 * owner's functions), under SECURITY_RESTRICTED_OPERATION; the INSERT into
 * the quarantine table must not (no role but the extension writes it).
 * Carrying the rows from one to the other in a single jsonb value made the
 * memory of a quarantine grow with the number of rows moved, up to the
 * 1 GB limit of a value.
 *
 * Here the DELETE ... RETURNING runs as the owner through a cursor: the
 * portal runs it to completion on its first fetch and keeps what it
 * returns in a tuplestore, which spills to disk past work_mem.  The owner's
 * rights end there; the rows are then fetched in batches of
 * QUARANTINE_BATCH and each batch is inserted into the quarantine table
 * with one statement, with the rights validate()'s body runs with.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "common/common.h"

/* rows fetched and inserted at a time */
#define QUARANTINE_BATCH 1000

PG_FUNCTION_INFO_V1(dataeng_quarantine_move);

/*
 * dataeng_quarantine_move(owner regrole, query text, tbl regclass, run bigint)
 *		Run query, a DELETE ... RETURNING of two jsonb columns (the row,
 *		and the array of the rules it failed), as owner, and store every row
 *		it returns in dataeng.quarantine for tbl and run.  Returns how many
 *		rows were moved.  Not executable by PUBLIC: validate()'s body builds
 *		the query from the table's rules.
 */
Datum
dataeng_quarantine_move(PG_FUNCTION_ARGS)
{
	Oid			owner = PG_GETARG_OID(0);
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			tbl = PG_GETARG_OID(2);
	int64		run = PG_GETARG_INT64(3);
	InternalSql as_owner;
	SPIPlanPtr	plan;
	Portal		portal;
	SPIPlanPtr	insert;
	Oid			argtypes[4] = {REGCLASSOID, INT8OID, JSONBARRAYOID, JSONBARRAYOID};
	MemoryContext batch_cxt;
	int64		moved = 0;
	char	   *insert_sql;

	/* the DELETE, as the table's owner: it runs whole on the first fetch */
	internal_sql_begin(&as_owner, owner);
	SPI_connect();
	plan = SPI_prepare(query, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "dataeng could not prepare the quarantine's DELETE: %s",
			 SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		elog(ERROR, "dataeng's quarantine query returns no rows");
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	SPI_cursor_fetch(portal, true, QUARANTINE_BATCH);
	internal_sql_end(&as_owner);

	if (SPI_tuptable == NULL || SPI_tuptable->tupdesc->natts != 2 ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 1) != JSONBOID ||
		SPI_gettypeid(SPI_tuptable->tupdesc, 2) != JSONBOID)
		elog(ERROR, "dataeng's quarantine query must return (row jsonb, rules jsonb)");

	/* the rows, batch by batch, into the quarantine */
	insert_sql = "INSERT INTO dataeng.quarantine (table_name, run_id, failed_rules, row_data) "
		"SELECT $1, $2, ARRAY(SELECT pg_catalog.jsonb_array_elements_text(u.r)), u.w "
		"FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)) AS u(w, r)";
	insert = SPI_prepare(insert_sql, 4, argtypes);
	if (insert == NULL)
		elog(ERROR, "dataeng could not prepare the quarantine's INSERT: %s",
			 SPI_result_code_string(SPI_result));
	batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "dataeng quarantine batch",
									  ALLOCSET_DEFAULT_SIZES);
	while (SPI_processed > 0)
	{
		uint64		n = SPI_processed;
		SPITupleTable *tt = SPI_tuptable;
		MemoryContext old = MemoryContextSwitchTo(batch_cxt);
		Datum	   *rows = palloc(sizeof(Datum) * n);
		Datum	   *rules = palloc(sizeof(Datum) * n);
		bool	   *rows_null = palloc(sizeof(bool) * n);
		bool	   *rules_null = palloc(sizeof(bool) * n);
		int			dims[1];
		int			lbs[1] = {1};
		Datum		values[4];
		int			rc;

		for (uint64 i = 0; i < n; i++)
		{
			rows[i] = SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &rows_null[i]);
			rules[i] = SPI_getbinval(tt->vals[i], tt->tupdesc, 2, &rules_null[i]);
		}
		dims[0] = (int) n;
		values[0] = ObjectIdGetDatum(tbl);
		values[1] = Int64GetDatum(run);
		values[2] = PointerGetDatum(construct_md_array(rows, rows_null, 1, dims, lbs,
													   JSONBOID, -1, false, TYPALIGN_INT));
		values[3] = PointerGetDatum(construct_md_array(rules, rules_null, 1, dims, lbs,
													   JSONBOID, -1, false, TYPALIGN_INT));
		MemoryContextSwitchTo(old);
		rc = SPI_execute_plan(insert, values, NULL, false, 0);
		if (rc != SPI_OK_INSERT || SPI_processed != n)
			elog(ERROR, "dataeng could not store quarantined rows: %s",
				 SPI_result_code_string(rc));
		moved += n;
		SPI_freetuptable(tt);
		MemoryContextReset(batch_cxt);
		CHECK_FOR_INTERRUPTS();
		SPI_cursor_fetch(portal, true, QUARANTINE_BATCH);
	}
	SPI_cursor_close(portal);
	SPI_finish();
	PG_RETURN_INT64(moved);
}
