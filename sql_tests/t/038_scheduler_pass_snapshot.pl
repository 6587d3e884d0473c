# A job created or changed while the scheduler's pass is under way: the
# pass reads the due jobs with a snapshot of their own, and computes each
# job's next run from the same version of its row.  Before, the next run
# was read with the snapshot the pass began with: a job created after
# that (and made due by job_run_now) "disappeared" (the scheduler ended on
# ERROR, exit code 1, with the runs it had started in the pass left
# unrecorded), and a job whose schedule was changed took its next run from
# its old schedule.  The pass is held, once its snapshot is taken, by a
# session that locks dataeng.jobs, then changes the jobs and commits.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_pass_snapshot');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
log_min_messages = log
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ran (job text, at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('tick', '1 second', $$INSERT INTO ran (job) VALUES ('tick')$$);
});
ok($node->poll_query_until('postgres', q{SELECT count(*) >= 2 FROM ran WHERE job = 'tick'}),
	'the every-second job runs');

# hold_pass: lock dataeng.jobs in a session and wait for a scheduler's pass
# to wait for it (its snapshot taken); returns the session
sub hold_pass
{
	my $holder = $node->background_psql('postgres');
	$holder->query_safe(q{BEGIN});
	$holder->query_safe(q{LOCK TABLE dataeng.jobs IN ACCESS EXCLUSIVE MODE});
	ok( $node->poll_query_until('postgres', q{
		SELECT count(*) > 0 FROM pg_locks l JOIN pg_stat_activity a USING (pid)
		 WHERE a.backend_type = 'dataeng scheduler' AND NOT l.granted
		   AND l.relation = 'dataeng.jobs'::regclass}),
		'a scheduler pass waits for dataeng.jobs');
	return $holder;
}

my $log_offset = -s $node->logfile;

# a job created, and made due, while the pass waits
my $holder = hold_pass();
$holder->query_safe(q{
	SELECT dataeng.schedule('late', '@yearly', $$INSERT INTO ran (job) VALUES ('late')$$);
	SELECT dataeng.job_run_now('late');
});
$holder->query_safe(q{COMMIT});
$holder->quit;
ok($node->poll_query_until('postgres', q{
	SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'late'}),
	'the job created during the pass runs and succeeds');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ran WHERE job = 'late'}), '1',
	'its command ran once');
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/disappeared/, 'the scheduler found the job the pass read');
unlike($log, qr/"dataeng scheduler" \(PID \d+\) exited with exit code 1/,
	'the scheduler did not end on an error');

# the schedule of a job changed while the pass waits: its next run follows
# the new schedule
$holder = hold_pass();
$holder->query_safe(q{
	SELECT dataeng.schedule('tick', '@yearly', $$INSERT INTO ran (job) VALUES ('tick')$$);
	SELECT dataeng.job_run_now('tick');
});
$holder->query_safe(q{COMMIT});
$holder->quit;
ok($node->poll_query_until('postgres', q{
	SELECT NOT run_now AND last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'tick'}),
	'the changed job runs now');
is( $node->safe_psql('postgres', q{
	SELECT next_run_at > now() + interval '1 day' FROM dataeng.jobs WHERE job_name = 'tick'}),
	't', 'its next run follows its new schedule (@yearly), not the old one (1 second)');

is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.job_runs WHERE status NOT IN ('succeeded', 'running')}),
	'0', 'no run failed');
$log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/disappeared|exited with exit code 1/, 'no scheduler error in the log');

$node->stop;
done_testing();
