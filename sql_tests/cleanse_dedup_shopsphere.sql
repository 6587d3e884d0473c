-- Duplicate records on the ShopSphere customers (docs/shopsphere.sql, 50,000
-- orders: 11,602 records of 10,000 people), pairwise precision and recall of
-- find_duplicates at the default threshold, with the cleansing for matching
-- that docs/cleanse.md recommends ("Columns that find duplicates"):
--   * the name's letters (ngram_fingerprint(name, 1)): the same whatever the
--     order of the words and a transposed pair of letters, the typos of the
--     data set's duplicates;
--   * the signup date as a key that does not depend on which of day and
--     month came first (the data set writes dates as DD/MM/YYYY and
--     MM/DD/YYYY whatever the country, so a reading can swap them);
--   * the phone in E.164 and the country.
\set VERBOSITY terse
\set SHOW_CONTEXT never
SET client_min_messages = warning;
CREATE EXTENSION dataeng;
\set orders 50000
\set seed 42
\i docs/shopsphere.sql
SET client_min_messages = notice;

CREATE TABLE customers_match AS
SELECT c.customer_id,
       dataeng.ngram_fingerprint(dataeng.name_case(dataeng.clean_text(c.full_name)), 1) AS name_letters,
       dataeng.to_e164(c.phone, c.country) AS phone_e164,
       to_char(d.signed_up, 'YYYY') || '-'
         || least(to_char(d.signed_up, 'MM'), to_char(d.signed_up, 'DD')) || '-'
         || greatest(to_char(d.signed_up, 'MM'), to_char(d.signed_up, 'DD')) AS signup_key,
       c.country,
       c.true_person_id
  FROM shop.customers c,
       LATERAL (SELECT coalesce(dataeng.parse_date(c.signup_date_raw, CASE WHEN c.country = 'US' THEN 'MDY' ELSE 'DMY' END),
                                dataeng.parse_date(c.signup_date_raw, CASE WHEN c.country = 'US' THEN 'DMY' ELSE 'MDY' END))
                  AS signed_up) d;
SELECT count(*) AS records, count(DISTINCT true_person_id) AS people FROM customers_match;

CREATE TABLE shop_found AS
  SELECT * FROM dataeng.find_duplicates('customers_match', '{name_letters,phone_e164,signup_key,country}',
                                        key_column => 'customer_id');
CREATE TABLE shop_quality AS
  WITH predicted AS (
    SELECT x.row_key->>'customer_id' AS a, y.row_key->>'customer_id' AS b
      FROM shop_found x JOIN shop_found y ON x.cluster_id = y.cluster_id
                                        AND x.row_key->>'customer_id' < y.row_key->>'customer_id'),
  truth AS (
    SELECT x.customer_id::text AS a, y.customer_id::text AS b FROM customers_match x JOIN customers_match y
        ON x.true_person_id = y.true_person_id AND x.customer_id::text < y.customer_id::text)
  SELECT (SELECT count(*) FROM predicted) AS predicted_pairs,
         (SELECT count(*) FROM truth) AS true_pairs,
         (SELECT count(*) FROM predicted JOIN truth USING (a, b)) AS correct_pairs;
SELECT true_pairs, predicted_pairs, correct_pairs,
       round(correct_pairs::numeric / predicted_pairs, 4) AS precision,
       round(correct_pairs::numeric / true_pairs, 4) AS recall,
       correct_pairs::numeric / predicted_pairs >= 0.99 AS precision_target_met,
       correct_pairs::numeric / true_pairs >= 0.90 AS recall_target_met
  FROM shop_quality;
DROP SCHEMA shop CASCADE;
DROP EXTENSION dataeng CASCADE;
