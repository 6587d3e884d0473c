/*-------------------------------------------------------------------------
 *
 * fuzz_normalize_email.c
 *		libFuzzer target for normalize_email's core (src/cleanse/emails.c:
 *		the validator, the lowering of the domain, NFC, Punycode, the
 *		providers' rules): the first byte picks provider_rules, the rest is
 *		the address (as UTF-8, which the validator checks); it must return,
 *		and an address it gives must be one the validator accepts, and its
 *		own normal form.
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
	const char *why;
	bool		rules;
	char	   *r;

	if (size < 1)
		return 0;
	rules = (data[0] & 1) != 0;
	r = cleanse_normalize_email((const char *) data + 1, (int) size - 1, rules, &why);
	if (r != NULL)
	{
		const char *why2;
		char	   *again;

		if (validate_email_practical_problem(r, (int) strlen(r)) != NULL)
			abort();
		again = cleanse_normalize_email(r, (int) strlen(r), rules, &why2);
		if (again == NULL || strcmp(again, r) != 0)
			abort();
		pfree(again);
		pfree(r);
	}
	return 0;
}
