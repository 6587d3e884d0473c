/*-------------------------------------------------------------------------
 *
 * common/common.h
 *		What every area of dataeng shares: the schema and library version, the
 *		preload switch, invoker-rights entry points, internal SQL under pinned
 *		settings, row images as jsonb, punycode.
 *
 *-------------------------------------------------------------------------
 */
#ifndef COMMON_H
#define COMMON_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/bitmapset.h"
#include "utils/jsonb.h"

/*
 * The library is built with -fvisibility=hidden (Makefile): only what
 * PostgreSQL looks up is exported.  PostgreSQL 15's PG_FUNCTION_INFO_V1
 * marks the info function PGDLLEXPORT but not the function itself (16
 * marks both); this does as 16 does, so that every fmgr function stays
 * visible.  Every file that defines one includes this header.
 */
#undef PG_FUNCTION_INFO_V1
#define PG_FUNCTION_INFO_V1(funcname) \
extern PGDLLEXPORT Datum funcname(PG_FUNCTION_ARGS); \
extern PGDLLEXPORT const Pg_finfo_record * CppConcat(pg_finfo_,funcname)(void); \
const Pg_finfo_record * \
CppConcat(pg_finfo_,funcname) (void) \
{ \
	static const Pg_finfo_record my_finfo = { 1 }; \
	return &my_finfo; \
} \
extern int no_such_variable

#define DATAENG_SCHEMA	"dataeng"
/* the bodies, helpers, trigger functions and bookkeeping tables */
#define DATAENG_INTERNAL_SCHEMA	"dataeng_internal"
#define DATAENG_LIBRARY_VERSION	"0.2.0"

/* in dataeng.c: the library's entry (_PG_init) */
extern bool dataeng_enabled;
extern bool dataeng_preloaded;
extern void dataeng_require_preload(const char *feature);

/* shared memory areas, declared from _PG_init while preloading (shmem.c) */
typedef void (*DataengShmemInit) (void *area);
typedef Size (*DataengShmemSize) (void);
extern void dataeng_shmem_area(const char *name, Size size, void **ptr, DataengShmemInit init);
extern void dataeng_shmem_area_sized(const char *name, Size size, DataengShmemSize size_fn,
									 void **ptr, DataengShmemInit init);

/* in common/catalog_id.c: the version of dataeng's SQL installed here */
extern char *dataeng_extension_version(Oid extoid);
extern void dataeng_require_sql_version(const char *what);

/* in common/row_jsonb.c */
extern bool dataeng_row_type_any_column(Oid type, int depth,
										bool (*pred) (Oid coltype, int depth));
typedef struct RowJsonbColumn RowJsonbColumn;
typedef struct RowJsonbMap
{
	int			ncols;
	RowJsonbColumn *cols;		/* in attnum order */
	RowJsonbColumn **sorted;	/* in jsonb key order */
	bool		simple;			/* only scalar columns */
} RowJsonbMap;
extern void dataeng_row_jsonb_map_init(RowJsonbMap *map, TupleDesc desc,
							   Bitmapset *attnums, MemoryContext cxt);
extern Jsonb *dataeng_row_jsonb_build(RowJsonbMap *map, TupleTableSlot *slot,
							  Bitmapset *only);
extern Bitmapset *dataeng_row_jsonb_changed(RowJsonbMap *map, TupleTableSlot *oldslot,
									TupleTableSlot *newslot);

/* in common/entry.c */
extern Datum dataeng_entry_call_body(FunctionCallInfo fcinfo, const char *name);
extern void dataeng_entry_require_args(FunctionCallInfo fcinfo, int nrequired);
extern Datum dataeng_entry_call_body_quiet(FunctionCallInfo fcinfo, const char *name);
extern Datum dataeng_entry_call_body_quiet_query(FunctionCallInfo fcinfo, const char *name);
extern void dataeng_rethrow_as_callers(MemoryContext cxt, Oid userid, int sec_context) pg_attribute_noreturn();
extern Oid	dataeng_entry_body_lookup(const char *name, int nargs, const Oid *argtypes, Oid *owner);
typedef struct InternalSql
{
	Oid			userid;
	int			sec_context;
	int			nestlevel;
} InternalSql;
extern void internal_sql_begin(InternalSql *save, Oid role);
extern const char *dataeng_internal_schema(void);
extern const char *dataeng_internal_sql(const char *sql);
extern void internal_sql_end(InternalSql *save);
extern void worker_settings_pin(void);

/* in common/worker.c */
struct BackgroundWorker;
extern void dataeng_worker_init(struct BackgroundWorker *worker, const char *function_name,
								const char *type, int restart_time);

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
	return dataeng_entry_call_body(fcinfo, body); \
}

/*
 * DATAENG_ENTRY_QUIET(sym, body): DATAENG_ENTRY, whose errors for bad input
 * carry no CONTEXT of dataeng's internal functions (an internal error, XX,
 * keeps it): dataeng_entry_call_body_quiet().
 */
#define DATAENG_ENTRY_QUIET(sym, body) \
PG_FUNCTION_INFO_V1(sym); \
Datum \
sym(PG_FUNCTION_ARGS) \
{ \
	return dataeng_entry_call_body_quiet(fcinfo, body); \
}

/*
 * DATAENG_ENTRY_REQUIRED(sym, body) and DATAENG_ENTRY_QUIET_REQUIRED(sym,
 * body): DATAENG_ENTRY and DATAENG_ENTRY_QUIET of an action whose every
 * argument is required: a NULL one is refused (22004) before the body runs
 * (dataeng_entry_require_args()).  The SQL declaration is not STRICT.
 */
