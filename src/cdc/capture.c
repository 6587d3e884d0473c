/*-------------------------------------------------------------------------
 *
 * capture.c
 *		The change-capture trigger and the change-log writer.
 *
 * dataeng.cdc_enable() installs dataeng_internal.capture() as AFTER STATEMENT
 * triggers with transition tables for INSERT, UPDATE and DELETE, and an
 * AFTER STATEMENT trigger for TRUNCATE.  Each changed row becomes one row of
 * dataeng_internal.change_log: change_id from dataeng_internal.change_id_seq, the top-level
 * transaction's xid8, the WAL insert position, the key, the old and new row
 * as jsonb.
 *
 * This is the hot path of every captured write, so it uses no SPI and no
 * per-row trigger calls: one call per statement reads the transition
 * tables and writes the change-log segment with heap_multi_insert() and
 * index_insert().  What it learns from the catalogs is cached (per captured
 * relation, and for the change log itself) until a relcache invalidation.
 *
 * Trigger arguments, written by cdc_enable(): changed_only, the columns to
 * capture and the columns to leave out (text[] literals, or empty).  The
 * partitions of a captured partitioned table get the triggers too: writes
 * that name a partition are recorded under the partitioned table.  A
 * partition's TRUNCATE empties part of that table: it is recorded as a 'T'
 * of the partitioned table whose pk names the partition and the condition
 * its rows met (dataeng_internal.capture_partition_truncate() on the partitions that
 * are not captured on their own).
 *
 * Values go through output functions (to_jsonb of ranges, floats, bytea,
 * intervals ...), so the trigger runs them under fixed settings of the
 * GUCs they read, as postgres_fdw does for the values it sends: the log
 * never depends on the writer's DateStyle or extra_float_digits.
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
#include "nodes/makefuncs.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/bytea.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/partcache.h"
#include "utils/pg_lsn.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/xid8.h"

#include "common/common.h"
#include "cdc/cdc.h"


/* GUC: how many consecutive change_ids go to one segment of the log */
static int	cdc_segment_size = 1000000;

/* GUCs: what consumers may hold (enforced in SQL, see dataeng_cdc_limits) */
int			cdc_max_consumers_per_role = 50;
int			cdc_consumer_max_lag_changes = 0;
int			cdc_consumer_max_age = 0;

/* Catalog facts about the change log, looked up once */
static bool log_oids_valid = false;
static Oid	log_seq_oid;
static Oid	log_segment_oid[CHANGE_LOG_SEGMENTS];

/* The indexes of one change-log segment, ready for index_insert() */
#define SEGMENT_MAX_INDEXES 8
typedef struct SegmentIndexes
{
	bool		valid;
	MemoryContext cxt;			/* holds the IndexInfos */
	int			nindexes;
	Oid			indexoid[SEGMENT_MAX_INDEXES];
	IndexInfo  *info[SEGMENT_MAX_INDEXES];
} SegmentIndexes;

