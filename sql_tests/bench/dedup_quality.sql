-- Benchmark: the quality of dataeng.find_duplicates() at its default
-- threshold, pair by pair against the ground truth, on
--   * the ShopSphere customers of the demo (docs/shopsphere.sql, cleansed as
--     docs/demo.sql does), with the demo's columns, with the country and
--     a second reading of the signup dates added, and with the cleansing for
--     matching docs/cleanse.md recommends (name letters, signup date key);
--   * the Febrl synthetic data set 3 (sql_tests/data/febrl/), all ten columns.
-- Targets: precision >= 0.99 and recall >= 0.90.  For ShopSphere it also
-- prints the share of true pairs that share a phone or a signup date at all
-- (the others agree on little more than a name that people of the data set
-- share).
--
-- Run from the repository's root (it reads docs/ and sql_tests/data/):
--   BENCH=dedup_quality make bench       (ShopSphere at 50,000 orders)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET jit = off;

\set orders 50000
\set seed 42
\i docs/shopsphere.sql
SET client_min_messages = warning;
CREATE TABLE shop.customers_clean AS
SELECT customer_id,
       dataeng.name_case(dataeng.clean_text(full_name)) AS name,
       dataeng.normalize_email(email, provider_rules => true) AS email,
       dataeng.to_e164(phone, country) AS phone_e164,
       dataeng.parse_date(signup_date_raw, CASE WHEN country = 'US' THEN 'MDY' ELSE 'DMY' END) AS signed_up,
       -- a second reading: day-first dates of US customers (and month-first
       -- ones of the others) that the first reading declined
       coalesce(dataeng.parse_date(signup_date_raw, CASE WHEN country = 'US' THEN 'MDY' ELSE 'DMY' END),
                dataeng.parse_date(signup_date_raw, CASE WHEN country = 'US' THEN 'DMY' ELSE 'MDY' END)) AS signed_up_any,
       dataeng.fingerprint(full_name) AS name_key,
       country,
       -- the cleansing for matching of docs/cleanse.md: the name's letters
       -- (word order and a transposed pair of letters aside) and the
       -- signup date whichever of day and month came first
       dataeng.ngram_fingerprint(dataeng.name_case(dataeng.clean_text(full_name)), 1) AS name_letters,
       NULL::text AS signup_key,
       true_person_id
  FROM shop.customers;

UPDATE shop.customers_clean
   SET signup_key = to_char(signed_up_any, 'YYYY') || '-'
                    || least(to_char(signed_up_any, 'MM'), to_char(signed_up_any, 'DD')) || '-'
                    || greatest(to_char(signed_up_any, 'MM'), to_char(signed_up_any, 'DD'));

CREATE TABLE febrl (rec_id text, given_name text, surname text, street_number text,
                    address_1 text, address_2 text, suburb text, postcode text, state text,
                    date_of_birth text, soc_sec_id text);
\copy febrl FROM 'sql_tests/data/febrl/febrl_dataset3.csv' WITH (FORMAT csv, HEADER true)
UPDATE febrl SET rec_id = btrim(rec_id);
ALTER TABLE febrl ADD COLUMN person text;
UPDATE febrl SET person = split_part(rec_id, '-', 2);

-- precision and recall of find_duplicates on tbl's columns, pairs judged by
-- equal truth columns
CREATE FUNCTION pg_temp.quality(tbl regclass, cols text[], key_col text, truth_col text)
RETURNS TABLE(true_pairs bigint, pairs_found bigint, correct bigint, prec numeric, recall numeric, seconds numeric)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz := clock_timestamp();
BEGIN
  CREATE TEMP TABLE q_found AS
    SELECT f.cluster_id, f.row_key->>key_col AS k FROM dataeng.find_duplicates(tbl, cols, key_column => key_col) f;
  seconds := round(extract(epoch FROM clock_timestamp() - t0)::numeric, 2);
  EXECUTE format('CREATE TEMP TABLE q_truth AS SELECT x.%1$I::text AS a, y.%1$I::text AS b
                    FROM %3$s x JOIN %3$s y ON x.%2$I = y.%2$I AND x.%1$I::text < y.%1$I::text',
                 key_col, truth_col, tbl);
  CREATE TEMP TABLE q_pairs AS
    SELECT x.k AS a, y.k AS b FROM q_found x JOIN q_found y ON x.cluster_id = y.cluster_id AND x.k < y.k;
  SELECT count(*) INTO true_pairs FROM q_truth;
  SELECT count(*) INTO pairs_found FROM q_pairs;
  SELECT count(*) INTO correct FROM q_pairs JOIN q_truth USING (a, b);
  prec := round(correct::numeric / nullif(pairs_found, 0), 4);
  recall := round(correct::numeric / nullif(true_pairs, 0), 4);
  DROP TABLE q_found, q_truth, q_pairs;
  RETURN NEXT;
END $$;

SELECT 'ShopSphere, demo columns {name_key,phone_e164,signed_up}' AS data, q.*
  FROM pg_temp.quality('shop.customers_clean', '{name_key,phone_e164,signed_up}', 'customer_id', 'true_person_id') q
UNION ALL
SELECT 'ShopSphere, {name_key,phone_e164,signed_up_any,country}', q.*
  FROM pg_temp.quality('shop.customers_clean', '{name_key,phone_e164,signed_up_any,country}', 'customer_id', 'true_person_id') q
UNION ALL
SELECT 'ShopSphere, {name_letters,phone_e164,signup_key,country}', q.*
  FROM pg_temp.quality('shop.customers_clean', '{name_letters,phone_e164,signup_key,country}', 'customer_id', 'true_person_id') q
UNION ALL
SELECT 'Febrl 3, all ten columns', q.*
  FROM pg_temp.quality('febrl', '{given_name,surname,street_number,address_1,address_2,suburb,postcode,state,date_of_birth,soc_sec_id}',
                       'rec_id', 'person') q;

-- the ceiling of recall on ShopSphere: true pairs sharing a phone or a date
SELECT count(*) AS true_pairs,
       round(count(*) FILTER (WHERE x.phone_e164 = y.phone_e164 OR x.signed_up = y.signed_up)::numeric / count(*), 4)
         AS ceiling_demo_columns,
       round(count(*) FILTER (WHERE x.phone_e164 = y.phone_e164 OR x.signed_up_any = y.signed_up_any)::numeric / count(*), 4)
         AS ceiling_with_second_reading,
       round(count(*) FILTER (WHERE x.phone_e164 = y.phone_e164 OR x.signup_key = y.signup_key)::numeric / count(*), 4)
         AS ceiling_with_signup_key
  FROM shop.customers_clean x JOIN shop.customers_clean y
    ON x.true_person_id = y.true_person_id AND x.customer_id < y.customer_id;

DROP TABLE febrl;
DROP SCHEMA shop CASCADE;
