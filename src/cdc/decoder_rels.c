/*-------------------------------------------------------------------------
 *
 * decoder_rels.c
 *		What the `dataeng` output plugin (decoder.c) knows about each table
 *		it decodes, worked out once per table and decoding session: its
 *		quoted schema and table names, whether include_tables /
 *		exclude_tables let it through, and per column the escaped name,
 *		how values are written (decoder_values.c), the output function, and
 *		whether the column belongs to the replica identity key.
 *
 * The cache lives in a memory context under the decoding context and is
 * forgotten when that context goes, normally or on error (a reset callback
 * clears the static pointer the invalidation callbacks use).  Relcache
 * invalidations (ALTER TABLE, decoded in WAL order under the historic
 * snapshot) mark an entry stale and it is rebuilt from the relation the
 * change comes with; a renamed schema marks every entry stale.
 *
 * Patterns: a comma-separated list; "*" matches any run of characters,
 * "\" makes the next character literal ("\*", "\,", "\.", "\\"), and double
 * quotes make every character between them literal.  A pattern with a "."
 * outside quotes and escapes is a schema pattern and a table pattern,
 * matched against the schema and the table apart (so "*" never spans the
 * dot, and a name with a dot in it is told from a schema); one without is
 * matched against the table name alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "miscadmin.h"
#include "catalog/dependency.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "nodes/bitmapset.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "common/common.h"
#include "cdc/decoder.h"

static HTAB *decoder_rels = NULL;
static MemoryContext decoder_rels_cxt = NULL;
static List *decoder_include = NIL;
static List *decoder_exclude = NIL;
static bool decoder_via_root = false;	/* publish_via_partition_root */
static bool callbacks_registered = false;

/* The cache's context is going: forget the pointers into it */
static void
rels_forget(void *arg)
{
	decoder_rels = NULL;
	decoder_rels_cxt = NULL;
	decoder_include = NIL;
	decoder_exclude = NIL;
}

static void
rels_invalidate_rel(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS seq;
	DecoderRel *entry;

	if (decoder_rels == NULL)
		return;
	if (OidIsValid(relid) && !decoder_via_root)
	{
		entry = hash_search(decoder_rels, &relid, HASH_FIND, NULL);
		if (entry != NULL)
			entry->valid = false;
		return;
	}
	/* also the partitions whose records name that root */
	hash_seq_init(&seq, decoder_rels);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (!OidIsValid(relid) || entry->relid == relid || entry->root_relid == relid)
			entry->valid = false;
	}
}

static void
rels_invalidate_all(Datum arg, int cacheid, uint32 hashvalue)
{
	rels_invalidate_rel(arg, InvalidOid);
}

/*
 * decoder_rels_init
 *		Start an empty cache under parent, with the table filters.
 */
void
decoder_rels_init(MemoryContext parent, List *include, List *exclude, bool via_root)
{
	HASHCTL		ctl;
	MemoryContextCallback *cb;

	decoder_rels_cxt = AllocSetContextCreate(parent, "dataeng decoder relations",
											 ALLOCSET_DEFAULT_SIZES);
	cb = MemoryContextAlloc(decoder_rels_cxt, sizeof(MemoryContextCallback));
	cb->func = rels_forget;
	cb->arg = NULL;
	MemoryContextRegisterResetCallback(decoder_rels_cxt, cb);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(DecoderRel);
	ctl.hcxt = decoder_rels_cxt;
	decoder_rels = hash_create("dataeng decoder relations", 128, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	decoder_include = include;
	decoder_exclude = exclude;
	decoder_via_root = via_root;

	if (!callbacks_registered)
	{
		CacheRegisterRelcacheCallback(rels_invalidate_rel, (Datum) 0);
		CacheRegisterSyscacheCallback(NAMESPACEOID, rels_invalidate_all, (Datum) 0);
		callbacks_registered = true;
	}
}

/* A quoted, escaped copy of s in the current memory context */
static char *
json_string(const char *s, const char *suffix)
{
	StringInfoData buf;

	initStringInfo(&buf);
	decoder_escape(&buf, s, strlen(s));
	appendStringInfoString(&buf, suffix);
	return buf.data;
}

static DecoderKind
kind_of(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return DK_INT2;
		case INT4OID:
			return DK_INT4;
		case INT8OID:
			return DK_INT8;
		case OIDOID:
			return DK_OID;
		case BOOLOID:
			return DK_BOOL;
		case FLOAT4OID:
		case FLOAT8OID:
			return DK_FLOAT;
		case NUMERICOID:
			return DK_NUMERIC;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return DK_TEXT;
		case NAMEOID:
			return DK_NAME;
		case DATEOID:
			return DK_DATE;
		case TIMESTAMPOID:
			return DK_TIMESTAMP;
		case TIMESTAMPTZOID:
			return DK_TIMESTAMPTZ;
		case BYTEAOID:
			return DK_BYTEA;
		case TIMEOID:
			return DK_TIME;
		case TIMETZOID:
			return DK_TIMETZ;
		case INTERVALOID:
			return DK_INTERVAL;
		case BITOID:
			return DK_BIT;
		default:
			return OidIsValid(get_element_type(typid)) ? DK_ARRAY : DK_OTHER;
	}
}

