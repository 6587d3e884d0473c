/*-------------------------------------------------------------------------
 *
 * phones.c
 *		dataeng.to_e164(): phone numbers in E.164 form, through
 *		libphonenumber (src/validate/phone_shim.cpp).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"
#include "validate/phone_shim.h"

PG_FUNCTION_INFO_V1(dataeng_to_e164);

/*
 * dataeng_to_e164
 *		+<country code><national number> for a valid number, dialled from
 *		region (ISO 3166, or NULL for international format); NULL for
 *		anything that is not a valid number.
 */
Datum
dataeng_to_e164(PG_FUNCTION_ARGS)
{
	text	   *t;
	char		region[3];
	const char *r = NULL;
	int			valid,
				possible;
	char		e164[32];

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	t = PG_GETARG_TEXT_PP(0);
	if (!PG_ARGISNULL(1))
		r = validate_phone_region_code(PG_GETARG_TEXT_PP(1), region);
	if (VARSIZE_ANY_EXHDR(t) > 250)
		PG_RETURN_NULL();
	/* libphonenumber reads UTF-8: a LATIN1 no-break space was no separator */
	t = dataeng_text_to_utf8(t);
	if (t == NULL || VARSIZE_ANY_EXHDR(t) > 250)
		PG_RETURN_NULL();
	/* "555-0100 - 0199" with an en dash: two numbers, not one made of both */
	if (validate_phone_range(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)))
		PG_RETURN_NULL();
	if (dataeng_phone_check(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), r, &valid, &possible,
							e164, sizeof(e164)) != PHONE_PARSED || !valid || e164[0] == '\0')
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(e164));
}
