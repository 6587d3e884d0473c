-- The fold of fact_refresh (src/aggregate/delta.c): buckets of every time
-- column type and grain in zones of every kind (a fixed offset, zones with
-- a history, local mean time, abbreviations that date_trunc reads before
-- zone names), the time values the ISO parser leaves to the input
-- functions (BC, years past 9999, infinity, fractions), dimensions grouped
-- by their binary images or merged by their equality (numeric scales, a
-- case-insensitive collation, arrays), and sums of int2, int4, int8,
-- numeric with a typmod, money and interval, compared with the GROUP BY
-- after rounds of random writes.
CREATE EXTENSION IF NOT EXISTS dataeng;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
\set VERBOSITY terse

CREATE COLLATION fd_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE TABLE fd (
  id int PRIMARY KEY,
  ts timestamptz NOT NULL,
  t timestamp,
  d date,
  region text NOT NULL,
  ci text COLLATE fd_ci,
  n numeric,
  tags text[],
  i2 int2,
  i4 int4,
  i8 int8,
  amt numeric(8,3),
  m money,
  iv interval
);

\i sql_tests/lib/fact_diff.sql

-- A row with random values: times from 1890 to 2030 with fractions, and
-- now and then BC, past 9999, infinite or NULL; values written in
-- several ways that are equal (numeric scales, letter case).
CREATE FUNCTION fd_row(i int) RETURNS fd LANGUAGE sql AS $$
  SELECT i,
         CASE WHEN r < 0.02 THEN 'infinity'::timestamptz
              WHEN r < 0.03 THEN '0044-03-15 12:00:00+00 BC'::timestamptz
              WHEN r < 0.04 THEN '12000-01-01 00:00:00+00'::timestamptz
              ELSE timestamptz '1890-01-01 00:00+00' + random() * interval '140 years' END,
         CASE WHEN r2 < 0.05 THEN NULL WHEN r2 < 0.07 THEN '-infinity'::timestamp
              ELSE timestamp '1900-01-01' + random() * interval '130 years' END,
         CASE WHEN r3 < 0.05 THEN NULL WHEN r3 < 0.07 THEN 'infinity'::date
              WHEN r3 < 0.09 THEN '0100-02-03 BC'::date
              ELSE date '1850-01-01' + (random() * 70000)::int END,
         'r' || (random() * 3)::int,
         (ARRAY['abc', 'ABC', 'Abc', 'xyz', 'XYZ', NULL])[1 + (random() * 5)::int],
         (ARRAY[1, 1.0, 1.00, 2.5, 2.50, NULL])[1 + (random() * 5)::int],
         (ARRAY['{a}', '{a,b}', NULL, '{b}'])[1 + (random() * 3)::int]::text[],
         CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 30000 - 15000)::int2 END,
         CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 2e9 - 1e9)::int4 END,
         CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 4e18 - 2e18)::int8 END,
         CASE WHEN random() < 0.1 THEN NULL ELSE round((random() * 20000 - 10000)::numeric, 3) END,
         CASE WHEN random() < 0.1 THEN NULL ELSE (random() * 1000)::numeric::money END,
         CASE WHEN random() < 0.1 THEN NULL
              ELSE make_interval(months => (random() * 20)::int, days => (random() * 40)::int,
                                 secs => round((random() * 100000)::numeric, 6)::float8) END
    FROM (SELECT random() AS r, random() AS r2, random() AS r3) x
$$;

SELECT setseed(0.42);
INSERT INTO fd SELECT (fd_row(g)).* FROM generate_series(1, 400) g;

