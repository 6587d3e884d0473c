-- docs/demo.sql: the ShopSphere pipeline, end to end.  Run it with `bash docs/demo.sh` (a throwaway cluster), or
-- against your own database:  psql -v orders=100000 -v seed=42 -f docs/demo.sql
--
-- Each stage prints a short summary.

\set ON_ERROR_STOP 1
\pset footer off
\if :{?orders} \else \set orders 100000 \endif
\if :{?seed} \else \set seed 42 \endif
SET client_min_messages = warning;

\echo
\echo '== Stage 0: the extension ================================================'
CREATE EXTENSION IF NOT EXISTS dataeng;
SELECT version, preloaded, enabled FROM dataeng.info();

\echo
\echo '== Stage 1: load ShopSphere (seed' :seed ',' :orders 'orders) ====================='
\ir shopsphere.sql

\echo 'Rows per table:'
SELECT "table", rows
  FROM (VALUES (1, 'customers', (SELECT count(*) FROM shop.customers)),
               (2, 'products', (SELECT count(*) FROM shop.products)),
               (3, 'orders', (SELECT count(*) FROM shop.orders)),
               (4, 'clickstream', (SELECT count(*) FROM shop.clickstream))) t(n, "table", rows)
 ORDER BY n;

-- One pass over each table counts every kind of dirt; VALUES then lists the
-- counts one per line, in a fixed order.
\echo 'Dirt report (what the next stages have to deal with):'
SELECT issue, rows
  FROM (SELECT count(*) - count(DISTINCT true_person_id) AS duplicates,
               count(*) FILTER (WHERE coalesce(email, '') = '') AS no_email,
               -- a simple rule: one @, something.something after it, no
               -- double or trailing dots, no surrounding spaces
               count(*) FILTER (WHERE email <> '' AND (email !~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'
                                  OR email ~ '\.\.' OR email ~ '\.$' OR email <> btrim(email))) AS bad_email,
               count(*) FILTER (WHERE phone IS NULL) AS no_phone,
               count(*) FILTER (WHERE length(regexp_replace(phone, '[^0-9]', '', 'g')) < 6) AS bad_phone,
               count(*) FILTER (WHERE signup_date_raw IS NULL OR signup_date_raw = 'unknown') AS no_date
          FROM shop.customers) c,
       (SELECT count(*) FILTER (WHERE coalesce(price_raw, '') = '') AS no_price,
               count(*) FILTER (WHERE price_raw ~ '^[0-9]{1,3}(\.[0-9]{3})*,[0-9]{2}$') AS euro_price,
               count(*) FILTER (WHERE price_raw ~ '^[0-9]{1,3}(,[0-9]{3})+\.[0-9]{2}$') AS grouped_price,
               count(*) FILTER (WHERE coalesce(weight_raw, '') = '') AS no_weight
          FROM shop.products) p,
       (SELECT count(*) FILTER (WHERE coupon = '') AS empty_coupon FROM shop.orders) o,
       (SELECT count(*) FILTER (WHERE url !~* '^https?://') AS no_scheme,
               count(*) FILTER (WHERE user_agent = '') AS empty_agent
          FROM shop.clickstream) k,
       LATERAL (VALUES
         (1, 'customer records for one person (duplicates)', duplicates),
         (2, 'emails missing or empty', no_email),
         (3, 'emails that look invalid (no @, .., trailing dot, spaces)', bad_email),
         (4, 'phones missing', no_phone),
         (5, 'phones that are garbage (fewer than 6 digits)', bad_phone),
         (6, 'signup dates missing or unparseable', no_date),
         (7, 'prices missing or empty', no_price),
         (8, 'prices in European style (19,99 or 1.234,56)', euro_price),
         (9, 'prices with a thousands separator (1,234.56)', grouped_price),
         (10, 'weights missing or empty', no_weight),
         (11, 'coupons empty instead of NULL', empty_coupon),
         (12, 'clicks with a URL lacking a scheme', no_scheme),
         (13, 'clicks with an empty user agent', empty_agent)) v(n, issue, rows)
 ORDER BY n;

\echo 'Phones by format family:'
SELECT family, count(*) AS phones, min(phone) AS example
  FROM (SELECT phone,
               CASE WHEN length(regexp_replace(phone, '[^0-9]', '', 'g')) < 6 THEN 'garbage'
                    WHEN phone ~ '^\+' THEN 'international, +country code'
                    WHEN phone ~ '^00' THEN 'international, 00 prefix'
                    WHEN phone ~ '^\(?0' THEN 'national, trunk 0'
                    ELSE 'national, no trunk 0' END AS family
          FROM shop.customers WHERE phone IS NOT NULL) f
 GROUP BY family
 ORDER BY array_position(ARRAY['international, +country code', 'international, 00 prefix',
                               'national, trunk 0', 'national, no trunk 0', 'garbage'], family);

