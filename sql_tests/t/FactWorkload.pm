# The workload the fact crash tests share (020_fact_crash.pl,
# 021_fact_scheduled_crash.pl): a source table of 2,000 rows, fact "f" by
# hour and k with count(*), sum(v) and max(v), diff() comparing it with its
# GROUP BY (0 when equal), and burst(n), n small committed transactions
# that update, delete and insert rows.
package FactWorkload;

use strict;
use warnings;

# The SQL that sets it up; $schedule is fact_create's schedule argument.
sub setup_sql
{
	my ($schedule) = @_;
	return qq{
	CREATE EXTENSION dataeng;
	SET TimeZone = 'UTC';
	CREATE TABLE src (id int PRIMARY KEY, at timestamptz NOT NULL, k text, v numeric);
	INSERT INTO src SELECT g, '2026-01-01 00:00+00'::timestamptz + g * interval '13 minutes', 'k' || g % 5, g
	  FROM generate_series(1, 2000) g;
	SELECT dataeng.fact_create('f', 'src', 'at', 'hour', ARRAY['k'],
	                           ARRAY['count(*)', 'sum(v)', 'max(v)'], schedule => $schedule);
	CREATE FUNCTION diff() RETURNS bigint LANGUAGE sql AS \$\$
	  SELECT count(*) FROM (
	    (SELECT bucket, k, count, sum_v, max_v FROM f
	     EXCEPT ALL SELECT date_trunc('hour', at, 'UTC'), k, count(*), sum(v), max(v) FROM src GROUP BY 1, 2)
	    UNION ALL
	    (SELECT date_trunc('hour', at, 'UTC'), k, count(*), sum(v), max(v) FROM src GROUP BY 1, 2
	     EXCEPT ALL SELECT bucket, k, count, sum_v, max_v FROM f)) x
	\$\$;
	CREATE PROCEDURE burst(n int) LANGUAGE plpgsql AS \$\$
	BEGIN
	  FOR i IN 1 .. n LOOP
	    UPDATE src SET v = v + 1, k = 'k' || (i % 7) WHERE id = 1 + (i * 37) % 2000;
	    DELETE FROM src WHERE id = 1 + (i * 53) % 2000;
	    INSERT INTO src VALUES (100000 + i, '2026-01-05 00:00+00'::timestamptz - i * interval '3 minutes', 'k' || i % 3, i)
	      ON CONFLICT (id) DO NOTHING;
	    COMMIT;
	  END LOOP;
	END \$\$;
	};
}

1;
