-----------------------------------------------------------------------------
-- Cleansing: string similarity (src/cleanse/fuzzy.c)
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng.jaro_winkler(a text, b text)
RETURNS double precision
AS 'MODULE_PATHNAME', 'dataeng_jaro_winkler'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.jaro_winkler(text, text) IS
  'Jaro-Winkler similarity of two strings, 0 (different) to 1 (identical)';

CREATE FUNCTION dataeng.damerau_levenshtein(a text, b text)
RETURNS integer
AS 'MODULE_PATHNAME', 'dataeng_damerau_levenshtein'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.damerau_levenshtein(text, text) IS
  'Edits (insert, delete, substitute, swap adjacent characters) between two strings';

-- Phonetic codes (src/cleanse/phonetic.c)
CREATE FUNCTION dataeng.double_metaphone(value text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'dataeng_double_metaphone'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.double_metaphone(text) IS
  'Double Metaphone codes {primary, alternate} of up to 4 characters; accents folded first';

CREATE FUNCTION dataeng.metaphone_key(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_metaphone_key'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.metaphone_key(text) IS
  'Primary Double Metaphone code, a blocking key; NULL when the value has no letter to code';

-- Text cleansers (src/cleanse/text.c); they need a UTF-8 database.
CREATE FUNCTION dataeng.clean_text(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_clean_text'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.clean_text(text) IS
  'Trimmed, inner white space collapsed, control and zero-width characters removed, Unicode NFC';

CREATE FUNCTION dataeng.fold_accents(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fold_accents'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.fold_accents(text) IS
  'Accents and ligatures folded to ASCII (e with acute to e, sharp s to ss, ligature AE to AE), case kept; IMMUTABLE, unlike unaccent';

CREATE FUNCTION dataeng.fingerprint(value text)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_fingerprint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.fingerprint(text) IS
  'OpenRefine key-collision fingerprint: distinct folded lower-case words, sorted';

CREATE FUNCTION dataeng.ngram_fingerprint(value text, n int DEFAULT 2)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_ngram_fingerprint'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.ngram_fingerprint(text, int) IS
  'OpenRefine n-gram fingerprint: distinct n-grams of the folded text, sorted and concatenated';

-- Phones in E.164, through libphonenumber (src/cleanse/phones.c).
CREATE FUNCTION dataeng.to_e164(phone text, region text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_to_e164'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.to_e164(text, text) IS
  'The phone number in E.164 form (+441234567890), or NULL when it is not a valid number';

-- Email normal form (src/cleanse/emails.c).
CREATE FUNCTION dataeng.normalize_email(email text, provider_rules boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_normalize_email'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.normalize_email(text, boolean) IS
  'Trimmed, NFC, domain lower-cased and in IDNA ASCII form (Gmail/Outlook rules optional); the address of "Name <addr>"; NULL when not an address';

CREATE FUNCTION dataeng.normalize_email_strict(email text, provider_rules boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_normalize_email_strict'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.normalize_email_strict(text, boolean) IS
  'normalize_email(), raising an error that says why when the text is not an address';

-- Numbers as people write them (src/cleanse/numbers.c).  Not STRICT:
-- decimal_sep may be NULL (inferred); a NULL text gives NULL.
CREATE FUNCTION dataeng.parse_number(value text, decimal_sep text DEFAULT NULL)
RETURNS numeric
AS 'MODULE_PATHNAME', 'dataeng_parse_number'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_number(text, text) IS
  'The number in text such as "1.234,56", "(12.50)", "12%", "$1,234.00"; NULL when none, ambiguous or followed by a unit (see parse_quantity)';

CREATE FUNCTION dataeng.parse_number_strict(value text, decimal_sep text DEFAULT NULL)
RETURNS numeric
AS 'MODULE_PATHNAME', 'dataeng_parse_number_strict'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_number_strict(text, text) IS
  'parse_number(), raising an error that says why instead of returning NULL';

-- Units (src/cleanse/units.c).
CREATE FUNCTION dataeng.convert_unit(value numeric, from_unit text, to_unit text)
RETURNS numeric
AS 'MODULE_PATHNAME', 'dataeng_convert_unit'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.convert_unit(numeric, text, text) IS
  'A quantity converted between units of mass, length, volume, area, temperature or time';

CREATE FUNCTION dataeng.parse_quantity(quantity text, OUT value numeric, OUT unit text)
RETURNS record
AS 'MODULE_PATHNAME', 'dataeng_parse_quantity'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_quantity(text) IS
  'A number and a known unit read from text such as "2.5 lbs" or "1,234.5 kg" (NULLs when it is not one)';

-- Currencies.  Rates are units of the currency per one unit of a base
-- currency of your choice (enter the base itself with 1).
CREATE TABLE dataeng.fx_rates (
  currency       text    NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  rate_date      date    NOT NULL,
  units_per_base numeric NOT NULL CHECK (units_per_base > 0),
  PRIMARY KEY (currency, rate_date)
);
COMMENT ON TABLE dataeng.fx_rates IS
  'Exchange rates: units of currency per unit of the base currency, by date';
COMMENT ON COLUMN dataeng.fx_rates.currency IS 'ISO 4217 currency code';
COMMENT ON COLUMN dataeng.fx_rates.rate_date IS 'Day the rate applies from';
COMMENT ON COLUMN dataeng.fx_rates.units_per_base IS 'Units of the currency per unit of the base currency';
SELECT pg_catalog.pg_extension_config_dump('dataeng.fx_rates', '');
GRANT SELECT ON dataeng.fx_rates TO PUBLIC;

-- The rate of a currency on a date: the latest on or before it.
CREATE FUNCTION dataeng.fx_rate(cur text, at date)
RETURNS numeric
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  r numeric;
BEGIN
  SELECT units_per_base INTO r FROM dataeng.fx_rates
   WHERE currency = upper(cur) AND rate_date <= at
   ORDER BY rate_date DESC LIMIT 1;
  IF r IS NULL THEN
    RAISE EXCEPTION 'no exchange rate for % on or before %', upper(cur), at
      USING ERRCODE = 'no_data_found',
            HINT = 'Add one to dataeng.fx_rates (the base currency with units_per_base 1).';
  END IF;
  RETURN r;
END;
$$;
COMMENT ON FUNCTION dataeng.fx_rate(text, date) IS
  'The rate of a currency (units per base unit) on a date: the latest on or before it';

CREATE FUNCTION dataeng.to_currency(amount numeric, from_cur text, to_cur text, at date)
RETURNS numeric
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT CASE WHEN upper(from_cur) = upper(to_cur) THEN amount
              ELSE amount / dataeng.fx_rate(from_cur, at) * dataeng.fx_rate(to_cur, at) END
$$;
COMMENT ON FUNCTION dataeng.to_currency(numeric, text, text, date) IS
  'An amount converted between currencies at the latest rates on or before a date (dataeng.fx_rates)';

-- Last observation carried forward, as a window function:
--   dataeng.locf(price) OVER (PARTITION BY sku ORDER BY day)
CREATE FUNCTION dataeng_internal._locf_step(state anyelement, value anyelement)
RETURNS anyelement
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS 'SELECT coalesce($2, $1)';
COMMENT ON FUNCTION dataeng_internal._locf_step(anyelement, anyelement) IS 'internal: step of dataeng.locf';
REVOKE ALL ON FUNCTION dataeng_internal._locf_step(anyelement, anyelement) FROM PUBLIC;
CREATE AGGREGATE dataeng.locf(anyelement) (
  SFUNC = dataeng_internal._locf_step,
  STYPE = anyelement,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE dataeng.locf(anyelement) IS
  'Last non-null value so far: use as a window function ordered by time (last observation carried forward)';

-- Fill the NULLs of a column.  Only NULL is missing: '' is a value like
-- any other.  Of values equally frequent, mode() takes the first in the
-- column's sort order (its collation), so '' wins a tie with 'b'.
-- An entry point (src/cleanse/fill.c): the body below fills the
-- column as the table's owner, restricted, like dedupe() and REFRESH
-- MATERIALIZED VIEW: the table's triggers, defaults, index expressions and
-- its column type's functions are its owner's code, which ran with the
-- caller's rights (a superuser's, filling a plain role's table).  So, as
-- REFRESH, it is for a role with the owner's rights: see _fill_missing.
CREATE FUNCTION dataeng.fill_missing(tbl regclass, column_name text, strategy text,
                                     value text DEFAULT NULL, order_by text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_fill_missing'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.fill_missing(regclass, text, text, text, text) IS
  'Fills the NULLs of a column (constant, mean, median, mode or locf by order_by); returns the rows filled';

-- The body of fill_missing, as its owner for the caller: the caller needs
-- UPDATE and SELECT on the table, USAGE on its schema, and every row of it
-- (dataeng.rows_readable: the owner's UPDATE passes no row-level security);
-- the UPDATE runs as the table's owner (dataeng_internal._exec_as), whose
-- triggers and CHECK constraints then see the owner as current_user: the
-- caller must have the owner's rights too (the owner, a member of its role,
-- a superuser: _require_owner_rights), or a role granted UPDATE would
-- write what the owner's checks let only the owner write.
CREATE FUNCTION dataeng_internal._fill_missing(caller regrole, tbl regclass, column_name text, strategy text,
                                               value text, order_by text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  coltype text;
  is_numeric boolean;
  n bigint;
  owner_ regrole;
  upd text;
BEGIN
  IF tbl IS NULL OR column_name IS NULL OR strategy IS NULL THEN
    RAISE EXCEPTION '% must not be NULL', CASE WHEN tbl IS NULL THEN 'tbl' WHEN column_name IS NULL THEN 'column_name' ELSE 'strategy' END
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT c.relowner::regrole INTO owner_ FROM pg_class c WHERE c.oid = tbl;
  IF owner_ IS NULL THEN
    RAISE EXCEPTION 'relation with OID % does not exist', tbl::oid USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT (coalesce(has_table_privilege(caller, tbl, 'UPDATE'), false)
          AND coalesce(has_table_privilege(caller, tbl, 'SELECT'), false)
          AND coalesce(dataeng.rows_readable(tbl, caller::name), false)) THEN
    RAISE EXCEPTION 'permission denied for table %', tbl
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'dataeng.fill_missing() fills the column as the table''s owner: it takes UPDATE and SELECT on the table, USAGE on its schema, no row-level security hiding rows from the caller, and the rights of the table''s owner.',
            HINT = 'Ask the table''s owner to fill it.';
  END IF;
  PERFORM dataeng_internal._require_owner_rights(caller, tbl, 'dataeng.fill_missing()');
  -- the owner's code runs here, as the owner: a temporary object of a
  -- role without the owner's privileges could be found by it by name
  IF dataeng_internal._temp_foreign_owner(owner_) IS NOT NULL THEN
    RAISE EXCEPTION 'cannot fill table % in this session: it holds temporary objects of role %',
          tbl, dataeng_internal._temp_foreign_owner(owner_)
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('fill_missing() fills %s as its owner %s, whose code could find them by name in place of its own.',
                            tbl, owner_),
            HINT = 'Fill it in a session without them (or after DISCARD TEMP).';
  END IF;
  SELECT format_type(a.atttypid, a.atttypmod),
         dataeng_internal._base_type(a.atttypid::regtype) = 'numeric'::regtype
    INTO coltype, is_numeric
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped;
  IF coltype IS NULL THEN
    RAISE EXCEPTION 'column "%" of table % does not exist', column_name, tbl
      USING ERRCODE = 'undefined_column';
  END IF;

  CASE strategy
  WHEN 'constant' THEN
    IF value IS NULL THEN
      RAISE EXCEPTION 'strategy constant needs a value' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    upd := format('UPDATE %s SET %I = %L::%s WHERE %I IS NULL', tbl, column_name, value, coltype, column_name);
  WHEN 'mean', 'median', 'mode' THEN
    -- computed and assigned in the column's type, in one statement: never
    -- through text, whose form depends on settings (extra_float_digits
    -- rounds a float); numeric to integer is an assignment cast, which
    -- rounds, as UPDATE ... SET q = avg(q) would.  The mean of a numeric
    -- column is rounded to the largest scale of its values (avg() gives
    -- 16 and more decimal places, 14.3333333333333333 of 10, 13 and 20,
    -- which a column without a scale of its own kept), as an integer
    -- column's mean is rounded to an integer; a column with a scale,
    -- numeric(6,2), holds its values at that scale.
    BEGIN
      upd := format('UPDATE %1$s t SET %2$I = f.v FROM (SELECT %3$s AS v FROM %1$s WHERE %2$I IS NOT NULL) f '
                     'WHERE t.%2$I IS NULL AND f.v IS NOT NULL',
                     tbl, column_name,
                     CASE WHEN strategy = 'mean' AND is_numeric
                          THEN format('round(avg(%1$I), coalesce(max(scale(%1$I)), 0))', column_name)
                          WHEN strategy = 'mean' THEN format('avg(%I)', column_name)
                          WHEN strategy = 'median' THEN format('percentile_disc(0.5) WITHIN GROUP (ORDER BY %I)', column_name)
                          ELSE format('mode() WITHIN GROUP (ORDER BY %I)', column_name) END);
      RETURN dataeng_internal._fill_missing_run(owner_, upd);
    EXCEPTION WHEN undefined_function THEN
      -- no avg() of the type, or no ordering for median and mode
      RAISE EXCEPTION 'strategy % does not apply to column "%" of type %', strategy, column_name, coltype
        USING ERRCODE = 'datatype_mismatch',
              HINT = CASE strategy WHEN 'mean' THEN 'mean needs numbers or intervals; use median or mode.'
                     ELSE 'median and mode need a type with an order; use constant.' END;
    END;
  WHEN 'locf' THEN
    IF order_by IS NULL THEN
      RAISE EXCEPTION 'strategy locf needs order_by, a column of %', tbl
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
                      AND a.attname = order_by AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'order_by column "%" of table % does not exist', order_by, tbl
        USING ERRCODE = 'undefined_column';
    END IF;
    -- a row is its table and ctid: in a partitioned (or inherited) table,
    -- ctids repeat across partitions, and a ctid alone could give a row the
    -- value carried to a row of another partition.  A row takes the last
    -- value of the rows before it in order_by, not of its peers (rows of
    -- the same order_by value), and among the values of one order_by value
    -- the greatest (when the type sorts) is the last: with the window's
    -- default frame, a NULL took the value of a peer, which one depended on
    -- the rows' physical order.  A row whose order_by is NULL has no place
    -- in the order and is not filled (it took the last value of all).
    upd := format('UPDATE %1$s t SET %2$I = f.v FROM (SELECT tableoid AS o, ctid AS c, %3$I IS NULL AS unordered, '
                   'dataeng.locf(%2$I) OVER (ORDER BY %3$I%4$s GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS v FROM %1$s) f '
                   'WHERE t.tableoid = f.o AND t.ctid = f.c AND t.%2$I IS NULL AND f.v IS NOT NULL AND NOT f.unordered',
                   tbl, column_name, order_by,
                   CASE WHEN (SELECT o.opcname IS NOT NULL
                                FROM pg_attribute a
                                LEFT JOIN pg_opclass o ON o.opcmethod = (SELECT am.oid FROM pg_am am WHERE am.amname = 'btree')
                                     AND o.opcdefault
                                     AND o.opcintype = (SELECT coalesce(nullif(ty.typbasetype, 0), ty.oid) FROM pg_type ty WHERE ty.oid = a.atttypid)
                               WHERE a.attrelid = tbl AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped
                               LIMIT 1)
                        THEN format(', %I NULLS FIRST', column_name) ELSE '' END);
  ELSE
    RAISE EXCEPTION 'unknown strategy "%"', strategy
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use constant, mean, median, mode or locf.';
  END CASE;
  RETURN dataeng_internal._fill_missing_run(owner_, upd);
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._fill_missing(regrole, regclass, text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._fill_missing(regrole, regclass, text, text, text, text) IS
  'internal: body of dataeng.fill_missing(), for the calling role; fills the column as the table''s owner';

-- An UPDATE run as a table's owner (restricted, search_path pinned,
-- settings rolled back): the rows it changed.
CREATE FUNCTION dataeng_internal._fill_missing_run(owner_ regrole, upd text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  -- (dataeng_internal._exec_as is made in rules.sql, after this file)
  RETURN (dataeng_internal._exec_as(owner_,
            format('WITH u AS (%s RETURNING 1) SELECT pg_catalog.to_jsonb(pg_catalog.count(*)) FROM u', upd),
            false) OPERATOR(pg_catalog.#>>) '{}')::bigint;
END;
$$;
REVOKE ALL ON FUNCTION dataeng_internal._fill_missing_run(regrole, text) FROM PUBLIC;
COMMENT ON FUNCTION dataeng_internal._fill_missing_run(regrole, text) IS
  'internal: run fill_missing''s UPDATE as the table''s owner; the rows it changed';

-- Names in proper case (src/cleanse/names.c).
