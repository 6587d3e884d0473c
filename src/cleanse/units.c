/*-------------------------------------------------------------------------
 *
 * units.c
 *		dataeng.convert_unit() and dataeng.parse_quantity(): quantities in
 *		mass, length, volume, area, temperature and time.
 *
 * Each unit is its factor to the dimension's base unit (kg, m, l, m², K, s)
 * as an exact decimal (or fraction), plus an offset for temperatures
 * (affine), so that conversions are computed in numeric without binary
 * rounding.  US
 * customary volumes are used for gallons, quarts, pints, cups and fluid
 * ounces.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "common/common.h"
#include "cleanse/cleanse.h"

typedef struct Unit
{
	const char *names;			/* "|"-separated spellings, lower case */
	const char *canonical;
	const char *dimension;
	const char *factor;			/* base units per unit */
	const char *offset;			/* base = (value + offset) * factor / divisor */
	const char *divisor;
} Unit;

static const Unit units[] = {
	{"kg|kgs|kilogram|kilograms|kilo|kilos", "kg", "mass", "1", NULL, NULL},
	{"g|gr|gram|grams|gramme|grammes", "g", "mass", "0.001", NULL, NULL},
	{"mg|milligram|milligrams", "mg", "mass", "0.000001", NULL, NULL},
	{"t|tonne|tonnes|metric ton|metric tons", "t", "mass", "1000", NULL, NULL},
	{"lb|lbs|pound|pounds", "lb", "mass", "0.45359237", NULL, NULL},
	{"oz|ounce|ounces", "oz", "mass", "0.028349523125", NULL, NULL},
	{"st|stone|stones", "st", "mass", "6.35029318", NULL, NULL},
	{"m|meter|meters|metre|metres", "m", "length", "1", NULL, NULL},
	{"cm|centimeter|centimeters|centimetre|centimetres", "cm", "length", "0.01", NULL, NULL},
	{"mm|millimeter|millimeters|millimetre|millimetres", "mm", "length", "0.001", NULL, NULL},
	{"km|kilometer|kilometers|kilometre|kilometres", "km", "length", "1000", NULL, NULL},
	{"in|inch|inches|\"", "in", "length", "0.0254", NULL, NULL},
	{"ft|foot|feet|'", "ft", "length", "0.3048", NULL, NULL},
	{"yd|yard|yards", "yd", "length", "0.9144", NULL, NULL},
	{"mi|mile|miles", "mi", "length", "1609.344", NULL, NULL},
	{"l|lt|liter|liters|litre|litres", "l", "volume", "1", NULL, NULL},
	{"ml|milliliter|milliliters|millilitre|millilitres", "ml", "volume", "0.001", NULL, NULL},
	{"cl|centiliter|centiliters|centilitre|centilitres", "cl", "volume", "0.01", NULL, NULL},
	{"dl|deciliter|deciliters|decilitre|decilitres", "dl", "volume", "0.1", NULL, NULL},
	{"m3|m³|cubic meter|cubic meters|cubic metre|cubic metres", "m3", "volume", "1000", NULL, NULL},
	{"gal|gallon|gallons", "gal", "volume", "3.785411784", NULL, NULL},
	{"qt|quart|quarts", "qt", "volume", "0.946352946", NULL, NULL},
	{"pt|pint|pints", "pt", "volume", "0.473176473", NULL, NULL},
	{"cup|cups", "cup", "volume", "0.2365882365", NULL, NULL},
	{"fl oz|floz|fluid ounce|fluid ounces", "fl oz", "volume", "0.0295735295625", NULL, NULL},
	{"m2|m²|sq m|square meter|square meters|square metre|square metres", "m2", "area", "1", NULL, NULL},
	{"cm2|cm²|sq cm", "cm2", "area", "0.0001", NULL, NULL},
	{"km2|km²|sq km", "km2", "area", "1000000", NULL, NULL},
	{"ha|hectare|hectares", "ha", "area", "10000", NULL, NULL},
	{"acre|acres|ac", "acre", "area", "4046.8564224", NULL, NULL},
	{"ft2|ft²|sq ft|square foot|square feet", "ft2", "area", "0.09290304", NULL, NULL},
	{"in2|in²|sq in|square inch|square inches", "in2", "area", "0.00064516", NULL, NULL},
	{"k|kelvin|kelvins", "K", "temperature", "1", NULL, NULL},
	/* ℃ and ℉ (U+2103, U+2109) as CJK text writes them; ºC with the ordinal sign (U+00BA) */
	{"c|°c|℃|ºc|celsius|degc|deg c", "°C", "temperature", "1", "273.15", NULL},
	{"f|°f|℉|ºf|fahrenheit|degf|deg f", "°F", "temperature", "5", "459.67", "9"},
	{"s|sec|secs|second|seconds", "s", "time", "1", NULL, NULL},
	{"ms|millisecond|milliseconds", "ms", "time", "0.001", NULL, NULL},
	{"min|mins|minute|minutes", "min", "time", "60", NULL, NULL},
	{"h|hr|hrs|hour|hours", "h", "time", "3600", NULL, NULL},
	{"d|day|days", "d", "time", "86400", NULL, NULL},
	{"wk|week|weeks", "wk", "time", "604800", NULL, NULL},
};