\echo 'Formats seen (digits shown as 9):'
SELECT 'signup date' AS field,
       regexp_replace(regexp_replace(signup_date_raw, '[0-9]', '9', 'g'), '[A-Za-z]+', 'Aa', 'g') AS shape,
       count(*) AS rows
  FROM shop.customers WHERE signup_date_raw IS NOT NULL GROUP BY 2
UNION ALL
SELECT 'weight unit', lower(regexp_replace(weight_raw, '^[0-9. ]+', '')), count(*)
  FROM shop.products WHERE weight_raw <> '' GROUP BY 2
UNION ALL
SELECT 'price (' || currency || ')', regexp_replace(price_raw, '[0-9]+', '9', 'g'), count(*)
  FROM shop.products WHERE price_raw <> '' GROUP BY 1, 2
UNION ALL
SELECT 'order currency', currency, count(*) FROM shop.orders GROUP BY 2
ORDER BY 1, 3 DESC, 2;

\echo
\echo '== Stage 2: change data capture ============================================'
-- Capture every change of shop.orders, and keep a copy of the table in
-- sync through a consumer, the way a warehouse loader would.
\o /dev/null
SELECT dataeng.cdc_enable('shop.orders');
SELECT dataeng.cdc_consumer_create('orders_copy', ARRAY['shop.orders'::regclass]);
\o

-- The copy starts as the table is now; the consumer delivers what follows.
CREATE TABLE shop.orders_copy (LIKE shop.orders INCLUDING ALL);
INSERT INTO shop.orders_copy SELECT * FROM shop.orders;

-- A day of activity: new orders, status changes, cancellations, in many
-- transactions; one of them is rolled back and must never reach the copy.
INSERT INTO shop.orders
SELECT max_id + g, 1 + g % customers, 1 + g % 2000, 1 + g % 3, 19.99, 'USD',
       timestamptz '2026-11-01' + g * interval '1 minute', NULL, 'paid', NULL
  FROM (SELECT max(order_id) AS max_id, (SELECT count(*) FROM shop.customers) AS customers
          FROM shop.orders) m,
       generate_series(1, 2000) g;
UPDATE shop.orders SET status = 'shipped' WHERE status = 'paid' AND order_id % 10 = 0;
UPDATE shop.orders SET status = 'delivered' WHERE status = 'shipped' AND order_id % 20 = 0;
DELETE FROM shop.orders WHERE status = 'cancelled' AND order_id % 3 = 0;
BEGIN;
DELETE FROM shop.orders;                -- a mistake, rolled back
ROLLBACK;
UPDATE shop.orders SET coupon = 'VIP', unit_price = unit_price * 0.9 WHERE order_id % 997 = 0;

\echo 'Changes captured, by operation:'
SELECT op, count(*) AS changes FROM dataeng.changes
 WHERE table_name = 'shop.orders'::regclass GROUP BY op ORDER BY op;

-- The loader: poll a batch, apply it, acknowledge it, in one transaction
-- (exactly once).  Updates and deletes find their row by the key in pk.
CREATE FUNCTION shop.sync_orders_copy(batch int DEFAULT 5000) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  ch record;
  n bigint := 0;
  last bigint;
BEGIN
  FOR ch IN SELECT * FROM dataeng.cdc_poll('orders_copy', batch) LOOP
    IF ch.op IN ('U', 'D') THEN
      DELETE FROM shop.orders_copy WHERE order_id = (ch.pk->>'order_id')::bigint;
    END IF;
    IF ch.op IN ('I', 'U') THEN
      INSERT INTO shop.orders_copy
      SELECT * FROM jsonb_populate_record(NULL::shop.orders_copy, ch.new_row);
    END IF;
    IF ch.op = 'T' THEN
      TRUNCATE shop.orders_copy;
    END IF;
    n := n + 1;
    last := ch.change_id;
  END LOOP;
  IF last IS NOT NULL THEN
    PERFORM dataeng.cdc_ack('orders_copy', last);
  END IF;
  RETURN n;
END $$;

\echo 'Consumer before syncing:'
SELECT name, pending_changes, lag_seconds > 0 AS lagging FROM dataeng.cdc_consumers;

