-- The per-value counts of count(DISTINCT) measures applied to a fact's
-- side table in C (dataeng_internal._fact_side_apply: a group's changes
-- merged into its chunks of values and counts, src/aggregate/side_apply.c),
-- or by SQL when the side table has triggers or row security.  Both paths, side by
-- side on the same changes: after every refresh each fact equals its
-- GROUP BY and each side table the per-value counts of the source.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
SET TimeZone = 'UTC';
CREATE ROLE da_owner;
CREATE ROLE da_other;
CREATE SCHEMA da AUTHORIZATION da_owner;
GRANT USAGE ON SCHEMA da TO da_other;
SET ROLE da_owner;

-- a nullable dimension (a NULL group), an int value and a text value
CREATE TABLE da.src (id int PRIMARY KEY, at timestamptz NOT NULL, g text, v int, w text);
INSERT INTO da.src
SELECT i, timestamptz '2025-04-01' + (i % 3) * interval '1 day',
       CASE WHEN i % 7 = 0 THEN NULL WHEN i % 2 = 0 THEN 'x' ELSE 'y' END, i % 5, 'w' || (i % 4)
  FROM generate_series(1, 60) i;
SELECT dataeng.fact_create('da.c', 'da.src', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'count(DISTINCT v)', 'count(DISTINCT w)'], schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('da.u', 'da.src', 'at', 'day', ARRAY['g'],
                           ARRAY['count(*)', 'count(DISTINCT v)', 'count(DISTINCT w)'], schedule => NULL) IS NOT NULL AS created;
-- a trigger on da.u's side table: its counts go through SQL
CREATE FUNCTION da.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER noop BEFORE INSERT OR UPDATE ON da.u_distinct FOR EACH ROW EXECUTE FUNCTION da.noop();
SELECT d.name, CASE WHEN s LIKE '%_fact_side_apply(%' THEN 'C' WHEN s LIKE 'WITH ch AS (%DELETE FROM%INSERT INTO%' THEN 'SQL' END AS applied_by
  FROM dataeng_internal.fact_defs d,
       dataeng_internal._fact_side_upsert_sql(d, dataeng_internal._fact_side_table(d), 2) s
 WHERE d.name LIKE 'da.%' ORDER BY 1;

-- a side table's values and counts, a row per group, measure and value
CREATE FUNCTION da.vals(side regclass) RETURNS TABLE (bucket timestamptz, g text, m int, val text, n bigint)
LANGUAGE plpgsql AS $$
BEGIN
  RETURN QUERY EXECUTE format('SELECT s.bucket, s.g, s.__m, u.val, u.n FROM %s s, '
                              'unnest(CASE s.__m WHEN 2 THEN s.__a2::text[] ELSE s.__a3 END, dataeng_internal._fact_side_counts(s.__n)) u(val, n)', side);
