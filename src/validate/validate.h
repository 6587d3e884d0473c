/*-------------------------------------------------------------------------
 *
 * validate/validate.h
 *		What the validators of src/validate/ export to the other areas (the
 *		cleansing functions reuse their checks).
 *
 *-------------------------------------------------------------------------
 */
#ifndef VALIDATE_H
#define VALIDATE_H

#include "postgres.h"

#include "fmgr.h"

/* in validate/phone.c */
extern const char *validate_phone_region_code(text *t, char *buf);

/* in validate/email.c */
extern const char *validate_email_practical_problem(const char *s, int len);
extern const char *validate_email_mode_problem(const char *s, int len, int mode);

/* in validate/ids.c */
extern const char *validate_iban_problem(const char *s, int len);

/* in validate/dates.c */
extern const char *validate_date_problem(const char *s, int slen, const char *f, int flen);

/* in validate/url.c */
extern const char *const validate_url_no_host;
extern const char *validate_url_parse_problem(const char *s, int len, char **scheme);

#endif							/* VALIDATE_H */
