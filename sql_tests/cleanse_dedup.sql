-- Duplicate records: find_duplicates, dedupe and dedupe_undo.
\set VERBOSITY terse
\set SHOW_CONTEXT never
CREATE EXTENSION dataeng;

-------------------------------------------------------------------------------
-- Febrl data set 3: 5,000 records of 2,000 people (rec-<person>-org and
-- rec-<person>-dup-<k>).  Pairwise precision and recall at the default
-- threshold, with no tuning beyond the columns.
-------------------------------------------------------------------------------
CREATE TABLE febrl (rec_id text, given_name text, surname text, street_number text,
                    address_1 text, address_2 text, suburb text, postcode text, state text,
                    date_of_birth text, soc_sec_id text);
\copy febrl FROM 'sql_tests/data/febrl/febrl_dataset3.csv' WITH (FORMAT csv, HEADER true)
UPDATE febrl SET rec_id = btrim(rec_id);
SELECT count(*) AS records, count(DISTINCT split_part(rec_id, '-', 2)) AS people FROM febrl;

CREATE TABLE febrl_found AS
  SELECT * FROM dataeng.find_duplicates('febrl',
    '{given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id}',
    key_column => 'rec_id');
CREATE TABLE febrl_quality AS
  WITH predicted AS (
    SELECT x.row_key->>'rec_id' AS a, y.row_key->>'rec_id' AS b
      FROM febrl_found x JOIN febrl_found y ON x.cluster_id = y.cluster_id
                                          AND x.row_key->>'rec_id' < y.row_key->>'rec_id'),
  truth AS (
    SELECT x.rec_id AS a, y.rec_id AS b FROM febrl x JOIN febrl y
        ON split_part(x.rec_id, '-', 2) = split_part(y.rec_id, '-', 2) AND x.rec_id < y.rec_id)
  SELECT (SELECT count(*) FROM predicted) AS predicted_pairs,
         (SELECT count(*) FROM truth) AS true_pairs,
         (SELECT count(*) FROM predicted JOIN truth USING (a, b)) AS correct_pairs;
SELECT true_pairs, predicted_pairs, correct_pairs,
       round(correct_pairs::numeric / predicted_pairs, 4) AS precision,
       round(correct_pairs::numeric / true_pairs, 4) AS recall,
       correct_pairs::numeric / predicted_pairs >= 0.99 AS precision_target_met,
       correct_pairs::numeric / true_pairs >= 0.90 AS recall_target_met
  FROM febrl_quality;
-- every row appears once, scores are probabilities at or above the threshold
SELECT count(*) = count(DISTINCT row_key) AS each_row_once,
       bool_and(score >= 0.85 AND score <= 1) AS scores_in_range,
       min(cluster_id) = 1 AND max(cluster_id) = count(DISTINCT cluster_id) AS clusters_numbered
  FROM febrl_found;
-- a stricter threshold finds a subset of the rows
SELECT count(*) < (SELECT count(*) FROM febrl_found) AS stricter_finds_fewer,
       bool_and(row_key IN (SELECT row_key FROM febrl_found)) AS subset
  FROM dataeng.find_duplicates('febrl',
    '{given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id}',
    0.999999, 'rec_id');

-------------------------------------------------------------------------------
-- A small table: typos, case, accents, spacing, missing values
-------------------------------------------------------------------------------
CREATE TABLE people (id int PRIMARY KEY, name text, email text, city text, born date, phone text);
INSERT INTO people VALUES
  (1, 'José García',   'jose.garcia@example.com', 'Sevilla',   '1980-03-01', NULL),
  (2, 'JOSE GARCIA',   'jose.garcia@example.com', 'sevilla',   '1980-03-01', NULL),
  (3, 'Jose  García ', NULL,                      'Sevila',    '1980-03-01', '+34 600 111 222'),
  (4, 'Anna Schmidt',  'anna@example.org',        'Berlin',    '1975-07-12', '+49 30 1234567'),
  (5, 'Ana Schmidt',   'anna@example.org',        'Berlin',    '1975-07-12', '+49 30 1234567'),
  (6, 'Li Wei',        'li.wei@example.cn',       'Shanghai',  '1990-01-20', '+86 21 5555 0000'),
  (7, 'Maria Rossi',   'maria.rossi@example.it',  'Roma',      '1985-11-30', '+39 06 1234 5678'),
  (8, 'Mario Rossi',   'mario.rossi@example.it',  'Milano',    '1962-02-14', '+39 02 8765 4321'),
  (9, 'Peter Jones',   'pj@example.co.uk',        'Leeds',     '1970-05-05', NULL),
  (10, 'Sarah Connor', 'sarah@example.com',       'Los Angeles', '1965-08-29', '+1 213 555 0100');
