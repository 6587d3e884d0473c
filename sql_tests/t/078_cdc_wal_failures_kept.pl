# What is known of a database's failing WAL capture workers is kept where
# it belongs, and shown:
#
# - a worker that fails before it made its replication slot (none free)
#   has the slot's row in pipeline_status all the same, with its error,
#   and its alert wal_capture_failing, opened by the worker itself;
# - a worker that goes down with the server before it committed a round
#   (here: killed while it waits for a lock, which makes the postmaster
#   restart the server) counts as a failure after the crash-restart: the
#   next worker waits for its back-off instead of entering at once, and
#   the failure and its error outlive a clean restart too (shared memory
#   alone forgot them), but a promoted standby copied meanwhile counts none;
# - a new database that takes a dropped one's oid gets none of its
#   workers' failures, and its own worker runs (the dropped database's
#   entry, marked gone, kept every worker of the new one out);
# - the entry of a dropped database can be taken again (each DROP DATABASE
#   kept one for good: after dataeng.wal_max_databases of them, a worker
#   found none free).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;
use NodePoll;

my $node = WalNode::new_node('walkept', qq{
max_replication_slots = 3
restart_after_crash = on
max_wal_senders = 4
dataeng.wal_max_databases = 6
dataeng.maintenance_interval = 0
log_line_prefix = '%m [%p] '
});
$node->start;

# --- a worker that fails before it made its slot
$node->safe_psql('postgres', q{
	SELECT pg_create_physical_replication_slot('taken' || g) FROM generate_series(1, 3) g;
	CREATE EXTENSION dataeng;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
});
my ($ret, $out, $err) = $node->psql('postgres', q{SELECT dataeng.cdc_enable('clicks', method => 'wal')});
is($ret, 0, 'cdc_enable() succeeds without a free replication slot');
like($err, qr/WARNING:  no replication slot is free for the WAL capture of this database\nDETAIL:  All 3 replication slots \(max_replication_slots\) are in use: the WAL capture worker cannot make slot "dataeng_wal_\d+", and table public\.clicks stays captured by its trigger until it can\.\nHINT:  Raise max_replication_slots/,
	'and warns that the worker cannot make its slot');
ok($node->poll_query_until('postgres',
		q{SELECT state = 'failing' FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	'the slot not made yet has its row, failing after 2 failures in a row');
like($node->safe_psql('postgres', q{SELECT name || ' ' || reason || ' / ' || last_error FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	qr/^dataeng_wal_\d+ the WAL capture worker of this database failed \d+ times in a row before it made the replication slot, so nothing is captured from the WAL yet .*all replication slots are in use/,
	'its reason says the worker fails before it made the slot, and why');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM dataeng.alerts_open WHERE kind = 'wal_capture_failing' AND message LIKE '%all replication slots are in use%'}),
	'the worker opened the alert wal_capture_failing itself');
$node->safe_psql('postgres', q{
	SELECT pg_drop_replication_slot('taken' || g) FROM generate_series(1, 3) g;
	INSERT INTO clicks VALUES (1, 'a');
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('60 s')}), 't', 'captured once a slot is free');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM dataeng.alerts_open WHERE kind = 'wal_capture_failing'}),
	'the alert is resolved by the worker that runs');
is($node->safe_psql('postgres', q{SELECT state FROM dataeng.pipeline_status WHERE kind = 'slot'}), 'ok',
	'the slot is ok');

# --- a worker that goes down with the server before its first round
my $locker = $node->background_psql('postgres', on_error_stop => 0);
$locker->query_safe(q{BEGIN; LOCK TABLE dataeng.cdc_tables IN ACCESS EXCLUSIVE MODE});
# (terminated: no failure; the postmaster starts it again 10 s later, and
# the new one waits for the lock at its start)
$node->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'});
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM pg_stat_activity
	WHERE backend_type = 'dataeng wal capture' AND wait_event_type = 'Lock'}),
	'a new worker waits for the lock before its first round');
is($node->safe_psql('postgres', q{SELECT dataeng_internal._cdc_wal_fail_streak()}), '0',
	'a terminated worker is no failure');
my $pid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity
	WHERE backend_type = 'dataeng wal capture' AND wait_event_type = 'Lock'});
# (a copy of the data directory now: its state file says a worker runs)
$node->backup('running');
my $offset = -s $node->logfile;
kill 'KILL', $pid;
ok($node->wait_for_log(qr/all server processes terminated; reinitializing/, $offset), 'the server restarts after the crash');
eval { $locker->quit };
# (NodePoll: the server recovers meanwhile, refusing connections)
ok(NodePoll::poll_until($node, 'postgres', q{SELECT dataeng_internal._cdc_wal_fail_streak() = 1}),
	'the worker that went down with the server counts as a failure');