-- Run the loader until it has nothing left: each call is one transaction
-- that applies up to 1000 changes (more when a transaction is larger: a
-- transaction is never split) and acknowledges them.
CREATE TABLE shop.sync_log (call int, applied bigint);
CREATE PROCEDURE shop.sync_until_done() LANGUAGE plpgsql AS $$
DECLARE
  n bigint;
  i int := 0;
BEGIN
  LOOP
    i := i + 1;
    n := shop.sync_orders_copy(1000);
    INSERT INTO shop.sync_log VALUES (i, n);
    COMMIT;
    EXIT WHEN n = 0;
  END LOOP;
END $$;
CALL shop.sync_until_done();
\echo 'Syncing the copy, 1000 changes at a time (a transaction is never split):'
SELECT count(*) FILTER (WHERE applied > 0) AS calls, sum(applied) AS changes_applied,
       max(applied) AS largest_call
  FROM shop.sync_log;

\echo 'Consumer after syncing:'
SELECT name, acked_change_id > 0 AS acked, pending_changes, lag_seconds FROM dataeng.cdc_consumers;

\echo 'Is the copy identical to the source?'
SELECT (SELECT count(*) FROM shop.orders) AS source_rows,
       (SELECT count(*) FROM shop.orders_copy) AS copy_rows,
       (SELECT count(*) FROM (SELECT * FROM shop.orders EXCEPT SELECT * FROM shop.orders_copy) a)
     + (SELECT count(*) FROM (SELECT * FROM shop.orders_copy EXCEPT SELECT * FROM shop.orders) b)
         AS rows_that_differ;

\echo 'Retention: segments emptied now that the consumer has acknowledged everything'
SELECT count(*) AS segments_truncated, coalesce(sum(purged_changes), 0) AS changes_purged
  FROM dataeng.cdc_purge();

