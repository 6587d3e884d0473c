# A database closed to connections (ALTER DATABASE ... ALLOW_CONNECTIONS
# false) or made a template (IS_TEMPLATE true) while its jobs run: no run
# starts there (none fails), the server log says why, and its jobs run
# again at once when it opens, each time, in both directions.  Before: the
# scheduler that lived on for a run in progress started the due jobs,
# whose workers could not connect (each run failed, "the job worker stopped
# without recording a result", and was retried), and a database opened
# again got no scheduler before the launcher's naptime (an hour here).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('sched_closed');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.launcher_naptime = 3600
});
$node->start;

$node->safe_psql('postgres', q{CREATE DATABASE dclosed});
$node->safe_psql('dclosed', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES');
	SELECT dataeng.schedule('slow', '@yearly', 'SELECT pg_sleep(4)');
});
ok($node->poll_query_until('dclosed', q{SELECT count(*) >= 2 FROM ticks}), 'the job runs every second');

sub server_now
{
	return $node->safe_psql('postgres', q{SELECT clock_timestamp()});
}

# $cond true within $secs seconds (much less than the launcher's naptime)
sub within
{
	my ($db, $cond, $secs) = @_;
	my $deadline = time() + $secs;
	while (time() < $deadline)
	{
		return 1 if $node->safe_psql($db, "SELECT ($cond)::int") eq '1';
		usleep(100_000);
	}
	return 0;
}

# the server log from $offset matches $re within $secs seconds
sub log_within
{
	my ($re, $offset, $secs) = @_;
	my $deadline = time() + $secs;
	while (time() < $deadline)
	{
		return 1 if slurp_file($node->logfile, $offset) =~ $re;
		usleep(100_000);
	}
	return 0;
}

# close with $close, wait, open with $open; $slow: a run of 4 s goes on
# meanwhile (so the database's scheduler lives on while it is closed)
sub closed_cycle
{
	my ($what, $close, $open, $slow) = @_;
	my $log_offset = -s $node->logfile;

	if ($slow)
	{
		$node->safe_psql('dclosed', q{SELECT dataeng.job_run_now('slow')});
		ok($node->poll_query_until('dclosed', q{
			SELECT count(*) = 1 FROM pg_stat_activity
			 WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(4)%'}),
			"$what: a run of 4 s is in progress");
	}
	# (the time the close committed, read in the same session: a time read
	# before it, in a psql of its own, was up to a second earlier on a
	# loaded machine, and a run started in between counted as started
	# while the database was closed)
	my $closed_at = $node->safe_psql('postgres',
		"ALTER DATABASE dclosed $close; SELECT clock_timestamp()");
	sleep(5);
	ok(log_within(qr/database "dclosed" allows no connections or is a template; its due jobs do not start/,
			$log_offset, 30),
		"$what: the server log says the due jobs do not start");
	my $opened_at = server_now();
	$node->safe_psql('postgres', "ALTER DATABASE dclosed $open");

	# (a run started a moment before the close may begin after it)
	is($node->safe_psql('dclosed', qq{
		SELECT count(*) FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
		 WHERE j.job_name = 'tick' AND r.started_at > '$closed_at'::timestamptz + interval '1 s'
		   AND r.started_at < '$opened_at'}),
		'0', "$what: no run started while the database was closed");
	ok(within('dclosed', qq{EXISTS (SELECT FROM ticks WHERE at > '$opened_at')}, 60),
		"$what: the job runs again as soon as it opens");
	ok(log_within(qr/database "dclosed" allows connections again/, $log_offset, 30),
		"$what: the server log says so");
	if ($slow)
	{
		ok($node->poll_query_until('dclosed', q{
			SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'slow'}),
			"$what: the run in progress when it closed went on and succeeded");
	}
}

closed_cycle('ALLOW_CONNECTIONS false, a run in progress', 'ALLOW_CONNECTIONS false', 'ALLOW_CONNECTIONS true', 1);
closed_cycle('ALLOW_CONNECTIONS false, no run in progress', 'ALLOW_CONNECTIONS false', 'ALLOW_CONNECTIONS true', 0);
closed_cycle('ALLOW_CONNECTIONS false again, a run in progress', 'ALLOW_CONNECTIONS false', 'ALLOW_CONNECTIONS true', 1);
closed_cycle('IS_TEMPLATE true, a run in progress', 'IS_TEMPLATE true', 'IS_TEMPLATE false', 1);

# not one run failed or was retried
is($node->safe_psql('dclosed', q{
	SELECT count(*) FROM dataeng.job_runs WHERE status NOT IN ('succeeded', 'running')}),
	'0', 'no run failed');
is($node->safe_psql('dclosed', q{SELECT max(attempt) FROM dataeng.job_runs}), '1', 'no run was retried');

$node->stop;
done_testing();
