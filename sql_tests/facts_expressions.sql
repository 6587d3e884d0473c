-- Measures as expressions: sum(amount * quantity), count(*) FILTER (WHERE
-- ...), sum(CASE ... END), avg, min and max of expressions, a column with a
-- FILTER.  A refresh computes their change from the old and new row
-- images of each change (rows moving in and out of a FILTER included), on
-- every path; after every step each fact equals its plain GROUP BY.  The
-- measures are parsed by PostgreSQL's parser and refused with a clear
-- error when they could not be computed from a row image.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
\pset null '(null)'
\i sql_tests/lib/fact_diff.sql
SET TimeZone = 'UTC';

CREATE TABLE orders (id int PRIMARY KEY, at timestamptz NOT NULL, region text, status text,
                     amount numeric, quantity int, discount numeric, f float8);
INSERT INTO orders
SELECT g, timestamptz '2026-05-01' + g * interval '97 minutes', 'r' || g % 3,
       (ARRAY['paid', 'refunded', 'open', NULL])[1 + g % 4], round((g % 50) * 1.25, 2), g % 7,
       CASE WHEN g % 5 = 0 THEN NULL ELSE g % 3 END, g / 8.0
  FROM generate_series(1, 400) g;
CREATE SCHEMA fx;
CREATE FUNCTION fx.net(a numeric, d numeric) RETURNS numeric LANGUAGE sql IMMUTABLE
  AS $$ SELECT a - coalesce(d, 0) $$;

SELECT dataeng.fact_create('ox_daily', 'orders', 'at', 'day', ARRAY['region'],
  ARRAY['count(*)',
        'sum(amount * quantity) AS revenue',
        'count(*) FILTER (WHERE status = ''refunded'') AS refunds',
        'sum(CASE WHEN status = ''paid'' THEN amount ELSE 0 END) AS paid',
        'avg(amount * quantity) AS avg_line',
        'min(amount - discount) AS min_net',
        'max(quantity * 2) AS max_q2',
        'sum(amount) FILTER (WHERE quantity > 2) AS big_amount',
        'count(discount) FILTER (WHERE status IS DISTINCT FROM ''paid'') AS discounted',
        'count(DISTINCT lower(status)) AS statuses',
        'max(upper(status)) AS top_status',
        'sum(f * 2) AS f2',
        'max(fx.net(amount, discount)) FILTER (WHERE region <> ''r1'') AS best_net',
        'sum(quantity)'],
  schedule => NULL) IS NOT NULL AS created;
-- the same measures over a source with an index on its time column
CREATE TABLE orders_i (LIKE orders INCLUDING ALL);
CREATE INDEX ON orders_i (at);
INSERT INTO orders_i SELECT * FROM orders;
SELECT dataeng.fact_create('ox_i', 'orders_i', 'at', 'week', '{}',
  ARRAY['sum(amount * quantity) AS revenue', 'count(*) FILTER (WHERE status = ''refunded'') AS refunds',
        'min(amount - discount) AS min_net', 'avg(quantity::numeric / 2) AS half_q'],
  schedule => NULL) IS NOT NULL AS created;

-- the fact's columns, and what is kept of each measure
\d ox_daily
SELECT e->>'text' AS measure, e->>'agg' AS agg, e->>'col' AS col, e->>'expr' AS expr, e->>'filter' AS filter,
       e->>'mode' AS mode
  FROM dataeng.facts f, dataeng_internal.fact_defs d, jsonb_array_elements(d.spec) e
 WHERE f.name = 'ox_daily' AND d.name = f.name;

CREATE FUNCTION ox_diffs() RETURNS TABLE (fact text, diff bigint) LANGUAGE sql AS $$
  SELECT 'ox_daily', fact_diff('ox_daily', $q$
    SELECT date_trunc('day', at, 'UTC'), region, count(*), sum(amount * quantity),
           count(*) FILTER (WHERE status = 'refunded'), sum(CASE WHEN status = 'paid' THEN amount ELSE 0 END),
           avg(amount * quantity), min(amount - discount), max(quantity * 2),
           sum(amount) FILTER (WHERE quantity > 2),
           count(discount) FILTER (WHERE status IS DISTINCT FROM 'paid'), count(DISTINCT lower(status)),
           max(upper(status)), sum(f * 2), max(fx.net(amount, discount)) FILTER (WHERE region <> 'r1'),
           sum(quantity)
      FROM orders GROUP BY 1, 2$q$)
  UNION ALL
  SELECT 'ox_i', fact_diff('ox_i', $q$
    SELECT date_trunc('week', at, 'UTC'), sum(amount * quantity), count(*) FILTER (WHERE status = 'refunded'),
           min(amount - discount), avg(quantity::numeric / 2)
      FROM orders_i GROUP BY 1$q$)