\echo
\echo '== Stage 2b: clickstream through WAL capture into an on_change handler ====='
-- ShopSphere's web events arrive as a stream of small transactions into
-- shop.clicks_live, captured from the write-ahead log (no trigger in the
-- writers' path). An on_change handler, called by the WAL worker with each
-- committed transaction's clicks, in commit order and exactly once, keeps a
-- summary of every session. (Needs dataeng preloaded and wal_level =
-- logical, as docs/demo.sh sets up; skipped otherwise.)
SELECT preloaded AND current_setting('wal_level') = 'logical' AS wal_on FROM dataeng.info() \gset
\if :wal_on
CREATE TABLE shop.clicks_live (LIKE shop.clickstream INCLUDING ALL);
CREATE TABLE shop.session_summary (
  session_id  text PRIMARY KEY,
  customer_id bigint,
  events      bigint NOT NULL,
  page_views  bigint NOT NULL,
  searches    bigint NOT NULL,
  carts       bigint NOT NULL,
  checkouts   bigint NOT NULL,
  first_at    timestamptz NOT NULL,
  last_at     timestamptz NOT NULL,
  handled_commits bigint NOT NULL
);
-- The handler: one call per committed transaction of shop.clicks_live. It
-- runs as its creator with search_path = pg_catalog, pg_temp: names are
-- schema-qualified.
CREATE FUNCTION shop.summarize_sessions(changes dataeng.change[]) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO shop.session_summary AS s
  SELECT e.session_id, max(e.customer_id), count(*),
         count(*) FILTER (WHERE e.event_type = 'page_view'),
         count(*) FILTER (WHERE e.event_type = 'search'),
         count(*) FILTER (WHERE e.event_type = 'add_to_cart'),
         count(*) FILTER (WHERE e.event_type = 'checkout'),
         min(e.occurred_at), max(e.occurred_at), 1
    FROM unnest(changes) c,
         jsonb_populate_record(NULL::shop.clickstream, c.new_row) e
   GROUP BY e.session_id
  ON CONFLICT (session_id) DO UPDATE
     SET customer_id = coalesce(s.customer_id, EXCLUDED.customer_id),
         events = s.events + EXCLUDED.events,
         page_views = s.page_views + EXCLUDED.page_views,
         searches = s.searches + EXCLUDED.searches,
         carts = s.carts + EXCLUDED.carts,
         checkouts = s.checkouts + EXCLUDED.checkouts,
         first_at = least(s.first_at, EXCLUDED.first_at),
         last_at = greatest(s.last_at, EXCLUDED.last_at),
         handled_commits = s.handled_commits + 1
$$;
SET client_min_messages = warning;      -- (the NOTICEs say the switch is to come)
\o /dev/null
SELECT dataeng.cdc_enable('shop.clicks_live', method => 'wal');
SELECT dataeng.on_change('session_summary', 'shop.clicks_live',
                         'shop.summarize_sessions(dataeng.change[])', '{I}');
SELECT dataeng.cdc_wal_sync();          -- the worker has switched the table to the WAL
\o

-- The stream: the clickstream in time order, 500 events per transaction.
CREATE PROCEDURE shop.stream_clicks(per_txn int) LANGUAGE plpgsql AS $$
DECLARE
  last_id bigint := (SELECT max(event_id) FROM shop.clickstream);
BEGIN
  FOR b IN 0 .. (last_id - 1) / per_txn LOOP
    INSERT INTO shop.clicks_live
    SELECT * FROM shop.clickstream
     WHERE event_id > b * per_txn AND event_id <= (b + 1) * per_txn
     ORDER BY event_id;
    COMMIT;
  END LOOP;
END $$;
RESET client_min_messages;
CALL shop.stream_clicks(500);
SELECT dataeng.cdc_wal_sync('10 min') AS caught_up \gset
\echo 'Streamed and handled (all committed changes captured from the WAL:' :caught_up ')'
SELECT (SELECT count(*) FROM shop.clicks_live) AS events_written,
       (SELECT count(*) FROM dataeng.changes WHERE table_name = 'shop.clicks_live'::regclass) AS changes_captured,
       (SELECT count(*) FROM shop.session_summary) AS sessions,
       (SELECT max(handled_commits) FROM shop.session_summary) AS most_commits_per_session,
       (SELECT count(*) FROM dataeng.on_change_dead_letters) AS dead_letters;
SELECT "table", method, active_method, wal_bytes_behind < 1024 * 1024 AS caught_up,
       last_commit_time IS NOT NULL AS has_commit_time
  FROM (SELECT table_name::text AS "table", * FROM dataeng.cdc_status) s
 WHERE "table" = 'shop.clicks_live';

\echo 'A few sessions, as the handler keeps them:'
SELECT session_id, customer_id, events, page_views, searches, carts, checkouts,
       first_at, last_at
  FROM shop.session_summary ORDER BY session_id LIMIT 5;

\echo 'Sessions by outcome:'
SELECT CASE WHEN checkouts > 0 THEN 'checked out'
            WHEN carts > 0 THEN 'abandoned a cart'
            WHEN searches > 0 THEN 'searched'
            ELSE 'browsed' END AS outcome,
       count(*) AS sessions, sum(events) AS events,
       round(avg(extract(epoch FROM last_at - first_at) / 60)::numeric, 1) AS avg_minutes,
       count(customer_id) AS signed_in
  FROM shop.session_summary GROUP BY 1 ORDER BY 2 DESC;

\echo 'Does the summary equal a GROUP BY of the clickstream (each change handled once)?'
WITH truth AS (
  SELECT session_id, max(customer_id) AS customer_id, count(*) AS events,
         count(*) FILTER (WHERE event_type = 'page_view') AS page_views,
         count(*) FILTER (WHERE event_type = 'search') AS searches,
         count(*) FILTER (WHERE event_type = 'add_to_cart') AS carts,
         count(*) FILTER (WHERE event_type = 'checkout') AS checkouts,
         min(occurred_at) AS first_at, max(occurred_at) AS last_at
    FROM shop.clickstream GROUP BY session_id),
kept AS (
  SELECT session_id, customer_id, events, page_views, searches, carts, checkouts, first_at, last_at
    FROM shop.session_summary)
SELECT (SELECT count(*) FROM (SELECT * FROM truth EXCEPT SELECT * FROM kept) a)
     + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM truth) b) = 0 AS summary_ok;
\else
\echo 'Skipped: WAL capture needs dataeng in shared_preload_libraries and wal_level = logical.'
\endif

\echo
\echo '== Stage 3: validation ====================================================='
-- C validators, the same ones a CHECK constraint or a domain can use: each
-- says whether a value is valid, and its _problem twin says why not.
\echo 'Customer contact data by validity:'
SELECT 'email' AS field,
       count(*) FILTER (WHERE dataeng.is_email(email)) AS valid,
       count(*) FILTER (WHERE NOT dataeng.is_email(email)) AS invalid,
       count(*) FILTER (WHERE email IS NULL) AS missing
  FROM shop.customers
UNION ALL
SELECT 'phone (dialled from its country)',
       count(*) FILTER (WHERE dataeng.is_phone(phone, country)),
       count(*) FILTER (WHERE NOT dataeng.is_phone(phone, country)),
       count(*) FILTER (WHERE phone IS NULL)
  FROM shop.customers
