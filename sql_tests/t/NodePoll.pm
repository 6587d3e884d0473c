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
package NodePoll;

use strict;
use warnings;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# poll_until($node, $dbname, $query, $expected): runs $query until it
# returns $expected ('t' by default) with nothing on standard error, as
# poll_query_until does (as many attempts, 0.1 s apart); true then, false
# (with the last output as diag) when it never did.
sub poll_until
{
	my ($node, $dbname, $query, $expected) = @_;
	$expected = 't' unless defined $expected;
	my $cmd = [ $node->installed_command('psql'), '-XAt', '-d', $node->connstr($dbname), '-c', $query ];
	my ($stdout, $stderr) = ('', '');
	my $max_attempts = 10 * $PostgreSQL::Test::Utils::timeout_default;

	for (my $attempt = 0; $attempt < $max_attempts; $attempt++)
	{
		($stdout, $stderr) = ('', '');
		if (!eval { IPC::Run::run($cmd, '<', '/dev/null', '>', \$stdout, '2>', \$stderr); 1 })
		{
			$stderr .= "\n(psql could not be run: $@)";
		}
		chomp($stdout);
		chomp($stderr);
		return 1 if $stdout eq $expected && $stderr eq '';
		usleep(100_000);
	}
	diag qq(poll_until timed out executing this query:
$query
expecting this output:
$expected
last actual query output:
$stdout
with stderr:
$stderr);
	return 0;
}

1;