/*
 * mega_spelling
 *		Whether s (len bytes, trimmed) is the SI symbol of a mega unit whose
 *		lower case is a milli unit: Mg (megagram, a tonne), Mm, Ms, and ML
 *		or Ml (megalitre, as water is metered).  Case-insensitive matching
 *		read them as mg, mm, ms and ml, a factor of 10^9 away; they are
 *		no unit here rather than a guess (an all-capitals MG, MM or MS is
 *		no SI symbol, and stays the milli unit of text written in capitals).
 */
static bool
mega_spelling(const char *s, int len)
{
	return len == 2 && s[0] == 'M' &&
		(s[1] == 'g' || s[1] == 'm' || s[1] == 's' || s[1] == 'L' || s[1] == 'l');
}

/*
 * find_unit
 *		The unit spelled s (any case, surrounding spaces ignored), or NULL.
 */
static const Unit *
find_unit(const char *s, int len)
{
	char		key[64];
	int			n = 0;

	while (len > 0 && isspace((unsigned char) *s))
		s++, len--;
	while (len > 0 && isspace((unsigned char) s[len - 1]))
		len--;
	if (len == 0 || len >= (int) sizeof(key) || mega_spelling(s, len))
		return NULL;
	for (int i = 0; i < len; i++)
		key[n++] = (s[i] & 0x80) ? s[i] : pg_ascii_tolower(s[i]);
	key[n] = '\0';
	/* a trailing period: "lbs." */
	if (n > 1 && key[n - 1] == '.')
		key[--n] = '\0';

	for (int u = 0; u < (int) lengthof(units); u++)
	{
		const char *p = units[u].names;

		while (*p)
		{
			const char *bar = strchr(p, '|');
			int			l = bar ? bar - p : (int) strlen(p);

			if (l == n && memcmp(p, key, n) == 0)
				return &units[u];
			p += l + (bar ? 1 : 0);
		}
	}
	return NULL;
}

/*
 * cleanse_unit_spelled
 *		Whether s (len bytes) spells a unit parse_quantity and convert_unit
 *		know; parse_number reads "5 KGS" as a unit with it, not a currency.
 */
bool
cleanse_unit_spelled(const char *s, int len)
{
	return find_unit(s, len) != NULL;
}

static Datum
num(const char *s)
{
	return DirectFunctionCall3(numeric_in, CStringGetDatum(s),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/*
 * unit_arg
 *		The unit a text argument spells, read as UTF-8 whatever the database
 *		encoding ('°C' and 'm²' of a LATIN1 database were unknown units).
 */
static const Unit *
unit_arg(text *t)
{
	text	   *u8 = dataeng_text_to_utf8(t);
	const Unit *u = u8 ? find_unit(VARDATA_ANY(u8), VARSIZE_ANY_EXHDR(u8)) : NULL;

	if (u == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown unit \"%s\"", text_to_cstring(t)),
				 mega_spelling(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)) ?
				 errdetail("By SI, \"%s\" is a mega unit (10^6), not the milli unit of its lower case, which it would otherwise have been read as.",
						   text_to_cstring(t)) : 0,
				 errhint("Known dimensions: mass, length, volume, area, temperature, time; see docs/cleanse.md for the spellings.")));
	return u;
}

