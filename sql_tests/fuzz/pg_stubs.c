/*-------------------------------------------------------------------------
 *
 * pg_stubs.c
 *		Just enough of the PostgreSQL backend for the fuzz targets: the
 *		parsers under test are compiled from src/ unchanged and linked with
 *		the frontend libpgcommon (palloc, StringInfo, Unicode normalization)
 *		and these stubs.
 *
 * Every parser fuzzed here is documented as never raising on its input,
 * so an ERROR report aborts, which libFuzzer records as a crash with the
 * input that caused it.  The fmgr entry points in the same files are never
 * called by the targets; the server functions they reference abort too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "pg_stubs.h"

/* the server's current memory context: unused by frontend palloc */
MemoryContext CurrentMemoryContext = NULL;

/*
 * pg_verify_mbstr
 *		The server's check, for UTF-8 only (the targets' only encoding).
 */
bool
pg_verify_mbstr(int encoding, const char *mbstr, int len, bool noError)
{
	if (encoding != PG_UTF8)
		abort();
	return pg_encoding_verifymbstr(encoding, mbstr, len) == len;
}

sigjmp_buf *fuzz_allowed_error_jmp = NULL;
int			fuzz_allowed_errcode = 0;
static int	last_errcode;

/*
 * pg_mb2wchar_with_len
 *		The server's conversion in a UTF-8 database.
 */
int
pg_mb2wchar_with_len(const char *from, pg_wchar *to, int len)
{
	return pg_wchar_table[PG_UTF8].mb2wchar_with_len((const unsigned char *) from, to, len);
}

/*
 * pg_mbcliplen
 *		The server's cut of a string to at most limit bytes at a character's
 *		end, in a UTF-8 database (error messages quote patterns so).
 */
int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	int			clen = 0;

	while (len > 0 && *mbstr)
	{
		int			l = pg_utf_mblen((const unsigned char *) mbstr);

		if (clen + l > limit)
			break;
		clen += l;
		if (clen == limit)
			break;
		len -= l;
		mbstr += l;
	}
	return clen;
}

/*
 * pg_gmtime
 *		The server's gmtime (src/timezone), through the C library's: the
 *		same answer for the epochs parse_date reads.
 */
struct pg_tm *
pg_gmtime(const pg_time_t *timep)
{
	static struct pg_tm result;
	struct tm	tm;
	time_t		t = (time_t) *timep;

	if (gmtime_r(&t, &tm) == NULL)
		return NULL;
	memset(&result, 0, sizeof(result));
	result.tm_sec = tm.tm_sec;
	result.tm_min = tm.tm_min;
	result.tm_hour = tm.tm_hour;
	result.tm_mday = tm.tm_mday;
	result.tm_mon = tm.tm_mon;
	result.tm_year = tm.tm_year;
	result.tm_wday = tm.tm_wday;
	result.tm_yday = tm.tm_yday;
	return &result;
}

/*
 * errstart
 *		Anything below ERROR is dropped; an ERROR goes on to errfinish().
 */
bool
errstart(int elevel, const char *domain)
{
	last_errcode = 0;
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

/*
 * errfinish
 *		An ERROR means the parser raised on its input, which it must never
 *		do; the one exception a target may declare (an argument the SQL
 *		function documents as raising) jumps back to the target instead.
 */
void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (fuzz_allowed_error_jmp != NULL && last_errcode == fuzz_allowed_errcode)
		siglongjmp(*fuzz_allowed_error_jmp, 1);
	fprintf(stderr, "pg_stubs: the parser raised an error at %s:%d (%s)\n",
			filename, lineno, funcname);
	abort();
}

int
errcode(int sqlerrcode)
{
	last_errcode = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	return 0;
}

int
errdetail(const char *fmt,...)
{
	return 0;
}

int
errhint(const char *fmt,...)
{
	return 0;
}
