/*-------------------------------------------------------------------------
 *
 * phonetic.c
 *		Phonetic codes: dataeng.double_metaphone() and dataeng.metaphone_key().
 *
 * Lawrence Philips' Double Metaphone ("The Double Metaphone Search
 * Algorithm", C/C++ Users Journal, June 2000): a primary and an alternate
 * code of up to four characters for a word, built letter by letter with
 * rules for the spellings of English, Germanic, Slavic, Romance, Greek and
 * Chinese names.  The codes use the letters A F H J K L M N P R S T X and 0
 * (for "th"); an alternate differs from the primary where a spelling has
 * two likely pronunciations (Schmidt: XMT and SMT).
 *
 * The word is read in ASCII upper case.  Other characters are first folded
 * as dataeng.fold_accents() folds them (Müller reads as MULLER, ß as SS),
 * except Ç and Ñ, which Double Metaphone codes itself (as S and N); any
 * character left outside ASCII is a non-letter, like a digit or a hyphen.
 * A pure ASCII value is read in place, without a copy.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

/* the length of each code, as in Philips' reference */
#define DM_CODE_LEN 4

/*
 * Positions up to DM_PAD past the end read as spaces, so that the rules
 * looking at the end of a word ("JOSE ", "IER ") see it as they see the
 * end of a word followed by another one.
 */
#define DM_PAD 5

/* bytes standing for the letters Double Metaphone codes outside ASCII */
#define DM_C_CEDILLA	((unsigned char) 0xC7)
#define DM_N_TILDE		((unsigned char) 0xD1)
/* a character that is neither a letter nor a space */
#define DM_OTHER		((unsigned char) 0x01)

/* characters folded at a time on the non-ASCII path */
#define DM_FOLD_CHUNK 256

/* the word being coded */
typedef struct DmWord
{
	const unsigned char *s;		/* bytes, ASCII letters in either case */
	int			len;
	int			last;			/* len - 1 */
	bool		slavo_germanic; /* contains W, K or CZ */
} DmWord;

/* the two codes being built */
typedef struct DmCodes
{
	char		primary[DM_CODE_LEN + 1];
	int			plen;
	char		alternate[DM_CODE_LEN + 1];
	int			alen;
} DmCodes;

/*
 * ch
 *		The upper-case character at position i: a space in the padding past
 *		the end, NUL before the start or beyond the padding.
 */
static inline unsigned char
ch(const DmWord *w, int i)
{
	if (i < 0 || i >= w->len + DM_PAD)
		return '\0';
	if (i >= w->len)
		return ' ';
	return (unsigned char) pg_ascii_toupper((char) w->s[i]);
}

/* whether the character at position i is a vowel (Y counts) */
static inline bool
vowel(const DmWord *w, int i)
{
	unsigned char c = ch(w, i);

	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
}

/*
 * at_any
 *		Whether one of the strings of the NULL-terminated list (all of the
 *		same length) is spelt at position start.
 */
static bool
at_any(const DmWord *w, int start, const char *const *list)
{
	if (start < 0 || start >= w->len + DM_PAD)
		return false;
	for (; *list; list++)
	{
		const char *t = *list;
		int			k;

		for (k = 0; t[k] != '\0'; k++)
			if (ch(w, start + k) != (unsigned char) t[k])
				break;
		if (t[k] == '\0')
			return true;
	}
	return false;
}

/* AT(start, "AB", "CD"): the word spells AB or CD at start */
#define AT(start, ...) at_any(w, (start), (const char *const[]) {__VA_ARGS__, NULL})

/*
 * add
 *		Appends to the primary and to the alternate code (each cut at
 *		DM_CODE_LEN characters).
 */
static void
add(DmCodes *c, const char *primary, const char *alternate)
{
	for (; *primary && c->plen < DM_CODE_LEN; primary++)
		c->primary[c->plen++] = *primary;
	for (; *alternate && c->alen < DM_CODE_LEN; alternate++)
		c->alternate[c->alen++] = *alternate;
}

/* the same sound in both codes */
static inline void
add1(DmCodes *c, const char *both)
{
	add(c, both, both);
}

/* whether the word starts with a Germanic VAN, VON or SCH */
static inline bool
germanic_start(const DmWord *w)
{
	return AT(0, "VAN ", "VON ") || AT(0, "SCH");
}

/*
 * code_c
 *		C (and CH, CC, CZ...) at position i; returns the next position.
 */
