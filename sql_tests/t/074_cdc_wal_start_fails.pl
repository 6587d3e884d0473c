# A WAL capture worker that cannot start for a lasting reason (here: no
# replication slot free for it) is not started once more at each pass of
# its database's scheduler: the worker that fails is restarted by the
# postmaster every 10 s (bgw_restart_time), and a second one registered
# while the first waits for its restart is a second worker restarted
# forever, each taking a background worker slot.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walfail', qq{
max_replication_slots = 1
max_worker_processes = 8
dataeng.maintenance_interval = 0
});
$node->start;

$node->safe_psql('postgres', q{
	SELECT pg_create_physical_replication_slot('taken');
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.schedule('tick', '1 second', 'SELECT 1');
});
my $offset = -s $node->logfile;
$node->psql('postgres', q{SELECT dataeng.cdc_enable('clicks', method => 'wal')});
sleep(25);
$offset = -s $node->logfile;
sleep(20);
my $log = slurp_file($node->logfile, $offset);
my $fails = () = $log =~ /all replication slots are in use/g;
note("slot errors in 20 s: $fails");
# the worker of the commit, restarted every 10 s, and the launcher's, at
# most every 10 s: 4 to 6 failures in 20 s (without a bound, 6 workers
# restarted every 10 s, one more at each pass while slots last)
cmp_ok($fails, '<=', 7, 'the failing worker is not started again at every scheduler pass');
# the job still runs: no background worker slot is held by failing
# workers (without the bound, every slot is taken within seconds and the
# job never runs again); waits for two more runs, however loaded the machine
my $seen = $node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.job_runs r
	JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'tick' AND r.status = 'succeeded'});
ok($node->poll_query_until('postgres', qq{SELECT count(*) >= $seen + 2 FROM dataeng.job_runs r
	JOIN dataeng.jobs j USING (job_id) WHERE j.job_name = 'tick' AND r.status = 'succeeded'}),
	'the every-second job still runs');
# a worker that fails and is started again is waited for: cdc_wal_sync()
# times out (false) instead of failing, whichever moment it is asked at
like($node->safe_psql('postgres', q{SELECT state FROM dataeng_internal._cdc_wal_start_state()}),
	qr/^(starting|running|restarting)$/, 'the failing worker is seen starting, running or waiting for its restart');
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('2 s')}), 'f',
	'cdc_wal_sync() waits for a worker that is restarted');

$node->stop;

# No WAL capture worker can start at all (no background worker slot is
# ever free: a static worker takes the only one): dataeng.cdc_wal_sync()
# fails at once with an error saying so, rather than waiting its whole
# timeout.
my $none = WalNode::new_node('walnone', qq{
max_worker_processes = 1
dataeng.maintenance_interval = 0
});
$none->start;
$none->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
});
$none->psql('postgres', q{SELECT dataeng.cdc_enable('clicks', method => 'wal')});
is($none->safe_psql('postgres', q{SELECT dataeng_internal._cdc_wal_worker()}), 'none', 'no WAL capture worker runs');
my ($ret, $out, $err) = $none->psql('postgres', q{SELECT dataeng.cdc_wal_sync('60 s')}, extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'cdc_wal_sync() fails when no worker runs');
like($err, qr/55000: no WAL capture worker runs in this database/, 'with SQLSTATE 55000 and a message saying why');
like($err, qr/HINT:.*launcher of dataeng starts the worker/, 'and a hint');
# at once, from the failed registration recorded in shared memory (not
# after no worker was seen for 15 s: that error's detail says so)
like($err, qr/DETAIL:.*could not be started at .*: no background worker slot was free \(max_worker_processes is 1\)/,
	'the detail says the worker could not be registered for want of a worker slot');
unlike($err, qr/none has been in it for 15 s/, 'decided from the recorded failure, not after 15 s without a worker');
like($err, qr/HINT:.*raise max_worker_processes/, 'the hint says what to do');
is($none->safe_psql('postgres', q{SELECT state FROM dataeng_internal._cdc_wal_start_state()}), 'no_slot',
	'the state of the start is no_slot');
$none->stop;

# No launcher runs or comes (no background worker slot was free for it at
# server start), and no worker start is recorded (the server started with
# WAL capture set up before): cdc_wal_sync() fails at once, its detail
# naming the missing launcher, rather than after 15 s without a worker.
my $nolauncher = WalNode::new_node('walnolauncher', qq{
dataeng.maintenance_interval = 0
});
$nolauncher->start;
$nolauncher->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	INSERT INTO clicks VALUES (1, 'a');
});
is($nolauncher->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('120 s')}), 't', 'captured while the worker runs');
# a launcher ended by an error is restarted by the postmaster: it is seen
# restarting (or already back, a new generation), never as gone
my $lpid = $nolauncher->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng launcher'});
$nolauncher->safe_psql('postgres', qq{SELECT pg_terminate_backend($lpid)});
ok($nolauncher->poll_query_until('postgres', qq{SELECT launcher_state = 'restarting'
	OR (launcher AND NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $lpid))
	FROM dataeng_internal._cdc_wal_start_state()}), 'the launcher is seen ended, or back');
like($nolauncher->safe_psql('postgres', q{SELECT launcher_state FROM dataeng_internal._cdc_wal_start_state()}),
	qr/^(restarting|running)$/, 'a launcher ended by an error is seen restarting, not gone');
ok($nolauncher->poll_query_until('postgres', qq{SELECT launcher_state = 'running' AND launcher
	FROM dataeng_internal._cdc_wal_start_state()}), 'the postmaster starts the launcher again');
isnt($nolauncher->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng launcher'}),
	$lpid, 'a new launcher');
$nolauncher->stop;
$nolauncher->append_conf('postgresql.conf', 'max_worker_processes = 0');
$nolauncher->start;
is($nolauncher->safe_psql('postgres', q{SELECT launcher_state || ' ' || state || ' ' || NOT launcher
	FROM dataeng_internal._cdc_wal_start_state()}), 'absent none true',
	'no launcher (no worker slot at server start), no worker start recorded');
($ret, $out, $err) = $nolauncher->psql('postgres', q{SELECT dataeng.cdc_wal_sync('60 s')},
	extra_params => [ '-v', 'VERBOSITY=verbose' ]);
isnt($ret, 0, 'cdc_wal_sync() fails when no launcher can start the worker');
like($err, qr/55000: no WAL capture worker runs in this database/, 'with SQLSTATE 55000');
like($err, qr/DETAIL:.*launcher of dataeng, which starts a missing worker, is not running: no background worker slot was free for it at server start \(max_worker_processes is 0\)/,
	'the detail says no launcher runs, and why');
unlike($err, qr/for 15 s/, 'at once, not after 15 s without a worker');
like($err, qr/HINT:.*Raise max_worker_processes/, 'the hint says what to do');
$nolauncher->stop;
done_testing();