END $$;
-- the chunks that are not as they should be: as many counts as values,
-- the first value __v<m>, the values sorted and distinct (under their
-- collation), no count below 1, no chunk empty nor past 3,800 bytes of
-- values and counts, no value in two chunks of its group
CREATE FUNCTION da.bad_chunks(side regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  m bigint;
BEGIN
  EXECUTE format('SELECT count(*) FROM %s s WHERE cardinality(dataeng_internal._fact_side_counts(s.__n)) = 0 '
                 '   OR cardinality(dataeng_internal._fact_side_counts(s.__n)) <> cardinality(CASE s.__m WHEN 2 THEN s.__a2::text[] ELSE s.__a3 END) '
                 '   OR (s.__m = 2 AND s.__v2 IS DISTINCT FROM s.__a2[1]) OR (s.__m = 3 AND s.__v3 IS DISTINCT FROM s.__a3[1]) '
                 '   OR EXISTS (SELECT FROM unnest(dataeng_internal._fact_side_counts(s.__n)) c WHERE c IS NULL OR c < 1) '
                 '   OR (s.__m = 2 AND EXISTS (SELECT FROM generate_subscripts(s.__a2, 1) i '
                 '                              WHERE i > 1 AND s.__a2[i - 1] >= s.__a2[i])) '
                 '   OR (s.__m = 3 AND EXISTS (SELECT FROM generate_subscripts(s.__a3, 1) i '
                 '                              WHERE i > 1 AND s.__a3[i - 1] >= s.__a3[i])) '
                 '   OR (SELECT sum(pg_column_size(x)) FROM unnest(CASE s.__m WHEN 2 THEN s.__a2::text[] ELSE s.__a3 END) x) '
                 '      + length(s.__n) > 3800', side) INTO n;
  EXECUTE format('SELECT count(*) FROM (SELECT s.bucket, s.g, s.__m, u.val FROM %s s, '
                 'unnest(CASE s.__m WHEN 2 THEN s.__a2::text[] ELSE s.__a3 END) u(val) '
                 'GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) x', side) INTO m;
  RETURN n + m;
END $$;

-- differences with the truth (0: equal)
CREATE FUNCTION da.diff() RETURNS TABLE (what text, diff bigint) LANGUAGE sql AS $$
  WITH truth AS (SELECT date_trunc('day', at, 'UTC') AS bucket, g, count(*) AS count,
                        count(DISTINCT v) AS dv, count(DISTINCT w) AS dw FROM da.src GROUP BY 1, 2),
       vals AS (SELECT date_trunc('day', at, 'UTC') AS bucket, g, 2 AS m, v::text AS val, count(*) AS n
                  FROM da.src WHERE v IS NOT NULL GROUP BY 1, 2, 4
                UNION ALL
                SELECT date_trunc('day', at, 'UTC'), g, 3, w, count(*) FROM da.src WHERE w IS NOT NULL GROUP BY 1, 2, 4)
  SELECT f, (SELECT count(*) FROM (
               (SELECT bucket, g, count, count_distinct_v, count_distinct_w FROM da.c WHERE f = 'c'
                UNION ALL SELECT bucket, g, count, count_distinct_v, count_distinct_w FROM da.u WHERE f = 'u'
                EXCEPT ALL SELECT * FROM truth)
               UNION ALL
               (SELECT * FROM truth
                EXCEPT ALL (SELECT bucket, g, count, count_distinct_v, count_distinct_w FROM da.c WHERE f = 'c'
                            UNION ALL SELECT bucket, g, count, count_distinct_v, count_distinct_w FROM da.u WHERE f = 'u'))) x)
          + (SELECT count(*) FROM (
               (SELECT * FROM da.vals('da.c_distinct') WHERE f = 'c'
                UNION ALL SELECT * FROM da.vals('da.u_distinct') WHERE f = 'u'
                EXCEPT ALL SELECT * FROM vals)
               UNION ALL
               (SELECT * FROM vals
                EXCEPT ALL (SELECT * FROM da.vals('da.c_distinct') WHERE f = 'c'
                            UNION ALL SELECT * FROM da.vals('da.u_distinct') WHERE f = 'u'))) x)
          + CASE f WHEN 'c' THEN da.bad_chunks('da.c_distinct') ELSE da.bad_chunks('da.u_distinct') END
    FROM unnest(ARRAY['c', 'u']) f
$$;
CREATE FUNCTION da.refresh() RETURNS TABLE (fact text, changes bigint, path text) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH fact IN ARRAY ARRAY['da.c', 'da.u'] LOOP
    changes := dataeng.fact_refresh(fact);
    SELECT f.last_refresh_path INTO path FROM dataeng.facts f WHERE f.name = fact;
    RETURN NEXT;
  END LOOP;
END $$;
SET dataeng.fact_refresh_path = 'delta';
SELECT * FROM da.diff();

-- 1. a value's last row goes (its count reaches 0: the side row deleted,
-- the group's count(DISTINCT) one less), then it comes back; and a value
-- that goes and comes back in one refresh (no net change)
SELECT bucket, g, count_distinct_v FROM da.c WHERE bucket = '2025-04-02' AND g = 'x';
DELETE FROM da.src WHERE date_trunc('day', at, 'UTC') = '2025-04-02' AND g = 'x' AND v = 2;
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
SELECT bucket, g, count_distinct_v FROM da.c WHERE bucket = '2025-04-02' AND g = 'x';
SELECT count(*) AS side_rows_of_value_2 FROM da.vals('da.c_distinct')
 WHERE bucket = '2025-04-02' AND g = 'x' AND m = 2 AND val = '2';
INSERT INTO da.src VALUES (100, '2025-04-02 10:00', 'x', 2, 'w0');
DELETE FROM da.src WHERE id = (SELECT min(id) FROM da.src WHERE g = 'y' AND v = 3);
INSERT INTO da.src VALUES (101, '2025-04-02 11:00', 'y', 3, 'w3');
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
SELECT bucket, g, count_distinct_v FROM da.c WHERE bucket = '2025-04-02' AND g = 'x';

-- 2. NULL values are not counted: values set to NULL and back
UPDATE da.src SET v = NULL, w = NULL WHERE g IS NULL AND id % 2 = 0;
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
UPDATE da.src SET v = 7, w = 'new' WHERE g IS NULL AND v IS NULL AND id % 4 = 0;
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
SELECT bucket, g, count, count_distinct_v, count_distinct_w FROM da.c WHERE g IS NULL ORDER BY 1;

-- 3. a value moved from one group to another, and between buckets
UPDATE da.src SET g = 'y' WHERE id IN (1, 4);
UPDATE da.src SET at = at + interval '1 day' WHERE id IN (2, 5);
SELECT * FROM da.refresh();
SELECT * FROM da.diff();

-- 4. a group emptied: its side rows go with it
DELETE FROM da.src WHERE date_trunc('day', at, 'UTC') = '2025-04-03' AND g = 'x';
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
SELECT count(*) AS groups, (SELECT count(*) FROM da.c_distinct WHERE bucket = '2025-04-03' AND g = 'x') AS side_rows
  FROM da.c WHERE bucket = '2025-04-03' AND g = 'x';

-- 5. many values at once, new ones and gone ones, in both facts
UPDATE da.src SET v = (v + id) % 9, w = 'w' || ((id * 7) % 6) WHERE id % 3 <> 0;
INSERT INTO da.src SELECT 200 + i, timestamptz '2025-04-01' + (i % 4) * interval '1 day',
                          (ARRAY['x', 'y', 'z', NULL])[1 + i % 4], i % 11, 'n' || (i % 5)
  FROM generate_series(1, 40) i;
DELETE FROM da.src WHERE id % 7 = 0;
SELECT * FROM da.refresh();
SELECT * FROM da.diff();

-- 6. _fact_side_apply writes as its caller: another role may not change
-- a fact's per-value counts through it, nor may the owner without UPDATE
RESET ROLE;
SET ROLE da_other;
SELECT * FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'da.src')
  AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean);
