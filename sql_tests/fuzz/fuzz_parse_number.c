/*-------------------------------------------------------------------------
 *
 * fuzz_parse_number.c
 *		libFuzzer target for parse_number's parser (src/cleanse/numbers.c):
 *		the first byte picks the decimal separator (inferred, '.' or ',').
 *		A canonical form that passes cleanse_number_canon_problem() goes to
 *		numeric_in(), so it must have numeric_in's shape.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/common.h"
#include "validate/validate.h"
#include "cleanse/cleanse.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* -?digits[.digits] or -?.digits, then an optional e[+-]digits */
static bool
numeric_shape(const char *s)
{
	int			digits = 0;

	if (*s == '-')
		s++;
	while (*s >= '0' && *s <= '9')
		s++, digits++;
	if (*s == '.')
	{
		s++;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
	}
	if (digits == 0)
		return false;
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char seps[] = {0, '.', ','};
	const char *why;
	bool		pct;
	char	   *canon;

	if (size < 1)
		return 0;
	/* the server only ever holds valid text */
	if (!pg_verify_mbstr(PG_UTF8, (const char *) data + 1, (int) size - 1, true))
		return 0;
	canon = cleanse_parse_number_text((const char *) data + 1, (int) size - 1, seps[data[0] % 3], &pct, &why);
	if (canon != NULL && cleanse_number_canon_problem(canon) == NULL && !numeric_shape(canon))
	{
		fprintf(stderr, "numeric_in would raise on \"%s\"\n", canon);
		abort();
	}
	return 0;
}
