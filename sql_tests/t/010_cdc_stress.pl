# CDC under randomized concurrent load.  pgbench clients write two captured
# tables in overlapping transactions of varying length that commit out of
# order, roll back, roll back to savepoints, truncate one table, and write
# hundreds of rows at once.  Meanwhile two consumers apply what they poll
# to replicas and acknowledge it in the same transaction (exactly once):
#   stress  all tables, 500 changes a poll, whole transactions, one client;
#   small   the source table only, 1 to 20 changes a poll, whole transactions
#           or not, two clients that reconnect for every poll and take
#           turns on the consumer;
# and a client purges the change log (small segments, so they wrap around)
# all along, and again between the polls that drain the log at the end.
# Every UPDATE and DELETE is checked, when applied, against the row the
# replica holds (its old_row must be that row), so a change applied out of
# order, twice or after a lost one fails at once.  At the end both replicas
# must equal the source, and the deliveries are checked: none twice, none
# rolled back, transactions whole and in one poll, the same changes of the
# source for both consumers, every change left in the log delivered, and
# some delivered after a change with a larger change_id.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

# The writers run a fixed number of transactions each (400 a client: 2,400,
# about 30,000 changes, some 1,700 rows of the source), however long a
# loaded machine takes; the consumers and the purger poll for
# DATAENG_STRESS_SECONDS meanwhile, and the log is drained afterwards.
# (The writers ran for that time: on a loaded machine, too few
# transactions to fill the source, and the check that it is filled failed.)
my $duration = $ENV{DATAENG_STRESS_SECONDS} // 12;
my $writer_txns = $ENV{DATAENG_STRESS_TRANSACTIONS} // 400;

my $node = PostgreSQL::Test::Cluster->new('stress');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_connections = 40
dataeng.cdc_segment_size = 2000
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v int NOT NULL, t text);
	CREATE TABLE noise (id int PRIMARY KEY, n int NOT NULL);
	CREATE TABLE rep_stress (LIKE src INCLUDING ALL);
	CREATE TABLE rep_stress_noise (LIKE noise INCLUDING ALL);
	CREATE TABLE rep_small (LIKE src INCLUDING ALL);
	SELECT dataeng.cdc_enable('src');
	SELECT dataeng.cdc_enable('noise');
	SELECT dataeng.cdc_consumer_create('stress');
	SELECT dataeng.cdc_consumer_create('small', ARRAY['src'::regclass]);
	-- every delivery, in delivery order (seq), with the consumer's
	-- transaction (poll)
	CREATE TABLE delivered (seq bigserial, consumer text, poll xid8, change_id bigint, xid xid8,
	                        tbl regclass, op "char", id int, v_new int, t_new text);
	CREATE TABLE purged (at timestamptz, segment int, n bigint);

	-- one consumer step: poll, apply, acknowledge, in one transaction;
	-- rep_<consumer> is the copy of src, rep_<consumer>_noise of noise
	CREATE FUNCTION consume(cname text, maxc int, whole boolean) RETURNS int
	LANGUAGE plpgsql AS $$
	DECLARE
	  ch record;
	  target text;
	  prev jsonb;
	  n int := 0;
	  last bigint;
	BEGIN
	  FOR ch IN SELECT * FROM dataeng.cdc_poll(cname, maxc, whole) LOOP
	    target := 'rep_' || cname || CASE WHEN ch.table_name = 'noise'::regclass THEN '_noise' ELSE '' END;
	    IF ch.op IN ('U', 'D') THEN
	      EXECUTE format('DELETE FROM %I r WHERE r.id = $1 RETURNING to_jsonb(r)', target)
	        INTO prev USING (ch.pk->>'id')::int;
	      IF prev IS DISTINCT FROM ch.old_row THEN
	        RAISE EXCEPTION 'consumer %: change % (% of % %) expected % in the replica, found %',
	          cname, ch.change_id, ch.op, ch.table_name, ch.pk, ch.old_row, prev;
	      END IF;
	    END IF;
	    IF ch.op IN ('I', 'U') THEN
	      EXECUTE format('INSERT INTO %I SELECT * FROM jsonb_populate_record(NULL::%I, $1)', target, target)
	        USING ch.new_row;
	    END IF;
	    IF ch.op = 'T' THEN
	      EXECUTE format('TRUNCATE %I', target);
	    END IF;
	    INSERT INTO delivered (consumer, poll, change_id, xid, tbl, op, id, v_new, t_new)
	    VALUES (cname, pg_current_xact_id(), ch.change_id, ch.xid, ch.table_name, ch.op,
	            (ch.pk->>'id')::int, (ch.new_row->>'v')::int, ch.new_row->>'t');
	    n := n + 1;
	    last := ch.change_id;
	  END LOOP;
	  IF last IS NOT NULL THEN
	    PERFORM dataeng.cdc_ack(cname, last);
	  END IF;
	  RETURN n;
	END $$;
});

