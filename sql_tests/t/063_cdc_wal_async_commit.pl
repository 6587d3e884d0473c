# Capture from the WAL when the server commits asynchronously
# (synchronous_commit = off in postgresql.conf, as sql_tests/harness.sh
# itself sets it).  The slot may be confirmed only after the round that
# wrote the change records is durable: a slot saved with a confirmed
# position past a source transaction whose change records are still in
# unflushed WAL loses them at a crash (the next worker starts decoding
# after that transaction).
#
# The slot is saved as soon as a confirm moves its restart point: the
# worker is held idle (dataeng.enabled = off) while a CHECKPOINT logs a
# running-transactions record and a source transaction commits (flushed),
# then one round decodes both, confirms past the record and saves the slot.
# The WAL writer flushes only every 10 s, so the round's own commit is not
# yet on disk when the server is stopped with -m immediate.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walasync', qq{
synchronous_commit = off
wal_writer_delay = 10s
wal_writer_flush_after = 1GB
autovacuum = off
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE src (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('src', method => 'wal');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the table');

for my $try (1 .. 5)
{
	# the worker idle
	$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = off; SELECT pg_reload_conf()});
	# (the worker has read the setting: it waits without decoding)
	ok($node->poll_query_until('postgres', q{SELECT dataeng_internal._cdc_wal_worker() = 'off'}), 'the worker is idle');
	$node->safe_psql('postgres', 'CHECKPOINT');
	$node->safe_psql('postgres', qq{SET synchronous_commit = on; INSERT INTO src VALUES ($try, 'try $try')});
	$node->safe_psql('postgres', q{ALTER SYSTEM SET dataeng.enabled = on; SELECT pg_reload_conf()});
	# the round's commit is visible (not yet flushed): crash at once
	$node->poll_query_until('postgres', qq{
		SELECT count(*) > 0 FROM dataeng_internal.change_log
		 WHERE table_oid = 'src'::regclass AND new_row->>'id' = '$try'}, 't')
	  or die 'the worker did not capture the row';
	$node->stop('immediate');
	$node->start;
	ok($node->poll_query_until('postgres', q{SELECT dataeng.cdc_wal_sync('1 s')}), "try $try: the worker catches up");
	is($node->safe_psql('postgres', qq{
		SELECT count(*) FROM dataeng_internal.change_log
		 WHERE table_oid = 'src'::regclass AND new_row->>'id' = '$try'}), '1',
		"try $try: the committed row is in the change log once after the crash");
}

$node->stop;
done_testing();
