-- docs/shopsphere.sql: the ShopSphere sample data set.
--
-- A small online shop's raw data with the dirt real sources have: duplicate
-- customers (case, accents, typos, swapped name order), invalid and oddly
-- formatted emails, phones in national and international formats, dates in
-- mixed formats, prices in several currencies and number formats, weights in
-- mixed units, missing values (NULLs and empty strings).
--
--   psql -v seed=42 -v orders=100000 -f docs/shopsphere.sql
--
-- Deterministic: the same seed and size give the same rows, byte for byte
-- (every "random" choice is a hash of the seed, a tag and a row number, so
-- neither parallel query nor row order changes anything; no output depends on
-- the server's locale or time zone).
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

-- Upper case, the same whatever the database's LC_CTYPE: ASCII through the
-- "C" collation, then the accented letters of our name lists.
CREATE FUNCTION shop.upcase(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT translate(upper(s COLLATE "C"), 'áàâäãåçéèêëíìîïñóòôöõúùûüýøæ',
                                             'ÁÀÂÄÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝØÆ') $$;

-- Accents added where the source had none, as an over-helpful one does.
CREATE FUNCTION shop.add_accents(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN s ~ 'e' THEN regexp_replace(s, 'e', 'é')
                   WHEN s ~ 'o' THEN regexp_replace(s, 'o', 'ö')
                   WHEN s ~ 'a' THEN regexp_replace(s, 'a', 'á')
                   ELSE regexp_replace(s, 'i', 'í') END $$;

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

WITH names AS (
  SELECT ARRAY(SELECT n FROM first_names ORDER BY n COLLATE "C") AS firsts,
         ARRAY(SELECT n FROM last_names ORDER BY n COLLATE "C") AS lasts
), people AS (
  SELECT p,
         shop.pick(firsts, 'first', p) AS first,
         shop.pick(lasts, 'last', p) AS last,
         shop.pick(ARRAY['US','US','US','GB','GB','DE','DE','FR','ES','JP'], 'country', p) AS country,
         date '2019-01-01' + floor(shop.rnd('signup', p) * 2500)::int AS signup
    FROM names, generate_series(1, greatest(:orders / 5, 10)) p
), records AS (
  -- every person once; 8% of people again, 1 to 3 times, with variations
  SELECT p, 0 AS dup, first, last, country, signup FROM people
  UNION ALL
  SELECT p, d, first, last, country, signup
    FROM people, generate_series(1, 3) d
   WHERE shop.rnd('dup', p) < 0.08 AND d <= 1 + floor(shop.rnd('ndup', p) * 3)
), shaped AS (
  SELECT r.*, row_number() OVER (ORDER BY p, dup) AS id,
         lower(shop.strip_accents(replace(replace(first, ' ', ''), '''', '')) COLLATE "C") AS ef,
         lower(shop.strip_accents(replace(replace(last, ' ', ''), '''', '')) COLLATE "C") AS el
    FROM records r
)
INSERT INTO shop.customers
SELECT id,
       -- names: duplicates change case, drop or add accents, swap order,
       -- make typos
       CASE WHEN dup = 0 THEN first || ' ' || last
            ELSE CASE floor(shop.rnd('variant', id) * 6)::int
                   WHEN 0 THEN shop.upcase(last) || ', ' || first
                   WHEN 1 THEN lower(shop.strip_accents(first || ' ' || last) COLLATE "C")
                   WHEN 2 THEN shop.typo(first, id) || ' ' || last
                   WHEN 3 THEN last || ' ' || first
                   WHEN 4 THEN CASE WHEN first = shop.strip_accents(first) THEN shop.add_accents(first)
                                  ELSE shop.strip_accents(first) END || ' ' || last
                   ELSE '  ' || shop.upcase(first) || '  ' || last || ' ' END END,
       -- emails: mostly fine, some invalid or oddly formatted, some missing
       CASE floor(shop.rnd('email', id) * 20)::int
         WHEN 0 THEN NULL
         WHEN 1 THEN ''
         WHEN 2 THEN ef || '.' || el || 'example.com'                 -- no @
         WHEN 3 THEN ' ' || shop.upcase(ef) || '.' || el || '@Example.COM '  -- case, spaces
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
-- The true price and currency of each product, kept for the orders; then the
-- products as the catalogue system typed them.

CREATE TEMP TABLE product_base AS
SELECT i AS product_id,
       -- most items cost 2 to 402, one in eight is a big-ticket item (1000+)
       CASE WHEN shop.rnd('big', i) < 0.125
            THEN round((1000 + shop.rnd('amount', i) * 2500)::numeric, 2)
            ELSE round((2 + shop.rnd('amount', i) * 400)::numeric, 2) END AS amount,
       shop.pick(ARRAY['USD','USD','EUR','EUR','GBP','JPY'], 'cur', i) AS currency,
       (0.05 + shop.rnd('kg', i) * 15)::numeric AS kg
  FROM generate_series(1, 2000) i;
ALTER TABLE product_base ADD PRIMARY KEY (product_id);

CREATE TABLE shop.products (
  product_id  bigint PRIMARY KEY,
  sku         text NOT NULL,
  name        text,
  category    text,
  price_raw   text,            -- '19.99', '1.234,56', '1,234.56', ' 5 ', '', ...
  currency    text,            -- USD, EUR, GBP, JPY
  weight_raw  text             -- '2.5 lbs', '1200 g', '1.2kg', '16 oz', '', NULL
);
COMMENT ON TABLE shop.products IS 'ShopSphere products, raw (prices in several currencies and formats, weights in mixed units)';

-- Number patterns use the literal ',' and '.' (never the locale's G and D),
-- so the text is the same whatever lc_numeric says.
INSERT INTO shop.products
SELECT product_id,
       format('SKU-%s', lpad(product_id::text, 6, '0')),
       shop.pick(ARRAY['Classic','Eco','Pro','Mini','Ultra','Vintage'], 'adj', product_id) || ' ' ||
       shop.pick(ARRAY['Mug','Lamp','Backpack','Headphones','Chair','Notebook','Kettle','Blender',
                       'Sneakers','Jacket','Watch','Umbrella'], 'noun', product_id),
       shop.pick(ARRAY['home','electronics','fashion','office','sports'], 'cat', product_id),
       CASE WHEN shop.rnd('noprice', product_id) < 0.02 THEN NULL
            WHEN shop.rnd('noprice', product_id) < 0.03 THEN ''
            WHEN currency = 'JPY' THEN round(amount * 150)::text
            -- half the euro prices in the European style: 1.234,56 and 19,99
            WHEN currency = 'EUR' AND product_id % 2 = 0
              THEN translate(to_char(amount, 'FM999,999,990.00'), ',.', '.,')
            -- some large dollar and pound prices with a thousands separator: 1,234.56
            WHEN currency IN ('USD', 'GBP') AND amount >= 1000 AND shop.rnd('group', product_id) < 0.5
              THEN to_char(amount, 'FM999,999,990.00')
            WHEN shop.rnd('pad', product_id) < 0.05 THEN '  ' || amount::text || ' '
            ELSE amount::text END,
       currency,
       CASE floor(shop.rnd('wfmt', product_id) * 6)::int
         WHEN 0 THEN round(kg * 2.20462, 1)::text || ' lbs'
         WHEN 1 THEN round(kg * 1000)::text || ' g'
         WHEN 2 THEN round(kg, 2)::text || 'kg'
         WHEN 3 THEN round(kg * 35.274)::text || ' oz'
         WHEN 4 THEN round(kg, 3)::text || ' KG'
         ELSE CASE WHEN shop.rnd('noweight', product_id) < 0.2 THEN '' END END
  FROM product_base;

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
  -- the product's true price and currency
  JOIN product_base p ON p.product_id = x.pid;

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

-- The helpers read the seed from this session's settings: drop them, so
-- that schema shop holds only the data.
DROP TABLE first_names, last_names, product_base;
DROP FUNCTION shop.rnd(text, bigint), shop.pick(text[], text, bigint), shop.typo(text, bigint),
  shop.strip_accents(text), shop.upcase(text), shop.add_accents(text);
RESET client_min_messages;
ANALYZE shop.customers, shop.products, shop.orders, shop.clickstream;