RESET ROLE;
SET ROLE da_owner;
REVOKE UPDATE ON da.c_distinct FROM da_owner;
INSERT INTO da.src VALUES (300, '2025-04-01 05:00', 'x', 1234, 'zz');
\set VERBOSITY terse
SELECT dataeng.fact_refresh('da.c');
\set VERBOSITY default
GRANT UPDATE ON da.c_distinct TO da_owner;
-- a column definition list that is not the side table's is refused
SELECT * FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'da.src')
  AS a(__tid tid, bucket text, g text, __m int, __n bigint, __ins boolean);
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
-- row security on the side table: SQL (which applies it) is used
ALTER TABLE da.c_distinct ENABLE ROW LEVEL SECURITY;
SELECT CASE WHEN s LIKE '%_fact_side_apply(%' THEN 'C' ELSE 'SQL' END AS applied_by
  FROM dataeng_internal.fact_defs d, dataeng_internal._fact_side_upsert_sql(d, 'da.c_distinct', 2) s
 WHERE d.name = 'da.c';
ALTER TABLE da.c_distinct DISABLE ROW LEVEL SECURITY;

-- 7. groups of many values (the NULL group too): their chunks split,
-- then most of the values gone (chunks emptied, and joined to the next
-- when small) and some changed
INSERT INTO da.src SELECT 1000 + i, timestamptz '2025-04-01' + (i % 3) * interval '1 day',
                          (ARRAY['x', 'y', NULL])[1 + i % 3], 100 + i, 'v' || i
  FROM generate_series(1, 3000) i;
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
SELECT sum(cardinality(dataeng_internal._fact_side_counts(__n))) AS side_values, count(*) > 9 * 2 AS chunks_split FROM da.c_distinct;
DELETE FROM da.src WHERE id > 1000 AND id % 4 <> 0;
UPDATE da.src SET v = v + 1, w = w || 'b' WHERE id > 1000 AND id % 8 = 0;
SELECT * FROM da.refresh();
SELECT * FROM da.diff();
SELECT sum(cardinality(dataeng_internal._fact_side_counts(__n))) AS side_values, count(*) > 9 * 2 AS chunks_split FROM da.c_distinct;

-- 8. values the index holds equal without being the same bytes, applied
-- in C in the index's order (its collations, NULLs last): numeric 1.0 and
-- 1.00, float8 -0 and 0, NaN, text under a case-insensitive
-- (nondeterministic) collation and under an ICU one (not the bytes'
-- order), as values and as group keys (NULL ones too)
CREATE COLLATION da.ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE da.eq (id int PRIMARY KEY, at timestamptz NOT NULL, g text COLLATE da.ci, h float8,
                    n numeric, f float8, t text COLLATE da.ci, u text COLLATE "en-x-icu");