my $dir = PostgreSQL::Test::Utils::tempdir;
my %scripts = (
	# several rows, both tables, a random pause: long transactions that
	# commit out of order
	'mixed.sql' => q{
\set a random(1, 3000)
\set b random(1, 3000)
\set c random(1, 3000)
\set k random(1, 200)
BEGIN;
INSERT INTO src VALUES (:a, 1, 'i') ON CONFLICT (id) DO UPDATE SET v = src.v + 1, t = src.t || 'x';
UPDATE src SET v = v + 10 WHERE id BETWEEN :b AND :b + 3;
INSERT INTO noise VALUES (:k, 0) ON CONFLICT (id) DO UPDATE SET n = noise.n + 1;
SELECT pg_sleep(random() * 0.03);
DELETE FROM src WHERE id = :c;
INSERT INTO src VALUES (:c, 7, NULL) ON CONFLICT (id) DO NOTHING;
COMMIT;
},
	# rolled back work
	'rollback.sql' => q{
\set a random(1, 3000)
\set k random(1, 200)
BEGIN;
INSERT INTO src VALUES (:a, -1, 'never') ON CONFLICT (id) DO UPDATE SET v = -1, t = 'never';
DELETE FROM src WHERE id = :a + 1;
DELETE FROM noise WHERE id = :k;
SELECT pg_sleep(random() * 0.01);
ROLLBACK;
},
	# savepoints rolled back inside committed transactions
	'savepoint.sql' => q{
\set a random(1, 3000)
\set b random(1, 3000)
BEGIN;
UPDATE src SET v = v + 100 WHERE id = :a;
SAVEPOINT s;
UPDATE src SET v = -100, t = 'undone' WHERE id = :b;
DELETE FROM src WHERE id = :a;
ROLLBACK TO SAVEPOINT s;
INSERT INTO src VALUES (:b, 3, 's') ON CONFLICT (id) DO UPDATE SET t = 'saved';
COMMIT;
},
	# multi-row statements
	'bulk.sql' => q{
\set a random(1, 2900)
UPDATE src SET v = v + 1 WHERE id BETWEEN :a AND :a + 50;
},
	'noise.sql' => q{
\set k random(1, 200)
INSERT INTO noise VALUES (:k, 0) ON CONFLICT (id) DO UPDATE SET n = noise.n + 1;
},
	# TRUNCATE between other changes of a transaction
	'truncate.sql' => q{
\set a random(1, 3000)
\set k random(1, 200)
BEGIN;
UPDATE src SET v = v + 1000 WHERE id = :a;
TRUNCATE noise;
INSERT INTO noise VALUES (:k, 1000);
COMMIT;
},
	# hundreds of changes in one transaction, across segments of the log
	'big.sql' => q{
\set b random(1, 1000)
BEGIN;
INSERT INTO noise SELECT g, 0 FROM generate_series(1000 * :b, 1000 * :b + 199) g ON CONFLICT (id) DO NOTHING;
DELETE FROM noise WHERE id BETWEEN 1000 * :b AND 1000 * :b + 199 AND id % 3 = 0;
COMMIT;
},
	'consume_stress.sql' => q{
SELECT consume('stress', 500, true);
},
	'consume_small.sql' => q{
\set m random(1, 20)
\set w random(0, 1)
SELECT consume('small', :m, :w = 1);
},
	'purge.sql' => q{
INSERT INTO purged SELECT now(), segment, purged_changes FROM dataeng.cdc_purge();
\sleep 100 ms
},
);
for my $f (keys %scripts)
{
	open(my $fh, '>', "$dir/$f") or die "cannot write $dir/$f: $!";
	print $fh $scripts{$f};
	close $fh;
}

my $connstr = $node->connstr('postgres');
my %run;
# deadlocks between writers are expected: pgbench retries them
$run{writers} = [
	'pgbench', '-n', '-c', '6', '-j', '2', '-t', $writer_txns, '--max-tries=50',
	'-f', "$dir/mixed.sql\@24", '-f', "$dir/rollback.sql\@8", '-f', "$dir/savepoint.sql\@8",
	'-f', "$dir/bulk.sql\@4", '-f', "$dir/noise.sql\@8", '-f', "$dir/truncate.sql\@2",
	'-f', "$dir/big.sql\@1", $connstr
];
$run{stress} = [ 'pgbench', '-n', '-c', '1', '-T', $duration, '-f', "$dir/consume_stress.sql", $connstr ];
# -C: a new connection for every poll
$run{small} =
  [ 'pgbench', '-n', '-C', '-c', '2', '-T', $duration, '-f', "$dir/consume_small.sql", $connstr ];
