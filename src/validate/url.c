/*-------------------------------------------------------------------------
 *
 * url.c
 *		URL validators: dataeng.is_url() and dataeng.url_problem().
 *
 * A URL is valid when the WHATWG URL Standard's basic URL parser, given no
 * base URL, parses it, when it has a host, and when its scheme is one of
 * those allowed.  Only the parts of the parser that can fail are run: the
 * scheme, the authority (userinfo, host, port) and the host parser (IPv6,
 * IPv4 with its number-ish forms, opaque hosts, and domains through a
 * reduced IDNA).  Paths, queries and fragments never make the parser fail
 * (it percent-encodes what needs it), so they are not examined: a
 * megabyte-long path costs one copy.
 *
 * IDNA is UTS #46 ToASCII approximated without its tables: NFKC, ASCII
 * lowercasing, default-ignorable characters removed, ideographic full
 * stops as label separators, control, private-use, non-character and
 * replacement characters refused, and "xn--" labels decoded and checked
 * (valid Punycode, not only ASCII, stable under the same mapping).
 * Not done: non-ASCII case folding, the Bidi and ContextJ rules and the
 * table of unassigned code points (docs/validate.md).
 *
 * Nothing here raises on any input.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/unicode_norm.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"

static const char *const special_schemes[] = {
	"ftp", "file", "http", "https", "ws", "wss"
};

/* the parser's failure reasons, shared by the callers that tell them apart */
const char *const validate_url_no_host = "the URL has no host";

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
hex_value(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * forbidden_host
 *		The WHATWG forbidden host code points (all ASCII).
 */
static bool
forbidden_host(unsigned char c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\r' || c == ' ' ||
		c == '#' || c == '/' || c == ':' || c == '<' || c == '>' ||
		c == '?' || c == '@' || c == '[' || c == '\\' || c == ']' ||
		c == '^' || c == '|';
}

/*
 * forbidden_domain
 *		The forbidden domain code points: the forbidden host code points,
 *		C0 controls, the percent sign and DEL.
 */
static bool
forbidden_domain(unsigned char c)
{
	return forbidden_host(c) || c < 0x20 || c == '%' || c == 0x7F;
}

/*
 * parse_ipv6
 *		Whether s (len bytes, between the brackets) is an IPv6 address as
 *		the WHATWG IPv6 parser reads it: up to eight groups of up to four
 *		hex digits, one "::", an optional dotted IPv4 tail.
 */
static bool
parse_ipv6(const unsigned char *s, int len)
{
	int			piece = 0,
				compress = -1,
				p = 0;

	if (p < len && s[p] == ':')
	{
		if (p + 1 >= len || s[p + 1] != ':')
			return false;
		p += 2;
		piece++;
		compress = piece;
	}
	while (p < len)
	{
		int			length = 0;

		if (piece == 8)
			return false;
		if (s[p] == ':')
		{
			if (compress != -1)
				return false;
			p++;
			piece++;
			compress = piece;
			continue;
		}
		while (length < 4 && p < len && hex_value(s[p]) >= 0)
		{
			p++;
			length++;
		}
		if (p < len && s[p] == '.')
		{
			int			seen = 0;

			if (length == 0)
				return false;
			p -= length;
			if (piece > 6)
				return false;
			while (p < len)
			{
				int			v = -1;

				if (seen > 0)
				{
					if (s[p] == '.' && seen < 4)
						p++;
					else
						return false;
				}
				if (p >= len || !is_digit(s[p]))
					return false;
				while (p < len && is_digit(s[p]))
				{
					if (v == -1)
						v = s[p] - '0';
					else if (v == 0)
						return false;	/* a leading zero */
					else
						v = v * 10 + (s[p] - '0');
					if (v > 255)
						return false;
					p++;
				}
				seen++;
				if (seen == 2 || seen == 4)
					piece++;
			}
			if (seen != 4)
				return false;
			break;
		}
		else if (p < len && s[p] == ':')
		{
			p++;
			if (p >= len)
				return false;
		}
		else if (p < len)
			return false;
		piece++;
	}
	if (compress == -1 && piece != 8)
		return false;
	return true;
}

/*
 * ipv4_number
 *		The WHATWG IPv4 number parser: decimal, 0x hex or 0 octal; the
 *		value saturates above 2^32.  False when it is not such a number.
 */
static bool
ipv4_number(const char *s, int len, uint64 *value)
{
	int			radix = 10;
	uint64		v = 0;

	if (len == 0)
		return false;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
	{
		s += 2;
		len -= 2;
		radix = 16;
	}
	else if (len >= 2 && s[0] == '0')
	{
		s++;
		len--;
		radix = 8;
	}
	for (int i = 0; i < len; i++)
	{
		int			d = hex_value((unsigned char) s[i]);

		if (d < 0 || d >= radix)
			return false;
		if (v <= UINT64CONST(0xFFFFFFFF))
			v = v * radix + d;
	}
	*value = v;
	return true;
}

/*
 * ends_in_number
 *		Whether an ASCII domain ends in a number, so that it must be an
 *		IPv4 address: its last label (a final empty one aside) is all
 *		digits or an IPv4 number.
 */
static bool
ends_in_number(const char *s, int len)
{
	int			end = len,
				start;
	uint64		v;

	if (len > 0 && s[len - 1] == '.')
		end = len - 1;			/* one trailing dot is allowed */
	start = end;
	while (start > 0 && s[start - 1] != '.')
		start--;
	if (end > start)
	{
		int			i;

		for (i = start; i < end && is_digit((unsigned char) s[i]); i++)
			;
		if (i == end)
			return true;
	}
	return ipv4_number(s + start, end - start, &v);
}

/*
 * parse_ipv4
 *		The WHATWG IPv4 parser: up to four dot-separated numbers, all but
 *		the last below 256, the last filling the remaining octets.
 */
static bool
parse_ipv4(const char *s, int len)
{
	uint64		nums[4];
	int			n = 0,
				start = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;					/* one trailing dot is allowed */
	for (int i = 0; i <= len; i++)
	{
		if (i == len || s[i] == '.')
		{
			if (n == 4)
				return false;
			if (!ipv4_number(s + start, i - start, &nums[n]))
				return false;
			n++;
			start = i + 1;
		}
	}
	for (int i = 0; i < n - 1; i++)
		if (nums[i] > 255)
			return false;
	return nums[n - 1] < (UINT64CONST(1) << (8 * (5 - n)));
}

/*
 * unicode_unsafe
 *		Code points IDNA refuses that we can tell without its tables: C1
 *		controls, surrogates, private use, non-characters and the
 *		replacement character.
 */
static bool
unicode_unsafe(pg_wchar c)
{
	return (c >= 0x80 && c <= 0x9F) ||
		(c >= 0xD800 && c <= 0xF8FF) ||
		(c >= 0xFDD0 && c <= 0xFDEF) ||
		(c & 0xFFFE) == 0xFFFE ||
		c == 0xFFFD || c == 0xFFFC ||
		c >= 0xF0000;
}

/*
 * unicode_ignored
 *		Default-ignorable code points IDNA maps to nothing.
 */
static bool
unicode_ignored(pg_wchar c)
{
	return c == 0xAD || c == 0x34F || (c >= 0x180B && c <= 0x180D) ||
		c == 0x200B || c == 0x2060 || c == 0x2064 ||
		(c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF ||
		(c >= 0xE0100 && c <= 0xE01EF);
}

/*
 * idna_map
 *		The reduced UTS #46 mapping of n code points (in place; the new
 *		count in *n): NFKC, ASCII lowercase, ignorables dropped, ideographic
 *		full stops made periods.  False when a code point is refused.
 */
static bool
idna_map(pg_wchar **cps, int *n)
{
	pg_wchar   *in = *cps;
	pg_wchar   *norm;
	int			k = 0;

	for (int i = 0; i < *n; i++)
		if (unicode_unsafe(in[i]))
			return false;
	in[*n] = 0;
	norm = unicode_normalize(UNICODE_NFKC, in);
	if (norm == NULL)
		return false;
	for (int i = 0; norm[i] != 0; i++)
	{
		pg_wchar	c = norm[i];

		if (unicode_ignored(c))
			continue;
		if (unicode_unsafe(c))
			return false;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (c == 0x3002)
			c = '.';
		norm[k++] = c;
	}
	norm[k] = 0;
	*cps = norm;
	*n = k;
	return true;
}

/*
 * check_alabel
 *		Whether an "xn--" label (the part after it, len bytes) is a valid
 *		A-label: Punycode of a label that is not all ASCII and that the
 *		mapping leaves unchanged.
 */
static const char *
check_alabel(const char *s, int len)
{
	pg_wchar   *dec = palloc(sizeof(pg_wchar) * (len + 1));
	pg_wchar   *mapped;
	int			n = 0,
				m;
	bool		ascii = true;

	if (!dataeng_punycode_decode(s, len, dec, &n))
		return "a label of the host starting with xn-- is not valid Punycode";
	for (int i = 0; i < n; i++)
		if (dec[i] >= 0x80)
			ascii = false;
	if (n == 0 || ascii)
		return "a label of the host starting with xn-- does not encode a non-ASCII label";
	mapped = palloc(sizeof(pg_wchar) * (n + 1));
	memcpy(mapped, dec, sizeof(pg_wchar) * n);
	m = n;
	if (!idna_map(&mapped, &m) || m != n ||
		memcmp(mapped, dec, sizeof(pg_wchar) * n) != 0)
		return "a label of the host starting with xn-- encodes characters IDNA does not allow";
	for (int i = 0; i < n; i++)
		if (dec[i] == '.')
			return "a label of the host starting with xn-- encodes characters IDNA does not allow";
	return NULL;
}

/*
 * domain_to_ascii
 *		The host parser's domain branch on s (percent-decoded, len bytes):
 *		IDNA to an ASCII domain, forbidden domain code points refused, and
 *		a domain ending in a number parsed as IPv4.  *localhost says
 *		whether it is "localhost" (a file URL's empty host).
 */
static const char *
domain_to_ascii(const char *s, int len, bool *localhost)
{
	StringInfoData out;
	bool		ascii = true;
	const char *why;

	for (int i = 0; i < len; i++)
		if ((unsigned char) s[i] >= 0x80)
			ascii = false;

	initStringInfo(&out);
	if (ascii)
	{
		for (int i = 0; i < len; i++)
			appendStringInfoChar(&out, pg_ascii_tolower(s[i]));
		/* labels written as A-labels must be valid ones */
		for (int i = 0, start = 0; i <= out.len; i++)
		{
			if (i == out.len || out.data[i] == '.')
			{
				if (i - start >= 4 && strncmp(out.data + start, "xn--", 4) == 0 &&
					(why = check_alabel(out.data + start + 4, i - start - 4)) != NULL)
					return why;
				start = i + 1;
			}
		}
	}
	else
	{
		pg_wchar   *cps;
		int			n = 0,
					i = 0;

		if (memchr(s, '\0', len) != NULL)
			return "the host contains a character not allowed in a domain";
		if (!pg_verify_mbstr(PG_UTF8, s, len, true))
			return "the host is not valid UTF-8 once percent-decoded";
		cps = palloc(sizeof(pg_wchar) * (len + 1));
		while (i < len)
		{
			cps[n++] = utf8_to_unicode((const unsigned char *) s + i);
			i += pg_utf_mblen((const unsigned char *) s + i);
		}
		if (!idna_map(&cps, &n))
			return "the host contains a character IDNA does not allow";
		/* each label to its A-label; those given as A-labels must be valid */
		i = 0;
		for (int j = 0; j <= n; j++)
		{
			if (j == n || cps[j] == '.')
			{
				int			before = out.len;
				bool		xn = (j - i >= 4 && cps[i] == 'x' && cps[i + 1] == 'n' &&
								  cps[i + 2] == '-' && cps[i + 3] == '-');

				for (int k = i; k < j && xn; k++)
					if (cps[k] >= 0x80)
						return "a label of the host starting with xn-- is not valid Punycode";
				dataeng_punycode_label(cps + i, j - i, &out);
				if (xn && (why = check_alabel(out.data + before + 4, out.len - before - 4)) != NULL)
					return why;
				if (j < n)
					appendStringInfoChar(&out, '.');
				i = j + 1;
			}
		}
	}

	if (out.len == 0)
		return "the host is empty once IDNA-mapped";
	for (int i = 0; i < out.len; i++)
		if (forbidden_domain((unsigned char) out.data[i]))
			return (out.data[i] == ' ') ? "the host contains a space" :
				"the host contains a character not allowed in a domain";
	if (ends_in_number(out.data, out.len) && !parse_ipv4(out.data, out.len))
		return "the host ends in a number but is not a valid IPv4 address";
	*localhost = (out.len == 9 && memcmp(out.data, "localhost", 9) == 0);
	return NULL;
}

/*
 * parse_host
 *		The WHATWG host parser on s (len bytes, not empty): a bracketed
 *		IPv6 address, an opaque host (non-special schemes) or a domain.
 */
static const char *
parse_host(const char *s, int len, bool special, bool *localhost)
{
	char	   *dec;
	int			n = 0;

	*localhost = false;
	if (s[0] == '[')
	{
		if (s[len - 1] != ']' || len < 2)
			return "the IPv6 address is not closed with ]";
		if (!parse_ipv6((const unsigned char *) s + 1, len - 2))
			return "the IPv6 address is not valid";
		return NULL;
	}
	if (!special)
	{
		for (int i = 0; i < len; i++)
			if (forbidden_host((unsigned char) s[i]))
				return (s[i] == ' ') ? "the host contains a space" :
					"the host contains a character not allowed in a host";
		return NULL;
	}
	/* percent-decode */
	dec = palloc(len + 1);
	for (int i = 0; i < len; i++)
	{
		if (s[i] == '%' && i + 2 < len &&
			hex_value((unsigned char) s[i + 1]) >= 0 &&
			hex_value((unsigned char) s[i + 2]) >= 0)
		{
			dec[n++] = (char) (hex_value((unsigned char) s[i + 1]) * 16 +
							   hex_value((unsigned char) s[i + 2]));
			i += 2;
		}
		else
			dec[n++] = s[i];
	}
	return domain_to_ascii(dec, n, localhost);
}

/*
 * validate_url_parse_problem
 *		Why s (len bytes) is not a URL with a host, as the WHATWG parser
 *		reads it with no base, or NULL.  The lowercase scheme goes to
 *		*scheme (palloc'd) whenever the scheme could be read.  validate_url_no_host
 *		is the one reason given for a URL that parses but has no host.
 */
const char *
validate_url_parse_problem(const char *in, int inlen, char **scheme)
{
	char	   *s;
	int			len = 0,
				start = 0,
				end = inlen,
				p,
				colon;
	bool		special = false,
				file;
	const char *why;
	bool		localhost;

	*scheme = NULL;
	if (!pg_verify_mbstr(PG_UTF8, in, inlen, true))
		return (memchr(in, '\0', inlen) != NULL) ?
			"the URL contains a NUL character" : "the URL is not valid UTF-8";

	/* strip leading and trailing C0 controls and spaces, drop tabs and newlines */
	while (start < end && (unsigned char) in[start] <= 0x20)
		start++;
	while (end > start && (unsigned char) in[end - 1] <= 0x20)
		end--;
	s = palloc(end - start + 1);
	for (int i = start; i < end; i++)
		if (in[i] != '\t' && in[i] != '\n' && in[i] != '\r')
			s[len++] = in[i];
	s[len] = '\0';
	if (len == 0)
		return "the URL is empty";

	/* scheme: a letter, then letters, digits, +, - and ., then a colon */
	if (!is_alpha((unsigned char) s[0]))
		return "the URL does not start with a scheme";
	for (colon = 1; colon < len; colon++)
	{
		unsigned char c = s[colon];

		if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '-' || c == '.'))
			break;
	}
	if (colon >= len || s[colon] != ':')
		return "the URL does not start with a scheme";
	*scheme = pnstrdup(s, colon);
	for (int i = 0; i < colon; i++)
		(*scheme)[i] = pg_ascii_tolower((*scheme)[i]);
	for (int i = 0; i < (int) lengthof(special_schemes); i++)
		if (strcmp(*scheme, special_schemes[i]) == 0)
			special = true;
	file = (strcmp(*scheme, "file") == 0);
	p = colon + 1;

	if (file)
	{
		int			hstart,
					hend;

		/* file: "file:" path, "file:/" path, or "file://" host then path */
		if (!(p < len && (s[p] == '/' || s[p] == '\\')) ||
			!(p + 1 < len && (s[p + 1] == '/' || s[p + 1] == '\\')))
			return NULL;		/* the host is empty */
		hstart = hend = p + 2;
		while (hend < len && s[hend] != '/' && s[hend] != '\\' &&
			   s[hend] != '?' && s[hend] != '#')
			hend++;
		/* a Windows drive letter is the path, not a host */
		if (hend - hstart == 2 && is_alpha((unsigned char) s[hstart]) &&
			(s[hstart + 1] == ':' || s[hstart + 1] == '|'))
			return NULL;
		if (hend == hstart)
			return NULL;
		return parse_host(s + hstart, hend - hstart, true, &localhost);
	}

	if (special)
	{
		/* any run of slashes and backslashes, even none, before the authority */
		while (p < len && (s[p] == '/' || s[p] == '\\'))
			p++;
	}
	else if (p + 1 < len && s[p] == '/' && s[p + 1] == '/')
		p += 2;
	else
		return validate_url_no_host;		/* a path (opaque or not), no authority */

	/* the authority ends at /, ?, # (or \ for special schemes) */
	{
		int			aend = p,
					at = -1,
					hstart,
					hend,
					port = -1;
		bool		brackets = false;

		while (aend < len && s[aend] != '/' && s[aend] != '?' && s[aend] != '#' &&
			   !(special && s[aend] == '\\'))
		{
			if (s[aend] == '@')
				at = aend;
			aend++;
		}
		hstart = (at >= 0) ? at + 1 : p;
		if (at >= 0 && hstart == aend)
			return "the URL has credentials but no host";
		for (hend = hstart; hend < aend; hend++)
		{
			if (s[hend] == '[')
				brackets = true;
			else if (s[hend] == ']')
				brackets = false;
			else if (s[hend] == ':' && !brackets)
			{
				port = hend + 1;
				break;
			}
		}
		if (hend == hstart)
		{
			if (port >= 0 || special)
				return "the host is missing";
			return validate_url_no_host;	/* a non-special URL with an empty host */
		}
		if ((why = parse_host(s + hstart, hend - hstart, special, &localhost)) != NULL)
			return why;
		if (port >= 0)
		{
			int64		v = 0;

			for (int i = port; i < aend; i++)
			{
				if (!is_digit((unsigned char) s[i]))
					return "the port is not a number";
				v = v * 10 + (s[i] - '0');
				if (v > 65535)
					return "the port is greater than 65535";
			}
		}
	}
	return NULL;
}

