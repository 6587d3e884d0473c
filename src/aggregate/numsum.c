/*-------------------------------------------------------------------------
 *
 * numsum.c
 *		Sums of numeric values kept as scaled 128-bit integers while a fact
 *		refresh folds its changes.
 *
 * _fact_deltas() (delta.c) adds up the values of a sum(numeric) measure
 * per group.  With numeric_add that is an allocation and a digit-array
 * addition per row image, a large part of the fold.  Most numeric values a
 * fact sums have few digits (money, quantities: numeric(12,2)), so the fold
 * keeps each group's net sum as an int128 holding the sum times 10^scale,
 * scale being the largest display scale (dscale) of the values added: a
 * value of a smaller scale is multiplied up to it, and the running sum
 * when a value of a larger one comes.  The result, written as numeric at
 * the end, is then the sum numeric_add would have made, its display scale
 * included (that of a sum is the largest of its operands').
 *
 * A value this cannot hold exactly (NaN or an infinity, more than 30
 * decimals, a sum reaching 10^36) makes the group's sum go back to
 * numeric arithmetic for the rest of the fold (agg_numsum_* return false;
 * the caller then converts what it has with agg_numsum_numeric()).
 *
 * The values are read from numeric's on-disk format (the header word:
 * sign, display scale and, in the short form, the weight; then base-10000
 * digits), which PostgreSQL keeps fixed as it is stored in tables; the
 * definitions below are those of src/backend/utils/adt/numeric.c, which
 * does not export them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "aggregate/aggregate.h"

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

/* the largest scale kept, and the bound of every sum (below int128's) */
#define NUMSUM_MAX_SCALE		30
#define NUMSUM_MAX_DIGITS		36

/*
 * pow10_128
 *		10^e, 0 <= e <= 38.
 */
static int128
pow10_128(int e)
{
	int128		r = 1;

	while (e-- > 0)
		r *= 10;
	return r;
}

/* 10^NUMSUM_MAX_DIGITS, made once */
static int128
numsum_limit(void)
{
	static int128 limit = 0;

	if (limit == 0)
		limit = pow10_128(NUMSUM_MAX_DIGITS);
	return limit;
}

/*
 * numeric_scaled
 *		Numeric d as an integer times 10^-dscale: false if it is NaN or an
 *		infinity, or has more than NUMSUM_MAX_SCALE decimals or too many
 *		digits.
 */
static bool
numeric_scaled(Datum d, int128 *unscaled, int *dscale)
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
	if (scale > NUMSUM_MAX_SCALE || ndigits > 8)
		return false;
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
			if (e > NUMSUM_MAX_DIGITS || n >= numsum_limit() / pow10_128(e))
				return false;
			n *= pow10_128(e);
		}
		else if (e < 0)
		{
			int128		p10;

			/* digits past the display scale (zeros, as numeric rounds to it) */
			if (-e > NUMSUM_MAX_DIGITS)
				return false;
			p10 = pow10_128(-e);
			if (n % p10 != 0)
				return false;
			n /= p10;
		}
	}
	*unscaled = neg ? -n : n;
	*dscale = scale;
	return true;
}

/*
 * agg_numsum_add
 *		Add numeric d, counted sg (+1 or -1), to the sum *acc of scale
 *		*scale.  False, leaving them as they were, when the value or the sum
 *		cannot be held: the caller adds up in numeric from then on.
 */
bool
agg_numsum_add(int128 *acc, int16 *scale, Datum d, int sg)
{
	int128		u;
	int			s;
	int128		a = *acc;
	int			as = *scale;
	int128		limit = numsum_limit();

	if (!numeric_scaled(d, &u, &s))
		return false;
	if (s > as)
	{
		int128		m = pow10_128(s - as);

		if (a >= limit / m || a <= -limit / m)
			return false;
		a *= m;
		as = s;
	}
	else if (s < as)
	{
		int128		m = pow10_128(as - s);

		if (u >= limit / m || u <= -limit / m)
			return false;
		u *= m;
	}
	a += sg > 0 ? u : -u;
	if (a >= limit || a <= -limit)
		return false;
	*acc = a;
	*scale = (int16) as;
	return true;
}

/*
 * agg_numsum_numeric
 *		The numeric of value acc * 10^-scale, of display scale scale.
 */
Datum
agg_numsum_numeric(int128 acc, int16 scale)
{
	/* (below 10^14, acc * 10^3 fits in an int64: never its slow path) */
	const int64 fast_limit = INT64CONST(100000000000000);
	char		buf[NUMSUM_MAX_DIGITS + NUMSUM_MAX_SCALE + 8];
	char		digits[NUMSUM_MAX_DIGITS + NUMSUM_MAX_SCALE + 4];
	int			nd = 0;
	int			pos = 0;
	bool		neg = acc < 0;
	int128		v = neg ? -acc : acc;
	int			i;

	/*
	 * int64_div_fast_to_numeric() makes the numeric of acc / 10^scale of
	 * display scale scale, as numeric_in() makes it of the digits written
	 * out below.
	 */
	if (acc < fast_limit && acc > -fast_limit)
		return NumericGetDatum(int64_div_fast_to_numeric((int64) acc, scale));
	do
	{
		digits[nd++] = '0' + (int) (v % 10);
		v /= 10;
	} while (v > 0);
	while (nd <= scale)
		digits[nd++] = '0';
	if (neg)
		buf[pos++] = '-';
	for (i = nd - 1; i >= 0; i--)
	{
		buf[pos++] = digits[i];
		if (i == scale && scale > 0)
			buf[pos++] = '.';
	}
	buf[pos] = '\0';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}
