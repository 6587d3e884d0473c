# A server whose background worker slots leave room for a scheduler but
# not for a job run beside it (max_worker_processes one more than the
# static workers: the logical replication launcher, dataeng's launcher
# and its maintenance launcher): the scheduler took the last slot at every pass, no job ever
# ran, and the log said only that due jobs "wait their turn".  Now a
# WARNING says that no run could start for 10 s with none in progress, and
# why; the run waits (dataeng.jobs says so) and runs once slots are added.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('sched_stall');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.launcher_naptime = 3600
});
$node->start;

# the static workers (3, or 2 where the maintenance launcher is off), and
# one slot more
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 FROM pg_stat_activity
	 WHERE backend_type IN ('logical replication launcher', 'dataeng launcher')}), 'the launchers run');
sleep(2);
my $static = $node->safe_psql('postgres', q{
	SELECT count(*) FROM pg_stat_activity
	 WHERE backend_type IN ('logical replication launcher', 'dataeng launcher', 'dataeng maintenance launcher')});
$node->append_conf('postgresql.conf', 'max_worker_processes = ' . ($static + 1) . "\n");
$node->restart;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('tick', '1 second', 'INSERT INTO ticks DEFAULT VALUES');
});

my $deadline = time() + 90;
my $warned = 0;
while (time() < $deadline && !$warned)
{
	$warned = slurp_file($node->logfile) =~
	  /WARNING:  dataeng scheduler: no job run has been able to start for \d+ s: no background worker slot is free, and no dataeng job run is in progress to free one/;
	usleep(200_000);
}
ok($warned, 'the server log warns that no job run can start, and why');
like(slurp_file($node->logfile), qr/HINT:  Raise max_worker_processes: a job run needs a slot of its own/,
	'with a hint');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ticks}), '0', 'no run started');
is($node->safe_psql('postgres', q{
	SELECT last_status || ': ' || (SELECT r.wait_reason FROM dataeng.job_runs r WHERE r.run_id = j.last_run_id) LIKE 'waiting: no background worker slot is free%'
	  FROM dataeng.jobs j WHERE job_name = 'tick'}),
	't', 'the job waits, and says why');

# one slot more: the job runs
# A stall clock left from an earlier shortage does not count the time
# nothing was due: a job refused a slot once, then unscheduled, leaves no
# clock behind, and a job scheduled 15 s later warns only after waiting
# 10 s itself (before: at its first refusal, "for 15 s")
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('tick')});
$node->restart;
$node->safe_psql('postgres', q{SELECT dataeng.schedule('tock', '1 second', 'INSERT INTO ticks DEFAULT VALUES')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'tock' AND r.wait_reason LIKE 'no background worker slot is free%'}),
	'a new job is refused a slot');
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('tock')});
sleep(15);
my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{SELECT dataeng.schedule('tack', '1 second', 'INSERT INTO ticks DEFAULT VALUES')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'tack' AND r.wait_reason LIKE 'no background worker slot is free%'}),
	'the job scheduled later is refused a slot');
sleep(3);
unlike(slurp_file($node->logfile, $offset), qr/no job run has been able to start/,
	'no warning at its first refusals: nothing was due for the 15 s before');
$deadline = time() + 90;
$warned = 0;
while (time() < $deadline && !$warned)
{
	$warned = slurp_file($node->logfile, $offset) =~ /no job run has been able to start for \d+ s/;
	usleep(200_000);
}
ok($warned, 'the warning comes once it has waited itself');

$node->append_conf('postgresql.conf', 'max_worker_processes = ' . ($static + 2) . "\n");
$node->restart;
ok($node->poll_query_until('postgres', q{SELECT count(*) >= 2 FROM ticks}), 'with one slot more the job runs');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.job_runs WHERE status = 'failed'}), '0', 'no run failed');

$node->stop;
done_testing();
