# A change pgoutput fails on (security_wal_unsent) is handled by the WAL
# worker in its own process.  The first such change of a table ended the
# round with an error: the worker exited, the postmaster started it again
# 10 s later (bgw_restart_time), and only then was it decoded guarded, its
# table stopped: capture of every table stood still meanwhile, a failure
# counted for the back-off.  Now the round is rolled back, the decoding
# context freed and the WAL decoded again, guarded, by the same worker.
#
# A change that runs pgoutput out of memory (53200: a row whose text form
# is below 1 GB, with memory short) was the worker's own failure: every
# round ended at it, for good while memory stayed short, and no table was
# captured.  Now the worker decodes again after a wait (1, 2, 4 s): a row
# that fits by then is captured; one that runs out of memory 4 times in a
# row stops its table alone (capture_error, an alert).  Memory is made
# short by lowering the worker's own address space limit (prlimit), for
# the worker alone, so that the other sessions are not affected.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib $FindBin::Bin;
use WalNode;

if (system('prlimit --version >/dev/null 2>&1') != 0)
{
	plan skip_all => 'prlimit (util-linux) is not installed';
}

my $node = WalNode::new_node('walunsentmem');
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION dataeng;
	CREATE TYPE boom;
	CREATE FUNCTION boom_in(cstring) RETURNS boom AS 'int4in' LANGUAGE internal IMMUTABLE STRICT;
	CREATE FUNCTION boom_out(boom) RETURNS cstring AS 'enum_out' LANGUAGE internal IMMUTABLE STRICT;
	CREATE TYPE boom (input = boom_in, output = boom_out, internallength = 4,
	                  passedbyvalue, alignment = int4);
	CREATE TABLE orders (id int PRIMARY KEY, amount int);
	CREATE TABLE big (id int PRIMARY KEY, v boom);
	CREATE TABLE blobs (id int PRIMARY KEY, b bytea);
	SELECT dataeng.cdc_enable('orders', method => 'wal');
	SELECT dataeng.cdc_enable('big', method => 'wal');
	SELECT dataeng.cdc_enable('blobs', method => 'wal');
});
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');

my $worker = sub {
	return $node->safe_psql('postgres',
		q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'});
};
my $log_matches = sub {
	my ($re) = @_;
	my @n = (slurp_file($node->logfile) =~ /$re/g);
	return scalar @n;
};
my $restarts = sub {
	return $log_matches->(qr/"dataeng wal capture" \(PID \d+\) exited with exit code 1/);
};
my $orders = sub {
	my ($n) = @_;
	return $node->poll_query_until('postgres',
		"SELECT count(*) = $n FROM dataeng.changes WHERE table_name = 'orders'::regclass");
};
my $vm = sub {
	my ($pid, $field) = @_;
	open(my $fh, '<', "/proc/$pid/status") or die "no /proc/$pid/status: $!";
	local $/;
	my $st = <$fh>;
	close $fh;
	$st =~ /^$field:\s+(\d+) kB/m or die "no $field in $st";
	return $1;
};

# 1. The first row pgoutput cannot send: the same worker stops its table
# and captures the other table's row at once.
my $pid = $worker->();
my $t0 = time;
$node->safe_psql('postgres', q{
	INSERT INTO big VALUES (1, '12345');
	INSERT INTO orders VALUES (1, 10);
});
ok($orders->(1), 'the other table is captured');
my $stood = sprintf('%.1f', time - $t0);
note("capture of every table stood still $stood s, workers exited with an error: "
	  . $restarts->());
cmp_ok($stood, '<', 8, "capture stood still less than 8 s ($stood s)");
is($worker->(), $pid, 'the same worker: no restart');
is($restarts->(), 0, 'no worker exited with an error');
is($node->safe_psql('postgres',
		q{SELECT capture_error LIKE '%could not send a change: invalid internal value for enum%'
		    FROM dataeng.cdc_status WHERE table_name = 'big'::regclass}),
	't', 'the table of the row is stopped, saying why');
ok($log_matches->(qr/decodes again, each change up to \S+ in a subtransaction: the output plugin failed on a change of table big/) == 1,
	'the log says the worker decodes again, guarded');

# 2. A row that runs the worker out of memory for a while: the worker
# decodes again after a wait, and captures it once memory is there.
# (64 MB of bytea: pgoutput makes 128 MB of text of it, then a message.)
my $pid0 = $pid;
$pid = $worker->();
my $base = $vm->($pid, 'VmSize');
my $limit = ($base + 160 * 1024) * 1024;
system('prlimit', "--pid=$pid", "--as=$limit:") == 0 or die 'prlimit failed';
$node->safe_psql('postgres', q{
	INSERT INTO blobs VALUES (1, decode(repeat('ab', 64 * 1024 * 1024), 'hex'));
	INSERT INTO orders VALUES (2, 20);
});
my $seen = 0;
for (my $i = 0; $i < 600 && !$seen; $i++)
{
	$seen = $log_matches->(qr/ran out of memory on a change of table blobs at \S+ \(attempt 1 of 4\)/);
	Time::HiRes::sleep(0.1) unless $seen;
}
ok($seen, 'the worker ran out of memory on the row');
system('prlimit', "--pid=$pid", '--as=unlimited:');
ok($orders->(2), 'the other table is captured once memory is there');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'blobs'::regclass}),
	'1', 'the row is captured');
