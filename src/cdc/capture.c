/*-------------------------------------------------------------------------
 *
 * capture.c
 *		The change-capture trigger and the change-log writer.
 *
 * dataeng.cdc_enable() installs dataeng.capture() as an AFTER ROW trigger
 * for INSERT, UPDATE and DELETE and an AFTER STATEMENT trigger for TRUNCATE.
 * Each change becomes one row of dataeng.change_log: change_id from
 * dataeng.change_id_seq, the top-level transaction's xid8, the WAL insert
 * position, the key, the old and new row as jsonb.
 *
 * This is the hot path of every captured write, so it uses no SPI: the
 * change-log segment is written with heap_insert() and its indexes with
 * index_insert(), and everything learned from the catalogs is cached (per
 * captured relation, and for the change log itself) until a relcache
 * invalidation says it changed.
 *
 * Trigger arguments, written by cdc_enable(): the oid of the table capture
 * was enabled on (a partitioned table's partitions fire the cloned trigger
 * but record the parent), changed_only, the columns to capture and the
 * columns to leave out (text[] literals, or empty).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "dataeng.h"

#define CHANGE_LOG_SEGMENTS 4

/* column numbers of dataeng.change_log */
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

/* GUC: how many consecutive change_ids go to one segment of the log */
static int	cdc_segment_size = 1000000;

/* Catalog facts about the change log, looked up once */
static bool log_oids_valid = false;
static Oid	log_seq_oid;
static Oid	log_segment_oid[CHANGE_LOG_SEGMENTS];

/* What we know about one captured relation */
typedef struct CaptureRel
{
	Oid			relid;			/* hash key */
	bool		valid;
	MemoryContext cxt;
	Oid			source;			/* table recorded in the log */
	bool		changed_only;
	RowJsonbMap rowmap;			/* captured columns */
	bool		has_key;
	RowJsonbMap keymap;			/* primary key / replica identity columns */
} CaptureRel;

static HTAB *capture_rels = NULL;

/*
 * capture_relcache_callback
 *		Forget cached facts about a relation that changed (or all of them).
 */
static void
capture_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	if (capture_rels != NULL)
	{
		if (OidIsValid(relid))
		{
			CaptureRel *entry = hash_search(capture_rels, &relid, HASH_FIND, NULL);

			if (entry)
				entry->valid = false;
		}
		else
		{
			HASH_SEQ_STATUS status;
			CaptureRel *entry;

			hash_seq_init(&status, capture_rels);
			while ((entry = hash_seq_search(&status)) != NULL)
				entry->valid = false;
		}
	}

	if (!OidIsValid(relid) || relid == log_seq_oid)
		log_oids_valid = false;
	for (i = 0; i < CHANGE_LOG_SEGMENTS; i++)
		if (relid == log_segment_oid[i])
			log_oids_valid = false;
}

/*
 * dataeng_cdc_init
 *		Called from _PG_init: GUCs and cache callbacks of change capture.
 */
void
dataeng_cdc_init(void)
{
	DefineCustomIntVariable("dataeng.cdc_segment_size",
							"Number of consecutive change_ids stored in one segment of the change log.",
							"The change log has four segments; dataeng.cdc_purge() empties a segment "
							"with TRUNCATE once every consumer has acknowledged all of its changes.",
							&cdc_segment_size,
							1000000,
							1, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	CacheRegisterRelcacheCallback(capture_relcache_callback, (Datum) 0);
}

/*
 * lookup_log_oids
 *		Find the change-log sequence and segments of the installed extension.
 */
static void
lookup_log_oids(void)
{
	Oid			nsp;
	int			i;

	if (log_oids_valid)
		return;

	nsp = get_namespace_oid(DATAENG_SCHEMA, true);
	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" does not exist", DATAENG_SCHEMA),
				 errhint("Run CREATE EXTENSION dataeng, or drop the leftover capture triggers.")));

	log_seq_oid = get_relname_relid("change_id_seq", nsp);
	for (i = 0; i < CHANGE_LOG_SEGMENTS; i++)
	{
		char		name[NAMEDATALEN];

		snprintf(name, sizeof(name), "change_log_%d", i);
		log_segment_oid[i] = get_relname_relid(name, nsp);
		if (!OidIsValid(log_segment_oid[i]))
			log_seq_oid = InvalidOid;
	}
	if (!OidIsValid(log_seq_oid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the dataeng change log is missing"),
				 errhint("Reinstall the extension with DROP EXTENSION dataeng CASCADE; CREATE EXTENSION dataeng.")));
	log_oids_valid = true;
}

/*
 * column_set
 *		The attnums named in a text[] literal (trigger argument), or NULL for
 *		an empty argument.  Names that no longer exist (a dropped column) are
 *		ignored.
 */
