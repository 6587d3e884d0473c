# No idle worker per database: ten databases with the extension on
# max_worker_processes = 8 all get their turn at running their every-second
# jobs; a database with no job due holds no worker (only the launcher
# runs); and a job scheduled later in an idle database starts at once (not
# at the launcher's next look).
#
# The machine may be loaded: the test waits for what must happen (with a
# generous deadline) rather than counting what happened in a fixed time.
# It looks through a session per database, opened once: a psql started for
# each look (and a backend for it) cost more CPU than the scheduling it
# watched, and made the looks few.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use NodePoll;
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
	});
}
# (the jobs once every database is made: those of the first ones ran
# meanwhile, for nothing the test looks at)
for my $db (@dbs)
{
	$node->safe_psql($db, q{SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES')});
}

# a session per database, and one in postgres that samples dataeng's
# workers (each query gets the whole timeout, not the session)
my %sess;
for my $db ('postgres', @dbs)
{
	$sess{$db} = $node->background_psql($db);
	$sess{$db}->set_query_timer_restart;
}

# wait_true($query, @dbs): runs $query (a boolean) in each of @dbs until
# it is true there, at NodePoll's pace and for as long as NodePoll waits;
# the databases where it never was
sub wait_true
{
	my ($query, @in) = @_;
	my %left = map { $_ => 1 } @in;
	my $start = time();
	my $end = NodePoll::deadline();
	while (1)
	{
		for my $db (grep { $left{$_} } @in)
		{
			delete $left{$db} if $sess{$db}->query_safe($query) eq 't';
		}
		last if !%left || time() >= $end;
		sleep(NodePoll::pause_us(time() - $start) / 1e6);
	}
	return wantarray ? %left : scalar(keys %left);
}

my %never = wait_true(q{SELECT count(*) > 0 FROM ticks}, @dbs);
for my $db (@dbs)
{
	ok(!$never{$db}, "the job of $db runs");
}

# every database's every-second job runs at least three more times (with a
# scheduler per database, the two that get no worker slot never would);
# dataeng's workers are counted meanwhile, for at least five seconds, every
# 0.1 s (through the session: a look costs a millisecond of the server's)
my %before = map { $_ => $sess{$_}->query_safe('SELECT count(*) FROM ticks') } @dbs;
my %ran = map { $_ => 0 } @dbs;
my ($samples, $max_workers, $max_sched) = (0, 0, 0);
my $t_start = time();
my $deadline = $t_start + $PostgreSQL::Test::Utils::timeout_default;
while (time() < $deadline)
{
	my ($w, $s) = split /\|/, $sess{postgres}->query_safe(q{
		SELECT count(*), count(*) FILTER (WHERE backend_type = 'dataeng scheduler')
		  FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %'});
	$max_workers = $w if $w > $max_workers;
	$max_sched = $s if $s > $max_sched;
	$samples++;
	# (the databases are looked at every fifth sample)
	next if $samples % 5;
	for my $db (grep { $ran{$_} < 3 } @dbs)
	{
		$ran{$db} = $sess{$db}->query_safe('SELECT count(*) FROM ticks') - $before{$db};
	}
	last if time() - $t_start >= 5 && !grep { $ran{$_} < 3 } @dbs;
}
continue
{
	sleep 0.1;
}
my $secs = sprintf('%.1f', time() - $t_start);
for my $db (@dbs)
{
	# every database gets its turn, however loaded the machine
	cmp_ok($ran{$db}, '>=', 3, "$db: its every-second job ran again at least 3 times ($secs s)");
	# a run may be waiting for a worker slot (shown as 'waiting'), never failed
	is($sess{$db}->query_safe(q{SELECT count(*) FROM dataeng.job_runs WHERE status NOT IN ('succeeded', 'running', 'waiting')}),
		'0', "$db: no run failed");
}
cmp_ok($max_workers, '<=', 8, "at most max_worker_processes dataeng workers ($max_workers, $samples samples)");
cmp_ok($max_sched, '<', $ndb, "never a scheduler per database at once (at most $max_sched)");

# no job due: within seconds the launcher is dataeng's only worker
for my $db (@dbs)
{
	$sess{$db}->query_safe(q{SELECT dataeng.job_pause('tick')});
}
ok(!wait_true(q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %'}, 'postgres'),
	'with no job due, only the launcher runs');
my $extra = 0;
for (1 .. 20)
{
	$extra++ if $sess{postgres}->query_safe(q{
		SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %' AND backend_type <> 'dataeng launcher'}) > 0;
	sleep 0.1;
}
is($extra, 0, 'and stays so (two seconds of samples)');
diag("dataeng workers at most $max_workers, schedulers at most $max_sched");

# a job due in an idle database starts at once
my $n3 = $sess{db3}->query_safe('SELECT count(*) FROM ticks');
my $t0 = $sess{db3}->query_safe(q{SELECT clock_timestamp() FROM (SELECT dataeng.job_run_now('tick')) s});
ok(!wait_true(qq{SELECT count(*) > $n3 FROM ticks}, 'db3'), 'run_now in an idle database runs');
# at once: its run started (the scheduler's pass, as the server records it:
# the polling above may be slow on a loaded machine) within half a minute
# (starting a scheduler and a worker on a loaded machine may take
# seconds), not at the launcher's next look (up to a minute: a scheduler
# that left asks to be started again within one)
my $delay = $sess{db3}->query_safe(qq{
	SELECT round(extract(epoch FROM r.started_at - '$t0'::timestamptz), 2)
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'tick' ORDER BY r.run_id DESC LIMIT 1});
cmp_ok($delay, '<', 30, "at once, not at the launcher's next look ($delay s)");

# a job due in a minute: the launcher starts a scheduler there when it is due
$sess{db5}->query_safe(q{
	SELECT dataeng.schedule('soon', '2 seconds', 'INSERT INTO ticks DEFAULT VALUES');
});
my $n5 = $sess{db5}->query_safe('SELECT count(*) FROM ticks');
ok(!wait_true(qq{SELECT count(*) >= $n5 + 2 FROM ticks}, 'db5'), 'an interval job runs on schedule, twice');

$_->quit for values %sess;
$node->stop;
done_testing();
