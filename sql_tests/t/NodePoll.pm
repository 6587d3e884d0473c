# Polling a server that may refuse connections meanwhile (a crash restart
# of restart_after_crash, a recovery in progress): 021_fact_scheduled_crash.pl,
# 030_scheduler.pl, 078_cdc_wal_failures_kept.pl.
#
# PostgreSQL::Test::Cluster::poll_query_until feeds its query to psql
# through a pipe: a psql refused by the server ("the database system is not
# yet accepting connections") may exit before it reads the pipe, and the
# write fails with EPIPE, which IPC::Run raises ("ack Broken pipe") instead
# of returning; the script dies with exit code 32 in the middle of its
# wait.  poll_until gives the query on psql's command line, its standard
# input from /dev/null: a refused connection is one more failed attempt.
#
# Both wait at a pace (pause_us): an attempt is a psql process and a server
# backend, about 70 ms of CPU on the 2-core CI machine, and poll_query_until
# made ten a second; with four scripts waiting at once that was most of the
# machine, which the suites beside them needed.  The first 2 s still look
# every 0.1 s, then every 0.25 s, and from 10 s on every 0.5 s.  Loaded in
# every TAP script (sql_tests/run_all.sh, TapPace.pm), it replaces
# PostgreSQL::Test::Cluster::poll_query_until with one that keeps its
# arguments and answer.
package NodePoll;

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Cluster ();
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep time);

# the pause after an attempt that failed, $elapsed seconds into the wait
sub pause_us
{
	my ($elapsed) = @_;
	return $elapsed < 2 ? 100_000 : $elapsed < 10 ? 250_000 : 500_000;
}

# how long a wait may take: poll_query_until's 10 attempts a second for
# timeout_default seconds took about twice that, each attempt a psql run
sub deadline
{
	return time() + 2 * $PostgreSQL::Test::Utils::timeout_default;
}

# attempts($what, $shown, $expected, $cmd, $in): runs $cmd (psql, its
# standard input $in) at the pace above until it prints $expected with
# nothing on standard error; true then, false (with the last output as
# diag, $shown as the query) when the deadline passed.  A psql that could
# not be run is one more failed attempt.
sub attempts
{
	my ($what, $shown, $expected, $cmd, $in) = @_;
	my ($stdout, $stderr) = ('', '');
	my $start = time();
	my $end = deadline();

	while (1)
	{
		($stdout, $stderr) = ('', '');
		if (!eval { IPC::Run::run($cmd, '<', $in, '>', \$stdout, '2>', \$stderr); 1 })
		{
			$stderr .= "\n(psql could not be run: $@)";
		}
		chomp($stdout);
		chomp($stderr);
		return 1 if $stdout eq $expected && $stderr eq '';
		last if time() >= $end;
		usleep(pause_us(time() - $start));
	}
	diag qq($what timed out executing this query:
$shown
expecting this output:
$expected
last actual query output:
$stdout
with stderr:
$stderr);
	return 0;
}

{
	no warnings 'redefine';

	# PostgreSQL::Test::Cluster::poll_query_until, paced: the query on
	# psql's standard input, true once it prints $expected ('t') with
	# nothing on standard error, false with the last output as diag
	*PostgreSQL::Test::Cluster::poll_query_until = sub {
		my ($self, $dbname, $query, $expected) = @_;

		local %ENV = $self->_get_env();
		$expected = 't' unless defined($expected);
		my $cmd = [ $self->installed_command('psql'), '-XAt', '-d', $self->connstr($dbname) ];
		return attempts('poll_query_until', defined $query ? $query : '(connection attempt only)',
			$expected, $cmd, \$query);
	};
}

# poll_until($node, $dbname, $query, $expected): runs $query until it
# returns $expected ('t' by default) with nothing on standard error, as
# poll_query_until does (for as long, at the same pace), but on psql's
# command line; true then, false (with the last output as diag) when it
# never did.
sub poll_until
{
	my ($node, $dbname, $query, $expected) = @_;
	$expected = 't' unless defined $expected;
	my $cmd = [ $node->installed_command('psql'), '-XAt', '-d', $node->connstr($dbname), '-c', $query ];
	return attempts('poll_until', $query, $expected, $cmd, '/dev/null');
}

1;
