/*-------------------------------------------------------------------------
 *
 * schedule.h
 *		Declarations shared between the files of src/schedule/ (the older
 *		ones still sit in src/dataeng.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_SCHEDULE_H
#define DATAENG_SCHEDULE_H

#include "nodes/pg_list.h"

/* in schedule/command.c */

/* called in the transaction of a command's last statement, when it has one */
typedef void (*SchedLastStatementHook) (void *arg);

extern List *sched_command_parse(const char *command, const char *job_name);
extern void sched_command_run(const char *command, List *stmts,
							  List **tags, MemoryContext tag_cxt,
							  SchedLastStatementHook on_last, void *arg,
							  bool *on_last_called);

/* in schedule/dbhook.c */
extern void sched_dbhook_init(void);
extern bool sched_db_held(Oid dboid);

#endif							/* DATAENG_SCHEDULE_H */
