-- Strict dates: the whole text matches the format, the date exists.
CREATE EXTENSION dataeng;
\set SHOW_CONTEXT never
\pset null '(null)'

SELECT v, f, dataeng.is_date(v, f) AS valid, dataeng.date_problem(v, f) AS problem
  FROM (VALUES ('2026-11-24', 'YYYY-MM-DD'), ('2026-02-30', 'YYYY-MM-DD'),
               ('2024-02-29', 'YYYY-MM-DD'), ('2026-02-29', 'YYYY-MM-DD'), ('1900-02-29', 'YYYY-MM-DD'),
               ('2000-02-29', 'YYYY-MM-DD'), ('2026-13-01', 'YYYY-MM-DD'), ('2026-11-24x', 'YYYY-MM-DD'),
               ('2026-1-24', 'YYYY-MM-DD'), ('2026-1-24', 'YYYY-FMMM-DD'), ('2026/11/24', 'YYYY-MM-DD'),
               ('24/11/2026', 'DD/MM/YYYY'), ('11/24/2026', 'DD/MM/YYYY'), ('11/24/2026', 'MM/DD/YYYY'),
               ('24.11.26', 'DD.MM.YY'), ('20261124', 'YYYYMMDD'), ('2026112', 'YYYYMMDD'),
               ('Nov 24, 2026', 'Mon DD, YYYY'), ('nov 24, 2026', 'Mon DD, YYYY'),
               ('November 24, 2026', 'Month DD, YYYY'), ('Novembre 24, 2026', 'Month DD, YYYY'),
               ('Tue, 24 Nov 2026', 'Dy, DD Mon YYYY'), ('Wed, 24 Nov 2026', 'Dy, DD Mon YYYY'),
               ('Tuesday 24 November 2026', 'Day DD Month YYYY'),
               ('2026-11-24 13:45:00', 'YYYY-MM-DD HH24:MI:SS'), ('2026-11-24 24:00:00', 'YYYY-MM-DD HH24:MI:SS'),
               ('2026-11-24 01:60:00', 'YYYY-MM-DD HH24:MI:SS'), ('11/24/2026 01:45 PM', 'MM/DD/YYYY HH12:MI AM'),
               ('11/24/2026 13:45 PM', 'MM/DD/YYYY HH12:MI AM'), ('2026-11-24T13:45', 'YYYY-MM-DD"T"HH24:MI'),
               ('0000-01-01', 'YYYY-MM-DD'), ('', 'YYYY-MM-DD'), ('2026-11-24', '')) t(v, f);

-- where it is valid, to_date agrees on the date
SELECT count(*) AS checked,
       count(*) FILTER (WHERE to_date(v, f) = d) AS to_date_agrees
  FROM (SELECT to_char(d, f) AS v, f, d
          FROM generate_series(date '1999-12-25', date '2001-03-05', interval '3 days') g(d),
               unnest(ARRAY['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYYMMDD', 'Mon DD, YYYY',
                            'FMMonth FMDD, YYYY', 'Dy, DD Mon YYYY']) f) s
 WHERE dataeng.is_date(v, f);
-- and every date written by to_char is accepted back
SELECT count(*) AS written, count(*) FILTER (WHERE dataeng.is_date(to_char(d, f), f)) AS accepted
  FROM generate_series(date '1999-12-25', date '2001-03-05', interval '3 days') g(d),
       unnest(ARRAY['YYYY-MM-DD', 'DD/MM/YYYY', 'MM/DD/YYYY', 'YYYYMMDD', 'Mon DD, YYYY',
                    'FMMonth FMDD, YYYY', 'Dy, DD Mon YYYY']) f;

-- usable in a CHECK constraint
CREATE TABLE raw_orders (ordered text CHECK (dataeng.is_date(ordered, 'YYYY-MM-DD')));
INSERT INTO raw_orders VALUES ('2026-11-24');
INSERT INTO raw_orders VALUES ('2026-11-31');
-- a format it does not understand is an error of the call
SELECT dataeng.is_date('2026-W48', 'IYYY-"W"IW');
SELECT dataeng.is_date('x', '"unterminated');
-- found by fuzzing: a format ending in FM read past its end
SELECT dataeng.is_date('01', 'DDFM');
-- whatever the value: one that failed before the bad pattern was reached
-- gave false (and a CHECK constraint accepted or refused rows by it) where
-- another raised
SELECT dataeng.is_date('2026', 'YYYY Q');
-- the pattern quoted whole characters (cut at 8 bytes, the error cut one)
SELECT dataeng.is_date('2026', U&'YYYY Q\00E9\00E9\00E9\00E9');
SELECT dataeng.is_date('', 'YYYY-MM-DD "T');
SELECT dataeng.date_problem('x', 'YYYY-MM-DDFM');
CREATE TABLE raw_quarters (q text CHECK (dataeng.is_date(q, 'YYYY Q')));
INSERT INTO raw_quarters VALUES ('2026');
DROP TABLE raw_quarters;
-- rule_add checks the format on one value: it is refused now, not at a row
SELECT dataeng.rule_add('raw_orders', 'quarter', 'validator', 'ordered', '{"function": "date", "format": "YYYY Q"}');

DROP TABLE raw_orders;
DROP EXTENSION dataeng;
