/*-------------------------------------------------------------------------
 *
 * built.c
 *		The statements a fact refresh builds from the fact's definition,
 *		kept for the session.
 *
 * dataeng_internal._fact_refresh() builds the texts of its statements and
 * the lists it passes to _fact_deltas() and _fact_apply() from the fact's
 * definition and the catalogs (_fact_refresh_build(), about twenty
 * helpers each looking something up): about 1.4 ms a refresh, whatever
 * its number of changes.  They depend only on what it reads, so a
 * session keeps the last ones built per fact here:
 *
 * - keyed by the text of the definition's fields the build reads (the
 *   caller's key, which names the fact) and by the role the build ran as
 *   (GetUserId()): what one role built is never handed to another;
 * - dropped when a relation the build read (the source, the fact's
 *   storage table, its side table: the caller's deps) is invalidated in
 *   the relation cache (any ALTER TABLE, index, rename, GRANT or REVOKE
 *   on it, a TRUNCATE of it, VACUUM or ANALYZE, a DROP), and every one of
 *   them when a type, collation, schema, function, operator, operator
 *   class, cast or role changes, or the caches are reset (the build reads
 *   names, collations and orders of types, and the rights of the owner);
 *   invalidations of the caller's own transaction are seen at once, and
 *   seen again if it aborts, so nothing built from a catalog state rolled
 *   back is kept;
 * - and looked up only after the invalidations other sessions committed
 *   are read (AcceptInvalidationMessages()), as the catalog lookups of a
 *   build would have seen them.
 *
 * The value kept is the composite dataeng_internal.fact_refresh_build,
 * flattened in the session's memory; a value of another type (the type
 * made again, the extension dropped and created) is never returned.
 * Nothing here runs a statement: the caller EXECUTEs the texts as it
 * always did, as the fact's owner, and each statement is checked,
 * planned and run then.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/sinval.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "common/common.h"

/* facts kept at most (each a few kB): beyond, all are dropped */
#define BUILT_MAX		64
#define BUILT_MAXDEPS	4

typedef struct BuiltEntry
{
	char	   *key;
	Oid			userid;
	Oid			typid;			/* of the value kept */
	int			ndeps;
	Oid			deps[BUILT_MAXDEPS];
	Datum		value;			/* a flattened composite */
	MemoryContext cxt;			/* the entry's key and value */
} BuiltEntry;

static BuiltEntry built[BUILT_MAX];
static int	nbuilt = 0;
static bool built_callbacks = false;

/* built_forget: drop entry i */
static void
built_forget(int i)
{
	MemoryContext cxt = built[i].cxt;

	built[i] = built[nbuilt - 1];
	nbuilt--;
	MemoryContextDelete(cxt);
}

/* built_forget_all: drop every entry */
static void
built_forget_all(void)
{
	while (nbuilt > 0)
		built_forget(nbuilt - 1);
}

/* relation cache callback: the entries that read relid (all: InvalidOid) */
static void
built_relcache_callback(Datum arg, Oid relid)
{
	int			i;
	int			j;

	if (!OidIsValid(relid))
	{
		built_forget_all();
		return;
	}
	for (i = nbuilt - 1; i >= 0; i--)
		for (j = 0; j < built[i].ndeps; j++)
			if (built[i].deps[j] == relid)
			{
				built_forget(i);
				break;
			}
}

/* system cache callback: any change of what the build reads by name */
static void
built_syscache_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	built_forget_all();
}

static void
built_init(void)
{
	static const int caches[] = {TYPEOID, COLLOID, NAMESPACEOID, PROCOID, OPEROID, CLAOID,
	CASTSOURCETARGET, AUTHOID, AUTHMEMMEMROLE};
	int			i;

	if (built_callbacks)
		return;
	CacheRegisterRelcacheCallback(built_relcache_callback, (Datum) 0);
	for (i = 0; i < (int) lengthof(caches); i++)
		CacheRegisterSyscacheCallback(caches[i], built_syscache_callback, (Datum) 0);
	built_callbacks = true;
}