UNION ALL
SELECT 'signup date as YYYY-MM-DD',
       count(*) FILTER (WHERE dataeng.is_date(signup_date_raw, 'YYYY-MM-DD')),
       count(*) FILTER (WHERE NOT dataeng.is_date(signup_date_raw, 'YYYY-MM-DD')),
       count(*) FILTER (WHERE signup_date_raw IS NULL)
  FROM shop.customers
ORDER BY 1;  -- email, phone, signup date (a UNION ALL may run in parallel, in any order)

\echo 'Why emails fail (most common reasons):'
SELECT dataeng.email_problem(email) AS problem, count(*) AS customers,
       min(email) AS example
  FROM shop.customers
 WHERE NOT dataeng.is_email(email)
 GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 8;

\echo 'Why phones fail:'
SELECT dataeng.phone_problem(phone, country) AS problem, count(*) AS customers,
       min(phone) AS example
  FROM shop.customers
 WHERE NOT dataeng.is_phone(phone, country)
 GROUP BY 1 ORDER BY 2 DESC, 1;

\echo 'Table rules on orders, with quarantine of the rows that break an error rule:'
\o /dev/null
SELECT dataeng.rule_add('shop.orders', 'positive quantity', 'range', 'quantity', '{"min": 1}');
SELECT dataeng.rule_add('shop.orders', 'known status', 'accepted_values', 'status',
  '{"values": ["paid", "shipped", "delivered", "cancelled", "refunded"]}');
SELECT dataeng.rule_add('shop.orders', 'known customer', 'foreign_key', 'customer_id',
  '{"ref_table": "shop.customers", "ref_column": "customer_id"}');
SELECT dataeng.rule_add('shop.orders', 'priced', 'not_null', 'unit_price', severity => 'warning');
SELECT dataeng.rule_add('shop.orders', 'enough orders', 'row_count', params => '{"min": 1000}');
SELECT dataeng.rule_add('shop.orders', 'no sudden drop', 'volume_change', params => '{"max_drop_pct": 20}');
\o
-- a bad load: a few broken orders arrive
INSERT INTO shop.orders (order_id, customer_id, product_id, quantity, unit_price, currency,
                         ordered_at, status)
SELECT 10000000 + g, 1 + g, 1, CASE WHEN g % 2 = 0 THEN 0 ELSE 1 END, NULL, 'USD', now(),
       CASE WHEN g % 3 = 0 THEN 'lost in space' ELSE 'paid' END
  FROM generate_series(1, 12) g;
SELECT rule_name, kind, checked, failed, passed FROM dataeng.validate('shop.orders', quarantine => true);
SELECT count(*) AS quarantined_orders, min(failed_rules::text) AS example_reasons
  FROM dataeng.quarantine WHERE table_name = 'shop.orders'::regclass;

