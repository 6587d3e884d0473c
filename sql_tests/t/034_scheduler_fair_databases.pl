# Job runs shared between databases: when dataeng.max_parallel_jobs_per_role
# (or dataeng.max_parallel_jobs) is reached, a database whose jobs are held
# back gets the next slot a run frees, even while another database of the
# same role always has a due job.  The busy database's scheduler, woken the
# moment one of its runs ended, took every freed slot, and a job of the
# other database never ran.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('sched_fair');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 16
dataeng.launcher_naptime = 5
dataeng.max_parallel_jobs = 4
dataeng.max_parallel_jobs_per_role = 2
});
$node->start;

# busy: three jobs of one role, each due every second and running 1.5 s,
# so that the role always has a due job held back by its cap
$node->safe_psql('postgres', q{CREATE DATABASE busy});
$node->safe_psql('busy', q{
	CREATE EXTENSION dataeng;
	SELECT dataeng.schedule('b' || g, '1 second', 'SELECT pg_sleep(1.5)') FROM generate_series(1, 3) g;
});
ok($node->poll_query_until('busy',
	q{SELECT count(*) >= 4 FROM dataeng.job_runs WHERE status = 'succeeded'}), 'the busy database runs its jobs');

# quiet: one job of the same role, every 2 seconds
$node->safe_psql('postgres', q{CREATE DATABASE quiet});
$node->safe_psql('quiet', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE ticks (at timestamptz DEFAULT clock_timestamp());
	SELECT dataeng.schedule('tick', '2 seconds', 'INSERT INTO ticks DEFAULT VALUES');
});
# the quiet database's job gets its turns (four runs) while the busy
# database's jobs go on: waited for, however loaded the machine is
my $busy0 = $node->safe_psql('busy', q{SELECT max(run_id) FROM dataeng.job_runs});
ok($node->poll_query_until('quiet', q{SELECT count(*) >= 4 FROM ticks}),
	"the quiet database's job runs while the busy one has due jobs");
my $busy = $node->safe_psql('busy',
	qq{SELECT count(*) FROM dataeng.job_runs WHERE run_id > $busy0 AND status <> 'waiting'});
cmp_ok($busy, '>=', 4, "and the busy database's jobs go on ($busy runs meanwhile)");
# never more than the role's cap at once
my $over = $node->safe_psql('postgres', q{
	SELECT count(*) > 2 FROM pg_stat_activity WHERE backend_type = 'dataeng job'});
is($over, 'f', 'the per-role cap holds');

$node->stop;
done_testing();