/*
 * url_problem
 *		Why the text is not a URL with a host and one of the schemes, or
 *		NULL.  The text is read as UTF-8 whatever the database encoding (in
 *		a LATIN1 database, any accented letter was "not valid UTF-8").
 */
static const char *
url_problem(text *t, ArrayType *schemes)
{
	char	   *scheme;
	const char *why;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	t = dataeng_text_to_utf8(t);
	if (t == NULL)
		return "the URL has a character that Unicode does not have";
	why = validate_url_parse_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), &scheme);
	if (why != NULL)
		return why;
	deconstruct_array(schemes, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		text	   *e;
		int			elen;

		if (nulls[i])
			continue;
		e = DatumGetTextPP(elems[i]);
		elen = VARSIZE_ANY_EXHDR(e);
		if (elen == (int) strlen(scheme) &&
			pg_strncasecmp(VARDATA_ANY(e), scheme, elen) == 0)
			return NULL;
	}
	return "the scheme is not one of the allowed schemes";
}

PG_FUNCTION_INFO_V1(dataeng_is_url);

/*
 * dataeng_is_url
 *		Whether the text is an absolute URL with a host and an allowed
 *		scheme.
 */
Datum
dataeng_is_url(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(url_problem(PG_GETARG_TEXT_PP(0), PG_GETARG_ARRAYTYPE_P(1)) == NULL);
}

PG_FUNCTION_INFO_V1(dataeng_url_problem);

/*
 * dataeng_url_problem
 *		Why the text is not such a URL, or NULL.
 */
Datum
dataeng_url_problem(PG_FUNCTION_ARGS)
{
	const char *why = url_problem(PG_GETARG_TEXT_PP(0), PG_GETARG_ARRAYTYPE_P(1));

	return validate_problem_result(fcinfo, why);
}
