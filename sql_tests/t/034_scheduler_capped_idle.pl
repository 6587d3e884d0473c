# Due jobs that a cap holds back get no scheduler every second to find the
# cap full: a role's only place (dataeng.max_parallel_jobs_per_role = 1)
# taken by a long run in one database, its every-second jobs in two others
# wait, and their databases get no new scheduler while it runs (before:
# one a second in each, and more at each run's end, each a new backend
# that left at once); once the long run ends, both run again.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('sched_capped_idle');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.launcher_naptime = 3600
dataeng.max_parallel_jobs_per_role = 1
log_min_messages = debug1
});
$node->start;

for my $db (qw(cap1 cap2 cap3))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, q{
		CREATE EXTENSION dataeng;
		CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp());
	});
}
my %oid = map { $_ => $node->safe_psql('postgres', "SELECT oid FROM pg_database WHERE datname = '$_'") } qw(cap2 cap3);

# the long run takes the role's place, then the others' jobs are due
$node->safe_psql('cap1', q{
	SELECT dataeng.schedule('long', '@yearly', 'SELECT pg_sleep(600)');
	SELECT dataeng.job_run_now('long');
});
ok($node->poll_query_until('cap1', q{SELECT last_status = 'running' FROM dataeng.jobs WHERE job_name = 'long'}),
	'the long run runs');
for my $db (qw(cap2 cap3))
{
	$node->safe_psql($db, q{SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES')});
}
# each database's job is due (for a second: a scheduler found it held
# back), and no scheduler runs there
for my $db (qw(cap2 cap3))
{
	ok($node->poll_query_until($db, q{
		SELECT next_run_at < now() - interval '1 s' FROM dataeng.jobs WHERE job_name = 'tick'}),
		"$db: its job is due");
	ok($node->poll_query_until('postgres', qq{
		SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng scheduler' AND datname = '$db'}),
		"$db: no scheduler runs there");
}

# six seconds of the long run: no scheduler started in cap2 or cap3
my $offset = -s $node->logfile;
my $t0 = time();
sleep(0.5) while time() - $t0 < 6;
my $log = slurp_file($node->logfile, $offset);
is($node->safe_psql('cap1', q{SELECT last_status FROM dataeng.jobs WHERE job_name = 'long'}),
	'running', 'the long run held the place all along');
for my $db (qw(cap2 cap3))
{
	my $starts = () = $log =~ /starting background worker process "dataeng scheduler \(database $oid{$db}\)"/g;
	cmp_ok($starts, '<=', 1, "$db: no scheduler started every second while the cap was full ($starts in 6 s)");
	is($node->safe_psql($db, 'SELECT count(*) FROM ticks'), '0', "$db: its job waited");
}

# the long run ends: both databases' jobs run
$node->safe_psql('cap1', q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng job'});
for my $db (qw(cap2 cap3))
{
	ok($node->poll_query_until($db, 'SELECT count(*) >= 2 FROM ticks'), "$db: its job runs once the place is free");
}

$node->stop;
done_testing();
