# The WAL capture worker of a database leaves it for DROP DATABASE (without
# FORCE), ALTER DATABASE ... RENAME TO / SET TABLESPACE and CREATE DATABASE
# ... TEMPLATE, and comes back after the last three: a round in progress
# (a slow on_change handler) is cancelled and done again, so a consumer and
# a handler get every change exactly once.  The dropped database's slot
# goes with it, and the server log has no FATAL.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::Bin;
use WalNode;
use Time::HiRes qw(sleep);

my $node = WalNode::new_node('waldb');
$node->start;

my $setup = q{
	CREATE EXTENSION dataeng;
	CREATE TABLE t (id int PRIMARY KEY, v text);
	CREATE TABLE handled (id int, op "char");
	SELECT dataeng.cdc_consumer_create('c', '{t}');
	SELECT dataeng.cdc_enable('t', method => 'wal');
	-- a slow handler: a rename comes while it runs
	CREATE FUNCTION h(changes dataeng.change[]) RETURNS void LANGUAGE plpgsql AS $$
	BEGIN
	  PERFORM pg_sleep(0.3);
	  INSERT INTO public.handled SELECT (c.pk->>'id')::int, c.op FROM unnest(changes) c;
	END $$;
	SELECT dataeng.on_change('h', 't', 'h(dataeng.change[])');
};

sub worker_in
{
	my ($db) = @_;
	return $node->safe_psql('postgres',
		qq{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'dataeng wal capture'
		   AND datname = '$db'});
}

