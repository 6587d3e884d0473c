/*-------------------------------------------------------------------------
 *
 * pg_stubs.h
 *		What pg_stubs.c offers the fuzz targets: an error a target allows
 *		(by SQLSTATE) jumps to fuzz_allowed_error_jmp instead of aborting.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_STUBS_H
#define PG_STUBS_H

#include <setjmp.h>

extern sigjmp_buf *fuzz_allowed_error_jmp;
extern int	fuzz_allowed_errcode;

#endif							/* PG_STUBS_H */
