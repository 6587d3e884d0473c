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

 * Only the tables dataeng keeps (kept_names), and only as it makes them
 * (kept_table_plain): a table of the role's own of such a name, with a
 * rule, a trigger, an index, a grant or anything else that runs or is
 * checked with its owner's rights, is left to the command as PostgreSQL
 * would have it.  (Given to the bootstrap superuser, a table the role made
 * with a rule ON INSERT DO ALSO UPDATE pg_authid and INSERT granted to
 * PUBLIC made the role a superuser: a rule's actions are checked with the
 * rights of its table's owner.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
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

/*
 * kept_table_plain
 *		Whether relid is a table as _agg_temp_kept
 *		makes it (delta.c, agg_temp_make): a plain heap of columns of
 *		built-in types and collations, with no default, generated or
 *		identity column, no constraint but NOT NULL, no index, rule,
 *		trigger, policy, extended statistics, inheritance or typed-table
 *		link, no sequence owned by it (ALTER SEQUENCE ... OWNED BY: a
 *		change of the table's owner gives it the role's sequence too), and
 *		no grant (a NULL ACL, its columns' too).  Nothing of it runs, nor
 *		is checked, with its owner's rights, and nothing else of the role
 *		goes with it: it may be given to another role.
 */
static bool
kept_table_plain(Oid relid)
{
	Relation	rel;
	TupleDesc	desc;
	HeapTuple	tup;
	bool		isnull;
	bool		plain;
	int			i;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	(void) SysCacheGetAttr(RELOID, tup, Anum_pg_class_relacl, &isnull);
	ReleaseSysCache(tup);
	if (!isnull)
		return false;

	rel = relation_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	plain = rel->rd_rel->relkind == RELKIND_RELATION &&
		rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP &&
		!OidIsValid(rel->rd_rel->reloftype) &&
		rel->rd_rules == NULL && rel->trigdesc == NULL &&
		!rel->rd_rel->relrowsecurity && !rel->rd_rel->relforcerowsecurity &&
		rel->rd_rsdesc == NULL &&
		!rel->rd_rel->relhassubclass && !rel->rd_rel->relispartition &&
		!has_superclass(relid) &&
		RelationGetIndexList(rel) == NIL && RelationGetStatExtList(rel) == NIL &&
		getOwnedSequences(relid) == NIL &&
		(desc->constr == NULL ||
		 (desc->constr->defval == NULL && desc->constr->num_defval == 0 &&
		  desc->constr->num_check == 0 && !desc->constr->has_generated_stored));
	for (i = 0; plain && i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);

		if (a->attisdropped)
			continue;
		if (a->atttypid >= FirstNormalObjectId || a->attcollation >= FirstNormalObjectId ||
			a->atthasdef || a->attgenerated || a->attidentity)
			plain = false;
		else
		{
			tup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(relid), Int16GetDatum(a->attnum));
			if (!HeapTupleIsValid(tup))
				plain = false;
			else
			{
				(void) SysCacheGetAttr(ATTNUM, tup, Anum_pg_attribute_attacl, &isnull);
				plain = isnull;
				ReleaseSysCache(tup);
			}
		}
	}
	relation_close(rel, NoLock);
	return plain;
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
			/* (this session's: nothing else changes it meanwhile) */
			if (!kept_table_plain(c->oid))
				continue;
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
		/* (checked under the lock: a rule added since is seen) */
		if (!kept_table_plain(relid))
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
