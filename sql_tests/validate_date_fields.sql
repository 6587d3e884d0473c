-- is_date reads a format that names a field twice, a meridiem with HH24,
-- and two-digit years as to_date() does (helper 6's trial).
CREATE EXTENSION dataeng;
-- a field given twice must say the same both times: the last value read
-- won, so '01 2026 02' was a date of 'MM YYYY MM' (to_date() refuses it:
-- conflicting values for "MM" field)
SELECT v, f, dataeng.is_date(v, f) AS ok, dataeng.date_problem(v, f) AS problem
  FROM (VALUES ('01 2026 02', 'MM YYYY MM'), ('01 2026 01', 'MM YYYY MM'),
               ('Jan 2026 02', 'Mon YYYY MM'), ('February 2026 02', 'Month YYYY MM'),
               ('2026-01-02 03', 'YYYY-MM-DD DD'), ('2026-01-02 02', 'YYYY-MM-DD DD'),
               ('99 2099', 'YY YYYY'), ('26 2026', 'YY YYYY'),
               ('Mon Tue 2026-03-02', 'Dy Dy YYYY-MM-DD'), ('Monday Mon 2026-03-02', 'Day Dy YYYY-MM-DD'),
               ('10:30 10:31', 'HH24:MI HH24:MI'), ('10 22', 'HH12 HH24'),
               ('10:00:01 10:00:02', 'HH24:MI:SS HH24:MI:SS'),
               ('10 AM PM', 'HH12 AM PM')) t(v, f);
-- AM or PM makes the clock a 12-hour one, whatever the hour's pattern:
-- '13:00 PM' was a time of 'HH24:MI PM' (to_date(): hour "13" is
-- invalid for the 12-hour clock)
SELECT v, f, dataeng.is_date(v, f) AS ok, dataeng.date_problem(v, f) AS problem
  FROM (VALUES ('13:00 PM', 'HH24:MI PM'), ('00:30 AM', 'HH24:MI AM'), ('12:30 AM', 'HH24:MI AM'),
               ('1:30 pm', 'FMHH24:MI am'), ('13:00', 'HH24:MI')) t(v, f);
-- a two-digit year is the one nearest 2020, as to_date() reads it (99 is
-- 1999): 4 January 1999 was a Monday, 4 January 2099 is a Sunday, and the
-- day name was checked against 2099
SELECT v, dataeng.is_date(v, 'Dy DD-MM-YY') AS ok, dataeng.date_problem(v, 'Dy DD-MM-YY') AS problem,
       to_date(substr(v, 5), 'DD-MM-YY') AS to_date
  FROM (VALUES ('Mon 04-01-99'), ('Sun 04-01-99'), ('Mon 05-01-26'), ('Sat 01-01-00'),
               ('Thu 01-01-70'), ('Tue 31-12-69'), ('Wed 31-12-69')) t(v);
-- leap days of two-digit years: 00 is 2000, a leap year
SELECT dataeng.is_date('29-02-00', 'DD-MM-YY') AS y2000, dataeng.is_date('29-02-96', 'DD-MM-YY') AS y1996,
       dataeng.is_date('29-02-97', 'DD-MM-YY') AS y1997;
SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