-- background: unrelated people, so that chance agreements are measured
INSERT INTO people
  SELECT 100 + g, 'Person ' || g || ' ' || substr(md5(g::text), 1, 6),
         'p' || g || '@example.net', (ARRAY['Paris','Lyon','Nantes','Lille','Nice'])[1 + g % 5],
         date '1950-01-01' + (g * 97) % 20000, '+33 1 ' || lpad((g * 7919 % 100000000)::text, 8, '0')
    FROM generate_series(1, 300) g;
SELECT cluster_id, row_key, round(score::numeric, 2) >= 0.85 AS above_threshold
  FROM dataeng.find_duplicates('people', '{name,email,city,born,phone}', key_column => 'id')
 ORDER BY cluster_id, (row_key->>'id')::int;
-- without a key column, rows are named by ctid
SELECT count(*) AS rows_in_clusters, bool_and(row_key ? 'ctid') AS keyed_by_ctid
  FROM dataeng.find_duplicates('people', '{name,email,city,born,phone}');
-- an empty table, and a table of one row
CREATE TABLE nobody (name text);
SELECT count(*) FROM dataeng.find_duplicates('nobody', '{name}');
INSERT INTO nobody VALUES ('x');
SELECT count(*) FROM dataeng.find_duplicates('nobody', '{name}');
-- columns of any type, names needing quotes
CREATE TABLE "odd table" ("Odd ""col""" text, n numeric);
INSERT INTO "odd table" VALUES ('Alpha Beta', 1), ('alpha  beta', 1), ('Gamma', 2);
INSERT INTO "odd table" SELECT 'Other ' || md5(g::text), g + 10 FROM generate_series(1, 100) g;
SELECT count(*) AS rows_in_clusters FROM dataeng.find_duplicates('"odd table"', '{"Odd \"col\"",n}');

-- bad input
SELECT * FROM dataeng.find_duplicates('people', '{}');
-- (a NULL argument is 22004, as everywhere: it was 22023)
SELECT * FROM dataeng.find_duplicates('people', NULL);
SELECT * FROM dataeng.find_duplicates('people', '{name}', NULL);
\set VERBOSITY sqlstate
SELECT * FROM dataeng.find_duplicates('people', NULL);
\set VERBOSITY terse
SELECT * FROM dataeng.find_duplicates('people', '{name,nosuch}');
SELECT * FROM dataeng.find_duplicates('people', '{name,NULL}');
SELECT * FROM dataeng.find_duplicates('people', '{name,name}');
SELECT * FROM dataeng.find_duplicates('people', '{name}', 0);
SELECT * FROM dataeng.find_duplicates('people', '{name}', 1.5);
SELECT * FROM dataeng.find_duplicates('people', '{name}', 'NaN');
SELECT * FROM dataeng.find_duplicates('people', '{name}', key_column => 'nosuch');
SELECT * FROM dataeng.find_duplicates('nosuchtable', '{name}');
SELECT dataeng_internal._dedup_pattern('{a,b}', '{a}');
SELECT dataeng_internal._dedup_prob('1x', '{0.5,0.1,0.1,0.8}', '{0.8,0.1,0.1}');

-------------------------------------------------------------------------------
-- dedupe: one survivor per cluster, everything logged, undo restores exactly
-------------------------------------------------------------------------------
CREATE TABLE people_before AS SELECT * FROM people;
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('people', '{name,email,city,born,phone}', fill_nulls => true) AS d \gset
SELECT :clusters AS clusters, :rows_deleted AS rows_deleted, :rows_filled AS rows_filled;
-- the most complete row of each cluster survived; its NULLs were filled from the others
SELECT id, name, email, city, phone FROM people WHERE id < 100 ORDER BY id;
SELECT count(*) AS rows_left FROM people;
SELECT action, count(*) FROM dataeng.dedupe_log GROUP BY action ORDER BY action;
SELECT table_name, columns, keep, fill_nulls, clusters, rows_deleted, rows_filled, undone_at IS NULL AS active
  FROM dataeng.dedupe_runs;
SELECT run_id AS run FROM dataeng.dedupe_runs \gset
SELECT dataeng.dedupe_undo(:run) AS rows_restored;
-- nothing lost: the table is exactly what it was
SELECT count(*) AS differences FROM ((TABLE people EXCEPT ALL TABLE people_before)
                                     UNION ALL (TABLE people_before EXCEPT ALL TABLE people)) d;
SELECT dataeng.dedupe_undo(:run);
SELECT dataeng.dedupe_undo(-1);