-- The facts, each created in its zone; the truth of each, with the
-- bucket as date_trunc computes it (a timestamptz in the fact's zone, a
-- timestamp or date of its own type, whatever the zone).
CREATE TABLE fd_facts (name text PRIMARY KEY, truth text);
CREATE FUNCTION fd_fact(fname text, zone text, tcol text, grain text, dims text[], measures text[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ttype regtype := (SELECT atttypid FROM pg_attribute WHERE attrelid = 'fd'::regclass AND attname = tcol);
  bucket text := CASE ttype WHEN 'timestamptz'::regtype THEN format('date_trunc(%L, %I, %L)', grain, tcol, zone)
                            -- date and timestamp columns: buckets of their type, of no zone
                            WHEN 'timestamp'::regtype THEN format('date_trunc(%L, %I)', grain, tcol)
                            ELSE format('date_trunc(%L, %I::timestamp)::date', grain, tcol) END;
BEGIN
  PERFORM set_config('TimeZone', zone, true);
  PERFORM dataeng.fact_create(fname, 'fd', tcol, grain, dims, measures, schedule => NULL);
  INSERT INTO fd_facts VALUES (fname, format('SELECT %s%s, %s FROM fd GROUP BY %s', bucket,
    (SELECT string_agg(', ' || quote_ident(x), '') FROM unnest(dims) x),
    array_to_string(measures, ', '),
    (SELECT string_agg(g::text, ', ') FROM generate_series(1, 1 + cardinality(dims)) g)));
END $$;

BEGIN;
-- a fixed offset, by its zone name and by a POSIX name
SELECT fd_fact('fd_utc_day', 'UTC', 'ts', 'day', ARRAY['region'],
               ARRAY['count(*)', 'sum(i2)', 'sum(i4)', 'sum(i8)', 'avg(amt)', 'sum(m)', 'sum(iv)', 'count(tags)']);
SELECT fd_fact('fd_gmt5_t_week', 'Etc/GMT+5', 't', 'week', ARRAY['region'], ARRAY['count(*)', 'sum(amt)']);
SELECT fd_fact('fd_utc_t_year', 'UTC', 't', 'year', ARRAY['region'], ARRAY['count(*)', 'avg(i4)']);
SELECT fd_fact('fd_utc_d_quarter', 'UTC', 'd', 'quarter', ARRAY['region'], ARRAY['count(*)', 'sum(i8)']);
-- zones with a history (local mean time, summer time), by the zone database
SELECT fd_fact('fd_ams_minute', 'Europe/Amsterdam', 'ts', 'minute', ARRAY['region'], ARRAY['count(*)', 'sum(i2)']);
SELECT fd_fact('fd_kolkata_hour', 'Asia/Kolkata', 'ts', 'hour', ARRAY['region'], ARRAY['count(*)', 'avg(i8)']);
SELECT fd_fact('fd_ny_d_month', 'America/New_York', 'd', 'month', ARRAY['region'], ARRAY['count(*)', 'sum(m)']);
-- abbreviations: date_trunc reads CET as the fixed +01, not the zone CET
SELECT fd_fact('fd_cet_week', 'CET', 'ts', 'week', ARRAY['region'], ARRAY['count(*)', 'sum(i4)']);
SELECT fd_fact('fd_est_t_day', 'EST', 't', 'day', ARRAY['region'], ARRAY['count(*)', 'sum(iv)']);
-- grains left to date_trunc itself
SELECT fd_fact('fd_utc_second', 'UTC', 'ts', 'second', ARRAY['region'], ARRAY['count(*)']);
SELECT fd_fact('fd_utc_decade', 'UTC', 'ts', 'decade', ARRAY['region'], ARRAY['count(*)', 'sum(amt)']);
SELECT fd_fact('fd_ams_d_millennium', 'Europe/Amsterdam', 'd', 'millennium', ARRAY['region'], ARRAY['count(*)']);
-- dimensions merged by their equality: numeric scales, a case-insensitive
-- collation, arrays (read as JSON)
SELECT fd_fact('fd_n_month', 'UTC', 'ts', 'month', ARRAY['n'], ARRAY['count(*)', 'sum(i4)', 'count(n)']);
SELECT fd_fact('fd_ci_year', 'Asia/Kolkata', 'ts', 'year', ARRAY['ci', 'region'], ARRAY['count(*)', 'avg(amt)']);
SELECT fd_fact('fd_tags_decade', 'UTC', 'ts', 'decade', ARRAY['tags'], ARRAY['count(*)', 'sum(i8)', 'count(tags)']);
COMMIT;
SET TimeZone = 'UTC';

SELECT name, fact_diff(name::regclass, truth) AS diff FROM fd_facts ORDER BY name;

-- Rounds of writes: moves in time and between groups, value changes,
-- deletes and inserts; then every fact refreshed and compared.
CREATE PROCEDURE fd_round(k int) LANGUAGE plpgsql AS $$
DECLARE
  top int := (SELECT max(id) FROM fd);
BEGIN
  UPDATE fd SET (ts, t, d, region, ci, n, tags, i2, i4, i8, amt, m, iv) =
         (SELECT r.ts, r.t, r.d, r.region, r.ci, r.n, r.tags, r.i2, r.i4, r.i8, r.amt, r.m, r.iv
            FROM fd_row(fd.id) r)
   WHERE random() < 0.25;
  UPDATE fd SET i4 = i4 + 1, region = 'r9' WHERE random() < 0.05;
  DELETE FROM fd WHERE random() < 0.08;
  INSERT INTO fd SELECT (fd_row(top + g)).* FROM generate_series(1, 40) g;
END $$;
CREATE TABLE fd_results (round int, name text, changes bigint, diff bigint);
DO $$
DECLARE
  k int;
  f record;
BEGIN
  FOR k IN 1 .. 6 LOOP
    CALL fd_round(k);
    COMMIT;
    FOR f IN SELECT * FROM fd_facts ORDER BY name LOOP
      INSERT INTO fd_results
      SELECT k, f.name, dataeng.fact_refresh(f.name), fact_diff(f.name::regclass, f.truth);
      COMMIT;
    END LOOP;
  END LOOP;
END $$;
SELECT name, sum(diff) AS diff, bool_and(changes > 0) AS every_round_read_changes
  FROM fd_results GROUP BY name ORDER BY name;

-- equal values written differently (1.0 and 1.00, abc and ABC) share a group
SELECT (SELECT count(*) = count(DISTINCT (bucket, n)) FROM fd_n_month)
       AND (SELECT count(*) = count(DISTINCT (bucket, region, lower(ci))) FROM fd_ci_year) AS merged;

-- everything was acknowledged: nothing pending, a second refresh reads nothing
SELECT sum(pending_changes) AS pending FROM dataeng.facts WHERE name LIKE 'fd\_%';
SELECT dataeng.fact_refresh('fd_utc_day') AS again;

-- the fold's own checks
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'ts', 'day', 'UTC', ARRAY['region'],
                                   '{}', '{}') AS c(x int);
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'ts', 'day', 'UTC', ARRAY['region'],
                                   ARRAY['i4'], '{}') AS c(x int);
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'ts', 'day', 'UTC', '{}', ARRAY['i4'], ARRAY[true])
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz, s1 int, n1 bigint);
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'region', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'nosuch', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'ts', 'day', 'UTC', '{}', ARRAY['tags'], ARRAY[true])
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz, s1 text[], n1 bigint);
-- a consumer of another table, or of another role
SELECT dataeng.cdc_consumer_create('fd_other', NULL);
SELECT * FROM dataeng_internal._fact_deltas('fd_other', 'fd', 'ts', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
SELECT dataeng.cdc_consumer_drop('fd_other');
CREATE ROLE regress_fd_other;
GRANT SELECT ON fd TO regress_fd_other;
SET ROLE regress_fd_other;
SELECT * FROM dataeng_internal._fact_deltas('fact:fd_utc_day', 'fd', 'ts', 'day', 'UTC', '{}', '{}', '{}')
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz);
RESET ROLE;

