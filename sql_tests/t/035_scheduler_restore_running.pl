# A job run in progress when a dump is taken: the dump has the run (and its
# job's last_status) as running.  Restored, nothing would end it: no worker
# runs it there, and the scheduler ends the runs a restart cut only at its
# first pass after the server starts.  So the restore records it as failed,
# saying why, as a run a restart cut is, with pg_restore and with psql; the
# job runs again in the restored database, and the run in the dumped
# database goes on and ends as it would have.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_restore_running');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.launcher_naptime = 1
});
$node->start;

# the job runs until a row is in gate (no timing: the test decides when)
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE gate (open bool);
	CREATE TABLE done (db text DEFAULT current_database());
	SELECT dataeng.schedule('slow', '@yearly', $$
	  DO $b$ BEGIN WHILE NOT EXISTS (SELECT 1 FROM public.gate) LOOP PERFORM pg_sleep(0.05); END LOOP; END $b$;
	  INSERT INTO public.done DEFAULT VALUES$$);
	SELECT dataeng.job_run_now('slow');
});
ok($node->poll_query_until('postgres', q{
	SELECT j.last_status = 'running' AND r.status = 'running' AND r.finished_at IS NULL
	  FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id WHERE j.job_name = 'slow'}),
	'the scheduler records the run as running (the restore trigger leaves its rows alone)');
my $run = $node->safe_psql('postgres', q{SELECT last_run_id FROM dataeng.jobs WHERE job_name = 'slow'});

my $dir = PostgreSQL::Test::Utils::tempdir;
$node->command_ok([ 'pg_dump', '-Fc', '-f', "$dir/db.dump", '-d', $node->connstr('postgres') ],
	'pg_dump -Fc while the run is in progress');
$node->command_ok([ 'pg_dump', '-f', "$dir/db.sql", '-d', $node->connstr('postgres') ],
	'pg_dump (plain) while the run is in progress');
like(slurp_file("$dir/db.sql"), qr/\t$run\t[^\n]*\trunning\t/, 'the dump has the run as running');

# the run in the dumped database ends as it would have
$node->safe_psql('postgres', 'INSERT INTO gate VALUES (true)');
ok($node->poll_query_until('postgres', qq{
	SELECT status = 'succeeded' FROM dataeng.job_runs WHERE run_id = $run}),
	'the run in the dumped database succeeds');

$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), "$dir/db.dump" ],
	'pg_restore');
$node->safe_psql('postgres', 'CREATE DATABASE restored_psql');
$node->command_ok([ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', "$dir/db.sql", '-d', $node->connstr('restored_psql') ],
	'psql of the plain dump');

for my $db ('restored', 'restored_psql')
{
	is($node->safe_psql($db, qq{
		SELECT r.status || ' | ' || (r.finished_at IS NOT NULL) || ' | ' || r.error_message || ' | '
		    || j.last_status || ' | ' || (j.last_finished_at IS NOT NULL) || ' | ' || (j.last_run_id = $run)
		  FROM dataeng.jobs j JOIN dataeng.job_runs r ON r.run_id = j.last_run_id WHERE j.job_name = 'slow'}),
		'failed | true | the run was in progress when the dump was taken: how it ended is not known here | failed | true | true',
		"$db: the run restored as running is recorded as failed, and so is its job's last run");
	is($node->safe_psql($db, q{SELECT count(*) FROM dataeng.job_runs WHERE status = 'running'}),
		'0', "$db: no run is shown running");

	# the job runs again there, numbered after the restored run
	$node->safe_psql($db, q{INSERT INTO gate VALUES (true); SELECT dataeng.job_run_now('slow')});
	ok($node->poll_query_until($db, qq{
		SELECT j.last_status = 'succeeded' AND j.last_run_id > $run
		  FROM dataeng.jobs j WHERE j.job_name = 'slow'}),
		"$db: the job runs again and succeeds");
	is($node->safe_psql($db, q{SELECT count(*) FROM done}), '1', "$db: its command ran once");
}

# A data-only restore with --disable-triggers (into a database whose
# scheduler has passed already, so the first pass's end of the runs a
# restart cut is behind it) brings the run as running without the
# trigger: the scheduler's next pass finds no worker runs it and records
# it as failed, and the job runs again.
$node->safe_psql('postgres', 'CREATE DATABASE restored_data');
$node->safe_psql('restored_data', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE gate (open bool);
	CREATE TABLE done (db text DEFAULT current_database());
	SELECT dataeng.schedule('warm', '@yearly', 'SELECT 1');
	SELECT dataeng.job_run_now('warm');
});
ok($node->poll_query_until('restored_data', q{
	SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'warm'}),
	'restored_data: its scheduler has passed');
$node->safe_psql('restored_data', q{
	SELECT dataeng.unschedule('warm');
	DELETE FROM dataeng.job_runs;
});
$node->command_ok([ 'pg_restore', '--exit-on-error', '--data-only', '--disable-triggers',
		'-d', $node->connstr('restored_data'), "$dir/db.dump" ],
	'pg_restore --data-only --disable-triggers');
is($node->safe_psql('restored_data', qq{SELECT status FROM dataeng.job_runs WHERE run_id = $run}),
	'running', 'restored_data: the run comes as running (the trigger was disabled)');
$node->safe_psql('restored_data', q{INSERT INTO gate VALUES (true); SELECT dataeng.job_run_now('slow')});
ok($node->poll_query_until('restored_data', qq{
	SELECT status = 'failed' AND finished_at IS NOT NULL
	   AND error_message LIKE 'no worker ran it: restored as running from a dump taken during the run %'
	  FROM dataeng.job_runs WHERE run_id = $run}),
	'restored_data: the scheduler records the run no worker runs as failed');
ok($node->poll_query_until('restored_data', qq{
	SELECT j.last_status = 'succeeded' AND j.last_run_id > $run
	  FROM dataeng.jobs j WHERE j.job_name = 'slow'}),
	'restored_data: the job runs again and succeeds');
is($node->safe_psql('restored_data', q{SELECT count(*) FROM done}), '1', 'restored_data: its command ran once');
is($node->safe_psql('restored_data', q{SELECT count(*) FROM dataeng.job_runs WHERE status = 'running'}),
	'0', 'restored_data: no run is shown running');

$node->stop;
done_testing();
