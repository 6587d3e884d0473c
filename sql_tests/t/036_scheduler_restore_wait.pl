# Due jobs wait while a restore is connected to their database.  pg_restore
# loads dataeng.jobs in its data section and makes the tables' indexes and
# triggers (the capture triggers among them) in its post-data section: a
# run started meanwhile worked on a half-restored database, and what it
# wrote to a captured table before its trigger was made was never
# captured.  A session named pg_restore (as pg_restore names its sessions)
# of a role that may write dataeng.jobs holds the due jobs back, with a LOG
# line once; the job runs once it ends.  A session of another role that
# calls itself pg_restore holds nothing back.  A session of any name that
# loaded dataeng.jobs as a restore does (COPY ... FROM stdin) holds them
# back too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_restore_wait');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
dataeng.launcher_naptime = 1
wal_level = logical
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE ROLE plain LOGIN;
	CREATE TABLE ran (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('j', '@yearly', 'INSERT INTO public.ran DEFAULT VALUES');
});

# a role that may not write dataeng.jobs names its session pg_restore: the
# job runs all the same
my $plain = $node->background_psql('postgres', extra_params => [ '-U', 'plain' ]);
$plain->query_safe(q{SET application_name = 'pg_restore'});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('j')});
ok($node->poll_query_until('postgres', q{SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'j'}),
	'a session of another role named pg_restore holds nothing back');
$plain->quit;

# a superuser's session named pg_restore: the due job waits
my $restore = $node->background_psql('postgres');
$restore->query_safe(q{SET application_name = 'pg_restore'});
my $pid = $restore->query_safe('SELECT pg_backend_pid()');
my $log_offset = -s $node->logfile;
my $before = $node->safe_psql('postgres', q{SELECT last_run_id FROM dataeng.jobs WHERE job_name = 'j'});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('j')});
ok($node->wait_for_log(qr/dataeng scheduler: a restore is connected to database "postgres"; due jobs start when it ends/,
		$log_offset), 'the scheduler says it waits for the restore');
like(slurp_file($node->logfile, $log_offset), qr/DETAIL:  Sessions of a restore \(named pg_restore, or that loaded dataeng\.jobs or dataeng\.cdc_tables as a restore does\) of roles that may write dataeng\.jobs are connected \(pids $pid\)\./,
	'naming the sessions');
# each pass looks for the restore before anything else: once it said so,
# no pass starts the job while the session is there
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM ran) || ' ' || (last_run_id = } . $before . q{) || ' ' || run_now
	  FROM dataeng.jobs WHERE job_name = 'j'}),
	'1 true true', 'the due job has not started (no run recorded, still due)');

$restore->quit;
ok($node->poll_query_until('postgres', qq{
	SELECT last_status = 'succeeded' AND last_run_id > $before FROM dataeng.jobs WHERE job_name = 'j'}),
	'the job runs once the restore is gone');
is($node->safe_psql('postgres', q{SELECT count(*) FROM ran}), '2', 'its command ran once');
my $said = () = slurp_file($node->logfile, $log_offset) =~ /a restore is connected to database/g;
is($said, 1, 'the wait was logged once');

# A restore under another name (PGAPPNAME set, psql -f of a plain dump):
# a superuser's session that loads dataeng.jobs as a restore does (COPY ...
# FROM stdin) holds the due jobs back until it ends, whatever its name.
# A role that may not write dataeng.jobs cannot mark its session so.
is($node->safe_psql('postgres', q{SELECT dataeng_internal._restore_mark()}, extra_params => [ '-U', 'plain' ]),
	'f', 'a role that may not write dataeng.jobs does not mark its session');
