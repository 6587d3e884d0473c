# A database's scheduler replaced while runs it started go on (it is
# terminated, a new one starts): the new one
#  1. counts those runs in dataeng.max_parallel_jobs and never starts a
#     second run of a job whose run goes on;
#  2. terminates such a run that outlives its job's timeout;
#  3. gives up a run whose worker had not begun it (the worker runs
#     nothing), records it failed and retries it (max_retries).
#  4. and when the database is renamed or dropped meanwhile, its runs are
#     cancelled (before: the command failed, "being accessed by other
#     users", the run of the terminated scheduler going on);
#  5. forgets the runs of a database where the extension was dropped.
# Jobs are held in a known state by advisory locks, and a worker kept
# from beginning its run by a lock on pg_ts_config, which its role's
# default_text_search_config setting reads when it connects.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_successor');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.launcher_naptime = 1
dataeng.max_parallel_jobs = 1
max_worker_processes = 16
log_min_messages = log
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ran (job text, at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('hold', '@yearly', 'SELECT pg_advisory_xact_lock(101)');
	SELECT dataeng.schedule('quick', '@yearly', $$INSERT INTO public.ran VALUES ('quick')$$);
});

sub scheduler_pid
{
	return $node->safe_psql('postgres', q{
		SELECT pid FROM pg_stat_activity WHERE application_name = 'dataeng scheduler' AND datname = 'postgres'});
}

# a scheduler other than $old made a pass (or a job started meanwhile)
sub wait_successor_pass
{
	my ($old, $also) = @_;
	return $node->poll_query_until('postgres', qq{
		SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE application_name = 'dataeng scheduler'
		                  AND datname = 'postgres' AND pid <> $old AND state = 'idle')
		    OR $also});
}

# 1. the caps count the predecessor's run
my $locks = $node->background_psql('postgres');
$locks->query_safe(q{SELECT pg_advisory_lock(101)});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('hold')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND wait_event = 'advisory'}),
	'the run of hold waits on the advisory lock');
# due while it runs: hold again (its run goes on), quick (the cap of 1)
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('hold'); SELECT dataeng.job_run_now('quick')});
my $old = scheduler_pid();
ok($old, 'a scheduler runs');
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($old)});
ok(wait_successor_pass($old, q{
	(SELECT count(*) > 1 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'hold')
	OR (SELECT last_status IS NOT NULL FROM dataeng.jobs WHERE job_name = 'quick')}),
	'a new scheduler made a pass');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'hold'}),
	'1', 'no second run of hold while its first goes on');
is($node->safe_psql('postgres', q{
	SELECT coalesce(last_status, 'none') || ' ' || run_now FROM dataeng.jobs WHERE job_name = 'quick'}),
	'none true', 'quick waits: the run of hold counts in dataeng.max_parallel_jobs');
$locks->query_safe(q{SELECT pg_advisory_unlock(101)});
ok($node->poll_query_until('postgres', q{
	SELECT (SELECT count(*) FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	         WHERE j.job_name = 'hold' AND r.status = 'succeeded') = 2
	   AND (SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'quick')}),
	'once the run ends, hold runs again and quick runs');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.job_runs WHERE status <> 'succeeded'}),
	'0', 'no run failed');

# 2. the new scheduler times out the predecessor's run: the command
# survives its statement timeout, only termination ends it
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('stuck', '@yearly', $c$DO $b$
	  BEGIN
	    LOOP
	      BEGIN
	        PERFORM pg_advisory_xact_lock(102);
	        EXIT;
	      EXCEPTION WHEN query_canceled THEN NULL;
	      END;
	    END LOOP;
	  END $b$ $c$, timeout => '2 seconds');
});
$locks->query_safe(q{SELECT pg_advisory_lock(102)});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('stuck')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND wait_event = 'advisory'}),
	'the run of stuck waits on the advisory lock');
$old = scheduler_pid();
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($old)});
ok($node->poll_query_until('postgres', q{
	SELECT r.status = 'timed_out' AND r.error_message = 'the run outlived its timeout and was terminated'
	  FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id WHERE j.job_name = 'stuck'}),
	'the new scheduler terminates the run past its timeout');
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng job'}),
	'its worker is gone');
$locks->query_safe(q{SELECT pg_advisory_unlock(102)});
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('stuck')});

# 3. a run whose worker had not begun it when its scheduler ended
$node->safe_psql('postgres', q{
	CREATE ROLE starter LOGIN;
	ALTER ROLE starter SET default_text_search_config = 'pg_catalog.simple';
	GRANT INSERT ON ran TO starter;
	SET ROLE starter;
	SELECT dataeng.schedule('late', '@yearly', $$INSERT INTO public.ran VALUES ('late')$$, max_retries => 1);
});
my $log_offset = -s $node->logfile;
$locks->query_safe(q{BEGIN});
$locks->query_safe(q{LOCK TABLE pg_catalog.pg_ts_config IN ACCESS EXCLUSIVE MODE});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('late')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_locks WHERE relation = 'pg_catalog.pg_ts_config'::regclass AND NOT granted}),
	'the worker of late waits to connect');