-- The fold never runs a domain's check (the caller's code) as the owner
-- of dataeng's functions: it reads a domain's values as its base type's
-- (checked when written: security_type_rename), so the check runs in no
-- refresh at all.
CREATE TABLE fd_who_log (who text);
CREATE FUNCTION fd_who(v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.fd_who_log VALUES (current_user);
  RETURN true;
END $$;
CREATE DOMAIN fd_tagged AS text CHECK (fd_who(VALUE));
CREATE ROLE regress_fd_low;
GRANT INSERT ON fd_who_log TO regress_fd_low;
GRANT CREATE ON SCHEMA public TO regress_fd_low;
SET ROLE regress_fd_low;
CREATE TABLE fd_low (id int PRIMARY KEY, ts timestamptz NOT NULL, tag fd_tagged);
INSERT INTO fd_low VALUES (1, '2026-01-01', 'a');
SELECT dataeng.fact_create('fd_low_day', 'fd_low', 'ts', 'day', ARRAY['tag'], ARRAY['count(*)'], schedule => NULL);
INSERT INTO fd_low VALUES (2, '2026-01-01', 'b');
RESET ROLE;
TRUNCATE fd_who_log;
SET ROLE regress_fd_low;
SELECT dataeng.fact_refresh('fd_low_day');
SELECT tag, count FROM fd_low_day ORDER BY tag;
SELECT dataeng.fact_drop('fd_low_day');
DROP TABLE fd_low;
RESET ROLE;
SELECT who, count(*) > 0 AS ran FROM fd_who_log GROUP BY who;
REVOKE CREATE ON SCHEMA public FROM regress_fd_low;
DROP TABLE fd_who_log;
DROP DOMAIN fd_tagged;
DROP FUNCTION fd_who;
DROP ROLE regress_fd_low;

-- The MERGE of a refresh runs through the fact's key index when the
-- groups are at most a quarter of the fact's rows (_fact_merge: hash and
-- merge joins off while it runs), the planner's choice otherwise or when
-- their number is not known; the settings come back after it.
CREATE TABLE fd_merge_big AS SELECT g FROM generate_series(1, 1000) g;
ANALYZE fd_merge_big;
CREATE TEMP TABLE fd_merge_seen (groups bigint, hashjoin text, mergejoin text, memoize text);
SELECT dataeng_internal._fact_merge(format('INSERT INTO pg_temp.fd_merge_seen SELECT %s, current_setting(''enable_hashjoin''), '
                                           'current_setting(''enable_mergejoin''), current_setting(''enable_memoize'')',
                                           coalesce(n::text, 'NULL')), 'fd_merge_big'::regclass, n)
  FROM unnest(ARRAY[10, 249, 250, 100000, NULL]) n;