CREATE FUNCTION da.eq_rows(lo int, hi int, s int) RETURNS SETOF da.eq LANGUAGE sql AS $$
  SELECT i, timestamptz '2025-04-01' + (i % 2) * interval '1 day',
         (ARRAY['a', 'A', 'b', NULL, 'B'])[1 + (i * s) % 5], (ARRAY[0, '-0', 'NaN', NULL]::float8[])[1 + (i + s) % 4],
         (ARRAY[1, 1.0, 1.00, 2.5, 2.50, NULL, -0.0, 0]::numeric[])[1 + (i * 3 + s) % 8],
         (ARRAY[0, '-0', 'NaN', 'Infinity', NULL, 1.5]::float8[])[1 + (i * 5 + s) % 6],
         (ARRAY['x', 'X', 'é', 'É', 'e', NULL, 'z'])[1 + (i * 7 + s) % 7],
         (ARRAY['a', 'B', 'b', 'A', 'ä', 'z', 'Z', NULL, '_'])[1 + (i * 11 + s) % 9]
    FROM generate_series(lo, hi) i
$$;
INSERT INTO da.eq SELECT * FROM da.eq_rows(1, 200, 1);
SELECT dataeng.fact_create('da.e', 'da.eq', 'at', 'day', ARRAY['g', 'h'],
                           ARRAY['count(DISTINCT n)', 'count(DISTINCT f)', 'count(DISTINCT t)', 'count(DISTINCT u)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng_internal._fact_side_apply_reason('da.e_distinct', m) AS why_not_c FROM generate_series(1, 4) m;
CREATE FUNCTION da.eq_diff() RETURNS bigint LANGUAGE sql AS $$
  WITH truth AS (SELECT date_trunc('day', at, 'UTC') AS bucket, g, h, count(DISTINCT n) AS dn,
                        count(DISTINCT f) AS df, count(DISTINCT t) AS dt, count(DISTINCT u) AS du
                   FROM da.eq GROUP BY 1, 2, 3),
       fact AS (SELECT bucket, g, h, count_distinct_n, count_distinct_f, count_distinct_t, count_distinct_u FROM da.e)
  SELECT (SELECT count(*) FROM (SELECT * FROM fact EXCEPT ALL SELECT * FROM truth) x)
       + (SELECT count(*) FROM (SELECT * FROM truth EXCEPT ALL SELECT * FROM fact) x)
$$;
SELECT da.eq_diff();
-- rows changed to other spellings of their values, moved between groups,
-- gone and new, in three refreshes
UPDATE da.eq e SET n = r.n, f = r.f, t = r.t, u = r.u FROM da.eq_rows(1, 200, 2) r WHERE e.id = r.id AND e.id % 3 <> 0;
DELETE FROM da.eq WHERE id % 7 = 0;
INSERT INTO da.eq SELECT * FROM da.eq_rows(201, 260, 3);
SELECT dataeng.fact_refresh('da.e') > 0 AS refreshed;
SELECT da.eq_diff();
UPDATE da.eq e SET g = r.g, h = r.h FROM da.eq_rows(1, 260, 4) r WHERE e.id = r.id AND e.id % 2 = 0;
SELECT dataeng.fact_refresh('da.e') > 0 AS refreshed;
SELECT da.eq_diff();
UPDATE da.eq SET t = upper(t), u = lower(u), n = n * 1.000, f = -f WHERE id % 5 <> 0;
DELETE FROM da.eq WHERE id % 11 = 0;
SELECT dataeng.fact_refresh('da.e') > 0 AS refreshed;
SELECT da.eq_diff();
-- one side value per value as the index tells them apart
SELECT (SELECT sum(cardinality(dataeng_internal._fact_side_counts(__n))) FROM da.e_distinct WHERE __m = 1) = (SELECT sum(count_distinct_n) FROM da.e) AS n_rows,
       (SELECT sum(cardinality(dataeng_internal._fact_side_counts(__n))) FROM da.e_distinct WHERE __m = 2) = (SELECT sum(count_distinct_f) FROM da.e) AS f_rows,
       (SELECT sum(cardinality(dataeng_internal._fact_side_counts(__n))) FROM da.e_distinct WHERE __m = 3) = (SELECT sum(count_distinct_t) FROM da.e) AS t_rows,
       (SELECT sum(cardinality(dataeng_internal._fact_side_counts(__n))) FROM da.e_distinct WHERE __m = 4) = (SELECT sum(count_distinct_u) FROM da.e) AS u_rows,
       (SELECT sum(c) FROM da.e_distinct, unnest(dataeng_internal._fact_side_counts(__n)) c) = (SELECT count(n) + count(f) + count(t) + count(u) FROM da.eq) AS counts;

-- 9. the changes are read straight from the table named: an ordinary
-- table the caller may read, not a view (42809) nor a table it may not
-- read (42501)
CREATE VIEW da.ev AS SELECT * FROM da.e_distinct;
\set VERBOSITY sqlstate
SELECT * FROM dataeng_internal._fact_side_apply('da.e_distinct', 1, 'da.ev')
  AS a(__tid tid, bucket timestamptz, g text, h float8, __m int, __n bigint, __ins boolean);
RESET ROLE;
CREATE TABLE da.not_yours (LIKE da.e_distinct);
SET ROLE da_owner;
SELECT * FROM dataeng_internal._fact_side_apply('da.e_distinct', 1, 'da.not_yours')
  AS a(__tid tid, bucket timestamptz, g text, h float8, __m int, __n bigint, __ins boolean);
-- nor in a read-only transaction (25006), as an INSERT would not
BEGIN READ ONLY;
SELECT * FROM dataeng_internal._fact_side_apply('da.e_distinct', 1, 'da.e_distinct')
  AS a(__tid tid, bucket timestamptz, g text, h float8, __m int, __n bigint, __ins boolean);
ROLLBACK;
\set VERBOSITY default
SELECT da.eq_diff();
DROP VIEW da.ev;
SELECT dataeng.fact_drop('da.e');

-- 10. the changes as a refresh writes them: per group an array of values,
-- each changed by the row's __n (a value twice in one array twice, NULL
-- ones left out), the same as a row per value; an array of another type
-- is refused (42804)
CREATE TEMP TABLE arr (bucket timestamptz, g text, __m int, __n bigint, __v2 int[]);
CREATE TEMP TABLE one (bucket timestamptz, g text, __m int, __n bigint, __v2 int);
INSERT INTO arr VALUES ('2025-04-01', 'x', 2, 1, '{7001,7001,NULL,7002,7003}'), ('2025-04-01', 'x', 2, -1, '{7003}'),
                       ('2025-04-02', NULL, 2, 1, '{7004}'), ('2025-04-02', NULL, 2, -1, '{}'),
                       ('2025-04-02', NULL, 2, 1, NULL), ('2025-04-03', 'y', 3, 1, '{7005}');
INSERT INTO one SELECT bucket, g, __m, __n, unnest(__v2) FROM arr;
BEGIN;
SELECT 'arrays' AS changes, bucket, g, __m, __n, __ins
  FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'arr')
       AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean)
 ORDER BY 2, 3, 5;
