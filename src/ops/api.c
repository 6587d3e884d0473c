/*-------------------------------------------------------------------------
 *
 * api.c
 *		The SQL entry points of operations: alert_set(), alert_handler_add(),
 *		alert_handler_drop(), monitor_create(), monitor_drop() and
 *		monitor_check().
 *
 * No role but the extension's owner writes dataeng.alert_settings,
 * dataeng.alert_handlers, dataeng.monitors, dataeng.monitor_checks or
 * dataeng.alerts: each entry point is an invoker-rights C function
 * (common/entry.c) that calls its PL/pgSQL body (_alert_set, ...) as the
 * body's owner with the role PostgreSQL runs the calling code as, and the
 * body checks that role's rights (its own objects; a superuser's: all).
 * Code of a role the bodies run (a monitor's query over its table, an
 * alert handler) runs as that role, restricted (dataeng_internal._exec_as).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "common/common.h"

DATAENG_ENTRY(dataeng_alert_set, "_alert_set")
DATAENG_ENTRY(dataeng_alert_handler_add, "_alert_handler_add")
DATAENG_ENTRY_REQUIRED(dataeng_alert_handler_drop, "_alert_handler_drop")
DATAENG_ENTRY(dataeng_monitor_create, "_monitor_create")
DATAENG_ENTRY_REQUIRED(dataeng_monitor_drop, "_monitor_drop")
DATAENG_ENTRY_REQUIRED(dataeng_monitor_check, "_monitor_check")
