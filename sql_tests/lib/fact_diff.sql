-- Symmetric difference between a fact's visible columns and a truth query
-- (0 means equal, row for row); shared by the fact tests, which include it
-- with \i from the project root, where pg_regress runs.
CREATE FUNCTION fact_diff(fact regclass, truth text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  cols text := (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                 WHERE attrelid = fact AND attnum > 0 AND NOT attisdropped AND attname NOT LIKE '\_\_%');
  n bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM ((SELECT %1$s FROM %2$s EXCEPT ALL (%3$s)) UNION ALL '
                 '((%3$s) EXCEPT ALL SELECT %1$s FROM %2$s)) x', cols, fact, truth) INTO n;
  RETURN n;
END $$;