static SegmentIndexes segment_indexes[CHANGE_LOG_SEGMENTS];

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
	{
		SegmentIndexes *si = &segment_indexes[i];
		int			k;

		if (!OidIsValid(relid) || relid == log_segment_oid[i])
		{
			log_oids_valid = false;
			si->valid = false;
		}
		for (k = 0; k < si->nindexes; k++)
			if (relid == si->indexoid[k])
				si->valid = false;
	}
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

	DefineCustomIntVariable("dataeng.max_consumers_per_role",
							"Most change-log consumers one role may own (0: no limit).",
							"Counts every consumer the role owns, those of its facts and "
							"dimensions included.  Superusers are exempt.",
							&cdc_max_consumers_per_role,
							50,
							0, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dataeng.consumer_max_lag_changes",
							"Most changes a consumer may hold back from dataeng.cdc_purge() (0: no limit).",
							"Past it, cdc_purge() marks the consumer expired and no longer keeps "
							"changes for it.",
							&cdc_consumer_max_lag_changes,
							0,
							0, INT_MAX,
							PGC_SUSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("dataeng.consumer_max_age",
							"Longest a consumer may hold back a change from dataeng.cdc_purge() (0: no limit).",
							"Past it, cdc_purge() marks the consumer expired and no longer keeps "
							"changes for it.",
							&cdc_consumer_max_age,
							0,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
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

	nsp = get_namespace_oid(dataeng_internal_schema(), true);
	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"%s\" does not exist", dataeng_internal_schema()),
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
 * cdc_check_log_layout
 *		C reads and writes the change log's segments by column position
 *		(CL_*): refuse a segment whose columns are not, in order, those
 *		names and types, so that a database whose SQL is not the library's
 *		(an ALTER EXTENSION UPDATE not yet run, a table altered by hand)
 *		gets a clear error instead of misread or miswritten changes.
 */
void
cdc_check_log_layout(Relation rel)
{
	static const struct
	{
		const char *name;
		Oid			type;
	}			cols[CL_NATTS] = {
		[CL_CHANGE_ID] = {"change_id", INT8OID},
		[CL_XID] = {"xid", XID8OID},
		[CL_LSN] = {"lsn", PG_LSNOID},
		[CL_CAPTURED_AT] = {"captured_at", TIMESTAMPTZOID},
		[CL_TABLE_OID] = {"table_oid", OIDOID},
		[CL_SEGMENT] = {"segment", INT2OID},
		[CL_OP] = {"op", CHAROID},
		[CL_PK] = {"pk", JSONBOID},
		[CL_OLD_ROW] = {"old_row", JSONBOID},
		[CL_NEW_ROW] = {"new_row", JSONBOID},
	};
	TupleDesc	desc = RelationGetDescr(rel);
	int			i;

	if (desc->natts != CL_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the dataeng change log has an unexpected shape"),
				 errdetail("\"%s\" has %d columns, expected %d.",
						   RelationGetRelationName(rel), desc->natts, CL_NATTS),
				 errhint("Run ALTER EXTENSION dataeng UPDATE, or reinstall the extension.")));
	for (i = 0; i < CL_NATTS; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->atttypid != cols[i].type ||
			strcmp(NameStr(att->attname), cols[i].name) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("the dataeng change log has an unexpected shape"),
					 errdetail("Column %d of \"%s\" is \"%s\" of type %s, expected \"%s\" of type %s.",
							   i + 1, RelationGetRelationName(rel),
							   att->attisdropped ? "(dropped)" : NameStr(att->attname),
							   format_type_be(att->atttypid), cols[i].name,
							   format_type_be(cols[i].type)),
					 errhint("Run ALTER EXTENSION dataeng UPDATE, or reinstall the extension.")));
	}
}

/*
 * cdc_log_segment
 *		The oid of segment i of the change log (for the readers).
 */
Oid
cdc_log_segment(int i)
{
	Assert(i >= 0 && i < CHANGE_LOG_SEGMENTS);
	lookup_log_oids();
	return log_segment_oid[i];
}

/*
 * cdc_column_set
 *		The attnums named in a text[] literal (trigger argument, or the
 *		column lists of cdc_tables for WAL capture), or NULL for an empty
 *		argument.  Names that no longer exist (a dropped column) are ignored.
 */
Bitmapset *
cdc_column_set(Relation rel, const char *literal)
{
	return cdc_column_set_desc(RelationGetDescr(rel), literal);
}

/*
 * cdc_column_set_desc
 *		cdc_column_set() of the columns of desc (a relation's, or the WAL
 *		worker's description of a table its transaction dropped).
 */
Bitmapset *
cdc_column_set_desc(TupleDesc desc, const char *literal)
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
		char	   *name;
		int			j;

		if (nulls[i])
			continue;
		name = TextDatumGetCString(elems[i]);
		for (j = 0; j < desc->natts; j++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, j);

			if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			{
				set = bms_add_member(set, j + 1);
				break;
			}
		}
	}
	return set;
}

/*
 * cdc_identity_columns
 *		The attnums identifying a row: the primary key, else the replica
 *		identity index, else NULL (the whole old row identifies it).  Trigger
 *		and WAL capture key their changes alike.
 */
