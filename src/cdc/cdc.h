/*-------------------------------------------------------------------------
 *
 * cdc.h
 *		What the C of change capture shares with its SQL (sql/cdc.sql) and
 *		between its files.
 *
 * The SQL writes @NAME@ for a #define of this header (sql/README.md), so
 * each constant below has this one source:
 *
 *	CHANGE_LOG_SEGMENTS	the partitions dataeng.change_log_0 .. _<n-1> of
 *						dataeng.change_log, filled in turn by capture.c and
 *						emptied one at a time by dataeng.cdc_purge()
 *	CDC_END_OF_BATCH	the transaction and change parts of a consumer's
 *						position (dataeng.cdc_consumer_state) that say "the
 *						whole batch of this tick": past any change_id
 *
 * The change log's columns, in order (dataeng.change_log), which capture.c
 * writes and images.c reads by position: CL_*.  cdc_check_log_layout()
 * refuses a table whose columns are not these.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_CDC_H
#define DATAENG_CDC_H

#include "utils/relcache.h"

#define CHANGE_LOG_SEGMENTS 4
#define CDC_END_OF_BATCH INT64CONST(9223372036854775807)

StaticAssertDecl(CDC_END_OF_BATCH == PG_INT64_MAX, "the end of a batch is the largest bigint");

enum
{
	CL_CHANGE_ID,
	CL_XID,
	CL_LSN,
	CL_CAPTURED_AT,
	CL_TABLE_OID,
	CL_SEGMENT,
	CL_OP,
	CL_PK,
	CL_OLD_ROW,
	CL_NEW_ROW,
	CL_NATTS
};

/* in cdc/capture.c */
extern Oid	cdc_log_segment(int i);
extern void cdc_check_log_layout(Relation rel);

#endif							/* DATAENG_CDC_H */
