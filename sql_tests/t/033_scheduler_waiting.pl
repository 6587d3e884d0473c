# Worker shortage is visible: with max_worker_processes too small for the
# due jobs, a run that waits for a background worker slot shows as
# 'waiting' in dataeng.jobs (last_status, last_run_id) and in
# dataeng.job_runs (status, with the reason in wait_reason); when a slot
# is free the same run starts and succeeds, and keeps the reason it waited.
# A waiting run of a job unscheduled meanwhile is withdrawn and never runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_waiting');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 5
dataeng.max_parallel_jobs = 20
dataeng.max_parallel_jobs_per_role = 20
dataeng.launcher_naptime = 60
log_min_messages = log
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE runs (job text, at timestamptz DEFAULT clock_timestamp());
});

# seven jobs due at once, each holding its worker until the test lets go
# of an advisory lock (not for a fixed time: on a loaded machine the runs
# that waited could all have started before the checks below): the
# launcher and the scheduler take two of the five slots, so some must wait
my $gate = $node->background_psql('postgres');
$gate->query_safe('SELECT pg_advisory_lock(33)');
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('w' || i, '@yearly',
	                        format($$INSERT INTO runs (job) VALUES (%L); SELECT pg_advisory_xact_lock_shared(33)$$, 'w' || i))
	  FROM generate_series(1, 7) i;
	SELECT dataeng.job_run_now('w' || i) FROM generate_series(1, 7) i;
});

ok( $node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
	 WHERE j.last_status = 'waiting' AND r.status = 'waiting' AND r.finished_at IS NULL
	   AND r.wait_reason LIKE 'no background worker slot is free (max_worker_processes = 5, dataeng.max_parallel_jobs = 20, % in progress)'}),
	'a run without a worker slot shows as waiting in dataeng.jobs and dataeng.job_runs, with the reason');
# unschedule one waiting job (locked while still waiting, so it cannot start)
my ($gone, $gone_run, $unscheduled) = split /:/, $node->safe_psql('postgres', q{
	WITH w AS (SELECT job_name, last_run_id FROM dataeng.jobs WHERE last_status = 'waiting'
	            ORDER BY job_name DESC LIMIT 1 FOR UPDATE)
	SELECT job_name || ':' || last_run_id || ':' || dataeng.unschedule(job_name) FROM w});
is($unscheduled, 'true', "waiting job $gone (run $gone_run) unscheduled");
ok( $node->poll_query_until('postgres', qq{
	SELECT count(*) = 0 FROM dataeng.job_runs WHERE run_id = $gone_run}),
	'the waiting run of an unscheduled job is withdrawn');
my $waiting = $node->safe_psql('postgres', q{
	SELECT string_agg(j.job_name || ':' || j.last_run_id, ',' ORDER BY j.job_name)
	  FROM dataeng.jobs j WHERE j.last_status = 'waiting'});
note("waiting: $waiting");
my $reason = $node->safe_psql('postgres', q{
	SELECT r.wait_reason FROM dataeng.job_runs r WHERE r.status = 'waiting' LIMIT 1});
note("reason: $reason");
# a waiting run has not run: its command wrote nothing yet
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM runs WHERE job IN (SELECT job_name FROM dataeng.jobs WHERE last_status = 'waiting')}),
	'0', 'a waiting run has not started its command');
$gate->query_safe('SELECT pg_advisory_unlock(33)');
$gate->quit;

ok( $node->poll_query_until('postgres', q{
	SELECT count(*) = 6 FROM dataeng.jobs WHERE last_status = 'succeeded'}),
	'every job got a slot and succeeded');
is($node->safe_psql('postgres', q{SELECT count(DISTINCT job) FROM runs}), '6', 'each command ran');
is($node->safe_psql('postgres', qq{SELECT count(*) FROM runs WHERE job = '$gone'}), '0',
	'the unscheduled job never ran');
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.job_runs WHERE status <> 'succeeded' OR finished_at IS NULL}),
	'0', 'no run failed or is left waiting');
is( $node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT job_id FROM dataeng.job_runs GROUP BY job_id HAVING count(*) <> 1) s}),
	'0', 'a run that waited is the run that ran (one run per job)');

# the runs that were waiting are the same runs, now succeeded, and they
# keep the reason they waited; the runs that started at once have none
for my $jr (split /,/, $waiting)
{
	my ($job, $run) = split /:/, $jr;
	is( $node->safe_psql('postgres', qq{
		SELECT r.status || ' ' || (r.wait_reason IS NOT NULL) || ' ' || (j.last_run_id = r.run_id)
		  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE r.run_id = $run}),
		'succeeded true true', "job $job: its waiting run $run succeeded and says why it waited");
}
cmp_ok( $node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.job_runs WHERE wait_reason IS NULL}),
	'>=', 1, 'runs that got a slot at once have no wait_reason');

$node->safe_psql('postgres', q{SELECT dataeng.unschedule(job_name) FROM dataeng.jobs});
$node->stop;
done_testing();
