/*-------------------------------------------------------------------------
 *
 * ddl.c
 *		Keep capture installed on the partitions of captured partitioned
 *		tables as partitions come and go.
 *
 * The event trigger dataeng_cdc_on_ddl calls dataeng._cdc_sync_partitions()
 * after the statements that change a partition tree (CREATE TABLE ...
 * PARTITION OF, ALTER TABLE ... ATTACH/DETACH PARTITION) and only after
 * those: a restore of a dump re-creates the partitions' capture triggers
 * itself, after its ALTER TABLE ... ADD CONSTRAINT statements.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "nodes/parsenodes.h"

#include "dataeng.h"

/*
 * changes_partitions
 *		Whether a DDL statement adds or removes a partition.
 */
static bool
changes_partitions(Node *parsetree)
{
	ListCell   *lc;

	if (parsetree == NULL)
		return false;
	if (IsA(parsetree, CreateStmt))
		return ((CreateStmt *) parsetree)->partbound != NULL;
	if (!IsA(parsetree, AlterTableStmt))
		return false;
	foreach(lc, ((AlterTableStmt *) parsetree)->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AttachPartition ||
			cmd->subtype == AT_DetachPartition ||
			cmd->subtype == AT_DetachPartitionFinalize)
			return true;
	}
	return false;
}

PG_FUNCTION_INFO_V1(dataeng_cdc_on_ddl);

/*
 * dataeng_cdc_on_ddl
 *		ddl_command_end event trigger: re-sync partition capture when the
 *		statement changed a partition tree.
 */
Datum
dataeng_cdc_on_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng._cdc_on_ddl() must be called as an event trigger")));
	trigdata = (EventTriggerData *) fcinfo->context;
	if (!changes_partitions(trigdata->parsetree))
		PG_RETURN_NULL();

	SPI_connect();
	if (SPI_execute("SELECT dataeng._cdc_sync_partitions()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not synchronize partition capture");
	SPI_finish();
	PG_RETURN_NULL();
}