Bitmapset *
cdc_identity_columns(Relation rel)
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
 * capture_source
 *		The table whose changes a capture trigger on rel records: the topmost
 *		partition ancestor of rel that is captured itself (has a trigger
 *		calling the capture function), else rel.  It is derived rather than
 *		stored in the trigger, so that a dump restored with new oids keeps
 *		working.
 */
static Oid
capture_source(Relation rel, Oid fnoid)
{
	Oid			source = RelationGetRelid(rel);
	Oid			cur = RelationGetRelid(rel);

	if (!rel->rd_rel->relispartition)
		return source;

	/*
	 * Ancestors from the immediate parent up to the root, a parent the
	 * partition is being detached from (DETACH ... CONCURRENTLY between
	 * its two transactions) included: the partition's rows are still that
	 * table's in the change log until the detach completes and records
	 * them as deletes (partition_rows.c), so its writes meanwhile are
	 * recorded there too.  (get_partition_ancestors() stops at such a
	 * parent.)
	 */
	while (get_rel_relispartition(cur))
	{
		Oid			parent = get_partition_parent(cur, true);
		Relation	ancestor = table_open(parent, AccessShareLock);
		TriggerDesc *td = ancestor->trigdesc;
		int			i;

		for (i = 0; td != NULL && i < td->numtriggers; i++)
		{
			if (td->triggers[i].tgfoid == fnoid)
			{
				source = parent;
				break;
			}
		}
		table_close(ancestor, AccessShareLock);
		cur = parent;
	}
	return source;
}

/*
 * capture_rel
 *		The cached facts about the relation a capture trigger fired on,
 *		(re)built from the trigger's arguments when needed.
 */
static CaptureRel *
capture_rel(TriggerData *trigdata, Oid fnoid)
{
	Relation	rel = trigdata->tg_relation;
	Oid			relid = RelationGetRelid(rel);
	Trigger    *trigger = trigdata->tg_trigger;
	CaptureRel *entry;
	bool		found;

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

	if (trigger->tgnargs != 3)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" on \"%s\" has %d arguments, expected 3",
						trigger->tgname, RelationGetRelationName(rel), trigger->tgnargs),
				 errhint("Install capture with dataeng.cdc_enable().")));

	entry->source = capture_source(rel, fnoid);
	entry->changed_only = (strcmp(trigger->tgargs[0], "true") == 0);

	entry->cxt = AllocSetContextCreate(CacheMemoryContext, "dataeng capture relation",
									   ALLOCSET_SMALL_SIZES);
	MemoryContextSetIdentifier(entry->cxt, RelationGetRelationName(rel));
	cdc_capture_maps(rel, trigger->tgargs[1], trigger->tgargs[2], &entry->rowmap,
					 &entry->keymap, &entry->has_key, entry->cxt);
	entry->valid = true;
	return entry;
}

/*
 * cdc_capture_maps
 *		The maps that render a row of rel as capture records it: the
 *		columns named in the text[] literal include (empty: all) but those
 *		named in exclude, and the key (primary key or replica identity;
 *		*has_key false without one).  Allocated in cxt.  The capture
 *		trigger and the recording of an attached or detached partition's
 *		rows (partition_rows.c) render alike.
 */
void
cdc_capture_maps(Relation rel, const char *include_literal, const char *exclude_literal,
				 RowJsonbMap *rowmap, RowJsonbMap *keymap, bool *has_key, MemoryContext cxt)
{
	TupleDesc	desc = RelationGetDescr(rel);
	Bitmapset  *include,
			   *exclude,
			   *capture = NULL,
			   *key;
	int			i;

	include = cdc_column_set(rel, include_literal);
	exclude = cdc_column_set(rel, exclude_literal);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (include_literal != NULL && include_literal[0] != '\0' &&
			!bms_is_member(att->attnum, include))
			continue;
		if (bms_is_member(att->attnum, exclude))
			continue;
		capture = bms_add_member(capture, att->attnum);
	}
	key = cdc_identity_columns(rel);

	/* an empty set would mean "every column" to the map */
	if (capture == NULL)
		capture = bms_make_singleton(0);
	dataeng_row_jsonb_map_init(rowmap, desc, capture, cxt);
	*has_key = (key != NULL);
	if (key != NULL)
		dataeng_row_jsonb_map_init(keymap, desc, key, cxt);
}