SELECT bucket, g, val::int AS __v2, n AS __n FROM da.vals('da.c_distinct') WHERE m = 2 AND val::int > 7000 ORDER BY 1, 2, 3;
ROLLBACK;
BEGIN;
SELECT 'values' AS changes, bucket, g, __m, __n, __ins
  FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'one')
       AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean)
 ORDER BY 2, 3, 5;
SELECT bucket, g, val::int AS __v2, n AS __n FROM da.vals('da.c_distinct') WHERE m = 2 AND val::int > 7000 ORDER BY 1, 2, 3;
ROLLBACK;
CREATE TEMP TABLE wide (bucket timestamptz, g text, __m int, __n bigint, __v2 bigint[]);
\set VERBOSITY sqlstate
SELECT * FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'wide')
  AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean);
\set VERBOSITY default
DROP TABLE wide, arr, one;
SELECT * FROM da.diff();

-- 10b. a chunk's counts packed (__n bytea, _fact_side_counts_pack): a
-- byte a count under 128, more bytes above, up to 2^63 - 1; unpacked by
-- _fact_side_counts(); what is not so packed is refused (22P03, 22023)
SELECT n, dataeng_internal._fact_side_counts_pack(ARRAY[n]) AS packed,
       dataeng_internal._fact_side_counts(dataeng_internal._fact_side_counts_pack(ARRAY[n])) = ARRAY[n] AS round_trip
  FROM unnest(ARRAY[1, 127, 128, 16383, 16384, 2147483648, 9223372036854775807]) n;
SELECT dataeng_internal._fact_side_counts('\x'::bytea) AS none,
       dataeng_internal._fact_side_counts_pack('{}'::bigint[]) AS none_packed,
       dataeng_internal._fact_side_counts('\x01ff7f8001'::bytea) AS four;
