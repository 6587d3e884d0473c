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

#include "access/xlog.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "utils/builtins.h"

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
