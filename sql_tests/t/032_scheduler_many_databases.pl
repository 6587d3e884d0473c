# No idle worker per database: ten databases with the extension on
# max_worker_processes = 8 all get their turn at running their every-second
# jobs; a database with no job due holds no worker (only the launcher
# runs); and a job scheduled later in an idle database starts at once (not
# at the launcher's next look).
#
# The machine may be loaded: the test waits for what must happen (with a
# generous deadline) rather than counting what happened in a fixed time.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $ndb = 10;
my $node = PostgreSQL::Test::Cluster->new('sched_many');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 8
dataeng.launcher_naptime = 600
log_min_messages = log
});
$node->start;

my @dbs = map { "db$_" } 1 .. $ndb;
for my $db (@dbs)
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, q{
		CREATE EXTENSION dataeng;
		CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp());
		SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES');
	});
}
for my $db (@dbs)
{
	ok($node->poll_query_until($db, q{SELECT count(*) > 0 FROM ticks}), "the job of $db runs");
}

# every database's every-second job runs at least three more times (with a
# scheduler per database, the two that get no worker slot never would);
# dataeng's workers are counted meanwhile, for at least five seconds
my %before = map { $_ => $node->safe_psql($_, 'SELECT count(*) FROM ticks') } @dbs;
my %ran = map { $_ => 0 } @dbs;
my ($samples, $max_workers, $max_sched) = (0, 0, 0);
my $t_start = time();
my $deadline = $t_start + $PostgreSQL::Test::Utils::timeout_default;
while (time() < $deadline)
{
	my ($w, $s) = split /\|/, $node->safe_psql('postgres', q{
		SELECT count(*), count(*) FILTER (WHERE backend_type = 'dataeng scheduler')
		  FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %'});
	$max_workers = $w if $w > $max_workers;
	$max_sched = $s if $s > $max_sched;
	$samples++;
	# (the databases are looked at every fourth sample: a connection to
	# each is slow on a loaded machine, and the samples would be few)
	next if $samples % 4;
	for my $db (grep { $ran{$_} < 3 } @dbs)
	{
		$ran{$db} = $node->safe_psql($db, 'SELECT count(*) FROM ticks') - $before{$db};
	}
	last if time() - $t_start >= 5 && !grep { $ran{$_} < 3 } @dbs;
}
continue
{
	sleep 0.5;
}
my $secs = sprintf('%.1f', time() - $t_start);
for my $db (@dbs)
{
	# every database gets its turn, however loaded the machine
	cmp_ok($ran{$db}, '>=', 3, "$db: its every-second job ran again at least 3 times ($secs s)");
	# a run may be waiting for a worker slot (shown as 'waiting'), never failed
	is($node->safe_psql($db, q{SELECT count(*) FROM dataeng.job_runs WHERE status NOT IN ('succeeded', 'running', 'waiting')}),
		'0', "$db: no run failed");
}
cmp_ok($max_workers, '<=', 8, "at most max_worker_processes dataeng workers ($max_workers, $samples samples)");
cmp_ok($max_sched, '<', $ndb, "never a scheduler per database at once (at most $max_sched)");

# no job due: within seconds the launcher is dataeng's only worker
for my $db (@dbs)
{
	$node->safe_psql($db, q{SELECT dataeng.job_pause('tick')});
}
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %'}),
	'with no job due, only the launcher runs');
my $extra = 0;
for (1 .. 20)
{
	$extra++ if $node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %' AND backend_type <> 'dataeng launcher'}) > 0;
	sleep 0.1;
}
is($extra, 0, 'and stays so (two seconds of samples)');
diag("dataeng workers at most $max_workers, schedulers at most $max_sched");

# a job due in an idle database starts at once
my $n3 = $node->safe_psql('db3', 'SELECT count(*) FROM ticks');
my $t0 = $node->safe_psql('db3', q{SELECT clock_timestamp() FROM (SELECT dataeng.job_run_now('tick')) s});
ok($node->poll_query_until('db3', qq{SELECT count(*) > $n3 FROM ticks}), 'run_now in an idle database runs');
# at once: its run started (the scheduler's pass, as the server records it:
# the polling above may be slow on a loaded machine) within half a minute
# (starting a scheduler and a worker on a loaded machine may take
# seconds), not at the launcher's next look (up to a minute: a scheduler
# that left asks to be started again within one)
my $delay = $node->safe_psql('db3', qq{
	SELECT round(extract(epoch FROM r.started_at - '$t0'::timestamptz), 2)
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'tick' ORDER BY r.run_id DESC LIMIT 1});
cmp_ok($delay, '<', 30, "at once, not at the launcher's next look ($delay s)");

# a job due in a minute: the launcher starts a scheduler there when it is due
$node->safe_psql('db5', q{
	SELECT dataeng.schedule('soon', '2 seconds', 'INSERT INTO ticks DEFAULT VALUES');
});
my $n5 = $node->safe_psql('db5', 'SELECT count(*) FROM ticks');
ok($node->poll_query_until('db5', qq{SELECT count(*) >= $n5 + 2 FROM ticks}), 'an interval job runs on schedule, twice');

$node->stop;
done_testing();