$$;
SELECT * FROM ox_diffs() ORDER BY fact;

-- Rounds of changes on both sources, refreshed by each path: rows moving
-- in and out of the FILTERs (status and quantity changes), values of the
-- expressions changing, NULLs coming and going, rows moving between groups,
-- inserts and deletes.
CREATE PROCEDURE ox_round(r int, path text) LANGUAGE plpgsql AS $$
DECLARE
  t text;
BEGIN
  PERFORM set_config('dataeng.fact_refresh_path', path, false);
  FOREACH t IN ARRAY ARRAY['orders', 'orders_i'] LOOP
    EXECUTE format($u$UPDATE %I SET status = CASE status WHEN 'paid' THEN 'refunded' WHEN 'refunded' THEN 'paid'
                                                          ELSE 'refunded' END
                       WHERE id %% 9 = %s$u$, t, r % 9);
    EXECUTE format('UPDATE %I SET quantity = (quantity + 3) %% 7, amount = amount + 1 WHERE id %% 11 = %s', t, r % 11);
    EXECUTE format('UPDATE %I SET discount = CASE WHEN discount IS NULL THEN 1 END WHERE id %% 13 = %s', t, r % 13);
    EXECUTE format($u$UPDATE %I SET region = 'r' || (id + %s) %% 3, at = at + interval '1 day' WHERE id %% 17 = %s$u$,
                   t, r, r % 17);
    EXECUTE format('DELETE FROM %I WHERE id %% 19 = %s', t, r % 19);
    -- the greatest and least values of some groups go
    EXECUTE format('DELETE FROM %1$I WHERE id IN (SELECT id FROM %1$I ORDER BY quantity DESC, id LIMIT 2)', t);
    EXECUTE format($i$INSERT INTO %I SELECT 1000 * %s + g, timestamptz '2026-05-03' + g * interval '5 hours',
                             'r' || g %% 4, (ARRAY['paid', 'refunded', NULL])[1 + g %% 3], g * 0.5, g %% 6,
                             CASE WHEN g %% 2 = 0 THEN g END, g * 1.5
                        FROM generate_series(1, 15) g$i$, t, r);
  END LOOP;
  COMMIT;
  PERFORM dataeng.fact_refresh('ox_daily');
  PERFORM dataeng.fact_refresh('ox_i');
  COMMIT;
END $$;
CALL ox_round(1, 'delta');
SELECT * FROM ox_diffs() ORDER BY fact;
SELECT name, last_refresh_path FROM dataeng.facts WHERE name LIKE 'ox\_%' ORDER BY name;
CALL ox_round(2, 'buckets');
SELECT * FROM ox_diffs() ORDER BY fact;
SELECT name, last_refresh_path LIKE 'buckets:%' AS buckets FROM dataeng.facts WHERE name LIKE 'ox\_%' ORDER BY name;
CALL ox_round(3, 'auto');
SELECT * FROM ox_diffs() ORDER BY fact;
CALL ox_round(4, 'delta');
CALL ox_round(5, 'delta');
SELECT * FROM ox_diffs() ORDER BY fact;
RESET dataeng.fact_refresh_path;

-- a row moving out of and back into a FILTER, one group watched
CREATE TEMP TABLE ox_watch AS
  SELECT id, date_trunc('day', at, 'UTC') AS bucket, region FROM orders
   WHERE status = 'paid' AND amount > 0 AND region IS NOT NULL ORDER BY id LIMIT 1;
SELECT f.refunds, f.paid FROM ox_daily f JOIN ox_watch w USING (bucket, region);
UPDATE orders SET status = 'refunded' WHERE id = (SELECT id FROM ox_watch);
SELECT dataeng.fact_refresh('ox_daily') AS applied;
SELECT f.refunds, f.paid FROM ox_daily f JOIN ox_watch w USING (bucket, region);
UPDATE orders SET status = 'paid' WHERE id = (SELECT id FROM ox_watch);
SELECT dataeng.fact_refresh('ox_daily') AS applied;
SELECT f.refunds, f.paid FROM ox_daily f JOIN ox_watch w USING (bucket, region);
SELECT * FROM ox_diffs() WHERE fact = 'ox_daily';

