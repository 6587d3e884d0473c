/*-------------------------------------------------------------------------
 *
 * fill.c
 *		dataeng.fill_missing(): an entry point whose body fills a column's
 *		NULLs as the table's owner.
 *
 * Filling a column is work on the table, like dedupe() (dedupe.c) and
 * REFRESH MATERIALIZED VIEW: its UPDATE runs the table's triggers, its
 * index expressions and the functions of its column's type, which are
 * the table owner's code.  Run with the caller's rights (an invoker-rights
 * function, before), a superuser filling a plain role's table ran that
 * role's trigger as a superuser.  So dataeng.fill_missing() calls its body
 * dataeng_internal._fill_missing(caller, ...) (sql/cleanse.sql), which
 * checks the caller's rights and runs the UPDATE as the table's owner,
 * restricted, with search_path pinned (dataeng_internal._exec_as).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "common/common.h"

DATAENG_ENTRY_QUIET(dataeng_fill_missing, "_fill_missing")