\set VERBOSITY sqlstate
SELECT dataeng_internal._fact_side_counts('\x0180'::bytea);
SELECT dataeng_internal._fact_side_counts('\x00'::bytea);
SELECT dataeng_internal._fact_side_counts('\xffffffffffffffffff01'::bytea);
SELECT dataeng_internal._fact_side_counts('\xffffffffffffffff80'::bytea);
SELECT dataeng_internal._fact_side_counts_pack('{1,0}'::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack('{1,-5}'::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack('{1,NULL}'::bigint[]);
SELECT dataeng_internal._fact_side_counts_pack('{{1},{2}}'::bigint[]);
\set VERBOSITY default
-- counts of a value past a byte, past 2^31 and near 2^63, in C
-- (da.c) and in SQL (da.u, whose side table has a trigger): added, taken
-- down to 1, then away; the other values of the chunks kept
CREATE TEMP TABLE bigc (bucket timestamptz, g text, __m int, __n bigint, __v2 int);
INSERT INTO bigc VALUES ('2025-04-01', 'x', 2, 127, 8001), ('2025-04-01', 'x', 2, 128, 8002),
                        ('2025-04-01', 'x', 2, 16384, 8003), ('2025-04-01', 'x', 2, 3000000000, 8004),
                        ('2025-04-01', 'x', 2, 9223372036854775000, 8005), ('2025-04-01', 'x', 2, 300, 0);
CREATE FUNCTION da.sql_apply(fact text, chg text) RETURNS TABLE (bucket timestamptz, g text, __n bigint, __ins boolean)
LANGUAGE plpgsql AS $$
BEGIN
  DROP TABLE IF EXISTS pg_temp._dataeng_dc, pg_temp._dataeng_dc_ret;
  CREATE TEMP TABLE _dataeng_dc (bucket timestamptz, g text, __m int, __n bigint, __v2 int[], __v3 text[]);
  CREATE TEMP TABLE _dataeng_dc_ret (__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean);
  EXECUTE format('INSERT INTO pg_temp._dataeng_dc (bucket, g, __m, __n, __v2) SELECT bucket, g, __m, __n, ARRAY[__v2] FROM %s', chg);
  EXECUTE (SELECT dataeng_internal._fact_side_upsert_sql(d, dataeng_internal._fact_side_table(d), 2)
             FROM dataeng_internal.fact_defs d WHERE d.name = fact);
  RETURN QUERY SELECT r.bucket, r.g, r.__n, r.__ins FROM pg_temp._dataeng_dc_ret r;
END $$;
BEGIN;
SELECT 'C' AS path, bucket, g, __n, __ins
  FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'bigc')
       AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean);
SELECT 'SQL' AS path, * FROM da.sql_apply('da.u', 'bigc');
SELECT f, val::int AS __v2, n AS __n FROM (SELECT 'c' AS f, * FROM da.vals('da.c_distinct')
                                           UNION ALL SELECT 'u', * FROM da.vals('da.u_distinct')) x
 WHERE m = 2 AND bucket = '2025-04-01' AND g = 'x' AND (val::int > 8000 OR val::int = 0) ORDER BY 1, 2;
UPDATE bigc SET __n = CASE WHEN __v2 = 0 THEN -300 ELSE 1 - __n END;
SELECT 'C' AS path, bucket, g, __n, __ins
  FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'bigc')
       AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean);
SELECT 'SQL' AS path, * FROM da.sql_apply('da.u', 'bigc');
SELECT f, val::int AS __v2, n AS __n FROM (SELECT 'c' AS f, * FROM da.vals('da.c_distinct')
                                           UNION ALL SELECT 'u', * FROM da.vals('da.u_distinct')) x
 WHERE m = 2 AND bucket = '2025-04-01' AND g = 'x' AND (val::int > 8000 OR val::int = 0) ORDER BY 1, 2;
UPDATE bigc SET __n = CASE WHEN __v2 = 0 THEN 0 ELSE -1 END;
SELECT 'C' AS path, bucket, g, __n, __ins
  FROM dataeng_internal._fact_side_apply('da.c_distinct', 2, 'bigc')
       AS a(__tid tid, bucket timestamptz, g text, __m int, __n bigint, __ins boolean) ORDER BY __n;
SELECT 'SQL' AS path, * FROM da.sql_apply('da.u', 'bigc') ORDER BY __n;
SELECT f, count(*) AS big_values_left FROM (SELECT 'c' AS f, * FROM da.vals('da.c_distinct')
                                           UNION ALL SELECT 'u', * FROM da.vals('da.u_distinct')) x
 WHERE m = 2 AND val::int > 8000 GROUP BY f;