PG_FUNCTION_INFO_V1(dataeng_convert_unit);

/*
 * dataeng_convert_unit
 *		value in from_unit, expressed in to_unit.  Units of different
 *		dimensions are an error, not a number.
 */
Datum
dataeng_convert_unit(PG_FUNCTION_ARGS)
{
	Datum		value = PG_GETARG_DATUM(0);
	const Unit *from = unit_arg(PG_GETARG_TEXT_PP(1));
	const Unit *to = unit_arg(PG_GETARG_TEXT_PP(2));
	Datum		base;

	if (strcmp(from->dimension, to->dimension) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot convert %s (%s) to %s (%s)", from->canonical,
						from->dimension, to->canonical, to->dimension),
				 errdetail("Only units of the same dimension convert into each other.")));
	/* to the base unit: (value + offset) * factor / divisor */
	base = value;
	if (from->offset)
		base = DirectFunctionCall2(numeric_add, base, num(from->offset));
	base = DirectFunctionCall2(numeric_mul, base, num(from->factor));
	if (from->divisor)
		base = DirectFunctionCall2(numeric_div, base, num(from->divisor));
	/* no temperature is below absolute zero (0 K, the base unit) */
	if (strcmp(from->dimension, "temperature") == 0 &&
		DatumGetInt32(DirectFunctionCall2(numeric_cmp, base, num("0"))) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("temperature %s %s is below absolute zero",
						DatumGetCString(DirectFunctionCall1(numeric_out, value)), from->canonical)));
	if (from == to)
		PG_RETURN_DATUM(value);
	/* and back, into the target unit */
	if (to->divisor)
		base = DirectFunctionCall2(numeric_mul, base, num(to->divisor));
	base = DirectFunctionCall2(numeric_div, base, num(to->factor));
	if (to->offset)
		base = DirectFunctionCall2(numeric_sub, base, num(to->offset));
	base = DirectFunctionCall1(numeric_trim_scale, base);
	PG_RETURN_DATUM(base);
}

/*
 * utf8_char
 *		The code point of the UTF-8 character at s[i] (of len bytes) and its
 *		length in *l; a byte that starts no valid sequence is itself, one
 *		byte long.  It then matches nothing a quantity's number holds but
 *		for a lone 0xA0, which reads as a no-break space (as Latin-1 has it):
 *		invalid UTF-8 that only a SQL_ASCII database lets through.
 */
static pg_wchar
utf8_char(const char *s, int i, int len, int *l)
{
	const unsigned char *u = (const unsigned char *) s + i;

	if (u[0] >= 0xC2 && u[0] <= 0xDF && i + 1 < len && (u[1] & 0xC0) == 0x80)
	{
		*l = 2;
		return ((u[0] & 0x1F) << 6) | (u[1] & 0x3F);
	}
	if ((u[0] & 0xF0) == 0xE0 && i + 2 < len &&
		(u[1] & 0xC0) == 0x80 && (u[2] & 0xC0) == 0x80)
	{
		*l = 3;
		return ((u[0] & 0x0F) << 12) | ((u[1] & 0x3F) << 6) | (u[2] & 0x3F);
	}
	*l = 1;
	return u[0];
}

/* a blank inside a number or before its unit: space, no-break, thin, figure */
static bool
quantity_blank(pg_wchar c)
{
	return c == ' ' || c == 0xA0 || c == 0x202F || c == 0x2009 || c == 0x2007;
}

/*
 * cleanse_parse_quantity_text
 *		The canonical unit of the quantity in s (len bytes of UTF-8), with
 *		its number in numbuf (at least 48 bytes, the form numeric_in reads),
 *		or NULL when the text is not a number and a known unit.  The number
 *		is read as parse_number reads one (cleanse_parse_number_chars()):
 *		a sign (a hyphen-minus, U+2212 or an en dash), group separators
 *		("1,234.5 kg", "1.234,5 kg", "12 500 g", "1'234 m") and the decimal
 *		separator inferred, "1,500 kg" (1.5 or 1500?) ambiguous and no
 *		quantity, "0,500 kg" and "1,5 kg" decimals.  A blank or an
 *		apostrophe is part of the number only between digits: "5' " is five
 *		feet.  The blank before the unit may be a no-break or thin space
 *		("5 kg" as SI typesets it).  Pure, for the fuzz target too.
 */
