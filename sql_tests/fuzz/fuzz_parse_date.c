/*-------------------------------------------------------------------------
 *
 * fuzz_parse_date.c
 *		libFuzzer target for parse_date's parser (src/cleanse/dates.c):
 *		the first byte picks the order; a date it returns must exist.
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
	static const char *const orders[] = {"YMD", "DMY", "MDY"};
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	ParsedDate	p;

	if (size < 1)
		return 0;
	if (cleanse_parse_date_text((const char *) data + 1, (int) size - 1, orders[data[0] % 3], &p))
	{
		/* the wrapper hands these to date2j() and timestamp_in() unchecked */
		if (p.year < 1 || p.year > 9999 || p.month < 1 || p.month > 12 ||
			p.day < 1 || p.day > mdays[p.month - 1] ||
			(p.has_time && (p.hour < 0 || p.hour > 23 || p.minute < 0 ||
							p.minute > 59 || p.second < 0 || p.second > 59 ||
							p.usec < 0 || p.usec > 999999)))
			abort();
	}
	return 0;
}
