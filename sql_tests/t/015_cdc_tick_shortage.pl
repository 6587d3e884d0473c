# With no background worker slot free, ticks cannot be cut in a
# transaction of their own.  A poll in a transaction block then reads up to
# the newest tick (with a warning) instead of cutting one that would hold
# the tick lock, and so every other consumer, until the block ends; a poll
# outside a block still cuts the tick itself and sees every committed
# change at once.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('tick_shortage');
$node->init;
# the scheduler's launcher takes the only worker slot
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'dataeng'
max_worker_processes = 1
dataeng.maintenance_interval = 0
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE t (id int PRIMARY KEY);
	SELECT dataeng.cdc_enable('t');
	SELECT dataeng.cdc_consumer_create('held');
	SELECT dataeng.cdc_consumer_create('other');
	INSERT INTO t VALUES (1);
});

# a consumer's transaction block polls and stays open
my $held = $node->background_psql('postgres', on_error_stop => 0);
$held->query_safe('BEGIN');
my $first = $held->query('SELECT count(*) FROM dataeng.cdc_poll(\'held\')');
is($first, '0', 'in a block, a poll reads up to the newest tick: not yet the new change');
like($held->{stderr} // '', qr/this poll reads the changes up to the newest tick/,
	'and says why, with a warning');
$held->{stderr} = '';

# another consumer, outside a block, sees the change at once: it is not
# held back by the open block.  (A poll that waited for the block would
# wait until it ends, after this poll: its statement_timeout cancels it
# instead.  How long the poll took is not asserted: a loaded machine is
# slow.)
$node->safe_psql('postgres', 'INSERT INTO t VALUES (2)');
my ($ret, $out, $err) = $node->psql('postgres', q{
	SET statement_timeout = '120s';
	SELECT string_agg(pk->>'id', ',' ORDER BY change_id) FROM dataeng.cdc_poll('other')});
is($out, '1,2', 'a poll outside a block sees every committed change');
like($err, qr/cutting it in this transaction/, 'having cut the tick itself, with a warning');
unlike($err, qr/ERROR/, 'without waiting for the open block');

# once the block ends, its consumer reads the changes too
$held->query_safe('COMMIT');
is($held->query(q{SELECT string_agg(pk->>'id', ',' ORDER BY change_id) FROM dataeng.cdc_poll('held')}),
	'1,2', 'the held consumer reads them after its block');
$held->quit;

$node->stop;
done_testing();
