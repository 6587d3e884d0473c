/*-------------------------------------------------------------------------
 *
 * wal_generated.c
 *		The stored generated columns of a table captured from the WAL that a
 *		transaction wrote and then dropped: described by the DROP, checked
 *		and prepared by the worker.
 *
 * pgoutput (PostgreSQL 15) leaves a stored generated column's value out of
 * a change; for a table that still exists the worker computes it with the
 * table's expression (wal_apply.c, ExecComputeStoredGenerated).  A table
 * dropped by the transaction that wrote it is gone, with its expressions,
 * when the worker decodes that transaction.  So the DROP (ddl.c,
 * wal_describe_dropped) takes each such expression from the catalog, as
 * PostgreSQL stored it (pg_attrdef.adbin, a node tree: never SQL text to
 * be parsed again, which the worker's names could resolve otherwise), its
 * columns renumbered to their places in the description's column_names,
 * and writes it beside the column's name in the table's row of
 * dataeng_internal.cdc_wal_dropped.  A column made a plain one in that
 * transaction (ALTER COLUMN ... DROP EXPRESSION) is described too, by the
 * expression its catalog row had before (the version of pg_attrdef this
 * transaction deleted): the changes written before that ALTER leave its
 * value out, those after it carry it.
 *
 * What the worker evaluates must be that expression and nothing else, and
 * as the table's owner (wal_row_enter: restricted, a pinned search_path,
 * a time limit), never as its own superuser.  The row is written by the
 * DROP alone (only dataeng's owner may write the table) and read for the
 * transaction that wrote it; on top of that, both the DROP and the worker
 * accept an expression only when it is made of a closed set of nodes
 * (operators, functions, casts, CASE, COALESCE, ... of the table's own
 * columns) whose functions and types are all built in, the functions
 * immutable, as a generation expression's are (cdc_wal_gen_check): a
 * built-in function can be neither dropped nor replaced, nor can its oid
 * be given to another one, between the DROP and the worker's round, where
 * a role's function could be, and so could run code the table's owner
 * never wrote; and an expression put in the row by other means than the
 * DROP still calls no function that reads or writes anything.  A table whose generated column is
 * not such an expression, or was added, changed (its type, its
 * expression), renamed or dropped by the dropping transaction (the
 * changes written before that cannot be told from those after), or reads
 * a column renamed or dropped in it, keeps the DROP's WARNING: its changes
 * of that transaction are not captured.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_proc.h"
#include "nodes/bitmapset.h"
#include "nodes/nodeFuncs.h"
#include "nodes/nodes.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteManip.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "cdc/wal.h"

typedef struct GenCheck
{
	int			natts;
	const char *why;
} GenCheck;

/*
 * a function not built in, or not immutable (check_functions_in_node's
 * callback): a generation expression calls immutable functions alone
 * (PostgreSQL's own check of it, contain_mutable_functions, is this one)
 */
static bool
gen_func_refused(Oid funcid, void *context)
{
	return funcid >= FirstNormalObjectId || func_volatile(funcid) != PROVOLATILE_IMMUTABLE;
}