static int
code_c(const DmWord *w, int i, DmCodes *c)
{
	/* Germanic ACH, as in Bacher, Macher, but not Machiavelli */
	if (i > 1 && !vowel(w, i - 2) && AT(i - 1, "ACH") &&
		ch(w, i + 2) != 'I' &&
		(ch(w, i + 2) != 'E' || AT(i - 2, "BACHER", "MACHER")))
	{
		add1(c, "K");
		return i + 2;
	}
	if (i == 0 && AT(i, "CAESAR"))
	{
		add1(c, "S");
		return i + 2;
	}
	/* Italian, as in Chianti */
	if (AT(i, "CHIA"))
	{
		add1(c, "K");
		return i + 2;
	}
	if (AT(i, "CH"))
	{
		/* Michael */
		if (i > 0 && AT(i, "CHAE"))
			add(c, "K", "X");
		/* Greek roots: chemistry, chorus, character, charisma */
		else if (i == 0 &&
				 (AT(i + 1, "HARAC", "HARIS") ||
				  AT(i + 1, "HOR", "HYM", "HIA", "HEM")) &&
				 !AT(0, "CHORE"))
			add1(c, "K");
		/* Germanic and Greek CH sounding as K (architect, orchestra, Wechsler) */
		else if (germanic_start(w) ||
				 AT(i - 2, "ORCHES", "ARCHIT", "ORCHID") ||
				 AT(i + 2, "T", "S") ||
				 ((AT(i - 1, "A", "O", "U", "E") || i == 0) &&
				  AT(i + 2, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ")))
			add1(c, "K");
		else if (i == 0)
			add1(c, "X");
		else if (AT(0, "MC"))
			add1(c, "K");	/* McHugh */
		else
			add(c, "X", "K");
		return i + 2;
	}
	/* Czerny, but not Wicz */
	if (AT(i, "CZ") && !AT(i - 2, "WICZ"))
	{
		add(c, "S", "X");
		return i + 2;
	}
	/* Focaccia */
	if (AT(i + 1, "CIA"))
	{
		add1(c, "X");
		return i + 3;
	}
	/* a double C, except McClellan */
	if (AT(i, "CC") && !(i == 1 && ch(w, 0) == 'M'))
	{
		/* Bellocchio, but not Bacchus */
		if (AT(i + 2, "I", "E", "H") && !AT(i + 2, "HU"))
		{
			/* accident, accede, succeed */
			if ((i == 1 && ch(w, i - 1) == 'A') || AT(i - 1, "UCCEE", "UCCES"))
				add1(c, "KS");
			else
				add1(c, "X");	/* Bacci, Bertucci */
			return i + 3;
		}
		add1(c, "K");
		return i + 2;
	}
	if (AT(i, "CK", "CG", "CQ"))
	{
		add1(c, "K");
		return i + 2;
	}
	if (AT(i, "CI", "CE", "CY"))
	{
		/* Italian against English */
		if (AT(i, "CIO", "CIE", "CIA"))
			add(c, "S", "X");
		else
			add1(c, "S");
		return i + 2;
	}
	add1(c, "K");
	/* Mac Caffrey, Mac Gregor */
	if (AT(i + 1, " C", " Q", " G"))
		return i + 3;
	if (AT(i + 1, "C", "K", "Q") && !AT(i + 1, "CE", "CI"))
		return i + 2;
	return i + 1;
}

/*
 * code_g
 *		G (and GH, GN, GLI, GG...) at position i; returns the next position.
 */
static int
code_g(const DmWord *w, int i, DmCodes *c)
{
	unsigned char next = ch(w, i + 1);

	if (next == 'H')
	{
		if (i > 0 && !vowel(w, i - 1))
		{
			add1(c, "K");
			return i + 2;
		}
		/* Ghislane, Ghiradelli */
		if (i == 0)
		{
			add1(c, ch(w, i + 2) == 'I' ? "J" : "K");
			return i + 2;
		}
		/* Parker's rule: silent in Hugh, bough, broughton */
		if ((i > 1 && AT(i - 2, "B", "H", "D")) ||
			(i > 2 && AT(i - 3, "B", "H", "D")) ||
			(i > 3 && AT(i - 4, "B", "H")))
			return i + 2;
		/* laugh, McLaughlin, cough, gough, rough, tough */
		if (i > 2 && ch(w, i - 1) == 'U' && AT(i - 3, "C", "G", "L", "R", "T"))
			add1(c, "F");
		else if (ch(w, i - 1) != 'I')
			add1(c, "K");
		return i + 2;
	}
	if (next == 'N')
	{
		if (i == 1 && vowel(w, 0) && !w->slavo_germanic)
			add(c, "KN", "N");
		/* not Cagney */
		else if (!AT(i + 2, "EY") && !w->slavo_germanic)
			add(c, "N", "KN");
		else
			add1(c, "KN");
		return i + 2;
	}
	/* Tagliaro */
	if (AT(i + 1, "LI") && !w->slavo_germanic)
	{
		add(c, "KL", "L");
		return i + 2;
	}
	/* GES-, GEP-, GEL-, GIE-... at the start */
	if (i == 0 &&
		(next == 'Y' ||
		 AT(i + 1, "ES", "EP", "EB", "EL", "EY", "IB", "IL", "IN", "IE", "EI", "ER")))
	{
		add(c, "K", "J");
		return i + 2;
	}
	/* -GER-, -GY- */
	if ((AT(i + 1, "ER") || next == 'Y') &&
		!AT(0, "DANGER", "RANGER", "MANGER") &&
		!AT(i - 1, "E", "I") &&
		!AT(i - 1, "RGY", "OGY"))
	{
		add(c, "K", "J");
		return i + 2;
	}
	/* Italian, as in Biaggi */
	if (AT(i + 1, "E", "I", "Y") || AT(i - 1, "AGGI", "OGGI"))
	{
		if (germanic_start(w) || AT(i + 1, "ET"))
			add1(c, "K");
		else if (AT(i + 1, "IER "))
			add1(c, "J");		/* French ending */
		else
			add(c, "J", "K");
		return i + 2;
	}
	add1(c, "K");
	return next == 'G' ? i + 2 : i + 1;
}

/*
 * code_j
 *		J at position i; returns the next position.
 */
static int
code_j(const DmWord *w, int i, DmCodes *c)
{
	/* Spanish: Jose, San Jacinto */
	if (AT(i, "JOSE") || AT(0, "SAN "))
	{
		if ((i == 0 && ch(w, i + 4) == ' ') || AT(0, "SAN "))
			add1(c, "H");
		else
			add(c, "J", "H");
		return i + 1;
	}
	if (i == 0)
		add(c, "J", "A");		/* Yankelovich, Jankelowicz */
	else if (vowel(w, i - 1) && !w->slavo_germanic &&
			 (ch(w, i + 1) == 'A' || ch(w, i + 1) == 'O'))
		add(c, "J", "H");		/* Spanish: bajador */
	else if (i == w->last)
		add(c, "J", "");
	else if (!AT(i + 1, "L", "T", "K", "S", "N", "M", "B", "Z") &&
			 !AT(i - 1, "S", "K", "L"))
		add1(c, "J");
	return ch(w, i + 1) == 'J' ? i + 2 : i + 1;
}

/*
 * code_s
 *		S (and SH, SCH, SZ...) at position i; returns the next position.
 */
static int
code_s(const DmWord *w, int i, DmCodes *c)
{
	/* silent in island, isle, Carlisle, Carlysle */
	if (AT(i - 1, "ISL", "YSL"))
		return i + 1;
	if (i == 0 && AT(i, "SUGAR"))
	{
		add(c, "X", "S");
		return i + 1;
	}
	if (AT(i, "SH"))
	{
		/* Germanic */
		if (AT(i + 1, "HEIM", "HOEK", "HOLM", "HOLZ"))
			add1(c, "S");
		else
			add1(c, "X");
		return i + 2;
	}
	/* Italian and Armenian */
	if (AT(i, "SIO", "SIA") || AT(i, "SIAN"))
	{
		if (!w->slavo_germanic)
			add(c, "S", "X");
		else
			add1(c, "S");
		return i + 3;
	}
	/*
	 * German and anglicised spellings: Smith and Schmidt, Snider and
	 * Schneider; SZ in Slavic names
	 */
	if ((i == 0 && AT(i + 1, "M", "N", "L", "W")) || AT(i + 1, "Z"))
	{
		add(c, "S", "X");
		return AT(i + 1, "Z") ? i + 2 : i + 1;
	}
	if (AT(i, "SC"))
	{
		/* Schlesinger's rule */
		if (ch(w, i + 2) == 'H')
		{
			/* Dutch: school, schooner, Schermerhorn, Schenker */
			if (AT(i + 3, "OO", "ER", "EN", "UY", "ED", "EM"))
			{
				if (AT(i + 3, "ER", "EN"))
					add(c, "X", "SK");
				else
					add1(c, "SK");
			}
			else if (i == 0 && !vowel(w, 3) && ch(w, 3) != 'W')
				add(c, "X", "S");
			else
				add1(c, "X");
			return i + 3;
		}
		if (AT(i + 2, "I", "E", "Y"))
			add1(c, "S");
		else
			add1(c, "SK");
		return i + 3;
	}
	/* French: Resnais, Artois */
	if (i == w->last && AT(i - 2, "AI", "OI"))
		add(c, "", "S");
	else
		add1(c, "S");
	return AT(i + 1, "S", "Z") ? i + 2 : i + 1;
}

/*
 * code_w
 *		W at position i; returns the next position.
 */
static int
code_w(const DmWord *w, int i, DmCodes *c)
{
	if (AT(i, "WR"))
	{
		add1(c, "R");
		return i + 2;
	}
	if (i == 0 && (vowel(w, i + 1) || AT(i, "WH")))
	{
		/* Wasserman and Vasserman; Uomo and Womo */
		if (vowel(w, i + 1))
			add(c, "A", "F");
		else
			add1(c, "A");
	}
	/* Arnow and Arnoff; Polish -ewski */
	if ((i == w->last && vowel(w, i - 1)) ||
		AT(i - 1, "EWSKI", "EWSKY", "OWSKI", "OWSKY") ||
		AT(0, "SCH"))
	{
		add(c, "", "F");
		return i + 1;
	}
	/* Polish: Filipowicz */
	if (AT(i, "WICZ", "WITZ"))
	{
		add(c, "TS", "FX");
		return i + 4;
	}
	return i + 1;
}

/*
 * encode
 *		Both codes of the word, by Philips' rules, letter by letter.
 */
static void
encode(const DmWord *w, DmCodes *c)
{
	int			i = 0;

	c->plen = c->alen = 0;

	/* silent first letters */
	if (AT(0, "GN", "KN", "PN", "WR", "PS"))
		i = 1;
	/* an initial X sounds as S: Xavier */
	if (ch(w, 0) == 'X')
	{
		add1(c, "S");
		i = 1;
	}

	while ((c->plen < DM_CODE_LEN || c->alen < DM_CODE_LEN) && i < w->len)
	{
		unsigned char l = ch(w, i);

		switch (l)
		{
			case 'A':
			case 'E':
			case 'I':
			case 'O':
			case 'U':
			case 'Y':
				/* only a first vowel is coded, as A */
				if (i == 0)
					add1(c, "A");
				i++;
				break;
			case 'B':
				/* -MB, as in Dumb, is handled at M */
				add1(c, "P");
				i += ch(w, i + 1) == 'B' ? 2 : 1;
				break;
			case DM_C_CEDILLA:
				add1(c, "S");
				i++;
				break;
			case 'C':
				i = code_c(w, i, c);
				break;
			case 'D':
				if (AT(i, "DG"))
				{
					if (AT(i + 2, "I", "E", "Y"))
					{
						add1(c, "J");	/* edge */
						i += 3;
					}
					else
					{
						add1(c, "TK");	/* Edgar */
						i += 2;
					}
				}
				else
				{
					add1(c, "T");
					i += AT(i, "DT", "DD") ? 2 : 1;
				}
				break;
			case 'F':
				add1(c, "F");
				i += ch(w, i + 1) == 'F' ? 2 : 1;
				break;
			case 'G':
				i = code_g(w, i, c);
				break;
			case 'H':
				/* kept first or between vowels, before a vowel */
				if ((i == 0 || vowel(w, i - 1)) && vowel(w, i + 1))
				{
					add1(c, "H");
					i += 2;
				}
				else
					i++;
				break;
			case 'J':
				i = code_j(w, i, c);
				break;
			case 'K':
				add1(c, "K");
				i += ch(w, i + 1) == 'K' ? 2 : 1;
				break;
			case 'L':
				if (ch(w, i + 1) == 'L')
				{
					/* Spanish: Cabrillo, Gallegos */
					if ((i == w->len - 3 && AT(i - 1, "ILLO", "ILLA", "ALLE")) ||
						((AT(w->last - 1, "AS", "OS") || AT(w->last, "A", "O")) &&
						 AT(i - 1, "ALLE")))
						add(c, "L", "");
					else
						add1(c, "L");
					i += 2;
				}
				else
				{
					add1(c, "L");
					i++;
				}
				break;
			case 'M':
				add1(c, "M");
				/* Dumb, thumb, plumber: the B is silent */
				if ((AT(i - 1, "UMB") && (i + 1 == w->last || AT(i + 2, "ER"))) ||
					ch(w, i + 1) == 'M')
					i += 2;
				else
					i++;
				break;
			case 'N':
				add1(c, "N");
				i += ch(w, i + 1) == 'N' ? 2 : 1;
				break;
			case DM_N_TILDE:
				add1(c, "N");
				i++;
				break;
			case 'P':
				if (ch(w, i + 1) == 'H')
				{
					add1(c, "F");
					i += 2;
				}
				else
				{
					/* Campbell, raspberry */
					add1(c, "P");
					i += AT(i + 1, "P", "B") ? 2 : 1;
				}
				break;
			case 'Q':
				add1(c, "K");
				i += ch(w, i + 1) == 'Q' ? 2 : 1;
				break;
			case 'R':
				/* French: Rogier, but not Hochmeier */
				if (i == w->last && !w->slavo_germanic && AT(i - 2, "IE") &&
					!AT(i - 4, "ME", "MA"))
					add(c, "", "R");
				else
					add1(c, "R");
				i += ch(w, i + 1) == 'R' ? 2 : 1;
				break;
			case 'S':
				i = code_s(w, i, c);
				break;
			case 'T':
				if (AT(i, "TION"))
				{
					add1(c, "X");
					i += 3;
				}
				else if (AT(i, "TIA", "TCH"))
				{
					add1(c, "X");
					i += 3;
				}
				else if (AT(i, "TH") || AT(i, "TTH"))
				{
					/* Thomas, Thames, and Germanic names */
					if (AT(i + 2, "OM", "AM") || germanic_start(w))
						add1(c, "T");
					else
						add(c, "0", "T");
					i += 2;
				}
				else
				{
					add1(c, "T");
					i += AT(i + 1, "T", "D") ? 2 : 1;
				}
				break;
			case 'V':
				add1(c, "F");
				i += ch(w, i + 1) == 'V' ? 2 : 1;
				break;
			case 'W':
				i = code_w(w, i, c);
				break;
			case 'X':
				/* silent at the end of French words: Breaux */
				if (!(i == w->last &&
					  (AT(i - 3, "IAU", "EAU") || AT(i - 2, "AU", "OU"))))
					add1(c, "KS");
				i += AT(i + 1, "C", "X") ? 2 : 1;
				break;
			case 'Z':
				if (ch(w, i + 1) == 'H')
				{
					add1(c, "J");	/* Chinese pinyin: Zhao */
					i += 2;
					break;
				}
				if (AT(i + 1, "ZO", "ZI", "ZA") ||
					(w->slavo_germanic && i > 0 && ch(w, i - 1) != 'T'))
					add(c, "S", "TS");
				else
					add1(c, "S");
				i += ch(w, i + 1) == 'Z' ? 2 : 1;
				break;
			default:
				/* not a letter: digits, punctuation, spaces, other scripts */
				i++;
				break;
		}
	}
	c->primary[c->plen] = '\0';
	c->alternate[c->alen] = '\0';
}

/*
 * fold_chunk
 *		Folds n characters and appends them to out as the word's bytes:
 *		ASCII as is, anything else as DM_OTHER.
 */
static void
fold_chunk(pg_wchar *chars, int n, StringInfo folded, StringInfo out)
{
	if (n == 0)
		return;
	chars[n] = 0;
	resetStringInfo(folded);
	cleanse_fold_accents_into(chars, folded);
	for (int k = 0; k < folded->len;)
	{
		unsigned char b = (unsigned char) folded->data[k];

		if (b < 0x80)
		{
			appendStringInfoChar(out, (char) b);
			k++;
		}
		else
		{
			appendStringInfoChar(out, (char) DM_OTHER);
			k += pg_utf_mblen((const unsigned char *) folded->data + k);
		}
	}
}

/*
 * read_word
 *		The word to code from a text value.  ASCII is used in place; UTF-8
 *		is folded first (Ç and Ñ kept for their own rules).  Text of another
 *		database encoding is converted to UTF-8 first (in a LATIN1 database
 *		'Straße' was coded STR, not STRS, and 'Ñandú' NT, not NNT: each
 *		non-ASCII byte counted as a non-letter); a SQL_ASCII database's
 *		bytes are read as UTF-8.  Bytes that are not valid UTF-8 count as
 *		non-letters, one each.
 */
static void
read_word(text *t, DmWord *w)
{
	const unsigned char *s;
	int			len;
	int			k;
	StringInfoData out;
	text	   *u8;

	s = (const unsigned char *) VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);
	for (k = 0; k < len; k++)
		if (s[k] >= 0x80)
			break;
	if (k < len && (u8 = dataeng_text_to_utf8(t)) != NULL)
	{
		s = (const unsigned char *) VARDATA_ANY(u8);
		len = VARSIZE_ANY_EXHDR(u8);
	}

	if (k == len)
	{
		w->s = s;
		w->len = len;
	}
	else if (pg_verify_mbstr(PG_UTF8, (const char *) s, len, true))
	{
		pg_wchar	chunk[DM_FOLD_CHUNK + 1];
		int			n = 0;
		StringInfoData folded;

		initStringInfo(&out);
		initStringInfo(&folded);
		/* the ASCII prefix needs no folding */
		appendBinaryStringInfo(&out, (const char *) s, k);
		while (k < len)
		{
			int			l = pg_utf_mblen(s + k);
			pg_wchar	cp = utf8_to_unicode(s + k);

			k += l;
			if (cp == 0x00C7 || cp == 0x00E7 || cp == 0x00D1 || cp == 0x00F1)
			{
				fold_chunk(chunk, n, &folded, &out);
				n = 0;
				appendStringInfoChar(&out, (char) ((cp == 0x00C7 || cp == 0x00E7) ?
												   DM_C_CEDILLA : DM_N_TILDE));
				continue;
			}
			chunk[n++] = cp;
			if (n == DM_FOLD_CHUNK)
			{
				fold_chunk(chunk, n, &folded, &out);
				n = 0;
			}
		}
		fold_chunk(chunk, n, &folded, &out);
		w->s = (const unsigned char *) out.data;
		w->len = out.len;
	}
	else
	{
		initStringInfo(&out);
		for (k = 0; k < len; k++)
			appendStringInfoChar(&out, (char) (s[k] < 0x80 ? s[k] : DM_OTHER));
		w->s = (const unsigned char *) out.data;
		w->len = out.len;
	}

	w->last = w->len - 1;
	w->slavo_germanic = false;
	for (k = 0; k < w->len; k++)
	{
		unsigned char c = (unsigned char) pg_ascii_toupper((char) w->s[k]);

		if (c == 'W' || c == 'K' ||
			(c == 'C' && k + 1 < w->len &&
			 pg_ascii_toupper((char) w->s[k + 1]) == 'Z'))
		{
			w->slavo_germanic = true;
			break;
		}
	}
}

PG_FUNCTION_INFO_V1(dataeng_double_metaphone);

/*
 * dataeng_double_metaphone
 *		{primary, alternate}: the two Double Metaphone codes of a value,
 *		each of up to four characters, empty for a value without letters.
 */
Datum
dataeng_double_metaphone(PG_FUNCTION_ARGS)
{
	DmWord		w;
	DmCodes		c;
	Datum		elems[2];

	read_word(PG_GETARG_TEXT_PP(0), &w);
	encode(&w, &c);
	elems[0] = PointerGetDatum(cstring_to_text(c.primary));
	elems[1] = PointerGetDatum(cstring_to_text(c.alternate));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, 2, TEXTOID, -1, false,
										  TYPALIGN_INT));
}

PG_FUNCTION_INFO_V1(dataeng_metaphone_key);

/*
 * dataeng_metaphone_key
 *		The primary Double Metaphone code, for blocking: NULL when the value
 *		has no letter to code, so that such values share no block.
 */
Datum
dataeng_metaphone_key(PG_FUNCTION_ARGS)
{
	DmWord		w;
	DmCodes		c;

	read_word(PG_GETARG_TEXT_PP(0), &w);
	encode(&w, &c);
	if (c.plen == 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text_with_len(c.primary, c.plen));
}
