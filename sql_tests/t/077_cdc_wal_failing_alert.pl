# A WAL capture worker that fails at each start (its publication changed by
# hand, as in t/076) raises the alert wal_capture_failing once the first
# restart failed too (2 failures in a row), with the worker's error in its
# message: the worker opens it itself as it fails (once), without waiting
# for dataeng.alert_check(); shown to superusers only, as the slot's other
# alerts; resolved by the first worker that commits a round again.  Also: the
# server log's WARNING of an on_change handler that failed says its
# SQLSTATE.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walalert', qq{
dataeng.maintenance_interval = 0
dataeng.on_change_retries = 0
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE ROLE watcher LOGIN;
	CREATE ROLE replicator LOGIN REPLICATION;
	CREATE TABLE clicks (id int PRIMARY KEY, url text);
	GRANT SELECT ON clicks TO watcher, replicator;
	SELECT dataeng.cdc_enable('clicks', method => 'wal');
	INSERT INTO clicks VALUES (1, 'a');
});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('120 s')}), 't', 'captured while the worker runs');

# a handler that fails: its WARNING carries the SQLSTATE of its error
my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{
	CREATE FUNCTION boom(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN RAISE EXCEPTION 'boom' USING ERRCODE = 'division_by_zero'; END $$;
	SELECT dataeng.on_change('boom', 'clicks', 'boom(dataeng.change[])', '{I}');
	INSERT INTO clicks VALUES (10, 'x');
});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('60 s')}), 't', 'the failing handler\'s batch is handled');
like(slurp_file($node->logfile, $offset),
	qr/WARNING:  on_change trigger "boom" failed 1 times; its batch of commit \S+ goes to dataeng.dead_letters\n.*DETAIL:  SQLSTATE 22012: boom/,
	'the WARNING says the handler\'s SQLSTATE');
$node->safe_psql('postgres', q{SELECT dataeng.on_change_drop('boom')});

is($node->safe_psql('postgres', q{SELECT raised FROM dataeng.alert_check()}), '0', 'no alert while the worker runs');

$node->safe_psql('postgres', q{ALTER PUBLICATION dataeng_wal SET (publish = 'insert')});
# the first failure, then the first restart 10 s later fails too
ok($node->poll_query_until('postgres',
	q{SELECT EXISTS (SELECT FROM dataeng.pipeline_status WHERE kind = 'slot' AND state = 'failing')}),
	'the slot is failing once the worker failed twice in a row');
like($node->safe_psql('postgres', q{SELECT reason FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	qr/^the WAL capture worker of this database failed \d+ times in a row, no round committed since: 55000 at .*: publication "dataeng_wal" \(owner \S+\) was changed/,
	'pipeline_status says why');

# the worker that fails opens the alert itself, as it ends: no
# dataeng.alert_check() has run (maintenance is off here)
ok($node->poll_query_until('postgres', q{SELECT count(*) = 1 FROM dataeng.alerts_open WHERE kind = 'wal_capture_failing'}),
	'the failing worker opened the alert at once');
like($node->safe_psql('postgres', q{SELECT kind || ' ' || severity || ' ' || message FROM dataeng.alerts_open}),
	qr/^wal_capture_failing error slot dataeng_wal_\d+: the WAL capture worker of this database failed \d+ times in a row, no round committed since: 55000 at .*: publication "dataeng_wal" \(owner \S+\) was changed/,
	'the alert carries the worker\'s error');
my $seen = $node->safe_psql('postgres', q{SELECT seen_count FROM dataeng.alerts WHERE kind = 'wal_capture_failing'});
is($node->safe_psql('postgres', q{SELECT raised FROM dataeng.alert_check()}), '0', 'alert_check() finds it open: raised once');
is($node->safe_psql('postgres', q{SELECT count(*) || ' ' || (max(seen_count) > } . $seen . q{) FROM dataeng.alerts WHERE kind = 'wal_capture_failing'}),
	'1 true', 'one alert, found again while open');

like($node->safe_psql('postgres', q{SELECT worker_error FROM dataeng.cdc_status}),
	qr/^55000 at .*: publication "dataeng_wal" \(owner \S+\) was changed/, 'cdc_status shows the worker\'s error');
# server state: superusers only see the alert; a REPLICATION role sees the
# slot's row and its error, as before, but not the alert
is($node->safe_psql('postgres', q{SET ROLE watcher; SELECT count(*) FROM dataeng.alerts_open;
	SELECT count(*) FROM dataeng.pipeline_status WHERE kind = 'slot';
	SELECT coalesce(dataeng_internal._cdc_wal_fail_streak()::text, 'null');
	SELECT count(*) || ' ' || count(worker_error) FROM dataeng.cdc_status}),
	"0\n0\nnull\n1 0", 'a plain role sees neither the alert nor the failures');
like($node->safe_psql('postgres', q{SET ROLE replicator; SELECT count(*) FROM dataeng.alerts_open;
	SELECT state || ' ' || last_error FROM dataeng.pipeline_status WHERE kind = 'slot';
	SELECT worker_error FROM dataeng.cdc_status}),
	qr/^0\nfailing 55000 at .*\n55000 at /, 'a replication role sees the failing slot and its error, not the alert');

# repaired and started again: a round commits, the alert is resolved once
$node->safe_psql('postgres', q{DROP PUBLICATION dataeng_wal; INSERT INTO clicks VALUES (2, 'b')});
$node->safe_psql('postgres', q{SELECT dataeng.cdc_enable('clicks', method => 'wal')});
# (t/076 shows that the start ends the back-off; the worker's start and
# its first round may take a while on a loaded machine)
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('300 s')}), 't', 'captured once repaired and started again');
# (the worker notes its committed round just after it confirms the slot)
ok($node->poll_query_until('postgres', q{SELECT state = 'ok' FROM dataeng.pipeline_status WHERE kind = 'slot'}),
	'the slot is ok again');
is($node->safe_psql('postgres', q{SELECT count(worker_error) FROM dataeng.cdc_status}), '0', 'cdc_status: no error once a round committed');
# (the worker resolves it itself, after its first round)
ok($node->poll_query_until('postgres', q{SELECT count(*) = 0 FROM dataeng.alerts_open WHERE kind = 'wal_capture_failing'}),
	'the alert is resolved by the worker that runs again');
is($node->safe_psql('postgres', q{SELECT resolved FROM dataeng.alert_check()}), '0', 'resolved once');
is($node->safe_psql('postgres', q{SELECT count(*) || ' ' || count(resolved_at) FROM dataeng.alerts WHERE kind = 'wal_capture_failing'}),
	'1 1', 'one alert, resolved');
$node->stop;
done_testing();