const char *
cleanse_parse_quantity_text(const char *s, int len, char *numbuf)
{
	pg_wchar	w[40];
	int			nw = 0,
				i = 0,
				l,
				ulen;
	bool		digits = false,
				pct;
	const char *why;
	const Unit *u;
	char	   *canon;
	pg_wchar	c;

	while (i < len && isspace((unsigned char) s[i]))
		i++;
	/* the sign */
	if (i < len)
	{
		c = utf8_char(s, i, len, &l);
		if (c == '-' || c == '+' || c == 0x2212 || c == 0x2013)
			w[nw++] = c, i += l;
	}
	/* digits and separators; blanks and apostrophes only between digits */
	while (i < len)
	{
		bool		digit,
					between_digits;

		c = utf8_char(s, i, len, &l);
		digit = (c >= '0' && c <= '9');
		between_digits = nw > 0 && w[nw - 1] >= '0' && w[nw - 1] <= '9' &&
			i + l < len && s[i + l] >= '0' && s[i + l] <= '9';
		if (!(digit || c == '.' || c == ',' ||
			  ((quantity_blank(c) || c == '\'' || c == 0x2019) && between_digits)))
			break;
		digits |= digit;
		if (nw >= (int) lengthof(w))
			return NULL;
		w[nw++] = c;
		i += l;
	}
	if (!digits || w[nw - 1] == '.' || w[nw - 1] == ',')
		return NULL;
	/* the unit, after blanks of any kind */
	while (i < len && quantity_blank(c = utf8_char(s, i, len, &l)))
		i += l;
	ulen = len - i;
	while (ulen > 0)
	{
		/* a trailing no-break or thin space (3 or 2 bytes) */
		if (ulen >= 2 && utf8_char(s, i + ulen - 2, len, &l) == 0xA0 && l == 2)
			ulen -= 2;
		else if (ulen >= 3 && quantity_blank(utf8_char(s, i + ulen - 3, len, &l)) && l == 3)
			ulen -= 3;
		else
			break;
	}
	if ((u = find_unit(s + i, ulen)) == NULL)
		return NULL;
	canon = cleanse_parse_number_chars(w, nw, 0, &pct, &why);
	if (canon == NULL || strlen(canon) >= 48)
		return NULL;
	strcpy(numbuf, canon);
	return u->canonical;
}

PG_FUNCTION_INFO_V1(dataeng_parse_quantity);

/*
 * dataeng_parse_quantity
 *		"2.5 lbs" → (2.5, lb): a decimal number and a known unit; NULLs when
 *		the text is not one.
 */
Datum
dataeng_parse_quantity(PG_FUNCTION_ARGS)
{
	/* read as UTF-8, the unit's symbol written back in the database encoding */
	text	   *t = dataeng_text_to_utf8(PG_GETARG_TEXT_PP(0));
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {true, true};
	char		numbuf[48];
	const char *unit;

	/* the result's row type, looked up once per call site */
	tupdesc = (TupleDesc) fcinfo->flinfo->fn_extra;
	if (tupdesc == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		tupdesc = BlessTupleDesc(CreateTupleDescCopy(tupdesc));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = tupdesc;
	}

	unit = t ? cleanse_parse_quantity_text(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), numbuf) : NULL;
	if (unit != NULL)
	{
		text	   *name = dataeng_utf8_to_text_try(unit, strlen(unit));

		/*
		 * (a database encoding without the degree sign, ISO_8859_5: °C is
		 * written degC, a spelling convert_unit reads back)
		 */
		if (name == NULL && strncmp(unit, "\xc2\xb0", 2) == 0)
			name = cstring_to_text(psprintf("deg%s", unit + 2));
		if (name != NULL)
		{
			values[0] = num(numbuf);
			values[1] = PointerGetDatum(name);
			nulls[0] = nulls[1] = false;
		}
	}
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
