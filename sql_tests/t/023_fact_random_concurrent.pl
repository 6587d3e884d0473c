# The randomized differential check of sql_tests/facts_random_diff.sql
# (seven facts of every measure and dimension kind) under concurrency:
# writers committing random changes all the while, refreshes of random facts
# cut short by statement_timeout and by pg_cancel_backend(), two facts
# filled by fact_backfill() in batches (also cut short) while written to,
# one fact refreshed by the scheduler, and a crash (immediate stop) in the
# middle of it all.  After the writers stop and everything is applied, each
# fact equals its GROUP BY row for row (rd.check() records the differences).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('factrandom');
$node->init;
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'\nmax_connections = 30\n");
$node->start;

# The schema, the source, the facts, the views of each fact and of its GROUP
# BY and rd.check(), from the regress test; f3 and f6 left to fact_backfill
my $sql = slurp_file("$FindBin::Bin/../facts_random_diff.sql");
$sql =~ /(CREATE SCHEMA rd;.*?)-- one random batch of changes/s or die 'setup not found';
my $setup = $1;
$setup =~ s/(fact_create\('rd\.f[36]'.*?schedule => NULL)\)/$1, backfill => 'later')/sg;
$node->safe_psql('postgres', "CREATE EXTENSION dataeng;\n" . $setup . q{
CREATE PROCEDURE rd.w(k int, op int) LANGUAGE plpgsql AS $$
DECLARE r rd.src := rd.rand_row(k);
BEGIN
  IF op = 0 THEN DELETE FROM rd.src WHERE id = k;
  ELSIF op = 1 THEN INSERT INTO rd.src SELECT (r).* ON CONFLICT (id) DO NOTHING;
  ELSIF op = 2 THEN
    UPDATE rd.src SET ts = r.ts, gi = r.gi, gc = r.gc, gt = r.gt, d = r.d, tl = r.tl, t2 = r.t2, gn = r.gn, gk = r.gk
     WHERE id = k;
  ELSIF op = 3 THEN
    BEGIN
      UPDATE rd.src SET id = id + 5000, vn = r.vn WHERE id = k;
      UPDATE rd.src SET id = id - 5000, vc = r.vc WHERE id = k + 5000;
    EXCEPTION WHEN unique_violation THEN NULL;
    END;
  ELSIF op = 4 THEN
    BEGIN
      UPDATE rd.src SET vi = r.vi, gn = r.gn WHERE id = k;
      RAISE EXCEPTION 'undo';
    EXCEPTION WHEN raise_exception THEN NULL;
    END;
    UPDATE rd.src SET vf = r.vf, vt = r.vt, vz = r.vz, vd = r.vd WHERE id = k;
  ELSE
    UPDATE rd.src SET vi = r.vi, vb = r.vb, vn = r.vn, vf = r.vf, vt = r.vt, vc = r.vc WHERE id = k;
  END IF;
END $$;
-- n transactions of two random changes each; deadlocks between writers retried
CREATE PROCEDURE rd.writers(n int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1 .. n LOOP
    BEGIN
      CALL rd.w(1 + floor(random() * 400)::int, floor(random() * 6)::int);
      CALL rd.w(1 + floor(random() * 400)::int, floor(random() * 6)::int);
    EXCEPTION WHEN deadlock_detected THEN NULL;
    END;
    COMMIT;
    PERFORM pg_sleep(0.005);
  END LOOP;
END $$;
SELECT dataeng.schedule('fact_refresh:rd.f7', '1 second', $$SELECT dataeng.fact_refresh('rd.f7')$$);
});
$node->safe_psql('postgres', 'CALL rd.check(0)');
is($node->safe_psql('postgres', q{SELECT count(*) FROM rd.bad WHERE fact NOT IN ('f3', 'f6')}), '0',
	'the facts backfilled at creation equal their GROUP BY');
$node->safe_psql('postgres', 'TRUNCATE rd.bad');

# psql scripts of many statements, each with a random statement_timeout; an
# error (a timeout, a cancel) goes on to the next statement
sub script
{
	my ($n, $stmt) = @_;
	my $s = "SET client_min_messages = warning;\n";
	for (1 .. $n)
	{
		$s .= sprintf("SET statement_timeout = %d;\n", 20 + int(rand(1500)));
		$s .= $stmt->() . "\n";
	}
	return $s;
}
my $refreshes = script(400, sub { sprintf("SELECT dataeng.fact_refresh('rd.f%d');", 1 + int(rand(6))) });
my $backfills = script(200,
	sub { sprintf("CALL dataeng.fact_backfill('rd.f%d', batch => '%d hours');", rand() < 0.5 ? 3 : 6, 1 + int(rand(8))) });

# start(): the writers, two refreshers and the backfiller, each a session of
# its own (application_name says which)
my (@procs, @errs);
sub start
{
	my $connstr = $node->connstr('postgres');
	for my $w ([ 'writer', 'CALL rd.writers(100000);' ], [ 'writer', 'CALL rd.writers(100000);' ],
		[ 'refresher', $refreshes ], [ 'refresher', $refreshes ], [ 'backfiller', $backfills ])
	{
		my ($app, $script) = @$w;
		# (a file: each statement on its own, an error does not end the script)
		my $file = $node->basedir . "/$app.sql";
		append_to_file($file, $script) unless -e $file;
		my $out = '';
		push @errs, '';
		push @procs,
		  IPC::Run::start([ 'psql', '-X', '-q', '-d', "$connstr application_name=$app", '-f', $file ],
			'>', \$out, '2>', \$errs[-1]);
	}
}

# cancels(n): n cancels of a refresh or a backfill batch under way, spaced out
sub cancels
{
	my ($n) = @_;
	for (1 .. $n)
	{
		$node->safe_psql('postgres', q{SELECT pg_sleep(0.3 + random());
			SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity
			 WHERE application_name IN ('refresher', 'backfiller') AND state = 'active'
			   AND query ~ 'fact_(refresh|backfill)' AND random() < 0.5});
	}
}

start();
cancels(20);
# a crash with all of it under way
$node->stop('immediate');
$_->finish for @procs;
@procs = ();
$node->start;
start();
cancels(20);
# the writers stop; what the others are doing is cut short
$node->safe_psql('postgres', q{SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	WHERE application_name IN ('writer', 'refresher', 'backfiller')});
$_->finish for @procs;

my $cancelled = () = join('', @errs) =~ /canceling statement/g;
note "statements cancelled: $cancelled";
ok($cancelled > 0, 'refreshes and backfill batches were cancelled');
my $done = $node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.facts WHERE backfilled_upto IS NOT NULL});
note "facts still being backfilled: $done";
$node->safe_psql('postgres', "SET client_min_messages = warning; CALL dataeng.fact_backfill('rd.f$_')") for (3, 6);
$node->safe_psql('postgres', q{SELECT dataeng.job_pause('fact_refresh:rd.f7')});
# (a scheduled run may still be finishing: its refresh serializes with ours)
$node->safe_psql('postgres', q{SELECT dataeng.fact_refresh('rd.f' || n) FROM generate_series(1, 7) n});
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.facts WHERE name LIKE 'rd.%' AND pending_changes = 0
	AND backfilled_upto IS NULL}), '7', 'every change applied, every fact backfilled');
ok($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.job_runs WHERE status = 'succeeded'}) > 0,
	'the scheduler refreshed rd.f7');
$node->safe_psql('postgres', 'CALL rd.check(1)');
is($node->safe_psql('postgres', 'SELECT count(*) FROM rd.bad'), '0', 'the facts equal their GROUP BY after it all');
diag($node->safe_psql('postgres', 'SELECT * FROM rd.bad ORDER BY fact, row LIMIT 20'))
  if $node->safe_psql('postgres', 'SELECT count(*) FROM rd.bad') ne '0';
note $node->safe_psql('postgres', q{SELECT name, total_changes, last_refresh_path FROM dataeng.facts ORDER BY name});
ok($node->safe_psql('postgres', q{SELECT min(total_changes) FROM dataeng.facts}) > 200,
	'every fact applied changes');

$node->stop;
done_testing();
