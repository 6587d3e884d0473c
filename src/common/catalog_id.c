/*-------------------------------------------------------------------------
 *
 * catalog_id.c
 *		Which catalog a recorded function oid belongs to.
 *
 * A function's oid names it only in the catalog where it was read: the
 * database of one installation of dataeng in one cluster.  pg_upgrade
 * gives every function of the new cluster a new oid (it keeps the oids
 * of roles, tables and types, not of functions), a restore does too, and
 * a DROP and CREATE EXTENSION makes every function again.  So the tables
 * that name a function (alert handlers, on_change triggers) keep, beside
 * its oid and its name, this catalog's identity: the cluster's system
 * identifier and the oid of dataeng's pg_extension row.  pg_upgrade makes
 * a cluster of another system identifier; a restore, even in the same
 * cluster, makes another extension row (an oid of the cluster-wide
 * counter).  Read where the identity is this one, the oid is the
 * function's (followed through renames); elsewhere the name is
 * (dataeng_internal._proc_resolve, common.sql).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xlog.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "common/common.h"

PG_FUNCTION_INFO_V1(dataeng_catalog_id);

/*
 * dataeng_catalog_id
 *		dataeng_internal._catalog_id() RETURNS text: this catalog's identity,
 *		"<system identifier>/<oid of dataeng's extension row>" (the oid 0
 *		while dataeng is not installed in this database).
 */
Datum
dataeng_catalog_id(PG_FUNCTION_ARGS)
{
	Oid			ext = get_extension_oid("dataeng", true);

	PG_RETURN_TEXT_P(cstring_to_text(psprintf(UINT64_FORMAT "/%u",
											  GetSystemIdentifier(), ext)));
}

/*
 * dataeng_extension_version
 *		The installed version of extension extoid (palloc'd), NULL if none.
 */
char *
dataeng_extension_version(Oid extoid)
{
	Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *version = NULL;

	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
			version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return version;
}

/*
 * dataeng_require_sql_version
 *		Refuse to go on when the extension's SQL installed in this database is
 *		not the library's version: between the install of a new library and
 *		ALTER EXTENSION dataeng UPDATE, the old SQL calls C functions whose
 *		contract changed (dedupe's estimate read the old patterns as "no
 *		candidate pairs" and found nothing, without an error).  For entry
 *		points called once per operation, not per row.
 */
void
dataeng_require_sql_version(const char *what)
{
	Oid			extoid = get_extension_oid("dataeng", true);
	char	   *version;

	if (!OidIsValid(extoid))
		return;
	version = dataeng_extension_version(extoid);
	if (version != NULL && strcmp(version, DATAENG_LIBRARY_VERSION) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs version %s of extension dataeng in this database",
						what, DATAENG_LIBRARY_VERSION),
				 errdetail("This database has version %s of the extension's SQL; the installed library is version %s.",
						   version, DATAENG_LIBRARY_VERSION),
				 errhint("Run ALTER EXTENSION dataeng UPDATE in this database.")));
}
