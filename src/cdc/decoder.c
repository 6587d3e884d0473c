/*-------------------------------------------------------------------------
 *
 * decoder.c
 *		The `dataeng` logical decoding output plugin: dataeng's library is
 *		also an output plugin (_PG_output_plugin_init), so
 *		pg_create_logical_replication_slot('s', 'dataeng') and
 *		pg_recvlogical -P dataeng stream a database's committed changes as
 *		JSON, one object per change, in commit order.
 *
 * Design:
 * - One output record per change (OutputPluginPrepareWrite/Write around
 *   each), so memory stays bounded whatever the size of a transaction; the
 *   reorder buffer spills big transactions to disk, and with
 *   stream_changes=true the streaming callbacks send in-progress
 *   transactions as they go (STREAM ABORT / STREAM COMMIT records then say
 *   what became of them).
 * - The JSON is written straight into ctx->out (decoder_values.c: in-place
 *   numbers, a table-driven escaper, names escaped once per relation in
 *   decoder_rels.c); per transaction the xid, commit LSN and commit time
 *   are formatted once.  Each change's work memory is reset after it.
 * - publish_via_partition_root names a partition's records by its root
 *   (decoder_rels.c maps the columns).
 * - Two formats: the native one (format=json, the default)
 *     {"xid":..,"lsn":..,"commit_lsn":..,"commit_time":..,"schema":..,
 *      "table":..,"op":"I|U|D|T","pk":{..},"old":{..},"new":{..},
 *      "unchanged":[..]}
 *   and Debezium's PostgreSQL connector envelope (format=debezium):
 *     {"before":..,"after":..,"source":{"version":..,"connector":
 *      "postgresql","name":..,"ts_ms":..,"snapshot":"false","db":..,
 *      "schema":..,"table":..,"txId":..,"lsn":..,"xmin":null},
 *      "op":"c|u|d|t","ts_ms":..,"transaction":null}
 * - No value can stop the slot: one that would make its record longer than
 *   max_record_size (at most 1 GB less 1 MB: a StringInfo stops at 1 GB) is
 *   left out, named in "omitted" / "old_omitted" (native) or written as
 *   "__dataeng_omitted_value" (Debezium), never truncated.
 * - Values do not depend on the reading session: the settings output
 *   functions read (DateStyle, TimeZone, ...) are pinned while decoding.
 * - An unchanged TOASTed value (not in the WAL) is named in "unchanged"
 *   (native) or written as Debezium's placeholder
 *   "__debezium_unavailable_value", never dropped or garbled.
 * - DDL: the event triggers of sql/decoding.sql insert each table's change
 *   as a JSON object into dataeng_internal._ddl_events (extension-owned, not
 *   writable by PUBLIC; the row is deleted in the same transaction); the
 *   plugin writes each decoded insert into it as a schema-change record
 *   ("verified": true) in the same ordered stream, subject to the table
 *   filters, and never outputs that table's changes otherwise.  A logical
 *   message with prefix "dataeng.ddl" is written too, with "verified":
 *   false: any role may call pg_logical_emit_message, so its content is
 *   untrusted data.  No content raises an error (that would stop the slot
 *   at its LSN for good): over DECODER_DDL_MAX_SIZE it is replaced by a
 *   marker; nested deeper than DECODER_DDL_MAX_DEPTH (pre-scanned, since
 *   pg_parse_json recurses per level), not a JSON object, not in the
 *   database encoding, or naming a schema or table longer than a name, it
 *   is written as a JSON string.
 *
 * docs/decoding.md documents the options and records.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "replication/logical.h"
#include "replication/origin.h"
#include "replication/output_plugin.h"
#include "replication/slot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "common/common.h"
#include "cdc/cdc.h"
#include "cdc/decoder.h"

typedef struct DecoderData
{
	MemoryContext change_cxt;	/* reset after each record */
	bool		debezium;
	bool		include_xids;
	bool		include_timestamp;
	bool		include_begin_commit;
	bool		include_ddl;
	bool		stream_changes;
	bool		via_root;		/* publish_via_partition_root */
	bool		only_local;		/* leave out changes replayed from an origin */
	bool		streaming;		/* between STREAM START and STREAM STOP */
	char	   *name_json;		/* Debezium source.name */
	char	   *db_json;		/* the database's name, quoted */

	/* the current transaction, formatted once */
	StringInfoData txn_head;	/* native: {"xid":N   Debezium: unused */
	StringInfoData txn_tail;	/* native: ,"commit_lsn":..,"commit_time":.. */
	StringInfoData src_tail;	/* Debezium: ,"txId":N  */
	int64		commit_ms;		/* Debezium source.ts_ms */
	XLogRecPtr	last_commit_lsn;	/* of the last transaction decoded before
									 * this one (Debezium source.sequence) */
	int64		now_ms;			/* Debezium ts_ms */
	ReorderBufferTXN *begin_pending;	/* BEGIN not written yet (written
										 * before the first record) */
	int			guc_level;		/* pin_settings' GUC nest level, or 0 */
} DecoderData;

extern PGDLLEXPORT void _PG_output_plugin_init(OutputPluginCallbacks *cb);

/* dataeng.ddl_include_query: DDL records carry the client's query text */
bool		cdc_decoder_ddl_include_query = false;

/*
 * cdc_decoder_init
 *		Called from _PG_init: the settings of the DDL records.
 */
void
cdc_decoder_init(void)
{
	DefineCustomBoolVariable("dataeng.ddl_include_query",
							 "Schema-change records of the dataeng output plugin carry the query text.",
							 "Off by default: the query string may hold more than the DDL "
							 "(a password in another statement of it), and it is written to the "
							 "WAL and to every consumer of a dataeng slot.",
							 &cdc_decoder_ddl_include_query,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

static void decoder_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt,
							bool is_init);
static void decoder_shutdown(LogicalDecodingContext *ctx);
static bool decoder_filter_origin(LogicalDecodingContext *ctx, RepOriginId origin_id);
static void decoder_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn);
static void decoder_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						   XLogRecPtr commit_lsn);
static void decoder_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
						   Relation rel, ReorderBufferChange *change);
