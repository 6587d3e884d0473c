-- parse_date / parse_timestamp: a day name must be the date's.  It was
-- skipped as noise, so "Mon, 24 Nov 2026" (24 November 2026 is a Tuesday)
-- gave 24 November: the text names two dates, and either may be the typo
-- (RFC 5322: the day of the week must be the one the date implies).
CREATE EXTENSION dataeng;
\pset null '(null)'

SELECT x, dataeng.parse_date(x) AS date, dataeng.parse_timestamp(x) AT TIME ZONE 'UTC' AS at_utc
  FROM unnest(ARRAY['Tue, 24 Nov 2026', 'Mon, 24 Nov 2026',
                    'Tue, 24 Nov 2026 10:00:00 +0100', 'Mon, 24 Nov 2026 10:00:00 +0100',
                    'Tuesday 24 November 2026', 'Wednesday, November 24, 2026',
                    'TUE 24 NOV 2026', 'Tues. 11/24/2026', 'Thu 11/24/2026',
                    'Tue Mon 24 Nov 2026', 'Tue tue 24 Nov 2026',
                    'Tue 29 Feb 2000', 'Fri 29 Feb 2000',      -- 2000 is a leap year
                    'Mon 1 Jan 0001', 'Sun 1 Jan 0001',        -- proleptic Gregorian
                    'Fri 31 Dec 9999', 'Sat 31 Dec 9999',
                    'Thu Sep 25 10:36:28 2003', 'Fri Sep 25 10:36:28 2003']) x;

-- the DMY and MDY readings of one text fall on different days
SELECT dataeng.parse_date('Tue 10/11/2026', 'DMY') AS dmy_tuesday,
       dataeng.parse_date('Tue 10/11/2026', 'MDY') AS mdy_not_tuesday,
       dataeng.parse_date('Sun 10/11/2026', 'MDY') AS mdy_sunday;

SET client_min_messages = warning;
DROP EXTENSION dataeng CASCADE;
