/*-------------------------------------------------------------------------
 *
 * fuzz_iban.c
 *		libFuzzer target for the IBAN validator (src/validate/ids.c).
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
	(void) validate_iban_problem((const char *) data, (int) size);
	return 0;
}