static void decoder_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
							 int nrelations, Relation relations[],
							 ReorderBufferChange *change);
static void decoder_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
							XLogRecPtr lsn, bool transactional, const char *prefix,
							Size sz, const char *message);
static void write_ddl(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
					  ReorderBufferTXN *subtxn, XLogRecPtr lsn, bool transactional, Size sz, const char *message,
					  bool verified);
static void decoder_stream_start(LogicalDecodingContext *ctx, ReorderBufferTXN *txn);
static void decoder_stream_stop(LogicalDecodingContext *ctx, ReorderBufferTXN *txn);
static void decoder_stream_abort(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
								 XLogRecPtr abort_lsn);
static void decoder_stream_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
								  XLogRecPtr commit_lsn);

/*
 * _PG_output_plugin_init
 *		The output plugin's entry point (PostgreSQL looks it up by name).
 */
void
_PG_output_plugin_init(OutputPluginCallbacks *cb)
{
	cb->startup_cb = decoder_startup;
	cb->begin_cb = decoder_begin;
	cb->change_cb = decoder_change;
	cb->truncate_cb = decoder_truncate;
	cb->commit_cb = decoder_commit;
	cb->message_cb = decoder_message;
	cb->shutdown_cb = decoder_shutdown;
	cb->filter_by_origin_cb = decoder_filter_origin;
	cb->stream_start_cb = decoder_stream_start;
	cb->stream_stop_cb = decoder_stream_stop;
	cb->stream_abort_cb = decoder_stream_abort;
	cb->stream_commit_cb = decoder_stream_commit;
	cb->stream_change_cb = decoder_change;
	cb->stream_message_cb = decoder_message;
	cb->stream_truncate_cb = decoder_truncate;
}

/*-------------------------------------------------------------------------
 * Options
 *-------------------------------------------------------------------------
 */

static bool
option_bool(DefElem *elem)
{
	bool		result;

	/* a bare option (no value) means true */
	if (elem->arg == NULL)
		return true;
	if (!parse_bool(strVal(elem->arg), &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for option \"%s\" of output plugin dataeng",
						strVal(elem->arg), elem->defname),
				 errhint("Use a boolean: true or false.")));
	return result;
}

static const char *
option_string(DefElem *elem)
{
	if (elem->arg == NULL || strVal(elem->arg)[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" of output plugin dataeng needs a value",
						elem->defname)));
	return strVal(elem->arg);
}

/*
 * The settings type output functions read, pinned while the plugin decodes
 * (arrays, composites, ranges, interval and the like are written by their
 * output functions): without this a record's text depended on the
 * DateStyle, TimeZone, IntervalStyle, extra_float_digits and bytea_output
 * of whichever session read the slot (a timestamptz[] written as
 * "01.01.2026 09:00:00 JST" under DateStyle German in Asia/Tokyo, floats
 * cut to 15 digits under extra_float_digits = 0).
 */
static const char *const pinned_settings[][2] = {
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"TimeZone", "UTC"},
	{"extra_float_digits", "3"},
	{"bytea_output", "hex"},
};

/*
 * pin_settings
 *		In a transaction (the SQL functions): at a new GUC nest level that
 *		decoder_shutdown pops (an error's abort pops it too), so the caller's
 *		session gets its own settings back.  Outside one (a walsender, whose
 *		session serves this slot alone): for the session.
 */
static void
pin_settings(DecoderData *data)
{
	Size		i;
	bool		in_xact = IsTransactionState();

	data->guc_level = in_xact ? NewGUCNestLevel() : 0;
	for (i = 0; i < lengthof(pinned_settings); i++)
		(void) set_config_option(pinned_settings[i][0], pinned_settings[i][1],
								 PGC_USERSET, PGC_S_SESSION,
								 in_xact ? GUC_ACTION_SAVE : GUC_ACTION_SET,
								 true, 0, false);
}

/* max_record_size: bytes, from DECODER_MIN_RECORD_SIZE to DECODER_MAX_RECORD_SIZE */
static Size
option_size(DefElem *elem)
{
	const char *v = option_string(elem);
	char	   *end;
	long long	n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' ||
		n < DECODER_MIN_RECORD_SIZE || n > (long long) DECODER_MAX_RECORD_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for option \"%s\" of output plugin dataeng",
						v, elem->defname),
				 errhint("Use a number of bytes from %d to %zu.",
						 DECODER_MIN_RECORD_SIZE, (size_t) DECODER_MAX_RECORD_SIZE)));
	return (Size) n;
}

