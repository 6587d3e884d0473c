# More databases with a WAL capture worker than shared memory has entries
# for (dataeng.wal_max_databases, lowered to 2 here; by default there is
# room for every server process): the worker beyond them runs all the
# same, sessions there never hear that no worker runs (state 'unknown':
# waits go on as for a running worker), and it takes an entry as soon as
# one is free.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walmaxdb', "dataeng.wal_max_databases = 2\n");
$node->start;
is($node->safe_psql('postgres', 'SHOW dataeng.wal_max_databases'), '2', 'the limit is lowered');

# three databases with WAL capture, one after the other
for my $db (qw(d1 d2 d3))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, q{
		CREATE EXTENSION dataeng;
		CREATE TABLE t (id int PRIMARY KEY);
		SELECT dataeng.cdc_enable('t', method => 'wal');
	});
	is($node->safe_psql($db, 'SELECT dataeng.cdc_wal_sync()'), 't', "$db: its worker runs");
}
$node->safe_psql('postgres', 'CREATE DATABASE d4');
$node->safe_psql('d4', 'CREATE EXTENSION dataeng');

is($node->safe_psql('d1', 'SELECT dataeng_internal._cdc_wal_worker()'), 'running', 'd1: running');
is($node->safe_psql('d2', 'SELECT dataeng_internal._cdc_wal_worker()'), 'running', 'd2: running');
# the third worker has no entry: never "none" where it runs
is($node->safe_psql('d3', 'SELECT dataeng_internal._cdc_wal_worker()'), 'unknown',
	'd3: its worker runs without an entry, and is not said to be missing');
is($node->safe_psql('d4', 'SELECT dataeng_internal._cdc_wal_worker()'), 'unknown',
	'd4 (no worker): cannot be told apart meanwhile');
like(slurp_file($node->logfile), qr/no shared memory entry is free for database/,
	'the server log says so');

# d3 captures, and a wait for its worker succeeds
$node->safe_psql('d3', 'INSERT INTO t VALUES (1)');
$node->safe_psql('d3', q{SELECT dataeng.cdc_consumer_create('c', snapshot => true)});
is($node->safe_psql('d3', q{SELECT count(*) FROM dataeng.cdc_poll('c')}), '1',
	'd3: a consumer with a snapshot is created, and reads the row');
$node->safe_psql('d3', 'INSERT INTO t VALUES (2)');
is($node->safe_psql('d3', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd3: synced');
is($node->safe_psql('d3', q{SELECT count(*) FROM dataeng.changes WHERE table_name = 't'::regclass}),
	'2', "d3: its worker captured the changes");

# d1 no longer captures from the WAL: its worker exits, its entry is free,
# and d3's worker takes it
$node->safe_psql('d1', q{SELECT dataeng.cdc_enable('t', method => 'trigger')});
is($node->safe_psql('d1', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd1: switched to its trigger');
ok($node->poll_query_until('d3', q{SELECT dataeng_internal._cdc_wal_worker() = 'running'}),
	'd3: its worker has an entry now');
like(slurp_file($node->logfile), qr/the worker of database \d+ has a shared memory entry now/,
	'the server log says so');
# (once no worker runs without an entry: one started in d1 by its switch
# may run a moment without one before it finds nothing to capture)
ok($node->poll_query_until('d4', q{SELECT dataeng_internal._cdc_wal_worker() = 'none'}),
	'd4: no worker, said again');

# a command holding d3 makes its worker leave, and it comes back
$node->safe_psql('postgres', 'ALTER DATABASE d3 RENAME TO d3b');
$node->safe_psql('d3b', 'INSERT INTO t VALUES (3)');
is($node->safe_psql('d3b', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd3b: synced after a rename');
is($node->safe_psql('d3b', q{SELECT count(*) FROM dataeng.changes WHERE table_name = 't'::regclass}),
	'3', 'd3b: captured after the rename');
unlike(slurp_file($node->logfile), qr/FATAL|PANIC/, 'no FATAL in the server log');

$node->stop;
done_testing();
