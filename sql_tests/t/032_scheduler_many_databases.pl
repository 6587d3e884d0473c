# No idle worker per database: ten databases with the extension on
# max_worker_processes = 8 run their every-second jobs on time; a database
# with no job due holds no worker (only the launcher runs); and a job
# scheduled later in an idle database starts at once.
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
dataeng.launcher_naptime = 60
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

# ten seconds of every-second jobs in ten databases; count dataeng's workers
my %before = map { $_ => $node->safe_psql($_, 'SELECT count(*) FROM ticks') } @dbs;
my ($samples, $max_workers, $max_sched) = (0, 0, 0);
my $t_end = time() + 10;
while (time() < $t_end)
{
	my ($w, $s) = split /\|/, $node->safe_psql('postgres', q{
		SELECT count(*), count(*) FILTER (WHERE backend_type = 'dataeng scheduler')
		  FROM pg_stat_activity WHERE backend_type LIKE 'dataeng %'});
	$max_workers = $w if $w > $max_workers;
	$max_sched = $s if $s > $max_sched;
	$samples++;
	sleep 0.5;
}
for my $db (@dbs)
{
	my $ran = $node->safe_psql($db, 'SELECT count(*) FROM ticks') - $before{$db};
	# on a loaded machine each run costs two process starts; every database
	# gets its turn (with a scheduler per database, three never would)
	cmp_ok($ran, '>=', 3, "$db: its every-second job ran $ran times in ten seconds");
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
my $t0 = time();
$node->safe_psql('db3', q{SELECT dataeng.job_run_now('tick')});
ok($node->poll_query_until('db3', qq{SELECT count(*) > $n3 FROM ticks}), 'run_now in an idle database runs');
cmp_ok(time() - $t0, '<', 2, 'at once');

# a job due in a minute: the launcher starts a scheduler there when it is due
$node->safe_psql('db5', q{
	SELECT dataeng.schedule('soon', '2 seconds', 'INSERT INTO ticks DEFAULT VALUES');
});
my $n5 = $node->safe_psql('db5', 'SELECT count(*) FROM ticks');
ok($node->poll_query_until('db5', qq{SELECT count(*) >= $n5 + 2 FROM ticks}), 'an interval job runs on schedule, twice');

$node->stop;
done_testing();