static void
decoder_startup(LogicalDecodingContext *ctx, OutputPluginOptions *opt, bool is_init)
{
	DecoderData *data;
	ListCell   *lc;
	List	   *include = NIL;
	List	   *exclude = NIL;
	const char *name = NULL;
	Size		max_record = DECODER_MAX_RECORD_SIZE;
	MemoryContext old;

	data = MemoryContextAllocZero(ctx->context, sizeof(DecoderData));
	data->change_cxt = AllocSetContextCreate(ctx->context, "dataeng decoder change",
											 ALLOCSET_DEFAULT_SIZES);
	data->include_xids = true;
	data->include_timestamp = true;
	data->include_ddl = true;

	old = MemoryContextSwitchTo(ctx->context);
	foreach(lc, ctx->output_plugin_options)
	{
		DefElem    *elem = lfirst(lc);

		if (strcmp(elem->defname, "format") == 0)
		{
			const char *f = option_string(elem);

			if (strcmp(f, "json") == 0)
				data->debezium = false;
			else if (strcmp(f, "debezium") == 0)
				data->debezium = true;
			else
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for option \"format\" of output plugin dataeng", f),
						 errhint("Use json or debezium.")));
		}
		else if (strcmp(elem->defname, "include_tables") == 0)
			include = list_concat(include, decoder_parse_patterns(elem->defname, option_string(elem)));
		else if (strcmp(elem->defname, "exclude_tables") == 0)
			exclude = list_concat(exclude, decoder_parse_patterns(elem->defname, option_string(elem)));
		else if (strcmp(elem->defname, "include_xids") == 0)
			data->include_xids = option_bool(elem);
		else if (strcmp(elem->defname, "include_timestamp") == 0)
			data->include_timestamp = option_bool(elem);
		else if (strcmp(elem->defname, "include_begin_commit") == 0)
			data->include_begin_commit = option_bool(elem);
		else if (strcmp(elem->defname, "include_ddl") == 0)
			data->include_ddl = option_bool(elem);
		else if (strcmp(elem->defname, "stream_changes") == 0)
			data->stream_changes = option_bool(elem);
		else if (strcmp(elem->defname, "publish_via_partition_root") == 0)
			data->via_root = option_bool(elem);
		else if (strcmp(elem->defname, "only_local") == 0)
			data->only_local = option_bool(elem);
		else if (strcmp(elem->defname, "max_record_size") == 0)
			max_record = option_size(elem);
		else if (strcmp(elem->defname, "name") == 0)
			name = option_string(elem);
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized option \"%s\" for output plugin dataeng", elem->defname),
					 errhint("Valid options are format, include_tables, exclude_tables, include_xids, "
							 "include_timestamp, include_begin_commit, include_ddl, stream_changes, "
							 "publish_via_partition_root, only_local, max_record_size and name.")));
	}
	if (data->stream_changes && !data->include_xids)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"stream_changes\" of output plugin dataeng cannot be used with include_xids off"),
				 errdetail("Streamed transactions are sent interleaved: their changes need the xid to be told apart, and STREAM ABORT names what to discard by xid."),
				 errhint("Leave include_xids on, or stream_changes off.")));
	if (data->debezium && data->stream_changes)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"stream_changes\" of output plugin dataeng cannot be used with format debezium"),
				 errdetail("Debezium's envelope has no way to say that a streamed transaction aborted."),
				 errhint("Leave stream_changes off: big transactions are spilled to disk and sent at commit.")));

	/* Debezium's source.name: the "name" option, else the slot's name */
	if (name == NULL)
		name = NameStr(MyReplicationSlot->data.name);
	{
		StringInfoData buf;

		initStringInfo(&buf);
		decoder_escape(&buf, name, strlen(name));
		data->name_json = buf.data;
	}
	/* the database's name needs the catalogs: looked up in a transaction */
	data->db_json = NULL;
	initStringInfo(&data->txn_head);
	initStringInfo(&data->txn_tail);
	initStringInfo(&data->src_tail);
	decoder_rels_init(ctx->context, include, exclude, data->via_root);
	decoder_set_max_record(max_record);
	MemoryContextSwitchTo(old);

	ctx->output_plugin_private = data;
	pin_settings(data);
	opt->output_type = OUTPUT_PLUGIN_TEXTUAL_OUTPUT;
	opt->receive_rewrites = false;
	ctx->streaming &= data->stream_changes;
}

static void
decoder_shutdown(LogicalDecodingContext *ctx)
{
	DecoderData *data = ctx->output_plugin_private;

	/* give the SQL caller's session its settings back */
	if (data != NULL && data->guc_level > 0)
	{
		AtEOXact_GUC(false, data->guc_level);
		data->guc_level = 0;
	}
	/* everything else lives in ctx->context, which the caller deletes */
}

/*
 * only_local: leave out what a replication origin replayed (changes that
 * logical replication, or any session with pg_replication_origin_session_setup,
 * applied here), so two databases replicating to each other do not loop
 */
static bool
decoder_filter_origin(LogicalDecodingContext *ctx, RepOriginId origin_id)
{
	DecoderData *data = ctx->output_plugin_private;

	return data->only_local && origin_id != InvalidRepOriginId;
}

/*-------------------------------------------------------------------------
 * Transactions
 *-------------------------------------------------------------------------
 */

static TransactionId
top_xid(ReorderBufferTXN *txn)
{
	return txn->toptxn ? txn->toptxn->xid : txn->xid;
}

static int64
timestamptz_to_unix_ms(TimestampTz t)
{
	return t / 1000 + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
}

/*
 * txn_prepare
 *		Format what every record of a transaction repeats.  commit_lsn and
 *		commit_time are known for a transaction decoded at its commit, not
 *		for one being streamed (then null, and STREAM COMMIT carries them).
 */
static void
txn_prepare(DecoderData *data, ReorderBufferTXN *txn, bool committed)
{
	TransactionId xid = top_xid(txn);

	resetStringInfo(&data->txn_head);
	resetStringInfo(&data->txn_tail);
	resetStringInfo(&data->src_tail);

	appendStringInfoChar(&data->txn_head, '{');
	if (data->include_xids)
		appendStringInfo(&data->txn_head, "\"xid\":%u,", xid);

	appendStringInfoString(&data->txn_tail, ",\"commit_lsn\":");
	if (committed)
		decoder_write_lsn(&data->txn_tail, txn->final_lsn);
	else
		appendStringInfoString(&data->txn_tail, "null");
	if (data->include_timestamp)
	{
		appendStringInfoString(&data->txn_tail, ",\"commit_time\":");
		if (committed)
			decoder_write_iso_timestamptz(&data->txn_tail, txn->xact_time.commit_time);
		else
			appendStringInfoString(&data->txn_tail, "null");
	}

	appendStringInfo(&data->src_tail, ",\"txId\":%u", xid);
	if (data->db_json == NULL && data->debezium && IsTransactionState())
	{
		char	   *dbname = get_database_name(MyDatabaseId);
		StringInfoData buf;

		initStringInfo(&buf);
		if (dbname != NULL)
			decoder_escape(&buf, dbname, strlen(dbname));
		else
			appendStringInfoString(&buf, "null");
		data->db_json = MemoryContextStrdup(MemoryContextGetParent(data->change_cxt), buf.data);
		pfree(buf.data);
	}
	data->commit_ms = committed ? timestamptz_to_unix_ms(txn->xact_time.commit_time) : 0;
	data->now_ms = timestamptz_to_unix_ms(GetCurrentTimestamp());
}