my $last_error = $node->safe_psql('postgres', q{SELECT dataeng_internal._cdc_wal_last_error()});
like($last_error,
	qr/^57P02 at .*: the server restarted after a crash while a WAL capture worker of the database had not committed a round since it started \(1 failure in a row; the next worker starts at /,
	'with its error');
my ($retry_at) = $last_error =~ /the next worker starts at ([^)]+)\)$/;
ok($node->wait_for_log(qr/dataeng wal capture: the worker of database \d+ waits \d+ s before it starts again after a failure/, $offset),
	'the next worker waits for the back-off instead of entering at once');
# (seen restarting until the back-off ends: a read after its end, which
# a loaded machine can make, may find the worker in already; the clock is
# read after the state)
is($node->safe_psql('postgres', qq{SELECT s.state = 'restarting' OR (s.state = 'running' AND clock_timestamp() >= '$retry_at')
	FROM dataeng_internal._cdc_wal_start_state() s}), 't',
	'and is seen restarting meanwhile');

# a clean restart keeps the failure's error (the worker may have run since)
$node->restart;
like($node->safe_psql('postgres', q{SELECT dataeng_internal._cdc_wal_last_error()}),
	qr/^57P02 at /, 'the last error outlives a restart');
$node->safe_psql('postgres', q{INSERT INTO clicks VALUES (2, 'b')});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('60 s')}), 't', 'capture goes on');
ok($node->poll_query_until('postgres', q{SELECT dataeng_internal._cdc_wal_fail_streak() = 0}),
	'a committed round ends the series');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'clicks'::regclass}), '2',
	'no change lost or doubled');

# --- a new database with a dropped one's oid
$node->safe_psql('postgres', q{CREATE DATABASE old});
my $oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'old'});
$node->safe_psql('old', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE t (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('t', method => 'wal');
	INSERT INTO t VALUES (1);
});
is($node->safe_psql('old', q{SELECT dataeng.cdc_wal_sync('60 s')}), 't', 'the old database captures');
$node->safe_psql('old', q{ALTER PUBLICATION dataeng_wal SET (publish = 'insert')});
ok($node->poll_query_until('old', q{SELECT dataeng_internal._cdc_wal_fail_streak() >= 1}), 'its worker fails');
ok(-e $node->data_dir . "/pg_dataeng/wal_$oid", 'its failures are in its state file');
$node->safe_psql('postgres', q{DROP DATABASE old});
ok(!-e $node->data_dir . "/pg_dataeng/wal_$oid", 'the state file goes with the database');
$node->safe_psql('postgres', qq{CREATE DATABASE new OID = $oid});
$node->safe_psql('new', q{CREATE EXTENSION dataeng});
is($node->safe_psql('new', q{SELECT coalesce(dataeng_internal._cdc_wal_last_error(), 'none') || ' ' || dataeng_internal._cdc_wal_fail_streak()}),
	'none 0', 'the new database has none of the old one\'s failures');
$node->safe_psql('new', q{
	CREATE TABLE t (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('t', method => 'wal');
	INSERT INTO t VALUES (1);
});
is($node->safe_psql('new', q{SELECT dataeng.cdc_wal_sync('60 s')}), 't', 'the new database\'s worker runs');
is($node->safe_psql('new', q{SELECT count(*) FROM dataeng.changes}), '1', 'and captures');

# dropped databases leave no entry taken: 8 of them, with 6 entries
$offset = -s $node->logfile;
$node->safe_psql('postgres', "CREATE DATABASE d$_; DROP DATABASE d$_;") for 1 .. 8;
$node->safe_psql('postgres', q{CREATE DATABASE last});
$node->safe_psql('last', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE t (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('t', method => 'wal');
	INSERT INTO t VALUES (1);
});
is($node->safe_psql('last', q{SELECT dataeng.cdc_wal_sync('60 s')}), 't', 'a worker runs after many databases were dropped');
is($node->safe_psql('last', q{SELECT state FROM dataeng_internal._cdc_wal_start_state()}), 'running',
	'with its entry');
unlike(slurp_file($node->logfile, $offset), qr/no shared memory entry is free/, 'no entry was missing');

# a standby made from the copy taken while a worker was running, then
# promoted, counts no crash: the file speaks of another server's worker
my $standby = PostgreSQL::Test::Cluster->new('walkept_standby');
$standby->init_from_backup($node, 'running', has_streaming => 1);
$standby->start;
$standby->promote;
ok($standby->poll_query_until('postgres', q{SELECT NOT pg_is_in_recovery()}), 'the standby is promoted');
# (it has the errors of before, as they were)
is($standby->safe_psql('postgres', q{SELECT dataeng_internal._cdc_wal_fail_streak() || ' ' || (dataeng_internal._cdc_wal_last_error() LIKE '57P02%')}),
	'0 false', 'a promoted copy counts no failure for the worker that ran when it was copied');
$standby->stop;

$node->stop;
done_testing();
