/*-------------------------------------------------------------------------
 *
 * guard.c
 *		The ingestion guard: dataeng_internal.guard(), a BEFORE INSERT OR UPDATE row
 *		trigger that checks a table's row-level error rules on each row.
 *
 * Per table, the rules become one prepared query over the new row,
 * returning the names of the rules it breaks; the plan is kept until a
 * relcache invalidation of the table (dataeng.rule_add/rule_drop and
 * guard_enable re-create the trigger, which sends one).  With action
 * 'reject' a failing row raises one check_violation naming every broken
 * rule; with 'quarantine' it is stored in dataeng.quarantine and skipped.
 *
 * Whose rights: the rules are read as the owner of dataeng.rules (the
 * writer may not be allowed to SELECT them, and must not be able to hide
 * them from the guard), and the rule checks, which are the table owner's
 * code, are prepared and evaluated as the table's owner in a
 * security-restricted operation with search_path pinned, as REFRESH
 * MATERIALIZED VIEW runs a view's query: never as the writer, and never
 * with more rights than the owner.  Quarantining a row is the writer's own
 * act: its JSON is made with the writer's rights and search_path pinned,
 * and stored by the body dataeng_internal._quarantine_put_as_owner (as its
 * owner, restricted), which checks the writer's rights on the table.
 *
 * Loads: in 'quarantine' mode, the rows one statement (an INSERT, a COPY,
 * an UPDATE) diverts are one load, numbered from the sequence of
 * validation runs (so a load's number is never a run's): the quarantined
 * rows carry it as run_id.  The AFTER ... FOR EACH STATEMENT trigger
 * dataeng_guard_load (dataeng_internal.guard_load()) closes the load: it raises an
 * alert per broken rule (dataeng_internal._guard_load_done, as dataeng's owner:
 * only the guard writes alerts) and a NOTICE with the count.  The load of
 * a statement is kept per guarded table in backend memory, recognised by
 * the transaction and the statement's start; a statement that fails never
 * reaches its closing trigger, and the next one starts afresh.
 *
 * Partitions: guard_enable() on a partitioned table creates the trigger
 * there, and PostgreSQL fires its clone on the leaf partition a row goes
 * to.  The rules are those of the table the guard was enabled on (found by
 * following the clone's parent triggers), checked as that table's owner,
 * and a diverted row is quarantined under that table.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "validate/validate.h"

typedef struct GuardPlan
{
	Oid			relid;			/* hash key */
	bool		valid;
	Oid			rulesrelid;		/* the table whose rules apply (the one the
								 * guard was enabled on: for a partition,
								 * the partitioned table) */
	Oid			rulesowner;		/* its owner: whose code the rules are */
	SPIPlanPtr	plan;			/* NULL: no row-level error rule */
	bool		owner_code;		/* a rule may run code of a role (an
								 * expression, a type not built in) */
} GuardPlan;

static HTAB *guard_plans = NULL;

/* the load of the current statement on a guarded table */
typedef struct GuardLoad
{
	Oid			relid;			/* hash key: the guarded table */
	LocalTransactionId lxid;	/* the transaction and the statement */
	TimestampTz stmt_start;
	int64		load;			/* its number; 0: nothing diverted yet */
	int64		checked;		/* rows the guard checked */
} GuardLoad;

static HTAB *guard_loads = NULL;

/*
 * guard_load
 *		The load of the current statement on a guarded table, reset when it
 *		was another statement's; NULL when there is none and !create.
 */
static GuardLoad *
guard_load(Oid relid, bool create)
{
	GuardLoad  *entry;
	bool		found;

	if (guard_loads == NULL)
	{
		HASHCTL		ctl;

		if (!create)
			return NULL;
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(GuardLoad);
		ctl.hcxt = TopMemoryContext;
		guard_loads = hash_create("dataeng guard loads", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(guard_loads, &relid, create ? HASH_ENTER : HASH_FIND, &found);
	if (entry == NULL)
		return NULL;
	if (!found || entry->lxid != MyProc->lxid ||
		entry->stmt_start != GetCurrentStatementStartTimestamp())
	{
		entry->lxid = MyProc->lxid;
		entry->stmt_start = GetCurrentStatementStartTimestamp();
		entry->load = 0;
		entry->checked = 0;
	}
	return entry;
}

/*
 * dataeng_relid
 *		A relation of schema dataeng, or an error saying to reinstall.
 */
static Oid
dataeng_relid(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid(DATAENG_SCHEMA, false));

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation %s.%s is missing", DATAENG_SCHEMA, name),
				 errhint("Reinstall the extension.")));
	return relid;
}

