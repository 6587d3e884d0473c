/*-------------------------------------------------------------------------
 *
 * dataeng.h
 *		Shared declarations of the dataeng extension: what each source
 *		file exports to the others.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_H
#define DATAENG_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "utils/relcache.h"
#include "nodes/bitmapset.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"

#define DATAENG_SCHEMA	"dataeng"
#define DATAENG_LIBRARY_VERSION	"0.2.0"

/* in dataeng.c */
extern bool dataeng_enabled;
extern bool dataeng_preloaded;
extern void dataeng_require_preload(const char *feature);

/* in common/row_jsonb.c */
typedef struct RowJsonbColumn RowJsonbColumn;
typedef struct RowJsonbMap
{
	int			ncols;
	RowJsonbColumn *cols;		/* in attnum order */
	RowJsonbColumn **sorted;	/* in jsonb key order */
	bool		simple;			/* only scalar columns */
} RowJsonbMap;
extern void row_jsonb_map_init(RowJsonbMap *map, TupleDesc desc,
							   Bitmapset *attnums, MemoryContext cxt);
extern Jsonb *row_jsonb_build(RowJsonbMap *map, TupleTableSlot *slot,
							  Bitmapset *only);
extern Bitmapset *row_jsonb_changed(RowJsonbMap *map, TupleTableSlot *oldslot,
									TupleTableSlot *newslot);

/* in common/entry.c */
extern Datum entry_call_body(FunctionCallInfo fcinfo, const char *name);
extern Oid	entry_body_lookup(const char *name, int nargs, const Oid *argtypes, Oid *owner);
typedef struct InternalSql
{
	Oid			userid;
	int			sec_context;
	int			nestlevel;
} InternalSql;
extern void internal_sql_begin(InternalSql *save, Oid role);
extern void internal_sql_end(InternalSql *save);

/*
 * DATAENG_ENTRY(sym, body): the SQL-callable C function sym, an
 * invoker-rights entry point that calls dataeng.<body>(caller regrole, its
 * own arguments...) as the body's owner, on behalf of GetUserId().
 */
#define DATAENG_ENTRY(sym, body) \
PG_FUNCTION_INFO_V1(sym); \
Datum \
sym(PG_FUNCTION_ARGS) \
{ \
	return entry_call_body(fcinfo, body); \
}

/* in common/punycode.c */
extern void punycode_label(const pg_wchar *cp, int n, StringInfo out);
extern bool punycode_decode(const char *s, int len, pg_wchar *out, int *n);

/* in cleanse/text.c */
extern void fold_accents_into(const pg_wchar *in, StringInfo buf);

/* in validate/phone.c */
extern const char *phone_region_code(text *t, char *buf);

/* in cleanse/fuzzy.c */
extern double jaro_winkler_chars(const pg_wchar *a, int n, const pg_wchar *b, int m);

/* in validate/email.c */
extern const char *email_practical_problem(const char *s, int len);
extern const char *email_mode_problem(const char *s, int len, int mode);

/* in validate/ids.c */
extern const char *iban_problem(const char *s, int len);

/* in validate/rules.c: run code as a role, restricted, settings rolled back */

/* in validate/dates.c */
extern const char *date_problem(const char *s, int slen, const char *f, int flen);

/* in cleanse/dates.c */
typedef struct ParsedDate
{
	int			year,
				month,
				day,
				hour,
				minute,
				second,
				usec;
	bool		has_time,
				has_tz;
	int			tz_offset;		/* seconds east of UTC */
} ParsedDate;
extern bool parse_date_text(const char *s, int len, const char *order, ParsedDate *p);

/* in cleanse/numbers.c */
extern char *parse_number_text(const char *s, int len, char dec, bool *pct, const char **why);
extern const char *number_canon_problem(const char *canon);

/* in cleanse/units.c */
extern const char *parse_quantity_text(const char *s, int len, char *numbuf);

/* in validate/url.c */
extern const char *const url_no_host;
extern const char *url_parse_problem(const char *s, int len, char **scheme);

