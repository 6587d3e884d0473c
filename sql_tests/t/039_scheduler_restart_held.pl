# A run cut short by a restart, its job's row held by a transaction when
# the scheduler first passes after the restart: the job is recorded as
# failed and retried once the row is free (before: its run was recorded as
# failed, the job left running for ever and not retried).  The scheduler
# is kept from passing until the row is held with dataeng.enabled = off
# (the launcher starts no scheduler), then switched on by a reload.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_restart_held');
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
	SELECT dataeng.schedule('held', '@yearly', 'SELECT pg_sleep(60)', max_retries => 1);
	SELECT dataeng.job_run_now('held');
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%'}),
	'the job runs');
$node->stop('immediate');
$node->append_conf('postgresql.conf', "dataeng.enabled = off\n");
$node->start;

my $state = q{
	SELECT r.status || ' ' || j.last_status FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
	 WHERE j.job_name = 'held'};
is($node->safe_psql('postgres', $state), 'running running',
	'with dataeng.enabled off no scheduler has passed');
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{BEGIN});
$holder->query_safe(q{SELECT 1 FROM dataeng.jobs WHERE job_name = 'held' FOR UPDATE});
$node->append_conf('postgresql.conf', "dataeng.enabled = on\n");
$node->reload;
ok($node->poll_query_until('postgres', qq{SELECT ($state) = 'failed running'}),
	'the first pass records the run as failed; the job, its row held, is left as it was');
$holder->query_safe(q{COMMIT});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 AND bool_or(r.attempt = 1 AND r.status = 'failed'
	                                 AND r.error_message = 'the server stopped during the run')
	       AND bool_or(r.attempt = 2 AND r.status = 'running')
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'held'}),
	'once the row is free the job is recorded as failed and retried (max_retries => 1)');
$holder->quit;
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('held')});
$node->stop;
done_testing();
