# The scheduler across crashes, restarts and shortages:
#  - a job worker killed with SIGKILL (the postmaster restarts everything):
#    its run is recorded as failed, its work never committed, and the job
#    runs again afterwards;
#  - an immediate shutdown in the middle of a run: the same after restart,
#    and a job missed during the downtime runs once, not once per missed tick;
#  - a database created later gets its scheduler as soon as the extension is
#    created, without a restart;
#  - when background-worker slots run out, jobs wait their turn and the log
#    says so once;
#  - SIGTERM (fast shutdown) stops the workers promptly, mid-run;
#  - runs ended without a record (shutdown, a terminated worker) are retried;
#  - SIGHUP: a changed dataeng.max_parallel_jobs is obeyed without restart,
#    once _scheduler_conf_read() says the launcher and scheduler read it;
#  - an idle scheduler sleeps (no busy loop).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::Bin;
use NodePoll;

my $node = PostgreSQL::Test::Cluster->new('sched');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.launcher_naptime = 3600
log_min_messages = log
restart_after_crash = on
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE runs (job text, at timestamptz DEFAULT clock_timestamp());
});

# (NodePoll: the waits across the crash restart must not die of a refused
# connection)
sub wait_until
{
	my ($db, $sql, $what) = @_;
	ok(NodePoll::poll_until($node, $db, $sql), $what);
}

# 1. SIGKILL of a job worker in the middle of its run
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('victim', '@yearly',
	  $$BEGIN; INSERT INTO runs VALUES ('victim'); SELECT pg_sleep(60); COMMIT$$);
	SELECT dataeng.job_run_now('victim');
});
wait_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%'},
	'the victim job is running');
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%'});
$pid =~ /^\d+$/ or die "not one run of the victim job: '$pid'";
kill 'KILL', $pid;
# the postmaster restarts all processes; the launcher then the scheduler come back
wait_until('postgres',
	q{SELECT status = 'failed' FROM dataeng.job_runs WHERE job_id = (SELECT job_id FROM dataeng.jobs WHERE job_name = 'victim')},
	'after SIGKILL and the restart, the interrupted run is recorded as failed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM runs WHERE job = 'victim'}),
	'0', 'the killed run committed nothing');
wait_until('postgres', 'SELECT dataeng_internal._scheduler_pid() IS NOT NULL',
	'the scheduler is back after the crash restart');
$node->safe_psql('postgres', q{
	UPDATE dataeng.jobs SET command = $$INSERT INTO runs VALUES ('victim')$$ WHERE job_name = 'victim';
	SELECT dataeng.job_run_now('victim');
});
wait_until('postgres', q{SELECT count(*) = 1 FROM runs WHERE job = 'victim'},
	'the job runs again after the crash');

# 2. Immediate shutdown during a run; a job missed during the downtime
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('long', '@yearly', $$BEGIN; INSERT INTO runs VALUES ('long'); SELECT pg_sleep(60); COMMIT$$);
	SELECT dataeng.job_run_now('long');
	SELECT dataeng.schedule('every2s', '2 seconds', $$INSERT INTO runs VALUES ('every2s')$$);
});
wait_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job' AND query LIKE '%pg_sleep(60)%'},
	'the long job is running');
$node->stop('immediate');
sleep 7;    # three or four ticks of every2s are missed
$node->start;
my $t0 = time();
wait_until('postgres',
	q{SELECT status = 'failed' AND error_message = 'the server stopped during the run'
	    FROM dataeng.job_runs WHERE job_id = (SELECT job_id FROM dataeng.jobs WHERE job_name = 'long')},
	'a run cut by an immediate shutdown is recorded as failed');
is($node->safe_psql('postgres', q{SELECT count(*) FROM runs WHERE job = 'long'}),
	'0', 'the interrupted run committed nothing');
my $n_before = $node->safe_psql('postgres', q{SELECT count(*) FROM runs WHERE job = 'every2s'});
wait_until('postgres', qq{SELECT count(*) > $n_before FROM runs WHERE job = 'every2s'},
	'the interval job runs after the restart');
# the first run after the restart, then the next one two seconds later: the
# missed ticks are not made up in a burst.  (Gaps between the runs' starts
# as the scheduler records them, each at least the interval after the one
# before: the rows the runs insert are late by their worker's start, which
# varies on a loaded machine.)
ok($node->poll_query_until('postgres', qq{SELECT count(*) >= $n_before + 2 FROM runs WHERE job = 'every2s'}),
	'the interval job runs twice after the restart');