/* in cdc/capture.c: the change log's segments and columns */
extern void dataeng_cdc_init(void);
extern int	cdc_max_consumers_per_role;
extern int	cdc_consumer_max_lag_changes;
extern int	cdc_consumer_max_age;
#define CHANGE_LOG_SEGMENTS 4
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
extern Oid	cdc_log_segment(int i);
extern void cdc_check_log_layout(Relation rel);

/* in cdc/images.c: a one-table consumer's changes, read as typed values */
typedef enum ImageKind
{
	IK_PRESENCE,				/* only whether there is a value */
	IK_TEXT,					/* text: the string's bytes */
	IK_NUMERIC,					/* numeric: the JSON number itself */
	IK_INTEGER,					/* int2, int4, int8 */
	IK_TIMESTAMPTZ,
	IK_TIMESTAMP,
	IK_DATE,
	IK_JSONB,					/* the raw JSON value */
	IK_INPUT					/* anything else: the type's input function */
} ImageKind;
typedef struct ImageColumn
{
	char	   *name;
	int			namelen;
	ImageKind	kind;
	Oid			typid;
	int32		typmod;
	Oid			ioparam;
	FmgrInfo	input;
} ImageColumn;
typedef void (*ChangeCallback) (TupleTableSlot *change, void *arg);
extern void image_column_init(ImageColumn *col, const char *name, Oid typid,
							  int32 typmod, MemoryContext cxt);
extern Datum image_value(ImageColumn *col, Jsonb *img, bool *isnull);
extern void cdc_read_changes(text *consumer, Oid source, ChangeCallback cb, void *arg);

/* in schedule/launcher.c */
#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/spin.h"

#define DATAENG_MAX_DATABASES 64

/* the most job runs at once (the maximum of dataeng.max_parallel_jobs) */
#define DATAENG_MAX_PARALLEL_RUNS 1024

/* one database's scheduler, as the launcher and backends see it */
typedef struct SchedDbSlot
{
	Oid			dboid;			/* InvalidOid: free slot */
	pid_t		pid;			/* scheduler's pid, 0 if none */
	Latch	   *latch;			/* scheduler's latch, NULL if none */
	int			nrunning;		/* job runs it has started and not reaped */
	Oid			run_owners[DATAENG_MAX_PARALLEL_RUNS];	/* their owners */
	bool		no_extension;	/* its last scheduler found no extension */
	TimestampTz recheck_at;		/* when to try that database again */
	bool		starting;		/* a scheduler registered, not yet in pid */
	TimestampTz next_due;		/* when it next needs a scheduler (0: now) */
	bool		woken;			/* jobs changed since its scheduler's pass began */
	bool		recovered;		/* runs cut by a restart were recorded */
	TimestampTz last_trim;		/* job_runs last trimmed */
	bool		warned_slots;	/* the worker-slot shortage was logged */
	int			hold;			/* commands waiting for dataeng to leave (dbhook.c) */
} SchedDbSlot;

typedef struct SchedShmem
{
	slock_t		mutex;			/* protects everything below */
	Latch	   *launcher_latch;
	pid_t		launcher_pid;
	SchedDbSlot dbs[DATAENG_MAX_DATABASES];
} SchedShmem;

extern SchedShmem *sched_shmem;
extern int	dataeng_max_parallel_jobs;
extern int	dataeng_launcher_naptime;
extern int	dataeng_max_parallel_jobs_per_role;
extern int	dataeng_max_jobs_per_role;
extern int	dataeng_job_timeout;
extern void dataeng_schedule_init(void);
extern SchedDbSlot *sched_slot_find(Oid dboid);
extern void sched_wake_at_commit(void);

/* in schedule/scheduler.c */
extern bool sched_lock_extension(void);
extern int	dataeng_job_history_keep;
extern bool dataeng_log_successful_runs;

/* the arguments of one job run, passed to its worker in bgw_extra */
typedef struct JobRunArgs
{
	Oid			dboid;
	Oid			owner;
	int64		job_id;
	int64		run_id;
	TransactionId sched_xid;	/* the scheduler's transaction that started it */
	int			attempt;
} JobRunArgs;

/* in schedule/cron.c */
extern TimestampTz schedule_next(const char *sched, TimestampTz after);

#endif							/* DATAENG_H */