is($node->safe_psql('postgres',
		q{SELECT capture_error IS NULL FROM dataeng.cdc_status WHERE table_name = 'blobs'::regclass}),
	't', 'its table is not stopped');
is($worker->(), $pid, 'the same worker');
# (the large message's buffer is given back once it is stored; what a
# round holds goes by the next round)
$node->safe_psql('postgres', 'SELECT dataeng.cdc_wal_sync()');
Time::HiRes::sleep(0.5);
$pid = $worker->();
my $after = $vm->($pid, 'VmSize');
note("worker VmSize $base kB before, $after kB after the large row");
cmp_ok($after - $base, '<', 100 * 1024, 'the worker gave the large row\'s memory back');

# 3. A row that runs it out of memory in each attempt: its table stops
# alone, after 4 attempts (1 + 2 + 4 s apart), and the others go on.
$pid = $worker->();
system('prlimit', "--pid=$pid", "--as=$limit:") == 0 or die 'prlimit failed';
$t0 = time;
$node->safe_psql('postgres', q{
	INSERT INTO blobs VALUES (2, decode(repeat('ab', 64 * 1024 * 1024), 'hex'));
	INSERT INTO orders VALUES (3, 30);
});
ok($orders->(3), 'the other table is captured');
note(sprintf('capture of every table stood still %.1f s', time - $t0));
is($node->safe_psql('postgres',
		q{SELECT capture_error LIKE '%could not send a change: out of memory in each of 4 attempts%'
		    FROM dataeng.cdc_status WHERE table_name = 'blobs'::regclass}),
	't', 'the table of the row is stopped, saying why');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'blobs'::regclass}),
	'1', 'the row is not captured');
is($worker->(), $pid, 'the same worker');
is($log_matches->(qr/ran out of memory on a change of table blobs at \S+ \(attempt [123] of 4\)/),
	4, 'one attempt before, three this time, each in the log');
$node->safe_psql('postgres', 'SELECT dataeng.alert_check()');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.alerts_open WHERE kind = 'capture_stopped' AND object = 'public.blobs'}),
	'1', 'an alert is open for the table')
  or diag($node->safe_psql('postgres', 'SELECT kind, object, message FROM dataeng.alerts_open'));

# 4. Memory still short, another such row of the stopped table: it is
# not decoded again after waits (its table captures nothing), where each
# such row held the capture of every table 7 s and decoded the WAL 4 times.
$t0 = time;
$node->safe_psql('postgres', q{
	INSERT INTO blobs VALUES (4, decode(repeat('ab', 64 * 1024 * 1024), 'hex'));
	INSERT INTO orders VALUES (5, 50);
});
ok($orders->(4), 'the other table is captured');
$stood = sprintf('%.1f', time - $t0);
note("capture of every table stood still $stood s");
is($log_matches->(qr/ran out of memory on a change of table blobs at \S+ \(attempt \d of 4\)/),
	4, 'the stopped table\'s row is not decoded again');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM dataeng.changes WHERE table_name = 'blobs'::regclass}),
	'1', 'nor captured');
is($worker->(), $pid, 'the same worker');

# the stopped table's next rows cost no attempt, nor the other tables' rows
system('prlimit', "--pid=$pid", '--as=unlimited:');
$node->safe_psql('postgres', q{
	INSERT INTO blobs VALUES (3, 'x');
	INSERT INTO orders VALUES (4, 40);
});
ok($orders->(5), 'the other table is captured after');
is($worker->(), $pid0, 'the same worker throughout');
is($restarts->(), 0, 'no worker exited with an error throughout');

$node->stop;
done_testing();