-- keep => first / last by a column, without filling
SELECT rows_deleted FROM dataeng.dedupe('people', '{name,email,city,born,phone}', keep => 'last', order_by => 'id');
SELECT id FROM people WHERE id < 100 ORDER BY id;
SELECT run_id AS run FROM dataeng.dedupe_runs WHERE undone_at IS NULL \gset
SELECT dataeng.dedupe_undo(:run) AS rows_restored;
SELECT count(*) AS differences FROM ((TABLE people EXCEPT ALL TABLE people_before)
                                     UNION ALL (TABLE people_before EXCEPT ALL TABLE people)) d;
-- a survivor changed after a filling run cannot be silently overwritten
SELECT rows_filled FROM dataeng.dedupe('people', '{name,email,city,born,phone}', fill_nulls => true);
SELECT run_id AS run FROM dataeng.dedupe_runs WHERE undone_at IS NULL \gset
SELECT (new_row->>'id')::int AS survivor FROM dataeng.dedupe_log WHERE run_id = :run AND action = 'filled' \gset
UPDATE people SET city = 'Cadiz' WHERE id = :survivor;
SELECT dataeng.dedupe_undo(:run);
UPDATE people SET city = (SELECT city FROM people_before WHERE id = :survivor) WHERE id = :survivor;
SELECT dataeng.dedupe_undo(:run) AS rows_restored;
SELECT count(*) AS differences FROM ((TABLE people EXCEPT ALL TABLE people_before)
                                     UNION ALL (TABLE people_before EXCEPT ALL TABLE people)) d;

-- bad input
SELECT * FROM dataeng.dedupe('people', '{name}', keep => 'best');
SELECT * FROM dataeng.dedupe('people', '{name}', keep => 'first');
SELECT * FROM dataeng.dedupe('people', '{name}', order_by => 'nosuch');
SELECT * FROM dataeng.dedupe('people', '{name}', fill_nulls => NULL);

-- identity and generated columns survive the round trip
CREATE TABLE accounts (id int GENERATED ALWAYS AS IDENTITY, name text, email text,
                       name_len int GENERATED ALWAYS AS (length(name)) STORED);
INSERT INTO accounts (name, email) VALUES ('Bob Smith', 'bob@example.com'), ('Bob  Smith', 'bob@example.com'),
  ('Carol White', 'carol@example.com');
INSERT INTO accounts (name, email) SELECT 'Someone ' || g, 'x' || g || '@example.com' FROM generate_series(1, 50) g;
CREATE TABLE accounts_before AS SELECT * FROM accounts;
SELECT rows_deleted FROM dataeng.dedupe('accounts', '{name,email}', keep => 'first', order_by => 'id');
SELECT run_id AS run FROM dataeng.dedupe_runs WHERE table_name = 'accounts'::regclass \gset
SELECT dataeng.dedupe_undo(:run) AS rows_restored;
SELECT count(*) AS differences FROM ((TABLE accounts EXCEPT ALL TABLE accounts_before)
                                     UNION ALL (TABLE accounts_before EXCEPT ALL TABLE accounts)) d;

-- the febrl set: dedupe keeps one row per person found, undo restores all
CREATE TABLE febrl_before AS SELECT * FROM febrl;
SELECT clusters, rows_deleted
  FROM dataeng.dedupe('febrl', '{given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id}');
SELECT count(*) AS rows_left FROM febrl;
SELECT run_id AS run FROM dataeng.dedupe_runs WHERE table_name = 'febrl'::regclass \gset
SELECT dataeng.dedupe_undo(:run) AS rows_restored;
SELECT count(*) AS differences FROM ((TABLE febrl EXCEPT ALL TABLE febrl_before)
                                     UNION ALL (TABLE febrl_before EXCEPT ALL TABLE febrl)) d;

-------------------------------------------------------------------------------
-- Rights: the caller's rights are checked; the log shows only readable tables
-------------------------------------------------------------------------------
CREATE ROLE regress_dedup_other;
GRANT SELECT ON people TO regress_dedup_other;
SET ROLE regress_dedup_other;
SELECT count(*) AS readable_runs FROM dataeng.dedupe_runs;
SELECT count(*) AS readable_log FROM dataeng.dedupe_log;
SELECT * FROM dataeng.dedupe('people', '{name,email}');
SELECT count(*) > 0 AS may_find FROM dataeng.find_duplicates('people', '{name,email,city,born,phone}');
SELECT * FROM dataeng.find_duplicates('accounts', '{name}');
SELECT dataeng.dedupe_undo(:run);
INSERT INTO dataeng.dedupe_runs (table_name, columns, threshold, keep, fill_nulls, run_by)
  VALUES ('people', '{name}', 0.9, 'first', false, 'postgres');