/*
 * segment_index_info
 *		The indexes of a change-log segment and their IndexInfo, built once
 *		and kept until a relcache invalidation of the segment or an index.
 */
static SegmentIndexes *
segment_index_info(int segment, Relation rel)
{
	SegmentIndexes *si = &segment_indexes[segment];
	List	   *indexes;
	ListCell   *lc;
	MemoryContext old;

	if (si->valid)
		return si;

	if (si->cxt == NULL)
		si->cxt = AllocSetContextCreate(CacheMemoryContext,
										"dataeng change log indexes",
										ALLOCSET_SMALL_SIZES);
	else
		MemoryContextReset(si->cxt);
	si->nindexes = 0;
	indexes = RelationGetIndexList(rel);
	if (list_length(indexes) > SEGMENT_MAX_INDEXES)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the change log has more than %d indexes", SEGMENT_MAX_INDEXES),
				 errhint("Drop the indexes you added to dataeng_internal.change_log.")));
	old = MemoryContextSwitchTo(si->cxt);
	foreach(lc, indexes)
	{
		Relation	index = index_open(lfirst_oid(lc), AccessShareLock);
		IndexInfo  *ii = BuildIndexInfo(index);

		if (ii->ii_Expressions != NIL || ii->ii_Predicate != NIL)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("index \"%s\" on the change log is not supported",
							RelationGetRelationName(index)),
					 errdetail("Change capture maintains plain column indexes only."),
					 errhint("Drop the index.")));
		si->indexoid[si->nindexes] = lfirst_oid(lc);
		si->info[si->nindexes] = ii;
		si->nindexes++;
		index_close(index, AccessShareLock);
	}
	MemoryContextSwitchTo(old);
	list_free(indexes);
	si->valid = true;
	return si;
}

/*
 * The change-log writer (ChangeLogWriter, cdc/cdc.h): buffers change-log
 * rows and writes them in batches of CDC_WRITER_BATCH.  The capture
 * trigger writes a statement's rows with it, the WAL capture worker a
 * round's (wal_apply.c).
 */
void
cdc_writer_begin(ChangeLogWriter *w)
{
	lookup_log_oids();
	memset(w, 0, sizeof(*w));
	w->segment = -1;
	w->cid = GetCurrentCommandId(true);
	w->xid = FullTransactionIdGetDatum(GetTopFullTransactionId());
	w->captured_at = TimestampTzGetDatum(GetCurrentTimestamp());
	w->batchcxt = AllocSetContextCreate(CurrentMemoryContext,
										"dataeng change log batch",
										ALLOCSET_DEFAULT_SIZES);
	w->flushcxt = AllocSetContextCreate(CurrentMemoryContext,
										"dataeng change log flush",
										ALLOCSET_DEFAULT_SIZES);
}

/*
 * cdc_writer_flush
 *		Write the buffered rows to their segment and its indexes.
 */
void
cdc_writer_flush(ChangeLogWriter *w)
{
	int			i,
				k;
	MemoryContext old;

	if (w->nslots == 0)
		return;

	/*
	 * What the heap and the index AMs allocate for each row (the tuples'
	 * copies, btree insertion scan keys and search stacks) goes to a
	 * context reset after each batch: the trigger runs in a context that
	 * lives as long as the whole statement's trigger call, where it would
	 * add up to hundreds of bytes per row of the statement.
	 */
	old = MemoryContextSwitchTo(w->flushcxt);
	heap_multi_insert(w->rel, w->slots, w->nslots, w->cid, 0, w->bistate);

	for (k = 0; k < w->si->nindexes; k++)
	{
		Relation	index = index_open(w->si->indexoid[k], RowExclusiveLock);
		IndexInfo  *ii = w->si->info[k];

		for (i = 0; i < w->nslots; i++)
		{
			TupleTableSlot *slot = w->slots[i];
			Datum		ivalues[INDEX_MAX_KEYS];
			bool		inulls[INDEX_MAX_KEYS];
			int			c;

			for (c = 0; c < ii->ii_NumIndexAttrs; c++)
			{
				AttrNumber	attnum = ii->ii_IndexAttrNumbers[c];

				ivalues[c] = slot->tts_values[attnum - 1];
				inulls[c] = slot->tts_isnull[attnum - 1];
			}
			index_insert(index, ivalues, inulls, &slot->tts_tid, w->rel,
						 index->rd_index->indisunique ? UNIQUE_CHECK_YES : UNIQUE_CHECK_NO,
						 false, ii);
		}
		index_close(index, NoLock);
	}

	for (i = 0; i < w->nslots; i++)
		ExecClearTuple(w->slots[i]);
	MemoryContextSwitchTo(old);
	w->nslots = 0;
	w->batch_bytes = 0;
	MemoryContextReset(w->batchcxt);
	MemoryContextReset(w->flushcxt);
}