/*
 * Fill entry from the relation a change came with.  With
 * publish_via_partition_root a partition's records name its topmost
 * partitioned table, with that table's columns (root_map maps them to the
 * partition's); the key stays the partition's replica identity, which is
 * what its WAL logs.
 */
static void
rel_build(DecoderRel *entry, Relation leaf)
{
	TupleDesc	leaf_desc = RelationGetDescr(leaf);
	TupleDesc	desc;
	Relation	rel = leaf;
	Relation	root = NULL;
	MemoryContext old;
	Bitmapset  *keys;
	char	   *schema;
	int			i;

	if (entry->cxt != NULL)
		MemoryContextDelete(entry->cxt);
	entry->cxt = AllocSetContextCreate(decoder_rels_cxt, "dataeng decoder relation",
									   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(entry->cxt);

	entry->root_relid = InvalidOid;
	entry->root_map = NULL;
	entry->leaf_natts = leaf_desc->natts;
	if (decoder_via_root && leaf->rd_rel->relispartition)
	{
		List	   *ancestors = get_partition_ancestors(RelationGetRelid(leaf));

		if (ancestors != NIL)
		{
			root = RelationIdGetRelation(llast_oid(ancestors));
			if (!RelationIsValid(root))
				elog(ERROR, "could not open relation with OID %u", llast_oid(ancestors));
			rel = root;
			entry->root_relid = RelationGetRelid(root);
			entry->root_map = build_attrmap_by_name(leaf_desc, RelationGetDescr(root));
			entry->leaf_values = palloc(sizeof(Datum) * Max(leaf_desc->natts, 1));
			entry->leaf_isnull = palloc(sizeof(bool) * Max(leaf_desc->natts, 1));
		}
		list_free(ancestors);
	}
	desc = RelationGetDescr(rel);

	schema = get_namespace_name(RelationGetNamespace(rel));
	if (schema == NULL)
		elog(ERROR, "cache lookup failed for namespace %u", RelationGetNamespace(rel));
	entry->schema_json = json_string(schema, "");
	entry->table_json = json_string(RelationGetRelationName(rel), "");
	/*
	 * dataeng_internal._ddl_events, a member of the extension (nobody else may
	 * create tables in its schema; the check makes sure)
	 */
	entry->ddl_events = false;
	entry->ddl_event_att = -1;
	if (strcmp(schema, DECODER_DDL_SCHEMA) == 0 &&
		strcmp(RelationGetRelationName(rel), DECODER_DDL_TABLE) == 0)
	{
		Oid			ext = get_extension_oid("dataeng", true);

		entry->ddl_events = OidIsValid(ext) &&
			getExtensionOfObject(RelationRelationId, RelationGetRelid(rel)) == ext;
		for (i = 0; entry->ddl_events && i < desc->natts; i++)
		{
			Form_pg_attribute attr = TupleDescAttr(desc, i);

			if (!attr->attisdropped && attr->atttypid == TEXTOID &&
				strcmp(NameStr(attr->attname), DECODER_DDL_COLUMN) == 0)
				entry->ddl_event_att = i;
		}
	}
	entry->included =
		(decoder_include == NIL ||
		 decoder_patterns_match(decoder_include, schema, RelationGetRelationName(rel))) &&
		!decoder_patterns_match(decoder_exclude, schema, RelationGetRelationName(rel));

	/* the replica identity index, else (REPLICA IDENTITY FULL) the primary key */
	keys = RelationGetIndexAttrBitmap(leaf, INDEX_ATTR_BITMAP_IDENTITY_KEY);
	if (bms_is_empty(keys))
		keys = RelationGetIndexAttrBitmap(leaf, INDEX_ATTR_BITMAP_PRIMARY_KEY);
	entry->natts = desc->natts;
	entry->nkeys = 0;
	entry->atts = palloc0(sizeof(DecoderAtt) * Max(desc->natts, 1));
	entry->new_values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	entry->new_isnull = palloc(sizeof(bool) * Max(desc->natts, 1));
	entry->old_values = palloc(sizeof(Datum) * Max(desc->natts, 1));
	entry->old_isnull = palloc(sizeof(bool) * Max(desc->natts, 1));
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute a = TupleDescAttr(desc, i);
		DecoderAtt *att = &entry->atts[i];
		Oid			outfn;
		bool		varlena;

		att->dropped = a->attisdropped;
		if (att->dropped)
			continue;
		{
			AttrNumber	leaf_attnum = entry->root_map ? entry->root_map->attnums[i] : a->attnum;

			att->is_key = leaf_attnum > 0 &&
				bms_is_member(leaf_attnum - FirstLowInvalidHeapAttributeNumber, keys);
		}
		if (att->is_key)
			entry->nkeys++;
		att->typlen = a->attlen;
		att->typid = getBaseType(a->atttypid);
		att->kind = kind_of(att->typid);
		att->typmod = a->atttypmod;
		if (att->kind == DK_ARRAY)
		{
			/* how the elements are written (Debezium's JSON arrays) */
			DecoderAtt *elem = palloc0(sizeof(DecoderAtt));
			Oid			elem_out;
			bool		elem_varlena;

			elem->typid = getBaseType(get_element_type(att->typid));
			elem->kind = kind_of(elem->typid);
			elem->typmod = a->atttypmod;
			get_typlenbyvalalign(get_element_type(att->typid), &att->elemlen,
								 &att->elembyval, &att->elemalign);
			elem->typlen = att->elemlen;
			getTypeOutputInfo(get_element_type(att->typid), &elem_out, &elem_varlena);
			fmgr_info_cxt(elem_out, &elem->out, entry->cxt);
			att->elem = elem;
		}
		att->name_json = json_string(NameStr(a->attname), ":");
		att->name_len = strlen(att->name_json);
		getTypeOutputInfo(a->atttypid, &outfn, &varlena);
		fmgr_info_cxt(outfn, &att->out, entry->cxt);
	}
	MemoryContextSwitchTo(old);
	if (root != NULL)
		RelationClose(root);
	pfree(schema);
	bms_free(keys);
	entry->valid = true;
}

