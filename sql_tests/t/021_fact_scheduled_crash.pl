# Scheduled refreshes across a kill -9 of the job worker in the middle of a
# refresh: a fact and an SCD type 2 dimension refreshed every second by the
# scheduler, a large batch of changes, the fact's job killed after it
# applied them and before it committed (its command sleeps after the
# refresh), a burst of writers in flight; the postmaster restarts
# everything, the scheduler catches up, and the fact equals the GROUP BY
# and the dimension the source: nothing lost, nothing counted twice.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib $FindBin::Bin;
use FactWorkload;
use NodePoll;

my $node = PostgreSQL::Test::Cluster->new('factsched');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
restart_after_crash = on
});
$node->start;

# (NodePoll: the wait across the crash restart must not die of a refused
# connection)
sub wait_until
{
	my ($sql, $what) = @_;
	ok(NodePoll::poll_until($node, 'postgres', $sql), $what);
}

$node->safe_psql('postgres', FactWorkload::setup_sql("'1 second'") . q{
	SELECT dataeng.dimension_create('d', 'src', 'id', ARRAY['k'], 2, schedule => '1 second');
	CREATE FUNCTION dim_diff() RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM (
	    (SELECT id, k FROM d WHERE is_current EXCEPT ALL SELECT id, k FROM src)
	    UNION ALL
	    (SELECT id, k FROM src EXCEPT ALL SELECT id, k FROM d WHERE is_current)) x
	$$;
	-- every change of src captured so far (none was purged)
	CREATE FUNCTION captured() RETURNS bigint LANGUAGE sql AS $$
	  SELECT count(*) FROM dataeng.changes WHERE table_name = 'src'::regclass
	$$;
});
wait_until(q{SELECT count(*) = 2 FROM dataeng.jobs WHERE last_status = 'succeeded'},
	'the scheduler runs both refreshes');

# Slow the fact's refresh down: its job applies the changes, then sleeps
# in the same transaction.  Then a large batch of changes, all of it for
# that run: the job is paused, a run of it in progress waited for, and
# resumed once the batch committed (its next run a second later).  (A run
# going on while the batch was written, or one starting a second after
# the reschedule, slow on a loaded machine, took part of the batch.)  The
# command changes once no run is left: a run started just before the
# pause reads its command when its worker begins, and ran the one that
# sleeps for ten minutes.
$node->safe_psql('postgres', q{SELECT dataeng.job_pause('fact_refresh:f')});
NodePoll::poll_until($node, 'postgres',
	q{SELECT last_status NOT IN ('running', 'waiting') FROM dataeng.jobs WHERE job_name = 'fact_refresh:f'})
  or die 'a run of the fact\'s job did not end';
$node->safe_psql('postgres', q{
	SELECT dataeng.schedule('fact_refresh:f', '1 second', $$BEGIN; SELECT dataeng.fact_refresh('f'); SELECT pg_sleep(600); COMMIT$$);
	UPDATE src SET v = v * 2 WHERE id % 3 = 0;
	INSERT INTO src SELECT g, '2026-02-01 00:00+00'::timestamptz + g * interval '1 minute', 'big', g
	  FROM generate_series(10000, 59999) g;
	DELETE FROM src WHERE id % 11 = 0;
	SELECT dataeng.job_resume('fact_refresh:f');
});
wait_until(q{SELECT count(*) = 1 FROM pg_stat_activity
              WHERE backend_type = 'dataeng job' AND query LIKE '%fact_refresh(''f'')%' AND wait_event = 'PgSleep'},
	'the scheduled refresh applied the batch and has not committed');
my $applied = $node->safe_psql('postgres', q{SELECT total_changes FROM dataeng.facts WHERE name = 'f'});
# later runs refresh without sleeping; none runs until the checks below
$node->safe_psql('postgres', q{
	SELECT dataeng.job_pause('fact_refresh:f');
	SELECT dataeng.schedule('fact_refresh:f', '1 second', $$SELECT dataeng.fact_refresh('f')$$);
});

# writers in flight
my $connstr = $node->connstr('postgres');
my ($out, $err) = ('', '');
my $w = IPC::Run::start([ 'psql', '-X', '-d', $connstr, '-c', 'CALL burst(100000)' ], '>', \$out, '2>', \$err);
$node->poll_query_until('postgres', q{SELECT count(*) >= 200 FROM src WHERE id > 100000})
  or die 'the burst did not start';

# the run that sleeps, and no other (a worker of an earlier run may still
# be leaving, its last command in pg_stat_activity)
my $pid = $node->safe_psql('postgres', q{
	SELECT pid FROM pg_stat_activity
	 WHERE backend_type = 'dataeng job' AND query LIKE '%fact_refresh(''f'')%' AND wait_event = 'PgSleep'});
$pid =~ /^\d+$/ or die "not one sleeping run of the fact's job: '$pid'";
kill 'KILL', $pid;
$w->finish;
wait_until('SELECT dataeng_internal._scheduler_pid() IS NOT NULL', 'the scheduler is back after the crash restart');
is($node->safe_psql('postgres', q{SELECT total_changes FROM dataeng.facts WHERE name = 'f'}), $applied,
	'the killed refresh committed nothing');
ok($node->safe_psql('postgres', q{SELECT pending_changes FROM dataeng.facts WHERE name = 'f'}) > 50000,
	'its changes are pending again');

# more changes while the scheduler catches up
$node->safe_psql('postgres', q{
	SELECT dataeng.job_resume('fact_refresh:f');
	CALL burst(300);
});
wait_until(q{SELECT diff() = 0 AND dim_diff() = 0
                AND (SELECT pending_changes FROM dataeng.facts WHERE name = 'f') = 0
                AND (SELECT pending_changes FROM dataeng.dimensions WHERE name = 'd') = 0},
	'the scheduler caught up');
is($node->safe_psql('postgres', 'SELECT diff()'), '0', 'fact equals the GROUP BY');
is($node->safe_psql('postgres', 'SELECT dim_diff()'), '0', 'dimension equals the source');
my $captured = $node->safe_psql('postgres', 'SELECT captured()');
is($node->safe_psql('postgres', q{SELECT total_changes FROM dataeng.facts WHERE name = 'f'}), $captured,
	"the fact applied every captured change once ($captured)");
is($node->safe_psql('postgres', q{SELECT total_changes FROM dataeng.dimensions WHERE name = 'd'}), $captured,
	'so did the dimension');
is($node->safe_psql('postgres', q{
	SELECT count(*) > 0 FROM dataeng.job_runs r JOIN dataeng.jobs j USING (job_id)
	 WHERE j.job_name = 'fact_refresh:f' AND r.status = 'failed'}), 't', 'the killed run is recorded as failed');

# dropping removes the jobs
$node->safe_psql('postgres', q{SELECT dataeng.fact_drop('f'); SELECT dataeng.dimension_drop('d')});
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.jobs}), '0', 'fact_drop and dimension_drop remove their jobs');

$node->stop;
done_testing();