\echo
\echo '== Stage 4: cleansing ======================================================'
-- C cleansers turn the raw columns into typed, normalized ones.
CREATE TABLE shop.customers_clean AS
SELECT customer_id,
       dataeng.name_case(dataeng.clean_text(full_name)) AS name,
       dataeng.normalize_email(email, provider_rules => true) AS email,
       dataeng.to_e164(phone, country) AS phone_e164,
       d.signed_up,
       dataeng.fingerprint(full_name) AS name_key,
       country,
       -- for matching duplicates (docs/cleanse.md, "Columns that find
       -- duplicates"): the name's letters, the same whatever the word order
       -- and a transposed pair of letters; the signup date whichever of day
       -- and month came first (raw dates are written both ways everywhere)
       dataeng.ngram_fingerprint(dataeng.name_case(dataeng.clean_text(full_name)), 1) AS name_letters,
       to_char(a.any_date, 'YYYY') || '-' || least(to_char(a.any_date, 'MM'), to_char(a.any_date, 'DD'))
         || '-' || greatest(to_char(a.any_date, 'MM'), to_char(a.any_date, 'DD')) AS signup_key,
       true_person_id
  FROM shop.customers,
       -- numeric dates read month-first for US customers, day-first elsewhere
       LATERAL (SELECT dataeng.parse_date(signup_date_raw, CASE WHEN country = 'US' THEN 'MDY' ELSE 'DMY' END)
                  AS signed_up) d,
       -- and those that reading declined, the other way round
       LATERAL (SELECT coalesce(d.signed_up,
                                dataeng.parse_date(signup_date_raw, CASE WHEN country = 'US' THEN 'DMY' ELSE 'MDY' END))
                  AS any_date) a;

\echo 'A few customers, raw and cleaned:'
SELECT c.full_name AS raw_name, k.name, c.email AS raw_email, k.email, c.phone AS raw_phone,
       k.phone_e164, c.signup_date_raw AS raw_date, k.signed_up
  FROM shop.customers c JOIN shop.customers_clean k USING (customer_id)
 WHERE customer_id IN (2, 3, 4, 8, 11)
 ORDER BY customer_id;

\echo 'What could be recovered:'
SELECT count(*) AS customers,
       count(email) AS usable_emails, count(phone_e164) AS e164_phones,
       count(signed_up) AS parsed_dates
  FROM shop.customers_clean;

\echo 'Duplicate records (same person, per the ground truth) whose name fingerprint matches the first record:'
SELECT count(*) AS duplicate_records,
       count(*) FILTER (WHERE same_key) AS same_name_key,
       count(*) FILTER (WHERE same_email) AS same_email,
       count(*) FILTER (WHERE same_phone) AS same_phone
  FROM (SELECT row_number() OVER w AS nth,
               name_key = first_value(name_key) OVER w AS same_key,
               email = first_value(email) OVER w AS same_email,
               phone_e164 = first_value(phone_e164) OVER w AS same_phone
          FROM shop.customers_clean
        WINDOW w AS (PARTITION BY true_person_id ORDER BY customer_id)) d
 WHERE nth > 1;

\echo 'Product prices and weights, normalized (USD, kg):'
INSERT INTO dataeng.fx_rates VALUES ('USD', '2026-01-01', 1), ('EUR', '2026-01-01', 0.92),
  ('GBP', '2026-01-01', 0.79), ('JPY', '2026-01-01', 151.5)
  ON CONFLICT DO NOTHING;
SELECT product_id, price_raw, currency,
       round(dataeng.to_currency(dataeng.parse_number(price_raw,
               CASE WHEN currency = 'EUR' AND price_raw LIKE '%,%' THEN ',' END),
             currency, 'USD', date '2026-06-01'), 2) AS price_usd,
       weight_raw,
       round(dataeng.convert_unit((dataeng.parse_quantity(weight_raw)).value,
                                  (dataeng.parse_quantity(weight_raw)).unit, 'kg'), 3) AS weight_kg
  FROM shop.products ORDER BY product_id LIMIT 8;

\echo 'Duplicate customers, found without a quadratic pass (dataeng.find_duplicates):'
CREATE TABLE shop.customer_clusters AS
-- The columns must be independent evidence: ShopSphere derives emails from
-- names, so two people sharing a name also share most of an email, and
-- email would count the name twice (so would name_key beside
-- name_letters).
SELECT * FROM dataeng.find_duplicates('shop.customers_clean', '{name_letters,phone_e164,signup_key,country}',
                                      key_column => 'customer_id');
-- judged against the generator's ground truth (true_person_id), pair by pair
WITH found AS (
  SELECT x.row_key->>'customer_id' AS a, y.row_key->>'customer_id' AS b
    FROM shop.customer_clusters x JOIN shop.customer_clusters y
      ON x.cluster_id = y.cluster_id AND (x.row_key->>'customer_id')::int < (y.row_key->>'customer_id')::int),
truth AS (
  SELECT x.customer_id::text AS a, y.customer_id::text AS b
    FROM shop.customers_clean x JOIN shop.customers_clean y
      ON x.true_person_id = y.true_person_id AND x.customer_id < y.customer_id)
SELECT (SELECT count(DISTINCT cluster_id) FROM shop.customer_clusters) AS clusters,
       (SELECT count(*) FROM found) AS pairs_found, (SELECT count(*) FROM truth) AS true_pairs,
       round((SELECT count(*) FROM found JOIN truth USING (a, b))::numeric / nullif((SELECT count(*) FROM found), 0), 3) AS precision,
       round((SELECT count(*) FROM found JOIN truth USING (a, b))::numeric / nullif((SELECT count(*) FROM truth), 0), 3) AS recall;

\echo 'Merged: one survivor per cluster, its gaps filled from the others, every deleted row logged:'
SELECT count(*) AS customers_before FROM shop.customers_clean;
SELECT clusters, rows_deleted, rows_filled
  FROM dataeng.dedupe('shop.customers_clean', '{name_letters,phone_e164,signup_key,country}', fill_nulls => true);
SELECT count(*) AS customers_after, count(DISTINCT true_person_id) AS real_people
  FROM shop.customers_clean;
\echo '(dataeng.dedupe_undo(run_id) would put every deleted row back exactly.)'

\echo
\echo '== Stage 5: scheduled aggregation =========================================='
-- A daily sales fact of shop.orders (by currency and status) and a customer
-- dimension keeping the history of each customer's name, email and country
-- (SCD type 2), both kept up to date from the change log by the scheduler,
-- every second (by hand when dataeng is not preloaded: no scheduler).
SET TimeZone = 'UTC';
SELECT preloaded AS scheduler_on FROM dataeng.info() \gset
\if :scheduler_on
\set every '''1 second'''
\else
\set every NULL
\endif
\o /dev/null
-- (a second run against the same database starts afresh)
SELECT dataeng.fact_drop(name) FROM dataeng.facts WHERE name = 'shop.sales_daily';
SELECT dataeng.dimension_drop(name) FROM dataeng.dimensions WHERE name = 'shop.customer_dim';
SELECT dataeng.fact_create('shop.sales_daily', 'shop.orders', 'ordered_at', 'day',
                           ARRAY['currency', 'status'],
                           ARRAY['count(*) AS orders', 'sum(quantity) AS units',
                                 'sum(unit_price) AS list_value', 'max(unit_price) AS top_price'],
                           schedule => :every);
SELECT dataeng.dimension_create('shop.customer_dim', 'shop.customers', 'customer_id',
                                ARRAY['full_name', 'email', 'country'], scd_type => 2,
                                schedule => :every);
\o
\echo 'Built (backfilled from the source), with their refresh jobs:'
SELECT name, "table", source, grain, dimensions, schedule FROM dataeng.facts;
SELECT name, "table", source, key_column, attributes, scd_type, schedule FROM dataeng.dimensions;
SELECT job_name, schedule FROM dataeng.jobs WHERE job_name LIKE '%shop.%' ORDER BY job_name;

-- The truth: the same GROUP BY over the orders, and the customers as they are.
CREATE FUNCTION shop.sales_daily_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT bucket, currency, status, orders, units, list_value, top_price FROM shop.sales_daily
     EXCEPT ALL
     SELECT date_trunc('day', ordered_at, 'UTC'), currency, status, count(*), sum(quantity),
            sum(unit_price), max(unit_price)
       FROM shop.orders GROUP BY 1, 2, 3)
    UNION ALL
    (SELECT date_trunc('day', ordered_at, 'UTC'), currency, status, count(*), sum(quantity),
            sum(unit_price), max(unit_price)
       FROM shop.orders GROUP BY 1, 2, 3
     EXCEPT ALL
     SELECT bucket, currency, status, orders, units, list_value, top_price FROM shop.sales_daily)) x
