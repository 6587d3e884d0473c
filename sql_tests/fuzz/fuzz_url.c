/*-------------------------------------------------------------------------
 *
 * fuzz_url.c
 *		libFuzzer target for the URL validator's parser (src/validate/url.c):
 *		validate_url_parse_problem() must return, whatever the bytes.
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
	char	   *scheme;
	const char *why = validate_url_parse_problem((const char *) data, (int) size, &scheme);

	/* a URL that parses always has a scheme */
	if (why == NULL && scheme == NULL)
		abort();
	return 0;
}
