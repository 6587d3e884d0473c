/*-------------------------------------------------------------------------
 *
 * email.c
 *		Email address validators: dataeng.is_email() and
 *		dataeng.email_problem().
 *
 * Three policies:
 *   practical  python-email-validator's: a dot-atom local part (UTF-8
 *              allowed), a dotted domain of LDH labels (UTF-8 allowed),
 *              local part <= 64 octets, address <= 254, no special-use
 *              domains, no DNS.
 *   rfc5321    an RFC 5321 Mailbox: dot-string or quoted-string local part,
 *              a domain (a lone label is enough) or an address literal
 *              ([IPv4] or [IPv6:...]); ASCII only.
 *   html5      the WHATWG rule for <input type=email>.
 *
 * Every check says why it fails, so the same code serves both SQL
 * functions.  Nothing here raises on any input: invalid UTF-8, control
 * characters and huge strings give a reason, never an error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/unicode_norm.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/common.h"
#include "validate/validate.h"

typedef enum EmailMode
{
	EMAIL_PRACTICAL,
	EMAIL_RFC5321,
	EMAIL_HTML5
} EmailMode;

#define EMAIL_MAX_LENGTH	254
#define LOCAL_MAX_LENGTH	64
#define LABEL_MAX_LENGTH	63
#define DOMAIN_MAX_LENGTH	253

/* atext of RFC 5322, besides letters and digits */
static bool
is_atext_special(unsigned char c)
{
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_ascii_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * utf8_next
 *		Decode the code point at s (len bytes left); its length in *n.
 *		The input was verified as UTF-8.
 */
static pg_wchar
utf8_next(const unsigned char *s, int *n)
{
	*n = pg_utf_mblen(s);
	return utf8_to_unicode(s);
}

/*
 * unsafe_code_point
 *		Non-ASCII characters that never belong in an address: C1 controls,
 *		spaces and separators, invisible format characters, private use,
 *		non-characters, and look-alikes of ASCII punctuation.
 */
static bool
unsafe_code_point(pg_wchar c)
{
	return (c >= 0x80 && c <= 0xA0) ||
		c == 0xAD || c == 0x1680 || c == 0x180E ||
		(c >= 0x2000 && c <= 0x200F) ||
		(c >= 0x2028 && c <= 0x202F) ||
		(c >= 0x205F && c <= 0x206F) ||
		(c >= 0x2488 && c <= 0x24FF) ||	/* enclosed alphanumerics, "⒈" */
		c == 0x2260 || c == 0x226E || c == 0x226F || /* decompose to = < > */
		c == 0x037E || c == 0x0387 || c == 0x1FEF ||	/* NFC: ; · ` */
		c == 0x3000 || c == 0xFEFF ||
		(c >= 0xE000 && c <= 0xF8FF) ||
		(c >= 0xFDD0 && c <= 0xFDEF) ||
		(c >= 0xFE50 && c <= 0xFE6F) ||	/* small forms: "﹫" */
		(c >= 0xFFF0 && c <= 0xFFFF) ||
		(c >= 0xF0000) ||		/* supplementary private use planes */
		(c & 0xFFFE) == 0xFFFE;
}

/*
 * combining_mark
 *		Marks that cannot start a local part or a label (they would attach
 *		to the preceding dot or @-sign).
 */
static bool
combining_mark(pg_wchar c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
		(c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
		(c >= 0xFE20 && c <= 0xFE2F);
}


/*
 * special_use_domain
 *		Domains that are never deliverable (RFC 6761 and friends).
 */
static bool
special_use_domain(const char *domain, int len)
{
	static const char *const names[] = {"arpa", "invalid", "local", "localhost", "onion", "test"};
	int			i;

	for (i = 0; i < (int) lengthof(names); i++)
	{
		int			n = strlen(names[i]);

		if (len >= n && pg_strncasecmp(domain + len - n, names[i], n) == 0 &&
			(len == n || domain[len - n - 1] == '.'))
			return true;
	}
	return false;
}

/*
 * check_dot_atom
 *		A dot-atom: atoms of atext (and, when utf8, safe non-ASCII
 *		characters) separated by single dots.
 */
static const char *
check_dot_atom(const unsigned char *s, int len, bool utf8)
{
	int			i = 0;

	if (s[0] == '.')
		return "the local part starts with a period";
	if (utf8 && s[0] >= 0x80)
	{
		int			n;

		if (combining_mark(utf8_next(s, &n)))
			return "the local part starts with a combining mark";
	}
	if (s[len - 1] == '.')
		return "the local part ends with a period";
	while (i < len)
	{
		unsigned char c = s[i];

		if (c == '.')
		{
			if (s[i + 1] == '.')
				return "the local part has two periods in a row";
			i++;
		}
		else if (is_ascii_alnum(c) || is_atext_special(c))
			i++;
		else if (c >= 0x80 && utf8)
		{
			int			n;
			pg_wchar	cp = utf8_next(s + i, &n);

			if (unsafe_code_point(cp))
				return "the local part contains an invisible, space or look-alike character";
			i += n;
		}
		else if (c >= 0x80)
			return "the local part contains a non-ASCII character";
		else if (c == '"')
			return "the local part contains a quote outside a quoted string";
		else if (c < 0x20 || c == 0x7F)
			return "the local part contains a control character";
		else if (c == ' ')
			return "the local part contains a space";
		else
			return "the local part contains a character that needs quoting";
	}
	return NULL;
}

/*
 * check_quoted_local
 *		An RFC 5321 Quoted-string: printable ASCII, with \ escaping a
 *		printable character.
 */
static const char *
check_quoted_local(const unsigned char *s, int len)
{
	int			i;

	if (len < 2 || s[len - 1] != '"')
		return "the quoted local part is not closed";
	for (i = 1; i < len - 1; i++)
	{
		unsigned char c = s[i];

		if (c == '\\')
		{
			i++;
			if (i >= len - 1 || s[i] < 0x20 || s[i] > 0x7E)
				return "the quoted local part has an invalid escape";
		}
		else if (c == '"')
			return "the quoted local part has an unescaped quote";
		else if (c < 0x20 || c > 0x7E)
			return "the quoted local part contains a control or non-ASCII character";
	}
	return NULL;
}

/*
 * check_ipv4
 *		Four decimal octets, each 0..255.
 */
static bool
check_ipv4(const char *s, int len)
{
	int			octets = 0,
				i = 0;

	while (i < len)
	{
		int			v = 0,
					digits = 0;

		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4)
		{
			v = v * 10 + (s[i++] - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		octets++;
		if (i < len)
		{
			if (s[i] != '.' || octets == 4)
				return false;
			i++;
			if (i == len)
				return false;
		}
	}
	return octets == 4;
}

/*
 * check_ipv6
 *		An IPv6 address as RFC 5321 writes it: eight groups, or fewer with
 *		one "::", optionally ending in an IPv4 address.
 */
static bool
check_ipv6(const char *s, int len)
{
	int			groups = 0,
				i = 0;
	bool		compressed = false;

	if (len >= 2 && s[0] == ':' && s[1] == ':')
	{
		compressed = true;
		i = 2;
	}
	else if (len >= 1 && s[0] == ':')
		return false;
	while (i < len)
	{
		int			start = i,
					hex = 0;

		while (i < len && hex < 5 && isxdigit((unsigned char) s[i]))
		{
			i++;
			hex++;
		}
		if (i < len && s[i] == '.')
		{
			/* embedded IPv4: the rest of the address, two groups */
			if (!check_ipv4(s + start, len - start))
				return false;
			groups += 2;
			i = len;
			break;
		}
		if (hex == 0 || hex > 4)
			return false;
		groups++;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':')
		{
			if (compressed)
				return false;
			compressed = true;
			i++;
		}
		else if (i == len)
			return false;
	}
	/* "::" stands for at least two groups (RFC 5321, IPv6-comp) */
	return compressed ? groups <= 6 : groups == 8;
}

/*
 * alabel_valid
 *		Whether a label of the domain written "xn--..." (lower case; p is
 *		the part after "xn--", len bytes) is an IDNA A-label: Punycode of a
 *		label that holds a non-ASCII character, whose ASCII characters are
 *		letters, digits and hyphens (not first or last), whose others are
 *		none that a label written in Unicode may not hold here (nor a
 *		full-width form or ideographic full stop, which such a label maps
 *		to ASCII), that does not begin with a combining mark, and that is
 *		in NFC.  python-email-validator decodes the domain so
 *		(idna.decode) and refuses what does not decode; only labels of
 *		fewer than two characters after "xn--" were refused ("xn--0"), so
 *		that me@example.xn--zz (no Punycode) and me@xn--ab.com (two C1
 *		controls) were addresses.
 */
static bool
alabel_valid(const unsigned char *p, int len)
{
	pg_wchar   *cps = palloc(sizeof(pg_wchar) * (len + 1));
	pg_wchar   *nfc;
	int			n = 0;
	bool		ascii = true;

	if (!dataeng_punycode_decode((const char *) p, len, cps, &n) || n == 0)
		return false;
	for (int k = 0; k < n; k++)
	{
		pg_wchar	c = cps[k];

		if (c < 0x80)
		{
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
				return false;
		}
		else if (unsafe_code_point(c) || (c >= 0xFF01 && c <= 0xFF5E) ||
				 c == 0x3002 || c == 0xFF61)
			return false;
		else
			ascii = false;
	}
	if (ascii || cps[0] == '-' || cps[n - 1] == '-' || combining_mark(cps[0]))
		return false;
	cps[n] = 0;
	nfc = unicode_normalize(UNICODE_NFC, cps);
	if (nfc == NULL)
		return false;
	for (int k = 0; k <= n; k++)
		if (nfc[k] != cps[k])
			return false;
	return true;
}

/*
 * check_domain
 *		The part after the @-sign.  In practical mode ASCII is compared
 *		case-insensitively and full-width dots and hyphens count as their
 *		ASCII forms, as IDNA maps them.
 */
static const char *
check_domain(const unsigned char *d, int len, EmailMode mode, int *ascii_len)
{
	StringInfoData buf;
	int			i = 0,
				label_start = 0,
				labels = 0,
				alen = 0;
	bool		label_ascii = true,
				tld_letters = true;

	if (len == 0)
		return "there is nothing after the @-sign";

	if (d[0] == '[')
	{
		if (mode != EMAIL_RFC5321)
			return "an address literal in brackets is not allowed here";
		if (d[len - 1] != ']')
			return "the address literal is not closed";
		if (ascii_len)
			*ascii_len = len;
		if (len > 7 && strncmp((const char *) d + 1, "IPv6:", 5) == 0)
			return check_ipv6((const char *) d + 6, len - 7) ? NULL :
				"the IPv6 address literal is not valid";
		return check_ipv4((const char *) d + 1, len - 2) ? NULL :
			"the address literal is not an IPv4 address or has no IPv6: tag";
	}

	/* normalize: full-width ASCII forms (U+FF01..U+FF5E) and ideographic stops */
	initStringInfo(&buf);
	while (i < len)
	{
		if (d[i] < 0x80)
		{
			appendStringInfoChar(&buf, pg_ascii_tolower(d[i]));
			i++;
		}
		else
		{
			int			n;
			pg_wchar	cp = utf8_next(d + i, &n);

			if (mode != EMAIL_PRACTICAL)
				return "the domain contains a non-ASCII character";
			if (cp == 0x3002 || cp == 0xFF61)
				appendStringInfoChar(&buf, '.');
			else if (cp >= 0xFF01 && cp <= 0xFF5E)
				appendStringInfoChar(&buf, pg_ascii_tolower((char) (cp - 0xFF01 + 0x21)));
			else
			{
				if (unsafe_code_point(cp))
					return "the domain contains an invisible, space or look-alike character";
				appendBinaryStringInfo(&buf, (const char *) d + i, n);
			}
			i += n;
		}
	}
	d = (const unsigned char *) buf.data;
	len = buf.len;

	if (d[0] == '.')
		return "the domain starts with a period";
	if (d[len - 1] == '.')
		return "the domain ends with a period";
	if (d[0] == '-')
		return "the domain starts with a hyphen";
	/*
	 * (the WHATWG rule has no length limit but a label's 63: html5 refused
	 * a domain of more than 253 characters that browsers accept)
	 */
	if (mode != EMAIL_HTML5 && len > DOMAIN_MAX_LENGTH + (mode == EMAIL_RFC5321 ? 2 : 0))
		return "the domain is too long";

	for (i = 0; i <= len; i++)
	{
		unsigned char c = (i < len) ? d[i] : '.';

		if (c == '.')
		{
			int			blen = i - label_start;
			int			llen = blen;
			const unsigned char *label = d + label_start;

			if (llen == 0)
				return "the domain has two periods in a row";
			if (!label_ascii)
			{
				/* its length is the length of its IDNA A-label */
				pg_wchar   *cps = palloc(sizeof(pg_wchar) * llen);
				int			ncp = 0,
							k = 0,
							n;

				while (k < llen)
				{
					cps[ncp++] = utf8_next(label + k, &n);
					k += n;
				}
				if (combining_mark(cps[0]))
					return "a label of the domain starts with a combining mark";

				/*
				 * IDNA refuses a U-label with hyphens in third and fourth
				 * place (RFC 5891 4.2.3.1), as the ASCII labels below:
				 * ab--\u00FC.com was an address
				 */
				if (ncp >= 4 && cps[2] == '-' && cps[3] == '-')
					return "a label of the domain has two hyphens in third and fourth place";
				{
					StringInfoData alabel;

					initStringInfo(&alabel);
					dataeng_punycode_label(cps, ncp, &alabel);
					llen = alabel.len;
				}
				if (llen > LABEL_MAX_LENGTH)
					return "a label of the domain is longer than 63 octets in IDNA form";
			}
			else if (llen > LABEL_MAX_LENGTH)
				return "a label of the domain is longer than 63 characters";
			alen += llen + (labels > 0 ? 1 : 0);
			if (label[0] == '-' || label[blen - 1] == '-')
				return "a label of the domain starts or ends with a hyphen";
			if (mode == EMAIL_PRACTICAL && label_ascii && blen >= 4 &&
				label[2] == '-' && label[3] == '-' &&
				!(label[0] == 'x' && label[1] == 'n'))
				return "a label of the domain has two hyphens in third and fourth place";
			if (mode == EMAIL_PRACTICAL && label_ascii && blen >= 4 &&
				strncmp((const char *) label, "xn--", 4) == 0 && !alabel_valid(label + 4, blen - 4))
				return "a label of the domain is not a valid IDNA A-label";
			labels++;
			tld_letters = true;
			for (int k = 0; k < blen; k++)
				if (label[k] < 0x80 && !((label[k] >= 'a' && label[k] <= 'z')))
					tld_letters = false;
			if (blen >= 4 && strncmp((const char *) label, "xn--", 4) == 0)
				tld_letters = true;
			label_start = i + 1;
			label_ascii = true;
		}
		else if (c >= 0x80)
			label_ascii = false;
		else if (!is_ascii_alnum(c) && c != '-')
			return (c == ' ') ? "the domain contains a space" :
				"the domain contains a character that is not a letter, digit or hyphen";
	}

	if (mode != EMAIL_HTML5 && alen > DOMAIN_MAX_LENGTH + (mode == EMAIL_RFC5321 ? 2 : 0))
		return "the domain is too long in IDNA form";
	if (ascii_len)
		*ascii_len = alen;
	if (mode == EMAIL_PRACTICAL)
	{
		if (labels < 2)
			return "the domain should have a period";
		if (!tld_letters)
			return "the domain's top-level label is not a valid top-level domain";
		if (special_use_domain((const char *) d, len))
			return "the domain is a special-use domain that cannot receive mail";
	}
	return NULL;
}

/*
 * nfc_utf8
 *		The NFC form of a UTF-8 string (verified), with its length.
 */
static const char *
nfc_utf8(const char *s, int len, int *outlen)
{
	pg_wchar   *in = palloc(sizeof(pg_wchar) * (len + 1));
	pg_wchar   *out;
	StringInfoData buf;
	int			n = 0,
				i = 0;

	while (i < len)
	{
		int			l;

		in[n++] = utf8_next((const unsigned char *) s + i, &l);
		i += l;
	}
	in[n] = 0;
	out = unicode_normalize(UNICODE_NFC, in);
	initStringInfo(&buf);
	for (i = 0; out[i] != 0; i++)
	{
		unsigned char b[4];

		unicode_to_utf8(out[i], b);
		appendBinaryStringInfo(&buf, (const char *) b, pg_utf_mblen(b));
	}
	*outlen = buf.len;
	return buf.data;
}

/*
 * contains_bytes
 *		Whether the len bytes at s contain the string needle.
 */
static bool
contains_bytes(const char *s, int len, const char *needle)
{
	int			n = strlen(needle);

	for (int i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return true;
	return false;
}

/*
 * has_comment
 *		Whether the address has a comment in parentheses outside a quoted
 *		local part, as RFC 5322 lets a header write one around the parts of
 *		an address ("john(work)@example.com", "john@(work)example.com",
 *		"j@x.com (John)").  RFC 5321, which mail servers speak, has none.
 */
static bool
has_comment(const unsigned char *u, int len)
{
	int			i = 0;
	const unsigned char *open;

	if (u[0] == '"')
	{
		for (i = 1; i < len && u[i] != '"'; i++)
			if (u[i] == '\\')
				i++;
		i++;
	}
	if (i >= len || (open = memchr(u + i, '(', len - i)) == NULL)
		return false;
	return memchr(open, ')', len - (open - u)) != NULL;
}

/*
 * email_problem
 *		Why s (len bytes) is not an email address under mode, or NULL.
 */
static const char *
email_problem(const char *s, int len, EmailMode mode)
{
	const unsigned char *u = (const unsigned char *) s;
	int			at = -1,
				i;
	bool		quoted;
	const char *why;
	int			domain_len = 0;

	if (len == 0)
		return "the address is empty";
	if (!pg_verify_mbstr(PG_UTF8, s, len, true))
		return "the address is not valid UTF-8";
	if (memchr(s, '\0', len) != NULL)
		return "the address contains a NUL character";
	if (mode == EMAIL_PRACTICAL)
	{
		/* judge the NFC form, as a mail system would store it */
		for (i = 0; i < len; i++)
			if (u[i] >= 0x80)
				break;
		if (i < len)
		{
			s = nfc_utf8(s, len, &len);
			u = (const unsigned char *) s;
		}
	}

	if (mode == EMAIL_HTML5)
	{
		/* WHATWG: 1*atext "@" label *("." label), labels LDH of 1..63 */
		for (i = 0; i < len && u[i] != '@'; i++)
			if (!(is_ascii_alnum(u[i]) || is_atext_special(u[i]) || u[i] == '.'))
				return "the part before the @-sign has a character HTML5 does not allow";
		if (i == 0)
			return "there is nothing before the @-sign";
		if (i == len)
			return "the address has no @-sign";
		return check_domain(u + i + 1, len - i - 1, EMAIL_HTML5, NULL);
	}

	/* the @-sign that ends the local part: after a quoted string, or the last */
	quoted = (u[0] == '"');
	if (quoted && mode == EMAIL_RFC5321)
	{
		for (i = 1; i < len; i++)
		{
			if (u[i] == '\\')
				i++;
			else if (u[i] == '"')
				break;
		}
		if (i + 1 < len && u[i + 1] == '@')
			at = i + 1;
	}
	else
	{
		for (i = len - 1; i >= 0; i--)
			if (u[i] == '@')
			{
				at = i;
				break;
			}
	}
	if (at < 0)
	{
		/* s is not NUL-terminated: search only its len bytes */
		if (contains_bytes(s, len, "\xEF\xBC\xA0") || contains_bytes(s, len, "\xEF\xB9\xAB"))
			return "the address has a full-width or small at-sign instead of @";
		return "the address has no @-sign";
	}
	if (at == 0)
		return "there is nothing before the @-sign";
	if (len > EMAIL_MAX_LENGTH)
		return "the address is longer than 254 characters";
	if (at > LOCAL_MAX_LENGTH)
		return "the part before the @-sign is longer than 64 characters";
	/*
	 * (its characters were the problem: "a character that needs quoting",
	 * "the domain contains a space", which hid the comment)
	 */
	if (has_comment(u, len))
		return "the address has a comment in parentheses, which no mail server takes";

	if (quoted)
	{
		if (mode != EMAIL_RFC5321)
			return "a quoted local part is not allowed here";
		why = check_quoted_local(u, at);
	}
	else
		why = check_dot_atom(u, at, mode == EMAIL_PRACTICAL);
	if (why)
		return why;
	if (u[at - 1] == '.')
		return "the local part ends with a period";

	why = check_domain(u + at + 1, len - at - 1, mode, &domain_len);
	if (why == NULL && at + 1 + domain_len > EMAIL_MAX_LENGTH)
		return "the address is longer than 254 characters in IDNA form";
	return why;
}

/*
 * validate_email_practical_problem
 *		email_problem() under the practical policy, for other files.
 */
const char *
validate_email_practical_problem(const char *s, int len)
{
	return email_problem(s, len, EMAIL_PRACTICAL);
}

/*
 * validate_email_mode_problem
 *		email_problem() under mode 0 (practical), 1 (rfc5321) or 2 (html5),
 *		for the fuzz target.
 */
const char *
validate_email_mode_problem(const char *s, int len, int mode)
{
	return email_problem(s, len, mode == 1 ? EMAIL_RFC5321 :
						 mode == 2 ? EMAIL_HTML5 : EMAIL_PRACTICAL);
}

/*
 * email_mode
 *		Parse the mode argument; an unknown mode is the caller's error.
 */
static EmailMode
email_mode(text *mode)
{
	char	   *m = text_to_cstring(mode);

	/* in any case, as PostgreSQL's own names of units and fields are */
	if (pg_strcasecmp(m, "practical") == 0)
		return EMAIL_PRACTICAL;
	if (pg_strcasecmp(m, "rfc5321") == 0)
		return EMAIL_RFC5321;
	if (pg_strcasecmp(m, "html5") == 0)
		return EMAIL_HTML5;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown email validation mode \"%s\"", m),
			 errhint("Use 'practical', 'rfc5321' or 'html5'.")));
	return EMAIL_PRACTICAL;		/* keep the compiler quiet */
}