/* A BEGIN, COMMIT or STREAM record: {"op":"..","xid":N[,"commit_lsn":..]} */
static void
write_control(LogicalDecodingContext *ctx, const char *op, ReorderBufferTXN *txn,
			  bool with_commit, XLogRecPtr commit_lsn)
{
	DecoderData *data = ctx->output_plugin_private;
	StringInfo	out;

	OutputPluginPrepareWrite(ctx, true);
	out = ctx->out;
	appendStringInfo(out, "{\"op\":\"%s\"", op);
	if (data->include_xids)
		appendStringInfo(out, ",\"xid\":%u", top_xid(txn));
	if (with_commit)
	{
		appendStringInfoString(out, ",\"commit_lsn\":");
		decoder_write_lsn(out, commit_lsn);
		if (data->include_timestamp)
		{
			appendStringInfoString(out, ",\"commit_time\":");
			decoder_write_iso_timestamptz(out, txn->xact_time.commit_time);
		}
		/*
		 * COMMIT: the end of the commit record, the position to confirm
		 * (confirming commit_lsn gets the transaction sent again)
		 */
		if (strcmp(op, "COMMIT") == 0)
		{
			appendStringInfoString(out, ",\"end_lsn\":");
			decoder_write_lsn(out, txn->end_lsn);
		}
	}
	appendStringInfoChar(out, '}');
	OutputPluginWrite(ctx, true);
}

static void
decoder_begin(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	DecoderData *data = ctx->output_plugin_private;

	txn_prepare(data, txn, true);
	data->streaming = false;
	/* written before the transaction's first record: none for empty ones */
	data->begin_pending = (data->include_begin_commit && !data->debezium) ? txn : NULL;
}

/* Write a pending BEGIN before a transaction's first record */
static inline void
flush_begin(LogicalDecodingContext *ctx)
{
	DecoderData *data = ctx->output_plugin_private;
	ReorderBufferTXN *txn = data->begin_pending;

	if (txn != NULL)
	{
		data->begin_pending = NULL;
		write_control(ctx, "BEGIN", txn, true, txn->final_lsn);
	}
}

static void
decoder_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn)
{
	DecoderData *data = ctx->output_plugin_private;

	if (data->include_begin_commit && !data->debezium && data->begin_pending == NULL)
		write_control(ctx, "COMMIT", txn, true, commit_lsn);
	data->begin_pending = NULL;
	data->last_commit_lsn = commit_lsn;
}

static void
decoder_stream_start(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	DecoderData *data = ctx->output_plugin_private;

	txn_prepare(data, txn, false);
	data->streaming = true;
	data->begin_pending = NULL;
	if (data->include_begin_commit)
		write_control(ctx, "STREAM START", txn, false, InvalidXLogRecPtr);
}

static void
decoder_stream_stop(LogicalDecodingContext *ctx, ReorderBufferTXN *txn)
{
	DecoderData *data = ctx->output_plugin_private;

	data->streaming = false;
	if (data->include_begin_commit)
		write_control(ctx, "STREAM STOP", txn, false, InvalidXLogRecPtr);
}

/*
 * A streamed (sub)transaction aborted: its changes already sent are void.
 * Always written: a consumer cannot do without it.
 */
static void
decoder_stream_abort(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr abort_lsn)
{
	StringInfo	out;

	OutputPluginPrepareWrite(ctx, true);
	out = ctx->out;
	appendStringInfo(out, "{\"op\":\"STREAM ABORT\",\"xid\":%u", top_xid(txn));
	if (txn->toptxn != NULL)
		appendStringInfo(out, ",\"subxid\":%u", txn->xid);
	appendStringInfoString(out, ",\"lsn\":");
	decoder_write_lsn(out, abort_lsn);
	appendStringInfoChar(out, '}');
	OutputPluginWrite(ctx, true);
}

/* A streamed transaction committed.  Always written. */
static void
decoder_stream_commit(LogicalDecodingContext *ctx, ReorderBufferTXN *txn, XLogRecPtr commit_lsn)
{
	DecoderData *data = ctx->output_plugin_private;
	StringInfo	out;

	OutputPluginPrepareWrite(ctx, true);
	out = ctx->out;
	appendStringInfo(out, "{\"op\":\"STREAM COMMIT\",\"xid\":%u,\"commit_lsn\":", top_xid(txn));
	decoder_write_lsn(out, commit_lsn);
	if (data->include_timestamp)
	{
		appendStringInfoString(out, ",\"commit_time\":");
		decoder_write_iso_timestamptz(out, txn->xact_time.commit_time);
	}
	appendStringInfoChar(out, '}');
	OutputPluginWrite(ctx, true);
}

/*-------------------------------------------------------------------------
 * Changes
 *-------------------------------------------------------------------------
 */

/* A row image, deformed once */
typedef struct Row
{
	Datum	   *values;
	bool	   *isnull;
} Row;

/*
 * row_value
 *		Column i of row, or, for a value an UPDATE left TOASTed on disk, the
 *		same column of full_old (a complete old image, REPLICA IDENTITY
 *		FULL) when there is one.
 */
static inline Datum
row_value(DecoderAtt *att, Row *row, Row *full_old, int i, bool *isnull)
{
	*isnull = row->isnull[i];
	if (full_old != NULL && decoder_is_unchanged(att, row->values[i], *isnull))
	{
		*isnull = full_old->isnull[i];
		return full_old->values[i];
	}
	return row->values[i];
}

/*
 * write_row
 *		Append a row image as a JSON object: every column, or only the
 *		replica identity key's (key_only).  An unchanged TOASTed value that
 *		full_old cannot supply is left out (native: the caller lists it in
 *		"unchanged") or written as Debezium's placeholder.
 */