# nor through dataeng.schedule(), which writes dataeng.jobs with more
# rights than its caller's, from a statement that looks like a restore's
# COPY (one query string: COPY ... TO STDOUT, then the call, "from stdin"
# in a comment)
{
	my ($out, $err) = run_command([
		'psql', '-X', '-A', '-t', '-d', $node->connstr('postgres') . ' user=plain', '-c',
		q{COPY dataeng.jobs (job_name) TO STDOUT; SELECT dataeng.schedule('plain_job', '@yearly', 'SELECT 1') /* from stdin */; }
		  . q{SELECT 'marked ' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1684361811 AND pid = pg_backend_pid()}
	]);
	like($out, qr/^marked 0$/m, 'a role that may not write dataeng.jobs does not mark its session through dataeng.schedule()');
	$node->safe_psql('postgres', q{SELECT dataeng.unschedule('plain_job')}, extra_params => [ '-U', 'plain' ]);
}
my $other = $node->background_psql('postgres');
$other->query_safe(q{SET application_name = 'my_restore'});
# (\copy: psql sends COPY ... FROM STDIN and the file's rows, as a restore)
my $rows = $node->basedir . '/restored_jobs.tsv';
append_to_file($rows, "restored\t\@yearly\tSELECT 1\n");
chmod 0644, $rows;
$other->query_safe("\\copy dataeng.jobs (job_name, schedule, command) from '$rows'");
my $opid = $other->query_safe('SELECT pg_backend_pid()');
$log_offset = -s $node->logfile;
$before = $node->safe_psql('postgres', q{SELECT last_run_id FROM dataeng.jobs WHERE job_name = 'j'});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('j')});
ok($node->wait_for_log(qr/dataeng scheduler: a restore is connected to database "postgres"; due jobs start when it ends/,
		$log_offset), 'a session that loaded dataeng.jobs as a restore does, named otherwise, holds the jobs back');
like(slurp_file($node->logfile, $log_offset), qr/\(pids $opid\)/, 'naming it');
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM ran) || ' ' || (last_run_id = } . $before . q{) || ' ' || run_now
	  FROM dataeng.jobs WHERE job_name = 'j'}),
	'2 true true', 'the due job has not started');
$other->quit;
ok($node->poll_query_until('postgres', qq{
	SELECT last_status = 'succeeded' AND last_run_id > $before FROM dataeng.jobs WHERE job_name = 'j'}),
	'the job runs once that session is gone');

# The database's owner, no superuser, gives every session of its database
# the name pg_restore: a superuser's session whose client sends no name
# takes it, and is no restore.  The job runs all the same.
$node->safe_psql('postgres', q{
	CREATE ROLE dbo LOGIN;
	CREATE DATABASE owned OWNER dbo;
});
$node->safe_psql('owned', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ran (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('k', '@yearly', 'INSERT INTO public.ran DEFAULT VALUES');
});
$node->safe_psql('owned', q{ALTER DATABASE owned SET application_name = 'pg_restore'},
	extra_params => [ '-U', 'dbo' ]);
my $unnamed;
{
	local $ENV{PGAPPNAME} = '';
	$unnamed = $node->background_psql('owned');
}
is($unnamed->query_safe('SHOW application_name'), 'pg_restore',
	"a superuser's session that sends no name takes the database's");
$node->safe_psql('owned', q{SELECT dataeng.job_run_now('k')});
ok($node->poll_query_until('owned', q{SELECT last_status = 'succeeded' FROM dataeng.jobs WHERE job_name = 'k'}),
	'a name the database gives every session holds nothing back');
$unnamed->quit;

# Code of a role that may not write dataeng.jobs, run in the session of one
# that may, marks nothing: an on_change handler called by the WAL capture
# worker (whose session is the bootstrap superuser's) marked that worker's
# session as a restore's, and no job of the database started again while
# the worker ran (sql_tests/security_restore_mark.sql: the other ways in).
$node->safe_psql('postgres', q{GRANT CREATE ON SCHEMA public TO plain});
$node->safe_psql('postgres', q{
	CREATE TABLE public.w (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('public.w', method => 'wal');
	CREATE TABLE public.marks (marked boolean);
	CREATE FUNCTION public.wh(c dataeng.change[]) RETURNS void LANGUAGE sql
	  AS $$ INSERT INTO public.marks SELECT dataeng_internal._restore_mark() $$;
	SELECT dataeng.on_change('wh', 'public.w', 'public.wh(dataeng.change[])', '{I}');
	SELECT dataeng.cdc_wal_sync('60s');
}, extra_params => [ '-U', 'plain' ]);
$node->safe_psql('postgres', q{INSERT INTO public.w VALUES (1)}, extra_params => [ '-U', 'plain' ]);
ok($node->poll_query_until('postgres', q{SELECT count(*) > 0 FROM public.marks}),
	'the on_change handler was called in the WAL capture worker');
is($node->safe_psql('postgres', q{SELECT string_agg(marked::text, ',') FROM public.marks}), 'false',
	'an on_change handler does not mark the WAL capture worker as a restore');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1684361811 AND objsubid = 25705}),
	'0', 'no session holds the restore lock');
my $runs = $node->safe_psql('postgres', q{SELECT count(*) FROM ran});
$node->safe_psql('postgres', q{SELECT dataeng.job_run_now('j')});
ok($node->poll_query_until('postgres', qq{SELECT count(*) > $runs FROM ran}),
	'the job runs while the WAL capture worker runs');

$node->stop;
done_testing();