/*
 * decoder_rel_get
 *		The cache entry of rel, built or rebuilt as needed.
 */
DecoderRel *
decoder_rel_get(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	DecoderRel *entry;
	bool		found;

	Assert(decoder_rels != NULL);
	entry = hash_search(decoder_rels, &relid, HASH_ENTER, &found);
	if (!found)
	{
		entry->cxt = NULL;
		entry->valid = false;
	}
	if (!entry->valid || entry->leaf_natts != RelationGetDescr(rel)->natts)
		rel_build(entry, rel);
	return entry;
}

/* The filters of the current decoding session (DDL messages use them) */
List *
decoder_include_list(void)
{
	return decoder_include;
}

List *
decoder_exclude_list(void)
{
	return decoder_exclude;
}

/* A pattern error: the value, what is wrong, and how patterns are written */
static void
pattern_error(const char *option, const char *value, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value \"%s\" for option \"%s\" of output plugin dataeng",
					value, option),
			 errdetail("%s", detail),
			 errhint("Write comma-separated patterns such as public.orders, sales.*, "
					 "or \"My Schema\".\"Order.Items\" (double quotes make dots, commas "
					 "and stars literal).")));
}

/*
 * decoder_parse_patterns
 *		Parse the value of include_tables or exclude_tables: comma-separated
 *		patterns, each "table" or "schema.table".  Outside double quotes
 *		"*" matches any run, "\" makes the next character literal and "."
 *		separates the schema from the table (at most one); inside them
 *		every character is literal ("" is a quote).  Each part is kept in
 *		glob form (literal characters escaped with "\").
 */
