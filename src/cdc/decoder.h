/*-------------------------------------------------------------------------
 *
 * decoder.h
 *		Shared between the files of the `dataeng` logical decoding output
 *		plugin (src/cdc/decoder*.c): the per-relation cache and the JSON
 *		writers.  See decoder.c for the design.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_CDC_DECODER_H
#define DATAENG_CDC_DECODER_H

#include "access/attmap.h"
#include "access/xlogdefs.h"
#include "datatype/timestamp.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/rel.h"

/* The prefix of the logical messages that carry DDL (sql/decoding.sql) */
#define DECODER_DDL_PREFIX "dataeng.ddl"

/*
 * The extension-owned table the event triggers insert each DDL event into
 * (sql/decoding.sql); the plugin turns its inserts into schema-change records
 */
#define DECODER_DDL_SCHEMA DATAENG_INTERNAL_SCHEMA
#define DECODER_DDL_TABLE "_ddl_events"
#define DECODER_DDL_COLUMN "event"

/*
 * The largest DDL content the plugin reads, and the deepest nesting of
 * arrays and objects it parses: past them the content is not parsed
 */
#define DECODER_DDL_MAX_SIZE (1024 * 1024)
#define DECODER_DDL_MAX_DEPTH 64

/*
 * The largest record by default, and the most max_record_size allows: a
 * value that would make a record longer is left out (flagged), since an
 * output record cannot pass 1 GB and an error would stop the slot there
 */
#define DECODER_MAX_RECORD_SIZE (MaxAllocSize - 1024 * 1024)
#define DECODER_MIN_RECORD_SIZE 1024

/* What Debezium writes for a value the record leaves out as too large */
#define DECODER_OMITTED "__dataeng_omitted_value"

/* What Debezium writes for a value the stream does not carry */
#define DECODER_UNAVAILABLE "__debezium_unavailable_value"

/* How a column's values are written */
typedef enum DecoderKind
{
	DK_INT2,
	DK_INT4,
	DK_INT8,
	DK_OID,
	DK_BOOL,
	DK_FLOAT,					/* float4, float8: number, or string for NaN and infinities */
	DK_NUMERIC,					/* the same */
	DK_TEXT,					/* text, varchar, bpchar: escaped straight from the datum */
	DK_NAME,
	DK_DATE,
	DK_TIMESTAMP,
	DK_TIMESTAMPTZ,
	DK_BYTEA,
	/* the output function, but Debezium's own representation in format=debezium */
	DK_TIME,
	DK_TIMETZ,
	DK_INTERVAL,
	DK_BIT,
	DK_ARRAY,					/* one-dimensional in Debezium: a JSON array */
	DK_OTHER					/* the type's output function, as a string */
} DecoderKind;

typedef struct DecoderAtt
{
	bool		dropped;
	bool		is_key;			/* part of the replica identity key */
	DecoderKind kind;
	int16		typlen;
	Oid			typid;			/* base type (domains resolved) */
	int32		typmod;			/* the column's (precision of times, length of bits) */
	struct DecoderAtt *elem;	/* DK_ARRAY: how its elements are written */
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	char	   *name_json;		/* "name": */
	int			name_len;
	FmgrInfo	out;			/* output function (DK_FLOAT, DK_NUMERIC, DK_OTHER, DK_BYTEA) */
} DecoderAtt;

typedef struct DecoderRel
{
	Oid			relid;			/* hash key */
	bool		valid;
	bool		included;		/* passes include_tables / exclude_tables */
	bool		ddl_events;		/* dataeng_internal._ddl_events, the extension's */
	int			ddl_event_att;	/* index of its "event" column, or -1 */
	MemoryContext cxt;			/* everything below */
	char	   *schema_json;	/* "schema" (quoted, escaped) */
	char	   *table_json;
	int			natts;			/* of the table the records name */
	int			nkeys;
	DecoderAtt *atts;
	int			leaf_natts;		/* of the relation changes come with */
	Oid			root_relid;		/* publish_via_partition_root: the root, else InvalidOid */
	AttrMap    *root_map;		/* its column i is the partition's attnums[i] (0: none) */
	Datum	   *leaf_values;	/* a partition's image, deformed before mapping */
	bool	   *leaf_isnull;
	Datum	   *new_values;		/* the images of the change being written */
	bool	   *new_isnull;
	Datum	   *old_values;
	bool	   *old_isnull;
} DecoderRel;

/* A table pattern of include_tables / exclude_tables */
typedef struct DecoderPattern
{
	char	   *pattern;		/* the table's: '\\' escapes, '*' any run */
	char	   *schema;			/* the schema's, when qualified; else NULL */
	bool		qualified;		/* had a '.' outside quotes and escapes */
} DecoderPattern;

/* decoder.c */
extern bool cdc_decoder_ddl_include_query;
extern void cdc_decoder_init(void);

/* decoder_values.c */
extern void decoder_escape(StringInfo out, const char *s, int len);
extern bool decoder_write_value(StringInfo out, DecoderAtt *att, Datum value,
								bool debezium);
extern void decoder_set_max_record(Size max);
extern bool decoder_is_unchanged(DecoderAtt *att, Datum value, bool isnull);
extern void decoder_write_iso_timestamptz(StringInfo out, TimestampTz ts);
extern void decoder_write_lsn(StringInfo out, XLogRecPtr lsn);

/* decoder_rels.c */
extern void decoder_rels_init(MemoryContext parent, List *include, List *exclude,
							  bool via_root);
extern DecoderRel *decoder_rel_get(Relation rel);
extern List *decoder_parse_patterns(const char *option, const char *value);
extern List *decoder_include_list(void);
extern List *decoder_exclude_list(void);
extern bool decoder_patterns_match(List *patterns, const char *schema, const char *table);

#endif							/* DATAENG_CDC_DECODER_H */