RESET ROLE;
-- old runs may be forgotten by whoever ran them; their log goes with them
SELECT dataeng.dedupe_forget(run_id) FROM dataeng.dedupe_runs WHERE table_name = 'accounts'::regclass;
SELECT count(*) AS accounts_log_rows FROM dataeng.dedupe_log l
 WHERE NOT EXISTS (SELECT 1 FROM dataeng.dedupe_runs r WHERE r.run_id = l.run_id);

DROP TABLE febrl, febrl_found, febrl_quality, febrl_before, people, people_before, nobody,
  "odd table", accounts, accounts_before;
DROP ROLE regress_dedup_other;
-- a small table (at most 200 rows) measures u on every pair of rows, so
-- its clusters do not depend on the order its rows are stored in (u was
-- measured on pairs drawn with repeats from rows numbered in physical
-- order: these eight rows gave two clusters stored one way and none
-- stored as dedupe_undo puts them back, deleted rows last)
CREATE TABLE dd_order_a (id int PRIMARY KEY, name text, email text, phone text);
INSERT INTO dd_order_a VALUES (1, 'Ada Lovelace', 'ada@example.com', NULL), (2, 'Ada Lovelace', 'ada@example.com', '555'),
  (3, 'Bob Smith', 'bob@x.com', NULL), (4, 'Bob Smith', 'bob@x.com', '777'), (5, 'Cy Young', 'cy@x.com', NULL),
  (6, 'Dee Dee', 'dd@x.com', NULL), (7, 'Eve', 'eve@x.com', NULL), (8, 'Fay', 'fay@y.com', NULL);
CREATE TABLE dd_order_b AS
  SELECT * FROM dd_order_a ORDER BY array_position(ARRAY[5, 6, 7, 8, 2, 4, 1, 3], id);
SELECT t, string_agg(r.row_key->>'id', ',' ORDER BY r.cluster_id, (r.row_key->>'id')::int) AS clusters
  FROM unnest(ARRAY['dd_order_a', 'dd_order_b']) t,
       dataeng.find_duplicates(t::regclass, '{name,email}', key_column => 'id') r
 GROUP BY t ORDER BY t;
DROP TABLE dd_order_a, dd_order_b;

-- tiny tables a user tries first: the near-certain matches are left out of
-- u (measured on every pair of a small table, two exact pairs among four
-- rows made u of "equal" as high as m's, and nothing was found; nor with
-- three rows)
CREATE TABLE dd_tiny (id int, first text, last text, city text);
INSERT INTO dd_tiny VALUES (1, 'John', 'Smith', 'Leeds'), (2, 'John', 'Smith', 'Leeds'),
  (3, 'Mary', 'Jones', 'York'), (4, 'Mary', 'Jones', 'York'),
  (5, 'Ann', 'Lee', NULL), (6, 'Ann', 'Lee', 'Bath'), (7, NULL, NULL, NULL), (8, NULL, NULL, NULL),
  (9, 'Bo', 'Ek', 'Oslo'), (10, 'Bo', 'Ek', 'Oslo'), (11, 'Bo', 'Ek', 'Oslo');
-- the clusters found among some of its rows, '|' between clusters
CREATE FUNCTION dd_tiny_found(ids int[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  found text;
BEGIN
  SET LOCAL client_min_messages = warning;
  DROP TABLE IF EXISTS dd_sub;
  CREATE TABLE dd_sub AS SELECT * FROM dd_tiny WHERE id = ANY (ids);
  SELECT string_agg(c.members, '|' ORDER BY c.cluster_id) INTO found
    FROM (SELECT r.cluster_id, string_agg(r.row_key->>'id', ',' ORDER BY (r.row_key->>'id')::int)
                 || CASE WHEN bool_and(r.score >= 0.85) THEN '' ELSE ' (score < 0.85)' END AS members
            FROM dataeng.find_duplicates('dd_sub', '{first,last,city}', key_column => 'id') r
           GROUP BY r.cluster_id) c;
  DROP TABLE dd_sub;
  RETURN coalesce(found, '-');
END;
$$;
SELECT ids, dd_tiny_found(ids) AS clusters
  FROM (VALUES ('{1,2,3,4}'::int[]), ('{1,2,3}'), ('{1,2}'), ('{9,10,11}'), ('{1,9,10,11}'),
               ('{1,2,5,6}'), ('{3,4,7,8}'), ('{7,8}'), ('{1,3}'), ('{1}'), ('{}')) s(ids);
DROP FUNCTION dd_tiny_found(int[]);
DROP TABLE dd_tiny;

DROP EXTENSION dataeng;