static Bitmapset *
column_set(Relation rel, const char *literal)
{
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;
	Bitmapset  *set = NULL;

	if (literal == NULL || literal[0] == '\0')
		return NULL;

	arr = DatumGetArrayTypeP(OidInputFunctionCall(F_ARRAY_IN, (char *) literal,
												  TEXTOID, -1));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		AttrNumber	attnum;

		if (nulls[i])
			continue;
		attnum = get_attnum(RelationGetRelid(rel), TextDatumGetCString(elems[i]));
		if (attnum > 0)
			set = bms_add_member(set, attnum);
	}
	return set;
}

/*
 * identity_columns
 *		The attnums identifying a row: the primary key, else the replica
 *		identity index, else NULL (the whole old row identifies it).
 */
static Bitmapset *
identity_columns(Relation rel)
{
	Oid			indexoid = RelationGetPrimaryKeyIndex(rel);
	Relation	index;
	Bitmapset  *set = NULL;
	int			i;

	if (!OidIsValid(indexoid))
		indexoid = RelationGetReplicaIndex(rel);
	if (!OidIsValid(indexoid))
		return NULL;

	index = index_open(indexoid, AccessShareLock);
	for (i = 0; i < index->rd_index->indnkeyatts; i++)
	{
		AttrNumber	attnum = index->rd_index->indkey.values[i];

		if (attnum > 0)
			set = bms_add_member(set, attnum);
	}
	index_close(index, AccessShareLock);
	return set;
}

/*
 * capture_rel
 *		The cached facts about the relation a capture trigger fired on,
 *		(re)built from the trigger's arguments when needed.
 */
static CaptureRel *
capture_rel(TriggerData *trigdata)
{
	Relation	rel = trigdata->tg_relation;
	Oid			relid = RelationGetRelid(rel);
	Trigger    *trigger = trigdata->tg_trigger;
	CaptureRel *entry;
	bool		found;
	Bitmapset  *include,
			   *exclude,
			   *capture,
			   *key;
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (capture_rels == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CaptureRel);
		ctl.hcxt = CacheMemoryContext;
		capture_rels = hash_create("dataeng capture relations", 64, &ctl,
								   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	entry = hash_search(capture_rels, &relid, HASH_ENTER, &found);
	if (found && entry->valid)
		return entry;
	if (found && entry->cxt)
		MemoryContextDelete(entry->cxt);
	entry->cxt = NULL;
	entry->valid = false;

	if (trigger->tgnargs != 4)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on \"%s\" has %d arguments, expected 4",
						trigger->tgname, RelationGetRelationName(rel), trigger->tgnargs),
				 errhint("Install capture with dataeng.cdc_enable().")));

	entry->source = DatumGetObjectId(DirectFunctionCall1(oidin,
														 CStringGetDatum(trigger->tgargs[0])));
	if (entry->source != relid &&
		!list_member_oid(get_partition_ancestors(relid), entry->source))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on \"%s\" records changes of another table",
						trigger->tgname, RelationGetRelationName(rel)),
				 errhint("Install capture with dataeng.cdc_enable().")));
	entry->changed_only = (strcmp(trigger->tgargs[1], "true") == 0);

	include = column_set(rel, trigger->tgargs[2]);
	exclude = column_set(rel, trigger->tgargs[3]);
	capture = NULL;
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (trigger->tgargs[2][0] != '\0' && !bms_is_member(att->attnum, include))
			continue;
		if (bms_is_member(att->attnum, exclude))
			continue;
		capture = bms_add_member(capture, att->attnum);
	}
	key = identity_columns(rel);

	entry->cxt = AllocSetContextCreate(CacheMemoryContext, "dataeng capture relation",
									   ALLOCSET_SMALL_SIZES);
	MemoryContextSetIdentifier(entry->cxt, RelationGetRelationName(rel));
	/* an empty set would mean "every column" to the map */
	if (capture == NULL)
		capture = bms_make_singleton(0);
	row_jsonb_map_init(&entry->rowmap, desc, capture, entry->cxt);
	entry->has_key = (key != NULL);
	if (key != NULL)
		row_jsonb_map_init(&entry->keymap, desc, key, entry->cxt);
	entry->valid = true;
	return entry;
}

/*
 * change_log_write
 *		Append one change to the change log: heap tuple plus index entries,
 *		without the executor.
 */
