/*-------------------------------------------------------------------------
 *
 * rules.c
 *		The SQL entry points of table rules, runs, quarantine and the guard,
 *		and whose rights they use.
 *
 * rule_add(), rule_drop(), guard_enable(), guard_disable() and the helpers
 * validate() and quarantine_release() call to record runs and move rows in
 * and out of the quarantine (_record_run(), _quarantine_put(),
 * _quarantine_take()) write dataeng's own tables, which no other role may
 * touch, while checking the caller's rights on the user's tables.  They are
 * invoker-rights C entry points (common/entry.c): each calls its PL/pgSQL
 * body as the body's owner with the role PostgreSQL runs the calling code
 * as (GetUserId()) as first argument, so that a less privileged role's code
 * run by a superuser (its SECURITY DEFINER functions, an index expression
 * evaluated by ANALYZE) gets the less privileged role's rights, as it would
 * from PostgreSQL itself.  The bodies are not executable by PUBLIC.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "dataeng.h"

/* the entry points and their bodies */
DATAENG_ENTRY(dataeng_rule_add, "_rule_add")
DATAENG_ENTRY(dataeng_rule_drop, "_rule_drop")
DATAENG_ENTRY(dataeng_record_run, "_record_run_as_owner")
DATAENG_ENTRY(dataeng_quarantine_put, "_quarantine_put_as_owner")
DATAENG_ENTRY(dataeng_quarantine_take, "_quarantine_take_as_owner")
DATAENG_ENTRY(dataeng_guard_enable, "_guard_enable")
DATAENG_ENTRY(dataeng_guard_disable, "_guard_disable")

PG_FUNCTION_INFO_V1(dataeng_query_as);

/*
 * dataeng_query_as
 *		Run a read-only query as a role and return the first column of its
 *		first row (NULL when it returns no row).  Bodies that run as their
 *		owner use it for what may run the caller's code: rule_add compiles a
 *		rule's condition against the table, and that can evaluate the
 *		caller's functions and operators (constant folding, domain checks),
 *		which must not run with the owner's rights.  Not executable by
 *		PUBLIC.
 */
Datum
dataeng_query_as(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			save_userid;
	int			save_sec_context;
	Datum		result = (Datum) 0;
	bool		isnull = true;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(role, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);

	SPI_connect();
	if (SPI_execute(query, true, 1) != SPI_OK_SELECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a rule check must be one query")));
	if (SPI_processed > 0)
	{
		if (SPI_tuptable->tupdesc->natts != 1 ||
			SPI_gettypeid(SPI_tuptable->tupdesc, 1) != BOOLOID)
			elog(ERROR, "dataeng._query_as expects one boolean column");
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	}
	SPI_finish();

	SetUserIdAndSecContext(save_userid, save_sec_context);
	if (isnull)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(result);
}