/*
 * email_arg_problem
 *		email_problem() of the SQL functions' arguments (text, and the mode,
 *		practical when not given), the text read as UTF-8 whatever the
 *		database encoding (in a LATIN1 database, 'José@example.com' was "not
 *		valid UTF-8").
 */
static const char *
email_arg_problem(FunctionCallInfo fcinfo)
{
	text	   *t = dataeng_text_to_utf8(PG_GETARG_TEXT_PP(0));
	EmailMode	mode = (PG_NARGS() > 1) ? email_mode(PG_GETARG_TEXT_PP(1)) : EMAIL_PRACTICAL;

	if (t == NULL)
		return "the address has a character that Unicode does not have";
	return email_problem(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), mode);
}

PG_FUNCTION_INFO_V1(dataeng_is_email);

/*
 * dataeng_is_email
 *		Whether the text is an email address under the mode.
 */
Datum
dataeng_is_email(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(email_arg_problem(fcinfo) == NULL);
}

PG_FUNCTION_INFO_V1(dataeng_email_problem);

/*
 * dataeng_email_problem
 *		Why the text is not an email address under the mode, or NULL.
 */
Datum
dataeng_email_problem(PG_FUNCTION_ARGS)
{
	return validate_problem_result(fcinfo, email_arg_problem(fcinfo));
}
