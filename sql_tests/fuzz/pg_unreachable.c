/*-------------------------------------------------------------------------
 *
 * pg_unreachable.c
 *		Server functions that only the fmgr entry points of the fuzzed files
 *		call (detoasting, text conversion, numeric and timestamp input,
 *		tuple building).  The fuzz targets call the parsers' cores, never
 *		those entry points, so each of these aborts if reached.  No
 *		PostgreSQL header here: only the symbol names matter to the linker.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#define UNREACHABLE(name) \
	void name(void); \
	void name(void) { fprintf(stderr, "pg_unreachable: " #name " called\n"); abort(); }

UNREACHABLE(pg_detoast_datum_packed)
UNREACHABLE(pg_detoast_datum)
UNREACHABLE(cstring_to_text)
UNREACHABLE(cstring_to_text_with_len)
UNREACHABLE(text_to_cstring)
UNREACHABLE(deconstruct_array)
UNREACHABLE(DirectFunctionCall1Coll)
UNREACHABLE(DirectFunctionCall2Coll)
UNREACHABLE(DirectFunctionCall3Coll)
UNREACHABLE(numeric_in)
UNREACHABLE(numeric_mul)
UNREACHABLE(numeric_div)
UNREACHABLE(numeric_add)
UNREACHABLE(numeric_sub)
UNREACHABLE(numeric_cmp)
UNREACHABLE(numeric_out)
UNREACHABLE(timestamp_in)
UNREACHABLE(timestamptz_in)
UNREACHABLE(timestamp_zone)
UNREACHABLE(date2j)
UNREACHABLE(get_call_result_type)
UNREACHABLE(BlessTupleDesc)
UNREACHABLE(CreateTupleDescCopy)
UNREACHABLE(heap_form_tuple)
UNREACHABLE(HeapTupleHeaderGetDatum)
UNREACHABLE(numeric_trim_scale)
UNREACHABLE(dataeng_text_to_utf8)
UNREACHABLE(dataeng_utf8_to_text)
UNREACHABLE(dataeng_utf8_to_text_try)
UNREACHABLE(GetDatabaseEncoding)
UNREACHABLE(pg_encoding_mb2wchar_with_len)
/* the check of parse_timestamp()'s tz argument, in its fmgr entry (dates.c) */
UNREACHABLE(downcase_truncate_identifier)
UNREACHABLE(DecodeTimezoneAbbrev)
UNREACHABLE(pg_tzset)
UNREACHABLE(MemoryContextStrdup)