-- a rebuild, and a backfill in batches
SELECT dataeng.fact_rebuild('ox_daily') >= 0 AS rebuilt;
SELECT * FROM ox_diffs() WHERE fact = 'ox_daily';
SELECT dataeng.fact_create('ox_later', 'orders', 'at', 'day', '{}',
  ARRAY['sum(amount * quantity) AS revenue', 'count(*) FILTER (WHERE status = ''refunded'') AS refunds'],
  schedule => NULL, backfill => 'later') IS NOT NULL AS created;
CALL dataeng.fact_backfill('ox_later', interval '5 days');
SELECT fact_diff('ox_later', $q$SELECT date_trunc('day', at, 'UTC'), sum(amount * quantity),
                                       count(*) FILTER (WHERE status = 'refunded') FROM orders GROUP BY 1$q$) AS diff;

-- What a measure may not be
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(amount * random()) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(amount) FILTER (WHERE random() > 0.5) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum((SELECT 1)) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['count(*) FILTER (WHERE id IN (SELECT 1)) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(sum(amount)) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(row_number() OVER ()) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(generate_series(1, quantity)) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['count(ctid) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['count(s.*) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(amount * quantity)'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['string_agg(status, '','') AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['public.sum(amount) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(amount ORDER BY id) AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(amount) AS x FROM pg_authid'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(amount)) AS x; DROP TABLE orders; --'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(status || ''x'') AS x'], NULL);
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(nope * 2) AS x'], NULL);
-- functions outside pg_catalog are written schema-qualified
SELECT dataeng.fact_create('ox_bad', 'orders', 'at', 'day', '{}', ARRAY['sum(net(amount, discount)) AS x'], NULL);
SELECT count(*) AS no_fact_left FROM dataeng.facts WHERE name = 'ox_bad';

-- A definition whose expression is not what its text parses to is refused
-- when written and when read (a definition altered behind the functions'
-- back runs nothing of it).
CREATE TABLE ox_log (what text);
CREATE FUNCTION fx.pwn() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ox_log VALUES ('pwn');
  RETURN 0;
END $$;
CREATE TEMP TABLE ox_spec AS SELECT spec FROM dataeng_internal.fact_defs WHERE name = 'ox_daily';
UPDATE dataeng_internal.fact_defs SET spec = jsonb_set(spec, '{1,expr}', '"s.amount * s.quantity + fx.pwn()"')
 WHERE name = 'ox_daily';
SELECT dataeng.fact_refresh('ox_daily');
SELECT dataeng.fact_rebuild('ox_daily');
SELECT count(*) AS pwned FROM ox_log;
UPDATE dataeng_internal.fact_defs SET spec = (SELECT spec FROM ox_spec) WHERE name = 'ox_daily';
SELECT dataeng.fact_refresh('ox_daily') >= 0 AS refreshed;
-- the fold parses its value expressions again, with the same checks
SELECT * FROM dataeng_internal._fact_deltas('fact:ox_daily', 'orders', 'at', 'day', 'UTC', '{}',
                                            ARRAY['s.amount * fx.pwn()'], ARRAY[false])
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz, n1 bigint);
SELECT * FROM dataeng_internal._fact_deltas('fact:ox_daily', 'orders', 'at', 'day', 'UTC', '{}',
                                            ARRAY['1) FROM pg_authid --'], ARRAY[false])
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz, n1 bigint);
SELECT count(*) AS pwned FROM ox_log;
-- a role that cannot read the source parses nothing of it
CREATE ROLE regress_ox_stranger;
SET ROLE regress_ox_stranger;
SELECT * FROM dataeng_internal._fact_measure_parse('orders', 'sum(amount) AS x', current_user::regrole);
SELECT * FROM dataeng_internal._fact_deltas('fact:ox_daily', 'orders', 'at', 'day', 'UTC', '{}',
                                            ARRAY['s.amount'], ARRAY[false])
  AS c(is_total boolean, n_changes bigint, has_t boolean, rows bigint, bucket timestamptz, n1 bigint);
RESET ROLE;
DROP ROLE regress_ox_stranger;

SELECT dataeng.fact_drop(name) FROM dataeng.facts WHERE name LIKE 'ox\_%' ORDER BY name;
DROP PROCEDURE ox_round(int, text);
DROP FUNCTION ox_diffs();
DROP TABLE orders, orders_i, ox_log;
DROP SCHEMA fx CASCADE;
DROP FUNCTION fact_diff(regclass, text);
DROP EXTENSION dataeng CASCADE;