/*
 * writer_switch_segment
 *		Flush, then make segment the one the next rows go to.
 */
static void
writer_switch_segment(ChangeLogWriter *w, int segment)
{
	int			i;

	cdc_writer_flush(w);
	if (w->rel != NULL)
	{
		for (i = 0; i < CDC_WRITER_BATCH && w->slots[i] != NULL; i++)
		{
			ExecDropSingleTupleTableSlot(w->slots[i]);
			w->slots[i] = NULL;
		}
		FreeBulkInsertState(w->bistate);
		table_close(w->rel, NoLock);
	}

	w->rel = table_open(log_segment_oid[segment], RowExclusiveLock);
	cdc_check_log_layout(w->rel);
	w->si = segment_index_info(segment, w->rel);
	w->bistate = GetBulkInsertState();
	w->segment = segment;
}

/*
 * cdc_writer_next_id
 *		Take the change_id of the next change, and make its segment the
 *		current one.  Call it before building the change's values: a segment
 *		switch flushes the batch and frees the batch memory.
 */
int64
cdc_writer_next_id(ChangeLogWriter *w)
{
	int64		change_id = nextval_internal(log_seq_oid, false);
	int			segment = (int) ((change_id / cdc_segment_size) % CHANGE_LOG_SEGMENTS);

	if (segment != w->segment)
		writer_switch_segment(w, segment);
	return change_id;
}

/*
 * cdc_writer_add_at
 *		Buffer one change, whose change_id came from cdc_writer_next_id(),
 *		with its WAL position and capture time.  The jsonb values must live
 *		in w->batchcxt (or longer).
 */
void
cdc_writer_add_at(ChangeLogWriter *w, int64 change_id, Oid source, char op, XLogRecPtr lsn,
				  Datum captured_at, Jsonb *pk, Jsonb *oldrow, Jsonb *newrow)
{
	TupleTableSlot *slot;
	Datum	   *values;
	bool	   *nulls;

	if (w->slots[w->nslots] == NULL)
		w->slots[w->nslots] = MakeSingleTupleTableSlot(RelationGetDescr(w->rel),
													   &TTSOpsVirtual);
	slot = w->slots[w->nslots];
	ExecClearTuple(slot);
	values = slot->tts_values;
	nulls = slot->tts_isnull;

	memset(nulls, false, sizeof(bool) * CL_NATTS);
	values[CL_CHANGE_ID] = Int64GetDatum(change_id);
	values[CL_XID] = w->xid;
	values[CL_LSN] = LSNGetDatum(lsn);
	values[CL_CAPTURED_AT] = captured_at;
	values[CL_TABLE_OID] = ObjectIdGetDatum(source);
	values[CL_SEGMENT] = Int16GetDatum(w->segment);
	values[CL_OP] = CharGetDatum(op);
	values[CL_PK] = PointerGetDatum(pk);
	nulls[CL_PK] = (pk == NULL);
	values[CL_OLD_ROW] = PointerGetDatum(oldrow);
	nulls[CL_OLD_ROW] = (oldrow == NULL);
	values[CL_NEW_ROW] = PointerGetDatum(newrow);
	nulls[CL_NEW_ROW] = (newrow == NULL);
	ExecStoreVirtualTuple(slot);

	/*
	 * The flush materializes the rows before it frees their memory.  A
	 * batch ends at CDC_WRITER_BATCH rows, or sooner once their values take
	 * CDC_WRITER_BATCH_BYTES: 500 rows of large values held hundreds of
	 * times a row's size, in the WAL capture worker every role's.
	 */
	w->batch_bytes += (pk ? VARSIZE_ANY(pk) : 0) + (oldrow ? VARSIZE_ANY(oldrow) : 0) +
		(newrow ? VARSIZE_ANY(newrow) : 0);
	if (++w->nslots == CDC_WRITER_BATCH || w->batch_bytes >= CDC_WRITER_BATCH_BYTES)
		cdc_writer_flush(w);
}

