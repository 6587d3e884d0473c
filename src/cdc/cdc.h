/*-------------------------------------------------------------------------
 *
 * cdc.h
 *		What the C of change capture shares with its SQL (sql/cdc.sql) and
 *		between its files.
 *
 * The SQL writes @NAME@ for a #define of this header (sql/README.md), so
 * each constant below has this one source:
 *
 *	CHANGE_LOG_SEGMENTS	the partitions dataeng_internal.change_log_0 .. _<n-1> of
 *						dataeng_internal.change_log, filled in turn by capture.c and
 *						emptied one at a time by dataeng.cdc_purge()
 *	CDC_END_OF_BATCH	the transaction and change parts of a consumer's
 *						position (dataeng_internal.cdc_consumer_state) that say "the
 *						whole batch of this tick": past any change_id
 *
 * The change log's columns, in order (dataeng_internal.change_log), which capture.c
 * writes and images.c reads by position: CL_*.  cdc_check_log_layout()
 * refuses a table whose columns are not these.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_CDC_H
#define DATAENG_CDC_H

#include "postgres.h"

#include "access/xlogdefs.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "nodes/pg_list.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

#define CHANGE_LOG_SEGMENTS 4
#define CDC_END_OF_BATCH INT64CONST(9223372036854775807)

StaticAssertDecl(CDC_END_OF_BATCH == PG_INT64_MAX, "the end of a batch is the largest bigint");

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

struct RowJsonbMap;				/* common/common.h */

/* in cdc/capture.c */
extern Oid	cdc_log_segment(int i);
extern void cdc_check_log_layout(Relation rel);
extern Bitmapset *cdc_column_set(Relation rel, const char *literal);
extern Bitmapset *cdc_column_set_desc(TupleDesc desc, const char *literal);
extern Bitmapset *cdc_identity_columns(Relation rel);
extern int	cdc_output_modes(void);
extern void cdc_capture_maps(Relation rel, const char *include_literal,
							 const char *exclude_literal, struct RowJsonbMap *rowmap,
							 struct RowJsonbMap *keymap, bool *has_key, MemoryContext cxt);

/* in cdc/partition_rows.c: after ALTER TABLE ... ATTACH/DETACH PARTITION */
typedef struct PartitionCommand
{
	Oid			parent;			/* the partitioned table altered */
	Oid			part;			/* the partition attached or detached */
	char		op;				/* 'I': attached, 'D': detached */
} PartitionCommand;
extern List *cdc_partition_commands(Node *parsetree);
extern void cdc_record_partition_rows(List *commands);
extern void cdc_wal_check_truncate(Node *stmt);
extern void cdc_wal_before_alter(Node *stmt);
extern void cdc_wal_before_drop(Node *stmt);
extern void cdc_before_drop_readers(Node *stmt);
extern void cdc_before_trigger_change(Node *stmt);

/* in cdc/capture.c: the change-log writer */
#define CDC_WRITER_BATCH 500	/* changes buffered before a heap_multi_insert() */
/* ... or fewer, once their values take this much memory */
#define CDC_WRITER_BATCH_BYTES (8 * 1024 * 1024)
typedef struct ChangeLogWriter
{
	int			segment;		/* segment of the buffered rows, or -1 */
	Relation	rel;
	struct SegmentIndexes *si;
	struct BulkInsertStateData *bistate;
	CommandId	cid;
	Datum		xid;
	Datum		captured_at;	/* one capture time per statement */
	int			nslots;
	Size		batch_bytes;	/* the buffered rows' values */
	TupleTableSlot *slots[CDC_WRITER_BATCH];
	MemoryContext batchcxt;		/* row values of the buffered rows */
	MemoryContext flushcxt;		/* what writing a batch allocates */
} ChangeLogWriter;
extern void cdc_writer_begin(ChangeLogWriter *w);
extern int64 cdc_writer_next_id(ChangeLogWriter *w);
extern void cdc_writer_add_at(ChangeLogWriter *w, int64 change_id, Oid source, char op,
							  XLogRecPtr lsn, Datum captured_at, Jsonb *pk, Jsonb *oldrow,
							  Jsonb *newrow);
extern void cdc_writer_flush(ChangeLogWriter *w);
extern void cdc_writer_end(ChangeLogWriter *w);

/* in cdc/capture.c */
extern void dataeng_cdc_init(void);
/* at preload: the shared memory of the tickers (ticker.c) */
extern void cdc_ticker_init(void);
extern bool cdc_ticker_busy(Oid dboid);
extern int	cdc_max_consumers_per_role;
extern int	cdc_consumer_max_lag_changes;
extern int	cdc_consumer_max_age;

/*
 * in cdc/creation_lock.c: held by a reader's creation until it ends.  Its
 * locks are advisory lock tags (pg_locks: locktype advisory, classid
 * CDC_CREATION_LOCK_KEY ("deCR"), objsubid CDC_CREATION_LOCK_FIELD4
 * (0x646b), objid 0 for the creations' lock, a role's oid for that role's)
 * whose field4 no pg_advisory_lock() sets (it sets 1 or 2): no session can
 * take them from SQL.  Decimal: written into SQL.
 */
#define CDC_CREATION_LOCK_KEY 1684357970
#define CDC_CREATION_LOCK_FIELD4 25707
extern void cdc_creation_lock(Oid role);

/* in cdc/snapshot.c: readers other than cdc_poll() refuse a pending snapshot */
extern void cdc_require_snapshot_acked(const char *consumer, Oid caller);
/* (the change log's segments and columns: cdc/cdc.h) */

/* in cdc/images.c: a one-table consumer's changes, read as typed values */
typedef enum ImageKind
{
	IK_PRESENCE,				/* only whether there is a value */
	IK_TEXT,					/* text: the string's bytes */
	IK_NUMERIC,					/* numeric: the JSON number itself */
	IK_INTEGER,					/* int2, int4, int8 */
	IK_TIMESTAMPTZ,
	IK_TIMESTAMP,
	IK_DATE,
	IK_JSONB,					/* the raw JSON value */
	IK_INPUT					/* anything else: the type's input function */
} ImageKind;
typedef struct ImageColumn
{
	char	   *name;
	int			namelen;
	ImageKind	kind;
	Oid			typid;
	int32		typmod;
	Oid			ioparam;
	FmgrInfo	input;
} ImageColumn;
typedef void (*ChangeCallback) (TupleTableSlot *change, void *arg);
extern void cdc_image_column_init(ImageColumn *col, const char *name, Oid typid,
							  int32 typmod, MemoryContext cxt);
extern Datum cdc_image_value(ImageColumn *col, Jsonb *img, bool *isnull);
/* several columns of row images, read in one walk of each image */
typedef struct ImageReader
{
	int			ncols;
	ImageColumn **cols;
	int		   *sorted;			/* the columns in jsonb's order of keys */
	int		   *found_key;		/* (cdc_image_read's: keys found, columns) */
	int		   *found_col;
} ImageReader;
extern void cdc_image_reader_init(ImageReader *r, ImageColumn **cols, int ncols,
								  MemoryContext cxt);
extern void cdc_image_read(ImageReader *r, Jsonb *img, Datum *values, bool *isnull,
						   bool *missing);
extern void cdc_read_changes(text *consumer, Oid source, ChangeCallback cb, void *arg);
extern Oid	cdc_log_xid_index(Relation rel);

#endif							/* DATAENG_CDC_H */