static int
built_find(const char *key, Oid userid)
{
	int			i;

	for (i = 0; i < nbuilt; i++)
		if (built[i].userid == userid && strcmp(built[i].key, key) == 0)
			return i;
	return -1;
}

/*
 * dataeng_internal._fact_built(key text) RETURNS
 * dataeng_internal.fact_refresh_build
 *		What _fact_built_keep() kept under key for the current role, NULL
 *		if nothing (or it was dropped since).
 */
PG_FUNCTION_INFO_V1(dataeng_fact_built);
Datum
dataeng_fact_built(PG_FUNCTION_ARGS)
{
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	Oid			typid;
	TupleDesc	desc;
	int			i;

	if (get_call_result_type(fcinfo, &typid, &desc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("_fact_built() must return a composite type"),
				 errdetail("It returns the composite dataeng_internal.fact_refresh_build."),
				 errhint("Declare it as the extension's script does.")));
	built_init();
	/* what other sessions committed, as a catalog lookup would see it */
	AcceptInvalidationMessages();
	i = built_find(key, GetUserId());
	if (i < 0 || built[i].typid != typid)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(datumCopy(built[i].value, false, -1));
}

/*
 * dataeng_internal._fact_built_keep(key text, deps oid[], b
 * dataeng_internal.fact_refresh_build) RETURNS void
 *		Keep b under key for the current role until one of the relations
 *		deps (NULLs ignored) or a catalog the build reads changes.
 */
PG_FUNCTION_INFO_V1(dataeng_fact_built_keep);
Datum
dataeng_fact_built_keep(PG_FUNCTION_ARGS)
{
	char	   *key;
	ArrayType  *deps;
	HeapTupleHeader th;
	HeapTupleData tup;
	TupleDesc	desc;
	Datum	   *dv;
	bool	   *dn;
	int			nd;
	int			i;
	BuiltEntry	e;
	MemoryContext old;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_VOID();
	key = text_to_cstring(PG_GETARG_TEXT_PP(0));
	deps = PG_GETARG_ARRAYTYPE_P(1);
	th = PG_GETARG_HEAPTUPLEHEADER(2);
	if (ARR_ELEMTYPE(deps) != OIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the relations a fact refresh's build read must be an oid[]"),
				 errdetail("_fact_built_keep() was given an array of type %s.",
						   format_type_be(ARR_ELEMTYPE(deps))),
				 errhint("Pass them as ARRAY[...]::oid[].")));
	deconstruct_array(deps, OIDOID, sizeof(Oid), true, TYPALIGN_INT, &dv, &dn, &nd);
	built_init();

	e.ndeps = 0;
	for (i = 0; i < nd; i++)
		if (!dn[i])
		{
			/* more relations than an entry can name: not kept */
			if (e.ndeps == BUILT_MAXDEPS)
				PG_RETURN_VOID();
			e.deps[e.ndeps++] = DatumGetObjectId(dv[i]);
		}

	/*
	 * The entry is made in a memory of its own first (the type's lookup
	 * and the flattening may read catalogs, and so run the callbacks
	 * above), then put in the table, where nothing runs them.
	 */
	e.cxt = AllocSetContextCreate(TopMemoryContext, "dataeng fact refresh build",
								  ALLOCSET_SMALL_SIZES);
	desc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th), HeapTupleHeaderGetTypMod(th));
	tup.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = th;
	old = MemoryContextSwitchTo(e.cxt);
	e.key = pstrdup(key);
	e.userid = GetUserId();
	e.typid = HeapTupleHeaderGetTypeId(th);
	/* (no value read from a table stays a pointer to it: flattened) */
	e.value = heap_copy_tuple_as_datum(&tup, desc);
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(desc);

	/* (a value of the same key and role is replaced) */
	i = built_find(key, e.userid);
	if (i >= 0)
		built_forget(i);
	if (nbuilt >= BUILT_MAX)
		built_forget_all();
	built[nbuilt++] = e;
	PG_RETURN_VOID();
}
