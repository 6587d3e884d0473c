/*-------------------------------------------------------------------------
 *
 * temp_roles.c
 *		The scratch tables a session keeps for the role it logged in as
 *		(_agg_temp_kept, delta.c) do not stand in the way of dropping that
 *		role.
 *
 * A refresh in a session of a fact's owner keeps its table of folded
 * changes (pg_temp._dataeng_delta_raw, ...) for the session, owned by that
 * role: emptying it at the next refresh is cheaper than making it again.
 * Dropped the role while the session lasted, DROP ROLE failed on a table
 * its owner never made ("owner of table pg_temp_3._dataeng_delta_raw"),
 * and REASSIGN OWNED gave it to another role, which the session's next
 * refresh could not drop.  Before DROP ROLE and REASSIGN OWNED BY, those
 * tables of the roles named, in every session's temporary schema of this
 * database, are taken from them: the command's own session's are dropped;
 * another session's are given to the bootstrap superuser, and that
 * session's next refresh drops its table and makes it again (delta.c).
 * Another session's table is not dropped from here: its pages live in
 * that session's local buffers, which no other session can reach, and
 * with the file gone the session failed on writing them out at its next
 * use of temporary tables ("could not open file").  Only when the command's own privilege checks would let it
 * through: a role with CREATEROLE (a superuser for a superuser role) for
 * DROP ROLE, a member of the role for REASSIGN OWNED.  Those of sessions
 * in other databases stay: DROP OWNED BY in that database drops them, as
 * it does any table of the role.

 * Only the tables dataeng keeps (kept_names): a table of the user's own
 * that happens to start with _dataeng_ stops the command as PostgreSQL
 * would have it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "commands/tablecmds.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "aggregate/aggregate.h"

/* the tables _agg_temp_kept keeps for a session (sql/facts.sql) */
static const char *const kept_names[] = {
	"_dataeng_delta_raw", "_dataeng_dc", "_dataeng_dc_ret", "_dataeng_dc_groups"
};

static bool
is_kept_name(const char *name)
{
	for (size_t i = 0; i < lengthof(kept_names); i++)
		if (strcmp(name, kept_names[i]) == 0)
			return true;
	return false;
}

/* whether the caller's command on role will pass PostgreSQL's checks */
static bool
may_drop_for(Oid role, bool reassign)
{
	if (superuser())
		return true;
	if (reassign)
		return has_privs_of_role(GetUserId(), role);
	return has_createrole_privilege(GetUserId()) && !superuser_arg(role);
}

/*
 * agg_temp_forget_roles
 *		Before DROP ROLE or REASSIGN OWNED BY (called by the utility hook,
 *		src/schedule/dbhook.c): take the scratch tables (kept_names) of the
 *		roles it names from them in this database.
 */
void
agg_temp_forget_roles(Node *stmt)
{
	List	   *roles;
	bool		reassign;
	List	   *owners = NIL;
	ListCell   *lc;
	Relation	pg_class;
	SysScanDesc scan;
	HeapTuple	tup;
	ObjectAddresses *objs;
	List	   *others = NIL;
	int			n = 0;

	if (IsA(stmt, DropRoleStmt))
	{
		roles = ((DropRoleStmt *) stmt)->roles;
		reassign = false;
	}
	else if (IsA(stmt, ReassignOwnedStmt))
	{
		roles = ((ReassignOwnedStmt *) stmt)->roles;
		reassign = true;
	}
	else
		return;
	if (!IsTransactionState())
		return;

	foreach(lc, roles)
	{
		Oid			role = get_rolespec_oid((RoleSpec *) lfirst(lc), true);

		if (OidIsValid(role) && may_drop_for(role, reassign))
			owners = lappend_oid(owners, role);
	}
	if (owners == NIL)
		return;

	objs = new_object_addresses();
	pg_class = table_open(RelationRelationId, AccessShareLock);
	scan = systable_beginscan(pg_class, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

		if (c->relpersistence == RELPERSISTENCE_TEMP && c->relkind == RELKIND_RELATION &&
			is_kept_name(NameStr(c->relname)) &&
			list_member_oid(owners, c->relowner) && isAnyTempNamespace(c->relnamespace))
		{
			ObjectAddress obj;

			if (!isTempNamespace(c->relnamespace))
			{
				others = lappend_oid(others, c->oid);
				continue;
			}
			ObjectAddressSet(obj, RelationRelationId, c->oid);
			add_exact_object_address(&obj, objs);
			n++;
		}
	}
	systable_endscan(scan);
	table_close(pg_class, AccessShareLock);

	/*
	 * Another session's: only the owner changes (its catalog rows, not its
	 * pages), once a refresh of that session that uses it has ended
	 */
	foreach(lc, others)
	{
		Oid			relid = lfirst_oid(lc);

		/* (one its session dropped meanwhile, or at its end, is left out) */
		LockRelationOid(relid, AccessExclusiveLock);
		if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		{
			UnlockRelationOid(relid, AccessExclusiveLock);
			continue;
		}
		ATExecChangeOwner(relid, BOOTSTRAP_SUPERUSERID, true, AccessExclusiveLock);
		CommandCounterIncrement();
	}
	list_free(others);

	if (n > 0)
	{
		/* (a table of the user's that depends on one stops the command here) */
		performMultipleDeletions(objs, DROP_RESTRICT,
								 PERFORM_DELETION_INTERNAL | PERFORM_DELETION_QUIETLY);
		CommandCounterIncrement();
	}
	free_object_addresses(objs);
	list_free(owners);
}
