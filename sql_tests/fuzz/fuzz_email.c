/*-------------------------------------------------------------------------
 *
 * fuzz_email.c
 *		libFuzzer target for the email validator (src/validate/email.c): the
 *		first byte picks the mode, the rest is the address; it must return.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/common.h"
#include "validate/validate.h"
#include "cleanse/cleanse.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	(void) validate_email_mode_problem((const char *) data + 1, (int) size - 1, data[0] % 3);
	return 0;
}