/*
 * guard_relcache_callback
 *		Forget the plan of a table whose definition or rules changed.
 */
static void
guard_relcache_callback(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	GuardPlan  *entry;

	if (guard_plans == NULL)
		return;
	hash_seq_init(&status, guard_plans);
	while ((entry = hash_seq_search(&status)) != NULL)
		if (!OidIsValid(relid) || entry->relid == relid || entry->rulesrelid == relid)
			entry->valid = false;
}

/*
 * rel_owner
 *		The owner of a relation.
 */
static Oid
rel_owner(Oid relid)
{
	HeapTuple	tup;
	Oid			owner;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * guard_plan
 *		The prepared rule check of a relation (inside an SPI connection).
 */
static GuardPlan *
guard_plan(Relation rel, Trigger *trigger)
{
	Oid			relid = RelationGetRelid(rel);
	GuardPlan  *entry;
	bool		found;
	Oid			argtypes[2] = {OIDOID};
	Datum		args[1];
	char	   *checks;
	bool		isnull;
	Oid			rulesrel;
	InternalSql as_owner;
	MemoryContext oldcxt;

	if (guard_plans == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(GuardPlan);
		ctl.hcxt = CacheMemoryContext;
		guard_plans = hash_create("dataeng guard plans", 16, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(guard_relcache_callback, (Datum) 0);
	}
	entry = hash_search(guard_plans, &relid, HASH_ENTER, &found);
	if (found && entry->valid)
		return entry;
	if (found && entry->plan)
		SPI_freeplan(entry->plan);
	entry->plan = NULL;
	entry->valid = false;
	entry->rulesrelid = relid;

	/* the rules, read as the owner of dataeng.rules (not as the writer) */
	rulesrel = get_relname_relid("rules", get_namespace_oid(DATAENG_SCHEMA, false));
	if (!OidIsValid(rulesrel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table %s.rules is missing", DATAENG_SCHEMA),
				 errhint("Reinstall the extension.")));
	internal_sql_begin(&as_owner, rel_owner(rulesrel));

	/*
	 * A partition's trigger is a clone of its partitioned table's: the rules
	 * are those of the table the guard was enabled on, found by following
	 * the trigger's parents.
	 */
	if (trigger->tgisclone)
	{
		Oid			trigtype[1] = {OIDOID};
		Datum		trigarg[1];
		Datum		top;

		trigarg[0] = ObjectIdGetDatum(trigger->tgoid);
		if (SPI_execute_with_args("WITH RECURSIVE t AS ("
								  "SELECT g.tgrelid, g.tgparentid FROM pg_catalog.pg_trigger g "
								  "WHERE g.oid OPERATOR(pg_catalog.=) $1 "
								  "UNION ALL SELECT p.tgrelid, p.tgparentid "
								  "FROM pg_catalog.pg_trigger p, t "
								  "WHERE p.oid OPERATOR(pg_catalog.=) t.tgparentid) "
								  "SELECT t.tgrelid FROM t "
								  "WHERE t.tgparentid OPERATOR(pg_catalog.=) 0::pg_catalog.oid",
								  1, trigtype, trigarg, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not find the table guarding \"%s\"", RelationGetRelationName(rel));
		if (SPI_processed == 1)
		{
			top = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			if (!isnull)
				entry->rulesrelid = DatumGetObjectId(top);
		}
	}
	entry->rulesowner = entry->rulesrelid == relid ? rel->rd_rel->relowner : rel_owner(entry->rulesrelid);
	args[0] = ObjectIdGetDatum(entry->rulesrelid);
	oldcxt = CurrentMemoryContext;

	/*
	 * A rule that cannot be compiled (its column renamed or dropped since)
	 * is reported as the writer's error, without the CONTEXT of the
	 * internal function and query that found it; an internal error keeps
	 * its context.
	 */
	PG_TRY();
	{
		if (SPI_execute_with_args(dataeng_internal_sql("SELECT string_agg(format('CASE WHEN NOT %s THEN %L END', "
												  "dataeng_internal._rule_condition(r), r.rule_name), ', ' ORDER BY r.rule_id) "
												  "FROM dataeng.rules r WHERE r.table_name = $1 AND r.severity = 'error' "
												  "AND dataeng_internal._rule_condition(r) IS NOT NULL"),
								  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read the rules of \"%s\"", RelationGetRelationName(rel));
	}
	PG_CATCH();
	{
		dataeng_rethrow_as_callers(oldcxt, as_owner.userid, as_owner.sec_context);
	}
	PG_END_TRY();
	checks = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	/*
	 * Whether a rule may run code of a role: an expression (the owner's
	 * SQL, its functions), or a column of a type not built in (a domain's
	 * CHECK, a cast or an operator of a role's type).  The other rules are
	 * built-in functions and operators over built-in types, resolved with
	 * search_path pinned: nothing in them finds an object by a name.
	 */
	entry->owner_code = false;
	if (!isnull && checks != NULL)
	{
		if (SPI_execute_with_args("SELECT EXISTS (SELECT 1 FROM " DATAENG_SCHEMA ".rules r "
								  "LEFT JOIN pg_catalog.pg_attribute a "
								  "ON a.attrelid OPERATOR(pg_catalog.=) r.table_name "
								  "AND a.attname OPERATOR(pg_catalog.=) r.column_name "
								  "AND a.attnum OPERATOR(pg_catalog.>) 0 "
								  "WHERE r.table_name OPERATOR(pg_catalog.=) $1 "
								  "AND r.severity OPERATOR(pg_catalog.=) 'error' "
								  "AND (r.kind OPERATOR(pg_catalog.=) 'expression' "
								  "OR a.atttypid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid))",
								  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not read the rules of \"%s\"", RelationGetRelationName(rel));
		entry->owner_code = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)) || isnull;
		isnull = false;
	}
	internal_sql_end(&as_owner);
	if (!isnull && checks != NULL)
	{
		char	   *query = psprintf("SELECT array_remove(ARRAY[%s], NULL)::text[] "
									 "FROM (SELECT ($1).*) t", checks);
		Oid			rowtype[1] = {rel->rd_rel->reltype};

		/* compiled as the table's owner: its rules are its code */
		internal_sql_begin(&as_owner, entry->rulesowner);
		entry->plan = SPI_prepare(query, 1, rowtype);
		internal_sql_end(&as_owner);
		if (entry->plan == NULL)
			elog(ERROR, "could not prepare the rules of \"%s\": %s",
				 RelationGetRelationName(rel), SPI_result_code_string(SPI_result));
		SPI_keepplan(entry->plan);
	}
	entry->valid = true;
	return entry;
}

/*
 * The table's name as a message gives it: schema-qualified and quoted
 * where needed ("Cust Table" alone did not say which schema's).
 */
static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * The owner of an object of this session's temporary schema that code of
 * role $1 run here could find by a name and that does not have the
 * privileges of $1 (NULL: none), as dataeng_internal._temp_foreign_owner()
 * says, but for a relation that only its owner may use (no privilege
 * granted on it) and whose columns are all of built-in types, with its row
 * type: a temporary table a writer loads rows from.  The owner's code that
 * finds such a table by name may not read or write it, and its row type
 * converts values with built-in code only.
 */
#define GUARD_TEMP_FOREIGN_OWNER \
	"SELECT o.who FROM (" \
	"SELECT c.relowner FROM pg_catalog.pg_class c " \
	"WHERE c.relnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"AND NOT (" GUARD_TEMP_PRIVATE("c") ") " \
	"UNION ALL SELECT t.typowner FROM pg_catalog.pg_type t " \
	"LEFT JOIN pg_catalog.pg_type e ON e.oid OPERATOR(pg_catalog.=) t.typelem " \
	"AND t.typcategory OPERATOR(pg_catalog.=) 'A' " \
	"LEFT JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) " \
	"CASE WHEN t.typrelid OPERATOR(pg_catalog.<>) 0 THEN t.typrelid ELSE e.typrelid END " \
	"WHERE t.typnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"AND NOT coalesce(c.oid IS NOT NULL AND " GUARD_TEMP_PRIVATE("c") ", false) " \
	"UNION ALL SELECT p.proowner FROM pg_catalog.pg_proc p WHERE p.pronamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT o.oprowner FROM pg_catalog.pg_operator o WHERE o.oprnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT l.collowner FROM pg_catalog.pg_collation l WHERE l.collnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT v.conowner FROM pg_catalog.pg_conversion v WHERE v.connamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT g.cfgowner FROM pg_catalog.pg_ts_config g WHERE g.cfgnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT d.dictowner FROM pg_catalog.pg_ts_dict d WHERE d.dictnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT f.opfowner FROM pg_catalog.pg_opfamily f WHERE f.opfnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT k.opcowner FROM pg_catalog.pg_opclass k WHERE k.opcnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema() " \
	"UNION ALL SELECT x.stxowner FROM pg_catalog.pg_statistic_ext x WHERE x.stxnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema()" \
	") o(who) " \
	"WHERE NOT coalesce(pg_catalog.pg_has_role(o.who, $1::pg_catalog.oid, 'USAGE'), false) " \
	"ORDER BY o.who LIMIT 1"
/*
 * relation c: no privilege granted on it, none that role $1 holds all the
 * same (a superuser, a member of pg_read_all_data: it read the table in
 * place of its own, and a row-level security policy of the table's owner
 * on it ran as $1), every column of a built-in type
 */
#define GUARD_TEMP_PRIVATE(c) \
	"(NOT EXISTS (SELECT 1 FROM pg_catalog.aclexplode(" c ".relacl) x " \
	"WHERE x.grantee OPERATOR(pg_catalog.<>) " c ".relowner) " \
	"AND NOT pg_catalog.has_table_privilege($1::pg_catalog.oid, " c ".oid, " \
	"'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER') " \
	"AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a " \
	"WHERE a.attrelid OPERATOR(pg_catalog.=) " c ".oid AND a.attnum OPERATOR(pg_catalog.>) 0 " \
	"AND a.atttypid OPERATOR(pg_catalog.>=) 16384::pg_catalog.oid))"

/*
 * guard_temp_check
 *		Refuse to run a table's rules as its owner in a session holding
 *		temporary objects of a role without the owner's privileges.  The
 *		rules run as the owner in the writer's session: a function of the
 *		owner whose own search_path leaves pg_temp out (SET search_path =
 *		shop) has PostgreSQL search the session's temporary schema first,
 *		so a temporary view the writer made under the name of a table the
 *		function reads was read in its place, as the owner, and the
 *		writer's functions in it ran with the owner's rights (they read and
 *		wrote the owner's tables, and the rule passed).  A CHECK constraint
 *		runs as the writer; the rules run as the owner.  Only for rules that
 *		may run a role's code (owner_code), and asked again only after a
 *		change of a catalog it reads (a syscache invalidation) or for
 *		another owner: a session without a temporary schema pays nothing.  A temporary table only its owner may use, of
 *		built-in column types (rows staged for a load), does not count
 *		(GUARD_TEMP_FOREIGN_OWNER).
 */
static bool temp_known = false;	/* what temp_check_owner's check said
									 * holds still */
static Oid	temp_check_owner = InvalidOid;
static Oid	temp_foreign_owner = InvalidOid;

/* a catalog the check reads changed: check again */
static void
guard_temp_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	temp_known = false;
}

static void
guard_temp_check(GuardPlan *gp)
{
	static bool callbacks = false;
	Oid			tempnsp;
	Oid			temptoast;

	if (!gp->owner_code)
		return;
	GetTempNamespaceState(&tempnsp, &temptoast);
	if (!OidIsValid(tempnsp))
		return;
	if (!callbacks)
	{
		/* (every catalog the query reads; the transaction's own changes too) */
		static const int caches[] = {RELOID, TYPEOID, PROCOID, OPEROID, COLLOID, CONVOID,
			TSCONFIGOID, TSDICTOID, OPFAMILYOID, CLAOID, STATEXTOID, ATTNUM,
		AUTHOID, AUTHMEMMEMROLE, NAMESPACEOID};

		for (int i = 0; i < (int) lengthof(caches); i++)
			CacheRegisterSyscacheCallback(caches[i], guard_temp_inval, (Datum) 0);
		callbacks = true;
	}
	if (!temp_known || temp_check_owner != gp->rulesowner)
	{
		Oid			argtypes[1] = {REGROLEOID};
		Datum		args[1];
		bool		isnull;
		InternalSql as_owner;

		args[0] = ObjectIdGetDatum(gp->rulesowner);
		internal_sql_begin(&as_owner, rel_owner(dataeng_relid("rules")));

		/*
		 * The catalogs as they are now, as the rules' name lookups will see
		 * them: the writing statement's own snapshot (a read-only SPI
		 * query's) misses a temporary object made since it began, by a
		 * function of the writer's that the statement ran before this row
		 * reached the guard, and the answer is kept.
		 */
		PushActiveSnapshot(GetLatestSnapshot());
		if (SPI_execute_with_args(GUARD_TEMP_FOREIGN_OWNER, 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed > 1)
			elog(ERROR, "could not look at the temporary objects of this session");
		PopActiveSnapshot();
		temp_foreign_owner = SPI_processed == 0 ? InvalidOid :
			DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		internal_sql_end(&as_owner);
		temp_check_owner = gp->rulesowner;
		temp_known = true;
	}
	if (OidIsValid(temp_foreign_owner))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot check the rules of table %s in this session: it holds temporary objects of role %s",
						qualified_name(gp->rulesrelid), GetUserNameFromId(temp_foreign_owner, false)),
				 errdetail("The ingestion guard runs the table's rules as its owner %s, which could find them by name in place of its own.",
						   GetUserNameFromId(gp->rulesowner, false)),
				 errhint("Write the rows in a session without them (or after DISCARD TEMP); stage rows in a table that is not temporary.")));
}

