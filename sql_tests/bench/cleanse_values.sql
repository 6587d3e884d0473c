-- Benchmark: each value cleanser over :rows x 5 messy values (at least 1M)
-- against lower(text) over the same column: whole query time, median of 3.
-- Target (issue): each costs at most 3x lower().
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

-- one column per kind of value, realistic dirt in each
CREATE TABLE bench_values AS
SELECT (ARRAY['  José   García ', 'ANNA-LENA  müller', 'o''BRIEN', e'Zoë\u200b Smith', 'mcdonald', 'van der berg'])[1 + g % 6] || g AS name,
       (ARRAY['  Ada.Lovelace+news@Gmail.COM ', 'bob@EXAMPLE.org', 'user' , 'x@bücher.de'])[1 + g % 4] || '' AS email,
       (ARRAY['(202) 555-0143', '+44 20 7946 0958', '06 12 34 56 78', '555-0100'])[1 + g % 4] AS phone,
       (ARRAY['24/11/2026', '2026-11-24', 'Nov 24, 2026', '24.11.26', 'Tue, 24 Nov 2026 10:00:00 +0100', 'garbage'])[1 + g % 6] AS day,
       (ARRAY['1,234.56', '1.234,56', '(12.50)', '12%', '€ 19,99', 'n/a'])[1 + g % 6] AS amount,
       (ARRAY['2.5 lbs', '500 g', '1.2kg', '3 oz', '12 pounds', '?'])[1 + g % 6] AS weight
  FROM generate_series(1, greatest(:rows * 5, 1000000)) g;
VACUUM ANALYZE bench_values;

CREATE TEMP TABLE t (what text, anchor text, secs float8);
CREATE PROCEDURE bench_cleanse_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
  c record;
BEGIN
  FOR rep IN 1..3 LOOP
    FOR c IN SELECT * FROM (VALUES
        ('clean_text', 'name', 'dataeng.clean_text(name)'),
        ('fold_accents', 'name', 'dataeng.fold_accents(name)'),
        ('name_case', 'name', 'dataeng.name_case(name)'),
        ('fingerprint', 'name', 'dataeng.fingerprint(name)'),
        ('ngram_fingerprint', 'name', 'dataeng.ngram_fingerprint(name)'),
        ('normalize_email', 'email', 'dataeng.normalize_email(email, true)'),
        ('to_e164', 'phone', 'dataeng.to_e164(phone, ''US'')'),
        ('parse_date', 'day', 'dataeng.parse_date(day, ''DMY'')'),
        ('parse_timestamp', 'day', 'dataeng.parse_timestamp(day, ''DMY'')'),
        ('parse_number', 'amount', 'dataeng.parse_number(amount)'),
        ('parse_quantity', 'weight', '(dataeng.parse_quantity(weight)).value'),
        ('lower', 'name', 'lower(name)'), ('lower', 'email', 'lower(email)'), ('lower', 'phone', 'lower(phone)'),
        ('lower', 'day', 'lower(day)'), ('lower', 'amount', 'lower(amount)'), ('lower', 'weight', 'lower(weight)')
      ) v(what, col, expr) LOOP
      t0 := clock_timestamp();
      EXECUTE format('SELECT count(%s) FROM bench_values', c.expr) INTO n;
      INSERT INTO t VALUES (c.what, c.col, extract(epoch FROM clock_timestamp() - t0));
    END LOOP;
  END LOOP;
END $$;
CALL bench_cleanse_run();

\echo 'Value cleansers: query time (median of 3) against lower() over the same column'
WITH m AS (SELECT what, anchor, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs FROM t GROUP BY what, anchor)
SELECT c.what AS cleanser, c.anchor AS column, round(c.secs::numeric, 3) AS secs, round(l.secs::numeric, 3) AS lower_secs,
       round((c.secs / l.secs)::numeric, 2) AS ratio,
       CASE WHEN c.secs <= 3 * l.secs THEN 'met' ELSE 'MISSED' END AS target_3x
  FROM m c JOIN m l ON l.what = 'lower' AND l.anchor = c.anchor
 WHERE c.what <> 'lower' ORDER BY ratio DESC;

DROP PROCEDURE bench_cleanse_run;
DROP TABLE bench_values;
DROP EXTENSION dataeng;
