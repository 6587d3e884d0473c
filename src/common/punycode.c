/*-------------------------------------------------------------------------
 *
 * punycode.c
 *		Punycode (RFC 3492), for IDNA A-labels ("xn--...") of domain names.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "common/common.h"

#define PUNY_BASE	36
#define PUNY_TMIN	1
#define PUNY_TMAX	26
#define PUNY_SKEW	38
#define PUNY_DAMP	700

static char
puny_digit(int d)
{
	return (char) (d < 26 ? 'a' + d : '0' + d - 26);
}

static int
puny_adapt(int64 delta, int numpoints, bool first)
{
	int			k = 0;

	delta = first ? delta / PUNY_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2)
	{
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (int) (((PUNY_BASE - PUNY_TMIN + 1) * delta) / (delta + PUNY_SKEW));
}

/*
 * dataeng_punycode_label
 *		Append the A-label of a domain label of n code points to out: the
 *		label itself when it is ASCII, else "xn--" and its Punycode.
 */
void
dataeng_punycode_label(const pg_wchar *cp, int n, StringInfo out)
{
	int			basic = 0,
				h,
				bias = 72,
				i;
	pg_wchar	next = 0x80;
	int64		delta = 0;

	for (i = 0; i < n; i++)
		if (cp[i] < 0x80)
			basic++;
	if (basic == n)
	{
		for (i = 0; i < n; i++)
			appendStringInfoChar(out, (char) cp[i]);
		return;
	}
	appendStringInfoString(out, "xn--");
	for (i = 0; i < n; i++)
		if (cp[i] < 0x80)
			appendStringInfoChar(out, (char) cp[i]);
	if (basic > 0)
		appendStringInfoChar(out, '-');

	h = basic;
	while (h < n)
	{
		pg_wchar	m = 0x7FFFFFFF;

		for (i = 0; i < n; i++)
			if (cp[i] >= next && cp[i] < m)
				m = cp[i];
		delta += (int64) (m - next) * (h + 1);
		next = m;
		for (i = 0; i < n; i++)
		{
			if (cp[i] < next)
				delta++;
			else if (cp[i] == next)
			{
				int64		q = delta;

				for (int k = PUNY_BASE;; k += PUNY_BASE)
				{
					int			t = (k <= bias) ? PUNY_TMIN :
						(k >= bias + PUNY_TMAX) ? PUNY_TMAX : k - bias;

					if (q < t)
						break;
					appendStringInfoChar(out, puny_digit(t + (int) ((q - t) % (PUNY_BASE - t))));
					q = (q - t) / (PUNY_BASE - t);
				}
				appendStringInfoChar(out, puny_digit((int) q));
				bias = puny_adapt(delta, h + 1, h == basic);
				delta = 0;
				h++;
			}
		}
		delta++;
		next++;
	}
}

/*
 * puny_value
 *		The value of a Punycode digit (either case), or PUNY_BASE when the
 *		character is not one.
 */
static int
puny_value(char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '0' && c <= '9')
		return c - '0' + 26;
	return PUNY_BASE;
}

/*
 * dataeng_punycode_decode
 *		Decode the Punycode s (len bytes, without "xn--") into out, which
 *		has room for len code points; the count in *n.  False when s is
 *		not Punycode (a non-ASCII or invalid digit, a truncated number, an
 *		overflow, or a result outside Unicode scalar values), so that the
 *		validators can refuse a forged A-label.
 */
bool
dataeng_punycode_decode(const char *s, int len, pg_wchar *out, int *n)
{
	int			b = -1,
				count = 0,
				in,
				bias = 72,
				i;
	int64		idx = 0,
				next = 0x80;

	for (i = 0; i < len; i++)
	{
		if ((unsigned char) s[i] >= 0x80)
			return false;
		if (s[i] == '-')
			b = i;
	}
	/* the basic code points come first, up to the last hyphen */
	for (i = 0; i < b; i++)
		out[count++] = (pg_wchar) (unsigned char) s[i];
	in = (b > 0) ? b + 1 : 0;

	while (in < len)
	{
		int64		oldidx = idx,
					w = 1;

		for (int k = PUNY_BASE;; k += PUNY_BASE)
		{
			int			digit,
						t;

			if (in >= len)
				return false;
			digit = puny_value(s[in++]);
			if (digit >= PUNY_BASE)
				return false;
			if (digit > (PG_INT32_MAX - idx) / w)
				return false;
			idx += digit * w;
			t = (k <= bias) ? PUNY_TMIN :
				(k >= bias + PUNY_TMAX) ? PUNY_TMAX : k - bias;
			if (digit < t)
				break;
			if (w > PG_INT32_MAX / (PUNY_BASE - t))
				return false;
			w *= PUNY_BASE - t;
		}
		bias = puny_adapt(idx - oldidx, count + 1, oldidx == 0);
		next += idx / (count + 1);
		idx %= (count + 1);
		if (next > 0x10FFFF || (next >= 0xD800 && next <= 0xDFFF) || count >= len)
			return false;
		memmove(out + idx + 1, out + idx, sizeof(pg_wchar) * (count - idx));
		out[idx] = (pg_wchar) next;
		count++;
		idx++;
	}
	*n = count;
	return true;
}