PG_FUNCTION_INFO_V1(dataeng_guard);

/*
 * dataeng_guard
 *		Check the new row against the table's row-level error rules.
 */
Datum
dataeng_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	HeapTuple	newtup;
	GuardPlan  *gp;
	bool		quarantine;
	Datum		row;
	bool		isnull;
	ArrayType  *failed;
	int			nfailed;
	InternalSql as_owner;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng_internal.guard() must be fired BEFORE INSERT OR UPDATE ... FOR EACH ROW"),
				 errhint("Install it with dataeng.guard_enable().")));
	rel = trigdata->tg_relation;
	newtup = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	quarantine = (trigdata->tg_trigger->tgnargs > 0 &&
				  strcmp(trigdata->tg_trigger->tgargs[0], "quarantine") == 0);

	SPI_connect();
	gp = guard_plan(rel, trigdata->tg_trigger);
	if (gp->plan == NULL)
	{
		SPI_finish();
		return PointerGetDatum(newtup);
	}
	if (quarantine)
		guard_load(gp->rulesrelid, true)->checked++;
	guard_temp_check(gp);
	row = heap_copy_tuple_as_datum(newtup, RelationGetDescr(rel));
	/* the checks run as the table's owner, restricted */
	internal_sql_begin(&as_owner, gp->rulesowner);
	if (SPI_execute_plan(gp->plan, &row, NULL, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not check the rules of \"%s\"", RelationGetRelationName(rel));
	failed = DatumGetArrayTypeP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	internal_sql_end(&as_owner);
	nfailed = ArrayGetNItems(ARR_NDIM(failed), ARR_DIMS(failed));
	if (nfailed == 0)
	{
		SPI_finish();
		return PointerGetDatum(newtup);
	}

	if (!quarantine)
	{
		StringInfoData names;
		Datum	   *elems;
		int			nelems;

		deconstruct_array(failed, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &nelems);
		initStringInfo(&names);
		for (int i = 0; i < nelems; i++)
			appendStringInfo(&names, "%s%s", i > 0 ? ", " : "", TextDatumGetCString(elems[i]));

		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("row breaks the rules of table %s: %s",
						qualified_name(gp->rulesrelid), names.data),
				 errtable(rel),
				 errdetail("The ingestion guard checks the table's error rules (dataeng.rules) on every insert and update."),
				 errhint("Fix the row, or use dataeng.guard_enable(..., 'quarantine') to divert such rows.")));
	}
	else
	{
		Oid			argtypes[8] = {OIDOID, rel->rd_rel->reltype, TEXTARRAYOID, INT8OID,
		rel->rd_rel->reltype, TIDOID, OIDOID, XIDOID};
		Datum		args[8];
		char		nulls[8] = {' ', ' ', ' ', ' ', 'n', 'n', 'n', 'n'};
		InternalSql pinned;
		GuardLoad  *load = guard_load(gp->rulesrelid, true);
		Oid			body_types[4] = {REGROLEOID, REGCLASSOID, INT8OID, JSONBOID};
		Datum		body_args[4];
		Oid			body_owner;
		Datum		rows;

		/* the statement's first diverted row opens its load */
		if (load->load == 0)
			load->load = nextval_internal(dataeng_relid("validation_runs_run_id_seq"), false);
		args[0] = ObjectIdGetDatum(gp->rulesrelid);
		args[1] = row;
		args[2] = PointerGetDatum(failed);
		args[3] = Int64GetDatum(load->load);
		/* an UPDATE's old row stays: the release must not add a second */
		if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		{
			args[4] = heap_copy_tuple_as_datum(trigdata->tg_trigtuple, RelationGetDescr(rel));
			nulls[4] = ' ';

			/*
			 * where the row is: two diverted UPDATEs of one row leave it
			 * where it is, and the release tells versions of one row from
			 * copies of it by that (no column can be named ctid, tableoid
			 * or xmin).  Its xmin too: a row deleted and another put at
			 * its place (the line pointer reused after VACUUM, or a
			 * TRUNCATE), with the same values, was taken for it, and the
			 * release of the other's version took the first one's out of
			 * the quarantine.  (VACUUM FULL and CLUSTER keep a row's xmin,
			 * and move it.)
			 */
			args[5] = PointerGetDatum(&trigdata->tg_trigtuple->t_self);
			nulls[5] = ' ';
			args[6] = ObjectIdGetDatum(RelationGetRelid(rel));
			nulls[6] = ' ';
			args[7] = TransactionIdGetDatum(HeapTupleHeaderGetRawXmin(trigdata->tg_trigtuple->t_data));
			nulls[7] = ' ';
		}

		/*
		 * The row as JSON: the writer's act (no user switch: a cast of a
		 * type to json is code of a role, run with the writer's rights), but
		 * resolved with search_path pinned, not through the writer's.
		 */
		internal_sql_begin(&pinned, InvalidOid);
		if (SPI_execute_with_args(strcmp(dataeng_internal_schema(), DATAENG_INTERNAL_SCHEMA) == 0 ?
								  "SELECT pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object("
								  "'row', dataeng_internal._quarantine_row($2), "
								  "'rules', pg_catalog.to_jsonb($3), "
								  "'replaces', dataeng_internal._quarantine_row($5) OPERATOR(pg_catalog.||) "
								  "pg_catalog.jsonb_build_object('ctid', $6, 'tableoid', $7, 'xmin', $8)))" :
		/* an extension script older than 0.2.0 has no _quarantine_row */
								  "SELECT pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object("
								  "'row', pg_catalog.to_jsonb($2), "
								  "'rules', pg_catalog.to_jsonb($3), "
								  "'replaces', pg_catalog.to_jsonb($5)))",
								  8, argtypes, args, nulls, false, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not quarantine a row of \"%s\"", RelationGetRelationName(rel));
		rows = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		internal_sql_end(&pinned);

		/*
		 * Stored by the body of the quarantine as its owner, for the writer
		 * (whose rights on the table it checks), restricted: only the guard
		 * stores rows this way.  dataeng_internal._quarantine_put() is not
		 * PUBLIC's: through it, a role with nothing but DELETE (or INSERT)
		 * on a table put rows of its choosing, with rule names and run ids
		 * of its choosing, in that table's quarantine, for its owner to
		 * release (an INSERT as the owner) and its alerts to count.
		 */
		body_args[0] = ObjectIdGetDatum(GetUserId());
		body_args[1] = ObjectIdGetDatum(gp->rulesrelid);
		body_args[2] = Int64GetDatum(load->load);
		body_args[3] = rows;
		(void) dataeng_entry_body_lookup("_quarantine_put_as_owner", 4, body_types, &body_owner);
		internal_sql_begin(&as_owner, body_owner);
		if (SPI_execute_with_args(dataeng_internal_sql("SELECT dataeng_internal._quarantine_put_as_owner($1, $2, $3, $4)"),
								  4, body_types, body_args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not quarantine a row of \"%s\"", RelationGetRelationName(rel));
		internal_sql_end(&as_owner);
		SPI_finish();
		return PointerGetDatum(NULL);	/* skip the row */
	}
	SPI_finish();
	return PointerGetDatum(newtup);
}

PG_FUNCTION_INFO_V1(dataeng_guard_load);

/*
 * dataeng_guard_load
 *		AFTER INSERT OR UPDATE ... FOR EACH STATEMENT: close the statement's
 *		load on the guarded table.  When the guard diverted rows, raise an
 *		alert per broken rule and a NOTICE with the count.
 */
Datum
dataeng_guard_load(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	GuardLoad  *entry;
	int64		load,
				checked,
				moved = 0;
	Oid			caller = GetUserId();
	Oid			argtypes[4] = {REGROLEOID, OIDOID, INT8OID, INT8OID};
	Datum		args[4];
	bool		isnull;
	InternalSql as_owner;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng_internal.guard_load() must be fired AFTER INSERT OR UPDATE ... FOR EACH STATEMENT"),
				 errhint("Install it with dataeng.guard_enable().")));
	rel = trigdata->tg_relation;
	entry = guard_load(RelationGetRelid(rel), false);
	if (entry == NULL || entry->load == 0)
		return PointerGetDatum(NULL);
	load = entry->load;
	checked = entry->checked;
	entry->load = 0;
	entry->checked = 0;

	/* alerts are dataeng's metadata: written as its owner */
	args[0] = ObjectIdGetDatum(caller);
	args[1] = ObjectIdGetDatum(RelationGetRelid(rel));
	args[2] = Int64GetDatum(load);
	args[3] = Int64GetDatum(checked);
	SPI_connect();
	internal_sql_begin(&as_owner, rel_owner(dataeng_relid("alerts")));
	if (SPI_execute_with_args(dataeng_internal_sql("SELECT dataeng_internal._guard_load_done($1, $2, $3, $4)"),
							  4, argtypes, args, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not close the guard's load of \"%s\"", RelationGetRelationName(rel));
	moved = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	internal_sql_end(&as_owner);
	SPI_finish();
	if (!isnull && moved > 0)
		ereport(NOTICE,
				(errmsg("the guard quarantined " INT64_FORMAT " of " INT64_FORMAT " rows written to table %s",
						moved, checked, qualified_name(RelationGetRelid(rel))),
				 errdetail("They are in dataeng.quarantine with run_id " INT64_FORMAT
						   ", and dataeng.alerts has an alert for each rule they break.", load),
				 TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ?
				 errhint("The rows they were to replace are unchanged in the table: correct those with UPDATE.") :
				 errhint("The table's owner may correct them and put them back with dataeng.quarantine_release().")));
	return PointerGetDatum(NULL);
}

/*
 * warn_late_triggers
 *		Warn of trigger tgname of relation rel (NULL: of each of its
 *		triggers whose name sorts after "dataeng_guard") when it is an
 *		enabled BEFORE INSERT or UPDATE row trigger, not an internal one.
 */
static void
warn_late_triggers(Oid rel, const char *tgname)
{
	Relation	tgrel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	tgrel = table_open(TriggerRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_trigger_tgrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(rel));
	scan = systable_beginscan(tgrel, TriggerRelidNameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_trigger tg = (Form_pg_trigger) GETSTRUCT(tup);
		const char *name = NameStr(tg->tgname);

		if (tgname != NULL ? strcmp(name, tgname) != 0 : strcmp(name, "dataeng_guard") <= 0)
			continue;
		if (!tg->tgisinternal &&
			TRIGGER_FOR_ROW(tg->tgtype) && TRIGGER_FOR_BEFORE(tg->tgtype) &&
			(TRIGGER_FOR_INSERT(tg->tgtype) || TRIGGER_FOR_UPDATE(tg->tgtype)) &&
			tg->tgenabled != TRIGGER_DISABLED)
			ereport(WARNING,
					(errmsg("trigger \"%s\" of table %s fires after the guard: a row it changes is stored unchecked",
							name, qualified_name(rel)),
					 errdetail("PostgreSQL fires the BEFORE triggers of a row in the order of their names, and this one's sorts after \"dataeng_guard\"."),
					 errhint("Rename the trigger so that its name sorts before \"dataeng_guard\" (ALTER TRIGGER ... RENAME TO), or let it change no column a rule reads.")));
	}
	systable_endscan(scan);
	table_close(tgrel, AccessShareLock);
}

/*
 * warn_late_on
 *		warn_late_triggers() on the table rv names, if guarded, or on each
 *		guarded partition of it (a partitioned table's trigger is cloned
 *		onto its partitions, and created, renamed or enabled with it).
 */
static void
warn_late_on(RangeVar *rv, const char *tgname)
{
	Oid			relid;
	List	   *rels;
	ListCell   *lc;

	/* (the statement holds its lock on the table) */
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return;
	rels = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE ?
		find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	foreach(lc, rels)
	{
		Oid			rel = lfirst_oid(lc);

		if (OidIsValid(get_trigger_oid(rel, "dataeng_guard", true)))
			warn_late_triggers(rel, tgname);
	}
	list_free(rels);
}

/*
 * guard_after_utility
 *		After CREATE TRIGGER, ALTER TRIGGER ... RENAME TO or ALTER TABLE ...
 *		ENABLE [ALWAYS | REPLICA] TRIGGER (the utility hook,
 *		src/schedule/dbhook.c): warn when the trigger, named to sort after
 *		"dataeng_guard", is an enabled BEFORE INSERT or UPDATE row trigger
 *		of a guarded table (or, on a partitioned table, its clone on a
 *		guarded partition).  PostgreSQL fires a row's BEFORE triggers in
 *		the order of their names: a row it changes is stored as the guard
 *		did not check it.  guard_enable() warns of the triggers already
 *		there with the same words (_guard_enable); one created, renamed or
 *		enabled later got no warning.  ENABLE TRIGGER ALL or USER, and
 *		ENABLE TRIGGER dataeng_guard (the guard back), warn of each such
 *		trigger of the table.  Nothing is looked up for another statement,
 *		or for a name that sorts before the guard's.
 */
void
guard_after_utility(Node *stmt)
{
	RangeVar   *rv;
	const char *tgname;

	if (stmt == NULL)
		return;
	if (IsA(stmt, CreateTrigStmt))
	{
		rv = ((CreateTrigStmt *) stmt)->relation;
		tgname = ((CreateTrigStmt *) stmt)->trigname;
	}
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->renameType == OBJECT_TRIGGER)
	{
		rv = ((RenameStmt *) stmt)->relation;
		tgname = ((RenameStmt *) stmt)->newname;
	}
	else if (IsA(stmt, AlterTableStmt))
	{
		AlterTableStmt *at = (AlterTableStmt *) stmt;
		ListCell   *lc;

		if (at->relation == NULL)
			return;
		foreach(lc, at->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			switch (cmd->subtype)
			{
				case AT_EnableTrig:
				case AT_EnableAlwaysTrig:
				case AT_EnableReplicaTrig:
					if (cmd->name == NULL || strcmp(cmd->name, "dataeng_guard") < 0)
						break;
					warn_late_on(at->relation,
								 strcmp(cmd->name, "dataeng_guard") == 0 ? NULL : cmd->name);
					break;
				case AT_EnableTrigAll:
				case AT_EnableTrigUser:
					warn_late_on(at->relation, NULL);
					break;
				default:
					break;
			}
		}
		return;
	}
	else
		return;
	if (rv == NULL || tgname == NULL || strcmp(tgname, "dataeng_guard") <= 0)
		return;
	warn_late_on(rv, tgname);
}