$$;
CREATE FUNCTION shop.customer_dim_diff() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM (
    (SELECT customer_id, full_name, email, country FROM shop.customer_dim WHERE is_current
     EXCEPT ALL SELECT customer_id, full_name, email, country FROM shop.customers)
    UNION ALL
    (SELECT customer_id, full_name, email, country FROM shop.customers
     EXCEPT ALL SELECT customer_id, full_name, email, country FROM shop.customer_dim WHERE is_current)) x
$$;
-- Wait until the scheduler has applied every change (or apply them here).
CREATE PROCEDURE shop.catch_up(scheduled boolean) LANGUAGE plpgsql AS $$
DECLARE
  deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
  IF NOT scheduled THEN
    PERFORM dataeng.fact_refresh('shop.sales_daily'), dataeng.dimension_refresh('shop.customer_dim');
    RETURN;
  END IF;
  WHILE (SELECT pending_changes FROM dataeng.facts WHERE name = 'shop.sales_daily') > 0
        OR (SELECT pending_changes FROM dataeng.dimensions WHERE name = 'shop.customer_dim') > 0 LOOP
    IF clock_timestamp() > deadline THEN
      RAISE EXCEPTION 'the scheduled refreshes did not catch up within a minute';
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
END $$;
-- The days this stage touches, as the fact sees them.
CREATE VIEW shop.days_watched AS
  SELECT d::date AS day, coalesce(sum(f.orders), 0) AS orders,
         coalesce(sum(f.orders) FILTER (WHERE f.status = 'refunded'), 0) AS refunded,
         coalesce(sum(f.units), 0) AS units
    FROM unnest(ARRAY[timestamptz '2026-03-15', '2026-10-01', '2026-12-01']) d
    LEFT JOIN shop.sales_daily f ON f.bucket = d
   GROUP BY d;
CREATE TEMP TABLE days_before AS SELECT * FROM shop.days_watched;

-- Activity: new orders today, refunds (status changes) and cancelled
-- orders removed on an earlier day, late orders dated months back; and
-- customers moving, changing email, or only their phone (not tracked).
INSERT INTO shop.orders
SELECT 20000000 + g, 1 + g % 500, 1 + g % 2000, 1 + g % 3, 24.50, 'USD',
       timestamptz '2026-12-01 08:00+00' + g * interval '20 seconds', NULL, 'paid', NULL
  FROM generate_series(1, 1500) g;