SELECT da.bad_chunks('da.c_distinct') AS c_bad, da.bad_chunks('da.u_distinct') AS u_bad;
ROLLBACK;
DROP FUNCTION da.sql_apply(text, text);
DROP TABLE bigc;
SELECT * FROM da.diff();

-- 11. groups of many values under a case-insensitive collation, one
-- value longer than a chunk, in C (da.bc) and in SQL (da.bu, a trigger on
-- its side table): chunks split as values come, values of another
-- spelling the same value, then most values gone (the chunks left small
-- joined to the next); every chunk sorted, bounded (but the one holding
-- the long value) and disjoint from the others of its group
CREATE TABLE da.big (id int PRIMARY KEY, at timestamptz NOT NULL, g int, t text COLLATE da.ci);
INSERT INTO da.big SELECT i, '2025-04-01', i % 2,
                          CASE WHEN i = 7 THEN repeat('L', 5000) ELSE 'Val' || lpad(i::text, 5, '0') END
  FROM generate_series(1, 3000) i;
SELECT dataeng.fact_create('da.bc', 'da.big', 'at', 'day', ARRAY['g'], ARRAY['count(*)', 'count(DISTINCT t)'],
                           schedule => NULL) IS NOT NULL AS created;
SELECT dataeng.fact_create('da.bu', 'da.big', 'at', 'day', ARRAY['g'], ARRAY['count(*)', 'count(DISTINCT t)'],
                           schedule => NULL) IS NOT NULL AS created;
CREATE TRIGGER noop BEFORE INSERT OR UPDATE ON da.bu_distinct FOR EACH ROW EXECUTE FUNCTION da.noop();
CREATE FUNCTION da.big_diff() RETURNS TABLE (f text, diff bigint) LANGUAGE plpgsql AS $$
BEGIN
  FOREACH f IN ARRAY ARRAY['bc', 'bu'] LOOP
    EXECUTE format(
      'WITH truth AS (SELECT date_trunc(''day'', at, ''UTC'') AS bucket, g, count(*) AS count, count(DISTINCT t) AS dt '
      '                 FROM da.big GROUP BY 1, 2), '
      '     vals AS (SELECT date_trunc(''day'', at, ''UTC'') AS bucket, g, lower(t) AS t, count(*) AS n '
      '                FROM da.big WHERE t IS NOT NULL GROUP BY 1, 2, lower(t)), '
      '     side AS (SELECT s.bucket, s.g, lower(u.t) AS t, u.n FROM da.%1$I s, unnest(s.__a2, dataeng_internal._fact_side_counts(s.__n)) u(t, n)) '
      'SELECT (SELECT count(*) FROM ((SELECT bucket, g, count, count_distinct_t FROM da.%2$I EXCEPT ALL SELECT * FROM truth) '
      '                              UNION ALL (SELECT * FROM truth EXCEPT ALL SELECT bucket, g, count, count_distinct_t FROM da.%2$I)) x) '
      '     + (SELECT count(*) FROM ((SELECT * FROM side EXCEPT ALL SELECT * FROM vals) '
      '                              UNION ALL (SELECT * FROM vals EXCEPT ALL SELECT * FROM side)) x) '
      '     + (SELECT count(*) FROM da.%1$I s '
      '         WHERE cardinality(dataeng_internal._fact_side_counts(s.__n)) <> cardinality(s.__a2) OR s.__v2 IS DISTINCT FROM s.__a2[1] '
      '            OR EXISTS (SELECT FROM generate_subscripts(s.__a2, 1) i WHERE i > 1 AND s.__a2[i - 1] >= s.__a2[i]) '
      '            OR (cardinality(s.__a2) > 1 '
      '                AND (SELECT sum(pg_column_size(x)) FROM unnest(s.__a2) x) + length(s.__n) > 3800)) '
      '     + (SELECT count(*) FROM (SELECT s.__v2, lag(s.__a2[cardinality(s.__a2)]) OVER (PARTITION BY s.bucket, s.g ORDER BY s.__v2) AS prev_last '
      '                                FROM da.%1$I s) x WHERE x.prev_last >= x.__v2)',
      f || '_distinct', f) INTO diff;
    RETURN NEXT;
  END LOOP;