#define DATAENG_ENTRY_REQUIRED(sym, body) \
PG_FUNCTION_INFO_V1(sym); \
Datum \
sym(PG_FUNCTION_ARGS) \
{ \
	dataeng_entry_require_args(fcinfo, -1); \
	return dataeng_entry_call_body(fcinfo, body); \
}

#define DATAENG_ENTRY_QUIET_REQUIRED(sym, body) \
PG_FUNCTION_INFO_V1(sym); \
Datum \
sym(PG_FUNCTION_ARGS) \
{ \
	dataeng_entry_require_args(fcinfo, -1); \
	return dataeng_entry_call_body_quiet(fcinfo, body); \
}

/*
 * A load from a table of at least this many rows (an estimate from the
 * catalogs, dataeng_internal._rows_estimate()) says so with a NOTICE as it
 * begins: fact_create, fact_rebuild, dimension_create, a consumer's initial
 * snapshot.  The SQL writes @LARGE_LOAD_ROWS@.
 */
#define LARGE_LOAD_ROWS 1000000

/* numeric_raw.c: a numeric's digits as a scaled integer */
#define DATAENG_NUMERIC_MAX_SCALE	30	/* the most decimals read */
#define DATAENG_NUMERIC_MAX_DIGITS	36	/* the bound of a value read (below int128's) */
extern int128 dataeng_pow10_128(int e);
extern int128 dataeng_numeric_limit(void);
extern bool dataeng_numeric_scaled(Datum d, int128 *unscaled, int *dscale);

/* in common/encoding.c: text of the database encoding as UTF-8, and back */
extern text *dataeng_text_to_utf8(text *t);
extern text *dataeng_utf8_to_text(const char *s, int len);
extern text *dataeng_utf8_to_text_try(const char *s, int len);

/* in common/punycode.c */
extern void dataeng_punycode_label(const pg_wchar *cp, int n, StringInfo out);

/* in common/unicode_lower.c */
extern pg_wchar dataeng_unicode_lower(pg_wchar c);
extern bool dataeng_unicode_is_cased(pg_wchar c);
extern bool dataeng_punycode_decode(const char *s, int len, pg_wchar *out, int *n);

/*
 * The session lock a restore's session takes when it loads dataeng.jobs
 * or dataeng.cdc_tables (dataeng_internal._restore_seen(), a trigger of
 * those tables, and dataeng_restore_mark(), schedule/api.c), held until the
 * session ends: an advisory lock tag whose field4 no pg_advisory_lock()
 * sets (it sets 1 or 2), so that no role can take it from SQL.
 */
#define RESTORE_LOCK_KEY 1684361811 /* 0x64655253, "deRS" */
#define RESTORE_LOCK_FIELD4 25705	/* 0x6469 (decimal: written into SQL) */

/*
 * The pids (text, comma-separated; NULL for none) of the sessions of a
 * restore connected to database $1, not this session, of a role that may
 * INSERT into meta (a relation of dataeng's state, a string literal such
 * as 'dataeng.jobs': any other role holds nothing back), either
 *	 - holding the restore lock (RESTORE_LOCK_KEY): it loaded dataeng.jobs
 *	   or dataeng.cdc_tables with COPY ... FROM stdin, as a restore does,
 *	   under any application_name (pg_restore, psql -f, PGAPPNAME set); or
 *	 - named pg_restore (as pg_restore names each of its -j jobs, the ones
 *	   that load none of those tables among them), and not so only by the
 *	   database's default application_name (which a database owner may set),
 *	   a client's session: a background worker is never a restore, and a
 *	   role's code that runs in one (an on_change handler in the WAL capture
 *	   worker, an alert handler in the maintenance worker, both restricted)
 *	   may name the worker's session pg_restore for as long as it runs; an
 *	   on_change handler renaming the WAL capture worker (a superuser's
 *	   session) and sleeping held every job of the database back, round
 *	   after round (sql_tests/security_r10_appname.sql).
 * Used by the scheduler and the WAL capture worker, which wait while a
 * restore loads their tables.
 */
#define DATAENG_RESTORE_SESSIONS_SQL(meta) \
	"SELECT pg_catalog.string_agg(a.pid::pg_catalog.text, ', ' ORDER BY a.pid)" \
	"  FROM pg_catalog.pg_stat_activity a" \
	" WHERE a.datid OPERATOR(pg_catalog.=) $1" \
	"   AND ((a.application_name OPERATOR(pg_catalog.=) 'pg_restore'" \
	"         AND a.backend_type OPERATOR(pg_catalog.=) 'client backend'" \
	"         AND NOT EXISTS (SELECT FROM pg_catalog.pg_db_role_setting s, pg_catalog.unnest(s.setconfig) c" \
	"               WHERE s.setdatabase OPERATOR(pg_catalog.=) $1 AND s.setrole OPERATOR(pg_catalog.=) 0::pg_catalog.oid" \
	"                 AND pg_catalog.lower(c) OPERATOR(pg_catalog.=) 'application_name=pg_restore'))" \
	"        OR EXISTS (SELECT FROM pg_catalog.pg_locks l" \
	"                    WHERE l.pid OPERATOR(pg_catalog.=) a.pid AND l.locktype OPERATOR(pg_catalog.=) 'advisory'" \
	"                      AND l.database OPERATOR(pg_catalog.=) $1" \
	"                      AND l.classid OPERATOR(pg_catalog.=) " CppAsString2(RESTORE_LOCK_KEY) "::pg_catalog.oid" \
	"                      AND l.objsubid OPERATOR(pg_catalog.=) " CppAsString2(RESTORE_LOCK_FIELD4) " AND l.granted))" \
	"   AND a.pid OPERATOR(pg_catalog.<>) pg_catalog.pg_backend_pid()" \
	"   AND pg_catalog.has_table_privilege(a.usesysid, " meta "::pg_catalog.regclass, 'INSERT')"

#endif							/* COMMON_H */
