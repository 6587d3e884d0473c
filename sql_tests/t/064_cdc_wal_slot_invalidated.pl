# Capture from the WAL when the worker's slot was invalidated by
# max_slot_wal_keep_size (the worker held back too long): the worker says
# so in the server log, naming the slot, instead of failing on a WAL
# segment at 0/0 (an invalidated slot has no restart point).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('walinv');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
wal_level = logical
max_replication_slots = 4
max_worker_processes = 16
max_slot_wal_keep_size = 32MB
max_wal_size = 64MB
min_wal_size = 32MB
dataeng.wal_naptime = 50ms
dataeng.launcher_naptime = 1
autovacuum = off
});
if (`postgres --describe-config 2>/dev/null` =~ /^output_plugin_libraries/m) {
	$node->append_conf('postgresql.conf', "output_plugin_libraries = 'pgoutput, test_decoding, dataeng'");
}
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src', method => 'wal');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the table');
# the worker idle while more WAL than max_slot_wal_keep_size is written
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = off; SELECT pg_reload_conf()});
sleep 1;
$node->safe_psql('postgres', q{INSERT INTO src VALUES (1, 'in the lost WAL')});
$node->safe_psql('postgres', q{CREATE TABLE junk AS SELECT g, repeat('x', 200) FROM generate_series(1, 400000) g});
$node->safe_psql('postgres', 'CHECKPOINT');
is($node->safe_psql('postgres', q{SELECT wal_status FROM pg_replication_slots WHERE slot_name LIKE 'dataeng_wal_%'}),
	'lost', 'the slot was invalidated');
my $offset = -s $node->logfile;
$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = on; SELECT pg_reload_conf()});
ok($node->wait_for_log(qr/cannot capture from the WAL: replication slot "dataeng_wal_\d+" was invalidated/, $offset),
	'the worker names the invalidated slot');
unlike(slurp_file($node->logfile, $offset), qr/requested WAL segment \S+ has already been removed/,
	'and does not fail on a WAL segment at 0/0');
$node->stop;
done_testing();
