# With DE_TAP_CPU_LOG set (a file): each time a node's postmaster stops (or
# restarts), the CPU time it and its ended processes used is appended to
# that file as "<script> <node> <seconds>", to tell which TAP scripts use the
# machine (their servers' CPU is not in prove's figures, which count the
# script's own processes).  Loaded by TapPace.pm when DE_TAP_CPU_LOG is set.
package NodeCpu;

use strict;
use warnings;
use File::Basename qw(basename);
use POSIX ();
use PostgreSQL::Test::Cluster ();

my $real_stop = \&PostgreSQL::Test::Cluster::stop;
my $real_restart = \&PostgreSQL::Test::Cluster::restart;
my $hz = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

# the CPU time of the node's running postmaster and its ended processes,
# appended to the log
sub log_cpu
{
	my ($self) = @_;
	my $pid = $self->{_pid};
	if (defined $pid && open(my $fh, '<', "/proc/$pid/stat"))
	{
		my $stat = <$fh>;
		close($fh);
		$stat =~ s/^.*\) //;
		my @f = split / /, $stat;
		if (open(my $log, '>>', $ENV{DE_TAP_CPU_LOG}))
		{
			printf $log "%s %s %.1f\n", basename($0), $self->name,
			  ($f[11] + $f[12] + $f[13] + $f[14]) / $hz;
			close($log);
		}
	}
	return;
}

{
	no warnings 'redefine';

	*PostgreSQL::Test::Cluster::stop = sub {
		log_cpu($_[0]);
		return $real_stop->(@_);
	};
	# (a restart ends the postmaster too: its figure is one more line)
	*PostgreSQL::Test::Cluster::restart = sub {
		log_cpu($_[0]);
		return $real_restart->(@_);
	};
}

1;