/* a change of the statement being captured */
static void
writer_add(ChangeLogWriter *w, int64 change_id, Oid source, char op, Jsonb *pk,
		   Jsonb *oldrow, Jsonb *newrow)
{
	cdc_writer_add_at(w, change_id, source, op, GetXLogInsertRecPtr(), w->captured_at,
					  pk, oldrow, newrow);
}

/*
 * cdc_writer_end
 *		Write what is buffered and release the writer.
 */
void
cdc_writer_end(ChangeLogWriter *w)
{
	int			i;

	cdc_writer_flush(w);
	if (w->rel != NULL)
	{
		for (i = 0; i < CDC_WRITER_BATCH && w->slots[i] != NULL; i++)
			ExecDropSingleTupleTableSlot(w->slots[i]);
		FreeBulkInsertState(w->bistate);
		table_close(w->rel, NoLock);
	}
	MemoryContextDelete(w->batchcxt);
	MemoryContextDelete(w->flushcxt);
}

/*
 * capture_rows
 *		Record the rows of a statement's transition tables.  For UPDATE the
 *		old and new tables hold the two versions of each row in the same
 *		order.
 */
static void
capture_rows(TriggerData *trigdata, Oid fnoid, char op)
{
	Relation	rel = trigdata->tg_relation;
	TupleDesc	desc = RelationGetDescr(rel);
	CaptureRel *cr = capture_rel(trigdata, fnoid);
	Tuplestorestate *olds = (op == 'I') ? NULL : trigdata->tg_oldtable;
	Tuplestorestate *news = (op == 'D') ? NULL : trigdata->tg_newtable;
	TupleTableSlot *oslot = NULL,
			   *nslot = NULL;
	ChangeLogWriter w;

	if ((op != 'I' && olds == NULL) || (op != 'D' && news == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("trigger \"%s\" has no transition tables",
						trigdata->tg_trigger->tgname),
				 errhint("Install capture with dataeng.cdc_enable().")));

	if (olds)
	{
		oslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
		tuplestore_rescan(olds);
	}
	if (news)
	{
		nslot = MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple);
		tuplestore_rescan(news);
	}

	cdc_writer_begin(&w);
	for (;;)
	{
		TupleTableSlot *keyslot;
		int64		change_id;
		Jsonb	   *pk = NULL,
				   *oldrow = NULL,
				   *newrow = NULL;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (olds && !tuplestore_gettupleslot(olds, true, false, oslot))
			break;
		if (news && !tuplestore_gettupleslot(news, true, false, nslot))
			break;

		change_id = cdc_writer_next_id(&w);
		old = MemoryContextSwitchTo(w.batchcxt);
		if (oslot)
			slot_getallattrs(oslot);
		if (nslot)
			slot_getallattrs(nslot);
		keyslot = oslot ? oslot : nslot;

		if (cr->has_key)
			pk = dataeng_row_jsonb_build(&cr->keymap, keyslot, NULL);
		if (oslot)
			oldrow = dataeng_row_jsonb_build(&cr->rowmap, oslot, NULL);
		if (nslot)
		{
			Bitmapset  *changed = NULL;

			if (oslot && cr->changed_only)
			{
				changed = dataeng_row_jsonb_changed(&cr->rowmap, oslot, nslot);
				if (changed == NULL)
					changed = bms_make_singleton(0);	/* nothing changed: {} */
			}
			newrow = dataeng_row_jsonb_build(&cr->rowmap, nslot, changed);
		}
		MemoryContextSwitchTo(old);

		writer_add(&w, change_id, cr->source, op, pk, oldrow, newrow);
	}
	cdc_writer_end(&w);

	if (oslot)
		ExecDropSingleTupleTableSlot(oslot);
	if (nslot)
		ExecDropSingleTupleTableSlot(nslot);
}

