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
 * The values are read from numeric's on-disk format by
 * dataeng_numeric_scaled() (src/common/numeric_raw.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "common/common.h"
#include "aggregate/aggregate.h"

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
	int128		limit = dataeng_numeric_limit();

	if (!dataeng_numeric_scaled(d, &u, &s))
		return false;
	if (s > as)
	{
		int128		m = dataeng_pow10_128(s - as);

		if (a >= limit / m || a <= -limit / m)
			return false;
		a *= m;
		as = s;
	}
	else if (s < as)
	{
		int128		m = dataeng_pow10_128(as - s);

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
	char		buf[DATAENG_NUMERIC_MAX_DIGITS + DATAENG_NUMERIC_MAX_SCALE + 8];
	char		digits[DATAENG_NUMERIC_MAX_DIGITS + DATAENG_NUMERIC_MAX_SCALE + 4];
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
