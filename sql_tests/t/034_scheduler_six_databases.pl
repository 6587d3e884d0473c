# Six databases, each with a job due every second, on a server whose
# background worker slots are too few for all of them at once
# (max_worker_processes = 7: the logical replication launcher, dataeng's
# launcher and its maintenance launcher take three): every database's jobs
# run, none starved, a busy database (jobs of 3 s) keeps none from
# running, and after a crash restart (a backend killed with SIGKILL) every database's jobs run
# again.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use NodePoll;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('sched_six');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 7
dataeng.launcher_naptime = 3600
restart_after_crash = on
});
$node->start;

my @dbs = map { "six$_" } 1 .. 6;
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
	my $cmd = $db eq 'six1' ? 'INSERT INTO ticks DEFAULT VALUES; SELECT pg_sleep(3)' : 'INSERT INTO ticks DEFAULT VALUES';
	$node->safe_psql($db, qq{
		SELECT dataeng.schedule('tick', '1 second', '$cmd');
		SELECT dataeng.schedule('tock', '1 second', 'INSERT INTO ticks DEFAULT VALUES');
	});
}

# The looks at the databases go through a session per database (opened
# once, again after the crash restart): a psql started for each look, and
# a backend for it, cost more CPU than the server's scheduling itself on
# a loaded machine.
my %sess;
sub open_sessions
{
	for my $db (@dbs)
	{
		$sess{$db} = $node->background_psql($db);
		# (each query gets the whole timeout, not the session)
		$sess{$db}->set_query_timer_restart;
	}
}

# wait_each($query): runs $query (a boolean) in
# each database until it is true there, at NodePoll's pace and for as long
# as NodePoll waits; the databases where it never was
sub wait_each
{
	my ($query) = @_;
	my %left = map { $_ => 1 } @dbs;
	my $start = time();
	my $end = NodePoll::deadline();
	while (1)
	{
		for my $db (grep { $left{$_} } @dbs)
		{
			delete $left{$db} if $sess{$db}->query_safe($query) eq 't';
		}
		last if !%left || time() >= $end;
		sleep(NodePoll::pause_us(time() - $start) / 1e6);
	}
	return wantarray ? %left : scalar(keys %left);
}

# every database's jobs run, again and again
sub all_run
{
	my ($what, $since) = @_;
	my %left = wait_each(qq{SELECT count(*) >= 5 FROM ticks WHERE at > '$since'});
	for my $db (@dbs)
	{
		ok(!$left{$db}, "$what: the jobs of $db run");
	}
}

open_sessions();
my $start = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
all_run('six databases', $start);

# none starved: in the 30 s that follow, each database ran its jobs again
# (the longest gap between two of its runs is shown, not asserted: 4 to
# 7 s at a load of 2 to 6, 10 to 18 s at 8 to 12, where a database ran 2
# to 4 times in 30 s; each run takes a scheduler and a job worker of the
# four slots, both started anew on a loaded machine).  A starved database
# ran none.  The wait ends once each ran three times (one of its jobs
# twice: two turns of the database, where two runs may be one pass that
# started both jobs), or when the 30 s are over, as the server's clock
# says (the jobs' times are compared with it, not with the script's).
my $win = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
my $in_win = qq{at > '$win' AND at <= '$win'::timestamptz + interval '30 s'};
wait_each(qq{SELECT count(*) FILTER (WHERE $in_win) >= 3 OR clock_timestamp() > '$win'::timestamptz + interval '30 s' FROM ticks});
for my $db (@dbs)
{
	my ($n, $gap) = split /\|/, $sess{$db}->query_safe(qq{
		SELECT count(*), coalesce(extract(epoch FROM max(d)), 99)::int FROM (
		  SELECT at - lag(at) OVER (ORDER BY at) AS d FROM ticks WHERE $in_win) s});
	cmp_ok($n, '>=', 2, "$db ran its jobs at least twice in 30 s ($n runs, longest gap $gap s)");
}
# (whether the slots run short depends on how long each run takes, so it
# is not asserted here; t/033_scheduler_stall.pl holds the scheduler to its
# warning when no slot is free)
# (a run may be waiting for a slot: that is no failure)
for my $db (@dbs)
{
	is($sess{$db}->query_safe(q{SELECT count(*) FROM dataeng.job_runs WHERE status NOT IN ('succeeded', 'running', 'waiting')}),
		'0', "no run of $db failed");
}

# a crash restart: a backend killed with SIGKILL
my $log_offset = -s $node->logfile;
my $victim = $node->background_psql('six3');
my $vpid = $victim->query_safe('SELECT pg_backend_pid()');
kill 'KILL', $vpid;
$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
# (the sessions' backends were ended too)
eval { $_->quit; } for ($victim, values %sess);
# (NodePoll: the server recovers meanwhile, refusing connections, and a psql
# that fails before reading its input breaks poll_query_until's pipe)
ok(NodePoll::poll_until($node, 'postgres', 'SELECT true'), 'the server is back');
open_sessions();
my $after = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
all_run('after the crash restart', $after);
$_->quit for values %sess;

$node->stop;
done_testing();