static void
write_row(StringInfo out, DecoderRel *rel, Row *row, Row *full_old,
		  bool key_only, bool debezium, StringInfo omitted)
{
	bool		first = true;
	int			i;

	appendStringInfoChar(out, '{');
	for (i = 0; i < rel->natts; i++)
	{
		DecoderAtt *att = &rel->atts[i];
		Datum		value;
		bool		isnull;

		if (att->dropped || (key_only && !att->is_key))
			continue;
		value = row_value(att, row, full_old, i, &isnull);
		if (!debezium && decoder_is_unchanged(att, value, isnull))
			continue;
		{
			int			start = out->len;

			if (!first)
				appendStringInfoChar(out, ',');
			appendBinaryStringInfo(out, att->name_json, att->name_len);
			if (isnull)
				appendBinaryStringInfo(out, "null", 4);
			else if (decoder_is_unchanged(att, value, isnull))
				decoder_escape(out, DECODER_UNAVAILABLE, strlen(DECODER_UNAVAILABLE));
			else if (!decoder_write_value(out, att, value, debezium))
			{
				/*
				 * too large for the record: Debezium gets a placeholder, the
				 * native format leaves the column out and lists it
				 */
				if (debezium)
					decoder_escape(out, DECODER_OMITTED, strlen(DECODER_OMITTED));
				else
				{
					out->len = start;
					out->data[start] = '\0';
					if (omitted->len > 0)
						appendStringInfoChar(omitted, ',');
					appendBinaryStringInfo(omitted, att->name_json, att->name_len - 1);
					continue;
				}
			}
			first = false;
		}
	}
	appendStringInfoChar(out, '}');
}

/* a list of column names as ,"field":[..], when it has any */
static void
write_name_list(StringInfo out, const char *field, StringInfo names)
{
	if (names->len == 0)
		return;
	appendStringInfo(out, ",\"%s\":[", field);
	appendBinaryStringInfo(out, names->data, names->len);
	appendStringInfoChar(out, ']');
}

/* a change's old or new image (write_row), or null when it has none */
static void
write_image(StringInfo out, DecoderRel *rel, Row *row, Row *full_old,
			bool key_only, bool debezium, StringInfo omitted)
{
	if (row != NULL)
		write_row(out, rel, row, full_old, key_only, debezium, omitted);
	else
		appendBinaryStringInfo(out, "null", 4);
}

/*
 * the values of an image the WAL carries into row, in the columns of the
 * table the records name (a partition's root: mapped); NULL when it has none
 */
static Row *
deform_image(ReorderBufferTupleBuf *tuple, TupleDesc desc, DecoderRel *rel, Row *row)
{
	int			i;

	if (tuple == NULL)
		return NULL;
	if (rel->root_map == NULL)
	{
		heap_deform_tuple(&tuple->tuple, desc, row->values, row->isnull);
		return row;
	}
	heap_deform_tuple(&tuple->tuple, desc, rel->leaf_values, rel->leaf_isnull);
	for (i = 0; i < rel->natts; i++)
	{
		AttrNumber	a = rel->root_map->attnums[i];

		row->isnull[i] = a <= 0 || rel->leaf_isnull[a - 1];
		row->values[i] = a <= 0 ? (Datum) 0 : rel->leaf_values[a - 1];
	}
	return row;
}

/*
 * write_pk
 *		The replica identity key of the row: from the new image, or the old
 *		one where the new lacks it (a DELETE, or a key value TOASTed and
 *		unchanged, which PostgreSQL then logs in the old image).  A key
 *		value neither has is left out (it is in "unchanged").
 */
static void
write_pk(StringInfo out, DecoderRel *rel, Row *newrow, Row *oldrow)
{
	bool		first = true;
	int			i;

	if (rel->nkeys == 0 || (newrow == NULL && oldrow == NULL))
	{
		appendBinaryStringInfo(out, "null", 4);
		return;
	}
	appendStringInfoChar(out, '{');
	for (i = 0; i < rel->natts; i++)
	{
		DecoderAtt *att = &rel->atts[i];
		Datum		value = (Datum) 0;
		bool		isnull = true;

		if (att->dropped || !att->is_key)
			continue;
		if (newrow != NULL)
		{
			value = newrow->values[i];
			isnull = newrow->isnull[i];
		}
		if ((newrow == NULL || decoder_is_unchanged(att, value, isnull)) && oldrow != NULL)
		{
			value = oldrow->values[i];
			isnull = oldrow->isnull[i];
		}
		if (decoder_is_unchanged(att, value, isnull))
			continue;
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		appendBinaryStringInfo(out, att->name_json, att->name_len);
		if (isnull)
			appendBinaryStringInfo(out, "null", 4);
		else if (!decoder_write_value(out, att, value, false))
			decoder_escape(out, DECODER_OMITTED, strlen(DECODER_OMITTED));
	}
	appendStringInfoChar(out, '}');
}

/*
 * Debezium's source.sequence: a string holding the JSON array [last commit
 * LSN, this LSN] as decimal strings (the last commit: of the transaction
 * decoded before this one, null for the first of a decoding session), what
 * Debezium's consumers order and deduplicate events by
 */
static void
write_debezium_sequence(StringInfo out, DecoderData *data, XLogRecPtr lsn)
{
	appendStringInfoString(out, ",\"sequence\":\"[");
	if (XLogRecPtrIsInvalid(data->last_commit_lsn))
		appendStringInfoString(out, "null");
	else
		appendStringInfo(out, "\\\"" UINT64_FORMAT "\\\"", (uint64) data->last_commit_lsn);
	appendStringInfo(out, ",\\\"" UINT64_FORMAT "\\\"]\"", (uint64) lsn);
}

