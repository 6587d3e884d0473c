/*-------------------------------------------------------------------------
 *
 * phone_shim.h
 *		The C interface of phone_shim.cpp (libphonenumber).
 *
 *-------------------------------------------------------------------------
 */
#ifndef DATAENG_PHONE_SHIM_H
#define DATAENG_PHONE_SHIM_H

#include <stddef.h>

/* results of dataeng_phone_check() */
#define PHONE_PARSED		0
#define PHONE_NOT_A_NUMBER	1
#define PHONE_BAD_COUNTRY	2
#define PHONE_TOO_SHORT		3
#define PHONE_TOO_LONG		4
#define PHONE_INTERNAL		5

#ifdef __cplusplus
extern "C"
{
#endif

/*
 * Parse number (len bytes) as dialled from region (ISO 3166 alpha-2, or
 * NULL for international format only); set *valid and *possible, and the
 * E.164 form into e164 (size e164size) when parsed.
 */
extern int	dataeng_phone_check(const char *number, size_t len, const char *region,
								int *valid, int *possible, char *e164, size_t e164size);

/* Whether libphonenumber knows the region code. */
extern int	dataeng_phone_region_known(const char *region);

#ifdef __cplusplus
}
#endif

#endif							/* DATAENG_PHONE_SHIM_H */
