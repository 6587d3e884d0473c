-- Benchmark: dataeng.find_duplicates() on 100,000 generated customers of
-- which about 10% are fuzzy duplicates (typos, case, accents, reformatted
-- phones, missing values), against a pg_trgm similarity() self-join over
-- the same names.  Prints both times, both pairwise recalls, and the ratio.
-- Targets: under 10 s, and at least 10x faster than pg_trgm at the same
-- recall.  (The pg_trgm join takes minutes: it is the anchor.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
CREATE EXTENSION IF NOT EXISTS pg_trgm;
SET jit = off;
SELECT setseed(0.42);

CREATE TABLE bench_first (i int, v text);
INSERT INTO bench_first SELECT i, v FROM unnest(ARRAY['james','mary','john','patricia','robert','jennifer','michael','linda',
  'william','elizabeth','david','barbara','richard','susan','joseph','jessica','thomas','sarah','charles','karen',
  'christopher','nancy','daniel','lisa','matthew','betty','anthony','margaret','mark','sandra','donald','ashley',
  'steven','kimberly','paul','emily','andrew','donna','joshua','michelle','kenneth','dorothy','kevin','carol',
  'brian','amanda','george','melissa','edward','deborah','josé','zoë','françois','søren','renée','jürgen',
  'łukasz','chloé','andré','inès']) WITH ORDINALITY u(v, i);
CREATE TABLE bench_last (i int, v text);
INSERT INTO bench_last SELECT g, initcap(substr(md5('l' || g), 1, 3) || (ARRAY['son','man','ez','er','ski','ov','berg','ton','ley','ford'])[1 + g % 10])
  FROM generate_series(1, 2000) g;
CREATE TABLE bench_city (i int, v text);
INSERT INTO bench_city SELECT i, v FROM unnest(ARRAY['New York','Los Angeles','Chicago','Houston','Phoenix','Philadelphia',
  'San Antonio','San Diego','Dallas','Austin','Jacksonville','Columbus','Charlotte','Seattle','Denver','Boston',
  'Nashville','Detroit','Portland','Memphis','Louisville','Baltimore','Milwaukee','Albuquerque','Tucson','Fresno',
  'Sacramento','Atlanta','Miami','Omaha']) WITH ORDINALITY u(v, i);

-- 91,000 people, then 9,000 fuzzy copies of some of them
CREATE TABLE bench_people AS
SELECT g AS entity,
       initcap(f.v) AS first_name, l.v AS last_name,
       lower(f.v || '.' || l.v || g % 97) || '@' || (ARRAY['gmail.com','yahoo.com','example.org','mail.net'])[1 + g % 4] AS email,
       '+1 ' || (200 + g % 800)::text || ' ' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0') AS phone,
       c.v AS city,
       date '1940-01-01' + ((g::bigint * 104729) % 25000)::int AS birth_date
  FROM generate_series(1, 91000) g
  JOIN bench_first f ON f.i = 1 + (hashint4(g) & 65535) % 60
  JOIN bench_last l ON l.i = 1 + (hashint4(g + 7) & 65535) % 2000
  JOIN bench_city c ON c.i = 1 + (hashint4(g + 13) & 65535) % 30;

CREATE FUNCTION bench_typo(s text, k int) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE k % 4
    WHEN 0 THEN overlay(s placing '' from 2 + k % greatest(length(s) - 2, 1) for 1)            -- drop a letter
    WHEN 1 THEN overlay(s placing substr(s, 3 + k % greatest(length(s) - 3, 1), 1) || substr(s, 2 + k % greatest(length(s) - 3, 1), 1)
                 from 2 + k % greatest(length(s) - 3, 1) for 2)                                -- swap two
    WHEN 2 THEN upper(s)                                                                       -- case
    ELSE '  ' || s || ' ' END                                                                  -- spacing
$$;
CREATE TABLE bench_customers AS
SELECT row_number() OVER () AS id, * FROM (
  SELECT entity, first_name, last_name, email, phone, city, birth_date FROM bench_people
  UNION ALL
  (SELECT p.entity,
         CASE WHEN k % 3 = 0 THEN bench_typo(p.first_name, k) ELSE p.first_name END,
         CASE WHEN k % 3 = 1 THEN bench_typo(p.last_name, k) ELSE p.last_name END,
         CASE WHEN k % 5 = 0 THEN NULL WHEN k % 5 = 1 THEN upper(p.email) ELSE p.email END,
         CASE WHEN k % 4 = 0 THEN replace(p.phone, ' ', '-') WHEN k % 4 = 1 THEN NULL ELSE p.phone END,
         CASE WHEN k % 7 = 0 THEN upper(p.city) ELSE p.city END,
         CASE WHEN k % 11 = 0 THEN NULL ELSE p.birth_date END
    FROM bench_people p, LATERAL (SELECT (hashint4(p.entity * 31) & 65535) AS k) kk
   WHERE p.entity % 10 = 3
   ORDER BY p.entity LIMIT 9000)) s;
CREATE INDEX ON bench_customers (id);
VACUUM ANALYZE bench_customers;
SELECT count(*) AS customers, count(*) - count(DISTINCT entity) AS duplicates FROM bench_customers;

CREATE TABLE bench_truth AS
  SELECT a.id AS a, b.id AS b FROM bench_customers a JOIN bench_customers b ON a.entity = b.entity AND a.id < b.id;

-- ours
CREATE TEMP TABLE t (what text, secs float8, pairs bigint, found bigint);
DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
  secs float8;
BEGIN
  CREATE TABLE bench_found AS
    SELECT * FROM dataeng.find_duplicates('bench_customers',
      '{first_name,last_name,email,phone,city,birth_date}', key_column => 'id');
  secs := extract(epoch FROM clock_timestamp() - t0);
  INSERT INTO t
    SELECT 'find_duplicates', secs, count(*), count(*) FILTER (WHERE tr.a IS NOT NULL)
      FROM (SELECT (x.row_key->>'id')::bigint AS a, (y.row_key->>'id')::bigint AS b
              FROM bench_found x JOIN bench_found y ON x.cluster_id = y.cluster_id
               AND (x.row_key->>'id')::bigint < (y.row_key->>'id')::bigint) p
      LEFT JOIN bench_truth tr USING (a, b);
END $$;

-- pg_trgm: similarity() self-join over the same names, through a GIN index
CREATE INDEX bench_names_trgm ON bench_customers USING gin ((first_name || ' ' || last_name) gin_trgm_ops);
ANALYZE bench_customers;
SET pg_trgm.similarity_threshold = 0.5;
DO $$
DECLARE
  t0 timestamptz := clock_timestamp();
  secs float8;
BEGIN
  CREATE TABLE bench_trgm AS
    SELECT a.id AS a, b.id AS b
      FROM bench_customers a JOIN bench_customers b
        ON (a.first_name || ' ' || a.last_name) % (b.first_name || ' ' || b.last_name) AND a.id < b.id;
  secs := extract(epoch FROM clock_timestamp() - t0);
  INSERT INTO t SELECT 'pg_trgm self-join (similarity >= 0.5)', secs, count(*), count(tr.a)
    FROM bench_trgm p LEFT JOIN bench_truth tr USING (a, b);
END $$;

SELECT what, round(secs::numeric, 2) AS seconds, pairs AS pairs_found, found AS true_pairs_found,
       round(found::numeric / (SELECT count(*) FROM bench_truth), 4) AS recall,
       round(found::numeric / nullif(pairs, 0), 4) AS precision
  FROM t ORDER BY secs;
SELECT round(((SELECT secs FROM t WHERE what LIKE 'pg_trgm%') / (SELECT secs FROM t WHERE what = 'find_duplicates'))::numeric, 1)
         AS trgm_over_ours,
       (SELECT secs FROM t WHERE what = 'find_duplicates') < 10 AS under_10_seconds,
       (SELECT found FROM t WHERE what = 'find_duplicates') >= (SELECT found FROM t WHERE what LIKE 'pg_trgm%')
         AS recall_at_least_trgm;

DROP TABLE bench_first, bench_last, bench_city, bench_people, bench_customers, bench_truth, bench_found, bench_trgm;
DROP FUNCTION bench_typo(text, int);