static void
change_log_write(Oid source, char op, Jsonb *pk, Jsonb *oldrow, Jsonb *newrow)
{
	Datum		values[CL_NATTS];
	bool		nulls[CL_NATTS];
	int64		change_id;
	int			segment;
	Relation	rel;
	HeapTuple	tuple;
	List	   *indexes;
	ListCell   *lc;

	lookup_log_oids();

	change_id = nextval_internal(log_seq_oid, false);
	segment = (int) ((change_id / cdc_segment_size) % CHANGE_LOG_SEGMENTS);

	memset(nulls, false, sizeof(nulls));
	values[CL_CHANGE_ID] = Int64GetDatum(change_id);
	values[CL_XID] = FullTransactionIdGetDatum(GetTopFullTransactionId());
	values[CL_LSN] = LSNGetDatum(GetXLogInsertRecPtr());
	values[CL_CAPTURED_AT] = TimestampTzGetDatum(GetCurrentTimestamp());
	values[CL_TABLE_OID] = ObjectIdGetDatum(source);
	values[CL_SEGMENT] = Int16GetDatum(segment);
	values[CL_OP] = CharGetDatum(op);
	values[CL_PK] = PointerGetDatum(pk);
	nulls[CL_PK] = (pk == NULL);
	values[CL_OLD_ROW] = PointerGetDatum(oldrow);
	nulls[CL_OLD_ROW] = (oldrow == NULL);
	values[CL_NEW_ROW] = PointerGetDatum(newrow);
	nulls[CL_NEW_ROW] = (newrow == NULL);

	rel = table_open(log_segment_oid[segment], RowExclusiveLock);
	if (RelationGetDescr(rel)->natts != CL_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the dataeng change log has an unexpected shape"),
				 errdetail("\"%s\" has %d columns, expected %d.",
						   RelationGetRelationName(rel),
						   RelationGetDescr(rel)->natts, CL_NATTS)));

	tuple = heap_form_tuple(RelationGetDescr(rel), values, nulls);
	heap_insert(rel, tuple, GetCurrentCommandId(true), 0, NULL);

	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), RowExclusiveLock);
		IndexInfo  *ii = BuildIndexInfo(index);
		Datum		ivalues[INDEX_MAX_KEYS];
		bool		inulls[INDEX_MAX_KEYS];
		int			k;

		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("index \"%s\" on the change log is not supported",
							RelationGetRelationName(index)),
					 errdetail("Change capture maintains plain column indexes only."),
					 errhint("Drop the index, or index dataeng.changes through a copy of the data.")));
		for (k = 0; k < ii->ii_NumIndexAttrs; k++)
		{
			AttrNumber	attnum = ii->ii_IndexAttrNumbers[k];

			ivalues[k] = values[attnum - 1];
			inulls[k] = nulls[attnum - 1];
		}
		index_insert(index, ivalues, inulls, &tuple->t_self, rel,
					 index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
					 false, ii);
		index_close(index, NoLock);
	}
	list_free(indexes);
	table_close(rel, NoLock);
	heap_freetuple(tuple);
}

PG_FUNCTION_INFO_V1(dataeng_capture);

/*
 * dataeng_capture
 *		The capture trigger: record the row change (or the TRUNCATE).
 */
Datum
dataeng_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	CaptureRel *cr;
	Jsonb	   *pk = NULL,
			   *oldrow = NULL,
			   *newrow = NULL;
	char		op;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng.capture() must be called as a trigger")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng.capture() must be fired AFTER the change")));

	desc = RelationGetDescr(trigdata->tg_relation);

	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
	{
		Oid			source;

		if (trigdata->tg_trigger->tgnargs < 1)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("dataeng.capture() needs the table as its first argument")));
		source = DatumGetObjectId(DirectFunctionCall1(oidin,
													  CStringGetDatum(trigdata->tg_trigger->tgargs[0])));
		if (source != RelationGetRelid(trigdata->tg_relation))
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("trigger \"%s\" records changes of another table",
							trigdata->tg_trigger->tgname)));
		change_log_write(source, 'T', NULL, NULL, NULL);
		return PointerGetDatum(NULL);
	}

	if (!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng.capture() must be fired FOR EACH ROW for INSERT, UPDATE and DELETE")));

	cr = capture_rel(trigdata);

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		op = 'I';
		if (cr->has_key)
			pk = row_jsonb_build(&cr->keymap, trigdata->tg_trigtuple, desc, NULL);
		newrow = row_jsonb_build(&cr->rowmap, trigdata->tg_trigtuple, desc, NULL);
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		Bitmapset  *changed = NULL;

		op = 'U';
		if (cr->has_key)
			pk = row_jsonb_build(&cr->keymap, trigdata->tg_trigtuple, desc, NULL);
		oldrow = row_jsonb_build(&cr->rowmap, trigdata->tg_trigtuple, desc, NULL);
		if (cr->changed_only)
		{
			changed = row_jsonb_changed(&cr->rowmap, trigdata->tg_trigtuple,
										trigdata->tg_newtuple, desc);
			if (changed == NULL)
				changed = bms_make_singleton(0);	/* nothing changed: {} */
		}
		newrow = row_jsonb_build(&cr->rowmap, trigdata->tg_newtuple, desc, changed);
	}
	else
	{
		op = 'D';
		if (cr->has_key)
			pk = row_jsonb_build(&cr->keymap, trigdata->tg_trigtuple, desc, NULL);
		oldrow = row_jsonb_build(&cr->rowmap, trigdata->tg_trigtuple, desc, NULL);
	}

	change_log_write(cr->source, op, pk, oldrow, newrow);
	return PointerGetDatum(NULL);
}