SELECT * FROM fd_merge_seen ORDER BY groups NULLS LAST;
SELECT current_setting('enable_hashjoin') AS hashjoin, current_setting('enable_mergejoin') AS mergejoin,
       current_setting('enable_memoize') AS memoize;
-- the caller's own settings are kept, in and after it
TRUNCATE fd_merge_seen;
BEGIN;
SET LOCAL enable_mergejoin = off;
SELECT dataeng_internal._fact_merge('INSERT INTO pg_temp.fd_merge_seen SELECT 100000, current_setting(''enable_hashjoin''), '
                                    'current_setting(''enable_mergejoin''), current_setting(''enable_memoize'')',
                                    'fd_merge_big'::regclass, 100000);
SELECT dataeng_internal._fact_merge('SELECT 1', 'fd_merge_big'::regclass, 10);
SELECT * FROM fd_merge_seen;
SELECT current_setting('enable_hashjoin') AS hashjoin, current_setting('enable_mergejoin') AS mergejoin;
COMMIT;
SELECT current_setting('enable_mergejoin') AS mergejoin;
DROP TABLE fd_merge_big, fd_merge_seen;

SELECT dataeng.fact_drop(name) FROM fd_facts ORDER BY name;
DROP FUNCTION fact_diff, fd_row, fd_fact;
DROP PROCEDURE fd_round;
DROP TABLE fd, fd_facts, fd_results;
DROP ROLE regress_fd_other;
DROP COLLATION fd_ci;
DROP EXTENSION dataeng CASCADE;
