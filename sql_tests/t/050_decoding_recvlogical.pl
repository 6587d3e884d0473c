# pg_recvlogical -P dataeng -o format=debezium: the stream a Debezium-based
# consumer reads over the replication protocol, parsed as JSON and checked
# record by record (envelope, values, TOAST placeholder, DDL event).
use strict;
use warnings;
use JSON::PP;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('recvlogical');
$node->init(allows_streaming => 'logical');
$node->append_conf('postgresql.conf', "shared_preload_libraries = 'dataeng'");
$node->start;
# PostgreSQL 15.19 and later load only the output plugins listed here
if ($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_settings WHERE name = 'output_plugin_libraries'") eq '1')
{
	$node->append_conf('postgresql.conf',
		"output_plugin_libraries = 'pgoutput, test_decoding, dataeng'");
	$node->reload;
}
$node->safe_psql('postgres', 'CREATE EXTENSION dataeng');

# the slot, created by pg_recvlogical with -P dataeng
$node->command_ok(
	[
		'pg_recvlogical', '-d', $node->connstr('postgres'), '-S', 'dbz',
		'--create-slot', '-P', 'dataeng'
	],
	'pg_recvlogical creates a dataeng slot');
is($node->safe_psql('postgres', "SELECT plugin FROM pg_replication_slots WHERE slot_name = 'dbz'"),
	'dataeng', 'the slot uses the dataeng plugin');

# the schema change events carry the statement only when a superuser turns
# dataeng.ddl_include_query on (off by default)
$node->safe_psql('postgres', q{
	SET dataeng.ddl_include_query = on;
	CREATE TABLE shop_orders (id int PRIMARY KEY, customer text, amount numeric(10,2),
	                          paid boolean, placed timestamptz, notes text);
	ALTER TABLE shop_orders ALTER COLUMN notes SET STORAGE EXTERNAL;
	INSERT INTO shop_orders VALUES
	  (1, 'Ann "A"', 10.50, false, '2026-01-01 10:00:00+00',
	   (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 300) g));
	UPDATE shop_orders SET paid = true WHERE id = 1;
	ALTER TABLE shop_orders ADD COLUMN channel text;
	UPDATE shop_orders SET channel = 'web', notes = 'short' WHERE id = 1;
	DELETE FROM shop_orders WHERE id = 1;
	TRUNCATE shop_orders;
});
my $endpos = $node->safe_psql('postgres',
	"SELECT pg_current_wal_insert_lsn()");
my $out = $node->pg_recvlogical_upto('postgres', 'dbz', $endpos, $PostgreSQL::Test::Utils::timeout_default,
	'format' => 'debezium', 'name' => 'shopsphere');

my @records = map { decode_json($_) } grep { /\S/ } split /\n/, $out;
my @changes = grep { exists $_->{op} } @records;
my @ddl = grep { exists $_->{ddl} } @records;
is_deeply([ map { $_->{op} } @changes ], [qw(c u u d t)],
	'one envelope per change: create, update, update, delete, truncate');
is(scalar @ddl, 3, 'CREATE TABLE and two ALTER TABLE arrive as schema change events');

my $xid_prev;
for my $r (@changes)
{
	ok(exists $r->{before} && exists $r->{after} && exists $r->{source} && exists $r->{ts_ms},
		"envelope of op $r->{op} has before, after, source, ts_ms");
	my $s = $r->{source};
	is($s->{connector}, 'postgresql', 'source.connector');
	is($s->{name}, 'shopsphere', 'source.name is the name option');
	is($s->{db}, 'postgres', 'source.db');
	is($s->{schema}, 'public', 'source.schema');
	is($s->{table}, 'shop_orders', 'source.table');
	like($s->{txId}, qr/^\d+$/, 'source.txId is a number');
	like($s->{lsn}, qr/^\d+$/, 'source.lsn is a number');
	like($s->{ts_ms}, qr/^\d{13}$/, 'source.ts_ms is epoch milliseconds');
	ok($r->{ts_ms} >= $s->{ts_ms}, 'ts_ms is not before the commit');
}
# LSNs grow along the stream
my @lsns = map { $_->{source}{lsn} } @changes;
is_deeply(\@lsns, [ sort { $a <=> $b } @lsns ], 'source.lsn grows in stream order');

my ($c, $u1, $u2, $d, $t) = @changes;
is($c->{before}, undef, 'create: before is null');
is($c->{after}{id}, 1, 'create: integer as a JSON number');
is($c->{after}{customer}, 'Ann "A"', 'create: text with quotes round-trips');
is($c->{after}{amount}, '10.5', 'create: numeric as a JSON number');
ok(!ref($c->{after}{amount}) && JSON::PP->new->allow_nonref->encode($c->{after}{amount}) !~ /"/,
	'create: numeric is not a string');
ok(JSON::PP::is_bool($c->{after}{paid}) && !$c->{after}{paid}, 'create: boolean false');
is($c->{after}{placed}, '2026-01-01T10:00:00Z', 'create: timestamptz as ISO 8601 UTC');
is(length($c->{after}{notes}), 9600, 'create: the TOASTed value in full');
ok(JSON::PP::is_bool($u1->{after}{paid}) && $u1->{after}{paid}, 'update: boolean true');
is($u1->{after}{notes}, '__debezium_unavailable_value',
	'update: an unchanged TOASTed value is Debezium\'s placeholder');
is($u2->{after}{channel}, 'web', 'update after ALTER TABLE: the new column');
is($u2->{after}{notes}, 'short', 'update: a changed value');
is_deeply($d->{before}, { id => 1 }, 'delete: before holds the key');
is($d->{after}, undef, 'delete: after is null');
is($t->{before}, undef, 'truncate: no row');

# the ALTER TABLE event comes before the update that uses its column
my @order = map { exists $_->{ddl} ? 'ddl' : $_->{op} } @records;
is_deeply(\@order, [qw(ddl ddl c u ddl u d t)], 'schema changes in stream order');
like($ddl[2]{ddl}, qr/ADD COLUMN channel/, 'the event carries the statement');
is($ddl[2]{source}{table}, 'shop_orders', 'the event names the table');
ok((grep { $_->{verified} } @ddl) == 3, 'the events come from the extension\'s table: verified');
ok((grep { $_->{name} eq 'channel' } @{ $ddl[2]{dataeng}{columns} }),
	'the event lists the columns after the change');

# a bad option: pg_recvlogical fails with the plugin's message
my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[
		'pg_recvlogical', '-d', $node->connstr('postgres'), '-S', 'dbz', '--start',
		'--no-loop', '-f', '-', '-o', 'format=avro', '--endpos', $endpos
	],
	'>', \$stdout, '2>', \$stderr);
ok(!$ok, 'pg_recvlogical fails on a bad option');
like($stderr, qr/invalid value "avro" for option "format" of output plugin dataeng/,
	'the error names the option');

$node->safe_psql('postgres', "SELECT pg_drop_replication_slot('dbz')");
$node->stop;
done_testing();