is($node->safe_psql('postgres', q{
	SELECT r.status || ' ' || r.attempt FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
	 WHERE j.job_name = 'late'}),
	'running 1', 'its run is recorded as running');
$old = scheduler_pid();
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($old)});
ok($node->poll_query_until('postgres', q{
	SELECT r.status = 'failed' FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id
	 WHERE j.job_name = 'late' AND r.attempt = 1}),
	'the new scheduler records the run as failed');
# the retry (a second later) starts while the given-up worker still waits:
# both go on at once
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 FROM pg_locks WHERE relation = 'pg_catalog.pg_ts_config'::regclass AND NOT granted}),
	'the worker of the retry waits to connect too');
$locks->query_safe(q{COMMIT});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 AND bool_or(r.attempt = 1 AND r.status = 'failed')
	       AND bool_or(r.attempt = 2 AND r.status = 'succeeded')
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'late'}),
	'and retries it (max_retries => 1): the retry runs');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM dataeng.job_runs WHERE error_message = 'another run of this job was still running'}),
	'0', 'the given-up worker never held the job\'s lock against its retry');
ok($node->wait_for_log(qr/dataeng job "late" \(job \d+, run \d+, database "postgres"\): the run was given up before its worker began/,
		$log_offset), 'the given-up worker says it does not run');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ran WHERE job = 'late'}),
	'1', 'the command ran once: the given-up run ran nothing');

$locks->quit;

# 4. the database renamed, then dropped, while the run of its terminated
# scheduler goes on: the run is cancelled (by the next scheduler, or by
# the command itself while none runs), so the commands succeed
$node->safe_psql('postgres', q{CREATE DATABASE victim});
$node->safe_psql('victim', q{
	CREATE EXTENSION dataeng;
	SELECT dataeng.schedule('sleeper', '@yearly', 'SELECT pg_sleep(600)');
	SELECT dataeng.job_run_now('sleeper');
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND datname = 'victim'
	   AND wait_event = 'PgSleep'}),
	'the run in database victim sleeps');
$old = $node->safe_psql('postgres', q{
	SELECT pid FROM pg_stat_activity WHERE application_name = 'dataeng scheduler' AND datname = 'victim'});
$node->safe_psql('postgres', qq{SELECT pg_terminate_backend($old)});
my ($ret, $out, $err) = $node->psql('postgres', q{ALTER DATABASE victim RENAME TO victim2});
is($ret, 0, 'ALTER DATABASE ... RENAME TO succeeds') or diag($err);
ok($node->poll_query_until('victim2', q{
	SELECT r.status = 'failed' AND r.error_message = 'cancelled: the database is being dropped, renamed, moved or copied'
	  FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id WHERE j.job_name = 'sleeper'}),
	'the run was cancelled and recorded so');
($ret, $out, $err) = $node->psql('postgres', q{DROP DATABASE victim2});
is($ret, 0, 'DROP DATABASE succeeds') or diag($err);


# 5. the extension dropped between two statements of a run (each
# statement holds the extension against DROP EXTENSION; the second fails,
# unrecorded): the run no longer counts in dataeng.max_parallel_jobs (1)
# once its scheduler finds no extension
$node->safe_psql('postgres', q{CREATE DATABASE dropext});
$node->safe_psql('dropext', q{
	CREATE EXTENSION dataeng;
	SELECT dataeng.schedule('twostep', '@yearly', 'SELECT pg_advisory_xact_lock(103); SELECT 1');
});
my $holder = $node->background_psql('dropext');
$holder->query_safe(q{SELECT pg_advisory_lock(103)});
$node->safe_psql('dropext', q{SELECT dataeng.job_run_now('twostep')});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND datname = 'dropext'
	   AND wait_event = 'advisory'}),
	'the run in database dropext waits in its first statement');
# (the job's change wakes the scheduler at the commit)
my $dropper = $node->background_psql('dropext');
$dropper->query_until(qr/dropping/, q{
	\echo dropping
	BEGIN;
	SELECT dataeng.job_run_now('twostep');
	DROP EXTENSION dataeng CASCADE;
	COMMIT;
	\echo dropped
});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 1 FROM pg_locks WHERE locktype = 'object' AND NOT granted AND mode = 'AccessExclusiveLock'}),
	'DROP EXTENSION waits for the statement');
$holder->query_safe(q{SELECT pg_advisory_unlock(103)});
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND datname = 'dropext'}),
	'the run ends');
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('quick')});
ok($node->poll_query_until('postgres', q{
	SELECT (SELECT count(*) FROM ran WHERE job = 'quick') = 2}),
	'a job of another database runs');
$holder->quit;
$dropper->quit;

$node->stop;
done_testing();
