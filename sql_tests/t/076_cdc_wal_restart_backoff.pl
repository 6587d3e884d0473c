# A WAL capture worker that fails at each start (here: its publication was
# changed by hand, so every round ends with an ERROR) is started again
# with a back-off: at least 10 s after the failure, then twice as long
# each time.  Without it, a new worker failed every second or so.  The
# failure is shown: _cdc_wal_start_state() and cdc_status() carry the
# worker's last error (message, SQLSTATE, time).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walbackoff', qq{
dataeng.maintenance_interval = 0
log_line_prefix = '%m [%p] '
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	SELECT dataeng.schedule('tick', '1 second', 'SELECT 1');
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	INSERT INTO clicks VALUES (1, 'a');
});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('120 s')}), 't', 'captured while the worker runs');

my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{ALTER PUBLICATION dataeng_wal SET (publish = 'insert')});
my $changed = qr/publication "dataeng_wal" \(owner \S+\) was changed/;
ok($node->wait_for_log($changed, $offset), 'the worker fails at its start');
# 35 s from the change: the failure, a worker 10 s later, the next one 20 s
# after that (3 failures at most).  Without the back-off, the worker of the
# commit and the launcher's were each restarted every 10 s, and more were
# registered at the scheduler's passes: 8 failures or more.
sleep(35);
my $log = slurp_file($node->logfile, $offset);
my @pids = $log =~ /\[(\d+)\] ERROR:  $changed/g;
note('failing workers in 35 s: ' . scalar(@pids));
cmp_ok(scalar(@pids), '<=', 4, 'a failing worker is not started again in a loop');
# the failure is shown: the worker is seen waiting for its restart, the
# wait after the second failure in a row twice as long as after the first
is($node->safe_psql('postgres', q{SELECT state = 'restarting' AND next_attempt >= since + interval '19 s'
	FROM dataeng_internal._cdc_wal_start_state()}), 't',
	'the worker is seen waiting for its restart, twice as long after failures in a row');

# (failing, not warning: 2 failures in a row or more, see t/077)
like($node->safe_psql('postgres', q{SELECT state || ' ' || last_error FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	qr/^failing 55000 at .*: publication "dataeng_wal" \(owner \S+\) was changed: capture from the WAL stops \(\d failures in a row; the next worker starts at /,
	'pipeline_status shows the error that ended the last worker');

# a worker registered meanwhile (by the launcher) waits for the back-off:
# cdc_wal_sync() waits too, and times out rather than failing
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('2 s')}), 'f',
	'cdc_wal_sync() waits for a worker in its back-off');

# repaired (the worker makes the publication again) and started by its
# owner: no back-off holds it back, capture goes on
$offset = -s $node->logfile;
$node->safe_psql('postgres', q{DROP PUBLICATION dataeng_wal; INSERT INTO clicks VALUES (2, 'b')});
$node->safe_psql('postgres', q{SELECT dataeng.cdc_enable('clicks', method => 'wal')});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('25 s')}), 't', 'captured once repaired and started again');
is($node->safe_psql('postgres', q{SELECT state FROM dataeng_internal._cdc_wal_start_state()}), 'running',
	'the worker runs again');
$node->stop;
done_testing();