/*
 * cdc_output_modes
 *		Make the output functions that capture reaches write what they write
 *		under the default settings, whatever the writer's session says.
 *		Returns the GUC nest level to give to AtEOXact_GUC(), or -1 when the
 *		settings already are right (the usual case costs four comparisons).
 *		The level is saved with GUC_ACTION_SAVE, so an error unwinds it with
 *		the (sub)transaction.
 */
int
cdc_output_modes(void)
{
	int			nestlevel;

	if (DateStyle == USE_ISO_DATES && IntervalStyle == INTSTYLE_POSTGRES &&
		extra_float_digits > 0 && bytea_output == BYTEA_OUTPUT_HEX)
		return -1;

	nestlevel = NewGUCNestLevel();
	if (DateStyle != USE_ISO_DATES)
		(void) set_config_option("datestyle", "ISO",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	if (IntervalStyle != INTSTYLE_POSTGRES)
		(void) set_config_option("intervalstyle", "postgres",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	/* any positive value gives the shortest exact text, as the default 1 */
	if (extra_float_digits <= 0)
		(void) set_config_option("extra_float_digits", "1",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	if (bytea_output != BYTEA_OUTPUT_HEX)
		(void) set_config_option("bytea_output", "hex",
								 PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/*
 * The relations whose TRUNCATE the current command has recorded.  One
 * TRUNCATE statement fires the TRUNCATE triggers of the table it names and
 * then of each of its partitions: the partitions' triggers must not record
 * anything more when an ancestor's TRUNCATE is already recorded.  (If
 * another trigger advances the command counter in between, a partition's
 * TRUNCATE is recorded after its table's: redundant, not wrong.)
 */
#define TRUNCATED_MAX 32
static FullTransactionId truncated_xid;
static CommandId truncated_cid = InvalidCommandId;
static int	truncated_n = 0;
static Oid	truncated_rels[TRUNCATED_MAX];

/*
 * truncated_in_command
 *		Whether relid's TRUNCATE was recorded by the current command; with
 *		remember, note that it is.
 */
static bool
truncated_in_command(Oid relid, bool remember)
{
	FullTransactionId xid = GetTopFullTransactionId();
	CommandId	cid = GetCurrentCommandId(true);
	int			i;

	if (!FullTransactionIdEquals(xid, truncated_xid) || cid != truncated_cid)
	{
		truncated_xid = xid;
		truncated_cid = cid;
		truncated_n = 0;
	}
	for (i = 0; i < truncated_n; i++)
		if (truncated_rels[i] == relid)
			return true;
	if (remember && truncated_n < TRUNCATED_MAX)
		truncated_rels[truncated_n++] = relid;
	return false;
}

/*
 * partition_truncate_pk
 *		What a partition's TRUNCATE removed from the table it belongs to:
 *		{"partition": its qualified name, "condition": its partition
 *		constraint, which the removed rows met, as SQL (null if it has none:
 *		every row)}.
 */
static Jsonb *
partition_truncate_pk(Relation rel)
{
	JsonbParseState *state = NULL;
	JsonbValue	v;
	JsonbValue *res;
	char	   *name;
	Expr	   *qual;

	name = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
									  RelationGetRelationName(rel));
	qual = get_partition_qual_relid(RelationGetRelid(rel));

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	v.type = jbvString;
	v.val.string.val = "partition";
	v.val.string.len = strlen("partition");
	pushJsonbValue(&state, WJB_KEY, &v);
	v.val.string.val = name;
	v.val.string.len = strlen(name);
	pushJsonbValue(&state, WJB_VALUE, &v);
	v.val.string.val = "condition";
	v.val.string.len = strlen("condition");
	pushJsonbValue(&state, WJB_KEY, &v);
	if (qual == NULL)
		v.type = jbvNull;
	else
	{
		char	   *cond;

		cond = deparse_expression((Node *) qual,
								  deparse_context_for(RelationGetRelationName(rel),
													  RelationGetRelid(rel)),
								  false, false);
		v.val.string.val = cond;
		v.val.string.len = strlen(cond);
	}
	pushJsonbValue(&state, WJB_VALUE, &v);
	res = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/*
 * capture_truncate
 *		Record the TRUNCATE of rel, whose changes are recorded under source:
 *		a plain 'T' when rel is the captured table itself, else (rel is a
 *		partition of it) a 'T' whose pk says which part was emptied, unless
 *		the TRUNCATE of an ancestor of rel was recorded by this command.
 */
static void
capture_truncate(Relation rel, Oid source)
{
	Oid			relid = RelationGetRelid(rel);
	ChangeLogWriter w;
	Jsonb	   *pk = NULL;

	if (source != relid)
	{
		ListCell   *lc;

		foreach(lc, get_partition_ancestors(relid))
		{
			if (truncated_in_command(lfirst_oid(lc), false))
			{
				(void) truncated_in_command(relid, true);
				return;
			}
		}
		pk = partition_truncate_pk(rel);
	}
	(void) truncated_in_command(relid, true);

	cdc_writer_begin(&w);
	writer_add(&w, cdc_writer_next_id(&w), source, 'T', pk, NULL, NULL);
	cdc_writer_end(&w);
}

/*
 * check_statement_trigger
 *		Refuse to run as anything but an AFTER ... FOR EACH STATEMENT
 *		trigger.
 */
static void
check_statement_trigger(FunctionCallInfo fcinfo, const char *fname)
{
	TriggerEvent ev;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", fname)));
	ev = ((TriggerData *) fcinfo->context)->tg_event;
	if (!TRIGGER_FIRED_AFTER(ev) || TRIGGER_FIRED_FOR_ROW(ev))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be fired AFTER ... FOR EACH STATEMENT", fname),
				 errhint("Install capture with dataeng.cdc_enable().")));
}

PG_FUNCTION_INFO_V1(dataeng_capture);

/*
 * dataeng_capture
 *		The capture trigger: record the rows a statement changed (or the
 *		TRUNCATE).
 */
Datum
dataeng_capture(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent ev;
	int			nestlevel;

	check_statement_trigger(fcinfo, "dataeng_internal.capture()");
	ev = trigdata->tg_event;

	nestlevel = cdc_output_modes();
	if (TRIGGER_FIRED_BY_TRUNCATE(ev))
	{
		CaptureRel *cr = capture_rel(trigdata, fcinfo->flinfo->fn_oid);

		capture_truncate(trigdata->tg_relation, cr->source);
	}
	else if (TRIGGER_FIRED_BY_INSERT(ev))
		capture_rows(trigdata, fcinfo->flinfo->fn_oid, 'I');
	else if (TRIGGER_FIRED_BY_UPDATE(ev))
		capture_rows(trigdata, fcinfo->flinfo->fn_oid, 'U');
	else
		capture_rows(trigdata, fcinfo->flinfo->fn_oid, 'D');
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);

	return PointerGetDatum(NULL);
}

PG_FUNCTION_INFO_V1(dataeng_capture_partition_truncate);

/*
 * dataeng_capture_partition_truncate
 *		AFTER TRUNCATE trigger of the partitions of a captured partitioned
 *		table (those not captured on their own): record what the TRUNCATE
 *		of the partition removed from the captured table.
 */
Datum
dataeng_capture_partition_truncate(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	Oid			capture_fn;
	Oid			source;
	int			nestlevel;

	check_statement_trigger(fcinfo, "dataeng_internal.capture_partition_truncate()");
	if (!TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("dataeng_internal.capture_partition_truncate() must be fired by TRUNCATE"),
				 errhint("Install capture with dataeng.cdc_enable().")));
	rel = trigdata->tg_relation;

	capture_fn = LookupFuncName(list_make2(makeString(pstrdup(dataeng_internal_schema())), makeString("capture")),
								0, NULL, false);
	source = capture_source(rel, capture_fn);
	/* a partition no longer under a captured table: nothing to record */
	if (source == RelationGetRelid(rel))
		return PointerGetDatum(NULL);

	nestlevel = cdc_output_modes();
	capture_truncate(rel, source);
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
	return PointerGetDatum(NULL);
}