END $$;
SELECT * FROM da.big_diff();
INSERT INTO da.big SELECT i, '2025-04-01', i % 2, 'Val' || lpad(i::text, 5, '0') FROM generate_series(3001, 6000) i;
UPDATE da.big SET t = upper(t) WHERE id % 6 = 0;
SELECT dataeng.fact_refresh('da.bc') AS bc, dataeng.fact_refresh('da.bu') AS bu;
SELECT * FROM da.big_diff();
SELECT count(*) > 20 AS split FROM da.bc_distinct;
DELETE FROM da.big WHERE id % 10 <> 0 AND id <> 7;
UPDATE da.big SET t = lower(t) WHERE id % 20 = 0;
SELECT dataeng.fact_refresh('da.bc') AS bc, dataeng.fact_refresh('da.bu') AS bu;
SELECT * FROM da.big_diff();
SELECT count(*) <= 16 AS joined FROM da.bc_distinct;
SELECT bucket, g, count, count_distinct_t FROM da.bc ORDER BY 1, 2;
-- 12. values below every chunk of their group (read by a forward scan
-- from the group's first chunk), and the chunks of a range of values
-- emptied but for the last, which, left small, is joined to the chunk
-- before it (read on by the backward scan), and so on down to an unchanged
-- chunk: no chunk under 950 bytes (its values' sizes in an array and its
-- counts') but a group's first or last (g = 0)
INSERT INTO da.big SELECT i, '2025-04-01', 0, 'Aa' || lpad(i::text, 5, '0') FROM generate_series(8001, 8100) i;
SELECT dataeng.fact_refresh('da.bc') AS bc, dataeng.fact_refresh('da.bu') AS bu;
SELECT * FROM da.big_diff();
DELETE FROM da.big WHERE g = 0 AND id BETWEEN 1000 AND 3990;
SELECT dataeng.fact_refresh('da.bc') AS bc, dataeng.fact_refresh('da.bu') AS bu;
SELECT * FROM da.big_diff();
SELECT f, count(*) FILTER (WHERE bytes < 950 AND nxt IS NOT NULL AND prv IS NOT NULL) AS small_inner,
       count(*) > 1 AS several_chunks
  FROM (SELECT 'bc' AS f, s.g, (SELECT sum(pg_column_size(ARRAY[x]) - 24) FROM unnest(s.__a2) x) + length(s.__n) AS bytes,
               lead(s.__v2) OVER w AS nxt, lag(s.__v2) OVER w AS prv FROM da.bc_distinct s
        WINDOW w AS (PARTITION BY s.bucket, s.g ORDER BY s.__v2)
        UNION ALL
        SELECT 'bu', s.g, (SELECT sum(pg_column_size(ARRAY[x]) - 24) FROM unnest(s.__a2) x) + length(s.__n),
               lead(s.__v2) OVER w, lag(s.__v2) OVER w FROM da.bu_distinct s
        WINDOW w AS (PARTITION BY s.bucket, s.g ORDER BY s.__v2)) x
 WHERE g = 0 GROUP BY f ORDER BY f;
-- an index that does not sort the values as the column does (descending,
-- or under another collation): the chunks are written by SQL then
DO $$ BEGIN
  EXECUTE (SELECT format('DROP INDEX da.%I', c.relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = 'da.bc_distinct'::regclass);
END $$;
CREATE UNIQUE INDEX ON da.bc_distinct (bucket, g, __v2 DESC) NULLS NOT DISTINCT WHERE __m = 2;
SELECT dataeng_internal._fact_side_apply_reason('da.bc_distinct', 2) AS why_not_c;
DROP INDEX da.bc_distinct_bucket_g___v2_idx;
CREATE UNIQUE INDEX ON da.bc_distinct (bucket, g, __v2 COLLATE "C") NULLS NOT DISTINCT WHERE __m = 2;
SELECT dataeng_internal._fact_side_apply_reason('da.bc_distinct', 2) AS why_not_c;
INSERT INTO da.big SELECT i, '2025-04-01', 0, 'val' || lpad(i::text, 5, '0') FROM generate_series(7001, 7400) i;
DELETE FROM da.big WHERE id % 30 = 0;
SELECT dataeng.fact_refresh('da.bc') AS bc, dataeng.fact_refresh('da.bu') AS bu;
SELECT * FROM da.big_diff();
SELECT dataeng.fact_drop('da.bc'), dataeng.fact_drop('da.bu');

RESET ROLE;
RESET dataeng.fact_refresh_path;
SELECT dataeng.fact_drop('da.c');
SELECT dataeng.fact_drop('da.u');
DROP SCHEMA da CASCADE;
DROP ROLE da_owner;
DROP ROLE da_other;
DROP EXTENSION dataeng CASCADE;