/* Debezium's "source" object, then the envelope's op and ts_ms */
static void
write_debezium_source(StringInfo out, DecoderData *data, DecoderRel *rel,
					  XLogRecPtr lsn)
{
	appendStringInfoString(out, ",\"source\":{\"version\":\"" DATAENG_LIBRARY_VERSION
						   "\",\"connector\":\"postgresql\",\"name\":");
	appendStringInfoString(out, data->name_json);
	appendStringInfo(out, ",\"ts_ms\":" INT64_FORMAT ",\"snapshot\":\"false\",\"db\":",
					 data->commit_ms);
	appendStringInfoString(out, data->db_json ? data->db_json : "null");
	write_debezium_sequence(out, data, lsn);
	appendStringInfoString(out, ",\"schema\":");
	appendStringInfoString(out, rel ? rel->schema_json : "null");
	appendStringInfoString(out, ",\"table\":");
	appendStringInfoString(out, rel ? rel->table_json : "null");
	appendStringInfoString(out, data->src_tail.data);
	appendStringInfo(out, ",\"lsn\":" UINT64_FORMAT ",\"xmin\":null}", (uint64) lsn);
}

static void
write_debezium_tail(StringInfo out, DecoderData *data, char op)
{
	appendStringInfo(out, ",\"op\":\"%c\",\"ts_ms\":" INT64_FORMAT ",\"transaction\":null}",
					 op, data->now_ms);
}

/* The native record's head: {"xid":N,"lsn":..,"commit_lsn":..,"commit_time":..,"schema":..,"table":.. */
static void
write_native_head(StringInfo out, DecoderData *data, ReorderBufferTXN *txn,
				  DecoderRel *rel, XLogRecPtr lsn)
{
	appendBinaryStringInfo(out, data->txn_head.data, data->txn_head.len);
	/*
	 * a streamed change of a subtransaction (the change's own txn, not the
	 * top-level one the callbacks get): STREAM ABORT may name it
	 */
	if (data->streaming && txn != NULL && txn->toptxn != NULL)
		appendStringInfo(out, "\"subxid\":%u,", txn->xid);
	appendBinaryStringInfo(out, "\"lsn\":", 6);
	decoder_write_lsn(out, lsn);
	appendBinaryStringInfo(out, data->txn_tail.data, data->txn_tail.len);
	appendBinaryStringInfo(out, ",\"schema\":", 10);
	appendStringInfoString(out, rel->schema_json);
	appendBinaryStringInfo(out, ",\"table\":", 9);
	appendStringInfoString(out, rel->table_json);
}

static void
decoder_change(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
			   Relation relation, ReorderBufferChange *change)
{
	DecoderData *data = ctx->output_plugin_private;
	DecoderRel *rel;
	TupleDesc	desc = RelationGetDescr(relation);
	Row			newrow;
	Row			oldrow;
	Row		   *newp = NULL;
	Row		   *oldp = NULL;
	Row		   *full_old;
	bool		old_key_only;
	char		op;
	MemoryContext old;
	StringInfo	out;

	rel = decoder_rel_get(relation);
	if (rel->ddl_events)
	{
		/* an insert into dataeng_internal._ddl_events is a verified DDL record */
		if (change->action == REORDER_BUFFER_CHANGE_INSERT && data->include_ddl &&
			change->data.tp.newtuple != NULL && rel->ddl_event_att >= 0)
		{
			heap_deform_tuple(&change->data.tp.newtuple->tuple, desc,
							  rel->new_values, rel->new_isnull);
			if (!rel->new_isnull[rel->ddl_event_att])
			{
				char	   *event;

				old = MemoryContextSwitchTo(data->change_cxt);
				event = TextDatumGetCString(rel->new_values[rel->ddl_event_att]);
				MemoryContextSwitchTo(old);
				write_ddl(ctx, txn, change->txn, change->lsn, true, strlen(event), event, true);
			}
		}
		return;
	}
	if (!rel->included)
		return;

	newrow.values = rel->new_values;
	newrow.isnull = rel->new_isnull;
	oldrow.values = rel->old_values;
	oldrow.isnull = rel->old_isnull;
	switch (change->action)
	{
		case REORDER_BUFFER_CHANGE_INSERT:
			op = 'I';
			newp = deform_image(change->data.tp.newtuple, desc, rel, &newrow);
			break;
		case REORDER_BUFFER_CHANGE_UPDATE:
			op = 'U';
			oldp = deform_image(change->data.tp.oldtuple, desc, rel, &oldrow);
			newp = deform_image(change->data.tp.newtuple, desc, rel, &newrow);
			break;
		case REORDER_BUFFER_CHANGE_DELETE:
			op = 'D';
			oldp = deform_image(change->data.tp.oldtuple, desc, rel, &oldrow);
			break;
		default:
			return;
	}
	/* without REPLICA IDENTITY FULL the old image holds the key alone */
	old_key_only = relation->rd_rel->relreplident != REPLICA_IDENTITY_FULL;
	full_old = old_key_only ? NULL : oldp;

	old = MemoryContextSwitchTo(data->change_cxt);
	flush_begin(ctx);
	OutputPluginPrepareWrite(ctx, true);
	out = ctx->out;
	if (data->debezium)
	{
		appendBinaryStringInfo(out, "{\"before\":", 10);
		write_image(out, rel, oldp, NULL, old_key_only, true, NULL);
		appendBinaryStringInfo(out, ",\"after\":", 9);
		write_image(out, rel, newp, full_old, false, true, NULL);
		write_debezium_source(out, data, rel, change->lsn);
		write_debezium_tail(out, data, op == 'I' ? 'c' : op == 'U' ? 'u' : 'd');
	}
	else
	{
		bool		first = true;
		int			i;
		StringInfoData old_omitted;
		StringInfoData new_omitted;

		initStringInfo(&old_omitted);
		initStringInfo(&new_omitted);
		write_native_head(out, data, change->txn, rel, change->lsn);
		appendBinaryStringInfo(out, ",\"op\":\"", 7);
		appendStringInfoChar(out, op);
		appendBinaryStringInfo(out, "\",\"pk\":", 7);
		write_pk(out, rel, newp, oldp);
		appendBinaryStringInfo(out, ",\"old\":", 7);
		write_image(out, rel, oldp, NULL, old_key_only, false, &old_omitted);
		appendBinaryStringInfo(out, ",\"new\":", 7);
		write_image(out, rel, newp, full_old, false, false, &new_omitted);
		/* the new image's values the WAL does not carry */
		for (i = 0; newp != NULL && i < rel->natts; i++)
		{
			DecoderAtt *att = &rel->atts[i];
			bool		isnull;
			Datum		value;

			if (att->dropped || att->typlen != -1)
				continue;
			value = row_value(att, newp, full_old, i, &isnull);
			if (!decoder_is_unchanged(att, value, isnull))
				continue;
			if (first)
				appendBinaryStringInfo(out, ",\"unchanged\":[", 14);
			else
				appendStringInfoChar(out, ',');
			first = false;
			/* the name without its colon */
			appendBinaryStringInfo(out, att->name_json, att->name_len - 1);
		}
		if (!first)
			appendStringInfoChar(out, ']');
		/* the values left out as too large for the record */
		write_name_list(out, "omitted", &new_omitted);
		write_name_list(out, "old_omitted", &old_omitted);
		appendStringInfoChar(out, '}');
	}
	OutputPluginWrite(ctx, true);

	MemoryContextSwitchTo(old);
	MemoryContextReset(data->change_cxt);
}

