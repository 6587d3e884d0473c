-----------------------------------------------------------------------------
-- Duplicate records (src/cleanse/dedupe.c): find_duplicates, dedupe, undo.
--
-- Normalize the chosen columns (clean_text, fold_accents, lower); block on
-- cheap keys (each column's value, each pair of adjacent columns' values;
-- blocks of more than 20 rows carry little information and are skipped),
-- so the work grows with the table, not its square; score each candidate
-- pair as a match probability (Fellegi-Sunter, u measured on random pairs,
-- m on near-certain matches; see dedupe.c); join pairs at or above the
-- threshold into clusters.
--
-- Whose rights: find_duplicates, dedupe, dedupe_undo and dedupe_forget are
-- invoker-rights C entry points (common/entry.c); their bodies run as the
-- extension's owner with the caller as first argument, check the caller's
-- rights on the table (_dedup_check) and alone write dedupe_runs and
-- dedupe_log.  Whatever reads or writes the table -- and so may run code of
-- its owner: casts of its types, triggers, defaults -- runs as the table's
-- owner through _dedup_as (SECURITY_RESTRICTED_OPERATION, search_path
-- pinned in a GUC nest level rolled back afterwards), as REFRESH
-- MATERIALIZED VIEW does; and as REFRESH, what writes the table (dedupe,
-- dedupe_undo) is for a role with its owner's rights (the owner, a member
-- of its role, a superuser: _require_owner_rights), the owner's triggers
-- and CHECK constraints seeing the owner as current_user.  find_duplicates
-- only reads, and takes SELECT.  The internal functions are not
-- executable by PUBLIC.
-----------------------------------------------------------------------------

CREATE FUNCTION dataeng_internal._dedup_pattern(a text[], b text[])
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_dedup_pattern'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._dedup_pattern(text[], text[]) IS
  'internal: agreement level of each column of two records (0 missing, 1 different, 2 similar, 3 equal)';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_pattern(text[], text[]) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedup_estimate(patterns text[], counts float8[], ncols int, nrows bigint)
RETURNS float8[]
AS 'MODULE_PATHNAME', 'dataeng_dedup_estimate'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._dedup_estimate(text[], float8[], int, bigint) IS
  'internal: estimate the share of matches and m probabilities from the near-certain matches';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_estimate(text[], float8[], int, bigint) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedup_prob(pattern text, params float8[], u float8[])
RETURNS float8
AS 'MODULE_PATHNAME', 'dataeng_dedup_prob'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng_internal._dedup_prob(text, float8[], float8[]) IS
  'internal: match probability of an agreement pattern';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_prob(text, float8[], float8[]) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedup_nothing_found(tbl regclass, best float8, threshold float8)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_dedup_nothing_found'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng_internal._dedup_nothing_found(regclass, float8, float8) IS
  'internal: note why no duplicates of the table were found (best pair score, NULL for no near-certain match), for find_duplicates and dedupe to say so';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_nothing_found(regclass, float8, float8) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedup_centers(edges regclass)
RETURNS TABLE(id bigint, label bigint)
AS 'MODULE_PATHNAME', 'dataeng_dedup_centers'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._dedup_centers(regclass) IS
  'internal: center clustering of a table of matching pairs (a, b, prob), best first, in bounded memory; each clustered row and its center';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_centers(regclass) FROM PUBLIC;

