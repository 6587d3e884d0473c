/*-------------------------------------------------------------------------
 *
 * dataeng.h
 *		Shared declarations of the dataeng extension: what each source
 *		file exports to the others.
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_H
#define DATAENG_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "nodes/bitmapset.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/jsonb.h"

#define DATAENG_SCHEMA	"dataeng"
#define DATAENG_LIBRARY_VERSION	"0.1.0"

/* in dataeng.c */
extern bool dataeng_enabled;
extern bool dataeng_preloaded;
extern void dataeng_require_preload(const char *feature);

/* in common/row_jsonb.c */
typedef struct RowJsonbColumn RowJsonbColumn;
typedef struct RowJsonbMap
{
	int			ncols;
	RowJsonbColumn *cols;		/* in attnum order */
	RowJsonbColumn **sorted;	/* in jsonb key order */
	bool		simple;			/* only scalar columns */
} RowJsonbMap;
extern void row_jsonb_map_init(RowJsonbMap *map, TupleDesc desc,
							   Bitmapset *attnums, MemoryContext cxt);
extern Jsonb *row_jsonb_build(RowJsonbMap *map, TupleTableSlot *slot,
							  Bitmapset *only);
extern Bitmapset *row_jsonb_changed(RowJsonbMap *map, TupleTableSlot *oldslot,
									TupleTableSlot *newslot);

/* in common/punycode.c */
extern void punycode_label(const pg_wchar *cp, int n, StringInfo out);

/* in validate/phone.c */
extern const char *phone_region_code(text *t, char *buf);

/* in validate/email.c */
extern const char *email_practical_problem(const char *s, int len);

/* in cdc/capture.c */
extern void dataeng_cdc_init(void);

#endif							/* DATAENG_H */
