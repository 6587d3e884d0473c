# The scheduler and commands that need a database to themselves: DROP
# DATABASE (without FORCE), ALTER DATABASE ... RENAME TO / SET TABLESPACE and
# CREATE DATABASE ... TEMPLATE of a database where a job runs every second
# and a run of a minute is in progress succeed (the run is cancelled), the
# job goes on where the database goes on, and the log has no FATAL about a
# database that is gone.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_dbs');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.launcher_naptime = 60
log_min_messages = log
});
$node->start;
my $log_offset = -s $node->logfile;

# a database whose job runs every second, half of each second in a run
sub busy_database
{
	my ($db) = @_;
	$node->safe_psql('postgres', qq{CREATE DATABASE $db});
	$node->safe_psql($db, q{
		CREATE EXTENSION dataeng;
		CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp());
		SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES; SELECT pg_sleep(0.5)');
	});
	ok($node->poll_query_until($db, q{SELECT count(*) >= 2 FROM ticks}), "the job of $db runs");
	# and a run is in progress right now
	ok($node->poll_query_until($db,
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND datname = current_database()}),
		"a run is in progress in $db");
}

# a run of a minute in progress in $db: PostgreSQL waits five seconds for
# other sessions to leave, then fails, so a command that succeeds made
# dataeng's workers leave (the run was cancelled).  How long the command
# took is not asserted: a loaded machine is slow.
sub long_run
{
	my ($db) = @_;
	$node->safe_psql($db, q{
		SELECT dataeng.schedule('long', '@yearly', 'SELECT pg_sleep(60)');
		SELECT dataeng.job_run_now('long');
	});
	ok($node->poll_query_until($db,
		q{SELECT count(*) = 1 FROM pg_stat_activity
		   WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%' AND datname = current_database()}),
		"a long run is in progress in $db");
}

sub succeeds
{
	my ($sql, $what) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql);
	is($ret, 0, "$what succeeds") or diag($err);
}

# 1. DROP DATABASE without FORCE
busy_database('d_drop');
long_run('d_drop');
succeeds('DROP DATABASE d_drop', 'DROP DATABASE of a database with a running job');

# 2. ALTER DATABASE ... RENAME TO: the job goes on under the new name
busy_database('d_rename');
long_run('d_rename');
succeeds('ALTER DATABASE d_rename RENAME TO d_renamed', 'ALTER DATABASE ... RENAME TO');
is($node->safe_psql('d_renamed', q{SELECT r.status || ': ' || r.error_message FROM dataeng.job_runs r
                                   JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'long'}),
	'failed: cancelled: the database is being dropped, renamed, moved or copied',
	'the run cut by the command is recorded as cancelled');
my $n = $node->safe_psql('d_renamed', 'SELECT count(*) FROM ticks');
ok($node->poll_query_until('d_renamed', qq{SELECT count(*) > $n + 1 FROM ticks}),
	'the job runs on in the renamed database');
is($node->safe_psql('d_renamed', q{SELECT count(*) FROM dataeng.job_runs WHERE status = 'running' AND finished_at IS NOT NULL}),
	'0', 'no run is left half-recorded');

# 3. CREATE DATABASE ... TEMPLATE of it
long_run('d_renamed');
succeeds('CREATE DATABASE d_copy TEMPLATE d_renamed', 'CREATE DATABASE ... TEMPLATE');
$n = $node->safe_psql('d_renamed', 'SELECT count(*) FROM ticks');
ok($node->poll_query_until('d_renamed', qq{SELECT count(*) > $n + 1 FROM ticks}),
	'the job runs on in the template database');
$n = $node->safe_psql('d_copy', 'SELECT count(*) FROM ticks');
ok($node->poll_query_until('d_copy', qq{SELECT count(*) > $n FROM ticks}), 'the copy runs the job too');

# 4. ALTER DATABASE ... SET TABLESPACE
my $tsdir = PostgreSQL::Test::Utils::tempdir_short();
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$tsdir'");
long_run('d_renamed');
succeeds('ALTER DATABASE d_renamed SET TABLESPACE ts', 'ALTER DATABASE ... SET TABLESPACE');
$n = $node->safe_psql('d_renamed', 'SELECT count(*) FROM ticks');
ok($node->poll_query_until('d_renamed', qq{SELECT count(*) > $n + 1 FROM ticks}),
	'the job runs on in the moved database');

# 5. DROP DATABASE ... WITH (FORCE), and the others dropped
succeeds('DROP DATABASE d_copy WITH (FORCE)', 'DROP DATABASE ... WITH (FORCE)');
long_run('d_renamed');
succeeds('DROP DATABASE d_renamed', 'DROP DATABASE of the renamed, moved database');

# the launcher goes on; nothing logged FATAL about a database that is gone
sleep 2;
$node->safe_psql('postgres', 'CREATE EXTENSION dataeng');
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng launcher'}),
	'the launcher runs on');
my $log = slurp_file($node->logfile, $log_offset);
my @fatal = $log =~ /^.*FATAL.*$/mg;
is(scalar(@fatal), 0, 'no FATAL in the server log') or diag(join("\n", @fatal));
unlike($log, qr/does not exist/, 'nothing logged about a database that does not exist');

$node->stop;
done_testing();
