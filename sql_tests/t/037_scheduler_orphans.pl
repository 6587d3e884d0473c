# Runs whose end no worker records, as a scheduler sees them:
#  - a worker that dies while a transaction holds its job's row: the run's
#    end, its job's last_status and its retry wait for the row, instead of
#    the run being recorded failed alone and the job left running, not
#    retried;
#  - a scheduler terminated while the workers it started are starting (not
#    yet holding their job's lock): the next scheduler never records as
#    failed a run whose command then runs (a run it records so does not
#    run).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_orphans');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.launcher_naptime = 1
max_worker_processes = 16
log_min_messages = log
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ran (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('held', '@yearly', 'SELECT pg_sleep(60)', max_retries => 1);
	SELECT dataeng.job_run_now('held');
});

# 1. The worker dies while a session holds its job's row
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%'}),
	'the held job runs');
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{BEGIN});
$holder->query_safe(q{SELECT 1 FROM dataeng.jobs WHERE job_name = 'held' FOR UPDATE});
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng job'});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng job'}),
	'its worker is gone');
# the scheduler, woken by the worker's exit, passes while the row is held
sleep 2;
is($node->safe_psql('postgres', q{
	SELECT r.status || ' ' || j.last_status FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
	 WHERE j.job_name = 'held'}),
	'running running', 'while the job row is held, the run and its job are left as they were');
$holder->query_safe(q{COMMIT});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 AND bool_or(r.attempt = 1 AND r.status = 'failed'
	                                 AND r.error_message = 'the job worker stopped without recording a result')
	       AND bool_or(r.attempt = 2 AND r.status = 'running')
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'held'}),
	'once the row is free the run is recorded as failed and the job retried (max_retries => 1)');
$holder->quit;
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('held')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng job'}),
	'the retry is cancelled with its job');
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng job'});

# 2. The scheduler terminated as soon as a run is recorded: a new one
# (woken by another job's run_now) passes while the worker starts
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('quick', '@yearly', 'INSERT INTO public.ran DEFAULT VALUES');
	SELECT dataeng.schedule('waker', '@yearly', 'SELECT 1');
});
my $log_offset = -s $node->logfile;
for my $i (1 .. 20)
{
	$node->safe_psql('postgres', q{
		SELECT dataeng.job_run_now('quick');
		DO $$
		DECLARE n int := 0;
		BEGIN
		  WHILE NOT EXISTS (SELECT 1 FROM dataeng.jobs WHERE job_name = 'quick' AND last_status <> 'succeeded')
		        AND n < 2000 LOOP
		    PERFORM pg_sleep(0.001); n := n + 1;
		  END LOOP;
		END $$;
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dataeng scheduler';
		SELECT dataeng.job_run_now('waker');
	});
	$node->poll_query_until('postgres', q{
		SELECT count(*) = 0 FROM dataeng.job_runs WHERE status = 'running'})
	  or last;
}
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM dataeng.job_runs WHERE status = 'running'}),
	'every run ended');
my $log = slurp_file($node->logfile, $log_offset);
my @orphaned = $log =~ /run (\d+) of job \d+ in database "postgres" (?:is recorded as running but no worker runs it|was not begun when its scheduler ended)/g;
note('runs recorded as orphaned: ' . join(',', @orphaned) . '; of them not run by their worker: '
	. scalar(() = $log =~ /the run was (?:recorded as ended|given up) before its worker began/g));
my $list = @orphaned ? join(',', @orphaned) : '0';
is($node->safe_psql('postgres', qq{
	SELECT count(*) FROM dataeng.job_runs WHERE run_id IN ($list) AND status <> 'failed'}),
	'0', 'no run recorded as failed for want of a worker ran after all');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ran}),
	$node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'quick' AND r.status = 'succeeded'}),
	'each run of the command is recorded as succeeded, no other');

$node->stop;
done_testing();
