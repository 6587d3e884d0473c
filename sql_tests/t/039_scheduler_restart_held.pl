# A run cut short by a restart, its job's row held by a transaction when
# the scheduler first passes after the restart: the job is recorded as
# failed and retried once the row is free (before: its run was recorded as
# failed, the job left running for ever and not retried).  The scheduler
# is kept from passing until the row is held with dataeng.enabled = off
# (the launcher starts no scheduler), then switched on by a reload.  Also
# with dataeng.log_successful_runs off, where the run has no row.
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
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng job'});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng job'}),
	'the retry of the held job is gone');

# The same with dataeng.log_successful_runs off: the run has no row; the
# first pass writes it, failed, and the job follows once its row is free
# (waited for until the launcher and the database's scheduler have read
# the configuration files since the change: a probe job was run until one
# of its runs left no row)
my $conf_changed = $node->safe_psql('postgres', q{
	ALTER SYSTEM SET dataeng.log_successful_runs = off;
	SELECT clock_timestamp();
});
$node->safe_psql('postgres', q{SELECT pg_reload_conf()});
ok($node->poll_query_until('postgres', qq{SELECT dataeng_internal._scheduler_conf_read() > '$conf_changed'}),
	'the launcher and the scheduler read dataeng.log_successful_runs = off');
$node->safe_psql('postgres', q{SELECT dataeng.schedule('probe', '@yearly', 'SELECT 1'); SELECT dataeng.job_run_now('probe')});
ok($node->poll_query_until('postgres', q{
	SELECT NOT run_now AND last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'probe'}), 'the probe job ran');
is($node->safe_psql('postgres', q{
	SELECT NOT EXISTS (SELECT FROM dataeng.job_runs r JOIN dataeng.jobs j ON j.last_run_id = r.run_id
	                    WHERE j.job_name = 'probe')}), 't',
	'the scheduler runs with dataeng.log_successful_runs off: the first run after it read it leaves no row');
$node->safe_psql('postgres', q{
	SELECT dataeng.unschedule('probe');
	SELECT dataeng.schedule('unlogged', '@yearly', 'SELECT pg_sleep(60)', max_retries => 1);
	SELECT dataeng.job_run_now('unlogged');
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%'}),
	'the unlogged job runs');
$node->stop('immediate');
$node->append_conf('postgresql.conf', "dataeng.enabled = off\n");
$node->start;
my $unlogged = q{
	SELECT coalesce(r.status, 'none') || ' ' || j.last_status FROM dataeng.jobs j LEFT JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
	 WHERE j.job_name = 'unlogged'};
is($node->safe_psql('postgres', $unlogged), 'none running', 'the unlogged run has no row');
$holder = $node->background_psql('postgres');
$holder->query_safe(q{BEGIN});
$holder->query_safe(q{SELECT 1 FROM dataeng.jobs WHERE job_name = 'unlogged' FOR UPDATE});
$node->append_conf('postgresql.conf', "dataeng.enabled = on\n");
$node->reload;
ok($node->poll_query_until('postgres', qq{SELECT ($unlogged) = 'failed running'}),
	'the first pass writes the run failed; the job, its row held, is left as it was');
$holder->query_safe(q{COMMIT});
ok($node->poll_query_until('postgres', q{
	SELECT j.last_status = 'running' AND j.attempt = 1
	       AND EXISTS (SELECT 1 FROM dataeng.job_runs r WHERE r.job_id = j.job_id AND r.attempt = 1
	                     AND r.status = 'failed' AND r.error_message = 'the server stopped during the run')
	  FROM dataeng.jobs j WHERE j.job_name = 'unlogged'}),
	'once the row is free the job is recorded as failed and retried');
$holder->quit;
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('unlogged')});
$node->stop;
done_testing();
