# A table the WAL worker stopped because pgoutput could not make a message
# of one of its changes (security_wal_unsent) stays guarded after the
# server restarts.  The failures noted for the next worker live in shared
# memory, which a restart empties (and which keeps only the last 64 such
# tables): the stopped table's next such row ended a round again, a worker
# restart and its back-off, before the table was guarded once more.  Now
# each round guards the changes of the tables it finds stopped.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

my $node = WalNode::new_node('walunsent');
$node->start;

# a type whose text output fails for every value (pgoutput's change
# callback raises an error, as for a row whose text form passes 1 GB)
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TYPE boom;
	CREATE FUNCTION boom_in(cstring) RETURNS boom AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
	CREATE FUNCTION boom_out(boom) RETURNS cstring AS 'enum_out' LANGUAGE internal IMMUTABLE STRICT;
	CREATE TYPE boom (input = boom_in, output = boom_out, internallength = 4,
	                  passedbyvalue, alignment = int4);
	CREATE TABLE orders (id int PRIMARY KEY, amount int);
	CREATE TABLE big (id int PRIMARY KEY, v boom);
	CREATE TABLE wide (id int PRIMARY KEY, b bytea, v boom);
	CREATE TABLE parts (id int, v boom) PARTITION BY RANGE (id);
	CREATE TABLE parts_1 PARTITION OF parts FOR VALUES FROM (0) TO (100);
	SELECT dataeng.cdc_enable('orders', method => 'wal');
	SELECT dataeng.cdc_enable('big', method => 'wal');
	SELECT dataeng.cdc_enable('parts', method => 'wal');
	SELECT dataeng.cdc_enable('wide', method => 'wal');
});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');

# the first bad rows stop their tables (the worker decodes again, guarded)
$node->safe_psql('postgres', q{
	INSERT INTO big VALUES (1, '12345');
	INSERT INTO parts VALUES (1, '12345');
	INSERT INTO wide VALUES (1, 'x', '12345');
	INSERT INTO orders VALUES (1, 10);
});
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM dataeng.changes WHERE table_name = 'orders'::regclass}),
	'the other table is captured');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 3 FROM dataeng.cdc_status
		   WHERE table_name IN ('big'::regclass, 'parts'::regclass, 'wide'::regclass)
		     AND capture_error IS NOT NULL}),
	'the tables of the bad rows are stopped');

# a restart empties shared memory
$node->restart;
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
my $worker = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'});
isnt($worker, '', 'a worker runs after the restart');

# more bad rows of the stopped tables (one in a partition) end no round:
# the same worker captures the other table's rows at once
$node->safe_psql('postgres', q{
	INSERT INTO big VALUES (2, '12345');
	INSERT INTO orders VALUES (2, 20);
	INSERT INTO parts VALUES (2, '12345');
	INSERT INTO orders VALUES (3, 30);
});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 3 FROM dataeng.changes WHERE table_name = 'orders'::regclass}),
	'the other table is captured after the restart');
is($node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'}),
	$worker, 'no round failed: the same worker');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.changes WHERE table_name IN ('big'::regclass, 'parts'::regclass)}),
	'0', 'no change of the stopped tables is captured');

# Rows of a stopped table each failing after a large value, in one
# transaction: the text forms pgoutput made of their values were kept
# until a change it sent (ten rows of 16 MB of bytea, 32 MB in hex each,
# took 240 MB more of the worker's peak memory, 100 MB now; a few rows of 300 MB ran it out
# of memory, which failed every round at the same change).
my $hwm = sub {
	my $pid = $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'});
	my $st = $node->safe_psql('postgres', "SELECT pg_read_file('/proc/$pid/status')");
	$st =~ /^VmHWM:\s+(\d+) kB/m or die "no VmHWM in $st";
	return $1;
};
my $before = $hwm->();
$node->safe_psql('postgres', q{
	BEGIN;
	INSERT INTO wide SELECT g, decode(repeat('ab', 16 * 1024 * 1024), 'hex'), '12345'
	  FROM generate_series(2, 11) g;
	INSERT INTO orders VALUES (4, 40);
	COMMIT;
});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
ok($node->poll_query_until('postgres',
		q{SELECT count(*) = 4 FROM dataeng.changes WHERE table_name = 'orders'::regclass}),
	'the other table is captured after the large failing rows');
my $grown = ($hwm->() - $before) / 1024;
cmp_ok($grown, '<', 170, "the worker's peak memory grew by less than 170 MB ($grown MB)");

$node->stop;
done_testing();