List *
decoder_parse_patterns(const char *option, const char *value)
{
	List	   *result = NIL;
	const char *p = value;

	for (;;)
	{
		StringInfoData parts[2];
		StringInfo	cur;
		DecoderPattern *pat;
		bool		any = false;	/* anything in the current part */
		bool		empty_part = false;
		int			trail = 0;	/* unquoted, unescaped blanks at the end */

		initStringInfo(&parts[0]);
		initStringInfo(&parts[1]);
		cur = &parts[0];
		pat = palloc0(sizeof(DecoderPattern));
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		while (*p != '\0' && *p != ',')
		{
			if (*p == '\\')
			{
				if (p[1] == '\0')
					pattern_error(option, value, "A pattern ends with an unfinished \"\\\".");
				appendStringInfoChar(cur, '\\');
				appendStringInfoChar(cur, p[1]);
				p += 2;
				any = true;
				trail = 0;
				continue;
			}
			if (*p == '"')
			{
				/* a quoted run: every character literal, "" a quote */
				int			start = cur->len;

				p++;
				for (;;)
				{
					if (*p == '\0')
						pattern_error(option, value, "A pattern has an unterminated double quote.");
					if (*p == '"')
					{
						if (p[1] != '"')
							break;
						p++;
					}
					appendStringInfoChar(cur, '\\');
					appendStringInfoChar(cur, *p++);
				}
				p++;			/* the closing quote */
				if (cur->len == start)
					pattern_error(option, value, "A pattern has an empty quoted name (\"\").");
				any = true;
				trail = 0;
				continue;
			}
			if (*p == '.')
			{
				if (pat->qualified)
					pattern_error(option, value,
								  "A pattern has more than one \".\" outside double quotes: "
								  "quote or escape the dots of names.");
				if (!any)
					empty_part = true;
				/* blanks around the dot are not part of a name */
				cur->len -= trail;
				cur->data[cur->len] = '\0';
				pat->qualified = true;
				cur = &parts[1];
				any = false;
				trail = 0;
				p++;
				while (*p == ' ' || *p == '\t' || *p == '\n')
					p++;
				continue;
			}
			if (*p == ' ' || *p == '\t' || *p == '\n')
				trail++;
			else
			{
				trail = 0;
				any = true;
			}
			appendStringInfoChar(cur, *p++);
		}
		/* blanks after the pattern are not part of a name */
		cur->len -= trail;
		cur->data[cur->len] = '\0';
		if (!any || empty_part)
			pattern_error(option, value,
						  pat->qualified ? "A pattern has an empty schema or table name." :
						  "A pattern is empty.");
		if (pat->qualified)
		{
			pat->schema = parts[0].data;
			pat->pattern = parts[1].data;
		}
		else
		{
			pat->schema = NULL;
			pat->pattern = parts[0].data;
		}
		result = lappend(result, pat);
		if (*p == '\0')
			break;
		p++;					/* the comma */
	}
	return result;
}

/*
 * Glob match: '*' any run, '\x' the character x, anything else itself.
 *
 * The linear two-pointer algorithm: on a mismatch after a '*', retry from
 * the character after the one the last '*' was tried at.  Only the last '*'
 * matters (a later '*' can absorb whatever an earlier one would), so the
 * work is O(len(pat) * len(s)) at worst, never exponential or cubic.
 */
static bool
glob_match(const char *pat, const char *s)
{
	const char *star_pat = NULL;	/* just after the last '*' */
	const char *star_s = NULL;		/* where that '*' stopped absorbing */

	while (*s != '\0')
	{
		CHECK_FOR_INTERRUPTS();
		if (*pat == '*')
		{
			while (*pat == '*')
				pat++;
			if (*pat == '\0')
				return true;
			star_pat = pat;
			star_s = s;
			continue;
		}
		if (*pat != '\0')
		{
			const char *c = (*pat == '\\' && pat[1] != '\0') ? pat + 1 : pat;

			if (*c == *s)
			{
				pat = c + 1;
				s++;
				continue;
			}
		}
		if (star_pat == NULL)
			return false;
		/* the last '*' absorbs one more character */
		pat = star_pat;
		s = ++star_s;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/*
 * decoder_patterns_match
 *		Whether any of patterns matches the table.
 */
bool
decoder_patterns_match(List *patterns, const char *schema, const char *table)
{
	ListCell   *lc;

	/* the schema and the table are matched apart: a dot in a name is no separator */
	foreach(lc, patterns)
	{
		DecoderPattern *pat = lfirst(lc);

		if (glob_match(pat->pattern, table) &&
			(!pat->qualified || glob_match(pat->schema, schema)))
			return true;
	}
	return false;
}