$run{purger} = [ 'pgbench', '-n', '-c', '1', '-T', $duration, '-f', "$dir/purge.sql", $connstr ];

my (%h, %out, %err);
for my $name (sort keys %run)
{
	($out{$name}, $err{$name}) = ('', '');
	$h{$name} = IPC::Run::start($run{$name}, '>', \$out{$name}, '2>', \$err{$name});
}
for my $name (sort keys %run)
{
	$h{$name}->finish;
	is($h{$name}->result(0), 0, "pgbench $name ran without an error") or diag($err{$name});
}
my ($txns) = $out{writers} =~ /number of transactions actually processed: (\d+)/;
diag("writer transactions (committed or rolled back): " . ($txns // '?'));

# drain what is left, purging as the consumers go (on a busy machine the
# slower consumer may have held every segment back during the load), as
# long as one of them is far behind: what the last polls deliver stays in
# the log for the checks
my $purged_live = $node->safe_psql('postgres', 'SELECT coalesce(sum(n), 0) FROM purged');
my ($zeros, $rounds, $far) = (0, 0, 1);
DRAIN: while ($zeros < 2 && $rounds++ < 1000)
{
	my $got = 0;
	$node->safe_psql('postgres',
		'INSERT INTO purged SELECT now(), segment, purged_changes FROM dataeng.cdc_purge()')
	  if $far;
	$far = 0;
	for my $c ('stress', 'small')
	{
		my ($ret, $n, $stderr) = $node->psql('postgres', "SELECT consume('$c', 1000, true)");
		if ($ret != 0)
		{
			fail("consumer $c drains the log");
			diag($stderr);
			last DRAIN;
		}
		$got += $n;
		$far = 1 if $n >= 1000;
	}
	$zeros = $got == 0 ? $zeros + 1 : 0;
}

my ($applied_stress, $applied_small, $ooo, $purged_early) = split /\|/, $node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM delivered WHERE consumer = 'stress'),
	       (SELECT count(*) FROM delivered WHERE consumer = 'small'),
	       (SELECT count(*) FROM (SELECT change_id < max(change_id) OVER (ORDER BY seq ROWS BETWEEN
	                                UNBOUNDED PRECEDING AND 1 PRECEDING) AS late
	                                FROM delivered WHERE consumer = 'stress') s WHERE late),
	       (SELECT coalesce(sum(n), 0) FROM purged)});
diag("changes applied: stress $applied_stress, small $applied_small; "
	  . "delivered after a larger change_id: $ooo; "
	  . "purged during the load: $purged_live, and while draining: " . ($purged_early - $purged_live));
cmp_ok($applied_stress, '>', 5000, 'the consumers applied a real load');
cmp_ok($ooo, '>', 0, 'some changes committed out of change_id order (and were not lost)');
# (whether the purges during the load and the drain found a segment every
# consumer had acknowledged depends on timing; the purge under pending
# changes is asserted deterministically at the end)

# the replicas
for my $pair ([ 'src', 'rep_stress' ], [ 'noise', 'rep_stress_noise' ], [ 'src', 'rep_small' ])
{
	my ($s, $r) = @$pair;
	is($node->safe_psql('postgres', qq{
		SELECT (SELECT count(*) FROM (TABLE $s EXCEPT TABLE $r) a) || ' ' ||
		       (SELECT count(*) FROM (TABLE $r EXCEPT TABLE $s) b) || ' ' ||
		       ((SELECT count(*) FROM $s) = (SELECT count(*) FROM $r))}),
		'0 0 true', "$r equals $s (both ways, same row count)")
	  or diag($node->safe_psql('postgres', qq{
		WITH bad AS (SELECT id FROM (TABLE $s EXCEPT TABLE $r) a
		             UNION SELECT id FROM (TABLE $r EXCEPT TABLE $s) b)
		SELECT 'log', l.change_id, l.xid, l.op, l.old_row, l.new_row, NULL
		  FROM dataeng_internal.change_log l, bad
		 WHERE l.table_oid = '$s'::regclass AND (l.pk->>'id')::int = bad.id
		UNION ALL
		SELECT 'delivered', d.change_id, d.xid, d.op, NULL, to_jsonb(d), d.seq
		  FROM delivered d, bad WHERE d.tbl = '$s'::regclass AND d.id = bad.id
		ORDER BY 1, 2}));
}
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM src'), '>', 1000, 'the source is not empty');

