/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL entry points of operations: alert_set(), alert_handler_add(),
 *		alert_handler_drop(), monitor_create(), monitor_drop() and
 *		monitor_check(); the lock alert_check() takes on a rule's alerts.
 *
 * No role but the extension's owner writes dataeng.alert_settings,
 * dataeng.alert_handlers, dataeng.monitors, dataeng.monitor_checks or
 * dataeng.alerts: each entry point is an invoker-rights C function
 * (common/entry.c) that calls its PL/pgSQL body (_alert_set, ...) as the
 * body's owner with the role PostgreSQL runs the calling code as, and the
 * body checks that role's rights (its own objects; a superuser's: all).
 * Their errors carry no CONTEXT lines of those bodies (DATAENG_ENTRY_QUIET:
 * "PL/pgSQL function dataeng_internal._alert_set(...) line 63 at RAISE"
 * told a user nothing about the bad argument).
 * Code of a role the bodies run (a monitor's query over its table, an
 * alert handler) runs as that role, restricted (dataeng_internal._exec_as).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "common/common.h"

DATAENG_ENTRY_QUIET(dataeng_alert_set, "_alert_set")
DATAENG_ENTRY_QUIET(dataeng_alert_handler_add, "_alert_handler_add")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_alert_handler_drop, "_alert_handler_drop")
DATAENG_ENTRY_QUIET(dataeng_monitor_create, "_monitor_create")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_monitor_drop, "_monitor_drop")
DATAENG_ENTRY_QUIET_REQUIRED(dataeng_monitor_check, "_monitor_check")

/*
 * field4 of the lock tag of _alert_rule_try_lock(): apart from SQL advisory
 * locks (1 and 2), job runs and a role's new jobs (schedule/) and the WAL
 * capture worker (cdc/wal_worker.c)
 */
#define ALERT_RULE_LOCK_FIELD4 0x6468

PG_FUNCTION_INFO_V1(dataeng_alert_rule_try_lock);

/*
 * dataeng_alert_rule_try_lock
 *		Try to lock a rule's alerts (key1, key2: hashes of the rule's table
 *		and name) until the end of the transaction; false when another
 *		transaction holds them.  The lock tag is out of reach of
 *		pg_advisory_lock(): with an advisory lock of the same keys, any role
 *		could hold another role's rule and keep its alerts from its alert
 *		handlers for as long as it liked (alert_check() leaves a rule it
 *		cannot lock to the next check).
 */
Datum
dataeng_alert_rule_try_lock(PG_FUNCTION_ARGS)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) PG_GETARG_INT32(0),
						 (uint32) PG_GETARG_INT32(1), ALERT_RULE_LOCK_FIELD4);
	PG_RETURN_BOOL(LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL);
}
