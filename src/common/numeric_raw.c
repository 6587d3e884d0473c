/*-------------------------------------------------------------------------
 *
 * numeric_raw.c
 *		A numeric read from its on-disk format as a scaled integer.
 *
 * The fold of a fact refresh sums numeric values as scaled 128-bit
 * integers (src/aggregate/numsum.c), and the change log's row images read
 * integer columns from the numbers of their JSON (src/cdc/images.c); both
 * read a numeric's digits here instead of through numeric's own functions,
 * which allocate and work digit by digit.
 *
 * The format: a header word (sign, display scale and, in the short form,
 * the weight; the long form has the weight in a second word), then
 * base-10000 digits.  PostgreSQL keeps it fixed as it is stored in tables;
 * the definitions below are those of src/backend/utils/adt/numeric.c,
 * which does not export them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/common.h"

/* numeric's header word (utils/adt/numeric.c) */
#define NUM_SIGN_MASK			0xC000
#define NUM_NEG					0x4000
#define NUM_SHORT				0x8000
#define NUM_SPECIAL				0xC000
#define NUM_SHORT_SIGN_MASK		0x2000
#define NUM_SHORT_DSCALE_MASK	0x1F80
#define NUM_SHORT_DSCALE_SHIFT	7
#define NUM_SHORT_WEIGHT_SIGN	0x0040
#define NUM_SHORT_WEIGHT_MASK	0x003F
#define NUM_DSCALE_MASK			0x3FFF
#define NUM_NBASE				10000

/*
 * dataeng_pow10_128
 *		10^e, 0 <= e <= 38.
 */
int128
dataeng_pow10_128(int e)
{
	int128		r = 1;

	while (e-- > 0)
		r *= 10;
	return r;
}

/* 10^DATAENG_NUMERIC_MAX_DIGITS, made once */
int128
dataeng_numeric_limit(void)
{
	static int128 limit = 0;

	if (limit == 0)
		limit = dataeng_pow10_128(DATAENG_NUMERIC_MAX_DIGITS);
	return limit;
}

/*
 * dataeng_numeric_scaled
 *		Numeric d as an integer times 10^-dscale: false if it is NaN or an
 *		infinity, or has more than DATAENG_NUMERIC_MAX_SCALE decimals or
 *		DATAENG_NUMERIC_MAX_DIGITS digits or more (the caller then uses
 *		numeric's own functions).
 */
bool
dataeng_numeric_scaled(Datum d, int128 *unscaled, int *dscale)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(d);
	const char *p;
	Size		len;
	uint16		h;
	int			weight;
	int			scale;
	int			ndigits;
	bool		neg;
	int128		n = 0;
	int			e;
	int			i;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		return false;
	p = VARDATA_ANY(v);
	len = VARSIZE_ANY_EXHDR(v);
	if (len < sizeof(uint16))
		return false;
	memcpy(&h, p, sizeof(uint16));
	if ((h & NUM_SIGN_MASK) == NUM_SHORT)
	{
		neg = (h & NUM_SHORT_SIGN_MASK) != 0;
		scale = (h & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
		weight = (h & NUM_SHORT_WEIGHT_SIGN) ? (int) (h & NUM_SHORT_WEIGHT_MASK) - 64 :
			(int) (h & NUM_SHORT_WEIGHT_MASK);
		p += sizeof(uint16);
		len -= sizeof(uint16);
	}
	else if ((h & NUM_SIGN_MASK) == NUM_SPECIAL)
		return false;
	else
	{
		int16		w;

		if (len < 2 * sizeof(uint16))
			return false;
		neg = (h & NUM_SIGN_MASK) == NUM_NEG;
		scale = h & NUM_DSCALE_MASK;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
		p += 2 * sizeof(uint16);
		len -= 2 * sizeof(uint16);
	}
	ndigits = len / sizeof(int16);
	/* (8 base-10000 digits: below 10^32) */
	if (scale > DATAENG_NUMERIC_MAX_SCALE || ndigits > 8)
		return false;

	/*
	 * Most values (integers read from JSON, amounts of a few digits): at
	 * most 4 digits (below 10^16) and a power of ten within 4 of the
	 * display scale, made in 64 bits by constants (no 128-bit division);
	 * the same result as below.
	 */
	if (ndigits <= 4)
	{
		uint64		u = 0;
		uint16		last = 0;

		for (i = 0; i < ndigits; i++)
		{
			int16		dg;

			memcpy(&dg, p + i * sizeof(int16), sizeof(int16));
			last = (uint16) dg;
			u = u * NUM_NBASE + (uint64) last;
		}
		e = ndigits > 0 ? 4 * (weight - ndigits + 1) + scale : 0;

		/*
		 * (times 10^e: below 10^19 < 2^64, and 10^36, 10^4 for at most 3
		 * digits; over 10^-e: the decimals past the display scale must be
		 * zeros, of the last digit)
		 */
		switch (e)
		{
			case 0:
				break;
			case 1:
				u *= 10;
				break;
			case 2:
				u *= 100;
				break;
			case 3:
				u *= 1000;
				break;
			case 4:
				if (ndigits > 3)
					goto wide;
				u *= 10000;
				break;
			case -1:
				if (last % 10 != 0)
					return false;
				u /= 10;
				break;
			case -2:
				if (last % 100 != 0)
					return false;
				u /= 100;
				break;
			case -3:
				if (last % 1000 != 0)
					return false;
				u /= 1000;
				break;
			case -4:
				if (last != 0)
					return false;
				u /= 10000;
				break;
			default:
				goto wide;
		}
		*unscaled = neg ? -(int128) u : (int128) u;
		*dscale = scale;
		return true;
	}
wide:
	for (i = 0; i < ndigits; i++)
	{
		int16		dg;

		memcpy(&dg, p + i * sizeof(int16), sizeof(int16));
		n = n * NUM_NBASE + dg;
	}
	if (ndigits > 0)
	{
		/* the value is n * 10^(4 * (weight - ndigits + 1)) */
		e = 4 * (weight - ndigits + 1) + scale;
		if (e > 0)
		{
			if (e > DATAENG_NUMERIC_MAX_DIGITS || n >= dataeng_numeric_limit() / dataeng_pow10_128(e))
				return false;
			n *= dataeng_pow10_128(e);
		}
		else if (e < 0)
		{
			int128		p10;

			/* digits past the display scale (zeros, as numeric rounds to it) */
			if (-e > DATAENG_NUMERIC_MAX_DIGITS)
				return false;
			p10 = dataeng_pow10_128(-e);
			if (n % p10 != 0)
				return false;
			n /= p10;
		}
	}
	*unscaled = neg ? -n : n;
	*dscale = scale;
	return true;
}