static void
decoder_truncate(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				 int nrelations, Relation relations[], ReorderBufferChange *change)
{
	DecoderData *data = ctx->output_plugin_private;
	int			i;

	List	   *roots_done = NIL;

	for (i = 0; i < nrelations; i++)
	{
		DecoderRel *rel = decoder_rel_get(relations[i]);
		StringInfo	out;

		if (!rel->included)
			continue;
		/*
		 * partitions named by their root (which the TRUNCATE lists too):
		 * one record per table named
		 */
		if (data->via_root)
		{
			Oid			named = OidIsValid(rel->root_relid) ? rel->root_relid : rel->relid;

			if (list_member_oid(roots_done, named))
				continue;
			roots_done = lappend_oid(roots_done, named);
		}
		flush_begin(ctx);
		OutputPluginPrepareWrite(ctx, true);
		out = ctx->out;
		if (data->debezium)
		{
			appendStringInfoString(out, "{\"before\":null,\"after\":null");
			write_debezium_source(out, data, rel, change->lsn);
			write_debezium_tail(out, data, 't');
		}
		else
		{
			write_native_head(out, data, change->txn, rel, change->lsn);
			appendStringInfoString(out, ",\"op\":\"T\",\"pk\":null,\"old\":null,\"new\":null}");
		}
		OutputPluginWrite(ctx, true);
	}
	list_free(roots_done);
}

/*-------------------------------------------------------------------------
 * DDL messages
 *-------------------------------------------------------------------------
 */

/* What the plugin reads of a DDL message: its top-level strings */
typedef struct DdlFields
{
	int			depth;
	char	   *field;			/* the top-level field being parsed */
	char	   *schema;
	char	   *table;
	char	   *query;
	bool		is_object;
} DdlFields;

static void
ddl_object_start(void *state)
{
	DdlFields  *f = state;

	if (f->depth == 0)
		f->is_object = true;
	f->depth++;
}

static void
ddl_nest_end(void *state)
{
	((DdlFields *) state)->depth--;
}

static void
ddl_array_start(void *state)
{
	((DdlFields *) state)->depth++;
}

static void
ddl_field_start(void *state, char *fname, bool isnull)
{
	DdlFields  *f = state;

	f->field = (f->depth == 1) ? fname : NULL;
}

static void
ddl_scalar(void *state, char *token, JsonTokenType type)
{
	DdlFields  *f = state;

	if (f->depth != 1 || f->field == NULL || type != JSON_TOKEN_STRING)
		return;
	if (strcmp(f->field, "schema") == 0)
		f->schema = token;
	else if (strcmp(f->field, "table") == 0)
		f->table = token;
	else if (strcmp(f->field, "query") == 0)
		f->query = token;
}

/*
 * ddl_depth_ok
 *		Whether the JSON text nests at most DECODER_DDL_MAX_DEPTH arrays and
 *		objects.  pg_parse_json recurses once per level, so deeper content
 *		(any role may write it) would exhaust the stack and stall the slot
 *		at that LSN; this scan reads strings the way the JSON lexer does, so
 *		the depth it counts bounds the parser's.
 */