sub wait_for_worker
{
	my ($db, $want) = @_;
	for (my $i = 0; $i < 1800; $i++)
	{
		return 1 if worker_in($db) eq $want;
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

# ---------------------------------------------------------------------------
# DROP DATABASE without FORCE
$node->safe_psql('postgres', 'CREATE DATABASE d1');
$node->safe_psql('d1', $setup);
$node->safe_psql('d1', q{INSERT INTO t SELECT g, 'x' FROM generate_series(1, 10) g});
is($node->safe_psql('d1', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd1: captured');
ok(wait_for_worker('d1', '1'), 'd1: its WAL capture worker runs');
my $d1oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'd1'});
is($node->safe_psql('postgres',
		qq{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dataeng_wal_$d1oid'}),
	'1', 'd1: has its slot');
# changes not captured yet when the drop comes
$node->safe_psql('d1', q{INSERT INTO t SELECT g, 'y' FROM generate_series(11, 20) g});
my ($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE d1');
# (PostgreSQL would have waited five seconds for the worker, then failed;
# how long the drop took is not asserted: a loaded machine is slow, and a
# worker that did not leave in time is logged, checked at the end)
is($ret, 0, 'DROP DATABASE without FORCE succeeds') or diag($err);
like($err, qr/NOTICE:  WAL capture of the database stops; its replication slot "dataeng_wal_$d1oid" is dropped with it/,
	'a NOTICE names the slot that goes');
is($node->safe_psql('postgres',
		qq{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dataeng_wal_$d1oid'}),
	'0', 'the slot is gone with the database');

# ---------------------------------------------------------------------------
# ALTER DATABASE ... RENAME, SET TABLESPACE, CREATE DATABASE ... TEMPLATE
$node->safe_psql('postgres', 'CREATE DATABASE d2');
$node->safe_psql('d2', $setup);
# (the handler is called for what commits after the worker switched the
# table from its trigger: wait for that)
is($node->safe_psql('d2', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd2: the worker switched the table');
$node->safe_psql('d2', q{INSERT INTO t SELECT g, 'a' FROM generate_series(1, 20) g});
is($node->safe_psql('d2', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd2: captured');

# twenty more transactions, each handled in 0.3 s: the rename comes while
# the worker is in the middle of them
$node->safe_psql('d2', join('', map { "INSERT INTO t VALUES ($_, 'b');" } 21 .. 40));
select(undef, undef, undef, 0.5);
($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE d2 RENAME TO d2r');
is($ret, 0, 'ALTER DATABASE RENAME succeeds') or diag($err);
# the round in progress, with 5 s of handler calls left, was cancelled and
# kept nothing: not all the twenty were handled when the rename returned
# (the worker, back, handles them again 0.3 s each)
cmp_ok($node->safe_psql('d2r', q{SELECT count(DISTINCT id) FROM handled WHERE id BETWEEN 21 AND 40}),
	'<', 20, 'the round in progress was cancelled, not waited for');
ok(wait_for_worker('d2r', '1'), 'the worker comes back to the renamed database');

$node->safe_psql('d2r', q{UPDATE t SET v = 'c' WHERE id <= 5; DELETE FROM t WHERE id = 40});
is($node->safe_psql('d2r', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd2r: captured');

# SET TABLESPACE
my $tsdir = PostgreSQL::Test::Utils::tempdir_short();
$node->safe_psql('postgres', "CREATE TABLESPACE ts LOCATION '$tsdir'");
$node->safe_psql('d2r', join('', map { "INSERT INTO t VALUES ($_, 'd');" } 41 .. 50));
# (refused: logical decoding cannot read the WAL written before a move)
($ret, $out, $err) = $node->psql('postgres', 'ALTER DATABASE d2r SET TABLESPACE ts');
isnt($ret, 0, 'ALTER DATABASE SET TABLESPACE is refused while the database has WAL capture');
like($err, qr/cannot move a database whose tables are captured from the WAL/, 'with the reason');
ok(wait_for_worker('d2r', '1'), 'the worker goes on');

# CREATE DATABASE ... TEMPLATE
$node->safe_psql('d2r', join('', map { "INSERT INTO t VALUES ($_, 'e');" } 51 .. 60));
($ret, $out, $err) = $node->psql('postgres', 'CREATE DATABASE d3 TEMPLATE d2r');
is($ret, 0, 'CREATE DATABASE TEMPLATE succeeds') or diag($err);
ok(wait_for_worker('d2r', '1'), 'the worker comes back to the template');
ok(wait_for_worker('d3', '1'), 'the copy has a worker of its own');
$node->safe_psql('d2r', q{INSERT INTO t VALUES (61, 'f')});
is($node->safe_psql('d2r', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd2r: all captured');

# exactly once: the consumer and the handler
is($node->safe_psql('d2r', q{SELECT count(*) || '/' || count(DISTINCT change_id)
                             FROM dataeng.cdc_poll('c', 100000, false)}),
	'67/67', 'the consumer gets every change once (61 inserts, 5 updates, 1 delete)');
is($node->safe_psql('d2r', q{SELECT string_agg(op::text || ':' || n, ' ' ORDER BY op) FROM
                             (SELECT op, count(*) n FROM handled GROUP BY op) s}),
	'D:1 I:61 U:5', 'the handler saw every change once')
  or diag('not handled: ' . $node->safe_psql('d2r', q{SELECT string_agg(g::text, ',') FROM generate_series(1, 61) g
                                                     WHERE g NOT IN (SELECT id FROM handled WHERE op = 'I')}));
is($node->safe_psql('d2r', q{SELECT count(*) FROM (SELECT id, op FROM handled GROUP BY id, op HAVING count(*) > 1) s}),
	'0', 'no change handled twice');
is($node->safe_psql('d2r', q{SELECT count(*) FROM dataeng.on_change_dead_letters}),
	'0', 'no batch went to the dead letters');

# the copy captures its own changes
$node->safe_psql('d3', q{INSERT INTO t VALUES (1000, 'copy')});
is($node->safe_psql('d3', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd3: captured');
is($node->safe_psql('d3', q{SELECT count(*) FROM dataeng.changes WHERE pk->>'id' = '1000'}),
	'1', "the copy's change is captured");

# a failed DROP keeps the slot; capture goes on
my $d2oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'd2r'});
my $session = $node->background_psql('d2r');
($ret, $out, $err) = $node->psql('postgres', 'DROP DATABASE d2r');
isnt($ret, 0, 'DROP DATABASE fails while a session is connected');
like($err, qr/is being accessed by other users/, 'for that reason');
$session->quit;
is($node->safe_psql('postgres',
		qq{SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dataeng_wal_$d2oid'}),
	'1', 'the slot stays');
ok(wait_for_worker('d2r', '1'), 'the worker comes back');
$node->safe_psql('d2r', q{INSERT INTO t VALUES (62, 'g')});
is($node->safe_psql('d2r', 'SELECT dataeng.cdc_wal_sync()'), 't', 'd2r: captured');
is($node->safe_psql('d2r', q{SELECT count(*) FROM handled WHERE id = 62}), '1', 'and handled once');

# DROP EXTENSION: the worker drops the database's slot and the publication
my $d3oid = $node->safe_psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'd3'});
$node->safe_psql('d3', 'DROP EXTENSION dataeng CASCADE');
my $left = '';
for (1 .. 1800)
{
	$left = $node->safe_psql('d3',
		qq{SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dataeng_wal_$d3oid')
		        + (SELECT count(*) FROM pg_publication WHERE pubname = 'dataeng_wal')});
	last if $left eq '0';
	sleep 0.1;
}
is($left, '0', 'DROP EXTENSION: the slot and the publication are gone');

# drop them all; the launcher visits no database that is gone
$node->safe_psql('postgres', 'DROP DATABASE d2r');
$node->safe_psql('postgres', 'DROP DATABASE d3');
sleep 3;
my $log = slurp_file($node->logfile);
unlike($log, qr/FATAL/, 'the server log has no FATAL');
unlike($log, qr/did not leave within/, 'every worker left in time');

$node->stop;
done_testing();
