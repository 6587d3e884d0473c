-- Benchmark: dataeng.is_email() against the HTML5 email regex written in
-- SQL, over :rows generated addresses (x5, at least 1M).  The figure is the
-- time each adds to a plain scan.  Target: ours adds at most 1/10 of the
-- regex's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dataeng;
SET max_parallel_workers_per_gather = 0;
SET jit = off;

CREATE TABLE bench_emails AS
SELECT CASE g % 10
         WHEN 0 THEN 'user' || g || '@example.com'
         WHEN 1 THEN 'first.last' || g || '@mail.example.org'
         WHEN 2 THEN 'x' || g || '+tag@sub.domain.example.net'
         WHEN 3 THEN 'bad..dots' || g || '@example.com'
         WHEN 4 THEN 'no-at-sign' || g
         WHEN 5 THEN 'UPPER' || g || '@EXAMPLE.COM'
         WHEN 6 THEN 'space ' || g || '@example.com'
         WHEN 7 THEN 'o''brien' || g || '@example.ie'
         WHEN 8 THEN 'trailing' || g || '@example.com.'
         ELSE 'a' || g || '@b-c.d-e.example'
       END AS email
  FROM generate_series(1, greatest(:rows * 5, 1000000)) g;
VACUUM ANALYZE bench_emails;

CREATE TEMP TABLE t (what text, secs float8, n bigint);
CREATE PROCEDURE bench_email_run() LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz;
  n bigint;
BEGIN
  FOR rep IN 1..3 LOOP
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM bench_emails WHERE email IS NOT NULL;
    INSERT INTO t VALUES ('scan', extract(epoch FROM clock_timestamp() - t0), n);
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM bench_emails
     WHERE email ~ '^[a-zA-Z0-9.!#$%&''*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$';
    INSERT INTO t VALUES ('regex', extract(epoch FROM clock_timestamp() - t0), n);
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM bench_emails WHERE dataeng.is_email(email);
    INSERT INTO t VALUES ('is_email', extract(epoch FROM clock_timestamp() - t0), n);
    t0 := clock_timestamp();
    SELECT count(*) INTO n FROM bench_emails WHERE dataeng.is_email(email, 'html5');
    INSERT INTO t VALUES ('is_email_html5', extract(epoch FROM clock_timestamp() - t0), n);
  END LOOP;
END $$;
CALL bench_email_run();

\echo 'Email validation: time added to a plain scan (median of 3), seconds'
WITH m AS (SELECT what, percentile_cont(0.5) WITHIN GROUP (ORDER BY secs) AS secs, max(n) AS n
             FROM t GROUP BY what)
SELECT (SELECT n FROM m WHERE what = 'scan') AS rows,
       round((SELECT secs FROM m WHERE what = 'scan')::numeric, 3) AS scan_s,
       round((r.secs - s.secs)::numeric, 3) AS regex_added_s,
       round((e.secs - s.secs)::numeric, 3) AS is_email_added_s,
       round((h.secs - s.secs)::numeric, 3) AS is_email_html5_added_s,
       round(((r.secs - s.secs) / nullif(e.secs - s.secs, 0))::numeric, 1) AS regex_over_ours,
       CASE WHEN (e.secs - s.secs) * 10 <= (r.secs - s.secs) THEN 'met' ELSE 'MISSED' END AS target_10x
  FROM m s, m r, m e, m h
 WHERE s.what = 'scan' AND r.what = 'regex' AND e.what = 'is_email' AND h.what = 'is_email_html5';

DROP PROCEDURE bench_email_run;
DROP TABLE bench_emails;
DROP EXTENSION dataeng;