-- Run one query as role (a table's owner) and return its rows: see dedupe.c.
CREATE FUNCTION dataeng_internal._dedup_as(role regrole, query text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataeng_dedup_as'
LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION dataeng_internal._dedup_as(regrole, text) IS
  'internal: run a query as a table''s owner, security-restricted, search_path pinned';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_as(regrole, text) FROM PUBLIC;

-- Whether role may read every row of table tbl: SELECT on it, USAGE on its
-- schema and, when it has row-level security enabled, the rights of its
-- owner (who may turn it off), superuser or BYPASSRLS.  A relation other
-- than a table or materialized view (a view, which may filter on
-- current_user or read tables with their policies; a foreign table, whose
-- server may answer each user differently) needs the rights of its owner
-- or superuser.  Dedupe work runs as
-- the owner, and the log holds whole rows, so nobody else may run it or
-- read its log.  Used by the policies, hence executable by PUBLIC: it tells
-- nothing has_table_privilege and the catalogs do not.
CREATE FUNCTION dataeng_internal._dedup_may_read(role regrole, tbl oid)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((
    SELECT has_table_privilege(r.oid, c.oid, 'SELECT')
           AND has_schema_privilege(r.oid, c.relnamespace, 'USAGE')
           AND ((c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p', 'm']::pg_catalog."char"[])
                 AND (NOT c.relrowsecurity OR r.rolbypassrls))
                OR r.rolsuper
                OR pg_has_role(r.oid, c.relowner, 'USAGE'))
      FROM pg_catalog.pg_class c, pg_catalog.pg_roles r
     WHERE c.oid OPERATOR(pg_catalog.=) tbl AND r.oid OPERATOR(pg_catalog.=) role::oid), false)
$$;
COMMENT ON FUNCTION dataeng_internal._dedup_may_read(regrole, oid) IS
  'internal: whether a role may read every row of a table (SELECT, schema USAGE, row-level security)';

-- Check that caller may work on tbl with the privileges privs (and read
-- all of it); returns the table's owner, whose rights the work runs with.
CREATE FUNCTION dataeng_internal._dedup_check(caller regrole, tbl regclass, privs text[])
RETURNS regrole
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c record;
  p text;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  SELECT cl.relowner::regrole AS owner, cl.relnamespace::regnamespace AS nsp, cl.relname INTO c
    FROM pg_class cl WHERE cl.oid OPERATOR(pg_catalog.=) tbl::oid;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table with OID % does not exist', tbl::oid USING ERRCODE = 'undefined_table';
  END IF;
  IF NOT has_schema_privilege(caller::oid, c.nsp::oid, 'USAGE') THEN
    RAISE EXCEPTION 'permission denied for schema %', c.nsp USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOREACH p IN ARRAY privs LOOP
    IF NOT has_table_privilege(caller::oid, tbl::oid, p) THEN
      RAISE EXCEPTION 'permission denied for table %', c.relname USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('This needs %s on the table.', array_to_string(privs, ', '));
    END IF;
  END LOOP;
  IF NOT dataeng_internal._dedup_may_read(caller, tbl::oid) THEN
    RAISE EXCEPTION 'row-level security of table % hides rows from %', tbl, caller
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = 'Duplicates are found as the table''s owner and would show rows you may not read.',
            HINT = 'Its owner, a superuser or a role with BYPASSRLS may do this.';
  END IF;
  -- The work runs as the owner in this session, and runs the owner's
  -- code (casts, triggers, defaults): a temporary table, type or function
  -- here of a role without the owner's privileges would be found by that
  -- code, by its name, in place of the owner's own wherever it leaves
  -- pg_temp out of its search_path (PostgreSQL then searches it first): a
  -- DELETE trigger of the owner's writing another of its tables by what
  -- such a table holds wrote it as the owner.  (The extension's own
  -- temporary tables of this work are its owner's, a superuser's.)
  PERFORM dataeng_internal._temp_foreign_refuse(c.owner, format('work on table %s', tbl),
            format('The work runs as the table''s owner %s, whose code (casts, triggers, defaults) could find them by name in place of its own.', c.owner),
            'Run it in a session without them (or after DISCARD TEMP).');
  RETURN c.owner;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedup_check(regrole, regclass, text[]) IS
  'internal: check a caller''s rights on a table to dedupe; returns its owner';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_check(regrole, regclass, text[]) FROM PUBLIC;

-- Whether column col of tbl holds a strong identifier of whom a row is
-- about: an email, a phone number, a national id, a birth date.  Told by
-- the words of its name (split at anything not a letter or digit, and at
-- lower-to-upper case changes) or of its type's name.  Two rows that both
-- fill such a column with different values are different entities unless
-- the other columns overwhelm it (see _dedup_clusters).
CREATE FUNCTION dataeng_internal._dedup_identifier(tbl regclass, col text)
RETURNS boolean
LANGUAGE sql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce((
    SELECT pg_catalog.regexp_replace(pg_catalog.regexp_replace(a.attname::pg_catalog.text,
                                       '([a-z0-9])([A-Z])', E'\\1_\\2', 'g'), '[^A-Za-z0-9]+', '_', 'g')
             OPERATOR(pg_catalog.||) '_' OPERATOR(pg_catalog.||) t.typname::pg_catalog.text
           OPERATOR(pg_catalog.~*) pg_catalog.concat('(^|_)(',
                     'e_?mail|mail|mail_?addr(ess)?|',                                -- email
                     '[a-z]*phone|tel|telephone|mobile|cell|fax|msisdn|e164|',         -- phone
                     'ssn|sin|nin|tin|bsn|nhs|npi|cpf|pesel|ni_?number|',              -- national ids
                     'soc_?sec|social_?security|national_?id|passport|tax_?id|vat_?(id|number|no)?|',
                     'id_?card|drivers?_?licen[cs]e|licen[cs]e_?(no|number)|',
                     'dob|birth|birth_?date|date_?of_?birth|birthday|born',           -- birth dates
                     ')(_|$)')
      FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid OPERATOR(pg_catalog.=) a.atttypid
     WHERE a.attrelid OPERATOR(pg_catalog.=) tbl AND a.attname OPERATOR(pg_catalog.=) col
       AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped), false)
$$;
COMMENT ON FUNCTION dataeng_internal._dedup_identifier(regclass, text) IS
  'internal: whether a column holds a strong identifier (email, phone, national id, birth date), by its name or type';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_identifier(regclass, text) FROM PUBLIC;

-- Cluster the rows of tbl, read as its owner; leaves pg_temp._dd_result
-- (cluster_id, id, k, score).
--
-- Strong identifiers (_dedup_identifier) weigh against a match when they
-- conflict, whatever the data's duplicates look like: a pair whose values
-- of such a column are both filled and different is at most 1/1000 as
-- likely among matches as among unrelated pairs, a merely similar value
-- (a typo?) never counts for a match, and pairs with a conflict are left
-- out of the near-certain matches m is learnt from.  With a single column,
-- rows are duplicates when its normalized values are equal: one column
-- cannot tell a match from a coincidence by weighing evidence.
-- The hint of an error naming a column the table does not have: columns are
-- named as the catalog spells them (a name typed with SQL quotes, or in
-- another case, is another name); a column of the table that the name
-- means once quotes and case are set aside is suggested.
CREATE FUNCTION dataeng_internal._dedup_column_hint(tbl regclass, col text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT coalesce(
           (SELECT format('Did you mean %s? ', quote_literal(a.attname))
              FROM pg_attribute a
             WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped
               AND lower(a.attname) = lower(btrim(col, '"'))
             ORDER BY a.attname = btrim(col, '"') DESC, a.attnum LIMIT 1), '')
         || 'Columns are named as the table spells them, in its case and without SQL quotes: column "Full Name" is ''Full Name'' (''{"Full Name",email}'' in an array literal).';
$$;
COMMENT ON FUNCTION dataeng_internal._dedup_column_hint(regclass, text) IS
  'internal: hint for a column name find_duplicates or dedupe did not find (the column meant, quotes and case aside)';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_column_hint(regclass, text) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedup_clusters(owner regrole, tbl regclass, columns text[], threshold float8,
                                        key_expr text)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  c text;
  ncols int;
  n bigint;
  exprs text := '';
  u float8[];
  params float8[];
  sample int;
  idents int[] := '{}';
  ci int;
  best float8;
BEGIN
  IF tbl IS NULL THEN
    RAISE EXCEPTION 'table must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF columns IS NULL THEN
    RAISE EXCEPTION 'columns must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF threshold IS NULL THEN
    RAISE EXCEPTION 'threshold must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF cardinality(columns) = 0 THEN
    RAISE EXCEPTION 'columns must list at least one column of %', tbl USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF threshold IS NULL OR threshold <= 0 OR threshold > 1 OR threshold = 'NaN' THEN
    RAISE EXCEPTION 'threshold must be in (0, 1], not %', threshold USING ERRCODE = 'invalid_parameter_value',
          HINT = 'It is the lowest match probability that joins two rows; 0.85 is the default.';
  END IF;
  -- (before the check for a name listed twice, which counts no NULL)
  IF array_position(columns, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'columns must not contain NULL' USING ERRCODE = 'null_value_not_allowed',
          DETAIL = format('Element %s of columns is NULL; each element names a column of %s.', array_position(columns, NULL), tbl),
          HINT = 'List the columns by name (a name that a query did not find is NULL).';
  END IF;
  IF (SELECT count(DISTINCT x) FROM unnest(columns) x) <> cardinality(columns) THEN
    RAISE EXCEPTION 'columns lists a column twice' USING ERRCODE = 'invalid_parameter_value',
          DETAIL = format('columns is %s.', columns);
  END IF;
  FOREACH c IN ARRAY columns LOOP
    IF c IS NULL OR NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl AND a.attname = c
                                  AND a.attnum > 0 AND NOT a.attisdropped) THEN
      RAISE EXCEPTION 'column % of table % does not exist', coalesce(quote_ident(c), 'NULL'), tbl
        USING ERRCODE = 'undefined_column', HINT = dataeng_internal._dedup_column_hint(tbl, c);
    END IF;
    exprs := exprs || CASE WHEN exprs = '' THEN '' ELSE ', ' END
             || format('NULLIF(pg_catalog.lower(dataeng.fold_accents(dataeng.clean_text(CAST(%I AS pg_catalog.text)))), %L)',
                       c, '');
  END LOOP;
  ncols := cardinality(columns);
  FOR ci IN 1 .. ncols LOOP
    IF dataeng_internal._dedup_identifier(tbl, columns[ci]) THEN
      idents := idents || ci;
    END IF;
  END LOOP;

  -- leftovers of a call that failed earlier in this session
  IF to_regclass('pg_temp._dd_rows') IS NOT NULL THEN DROP TABLE pg_temp._dd_rows; END IF;
  IF to_regclass('pg_temp._dd_pairs') IS NOT NULL THEN DROP TABLE pg_temp._dd_pairs; END IF;
  IF to_regclass('pg_temp._dd_edges') IS NOT NULL THEN DROP TABLE pg_temp._dd_edges; END IF;
  IF to_regclass('pg_temp._dd_label') IS NOT NULL THEN DROP TABLE pg_temp._dd_label; END IF;
  IF to_regclass('pg_temp._dd_rank') IS NOT NULL THEN DROP TABLE pg_temp._dd_rank; END IF;
  IF to_regclass('pg_temp._dd_result') IS NOT NULL THEN DROP TABLE pg_temp._dd_result; END IF;
  -- long work on a large table says where it is from its start: the read
  -- of the table (from about 50,000 rows, estimated from the catalogs:
  -- some seconds) said nothing until it was done
  IF dataeng_internal._rows_estimate(tbl) >= 50000 THEN
    RAISE NOTICE '%: reading about % rows to compare', tbl, dataeng_internal._rows_estimate(tbl);
  END IF;
  -- the only read of the table, as its owner.  A row none of the columns
  -- fills carries no evidence and is no duplicate: it is left out, and
  -- does not count among the pairs the prior is a share of (two empty
  -- rows beside an exact pair made the pair a borderline match)
  EXECUTE format('CREATE TEMP TABLE _dd_rows AS SELECT * FROM dataeng_internal._dedup_as(%L, %L) AS t(id bigint, k jsonb, v text[])',
                 owner,
                 format('SELECT pg_catalog.row_number() OVER () AS id, s.k, s.v
                           FROM (SELECT %s AS k, ARRAY[%s]::pg_catalog.text[] AS v FROM %s) s
                          WHERE pg_catalog.cardinality(pg_catalog.array_remove(s.v, NULL)) OPERATOR(pg_catalog.>) 0',
                        key_expr, exprs, tbl));
  GET DIAGNOSTICS n = ROW_COUNT;
  CREATE TEMP TABLE _dd_result (cluster_id bigint, id bigint, k jsonb, score float8);
  IF n < 2 THEN
    DROP TABLE _dd_rows;
    RETURN;
  END IF;
  CREATE UNIQUE INDEX ON _dd_rows (id);
  ANALYZE _dd_rows;
  -- long work on a large table says where it is (from 50,000 rows: some
  -- seconds)
  IF n >= 50000 THEN
    RAISE NOTICE '%: % rows with values to compare; finding the candidate pairs', tbl, n;
  END IF;

  IF ncols = 1 THEN
    -- one column: rows whose values are equal, however many share one
    INSERT INTO _dd_result
      SELECT dense_rank() OVER (ORDER BY s.first), s.id, s.k, 1.0
        FROM (SELECT r.id, r.k, min(r.id) OVER w AS first, count(*) OVER w AS cnt
                FROM _dd_rows r WHERE r.v[1] IS NOT NULL
              WINDOW w AS (PARTITION BY r.v[1])) s
       WHERE s.cnt > 1;
    DROP TABLE _dd_rows;
    RETURN;
  END IF;

  -- candidate pairs: rows sharing a value of a column, or of two adjacent ones
  CREATE TEMP TABLE _dd_pairs AS
    WITH keys AS (
      SELECT r.id, i::text || chr(1) || x AS key
        FROM _dd_rows r, unnest(r.v) WITH ORDINALITY u(x, i) WHERE x IS NOT NULL
      UNION ALL
      SELECT r.id, i::text || '+' || chr(1) || r.v[i] || chr(1) || r.v[i + 1]
        FROM _dd_rows r, generate_series(1, ncols - 1) i WHERE r.v[i] IS NOT NULL AND r.v[i + 1] IS NOT NULL),
    blocks AS (
      SELECT array_agg(id) AS ids FROM keys GROUP BY key HAVING count(*) BETWEEN 2 AND 20),
    pairs AS (
      SELECT DISTINCT a, b FROM blocks, unnest(ids) a, unnest(ids) b WHERE a < b)
    -- (a, b) is a candidate; its rows are looked up by id
    SELECT p.a, p.b, dataeng_internal._dedup_pattern(x.v, y.v) AS pat
      FROM pairs p JOIN _dd_rows x ON x.id = p.a JOIN _dd_rows y ON y.id = p.b;

  IF n >= 50000 THEN
    RAISE NOTICE '%: % candidate pairs found; scoring and clustering them', tbl,
      (SELECT count(*) FROM _dd_pairs);
  END IF;

  -- u: how often each level occurs between unrelated rows, on a fixed
  -- pseudo-random sample of pairs (the same every run); a table of at most
  -- that many pairs (200 rows) on every pair once: a sample drawn with
  -- repeats from a few rows, numbered in their physical order, gave
  -- another u, and other clusters, when the same rows were stored in
  -- another order (after dedupe_undo, VACUUM FULL, a reload).  The
  -- near-certain matches _dedup_estimate learns m from (equal on more than
  -- half of the, at least two, columns both rows fill; no conflicting
  -- strong identifier) are left out: they are matches, not unrelated rows.
  -- In a large table they are a negligible share of the sample; in a small
  -- one they weighed as much as the unrelated pairs (two exact pairs among
  -- four rows are two of its six pairs), u of "equal" came out as high as
  -- m's and no pair reached the threshold.
  sample := least(20000, n * (n - 1) / 2);
  WITH p AS (
    SELECT dataeng_internal._dedup_pattern(x.v, y.v) AS pat
      FROM (SELECT 1 + (abs(hashint8(g)) % n) AS a, 1 + (abs(hashint8(-g)) % n) AS b
              FROM generate_series(1, sample) g
             WHERE n::bigint * (n - 1) / 2 > 20000
            UNION ALL
            SELECT a, b FROM generate_series(1, n) a, generate_series(a + 1, n) b
             WHERE n::bigint * (n - 1) / 2 <= 20000) p
      JOIN _dd_rows x ON x.id = p.a JOIN _dd_rows y ON y.id = p.b
     WHERE p.a <> p.b),
  s AS MATERIALIZED (
    SELECT p.pat FROM p
     WHERE NOT (ncols - (length(p.pat) - length(replace(p.pat, '0', ''))) >= 2
                AND (length(p.pat) - length(replace(p.pat, '3', ''))) * 2
                    > ncols - (length(p.pat) - length(replace(p.pat, '0', '')))
                AND NOT EXISTS (SELECT 1 FROM unnest(idents) i WHERE substr(p.pat, i, 1) = '1')))
  -- (every pair a near-certain match, as in a table of identical rows:
  -- u is the smoothing's alone, a third for each level)
  SELECT array_agg(uu ORDER BY j, l) INTO u
    FROM (SELECT j, l, (count(s.pat) FILTER (WHERE substr(s.pat, j, 1) = l::text) + 1.0)
                       / (count(s.pat) FILTER (WHERE substr(s.pat, j, 1) <> '0') + 3.0) AS uu
            FROM generate_series(1, ncols) j CROSS JOIN generate_series(1, 3) l LEFT JOIN s ON true
           GROUP BY j, l) z;

  -- m and the prior, from the near-certain matches among the pairs whose
  -- strong identifiers do not conflict
  SELECT dataeng_internal._dedup_estimate(array_agg(pat), array_agg(cnt), ncols, n) INTO params
    FROM (SELECT pat, count(*)::float8 AS cnt FROM _dd_pairs GROUP BY pat) s
   WHERE NOT EXISTS (SELECT 1 FROM unnest(idents) i WHERE substr(s.pat, i, 1) = '1');
  IF params IS NULL THEN
    DROP TABLE _dd_rows, _dd_pairs;
    RETURN;                                 -- no candidate pairs
  END IF;
  -- a conflicting identifier weighs against a match (m <= u / 1000), and
  -- so does a similar one, less (m <= u / 10: a typo, or another person)
  FOREACH ci IN ARRAY idents LOOP
    params[1 + (ci - 1) * 3 + 1] := least(params[1 + (ci - 1) * 3 + 1], u[(ci - 1) * 3 + 1] / 1000);
    params[1 + (ci - 1) * 3 + 2] := least(params[1 + (ci - 1) * 3 + 2], u[(ci - 1) * 3 + 2] / 10);
  END LOOP;

  CREATE TEMP TABLE _dd_edges AS
    SELECT p.a, p.b, w.prob
      FROM _dd_pairs p
      JOIN (SELECT pat, dataeng_internal._dedup_prob(pat, params, u) AS prob FROM (SELECT DISTINCT pat FROM _dd_pairs) d) w
        USING (pat)
     WHERE w.prob >= threshold;

  -- clusters: a center and the rows matching it, best pairs first (see
  -- _dedup_centers: no chains of borderline pairs)
  CREATE TEMP TABLE _dd_label AS
    SELECT cc.id, cc.label
      FROM dataeng_internal._dedup_centers(to_regclass('pg_temp._dd_edges')) cc;
  IF cardinality(idents) > 0 THEN
    -- no cluster holds two rows whose strong identifiers differ unless they
    -- match on their own (a center lacking an email must not gather two
    -- different ones): a member that differs so from the center or from a
    -- member joined by a better pair leaves the cluster, and a center left
    -- alone is no cluster
    CREATE TEMP TABLE _dd_rank AS
      SELECT l.id, l.label, CASE WHEN l.id = l.label THEN 2.0 ELSE coalesce(e.prob, 0) END AS prob
        FROM _dd_label l
        LEFT JOIN _dd_edges e ON e.a = least(l.id, l.label) AND e.b = greatest(l.id, l.label);
    DELETE FROM _dd_label l
     WHERE l.id IN (
       SELECT me.id
         FROM _dd_rank me
         JOIN _dd_rank o ON o.label = me.label AND o.id <> me.id
                        AND (o.prob > me.prob OR (o.prob = me.prob AND o.id < me.id))
         JOIN _dd_rows rm ON rm.id = me.id
         JOIN _dd_rows ro ON ro.id = o.id
        WHERE EXISTS (SELECT 1 FROM unnest(idents) i
                       WHERE ro.v[i] IS NOT NULL AND rm.v[i] IS NOT NULL AND ro.v[i] <> rm.v[i])
          AND dataeng_internal._dedup_prob(dataeng_internal._dedup_pattern(ro.v, rm.v), params, u) < threshold);
    DELETE FROM _dd_label l
     WHERE NOT EXISTS (SELECT 1 FROM _dd_label o WHERE o.label = l.label AND o.id <> l.id);
    DROP TABLE _dd_rank;
  END IF;

  INSERT INTO _dd_result
    SELECT dense_rank() OVER (ORDER BY l.label), l.id, r.k, sc.score
      FROM _dd_label l
      JOIN _dd_rows r ON r.id = l.id
      JOIN (SELECT e.x AS id, max(e.prob) AS score
              FROM (SELECT a AS x, b AS y, prob FROM _dd_edges UNION ALL SELECT b, a, prob FROM _dd_edges) e
              JOIN _dd_label lx ON lx.id = e.x JOIN _dd_label ly ON ly.id = e.y
             WHERE lx.label = ly.label
             GROUP BY e.x) sc ON sc.id = l.id;
  -- nothing found among candidates: the entry point says why in a NOTICE.
  -- Either no candidate was a near-certain match to learn m from (as in a
  -- few rows whose duplicates differ somewhere: two columns need both
  -- equal), or the best pair scored below the threshold (as on a handful of
  -- rows, whose scores rest on little evidence)
  IF NOT EXISTS (SELECT 1 FROM _dd_result) THEN
    IF NOT EXISTS (
         SELECT 1 FROM _dd_pairs p
          WHERE ncols - (length(p.pat) - length(replace(p.pat, '0', ''))) >= 2
            AND (length(p.pat) - length(replace(p.pat, '3', ''))) * 2
                > ncols - (length(p.pat) - length(replace(p.pat, '0', '')))
            AND NOT EXISTS (SELECT 1 FROM unnest(idents) i WHERE substr(p.pat, i, 1) = '1')) THEN
      PERFORM dataeng_internal._dedup_nothing_found(tbl, NULL, threshold);
    ELSE
      SELECT max(dataeng_internal._dedup_prob(d.pat, params, u)) INTO best FROM (SELECT DISTINCT pat FROM _dd_pairs) d;
      IF best < threshold THEN
        PERFORM dataeng_internal._dedup_nothing_found(tbl, best, threshold);
      END IF;
    END IF;
  END IF;
  DROP TABLE _dd_rows, _dd_pairs, _dd_edges, _dd_label;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedup_clusters(regrole, regclass, text[], float8, text) IS
  'internal: cluster the duplicate rows of a table, read as its owner, into pg_temp._dd_result';
REVOKE ALL ON FUNCTION dataeng_internal._dedup_clusters(regrole, regclass, text[], float8, text) FROM PUBLIC;

CREATE FUNCTION dataeng.find_duplicates(tbl regclass, columns text[], threshold float8 DEFAULT 0.85,
                                        key_column text DEFAULT NULL)
RETURNS TABLE(cluster_id bigint, row_key jsonb, score float8)
AS 'MODULE_PATHNAME', 'dataeng_find_duplicates'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.find_duplicates(regclass, text[], float8, text) IS
  'Clusters of rows that are probably the same entity (score: match probability), found without an O(n^2) pass';

CREATE FUNCTION dataeng_internal._find_duplicates(caller regrole, tbl regclass, columns text[], threshold float8,
                                         key_column text)
RETURNS TABLE(cluster_id bigint, row_key jsonb, score float8)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  owner regrole := dataeng_internal._dedup_check(caller, tbl, '{SELECT}');
BEGIN
  IF key_column IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
                                               AND a.attname = key_column AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'key column % of table % does not exist', quote_ident(key_column), tbl
      USING ERRCODE = 'undefined_column', HINT = dataeng_internal._dedup_column_hint(tbl, key_column);
  END IF;
  -- without a key column a row is named by its ctid, which a view or a
  -- foreign table does not have (or not one that names a row)
  IF key_column IS NULL AND (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p', 'm') THEN
    RAISE EXCEPTION 'rows of % need a key column to be named: it is a %', tbl,
          CASE (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) WHEN 'v' THEN 'view' WHEN 'f' THEN 'foreign table' ELSE 'relation without row locations' END
      USING ERRCODE = 'wrong_object_type',
            DETAIL = 'Without key_column a row is named by its location (ctid), which only tables and materialized views have.',
            HINT = 'Pass key_column, a column whose values tell the rows apart (key_column => ''id'').';
  END IF;
  -- without a key column, a row is its ctid, and in a partitioned (or
  -- inherited) table its partition's too: ctids repeat across partitions
  PERFORM dataeng_internal._dedup_clusters(owner, tbl, columns, threshold,
    CASE WHEN key_column IS NOT NULL
         THEN format('pg_catalog.jsonb_build_object(%L, %I)', key_column, key_column)
         WHEN (SELECT c.relhassubclass FROM pg_class c WHERE c.oid = tbl)
         THEN 'pg_catalog.jsonb_build_object(''partition'', CAST(CAST(tableoid AS pg_catalog.regclass) AS pg_catalog.text), ''ctid'', CAST(ctid AS pg_catalog.text))'
         ELSE 'pg_catalog.jsonb_build_object(''ctid'', CAST(ctid AS pg_catalog.text))' END);
  -- a row_key must name one row: a key column with NULLs or repeated
  -- values named a duplicate {"id": 3} that another row, no duplicate,
  -- shared (deleting by it deleted both), or {"id": null}
  IF key_column IS NOT NULL AND EXISTS (SELECT 1 FROM pg_temp._dd_result) THEN
    IF EXISTS (SELECT 1 FROM pg_temp._dd_result r
                WHERE jsonb_typeof(r.k OPERATOR(pg_catalog.->) key_column) OPERATOR(pg_catalog.=) 'null') THEN
      DROP TABLE pg_temp._dd_result;
      RAISE EXCEPTION 'key column % of table % is NULL in a row with duplicates', quote_ident(key_column), tbl
        USING ERRCODE = 'not_null_violation',
              DETAIL = 'A row_key must name one row; a NULL names none.',
              HINT = 'Pass a column whose values tell the rows apart (the primary key), or leave key_column out: rows are then named by their location (ctid).';
    END IF;
    -- unless a unique index on the column alone says so, look for a
    -- repeated value of a row with duplicates
    IF NOT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                    WHERE i.indrelid = tbl AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
                      AND i.indpred IS NULL AND i.indexprs IS NULL AND a.attname = key_column) THEN
      DECLARE
        repeated jsonb;
        times bigint;
      BEGIN
        EXECUTE format('SELECT d.k, d.n FROM dataeng_internal._dedup_as(%L, %L) AS d(k jsonb, n bigint)
                         WHERE d.k IN (SELECT r.k FROM pg_temp._dd_result r) ORDER BY d.n DESC, d.k LIMIT 1',
                       owner,
                       format('SELECT pg_catalog.jsonb_build_object(%L, %I), pg_catalog.count(*) FROM %s
                                GROUP BY 1 HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) 1',
                              key_column, key_column, tbl))
          INTO repeated, times;
        IF repeated IS NOT NULL THEN
          DROP TABLE pg_temp._dd_result;
          RAISE EXCEPTION 'key column % of table % does not name one row: % rows have %', quote_ident(key_column), tbl,
                times, repeated
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'A row_key must name one row; one of those rows has duplicates.',
                  HINT = 'Pass a column whose values tell the rows apart (the primary key), or leave key_column out: rows are then named by their location (ctid).';
        END IF;
      END;
    END IF;
  END IF;
  RETURN QUERY SELECT r.cluster_id, r.k, r.score FROM pg_temp._dd_result r ORDER BY r.cluster_id, r.id;
  DROP TABLE pg_temp._dd_result;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._find_duplicates(regrole, regclass, text[], double precision, text) IS
  'internal: body of find_duplicates(), run for the calling role';
REVOKE ALL ON FUNCTION dataeng_internal._find_duplicates(regrole, regclass, text[], float8, text) FROM PUBLIC;

CREATE TABLE dataeng.dedupe_runs (
  run_id       bigserial   PRIMARY KEY,
  table_name   regclass,
  run_by       regrole     NOT NULL,
  columns      text[]      NOT NULL,
  threshold    float8      NOT NULL,
  keep         text        NOT NULL,
  fill_nulls   boolean     NOT NULL,
  run_at       timestamptz NOT NULL DEFAULT now(),
  clusters     bigint,
  rows_deleted bigint,
  rows_filled  bigint,
  undone_at    timestamptz,
  dropped_table text,
  run_by_name  name,
  run_by_system bigint     DEFAULT (pg_catalog.pg_control_system()).system_identifier
);
COMMENT ON TABLE dataeng.dedupe_runs IS 'Runs of dataeng.dedupe(); undo with dataeng.dedupe_undo(run_id)';
COMMENT ON COLUMN dataeng.dedupe_runs.run_id IS 'Identifier of the run';
COMMENT ON COLUMN dataeng.dedupe_runs.table_name IS 'The table deduplicated';
COMMENT ON COLUMN dataeng.dedupe_runs.run_by IS 'Role that ran dedupe()';
COMMENT ON COLUMN dataeng.dedupe_runs.columns IS 'Columns compared to find duplicates';
COMMENT ON COLUMN dataeng.dedupe_runs.threshold IS 'Match probability above which rows were taken as duplicates';
COMMENT ON COLUMN dataeng.dedupe_runs.keep IS 'Rule choosing the row kept in each cluster';
COMMENT ON COLUMN dataeng.dedupe_runs.fill_nulls IS 'Whether the kept row''s NULLs were filled from the others';
COMMENT ON COLUMN dataeng.dedupe_runs.run_at IS 'When the run was made';
COMMENT ON COLUMN dataeng.dedupe_runs.clusters IS 'Clusters of duplicates found';
COMMENT ON COLUMN dataeng.dedupe_runs.rows_deleted IS 'Rows deleted';
COMMENT ON COLUMN dataeng.dedupe_runs.rows_filled IS 'Kept rows whose NULLs were filled';
COMMENT ON COLUMN dataeng.dedupe_runs.undone_at IS
  'When the last of the run''s clusters was undone (dedupe_undo(), dedupe_undo_clusters()), NULL while one is not (dedupe_log.undone_at says which are)';
COMMENT ON COLUMN dataeng.dedupe_runs.run_by_name IS
  'The name of the role that ran it: restored in another cluster where run_by names a role of another name, the run is undone or forgotten by no role as run_by';
COMMENT ON COLUMN dataeng.dedupe_runs.run_by_system IS
  'The system identifier of the cluster where run_by_name was last seen on run_by''s oid (as dataeng.jobs.owner_system)';
-- (by table: an sql_drop event trigger detaches a dropped table's rows, ops.sql)
CREATE INDEX dedupe_runs_table_idx ON dataeng.dedupe_runs (table_name);
-- dedupe_log.run_id is a run of dedupe_runs, but no FOREIGN KEY says so:
-- pg_dump carries both tables' rows as extension configuration, and
-- pg_restore -j loads them in parallel, the log before its runs perhaps
-- (a foreign key made such a restore fail).  Deleting or truncating runs
-- deletes their log all the same (_runs_cascade in common.sql).
CREATE TABLE dataeng.dedupe_log (
  run_id     bigint NOT NULL,
  cluster_id bigint NOT NULL,
  action     text   NOT NULL CHECK (action IN ('deleted', 'filled')),
  old_row    jsonb  NOT NULL,        -- the row as it was
  new_row    jsonb,                  -- for 'filled': the survivor after filling
  undone_at  timestamptz             -- when dedupe_undo put its cluster back
);
CREATE INDEX dedupe_log_run_idx ON dataeng.dedupe_log (run_id);
CREATE TRIGGER cascade_delete AFTER DELETE ON dataeng.dedupe_runs
  REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._runs_cascade('dataeng.dedupe_log');
CREATE TRIGGER cascade_truncate AFTER TRUNCATE ON dataeng.dedupe_runs
  FOR EACH STATEMENT EXECUTE FUNCTION dataeng_internal._runs_cascade('dataeng.dedupe_log');
COMMENT ON TABLE dataeng.dedupe_log IS 'Every row dataeng.dedupe() deleted or filled, as it was';
COMMENT ON COLUMN dataeng.dedupe_log.run_id IS 'The dedupe run';
COMMENT ON COLUMN dataeng.dedupe_log.cluster_id IS 'The cluster of duplicates the row belonged to';
COMMENT ON COLUMN dataeng.dedupe_log.action IS 'deleted or filled';
COMMENT ON COLUMN dataeng.dedupe_log.old_row IS 'The row as it was before the run, as jsonb';
COMMENT ON COLUMN dataeng.dedupe_log.new_row IS 'A filled row as the run left it, as jsonb (NULL for a deleted row)';
COMMENT ON COLUMN dataeng.dedupe_log.undone_at IS
  'When dedupe_undo() or dedupe_undo_clusters() put this row''s cluster back, NULL while it is not undone';
SELECT pg_catalog.pg_extension_config_dump('dataeng.dedupe_runs', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.dedupe_runs_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dataeng.dedupe_log', '');
ALTER TABLE dataeng.dedupe_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataeng.dedupe_log ENABLE ROW LEVEL SECURITY;
-- a run and its log are visible to whoever may read the whole table
-- (_dedup_may_read); only the dedupe functions write them
CREATE POLICY readable ON dataeng.dedupe_runs FOR SELECT
  USING (dataeng_internal._dedup_may_read(current_user::regrole, table_name));
CREATE POLICY readable ON dataeng.dedupe_log FOR SELECT
  USING (EXISTS (SELECT 1 FROM dataeng.dedupe_runs r WHERE r.run_id = dedupe_log.run_id));
REVOKE ALL ON dataeng.dedupe_runs, dataeng.dedupe_log FROM PUBLIC;
GRANT SELECT ON dataeng.dedupe_runs, dataeng.dedupe_log TO PUBLIC;
REVOKE ALL ON SEQUENCE dataeng.dedupe_runs_run_id_seq FROM PUBLIC;

-- the columns of a table that INSERT may set, quoted, comma-separated
CREATE FUNCTION dataeng_internal._insertable_columns(tbl regclass)
RETURNS text
LANGUAGE sql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
    FROM pg_attribute a
   WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
$$;
COMMENT ON FUNCTION dataeng_internal._insertable_columns(regclass) IS 'internal: the columns an INSERT may set';
REVOKE ALL ON FUNCTION dataeng_internal._insertable_columns(regclass) FROM PUBLIC;

CREATE FUNCTION dataeng.dedupe(tbl regclass, columns text[], keep text DEFAULT 'most_complete',
                               order_by text DEFAULT NULL, threshold float8 DEFAULT 0.85,
                               fill_nulls boolean DEFAULT false,
                               OUT run_id bigint, OUT clusters bigint, OUT rows_deleted bigint,
                               OUT rows_filled bigint)
AS 'MODULE_PATHNAME', 'dataeng_dedupe'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.dedupe(regclass, text[], text, text, float8, boolean) IS
  'Keeps one row per cluster of duplicates (optionally filling its NULLs from the others), deletes the rest, logs everything for dedupe_undo()';

CREATE FUNCTION dataeng_internal._dedupe(caller regrole, tbl regclass, columns text[], keep text, order_by text,
                                threshold float8, fill_nulls boolean,
                                OUT run_id bigint, OUT clusters bigint, OUT rows_deleted bigint,
                                OUT rows_filled bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'  -- (the logged rows' timestamptz values: see below)
AS $$
DECLARE
  owner regrole;
  rank_order text;
  fills text;
  child oid;
BEGIN
  IF keep IS NULL THEN
    RAISE EXCEPTION 'keep must not be NULL'
      USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Use most_complete (the row with the fewest NULLs, the default), first or last (by order_by).';
  END IF;
  IF keep NOT IN ('most_complete', 'first', 'last') THEN
    RAISE EXCEPTION 'unknown keep rule %', quote_literal(keep)
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Use most_complete (the row with the fewest NULLs), first or last (by order_by).';
  END IF;
  IF order_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = tbl
                                            AND a.attname = order_by AND a.attnum > 0 AND NOT a.attisdropped) THEN
    RAISE EXCEPTION 'order_by column % of table % does not exist', quote_ident(order_by), tbl
      USING ERRCODE = 'undefined_column', HINT = dataeng_internal._dedup_column_hint(tbl, order_by);
  END IF;
  IF keep IN ('first', 'last') AND order_by IS NULL THEN
    RAISE EXCEPTION 'keep => % needs order_by', quote_literal(keep) USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF fill_nulls IS NULL THEN
    RAISE EXCEPTION 'fill_nulls must not be NULL' USING ERRCODE = 'null_value_not_allowed';
  END IF;
  owner := dataeng_internal._dedup_check(caller, tbl,
                                CASE WHEN fill_nulls THEN '{SELECT,DELETE,UPDATE}' ELSE '{SELECT,DELETE}' END::text[]);
  -- the DELETE (and UPDATE) run as the owner, whose triggers and CHECK
  -- constraints see the owner as current_user: for a role with the
  -- owner's rights only, as REFRESH MATERIALIZED VIEW
  PERFORM dataeng_internal._require_owner_rights(caller, tbl, 'dataeng.dedupe()');
  -- duplicates are deleted from a table (the rows of a view or a foreign
  -- table have no location to delete them by, a materialized view none to
  -- delete from)
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) NOT IN ('r', 'p') THEN
    RAISE EXCEPTION 'cannot dedupe %: it is a %', tbl,
          CASE (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) WHEN 'v' THEN 'view' WHEN 'f' THEN 'foreign table'
                                                                     WHEN 'm' THEN 'materialized view' ELSE 'relation that is no table' END
      USING ERRCODE = 'wrong_object_type',
            HINT = 'Dedupe the table it reads; dataeng.find_duplicates lists its duplicates (with key_column for a view or a foreign table).';
  END IF;
  -- rows keep their place (ctid) until we are done; a row is its table
  -- and ctid: in a partitioned (or inherited) table, ctids repeat across
  -- partitions, and a ctid alone deleted every row having it
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', tbl);
  PERFORM dataeng_internal._dedup_clusters(owner, tbl, columns, threshold,
    'pg_catalog.jsonb_build_array(CAST(tableoid AS pg_catalog.int8), CAST(ctid AS pg_catalog.text))');

  INSERT INTO dataeng.dedupe_runs (table_name, run_by, columns, threshold, keep, fill_nulls, run_by_name)
  VALUES (tbl, caller, columns, threshold, keep, fill_nulls,
          (SELECT rr.rolname FROM pg_catalog.pg_roles rr WHERE rr.oid OPERATOR(pg_catalog.=) caller::oid)) RETURNING dedupe_runs.run_id INTO run_id;

  rank_order := CASE keep
    WHEN 'most_complete' THEN 'nn DESC' || CASE WHEN order_by IS NULL THEN '' ELSE format(', t.%I', order_by) END
    WHEN 'first' THEN format('t.%I', order_by)
    ELSE format('t.%I DESC', order_by) END || ', t.tableoid, t.ctid';
  -- members of each cluster, ranked: 1 is the survivor (read as the owner);
  -- each row as the quarantine keeps it (_quarantine_row: fixed DateStyle,
  -- IntervalStyle, extra_float_digits and bytea_output, an array whose lower
  -- bound is not 1 as its text), so dedupe_undo() reads back the values
  -- logged in any session: logged by to_jsonb(), an interval of -3 days
  -- -4 hours under IntervalStyle sql_standard came back as -3 days +4 hours
  -- under postgres, a float under extra_float_digits 0 lost its last
  -- digits, and an array '[0:2]={1,2,3}' came back as '{1,2,3}'.  The
  -- function runs under TimeZone UTC, as _dedupe_undo() does: a filled
  -- survivor is found there by its logged row, whose timestamptz values
  -- carry the writer's offset ('+05:30'), and a run made in another time
  -- zone than its undo was refused (its filled rows "changed since")
  IF to_regclass('pg_temp._dd_members') IS NOT NULL THEN DROP TABLE pg_temp._dd_members; END IF;
  EXECUTE format('GRANT SELECT ON pg_temp._dd_result TO %s', owner);
  EXECUTE format(
    'CREATE TEMP TABLE _dd_members AS
       SELECT * FROM dataeng_internal._dedup_as(%L, %L) AS m(cluster_id bigint, toid oid, tid tid, old_row jsonb, rnk bigint)',
    owner, format(
    'SELECT r.cluster_id, t.tableoid AS toid, t.ctid AS tid, dataeng_internal._quarantine_row(t) AS old_row,
            pg_catalog.row_number() OVER (PARTITION BY r.cluster_id ORDER BY %s) AS rnk
       FROM pg_temp._dd_result r
       JOIN %s t ON t.ctid OPERATOR(pg_catalog.=) CAST(r.k OPERATOR(pg_catalog.->>) 1 AS pg_catalog.tid)
                AND t.tableoid OPERATOR(pg_catalog.=) CAST(CAST(r.k OPERATOR(pg_catalog.->>) 0 AS pg_catalog.int8) AS pg_catalog.oid)
       CROSS JOIN LATERAL (SELECT pg_catalog.count(*) AS nn FROM pg_catalog.jsonb_each(pg_catalog.to_jsonb(t)) e
                            WHERE e.value OPERATOR(pg_catalog.<>) ''null''::pg_catalog.jsonb) c',
    rank_order, tbl));
  DROP TABLE pg_temp._dd_result;
  EXECUTE format('GRANT SELECT ON pg_temp._dd_members TO %s', owner);
  SELECT count(DISTINCT m.cluster_id) INTO clusters FROM pg_temp._dd_members m;
  -- an inherited (not partitioned) table: a duplicate in a table that
  -- inherits it would be deleted with only this table's columns logged,
  -- and dedupe_undo() would put it back into this table, its own columns
  -- lost: refused (the partitions of a partitioned table have its columns,
  -- and an insert into it goes to the row's partition)
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = tbl) <> 'p' THEN
    SELECT min(m.toid) INTO child FROM pg_temp._dd_members m WHERE m.rnk > 1 AND m.toid <> tbl;
    IF child IS NOT NULL THEN
      RAISE EXCEPTION 'cannot dedupe table %: a duplicate to delete is a row of table %, which inherits it', tbl, child::regclass
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'Its columns of its own would not be logged, and dataeng.dedupe_undo() would put the row back into the parent table.',
              HINT = 'Dedupe that table by itself, or choose keep and order_by so that only rows of the parent table are deleted.';
    END IF;
  END IF;
  -- a foreign key that deletes or changes the rows referencing a deleted
  -- duplicate (ON DELETE CASCADE, SET NULL, SET DEFAULT) would change
  -- another table behind the log's back: those rows were lost, and
  -- dedupe_undo() could not put them back; refused before anything changes
  -- (NO ACTION and RESTRICT refuse the delete of a referenced row themselves);
  -- a key referencing a partitioned table reaches the rows of its
  -- partitions: the table's partitions and, for a partition deduped by
  -- itself, the tables it is a partition of
  IF EXISTS (SELECT 1 FROM pg_temp._dd_members m WHERE m.rnk > 1) THEN
    SELECT c.oid INTO child
      FROM pg_constraint c
     WHERE c.contype = 'f' AND c.confdeltype IN ('c', 'n', 'd') AND c.conparentid = 0
       AND c.confrelid IN (SELECT p.relid FROM pg_partition_tree(tbl) p
                           UNION ALL SELECT a.relid FROM pg_partition_ancestors(tbl) a
                           UNION ALL SELECT tbl)
     ORDER BY c.conrelid::regclass::text, c.conname
     LIMIT 1;
    IF child IS NOT NULL THEN
      RAISE EXCEPTION 'cannot dedupe table %: foreign key % of table % is ON DELETE %', tbl,
            quote_ident((SELECT c.conname FROM pg_constraint c WHERE c.oid = child)),
            (SELECT c.conrelid::regclass FROM pg_constraint c WHERE c.oid = child),
            (SELECT CASE c.confdeltype WHEN 'c' THEN 'CASCADE' WHEN 'n' THEN 'SET NULL' ELSE 'SET DEFAULT' END
               FROM pg_constraint c WHERE c.oid = child)
        USING ERRCODE = 'feature_not_supported',
              DETAIL = 'Deleting a duplicate would delete or change the rows that reference it, which dataeng.dedupe_log does not record and dataeng.dedupe_undo() could not put back.',
              HINT = 'Point the references at the row to keep first (dataeng.find_duplicates lists the clusters), or make the foreign key ON DELETE NO ACTION for the run.';
    END IF;
  END IF;

  -- the rows deleted (as the owner), exactly, go to the log
  INSERT INTO dataeng.dedupe_log (run_id, cluster_id, action, old_row)
  SELECT _dedupe.run_id, d.cluster_id, 'deleted', d.old_row
    FROM dataeng_internal._dedup_as(owner, format(
           'DELETE FROM %s t USING pg_temp._dd_members m
             WHERE m.rnk OPERATOR(pg_catalog.>) 1 AND t.ctid OPERATOR(pg_catalog.=) m.tid
               AND t.tableoid OPERATOR(pg_catalog.=) m.toid
            RETURNING m.cluster_id, m.old_row', tbl)) AS d(cluster_id bigint, old_row jsonb);
  GET DIAGNOSTICS rows_deleted = ROW_COUNT;

  rows_filled := 0;
  IF fill_nulls THEN
    -- each NULL of a survivor takes the value of its best-ranked duplicate
    -- having one: looked up by cluster through an index (without one,
    -- each lookup scanned every member, and 60,000 survivors of 120,000
    -- rows with two NULLs each took hours).  After the duplicates are
    -- deleted, from their logged rows (which read back as the same
    -- values): filled while the duplicate was still in the table, a value
    -- of a UNIQUE column (an email address) was there twice, and the run
    -- failed (23505)
    CREATE INDEX ON pg_temp._dd_members (cluster_id, rnk);
    ANALYZE pg_temp._dd_members;
    SELECT string_agg(format('%1$I = coalesce(t.%1$I, (SELECT d.%1$I FROM pg_temp._dd_members m2 '
                             'CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%2$s, m2.old_row) d '
                             'WHERE m2.cluster_id OPERATOR(pg_catalog.=) m.cluster_id '
                             'AND m2.rnk OPERATOR(pg_catalog.>) 1 '
                             'AND d.%1$I IS NOT NULL ORDER BY m2.rnk LIMIT 1))', a.attname, tbl), ', ')
      INTO fills
      FROM pg_attribute a
     WHERE a.attrelid = tbl AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
       AND a.attidentity <> 'a';
    INSERT INTO dataeng.dedupe_log (run_id, cluster_id, action, old_row, new_row)
    SELECT _dedupe.run_id, u.cluster_id, 'filled', u.old_row, u.new_row
      FROM dataeng_internal._dedup_as(owner, format(
             'UPDATE %1$s t SET %2$s FROM pg_temp._dd_members m
               WHERE m.rnk OPERATOR(pg_catalog.=) 1 AND t.ctid OPERATOR(pg_catalog.=) m.tid
                 AND t.tableoid OPERATOR(pg_catalog.=) m.toid
              RETURNING m.cluster_id, m.old_row, dataeng_internal._quarantine_row(t) AS new_row',
             tbl, fills)) AS u(cluster_id bigint, old_row jsonb, new_row jsonb)
     WHERE u.new_row <> u.old_row;
    GET DIAGNOSTICS rows_filled = ROW_COUNT;
  END IF;

  DROP TABLE pg_temp._dd_members;

  UPDATE dataeng.dedupe_runs r SET clusters = _dedupe.clusters, rows_deleted = _dedupe.rows_deleted,
         rows_filled = _dedupe.rows_filled
   WHERE r.run_id = _dedupe.run_id;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedupe(regrole, regclass, text[], text, text, double precision, boolean) IS
  'internal: body of dedupe(), run for the calling role';
REVOKE ALL ON FUNCTION dataeng_internal._dedupe(regrole, regclass, text[], text, text, float8, boolean) FROM PUBLIC;

-- A run to undo or forget, if caller may see it (as dataeng.dedupe_runs
-- shows it), locked; the table's owner in owner (NULL if it was dropped).
CREATE FUNCTION dataeng_internal._dedupe_run(caller regrole, run_id bigint, OUT r dataeng.dedupe_runs, OUT owner regrole)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  SELECT * INTO r FROM dataeng.dedupe_runs d WHERE d.run_id = _dedupe_run.run_id FOR UPDATE;
  IF NOT FOUND
     OR NOT (dataeng_internal._dedup_may_read(caller, r.table_name::oid)
             OR (r.run_by::oid = caller::oid
                 AND dataeng_internal._owner_trusted(r.run_by, r.run_by_name, r.run_by_system))
             OR dataeng_internal._is_superuser(caller)) THEN
    RAISE EXCEPTION 'dedupe run % does not exist', run_id USING ERRCODE = 'undefined_object',
          HINT = 'dataeng.dedupe_runs lists the runs of tables you may read.';
  END IF;
  SELECT c.relowner::regrole INTO owner FROM pg_class c WHERE c.oid = r.table_name::oid;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedupe_run(regrole, bigint) IS
  'internal: a dedupe run the caller may undo or forget, locked, with its table''s owner';
REVOKE ALL ON FUNCTION dataeng_internal._dedupe_run(regrole, bigint) FROM PUBLIC;

CREATE FUNCTION dataeng.dedupe_undo(run_id bigint, clusters bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dataeng_dedupe_undo'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.dedupe_undo(bigint, bigint[]) IS
  'Restores exactly the rows a dedupe run deleted and the survivors it filled, of the given clusters (NULL: every cluster not undone yet), all or nothing; returns the rows re-inserted';

CREATE FUNCTION dataeng.dedupe_undo_clusters(run_id bigint, clusters bigint[] DEFAULT NULL)
RETURNS TABLE(cluster_id bigint, undone boolean, rows_inserted bigint, rows_restored bigint,
              sqlstate text, reason text, detail text, hint text)
AS 'MODULE_PATHNAME', 'dataeng_dedupe_undo_clusters'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.dedupe_undo_clusters(bigint, bigint[]) IS
  'Undoes every cluster of a dedupe run (or of the given clusters) that can be undone safely, and reports each cluster: undone, or why not';

-- The undo of the clusters of run run_id listed in clusters (NULL: every
-- cluster not undone yet), for dedupe_undo (strict: all or nothing, a
-- cluster that cannot be undone raises its error and nothing is restored)
-- and dedupe_undo_clusters (not strict: each cluster that can be undone
-- is, the others are reported with the error they would raise).  Leaves
-- its report in pg_temp._dd_undo_report, one row per cluster.
--
-- A cluster is undone whole or not at all: its filled survivor gets its old
-- values back and its deleted rows are inserted again.  A survivor changed
-- since the run is found before anything is written (by its logged row);
-- a deleted row that cannot go back (its key taken again, a constraint
-- added since, a trigger refusing it) is found by trying: every cluster
-- at once in a subtransaction, and on a data or constraint error each half
-- again, down to the clusters that fail alone, so k blocked clusters among
-- n cost some k log2(n) tries, not n (a subtransaction for each cluster of
-- 20,000 was the alternative).  The table is locked against writers from
-- the start (SHARE ROW EXCLUSIVE), so what was found stays true.  The
-- clusters undone are marked in dedupe_log.undone_at, and a cluster undone
-- once is never undone again; the run is marked undone (dedupe_runs
-- .undone_at) once all of its clusters are.
CREATE FUNCTION dataeng_internal._dedupe_undo_work(caller regrole, run_id bigint, clusters bigint[], strict boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'  -- (a filled survivor is found by its logged row: see _dedupe)
AS $$
DECLARE
  run record := dataeng_internal._dedupe_run(caller, run_id);
  r dataeng.dedupe_runs := run.r;
  owner regrole := run.owner;
  cols text;
  pcols text;
  upd_cols text;
  upd_vals text;
  added text[];
  varies boolean;
  complete boolean;
  gone text;
  n bigint;
  m bigint;
  expected bigint;
  unknown bigint;
  prior record;
  nset int;
  stack int[];
  lo int;
  hi int;
  mid int;
  cid bigint;
  err_state text;
  err_msg text;
  err_detail text;
  err_hint text;
  err_con text;
  ix record;
  taken record;
BEGIN
  IF NOT (r.run_by::oid = caller::oid AND dataeng_internal._owner_trusted(r.run_by, r.run_by_name, r.run_by_system))
     AND NOT dataeng_internal._is_superuser(caller) THEN
    RAISE EXCEPTION 'only % may undo dedupe run %', r.run_by, run_id USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF r.undone_at IS NOT NULL THEN
    RAISE EXCEPTION 'dedupe run % was already undone', run_id
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = format('It was undone at %s.', r.undone_at);
  END IF;
  IF owner IS NULL THEN
    RAISE EXCEPTION 'the table of dedupe run % was dropped', run_id USING ERRCODE = 'undefined_table';
  END IF;
  -- the rows go back (INSERT, UPDATE) as the table's owner, whose triggers
  -- and CHECK constraints see the owner as current_user: for a role with
  -- the owner's rights now, as dedupe() itself
  PERFORM dataeng_internal._require_owner_rights(caller, r.table_name,
            CASE WHEN strict THEN 'dataeng.dedupe_undo()' ELSE 'dataeng.dedupe_undo_clusters()' END);
  -- the run must have been made by a role with the rights dedupe() needs
  -- (a run row is only ever written by dedupe(); this guards the undo, which
  -- writes the table as its owner, against any other origin)
  IF NOT coalesce(pg_has_role(r.run_by::oid, owner::oid, 'USAGE')
                  OR (dataeng_internal._dedup_may_read(r.run_by, r.table_name::oid)
                      AND has_table_privilege(r.run_by::oid, r.table_name::oid, 'DELETE')
                      AND (NOT r.fill_nulls OR has_table_privilege(r.run_by::oid, r.table_name::oid, 'UPDATE'))),
                  false) THEN
    RAISE EXCEPTION 'dedupe run % was not made by a role with rights on table %', run_id, r.table_name
      USING ERRCODE = 'insufficient_privilege',
            DETAIL = format('%s neither owns the table nor may read and delete its rows.', r.run_by);
  END IF;
  -- the clusters asked for: each one of the run's
  IF array_position(clusters, NULL) IS NOT NULL THEN
    RAISE EXCEPTION 'clusters must not contain NULL' USING ERRCODE = 'null_value_not_allowed',
          DETAIL = format('Element %s of clusters is NULL.', array_position(clusters, NULL)),
          HINT = format('List clusters of the run by their cluster_id (SELECT DISTINCT cluster_id FROM dataeng.dedupe_log WHERE run_id = %s), or pass NULL for all of them.', run_id);
  END IF;
  -- the run's logged rows, with their place in the log (which holds while
  -- the run is locked), analyzed: the log's own statistics may not have
  -- seen a run just made, and plans over it took seconds (a nested loop,
  -- a filter by a list of 30,000 ctids)
  IF to_regclass('pg_temp._dd_undo_run') IS NOT NULL THEN DROP TABLE pg_temp._dd_undo_run; END IF;
  CREATE TEMP TABLE _dd_undo_run AS
    SELECT l.ctid AS lid, l.cluster_id, l.undone_at, l.action, l.old_row, l.new_row
      FROM dataeng.dedupe_log l WHERE l.run_id = r.run_id;
  ANALYZE _dd_undo_run;
  IF clusters IS NOT NULL THEN
    SELECT min(c.c) INTO unknown
      FROM unnest(clusters) c(c)
     WHERE c.c NOT IN (SELECT l.cluster_id FROM _dd_undo_run l);
    IF unknown IS NOT NULL THEN
      RAISE EXCEPTION 'dedupe run % has no cluster %', run_id, unknown
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('Its clusters are the cluster_id values of its rows in dataeng.dedupe_log (%s of them).',
                              (SELECT count(DISTINCT l.cluster_id) FROM _dd_undo_run l)),
              HINT = format('SELECT DISTINCT cluster_id FROM dataeng.dedupe_log WHERE run_id = %s lists them.', run_id);
    END IF;
  END IF;

  IF to_regclass('pg_temp._dd_undo_report') IS NOT NULL THEN DROP TABLE pg_temp._dd_undo_report; END IF;
  CREATE TEMP TABLE _dd_undo_report (cluster_id bigint, undone boolean, rows_inserted bigint, rows_restored bigint,
                                     sqlstate text, reason text, detail text, hint text);
  -- a cluster asked for that was undone before is not undone again
  FOR prior IN
    SELECT l.cluster_id, max(l.undone_at) AS undone_at
      FROM _dd_undo_run l
     WHERE l.cluster_id IN (SELECT unnest(clusters))
     GROUP BY l.cluster_id HAVING bool_and(l.undone_at IS NOT NULL)
     ORDER BY l.cluster_id
  LOOP
    IF strict THEN
      RAISE EXCEPTION 'cluster % of dedupe run % was already undone', prior.cluster_id, run_id
        USING ERRCODE = 'object_not_in_prerequisite_state',
              DETAIL = format('It was undone at %s; nothing was restored.', prior.undone_at),
              HINT = format('Leave it out (dataeng.dedupe_log.undone_at is NULL for the clusters of run %s not undone yet).', run_id);
    END IF;
    INSERT INTO _dd_undo_report VALUES (prior.cluster_id, false, 0, 0, '55000',
      format('cluster %s of dedupe run %s was already undone', prior.cluster_id, run_id),
      format('It was undone at %s.', prior.undone_at), NULL);
  END LOOP;

  -- what to restore, readable by the owner, who writes the table
  IF to_regclass('pg_temp._dd_undo') IS NOT NULL THEN DROP TABLE pg_temp._dd_undo; END IF;
  IF to_regclass('pg_temp._dd_undo_match') IS NOT NULL THEN DROP TABLE pg_temp._dd_undo_match; END IF;
  IF to_regclass('pg_temp._dd_undo_go') IS NOT NULL THEN DROP TABLE pg_temp._dd_undo_go; END IF;
  CREATE TEMP TABLE _dd_undo AS
    SELECT u.cluster_id, u.action, u.old_row, u.new_row, u.lid
      FROM _dd_undo_run u
     WHERE u.undone_at IS NULL
       AND (clusters IS NULL OR u.cluster_id IN (SELECT unnest(clusters)));
  CREATE INDEX ON _dd_undo (cluster_id);
  ANALYZE _dd_undo;
  EXECUTE format('GRANT SELECT ON pg_temp._dd_undo TO %s', owner);
  CREATE TEMP TABLE _dd_undo_match (cluster_id bigint, toid oid, tid tid);

  -- the caller needs the rights of the undo
  SELECT count(*) INTO expected FROM _dd_undo l WHERE l.action = 'filled';
  PERFORM dataeng_internal._dedup_check(caller, r.table_name,
                               CASE WHEN expected > 0 THEN '{SELECT,INSERT,UPDATE}' ELSE '{SELECT,INSERT}' END::text[]);
  EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', r.table_name);
  -- the columns an INSERT may set, of those the logged rows have: a column
  -- added since the run takes its default, as the rows that were kept got
  -- it (set to NULL, a NOT NULL one refused the undo, and another lost its
  -- default)
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
         string_agg('p.' || quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols, pcols
    FROM pg_attribute a
   WHERE a.attrelid = r.table_name AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     AND EXISTS (SELECT 1 FROM dataeng.dedupe_log l WHERE l.run_id = r.run_id AND l.old_row ? a.attname);
  -- the survivors' columns an UPDATE may set, of those: not an identity
  -- column GENERATED ALWAYS (PostgreSQL refuses it even unchanged; the fill
  -- never changes one); each set to its logged value only where the fill
  -- changed it (set from the logged row, a json column the fill never
  -- touched lost its spacing and repeated keys, which jsonb drops)
  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
         string_agg(format('CASE WHEN (l.old_row OPERATOR(pg_catalog.->) %1$L) OPERATOR(pg_catalog.=) (l.new_row OPERATOR(pg_catalog.->) %1$L)
                            THEN t.%2$I ELSE p.%2$I END', a.attname, a.attname), ', ' ORDER BY a.attnum)
    INTO upd_cols, upd_vals
    FROM pg_attribute a
   WHERE a.attrelid = r.table_name AND a.attnum > 0 AND NOT a.attisdropped
     AND a.attgenerated = '' AND a.attidentity <> 'a'
     AND EXISTS (SELECT 1 FROM dataeng.dedupe_log l WHERE l.run_id = r.run_id AND l.old_row ? a.attname);
  -- a column of the logged rows renamed or dropped since the run: its
  -- values would be lost (jsonb_populate_record skips unknown keys)
  SELECT string_agg(DISTINCT quote_ident(k), ', ') INTO gone
    FROM dataeng.dedupe_log l, jsonb_object_keys(l.old_row) k
   WHERE l.run_id = r.run_id
     AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = r.table_name AND a.attname = k
                        AND a.attnum > 0 AND NOT a.attisdropped);
  IF gone IS NOT NULL THEN
    RAISE EXCEPTION 'cannot undo dedupe run %: table % has no column % any more', run_id, r.table_name, gone
      USING ERRCODE = 'object_not_in_prerequisite_state',
            DETAIL = 'The rows the run logged have values for it: it was renamed or dropped since the run, and the undo would lose them.',
            HINT = 'Rename the column back to undo the run, or restore the rows by hand from dataeng.dedupe_log.';
  END IF;

  -- The whole run in one pass, as 0.1.0 undid it (dedupe_undo(run_id) of a
  -- run none of whose clusters was undone): the filled survivors found and
  -- put back by one UPDATE, the deleted rows inserted by one INSERT, the
  -- log marked by the run's id, without numbering the clusters or checking
  -- keys first (those cost 1.6x: 9.3 s against 5.7 s for 20,000 clusters).
  -- On any error (a survivor changed, a key taken, a row refused) this
  -- subtransaction is rolled back and the clusters are undone as below,
  -- which raises the error of the cluster that blocks the undo; a
  -- deferrable unique index would only fail at commit, so a table with one
  -- is undone as below from the start.  (dedupe_undo_clusters() expects
  -- blocked clusters, and is undone as below: a try that failed would
  -- cost it the time of the survivors' search.)
  IF strict AND clusters IS NULL
     AND NOT EXISTS (SELECT 1 FROM _dd_undo_run u WHERE u.undone_at IS NOT NULL)
     AND NOT EXISTS (SELECT 1 FROM pg_index i
                      WHERE i.indrelid IN (SELECT p.relid FROM pg_partition_tree(r.table_name) p)
                        AND i.indisunique AND NOT i.indimmediate) THEN
    BEGIN
      m := 0;
      IF expected > 0 THEN
        added := ARRAY(SELECT a.attname::text FROM pg_attribute a
                        WHERE a.attrelid = r.table_name AND a.attnum > 0 AND NOT a.attisdropped
                          AND NOT EXISTS (SELECT 1 FROM _dd_undo l
                                           WHERE l.action = 'filled' AND l.new_row ? a.attname));
        -- each logged survivor matches one row, and each row one logged
        -- survivor (two of either, and the clusters are undone as below)
        SELECT u.n INTO m FROM dataeng_internal._dedup_as(owner, format(
          'WITH u AS (UPDATE %1$s t SET (%2$s) = (SELECT %3$s FROM pg_catalog.jsonb_populate_record(NULL::%1$s, l.old_row) p)
                        FROM pg_temp._dd_undo l
                       WHERE l.action OPERATOR(pg_catalog.=) ''filled''
                         AND (dataeng_internal._quarantine_row(t) OPERATOR(pg_catalog.-) %4$L::pg_catalog.text[]) OPERATOR(pg_catalog.=) l.new_row
                      RETURNING l.cluster_id)
           SELECT CASE WHEN pg_catalog.count(DISTINCT u.cluster_id) OPERATOR(pg_catalog.=) pg_catalog.count(*)
                       THEN pg_catalog.count(*) END
             FROM u',
          r.table_name, upd_cols, upd_vals, added)) AS u(n bigint);
        IF m IS DISTINCT FROM expected THEN
          RAISE EXCEPTION 'a survivor of dedupe run % not found in one pass', run_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
      END IF;
      n := 0;
      IF cols IS NOT NULL THEN
        SELECT i.n INTO n FROM dataeng_internal._dedup_as(owner, format(
          'WITH i AS (INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE
                        SELECT %3$s
                          FROM pg_temp._dd_undo l, pg_catalog.jsonb_populate_record(NULL::%1$s, l.old_row) p
                         WHERE l.action OPERATOR(pg_catalog.=) ''deleted''
                      RETURNING 1)
           SELECT pg_catalog.count(*) FROM i',
          r.table_name, cols, pcols)) AS i(n bigint);
      END IF;
      UPDATE dataeng.dedupe_log l SET undone_at = now() WHERE l.run_id = r.run_id AND l.undone_at IS NULL;
      UPDATE dataeng.dedupe_runs d SET undone_at = now() WHERE d.run_id = r.run_id;
      -- (dedupe_undo sums rows_inserted)
      INSERT INTO _dd_undo_report VALUES (NULL, true, n, m, NULL, NULL, NULL, NULL);
      DROP TABLE pg_temp._dd_undo, pg_temp._dd_undo_match, pg_temp._dd_undo_run;
      RETURN;
    EXCEPTION
      WHEN serialization_failure OR deadlock_detected THEN
        RAISE;  -- (the clusters undone as below would meet it again)
      WHEN OTHERS THEN
        NULL;  -- nothing of the pass is left: the clusters are undone as below
    END;
  END IF;

  -- the filled survivors, if nobody changed them since: a survivor is the
  -- row whose columns of the run (those added since left out) are the
  -- logged new_row, read back and written again as _quarantine_row()
  -- writes it (a run logged by to_jsonb(), before the rows were logged in
  -- fixed forms, wrote a timestamptz with its session's offset, '+05:30',
  -- and its undo, under TimeZone UTC, found none of its filled rows:
  -- "changed since"), an expression of the row alone, so the logged rows
  -- are found by a hash join (the columns were compared row by row through
  -- jsonb_each for every pair of a row and a logged row: 100,000 rows and
  -- 5,000 filled survivors took more than ten minutes).  Each is then
  -- known by its partition and ctid, which hold while the table is locked.
  IF expected > 0 THEN
    -- the columns added since the run: in no logged row
    added := ARRAY(SELECT a.attname::text FROM pg_attribute a
                    WHERE a.attrelid = r.table_name AND a.attnum > 0 AND NOT a.attisdropped
                      AND NOT EXISTS (SELECT 1 FROM dataeng.dedupe_log l
                                       WHERE l.run_id = r.run_id AND l.action = 'filled' AND l.new_row ? a.attname));
    -- compared as logged, then (a run logged by to_jsonb(), when a
    -- column's text depends on the settings) the survivors not found with
    -- their logged rows read back and written again: that costs some 80 us
    -- a row, and doubled the undo of 50,000 filled rows
    varies := EXISTS (SELECT 1 FROM pg_attribute a
                       WHERE a.attrelid = r.table_name AND a.attnum > 0 AND NOT a.attisdropped
                         AND dataeng_internal._rule_text_varies(r.table_name, a.attname));
    FOR attempt IN 1 .. CASE WHEN varies THEN 2 ELSE 1 END LOOP
      INSERT INTO _dd_undo_match
        SELECT s.cluster_id, s.toid, s.tid
          FROM dataeng_internal._dedup_as(owner, format(
            'SELECT DISTINCT ON (l.cluster_id) l.cluster_id, t.tableoid, t.ctid
               FROM pg_temp._dd_undo l JOIN %1$s t
                 ON (dataeng_internal._quarantine_row(t) OPERATOR(pg_catalog.-) %2$L::pg_catalog.text[]) OPERATOR(pg_catalog.=) %3$s
              WHERE l.action OPERATOR(pg_catalog.=) ''filled''
              ORDER BY l.cluster_id, t.tableoid, t.ctid',
            r.table_name, added,
            CASE WHEN attempt = 1 THEN 'l.new_row'
                 ELSE format('(dataeng_internal._quarantine_row(pg_catalog.jsonb_populate_record(NULL::%s, l.new_row))
                                OPERATOR(pg_catalog.-) %L::pg_catalog.text[])', r.table_name, added) END))
               AS s(cluster_id bigint, toid oid, tid tid)
         WHERE s.cluster_id NOT IN (SELECT x.cluster_id FROM _dd_undo_match x);
      SELECT count(*) INTO m FROM _dd_undo_match;
      EXIT WHEN m = expected;
    END LOOP;
    IF m <> expected THEN
      IF strict THEN
        RAISE EXCEPTION 'cannot undo dedupe run %: % of its % filled rows changed since', run_id, expected - m, expected
          USING ERRCODE = 'object_not_in_prerequisite_state',
                DETAIL = format('A survivor the run filled no longer holds the values the run left in it (new_row of the run''s filled rows in dataeng.dedupe_log): putting its old values back would undo that later change. Nothing was restored (cluster %s%s).',
                                (SELECT min(l.cluster_id) FROM _dd_undo l
                                  WHERE l.action = 'filled' AND l.cluster_id NOT IN (SELECT x.cluster_id FROM _dd_undo_match x)),
                                CASE WHEN expected - m > 1 THEN ' and others' ELSE '' END),
                HINT = format('Give those survivors the values of new_row again (SELECT new_row FROM dataeng.dedupe_log WHERE run_id = %s AND action = ''filled'') and undo again, or restore by hand from old_row; dataeng.dedupe_undo_clusters(%s) undoes the other clusters and lists those it cannot.', run_id, run_id);
      END IF;
      INSERT INTO _dd_undo_report
        SELECT l.cluster_id, false, 0, 0, '55000',
               format('cannot undo cluster %s of dedupe run %s: its survivor changed since the run', l.cluster_id, run_id),
               'The survivor the run filled no longer holds the values the run left in it (new_row in dataeng.dedupe_log): putting its old values back would undo that later change.',
               format('Give the survivor the values of new_row again (SELECT new_row FROM dataeng.dedupe_log WHERE run_id = %s AND cluster_id = %s AND action = ''filled'') and undo the cluster again, or restore it by hand from old_row.', run_id, l.cluster_id)
          FROM _dd_undo l
         WHERE l.action = 'filled' AND l.cluster_id NOT IN (SELECT x.cluster_id FROM _dd_undo_match x);
    END IF;
  END IF;

  -- a deleted row whose key another row holds now (not a survivor the
  -- undo puts back, whose key may be the one the fill gave it): found by
  -- each unique index in one pass, rather than by trying (a deferrable
  -- one would only fail at commit, the whole undo with it; and tried, the
  -- keys of 100 clusters spread among 20,000 taken through a unique index
  -- with an expression or a predicate, which this check left to the tries,
  -- cost 2.1x to 2.7x the CPU time of the undo where the index was on the
  -- column: each try inserts again up to every row left to undo).  A key
  -- is compared as the index compares it: its expression (a column, or
  -- lower(email)) of the deleted row read back, by the equality of the
  -- index's operator class in the index's collation (so the index itself
  -- answers), and, for a partial index, only where both rows satisfy its
  -- predicate.  Left to the tries below:
  -- a collation that does not compare bytes, NULLS NOT DISTINCT (NULL is
  -- never found equal here), an expression or predicate on a table with a
  -- column the logged rows lack (the INSERT gives it its default, which
  -- the rows read back here would not have), and an index whose check
  -- fails (an expression raising an error for a deleted row: that
  -- cluster's try reports it)
  IF to_regclass('pg_temp._dd_undo_taken') IS NOT NULL THEN DROP TABLE pg_temp._dd_undo_taken; END IF;
  CREATE TEMP TABLE _dd_undo_taken (cluster_id bigint, con text, detail text);
  EXECUTE format('GRANT SELECT ON pg_temp._dd_undo_match TO %s', owner);
  -- every column of the table has values in the logged rows
  complete := NOT EXISTS (SELECT 1 FROM pg_attribute a
                         WHERE a.attrelid = r.table_name AND a.attnum > 0 AND NOT a.attisdropped
                           AND NOT EXISTS (SELECT 1 FROM _dd_undo l WHERE l.action = 'deleted' AND l.old_row ? a.attname));
  FOR ix IN
    SELECT c.relname::text AS con,
           -- its keys as PostgreSQL names them in its own errors
           array_agg(pg_get_indexdef(i.indexrelid, k.n, true) ORDER BY k.n) AS keys,
           -- (both sides cast to the operator's own type, named by its
           -- schema, without a length: looked up by its name for the type
           -- of the expression, a domain's or varchar's, an operator
           -- another role created in the schema of the operator class's
           -- for that type would be the one run, as the owner; an operator
           -- of a polymorphic type must be PostgreSQL's)
           array_agg(CASE WHEN ot.typtype = 'p'
                          THEN format('(%s)%s OPERATOR(%I.%s) _dd_k._dd_e%s',
                                      pg_get_indexdef(i.indexrelid, k.n, true),
                                      CASE WHEN co.oid IS NOT NULL THEN format(' COLLATE %I.%I', cn.nspname, co.collname) ELSE '' END,
                                      opn.nspname, o.oprname, k.n)
                          ELSE format('CAST((%s) AS %s)%s OPERATOR(%I.%s) CAST(_dd_k._dd_e%s AS %s)',
                                      pg_get_indexdef(i.indexrelid, k.n, true), format('%I.%I', otn.nspname, ot.typname),
                                      CASE WHEN co.oid IS NOT NULL THEN format(' COLLATE %I.%I', cn.nspname, co.collname) ELSE '' END,
                                      opn.nspname, o.oprname, k.n, format('%I.%I', otn.nspname, ot.typname)) END
                     ORDER BY k.n) AS conds,
           coalesce(pg_get_expr(i.indpred, i.indrelid, true), 'true') AS pred
      FROM pg_index i
      JOIN pg_class c ON c.oid = i.indexrelid
      CROSS JOIN LATERAL generate_series(1, i.indnkeyatts::int) k(n)
      JOIN pg_opclass oc ON oc.oid = i.indclass[k.n - 1]
      JOIN pg_am am ON am.oid = oc.opcmethod
      LEFT JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amoplefttype = oc.opcintype
                          AND ao.amoprighttype = oc.opcintype AND ao.amopstrategy = 3
      LEFT JOIN pg_operator o ON o.oid = ao.amopopr
      LEFT JOIN pg_namespace opn ON opn.oid = o.oprnamespace
      LEFT JOIN pg_type ot ON ot.oid = o.oprleft  -- (= oprright: the operator class's type)
      LEFT JOIN pg_namespace otn ON otn.oid = ot.typnamespace
      LEFT JOIN pg_collation co ON co.oid = i.indcollation[k.n - 1]
      LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
     WHERE i.indrelid = r.table_name AND i.indisunique AND i.indisready AND i.indislive
       AND ((i.indexprs IS NULL AND i.indpred IS NULL) OR complete)
     GROUP BY c.relname, i.indexrelid, i.indrelid, i.indpred
    HAVING bool_and(am.amname = 'btree' AND o.oid IS NOT NULL AND coalesce(co.collisdeterministic, true)
                    AND (ot.typtype <> 'p' OR opn.nspname = 'pg_catalog'))
     ORDER BY i.indexrelid  -- (the order PostgreSQL checks them in: a key taken twice is reported as an INSERT fails)
  LOOP
    IF cols IS NULL THEN EXIT; END IF;
    BEGIN
      INSERT INTO _dd_undo_taken
        SELECT x.cluster_id, ix.con, x.detail
          FROM dataeng_internal._dedup_as(owner, format(
            'SELECT DISTINCT ON (_dd_l.cluster_id) _dd_l.cluster_id,
                    pg_catalog.concat(%1$L, pg_catalog.concat_ws('', '', %2$s), '') already exists'')
               FROM pg_temp._dd_undo _dd_l
                    CROSS JOIN LATERAL (SELECT %3$s FROM pg_catalog.jsonb_populate_record(NULL::%4$s, _dd_l.old_row) _dd_p
                                         WHERE %5$s) _dd_k
              WHERE _dd_l.action OPERATOR(pg_catalog.=) ''deleted''
                AND EXISTS (SELECT 1 FROM %6$s %4$s _dd_t
                             WHERE %5$s AND %7$s
                               AND NOT EXISTS (SELECT 1 FROM pg_temp._dd_undo_match _dd_m
                                                WHERE _dd_m.tid OPERATOR(pg_catalog.=) _dd_t.ctid
                                                  AND _dd_m.toid OPERATOR(pg_catalog.=) _dd_t.tableoid))
              ORDER BY _dd_l.cluster_id',
            format('Key (%s)=(', array_to_string(ix.keys, ', ')),
            array_to_string(ARRAY(SELECT format('CAST(_dd_k._dd_e%s AS pg_catalog.text)', k)
                                    FROM generate_series(1, cardinality(ix.keys)) k), ', '),
            array_to_string(ARRAY(SELECT format('(%s) AS _dd_e%s', ix.keys[k], k)
                                    FROM generate_series(1, cardinality(ix.keys)) k), ', '),
            r.table_name,
            format('(%s)', ix.pred),
            -- (the index of a table that others inherit holds its own rows
            -- only; a partitioned table's, those of its partitions)
            CASE WHEN (SELECT c.relkind FROM pg_class c WHERE c.oid = r.table_name) = 'r' THEN 'ONLY' ELSE '' END,
            array_to_string(ix.conds, ' AND ')))
               AS x(cluster_id bigint, detail text)
         WHERE x.cluster_id NOT IN (SELECT y.cluster_id FROM _dd_undo_taken y)
           AND x.cluster_id NOT IN (SELECT y.cluster_id FROM _dd_undo_report y);
    EXCEPTION
      WHEN serialization_failure OR deadlock_detected THEN
        RAISE;
      WHEN OTHERS THEN
        NULL;  -- (this index is left to the tries below)
    END;
  END LOOP;
  SELECT * INTO taken FROM _dd_undo_taken y ORDER BY y.cluster_id LIMIT 1;
  IF FOUND THEN
    IF strict THEN
      RAISE EXCEPTION 'cannot undo dedupe run %: a row it deleted has a key another row of % holds now', run_id, r.table_name
        USING ERRCODE = 'unique_violation', CONSTRAINT = taken.con,
              DETAIL = format('%s (unique constraint "%s"); nothing was restored.', taken.detail, taken.con),
              HINT = format('Delete or change the row now holding that key, then run dataeng.dedupe_undo(%s) again; dataeng.dedupe_undo_clusters(%s) undoes the other clusters and lists those it cannot.', run_id, run_id);
    END IF;
    INSERT INTO _dd_undo_report
      SELECT y.cluster_id, false, 0, 0, '23505',
             format('cannot undo cluster %s of dedupe run %s: a row it deleted has a key another row of %s holds now', y.cluster_id, run_id, r.table_name),
             format('%s (unique constraint "%s").', y.detail, y.con),
             format('Delete or change the row now holding that key, then undo the cluster again (dataeng.dedupe_undo(%s, ARRAY[%s])).', run_id, y.cluster_id)
        FROM _dd_undo_taken y;
  END IF;

  -- the clusters to undo (their filled survivor found, or none filled, and
  -- no key taken), numbered 1..nset for the tries below
  CREATE TEMP TABLE _dd_undo_go AS
    SELECT (row_number() OVER (ORDER BY c.cluster_id))::int AS ord, c.cluster_id, x.toid, x.tid,
           false AS done
      FROM (SELECT DISTINCT u.cluster_id FROM _dd_undo u) c
      LEFT JOIN _dd_undo_match x ON x.cluster_id = c.cluster_id
     WHERE (x.cluster_id IS NOT NULL
            OR NOT EXISTS (SELECT 1 FROM _dd_undo u WHERE u.cluster_id = c.cluster_id AND u.action = 'filled'))
       AND c.cluster_id NOT IN (SELECT y.cluster_id FROM _dd_undo_taken y);
  GET DIAGNOSTICS nset = ROW_COUNT;
  CREATE INDEX ON _dd_undo_go (ord);
  ANALYZE _dd_undo_go;
  EXECUTE format('GRANT SELECT ON pg_temp._dd_undo_go TO %s', owner);

  stack := CASE WHEN nset > 0 THEN ARRAY[1, nset] ELSE '{}'::int[] END;
  WHILE cardinality(stack) > 0 LOOP
    lo := stack[cardinality(stack) - 1];
    hi := stack[cardinality(stack)];
    stack := stack[1:cardinality(stack) - 2];
    BEGIN
      -- survivors back to what they were (read by their ctids: a try of a
      -- few clusters among thousands read the whole table)
      IF expected > 0 THEN
        SELECT u.n INTO m FROM dataeng_internal._dedup_as(owner, format(
          'WITH u AS (UPDATE %1$s t SET (%2$s) = (SELECT %3$s FROM pg_catalog.jsonb_populate_record(NULL::%1$s, l.old_row) p)
                        FROM pg_temp._dd_undo_go g JOIN pg_temp._dd_undo l ON l.cluster_id OPERATOR(pg_catalog.=) g.cluster_id
                       WHERE l.action OPERATOR(pg_catalog.=) ''filled''
                         AND g.ord OPERATOR(pg_catalog.>=) %4$s AND g.ord OPERATOR(pg_catalog.<=) %5$s
                         AND t.ctid OPERATOR(pg_catalog.=) g.tid AND t.tableoid OPERATOR(pg_catalog.=) g.toid
                         AND t.ctid OPERATOR(pg_catalog.=) ANY (ARRAY(
                               SELECT g2.tid FROM pg_temp._dd_undo_go g2
                                WHERE g2.ord OPERATOR(pg_catalog.>=) %4$s AND g2.ord OPERATOR(pg_catalog.<=) %5$s))
                      RETURNING 1)
           SELECT pg_catalog.count(*) FROM u',
          r.table_name, upd_cols, upd_vals, lo, hi)) AS u(n bigint);
        IF m <> (SELECT count(*) FROM _dd_undo_go g WHERE g.ord BETWEEN lo AND hi AND g.tid IS NOT NULL) THEN
          RAISE EXCEPTION 'cannot undo dedupe run %: a filled survivor changed during the undo', run_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Nothing of it was restored.';
        END IF;
      END IF;
      -- the deleted rows back
      IF cols IS NOT NULL THEN  -- NULL: the run logged no row (it found no duplicate)
        SELECT i.n INTO n FROM dataeng_internal._dedup_as(owner, format(
          'WITH i AS (INSERT INTO %1$s (%2$s) OVERRIDING SYSTEM VALUE
                        SELECT %3$s
                          FROM pg_temp._dd_undo_go g JOIN pg_temp._dd_undo l ON l.cluster_id OPERATOR(pg_catalog.=) g.cluster_id,
                               pg_catalog.jsonb_populate_record(NULL::%1$s, l.old_row) p
                         WHERE l.action OPERATOR(pg_catalog.=) ''deleted''
                           AND g.ord OPERATOR(pg_catalog.>=) %4$s AND g.ord OPERATOR(pg_catalog.<=) %5$s
                      RETURNING 1)
           SELECT pg_catalog.count(*) FROM i',
          r.table_name, cols, pcols, lo, hi)) AS i(n bigint);
      END IF;
      UPDATE _dd_undo_go g SET done = true WHERE g.ord BETWEEN lo AND hi;
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE, err_msg = MESSAGE_TEXT,
                              err_detail = PG_EXCEPTION_DETAIL, err_hint = PG_EXCEPTION_HINT, err_con = CONSTRAINT_NAME;
      -- a cluster's own trouble (data, a constraint, a trigger refusing a
      -- row) is tried apart from the others; anything else ends the undo
      IF strict OR NOT (left(err_state, 2) IN ('22', '23', 'P0') OR err_state = '55000') THEN
        IF err_state = '23505' THEN
          -- a deleted row's key taken again since the run: say which, and
          -- what to do (the whole undo is refused, nothing is restored)
          RAISE EXCEPTION 'cannot undo dedupe run %: a row it deleted has a key another row of % holds now', run_id, r.table_name
            USING ERRCODE = 'unique_violation', CONSTRAINT = err_con,
                  DETAIL = format('%s (unique constraint "%s"); nothing was restored.',
                                  coalesce(nullif(rtrim(err_detail, '.'), ''), 'A deleted row''s key exists again'), err_con),
                  HINT = format('Delete or change the row now holding that key, then run dataeng.dedupe_undo(%s) again; dataeng.dedupe_undo_clusters(%s) undoes the other clusters and lists those it cannot.', run_id, run_id);
        END IF;
        RAISE;
      END IF;
      IF lo < hi THEN
        mid := (lo + hi) / 2;
        stack := stack || ARRAY[mid + 1, hi, lo, mid];   -- (lo..mid next)
      ELSE
        SELECT g.cluster_id INTO cid FROM _dd_undo_go g WHERE g.ord = lo;
        INSERT INTO _dd_undo_report VALUES (cid, false, 0, 0, err_state,
          CASE WHEN err_state = '23505'
               THEN format('cannot undo cluster %s of dedupe run %s: a row it deleted has a key another row of %s holds now', cid, run_id, r.table_name)
               ELSE format('cannot undo cluster %s of dedupe run %s: %s', cid, run_id, err_msg) END,
          CASE WHEN err_state = '23505'
               THEN format('%s (unique constraint "%s").', coalesce(nullif(rtrim(err_detail, '.'), ''), 'A deleted row''s key exists again'), err_con)
               ELSE nullif(err_detail, '') END,
          CASE WHEN err_state = '23505'
               THEN format('Delete or change the row now holding that key, then undo the cluster again (dataeng.dedupe_undo(%s, ARRAY[%s])).', run_id, cid)
               ELSE nullif(err_hint, '') END);
      END IF;
    END;
  END LOOP;

  ANALYZE _dd_undo_go;  -- (done: a nested loop over the log took seconds)
  INSERT INTO _dd_undo_report
    SELECT g.cluster_id, true,
           (SELECT count(*) FROM _dd_undo l WHERE l.cluster_id = g.cluster_id AND l.action = 'deleted'),
           (SELECT count(*) FROM _dd_undo l WHERE l.cluster_id = g.cluster_id AND l.action = 'filled'),
           NULL, NULL, NULL, NULL
      FROM _dd_undo_go g WHERE g.done;
  -- what was undone, exactly: never undone again
  -- (by ctid alone: with the run's id, the log's statistics, which may not
  -- have seen this run, chose its index and a list filter, 30,000 rows by
  -- 30,000 ctids)
  UPDATE dataeng.dedupe_log l SET undone_at = now()
    FROM (SELECT u.lid FROM _dd_undo u JOIN _dd_undo_go g ON g.cluster_id = u.cluster_id WHERE g.done) d
   WHERE l.ctid = d.lid;
  IF NOT EXISTS (SELECT 1 FROM _dd_undo_run u WHERE u.undone_at IS NULL
                    AND u.cluster_id NOT IN (SELECT g.cluster_id FROM _dd_undo_go g WHERE g.done)) THEN
    UPDATE dataeng.dedupe_runs d SET undone_at = now() WHERE d.run_id = r.run_id;
  END IF;
  DROP TABLE pg_temp._dd_undo, pg_temp._dd_undo_match, pg_temp._dd_undo_go, pg_temp._dd_undo_taken, pg_temp._dd_undo_run;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedupe_undo_work(regrole, bigint, bigint[], boolean) IS
  'internal: undo clusters of a dedupe run, all or nothing (strict) or each that can be, into pg_temp._dd_undo_report';
REVOKE ALL ON FUNCTION dataeng_internal._dedupe_undo_work(regrole, bigint, bigint[], boolean) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedupe_undo(caller regrole, run_id bigint, clusters bigint[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  n bigint;
BEGIN
  PERFORM dataeng_internal._dedupe_undo_work(caller, run_id, clusters, true);
  SELECT coalesce(sum(x.rows_inserted), 0) INTO n FROM pg_temp._dd_undo_report x;
  DROP TABLE pg_temp._dd_undo_report;
  RETURN n;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedupe_undo(regrole, bigint, bigint[]) IS
  'internal: body of dedupe_undo(), run for the calling role';
REVOKE ALL ON FUNCTION dataeng_internal._dedupe_undo(regrole, bigint, bigint[]) FROM PUBLIC;

CREATE FUNCTION dataeng_internal._dedupe_undo_clusters(caller regrole, run_id bigint, clusters bigint[])
RETURNS TABLE(cluster_id bigint, undone boolean, rows_inserted bigint, rows_restored bigint,
              sqlstate text, reason text, detail text, hint text)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM dataeng_internal._dedupe_undo_work(caller, run_id, clusters, false);
  RETURN QUERY SELECT x.cluster_id, x.undone, x.rows_inserted, x.rows_restored, x.sqlstate, x.reason, x.detail, x.hint
                 FROM pg_temp._dd_undo_report x ORDER BY x.cluster_id;
  DROP TABLE pg_temp._dd_undo_report;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedupe_undo_clusters(regrole, bigint, bigint[]) IS
  'internal: body of dedupe_undo_clusters(), run for the calling role';
REVOKE ALL ON FUNCTION dataeng_internal._dedupe_undo_clusters(regrole, bigint, bigint[]) FROM PUBLIC;

CREATE FUNCTION dataeng.dedupe_forget(run_id bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'dataeng_dedupe_forget'
LANGUAGE C VOLATILE;
COMMENT ON FUNCTION dataeng.dedupe_forget(bigint) IS
  'Deletes a dedupe run and its log (no undo afterwards): for the role that ran it, the table''s owner or a superuser';

CREATE FUNCTION dataeng_internal._dedupe_forget(caller regrole, run_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  run record := dataeng_internal._dedupe_run(caller, run_id);
BEGIN
  IF NOT (((run.r).run_by::oid = caller::oid
           AND dataeng_internal._owner_trusted((run.r).run_by, (run.r).run_by_name, (run.r).run_by_system))
          OR dataeng_internal._is_superuser(caller)
          OR coalesce(pg_has_role(caller::oid, run.owner::oid, 'USAGE'), false)) THEN
    RAISE EXCEPTION 'only %, the table''s owner or a superuser may forget dedupe run %', (run.r).run_by, run_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  DELETE FROM dataeng.dedupe_runs d WHERE d.run_id = _dedupe_forget.run_id;
END;
$$;
COMMENT ON FUNCTION dataeng_internal._dedupe_forget(regrole, bigint) IS
  'internal: body of dedupe_forget(), run for the calling role';
REVOKE ALL ON FUNCTION dataeng_internal._dedupe_forget(regrole, bigint) FROM PUBLIC;

CREATE FUNCTION dataeng.name_case(value text, company boolean DEFAULT false)
RETURNS text
AS 'MODULE_PATHNAME', 'dataeng_name_case'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.name_case(text, boolean) IS
  'Person (or, with company, company) names in proper case: O''Brien, McDonald, van der Berg, IBM';

-- Dates and times as sources write them (src/cleanse/dates.c).  Not STRICT:
-- order and tz may be NULL (YMD, UTC); a NULL text gives NULL.
CREATE FUNCTION dataeng.parse_date(value text, "order" text DEFAULT 'YMD')
RETURNS date
AS 'MODULE_PATHNAME', 'dataeng_parse_date'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_date(text, text) IS
  'The date in text such as "24/11/2026", "Nov 24, 2026", "20261124" (order YMD/DMY/MDY for numeric dates); NULL when ambiguous or impossible';

CREATE FUNCTION dataeng.parse_timestamp(value text, "order" text DEFAULT 'YMD', tz text DEFAULT 'UTC')
RETURNS timestamptz
AS 'MODULE_PATHNAME', 'dataeng_parse_timestamp'
LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION dataeng.parse_timestamp(text, text, text) IS
  'The moment in text such as "Tue, 24 Nov 2026 10:00:00 +0100"; its own offset, else time zone tz; NULL when ambiguous or impossible';

