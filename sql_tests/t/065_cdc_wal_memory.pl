# Capture from the WAL keeps the worker's memory bounded whatever the size
# of one source transaction: the change records decoded from a transaction
# go through a store that keeps at most logical_decoding_work_mem in
# memory (the rest in a temporary file), as pgoutput's messages do, and
# are written in batches.  (Before, every record of a transaction was held
# in memory until the transaction was written: a transaction ten times as
# large took about ten times the memory.)
#
# The worker's peak resident memory (VmHWM) after a 40,000-row and after
# a 400,000-row transaction (one INSERT each): the second must not be
# much larger than the first.  shared_buffers is small, so that the shared
# buffers the worker touches (they count in its resident memory) are
# about the same for both.  Then the consumer must have every change once,
# in order.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;

plan skip_all => 'needs /proc/<pid>/status' unless -r '/proc/self/status';

my $node = WalNode::new_node('walmem', qq{
shared_buffers = 16MB
logical_decoding_work_mem = 4MB
max_wal_size = 2GB
autovacuum = off
});
$node->start;
$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TABLE big (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('big', method => 'wal');
	SELECT dataeng.cdc_consumer_create('c', '{big}');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the table');

my $pid = $node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'});
like($pid, qr/^\d+$/, 'the worker runs');

# the worker's peak resident memory, kB
sub peak
{
	my $status = slurp_file("/proc/$pid/status");
	$status =~ /^VmHWM:\s+(\d+) kB/m or die "no VmHWM for $pid";
	return $1;
}

sub insert_and_sync
{
	my ($from, $to) = @_;
	$node->safe_psql('postgres', qq{
		INSERT INTO big SELECT g, 'row ' || g || ' ' || repeat('x', 40) FROM generate_series($from, $to) g});
	is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('180 s')}), 't',
		"rows $from to $to captured");
}

insert_and_sync(1, 40000);
my $small = peak();
insert_and_sync(40001, 440000);
my $large = peak();
is($node->safe_psql('postgres', q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'}),
	$pid, 'the same worker captured both');
diag("worker VmHWM: $small kB after 40,000 rows, $large kB after 400,000 rows in one transaction");
cmp_ok($large, '<', 2 * $small, 'a transaction 10 times as large does not take twice the memory');

# every change once, in order
is($node->safe_psql('postgres', q{
	SELECT count(*) || ' ' || count(DISTINCT p.id) || ' ' || min(p.id) || ' ' || max(p.id) || ' '
	       || bool_and(p.id = p.n)
	  FROM (SELECT (o.new_row->>'id')::int AS id, o.ordinality AS n
	          FROM dataeng.cdc_poll('c', 1000000) WITH ORDINALITY o) p}),
	'440000 440000 1 440000 true', 'the consumer gets every change once, in commit order');

# rows of large values: the writer's batch ends once its values take 8 MB,
# not only after 500 rows (100 rows of 2 MB each in one transaction took
# about 200 MB of the worker's memory, 500 such rows a gigabyte: the worker
# is every role's, and any owner of a table captured from the WAL could
# have it take the server's memory)
$node->safe_psql('postgres', q{
	CREATE TABLE wide (id int PRIMARY KEY, v text);
	SELECT dataeng.cdc_enable('wide', method => 'wal');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the wide table');
$node->safe_psql('postgres', q{
	INSERT INTO wide SELECT g, repeat(md5(g::text), 62500) FROM generate_series(1, 100) g});
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('180 s')}), 't', 'the wide rows captured');
my $wide = peak();
diag("worker VmHWM: $wide kB after 100 rows of 2 MB in one transaction");
cmp_ok($wide, '<', $large + 100 * 1024, '100 rows of 2 MB do not take 100 MB more');
is($node->safe_psql('postgres', q{
	SELECT count(*) || ' ' || sum(length(new_row->>'v')) FROM dataeng.changes WHERE table_name = 'wide'::regclass}),
	'100 200000000', 'every wide row captured whole');

# a crash while the worker decodes and writes a large transaction (its
# records partly in the store's temporary file): after the restart every
# change is captured once, in order
$node->safe_psql('postgres', q{SELECT dataeng.cdc_consumer_create('d', '{big}')});
$node->safe_psql('postgres', q{
	INSERT INTO big SELECT g, 'row ' || g || ' ' || repeat('x', 40) FROM generate_series(440001, 540000) g});
$node->poll_query_until('postgres', q{
	SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture' AND state = 'active'});
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', q{SELECT dataeng.cdc_wal_sync('180 s')}), 't', 'captured after the crash');
is($node->safe_psql('postgres', q{
	SELECT count(*) || ' ' || count(DISTINCT p.id) || ' ' || min(p.id) || ' ' || max(p.id) || ' '
	       || bool_and(p.id = 440000 + p.n)
	  FROM (SELECT (o.new_row->>'id')::int AS id, o.ordinality AS n
	          FROM dataeng.cdc_poll('d', 1000000) WITH ORDINALITY o) p}),
	'100000 100000 440001 540000 true', 'a crash in the middle loses and doubles nothing');
is($node->safe_psql('postgres', q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'big'::regclass}),
	'540000', 'the change log holds each change once');
# a change that cannot be decoded at the end of a transaction whose records
# went to the store's temporary file: its table stops, the transaction is
# decoded again without it (the store's file outlives the rolled-back
# decoding), and the other table's changes are captured once, in order
$node->safe_psql('postgres', q{
	CREATE FUNCTION fail_in_worker(v int) RETURNS boolean LANGUAGE plpgsql AS $$
	BEGIN
	  IF v < 0 AND current_setting('application_name') = 'dataeng wal capture' THEN
	    RAISE EXCEPTION 'refused in the worker';
	  END IF;
	  RETURN true;
	END $$;
	CREATE DOMAIN picky AS int CHECK (fail_in_worker(VALUE));
	CREATE TABLE bad (id int PRIMARY KEY, a picky[]);
	SELECT dataeng.cdc_enable('bad', method => 'wal');
	SELECT dataeng.cdc_consumer_create('e', '{big,bad}');
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'the worker switched the second table');
$node->safe_psql('postgres', q{
	BEGIN;
	INSERT INTO big SELECT g, 'row ' || g || ' ' || repeat('x', 40) FROM generate_series(540001, 600000) g;
	INSERT INTO bad VALUES (1, '{-1}');
	COMMIT;
});
is($node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()'), 't', 'captured');
like($node->safe_psql('postgres', q{SELECT capture_error FROM dataeng.cdc_status WHERE table_name = 'bad'::regclass}),
	qr/refused in the worker/, 'the table whose change cannot be decoded stopped');
is($node->safe_psql('postgres', q{
	SELECT count(*) || ' ' || count(DISTINCT p.id) || ' ' || min(p.id) || ' ' || max(p.id) || ' '
	       || bool_and(p.id = 540000 + p.n) || ' ' || bool_and(p.t = 'big')
	  FROM (SELECT (o.new_row->>'id')::int AS id, o.ordinality AS n, o.table_name::text AS t
	          FROM dataeng.cdc_poll('e', 1000000) WITH ORDINALITY o) p}),
	'60000 60000 540001 600000 true true', 'the rest of the transaction is captured once, in order');
$node->stop;
done_testing();
