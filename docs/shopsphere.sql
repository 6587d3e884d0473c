-- docs/shopsphere.sql: the ShopSphere sample data set.
--
-- A small online shop's raw data with the dirt real sources have: duplicate
-- customers (case, accents, typos, swapped name order), invalid and oddly
-- formatted emails, phones in national and international formats, dates in
-- mixed formats, prices in several currencies and number formats, weights in
-- mixed units, missing values.
--
--   psql -v seed=42 -v orders=100000 -f docs/shopsphere.sql
--
-- Deterministic: the same seed and size give the same rows, byte for byte
-- (every "random" choice is a hash of the seed, a tag and a row number).
-- Sizes: customers = orders / 5 people (plus duplicate records), 2000
-- products, `orders` orders, 2 x orders clickstream events.

\if :{?seed} \else \set seed 42 \endif
\if :{?orders} \else \set orders 100000 \endif

SET client_min_messages = warning;
DROP SCHEMA IF EXISTS shop CASCADE;
CREATE SCHEMA shop;

-- A number in [0, 1) from (seed, tag, i): the only source of randomness.
CREATE FUNCTION shop.rnd(tag text, i bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT ((hashtext(current_setting('shop.seed') || ':' || tag || ':' || i)::bigint
               & 2147483647) / 2147483648.0)::float8 $$;

-- An element of arr chosen by (tag, i).
CREATE FUNCTION shop.pick(arr text[], tag text, i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT arr[1 + floor(shop.rnd(tag, i) * cardinality(arr))::int] $$;

-- A typo: two adjacent letters swapped.
CREATE FUNCTION shop.typo(s text, i bigint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN length(s) < 3 THEN s ELSE
         (SELECT left(s, p - 1) || substr(s, p + 1, 1) || substr(s, p, 1) || substr(s, p + 2)
            FROM (SELECT 1 + floor(shop.rnd('typo', i) * (length(s) - 1))::int AS p) q) END $$;

-- Accents dropped, as a careless source does.
CREATE FUNCTION shop.strip_accents(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT translate(s, 'áàâäãåçéèêëíìîïñóòôöõúùûüýÿÁÀÂÄÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝ',
                          'aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUY') $$;

SELECT set_config('shop.seed', :'seed', false) AS shop_seed \gset

-- Reference lists ------------------------------------------------------------

CREATE TEMP TABLE first_names AS SELECT unnest(ARRAY[
  'Ada','Alan','Amélie','Ana','Björn','Carlos','Chloé','Claire','Daniel','Élodie',
  'Emma','Érik','Fatima','François','Grace','Hannah','Hélène','Ines','Ivan','Jack',
  'James','José','Jürgen','Karin','Léa','Liam','Lucía','Marco','María','Mateo',
  'Mia','Noah','Nora','Olivia','Óscar','Paul','Priya','Raúl','Renée','Sofía',
  'Søren','Thomas','Zoë','Wei','Yuki','Ahmed','Chiara','Dmitri','Eva','Hugo']) AS n;
CREATE TEMP TABLE last_names AS SELECT unnest(ARRAY[
  'Smith','Johnson','Müller','García','Martínez','Dubois','Rossi','Nguyen','Kowalski','O''Brien',
  'McDonald','van der Berg','Schmidt','López','Fernández','Lefèvre','Bianchi','Novák','Jensen','Silva',
  'Andersson','Brown','Taylor','Wilson','Dupont','Weiß','Öztürk','Sánchez','Romano','Kim',
  'Tanaka','Patel','Cohen','Ivanova','Murphy','Hernández','Moreau','Fischer','Costa','Larsen']) AS n;

-- Customers -------------------------------------------------------------------
-- One row per person first, then duplicate records of some of them.

CREATE TABLE shop.customers (
  customer_id      bigint PRIMARY KEY,
  full_name        text,          -- as typed: "First Last", "LAST, First", ...
  email            text,
  phone            text,
  country          text,          -- ISO 3166 code
  signup_date_raw  text,          -- dates in mixed formats
  true_person_id   bigint NOT NULL -- ground truth: duplicate records share it
);
COMMENT ON TABLE shop.customers IS 'ShopSphere customers, raw (duplicates, dirty emails and phones)';

WITH people AS (
  SELECT p,
         shop.pick(ARRAY(SELECT n FROM first_names ORDER BY n), 'first', p) AS first,
         shop.pick(ARRAY(SELECT n FROM last_names ORDER BY n), 'last', p) AS last,
         shop.pick(ARRAY['US','US','US','GB','GB','DE','DE','FR','ES','JP'], 'country', p) AS country,
         date '2019-01-01' + floor(shop.rnd('signup', p) * 2500)::int AS signup
    FROM generate_series(1, greatest(:orders / 5, 10)) p
), records AS (
  -- every person once; 8% of people again, 1 to 3 times, with variations
  SELECT p, 0 AS dup, first, last, country, signup FROM people
  UNION ALL
  SELECT p, d, first, last, country, signup
    FROM people, generate_series(1, 3) d
   WHERE shop.rnd('dup', p) < 0.08 AND d <= 1 + floor(shop.rnd('ndup', p) * 3)
), shaped AS (
  SELECT r.*, row_number() OVER (ORDER BY p, dup) AS id,
         lower(shop.strip_accents(replace(replace(first, ' ', ''), '''', ''))) AS ef,
         lower(shop.strip_accents(replace(replace(last, ' ', ''), '''', ''))) AS el
    FROM records r
)
INSERT INTO shop.customers
SELECT id,
       -- names: duplicates change case, drop accents, swap order, make typos
       CASE WHEN dup = 0 THEN first || ' ' || last
            ELSE CASE floor(shop.rnd('variant', id) * 5)::int
                   WHEN 0 THEN upper(last) || ', ' || first
                   WHEN 1 THEN lower(shop.strip_accents(first || ' ' || last))
                   WHEN 2 THEN shop.typo(first, id) || ' ' || last
                   WHEN 3 THEN last || ' ' || first
                   ELSE '  ' || upper(first) || '  ' || last || ' ' END END,
       -- emails: mostly fine, some invalid or oddly formatted, some missing
       CASE floor(shop.rnd('email', id) * 20)::int
         WHEN 0 THEN NULL
         WHEN 1 THEN ''
         WHEN 2 THEN ef || '.' || el || 'example.com'                 -- no @
         WHEN 3 THEN ' ' || upper(ef) || '.' || el || '@Example.COM '  -- case, spaces
         WHEN 4 THEN ef || '..' || el || '@mail.example.org'          -- double dot
         WHEN 5 THEN ef || '.' || el || '@example.com.'               -- trailing dot
         WHEN 6 THEN ef || '+shop@gmail.com'
         WHEN 7 THEN 'n/a'
         ELSE ef || '.' || el || (CASE WHEN dup > 0 THEN dup::text ELSE '' END) || '@'
              || shop.pick(ARRAY['example.com','mail.example.org','shop.example.net'], 'dom', id) END,
       -- phones: national and international formats of each country, garbage
       CASE WHEN shop.rnd('nophone', id) < 0.05 THEN NULL
            WHEN shop.rnd('badphone', id) < 0.03 THEN shop.pick(ARRAY['12345','call me','000','+'], 'bad', id)
            ELSE (SELECT CASE country
              WHEN 'US' THEN shop.pick(ARRAY[
                format('(%s) 555-%s', a, b), format('+1 %s 555 %s', a, b),
                format('%s.555.%s', a, b), format('1-%s-555-%s', a, b)], 'fmt', id)
              WHEN 'GB' THEN shop.pick(ARRAY[
                format('+44 20 7946 %s', b), format('0044 20 7946 %s', b),
                format('020 7946 %s', b), format('(020) 7946-%s', b)], 'fmt', id)
              WHEN 'DE' THEN shop.pick(ARRAY[
                format('+49 30 %s%s', a, b), format('030 %s %s', a, b),
                format('0049-30-%s%s', a, b)], 'fmt', id)
              WHEN 'FR' THEN shop.pick(ARRAY[
                format('+33 1 %s %s %s %s', left(b, 2), right(b, 2), left(a, 2), right(a, 2)),
                format('01 %s %s %s %s', left(b, 2), right(b, 2), left(a, 2), right(a, 2))], 'fmt', id)
              WHEN 'ES' THEN shop.pick(ARRAY[
                format('+34 91 %s %s', a, b), format('91 %s %s', a, b)], 'fmt', id)
              ELSE shop.pick(ARRAY[
                format('+81 3-%s-%s', b, b), format('03-%s-%s', b, b)], 'fmt', id) END
              FROM (SELECT (200 + floor(shop.rnd('area', p) * 700))::int::text AS a,
                           lpad(floor(shop.rnd('line', p) * 10000)::int::text, 4, '0') AS b) x) END,
       country,
       -- signup dates in mixed formats (one real date behind each)
       CASE floor(shop.rnd('datefmt', id) * 7)::int
         WHEN 0 THEN to_char(signup, 'YYYY-MM-DD')
         WHEN 1 THEN to_char(signup, 'DD/MM/YYYY')
         WHEN 2 THEN to_char(signup, 'MM/DD/YYYY')
         WHEN 3 THEN to_char(signup, 'Mon DD, YYYY')
         WHEN 4 THEN to_char(signup, 'YYYYMMDD')
         WHEN 5 THEN to_char(signup, 'DD.MM.YY')
         ELSE CASE WHEN shop.rnd('nodate', id) < 0.5 THEN NULL ELSE 'unknown' END END,
       p
  FROM shaped;

-- Products --------------------------------------------------------------------

CREATE TABLE shop.products (
  product_id  bigint PRIMARY KEY,
  sku         text NOT NULL,
  name        text,
  category    text,
  price_raw   text,            -- '19.99', '1.234,56', ' 5 ', ...
  currency    text,            -- USD, EUR, GBP, JPY
  weight_raw  text             -- '2.5 lbs', '1200 g', '1.2kg', '16 oz', NULL
);
COMMENT ON TABLE shop.products IS 'ShopSphere products, raw (prices in several currencies and formats, weights in mixed units)';

INSERT INTO shop.products
SELECT i,
       format('SKU-%s', lpad(i::text, 6, '0')),
       shop.pick(ARRAY['Classic','Eco','Pro','Mini','Ultra','Vintage'], 'adj', i) || ' ' ||
       shop.pick(ARRAY['Mug','Lamp','Backpack','Headphones','Chair','Notebook','Kettle','Blender',
                       'Sneakers','Jacket','Watch','Umbrella'], 'noun', i),
       shop.pick(ARRAY['home','electronics','fashion','office','sports'], 'cat', i),
       CASE WHEN shop.rnd('noprice', i) < 0.02 THEN NULL
            WHEN cur = 'EUR' AND shop.rnd('comma', i) < 0.5 THEN replace(to_char(amount, 'FM9G990D00'), ',', '#')
            WHEN cur = 'JPY' THEN round(amount * 150)::text
            WHEN shop.rnd('pad', i) < 0.05 THEN '  ' || amount::text || ' '
            ELSE amount::text END,
       cur,
       CASE floor(shop.rnd('wfmt', i) * 6)::int
         WHEN 0 THEN round(kg * 2.20462, 1)::text || ' lbs'
         WHEN 1 THEN round(kg * 1000)::text || ' g'
         WHEN 2 THEN round(kg, 2)::text || 'kg'
         WHEN 3 THEN round(kg * 35.274)::text || ' oz'
         WHEN 4 THEN round(kg, 3)::text || ' KG'
         ELSE NULL END
  FROM (SELECT i, round((2 + shop.rnd('amount', i) * 400)::numeric, 2) AS amount,
               (0.05 + shop.rnd('kg', i) * 15)::numeric AS kg,
               shop.pick(ARRAY['USD','USD','EUR','EUR','GBP','JPY'], 'cur', i) AS cur
          FROM generate_series(1, 2000) i) x;
-- EUR prices like 1.234,56: group separator '.', decimal ','
UPDATE shop.products SET price_raw = translate(price_raw, '.#', ',.')
 WHERE price_raw LIKE '%#%' OR (currency = 'EUR' AND price_raw ~ '^[0-9]+\.[0-9]{2}$' AND product_id % 2 = 0);

-- Orders ----------------------------------------------------------------------

CREATE TABLE shop.orders (
  order_id        bigint PRIMARY KEY,
  customer_id     bigint NOT NULL,
  product_id      bigint NOT NULL,
  quantity        int NOT NULL,
  unit_price      numeric(12,2),   -- in currency
  currency        text NOT NULL,
  ordered_at      timestamptz NOT NULL,
  order_date_raw  text,            -- the same date as the source system typed it
  status          text NOT NULL,
  coupon          text             -- mostly missing
);
COMMENT ON TABLE shop.orders IS 'ShopSphere orders';

INSERT INTO shop.orders
SELECT o,
       1 + floor(shop.rnd('ocust', o) * (SELECT count(*) FROM shop.customers))::bigint,
       pid,
       1 + floor(shop.rnd('qty', o) ^ 3 * 5)::int,
       CASE WHEN p.currency = 'JPY' THEN round(amount * 150) ELSE amount END,
       p.currency,
       ts,
       CASE floor(shop.rnd('odatefmt', o) * 6)::int
         WHEN 0 THEN to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
         WHEN 1 THEN to_char(ts AT TIME ZONE 'UTC', 'DD/MM/YYYY HH24:MI')
         WHEN 2 THEN to_char(ts AT TIME ZONE 'UTC', 'MM/DD/YYYY')
         WHEN 3 THEN to_char(ts AT TIME ZONE 'UTC', 'Dy, DD Mon YYYY HH24:MI:SS "+0000"')
         WHEN 4 THEN extract(epoch FROM ts)::bigint::text
         ELSE to_char(ts AT TIME ZONE 'UTC', 'FMMonth DD, YYYY') END,
       shop.pick(ARRAY['paid','paid','paid','shipped','shipped','delivered','cancelled','refunded'], 'status', o),
       CASE WHEN shop.rnd('coupon', o) < 0.1 THEN 'SAVE' || (5 * (1 + floor(shop.rnd('cval', o) * 4)))::text
            WHEN shop.rnd('coupon', o) < 0.12 THEN '' END
  FROM (SELECT o, date_trunc('second', timestamptz '2026-01-01 00:00+00'
                  + (o::float8 / greatest(:orders, 1) * 300 * 86400) * interval '1 second'
                  + floor(shop.rnd('jitter', o) * 3600) * interval '1 second') AS ts,
               1 + floor(shop.rnd('oprod', o) * 2000)::bigint AS pid
          FROM generate_series(1, :orders) o) x
  -- the product's own price and currency
  CROSS JOIN LATERAL (SELECT round((2 + shop.rnd('amount', x.pid) * 400)::numeric, 2) AS amount,
                             shop.pick(ARRAY['USD','USD','EUR','EUR','GBP','JPY'], 'cur', x.pid) AS currency) p;

-- Clickstream -----------------------------------------------------------------

CREATE TABLE shop.clickstream (
  event_id     bigint PRIMARY KEY,
  session_id   text NOT NULL,
  customer_id  bigint,             -- NULL: anonymous visitor
  event_type   text NOT NULL,      -- page_view, search, add_to_cart, checkout
  url          text,
  occurred_at  timestamptz NOT NULL,
  user_agent   text
);
COMMENT ON TABLE shop.clickstream IS 'ShopSphere web events';

INSERT INTO shop.clickstream
SELECT e,
       'S' || lpad((e / 7)::text, 8, '0'),
       CASE WHEN shop.rnd('anon', e / 7) < 0.4 THEN NULL
            ELSE 1 + floor(shop.rnd('ccust', e / 7) * (SELECT count(*) FROM shop.customers))::bigint END,
       shop.pick(ARRAY['page_view','page_view','page_view','search','add_to_cart','checkout'], 'etype', e),
       CASE floor(shop.rnd('url', e) * 8)::int
         WHEN 0 THEN 'https://shop.example.com/p/' || (1 + floor(shop.rnd('up', e) * 2000))::int
         WHEN 1 THEN 'HTTPS://SHOP.EXAMPLE.COM/search?q=' || shop.pick(ARRAY['mug','lamp','chair%20pro'], 'q', e)
         WHEN 2 THEN 'shop.example.com/cart'                       -- no scheme
         WHEN 3 THEN 'https://shop.example.com/p/' || (1 + floor(shop.rnd('up', e) * 2000))::int || '?utm_source=mail'
         WHEN 4 THEN NULL
         ELSE 'https://shop.example.com/' || shop.pick(ARRAY['','cart','checkout','account'], 'page', e) END,
       date_trunc('second', timestamptz '2026-01-01 00:00+00'
         + (e::float8 / greatest(2 * :orders, 1) * 300 * 86400) * interval '1 second'),
       shop.pick(ARRAY['Mozilla/5.0 (Windows NT 10.0)','Mozilla/5.0 (iPhone)','curl/8.0', ''], 'ua', e)
  FROM generate_series(1, 2 * :orders) e;

DROP TABLE first_names, last_names;
RESET client_min_messages;
ANALYZE shop.customers, shop.products, shop.orders, shop.clickstream;
