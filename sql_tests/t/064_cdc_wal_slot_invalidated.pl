# Capture from the WAL when the worker's slot was invalidated by
# max_slot_wal_keep_size (the worker held back too long): the WAL of the
# changes after the slot's position is gone.
#
# The worker says so once, naming the slot (it never decodes from 0/0 and
# fails on a WAL segment), the tables captured through the slot show why
# they stopped (cdc_status.capture_error), the alert of the lost slot is
# open, and the worker does not retry (no error every 10 s, no worker).
# cdc_enable() of a table is the way back: capture of that table goes on
# from then on, through a new slot, without a server restart; a table not
# enabled again stays stopped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walinv', qq{
max_slot_wal_keep_size = 32MB
max_wal_size = 64MB
min_wal_size = 32MB
autovacuum = off
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v text);
	CREATE TABLE src2 (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src', method => 'wal');
	SELECT dataeng.cdc_enable('src2', method => 'wal');
	SELECT dataeng.cdc_consumer_create('c', '{src,src2}');
	INSERT INTO src VALUES (0, 'before');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the tables');
my $slot = $node->safe_psql('postgres', q{SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dataeng_wal_%'});
like($slot, qr/^dataeng_wal_\d+$/, 'the worker has its slot');

# the worker idle while more WAL than max_slot_wal_keep_size is written
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = off; SELECT pg_reload_conf()});
# (the worker has read the setting: it waits without decoding)
ok($node->poll_query_until('postgres', q{SELECT dataeng_internal._cdc_wal_worker() = 'off'}), 'the worker is idle');
$node->safe_psql('postgres', q{INSERT INTO src VALUES (1, 'in the lost WAL')});
$node->safe_psql('postgres', q{CREATE TABLE junk AS SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g});
$node->safe_psql('postgres', 'CHECKPOINT');
is($node->safe_psql('postgres', qq{SELECT wal_status FROM pg_replication_slots WHERE slot_name = '$slot'}),
	'lost', 'the slot was invalidated');
my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = on; SELECT pg_reload_conf()});

# the tables captured through the slot show why they stopped
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 2 FROM dataeng.cdc_status WHERE capture_error IS NOT NULL}),
	'the tables captured through the slot stopped');
like($node->safe_psql('postgres', q{SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'src'::regclass}),
	qr/^replication slot "\Q$slot\E" was invalidated \(max_slot_wal_keep_size\): changes committed after [0-9A-F]+\/[0-9A-F]+ were lost$/,
	'capture_error names the slot and what was lost');
ok($node->wait_for_log(qr/WARNING:  capture from the WAL lost changes: replication slot "\Q$slot\E" was invalidated/, $offset),
	'the worker names the invalidated slot in the log');
like(slurp_file($node->logfile, $offset), qr/Capture of public\.src, public\.src2 stopped/, 'and the tables it stopped');
# the alert of the lost slot, raised by the worker, kept by alert_check()
my $alert = q{SELECT kind || ' ' || severity || ' ' || object FROM dataeng.alerts_open WHERE kind = 'slot_lag'};
is($node->safe_psql('postgres', $alert), "slot_lag error $slot", 'the alert of the lost slot is open');
like($node->safe_psql('postgres', q{SELECT message FROM dataeng.alerts_open WHERE kind = 'slot_lag'}),
	qr/capture of public\.src, public\.src2 stopped; run dataeng\.cdc_enable\(\) again/, 'the alert says which tables stopped');
$node->safe_psql('postgres', 'SELECT dataeng.alert_check()');
is($node->safe_psql('postgres', $alert), "slot_lag error $slot", 'alert_check() keeps it open');

# no retrying: no worker, and nothing more in the log, past the restart delay
ok($node->poll_query_until('postgres', q{
	SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'}),
	'the worker stopped');
sleep 12;
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'}),
	'0', 'and was not started again after the restart delay');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/ERROR:/, 'no error in the log');
unlike($log, qr/requested WAL segment \S+ has already been removed/, 'no decoding from 0/0');
my @warnings = ($log =~ /lost changes: replication slot/g);
is(scalar(@warnings), 1, 'the loss is logged once');

# the way back: the owner enables the table again
$node->safe_psql('postgres', q{
	SELECT dataeng.cdc_enable('src', method => 'wal');
	INSERT INTO src VALUES (2, 'right after cdc_enable');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'capture catches up after cdc_enable()');
$node->safe_psql('postgres', q{
	INSERT INTO src VALUES (3, 'later');
	INSERT INTO src2 VALUES (3, 'src2 is still stopped');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker captures again');
is($node->safe_psql('postgres', q{SELECT wal_status FROM pg_replication_slots WHERE slot_name LIKE 'dataeng_wal_%'}),
	'reserved', 'through a new slot');
is($node->safe_psql('postgres', q{SELECT active_method || ' ' || coalesce(capture_error, 'capturing') FROM dataeng.cdc_status ORDER BY table_name::text}),
	"wal capturing\nwal " . $node->safe_psql('postgres', q{SELECT capture_error FROM dataeng.cdc_tables WHERE table_name = 'src2'::regclass}),
	'src is captured from the WAL again, src2 still stopped');
is($node->safe_psql('postgres', q{SELECT string_agg(table_name::text || ':' || op::text || ':' || (new_row->>'id'), ' ' ORDER BY position)
                                    FROM dataeng.cdc_poll('c')}),
	'src:I:0 src:I:2 src:I:3', 'the consumer gets every change captured, once, in order');
is($node->safe_psql('postgres', $alert), '', 'the alert of the lost slot is resolved');
unlike(slurp_file($node->logfile, $offset), qr/ERROR:/, 'still no error in the log');
$node->stop;
done_testing();