UPDATE shop.orders SET status = 'refunded'
 WHERE date_trunc('day', ordered_at, 'UTC') = '2026-10-01' AND status IN ('paid', 'delivered');
DELETE FROM shop.orders
 WHERE date_trunc('day', ordered_at, 'UTC') = '2026-10-01' AND status = 'cancelled';
INSERT INTO shop.orders
SELECT 21000000 + g, 1 + g % 500, 1 + g % 2000, 2, 9.99, 'EUR',
       timestamptz '2026-03-15 10:00+00' + g * interval '1 minute', NULL, 'delivered', NULL
  FROM generate_series(1, 40) g;
UPDATE shop.customers SET country = CASE WHEN country = 'DE' THEN 'FR' ELSE 'DE' END WHERE customer_id IN (3, 4);
UPDATE shop.customers SET email = 'new.address@example.com' WHERE customer_id = 4;
UPDATE shop.customers SET phone = '+49 30 1234567' WHERE customer_id IN (3, 5);

CALL shop.catch_up(:'scheduler_on');
\echo 'Those days in the fact, before and after (refreshed by the scheduler):'
SELECT b.day, b.orders AS orders_before, a.orders AS orders_after,
       b.refunded AS refunded_before, a.refunded AS refunded_after,
       b.units AS units_before, a.units AS units_after
  FROM days_before b JOIN shop.days_watched a USING (day) ORDER BY day;
\echo 'Customers 3 and 4 moved, 4 then changed email; 3 and 5 changed their phone (not tracked): versions'
SELECT customer_id, country, email, is_current,
       row_number() OVER (PARTITION BY customer_id ORDER BY customer_dim_sk) AS version,
       valid_from <= coalesce(valid_to, 'infinity') AS times_in_order
  FROM shop.customer_dim WHERE customer_id IN (3, 4, 5) ORDER BY customer_id, version;

-- More of the same while the scheduler keeps refreshing: a burst of small
-- transactions of late orders and refunds.
CREATE PROCEDURE shop.more_activity(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. n LOOP
    INSERT INTO shop.orders VALUES (22000000 + i, 1 + i % 500, 1 + i % 2000, 1, 5.00, 'GBP',
                                    timestamptz '2026-02-01' + (i % 200) * interval '1 day', NULL, 'paid', NULL);
    UPDATE shop.orders SET status = 'refunded' WHERE order_id = 20000000 + i;
    DELETE FROM shop.orders WHERE order_id = 21000000 + i % 40 AND i % 10 = 0;
    COMMIT;
  END LOOP;
END $$;
CALL shop.more_activity(300);
CALL shop.catch_up(:'scheduler_on');
\echo 'Refreshes so far:'
SELECT name, total_changes, pending_changes FROM dataeng.facts
UNION ALL SELECT name, total_changes, pending_changes FROM dataeng.dimensions;
SELECT shop.sales_daily_diff() = 0 AS fact_ok, shop.customer_dim_diff() = 0 AS dim_ok \gset
\echo 'fact equals GROUP BY:' :fact_ok
\echo 'customer dimension (current rows) equals customers:' :dim_ok

\echo
\echo '== Stage 6: operations ====================================================='
-- A monitor of the orders (freshness and daily volume), checked by its job
-- every hour and once now; maintenance (purging, trimming, alerts: run by
-- the scheduler, here once by hand); then what an engineer reads every
-- morning: the state of every pipeline object, the open alerts, and the
-- lineage in Graphviz DOT (docs/ops.md shows it drawn).
\o /dev/null
SELECT dataeng.monitor_drop('orders_flow');
SELECT dataeng.monitor_create('orders_flow', 'shop.orders', 'ordered_at', max_silence => '1 day',
                              min_rows => 10, per => '1 day', drop_pct => 50, schedule => '1 hour');
SELECT dataeng.monitor_check('orders_flow');
SELECT dataeng.maintain();
\o
\echo 'The status of every pipeline object:'
SELECT kind, name, state, reason, lag_changes FROM dataeng.pipeline_status
 ORDER BY array_position(ARRAY['captured table', 'consumer', 'fact', 'dimension', 'table with rules',
                               'job', 'monitor', 'change log'], kind), name;
\echo 'Open alerts:'
SELECT kind, object, severity, message FROM dataeng.alerts_open ORDER BY alert_id;
\echo 'Lineage (Graphviz DOT: dot -Tsvg draws it):'
SELECT dataeng.lineage_dot() AS dot \gset
\echo :dot

\echo
\echo 'Done: every stage ran.'