my $gap = $node->safe_psql('postgres', qq{
	SELECT count(*) >= 2 AND min(gap) >= 2 FROM (
	  SELECT extract(epoch FROM r.started_at - lag(r.started_at) OVER (ORDER BY r.started_at)) AS gap
	    FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'every2s') g
	 WHERE gap IS NOT NULL});
is($gap, 't', 'missed runs are not made up one by one after the downtime');
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('every2s'), dataeng.unschedule('long'), dataeng.unschedule('victim')});

# 3. A database created later: its scheduler starts when the extension is created
# (the launcher naptime is an hour, the wait's deadline minutes: the job
# runs because the commit woke the launcher)
$node->safe_psql('postgres', 'CREATE DATABASE later');
$node->safe_psql('later', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE runs (job text);
	SELECT dataeng.schedule('hello', '1 second', $$INSERT INTO runs VALUES ('hello')$$);
});
wait_until('later', q{SELECT count(*) > 0 FROM runs}, 'a job of a database created later runs, before the launcher naptime');
$node->safe_psql('later', q{SELECT dataeng.unschedule('hello')});
# dropping the extension stops that scheduler
$node->safe_psql('later', 'DROP EXTENSION dataeng');
$node->safe_psql('later', 'SELECT 1');    # make sure the drop committed
wait_until('postgres',
	q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng scheduler' AND datname = 'later'},
	'the scheduler of a database without the extension leaves');

# 4. No background worker slot left: jobs wait, the log says so once
$node->append_conf('postgresql.conf', qq{
max_worker_processes = 5
dataeng.max_parallel_jobs = 100
});
$node->restart;
my $log_offset = -s $node->logfile;
# launcher + scheduler take 2 of 5 slots: 3 job runs at a time
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('w' || i, '1 second', format($$INSERT INTO runs VALUES (%L); SELECT pg_sleep(1)$$, 'w' || i))
	  FROM generate_series(1, 6) i;
});
wait_until('postgres', q{SELECT count(DISTINCT job) = 6 FROM runs WHERE job LIKE 'w%'},
	'all six jobs got to run with three slots');
sleep 3;
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('w' || i) FROM generate_series(1, 6) i});
my $log = slurp_file($node->logfile, $log_offset);
my $said = () = $log =~ /no background worker slot is free/g;
cmp_ok($said, '>=', 1, 'the shortage is logged');
cmp_ok($said, '<=', 2, "the shortage is logged once, not once per pass (logged $said times)");
my $max_conc = $node->safe_psql('postgres', q{
	SELECT max(n) FROM (SELECT count(*) OVER (ORDER BY at RANGE BETWEEN CURRENT ROW AND '0.9 seconds' FOLLOWING) AS n
	                      FROM runs WHERE job LIKE 'w%') s});
cmp_ok($max_conc, '<=', 4, 'runs never exceeded the free slots (within a second)');

# 5. SIGHUP: dataeng.max_parallel_jobs = 1 is obeyed without a restart
$node->append_conf('postgresql.conf', qq{
max_worker_processes = 16
});
$node->restart;
wait_until('postgres', 'SELECT dataeng_internal._scheduler_conf_read() IS NOT NULL', 'the launcher is back after the restart');
my $conf_changed = $node->safe_psql('postgres', 'SELECT clock_timestamp()');
$node->append_conf('postgresql.conf', qq{dataeng.max_parallel_jobs = 1});
$node->reload;
# (the launcher and the database's scheduler read the files since: the
# schedulers from now on use the new value.  A new session's SHOW, waited
# for before, only told that the postmaster had read them.)
ok($node->poll_query_until('postgres', qq{SELECT dataeng_internal._scheduler_conf_read() > '$conf_changed'}),
	'the launcher and the scheduler read the new configuration');