static bool
gen_check_walker(Node *node, GenCheck *c)
{
	if (node == NULL)
		return false;
	if (IsA(node, List))
		return expression_tree_walker(node, gen_check_walker, (void *) c);
	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *v = (Var *) node;

				if (v->varno != 1 || v->varlevelsup != 0 || v->varattno < 1 ||
					v->varattno > c->natts)
				{
					c->why = "it reads something else than a column of the table";
					return true;
				}
				break;
			}
		case T_Const:
			{
				Const	   *k = (Const *) node;
				int16		typlen;
				bool		typbyval;

				/*
				 * (a value of another length or passing than its type's
				 * is read as something else by the functions it is given)
				 */
				if (k->consttype < FirstNormalObjectId)
				{
					get_typlenbyval(k->consttype, &typlen, &typbyval);
					if (k->constlen != typlen || k->constbyval != typbyval)
					{
						c->why = "it has a constant stored otherwise than its type's values";
						return true;
					}
				}
				break;
			}
		case T_ScalarArrayOpExpr:
			{
				ScalarArrayOpExpr *s = (ScalarArrayOpExpr *) node;

				/*
				 * The executor calls these functions too when they are set
				 * (check_functions_in_node looks at opfuncid alone); the
				 * planner sets them, a generation expression never has
				 * them.
				 */
				if (OidIsValid(s->hashfuncid) || OidIsValid(s->negfuncid))
				{
					c->why = "it has an = ANY or <> ALL of a hash table, which a generation expression never has";
					return true;
				}
				break;
			}
		case T_FuncExpr:
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
		case T_BoolExpr:
		case T_RelabelType:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_CollateExpr:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CaseTestExpr:
		case T_ArrayExpr:
		case T_CoalesceExpr:
		case T_MinMaxExpr:
		case T_NullTest:
		case T_BooleanTest:
			break;
		case T_SubscriptingRef:
			if (((SubscriptingRef *) node)->refcontainertype >= FirstNormalObjectId)
			{
				c->why = "it subscripts a type that is not built in";
				return true;
			}
			break;
		default:
			c->why = "it has an expression of a kind the worker does not evaluate for a dropped table";
			return true;
	}
	if (exprType(node) >= FirstNormalObjectId)
	{
		c->why = "it computes with a type that is not built in";
		return true;
	}
	if (check_functions_in_node(node, gen_func_refused, NULL))
	{
		c->why = "it calls a function that is not built in, or not immutable";
		return true;
	}
	return expression_tree_walker(node, gen_check_walker, (void *) c);
}

/*
 * cdc_wal_gen_check
 *		Why expr, the generation expression of a dropped table's column,
 *		whose Vars number the natts columns of its description, must not be
 *		evaluated by the worker; NULL when it may (see the file's header).
 */
const char *
cdc_wal_gen_check(Node *expr, int natts)
{
	GenCheck	c;

	c.natts = natts;
	c.why = NULL;
	(void) gen_check_walker(expr, &c);
	return c.why;
}

/* whether this transaction (or a subtransaction of it still going) wrote xid */
static bool
gen_xid_here(TransactionId xid)
{
	return TransactionIdIsValid(xid) && TransactionIdIsCurrentTransactionId(xid);
}

/* the transaction that deleted or updated a catalog tuple; invalid if none */
static TransactionId
gen_updater(HeapTupleHeader t)
{
	if (t->t_infomask & HEAP_XMAX_INVALID)
		return InvalidTransactionId;
	if (HEAP_XMAX_IS_LOCKED_ONLY(t->t_infomask))
		return InvalidTransactionId;
	return HeapTupleHeaderGetUpdateXid(t);
}

/*
 * gen_att_history
 *		What this transaction did to column attnum of relid, from the
 *		versions of its pg_attribute row it replaced (read with SnapshotAny:
 *		those versions are not visible any more): whether one of them was a
 *		stored generated column (*was_generated), and whether one had
 *		another name than name (*renamed).
 */
static void
gen_att_history(Oid relid, AttrNumber attnum, const char *name, bool *was_generated,
				bool *renamed)
{
	Relation	cat;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;

	*was_generated = false;
	*renamed = false;
	cat = table_open(AttributeRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_attribute_attrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attribute_attnum, BTEqualStrategyNumber, F_INT2EQ,
				Int16GetDatum(attnum));
	scan = systable_beginscan(cat, AttributeRelidNumIndexId, true, SnapshotAny, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tup);

		if (!gen_xid_here(gen_updater(tup->t_data)))
			continue;
		if (att->attgenerated == ATTRIBUTE_GENERATED_STORED)
			*was_generated = true;
		if (strcmp(NameStr(att->attname), name) != 0)
			*renamed = true;
	}
	systable_endscan(scan);
	table_close(cat, AccessShareLock);
}

/*
 * gen_attrdef
 *		The generation expression of column attnum of relid: the version of
 *		its pg_attrdef row visible now (deleted false), or the one this
 *		transaction deleted (deleted true: DROP EXPRESSION).  NULL with
 *		*why set when that version was written by this transaction too (the
 *		column added, or its type changed, after changes were written) or
 *		there is none.
 */
