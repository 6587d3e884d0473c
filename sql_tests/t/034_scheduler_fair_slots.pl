# Background worker slots shared between databases: with
# max_worker_processes taken by the scheduler and runs of one busy
# database (jobs always due, each run long), a job made due in another
# database runs.  Before, the busy database's scheduler, woken the moment
# one of its runs ended, took every slot freed before the launcher's next
# try (once a second) at starting the other database's scheduler, and
# the other database's job did not run while the busy one had due jobs.
# Now a database whose scheduler (or run) finds no slot holds the next
# one freed, as a database held back by dataeng's caps does (t/034).
# The busy database's runs wait on advisory locks the test lets go one
# run at a time: after each, its scheduler could take the slot freed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_fair_slots');
$node->init;
# slots: the launcher, the busy database's scheduler and two runs
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 4
max_logical_replication_workers = 0
dataeng.max_parallel_jobs = 8
dataeng.max_parallel_jobs_per_role = 8
log_min_messages = log
# (the database postgres, without dataeng, looked at again only hourly)
dataeng.launcher_naptime = 3600
});
$node->start;

for my $db ('busy', 'other')
{
	$node->safe_psql('postgres', qq{CREATE DATABASE $db});
	$node->safe_psql($db, q{CREATE EXTENSION dataeng; CREATE TABLE ran (at timestamptz DEFAULT clock_timestamp())});
}
$node->safe_psql('other', q{SELECT dataeng.schedule('once', '@yearly', 'INSERT INTO public.ran DEFAULT VALUES')});

# each job of the busy database waits on an advisory lock of its own, which
# the test lets go for one run (it ends, the job's next run waits)
my $locks = $node->background_psql('busy');
$locks->query_safe(q{SELECT pg_advisory_lock(i) FROM generate_series(1, 3) i});
$node->safe_psql('busy', q{
	SELECT dataeng.schedule('b' || i, '1 second', format('SELECT pg_advisory_xact_lock(%s)', i))
	  FROM generate_series(1, 3) i});
ok($node->poll_query_until('busy', q{
	SELECT count(*) = 2 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND wait_event = 'advisory'}),
	'the busy database runs two jobs at once, every slot taken');

my $log_offset = -s $node->logfile;
$node->safe_psql('other', q{SELECT dataeng.job_run_now('once')});
ok($node->wait_for_log(qr/dataeng launcher: no background worker slot for the schedulers of \d+ database/, $log_offset),
	'the other database gets no scheduler');

# let the busy database's runs end one at a time (the others go on); after
# each, wait until every slot is taken again (or the job has run)
my $done = 'f';
for my $round (1 .. 6)
{
	$locks->query_safe(q{
		SELECT pg_advisory_unlock(k), pg_advisory_lock(k)
		  FROM (SELECT min(objid)::int FROM pg_locks WHERE locktype = 'advisory' AND NOT granted) w(k)
		 WHERE k IS NOT NULL});
	$node->poll_query_until('other', q{
		SELECT (SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'once')
		    OR (SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'dataeng%')
		       >= current_setting('max_worker_processes')::int});
	$done = $node->safe_psql('other', q{
		SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'once'});
	last if $done eq 't';
}
# (the run may have begun in the last round, seen as every slot taken:
# waited for, the busy database's jobs still due and their runs waiting on
# their locks; a job of the other database never started never ends)
ok($done eq 't' || $node->poll_query_until('other', q{
		SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'once'}),
	'the job of the other database runs while the busy one has due jobs');
is($node->safe_psql('other', q{SELECT count(*) FROM ran}), '1', 'once');
$locks->quit;
ok($node->poll_query_until('busy', q{
	SELECT count(*) >= 2 FROM dataeng.job_runs WHERE status = 'succeeded'}),
	'the busy database runs its jobs again');

$node->stop;
done_testing();