is($node->safe_psql('postgres', 'SHOW dataeng.max_parallel_jobs'), '1', 'the reload is done');
$node->safe_psql('postgres', q{
	TRUNCATE runs;
	CREATE TABLE spans (job text, t0 timestamptz, t1 timestamptz);
	SELECT dataeng.schedule('p' || i, '1 second',
	  format($$INSERT INTO spans SELECT %L, clock_timestamp(), clock_timestamp() + interval '0.3 seconds' FROM pg_sleep(0.3)$$, 'p' || i))
	  FROM generate_series(1, 3) i;
});
wait_until('postgres', q{SELECT count(DISTINCT job) = 3 FROM spans}, 'the three jobs ran');
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('p' || i) FROM generate_series(1, 3) i});
sleep 1;
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM spans a JOIN spans b ON a.ctid < b.ctid
	 WHERE tstzrange(a.t0 - interval '0.3 seconds', a.t0) && tstzrange(b.t0 - interval '0.3 seconds', b.t0)}),
	'0', 'with max_parallel_jobs = 1 after a reload, no two runs overlapped');

# 6. An idle scheduler sleeps: few wake-ups over two seconds.  (With no
# job left, the scheduler leaves once the runs of 5. ended, late on a
# loaded machine: waited for, the launcher is what stays; read while the
# scheduler was still there, its pid was gone by the second read.)
wait_until('postgres', q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng scheduler'},
	'with no job left, no scheduler stays');
my $sched = $node->safe_psql('postgres', 'SELECT dataeng_internal._scheduler_pid()');
sub cpu_ticks
{
	my $stat = slurp_file("/proc/$sched/stat");
	my @f = split / /, (split /\) /, $stat)[1];
	return $f[11] + $f[12];
}
SKIP:
{
	skip 'no /proc', 1 unless -r "/proc/$sched/stat";
	my $c0 = cpu_ticks();
	sleep 2;
	cmp_ok(cpu_ticks() - $c0, '<=', 5, 'the idle scheduler used (almost) no CPU');
}

# 7. Fast shutdown (SIGTERM) in the middle of a run is prompt
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('sleeper', '@yearly', 'SELECT pg_sleep(600)', max_retries => 2);
	SELECT dataeng.job_run_now('sleeper');
});
wait_until('postgres',
	q{SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'dataeng job'},
	'the sleeper runs');
$t0 = time();
$node->stop('fast');
# (the job would sleep ten minutes; a loaded machine may take a while to
# checkpoint and stop: a minute is short while other clusters write and
# remove files, when an initdb was seen to take 40 s)
cmp_ok(time() - $t0, '<', 240, 'a fast shutdown does not wait for the running job');
$node->start;
wait_until('postgres',
	q{SELECT status = 'failed' FROM dataeng.job_runs
	   WHERE job_id = (SELECT job_id FROM dataeng.jobs WHERE job_name = 'sleeper') AND attempt = 1},
	'the run stopped by the shutdown is recorded as failed');
# (attempt 1: its retry may have begun by the time a loaded machine polls)

# 8. Runs that ended without a record of their result are retried as any
# failed run: the one the shutdown stopped, then one whose worker is
# terminated (the scheduler records its end); the last attempt is not
sub sleeper_attempt_runs
{
	my $attempt = shift;
	wait_until('postgres', qq{
		SELECT count(*) = 1 FROM pg_stat_activity a
		  JOIN dataeng.job_runs r ON r.status = 'running' AND r.attempt = $attempt
		  JOIN dataeng.jobs j ON j.job_id = r.job_id AND j.job_name = 'sleeper'
		 WHERE a.backend_type = 'dataeng job'}, "the sleeper's attempt $attempt runs");
}
sleeper_attempt_runs(2);
is($node->safe_psql('postgres', q{
	SELECT string_agg(r.attempt || ' ' || r.status, ', ' ORDER BY r.run_id)
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'sleeper'}),
	'1 failed, 2 running', 'the run the shutdown stopped is retried (max_retries => 2)');
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng job'});
sleeper_attempt_runs(3);
is($node->safe_psql('postgres', q{
	SELECT string_agg(r.attempt || ' ' || r.status || ' ' || coalesce(r.error_message, ''), ', ' ORDER BY r.run_id)
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'sleeper' AND r.attempt >= 2}),
	'2 failed the job worker stopped without recording a result, 3 running ',
	'a run whose worker was terminated is recorded as failed and retried');
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng job'});
wait_until('postgres', q{
	SELECT r.status = 'failed' AND j.last_status = 'failed' AND j.attempt = 0
	   AND j.next_run_at > now() + interval '1 day'
	  FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'sleeper' AND r.attempt = 3},
	'after the last attempt the job waits for its schedule: no retry queued');
$node->safe_psql('postgres', q{SELECT dataeng.unschedule('sleeper')});

$node->stop;
done_testing();
