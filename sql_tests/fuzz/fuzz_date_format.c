/*-------------------------------------------------------------------------
 *
 * fuzz_date_format.c
 *		libFuzzer target for is_date's format and value parser
 *		(src/validate/dates.c): the first byte says how many of the next
 *		bytes are the format, the rest is the value.  validate_date_problem() may
 *		raise for an unknown format pattern (22023, documented); any other
 *		error is a finding.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/common.h"
#include "validate/validate.h"
#include "cleanse/cleanse.h"
#include "pg_stubs.h"
#include "utils/errcodes.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t		flen;
	sigjmp_buf	jmp;

	if (size < 1)
		return 0;
	if (sigsetjmp(jmp, 0) != 0)
	{
		fuzz_allowed_error_jmp = NULL;	/* an unknown format pattern */
		return 0;
	}
	fuzz_allowed_error_jmp = &jmp;
	fuzz_allowed_errcode = ERRCODE_INVALID_PARAMETER_VALUE;
	flen = data[0];
	if (flen > size - 1)
		flen = size - 1;
	(void) validate_date_problem((const char *) data + 1 + flen, (int) (size - 1 - flen),
						(const char *) data + 1, (int) flen);
	fuzz_allowed_error_jmp = NULL;
	return 0;
}
