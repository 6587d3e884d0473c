/*-------------------------------------------------------------------------
 *
 * fuzz_parse_quantity.c
 *		libFuzzer target for parse_quantity's parser (src/cleanse/units.c, its
 *		number read by src/cleanse/numbers.c):
 *		the number it returns goes to numeric_in(), so it must have
 *		numeric_in's shape: [+-]digits[.digits] or [+-].digits.
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
	char		numbuf[48];
	const char *unit;

	unit = cleanse_parse_quantity_text((const char *) data, (int) size, numbuf);
	if (unit != NULL)
	{
		const char *s = numbuf;
		int			digits = 0;

		if (*s == '-' || *s == '+')
			s++;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
		if (*s == '.')
			s++;
		while (*s >= '0' && *s <= '9')
			s++, digits++;
		if (digits == 0 || *s != '\0' || s[-1] == '.')
		{
			fprintf(stderr, "numeric_in would raise on \"%s\"\n", numbuf);
			abort();
		}
	}
	return 0;
}
