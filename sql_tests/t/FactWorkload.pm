# What the fact crash tests share.
#  - setup_sql (020_fact_crash.pl, 021_fact_scheduled_crash.pl): a source
#    table of 2,000 rows, fact "f" by hour and k with count(*), sum(v) and
#    max(v), diff() comparing it with its GROUP BY (0 when equal), and
#    burst(n), n small committed transactions that update, delete and
#    insert rows (ids above 100000).
#  - refresh_loop_sql and crash_mid_burst (020_fact_crash.pl,
#    022_fact_distinct_crash.pl): a crash in the middle of a burst of
#    writers and of committed refreshes of fact "f".
package FactWorkload;

use strict;
use warnings;
use IPC::Run;

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

# refresh_loop(n): n refreshes of fact "f", each committed.
sub refresh_loop_sql
{
	return q{
	CREATE PROCEDURE refresh_loop(n int) LANGUAGE plpgsql AS $$
	BEGIN
	  FOR i IN 1 .. n LOOP
	    PERFORM dataeng.fact_refresh('f');
	    COMMIT;
	    PERFORM pg_sleep(0.02);
	  END LOOP;
	END $$;
	};
}

# A crash in the middle of a burst of writers and of refreshes: CALL
# burst(100000) and CALL refresh_loop(100000) in two sessions, a wait until
# the burst has committed about 300 transactions (300 of its rows, ids above
# 10000, are in src), a stop in immediate mode, a restart.  Returns what
# fact_refresh('f') applies after the restart; the caller compares the fact
# with its source.
sub crash_mid_burst
{
	my ($node) = @_;
	my $connstr = $node->connstr('postgres');
	my ($out1, $err1, $out2, $err2) = ('', '', '', '');
	my $w1 = IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL burst(100000)' ],
		'>', \$out1, '2>', \$err1);
	my $w2 = IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL refresh_loop(100000)' ],
		'>', \$out2, '2>', \$err2);
	$node->poll_query_until('postgres', q{SELECT count(*) >= 300 FROM src WHERE id > 10000})
	  or die 'the burst did not start';
	$node->stop('immediate');
	$w1->finish;
	$w2->finish;
	$node->start;
	return $node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('f')});
}

1;