static bool
ddl_depth_ok(const char *s, Size sz)
{
	int			depth = 0;
	bool		in_string = false;
	Size		i;

	for (i = 0; i < sz; i++)
	{
		char		c = s[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if (c == '[' || c == '{')
		{
			if (++depth > DECODER_DDL_MAX_DEPTH)
				return false;
		}
		else if (c == ']' || c == '}')
			depth--;
	}
	return true;
}

/*
 * write_ddl
 *		Write a schema-change record for the JSON object in message.  The
 *		content never raises an error: content over DECODER_DDL_MAX_SIZE is
 *		replaced by a marker, and content that is not a JSON object of at
 *		most DECODER_DDL_MAX_DEPTH levels in the database encoding, or whose
 *		schema or table is not a valid name, is written as a string.
 */
static void
write_ddl(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
		  ReorderBufferTXN *subtxn, XLogRecPtr lsn, bool transactional, Size sz, const char *message,
		  bool verified)
{
	DecoderData *data = ctx->output_plugin_private;
	DdlFields	f;
	JsonSemAction sem;
	JsonLexContext *lex;
	bool		valid;
	MemoryContext old;
	StringInfo	out;
	char	   *content;

	old = MemoryContextSwitchTo(data->change_cxt);
	memset(&f, 0, sizeof(f));
	if (sz > DECODER_DDL_MAX_SIZE)
	{
		content = psprintf("(content of %zu bytes left out: over the limit of %d bytes)",
						   (size_t) sz, DECODER_DDL_MAX_SIZE);
		valid = false;
		goto write;
	}
	content = pnstrdup(message, sz);

	memset(&sem, 0, sizeof(sem));
	sem.semstate = &f;
	sem.object_start = ddl_object_start;
	sem.object_end = ddl_nest_end;
	sem.array_start = ddl_array_start;
	sem.array_end = ddl_nest_end;
	sem.object_field_start = ddl_field_start;
	sem.scalar = ddl_scalar;
	valid = strlen(content) == sz &&
		pg_verify_mbstr(GetDatabaseEncoding(), content, sz, true) &&
		ddl_depth_ok(content, sz);
	if (valid)
	{
		lex = makeJsonLexContextCstringLen(content, sz, GetDatabaseEncoding(), true);
		valid = pg_parse_json(lex, &sem) == JSON_SUCCESS && f.is_object &&
			(f.schema == NULL || strlen(f.schema) < NAMEDATALEN) &&
			(f.table == NULL || strlen(f.table) < NAMEDATALEN);
	}
	if (!valid && !pg_verify_mbstr(GetDatabaseEncoding(), content, strlen(content), true))
		content = pstrdup("(not valid in the database encoding)");

write:

	/* the table filters apply to DDL too */
	if (valid && f.table != NULL &&
		((decoder_include_list() != NIL &&
		  !decoder_patterns_match(decoder_include_list(), f.schema ? f.schema : "", f.table)) ||
		 decoder_patterns_match(decoder_exclude_list(), f.schema ? f.schema : "", f.table)))
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(data->change_cxt);
		return;
	}

	if (transactional)
		flush_begin(ctx);
	OutputPluginPrepareWrite(ctx, true);
	out = ctx->out;
	if (data->debezium)
	{
		/* Debezium's schema change event */
		appendStringInfoString(out, "{\"source\":{\"version\":\"" DATAENG_LIBRARY_VERSION
							   "\",\"connector\":\"postgresql\",\"name\":");
		appendStringInfoString(out, data->name_json);
		appendStringInfo(out, ",\"ts_ms\":" INT64_FORMAT ",\"snapshot\":\"false\",\"db\":",
						 transactional ? data->commit_ms : 0);
		appendStringInfoString(out, data->db_json ? data->db_json : "null");
		write_debezium_sequence(out, data, lsn);
		appendStringInfoString(out, ",\"schema\":");
		if (valid && f.schema)
			decoder_escape(out, f.schema, strlen(f.schema));
		else
			appendStringInfoString(out, "null");
		appendStringInfoString(out, ",\"table\":");
		if (valid && f.table)
			decoder_escape(out, f.table, strlen(f.table));
		else
			appendStringInfoString(out, "null");
		if (transactional && txn != NULL)
			appendStringInfo(out, ",\"txId\":%u", top_xid(txn));
		else
			appendStringInfoString(out, ",\"txId\":null");
		appendStringInfo(out, ",\"lsn\":" UINT64_FORMAT ",\"xmin\":null}", (uint64) lsn);
		appendStringInfo(out, ",\"ts_ms\":" INT64_FORMAT ",\"databaseName\":", data->now_ms);
		appendStringInfoString(out, data->db_json ? data->db_json : "null");
		appendStringInfoString(out, ",\"schemaName\":");
		if (valid && f.schema)
			decoder_escape(out, f.schema, strlen(f.schema));
		else
			appendStringInfoString(out, "null");
		appendStringInfoString(out, ",\"ddl\":");
		if (valid && f.query)
			decoder_escape(out, f.query, strlen(f.query));
		else
			appendStringInfoString(out, "null");
		appendStringInfoString(out, ",\"dataeng\":");
		if (valid)
			appendBinaryStringInfo(out, content, sz);
		else
			decoder_escape(out, content, strlen(content));
		appendStringInfo(out, ",\"verified\":%s,\"tableChanges\":[]}",
						 verified ? "true" : "false");
	}
	else
	{
		appendStringInfoChar(out, '{');
		if (data->include_xids)
		{
			if (transactional && txn != NULL)
				appendStringInfo(out, "\"xid\":%u,", top_xid(txn));
			else
				appendStringInfoString(out, "\"xid\":null,");
		}
		if (data->streaming && subtxn != NULL && subtxn->toptxn != NULL)
			appendStringInfo(out, "\"subxid\":%u,", subtxn->xid);
		appendStringInfoString(out, "\"lsn\":");
		decoder_write_lsn(out, lsn);
		if (transactional && txn != NULL)
			appendBinaryStringInfo(out, data->txn_tail.data, data->txn_tail.len);
		else
		{
			appendStringInfoString(out, ",\"commit_lsn\":null");
			if (data->include_timestamp)
				appendStringInfoString(out, ",\"commit_time\":null");
		}
		appendStringInfoString(out, ",\"schema\":");
		if (valid && f.schema)
			decoder_escape(out, f.schema, strlen(f.schema));
		else
			appendStringInfoString(out, "null");
		appendStringInfoString(out, ",\"table\":");
		if (valid && f.table)
			decoder_escape(out, f.table, strlen(f.table));
		else
			appendStringInfoString(out, "null");
		appendStringInfo(out, ",\"op\":\"DDL\",\"verified\":%s,\"ddl\":",
						 verified ? "true" : "false");
		if (valid)
			appendBinaryStringInfo(out, content, sz);
		else
			decoder_escape(out, content, strlen(content));
		appendStringInfoChar(out, '}');
	}
	OutputPluginWrite(ctx, true);

	MemoryContextSwitchTo(old);
	MemoryContextReset(data->change_cxt);
}

/*
 * decoder_message
 *		Logical messages with prefix "dataeng.ddl" are schema-change
 *		records; other prefixes are not this plugin's and are skipped.
 */
static void
decoder_message(LogicalDecodingContext *ctx, ReorderBufferTXN *txn,
				XLogRecPtr lsn, bool transactional, const char *prefix,
				Size sz, const char *message)
{
	DecoderData *data = ctx->output_plugin_private;

	if (strcmp(prefix, DECODER_DDL_PREFIX) != 0 || !data->include_ddl)
		return;
	write_ddl(ctx, txn, NULL, lsn, transactional, sz, message, false);
}