# the deliveries
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT 1 FROM delivered GROUP BY consumer, change_id HAVING count(*) > 1) d}),
	'0', 'no change delivered twice to a consumer');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM delivered WHERE v_new < 0 OR t_new IN ('never', 'undone')}),
	'0', 'no rolled-back change delivered');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT change_id FROM delivered WHERE consumer = 'stress' AND tbl = 'src'::regclass
	                      EXCEPT SELECT change_id FROM delivered WHERE consumer = 'small') a}) . ' '
	  . $node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT change_id FROM delivered WHERE consumer = 'small'
	                      EXCEPT SELECT change_id FROM delivered WHERE consumer = 'stress') a}),
	'0 0', 'both consumers got the same changes of the source');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng_internal.change_log l
	 WHERE NOT EXISTS (SELECT 1 FROM delivered d WHERE d.consumer = 'stress' AND d.change_id = l.change_id)}),
	'0', 'every change left in the log was delivered ('
	  . $node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.change_log') . ' changes)');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT xid FROM delivered WHERE consumer = 'stress'
	                       GROUP BY xid HAVING count(DISTINCT poll) > 1) s}),
	'0', 'whole transactions: each in one poll');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM (SELECT xid IS DISTINCT FROM lag(xid) OVER (ORDER BY seq) AS starts
	                                FROM delivered WHERE consumer = 'stress') s WHERE starts)
	     - (SELECT count(DISTINCT xid) FROM delivered WHERE consumer = 'stress')}),
	'0', 'a transaction\'s changes are delivered together');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT change_id < lag(change_id) OVER (PARTITION BY consumer, xid ORDER BY seq) AS back
	                        FROM delivered) s WHERE back}),
	'0', 'a transaction\'s changes in change_id order');
is($node->safe_psql('postgres', q{SELECT string_agg(pending_changes::text, ' ' ORDER BY name) FROM dataeng.cdc_consumers}),
	'0 0', 'nothing pending');

# retention, deterministically: the purges during the load and the drain
# may already have emptied every full segment, so write a known batch of
# 2 * cdc_segment_size + 1 changes of the source (both consumers follow it),
# let both consumers apply and acknowledge it, and purge: the batch covers
# at least one whole segment, which every consumer has now acknowledged.
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.change_log');
$node->safe_psql('postgres',
	"INSERT INTO src SELECT g, 5, 'tail' FROM generate_series(1000001, 1004001) g");
for my $c ('stress', 'small')
{
	my ($n, $total) = (1, 0);
	$total += ($n = $node->safe_psql('postgres', "SELECT consume('$c', 1000, false)")) while $n > 0;
	is($total, 4001, "consumer $c applied the final batch");
}
is($node->safe_psql('postgres', q{SELECT string_agg(pending_changes::text, ' ' ORDER BY name) FROM dataeng.cdc_consumers}),
	'0 0', 'nothing pending after the final batch');
# a later transaction neither consumer has seen: the purge must keep it
$node->safe_psql('postgres', "UPDATE src SET t = 'after purge' WHERE id BETWEEN 1004000 AND 1004001");
$node->safe_psql('postgres', "DELETE FROM src WHERE id = 1003999");
is($node->safe_psql('postgres', q{SELECT string_agg(pending_changes::text, ' ' ORDER BY name) FROM dataeng.cdc_consumers}),
	'3 3', 'three changes pending for each consumer before the purge');
my $purged = $node->safe_psql('postgres', 'SELECT coalesce(sum(purged_changes), 0) FROM dataeng.cdc_purge()');
cmp_ok($purged, '>=', 2000,
	"purge truncated acknowledged segments while changes were pending ($purged changes; $before in the log before the batch)");
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM dataeng_internal.change_log'), '<=', $before + 4001 + 3 - 2000,
	'the purged changes left the log');
is($node->safe_psql('postgres', q{SELECT string_agg(pending_changes::text, ' ' ORDER BY name) FROM dataeng.cdc_consumers}),
	'3 3', 'the pending changes survived the purge');
for my $c ('stress', 'small')
{
	is($node->safe_psql('postgres', "SELECT consume('$c', 1000, true)"), 3,
		"consumer $c applied the changes written after its last acknowledgement");
}
for my $r ('rep_stress', 'rep_small')
{
	is($node->safe_psql('postgres', qq{
		SELECT (SELECT count(*) FROM (TABLE src EXCEPT TABLE $r) a) + (SELECT count(*) FROM (TABLE $r EXCEPT TABLE src) b)}),
		'0', "$r still equals src after the final batch");
}

$node->stop;
done_testing();