static Node *
gen_attrdef(Oid relid, AttrNumber attnum, bool deleted, const char **why)
{
	Relation	cat;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	Node	   *expr = NULL;
	int			found = 0;

	*why = NULL;
	cat = table_open(AttrDefaultRelationId, AccessShareLock);
	ScanKeyInit(&key[0], Anum_pg_attrdef_adrelid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relid));
	ScanKeyInit(&key[1], Anum_pg_attrdef_adnum, BTEqualStrategyNumber, F_INT2EQ,
				Int16GetDatum(attnum));
	scan = systable_beginscan(cat, AttrDefaultIndexId, true,
							  deleted ? SnapshotAny : NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		bin;

		if (deleted && !gen_xid_here(gen_updater(tup->t_data)))
			continue;
		found++;
		if (gen_xid_here(HeapTupleHeaderGetXmin(tup->t_data)))
		{
			*why = "a generated column of it was added, or its type or expression changed, in this transaction";
			break;
		}
		bin = heap_getattr(tup, Anum_pg_attrdef_adbin, RelationGetDescr(cat), &isnull);
		if (!isnull)
			expr = stringToNode(TextDatumGetCString(bin));
	}
	systable_endscan(scan);
	table_close(cat, AccessShareLock);
	if (*why == NULL && (found != 1 || expr == NULL))
		*why = "the expression of a generated column of it was not found";
	return *why ? NULL : expr;
}

/*
 * cdc_wal_gen_describe
 *		The stored generated columns of rel (and those made plain ones by
 *		this transaction), which the DROP describes: their names in
 *		*names, their expressions in *exprs (nodeToString, the Vars
 *		numbering the columns of colnames, the description's non-dropped
 *		columns in order, 1-based).  NULL, or why the worker could not
 *		compute them (the DROP then warns).
 */
const char *
cdc_wal_gen_describe(Relation rel, List **names, List **exprs)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Oid			relid = RelationGetRelid(rel);
	AttrMap    *map = make_attrmap(desc->natts);
	int			ncols = 0;
	int			i;

	*names = NIL;
	*exprs = NIL;
	for (i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped)
			map->attnums[i] = ++ncols;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		was_generated;
		bool		renamed;
		const char *why;
		Node	   *expr;
		Bitmapset  *reads = NULL;
		bool		whole_row;
		int			a;

		gen_att_history(relid, att->attnum, NameStr(att->attname), &was_generated, &renamed);
		/* (the changes before its DROP COLUMN had it, and it is gone) */
		if (att->attisdropped && was_generated)
			return "a generated column of it was dropped in this transaction";
		if (att->attisdropped)
			continue;
		if (att->attgenerated != ATTRIBUTE_GENERATED_STORED && !was_generated)
			continue;
		if (renamed)
			return "a generated column of it was renamed in this transaction";
		expr = gen_attrdef(relid, att->attnum, att->attgenerated != ATTRIBUTE_GENERATED_STORED,
						   &why);
		if (expr == NULL)
			return why;
		pull_varattnos(expr, 1, &reads);
		a = -1;
		while ((a = bms_next_member(reads, a)) >= 0)
		{
			AttrNumber	attnum = a + FirstLowInvalidHeapAttributeNumber;

			if (attnum < 1 || attnum > desc->natts)
				return "a generated column of it reads something else than its columns";
			if (TupleDescAttr(desc, attnum - 1)->attisdropped)
				return "a column a generated column of it reads was dropped in this transaction";
			gen_att_history(relid, attnum, NameStr(TupleDescAttr(desc, attnum - 1)->attname),
							&was_generated, &renamed);
			if (renamed)
				return "a column a generated column of it reads was renamed in this transaction";
		}
		expr = map_variable_attnos(expr, 1, 0, map, InvalidOid, &whole_row);
		if (whole_row)
			return "a generated column of it reads its whole row";
		why = cdc_wal_gen_check(expr, ncols);
		if (why != NULL)
			return psprintf("its generated column \"%s\" cannot be computed once it is gone: %s",
							NameStr(att->attname), why);
		*names = lappend(*names, pstrdup(NameStr(att->attname)));
		*exprs = lappend(*exprs, nodeToString(expr));
	}
	return NULL;
}
