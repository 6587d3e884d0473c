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
#include "utils/builtins.h"

/*
 * validate_problem_result
 *		The result of an X_problem() SQL function: NULL when why is NULL
 *		(the value passes), else why as text.  Every validator family
 *		returns its reason this way.
 */
static inline Datum
validate_problem_result(FunctionCallInfo fcinfo, const char *why)
{
	if (why == NULL)
	{
		fcinfo->isnull = true;
		return (Datum) 0;
	}
	return PointerGetDatum(cstring_to_text(why));
}

/* in validate/scan.c */
extern void validate_scan_init(void);

/* in validate/guard.c */
struct Node;
extern void guard_after_utility(struct Node *stmt);

/* in validate/quarantine.c */
struct SPITupleTable;
extern int64 quarantine_store_batch(struct SPITupleTable *tt, uint64 n, Oid tbl, int64 run);

/* in validate/phone.c */
extern const char *validate_phone_region_code(text *t, char *buf);
extern bool validate_phone_range(const char *s, int len);

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

/*
 * quarantine_release_all() (sql/rules.sql, which writes @RELEASE_BATCH_ROWS@
 * and @RELEASE_NOTICE_ROWS@): the rows one statement checks or puts back,
 * and from how many rows a release says how far it is with a NOTICE per
 * batch.
 */
#define RELEASE_BATCH_ROWS 5000
#define RELEASE_NOTICE_ROWS 10000

#endif							/* VALIDATE_H */
